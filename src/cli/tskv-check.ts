#!/usr/bin/env node
// tskv-check DIR: verifies a data directory offline — CURRENT and the manifest, every table's checksums, key order,
// entry counts and key ranges against the manifest, level invariants, orphan files, and every WAL segment the
// manifest still needs. Prints a report; exits 0 when clean, 1 on any fault, 2 on bad usage.
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { decodeBatch } from "../engine/batch";
import { nodeFs } from "../engine/io";
import { manifestName, parseManifestName, readManifest } from "../engine/manifest";
import { parseTableName, tableName } from "../engine/sst/format";
import { BlockCache, Table } from "../engine/sst/reader";
import { parseSegmentName, segmentName } from "../engine/wal/format";
import { readSegment } from "../engine/wal/reader";
import { VERSION } from "../version";

export interface CheckReport {
  faults: string[];
  warnings: string[];
  lines: string[];
}

export function checkDir(dir: string): CheckReport {
  const r: CheckReport = { faults: [], warnings: [], lines: [] };
  const msg = (e: unknown): string => (e as Error).message;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    r.faults.push(`${dir} is not a directory`);
    return r;
  }
  const names = fs.readdirSync(dir).sort();
  const lock = path.join(dir, "LOCK");
  if (fs.existsSync(lock)) r.warnings.push(`LOCK present (pid ${fs.readFileSync(lock, "latin1").trim()}): if that process is running, files may change while they are checked`);
  let state;
  try {
    state = readManifest(nodeFs, dir);
  } catch (e) {
    r.faults.push(msg(e));
    return r;
  }
  const referenced = new Set<number>();
  if (!state) {
    r.lines.push("no CURRENT: a new or WAL-only directory");
  } else {
    r.lines.push(`CURRENT -> ${manifestName(state.manifest)}: log number ${state.logNumber}, last sequence ${state.lastSequence}, next file ${state.nextFile}`);
    const cache = new BlockCache(0);
    const counters = { bloomProbes: 0, bloomNegatives: 0, blockReads: 0 };
    state.levels.forEach((level, l) => {
      level.forEach((meta, i) => {
        referenced.add(meta.number);
        const name = tableName(meta.number);
        const file = path.join(dir, name);
        if (!fs.existsSync(file)) {
          r.faults.push(`L${l} ${name}: missing`);
          return;
        }
        let t: Table | undefined;
        try {
          t = Table.open(nodeFs, file, meta.number, cache, counters);
          if (t.fileSize !== meta.size) throw new Error(`${name}: ${t.fileSize} bytes, the manifest says ${meta.size}`);
          const v = t.verify();
          if (v.entries !== meta.entries) throw new Error(`${name}: ${v.entries} entries, the manifest says ${meta.entries}`);
          const first = t.entries().next().value;
          const last = t.entriesReverse().next().value;
          if (!first || !last || !first.key.equals(meta.smallest) || !last.key.equals(meta.largest)) {
            throw new Error(`${name}: key range differs from the manifest's`);
          }
          r.lines.push(`L${l} ${name}: ${v.entries} entries in ${v.blocks} blocks, ${meta.size} bytes: ok`);
        } catch (e) {
          r.faults.push(`L${l} ${msg(e)}`);
        } finally {
          t?.close();
        }
        if (l > 0 && i > 0 && Buffer.compare(level[i - 1].largest, meta.smallest) >= 0) {
          r.faults.push(`L${l}: ${tableName(level[i - 1].number)} and ${name} overlap`);
        }
      });
    });
  }
  for (const name of names) {
    const t = parseTableName(name);
    if (t !== undefined && !referenced.has(t)) r.warnings.push(`${name}: not in the manifest (an unfinished flush or compaction; removed at the next open)`);
    const m = parseManifestName(name);
    if (m !== undefined && state && m !== state.manifest) r.warnings.push(`${name}: an old manifest (removed at the next open)`);
  }
  const segments = names
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  segments.forEach((n, i) => {
    const name = segmentName(n);
    if (state && n < state.logNumber) {
      r.warnings.push(`${name}: below the log number (already in tables; removed at the next open)`);
      return;
    }
    const data = fs.readFileSync(path.join(dir, name));
    const read = readSegment(data);
    let batches = 0;
    for (const rec of read.records.slice(1)) {
      if (!decodeBatch(rec)) r.faults.push(`${name}: malformed write batch inside a record with a valid checksum`);
      else batches++;
    }
    if (read.damage) {
      const tail = i === segments.length - 1 && !read.validAfterDamage;
      const what = `${name}: ${read.damage.reason} at offset ${read.damage.offset}; ${data.length - read.goodEnd} bytes after offset ${read.goodEnd}`;
      if (tail) r.warnings.push(`${what} are a torn tail (cut at the next open)`);
      else r.faults.push(`${what} would be dropped by --repair`);
    }
    r.lines.push(`${name}: ${batches} write batches, ${data.length} bytes${read.damage ? "" : ": ok"}`);
  });
  return r;
}

function main(): void {
  const program = new Command()
    .name("tskv-check")
    .description("Verify a tskv data directory offline: manifest, table checksums and key order, WAL segments")
    .version(VERSION)
    .argument("<dir>", "the data directory (tskv-server --dir)")
    .option("-q, --quiet", "print only warnings and faults")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse();
  const dir = program.args[0];
  const { quiet } = program.opts<{ quiet?: boolean }>();
  const r = checkDir(dir);
  if (!quiet) for (const l of r.lines) console.log(l);
  for (const w of r.warnings) console.log(`warning: ${w}`);
  for (const f of r.faults) console.log(`FAULT: ${f}`);
  console.log(r.faults.length === 0 ? `${dir}: ok (${r.warnings.length} warnings)` : `${dir}: ${r.faults.length} faults, ${r.warnings.length} warnings`);
  process.exitCode = r.faults.length === 0 ? 0 : 1;
}

if (require.main === module) main();

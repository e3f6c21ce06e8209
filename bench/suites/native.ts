// Native suite: the addon's hot pieces beside TypeScript implementations of the same thing, same inputs, same run —
// CRC32C (GB/s), Bloom probes/s and block searches/s. Native calls include the N-API crossing, as real callers pay it.
import type { CaseResult } from "../lib/report";
import type { SuiteContext } from "./server";
import { native } from "../../src/native";
import { crc32c, crc32cReference } from "../../src/util/crc32c";
import { buildFilter, hash32, mayContain } from "../../src/engine/sst/bloom";
import { BlockBuilder, BlockIter } from "../../src/engine/sst/block";
import { TableBuilder } from "../../src/engine/sst/builder";
import { BlockCache, Table } from "../../src/engine/sst/reader";
import { nodeFs } from "../../src/engine/io";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

function timeIt(fn: () => number, minMs: number): { ops: number; secs: number } {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  let secs = 0;
  while (secs * 1000 < minMs) {
    ops += fn();
    secs = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { ops, secs };
}

export async function nativeSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const minMs = ctx.quick ? 300 : 1500;
  const add = (workload: string, system: string, value: number, unit = "ops/s"): void => {
    let c = results.find((x) => x.workload === workload && x.system === system);
    if (!c) results.push((c = { suite: "native", workload, system, samples: [], unit }));
    c.samples.push({ rps: value });
  };
  // CRC32C over 64 KiB buffers.
  const buf = Buffer.alloc(64 * 1024);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131) & 0xff;
  // Bloom: a filter of 100 k keys at 10 bits/key, probed with a 50/50 mix of present and absent keys.
  const nkeys = 100_000;
  const keys = Array.from({ length: nkeys }, (_, i) => Buffer.from(`key:${String(i).padStart(12, "0")}`));
  const probes = Array.from({ length: 4096 }, (_, i) => Buffer.from(`key:${String(i % 2 === 0 ? i * 23 : nkeys + i).padStart(12, "0")}`));
  const hashes = new Uint32Array(nkeys);
  keys.forEach((k, i) => (hashes[i] = hash32(k)));
  const filter = buildFilter(hashes, nkeys, 10);
  // Block search: a 4 KiB data block of 100-byte values, searched for keys it holds.
  const bb = new BlockBuilder(16);
  const blockKeys: Buffer[] = [];
  for (let i = 0; bb.estimatedSize < 4096; i++) {
    const k = Buffer.from(`m:key:${String(i * 3).padStart(12, "0")}`);
    blockKeys.push(k);
    bb.add(k, 1000 + i, Buffer.alloc(100, 0x61));
  }
  const block = bb.finish();
  // Table point reads: one table of 100 k keys × 100-byte values (about 12 MB), looked up in a scattered order, on the
  // mapped native reader and on the TypeScript reader of the same file (no block cache, so both verify each block).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-bench-native-"));
  const tableFile = path.join(dir, "000001.sst");
  const parts: Buffer[] = [];
  const tb = new TableBuilder({}, (x) => parts.push(Buffer.from(x)));
  keys.forEach((k, i) => tb.add(k, i + 1, Buffer.alloc(100, 0x61 + (i % 26))));
  tb.finish();
  fs.writeFileSync(tableFile, Buffer.concat(parts));
  const readCounters = { bloomProbes: 0, bloomNegatives: 0, blockReads: 0 };
  const lookups = Array.from({ length: 4096 }, (_, i) => keys[(i * 7919) % nkeys]);
  for (let r = 0; r < ctx.repeats; r++) {
    ctx.progress(`native crc32c #${r + 1}`);
    let t = timeIt(() => (crc32c(buf), buf.length), minMs);
    add("crc32c 64 KiB (GB/s)", "native", t.ops / t.secs / 1e9, "GB/s");
    t = timeIt(() => (crc32cReference(buf), buf.length), minMs / 3);
    add("crc32c 64 KiB (GB/s)", "typescript", t.ops / t.secs / 1e9, "GB/s");
    ctx.progress(`native bloom #${r + 1}`);
    if (native.bloomMayContain) {
      const probe = native.bloomMayContain;
      t = timeIt(() => {
        for (const k of probes) probe(filter, k);
        return probes.length;
      }, minMs);
      add("bloom probe (hash + k probes)", "native", t.ops / t.secs);
    }
    t = timeIt(() => {
      for (const k of probes) mayContain(filter, hash32(k));
      return probes.length;
    }, minMs);
    add("bloom probe (hash + k probes)", "typescript", t.ops / t.secs);
    ctx.progress(`native block search #${r + 1}`);
    if (native.blockSeek) {
      const seek = native.blockSeek;
      t = timeIt(() => {
        for (const k of blockKeys) seek(block, k, Number.MAX_SAFE_INTEGER);
        return blockKeys.length;
      }, minMs);
      add("block search (4 KiB block)", "native", t.ops / t.secs);
    }
    t = timeIt(() => {
      for (const k of blockKeys) new BlockIter(block).seek(k, Number.MAX_SAFE_INTEGER);
      return blockKeys.length;
    }, minMs);
    add("block search (4 KiB block)", "typescript", t.ops / t.secs);
    ctx.progress(`native table point read #${r + 1}`);
    for (const [system, fsys] of [["native", nodeFs], ["typescript", { ...nodeFs, mapTables: false }]] as const) {
      if (system === "native" && !native.mapTable) continue;
      const table = Table.open(fsys, tableFile, 1, new BlockCache(0), readCounters);
      t = timeIt(() => {
        for (const k of lookups) table.get(k, Number.MAX_SAFE_INTEGER);
        return lookups.length;
      }, minMs);
      table.close();
      add("table point read (100 k keys, 100 B values)", system, t.ops / t.secs);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  if (!native.blockSeek) ctx.skip("native suite: this build has no table functions (non-Linux): native block search and Bloom skipped");
  return results;
}

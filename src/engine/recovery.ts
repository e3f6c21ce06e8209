// Recovery at open: what the WAL segments hold replayed into a memtable (notes left to the series store), torn
// tails cut or damage refused, the memtable flushed to L0 tables on the way when it fills (LevelDB's bound on
// recovery), and the tables the manifest names opened and checked.
import * as path from "node:path";
import { corruption, TskvError } from "./errors";
import type { FileSystem } from "./io";
import { runJob } from "./jobs";
import { applyEdit, FileMeta, ManifestState, manifestName } from "./manifest";
import { SkipList } from "./memtable/skiplist";
import type { TableOptions } from "./sst/builder";
import { parseTableName, tableName } from "./sst/format";
import { BlockCache, ReadCounters, Table } from "./sst/reader";
import type { TableHandle } from "./version";
import type { EngineLogger } from "./types";
import { parseSegmentName, segmentName } from "./wal/format";
import { readSegment } from "./wal/reader";
import { scanBatch, SegmentNotes } from "./wal/notes";
import { pickMeta } from "./background";
import { decodeBatch, isBig } from "./batch";
import { checkSegmentHeader, cutSegment } from "./files";

/** What replayLog() found and rebuilt. */
export interface Replay {
  /** The directory's file names when the replay began. */
  names: string[];
  /** Live WAL segments (at or above the manifest's log number), ascending. */
  numbers: number[];
  /** What each segment read holds: its last note, whether it holds writes. */
  noteInfo: Map<number, SegmentNotes>;
  mem: SkipList;
  lastSeq: number;
  recoveryTables: number;
  replayedBytes: number;
  replayedBatches: number;
}

/**
 * Replays the WAL segments of `dir` over the manifest state `mstate` (which a flush on the way updates), after
 * removing tables no manifest names.
 */
export async function replayLog(
  fs: FileSystem,
  dir: string,
  mstate: ManifestState,
  opts: { memtableSize: number; repair: boolean; table: TableOptions },
  log: EngineLogger,
): Promise<Replay> {
  const names = fs.readdirSync(dir);
  // Tables no manifest names (a flush or compaction a crash or close() stopped) go before anything is written:
  // on a full disk they can be what the new WAL segment and manifest need room for.
  const named = new Set(mstate.levels.flat().map((m) => m.number));
  for (const name of names) {
    const t = parseTableName(name);
    if (t === undefined || named.has(t)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      log.info("removed obsolete file", { file: name });
    } catch {
      // gone already
    }
  }
  const numbers = names
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined && n >= mstate.logNumber)
    .sort((a, b) => a - b);
  // Segments below the log number hold writes already in tables; they are read only for their notes (docs/format.md,
  // "WAL notes"): one that holds notes stays, the others go with the obsolete files.
  const noteInfo = new Map<number, SegmentNotes>();
  const older = names
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined && n < mstate.logNumber)
    .sort((a, b) => a - b);
  for (const n of older) {
    const info: SegmentNotes = { lastNote: -1, hasWrites: true };
    const read = readSegment(fs.readFileSync(path.join(dir, segmentName(n))));
    for (let r = 1; r < read.records.length; r++) scanBatch(read.records[r], info);
    if (info.lastNote >= 0) noteInfo.set(n, info);
  }
  let mem = new SkipList();
  let lastSeq = mstate.lastSequence;
  let recoveryTables = 0;
  let replayedBytes = 0;
  let replayedBatches = 0;
  for (let i = 0; i < numbers.length; i++) {
    const file = path.join(dir, segmentName(numbers[i]));
    const data = fs.readFileSync(file);
    replayedBytes += data.length;
    const read = readSegment(data);
    const isLast = i === numbers.length - 1;
    let records = read.records;
    if (records.length > 0) checkSegmentHeader(file, records[0]);
    records = records.slice(1);
    const info: SegmentNotes = { lastNote: -1, hasWrites: false };
    for (const rec of records) {
      const batch = decodeBatch(rec);
      if (!batch) throw corruption(file, 0, "malformed write batch inside a record with a valid checksum");
      batch.ops.forEach((op, k) => {
        // Notes never enter the memtable: the series store replays them (replayNotes).
        if (op.type === "note") {
          info.lastNote = batch.firstSeq + k;
          return;
        }
        info.hasWrites = true;
        // Writes already in tables (a crash between manifest edit and segment deletion) are not replayed twice.
        // Views of the segment's bytes: the memtable copies them, except a value it would keep (isBig).
        if (batch.firstSeq + k > mstate.lastSequence) mem.insert(op.key, batch.firstSeq + k, op.type === "put" ? (isBig(op) ? Buffer.from(op.value) : op.value) : null);
      });
      lastSeq = Math.max(lastSeq, batch.firstSeq + batch.ops.length - 1);
      replayedBatches++;
    }
    noteInfo.set(numbers[i], info);
    if (read.damage) {
      const dropped = data.length - read.goodEnd;
      const where = `${segmentName(numbers[i])} at offset ${read.damage.offset} (${read.damage.reason})`;
      const tornTail = isLast && !read.validAfterDamage;
      if (!tornTail && !opts.repair) {
        throw new TskvError(
          "TSKV_ERR_CORRUPTION",
          `WAL corruption in ${where}; --repair would drop ${dropped} bytes of ${segmentName(numbers[i])} from offset ${read.goodEnd} to ${data.length}`,
          file,
          read.damage.offset,
        );
      }
      cutSegment(fs, file, read.goodEnd);
      log.warn(tornTail ? "WAL tail cut at the last good record" : "WAL repaired: damaged records dropped", {
        file: segmentName(numbers[i]),
        offset: read.goodEnd,
        bytesDropped: dropped,
        reason: read.damage.reason,
      });
    }
    // LevelDB's bound on recovery: once the replayed memtable is full, it becomes an L0 table now, at a segment
    // boundary, so the segments it covers can go. Otherwise a server killed again and again before its one big
    // post-recovery flush finished would replay more at every start. The table is named only by the manifest
    // written below; a crash before that leaves an orphan (removed at the next open) and the segments intact.
    if (!isLast && mem.approximateBytes >= opts.memtableSize) {
      // No snapshot exists during recovery: each key's newest version is all anyone can read.
      const number = mstate.nextFile++;
      const result = await runJob({ kind: "flush", dir, number, mem: mem.image(), snapshots: [], table: opts.table }, fs);
      const meta: FileMeta = { number, level: 0, ...pickMeta(result.outputs[0].meta) };
      applyEdit(mstate, { added: [meta], deleted: [], logNumber: numbers[i + 1], nextFile: mstate.nextFile, lastSequence: lastSeq });
      mem = new SkipList();
      recoveryTables++;
    }
  }
  return { names, numbers, noteInfo, mem, lastSeq, recoveryTables, replayedBytes, replayedBatches };
}

/** Opens the tables of the manifest's version; each opened is pushed on `opened` (closed by the caller on failure). */
export function openTables(fs: FileSystem, dir: string, mstate: ManifestState, cache: BlockCache, counters: ReadCounters, opened: Table[]): TableHandle[][] {
  // A missing or damaged table refuses the start with its name.
  return mstate.levels.map((lvl) =>
    lvl.map((meta) => {
      const file = path.join(dir, tableName(meta.number));
      if (!fs.existsSync(file)) throw corruption(manifestName(mstate.manifest), 0, `names ${tableName(meta.number)}, which is missing`);
      const table = Table.open(fs, file, meta.number, cache, counters);
      opened.push(table);
      if (table.fileSize !== meta.size) throw corruption(tableName(meta.number), 0, `is ${table.fileSize} bytes; the manifest says ${meta.size}`);
      return { meta, table, refs: 0, obsolete: false };
    }),
  );
}

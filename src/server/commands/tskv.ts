// tskv's own commands: TSKV.FLUSH (memtable to a durable table), TSKV.COMPACT (full compaction), TSKV.STATS
// (the LSM's shape: levels, files, bytes, amplification, stalls), and the figures of INFO's storage section.
import type { EngineApi, EngineStats } from "../../engine/types";
import type { Keyspace } from "../../model/keyspace";
import { SeriesStore } from "../../model/series/series";
import type { CommandContext } from "../command";
import { CommandError } from "../errors";
import { command } from "./util";

const NOKEY: [number, number, number] = [0, 0, 0];

function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : 0;
}

/** Write amplification: bytes the engine wrote (WAL, flushes, compactions) per byte of user data. */
function writeAmplification(engine: EngineApi): number {
  const c = engine.counters;
  return ratio(c.walBytes + c.flushBytes + c.compactionBytesWritten, c.userBytesWritten);
}

/** Fields of INFO storage, also the top of TSKV.STATS. */
export function storageInfo(engine: EngineApi): Array<[string, string | number]> {
  const s: EngineStats = engine.stats();
  const c = engine.counters;
  const rows: Array<[string, string | number]> = [
    ["memtable_bytes", s.memtableBytes],
    ["memtable_entries", s.entries],
    ["frozen_memtables", s.frozenMemtables],
    ["frozen_memtable_bytes", s.frozenBytes],
    ["wal_segments", s.walSegments],
    ["sstable_files", s.tableFiles],
    ["sstable_bytes", s.tableBytes],
  ];
  for (const l of s.levels) if (l.files > 0) rows.push([`level${l.level}`, `files=${l.files},bytes=${l.bytes},entries=${l.entries}`]);
  rows.push(
    ["flush_in_progress", s.flushing ? 1 : 0],
    ["flushes", c.flushes],
    ["flush_bytes", c.flushBytes],
    ["compaction_in_progress", s.compacting ? 1 : 0],
    ["compactions", c.compactions],
    ["compaction_bytes_read", c.compactionBytesRead],
    ["compaction_bytes_written", c.compactionBytesWritten],
    ["write_amplification", writeAmplification(engine)],
    ["write_stalled", s.stalled ? 1 : 0],
    ["write_stalls", c.stalls],
    ["write_stall_ms", Math.round(c.stallMicros / 1000)],
    ["block_cache_bytes", s.blockCacheBytes],
    ["block_cache_hits", s.blockCacheHits],
    ["block_cache_misses", s.blockCacheMisses],
    ["bloom_probes", s.bloomProbes],
    ["bloom_negatives", s.bloomNegatives],
  );
  return rows;
}

function stats(ctx: CommandContext): void {
  const engine = ctx.server.engine;
  const s = engine.stats();
  const c = engine.counters;
  const r = ctx.reply;
  const live = s.levels.filter((l) => l.files > 0);
  // Space amplification: table bytes per byte of the newest data, approximated by the last level's share.
  const last = live.length > 0 ? live[live.length - 1].bytes : 0;
  r.mapHeader(9);
  r.bulk("levels");
  r.arrayHeader(live.length);
  for (const l of live) {
    r.mapHeader(4);
    r.bulk("level");
    r.integer(l.level);
    r.bulk("files");
    r.integer(l.files);
    r.bulk("bytes");
    r.integer(l.bytes);
    r.bulk("entries");
    r.integer(l.entries);
  }
  r.bulk("files");
  r.integer(s.tableFiles);
  r.bulk("bytes");
  r.integer(s.tableBytes);
  r.bulk("memtable_bytes");
  r.integer(s.memtableBytes + s.frozenBytes);
  r.bulk("write_amplification");
  r.double(writeAmplification(engine));
  r.bulk("space_amplification");
  r.double(ratio(s.tableBytes, last));
  r.bulk("flushes");
  r.integer(c.flushes);
  r.bulk("compactions");
  r.integer(c.compactions);
  r.bulk("stalls");
  r.mapHeader(3);
  r.bulk("count");
  r.integer(c.stalls);
  r.bulk("ms");
  r.integer(Math.round(c.stallMicros / 1000));
  r.bulk("stalled");
  r.integer(s.stalled ? 1 : 0);
}

/**
 * Full compaction: series fold their newest chunk into a compressed base and the chunks of deleted series are
 * removed first, so what remains on disk is only live, compressed data; then the engine compacts everything.
 */
async function compactAll(ctx: CommandContext): Promise<void> {
  const ks = ctx.server.extensions.get("keyspace") as Keyspace | undefined;
  // The series pass writes (folded chunks); while writes are stopped at the memtable's hard limit it is skipped, so
  // the compaction that ends the stall still runs.
  if (ks && ctx.server.engine.writable) await SeriesStore.of(ks).prepareFullCompaction();
  await ctx.server.engine.compactAll();
}

async function waitFor(ctx: CommandContext, work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (e) {
    throw new CommandError(`ERR ${(e as Error).message}`);
  }
  ctx.reply.simple("OK");
}

export const tskvCommands = [
  command("tskv.flush", 1, ["write", "admin"], NOKEY, "server", "0.1.0", "Writes the memtable to a table on disk; replies when it is durable.", (ctx) =>
    waitFor(ctx, ctx.server.engine.flush()),
  ),
  command("tskv.compact", 1, ["write", "admin"], NOKEY, "server", "0.1.0", "Flushes, then compacts every table into one sorted run; replies when done.", (ctx) =>
    waitFor(ctx, compactAll(ctx)),
  ),
  command("tskv.stats", 1, ["readonly", "admin", "loading", "stale"], NOKEY, "server", "0.1.0", "Reports the LSM's levels, files, bytes, amplification and stalls.", (ctx) =>
    stats(ctx),
  ),
];

// Reads of a series: the chunks a range touches (sealed chunks from the engine, the newest chunk from memory), their
// points, and what TS.INFO shows; the labels index. Functions of the engine and a series' state (series.ts delegates).
import type { EngineApi } from "../../engine/types";
import type { Point } from "./aggregate";
import { chunkCount, chunkFirstTimestamp, chunkLastTimestamp } from "./codec";
import { encodeHeader } from "./header";
import { chunkKey, chunkRange, chunkStartOf, labelValueRange } from "./layout";
import { encodePoints } from "./open-chunk";
import { chunkTotal, ChunkInfo, ChunkSlice, retentionFloor, sliceIn, sliceOf, SeriesState, totalSamples, lastTimestamp } from "./state";

/**
 * The chunks a range touches, in time order (newest first when `reverse`): sealed chunks as their stored
 * (compressed) bytes, read from the engine one at a time as the caller goes; the newest chunk's points in range as
 * a slice of memory. Sealed chunks may hold no point in range (callers slice them).
 */
function* pieces(engine: EngineApi, s: SeriesState, from: number, to: number, reverse: boolean): Generator<Buffer | ChunkSlice> {
  if (s.openStart === null || from > to) return;
  const id = s.header.id;
  const range = chunkRange(id);
  const openKey = chunkKey(id, s.openStart);
  const open = sliceIn(s.ts, s.vals, s.n, from, to);
  if (!reverse) {
    if (s.header.sealedChunks > 0 && from < s.openStart) {
      let startKey = range.gte;
      // The chunk holding `from`: the last to start at or before it (timestamps are never negative, so from 0 on
      // it is the first, and no seek is needed).
      if (from > 0) for (const [k] of engine.iterate({ gte: range.gte, lte: chunkKey(id, from), reverse: true, limit: 1 })) startKey = k;
      for (const [k, buf] of engine.iterate({ gte: startKey, lt: openKey })) {
        if (chunkStartOf(k) > to) return;
        yield buf;
      }
    }
    if (open) yield open;
    return;
  }
  if (open) yield open;
  if (s.header.sealedChunks === 0 || from >= s.openStart) return;
  const upper = to < s.openStart ? chunkKey(id, to) : openKey;
  const bound = to < s.openStart ? { lte: upper } : { lt: upper };
  for (const [, buf] of engine.iterate({ gte: range.gte, ...bound, reverse: true })) {
    if (chunkLastTimestamp(buf) < from) return;
    yield buf;
  }
}

/**
 * The chunks holding points inside [from, to], as slices, in time order (newest first when `reverse`). Reads
 * chunks one at a time from the engine; the newest chunk comes from memory.
 */
export function* slices(engine: EngineApi, s: SeriesState, from: number, to: number, reverse: boolean): Generator<ChunkSlice> {
  for (const p of pieces(engine, s, from, to, reverse)) {
    const sl = Buffer.isBuffer(p) ? sliceOf(p, from, to) : p;
    if (sl) yield sl;
  }
}

/**
 * The chunks a range touches, captured now in reply order: sealed chunks as their compressed bytes (owned
 * copies, a few bytes per point), the newest chunk's points in range as a copied slice. A streaming reply decodes
 * them piece by piece later, from this fixed view, whatever writes happen meanwhile.
 */
export function capture(engine: EngineApi, s: SeriesState, from: number, to: number, reverse: boolean, enough = Infinity): Captured {
  const out: Array<Buffer | ChunkSlice> = [];
  let points = 0;
  for (const p of pieces(engine, s, from, to, reverse)) {
    out.push(Buffer.isBuffer(p) ? p : { ts: p.ts.slice(p.lo, p.hi + 1), vals: p.vals.slice(p.lo, p.hi + 1), lo: 0, hi: p.hi - p.lo });
    // A plain range with COUNT reads no chunk past the one that completes it.
    if ((points += pieceCount(p, from, to)) >= enough) break;
  }
  return { pieces: out, points };
}

/** What capture() took: the pieces, and how many of their points lie inside the range. */
export interface Captured {
  pieces: Array<Buffer | ChunkSlice>;
  points: number;
}

/** Points of a piece inside [from, to]: from the chunk header alone when the chunk lies wholly inside. */
export function pieceCount(p: Buffer | ChunkSlice, from: number, to: number): number {
  if (!Buffer.isBuffer(p)) return p.hi - p.lo + 1;
  if (chunkFirstTimestamp(p) >= from && chunkLastTimestamp(p) <= to) return chunkCount(p);
  const sl = sliceOf(p, from, to);
  return sl ? sl.hi - sl.lo + 1 : 0;
}

/** Points inside [from, to] one by one (for aggregation and reducers). */
export function* points(engine: EngineApi, s: SeriesState, from: number, to: number, reverse: boolean): Generator<Point> {
  for (const sl of slices(engine, s, from, to, reverse)) {
    if (!reverse) for (let i = sl.lo; i <= sl.hi; i++) yield [sl.ts[i], sl.vals[i]];
    else for (let i = sl.hi; i >= sl.lo; i--) yield [sl.ts[i], sl.vals[i]];
  }
}

/** The first visible timestamp and how many stored points retention hides (TS.INFO). */
export function firstValid(engine: EngineApi, s: SeriesState): { first: number; skipped: number } {
  if (totalSamples(s) === 0) return { first: 0, skipped: 0 };
  const floor = retentionFloor(s);
  let skipped = 0;
  for (const sl of slices(engine, s, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, false)) {
    for (let i = sl.lo; i <= sl.hi; i++) {
      if (sl.ts[i] >= floor) return { first: sl.ts[i], skipped };
      skipped++;
    }
  }
  return { first: lastTimestamp(s), skipped };
}

/** Every chunk of the series in order, for TS.INFO DEBUG. */
export function chunkInfos(engine: EngineApi, s: SeriesState): ChunkInfo[] {
  const out: ChunkInfo[] = [];
  if (s.openStart === null) return out;
  const range = chunkRange(s.header.id);
  for (const [, buf] of engine.iterate({ gte: range.gte, lt: chunkKey(s.header.id, s.openStart) })) {
    out.push({ first: chunkFirstTimestamp(buf), last: chunkLastTimestamp(buf), samples: chunkCount(buf), bytes: buf.length });
  }
  if (s.n > 0) out.push({ first: s.ts[0], last: s.ts[s.n - 1], samples: s.n, bytes: encodePoints(s).length });
  return out;
}

/** Bytes the series takes in the engine: header, chunks and their keys. */
export function memoryUsage(s: SeriesState): number {
  const open = s.n > 0 ? encodePoints(s).length : 0;
  return encodeHeader(s.header).length + 9 + s.key.length + s.header.sealedBytes + open + chunkTotal(s) * 17;
}


/**
 * Keys of series whose label `name` has one of `values`, in key order, from the labels index. Entries whose key
 * no longer holds such a series are skipped by the caller's check of the header.
 */
export function keysWithLabel(engine: EngineApi, name: string, values: string[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const value of values) {
    const r = labelValueRange(name, value);
    for (const [k] of engine.iterate({ gte: r.gte, lt: r.lt })) {
      const key = k.subarray(r.prefixLength);
      seen.set(key.toString("latin1"), key);
    }
  }
  return [...seen.values()].sort(Buffer.compare);
}

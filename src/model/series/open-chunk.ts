// The newest chunk in the engine (docs/format.md, "Time series on disk"): a base (a compressed chunk that records the
// delta sequence and the WAL notes it covers) and delta entries holding the points appended since; the WAL notes
// that log appends before a delta or base holds them; and the codec's chunks as Points.
import { decodeChunk, encodeChunk } from "./codec";
import type { Points } from "./state";

/** Deltas of this many points or more are compressed; fewer are stored raw (compressing them costs more). */
const DELTA_COMPRESS_AT = 16;
/** RAW and CHUNK: version 1 (no notes covered); RAW_N and CHUNK_N also record the WAL notes they cover. */
const DeltaKind = { RAW: 0, CHUNK: 1, RAW_N: 2, CHUNK_N: 3 } as const;
/** First byte of a newest chunk's base that records the delta sequence it covers (a bare chunk covers none). */
const BASE_TAG = 0xb5;
/** Like BASE_TAG, and the base also records the engine sequence up to which it covers the series' WAL notes. */
const BASE_TAG_N = 0xb6;
const TWO32 = 0x100000000;

function putSeq(b: Buffer, at: number, seq: number): void {
  b.writeUInt32LE(seq % TWO32, at);
  b.writeUInt32LE(Math.floor(seq / TWO32), at + 4);
}

function getSeq(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * TWO32;
}

/** Points decoded from a stored piece of the newest chunk, with the WAL notes (engine sequence) that piece covers. */
export interface CoveringPoints extends Points {
  notes: number;
}

/**
 * A delta value: seq u32 LE | kind u8 | notes u64 LE | RAW_N: (ts f64 LE | value f64 LE)*, or CHUNK_N: a compressed
 * chunk (codec.ts) — the points ts[from..to) appended to the newest chunk since the last delta or base, covering the
 * series' WAL notes up to engine sequence `notes`. (Kinds RAW and CHUNK, read but no longer written, have no notes
 * field.)
 */
export function encodeDelta(seq: number, ts: Float64Array, vals: Float64Array, from: number, to: number, notes: number): Buffer {
  if (to - from >= DELTA_COMPRESS_AT) {
    const c = encodeChunk(ts.subarray(from, to), vals.subarray(from, to));
    const b = Buffer.allocUnsafe(c.length + 13);
    b.writeUInt32LE(seq, 0);
    b[4] = DeltaKind.CHUNK_N;
    putSeq(b, 5, notes);
    c.copy(b, 13);
    return b;
  }
  const b = Buffer.allocUnsafe(13 + (to - from) * 16);
  b.writeUInt32LE(seq, 0);
  b[4] = DeltaKind.RAW_N;
  putSeq(b, 5, notes);
  for (let i = from, p = 13; i < to; i++, p += 16) {
    b.writeDoubleLE(ts[i], p);
    b.writeDoubleLE(vals[i], p + 8);
  }
  return b;
}

export function deltaSeqOf(b: Buffer): number {
  return b.readUInt32LE(0);
}

export function decodeDelta(b: Buffer): CoveringPoints {
  const kind = b[4];
  const withNotes = kind === DeltaKind.RAW_N || kind === DeltaKind.CHUNK_N;
  const at = withNotes ? 13 : 5;
  if (b.length < at) throw new Error(`bad series delta (${b.length} bytes)`);
  const notes = withNotes ? getSeq(b, 5) : 0;
  if (kind === DeltaKind.CHUNK || kind === DeltaKind.CHUNK_N) return { ...decodePoints(b.subarray(at)), notes };
  if ((kind !== DeltaKind.RAW && kind !== DeltaKind.RAW_N) || (b.length - at) % 16 !== 0) throw new Error(`bad series delta (kind ${kind}, ${b.length} bytes)`);
  const n = (b.length - at) >>> 4;
  const ts = new Float64Array(n);
  const vals = new Float64Array(n);
  for (let i = 0, p = at; i < n; i++, p += 16) {
    ts[i] = b.readDoubleLE(p);
    vals[i] = b.readDoubleLE(p + 8);
  }
  return { ts, vals, n, notes };
}

/**
 * The newest chunk's base: BASE_TAG_N | covered delta seq u32 LE | notes u64 LE | chunk, covering the deltas below
 * `covered` and the series' WAL notes up to engine sequence `notes`; a bare chunk when it covers neither. (BASE_TAG
 * | covered u32 | chunk is read but no longer written.)
 */
export function encodeBase(p: Points, covered: number, notes: number): Buffer {
  const c = encodePoints(p);
  if (covered === 0 && notes === 0) return c;
  const b = Buffer.allocUnsafe(c.length + 13);
  b[0] = BASE_TAG_N;
  b.writeUInt32LE(covered, 1);
  putSeq(b, 5, notes);
  c.copy(b, 13);
  return b;
}

export function decodeBase(b: Buffer): { p: Points; covered: number; notes: number } {
  if (b[0] === BASE_TAG_N) return { p: decodePoints(b.subarray(13)), covered: b.readUInt32LE(1), notes: getSeq(b, 5) };
  if (b[0] === BASE_TAG) return { p: decodePoints(b.subarray(5)), covered: b.readUInt32LE(1), notes: 0 };
  return { p: decodePoints(b), covered: 0, notes: 0 };
}

/** The one kind of WAL note the series store writes (engine "note" ops: logged, never in the memtable). */
export const NOTE_APPEND = 1;

/**
 * A note: the points ts[from..to) appended to series `id` by one command, logged in the WAL only (the store holds
 * them in memory until a delta or base covers them). Value: kind u8 (NOTE_APPEND) | series id u64 LE |
 * (ts f64 LE | value f64 LE)+; the note's key is the series' user key.
 */
export function encodeNote(id: number, ts: Float64Array, vals: Float64Array, from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(9 + (to - from) * 16);
  b[0] = NOTE_APPEND;
  putSeq(b, 1, id);
  for (let i = from, p = 9; i < to; i++, p += 16) {
    b.writeDoubleLE(ts[i], p);
    b.writeDoubleLE(vals[i], p + 8);
  }
  return b;
}

/** The series id and points of a note; undefined when it is not a well-formed append note. */
export function decodeNote(b: Buffer): { id: number; ts: Float64Array; vals: Float64Array } | undefined {
  if (b.length < 9 + 16 || b[0] !== NOTE_APPEND || (b.length - 9) % 16 !== 0) return undefined;
  const n = (b.length - 9) >>> 4;
  const ts = new Float64Array(n);
  const vals = new Float64Array(n);
  for (let i = 0, p = 9; i < n; i++, p += 16) {
    ts[i] = b.readDoubleLE(p);
    vals[i] = b.readDoubleLE(p + 8);
  }
  return { id: getSeq(b, 1), ts, vals };
}

export function encodePoints(p: Points): Buffer {
  return encodeChunk(p.ts, p.vals, p.n);
}

export function decodePoints(buf: Buffer, extra = 0): Points {
  const d = decodeChunk(buf);
  const n = d.timestamps.length;
  if (extra === 0) return { ts: d.timestamps, vals: d.values, n };
  const p: Points = { ts: new Float64Array(n + extra), vals: new Float64Array(n + extra), n };
  p.ts.set(d.timestamps);
  p.vals.set(d.values);
  return p;
}

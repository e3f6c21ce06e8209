// The newest chunk in the engine (docs/format.md, "Time series on disk"): a base (a compressed chunk that records the
// delta sequence it covers) and delta entries holding the points appended since, and the codec's chunks as Points.
import { decodeChunk, encodeChunk } from "./codec";
import type { Points } from "./state";

/** Deltas of this many points or more are compressed; fewer are stored raw (compressing them costs more). */
const DELTA_COMPRESS_AT = 16;
const DeltaKind = { RAW: 0, CHUNK: 1 } as const;
/** First byte of a newest chunk's base that records the delta sequence it covers (a bare chunk covers none). */
const BASE_TAG = 0xb5;

/**
 * A delta value: seq u32 LE | kind u8 | RAW: (ts f64 LE | value f64 LE)*, or CHUNK: a compressed chunk (codec.ts)
 * — the points ts[from..to) appended to the newest chunk by one command.
 */
export function encodeDelta(seq: number, ts: Float64Array, vals: Float64Array, from: number, to: number): Buffer {
  if (to - from >= DELTA_COMPRESS_AT) {
    const c = encodeChunk(ts.subarray(from, to), vals.subarray(from, to));
    const b = Buffer.allocUnsafe(c.length + 5);
    b.writeUInt32LE(seq, 0);
    b[4] = DeltaKind.CHUNK;
    c.copy(b, 5);
    return b;
  }
  const b = Buffer.allocUnsafe(5 + (to - from) * 16);
  b.writeUInt32LE(seq, 0);
  b[4] = DeltaKind.RAW;
  for (let i = from, p = 5; i < to; i++, p += 16) {
    b.writeDoubleLE(ts[i], p);
    b.writeDoubleLE(vals[i], p + 8);
  }
  return b;
}

export function deltaSeqOf(b: Buffer): number {
  return b.readUInt32LE(0);
}

export function decodeDelta(b: Buffer): Points {
  if (b[4] === DeltaKind.CHUNK) return decodePoints(b.subarray(5));
  if (b[4] !== DeltaKind.RAW || (b.length - 5) % 16 !== 0) throw new Error(`bad series delta (kind ${b[4]}, ${b.length} bytes)`);
  const n = (b.length - 5) >>> 4;
  const ts = new Float64Array(n);
  const vals = new Float64Array(n);
  for (let i = 0, p = 5; i < n; i++, p += 16) {
    ts[i] = b.readDoubleLE(p);
    vals[i] = b.readDoubleLE(p + 8);
  }
  return { ts, vals, n };
}

/** The newest chunk's base: BASE_TAG | covered seq u32 LE | chunk, or a bare chunk (covers no delta). */
export function encodeBase(p: Points, covered: number): Buffer {
  const c = encodePoints(p);
  if (covered === 0) return c;
  const b = Buffer.allocUnsafe(c.length + 5);
  b[0] = BASE_TAG;
  b.writeUInt32LE(covered, 1);
  c.copy(b, 5);
  return b;
}

export function decodeBase(b: Buffer): { p: Points; covered: number } {
  if (b[0] === BASE_TAG) return { p: decodePoints(b.subarray(5)), covered: b.readUInt32LE(1) };
  return { p: decodePoints(b), covered: 0 };
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

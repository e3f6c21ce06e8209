// Engine keys of the time-series face (docs/format.md, "Time series on disk", "Chunk keys" and "Labels index"), over the prefixes
// of src/model/keys.ts:
//   CHUNK 'c' | series id u64 BE | chunk start i64 BE, sign bit flipped  → a compressed chunk (codec.ts)
//   CHUNK 'c' | series id u64 BE | chunk start … | delta seq u32 BE    → points appended to the newest chunk
//                                                                        since its base (series.ts, "delta")
//   LABEL 'l' | label name | 0x00 | label value | 0x00 | user key       → empty
//   SYS   's' | "series-next-id"                                        → next series id, u64 LE
import { Prefix } from "../keys";

const TWO32 = 0x100000000;

/** Lowest and highest chunk starts a key can name (timestamps are safe integers). */
export const MIN_TS = -Number.MAX_SAFE_INTEGER;
export const MAX_TS = Number.MAX_SAFE_INTEGER;

function writeU64BE(b: Buffer, v: number, at: number): void {
  b.writeUInt32BE(Math.floor(v / TWO32), at);
  b.writeUInt32BE(v % TWO32, at + 4);
}

/** i64 big-endian with the sign bit flipped, so keys order like the numbers. */
function writeOrderedI64(b: Buffer, v: number, at: number): void {
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  b.writeUInt32BE(((hi >>> 0) ^ 0x80000000) >>> 0, at);
  b.writeUInt32BE(lo >>> 0, at + 4);
}

function readOrderedI64(b: Buffer, at: number): number {
  const hi = (b.readUInt32BE(at) ^ 0x80000000) | 0;
  return hi * TWO32 + b.readUInt32BE(at + 4);
}

export function chunkKey(id: number, start: number): Buffer {
  const k = Buffer.allocUnsafe(17);
  k[0] = Prefix.CHUNK;
  writeU64BE(k, id, 1);
  writeOrderedI64(k, start, 9);
  return k;
}

/** Length of a delta key (a chunk key has 17 bytes). */
export const DELTA_KEY_LENGTH = 21;

/** A delta entry of the newest chunk starting at `start`: sorts right after that chunk's key, before the next one. */
export function deltaKey(id: number, start: number, seq: number): Buffer {
  const k = Buffer.allocUnsafe(DELTA_KEY_LENGTH);
  k[0] = Prefix.CHUNK;
  writeU64BE(k, id, 1);
  writeOrderedI64(k, start, 9);
  k.writeUInt32BE(seq, 17);
  return k;
}

/** The chunk start a chunk key names. */
export function chunkStartOf(key: Buffer): number {
  return readOrderedI64(key, 9);
}

/** The series id a chunk or delta key belongs to. */
export function seriesIdOf(key: Buffer): number {
  return key.readUInt32BE(1) * TWO32 + key.readUInt32BE(5);
}

/** Bounds covering every chunk of a series. */
export function chunkRange(id: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.alloc(9);
  gte[0] = Prefix.CHUNK;
  writeU64BE(gte, id, 1);
  const lt = Buffer.alloc(9);
  lt[0] = Prefix.CHUNK;
  writeU64BE(lt, id + 1, 1);
  return { gte, lt };
}

const ZERO = Buffer.from([0]);

export function labelKey(name: string, value: string, userKey: Buffer): Buffer {
  return Buffer.concat([Buffer.from([Prefix.LABEL]), Buffer.from(name, "latin1"), ZERO, Buffer.from(value, "latin1"), ZERO, userKey]);
}

/** Bounds covering the index entries of one (label, value) pair; the user key is what follows the prefix. */
export function labelValueRange(name: string, value: string): { gte: Buffer; lt: Buffer; prefixLength: number } {
  const gte = Buffer.concat([Buffer.from([Prefix.LABEL]), Buffer.from(name, "latin1"), ZERO, Buffer.from(value, "latin1"), ZERO]);
  const lt = Buffer.from(gte);
  lt[lt.length - 1] = 1;
  return { gte, lt, prefixLength: gte.length };
}

export const NEXT_ID_KEY = Buffer.concat([Buffer.from([Prefix.SYS]), Buffer.from("series-next-id", "latin1")]);

export function encodeNextId(id: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(id % TWO32, 0);
  b.writeUInt32LE(Math.floor(id / TWO32), 4);
  return b;
}

export function decodeNextId(b: Buffer | undefined): number {
  if (!b || b.length !== 8) return 1;
  return b.readUInt32LE(0) + b.readUInt32LE(4) * TWO32;
}

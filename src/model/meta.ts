// The META value every user key has (docs/format.md, "Engine keyspace"):
//   type tag u8 | expire-at i64 LE (ms since the epoch, 0 = no expiry) | the type's payload
// For a string the payload is the value's bytes; for a series it is the series header (src/model/series/).
import { copyBytes, getI32LE, getU32LE, putU32LE } from "../util/bytes";
import { TypeTag, TypeTagValue } from "./keys";

export const META_HEADER = 9;

export interface Meta {
  type: TypeTagValue;
  /** ms since the epoch; 0 = never. */
  expireAt: number;
  /** View into the engine value. */
  payload: Buffer;
}

export function encodeMeta(type: TypeTagValue, expireAt: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(META_HEADER + payload.length);
  encodeMetaInto(b, type, expireAt, payload);
  return b;
}

/** Writes a META value at the start of `b` (room for META_HEADER + the payload); returns its length. */
export function encodeMetaInto(b: Buffer, type: TypeTagValue, expireAt: number, payload: Buffer): number {
  b[0] = type;
  // i64 LE without a BigInt: expire-at is a non-negative ms time, far below 2^53.
  putU32LE(b, 1, expireAt % 0x100000000);
  putU32LE(b, 5, Math.floor(expireAt / 0x100000000));
  copyBytes(b, META_HEADER, payload);
  return META_HEADER + payload.length;
}

/** A decoded META value; the payload view is made only when asked for (most writes need the type and expiry alone). */
class DecodedMeta implements Meta {
  constructor(
    readonly type: TypeTagValue,
    readonly expireAt: number,
    private readonly raw: Buffer,
  ) {}

  get payload(): Buffer {
    return this.raw.subarray(META_HEADER);
  }
}

export function decodeMeta(v: Buffer): Meta | undefined {
  if (v.length < META_HEADER) return undefined;
  const type = v[0];
  if (type !== TypeTag.STRING && type !== TypeTag.SERIES) return undefined;
  return new DecodedMeta(type as TypeTagValue, getU32LE(v, 1) + getI32LE(v, 5) * 0x100000000, v);
}

export function typeName(type: TypeTagValue): string {
  return type === TypeTag.STRING ? "string" : "TSDB-TYPE";
}

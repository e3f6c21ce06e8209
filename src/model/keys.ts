// How user keys map onto engine keys (docs/format.md, "Engine keyspace"). Every user key, whatever its type, has
// one metadata entry under META; a series' points live in chunk entries under CHUNK keyed by the series' id, so
// deleting or recreating a key is one small write and its old chunks become unreachable at once (compaction
// reclaims them). The labels index lives under LABEL.
import { BufferViews, copyBytes } from "../util/bytes";

/** Engine key prefixes. One byte each; never reuse a retired value. */
export const Prefix = {
  /** META + user key → type tag, expiry and the type's own header (strings: the value). */
  META: 0x6d, // 'm'
  /** CHUNK + u64 BE series id + i64 BE chunk start (sign bit flipped) → compressed chunk. */
  CHUNK: 0x63, // 'c'
  /** LABEL + label name + 0x00 + label value + 0x00 + user key → empty. */
  LABEL: 0x6c, // 'l'
  /** SYS + name → engine-wide model state (e.g. the next series id). */
  SYS: 0x73, // 's'
} as const;

/** First byte of every META value. */
export const TypeTag = {
  STRING: 1,
  SERIES: 2,
} as const;

export type TypeTagValue = (typeof TypeTag)[keyof typeof TypeTag];

let lastUserKey: Buffer | null = null;
let lastMetaKey: Buffer = Buffer.alloc(0);

/**
 * The META engine key of a user key. A command asks for the same key's META key more than once (look up, then
 * write), so the last one is remembered by the identity of the user key's Buffer; callers never modify it.
 */
export function metaKey(userKey: Buffer): Buffer {
  if (userKey === lastUserKey) return lastMetaKey;
  const k = Buffer.allocUnsafe(userKey.length + 1);
  writeMetaKey(k, 0, userKey);
  lastUserKey = userKey;
  lastMetaKey = k;
  return k;
}

const scratch = Buffer.allocUnsafe(1024);
const scratchViews = new BufferViews();
scratchViews.of(scratch);

/**
 * The META engine key of `userKey` in a scratch buffer every caller shares: a view valid until the next call, for a
 * lookup or a write that does not keep the key (the engine copies what it keeps). Longer keys get their own buffer.
 */
export function scratchMetaKey(userKey: Buffer): Buffer {
  if (userKey.length >= scratch.length) return metaKey(userKey);
  return scratchViews.scratchView(writeMetaKey(scratch, 0, userKey));
}

/** Writes the META engine key of `userKey` into `dst` at `at` (room for 1 + its length); returns where it ends. */
export function writeMetaKey(dst: Buffer, at: number, userKey: Buffer): number {
  dst[at] = Prefix.META;
  copyBytes(dst, at + 1, userKey);
  return at + 1 + userKey.length;
}

export function userKeyOfMeta(engineKey: Buffer): Buffer {
  return engineKey.subarray(1);
}

/** Bounds covering every META entry, for scans of the keyspace. */
export const META_RANGE = {
  gte: Buffer.from([Prefix.META]),
  lt: Buffer.from([Prefix.META + 1]),
};

/** Where a chunk key carries its time (chunk start), so SSTables can record their time range. */
export const SERIES_TIME_KEY = { prefix: Prefix.CHUNK, offset: 9 };

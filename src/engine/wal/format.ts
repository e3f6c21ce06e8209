// WAL constants; the format is drawn in docs/format.md, section "WAL".
// Physical layout follows LevelDB's log: 32 KiB blocks of records, each with a 7-byte header
//   masked CRC32C (u32 LE, over type byte + payload) | length (u16 LE) | type (u8)
// and a block tail shorter than a header is zero-filled. Logical records are split into FIRST/MIDDLE/LAST
// fragments when they cross blocks.

export const BLOCK_SIZE = 32 * 1024;
export const HEADER_SIZE = 7;

export const RecordType = {
  ZERO: 0, // preallocated or padding bytes
  FULL: 1,
  FIRST: 2,
  MIDDLE: 3,
  LAST: 4,
} as const;

/** First byte of every logical record's payload. */
export const PayloadKind = {
  /** Segment header: "TSKVWAL\0" | format version u8 | segment number u64 LE. Always the first record. */
  HEADER: 0x01,
  /** Write batch: first sequence u64 LE | op count u32 LE | ops. */
  BATCH: 0x02,
} as const;

export const SEGMENT_MAGIC = Buffer.from("TSKVWAL\0", "latin1");
export const WAL_FORMAT_VERSION = 1;

/**
 * Op kinds inside a batch: kind u8 | key length varint | key | (PUT and NOTE) value length varint | value. A NOTE is
 * logged and takes a sequence number like a PUT but never enters the memtable (docs/format.md, "WAL notes").
 */
export const OpKind = {
  DEL: 0,
  PUT: 1,
  NOTE: 2,
} as const;

export function segmentName(n: number): string {
  return `${String(n).padStart(6, "0")}.log`;
}

export function parseSegmentName(name: string): number | undefined {
  const m = /^(\d{6,})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

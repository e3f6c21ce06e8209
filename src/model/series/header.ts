// The series header: the META payload of a TSDB-TYPE key (docs/format.md, "Time series on disk", "Series header"). It holds what
// is stable about a series (settings, labels, rules, its id) and the totals of every chunk except the newest one;
// the newest ("open") chunk is read back from the engine, so a plain append rewrites only that chunk, never this
// header. All integers little-endian; i64 fields hold values within ±2^53.
//
//   version u8 (1) | flags u8 | duplicate policy u8 | reserved u8 | chunk size u32 | series id u64
//   | retention i64 | ignore max time diff i64 | ignore max value diff f64
//   | sealed samples u64 | sealed chunks u32 | sealed bytes u64
//   | label count u32 | (name len u32 | name | value len u32 | value)*
//   | source key len u32 (0xFFFFFFFF = none) | source key
//   | rule count u32 | (dest key len u32 | dest key | aggregator u8 | bucket duration i64 | align i64 | from i64)*
//   [ | notes covered u64 ]   (absent in headers written before WAL notes: read as 0)

export const SERIES_HEADER_VERSION = 1;

/** flags */
export const HeaderFlag = {
  /** Created with ENCODING UNCOMPRESSED: reported by TS.INFO; chunks are compressed all the same. */
  UNCOMPRESSED: 1,
} as const;

/** Duplicate policies with their stored codes; 0 = none set (the server default, BLOCK, applies). */
export const DUPLICATE_POLICIES = ["block", "first", "last", "min", "max", "sum"] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

/** Aggregators as stored in rules (code = index + 1). Never reorder: codes are on disk. */
export const RULE_AGGREGATORS = ["avg", "sum", "min", "max", "range", "count", "first", "last", "std.p", "std.s", "var.p", "var.s", "twa"] as const;
export type RuleAggregator = (typeof RULE_AGGREGATORS)[number];

export interface CompactionRule {
  destKey: Buffer;
  aggregator: RuleAggregator;
  bucketDuration: number;
  align: number;
  /** Samples before this timestamp were in the source before the rule existed: its first bucket leaves them out. */
  from: number;
}

export interface SeriesHeader {
  id: number;
  retention: number;
  /** CHUNK_SIZE in bytes, as given; a chunk holds at most chunkSize / 16 points (see maxChunkPoints). */
  chunkSize: number;
  duplicatePolicy: DuplicatePolicy | null;
  uncompressed: boolean;
  ignoreMaxTimeDiff: number;
  ignoreMaxValDiff: number;
  /** Label name → value, in the order given (names and values are latin1 views of the bytes). */
  labels: Array<[string, string]>;
  srcKey: Buffer | null;
  rules: CompactionRule[];
  /** Totals over every chunk but the newest. */
  sealedSamples: number;
  sealedChunks: number;
  sealedBytes: number;
  /**
   * Engine sequence up to which this header's write covers the series' WAL notes (series.ts): a note at or below it
   * is already in the chunks the header describes.
   */
  notesCovered: number;
}

/** Points in one chunk at most: RedisTimeSeries's uncompressed sample size (16 bytes) into CHUNK_SIZE, capped. */
export function maxChunkPoints(chunkSize: number): number {
  return Math.max(2, Math.min(4096, Math.floor(chunkSize / 16)));
}

function writeI64(b: Buffer, v: number, at: number): void {
  b.writeUInt32LE(((v % 0x100000000) + 0x100000000) % 0x100000000, at);
  b.writeInt32LE(Math.floor(v / 0x100000000), at + 4);
}

function readI64(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readInt32LE(at + 4) * 0x100000000;
}

const FIXED = 4 + 4 + 8 + 8 + 8 + 8 + 8 + 4 + 8;

export function encodeHeader(h: SeriesHeader): Buffer {
  const labels = h.labels.map(([n, v]) => [Buffer.from(n, "latin1"), Buffer.from(v, "latin1")]);
  let size = FIXED + 4 + 4 + (h.srcKey ? h.srcKey.length : 0) + 4 + 8;
  for (const [n, v] of labels) size += 8 + n.length + v.length;
  for (const r of h.rules) size += 4 + r.destKey.length + 1 + 24;
  const b = Buffer.alloc(size);
  let p = 0;
  b[p++] = SERIES_HEADER_VERSION;
  b[p++] = h.uncompressed ? HeaderFlag.UNCOMPRESSED : 0;
  b[p++] = h.duplicatePolicy ? DUPLICATE_POLICIES.indexOf(h.duplicatePolicy) + 1 : 0;
  b[p++] = 0;
  b.writeUInt32LE(h.chunkSize, p);
  p += 4;
  writeI64(b, h.id, p);
  p += 8;
  writeI64(b, h.retention, p);
  p += 8;
  writeI64(b, h.ignoreMaxTimeDiff, p);
  p += 8;
  b.writeDoubleLE(h.ignoreMaxValDiff, p);
  p += 8;
  writeI64(b, h.sealedSamples, p);
  p += 8;
  b.writeUInt32LE(h.sealedChunks, p);
  p += 4;
  writeI64(b, h.sealedBytes, p);
  p += 8;
  b.writeUInt32LE(labels.length, p);
  p += 4;
  for (const [n, v] of labels) {
    b.writeUInt32LE(n.length, p);
    p += 4;
    p += n.copy(b, p);
    b.writeUInt32LE(v.length, p);
    p += 4;
    p += v.copy(b, p);
  }
  if (h.srcKey) {
    b.writeUInt32LE(h.srcKey.length, p);
    p += 4;
    p += h.srcKey.copy(b, p);
  } else {
    b.writeUInt32LE(0xffffffff, p);
    p += 4;
  }
  b.writeUInt32LE(h.rules.length, p);
  p += 4;
  for (const r of h.rules) {
    b.writeUInt32LE(r.destKey.length, p);
    p += 4;
    p += r.destKey.copy(b, p);
    b[p++] = RULE_AGGREGATORS.indexOf(r.aggregator) + 1;
    writeI64(b, r.bucketDuration, p);
    writeI64(b, r.align, p + 8);
    writeI64(b, r.from, p + 16);
    p += 24;
  }
  writeI64(b, h.notesCovered, p);
  return b;
}

export class HeaderError extends Error {}

/** Decodes a header; the buffers it returns are copies (the META value may be a view of a reused buffer). */
export function decodeHeader(b: Buffer): SeriesHeader {
  if (b.length < FIXED + 12 || b[0] !== SERIES_HEADER_VERSION) throw new HeaderError(`bad series header (version ${b[0]}, ${b.length} bytes)`);
  const need = (n: number, p: number): void => {
    if (p + n > b.length) throw new HeaderError("truncated series header");
  };
  let p = 1;
  const flags = b[p++];
  const dp = b[p++];
  p++;
  const chunkSize = b.readUInt32LE(p);
  p += 4;
  const id = readI64(b, p);
  p += 8;
  const retention = readI64(b, p);
  p += 8;
  const ignoreMaxTimeDiff = readI64(b, p);
  p += 8;
  const ignoreMaxValDiff = b.readDoubleLE(p);
  p += 8;
  const sealedSamples = readI64(b, p);
  p += 8;
  const sealedChunks = b.readUInt32LE(p);
  p += 4;
  const sealedBytes = readI64(b, p);
  p += 8;
  const nLabels = b.readUInt32LE(p);
  p += 4;
  const labels: Array<[string, string]> = [];
  for (let i = 0; i < nLabels; i++) {
    need(4, p);
    const nl = b.readUInt32LE(p);
    p += 4;
    need(nl + 4, p);
    const name = b.toString("latin1", p, p + nl);
    p += nl;
    const vl = b.readUInt32LE(p);
    p += 4;
    need(vl, p);
    labels.push([name, b.toString("latin1", p, p + vl)]);
    p += vl;
  }
  need(4, p);
  const sl = b.readUInt32LE(p);
  p += 4;
  let srcKey: Buffer | null = null;
  if (sl !== 0xffffffff) {
    need(sl, p);
    srcKey = Buffer.from(b.subarray(p, p + sl));
    p += sl;
  }
  need(4, p);
  const nRules = b.readUInt32LE(p);
  p += 4;
  const rules: CompactionRule[] = [];
  for (let i = 0; i < nRules; i++) {
    need(4, p);
    const dl = b.readUInt32LE(p);
    p += 4;
    need(dl + 25, p);
    const destKey = Buffer.from(b.subarray(p, p + dl));
    p += dl;
    const agg = RULE_AGGREGATORS[b[p++] - 1];
    if (!agg) throw new HeaderError("bad aggregator in series rule");
    rules.push({ destKey, aggregator: agg, bucketDuration: readI64(b, p), align: readI64(b, p + 8), from: readI64(b, p + 16) });
    p += 24;
  }
  const notesCovered = p + 8 <= b.length ? readI64(b, p) : 0;
  return {
    id,
    retention,
    chunkSize,
    duplicatePolicy: dp === 0 ? null : (DUPLICATE_POLICIES[dp - 1] ?? null),
    uncompressed: (flags & HeaderFlag.UNCOMPRESSED) !== 0,
    ignoreMaxTimeDiff,
    ignoreMaxValDiff,
    labels,
    srcKey,
    rules,
    sealedSamples,
    sealedChunks,
    sealedBytes,
    notesCovered,
  };
}

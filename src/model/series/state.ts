// A series' state as commands see it (its header and its newest chunk, decoded), the batch of one command's writes,
// and the helpers over sorted point arrays that the store, its rules and its reads share.
import type { BatchOp } from "../../engine/types";
import { CommandError } from "../../server/errors";
import { chunkLastTimestamp, decodeChunk, encodeChunk } from "./codec";
import type { DuplicatePolicy, SeriesHeader } from "./header";

export const ERR_OLDER_THAN_RETENTION = "ERR TSDB: Timestamp is older than retention";
export const ERR_BLOCKED_UPSERT = "ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode";

/**
 * A head whose arrays take less than this stays unpacked: its packed chunk, in a Buffer of its own, would take about
 * as much heap as the two arrays of 8 points' room it replaces, and 1 M such heads under TS.ADD would be packed and
 * unpacked on every command (at 1 M series of one point, 64 MB of head memory: 20.9 k TS.ADD/s packing against 58.0 k not).
 */
export const PACK_MIN_BYTES = 256;

/**
 * What a store's heads hold as point arrays, against the bound it keeps them under (--series-head-memory): heads
 * over it are packed by the store's sweep (SeriesStore.sweep), least recently used first.
 */
export class HeadMemory {
  /** Bytes of the heads' point arrays (their capacity, both arrays). */
  bytes = 0;
  /** Heads held packed. */
  packed = 0;
  /** The sweep's pass: a head used in this pass is not packed in it (SeriesState.touched). */
  pass = 1;
  /**
   * Set by a turn of the sweep's clock that found no head worth packing (every head small, PACK_MIN_BYTES): the
   * bytes to reach before the next sweep, so that heads too small to pack do not keep a sweep walking them.
   */
  futile = 0;
  /** Heads with arrays smaller than this are not packed (PACK_MIN_BYTES; tests set 0 to pack every head). */
  packMin = PACK_MIN_BYTES;
  constructor(
    public budget: number,
    /** Called when bytes goes over the budget (the store schedules a sweep). */
    readonly over: () => void = () => {},
  ) {}
}

const NO_POINTS: Float64Array = new Float64Array(0);
/** Accounting for heads made outside a store (tests) or let go by one. */
const LOOSE = new HeadMemory(Infinity);

/**
 * A series as commands see it: its header and its newest chunk — the series' head, kept in memory while the series
 * is active. Points of the newest chunk are in three states: `persisted` ones are in engine entries (base +
 * deltas), those up to `written` are logged too, as WAL notes only, and the rest are this command's appends.
 *
 * The newest chunk's points are two arrays (16 bytes a point, and room to grow), or, in a head the store's sweep
 * packed, one compressed chunk (codec.ts: a few bytes a point). `ts` and `vals` unpack a packed head: every use of
 * the points sees arrays; the last point (TS.GET, TS.MGET) is read without unpacking.
 */
export class SeriesState {
  header: SeriesHeader;
  /** Key start of the newest chunk; null when the series holds no points. */
  openStart: number | null = null;
  n = 0;
  /** Points of the newest chunk logged (engine entries or WAL notes): those after them are appends to write. */
  written = 0;
  /** Points of the newest chunk in engine entries (base + deltas); persisted <= written. */
  persisted = 0;
  /** Engine sequence of the oldest WAL note not yet in an engine entry (0: none, the head is clean). */
  noteSeq = 0;
  /** Engine sequence up to which the loaded entries cover this series' WAL notes (notes replay skips those). */
  notes = 0;
  /** The store's list of heads with notes not in engine entries, oldest note first. */
  prevDirty: SeriesState | null = null;
  nextDirty: SeriesState | null = null;
  /** The epoch of the batch whose dirty list holds this head. */
  mark = 0;
  /** Sequence number of the next delta; deltas from `covered` on are not in the base. */
  deltaSeq = 0;
  covered = 0;
  /** Delta slots that may hold an entry (0 .. slots - 1). */
  slots = 0;
  /** The newest chunk changed other than by appends: its base must be written again (covering the deltas). */
  full = false;
  /** The sweep pass in which the points were last used (HeadMemory.pass). */
  touched = 0;
  /** The newest chunk's points compressed while the head is packed; null while they are arrays. */
  private packed: Buffer | null = null;
  /** The last point's value while packed (its timestamp is in the packed chunk's header). */
  private packedLast = 0;
  private tsArray: Float64Array = NO_POINTS;
  private valsArray: Float64Array = NO_POINTS;

  constructor(
    readonly key: Buffer,
    /** The key as the store's map of heads holds it (latin1; the same string, not a copy). */
    readonly id: string,
    public expireAt: number,
    header: SeriesHeader,
    private mem: HeadMemory,
  ) {
    this.header = header;
  }

  get ts(): Float64Array {
    if (this.packed !== null) this.unpack();
    this.touched = this.mem.pass;
    return this.tsArray;
  }

  set ts(a: Float64Array) {
    if (this.packed !== null) this.unpack();
    this.account(a.byteLength - this.tsArray.byteLength);
    this.tsArray = a;
  }

  get vals(): Float64Array {
    if (this.packed !== null) this.unpack();
    this.touched = this.mem.pass;
    return this.valsArray;
  }

  set vals(a: Float64Array) {
    if (this.packed !== null) this.unpack();
    this.account(a.byteLength - this.valsArray.byteLength);
    this.valsArray = a;
  }

  get isPacked(): boolean {
    return this.packed !== null;
  }

  /** The newest point's timestamp and value (0 when there is none), without unpacking. */
  lastTimestamp(): number {
    if (this.n === 0) return 0;
    return this.packed !== null ? chunkLastTimestamp(this.packed) : this.tsArray[this.n - 1];
  }

  lastValue(): number {
    if (this.n === 0) return 0;
    return this.packed !== null ? this.packedLast : this.valsArray[this.n - 1];
  }

  /** Whether pack() would compress it: points, not packed yet, arrays of mem.packMin bytes or more. */
  get packable(): boolean {
    return this.packed === null && this.n > 0 && this.tsArray.byteLength + this.valsArray.byteLength >= this.mem.packMin;
  }

  /** Compresses the points (the sweep does, between commands) when packable; returns the bytes of arrays let go. */
  pack(): number {
    if (!this.packable) return 0;
    const freed = this.tsArray.byteLength + this.valsArray.byteLength;
    this.packed = encodeChunk(this.tsArray, this.valsArray, this.n);
    this.packedLast = this.valsArray[this.n - 1];
    this.tsArray = this.valsArray = NO_POINTS;
    this.mem.bytes -= freed;
    this.mem.packed++;
    return freed;
  }

  /** The store let go of the head: its arrays and packing no longer count against the store's bound. */
  forget(): void {
    this.mem.bytes -= this.tsArray.byteLength + this.valsArray.byteLength;
    this.mem.futile = 0;
    if (this.packed !== null) this.mem.packed--;
    this.mem = LOOSE;
  }

  private unpack(): void {
    const d = decodeChunk(this.packed as Buffer);
    this.packed = null;
    this.mem.packed--;
    this.tsArray = d.timestamps;
    this.valsArray = d.values;
    this.account(d.timestamps.byteLength + d.values.byteLength);
  }

  private account(delta: number): void {
    const m = this.mem;
    m.bytes += delta;
    if (delta > 0 && m.bytes > m.budget) m.over();
  }
}

export function totalSamples(s: SeriesState): number {
  return s.header.sealedSamples + s.n;
}

/** RedisTimeSeries's lastTimestamp: 0 for an empty series. */
export function lastTimestamp(s: SeriesState): number {
  return s.lastTimestamp();
}

export function lastValue(s: SeriesState): number {
  return s.lastValue();
}

export function chunkTotal(s: SeriesState): number {
  return s.header.sealedChunks + (s.openStart !== null ? 1 : 0);
}

/** Earliest timestamp reads may see: points older than lastTimestamp - retention are gone for readers at once. */
export function retentionFloor(s: SeriesState): number {
  const r = s.header.retention;
  const last = lastTimestamp(s);
  return r > 0 && last > r ? last - r : 0;
}

let nextEpoch = 1;

/** The writes of one command: changed newest chunks are written once, at the end (or with the next structural change). */
export class SeriesBatch {
  ops: BatchOp[] = [];
  delta = 0;
  /** Heads whose newest chunk changed in this batch (each once: its `mark` is the batch's epoch). */
  readonly dirty: SeriesState[] = [];
  epoch = nextEpoch++;
  seq: bigint | undefined;
  /** Engine sequence of the last WAL note the batch logged (0: none). */
  noted = 0;

  /** Puts a head on the dirty list, once. */
  markDirty(s: SeriesState): void {
    if (s.mark !== this.epoch) {
      s.mark = this.epoch;
      this.dirty.push(s);
    }
  }

  /** Empties the dirty list: a new epoch, one no other batch has had, so no head's mark counts any more. */
  clearDirty(): void {
    this.dirty.length = 0;
    this.epoch = nextEpoch++;
  }

  /** Makes the batch ready for another command (SeriesStore.release). */
  reset(): void {
    this.ops = [];
    this.delta = 0;
    this.seq = undefined;
    this.noted = 0;
    this.clearDirty();
  }
}

export interface CreateOptions {
  retention: number;
  chunkSize: number;
  duplicatePolicy: DuplicatePolicy | null;
  uncompressed: boolean;
  ignoreMaxTimeDiff: number;
  ignoreMaxValDiff: number;
  labels: Array<[string, string]>;
}

/** One run of points of a chunk inside a queried range: indexes lo..hi (inclusive) of ts / vals. */
export interface ChunkSlice {
  ts: Float64Array;
  vals: Float64Array;
  lo: number;
  hi: number;
}

/** Shown by TS.INFO DEBUG. */
export interface ChunkInfo {
  first: number;
  last: number;
  samples: number;
  bytes: number;
}

export function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The points of sorted arrays inside [from, to], as a slice (undefined when none). */
export function sliceIn(ts: Float64Array, vals: Float64Array, n: number, from: number, to: number): ChunkSlice | undefined {
  const lo = lowerBound(ts, n, from);
  let hi = lowerBound(ts, n, to);
  if (hi < n && ts[hi] === to) hi++;
  return hi > lo ? { ts, vals, lo, hi: hi - 1 } : undefined;
}

/** A slice of no points (what a released capture's pieces become). */
export const EMPTY_SLICE: ChunkSlice = { ts: new Float64Array(0), vals: new Float64Array(0), lo: 0, hi: -1 };

/** The points of a stored chunk inside [from, to] (undefined when none). */
export function sliceOf(chunk: Buffer, from: number, to: number): ChunkSlice | undefined {
  const d = decodeChunk(chunk);
  return sliceIn(d.timestamps, d.values, d.timestamps.length, from, to);
}

/** Applies a duplicate policy; returns the value to keep or throws for BLOCK. */
export function resolveDuplicate(policy: DuplicatePolicy, old: number, value: number): number {
  switch (policy) {
    case "block":
      throw new CommandError(ERR_BLOCKED_UPSERT);
    case "first":
      return old;
    case "last":
      return value;
    case "min":
      return value < old ? value : old;
    case "max":
      return value > old ? value : old;
    case "sum":
      return old + value;
  }
}

export interface Points {
  ts: Float64Array;
  vals: Float64Array;
  n: number;
}

/** Inserts or merges (t, v) into sorted arrays, growing them when full. Returns true when a point was added. */
export function upsertInto(p: Points, t: number, v: number, policy: DuplicatePolicy): boolean {
  const i = lowerBound(p.ts, p.n, t);
  if (i < p.n && p.ts[i] === t) {
    p.vals[i] = resolveDuplicate(policy, p.vals[i], v);
    return false;
  }
  if (p.n === p.ts.length) grow(p, p.n + 1);
  p.ts.copyWithin(i + 1, i, p.n);
  p.vals.copyWithin(i + 1, i, p.n);
  p.ts[i] = t;
  p.vals[i] = v;
  p.n++;
  return true;
}

export function grow(p: Points, need: number): void {
  let cap = Math.max(8, p.ts.length);
  while (cap < need) cap *= 2;
  const ts = new Float64Array(cap);
  const vals = new Float64Array(cap);
  ts.set(p.ts.subarray(0, p.n));
  vals.set(p.vals.subarray(0, p.n));
  p.ts = ts;
  p.vals = vals;
}

/** Removes the points inside [from, to]; returns how many went. */
export function removeRange(p: Points, from: number, to: number): number {
  const a = lowerBound(p.ts, p.n, from);
  let b = lowerBound(p.ts, p.n, to);
  if (b < p.n && p.ts[b] === to) b++;
  if (b <= a) return 0;
  p.ts.copyWithin(a, b, p.n);
  p.vals.copyWithin(a, b, p.n);
  p.n -= b - a;
  return b - a;
}

/** The id stored at a fixed place of the header (bytes 8..15), read without decoding the rest. */
export function headerId(payload: Buffer): number {
  return payload.readUInt32LE(8) + payload.readInt32LE(12) * 0x100000000;
}

export function emptyState(key: Buffer, expireAt: number, header: SeriesHeader, id = key.toString("latin1"), mem: HeadMemory = LOOSE): SeriesState {
  return new SeriesState(key, id, expireAt, header, mem);
}

export function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

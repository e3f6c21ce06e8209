// TS.RANGE/TS.REVRANGE: planning a query over a series' chunks and writing or streaming its samples.
import { AggregationSpec, aggregate, bucketStart, Point } from "../../../model/series/aggregate";
import { formatSampleValue } from "../../../model/series/format";
import { pointCursor, SampleCursor, sliceCursor } from "../../../model/series/group";
import { BucketCursor, bucketCursorHandles, FOLD_WRITTEN, NativeBucketCursor, nativeBucketsHandle } from "../../../model/series/bucket-cursor";
import { ChunkSlice, EMPTY_SLICE, lastTimestamp, retentionFloor, SeriesState, SeriesStore, sliceOf } from "../../../model/series/series";
import { chunkFirstTimestamp, chunkLastTimestamp } from "../../../model/series/codec";
import { BIG_PAYLOAD, formatDouble17g, RespWriter, writeUint } from "../../../protocol/encoder";
import type { CommandContext, CommandSpec } from "../../command";
import { MAX_TS, lowered, store, getSeries } from "./common";
import { deferredArray } from "./reply";
import { RangeArgs, parseRange } from "./range-args";
import { native } from "../../../native";

// ---- range queries ---------------------------------------------------------------------------------------------

export function passes(r: RangeArgs, tsSet: Set<number> | undefined, t: number, v: number): boolean {
  if (tsSet && !tsSet.has(t)) return false;
  if (r.filterByValue && (v < r.filterByValue.min || v > r.filterByValue.max)) return false;
  return true;
}

/**
 * What a query reads besides the samples of its range, fixed when the command runs: the range cut by retention,
 * LATEST's open bucket, the neighbours twa and EMPTY look at. A streamed reply runs the query twice over a captured
 * view (to count, then to write); both runs see these same inputs whatever is written meanwhile.
 */
export interface QueryPlan {
  r: RangeArgs;
  reverse: boolean;
  /** r.from cut by the series' retention. */
  from: number;
  /** No aggregation, filter or LATEST on a compaction: the range's samples are the reply. */
  plain: boolean;
  tsSet: Set<number> | undefined;
  latest: Point | undefined;
  spec: AggregationSpec | undefined;
  prev: Point | undefined;
  next: Point | undefined;
}

export function planQuery(st: SeriesStore, s: SeriesState, r: RangeArgs, reverse: boolean): QueryPlan {
  const from = Math.max(r.from, retentionFloor(s));
  const plain = !r.aggregation && !r.filterByTs && !r.filterByValue && !(r.latest && s.header.srcKey);
  const tsSet = r.filterByTs ? new Set(r.filterByTs) : undefined;
  let latest: Point | undefined;
  if (r.latest && s.header.srcKey && r.to > lastTimestamp(s)) {
    const p = st.latest(s);
    if (p && p[0] <= r.to && p[0] >= from) latest = p;
  }
  const a = r.aggregation;
  // RedisTimeSeries's rules: timestamps are unsigned, so a bucket start before 0 is reported as 0; first / last
  // follow the reply's order; std / var come from the sum and the sum of squares.
  const spec: AggregationSpec | undefined = a && {
    type: a.type,
    bucketDuration: a.bucketDuration,
    align: alignOf(r),
    bucketTimestamp: a.bucketTimestamp,
    empty: a.empty,
    startFloor: 0,
    replyOrder: true,
    sumOfSquares: true,
  };
  // twa reaches the samples around the range, with or without EMPTY; RedisTimeSeries fills the EMPTY buckets of
  // every other aggregator only between the range's own samples, so they get no neighbours.
  const needEdges = a !== undefined && a.type === "twa";
  const prev = needEdges ? neighbour(st, s, r, tsSet, true) : undefined;
  const next = needEdges ? neighbour(st, s, r, tsSet, false) : undefined;
  return { r, reverse, from, plain, tsSet, latest, spec, prev, next };
}

/** The samples of a query before aggregation: the range's slices (in reply order), LATEST, FILTER_BY_TS, FILTER_BY_VALUE. */
export function* rawPoints(q: QueryPlan, slices: Iterable<ChunkSlice>): Generator<Point> {
  const { r, tsSet, latest, reverse } = q;
  if (reverse && latest && passes(r, tsSet, latest[0], latest[1])) yield latest;
  for (const sl of slices) {
    if (!reverse) {
      for (let i = sl.lo; i <= sl.hi; i++) if (passes(r, tsSet, sl.ts[i], sl.vals[i])) yield [sl.ts[i], sl.vals[i]];
    } else {
      for (let i = sl.hi; i >= sl.lo; i--) if (passes(r, tsSet, sl.ts[i], sl.vals[i])) yield [sl.ts[i], sl.vals[i]];
    }
  }
  if (!reverse && latest && passes(r, tsSet, latest[0], latest[1])) yield latest;
}

export function alignOf(r: RangeArgs): number {
  switch (r.align.kind) {
    case "start":
      return r.from;
    case "end":
      return r.to;
    case "ts":
      return r.align.ts;
    default:
      return 0;
  }
}

/** Nearest sample outside [from, to] that passes the filters (twa and EMPTY look at them). */
export function neighbour(st: SeriesStore, s: SeriesState, r: RangeArgs, tsSet: Set<number> | undefined, before: boolean): Point | undefined {
  const floor = retentionFloor(s);
  const lo = before ? floor : r.to + 1;
  const hi = before ? r.from - 1 : MAX_TS;
  if (lo > hi) return undefined;
  for (const [t, v] of st.points(s, lo, hi, before)) if (passes(r, tsSet, t, v) && !Number.isNaN(v)) return [t, v];
  return undefined;
}

/**
 * Whether a query's buckets come from BucketCursor's tight loops: an aggregation with nothing that needs a sample's
 * neighbours or a filter of single samples (EMPTY, twa, FILTER_BY_TS, FILTER_BY_VALUE, LATEST).
 */
function tightBuckets(q: QueryPlan): boolean {
  return q.spec !== undefined && !q.tsSet && !q.r.filterByValue && !q.latest && bucketCursorHandles(q.spec);
}

/** The samples a query answers with, before COUNT, over its range's slices, as a cursor. */
export function planCursor(q: QueryPlan, slices: Iterable<ChunkSlice>): SampleCursor {
  if (q.plain) return sliceCursor(slices, q.reverse);
  if (tightBuckets(q)) return new BucketCursor(slices[Symbol.iterator](), q.spec!, q.reverse);
  return pointCursor(planPoints(q, slices));
}

/**
 * The samples a query answers with, before COUNT, over its captured pieces inside [q.from, q.r.to]: folded by the
 * addon where it computes the buckets, else over the pieces' decoded slices (planCursor). With `release` each piece
 * is let go of once read.
 */
export function piecesCursor(q: QueryPlan, pieces: Array<Buffer | ChunkSlice>, release: boolean): SampleCursor {
  if (tightBuckets(q) && nativeBucketsHandle(q.spec!, q.reverse)) return new NativeBucketCursor(pieces, q.from, q.r.to, q.spec!, release);
  return planCursor(q, pieceSlices(pieces, q.from, q.r.to, release));
}

/** The samples a query answers with, before COUNT, over its range's slices: raw points, then buckets when asked. */
export function planPoints(q: QueryPlan, slices: Iterable<ChunkSlice>): Iterable<Point> {
  const raw = rawPoints(q, slices);
  return q.spec ? aggregate(raw, q.spec, q.r.from, q.r.to, q.reverse, q.prev, q.next) : raw;
}

/**
 * Writes [timestamp, value] pairs straight into buffers handed to the reply writer (it keeps buffers of 4 KiB or
 * more by reference), without building strings for timestamps or integral values.
 */
export const SAMPLE_BUFFER = 64 * 1024;

const foldWrite = native.seriesFoldWrite;

/**
 * The buffer of the last writer that finished, for the next one: a TS.MRANGE writes a writer's worth per series, and
 * a fresh 64 KiB each time was a tenth of its profile in allocation and collection.
 */
let spareBuffer: Buffer | undefined;

/**
 * printf("%.17g") (Redis 7.0's RESP3 double), with toPrecision doing the digits where both notations agree. On an
 * exact tie (the value's decimal expansion stops at an 18th digit 5) toPrecision rounds away from zero and printf
 * to even: 1000000000000007.25 is "1000000000000007.2" in RedisTimeSeries's replies.
 */
export function double17g(v: number): string {
  const a = v < 0 ? -v : v;
  if (!(a >= 1e-4 && a < 1e17)) return formatDouble17g(v);
  let s = v.toPrecision(17);
  // A tie rounded up leaves an odd 17th digit (an even one plus one): only then can printf's digits differ.
  if ((s.charCodeAt(s.length - 1) & 1) === 1) {
    const t = v.toPrecision(18); // positional here (exponent -4 … 16), with a '.'
    if (t.charCodeAt(t.length - 1) === 0x35 && exactDigits(v, t)) s = t.slice(0, -1);
  }
  if (s.indexOf(".") < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}

/** Whether `digits` (v.toPrecision(18)) is v's whole decimal expansion: v.toPrecision(100) is exact here. */
function exactDigits(v: number, digits: string): boolean {
  const full = v.toPrecision(100);
  return full.startsWith(digits) && /^0*$/.test(full.slice(digits.length));
}

export class SampleWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly w: RespWriter) {
    this.buf = spareBuffer ?? Buffer.allocUnsafe(SAMPLE_BUFFER);
    spareBuffer = undefined;
  }

  private digits(n: number): void {
    this.pos = writeUint(this.buf, this.pos, n);
  }

  private ascii(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** The leading 8 digits of the last 13-digit timestamp written (timestamps of a range share them for 100 s). */
  private tsHigh = -1;
  private readonly tsHighDigits = new Uint8Array(8);

  sample(t: number, v: number): void {
    if (this.pos > SAMPLE_BUFFER - 512) this.flush();
    const b = this.buf;
    let p = this.pos;
    b[p] = 0x2a; // *2\r\n:
    b[p + 1] = 0x32;
    b[p + 2] = 0x0d;
    b[p + 3] = 0x0a;
    b[p + 4] = 0x3a;
    p += 5;
    if (t >= 1e12 && t < 1e13) {
      // Millisecond timestamps of this era: 8 leading digits, cached, and 5 trailing ones.
      const high = Math.floor(t / 1e5);
      let low = t - high * 1e5;
      const hd = this.tsHighDigits;
      if (high !== this.tsHigh) {
        this.tsHigh = high;
        for (let k = 7, x = high; k >= 0; k--) {
          const q = Math.floor(x / 10);
          hd[k] = 0x30 + x - q * 10;
          x = q;
        }
      }
      b[p] = hd[0];
      b[p + 1] = hd[1];
      b[p + 2] = hd[2];
      b[p + 3] = hd[3];
      b[p + 4] = hd[4];
      b[p + 5] = hd[5];
      b[p + 6] = hd[6];
      b[p + 7] = hd[7];
      for (let k = p + 12; k >= p + 8; k--) {
        const q = (low / 10) | 0;
        b[k] = 0x30 + low - q * 10;
        low = q;
      }
      this.pos = p + 13;
    } else {
      this.pos = p;
      if (t >= 0) this.digits(t);
      else this.ascii(String(t));
    }
    p = this.pos;
    b[p] = 0x0d;
    b[p + 1] = 0x0a;
    const proto = this.w.proto;
    b[p + 2] = proto === 3 ? 0x2c : 0x2b; // ',' double or '+' simple string
    this.pos = p + 3;
    if (Number.isInteger(v) && v < 4503599627370496 && v > -4503599627370496 && (v !== 0 || !Object.is(v, -0)) && (proto === 2 || (v < 1e17 && v > -1e17))) {
      if (v < 0) {
        b[this.pos++] = 0x2d;
        this.digits(-v);
      } else this.digits(v);
    } else if (proto === 3) this.ascii(double17g(v));
    else if (!this.shortDecimal(v)) this.ascii(formatSampleValue(v));
    p = this.pos;
    b[p] = 0x0d;
    b[p + 1] = 0x0a;
    this.pos = p + 2;
  }

  /** Buckets [k, n) of a native fold array (NativeBucketCursor.drain), RESP2, written by the addon. */
  foldPairs(fold: Float64Array, k: number, n: number): void {
    while (k < n) {
      if (this.pos > SAMPLE_BUFFER - 512) this.flush();
      this.pos = foldWrite!(fold, k, n, this.buf, this.pos);
      k += fold[FOLD_WRITTEN];
    }
  }

  /** Up to `max` samples of a slice, in reply order; returns how many. */
  slice(sl: ChunkSlice, reverse: boolean, max: number): number {
    const { ts, vals } = sl;
    const n = Math.min(max, sl.hi - sl.lo + 1);
    if (!reverse) for (let i = sl.lo, end = sl.lo + n; i < end; i++) this.sample(ts[i], vals[i]);
    else for (let i = sl.hi, end = sl.hi - n; i > end; i--) this.sample(ts[i], vals[i]);
    return n;
  }

  /**
   * RESP2's shortest round-trip digits for a value of at least 1 with up to 6 decimals and 15 significant digits
   * (gauges, prices, temperatures), without a string: v is m / 10^d for the smallest such d. The division is
   * correctly rounded, so equality means the decimal reads back as v, and below 10^15 no other decimal of as few
   * digits does, so these are formatSampleValue's digits. False when v is not such a value.
   */
  private shortDecimal(v: number): boolean {
    const a = v < 0 ? -v : v;
    if (!(a >= 1 && a < 1e15)) return false;
    let scale = 10;
    for (let d = 1; d <= 6; d++, scale *= 10) {
      const m = Math.round(a * scale);
      if (m >= 1e15) return false;
      if (m / scale !== a) continue;
      const frac = m % scale;
      if (v < 0) this.buf[this.pos++] = 0x2d;
      this.digits((m - frac) / scale);
      this.buf[this.pos++] = 0x2e;
      // The fraction's d digits, leading zeros included.
      let p = this.pos + d;
      this.pos = p;
      for (let k = 0, f = frac; k < d; k++, f = (f - (f % 10)) / 10) this.buf[--p] = 0x30 + (f % 10);
      return true;
    }
    return false;
  }

  /** Hands what is written to the reply writer (which copies a run below BIG_PAYLOAD, and keeps a longer one). */
  flush(): void {
    if (this.pos === 0) return;
    this.w.raw(this.buf.subarray(0, this.pos));
    if (this.pos >= BIG_PAYLOAD) this.buf = Buffer.allocUnsafe(SAMPLE_BUFFER);
    this.pos = 0;
  }

  /** The last flush: the buffer, referenced by nothing now, goes to the next writer. */
  finish(): void {
    this.flush();
    spareBuffer = this.buf;
  }
}

/** Writes a cursor's samples as [timestamp, value] pairs, at most `limit`; returns how many. */
export function writeCursor(w: RespWriter, c: SampleCursor, limit: number): number {
  const out = new SampleWriter(w);
  let n = 0;
  if (c instanceof NativeBucketCursor && w.proto === 2 && foldWrite !== undefined) {
    // The addon's buckets, written by the addon.
    n = c.drain((fold, k, m) => out.foldPairs(fold, k, m), limit);
    out.finish();
    return n;
  }
  while (n < limit && c.next()) {
    out.sample(c.t, c.v);
    n++;
  }
  out.finish();
  return n;
}

/** The plain range (no filter, aggregation or LATEST): whole chunk slices at a time. */
export function writeSlices(w: RespWriter, slices: Iterable<ChunkSlice>, reverse: boolean, limit: number): number {
  const out = new SampleWriter(w);
  let n = 0;
  for (const sl of slices) {
    n += out.slice(sl, reverse, limit - n);
    if (n >= limit) break;
  }
  out.finish();
  return n;
}

/** Replies up to this many points are built at once; longer ones stream (see streamRange, streamSamples). */
export const STREAM_ABOVE = 65536;

/** A captured piece's points inside [from, to]. */
export function pieceSlice(p: Buffer | ChunkSlice, from: number, to: number): ChunkSlice | undefined {
  return Buffer.isBuffer(p) ? sliceOf(p, from, to) : p;
}


/**
 * The captured pieces' points inside [from, to], one slice per piece, decoded as the caller goes. With `release`
 * each piece's compressed bytes are let go once decoded (the pieces cannot be read again).
 */
export function* pieceSlices(pieces: Array<Buffer | ChunkSlice>, from: number, to: number, release: boolean): Generator<ChunkSlice> {
  for (let i = 0; i < pieces.length; i++) {
    const sl = pieceSlice(pieces[i], from, to);
    if (release) pieces[i] = EMPTY_SLICE;
    if (sl) yield sl;
  }
}


/** One series' range reply as the command found it: its plan, its chunks captured then, and its length. */
export interface RangeView {
  s: SeriesState;
  q: QueryPlan;
  pieces: Array<Buffer | ChunkSlice>;
  /** The reply's length (after COUNT) for a plain range; an upper bound of it otherwise. */
  bound: number;
}

export function rangeView(st: SeriesStore, s: SeriesState, r: RangeArgs, reverse: boolean): RangeView {
  const q = planQuery(st, s, r, reverse);
  const limit = r.count === -1 ? Infinity : r.count;
  // A plain range needs no chunk past its COUNT's points; anything filtered or aggregated may need them all.
  const { pieces, points } = st.capture(s, q.from, r.to, reverse, q.plain ? limit : Infinity);
  return { s, q, pieces, bound: Math.min(q.plain ? points : outputBound(q, pieces, points), limit) };
}

/**
 * At most how many samples a filtered or aggregated query answers with, before COUNT, when its captured chunks hold
 * `raw` points in range: those points (and LATEST's), no more than FILTER_BY_TS names, no more than the buckets the
 * points span; with EMPTY, every bucket from the first to the last sample, or to the range's ends where a neighbour
 * lies beyond them.
 */
export function outputBound(q: QueryPlan, pieces: Array<Buffer | ChunkSlice>, raw: number): number {
  let n = raw + (q.latest ? 1 : 0);
  if (q.tsSet) n = Math.min(n, q.tsSet.size);
  const spec = q.spec;
  if (!spec) return n;
  let lo = q.latest ? q.latest[0] : Infinity;
  let hi = q.latest ? q.latest[0] : -Infinity;
  for (const p of pieces) {
    const buf = Buffer.isBuffer(p);
    if (!buf && p.hi < p.lo) continue;
    lo = Math.min(lo, buf ? chunkFirstTimestamp(p) : p.ts[p.lo]);
    hi = Math.max(hi, buf ? chunkLastTimestamp(p) : p.ts[p.hi]);
  }
  lo = Math.max(lo, q.from);
  hi = Math.min(hi, q.r.to);
  if (spec.empty && q.prev) lo = q.r.from;
  if (spec.empty && q.next) hi = q.r.to;
  const buckets = lo > hi ? 0 : (bucketStart(hi, spec.bucketDuration, spec.align) - bucketStart(lo, spec.bucketDuration, spec.align)) / spec.bucketDuration + 1;
  return spec.empty ? buckets : Math.min(n, buckets);
}

/** ReplySeriesRange, built at once from the view captured when the command ran (one walk over the chunks). */
export function writeRange(w: RespWriter, v: RangeView): number {
  const { q } = v;
  const limit = q.r.count === -1 ? Infinity : q.r.count;
  if (!q.plain) return writeCursor(w, piecesCursor(q, v.pieces, false), limit);
  return writeSlices(w, pieceSlices(v.pieces, q.from, q.r.to, false), q.reverse, limit);
}

/**
 * The samples a view's query answers with, before COUNT, decoded from its captured chunks as the cursor goes (and
 * let go of behind it with `release`).
 */
export function viewCursor(v: RangeView, release: boolean): SampleCursor {
  return piecesCursor(v.q, v.pieces, release);
}

/** A range reply of more than STREAM_ABOVE samples, from its captured view. */
export function streamView(ctx: CommandContext, v: RangeView): Promise<void> {
  return v.q.plain ? streamRange(ctx, v.pieces, v.q.from, v.q.r.to, v.q.reverse, v.bound) : streamQuery(ctx, v);
}

/**
 * A long plain range, streamed: the count goes first (RESP2 arrays need it), counted from the captured chunks'
 * headers; then each chunk is decoded and written in turn, and the handler waits for the client to read before
 * the next (ctx.drain), so a 10 M-point reply holds only its compressed chunks and one chunk's worth of output.
 */
export async function streamRange(ctx: CommandContext, pieces: Array<Buffer | ChunkSlice>, from: number, to: number, reverse: boolean, n: number): Promise<void> {
  ctx.reply.arrayHeader(n);
  const out = new SampleWriter(ctx.reply as RespWriter);
  let written = 0;
  for (const sl of pieceSlices(pieces, from, to, true)) {
    written += out.slice(sl, reverse, n - written);
    out.flush();
    await ctx.drain();
    if (written >= n) break;
  }
  out.finish();
}

/** Samples a streamed query reads between waits for the client (EMPTY can make many from one chunk). */
export const STREAM_BATCH = 4096;

/** A long filtered or aggregated range, streamed from its captured view (see streamSamples). */
export function streamQuery(ctx: CommandContext, v: RangeView): Promise<void> {
  return streamSamples(ctx, (release) => viewCursor(v, release), v.q.r.count === -1 ? Infinity : v.q.r.count);
}

/**
 * A long reply of samples that are known only by running a query (filtered, aggregated, or a GROUPBY group merged
 * and reduced), streamed: `open` starts the query over views captured when the command ran. A first pass runs it and
 * only counts (RESP arrays need the count first), a second runs it again and writes, letting the captured chunks go
 * as it decodes them; both give other clients a turn every STREAM_BATCH samples read (a cursor reads at least one
 * per sample it gives), and the second waits there for this client to read. Both passes read the same chunks,
 * LATEST points and neighbours, so the count is exactly what follows it, whatever other clients write meanwhile.
 */
export async function streamSamples(ctx: CommandContext, open: (release: boolean) => SampleCursor, limit: number): Promise<void> {
  let n = 0;
  let turn = STREAM_BATCH;
  for (const c = open(false); n < limit && c.next(); ) {
    n++;
    if (c.read >= turn) {
      turn = c.read + STREAM_BATCH;
      await ctx.drain();
    }
  }
  ctx.reply.arrayHeader(n);
  const out = new SampleWriter(ctx.reply as RespWriter);
  const c = open(true);
  turn = STREAM_BATCH;
  for (let k = 0; k < n; k++) {
    c.next();
    out.sample(c.t, c.v);
    if (c.read >= turn) {
      turn = c.read + STREAM_BATCH;
      out.flush();
      await ctx.drain();
    }
  }
  out.finish();
}

export function tsRange(reverse: boolean): CommandSpec["handler"] {
  return (ctx, args) => {
    const st = store(ctx);
    const s = getSeries(st, args[1]);
    const v = rangeView(st, s, parseRange(args, lowered(args), 2), reverse);
    if (v.bound > STREAM_ABOVE) return streamView(ctx, v);
    deferredArray(ctx, (w) => writeRange(w, v));
  };
}

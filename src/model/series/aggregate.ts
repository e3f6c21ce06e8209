// Time-bucket aggregation of one series (TS.RANGE / TS.REVRANGE … AGGREGATION, TS.CREATERULE compaction) and the
// GROUPBY … REDUCE reducers of TS.MRANGE, with RedisTimeSeries's semantics:
//
//   bucket start   = t - ((t - align) mod duration), the modulo taken non-negative, so negative timestamps and
//                    alignments land in the bucket that contains them;
//   reported ts    = start, start + floor(duration / 2) (mid) or start + duration (end), the start raised to
//                    `startFloor` when it lies below it. The server sets 0: RedisTimeSeries's timestamps are
//                    unsigned, and the bucket holding timestamp 0 under an ALIGN that is not a multiple of the
//                    duration, which starts before 0, is reported from 0 (BucketStartNormalize). Only what is
//                    reported moves; the bucket still ends at start + duration;
//   NaN samples    = skipped by every aggregator; a bucket holding only NaN samples counts as empty;
//   EMPTY          = buckets inside [from, to] with no sample are reported too, but only where a sample exists on
//                    both sides of the gap (inside the range or the `prev` / `next` point just outside it): no bucket
//                    is reported before the series' first sample or after its last one. The server gives `prev` /
//                    `next` for twa only, so other aggregators fill only between the range's own samples, as
//                    RedisTimeSeries does. Values: sum and count 0, last the value of the last sample before the
//                    bucket (with `replyOrder`, before it in the reply), twa the mean of the straight line between
//                    the samples around the gap over the bucket's time frame, every other aggregator NaN;
//   twa            = area under the piecewise-linear curve through the samples over the bucket's time frame
//                    [max(start, from), min(start + duration, to)], divided by the covered time. The curve is
//                    extended to the frame's edges by interpolating with the sample just before / after the bucket
//                    when there is one; otherwise it starts / stops at the bucket's own first / last sample.
//
// Everything here is streaming: O(1) state per series however many points flow through.

export type AggregatorName =
  | "avg"
  | "sum"
  | "min"
  | "max"
  | "range"
  | "count"
  | "first"
  | "last"
  | "std.p"
  | "std.s"
  | "var.p"
  | "var.s"
  | "twa";

export type BucketTimestamp = "start" | "mid" | "end";

export interface AggregationSpec {
  type: AggregatorName;
  /** Bucket length in ms; a positive integer. */
  bucketDuration: number;
  /** Reference timestamp: bucket starts are congruent to it modulo bucketDuration (ALIGN, already resolved). */
  align: number;
  bucketTimestamp: BucketTimestamp;
  empty: boolean;
  /** Reported bucket starts below this are reported as this (the server: 0); none when absent. */
  startFloor?: number;
  /**
   * first / last by the order of the reply, as RedisTimeSeries picks them (the server sets it): in a reverse query
   * first is a bucket's newest sample and last its oldest, and an EMPTY bucket's last is the value of the sample
   * before it in the reply (the newer one). Absent: by time in both directions.
   */
  replyOrder?: boolean;
  /**
   * std / var from the sum and the sum of squares, as RedisTimeSeries computes them (its digits, cancellation
   * included; the server sets it). Absent: Welford's algorithm, which stays accurate far from zero.
   */
  sumOfSquares?: boolean;
}

export type Point = [number, number];

const AGGREGATORS: ReadonlySet<string> = new Set<AggregatorName>([
  "avg",
  "sum",
  "min",
  "max",
  "range",
  "count",
  "first",
  "last",
  "std.p",
  "std.s",
  "var.p",
  "var.s",
  "twa",
]);

// first, last and twa need an order of samples in time, which the samples of one timestamp across series lack.
const REDUCERS: ReadonlySet<string> = new Set<AggregatorName>([
  "avg",
  "sum",
  "min",
  "max",
  "range",
  "count",
  "std.p",
  "std.s",
  "var.p",
  "var.s",
]);

/** The aggregator named (any letter case), or undefined: the caller answers "ERR TSDB: Unknown aggregation type". */
export function parseAggregator(name: string): AggregatorName | undefined {
  const lower = name.toLowerCase();
  return AGGREGATORS.has(lower) ? (lower as AggregatorName) : undefined;
}

/** The GROUPBY reducer named (any letter case), or undefined: the caller answers "ERR TSDB: Invalid reducer type". */
export function parseReducer(name: string): AggregatorName | undefined {
  const lower = name.toLowerCase();
  return REDUCERS.has(lower) ? (lower as AggregatorName) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Accumulators

/**
 * An online aggregator for one bucket. NaN values are ignored (they count neither in `count` nor in the result).
 * `result()` of an accumulator that holds no value is the aggregator's empty-bucket value: 0 for sum and count, NaN
 * otherwise. first / last pick by timestamp, so values may arrive in either time order.
 */
export interface Accumulator {
  add(t: number, v: number): void;
  result(): number;
  reset(): void;
  readonly count: number;
}

/**
 * `newestFirst`: first picks the newest sample and last the oldest (a reverse query's reply order).
 * `sumOfSquares`: std / var as RedisTimeSeries computes them (AggregationSpec.sumOfSquares).
 */
export function accumulator(type: AggregatorName, newestFirst = false, sumOfSquares = false): Accumulator {
  switch (type) {
    case "sum":
      return new SumAccumulator();
    case "avg":
      return new AvgAccumulator();
    case "min":
      return new MinMaxAccumulator("min");
    case "max":
      return new MinMaxAccumulator("max");
    case "range":
      return new MinMaxAccumulator("range");
    case "count":
      return new CountAccumulator();
    case "first":
      return new FirstAccumulator(newestFirst);
    case "last":
      return new LastAccumulator(newestFirst);
    case "std.p":
    case "std.s":
    case "var.p":
    case "var.s":
      return sumOfSquares ? new SumOfSquaresAccumulator(type) : new SpreadAccumulator(type);
    case "twa":
      return new TwaAccumulator();
  }
}

class SumAccumulator implements Accumulator {
  count = 0;
  private sum = 0;
  add(_t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    this.sum += v;
  }
  result(): number {
    return this.sum;
  }
  reset(): void {
    this.count = 0;
    this.sum = 0;
  }
}

/**
 * Sums, and switches to a running mean once the exact sum would pass the largest double, as RedisTimeSeries's
 * AvgAddValue does: same test (the operands' signs agree and |sum| > DBL_MAX - |v|), same steps (avgOverflowStep).
 */
class AvgAccumulator implements Accumulator {
  count = 0;
  private value = 0; // the sum, or the mean once `overflow`
  private overflow = false;
  add(_t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    const value = this.value;
    if (this.overflow || avgOverflows(value, v)) {
      this.value = avgOverflowStep(value, v, this.count, this.overflow);
      this.overflow = true;
    } else {
      this.value = value + v;
    }
  }
  result(): number {
    if (this.count === 0) return NaN;
    return this.overflow ? this.value : this.value / this.count;
  }
  reset(): void {
    this.count = 0;
    this.value = 0;
    this.overflow = false;
  }
}

class MinMaxAccumulator implements Accumulator {
  count = 0;
  private min = Infinity;
  private max = -Infinity;
  constructor(private readonly kind: "min" | "max" | "range") {}
  add(_t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  result(): number {
    if (this.count === 0) return NaN;
    return this.kind === "min" ? this.min : this.kind === "max" ? this.max : this.max - this.min;
  }
  reset(): void {
    this.count = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

class CountAccumulator implements Accumulator {
  count = 0;
  add(_t: number, v: number): void {
    if (!Number.isNaN(v)) this.count++;
  }
  result(): number {
    return this.count;
  }
  reset(): void {
    this.count = 0;
  }
}

class FirstAccumulator implements Accumulator {
  count = 0;
  private t = 0;
  private v = NaN;
  constructor(private readonly newest: boolean) {}
  add(t: number, v: number): void {
    if (Number.isNaN(v)) return;
    if (this.count === 0 || (this.newest ? t > this.t : t < this.t)) {
      this.t = t;
      this.v = v;
    }
    this.count++;
  }
  result(): number {
    return this.v;
  }
  reset(): void {
    this.count = 0;
    this.v = NaN;
  }
}

class LastAccumulator implements Accumulator {
  count = 0;
  private t = 0;
  private v = NaN;
  constructor(private readonly oldest: boolean) {}
  add(t: number, v: number): void {
    if (Number.isNaN(v)) return;
    if (this.count === 0 || (this.oldest ? t <= this.t : t >= this.t)) {
      this.t = t;
      this.v = v;
    }
    this.count++;
  }
  result(): number {
    return this.v;
  }
  reset(): void {
    this.count = 0;
    this.v = NaN;
  }
}

type SpreadKind = "std.p" | "std.s" | "var.p" | "var.s";

/** Variance and standard deviation by Welford's online algorithm (no catastrophic cancellation). */
class SpreadAccumulator implements Accumulator {
  count = 0;
  private mean = 0;
  private m2 = 0; // sum of squared deviations from the running mean
  constructor(private readonly kind: SpreadKind) {}
  add(_t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    const delta = v - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (v - this.mean);
  }
  result(): number {
    return welfordSpread(this.kind, this.m2, this.count);
  }
  reset(): void {
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
  }
}

/** std / var of `n` values from Welford's sum of squared deviations `m2`; the sample kinds give 0 for one value. */
export function welfordSpread(kind: SpreadKind, m2: number, n: number): number {
  if (n === 0) return NaN;
  const variance = kind === "std.s" || kind === "var.s" ? (n === 1 ? 0 : m2 / (n - 1)) : m2 / n;
  return kind === "std.p" || kind === "std.s" ? Math.sqrt(variance) : variance;
}

/**
 * Variance and standard deviation as RedisTimeSeries computes them (StdAddValue, VarPopulationFinalize, …): the sum
 * and the sum of squares in doubles, then spread(). Welford's algorithm is more accurate but gives other last digits
 * (std.p 0.07483314773547999 where RTS answers 0.07483314773611324 over values near 1e4 that differ by hundredths:
 * its formula cancels there, and a negative variance or a NaN std can come out; matching it means the same steps).
 */
class SumOfSquaresAccumulator implements Accumulator {
  count = 0;
  private sum = 0;
  private sum2 = 0;
  constructor(private readonly kind: SpreadKind) {}
  add(_t: number, v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    this.sum += v;
    this.sum2 += v * v;
  }
  result(): number {
    return spread(this.kind, this.sum, this.sum2, this.count);
  }
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.sum2 = 0;
  }
}

/**
 * std / var of `n` values from their sum and sum of squares, operation for operation as RedisTimeSeries's
 * variance(): (sum2 - 2·sum·sum/n + (sum/n)²·n) / n, times n / (n - 1) for the sample kinds (0 for one value), the
 * square root for std. NaN for no value.
 */
export function spread(kind: SpreadKind, sum: number, sum2: number, n: number): number {
  if (n === 0) return NaN;
  const mean = sum / n;
  let variance = (sum2 - (2 * sum * sum) / n + mean * mean * n) / n;
  if (kind === "std.s" || kind === "var.s") variance = n === 1 ? 0 : (variance * n) / (n - 1);
  return kind === "std.p" || kind === "std.s" ? Math.sqrt(variance) : variance;
}

// ---------------------------------------------------------------------------------------------------------------
// avg past the largest double, in x87 long double

export const DBL_MAX = Number.MAX_VALUE;

/** Whether adding v to avg's sum switches it to a running mean: RedisTimeSeries's test, the exact sum past DBL_MAX. */
export function avgOverflows(sum: number, v: number): boolean {
  return (sum < 0) === (v < 0) && Math.abs(sum) > DBL_MAX - Math.abs(v);
}

/** 2^1023: a rounded sum of smaller magnitude never makes avgOverflows true (a fast path's bound). */
export const AVG_SAFE = 2 ** 1023;

/**
 * One step of avg's running mean once its sum would overflow, as RedisTimeSeries's AvgAddValue computes it in long
 * double (x86-64: 64-bit significand, round to nearest even, each operation rounded): the mean of n values from the
 * mean of the first n - 1 (or, on the step that switches, their sum) and the n-th value v,
 *
 *   switching:  (sum / n) + (v / n)           afterwards:  ((mean / n) · (n - 1)) + (v / n)
 *
 * rounded to a double at the end. The long double arithmetic is emulated exactly with integers (ExtFloat); this runs
 * only for buckets whose sum passes ±1.8e308. Infinite operands give what doubles give (infinities and NaN alike).
 */
export function avgOverflowStep(acc: number, v: number, n: number, overflow: boolean): number {
  if (!Number.isFinite(acc) || !Number.isFinite(v)) {
    const a = overflow ? (acc / n) * (n - 1) : acc / n;
    return a + v / n;
  }
  const count = ExtFloat.of(n);
  let a = ExtFloat.of(acc).div(count);
  if (overflow) a = a.mul(ExtFloat.of(n - 1));
  return a.add(ExtFloat.of(v).div(count)).toDouble();
}

const EXT_BITS = 64; // x87 extended precision's significand

/** A finite binary float ±m·2^e with m < 2^64 (m = 0 for zero), rounded to EXT_BITS after every operation. */
class ExtFloat {
  private constructor(
    readonly neg: boolean,
    readonly m: bigint,
    readonly e: number,
  ) {}

  private static readonly f64 = new Float64Array(1);
  private static readonly u32 = new Uint32Array(ExtFloat.f64.buffer);

  /** The exact value of a finite double. */
  static of(x: number): ExtFloat {
    ExtFloat.f64[0] = x;
    const hi = ExtFloat.u32[1];
    const lo = ExtFloat.u32[0];
    const biased = (hi >>> 20) & 0x7ff;
    const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    const neg = hi >>> 31 === 1;
    return biased === 0 ? new ExtFloat(neg, frac, -1074) : new ExtFloat(neg, frac | (1n << 52n), biased - 1075);
  }

  /** ±m·2^e rounded to `bits` significant bits, nearest even; `inexact` says bits below m were dropped (all < half). */
  private static rounded(neg: boolean, m: bigint, e: number, bits: number, inexact = false): ExtFloat {
    const shift = bitLength(m) - bits;
    if (shift <= 0) return new ExtFloat(neg, m, e);
    const big = BigInt(shift);
    const rest = m & ((1n << big) - 1n);
    const half = 1n << (big - 1n);
    let q = m >> big;
    if (rest > half || (rest === half && (inexact || (q & 1n) === 1n))) q += 1n;
    return new ExtFloat(neg, q, e + shift);
  }

  div(b: ExtFloat): ExtFloat {
    if (this.m === 0n) return new ExtFloat(this.neg !== b.neg, 0n, 0);
    // Enough quotient bits for EXT_BITS and a rounding bit; the remainder decides ties.
    const k = Math.max(0, EXT_BITS + 2 + bitLength(b.m) - bitLength(this.m));
    const num = this.m << BigInt(k);
    const q = num / b.m;
    return ExtFloat.rounded(this.neg !== b.neg, q, this.e - b.e - k, EXT_BITS, num % b.m !== 0n);
  }

  mul(b: ExtFloat): ExtFloat {
    return ExtFloat.rounded(this.neg !== b.neg, this.m * b.m, this.e + b.e, EXT_BITS);
  }

  add(b: ExtFloat): ExtFloat {
    const e = Math.min(this.e, b.e);
    const x = (this.neg ? -this.m : this.m) << BigInt(this.e - e);
    const y = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
    const sum = x + y;
    return ExtFloat.rounded(sum < 0n, sum < 0n ? -sum : sum, e, EXT_BITS);
  }

  /** Rounded to a double (53 bits; results below the normal range are rounded as if they were normal). */
  toDouble(): number {
    const r = ExtFloat.rounded(this.neg, this.m, this.e, 53);
    let v = Number(r.m);
    let e = r.e;
    for (; e > 1000; e -= 1000) v *= 2 ** 1000;
    for (; e < -1000; e += 1000) v *= 2 ** -1000;
    v *= 2 ** e;
    return r.neg ? -v : v;
  }
}

function bitLength(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

/** The value at time `t` on the straight line through points a and b. */
function interpolate(at: number, av: number, bt: number, bv: number, t: number): number {
  return av + ((t - at) * (bv - av)) / (bt - at);
}

/**
 * Time-weighted average. Alone (compaction rules) it averages the trapezoids between the bucket's own samples.
 * aggregate() also gives it the sample on the side it arrives from (`edgeBefore`, added in front of the first
 * value) and the one on the far side (`resultWithin`), so the curve reaches the bucket's frame edges.
 */
class TwaAccumulator implements Accumulator {
  count = 0;
  private area = 0;
  private lastT = 0; // the previously added sample, for the next trapezoid
  private lastV = 0;
  private oldestT = 0;
  private oldestV = 0;
  private newestT = 0;
  private newestV = 0;
  private edge: Point | undefined; // neighbour on the side values arrive from
  private edgeT = 0; // frame edge on that side
  private edgeCovered = false;

  /** Neighbour outside the bucket on the side the values will arrive from, and the frame edge on that side. */
  edgeBefore(neighbour: Point | undefined, frameEdge: number): void {
    this.edge = neighbour;
    this.edgeT = frameEdge;
  }

  add(t: number, v: number): void {
    if (Number.isNaN(v)) return;
    if (this.count === 0) {
      this.oldestT = this.newestT = t;
      this.oldestV = this.newestV = v;
      if (this.edge) {
        this.area += edgeArea(this.edge, t, v, this.edgeT);
        this.edgeCovered = true;
      }
    } else {
      this.area += ((this.lastV + v) * Math.abs(t - this.lastT)) / 2;
      if (t < this.oldestT) {
        this.oldestT = t;
        this.oldestV = v;
      }
      if (t >= this.newestT) {
        this.newestT = t;
        this.newestV = v;
      }
    }
    this.lastT = t;
    this.lastV = v;
    this.count++;
  }

  result(): number {
    return this.resultWithin(undefined, 0);
  }

  /** The average, the curve extended to `frameEdge` through `neighbour` on the side opposite `edgeBefore`'s. */
  resultWithin(neighbour: Point | undefined, frameEdge: number): number {
    if (this.count === 0) return NaN;
    let area = this.area;
    let from = this.oldestT;
    let to = this.newestT;
    if (this.edgeCovered && this.edge) {
      if (this.edge[0] < this.oldestT) from = this.edgeT;
      else to = this.edgeT;
    }
    if (neighbour) {
      if (neighbour[0] > this.newestT) {
        area += edgeArea(neighbour, this.newestT, this.newestV, frameEdge);
        to = frameEdge;
      } else {
        area += edgeArea(neighbour, this.oldestT, this.oldestV, frameEdge);
        from = frameEdge;
      }
    }
    return to === from ? this.newestV : area / Math.abs(to - from);
  }

  reset(): void {
    this.count = 0;
    this.area = 0;
    this.edge = undefined;
    this.edgeCovered = false;
  }
}

/** Area between the frame edge `edgeT` and the bucket's outermost sample (t, v) under the line to `neighbour`. */
function edgeArea(neighbour: Point, t: number, v: number, edgeT: number): number {
  // Interpolate from the older point of the pair, as RedisTimeSeries does, so results agree to the last bit.
  const atEdge =
    neighbour[0] < t
      ? interpolate(neighbour[0], neighbour[1], t, v, edgeT)
      : interpolate(t, v, neighbour[0], neighbour[1], edgeT);
  return ((atEdge + v) * Math.abs(t - edgeT)) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Range aggregation

/** Start of the bucket holding `t`: the largest start <= t congruent to `align` modulo `duration`. */
export function bucketStart(t: number, duration: number, align: number): number {
  const r = (t - align) % duration;
  return t - (r < 0 ? r + duration : r);
}

/**
 * Streams aggregated [timestamp, value] buckets over the points of one series inside [from, to], as TS.RANGE (or
 * TS.REVRANGE when `reverse`) with AGGREGATION answers. `from` / `to` may be ±Infinity for `-` / `+`.
 *
 * Points must be in time order: ascending, or — when `reverse` — preferably descending (a reverse scan), which
 * streams in O(1) memory. Ascending points with `reverse` work too, but then the buckets are held until the end
 * (O(number of buckets)). `prev` / `next` are the nearest non-NaN points before `from` / after `to`, when the
 * series has them (after FILTER_BY_TS / FILTER_BY_VALUE, like the points themselves); twa and EMPTY use them.
 */
export function* aggregate(
  points: Iterable<Point>,
  spec: AggregationSpec,
  from: number,
  to: number,
  reverse: boolean,
  prev?: Point,
  next?: Point,
): Generator<Point> {
  const d = spec.bucketDuration;
  if (!(Number.isSafeInteger(d) && d > 0)) throw new RangeError(`bucketDuration must be a positive integer: ${d}`);
  if (from > to) return;
  if (!reverse) {
    yield* forward(points[Symbol.iterator](), spec, from, to, false, prev, next);
    return;
  }
  // Find the input's order from its first two distinct timestamps.
  const it = points[Symbol.iterator]();
  const head: Point[] = [];
  let ascending: boolean | undefined;
  while (ascending === undefined) {
    const r = it.next();
    if (r.done) break;
    head.push(r.value);
    if (head.length > 1 && r.value[0] !== head[0][0]) ascending = r.value[0] > head[0][0];
  }
  const all = concat(head, it);
  if (ascending) {
    const buckets = Array.from(forward(all, spec, from, to, true, prev, next));
    for (let i = buckets.length - 1; i >= 0; i--) yield buckets[i];
  } else {
    yield* backward(all, spec, from, to, prev, next);
  }
}

function* concat(head: Point[], rest: Iterator<Point>): Generator<Point> {
  yield* head;
  for (let r = rest.next(); !r.done; r = rest.next()) yield r.value;
}

const valid = (p: Point | undefined): Point | undefined => (p && !Number.isNaN(p[1]) ? p : undefined);

/** What forward() and backward() share: the open bucket, finalising it, and filling gaps. */
class Bucketing {
  readonly d: number;
  readonly offset: number; // reported timestamp - bucket start
  readonly floor: number; // spec.startFloor
  readonly acc: Accumulator;
  readonly twa: TwaAccumulator | undefined;
  readonly newestFirst: boolean; // a reverse query whose first / last follow the reply's order
  start: number | undefined; // the open bucket

  constructor(
    readonly spec: AggregationSpec,
    readonly from: number,
    readonly to: number,
    reverse: boolean,
  ) {
    this.d = spec.bucketDuration;
    this.offset = spec.bucketTimestamp === "start" ? 0 : spec.bucketTimestamp === "mid" ? Math.floor(this.d / 2) : this.d;
    this.floor = spec.startFloor ?? -Infinity;
    this.newestFirst = reverse && spec.replyOrder === true;
    this.acc = accumulator(spec.type, this.newestFirst, spec.sumOfSquares === true);
    this.twa = this.acc instanceof TwaAccumulator ? this.acc : undefined;
  }

  startOf(t: number): number {
    return bucketStart(t, this.d, this.spec.align);
  }

  /** The timestamp reported for the bucket starting at `s`. */
  reported(s: number): number {
    return (s < this.floor ? this.floor : s) + this.offset;
  }

  /** The twa frame of the bucket starting at `s`: the bucket clipped to [from, to]. */
  frameStart(s: number): number {
    return Math.max(s, this.from);
  }
  frameEnd(s: number): number {
    return Math.min(s + this.d, this.to);
  }

  /** The value of a bucket with no (non-NaN) sample between the samples `older` and `newer`. */
  emptyValue(s: number, older: Point | undefined, newer: Point | undefined): number {
    switch (this.spec.type) {
      case "sum":
      case "count":
        return 0;
      case "last": {
        const before = this.newestFirst ? newer : older;
        return before ? before[1] : NaN;
      }
      case "twa": {
        if (!older || !newer) return NaN;
        const a = interpolate(older[0], older[1], newer[0], newer[1], this.frameStart(s));
        const b = interpolate(older[0], older[1], newer[0], newer[1], this.frameEnd(s));
        return (a + b) / 2;
      }
      default:
        return NaN;
    }
  }

  /** Opens the bucket starting at `s`; `behind` is the sample on the side the points arrive from. */
  open(s: number, behind: Point | undefined, forward: boolean): void {
    this.start = s;
    this.twa?.edgeBefore(behind, forward ? this.frameStart(s) : this.frameEnd(s));
  }

  /** Closes the open bucket; `older` / `newer` are the samples around it. Undefined when nothing is reported. */
  close(older: Point | undefined, newer: Point | undefined, forward: boolean): Point | undefined {
    const s = this.start!;
    let value: number;
    if (this.acc.count > 0) {
      value = this.twa
        ? forward
          ? this.twa.resultWithin(newer, this.frameEnd(s))
          : this.twa.resultWithin(older, this.frameStart(s))
        : this.acc.result();
    } else if (this.spec.empty) {
      value = this.emptyValue(s, older, newer); // only NaN samples in it
    } else {
      this.acc.reset();
      return undefined;
    }
    this.acc.reset();
    return [this.reported(s), value];
  }

  /** Empty buckets from start `first` to start `last` inclusive, stepping towards `last`. */
  *gap(first: number, last: number, older: Point | undefined, newer: Point | undefined): Generator<Point> {
    const step = first <= last ? this.d : -this.d;
    for (let s = first; step > 0 ? s <= last : s >= last; s += step) {
      yield [this.reported(s), this.emptyValue(s, older, newer)];
    }
  }
}

/** The buckets in ascending order (`reverse`: of a reverse query, whose reply they will be reversed into). */
function* forward(
  points: Iterator<Point>,
  spec: AggregationSpec,
  from: number,
  to: number,
  reverse: boolean,
  prev: Point | undefined,
  next: Point | undefined,
): Generator<Point> {
  const b = new Bucketing(spec, from, to, reverse);
  const d = b.d;
  let behind = valid(prev); // last non-NaN sample so far
  for (let r = points.next(); !r.done; r = points.next()) {
    const p = r.value;
    const s = b.startOf(p[0]);
    if (b.start === undefined) {
      if (spec.empty && behind && Number.isFinite(from)) {
        const first = b.startOf(from);
        if (first < s) yield* b.gap(first, s - d, behind, valid(p));
      }
      b.open(s, behind, true);
    } else if (s !== b.start) {
      const out = b.close(behind, valid(p), true);
      if (out) yield out;
      if (spec.empty && b.start + d < s) yield* b.gap(b.start + d, s - d, behind, valid(p));
      b.open(s, behind, true);
    }
    b.acc.add(p[0], p[1]);
    if (!Number.isNaN(p[1])) behind = p;
  }
  const after = valid(next);
  if (b.start === undefined) {
    if (spec.empty && behind && after && Number.isFinite(from) && Number.isFinite(to)) {
      yield* b.gap(b.startOf(from), b.startOf(to), behind, after);
    }
    return;
  }
  const out = b.close(behind, after, true);
  if (out) yield out;
  if (spec.empty && after && Number.isFinite(to)) {
    const last = b.startOf(to);
    if (b.start + d <= last) yield* b.gap(b.start + d, last, behind, after);
  }
}

function* backward(
  points: Iterator<Point>,
  spec: AggregationSpec,
  from: number,
  to: number,
  prev: Point | undefined,
  next: Point | undefined,
): Generator<Point> {
  const b = new Bucketing(spec, from, to, true);
  const d = b.d;
  let behind = valid(next); // oldest non-NaN sample so far
  let newerThanOpen = behind; // the sample just after the open bucket
  for (let r = points.next(); !r.done; r = points.next()) {
    const p = r.value;
    const s = b.startOf(p[0]);
    if (b.start === undefined) {
      if (spec.empty && behind && Number.isFinite(to)) {
        const first = b.startOf(to);
        if (first > s) yield* b.gap(first, s + d, valid(p), behind);
      }
      b.open(s, behind, false);
      newerThanOpen = behind;
    } else if (s !== b.start) {
      const out = b.close(valid(p), newerThanOpen, false);
      if (out) yield out;
      if (spec.empty && s + d < b.start) yield* b.gap(b.start - d, s + d, valid(p), behind);
      b.open(s, behind, false);
      newerThanOpen = behind;
    }
    b.acc.add(p[0], p[1]);
    if (!Number.isNaN(p[1])) behind = p;
  }
  const before = valid(prev);
  if (b.start === undefined) {
    if (spec.empty && behind && before && Number.isFinite(from) && Number.isFinite(to)) {
      yield* b.gap(b.startOf(to), b.startOf(from), before, behind);
    }
    return;
  }
  const out = b.close(before, newerThanOpen, false);
  if (out) yield out;
  if (spec.empty && before && Number.isFinite(from)) {
    const last = b.startOf(from);
    if (b.start - d >= last) yield* b.gap(b.start - d, last, before, behind);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GROUPBY … REDUCE

/**
 * Reduces the values the series of one group hold at one timestamp. NaN values are skipped; with none left the
 * result is 0 for count and NaN otherwise. std / var come from the sum and the sum of squares, as RedisTimeSeries's
 * reducers compute them (reducerAccumulator).
 */
export function reduce(type: AggregatorName, values: number[]): number {
  const acc = reducerAccumulator(type);
  for (let i = 0; i < values.length; i++) acc.add(i, values[i]);
  return reduced(type, acc);
}

/** A REDUCE's accumulator: RedisTimeSeries's reducers are its aggregators, std / var from sums (1.12.14 checked). */
export function reducerAccumulator(type: AggregatorName): Accumulator {
  return accumulator(type, false, true);
}

/** What a reducer's accumulator gives for one timestamp: 0 for count and NaN otherwise when it holds no value. */
export function reduced(type: AggregatorName, acc: Accumulator): number {
  return acc.count === 0 ? (type === "count" ? 0 : NaN) : acc.result();
}

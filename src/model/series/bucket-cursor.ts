// Time-bucket aggregation in tight loops over decoded chunk slices, for the queries most dashboards send: one
// aggregator, no EMPTY, no twa, no FILTER_BY_TS / FILTER_BY_VALUE, no LATEST. Each bucket is found by scanning the
// slice's timestamps for the bucket's end, then its values are folded by a loop written for the aggregator, with no
// generator, tuple or accumulator object per sample. The results are aggregate.ts's to the bit: the same arithmetic
// in the same order (ascending time forward, descending in reverse, as aggregate.ts's forward and backward see
// them), so anything outside this subset keeps going through aggregate.ts.
import { AggregationSpec, AggregatorName, AVG_SAFE, avgOverflows, avgOverflowStep, bucketStart, spread, welfordSpread } from "./aggregate";
import { type SampleCursor, SliceWalk } from "./group";
import { type ChunkSlice, EMPTY_SLICE } from "./state";
import { nativeCapacityNeed, nativeFailure } from "./codec";
import { native } from "../../native";

const Kind = { Sum: 0, Avg: 1, Min: 2, Max: 3, Range: 4, Count: 5, First: 6, Last: 7, StdP: 8, StdS: 9, VarP: 10, VarS: 11 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const KINDS: Partial<Record<AggregatorName, Kind>> = {
  sum: Kind.Sum,
  avg: Kind.Avg,
  min: Kind.Min,
  max: Kind.Max,
  range: Kind.Range,
  count: Kind.Count,
  first: Kind.First,
  last: Kind.Last,
  "std.p": Kind.StdP,
  "std.s": Kind.StdS,
  "var.p": Kind.VarP,
  "var.s": Kind.VarS,
};

/** Whether a spec is one this cursor computes (every aggregator but twa, without EMPTY). */
export function bucketCursorHandles(spec: AggregationSpec): boolean {
  return !spec.empty && KINDS[spec.type] !== undefined;
}

/**
 * The buckets of slices given in reply order (ascending time, or descending when `reverse`), as a SampleCursor:
 * TS.RANGE … AGGREGATION for a spec bucketCursorHandles() accepts. A bucket holding only NaN samples is skipped, as
 * aggregate.ts skips it without EMPTY.
 */
export class BucketCursor extends SliceWalk implements SampleCursor {
  t = 0;
  v = 0;
  read = 0;

  private readonly kind: Kind;
  private readonly d: number;
  private readonly align: number;
  private readonly offset: number;
  private readonly floor: number;
  private readonly newestFirst: boolean; // first / last in a reverse reply's order (spec.replyOrder)
  private readonly sumOfSquares: boolean; // std / var from sums (spec.sumOfSquares), else Welford's

  // One bucket's fold; which fields mean something depends on the kind.
  private count = 0;
  private acc = 0; // sum; avg's sum, or its running mean once `overflow`; std / var's sum or Welford's mean
  private sum2 = 0; // std / var's sum of squares, or Welford's sum of squared deviations
  private overflow = false;
  private min = Infinity;
  private max = -Infinity;
  private pickT = 0; // first / last: the chosen sample
  private pickV = NaN;

  constructor(slices: Iterator<ChunkSlice>, spec: AggregationSpec, reverse: boolean) {
    super(slices, reverse);
    const kind = KINDS[spec.type];
    if (kind === undefined || spec.empty) throw new RangeError(`BucketCursor cannot compute ${spec.type}${spec.empty ? " EMPTY" : ""}`);
    this.kind = kind;
    this.d = spec.bucketDuration;
    if (!(Number.isSafeInteger(this.d) && this.d > 0)) throw new RangeError(`bucketDuration must be a positive integer: ${this.d}`);
    this.align = spec.align;
    this.offset = spec.bucketTimestamp === "start" ? 0 : spec.bucketTimestamp === "mid" ? Math.floor(this.d / 2) : this.d;
    this.floor = spec.startFloor ?? -Infinity;
    this.newestFirst = reverse && spec.replyOrder === true;
    this.sumOfSquares = spec.sumOfSquares === true;
  }

  next(): boolean {
    for (;;) {
      if (!this.load()) return false;
      const start = bucketStart(this.sl!.ts[this.i], this.d, this.align);
      this.reset();
      // The bucket's samples may run over several slices.
      while (this.load()) {
        const sl = this.sl!;
        const ts = sl.ts;
        let i = this.i;
        if (!this.reverse) {
          const end = start + this.d;
          let j = i;
          while (j <= sl.hi && ts[j] < end) j++;
          if (j > i) this.fold(sl, i, j, 1);
          this.read += j - i;
          this.i = j;
          if (j <= sl.hi) break;
        } else {
          let j = i;
          while (j >= sl.lo && ts[j] >= start) j--;
          if (j < i) this.fold(sl, i, j, -1);
          this.read += i - j;
          this.i = j;
          if (j >= sl.lo) break;
        }
      }
      if (this.count > 0) {
        this.t = (start < this.floor ? this.floor : start) + this.offset; // as aggregate.ts's Bucketing.reported
        this.v = this.result();
        return true;
      }
      // Only NaN samples: no bucket without EMPTY.
    }
  }

  private reset(): void {
    this.count = 0;
    this.acc = 0;
    this.sum2 = 0;
    this.overflow = false;
    this.min = Infinity;
    this.max = -Infinity;
    this.pickT = 0;
    this.pickV = NaN;
  }

  /** Folds samples `from` up to (not including) `to`, stepping by `step` (1 forward, -1 in reverse). */
  private fold(sl: ChunkSlice, from: number, to: number, step: 1 | -1): void {
    const vals = sl.vals;
    switch (this.kind) {
      case Kind.Sum: {
        let n = this.count;
        let s = this.acc;
        for (let k = from; k !== to; k += step) {
          const v = vals[k];
          if (v !== v) continue;
          n++;
          s += v;
        }
        this.count = n;
        this.acc = s;
        return;
      }
      case Kind.Count: {
        let n = this.count;
        for (let k = from; k !== to; k += step) if (vals[k] === vals[k]) n++;
        this.count = n;
        return;
      }
      case Kind.Min:
      case Kind.Max:
      case Kind.Range: {
        let n = this.count;
        let lo = this.min;
        let hi = this.max;
        for (let k = from; k !== to; k += step) {
          const v = vals[k];
          if (v !== v) continue;
          n++;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        this.count = n;
        this.min = lo;
        this.max = hi;
        return;
      }
      case Kind.Avg: {
        // As aggregate.ts's AvgAccumulator: a sum, turned into a running mean once the sum would overflow.
        let n = this.count;
        let value = this.acc;
        let overflow = this.overflow;
        const safe = AVG_SAFE;
        for (let k = from; k !== to; k += step) {
          const v = vals[k];
          if (v !== v) continue;
          n++;
          const sum = value + v;
          // Below 2^1023 the exact sum cannot pass DBL_MAX - |v| (avgOverflows); NaN and ±Infinity go the long way.
          if (!overflow && sum < safe && sum > -safe) value = sum;
          else if (overflow || avgOverflows(value, v)) {
            value = avgOverflowStep(value, v, n, overflow);
            overflow = true;
          } else value = sum;
        }
        this.count = n;
        this.acc = value;
        this.overflow = overflow;
        return;
      }
      case Kind.First:
      case Kind.Last: {
        const ts = sl.ts;
        // As aggregate.ts's FirstAccumulator / LastAccumulator: by time, newest first when newestFirst.
        const first = this.kind === Kind.First;
        const newest = this.newestFirst;
        let n = this.count;
        let pt = this.pickT;
        let pv = this.pickV;
        for (let k = from; k !== to; k += step) {
          const v = vals[k];
          if (v !== v) continue;
          const t = ts[k];
          if (n === 0 || (first ? (newest ? t > pt : t < pt) : newest ? t <= pt : t >= pt)) {
            pt = t;
            pv = v;
          }
          n++;
        }
        this.count = n;
        this.pickT = pt;
        this.pickV = pv;
        return;
      }
      default: {
        if (!this.sumOfSquares) {
          // Welford's online algorithm, as aggregate.ts's SpreadAccumulator.
          let n = this.count;
          let mean = this.acc;
          let m2 = this.sum2;
          for (let k = from; k !== to; k += step) {
            const v = vals[k];
            if (v !== v) continue;
            n++;
            const delta = v - mean;
            mean += delta / n;
            m2 += delta * (v - mean);
          }
          this.count = n;
          this.acc = mean;
          this.sum2 = m2;
          return;
        }
        // The sum and the sum of squares, as aggregate.ts's SumOfSquaresAccumulator.
        let n = this.count;
        let sum = this.acc;
        let sum2 = this.sum2;
        for (let k = from; k !== to; k += step) {
          const v = vals[k];
          if (v !== v) continue;
          n++;
          sum += v;
          sum2 += v * v;
        }
        this.count = n;
        this.acc = sum;
        this.sum2 = sum2;
      }
    }
  }

  private result(): number {
    const n = this.count;
    switch (this.kind) {
      case Kind.Sum:
        return this.acc;
      case Kind.Count:
        return n;
      case Kind.Min:
        return this.min;
      case Kind.Max:
        return this.max;
      case Kind.Range:
        return this.max - this.min;
      case Kind.Avg:
        return this.overflow ? this.acc : this.acc / n;
      case Kind.First:
      case Kind.Last:
        return this.pickV;
      case Kind.StdP:
        return this.sumOfSquares ? spread("std.p", this.acc, this.sum2, n) : welfordSpread("std.p", this.sum2, n);
      case Kind.VarP:
        return this.sumOfSquares ? spread("var.p", this.acc, this.sum2, n) : welfordSpread("var.p", this.sum2, n);
      case Kind.StdS:
        return this.sumOfSquares ? spread("std.s", this.acc, this.sum2, n) : welfordSpread("std.s", this.sum2, n);
      case Kind.VarS:
        return this.sumOfSquares ? spread("var.s", this.acc, this.sum2, n) : welfordSpread("var.s", this.sum2, n);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The same buckets from the addon (native/series_fold.h), ascending: chunks folded where they are decoded, in C++
// scratch memory, with no JavaScript array of their points.

const foldChunk = native.seriesFoldChunk;
const foldArrays = native.seriesFoldArrays;
const foldEnd = native.seriesFoldEnd;

/**
 * The fold array's slots (native/series_fold.h FoldSlot): the query's, the points read, the buckets seriesFoldWrite
 * last wrote, and where buckets start.
 */
const Slot = { Kind: 0, Duration: 1, Align: 2, Offset: 3, Floor: 4, SumOfSquares: 5, Read: 16, Written: 17, Out: 24 } as const;
/** The fold array's slot where seriesFoldWrite says how many buckets it wrote. */
export const FOLD_WRITTEN = Slot.Written;
/** Buckets a new cursor's fold array has room for (it grows to a piece's count of buckets when one has more). */
const ROOM_START = 256;
/** Fold arrays kept for the next cursors: as many as run at once in most replies (one; a GROUPBY merges more). */
const SPARE_FOLDS = 4;
/** Larger fold arrays are not kept. */
const SPARE_MAX_ROOM = 4096;
const spareFolds: Float64Array[] = [];

/** Whether the addon folds this query's buckets (ascending, on a build with the fold: x86-64). */
export function nativeBucketsHandle(spec: AggregationSpec, reverse: boolean): boolean {
  return !reverse && foldChunk !== undefined && bucketCursorHandles(spec);
}

/**
 * BucketCursor's buckets for an ascending query, folded by the addon straight from the captured pieces (stored
 * chunks, or a head's points) inside [from, to]: each piece's closed buckets at once, as (timestamp, value) pairs
 * after the fold's state in one array, handed out one by one. With `release` each piece is let go of once folded.
 * Only for nativeBucketsHandle() specs.
 */
export class NativeBucketCursor implements SampleCursor {
  t = 0;
  v = 0;
  read = 0;

  /** The fold's state (Slot), then room for buckets. */
  private fold: Float64Array;
  private n = 0; // buckets in the fold array
  private k = 0; // the next to give
  private at = 0; // the next piece
  private ended = false;

  constructor(
    private readonly pieces: Array<Buffer | ChunkSlice>,
    private readonly from: number,
    private readonly to: number,
    spec: AggregationSpec,
    private readonly release: boolean,
  ) {
    const kind = KINDS[spec.type];
    if (kind === undefined || spec.empty) throw new RangeError(`NativeBucketCursor cannot compute ${spec.type}${spec.empty ? " EMPTY" : ""}`);
    const d = spec.bucketDuration;
    if (!(Number.isSafeInteger(d) && d > 0)) throw new RangeError(`bucketDuration must be a positive integer: ${d}`);
    // The array of a cursor that ran to its end before, cleared, else a new one.
    const spare = spareFolds.pop();
    const f = (this.fold = spare ?? new Float64Array(Slot.Out + 2 * ROOM_START));
    if (spare) f.fill(0, 0, Slot.Out);
    f[Slot.Kind] = kind;
    f[Slot.Duration] = d;
    f[Slot.Align] = spec.align;
    f[Slot.Offset] = spec.bucketTimestamp === "start" ? 0 : spec.bucketTimestamp === "mid" ? Math.floor(d / 2) : d;
    f[Slot.Floor] = spec.startFloor ?? -Infinity;
    f[Slot.SumOfSquares] = spec.sumOfSquares === true ? 1 : 0;
  }

  next(): boolean {
    while (this.k >= this.n) {
      if (this.ended) {
        if (this.n >= 0) {
          // Every bucket given: the array goes to the next cursor (one not run to its end leaves its own to the GC).
          if (spareFolds.length < SPARE_FOLDS && this.fold.length <= Slot.Out + 2 * SPARE_MAX_ROOM) spareFolds.push(this.fold);
          this.n = this.k = -1;
        }
        return false;
      }
      this.refill();
    }
    const at = Slot.Out + 2 * this.k++;
    this.t = this.fold[at];
    this.v = this.fold[at + 1];
    return true;
  }

  /**
   * Hands up to `limit` buckets to `sink` a run at a time, as they lie in the fold array (buckets [k, n) after the
   * state, Slot.Out): the reply writer has the addon write them. Returns how many; the cursor moves past them.
   */
  drain(sink: (fold: Float64Array, k: number, n: number) => void, limit: number): number {
    let given = 0;
    while (given < limit) {
      if (this.k >= this.n) {
        if (!this.next()) break; // refills, or ends (and lets its array go)
        this.k--; // next() took one: it goes in the run below
      }
      const m = Math.min(this.n - this.k, limit - given);
      sink(this.fold, this.k, this.k + m);
      this.k += m;
      given += m;
    }
    return given;
  }

  /** Folds the next piece (or closes the last bucket) into the fold array's room. */
  private refill(): void {
    this.k = 0;
    if (this.at >= this.pieces.length) {
      this.n = foldEnd!(this.fold);
      this.ended = true;
      return;
    }
    const i = this.at++;
    const p = this.pieces[i];
    if (this.release) this.pieces[i] = EMPTY_SLICE;
    for (;;) {
      const f = this.fold;
      const r = Buffer.isBuffer(p) ? foldChunk!(p, this.from, this.to, f) : foldArrays!(p.ts, p.vals, p.lo, p.hi, f);
      if (r >= 0) {
        this.n = r;
        this.read = f[Slot.Read];
        return;
      }
      const need = nativeCapacityNeed(r);
      if (need === undefined) throw nativeFailure(r);
      // Too little room for this piece's buckets (nothing was folded): a larger array, the state carried over.
      const grown = new Float64Array(Slot.Out + 2 * Math.max(need, f.length - Slot.Out));
      grown.set(f.subarray(0, Slot.Out));
      this.fold = grown;
    }
  }
}

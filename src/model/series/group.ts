// GROUPBY … REDUCE over sample streams: the series of one group merged by timestamp, the values each timestamp has
// reduced to one sample (aggregate.ts, reduce), one sample at a time.
//
// A group's reply is as long as the union of its series' timestamps; nothing here holds more than one sample per
// series (the heads of the streams) and one accumulator, so a reply over tens of millions of points can be counted
// and written in passes over the same inputs without ever being held whole.
import { Accumulator, AggregatorName, Point, reduced, reducerAccumulator } from "./aggregate";
import type { ChunkSlice } from "./state";
import { heapify, siftDown } from "../../util/heap";

/**
 * A stream of samples in reply order, read by `next()`: true when it moved to a sample (then in `t` and `v`), false
 * at the end. `read` counts the samples taken from the underlying series so far (the work done: for one series the
 * samples given, for a merge the samples of all its series), so a caller can pace itself by it.
 */
export interface SampleCursor {
  t: number;
  v: number;
  read: number;
  next(): boolean;
}

/** A cursor over the samples of slices (a plain range: no filter or aggregation), in reply order. */
export function sliceCursor(slices: Iterable<ChunkSlice>, reverse: boolean): SampleCursor {
  return new SliceCursor(slices[Symbol.iterator](), reverse);
}

/** A cursor over any point stream (filtered, aggregated or LATEST ranges). */
export function pointCursor(points: Iterable<Point>): SampleCursor {
  return new PointCursor(points[Symbol.iterator]());
}

/** A walk over the samples of slices in reply order: `sl` is the slice being read and `i` its next sample. */
export abstract class SliceWalk {
  protected sl: ChunkSlice | undefined;
  protected i = 0;

  constructor(
    private readonly slices: Iterator<ChunkSlice>,
    protected readonly reverse: boolean,
  ) {}

  /** Moves to a slice with a sample at `i` (past empty slices); false at the end. */
  protected load(): boolean {
    let sl = this.sl;
    while (sl === undefined || (this.reverse ? this.i < sl.lo : this.i > sl.hi)) {
      const r = this.slices.next();
      if (r.done) {
        this.sl = undefined;
        return false;
      }
      sl = this.sl = r.value;
      this.i = this.reverse ? sl.hi : sl.lo;
    }
    return true;
  }
}

class SliceCursor extends SliceWalk implements SampleCursor {
  t = 0;
  v = 0;
  read = 0;

  next(): boolean {
    if (!this.load()) return false;
    const sl = this.sl!;
    const i = this.i;
    this.t = sl.ts[i];
    this.v = sl.vals[i];
    this.i = this.reverse ? i - 1 : i + 1;
    this.read++;
    return true;
  }
}

class PointCursor implements SampleCursor {
  t = 0;
  v = 0;
  read = 0;

  constructor(private readonly points: Iterator<Point>) {}

  next(): boolean {
    const r = this.points.next();
    if (r.done) return false;
    this.t = r.value[0];
    this.v = r.value[1];
    this.read++;
    return true;
  }
}

/**
 * The series of one group merged by timestamp (ascending, or descending with `reverse`), each timestamp's values
 * reduced by `type`. The values of one timestamp are reduced in the order of `series` (a series holding the timestamp
 * twice gives both, in its own order), as the reply built at once always did; NaN values are skipped, and a
 * timestamp with none left gives 0 for count and NaN otherwise (reduced()).
 *
 * The heads of the series sit in a binary heap ordered by (timestamp in reply order, position in `series`): each
 * sample read costs O(log k) for k series, and the merge holds k heads and one accumulator whatever the length.
 */
export class GroupReduction implements SampleCursor {
  t = 0;
  v = 0;
  read = 0;
  /** Positions in `series` of the series not yet at their end; heap[0] is the next sample in reply order. */
  private readonly heap: number[] = [];
  private readonly acc: Accumulator;

  constructor(
    private readonly series: SampleCursor[],
    private readonly type: AggregatorName,
    private readonly reverse: boolean,
  ) {
    this.acc = reducerAccumulator(type);
    for (let i = 0; i < series.length; i++) {
      if (series[i].next()) this.heap.push(i);
    }
    heapify(this.heap, this.before);
  }

  next(): boolean {
    const heap = this.heap;
    if (heap.length === 0) return false;
    const series = this.series;
    const t = series[heap[0]].t;
    const acc = this.acc;
    acc.reset();
    let n = 0;
    while (heap.length > 0) {
      const top = series[heap[0]];
      if (top.t !== t) break;
      acc.add(n++, top.v);
      if (!top.next()) {
        const last = heap.pop() as number;
        if (heap.length === 0) break;
        heap[0] = last;
      }
      siftDown(heap, 0, this.before);
    }
    this.read += n;
    this.t = t;
    this.v = reduced(this.type, acc);
    return true;
  }

  /** True when series a's head comes before series b's in the reply. */
  private readonly before = (a: number, b: number): boolean => {
    const ta = this.series[a].t;
    const tb = this.series[b].t;
    if (ta !== tb) return this.reverse ? ta > tb : ta < tb;
    return a < b;
  };
}

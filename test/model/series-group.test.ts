// GROUPBY … REDUCE as a merge of sample streams (src/model/series/group.ts): the same samples, bit for bit, as
// gathering every timestamp's values in series order and reducing them with reduce(), in both directions, for
// streams of points and of chunk slices.
import fc from "fast-check";
import { reduce, type AggregatorName, type Point } from "../../src/model/series/aggregate";
import { GroupReduction, pointCursor, sliceCursor, type SampleCursor } from "../../src/model/series/group";
import type { ChunkSlice } from "../../src/model/series/series";

const REDUCERS: AggregatorName[] = ["sum", "min", "max", "avg", "range", "count", "std.p", "std.s", "var.p", "var.s"];

/** Each timestamp's values gathered in series order, reduced: what the reply built at once gave. */
function gathered(series: Point[][], type: AggregatorName, reverse: boolean): Point[] {
  const byTs = new Map<number, number[]>();
  for (const s of series) for (const [t, v] of s) byTs.set(t, [...(byTs.get(t) ?? []), v]);
  const ts = [...byTs.keys()].sort((a, b) => (reverse ? b - a : a - b));
  return ts.map((t) => [t, reduce(type, byTs.get(t) as number[])]);
}

function drain(c: SampleCursor): Point[] {
  const out: Point[] = [];
  while (c.next()) out.push([c.t, c.v]);
  return out;
}

/** A series' points as slices of a few arrays (like decoded chunks), with unused room around each slice. */
function slices(points: Point[], reverse: boolean, size: number): ChunkSlice[] {
  const out: ChunkSlice[] = [];
  for (let i = 0; i < points.length; i += size) {
    const part = points.slice(i, i + size);
    const ts = new Float64Array(part.length + 2);
    const vals = new Float64Array(part.length + 2);
    part.forEach(([t, v], k) => ((ts[k + 1] = t), (vals[k + 1] = v)));
    out.push({ ts, vals, lo: 1, hi: part.length });
  }
  return reverse ? out.reverse() : out;
}

/** Sorted, distinct timestamps with values (NaN among them, as stored samples can be). */
const seriesArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 })
  .chain((ts) => fc.tuple(fc.constant(ts.sort((a, b) => a - b)), fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }).map((x) => x / 4), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constant(NaN)), { minLength: ts.length, maxLength: ts.length })))
  .map(([ts, vs]) => ts.map((t, i): Point => [t, vs[i]]));

describe("GroupReduction", () => {
  it.each(REDUCERS)("%s: the merged samples are those of the values gathered per timestamp", (type) => {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 7 }), fc.boolean(), fc.integer({ min: 1, max: 9 }), (series, reverse, size) => {
        const want = gathered(series, type, reverse);
        const inOrder = (s: Point[]): Point[] => (reverse ? [...s].reverse() : s);
        const fromPoints = drain(new GroupReduction(series.map((s) => pointCursor(inOrder(s))), type, reverse));
        const fromSlices = drain(new GroupReduction(series.map((s) => sliceCursor(slices(s, reverse, size), reverse)), type, reverse));
        expect(fromPoints).toEqual(want);
        expect(fromSlices).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("reads every sample of every series once and counts them", () => {
    const a: Point[] = [
      [1, 1],
      [3, 3],
    ];
    const b: Point[] = [
      [1, 10],
      [2, 20],
      [3, 30],
    ];
    const g = new GroupReduction([pointCursor(a), pointCursor(b)], "sum", false);
    expect(drain(g)).toEqual([
      [1, 11],
      [2, 20],
      [3, 33],
    ]);
    expect(g.read).toBe(5);
  });

  it("a timestamp whose values are all NaN gives 0 for count and NaN otherwise", () => {
    const s: Point[] = [[5, NaN]];
    expect(drain(new GroupReduction([pointCursor(s), pointCursor(s)], "count", false))).toEqual([[5, 0]]);
    expect(drain(new GroupReduction([pointCursor(s)], "max", false))).toEqual([[5, NaN]]);
  });

  it("no series, or only empty ones, give no samples", () => {
    expect(drain(new GroupReduction([], "sum", false))).toEqual([]);
    expect(drain(new GroupReduction([pointCursor([]), sliceCursor([], true)], "sum", true))).toEqual([]);
  });
});

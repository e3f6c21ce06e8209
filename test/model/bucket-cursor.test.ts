// TS.RANGE … AGGREGATION's tight loops (src/model/series/bucket-cursor.ts) against the general streaming aggregation
// (aggregate.ts) they stand in for: the same buckets, bit for bit, for every aggregator they take, both directions,
// any alignment, bucket timestamp, start floor, first / last order and std / var formula, NaN samples, buckets
// spanning several slices, and values near the double's limits (avg's overflow switch, in long double).
import fc from "fast-check";
import { aggregate, type AggregationSpec, type AggregatorName, type Point } from "../../src/model/series/aggregate";
import { BucketCursor, bucketCursorHandles } from "../../src/model/series/bucket-cursor";
import type { ChunkSlice } from "../../src/model/series/series";

const TYPES: AggregatorName[] = ["avg", "sum", "min", "max", "range", "count", "first", "last", "std.p", "std.s", "var.p", "var.s"];

/** Points as slices of a few arrays (like decoded chunks) with unused room around each, in reply order. */
function slices(points: Point[], reverse: boolean, size: number): ChunkSlice[] {
  const out: ChunkSlice[] = [];
  for (let i = 0; i < points.length; i += size) {
    const part = points.slice(i, i + size);
    const ts = new Float64Array(part.length + 3).fill(-1);
    const vals = new Float64Array(part.length + 3).fill(12345);
    part.forEach(([t, v], k) => ((ts[k + 2] = t), (vals[k + 2] = v)));
    out.push({ ts, vals, lo: 2, hi: part.length + 1 });
  }
  return reverse ? out.reverse() : out;
}

function viaCursor(points: Point[], spec: AggregationSpec, reverse: boolean, size: number): Point[] {
  const c = new BucketCursor(slices(points, reverse, size)[Symbol.iterator](), spec, reverse);
  const out: Point[] = [];
  let read = 0;
  while (c.next()) {
    out.push([c.t, c.v]);
    expect(c.read).toBeGreaterThan(read);
    read = c.read;
  }
  expect(c.read).toBe(points.length);
  return out;
}

function viaAggregate(points: Point[], spec: AggregationSpec, reverse: boolean): Point[] {
  const ordered = reverse ? [...points].reverse() : points;
  return [...aggregate(ordered, spec, -Infinity, Infinity, reverse)];
}

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.constant(NaN) },
  { weight: 1, arbitrary: fc.constantFrom(1.7e308, -1.7e308, 1.79e308, Infinity, -Infinity, 0, -0) },
);

const pointsArb = fc
  .uniqueArray(fc.integer({ min: -200, max: 400 }), { maxLength: 80 })
  .chain((ts) => fc.tuple(fc.constant(ts.sort((a, b) => a - b)), fc.array(valueArb, { minLength: ts.length, maxLength: ts.length })))
  .map(([ts, vs]) => ts.map((t, i) => [t, vs[i]] as Point));

describe("BucketCursor", () => {
  it("gives aggregate()'s buckets bit for bit, forward and reverse", () => {
    fc.assert(
      fc.property(
        pointsArb,
        fc.constantFrom(...TYPES),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: -100, max: 100 }),
        fc.constantFrom("start" as const, "mid" as const, "end" as const),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(undefined, 0, -50),
        fc.constantFrom(undefined, true),
        fc.constantFrom(undefined, true),
        (points, type, bucketDuration, align, bucketTimestamp, reverse, size, startFloor, replyOrder, sumOfSquares) => {
          const spec: AggregationSpec = { type, bucketDuration, align, bucketTimestamp, empty: false, startFloor, replyOrder, sumOfSquares };
          const want = viaAggregate(points, spec, reverse);
          const got = viaCursor(points, spec, reverse, size);
          expect(got.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) {
            expect(got[i][0]).toBe(want[i][0]);
            expect(Object.is(got[i][1], want[i][1]) || (Number.isNaN(got[i][1]) && Number.isNaN(want[i][1]))).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("skips a bucket of NaN samples alone, and reads nothing from empty slices", () => {
    const spec: AggregationSpec = { type: "avg", bucketDuration: 10, align: 0, bucketTimestamp: "start", empty: false };
    const sl: ChunkSlice[] = [
      { ts: Float64Array.of(1, 2), vals: Float64Array.of(NaN, NaN), lo: 0, hi: 1 },
      { ts: new Float64Array(0), vals: new Float64Array(0), lo: 0, hi: -1 },
      { ts: Float64Array.of(15, 16), vals: Float64Array.of(1, 3), lo: 0, hi: 1 },
    ];
    const c = new BucketCursor(sl[Symbol.iterator](), spec, false);
    expect(c.next()).toBe(true);
    expect([c.t, c.v]).toEqual([10, 2]);
    expect(c.next()).toBe(false);
  });

  it("refuses what it does not compute: twa and EMPTY go through aggregate()", () => {
    const base = { bucketDuration: 10, align: 0, bucketTimestamp: "start" as const };
    expect(bucketCursorHandles({ ...base, type: "twa", empty: false })).toBe(false);
    expect(bucketCursorHandles({ ...base, type: "sum", empty: true })).toBe(false);
    expect(bucketCursorHandles({ ...base, type: "sum", empty: false })).toBe(true);
    expect(() => new BucketCursor([][Symbol.iterator](), { ...base, type: "twa", empty: false }, false)).toThrow(RangeError);
  });
});

// TS.RANGE … AGGREGATION's tight loops (src/model/series/bucket-cursor.ts) against the general streaming aggregation
// (aggregate.ts) they stand in for: the same buckets, bit for bit, for every aggregator they take, both directions,
// any alignment, bucket timestamp, start floor, first / last order and std / var formula, NaN samples, buckets
// spanning several slices, and values near the double's limits (avg's overflow switch, in long double).
import fc from "fast-check";
import { aggregate, type AggregationSpec, type AggregatorName, type Point } from "../../src/model/series/aggregate";
import { BucketCursor, bucketCursorHandles, NativeBucketCursor, nativeBucketsHandle } from "../../src/model/series/bucket-cursor";
import { encodeChunk } from "../../src/model/series/codec";
import { formatSampleValue } from "../../src/model/series/format";
import type { ChunkSlice } from "../../src/model/series/series";
import { sliceIn, sliceOf } from "../../src/model/series/state";
import { native } from "../../src/native";

const EMPTY: ChunkSlice = { ts: new Float64Array(0), vals: new Float64Array(0), lo: 0, hi: -1 };

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

/** Stored chunks of the points (some pieces left as head slices), as a query captures them. */
function pieces(points: Point[], size: number, headEvery: number): Array<Buffer | ChunkSlice> {
  const out: Array<Buffer | ChunkSlice> = [];
  for (let i = 0, k = 0; i < points.length; i += size, k++) {
    const part = points.slice(i, i + size);
    const ts = Float64Array.from(part, (p) => p[0]);
    const vals = Float64Array.from(part, (p) => p[1]);
    out.push(k % headEvery === headEvery - 1 ? slices(part, false, part.length)[0] : encodeChunk(ts, vals, part.length));
  }
  return out;
}

function drain(c: { next(): boolean; t: number; v: number; read: number }): { out: Point[]; read: number } {
  const out: Point[] = [];
  while (c.next()) out.push([c.t, c.v]);
  return { out, read: c.read };
}

const nativeFold = native.seriesFoldChunk !== undefined;
if (!nativeFold) console.log("NativeBucketCursor tests skipped: this addon build has no seriesFoldChunk (x86-64 only)");

(nativeFold ? describe : describe.skip)("NativeBucketCursor", () => {
  const chunkPointsArb = fc
    .uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 120 })
    .chain((ts) => fc.tuple(fc.constant(ts.sort((a, b) => a - b)), fc.array(valueArb, { minLength: ts.length, maxLength: ts.length })))
    .map(([ts, vs]) => ts.map((t, i) => [t, vs[i]] as Point));

  it("gives BucketCursor's buckets bit for bit from stored chunks and head slices, cut to [from, to]", () => {
    fc.assert(
      fc.property(
        chunkPointsArb,
        fc.constantFrom(...TYPES),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: -100, max: 100 }),
        fc.constantFrom("start" as const, "mid" as const, "end" as const),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.tuple(fc.integer({ min: -10, max: 610 }), fc.integer({ min: -10, max: 610 })),
        fc.constantFrom(undefined, 0, 50),
        fc.constantFrom(undefined, true),
        fc.boolean(),
        (points, type, bucketDuration, align, bucketTimestamp, size, headEvery, [a, b], startFloor, sumOfSquares, release) => {
          if (type === "twa") return;
          const spec: AggregationSpec = { type, bucketDuration, align, bucketTimestamp, empty: false, startFloor, sumOfSquares };
          const from = Math.min(a, b);
          const to = Math.max(a, b);
          const ps = pieces(points, size, headEvery);
          // The reference reads each piece as a query does: a chunk decoded and cut to [from, to], a head slice as is.
          const inRange = points.filter(([t]) => t >= from && t <= to);
          const ref: ChunkSlice[] = [];
          for (const p of ps) {
            const sl = Buffer.isBuffer(p) ? sliceOf(p, from, to) : sliceIn(p.ts.subarray(p.lo, p.hi + 1), p.vals.subarray(p.lo, p.hi + 1), p.hi - p.lo + 1, from, to);
            if (sl) ref.push(sl);
          }
          const want = drain(new BucketCursor(ref[Symbol.iterator](), spec, false));
          const headsCut = ps.map((p) => (Buffer.isBuffer(p) ? p : (sliceIn(p.ts.subarray(p.lo, p.hi + 1), p.vals.subarray(p.lo, p.hi + 1), p.hi - p.lo + 1, from, to) ?? EMPTY)));
          const got = drain(new NativeBucketCursor(headsCut, from, to, spec, release));
          expect(got.out.length).toBe(want.out.length);
          for (let i = 0; i < want.out.length; i++) {
            expect(got.out[i][0]).toBe(want.out[i][0]);
            expect(Object.is(got.out[i][1], want.out[i][1]) || (Number.isNaN(got.out[i][1]) && Number.isNaN(want.out[i][1]))).toBe(true);
          }
          expect(got.read).toBe(inRange.length);
          if (release) expect(headsCut.every((p) => !Buffer.isBuffer(p) && p.hi < p.lo)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("averages past DBL_MAX as the reference's long double does", () => {
    const vals = [1.7e308, 1.7e308, -3, 1.79e308, 5e307, 1.7e308];
    const ts = Float64Array.from(vals, (_, i) => i);
    const spec: AggregationSpec = { type: "avg", bucketDuration: 100, align: 0, bucketTimestamp: "start", empty: false };
    const want = drain(new BucketCursor([{ ts, vals: Float64Array.from(vals), lo: 0, hi: vals.length - 1 }][Symbol.iterator](), spec, false));
    const got = drain(new NativeBucketCursor([encodeChunk(ts, Float64Array.from(vals), vals.length)], -Infinity, Infinity, spec, false));
    expect(got.out).toEqual(want.out);
    expect(got.out[0][1]).toBeGreaterThan(1e308);
  });

  it("reports a damaged chunk as corruption, and refuses a query it does not compute", () => {
    const spec: AggregationSpec = { type: "sum", bucketDuration: 10, align: 0, bucketTimestamp: "start", empty: false };
    const chunk = encodeChunk(Float64Array.of(1, 2, 3), Float64Array.of(1.5, 2.5, 3.5), 3);
    const bad = Buffer.from(chunk);
    bad[bad.length - 1] ^= 0xff;
    expect(() => drain(new NativeBucketCursor([bad], -Infinity, Infinity, spec, false))).toThrow(expect.objectContaining({ code: "TSKV_ERR_CORRUPTION" }));
    expect(() => new NativeBucketCursor([], 0, 1, { ...spec, type: "twa" }, false)).toThrow(RangeError);
    expect(nativeBucketsHandle(spec, true)).toBe(false);
    expect(nativeBucketsHandle(spec, false)).toBe(true);
  });

  it("grows its outputs for a chunk that closes many buckets", () => {
    const n = 5000;
    const ts = Float64Array.from({ length: n }, (_, i) => i * 3);
    const vals = Float64Array.from({ length: n }, (_, i) => i % 17);
    const spec: AggregationSpec = { type: "max", bucketDuration: 3, align: 0, bucketTimestamp: "start", empty: false };
    const got = drain(new NativeBucketCursor([encodeChunk(ts, vals, n)], -Infinity, Infinity, spec, false));
    expect(got.out.length).toBe(n);
    expect(got.out[4999]).toEqual([4999 * 3, 4999 % 17]);
  });
});

(native.seriesFoldWrite ? describe : describe.skip)("seriesFoldWrite", () => {
  /** The bytes the addon writes for pairs, through a fold array holding them after a sound state. */
  function written(pairs: Array<[number, number]>, cap = 1 << 16): { text: string; count: number } {
    const fold = new Float64Array(24 + 2 * pairs.length);
    fold[1] = 1; // a sound state: sum, duration 1
    pairs.forEach(([t, v], i) => ((fold[24 + 2 * i] = t), (fold[25 + 2 * i] = v)));
    const out = Buffer.alloc(cap);
    const end = native.seriesFoldWrite!(fold, 0, pairs.length, out, 0);
    return { text: out.subarray(0, end).toString("latin1"), count: fold[17] };
  }
  const expected = (pairs: Array<[number, number]>): string => pairs.map(([t, v]) => `*2\r\n:${t}\r\n+${formatSampleValue(v)}\r\n`).join("");

  it("prints values as formatSampleValue does, for any double", () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer({ min: -1e9, max: 1e9 }).chain((m) => fc.integer({ min: 0, max: 9 }).map((d) => m / 10 ** d)),
      fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 52, 2 ** 52 - 1, -(2 ** 52), 2 ** 53, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_VALUE),
    );
    const ts = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: -1e6, max: 0 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(ts, value), { minLength: 1, maxLength: 20 }), (pairs) => {
        const got = written(pairs);
        expect(got.count).toBe(pairs.length);
        expect(got.text).toBe(expected(pairs));
      }),
      { numRuns: 5000 },
    );
  });

  it("stops where the output has less than 64 bytes to spare, and refuses positions outside the arrays", () => {
    const pairs: Array<[number, number]> = Array.from({ length: 10 }, (_, i) => [1700000000000 + i, i + 0.5]);
    // 30 bytes a pair here: each is written only with 64 to spare.
    expect(written(pairs, 63).count).toBe(0);
    const got = written(pairs, 64 + 30 + 10);
    expect(got.count).toBe(2);
    expect(got.text).toBe(expected(pairs.slice(0, 2)));
    const fold = new Float64Array(26);
    fold[1] = 1;
    expect(() => native.seriesFoldWrite!(fold, 0, 2, Buffer.alloc(100), 0)).toThrow("outside the arrays");
    expect(() => native.seriesFoldWrite!(fold, 0, 1, Buffer.alloc(100), 101)).toThrow("outside the arrays");
  });
});

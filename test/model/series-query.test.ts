import fc from "fast-check";
import {
  accumulator,
  aggregate,
  bucketStart,
  parseAggregator,
  parseReducer,
  reduce,
  type AggregationSpec,
  type AggregatorName,
  type Point,
} from "../../src/model/series/aggregate";
import { matchesAll, parseFilters, type Matcher } from "../../src/model/series/filter";
import { CommandError } from "../../src/server/errors";

const ALL: AggregatorName[] = ["avg", "sum", "min", "max", "range", "count", "first", "last", "std.p", "std.s", "var.p", "var.s", "twa"];

function spec(type: AggregatorName, bucketDuration: number, more: Partial<AggregationSpec> = {}): AggregationSpec {
  return { type, bucketDuration, align: 0, bucketTimestamp: "start", empty: false, ...more };
}

/**
 * What TS.RANGE / TS.REVRANGE answer over a whole series: picks the points in [from, to] and the neighbours just
 * outside, as the command layer will. For reverse it runs both input orders and checks they agree.
 */
function range(series: Point[], from: number, to: number, s: AggregationSpec, reverse = false): Point[] {
  const inside = series.filter(([t]) => t >= from && t <= to);
  const before = series.filter(([t]) => t < from);
  const prev = before[before.length - 1];
  const next = series.find(([t]) => t > to);
  if (!reverse) return [...aggregate(inside, s, from, to, false, prev, next)];
  const streamed = [...aggregate([...inside].reverse(), s, from, to, true, prev, next)];
  const buffered = [...aggregate(inside, s, from, to, true, prev, next)];
  expectSameBuckets(buffered, streamed);
  return streamed;
}

/** Same timestamps, values equal up to floating-point summation order. */
function expectSameBuckets(actual: Point[], expected: Point[]): void {
  expect(actual.map(([t]) => t)).toEqual(expected.map(([t]) => t));
  actual.forEach(([, v], i) => {
    if (Number.isNaN(expected[i][1])) expect(v).toBeNaN();
    else expect(v).toBeCloseTo(expected[i][1], 6);
  });
}

const reversed = <T>(xs: T[]): T[] => [...xs].reverse();

// --- reference examples from redis.io ---------------------------------------------------------------------------

describe("redis.io TS.RANGE / TS.REVRANGE examples", () => {
  // TS.MADD temp:TLV 1000 30 1010 35 1020 9999 1030 40, then FILTER_BY_VALUE -100 100 (done by the caller)
  const temp: Point[] = [
    [1000, 30],
    [1010, 35],
    [1030, 40],
  ];
  const stock: Point[] = [
    [1000, 100],
    [1010, 110],
    [1020, 120],
    [2000, 200],
    [2010, 210],
    [2020, 220],
    [3000, 300],
    [3010, 310],
    [3020, 320],
  ];

  test("FILTER_BY_VALUE -100 100 AGGREGATION avg 1000", () => {
    expect(range(temp, -Infinity, Infinity, spec("avg", 1000))).toEqual([[1000, 35]]);
    expect(range(temp, -Infinity, Infinity, spec("avg", 1000), true)).toEqual([[1000, 35]]);
  });

  const minNoAlign: Point[] = [
    [1000, 100],
    [1020, 120],
    [2000, 200],
    [2020, 220],
    [3000, 300],
    [3020, 320],
  ];
  const minAlign10: Point[] = [
    [990, 100],
    [1010, 110],
    [1990, 200],
    [2010, 210],
    [2990, 300],
    [3010, 310],
  ];
  const minAlignStart5: Point[] = [
    [985, 100],
    [1005, 110],
    [1985, 200],
    [2005, 210],
    [2985, 300],
    [3005, 310],
  ];

  test("AGGREGATION min 20 (alignment 0)", () => {
    expect(range(stock, -Infinity, Infinity, spec("min", 20))).toEqual(minNoAlign);
    expect(range(stock, -Infinity, Infinity, spec("min", 20), true)).toEqual(reversed(minNoAlign));
  });

  test("ALIGN 10 AGGREGATION min 20", () => {
    expect(range(stock, -Infinity, Infinity, spec("min", 20, { align: 10 }))).toEqual(minAlign10);
    expect(range(stock, -Infinity, Infinity, spec("min", 20, { align: 10 }), true)).toEqual(reversed(minAlign10));
  });

  test("5 + ALIGN - AGGREGATION min 20 (ALIGN start = fromTimestamp)", () => {
    expect(range(stock, 5, Infinity, spec("min", 20, { align: 5 }))).toEqual(minAlignStart5);
    expect(range(stock, 5, Infinity, spec("min", 20, { align: 5 }), true)).toEqual(reversed(minAlignStart5));
  });

  test("ALIGN + / end = toTimestamp", () => {
    // to = 3025 ≡ 5 (mod 20): the same buckets as ALIGN 5
    expect(range(stock, -Infinity, 3025, spec("min", 20, { align: 3025 }))).toEqual(minAlignStart5);
  });
});

describe("redis.io TS.MRANGE GROUPBY examples", () => {
  const a: Point[] = [
    [1000, 100],
    [1010, 110],
    [1020, 120],
    [2000, 200],
    [2010, 210],
    [2020, 220],
    [3000, 300],
    [3010, 310],
    [3020, 320],
  ];
  const b: Point[] = [
    [1000, 120],
    [1010, 110],
    [1020, 100],
    [2000, 220],
    [2010, 210],
    [2020, 200],
    [3000, 320],
    [3010, 310],
    [3020, 300],
  ];

  /** Per timestamp, reduces the values of all series that have one (what GROUPBY … REDUCE does). */
  function groupReduce(type: AggregatorName, ...series: Point[][]): Point[] {
    const byTs = new Map<number, number[]>();
    for (const s of series) for (const [t, v] of s) byTs.set(t, [...(byTs.get(t) ?? []), v]);
    return [...byTs.keys()].sort((x, y) => x - y).map((t) => [t, reduce(type, byTs.get(t)!)]);
  }

  test("GROUPBY type REDUCE max", () => {
    const first3 = (s: Point[]) => s.slice(0, 3);
    expect(groupReduce("max", first3(a), first3(b))).toEqual([
      [1000, 120],
      [1010, 110],
      [1020, 120],
    ]);
  });

  test("AGGREGATION avg 1000 … GROUPBY type REDUCE max", () => {
    const avgA = [...aggregate(a, spec("avg", 1000), -Infinity, Infinity, false)];
    const avgB = [...aggregate(b, spec("avg", 1000), -Infinity, Infinity, false)];
    expect(groupReduce("max", avgA, avgB)).toEqual([
      [1000, 110],
      [2000, 210],
      [3000, 310],
    ]);
  });

  test("FILTER metric=cpu GROUPBY metric_name REDUCE max", () => {
    const ts1: Point[] = [
      [1548149180000, 90],
      [1548149185000, 45],
    ];
    expect(groupReduce("max", ts1)).toEqual(ts1);
    expect(groupReduce("max", [[1548149180000, 99]])).toEqual([[1548149180000, 99]]);
  });
});

// --- each aggregator -----------------------------------------------------------------------------------------

describe("each aggregator over one bucket", () => {
  // RedisTimeSeries's flow test: 10@10, NaN@20, 20@30, one bucket of 100 ms; NaN is skipped.
  const series: Point[] = [
    [10, 10],
    [20, NaN],
    [30, 20],
  ];
  const expected: Record<Exclude<AggregatorName, "twa">, number> = {
    avg: 15,
    sum: 30,
    min: 10,
    max: 20,
    range: 10,
    count: 2,
    first: 10,
    last: 20,
    "std.p": 5,
    "std.s": Math.sqrt(50),
    "var.p": 25,
    "var.s": 50,
  };
  for (const [type, value] of Object.entries(expected)) {
    test(type, () => {
      for (const reverse of [false, true]) {
        const out = range(series, 0, Infinity, spec(type as AggregatorName, 100), reverse);
        expect(out).toHaveLength(1);
        expect(out[0][0]).toBe(0);
        expect(out[0][1]).toBeCloseTo(value, 12);
      }
    });
  }

  test("twa over the samples alone: trapezoids between them", () => {
    expect(range(series, 0, Infinity, spec("twa", 100))).toEqual([[0, 15]]);
  });

  test("hand-computed buckets", () => {
    const pts: Point[] = [
      [0, 4],
      [3, -2],
      [7, 10],
      [10, 5],
      [15, 5],
      [29, 1],
    ];
    const at = (type: AggregatorName) => range(pts, 0, 100, spec(type, 10));
    expect(at("sum")).toEqual([
      [0, 12],
      [10, 10],
      [20, 1],
    ]);
    expect(at("avg")).toEqual([
      [0, 4],
      [10, 5],
      [20, 1],
    ]);
    expect(at("min")).toEqual([
      [0, -2],
      [10, 5],
      [20, 1],
    ]);
    expect(at("max")).toEqual([
      [0, 10],
      [10, 5],
      [20, 1],
    ]);
    expect(at("range")).toEqual([
      [0, 12],
      [10, 0],
      [20, 0],
    ]);
    expect(at("count")).toEqual([
      [0, 3],
      [10, 2],
      [20, 1],
    ]);
    expect(at("first")).toEqual([
      [0, 4],
      [10, 5],
      [20, 1],
    ]);
    expect(at("last")).toEqual([
      [0, 10],
      [10, 5],
      [20, 1],
    ]);
    expect(at("var.p")).toEqual([
      [0, 24],
      [10, 0],
      [20, 0],
    ]);
    expect(at("var.s")).toEqual([
      [0, 36],
      [10, 0],
      [20, 0],
    ]);
    expect(at("std.p")).toEqual([
      [0, Math.sqrt(24)],
      [10, 0],
      [20, 0],
    ]);
    expect(at("std.s")).toEqual([
      [0, 6],
      [10, 0],
      [20, 0],
    ]);
  });
});

describe("accumulator (TS.CREATERULE compaction)", () => {
  test("count, NaN skipped, reset", () => {
    const acc = accumulator("avg");
    acc.add(1, 2);
    acc.add(2, NaN);
    acc.add(3, 4);
    expect(acc.count).toBe(2);
    expect(acc.result()).toBe(3);
    acc.reset();
    expect(acc.count).toBe(0);
    expect(acc.result()).toBeNaN();
    acc.add(5, 7);
    expect(acc.result()).toBe(7);
  });

  test("empty results: 0 for sum and count, NaN otherwise", () => {
    for (const type of ALL) {
      const r = accumulator(type).result();
      if (type === "sum" || type === "count") expect(r).toBe(0);
      else expect(r).toBeNaN();
    }
  });

  test("first and last go by timestamp, whatever the arrival order", () => {
    const first = accumulator("first");
    const last = accumulator("last");
    for (const [t, v] of [
      [5, 50],
      [1, 10],
      [9, 90],
      [3, 30],
    ]) {
      first.add(t, v);
      last.add(t, v);
    }
    expect(first.result()).toBe(10);
    expect(last.result()).toBe(90);
  });

  test("twa without neighbours averages the trapezoids between the bucket's samples", () => {
    const acc = accumulator("twa");
    acc.add(0, 0);
    acc.add(2, 2); // area 2
    acc.add(10, 2); // area 16
    expect(acc.result()).toBeCloseTo(18 / 10, 15);
    acc.reset();
    acc.add(4, 9);
    expect(acc.result()).toBe(9);
  });

  test("variance is stable far from zero (Welford)", () => {
    const acc = accumulator("var.p");
    const accS = accumulator("var.s");
    for (const v of [4, 7, 13, 16]) {
      acc.add(0, 1e9 + v);
      accS.add(0, 1e9 + v);
    }
    expect(acc.result()).toBeCloseTo(22.5, 9);
    expect(accS.result()).toBeCloseTo(30, 9);
  });

  test("avg survives a sum past Number.MAX_VALUE", () => {
    const acc = accumulator("avg");
    acc.add(1, Number.MAX_VALUE);
    acc.add(2, Number.MAX_VALUE);
    acc.add(3, Number.MAX_VALUE);
    expect(acc.result()).toBeCloseTo(Number.MAX_VALUE, -300);
    expect(Number.isFinite(acc.result())).toBe(true);
  });
});

// --- alignment, bucket timestamps --------------------------------------------------------------------------

describe("alignment", () => {
  test("bucketStart handles negative timestamps and alignments", () => {
    expect(bucketStart(25, 10, 0)).toBe(20);
    expect(bucketStart(-1, 10, 0)).toBe(-10);
    expect(bucketStart(-10, 10, 0)).toBe(-10);
    expect(bucketStart(-11, 10, 0)).toBe(-20);
    expect(bucketStart(5, 10, 7)).toBe(-3);
    expect(bucketStart(7, 10, 7)).toBe(7);
    expect(bucketStart(-5, 10, -7)).toBe(-7);
    expect(bucketStart(0, 10, -3)).toBe(-3);
    expect(bucketStart(6, 4, 1000001)).toBe(5);
  });

  test("negative timestamps aggregate into buckets that contain them", () => {
    const pts: Point[] = [
      [-25, 1],
      [-21, 2],
      [-20, 3],
      [-1, 4],
      [0, 5],
      [9, 6],
    ];
    expect(range(pts, -Infinity, Infinity, spec("sum", 10))).toEqual([
      [-30, 3],
      [-20, 3],
      [-10, 4],
      [0, 11],
    ]);
    expect(range(pts, -Infinity, Infinity, spec("count", 10, { align: 5 }))).toEqual([
      [-25, 3],
      [-5, 2],
      [5, 1],
    ]);
  });

  test("ALIGN start / end with explicit bounds", () => {
    const pts: Point[] = Array.from({ length: 30 }, (_, i) => [100 + i, i] as Point);
    // ALIGN - (from = 103): buckets 103, 113, 123 (the first one starts at from)
    expect(range(pts, 103, 129, spec("count", 10, { align: 103 }))).toEqual([
      [103, 10],
      [113, 10],
      [123, 7],
    ]);
    // ALIGN + (to = 126): buckets start ≡ 6 (mod 10), the last one starts at to
    expect(range(pts, 100, 126, spec("count", 10, { align: 126 }))).toEqual([
      [96, 6],
      [106, 10],
      [116, 10],
      [126, 1],
    ]);
  });
});

describe("BUCKETTIMESTAMP", () => {
  // RedisTimeSeries's flow test data
  const t1: Point[] = [
    [15, 1],
    [17, 4],
    [51, 3],
    [73, 5],
    [75, 3],
  ];

  test("start, mid, end", () => {
    expect(range(t1, 0, 100, spec("max", 10))).toEqual([
      [10, 4],
      [50, 3],
      [70, 5],
    ]);
    expect(range(t1, 0, 74, spec("max", 10, { bucketTimestamp: "mid" }))).toEqual([
      [15, 4],
      [55, 3],
      [75, 5],
    ]);
    expect(range(t1, 0, 100, spec("max", 10, { bucketTimestamp: "mid" }), true)).toEqual([
      [75, 5],
      [55, 3],
      [15, 4],
    ]);
    expect(range(t1, 0, 74, spec("max", 10, { bucketTimestamp: "end" }))).toEqual([
      [20, 4],
      [60, 3],
      [80, 5],
    ]);
  });

  test("mid rounds down for odd durations", () => {
    expect(range([[0, 1]], 0, 10, spec("sum", 5, { bucketTimestamp: "mid" }))).toEqual([[2, 1]]);
    expect(range([[-3, 1]], -10, 10, spec("sum", 5, { bucketTimestamp: "mid" }))).toEqual([[-3, 1]]);
  });
});

// --- EMPTY ------------------------------------------------------------------------------------------------

describe("EMPTY", () => {
  const t1: Point[] = [
    [15, 1],
    [17, 4],
    [51, 3],
    [73, 5],
    [75, 3],
  ];
  const e = (type: AggregatorName, d = 10, more: Partial<AggregationSpec> = {}) => spec(type, d, { empty: true, ...more });

  test("interior gaps: NaN, 0 for sum and count, the previous value for last", () => {
    const max: Point[] = [
      [10, 4],
      [20, NaN],
      [30, NaN],
      [40, NaN],
      [50, 3],
      [60, NaN],
      [70, 5],
    ];
    expect(range(t1, 0, 100, e("max"))).toEqual(max);
    expect(range(t1, 0, 100, e("max"), true)).toEqual(reversed(max));
    const last: Point[] = [
      [10, 4],
      [20, 4],
      [30, 4],
      [40, 4],
      [50, 3],
      [60, 3],
      [70, 3],
    ];
    expect(range(t1, 0, 100, e("last"))).toEqual(last);
    expect(range(t1, 0, 100, e("last"), true)).toEqual(reversed(last));
    const sum: Point[] = [
      [10, 5],
      [20, 0],
      [30, 0],
      [40, 0],
      [50, 3],
      [60, 0],
      [70, 8],
    ];
    expect(range(t1, 0, 100, e("sum"))).toEqual(sum);
    expect(range(t1, 0, 100, e("sum"), true)).toEqual(reversed(sum));
    expect(range(t1, 0, 100, e("count")).map(([, c]) => c)).toEqual([2, 0, 0, 0, 1, 0, 2]);
  });

  test("every aggregator's empty-bucket value between (10, 100) and (30, 200)", () => {
    const pts: Point[] = [
      [10, 100],
      [30, 200],
    ];
    const emptyValue: Record<AggregatorName, number> = {
      sum: 0,
      count: 0,
      last: 100,
      min: NaN,
      max: NaN,
      range: NaN,
      avg: NaN,
      first: NaN,
      "std.p": NaN,
      "std.s": NaN,
      "var.p": NaN,
      "var.s": NaN,
      twa: 175, // the line from 150 at 20 to 200 at 30
    };
    for (const type of ALL) {
      const out = range(pts, 0, 39, e(type));
      expect(out.map(([t]) => t)).toEqual([10, 20, 30]);
      expect(out[1][1]).toEqual(emptyValue[type]);
      expect(range(pts, 0, 39, e(type), true)).toEqual(reversed(out));
    }
  });

  test("no bucket before the first sample or after the last one", () => {
    const pts: Point[] = [
      [10, 100],
      [20, 110],
    ];
    for (const type of ALL) {
      expect(range(pts, 2, 5, e(type, 1))).toEqual([]);
      expect(range(pts, 25, 30, e(type, 1))).toEqual([]);
      expect(range(pts, 2, 5, e(type, 1), true)).toEqual([]);
      expect(range(pts, 25, 30, e(type, 1), true)).toEqual([]);
    }
  });

  test("a range inside a gap, and gaps at its edges, are filled when samples lie beyond it", () => {
    const pts: Point[] = [
      [10, 100],
      [20, 110],
    ];
    const check = (from: number, to: number, type: AggregatorName, want: Point[]) => {
      expect(range(pts, from, to, e(type, 1))).toEqual(want);
      expect(range(pts, from, to, e(type, 1), true)).toEqual(reversed(want));
    };
    // the whole range is a gap
    check(11, 16, "last", [11, 12, 13, 14, 15, 16].map((t) => [t, 100] as Point));
    check(11, 16, "sum", [11, 12, 13, 14, 15, 16].map((t) => [t, 0] as Point));
    check(11, 16, "avg", [11, 12, 13, 14, 15, 16].map((t) => [t, NaN] as Point));
    check(11, 16, "twa", [
      [11, 101.5],
      [12, 102.5],
      [13, 103.5],
      [14, 104.5],
      [15, 105.5],
      [16, 106], // the frame ends at to = 16
    ]);
    // trailing gap up to the bucket of `to`; 8 and 9 precede the first sample
    check(8, 12, "last", [
      [10, 100],
      [11, 100],
      [12, 100],
    ]);
    // leading gap from the bucket of `from`; 21 and 22 follow the last sample
    check(18, 22, "last", [
      [18, 100],
      [19, 100],
      [20, 110],
    ]);
    // leading gap whose older neighbour lies before the range
    check(13, 20, "last", [...[13, 14, 15, 16, 17, 18, 19].map((t) => [t, 100] as Point), [20, 110]]);
  });

  test("bucket size 5, ALIGN 2", () => {
    const pts: Point[] = [
      [12, 100],
      [42, 200],
    ];
    const starts = [12, 17, 22, 27, 32, 37, 42];
    const last = starts.map((t) => [t, t === 42 ? 200 : 100] as Point);
    expect(range(pts, 0, 60, e("last", 5, { align: 2 }))).toEqual(last);
    expect(range(pts, 0, 60, e("last", 5, { align: 2 }), true)).toEqual(reversed(last));
    expect(range(pts, 0, 60, e("sum", 5, { align: 2 }))).toEqual(starts.map((t) => [t, t === 12 ? 100 : t === 42 ? 200 : 0]));
    expect(range(pts, 0, 60, e("max", 5, { align: 2 }))).toEqual(starts.map((t) => [t, t === 12 ? 100 : t === 42 ? 200 : NaN]));
    for (const type of ["last", "twa", "sum", "max"] as AggregatorName[]) {
      expect(range(pts, 0, 11, e(type, 5, { align: 2 }))).toEqual([]);
      expect(range(pts, 47, 60, e(type, 5, { align: 2 }))).toEqual([]);
    }
  });

  test("several interior gaps, edges dropped, both directions", () => {
    const g: Point[] = [
      [25, 100],
      [55, 200],
      [85, 300],
    ];
    const ts = [20, 30, 40, 50, 60, 70, 80];
    const want: Partial<Record<AggregatorName, number[]>> = {
      last: [100, 100, 100, 200, 200, 200, 300],
      sum: [100, 0, 0, 200, 0, 0, 300],
      count: [1, 0, 0, 1, 0, 0, 1],
      max: [100, NaN, NaN, 200, NaN, NaN, 300],
      first: [100, NaN, NaN, 200, NaN, NaN, 300],
    };
    for (const [type, values] of Object.entries(want)) {
      const rows = ts.map((t, i) => [t, values![i]] as Point);
      expect(range(g, 0, 109, e(type as AggregatorName))).toEqual(rows);
      expect(range(g, 0, 109, e(type as AggregatorName), true)).toEqual(reversed(rows));
    }
  });

  test("twa with last: interpolated gap buckets; the last bucket ends at its last sample", () => {
    const pts: Point[] = [
      [5, 100],
      [45, 300],
    ];
    const twa: Point[] = [
      [0, 112.5],
      [10, 150],
      [20, 200],
      [30, 250],
      [40, 287.5],
    ];
    expect(range(pts, 0, 50, e("twa"))).toEqual(twa);
    expect(range(pts, 0, 50, e("twa"), true)).toEqual(reversed(twa));
    expect(range(pts, 0, 50, e("last"))).toEqual(twa.map(([t]) => [t, t === 40 ? 300 : 100]));
  });

  test("constant series: twa gaps are the constant", () => {
    const pts: Point[] = [
      [5, 100],
      [35, 100],
      [65, 100],
    ];
    const want = [0, 10, 20, 30, 40, 50, 60].map((t) => [t, 100] as Point);
    expect(range(pts, 0, 69, e("twa"))).toEqual(want);
    expect(range(pts, 0, 69, e("twa"), true)).toEqual(reversed(want));
  });

  test("a bucket of NaN samples only is empty: skipped, or reported with EMPTY", () => {
    const pts: Point[] = [
      [100, NaN],
      [200, 50],
    ];
    expect(range(pts, 100, 199, spec("last", 100))).toEqual([]);
    expect(range(pts, 100, 199, e("last", 100))).toEqual([[100, NaN]]);
    expect(range(pts, 100, 199, e("twa", 100))).toEqual([[100, NaN]]);
    expect(range(pts, 100, 199, e("count", 100))).toEqual([[100, 0]]);
    expect(range(pts, 0, 300, e("sum", 100))).toEqual([
      [100, 0],
      [200, 50],
    ]);
  });

  test("with BUCKETTIMESTAMP end, filled buckets are labelled the same way", () => {
    expect(range(t1, 0, 100, e("count", 10, { bucketTimestamp: "end" })).map(([t]) => t)).toEqual([20, 30, 40, 50, 60, 70, 80]);
  });

  test("no EMPTY fill with open bounds when nothing lies beyond them", () => {
    expect(range(t1, -Infinity, Infinity, e("count")).map(([t]) => t)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });
});

// --- twa ----------------------------------------------------------------------------------------------------

describe("twa", () => {
  /** RedisTimeSeries's flow-test expectation for one bucket [10, 20) queried as TS.RANGE key 10 20. */
  function twa1020(series: Point[]): number {
    const out = range(series, 10, 20, spec("twa", 10));
    const rev = range(series, 10, 20, spec("twa", 10), true);
    expect(out[0][0]).toBe(10);
    expect(rev[rev.length - 1][1]).toBeCloseTo(out[0][1], 12);
    return out[0][1];
  }
  const pts = (...ts: number[]): Point[] => ts.map((t) => [t, t]);

  test("neighbours on both sides extend the curve to the bucket's edges", () => {
    // samples 8 9 10 13 14 | 23: va = 10 at 10, vb = 20 at 20
    const s1 = (10 + 10) * 0 + (10 + 13) * 3 + (13 + 14) * 1 + (20 + 14) * 6;
    expect(twa1020(pts(8, 9, 10, 13, 14, 23))).toBeCloseTo(s1 / 20, 12);
    const s2 = (10 + 13) * 3 + (13 + 14) * 1 + (20 + 14) * 6;
    expect(twa1020(pts(8, 9, 13, 14, 23))).toBeCloseTo(s2 / 20, 12);
  });

  test("no sample before: the curve starts at the first sample", () => {
    // 13 | 28: vb = 20; area over [13, 20]
    expect(twa1020(pts(13, 28))).toBeCloseTo(((13 + 20) * 7) / (2 * 7), 12);
    expect(twa1020(pts(17, 21))).toBeCloseTo(((17 + 20) * 3) / (2 * 3), 12);
  });

  test("no sample after: the curve stops at the last sample", () => {
    expect(twa1020(pts(3, 17))).toBeCloseTo(((10 + 17) * 7) / (2 * 7), 12);
    expect(twa1020(pts(7, 15))).toBeCloseTo(((10 + 15) * 5) / (2 * 5), 12);
  });

  test("a lone sample is its own average", () => {
    expect(twa1020(pts(15))).toBe(15);
  });

  test("non-linear values", () => {
    const series: Point[] = [
      [0, 0],
      [10, 10],
      [12, 0],
      [30, 90],
    ];
    // bucket [10, 20): 10@10, 0@12, then the line to 90@30 gives 40 at 20
    const area = ((10 + 0) * 2) / 2 + ((0 + 40) * 8) / 2;
    expect(range(series, 10, 29, spec("twa", 10))[0]).toEqual([10, area / 10]);
    // bucket [0, 10) has the sample at 10 just after it: its curve ends exactly there
    expect(range(series, 0, 29, spec("twa", 10))[0]).toEqual([0, 5]);
  });
});

// --- properties ---------------------------------------------------------------------------------------------

const seriesArb = fc
  .uniqueArray(fc.integer({ min: -500, max: 500 }), { minLength: 0, maxLength: 60 })
  .chain((ts) => fc.tuple(fc.constant(ts.sort((a, b) => a - b)), fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: ts.length, maxLength: ts.length })))
  .map(([ts, vs]) => ts.map((t, i) => [t, vs[i]] as Point));

describe("properties", () => {
  test("count / sum / min / max / first / last equal a naive grouping", () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: -200, max: 200 }),
        fc.constantFrom<AggregatorName>("count", "sum", "min", "max", "first", "last"),
        (series, d, align, type) => {
          const groups = new Map<number, number[]>();
          for (const [t, v] of series) {
            const start = Math.floor((t - align) / d) * d + align;
            groups.set(start, [...(groups.get(start) ?? []), v]);
          }
          const naive = [...groups.entries()].map(([start, vs]): Point => {
            switch (type) {
              case "count":
                return [start, vs.length];
              case "sum":
                return [start, vs.reduce((a, b) => a + b, 0)];
              case "min":
                return [start, Math.min(...vs)];
              case "max":
                return [start, Math.max(...vs)];
              case "first":
                return [start, vs[0]];
              default:
                return [start, vs[vs.length - 1]];
            }
          });
          const s = spec(type, d, { align });
          expect([...aggregate(series, s, -Infinity, Infinity, false)]).toEqual(naive);
          expect([...aggregate(reversed(series), s, -Infinity, Infinity, true)]).toEqual(reversed(naive));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("reverse is the mirror image of forward, with EMPTY and a sub-range, for every aggregator", () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: -100, max: 100 }),
        fc.integer({ min: -600, max: 600 }),
        fc.integer({ min: 0, max: 800 }),
        fc.constantFrom(...ALL),
        fc.boolean(),
        fc.constantFrom<AggregationSpec["bucketTimestamp"]>("start", "mid", "end"),
        (series, d, align, from, width, type, empty, bucketTimestamp) => {
          const s = spec(type, d, { align, empty, bucketTimestamp });
          const fwd = range(series, from, from + width, s);
          const rev = range(series, from, from + width, s, true);
          expectSameBuckets(reversed(rev), fwd);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("with EMPTY, buckets are contiguous and lie between samples of the series", () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: -600, max: 600 }), fc.integer({ min: 0, max: 800 }), (series, d, from, width) => {
        const to = from + width;
        const out = range(series, from, to, spec("count", d, { empty: true }));
        for (let i = 1; i < out.length; i++) expect(out[i][0] - out[i - 1][0]).toBe(d);
        const plain = range(series, from, to, spec("count", d));
        expect(out.filter(([, c]) => c > 0)).toEqual(plain);
        if (out.length > 0 && series.length > 0) {
          expect(out[0][0] + d).toBeGreaterThan(series[0][0]); // ends after the first sample
          expect(out[out.length - 1][0]).toBeLessThanOrEqual(series[series.length - 1][0]); // starts by the last
          expect(out[0][0]).toBe(bucketStart(Math.max(from, series[0][0]), d, 0));
        }
      }),
      { numRuns: 300 },
    );
  });

  test("twa equals the integral of the polyline through the series over each bucket's frame", () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: -600, max: 600 }), fc.integer({ min: 0, max: 800 }), (series, d, from, width) => {
        const to = from + width;
        const valueAt = (a: Point, b: Point, x: number) => a[1] + ((x - a[0]) * (b[1] - a[1])) / (b[0] - a[0]);
        const want: Point[] = [];
        const inside = series.map((p, i) => [p, i] as const).filter(([[t]]) => t >= from && t <= to);
        for (let k = 0; k < inside.length; ) {
          const s = bucketStart(inside[k][0][0], d, 0);
          let j = k;
          while (j + 1 < inside.length && bucketStart(inside[j + 1][0][0], d, 0) === s) j++;
          const older = series[inside[k][1] - 1];
          const newer = series[inside[j][1] + 1];
          const line = [...(older ? [older] : []), ...inside.slice(k, j + 1).map(([p]) => p), ...(newer ? [newer] : [])];
          const lo = older ? Math.max(s, from) : inside[k][0][0];
          const hi = newer ? Math.min(s + d, to) : inside[j][0][0];
          let area = 0;
          for (let i = 1; i < line.length; i++) {
            const x1 = Math.max(lo, line[i - 1][0]);
            const x2 = Math.min(hi, line[i][0]);
            if (x2 > x1) area += ((valueAt(line[i - 1], line[i], x1) + valueAt(line[i - 1], line[i], x2)) * (x2 - x1)) / 2;
          }
          want.push([s, hi === lo ? inside[j][0][1] : area / (hi - lo)]);
          k = j + 1;
        }
        expectSameBuckets(range(series, from, to, spec("twa", d)), want);
        expectSameBuckets(reversed(range(series, from, to, spec("twa", d), true)), want);
      }),
      { numRuns: 300 },
    );
  });

  test("variance and standard deviation match a two-pass computation", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), (vs) => {
        const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
        const ss = vs.reduce((a, v) => a + (v - mean) ** 2, 0);
        const tol = Math.max(1e-6, ss * 1e-9);
        expect(Math.abs(reduce("var.p", vs) - ss / vs.length)).toBeLessThanOrEqual(tol);
        expect(Math.abs(reduce("var.s", vs) - (vs.length > 1 ? ss / (vs.length - 1) : 0))).toBeLessThanOrEqual(tol);
        expect(reduce("std.p", vs)).toBeCloseTo(Math.sqrt(reduce("var.p", vs)), 9);
      }),
    );
  });

  test("aggregation is lazy: it pulls points only as buckets are needed", () => {
    let pulled = 0;
    function* endless(): Generator<Point> {
      for (let t = 0; ; t++) {
        pulled++;
        yield [t, 1];
      }
    }
    const it = aggregate(endless(), spec("sum", 1000), -Infinity, Infinity, false);
    expect(it.next().value).toEqual([0, 1000]);
    expect(it.next().value).toEqual([1000, 1000]);
    expect(pulled).toBeLessThanOrEqual(2002);
  });
});

// --- names, reducers -----------------------------------------------------------------------------------------

describe("names", () => {
  test("aggregators parse in any case", () => {
    for (const name of ALL) {
      expect(parseAggregator(name)).toBe(name);
      expect(parseAggregator(name.toUpperCase())).toBe(name);
    }
    expect(parseAggregator("Std.P")).toBe("std.p");
    for (const bad of ["", "mean", "std", "countnan ", "avg,sum", "twa2"]) expect(parseAggregator(bad)).toBeUndefined();
  });

  test("reducers exclude first, last and twa", () => {
    for (const name of ["avg", "sum", "min", "max", "range", "count", "std.p", "std.s", "var.p", "var.s"]) {
      expect(parseReducer(name.toUpperCase())).toBe(name);
    }
    for (const bad of ["first", "last", "twa", "LAST", "median", ""]) expect(parseReducer(bad)).toBeUndefined();
  });

  test("bucketDuration must be a positive integer", () => {
    expect(() => [...aggregate([], spec("sum", 0), 0, 10, false)]).toThrow(RangeError);
    expect(() => [...aggregate([], spec("sum", 1.5), 0, 10, false)]).toThrow(RangeError);
  });
});

describe("reduce", () => {
  const vs = [3, NaN, 1, 8, 4];
  test("each reducer over non-NaN values", () => {
    expect(reduce("avg", vs)).toBe(4);
    expect(reduce("sum", vs)).toBe(16);
    expect(reduce("min", vs)).toBe(1);
    expect(reduce("max", vs)).toBe(8);
    expect(reduce("range", vs)).toBe(7);
    expect(reduce("count", vs)).toBe(4);
    expect(reduce("var.p", vs)).toBe(6.5);
    expect(reduce("var.s", vs)).toBeCloseTo(26 / 3, 12);
    expect(reduce("std.p", vs)).toBeCloseTo(Math.sqrt(6.5), 12);
    expect(reduce("std.s", vs)).toBeCloseTo(Math.sqrt(26 / 3), 12);
  });

  test("nothing but NaN: 0 for count, NaN otherwise", () => {
    expect(reduce("count", [NaN, NaN])).toBe(0);
    expect(reduce("count", [])).toBe(0);
    expect(reduce("sum", [NaN])).toBeNaN();
    expect(reduce("max", [])).toBeNaN();
  });

  test("one value: sample variance 0", () => {
    expect(reduce("var.s", [5])).toBe(0);
    expect(reduce("std.s", [5])).toBe(0);
  });
});

// --- filters --------------------------------------------------------------------------------------------------

describe("parseFilters", () => {
  test("every documented form", () => {
    expect(parseFilters(["type=stock", "name!=A", "region=", "team!=", "city=(TLV,NY)", "color!=(red,blue)"])).toEqual<Matcher[]>([
      { label: "type", op: "eq", values: ["stock"] },
      { label: "name", op: "neq", values: ["A"] },
      { label: "region", op: "eq", values: [""] },
      { label: "team", op: "neq", values: [""] },
      { label: "city", op: "eq", values: ["TLV", "NY"] },
      { label: "color", op: "neq", values: ["red", "blue"] },
    ]);
  });

  test("lists: one value, empty, spaces kept", () => {
    expect(parseFilters(["a=(x)"])).toEqual([{ label: "a", op: "eq", values: ["x"] }]);
    expect(parseFilters(["a=()"])).toEqual([{ label: "a", op: "eq", values: [] }]);
    expect(parseFilters(["a=x", "b!=()"])[1]).toEqual({ label: "b", op: "neq", values: [] });
    expect(parseFilters(["a=(y y,z z)"])).toEqual([{ label: "a", op: "eq", values: ["y y", "z z"] }]);
  });

  test("values may hold '=' and '!'", () => {
    expect(parseFilters(["expr=x=1"])).toEqual([{ label: "expr", op: "eq", values: ["x=1"] }]);
    expect(parseFilters(["a=b!=c"])).toEqual([{ label: "a", op: "eq", values: ["b!=c"] }]);
    expect(parseFilters(["a=!"])).toEqual([{ label: "a", op: "eq", values: ["!"] }]);
  });

  const syntax = (args: string[]) => {
    try {
      parseFilters(args);
    } catch (e) {
      expect(e).toBeInstanceOf(CommandError);
      return (e as CommandError).reply;
    }
    throw new Error(`parsed: ${args.join(" ")}`);
  };

  test("malformed expressions: failed parsing labels", () => {
    for (const bad of ["type", "", "=stock", "!=stock", "!=", "=", "a=(x", "a=(", "a=(x,,y)", "a=(,x)", "a=(x,)", "a!=(x", "a=(x)y"]) {
      expect(syntax(["ok=1", bad])).toBe("ERR TSDB: failed parsing labels");
    }
  });

  test("no l=v or l=(…) matcher: please provide at least one matcher", () => {
    for (const args of [["a!=b"], ["a="], ["a!="], ["a!=(x,y)"], ["a=", "b!=c", "d!="], []]) {
      expect(syntax(args)).toBe("ERR TSDB: please provide at least one matcher");
    }
  });

  test("a parse error wins over a missing matcher", () => {
    expect(syntax(["a!=b", "junk"])).toBe("ERR TSDB: failed parsing labels");
  });
});

describe("matchesAll", () => {
  const labels = (o: Record<string, string>) => Object.entries(o);
  const ts1 = labels({ metric: "cpu", metric_name: "system", team: "NY" });
  const ts2 = labels({ metric: "cpu", metric_name: "user", team: "SF" });
  const stock = labels({ type: "stock", name: "A" });
  const m = (...args: string[]) => parseFilters(args);

  test("redis.io examples", () => {
    expect(matchesAll(ts1, m("metric=cpu"))).toBe(true);
    expect(matchesAll(ts2, m("metric=cpu"))).toBe(true);
    expect(matchesAll(stock, m("metric=cpu"))).toBe(false);
    expect(matchesAll(stock, m("type=stock"))).toBe(true);
    expect(matchesAll(labels({ type: "temperature", room: "study" }), m("type=temperature", "room=study"))).toBe(true);
    expect(matchesAll(labels({ type: "temperature", room: "kitchen" }), m("type=temperature", "room=study"))).toBe(false);
  });

  test("l=v and l!=v", () => {
    expect(matchesAll(ts1, m("metric=cpu", "team!=SF"))).toBe(true);
    expect(matchesAll(ts2, m("metric=cpu", "team!=SF"))).toBe(false);
    expect(matchesAll(stock, m("type=stock", "team!=SF"))).toBe(true); // no label: not equal
    expect(matchesAll(ts1, m("metric=CPU"))).toBe(false); // case-sensitive
  });

  test("l= and l!=", () => {
    expect(matchesAll(stock, m("type=stock", "team="))).toBe(true);
    expect(matchesAll(ts1, m("metric=cpu", "team="))).toBe(false);
    expect(matchesAll(ts1, m("metric=cpu", "team!="))).toBe(true);
    expect(matchesAll(stock, m("type=stock", "team!="))).toBe(false);
  });

  test("lists", () => {
    expect(matchesAll(ts1, m("team=(NY,SF)"))).toBe(true);
    expect(matchesAll(stock, m("team=(NY,SF)"))).toBe(false);
    expect(matchesAll(ts1, m("metric=cpu", "team!=(NY,LA)"))).toBe(false);
    expect(matchesAll(ts2, m("metric=cpu", "team!=(NY,LA)"))).toBe(true);
    expect(matchesAll(stock, m("type=stock", "team!=(NY,LA)"))).toBe(true);
    expect(matchesAll(ts1, m("team=()"))).toBe(false);
    expect(matchesAll(ts1, m("metric=cpu", "team!=()"))).toBe(true);
  });

  test("an empty matcher list matches everything", () => {
    expect(matchesAll(ts1, [])).toBe(true);
  });
});

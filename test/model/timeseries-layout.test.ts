// The series header and the engine keys of the time-series face (docs/format.md, "Time series on disk"): round trips, byte order,
// and the key order the chunk invariants rely on.
import { decodeHeader, encodeHeader, HeaderError, maxChunkPoints, SeriesHeader } from "../../src/model/series/header";
import { chunkKey, chunkRange, chunkStartOf, decodeNextId, deltaKey, encodeNextId, labelKey, labelValueRange } from "../../src/model/series/layout";
import fc from "fast-check";
import { formatSampleValue } from "../../src/model/series/format";
import { decodeBase, decodeDelta, decodeNote, encodeBase, encodeDelta, encodeNote, encodePoints } from "../../src/model/series/open-chunk";

const header = (over: Partial<SeriesHeader> = {}): SeriesHeader => ({
  id: 2 ** 40 + 7,
  retention: 31536000000,
  chunkSize: 4096,
  duplicatePolicy: "max",
  uncompressed: true,
  ignoreMaxTimeDiff: 10,
  ignoreMaxValDiff: 0.5,
  labels: [
    ["sensor_id", "2"],
    ["área", "\xff\x01"],
  ],
  srcKey: Buffer.from([0, 1, 2, 255]),
  rules: [{ destKey: Buffer.from("dest"), aggregator: "twa", bucketDuration: 86400000, align: 21600000, from: 1672531200001 }],
  sealedSamples: 2 ** 33,
  sealedChunks: 12345,
  sealedBytes: 2 ** 35 + 3,
  notesCovered: 2 ** 41 + 5,
  ...over,
});

describe("series header", () => {
  it("round-trips every field", () => {
    const h = header();
    expect(decodeHeader(encodeHeader(h))).toEqual(h);
    const bare = header({ duplicatePolicy: null, uncompressed: false, labels: [], srcKey: null, rules: [], sealedSamples: 0 });
    expect(decodeHeader(encodeHeader(bare))).toEqual(bare);
  });

  it("keeps the id at bytes 8..15 (read without decoding) and little-endian integers", () => {
    const b = encodeHeader(header({ id: 0x0102030405 }));
    expect(b[0]).toBe(1);
    expect(b.readUInt32LE(8) + b.readUInt32LE(12) * 2 ** 32).toBe(0x0102030405);
    expect(b.readUInt32LE(4)).toBe(4096);
  });

  it("refuses a truncated or unknown header", () => {
    const b = encodeHeader(header());
    expect(() => decodeHeader(b.subarray(0, b.length - 8 - 3))).toThrow(HeaderError);
    const v2 = Buffer.from(b);
    v2[0] = 2;
    expect(() => decodeHeader(v2)).toThrow(HeaderError);
  });

  it("reads a header written before WAL notes (no notes-covered field) as covering none", () => {
    const b = encodeHeader(header());
    expect(b.readUInt32LE(b.length - 8) + b.readInt32LE(b.length - 4) * 2 ** 32).toBe(2 ** 41 + 5);
    expect(decodeHeader(b.subarray(0, b.length - 8))).toEqual(header({ notesCovered: 0 }));
  });

  it("maps CHUNK_SIZE to points per chunk", () => {
    expect(maxChunkPoints(4096)).toBe(256);
    expect(maxChunkPoints(48)).toBe(3);
    expect(maxChunkPoints(1048576)).toBe(4096);
  });
});

describe("engine keys", () => {
  it("chunk keys sort by series, then start (negative starts first); deltas sit right after their chunk", () => {
    const keys = [
      chunkKey(1, -5000),
      chunkKey(1, -1),
      chunkKey(1, 0),
      deltaKey(1, 0, 0),
      deltaKey(1, 0, 63),
      chunkKey(1, 1),
      chunkKey(1, 2 ** 32),
      chunkKey(1, 2 ** 53 - 1),
      chunkKey(2, 0),
    ];
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
    for (const t of [-5000, -1, 0, 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)]) expect(chunkStartOf(chunkKey(9, t))).toBe(t);
    const r = chunkRange(1);
    for (const k of keys.slice(0, -1)) expect(Buffer.compare(k, r.gte) >= 0 && Buffer.compare(k, r.lt) < 0).toBe(true);
    expect(Buffer.compare(chunkKey(2, 0), r.lt) >= 0).toBe(true);
  });

  it("label entries of one (label, value) share a prefix that no other value has", () => {
    const k = Buffer.from("user\x00key");
    const r = labelValueRange("room", "kit");
    const inside = labelKey("room", "kit", k);
    expect(Buffer.compare(inside, r.gte) >= 0 && Buffer.compare(inside, r.lt) < 0).toBe(true);
    expect(inside.subarray(r.prefixLength)).toEqual(k);
    for (const other of [labelKey("room", "kitchen", k), labelKey("room", "ki", k), labelKey("roomy", "kit", k)]) {
      expect(Buffer.compare(other, r.gte) >= 0 && Buffer.compare(other, r.lt) < 0).toBe(false);
    }
  });

  it("next id round-trips; a missing one starts at 1", () => {
    expect(decodeNextId(encodeNextId(2 ** 45 + 3))).toBe(2 ** 45 + 3);
    expect(decodeNextId(undefined)).toBe(1);
  });
});

describe("RESP2 sample values", () => {
  it("print as RedisTimeSeries 1.12 does", () => {
    const cases: Array<[number, string]> = [
      [26, "26"],
      [25.5, "25.5"],
      [-3.75, "-3.75"],
      [100, "100"],
      [0, "0"],
      [-0, "-0"],
      [0.5, "5E-1"],
      [-0.25, "-2.5E-1"],
      [0.0001234, "1.234E-4"],
      [1e20, "1E20"],
      [1.7976931348623157e308, "1.7976931348623157E308"],
      [4503599627370495, "4503599627370495"],
      [4503599627370496, "4.503599627370496E15"],
      [Infinity, "Infinity"],
      [-Infinity, "-Infinity"],
      [NaN, "NaN"],
    ];
    for (const [v, s] of cases) expect(formatSampleValue(v)).toBe(s);
  });

  it("writes short decimals (its integer fast path) with the same digits as Number's shortest round trip", () => {
    const plain = (v: number) => (Math.abs(v) >= 1 && Math.abs(v) < 2 ** 52 ? String(v) : formatSampleValue(v));
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15), max: 10 ** 15 }), fc.integer({ min: 0, max: 8 }), (m, d) => {
        const v = m / 10 ** d;
        expect(formatSampleValue(v)).toBe(plain(v));
      }),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -(2 ** 53), max: 2 ** 53 }), (v) => {
        expect(formatSampleValue(v)).toBe(plain(v));
      }),
      { numRuns: 20000 },
    );
    for (const v of [1.5, -1.5, 42.17, 99.99, 1.000001, 1.0000001, 123456789.123456, 999999999999999.9, 0.1 + 0.2 + 1, 1e15 - 0.5]) {
      expect(formatSampleValue(v)).toBe(plain(v));
    }
  });
});

describe("newest chunk entries and WAL notes", () => {
  const ts = Float64Array.from([10, 20, 30]);
  const vals = Float64Array.from([1.5, -2, 3e300]);
  const pts = { ts, vals, n: 3 };

  it("a base records the deltas and the WAL notes it covers; a bare chunk covers neither", () => {
    const b = decodeBase(encodeBase(pts, 7, 2 ** 40 + 9));
    expect([b.covered, b.notes, [...b.p.ts.subarray(0, b.p.n)], [...b.p.vals.subarray(0, b.p.n)]]).toEqual([7, 2 ** 40 + 9, [10, 20, 30], [1.5, -2, 3e300]]);
    const bare = encodeBase(pts, 0, 0);
    expect(bare.equals(encodePoints(pts))).toBe(true);
    expect(decodeBase(bare)).toMatchObject({ covered: 0, notes: 0 });
  });

  it("reads the older base form (0xB5, no notes field) as covering no note", () => {
    const c = encodePoints(pts);
    const old = Buffer.concat([Buffer.from([0xb5, 4, 0, 0, 0]), c]);
    expect(decodeBase(old)).toMatchObject({ covered: 4, notes: 0 });
  });

  it("deltas, raw and compressed, carry the notes they cover; older kinds read as covering none", () => {
    const raw = decodeDelta(encodeDelta(3, ts, vals, 1, 3, 99));
    expect([raw.notes, [...raw.ts.subarray(0, raw.n)], [...raw.vals.subarray(0, raw.n)]]).toEqual([99, [20, 30], [-2, 3e300]]);
    const many = Float64Array.from({ length: 40 }, (_, i) => 1000 + i);
    const big = decodeDelta(encodeDelta(3, many, many, 0, 40, 12345));
    expect([big.notes, big.n, big.ts[39]]).toEqual([12345, 40, 1039]);
    const oldRaw = Buffer.alloc(5 + 16);
    oldRaw.writeUInt32LE(3, 0);
    oldRaw[4] = 0;
    oldRaw.writeDoubleLE(5, 5);
    oldRaw.writeDoubleLE(6, 13);
    expect(decodeDelta(oldRaw)).toMatchObject({ n: 1, notes: 0 });
  });

  it("a note names its series id and holds the appended points; anything else is not a note", () => {
    const n = decodeNote(encodeNote(2 ** 35 + 1, ts, vals, 0, 3));
    expect([n?.id, [...(n?.ts ?? [])], [...(n?.vals ?? [])]]).toEqual([2 ** 35 + 1, [10, 20, 30], [1.5, -2, 3e300]]);
    expect(decodeNote(Buffer.from([2, 0, 0]))).toBeUndefined();
    expect(decodeNote(encodeNote(1, ts, vals, 0, 1).subarray(0, 20))).toBeUndefined();
  });
});

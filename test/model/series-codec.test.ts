import fc from "fast-check";
import { TskvError, isCorruption } from "../../src/engine/errors";
import {
  MAX_CHUNK_POINTS,
  chunkCount,
  chunkFirstTimestamp,
  chunkLastTimestamp,
  chunkTimestampCodec,
  chunkValueCodec,
  decodeChunk,
  encodeChunk,
} from "../../src/model/series/codec";

const MAX_TS = Number.MAX_SAFE_INTEGER;
const T0 = 1_700_000_000_000;

function bitsOf(values: Float64Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** Encodes, decodes and checks every timestamp and every value bit for bit, plus the header readers. */
function roundTrip(ts: ArrayLike<number>, values: Float64Array): Buffer {
  const chunk = encodeChunk(ts, values);
  const got = decodeChunk(chunk);
  expect(Array.from(got.timestamps)).toEqual(Array.from(ts));
  expect(bitsOf(got.values)).toEqual(bitsOf(values));
  expect(chunkCount(chunk)).toBe(ts.length);
  expect(chunkFirstTimestamp(chunk)).toBe(ts[0]);
  expect(chunkLastTimestamp(chunk)).toBe(ts[ts.length - 1]);
  return chunk;
}

function regular(n: number, start = T0, step = 10_000): number[] {
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** The brief's "gauge": 2000 points 10 s apart, a ±0.1 random walk from 20.0 rounded to one decimal. */
function gauge(seed: number, n = 2000): Float64Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Float64Array(n);
  let v = 20.0;
  for (let i = 0; i < n; i++) {
    out[i] = v;
    v = Math.round((v + (next() < 0.5 ? -0.1 : 0.1)) * 10) / 10;
  }
  return out;
}

/** Strictly increasing safe-integer timestamps: a start and positive gaps, some huge. */
const timestampsArb = (min: number, max: number): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.integer({ min: -MAX_TS, max: MAX_TS }), { minLength: min, maxLength: max, size: "max" })
    .chain((extremes) =>
      fc.tuple(
        fc.constant(extremes),
        fc.integer({ min: -MAX_TS, max: MAX_TS }),
        fc.array(fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 100_000 })), { minLength: min, maxLength: max, size: "max" }),
      ),
    )
    .map(([extremes, start, gaps]) => {
      // Either fully random safe integers (irregular, huge gaps) or a start plus small gaps.
      if (extremes.length > 0 && extremes[0] % 2 === 0) return [...extremes].sort((a, b) => a - b);
      const out: number[] = [];
      let t = Math.min(start, MAX_TS - 100_000 * gaps.length);
      for (const g of gaps) out.push((t += g));
      return out.length > 0 ? out : [t];
    })
    .filter((ts) => ts.length >= 1);

/** Any float64 bit pattern: NaN payloads, signalling NaNs, ±Inf, -0, subnormals. */
const rawDoubleArb = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }));
const specialArb = fc.constantFrom(
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.EPSILON,
  2 ** 53,
  -(2 ** 51),
  2 ** 51 - 1,
  0.1,
  1e-9,
);

function valuesFor(n: number): fc.Arbitrary<Float64Array> {
  const walk = fc
    .tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: -1e6, max: 1e6 }), fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n, maxLength: n }))
    .map(([d, start, steps]) => {
      const out = new Float64Array(n);
      let k = start;
      for (let i = 0; i < n; i++) out[i] = (k += steps[i]) / 10 ** d;
      return out;
    });
  const doubles = fc
    .array(fc.oneof(fc.double(), specialArb), { minLength: n, maxLength: n })
    .map((a) => Float64Array.from(a));
  const raw = fc.array(rawDoubleArb, { minLength: n, maxLength: n }).map((pairs) => {
    const out = new Float64Array(n);
    const bits = bitsOf(out);
    pairs.forEach(([a, b], i) => {
      bits[2 * i] = a;
      bits[2 * i + 1] = b;
    });
    return out;
  });
  const constant = fc.oneof(fc.double(), specialArb).map((v) => new Float64Array(n).fill(v));
  const mixed = fc
    .tuple(walk, doubles)
    .map(([a, b]) => a.map((v, i) => (i % 7 === 3 ? b[i] : v)));
  return fc.oneof(walk, doubles, raw, constant, mixed);
}

const chunkArb = (minLen: number, maxLen: number): fc.Arbitrary<{ ts: number[]; values: Float64Array }> =>
  timestampsArb(minLen, maxLen).chain((ts) => valuesFor(ts.length).map((values) => ({ ts, values })));

describe("series chunk codec: round trips", () => {
  test("any timestamps and values round-trip bit for bit", () => {
    fc.assert(
      fc.property(chunkArb(1, 300), ({ ts, values }) => {
        roundTrip(ts, values);
      }),
      { numRuns: 500 },
    );
  });

  test("plain number arrays round-trip too", () => {
    fc.assert(
      fc.property(chunkArb(1, 50), ({ ts, values }) => {
        const chunk = encodeChunk(ts, Array.from(values));
        const got = decodeChunk(chunk);
        expect(Array.from(got.timestamps)).toEqual(ts);
        // Canonical NaN aside (a JS number need not keep its payload), every value is the same number.
        got.values.forEach((v, i) => expect(Object.is(v, values[i])).toBe(true));
      }),
    );
  });

  test("a long chunk crosses many frames and windows", () => {
    fc.assert(
      fc.property(chunkArb(200, 3000), ({ ts, values }) => {
        roundTrip(ts, values);
      }),
      { numRuns: 30 },
    );
  });

  test("single points", () => {
    for (const t of [0, -1, 1, -MAX_TS, MAX_TS, T0]) {
      for (const v of [NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 20.1, 2 ** 60]) {
        roundTrip([t], new Float64Array([v]));
      }
    }
  });

  test("extreme timestamps near ±2^53 with deltas float64 cannot hold exactly", () => {
    const v = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i * 0.5);
    roundTrip([-MAX_TS, MAX_TS], v(2));
    roundTrip([-MAX_TS, 0, MAX_TS], v(3));
    roundTrip([-MAX_TS, -MAX_TS + 1, MAX_TS - 1, MAX_TS], v(4));
    roundTrip([-MAX_TS, 3, 4, 5, MAX_TS - 7, MAX_TS], v(6));
    roundTrip([-MAX_TS + 1, 1, MAX_TS], v(3));
    roundTrip([1, 2, 4, 2 ** 31 + 4, 2 ** 32 + 9, 2 ** 40, 2 ** 40 + 1, 2 ** 52, MAX_TS], v(9));
  });

  test("negative and irregular timestamps", () => {
    roundTrip([-5000, -4000, -3001, -1, 0, 1, 1000, 1001, 1000000, 1000001], gauge(3, 10));
    roundTrip(regular(100, -1_000_000_000_000, 1), gauge(4, 100));
  });

  test("constants", () => {
    for (const v of [0, 1, 20.5, NaN, -0, Infinity, 1e300, 5e-324]) roundTrip(regular(500), new Float64Array(500).fill(v));
  });

  test("NaN payloads, signalling NaNs and both zeros are kept", () => {
    const values = new Float64Array(6);
    const bits = bitsOf(values);
    bits.set([0x00000001, 0x7ff00000, 0xdeadbeef, 0xfff7ffff, 0, 0x80000000, 0, 0, 0, 0x7ff80000, 1, 0x7ff80000]);
    roundTrip(regular(6), values);
  });

  test("encodeChunk takes the first n points only", () => {
    const ts = regular(10);
    const values = gauge(5, 10);
    const got = decodeChunk(encodeChunk(ts, values, 4));
    expect(Array.from(got.timestamps)).toEqual(ts.slice(0, 4));
    expect(Array.from(got.values)).toEqual(Array.from(values.subarray(0, 4)));
  });
});

describe("series chunk codec: codec choice and size", () => {
  test("the gauge data takes at most 1.2 bytes per point (Gorilla publishes 1.37)", () => {
    for (const seed of [1, 2, 3, 4]) {
      const chunk = roundTrip(regular(2000), gauge(seed));
      expect(chunkValueCodec(chunk)).toBe("decimal");
      expect(chunkTimestampCodec(chunk)).toBe("regular");
      expect(chunk.length / 2000).toBeLessThanOrEqual(1.2);
    }
  });

  test("the gauge with jittered timestamps still beats 1.37 bytes per point", () => {
    const ts = regular(2000).map((t, i) => t + ((i * 7919) % 21) - 10);
    const chunk = roundTrip(ts, gauge(7));
    expect(chunkTimestampCodec(chunk)).toBe("dod");
    expect(chunk.length / 2000).toBeLessThan(1.37);
  });

  test("decimal data takes the decimal codec, random doubles take XOR", () => {
    const ts = regular(1000);
    const prices = Float64Array.from({ length: 1000 }, (_, i) => (123456 + ((i * 37) % 200) - 100) / 100);
    expect(chunkValueCodec(roundTrip(ts, prices))).toBe("decimal");
    const integers = Float64Array.from({ length: 1000 }, (_, i) => i * 1000 + (i % 13));
    expect(chunkValueCodec(roundTrip(ts, integers))).toBe("decimal");
    const nano = Float64Array.from({ length: 1000 }, (_, i) => (i * 7) / 1e9);
    expect(chunkValueCodec(roundTrip(ts, nano))).toBe("decimal");
    const random = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e6);
    expect(chunkValueCodec(roundTrip(ts, random))).toBe("xor");
  });

  test("-0, NaN, ±Inf, 10 decimals and |scaled| >= 2^51 rule out the decimal codec", () => {
    const ts = regular(100);
    for (const odd of [-0, NaN, Infinity, -Infinity, 1e-10, 0.1 + 0.2, 2 ** 51, -(2 ** 51), 2 ** 50 + 0.5]) {
      const values = gauge(9, 100);
      values[50] = odd;
      expect(chunkValueCodec(roundTrip(ts, values))).toBe("xor");
    }
    const justInside = Float64Array.from({ length: 100 }, (_, i) => 2 ** 51 - 1 - i);
    expect(chunkValueCodec(roundTrip(ts, justInside))).toBe("decimal");
    const outside = Float64Array.from({ length: 100 }, (_, i) => 2 ** 51 - i);
    expect(chunkValueCodec(roundTrip(ts, outside))).toBe("xor");
  });

  test("the smaller codec wins: integers with rare huge jumps qualify for decimal but take XOR", () => {
    const ts = regular(640);
    const spiky = Float64Array.from({ length: 640 }, (_, i) => (i % 64 === 10 ? 2 ** 50 : 1));
    expect(chunkValueCodec(roundTrip(ts, spiky))).toBe("xor");
    const alternating = Float64Array.from({ length: 640 }, (_, i) => (i % 2 === 0 ? 2 : 1));
    expect(chunkValueCodec(roundTrip(ts, alternating))).toBe("decimal");
  });

  test("golden bytes: three points, the format in docs/format.md, Series chunk", () => {
    const chunk = encodeChunk([1000, 2000, 3000], new Float64Array([1.5, 1.5, 1.6]));
    expect(chunk.toString("hex")).toBe("1503e803000000000000b80b00000000000000011e080280");
    const dod = encodeChunk([1000, 2000, 3500], new Float64Array([1.5, 1.5, 1.6]));
    expect(dod.toString("hex")).toBe("1103e803000000000000ac0d00000000000005ebe8e9f480011e080280");
  });
});

describe("series chunk codec: bad arguments", () => {
  test("encodeChunk refuses what it cannot store", () => {
    expect(() => encodeChunk([], [])).toThrow(RangeError);
    expect(() => encodeChunk([1, 2], [1, 2], 0)).toThrow(RangeError);
    expect(() => encodeChunk([1, 2], [1, 2], 3)).toThrow(RangeError);
    expect(() => encodeChunk([2, 1], [1, 2])).toThrow(RangeError);
    expect(() => encodeChunk([1, 1], [1, 2])).toThrow(RangeError);
    expect(() => encodeChunk([1.5], [1])).toThrow(RangeError);
    expect(() => encodeChunk([2 ** 53], [1])).toThrow(RangeError);
    expect(() => encodeChunk([NaN], [1])).toThrow(RangeError);
    expect(() => encodeChunk({ length: MAX_CHUNK_POINTS + 1 }, { length: MAX_CHUNK_POINTS + 1 })).toThrow(RangeError);
  });
});

describe("series chunk codec: corruption", () => {
  const samples: Buffer[] = [
    encodeChunk(regular(2000), gauge(11)),
    encodeChunk(
      regular(300).map((t, i) => t + (i % 5) * 3),
      Float64Array.from({ length: 300 }, (_, i) => Math.cos(i) * 100),
    ),
    encodeChunk([-MAX_TS, 0, 5, MAX_TS], new Float64Array([NaN, -0, Infinity, 1e-310])),
    encodeChunk([T0], new Float64Array([20.5])),
    encodeChunk(regular(200).map((t, i) => t + (i % 3)), gauge(12, 200)),
  ];

  /** decodeChunk must return consistent arrays or throw a corruption TskvError: nothing else. */
  function probe(buf: Uint8Array): void {
    let got;
    try {
      got = decodeChunk(buf);
    } catch (e) {
      if (!isCorruption(e)) throw e;
      return;
    }
    const ts = got.timestamps;
    expect(ts.length).toBe(got.values.length);
    expect(ts.length).toBe(chunkCount(buf));
    expect(ts[0]).toBe(chunkFirstTimestamp(buf));
    expect(ts[ts.length - 1]).toBe(chunkLastTimestamp(buf));
    let bad = -1;
    for (let i = 0; i < ts.length && bad < 0; i++) {
      if (!Number.isSafeInteger(ts[i]) || (i > 0 && !(ts[i] > ts[i - 1]))) bad = i;
    }
    expect(bad).toBe(-1);
  }

  test("every truncation of a valid chunk is detected", () => {
    for (const chunk of samples) {
      for (let len = 0; len < chunk.length; len++) {
        expect(() => decodeChunk(chunk.subarray(0, len))).toThrow(TskvError);
      }
    }
  });

  test("trailing bytes are detected", () => {
    for (const chunk of samples) {
      expect(() => decodeChunk(Buffer.concat([chunk, Buffer.from([0])]))).toThrow(/left over|ends early/);
    }
  });

  test("a wrong point count is detected", () => {
    for (const chunk of samples) {
      const n = chunkCount(chunk);
      for (const m of [n - 1, n + 1, n + 64]) {
        if (m < 1 || m > 127 || n > 127) continue; // one-byte count varints only: same layout
        const bad = Buffer.from(chunk);
        bad[1] = m;
        expect(() => decodeChunk(bad)).toThrow(TskvError);
      }
    }
    const big = Buffer.from(samples[0]);
    expect(chunkCount(big)).toBe(2000);
    big[1] = 0xd1; // 2001 instead of 2000 (0xd0 0x0f)
    expect(() => decodeChunk(big)).toThrow(TskvError);
  });

  test("header readers reject damaged headers with TskvError", () => {
    const bad = [Buffer.alloc(0), Buffer.from([0x00]), Buffer.from([0x25, 1]), Buffer.from([0x1f, 1]), Buffer.from([0x15, 0])];
    for (const b of bad) {
      expect(() => chunkCount(b)).toThrow(TskvError);
      expect(() => chunkFirstTimestamp(b)).toThrow(TskvError);
      expect(() => decodeChunk(b)).toThrow(TskvError);
    }
    const huge = Buffer.from([0x15, 0xff, 0xff, 0xff, 0x7f, ...new Array(20).fill(0)]);
    expect(() => decodeChunk(huge)).toThrow(/point count/);
    const unsafe = Buffer.from(samples[3]);
    unsafe[2 + 7] = 0x7f; // first timestamp's top byte
    expect(() => chunkFirstTimestamp(unsafe)).toThrow(/safe integer/);
  });

  test("fuzz: bit flips, byte overwrites, cuts and splices", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
            fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
            fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
            fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        (which, edits) => {
          let b = Buffer.from(samples[which]);
          for (const e of edits) {
            if (b.length === 0) break;
            const at = e.at % b.length;
            if (e.op === "flip") b[at] ^= 1 << e.bit;
            else if (e.op === "set") b[at] = e.byte;
            else if (e.op === "cut") b = b.subarray(0, at);
            else b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
          }
          probe(b);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("fuzz: random buffers, including ones with a plausible header", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(-1, 0x10, 0x11, 0x14, 0x15),
        fc.integer({ min: 1, max: 300 }),
        (bytes, fmt, count) => {
          probe(bytes);
          if (fmt < 0) return;
          const b = Buffer.alloc(bytes.length + 19);
          b[0] = fmt;
          b[1] = count & 0x7f;
          b.writeUInt32LE(T0 % 2 ** 32, 2);
          b.writeUInt32LE(Math.floor(T0 / 2 ** 32), 6);
          const last = T0 + (count - 1) * 1000;
          b.writeUInt32LE(last % 2 ** 32, 10);
          b.writeUInt32LE(Math.floor(last / 2 ** 32), 14);
          b[18] = bytes.length > 0 ? bytes[0] % (bytes.length + 1) : 0;
          b.set(bytes, 19);
          probe(b);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("every single bit flip of a small chunk is survived", () => {
    for (const chunk of samples.slice(1)) {
      for (let i = 0; i < chunk.length * 8; i++) {
        const b = Buffer.from(chunk);
        b[i >>> 3] ^= 0x80 >>> (i & 7);
        probe(b);
      }
    }
  });
});

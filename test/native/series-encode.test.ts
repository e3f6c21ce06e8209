// The native series chunk encoder (native/series_chunk.cc, seriesChunkEncode) against the TypeScript reference
// (encodeChunkJs): byte-identical chunks for random inputs, codec choices included.
import fc from "fast-check";
import {
  MAX_CHUNK_POINTS,
  chunkTimestampCodec,
  chunkValueCodec,
  decodeChunkJs,
  encodeChunk,
  encodeChunkJs,
} from "../../src/model/series/codec";
import { mulberry32 } from "../../bench/lib/random";
import { native } from "../../src/native";

const MAX_TS = Number.MAX_SAFE_INTEGER;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** A small seeded PRNG: the big chunks are built from a seed, not element by element by fast-check. */
const prng = mulberry32;

const TS_KINDS = ["regular", "regular-extreme", "near-max", "near-min", "jitter", "dod-classes", "huge-gaps", "inexact"] as const;
const VALUE_KINDS = [
  "decimal", "halves", "near-limit", "nan-payloads", "specials", "subnormals", "raw-bits", "constant", "mixed", "sine",
] as const;

interface Spec {
  n: number;
  ts: (typeof TS_KINDS)[number];
  vals: (typeof VALUE_KINDS)[number];
  d: number;
  seed: number;
}

function timestamps(spec: Spec, r: () => number): Float64Array {
  const n = spec.n;
  const out = new Float64Array(n);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  switch (spec.ts) {
    case "regular": {
      const step = int(1, 1_000_000);
      const start = int(-1e15, 1e15);
      for (let i = 0; i < n; i++) out[i] = start + i * step;
      break;
    }
    case "regular-extreme": {
      const first = -MAX_TS + int(0, 1000);
      const step = n === 1 ? 1 : Math.floor(((MAX_TS - first) / (n - 1)) * (1 - r() * 1e-6));
      for (let i = 0; i < n; i++) out[i] = first + i * step;
      break;
    }
    case "near-max":
    case "near-min": {
      // Timestamps within a few million ms of ±2^53, small irregular gaps.
      let t = spec.ts === "near-max" ? MAX_TS - n * 1000 - int(0, 1000) : -MAX_TS + int(0, 1000);
      for (let i = 0; i < n; i++) out[i] = t += int(1, 999);
      break;
    }
    case "jitter": {
      let t = int(-1e12, 1e12);
      for (let i = 0; i < n; i++) out[i] = t += 10_000 + int(-10, 10);
      break;
    }
    case "dod-classes": {
      let t = int(-1e12, 1e12);
      const gaps = [0, 50, 200, 2000, 1e6, 3e9];
      let g = 1000;
      for (let i = 0; i < n; i++) {
        out[i] = t;
        g = Math.max(1, g + (r() < 0.5 ? 1 : -1) * gaps[int(0, gaps.length - 1)]);
        if (g > 1e10) g = 1000;
        t += g;
      }
      break;
    }
    case "huge-gaps": {
      // Deltas past 2^32 and jumps across most of the safe range (the '11111' escape).
      let t = -MAX_TS + int(0, 10);
      const room = 2 * MAX_TS;
      for (let i = 0; i < n; i++) {
        out[i] = t;
        t += Math.max(1, Math.floor((room / (n + 1)) * r() * 1.9));
        if (t > MAX_TS - (n - i)) t = out[i] + 1;
      }
      break;
    }
    case "inexact": {
      // Alternate huge and tiny gaps near the ends of the range, where t - prevT - prevDelta is not exact.
      out[0] = -MAX_TS;
      let t = -MAX_TS;
      for (let i = 1; i < n; i++) {
        const left = MAX_TS - t - (n - i);
        t = Math.min(t + (i % 2 === 1 ? Math.max(1, Math.floor(left * r())) : int(1, 3)), MAX_TS - (n - 1 - i));
        if (t <= out[i - 1]) t = out[i - 1] + 1;
        out[i] = t;
      }
      break;
    }
  }
  return out;
}

function setBits(v: Float64Array, i: number, hi: number, lo: number): void {
  const u = new Uint32Array(v.buffer, v.byteOffset + i * 8, 2);
  u[0] = lo >>> 0;
  u[1] = hi >>> 0;
}

function values(spec: Spec, r: () => number): Float64Array {
  const n = spec.n;
  const out = new Float64Array(n);
  const p = POW10[spec.d];
  const u32 = (): number => Math.floor(r() * 4294967296);
  switch (spec.vals) {
    case "decimal": {
      let k = Math.floor((r() - 0.5) * 1e6);
      for (let i = 0; i < n; i++) {
        k += Math.floor((r() - 0.5) * 200);
        out[i] = k / p;
      }
      break;
    }
    case "halves": {
      // x.5 at the scale 10^d (and just off it): Math.round's half-up is what picks d.
      for (let i = 0; i < n; i++) {
        const k = Math.floor((r() - 0.5) * 2e6) + 0.5;
        const x = k / p;
        out[i] = r() < 0.2 ? -x : r() < 0.1 ? x * (1 + Number.EPSILON) : x;
      }
      break;
    }
    case "near-limit": {
      // Scaled values near 2^51, both sides of the limit.
      const lim = 2 ** 51;
      for (let i = 0; i < n; i++) {
        const k = lim - Math.floor(r() * 2000) + (r() < 0.1 ? 2000 : 0);
        out[i] = (r() < 0.5 ? -k : k) / p;
      }
      break;
    }
    case "nan-payloads":
      for (let i = 0; i < n; i++) {
        if (r() < 0.7) setBits(out, i, (r() < 0.5 ? 0x7ff00000 : 0xfff00000) | (u32() & 0xfffff) | 1, u32());
        else out[i] = Math.floor(r() * 100) / 10;
      }
      break;
    case "specials": {
      const s = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2.5, -2.5, Number.MAX_VALUE, 2 ** 53];
      for (let i = 0; i < n; i++) out[i] = s[Math.floor(r() * s.length)];
      break;
    }
    case "subnormals":
      for (let i = 0; i < n; i++) setBits(out, i, (r() < 0.5 ? 0x80000000 : 0) | (u32() & 0xfffff), u32());
      break;
    case "raw-bits":
      for (let i = 0; i < n; i++) setBits(out, i, u32(), u32());
      break;
    case "constant": {
      const c = Math.floor((r() - 0.5) * 1e5) / p;
      out.fill(c);
      break;
    }
    case "mixed":
      for (let i = 0; i < n; i++) out[i] = r() < 0.98 ? Math.floor(r() * 1e4) / p : r() * 1e6;
      break;
    case "sine":
      for (let i = 0; i < n; i++) out[i] = Math.sin(i / 10) * 100;
      break;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Both encoders on the same input: the same bytes, and the chunk decodes back to the input's bits. */
function check(ts: Float64Array, vals: Float64Array): void {
  const js = encodeChunkJs(ts, vals);
  const nat = encodeChunk(ts, vals);
  if (!js.equals(nat)) {
    throw new Error(`native ${chunkTimestampCodec(nat)}/${chunkValueCodec(nat)} ${nat.length} B != reference ` +
      `${chunkTimestampCodec(js)}/${chunkValueCodec(js)} ${js.length} B: ${hex(nat).slice(0, 200)} vs ${hex(js).slice(0, 200)}`);
  }
  const back = decodeChunkJs(nat);
  expect(Buffer.from(back.timestamps.buffer).equals(Buffer.from(ts.buffer, ts.byteOffset, ts.byteLength))).toBe(true);
  expect(Buffer.from(back.values.buffer).equals(Buffer.from(vals.buffer, vals.byteOffset, vals.byteLength))).toBe(true);
}

const specArb = fc.record({
  n: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 140 })),
  ts: fc.constantFrom(...TS_KINDS),
  vals: fc.constantFrom(...VALUE_KINDS),
  d: fc.integer({ min: 0, max: 9 }),
  seed: fc.integer(),
});

test("the native encoder is the one in use (otherwise these tests compare the reference with itself)", () => {
  expect(typeof native.seriesChunkEncode).toBe("function");
});

describe("native series chunk encoder", () => {
  test("random inputs of 1 to 5000 points give the reference's bytes", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const r = prng(spec.seed);
        check(timestamps(spec, r), values(spec, r));
      }),
      { numRuns: 600 },
    );
  });

  test("every timestamp and value kind at every scale", () => {
    let seed = 1;
    for (const ts of TS_KINDS) {
      for (const vals of VALUE_KINDS) {
        for (let d = 0; d <= 9; d++) {
          for (const n of [1, 2, 3, 64, 65, 129]) {
            const spec: Spec = { n, ts, vals, d, seed: seed++ };
            const r = prng(spec.seed);
            check(timestamps(spec, r), values(spec, r));
          }
        }
      }
    }
  });

  test("single values that decide findDecimals: halves, -0, values near 2^51 / 10^d", () => {
    const ts = new Float64Array([1, 2]);
    const cases: number[] = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.05, -0.05, 0.15, 1.005, -1.005, 0.49999999999999994,
      -0.49999999999999994, 4503599627370495.5, -0, 0, Number.MIN_VALUE, NaN, Infinity, -Infinity];
    for (let d = 0; d <= 9; d++) {
      const lim = 2 ** 51 / POW10[d];
      cases.push(lim, -lim, lim * (1 - 1e-15), -lim * (1 - 1e-15), (Math.floor(2 ** 51) - 1) / POW10[d], 0.5 / POW10[d],
        -0.5 / POW10[d], 12345.5 / POW10[d], -12345.5 / POW10[d]);
    }
    for (const a of cases) for (const b of cases) check(ts, new Float64Array([a, b]));
  });

  test("a chunk of MAX_CHUNK_POINTS points", () => {
    const n = MAX_CHUNK_POINTS;
    const ts = new Float64Array(n);
    const vals = new Float64Array(n);
    const r = prng(7);
    for (let i = 0, t = 1.7e12; i < n; i++) {
      ts[i] = t += 1000 + (i % 5 === 0 ? Math.floor(r() * 10) : 0);
      vals[i] = Math.floor(r() * 10000) / 100;
    }
    check(ts, vals);
  });

  test("plain arrays, views at an offset and n below the arrays' length", () => {
    const ts = [10, 20, 35, 40];
    const vals = [1.5, 2.25, NaN, -0];
    expect(encodeChunk(ts, vals).equals(encodeChunkJs(ts, vals))).toBe(true);
    expect(encodeChunk(ts, vals, 2).equals(encodeChunkJs(ts, vals, 2))).toBe(true);
    const big = new Float64Array([0, 0, 10, 20, 35, 40]);
    const bv = new Float64Array([9, 9, 1.5, 2.25, 3, 4]);
    const a = encodeChunk(big.subarray(2), bv.subarray(2), 3);
    expect(a.equals(encodeChunkJs([10, 20, 35], [1.5, 2.25, 3]))).toBe(true);
  });

  test("argument checks throw the reference's RangeErrors", () => {
    const bad: [ArrayLike<number>, ArrayLike<number>, number | undefined][] = [
      [[], [], undefined],
      [[1, 2], [1, 2], 0],
      [[1, 2], [1, 2], 3],
      [[1, 2], [1], undefined],
      [[1, 2], [1, 2], 1.5],
      [[1, 0.5], [1, 2], undefined],
      [[1, 1], [1, 2], undefined],
      [[2, 1], [1, 2], undefined],
      [[2 ** 53, 2 ** 53 + 2], [1, 2], undefined],
      [[NaN, 1], [1, 2], undefined],
    ];
    for (const [t, v, n] of bad) {
      let ref: unknown;
      try {
        encodeChunkJs(t, v, n);
      } catch (e) {
        ref = e;
      }
      expect(ref).toBeInstanceOf(RangeError);
      expect(() => encodeChunk(t, v, n)).toThrow(RangeError);
      expect(() => encodeChunk(t, v, n)).toThrow((ref as Error).message);
    }
  });

  test("seriesChunkEncode refuses wrong types and counts", () => {
    const f = native.seriesChunkEncode!;
    const t = new Float64Array([1, 2]);
    expect(() => f(t, [1, 2] as unknown as Float64Array, 2)).toThrow(/seriesChunkEncode/);
    expect(() => f(new Uint8Array(16) as unknown as Float64Array, t, 2)).toThrow(/seriesChunkEncode/);
    expect(() => f(t, t, 3)).toThrow(/n outside/);
    expect(() => f(t, t, 0)).toThrow(/n outside/);
  });
});

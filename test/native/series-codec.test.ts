// The native series chunk decoder (native/series_chunk.cc) against the TypeScript reference (decodeChunkJs), bit for
// bit: random chunks from encodeChunk, then damaged ones, where both must refuse or both give the same points.
import fc from "fast-check";
import { isCorruption } from "../../src/engine/errors";
import { MAX_CHUNK_POINTS, DecodedChunk, decodeChunk, decodeChunkJs, encodeChunk } from "../../src/model/series/codec";
import { mulberry32 } from "../../bench/lib/random";
import { native } from "../../src/native";

const MAX_TS = Number.MAX_SAFE_INTEGER;

/** A small seeded PRNG: the big chunks are built from a seed, not element by element by fast-check. */
const prng = mulberry32;

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308,
  2.225073858507201e-308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 2 ** 53, 2 ** 51 - 1, -(2 ** 51 - 1), 2 ** 51,
  0.1, 1e-9, 1e300];

const TS_KINDS = ["regular", "regular-extreme", "jitter", "dod-classes", "huge-gaps"] as const;
const VALUE_KINDS = ["decimal-walk", "decimal-wide", "raw-bits", "specials", "constant", "mixed", "sine", "few-values"] as const;

interface Spec {
  n: number;
  ts: (typeof TS_KINDS)[number];
  vals: (typeof VALUE_KINDS)[number];
  seed: number;
}

function timestamps(spec: Spec, r: () => number): number[] {
  const n = spec.n;
  const out: number[] = new Array(n);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  switch (spec.ts) {
    case "regular": {
      const step = int(1, 1_000_000);
      const start = int(-1e15, 1e15);
      for (let i = 0; i < n; i++) out[i] = start + i * step;
      return out;
    }
    case "regular-extreme": {
      // Steps so large that first + i * step rounds in float64 before it lands: the decoder's arithmetic must be JS's.
      const first = -MAX_TS + int(0, 1000);
      const step = n === 1 ? 1 : Math.floor(((MAX_TS - first) / (n - 1)) * (1 - r() * 1e-6));
      for (let i = 0; i < n; i++) out[i] = first + i * step;
      return out;
    }
    case "jitter": {
      let t = int(-1e12, 1e12);
      for (let i = 0; i < n; i++) out[i] = t += 10_000 + int(-10, 10);
      return out;
    }
    case "dod-classes": {
      // Gaps whose delta-of-deltas fall in every bucket: 0, 7, 9, 12 and 32 bits.
      let t = int(-1e12, 1e12);
      const widths = [0, 60, 250, 2000, 1e6];
      for (let i = 0; i < n; i++) out[i] = t += 2_000_001 + int(-widths[int(0, 4)], widths[int(0, 4)]);
      return out;
    }
    case "huge-gaps": {
      const set = new Set<number>();
      while (set.size < n) set.add(Math.floor((r() * 2 - 1) * MAX_TS));
      return [...set].sort((a, b) => a - b);
    }
  }
}

function values(spec: Spec, r: () => number): Float64Array {
  const n = spec.n;
  const out = new Float64Array(n);
  const bits = new Uint32Array(out.buffer);
  const special = (): number => SPECIALS[Math.floor(r() * SPECIALS.length)];
  const rawBits = (i: number): void => {
    bits[2 * i] = Math.floor(r() * 2 ** 32);
    bits[2 * i + 1] = Math.floor(r() * 2 ** 32);
  };
  switch (spec.vals) {
    case "decimal-walk": {
      const d = Math.floor(r() * 10);
      let k = Math.floor((r() - 0.5) * 2e6);
      for (let i = 0; i < n; i++) out[i] = (k += Math.floor(r() * 101) - 50) / 10 ** d;
      return out;
    }
    case "decimal-wide": {
      // Scaled values near ±2^51 and jumps wide enough for 53-bit frames.
      const d = Math.floor(r() * 3);
      for (let i = 0; i < n; i++) out[i] = Math.floor((r() * 2 - 1) * (2 ** 51 - 1)) / 10 ** d;
      return out;
    }
    case "raw-bits":
      for (let i = 0; i < n; i++) rawBits(i);
      return out;
    case "specials":
      for (let i = 0; i < n; i++) {
        if (r() < 0.5) out[i] = special();
        else rawBits(i);
      }
      return out;
    case "constant":
      out.fill(r() < 0.5 ? special() : Math.round(r() * 1000) / 10);
      return out;
    case "mixed": {
      let k = 200;
      for (let i = 0; i < n; i++) out[i] = r() < 0.02 ? special() : (k += r() < 0.5 ? -1 : 1) / 10;
      return out;
    }
    case "sine":
      for (let i = 0; i < n; i++) out[i] = 50 + 10 * Math.sin(i / 50);
      return out;
    case "few-values": {
      const pool = [special(), special(), r() * 100, -r() * 1e-300];
      for (let i = 0; i < n; i++) out[i] = pool[Math.floor(r() * pool.length)];
      return out;
    }
  }
}

function chunkOf(spec: Spec): Buffer {
  const r = prng(spec.seed);
  return encodeChunk(timestamps(spec, r), values(spec, r));
}

const specArb = (maxN: number): fc.Arbitrary<Spec> =>
  fc.record({
    n: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: maxN })),
    ts: fc.constantFrom(...TS_KINDS),
    vals: fc.constantFrom(...VALUE_KINDS),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
  });

const u32 = (a: Float64Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length * 2);

type Outcome = { ok: DecodedChunk } | { error: string };

function outcome(decode: (b: Uint8Array) => DecodedChunk, buf: Uint8Array): Outcome {
  try {
    return { ok: decode(buf) };
  } catch (e) {
    if (!isCorruption(e)) throw e;
    return { error: (e as Error).message };
  }
}

function firstDifference(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

/** Native and reference agree: both refuse, or both give the same timestamps and the same value bits. */
function expectSame(buf: Uint8Array): Outcome {
  const want = outcome(decodeChunkJs, buf);
  const got = outcome(decodeChunk, buf);
  if ("error" in want) {
    if ("ok" in got) throw new Error(`native accepts what the reference refuses (${want.error}): ${Buffer.from(buf).toString("hex")}`);
    return got;
  }
  if ("error" in got) throw new Error(`native refuses what the reference accepts (${got.error}): ${Buffer.from(buf).toString("hex")}`);
  expect(got.ok.timestamps.length).toBe(want.ok.timestamps.length);
  expect(got.ok.values.length).toBe(want.ok.values.length);
  const at = firstDifference(u32(got.ok.timestamps), u32(want.ok.timestamps));
  if (at >= 0) throw new Error(`timestamp ${at >>> 1} differs: ${got.ok.timestamps[at >>> 1]} vs ${want.ok.timestamps[at >>> 1]}`);
  const av = firstDifference(u32(got.ok.values), u32(want.ok.values));
  if (av >= 0) throw new Error(`value ${av >>> 1} differs in its bits: ${got.ok.values[av >>> 1]} vs ${want.ok.values[av >>> 1]}`);
  return got;
}

test("the native decoder is the one in use (otherwise these tests compare the reference with itself)", () => {
  expect(typeof native.seriesChunkDecode).toBe("function");
  const chunk = encodeChunk([1000, 2000, 3000], new Float64Array([1.5, 1.5, 1.6]));
  const ts = new Float64Array(3);
  const vals = new Float64Array(3);
  expect(native.seriesChunkDecode!(chunk, ts, vals)).toBe(3);
  expect(Array.from(ts)).toEqual([1000, 2000, 3000]);
  expect(Array.from(vals)).toEqual([1.5, 1.5, 1.6]);
});

describe("native series chunk decoder: valid chunks", () => {
  test("random chunks of 1 to 5000 points decode to the reference's bits", () => {
    fc.assert(
      fc.property(specArb(5000), (spec) => {
        const chunk = chunkOf(spec);
        const got = expectSame(chunk);
        expect("ok" in got).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test("every timestamp and value kind, at sizes around the frame and varint boundaries", () => {
    for (const ts of TS_KINDS) {
      for (const vals of VALUE_KINDS) {
        for (const n of [1, 2, 63, 64, 65, 66, 127, 128, 129, 16384, 16385]) {
          const got = expectSame(chunkOf({ n, ts, vals, seed: n * 7 + 1 }));
          expect("ok" in got).toBe(true);
        }
      }
    }
  });

  test("the largest chunk (MAX_CHUNK_POINTS points)", () => {
    const n = MAX_CHUNK_POINTS;
    expect("ok" in expectSame(chunkOf({ n, ts: "jitter", vals: "decimal-walk", seed: 5 }))).toBe(true);
    expect("ok" in expectSame(chunkOf({ n, ts: "regular", vals: "raw-bits", seed: 6 }))).toBe(true);
  });
});

/** A damaged copy of a chunk: bit flips, byte overwrites, truncation, extension, or a header byte changed. */
const damageArb = fc.record({
  kind: fc.constantFrom("flip", "flips", "byte", "truncate", "extend", "header"),
  at: fc.nat(),
  bit: fc.nat(7),
  byte: fc.nat(255),
  extra: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  count: fc.integer({ min: 1, max: 8 }),
});

type Damage = typeof damageArb extends fc.Arbitrary<infer T> ? T : never;

function damage(chunk: Buffer, d: Damage): Buffer {
  const b = Buffer.from(chunk);
  const at = d.at % b.length;
  switch (d.kind) {
    case "flip":
      b[at] ^= 1 << d.bit;
      return b;
    case "flips":
      for (let i = 0, p = at; i < d.count; i++, p = (p * 31 + 17) % b.length) b[p] ^= 1 << ((d.bit + i) & 7);
      return b;
    case "byte":
      b[at] = d.byte;
      return b;
    case "truncate":
      return b.subarray(0, at);
    case "extend":
      return Buffer.concat([b, d.extra]);
    case "header":
      b[at % Math.min(b.length, 20)] = d.byte;
      return b;
  }
  return b;
}

describe("native series chunk decoder: damaged chunks", () => {
  test("random damage: both refuse, or both give the same bits", () => {
    fc.assert(
      fc.property(specArb(600), damageArb, (spec, d) => {
        expectSame(damage(chunkOf(spec), d));
      }),
      { numRuns: 3000 },
    );
  });

  test("every single bit flip and every truncation of small chunks of each codec pair", () => {
    let refused = 0;
    let total = 0;
    for (const ts of ["regular", "jitter", "huge-gaps"] as const) {
      for (const vals of ["decimal-walk", "decimal-wide", "raw-bits", "constant"] as const) {
        const chunk = chunkOf({ n: 70, ts, vals, seed: 3 });
        for (let i = 0; i < chunk.length * 8; i++) {
          const b = Buffer.from(chunk);
          b[i >>> 3] ^= 0x80 >>> (i & 7);
          if ("error" in expectSame(b)) refused++;
          total++;
        }
        for (let len = 0; len < chunk.length; len++) {
          expect("error" in expectSame(chunk.subarray(0, len))).toBe(true);
        }
      }
    }
    // Many flips are caught (the rest decode to other valid points, which only the engine's checksum can catch).
    expect(refused).toBeGreaterThan(total / 8);
    expect(refused).toBeLessThan(total);
  });

  test("random bytes behind a plausible header", () => {
    fc.assert(
      fc.property(fc.constantFrom(0x10, 0x11, 0x14, 0x15), fc.integer({ min: 1, max: 300 }), fc.uint8Array({ maxLength: 400 }), (fmt, n, rest) => {
        const head = Buffer.alloc(1 + 2 + 16 + 2);
        head[0] = fmt;
        head.writeUInt16LE(((n & 0x7f) | 0x80) | ((n >>> 7) << 8), 1);
        head.writeInt32LE(1000, 3);
        head.writeInt32LE(1000 + (n - 1) * 1000, 11);
        head.writeUInt16LE(fmt & 4 ? 0 : ((rest.length >>> 1) & 0x7f), 19);
        expectSame(Buffer.concat([head.subarray(0, 20), rest]));
        expectSame(Buffer.concat([head, rest]));
      }),
      { numRuns: 3000 },
    );
  });
});

/** MSB-first bits, for hand-made chunks. */
class Bits {
  private out: number[] = [];
  private acc: number[] = [];
  put(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.acc.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  bytes(...b: number[]): this {
    for (const x of b) this.put(x, 8);
    return this;
  }
  finish(): number[] {
    this.acc.push(1);
    while (this.acc.length % 8) this.acc.push(0);
    for (let i = 0; i < this.acc.length; i += 8) this.out.push(parseInt(this.acc.slice(i, i + 8).join(""), 2));
    return this.out;
  }
}

/** REGULAR timestamps 0 .. n-1 and a DECIMAL value section; the count as a 4-byte varint, which decodeChunk does not
 *  peek at (so the native decoder's "arrays too short" answer and the second try run too). */
function regularDecimal(n: number, valueSection: number[]): Buffer {
  const b = Buffer.alloc(1 + 4 + 16 + 1);
  b[0] = 0x15;
  b[1] = (n & 0x7f) | 0x80;
  b[2] = ((n >>> 7) & 0x7f) | 0x80;
  b[3] = 0x80;
  b[4] = 0;
  b.writeInt32LE(0, 5);
  b.writeInt32LE(n - 1, 13);
  b[21] = 0;
  return Buffer.concat([b, Buffer.from(valueSection)]);
}

describe("native series chunk decoder: hand-made edge cases", () => {
  test("a narrow frame whose k leaves ±2^51 inside the frame and comes back is accepted, as by the reference", () => {
    // k0 = 2^51 - 1, then +1 (k = 2^51, out of range inside the frame), then -1 (back in range).
    const z0 = 2 * (2 ** 51 - 1);
    const varint: number[] = [];
    for (let z = z0; ; z = Math.floor(z / 128)) {
      if (z < 128) {
        varint.push(z);
        break;
      }
      varint.push((z % 128) | 0x80);
    }
    // zigzag(+1) = 2, zigzag(-1) = 1: min 1 (min width 1), residuals 1 and 0 in width 1.
    const section = new Bits().bytes(0, ...varint).put(1, 6).put(1, 6).put(1, 1).put(1, 1).put(0, 1).finish();
    const chunk = regularDecimal(3, section);
    const got = expectSame(chunk);
    expect("ok" in got && Array.from(got.ok.values)).toEqual([2 ** 51 - 1, 2 ** 51, 2 ** 51 - 1]);
  });

  test("a wide frame whose k leaves ±2^51 is refused by both, even when it comes back", () => {
    // k0 = 0, then +2^51 (zigzag 2^52) and -2^51 (zigzag 2^52 - 1), in 53-bit residuals: the wide path checks each step.
    const section = new Bits().bytes(0, 0).put(53, 6).put(0, 6).put(2 ** 52, 53).put(2 ** 52 - 1, 53).finish();
    expect("error" in expectSame(regularDecimal(3, section))).toBe(true);
    // +2^51 - 1, then -2^51: in range at every step.
    const ok = new Bits().bytes(0, 0).put(53, 6).put(0, 6).put(2 ** 52 - 2, 53).put(2 ** 52 - 1, 53).finish();
    const got = expectSame(regularDecimal(3, ok));
    expect("ok" in got && Array.from(got.ok.values)).toEqual([0, 2 ** 51 - 1, -1]);
  });

  test("a constant frame whose delta carries k past 2^51 is refused by both", () => {
    const section = new Bits().bytes(0, 0).put(0, 6).put(53, 6).put(2 ** 52 - 2, 53).finish();
    expect("error" in expectSame(regularDecimal(65, section))).toBe(true);
  });

  test("errors are corruption TskvErrors that say what is wrong", () => {
    const chunk = chunkOf({ n: 100, ts: "jitter", vals: "raw-bits", seed: 1 });
    expect(() => decodeChunk(Buffer.concat([chunk, Buffer.from([0])]))).toThrow(/corruption in series chunk at offset \d+: (bytes left over|.*ends early)/);
    expect(() => decodeChunk(chunk.subarray(0, 10))).toThrow(/truncated chunk header/);
    expect(() => decodeChunk(Buffer.from([0x25, 1]))).toThrow(/unknown chunk format version/);
  });
});

describe("seriesChunkDecode's contract", () => {
  const chunk = chunkOf({ n: 300, ts: "jitter", vals: "mixed", seed: 9 });

  test("arrays shorter than the chunk: the count comes back as status 1 and nothing is written", () => {
    const ts = new Float64Array(299).fill(7);
    const vals = new Float64Array(300).fill(7);
    const r = native.seriesChunkDecode!(chunk, ts, vals);
    expect(-r % 64).toBe(1);
    expect((-r - 1) / 64).toBe(300);
    expect(ts.every((x) => x === 7) && vals.every((x) => x === 7)).toBe(true);
  });

  test("longer arrays and views at an offset are filled from their start", () => {
    const backing = new Float64Array(1000);
    const ts = backing.subarray(100, 500);
    const vals = backing.subarray(500, 900);
    expect(native.seriesChunkDecode!(chunk.subarray(0), ts, vals)).toBe(300);
    const want = decodeChunkJs(chunk);
    expect(u32(ts.subarray(0, 300))).toEqual(u32(want.timestamps));
    expect(u32(vals.subarray(0, 300))).toEqual(u32(want.values));
    expect(backing[99]).toBe(0);
    expect(backing[400]).toBe(0);
  });

  test("a chunk inside a larger buffer is read only within its view", () => {
    const big = Buffer.concat([Buffer.from([1, 2, 3]), chunk, Buffer.from([0xff, 0xff])]);
    expectSame(big.subarray(3, 3 + chunk.length));
    expect("error" in expectSame(big.subarray(3, 3 + chunk.length - 1))).toBe(true);
  });

  test("arguments of the wrong types throw a TypeError", () => {
    const f = native.seriesChunkDecode! as unknown as (...a: unknown[]) => number;
    // (TypeError of the addon's realm, not jest's: matched by name and message)
    for (const args of [
      [chunk, new Float64Array(300)],
      [chunk, new Float32Array(300), new Float64Array(300)],
      [new Uint16Array(4), new Float64Array(300), new Float64Array(300)],
      ["x", new Float64Array(300), new Float64Array(300)],
    ]) {
      expect(() => f(...args)).toThrow(expect.objectContaining({ name: "TypeError", message: expect.stringMatching(/^seriesChunkDecode/) }));
    }
  });
});

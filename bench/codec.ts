// Series chunk codec: encode/decode points/s and bytes/point on a few data sets (src/model/series/codec.ts).
// Decoding three ways in one run: the TypeScript reference (decodeChunkJs), decodeChunk (the addon filling two new
// Float64Arrays a call, what the server uses) and the addon filling the same two scratch arrays every call.
// Run: npx tsc -p tsconfig.bench.json && taskset -c 1 node dist-bench/bench/codec.js
import {
  chunkTimestampCodec,
  chunkValueCodec,
  decodeChunk,
  decodeChunkJs,
  encodeChunk,
  encodeChunkJs,
} from "../src/model/series/codec";
import { native } from "../src/native";
import { readVarint, varintSize } from "../src/engine/varint";
import { mulberry32 } from "./lib/random";

const N = 2000;
const T0 = 1_700_000_000_000;

interface DataSet {
  name: string;
  ts: Float64Array;
  vals: Float64Array;
}

function regularTs(step: number): Float64Array {
  const ts = new Float64Array(N);
  for (let i = 0; i < N; i++) ts[i] = T0 + i * step;
  return ts;
}

function sets(): DataSet[] {
  const r = mulberry32(42);
  const gauge = new Float64Array(N);
  let v = 200;
  for (let i = 0; i < N; i++) {
    gauge[i] = Math.round(v) / 10;
    v += r() < 0.5 ? -1 : 1;
  }
  const jitterTs = new Float64Array(N);
  for (let i = 0, t = T0; i < N; i++, t += 10_000 + Math.floor(r() * 21) - 10) jitterTs[i] = t;
  const counter = new Float64Array(N);
  for (let i = 0, c = 0; i < N; i++, c += Math.floor(r() * 1000)) counter[i] = c;
  const price = new Float64Array(N);
  for (let i = 0, p = 1234567; i < N; i++, p += Math.floor(r() * 201) - 100) price[i] = p / 100;
  const random = new Float64Array(N);
  for (let i = 0; i < N; i++) random[i] = (r() - 0.5) * 1e6;
  const sine = new Float64Array(N);
  for (let i = 0; i < N; i++) sine[i] = 50 + 10 * Math.sin(i / 50);
  const constant = new Float64Array(N).fill(1);
  return [
    { name: "gauge (10 s, ±0.1 walk)", ts: regularTs(10_000), vals: gauge },
    { name: "gauge, ±10 ms jitter", ts: jitterTs, vals: gauge },
    { name: "counter (integers)", ts: regularTs(15_000), vals: counter },
    { name: "price (2 decimals)", ts: jitterTs, vals: price },
    { name: "sine (full doubles)", ts: regularTs(1000), vals: sine },
    { name: "random doubles", ts: jitterTs, vals: random },
    { name: "constant 1.0", ts: regularTs(1000), vals: constant },
  ];
}

/** Bytes of timestamp delta-of-deltas as zigzag varints: the alternative to Gorilla buckets. */
function zigzagVarintTsBytes(ts: Float64Array): number {
  let bytes = 0;
  let prevDelta = 0;
  for (let i = 1; i < ts.length; i++) {
    const delta = ts[i] - ts[i - 1];
    const dod = delta - prevDelta;
    prevDelta = delta;
    bytes += varintSize(dod >= 0 ? 2 * dod : -2 * dod - 1);
  }
  return bytes;
}

/** Bytes of the chunk's own timestamp section (0 when REGULAR). */
function tsSectionBytes(chunk: Buffer): number {
  const count = readVarint(chunk, 1, chunk.length) as [number, number];
  return (readVarint(chunk, count[1] + 16, chunk.length) as [number, number])[0];
}

function rate(fn: () => void, points: number): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let ns = 0;
  while (ns < 500e6) {
    for (let i = 0; i < 50; i++) fn();
    iters += 50;
    ns = Number(process.hrtime.bigint() - t0);
  }
  return (iters * points) / (ns / 1e9);
}

const fmt = (x: number): string => `${(x / 1e6).toFixed(1)} M/s`;
let sink = 0;
const scratchTs = new Float64Array(N);
const scratchVals = new Float64Array(N);
const decodeInto = native.seriesChunkDecode;
console.log(`${N} points per chunk; encode: JS reference, encodeChunk (native); decode: JS reference, native into new arrays, native into scratch arrays`);
console.log(
  "data set                  | B/point | codecs          | encode JS  | encode     | decode JS  | native new | native scr | ts B/point: ours, as zigzag-varint dods",
);
for (const s of sets()) {
  const chunk = encodeChunk(s.ts, s.vals);
  const encJs = rate(() => {
    sink += encodeChunkJs(s.ts, s.vals).length;
  }, N);
  const enc = rate(() => {
    sink += encodeChunk(s.ts, s.vals).length;
  }, N);
  const decJs = rate(() => {
    sink += decodeChunkJs(chunk).values.length;
  }, N);
  const dec = rate(() => {
    sink += decodeChunk(chunk).values.length;
  }, N);
  const decScratch = decodeInto
    ? rate(() => {
        sink += decodeInto(chunk, scratchTs, scratchVals);
      }, N)
    : NaN;
  const codecs = `${chunkTimestampCodec(chunk)}/${chunkValueCodec(chunk)}`;
  console.log(
    `${s.name.padEnd(25)} | ${(chunk.length / N).toFixed(3).padStart(7)} | ${codecs.padEnd(15)} | ${fmt(encJs).padStart(10)} | ${fmt(enc).padStart(10)} | ` +
      `${fmt(decJs).padStart(10)} | ${fmt(dec).padStart(10)} | ${fmt(decScratch).padStart(10)} | ` +
      `${(tsSectionBytes(chunk) / N).toFixed(3)}, ${(zigzagVarintTsBytes(s.ts) / N).toFixed(3)}`,
  );
}
if (sink === 0) console.log("?");

// Cost of recording one command call (counters + HDR histogram + Prometheus bucket) on the hot path.
// Run: npm run build:bench && node dist-bench/bench/metrics.js
import { Metrics } from "../src/metrics/registry";

const m = new Metrics();
const s = m.stats("get");
const N = 5_000_000;
for (let i = 0; i < 100_000; i++) s.record(1000 + (i % 5000), false); // warm up
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) s.record(800 + (i % 20000), (i & 1023) === 0);
const ns = Number(process.hrtime.bigint() - t0) / N;
const t1 = process.hrtime.bigint();
let x = 0;
for (let i = 0; i < N; i++) x += performance.now();
const nowNs = Number(process.hrtime.bigint() - t1) / N;
console.log(`record(): ${ns.toFixed(1)} ns/call; performance.now(): ${nowNs.toFixed(1)} ns/call (x${x > 0 ? "" : "?"})`);

// The same call pattern through hdr-histogram-js, for the choice of histogram.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hdrjs = require("hdr-histogram-js") as typeof import("hdr-histogram-js");
const h = hdrjs.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: 2 });
for (let i = 0; i < 100_000; i++) h.recordValue(1000 + (i % 5000));
const t2 = process.hrtime.bigint();
for (let i = 0; i < N; i++) h.recordValue(800 + (i % 20000));
console.log(`hdr-histogram-js recordValue: ${(Number(process.hrtime.bigint() - t2) / N).toFixed(1)} ns/call`);

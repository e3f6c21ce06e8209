// Time-series suite, on the gauge data set of issue #5: S series × P points, 10 s apart, values a random walk in
// steps of 0.1 (what CPU or temperature gauges look like). Measures ingest through pipelined TS.MADD (points/s),
// disk bytes per point after TSKV.COMPACT, and whole-series TS.RANGE reads (points/s), on tskv alone: the figures
// to beat are the targets and Gorilla's published 1.37 bytes/point. The same kinds of figures beside
// RedisTimeSeries are the tspeer suite's (suites/ts-peer.ts).
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { CaseResult } from "../lib/report";
import { encodeCommand, ReplyCounter } from "../lib/loadgen";
import { freePort, pinning, ROOT, spawnPinned, stop, tmpDir, waitForPort } from "../lib/proc";
import type { SuiteContext } from "./server";

/** Sends every command over `conns` connections, at most `window` in flight each; resolves with the error count. */
async function pipelined(port: number, commands: Buffer[], conns: number, window: number): Promise<{ errors: number; bytes: number }> {
  let next = 0;
  let errors = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: conns }, () =>
      new Promise<void>((resolve, reject) => {
        const sock = net.connect(port, "127.0.0.1");
        const counter = new ReplyCounter();
        let inFlight = 0;
        const pump = (): void => {
          const batch: Buffer[] = [];
          while (inFlight < window && next < commands.length) {
            batch.push(commands[next++]);
            inFlight++;
          }
          if (batch.length > 0) sock.write(Buffer.concat(batch));
          if (inFlight === 0 && next >= commands.length) {
            sock.end();
            resolve();
          }
        };
        sock.on("connect", pump);
        sock.on("data", (d: Buffer) => {
          bytes += d.length;
          inFlight -= counter.feed(d);
          pump();
        });
        sock.on("error", reject);
        sock.on("close", () => {
          errors += counter.errors;
        });
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, 20));
  return { errors, bytes };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir)) if (/\.(sst|log)$|^MANIFEST/.test(f)) total += fs.statSync(path.join(dir, f)).size;
  return total;
}

export async function timeseriesSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const pin = pinning();
  if (!fs.existsSync(path.join(ROOT, "dist/cli/tskv-server.js"))) {
    ctx.skip("timeseries suite: dist/cli/tskv-server.js missing (run npm run build:ts)");
    return results;
  }
  ctx.skip("timeseries suite: tskv alone (tskv beside RedisTimeSeries is the tspeer suite); targets: ingest ≥ 1 M points/s, ≤ 2 bytes/point, ranges ≥ 5 M points/s");
  const S = ctx.quick ? 200 : 1000;
  const P = 2000;
  const PER_CMD = 100; // points per series per TS.MADD
  const SERIES_PER_CMD = 10;
  const add = (workload: string, value: number, unit: string): void => {
    let c = results.find((x) => x.workload === workload);
    if (!c) results.push((c = { suite: "timeseries", workload, system: "tskv-epoll", samples: [], unit }));
    c.samples.push({ rps: value });
  };
  // The data set, the same for every repeat.
  const values: Float64Array[] = [];
  for (let s = 0; s < S; s++) {
    const v = new Float64Array(P);
    let x = 20 + (s % 50);
    for (let i = 0; i < P; i++) {
      x = Math.round((x + (Math.random() < 0.5 ? -0.1 : 0.1)) * 10) / 10;
      v[i] = x;
    }
    values.push(v);
  }
  const t0 = 1_700_000_000_000;
  const creates = Array.from({ length: S }, (_, s) => encodeCommand(["TS.CREATE", `gauge:${s}`, "LABELS", "kind", "gauge", "host", `h${s % 20}`]));
  const madds: Buffer[] = [];
  for (let i = 0; i < P; i += PER_CMD) {
    for (let s0 = 0; s0 < S; s0 += SERIES_PER_CMD) {
      const args: string[] = ["TS.MADD"];
      for (let s = s0; s < Math.min(S, s0 + SERIES_PER_CMD); s++) {
        for (let j = i; j < i + PER_CMD; j++) args.push(`gauge:${s}`, String(t0 + j * 10_000), String(values[s][j]));
      }
      madds.push(encodeCommand(args));
    }
  }
  const ranges = Array.from({ length: S }, (_, s) => encodeCommand(["TS.RANGE", `gauge:${s}`, "-", "+"]));
  for (let r = 0; r < ctx.repeats; r++) {
    const port = await freePort();
    const dir = tmpDir("tskv-ts-bench-");
    const child = spawnPinned(pin.server, process.execPath, [path.join(ROOT, "dist/cli/tskv-server.js"), "--port", String(port), "--dir", dir, "--log-level", "warn"]);
    try {
      await waitForPort(port, child);
      await pipelined(port, creates, 1, 64);
      ctx.progress(`timeseries ingest ${S}x${P} #${r + 1}`);
      let started = process.hrtime.bigint();
      const ing = await pipelined(port, madds, 4, 8);
      let secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (ing.errors > 0) throw new Error(`ingest: ${ing.errors} error replies`);
      add(`ingest TS.MADD (${SERIES_PER_CMD}×${PER_CMD} points/cmd), points/s`, (S * P) / secs, "points/s");
      ctx.progress(`timeseries compact #${r + 1}`);
      await pipelined(port, [encodeCommand(["TSKV.COMPACT"])], 1, 1);
      add("disk after TSKV.COMPACT, bytes/point", dirBytes(dir) / (S * P), "B/point");
      // Every series read twice: the first pass includes the JIT warming up on the range path (about a second of
      // work in all), the second is the steady state a long-running server answers at.
      for (const pass of ["first pass", "second pass"]) {
        ctx.progress(`timeseries range, ${pass} #${r + 1}`);
        started = process.hrtime.bigint();
        const rd = await pipelined(port, ranges, 4, 4);
        secs = Number(process.hrtime.bigint() - started) / 1e9;
        if (rd.errors > 0) throw new Error(`range: ${rd.errors} error replies`);
        add(`whole-series TS.RANGE, ${pass}, points/s`, (S * P) / secs, "points/s");
      }
    } catch (e) {
      ctx.skip(`timeseries suite: ${(e as Error).message}`);
    } finally {
      await stop(child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

// Server suite: RESP workloads against tskv (epoll and net backends) and redis-server with AOF, in one run.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ChildProcess } from "node:child_process";
import { CaseResult, Sample } from "../lib/report";
import { freePort, pinning, ROOT, run, spawnPinned, stop, tmpDir, waitForPort, which } from "../lib/proc";

export interface SuiteContext {
  quick: boolean;
  repeats: number;
  /** Server workloads to run, by command name (e.g. SET, GET); all when absent. */
  only?: string[];
  progress(label: string): void;
  skip(reason: string): void;
}

interface System {
  name: string;
  start(port: number, dir: string, cpus: string | undefined): ChildProcess;
}

interface Workload {
  name: string;
  /** Command for our load generator; __rand__ is a random key id, __i__ the request number. */
  command: string[];
  /** redis-benchmark -t test name when it has one (then it drives the load instead of ours). */
  redisBenchmark?: string;
  /** Commands to run once before measuring (data the workload reads). */
  setup?: string[][];
  pipeline: number;
  clients: number;
  /** "always" workloads are run against the fsync-always systems only. */
  sync?: "always";
}

const VALUE = "x".repeat(100);

function tskvSystem(io: "epoll" | "net", sync: "everysec" | "always"): System {
  return {
    name: `tskv-${io}-${sync}`,
    start: (port, dir, cpus) =>
      spawnPinned(cpus, process.execPath, [path.join(ROOT, "dist/cli/tskv-server.js"), "--port", String(port), "--dir", dir, "--io", io, "--wal-sync", sync, "--log-level", "warn"]),
  };
}

function redisSystem(sync: "everysec" | "always"): System {
  return {
    name: `redis-aof-${sync}`,
    start: (port, dir, cpus) =>
      spawnPinned(cpus, "redis-server", ["--port", String(port), "--dir", dir, "--appendonly", "yes", "--appendfsync", sync, "--save", "", "--daemonize", "no", "--logfile", ""]),
  };
}

function workloads(quick: boolean): Workload[] {
  const base: Array<Omit<Workload, "pipeline" | "clients">> = [
    { name: "PING", command: ["PING"], redisBenchmark: "ping_mbulk" },
    { name: "SET", command: ["SET", "key:__rand__", VALUE], redisBenchmark: "set" },
    { name: "GET", command: ["GET", "key:__rand__"], redisBenchmark: "get", setup: [["SET", "key:000000000001", VALUE]] },
    { name: "MGET", command: ["MGET", ...Array.from({ length: 10 }, () => "key:__rand__")] },
    // ON_DUPLICATE LAST: two adds in one millisecond to one series are otherwise refused (the default policy BLOCK).
    { name: "TS.ADD", command: ["TS.ADD", "series:__rand__", "*", "42.5", "ON_DUPLICATE", "LAST"] },
    {
      name: "TS.MADD",
      command: ["TS.MADD", ...Array.from({ length: 10 }, (_, k) => [`madd:${k}`, "*", "1.5"]).flat()],
      setup: Array.from({ length: 10 }, (_, k) => ["TS.CREATE", `madd:${k}`, "DUPLICATE_POLICY", "LAST"]),
    },
    {
      name: "TS.RANGE",
      command: ["TS.RANGE", "range:1", "-", "+", "COUNT", "100"],
      setup: [["TS.CREATE", "range:1"], ["TS.MADD", ...Array.from({ length: 200 }, (_, i) => ["range:1", String(1000 + i * 10), String(i / 10)]).flat()]],
    },
  ];
  const shapes = quick
    ? [
        { pipeline: 1, clients: 50 },
        { pipeline: 16, clients: 50 },
      ]
    : [
        { pipeline: 1, clients: 1 },
        { pipeline: 1, clients: 50 },
        { pipeline: 16, clients: 1 },
        { pipeline: 16, clients: 50 },
      ];
  const out: Workload[] = [];
  for (const w of base) for (const s of shapes) out.push({ ...w, ...s });
  // Durable writes: fsync on every acknowledged write.
  out.push({ name: "SET", command: ["SET", "key:__rand__", VALUE], redisBenchmark: "set", pipeline: 16, clients: 50, sync: "always" });
  return out;
}

async function sendOnce(port: number, cmds: string[][], cpus: string | undefined): Promise<void> {
  for (const c of cmds) {
    const spec = { host: "127.0.0.1", port, clients: 1, pipeline: 1, requests: 1, command: c, keyspace: 1 };
    await run(cpus, process.execPath, [path.join(__dirname, "../lib/loadgen-cli.js"), JSON.stringify(spec)]);
  }
}

async function measure(w: Workload, port: number, requests: number, cpus: string | undefined, useRedisBenchmark: boolean): Promise<Sample> {
  if (useRedisBenchmark && w.redisBenchmark) {
    const out = await run(cpus, "redis-benchmark", [
      "-h", "127.0.0.1", "-p", String(port), "-c", String(w.clients), "-n", String(requests), "-P", String(w.pipeline),
      "-d", "100", "-r", "100000", "-t", w.redisBenchmark, "--csv",
    ]);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const line = out.trim().split("\n").filter((l) => !l.startsWith('"test"')).pop() ?? "";
    const cols = line.split(",").map((c) => Number(c.replace(/"/g, "")));
    return { rps: cols[1], p50: cols[4], p99: cols[6] };
  }
  const spec = { host: "127.0.0.1", port, clients: w.clients, pipeline: w.pipeline, requests, command: w.command, keyspace: 100000 };
  const out = await run(cpus, process.execPath, [path.join(__dirname, "../lib/loadgen-cli.js"), JSON.stringify(spec)]);
  const r = JSON.parse(out) as { rps: number; p50: number; p99: number; errors: number };
  if (r.errors > 0) throw new Error(`${w.name}: ${r.errors} error replies`);
  return { rps: r.rps, p50: r.p50, p99: r.p99 };
}

export async function serverSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const pin = pinning();
  ctx.skip(pin.note);
  if (!fs.existsSync(path.join(ROOT, "dist/cli/tskv-server.js"))) {
    ctx.skip("server suite: dist/cli/tskv-server.js missing (run npm run build:ts)");
    return results;
  }
  const hasRedis = which("redis-server") !== undefined;
  const hasRedisBenchmark = which("redis-benchmark") !== undefined;
  if (!hasRedis) ctx.skip("redis-server not installed (apt-get install redis-server): no Redis peer");
  if (!hasRedisBenchmark) ctx.skip("redis-benchmark not installed (apt-get install redis-tools): tskv's own load generator drives every workload");
  const systems: Array<{ sys: System; sync: "everysec" | "always" }> = [
    { sys: tskvSystem("epoll", "everysec"), sync: "everysec" },
    { sys: tskvSystem("net", "everysec"), sync: "everysec" },
    { sys: tskvSystem("epoll", "always"), sync: "always" },
  ];
  if (hasRedis) systems.push({ sys: redisSystem("everysec"), sync: "everysec" }, { sys: redisSystem("always"), sync: "always" });
  const only = ctx.only?.map((n) => n.toUpperCase());
  const all = workloads(ctx.quick).filter((w) => !only || only.includes(w.name));
  for (const { sys, sync } of systems) {
    const mine = all.filter((w) => (w.sync ?? "everysec") === sync);
    if (mine.length === 0) continue;
    const port = await freePort();
    const dir = tmpDir("tskv-bench-");
    const child = sys.start(port, dir, pin.server);
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    try {
      await waitForPort(port, child);
      for (const w of mine) {
        const isRedis = sys.name.startsWith("redis");
        if (isRedis && w.name.startsWith("TS.")) continue; // Redis here has no RedisTimeSeries module
        const label = `${w.name} P${w.pipeline} c${w.clients}${w.sync ? " always" : ""}`;
        if (w.setup) await sendOnce(port, w.setup, pin.client);
        const requests = (ctx.quick ? 20000 : 200000) * (w.pipeline > 1 ? 4 : 1);
        const samples: Sample[] = [];
        try {
          // A discarded warm-up run first (a tenth of the requests, at least 20 000): the first run of a workload on
          // a fresh Node server is partly JIT compilation, whose threads share the server's pinned CPU (a quick SET
          // P1 gave 72 k, then 121 k; with a 2 000-request warm-up quick runs still read 0.65× where full-length
          // ones read 0.85-0.89×).
          ctx.progress(`server ${label} ${sys.name} warm-up`);
          await measure(w, port, Math.max(20000, Math.floor(requests / 10)), pin.client, hasRedisBenchmark);
          for (let r = 0; r < ctx.repeats; r++) {
            ctx.progress(`server ${label} ${sys.name} #${r + 1}`);
            samples.push(await measure(w, port, requests, pin.client, hasRedisBenchmark));
          }
          results.push({ suite: "server", workload: label, system: sys.name, samples });
        } catch (e) {
          ctx.skip(`server ${label} on ${sys.name}: ${(e as Error).message.slice(0, 200)}`);
        }
      }
    } catch (e) {
      ctx.skip(`server suite: ${sys.name} failed: ${(e as Error).message} ${stderr.trim().slice(0, 500)}`);
    } finally {
      await stop(child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

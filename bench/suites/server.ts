// Server suite: RESP workloads against tskv (epoll and net backends) and redis-server with AOF, in one run; the TS.*
// workloads also against redis-server with the RedisTimeSeries module when one is given (--rts-module).
import * as fs from "node:fs";
import * as path from "node:path";
import { CaseResult, Sample } from "../lib/report";
import { pinning, ROOT, run, which } from "../lib/proc";
import { redisBenchmark } from "../lib/redis-benchmark";
import { callOnce, firstError } from "../lib/resp-client";
import { launch, redisServer, rtsModule, ServerSystem, tskvBuild } from "../lib/systems";

export interface SuiteContext {
  quick: boolean;
  repeats: number;
  /** Server workloads to run, by command name (e.g. SET, GET); all when absent. */
  only?: string[];
  /** `--rts-module`: the RedisTimeSeries module to load into redis-server (else TSKV_BENCH_RTS_MODULE). */
  rtsModule?: string;
  /** `--tskv`: tskv build directories to measure (the tspeer suite; default dist). */
  tskvBuilds?: string[];
  progress(label: string): void;
  skip(reason: string): void;
}

interface Workload {
  name: string;
  /** Command for our load generator; __rand__ is a random key id, __i__ the request number. */
  command: string[];
  /** redis-benchmark -t test name when it has one (then it drives the load instead of ours). */
  redisBenchmark?: string;
  /**
   * The same command for redis-benchmark (__rand__ written __rand_int__), when it can express it: it then drives the
   * load instead of ours, which is slower than the servers at pipeline 16.
   */
  redisBenchmarkCommand?: string[];
  /** Commands to run once before measuring (data the workload reads). */
  setup?: string[][];
  pipeline: number;
  clients: number;
  /** "always" workloads are run against the fsync-always systems only. */
  sync?: "always";
}

const VALUE = "x".repeat(100);

function tskvSystem(io: "epoll" | "net", sync: "everysec" | "always"): ServerSystem {
  return tskvBuild("dist", `tskv-${io}-${sync}`, { io, sync });
}

/** __rand__ (our generator's marker) as redis-benchmark writes it. */
function forRedisBenchmark(command: string[]): string[] {
  return command.map((a) => a.replace(/__rand__/g, "__rand_int__"));
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
  ].map((w) => (w.name.startsWith("TS.") ? { ...w, redisBenchmarkCommand: forRedisBenchmark(w.command) } : w));
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

/** Runs the setup commands; an error reply (at any depth) fails the workload. */
async function sendOnce(port: number, cmds: string[][]): Promise<void> {
  const replies = await callOnce(port, ...cmds);
  replies.forEach((r, i) => {
    const e = firstError(r);
    if (e) throw new Error(`setup ${cmds[i].slice(0, 3).join(" ")}: ${e.message}`);
  });
}

/**
 * redis-benchmark does not see an error inside an array reply (TS.MADD's per-sample errors) and only exits on a
 * top-level one: the command is sent once first (__rand__ as key 0) and its reply checked.
 */
async function probe(w: Workload, port: number): Promise<void> {
  const [r] = await callOnce(port, w.command.map((a) => a.replace(/__rand__/g, "000000000000").replace(/__i__/g, "0")));
  const e = firstError(r);
  if (e) throw new Error(`${w.command.slice(0, 2).join(" ")} answers ${e.message}`);
}

async function measure(w: Workload, port: number, requests: number, cpus: string | undefined, useRedisBenchmark: boolean): Promise<Sample> {
  if (useRedisBenchmark && (w.redisBenchmark || w.redisBenchmarkCommand)) {
    return redisBenchmark(
      {
        port, clients: w.clients, pipeline: w.pipeline, requests, keyspace: 100000,
        ...(w.redisBenchmark ? { test: w.redisBenchmark, dataSize: 100 } : { command: w.redisBenchmarkCommand }),
      },
      cpus,
    );
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
  // Which workloads a system runs: plain Redis has no TS.* commands; Redis with RedisTimeSeries runs only those (its
  // string figures are plain Redis's).
  type Runs = "all" | "strings" | "timeseries";
  const systems: Array<{ sys: ServerSystem; sync: "everysec" | "always"; runs: Runs }> = [
    { sys: tskvSystem("epoll", "everysec"), sync: "everysec", runs: "all" },
    { sys: tskvSystem("net", "everysec"), sync: "everysec", runs: "all" },
    { sys: tskvSystem("epoll", "always"), sync: "always", runs: "all" },
  ];
  if (hasRedis) {
    systems.push(
      { sys: redisServer("redis-aof-everysec", "everysec"), sync: "everysec", runs: "strings" },
      { sys: redisServer("redis-aof-always", "always"), sync: "always", runs: "strings" },
    );
    const rts = rtsModule(ctx.rtsModule);
    if (rts.path) systems.push({ sys: redisServer("redis-rts-aof-everysec", "everysec", rts.path), sync: "everysec", runs: "timeseries" });
    else ctx.skip(`server suite: ${rts.note}`);
  }
  const only = ctx.only?.map((n) => n.toUpperCase());
  const all = workloads(ctx.quick).filter((w) => !only || only.includes(w.name));
  for (const { sys, sync, runs } of systems) {
    const mine = all.filter(
      (w) => (w.sync ?? "everysec") === sync && (runs === "all" || (runs === "timeseries") === w.name.startsWith("TS.")),
    );
    if (mine.length === 0) continue;
    let server;
    try {
      server = await launch(sys, pin.server);
    } catch (e) {
      ctx.skip(`server suite: ${(e as Error).message}`);
      continue;
    }
    const port = server.port;
    const setUp = new Set<string>(); // a workload's data is loaded once per server, not once per shape
    try {
      for (const w of mine) {
        const label = `${w.name} P${w.pipeline} c${w.clients}${w.sync ? " always" : ""}`;
        const requests = (ctx.quick ? 20000 : 200000) * (w.pipeline > 1 ? 4 : 1);
        const samples: Sample[] = [];
        try {
          if (w.setup && !setUp.has(w.name)) {
            setUp.add(w.name);
            await sendOnce(port, w.setup);
          }
          if (hasRedisBenchmark && w.redisBenchmarkCommand) await probe(w, port);
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
      ctx.skip(`server suite: ${sys.name} failed: ${(e as Error).message} ${server.output().trim().slice(0, 500)}`);
    } finally {
      await server.close();
    }
  }
  return results;
}

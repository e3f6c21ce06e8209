// Time series beside RedisTimeSeries (issue #19): the same workloads, on the same data, against every tskv build
// given (--tskv, default dist) and redis-server 7 with the RedisTimeSeries module and an everysec AOF
// (redis-rts-aof-everysec, when --rts-module or TSKV_BENCH_RTS_MODULE names the module), in one run, each server
// pinned to the server CPU and its load to the other.
//
// Three phases, each on fresh servers:
//   ingest   one system after the other: TS.CREATE of the gauge series, then a file of pipelined TS.MADD (10 series
//            × 100 points a command) through `redis-cli --pipe`, timed: points/s; then tskv's disk bytes a point after
//            TSKV.COMPACT beside RedisTimeSeries's TS.INFO memoryUsage a point (its only copy of the data is in memory).
//   queries  every system's server up at once, each workload run on each in turn. The read data loaded by redis-cli
//            --pipe (lab:* 1 000 series × 1 000 points with labels grp = k % 10 and tier = k % 100, `big` 100 000
//            points, s:* 100 000 series of one point), a few replies compared between the systems, then
//            redis-benchmark runs of the reads, of TS.MADD, and of TS.ADD over 1 000, 100 000 (and in full mode
//            1 000 000) series, each set of series created first (by a TS.ADD with an explicit timestamp:
//            auto-created), so the timed adds append to that many active series.
//   memory   one system after the other: N series × 100 points loaded through redis-cli --pipe, the server's RSS
//            (VmRSS) and INFO used_memory grown per series, at 100 000 series (and 1 000 000 in full mode).
// Setup points have explicit, rising timestamps from 1 700 000 000 000 and values a seeded random walk in steps of
// 0.1, so both systems get the same bytes; the timed TS.ADD and TS.MADD use `*` as the issue's table does.
// redis-benchmark runs are sized by time (lib/redis-benchmark.ts sizeByTime): the systems differ by up to 50× on
// some rows, and a fixed count would make one of them measure nothing or take minutes.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CaseResult, Sample } from "../lib/report";
import { pinning, rssBytes, tmpDir, which } from "../lib/proc";
import { redisCliPipe } from "../lib/pipe";
import { mulberry32 } from "../lib/random";
import { redisBenchmark, sizeByTime } from "../lib/redis-benchmark";
import { callOnce, field, firstError, infoField, Reply, ReplyError, RespClient } from "../lib/resp-client";
import { launch, redisServer, rtsModule, Running, ServerSystem, tskvBuild, tskvBuildProblem } from "../lib/systems";
import type { SuiteContext } from "./server";

const SUITE = "tspeer";
const T0 = 1_700_000_000_000;
const PEER = "redis-rts-aof-everysec";

/** The 12-digit names redis-benchmark makes of prefix:__rand_int__. */
const pad = (k: number): string => String(k).padStart(12, "0");

function resp(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`; // every argument here is ASCII
  return s;
}

/** A gauge: a random walk in steps of 0.1 from 20 + k % 50, one decimal (issue #5's data set). */
class Walk {
  private x: number;
  constructor(k: number, private readonly next: () => number) {
    this.x = 20 + (k % 50);
  }
  step(): string {
    this.x = Math.round((this.x + (this.next() < 0.5 ? -0.1 : 0.1)) * 10) / 10;
    return String(this.x);
  }
}

/** Joins the commands of a generator into chunks of about 256 KiB (one write each to redis-cli). */
function* chunked(commands: Iterable<string>): Generator<string> {
  let buf = "";
  for (const c of commands) {
    buf += c;
    if (buf.length >= 1 << 18) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}

/**
 * Series `name(k)` for k in [from, to), `points` each, `step` ms apart, as TS.CREATE (with `labels(k)`) and TS.MADD of
 * `perCmd` points for `group` series a command, series after series within a group.
 */
function* seriesData(o: {
  name: (k: number) => string;
  from: number;
  to: number;
  points: number;
  step: number;
  group: number;
  perCmd: number;
  seed: number;
  labels?: (k: number) => string[];
}): Generator<string> {
  const next = mulberry32(o.seed);
  for (let g = o.from; g < o.to; g += o.group) {
    const ks = Array.from({ length: Math.min(o.group, o.to - g) }, (_, i) => g + i);
    const walks = ks.map((k) => new Walk(k, next));
    for (const k of ks) yield resp(["TS.CREATE", o.name(k), ...(o.labels ? ["LABELS", ...o.labels(k)] : [])]);
    for (let i = 0; i < o.points; i += o.perCmd) {
      const args = ["TS.MADD"];
      ks.forEach((k, j) => {
        for (let p = i; p < Math.min(o.points, i + o.perCmd); p++) args.push(o.name(k), String(T0 + p * o.step), walks[j].step());
      });
      yield resp(args);
    }
  }
}

/** One point for each of series prefix<12-digit k>, k in [from, to): created by TS.ADD (auto-created keys). */
function* onePointEach(prefix: string, from: number, to: number, extra: string[] = []): Generator<string> {
  const next = mulberry32(from + 7);
  for (let k = from; k < to; k++) yield resp(["TS.ADD", prefix + pad(k), String(T0), new Walk(k, next).step(), ...extra]);
}

interface Sizes {
  lab: { series: number; points: number };
  bigPoints: number;
  getSeries: number;
  addSeries: number[];
  gauge: { series: number; points: number };
  rssSeries: number[];
  seconds: number;
  warmSeconds: number;
}

function sizes(quick: boolean): Sizes {
  return {
    lab: { series: 1000, points: 1000 },
    bigPoints: 100_000,
    getSeries: 100_000,
    addSeries: quick ? [1000, 100_000] : [1000, 100_000, 1_000_000],
    gauge: quick ? { series: 500, points: 2000 } : { series: 1000, points: 2000 },
    rssSeries: quick ? [100_000] : [100_000, 1_000_000],
    seconds: quick ? 1.5 : 5,
    warmSeconds: quick ? 0.5 : 1,
  };
}

type DataSet = "lab" | "big" | "s" | "m";

interface BenchWorkload {
  /** The row's name; its first word is what --only matches. */
  name: string;
  command: string[];
  clients: number;
  pipeline: number;
  keyspace: number;
  needs: DataSet[];
  unit?: string;
  /** TS.ADD rows: the number of a:* series that must exist first. */
  addSeries?: number;
}

const TIERS = `tier=(${Array.from({ length: 10 }, (_, i) => i + 1).join(",")})`;
const ADD = ["TS.ADD", "a:__rand_int__", "*", "42.5", "ON_DUPLICATE", "LAST"];

function benchWorkloads(z: Sizes): BenchWorkload[] {
  const n = (x: number): string => x.toLocaleString("en-US").replace(/,/g, " ");
  const lab = `${n(z.lab.series)} series × ${n(z.lab.points)} points`;
  const out: BenchWorkload[] = [
    { name: `TS.GET s:__rand_int__ P16, ${n(z.getSeries)} series`, command: ["TS.GET", "s:__rand_int__"], clients: 50, pipeline: 16, keyspace: z.getSeries, needs: ["s"] },
    { name: `TS.RANGE lab:… - + COUNT 100 P16, ${lab}`, command: ["TS.RANGE", "lab:__rand_int__", "-", "+", "COUNT", "100"], clients: 50, pipeline: 16, keyspace: z.lab.series, needs: ["lab"] },
    { name: `TS.RANGE lab:… - + COUNT 100 P1, ${lab}`, command: ["TS.RANGE", "lab:__rand_int__", "-", "+", "COUNT", "100"], clients: 50, pipeline: 1, keyspace: z.lab.series, needs: ["lab"] },
    { name: `TS.RANGE big - + raw, ${n(z.bigPoints)} points, 4 clients`, command: ["TS.RANGE", "big", "-", "+"], clients: 4, pipeline: 1, keyspace: 1, needs: ["big"] },
    { name: `TS.RANGE big - + AGGREGATION avg 60000, 10 clients`, command: ["TS.RANGE", "big", "-", "+", "AGGREGATION", "avg", "60000"], clients: 10, pipeline: 1, keyspace: 1, needs: ["big"] },
    { name: `TS.MRANGE - + AGGREGATION max 60000 FILTER grp=3 (${n(z.lab.series / 10)} of ${lab})`, command: ["TS.MRANGE", "-", "+", "AGGREGATION", "max", "60000", "FILTER", "grp=3"], clients: 50, pipeline: 1, keyspace: 1, needs: ["lab"] },
    { name: `TS.MGET FILTER tier=(1,…,10) (${n(z.lab.series / 10)} series)`, command: ["TS.MGET", "FILTER", TIERS], clients: 50, pipeline: 1, keyspace: 1, needs: ["lab"] },
    {
      name: "TS.MADD of 10 samples to 10 series P16, commands/s",
      command: ["TS.MADD", ...Array.from({ length: 10 }, (_, k) => [`m:${k}`, "*", "1.5"]).flat()],
      clients: 50, pipeline: 16, keyspace: 1, needs: ["m"], unit: "cmds/s",
    },
  ];
  for (const s of z.addSeries) {
    for (const p of [16, 1]) out.push({ name: `TS.ADD a:__rand_int__ * 42.5 ON_DUPLICATE LAST P${p}, ${n(s)} series`, command: ADD, clients: 50, pipeline: p, keyspace: s, needs: [], addSeries: s });
  }
  return out;
}

/** Replies compared between the systems on the same data (queries phase, before any timed write). */
function checks(z: Sizes): string[][] {
  const lab7 = `lab:${pad(7)}`;
  return [
    ["TS.RANGE", lab7, "-", "+", "COUNT", "100"],
    ["TS.REVRANGE", lab7, "-", "+", "COUNT", "5"],
    ["TS.RANGE", lab7, "-", "+", "AGGREGATION", "avg", "60000"],
    ["TS.RANGE", "big", "-", "+"],
    ["TS.RANGE", "big", "-", "+", "AGGREGATION", "avg", "60000"],
    ["TS.RANGE", "big", String(T0 + 500_000), String(T0 + 800_000), "AGGREGATION", "std.p", "7000"],
    ["TS.MRANGE", "-", "+", "AGGREGATION", "max", "60000", "FILTER", "grp=3"],
    ["TS.MRANGE", "-", "+", "WITHLABELS", "COUNT", "3", "FILTER", "grp=3", "tier=(3,13)"],
    ["TS.MRANGE", "-", "+", "AGGREGATION", "max", "60000", "FILTER", "grp=3", "GROUPBY", "tier", "REDUCE", "max"],
    ["TS.MGET", "FILTER", TIERS],
    ["TS.MGET", "WITHLABELS", "FILTER", "grp=3", "tier=13"],
    ["TS.QUERYINDEX", "grp=3", "tier=(3,13,23)"],
    ["TS.GET", `s:${pad(Math.min(12345, z.getSeries - 1))}`],
  ];
}

function show(r: Reply | undefined, max = 160): string {
  const s = JSON.stringify(r, (_k, v) => (v instanceof ReplyError ? `(error) ${v.message}` : v));
  return s === undefined ? "nothing" : s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The first place two replies differ (a path and both values), or undefined when they are equal. */
function firstDifference(a: Reply, b: Reply, at = ""): string | undefined {
  if (a instanceof ReplyError || b instanceof ReplyError) {
    return a instanceof ReplyError && b instanceof ReplyError && a.message === b.message ? undefined : `${at || "reply"}: ${show(a)} vs ${show(b)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? undefined : `${at || "reply"}: ${a.length} elements vs ${b.length}`;
  }
  return a === b ? undefined : `${at || "reply"}: ${show(a)} vs ${show(b)}`;
}

/** Same elements in another order (compared by their text), for replies whose order a client cannot rely on. */
function sameElements(a: Reply, b: Reply): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const key = (x: Reply): string => show(x, Infinity);
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.every((x, i) => x === sb[i]);
}

/** Whether the replies differ only in how numbers are written (e.g. 17 significant digits against 15). */
function numericallyEqual(a: Reply, b: Reply): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => numericallyEqual(x, b[i]));
  if (typeof a === "string" && typeof b === "string" && a !== b) {
    const x = Number(a);
    const y = Number(b);
    return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return show(a, Infinity) === show(b, Infinity);
}

/** One line on how `mine`'s reply `a` compares with `peer`'s reply `b` to the same command (values shown mine first). */
export function compareReplies(command: string[], mine: string, peer: string, a: Reply, b: Reply): string {
  const what = command.join(" ");
  const d = firstDifference(a, b);
  if (!d) return `same reply from ${mine} and ${peer}: ${what.length > 90 ? `${what.slice(0, 90)}…` : what}`;
  if (sameElements(a, b)) return `${mine} vs ${peer}: ${what}: the same elements in another order (first difference ${d})`;
  if (numericallyEqual(a, b)) return `${mine} vs ${peer}: ${what}: numbers written differently, equal to 1e-9 (first: ${d})`;
  return `${mine} vs ${peer} DIFFER: ${what}: ${d}`;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir)) if (/\.(sst|log)$|^MANIFEST/.test(f)) total += fs.statSync(path.join(dir, f)).size;
  return total;
}

export async function tsPeerSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const pin = pinning();
  ctx.skip(`${SUITE}: ${pin.note}`);
  for (const tool of ["redis-benchmark", "redis-cli"]) {
    if (!which(tool)) {
      ctx.skip(`${SUITE}: ${tool} not installed (apt-get install redis-tools): suite skipped`);
      return results;
    }
  }
  const systems: ServerSystem[] = [];
  const rts = rtsModule(ctx.rtsModule);
  if (rts.path && which("redis-server")) systems.push(redisServer(PEER, "everysec", rts.path));
  else ctx.skip(`${SUITE}: ${rts.path ? "redis-server not installed: redis-rts-aof-everysec skipped" : rts.note}`);
  const builds = ctx.tskvBuilds?.length ? ctx.tskvBuilds : ["dist"];
  builds.forEach((b, i) => {
    const problem = tskvBuildProblem(b);
    // One build is "tskv"; several are named by their directories (tskv:dist-old, tskv:dist), numbered if repeated.
    const twice = builds.indexOf(b) !== i || builds.lastIndexOf(b) !== i;
    const name = builds.length === 1 ? "tskv" : `tskv:${b}${twice ? `#${i + 1}` : ""}`;
    if (problem) ctx.skip(`${SUITE}: tskv build ${b}: ${problem}`);
    else systems.push(tskvBuild(b, name));
  });
  if (!systems.some((s) => s.kind === "tskv")) return results;

  const z = sizes(ctx.quick);
  const only = ctx.only?.map((o) => o.toUpperCase());
  const wanted = (name: string): boolean => !only || only.includes(name.split(/[\s,:]/)[0].toUpperCase());
  const add = (workload: string, system: string, samples: Sample[], unit?: string): void => {
    let c = results.find((x) => x.workload === workload && x.system === system);
    if (!c) results.push((c = { suite: SUITE, workload, system, samples: [], unit }));
    c.samples.push(...samples);
  };
  /** Runs `body` against each system on a fresh server; a failure skips that system's phase, noted. */
  const eachSystem = async (phase: string, body: (sys: ServerSystem, srv: Running) => Promise<void>): Promise<void> => {
    for (const sys of systems) {
      let srv: Running | undefined;
      try {
        srv = await launch(sys, pin.server);
        await body(sys, srv);
      } catch (e) {
        ctx.skip(`${SUITE} ${phase} on ${sys.name}: ${(e as Error).message.slice(0, 300)}${srv ? ` ${srv.output().trim().slice(-300)}` : ""}`);
      } finally {
        await srv?.close();
      }
    }
  };
  const pipe = async (srv: Running, label: string, source: { file: string } | Iterable<string>): Promise<number> => {
    ctx.progress(label);
    return (await redisCliPipe(srv.port, pin.client, source)).seconds;
  };
  const work = tmpDir("tskv-tspeer-");
  try {
    // Ingest, and what a point costs at rest.
    const ingestName = `ingest: redis-cli --pipe of TS.MADD (10 series × 100 points a command), ${z.gauge.series} × ${z.gauge.points} points, points/s`;
    const storageName = "storage a point: tskv disk after TSKV.COMPACT; RTS TS.INFO memoryUsage (lower is better), bytes/point";
    if (wanted(ingestName) || wanted(storageName)) {
      const creates = path.join(work, "gauge-create.resp");
      const madds = path.join(work, "gauge-madd.resp");
      const gauge = { name: (k: number) => `g:${k}`, from: 0, to: z.gauge.series, points: z.gauge.points, step: 10_000, group: 10, perCmd: 100, seed: 5 };
      const all = [...seriesData({ ...gauge, labels: (k) => ["kind", "gauge", "host", `h${k % 20}`] })];
      fs.writeFileSync(creates, all.filter((c) => c.includes("TS.CREATE")).join(""));
      fs.writeFileSync(madds, all.filter((c) => !c.includes("TS.CREATE")).join(""));
      const points = z.gauge.series * z.gauge.points;
      for (let r = 0; r < ctx.repeats; r++) {
        await eachSystem("ingest", async (sys, srv) => {
          await pipe(srv, `${SUITE} ingest ${sys.name}: TS.CREATE`, { file: creates });
          const secs = await pipe(srv, `${SUITE} ingest ${sys.name} #${r + 1}`, { file: madds });
          add(ingestName, sys.name, [{ rps: points / secs }], "points/s");
          if (r > 0) return;
          if (sys.kind === "tskv") {
            ctx.progress(`${SUITE} ${sys.name} TSKV.COMPACT`);
            const [c] = await callOnce(srv.port, ["TSKV.COMPACT"]);
            if (firstError(c)) throw new Error(`TSKV.COMPACT: ${firstError(c)!.message}`);
            add(storageName, sys.name, [{ rps: dirBytes(srv.dir) / points }], "B/point");
          } else {
            const client = await RespClient.connect(srv.port);
            let bytes = 0;
            try {
              for (let k = 0; k < z.gauge.series; k++) bytes += Number(field(await client.call("TS.INFO", `g:${k}`), "memoryUsage"));
            } finally {
              client.close();
            }
            add(storageName, sys.name, [{ rps: bytes / points }], "B/point");
          }
        });
      }
    }

    // Queries and writes on the same data.
    const bench = benchWorkloads(z).filter((w) => wanted(w.name));
    const needs = new Set(bench.flatMap((w) => w.needs));
    const replies = new Map<string, Reply[]>();
    const checked = systems.some((s) => s.name === PEER) ? checks(z).filter((c) => !only || only.includes(c[0])) : [];
    if (bench.length > 0) {
      const loads: Array<[DataSet, () => Iterable<string>]> = [
        ["lab", () => seriesData({ name: (k) => `lab:${pad(k)}`, from: 0, to: z.lab.series, points: z.lab.points, step: 1000, group: 10, perCmd: 100, seed: 1, labels: (k) => ["grp", String(k % 10), "tier", String(k % 100)] })],
        ["big", () => seriesData({ name: () => "big", from: 0, to: 1, points: z.bigPoints, step: 1000, group: 1, perCmd: 1000, seed: 2 })],
        ["s", () => onePointEach("s:", 0, z.getSeries)],
        ["m", () => Array.from({ length: 10 }, (_, k) => resp(["TS.CREATE", `m:${k}`, "DUPLICATE_POLICY", "LAST"]))],
      ];
      // Every system's server up at once (the idle ones cost their CPU nothing but a timer), so each workload runs on
      // each system back to back: a shared machine's load drifts over minutes, and the ratio is of figures taken
      // seconds apart. Warm-ups of every system first, then the measured repeats alternate.
      const servers: Array<{ sys: ServerSystem; srv: Running }> = [];
      try {
        for (const sys of systems) {
          try {
            const srv = await launch(sys, pin.server);
            servers.push({ sys, srv });
            for (const [set, data] of loads) if (needs.has(set) || (set !== "m" && checked.length > 0)) await pipe(srv, `${SUITE} ${sys.name}: load ${set}`, chunked(data()));
            const client = await RespClient.connect(srv.port);
            try {
              const got: Reply[] = [];
              for (const c of checked) got.push(await client.call(...c));
              replies.set(sys.name, got);
              for (const w of bench) {
                const e = firstError(await client.call(...w.command.map((a) => a.replace(/__rand_int__/g, pad(0)))));
                if (e) throw new Error(`${w.command.slice(0, 2).join(" ")} answers ${e.message}`);
              }
            } finally {
              client.close();
            }
          } catch (e) {
            ctx.skip(`${SUITE} queries on ${sys.name}: ${(e as Error).message.slice(0, 300)}`);
            const gone = servers.findIndex((x) => x.sys === sys);
            if (gone >= 0) await servers.splice(gone, 1)[0].srv.close();
          }
        }
        let haveSeries = 0;
        for (const w of bench) {
          if (w.addSeries !== undefined && w.addSeries > haveSeries) {
            for (const { sys, srv } of servers) await pipe(srv, `${SUITE} ${sys.name}: create a:* up to ${w.addSeries}`, chunked(onePointEach("a:", haveSeries, w.addSeries)));
            haveSeries = w.addSeries;
          }
          const spec = { clients: w.clients, pipeline: w.pipeline, keyspace: w.keyspace, command: w.command };
          const sized = new Map<string, number>();
          for (const { sys, srv } of servers) {
            ctx.progress(`${SUITE} ${sys.name}: ${w.name} (warm-up)`);
            sized.set(sys.name, await sizeByTime({ ...spec, port: srv.port }, pin.client, { seconds: z.seconds, warmSeconds: z.warmSeconds }));
          }
          for (let r = 0; r < ctx.repeats; r++) {
            for (const { sys, srv } of servers) {
              ctx.progress(`${SUITE} ${sys.name}: ${w.name} #${r + 1}`);
              add(w.name, sys.name, [await redisBenchmark({ ...spec, port: srv.port, requests: sized.get(sys.name)! }, pin.client)], w.unit);
            }
          }
        }
      } finally {
        for (const { srv } of servers) await srv.close();
      }
      const peer = replies.get(PEER);
      for (const [name, got] of replies) {
        if (name === PEER || !peer) continue;
        checked.forEach((c, i) => ctx.skip(`${SUITE} replies: ${compareReplies(c, name, PEER, got[i], peer[i])}`));
      }
    }

    // Memory per active series.
    for (const n of z.rssSeries) {
      if (!wanted("RSS")) break;
      const count = n.toLocaleString("en-US").replace(/,/g, " ");
      const rssName = `RSS per series, ${count} series × 100 points (lower is better), bytes`;
      const usedName = `INFO used_memory per series, ${count} series × 100 points (lower is better), bytes`;
      await eachSystem("memory", async (sys, srv) => {
        const [before] = await callOnce(srv.port, ["INFO", "memory"]);
        const rss0 = rssBytes(srv.pid);
        await pipe(srv, `${SUITE} ${sys.name}: ${n} series × 100 points`, chunked(seriesData({ name: (k) => `r:${k}`, from: 0, to: n, points: 100, step: 10_000, group: 10, perCmd: 100, seed: 3 })));
        await new Promise((r) => setTimeout(r, 1000)); // background work of the load (a memtable flush) settles
        const [after] = await callOnce(srv.port, ["INFO", "memory"]);
        add(rssName, sys.name, [{ rps: (rssBytes(srv.pid) - rss0) / n }], "B/series");
        const used = (infoField(after, "used_memory") - infoField(before, "used_memory")) / n;
        if (Number.isFinite(used)) add(usedName, sys.name, [{ rps: used }], "B/series");
      });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

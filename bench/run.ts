#!/usr/bin/env node
// tskv-bench: measures tskv beside its peers in one run; prints a markdown table, writes JSON + SVG to bench/results/.
import * as path from "node:path";
import { Command } from "commander";
import { markdown, sideBySide, summarize, writeResults, CaseResult } from "./lib/report";
import { ROOT } from "./lib/proc";
import { engineSuite } from "./suites/engine";
import { nativeSuite } from "./suites/native";
import { timeseriesSuite } from "./suites/timeseries";
import { recoverySuite } from "./suites/recovery";
import { serverSuite, SuiteContext } from "./suites/server";
import { tsPeerSuite } from "./suites/ts-peer";
import { RTS_MODULE_ENV } from "./lib/systems";

type Suite = (ctx: SuiteContext) => Promise<CaseResult[]>;

const SUITES: Record<string, Suite> = {
  server: serverSuite,
  engine: engineSuite,
  native: nativeSuite,
  timeseries: timeseriesSuite,
  tspeer: tsPeerSuite,
  recovery: recoverySuite,
};

async function main(): Promise<void> {
  const program = new Command()
    .name("tskv-bench")
    .description("Benchmarks tskv beside redis-server (with and without RedisTimeSeries), classic-level and lmdb in the same run")
    .option("--quick", "short runs, fewer shapes (a few minutes)", false)
    .option("--suite <names>", `comma-separated suites: ${Object.keys(SUITES).join(", ")}`, Object.keys(SUITES).join(","))
    .option("--repeats <n>", "repeats per case (default 3, quick 1)")
    .option("--only <commands>", "server and tspeer suites: only these workloads, by command (e.g. SET,GET; TS.ADD,ingest,storage,RSS)")
    .option("--rts-module <path>", `RedisTimeSeries module for redis-server --loadmodule (else $${RTS_MODULE_ENV}); without one the TS peer is skipped`)
    .option("--tskv <dirs>", "tspeer suite: comma-separated tskv build directories (each with cli/tskv-server.js) to measure side by side", "dist")
    .option("--table <form>", "long: a row per workload and system; wide: a row per workload, a column per system, ratios", "long")
    .option("--out <dir>", "where JSON and SVG go", path.join(ROOT, "bench", "results"))
    .showHelpAfterError(false);
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s.split("\n")[0] + "\n") });
  try {
    program.parse();
  } catch {
    process.exit(2);
  }
  const opts = program.opts<{ quick: boolean; suite: string; repeats?: string; only?: string; out: string; rtsModule?: string; tskv: string; table: string }>();
  if (opts.table !== "long" && opts.table !== "wide") {
    process.stderr.write(`tskv-bench: --table is long or wide, not '${opts.table}'\n`);
    process.exit(2);
  }
  const names = opts.suite.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!SUITES[n]) {
      process.stderr.write(`tskv-bench: unknown suite '${n}' (have: ${Object.keys(SUITES).join(", ")})\n`);
      process.exit(2);
    }
  }
  const repeats = opts.repeats ? Number(opts.repeats) : opts.quick ? 1 : 3;
  const skipped: string[] = [];
  const started = Date.now();
  let step = 0;
  let suiteIndex = 0;
  const ctx: SuiteContext = {
    quick: opts.quick,
    repeats,
    only: opts.only?.split(",").map((s) => s.trim()).filter(Boolean),
    rtsModule: opts.rtsModule,
    tskvBuilds: opts.tskv.split(",").map((s) => s.trim()).filter(Boolean),
    progress: (label) => {
      step++;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      // A bar over the suites (cases per suite are not known ahead), the case count and elapsed time.
      const width = 20;
      const done = Math.round((width * (suiteIndex - 1)) / names.length);
      const bar = `${"#".repeat(done)}${".".repeat(width - done)}`;
      const line = `[${bar}] suite ${suiteIndex}/${names.length}, case ${step}, ${secs}s: ${label}`;
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${line}\n`);
    },
    skip: (reason) => skipped.push(reason),
  };
  const cases: CaseResult[] = [];
  for (const n of names) {
    suiteIndex++;
    cases.push(...(await SUITES[n](ctx)));
  }
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  const rows = cases.map(summarize);
  process.stdout.write((opts.table === "wide" ? sideBySide(rows) : markdown(rows)) + "\n");
  if (skipped.length) process.stdout.write(skipped.map((s) => `- ${s}`).join("\n") + "\n");
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const files = writeResults(opts.out, `bench-${stamp}`, rows, { quick: opts.quick, repeats, suites: names, tskv: ctx.tskvBuilds, notes: skipped });
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.svg)}\n`);
}

main().catch((e) => {
  process.stderr.write(`tskv-bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

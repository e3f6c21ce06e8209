// The servers the suites measure: builds of tskv, and redis-server with AOF, with or without the RedisTimeSeries
// module (the peer of the time-series face). Each starts on a fresh data directory, pinned to the server's CPU.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ChildProcess } from "node:child_process";
import { freePort, ROOT, spawnPinned, stop, tmpDir, waitForPort } from "./proc";

export interface ServerSystem {
  name: string;
  kind: "tskv" | "redis";
  start(port: number, dir: string, cpus: string | undefined): ChildProcess;
}

/** Where the RedisTimeSeries module comes from: `--rts-module PATH`, else this environment variable. */
export const RTS_MODULE_ENV = "TSKV_BENCH_RTS_MODULE";

/** The module's path when one was given and exists; `note` says what was skipped or why the path was refused. */
export function rtsModule(flag: string | undefined): { path?: string; note?: string } {
  const given = flag ?? process.env[RTS_MODULE_ENV];
  if (!given) {
    return { note: `no RedisTimeSeries module given (--rts-module PATH or ${RTS_MODULE_ENV}=PATH): redis-rts-aof-everysec skipped, TS workloads measured on tskv alone` };
  }
  const abs = path.resolve(given);
  if (!fs.existsSync(abs)) return { note: `RedisTimeSeries module ${given} not found: redis-rts-aof-everysec skipped` };
  return { path: abs };
}

/**
 * A tskv build: `dist` is a directory holding cli/tskv-server.js (this checkout's dist/, or an older commit's build
 * such as dist-old made as bench/scripts/ab-strings.sh describes). When it holds a tskv.node, that addon is loaded
 * (TSKV_NATIVE_PATH) instead of the one its package root finds, so two addon builds can be compared too.
 */
export function tskvBuild(dist: string, name: string, opts: { io?: "epoll" | "net"; sync?: "everysec" | "always" } = {}): ServerSystem {
  const dir = path.resolve(ROOT, dist);
  const server = path.join(dir, "cli", "tskv-server.js");
  const addon = path.join(dir, "tskv.node");
  const env = fs.existsSync(addon) ? { ...process.env, TSKV_NATIVE_PATH: addon } : process.env;
  return {
    name,
    kind: "tskv",
    start: (port, data, cpus) => {
      const args = [server, "--port", String(port), "--dir", data, "--log-level", "warn"];
      if (opts.io) args.push("--io", opts.io);
      if (opts.sync) args.push("--wal-sync", opts.sync);
      return spawnPinned(cpus, process.execPath, args, { env });
    },
  };
}

/** Checks that a build directory holds a server; returns the reason when it does not. */
export function tskvBuildProblem(dist: string): string | undefined {
  const server = path.join(path.resolve(ROOT, dist), "cli", "tskv-server.js");
  return fs.existsSync(server) ? undefined : `${server} missing (npm run build:ts, or build that commit into it)`;
}

/** redis-server 7 with an append-only file synced `sync`, no RDB snapshots; with `module`, loaded with --loadmodule. */
export function redisServer(name: string, sync: "everysec" | "always", module?: string): ServerSystem {
  return {
    name,
    kind: "redis",
    start: (port, dir, cpus) =>
      spawnPinned(cpus, "redis-server", [
        "--port", String(port), "--dir", dir, "--appendonly", "yes", "--appendfsync", sync, "--save", "",
        "--daemonize", "no", "--logfile", "", ...(module ? ["--loadmodule", module] : []),
      ]),
  };
}

export interface Running {
  port: number;
  pid: number | undefined;
  dir: string;
  /** The tail of the server's output (for an error message when it dies). */
  output(): string;
  close(): Promise<void>;
}

/** Starts a system on a free port and a fresh directory and waits until it listens. */
export async function launch(sys: ServerSystem, cpus: string | undefined): Promise<Running> {
  const port = await freePort();
  const dir = tmpDir("tskv-bench-");
  const child = sys.start(port, dir, cpus);
  let tail = "";
  // Both streams drained: a server blocked on a full pipe (redis-server logs to stdout here) would stall the run.
  const keep = (d: Buffer | string): void => {
    tail = (tail + d).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const close = async (): Promise<void> => {
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child);
  } catch (e) {
    await close();
    throw new Error(`${sys.name} did not start: ${(e as Error).message} ${tail.trim().slice(-500)}`);
  }
  return { port, pid: child.pid, dir, output: () => tail, close };
}

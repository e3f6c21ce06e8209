// Spawning the systems under test and the load generator, pinned to different CPUs when taskset exists.
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "binding.gyp"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("bench: cannot find the package root");
    dir = up;
  }
  return dir;
})();

export function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

const TASKSET = which("taskset");
const CPUS = os.cpus().length;

/** CPU sets: the server gets the first CPU, load generators the rest (when there are at least two). */
export function pinning(): { server?: string; client?: string; note: string } {
  if (!TASKSET) return { note: "taskset not found: server and load generator unpinned" };
  if (CPUS < 2) return { note: "one CPU: unpinned" };
  return { server: "0", client: CPUS > 2 ? `1-${CPUS - 1}` : "1", note: `server on CPU 0, load on CPU ${CPUS > 2 ? `1-${CPUS - 1}` : "1"}` };
}

/**
 * Spawns `cmd` on the given CPUs (taskset execs it, so the child's pid is the command's own). stdout and stderr are
 * pipes; stdin is ignored unless `stdin` says otherwise (a pipe to write, or an open file descriptor to read from).
 */
export function spawnPinned(
  cpus: string | undefined,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: "ignore" | "pipe" | number } = {},
): ChildProcess {
  const options = { stdio: [opts.stdin ?? "ignore", "pipe", "pipe"] as ["ignore" | "pipe" | number, "pipe", "pipe"], cwd: opts.cwd, env: opts.env };
  if (cpus && TASKSET) return spawn(TASKSET, ["-c", cpus, cmd, ...args], options);
  return spawn(cmd, args, options);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitForPort(port: number, child: ChildProcess, ms = 20000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`process exited early (${child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
  await exited;
  clearTimeout(timer);
}

/** Runs a command to completion and returns stdout (rejects with stderr on failure). */
export function run(cpus: string | undefined, cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnPinned(cpus, cmd, args);
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** VmRSS of a process from /proc/PID/status, in bytes (NaN where /proc is missing). */
export function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

// The tskv-server CLI as users run it, and the real Redis tools against it (skipped with a reason when absent).
import { execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { backends, startTestServer } from "../helpers/server";

const run = promisify(execFile);
const SERVER = path.resolve(__dirname, "../../dist/cli/tskv-server.js");
const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

const cli = fs.existsSync(SERVER) ? describe : describe.skip;
cli("tskv-server CLI", () => {
  it.each([
    [["--bogus"], /unknown option '--bogus'/],
    [["--port", "99999"], /not a port number/],
    [["--wal-sync", "sometimes"], /Allowed choices are always, everysec, no/],
    [["--memtable-size", "lots"], /is not a size/],
    [["--memtable-size", "5gb"], /more than the largest memtable \(4gb\)/],
  ])("a bad flag %j prints one line and exits 2", (args, message) => {
    const r = spawnSync(process.execPath, [SERVER, ...args], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("--version and --help exit 0", () => {
    const v = spawnSync(process.execPath, [SERVER, "--version"], { encoding: "utf8" });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = spawnSync(process.execPath, [SERVER, "--help"], { encoding: "utf8" });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain("--wal-sync <policy>");
  });

  it("reads a config file and exits 0 on SIGTERM after a clean close", async () => {
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "tskv-cli-"));
    const conf = path.join(dir, "tskv.conf");
    fs.writeFileSync(conf, `# test config\nport 0\ndir ${path.join(dir, "data")}\nlog-level info\n`);
    const child = spawn(process.execPath, [SERVER, "--config", conf], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const until = Date.now() + 10000;
    while (!err.includes("ready to accept connections") && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(err).toContain("ready to accept connections");
    expect(err).toMatch(/"version":"\d+\.\d+\.\d+".*"io":"(epoll|net)"/);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(dir, "data", "LOCK"))).toBe(false);
  });
});

const tools = has("redis-cli") && has("redis-benchmark") ? describe.each(backends) : describe.skip.each(backends);
if (!has("redis-cli") || !has("redis-benchmark")) console.log("redis-cli/redis-benchmark not installed (apt-get install redis-tools): tool tests skipped");

tools("redis tools on %s", (io) => {
  it("redis-cli talks to tskv", async () => {
    const t = await startTestServer({ io });
    try {
      const p = String(t.port);
      expect((await run("redis-cli", ["-p", p, "PING"])).stdout.trim()).toBe("PONG");
      expect((await run("redis-cli", ["-p", p, "SET", "greeting", "hello"])).stdout.trim()).toBe("OK");
      expect((await run("redis-cli", ["-p", p, "GET", "greeting"])).stdout.trim()).toBe("hello");
      expect((await run("redis-cli", ["-p", p, "INFO", "server"])).stdout).toContain(`io_backend:${io}`);
      expect((await run("redis-cli", ["-p", p, "--scan"])).stdout.trim()).toBe("greeting");
    } finally {
      await t.stop();
    }
  });

  it("redis-benchmark runs PING, SET and GET to completion", async () => {
    const t = await startTestServer({ io });
    try {
      const { stdout } = await run("redis-benchmark", ["-p", String(t.port), "-t", "ping,set,get", "-n", "2000", "-c", "10", "-P", "4", "-q"], { timeout: 60000 });
      for (const test of ["PING_INLINE", "PING_MBULK", "SET", "GET"]) expect(stdout).toMatch(new RegExp(`${test}: [\\d.]+ requests per second`));
      const dbsize = (await run("redis-cli", ["-p", String(t.port), "DBSIZE"])).stdout.trim();
      expect(Number(dbsize)).toBeGreaterThan(0);
    } finally {
      await t.stop();
    }
  });
});

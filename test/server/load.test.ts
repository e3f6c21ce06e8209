// Load at the edges: many concurrent connections, a client that never reads, a pipeline of 100 000 commands.
// Everything is answered or refused with a clear error, and the server's memory stays within its limits.
// LOAD_CONNS (default 10000) sets the connection count; the server runs as its own process so each side needs one
// descriptor per connection.
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import Redis from "ioredis";
import { freePort, SERVER_BIN as SERVER, spawnServer, tmpDir } from "../helpers/server";

const CONNS = Number(process.env.LOAD_CONNS ?? 10000);

async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = await spawnServer(["--port", String(port), "--dir", tmpDir("tskv-load-"), "--log-level", "warn", ...args], port);
  return { child, port };
}

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function softLimit(): number {
  try {
    return Number(/Max open files\s+(\d+)/.exec(fs.readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 1024);
  } catch {
    return 1024;
  }
}

const linux = process.platform === "linux" && fs.existsSync(SERVER);
const maybe = linux ? describe : describe.skip;
if (!linux) console.log("load tests skipped: need Linux and dist/ (npm test builds it)");

maybe("load at the edges", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  it(`serves ${CONNS} concurrent connections (or refuses the extra ones clearly)`, async () => {
    const n = Math.min(CONNS, softLimit() - 200);
    if (n < CONNS) console.log(`load: file descriptor limit allows ${n} of ${CONNS} connections here`);
    const s = await start(["--maxclients", String(n + 100)]);
    child = s.child;
    const before = rssOf(s.child.pid as number);
    const socks: net.Socket[] = [];
    let answered = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        new Promise<void>((resolve) => {
          const sock = net.connect(s.port, "127.0.0.1");
          socks.push(sock);
          let text = "";
          sock.on("connect", () => sock.write(`*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`));
          sock.on("data", (d) => {
            text += d.toString("latin1");
            if (text === `$${String(i).length}\r\n${i}\r\n`) {
              answered++;
              resolve();
            } else if (text.startsWith("-ERR max number of clients reached")) {
              refused++;
              resolve();
            }
          });
          sock.on("error", () => resolve());
        }),
      ),
    );
    const during = rssOf(s.child.pid as number);
    for (const sock of socks) sock.destroy();
    expect(answered + refused).toBe(n);
    expect(answered).toBe(n);
    // Per idle connection the server holds a few KiB, not buffers sized for the worst case.
    expect((during - before) / n).toBeLessThan(64 * 1024);
    console.log(`load: ${n} connections answered, server RSS +${Math.round((during - before) / 1024 / 1024)} MiB`);
  }, 120_000);

  it("a client that never reads is paced at the output soft limit; others are served meanwhile", async () => {
    const s = await start(["--output-buffer-soft-limit", "1mb", "--output-buffer-hard-limit", "64mb"]);
    child = s.child;
    const c = new Redis({ port: s.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => undefined);
    // Replies of 16 KiB: one turn's pipeline budget (1024 commands) of them stays below the 64 MiB hard limit, so
    // the client is paced (reading pauses at the soft limit) rather than dropped.
    await c.set("v", "x".repeat(16 * 1024));
    const before = rssOf(s.child.pid as number);
    const sock = net.connect(s.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    // 20 000 GETs of a 16 KiB value: 330 MB of replies if the server buffered them all.
    const one = "*2\r\n$3\r\nGET\r\n$1\r\nv\r\n";
    for (let i = 0; i < 20; i++) sock.write(one.repeat(1000));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    expect(await c.ping()).toBe("PONG");
    expect(Date.now() - t0).toBeLessThan(500);
    const list = String(await c.client("LIST"));
    const line = list.split("\n").find((l) => l.includes("cmd=get")) ?? "";
    const omem = Number(/omem=(\d+)/.exec(line)?.[1] ?? -1);
    // Reading from it paused near the soft limit: its output stays bounded (one read's worth of replies over).
    expect(omem).toBeGreaterThan(0);
    expect(omem).toBeLessThan(64 * 1024 * 1024);
    expect(rssOf(s.child.pid as number) - before).toBeLessThan(200 * 1024 * 1024);
    // When it reads, every reply arrives.
    let bytes = 0;
    const want = 20000 * ("$16384\r\n".length + 16384 + 2);
    const done = new Promise<void>((resolve) => sock.on("data", (d) => ((bytes += d.length) >= want ? resolve() : undefined)));
    sock.resume();
    await done;
    expect(bytes).toBe(want);
    sock.destroy();
    c.disconnect();
  }, 120_000);

  it("answers a pipeline of 100 000 commands in order", async () => {
    const s = await start([]);
    child = s.child;
    const sock = net.connect(s.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    const parts: string[] = [];
    for (let i = 0; i < 100_000; i++) parts.push("*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
    let text = "";
    const done = new Promise<void>((resolve) =>
      sock.on("data", (d) => {
        text += d.toString("latin1");
        if (text.endsWith(":100000\r\n")) resolve();
      }),
    );
    sock.write(parts.join(""));
    await done;
    const replies = text.split("\r\n").filter(Boolean);
    expect(replies).toHaveLength(100_000);
    expect(replies[0]).toBe(":1");
    expect(replies[99_999]).toBe(":100000");
    expect(replies.every((r, i) => r === `:${i + 1}`)).toBe(true);
    sock.destroy();
  }, 60_000);
});

// The server's own code without the kernel: a socket layer in-process hands the server C one-command connections a
// turn (redis-benchmark's shape at pipeline 1) and swallows the replies, so a SET's or GET's JavaScript cost can be
// measured apart from the TCP work that is most of the server's time under redis-benchmark. Keys are spread over
// KEYS like redis-benchmark -r, so the memtable's reads miss the cache as they do under load.
// Run: npm run build:ts && npm run build:bench && node dist-bench/bench/inproc-strings.js [set|get] [turns] [clients] [keys]
// It drives the build in dist/ (as the server suite runs dist/cli), so an old build can be measured from its own
// dist directory with TSKV_DIST=dist-old.
// Prints wall time and the process's user and system CPU per command over the measured turns (after warm-up turns).
// Before/after of a change: run both builds alternately, a few times each (the machine drifts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TskvServer as Server } from "../src/server/server";
import type { IoBackend, IoHandlers, ListenResult } from "../src/server/io/types";
import { ROOT } from "./lib/proc";

const DIST = path.join(ROOT, process.env.TSKV_DIST ?? "dist");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TskvServer } = require(path.join(DIST, "server/server.js")) as { TskvServer: typeof Server };

const test = process.argv[2] === "get" ? "get" : "set";
const turns = Number(process.argv[3] ?? 15000);
const clients = Number(process.argv[4] ?? 50);
const keys = Number(process.argv[5] ?? 100000);

/** A socket layer without sockets: the driver calls the handlers; writes are counted and dropped. */
class InProcessBackend implements IoBackend {
  readonly name = "epoll" as const;
  handlers: IoHandlers | undefined;
  bytesOut = 0;

  async listen(host: string, _port: number, handlers: IoHandlers): Promise<ListenResult> {
    this.handlers = handlers;
    return { host, port: 0 };
  }

  write(_id: number, chunks: Buffer[]): number {
    for (const c of chunks) this.bytesOut += c.length;
    return 0;
  }

  writeRuns(count: number, _ids: Int32Array, _bufs: Buffer[], bounds: Int32Array, pending: Float64Array): void {
    for (let i = 0; i < count; i++) {
      this.bytesOut += bounds[2 * i + 1] - bounds[2 * i];
      pending[i] = 0;
    }
  }

  pendingBytes(): number {
    return 0;
  }
  pause(): void {}
  resume(): void {}
  close(): void {}
  async stopListening(): Promise<void> {}
  async destroy(): Promise<void> {}
}

const value = "x".repeat(100);
function request(kind: "set" | "get", k: number): string {
  const key = `key:${String(k).padStart(12, "0")}`;
  return kind === "set" ? `*3\r\n$3\r\nSET\r\n$16\r\n${key}\r\n$100\r\n${value}\r\n` : `*2\r\n$3\r\nGET\r\n$16\r\n${key}\r\n`;
}

/** Requests laid out in one buffer, each a [offset, length] into it. */
function requests(kind: "set" | "get", count: number, keyOf: (i: number) => number): { bytes: Buffer; at: Int32Array } {
  const parts: string[] = [];
  const at = new Int32Array(2 * count);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const r = request(kind, keyOf(i));
    parts.push(r);
    at[2 * i] = off;
    at[2 * i + 1] = r.length;
    off += r.length;
  }
  return { bytes: Buffer.from(parts.join(""), "latin1"), at };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-inproc-"));
  const backend = new InProcessBackend();
  // Builds from before StartOptions.backend (measured as the "before" of a change) take it through their module's
  // export instead, which their server looks up when it listens.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const io = require(path.join(DIST, "server/io/index.js")) as { createIoBackend: () => IoBackend };
  io.createIoBackend = () => backend;
  const server = await TskvServer.start({ port: 0, dir, logLevel: "warn" }, { backend });
  try {
    await run(backend);
  } finally {
    await server.stop("bench done");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run(backend: InProcessBackend): Promise<void> {
  if (!backend.handlers) throw new Error("the server did not take the in-process socket layer (is dist/ built from this source?)");
  const h = backend.handlers;
  for (let id = 1; id <= clients; id++) h.onOpen(id, "127.0.0.1", 10000 + id);
  // Each connection is handed its request as a view of the requests' buffer, as the reactor hands out views of its
  // read arena.
  async function drive(reqs: { bytes: Buffer; at: Int32Array }, n: number): Promise<void> {
    const count = reqs.at.length >> 1;
    let r = 0;
    for (let t = 0; t < n; t++) {
      for (let id = 1; id <= clients; id++) {
        const i = r++ % count;
        h.onData(id, reqs.bytes.subarray(reqs.at[2 * i], reqs.at[2 * i] + reqs.at[2 * i + 1]));
      }
      h.onTurnEnd();
      // Let timers and immediates run now and then, as the event loop would between turns.
      if ((t & 15) === 15) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (test === "get") await drive(requests("set", keys, (i) => i), Math.ceil(keys / clients));
  const measured = requests(test, 1 << 18, () => Math.floor(Math.random() * keys));
  await drive(measured, Math.min(2000, turns));
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await drive(measured, turns);
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(c0);
  const n = turns * clients;
  console.log(
    `${test.toUpperCase()} in-process, ${clients} connections a turn, ${keys} keys: ${(wall / n).toFixed(0)} ns a command ` +
      `(user ${((cpu.user * 1000) / n).toFixed(0)} ns, system ${((cpu.system * 1000) / n).toFixed(0)} ns); ${backend.bytesOut} reply bytes`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

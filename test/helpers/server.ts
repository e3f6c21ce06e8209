// Starts an in-process tskv server on a free port in a temp directory, with helpers to talk to it.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import Redis from "ioredis";
import { TskvServer } from "../../src/server/server";
import type { ServerConfig } from "../../src/server/context";
import { createLogger } from "../../src/server/logger";
import { epollAvailable } from "../../src/server/io";

export interface TestServer {
  server: TskvServer;
  port: number;
  dir: string;
  client(opts?: Record<string, unknown>): Redis;
  /** Sends raw bytes, returns everything received until `done` says the reply is complete (or the peer closes). */
  raw(payload: string | Buffer, done?: (s: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
  restart(overrides?: Partial<ServerConfig>): Promise<void>;
}

export const backends: Array<"epoll" | "net"> = epollAvailable() ? ["epoll", "net"] : ["net"];
if (!epollAvailable()) console.log("epoll backend not available in this build: tests run on the net backend only");

export function tmpDir(prefix = "tskv-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** TSKV_TEST_LOG=info (or debug) shows the in-process server's log while a test runs; silent by default. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = overrides.dir ?? tmpDir();
  const clients: Redis[] = [];
  const log = createLogger((process.env.TSKV_TEST_LOG as "info") ?? "silent");
  let server = await TskvServer.start({ port: 0, logLevel: (process.env.TSKV_TEST_LOG as "info") ?? "silent", io: backends[0], ...overrides, dir }, { log });
  const t: TestServer = {
    server,
    port: server.address.port,
    dir,
    client(opts = {}) {
      const c = new Redis({ port: t.port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null, ...opts });
      c.on("error", () => undefined);
      clients.push(c);
      return c;
    },
    raw(payload, done = (s) => s.endsWith("\r\n"), timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const sock = net.connect(t.port, "127.0.0.1");
        let text = "";
        const finish = (): void => {
          clearTimeout(timer);
          sock.destroy();
          resolve(text);
        };
        const timer = setTimeout(() => {
          sock.destroy();
          reject(new Error(`raw: timed out; got ${JSON.stringify(text)}`));
        }, timeoutMs);
        sock.on("connect", () => sock.write(payload));
        sock.on("data", (d) => {
          text += d.toString("latin1");
          if (done(text)) finish();
        });
        sock.on("close", finish);
        sock.on("error", () => undefined);
      });
    },
    async stop() {
      await Promise.all(clients.map((c) => (c.status === "ready" ? c.quit().then(() => undefined, () => c.disconnect()) : c.disconnect())));
      clients.length = 0;
      await server.stop();
    },
    async restart(more = {}) {
      await t.stop();
      server = await TskvServer.start({ port: 0, logLevel: (process.env.TSKV_TEST_LOG as "info") ?? "silent", io: backends[0], ...overrides, ...more, dir }, { log });
      t.server = server;
      t.port = server.address.port;
    },
  };
  return t;
}

/** A reply of the form "$<n>\r\n<n bytes>\r\n" is complete. */
export function bulkComplete(s: string): boolean {
  const m = /^\$(\d+)\r\n/.exec(s);
  return m !== null && s.length >= m[0].length + Number(m[1]) + 2;
}

/** The built server (npm test builds dist/ first); tests that run it as its own process skip without it. */
export const SERVER_BIN = path.resolve(__dirname, "../../dist/cli/tskv-server.js");

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Starts dist/cli/tskv-server.js as its own process with `args` (which must include `--port port`) and resolves once
 * it accepts connections; throws with its stderr if it exits or does not listen within 15 s.
 */
export async function spawnServer(args: string[], port: number, onStderr?: (text: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d) => {
    err += d;
    onStderr?.(String(d));
  });
  const until = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > until) {
      child.kill("SIGKILL"); // not left running behind the failed test
      throw new Error(`server did not listen within 15 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
}

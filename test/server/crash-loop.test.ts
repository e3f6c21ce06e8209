// Crash loop: a server under --wal-sync always, pipelined writers, kill -9 at a random instant, restart, and every
// acknowledged write must be there with its value. ROUNDS (default 10) sets the number of rounds; scripts/crash-loop.sh
// runs long loops.
import { spawnSync, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import { freePort, SERVER_BIN as SERVER, spawnServer, tmpDir } from "../helpers/server";

const ROOT = path.resolve(__dirname, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 10);
// A small memtable, so flushes, compactions and manifest installs are under way when the kill lands.
const MEMTABLE = process.env.CRASH_MEMTABLE ?? "128kb";

function startServer(dir: string, port: number): Promise<ChildProcess> {
  return spawnServer(["--port", String(port), "--dir", dir, "--wal-sync", "always", "--io", "net", "--log-level", "warn", "--memtable-size", MEMTABLE], port);
}

/**
 * Reads back acknowledged keys; returns how many are missing or wrong. Each restart checks the keys acknowledged
 * since the last one (keys are written once, so earlier ones cannot change); the end checks every key.
 */
async function verify(port: number, acked: Map<string, string>): Promise<number> {
  const check = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  check.on("error", () => undefined);
  let bad = 0;
  const keys = [...acked.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const values = await check.mget(...slice);
    slice.forEach((k, j) => {
      if (values[j] !== acked.get(k)) bad++;
    });
  }
  check.disconnect();
  return bad;
}

const maybe = fs.existsSync(SERVER) ? describe : describe.skip;
if (!fs.existsSync(SERVER)) console.log("crash loop skipped: dist/cli/tskv-server.js missing (npm test builds it first)");

maybe("crash loop under --wal-sync always", () => {
  it(`keeps every acknowledged write across ${ROUNDS} kill -9 rounds`, async () => {
    const dir = tmpDir("tskv-crash-");
    const acked = new Map<string, string>();
    const fresh = new Map<string, string>();
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const port = await freePort();
      const child = await startServer(dir, port);
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      // Check everything acknowledged so far, including MSET batches, before writing more.
      lost += await verify(port, fresh);
      expect(lost).toBe(0);
      for (const [k, v] of fresh) acked.set(k, v);
      fresh.clear();
      // Writers: several pipelined clients, each SET and MSET; a write counts once its reply arrived.
      let stop = false;
      const writers = Array.from({ length: 4 }, (_, w) =>
        (async () => {
          const c = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
          c.on("error", () => undefined);
          // A kill can come before the connection is ready: then "end" comes instead, and the writer stops.
          await new Promise((r) => {
            c.once("ready", r);
            c.once("end", r);
          });
          if (c.status !== "ready") return; // killed before it connected: nothing to write
          let i = 0;
          while (!stop) {
            const batch: Array<Promise<void>> = [];
            for (let j = 0; j < 20; j++, i++) {
              const k = `r${round}:w${w}:${i}`;
              const v = `${k}:${"x".repeat(i % 50)}`;
              if (j % 5 === 0) {
                const k2 = `${k}:m`;
                batch.push(c.mset(k, v, k2, v).then(() => (fresh.set(k, v), fresh.set(k2, v), undefined), () => undefined));
              } else {
                batch.push(c.set(k, v).then(() => (fresh.set(k, v), undefined), () => undefined));
              }
            }
            await Promise.all(batch);
          }
          c.disconnect();
        })().catch(() => undefined),
      );
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
      child.kill("SIGKILL");
      stop = true;
      await exited;
      await Promise.all(writers);
    }
    // A last restart to verify the final round's writes.
    const port = await freePort();
    const child = await startServer(dir, port);
    for (const [k, v] of fresh) acked.set(k, v);
    lost += await verify(port, acked);
    const info = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    info.on("error", () => undefined);
    const storage = String(await info.info("storage"));
    info.disconnect();
    child.kill("SIGKILL");
    await new Promise<void>((r) => child.once("exit", () => r()));
    // The directory a kill -9 left behind passes the offline check too.
    const check = spawnSync(process.execPath, [path.join(ROOT, "dist/cli/tskv-check.js"), "-q", dir], { encoding: "utf8" });
    expect(check.stdout).not.toContain("FAULT");
    expect(check.status).toBe(0);
    const tables = /sstable_files:(\d+)/.exec(storage)?.[1];
    expect(acked.size).toBeGreaterThan(ROUNDS * 10);
    expect(lost).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`crash loop: ${ROUNDS} rounds, ${acked.size} acknowledged writes checked, ${lost} lost; ${tables} tables at the end (memtable ${MEMTABLE})`);
  }, 30_000 + ROUNDS * 5000);
});

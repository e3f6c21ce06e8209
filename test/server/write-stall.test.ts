// Write commands during a write stall: while flushes are behind, writes are applied but their replies wait; once the
// memtable reaches twice its size, a write command waits before it runs (its client paused) instead of failing, and
// runs, in order, when a flush or compaction makes room. Admin commands are not held: they are what ends a stall.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { open } from "../../src/engine/engine";
import { TskvServer } from "../../src/server/server";

it("holds write commands at the memtable's hard limit and runs them all once a compaction ends the stall", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-stall-"));
  // One level-0 table stops writes (l0Stop 1) and nothing compacts it by itself (l0Trigger 100): a stall that lasts
  // until TSKV.COMPACT.
  const engine = await open(dir, { memtableSize: 64 * 1024, l0Trigger: 100, l0Stop: 1 });
  const server = await TskvServer.start({ port: 0, dir, logLevel: "silent", io: "net" }, { engine });
  const c = new Redis({ port: server.address.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const admin = new Redis({ port: server.address.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    await c.set("first", "1");
    expect(await admin.call("TSKV.FLUSH")).toBe("OK");
    expect(await admin.info("storage")).toMatch(/write_stalled:1/);
    // 3000 SETs of 100 bytes (≈ 1.8 MB of memtable heap, 14 times the hard limit) in one pipeline.
    const p = c.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`k${i}`, `v${i}`.padEnd(100, "x"));
    let settled = false;
    const done = p.exec().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    expect(Number(/client_stall_pauses:(\d+)/.exec(await admin.info("stats"))?.[1])).toBeGreaterThan(0);
    // A compaction empties level 0: writes resume until the next flush stops them again (l0Stop 1), so compact until
    // the pipeline is through. Every held SET runs and answers OK.
    for (let round = 0; !settled && round < 200; round++) {
      expect(await admin.call("TSKV.COMPACT")).toBe("OK");
      await new Promise((r) => setTimeout(r, 20));
    }
    const results = (await done) as Array<[Error | null, unknown]>;
    expect(results.filter(([err, r]) => err !== null || r !== "OK")).toEqual([]);
    expect(await admin.dbsize()).toBe(3001);
    expect(await admin.get("k2999")).toBe("v2999".padEnd(100, "x"));
  } finally {
    c.disconnect();
    admin.disconnect();
    await server.stop();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

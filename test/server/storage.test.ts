// The LSM through the server: data several times the memtable survives restarts; TSKV.FLUSH, TSKV.COMPACT and
// TSKV.STATS; INFO storage and the storage metrics; tskv-check over the resulting directory.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startTestServer, TestServer } from "../helpers/server";

const CHECK = path.join(__dirname, "..", "..", "dist", "cli", "tskv-check.js");

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r?$`, "m").exec(info)?.[1];
}

describe("storage through the server", () => {
  let t: TestServer;
  afterEach(async () => t?.stop());

  it("keeps data several times the memtable across restarts, and TSKV.* report and reshape it", async () => {
    t = await startTestServer({ memtableSize: 128 * 1024 });
    const c = t.client();
    const n = 6000;
    const value = (i: number): string => `value-${i}-`.padEnd(100, String.fromCharCode(97 + (i % 26)));
    for (let i = 0; i < n; i += 500) {
      const p = c.pipeline();
      for (let j = i; j < i + 500; j++) p.set(`key:${j}`, value(j));
      await p.exec();
    }
    await c.del("key:7", "key:8");
    expect(await c.call("TSKV.FLUSH")).toBe("OK");
    const info = (await c.info("storage")) as string;
    expect(Number(infoField(info, "flushes"))).toBeGreaterThan(3);
    expect(Number(infoField(info, "sstable_files"))).toBeGreaterThan(0);
    expect(Number(infoField(info, "memtable_bytes"))).toBe(0);
    // Bytes written (WAL + tables) per byte of user data, counted since the server started.
    expect(Number(infoField(info, "write_amplification"))).toBeGreaterThan(1);

    await t.restart();
    const c2 = t.client();
    expect(await c2.dbsize()).toBe(n - 2);
    expect(await c2.get("key:5999")).toBe(value(5999));
    expect(await c2.get("key:7")).toBeNull();
    const keys = await c2.keys("key:1*");
    expect(keys.length).toBe(1 + 10 + 100 + 1000);

    expect(await c2.call("TSKV.COMPACT")).toBe("OK");
    const stats = (await c2.call("TSKV.STATS")) as unknown[];
    const map = new Map<string, unknown>();
    for (let i = 0; i < stats.length; i += 2) map.set(stats[i] as string, stats[i + 1]);
    expect((map.get("levels") as unknown[]).length).toBe(1);
    expect(Number(map.get("files"))).toBeGreaterThan(0);
    const bytes = Number(map.get("bytes"));
    // Compacted tables hold the live data with little overhead: 5998 × (≈110 B key+value).
    expect(bytes).toBeLessThan(1.3 * (n - 2) * 118);
    for (let i = 0; i < n; i += 97) expect(await c2.get(`key:${i}`)).toBe(i === 7 || i === 8 ? null : value(i));

    await t.stop();
    const out = execFileSync(process.execPath, [CHECK, t.dir], { encoding: "utf8" });
    expect(out).toMatch(/: ok \(\d+ warnings\)\n$/);
    const sst = fs.readdirSync(t.dir).find((f) => f.endsWith(".sst")) as string;
    const file = path.join(t.dir, sst);
    const data = fs.readFileSync(file);
    data[200] ^= 1;
    fs.writeFileSync(file, data);
    let status = 0;
    let report = "";
    try {
      execFileSync(process.execPath, [CHECK, t.dir], { encoding: "utf8" });
    } catch (e) {
      status = (e as { status: number }).status;
      report = (e as { stdout: string }).stdout;
    }
    expect(status).toBe(1);
    expect(report).toContain(`FAULT: L`);
    expect(report).toContain(`corruption in ${sst} at offset`);
    // A damaged table refuses the start rather than serving wrong data.
    await expect(t.restart()).rejects.toThrow(new RegExp(`corruption in ${sst}`));
    fs.rmSync(t.dir, { recursive: true, force: true });
    t = undefined as unknown as TestServer;
  });

  it("reclaims a deleted series' chunks: DEL is one small write, the reaper and TSKV.COMPACT remove the rest", async () => {
    t = await startTestServer({ memtableSize: 256 * 1024 });
    const c = t.client();
    await c.call("TS.CREATE", "big");
    for (let i = 0; i < 50; i++) {
      const args: Array<string | number> = [];
      for (let j = 0; j < 2000; j++) args.push("big", (i * 2000 + j) * 1000, ((i * 7 + j) % 100) / 10);
      expect(await c.call("TS.MADD", ...args)).toHaveLength(2000);
    }
    await c.call("TS.ADD", "small", 1, 1);
    expect(await c.call("TSKV.FLUSH")).toBe("OK");
    const bytesOf = async (): Promise<number> => {
      const s = (await c.call("TSKV.STATS")) as unknown[];
      return Number(s[s.indexOf("bytes") + 1]);
    };
    const before = await bytesOf();
    const writesBefore = t.server.engine.counters.walAppends;
    expect(await c.del("big")).toBe(1);
    // One small batch for the DEL itself; chunk deletes follow in the background.
    expect(t.server.engine.counters.walAppends - writesBefore).toBeLessThanOrEqual(2);
    // Chunks of a series that vanished in a crash before its reaper ran: TSKV.COMPACT finds them.
    const orphan = Buffer.alloc(17);
    orphan[0] = 0x63;
    orphan.writeUInt32BE(777, 5);
    t.server.engine.apply([{ type: "put", key: orphan, value: Buffer.alloc(300) }]);
    expect(await c.call("TSKV.COMPACT")).toBe("OK");
    const after = await bytesOf();
    expect(after).toBeLessThan(before / 20);
    const chunks = [...t.server.engine.iterate({ gte: Buffer.from([0x63]), lt: Buffer.from([0x64]) })];
    // Only the remaining series' chunk (and its delta entries, folded by TSKV.COMPACT) is left.
    expect(await c.call("TS.RANGE", "small", "-", "+")).toEqual([[1, "1"]]);
    expect(chunks.length).toBe(1);
    expect(await c.call("TS.RANGE", "small", "-", "+")).toEqual([[1, "1"]]);
  });

  it("exports the WAL fsync latency histogram, one observation per fdatasync replies waited for", async () => {
    t = await startTestServer({ walSync: "always" });
    const c = t.client();
    for (let i = 0; i < 20; i++) await c.set(`k${i}`, "v");
    const text = t.server.prometheus();
    const count = Number(/^tskv_wal_fsync_duration_seconds_count (\d+)$/m.exec(text)?.[1]);
    // Sequential acknowledged writes under always: each waited for its own sync.
    expect(count).toBeGreaterThanOrEqual(20);
    expect(count).toBe(t.server.engine.counters.walSyncs);
    expect(text).toMatch(new RegExp(`^tskv_wal_fsync_duration_seconds_bucket\\{le="\\+Inf"\\} ${count}$`, "m"));
    expect(text).toMatch(/^# TYPE tskv_wal_fsync_duration_seconds histogram$/m);
    const buckets = [...text.matchAll(/^tskv_wal_fsync_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]);
  });

  it("exports storage metrics per level", async () => {
    t = await startTestServer({ memtableSize: 64 * 1024 });
    const c = t.client();
    const p = c.pipeline();
    for (let j = 0; j < 2000; j++) p.set(`k${j}`, "x".repeat(80));
    await p.exec();
    await c.call("TSKV.FLUSH");
    const text = t.server.prometheus();
    expect(text).toMatch(/^tskv_flushes_total [1-9]\d*$/m);
    expect(text).toMatch(/^tskv_sstable_files\{level="0"\} [1-9]\d*$/m);
    expect(text).toMatch(/^# TYPE tskv_sstable_bytes gauge$/m);
    expect(text).toMatch(/^tskv_write_stalled 0$/m);
  });
});

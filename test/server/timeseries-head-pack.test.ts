// Heads packed by the sweep (--series-head-memory): a server whose bound is 0 packs every head between commands, so
// every command finds its series packed and unpacks it. Its replies must be exactly those of a server that never
// packs, for random writes (in order, out of order, duplicates under each policy, deletes of ranges, INCRBY,
// retention changes, compaction rules) and reads (GET, RANGE, REVRANGE, aggregations, MGET, MRANGE, INFO), and
// after a restart. INFO memory shows the bound, the arrays' bytes and the packed heads.
import fc from "fast-check";
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";

type Cmd = Array<string | number>;

const key = fc.constantFrom("a", "b", "c");
const ts = fc.integer({ min: 1, max: 400 });
const val = fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => String(v)), fc.constantFrom("1.5", "-0", "1e300"));
const policy = fc.constantFrom("LAST", "FIRST", "MIN", "MAX", "SUM", "BLOCK");
const write: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, ts, val, policy).map(([k, t, v, p]) => ["TS.ADD", k, t, v, "ON_DUPLICATE", p, "LABELS", "grp", k === "c" ? "y" : "x"]) },
  { weight: 2, arbitrary: fc.array(fc.tuple(key, ts, val), { minLength: 1, maxLength: 6 }).map((s) => ["TS.MADD", ...s.flat()]) },
  { weight: 1, arbitrary: fc.tuple(key, ts, ts).map(([k, x, y]) => ["TS.DEL", k, Math.min(x, y), Math.max(x, y)]) },
  { weight: 1, arbitrary: fc.tuple(key, ts).map(([k, t]) => ["TS.INCRBY", k, "2.5", "TIMESTAMP", t]) },
  { weight: 1, arbitrary: fc.tuple(key, fc.constantFrom(0, 50, 200)).map(([k, r]) => ["TS.ALTER", k, "RETENTION", r]) },
  { weight: 1, arbitrary: fc.constant<Cmd>(["TS.CREATERULE", "a", "r", "AGGREGATION", "avg", 50]) },
);
const read: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(key).map(([k]) => ["TS.GET", k]),
  fc.tuple(key, ts, ts).map(([k, x, y]) => ["TS.RANGE", k, Math.min(x, y), Math.max(x, y)]),
  fc.tuple(key).map(([k]) => ["TS.REVRANGE", k, "-", "+", "COUNT", 7]),
  fc.tuple(key, fc.constantFrom("avg", "sum", "min", "max", "count", "first", "last", "std.s", "twa")).map(([k, a]) => ["TS.RANGE", k, "-", "+", "AGGREGATION", a, 30]),
  fc.constant<Cmd>(["TS.MGET", "FILTER", "grp=(x,y)"]),
  fc.constant<Cmd>(["TS.MRANGE", "-", "+", "AGGREGATION", "max", 40, "FILTER", "grp=x"]),
  fc.constant<Cmd>(["TS.RANGE", "r", "-", "+"]),
  fc.tuple(key).map(([k]) => ["TS.INFO", k]),
);

async function reply(c: Redis, cmd: Cmd): Promise<unknown> {
  try {
    return await c.call(String(cmd[0]), ...cmd.slice(1).map(String));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** TS.INFO without what legitimately differs between the two servers' runs (memory use). */
function comparable(cmd: Cmd, r: unknown): unknown {
  if (cmd[0] !== "TS.INFO" || !Array.isArray(r)) return r;
  const out: unknown[] = [];
  for (let i = 0; i < r.length; i += 2) if (r[i] !== "memoryUsage") out.push(r[i], r[i + 1]);
  return out;
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, "m").exec(info);
  return m ? Number(m[1]) : NaN;
}

describe("series heads packed between commands", () => {
  let packing: TestServer;
  let plain: TestServer;
  let p: Redis;
  let q: Redis;
  beforeAll(async () => {
    packing = await startTestServer({ walSync: "no", seriesHeadMemory: 0, seriesHeadPackMin: 0 });
    plain = await startTestServer({ walSync: "no" });
    p = packing.client({ protocol: 2 });
    q = plain.client({ protocol: 2 });
  });
  afterAll(async () => {
    await packing.stop();
    await plain.stop();
  });

  it("answers every command as a server that never packs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 3, arbitrary: write }, { weight: 2, arbitrary: read }), { minLength: 5, maxLength: 60 }), async (cmds) => {
        await p.flushall();
        await q.flushall();
        for (const cmd of cmds) {
          const [a, b] = await Promise.all([reply(p, cmd), reply(q, cmd)]);
          expect({ cmd, reply: comparable(cmd, a) }).toEqual({ cmd, reply: comparable(cmd, b) });
          // A loop turn for the sweep.
          await new Promise((r) => setImmediate(r));
        }
      }),
      { numRuns: 80 },
    );
  }, 180_000);

  it("packs idle heads, reads their last point without unpacking, and counts them in INFO memory", async () => {
    await p.flushall();
    for (let k = 0; k < 50; k++) await p.call("TS.CREATE", `s${k}`, "LABELS", "all", "1");
    for (let k = 0; k < 50; k++) await p.call("TS.MADD", ...Array.from({ length: 100 }, (_, i) => [`s${k}`, 1000 + i * 10, (i * 0.5).toFixed(1)]).flat().map(String));
    await new Promise((r) => setTimeout(r, 50));
    let info = (await p.info("memory")) as string;
    expect(infoField(info, "tskv_series_heads_packed")).toBe(50);
    expect(infoField(info, "tskv_series_head_bytes")).toBe(0);
    expect(infoField(info, "tskv_series_head_memory")).toBe(0);
    // The last points come from the packed heads.
    const got = (await p.call("TS.MGET", "FILTER", "all=1")) as Array<[string, unknown, [number, string]]>;
    expect(got.length).toBe(50);
    for (const [, , sample] of got) expect(sample).toEqual([1990, "49.5"]);
    info = (await p.info("memory")) as string;
    expect(infoField(info, "tskv_series_heads_packed")).toBe(50);
    // A range unpacks one; the sweep packs it again.
    expect(((await p.call("TS.RANGE", "s7", "-", "+")) as unknown[]).length).toBe(100);
    await new Promise((r) => setTimeout(r, 50));
    info = (await p.info("memory")) as string;
    expect(infoField(info, "tskv_series_heads_packed")).toBe(50);
    // Deleted heads leave the counts.
    await p.del("s1", "s2");
    info = (await p.info("memory")) as string;
    expect(infoField(info, "tskv_series_heads_packed")).toBe(48);
  });

  it("keeps every point across a restart of the packing server", async () => {
    await p.flushall();
    const want: Array<[number, string]> = [];
    await p.call("TS.CREATE", "k", "DUPLICATE_POLICY", "LAST");
    for (let i = 0; i < 300; i++) {
      await p.call("TS.ADD", "k", String(1 + ((i * 37) % 300)), String(i));
    }
    const before = await p.call("TS.RANGE", "k", "-", "+");
    for (const [t, v] of before as Array<[number, string]>) want.push([t, v]);
    await packing.restart();
    p = packing.client({ protocol: 2 });
    expect(await p.call("TS.RANGE", "k", "-", "+")).toEqual(want);
  });
});

describe("heads too small to pack", () => {
  it("stay unpacked on the default settings, and a bound full of them leaves the sweep idle", async () => {
    // 1 000 heads of 2 points (8 points' room, 128 bytes each) against a bound of 16 kB, beside 10 heads of 100 points.
    const t = await startTestServer({ walSync: "no", seriesHeadMemory: 16 * 1024 });
    try {
      const c = t.client({ protocol: 2 });
      const pl = c.pipeline();
      for (let k = 0; k < 1000; k++) pl.call("TS.ADD", `small${k}`, "1", "1").call("TS.ADD", `small${k}`, "2", "2");
      for (let k = 0; k < 10; k++) pl.call("TS.CREATE", `big${k}`).call("TS.MADD", ...Array.from({ length: 100 }, (_, i) => [`big${k}`, 1000 + i, i]).flat().map(String));
      for (const [e] of (await pl.exec()) ?? []) expect(e).toBeNull();
      await new Promise((r) => setTimeout(r, 100));
      const info = (await c.info("memory")) as string;
      // Only the big heads are packed; the small ones would cost as much packed.
      expect(infoField(info, "tskv_series_heads_packed")).toBe(10);
      expect(infoField(info, "tskv_series_head_bytes")).toBe(1000 * 128);
      // The sweep gave up on the small heads: the server's loop stays idle (a sweep walking them would keep it busy).
      const cpu0 = process.cpuUsage();
      const wall0 = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const used = process.cpuUsage(cpu0);
      expect((used.user + used.system) / 1000).toBeLessThan((Date.now() - wall0) * 0.5);
      // Their points are all there.
      expect(await c.call("TS.RANGE", "small999", "-", "+")).toEqual([[1, "1"], [2, "2"]]);
      expect(((await c.call("TS.RANGE", "big3", "-", "+")) as unknown[]).length).toBe(100);
    } finally {
      await t.stop();
    }
  });
});

describe("a clean stop leaves nothing to replay", () => {
  it.each([
    ["persists heads and the memtable", true],
    ["replays the WAL notes (persistOnStop off)", false],
  ])("%s", async (_name, persist) => {
    const t = await startTestServer({ walSync: "no", persistOnStop: persist });
    try {
      let c = t.client({ protocol: 2 });
      for (let k = 0; k < 200; k++) await c.call("TS.CREATE", `s${k}`, "LABELS", "all", "1");
      for (let k = 0; k < 200; k++) await c.call("TS.MADD", ...Array.from({ length: 20 }, (_, i) => [`s${k}`, 1000 + i, k + i]).flat().map(String));
      const before = await c.call("TS.MRANGE", "-", "+", "FILTER", "all=1");
      await t.restart();
      c = t.client({ protocol: 2 });
      const info = (await c.info("memory")) as string;
      // After a clean stop the start loaded no head (no WAL note to replay); with the replay, every written head.
      expect(infoField(info, "tskv_series_heads")).toBe(persist ? 0 : 200);
      expect(await c.call("TS.MRANGE", "-", "+", "FILTER", "all=1")).toEqual(before);
      expect(await c.call("TS.GET", "s199")).toEqual([1019, "218"]);
    } finally {
      await t.stop();
    }
  });
});

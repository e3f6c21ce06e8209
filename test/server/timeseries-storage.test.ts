// Time series storage through the server: chunks, out-of-order writes and duplicate policies across chunk
// boundaries (checked against a model), retention, TS.DEL, compaction rules, DEL / RENAME / EXPIRE of a series,
// and restarts on the same directory.
import Redis from "ioredis";
import type { Keyspace } from "../../src/model/keyspace";
import { SeriesStore } from "../../src/model/series/series";
import { startTestServer, TestServer } from "../helpers/server";

let t: TestServer;
let c: Redis;

beforeAll(async () => {
  t = await startTestServer({ walSync: "always" });
  c = t.client({ protocol: 2 });
});
afterAll(async () => {
  await t.stop();
});
beforeEach(async () => {
  await c.flushall();
});

const call = (...args: Array<string | number>): Promise<unknown> => c.call(String(args[0]), ...args.slice(1).map(String));

async function err(...args: Array<string | number>): Promise<string> {
  try {
    await call(...args);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`no error from ${args.join(" ")}`);
}

async function info(key: string): Promise<Record<string, unknown>> {
  const a = (await call("TS.INFO", key)) as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < a.length; i += 2) o[a[i] as string] = a[i + 1];
  return o;
}

async function range(key: string, from: string | number = "-", to: string | number = "+"): Promise<Array<[number, number]>> {
  const r = (await call("TS.RANGE", key, from, to)) as Array<[number, string]>;
  return r.map(([ts, v]) => [ts, Number(v)]);
}

/** A deterministic random source, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

type Policy = "block" | "first" | "last" | "min" | "max" | "sum";

/** What RedisTimeSeries keeps for each timestamp. */
class Model {
  readonly points = new Map<number, number>();
  add(ts: number, v: number, policy: Policy): boolean {
    const old = this.points.get(ts);
    if (old === undefined) {
      this.points.set(ts, v);
      return true;
    }
    switch (policy) {
      case "block":
        return false;
      case "first":
        return true;
      case "last":
        this.points.set(ts, v);
        return true;
      case "min":
        this.points.set(ts, Math.min(old, v));
        return true;
      case "max":
        this.points.set(ts, Math.max(old, v));
        return true;
      case "sum":
        this.points.set(ts, old + v);
        return true;
    }
  }
  del(from: number, to: number): number {
    let n = 0;
    for (const ts of [...this.points.keys()]) {
      if (ts >= from && ts <= to) {
        this.points.delete(ts);
        n++;
      }
    }
    return n;
  }
  range(from: number, to: number): Array<[number, number]> {
    return [...this.points.entries()].filter(([ts]) => ts >= from && ts <= to).sort((a, b) => a[0] - b[0]);
  }
}

describe("chunks", () => {
  it("appends fill chunks of CHUNK_SIZE / 16 points; ranges cross them in both directions", async () => {
    await call("TS.CREATE", "s", "CHUNK_SIZE", 256); // 16 points per chunk
    const args: Array<string | number> = [];
    for (let i = 0; i < 1000; i++) args.push("s", 1000 + i * 10, (i * 0.1).toFixed(1));
    await call("TS.MADD", ...args);
    const all = await range("s");
    expect(all).toHaveLength(1000);
    expect(all[0]).toEqual([1000, 0]);
    expect(all[999]).toEqual([10990, 99.9]);
    const i = await info("s");
    expect(i.totalSamples).toBe(1000);
    expect(i.chunkCount).toBe(63);
    expect(i.firstTimestamp).toBe(1000);
    expect(i.lastTimestamp).toBe(10990);
    expect(await range("s", 1155, 1345)).toEqual(all.slice(16, 35));
    const rev = (await call("TS.REVRANGE", "s", 1155, 1345)) as Array<[number, string]>;
    expect(rev.map(([ts]) => ts)).toEqual(all.slice(16, 35).map(([ts]) => ts).reverse());
    expect(((await call("TS.REVRANGE", "s", "-", "+", "COUNT", 3)) as unknown[]).length).toBe(3);
    const debug = (await call("TS.INFO", "s", "DEBUG")) as unknown[];
    const chunks = debug[debug.length - 1] as unknown[][];
    expect(chunks).toHaveLength(63);
    expect(chunks[0].slice(0, 6)).toEqual(["startTimestamp", 1000, "endTimestamp", 1150, "samples", 16]);
  });

  it("out-of-order writes and every duplicate policy, across chunk boundaries, match the model", async () => {
    const random = rng(7);
    const policies: Policy[] = ["block", "first", "last", "min", "max", "sum"];
    for (const seriesPolicy of policies) {
      const key = `ooo:${seriesPolicy}`;
      await call("TS.CREATE", key, "CHUNK_SIZE", 64, "DUPLICATE_POLICY", seriesPolicy); // 4 points per chunk
      const m = new Model();
      for (let i = 0; i < 400; i++) {
        const ts = Math.floor(random() * 300);
        const v = Math.floor(random() * 100) - 50;
        const override = random() < 0.3 ? policies[Math.floor(random() * policies.length)] : undefined;
        const policy = override ?? seriesPolicy;
        const ok = m.add(ts, v, policy);
        const args: Array<string | number> = ["TS.ADD", key, ts, v];
        if (override) args.push("ON_DUPLICATE", override);
        if (ok) expect(await call(...args)).toBe(ts);
        else expect(await err(...args)).toBe("ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode");
        if (random() < 0.05) {
          const from = Math.floor(random() * 300);
          const to = from + Math.floor(random() * 40);
          expect(await call("TS.DEL", key, from, to)).toBe(m.del(from, to));
        }
      }
      expect(await range(key)).toEqual(m.range(0, 1e9));
      for (let q = 0; q < 10; q++) {
        const from = Math.floor(random() * 300);
        const to = from + Math.floor(random() * 100);
        expect(await range(key, from, to)).toEqual(m.range(from, to));
        const rev = (await call("TS.REVRANGE", key, from, to)) as Array<[number, string]>;
        expect(rev.map(([ts, v]) => [ts, Number(v)])).toEqual(m.range(from, to).reverse());
      }
      const i = await info(key);
      expect(i.totalSamples).toBe(m.points.size);
      const last = m.range(0, 1e9).pop();
      expect(await call("TS.GET", key)).toEqual(last ? [last[0], String(last[1])] : []);
    }
  });

  it("a point older than every chunk lands in the first one", async () => {
    await call("TS.CREATE", "early", "CHUNK_SIZE", 48); // 3 points per chunk
    for (const ts of [100, 110, 120, 130, 140, 150, 160]) await call("TS.ADD", "early", ts, ts);
    await call("TS.ADD", "early", 5, 5);
    await call("TS.ADD", "early", 1, 1);
    expect((await range("early")).map(([ts]) => ts)).toEqual([1, 5, 100, 110, 120, 130, 140, 150, 160]);
    expect((await range("early", 0, 50)).map(([ts]) => ts)).toEqual([1, 5]);
    expect((await call("TS.REVRANGE", "early", 0, 105)) as unknown[]).toEqual([
      [100, "100"],
      [5, "5"],
      [1, "1"],
    ]);
    expect((await info("early")).firstTimestamp).toBe(1);
  });

  it("TS.DEL removes whole chunks and rewrites the ends", async () => {
    await call("TS.CREATE", "d", "CHUNK_SIZE", 160); // 10 points per chunk
    const args: Array<string | number> = [];
    for (let i = 0; i < 100; i++) args.push("d", i, i);
    await call("TS.MADD", ...args);
    expect((await info("d")).chunkCount).toBe(10);
    expect(await call("TS.DEL", "d", 15, 64)).toBe(50);
    expect((await info("d")).chunkCount).toBe(6);
    expect((await range("d")).map(([ts]) => ts)).toEqual([...Array(15).keys(), ...Array.from({ length: 35 }, (_, i) => 65 + i)]);
    // Deleting the tail: the newest remaining chunk becomes the one appends go to.
    expect(await call("TS.DEL", "d", 70, "+")).toBe(30);
    expect(await call("TS.GET", "d")).toEqual([69, "69"]);
    expect(await call("TS.ADD", "d", 69, 1, "ON_DUPLICATE", "sum")).toBe(69);
    expect(await call("TS.ADD", "d", 200, 200)).toBe(200);
    expect((await range("d", 60, "+")).map(([ts, v]) => `${ts}:${v}`)).toEqual(["65:65", "66:66", "67:67", "68:68", "69:70", "200:200"]);
    expect(await call("TS.DEL", "d", "-", "+")).toBe(21);
    expect(await call("TS.GET", "d")).toEqual([]);
    expect(await info("d")).toMatchObject({ totalSamples: 0, firstTimestamp: 0, lastTimestamp: 0, chunkCount: 1 });
    expect(await call("TS.ADD", "d", 5, 5)).toBe(5);
    expect(await range("d")).toEqual([[5, 5]]);
    expect(await call("TS.DEL", "d", 100, 200)).toBe(0);
  });
});

describe("retention", () => {
  it("hides old points at once, refuses adds older than retention, trims whole chunks", async () => {
    await call("TS.CREATE", "r", "RETENTION", 100, "CHUNK_SIZE", 80); // 5 points per chunk
    for (let ts = 0; ts <= 90; ts += 10) await call("TS.ADD", "r", ts, ts);
    expect((await range("r")).length).toBe(10);
    await call("TS.ADD", "r", 150, 150);
    // Visible: 150 - 100 = 50 and later.
    expect((await range("r")).map(([ts]) => ts)).toEqual([50, 60, 70, 80, 90, 150]);
    expect((await range("r", 0, 55)).map(([ts]) => ts)).toEqual([50]);
    expect(await err("TS.ADD", "r", 49, 1)).toBe("ERR TSDB: Timestamp is older than retention");
    expect(await call("TS.ADD", "r", 50, 1, "ON_DUPLICATE", "last")).toBe(50);
    const i = await info("r");
    expect(i.firstTimestamp).toBe(50);
    expect(i.totalSamples).toBe(6);
    // The chunk holding 0..40 went when the chunk of 150 started.
    expect(i.chunkCount).toBe(2);
    expect(await call("TS.GET", "r")).toEqual([150, "150"]);
  });

  it("the server's --retention is the default of auto-created series", async () => {
    await call("CONFIG", "SET", "retention", 1000);
    try {
      await call("TS.ADD", "auto", 5000, 1);
      await call("TS.INCRBY", "auto2", 1, "TIMESTAMP", 5);
      await call("TS.CREATE", "explicit", "RETENTION", 7);
      expect((await info("auto")).retentionTime).toBe(1000);
      expect((await info("auto2")).retentionTime).toBe(1000);
      expect((await info("explicit")).retentionTime).toBe(7);
      expect(await err("TS.ADD", "auto", 3999, 1)).toBe("ERR TSDB: Timestamp is older than retention");
    } finally {
      await call("CONFIG", "SET", "retention", 0);
    }
  });

  it("TS.ALTER RETENTION applies to reads at once", async () => {
    await call("TS.CREATE", "a", "CHUNK_SIZE", 48);
    for (let ts = 0; ts < 30; ts++) await call("TS.ADD", "a", ts, ts);
    await call("TS.ALTER", "a", "RETENTION", 5);
    expect((await range("a")).map(([ts]) => ts)).toEqual([24, 25, 26, 27, 28, 29]);
    expect((await info("a")).chunkCount).toBeLessThanOrEqual(3);
  });

  it("IGNORE skips samples close to the last one (DUPLICATE_POLICY LAST)", async () => {
    await call("TS.CREATE", "ig", "DUPLICATE_POLICY", "LAST", "IGNORE", 10, "1.5");
    expect(await call("TS.ADD", "ig", 100, 10)).toBe(100);
    expect(await call("TS.ADD", "ig", 105, 11)).toBe(100);
    expect(await call("TS.ADD", "ig", 111, 11)).toBe(111);
    expect(await call("TS.ADD", "ig", 115, 20)).toBe(115);
    expect(await range("ig")).toEqual([
      [100, 10],
      [111, 11],
      [115, 20],
    ]);
  });
});

describe("compaction rules", () => {
  it("closed buckets are written to the destination; LATEST shows the open one", async () => {
    await call("TS.CREATE", "src", "CHUNK_SIZE", 48);
    for (const [agg, dst] of [
      ["avg", "d:avg"],
      ["sum", "d:sum"],
      ["count", "d:count"],
      ["min", "d:min"],
      ["max", "d:max"],
      ["first", "d:first"],
      ["last", "d:last"],
      ["range", "d:range"],
    ]) {
      await call("TS.CREATE", dst);
      await call("TS.CREATERULE", "src", dst, "AGGREGATION", agg, 10);
    }
    for (let ts = 0; ts < 35; ts += 2) await call("TS.ADD", "src", ts, ts);
    // Buckets [0,10) [10,20) [20,30) are closed; [30,40) is open (30, 32, 34).
    expect(await range("d:avg")).toEqual([
      [0, 4],
      [10, 14],
      [20, 24],
    ]);
    expect(await range("d:sum")).toEqual([
      [0, 20],
      [10, 70],
      [20, 120],
    ]);
    expect(await range("d:count")).toEqual([
      [0, 5],
      [10, 5],
      [20, 5],
    ]);
    expect(await range("d:min")).toEqual([
      [0, 0],
      [10, 10],
      [20, 20],
    ]);
    expect(await range("d:max")).toEqual([
      [0, 8],
      [10, 18],
      [20, 28],
    ]);
    expect((await range("d:first")).map(([, v]) => v)).toEqual([0, 10, 20]);
    expect((await range("d:last")).map(([, v]) => v)).toEqual([8, 18, 28]);
    expect((await range("d:range")).map(([, v]) => v)).toEqual([8, 8, 8]);
    expect(await call("TS.GET", "d:sum", "LATEST")).toEqual([30, "96"]);
    expect(await call("TS.RANGE", "d:sum", 25, "+", "LATEST")).toEqual([[30, "96"]]);
    expect(await call("TS.MGET", "LATEST", "FILTER", "x=y")).toEqual([]);

    // An out-of-order write into a closed bucket computes it again.
    await call("TS.ADD", "src", 11, 100);
    expect((await range("d:sum"))[1]).toEqual([10, 170]);
    expect((await range("d:count"))[1]).toEqual([10, 6]);
    // TS.DEL on the source: the touched buckets are computed again or leave the destination.
    expect(await call("TS.DEL", "src", 10, 19)).toBe(6);
    expect(await range("d:sum")).toEqual([
      [0, 20],
      [20, 120],
    ]);
    expect(await call("TS.DEL", "src", 22, 27)).toBe(3);
    expect(await range("d:sum")).toEqual([
      [0, 20],
      [20, 48],
    ]);
    // Deleting the open bucket reopens the bucket of the new last sample.
    expect(await call("TS.DEL", "src", 30, 40)).toBe(3);
    expect(await range("d:sum")).toEqual([[0, 20]]);
    expect(await call("TS.GET", "d:sum", "LATEST")).toEqual([20, "48"]);
    await call("TS.ADD", "src", 45, 1);
    expect(await range("d:sum")).toEqual([
      [0, 20],
      [20, 48],
    ]);
  });

  it("a rule starts with the samples after it; alignment moves the buckets", async () => {
    await call("TS.ADD", "s2", 1, 1);
    await call("TS.ADD", "s2", 3, 3);
    await call("TS.CREATE", "s2:agg");
    await call("TS.CREATERULE", "s2", "s2:agg", "AGGREGATION", "sum", 10, 5);
    for (const ts of [6, 8, 12, 16, 27]) await call("TS.ADD", "s2", ts, ts);
    // Buckets start at 5 (mod 10): [5,15) holds 6, 8, 12; [15,25) holds 16.
    expect(await range("s2:agg")).toEqual([
      [5, 26],
      [15, 16],
    ]);
  });

  it("DEL or RENAME of either end", async () => {
    await call("TS.CREATE", "a");
    await call("TS.CREATE", "b");
    await call("TS.CREATERULE", "a", "b", "AGGREGATION", "max", 10);
    await c.rename("b", "b2");
    expect((await info("a")).rules).toEqual([["b2", 10, "MAX", 0]]);
    expect((await info("b2")).sourceKey).toBe("a");
    await c.rename("a", "a2");
    expect((await info("b2")).sourceKey).toBe("a2");
    for (const ts of [1, 11, 21]) await call("TS.ADD", "a2", ts, ts);
    expect(await range("b2")).toEqual([
      [0, 1],
      [10, 11],
    ]);
    await c.del("b2");
    expect((await info("a2")).rules).toEqual([]);
    await call("TS.CREATE", "b2");
    // A new series under the old name is no destination.
    expect((await info("a2")).rules).toEqual([]);
    await call("TS.ADD", "a2", 31, 1);
    expect(await range("b2")).toEqual([]);
    expect(await call("TS.CREATERULE", "a2", "b2", "AGGREGATION", "max", 10)).toBe("OK");
  });
});

describe("keys", () => {
  it("DEL is one small write; a new series under the key starts empty", async () => {
    await call("TS.CREATE", "k", "LABELS", "l", "1");
    const args: Array<string | number> = [];
    for (let i = 0; i < 3000; i++) args.push("k", i, i);
    await call("TS.MADD", ...args);
    expect(await c.del("k")).toBe(1);
    expect(await c.exists("k")).toBe(0);
    expect(await call("TS.QUERYINDEX", "l=1")).toEqual([]);
    await call("TS.CREATE", "k", "LABELS", "l", "2");
    expect(await range("k")).toEqual([]);
    expect((await info("k")).totalSamples).toBe(0);
    expect(await call("TS.QUERYINDEX", "l=2")).toEqual(["k"]);
  });

  it("RENAME keeps the points and moves the labels index; EXPIRE applies", async () => {
    await call("TS.ADD", "old", 1, 1, "LABELS", "n", "x");
    await call("TS.ADD", "old", 2, 2);
    await c.rename("old", "new");
    expect(await range("new")).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(await call("TS.QUERYINDEX", "n=x")).toEqual(["new"]);
    await call("TS.ADD", "new", 3, 3);
    expect((await info("new")).totalSamples).toBe(3);
    expect(await c.pexpire("new", 50)).toBe(1);
    expect(await call("TS.ADD", "new", 4, 4)).toBe(4);
    expect(await c.pttl("new")).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(await c.exists("new")).toBe(0);
    expect(await err("TS.GET", "new")).toBe("ERR TSDB: the key does not exist");
    expect(await call("TS.QUERYINDEX", "n=x")).toEqual([]);
  });

  it("SCAN TYPE and KEYS see series", async () => {
    await call("TS.CREATE", "ts:1");
    await c.set("str:1", "v");
    expect(await c.call("SCAN", "0", "TYPE", "tsdb-type")).toEqual(["0", ["ts:1"]]);
    expect((await c.keys("*")).sort()).toEqual(["str:1", "ts:1"]);
  });
});

describe("restart", () => {
  it("series, labels, rules and chunks are the same after a restart, and writes go on", async () => {
    await call("TS.CREATE", "p", "RETENTION", 0, "CHUNK_SIZE", 128, "DUPLICATE_POLICY", "sum", "LABELS", "kind", "p", "city", "x");
    await call("TS.CREATE", "p:agg", "LABELS", "kind", "agg");
    await call("TS.CREATERULE", "p", "p:agg", "AGGREGATION", "avg", 100);
    const args: Array<string | number> = [];
    for (let i = 0; i < 500; i++) args.push("p", i * 3, (i % 17) / 4);
    await call("TS.MADD", ...args);
    await call("TS.ADD", "p", 10, 5); // out of order, summed
    await call("TS.DEL", "p", 600, 650);
    await c.set("plain", "string");
    // Single appends: the newest chunk is a base plus delta entries, compressed again every 64.
    for (let i = 0; i < 150; i++) await call("TS.ADD", "singles", i, i / 10);
    const singles = await call("TS.RANGE", "singles", "-", "+");
    const before = {
      range: await call("TS.RANGE", "p", "-", "+"),
      agg: await call("TS.RANGE", "p:agg", "-", "+"),
      info: await info("p"),
      aggInfo: await info("p:agg"),
      mget: await call("TS.MGET", "WITHLABELS", "FILTER", "kind=(p,agg)"),
      latest: await call("TS.GET", "p:agg", "LATEST"),
    };
    await t.restart();
    c = t.client({ protocol: 2 });
    expect(await call("TS.RANGE", "p", "-", "+")).toEqual(before.range);
    expect(await call("TS.RANGE", "p:agg", "-", "+")).toEqual(before.agg);
    expect(await info("p")).toEqual(before.info);
    expect(await info("p:agg")).toEqual(before.aggInfo);
    expect(await call("TS.MGET", "WITHLABELS", "FILTER", "kind=(p,agg)")).toEqual(before.mget);
    expect(await call("TS.GET", "p:agg", "LATEST")).toEqual(before.latest);
    expect(await c.get("plain")).toBe("string");
    expect(await call("TS.RANGE", "singles", "-", "+")).toEqual(singles);
    expect(await call("TS.ADD", "singles", 150, 15)).toBe(150);
    expect(await call("TS.ADD", "singles", 149, 1, "ON_DUPLICATE", "sum")).toBe(149);
    expect((await call("TS.RANGE", "singles", 148, "+")) as unknown[]).toEqual([
      [148, "14.8"],
      [149, "15.9"],
      [150, "15"],
    ]);
    // Writes go on where they were.
    expect(await call("TS.ADD", "p", 1500, 1)).toBe(1500);
    expect(await call("TS.ADD", "p", 3, 1)).toBe(3);
    expect((await info("p")).totalSamples).toBe((before.info.totalSamples as number) + 1);
    expect(((await call("TS.RANGE", "p:agg", "-", "+")) as unknown[]).length).toBe((before.agg as unknown[]).length + 1);
    await call("TS.CREATE", "after-restart");
    await t.restart();
    c = t.client({ protocol: 2 });
    expect((await info("after-restart")).totalSamples).toBe(0);
    expect(await range("after-restart")).toEqual([]);
    expect((await info("p")).lastTimestamp).toBe(1500);
  });
});

describe("folding the newest chunks", () => {
  it("foldAll leaves only compressed chunks, with the same points, before and after a restart", async () => {
    await call("TS.CREATE", "f1");
    await call("TS.CREATE", "f2");
    for (let i = 0; i < 100; i++) await call("TS.MADD", "f1", i, i, "f2", i, -i);
    await call("TS.CREATE", "f3");
    const before = [await range("f1"), await range("f2")];
    const ks = t.server.extensions.get("keyspace") as Keyspace;
    const store = SeriesStore.of(ks);
    expect(await store.foldAll()).toBe(2);
    expect(await store.foldAll()).toBe(0);
    let deltas = 0;
    for (const [k] of ks.engine.iterate({ gte: Buffer.from("c"), lt: Buffer.from("d") })) if (k.length === 21) deltas++;
    expect(deltas).toBe(0);
    expect([await range("f1"), await range("f2")]).toEqual(before);
    await call("TS.ADD", "f1", 100, 100);
    await t.restart();
    c = t.client({ protocol: 2 });
    expect(await range("f1")).toEqual([...before[0], [100, 100]]);
    expect(await range("f2")).toEqual(before[1]);
  });

  it("TSKV.COMPACT keeps every live series through creates, deletes, SET over a series, renames, re-creates and a restart", async () => {
    const chunksOf = (ks: Keyspace): number => [...ks.engine.iterate({ gte: Buffer.from("c"), lt: Buffer.from("d") })].length;
    // 1100 series: the keyspace's list of series names passes its first prune (at 1024) on the way.
    for (let i = 0; i < 1100; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => call("TS.ADD", `s:${i + j}`, 1000, i + j)));
    for (let i = 0; i < 1100; i += 3) await c.del(`s:${i}`); // deleted
    await c.set("s:1", "now a string"); // a series replaced by a string
    await c.rename("s:2", "moved:2"); // renamed
    await c.del("s:4");
    await call("TS.ADD", "s:4", 2000, 4); // deleted, then created again
    await call("TS.ADD", "s:5", 3000, 55);
    await c.pexpire("s:7", 1); // expires
    await new Promise((r) => setTimeout(r, 20));
    const live: Record<string, Array<[number, number]>> = {};
    for (let j = 0; j < 1100; j++) if (j % 3 !== 0 && j !== 1 && j !== 2 && j !== 7) live[`s:${j}`] = await range(`s:${j}`);
    live["moved:2"] = await range("moved:2");
    live["s:4"] = await range("s:4");
    expect(live["moved:2"]).toEqual([[1000, 2]]);
    expect(live["s:5"]).toEqual([[1000, 5], [3000, 55]]);
    for (let round = 0; round < 2; round++) {
      expect(await c.call("TSKV.COMPACT")).toBe("OK");
      const ks = t.server.extensions.get("keyspace") as Keyspace;
      await SeriesStore.of(ks).reaped();
      for (const [key, points] of Object.entries(live)) expect([key, await range(key)]).toEqual([key, points]);
      // One folded chunk per live series, nothing of the dead ones.
      expect(chunksOf(ks)).toBe(Object.keys(live).length);
      await t.restart(); // the second round starts from the load scan's list
      c = t.client({ protocol: 2 });
    }
  });

  it("TSKV.COMPACT's sweep of dead chunks never takes a series renamed while the keyspace walk is under way", async () => {
    // 5000 strings sort before the series, so the walk (4096 keys a slice, a loop turn between slices) has passed
    // the names the series is renamed to back and forth on every turn until the sweep ends.
    for (let i = 0; i < 5000; i += 1000) await c.mset(...Array.from({ length: 1000 }, (_, j) => [`a:${String(i + j).padStart(5, "0")}`, "v"]).flat());
    await call("TS.CREATE", "z");
    const args: Array<string | number> = [];
    for (let i = 0; i < 3000; i++) args.push("z", i, i % 7);
    await call("TS.MADD", ...args);
    const before = await range("z");
    const ks = t.server.extensions.get("keyspace") as Keyspace;
    let done = false;
    const sweep = SeriesStore.of(ks)
      .prepareFullCompaction()
      .finally(() => (done = true));
    const names = ["z", "a:00000x", "a:00000y"];
    let at = 0;
    let renames = 0;
    while (!done) {
      const next = at === 2 ? 1 : 2;
      const src = Buffer.from(names[at]);
      ks.rename(src, Buffer.from(names[next]), ks.lookup(src)!);
      at = next;
      renames++;
      await new Promise((r) => setImmediate(r));
    }
    await sweep;
    expect(renames).toBeGreaterThan(0);
    await SeriesStore.of(ks).reaped();
    expect(await range(names[at])).toEqual(before);
    await t.restart();
    c = t.client({ protocol: 2 });
    expect(await range(names[at])).toEqual(before);
  });
});

describe("large ranges", () => {
  it("streams a 200k-point range chunk by chunk; COUNT stops early", async () => {
    const n = 200_000;
    await call("TS.CREATE", "big");
    const batch = 20_000;
    for (let start = 0; start < n; start += batch) {
      const args: Array<string | number> = [];
      for (let i = start; i < start + batch; i++) args.push("big", i * 10, (i % 1000) / 10);
      await call("TS.MADD", ...args);
    }
    const all = (await call("TS.RANGE", "big", "-", "+")) as Array<[number, string]>;
    expect(all.length).toBe(n);
    expect(all[n - 1]).toEqual([(n - 1) * 10, "99.9"]);
    expect(all[12345]).toEqual([123450, "34.5"]);
    expect(((await call("TS.REVRANGE", "big", "-", "+", "COUNT", 5)) as unknown[]).length).toBe(5);
    expect(await call("TS.RANGE", "big", "-", "+", "AGGREGATION", "count", 1_000_000)).toEqual([
      [0, "100000"],
      [1000000, "100000"],
    ]);
    expect((await info("big")).totalSamples).toBe(n);
  }, 60_000);
});

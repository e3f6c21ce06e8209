// COPY of a time series, as RedisTimeSeries 1.12's CopySeries makes it (checked against the module): the samples,
// labels (indexed under the new key), retention, chunk size, duplicate policy and expiry are copied; the copy has no
// compaction rules and no source, so writes to either side feed no rule of the other. One engine batch: after a
// restart the copy is whole.
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";

let t: TestServer;
let c: Redis;
beforeAll(async () => {
  t = await startTestServer();
  c = t.client({ protocol: 2 });
});
afterAll(async () => t.stop());

const call = (...args: Array<string | number>): Promise<unknown> => c.call(String(args[0]), ...args.slice(1).map(String));

/** TS.INFO as a map of its fields. */
async function info(key: string): Promise<Record<string, unknown>> {
  const r = (await call("TS.INFO", key)) as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i < r.length; i += 2) out[String(r[i])] = r[i + 1];
  return out;
}

describe("COPY of a series", () => {
  beforeAll(async () => {
    await call("TS.CREATE", "c:src", "RETENTION", 0, "DUPLICATE_POLICY", "MAX", "CHUNK_SIZE", 128, "LABELS", "kind", "copy", "n", 1);
    await call("TS.CREATE", "c:agg");
    await call("TS.CREATERULE", "c:src", "c:agg", "AGGREGATION", "sum", 10);
    for (const ts of [1, 2, 3, 15, 27]) await call("TS.ADD", "c:src", ts, ts);
  });

  it("copies samples, labels and settings, but not the rules (RTS: same TS.INFO but rules and sourceKey)", async () => {
    expect(await call("COPY", "c:src", "c:dst")).toBe(1);
    expect(await call("TS.RANGE", "c:dst", "-", "+")).toEqual([1, 2, 3, 15, 27].map((x) => [x, String(x)]));
    const src = await info("c:src");
    const dst = await info("c:dst");
    expect(src.rules).toEqual([["c:agg", 10, "SUM", 0]]);
    expect(dst.rules).toEqual([]);
    expect(dst.sourceKey).toBeNull();
    for (const f of ["totalSamples", "firstTimestamp", "lastTimestamp", "retentionTime", "chunkCount", "chunkSize", "duplicatePolicy", "labels"]) {
      expect([f, dst[f]]).toEqual([f, src[f]]);
    }
    expect(await call("TS.QUERYINDEX", "kind=copy")).toEqual(["c:dst", "c:src"]);
  });

  it("keeps the two apart: the copy feeds no rule, the source's rule goes on", async () => {
    await call("TS.ADD", "c:dst", 40, 1);
    expect(await call("TS.RANGE", "c:agg", "-", "+")).toEqual([
      [0, "6"],
      [10, "15"],
    ]);
    await call("TS.ADD", "c:src", 41, 1);
    expect(await call("TS.RANGE", "c:agg", "-", "+")).toEqual([
      [0, "6"],
      [10, "15"],
      [20, "27"],
    ]);
    expect(await call("TS.RANGE", "c:dst", 30, "+")).toEqual([[40, "1"]]);
  });

  it("a copy of a compaction's destination has no source (RTS: sourceKey empty)", async () => {
    expect(await call("COPY", "c:agg", "c:agg2")).toBe(1);
    expect((await info("c:agg2")).sourceKey).toBeNull();
    expect((await info("c:agg")).sourceKey).toBe("c:src");
  });

  it("answers 0 when the destination exists, and REPLACE replaces a string or a series (its labels leave the index)", async () => {
    await call("TS.CREATE", "c:old", "LABELS", "old", "yes");
    await call("TS.ADD", "c:old", 5, 5);
    expect(await call("COPY", "c:src", "c:old")).toBe(0);
    expect(await call("COPY", "c:src", "c:old", "REPLACE")).toBe(1);
    expect(await call("TS.QUERYINDEX", "old=yes")).toEqual([]);
    expect(await call("TS.QUERYINDEX", "kind=copy")).toEqual(["c:dst", "c:old", "c:src"]);
    expect(await call("TS.RANGE", "c:old", "-", 3)).toEqual([1, 2, 3].map((x) => [x, String(x)]));
    await call("SET", "c:str", "x");
    expect(await call("COPY", "c:src", "c:str", "REPLACE")).toBe(1);
    expect(await call("TYPE", "c:str")).toBe("TSDB-TYPE");
    expect(await call("COPY", "nope", "c:x")).toBe(0);
  });

  it("a compaction's destination replaced by COPY … REPLACE ends its rule (RTS: the source's rules empty)", async () => {
    await call("TS.CREATE", "r:a");
    await call("TS.CREATE", "r:b");
    await call("TS.CREATERULE", "r:a", "r:b", "AGGREGATION", "sum", 10);
    await call("TS.CREATE", "r:c");
    await call("TS.ADD", "r:c", 1, 100);
    expect(await call("COPY", "r:c", "r:b", "REPLACE")).toBe(1);
    for (const ts of [1, 5, 12, 25]) await call("TS.ADD", "r:a", ts, 1);
    expect(await call("TS.RANGE", "r:b", "-", "+")).toEqual([[1, "100"]]);
    expect((await info("r:a")).rules).toEqual([]);
  });

  it("copies the expiry", async () => {
    await call("TS.CREATE", "c:ttl");
    await call("TS.ADD", "c:ttl", 1, 1);
    await call("PEXPIRE", "c:ttl", 100000);
    expect(await call("COPY", "c:ttl", "c:ttl2")).toBe(1);
    const ttl = (await call("PTTL", "c:ttl2")) as number;
    expect(ttl).toBeGreaterThan(90000);
  });

  it("copies sealed chunks and the newest one's unwritten points, and the copy survives a restart", async () => {
    // CHUNK_SIZE 128: 8 points a chunk, so 100 points make sealed chunks and an open one with recent appends.
    await call("TS.CREATE", "c:many", "CHUNK_SIZE", 128, "LABELS", "many", "1");
    const madd: Array<string | number> = ["TS.MADD"];
    for (let i = 0; i < 100; i++) madd.push("c:many", 1000 + i, i * 1.5);
    await call(...madd);
    expect(await call("COPY", "c:many", "c:many2")).toBe(1);
    const want = await call("TS.RANGE", "c:many", "-", "+");
    expect(await call("TS.RANGE", "c:many2", "-", "+")).toEqual(want);
    const chunks = (await info("c:many")).chunkCount;
    await t.restart();
    c = t.client({ protocol: 2 });
    expect(await call("TS.RANGE", "c:many2", "-", "+")).toEqual(want);
    expect((await info("c:many2")).chunkCount).toBe(chunks);
    expect(await call("TS.QUERYINDEX", "many=1")).toEqual(["c:many", "c:many2"]);
    // Each has its own chunks: deleting the source leaves the copy whole.
    await call("DEL", "c:many");
    expect(await call("TS.RANGE", "c:many2", "-", "+")).toEqual(want);
    expect(await call("TS.RANGE", "c:dst", "-", 3)).toEqual([1, 2, 3].map((x) => [x, String(x)]));
  });
});

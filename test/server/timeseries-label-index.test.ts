// The labels index kept in memory (model/series/postings.ts) against a model of the keyspace: random creates (TS.CREATE,
// TS.ADD creating), label changes (TS.ALTER LABELS), deletes, renames over other series, strings written over series,
// expiries and FLUSHALL, between queries of TS.QUERYINDEX / TS.MGET that must see exactly the series the model
// holds. Run with the default bound and with a bound of a few entries (lists dropped and read again all the time).
import fc from "fast-check";
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";

const NAMES = ["a", "b", "c"];
const VALUES = ["1", "2", "3"];
const KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"];

type Labels = Array<[string, string]>;
type Op =
  | { kind: "create" | "add"; key: string; labels: Labels }
  | { kind: "alter"; key: string; labels: Labels }
  | { kind: "del" | "set" | "expire"; key: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "flushall" }
  | { kind: "query"; filters: string[] };

const label = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES));
const labels = fc.array(label, { minLength: 0, maxLength: 3 });
const key = fc.constantFrom(...KEYS);
const valueList = fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }).map((v) => (v.length === 1 ? v[0] : `(${v.join(",")})`));
const positive = fc.tuple(fc.constantFrom(...NAMES), valueList).map(([n, v]) => `${n}=${v}`);
const other = fc.oneof(positive, fc.tuple(fc.constantFrom(...NAMES), valueList).map(([n, v]) => `${n}!=${v}`), fc.constantFrom(...NAMES).map((n) => `${n}=`));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("create" as const, "add" as const), key, labels }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("alter" as const), key, labels }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("del" as const, "set" as const, "expire" as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rename" as const), from: key, to: key }) },
  { weight: 1, arbitrary: fc.constant({ kind: "flushall" as const }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("query" as const), filters: fc.tuple(positive, fc.array(other, { maxLength: 2 })).map(([p, o]) => [p, ...o]) }) },
);

/** Does a series with these labels (the last pair of a name counts) match the filter expressions? */
function matches(ls: Labels, filters: string[]): boolean {
  const m = new Map(ls);
  return filters.every((f) => {
    const neq = f.includes("!=");
    const [n, raw] = neq ? f.split("!=") : f.split("=");
    const values = raw.startsWith("(") ? raw.slice(1, -1).split(",") : [raw];
    return values.includes(m.get(n) ?? "") !== neq;
  });
}

const flat = (ls: Labels): string[] => ls.flatMap(([n, v]) => [n, v]);

async function run(c: Redis, ops: Op[]): Promise<void> {
  const model = new Map<string, Labels | "string">();
  for (const o of ops) {
    switch (o.kind) {
      case "create":
        if (model.has(o.key)) break;
        await c.call("TS.CREATE", o.key, ...(o.labels.length ? ["LABELS", ...flat(o.labels)] : []));
        model.set(o.key, o.labels);
        break;
      case "add":
        if (model.get(o.key) === "string") break;
        await c.call("TS.ADD", o.key, "*", "1", "ON_DUPLICATE", "LAST", ...(o.labels.length ? ["LABELS", ...flat(o.labels)] : []));
        if (!model.has(o.key)) model.set(o.key, o.labels);
        break;
      case "alter": {
        const cur = model.get(o.key);
        if (cur === undefined || cur === "string") break;
        await c.call("TS.ALTER", o.key, "LABELS", ...flat(o.labels));
        model.set(o.key, o.labels);
        break;
      }
      case "del":
        await c.del(o.key);
        model.delete(o.key);
        break;
      case "set":
        await c.set(o.key, "x");
        model.set(o.key, "string");
        break;
      case "expire":
        if ((await c.pexpire(o.key, 1)) === 1) {
          await new Promise((r) => setTimeout(r, 5));
          model.delete(o.key);
        }
        break;
      case "rename": {
        const v = model.get(o.from);
        if (v === undefined) break;
        await c.rename(o.from, o.to);
        model.delete(o.from);
        model.set(o.to, v);
        break;
      }
      case "flushall":
        await c.flushall();
        model.clear();
        break;
      case "query": {
        const want = [...model].filter(([, v]) => v !== "string" && matches(v, o.filters)).map(([k]) => k).sort();
        expect({ filters: o.filters, keys: await c.call("TS.QUERYINDEX", ...o.filters) }).toEqual({ filters: o.filters, keys: want });
        const mget = (await c.call("TS.MGET", "FILTER", ...o.filters)) as Array<[string, unknown, unknown]>;
        expect(mget.map((e) => e[0])).toEqual(want);
      }
    }
  }
}

describe.each([
  ["the default bound", undefined],
  ["a bound of 3 entries", 3],
  ["no lists kept", 0],
])("labels index in memory, %s", (_name, bound) => {
  let t: TestServer;
  let c: Redis;
  beforeAll(async () => {
    t = await startTestServer({ walSync: "no", ...(bound !== undefined ? { seriesIndexCache: bound } : {}) });
    c = t.client({ protocol: 2 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("answers as the model after any mix of writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 60 }), async (ops) => {
        await c.flushall();
        await run(c, ops);
      }),
      { numRuns: bound === undefined ? 150 : 60 },
    );
  }, 120_000);

  it("keeps answering after a series is renamed onto a key a kept list names", async () => {
    await c.flushall();
    await c.call("TS.CREATE", "x", "LABELS", "a", "1");
    await c.call("TS.CREATE", "y", "LABELS", "a", "2");
    expect(await c.call("TS.QUERYINDEX", "a=(1,2)")).toEqual(["x", "y"]);
    expect(await c.call("TS.QUERYINDEX", "a=1")).toEqual(["x"]);
    await c.rename("y", "x");
    expect(await c.call("TS.QUERYINDEX", "a=(1,2)")).toEqual(["x"]);
    expect(await c.call("TS.QUERYINDEX", "a=1")).toEqual([]);
    expect(await c.call("TS.QUERYINDEX", "a=2")).toEqual(["x"]);
  });
});

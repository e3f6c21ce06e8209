import fc from "fast-check";
import { open } from "../../src/engine/engine";
import { tmpDir } from "../helpers/server";

type Op =
  | { t: "put"; k: number; v: number }
  | { t: "del"; k: number }
  | { t: "batch"; ops: Array<{ k: number; v: number | null }> }
  | { t: "reopen" }
  | { t: "range"; lo: number; hi: number; reverse: boolean; limit: number; gtLt: boolean }
  | { t: "snapshot" };

const key = (k: number): Buffer => Buffer.from(k === 0 ? "" : `k${String(k).padStart(3, "0")}`);
const val = (v: number): Buffer => Buffer.from(`v${v}`);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("put" as const), k: fc.integer({ min: 0, max: 40 }), v: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("del" as const), k: fc.integer({ min: 0, max: 40 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ops: fc.array(fc.record({ k: fc.integer({ min: 0, max: 40 }), v: fc.option(fc.nat(1000), { nil: null }) }), { maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "snapshot" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("range" as const),
      lo: fc.integer({ min: 0, max: 41 }),
      hi: fc.integer({ min: 0, max: 41 }),
      reverse: fc.boolean(),
      limit: fc.integer({ min: 1, max: 50 }),
      gtLt: fc.boolean(),
    }),
  },
);

describe("engine against an in-memory model", () => {
  it("agrees with a Map under random puts, deletes, batches, ranges, scans, snapshots and reopens", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const dir = tmpDir("tskv-model-");
        let e = await open(dir, { memtableSize: 2048 });
        const model = new Map<string, Buffer>();
        try {
          for (const op of ops) {
            if (op.t === "put") {
              await e.put(key(op.k), val(op.v));
              model.set(key(op.k).toString("latin1"), val(op.v));
            } else if (op.t === "del") {
              await e.del(key(op.k));
              model.delete(key(op.k).toString("latin1"));
            } else if (op.t === "batch") {
              await e.write(op.ops.map((o) => (o.v === null ? { type: "del" as const, key: key(o.k) } : { type: "put" as const, key: key(o.k), value: val(o.v) })));
              for (const o of op.ops) {
                if (o.v === null) model.delete(key(o.k).toString("latin1"));
                else model.set(key(o.k).toString("latin1"), val(o.v));
              }
            } else if (op.t === "reopen") {
              await e.close();
              e = await open(dir, { memtableSize: 2048 });
            } else if (op.t === "snapshot") {
              const snap = e.snapshot();
              const frozen = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")));
              await e.put(key(1), val(99999));
              await e.del(key(2));
              expect([...e.iterate({ snapshot: snap })].map(([k, v]) => [k.toString("latin1"), v])).toEqual(frozen);
              for (const [k, v] of frozen) expect(e.get(Buffer.from(k, "latin1"), snap)).toEqual(v);
              snap.release();
              model.set(key(1).toString("latin1"), val(99999));
              model.delete(key(2).toString("latin1"));
            } else {
              const lo = key(op.lo);
              const hi = key(op.hi);
              const range = op.gtLt ? { gt: lo, lt: hi } : { gte: lo, lte: hi };
              const got = [...e.iterate({ ...range, reverse: op.reverse, limit: op.limit })].map(([k, v]) => [k.toString("latin1"), v.toString()]);
              let want = [...model.entries()]
                .filter(([k]) => {
                  const kb = Buffer.from(k, "latin1");
                  return op.gtLt ? kb.compare(lo) > 0 && kb.compare(hi) < 0 : kb.compare(lo) >= 0 && kb.compare(hi) <= 0;
                })
                .sort(([a], [b]) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")))
                .map(([k, v]) => [k, v.toString()]);
              if (op.reverse) want = want.reverse();
              expect(got).toEqual(want.slice(0, op.limit));
              // scan: every live key in [lo, hi) (or from lo on, or everything), handed over as views.
              const bounds = op.gtLt ? { gte: lo, lt: hi } : op.reverse ? { gte: lo } : {};
              const scanned: string[][] = [];
              e.scan(bounds, (k, v) => scanned.push([k.toString("latin1"), v.toString()]));
              const inBounds = (k: string): boolean => {
                const kb = Buffer.from(k, "latin1");
                return (!("gte" in bounds) || kb.compare(lo) >= 0) && (!("lt" in bounds) || kb.compare(hi) < 0);
              };
              expect(scanned).toEqual(
                [...model.entries()]
                  .filter(([k]) => inBounds(k))
                  .sort(([a], [b]) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")))
                  .map(([k, v]) => [k, v.toString()]),
              );
            }
            for (const [k, v] of model) expect(e.get(Buffer.from(k, "latin1"))).toEqual(v);
          }
        } finally {
          await e.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("scans memtables, L0 tables and a deeper level together: the newest version wins, deletes hide, old versions skip", async () => {
    const dir = tmpDir("tskv-scan-");
    const e = await open(dir, { memtableSize: 1 << 20 });
    try {
      const model = new Map<string, string>();
      const k = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(5, "0")}`);
      const put = async (i: number, v: string): Promise<void> => {
        await e.put(k(i), Buffer.from(v));
        model.set(k(i).toString("latin1"), v);
      };
      for (let i = 0; i < 3000; i++) await put(i, `a${i}`);
      await e.compactAll(); // a deeper level
      for (let i = 0; i < 3000; i += 3) await put(i, `b${i}`);
      const snap = e.snapshot(); // keeps the b versions alive: the next table holds two versions of every sixth key
      for (let i = 0; i < 3000; i += 6) await put(i, `c${i}`);
      await e.flush(); // an L0 table
      for (let i = 1; i < 3000; i += 5) {
        await e.del(k(i));
        model.delete(k(i).toString("latin1"));
      }
      for (let i = 0; i < 3000; i += 7) await put(i, `d${i}`); // the memtable
      const levels = e.stats().levels.filter((l) => l.files > 0).map((l) => l.level);
      expect(levels[0]).toBe(0);
      expect(levels.length).toBeGreaterThan(1);
      const want = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [lo, hi] of [[undefined, undefined], [k(10), k(2000)], [k(2999), undefined], [undefined, k(1)], [k(500), k(500)]] as const) {
        const got: string[][] = [];
        e.scan({ gte: lo, lt: hi }, (key, value) => got.push([key.toString("latin1"), value.toString()]));
        expect(got).toEqual(want.filter(([key]) => (!lo || key >= lo.toString("latin1")) && (!hi || key < hi.toString("latin1"))));
      }
      snap.release();
    } finally {
      await e.close();
    }
  });

  it("keeps an iterator's view while writes, a flush and a compaction happen between its steps", async () => {
    const dir = tmpDir("tskv-iter-");
    const e = await open(dir, { memtableSize: 1 << 20 });
    try {
      const k = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(5, "0")}`);
      for (let i = 0; i < 2000; i++) await e.put(k(i), Buffer.from(`a${i}`));
      await e.compactAll();
      for (let i = 0; i < 2000; i += 2) await e.put(k(i), Buffer.from(`b${i}`)); // in the memtable
      const want = Array.from({ length: 2000 }, (_, i) => [k(i).toString(), i % 2 === 0 ? `b${i}` : `a${i}`]);
      const it = e.iterate({ gte: k(0) });
      const got: string[][] = [];
      for (let r = it.next(); !r.done; r = it.next()) {
        got.push([r.value[0].toString(), r.value[1].toString()]);
        if (got.length === 100) {
          // Later writes are not seen; the tables it reads stay until it is done.
          for (let i = 0; i < 2000; i += 3) await e.put(k(i), Buffer.from("late"));
          for (let i = 1; i < 2000; i += 5) await e.del(k(i));
          await e.put(Buffer.from("key:0"), Buffer.from("new key"));
          await e.flush();
          await e.compactAll();
        }
      }
      expect(got).toEqual(want);
    } finally {
      await e.close();
    }
  });
});

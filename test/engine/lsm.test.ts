// The engine with its lower half: flushes, compactions, restarts and snapshots against a plain in-memory model;
// crashes injected at every step of flush, compaction and manifest install; damaged manifests.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { Engine, open, OpenOptions } from "../../src/engine/engine";
import { FaultFs, FaultOp } from "../helpers/fault-fs";
import { FileSystem, nodeFs as realFs } from "../../src/engine/io";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "tskv-lsm-"));
const b = (s: string): Buffer => Buffer.from(s);

/** Small everything, so a few hundred writes exercise flushes and several levels of compaction. */
const SMALL: OpenOptions = { memtableSize: 8 * 1024, targetFileSize: 4 * 1024, levelBase: 16 * 1024, l0Trigger: 2, blockSize: 256, background: "inline" };

function dump(e: Engine, range = {}): Array<[string, string]> {
  return [...e.iterate(range)].map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);
}

function modelRange(m: Map<string, string>, lo: string | undefined, hi: string | undefined, reverse: boolean, limit: number): Array<[string, string]> {
  const all = [...m.entries()].filter(([k]) => (lo === undefined || k >= lo) && (hi === undefined || k < hi)).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
  if (reverse) all.reverse();
  return all.slice(0, limit);
}

type Op =
  | { t: "put"; k: string; v: string }
  | { t: "del"; k: string }
  | { t: "flush" }
  | { t: "compact" }
  | { t: "restart" }
  | { t: "range"; lo?: string; hi?: string; reverse: boolean; limit: number }
  | { t: "snap" };

const key = fc.integer({ min: 0, max: 60 }).map((i) => `k${String(i).padStart(3, "0")}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ t: fc.constant("put" as const), k: key, v: fc.string({ minLength: 0, maxLength: 300 }) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant("del" as const), k: key }) },
  { weight: 1, arbitrary: fc.constant({ t: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "snap" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant("range" as const), lo: fc.option(key, { nil: undefined }), hi: fc.option(key, { nil: undefined }), reverse: fc.boolean(), limit: fc.integer({ min: 1, max: 80 }) }),
  },
);

describe("LSM engine against a model", () => {
  it("agrees with a Map under random puts, deletes, range reads, flushes, compactions, snapshots and restarts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 250 }), async (ops) => {
        const dir = tmp();
        let e = await open(dir, SMALL);
        const model = new Map<string, string>();
        const snaps: Array<{ snap: ReturnType<Engine["snapshot"]>; state: Map<string, string> }> = [];
        try {
          for (const op of ops) {
            switch (op.t) {
              case "put":
                await e.put(b(op.k), Buffer.from(op.v, "latin1"));
                model.set(op.k, Buffer.from(op.v, "latin1").toString("latin1"));
                break;
              case "del":
                await e.del(b(op.k));
                model.delete(op.k);
                break;
              case "flush":
                await e.flush();
                break;
              case "compact":
                await e.compactAll();
                break;
              case "restart":
                for (const s of snaps) s.snap.release();
                snaps.length = 0;
                await e.close();
                e = await open(dir, SMALL);
                break;
              case "snap":
                snaps.push({ snap: e.snapshot(), state: new Map(model) });
                break;
              case "range": {
                const range = { gte: op.lo ? b(op.lo) : undefined, lt: op.hi ? b(op.hi) : undefined, reverse: op.reverse, limit: op.limit };
                expect(dump(e, range)).toEqual(modelRange(model, op.lo, op.hi, op.reverse, op.limit));
                break;
              }
            }
          }
          for (const [k, v] of model) expect(e.get(b(k))?.toString("latin1")).toBe(v);
          expect(dump(e)).toEqual(modelRange(model, undefined, undefined, false, Infinity));
          // Snapshots still see their own past, through flushes and compactions.
          for (const s of snaps) {
            expect(dump(e, { snapshot: s.snap })).toEqual(modelRange(s.state, undefined, undefined, false, Infinity));
            for (const [k, v] of s.state) expect(e.get(b(k), s.snap)?.toString("latin1")).toBe(v);
            s.snap.release();
          }
        } finally {
          await e.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  });

  it("keeps a data set several times the memtable across restarts, in the worker thread", async () => {
    const dir = tmp();
    const opts: OpenOptions = { memtableSize: 64 * 1024, targetFileSize: 32 * 1024, levelBase: 128 * 1024, l0Trigger: 2 };
    let e = await open(dir, opts);
    const n = 5000;
    // Writes issued 500 at a time without waiting: far past the memtable, so they stall and wait for room in write().
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      inFlight.push(e.write([{ type: "put", key: b(`key${(i * 7919) % n}`), value: Buffer.alloc(100, i % 251) }]));
      if (i % 500 === 499) await Promise.all(inFlight.splice(0));
    }
    await e.flush();
    const s = e.stats();
    expect(s.tableBytes).toBeGreaterThan(4 * 64 * 1024);
    expect(e.counters.flushes).toBeGreaterThan(3);
    await e.close();
    e = await open(dir, opts);
    for (let i = 0; i < n; i++) expect(e.get(b(`key${(i * 7919) % n}`))).toEqual(Buffer.alloc(100, i % 251));
    await e.compactAll();
    expect(e.stats().levels.filter((l) => l.files > 0)).toHaveLength(1);
    expect([...e.iterate()]).toHaveLength(n);
    await e.close();
  });

  const linux = process.platform === "linux" && fs.existsSync("/proc/self/task");
  (linux ? it : it.skip)("runs flushes and compactions on a thread of lower priority than the caller's (--background-nice)", async () => {
    // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the parenthesised name).
    const niceOf = (tid: string): number => Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1].split(" ")[16]);
    const threads = (): Map<string, number> => new Map(fs.readdirSync("/proc/self/task").map((t) => [t, niceOf(t)]));
    const before = threads();
    const e = await open(tmp(), { memtableSize: 64 * 1024, backgroundNice: 7 });
    for (let i = 0; i < 2000; i++) e.apply([{ type: "put", key: b(`k${i}`), value: Buffer.alloc(100) }]);
    await e.flush();
    const added = [...threads()].filter(([t]) => !before.has(t));
    expect(added.map(([, nice]) => nice)).toContain(7);
    expect(niceOf(String(process.pid))).toBe(before.get(String(process.pid)));
    await e.close();
  });

  it("close() resolves while a compaction runs in the worker, even with nothing else keeping the process alive", () => {
    const engineJs = path.join(__dirname, "..", "..", "dist", "engine", "engine.js");
    if (!fs.existsSync(engineJs)) return; // npm test builds dist/ first
    const script = `
      const { open } = require(${JSON.stringify(engineJs)});
      (async () => {
        const e = await open(${JSON.stringify(tmp())}, { walSync: "no", memtableSize: 256 * 1024, targetFileSize: 64 * 1024, levelBase: 256 * 1024, compactionRate: 64 * 1024 });
        const v = Buffer.alloc(100, 97);
        const inFlight = [];
        for (let i = 0; i < 60000; i++) {
          inFlight.push(e.write([{ type: "put", key: Buffer.from("k" + ((i * 7919) % 60000)), value: v }]));
          if (i % 1000 === 999) await Promise.all(inFlight.splice(0));
        }
        await e.flush();
        // A slow (rate-limited) compaction is running in the worker when close() is called.
        if (!e.stats().compacting) throw new Error("no compaction running");
        await e.close();
        console.log("closed");
      })();`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("closed");
  });

  it("write() waits for room while writes are stalled, refuses past a memtable's worth of waiting bytes, and close() keeps what waited", async () => {
    const dir = tmp();
    // One level-0 table stops writes (l0Stop 1) and nothing compacts it (l0Trigger 100): a stall that lasts.
    const opts: OpenOptions = { memtableSize: 64 * 1024, l0Trigger: 100, l0Stop: 1 };
    let e = await open(dir, opts);
    await e.put(b("first"), b("1"));
    await e.flush();
    expect(e.stats().stalled).toBe(true);
    const value = (i: number): Buffer => Buffer.alloc(100, i % 251);
    let settled = 0;
    const outcome = Array.from({ length: 3000 }, (_, i) =>
      e.write([{ type: "put", key: b(`x${i}`), value: value(i) }]).then(
        () => (settled++, "ok"),
        (err: { code?: string }) => (settled++, err.code),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    // Until the memtable's hard limit (2 × 64 KiB) writes are applied but not acknowledged; then a memtable's worth
    // of bytes (≈ 630 writes of 104 bytes) waits for room; the rest are refused at once.
    const refusedEarly = settled;
    expect(refusedEarly).toBeGreaterThan(1500);
    expect(refusedEarly).toBeLessThan(2500);
    await e.close();
    const results = await Promise.all(outcome);
    expect(results.filter((o) => o !== "ok" && o !== "TSKV_ERR_STALL")).toEqual([]);
    expect(results.filter((o) => o === "TSKV_ERR_STALL").length).toBe(refusedEarly);
    e = await open(dir, opts);
    results.forEach((o, i) => expect([i, e.get(b(`x${i}`))]).toEqual([i, o === "ok" ? value(i) : undefined]));
    await e.close();
  });

  it("a full compaction lifts the rate limit of the background compaction it waits for", async () => {
    // 16 KiB/s (the limiter looks every 4096 entries): a background merge of 30 000 keys would take about a minute.
    const e = await open(tmp(), { walSync: "no", memtableSize: 1 << 20, targetFileSize: 4 << 20, levelBase: 64 * 1024, l0Trigger: 2, compactionRate: 16 * 1024 });
    const value = Buffer.alloc(20, 0x61);
    for (let r = 0; r < 3; r++) {
      const ops = [];
      for (let i = 0; i < 30_000; i++) ops.push({ type: "put" as const, key: b(`key:${String((i * 7919) % 30_000).padStart(6, "0")}`), value });
      await e.write(ops);
      await e.flush();
    }
    const deadline = Date.now() + 10_000;
    while (!e.stats().compacting && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(e.stats().compacting).toBe(true);
    const started = Date.now();
    await e.compactAll();
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(e.stats().levels.filter((l) => l.files > 0).length).toBe(1);
    expect(e.get(b("key:000123"))).toEqual(value);
    await e.close();
  }, 60_000);

  it("drops shadowed versions and tombstones in a full compaction", async () => {
    const dir = tmp();
    const e = await open(dir, SMALL);
    for (let round = 0; round < 5; round++) for (let i = 0; i < 100; i++) await e.put(b(`k${i}`), Buffer.alloc(50, round));
    for (let i = 0; i < 100; i += 2) await e.del(b(`k${i}`));
    await e.compactAll();
    const s = e.stats();
    expect(s.levels.reduce((x, l) => x + l.entries, 0)).toBe(50);
    expect(e.get(b("k1"))).toEqual(Buffer.alloc(50, 4));
    expect(e.get(b("k0"))).toBeUndefined();
    await e.close();
  });

  it("writes only the versions some snapshot can see when it flushes a memtable", async () => {
    const dir = tmp();
    const e = await open(dir, { ...SMALL, memtableSize: 1024 * 1024 });
    for (let i = 0; i < 50; i++) await e.put(b(`k${i}`), b("v1"));
    const snap = e.snapshot();
    for (let round = 2; round <= 5; round++) for (let i = 0; i < 50; i++) await e.put(b(`k${i}`), b(`v${round}`));
    await e.del(b("k0"));
    await e.flush();
    // Per key: the newest (v5, or k0's tombstone) and v1, which the snapshot reads; v2..v4 are seen by no one.
    expect(e.stats().levels[0].entries).toBe(100);
    expect(e.get(b("k7"), snap)).toEqual(b("v1"));
    expect(e.get(b("k7"))).toEqual(b("v5"));
    expect(e.get(b("k0"))).toBeUndefined();
    snap.release();
    for (let i = 0; i < 50; i++) await e.put(b(`k${i}`), b("v6"));
    await e.flush();
    expect(e.stats().levels[0].entries).toBe(150);
    await e.close();
    const again = await open(dir, SMALL);
    expect(again.get(b("k7"))).toEqual(b("v6"));
    expect(dump(again).length).toBe(50);
    await again.close();
  });

  it("stops freezing memtables while flushes are behind, and refuses writes at twice the memtable size instead of growing", async () => {
    const dir = tmp();
    const e = await open(dir, { ...SMALL, memtableSize: 16 * 1024 });
    // Writes committed turn after turn with no await between them: flushes (which need the loop) cannot run, as
    // when a client pipelines writes faster than the background flushes them.
    const value = Buffer.alloc(1000, 7);
    let applied = 0;
    let refused: Error | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      try {
        e.apply([{ type: "put", key: b(`k${String(i).padStart(4, "0")}`), value }]);
        e.commit();
        applied++;
      } catch (err) {
        refused = err as Error;
      }
      expect(e.stats().frozenMemtables).toBeLessThanOrEqual(3);
    }
    expect(refused?.message).toMatch(/write stall/);
    expect(e.stalled).toBe(true);
    // Bounded: three frozen memtables and the active one at under twice its size (about 16 KiB each).
    expect(applied).toBeLessThan(100);
    await e.flush();
    expect(e.stalled).toBe(false);
    for (let i = 0; i < applied; i++) expect(e.get(b(`k${String(i).padStart(4, "0")}`))).toEqual(value);
    await e.put(b("after"), b("ok"));
    await e.close();
    const again = await open(dir, SMALL);
    expect(dump(again).length).toBe(applied + 1);
    await again.close();
  });

  it("at open, removes tables no manifest names before it writes anything (a restart on a full disk needs their room)", async () => {
    const dir = tmp();
    const e = await open(dir, { walSync: "no" });
    await e.put(b("k"), b("v"));
    await e.flush();
    await e.close();
    // What a compaction stopped by close() or a crash leaves: a table file the manifest does not name.
    fs.writeFileSync(path.join(dir, "000900.sst"), Buffer.alloc(64 * 1024));
    const order: string[] = [];
    const fsLog = {
      ...realFs,
      unlinkSync: (p: string) => {
        order.push(`unlink ${path.basename(p)}`);
        realFs.unlinkSync(p);
      },
      openSync: (p: string, flags: string) => {
        if (flags !== "r") order.push(`open ${path.basename(p)} ${flags}`);
        return realFs.openSync(p, flags);
      },
    } as FileSystem;
    const e2 = await open(dir, { walSync: "no", fs: fsLog });
    expect(order[0]).toBe("unlink 000900.sst");
    expect(fs.existsSync(path.join(dir, "000900.sst"))).toBe(false);
    expect(e2.get(b("k"))).toEqual(b("v"));
    await e2.close();
  });

  it("removes files no version references at open", async () => {
    const dir = tmp();
    const e = await open(dir, SMALL);
    for (let i = 0; i < 200; i++) await e.put(b(`k${i}`), Buffer.alloc(100, 1));
    await e.flush();
    await e.close();
    fs.writeFileSync(path.join(dir, "999999.sst"), "orphan");
    fs.writeFileSync(path.join(dir, "MANIFEST-999998"), "old");
    const e2 = await open(dir, SMALL);
    expect(fs.existsSync(path.join(dir, "999999.sst"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "MANIFEST-999998"))).toBe(false);
    expect(e2.get(b("k199"))).toEqual(Buffer.alloc(100, 1));
    await e2.close();
  });
});

describe("manifest damage", () => {
  async function populated(): Promise<string> {
    const dir = tmp();
    const e = await open(dir, SMALL);
    for (let i = 0; i < 300; i++) await e.put(b(`k${i}`), Buffer.alloc(80, 2));
    await e.flush();
    await e.close();
    return dir;
  }

  it("refuses to start on a corrupt manifest, naming it", async () => {
    const dir = await populated();
    const name = fs.readFileSync(path.join(dir, "CURRENT"), "latin1").trim();
    const file = path.join(dir, name);
    const data = fs.readFileSync(file);
    data[20] ^= 0xff;
    fs.writeFileSync(file, data);
    await expect(open(dir, SMALL)).rejects.toThrow(new RegExp(`corruption in ${name}`));
  });

  it("refuses to start when CURRENT names a missing manifest or a table is missing", async () => {
    const dir = await populated();
    const sst = fs.readdirSync(dir).find((f) => f.endsWith(".sst")) as string;
    fs.unlinkSync(path.join(dir, sst));
    await expect(open(dir, SMALL)).rejects.toThrow(new RegExp(`${sst}, which is missing`));
    fs.writeFileSync(path.join(dir, "CURRENT"), "MANIFEST-777777\n");
    await expect(open(dir, SMALL)).rejects.toThrow(/MANIFEST-777777, which does not exist/);
  });
});

describe("crashes during flush, compaction and manifest install", () => {
  const points: Array<[FaultOp, RegExp, number]> = [
    ["openSync", /\.sst$/, 1],
    ["writeSync", /\.sst$/, 1],
    ["writeSync", /\.sst$/, 3],
    ["fsyncSync", /\.sst$/, 1],
    ["fsyncSync", /\.sst$/, 4],
    ["syncDir", /./, 3],
    ["writeSync", /^MANIFEST/, 2],
    ["fdatasync", /^MANIFEST/, 1],
    ["fdatasync", /^MANIFEST/, 3],
    ["unlinkSync", /\.log$/, 1],
    ["unlinkSync", /\.sst$/, 1],
    ["fdatasync", /\.log$/, 40],
  ];

  it.each(points)("loses no acknowledged write when %s on %s fails (call %d), then power is cut", async (op, match, nth) => {
    const dir = tmp();
    const ffs = new FaultFs();
    const e = await open(dir, { ...SMALL, walSync: "always", fs: ffs });
    ffs.failAt(op, match, nth);
    const acked = new Map<string, string | null>();
    const attempted = new Map<string, Set<string | null>>();
    let i = 0;
    // Writers keep going until the fault fires (plus a little), with flushes and compactions along the way.
    while (i < 3000 && !(ffs.tripped && i % 50 === 0)) {
      const batch: Array<Promise<void>> = [];
      for (let j = 0; j < 20; j++, i++) {
        const k = `k${i % 400}`;
        const v = i % 9 === 0 ? null : `v${i}`;
        const set = attempted.get(k) ?? new Set();
        set.add(v);
        attempted.set(k, set);
        const p = v === null ? e.del(b(k)) : e.put(b(k), b(v));
        batch.push(
          p.then(
            () => void acked.set(k, v),
            () => undefined,
          ),
        );
      }
      await Promise.all(batch);
      if (i % 400 === 0) await e.compactAll().catch(() => undefined);
    }
    expect(ffs.tripped).toBe(true);
    ffs.crash();
    const e2 = await open(dir, SMALL);
    try {
      for (const [k, v] of acked) {
        const got = e2.get(b(k));
        const now = got === undefined ? null : got.toString();
        // The acknowledged value, or a later write of the same key that reached the log before the crash.
        if (now !== v) expect(attempted.get(k)?.has(now)).toBe(true);
      }
      // Nothing that was never written appears.
      for (const [k, v] of e2.iterate()) expect(attempted.get(k.toString())?.has(v.toString())).toBe(true);
    } finally {
      await e2.close();
    }
  });
});

describe("options", () => {
  it("refuses a memtable over 4 GiB before touching the directory", async () => {
    const dir = path.join(tmp(), "data");
    await expect(open(dir, { memtableSize: 5 * 1024 * 1024 * 1024 })).rejects.toThrow(/memtableSize must be between 1 byte and 4 GiB/);
    expect(fs.existsSync(dir)).toBe(false);
    const e = await open(dir, { memtableSize: 4 * 1024 * 1024 * 1024 });
    await e.close();
  });
});

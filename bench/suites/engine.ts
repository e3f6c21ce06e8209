// Engine suite: the embedded API beside classic-level (LevelDB) and lmdb, same keys, same values, same run.
import * as fs from "node:fs";
import type { CaseResult } from "../lib/report";
import { tmpDir } from "../lib/proc";
import { open } from "../../src/engine/engine";
import { ENTRY_OVERHEAD, KEY_OVERHEAD } from "../../src/engine/memtable/skiplist";
import type { SuiteContext } from "./server";

interface Store {
  name: string;
  put(k: Buffer, v: Buffer): Promise<void> | void;
  /** Writes a batch of puts as the store's natural unit (one WAL group / one transaction). */
  putMany(pairs: Array<[Buffer, Buffer]>): Promise<void>;
  get(k: Buffer): Promise<Buffer | undefined> | Buffer | undefined;
  /** Reads up to `limit` entries in key order from `from` (all when undefined); returns how many. */
  scan(from: Buffer | undefined, limit: number): Promise<number> | number;
  /** Called between the fill and the reads (tskv on disk: flush, so reads come from tables). */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

async function tskvStore(dir: string, _dataBytes: number): Promise<Store> {
  return tskvWith(dir, "tskv", { walSync: "no" });
}

/**
 * tskv with a memtable that holds a tenth of the entries (sized by the memtable's own accounting of a write-only fill:
 * the key, the value, and the per-key and per-version overheads), flushed before the reads: every read goes to
 * SSTables.
 */
async function tskvDiskStore(dir: string, dataBytes: number): Promise<Store> {
  const entries = dataBytes / 116; // 16-byte keys, 100-byte values
  const perEntry = 16 + 100 + KEY_OVERHEAD + ENTRY_OVERHEAD;
  return tskvWith(dir, "tskv (10× memtable)", { walSync: "no", memtableSize: Math.max(1 << 20, Math.floor(entries / 10) * perEntry) }, true);
}

async function tskvWith(dir: string, name: string, opts: Parameters<typeof open>[1], flush = false): Promise<Store> {
  const e = await open(dir, opts);
  return {
    name,
    settle: flush ? () => e.flush() : undefined,
    put: (k, v) => {
      e.apply([{ type: "put", key: k, value: v }]);
    },
    // One atomic batch through the public write(), as classic-level's batch() and lmdb's transaction.
    putMany: (pairs) => e.write(pairs.map(([key, value]) => ({ type: "put" as const, key, value }))),
    get: (k) => e.get(k),
    scan: (from, limit) => {
      let n = 0;
      for (const _ of e.iterate({ gte: from, limit })) n++;
      return n;
    },
    close: () => e.close(),
  };
}

async function levelStore(dir: string, _dataBytes: number): Promise<Store | undefined> {
  let mod: { ClassicLevel: new (dir: string, opts: object) => any };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("classic-level");
  } catch {
    return undefined;
  }
  const db = new mod.ClassicLevel(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
  await db.open();
  return {
    name: "classic-level",
    put: (k, v) => db.put(k, v),
    putMany: (pairs) => db.batch(pairs.map(([key, value]) => ({ type: "put", key, value }))),
    // classic-level 3 has a synchronous get; the 216 k/s reference is sync gets.
    get: (k) => (typeof db.getSync === "function" ? db.getSync(k) : db.get(k)),
    scan: async (from, limit) => {
      let n = 0;
      const it = db.iterator(from ? { gte: from, limit } : { limit });
      for await (const _ of it) n++;
      return n;
    },
    close: () => db.close(),
  };
}

async function lmdbStore(dir: string, _dataBytes: number): Promise<Store | undefined> {
  let mod: { open: (opts: object) => any };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("lmdb");
  } catch {
    return undefined;
  }
  const db = mod.open({ path: dir, keyEncoding: "binary", encoding: "binary", noSync: true });
  return {
    name: "lmdb",
    put: (k, v) => db.put(k, v),
    putMany: async (pairs) => {
      await db.transaction(() => {
        for (const [k, v] of pairs) db.put(k, v);
      });
    },
    get: (k) => db.get(k),
    scan: (from, limit) => {
      let n = 0;
      for (const _ of db.getRange(from ? { start: from, limit } : { limit })) n++;
      return n;
    },
    close: () => db.close(),
  };
}

function key(i: number): Buffer {
  return Buffer.from(String(i).padStart(16, "0"));
}

export async function engineSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const n = ctx.quick ? 100_000 : 1_000_000;
  const value = Buffer.alloc(100, 0x61);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const results: CaseResult[] = [];
  const makers = [tskvStore, tskvDiskStore, levelStore, lmdbStore];
  for (const make of makers) {
    for (let r = 0; r < ctx.repeats; r++) {
      const dir = tmpDir("tskv-engine-bench-");
      const store = await make(dir, n * 116);
      if (!store) {
        ctx.skip(`engine suite: ${make.name} not installed`);
        fs.rmSync(dir, { recursive: true, force: true });
        break;
      }
      const time = async (workload: string, fn: () => Promise<void>, ops: number): Promise<void> => {
        ctx.progress(`engine ${workload} ${store.name} #${r + 1}`);
        const t0 = process.hrtime.bigint();
        await fn();
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        let c = results.find((x) => x.workload === workload && x.system === store.name);
        if (!c) results.push((c = { suite: "engine", workload, system: store.name, samples: [] }));
        c.samples.push({ rps: ops / secs });
      };
      const BATCH = 1000;
      await time(`fillrandom ${n} x 100 B`, async () => {
        for (let i = 0; i < n; i += BATCH) await store.putMany(order.slice(i, i + BATCH).map((k) => [key(k), value]));
      }, n);
      await store.settle?.();
      await time(`readrandom ${n}`, async () => {
        for (let i = 0; i < n; i++) {
          const v = await store.get(key(order[(i * 7919) % n]));
          if (!v) throw new Error(`${store.name}: missing key`);
        }
      }, n);
      await time(`readseq ${n}`, async () => {
        const got = await store.scan(undefined, n);
        if (got !== n) throw new Error(`${store.name}: readseq saw ${got} of ${n}`);
      }, n);
      const scans = ctx.quick ? 2000 : 20000;
      await time(`range scan 100 keys (x${scans})`, async () => {
        for (let i = 0; i < scans; i++) await store.scan(key(order[(i * 7919) % n]), 100);
      }, scans);
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      // fillseq: a fresh store, keys in ascending order.
      const dir2 = tmpDir("tskv-engine-bench-");
      const seq = await make(dir2, n * 116);
      if (seq) {
        await time(`fillseq ${n} x 100 B`, async () => {
          for (let i = 0; i < n; i += BATCH) {
            const pairs: Array<[Buffer, Buffer]> = [];
            for (let k = i; k < Math.min(n, i + BATCH); k++) pairs.push([key(k), value]);
            await seq.putMany(pairs);
          }
        }, n);
        await seq.close();
      }
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  }
  return results;
}

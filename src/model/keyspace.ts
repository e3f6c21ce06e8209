// The keyspace: every user key's META entry (type, expiry, payload) over the engine, with Redis's visibility rules
// (an expired key is absent at once), an exact live-key count, an in-memory expiry index with active expiry, and
// the cross-type key operations (DEL, RENAME, SCAN, …). Type families (strings here, series in src/model/series/)
// build their values on top.
import type { BatchOp, EngineApi, Snapshot } from "../engine/types";
import { hash32 } from "../engine/sst/bloom";
import type { Glob } from "./glob";
import { META_RANGE, metaKey, Prefix, scratchMetaKey, TypeTag, TypeTagValue, userKeyOfMeta, writeMetaKey } from "./keys";
import { INLINE_MAX } from "../engine/memtable/arena";
import { BufferViews } from "../util/bytes";
import { decodeMeta, encodeMeta, encodeMetaInto, Meta, META_HEADER } from "./meta";

/** Hooks a type family registers to clean up or move its own entries when a key of its type goes or moves. */
export interface TypeHooks {
  /** Extra ops when a key of this type is deleted or overwritten by another type. */
  onDelete?(key: Buffer, meta: Meta): BatchOp[];
  /** Extra ops when a key of this type is renamed. */
  onRename?(from: Buffer, to: Buffer, meta: Meta): BatchOp[];
  /** Every key is gone (FLUSHALL). */
  onFlushAll?(): void;
}

/** A binary min-heap of (expireAt, key) with lazy invalidation against `expires`. */
class ExpiryHeap {
  private readonly items: Array<[number, string]> = [];

  push(at: number, key: string): void {
    const a = this.items;
    a.push([at, key]);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent][0] <= a[i][0]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  peek(): [number, string] | undefined {
    return this.items[0];
  }

  pop(): [number, string] | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as [number, string];
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l][0] < a[m][0]) m = l;
        if (r < a.length && a[r][0] < a[m][0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }

  get size(): number {
    return this.items.length;
  }

  clear(): void {
    this.items.length = 0;
  }
}

/** Bounded table of SCAN cursors: a numeric cursor (what clients send back) names the last key returned. */
class CursorTable {
  private readonly map = new Map<string, Buffer>();
  private next = 1;

  constructor(private readonly capacity = 16384) {}

  put(lastKey: Buffer): string {
    const id = String(this.next++);
    this.map.set(id, lastKey);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return id;
  }

  /** The key a cursor resumes after; null = from the start (cursor 0 or a cursor forgotten by the table). */
  get(id: string): Buffer | null {
    return this.map.get(id) ?? null;
  }
}

/** Type families that attach to every keyspace as it loads (a family registers its hooks there). */
const families: Array<(ks: Keyspace) => void> = [];

/** Runs `init` on every keyspace loaded from now on (called once, when a family's module loads). */
export function onKeyspaceLoad(init: (ks: Keyspace) => void): void {
  families.push(init);
}

export interface ScanOptions {
  /** Keys not matching are visited but not returned (absent: every key). */
  match?: Glob;
  count: number;
  type?: string;
}

/** Scratch of Keyspace.prefetch: META keys are hashed here (keys longer than it are not hinted). */
const prefetchKey = Buffer.allocUnsafe(1024);
/** Where store() builds a META value the engine copies (grown up to 64 KiB). */
let metaScratch = Buffer.allocUnsafe(1024);
const metaViews = new BufferViews();
metaViews.of(metaScratch);
const prefetchHashes = new Int32Array(1024);

export class Keyspace {
  private live = 0;
  private readonly expires = new Map<string, number>();
  private readonly heap = new ExpiryHeap();
  private readonly hooks = new Map<TypeTagValue, TypeHooks>();
  private readonly cursors = new CursorTable();
  /**
   * Every user key that holds a series, and perhaps some that no longer do (latin1 → key): found by the load scan,
   * then added by commit() for each batch that puts a series' META entry, and pruned by lookups once it has doubled.
   * So a full compaction's series pass reads the series alone instead of walking every key (3 M string keys took
   * seconds of the loop's time). It must never miss a series: the pass takes what it lacks for dead.
   */
  private readonly seriesNames = new Map<string, Buffer>();
  private pruneSeriesAt = 1024;
  private timer: NodeJS.Timeout | undefined;
  /** Read lookups that found their key, and those that did not (INFO stats' keyspace_hits / keyspace_misses). */
  hits = 0;
  misses = 0;
  /** Keys deleted because their time had come, at load and by the active cycle (INFO stats' expired_keys). */
  expiredKeys = 0;
  /** For tests: a clock that can be moved. */
  now: () => number = Date.now;

  private constructor(readonly engine: EngineApi) {}

  /** Loads the live-key count and the expiry index with one scan of the META range (cost: one pass over keys). */
  static load(engine: EngineApi, opts: { activeExpiry?: boolean } = {}): Keyspace {
    const ks = new Keyspace(engine);
    for (const init of families) init(ks);
    const now = ks.now();
    const expired: Buffer[] = [];
    // Views, valid during each call: only what is kept (expiring and series keys) is copied.
    engine.scan({ gte: META_RANGE.gte, lt: META_RANGE.lt }, (k, v) => {
      const meta = decodeMeta(v);
      if (!meta) return;
      if (meta.expireAt !== 0 && meta.expireAt <= now) {
        expired.push(Buffer.from(userKeyOfMeta(k)));
        return;
      }
      ks.live++;
      if (meta.expireAt !== 0) ks.trackExpiry(userKeyOfMeta(k), meta.expireAt);
      if (meta.type === TypeTag.SERIES) {
        const key = userKeyOfMeta(k);
        ks.seriesNames.set(key.toString("latin1"), Buffer.from(key));
      }
    });
    if (expired.length > 0) engine.apply(expired.map((k) => ({ type: "del", key: metaKey(k) })));
    ks.expiredKeys = expired.length;
    if (opts.activeExpiry !== false) {
      ks.timer = setInterval(() => ks.expireCycle(1000), 100);
      ks.timer.unref();
    }
    return ks;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  registerType(type: TypeTagValue, hooks: TypeHooks): void {
    this.hooks.set(type, hooks);
  }

  // ---- lookups -----------------------------------------------------------------------------------------------

  /** The key's META if it exists and has not expired. */
  lookup(key: Buffer): Meta | undefined {
    const v = this.engine.get(scratchMetaKey(key));
    if (!v) return undefined;
    const meta = decodeMeta(v);
    if (!meta) return undefined;
    if (meta.expireAt !== 0 && meta.expireAt <= this.now()) return undefined;
    return meta;
  }

  /** lookup() for a command that reads the key (GET, MGET, EXISTS, TYPE, TTL, …): counted as a hit or a miss. */
  lookupRead(key: Buffer): Meta | undefined {
    const meta = this.lookup(key);
    if (meta) this.hits++;
    else this.misses++;
    return meta;
  }

  /**
   * A hint before a batch of commands runs: each command's first argument after the name is taken for a key (true
   * of nearly every command; where it is not, the hint is a wasted read) and its META entry's lookup is prefetched.
   */
  prefetch(batch: Buffer[][], n: number): void {
    const hashes = prefetchHashes;
    const scratch = prefetchKey;
    let m = 0;
    for (let i = 0; i < n && m < hashes.length; i++) {
      const args = batch[i];
      if (args.length < 2) continue;
      const key = args[1];
      if (key.length >= scratch.length) continue;
      hashes[m++] = hash32(scratch, 0, writeMetaKey(scratch, 0, key));
    }
    if (m > 1) this.engine.prefetch(hashes, m);
  }

  /** Number of live keys (expired keys are removed first, so the figure is exact). */
  dbsize(): number {
    this.expireCycle(Infinity);
    // Keys past their expiry that could not be deleted yet (writes refused) are not counted.
    const now = this.now();
    const top = this.heap.peek();
    if (!top || top[0] > now) return this.live;
    let pending = 0;
    for (const at of this.expires.values()) if (at <= now) pending++;
    return this.live - pending;
  }

  /**
   * The expiry of a key known to exist (0: none), from the in-memory expiry index, by the key's latin1 form: what a
   * type family that keeps its values in memory asks instead of reading the key's META entry.
   */
  expireAtOf(id: string): number {
    return this.expires.size === 0 ? 0 : (this.expires.get(id) ?? 0);
  }

  /** Keys with an expiry, for INFO keyspace. */
  get expiresCount(): number {
    return this.expires.size;
  }

  /**
   * INFO keyspace's avg_ttl: the mean time left (ms) of the keys with an expiry, over at most the first `sample` of
   * them in the index (Redis estimates it from the keys its expiry cycle samples); 0 when none has one.
   */
  avgTtl(sample = 10000): number {
    const now = this.now();
    let sum = 0;
    let n = 0;
    for (const at of this.expires.values()) {
      if (at > now) {
        sum += at - now;
        n++;
      }
      if (n >= sample) break;
    }
    return n === 0 ? 0 : Math.round(sum / n);
  }

  // ---- writes: each returns the ops to apply; `commit` applies them and keeps the counts -------------------

  /** Applies ops built by the helpers below; `delta` is the change in live keys. Returns the batch sequence. */
  commit(ops: BatchOp[], delta: number): bigint {
    const seq = this.engine.apply(ops);
    this.live += delta;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.type === "put" && op.key[0] === Prefix.META && op.value[0] === TypeTag.SERIES) this.noteSeries(op.key);
    }
    return seq;
  }

  private noteSeries(engineKey: Buffer): void {
    const id = engineKey.toString("latin1", 1);
    if (this.seriesNames.has(id)) return;
    this.seriesNames.set(id, Buffer.from(userKeyOfMeta(engineKey)));
    if (this.seriesNames.size < this.pruneSeriesAt) return;
    // Drop the names that hold no series now (deleted, renamed, replaced, expired); a key that becomes a series
    // again is added again by the batch that makes it one.
    for (const [name, key] of this.seriesNames) if (this.lookup(key)?.type !== TypeTag.SERIES) this.seriesNames.delete(name);
    this.pruneSeriesAt = Math.max(1024, 2 * this.seriesNames.size);
  }

  /** Every key holding an unexpired series at `snapshot` (now when absent), in key order. */
  seriesKeys(snapshot?: Snapshot): Array<[Buffer, Meta]> {
    const now = this.now();
    const out: Array<[Buffer, Meta]> = [];
    for (const key of this.seriesNames.values()) {
      const v = this.engine.get(metaKey(key), snapshot);
      const meta = v && decodeMeta(v);
      if (!meta || meta.type !== TypeTag.SERIES || (meta.expireAt !== 0 && meta.expireAt <= now)) continue;
      out.push([key, meta]);
    }
    return out.sort((a, b) => Buffer.compare(a[0], b[0]));
  }

  /**
   * Ops that make `key` hold `type`/`payload` with `expireAt`, replacing whatever it held (an old value of another
   * type is cleaned up through its hooks). Returns [ops, live-key delta].
   */
  writeOps(key: Buffer, type: TypeTagValue, expireAt: number, payload: Buffer, old: Meta | undefined): [BatchOp[], number] {
    const ops: BatchOp[] = [];
    if (old && old.type !== type) ops.push(...(this.hooks.get(old.type)?.onDelete?.(key, old) ?? []));
    ops.push({ type: "put", key: metaKey(key), value: encodeMeta(type, expireAt, payload) });
    this.setExpiryIndex(key, expireAt);
    return [ops, old ? 0 : 1];
  }

  /**
   * writeOps() and commit() in one step for the common write (the key is new or holds `type` already: no other
   * type's entries to clean up), as one put without batch objects; the META value is built in a scratch buffer when
   * the engine copies it (up to 64 KiB). Returns the write's sequence.
   */
  store(key: Buffer, type: TypeTagValue, expireAt: number, payload: Buffer, old: Meta | undefined): bigint {
    if (old && old.type !== type) {
      const [ops, delta] = this.writeOps(key, type, expireAt, payload, old);
      return this.commit(ops, delta);
    }
    const mk = scratchMetaKey(key);
    const size = META_HEADER + payload.length;
    let value: Buffer;
    if (size <= INLINE_MAX) {
      if (metaScratch.length < size) {
        metaScratch = Buffer.allocUnsafe(Math.min(INLINE_MAX, Math.max(size, 2 * metaScratch.length)));
        metaViews.of(metaScratch);
      }
      value = metaViews.scratchView(encodeMetaInto(metaScratch, type, expireAt, payload));
    } else value = encodeMeta(type, expireAt, payload);
    const seq = this.engine.applyPut(mk, value);
    if (!old) this.live++;
    this.setExpiryIndex(key, expireAt);
    if (type === TypeTag.SERIES) this.noteSeries(mk);
    return seq;
  }

  deleteOps(key: Buffer, old: Meta): BatchOp[] {
    const ops: BatchOp[] = [...(this.hooks.get(old.type)?.onDelete?.(key, old) ?? [])];
    ops.push({ type: "del", key: metaKey(key) });
    this.setExpiryIndex(key, 0);
    return ops;
  }

  /** Deletes keys that exist; returns [how many, sequence of the batch or undefined when none]. */
  del(keys: Buffer[]): [number, bigint | undefined] {
    const ops: BatchOp[] = [];
    const seen = new Set<string>();
    let n = 0;
    for (const key of keys) {
      const id = key.toString("latin1");
      if (seen.has(id)) continue;
      seen.add(id);
      const old = this.lookup(key);
      if (!old) continue;
      ops.push(...this.deleteOps(key, old));
      n++;
    }
    if (n === 0) return [0, undefined];
    return [n, this.commit(ops, -n)];
  }

  /** Sets a new expiry (0 = persist) on an existing key, keeping its value. */
  setExpireOps(key: Buffer, meta: Meta, expireAt: number): BatchOp[] {
    this.setExpiryIndex(key, expireAt);
    return [{ type: "put", key: metaKey(key), value: encodeMeta(meta.type, expireAt, meta.payload) }];
  }

  /** RENAME: moves the value and its expiry; `dst`'s old value is replaced. */
  rename(src: Buffer, dst: Buffer, meta: Meta): bigint {
    const old = this.lookup(dst);
    const ops: BatchOp[] = [];
    if (old) ops.push(...(this.hooks.get(old.type)?.onDelete?.(dst, old) ?? []));
    ops.push(...(this.hooks.get(meta.type)?.onRename?.(src, dst, meta) ?? []));
    ops.push({ type: "del", key: metaKey(src) }, { type: "put", key: metaKey(dst), value: encodeMeta(meta.type, meta.expireAt, meta.payload) });
    this.setExpiryIndex(src, 0);
    this.setExpiryIndex(dst, meta.expireAt);
    return this.commit(ops, old ? -1 : 0);
  }

  /** Deletes every entry of the engine (FLUSHALL). Returns the last batch's sequence. */
  flushAll(): bigint | undefined {
    let seq: bigint | undefined;
    let batch: BatchOp[] = [];
    for (const [k] of this.engine.iterate()) {
      batch.push({ type: "del", key: k });
      if (batch.length >= 4096) {
        seq = this.engine.apply(batch);
        batch = [];
      }
    }
    if (batch.length > 0) seq = this.engine.apply(batch);
    this.live = 0;
    for (const h of this.hooks.values()) h.onFlushAll?.();
    this.seriesNames.clear();
    this.expires.clear();
    this.heap.clear();
    return seq;
  }

  // ---- expiry ------------------------------------------------------------------------------------------------

  private setExpiryIndex(key: Buffer, expireAt: number): void {
    // With no key under an expiry there is nothing to forget (the common SET: no string made, no map touched).
    if (expireAt === 0) {
      if (this.expires.size > 0) this.expires.delete(key.toString("latin1"));
    } else {
      this.trackExpiry(key, expireAt);
    }
  }

  private trackExpiry(key: Buffer, at: number): void {
    const id = key.toString("latin1");
    this.expires.set(id, at);
    this.heap.push(at, id);
  }

  /** Active expiry: deletes up to `max` keys whose time has come. Returns how many it deleted. */
  expireCycle(max: number): number {
    // Writes refused for now (stalled at the memtable's hard limit): expired keys stay invisible and go later.
    if (!this.engine.writable) return 0;
    const now = this.now();
    const ops: BatchOp[] = [];
    const taken: Array<[number, string]> = [];
    let n = 0;
    while (n < max) {
      const top = this.heap.peek();
      if (!top || top[0] > now) break;
      this.heap.pop();
      const [at, id] = top;
      if (this.expires.get(id) !== at) continue; // superseded entry
      this.expires.delete(id);
      const key = Buffer.from(id, "latin1");
      const v = this.engine.get(metaKey(key));
      const meta = v ? decodeMeta(v) : undefined;
      if (!meta || meta.expireAt !== at) continue;
      ops.push(...(this.hooks.get(meta.type)?.onDelete?.(key, meta) ?? []), { type: "del", key: metaKey(key) });
      taken.push(top);
      n++;
    }
    if (n === 0) return 0;
    try {
      this.commit(ops, -n);
    } catch {
      // The engine refused the batch (disk full, read-only): nothing was applied, so the keys go back to the index
      // for a later cycle (this runs from a timer, where a throw would take the server down).
      for (const [at, id] of taken) {
        this.expires.set(id, at);
        this.heap.push(at, id);
      }
      return 0;
    }
    this.expiredKeys += n;
    return n;
  }

  // ---- iteration ---------------------------------------------------------------------------------------------

  /** Live keys in key order, optionally after `after`, as of `snapshot` (default now), expiry judged at `now`. */
  *keys(after: Buffer | null = null, snapshot?: Snapshot, now = this.now()): IterableIterator<[Buffer, Meta]> {
    const range = after ? { gt: metaKey(after), lt: META_RANGE.lt, snapshot } : { gte: META_RANGE.gte, lt: META_RANGE.lt, snapshot };
    for (const [k, v] of this.engine.iterate(range)) {
      const meta = decodeMeta(v);
      if (!meta || (meta.expireAt !== 0 && meta.expireAt <= now)) continue;
      yield [userKeyOfMeta(k), meta];
    }
  }

  /**
   * SCAN: visits up to `count` keys after the cursor's position in key order. A full iteration returns every key
   * that exists throughout it (keys are visited in order and the cursor remembers the last one).
   */
  scan(cursor: string, opts: ScanOptions): { cursor: string; keys: Buffer[] } {
    const after = cursor === "0" ? null : this.cursors.get(cursor);
    const out: Buffer[] = [];
    let visited = 0;
    let last: Buffer | null = null;
    for (const [key, meta] of this.keys(after)) {
      visited++;
      last = key;
      const name = meta.type === TypeTag.STRING ? "string" : "tsdb-type";
      if ((!opts.match || opts.match.matches(key)) && (!opts.type || opts.type === name)) out.push(key);
      if (visited >= opts.count) return { cursor: this.cursors.put(last), keys: out };
    }
    return { cursor: "0", keys: out };
  }

  /** A random live key: seeks to a random point in the key space and takes the next key (wrapping). */
  randomKey(): Buffer | undefined {
    if (this.live === 0) return undefined;
    const probe = Buffer.from([Math.floor(Math.random() * 256), Math.floor(Math.random() * 256)]);
    for (const [k] of this.keys(probe)) return k;
    for (const [k] of this.keys(null)) return k;
    return undefined;
  }
}

export { Prefix };

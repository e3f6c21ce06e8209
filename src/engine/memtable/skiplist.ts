// The memtable: a skiplist of user keys in bytewise order, each key holding its versions newest first, plus a hash
// index from key to key. Point reads and updates of existing keys go through the index (no search); only a key seen
// for the first time pays the ordered insert. Every version stays until the memtable is dropped, so a snapshot (a
// sequence number) sees the newest version at or below it. A delete is a version whose value is null (a tombstone).
//
// The point path touches few cache lines, and no object: it was bound by memory latency (a Map of latin1 strings,
// then the node, the version and the value, each a miss; 18 % of a GET at pipeline 1 was the Map lookup alone).
// - The index is open addressing over an Int32Array of [hash32, key number + 1] pairs (linear probing, at most half
//   full), so a probe is one cache line.
// - A key number's record, [newest version, key slab, key offset, key length], is four ints of one Int32Array; the
//   key's bytes sit in a key slab, where the probe compares them.
// - A version is 32 bytes of one ArrayBuffer: its sequence (f64) and [next older version, value slab, offset,
//   length] (i32). Values up to SLAB_BIG bytes are copied into 1 MiB value slabs, appended to and never rewritten,
//   so an overwrite allocates nothing the garbage collector must trace or move.
// The skiplist's nodes (MemNode: the key's latin1 string, its number, its links) serve ordered reads only.
//
// A key seen for the first time is only indexed at once; it is linked into the ordered list lazily, by the first
// ordered read after it (seek, reverse step, full walk), so a write-only stretch pays no ordered insert at all and
// point reads never do. Pending keys are sorted first, so linking them walks the list mostly forward.
//
// Keys are compared as latin1 strings (one byte per char, so string order is byte order): V8 compares flat
// one-byte strings natively, which measured faster than Buffer#compare or a JS byte loop.
import { hash32 } from "../sst/bloom";

const MAX_LEVEL = 20;
/** Pending keys from which a bulk ordering (sort, merge, relink) replaces one search per key. */
const BULK_MIN = 1024;
/** Keys sorted per step of a stepwise ordering (about 5 ms of work). */
const STEP = 16384;

function byId(a: MemNode, b: MemNode): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
/**
 * Heap bytes charged per version on top of its value (its 32 bytes, with the version buffer's growth slack), and per
 * key on top of its bytes (its node, links, key view and latin1 id — a second copy of the key —, its record and
 * index slots). Measured with `node --expose-gc` over 300 000 keys of 17 bytes, values of 10, 109 and 1000 bytes,
 * one and three versions a key (see CHANGELOG).
 */
export const ENTRY_OVERHEAD = 48;
export const KEY_OVERHEAD = 240;

/** Slabs: values (and keys) up to SLAB_BIG bytes are copied into the current slab; bigger ones get one of their own. */
const SLAB = 1 << 20;
const SLAB_BIG = 64 << 10;
/** No version: the end of a chain. No key: an index miss. */
const NONE = -1;
/** The slab number of a tombstone. */
const TOMBSTONE = -1;
/** An index slot once used by a key that was removed (probes go past it). */
const DELETED = -1;

export interface MemNode {
  /** The key's bytes as a latin1 string (its order is the keys' byte order). */
  readonly id: string;
  /** The key's number (its record), or -1 once removed. */
  no: number;
  next: Array<MemNode | null>;
}

/** Where writeReadable() puts entries: key kb[ko, ko + kl), value vb[vo, vo + vl) or null for a tombstone. */
export interface EntrySink {
  add(kb: Uint8Array, ko: number, kl: number, seq: number, vb: Uint8Array | null, vo: number, vl: number): void;
}

export interface Entry {
  readonly key: Buffer;
  readonly seq: number;
  readonly value: Buffer | null;
}

/** Append-only byte slabs: small byte strings are copied into 1 MiB slabs, big ones get a slab of their own. */
class Slabs {
  readonly list: Buffer[] = [];
  private cur: Buffer | null = null;
  private curNo = -1;
  private used = 0;
  /** Where add() put its bytes. */
  slab = 0;
  off = 0;

  /** Copies `b` in (or keeps it, if big and `own`) and sets slab/off. */
  add(b: Uint8Array, own: boolean): void {
    const n = b.length;
    if (n > SLAB_BIG) {
      this.list.push(own && Buffer.isBuffer(b) ? b : Buffer.from(b));
      this.slab = this.list.length - 1;
      this.off = 0;
      return;
    }
    let cur = this.cur;
    if (cur === null || this.used + n > SLAB) {
      cur = this.cur = Buffer.allocUnsafeSlow(SLAB);
      this.list.push(cur);
      this.curNo = this.list.length - 1;
      this.used = 0;
    }
    const off = this.used;
    if (n <= 32) for (let i = 0; i < n; i++) cur[off + i] = b[i];
    else cur.set(b, off);
    this.used = off + n;
    this.slab = this.curNo;
    this.off = off;
  }
}

/** Bytewise order of two byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export class SkipList {
  private readonly head: MemNode = { id: "", no: NONE, next: new Array(MAX_LEVEL).fill(null) };
  /** The hash index: [hash32, key number + 1] pairs; 0 = never used, DELETED = used by a removed key. */
  private slots = new Int32Array(2 * 1024);
  private slotsUsed = 0;
  /** Key records, four ints per key number: newest version, key slab, key offset, key length. */
  private recs = new Int32Array(4 * 1024);
  private nodes: MemNode[] = [];
  private liveKeys = 0;
  private readonly keys = new Slabs();
  /** Versions, 32 bytes each: sequence (f64 at [v * 4]) and next, slab, offset, length (i32 at [v * 8 + 2 ..]). */
  private vSeq = new Float64Array(4 * 1024);
  private vInt = new Int32Array(this.vSeq.buffer);
  private vCount = 0;
  private readonly values = new Slabs();
  /** Keys indexed but not yet linked into the ordered list. */
  private fresh: MemNode[] = [];
  private level = 1;
  private versions = 0;
  private bytes = 0;
  private readonly update: MemNode[] = new Array(MAX_LEVEL).fill(this.head);
  /** A stepwise bulk ordering under way (orderInSteps), or null. */
  private ordering: Generator<void, void> | null = null;

  /** Number of versions held. */
  get size(): number {
    return this.versions;
  }

  /** Number of distinct keys. */
  get keyCount(): number {
    return this.liveKeys;
  }

  /** Approximate heap held: keys and values plus the measured per-key and per-version overheads. */
  get approximateBytes(): number {
    return this.bytes;
  }

  private randomLevel(): number {
    let lvl = 1;
    while (lvl < MAX_LEVEL && Math.random() < 0.25) lvl++;
    return lvl;
  }

  /** Last node with id < `id` at each level into `update`; returns the level-0 successor. */
  private findGE(id: string, fillUpdate: boolean): MemNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i];
      while (nx !== null && nx.id < id) {
        x = nx;
        nx = x.next[i];
      }
      if (fillUpdate) this.update[i] = x;
    }
    return x.next[0];
  }

  /** The key number of `key` (whose hash32 is `h`), or NONE. */
  private find(key: Uint8Array, h: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const recs = this.recs;
    const n = key.length;
    const hs = h | 0; // as the Int32Array holds it
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i + 1];
      if (s === 0) return NONE;
      if (s === DELETED || slots[2 * i] !== hs) continue;
      const no = s - 1;
      if (recs[4 * no + 3] !== n) continue;
      const slab = this.keys.list[recs[4 * no + 1]];
      const off = recs[4 * no + 2];
      let k = 0;
      while (k < n && slab[off + k] === key[k]) k++;
      if (k === n) return no;
    }
  }

  /** Puts [h, no + 1] in the first free slot of h's probe sequence. */
  private place(h: number, no: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = h & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = h;
    slots[2 * i + 1] = no + 1;
  }

  /** Doubles the index (dropping DELETED slots) once it would pass half full. */
  private growIndex(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.slotsUsed = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] > 0) {
        this.place(old[i], old[i + 1] - 1);
        this.slotsUsed++;
      }
    }
  }

  /** Adds a version; `seq` must be higher than every earlier sequence of this key. */
  insert(key: Buffer, seq: number, value: Buffer | null): void {
    const v = this.newVersion(seq, value);
    this.versions++;
    this.bytes += (value ? value.length : 0) + ENTRY_OVERHEAD;
    const h = hash32(key);
    const found = this.find(key, h);
    if (found !== NONE) {
      this.vInt[8 * v + 2] = this.recs[4 * found];
      this.recs[4 * found] = v;
      return;
    }
    this.vInt[8 * v + 2] = NONE;
    this.bytes += KEY_OVERHEAD + 2 * key.length;
    const no = this.nodes.length;
    if (4 * no === this.recs.length) {
      const recs = new Int32Array(this.recs.length * 2);
      recs.set(this.recs);
      this.recs = recs;
    }
    this.keys.add(key, false);
    const r = 4 * no;
    this.recs[r] = v;
    this.recs[r + 1] = this.keys.slab;
    this.recs[r + 2] = this.keys.off;
    this.recs[r + 3] = key.length;
    if (2 * (this.slotsUsed + 1) > this.slots.length >> 1) this.growIndex();
    this.place(h, no);
    this.slotsUsed++;
    this.liveKeys++;
    const node: MemNode = { id: key.toString("latin1"), no, next: new Array(this.randomLevel()).fill(null) };
    this.nodes.push(node);
    this.fresh.push(node);
  }

  /** Stores a version's sequence and value; returns its number (its next link is the caller's to set). */
  private newVersion(seq: number, value: Buffer | null): number {
    if (4 * this.vCount === this.vSeq.length) {
      const grown = new Float64Array(this.vSeq.length * 2);
      grown.set(this.vSeq);
      this.vSeq = grown;
      this.vInt = new Int32Array(grown.buffer);
    }
    const v = this.vCount++;
    this.vSeq[4 * v] = seq;
    const r = 8 * v;
    if (value === null) {
      this.vInt[r + 3] = TOMBSTONE;
      return v;
    }
    // Big values are kept as given: the memtable owns the Buffers it is handed (the engine copies what callers pass).
    this.values.add(value, true);
    this.vInt[r + 3] = this.values.slab;
    this.vInt[r + 4] = this.values.off;
    this.vInt[r + 5] = value.length;
    return v;
  }

  /** The sequence number of version `v`. */
  seqOf(v: number): number {
    return this.vSeq[4 * v];
  }

  /** The value of version `v` (a view of the memtable's bytes, which never change), or null for a tombstone. */
  valueOf(v: number): Buffer | null {
    const r = 8 * v;
    const s = this.vInt[r + 3];
    if (s === TOMBSTONE) return null;
    const off = this.vInt[r + 4];
    return this.values.list[s].subarray(off, off + this.vInt[r + 5]);
  }

  /** The key of a node (a view of the memtable's bytes). */
  keyOf(node: MemNode): Buffer {
    const r = 4 * node.no;
    const off = this.recs[r + 2];
    return this.keys.list[this.recs[r + 1]].subarray(off, off + this.recs[r + 3]);
  }

  /** The newest version of a node at or below `maxSeq`, or -1. */
  visible(node: MemNode, maxSeq: number): number {
    return this.visibleFrom(this.recs[4 * node.no], maxSeq);
  }

  private visibleFrom(newest: number, maxSeq: number): number {
    const seqs = this.vSeq;
    const ints = this.vInt;
    for (let v = newest; v !== NONE; v = ints[8 * v + 2]) if (seqs[4 * v] <= maxSeq) return v;
    return NONE;
  }

  /**
   * Links every pending key into the ordered list. A few keys are linked one search each; many (a write-only
   * stretch) are sorted and merged with the list, which is then relinked in one pass (see orderInSteps()).
   */
  private settle(): void {
    if (this.ordering) {
      // A stepwise ordering is under way: finish it now.
      const g = this.ordering;
      while (!g.next().done);
    }
    if (this.fresh.length === 0) return;
    if (this.bulkWorthIt()) {
      const g = this.bulkOrder();
      while (!g.next().done);
      return;
    }
    const pending = this.fresh;
    this.fresh = [];
    pending.sort(byId);
    for (const node of pending) {
      if (node.no === NONE) continue; // removed before it was linked
      this.findGE(node.id, true);
      const lvl = node.next.length;
      if (lvl > this.level) {
        for (let i = this.level; i < lvl; i++) this.update[i] = this.head;
        this.level = lvl;
      }
      for (let i = 0; i < lvl; i++) {
        node.next[i] = this.update[i].next[i];
        this.update[i].next[i] = node;
      }
    }
  }

  private bulkWorthIt(): boolean {
    const n = this.fresh.length;
    return n >= BULK_MIN && n * 8 >= this.liveKeys - n;
  }

  /**
   * Orders the pending keys in steps of bounded work, yielding between them, so a large frozen memtable is ordered
   * for its flush without holding the event loop (a 760 000-key memtable took 2 s in one sort). Any ordered read
   * meanwhile finishes the work at once, so readers never see a half-linked list.
   */
  *orderInSteps(): Generator<void, void> {
    if (!this.ordering) {
      if (this.fresh.length === 0) return;
      if (!this.bulkWorthIt()) {
        this.settle();
        return;
      }
      this.ordering = this.bulkOrder();
    }
    const g = this.ordering;
    while (this.ordering === g) {
      if (g.next().done) return;
      yield;
    }
  }

  /** Sorts the pending keys in runs, merges them with the linked list, relinks every level in one pass. */
  private *bulkOrder(): Generator<void, void> {
    const pending = this.fresh;
    this.fresh = [];
    let runs: MemNode[][] = [];
    const linked: MemNode[] = [];
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) linked.push(n);
    if (linked.length > 0) runs.push(linked);
    for (let i = 0; i < pending.length; i += STEP) {
      const run = pending.slice(i, i + STEP).filter((n) => n.no !== NONE); // removed before linking
      run.sort(byId);
      runs.push(run);
      yield;
    }
    while (runs.length > 1) {
      const merged: MemNode[][] = [];
      for (let r = 0; r + 1 < runs.length; r += 2) {
        const a = runs[r];
        const b = runs[r + 1];
        const out: MemNode[] = new Array(a.length + b.length);
        let i = 0;
        let j = 0;
        let o = 0;
        while (i < a.length && j < b.length) {
          out[o++] = a[i].id < b[j].id ? a[i++] : b[j++];
          if ((o & (STEP - 1)) === 0) yield;
        }
        while (i < a.length) out[o++] = a[i++];
        while (j < b.length) out[o++] = b[j++];
        merged.push(out);
      }
      if (runs.length % 2 === 1) merged.push(runs[runs.length - 1]);
      runs = merged;
    }
    const all = runs.length > 0 ? runs[0] : [];
    const update = this.update;
    for (let i = 0; i < MAX_LEVEL; i++) update[i] = this.head;
    let top = 1;
    for (let k = 0; k < all.length; k++) {
      const node = all[k];
      const lvl = node.next.length;
      if (lvl > top) top = lvl;
      for (let i = 0; i < lvl; i++) {
        update[i].next[i] = node;
        update[i] = node;
      }
    }
    for (let i = 0; i < MAX_LEVEL; i++) update[i].next[i] = null;
    if (top > this.level) this.level = top;
    this.ordering = null;
  }

  /** Removes the version (key, seq) if present (used to undo a batch whose WAL write failed). */
  remove(key: Buffer, seq: number): boolean {
    const h = hash32(key);
    const no = this.find(key, h);
    if (no === NONE) return false;
    const ints = this.vInt;
    let prev = NONE;
    for (let v = this.recs[4 * no]; v !== NONE; prev = v, v = ints[8 * v + 2]) {
      if (this.vSeq[4 * v] !== seq) continue;
      // The version's slab bytes stay (slabs are append-only); only its charge is given back.
      this.versions--;
      this.bytes -= (ints[8 * v + 3] === TOMBSTONE ? 0 : ints[8 * v + 5]) + ENTRY_OVERHEAD;
      const next = ints[8 * v + 2];
      if (prev !== NONE) ints[8 * prev + 2] = next;
      else if (next !== NONE) this.recs[4 * no] = next;
      else this.unlink(key, h, no);
      return true;
    }
    return false;
  }

  /** Takes a key out of the index and the ordered list (its record and bytes stay, unreferenced). */
  private unlink(key: Buffer, h: number, no: number): void {
    const node = this.nodes[no];
    this.settle();
    this.findGE(node.id, true);
    for (let i = 0; i < node.next.length; i++) {
      if (this.update[i].next[i] === node) this.update[i].next[i] = node.next[i];
    }
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = h & mask;
    while (slots[2 * i + 1] !== no + 1) i = (i + 1) & mask;
    slots[2 * i + 1] = DELETED;
    node.no = NONE;
    this.liveKeys--;
    this.bytes -= KEY_OVERHEAD + 2 * key.length;
  }

  /** The newest version of `key` with sequence ≤ maxSeq (a tombstone has value null), or undefined. `h`: its hash32. */
  get(key: Buffer, maxSeq: number, h: number = hash32(key)): Entry | undefined {
    const no = this.find(key, h);
    if (no === NONE) return undefined;
    const v = this.visibleFrom(this.recs[4 * no], maxSeq);
    return v !== NONE ? { key, seq: this.vSeq[4 * v], value: this.valueOf(v) } : undefined;
  }

  /** First node whose key is ≥ `key` (the very first node when key is null). */
  seek(key: Buffer | null): MemNode | null {
    this.settle();
    if (key === null) return this.head.next[0];
    return this.findGE(key.toString("latin1"), false);
  }

  next(node: MemNode): MemNode | null {
    return node.next[0];
  }

  /** The greatest key strictly less than `key` (or the greatest of all when key is null), or undefined. */
  lastKeyBefore(key: Buffer | null): Buffer | undefined {
    this.settle();
    const id = key === null ? null : key.toString("latin1");
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i];
      while (nx !== null && (id === null || nx.id < id)) {
        x = nx;
        nx = x.next[i];
      }
    }
    return x === this.head ? undefined : this.keyOf(x);
  }

  /**
   * Writes the versions someone can read into `sink`, in internal order: each key's newest, and an older one only
   * where a snapshot (a sequence in `snapshots`) lies between it and the next newer version. An overwrite-heavy
   * memtable thus flushes as a table of its live keys (RocksDB does this at flush; LevelDB leaves it to compaction,
   * which keeps its own, coarser smallest-snapshot rule). Bytes go from the slabs to the sink with no view or entry
   * object per version. Yields after every `slice` keys, so a caller can spread a large memtable over loop turns; the
   * memtable must not change meanwhile (a frozen one).
   */
  *writeReadable(snapshots: readonly number[], sink: EntrySink, slice = 8192): Generator<void, void> {
    const snaps = [...new Set(snapshots)].sort((a, b) => a - b);
    /** True when some snapshot s has seq <= s < newer. */
    const readBy = (seq: number, newer: number): boolean => {
      let lo = 0;
      let hi = snaps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (snaps[mid] < seq) lo = mid + 1;
        else hi = mid;
      }
      return lo < snaps.length && snaps[lo] < newer;
    };
    this.settle();
    const recs = this.recs;
    const keySlabs = this.keys.list;
    const valueSlabs = this.values.list;
    const seqs = this.vSeq;
    const ints = this.vInt;
    let done = 0;
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) {
      const r = 4 * n.no;
      const kb = keySlabs[recs[r + 1]];
      const ko = recs[r + 2];
      const kl = recs[r + 3];
      let newer = Infinity;
      for (let v = recs[r]; v !== NONE; v = ints[8 * v + 2]) {
        const seq = seqs[4 * v];
        if (newer === Infinity || (snaps.length > 0 && readBy(seq, newer))) {
          const s = ints[8 * v + 3];
          if (s === TOMBSTONE) sink.add(kb, ko, kl, seq, null, 0, 0);
          else sink.add(kb, ko, kl, seq, valueSlabs[s], ints[8 * v + 4], ints[8 * v + 5]);
        }
        if (snaps.length === 0) break;
        newer = seq;
      }
      if (++done % slice === 0) yield;
    }
  }

  /** Every version in internal order: keys ascending, versions newest first. */
  *entries(): IterableIterator<Entry> {
    this.settle();
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) {
      const key = this.keyOf(n);
      // The version arrays are read through `this` at every step: a write while the walk is suspended may grow them.
      for (let v = this.recs[4 * n.no]; v !== NONE; v = this.vInt[8 * v + 2]) yield { key, seq: this.vSeq[4 * v], value: this.valueOf(v) };
    }
  }
}

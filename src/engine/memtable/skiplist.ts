// The memtable: a skiplist of user keys in bytewise order, each key holding its versions newest first, plus a hash
// index from key to key. Point reads and updates of existing keys go through the index (no search); only a key seen
// for the first time pays the ordered insert. Every version stays until the memtable is dropped, so a snapshot (a
// sequence number) sees the newest version at or below it. A delete is a version whose value is null (a tombstone).
//
// The point path touches few cache lines, and no object: it was bound by memory latency (a Map of latin1 strings,
// then the node, the version and the value, each a miss; 18 % of a GET at pipeline 1 was the Map lookup alone).
// - The index is open addressing over an Int32Array of [hash32, key record + 1] pairs (linear probing, at most half
//   full), so a probe is one cache line.
// - Keys and versions are records in an arena of shared 1 MiB slabs (see arena.ts). So a lookup reads the slot, the
//   key record (which it compares and which names the newest version) and the version record with its value, three
//   cache lines, and an overwrite allocates nothing the garbage collector must trace or move.
// - prefetch() reads those three lines for a whole batch of keys stage by stage before the batch's lookups run, so
//   the misses of different keys overlap (the server calls it for the commands of a loop turn).
// The skiplist's nodes (MemNode: the key's latin1 string, its record, its links) serve ordered reads only.
//
// A key seen for the first time is only indexed (and its record's ref listed) at once; its node is made and linked
// into the ordered list lazily, by the first ordered read after it (seek, reverse step, full walk), so a write-only
// stretch makes no object per key and pays no ordered insert, and point reads never do. A flush does not use the
// nodes: the worker sorts the image's key refs itself. Pending keys are sorted first (by the same radix sort of their
// records), so linking them walks the list mostly forward.
//
// In the list, keys are compared as latin1 strings (one byte per char, so string order is byte order): V8 compares flat
// one-byte strings natively, which measured faster than Buffer#compare or a JS byte loop.
import { copyBytes, viewOf } from "../../util/bytes";
import { hash32 } from "../sst/bloom";
import { Arena, INLINE_MAX, MemImage, NONE, OFF_BITS, OFF_MASK, RecordReader, TOMBSTONE } from "./arena";

export type { EntrySink, MemImage } from "./arena";

const MAX_LEVEL = 20;
/** Pending keys from which a merge with the list and a relink replace one search per key. */
const BULK_MIN = 1024;
/**
 * Bytes charged per version on top of its value (its record header and alignment); per key on top of its bytes (its
 * record header, index slots and listed ref); and per key linked into the ordered list on top of its bytes again (its
 * node, links and latin1 id, a second copy of the key), charged when an ordered read first links it. Measured with
 * `node --expose-gc` (heap, external and the arena's slabs) over 300 000 keys of 17 bytes, values of 10, 109 and 1000
 * bytes, one and three versions a key: 21–22 bytes a version, 46–53 a key, 132 a node.
 */
export const ENTRY_OVERHEAD = 24;
export const KEY_OVERHEAD = 60;
export const NODE_OVERHEAD = 140;
/** An index slot once used by a key that was removed (probes go past it). */
const DELETED = -1;

export interface MemNode {
  /** The key's bytes as a latin1 string (its order is the keys' byte order). */
  readonly id: string;
  /** The key's record (an arena ref), or -1 once removed. */
  no: number;
  next: Array<MemNode | null>;
}

export interface Entry {
  readonly key: Buffer;
  readonly seq: number;
  readonly value: Buffer | null;
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

const prefetchRefs = new Int32Array(1024);

export class SkipList {
  private readonly head: MemNode = { id: "", no: NONE, next: new Array(MAX_LEVEL).fill(null) };
  /** The hash index: [hash32, key record + 1] pairs; 0 = never used, DELETED = used by a removed key. */
  private slots = new Int32Array(2 * 1024);
  private slotsUsed = 0;
  private liveKeys = 0;
  private readonly arena = new Arena();
  /** Keys and values over INLINE_MAX bytes. */
  private readonly bigs: Buffer[] = [];
  /** Every key record made, in order of arrival (a removed key's record has newest version NONE). */
  private keyRefs = new Int32Array(1024);
  private keysMade = 0;
  /** keyRefs[0, nodesMade) have nodes; the rest are indexed but not yet in the ordered list. */
  private nodesMade = 0;
  private level = 1;
  private versions = 0;
  private bytes = 0;
  private readonly update: MemNode[] = new Array(MAX_LEVEL).fill(this.head);

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

  /** The key record of `key` (whose hash32 is `h`), or NONE. */
  private find(key: Uint8Array, h: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const n = key.length;
    const hs = h | 0; // as the Int32Array holds it
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i + 1];
      if (s === 0) return NONE;
      if (s === DELETED || slots[2 * i] !== hs) continue;
      const k = s - 1;
      const slab = k >>> OFF_BITS;
      const w = (k & OFF_MASK) << 1;
      const ints = this.arena.i32[slab];
      if (ints[w + 1] !== n) continue;
      let bytes: Uint8Array;
      let at: number;
      if (n <= INLINE_MAX) {
        bytes = this.arena.u8[slab];
        at = 4 * w + 8;
      } else {
        bytes = this.bigs[ints[w + 2]];
        at = 0;
      }
      let j = 0;
      while (j < n && bytes[at + j] === key[j]) j++;
      if (j === n) return k;
    }
  }

  /** Puts [h, k + 1] in the first free slot of h's probe sequence. */
  private place(h: number, k: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = h & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = h;
    slots[2 * i + 1] = k + 1;
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

  /** The newest version of key record `k`. */
  private newestOf(k: number): number {
    return this.arena.i32[k >>> OFF_BITS][(k & OFF_MASK) << 1];
  }

  private setNewest(k: number, v: number): void {
    this.arena.i32[k >>> OFF_BITS][(k & OFF_MASK) << 1] = v;
  }

  /** The next older version of version `v`. */
  private nextOf(v: number): number {
    return this.arena.i32[v >>> OFF_BITS][((v & OFF_MASK) << 1) + 2];
  }

  private setNext(v: number, next: number): void {
    this.arena.i32[v >>> OFF_BITS][((v & OFF_MASK) << 1) + 2] = next;
  }

  /**
   * Adds a version; `seq` must be higher than every earlier sequence of this key. Keys and values up to INLINE_MAX
   * bytes are copied; a longer value is kept as given (the caller hands it over). Returns the key's record, by which
   * removeAt() can take the version back out.
   */
  insert(key: Buffer, seq: number, value: Buffer | null): number {
    const v = this.newVersion(seq, value);
    this.versions++;
    this.bytes += (value ? value.length : 0) + ENTRY_OVERHEAD;
    const h = hash32(key);
    const found = this.find(key, h);
    if (found !== NONE) {
      this.setNext(v, this.newestOf(found));
      this.setNewest(found, v);
      return found;
    }
    this.setNext(v, NONE);
    this.bytes += KEY_OVERHEAD + key.length;
    const n = key.length;
    const k = this.arena.alloc(n <= INLINE_MAX ? 8 + n : 12);
    const slab = k >>> OFF_BITS;
    const w = (k & OFF_MASK) << 1;
    const ints = this.arena.i32[slab];
    ints[w] = v;
    ints[w + 1] = n;
    if (n <= INLINE_MAX) copyBytes(this.arena.u8[slab], 4 * w + 8, key);
    else {
      ints[w + 2] = this.bigs.length;
      this.bigs.push(Buffer.from(key));
    }
    if (2 * (this.slotsUsed + 1) > this.slots.length >> 1) this.growIndex();
    this.place(h, k);
    this.slotsUsed++;
    this.liveKeys++;
    if (this.keysMade === this.keyRefs.length) {
      const grown = new Int32Array(this.keyRefs.length * 2);
      grown.set(this.keyRefs);
      this.keyRefs = grown;
    }
    this.keyRefs[this.keysMade++] = k;
    return k;
  }

  /** Stores a version's sequence and value; returns its ref (its next link is the caller's to set). */
  private newVersion(seq: number, value: Buffer | null): number {
    const n = value === null ? 0 : value.length;
    const v = this.arena.alloc(value === null ? 16 : n <= INLINE_MAX ? 16 + n : 20);
    const slab = v >>> OFF_BITS;
    const d = v & OFF_MASK;
    this.arena.f64[slab][d] = seq;
    const ints = this.arena.i32[slab];
    if (value === null) {
      ints[2 * d + 3] = TOMBSTONE;
      return v;
    }
    ints[2 * d + 3] = n;
    if (n <= INLINE_MAX) copyBytes(this.arena.u8[slab], 8 * d + 16, value);
    else {
      // Kept as given: the memtable owns the Buffers it is handed (the engine copies what callers pass in).
      ints[2 * d + 4] = this.bigs.length;
      this.bigs.push(value);
    }
    return v;
  }

  private touched = 0;

  /**
   * Reads, for each of the first `n` hashes, the index slot it maps to, the key record that slot names and that key's
   * newest version, stage by stage: the cache misses of different keys then overlap instead of being paid one after
   * another by the lookups that follow. A hint only: a slot of another key or an empty one costs a wasted read.
   */
  prefetch(hashes: Int32Array, n: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const refs = prefetchRefs;
    for (let i = 0; i < n; i++) refs[i] = slots[2 * (hashes[i] & mask) + 1] - 1;
    const { i32, f64 } = this.arena;
    for (let i = 0; i < n; i++) {
      const k = refs[i];
      refs[i] = k >= 0 ? i32[k >>> OFF_BITS][(k & OFF_MASK) << 1] : NONE;
    }
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const v = refs[i];
      if (v >= 0) acc += f64[v >>> OFF_BITS][v & OFF_MASK];
    }
    this.touched = acc;
  }

  /** The sequence number of version `v`. */
  seqOf(v: number): number {
    return this.arena.f64[v >>> OFF_BITS][v & OFF_MASK];
  }

  /** The value of version `v` (a view of the memtable's bytes, which never change), or null for a tombstone. */
  valueOf(v: number): Buffer | null {
    const slab = v >>> OFF_BITS;
    const d = v & OFF_MASK;
    const ints = this.arena.i32[slab];
    const n = ints[2 * d + 3];
    if (n === TOMBSTONE) return null;
    if (n > INLINE_MAX) return this.bigs[ints[2 * d + 4]];
    return viewOf(this.arena.ab[slab], 8 * d + 16, n);
  }

  /** The key of a node (a view of the memtable's bytes). */
  keyOf(node: MemNode): Buffer {
    return this.keyAt(node.no);
  }

  /** The key of key record `k` (a view of the memtable's bytes). */
  private keyAt(k: number): Buffer {
    const slab = k >>> OFF_BITS;
    const w = (k & OFF_MASK) << 1;
    const ints = this.arena.i32[slab];
    const n = ints[w + 1];
    if (n > INLINE_MAX) return this.bigs[ints[w + 2]];
    return viewOf(this.arena.ab[slab], 4 * w + 8, n);
  }

  /** The newest version of a node at or below `maxSeq`, or -1. */
  visible(node: MemNode, maxSeq: number): number {
    return this.visibleFrom(this.newestOf(node.no), maxSeq);
  }

  private visibleFrom(newest: number, maxSeq: number): number {
    const f64 = this.arena.f64;
    const i32 = this.arena.i32;
    for (let v = newest; v !== NONE; v = i32[v >>> OFF_BITS][((v & OFF_MASK) << 1) + 2]) if (f64[v >>> OFF_BITS][v & OFF_MASK] <= maxSeq) return v;
    return NONE;
  }

  /**
   * Links every pending key into the ordered list, making the nodes of keys that have none yet (a write-only memtable
   * has no node at all). The pending keys are sorted from their records (the radix sort a flush uses) and their nodes
   * made in key order, so a walk of the list visits memory mostly in allocation order. A few keys are then linked
   * one search each; many (a write-only stretch) are merged with the list, which is relinked in one pass.
   */
  private settle(): void {
    const n = this.keysMade - this.nodesMade;
    if (n === 0) return;
    const refs = this.keyRefs.slice(this.nodesMade, this.keysMade);
    this.nodesMade = this.keysMade;
    this.records().sortKeyRefs(refs);
    const pending = this.makeNodes(refs);
    if (pending.length >= BULK_MIN && pending.length * 8 >= this.liveKeys - pending.length) {
      this.mergeSorted(pending);
      return;
    }
    for (const node of pending) {
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

  /** Nodes for the key records `refs`, in that order (removed keys left out). */
  private makeNodes(refs: Int32Array): MemNode[] {
    const nodes: MemNode[] = [];
    for (let i = 0; i < refs.length; i++) {
      const k = refs[i];
      if (this.newestOf(k) === NONE) continue; // removed
      const key = this.keyAt(k);
      nodes.push({ id: key.toString("latin1"), no: k, next: new Array(this.randomLevel()).fill(null) });
      this.bytes += NODE_OVERHEAD + key.length;
    }
    return nodes;
  }

  /** Merges sorted new nodes with the linked list and relinks every level in one pass. */
  private mergeSorted(run: MemNode[]): void {
    const linked: MemNode[] = [];
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) linked.push(n);
    let all = run;
    if (linked.length > 0) {
      all = new Array(linked.length + run.length);
      let i = 0;
      let j = 0;
      let o = 0;
      while (i < linked.length && j < run.length) all[o++] = linked[i].id < run[j].id ? linked[i++] : run[j++];
      while (i < linked.length) all[o++] = linked[i++];
      while (j < run.length) all[o++] = run[j++];
    }
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
  }

  /** Removes the version (key, seq) if present (used to undo a batch whose WAL write failed). */
  remove(key: Buffer, seq: number): boolean {
    const k = this.find(key, hash32(key));
    return k !== NONE && this.removeAt(k, seq);
  }

  /** Removes the version `seq` of key record `k` (as insert() returned it) if present. */
  removeAt(k: number, seq: number): boolean {
    let prev = NONE;
    for (let v = this.newestOf(k); v !== NONE; prev = v, v = this.nextOf(v)) {
      if (this.seqOf(v) !== seq) continue;
      // The version's arena bytes stay (the arena is append-only); only its charge is given back.
      this.versions--;
      const value = this.valueOf(v);
      this.bytes -= (value === null ? 0 : value.length) + ENTRY_OVERHEAD;
      const next = this.nextOf(v);
      if (prev !== NONE) this.setNext(prev, next);
      else if (next !== NONE) this.setNewest(k, next);
      else this.unlink(k);
      return true;
    }
    return false;
  }

  /** Takes a key out of the index and the ordered list (its record stays, unreferenced, its newest version NONE). */
  private unlink(k: number): void {
    this.settle();
    const key = this.keyAt(k);
    const node = this.findGE(key.toString("latin1"), true);
    if (node === null || node.no !== k) throw new Error("memtable: a key in the index is missing from the ordered list");
    for (let i = 0; i < node.next.length; i++) {
      if (this.update[i].next[i] === node) this.update[i].next[i] = node.next[i];
    }
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = hash32(key) & mask;
    while (slots[2 * i + 1] !== k + 1) i = (i + 1) & mask;
    slots[2 * i + 1] = DELETED;
    node.no = NONE;
    this.setNewest(k, NONE);
    this.liveKeys--;
    this.bytes -= KEY_OVERHEAD + NODE_OVERHEAD + 2 * key.length;
  }

  /**
   * The value of the newest version of `key` with sequence ≤ maxSeq: null for a tombstone, undefined when this
   * memtable has none (get() without the entry object; `h` is the key's hash32).
   */
  valueAt(key: Buffer, maxSeq: number, h: number): Buffer | null | undefined {
    const k = this.find(key, h);
    if (k === NONE) return undefined;
    const v = this.visibleFrom(this.newestOf(k), maxSeq);
    return v !== NONE ? this.valueOf(v) : undefined;
  }

  /** The newest version of `key` with sequence ≤ maxSeq (a tombstone has value null), or undefined. `h`: its hash32. */
  get(key: Buffer, maxSeq: number, h: number = hash32(key)): Entry | undefined {
    const k = this.find(key, h);
    if (k === NONE) return undefined;
    const v = this.visibleFrom(this.newestOf(k), maxSeq);
    return v !== NONE ? { key, seq: this.seqOf(v), value: this.valueOf(v) } : undefined;
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
   * The memtable as a flush reads it: its slabs (shared, not copied), big keys and values, and key record refs. Only
   * for a frozen memtable: the image reads the same memory, which must not change while a flush uses it.
   */
  image(): MemImage {
    // A big key or value handed in may be a view of a larger buffer; posting it would copy all of that buffer.
    const bigs = this.bigs.map((b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : Buffer.from(b)));
    return { slabs: this.arena.u8.slice(), bigs, keys: this.keyRefs.slice(0, this.keysMade) };
  }

  /** Reads this memtable's records (as a flush of its image() would). */
  records(): RecordReader {
    return new RecordReader(this.arena, this.bigs);
  }

  /** Every version in internal order: keys ascending, versions newest first. */
  *entries(): IterableIterator<Entry> {
    this.settle();
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) {
      const key = this.keyOf(n);
      for (let v = this.newestOf(n.no); v !== NONE; v = this.nextOf(v)) yield { key, seq: this.seqOf(v), value: this.valueOf(v) };
    }
  }
}

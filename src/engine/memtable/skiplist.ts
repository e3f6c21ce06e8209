// The memtable: a skiplist of user keys in bytewise order, each node holding that key's versions newest first,
// plus a hash index from key to node. Point reads and updates of existing keys go through the index (no search);
// only a key seen for the first time pays the ordered insert. Every version stays until the memtable is dropped,
// so a snapshot (a sequence number) sees the newest version at or below it. A delete is a version whose value is
// null (a tombstone).
//
// Versions are not objects: a version is an index into a few typed arrays (sequence, next older version, slab,
// offset, length), and values up to SLAB_BIG bytes are copied into 1 MiB slabs appended to, never rewritten. An
// overwrite therefore allocates nothing the garbage collector must trace or move (it used to add a version object
// and a Buffer object, which the old generation's marking then walked for as long as the memtable lived).
//
// A key seen for the first time is only indexed at once; it is linked into the ordered list lazily, by the first
// ordered read after it (seek, reverse step, full walk), so a write-only stretch pays no ordered insert at all and
// point reads never do. Pending keys are sorted first, so linking them walks the list mostly forward.
//
// Keys are compared as latin1 strings (one byte per char, so string order is byte order): V8 compares flat
// one-byte strings natively, which measured faster than Buffer#compare or a JS byte loop.

const MAX_LEVEL = 20;
/** Pending keys from which a bulk ordering (sort, merge, relink) replaces one search per key. */
const BULK_MIN = 1024;
/** Keys sorted per step of a stepwise ordering (about 5 ms of work). */
const STEP = 16384;

function byId(a: MemNode, b: MemNode): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
/**
 * Heap bytes charged per version on top of its value (its slots in the version arrays, with their growth slack),
 * and per key on top of its bytes (node, links, key Buffer, latin1 id — a second copy of the key — and the index
 * entry). Measured with `node --expose-gc` (see CHANGELOG 0.6): 300 000 keys of 17 bytes, values of 10, 109 and
 * 1000 bytes, one and three versions a key.
 */
export const ENTRY_OVERHEAD = 48;
export const KEY_OVERHEAD = 290;

/** Value slabs: values up to SLAB_BIG bytes are copied into the current slab; bigger ones are kept as given. */
const SLAB = 1 << 20;
const SLAB_BIG = 64 << 10;
/** No version: the end of a chain. */
const NONE = -1;
/** The slab number of a tombstone. */
const TOMBSTONE = -1;

export interface MemNode {
  readonly key: Buffer;
  readonly id: string;
  /** The newest version (an index into the memtable's version arrays). */
  newest: number;
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

export class SkipList {
  private readonly head: MemNode = { key: Buffer.alloc(0), id: "", newest: NONE, next: new Array(MAX_LEVEL).fill(null) };
  private readonly index = new Map<string, MemNode>();
  // Versions: parallel arrays indexed by version number, grown by doubling.
  private vSeq = new Float64Array(1024);
  private vNext = new Int32Array(1024);
  private vSlab = new Int32Array(1024);
  private vOff = new Int32Array(1024);
  private vLen = new Int32Array(1024);
  private vCount = 0;
  /** Value bytes: slabs filled in turn, and values over SLAB_BIG each in a slab of their own. */
  private readonly slabs: Buffer[] = [];
  private slab: Buffer | null = null;
  private slabNo = -1;
  private slabUsed = 0;
  /** The node the last get() found, by the identity of the key Buffer it was asked with (see insert). */
  private hintKey: Buffer | null = null;
  private hintNode: MemNode | null = null;
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
    return this.index.size;
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

  /** Adds a version; `seq` must be higher than every earlier sequence of this key. */
  insert(key: Buffer, seq: number, value: Buffer | null): void {
    const v = this.newVersion(seq, value);
    this.versions++;
    this.bytes += (value ? value.length : 0) + ENTRY_OVERHEAD;
    // A write usually follows a read of the same key (the command looked it up first): that read's node is reused
    // rather than hashing the key again, when the key is the same Buffer and still holds the same bytes.
    let id: string | undefined;
    let existing: MemNode | undefined;
    const hint = this.hintNode;
    if (key === this.hintKey && hint !== null && sameBytes(key, hint.key)) existing = hint;
    else {
      id = key.toString("latin1");
      existing = this.index.get(id);
    }
    if (existing) {
      this.vNext[v] = existing.newest;
      existing.newest = v;
      return;
    }
    this.vNext[v] = NONE;
    this.bytes += KEY_OVERHEAD + 2 * key.length;
    const node: MemNode = { key, id: id as string, newest: v, next: new Array(this.randomLevel()).fill(null) };
    this.index.set(node.id, node);
    this.fresh.push(node);
  }

  /** Stores a version's sequence and value; returns its number (its next link is the caller's to set). */
  private newVersion(seq: number, value: Buffer | null): number {
    if (this.vCount === this.vSeq.length) this.growVersions();
    const v = this.vCount++;
    this.vSeq[v] = seq;
    if (value === null) {
      this.vSlab[v] = TOMBSTONE;
      return v;
    }
    const n = value.length;
    if (n > SLAB_BIG) {
      // Kept as given: the memtable owns the Buffers it is handed (the engine copies what callers pass in).
      this.slabs.push(value);
      this.vSlab[v] = this.slabs.length - 1;
      this.vOff[v] = 0;
      this.vLen[v] = n;
      return v;
    }
    let slab = this.slab;
    if (slab === null || this.slabUsed + n > SLAB) {
      slab = this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.slabs.push(slab);
      this.slabNo = this.slabs.length - 1;
      this.slabUsed = 0;
    }
    const off = this.slabUsed;
    if (n <= 32) for (let i = 0; i < n; i++) slab[off + i] = value[i];
    else slab.set(value, off);
    this.slabUsed = off + n;
    this.vSlab[v] = this.slabNo;
    this.vOff[v] = off;
    this.vLen[v] = n;
    return v;
  }

  private growVersions(): void {
    const cap = this.vSeq.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.vSeq = grow(this.vSeq, new Float64Array(cap));
    this.vNext = grow(this.vNext, new Int32Array(cap));
    this.vSlab = grow(this.vSlab, new Int32Array(cap));
    this.vOff = grow(this.vOff, new Int32Array(cap));
    this.vLen = grow(this.vLen, new Int32Array(cap));
  }

  /** The sequence number of version `v`. */
  seqOf(v: number): number {
    return this.vSeq[v];
  }

  /** The value of version `v` (a view of the memtable's bytes, which never change), or null for a tombstone. */
  valueOf(v: number): Buffer | null {
    const s = this.vSlab[v];
    if (s === TOMBSTONE) return null;
    const off = this.vOff[v];
    return this.slabs[s].subarray(off, off + this.vLen[v]);
  }

  /** The newest version of a node at or below `maxSeq`, or -1. */
  visible(node: MemNode, maxSeq: number): number {
    const seqs = this.vSeq;
    const next = this.vNext;
    for (let v = node.newest; v !== NONE; v = next[v]) if (seqs[v] <= maxSeq) return v;
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
      if (this.index.get(node.id) !== node) continue; // removed before it was linked
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
    return n >= BULK_MIN && n * 8 >= this.index.size - n;
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
      const run = pending.slice(i, i + STEP).filter((n) => this.index.get(n.id) === n); // removed before linking
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
    const id = key.toString("latin1");
    const node = this.index.get(id);
    if (!node) return false;
    let prev = NONE;
    for (let v = node.newest; v !== NONE; prev = v, v = this.vNext[v]) {
      if (this.vSeq[v] !== seq) continue;
      // The version's slab bytes stay (slabs are append-only); only its charge is given back.
      this.versions--;
      this.bytes -= (this.vSlab[v] === TOMBSTONE ? 0 : this.vLen[v]) + ENTRY_OVERHEAD;
      if (prev !== NONE) this.vNext[prev] = this.vNext[v];
      else if (this.vNext[v] !== NONE) node.newest = this.vNext[v];
      else this.unlink(node);
      return true;
    }
    return false;
  }

  private unlink(node: MemNode): void {
    this.settle();
    this.findGE(node.id, true);
    for (let i = 0; i < node.next.length; i++) {
      if (this.update[i].next[i] === node) this.update[i].next[i] = node.next[i];
    }
    this.index.delete(node.id);
    if (this.hintNode === node) {
      this.hintNode = null;
      this.hintKey = null;
    }
    this.bytes -= KEY_OVERHEAD + 2 * node.key.length;
  }

  /** The newest version of `key` with sequence ≤ maxSeq (a tombstone has value null), or undefined. */
  get(key: Buffer, maxSeq: number): Entry | undefined {
    const node = this.index.get(key.toString("latin1"));
    if (!node) return undefined;
    this.hintKey = key;
    this.hintNode = node;
    const v = this.visible(node, maxSeq);
    return v !== NONE ? { key: node.key, seq: this.vSeq[v], value: this.valueOf(v) } : undefined;
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
    return x === this.head ? undefined : x.key;
  }

  /** Every version in internal order: keys ascending, versions newest first. */
  *entries(): IterableIterator<Entry> {
    this.settle();
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) {
      for (let v = n.newest; v !== NONE; v = this.vNext[v]) yield { key: n.key, seq: this.vSeq[v], value: this.valueOf(v) };
    }
  }
}

/** Byte equality of two short byte strings (a JS loop: cheaper than a call into Buffer#equals for a key). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

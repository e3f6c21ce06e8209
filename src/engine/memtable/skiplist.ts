// The memtable: a skiplist of internal entries ordered by (user key ascending, sequence descending), so the first
// entry of a key at or below a snapshot's sequence is the version that snapshot sees. Every version stays until the
// memtable is dropped; a delete is an entry whose value is null (a tombstone).

const MAX_LEVEL = 20;
/** Bytes charged per entry on top of key and value, for memtable size accounting. */
export const ENTRY_OVERHEAD = 64;

export interface Entry {
  readonly key: Buffer;
  readonly seq: number;
  readonly value: Buffer | null;
}

interface Node extends Entry {
  next: Array<Node | null>;
}

function compare(aKey: Buffer, aSeq: number, bKey: Buffer, bSeq: number): number {
  const c = aKey.compare(bKey);
  if (c !== 0) return c;
  return bSeq - aSeq;
}

export class SkipList {
  private readonly head: Node = { key: Buffer.alloc(0), seq: Number.MAX_SAFE_INTEGER, value: null, next: new Array(MAX_LEVEL).fill(null) };
  private level = 1;
  private count = 0;
  private bytes = 0;
  private readonly update: Node[] = new Array(MAX_LEVEL);

  get size(): number {
    return this.count;
  }

  /** Approximate memory held: keys + values + per-entry overhead. */
  get approximateBytes(): number {
    return this.bytes;
  }

  private randomLevel(): number {
    let lvl = 1;
    while (lvl < MAX_LEVEL && Math.random() < 0.25) lvl++;
    return lvl;
  }

  /** Fills `update` with the last node before (key, seq) at every level; returns the node at level 0 after it. */
  private findGE(key: Buffer, seq: number, fillUpdate: boolean): Node | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i];
      while (nx !== null && compare(nx.key, nx.seq, key, seq) < 0) {
        x = nx;
        nx = x.next[i];
      }
      if (fillUpdate) this.update[i] = x;
    }
    return x.next[0];
  }

  insert(key: Buffer, seq: number, value: Buffer | null): void {
    this.findGE(key, seq, true);
    const lvl = this.randomLevel();
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) this.update[i] = this.head;
      this.level = lvl;
    }
    const node: Node = { key, seq, value, next: new Array(lvl) };
    for (let i = 0; i < lvl; i++) {
      node.next[i] = this.update[i].next[i];
      this.update[i].next[i] = node;
    }
    this.count++;
    this.bytes += key.length + (value ? value.length : 0) + ENTRY_OVERHEAD;
  }

  /** Removes the entry (key, seq) if present (used to undo a batch whose WAL write failed). */
  remove(key: Buffer, seq: number): boolean {
    const found = this.findGE(key, seq, true);
    if (found === null || found.seq !== seq || !found.key.equals(key)) return false;
    for (let i = 0; i < found.next.length; i++) {
      if (this.update[i].next[i] === found) this.update[i].next[i] = found.next[i];
    }
    this.count--;
    this.bytes -= found.key.length + (found.value ? found.value.length : 0) + ENTRY_OVERHEAD;
    return true;
  }

  /** The newest entry of `key` with sequence ≤ maxSeq (a tombstone has value null), or undefined. */
  get(key: Buffer, maxSeq: number): Entry | undefined {
    const n = this.findGE(key, maxSeq, false);
    if (n !== null && n.key.equals(key)) return n;
    return undefined;
  }

  /** First entry at or after (key, seq) in internal order; `null` key means the very first entry. */
  seek(key: Buffer | null, seq = Number.MAX_SAFE_INTEGER): Entry | null {
    if (key === null) return this.head.next[0];
    return this.findGE(key, seq, false);
  }

  next(e: Entry): Entry | null {
    return (e as Node).next[0];
  }

  /** The greatest user key strictly less than `key` (or the greatest of all when key is null), or undefined. */
  lastKeyBefore(key: Buffer | null): Buffer | undefined {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = x.next[i];
      while (nx !== null && (key === null || nx.key.compare(key) < 0)) {
        x = nx;
        nx = x.next[i];
      }
    }
    return x === this.head ? undefined : x.key;
  }

  *entries(): IterableIterator<Entry> {
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) yield n;
  }
}

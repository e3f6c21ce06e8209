// Forward reads of a key range over memtables and tables as cursors, not generators: a table run's cursor walks a
// block iterator in place, and the merge moves a source on only after its entry has been used, so entries are views
// and nothing is copied or allocated per entry beyond a key view. Engine.scan hands the views to a visitor (a full
// pass that keeps little, the keyspace's count at start); Engine.iterate copies what it yields.
import type { SkipList } from "./memtable/skiplist";
import { BlockIter } from "./sst/block";
import type { Table } from "./sst/reader";
import { compareBytes } from "./memtable/skiplist";
import { KeptBytes } from "../util/bytes";

/** A source's newest visible version of each key, in key order; key and value are views until next(). */
export interface Cursor {
  valid: boolean;
  key: Buffer;
  seq: number;
  /** null: a tombstone. */
  value: Buffer | null;
  next(): void;
}

/** A memtable's visible versions (its key and value accessors make buffers of their own). */
class MemCursor implements Cursor {
  valid = false;
  key: Buffer = EMPTY;
  seq = 0;
  value: Buffer | null = null;
  private node: ReturnType<SkipList["seek"]>;

  constructor(
    private readonly m: SkipList,
    from: Buffer | null,
    private readonly maxSeq: number,
  ) {
    this.node = m.seek(from);
    this.settle();
  }

  next(): void {
    if (this.node !== null) this.node = this.m.next(this.node);
    this.settle();
  }

  private settle(): void {
    for (; this.node !== null; this.node = this.m.next(this.node)) {
      const v = this.m.visible(this.node, this.maxSeq);
      if (v < 0) continue;
      this.key = this.m.keyOf(this.node);
      this.seq = this.m.seqOf(v);
      this.value = this.m.valueOf(v);
      this.valid = true;
      return;
    }
    this.valid = false;
  }
}

/**
 * Sorted, disjoint tables (a level, or one L0 table) walked block by block: per key, its newest version with sequence
 * ≤ maxSeq (a table holds older versions only for snapshots).
 */
class TablesCursor implements Cursor {
  valid = false;
  key: Buffer = EMPTY;
  seq = 0;
  value: Buffer | null = null;
  private t = -1;
  private blocks: Iterator<Buffer> | null = null;
  private it: BlockIter | null = null;
  /** Only the first block can hold keys before `from`: later ones start past it. */
  private seekFrom: Buffer | null;
  /** The last key handed out: older versions of it are skipped. */
  private readonly last = new KeptBytes();

  constructor(
    private readonly tables: Table[],
    from: Buffer | null,
    private readonly maxSeq: number,
  ) {
    this.seekFrom = from;
    this.advance();
  }

  next(): void {
    this.it?.next();
    this.advance();
  }

  private advance(): void {
    for (;;) {
      const it = this.it;
      if (it !== null) {
        for (; it.valid; it.next()) {
          if (it.seq > this.maxSeq) continue;
          const key = it.key;
          if (this.last.equals(key)) continue;
          this.last.set(key);
          this.key = key;
          this.seq = it.seq;
          this.value = it.value;
          this.valid = true;
          return;
        }
      }
      // The next block, of this table or the next one.
      const r = this.blocks?.next();
      if (r && !r.done) {
        const b = new BlockIter(r.value);
        const from = this.seekFrom;
        this.seekFrom = null;
        this.it = from ? b.seek(from, Number.MAX_SAFE_INTEGER) : b.first();
        continue;
      }
      if (++this.t >= this.tables.length) {
        this.it = null;
        this.valid = false;
        return;
      }
      this.blocks = this.tables[this.t].blocks(this.seekFrom ?? undefined);
      this.it = null;
    }
  }
}

/** Several cursors as one: per key, the newest version among them (tombstones included). */
class MergedCursor implements Cursor {
  valid = false;
  key: Buffer = EMPTY;
  seq = 0;
  value: Buffer | null = null;
  private best = -1;

  constructor(private readonly cursors: Cursor[]) {
    this.pick();
  }

  next(): void {
    const cursors = this.cursors;
    const b = cursors[this.best];
    if (b === undefined) return;
    // Past this key in every source, the winner last (the others compare against its key view).
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i];
      if (i !== this.best && c.valid && compareBytes(c.key, b.key) === 0) c.next();
    }
    b.next();
    this.pick();
  }

  private pick(): void {
    const cursors = this.cursors;
    let best = -1;
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i];
      if (!c.valid) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const d = compareBytes(c.key, cursors[best].key);
      if (d < 0 || (d === 0 && c.seq > cursors[best].seq)) best = i;
    }
    this.best = best;
    if (best < 0) {
      this.valid = false;
      return;
    }
    const b = cursors[best];
    this.key = b.key;
    this.seq = b.seq;
    this.value = b.value;
    this.valid = true;
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

export interface ScanSources {
  memtables: SkipList[];
  /** One entry per source: an L0 table alone, or a deeper level's tables in order. */
  tableRuns: Table[][];
}

/**
 * The newest version with sequence ≤ maxSeq of each key from `from` (all when null) on, in key order, tombstones
 * included: key and value are views until the cursor moves.
 */
export function openVisible(src: ScanSources, from: Buffer | null, maxSeq: number): Cursor {
  const cursors: Cursor[] = [];
  for (const m of src.memtables) if (m.size > 0) cursors.push(new MemCursor(m, from, maxSeq));
  for (const run of src.tableRuns) if (run.length > 0) cursors.push(new TablesCursor(run, from, maxSeq));
  return cursors.length === 1 ? cursors[0] : new MergedCursor(cursors);
}

/**
 * Calls visit(key, value) for each live key in [from, to) (either end open when null), in key order, at `maxSeq`.
 * The newest source wins a key; tombstones hide it. Both buffers are views that the next step reuses: copy to keep.
 */
export function scanVisible(src: ScanSources, from: Buffer | null, to: Buffer | null, maxSeq: number, visit: (key: Buffer, value: Buffer) => void): void {
  for (const c = openVisible(src, from, maxSeq); c.valid; c.next()) {
    if (to !== null && compareBytes(c.key, to) >= 0) return;
    if (c.value !== null) visit(c.key, c.value);
  }
}

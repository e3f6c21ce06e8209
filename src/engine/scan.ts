// A full pass over a key range that keeps little of what it sees (the keyspace's count at start): every live entry
// is handed to a visitor as views, valid only during the call, so nothing is copied or allocated per entry beyond a
// key view. Sources are cursors, not generators: a table's is a block iterator walked in place, and the merge moves a
// source on only after the visitor has returned.
import type { SkipList } from "./memtable/skiplist";
import { BlockIter } from "./sst/block";
import type { Table } from "./sst/reader";
import { compareBytes } from "./memtable/skiplist";
import { KeptBytes } from "../util/bytes";

/** A source's newest visible version of each key, in key order; key and value are views until next(). */
interface Cursor {
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
 * Sorted, disjoint tables (a level, or one L0 table) walked block by block: per key its first entry, the newest
 * version (a table holds older ones only for snapshots; none is newer than the engine's last sequence).
 */
class TablesCursor implements Cursor {
  valid = false;
  key: Buffer = EMPTY;
  seq = 0;
  value: Buffer | null = null;
  private t = -1;
  private blocks: Iterator<Buffer> | null = null;
  private it: BlockIter | null = null;
  /** The last key handed out: older versions of it are skipped. */
  private readonly last = new KeptBytes();

  constructor(
    private readonly tables: Table[],
    private readonly from: Buffer | null,
  ) {
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
        this.it = this.from ? b.seek(this.from, Number.MAX_SAFE_INTEGER) : b.first();
        continue;
      }
      if (++this.t >= this.tables.length) {
        this.it = null;
        this.valid = false;
        return;
      }
      this.blocks = this.tables[this.t].blocks(this.from ?? undefined);
      this.it = null;
    }
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

export interface ScanSources {
  memtables: SkipList[];
  /** One entry per source: an L0 table alone, or a deeper level's tables in order. */
  tableRuns: Table[][];
}

/**
 * Calls visit(key, value) for each live key in [from, to) (either end open when null), in key order, at `maxSeq`,
 * the engine's last sequence.
 * The newest source wins a key; tombstones hide it. Both buffers are views that the next step reuses: copy to keep.
 */
export function scanVisible(src: ScanSources, from: Buffer | null, to: Buffer | null, maxSeq: number, visit: (key: Buffer, value: Buffer) => void): void {
  const cursors: Cursor[] = [];
  for (const m of src.memtables) if (m.size > 0) cursors.push(new MemCursor(m, from, maxSeq));
  for (const run of src.tableRuns) if (run.length > 0) cursors.push(new TablesCursor(run, from));
  if (cursors.length === 1) {
    const c = cursors[0];
    for (; c.valid; c.next()) {
      if (to !== null && compareBytes(c.key, to) >= 0) return;
      if (c.value !== null) visit(c.key, c.value);
    }
    return;
  }
  for (;;) {
    // The smallest key; among sources holding it, the newest version.
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
    if (best < 0) return;
    const b = cursors[best];
    if (to !== null && compareBytes(b.key, to) >= 0) return;
    if (b.value !== null) visit(b.key, b.value);
    // Past this key in every source, the winner last (the others compare against its key view).
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i];
      if (i !== best && c.valid && compareBytes(c.key, b.key) === 0) c.next();
    }
    b.next();
  }
}

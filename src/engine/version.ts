// A version: the set of tables, by level, that reads consult. Versions are immutable; a flush or compaction
// installs a new one. A reader that spans turns (an iterator) pins the version it started on, and a table's file
// is deleted only when no live version references it.
import type { FileMeta } from "./manifest";
import { NUM_LEVELS } from "./manifest";
import type { Table } from "./sst/reader";
import { compareBytes } from "./memtable/skiplist";

export interface TableHandle {
  /** Replaced (not mutated) when a trivial move changes the table's level. */
  meta: FileMeta;
  readonly table: Table;
  /** Live versions that list this table. */
  refs: number;
  /** No longer in the current version: delete the file when refs reach 0. */
  obsolete: boolean;
}

export class Version {
  /** Pins held by iterators, plus 1 while this is the current version. */
  pins = 1;

  constructor(readonly levels: TableHandle[][]) {
    for (const lvl of levels) for (const t of lvl) t.refs++;
  }

  static empty(): Version {
    return new Version(Array.from({ length: NUM_LEVELS }, () => []));
  }

  get tableCount(): number {
    let n = 0;
    for (const lvl of this.levels) n += lvl.length;
    return n;
  }

  levelBytes(l: number): number {
    let s = 0;
    for (const t of this.levels[l]) s += t.meta.size;
    return s;
  }
}

/**
 * In a sorted, non-overlapping level: the table whose range holds `key`, if any. Compared in JavaScript: for keys
 * of tens of bytes the JIT-compiled loop beats a native Buffer.compare call (a GET runs this once per level).
 */
export function findFile(level: TableHandle[], key: Buffer): TableHandle | undefined {
  let lo = 0;
  let hi = level.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareBytes(level[mid].meta.largest, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo < level.length && compareBytes(key, level[lo].meta.smallest) >= 0) return level[lo];
  return undefined;
}

/** Tables of a level whose key range meets [lo, hi]. */
export function overlapping(level: TableHandle[], lo: Buffer, hi: Buffer): TableHandle[] {
  return level.filter((t) => Buffer.compare(t.meta.largest, lo) >= 0 && Buffer.compare(t.meta.smallest, hi) <= 0);
}

export function keyRange(tables: TableHandle[]): [Buffer, Buffer] {
  let lo = tables[0].meta.smallest;
  let hi = tables[0].meta.largest;
  for (const t of tables) {
    if (Buffer.compare(t.meta.smallest, lo) < 0) lo = t.meta.smallest;
    if (Buffer.compare(t.meta.largest, hi) > 0) hi = t.meta.largest;
  }
  return [lo, hi];
}

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
  /** Per level, the search aid of findFile (undefined for level 0, whose tables overlap, and for short levels). */
  readonly fences: Array<LevelFences | undefined>;

  constructor(readonly levels: TableHandle[][]) {
    for (const lvl of levels) for (const t of lvl) t.refs++;
    this.fences = levels.map((lvl, l) => (l > 0 && lvl.length >= 4 ? new LevelFences(lvl) : undefined));
  }

  static empty(): Version {
    return new Version(Array.from({ length: NUM_LEVELS }, () => []));
  }

  get tableCount(): number {
    let n = 0;
    for (const lvl of this.levels) n += lvl.length;
    return n;
  }

  /**
   * The tables whose key range meets [lo, hi] (hi excluded when `hiExclusive`; an end left undefined is open), as
   * runs a range read walks: each level-0 table on its own (they overlap), then each deeper level's tables in order.
   */
  runs(lo: Buffer | undefined, hi: Buffer | undefined, hiExclusive: boolean): TableHandle[][] {
    const runs = this.levels[0].filter((h) => meetsRange(h, lo, hi, hiExclusive)).map((h) => [h]);
    for (let l = 1; l < this.levels.length; l++) runs.push(levelRun(this.levels[l], lo, hi, hiExclusive));
    return runs;
  }

  levelBytes(l: number): number {
    let s = 0;
    for (const t of this.levels[l]) s += t.meta.size;
    return s;
  }
}

/**
 * A sorted level's search aid, made with its version: per table, the 6 bytes of its largest key that follow the prefix
 * all the level's largest keys share, big-endian, as a number. A GET's search for its table then compares numbers in
 * one array instead of key bytes reached through each table's handle; tables whose 6 bytes tie with the key's are
 * compared in full.
 */
export class LevelFences {
  readonly common: Buffer;
  readonly fence: Float64Array;

  constructor(level: TableHandle[]) {
    const a = level[0].meta.largest;
    const b = level[level.length - 1].meta.largest;
    let c = 0;
    while (c < a.length && c < b.length && a[c] === b[c]) c++;
    this.common = Buffer.from(a.subarray(0, c));
    this.fence = new Float64Array(level.length);
    for (let i = 0; i < level.length; i++) this.fence[i] = prefix6(level[i].meta.largest, c);
  }
}

/** The 6 bytes of `key` from `at` (zero-padded), big-endian: exact as a double (below 2^48). */
function prefix6(key: Uint8Array, at: number): number {
  const n = key.length;
  const hi = ((at < n ? key[at] : 0) << 8) | (at + 1 < n ? key[at + 1] : 0);
  const lo = ((at + 2 < n ? key[at + 2] : 0) << 24) | ((at + 3 < n ? key[at + 3] : 0) << 16) | ((at + 4 < n ? key[at + 4] : 0) << 8) | (at + 5 < n ? key[at + 5] : 0);
  return hi * 0x100000000 + (lo >>> 0);
}

/**
 * In a sorted, non-overlapping level: the table whose range holds `key`, if any. Compared in JavaScript: for keys
 * of tens of bytes the JIT-compiled loop beats a native Buffer.compare call (a GET runs this once per level).
 * With the level's fences (Version.fences) and a key that has their common prefix, numbers are compared first.
 */
export function findFile(level: TableHandle[], key: Buffer, fences?: LevelFences): TableHandle | undefined {
  let lo = 0;
  if (fences !== undefined && startsWith(key, fences.common)) {
    const f = fences.fence;
    const p = prefix6(key, fences.common.length);
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    while (lo < f.length && f[lo] === p && compareBytes(level[lo].meta.largest, key) < 0) lo++;
  } else {
    let hi = level.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBytes(level[mid].meta.largest, key) < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  if (lo < level.length && compareBytes(key, level[lo].meta.smallest) >= 0) return level[lo];
  return undefined;
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  const n = prefix.length;
  if (key.length < n) return false;
  for (let i = 0; i < n; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** True when the table's key range meets [lo, hi] (hi excluded when `hiExclusive`; an undefined end is open). */
function meetsRange(h: TableHandle, lo: Buffer | undefined, hi: Buffer | undefined, hiExclusive: boolean): boolean {
  if (lo && compareBytes(h.meta.largest, lo) < 0) return false;
  if (!hi) return true;
  const d = compareBytes(h.meta.smallest, hi);
  return d < 0 || (d === 0 && !hiExclusive);
}

/**
 * The tables of a sorted, disjoint level (1 and deeper) whose key range meets [lo, hi] (hi excluded when
 * `hiExclusive`; an end left undefined is open), found by binary search: a contiguous run.
 */
export function levelRun(level: TableHandle[], lo: Buffer | undefined, hi: Buffer | undefined, hiExclusive: boolean): TableHandle[] {
  let a = 0;
  if (lo) {
    let b = level.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (compareBytes(level[mid].meta.largest, lo) < 0) a = mid + 1;
      else b = mid;
    }
  }
  let end = level.length;
  if (hi) {
    let c = a;
    while (c < end) {
      const mid = (c + end) >> 1;
      const d = compareBytes(level[mid].meta.smallest, hi);
      if (d < 0 || (d === 0 && !hiExclusive)) c = mid + 1;
      else end = mid;
    }
  }
  return a === 0 && end === level.length ? level : level.slice(a, end);
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

// Reverse ordered reads (iterate with reverse: true): each source's newest visible version of each key, newest
// key first, merged across the memtables and table runs.
import { compareBytes, SkipList } from "./memtable/skiplist";
import type { TableEntry } from "./sst/reader";
import type { TableHandle } from "./version";
import { equalBytes } from "../util/bytes";

/** A memtable's newest visible version of each key, backwards from `upTo` (inclusive unless `exclusive`). */
export function* memReverse(m: SkipList, upTo: Buffer | null, exclusive: boolean, seq: number): Generator<TableEntry> {
  let key: Buffer | undefined;
  if (upTo && !exclusive) key = m.get(upTo, Number.MAX_SAFE_INTEGER) ? upTo : m.lastKeyBefore(upTo);
  else key = m.lastKeyBefore(upTo);
  while (key !== undefined) {
    const e = m.get(key, seq);
    if (e) yield { key: e.key, seq: e.seq, value: e.value };
    key = m.lastKeyBefore(key);
  }
}

/** From table entries in reverse internal order (a key's versions oldest first): per key, the visible version. */
export function* visibleReverse(entries: Iterator<TableEntry>, seq: number): Generator<TableEntry> {
  let pending: TableEntry | undefined;
  for (let r = entries.next(); !r.done; r = entries.next()) {
    const e = r.value;
    if (pending && !equalBytes(e.key, pending.key)) {
      yield pending;
      pending = undefined;
    }
    if (e.seq <= seq) pending = e;
  }
  if (pending) yield pending;
}

/** A run's visible versions (one L0 table, or a sorted, disjoint level), backwards, table after table. */
export function* levelReverse(tables: TableHandle[], upTo: Buffer | undefined, seq: number): Generator<TableEntry> {
  for (let i = tables.length - 1; i >= 0; i--) yield* visibleReverse(tables[i].table.entriesReverse(upTo), seq);
}

/** Merges per-source visible versions, keys descending: per key, the highest sequence. */
export function* mergeReverse(sources: Array<Iterator<TableEntry>>): Generator<TableEntry> {
  const heads: Array<TableEntry | undefined> = sources.map((s) => {
    const r = s.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let key: Buffer | undefined;
    for (const h of heads) if (h && (key === undefined || compareBytes(h.key, key) > 0)) key = h.key;
    if (key === undefined) return;
    let best: TableEntry | undefined;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (!h || !equalBytes(h.key, key)) continue;
      if (!best || h.seq > best.seq) best = h;
      const r = sources[i].next();
      heads[i] = r.done ? undefined : r.value;
    }
    yield best as TableEntry;
  }
}

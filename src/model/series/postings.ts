// The labels index in memory (TS.MRANGE / TS.MGET / TS.QUERYINDEX): for a label name and value, the heads of the
// series that have it, in key order. A list is read from the engine's labels-index entries the first time a query
// asks for it, and then kept:
//
// - a write that gives a series a label (TS.CREATE or TS.ADD creating it, TS.ALTER LABELS, RENAME, COPY) drops the
//   lists of that series' labels (`added`), so the next query reads them again;
// - a series that leaves (DEL, expiry, overwrite, the source of a RENAME, FLUSHALL) stays in the lists it was in,
//   and the reader skips it: its head is no longer the store's head for its key (SeriesStore.current). Labels that a
//   TS.ALTER took away stay too, and the caller's check of the header's labels skips them. Lists are pruned of
//   departed heads when a read finds some.
//
// Lists hold at most `budget` entries in all, and unions as many again (8 bytes each; the heads are the store's own);
// past it, the least recently read are dropped first, to be read from the engine again when asked for. A list longer
// than the budget is never kept.
import type { SeriesState } from "./state";

/** Default bound of the lists' entries together. */
export const DEFAULT_POSTINGS_BUDGET = 1 << 22;

/** Unions of several values' lists kept (a matcher l=(v1,v2,...) asked again gets its merged list at once). */
const UNIONS = 256;

export class LabelPostings {
  private readonly lists = new Map<string, SeriesState[]>();
  private entries = 0;
  /** Merged lists of l=(v1,...), with the generation of l they were made at. */
  private readonly unions = new Map<string, { gen: number; list: SeriesState[] }>();
  private unionEntries = 0;
  /** Per label name, a count of the series given that label (`added`): a union made before is stale. */
  private readonly gens = new Map<string, number>();

  constructor(public budget = DEFAULT_POSTINGS_BUDGET) {}

  /** Entries held now, lists and unions (tests). */
  get size(): number {
    return this.entries + this.unionEntries;
  }

  /** The list of name = value: kept, or made by `load` (heads in key order) and kept. */
  get(name: string, value: string, load: () => SeriesState[]): SeriesState[] {
    const k = keyOf(name, value);
    const kept = this.lists.get(k);
    if (kept !== undefined) {
      // Most recently read last: Map keeps insertion order.
      this.lists.delete(k);
      this.lists.set(k, kept);
      return kept;
    }
    const list = load();
    if (list.length > this.budget) return list;
    this.lists.set(k, list);
    this.entries += list.length;
    this.trim();
    return list;
  }

  /**
   * The merged list of name = any of `values` (two or more): kept, or made by `merge` from the values' lists and
   * kept while no series gets the label `name`. Unions count against the same budget as the lists.
   */
  union(name: string, values: string[], merge: () => SeriesState[]): SeriesState[] {
    const k = unionKeyOf(name, values);
    const gen = this.gens.get(name) ?? 0;
    const kept = this.unions.get(k);
    if (kept !== undefined && kept.gen === gen) return kept.list;
    if (kept !== undefined) this.dropUnion(k);
    const list = merge();
    if (list.length > this.budget) return list;
    this.unions.set(k, { gen, list });
    this.unionEntries += list.length;
    while (this.unions.size > UNIONS || (this.unionEntries > this.budget && this.unions.size > 0)) this.dropUnion(this.unions.keys().next().value as string);
    return list;
  }

  /** A kept union was found to hold departed heads: `live` replaces it. */
  prunedUnion(name: string, values: string[], live: SeriesState[]): void {
    const k = unionKeyOf(name, values);
    const kept = this.unions.get(k);
    if (kept === undefined) return;
    this.unionEntries += live.length - kept.list.length;
    kept.list = live;
  }

  /** A kept list was found to hold departed heads: `live` (in the same order) replaces it. */
  pruned(name: string, value: string, live: SeriesState[]): void {
    const k = keyOf(name, value);
    const kept = this.lists.get(k);
    if (kept === undefined) return;
    this.entries += live.length - kept.length;
    this.lists.set(k, live);
  }

  /** A series got these labels: their lists no longer hold every series that has them. */
  added(labels: ReadonlyArray<readonly [string, string]>): void {
    if (this.lists.size === 0 && this.unions.size === 0) return;
    for (const [n, v] of labels) {
      this.drop(keyOf(n, v));
      this.gens.set(n, (this.gens.get(n) ?? 0) + 1);
    }
  }

  clear(): void {
    this.lists.clear();
    this.entries = 0;
    this.unions.clear();
    this.unionEntries = 0;
    this.gens.clear();
  }

  private dropUnion(k: string): void {
    const kept = this.unions.get(k);
    if (kept === undefined) return;
    this.unionEntries -= kept.list.length;
    this.unions.delete(k);
  }

  private drop(k: string): void {
    const kept = this.lists.get(k);
    if (kept === undefined) return;
    this.entries -= kept.length;
    this.lists.delete(k);
  }

  private trim(): void {
    while (this.entries > this.budget && this.lists.size > 0) {
      const oldest = this.lists.keys().next().value as string;
      this.drop(oldest);
    }
  }
}

/** One string per (name, value): the name's length first, so no two pairs share one. */
function keyOf(name: string, value: string): string {
  return `${name.length}:${name}${value}`;
}

/** One string per (name, values in order): lengths first, so no two share one. */
function unionKeyOf(name: string, values: string[]): string {
  const list = values.join(",");
  return `${name.length}:${name}${list.length}:${list}`;
}

// Compaction rules (TS.CREATERULE): what a write to a source series does to its destinations, RedisTimeSeries's
// semantics. A closed bucket's aggregate is written into the destination; out-of-order writes and TS.DEL into closed
// buckets compute them again. Functions of the store (series.ts calls them after its own writes).
import { CommandError } from "../../server/errors";
import { aggregate, AggregationSpec, bucketStart, Point } from "./aggregate";
import type { CompactionRule } from "./header";
import type { SeriesStore } from "./series";
import { lastTimestamp, sameKey, SeriesBatch, SeriesState, totalSamples } from "./state";

/**
 * The rule's aggregate of the source's points in [from, end) (undefined when there are none). twa also sees the
 * samples around the bucket: `next` when given, else the first one at or after `end`.
 */
function bucketValue(st: SeriesStore, src: SeriesState, rule: CompactionRule, from: number, end: number, next?: Point): number | undefined {
  // std / var from the sum and the sum of squares, as RedisTimeSeries's compaction rules compute them.
  const spec: AggregationSpec = { type: rule.aggregator, bucketDuration: rule.bucketDuration, align: rule.align, bucketTimestamp: "start", empty: false, sumOfSquares: true };
  let prev: Point | undefined;
  if (rule.aggregator === "twa") {
    for (const pt of st.points(src, -Number.MAX_SAFE_INTEGER, from - 1, true)) {
      prev = pt;
      break;
    }
    if (!next) {
      for (const pt of st.points(src, end, Number.MAX_SAFE_INTEGER, false)) {
        next = pt;
        break;
      }
    }
  }
  let any = false;
  const pts = (function* (it: Iterable<Point>) {
    for (const p of it) {
      any = true;
      yield p;
    }
  })(st.points(src, from, end - 1, false));
  let out: number | undefined;
  for (const [, val] of aggregate(pts, spec, from, end, false, prev, next)) {
    out = val;
    break;
  }
  return any ? out : undefined;
}

function addToDest(st: SeriesStore, w: SeriesBatch, rule: CompactionRule, src: SeriesState, at: number, value: number): void {
  const dest = st.series(rule.destKey);
  if (!dest || !dest.header.srcKey || !sameKey(dest.header.srcKey, src.key)) return;
  try {
    st.add(w, dest, at, value, "last");
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
  }
}

/** A sample after the last one: closes each rule's current bucket when the sample starts a later one. */
export function appendCompaction(st: SeriesStore, w: SeriesBatch, s: SeriesState, t: number, v: number, prevTotal: number, prevLast: number): void {
  for (const rule of s.header.rules) {
    if (prevTotal === 0 || prevLast < rule.from) continue;
    const cur = Math.max(0, bucketStart(prevLast, rule.bucketDuration, rule.align));
    const now = Math.max(0, bucketStart(t, rule.bucketDuration, rule.align));
    if (now <= cur) continue;
    const end = bucketStart(prevLast, rule.bucketDuration, rule.align) + rule.bucketDuration;
    const value = bucketValue(st, s, rule, Math.max(cur, rule.from), end, [t, v]);
    if (value !== undefined) addToDest(st, w, rule, s, cur, value);
  }
}

/** An out-of-order write: a closed bucket it lands in is computed again and written over the old result. */
export function upsertCompaction(st: SeriesStore, w: SeriesBatch, s: SeriesState, t: number): void {
  const last = lastTimestamp(s);
  for (const rule of s.header.rules) {
    const cur = Math.max(0, bucketStart(last, rule.bucketDuration, rule.align));
    if (t >= cur) continue;
    const raw = bucketStart(t, rule.bucketDuration, rule.align);
    const b = Math.max(0, raw);
    const value = bucketValue(st, s, rule, b, raw + rule.bucketDuration);
    if (value !== undefined) addToDest(st, w, rule, s, b, value);
  }
}

/** TS.DEL on a source: buckets it touched are computed again, emptied ones deleted from the destination. */
export function delRangeCompaction(st: SeriesStore, w: SeriesBatch, s: SeriesState, from: number, to: number, oldLast: number): void {
  const newTotal = totalSamples(s);
  const newLast = lastTimestamp(s);
  for (const rule of s.header.rules) {
    const dest = st.series(rule.destKey);
    if (!dest || !dest.header.srcKey || !sameKey(dest.header.srcKey, s.key)) continue;
    const d = rule.bucketDuration;
    const bs = (x: number): number => bucketStart(x, d, rule.align);
    const oldCur = Math.max(0, bs(oldLast));
    const redo = (rawStart: number): void => {
      const b = Math.max(0, rawStart);
      const value = bucketValue(st, s, rule, b, rawStart + d);
      if (value === undefined) st.delRange(w, dest, b, b);
      else addToDest(st, w, rule, s, b, value);
    };
    if (from < oldCur) {
      const first = bs(from);
      redo(first);
      const lastClosed = to >= oldCur ? bs(oldCur) - d : bs(to);
      if (lastClosed > first) {
        if (lastClosed - d > first) st.delRange(w, dest, Math.max(0, first + d), Math.max(0, lastClosed - 1));
        if (to < oldCur) redo(lastClosed);
        else st.delRange(w, dest, Math.max(0, lastClosed), Math.max(0, lastClosed + d - 1));
      }
    }
    // The open bucket emptied: the bucket of the new last sample is open again, so its result leaves the
    // destination until it closes once more.
    if (newTotal > 0) {
      const newCur = Math.max(0, bs(newLast));
      if (newCur < oldCur) st.delRange(w, dest, newCur, newCur);
    }
  }
}

/** LATEST: the still-open bucket of a compaction's source, as the rule would write it; undefined otherwise. */
export function latest(st: SeriesStore, dest: SeriesState): Point | undefined {
  const src = st.liveSource(dest);
  if (!src || totalSamples(src) === 0) return undefined;
  const rule = src.header.rules.find((r) => sameKey(r.destKey, dest.key));
  if (!rule) return undefined;
  const last = lastTimestamp(src);
  if (last < rule.from) return undefined;
  const raw = bucketStart(last, rule.bucketDuration, rule.align);
  const b = Math.max(0, raw);
  const value = bucketValue(st, src, rule, Math.max(b, rule.from), raw + rule.bucketDuration);
  return value === undefined ? undefined : [b, value];
}

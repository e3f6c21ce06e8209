// The multi-series queries: TS.MRANGE/TS.MREVRANGE (with GROUPBY/REDUCE), TS.MGET and TS.QUERYINDEX.
import { TypeTag } from "../../../model/keys";
import type { Keyspace } from "../../../model/keyspace";
import { AggregatorName, parseReducer } from "../../../model/series/aggregate";
import { isPositive, Matcher, matchesAll, parseFilters } from "../../../model/series/filter";
import { GroupReduction, SampleCursor } from "../../../model/series/group";
import { SeriesState, SeriesStore } from "../../../model/series/series";
import type { CommandContext, CommandSpec } from "../../command";
import { CommandError } from "../../errors";
import { keyspace } from "../util";
import { lowered, argIndex, wrongArity, latin1, store } from "./common";
import { replySample, replyLastSample, replyLabels, selectLabels, LabelQuery, parseLabelQuery, labelsFor, deferredArray } from "./reply";
import { RangeArgs, parseRange } from "./range-args";
import { writeCursor, STREAM_ABOVE, RangeView, rangeView, writeRange, viewCursor, streamView, streamSamples } from "./range";

// ---- multi-series queries --------------------------------------------------------------------------------------

/**
 * QueryIndex: the series matching every matcher, in key order — the shortest list the labels index has for a
 * positive matcher (parseFilters makes sure there is one), checked against the others.
 */
export function queryIndex(ctx: CommandContext, st: SeriesStore, matchers: Matcher[]): SeriesState[] {
  let best: SeriesState[] | undefined;
  for (const m of matchers) {
    if (!isPositive(m)) continue;
    const list = st.withLabel(m.label, m.values);
    if (best === undefined || list.length < best.length) best = list;
    if (best.length === 0) return [];
  }
  if (best === undefined) {
    best = [];
    for (const [k, meta] of (keyspace(ctx) as Keyspace).keys()) {
      if (meta.type !== TypeTag.SERIES) continue;
      const s = st.series(k);
      if (s) best.push(s);
    }
  }
  const out: SeriesState[] = [];
  for (const s of best) if (matchesAll(s.header.labels, matchers)) out.push(s);
  return out;
}

export function filterArgs(args: Buffer[], from: number, to: number): string[] {
  return args.slice(from, to).map(latin1);
}

export const tsMget: CommandSpec["handler"] = (ctx, args) => {
  if (args.length < 3) throw wrongArity("ts.mget");
  const lc = lowered(args);
  const latest = argIndex(lc, "latest") > 0;
  const fi = argIndex(lc, "filter");
  if (fi === -1) throw wrongArity("ts.mget");
  const q = parseLabelQuery(args, lc);
  const matchers = parseFilters(filterArgs(args, fi + 1, args.length));
  const st = store(ctx);
  const found = queryIndex(ctx, st, matchers);
  const r = ctx.reply;
  if (r.proto === 3) r.mapHeader(found.length);
  else r.arrayHeader(found.length);
  for (const s of found) {
    if (r.proto !== 3) r.arrayHeader(3);
    r.bulk(s.key);
    if (r.proto === 3) r.arrayHeader(2);
    replyLabels(r, labelsFor(q, s.header.labels));
    const p = latest && s.header.srcKey ? st.latest(s) : undefined;
    if (p) replySample(r, p[0], p[1]);
    else replyLastSample(r, s);
  }
};

export interface MRangeArgs {
  range: RangeArgs;
  labels: LabelQuery;
  matchers: Matcher[];
  groupBy: { label: string; reducer: AggregatorName } | undefined;
}

export function parseMRange(args: Buffer[], lc: string[]): MRangeArgs {
  const name = lc[0];
  if (args.length < 4) throw wrongArity(name);
  const range = parseRange(args, lc, 1);
  const fi = argIndex(lc, "filter");
  if (fi === -1) throw new CommandError("ERR TSDB: missing FILTER argument");
  const labels = parseLabelQuery(args, lc);
  const gi = argIndex(lc, "groupby");
  if (gi > 0 && gi < fi) throw new CommandError("ERR TSDB: GROUPBY should always come after filter");
  const lastFilter = gi > 0 ? gi - 1 : args.length - 1;
  if (lastFilter - fi === 0) throw new CommandError("ERR TSDB: missing labels for filter argument");
  const matchers = parseFilters(filterArgs(args, fi + 1, lastFilter + 1));
  let groupBy: MRangeArgs["groupBy"];
  if (gi > 0) {
    if (gi + 1 >= args.length) throw wrongArity(name);
    const ri = argIndex(lc, "reduce");
    if (ri < 0 || args.length - gi !== 4) throw wrongArity(name);
    const reducer = parseReducer(latin1(args[ri + 1]));
    if (!reducer) throw new CommandError("ERR TSDB: Invalid reducer type");
    groupBy = { label: latin1(args[gi + 1]), reducer };
  }
  return { range, labels, matchers, groupBy };
}

/** A GROUPBY group's samples: its members' captured views merged by timestamp and reduced, before COUNT. */
export function groupCursor(views: RangeView[], reducer: AggregatorName, reverse: boolean, release: boolean): SampleCursor {
  return new GroupReduction(views.map((v) => viewCursor(v, release)), reducer, reverse);
}

export function mrange(reverse: boolean): CommandSpec["handler"] {
  return (ctx, args) => {
    const lc = lowered(args);
    const m = parseMRange(args, lc);
    const st = store(ctx);
    const found = queryIndex(ctx, st, m.matchers);
    const r = ctx.reply;
    const proto = r.proto;
    if (!m.groupBy) {
      const prefix = (s: SeriesState): void => {
        if (proto !== 3) r.arrayHeader(3);
        r.bulk(s.key);
        if (proto === 3) r.arrayHeader(3);
        replyLabels(r, labelsFor(m.labels, s.header.labels));
        if (proto === 3) {
          r.mapHeader(1);
          r.bulk("aggregators");
          if (m.range.aggregation) {
            r.arrayHeader(1);
            r.bulk(m.range.aggregation.type);
          } else r.arrayHeader(0);
        }
      };
      // Ranges over many points stream, series after series, from views captured now (see streamView).
      const views = found.map((s) => rangeView(st, s, m.range, reverse));
      let total = 0;
      for (const v of views) total += v.bound;
      if (proto === 3) r.mapHeader(found.length);
      else r.arrayHeader(found.length);
      if (total > STREAM_ABOVE) {
        return (async () => {
          for (const v of views) {
            prefix(v.s);
            await streamView(ctx, v);
          }
        })();
      }
      for (const v of views) {
        prefix(v.s);
        deferredArray(ctx, (w) => writeRange(w, v));
      }
      return;
    }
    // GROUPBY: a group per value of the label, in byte order of the values, holding the series that have it.
    const g = m.groupBy;
    const limit = m.range.count === -1 ? Infinity : m.range.count;
    const groups = new Map<string, SeriesState[]>();
    for (const s of found) {
      const v = s.header.labels.find(([n]) => n === g.label)?.[1];
      if (v === undefined) continue;
      const list = groups.get(v);
      if (list) list.push(s);
      else groups.set(v, [s]);
    }
    const order = [...groups.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")));
    // Every member's range captured now; a group's reply is its members' samples merged by timestamp and reduced as
    // they are read (GroupReduction), so it is never held whole. It has at most as many samples as its members' views
    // bound together: past STREAM_ABOVE in all, the groups stream one after another (see streamSamples).
    const captured = order.map((value) => ({ value, views: (groups.get(value) as SeriesState[]).map((s) => rangeView(st, s, m.range, reverse)) }));
    let total = 0;
    for (const grp of captured) for (const v of grp.views) total += v.bound;
    const prefix = (value: string, views: RangeView[]): void => {
      const name = `${g.label}=${value}`;
      const sources = views.map((v) => latin1(v.s.key));
      const all: Array<[string, string]> = [
        [g.label, value],
        ["__reducer__", g.reducer],
        ["__source__", sources.join(",")],
      ];
      if (proto !== 3) r.arrayHeader(3);
      r.bulk(Buffer.from(name, "latin1"));
      if (proto === 3) r.arrayHeader(4);
      if (m.labels.withLabels) replyLabels(r, proto === 3 ? all.slice(0, 1) : all);
      else if (m.labels.selected) replyLabels(r, selectLabels(all, m.labels.selected));
      else replyLabels(r, []);
      if (proto === 3) {
        r.mapHeader(1);
        r.bulk("reducers");
        r.arrayHeader(1);
        r.bulk(g.reducer);
        r.mapHeader(1);
        r.bulk("sources");
        r.arrayHeader(views.length);
        for (const v of views) r.bulk(v.s.key);
      }
    };
    if (proto === 3) r.mapHeader(order.length);
    else r.arrayHeader(order.length);
    if (total > STREAM_ABOVE) {
      return (async () => {
        for (const { value, views } of captured) {
          prefix(value, views);
          await streamSamples(ctx, (release) => groupCursor(views, g.reducer, reverse, release), limit);
        }
      })();
    }
    for (const { value, views } of captured) {
      prefix(value, views);
      deferredArray(ctx, (w) => writeCursor(w, groupCursor(views, g.reducer, reverse, false), limit));
    }
  };
}

export const tsQueryIndex: CommandSpec["handler"] = (ctx, args) => {
  const matchers = parseFilters(filterArgs(args, 1, args.length));
  const found = queryIndex(ctx, store(ctx), matchers);
  ctx.reply.setHeader(found.length);
  for (const s of found) ctx.reply.bulk(s.key);
};

// TS.RANGE/TS.MRANGE arguments: timestamps, AGGREGATION, COUNT and the filters, parsed as RedisTimeSeries parses them.
import { AggregatorName, BucketTimestamp, parseAggregator } from "../../../model/series/aggregate";
import { CommandError } from "../../errors";
import { MAX_TS, MAX_TS_VALUES_FILTER, argIndex, wrongArity, longLong, strictDouble, latin1 } from "./common";

// ---- range arguments -------------------------------------------------------------------------------------------

export interface RangeArgs {
  from: number;
  to: number;
  fromMin: boolean;
  toMax: boolean;
  latest: boolean;
  count: number;
  aggregation: { type: AggregatorName; bucketDuration: number; empty: boolean; bucketTimestamp: BucketTimestamp } | undefined;
  align: { kind: "default" | "start" | "end" | "ts"; ts: number };
  filterByValue: { min: number; max: number } | undefined;
  filterByTs: number[] | undefined;
}

export function rangeTimestamp(b: Buffer): number | null {
  const n = longLong(b);
  return n === null || n < 0 ? null : n;
}

export interface ParsedAggregation {
  type: AggregatorName;
  bucketDuration: number;
  empty: boolean;
  bucketTimestamp: BucketTimestamp;
  align: number;
}

/** _parseAggregationArgs; undefined when there is no AGGREGATION keyword. */
export function parseAggregation(args: Buffer[], lc: string[], forRule: boolean): ParsedAggregation | undefined {
  const at = argIndex(lc, "aggregation");
  if (at <= 0) return undefined;
  const d = at + 2 < args.length ? longLong(args[at + 2]) : null;
  if (d === null) throw new CommandError("ERR TSDB: Couldn't parse AGGREGATION");
  const type = parseAggregator(latin1(args[at + 1]));
  if (!type) throw new CommandError("ERR TSDB: Unknown aggregation type");
  if (d <= 0) throw new CommandError("ERR TSDB: bucketDuration must be greater than zero");
  const out: ParsedAggregation = { type, bucketDuration: d, empty: false, bucketTimestamp: "start", align: 0 };
  if (!forRule) {
    const ei = argIndex(lc, "empty");
    if (ei > 0) {
      if (ei !== at + 3 && ei !== at + 5) throw new CommandError("ERR TSDB: EMPTY flag should be the 3rd or 5th flag after AGGREGATION flag");
      out.empty = true;
    }
  } else if (args.length === 7) {
    const a = rangeTimestamp(args[at + 3]);
    if (a === null) throw new CommandError("ERR TSDB: Couldn't parse alignTimestamp");
    out.align = a;
  }
  if (!forRule) {
    const bi = argIndex(lc, "buckettimestamp");
    if (bi > 0) {
      if (bi !== at + 3 && bi !== at + 4) throw new CommandError("ERR TSDB: BUCKETTIMESTAMP flag should be the 3rd or 4th flag after AGGREGATION flag");
      if (bi + 1 >= args.length) throw wrongArity(lc[0]);
      const v = lc[bi + 1];
      if (v === "start" || v === "-") out.bucketTimestamp = "start";
      else if (v === "end" || v === "+") out.bucketTimestamp = "end";
      else if (v === "mid" || v === "~") out.bucketTimestamp = "mid";
      else throw new CommandError("ERR TSDB: unknown BUCKETTIMESTAMP parameter");
    }
  }
  return out;
}

export function parseCount(args: Buffer[], lc: string[]): number {
  let at = argIndex(lc, "count");
  if (at <= 0) return -1;
  const agg = argIndex(lc, "aggregation");
  const red = argIndex(lc, "reduce");
  if (agg > 0 && at === agg + 1) {
    const again = argIndex(lc, "count", agg + 2);
    if (again < 0) return -1;
    at = again;
  }
  if (red > 0 && at === red + 1) {
    const again = argIndex(lc, "count", red + 2);
    if (again < 0) return -1;
    at = again;
  }
  if (at + 1 === args.length) throw new CommandError("ERR TSDB: COUNT argument is missing");
  const n = longLong(args[at + 1]);
  if (n === null) throw new CommandError("ERR TSDB: Couldn't parse COUNT");
  if (n < 1) throw new CommandError("ERR TSDB: Invalid COUNT value");
  return n;
}

/** parseRangeArguments: from / to at `start`, then the options, in RedisTimeSeries's order of checks. */
export function parseRange(args: Buffer[], lc: string[], start: number): RangeArgs {
  const fromArg = latin1(args[start]);
  const toArg = latin1(args[start + 1]);
  const out: RangeArgs = {
    from: 0,
    to: MAX_TS,
    fromMin: fromArg === "-",
    toMax: toArg === "+",
    latest: false,
    count: -1,
    aggregation: undefined,
    align: { kind: "default", ts: 0 },
    filterByValue: undefined,
    filterByTs: undefined,
  };
  if (!out.fromMin) {
    const f = rangeTimestamp(args[start]);
    if (f === null) throw new CommandError("ERR TSDB: wrong fromTimestamp");
    out.from = f;
  }
  if (!out.toMax) {
    const t = rangeTimestamp(args[start + 1]);
    if (t === null) throw new CommandError("ERR TSDB: wrong toTimestamp");
    out.to = t;
  }
  out.latest = argIndex(lc, "latest") > 0;
  out.count = parseCount(args, lc);
  const agg = parseAggregation(args, lc, false);
  if (agg) out.aggregation = { type: agg.type, bucketDuration: agg.bucketDuration, empty: agg.empty, bucketTimestamp: agg.bucketTimestamp };
  const ai = argIndex(lc, "align");
  if (ai > 0) {
    if (ai + 1 >= args.length) throw wrongArity(lc[0]);
    const v = lc[ai + 1];
    if (v === "start" || v === "-") out.align = { kind: "start", ts: 0 };
    else if (v === "end" || v === "+") out.align = { kind: "end", ts: 0 };
    else {
      const ts = rangeTimestamp(args[ai + 1]);
      if (ts === null) throw new CommandError("ERR TSDB: unknown ALIGN parameter");
      out.align = { kind: "ts", ts };
    }
    if (!out.aggregation) throw new CommandError("ERR TSDB: ALIGN parameter can only be used with AGGREGATION");
    if (out.align.kind === "start" && out.fromMin) throw new CommandError("ERR TSDB: start alignment can only be used with explicit start timestamp");
    if (out.align.kind === "end" && out.toMax) throw new CommandError("ERR TSDB: end alignment can only be used with explicit end timestamp");
  }
  const vi = argIndex(lc, "filter_by_value");
  if (vi > 0) {
    if (vi + 2 >= args.length) throw new CommandError("ERR TSDB: FILTER_BY_VALUE one or more arguments are missing");
    const min = strictDouble(args[vi + 1]);
    if (min === null) throw new CommandError("ERR TSDB: Couldn't parse MIN");
    const max = strictDouble(args[vi + 2]);
    if (max === null) throw new CommandError("ERR TSDB: Couldn't parse MAX");
    out.filterByValue = { min, max };
  }
  const ti = argIndex(lc, "filter_by_ts");
  if (ti > 0) {
    if (ti + 1 === args.length) throw new CommandError("ERR TSDB: FILTER_BY_TS one or more arguments are missing");
    const values: number[] = [];
    for (let i = ti + 1; i < args.length && values.length < MAX_TS_VALUES_FILTER; i++) {
      const ts = rangeTimestamp(args[i]);
      if (ts === null) break;
      values.push(ts);
    }
    if (values.length === 0) throw new CommandError("ERR TSDB: FILTER_BY_TS one or more arguments are missing");
    out.filterByTs = [...new Set(values)].sort((a, b) => a - b);
  }
  return out;
}

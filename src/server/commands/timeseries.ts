// The time-series face: RedisTimeSeries 1.12's commands, argument grammar, replies and error texts (its
// src/module.c, src/query_language.c, src/reply.c), over the series store of src/model/series/.
//
// Arguments are found the way RedisTimeSeries finds them (RMUtil_ArgIndex: the first argument equal to the keyword,
// any letter case, anywhere in the command), so the same inputs are accepted, ignored or refused.
import { TypeTag } from "../../model/keys";
import type { Keyspace } from "../../model/keyspace";
import { AggregationSpec, AggregatorName, aggregate, BucketTimestamp, bucketStart, parseAggregator, parseReducer, Point } from "../../model/series/aggregate";
import { Matcher, matchesAll, parseFilters } from "../../model/series/filter";
import { formatSampleValue } from "../../model/series/format";
import { GroupReduction, pointCursor, SampleCursor, sliceCursor } from "../../model/series/group";
import { DUPLICATE_POLICIES, DuplicatePolicy, RuleAggregator } from "../../model/series/header";
import {
  ChunkSlice,
  CreateOptions,
  lastTimestamp,
  lastValue,
  retentionFloor,
  SeriesBatch,
  SeriesState,
  SeriesStore,
  totalSamples,
  chunkTotal,
  sliceOf,
} from "../../model/series/series";
import { chunkCount, chunkFirstTimestamp, chunkLastTimestamp } from "../../model/series/codec";
import { parseInteger } from "../../protocol/decoder";
import { formatDouble17g, RespWriter, writeUint } from "../../protocol/encoder";
import type { ReplyWriter } from "../../protocol/reply";
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { command, keyspace, WRONGTYPE } from "./util";

const MAX_TS = Number.MAX_SAFE_INTEGER;
const DEFAULT_CHUNK_SIZE = 4096;
const MAX_TS_VALUES_FILTER = 128;
const LIMIT_LABELS_SIZE = 50;
const QUERY_TOKENS = new Set(["withlabels", "aggregation", "limit", "groupby", "reduce", "filter", "filter_by_value", "filter_by_ts", "count"]);

const E = {
  notExist: "ERR TSDB: the key does not exist",
  notTsdb: "ERR TSDB: the key is not a TSDB key",
  exists: "ERR TSDB: key already exists",
  invalidValue: "ERR TSDB: invalid value",
  invalidTs: "ERR TSDB: invalid timestamp",
  negativeTs: "ERR TSDB: invalid timestamp, must be a nonnegative integer",
  labels: "ERR TSDB: Couldn't parse LABELS",
  retention: "ERR TSDB: Couldn't parse RETENTION",
  chunkSizeParse: "ERR TSDB: Couldn't parse CHUNK_SIZE",
  chunkSize: "ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]",
  dupParse: "ERR TSDB: Couldn't parse DUPLICATE_POLICY",
  dupUnknown: "ERR TSDB: Unknown DUPLICATE_POLICY",
  ignoreParse: "ERR TSDB: Couldn't parse IGNORE",
  ignoreNegative: "ERR TSDB: IGNORE arguments cannot be negative",
  encoding: "ERR TSDB: unknown ENCODING parameter",
} as const;

// ---- argument helpers ----------------------------------------------------------------------------------------

/** Whether argument `b` is `word` (given in lower case, ASCII letters and '_'), in any case: no string made. */
function isKeyword(b: Buffer, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) if ((b[i] | 0x20) !== word.charCodeAt(i) && !(b[i] === 0x5f && word.charCodeAt(i) === 0x5f)) return false;
  return true;
}

/** The first position from `from` holding `word` in any case (argIndex without lowering every argument), or -1. */
function keywordIndex(args: Buffer[], word: string, from: number): number {
  for (let i = from; i < args.length; i++) if (isKeyword(args[i], word)) return i;
  return -1;
}

/** The arguments in lower case, for keyword search (long ones cannot be keywords). */
function lowered(args: Buffer[]): string[] {
  return args.map((a) => (a.length <= 32 ? a.toString("latin1").toLowerCase() : ""));
}

/** RMUtil_ArgIndex: the first position holding `name` (lower case), or -1. */
function argIndex(lc: string[], name: string, from = 0): number {
  for (let i = from; i < lc.length; i++) if (lc[i] === name) return i;
  return -1;
}

function wrongArity(name: string): CommandError {
  return new CommandError(`ERR wrong number of arguments for '${name}' command`);
}

/** RedisModule_StringToLongLong; values beyond 2^53 come back clamped to the nearest safe integer. */
function longLong(b: Buffer | undefined): number | null {
  if (!b) return null;
  const n = parseInteger(b, 0, b.length);
  if (n === null) return null;
  return Math.max(-MAX_TS, Math.min(MAX_TS, n));
}

/** RedisModule_StringToDouble (strtod over the whole string; no NaN, no overflow). */
function strictDouble(b: Buffer | undefined): number | null {
  if (!b || b.length === 0 || b.length > 300) return null;
  const s = b.toString("latin1");
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s[0] === "-" ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const v = Number(s);
  if (!Number.isFinite(v)) return null;
  return v;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * The sample value parser of TS.ADD / TS.MADD (fast_double_parser): a number at the start of the argument —
 * optional '-', digits (no leading zero), optional fraction, optional exponent; what follows it is ignored.
 */
export function sampleValue(b: Buffer): number | null {
  const n = b.length;
  let i = 0;
  if (i < n && b[i] === 0x2d) i++;
  if (i >= n || !isDigit(b[i])) return null;
  if (b[i] === 0x30) {
    i++;
    if (i < n && isDigit(b[i])) return null;
  } else while (i < n && isDigit(b[i])) i++;
  if (i < n && b[i] === 0x2e) {
    i++;
    while (i < n && isDigit(b[i])) i++;
  }
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    let j = i + 1;
    if (j < n && (b[j] === 0x2b || b[j] === 0x2d)) j++;
    if (j >= n || !isDigit(b[j])) return null;
    while (j < n && isDigit(b[j])) j++;
    i = j;
  }
  // Up to 15 significant digits and no exponent: the digits as an integer over a power of ten is exact in both parts,
  // so the one division rounds correctly (Clinger's fast path) and gives what Number() of the text gives.
  let m = 0;
  let digits = 0;
  let scale = 1;
  let frac = false;
  let simple = true;
  for (let k = b[0] === 0x2d ? 1 : 0; k < i; k++) {
    const c = b[k];
    if (c === 0x2e) {
      frac = true;
      continue;
    }
    if (c < 0x30 || c > 0x39 || digits >= 15) {
      simple = false;
      break;
    }
    m = m * 10 + (c - 0x30);
    digits++;
    if (frac) scale *= 10;
  }
  if (simple) {
    const v = m / scale;
    return b[0] === 0x2d ? -v : v;
  }
  return Number(b.toString("latin1", 0, i));
}

function latin1(b: Buffer): string {
  return b.toString("latin1");
}

// ---- context ---------------------------------------------------------------------------------------------------

function store(ctx: CommandContext): SeriesStore {
  return SeriesStore.of(keyspace(ctx));
}

/** GetSeries: the series, or RedisTimeSeries's error for a missing key / WRONGTYPE. */
function getSeries(st: SeriesStore, key: Buffer): SeriesState {
  const s = st.lookup(key);
  if (s === undefined) throw new CommandError(E.notExist);
  if (s === "wrongtype") throw new CommandError(WRONGTYPE);
  return s;
}

/** The reply of a write command, held until its writes are applied (so a failed write never follows a reply). */
class PendingReply {
  private readonly parts: Array<number | string | { error: string } | { array: number }> = [];
  integer(n: number): void {
    this.parts.push(n);
  }
  simple(s: string): void {
    this.parts.push(s);
  }
  error(message: string): void {
    this.parts.push({ error: message });
  }
  arrayHeader(n: number): void {
    this.parts.push({ array: n });
  }
  send(r: ReplyWriter): void {
    for (const p of this.parts) {
      if (typeof p === "number") r.integer(p);
      else if (typeof p === "string") r.simple(p);
      else if ("error" in p) r.error(p.error);
      else r.arrayHeader(p.array);
    }
  }
}

type WriteHandler = (ctx: CommandContext, args: Buffer[], st: SeriesStore, w: SeriesBatch, out: PendingReply) => void;

/**
 * A write command: what it changed in memory is written when it ends, then its reply goes out (held until the
 * writes are durable). When the engine refuses the writes the client gets that error alone.
 */
function writes(fn: WriteHandler): CommandSpec["handler"] {
  return (ctx, args) => {
    const st = store(ctx);
    const w = st.begin();
    const out = new PendingReply();
    let seq: bigint | undefined;
    try {
      fn(ctx, args, st, w, out);
    } finally {
      try {
        seq = st.finish(w);
      } finally {
        st.release(w);
      }
    }
    // Hold the reply until everything applied so far is durable, not only this command's own batch: a write that
    // changed nothing (a duplicate of a sample another client wrote a moment ago, under LAST) has observed data
    // that may not be on disk yet, and acknowledging it first would let a crash lose what it confirmed. The hold
    // covers what is written after it, so it comes before the reply.
    ctx.holdUntilDurable(seq ?? ctx.server.engine.lastSequence);
    out.send(ctx.reply);
  };
}

function now(ctx: CommandContext): number {
  return keyspace(ctx).now();
}

// ---- TS.CREATE / TS.ALTER options ------------------------------------------------------------------------------

interface ParsedCreate extends CreateOptions {
  present: { retention: boolean; chunkSize: boolean; duplicatePolicy: boolean; labels: boolean; ignore: boolean };
}

function parseDuplicatePolicy(args: Buffer[], lc: string[], keyword: string): DuplicatePolicy | null | undefined {
  const i = argIndex(lc, keyword);
  if (i === -1) return undefined;
  if (i + 1 >= args.length) throw new CommandError(E.dupParse);
  const p = latin1(args[i + 1]).toLowerCase() as DuplicatePolicy;
  if (!DUPLICATE_POLICIES.includes(p)) throw new CommandError(E.dupUnknown);
  return p;
}

/** parseCreateArgs: options of TS.CREATE, TS.ALTER and the creating forms of TS.ADD / TS.INCRBY / TS.DECRBY. */
function parseCreate(ctx: CommandContext, args: Buffer[], lc: string[]): ParsedCreate {
  const out: ParsedCreate = {
    retention: ctx.server.config.retention,
    chunkSize: DEFAULT_CHUNK_SIZE,
    duplicatePolicy: null,
    uncompressed: false,
    ignoreMaxTimeDiff: 0,
    ignoreMaxValDiff: 0,
    labels: [],
    present: { retention: false, chunkSize: false, duplicatePolicy: false, labels: false, ignore: false },
  };
  const li = argIndex(lc, "labels");
  if (li >= 0) {
    out.present.labels = li > 0;
    const count = Math.floor(Math.max(0, args.length - (li + 1)) / 2);
    for (let i = 0; i < count; i++) {
      const k = args[li + 1 + i * 2];
      const v = args[li + 2 + i * 2];
      if (k.length === 0 || v.length === 0 || k.includes(0) || v.includes(0) || /[(),]/.test(latin1(v))) throw new CommandError(E.labels);
      out.labels.push([latin1(k), latin1(v)]);
    }
  }
  const ri = argIndex(lc, "retention");
  if (ri > 0) {
    const r = longLong(args[ri + 1]);
    if (r === null) throw new CommandError(E.retention);
    if (r < 0) throw new CommandError("TSDB: Couldn't parse RETENTION");
    out.retention = r;
    out.present.retention = true;
  }
  const ci = argIndex(lc, "chunk_size");
  if (ci >= 0) {
    const c = longLong(args[ci + 1]);
    if (c === null) throw new CommandError(E.chunkSizeParse);
    if (c < 48 || c > 1048576 || c % 8 !== 0) throw new CommandError(E.chunkSize);
    out.chunkSize = c;
    out.present.chunkSize = ci > 0;
  }
  const ei = argIndex(lc, "encoding");
  if (ei > 0) {
    if (ei + 1 >= args.length) throw wrongArity(lc[0]);
    const enc = latin1(args[ei + 1]).toLowerCase();
    if (enc === "uncompressed") out.uncompressed = true;
    else if (enc !== "compressed") throw new CommandError(E.encoding);
  } else {
    if (argIndex(lc, "uncompressed") > 0) out.uncompressed = true;
    if (argIndex(lc, "compressed") > 0) out.uncompressed = false;
  }
  const dp = parseDuplicatePolicy(args, lc, "duplicate_policy");
  if (dp !== undefined) {
    out.duplicatePolicy = dp;
    out.present.duplicatePolicy = argIndex(lc, "duplicate_policy") > 0;
  }
  const ii = argIndex(lc, "ignore");
  if (ii > 0) {
    const t = ii + 2 < args.length ? longLong(args[ii + 1]) : null;
    const v = ii + 2 < args.length ? strictDouble(args[ii + 2]) : null;
    if (t === null || v === null) throw new CommandError(E.ignoreParse);
    if (t < 0 || v < 0) throw new CommandError(E.ignoreNegative);
    out.ignoreMaxTimeDiff = t;
    out.ignoreMaxValDiff = v;
    out.present.ignore = true;
  }
  return out;
}

// ---- TS.ADD / TS.MADD / TS.INCRBY ------------------------------------------------------------------------------

/** Timestamp argument of TS.ADD / TS.MADD. */
function sampleTimestamp(b: Buffer, nowMs: () => number): number {
  if (b.length === 1 && b[0] === 0x2a) return nowMs();
  const n = parseInteger(b, 0, b.length);
  if (n === null) throw new CommandError(E.invalidTs);
  if (n < 0) throw new CommandError(E.negativeTs);
  if (!Number.isSafeInteger(n)) throw new CommandError(E.invalidTs);
  return n;
}

const tsAdd: WriteHandler = (ctx, args, st, w, out) => {
  const key = args[1];
  const value = sampleValue(args[3]);
  if (value === null) throw new CommandError(E.invalidValue);
  const t = args[2].length === 1 && args[2][0] === 0x2a ? now(ctx) : sampleTimestamp(args[2], () => now(ctx));
  let s = st.lookup(key);
  let policy: DuplicatePolicy | null = null;
  if (s === undefined) {
    const lc = lowered(args);
    const o = parseCreate(ctx, args, lc);
    s = st.create(w, key, o);
  } else if (s === "wrongtype") {
    throw new CommandError(WRONGTYPE);
  } else if (args.length > 4) {
    // Only ON_DUPLICATE matters for an existing series (the other options are for creating it).
    const at = keywordIndex(args, "on_duplicate", 0);
    if (at !== -1) {
      if (at + 1 >= args.length) throw new CommandError(E.dupParse);
      const p = latin1(args[at + 1]).toLowerCase() as DuplicatePolicy;
      if (!DUPLICATE_POLICIES.includes(p)) throw new CommandError(E.dupUnknown);
      policy = p;
    }
  }
  out.integer(st.add(w, s, t, value, policy));
};

const tsMadd: WriteHandler = (ctx, args, st, w, out) => {
  if (args.length < 4 || (args.length - 1) % 3 !== 0) throw wrongArity("ts.madd");
  let nowMs: number | undefined;
  const clock = (): number => (nowMs ??= now(ctx));
  out.arrayHeader((args.length - 1) / 3);
  // Series looked up once per command (a MADD often names the same keys many times).
  const seen = new Map<string, SeriesState | "wrongtype" | undefined>();
  let prevKey: Buffer | undefined;
  let prev: SeriesState | "wrongtype" | undefined;
  for (let i = 1; i < args.length; i += 3) {
    try {
      const value = sampleValue(args[i + 2]);
      if (value === null) throw new CommandError(E.invalidValue);
      const t = sampleTimestamp(args[i + 1], clock);
      let s: SeriesState | "wrongtype" | undefined;
      if (prevKey !== undefined && args[i].equals(prevKey)) s = prev;
      else {
        const id = args[i].toString("latin1");
        s = seen.has(id) ? seen.get(id) : st.lookup(args[i]);
        seen.set(id, s);
        prevKey = args[i];
        prev = s;
      }
      if (s === undefined) throw new CommandError(E.notTsdb);
      if (s === "wrongtype") throw new CommandError(WRONGTYPE);
      out.integer(st.add(w, s, t, value, null));
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      out.error(e.reply);
    }
  }
};

function incrBy(sign: 1 | -1): WriteHandler {
  return (ctx, args, st, w, out) => {
    const lc = lowered(args);
    let s = st.lookup(args[1]);
    if (s === undefined) s = st.create(w, args[1], parseCreate(ctx, args, lc));
    else if (s === "wrongtype") throw new CommandError(WRONGTYPE);
    const by = strictDouble(args[2]);
    if (by === null) throw new CommandError("ERR TSDB: invalid increase/decrease value");
    let t: number;
    const ti = argIndex(lc, "timestamp");
    if (ti === -1 || (args[ti + 1]?.length === 1 && args[ti + 1][0] === 0x2a)) t = now(ctx);
    else {
      const n = args[ti + 1] ? parseInteger(args[ti + 1], 0, args[ti + 1].length) : null;
      if (n === null || n < 0 || !Number.isSafeInteger(n)) throw new CommandError(E.invalidTs);
      t = n;
    }
    const last = lastTimestamp(s);
    if (t < last && last !== 0) throw new CommandError("TSDB: timestamp must be equal to or higher than the maximum existing timestamp");
    const result = lastValue(s) + sign * by;
    out.integer(st.add(w, s, t, result, "last"));
  };
}

// ---- replies ---------------------------------------------------------------------------------------------------

/** A sample value: RESP2 a simple string as RedisTimeSeries prints it, RESP3 a double. */
function replyValue(r: ReplyWriter, v: number): void {
  if (r.proto === 3) r.double(v);
  else r.simple(formatSampleValue(v));
}

function replySample(r: ReplyWriter, t: number, v: number): void {
  r.arrayHeader(2);
  r.integer(t);
  replyValue(r, v);
}

function replyLastSample(r: ReplyWriter, s: SeriesState): void {
  if (totalSamples(s) === 0) r.arrayHeader(0);
  else replySample(r, lastTimestamp(s), lastValue(s));
}

/** Labels: RESP2 an array of [name, value] pairs, RESP3 a map. */
function replyLabels(r: ReplyWriter, labels: Array<[string, string | null]>): void {
  if (r.proto === 3) r.mapHeader(labels.length);
  else r.arrayHeader(labels.length);
  for (const [n, v] of labels) {
    if (r.proto !== 3) r.arrayHeader(2);
    r.bulk(Buffer.from(n, "latin1"));
    if (v === null) r.nullBulk();
    else r.bulk(Buffer.from(v, "latin1"));
  }
}

/** SELECTED_LABELS: each asked-for label (compared in any letter case) with its value, or null. */
function selectLabels(labels: Array<[string, string]>, wanted: string[]): Array<[string, string | null]> {
  return wanted.map((w) => {
    const lw = w.toLowerCase();
    const hit = labels.find(([n]) => n.toLowerCase() === lw);
    return hit ? [hit[0], hit[1]] : [w, null];
  });
}

interface LabelQuery {
  withLabels: boolean;
  selected: string[] | undefined;
}

function parseLabelQuery(args: Buffer[], lc: string[]): LabelQuery {
  const withLabels = argIndex(lc, "withlabels") > 0;
  const li = argIndex(lc, "selected_labels");
  if (li > 0 && withLabels) throw new CommandError("ERR TSDB: cannot accept WITHLABELS and SELECT_LABELS together");
  if (li <= 0) return { withLabels, selected: undefined };
  const selected: string[] = [];
  for (let i = li + 1; i < args.length; i++) {
    if (QUERY_TOKENS.has(lc[i])) break;
    if (selected.length >= LIMIT_LABELS_SIZE) throw new CommandError("ERR TSDB: reached max size for SELECT_LABELS");
    selected.push(latin1(args[i]));
  }
  if (selected.length === 0) throw new CommandError("ERR TSDB: SELECT_LABELS should have at least 1 parameter");
  return { withLabels, selected };
}

function labelsFor(q: LabelQuery, labels: Array<[string, string]>): Array<[string, string | null]> {
  if (q.withLabels) return labels;
  if (q.selected) return selectLabels(labels, q.selected);
  return [];
}

/**
 * Writes an array whose length is known only at the end: its elements go to a side writer (no copy of large
 * chunks: the connection's writer takes them by reference), then the header and the elements.
 */
function deferredArray(ctx: CommandContext, body: (w: RespWriter) => number, kind: "array" | "map" | "set" = "array"): void {
  const side = new RespWriter(ctx.reply.proto);
  const n = body(side);
  if (kind === "map") ctx.reply.mapHeader(n);
  else if (kind === "set") ctx.reply.setHeader(n);
  else ctx.reply.arrayHeader(n);
  for (const b of side.take()) ctx.reply.raw(b);
}

// ---- range arguments -------------------------------------------------------------------------------------------

interface RangeArgs {
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

function rangeTimestamp(b: Buffer): number | null {
  const n = longLong(b);
  return n === null || n < 0 ? null : n;
}

interface ParsedAggregation {
  type: AggregatorName;
  bucketDuration: number;
  empty: boolean;
  bucketTimestamp: BucketTimestamp;
  align: number;
}

/** _parseAggregationArgs; undefined when there is no AGGREGATION keyword. */
function parseAggregation(args: Buffer[], lc: string[], forRule: boolean): ParsedAggregation | undefined {
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

function parseCount(args: Buffer[], lc: string[]): number {
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
function parseRange(args: Buffer[], lc: string[], start: number): RangeArgs {
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

// ---- range queries ---------------------------------------------------------------------------------------------

function passes(r: RangeArgs, tsSet: Set<number> | undefined, t: number, v: number): boolean {
  if (tsSet && !tsSet.has(t)) return false;
  if (r.filterByValue && (v < r.filterByValue.min || v > r.filterByValue.max)) return false;
  return true;
}

/**
 * What a query reads besides the samples of its range, fixed when the command runs: the range cut by retention,
 * LATEST's open bucket, the neighbours twa and EMPTY look at. A streamed reply runs the query twice over a captured
 * view (to count, then to write); both runs see these same inputs whatever is written meanwhile.
 */
interface QueryPlan {
  r: RangeArgs;
  reverse: boolean;
  /** r.from cut by the series' retention. */
  from: number;
  /** No aggregation, filter or LATEST on a compaction: the range's samples are the reply. */
  plain: boolean;
  tsSet: Set<number> | undefined;
  latest: Point | undefined;
  spec: AggregationSpec | undefined;
  prev: Point | undefined;
  next: Point | undefined;
}

function planQuery(st: SeriesStore, s: SeriesState, r: RangeArgs, reverse: boolean): QueryPlan {
  const from = Math.max(r.from, retentionFloor(s));
  const plain = !r.aggregation && !r.filterByTs && !r.filterByValue && !(r.latest && s.header.srcKey);
  const tsSet = r.filterByTs ? new Set(r.filterByTs) : undefined;
  let latest: Point | undefined;
  if (r.latest && s.header.srcKey && r.to > lastTimestamp(s)) {
    const p = st.latest(s);
    if (p && p[0] <= r.to && p[0] >= from) latest = p;
  }
  const a = r.aggregation;
  const spec: AggregationSpec | undefined = a && { type: a.type, bucketDuration: a.bucketDuration, align: alignOf(r), bucketTimestamp: a.bucketTimestamp, empty: a.empty };
  const needEdges = a !== undefined && (a.type === "twa" || a.empty);
  const prev = needEdges ? neighbour(st, s, r, tsSet, true) : undefined;
  const next = needEdges ? neighbour(st, s, r, tsSet, false) : undefined;
  return { r, reverse, from, plain, tsSet, latest, spec, prev, next };
}

/** The samples of a query before aggregation: the range's slices (in reply order), LATEST, FILTER_BY_TS, FILTER_BY_VALUE. */
function* rawPoints(q: QueryPlan, slices: Iterable<ChunkSlice>): Generator<Point> {
  const { r, tsSet, latest, reverse } = q;
  if (reverse && latest && passes(r, tsSet, latest[0], latest[1])) yield latest;
  for (const sl of slices) {
    if (!reverse) {
      for (let i = sl.lo; i <= sl.hi; i++) if (passes(r, tsSet, sl.ts[i], sl.vals[i])) yield [sl.ts[i], sl.vals[i]];
    } else {
      for (let i = sl.hi; i >= sl.lo; i--) if (passes(r, tsSet, sl.ts[i], sl.vals[i])) yield [sl.ts[i], sl.vals[i]];
    }
  }
  if (!reverse && latest && passes(r, tsSet, latest[0], latest[1])) yield latest;
}

function alignOf(r: RangeArgs): number {
  switch (r.align.kind) {
    case "start":
      return r.from;
    case "end":
      return r.to;
    case "ts":
      return r.align.ts;
    default:
      return 0;
  }
}

/** Nearest sample outside [from, to] that passes the filters (twa and EMPTY look at them). */
function neighbour(st: SeriesStore, s: SeriesState, r: RangeArgs, tsSet: Set<number> | undefined, before: boolean): Point | undefined {
  const floor = retentionFloor(s);
  const lo = before ? floor : r.to + 1;
  const hi = before ? r.from - 1 : MAX_TS;
  if (lo > hi) return undefined;
  for (const [t, v] of st.points(s, lo, hi, before)) if (passes(r, tsSet, t, v) && !Number.isNaN(v)) return [t, v];
  return undefined;
}

/** The samples a query answers with, before COUNT, over its range's slices: raw points, then buckets when asked. */
function planPoints(q: QueryPlan, slices: Iterable<ChunkSlice>): Iterable<Point> {
  const raw = rawPoints(q, slices);
  return q.spec ? aggregate(raw, q.spec, q.r.from, q.r.to, q.reverse, q.prev, q.next) : raw;
}

/**
 * Writes [timestamp, value] pairs straight into buffers handed to the reply writer (it keeps buffers of 4 KiB or
 * more by reference), without building strings for timestamps or integral values.
 */
const SAMPLE_BUFFER = 64 * 1024;

/** printf("%.17g") (Redis 7.0's RESP3 double), with toPrecision doing the digits where both notations agree. */
function double17g(v: number): string {
  const a = v < 0 ? -v : v;
  if (!(a >= 1e-4 && a < 1e17)) return formatDouble17g(v);
  const s = v.toPrecision(17);
  if (s.indexOf(".") < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}

class SampleWriter {
  private buf = Buffer.allocUnsafe(SAMPLE_BUFFER);
  private pos = 0;

  constructor(private readonly w: RespWriter) {}

  private digits(n: number): void {
    this.pos = writeUint(this.buf, this.pos, n);
  }

  private ascii(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** The leading 8 digits of the last 13-digit timestamp written (timestamps of a range share them for 100 s). */
  private tsHigh = -1;
  private readonly tsHighDigits = new Uint8Array(8);

  sample(t: number, v: number): void {
    if (this.pos > SAMPLE_BUFFER - 512) this.flush();
    const b = this.buf;
    let p = this.pos;
    b[p] = 0x2a; // *2\r\n:
    b[p + 1] = 0x32;
    b[p + 2] = 0x0d;
    b[p + 3] = 0x0a;
    b[p + 4] = 0x3a;
    p += 5;
    if (t >= 1e12 && t < 1e13) {
      // Millisecond timestamps of this era: 8 leading digits, cached, and 5 trailing ones.
      const high = Math.floor(t / 1e5);
      let low = t - high * 1e5;
      const hd = this.tsHighDigits;
      if (high !== this.tsHigh) {
        this.tsHigh = high;
        for (let k = 7, x = high; k >= 0; k--) {
          const q = Math.floor(x / 10);
          hd[k] = 0x30 + x - q * 10;
          x = q;
        }
      }
      b[p] = hd[0];
      b[p + 1] = hd[1];
      b[p + 2] = hd[2];
      b[p + 3] = hd[3];
      b[p + 4] = hd[4];
      b[p + 5] = hd[5];
      b[p + 6] = hd[6];
      b[p + 7] = hd[7];
      for (let k = p + 12; k >= p + 8; k--) {
        const q = (low / 10) | 0;
        b[k] = 0x30 + low - q * 10;
        low = q;
      }
      this.pos = p + 13;
    } else {
      this.pos = p;
      if (t >= 0) this.digits(t);
      else this.ascii(String(t));
    }
    p = this.pos;
    b[p] = 0x0d;
    b[p + 1] = 0x0a;
    const proto = this.w.proto;
    b[p + 2] = proto === 3 ? 0x2c : 0x2b; // ',' double or '+' simple string
    this.pos = p + 3;
    if (Number.isInteger(v) && v < 4503599627370496 && v > -4503599627370496 && (v !== 0 || !Object.is(v, -0)) && (proto === 2 || (v < 1e17 && v > -1e17))) {
      if (v < 0) {
        b[this.pos++] = 0x2d;
        this.digits(-v);
      } else this.digits(v);
    } else if (proto === 3) this.ascii(double17g(v));
    else if (!this.shortDecimal(v)) this.ascii(formatSampleValue(v));
    p = this.pos;
    b[p] = 0x0d;
    b[p + 1] = 0x0a;
    this.pos = p + 2;
  }

  /** Up to `max` samples of a slice, in reply order; returns how many. */
  slice(sl: ChunkSlice, reverse: boolean, max: number): number {
    const { ts, vals } = sl;
    const n = Math.min(max, sl.hi - sl.lo + 1);
    if (!reverse) for (let i = sl.lo, end = sl.lo + n; i < end; i++) this.sample(ts[i], vals[i]);
    else for (let i = sl.hi, end = sl.hi - n; i > end; i--) this.sample(ts[i], vals[i]);
    return n;
  }

  /**
   * RESP2's shortest round-trip digits for a value of at least 1 with up to 6 decimals and 15 significant digits
   * (gauges, prices, temperatures), without a string: v is m / 10^d for the smallest such d. The division is
   * correctly rounded, so equality means the decimal reads back as v, and below 10^15 no other decimal of as few
   * digits does, so these are formatSampleValue's digits. False when v is not such a value.
   */
  private shortDecimal(v: number): boolean {
    const a = v < 0 ? -v : v;
    if (!(a >= 1 && a < 1e15)) return false;
    let scale = 10;
    for (let d = 1; d <= 6; d++, scale *= 10) {
      const m = Math.round(a * scale);
      if (m >= 1e15) return false;
      if (m / scale !== a) continue;
      const frac = m % scale;
      if (v < 0) this.buf[this.pos++] = 0x2d;
      this.digits((m - frac) / scale);
      this.buf[this.pos++] = 0x2e;
      // The fraction's d digits, leading zeros included.
      let p = this.pos + d;
      this.pos = p;
      for (let k = 0, f = frac; k < d; k++, f = (f - (f % 10)) / 10) this.buf[--p] = 0x30 + (f % 10);
      return true;
    }
    return false;
  }

  flush(): void {
    if (this.pos === 0) return;
    this.w.raw(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(SAMPLE_BUFFER);
    this.pos = 0;
  }
}

/** Writes samples as [timestamp, value] pairs, at most `limit`; returns how many. */
function writePoints(w: RespWriter, points: Iterable<Point>, limit: number): number {
  const out = new SampleWriter(w);
  let n = 0;
  for (const [t, v] of points) {
    if (n >= limit) break;
    out.sample(t, v);
    n++;
  }
  out.flush();
  return n;
}

/** Writes a cursor's samples as [timestamp, value] pairs, at most `limit`; returns how many. */
function writeCursor(w: RespWriter, c: SampleCursor, limit: number): number {
  const out = new SampleWriter(w);
  let n = 0;
  while (n < limit && c.next()) {
    out.sample(c.t, c.v);
    n++;
  }
  out.flush();
  return n;
}

/** The plain range (no filter, aggregation or LATEST): whole chunk slices at a time. */
function writeSlices(w: RespWriter, slices: Iterable<ChunkSlice>, reverse: boolean, limit: number): number {
  const out = new SampleWriter(w);
  let n = 0;
  for (const sl of slices) {
    n += out.slice(sl, reverse, limit - n);
    if (n >= limit) break;
  }
  out.flush();
  return n;
}

/** Replies up to this many points are built at once; longer ones stream (see streamRange, streamSamples). */
const STREAM_ABOVE = 65536;

/** A captured piece's points inside [from, to]. */
function pieceSlice(p: Buffer | ChunkSlice, from: number, to: number): ChunkSlice | undefined {
  return Buffer.isBuffer(p) ? sliceOf(p, from, to) : p;
}

/** Points of a captured piece inside [from, to]: from the chunk header alone when the chunk lies wholly inside. */
function pieceCount(p: Buffer | ChunkSlice, from: number, to: number): number {
  if (Buffer.isBuffer(p) && chunkFirstTimestamp(p) >= from && chunkLastTimestamp(p) <= to) return chunkCount(p);
  const sl = pieceSlice(p, from, to);
  return sl ? sl.hi - sl.lo + 1 : 0;
}

/**
 * The captured pieces' points inside [from, to], one slice per piece, decoded as the caller goes. With `release`
 * each piece's compressed bytes are let go once decoded (the pieces cannot be read again).
 */
function* pieceSlices(pieces: Array<Buffer | ChunkSlice>, from: number, to: number, release: boolean): Generator<ChunkSlice> {
  for (let i = 0; i < pieces.length; i++) {
    const sl = pieceSlice(pieces[i], from, to);
    if (release) pieces[i] = EMPTY_PIECE;
    if (sl) yield sl;
  }
}

const EMPTY_PIECE: ChunkSlice = { ts: new Float64Array(0), vals: new Float64Array(0), lo: 0, hi: -1 };

/** One series' range reply as the command found it: its plan, its chunks captured then, and its length. */
interface RangeView {
  s: SeriesState;
  q: QueryPlan;
  pieces: Array<Buffer | ChunkSlice>;
  /** The reply's length (after COUNT) for a plain range; an upper bound of it otherwise. */
  bound: number;
}

function rangeView(st: SeriesStore, s: SeriesState, r: RangeArgs, reverse: boolean): RangeView {
  const q = planQuery(st, s, r, reverse);
  const pieces = st.capture(s, q.from, r.to, reverse);
  let raw = 0;
  for (const p of pieces) raw += pieceCount(p, q.from, r.to);
  const limit = r.count === -1 ? Infinity : r.count;
  return { s, q, pieces, bound: Math.min(q.plain ? raw : outputBound(q, pieces, raw), limit) };
}

/**
 * At most how many samples a filtered or aggregated query answers with, before COUNT, when its captured chunks hold
 * `raw` points in range: those points (and LATEST's), no more than FILTER_BY_TS names, no more than the buckets the
 * points span; with EMPTY, every bucket from the first to the last sample, or to the range's ends where a neighbour
 * lies beyond them.
 */
function outputBound(q: QueryPlan, pieces: Array<Buffer | ChunkSlice>, raw: number): number {
  let n = raw + (q.latest ? 1 : 0);
  if (q.tsSet) n = Math.min(n, q.tsSet.size);
  const spec = q.spec;
  if (!spec) return n;
  let lo = q.latest ? q.latest[0] : Infinity;
  let hi = q.latest ? q.latest[0] : -Infinity;
  for (const p of pieces) {
    const buf = Buffer.isBuffer(p);
    if (!buf && p.hi < p.lo) continue;
    lo = Math.min(lo, buf ? chunkFirstTimestamp(p) : p.ts[p.lo]);
    hi = Math.max(hi, buf ? chunkLastTimestamp(p) : p.ts[p.hi]);
  }
  lo = Math.max(lo, q.from);
  hi = Math.min(hi, q.r.to);
  if (spec.empty && q.prev) lo = q.r.from;
  if (spec.empty && q.next) hi = q.r.to;
  const buckets = lo > hi ? 0 : (bucketStart(hi, spec.bucketDuration, spec.align) - bucketStart(lo, spec.bucketDuration, spec.align)) / spec.bucketDuration + 1;
  return spec.empty ? buckets : Math.min(n, buckets);
}

/** ReplySeriesRange, built at once from the view captured when the command ran (one walk over the chunks). */
function writeRange(w: RespWriter, v: RangeView): number {
  const { q } = v;
  const limit = q.r.count === -1 ? Infinity : q.r.count;
  const slices = pieceSlices(v.pieces, q.from, q.r.to, false);
  return q.plain ? writeSlices(w, slices, q.reverse, limit) : writePoints(w, planPoints(q, slices), limit);
}

/**
 * The samples a view's query answers with, before COUNT, decoded from its captured chunks as the cursor goes (and
 * let go of behind it with `release`).
 */
function viewCursor(v: RangeView, release: boolean): SampleCursor {
  const { q } = v;
  const slices = pieceSlices(v.pieces, q.from, q.r.to, release);
  return q.plain ? sliceCursor(slices, q.reverse) : pointCursor(planPoints(q, slices));
}

/** A range reply of more than STREAM_ABOVE samples, from its captured view. */
function streamView(ctx: CommandContext, v: RangeView): Promise<void> {
  return v.q.plain ? streamRange(ctx, v.pieces, v.q.from, v.q.r.to, v.q.reverse, v.bound) : streamQuery(ctx, v);
}

/**
 * A long plain range, streamed: the count goes first (RESP2 arrays need it), counted from the captured chunks'
 * headers; then each chunk is decoded and written in turn, and the handler waits for the client to read before
 * the next (ctx.drain), so a 10 M-point reply holds only its compressed chunks and one chunk's worth of output.
 */
async function streamRange(ctx: CommandContext, pieces: Array<Buffer | ChunkSlice>, from: number, to: number, reverse: boolean, n: number): Promise<void> {
  ctx.reply.arrayHeader(n);
  const out = new SampleWriter(ctx.reply as RespWriter);
  let written = 0;
  for (const sl of pieceSlices(pieces, from, to, true)) {
    written += out.slice(sl, reverse, n - written);
    out.flush();
    await ctx.drain();
    if (written >= n) break;
  }
}

/** Samples a streamed query reads between waits for the client (EMPTY can make many from one chunk). */
const STREAM_BATCH = 4096;

/** A long filtered or aggregated range, streamed from its captured view (see streamSamples). */
function streamQuery(ctx: CommandContext, v: RangeView): Promise<void> {
  return streamSamples(ctx, (release) => viewCursor(v, release), v.q.r.count === -1 ? Infinity : v.q.r.count);
}

/**
 * A long reply of samples that are known only by running a query (filtered, aggregated, or a GROUPBY group merged
 * and reduced), streamed: `open` starts the query over views captured when the command ran. A first pass runs it and
 * only counts (RESP arrays need the count first), a second runs it again and writes, letting the captured chunks go
 * as it decodes them; both give other clients a turn every STREAM_BATCH samples read (a cursor reads at least one
 * per sample it gives), and the second waits there for this client to read. Both passes read the same chunks,
 * LATEST points and neighbours, so the count is exactly what follows it, whatever other clients write meanwhile.
 */
async function streamSamples(ctx: CommandContext, open: (release: boolean) => SampleCursor, limit: number): Promise<void> {
  let n = 0;
  let turn = STREAM_BATCH;
  for (const c = open(false); n < limit && c.next(); ) {
    n++;
    if (c.read >= turn) {
      turn = c.read + STREAM_BATCH;
      await ctx.drain();
    }
  }
  ctx.reply.arrayHeader(n);
  const out = new SampleWriter(ctx.reply as RespWriter);
  const c = open(true);
  turn = STREAM_BATCH;
  for (let k = 0; k < n; k++) {
    c.next();
    out.sample(c.t, c.v);
    if (c.read >= turn) {
      turn = c.read + STREAM_BATCH;
      out.flush();
      await ctx.drain();
    }
  }
  out.flush();
}

function tsRange(reverse: boolean): CommandSpec["handler"] {
  return (ctx, args) => {
    const st = store(ctx);
    const s = getSeries(st, args[1]);
    const v = rangeView(st, s, parseRange(args, lowered(args), 2), reverse);
    if (v.bound > STREAM_ABOVE) return streamView(ctx, v);
    deferredArray(ctx, (w) => writeRange(w, v));
  };
}

// ---- multi-series queries --------------------------------------------------------------------------------------

function labelMap(s: SeriesState): Map<string, string> {
  return new Map(s.header.labels);
}

/** QueryIndex: the series matching every matcher, in key order. */
function queryIndex(ctx: CommandContext, st: SeriesStore, matchers: Matcher[]): SeriesState[] {
  const positive = matchers.find((m) => m.op === "eq" && !(m.values.length === 1 && m.values[0] === ""));
  let keys: Buffer[];
  if (positive) keys = st.keysWithLabel(positive.label, positive.values);
  else keys = [...(keyspace(ctx) as Keyspace).keys()].filter(([, m]) => m.type === TypeTag.SERIES).map(([k]) => k);
  const out: SeriesState[] = [];
  for (const k of keys) {
    const s = st.series(k);
    if (s && matchesAll(labelMap(s), matchers)) out.push(s);
  }
  return out;
}

function filterArgs(args: Buffer[], from: number, to: number): string[] {
  return args.slice(from, to).map(latin1);
}

const tsMget: CommandSpec["handler"] = (ctx, args) => {
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

interface MRangeArgs {
  range: RangeArgs;
  labels: LabelQuery;
  matchers: Matcher[];
  groupBy: { label: string; reducer: AggregatorName } | undefined;
}

function parseMRange(args: Buffer[], lc: string[]): MRangeArgs {
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
function groupCursor(views: RangeView[], reducer: AggregatorName, reverse: boolean, release: boolean): SampleCursor {
  return new GroupReduction(views.map((v) => viewCursor(v, release)), reducer, reverse);
}

function mrange(reverse: boolean): CommandSpec["handler"] {
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

const tsQueryIndex: CommandSpec["handler"] = (ctx, args) => {
  const matchers = parseFilters(filterArgs(args, 1, args.length));
  const found = queryIndex(ctx, store(ctx), matchers);
  ctx.reply.setHeader(found.length);
  for (const s of found) ctx.reply.bulk(s.key);
};

// ---- TS.GET / TS.INFO ------------------------------------------------------------------------------------------

const tsGet: CommandSpec["handler"] = (ctx, args) => {
  if (args.length > 3) throw wrongArity("ts.get");
  const st = store(ctx);
  const s = getSeries(st, args[1]);
  let latest = false;
  if (args.length === 3) {
    latest = latin1(args[2]).toLowerCase() === "latest";
    if (!latest) throw new CommandError("ERR TSDB: wrong 3rd argument");
  }
  const p = latest && s.header.srcKey ? st.latest(s) : undefined;
  if (p) replySample(ctx.reply, p[0], p[1]);
  else replyLastSample(ctx.reply, s);
};

const tsInfo: CommandSpec["handler"] = (ctx, args) => {
  if (args.length > 3) throw wrongArity("ts.info");
  const st = store(ctx);
  const s = getSeries(st, args[1]);
  const debug = argIndex(lowered(args), "debug", 1) > 0;
  const r = ctx.reply;
  const map = r.proto === 3;
  const { first, skipped } = st.firstValid(s);
  const rules = st.liveRules(s);
  const src = st.liveSource(s);
  r.mapHeader(debug ? 16 : 14);
  r.simple("totalSamples");
  r.integer(totalSamples(s) - skipped);
  r.simple("memoryUsage");
  r.integer(st.memoryUsage(s));
  r.simple("firstTimestamp");
  r.integer(first);
  r.simple("lastTimestamp");
  r.integer(lastTimestamp(s));
  r.simple("retentionTime");
  r.integer(s.header.retention);
  r.simple("chunkCount");
  r.integer(Math.max(1, chunkTotal(s)));
  r.simple("chunkSize");
  r.integer(s.header.chunkSize);
  r.simple("chunkType");
  r.simple(s.header.uncompressed ? "uncompressed" : "compressed");
  r.simple("duplicatePolicy");
  if (s.header.duplicatePolicy) r.simple(s.header.duplicatePolicy);
  else r.nullBulk();
  r.simple("labels");
  replyLabels(r, s.header.labels);
  r.simple("sourceKey");
  if (src) r.bulk(src.key);
  else r.nullBulk();
  r.simple("rules");
  if (map) r.mapHeader(rules.length);
  else r.arrayHeader(rules.length);
  for (const rule of rules) {
    if (!map) r.arrayHeader(4);
    r.bulk(rule.destKey);
    if (map) r.arrayHeader(3);
    r.integer(rule.bucketDuration);
    r.simple(rule.aggregator.toUpperCase());
    r.integer(rule.align);
  }
  r.simple("ignoreMaxTimeDiff");
  r.integer(s.header.ignoreMaxTimeDiff);
  r.simple("ignoreMaxValDiff");
  r.double(s.header.ignoreMaxValDiff);
  if (!debug) return;
  r.simple("keySelfName");
  r.bulk(s.key);
  r.simple("Chunks");
  const chunks = st.chunkInfos(s);
  if (chunks.length === 0) chunks.push({ first: -1, last: -1, samples: 0, bytes: 0 });
  r.arrayHeader(chunks.length);
  for (const c of chunks) {
    r.mapHeader(5);
    r.simple("startTimestamp");
    r.integer(c.first);
    r.simple("endTimestamp");
    r.integer(c.last);
    r.simple("samples");
    r.integer(c.samples);
    r.simple("size");
    r.integer(c.bytes);
    r.simple("bytesPerSample");
    r.double(c.samples === 0 ? 0 : Math.fround(Math.fround(c.bytes) / Math.fround(c.samples)));
  }
};

// ---- TS.DEL, rules ---------------------------------------------------------------------------------------------

const tsDel: WriteHandler = (ctx, args, st, w, out) => {
  const r = parseRange(args, lowered(args), 2);
  const s = getSeries(st, args[1]);
  if (s.header.rules.length > 0 && s.header.retention > 0) {
    const last = lastTimestamp(s);
    const ret = s.header.retention;
    const obsolete = (t: number): boolean => last > ret && t < last - ret;
    let ok = !obsolete(r.from);
    for (const rule of s.header.rules) {
      const b = Math.max(0, r.from - (((r.from - rule.align) % rule.bucketDuration) + rule.bucketDuration) % rule.bucketDuration);
      if (obsolete(b)) ok = false;
    }
    if (!ok) throw new CommandError("ERR TSDB: When a series has compactions, deleting samples or compaction buckets beyond the series retention period is not possible");
  }
  out.integer(st.delRange(w, s, r.from, r.to));
};

const tsCreateRule: WriteHandler = (ctx, args, st, w, out) => {
  if (args.length !== 6 && args.length !== 7) throw wrongArity("ts.createrule");
  const lc = lowered(args);
  const agg = parseAggregation(args, lc, true);
  if (!agg) throw wrongArity("ts.createrule");
  if (args[1].equals(args[2])) throw new CommandError("ERR TSDB: the source key and destination key should be different");
  const src = getSeries(st, args[1]);
  if (st.pruneReferences(src)) st.updateHeader(w, src);
  if (src.header.srcKey) throw new CommandError("ERR TSDB: the source key already has a source rule");
  const dest = getSeries(st, args[2]);
  if (st.pruneReferences(dest)) st.updateHeader(w, dest);
  if (dest.header.rules.length > 0) throw new CommandError("ERR TSDB: the destination key already has a dst rule");
  if (dest.header.srcKey) throw new CommandError("ERR TSDB: the destination key already has a src rule");
  st.createRule(w, src, dest, { aggregator: agg.type as RuleAggregator, bucketDuration: agg.bucketDuration, align: agg.align });
  out.simple("OK");
};

const tsDeleteRule: WriteHandler = (ctx, args, st, w, out) => {
  const src = getSeries(st, args[1]);
  if (st.pruneReferences(src)) st.updateHeader(w, src);
  if (!st.deleteRule(w, src, args[2])) throw new CommandError("ERR TSDB: compaction rule does not exist");
  getSeries(st, args[2]);
  out.simple("OK");
};

// ---- TS.CREATE / TS.ALTER --------------------------------------------------------------------------------------

const tsCreate: WriteHandler = (ctx, args, st, w, out) => {
  const o = parseCreate(ctx, args, lowered(args));
  if (keyspace(ctx).lookup(args[1])) throw new CommandError(E.exists);
  st.create(w, args[1], o);
  out.simple("OK");
};

const tsAlter: WriteHandler = (ctx, args, st, w, out) => {
  const o = parseCreate(ctx, args, lowered(args));
  const s = getSeries(st, args[1]);
  const h = s.header;
  if (o.present.retention) h.retention = o.retention;
  if (o.present.chunkSize) h.chunkSize = o.chunkSize;
  if (o.present.duplicatePolicy) h.duplicatePolicy = o.duplicatePolicy;
  let oldLabels: Array<[string, string]> | undefined;
  if (o.present.labels) {
    oldLabels = h.labels;
    h.labels = o.labels;
  }
  if (o.present.ignore) {
    h.ignoreMaxTimeDiff = o.ignoreMaxTimeDiff;
    h.ignoreMaxValDiff = o.ignoreMaxValDiff;
  }
  st.updateHeader(w, s, oldLabels);
  if (o.present.retention) st.trimRetention(w, s);
  out.simple("OK");
};

// ---- the table -------------------------------------------------------------------------------------------------

const W = ["write", "denyoom"] as const;
const R = ["readonly"] as const;
const G = "module";
const V = "1.0.0";

export const timeseriesCommands: CommandSpec[] = [
  command("ts.create", -2, [...W], [1, 1, 1], G, V, "Create a new time series", writes(tsCreate)),
  command("ts.alter", -2, [...W], [1, 1, 1], G, V, "Update the retention, chunk size, duplicate policy, and labels of an existing time series", writes(tsAlter)),
  command("ts.add", -4, [...W], [1, 1, 1], G, V, "Append a sample to a time series", writes(tsAdd)),
  command("ts.madd", -4, [...W], [1, -1, 3], G, V, "Append new samples to one or more time series", writes(tsMadd)),
  command("ts.incrby", -3, [...W], [1, 1, 1], G, V, "Increase the value of the sample with the maximum existing timestamp, or create a new sample with a value equal to the value of the sample with the maximum existing timestamp with a given increment", writes(incrBy(1))),
  command("ts.decrby", -3, [...W], [1, 1, 1], G, V, "Decrease the value of the sample with the maximum existing timestamp, or create a new sample with a value equal to the value of the sample with the maximum existing timestamp with a given decrement", writes(incrBy(-1))),
  command("ts.del", 4, ["write"], [1, 1, 1], G, V, "Delete all samples between two timestamps for a given time series", writes(tsDel)),
  command("ts.createrule", -6, [...W], [1, 2, 1], G, V, "Create a compaction rule", writes(tsCreateRule)),
  command("ts.deleterule", 3, ["write"], [1, 2, 1], G, V, "Delete a compaction rule", writes(tsDeleteRule)),
  command("ts.get", -2, [...R], [1, 1, 1], G, V, "Get the sample with the highest timestamp from a given time series", tsGet),
  command("ts.mget", -3, [...R], [0, 0, 0], G, V, "Get the sample with the highest timestamp from each time series matching a specific filter", tsMget),
  command("ts.range", -4, [...R], [1, 1, 1], G, V, "Query a range in forward direction", tsRange(false)),
  command("ts.revrange", -4, [...R], [1, 1, 1], G, V, "Query a range in reverse direction", tsRange(true)),
  command("ts.mrange", -4, [...R], [0, 0, 0], G, V, "Query a range across multiple time series by filters in forward direction", mrange(false)),
  command("ts.mrevrange", -4, [...R], [0, 0, 0], G, V, "Query a range across multiple time-series by filters in reverse direction", mrange(true)),
  command("ts.queryindex", -2, [...R], [0, 0, 0], G, V, "Get all time series keys matching a filter list", tsQueryIndex),
  command("ts.info", -2, [...R], [1, 1, 1], G, V, "Returns information and statistics for a time series", tsInfo),
];

// The time-series writes: TS.CREATE/TS.ALTER options, TS.ADD, TS.MADD, TS.INCRBY/DECRBY, TS.DEL, TS.CREATERULE,
// TS.DELETERULE, TS.CREATE and TS.ALTER.
import { equalBytes } from "../../../util/bytes";
import { DUPLICATE_POLICIES, DuplicatePolicy, RuleAggregator } from "../../../model/series/header";
import { CreateOptions, lastTimestamp, lastValue, SeriesState } from "../../../model/series/series";
import { parseInteger } from "../../../protocol/decoder";
import type { CommandContext } from "../../command";
import { CommandError } from "../../errors";
import { keyspace, WRONGTYPE } from "../util";
import { DEFAULT_CHUNK_SIZE, E, keywordIndex, lowered, argIndex, wrongArity, longLong, strictDouble, sampleValue, latin1, getSeries, WriteHandler, now } from "./common";
import { parseAggregation, parseRange } from "./range-args";

// ---- TS.CREATE / TS.ALTER options ------------------------------------------------------------------------------

export interface ParsedCreate extends CreateOptions {
  present: { retention: boolean; chunkSize: boolean; duplicatePolicy: boolean; labels: boolean; ignore: boolean };
}

export function parseDuplicatePolicy(args: Buffer[], lc: string[], keyword: string): DuplicatePolicy | null | undefined {
  const i = argIndex(lc, keyword);
  if (i === -1) return undefined;
  if (i + 1 >= args.length) throw new CommandError(E.dupParse);
  const p = latin1(args[i + 1]).toLowerCase() as DuplicatePolicy;
  if (!DUPLICATE_POLICIES.includes(p)) throw new CommandError(E.dupUnknown);
  return p;
}

/** parseCreateArgs: options of TS.CREATE, TS.ALTER and the creating forms of TS.ADD / TS.INCRBY / TS.DECRBY. */
export function parseCreate(ctx: CommandContext, args: Buffer[], lc: string[]): ParsedCreate {
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
export function sampleTimestamp(b: Buffer, nowMs: () => number): number {
  if (b.length === 1 && b[0] === 0x2a) return nowMs();
  const n = parseInteger(b, 0, b.length);
  if (n === null) throw new CommandError(E.invalidTs);
  if (n < 0) throw new CommandError(E.negativeTs);
  if (!Number.isSafeInteger(n)) throw new CommandError(E.invalidTs);
  return n;
}

export const tsAdd: WriteHandler = (ctx, args, st, w, out) => {
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

export const tsMadd: WriteHandler = (ctx, args, st, w, out) => {
  if (args.length < 4 || (args.length - 1) % 3 !== 0) throw wrongArity("ts.madd");
  let nowMs: number | undefined;
  const clock = (): number => (nowMs ??= now(ctx));
  out.arrayHeader((args.length - 1) / 3);
  // A run of samples to one key looks it up once (a MADD often names the same key many times in a row).
  let prevKey: Buffer | undefined;
  let prev: SeriesState | "wrongtype" | undefined;
  for (let i = 1; i < args.length; i += 3) {
    try {
      const value = sampleValue(args[i + 2]);
      if (value === null) throw new CommandError(E.invalidValue);
      const t = sampleTimestamp(args[i + 1], clock);
      let s: SeriesState | "wrongtype" | undefined;
      if (prevKey !== undefined && equalBytes(args[i], prevKey)) s = prev;
      else {
        s = st.lookup(args[i]);
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

export function incrBy(sign: 1 | -1): WriteHandler {
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


// ---- TS.DEL, rules ---------------------------------------------------------------------------------------------

export const tsDel: WriteHandler = (ctx, args, st, w, out) => {
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

export const tsCreateRule: WriteHandler = (ctx, args, st, w, out) => {
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

export const tsDeleteRule: WriteHandler = (ctx, args, st, w, out) => {
  const src = getSeries(st, args[1]);
  if (st.pruneReferences(src)) st.updateHeader(w, src);
  if (!st.deleteRule(w, src, args[2])) throw new CommandError("ERR TSDB: compaction rule does not exist");
  getSeries(st, args[2]);
  out.simple("OK");
};

// ---- TS.CREATE / TS.ALTER --------------------------------------------------------------------------------------

export const tsCreate: WriteHandler = (ctx, args, st, w, out) => {
  const o = parseCreate(ctx, args, lowered(args));
  if (keyspace(ctx).lookup(args[1])) throw new CommandError(E.exists);
  st.create(w, args[1], o);
  out.simple("OK");
};

export const tsAlter: WriteHandler = (ctx, args, st, w, out) => {
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

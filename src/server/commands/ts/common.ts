// Shared by the time-series commands: RedisTimeSeries's error texts, argument helpers, and how a command reaches
// the series store and holds a write's reply until it is durable.
import { SeriesBatch, SeriesState, SeriesStore } from "../../../model/series/series";
import { parseInteger } from "../../../protocol/decoder";
import type { ReplyWriter } from "../../../protocol/reply";
import type { CommandContext, CommandSpec } from "../../command";
import { CommandError } from "../../errors";
import { keyspace, WRONGTYPE } from "../util";

export const MAX_TS = Number.MAX_SAFE_INTEGER;
export const DEFAULT_CHUNK_SIZE = 4096;
export const MAX_TS_VALUES_FILTER = 128;
export const LIMIT_LABELS_SIZE = 50;
export const QUERY_TOKENS = new Set(["withlabels", "aggregation", "limit", "groupby", "reduce", "filter", "filter_by_value", "filter_by_ts", "count"]);

export const E = {
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
export function isKeyword(b: Buffer, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) if ((b[i] | 0x20) !== word.charCodeAt(i) && !(b[i] === 0x5f && word.charCodeAt(i) === 0x5f)) return false;
  return true;
}

/** The first position from `from` holding `word` in any case (argIndex without lowering every argument), or -1. */
export function keywordIndex(args: Buffer[], word: string, from: number): number {
  for (let i = from; i < args.length; i++) if (isKeyword(args[i], word)) return i;
  return -1;
}

/** The arguments in lower case, for keyword search (long ones cannot be keywords). */
export function lowered(args: Buffer[]): string[] {
  return args.map((a) => (a.length <= 32 ? a.toString("latin1").toLowerCase() : ""));
}

/** RMUtil_ArgIndex: the first position holding `name` (lower case), or -1. */
export function argIndex(lc: string[], name: string, from = 0): number {
  for (let i = from; i < lc.length; i++) if (lc[i] === name) return i;
  return -1;
}

export function wrongArity(name: string): CommandError {
  return new CommandError(`ERR wrong number of arguments for '${name}' command`);
}

/** RedisModule_StringToLongLong; values beyond 2^53 come back clamped to the nearest safe integer. */
export function longLong(b: Buffer | undefined): number | null {
  if (!b) return null;
  const n = parseInteger(b, 0, b.length);
  if (n === null) return null;
  return Math.max(-MAX_TS, Math.min(MAX_TS, n));
}

/** RedisModule_StringToDouble (strtod over the whole string; no NaN, no overflow). */
export function strictDouble(b: Buffer | undefined): number | null {
  if (!b || b.length === 0 || b.length > 300) return null;
  const s = b.toString("latin1");
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s[0] === "-" ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const v = Number(s);
  if (!Number.isFinite(v)) return null;
  return v;
}

export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * The sample value parser of TS.ADD / TS.MADD (fast_double_parser): a number at the start of the argument —
 * optional '-', digits (no leading zero), optional fraction, optional exponent; what follows it is ignored.
 */
export function sampleValue(b: Buffer): number | null {
  const n = b.length;
  const negative = n > 0 && b[0] === 0x2d;
  let i = negative ? 1 : 0;
  if (i >= n || !isDigit(b[i])) return null;
  // The digits read as an integer m over a power of ten: with up to 15 significant digits and no exponent both are
  // exact, so the one division rounds correctly (Clinger's fast path) and gives what Number() of the text gives.
  let m = 0;
  let digits = 0;
  let scale = 1;
  if (b[i] === 0x30) {
    i++;
    digits = 1;
    if (i < n && isDigit(b[i])) return null;
  } else {
    for (; i < n && isDigit(b[i]); i++, digits++) m = m * 10 + (b[i] - 0x30);
  }
  if (i < n && b[i] === 0x2e) {
    for (i++; i < n && isDigit(b[i]); i++, digits++, scale *= 10) m = m * 10 + (b[i] - 0x30);
  }
  let exact = digits <= 15;
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    let j = i + 1;
    if (j < n && (b[j] === 0x2b || b[j] === 0x2d)) j++;
    if (j >= n || !isDigit(b[j])) return null;
    while (j < n && isDigit(b[j])) j++;
    i = j;
    exact = false;
  }
  if (exact) {
    const v = m / scale;
    return negative ? -v : v;
  }
  // Past the double's range (1e400): RedisTimeSeries refuses it as an invalid value (an underflow reads as 0).
  const v = Number(b.toString("latin1", 0, i));
  return Number.isFinite(v) ? v : null;
}

export function latin1(b: Buffer): string {
  return b.toString("latin1");
}

// ---- context ---------------------------------------------------------------------------------------------------

export function store(ctx: CommandContext): SeriesStore {
  return SeriesStore.of(keyspace(ctx));
}

/** GetSeries: the series, or RedisTimeSeries's error for a missing key / WRONGTYPE. */
export function getSeries(st: SeriesStore, key: Buffer): SeriesState {
  const s = st.lookup(key);
  if (s === undefined) throw new CommandError(E.notExist);
  if (s === "wrongtype") throw new CommandError(WRONGTYPE);
  return s;
}

/** The reply of a write command, held until its writes are applied (so a failed write never follows a reply). */
export class PendingReply {
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

export type WriteHandler = (ctx: CommandContext, args: Buffer[], st: SeriesStore, w: SeriesBatch, out: PendingReply) => void;

/**
 * A write command: what it changed in memory is written when it ends, then its reply goes out (held until the
 * writes are durable). When the engine refuses the writes the client gets that error alone.
 */
export function writes(fn: WriteHandler): CommandSpec["handler"] {
  return (ctx, args) => {
    const st = store(ctx);
    const out = new PendingReply();
    inSeriesBatch(ctx, st, (w) => fn(ctx, args, st, w, out));
    out.send(ctx.reply);
  };
}

/**
 * Runs `fn` on a series batch, writes the batch when it returns (or throws), and holds the command's reply until
 * everything applied so far is durable, not only this batch: a write that changed nothing (a duplicate of a sample
 * another client wrote a moment ago, under LAST) has observed data that may not be on disk yet, and acknowledging it
 * first would let a crash lose what it confirmed. The hold covers what is written after it, so the caller replies
 * after this returns.
 */
export function inSeriesBatch(ctx: CommandContext, st: SeriesStore, fn: (w: SeriesBatch) => void): void {
  const w = st.begin();
  let seq: bigint | undefined;
  try {
    fn(w);
  } finally {
    try {
      seq = st.finish(w);
    } finally {
      st.release(w);
    }
  }
  ctx.holdUntilDurable(seq ?? ctx.server.engine.lastSequence);
}

export function now(ctx: CommandContext): number {
  return keyspace(ctx).now();
}

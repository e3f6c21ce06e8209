// Replies shared by the time-series commands: samples, values and labels.
import { formatSampleValue } from "../../../model/series/format";
import { lastTimestamp, lastValue, SeriesState, totalSamples } from "../../../model/series/series";
import { RespWriter } from "../../../protocol/encoder";
import type { ReplyWriter } from "../../../protocol/reply";
import type { CommandContext } from "../../command";
import { CommandError } from "../../errors";
import { LIMIT_LABELS_SIZE, QUERY_TOKENS, argIndex, latin1 } from "./common";

// ---- replies ---------------------------------------------------------------------------------------------------

/** A sample value: RESP2 a simple string as RedisTimeSeries prints it, RESP3 a double. */
export function replyValue(r: ReplyWriter, v: number): void {
  if (r.proto === 3) r.double(v);
  else r.simple(formatSampleValue(v));
}

export function replySample(r: ReplyWriter, t: number, v: number): void {
  r.arrayHeader(2);
  r.integer(t);
  replyValue(r, v);
}

export function replyLastSample(r: ReplyWriter, s: SeriesState): void {
  if (totalSamples(s) === 0) r.arrayHeader(0);
  else replySample(r, lastTimestamp(s), lastValue(s));
}

/** Labels: RESP2 an array of [name, value] pairs, RESP3 a map. */
export function replyLabels(r: ReplyWriter, labels: Array<[string, string | null]>): void {
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
export function selectLabels(labels: Array<[string, string]>, wanted: string[]): Array<[string, string | null]> {
  return wanted.map((w) => {
    const lw = w.toLowerCase();
    const hit = labels.find(([n]) => n.toLowerCase() === lw);
    return hit ? [hit[0], hit[1]] : [w, null];
  });
}

export interface LabelQuery {
  withLabels: boolean;
  selected: string[] | undefined;
}

export function parseLabelQuery(args: Buffer[], lc: string[]): LabelQuery {
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

export function labelsFor(q: LabelQuery, labels: Array<[string, string]>): Array<[string, string | null]> {
  if (q.withLabels) return labels;
  if (q.selected) return selectLabels(labels, q.selected);
  return [];
}

/**
 * Writes an array whose length is known only at the end: its elements go to a side writer (no copy of large
 * chunks: the connection's writer takes them by reference), then the header and the elements.
 */
export function deferredArray(ctx: CommandContext, body: (w: RespWriter) => number, kind: "array" | "map" | "set" = "array"): void {
  const side = new RespWriter(ctx.reply.proto);
  const n = body(side);
  if (kind === "map") ctx.reply.mapHeader(n);
  else if (kind === "set") ctx.reply.setHeader(n);
  else ctx.reply.arrayHeader(n);
  for (const b of side.take()) ctx.reply.raw(b);
}

// TS.GET and TS.INFO.
import { lastTimestamp, totalSamples, chunkTotal } from "../../../model/series/series";
import type { CommandSpec } from "../../command";
import { CommandError } from "../../errors";
import { lowered, argIndex, wrongArity, latin1, store, getSeries } from "./common";
import { replySample, replyLastSample, replyLabels } from "./reply";

// ---- TS.GET / TS.INFO ------------------------------------------------------------------------------------------

export const tsGet: CommandSpec["handler"] = (ctx, args) => {
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

export const tsInfo: CommandSpec["handler"] = (ctx, args) => {
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

// The time-series face: RedisTimeSeries 1.12's commands, argument grammar, replies and error texts (its
// src/module.c, src/query_language.c, src/reply.c), over the series store of src/model/series/.
//
// Arguments are found the way RedisTimeSeries finds them (RMUtil_ArgIndex: the first argument equal to the keyword,
// any letter case, anywhere in the command), so the same inputs are accepted, ignored or refused.
//
// The commands live in ts/: common.ts (errors, argument helpers, context), write.ts, reply.ts, range-args.ts,
// range.ts, multi.ts, get.ts; this file is their table.
import type { CommandSpec } from "../command";
import { command } from "./util";
import { writes } from "./ts/common";
import { tsAdd, tsMadd, incrBy, tsDel, tsCreateRule, tsDeleteRule, tsCreate, tsAlter } from "./ts/write";
import { tsRange } from "./ts/range";
import { tsMget, mrange, tsQueryIndex } from "./ts/multi";
import { tsGet, tsInfo } from "./ts/get";

export { sampleValue } from "./ts/common";

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

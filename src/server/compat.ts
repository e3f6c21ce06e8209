// What tskv tells clients it is: the Redis version it answers as, and the module its TS.* commands stand for
// (RedisTimeSeries 1.12, built in), in the shapes Redis 7.0 gives them in MODULE LIST, HELLO and INFO modules.
// The one place these constants live (INFO, HELLO and MODULE read them from here).
import * as path from "node:path";
import type { ReplyWriter } from "../protocol/reply";

/** The Redis version tskv answers as (INFO's redis_version, HELLO's version). */
export const REDIS_COMPAT_VERSION = "7.0.15";

export interface ModuleInfo {
  name: string;
  /** The module's version as an integer, as RedisModule_Init gets it (RedisTimeSeries 1.12.14 is 11214). */
  ver: number;
  /** Where it was loaded from: for the built-in module, the tskv package's directory. */
  path: string;
  args: string[];
}

/** RedisTimeSeries 1.12.14, whose grammar and replies tskv's TS.* commands follow. */
export const TIMESERIES_MODULE: ModuleInfo = {
  name: "timeseries",
  ver: 11214,
  path: path.resolve(__dirname, "..", ".."),
  args: [],
};

/** The modules tskv presents as loaded. */
export const MODULES: readonly ModuleInfo[] = [TIMESERIES_MODULE];

/**
 * MODULE LIST's reply (HELLO's `modules` too): an array of one map per module — name, ver, path, args — which RESP2
 * gets as a flat array of 8.
 */
export function writeModuleList(r: ReplyWriter): void {
  r.arrayHeader(MODULES.length);
  for (const m of MODULES) {
    r.mapHeader(4);
    r.bulk("name");
    r.bulk(m.name);
    r.bulk("ver");
    r.integer(m.ver);
    r.bulk("path");
    r.bulk(m.path);
    r.bulk("args");
    r.arrayHeader(m.args.length);
    for (const a of m.args) r.bulk(a);
  }
}

/** INFO modules' line per module: `module:name=timeseries,ver=11214,api=1,filters=0,usedby=[],using=[],options=[]`. */
export function moduleInfoLines(): Array<[string, string]> {
  return MODULES.map((m) => ["module", `name=${m.name},ver=${m.ver},api=1,filters=0,usedby=[],using=[],options=[]`]);
}

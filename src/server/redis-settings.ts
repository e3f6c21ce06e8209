// Redis 7.0's CONFIG value syntax and its error texts (config.c): yes/no, integers and memory sizes within a range,
// enums, and the few settings with a syntax of their own; and the settings of redis-settings-table.ts as CONFIG
// parameters that tskv shows and accepts without acting on them (documented in docs/protocol.md, "CONFIG").
import type { ServerConfig } from "./context";
import { REDIS_SETTINGS, SettingKind } from "./redis-settings-table";

export type { SettingKind } from "./redis-settings-table";

/** A value as parsed: `value` is how CONFIG GET shows it from then on; `error` is Redis's text. */
export type Parsed = { value: string; error?: undefined } | { error: string; value?: undefined };

const INT_ERROR = "argument couldn't be parsed into an integer";
const MEMORY_ERROR = "argument must be a memory value";

export function parseBool(v: string): Parsed {
  const l = v.toLowerCase();
  return l === "yes" || l === "no" ? { value: l } : { error: "argument must be 'yes' or 'no'" };
}

function inRange(n: bigint, min: string, max: string): Parsed {
  if (n < BigInt(min) || n > BigInt(max)) return { error: `argument must be between ${min} and ${max} inclusive` };
  return { value: n.toString() };
}

/** string2ll(): an optional minus, no leading zeros or plus sign, within 64 bits. */
export function parseInt64(v: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(v) || v.length > 20) return undefined;
  const n = BigInt(v);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

export function parseIntSetting(v: string, min: string, max: string): Parsed {
  const n = parseInt64(v);
  return n === undefined ? { error: INT_ERROR } : inRange(n, min, max);
}

const MEMORY_UNITS: Record<string, bigint> = { "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };

/** memtoull(): digits and an optional unit (b, k, kb, m, mb, g, gb, any case): 1k = 1000, 1kb = 1024. */
export function parseMemory(v: string): bigint | undefined {
  const m = /^([0-9]+)([a-zA-Z]*)$/.exec(v);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const n = BigInt(m[1]) * unit;
  return n < 2n ** 64n ? n : undefined;
}

export function parseMemorySetting(v: string, min: string, max: string): Parsed {
  const n = parseMemory(v);
  return n === undefined ? { error: MEMORY_ERROR } : inRange(n, min, max);
}

export function parseEnum(v: string, values: string): Parsed {
  const l = v.toLowerCase();
  const all = values.split(", ");
  return all.includes(l) ? { value: l } : { error: `argument(s) must be one of the following: ${values}` };
}

/** `save`: pairs of seconds and changes (or nothing), as Redis checks them. */
export function parseSave(v: string): Parsed {
  const parts = v.split(" ").filter((p) => p !== "");
  if (parts.length % 2 !== 0) return { error: "Invalid save parameters" };
  for (const p of parts) {
    const n = parseInt64(p);
    if (n === undefined || n < 0n) return { error: "Invalid save parameters" };
  }
  return { value: parts.join(" ") };
}

/** The flags of notify-keyspace-events, in the order keyspaceEventsFlagsToString() writes them. */
const EVENT_CLASSES = "g$lshzxetd";

/** notify-keyspace-events: the flags 'Ag$lshzxeKEtmdn', shown as Redis shows them ("KEA" reads back "AKE"). */
export function parseKeyspaceEvents(v: string): Parsed {
  const set = new Set<string>();
  for (const ch of v) {
    if (ch === "A") for (const c of EVENT_CLASSES) set.add(c);
    else if ("g$lshzxeKEtmdn".includes(ch)) set.add(ch);
    else return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
  }
  let out = "";
  if ([...EVENT_CLASSES].every((c) => set.has(c))) out = "A";
  else for (const c of EVENT_CLASSES + "n") if (set.has(c)) out += c;
  if (set.has("K")) out += "K";
  if (set.has("E")) out += "E";
  if (set.has("m")) out += "m";
  return { value: out };
}

/** latency-tracking-info-percentiles: numbers in [0, 100], blank-separated (or none). */
export function parsePercentiles(v: string): Parsed {
  const parts = v.split(" ").filter((p) => p !== "");
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (p.trim() === "" || !Number.isFinite(n)) return { error: "Invalid latency-tracking-info-percentiles parameters" };
    if (n < 0 || n > 100) return { error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]" };
    out.push(n);
  }
  return { value: out.map(String).join(" ") };
}

/** oom-score-adj-values: three integers from -2000 to 2000. */
export function parseOomScoreAdjValues(v: string): Parsed {
  const parts = v.split(" ").filter((p) => p !== "");
  if (parts.length !== 3) return { error: "wrong number of arguments" };
  for (const p of parts) {
    const n = parseInt64(p);
    if (n === undefined || n < -2000n || n > 2000n) return { error: "Invalid oom-score-adj-values, elements must be between -2000 and 2000." };
  }
  return { value: parts.map((p) => BigInt(p).toString()).join(" ") };
}

/** maxmemory-clients: a memory value, or a percentage of maxmemory up to 100%. */
export function parseMemoryOrPercent(v: string): Parsed {
  const pct = /^([0-9]+)%$/.exec(v);
  if (pct) {
    const n = BigInt(pct[1]);
    return n > 100n ? { error: "percentage argument must be less or equal to 100" } : { value: `${n}%` };
  }
  const n = parseMemory(v);
  return n === undefined ? { error: "argument must be a memory or percent value" } : { value: n.toString() };
}

const SPECIAL: Record<string, (v: string) => Parsed> = {
  "notify-keyspace-events": parseKeyspaceEvents,
  "latency-tracking-info-percentiles": parsePercentiles,
  "oom-score-adj-values": parseOomScoreAdjValues,
  "maxmemory-clients": parseMemoryOrPercent,
};

/** A CONFIG parameter: how to read it, and how to change it at run time (absent = immutable, as Redis says). */
export interface ConfigParam {
  name: string;
  get(c: ServerConfig): string;
  set?(c: ServerConfig, value: string): string | undefined; // returns an error text, or undefined when applied
}

/** Parses a value of a setting of the given kind; `extra` is the table row's range or values. */
export function parseSetting(name: string, kind: SettingKind, v: string, extra: readonly string[]): Parsed {
  switch (kind) {
    case "bool":
      return parseBool(v);
    case "int":
      return parseIntSetting(v, extra[0], extra[1]);
    case "memory":
      return parseMemorySetting(v, extra[0], extra[1]);
    case "enum":
      return parseEnum(v, extra[0]);
    case "special":
      return (SPECIAL[name] ?? ((x: string) => ({ value: x })))(v);
    case "protected":
      return { error: "can't set protected config" };
    default:
      return { value: v };
  }
}

/** A setting kept only to be shown and accepted: its value lives in ServerConfig.settings, copied on write. */
export function keptSetting(name: string, kind: SettingKind, def: string, extra: readonly string[] = []): ConfigParam {
  const param: ConfigParam = { name, get: (c) => c.settings[name] ?? def };
  if (kind !== "immutable") {
    param.set = (c, v) => {
      const p = parseSetting(name, kind, v, extra);
      if (p.error !== undefined) return p.error;
      c.settings = { ...c.settings, [name]: p.value };
      return undefined;
    };
  }
  return param;
}

export const KEPT_SETTINGS: ConfigParam[] = REDIS_SETTINGS.map(([name, kind, def, ...extra]) => keptSetting(name, kind, def, extra));

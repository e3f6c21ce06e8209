// Server settings: defaults, size parsing ("64mb"), and the names CONFIG GET/SET know: tskv's own, Redis's that have
// a tskv counterpart (maxclients, appendfsync = --wal-sync, ...), and the rest of Redis 7.0's, kept and shown only
// (redis-settings.ts). docs/protocol.md ("CONFIG") lists which is which.
import type { ServerConfig } from "./context";
import { MAX_MEMTABLE_SIZE } from "../engine/types";
import {
  ConfigParam,
  KEPT_SETTINGS,
  parseBool,
  parseEnum,
  parseInt64,
  parseIntSetting,
  parseMemorySetting,
  parseSave,
} from "./redis-settings";
import { REDIS_SETTING_ALIASES } from "./redis-settings-table";

export type { ConfigParam } from "./redis-settings";

export const DEFAULT_PORT = 7070;

export function defaultConfig(): ServerConfig {
  return {
    host: "127.0.0.1",
    port: DEFAULT_PORT,
    dir: "./tskv-data",
    walSync: "everysec",
    io: "epoll",
    metricsPort: undefined,
    requirepass: undefined,
    maxclients: 10000,
    memtableSize: 128 * 1024 * 1024,
    bloomBits: 10,
    blockCacheSize: 32 * 1024 * 1024,
    compactionRate: 64 * 1024 * 1024,
    backgroundNice: 19,
    retention: 0,
    seriesNoteWindow: 1 << 20,
    seriesIndexCache: 1 << 22,
    seriesHeadMemory: 64 * 1024 * 1024,
    persistOnStop: true,
    logLevel: "info",
    clientQueryBufferLimit: 1024 * 1024 * 1024,
    protoMaxBulkLen: 512 * 1024 * 1024,
    outputBufferSoftLimit: 64 * 1024 * 1024,
    outputBufferHardLimit: 256 * 1024 * 1024,
    repair: false,
    slowlogLogSlowerThan: 10000,
    slowlogMaxLen: 128,
    hz: 10,
    configFile: undefined,
    settings: {},
  };
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Parses a memory size the way redis.conf does: 1k = 1000, 1kb = 1024, case-insensitive. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseNonNegativeInt(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

const LLONG_MAX = "9223372036854775807";

/** A tskv size setting (memtable-size, ...): redis.conf's sizes, above 0. */
function sizeParam(name: string, key: "memtableSize"): ConfigParam {
  return {
    name,
    get: (c) => String(c[key]),
    set: (c, v) => {
      const n = parseSize(v);
      if (n === undefined || n <= 0) return `argument must be a memory value`;
      if (key === "memtableSize" && n > MAX_MEMTABLE_SIZE) return `argument must be at most 4gb`;
      c[key] = n;
      return undefined;
    },
  };
}

/** A Redis memory setting with a tskv counterpart: Redis's syntax and range. */
function memoryParam(name: string, key: "clientQueryBufferLimit" | "protoMaxBulkLen", min: string): ConfigParam {
  return {
    name,
    get: (c) => String(c[key]),
    set: (c, v) => {
      const p = parseMemorySetting(v, min, LLONG_MAX);
      if (p.error !== undefined) return p.error;
      c[key] = Math.min(Number(p.value), Number.MAX_SAFE_INTEGER);
      return undefined;
    },
  };
}

/**
 * A Redis setting whose value tskv has but cannot change at run time: the value it has is accepted (a no-op), any
 * other valid one refused with `why`, an invalid one with Redis's error.
 */
function fixedParam(name: string, get: (c: ServerConfig) => string, parse: (v: string) => { value?: string; error?: string }, why: string): ConfigParam {
  return {
    name,
    get,
    set: (c, v) => {
      const p = parse(v);
      if (p.error !== undefined) return p.error;
      return p.value === get(c) ? undefined : why;
    },
  };
}

/** Redis's loglevel names over tskv's levels (pino's): debug, verbose = debug; notice = info; warning = warn. */
const FROM_REDIS_LEVEL: Record<string, string> = { debug: "debug", verbose: "debug", notice: "info", warning: "warn" };
function redisLevel(level: string): string {
  if (level === "trace" || level === "debug") return "debug";
  if (level === "info") return "notice";
  return "warning";
}

/** client-output-buffer-limit's classes: tskv's per-client limits are the normal class's; the others are kept. */
const OUTPUT_CLASSES = ["normal", "slave", "pubsub"] as const;
const OUTPUT_DEFAULTS: Record<string, string> = { slave: "268435456 67108864 60", pubsub: "33554432 8388608 60" };
const outputLimit = (n: number): string => (Number.isFinite(n) ? String(n) : "0");

function getOutputLimits(c: ServerConfig): string {
  return OUTPUT_CLASSES.map((cls) =>
    cls === "normal"
      ? `normal ${outputLimit(c.outputBufferHardLimit)} ${outputLimit(c.outputBufferSoftLimit)} ${c.settings["client-output-buffer-limit/normal"] ?? "0"}`
      : `${cls} ${c.settings[`client-output-buffer-limit/${cls}`] ?? OUTPUT_DEFAULTS[cls]}`,
  ).join(" ");
}

/** Redis's syntax: groups of `class hard soft soft-seconds`, class normal, replica (slave) or pubsub; 0 = no limit. */
function setOutputLimits(c: ServerConfig, v: string): string | undefined {
  const parts = v.split(" ").filter((p) => p !== "");
  if (parts.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const groups: Array<[string, bigint, bigint, bigint]> = [];
  for (let i = 0; i < parts.length; i += 4) {
    let cls = parts[i].toLowerCase();
    if (cls === "replica") cls = "slave";
    if (!(OUTPUT_CLASSES as readonly string[]).includes(cls)) return "Invalid client class specified in buffer limit configuration.";
    const hard = parseMemorySetting(parts[i + 1], "0", LLONG_MAX);
    const soft = parseMemorySetting(parts[i + 2], "0", LLONG_MAX);
    const secs = parseInt64(parts[i + 3]);
    if (hard.error !== undefined || soft.error !== undefined || secs === undefined || secs < 0n) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    groups.push([cls, BigInt(hard.value), BigInt(soft.value), secs]);
  }
  const settings = { ...c.settings };
  for (const [cls, hard, soft, secs] of groups) {
    if (cls === "normal") {
      // Redis's 0 is no limit; tskv pauses reading above the soft limit (Redis disconnects after the seconds).
      c.outputBufferHardLimit = hard === 0n ? Infinity : Number(hard);
      c.outputBufferSoftLimit = soft === 0n ? Infinity : Number(soft);
      settings["client-output-buffer-limit/normal"] = secs.toString();
    } else {
      settings[`client-output-buffer-limit/${cls}`] = `${hard} ${soft} ${secs}`;
    }
  }
  c.settings = settings;
  return undefined;
}

const TSKV_PARAMS: ConfigParam[] = [
  { name: "wal-sync", get: (c) => c.walSync },
  { name: "io-backend", get: (c) => c.io },
  { name: "metrics-port", get: (c) => (c.metricsPort === undefined ? "0" : String(c.metricsPort)) },
  sizeParam("memtable-size", "memtableSize"),
  {
    name: "retention",
    get: (c) => String(c.retention),
    set: (c, v) => {
      const n = parseNonNegativeInt(v);
      if (n === undefined) return "argument couldn't be parsed into an integer";
      c.retention = n;
      return undefined;
    },
  },
  {
    name: "log-level",
    get: (c) => c.logLevel,
    set: (c, v) => {
      const l = v.toLowerCase();
      if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(l)) {
        return "argument(s) must be one of the following: fatal, error, warn, info, debug, trace, silent";
      }
      c.logLevel = l;
      return undefined;
    },
  },
];

/** Redis's settings with a tskv counterpart. */
const MAPPED_PARAMS: ConfigParam[] = [
  fixedParam("port", (c) => String(c.port), (v) => parseIntSetting(v, "0", "65535"), "tskv cannot change its port at run time (restart with --port)"),
  fixedParam("tls-port", () => "0", (v) => parseIntSetting(v, "0", "65535"), "tskv does not serve TLS"),
  fixedParam("bind", (c) => c.host, (v) => ({ value: v }), "tskv cannot change its address at run time (restart with --host)"),
  // Redis refuses dir under its default enable-protected-configs no; so does tskv, whose data directory is fixed.
  { name: "dir", get: (c) => c.dir, set: () => "can't set protected config" },
  fixedParam("appendfsync", (c) => c.walSync, (v) => parseEnum(v, "everysec, always, no"), "tskv cannot change its WAL sync policy at run time (restart with --wal-sync)"),
  fixedParam("appendonly", () => "yes", parseBool, "tskv always logs writes to its WAL; appendonly cannot be turned off"),
  fixedParam("maxmemory", () => "0", (v) => parseMemorySetting(v, "0", "18446744073709551615"), "tskv does not evict keys; its memory is bounded by its settings (docs/operations.md)"),
  fixedParam(
    "maxmemory-policy",
    () => "noeviction",
    (v) => parseEnum(v, "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    "tskv does not evict keys (noeviction only)",
  ),
  { name: "replicaof", get: () => "", set: () => "tskv does not support replication" },
  {
    name: "requirepass",
    get: (c) => c.requirepass ?? "",
    set: (c, v) => {
      c.requirepass = v === "" ? undefined : v;
      return undefined;
    },
  },
  {
    name: "maxclients",
    get: (c) => String(c.maxclients),
    set: (c, v) => {
      const p = parseIntSetting(v, "1", "4294967295");
      if (p.error !== undefined) return p.error;
      c.maxclients = Number(p.value);
      return undefined;
    },
  },
  memoryParam("client-query-buffer-limit", "clientQueryBufferLimit", "1048576"),
  memoryParam("proto-max-bulk-len", "protoMaxBulkLen", "1048576"),
  { name: "client-output-buffer-limit", get: getOutputLimits, set: setOutputLimits },
  {
    name: "slowlog-log-slower-than",
    get: (c) => String(c.slowlogLogSlowerThan),
    set: (c, v) => {
      const p = parseIntSetting(v, "-1", LLONG_MAX);
      if (p.error !== undefined) return p.error;
      c.slowlogLogSlowerThan = Number(p.value);
      return undefined;
    },
  },
  {
    name: "slowlog-max-len",
    get: (c) => String(c.slowlogMaxLen),
    set: (c, v) => {
      const p = parseIntSetting(v, "0", LLONG_MAX);
      if (p.error !== undefined) return p.error;
      c.slowlogMaxLen = Math.min(Number(p.value), 2 ** 32);
      return undefined;
    },
  },
  {
    name: "loglevel",
    get: (c) => redisLevel(c.logLevel),
    set: (c, v) => {
      const p = parseEnum(v, "debug, verbose, notice, warning");
      if (p.error !== undefined) return p.error;
      c.logLevel = FROM_REDIS_LEVEL[p.value];
      return undefined;
    },
  },
  {
    // Redis's server cron frequency: tskv's timers do not follow it. Shown as Redis does (clamped to 1..500).
    name: "hz",
    get: (c) => String(c.hz),
    set: (c, v) => {
      const p = parseIntSetting(v, "0", "2147483647");
      if (p.error !== undefined) return p.error;
      c.hz = Math.min(500, Math.max(1, Number(p.value)));
      return undefined;
    },
  },
  // No RDB snapshots in tskv: kept and shown only (its default is "", as tskv never saves).
  keptSettingWith("save", "", parseSave),
];

function keptSettingWith(name: string, def: string, parse: (v: string) => { value?: string; error?: string }): ConfigParam {
  return {
    name,
    get: (c) => c.settings[name] ?? def,
    set: (c, v) => {
      const p = parse(v);
      if (p.error !== undefined) return p.error;
      c.settings = { ...c.settings, [name]: p.value as string };
      return undefined;
    },
  };
}

export const CONFIG_PARAMS: ConfigParam[] = [...TSKV_PARAMS, ...MAPPED_PARAMS, ...KEPT_SETTINGS];

const BY_NAME = new Map<string, ConfigParam>(CONFIG_PARAMS.map((p) => [p.name, p]));
for (const [alias, name] of Object.entries(REDIS_SETTING_ALIASES)) {
  const p = BY_NAME.get(name);
  if (p) BY_NAME.set(alias, p);
}
if (!BY_NAME.has("slaveof")) BY_NAME.set("slaveof", BY_NAME.get("replicaof")!);

/** The parameter CONFIG GET/SET know by this name (any case; Redis's aliases included). */
export function configParam(name: string): ConfigParam | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Every name CONFIG GET matches a pattern against (aliases included, as Redis 7.0 lists them), with its parameter. */
export function configNames(): IterableIterator<[string, ConfigParam]> {
  return BY_NAME.entries();
}

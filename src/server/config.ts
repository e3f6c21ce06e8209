// Server settings: defaults, size parsing ("64mb"), and the names CONFIG GET/SET know.
import type { ServerConfig } from "./context";
import { MAX_MEMTABLE_SIZE } from "../engine/types";

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

/** A CONFIG parameter: how to read it, and how to change it at run time (absent = read-only). */
export interface ConfigParam {
  name: string;
  get(c: ServerConfig): string;
  set?(c: ServerConfig, value: string): string | undefined; // returns an error text, or undefined when applied
}

function sizeParam(name: string, key: keyof ServerConfig & ("memtableSize" | "clientQueryBufferLimit" | "protoMaxBulkLen")): ConfigParam {
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

/** Settings clients and tools ask for that tskv answers with fixed values (redis-benchmark reads save/appendonly). */
const FIXED: Record<string, string> = {
  save: "",
  appendonly: "yes",
  databases: "1",
  maxmemory: "0",
  "maxmemory-policy": "noeviction",
  "cluster-enabled": "no",
  "enable-module-command": "no",
  timeout: "0",
  "tcp-keepalive": "300",
};

export const CONFIG_PARAMS: ConfigParam[] = [
  { name: "bind", get: (c) => c.host },
  { name: "port", get: (c) => String(c.port) },
  { name: "dir", get: (c) => c.dir },
  { name: "wal-sync", get: (c) => c.walSync },
  { name: "appendfsync", get: (c) => c.walSync },
  { name: "io-backend", get: (c) => c.io },
  { name: "metrics-port", get: (c) => (c.metricsPort === undefined ? "0" : String(c.metricsPort)) },
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
      const n = parseNonNegativeInt(v);
      if (n === undefined || n < 1) return "argument must be between 1 and 2147483647 inclusive";
      c.maxclients = n;
      return undefined;
    },
  },
  sizeParam("memtable-size", "memtableSize"),
  sizeParam("client-query-buffer-limit", "clientQueryBufferLimit"),
  sizeParam("proto-max-bulk-len", "protoMaxBulkLen"),
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
  { name: "loglevel", get: (c) => c.logLevel },
  {
    name: "slowlog-log-slower-than",
    get: (c) => String(c.slowlogLogSlowerThan),
    set: (c, v) => {
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return "argument couldn't be parsed into an integer";
      c.slowlogLogSlowerThan = Number(v);
      return undefined;
    },
  },
  {
    name: "slowlog-max-len",
    get: (c) => String(c.slowlogMaxLen),
    set: (c, v) => {
      const n = parseNonNegativeInt(v);
      if (n === undefined) return "argument couldn't be parsed into an integer";
      c.slowlogMaxLen = n;
      return undefined;
    },
  },
  {
    name: "client-output-buffer-limit",
    get: (c) => `normal ${c.outputBufferHardLimit} ${c.outputBufferSoftLimit} 0`,
  },
  ...Object.entries(FIXED).map(([name, value]) => ({
    name,
    get: () => value,
    set: (_c: ServerConfig, v: string) => (v === value ? undefined : `tskv does not support changing '${name}'`),
  })),
];

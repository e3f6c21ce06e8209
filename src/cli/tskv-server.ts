#!/usr/bin/env node
// tskv-server: argument parsing only; the server lives in src/server/.
import * as fs from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { defaultConfig, parseNonNegativeInt, parseSize } from "../server/config";
import type { ServerConfig } from "../server/context";
import { MAX_MEMTABLE_SIZE } from "../engine/types";
import { LOG_LEVELS } from "../server/logger";
import { TskvServer } from "../server/server";
import { VERSION } from "../version";

function size(v: string): number {
  const n = parseSize(v);
  if (n === undefined || n <= 0) throw new InvalidArgumentError(`'${v}' is not a size (e.g. 64mb, 1gb, 1048576)`);
  return n;
}

function memtableSize(v: string): number {
  const n = size(v);
  if (n > MAX_MEMTABLE_SIZE) throw new InvalidArgumentError(`'${v}' is more than the largest memtable (4gb)`);
  return n;
}

function port(v: string): number {
  const n = parseNonNegativeInt(v);
  if (n === undefined || n > 65535) throw new InvalidArgumentError(`'${v}' is not a port number (0-65535)`);
  return n;
}

function positive(v: string): number {
  const n = parseNonNegativeInt(v);
  if (n === undefined || n < 1) throw new InvalidArgumentError(`'${v}' is not a positive integer`);
  return n;
}

function nonNegative(v: string): number {
  const n = parseNonNegativeInt(v);
  if (n === undefined) throw new InvalidArgumentError(`'${v}' is not a non-negative integer`);
  return n;
}

/** Reads a config file: one `name value` per line (redis.conf style), `#` comments; names are the long flags. */
function readConfigFile(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const args: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: expected 'name value', got '${line}'`);
    args.push(`--${m[1].replace(/^--/, "")}`, m[2].replace(/^"(.*)"$/, "$1"));
  }
  return args;
}

function buildProgram(): Command {
  const d = defaultConfig();
  return new Command()
    .name("tskv-server")
    .description("tskv: a crash-safe time-series key-value server speaking the Redis protocol")
    .version(VERSION, "-v, --version")
    .option("--host <addr>", "address to bind", d.host)
    .option("--port <n>", "TCP port", port, d.port)
    .option("--dir <path>", "data directory", d.dir)
    .addOption(new Option("--wal-sync <policy>", "WAL sync policy").choices(["always", "everysec", "no"]).default(d.walSync))
    .addOption(new Option("--io <backend>", "socket layer").choices(["epoll", "net"]).default(d.io))
    .option("--metrics-port <n>", "serve Prometheus /metrics on this port", port)
    .option("--requirepass <password>", "require AUTH with this password")
    .option("--maxclients <n>", "maximum connected clients", positive, d.maxclients)
    .option("--memtable-size <size>", "memtable size (heap bytes) before a flush (e.g. 128mb, at most 4gb)", memtableSize, d.memtableSize)
    .option("--bloom-bits <n>", "Bloom filter bits per key in new tables (0 = none)", nonNegative, d.bloomBits)
    .option("--block-cache-size <size>", "bytes of table blocks cached in memory", size, d.blockCacheSize)
    .option("--compaction-rate <size>", "background compaction write limit per second (0 = unlimited)", (v: string) => {
      const n = parseSize(v);
      if (n === undefined) throw new InvalidArgumentError(`'${v}' is not a size (e.g. 64mb)`);
      return n;
    }, d.compactionRate)
    .option("--background-nice <n>", "nice value of the flush and compaction thread, 0..19 (Linux; 0 = same as the server)", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 19) throw new InvalidArgumentError(`'${v}' is not a nice value from 0 to 19`);
      return n;
    }, d.backgroundNice)
    .option("--retention <ms>", "default retention of auto-created series in ms (0 = forever)", nonNegative, d.retention)
    .option("--series-note-window <writes>", "engine writes after which a series' logged appends are written into its chunks", (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`'${v}' is not a positive integer`);
      return n;
    }, d.seriesNoteWindow)
    .option("--series-head-memory <size>", "bytes of point arrays the series heads hold before the least recently used are packed", size, d.seriesHeadMemory)
    .option("--series-index-cache <entries>", "series the labels index keeps in memory, over all its lists", (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`'${v}' is not a non-negative integer`);
      return n;
    }, d.seriesIndexCache)
    .option("--proto-max-bulk-len <size>", "largest bulk string accepted", size, d.protoMaxBulkLen)
    .option("--client-query-buffer-limit <size>", "query buffer limit per client", size, d.clientQueryBufferLimit)
    .option("--output-buffer-soft-limit <size>", "per-client output above which reading from the client pauses", size, d.outputBufferSoftLimit)
    .option("--output-buffer-hard-limit <size>", "per-client output above which the client is disconnected", size, d.outputBufferHardLimit)
    .addOption(new Option("--log-level <level>", "log level").choices([...LOG_LEVELS]).default(d.logLevel))
    .option("--slowlog-log-slower-than <us>", "log commands slower than this many microseconds (negative: off, 0: all)", (v: string) => {
      if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`'${v}' is not an integer`);
      return Number(v);
    }, d.slowlogLogSlowerThan)
    .option("--slowlog-max-len <n>", "entries kept in the slow log", nonNegative, d.slowlogMaxLen)
    .option("--repair", "start despite WAL corruption before the tail, dropping the damaged records", false)
    .option("--config <file>", "read options from a file of 'name value' lines (flags on the command line win)")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      // One clear line for a bad flag; --help and --version print in full.
      writeErr: (str) => process.stderr.write(str.split("\n").find((l) => l.trim() !== "") + "\n"),
    });
}

function parse(argv: string[]): ServerConfig {
  const exit = (code: number): never => process.exit(code);
  let program = buildProgram();
  try {
    program.parse(argv, { from: "user" });
    const file = program.opts().config as string | undefined;
    if (file) {
      program = buildProgram();
      program.parse([...readConfigFile(file), ...argv], { from: "user" });
    }
  } catch (e) {
    const code = (e as { exitCode?: number; code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version") exit(0);
    if (!(e as { code?: string }).code?.startsWith("commander.")) process.stderr.write(`tskv-server: ${(e as Error).message}\n`);
    exit(2);
  }
  const o = program.opts();
  return {
    ...defaultConfig(),
    host: o.host,
    port: o.port,
    dir: o.dir,
    walSync: o.walSync,
    io: o.io,
    metricsPort: o.metricsPort,
    requirepass: o.requirepass,
    maxclients: o.maxclients,
    memtableSize: o.memtableSize,
    bloomBits: o.bloomBits,
    blockCacheSize: o.blockCacheSize,
    compactionRate: o.compactionRate,
    backgroundNice: o.backgroundNice,
    retention: o.retention,
    seriesNoteWindow: o.seriesNoteWindow,
    seriesIndexCache: o.seriesIndexCache,
    seriesHeadMemory: o.seriesHeadMemory,
    logLevel: o.logLevel,
    protoMaxBulkLen: o.protoMaxBulkLen,
    clientQueryBufferLimit: o.clientQueryBufferLimit,
    outputBufferSoftLimit: o.outputBufferSoftLimit,
    outputBufferHardLimit: o.outputBufferHardLimit,
    repair: o.repair === true,
    slowlogLogSlowerThan: o.slowlogLogSlowerThan,
    slowlogMaxLen: o.slowlogMaxLen,
    configFile: o.config,
  };
}

async function main(): Promise<void> {
  const config = parse(process.argv.slice(2));
  let server: TskvServer;
  try {
    server = await TskvServer.start(config);
  } catch (e) {
    process.stderr.write(`tskv-server: ${(e as Error).message}\n`);
    process.exit(1);
  }
  // Handlers first: a supervisor may signal as soon as it reads the ready line, and an unhandled SIGTERM kills.
  const onSignal = (sig: string): void => server.shutdown(`received ${sig}`);
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  server.log.info(
    { version: VERSION, io: server.ioBackend, host: server.address.host, port: server.address.port, dir: config.dir, walSync: config.walSync },
    `tskv ${VERSION} ready to accept connections on ${server.address.host}:${server.address.port} (io ${server.ioBackend})`,
  );
  await server.closed;
  process.exit(0);
}

void main();

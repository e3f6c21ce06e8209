// Shared state handed to every command handler. Families add what they own (the model's stores, metrics).
import type { EngineApi, WalSync } from "../engine/types";
import type { IoBackendName } from "./io/types";
import type { ClientState } from "./command";
import type { CommandTable } from "./command-table";
import type { Logger } from "./logger";
import type { Metrics } from "../metrics/registry";
import type { SlowLog } from "../metrics/slowlog";

export interface ServerConfig {
  host: string;
  port: number;
  dir: string;
  walSync: WalSync;
  io: IoBackendName;
  metricsPort: number | undefined;
  requirepass: string | undefined;
  maxclients: number;
  memtableSize: number;
  /** Bloom filter bits per key in new tables (0 = no filter). */
  bloomBits: number;
  /** Bytes of verified table blocks kept in memory. */
  blockCacheSize: number;
  /** Background compaction output limit, bytes/s (0 = unlimited). */
  compactionRate: number;
  /** Nice value of the flush/compaction thread (Linux). */
  backgroundNice: number;
  /** Default retention (ms) for auto-created series; 0 keeps points forever. */
  retention: number;
  /** Engine writes after which a series' WAL notes are persisted into engine entries (docs/format.md, WAL notes). */
  seriesNoteWindow: number;
  /** Entries the labels index keeps in memory (model/series/postings.ts). */
  seriesIndexCache: number;
  /** Bytes of point arrays series heads hold before the sweep packs some (model/series/series.ts, sweep). */
  seriesHeadMemory: number;
  /** Heads whose point arrays are smaller are never packed (model/series/state.ts PACK_MIN_BYTES); tests set 0. */
  seriesHeadPackMin?: number;
  /**
   * A clean stop writes every series head's WAL notes into its entries and the memtable into a table, so the next
   * start replays no WAL (true unless a test wants the replay).
   */
  persistOnStop: boolean;
  logLevel: string;
  /** Per-client query buffer limit (Redis client-query-buffer-limit). */
  clientQueryBufferLimit: number;
  /** Largest bulk string accepted (Redis proto-max-bulk-len). */
  protoMaxBulkLen: number;
  /** Output buffer per client: reading pauses above the soft limit, the client is dropped above the hard one. */
  outputBufferSoftLimit: number;
  outputBufferHardLimit: number;
  /** Slow log threshold in microseconds (negative disables, 0 logs everything). */
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  /** Open despite WAL corruption before the tail, dropping the damaged records. */
  repair: boolean;
  /** Redis's hz: accepted and reported (INFO server, CONFIG GET); tskv's timers do not depend on it. */
  hz: number;
  /** The --config file the settings were read from, if any (INFO server's config_file). */
  configFile: string | undefined;
  /**
   * Redis settings tskv shows and accepts without acting on them (redis-settings-table.ts), by name, once changed
   * by CONFIG SET; replaced, never changed in place (CONFIG SET tries every change on a copy first).
   */
  settings: Readonly<Record<string, string>>;
}

export interface ServerStats {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Times a client's reading was paused because its output passed the soft limit. */
  outputPauses: number;
  /** Times a client's reading was paused because writes stalled while it held replies. */
  stallPauses: number;
  /** Clients dropped for passing the output hard limit or the query buffer limit. */
  clientsDropped: number;
  /** Reads from client sockets handed to the server, and writes to them (INFO's total_reads/writes_processed). */
  readsProcessed: number;
  writesProcessed: number;
}

/** What CLIENT LIST / CLIENT INFO show of a connection. */
export interface ClientView {
  readonly id: number;
  readonly client: ClientState;
  readonly lastCommand: string;
  readonly lastInteraction: number;
  readonly queryBufferBytes: number;
  readonly outputBytes: number;
}

export interface ServerContext {
  readonly engine: EngineApi;
  readonly config: ServerConfig;
  readonly ioBackend: IoBackendName;
  /** ms since the epoch when the server started. */
  readonly startedAt: number;
  readonly stats: ServerStats;
  readonly commands: CommandTable;
  readonly metrics: Metrics;
  readonly slowlog: SlowLog;
  readonly log: Logger;
  /** Listening address. */
  readonly address: { host: string; port: number };
  clientList(): ClientView[];
  /** Closes a client (after the current reply when it is the caller). Returns false when no such client. */
  killClient(id: number): boolean;
  /** Stops accepting, answers what is in flight, closes the engine, then resolves `closed`. */
  shutdown(reason: string): void;
  /** Registered by model layers (keyspace, series) so families can find each other; keyed by name. */
  readonly extensions: Map<string, unknown>;
}

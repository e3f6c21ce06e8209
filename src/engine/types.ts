// The engine's public contract: an ordered, binary key-value store with snapshots and a sync policy.
// It knows nothing of RESP, strings or series (src/model/ maps those onto it).

export type WalSync = "always" | "everysec" | "no";

export interface EngineOptions {
  /** Write-ahead log sync policy, named after Redis's appendfsync. Default "everysec". */
  walSync?: WalSync;
  /** Bytes of memtable before it is frozen and flushed. Default 64 MiB. */
  memtableSize?: number;
  /** Bloom filter bits per key in new SSTables. Default 10. */
  bloomBitsPerKey?: number;
  /** Cut a torn or corrupt WAL and go on where recovery would otherwise refuse to start. Default false. */
  repair?: boolean;
  /** Where diagnostics go (recovery reports, flush summaries). Default: nothing. */
  logger?: EngineLogger;
}

export interface EngineLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type BatchOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

export interface RangeOptions {
  gt?: Buffer;
  gte?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  reverse?: boolean;
  limit?: number;
  snapshot?: Snapshot;
}

export interface Snapshot {
  readonly sequence: bigint;
  release(): void;
}

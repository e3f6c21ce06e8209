// The engine's public contract: an ordered, binary key-value store with snapshots and a sync policy.
// It knows nothing of RESP, strings or series (src/model/ maps those onto it).

export type WalSync = "always" | "everysec" | "no";

export interface EngineOptions {
  /** Write-ahead log sync policy, named after Redis's appendfsync. Default "everysec". */
  walSync?: WalSync;
  /** Heap bytes of memtable (keys, values and the measured per-entry overhead) before it is frozen and flushed. Default 128 MiB. */
  memtableSize?: number;
  /** Bloom filter bits per key in new SSTables. Default 10. */
  bloomBitsPerKey?: number;
  /** Target data block size in SSTables (default 4096). */
  blockSize?: number;
  /** Target size of compaction output tables (default 2 MiB). */
  targetFileSize?: number;
  /** Bytes allowed in L1; each deeper level holds 10× more (default 10 MiB). */
  levelBase?: number;
  /** L0 tables that trigger a compaction (default 4). */
  l0Trigger?: number;
  /** L0 tables at which writes stop until compaction catches up (default 12). */
  l0Stop?: number;
  /** Background compaction output limit in bytes/s (default 64 MiB/s; 0 = unlimited). */
  compactionRate?: number;
  /**
   * Nice value of the background thread that flushes and compacts (Linux, where nice is per thread; default 19, 0 =
   * the same priority as the caller). It takes idle CPU at once but yields a shared core to the serving thread.
   */
  backgroundNice?: number;
  /** Bytes of verified SSTable blocks kept in memory (default 32 MiB). */
  blockCacheSize?: number;
  /** Keys carrying a time (prefix byte, offset of a big-endian sign-flipped i64): tables record their time range. */
  timeKey?: { prefix: number; offset: number };
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

export type BatchOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer } | { type: "note"; key: Buffer; value: Buffer };

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

/** What the server and the model layer use; src/engine/engine.ts implements it. */
export interface EngineApi {
  /** Newest visible value, or undefined. Synchronous: memtables and mapped tables only. */
  get(key: Buffer, snapshot?: Snapshot): Buffer | undefined;
  /**
   * A hint that point reads of keys with these hash32s (the first `n`, at most 1024) follow: the memtable reads what
   * their lookups will need, all keys stage by stage, so the cache misses overlap. Changes nothing.
   */
  prefetch(hashes: Int32Array, n: number): void;
  /**
   * Applies a batch atomically: appended to the WAL's pending group and inserted in the memtable, visible to reads at
   * once. Returns the batch's last sequence number; durability follows (see whenDurable). Throws EngineError
   * (e.g. code TSKV_ERR_NOSPACE, TSKV_ERR_READONLY) when writes are refused; nothing is applied then. Keys and
   * values are copied during the call, except values over 64 KiB, which the memtable keeps as given: the caller must
   * not change those afterwards (write() copies them for its caller).
   */
  apply(ops: BatchOp[]): bigint;
  /** apply() of one put, without building the batch: the same contract and result. */
  applyPut(key: Buffer, value: Buffer): bigint;
  /**
   * Logs a note: a record in the WAL's pending group that takes one sequence number and is never inserted in the
   * memtable, flushed or read (docs/format.md, "WAL notes"). Its writer keeps what it says in memory until later
   * writes cover it, and tells the engine with setNoteFloor() which notes it still needs: the WAL segments that hold
   * those stay (past their memtable's flush) and replayNotes() gives them back after a restart. Returns the note's
   * sequence; durability and refusals as apply(). The key and value are copied during the call.
   */
  applyNote(key: Buffer, value: Buffer): number;
  /** Notes below `seq` are no longer needed: the WAL segments holding only older ones may go. */
  setNoteFloor(seq: number): void;
  /**
   * Calls visit(seq, key, value) for every note in the WAL the engine keeps, in sequence order (key and value are
   * views valid during the call).
   */
  replayNotes(visit: (seq: number, key: Buffer, value: Buffer) => void): void;
  /** Calls `fn` after a group's WAL write failed and its writes were taken back (see writeLost). */
  onWriteLost(fn: () => void): void;
  /** The sequence of the last write applied, as a number (lastSequence without the BigInt). */
  readonly sequence: number;
  /** Resolves when everything up to `seq` is as durable as the sync policy promises (always: fdatasync'd). */
  whenDurable(seq: bigint): Promise<void>;
  /** True while writes are stopped: applied, but not acknowledged until flushes and L0 compaction catch up. */
  readonly stalled: boolean;
  /**
   * False while writes are stopped and the memtable has reached twice its size: apply() then refuses with
   * TSKV_ERR_STALL. whenWritable() resolves once apply() would take a batch again (at once when it would now).
   */
  readonly writable: boolean;
  whenWritable(): Promise<void>;
  /**
   * Writes the batches applied so far this turn to the WAL now, instead of at the end of the turn (the server calls
   * it just before sending a turn's replies, so acknowledgements under everysec/no need no extra loop iteration).
   */
  commit(): void;
  /**
   * Starts an atomic section (the server's EXEC): the batches applied until endAtomic() go into the WAL as ONE write
   * batch record, so that recovery replays all of them or none (docs/format.md, "Write batch"). Reads see each
   * batch at once, as always. Call both in the same synchronous stretch. Batches that cannot wait in the pending
   * group (written at once while the disk is full) stay separate records. A section is not refused at the memtable's
   * hard limit (TSKV_ERR_STALL) once begun: the memtable may pass it by one section (the caller waits for
   * `writable` before it begins); a full disk or a read-only engine still refuses.
   */
  beginAtomic?(): void;
  endAtomic?(): void;
  /**
   * Promises a commit() before this turn ends: batches applied until then wait for it instead of scheduling their own
   * end-of-turn write (a setImmediate a turn). The server holds the group while a turn runs and commits it before
   * the turn's replies go out.
   */
  holdGroup(): void;
  /**
   * The error that took `seq` back out when its group's WAL write failed (a full disk), or undefined. Such a write
   * is never durable, even once later writes make the log durable past its number: its reply must not go out.
   */
  writeLost(seq: bigint): Error | undefined;
  /** The highest sequence for which whenDurable would resolve at once. */
  readonly durableSequence: bigint;
  /** The sequence of the last batch applied (visible to reads, maybe not durable yet). */
  readonly lastSequence: bigint;
  put(key: Buffer, value: Buffer): Promise<void>;
  del(key: Buffer): Promise<void>;
  write(ops: BatchOp[]): Promise<void>;
  /** Ordered entries in a range; keys and values are owned copies. */
  iterate(range?: RangeOptions): IterableIterator<[Buffer, Buffer]>;
  /**
   * Calls visit(key, value) for every live entry in [gte, lt) in key order, at the current sequence: for a pass that
   * keeps little of what it sees (the keyspace's count at start). Key and value are views valid only during the call
   * (copy what you keep); visit must not write to the engine.
   */
  scan(range: { gte?: Buffer; lt?: Buffer }, visit: (key: Buffer, value: Buffer) => void): void;
  snapshot(): Snapshot;
  /** Storage figures: memtables, levels, caches, stalls (INFO storage, TSKV.STATS). */
  stats(): EngineStats;
  /** Monotonic counters (metrics). */
  readonly counters: EngineCounters;
  /** Writes the memtable out as a table; resolves when it is durable (TSKV.FLUSH). */
  flush(): Promise<void>;
  /** Flushes, then compacts every table into one sorted run; resolves when done (TSKV.COMPACT). */
  compactAll(): Promise<void>;
  close(): Promise<void>;
}

/** Storage figures for INFO, TSKV.STATS and metrics. */
export interface EngineStats {
  entries: number;
  memtableBytes: number;
  frozenMemtables: number;
  frozenBytes: number;
  walSegments: number;
  lastSequence: number;
  durableSequence: number;
  levels: Array<{ level: number; files: number; bytes: number; entries: number }>;
  tableBytes: number;
  tableFiles: number;
  stalled: boolean;
  flushing: boolean;
  compacting: boolean;
  blockCacheBytes: number;
  blockCacheHits: number;
  blockCacheMisses: number;
  bloomProbes: number;
  bloomNegatives: number;
  blockReads: number;
}


export interface EngineCounters {
  walAppends: number;
  walBytes: number;
  walSyncs: number;
  walSyncMicros: number;
  groupCommits: number;
  failedWrites: number;
  flushes: number;
  flushBytes: number;
  flushMicros: number;
  compactions: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  compactionMicros: number;
  stalls: number;
  stallMicros: number;
  /** Key and value bytes applied by users (the base of write amplification). */
  userBytesWritten: number;
  /** Flushes or compactions postponed because the disk was full. */
  backgroundRetries: number;
}

/** The largest memtableSize an engine takes: the active memtable may reach twice it, and its arena holds 16 GiB. */
export const MAX_MEMTABLE_SIZE = 4 * 1024 * 1024 * 1024;

// The engine: an ordered binary key-value store with sequence numbers, snapshots and a write-ahead log.
//
// Write path: apply() encodes the batch, queues it for the WAL and inserts it in the memtable (visible at once).
// All batches of one event-loop turn are written to the WAL with one write (group commit). Under walSync "always"
// one fdatasync then covers the whole group, on the libuv threadpool, while the loop goes on reading; whenDurable()
// resolves when the sync policy is met for a sequence.
//
// When the memtable reaches memtableSize it freezes, a new WAL segment starts, and a background job (a worker
// thread) writes the frozen memtable as an L0 SSTable; the manifest edit naming the table is made durable before
// the WAL segments it covers are deleted. Compactions merge tables level by level in the same way.
//
// Read path: the memtable, the frozen memtables (newest first), then the tables of the current version: L0 newest
// first, then one table per deeper level, each behind its Bloom filter.
import * as path from "node:path";
import { TskvError } from "./errors";
import { FileSystem, nodeFs } from "./io";
import type { Job } from "./jobs";
import { applyEdit, emptyState, FileMeta, ManifestState, ManifestWriter, manifestName, NUM_LEVELS, parseManifestName, readManifest, VersionEdit } from "./manifest";
import { compareBytes, SkipList } from "./memtable/skiplist";
import type { TableOptions } from "./sst/builder";
import { tableName } from "./sst/format";
import { hash32 } from "./sst/bloom";
import { BlockCache, ReadCounters, Table, TableEntry } from "./sst/reader";
import { findFile, keyRange, overlapping, TableHandle, Version } from "./version";
import { openVisible, scanVisible } from "./scan";
import { MAX_MEMTABLE_SIZE, type BatchOp, type EngineApi, type EngineLogger, type EngineCounters, type EngineOptions, type EngineStats, type RangeOptions, type Snapshot, type WalSync } from "./types";
import { OpKind, parseSegmentName, segmentName } from "./wal/format";
import { WalSegmentWriter } from "./wal/writer";
import { NoteSegments, replaySegmentNotes } from "./wal/notes";
import { varintSize } from "./varint";
import { DurationBuckets } from "./duration-buckets";
import { Background, pickMeta, workerScript } from "./background";
import { BATCH_HEADER, batchSize, concatBatches, encodePutInto, encodeBatchInto, isBig, ownOp } from "./batch";
import { errnoOf, acquireLock, releaseLock } from "./files";
import { memReverse, levelReverse, mergeReverse } from "./reverse";
import { levelLimit, pickCompaction, sortedRuns } from "./compaction";
import { openTables, replayLog } from "./recovery";

const QUIET: EngineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface OpenOptions extends EngineOptions {
  /** File-I/O seam (fault injection in tests). */
  fs?: FileSystem;
  /**
   * Where flushes and compactions run: "worker" (a worker thread; the default when the compiled worker exists and
   * no fs is injected) or "inline" (on the loop, in small slices; used with an injected fs).
   */
  background?: "worker" | "inline";
}

/** Tuning of the LSM's lower half; defaults follow LevelDB. */
export interface LsmOptions {
  /** Target size of a compaction output table (default 2 MiB). */
  targetFileSize: number;
  /** Bytes allowed in L1; each deeper level 10× more (default 10 MiB). */
  levelBase: number;
  /** L0 tables that trigger a compaction (default 4). */
  l0Trigger: number;
  /** L0 tables at which writes stop until compaction catches up (default 12). */
  l0Stop: number;
  /** Frozen memtables allowed to wait for flush before writes stop (default 2). */
  maxFrozen: number;
  /** Compaction output rate limit in bytes/s (default 64 MiB/s; 0 = unlimited). */
  compactionRate: number;
  /** Nice value of the background worker thread (Linux; default 10). */
  backgroundNice: number;
  /** Block cache bytes (default 32 MiB). */
  blockCache: number;
  table: TableOptions;
}

interface Frozen {
  mem: SkipList;
  /** First WAL segment holding its writes. */
  firstSegment: number;
  lastSeq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

type State = "open" | "nospace" | "failed" | "closed";

/** WAL bytes at which a segment holding notes rotates (or the memtable size, when smaller). */
const NOTE_SEGMENT_SIZE = 64 * 1024 * 1024;

export class Engine implements EngineApi {
  private lastSeq = 0;
  private writtenSeq = 0;
  private durableSeq = 0;
  private state: State = "open";
  private failure: TskvError | undefined;

  /** Batches staged in the WAL segment's group (written at the turn's end by writeGroup). */
  private pending = 0;
  /** The pending group's versions as memtable key record and sequence pairs (to take them back if its write fails). */
  private pendingVersions: number[] = [];
  private pendingBytes = 0;
  private pendingFirst = 0;
  private groupScheduled = false;

  private syncing = false;
  private syncAgain = false;
  private waiters: Waiter[] = [];
  /** Batches write() holds while the memtable is at its hard limit, and their key + value bytes. */
  private roomQueue: Array<{ ops: BatchOp[]; bytes: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private roomQueued = 0;
  /** Callers of whenWritable(), resolved when the stall ends (or at close). */
  private roomWaiters: Array<() => void> = [];
  /**
   * Sequence ranges of groups whose WAL write failed (taken back out of the memtable). Their numbers are never
   * reused, so a later write makes the WAL durable past them; whenDurable() and writeLost() must still refuse them,
   * since the server asks only after the turn's commit. A failed group puts the engine in the nospace state, where
   * writes are probed one at a time and never lost this way, so a range is added once per disk-full episode; the
   * newest 64 are kept.
   */
  private lost: Array<{ from: number; to: number; err: Error }> = [];
  private readonly lostHandlers: Array<() => void> = [];
  /** Which WAL segments hold notes still needed (wal/notes.ts). */
  private readonly notes = new NoteSegments();
  /** The lowest last note of a closed segment kept for its notes (Infinity: none): a floor past it trims. */
  private keptNote = Infinity;
  private everysecTimer: NodeJS.Timeout | undefined;
  private readonly snapshots = new Map<Snapshot, number>();
  private closing: Promise<void> | undefined;

  private mem: SkipList;
  private memFirstSegment: number;
  private frozen: Frozen[] = [];
  private current: Version = Version.empty();
  private readonly handles = new Map<number, TableHandle>();
  private manifest!: ManifestWriter;
  private readonly mstate: ManifestState;
  private readonly background: Background;
  private flushing: Promise<void> | undefined;
  private compacting: Promise<void> | undefined;
  private manualCompaction = false;
  /** The running background compaction's control word (see CompactJob.control): 1 lifts its rate limit. */
  private compactionControl: Int32Array | undefined;
  private readonly compactPointer: Array<Buffer | undefined> = new Array(NUM_LEVELS).fill(undefined);
  /** While writes are stopped: replies to writes above this sequence wait (see durableSequence). */
  private stallBarrier = Infinity;
  private stallStarted = 0;
  private backgroundError: Error | undefined;

  /** Counters for tests, INFO and metrics. */
  readonly counters: EngineCounters = {
    walAppends: 0,
    walBytes: 0,
    walSyncs: 0,
    walSyncMicros: 0,
    groupCommits: 0,
    failedWrites: 0,
    flushes: 0,
    flushBytes: 0,
    flushMicros: 0,
    compactions: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    compactionMicros: 0,
    stalls: 0,
    stallMicros: 0,
    userBytesWritten: 0,
    backgroundRetries: 0,
  };

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly walSync: WalSync,
    private readonly memtableSize: number,
    private readonly lsm: LsmOptions,
    private readonly log: EngineLogger,
    private segment: WalSegmentWriter,
    private readonly segments: number[],
    mem: SkipList,
    memFirstSegment: number,
    mstate: ManifestState,
    background: "worker" | "inline",
    /** The block cache and read counters the tables opened at recovery already use. */
    private readonly cache: BlockCache,
    private readonly readCounters: ReadCounters,
  ) {
    this.mem = mem;
    this.memFirstSegment = memFirstSegment;
    this.mstate = mstate;
    this.background = new Background(background, fs, this.lsm.backgroundNice);
  }

  // ---- open / recovery ---------------------------------------------------------------------------------------

  static async open(dir: string, options: OpenOptions = {}): Promise<Engine> {
    if (options.memtableSize !== undefined && !(options.memtableSize > 0 && options.memtableSize <= MAX_MEMTABLE_SIZE)) {
      // A memtable's arena holds at most 16 GiB (see memtable/skiplist.ts); the active one may reach twice this size.
      throw new RangeError(`memtableSize must be between 1 byte and 4 GiB (got ${options.memtableSize})`);
    }
    const fs = options.fs ?? nodeFs;
    const log = options.logger ?? QUIET;
    fs.mkdirSync(dir);
    acquireLock(fs, dir);
    const opened: Table[] = [];
    try {
      const mstate = readManifest(fs, dir) ?? emptyState();
      const lsm: LsmOptions = {
        targetFileSize: options.targetFileSize ?? 2 * 1024 * 1024,
        levelBase: options.levelBase ?? 10 * 1024 * 1024,
        l0Trigger: options.l0Trigger ?? 4,
        l0Stop: options.l0Stop ?? 12,
        maxFrozen: 2,
        compactionRate: options.compactionRate ?? 64 * 1024 * 1024,
        backgroundNice: options.backgroundNice ?? 19,
        blockCache: options.blockCacheSize ?? 32 * 1024 * 1024,
        table: { blockSize: options.blockSize ?? 4096, bloomBitsPerKey: options.bloomBitsPerKey ?? 10, timeKey: options.timeKey },
      };
      const memtableSize = options.memtableSize ?? 128 * 1024 * 1024;
      const { names, numbers, noteInfo, mem, lastSeq, recoveryTables, replayedBytes, replayedBatches } = await replayLog(
        fs,
        dir,
        mstate,
        { memtableSize, repair: options.repair ?? false, table: lsm.table },
        log,
      );
      const live = numbers.filter((n) => n >= mstate.logNumber);
      // Tables of the manifest's version; a missing or damaged one refuses the start with its name.
      const counters: ReadCounters = { bloomProbes: 0, bloomNegatives: 0, blockReads: 0 };
      const cache = new BlockCache(lsm.blockCache);
      const levels = openTables(fs, dir, mstate, cache, counters, opened);
      const lastSegment = live.length > 0 ? live[live.length - 1] : 0;
      const next = Math.max(lastSegment + 1, mstate.logNumber, 1);
      const segment = WalSegmentWriter.create(fs, dir, next);
      const engine = new Engine(
        dir,
        fs,
        options.walSync ?? "everysec",
        memtableSize,
        lsm,
        log,
        segment,
        [...[...noteInfo.keys()].filter((n) => n < mstate.logNumber), ...live, next],
        mem,
        live.length > 0 ? live[0] : next,
        mstate,
        options.background ?? (options.fs || !workerScript() ? "inline" : "worker"),
        cache,
        counters,
      );
      for (const [n, info] of noteInfo) engine.notes.add(n, info);
      engine.keptNote = engine.notes.lowestNote();
      engine.current = new Version(levels);
      for (const lvl of levels) for (const h of lvl) engine.handles.set(h.meta.number, h);
      engine.lastSeq = engine.writtenSeq = engine.durableSeq = lastSeq;
      // A fresh manifest holding the whole state, installed by durable rename; then the old files go.
      const manifestNumber = mstate.nextFile++;
      engine.manifest = ManifestWriter.create(fs, dir, manifestNumber, mstate);
      mstate.manifest = manifestNumber;
      engine.removeObsoleteFiles(names);
      if (numbers.length > 0 || engine.current.tableCount > 0) {
        log.info("recovered", {
          segments: numbers.length,
          bytes: replayedBytes,
          batches: replayedBatches,
          tablesWritten: recoveryTables,
          lastSequence: lastSeq,
          tables: engine.current.tableCount,
          manifest: manifestName(manifestNumber),
        });
      }
      if (engine.walSync === "everysec") {
        engine.everysecTimer = setInterval(() => engine.backgroundSync(), 1000);
        engine.everysecTimer.unref();
      }
      engine.maybeFreeze();
      engine.maybeCompact();
      return engine;
    } catch (e) {
      for (const t of opened) t.close();
      releaseLock(fs, dir);
      throw e;
    }
  }

  /** WAL fdatasync latency under walSync "always" (the syncs replies wait for), in Prometheus buckets. */
  readonly syncLatency = new DurationBuckets();

  /**
   * Deletes files no version needs once the new manifest is installed: old manifests, WAL segments below the log
   * number. (Tables no manifest names went first, before open() wrote anything.)
   */
  private removeObsoleteFiles(names: string[]): void {
    for (const name of names) {
      const m = parseManifestName(name);
      const w = parseSegmentName(name);
      const stale =
        (m !== undefined && m !== this.manifest.number) ||
        (w !== undefined && w < this.mstate.logNumber && this.notes.deletable(w, this.mstate.logNumber)) ||
        name === "CURRENT.tmp";
      if (!stale) continue;
      try {
        this.fs.unlinkSync(path.join(this.dir, name));
        this.log.info("removed obsolete file", { file: name });
      } catch {
        // gone already
      }
    }
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  /**
   * The highest sequence whose writes may be acknowledged. While writes are stopped (flushes or L0 compaction
   * behind), writes made after the stall began are held back here, so their replies wait and pipelining clients
   * are paced; the memtable stays bounded (see apply).
   */
  get durableSequence(): bigint {
    // Asked for by every acknowledged write (twice a reply): the BigInt is made once per change, not per call.
    const n = this.ackSeq();
    if (n !== this.durableShown) {
      this.durableShown = n;
      this.durableBig = BigInt(n);
    }
    return this.durableBig;
  }

  private durableShown = 0;
  private durableBig = 0n;

  private ackSeq(): number {
    return this.durableSeq < this.stallBarrier ? this.durableSeq : this.stallBarrier;
  }

  get lastSequence(): bigint {
    return BigInt(this.lastSeq);
  }

  apply(ops: BatchOp[]): bigint {
    this.checkWritable();
    if (ops.length === 0) return BigInt(this.lastSeq);
    const first = this.lastSeq + 1;
    // The batch is encoded straight into the segment's next group, framed as it goes.
    const size = batchSize(ops);
    const group = this.segment.group;
    const at = group.reserve(size);
    encodeBatchInto(group.buffer, at, first, ops);
    group.commit(size);
    this.logged(first, size, ops, null, null);
    return BigInt(this.lastSeq);
  }

  /**
   * apply([{ type: "put", key, value }]) without the batch's objects: the path of every string write. The same
   * contract: keys and values up to 64 KiB are copied during the call, a longer value is kept as given.
   */
  applyPut(key: Buffer, value: Buffer): bigint {
    this.checkWritable();
    const first = this.lastSeq + 1;
    const size = BATCH_HEADER + 1 + varintSize(key.length) + key.length + varintSize(value.length) + value.length;
    const group = this.segment.group;
    const at = group.reserve(size);
    encodePutInto(group.buffer, at, first, key, value);
    group.commit(size);
    this.logged(first, size, null, key, value);
    return BigInt(this.lastSeq);
  }

  applyNote(key: Buffer, value: Buffer): number {
    this.checkWritable();
    const first = this.lastSeq + 1;
    const size = BATCH_HEADER + 1 + varintSize(key.length) + key.length + varintSize(value.length) + value.length;
    const group = this.segment.group;
    const at = group.reserve(size);
    encodePutInto(group.buffer, at, first, key, value, OpKind.NOTE);
    group.commit(size);
    this.logged(first, size, null, key, null);
    return first;
  }

  get sequence(): number {
    return this.lastSeq;
  }

  setNoteFloor(seq: number): void {
    this.notes.floor = seq;
    if (seq > this.keptNote) this.trimSegments();
  }

  replayNotes(visit: (seq: number, key: Buffer, value: Buffer) => void): void {
    const numbers = this.notes.withNotes();
    if (this.notes.current.lastNote >= 0) numbers.push(this.segments[this.segments.length - 1]);
    replaySegmentNotes(this.fs, this.dir, numbers, visit);
  }

  onWriteLost(fn: () => void): void {
    this.lostHandlers.push(fn);
  }

  /**
   * Deletes the closed WAL segments nothing needs: their writes are in tables (or they hold none) and their notes are
   * below the floor (wal/notes.ts). Never the segment being written.
   */
  private trimSegments(): void {
    const logNumber = this.mstate.logNumber;
    for (let i = 0; i < this.segments.length - 1; i++) {
      const n = this.segments[i];
      if (!this.notes.deletable(n, logNumber)) continue;
      // A segment of the memtable being written (or frozen, not yet flushed) stays while it holds writes.
      const info = this.notes.info(n);
      if (n >= logNumber && (info === undefined || info.hasWrites)) continue;
      try {
        this.fs.unlinkSync(path.join(this.dir, segmentName(n)));
      } catch {
        // removed at the next open
      }
      this.notes.forget(n);
      this.segments.splice(i--, 1);
    }
    this.keptNote = this.notes.lowestNote();
  }

  /** Refuses a write (throws) when the engine cannot take one now; nothing is applied then. */
  private checkWritable(): void {
    if (this.state === "closed") throw new TskvError("TSKV_ERR_CLOSED", "engine is closed");
    if (this.state === "failed") throw this.failure as TskvError;
    if (this.diskFull) {
      throw new TskvError("TSKV_ERR_NOSPACE", "disk full: a flush or the compaction L0 needs cannot run until space is freed");
    }
    // An atomic section (an EXEC) that began with room runs to its end: the memtable may pass its hard limit by it.
    if (this.atomicMark === undefined && this.atHardLimit()) {
      throw new TskvError("TSKV_ERR_STALL", "write stall: flushes and compactions are behind and the memtable is at its hard limit; retry shortly");
    }
  }

  /**
   * A batch of `size` bytes starting at sequence `first` is framed in the WAL's pending group: inserts its versions
   * (`ops`, or the one put `key`/`value` when ops is null) and queues the group's write for the end of the turn.
   */
  private logged(first: number, size: number, ops: BatchOp[] | null, key: Buffer | null, value: Buffer | null): void {
    if (this.state === "nospace") {
      // Probe with this batch alone: it either lands or is refused with nothing applied. Group commit (where a
      // failed append can only drop the clients whose replies were already written) comes back once a flush or
      // compaction has finished since the failure: a write that fits on a nearly full disk says little about the next.
      try {
        this.segment.writeGroup();
      } catch (e) {
        this.counters.failedWrites++;
        throw this.writeError(e);
      }
      if (this.counters.flushes + this.counters.compactions > this.jobsAtNoSpace) {
        this.state = "open";
        this.log.info("WAL writes resumed: disk space is back");
      }
      if (ops) this.insert(first, ops);
      else if (value === null && key !== null) this.noted(first);
      else this.insertVersion(first, key as Buffer, value);
      this.writtenSeq = this.lastSeq;
      this.afterWrite(size, 1);
      return;
    }
    if (this.pending === 0) this.pendingFirst = first;
    this.pending++;
    this.pendingBytes += size;
    if (ops) this.insert(first, ops, this.pendingVersions);
    else if (value === null && key !== null) this.noted(first);
    else this.insertVersion(first, key as Buffer, value, this.pendingVersions);
    if (!this.groupScheduled && !this.groupHeld) {
      this.groupScheduled = true;
      setImmediate(() => this.writeGroup());
    }
  }

  /** Inserts a batch's versions (notes take their sequence only); with `undo`, lists each as key record and sequence there. */
  private insert(first: number, ops: BatchOp[], undo?: number[]): void {
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k];
      if (op.type === "note") this.noted(first + k);
      else this.insertVersion(first + k, op.key, op.type === "put" ? op.value : null, undo);
    }
  }

  /** A note took sequence `seq` in the segment being written. */
  private noted(seq: number): void {
    this.notes.current.lastNote = seq;
    this.lastSeq = seq;
  }

  /** Inserts one version (a null value is a tombstone); with `undo`, lists it there. */
  private insertVersion(seq: number, key: Buffer, value: Buffer | null, undo?: number[]): void {
    const rec = this.mem.insert(key, seq, value);
    if (undo) undo.push(rec, seq);
    this.notes.current.hasWrites = true;
    this.counters.userBytesWritten += key.length + (value === null ? 0 : value.length);
    this.lastSeq = seq;
  }

  private writeError(e: unknown): TskvError {
    if (e instanceof TskvError) return e;
    const code = errnoOf(e);
    if (code === "ENOSPC" || code === "EDQUOT") {
      this.state = "nospace";
      this.jobsAtNoSpace = this.counters.flushes + this.counters.compactions;
      return new TskvError("TSKV_ERR_NOSPACE", `disk full writing ${path.basename(this.segment.file)}`);
    }
    this.state = "failed";
    this.failure = new TskvError("TSKV_ERR_READONLY", `WAL write failed (${(e as Error).message}); writes are refused until restart`);
    this.log.error("WAL write failed; engine is read-only until restart", { error: (e as Error).message });
    return this.failure;
  }

  /** Flushes + compactions finished when the WAL last ran out of space (see apply's probing). */
  private jobsAtNoSpace = 0;

  /** Set by holdGroup() until the next commit(): the caller writes the group, no setImmediate is scheduled. */
  private groupHeld = false;

  holdGroup(): void {
    this.groupHeld = true;
  }

  commit(): void {
    this.groupHeld = false;
    if (this.pending > 0) this.writeGroup();
  }

  /** Where the pending group stood at beginAtomic(): its segment, framed bytes, segment size and batch count. */
  private atomicMark: { segment: WalSegmentWriter; framed: number; offset: number; pending: number } | undefined;

  beginAtomic(): void {
    const segment = this.segment;
    this.atomicMark = { segment, framed: segment.group.size, offset: segment.size, pending: this.pending };
  }

  endAtomic(): void {
    const m = this.atomicMark;
    this.atomicMark = undefined;
    // Merged only while every batch since the mark still waits in the same pending group (nothing was written: no
    // disk-full probing, no rotation) and there are two or more.
    if (!m || this.segment !== m.segment || this.segment.size !== m.offset || this.pending - m.pending < 2) return;
    const group = this.segment.group;
    const batches = group.payloadsSince(m.framed);
    if (batches.length !== this.pending - m.pending) return;
    const merged = concatBatches(batches);
    if (!merged) return;
    group.rewind(m.framed);
    group.add(merged);
    this.pending -= batches.length - 1;
    this.pendingBytes -= (batches.length - 1) * BATCH_HEADER;
  }

  /** Writes every batch queued this turn with one write. */
  private writeGroup(): void {
    this.groupScheduled = false;
    if (this.pending === 0 || this.state === "closed") return;
    const batches = this.pending;
    const bytes = this.pendingBytes;
    const undo = this.pendingVersions;
    const first = this.pendingFirst;
    const last = this.lastSeq;
    this.pending = 0;
    this.pendingBytes = 0;
    try {
      if (this.state === "failed") {
        this.segment.group.reset(this.segment.size);
        throw this.failure;
      }
      this.segment.writeGroup();
    } catch (e) {
      this.counters.failedWrites++;
      // Nothing of this group reached the log: take it back out of the memtable and fail its waiters.
      for (let i = 0; i < undo.length; i += 2) this.mem.removeAt(undo[i], undo[i + 1]);
      undo.length = 0;
      const err = this.writeError(e);
      this.rejectWaiters(first, last, err);
      this.lost.push({ from: first, to: last, err });
      if (this.lost.length > 64) this.lost.shift();
      for (const fn of this.lostHandlers) fn();
      return;
    }
    undo.length = 0;
    this.writtenSeq = last;
    this.afterWrite(bytes, batches);
  }

  private afterWrite(bytes: number, records: number): void {
    this.counters.walAppends += records;
    this.counters.walBytes += bytes;
    this.counters.groupCommits++;
    if (this.walSync === "always") {
      this.requestSync();
    } else {
      this.durableSeq = this.writtenSeq;
      this.resolveWaiters();
    }
    this.maybeFreeze();
  }

  /**
   * Freezes a full memtable, unless flushes are already behind by more than maxFrozen memtables: then the memtable
   * keeps growing (writes are stalled; at twice its size apply() refuses and write() and the server wait for room)
   * instead of adding frozen memtables without bound for a client that pipelines writes without reading its replies.
   */
  private maybeFreeze(): void {
    if (this.frozen.length > this.lsm.maxFrozen) return;
    if (this.mem.approximateBytes >= this.memtableSize) this.freeze();
    else if (this.notes.current.lastNote >= 0 && this.segment.size >= Math.min(this.memtableSize, NOTE_SEGMENT_SIZE)) {
      // Notes do not fill the memtable: the segment they pin rotates by its own size, so it can go once they are
      // covered (a memtable with writes is frozen with it; one without keeps going).
      if (this.mem.size > 0) this.freeze();
      else this.rotateSegment();
    }
  }

  /** Moves the WAL to a new segment without freezing the memtable, which holds nothing (the old one holds notes only). */
  private rotateSegment(): void {
    if (this.syncing || this.pending > 0 || this.state !== "open") return;
    try {
      this.segment.syncNow();
      this.segment.close();
      const old = this.segments[this.segments.length - 1];
      const next = old + 1;
      this.segment = WalSegmentWriter.create(this.fs, this.dir, next);
      this.segments.push(next);
      this.notes.rotate(old);
      this.keptNote = this.notes.lowestNote();
      this.memFirstSegment = next;
      this.durableSeq = this.writtenSeq;
      this.resolveWaiters();
    } catch (e) {
      this.fail(e);
      return;
    }
    this.trimSegments();
  }

  /**
   * Freezes the memtable: the WAL moves to a new segment (the old one synced and closed), the full memtable joins
   * the frozen list and a flush is scheduled. Called only when every write in the memtable is in the WAL.
   */
  private freeze(): void {
    if (this.syncing || this.pending > 0 || this.state !== "open") return; // retried after the running sync
    if (this.mem.size === 0) return;
    try {
      this.segment.syncNow();
      this.segment.close();
      const old = this.segments[this.segments.length - 1];
      const next = old + 1;
      this.segment = WalSegmentWriter.create(this.fs, this.dir, next);
      this.segments.push(next);
      this.notes.rotate(old);
      this.keptNote = this.notes.lowestNote();
      this.durableSeq = this.writtenSeq;
      this.resolveWaiters();
      this.frozen.push({ mem: this.mem, firstSegment: this.memFirstSegment, lastSeq: this.writtenSeq });
      this.mem = new SkipList();
      this.memFirstSegment = next;
    } catch (e) {
      this.fail(e);
      return;
    }
    this.updateStall();
    this.scheduleFlush();
  }

  private requestSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    const target = this.writtenSeq;
    const started = performance.now();
    this.segment.sync().then(
      () => {
        this.counters.walSyncs++;
        const micros = (performance.now() - started) * 1000;
        this.counters.walSyncMicros += micros;
        this.syncLatency.record(micros / 1e6);
        this.syncing = false;
        if (target > this.durableSeq) this.durableSeq = target;
        this.resolveWaiters();
        if (this.syncAgain || this.writtenSeq > this.durableSeq) {
          this.syncAgain = false;
          if (this.writtenSeq > this.durableSeq) this.requestSync();
        }
        if (!this.syncing) this.maybeFreeze();
      },
      (e: unknown) => {
        this.syncing = false;
        this.fail(e);
      },
    );
  }

  private backgroundSync(): void {
    if (this.syncing || this.state === "closed" || this.state === "failed") return;
    if (this.writtenSeq === 0) return;
    this.syncing = true;
    this.segment.sync().then(
      () => {
        this.counters.walSyncs++;
        this.syncing = false;
        this.maybeFreeze();
      },
      (e: unknown) => {
        this.syncing = false;
        this.fail(e);
      },
    );
  }

  /** A failed fsync: the kernel may have dropped the dirty pages, so no retry can be trusted. */
  private fail(e: unknown): void {
    if (this.state === "closed") return;
    this.state = "failed";
    this.failure = new TskvError("TSKV_ERR_READONLY", `WAL sync failed (${(e as Error).message}); writes are refused until restart`);
    this.log.error("WAL fsync failed; engine is read-only until restart", { error: (e as Error).message });
    this.rejectWaiters(this.durableSeq + 1, Number.MAX_SAFE_INTEGER, this.failure);
  }

  whenDurable(seq: bigint): Promise<void> {
    const s = Number(seq);
    const lost = this.writeLost(seq);
    if (lost) return Promise.reject(lost);
    if (s <= this.ackSeq()) return Promise.resolve();
    if (this.state === "failed") return Promise.reject(this.failure);
    if (this.state === "closed") return Promise.reject(new TskvError("TSKV_ERR_CLOSED", "engine is closed"));
    return new Promise((resolve, reject) => this.waiters.push({ seq: s, resolve, reject }));
  }

  writeLost(seq: bigint): Error | undefined {
    if (this.lost.length === 0) return undefined;
    const s = Number(seq);
    for (const l of this.lost) if (s >= l.from && s <= l.to) return l.err;
    return undefined;
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const ack = this.ackSeq();
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= ack) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private rejectWaiters(from: number, to: number, err: Error): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq >= from && w.seq <= to) w.reject(err);
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /** Stops acknowledging new writes while flushes or L0 compaction are too far behind; resumes when they catch up. */
  private updateStall(): void {
    // While a full disk blocks what would end the stall, writes are refused outright (see diskFull), so the ones
    // already applied (and in the WAL) need not wait: holding their replies would only hang clients until space
    // returns.
    const behind = !this.diskFull && (this.frozen.length > this.lsm.maxFrozen || this.current.levels[0].length >= this.lsm.l0Stop);
    if (behind && this.stallBarrier === Infinity) {
      this.stallBarrier = this.lastSeq;
      this.stallStarted = performance.now();
      // Writes wait for background work: the running compaction's rate limit no longer protects anyone.
      this.liftCompactionLimit();
      this.counters.stalls++;
      this.log.warn("write stall: flushes or compactions are behind", { frozen: this.frozen.length, l0: this.current.levels[0].length });
    } else if (!behind && this.stallBarrier !== Infinity) {
      this.stallBarrier = Infinity;
      this.counters.stallMicros += (performance.now() - this.stallStarted) * 1000;
      this.log.info("write stall over");
      this.resolveWaiters();
      this.drainRoomQueue();
    }
  }

  /** True while writes are stopped (INFO, TSKV.STATS). */
  get stalled(): boolean {
    return this.stallBarrier !== Infinity;
  }

  put(key: Buffer, value: Buffer): Promise<void> {
    return this.write([{ type: "put", key, value }]);
  }

  del(key: Buffer): Promise<void> {
    return this.write([{ type: "del", key }]);
  }

  /**
   * Applies a batch and resolves when it is durable. While writes are stalled and the memtable is at its hard limit,
   * the batch waits in a queue (in order, behind any batch already waiting) until flushes make room, as LevelDB's
   * Write blocks; the queue holds at most one memtable's worth of bytes, past which a write is refused with
   * TSKV_ERR_STALL.
   */
  write(ops: BatchOp[]): Promise<void> {
    if (this.roomQueue.length > 0 || this.atHardLimit()) {
      const own = ops.map(ownOp);
      const bytes = own.reduce((n, op) => n + op.key.length + (op.type === "put" ? op.value.length : 0), 0);
      if (this.roomQueued > 0 && this.roomQueued + bytes > this.memtableSize) {
        return Promise.reject(new TskvError("TSKV_ERR_STALL", "write stall: flushes are behind and a memtable's worth of writes is already waiting; retry shortly"));
      }
      this.roomQueued += bytes;
      return new Promise((resolve, reject) => this.roomQueue.push({ ops: own, bytes, resolve, reject }));
    }
    try {
      // apply() copies keys and values into the WAL payload and the memtable at once, except values over INLINE_MAX,
      // which the memtable keeps as given: only those are copied here, so the caller may reuse its buffers.
      return this.whenDurable(this.apply(ops.some(isBig) ? ops.map((op) => (isBig(op) ? ownOp(op) : op)) : ops));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** True while writes are stalled and the memtable has reached twice its size: apply() refuses, write() waits. */
  private atHardLimit(): boolean {
    return this.stallBarrier !== Infinity && this.mem.approximateBytes >= this.memtableSize * 2;
  }

  get writable(): boolean {
    return !this.atHardLimit();
  }

  whenWritable(): Promise<void> {
    if (!this.atHardLimit() || this.state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Applies the batches write() queued, in order, while there is room (all of them when closing). */
  private drainRoomQueue(closing = false): void {
    if (closing) this.stallBarrier = Infinity; // close() syncs and acknowledges everything applied
    let i = 0;
    for (; i < this.roomQueue.length && (closing || !this.atHardLimit()); i++) {
      const w = this.roomQueue[i];
      this.roomQueued -= w.bytes;
      try {
        this.whenDurable(this.apply(w.ops)).then(w.resolve, w.reject);
      } catch (e) {
        w.reject(e as Error);
      }
    }
    if (i > 0) this.roomQueue.splice(0, i);
    if (closing || !this.atHardLimit()) for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  // ---- flush and compaction ----------------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushing || this.frozen.length === 0 || this.state === "closed" || this.shuttingDown) return;
    this.flushing = this.flushOne().then(
      () => {
        this.flushing = undefined;
        if (this.flushBlocked) this.log.info("flush succeeded: disk space is back, writes resume");
        this.flushBlocked = false;
        if (!this.syncing && this.pending === 0) this.maybeFreeze();
        this.updateStall();
        this.scheduleFlush();
        this.maybeCompact();
      },
      (e: unknown) => {
        this.flushing = undefined;
        if (this.postpone("flush", e)) {
          // Writes are refused (reads go on) until a retried flush succeeds; what was acknowledged is in the WAL.
          if (!this.flushBlocked) this.log.warn("writes refused: disk full, the memtable cannot be flushed");
          this.flushBlocked = true;
          this.updateStall();
          setTimeout(() => this.scheduleFlush(), 1000).unref();
        } else {
          this.backgroundFailed("flush", e);
        }
      },
    );
  }

  private async flushOne(): Promise<void> {
    const f = this.frozen[0];
    const number = this.mstate.nextFile++;
    // The worker orders and writes the memtable from its image (shared memory): the loop neither sorts nor copies it.
    // Only versions someone can read are written (see RecordReader.writeReadable). Snapshots taken from now on are
    // at or above the frozen memtable's last sequence, so they read the newest.
    const job: Job = { kind: "flush", dir: this.dir, number, mem: f.mem.image(), snapshots: [...this.snapshots.values()], table: this.lsm.table };
    const result = await this.background.run(job);
    if (this.shuttingDown) return; // the WAL still holds everything; the table is an orphan removed at next open
    const meta: FileMeta = { number, level: 0, ...pickMeta(result.outputs[0].meta) };
    const logNumber = this.frozen.length > 1 ? this.frozen[1].firstSegment : this.memFirstSegment;
    const edit: VersionEdit = { added: [meta], deleted: [], logNumber, nextFile: this.mstate.nextFile, lastSequence: f.lastSeq };
    const table = Table.open(this.fs, path.join(this.dir, tableName(number)), number, this.cache, this.readCounters);
    try {
      await this.manifest.append(edit);
    } catch (e) {
      table.close();
      throw e;
    }
    applyEdit(this.mstate, edit);
    const handle: TableHandle = { meta, table, refs: 0, obsolete: false };
    this.handles.set(number, handle);
    const levels = this.current.levels.map((l) => l.slice());
    levels[0].push(handle);
    this.install(new Version(levels));
    this.frozen.shift();
    // The manifest now covers everything below logNumber: those WAL segments may go (unless they keep notes).
    this.trimSegments();
    this.counters.flushes++;
    this.counters.flushBytes += meta.size;
    this.counters.flushMicros += result.micros;
    this.log.info("flushed memtable", { table: tableName(number), entries: meta.entries, bytes: meta.size, ms: Math.round(result.micros / 1000) });
  }

  /** A flush failed for want of space: writes are refused until a retry succeeds. */
  private flushBlocked = false;
  /** The last compaction failed for want of space (it is retried each second). */
  private compactionBlocked = false;

  /**
   * A full disk blocks the background work that writes depend on: a flush, or the compaction L0 needs once it has
   * reached the stop level. Writes are then refused with TSKV_ERR_NOSPACE (reads go on) instead of piling up or
   * waiting for space that may never come; they resume when the retried job succeeds.
   */
  private get diskFull(): boolean {
    return this.flushBlocked || (this.compactionBlocked && this.current.levels[0].length >= this.lsm.l0Stop);
  }
  /** Set by close(): background results that arrive now are not installed. */
  private shuttingDown = false;

  /**
   * A flush or compaction that failed for want of space (on a write, not an fsync) left nothing behind that a
   * manifest names: it is retried after a pause, and the WAL keeps what a flush was writing. True when postponed.
   */
  private postpone(what: string, e: unknown): boolean {
    const code = errnoOf(e);
    if (this.shuttingDown || this.state === "closed" || (code !== "ENOSPC" && code !== "EDQUOT") || (e as { fsync?: boolean }).fsync) return false;
    this.counters.backgroundRetries++;
    this.log.warn(`${what} postponed: disk full; retrying in 1 s`, { error: (e as Error).message });
    return true;
  }

  private backgroundFailed(what: string, e: unknown): void {
    if (this.state === "closed" || this.shuttingDown) return;
    this.backgroundError = e as Error;
    this.log.error(`${what} failed; writes are refused until restart`, { error: (e as Error).message });
    if (this.state !== "failed") {
      this.state = "failed";
      this.failure = new TskvError("TSKV_ERR_READONLY", `${what} failed (${(e as Error).message}); writes are refused until restart`);
    }
  }

  /** Makes `v` current; tables no longer listed become obsolete and go once unpinned. */
  private install(v: Version): void {
    const old = this.current;
    this.current = v;
    this.unpin(old);
    this.updateStall();
  }

  private unpin(v: Version): void {
    if (--v.pins > 0) return;
    for (const lvl of v.levels) {
      for (const h of lvl) {
        if (--h.refs === 0 && h.obsolete) this.dropTable(h);
      }
    }
  }

  private dropTable(h: TableHandle): void {
    h.table.close();
    this.handles.delete(h.meta.number);
    try {
      this.fs.unlinkSync(path.join(this.dir, tableName(h.meta.number)));
    } catch {
      // removed at the next open
    }
  }

  private maybeCompact(): void {
    if (this.compacting || this.manualCompaction || this.state !== "open" || this.shuttingDown) return;
    const pick = pickCompaction(this.current, this.lsm, this.compactPointer);
    if (!pick) return;
    const work =
      pick.level > 0 && pick.inputs.length === 1 && pick.next.length === 0
        ? this.moveTable(pick.level, pick.inputs[0]) // nothing to merge with: a manifest edit moves it down
        : this.compact(pick.level, [...pick.inputs, ...pick.next], pick.level + 1, false);
    this.compacting = work.then(
      () => {
        this.compacting = undefined;
        this.compactionBlocked = false;
        this.updateStall();
        this.maybeCompact();
      },
      (e: unknown) => {
        this.compacting = undefined;
        if (this.postpone("compaction", e)) {
          this.compactionBlocked = true;
          this.updateStall();
          setTimeout(() => this.maybeCompact(), 1000).unref();
        } else {
          this.backgroundFailed("compaction", e);
        }
      },
    );
  }

  /** A trivial move (LevelDB's): the table goes one level down by a manifest edit alone, no bytes rewritten. */
  private async moveTable(level: number, t: TableHandle): Promise<void> {
    const meta: FileMeta = { ...t.meta, level: level + 1 };
    const edit: VersionEdit = { added: [meta], deleted: [{ level, number: t.meta.number }] };
    await this.manifest.append(edit);
    applyEdit(this.mstate, edit);
    // The same handle (and so the same reference count) moves: versions that still list it at the old level keep
    // reading the same open table.
    const levels = this.current.levels.map((lvl) => lvl.filter((x) => x !== t));
    t.meta = meta;
    levels[level + 1].push(t);
    levels[level + 1].sort((a, b) => Buffer.compare(a.meta.smallest, b.meta.smallest));
    this.compactPointer[level] = meta.largest;
    this.install(new Version(levels));
    this.counters.compactions++;
  }

  /** Merges `inputs` into tables at `outLevel`; `full` drops every tombstone nothing older needs. */
  private async compact(level: number, inputs: TableHandle[], outLevel: number, full: boolean): Promise<void> {
    const v = this.current;
    v.pins++;
    try {
      const [lo, hi] = keyRange(inputs);
      const deeper: Array<[Buffer, Buffer]> = [];
      if (!full) {
        for (let l = outLevel + 1; l < NUM_LEVELS; l++) for (const t of overlapping(v.levels[l], lo, hi)) deeper.push([t.meta.smallest, t.meta.largest]);
      }
      const inBytes = inputs.reduce((s, t) => s + t.meta.size, 0);
      const reserve = Math.ceil(inBytes / this.lsm.targetFileSize) + 2;
      const outputs: number[] = [];
      for (let i = 0; i < reserve; i++) outputs.push(this.mstate.nextFile++);
      const result = await this.background.run({
        kind: "compact",
        dir: this.dir,
        runs: sortedRuns(inputs),
        outputs,
        smallestSnapshot: this.smallestSnapshot(),
        deeper,
        targetFileSize: this.lsm.targetFileSize,
        rateLimit: full ? 0 : this.lsm.compactionRate,
        control: full ? undefined : (this.compactionControl = this.newCompactionControl()),
        table: this.lsm.table,
      });
      if (this.state === "closed" || this.shuttingDown) return;
      const added: FileMeta[] = result.outputs.map((o) => ({ number: o.number, level: outLevel, ...pickMeta(o.meta) }));
      const edit: VersionEdit = {
        added,
        deleted: inputs.map((t) => ({ level: t.meta.level, number: t.meta.number })),
        nextFile: this.mstate.nextFile,
      };
      const handles: TableHandle[] = [];
      try {
        for (const m of added) handles.push({ meta: m, table: Table.open(this.fs, path.join(this.dir, tableName(m.number)), m.number, this.cache, this.readCounters), refs: 0, obsolete: false });
        await this.manifest.append(edit);
      } catch (e) {
        for (const h of handles) h.table.close();
        throw e;
      }
      applyEdit(this.mstate, edit);
      const gone = new Set(inputs.map((t) => t.meta.number));
      const levels = this.current.levels.map((lvl) => lvl.filter((t) => !gone.has(t.meta.number)));
      for (const h of handles) {
        this.handles.set(h.meta.number, h);
        levels[outLevel].push(h);
      }
      levels[outLevel].sort((a, b) => Buffer.compare(a.meta.smallest, b.meta.smallest));
      for (const t of inputs) t.obsolete = true;
      if (level > 0) this.compactPointer[level] = hi;
      this.install(new Version(levels));
      this.counters.compactions++;
      this.counters.compactionBytesRead += result.bytesRead;
      this.counters.compactionBytesWritten += result.bytesWritten;
      this.counters.compactionMicros += result.micros;
      this.log.info("compacted", {
        from: `L${level}`,
        to: `L${outLevel}`,
        inputs: inputs.length,
        outputs: added.length,
        bytesIn: result.bytesRead,
        bytesOut: result.bytesWritten,
        entriesDropped: result.entriesIn - result.entriesOut,
        ms: Math.round(result.micros / 1000),
      });
    } finally {
      this.unpin(v);
    }
  }

  /** Lets the running background compaction (if any) go on at full speed. */
  private liftCompactionLimit(): void {
    if (this.compactionControl) Atomics.store(this.compactionControl, 0, 1);
  }

  /** A control word for a background compaction: unlimited from the start while writes are stalled. */
  private newCompactionControl(): Int32Array {
    const c = new Int32Array(new SharedArrayBuffer(4));
    if (this.stalled) c[0] = 1;
    return c;
  }

  private smallestSnapshot(): number {
    let s = this.lastSeq;
    for (const seq of this.snapshots.values()) if (seq < s) s = seq;
    return s;
  }

  /** Freezes the memtable (if it holds anything) and waits until every frozen memtable is a table. */
  async flush(): Promise<void> {
    this.commit();
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    if (this.state === "failed") throw this.failure;
    if (this.mem.size > 0) this.freeze();
    while (this.frozen.length > 0 || this.flushing) {
      if (this.backgroundError) throw this.backgroundError;
      if (!this.flushing) this.scheduleFlush();
      await this.flushing;
    }
    if (this.backgroundError) throw this.backgroundError;
  }

  /** Full compaction: flushes, then merges every table into one sorted run at the deepest used level. */
  async compactAll(): Promise<void> {
    // A background compaction still running is what this waits for first: let it run at full speed (and the one the
    // flush's end may have started).
    this.liftCompactionLimit();
    await this.flush();
    this.manualCompaction = true;
    this.liftCompactionLimit();
    try {
      while (this.compacting) await this.compacting;
      if (this.backgroundError) throw this.backgroundError;
      const all = this.current.levels.flat();
      if (all.length === 0) return;
      // The output goes to the deepest used level, or deeper when the data would overflow it (so background
      // compaction does not immediately push the freshly written run down again).
      const total = all.reduce((s, t) => s + t.meta.size, 0);
      let out = 1;
      for (let l = 1; l < NUM_LEVELS; l++) if (this.current.levels[l].length > 0) out = l;
      while (out < NUM_LEVELS - 1 && levelLimit(this.lsm, out) < total) out++;
      const p = this.compact(-1, all, out, true);
      this.compacting = p;
      try {
        await p;
      } finally {
        this.compacting = undefined;
      }
    } finally {
      this.manualCompaction = false;
    }
    this.maybeCompact();
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  private visibleSeq(snapshot?: Snapshot): number {
    if (!snapshot) return this.lastSeq;
    const s = this.snapshots.get(snapshot);
    if (s === undefined) throw new Error("snapshot was released or belongs to another engine");
    return s;
  }

  prefetch(hashes: Int32Array, n: number): void {
    if (this.mem.size > 0) this.mem.prefetch(hashes, Math.min(n, 1024));
  }

  get(key: Buffer, snapshot?: Snapshot): Buffer | undefined {
    const seq = this.visibleSeq(snapshot);
    // One hash of the key serves the memtables' indexes and the tables' Bloom filters.
    const hash = hash32(key);
    if (this.mem.size > 0) {
      const v = this.mem.valueAt(key, seq, hash);
      if (v !== undefined) return v !== null ? v : undefined;
    }
    for (let i = this.frozen.length - 1; i >= 0; i--) {
      const v = this.frozen[i].mem.valueAt(key, seq, hash);
      if (v !== undefined) return v !== null ? v : undefined;
    }
    // The tables a point read consults, newest data first: overlapping L0 tables newest first, then at most one
    // table per deeper level (written out rather than as a generator: this is the hot path of a GET).
    const { levels, fences } = this.current;
    const l0 = levels[0];
    for (let i = l0.length - 1; i >= 0; i--) {
      const m = l0[i].meta;
      if (compareBytes(key, m.smallest) < 0 || compareBytes(key, m.largest) > 0) continue;
      const t = l0[i].table.get(key, seq, hash);
      if (t) return t.value !== null ? t.value : undefined;
    }
    for (let l = 1; l < levels.length; l++) {
      if (levels[l].length === 0) continue;
      const h = findFile(levels[l], key, fences[l]);
      if (!h) continue;
      const t = h.table.get(key, seq, hash);
      if (t) return t.value !== null ? t.value : undefined;
    }
    return undefined;
  }

  snapshot(): Snapshot {
    const seq = this.lastSeq;
    const snap: Snapshot = {
      sequence: BigInt(seq),
      release: () => {
        this.snapshots.delete(snap);
      },
    };
    this.snapshots.set(snap, seq);
    return snap;
  }

  scan(range: { gte?: Buffer; lt?: Buffer }, visit: (key: Buffer, value: Buffer) => void): void {
    const tableRuns = this.current.runs(range.gte, range.lt, true).map((run) => run.map((h) => h.table));
    scanVisible({ memtables: [this.mem, ...this.frozen.map((f) => f.mem)], tableRuns }, range.gte ?? null, range.lt ?? null, this.lastSeq, visit);
  }

  *iterate(range: RangeOptions = {}): IterableIterator<[Buffer, Buffer]> {
    const seq = this.visibleSeq(range.snapshot);
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const lower = range.gte ?? range.gt;
    const upper = range.lte ?? range.lt;
    const aboveLower = (k: Buffer): boolean => !lower || (range.gt ? compareBytes(k, lower) > 0 : compareBytes(k, lower) >= 0);
    const belowUpper = (k: Buffer): boolean => !upper || (range.lt ? compareBytes(k, upper) < 0 : compareBytes(k, upper) <= 0);
    const v = this.current;
    v.pins++;
    try {
      const memtables = [this.mem, ...this.frozen.map((f) => f.mem)];
      const runs = v.runs(lower, upper, false);
      let n = 0;
      if (range.reverse !== true) {
        // Cursors (src/engine/scan.ts) over the memtables and the table runs.
        const tableRuns = runs.map((run) => run.map((h) => h.table));
        for (const c = openVisible({ memtables, tableRuns }, lower ?? null, seq); c.valid; c.next()) {
          if (!belowUpper(c.key)) return;
          if (c.value === null || !aboveLower(c.key)) continue;
          yield [Buffer.from(c.key), Buffer.from(c.value)];
          if (++n >= limit) return;
        }
        return;
      }
      const sources: Array<Iterator<TableEntry>> = [];
      for (const m of memtables) if (m.size > 0) sources.push(memReverse(m, upper ?? null, !!range.lt, seq));
      for (const run of runs) if (run.length > 0) sources.push(levelReverse(run, upper, seq));
      for (const e of mergeReverse(sources)) {
        if (!aboveLower(e.key)) return;
        if (!belowUpper(e.key)) continue;
        if (e.value === null) continue;
        yield [Buffer.from(e.key), Buffer.from(e.value)];
        if (++n >= limit) return;
      }
    } finally {
      this.unpin(v);
    }
  }

  /** Figures for INFO, TSKV.STATS and metrics. */
  stats(): EngineStats {
    const levels = this.current.levels.map((lvl, i) => ({
      level: i,
      files: lvl.length,
      bytes: lvl.reduce((s, t) => s + t.meta.size, 0),
      entries: lvl.reduce((s, t) => s + t.meta.entries, 0),
    }));
    return {
      entries: this.mem.size,
      memtableBytes: this.mem.approximateBytes,
      frozenMemtables: this.frozen.length,
      frozenBytes: this.frozen.reduce((s, f) => s + f.mem.approximateBytes, 0),
      walSegments: this.segments.length,
      lastSequence: this.lastSeq,
      durableSequence: this.durableSeq,
      levels,
      tableBytes: levels.reduce((s, l) => s + l.bytes, 0),
      tableFiles: levels.reduce((s, l) => s + l.files, 0),
      stalled: this.stalled,
      flushing: this.flushing !== undefined,
      compacting: this.compacting !== undefined,
      blockCacheBytes: this.cache.size,
      blockCacheHits: this.cache.hits,
      blockCacheMisses: this.cache.misses,
      bloomProbes: this.readCounters.bloomProbes,
      bloomNegatives: this.readCounters.bloomNegatives,
      blockReads: this.readCounters.blockReads,
    };
  }

  // ---- close -------------------------------------------------------------------------------------------------

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.everysecTimer) clearInterval(this.everysecTimer);
    this.drainRoomQueue(true);
    if (this.groupScheduled || this.pending > 0) this.writeGroup();
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    if (this.state !== "failed") {
      try {
        this.segment.syncNow();
        this.durableSeq = this.writtenSeq;
        this.stallBarrier = Infinity;
        this.resolveWaiters();
      } catch (e) {
        this.fail(e);
      }
    }
    // A running flush or compaction is abandoned: the WAL still holds what a flush was writing, and the files a
    // stopped job leaves are named by no manifest, so the next open removes them.
    this.shuttingDown = true;
    await this.background.stop();
    for (;;) {
      const running = this.flushing ?? this.compacting;
      if (!running) break;
      await running.catch(() => undefined);
    }
    this.state = "closed";
    this.rejectWaiters(0, Number.MAX_SAFE_INTEGER, new TskvError("TSKV_ERR_CLOSED", "engine closed before the write was durable"));
    for (const w of this.roomQueue.splice(0)) w.reject(new TskvError("TSKV_ERR_CLOSED", "engine closed while the write waited for room in the memtable"));
    this.roomQueued = 0;
    this.segment.close();
    this.manifest.close();
    await this.background.stop();
    for (const h of this.handles.values()) h.table.close();
    // A closed engine holds no data: a caller that keeps the object (in scope until its function returns) does not
    // keep the memtables, their ordered-read nodes included, for the garbage collector to trace.
    this.mem = new SkipList();
    this.frozen.length = 0;
    releaseLock(this.fs, this.dir);
  }
}

export function open(dir: string, options: OpenOptions = {}): Promise<Engine> {
  return Engine.open(dir, options);
}


// The engine: an ordered binary key-value store with sequence numbers, snapshots and a write-ahead log.
//
// Write path: apply() encodes the batch, queues it for the WAL and inserts it in the memtable (visible at once).
// All batches of one event-loop turn are written to the WAL with one write (group commit). Under walSync "always"
// one fdatasync then covers the whole group, on the libuv threadpool, while the loop goes on reading; whenDurable()
// resolves when the sync policy is met for a sequence.
//
// Read path: the memtable (this version keeps every table in memory; SSTables, flush and compaction come next).
import * as path from "node:path";
import { corruption, TskvError } from "./errors";
import { FileSystem, nodeFs } from "./io";
import { SkipList, visible } from "./memtable/skiplist";
import type { BatchOp, EngineApi, EngineLogger, EngineOptions, RangeOptions, Snapshot, WalSync } from "./types";
import { OpKind, parseSegmentName, PayloadKind, SEGMENT_MAGIC, segmentName, WAL_FORMAT_VERSION } from "./wal/format";
import { readSegment } from "./wal/reader";
import { WalSegmentWriter } from "./wal/writer";
import { readVarint, varintSize, writeVarint } from "./varint";

const QUIET: EngineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface OpenOptions extends EngineOptions {
  /** File-I/O seam (fault injection in tests). */
  fs?: FileSystem;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

type State = "open" | "nospace" | "failed" | "closed";

/** Encodes a batch as a WAL payload: kind | first seq u64 LE | count u32 LE | ops. */
export function encodeBatch(firstSeq: number, ops: BatchOp[]): Buffer {
  let size = 1 + 8 + 4;
  for (const op of ops) {
    size += 1 + varintSize(op.key.length) + op.key.length;
    if (op.type === "put") size += varintSize(op.value.length) + op.value.length;
  }
  const b = Buffer.allocUnsafe(size);
  b[0] = PayloadKind.BATCH;
  b.writeUInt32LE(firstSeq % 0x100000000, 1);
  b.writeUInt32LE(Math.floor(firstSeq / 0x100000000), 5);
  b.writeUInt32LE(ops.length, 9);
  let pos = 13;
  for (const op of ops) {
    b[pos++] = op.type === "put" ? OpKind.PUT : OpKind.DEL;
    pos = writeVarint(b, pos, op.key.length);
    op.key.copy(b, pos);
    pos += op.key.length;
    if (op.type === "put") {
      pos = writeVarint(b, pos, op.value.length);
      op.value.copy(b, pos);
      pos += op.value.length;
    }
  }
  return b;
}

/** Decodes a batch payload; undefined when malformed. Keys and values are views of `b`. */
export function decodeBatch(b: Buffer): { firstSeq: number; ops: BatchOp[] } | undefined {
  if (b.length < 13 || b[0] !== PayloadKind.BATCH) return undefined;
  const firstSeq = b.readUInt32LE(1) + b.readUInt32LE(5) * 0x100000000;
  const count = b.readUInt32LE(9);
  const ops: BatchOp[] = [];
  let pos = 13;
  for (let i = 0; i < count; i++) {
    if (pos >= b.length) return undefined;
    const kind = b[pos++];
    const kl = readVarint(b, pos, b.length);
    if (!kl || kl[1] + kl[0] > b.length) return undefined;
    const key = b.subarray(kl[1], kl[1] + kl[0]);
    pos = kl[1] + kl[0];
    if (kind === OpKind.PUT) {
      const vl = readVarint(b, pos, b.length);
      if (!vl || vl[1] + vl[0] > b.length) return undefined;
      ops.push({ type: "put", key, value: b.subarray(vl[1], vl[1] + vl[0]) });
      pos = vl[1] + vl[0];
    } else if (kind === OpKind.DEL) {
      ops.push({ type: "del", key });
    } else {
      return undefined;
    }
  }
  return pos === b.length ? { firstSeq, ops } : undefined;
}

function errnoOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

export class Engine implements EngineApi {
  private lastSeq = 0;
  private writtenSeq = 0;
  private durableSeq = 0;
  private state: State = "open";
  private failure: TskvError | undefined;

  private pending: Buffer[] = [];
  private pendingKeys: Array<[Buffer, number]> = [];
  private pendingFirst = 0;
  private groupScheduled = false;

  private syncing = false;
  private syncAgain = false;
  private waiters: Waiter[] = [];
  private everysecTimer: NodeJS.Timeout | undefined;
  private readonly snapshots = new Map<Snapshot, number>();
  private closing: Promise<void> | undefined;

  /** Counters for tests, INFO and metrics. */
  readonly counters = { walAppends: 0, walBytes: 0, walSyncs: 0, walSyncMicros: 0, groupCommits: 0, failedWrites: 0 };

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly walSync: WalSync,
    private readonly segmentLimit: number,
    private readonly log: EngineLogger,
    private segment: WalSegmentWriter,
    private readonly segments: number[],
    private readonly mem: SkipList,
  ) {}

  // ---- open / recovery ---------------------------------------------------------------------------------------

  static async open(dir: string, options: OpenOptions = {}): Promise<Engine> {
    const fs = options.fs ?? nodeFs;
    const log = options.logger ?? QUIET;
    fs.mkdirSync(dir);
    acquireLock(fs, dir);
    try {
      const numbers = fs
        .readdirSync(dir)
        .map(parseSegmentName)
        .filter((n): n is number => n !== undefined)
        .sort((a, b) => a - b);
      const mem = new SkipList();
      let lastSeq = 0;
      let replayedBytes = 0;
      let replayedBatches = 0;
      for (let i = 0; i < numbers.length; i++) {
        const file = path.join(dir, segmentName(numbers[i]));
        const data = fs.readFileSync(file);
        replayedBytes += data.length;
        const read = readSegment(data);
        const isLast = i === numbers.length - 1;
        let records = read.records;
        if (records.length > 0) checkSegmentHeader(file, records[0]);
        records = records.slice(1);
        for (const rec of records) {
          const batch = decodeBatch(rec);
          if (!batch) throw corruption(file, 0, "malformed write batch inside a record with a valid checksum");
          batch.ops.forEach((op, k) => mem.insert(Buffer.from(op.key), batch.firstSeq + k, op.type === "put" ? Buffer.from(op.value) : null));
          lastSeq = Math.max(lastSeq, batch.firstSeq + batch.ops.length - 1);
          replayedBatches++;
        }
        if (read.damage) {
          const dropped = data.length - read.goodEnd;
          const where = `${segmentName(numbers[i])} at offset ${read.damage.offset} (${read.damage.reason})`;
          const tornTail = isLast && !read.validAfterDamage;
          if (!tornTail && !options.repair) {
            throw new TskvError(
              "TSKV_ERR_CORRUPTION",
              `WAL corruption in ${where}; --repair would drop ${dropped} bytes of ${segmentName(numbers[i])} from offset ${read.goodEnd} to ${data.length}`,
              file,
              read.damage.offset,
            );
          }
          cutSegment(fs, file, read.goodEnd);
          log.warn(tornTail ? "WAL tail cut at the last good record" : "WAL repaired: damaged records dropped", {
            file: segmentName(numbers[i]),
            offset: read.goodEnd,
            bytesDropped: dropped,
            reason: read.damage.reason,
          });
        }
      }
      const next = numbers.length > 0 ? numbers[numbers.length - 1] + 1 : 1;
      const segment = WalSegmentWriter.create(fs, dir, next);
      const engine = new Engine(dir, fs, options.walSync ?? "everysec", options.memtableSize ?? 64 * 1024 * 1024, log, segment, [...numbers, next], mem);
      engine.lastSeq = engine.writtenSeq = engine.durableSeq = lastSeq;
      if (numbers.length > 0) {
        log.info("WAL recovered", { segments: numbers.length, bytes: replayedBytes, batches: replayedBatches, lastSequence: lastSeq });
      }
      if (engine.walSync === "everysec") {
        engine.everysecTimer = setInterval(() => engine.backgroundSync(), 1000);
        engine.everysecTimer.unref();
      }
      return engine;
    } catch (e) {
      releaseLock(fs, dir);
      throw e;
    }
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  get durableSequence(): bigint {
    return BigInt(this.durableSeq);
  }

  get lastSequence(): bigint {
    return BigInt(this.lastSeq);
  }

  apply(ops: BatchOp[]): bigint {
    if (this.state === "closed") throw new TskvError("TSKV_ERR_CLOSED", "engine is closed");
    if (this.state === "failed") throw this.failure as TskvError;
    if (ops.length === 0) return BigInt(this.lastSeq);
    const first = this.lastSeq + 1;
    const payload = encodeBatch(first, ops);
    if (this.state === "nospace") {
      // Probe with this batch alone: it either lands (and writes resume) or is refused with nothing applied.
      try {
        this.segment.append([payload]);
      } catch (e) {
        this.counters.failedWrites++;
        throw this.writeError(e);
      }
      this.state = "open";
      this.log.info("WAL writes resumed: disk space is back");
      this.insert(first, ops);
      this.writtenSeq = this.lastSeq;
      this.afterWrite(payload.length, 1);
      return BigInt(this.lastSeq);
    }
    if (this.pending.length === 0) this.pendingFirst = first;
    this.pending.push(payload);
    this.insert(first, ops);
    ops.forEach((op, k) => this.pendingKeys.push([op.key, first + k]));
    if (!this.groupScheduled) {
      this.groupScheduled = true;
      setImmediate(() => this.writeGroup());
    }
    return BigInt(this.lastSeq);
  }

  private insert(first: number, ops: BatchOp[]): void {
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k];
      this.mem.insert(op.key, first + k, op.type === "put" ? op.value : null);
    }
    this.lastSeq = first + ops.length - 1;
  }

  private writeError(e: unknown): TskvError {
    if (e instanceof TskvError) return e;
    const code = errnoOf(e);
    if (code === "ENOSPC" || code === "EDQUOT") {
      this.state = "nospace";
      return new TskvError("TSKV_ERR_NOSPACE", `disk full writing ${path.basename(this.segment.file)}`);
    }
    this.state = "failed";
    this.failure = new TskvError("TSKV_ERR_READONLY", `WAL write failed (${(e as Error).message}); writes are refused until restart`);
    this.log.error("WAL write failed; engine is read-only until restart", { error: (e as Error).message });
    return this.failure;
  }

  commit(): void {
    if (this.pending.length > 0) this.writeGroup();
  }

  /** Writes every batch queued this turn with one write. */
  private writeGroup(): void {
    this.groupScheduled = false;
    if (this.pending.length === 0 || this.state === "closed") return;
    const payloads = this.pending;
    const keys = this.pendingKeys;
    const first = this.pendingFirst;
    const last = this.lastSeq;
    this.pending = [];
    this.pendingKeys = [];
    let bytes = 0;
    for (const p of payloads) bytes += p.length;
    try {
      if (this.state === "failed") throw this.failure;
      this.segment.append(payloads);
    } catch (e) {
      this.counters.failedWrites++;
      // Nothing of this group reached the log: take it back out of the memtable and fail its waiters.
      for (const [key, seq] of keys) this.mem.remove(key, seq);
      const err = this.writeError(e);
      this.rejectWaiters(first, last, err);
      return;
    }
    this.writtenSeq = last;
    this.afterWrite(bytes, payloads.length);
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
    if (this.segment.size >= this.segmentLimit) this.rotate();
  }

  /** Starts a new WAL segment; the old one is synced and closed first. */
  private rotate(): void {
    if (this.syncing) return; // rotate after the running sync, so it never targets a closed fd
    try {
      this.segment.syncNow();
      this.segment.close();
      const next = this.segments[this.segments.length - 1] + 1;
      this.segment = WalSegmentWriter.create(this.fs, this.dir, next);
      this.segments.push(next);
      if (this.walSync === "always") {
        this.durableSeq = this.writtenSeq;
        this.resolveWaiters();
      }
    } catch (e) {
      this.fail(e);
    }
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
        this.counters.walSyncMicros += (performance.now() - started) * 1000;
        this.syncing = false;
        if (target > this.durableSeq) this.durableSeq = target;
        this.resolveWaiters();
        if (this.syncAgain || this.writtenSeq > this.durableSeq) {
          this.syncAgain = false;
          if (this.writtenSeq > this.durableSeq) this.requestSync();
        }
        if (this.segment.size >= this.segmentLimit) this.rotate();
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
    if (s <= this.durableSeq) return Promise.resolve();
    if (this.state === "failed") return Promise.reject(this.failure);
    if (this.state === "closed") return Promise.reject(new TskvError("TSKV_ERR_CLOSED", "engine is closed"));
    return new Promise((resolve, reject) => this.waiters.push({ seq: s, resolve, reject }));
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.durableSeq) w.resolve();
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

  put(key: Buffer, value: Buffer): Promise<void> {
    return this.write([{ type: "put", key, value }]);
  }

  del(key: Buffer): Promise<void> {
    return this.write([{ type: "del", key }]);
  }

  write(ops: BatchOp[]): Promise<void> {
    try {
      return this.whenDurable(this.apply(ops.map(ownOp)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  private visibleSeq(snapshot?: Snapshot): number {
    if (!snapshot) return this.lastSeq;
    const s = this.snapshots.get(snapshot);
    if (s === undefined) throw new Error("snapshot was released or belongs to another engine");
    return s;
  }

  get(key: Buffer, snapshot?: Snapshot): Buffer | undefined {
    const e = this.mem.get(key, this.visibleSeq(snapshot));
    return e && e.value !== null ? e.value : undefined;
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

  *iterate(range: RangeOptions = {}): IterableIterator<[Buffer, Buffer]> {
    const seq = this.visibleSeq(range.snapshot);
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const lower = range.gte ?? range.gt;
    const upper = range.lte ?? range.lt;
    const aboveLower = (k: Buffer): boolean => !lower || (range.gt ? k.compare(lower) > 0 : k.compare(lower) >= 0);
    const belowUpper = (k: Buffer): boolean => !upper || (range.lt ? k.compare(upper) < 0 : k.compare(upper) <= 0);
    let n = 0;
    if (!range.reverse) {
      for (let node = this.mem.seek(lower ?? null); node !== null; node = this.mem.next(node)) {
        if (!belowUpper(node.key)) return;
        if (!aboveLower(node.key)) continue;
        const v = visible(node, seq);
        if (v && v.value !== null) {
          yield [Buffer.from(node.key), Buffer.from(v.value)];
          if (++n >= limit) return;
        }
      }
      return;
    }
    let key: Buffer | undefined;
    if (upper && !range.lt) {
      key = this.mem.get(upper, Number.MAX_SAFE_INTEGER) ? upper : this.mem.lastKeyBefore(upper);
    } else {
      key = this.mem.lastKeyBefore(upper ?? null);
    }
    while (key !== undefined && aboveLower(key)) {
      const e = this.mem.get(key, seq);
      if (e && e.value !== null) {
        yield [Buffer.from(key), Buffer.from(e.value)];
        if (++n >= limit) return;
      }
      key = this.mem.lastKeyBefore(key);
    }
  }

  /** Memtable figures for INFO and TSKV.STATS. */
  stats(): { entries: number; memtableBytes: number; walSegments: number; lastSequence: number; durableSequence: number } {
    return {
      entries: this.mem.size,
      memtableBytes: this.mem.approximateBytes,
      walSegments: this.segments.length,
      lastSequence: this.lastSeq,
      durableSequence: this.durableSeq,
    };
  }

  // ---- close -------------------------------------------------------------------------------------------------

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.everysecTimer) clearInterval(this.everysecTimer);
    if (this.groupScheduled || this.pending.length > 0) this.writeGroup();
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    if (this.state !== "failed") {
      try {
        this.segment.syncNow();
        this.durableSeq = this.writtenSeq;
        this.resolveWaiters();
      } catch (e) {
        this.fail(e);
      }
    }
    this.state = "closed";
    this.rejectWaiters(0, Number.MAX_SAFE_INTEGER, new TskvError("TSKV_ERR_CLOSED", "engine closed before the write was durable"));
    this.segment.close();
    releaseLock(this.fs, this.dir);
  }
}

function ownOp(op: BatchOp): BatchOp {
  return op.type === "put" ? { type: "put", key: Buffer.from(op.key), value: Buffer.from(op.value) } : { type: "del", key: Buffer.from(op.key) };
}

function checkSegmentHeader(file: string, rec: Buffer): void {
  if (rec[0] !== PayloadKind.HEADER || !rec.subarray(1, 1 + SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
    throw corruption(file, 0, "not a tskv WAL segment (bad header record)");
  }
  const version = rec[1 + SEGMENT_MAGIC.length];
  if (version !== WAL_FORMAT_VERSION) throw corruption(file, 0, `unsupported WAL format version ${version}`);
}

function cutSegment(fs: FileSystem, file: string, size: number): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.ftruncateSync(fd, size);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function acquireLock(fs: FileSystem, dir: string): void {
  const lock = path.join(dir, "LOCK");
  if (fs.existsSync(lock)) {
    const pid = Number(fs.readFileSync(lock).toString().trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new TskvError("TSKV_ERR_LOCKED", `${dir} is in use by process ${pid} (LOCK file)`);
    }
  }
  fs.writeFileSync(lock, `${process.pid}\n`);
}

function releaseLock(fs: FileSystem, dir: string): void {
  try {
    fs.unlinkSync(path.join(dir, "LOCK"));
  } catch {
    // already gone
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === "EPERM";
  }
}

export function open(dir: string, options: OpenOptions = {}): Promise<Engine> {
  return Engine.open(dir, options);
}

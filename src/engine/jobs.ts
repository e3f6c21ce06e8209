// Background jobs: flushing a frozen memtable into an L0 table, and compacting tables into the next level. The same
// code runs in the worker thread (src/engine/worker.ts) or, for tests with an injected file system, inline on the
// loop; either way it yields regularly and never holds the loop for long.
import * as path from "node:path";
import { FileSystem, writeFully } from "./io";
import { MemImage, RecordReader } from "./memtable/arena";
import { KeptBytes } from "../util/bytes";
import { TableBuilder, TableMeta, TableOptions } from "./sst/builder";
import { tableName } from "./sst/format";
import { BlockCache, Table, TableEntry } from "./sst/reader";
import { heapify, siftDown } from "../util/heap";

export interface FlushJob {
  kind: "flush";
  dir: string;
  number: number;
  /** The frozen memtable (its slabs are shared memory: posting the job copies no key or value). */
  mem: MemImage;
  /** Sequences of live snapshots: versions they read are kept (see RecordReader.writeReadable). */
  snapshots: number[];
  table: TableOptions;
}

export interface CompactJob {
  kind: "compact";
  dir: string;
  /**
   * Input tables as sorted runs: each run lists tables in key order whose key ranges do not overlap (one level's
   * tables, or a single level-0 table), so a run is read as one sequence and the merge is over runs, not tables.
   */
  runs: number[][];
  /** File numbers reserved for outputs, used in order. */
  outputs: number[];
  /** No version at or below this sequence is needed by any snapshot except the newest of each key. */
  smallestSnapshot: number;
  /** Key ranges of tables in levels below the output; a tombstone outside all of them hides nothing. */
  deeper: Array<[Buffer, Buffer]>;
  targetFileSize: number;
  /** Bytes per second of output; 0 = unlimited. */
  rateLimit: number;
  /**
   * Shared with the engine (a SharedArrayBuffer, so it reaches the worker as the same memory): element 0 set to 1
   * lifts the rate limit of the running job (a manual compaction is waiting for it).
   */
  control?: Int32Array;
  table: TableOptions;
}

export type Job = FlushJob | CompactJob;

export interface JobOutput {
  number: number;
  meta: TableMeta;
}

export interface JobResult {
  outputs: JobOutput[];
  bytesRead: number;
  bytesWritten: number;
  entriesIn: number;
  entriesOut: number;
  micros: number;
}

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes a table file through buffered positional writes; fsyncs it before returning its metadata. */
class TableFile {
  private fd: number;
  private pos = 0;
  private buf = Buffer.allocUnsafe(256 * 1024);
  private used = 0;
  readonly builder: TableBuilder;
  readonly file: string;

  constructor(
    private readonly fs: FileSystem,
    dir: string,
    readonly number: number,
    options: TableOptions,
  ) {
    this.file = path.join(dir, tableName(number));
    this.fd = fs.openSync(this.file, "w");
    this.builder = new TableBuilder(options, (b) => this.write(b));
  }

  private write(b: Buffer): void {
    if (this.used + b.length > this.buf.length) this.drain();
    if (b.length > this.buf.length) {
      this.writeRaw(b);
      return;
    }
    b.copy(this.buf, this.used);
    this.used += b.length;
  }

  private drain(): void {
    if (this.used === 0) return;
    this.writeRaw(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeRaw(b: Buffer): void {
    writeFully(this.fs, this.fd, b, this.pos, path.basename(this.file));
    this.pos += b.length;
  }

  finish(): TableMeta {
    const meta = this.builder.finish();
    this.drain();
    try {
      this.fs.fsyncSync(this.fd);
    } catch (e) {
      throw Object.assign(e as Error, { fsync: true });
    }
    this.fs.closeSync(this.fd);
    return meta;
  }

  abandon(): void {
    try {
      this.fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    try {
      this.fs.unlinkSync(this.file);
    } catch {
      // never created
    }
  }
}

export async function runJob(job: Job, fs: FileSystem): Promise<JobResult> {
  return job.kind === "flush" ? runFlush(job, fs) : runCompaction(job, fs);
}

async function runFlush(job: FlushJob, fs: FileSystem): Promise<JobResult> {
  const started = performance.now();
  const out = new TableFile(fs, job.dir, job.number, job.table);
  let n = 0;
  let bytesRead = 0;
  const view = (b: Uint8Array, o: number, l: number): Buffer => Buffer.from(b.buffer, b.byteOffset + o, l);
  try {
    // The keys are ordered here, not on the loop: a radix sort of the record refs.
    const records = RecordReader.of(job.mem);
    const refs = job.mem.keys;
    records.sortKeyRefs(refs);
    await yieldLoop();
    const sink = {
      add(kb: Uint8Array, ko: number, kl: number, seq: number, vb: Uint8Array | null, vo: number, vl: number): void {
        out.builder.add(view(kb, ko, kl), seq, vb === null ? null : view(vb, vo, vl));
        bytesRead += kl + vl;
        n++;
      },
    };
    for (const _ of records.writeReadable(refs, job.snapshots, sink, 4096)) await yieldLoop();
    const meta = out.finish();
    fs.syncDir(job.dir);
    return { outputs: [{ number: job.number, meta }], bytesRead, bytesWritten: meta.size, entriesIn: n, entriesOut: n, micros: (performance.now() - started) * 1000 };
  } catch (e) {
    out.abandon();
    throw e;
  }
}

/**
 * One run's tables read back to back (their key ranges are disjoint and in order). Entries are not copied: a key is
 * valid until its source takes its next step (see Table.scan).
 */
function* concat(tables: Table[]): Generator<TableEntry> {
  for (const t of tables) yield* t.scan();
}

/**
 * k-way merge of sorted sources in internal order: a binary heap of the sources by their heads, so an entry costs
 * about log2(k) comparisons; a source left alone is passed through without comparing.
 */
export function* merge(sources: Array<Iterator<TableEntry>>): Generator<TableEntry> {
  const its: Array<Iterator<TableEntry>> = [];
  const heads: TableEntry[] = [];
  for (const s of sources) {
    const r = s.next();
    if (r.done) continue;
    its.push(s);
    heads.push(r.value);
  }
  // Internal order of two sources' heads: key ascending, then sequence descending.
  const before = (a: number, b: number): boolean => {
    const c = Buffer.compare(heads[a].key, heads[b].key);
    return c < 0 || (c === 0 && heads[a].seq > heads[b].seq);
  };
  const heap = heads.map((_, i) => i);
  heapify(heap, before);
  while (heap.length > 1) {
    const top = heap[0];
    yield heads[top];
    const r = its[top].next();
    if (r.done) heap[0] = heap.pop() as number;
    else heads[top] = r.value;
    siftDown(heap, 0, before);
  }
  if (heap.length === 0) return;
  const last = heap[0];
  yield heads[last];
  for (let r = its[last].next(); !r.done; r = its[last].next()) yield r.value;
}

async function runCompaction(job: CompactJob, fs: FileSystem): Promise<JobResult> {
  const started = performance.now();
  const cache = new BlockCache(0);
  const counters = { bloomProbes: 0, bloomNegatives: 0, blockReads: 0 };
  const runs = job.runs.map((run) => run.map((n) => Table.open(fs, path.join(job.dir, tableName(n)), n, cache, counters)));
  const tables = runs.flat();
  const outputs: JobOutput[] = [];
  let current: TableFile | undefined;
  let bytesWritten = 0;
  let entriesIn = 0;
  let entriesOut = 0;
  const nextNumber = (): number => {
    const n = job.outputs[outputs.length];
    if (n === undefined) throw new Error("compaction ran out of reserved file numbers");
    return n;
  };
  const finishCurrent = (): void => {
    if (!current) return;
    const meta = current.finish();
    outputs.push({ number: current.number, meta });
    bytesWritten += meta.size;
    current = undefined;
  };
  const hidden = (key: Buffer): boolean => job.deeper.some(([lo, hi]) => Buffer.compare(key, lo) >= 0 && Buffer.compare(key, hi) <= 0);
  try {
    let curKey: Buffer | null = null;
    const keyCopy = new KeptBytes();
    let lastSeqForKey = Number.MAX_SAFE_INTEGER;
    const rateStart = performance.now();
    for (const e of merge(runs.map(concat))) {
      entriesIn++;
      // The merge must come out in internal order (it trusts each level's tables not to overlap): a table written
      // out of order would be unreadable, so any step backwards stops the compaction instead.
      const c = curKey === null ? 1 : Buffer.compare(e.key, curKey);
      if (c < 0 || (c === 0 && e.seq >= lastSeqForKey)) {
        throw new Error(`compaction input out of order at key ${e.key.toString("hex")} (seq ${e.seq}); inputs ${job.runs.map((r) => r.join("+")).join(", ")}`);
      }
      const newKey = c > 0;
      if (newKey) {
        // The entry's key is a view its source reuses: keep a copy.
        keyCopy.set(e.key);
        curKey = keyCopy.view();
        lastSeqForKey = Number.MAX_SAFE_INTEGER;
      }
      let drop = false;
      if (lastSeqForKey <= job.smallestSnapshot) {
        drop = true; // a newer version every reader can see shadows this one
      } else if (e.value === null && e.seq <= job.smallestSnapshot && !hidden(e.key)) {
        drop = true; // a tombstone with nothing older below it to hide
      }
      lastSeqForKey = e.seq;
      if (!drop) {
        // Split outputs only between user keys, so a key's versions stay in one table per level.
        if (current && newKey && current.builder.estimatedSize >= job.targetFileSize) finishCurrent();
        if (!current) current = new TableFile(fs, job.dir, nextNumber(), job.table);
        current.builder.add(e.key, e.seq, e.value);
        entriesOut++;
      }
      if (entriesIn % 4096 === 0) {
        // Ahead of the rate: wait until the bytes written so far are due, in naps of at most 100 ms, each ending
        // early when a manual compaction lifts the limit.
        const limited = (): boolean => job.rateLimit > 0 && !(job.control && Atomics.load(job.control, 0) === 1);
        let slept = false;
        while (limited()) {
          const written = bytesWritten + (current ? current.builder.estimatedSize : 0);
          const due = (written / job.rateLimit) * 1000 - (performance.now() - rateStart);
          if (due <= 1) break;
          await sleep(Math.min(due, 100));
          slept = true;
        }
        if (!slept) await yieldLoop();
      }
    }
    finishCurrent();
    if (outputs.length > 0) fs.syncDir(job.dir);
  } catch (e) {
    current?.abandon();
    for (const o of outputs) {
      try {
        fs.unlinkSync(path.join(job.dir, tableName(o.number)));
      } catch {
        // best effort: unreferenced files are removed at the next open anyway
      }
    }
    throw e;
  } finally {
    for (const t of tables) t.close();
  }
  const bytesRead = tables.reduce((s, t) => s + t.fileSize, 0);
  return { outputs, bytesRead, bytesWritten, entriesIn, entriesOut, micros: (performance.now() - started) * 1000 };
}

// Time series over the keyspace (docs/format.md, "Time series on disk"): a series is one META entry (type SERIES, payload = the
// series header, header.ts) plus its points in compressed chunks under CHUNK keys (layout.ts, codec.ts) plus one
// labels-index entry per label.
//
// Chunks of a series are disjoint and ordered: a chunk's key is at most its first timestamp and every point of it is
// below the next chunk's key. The newest chunk is the "open" one: appends go there. Its points are kept decoded in
// memory (SeriesState). In the engine it is a base value (a compressed chunk under its chunk key, possibly absent)
// plus delta entries right after it (layout.ts: the chunk key + a slot number) holding the points appended since: a
// command that appends to a series writes one small delta entry, not the whole chunk. Deltas carry a sequence
// number and go round FOLD_DELTAS slots; every FOLD_DELTAS deltas (or when the chunk changes otherwise) the chunk is
// compressed again into its base, which records the sequence it covers, so older deltas are ignored and later ones
// overwrite their slots (no delete per delta). When the chunk holds maxChunkPoints points the next append starts a
// new chunk and the slots of the old one are deleted. Every other change (a new chunk, out-of-order writes into
// older chunks, deletes, trims, header changes) is applied at once in a batch that also carries the header, so the
// engine never holds a header whose totals disagree with its chunks.
//
// Deleting a series is one small write: its META entry and labels-index entries go; its chunks become unreachable
// (a new series on the same key gets a new id) and are left for compaction to drop.
import type { BatchOp, EngineApi } from "../../engine/types";
import { CommandError } from "../../server/errors";
import { Keyspace, onKeyspaceLoad } from "../keyspace";
import { TypeTag } from "../keys";
import type { Meta } from "../meta";
import type { Point } from "./aggregate";
import { chunkCount, chunkFirstTimestamp, chunkLastTimestamp, encodeChunk } from "./codec";
import { CompactionRule, decodeHeader, DuplicatePolicy, encodeHeader, maxChunkPoints, SeriesHeader } from "./header";
import { LabelPostings } from "./postings";
import { chunkKey, chunkRange, chunkStartOf, decodeNextId, deltaKey, DELTA_KEY_LENGTH, encodeNextId, labelKey, NEXT_ID_KEY } from "./layout";
import { decodeBase, decodeDelta, decodeNote, decodePoints, deltaSeqOf, encodeBase, encodeDelta, encodeNote, encodePoints } from "./open-chunk";
import * as reads from "./reads";
import { ChunkReaper } from "./reaper";
import * as rules from "./rules";
import {
  ChunkInfo,
  ChunkSlice,
  CreateOptions,
  emptyState,
  HeadMemory,
  ERR_BLOCKED_UPSERT,
  ERR_OLDER_THAN_RETENTION,
  grow,
  headerId,
  lastTimestamp,
  lastValue,
  Points,
  removeRange,
  retentionFloor,
  sameKey,
  SeriesBatch,
  SeriesState,
  totalSamples,
  upsertInto,
} from "./state";

export {
  chunkTotal,
  ERR_BLOCKED_UPSERT,
  ERR_OLDER_THAN_RETENTION,
  lastTimestamp,
  lastValue,
  retentionFloor,
  SeriesBatch,
  EMPTY_SLICE,
  sliceOf,
  totalSamples,
} from "./state";
export type { ChunkInfo, ChunkSlice, CreateOptions, SeriesState } from "./state";

/**
 * A head whose oldest WAL note is this many engine sequences old is persisted (its appends written as a delta): the
 * WAL the notes pin, and what a restart replays, stay within about this many writes.
 */
export const DEFAULT_NOTE_WINDOW = 1 << 20;
/** Default --series-head-memory: bytes of point arrays the heads may hold before the sweep packs some. */
export const DEFAULT_HEAD_MEMORY = 64 * 1024 * 1024;
/** The sweep packs heads until their arrays are down to this share of the bound. */
const SWEEP_TO = 0.75;
/** Heads the sweep looks at in one loop turn. */
const SWEEP_SLICE = 4096;
/** Heads persisted per slice of the loop (a slice is one engine batch). */
const PERSIST_SLICE = 2048;
/** A chunk that out-of-order writes grow past this many times its maximum is split in two (RedisTimeSeries: 1.2). */
const SPLIT_FACTOR = 1.2;
const EMPTY = Buffer.alloc(0);
/** Delta entries after the newest chunk's base before it is compressed again. */
const FOLD_DELTAS = 64;

const stores = new WeakMap<Keyspace, SeriesStore>();

export class SeriesStore {
  /** Every series head in memory, by user key (latin1). */
  private readonly cache = new Map<string, SeriesState>();
  /** The labels index's lists of heads (postings.ts). */
  readonly postings = new LabelPostings();
  /** The heads' point arrays against --series-head-memory (see sweep). */
  readonly mem = new HeadMemory(DEFAULT_HEAD_MEMORY, () => this.sweepSoon());
  private sweeping = false;
  private sweepAt: IterableIterator<SeriesState> | undefined;
  /** Heads with WAL notes not in engine entries, oldest note first (the engine keeps the WAL from the first one). */
  private dirtyHead: SeriesState | null = null;
  private dirtyTail: SeriesState | null = null;
  private persistScheduled = false;
  /** See DEFAULT_NOTE_WINDOW. */
  noteWindow = DEFAULT_NOTE_WINDOW;
  private nextId: number;
  readonly engine: EngineApi;

  private constructor(readonly ks: Keyspace) {
    this.engine = ks.engine;
    this.reaper = new ChunkReaper(ks.engine);
    this.nextId = decodeNextId(ks.engine.get(NEXT_ID_KEY));
    ks.registerType(TypeTag.SERIES, {
      onDelete: (key, meta) => this.onDelete(key, meta),
      onRename: (from, to, meta) => this.onRename(from, to, meta),
      onFlushAll: () => this.forgetAll(),
    });
    this.replayNotes();
    this.engine.onWriteLost(() => this.rebuild());
  }

  /** The store of a keyspace (attached when the keyspace loads). */
  static of(ks: Keyspace): SeriesStore {
    let s = stores.get(ks);
    if (!s) {
      s = new SeriesStore(ks);
      stores.set(ks, s);
    }
    return s;
  }

  // ---- keyspace hooks ----------------------------------------------------------------------------------------

  private onDelete(key: Buffer, meta: Meta): BatchOp[] {
    this.evict(key.toString("latin1"));
    let h: SeriesHeader;
    try {
      h = decodeHeader(meta.payload);
    } catch {
      return [];
    }
    this.reaper.reap(h.id);
    return h.labels.map(([n, v]) => ({ type: "del" as const, key: labelKey(n, v, key) }));
  }

  // ---- reclaiming the chunks of deleted series (reaper.ts) ---------------------------------------------------

  private readonly reaper: ChunkReaper;

  /**
   * What TSKV.COMPACT does before compacting the engine: the series at a snapshot (the keyspace keeps their names),
   * then every series folded (foldAll) and every dead series' chunks removed (ChunkReaper.sweepDeadChunks), both
   * from that list.
   */
  async prepareFullCompaction(): Promise<void> {
    const snapshot = this.engine.snapshot();
    try {
      const series = this.ks.seriesKeys(snapshot);
      await this.foldAll(series.map(([k]) => k));
      await this.reaper.sweepDeadChunks(series, snapshot);
    } finally {
      snapshot.release();
    }
  }

  /** Resolves when every queued deleted series' chunks are gone. */
  reaped(): Promise<void> {
    return this.reaper.reaped();
  }

  /** Moves the labels index to the new name and renames the references other series hold to this one. */
  private onRename(from: Buffer, to: Buffer, meta: Meta): BatchOp[] {
    const ops: BatchOp[] = [];
    // The head's WAL notes name the old key: its newest chunk is written whole in the rename's batch, so none of them
    // is needed again.
    const moving = this.cache.get(from.toString("latin1"));
    if (moving && moving.openStart !== null && moving.n > moving.persisted) {
      ops.push({ type: "put", key: chunkKey(moving.header.id, moving.openStart), value: encodeBase(moving, moving.deltaSeq, this.engine.sequence) });
    }
    this.evict(from.toString("latin1"));
    this.evict(to.toString("latin1"));
    let h: SeriesHeader;
    try {
      h = decodeHeader(meta.payload);
    } catch {
      return ops;
    }
    for (const [n, v] of h.labels) ops.push({ type: "del", key: labelKey(n, v, from) }, { type: "put", key: labelKey(n, v, to), value: EMPTY });
    this.postings.added(h.labels);
    const rewrite = (other: Buffer, change: (oh: SeriesHeader) => boolean): void => {
      const om = this.ks.lookup(other);
      if (!om || om.type !== TypeTag.SERIES) return;
      const oh = decodeHeader(om.payload);
      if (!change(oh)) return;
      const head = this.cache.get(other.toString("latin1"));
      if (head) {
        // The head stays: only its header's references change (written from the head, so its totals stay right).
        change(head.header);
        ops.push(...this.headerOps(head));
        return;
      }
      ops.push(...this.ks.writeOps(other, TypeTag.SERIES, om.expireAt, encodeHeader(oh), om)[0]);
    };
    if (h.srcKey) {
      rewrite(h.srcKey, (oh) => {
        const r = oh.rules.find((x) => sameKey(x.destKey, from));
        if (r) r.destKey = Buffer.from(to);
        return r !== undefined;
      });
    }
    for (const r of h.rules) {
      rewrite(r.destKey, (oh) => {
        if (!oh.srcKey || !sameKey(oh.srcKey, from)) return false;
        oh.srcKey = Buffer.from(to);
        return true;
      });
    }
    return ops;
  }

  // ---- loading -----------------------------------------------------------------------------------------------

  /** The series under `key`: undefined when the key does not exist, "wrongtype" when it holds something else. */
  lookup(key: Buffer): SeriesState | "wrongtype" | undefined {
    const id = key.toString("latin1");
    // A head in memory is the series: every change of the key's META (delete, overwrite, rename, FLUSHALL) reaches the
    // store through its hooks. Only an expiry needs the keyspace's word.
    const head = this.cache.get(id);
    if (head !== undefined) {
      const at = this.ks.expireAtOf(id);
      if (at === 0 || at > this.ks.now()) {
        head.expireAt = at;
        return head;
      }
    }
    const meta = this.ks.lookup(key);
    if (!meta) {
      this.evict(id);
      return undefined;
    }
    if (meta.type !== TypeTag.SERIES) {
      this.evict(id);
      return "wrongtype";
    }
    const cached = this.cache.get(id);
    if (cached !== undefined && cached.header.id === headerId(meta.payload)) {
      cached.expireAt = meta.expireAt;
      return cached;
    }
    if (cached !== undefined) this.evict(id);
    const s = this.load(Buffer.from(key), id, meta);
    this.cache.set(id, s);
    return s;
  }

  /** Like lookup, for callers that skip keys of other types. */
  series(key: Buffer): SeriesState | undefined {
    const s = this.lookup(key);
    return s === "wrongtype" ? undefined : s;
  }

  private load(key: Buffer, id: string, meta: Meta): SeriesState {
    const header = decodeHeader(meta.payload);
    const s = emptyState(key, meta.expireAt, header, id, this.mem);
    const range = chunkRange(header.id);
    // The newest chunk: delta slots (last slot first in this scan), then its base when it has one.
    const deltas: Buffer[] = [];
    let base: Buffer | undefined;
    let start: number | undefined;
    let slots = 0;
    for (const [k, v] of this.engine.iterate({ gte: range.gte, lt: range.lt, reverse: true })) {
      const kStart = chunkStartOf(k);
      if (k.length === DELTA_KEY_LENGTH) {
        if (start !== undefined && kStart !== start) break;
        start = kStart;
        deltas.push(v);
        slots = Math.max(slots, k.readUInt32BE(17) + 1);
        continue;
      }
      if (start === undefined || kStart === start) {
        start = kStart;
        base = v;
      }
      break;
    }
    s.notes = header.notesCovered;
    if (start === undefined) return s;
    const parts: Points[] = [];
    let covered = 0;
    if (base) {
      const b = decodeBase(base);
      parts.push(b.p);
      covered = b.covered;
      if (b.notes > s.notes) s.notes = b.notes;
    }
    const live = deltas.filter((d) => deltaSeqOf(d) >= covered).sort((x, y) => deltaSeqOf(x) - deltaSeqOf(y));
    for (const d of live) {
      const q = decodeDelta(d);
      parts.push(q);
      if (q.notes > s.notes) s.notes = q.notes;
    }
    let n = 0;
    for (const p of parts) n += p.n;
    const p: Points = { ts: new Float64Array(n), vals: new Float64Array(n), n: 0 };
    for (const q of parts) {
      p.ts.set(q.ts.subarray(0, q.n), p.n);
      p.vals.set(q.vals.subarray(0, q.n), p.n);
      p.n += q.n;
    }
    s.openStart = start;
    s.ts = p.ts;
    s.vals = p.vals;
    s.n = p.n;
    s.written = p.n;
    s.persisted = p.n;
    s.covered = covered;
    s.deltaSeq = live.length > 0 ? deltaSeqOf(live[live.length - 1]) + 1 : covered;
    s.slots = slots;
    return s;
  }

  // ---- batches -----------------------------------------------------------------------------------------------

  /** One batch kept for the common case: a command's batch, begun and finished in one call. */
  private spare: SeriesBatch | undefined = new SeriesBatch();

  begin(): SeriesBatch {
    const w = this.spare;
    if (w === undefined) return new SeriesBatch();
    this.spare = undefined;
    return w;
  }

  /** A batch finish() returned is done with: the next begin() may take it again. */
  release(w: SeriesBatch): void {
    w.reset();
    this.spare = w;
  }

  /** The newest chunk got appends (logged as a WAL note at the end of the command). */
  private appended(w: SeriesBatch, s: SeriesState): void {
    w.markDirty(s);
  }

  /** The newest chunk changed otherwise: its base is written again at the end of the command. */
  private rewritten(w: SeriesBatch, s: SeriesState): void {
    s.full = true;
    w.markDirty(s);
  }

  /** Ops that remove the newest chunk's delta slots (it is sealed, moved or gone). */
  private dropDeltas(w: SeriesBatch, s: SeriesState): void {
    if (s.openStart !== null) for (let i = 0; i < s.slots; i++) w.ops.push({ type: "del", key: deltaKey(s.header.id, s.openStart, i) });
    s.slots = 0;
    s.deltaSeq = 0;
    s.covered = 0;
  }

  /** Writes the newest chunk's base again from memory; the deltas and WAL notes so far are covered by it. */
  private fold(w: SeriesBatch, s: SeriesState): void {
    if (s.openStart === null || s.n === 0) return;
    w.ops.push({ type: "put", key: chunkKey(s.header.id, s.openStart), value: encodeBase(s, s.deltaSeq, this.engine.sequence) });
    s.covered = s.deltaSeq;
    s.written = s.n;
    s.persisted = s.n;
    s.full = false;
    this.clean(s);
  }

  /**
   * What changed in the newest chunk of every series touched: a new base (staged with the batch's ops), or the
   * appends, as WAL notes (returned, logged after the ops).
   */
  private stageOpen(w: SeriesBatch): SeriesState[] | undefined {
    let noted: SeriesState[] | undefined;
    for (const s of w.dirty) {
      if (s.openStart === null || s.n === 0) continue;
      if (s.full) this.fold(w, s);
      else if (s.n > s.written) (noted ??= []).push(s);
    }
    w.clearDirty();
    return noted;
  }

  /**
   * Applies everything staged so far: the ops as one engine batch, then each head's appends as a WAL note (an engine
   * write that is logged but never enters the memtable: the head holds the points until a delta or base covers them).
   */
  commitNow(w: SeriesBatch): void {
    const noted = this.stageOpen(w);
    if (w.ops.length === 0 && noted === undefined) return;
    const ops = w.ops;
    const delta = w.delta;
    w.ops = [];
    w.delta = 0;
    try {
      if (ops.length > 0) w.seq = this.ks.commit(ops, delta);
      if (noted !== undefined) {
        for (const s of noted) {
          const seq = this.engine.applyNote(s.key, encodeNote(s.header.id, s.ts, s.vals, s.written, s.n));
          s.written = s.n;
          if (s.noteSeq === 0) this.linkDirty(s, seq);
          w.noted = seq;
        }
      }
    } catch (e) {
      // The engine refused a write after memory changed (commands check writability first, so this is rare: a disk
      // that filled mid-command). Memory is rebuilt from the engine and the WAL once the turn's group is written.
      this.rebuildSoon();
      throw e;
    }
  }

  /** Ends a command: writes what is pending and returns the sequence to wait for (undefined when nothing). */
  finish(w: SeriesBatch): bigint | undefined {
    this.commitNow(w);
    this.updateFloor();
    this.maybePersist();
    if (w.noted > 0 && (w.seq === undefined || BigInt(w.noted) > w.seq)) w.seq = BigInt(w.noted);
    return w.seq;
  }

  // ---- heads with WAL notes ------------------------------------------------------------------------------------

  private linkDirty(s: SeriesState, seq: number): void {
    s.noteSeq = seq;
    s.prevDirty = this.dirtyTail;
    s.nextDirty = null;
    if (this.dirtyTail) this.dirtyTail.nextDirty = s;
    else this.dirtyHead = s;
    this.dirtyTail = s;
  }

  /** The head's notes are all in engine entries now (or no longer matter): it leaves the dirty list. */
  private clean(s: SeriesState): void {
    if (s.noteSeq === 0) return;
    if (s.prevDirty) s.prevDirty.nextDirty = s.nextDirty;
    else this.dirtyHead = s.nextDirty;
    if (s.nextDirty) s.nextDirty.prevDirty = s.prevDirty;
    else this.dirtyTail = s.prevDirty;
    s.prevDirty = s.nextDirty = null;
    s.noteSeq = 0;
  }

  /** Heads with WAL notes not yet in engine entries. */
  dirtyCount(): number {
    let n = 0;
    for (let s = this.dirtyHead; s !== null; s = s.nextDirty) n++;
    return n;
  }

  // ---- the bound on heads' point arrays ----------------------------------------------------------------------

  /** Whether the sweep's clock met a packable head in its current turn. */
  private sweepFound = false;

  private sweepSoon(): void {
    if (this.sweeping || this.mem.bytes < this.mem.futile) return;
    this.sweeping = true;
    setImmediate(() => this.sweep());
  }

  /**
   * Packs heads (SeriesState.pack: their points compressed, a few bytes each instead of 16 and the arrays' room to
   * grow) until their arrays take at most SWEEP_TO of --series-head-memory: a clock over the map of heads, a slice
   * of SWEEP_SLICE heads per loop turn, passing over heads whose points were used since the clock last came by. A
   * packed head unpacks when its points are next used; its last point reads without.
   */
  private sweep(): void {
    const mem = this.mem;
    const target = mem.budget * SWEEP_TO;
    let it = this.sweepAt ?? this.cache.values();
    let futile = false;
    for (let k = 0; k < SWEEP_SLICE && mem.bytes > target; k++) {
      const r = it.next();
      if (r.done) {
        // A full turn of the clock: heads used in it may go in the next. A turn that met no head worth packing
        // ends the sweeping until the heads' arrays have grown by an eighth of the budget (or one is let go).
        it = this.cache.values();
        if (this.cache.size === 0 || !this.sweepFound) {
          futile = true;
          break;
        }
        mem.pass++;
        this.sweepFound = false;
        continue;
      }
      const s = r.value;
      if (!s.packable) continue;
      this.sweepFound = true;
      if (s.touched < mem.pass) s.pack();
    }
    this.sweepAt = it;
    if (futile) mem.futile = Math.max(mem.bytes, mem.budget) + mem.budget / 8;
    if (!futile && mem.bytes > target) setImmediate(() => this.sweep());
    else this.sweeping = false;
  }

  /** Tells the engine the oldest WAL note still needed (the WAL below it may go). */
  private updateFloor(): void {
    this.engine.setNoteFloor(this.dirtyHead ? this.dirtyHead.noteSeq : this.engine.sequence + 1);
  }

  /** Drops a head from memory; its notes no longer matter (the series is gone, or leaves memory persisted). */
  private evict(id: string): void {
    const s = this.cache.get(id);
    if (s === undefined) return;
    this.clean(s);
    this.cache.delete(id);
    s.forget();
  }

  /** FLUSHALL: every series is gone. */
  private forgetAll(): void {
    for (const s of this.cache.values()) s.forget();
    this.cache.clear();
    this.postings.clear();
    this.dirtyHead = this.dirtyTail = null;
    this.updateFloor();
  }

  /** Persists heads whose oldest note has left the window, a slice per loop turn. */
  private maybePersist(): void {
    const h = this.dirtyHead;
    if (h === null || this.persistScheduled || this.engine.sequence - h.noteSeq < this.noteWindow) return;
    this.persistScheduled = true;
    setImmediate(() => {
      this.persistScheduled = false;
      this.persistSlice(this.engine.sequence - (this.noteWindow >>> 1));
    });
  }

  /**
   * Writes the notes of the heads whose oldest note is below `below` into engine entries (a delta of the appends, or
   * a new base every FOLD_DELTAS deltas), oldest first, at most PERSIST_SLICE heads in one batch; schedules the next
   * slice while some remain. Returns how many heads it persisted.
   */
  persistSlice(below: number): number {
    const w = this.begin();
    const heads: SeriesState[] = [];
    const done: SeriesState[] = [];
    const notes = this.engine.sequence;
    for (let s = this.dirtyHead; s !== null && s.noteSeq < below && heads.length < PERSIST_SLICE; s = s.nextDirty) {
      if (s.openStart === null || s.written <= s.persisted) {
        done.push(s);
        continue;
      }
      if (s.deltaSeq - s.covered >= FOLD_DELTAS) {
        w.ops.push({ type: "put", key: chunkKey(s.header.id, s.openStart), value: encodeBase(s, s.deltaSeq, notes) });
      } else {
        const slot = s.deltaSeq % FOLD_DELTAS;
        w.ops.push({ type: "put", key: deltaKey(s.header.id, s.openStart, slot), value: encodeDelta(s.deltaSeq, s.ts, s.vals, s.persisted, s.written, notes) });
      }
      heads.push(s);
    }
    // Heads with nothing left to write (their notes were covered another way) just leave the list.
    for (const s of done) this.clean(s);
    if (heads.length === 0) {
      this.updateFloor();
      return done.length;
    }
    try {
      this.ks.commit(w.ops, 0);
    } catch {
      // Writes refused for now (stall, full disk): the notes stay in the WAL; try again later.
      setTimeout(() => this.maybePersist(), 100).unref();
      return 0;
    }
    for (const s of heads) {
      if (s.deltaSeq - s.covered >= FOLD_DELTAS) {
        s.covered = s.deltaSeq;
      } else {
        s.slots = Math.max(s.slots, (s.deltaSeq % FOLD_DELTAS) + 1);
        s.deltaSeq++;
      }
      s.persisted = s.written;
      this.clean(s);
    }
    this.updateFloor();
    this.maybePersist();
    return heads.length + done.length;
  }

  /** Persists every head's notes now (TSKV.FLUSH, TSKV.COMPACT, tests). */
  persistAll(): void {
    while (this.dirtyHead !== null) if (this.persistSlice(Number.MAX_SAFE_INTEGER) === 0) break;
  }

  /**
   * Replays the WAL notes the engine keeps into the heads: each note names a series by key and id; a note is applied
   * when that series still has that id and its entries do not cover the note yet. Runs when the store attaches (after
   * a restart) and when memory is rebuilt.
   */
  private replayNotes(): void {
    let skipped = 0;
    this.engine.replayNotes((seq, key, value) => {
      const note = decodeNote(value);
      if (!note) {
        skipped++;
        return;
      }
      const s = this.series(key);
      if (!s || s.header.id !== note.id || seq <= s.notes) return;
      // Room for the whole note at once (one grow a note, not one each time a point fills the arrays).
      if (s.n + note.ts.length > s.ts.length) grow(s, s.n + note.ts.length);
      const ts = s.ts;
      const vals = s.vals;
      for (let i = 0; i < note.ts.length; i++) {
        const t = note.ts[i];
        if (s.n > 0 && t <= ts[s.n - 1]) {
          skipped++;
          continue;
        }
        if (s.openStart === null) s.openStart = t;
        ts[s.n] = t;
        vals[s.n] = note.vals[i];
        s.n++;
      }
      s.written = s.n;
      s.notes = seq;
      if (s.noteSeq === 0) this.linkDirty(s, seq);
    });
    this.replaySkipped += skipped;
    this.updateFloor();
  }

  /** Notes replay found malformed or out of order (none, unless the WAL was damaged). */
  replaySkipped = 0;

  private rebuildPending = false;

  private rebuildSoon(): void {
    if (this.rebuildPending) return;
    this.rebuildPending = true;
    // The turn's group may hold notes of earlier commands: written first, so the replay sees them.
    try {
      this.engine.commit();
    } catch {
      // a failed group reaches rebuild() through onWriteLost
    }
    this.rebuild();
  }

  /** Memory may be ahead of the engine (a write it refused or lost): every head is read again from the engine and WAL. */
  private rebuild(): void {
    this.rebuildPending = false;
    for (const s of this.cache.values()) s.forget();
    this.cache.clear();
    this.postings.clear();
    this.dirtyHead = this.dirtyTail = null;
    this.replayNotes();
  }

  /** The ops that write a series' header from its head (and its newest chunk first when notes are not in entries). */
  private headerOps(s: SeriesState): BatchOp[] {
    const ops: BatchOp[] = [];
    if (s.openStart !== null && s.n > s.persisted) {
      // The header records how far it covers the WAL notes: the newest chunk goes whole with it.
      ops.push({ type: "put", key: chunkKey(s.header.id, s.openStart), value: encodeBase(s, s.deltaSeq, this.engine.sequence) });
      s.covered = s.deltaSeq;
      s.written = s.persisted = s.n;
      s.full = false;
    }
    // Every note of the series is in the entries now: those at or below this sequence are never replayed.
    s.header.notesCovered = this.engine.sequence;
    this.clean(s);
    const fake: Meta = { type: TypeTag.SERIES, expireAt: s.expireAt, payload: EMPTY };
    ops.push(...this.ks.writeOps(s.key, TypeTag.SERIES, s.expireAt, encodeHeader(s.header), fake)[0]);
    return ops;
  }

  private stageHeader(w: SeriesBatch, s: SeriesState): void {
    w.ops.push(...this.headerOps(s));
  }

  /**
   * Compresses the newest chunk of every series into its base and deletes its delta slots, so a full compaction
   * leaves only compressed chunks (for TSKV.COMPACT: `SeriesStore.of(keyspace).foldAll()` before compacting).
   * Returns how many series changed.
   */
  async foldAll(keys?: Buffer[]): Promise<number> {
    if (!keys) keys = this.ks.seriesKeys().map(([k]) => k);
    const w = this.begin();
    let changed = 0;
    for (const key of keys) {
      const s = this.series(key);
      if (!s || s.openStart === null || (s.slots === 0 && s.persisted === s.n)) continue;
      const start = s.openStart;
      this.dropDeltas(w, s);
      w.ops.push({ type: "put", key: chunkKey(s.header.id, start), value: encodeBase(s, 0, this.engine.sequence) });
      s.written = s.persisted = s.n;
      s.full = false;
      this.clean(s);
      changed++;
      if (w.ops.length >= 4096) this.commitNow(w);
    }
    this.finish(w);
    return changed;
  }

  // ---- create, alter, rules ----------------------------------------------------------------------------------

  /** Creates an empty series (the key must not exist). */
  create(w: SeriesBatch, key: Buffer, o: CreateOptions): SeriesState {
    const id = this.nextId++;
    const header: SeriesHeader = {
      id,
      retention: o.retention,
      chunkSize: o.chunkSize,
      duplicatePolicy: o.duplicatePolicy,
      uncompressed: o.uncompressed,
      ignoreMaxTimeDiff: o.ignoreMaxTimeDiff,
      ignoreMaxValDiff: o.ignoreMaxValDiff,
      labels: o.labels,
      srcKey: null,
      rules: [],
      sealedSamples: 0,
      sealedChunks: 0,
      sealedBytes: 0,
      notesCovered: 0,
    };
    const b = Buffer.from(key);
    const s = emptyState(b, 0, header, b.toString("latin1"), this.mem);
    const [ops, delta] = this.ks.writeOps(s.key, TypeTag.SERIES, 0, encodeHeader(header), undefined);
    w.ops.push(...ops);
    w.delta += delta;
    for (const [n, v] of header.labels) w.ops.push({ type: "put", key: labelKey(n, v, s.key), value: EMPTY });
    w.ops.push({ type: "put", key: NEXT_ID_KEY, value: encodeNextId(this.nextId) });
    this.commitNow(w);
    this.cache.set(s.id, s);
    this.postings.added(header.labels);
    return s;
  }

  /** Rewrites the header after the caller changed settings; `oldLabels` (when given) are replaced in the index. */
  updateHeader(w: SeriesBatch, s: SeriesState, oldLabels?: Array<[string, string]>): void {
    if (oldLabels) {
      for (const [n, v] of oldLabels) w.ops.push({ type: "del", key: labelKey(n, v, s.key) });
      for (const [n, v] of s.header.labels) w.ops.push({ type: "put", key: labelKey(n, v, s.key), value: EMPTY });
      this.postings.added(s.header.labels);
    }
    this.stageHeader(w, s);
    this.commitNow(w);
  }

  /** The rules of `s` whose destination still names `s` as its source (RedisTimeSeries drops the others). */
  liveRules(s: SeriesState): CompactionRule[] {
    return s.header.rules.filter((r) => {
      const d = this.series(r.destKey);
      return d !== undefined && d.header.srcKey !== null && sameKey(d.header.srcKey, s.key);
    });
  }

  /** The source of `s` when that source still has a rule into `s`. */
  liveSource(s: SeriesState): SeriesState | undefined {
    if (!s.header.srcKey) return undefined;
    const src = this.series(s.header.srcKey);
    if (!src || !src.header.rules.some((r) => sameKey(r.destKey, s.key))) return undefined;
    return src;
  }

  /** Drops dangling rule and source references from the header (persisted with the next header write). */
  pruneReferences(s: SeriesState): boolean {
    let changed = false;
    const live = this.liveRules(s);
    if (live.length !== s.header.rules.length) {
      s.header.rules = live;
      changed = true;
    }
    if (s.header.srcKey && !this.liveSource(s)) {
      s.header.srcKey = null;
      changed = true;
    }
    return changed;
  }

  createRule(w: SeriesBatch, src: SeriesState, dest: SeriesState, rule: Omit<CompactionRule, "destKey" | "from">): void {
    src.header.rules.push({ ...rule, destKey: Buffer.from(dest.key), from: totalSamples(src) > 0 ? lastTimestamp(src) + 1 : 0 });
    dest.header.srcKey = Buffer.from(src.key);
    this.stageHeader(w, src);
    this.stageHeader(w, dest);
    this.commitNow(w);
  }

  /** Removes the rule src → destKey; false when there is none. */
  deleteRule(w: SeriesBatch, src: SeriesState, destKey: Buffer): boolean {
    const i = src.header.rules.findIndex((r) => sameKey(r.destKey, destKey));
    if (i < 0) return false;
    src.header.rules.splice(i, 1);
    this.stageHeader(w, src);
    const dest = this.series(destKey);
    if (dest && dest.header.srcKey && sameKey(dest.header.srcKey, src.key)) {
      dest.header.srcKey = null;
      this.stageHeader(w, dest);
    }
    this.commitNow(w);
    return true;
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  /**
   * RedisTimeSeries's internalAdd: the retention check, the IGNORE filter, then an append or an upsert (with the
   * duplicate policy: `policy` overrides the series' own, which overrides BLOCK), then compaction rules. Returns
   * the timestamp to reply with; throws CommandError with RedisTimeSeries's text when refused.
   */
  add(w: SeriesBatch, s: SeriesState, t: number, v: number, policy: DuplicatePolicy | null): number {
    const total = totalSamples(s);
    const last = lastTimestamp(s);
    const h = s.header;
    if (h.retention > 0 && t < last && h.retention < last - t) throw new CommandError(ERR_OLDER_THAN_RETENTION);
    const dp = policy ?? h.duplicatePolicy ?? "block";
    if (
      dp === "last" &&
      h.srcKey === null &&
      total !== 0 &&
      t >= last &&
      t - last <= h.ignoreMaxTimeDiff &&
      Math.abs(v - lastValue(s)) <= h.ignoreMaxValDiff
    ) {
      return last;
    }
    if (total !== 0 && t <= last) {
      this.upsert(w, s, t, v, dp);
      if (h.rules.length > 0) rules.upsertCompaction(this, w, s, t);
    } else {
      this.append(w, s, t, v);
      if (h.rules.length > 0) rules.appendCompaction(this, w, s, t, v, total, last);
    }
    return t;
  }

  private append(w: SeriesBatch, s: SeriesState, t: number, v: number): void {
    if (s.openStart === null) {
      s.openStart = t;
      s.n = 0;
    } else if (s.n >= maxChunkPoints(s.header.chunkSize)) {
      this.seal(w, s, t, v);
      return;
    }
    if (s.n === s.ts.length) grow(s, s.n + 1);
    s.ts[s.n] = t;
    s.vals[s.n] = v;
    s.n++;
    this.appended(w, s);
  }

  /** The newest chunk is full: it becomes a sealed chunk and (t, v) starts the next one. */
  private seal(w: SeriesBatch, s: SeriesState, t: number, v: number): void {
    const old = encodePoints(s);
    const h = s.header;
    w.ops.push({ type: "put", key: chunkKey(h.id, s.openStart as number), value: old });
    this.dropDeltas(w, s);
    h.sealedSamples += s.n;
    h.sealedChunks += 1;
    h.sealedBytes += old.length;
    s.openStart = t;
    if (s.ts.length === 0) grow(s, 1);
    s.ts[0] = t;
    s.vals[0] = v;
    s.n = 1;
    s.written = s.persisted = 1;
    s.full = false;
    this.clean(s);
    w.ops.push({ type: "put", key: chunkKey(h.id, t), value: encodePoints(s) });
    this.stageHeader(w, s);
    this.commitNow(w);
    this.trimRetention(w, s);
  }

  /** Deletes sealed chunks whose every point is past retention (RedisTimeSeries trims when a chunk is created). */
  trimRetention(w: SeriesBatch, s: SeriesState): void {
    if (s.header.retention <= 0 || s.openStart === null) return;
    const floor = retentionFloor(s);
    if (floor <= 0) return;
    const range = chunkRange(s.header.id);
    let dropped = 0;
    for (const [k, v] of this.engine.iterate({ gte: range.gte, lt: chunkKey(s.header.id, s.openStart) })) {
      if (chunkLastTimestamp(v) >= floor || dropped >= 4096) break;
      w.ops.push({ type: "del", key: k });
      s.header.sealedSamples -= chunkCount(v);
      s.header.sealedChunks -= 1;
      s.header.sealedBytes -= v.length;
      dropped++;
    }
    if (dropped === 0) return;
    this.stageHeader(w, s);
    this.commitNow(w);
  }

  /** Writes (t, v) at or before the last timestamp: into the chunk that covers t, by the duplicate policy. */
  private upsert(w: SeriesBatch, s: SeriesState, t: number, v: number, policy: DuplicatePolicy): void {
    const h = s.header;
    const max = maxChunkPoints(h.chunkSize);
    const openStart = s.openStart as number;
    if (t >= openStart || h.sealedChunks === 0) {
      upsertInto(s, t, v, policy);
      if (t < openStart) {
        // The only chunk: its key must stay at most its first timestamp.
        this.dropDeltas(w, s);
        w.ops.push({ type: "del", key: chunkKey(h.id, openStart) });
        s.openStart = t;
        this.rewritten(w, s);
        this.commitNow(w);
      } else {
        this.rewritten(w, s);
      }
      if (s.n > max * SPLIT_FACTOR) this.splitOpen(w, s);
      return;
    }
    const range = chunkRange(h.id);
    let found: [Buffer, Buffer] | undefined;
    for (const e of this.engine.iterate({ gte: range.gte, lte: chunkKey(h.id, t), reverse: true, limit: 1 })) found = e;
    if (!found) for (const e of this.engine.iterate({ gte: range.gte, lt: range.lt, limit: 1 })) found = e;
    if (!found) throw new Error("series chunk missing below the newest chunk");
    const [k, buf] = found;
    const p = decodePoints(buf, 1);
    const added = upsertInto(p, t, v, policy);
    const start = chunkStartOf(k);
    h.sealedSamples += added ? 1 : 0;
    h.sealedBytes -= buf.length;
    const newStart = Math.min(start, p.ts[0]);
    if (newStart !== start) w.ops.push({ type: "del", key: k });
    if (p.n > max * SPLIT_FACTOR) {
      const mid = p.n >>> 1;
      const lower: Points = { ts: p.ts.subarray(0, mid), vals: p.vals.subarray(0, mid), n: mid };
      const upper: Points = { ts: p.ts.subarray(mid, p.n), vals: p.vals.subarray(mid, p.n), n: p.n - mid };
      const a = encodePoints(lower);
      const b = encodePoints(upper);
      w.ops.push({ type: "put", key: chunkKey(h.id, newStart), value: a }, { type: "put", key: chunkKey(h.id, upper.ts[0]), value: b });
      h.sealedBytes += a.length + b.length;
      h.sealedChunks += 1;
    } else {
      const a = encodePoints(p);
      w.ops.push({ type: "put", key: chunkKey(h.id, newStart), value: a });
      h.sealedBytes += a.length;
    }
    this.stageHeader(w, s);
    this.commitNow(w);
  }

  /** The newest chunk outgrew its maximum through out-of-order writes: its older half becomes a sealed chunk. */
  private splitOpen(w: SeriesBatch, s: SeriesState): void {
    const h = s.header;
    const mid = s.n >>> 1;
    const lower = encodeChunk(s.ts, s.vals, mid);
    w.ops.push({ type: "put", key: chunkKey(h.id, s.openStart as number), value: lower });
    this.dropDeltas(w, s);
    h.sealedSamples += mid;
    h.sealedChunks += 1;
    h.sealedBytes += lower.length;
    s.ts.copyWithin(0, mid, s.n);
    s.vals.copyWithin(0, mid, s.n);
    s.n -= mid;
    s.openStart = s.ts[0];
    s.written = s.persisted = 0;
    this.rewritten(w, s);
    this.stageHeader(w, s);
    this.commitNow(w);
  }

  /**
   * TS.DEL: removes the points inside [from, to]. Chunks wholly inside go with one delete each, the ones at the
   * ends are rewritten; returns how many points went.
   */
  delRange(w: SeriesBatch, s: SeriesState, from: number, to: number): number {
    if (totalSamples(s) === 0 || from > to) return 0;
    const oldLast = lastTimestamp(s);
    const h = s.header;
    const openStart = s.openStart as number;
    const range = chunkRange(h.id);
    const openKey = chunkKey(h.id, openStart);
    let deleted = 0;
    // The newest sealed chunk left after the delete, for when the newest chunk empties.
    let survivor: { key: Buffer; buf: Buffer } | undefined;
    let sealedStart: Buffer | undefined;
    if (h.sealedChunks > 0 && from < openStart) {
      sealedStart = range.gte;
      for (const [k] of this.engine.iterate({ gte: range.gte, lte: chunkKey(h.id, from), reverse: true, limit: 1 })) sealedStart = k;
      for (const [k, buf] of this.engine.iterate({ gte: sealedStart, lt: openKey })) {
        if (chunkStartOf(k) > to) break;
        const first = chunkFirstTimestamp(buf);
        const last = chunkLastTimestamp(buf);
        const count = chunkCount(buf);
        if (last < from || first > to) {
          survivor = { key: k, buf };
          continue;
        }
        if (first >= from && last <= to) {
          w.ops.push({ type: "del", key: k });
          h.sealedSamples -= count;
          h.sealedChunks -= 1;
          h.sealedBytes -= buf.length;
          deleted += count;
          continue;
        }
        const p = decodePoints(buf);
        const gone = removeRange(p, from, to);
        const fresh = encodePoints(p);
        w.ops.push({ type: "put", key: k, value: fresh });
        h.sealedSamples -= gone;
        h.sealedBytes += fresh.length - buf.length;
        deleted += gone;
        survivor = { key: k, buf: fresh };
      }
    }
    const goneOpen = removeRange(s, from, to);
    deleted += goneOpen;
    if (goneOpen > 0 && s.n > 0) this.rewritten(w, s);
    if (goneOpen > 0 && s.n === 0) {
      w.ops.push({ type: "del", key: openKey });
      this.dropDeltas(w, s);
      s.full = false;
      if (!survivor && h.sealedChunks > 0) {
        // Every sealed chunk visited went: the newest one before them (untouched) is the newest chunk now.
        const below = sealedStart ?? openKey;
        for (const [k, buf] of this.engine.iterate({ gte: range.gte, lt: below, reverse: true, limit: 1 })) survivor = { key: k, buf };
      }
      if (survivor) {
        const p = decodePoints(survivor.buf);
        s.openStart = chunkStartOf(survivor.key);
        s.ts = p.ts;
        s.vals = p.vals;
        s.n = p.n;
        s.written = s.persisted = p.n;
        h.sealedSamples -= p.n;
        h.sealedChunks -= 1;
        h.sealedBytes -= survivor.buf.length;
      } else {
        s.openStart = null;
        s.ts = new Float64Array(0);
        s.vals = new Float64Array(0);
        s.n = 0;
        s.written = s.persisted = 0;
      }
    }
    if (deleted === 0) return 0;
    this.stageHeader(w, s);
    this.commitNow(w);
    if (h.rules.length > 0) rules.delRangeCompaction(this, w, s, from, to, oldLast);
    return deleted;
  }

  // ---- compaction rules (rules.ts) ---------------------------------------------------------------------------

  /** LATEST: the still-open bucket of a compaction's source, as the rule would write it; undefined otherwise. */
  latest(dest: SeriesState): Point | undefined {
    return rules.latest(this, dest);
  }

  // ---- reads (reads.ts) --------------------------------------------------------------------------------------

  /** The chunks holding points inside [from, to], as slices, in time order (newest first when `reverse`). */
  slices(s: SeriesState, from: number, to: number, reverse: boolean): Generator<ChunkSlice> {
    return reads.slices(this.engine, s, from, to, reverse);
  }

  /** The chunks a range touches, captured now in reply order (see reads.capture). */
  capture(s: SeriesState, from: number, to: number, reverse: boolean, enough = Infinity): reads.Captured {
    return reads.capture(this.engine, s, from, to, reverse, enough);
  }

  /** Points inside [from, to] one by one (for aggregation and reducers). */
  points(s: SeriesState, from: number, to: number, reverse: boolean): Generator<Point> {
    return reads.points(this.engine, s, from, to, reverse);
  }

  /** The first visible timestamp and how many stored points retention hides (TS.INFO). */
  firstValid(s: SeriesState): { first: number; skipped: number } {
    return reads.firstValid(this.engine, s);
  }

  /** Every chunk of the series in order, for TS.INFO DEBUG. */
  chunkInfos(s: SeriesState): ChunkInfo[] {
    return reads.chunkInfos(this.engine, s);
  }

  /** Bytes the series takes in the engine: header, chunks and their keys. */
  memoryUsage(s: SeriesState): number {
    return reads.memoryUsage(s);
  }

  /** Heads in memory (INFO memory). */
  get heads(): number {
    return this.cache.size;
  }

  /** True while `s` is the series under its key: not deleted, renamed away, overwritten or expired. */
  current(s: SeriesState): boolean {
    if (this.cache.get(s.id) !== s) return false;
    return this.ks.expireAtOf(s.id) === 0 || this.lookup(s.key) === s;
  }

  /** The series whose label `name` has one of `values`, in key order, from the labels index (postings.ts). */
  withLabel(name: string, values: string[]): SeriesState[] {
    if (values.length === 1) {
      const list = this.postings.get(name, values[0], () => this.readPostings(name, values[0]));
      const live = this.departed(list);
      if (live !== list) this.postings.pruned(name, values[0], live);
      return live;
    }
    if (values.length === 0) return [];
    const list = this.postings.union(name, values, () => this.mergePostings(name, values));
    const live = this.departed(list);
    if (live !== list) this.postings.prunedUnion(name, values, live);
    return live;
  }

  /** `list` itself when every head in it is current, else a copy without the others. */
  private departed(list: SeriesState[]): SeriesState[] {
    for (let i = 0; i < list.length; i++) if (!this.current(list[i])) return list.filter((s) => this.current(s));
    return list;
  }

  private mergePostings(name: string, values: string[]): SeriesState[] {
    let out: SeriesState[] = [];
    for (const value of values) {
      const list = this.postings.get(name, value, () => this.readPostings(name, value));
      out = out.concat(list);
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // A series given one label twice (LABELS a 1 a 2), or a value asked twice, is there twice.
    let n = out.length > 0 ? 1 : 0;
    for (let i = 1; i < out.length; i++) if (out[i] !== out[n - 1]) out[n++] = out[i];
    out.length = n;
    return out;
  }

  private readPostings(name: string, value: string): SeriesState[] {
    const out: SeriesState[] = [];
    for (const key of reads.keysWithLabel(this.engine, name, [value])) {
      const s = this.series(key);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  // ---- COPY --------------------------------------------------------------------------------------------------

  /**
   * COPY of a series to `dstKey`, as RedisTimeSeries's CopySeries makes it: a new series (its own id) with the
   * source's samples, labels (indexed under the new key), settings and expiry, but no compaction rules and no
   * source (`srcKey`): the copy takes part in no compaction. `old` is what `dstKey` held (COPY … REPLACE): a series
   * there is deleted as DEL deletes it. Sealed chunks are copied entry for entry; the newest chunk is written whole
   * from the head (its latest points may still be WAL notes only). Everything goes in one engine batch.
   */
  copy(w: SeriesBatch, src: SeriesState, dstKey: Buffer, old: Meta | undefined): void {
    const id = this.nextId++;
    const header: SeriesHeader = {
      ...src.header,
      id,
      labels: src.header.labels.map(([n, v]) => [n, v]),
      srcKey: null,
      rules: [],
      notesCovered: this.engine.sequence,
    };
    const key = Buffer.from(dstKey);
    if (old?.type === TypeTag.SERIES) w.ops.push(...this.onDelete(key, old));
    else this.evict(key.toString("latin1"));
    const [ops, delta] = this.ks.writeOps(key, TypeTag.SERIES, src.expireAt, encodeHeader(header), old);
    w.ops.push(...ops);
    w.delta += delta;
    for (const [n, v] of header.labels) w.ops.push({ type: "put", key: labelKey(n, v, key), value: EMPTY });
    const range = chunkRange(src.header.id);
    for (const [k, v] of this.engine.iterate({ gte: range.gte, lt: range.lt })) {
      // Delta slots and the base of the newest chunk are the head's points, written below.
      if (k.length === DELTA_KEY_LENGTH || chunkStartOf(k) === src.openStart) continue;
      w.ops.push({ type: "put", key: chunkKey(id, chunkStartOf(k)), value: Buffer.from(v) });
    }
    if (src.openStart !== null) w.ops.push({ type: "put", key: chunkKey(id, src.openStart), value: encodeBase(src, 0, this.engine.sequence) });
    w.ops.push({ type: "put", key: NEXT_ID_KEY, value: encodeNextId(this.nextId) });
    this.commitNow(w);
    this.postings.added(header.labels);
  }
}

onKeyspaceLoad((ks) => {
  SeriesStore.of(ks);
});


// The memtable's records and the image of a frozen memtable that a flush reads.
//
// Keys and versions are records in an arena of 1 MiB slabs (appended to, never rewritten), named by a ref: slab
// number and 8-byte-aligned offset in one int. A key record is [newest version ref i32, length i32, the key's bytes];
// a version record is [sequence f64, next older version ref i32, value length i32 (-1: tombstone), the value's bytes].
// Keys and values over INLINE_MAX bytes are kept apart, in `bigs` (the record holds their index there).
//
// The slabs are shared memory (SharedArrayBuffer), so a frozen memtable goes to the flush worker as a MemImage
// without a copy: the slabs, the big keys and values, and the refs of its key records. The worker orders the keys
// itself (sortKeyRefs) and reads each key's readable versions straight from the records (writeReadable): the loop
// never sorts or serializes a memtable for a flush.

/** Where writeReadable() puts entries: key kb[ko, ko + kl), value vb[vo, vo + vl) or null for a tombstone. */
export interface EntrySink {
  add(kb: Uint8Array, ko: number, kl: number, seq: number, vb: Uint8Array | null, vo: number, vl: number): void;
}

/** Slab size; refs are slab << OFF_BITS | offset / 8, so at most MAX_SLABS slabs (16 GiB) a memtable. */
export const SLAB = 1 << 20;
export const OFF_BITS = 17;
export const OFF_MASK = (1 << OFF_BITS) - 1;
export const MAX_SLABS = (1 << 14) - 1;
/** Keys and values longer than this live outside the arena, in `bigs`. */
export const INLINE_MAX = 64 << 10;
/** No version: the end of a chain, and the newest version of a removed key. No key: an index miss. */
export const NONE = -1;
/** The value length of a tombstone. */
export const TOMBSTONE = -1;

/** Append-only memory in shared 1 MiB slabs, each seen as bytes, int32s and float64s; records are 8-byte aligned. */
export class Arena {
  readonly u8: Buffer[] = [];
  /** Each slab's own (shared) ArrayBuffer, for making views without reading it from a Buffer again. */
  readonly ab: ArrayBufferLike[] = [];
  readonly i32: Int32Array[] = [];
  readonly f64: Float64Array[] = [];
  private used = SLAB;

  /** A ref to `n` (≤ SLAB) fresh bytes. */
  alloc(n: number): number {
    const size = (n + 7) & ~7;
    if (this.used + size > SLAB) {
      if (this.u8.length >= MAX_SLABS) throw new RangeError(`memtable over ${MAX_SLABS} MiB: lower --memtable-size`);
      this.addSlab(new SharedArrayBuffer(SLAB));
      this.used = 0;
    }
    const off = this.used;
    this.used = off + size;
    return ((this.u8.length - 1) << OFF_BITS) | (off >> 3);
  }

  private addSlab(sab: SharedArrayBuffer | ArrayBufferLike): void {
    this.u8.push(Buffer.from(sab, 0, SLAB));
    this.ab.push(sab);
    this.i32.push(new Int32Array(sab, 0, SLAB >> 2));
    this.f64.push(new Float64Array(sab, 0, SLAB >> 3));
  }

  /** An arena over slabs made elsewhere (a MemImage's, in the flush worker); read only. */
  static over(slabs: readonly Uint8Array[]): Arena {
    const a = new Arena();
    for (const s of slabs) {
      if (s.byteOffset !== 0 || s.byteLength !== SLAB) throw new RangeError("memtable image: a slab is not a whole 1 MiB buffer");
      a.addSlab(s.buffer);
    }
    return a;
  }
}

/** A frozen memtable as handed to a flush (structured-cloneable: the slabs are shared, the rest is copied). */
export interface MemImage {
  slabs: Uint8Array[];
  bigs: Uint8Array[];
  /** Key record refs, in no particular order; a removed key's record has newest version NONE. */
  keys: Int32Array;
}

/** Reads the records of an arena (the live memtable's, or one rebuilt from a MemImage). */
export class RecordReader {
  constructor(
    readonly arena: Arena,
    readonly bigs: readonly Uint8Array[],
  ) {}

  static of(image: MemImage): RecordReader {
    return new RecordReader(Arena.over(image.slabs), image.bigs);
  }

  /**
   * Sorts key record refs into the keys' bytewise order, in place. An MSD radix sort by 4-byte digits: the digits of
   * a range at one depth are read once into a Float64Array (a digit is the 4 bytes big-endian, zero-padded past the
   * key's end, times 5, plus how many of the 4 bytes the key has, so a key ending inside the digit sorts before the
   * longer keys it prefixes), the range is sorted by digit, and each run of equal full digits is sorted again at the
   * next depth. Shared prefixes cost one pass each; no string or object is made per key.
   */
  sortKeyRefs(refs: Int32Array): void {
    const n = refs.length;
    if (n < 2) return;
    const digits = new Float64Array(n);
    const todo: number[] = [0, n, 0];
    while (todo.length > 0) {
      const depth = todo.pop() as number;
      const hi = todo.pop() as number;
      const lo = todo.pop() as number;
      for (let i = lo; i < hi; i++) digits[i] = this.digit(refs[i], depth);
      sortByDigit(digits, refs, lo, hi);
      let s = lo;
      while (s < hi) {
        const d = digits[s];
        let e = s + 1;
        while (e < hi && digits[e] === d) e++;
        if (e - s > 1 && d % 5 === 4) todo.push(s, e, depth + 4);
        s = e;
      }
    }
  }

  /** The 4-byte digit of key record `k` at byte `depth` (see sortKeyRefs). */
  private digit(k: number, depth: number): number {
    const slab = k >>> OFF_BITS;
    const w = (k & OFF_MASK) << 1;
    const ints = this.arena.i32[slab];
    const n = ints[w + 1];
    let b: Uint8Array;
    let o: number;
    if (n <= INLINE_MAX) {
      b = this.arena.u8[slab];
      o = 4 * w + 8 + depth;
    } else {
      b = this.bigs[ints[w + 2]];
      o = depth;
    }
    const rem = n - depth;
    if (rem >= 4) return (b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])) * 5 + 4;
    let v = 0;
    for (let j = 0; j < 4; j++) v = v * 256 + (j < rem ? b[o + j] : 0);
    return v * 5 + (rem > 0 ? rem : 0);
  }

  /**
   * Writes the versions someone can read into `sink`, keys in the order of `refs` (sorted): each key's newest, and an
   * older one only where a snapshot (a sequence in `snapshots`) lies between it and the next newer version. An
   * overwrite-heavy memtable thus flushes as a table of its live keys (RocksDB does this at flush; LevelDB leaves it
   * to compaction, which keeps its own, coarser smallest-snapshot rule). Bytes go from the slabs to the sink with no
   * view or entry object per version. Yields after every `slice` keys.
   */
  *writeReadable(refs: Int32Array, snapshots: readonly number[], sink: EntrySink, slice = 8192): Generator<void, void> {
    const snaps = [...new Set(snapshots)].sort((a, b) => a - b);
    /** True when some snapshot s has seq <= s < newer. */
    const readBy = (seq: number, newer: number): boolean => {
      let lo = 0;
      let hi = snaps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (snaps[mid] < seq) lo = mid + 1;
        else hi = mid;
      }
      return lo < snaps.length && snaps[lo] < newer;
    };
    const { u8, i32, f64 } = this.arena;
    for (let r = 0; r < refs.length; r++) {
      const k = refs[r];
      const kw = (k & OFF_MASK) << 1;
      const kInts = i32[k >>> OFF_BITS];
      let v = kInts[kw];
      if (v === NONE) continue; // removed
      const kl = kInts[kw + 1];
      let kb: Uint8Array;
      let ko: number;
      if (kl <= INLINE_MAX) {
        kb = u8[k >>> OFF_BITS];
        ko = 4 * kw + 8;
      } else {
        kb = this.bigs[kInts[kw + 2]];
        ko = 0;
      }
      let newer = Infinity;
      while (v !== NONE) {
        const slab = v >>> OFF_BITS;
        const d = v & OFF_MASK;
        const ints = i32[slab];
        const seq = f64[slab][d];
        if (newer === Infinity || (snaps.length > 0 && readBy(seq, newer))) {
          const vl = ints[2 * d + 3];
          if (vl === TOMBSTONE) sink.add(kb, ko, kl, seq, null, 0, 0);
          else if (vl > INLINE_MAX) sink.add(kb, ko, kl, seq, this.bigs[ints[2 * d + 4]], 0, vl);
          else sink.add(kb, ko, kl, seq, u8[slab], 8 * d + 16, vl);
        }
        if (snaps.length === 0) break;
        newer = seq;
        v = ints[2 * d + 2];
      }
      if ((r + 1) % slice === 0) yield;
    }
  }
}

/** Sorts digits[lo, hi) ascending, moving refs along: quicksort with a three-way partition, insertion sort below 16. */
function sortByDigit(digits: Float64Array, refs: Int32Array, lo: number, hi: number): void {
  const stack: number[] = [];
  for (;;) {
    while (hi - lo > 16) {
      // Median of three as the pivot.
      const mid = lo + ((hi - lo) >> 1);
      const a = digits[lo];
      const b = digits[mid];
      const c = digits[hi - 1];
      const p = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
      // Dijkstra's partition: [lo, lt) < p, [lt, i) = p, (gt, hi) > p.
      let lt = lo;
      let gt = hi - 1;
      let i = lo;
      while (i <= gt) {
        const d = digits[i];
        if (d < p) {
          swap(digits, refs, i++, lt++);
        } else if (d > p) {
          swap(digits, refs, i, gt--);
        } else {
          i++;
        }
      }
      // Keep the larger side for later and go on with the smaller: the stack stays O(log n).
      if (lt - lo < hi - gt - 1) {
        stack.push(gt + 1, hi);
        hi = lt;
      } else {
        stack.push(lo, lt);
        lo = gt + 1;
      }
    }
    for (let i = lo + 1; i < hi; i++) {
      const d = digits[i];
      const r = refs[i];
      let j = i - 1;
      while (j >= lo && digits[j] > d) {
        digits[j + 1] = digits[j];
        refs[j + 1] = refs[j];
        j--;
      }
      digits[j + 1] = d;
      refs[j + 1] = r;
    }
    if (stack.length === 0) return;
    hi = stack.pop() as number;
    lo = stack.pop() as number;
  }
}

function swap(digits: Float64Array, refs: Int32Array, i: number, j: number): void {
  const d = digits[i];
  digits[i] = digits[j];
  digits[j] = d;
  const r = refs[i];
  refs[i] = refs[j];
  refs[j] = r;
}

// Blocks (docs/format.md, "Blocks"): sorted entries with prefix-compressed keys and restart points.
//   entry:  shared varint | unshared varint | seq varint | value tag varint (0 = tombstone, n + 1 = n value bytes)
//           | unshared key bytes | value bytes
//   tail:   restart offsets u32 LE … | restart count u32 LE
// Entries are in internal order: user key ascending (bytewise), then sequence descending. An entry at a restart
// point shares nothing with the one before it, so a search can binary-search the restarts and scan at most
// `restartInterval` entries.
import { copyBytes } from "../../util/bytes";
import { compareBytes } from "../memtable/skiplist";
import { readVarint, writeVarint } from "../varint";

/**
 * Builds one block at a time into a buffer it reuses: entries are written straight into it (no Buffer per entry),
 * and the previous key is kept as a copy (callers may reuse their key buffers).
 */
export class BlockBuilder {
  private buf = Buffer.allocUnsafe(8192);
  private size = 0;
  private restarts: number[] = [0];
  private sinceRestart = 0;
  private last = Buffer.allocUnsafe(64);
  private lastLen = 0;
  private count = 0;

  constructor(private readonly restartInterval = 16) {}

  get entries(): number {
    return this.count;
  }

  /** Bytes the finished block will have. */
  get estimatedSize(): number {
    return this.size + this.restarts.length * 4 + 4;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  add(key: Uint8Array, seq: number, value: Uint8Array | null): void {
    let shared = 0;
    if (this.sinceRestart >= this.restartInterval) {
      this.restarts.push(this.size);
      this.sinceRestart = 0;
    } else {
      const last = this.last;
      const n = Math.min(key.length, this.lastLen);
      while (shared < n && key[shared] === last[shared]) shared++;
    }
    const unshared = key.length - shared;
    const vlen = value === null ? 0 : value.length;
    // Four varints of at most 10 bytes each, the key's unshared bytes, the value.
    this.ensure(40 + unshared + vlen);
    const b = this.buf;
    let p = writeVarint(b, this.size, shared);
    p = writeVarint(b, p, unshared);
    p = writeVarint(b, p, seq);
    p = writeVarint(b, p, value === null ? 0 : vlen + 1);
    copyBytes(b, p, key, shared, unshared);
    p += unshared;
    if (vlen > 0) {
      copyBytes(b, p, value as Uint8Array);
      p += vlen;
    }
    this.size = p;
    if (this.last.length < key.length) this.last = Buffer.allocUnsafe(key.length * 2);
    copyBytes(this.last, 0, key);
    this.lastLen = key.length;
    this.sinceRestart++;
    this.count++;
  }

  /** The finished block (its own copy). */
  finish(): Buffer {
    return Buffer.from(this.finishView());
  }

  /** The finished block as a view of the builder's buffer: valid until the next add() or reset(). */
  finishView(): Buffer {
    const n = this.restarts.length;
    this.ensure(n * 4 + 4);
    const b = this.buf;
    let p = this.size;
    for (let i = 0; i < n; i++, p += 4) b.writeUInt32LE(this.restarts[i], p);
    b.writeUInt32LE(n, p);
    return b.subarray(0, p + 4);
  }

  reset(): void {
    this.size = 0;
    this.restarts = [0];
    this.sinceRestart = 0;
    this.lastLen = 0;
    this.count = 0;
  }

  private ensure(n: number): void {
    if (this.size + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.size + n));
    this.buf.copy(grown, 0, 0, this.size);
    this.buf = grown;
  }
}

/** Thrown by block parsing; the table reader turns it into a corruption error naming file and offset. */
export class BlockFormatError extends Error {
  constructor(
    readonly at: number,
    what: string,
  ) {
    super(what);
  }
}

/** Internal order of (key, seq) pairs: key ascending, sequence descending. */
export function compareInternal(ak: Uint8Array, as: number, bk: Uint8Array, bs: number): number {
  const c = compareBytes(ak, bk);
  if (c !== 0) return c;
  return as > bs ? -1 : as < bs ? 1 : 0;
}

/** A cursor over one block's entries. `key` is reused between steps: copy it to keep it. */
export class BlockIter {
  readonly restartsAt: number;
  readonly numRestarts: number;
  /** Offset of the current entry, or -1 when exhausted. */
  pos = -1;
  private nextPos = 0;
  private keyBuf = Buffer.allocUnsafe(64);
  keyLen = 0;
  seq = 0;
  value: Buffer | null = null;

  constructor(readonly data: Buffer) {
    if (data.length < 4) throw new BlockFormatError(0, "block shorter than its restart count");
    const n = data.readUInt32LE(data.length - 4);
    const at = data.length - 4 - n * 4;
    if (n === 0 || at < 0) throw new BlockFormatError(data.length - 4, `bad restart count ${n}`);
    this.numRestarts = n;
    this.restartsAt = at;
  }

  get key(): Buffer {
    return this.keyBuf.subarray(0, this.keyLen);
  }

  get valid(): boolean {
    return this.pos >= 0;
  }

  private restart(i: number): number {
    const off = this.data.readUInt32LE(this.restartsAt + i * 4);
    if (off >= this.restartsAt && !(off === 0 && this.restartsAt === 0)) throw new BlockFormatError(this.restartsAt + i * 4, `restart offset ${off} out of range`);
    return off;
  }

  /** Decodes the entry at `p` (keyLen must hold the previous key for shared bytes). */
  private decodeAt(p: number): void {
    const d = this.data;
    const end = this.restartsAt;
    if (p >= end) {
      this.pos = -1;
      return;
    }
    const a = readVarint(d, p, end);
    const b = a && readVarint(d, a[1], end);
    const c = b && readVarint(d, b[1], end);
    const t = c && readVarint(d, c[1], end);
    if (!a || !b || !c || !t) throw new BlockFormatError(p, "truncated entry header");
    const shared = a[0];
    const unshared = b[0];
    const vlen = t[0] === 0 ? 0 : t[0] - 1;
    let q = t[1];
    if (shared > this.keyLen || q + unshared + vlen > end) throw new BlockFormatError(p, "entry runs past its block");
    const klen = shared + unshared;
    if (klen > this.keyBuf.length) {
      const nb = Buffer.allocUnsafe(Math.max(klen, this.keyBuf.length * 2));
      this.keyBuf.copy(nb, 0, 0, shared);
      this.keyBuf = nb;
    }
    copyBytes(this.keyBuf, shared, d, q, unshared);
    q += unshared;
    this.keyLen = klen;
    this.seq = c[0];
    this.value = t[0] === 0 ? null : d.subarray(q, q + vlen);
    this.pos = p;
    this.nextPos = q + vlen;
  }

  first(): this {
    this.keyLen = 0;
    this.decodeAt(0);
    return this;
  }

  next(): this {
    if (this.pos < 0) return this;
    this.decodeAt(this.nextPos);
    return this;
  }

  /** Positions at the first entry ≥ (key, seq) in internal order; invalid when there is none. */
  seek(key: Uint8Array, seq: number): this {
    let lo = 0;
    let hi = this.numRestarts - 1;
    // The last restart whose first entry is < target.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      this.keyLen = 0;
      this.decodeAt(this.restart(mid));
      if (this.pos >= 0 && compareInternal(this.key, this.seq, key, seq) < 0) lo = mid;
      else hi = mid - 1;
    }
    this.keyLen = 0;
    this.decodeAt(this.restart(lo));
    while (this.pos >= 0 && compareInternal(this.key, this.seq, key, seq) < 0) this.decodeAt(this.nextPos);
    return this;
  }

  /**
   * Every entry of the block in order, or those whose key is ≤ `upTo` (for reverse iteration, which walks a decoded
   * block backwards).
   */
  all(upTo?: Uint8Array): Array<{ key: Buffer; seq: number; value: Buffer | null }> {
    const out: Array<{ key: Buffer; seq: number; value: Buffer | null }> = [];
    for (this.first(); this.valid; this.next()) {
      const key = this.key;
      if (upTo !== undefined && compareBytes(key, upTo) > 0) break;
      out.push({ key: Buffer.from(key), seq: this.seq, value: this.value });
    }
    return out;
  }
}

// Appends logical records to one WAL segment in LevelDB's block framing. A group of records goes out with one
// write; if that write fails or is short, the file is truncated back to the last good offset before anything else
// may be appended, so a failed write never leaves a half record in front of later ones.
import * as path from "node:path";
import { maskCrc } from "../../util/crc32c";
import { putU16LE, putU32LE } from "../../util/bytes";
import { native } from "../../native";
import type { FileSystem } from "../io";
import { BLOCK_SIZE, HEADER_SIZE, PayloadKind, RecordType, SEGMENT_MAGIC, WAL_FORMAT_VERSION, segmentName } from "./format";

/** Group buffers at most this large are kept for the next group; a larger one (a huge value) is let go. */
const KEEP_BYTES = 1 << 20;

/**
 * Frames payloads into physical records as they are added, for one write at `offset` of a segment. A payload is
 * written by its producer straight into the buffer (reserve(), then commit() frames it): a payload that fits in the
 * current block's room is framed in place, one crossing block boundaries has its later pieces moved up to make room
 * for their headers (each byte moves once). So the group is built without a Buffer or a copy per payload.
 */
export class RecordFramer {
  private buf: Buffer;
  private used = 0;
  /** [start, length] of what each physical record's CRC covers (type byte and data), not yet computed. */
  private ranges = new Int32Array(512);
  private crcs = new Uint32Array(256);
  private unsummed = 0;

  constructor(
    /** Segment offset of the buffer's first byte. */
    private offset: number,
    initial = 64 << 10,
  ) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes framed so far. */
  get size(): number {
    return this.used;
  }

  /** The buffer a reserved payload is written into (valid until the next reserve()). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Makes room for a payload of `len` bytes; returns where in `buffer` it goes. Commit it with commit(len). */
  reserve(len: number): number {
    const room = BLOCK_SIZE - ((this.offset + this.used) % BLOCK_SIZE);
    // Padding, then at most one piece per block the payload touches, each with its header.
    this.ensure((room < HEADER_SIZE ? room : 0) + HEADER_SIZE * (2 + Math.ceil(len / (BLOCK_SIZE - HEADER_SIZE))) + len);
    if (room < HEADER_SIZE) {
      // A block's tail too short for a header is zero-filled; the record starts in the next block.
      this.buf.fill(0, this.used, this.used + room);
      this.used += room;
    }
    return this.used + HEADER_SIZE;
  }

  /** Frames the `len` bytes written at the reserved place as one logical record (one or more physical ones). */
  commit(len: number): void {
    const buf = this.buf;
    const start = this.used;
    const room = BLOCK_SIZE - ((this.offset + start) % BLOCK_SIZE);
    const first = Math.min(len, room - HEADER_SIZE);
    if (first === len) {
      this.header(start, len, RecordType.FULL);
      this.used = start + HEADER_SIZE + len;
      return;
    }
    // Later pieces fill whole blocks from their start (header, then up to a block's worth of data): move each up by
    // the headers before it, last piece first, so nothing is overwritten before it has moved.
    const rest = len - first;
    const per = BLOCK_SIZE - HEADER_SIZE;
    const pieces = Math.ceil(rest / per);
    const src0 = start + HEADER_SIZE + first;
    for (let k = pieces; k >= 1; k--) {
      const from = src0 + (k - 1) * per;
      const n = Math.min(per, rest - (k - 1) * per);
      buf.copyWithin(from + k * HEADER_SIZE, from, from + n);
    }
    this.header(start, first, RecordType.FIRST);
    let pos = start + HEADER_SIZE + first;
    for (let k = 1; k <= pieces; k++) {
      const n = Math.min(per, rest - (k - 1) * per);
      this.header(pos, n, k === pieces ? RecordType.LAST : RecordType.MIDDLE);
      pos += HEADER_SIZE + n;
    }
    this.used = pos;
  }

  /** Adds a payload that already exists as bytes. */
  add(payload: Uint8Array): void {
    const at = this.reserve(payload.length);
    this.buf.set(payload, at);
    this.commit(payload.length);
  }

  /**
   * The logical records framed from `mark` (an earlier `size`) on, each reassembled from its physical pieces: the
   * bytes as added, copied out of the buffer.
   */
  payloadsSince(mark: number): Buffer[] {
    const out: Buffer[] = [];
    let parts: Buffer[] = [];
    let pos = mark;
    while (pos < this.used) {
      const room = BLOCK_SIZE - ((this.offset + pos) % BLOCK_SIZE);
      if (room < HEADER_SIZE) {
        pos += room; // a zero-filled block tail
        continue;
      }
      const len = this.buf[pos + 4] | (this.buf[pos + 5] << 8);
      const type = this.buf[pos + 6];
      parts.push(this.buf.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + len));
      if (type === RecordType.FULL || type === RecordType.LAST) {
        out.push(Buffer.concat(parts));
        parts = [];
      }
      pos += HEADER_SIZE + len;
    }
    return out;
  }

  /** Drops what was framed from `mark` (an earlier `size`) on, as if it had never been added. */
  rewind(mark: number): void {
    if (mark >= this.used) return;
    this.used = mark;
    while (this.unsummed > 0 && this.ranges[2 * (this.unsummed - 1)] >= mark) this.unsummed--;
  }

  /** The framed bytes (a view of the buffer: valid until the next reserve() or reset()). */
  bytes(): Buffer {
    this.sum();
    return this.buf.subarray(0, this.used);
  }

  /** Computes the CRCs of the records framed since the last call, all in one native call, and stores them. */
  private sum(): void {
    const n = this.unsummed;
    if (n === 0) return;
    if (this.crcs.length < n) this.crcs = new Uint32Array(this.ranges.length >> 1);
    native.crc32cMany(this.buf, this.ranges, n, this.crcs);
    const buf = this.buf;
    const ranges = this.ranges;
    const crcs = this.crcs;
    for (let i = 0; i < n; i++) putU32LE(buf, ranges[2 * i] - 6, maskCrc(crcs[i]));
    this.unsummed = 0;
  }

  /** Starts over at segment offset `offset` (after the bytes were written, or to drop them). */
  reset(offset: number): void {
    this.offset = offset;
    this.used = 0;
    this.unsummed = 0;
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafe(64 << 10);
  }

  private header(pos: number, n: number, type: number): void {
    const buf = this.buf;
    putU16LE(buf, pos + 4, n);
    buf[pos + 6] = type;
    // The CRC covers the type byte and the data, which lie next to each other; it is computed with the group's.
    const i = this.unsummed;
    if (2 * i + 2 > this.ranges.length) {
      const grown = new Int32Array(this.ranges.length * 2);
      grown.set(this.ranges);
      this.ranges = grown;
    }
    this.ranges[2 * i] = pos + 6;
    this.ranges[2 * i + 1] = 1 + n;
    this.unsummed = i + 1;
  }

  private ensure(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + n));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }
}

/** Frames payloads into physical records starting at `offset` of a segment; returns the bytes. */
export function frameRecords(payloads: Buffer[], offset: number): Buffer {
  const f = new RecordFramer(offset);
  for (const p of payloads) f.add(p);
  return f.bytes();
}

export function segmentHeaderPayload(segment: number): Buffer {
  const b = Buffer.alloc(1 + SEGMENT_MAGIC.length + 1 + 8);
  b[0] = PayloadKind.HEADER;
  SEGMENT_MAGIC.copy(b, 1);
  b[1 + SEGMENT_MAGIC.length] = WAL_FORMAT_VERSION;
  b.writeBigUInt64LE(BigInt(segment), 2 + SEGMENT_MAGIC.length);
  return b;
}

export class WalSegmentWriter {
  /** Offset just past the last record known to be written completely. */
  private offset: number;

  private constructor(
    private readonly fs: FileSystem,
    readonly number: number,
    readonly file: string,
    readonly fd: number,
    offset: number,
  ) {
    this.offset = offset;
  }

  /** Creates a new segment (with its header record) and makes its directory entry durable. */
  static create(fs: FileSystem, dir: string, number: number): WalSegmentWriter {
    const file = path.join(dir, segmentName(number));
    const fd = fs.openSync(file, "wx");
    const w = new WalSegmentWriter(fs, number, file, fd, 0);
    w.append([segmentHeaderPayload(number)]);
    fs.fsyncSync(fd);
    fs.syncDir(dir);
    return w;
  }

  /** Continues an existing segment whose valid data ends at `offset` (recovery has cut anything after it). */
  static reopen(fs: FileSystem, file: string, number: number, offset: number): WalSegmentWriter {
    const fd = fs.openSync(file, "r+");
    return new WalSegmentWriter(fs, number, file, fd, offset);
  }

  get size(): number {
    return this.offset;
  }

  /**
   * The records of the next group, framed as they are added (see RecordFramer): reserve() and commit() a payload in
   * group.buffer, then writeGroup().
   */
  get group(): RecordFramer {
    return (this.staged ??= new RecordFramer(this.offset));
  }

  private staged: RecordFramer | undefined;

  /** Writes the payloads as one group. Throws (after truncating back) when the write fails or is short. */
  append(payloads: Buffer[]): void {
    const g = this.group;
    for (const p of payloads) g.add(p);
    this.writeGroup();
  }

  /**
   * Writes the staged group with one write, then starts an empty one. Throws (after truncating back, with the
   * group dropped) when the write fails or is short.
   */
  writeGroup(): void {
    const g = this.group;
    const bytes = g.bytes();
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = this.fs.writeSync(this.fd, bytes, done, bytes.length - done, this.offset + done);
        if (n <= 0) throw Object.assign(new Error("short write to WAL"), { code: "EIO" });
        done += n;
      }
    } catch (e) {
      g.reset(this.offset);
      if (done > 0) {
        try {
          this.fs.ftruncateSync(this.fd, this.offset);
        } catch (te) {
          // Cannot restore the file's end: nothing more may be appended to it.
          throw Object.assign(new Error(`WAL write failed and truncation failed: ${(te as Error).message}`), {
            code: "EIO",
            cause: e,
          });
        }
      }
      throw e;
    }
    this.offset += bytes.length;
    g.reset(this.offset);
  }

  /** Synchronous fsync, for rotation and close. */
  syncNow(): void {
    this.fs.fsyncSync(this.fd);
  }

  sync(): Promise<void> {
    return this.fs.fdatasync(this.fd);
  }

  close(): void {
    this.fs.closeSync(this.fd);
  }
}

// Appends logical records to one WAL segment in LevelDB's block framing. A group of records goes out with one
// write; if that write fails or is short, the file is truncated back to the last good offset before anything else
// may be appended, so a failed write never leaves a half record in front of later ones.
import * as path from "node:path";
import { crc32c, maskCrc } from "../../util/crc32c";
import type { FileSystem } from "../io";
import { BLOCK_SIZE, HEADER_SIZE, PayloadKind, RecordType, SEGMENT_MAGIC, WAL_FORMAT_VERSION, segmentName } from "./format";

const ZEROES = Buffer.alloc(HEADER_SIZE);

/** Frames payloads into physical records starting at `offset` of a segment; returns the bytes. */
export function frameRecords(payloads: Buffer[], offset: number): Buffer {
  let size = 0;
  let sim = offset;
  for (const p of payloads) {
    let left = p.length;
    let first = true;
    while (first || left > 0) {
      const room = BLOCK_SIZE - (sim % BLOCK_SIZE);
      if (room < HEADER_SIZE) {
        size += room;
        sim += room;
        continue;
      }
      const n = Math.min(left, room - HEADER_SIZE);
      size += HEADER_SIZE + n;
      sim += HEADER_SIZE + n;
      left -= n;
      first = false;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  let at = offset;
  for (const p of payloads) {
    let start = 0;
    let first = true;
    while (first || start < p.length) {
      const room = BLOCK_SIZE - (at % BLOCK_SIZE);
      if (room < HEADER_SIZE) {
        ZEROES.copy(out, pos, 0, room);
        pos += room;
        at += room;
        continue;
      }
      const n = Math.min(p.length - start, room - HEADER_SIZE);
      const end = start + n === p.length;
      const type = first && end ? RecordType.FULL : first ? RecordType.FIRST : end ? RecordType.LAST : RecordType.MIDDLE;
      out.writeUInt16LE(n, pos + 4);
      out[pos + 6] = type;
      p.copy(out, pos + HEADER_SIZE, start, start + n);
      // The CRC covers the type byte and the data, which lie next to each other in `out`.
      out.writeUInt32LE(maskCrc(crc32c(out.subarray(pos + 6, pos + HEADER_SIZE + n))), pos);
      pos += HEADER_SIZE + n;
      at += HEADER_SIZE + n;
      start += n;
      first = false;
    }
  }
  return out;
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

  /** Writes the payloads as one group. Throws (after truncating back) when the write fails or is short. */
  append(payloads: Buffer[]): void {
    const bytes = frameRecords(payloads, this.offset);
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = this.fs.writeSync(this.fd, bytes, done, bytes.length - done, this.offset + done);
        if (n <= 0) throw Object.assign(new Error("short write to WAL"), { code: "EIO" });
        done += n;
      }
    } catch (e) {
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

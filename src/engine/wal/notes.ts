// Which WAL segments hold notes still needed (docs/format.md, "WAL notes"). A note is a WAL record that never enters
// the memtable: its writer (the series store) keeps what it says in memory and later covers it with ordinary writes,
// and tells the engine the oldest note it still needs (the floor). A segment may go once both hold:
//   - its ordinary writes are in tables: it is below the manifest's log number, or it holds none (notes only), and
//   - every note in it is below the floor.
// Until the writer sets a floor (before its replay after a restart), every note is needed.
import * as path from "node:path";
import type { FileSystem } from "../io";
import { readSegment } from "./reader";
import { OpKind, PayloadKind, segmentName } from "./format";
import { readVarint } from "../varint";

export interface SegmentNotes {
  /** Sequence of the last note in the segment; -1 when it holds none. */
  lastNote: number;
  /** The segment holds writes that go to the memtable (puts, deletes). */
  hasWrites: boolean;
}

export class NoteSegments {
  /** Closed segments, by number. */
  private readonly closed = new Map<number, SegmentNotes>();
  /** The segment being written. */
  current: SegmentNotes = { lastNote: -1, hasWrites: false };
  /** Notes below this are no longer needed (0 until the writer says: all are). */
  floor = 0;

  /** The segment being written is closed (it became `number`); a new one starts. */
  rotate(number: number): void {
    this.closed.set(number, this.current);
    this.current = { lastNote: -1, hasWrites: false };
  }

  /** A closed segment found at open. */
  add(number: number, info: SegmentNotes): void {
    this.closed.set(number, info);
  }

  info(number: number): SegmentNotes | undefined {
    return this.closed.get(number);
  }

  forget(number: number): void {
    this.closed.delete(number);
  }

  /** A closed segment may be deleted, given the manifest's log number. */
  deletable(number: number, logNumber: number): boolean {
    const i = this.closed.get(number);
    if (!i) return number < logNumber;
    return (number < logNumber || !i.hasWrites) && i.lastNote < this.floor;
  }

  /** The lowest last note of a closed segment that holds notes (Infinity: none). */
  lowestNote(): number {
    let low = Infinity;
    for (const i of this.closed.values()) if (i.lastNote >= 0 && i.lastNote < low) low = i.lastNote;
    return low;
  }

  /** The segments (closed, in order) that hold notes someone may still need. */
  withNotes(): number[] {
    return [...this.closed.entries()]
      .filter(([, i]) => i.lastNote >= 0 && i.lastNote >= this.floor)
      .map(([n]) => n)
      .sort((a, b) => a - b);
  }
}

/**
 * Scans a batch payload (see engine batch encoding) for what NoteSegments needs and, when `visit` is given, calls it
 * for each note with its sequence. Returns false when the payload is not a well-formed batch.
 */
export function scanBatch(b: Buffer, info: SegmentNotes, visit?: (seq: number, key: Buffer, value: Buffer) => void): boolean {
  if (b.length < 13 || b[0] !== PayloadKind.BATCH) return false;
  const firstSeq = b.readUInt32LE(1) + b.readUInt32LE(5) * 0x100000000;
  const count = b.readUInt32LE(9);
  let pos = 13;
  for (let i = 0; i < count; i++) {
    if (pos >= b.length) return false;
    const kind = b[pos++];
    const kl = readVarint(b, pos, b.length);
    if (!kl || kl[1] + kl[0] > b.length) return false;
    const keyAt = kl[1];
    pos = kl[1] + kl[0];
    if (kind === OpKind.DEL) {
      info.hasWrites = true;
      continue;
    }
    const vl = readVarint(b, pos, b.length);
    if (!vl || vl[1] + vl[0] > b.length) return false;
    if (kind === OpKind.NOTE) {
      info.lastNote = firstSeq + i;
      visit?.(firstSeq + i, b.subarray(keyAt, keyAt + kl[0]), b.subarray(vl[1], vl[1] + vl[0]));
    } else if (kind === OpKind.PUT) {
      info.hasWrites = true;
    } else {
      return false;
    }
    pos = vl[1] + vl[0];
  }
  return pos === b.length;
}

/** Every note of the given segments, in order (the good records of each: a damaged tail was cut at open). */
export function replaySegmentNotes(fs: FileSystem, dir: string, numbers: number[], visit: (seq: number, key: Buffer, value: Buffer) => void): void {
  for (const n of numbers) {
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(dir, segmentName(n)));
    } catch {
      continue;
    }
    const read = readSegment(data);
    const scratch: SegmentNotes = { lastNote: -1, hasWrites: false };
    for (let i = 1; i < read.records.length; i++) scanBatch(read.records[i], scratch, visit);
  }
}

// Which WAL segments hold notes still needed (docs/format.md, "WAL notes"). A note is a WAL record that never enters
// the memtable: its writer (the series store) keeps what it says in memory and later covers it with ordinary writes,
// and tells the engine the oldest note it still needs (the floor). A segment may go once both hold:
//   - its ordinary writes are in tables: it is below the manifest's log number, or it holds none (notes only), and
//   - every note in it is below the floor.
// Until the writer sets a floor (before its replay after a restart), every note is needed.
import * as path from "node:path";
import type { FileSystem } from "../io";
import { readSegment } from "./reader";
import { segmentName } from "./format";
import { decodeBatch } from "../batch";

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
 * Reads a batch payload (batch.ts) for what NoteSegments needs and, when `visit` is given, calls it for each note
 * with its sequence. Returns false when the payload is not a well-formed batch.
 */
export function scanBatch(b: Buffer, info: SegmentNotes, visit?: (seq: number, key: Buffer, value: Buffer) => void): boolean {
  const batch = decodeBatch(b);
  if (!batch) return false;
  for (let k = 0; k < batch.ops.length; k++) {
    const op = batch.ops[k];
    if (op.type === "note") {
      info.lastNote = batch.firstSeq + k;
      visit?.(batch.firstSeq + k, op.key, op.value);
    } else {
      info.hasWrites = true;
    }
  }
  return true;
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

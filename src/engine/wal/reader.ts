// Reads one WAL segment back into logical records, stopping at the first damaged record. Tells the caller where
// the good data ends and whether any valid record follows the damage (a torn tail has none; mid-file corruption
// does).
import { crc32c, unmaskCrc } from "../../util/crc32c";
import { BLOCK_SIZE, HEADER_SIZE, RecordType } from "./format";

export interface SegmentRead {
  records: Buffer[];
  /** Offset just past the last complete logical record. */
  goodEnd: number;
  /** The first problem found, if any. */
  damage?: { offset: number; reason: string };
  /** A valid record exists somewhere after the damage. */
  validAfterDamage: boolean;
  size: number;
}

function headerAt(data: Buffer, pos: number): { length: number; type: number; ok: boolean } | undefined {
  if (pos + HEADER_SIZE > data.length) return undefined;
  const masked = data.readUInt32LE(pos);
  const length = data.readUInt16LE(pos + 4);
  const type = data[pos + 6];
  const room = BLOCK_SIZE - (pos % BLOCK_SIZE);
  if (HEADER_SIZE + length > room || pos + HEADER_SIZE + length > data.length) return { length, type, ok: false };
  const crc = crc32c(data.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + length), crc32c(data.subarray(pos + 6, pos + 7)));
  return { length, type, ok: crc === unmaskCrc(masked) && type >= RecordType.FULL && type <= RecordType.LAST };
}

export function readSegment(data: Buffer): SegmentRead {
  const records: Buffer[] = [];
  let goodEnd = 0;
  let pos = 0;
  let partial: Buffer[] | null = null;
  let damage: SegmentRead["damage"];
  while (pos < data.length) {
    const room = BLOCK_SIZE - (pos % BLOCK_SIZE);
    if (room < HEADER_SIZE) {
      pos += room;
      continue;
    }
    if (pos + HEADER_SIZE > data.length) {
      damage = { offset: pos, reason: "truncated record header" };
      break;
    }
    const length = data.readUInt16LE(pos + 4);
    const type = data[pos + 6];
    if (type === RecordType.ZERO && length === 0 && data.readUInt32LE(pos) === 0) {
      damage = { offset: pos, reason: "zero-filled bytes where a record should be" };
      break;
    }
    if (HEADER_SIZE + length > room) {
      damage = { offset: pos, reason: `record length ${length} runs past its block` };
      break;
    }
    if (pos + HEADER_SIZE + length > data.length) {
      damage = { offset: pos, reason: "truncated record" };
      break;
    }
    const h = headerAt(data, pos);
    if (!h || !h.ok) {
      damage = { offset: pos, reason: type > RecordType.LAST ? `unknown record type ${type}` : "checksum mismatch" };
      break;
    }
    const body = data.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + length);
    const next = pos + HEADER_SIZE + length;
    if (type === RecordType.FULL) {
      if (partial) {
        damage = { offset: pos, reason: "record fragment without its end" };
        break;
      }
      records.push(body);
      goodEnd = next;
    } else if (type === RecordType.FIRST) {
      if (partial) {
        damage = { offset: pos, reason: "record fragment without its end" };
        break;
      }
      partial = [body];
    } else {
      if (!partial) {
        damage = { offset: pos, reason: "record fragment without its start" };
        break;
      }
      partial.push(body);
      if (type === RecordType.LAST) {
        records.push(Buffer.concat(partial));
        partial = null;
        goodEnd = next;
      }
    }
    pos = next;
  }
  if (!damage && partial) damage = { offset: goodEnd, reason: "record fragment without its end" };
  let validAfterDamage = false;
  if (damage) {
    // Look for any intact record at a later block start: damage followed by good data is not a torn tail.
    for (let b = (Math.floor(damage.offset / BLOCK_SIZE) + 1) * BLOCK_SIZE; b < data.length; b += BLOCK_SIZE) {
      const h = headerAt(data, b);
      if (h && h.ok) {
        validAfterDamage = true;
        break;
      }
    }
  }
  return { records, goodEnd, damage, validAfterDamage, size: data.length };
}

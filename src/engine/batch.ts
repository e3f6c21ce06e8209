// Write batches as WAL payloads (docs/format.md): encoding into a group's buffer, decoding at recovery and in
// tskv-check, and the ops a caller's buffers must be copied out of.
import { INLINE_MAX } from "./memtable/arena";
import type { BatchOp } from "./types";
import { OpKind, PayloadKind } from "./wal/format";
import { readVarint, varintSize, writeVarint } from "./varint";
import { copyBytes, putU32LE } from "../util/bytes";

/** Bytes of a batch payload before its ops: kind, first sequence, count. */
export const BATCH_HEADER = 1 + 8 + 4;

/** Encodes a batch as a WAL payload: kind | first seq u64 LE | count u32 LE | ops. */
export function encodeBatch(firstSeq: number, ops: BatchOp[]): Buffer {
  const b = Buffer.allocUnsafe(batchSize(ops));
  encodeBatchInto(b, 0, firstSeq, ops);
  return b;
}

/** Bytes of a batch payload. */
export function batchSize(ops: BatchOp[]): number {
  let size = BATCH_HEADER;
  for (const op of ops) {
    size += 1 + varintSize(op.key.length) + op.key.length;
    if (op.type !== "del") size += varintSize(op.value.length) + op.value.length;
  }
  return size;
}

export function writeBatchHeader(b: Buffer, at: number, firstSeq: number, count: number): void {
  b[at] = PayloadKind.BATCH;
  putU32LE(b, at + 1, firstSeq % 0x100000000);
  putU32LE(b, at + 5, Math.floor(firstSeq / 0x100000000));
  putU32LE(b, at + 9, count);
}

/** encodeBatchInto for a batch of one put or note (the same bytes). */
export function encodePutInto(b: Buffer, at: number, seq: number, key: Buffer, value: Buffer, kind: number = OpKind.PUT): void {
  writeBatchHeader(b, at, seq, 1);
  let pos = at + BATCH_HEADER;
  b[pos++] = kind;
  pos = writeVarint(b, pos, key.length);
  copyBytes(b, pos, key);
  pos = writeVarint(b, pos + key.length, value.length);
  copyBytes(b, pos, value);
}

/** Writes a batch payload (batchSize(ops) bytes) into `b` at `at`. */
export function encodeBatchInto(b: Buffer, at: number, firstSeq: number, ops: BatchOp[]): void {
  writeBatchHeader(b, at, firstSeq, ops.length);
  let pos = at + BATCH_HEADER;
  for (const op of ops) {
    b[pos++] = op.type === "put" ? OpKind.PUT : op.type === "del" ? OpKind.DEL : OpKind.NOTE;
    pos = writeVarint(b, pos, op.key.length);
    copyBytes(b, pos, op.key);
    pos += op.key.length;
    if (op.type !== "del") {
      pos = writeVarint(b, pos, op.value.length);
      copyBytes(b, pos, op.value);
      pos += op.value.length;
    }
  }
}

/** The first sequence of a batch payload (its header's). */
function batchFirstSeq(b: Buffer): number {
  return b.readUInt32LE(1) + b.readUInt32LE(5) * 0x100000000;
}

/**
 * Batches of consecutive sequences (op i of a batch has its first + i) as one batch payload with the same ops;
 * undefined when one is not a batch or does not follow the one before.
 */
export function concatBatches(batches: Buffer[]): Buffer | undefined {
  let ops = 0;
  let bytes = BATCH_HEADER;
  const first = batchFirstSeq(batches[0]);
  for (const b of batches) {
    if (b[0] !== PayloadKind.BATCH || batchFirstSeq(b) !== first + ops) return undefined;
    ops += b.readUInt32LE(9);
    bytes += b.length - BATCH_HEADER;
  }
  const merged = Buffer.allocUnsafe(bytes);
  writeBatchHeader(merged, 0, first, ops);
  let at = BATCH_HEADER;
  for (const b of batches) at += b.copy(merged, at, BATCH_HEADER);
  return merged;
}

/** Decodes a batch payload; undefined when malformed. Keys and values are views of `b`. */
export function decodeBatch(b: Buffer): { firstSeq: number; ops: BatchOp[] } | undefined {
  if (b.length < BATCH_HEADER || b[0] !== PayloadKind.BATCH) return undefined;
  const firstSeq = batchFirstSeq(b);
  const count = b.readUInt32LE(9);
  const ops: BatchOp[] = [];
  let pos = BATCH_HEADER;
  for (let i = 0; i < count; i++) {
    if (pos >= b.length) return undefined;
    const kind = b[pos++];
    const kl = readVarint(b, pos, b.length);
    if (!kl || kl[1] + kl[0] > b.length) return undefined;
    const key = b.subarray(kl[1], kl[1] + kl[0]);
    pos = kl[1] + kl[0];
    if (kind === OpKind.PUT || kind === OpKind.NOTE) {
      const vl = readVarint(b, pos, b.length);
      if (!vl || vl[1] + vl[0] > b.length) return undefined;
      ops.push({ type: kind === OpKind.PUT ? "put" : "note", key, value: b.subarray(vl[1], vl[1] + vl[0]) });
      pos = vl[1] + vl[0];
    } else if (kind === OpKind.DEL) {
      ops.push({ type: "del", key });
    } else {
      return undefined;
    }
  }
  return pos === b.length ? { firstSeq, ops } : undefined;
}

export function isBig(op: BatchOp): boolean {
  return op.type === "put" && op.value.length > INLINE_MAX;
}

export function ownOp(op: BatchOp): BatchOp {
  return op.type === "put" ? { type: "put", key: Buffer.from(op.key), value: Buffer.from(op.value) } : { type: "del", key: Buffer.from(op.key) };
}

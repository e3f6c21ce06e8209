// Writes one SSTable from entries given in internal order (key ascending, sequence descending). Output goes through
// a write callback in file order, so the caller decides how bytes reach the disk (the flush/compaction worker
// writes them with positional writes and fsyncs before the table is named in the manifest).
import { crc32c, maskCrc } from "../../util/crc32c";
import { BlockBuilder } from "./block";
import { buildFilter, hash32 } from "./bloom";
import { BLOCK_TRAILER, BlockHandle, COMPRESSION_NONE, encodeFooter } from "./format";
import { writeVarint } from "../varint";
import { KeptBytes } from "../../util/bytes";

export interface TableOptions {
  /** Target data block size in bytes (default 4096). */
  blockSize?: number;
  /** Entries between restart points (default 16). */
  restartInterval?: number;
  /** Bloom filter bits per key (default 10; 0 = no filter). */
  bloomBitsPerKey?: number;
  /**
   * Keys that carry a time: entries whose key starts with `prefix` and has a big-endian i64 (sign bit flipped) at
   * `offset` add that time to the table's time range (the model's series chunk keys).
   */
  timeKey?: { prefix: number; offset: number };
}

/** What the manifest records about a table. */
export interface TableMeta {
  size: number;
  entries: number;
  deletions: number;
  smallest: Buffer;
  largest: Buffer;
  minSeq: number;
  maxSeq: number;
  minTime?: number;
  maxTime?: number;
}

export const PROPERTY_NAMES = [
  "entries",
  "deletions",
  "data.blocks",
  "raw.key.bytes",
  "raw.value.bytes",
  "smallest",
  "largest",
  "seq.min",
  "seq.max",
  "time.min",
  "time.max",
] as const;

function readTime(key: Buffer, offset: number): number {
  const hi = key.readUInt32BE(offset) ^ 0x80000000;
  const lo = key.readUInt32BE(offset + 4);
  return (hi | 0) * 0x100000000 + lo;
}

export class TableBuilder {
  private readonly blockSize: number;
  private readonly bits: number;
  private readonly data: BlockBuilder;
  private readonly index = new BlockBuilder(1);
  private offset = 0;
  private hashes = new Uint32Array(1024);
  private nkeys = 0;
  /** The last key added (a copy: callers may reuse their buffers). */
  private readonly lastKey = new KeptBytes();
  private lastSeq = 0;
  private blocks = 0;
  private rawKey = 0;
  private rawValue = 0;
  private readonly meta: TableMeta = { size: 0, entries: 0, deletions: 0, smallest: Buffer.alloc(0), largest: Buffer.alloc(0), minSeq: Infinity, maxSeq: 0 };

  /** `write` receives the table's bytes in order; a Buffer it is given is valid only during the call (copy to keep). */
  constructor(
    private readonly options: TableOptions,
    private readonly write: (b: Buffer) => void,
  ) {
    this.blockSize = options.blockSize ?? 4096;
    this.bits = options.bloomBitsPerKey ?? 10;
    this.data = new BlockBuilder(options.restartInterval ?? 16);
  }

  /** Bytes written so far plus the open block. */
  get estimatedSize(): number {
    return this.offset + this.data.estimatedSize;
  }

  get entries(): number {
    return this.meta.entries;
  }

  add(key: Buffer, seq: number, value: Buffer | null): void {
    const m = this.meta;
    const newKey = !this.lastKey.equals(key);
    if (m.entries === 0) m.smallest = Buffer.from(key);
    if (newKey) {
      if (this.nkeys === this.hashes.length) {
        const h = new Uint32Array(this.hashes.length * 2);
        h.set(this.hashes);
        this.hashes = h;
      }
      this.hashes[this.nkeys++] = hash32(key);
      const tk = this.options.timeKey;
      if (tk && key[0] === tk.prefix && key.length >= tk.offset + 8) {
        const t = readTime(key, tk.offset);
        if (m.minTime === undefined || t < m.minTime) m.minTime = t;
        if (m.maxTime === undefined || t > m.maxTime) m.maxTime = t;
      }
    }
    this.data.add(key, seq, value);
    m.entries++;
    if (value === null) m.deletions++;
    if (seq < m.minSeq) m.minSeq = seq;
    if (seq > m.maxSeq) m.maxSeq = seq;
    this.rawKey += key.length;
    this.rawValue += value === null ? 0 : value.length;
    // Keep our own copy only when the key changes: the caller may reuse its buffer.
    if (newKey) this.lastKey.set(key);
    this.lastSeq = seq;
    if (this.data.estimatedSize >= this.blockSize) this.flushBlock();
  }

  private writeBlock(contents: Buffer): BlockHandle {
    const trailer = Buffer.allocUnsafe(BLOCK_TRAILER);
    trailer[0] = COMPRESSION_NONE;
    trailer.writeUInt32LE(maskCrc(crc32c(trailer.subarray(0, 1), crc32c(contents))), 1);
    const h = { offset: this.offset, size: contents.length };
    this.write(contents);
    this.write(trailer);
    this.offset += contents.length + BLOCK_TRAILER;
    return h;
  }

  private flushBlock(): void {
    if (this.data.empty) return;
    const h = this.writeBlock(this.data.finishView()); // written (copied out) before the builder is reused
    this.data.reset();
    this.blocks++;
    const v = Buffer.allocUnsafe(20);
    const end = writeVarint(v, writeVarint(v, 0, h.offset), h.size);
    this.index.add(this.lastKey.view(), this.lastSeq, v.subarray(0, end));
  }

  finish(): TableMeta {
    this.flushBlock();
    const m = this.meta;
    if (m.entries === 0) throw new Error("an SSTable needs at least one entry");
    m.largest = Buffer.from(this.lastKey.view());
    const filter = this.writeBlock(this.bits > 0 ? buildFilter(this.hashes, this.nkeys, this.bits) : Buffer.alloc(0));
    const props = new BlockBuilder(1);
    const put = (name: string, v: string | Buffer | number | undefined): void => {
      if (v === undefined) return;
      props.add(Buffer.from(name, "latin1"), 0, typeof v === "number" ? Buffer.from(String(v), "latin1") : Buffer.isBuffer(v) ? v : Buffer.from(v, "latin1"));
    };
    // Names in ascending order, as block entries must be.
    const values: Record<string, string | Buffer | number | undefined> = {
      entries: m.entries,
      deletions: m.deletions,
      "data.blocks": this.blocks,
      "raw.key.bytes": this.rawKey,
      "raw.value.bytes": this.rawValue,
      smallest: m.smallest,
      largest: m.largest,
      "seq.min": m.minSeq,
      "seq.max": m.maxSeq,
      "time.min": m.minTime,
      "time.max": m.maxTime,
    };
    for (const name of [...PROPERTY_NAMES].sort()) put(name, values[name]);
    const propsHandle = this.writeBlock(props.finish());
    const indexHandle = this.writeBlock(this.index.finish());
    const footer = encodeFooter({ index: indexHandle, filter, props: propsHandle });
    this.write(footer);
    this.offset += footer.length;
    m.size = this.offset;
    return m;
  }
}

// Reads an SSTable: footer, index, filter and properties at open; data blocks on demand through a shared block
// cache, each block's checksum verified when it is read from the file. Any structural fault is a corruption
// error naming the file and the byte offset.
import * as path from "node:path";
import { corruption, TskvError } from "../errors";
import type { FileSystem } from "../io";
import { native } from "../../native";
import { copyBytes } from "../../util/bytes";
import { compareBytes } from "../memtable/skiplist";
import { crc32c, unmaskCrc } from "../../util/crc32c";
import { readVarint } from "../varint";
import { BlockFormatError, BlockIter, compareInternal } from "./block";
import { hash32, mayContain } from "./bloom";
import { BLOCK_TRAILER, BlockHandle, COMPRESSION_NONE, decodeFooter, FOOTER_SIZE } from "./format";

/** A byte-budgeted LRU of verified block contents, shared by every table of an engine. */
export class BlockCache {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly capacity: number) {}

  get(id: string): Buffer | undefined {
    const b = this.map.get(id);
    if (b !== undefined) {
      this.map.delete(id);
      this.map.set(id, b);
      this.hits++;
    } else {
      this.misses++;
    }
    return b;
  }

  set(id: string, b: Buffer): void {
    if (this.capacity <= 0 || b.length > this.capacity / 4) return;
    this.map.set(id, b);
    this.bytes += b.length;
    while (this.bytes > this.capacity) {
      const [k, v] = this.map.entries().next().value as [string, Buffer];
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }

  /** Drops every block of one table (when its file goes). */
  evictTable(prefix: string): void {
    for (const [k, v] of this.map) {
      if (k.startsWith(prefix)) {
        this.map.delete(k);
        this.bytes -= v.length;
      }
    }
  }

  get size(): number {
    return this.bytes;
  }
}

export interface TableEntry {
  key: Buffer;
  seq: number;
  value: Buffer | null;
}

/** Counters the engine reports (bloom probes, negatives, block reads). */
export interface ReadCounters {
  bloomProbes: number;
  bloomNegatives: number;
  blockReads: number;
}

const NO_FILTER = Buffer.alloc(0);

/** Where the addon copies a found value for Table.get (one per thread; read back at once, before any other call). */
const valueScratch = Buffer.alloc(64 * 1024);

export class Table {
  private readonly indexBlock: Buffer;
  /** Made by blockList() on the first reverse read. */
  private blocksByIndex?: { handles: BlockHandle[]; lastKeys: Buffer[] };
  /** The Bloom filter, for reads through the file-system seam (a mapped table's is probed by the addon). */
  private filter: Buffer;
  readonly properties: Map<string, Buffer>;
  private readonly cacheId: string;
  private closed = false;
  /** The native mapping's id, when the table is memory-mapped; otherwise blocks are read through `fd`. */
  private mapId = -1;
  private fd: number;
  private readonly footer: { index: BlockHandle; filter: BlockHandle; props: BlockHandle };

  private constructor(
    private readonly fs: FileSystem,
    readonly file: string,
    readonly number: number,
    fd: number,
    readonly fileSize: number,
    private readonly cache: BlockCache,
    private readonly counters: ReadCounters,
    footer: { index: BlockHandle; filter: BlockHandle; props: BlockHandle },
  ) {
    this.cacheId = `${number}/`;
    this.fd = fd;
    this.footer = footer;
    this.indexBlock = this.readBlock(footer.index, false);
    this.filter = this.readBlock(footer.filter, false);
    const props = this.readBlock(footer.props, false);
    this.properties = new Map();
    try {
      const it = new BlockIter(props);
      for (it.first(); it.valid; it.next()) this.properties.set(it.key.toString("latin1"), Buffer.from(it.value ?? Buffer.alloc(0)));
      new BlockIter(this.indexBlock);
    } catch (e) {
      throw this.blockError(e, footer.props.offset);
    }
    // Map the file when the addon can (Linux), and give the descriptor back: mapped tables cost no fd.
    if (native.mapTable && fs.mapTables !== false) {
      const [id, size] = native.mapTable(file);
      if (size !== fileSize) {
        native.unmapTable?.(id);
        throw corruption(path.basename(file), size, `changed size while opening (${fileSize} → ${size})`);
      }
      this.mapId = id;
      // Point reads search a compact copy of the index's keys (native/table.cc, "Fences") instead of the index block,
      // and probe the addon's cache-aligned copy of the filter (verified above): this one is not needed any more.
      native.tableIndexFences?.(id, footer.index.offset, footer.index.size, footer.filter.offset, footer.filter.size);
      this.filter = NO_FILTER;
      fs.closeSync(fd);
      this.fd = -1;
    }
  }

  /** True when reads go through the native mapping. */
  get mapped(): boolean {
    return this.mapId >= 0;
  }

  static open(fs: FileSystem, file: string, number: number, cache: BlockCache, counters: ReadCounters): Table {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSize(fd);
      const fb = Buffer.alloc(Math.min(FOOTER_SIZE, size));
      readFully(fs, fd, fb, Math.max(0, size - FOOTER_SIZE), file);
      const footer = decodeFooter(fb, path.basename(file), size);
      return new Table(fs, file, number, fd, size, cache, counters, footer);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  private get name(): string {
    return path.basename(this.file);
  }

  private blockError(e: unknown, base: number): Error {
    if (e instanceof BlockFormatError) return corruption(this.name, base + e.at, e.message);
    return e as Error;
  }

  /** Reads and verifies a block's contents (cached when `cache`). */
  private readBlock(h: BlockHandle, cache = true): Buffer {
    if (this.closed) throw new TskvError("TSKV_ERR_CLOSED", `${this.name} is closed`);
    const id = this.cacheId + h.offset;
    if (cache) {
      const hit = this.cache.get(id);
      if (hit) return hit;
    }
    if (h.offset + h.size + BLOCK_TRAILER > this.fileSize - FOOTER_SIZE) {
      throw corruption(this.name, h.offset, `block of ${h.size} bytes runs past the data`);
    }
    if (this.mapId >= 0) {
      let contents: Buffer;
      try {
        contents = (native.tableReadBlock as NonNullable<typeof native.tableReadBlock>)(this.mapId, h.offset, h.size);
      } catch (e) {
        throw this.nativeError(e);
      }
      this.counters.blockReads++;
      if (cache) this.cache.set(id, contents);
      return contents;
    }
    const buf = Buffer.allocUnsafe(h.size + BLOCK_TRAILER);
    readFully(this.fs, this.fd, buf, h.offset, this.name);
    this.counters.blockReads++;
    const stored = unmaskCrc(buf.readUInt32LE(h.size + 1));
    if (crc32c(buf.subarray(h.size, h.size + 1), crc32c(buf.subarray(0, h.size))) !== stored) {
      throw corruption(this.name, h.offset, "block checksum mismatch");
    }
    if (buf[h.size] !== COMPRESSION_NONE) throw corruption(this.name, h.offset + h.size, `unknown compression ${buf[h.size]}`);
    const contents = buf.subarray(0, h.size);
    if (cache) this.cache.set(id, contents);
    return contents;
  }

  private handleOf(iter: BlockIter): BlockHandle {
    const v = iter.value;
    const a = v && readVarint(v, 0, v.length);
    const b = a && v && readVarint(v, a[1], v.length);
    if (!a || !b) throw corruption(this.name, iter.pos, "bad block handle in the index");
    return { offset: a[0], size: b[0] };
  }

  /** False when the Bloom filter rules the key out (`hash`: the key's hash32, when the caller has it). */
  mayContain(key: Buffer, hash = hash32(key)): boolean {
    this.counters.bloomProbes++;
    if (mayContain(this.filter, hash)) return true;
    this.counters.bloomNegatives++;
    return false;
  }

  private nativeError(e: unknown): Error {
    const err = e as { code?: string; offset?: number; message: string };
    if (err.code === "TSKV_ERR_CORRUPTION") return corruption(this.name, err.offset ?? 0, err.message);
    if (err.code === "TSKV_ERR_CLOSED") return new TskvError("TSKV_ERR_CLOSED", `${this.name} is closed`);
    return e as Error;
  }

  /** The newest entry for `key` with sequence ≤ maxSeq in this table (value null = tombstone), or undefined. */
  get(key: Buffer, maxSeq: number, hash?: number): TableEntry | undefined {
    // A mapped table's read is one native call: it asks for the key's filter line, searches the index fences while
    // that line arrives, then probes the filter (0: ruled out) before it touches a data block, which it verifies.
    // (A JIT-compiled probe in JavaScript beats a lone N-API crossing, but it waited for its miss before the call.)
    if (this.mapId >= 0) {
      if (this.closed) throw new TskvError("TSKV_ERR_CLOSED", `${this.name} is closed`);
      const f = this.footer;
      let r: number | null | Buffer;
      try {
        r = (native.tableGet as NonNullable<typeof native.tableGet>)(this.mapId, f.index.offset, f.index.size, f.filter.offset, f.filter.size, key, maxSeq, valueScratch);
      } catch (e) {
        throw this.nativeError(e);
      }
      if (f.filter.size > 0) this.counters.bloomProbes++;
      if (typeof r === "number") {
        if (r === 0 && f.filter.size > 0) this.counters.bloomNegatives++;
        if (r >= 0) return undefined;
        // Copied into the shared scratch: take it out through Node's pooled allocator (no ArrayBuffer of its own).
        const n = -r - 1;
        const value = Buffer.allocUnsafe(n);
        copyBytes(value, 0, valueScratch, 0, n);
        return { key, seq: 0, value };
      }
      return { key, seq: 0, value: r };
    }
    if (!this.mayContain(key, hash)) return undefined;
    try {
      const index = new BlockIter(this.indexBlock).seek(key, maxSeq);
      while (index.valid) {
        const hb = this.handleOf(index);
        const block = new BlockIter(this.readBlock(hb));
        let it: BlockIter;
        try {
          it = block.seek(key, maxSeq);
        } catch (e) {
          throw this.blockError(e, hb.offset);
        }
        if (it.valid) {
          return it.key.equals(key) ? { key, seq: it.seq, value: it.value === null ? null : Buffer.from(it.value) } : undefined;
        }
        index.next();
      }
      return undefined;
    } catch (e) {
      throw this.blockError(e, this.footer.index.offset);
    }
  }

  /**
   * Every entry from the first ≥ `from` (all when undefined) in internal order. Keys are copies; a value is a view of
   * its block's verified copy, which nothing writes to and which the view keeps alive.
   */
  *entries(from?: Buffer): Generator<TableEntry> {
    const index = new BlockIter(this.indexBlock);
    if (from) index.seek(from, Number.MAX_SAFE_INTEGER);
    else index.first();
    let first = true;
    for (; index.valid; index.next()) {
      const hb = this.handleOf(index);
      const it = new BlockIter(this.readBlock(hb));
      try {
        if (first && from) it.seek(from, Number.MAX_SAFE_INTEGER);
        else it.first();
        first = false;
        for (; it.valid; it.next()) yield { key: Buffer.from(it.key), seq: it.seq, value: it.value };
      } catch (e) {
        throw this.blockError(e, hb.offset);
      }
    }
  }

  /**
   * The verified contents of each data block, from the one that may hold `from` (all when undefined), in order: for
   * a one-pass scan, so the blocks are not put in the block cache (where they would push out what point reads reuse).
   */
  *blocks(from?: Buffer): Generator<Buffer> {
    const index = new BlockIter(this.indexBlock);
    if (from) index.seek(from, Number.MAX_SAFE_INTEGER);
    else index.first();
    for (; index.valid; index.next()) yield this.readBlock(this.handleOf(index), false);
  }

  /**
   * Every entry in internal order, for a reader that is done with each before it asks for the next (a compaction's
   * merge): nothing is copied. The key is a view of the cursor's key buffer, valid until the next step (copy it to
   * keep it); the value is a view of the block's verified copy, which it keeps alive.
   */
  *scan(): Generator<TableEntry> {
    const index = new BlockIter(this.indexBlock);
    for (index.first(); index.valid; index.next()) {
      const hb = this.handleOf(index);
      const it = new BlockIter(this.readBlock(hb));
      try {
        for (it.first(); it.valid; it.next()) yield { key: it.key, seq: it.seq, value: it.value };
      } catch (e) {
        throw this.blockError(e, hb.offset);
      }
    }
  }

  /** Every data block's handle and last key, decoded from the index when a reverse read first needs them. */
  private blockList(): { handles: BlockHandle[]; lastKeys: Buffer[] } {
    if (this.blocksByIndex === undefined) {
      const handles: BlockHandle[] = [];
      const lastKeys: Buffer[] = [];
      const index = new BlockIter(this.indexBlock);
      try {
        for (index.first(); index.valid; index.next()) {
          handles.push(this.handleOf(index));
          lastKeys.push(Buffer.from(index.key));
        }
      } catch (e) {
        throw this.blockError(e, this.footer.index.offset);
      }
      this.blocksByIndex = { handles, lastKeys };
    }
    return this.blocksByIndex;
  }

  /**
   * Entries in reverse internal order (key descending; one key's versions oldest first), starting at the last
   * entry whose key is ≤ `upTo` (all when undefined).
   */
  *entriesReverse(upTo?: Buffer): Generator<TableEntry> {
    const { handles, lastKeys } = this.blockList();
    // Blocks after the first whose last key exceeds upTo hold nothing ≤ upTo (a key's versions may run on into it).
    let start = handles.length - 1;
    if (upTo) {
      let lo = 0;
      let hi = handles.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareBytes(lastKeys[mid], upTo) > 0) hi = mid;
        else lo = mid + 1;
      }
      start = Math.min(lo, handles.length - 1);
    }
    for (let b = start; b >= 0; b--) {
      let all: TableEntry[];
      try {
        all = new BlockIter(this.readBlock(handles[b])).all(upTo);
      } catch (e) {
        throw this.blockError(e, handles[b].offset);
      }
      for (let i = all.length - 1; i >= 0; i--) {
        const e = all[i];
        yield { key: e.key, seq: e.seq, value: e.value === null ? null : Buffer.from(e.value) };
      }
    }
  }

  /** Reads and checks every block (tskv-check): checksums, entry structure and internal order. */
  verify(): { entries: number; blocks: number } {
    let entries = 0;
    let blocks = 0;
    let prevKey: Buffer | null = null;
    let prevSeq = 0;
    // Every key the table holds must pass its own Bloom filter: one that does not would be invisible to point reads.
    const filter = this.footer.filter.size > 0 ? this.readBlock(this.footer.filter, false) : NO_FILTER;
    const index = new BlockIter(this.indexBlock);
    try {
      for (index.first(); index.valid; index.next()) {
        const hb = this.handleOf(index);
        const data = this.readBlock(hb, false);
        blocks++;
        const it = new BlockIter(data);
        try {
          for (it.first(); it.valid; it.next()) {
            if (prevKey && compareInternal(prevKey, prevSeq, it.key, it.seq) >= 0) {
              throw corruption(this.name, hb.offset + it.pos, "entries out of order");
            }
            if (filter.length > 0 && !mayContain(filter, hash32(it.key))) {
              throw corruption(this.name, this.footer.filter.offset, `the Bloom filter rules out a key the table holds (entry at ${hb.offset + it.pos})`);
            }
            prevKey = Buffer.from(it.key);
            prevSeq = it.seq;
            entries++;
          }
        } catch (e) {
          throw this.blockError(e, hb.offset);
        }
      }
    } catch (e) {
      throw this.blockError(e, this.footer.index.offset);
    }
    const expected = Number(this.properties.get("entries")?.toString("latin1"));
    if (expected !== entries) throw corruption(this.name, 0, `properties say ${expected} entries, blocks hold ${entries}`);
    return { entries, blocks };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.evictTable(this.cacheId);
    if (this.mapId >= 0) native.unmapTable?.(this.mapId);
    else this.fs.closeSync(this.fd);
  }
}

function readFully(fs: FileSystem, fd: number, buf: Buffer, position: number, name: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw corruption(name, position + done, "unexpected end of file");
    done += n;
  }
}

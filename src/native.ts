// The one place that loads the C++ addon (native/, built by node-gyp or shipped in prebuilds/).
import * as fs from "node:fs";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load: (dir: string) => unknown = require("node-gyp-build");

export interface NativeAddon {
  /** CRC32C of `data`, extending `init` (a finished CRC of earlier bytes; 0 when absent). */
  crc32c(data: Uint8Array, init?: number): number;
  /** out[i] = CRC32C of data[ranges[2i], ranges[2i] + ranges[2i + 1]) for i < count (ranges checked first). */
  crc32cMany(data: Uint8Array, ranges: Int32Array, count: number, out: Uint32Array): void;
  /** True when the SSE4.2 instruction path was chosen at load time. */
  crc32cIsHardware(): boolean;
  /**
   * Decodes a series chunk (docs/format.md, "Series chunk"; native/series_chunk.h) into the first count elements of
   * `ts` and `values` and returns count (>= 1). Otherwise returns -(x * 64 + status): status 1 when the arrays are
   * shorter than the chunk (x = its point count, nothing written), else the damage found (x = its chunk offset; the
   * arrays may hold partial output). Absent from builds older than the function (codec.ts then decodes in JS).
   */
  seriesChunkDecode?(chunk: Uint8Array, ts: Float64Array, values: Float64Array): number;
  /**
   * Encodes ts[0, n) and values[0, n) as a series chunk, byte for byte as encodeChunkJs (src/model/series/codec.ts)
   * does; the caller has checked n and the timestamps. TypeError on wrong types, RangeError when n does not fit.
   */
  seriesChunkEncode?(ts: Float64Array, values: Float64Array, n: number): Buffer;
  /** The description of a status from seriesChunkDecode. */
  seriesChunkStatusText?(status: number): string;
  /**
   * Time-bucket folds (native/series_fold.h; x86-64 builds): BucketCursor's ascending fold of a stored chunk's points
   * inside [from, to], or of ts/values[lo..hi], into `fold` (the state in its first 24 numbers: the query, then the
   * open bucket), writing the buckets it closes after the state as (timestamp, value) pairs. Return the buckets
   * written, or negative as seriesChunkDecode does (status 1: room for fewer than x buckets, nothing done; else the
   * chunk's damage at offset x). seriesFoldEnd closes the open bucket (0 or 1 written). TypeError on an unsound state.
   */
  seriesFoldChunk?(chunk: Uint8Array, from: number, to: number, fold: Float64Array): number;
  seriesFoldArrays?(ts: Float64Array, values: Float64Array, lo: number, hi: number, fold: Float64Array): number;
  seriesFoldEnd?(fold: Float64Array): number;
  /**
   * Writes buckets [from, to) of a fold array as RESP2 [timestamp, value] pairs (values as formatSampleValue prints
   * them) into out from pos, as many as fit with 64 bytes to spare each; returns the new pos and puts the count written
   * in the fold's slot 17. RangeError when from/to/pos lie outside the arrays.
   */
  seriesFoldWrite?(fold: Float64Array, from: number, to: number, out: Uint8Array, pos: number): number;
  /**
   * Memory-mapped tables (Linux builds): map read-only and return [id, size]; the mapping stays in C++ and every
   * call copies out, so no Buffer outlives it. Errors carry `code` (TSKV_ERR_CORRUPTION with `offset`, …).
   */
  mapTable?(path: string): [number, number];
  unmapTable?(id: number): void;
  /** A verified copy of a block's contents (checksum and compression byte checked). */
  tableReadBlock?(id: number, offset: number, size: number): Buffer;
  /**
   * Builds the point-read aids of a mapped table from its verified index (and filter) blocks: fences over the index,
   * a cache-aligned copy of the filter. Returns the number of fences (0: the index does not suit them).
   */
  tableIndexFences?(id: number, indexOffset: number, indexSize: number, filterOffset?: number, filterSize?: number): number;
  /** Point read. 0: not in the filter, 1: absent, null: a tombstone, Buffer: the value, -n-1: the value's n bytes are in `out`. */
  tableGet?(id: number, indexOffset: number, indexSize: number, filterOffset: number, filterSize: number, key: Uint8Array, maxSeq: number, out?: Uint8Array): number | null | Buffer;
  bloomHash?(key: Uint8Array): number;
  bloomMayContain?(filter: Uint8Array, key: Uint8Array): boolean;
  /** [entry offset, sequence] of the first entry ≥ (key, maxSeq), or -1 at the end of the block. */
  blockSeek?(block: Uint8Array, key: Uint8Array, maxSeq: number): [number, number] | -1;
  /**
   * The epoll reactor (Linux builds only); see native/reactor.h for its contract. onEvents gets the turn's events as
   * [kind, id, offset, length] quadruples in the first `count` ints of an array the reactor reuses (read them during
   * the call), the addresses of the turn's new connections ("ip port", one per open event; null when none) and the
   * read arena the offsets point into.
   */
  Reactor?: new (onEvents: (events: Int32Array, count: number, addrs: string[] | null, arena: Buffer) => void, arenaBytes?: number) => NativeReactor;
}

export interface NativeReactor {
  /** Binds and listens; returns the bound [host, port]. Throws an Error with `code` (EADDRINUSE, …). */
  listen(host: string, port: number): [string, number];
  /** Writes with writev; returns the bytes still pending, or -1 when the connection is gone or broke. */
  write(id: number, chunks: Uint8Array[]): number;
  /**
   * One call for many connections: ids[i] gets bufs[i][bounds[2i], bounds[2i+1]); out[i] is set to its pending bytes
   * after the write, or -1 when the connection is gone or broke. Throws a TypeError (writing nothing) on bad arguments.
   */
  writeRuns(count: number, ids: Int32Array, bufs: Uint8Array[], bounds: Int32Array, out: Float64Array): void;
  pending(id: number): number;
  pause(id: number): void;
  resume(id: number): void;
  /** 1 = closed now, 0 = closes once pending output is written, -1 = no such connection. */
  close(id: number, graceful: boolean): number;
  stopListening(): void;
  destroy(): void;
}

/** Event kinds in the Int32Array the reactor hands JS: [kind, id, offset, length] per event. */
export const ReactorEvent = { OPEN: 1, DATA: 2, CLOSE: 3, DRAIN: 4 } as const;

/** The package root: the nearest ancestor holding binding.gyp (src/, dist/ and dist-bench/src/ all work). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, "binding.gyp"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, "..");
    dir = parent;
  }
}

function loadAddon(): NativeAddon {
  // TSKV_NATIVE_PATH names a specific build, e.g. the sanitizer build that `npm run test:asan` makes.
  const explicit = process.env.TSKV_NATIVE_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (explicit) return require(path.resolve(explicit)) as NativeAddon;
  return load(packageRoot()) as NativeAddon;
}

export const native: NativeAddon = loadAddon();

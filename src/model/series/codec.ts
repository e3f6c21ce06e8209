// The compressed chunk of a time series: n (timestamp, value) points in one engine value
// (docs/format.md, "Series chunk").
//
//   format u8 | count varint | first ts i64 LE | last ts i64 LE | ts-bytes varint | timestamps | values
//
// format = version << 4 | timestamp codec << 2 | value codec. Timestamps are either REGULAR (no bytes: every gap is
// (last - first) / (count - 1)) or DOD (Gorilla delta-of-delta buckets). Values are either XOR (Gorilla) or DECIMAL
// (scaled integers, zigzag deltas bit-packed in frames of FRAME values); the encoder keeps the smaller.
// Bit streams are MSB first and end with a stop bit '1' padded with zeros to a byte. float64 bits go through a shared Float64Array/Uint32Array pair: no BigInt anywhere.
// Encoding and decoding run in the addon (native/series_chunk.cc); encodeChunkJs and decodeChunkJs below are their
// references and the fallbacks for a build without them.
import { corruption, TskvError } from "../../engine/errors";
import { readVarint, varintSize, writeVarint } from "../../engine/varint";
import { native } from "../../native";

export interface DecodedChunk {
  timestamps: Float64Array;
  values: Float64Array;
}

export const CHUNK_FORMAT_VERSION = 1;
/** Most points in one chunk; a header claiming more is corrupt (and decoding never allocates beyond it). */
export const MAX_CHUNK_POINTS = 1 << 20;

export const TimestampCodec = { DOD: 0, REGULAR: 1 } as const;
export const ValueCodec = { XOR: 0, DECIMAL: 1 } as const;
export type ValueCodecName = "xor" | "decimal";

/** Values per frame of the DECIMAL codec. */
const FRAME = 64;
/** DECIMAL keeps |scaled| < 2^51, so a delta stays under 2^52 and its zigzag under 2^53 (safe integers). */
const MAX_SCALED = 2 ** 51;
const MAX_DECIMALS = 9;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const TWO32 = 0x100000000;
/** Zero bytes after a copied bit section, so a reader may run up to one point past its end before the check. */
const PAD = 16;
const WHAT = "series chunk";

// float64 <-> two u32 words
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

// ---------------------------------------------------------------------------------------------------------------
// Bit I/O

class BitWriter {
  buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private nacc = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Writes the low n bits of v, 0 <= n <= 32. */
  write(v: number, n: number): void {
    if (n > 24) {
      this.put((v >>> 16) & ((1 << (n - 16)) - 1), n - 16);
      this.put(v & 0xffff, 16);
    } else if (n > 0) {
      this.put(v & ((1 << n) - 1), n);
    }
  }

  /** Writes an unsigned value below 2^53 in n bits (n <= 53). */
  writeWide(v: number, n: number): void {
    if (n <= 32) this.write(v >>> 0, n);
    else {
      this.write(Math.floor(v / TWO32), n - 32);
      this.write(v >>> 0, 32);
    }
  }

  bit(b: number): void {
    this.put(b, 1);
  }

  private put(v: number, n: number): void {
    // nacc < 8 and n <= 24, so acc stays below 2^31.
    let acc = (this.acc << n) | v;
    let nacc = this.nacc + n;
    while (nacc >= 8) {
      nacc -= 8;
      if (this.pos === this.buf.length) this.grow();
      this.buf[this.pos++] = (acc >>> nacc) & 0xff;
    }
    this.acc = acc & ((1 << nacc) - 1);
    this.nacc = nacc;
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }

  /** Ends the stream with a stop bit '1' and zeros to the byte boundary; returns the bytes written. */
  finish(): Uint8Array {
    this.put(1, 1);
    if (this.nacc > 0) this.put(0, 8 - this.nacc);
    return this.buf.subarray(0, this.pos);
  }
}

class BitReader {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
  ) {}

  bit(): number {
    const p = this.pos++;
    return (this.b[p >>> 3] >>> (7 - (p & 7))) & 1;
  }

  /** Reads n bits, 1 <= n <= 32, as an unsigned number. */
  read(n: number): number {
    const p = this.pos;
    const b = this.b;
    const i = p >>> 3;
    const off = p & 7;
    const w = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    let r = (w << off) >>> (32 - n);
    if (off + n > 32) r = (r | (b[i + 4] >>> (40 - off - n))) >>> 0;
    this.pos = p + n;
    return r;
  }

  /** Reads n bits, 0 <= n <= 53. */
  readWide(n: number): number {
    if (n === 0) return 0;
    if (n <= 32) return this.read(n);
    const hi = this.read(n - 32);
    return hi * TWO32 + this.read(32);
  }
}

/**
 * Checks that a bit section read up to bit `pos` ends there: a stop bit '1', then only zeros, in the section's last
 * byte (`end`, exclusive). This pins the exact bit length, so a wrong count that reads more or fewer bits is caught.
 */
function checkStop(data: Uint8Array, pos: number, end: number, base: number, what: string): void {
  const i = pos >>> 3;
  if (i + 1 > end) throw corruption(WHAT, base + end, `${what} section ends early`);
  if (i + 1 < end) throw corruption(WHAT, base + i, `bytes left over in the ${what} section`);
  const rest = data[i] & (0xff >>> (pos & 7));
  if (rest !== 0x80 >>> (pos & 7)) throw corruption(WHAT, base + i, `${what} section does not end with its stop bit`);
}

function bitLength(x: number): number {
  if (x < TWO32) return 32 - Math.clz32(x);
  return 64 - Math.clz32(Math.floor(x / TWO32));
}

function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Header

interface Header {
  fmt: number;
  count: number;
  first: number;
  last: number;
  /** Byte offset just after the last timestamp. */
  pos: number;
}

function readI64(buf: Uint8Array, pos: number): number {
  const lo = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
  const hi = buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24);
  // Only safe integers are written: hi in [-2^21, 2^21) and the value not -2^53.
  if (hi < -0x200000 || hi >= 0x200000 || (hi === -0x200000 && lo === 0)) {
    throw corruption(WHAT, pos, "timestamp outside the safe integer range");
  }
  return hi * TWO32 + lo;
}

function writeI64(buf: Uint8Array, pos: number, v: number): number {
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  buf[pos] = lo & 0xff;
  buf[pos + 1] = (lo >>> 8) & 0xff;
  buf[pos + 2] = (lo >>> 16) & 0xff;
  buf[pos + 3] = lo >>> 24;
  buf[pos + 4] = hi & 0xff;
  buf[pos + 5] = (hi >>> 8) & 0xff;
  buf[pos + 6] = (hi >>> 16) & 0xff;
  buf[pos + 7] = (hi >>> 24) & 0xff;
  return pos + 8;
}

function readHeader(buf: Uint8Array): Header {
  if (buf.length < 1) throw corruption(WHAT, 0, "empty chunk");
  const fmt = buf[0];
  if (fmt >>> 4 !== CHUNK_FORMAT_VERSION) throw corruption(WHAT, 0, `unknown chunk format version ${fmt >>> 4}`);
  if (((fmt >>> 2) & 3) > TimestampCodec.REGULAR || (fmt & 3) > ValueCodec.DECIMAL) {
    throw corruption(WHAT, 0, `unknown chunk codec 0x${fmt.toString(16)}`);
  }
  const c = readVarint(buf, 1, buf.length);
  if (c === undefined) throw corruption(WHAT, 1, "truncated point count");
  const count = c[0];
  if (count < 1 || count > MAX_CHUNK_POINTS) throw corruption(WHAT, 1, `bad point count ${count}`);
  let pos = c[1];
  if (pos + 16 > buf.length) throw corruption(WHAT, pos, "truncated chunk header");
  const first = readI64(buf, pos);
  const last = readI64(buf, pos + 8);
  if (count === 1 ? last !== first : last <= first) throw corruption(WHAT, pos, "first/last timestamps disagree with the count");
  pos += 16;
  return { fmt, count, first, last, pos };
}

export function chunkCount(buf: Uint8Array): number {
  return readHeader(buf).count;
}

export function chunkFirstTimestamp(buf: Uint8Array): number {
  return readHeader(buf).first;
}

export function chunkLastTimestamp(buf: Uint8Array): number {
  return readHeader(buf).last;
}

/** Which value codec the chunk uses (for tests and TS.INFO-style debugging). */
export function chunkValueCodec(buf: Uint8Array): ValueCodecName {
  return (readHeader(buf).fmt & 3) === ValueCodec.DECIMAL ? "decimal" : "xor";
}

/** Which timestamp codec the chunk uses. */
export function chunkTimestampCodec(buf: Uint8Array): "dod" | "regular" {
  return ((readHeader(buf).fmt >>> 2) & 3) === TimestampCodec.REGULAR ? "regular" : "dod";
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes n points (timestamps strictly increasing integer ms, safe integers, may be negative; values any float64
 * incl. NaN, ±Inf, -0, subnormals). Picks the smaller of the two value codecs. Values given as a Float64Array keep
 * their exact bits, NaN payloads included. Throws RangeError on arguments that break these rules (1 <= n <=
 * MAX_CHUNK_POINTS).
 */
export function encodeChunk(timestamps: ArrayLike<number>, values: ArrayLike<number>, n?: number): Buffer {
  if (nativeEncode === undefined) return encodeChunkJs(timestamps, values, n);
  const count = checkEncodeArgs(timestamps, values, n);
  let ts: Float64Array;
  if (timestamps instanceof Float64Array) ts = timestamps;
  else {
    ts = new Float64Array(count);
    for (let i = 0; i < count; i++) ts[i] = timestamps[i];
  }
  let vals: Float64Array;
  if (values instanceof Float64Array) vals = values;
  else {
    vals = new Float64Array(count);
    for (let i = 0; i < count; i++) vals[i] = values[i];
  }
  return nativeEncode(ts, vals, count);
}

const nativeEncode = native.seriesChunkEncode;

/** encodeChunk's argument checks: returns the point count or throws RangeError. */
function checkEncodeArgs(timestamps: ArrayLike<number>, values: ArrayLike<number>, n: number | undefined): number {
  const count = n ?? timestamps.length;
  if (!Number.isInteger(count) || count < 1 || count > MAX_CHUNK_POINTS) {
    throw new RangeError(`encodeChunk: point count ${count} outside 1..${MAX_CHUNK_POINTS}`);
  }
  if (count > timestamps.length || count > values.length) throw new RangeError("encodeChunk: fewer points than n");
  let prev = -Infinity;
  for (let i = 0; i < count; i++) {
    const t = timestamps[i];
    if (!Number.isSafeInteger(t)) throw new RangeError(`encodeChunk: timestamp ${t} is not a safe integer`);
    if (t <= prev) throw new RangeError(`encodeChunk: timestamps not strictly increasing at index ${i}`);
    prev = t;
  }
  return count;
}

/**
 * The reference encoder, in TypeScript: what the addon's seriesChunkEncode must match byte for byte (tests and the
 * fuzz suite check it), and the encoder of a build without it. Same contract as encodeChunk.
 */
export function encodeChunkJs(timestamps: ArrayLike<number>, values: ArrayLike<number>, n?: number): Buffer {
  const count = checkEncodeArgs(timestamps, values, n);
  let vals: Float64Array;
  if (values instanceof Float64Array) vals = values;
  else {
    vals = new Float64Array(count);
    for (let i = 0; i < count; i++) vals[i] = values[i];
  }

  const first = timestamps[0];
  const last = timestamps[count - 1];
  let tsCodec: number = TimestampCodec.REGULAR;
  let tsBytes: Uint8Array = new Uint8Array(0);
  if (!isRegular(timestamps, count)) {
    tsCodec = TimestampCodec.DOD;
    tsBytes = encodeDod(timestamps, count);
  }

  let valueCodec: number = ValueCodec.XOR;
  let valueBytes = encodeXor(vals, count);
  const d = findDecimals(vals, count);
  if (d >= 0) {
    const dec = encodeDecimal(vals, count, d);
    if (dec.length <= valueBytes.length) {
      valueCodec = ValueCodec.DECIMAL;
      valueBytes = dec;
    }
  }

  const size = 1 + varintSize(count) + 16 + varintSize(tsBytes.length) + tsBytes.length + valueBytes.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = (CHUNK_FORMAT_VERSION << 4) | (tsCodec << 2) | valueCodec;
  let pos = writeVarint(out, 1, count);
  pos = writeI64(out, pos, first);
  pos = writeI64(out, pos, last);
  pos = writeVarint(out, pos, tsBytes.length);
  out.set(tsBytes, pos);
  out.set(valueBytes, pos + tsBytes.length);
  return out;
}

/** True when the decoder's first + i * ((last - first) / (n - 1)) gives back every timestamp exactly. */
function isRegular(ts: ArrayLike<number>, n: number): boolean {
  if (n === 1) return true;
  const first = ts[0];
  const step = (ts[n - 1] - first) / (n - 1);
  if (!Number.isSafeInteger(step)) return false;
  for (let i = 1; i < n; i++) if (first + i * step !== ts[i]) return false;
  return true;
}

// Delta-of-delta buckets: '0' dod = 0 | '10' 7 bits | '110' 9 bits | '1110' 12 bits | '11110' 32 bits (offset
// binary, two's complement for 32) | '11111' the timestamp itself as i64. The encoder runs the decoder's arithmetic
// so the state never drifts, even where a delta of extreme timestamps is not exact in float64.
function encodeDod(ts: ArrayLike<number>, n: number): Uint8Array {
  const w = new BitWriter(n);
  let prevT = ts[0];
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const t = ts[i];
    const dod = t - prevT - prevDelta;
    const delta = prevDelta + dod;
    if (Number.isInteger(dod) && dod >= -0x80000000 && dod < 0x80000000 && prevT + delta === t) {
      if (dod === 0) w.bit(0);
      else if (dod >= -64 && dod < 64) {
        w.write(0b10, 2);
        w.write(dod + 64, 7);
      } else if (dod >= -256 && dod < 256) {
        w.write(0b110, 3);
        w.write(dod + 256, 9);
      } else if (dod >= -2048 && dod < 2048) {
        w.write(0b1110, 4);
        w.write(dod + 2048, 12);
      } else {
        w.write(0b11110, 5);
        w.write(dod >>> 0, 32);
      }
      prevDelta = delta;
    } else {
      w.write(0b11111, 5);
      const hi = Math.floor(t / TWO32);
      w.write(hi >>> 0, 32);
      w.write((t - hi * TWO32) >>> 0, 32);
      prevDelta = t - prevT;
    }
    prevT = t;
  }
  return w.finish();
}

// Gorilla XOR: first value as 64 raw bits; then per value '0' (same as previous) | '10' + the meaningful bits in
// the previous window | '11' + leading zeros (5 bits, at most 31) + meaningful length (6 bits, 0 = 64) + the bits.
function encodeXor(vals: Float64Array, n: number): Uint8Array {
  const bits = new Uint32Array(vals.buffer, vals.byteOffset, n * 2);
  const w = new BitWriter(n * 2 + 16);
  let prevHi = bits[HI];
  let prevLo = bits[LO];
  w.write(prevHi, 32);
  w.write(prevLo, 32);
  let winLead = -1;
  let winTrail = 0;
  for (let i = 1; i < n; i++) {
    const hi = bits[2 * i + HI];
    const lo = bits[2 * i + LO];
    const xh = (hi ^ prevHi) >>> 0;
    const xl = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xh === 0 && xl === 0) {
      w.bit(0);
      continue;
    }
    let lead = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    if (lead > 31) lead = 31;
    const trail = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
    if (winLead >= 0 && lead >= winLead && trail >= winTrail) {
      w.write(0b10, 2);
      writeMeaningful(w, xh, xl, winTrail, 64 - winLead - winTrail);
    } else {
      const m = 64 - lead - trail;
      w.write(0b11, 2);
      w.write(lead, 5);
      w.write(m & 63, 6);
      writeMeaningful(w, xh, xl, trail, m);
      winLead = lead;
      winTrail = trail;
    }
  }
  return w.finish();
}

/** Writes bits trail .. trail+m-1 of the 64-bit word xh:xl. */
function writeMeaningful(w: BitWriter, xh: number, xl: number, trail: number, m: number): void {
  let sh: number;
  let sl: number;
  if (trail >= 32) {
    sh = 0;
    sl = xh >>> (trail - 32);
  } else if (trail === 0) {
    sh = xh;
    sl = xl;
  } else {
    sh = xh >>> trail;
    sl = ((xl >>> trail) | (xh << (32 - trail))) >>> 0;
  }
  if (m <= 32) w.write(sl, m);
  else {
    w.write(sh, m - 32);
    w.write(sl, 32);
  }
}

/**
 * The fewest decimals d (0..9) such that every value is exactly round(v * 10^d) / 10^d with |scaled| < 2^51, or
 * -1. NaN, ±Inf and -0 never qualify.
 */
function findDecimals(vals: Float64Array, n: number): number {
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (!(Math.abs(v) < MAX_SCALED) || (v === 0 && 1 / v < 0)) return -1;
    while (Math.round(v * POW10[d]) / POW10[d] !== v) if (++d > MAX_DECIMALS) return -1;
  }
  // Values checked before d last rose must hold at the final d too.
  for (; d <= MAX_DECIMALS; d++) {
    const p = POW10[d];
    let ok = true;
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      const k = Math.round(v * p);
      if (k / p !== v || !(Math.abs(k) < MAX_SCALED)) {
        ok = false;
        break;
      }
    }
    if (ok) return d;
  }
  return -1;
}

// DECIMAL: d u8 | zigzag(k0) varint | frames of up to FRAME zigzag deltas, each: width u6 | min width u6 |
// min (min width bits) | each delta's zigzag minus min in width bits. Bits MSB first, then the stop bit.
function encodeDecimal(vals: Float64Array, n: number, d: number): Uint8Array {
  const p = POW10[d];
  const k0 = Math.round(vals[0] * p);
  const z0 = zigzag(k0);
  const head = 1 + varintSize(z0);
  const w = new BitWriter(head + n);
  const tmp = Buffer.alloc(head);
  tmp[0] = d;
  writeVarint(tmp, 1, z0);
  for (let i = 0; i < head; i++) w.write(tmp[i], 8);
  const zz = new Float64Array(FRAME);
  let prevK = k0;
  for (let i = 1; i < n; i += FRAME) {
    const cnt = Math.min(FRAME, n - i);
    let min = Infinity;
    let max = 0;
    for (let j = 0; j < cnt; j++) {
      const k = Math.round(vals[i + j] * p);
      const z = zigzag(k - prevK);
      prevK = k;
      zz[j] = z;
      if (z < min) min = z;
      if (z > max) max = z;
    }
    const width = bitLength(max - min);
    const minWidth = bitLength(min);
    w.write(width, 6);
    w.write(minWidth, 6);
    w.writeWide(min, minWidth);
    if (width > 0) for (let j = 0; j < cnt; j++) w.writeWide(zz[j] - min, width);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

const nativeDecode = native.seriesChunkDecode;
/** seriesChunkDecode's status for output arrays shorter than the chunk (native/series_chunk.h, kCapacity). */
const STATUS_CAPACITY = 1;
const STATUS_LIMIT = 64;

/**
 * Decodes a chunk into two new arrays of its point count (the callers keep slices of them). The addon does the work;
 * throws TskvError (TSKV_ERR_CORRUPTION) on any malformed input, as decodeChunkJs does for the same inputs.
 */
export function decodeChunk(buf: Uint8Array): DecodedChunk {
  if (nativeDecode === undefined) return decodeChunkJs(buf);
  let n = peekCount(buf);
  let timestamps = new Float64Array(n);
  let values = new Float64Array(n);
  let r = nativeDecode(buf, timestamps, values);
  const need = nativeCapacityNeed(r);
  if (need !== undefined) {
    // A count varint peekCount does not read (a non-minimal one): the decoder said how many points.
    n = need;
    timestamps = new Float64Array(n);
    values = new Float64Array(n);
    r = nativeDecode(buf, timestamps, values);
  }
  if (r === n) return { timestamps, values };
  throw nativeFailure(r);
}

/**
 * The point count in a header's count varint when it is one to three bytes and at most MAX_CHUNK_POINTS, else 0. It
 * only sizes decodeChunk's arrays: the native decoder checks the header itself and says when they are too short.
 */
function peekCount(buf: Uint8Array): number {
  const len = buf.length;
  if (len < 2) return 0;
  const b1 = buf[1];
  if (b1 < 0x80) return b1;
  if (len < 3) return 0;
  const b2 = buf[2];
  if (b2 < 0x80) return (b1 & 0x7f) | (b2 << 7);
  if (len < 4 || buf[3] >= 0x80) return 0;
  const c = (b1 & 0x7f) | ((b2 & 0x7f) << 7) | (buf[3] << 14);
  return c <= MAX_CHUNK_POINTS ? c : 0;
}

/**
 * For a native result that says the output arrays were too short (status kCapacity, nothing written), how many
 * elements they need; undefined for any other result.
 */
export function nativeCapacityNeed(r: number): number | undefined {
  return r < 0 && -r % STATUS_LIMIT === STATUS_CAPACITY ? (-r - STATUS_CAPACITY) / STATUS_LIMIT : undefined;
}

/** The error for a native decoder's negative result (a damaged chunk): TSKV_ERR_CORRUPTION at its offset. */
export function nativeFailure(r: number): TskvError {
  const status = -r % STATUS_LIMIT;
  const offset = (-r - status) / STATUS_LIMIT;
  const what = native.seriesChunkStatusText?.(status) ?? `status ${status}`;
  return corruption(WHAT, offset, what);
}

/**
 * The reference decoder, in TypeScript: what the native one must match bit for bit and error for error (tests and
 * the fuzz suite check it), and the decoder of a build without the addon's seriesChunkDecode. Throws TskvError
 * (TSKV_ERR_CORRUPTION) on any malformed input; never reads out of bounds, never loops forever.
 */
export function decodeChunkJs(buf: Uint8Array): DecodedChunk {
  const h = readHeader(buf);
  const n = h.count;
  const tl = readVarint(buf, h.pos, buf.length);
  if (tl === undefined) throw corruption(WHAT, h.pos, "truncated timestamp section length");
  const tsLen = tl[0];
  const base = tl[1];
  if (tsLen > buf.length - base) throw corruption(WHAT, h.pos, `timestamp section of ${tsLen} bytes runs past the chunk`);
  const valLen = buf.length - base - tsLen;
  // One zero-padded copy of both bit sections: readers may overrun by one point before their bounds check.
  const data = new Uint8Array(tsLen + valLen + PAD);
  data.set(buf.subarray(base));

  const timestamps = new Float64Array(n);
  if (((h.fmt >>> 2) & 3) === TimestampCodec.REGULAR) {
    if (tsLen !== 0) throw corruption(WHAT, base, "regular timestamps with a timestamp section");
    decodeRegular(h, timestamps);
  } else {
    decodeDod(h, data, tsLen, base, timestamps);
  }

  const values = new Float64Array(n);
  if ((h.fmt & 3) === ValueCodec.DECIMAL) decodeDecimal(data, tsLen, tsLen + valLen, base, n, values);
  else decodeXor(data, tsLen, tsLen + valLen, base, n, values);
  return { timestamps, values };
}

function decodeRegular(h: Header, out: Float64Array): void {
  const n = h.count;
  const first = h.first;
  out[0] = first;
  if (n === 1) return;
  const step = (h.last - first) / (n - 1);
  if (!Number.isSafeInteger(step)) throw corruption(WHAT, 0, "regular timestamps with a fractional step");
  for (let i = 1; i < n; i++) out[i] = first + i * step;
  if (out[n - 1] !== h.last) throw corruption(WHAT, 0, "regular timestamps do not end at the last timestamp");
}

function decodeDod(h: Header, data: Uint8Array, end: number, base: number, out: Float64Array): void {
  const n = h.count;
  const endBits = end * 8;
  const r = new BitReader(data, 0);
  let prevT = h.first;
  let prevDelta = 0;
  out[0] = prevT;
  for (let i = 1; i < n; i++) {
    let t: number;
    if (r.bit() === 0) {
      t = prevT + prevDelta;
    } else {
      let dod: number;
      if (r.bit() === 0) dod = r.read(7) - 64;
      else if (r.bit() === 0) dod = r.read(9) - 256;
      else if (r.bit() === 0) dod = r.read(12) - 2048;
      else if (r.bit() === 0) dod = r.read(32) | 0;
      else {
        const hi = r.read(32) | 0;
        const lo = r.read(32);
        if (hi < -0x200000 || hi >= 0x200000 || (hi === -0x200000 && lo === 0)) {
          throw corruption(WHAT, base + (r.pos >>> 3), "timestamp outside the safe integer range");
        }
        t = hi * TWO32 + lo;
        if (!(t > prevT)) throw corruption(WHAT, base + (r.pos >>> 3), `timestamps not increasing at point ${i}`);
        if (r.pos > endBits) break;
        prevDelta = t - prevT;
        out[i] = prevT = t;
        continue;
      }
      prevDelta += dod;
      t = prevT + prevDelta;
    }
    if (!(t > prevT)) throw corruption(WHAT, base + (r.pos >>> 3), `timestamps not increasing at point ${i}`);
    if (r.pos > endBits) break;
    out[i] = prevT = t;
  }
  checkStop(data, r.pos, end, base, "timestamp");
  if (prevT !== h.last) throw corruption(WHAT, base, "timestamps do not end at the last timestamp");
}

function decodeXor(data: Uint8Array, start: number, end: number, base: number, n: number, out: Float64Array): void {
  const endBits = end * 8;
  const bits = new Uint32Array(out.buffer, out.byteOffset, n * 2);
  const r = new BitReader(data, start * 8);
  let hi = r.read(32);
  let lo = r.read(32);
  bits[HI] = hi;
  bits[LO] = lo;
  let winLead = -1;
  let winTrail = 0;
  let winLen = 0;
  for (let i = 1; i < n; i++) {
    if (r.bit() !== 0) {
      if (r.bit() !== 0) {
        winLead = r.read(5);
        winLen = r.read(6);
        if (winLen === 0) winLen = 64;
        winTrail = 64 - winLead - winLen;
        if (winTrail < 0) throw corruption(WHAT, base + (r.pos >>> 3), "XOR window wider than 64 bits");
      } else if (winLead < 0) {
        throw corruption(WHAT, base + (r.pos >>> 3), "XOR window reused before one was set");
      }
      const trail = winTrail;
      let xh: number;
      let xl: number;
      if (winLen <= 32) {
        const v = r.read(winLen);
        if (trail >= 32) {
          xh = v << (trail - 32);
          xl = 0;
        } else if (trail + winLen <= 32) {
          xh = 0;
          xl = v << trail;
        } else {
          xh = v >>> (32 - trail);
          xl = v << trail;
        }
      } else {
        const vh = r.read(winLen - 32);
        const vl = r.read(32);
        if (trail === 0) {
          xh = vh;
          xl = vl;
        } else {
          xh = (vh << trail) | (vl >>> (32 - trail));
          xl = vl << trail;
        }
      }
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    if (r.pos > endBits) break;
    bits[2 * i + HI] = hi;
    bits[2 * i + LO] = lo;
  }
  checkStop(data, r.pos, end, base, "value");
}

function decodeDecimal(data: Uint8Array, start: number, end: number, base: number, n: number, out: Float64Array): void {
  if (start >= end) throw corruption(WHAT, base + start, "empty value section");
  const d = data[start];
  if (d > MAX_DECIMALS) throw corruption(WHAT, base + start, `decimal scale ${d} above ${MAX_DECIMALS}`);
  const p = POW10[d];
  const v0 = readVarint(data, start + 1, end);
  if (v0 === undefined) throw corruption(WHAT, base + start + 1, "truncated first scaled value");
  let k = unzigzag(v0[0]);
  if (!(Math.abs(k) < MAX_SCALED)) throw corruption(WHAT, base + start + 1, "first scaled value out of range");
  out[0] = k / p;
  const endBits = end * 8;
  const r = new BitReader(data, v0[1] * 8);
  for (let i = 1; i < n; i += FRAME) {
    const cnt = n - i < FRAME ? n - i : FRAME;
    if (r.pos + 12 > endBits) throw corruption(WHAT, base + (r.pos >>> 3), "value section ends early");
    const width = r.read(6);
    const minWidth = r.read(6);
    if (width > 53 || minWidth > 53) throw corruption(WHAT, base + (r.pos >>> 3), "frame bit width above 53");
    if (r.pos + minWidth + cnt * width > endBits) throw corruption(WHAT, base + (r.pos >>> 3), "value section ends early");
    const min = r.readWide(minWidth);
    const stop = i + cnt;
    if (width === 0) {
      const delta = unzigzag(min);
      for (let j = i; j < stop; j++) {
        k += delta;
        out[j] = k / p;
      }
    } else if (width <= 30 && min < 0x40000000) {
      // min + residual < 2^31: zigzag with int32 arithmetic.
      for (let j = i; j < stop; j++) {
        const z = min + r.read(width);
        k += (z >>> 1) ^ -(z & 1);
        out[j] = k / p;
      }
    } else {
      for (let j = i; j < stop; j++) {
        k += unzigzag(min + r.readWide(width));
        if (!(Math.abs(k) < MAX_SCALED)) throw corruption(WHAT, base + (r.pos >>> 3), "scaled value out of range");
        out[j] = k / p;
      }
    }
    if (!(Math.abs(k) < MAX_SCALED)) throw corruption(WHAT, base + (r.pos >>> 3), "scaled value out of range");
  }
  checkStop(data, r.pos, end, base, "value");
}

// Small byte-string helpers for hot paths.

/**
 * Copies src[start, start + n) into dst at `at`: a JS loop for short strings (cheaper than the call behind
 * TypedArray#set), set() for longer ones.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start = 0, n = src.length - start): void {
  if (n <= 32) for (let i = 0; i < n; i++) dst[at + i] = src[start + i];
  else dst.set(start === 0 && n === src.length ? src : src.subarray(start, start + n), at);
}

/**
 * True when `a` holds exactly the first `n` bytes of `b` (all of it by default): a JS loop, cheaper than a call into
 * Buffer#equals for keys.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array, n = b.length): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One byte string at a time kept as a copy, in a buffer reused (and grown) from one to the next: for remembering the
 * last key or name seen when the caller's buffer may be reused, without an allocation per copy.
 */
export class KeptBytes {
  /** Holds the kept string in its first `length` bytes. */
  bytes = Buffer.allocUnsafe(64);
  /** Length of the kept string; -1 while nothing is kept. */
  length = -1;

  set(src: Uint8Array): void {
    if (this.bytes.length < src.length) this.bytes = Buffer.allocUnsafe(src.length * 2);
    copyBytes(this.bytes, 0, src);
    this.length = src.length;
  }

  clear(): void {
    this.length = -1;
  }

  /** True when `b` holds the kept string's bytes. */
  equals(b: Uint8Array): boolean {
    return equalBytes(b, this.bytes, this.length);
  }

  /** The kept string (a view: valid until the next set()). */
  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

/**
 * Little-endian integers by element access. Buffer's own readUInt32LE and friends are reached through a generic
 * property load in optimized code (Buffer.prototype is not a fast-mode prototype) and check their arguments in JS:
 * ~6 ns a call against ~1 ns here. The caller keeps `at` in bounds.
 */
export function putU32LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

export function putU16LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
}

export function getU32LE(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

export function getI32LE(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
}

/**
 * Buffers made directly on an ArrayBuffer: instances of a Uint8Array subclass whose prototype chain runs through
 * Buffer.prototype, so they are Buffers to every caller (Buffer.isBuffer, instanceof, every Buffer method, subarray()
 * giving Buffers). Made in about half the time of Buffer.from(arrayBuffer, offset, length), which checks its
 * arguments in JS before making the same object (Node 20: 18 against 38 ns), and of buf.subarray(), which also reads
 * `buffer` and `byteOffset` through calls into C++ (48 ns).
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);

/** ab[offset, offset + length) as a Buffer sharing its memory (the caller keeps it in bounds: a RangeError otherwise). */
export function viewOf(ab: ArrayBufferLike, offset: number, length: number): Buffer {
  return new BufferView(ab as ArrayBuffer, offset, length) as unknown as Buffer;
}

/**
 * Views into one Buffer at a time, made by viewOf() from its ArrayBuffer and offset, read once, when the first view
 * is asked for (a Buffer's `buffer` is a call into C++: a buffer no view is made of costs nothing).
 */
export class BufferViews {
  /** The Buffer views are made of. */
  buf: Buffer = Buffer.alloc(0);
  private ab: ArrayBufferLike | null = null;
  private off = 0;
  /** The last view scratchView() made, and its length. */
  private scratch: Buffer | null = null;
  private scratchLen = -1;

  of(b: Buffer): void {
    this.buf = b;
    this.ab = null;
    this.scratch = null;
  }

  /**
   * buf[0, len) for a scratch buffer whose bytes the caller rewrites before each use: the same object as the last
   * call's when the length is the same (a run of same-length keys or values makes no view at all).
   */
  scratchView(len: number): Buffer {
    if (this.scratch === null || this.scratchLen !== len) {
      this.scratch = this.view(0, len);
      this.scratchLen = len;
    }
    return this.scratch;
  }

  /** buf[at, at + len) as a Buffer sharing its memory. */
  view(at: number, len: number): Buffer {
    if (this.ab === null) {
      this.ab = this.buf.buffer;
      this.off = this.buf.byteOffset;
    }
    return viewOf(this.ab, this.off + at, len);
  }
}

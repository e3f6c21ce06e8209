// RESP2/RESP3 reply encoder. Replies accumulate in slabs; take() hands the server the chunks of one loop turn for a
// single writev. Payloads of BIG_PAYLOAD bytes or more are referenced, not copied.
import type { Protocol, ReplyWriter } from "./reply";
import { copyBytes } from "../util/bytes";

const SLAB = 16 * 1024;
export const BIG_PAYLOAD = 4 * 1024;
const CRLF = Buffer.from("\r\n");

/** Formats a double as C's printf("%.17g"), which Redis 7.0 uses for double replies. */
export function formatDouble17g(d: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  return formatG(d, 17);
}

/** C's %.<precision>g for finite, non-zero values. */
export function formatG(d: number, precision: number): string {
  // toExponential gives the decimal exponent after rounding to `precision` digits, as %g decides by it.
  const e = d.toExponential(precision - 1);
  const [mant, expStr] = e.split("e");
  const x = Number(expStr);
  if (x < -4 || x >= precision) {
    let m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    if (m === "-") m = "-0";
    const sign = x < 0 ? "-" : "+";
    const ax = Math.abs(x);
    return `${m}e${sign}${ax < 10 ? "0" + ax : ax}`;
  }
  let f = d.toFixed(Math.max(0, precision - 1 - x));
  if (f.includes(".")) f = f.replace(/0+$/, "").replace(/\.$/, "");
  return f;
}

/**
 * Writes a non-negative safe integer in decimal at `p`, without a string; returns the position after it. Numbers of
 * 10^8 and more go in two halves so the digit arithmetic stays on small integers (% on large doubles is a slow call;
 * n / 10^8 cannot round up to the next integer below 2^53, so the halves are exact).
 */
export function writeUint(b: Buffer, p: number, n: number): number {
  if (n < 1e8) {
    let x = n | 0;
    let len = 1;
    for (let y = x; y >= 10; y = (y / 10) | 0) len++;
    const end = p + len;
    let q = end;
    do {
      b[--q] = 0x30 + (x % 10);
      x = (x / 10) | 0;
    } while (x > 0);
    return end;
  }
  const hi = Math.floor(n / 1e8);
  let lo = (n - hi * 1e8) | 0;
  const start = writeUint(b, p, hi);
  const end = start + 8;
  for (let q = end; q > start; ) {
    b[--q] = 0x30 + (lo % 10);
    lo = (lo / 10) | 0;
  }
  return end;
}

export class RespWriter implements ReplyWriter {
  proto: Protocol;
  private chunks: Buffer[] = [];
  private slab: Buffer = Buffer.allocUnsafe(SLAB);
  private start = 0; // first byte of the slab not yet moved to chunks
  private used = 0;
  private queued = 0; // bytes in chunks
  /** Error replies written so far (the server tells failed calls by it). */
  errorCount = 0;
  /** Called with each error reply's text (metrics count them by prefix). */
  onError: ((message: string) => void) | undefined;

  constructor(proto: Protocol = 2) {
    this.proto = proto;
  }

  /** Bytes written and not yet taken. */
  get size(): number {
    return this.queued + (this.used - this.start);
  }

  /** Everything written since the last take(), in order. The writer never touches these bytes again. */
  take(): Buffer[] {
    this.cut();
    const out = this.chunks;
    this.chunks = [];
    this.queued = 0;
    if (this.used > SLAB / 2) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.start = 0;
      this.used = 0;
    }
    return out;
  }

  simple(s: string): void {
    if (s === "OK") {
      // The reply of nearly every write: five bytes, no string made.
      this.ensure(5);
      const b = this.slab;
      const p = this.used;
      b[p] = 0x2b; // +
      b[p + 1] = 0x4f; // O
      b[p + 2] = 0x4b; // K
      b[p + 3] = 0x0d;
      b[p + 4] = 0x0a;
      this.used = p + 5;
      return;
    }
    this.ascii(`+${s}\r\n`);
  }

  error(message: string): void {
    this.errorCount++;
    this.onError?.(message);
    // An error line must not contain CR/LF; Redis replaces them with spaces.
    this.ascii(`-${message.replace(/[\r\n]/g, " ")}\r\n`);
  }

  integer(n: number | bigint): void {
    if (typeof n !== "number" || !Number.isSafeInteger(n)) {
      this.ascii(`:${n}\r\n`);
      return;
    }
    // Digits straight into the slab (no string): TS.MADD answers with one integer per sample.
    this.ensure(20);
    const s = this.slab;
    let p = this.used;
    s[p++] = 0x3a; // :
    if (n < 0) s[p++] = 0x2d;
    p = writeUint(s, p, n < 0 ? -n : n);
    s[p++] = 0x0d;
    s[p++] = 0x0a;
    this.used = p;
  }

  bulk(b: Buffer | string): void {
    if (typeof b === "string") {
      const len = Buffer.byteLength(b);
      if (len < BIG_PAYLOAD) {
        this.ensure(len + 24);
        this.used += this.slab.write(`$${len}\r\n`, this.used, "latin1");
        this.used += this.slab.write(b, this.used, "utf8");
        this.used += this.slab.write("\r\n", this.used, "latin1");
        return;
      }
      b = Buffer.from(b);
    }
    if (b.length < BIG_PAYLOAD) {
      // Header, body and CRLF into the slab in one go (a GET reply): no header string, one bounds check.
      this.ensure(b.length + 16);
      const s = this.slab;
      let p = this.used;
      s[p++] = 0x24; // $
      p = writeUint(s, p, b.length);
      s[p++] = 0x0d;
      s[p++] = 0x0a;
      copyBytes(s, p, b);
      p += b.length;
      s[p++] = 0x0d;
      s[p++] = 0x0a;
      this.used = p;
      return;
    }
    this.ascii(`$${b.length}\r\n`);
    this.bytes(b);
    this.ascii("\r\n");
  }

  nullBulk(): void {
    this.ascii(this.proto === 3 ? "_\r\n" : "$-1\r\n");
  }

  nullArray(): void {
    this.ascii(this.proto === 3 ? "_\r\n" : "*-1\r\n");
  }

  arrayHeader(n: number): void {
    this.ascii(`*${n}\r\n`);
  }

  mapHeader(n: number): void {
    this.ascii(this.proto === 3 ? `%${n}\r\n` : `*${n * 2}\r\n`);
  }

  setHeader(n: number): void {
    this.ascii(this.proto === 3 ? `~${n}\r\n` : `*${n}\r\n`);
  }

  pushHeader(n: number): void {
    this.ascii(this.proto === 3 ? `>${n}\r\n` : `*${n}\r\n`);
  }

  double(d: number): void {
    const text = formatDouble17g(d);
    if (this.proto === 3) this.ascii(`,${text}\r\n`);
    else this.ascii(`$${text.length}\r\n${text}\r\n`);
  }

  boolean(b: boolean): void {
    if (this.proto === 3) this.ascii(b ? "#t\r\n" : "#f\r\n");
    else this.ascii(b ? ":1\r\n" : ":0\r\n");
  }

  verbatim(format: string, text: string | Buffer): void {
    const body = typeof text === "string" ? Buffer.from(text) : text;
    if (this.proto === 3) {
      this.ascii(`=${body.length + 4}\r\n${format.slice(0, 3).padEnd(3, " ")}:`);
      this.bytes(body);
      this.ascii("\r\n");
    } else {
      this.bulk(body);
    }
  }

  bigNumber(digits: string): void {
    if (this.proto === 3) this.ascii(`(${digits}\r\n`);
    else this.ascii(`$${digits.length}\r\n${digits}\r\n`);
  }

  /** The bytes the last takeRun() took, in the slab it returned: [runStart, runEnd). */
  runStart = 0;
  runEnd = 0;

  /**
   * take() without a view or an array, for when everything written since the last take lies in the current slab
   * (no referenced payload, no slab change): returns that slab and sets runStart/runEnd; null otherwise, and then
   * take() must be used. The writer never touches the bytes taken again.
   */
  takeRun(): Buffer | null {
    if (this.chunks.length > 0) return null;
    const slab = this.slab;
    this.runStart = this.start;
    this.runEnd = this.used;
    this.start = this.used;
    if (this.used > SLAB / 2) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.start = 0;
      this.used = 0;
    }
    return slab;
  }

  raw(b: Buffer): void {
    this.bytes(b);
  }

  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n <= 32) {
      // A short header or simple reply: a loop beats the call behind Buffer#write (same bytes as latin1).
      const b = this.slab;
      let p = this.used;
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i) & 0xff;
      this.used = p;
      return;
    }
    this.used += this.slab.write(s, this.used, "latin1");
  }

  private bytes(b: Buffer): void {
    if (b.length >= BIG_PAYLOAD) {
      this.cut();
      this.chunks.push(b);
      this.queued += b.length;
      return;
    }
    this.ensure(b.length);
    b.copy(this.slab, this.used);
    this.used += b.length;
  }

  /** Moves the written part of the slab to chunks. */
  private cut(): void {
    if (this.used > this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.used));
      this.queued += this.used - this.start;
      this.start = this.used;
    }
  }

  private ensure(n: number): void {
    if (this.used + n <= this.slab.length) return;
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB, n));
    this.start = 0;
    this.used = 0;
  }
}

/** Encodes a command as a RESP multibulk (what clients send); used by tests and the benchmark harness. */
export function encodeCommand(args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

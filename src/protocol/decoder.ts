// Incremental RESP request decoder: multibulk (`*<n>\r\n$<len>\r\n<bytes>\r\n…`) and inline commands, with the
// limits and the exact protocol errors of Redis 7.0's networking.c (processMultibulkBuffer, processInlineBuffer).
//
// Zero copy: while a whole command lies inside the chunk last fed, its arguments are views of that chunk, valid
// until the next feed(). When next() runs out of bytes in the middle of a command, whatever it keeps (parsed
// arguments, the unparsed tail) is copied, so the caller may reuse its read buffer at once.
import { BufferViews } from "../util/bytes";
import { ProtocolError, ProtocolErrors } from "./errors";

export interface DecoderLimits {
  /** Largest bulk string accepted (Redis proto-max-bulk-len). Default 512 MiB. */
  protoMaxBulkLen?: number;
  /** Longest inline request and longest unterminated count line (Redis PROTO_INLINE_MAX_SIZE). Default 64 KiB. */
  inlineMaxSize?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Bulk bodies at least this large that arrive in pieces get a buffer of their own (Redis PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
/** Initial argv capacity hint cap, as Redis caps its first allocation at 1024 pointers. */
const INT_MAX = 2147483647;
/** Unauthenticated clients may send at most this many arguments / bytes per argument (Redis authRequired()). */
const UNAUTH_MULTIBULK_MAX = 10;
const UNAUTH_BULK_MAX = 16384;

export class RespDecoder {
  /** Set while the client still has to AUTH: tighter limits apply, as in Redis. */
  unauthenticated = false;
  private readonly protoMaxBulkLen: number;
  private readonly inlineMaxSize: number;

  private buf: Buffer = EMPTY;
  /** Makes argument views of `buf` (set with it). */
  private readonly views = new BufferViews();
  private pos = 0;
  /** True when `buf` is our own copy rather than the caller's chunk. */
  private owned = true;

  // Multibulk state, kept across feeds.
  private remaining = 0; // arguments still expected; 0 = not inside a multibulk
  private args: Buffer[] = [];
  private ownedArgs = 0; // args[0, ownedArgs) are owned copies
  private bulkLen = -1; // length of the bulk being read, -1 = reading its "$len" line
  private big: Buffer | null = null; // body of a big bulk being filled across feeds
  private bigFill = 0;

  constructor(limits: DecoderLimits = {}) {
    this.protoMaxBulkLen = limits.protoMaxBulkLen ?? 512 * 1024 * 1024;
    this.inlineMaxSize = limits.inlineMaxSize ?? 64 * 1024;
  }

  /** Bytes held for incomplete requests (Redis counts these against client-query-buffer-limit). */
  get bufferedBytes(): number {
    let n = this.buf.length - this.pos + this.bigFill;
    for (let i = 0; i < this.ownedArgs; i++) n += this.args[i].length;
    return n;
  }

  /** True when no partial request is held. */
  get idle(): boolean {
    return this.pos >= this.buf.length && this.remaining === 0 && this.big === null;
  }

  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.big !== null) {
      // Fill the big bulk directly; the rest of the chunk (if any) is parsed normally.
      const want = this.bulkLen + 2 - this.bigFill;
      const take = Math.min(want, chunk.length);
      this.growBig(this.bigFill + take);
      chunk.copy(this.big, this.bigFill, 0, take);
      this.bigFill += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    if (this.pos >= this.buf.length) {
      this.setBuf(chunk);
      this.owned = false;
    } else {
      this.setBuf(Buffer.concat([this.buf.subarray(this.pos), chunk]));
      this.owned = true;
    }
    this.pos = 0;
  }

  /**
   * The next complete command's arguments, or null when more bytes are needed. Throws ProtocolError on bad input;
   * the decoder is unusable afterwards (the connection closes).
   */
  next(): Buffer[] | null {
    for (;;) {
      if (this.remaining === 0 && this.big === null) {
        if (this.pos >= this.buf.length) return this.parked();
        if (this.buf[this.pos] === 0x2a /* * */) {
          const r = this.multibulkHeader();
          if (r === null) return this.parked();
          if (r === 0) continue; // *0 / *-1: nothing to run
        } else {
          const inline = this.inline();
          if (inline === null) return this.parked();
          if (inline.length === 0) continue;
          return inline;
        }
      }
      const done = this.bulks();
      if (done === null) return this.parked();
      return done;
    }
  }

  /** Reads "*<n>\r\n"; returns n (0 for commands to skip), or null when incomplete. */
  private multibulkHeader(): number | null {
    // The common header, "*<n>\r\n" complete in the buffer with a plain count, read in one pass (Buffer#indexOf is a
    // call into C++); anything else takes the general path below, which says what is wrong.
    let cr = plainHeader(this.buf, this.pos + 1);
    let ll: number | null = plainValue;
    if (cr < 0 || ll > INT_MAX || (ll > UNAUTH_MULTIBULK_MAX && this.unauthenticated)) {
      cr = this.buf.indexOf(CR, this.pos);
      if (cr < 0) {
        if (this.buf.length - this.pos > this.inlineMaxSize) throw new ProtocolError(ProtocolErrors.tooBigMbulkCount);
        return null;
      }
      if (cr + 1 >= this.buf.length) return null; // wait for the LF
      ll = parseInteger(this.buf, this.pos + 1, cr);
      if (ll === null || ll > INT_MAX) throw new ProtocolError(ProtocolErrors.invalidMultibulkLength);
      if (ll > UNAUTH_MULTIBULK_MAX && this.unauthenticated) {
        throw new ProtocolError(ProtocolErrors.unauthenticatedMultibulkLength);
      }
    }
    this.pos = cr + 2;
    if (ll <= 0) return 0;
    this.remaining = ll;
    this.args = [];
    this.ownedArgs = 0;
    this.bulkLen = -1;
    return ll;
  }

  /** Reads bulk strings until the multibulk is complete; null when incomplete. */
  private bulks(): Buffer[] | null {
    while (this.remaining > 0) {
      if (this.big !== null) {
        if (this.bigFill < this.bulkLen + 2) return null;
        const body = this.big.subarray(0, this.bulkLen);
        this.big = null;
        this.bigFill = 0;
        if (this.pushArg(body, true)) return this.take();
        continue;
      }
      if (this.bulkLen === -1) {
        if (this.pos >= this.buf.length) return null;
        // The common header, "$<len>\r\n" complete in the buffer with a plain length, read in one pass; anything
        // else (split, malformed, over a limit) takes the general path below, which says what is wrong.
        if (this.buf[this.pos] === 0x24 /* $ */) {
          const j = plainHeader(this.buf, this.pos + 1);
          const n = plainValue;
          if (j >= 0 && n <= this.protoMaxBulkLen && !(n > UNAUTH_BULK_MAX && this.unauthenticated)) {
            this.pos = j + 2;
            this.bulkLen = n;
          }
        }
      }
      if (this.bulkLen === -1) {
        const cr = this.buf.indexOf(CR, this.pos);
        if (cr < 0) {
          if (this.buf.length - this.pos > this.inlineMaxSize) throw new ProtocolError(ProtocolErrors.tooBigBulkCount);
          return null;
        }
        if (cr + 1 >= this.buf.length) return null;
        if (this.buf[this.pos] !== 0x24 /* $ */) throw new ProtocolError(ProtocolErrors.expectedDollar(this.buf[this.pos]));
        const ll = parseInteger(this.buf, this.pos + 1, cr);
        if (ll === null || ll < 0 || ll > this.protoMaxBulkLen) throw new ProtocolError(ProtocolErrors.invalidBulkLength);
        if (ll > UNAUTH_BULK_MAX && this.unauthenticated) throw new ProtocolError(ProtocolErrors.unauthenticatedBulkLength);
        this.pos = cr + 2;
        this.bulkLen = ll;
      }
      const avail = this.buf.length - this.pos;
      if (avail >= this.bulkLen + 2) {
        // Like Redis, the two bytes after the body are skipped without being checked.
        const body = this.views.view(this.pos, this.bulkLen);
        this.pos += this.bulkLen + 2;
        if (this.pushArg(body, this.owned)) return this.take();
        continue;
      }
      if (this.bulkLen >= BIG_ARG) {
        // Start a buffer of its own, grown as bytes arrive (a claimed length alone allocates little).
        this.big = Buffer.allocUnsafe(Math.min(this.bulkLen + 2, Math.max(avail, 1 << 20)));
        this.buf.copy(this.big, 0, this.pos);
        this.bigFill = avail;
        this.pos = this.buf.length;
      }
      return null;
    }
    return null;
  }

  /** Appends an argument; true when it completed the command. */
  private pushArg(arg: Buffer, owned: boolean): boolean {
    this.args.push(arg);
    if (owned && this.ownedArgs === this.args.length - 1) this.ownedArgs++;
    this.bulkLen = -1;
    return --this.remaining === 0;
  }

  private take(): Buffer[] {
    const done = this.args;
    this.args = [];
    this.ownedArgs = 0;
    return done;
  }

  private growBig(size: number): void {
    const big = this.big as Buffer;
    if (size <= big.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.bulkLen + 2, Math.max(size, big.length * 2)));
    big.copy(next, 0, 0, this.bigFill);
    this.big = next;
  }

  /** One inline command (possibly empty, to be skipped), or null when its line is incomplete. */
  private inline(): Buffer[] | null {
    let nl = this.buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (this.buf.length - this.pos > this.inlineMaxSize) throw new ProtocolError(ProtocolErrors.tooBigInline);
      return null;
    }
    const next = nl + 1;
    if (nl > this.pos && this.buf[nl - 1] === CR) nl--;
    const line = this.buf.subarray(this.pos, nl);
    this.pos = next;
    const args = splitInlineArgs(line);
    if (args === null) throw new ProtocolError(ProtocolErrors.unbalancedQuotes);
    return args;
  }

  /**
   * Makes the decoder keep only its own memory (copying the unparsed tail and any arguments that still point into
   * the last chunk), so the caller may reuse its read buffer while commands remain unrun. next() does this itself
   * whenever it runs out of bytes; call it when you stop calling next() early.
   */
  detach(): void {
    this.parked();
  }

  /** Called whenever next() must wait: keeps only owned memory, so the caller may reuse its chunk. */
  private parked(): Buffer[] | null {
    if (!this.owned) {
      for (let i = this.ownedArgs; i < this.args.length; i++) this.args[i] = Buffer.from(this.args[i]);
      this.ownedArgs = this.args.length;
      this.setBuf(this.pos < this.buf.length ? Buffer.from(this.buf.subarray(this.pos)) : EMPTY);
      this.pos = 0;
      this.owned = true;
    } else if (this.pos > 0 && this.pos >= this.buf.length) {
      this.setBuf(EMPTY);
      this.pos = 0;
    }
    return null;
  }

  private setBuf(b: Buffer): void {
    this.buf = b;
    this.views.of(b);
  }
}

/** The value of the last header plainHeader() accepted. */
let plainValue = 0;

/**
 * Reads a plain header's number, "<digits>\r\n" from `first` (at most 10 digits, no sign, no leading zero but "0"),
 * complete in `buf`: returns where its CR is and leaves the number in plainValue, or -1 when the header is anything
 * else (the general path then reads it and says what is wrong).
 */
function plainHeader(buf: Buffer, first: number): number {
  const lim = Math.min(buf.length, first + 10);
  let j = first;
  let n = 0;
  for (; j < lim; j++) {
    const c = buf[j] - 0x30;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  if (j === first || j + 1 >= buf.length || buf[j] !== 0x0d || (buf[first] === 0x30 && j !== first + 1)) return -1;
  plainValue = n;
  return j;
}

/**
 * Redis's string2ll over buf[start, end): optional '-', digits, no '+', no leading zeros, no spaces, fits in
 * int64. Returns null when the text is not such an integer. Values beyond 2^53 lose precision but stay beyond
 * every limit they are compared with.
 */
export function parseInteger(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i >= end) return null;
  }
  if (buf[i] === 0x30) return i + 1 === end && !negative ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  if (n > 9223372036854775807) return null;
  return negative ? -n : n;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Splits an inline request line as Redis's sdssplitargs does: blanks separate arguments; "double quotes" take
 * \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' take \' only; a closing quote must be followed by a blank
 * or the end. A NUL byte ends the line. Returns null for unbalanced quotes.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  const n = line.length;
  let p = 0;
  const at = (i: number): number => (i < n ? line[i] : 0);
  for (;;) {
    while (p < n && at(p) !== 0 && isSpace(at(p))) p++;
    if (at(p) === 0) return out;
    const cur: number[] = [];
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === 0x5c && at(p + 1) === 0x78 && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          cur.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== 0) {
          p++;
          const e = at(p);
          cur.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0) {
        done = true;
      } else if (c === 0x22) {
        inq = true;
      } else if (c === 0x27) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (at(p) !== 0) p++;
    }
    out.push(Buffer.from(cur));
  }
}

// Redis's bit commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO, with
// Redis 7.0's replies, error texts and argument order (bitops.c). Bits are numbered from the most significant bit
// of the first byte; a missing key reads as an endless run of zero bits.
import { TypeTag } from "../../model/keys";
import type { Meta } from "../../model/meta";
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { command, intArg, keyspace, lower, NOT_INTEGER, SYNTAX_ERROR, WRONGTYPE } from "./util";
import { parseInteger } from "../../protocol/decoder";

const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const BITFIELD_TYPE_ERROR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const W = ["write", "denyoom"] as const;
const EMPTY = Buffer.alloc(0);

/** A string key's value for a read (undefined when missing); WRONGTYPE for another type. */
function readString(ctx: CommandContext, key: Buffer): Buffer | undefined {
  const meta = keyspace(ctx).lookupRead(key);
  if (!meta) return undefined;
  if (meta.type !== TypeTag.STRING) throw new CommandError(WRONGTYPE);
  return meta.payload;
}

/** Redis's string2ll() for 64-bit arguments, as a bigint (undefined when it is not one). */
function int64(b: Buffer): bigint | undefined {
  const s = b.toString("latin1");
  if (s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * getBitOffsetFromArgument(): a bit offset (with `#n` = n times the field width when `hash` is allowed) that must
 * be non-negative and address a byte below proto-max-bulk-len.
 */
function bitOffset(ctx: CommandContext, b: Buffer, hash = false, bits = 0): number {
  let arg = b;
  const usehash = hash && b.length > 1 && b[0] === 0x23; // '#'
  if (usehash) arg = b.subarray(1);
  let n = int64(arg);
  if (n === undefined) throw new CommandError(BIT_OFFSET_ERROR);
  if (usehash) n *= BigInt(bits);
  if (n < 0n || n >> 3n >= BigInt(ctx.server.config.protoMaxBulkLen)) throw new CommandError(BIT_OFFSET_ERROR);
  return Number(n);
}

/**
 * lookupStringForBitCommand(): the key's value grown with zero bytes to hold bit `maxBit` (a copy the caller may
 * change), and its META (undefined when the key is new).
 */
function stringForBits(ctx: CommandContext, key: Buffer, maxBit: number): { value: Buffer; meta: Meta | undefined } {
  const meta = keyspace(ctx).lookup(key);
  if (meta && meta.type !== TypeTag.STRING) throw new CommandError(WRONGTYPE);
  const old = meta ? meta.payload : EMPTY;
  const need = (maxBit >> 3) + 1;
  const value = Buffer.alloc(Math.max(need, old.length));
  old.copy(value);
  return { value, meta };
}

/** Writes a bit command's result, keeping the key's expiry (Redis changes the value in place). */
function storeBits(ctx: CommandContext, key: Buffer, value: Buffer, meta: Meta | undefined): void {
  ctx.holdUntilDurable(keyspace(ctx).store(key, TypeTag.STRING, meta ? meta.expireAt : 0, value, meta));
}

const getBit = (v: Buffer, bit: number): number => {
  const byte = bit >> 3;
  return byte < v.length ? (v[byte] >> (7 - (bit & 7))) & 1 : 0;
};

// ---- SETBIT / GETBIT -----------------------------------------------------------------------------------------------

function setbit(ctx: CommandContext, args: Buffer[]): void {
  const offset = bitOffset(ctx, args[2]);
  const on = parseInteger(args[3], 0, args[3].length);
  if (on !== 0 && on !== 1) throw new CommandError("ERR bit is not an integer or out of range");
  const { value, meta } = stringForBits(ctx, args[1], offset);
  const byte = offset >> 3;
  const mask = 1 << (7 - (offset & 7));
  const old = value[byte] & mask ? 1 : 0;
  value[byte] = on ? value[byte] | mask : value[byte] & ~mask;
  storeBits(ctx, args[1], value, meta);
  ctx.reply.integer(old);
}

function getbit(ctx: CommandContext, args: Buffer[]): void {
  const offset = bitOffset(ctx, args[2]);
  const v = readString(ctx, args[1]);
  ctx.reply.integer(v ? getBit(v, offset) : 0);
}

// ---- BITCOUNT / BITPOS ------------------------------------------------------------------------------------------------

/** BYTE or BIT, the unit of a range (Redis 7.0); anything else is a syntax error. */
function rangeUnit(b: Buffer): boolean {
  const u = lower(b);
  if (u === "bit") return true;
  if (u === "byte") return false;
  throw new CommandError(SYNTAX_ERROR);
}

/** A range's ends as bit positions [first, last] after Redis's negative-index rules; first > last when empty. */
function bitRange(len: number, start: number, end: number, isBit: boolean): [number, number] {
  const total = isBit ? len * 8 : len;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let x = i; x; x >>= 1) n += x & 1;
  return n;
});

function countBits(v: Buffer, first: number, last: number): number {
  let n = 0;
  let bit = first;
  for (; bit <= last && (bit & 7) !== 0; bit++) n += getBit(v, bit);
  for (; bit + 7 <= last; bit += 8) n += POPCOUNT[v[bit >> 3]];
  for (; bit <= last; bit++) n += getBit(v, bit);
  return n;
}

function bitcount(ctx: CommandContext, args: Buffer[]): void {
  // Redis looks the key up before it reads the range: a missing key answers 0 whatever the arguments.
  const v = readString(ctx, args[1]);
  if (!v) return ctx.reply.integer(0);
  let first = 0;
  let last = v.length * 8 - 1;
  if (args.length === 4 || args.length === 5) {
    const start = intArg(args[2]);
    const end = intArg(args[3]);
    // Redis 7.0.15 answers this empty range before it reads the unit.
    if (start < 0 && end < 0 && start > end) return ctx.reply.integer(0);
    const isBit = args.length === 5 ? rangeUnit(args[4]) : false;
    [first, last] = bitRange(v.length, start, end, isBit);
  } else if (args.length !== 2) {
    throw new CommandError(SYNTAX_ERROR);
  }
  ctx.reply.integer(first > last ? 0 : countBits(v, first, last));
}

function bitpos(ctx: CommandContext, args: Buffer[]): void {
  const bit = intArg(args[2]);
  if (bit !== 0 && bit !== 1) throw new CommandError("ERR The bit argument must be 1 or 0.");
  const v = readString(ctx, args[1]);
  // A missing key is an endless run of zeros.
  if (!v) return ctx.reply.integer(bit ? -1 : 0);
  let first = 0;
  let last = v.length * 8 - 1;
  let endGiven = false;
  if (args.length >= 4 && args.length <= 6) {
    const start = intArg(args[3]);
    const isBit = args.length === 6 ? rangeUnit(args[5]) : false;
    let end = (isBit ? v.length * 8 : v.length) - 1;
    if (args.length >= 5) {
      end = intArg(args[4]);
      endGiven = true;
    }
    [first, last] = bitRange(v.length, start, end, isBit);
  } else if (args.length !== 3) {
    throw new CommandError(SYNTAX_ERROR);
  }
  if (first > last) return ctx.reply.integer(-1);
  for (let i = first; i <= last; i++) {
    if ((i & 7) === 0 && i + 7 <= last) {
      // A whole byte with nothing to find is skipped at once.
      const b = v[i >> 3];
      if ((bit === 1 && b === 0) || (bit === 0 && b === 0xff)) {
        i += 7;
        continue;
      }
    }
    if (getBit(v, i) === bit) return ctx.reply.integer(i);
  }
  // Looking for a clear bit without an end: the bits past the string count as zeros (the first one after the
  // range's last byte, as Redis's redisBitpos() answers).
  ctx.reply.integer(bit === 0 && !endGiven ? (last >> 3) * 8 + 8 : -1);
}

// ---- BITOP ---------------------------------------------------------------------------------------------------------

function bitop(ctx: CommandContext, args: Buffer[]): void {
  const op = lower(args[1]);
  if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") throw new CommandError(SYNTAX_ERROR);
  if (op === "not" && args.length !== 4) throw new CommandError("ERR BITOP NOT must be called with a single source key.");
  const ks = keyspace(ctx);
  const srcs: Buffer[] = [];
  for (let i = 3; i < args.length; i++) {
    const meta = ks.lookupRead(args[i]);
    if (meta && meta.type !== TypeTag.STRING) throw new CommandError(WRONGTYPE);
    srcs.push(meta ? meta.payload : EMPTY);
  }
  let maxlen = 0;
  for (const s of srcs) maxlen = Math.max(maxlen, s.length);
  const out = Buffer.alloc(maxlen);
  if (op === "not") {
    for (let j = 0; j < maxlen; j++) out[j] = ~srcs[0][j] & 0xff;
  } else {
    srcs[0].copy(out);
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k];
      for (let j = 0; j < maxlen; j++) {
        const b = j < s.length ? s[j] : 0;
        out[j] = op === "and" ? out[j] & b : op === "or" ? out[j] | b : out[j] ^ b;
      }
    }
  }
  const dst = ks.lookup(args[2]);
  if (maxlen > 0) {
    // Redis's setKey(): the destination loses any expiry.
    ctx.holdUntilDurable(ks.store(args[2], TypeTag.STRING, 0, out, dst));
  } else if (dst) {
    const [, seq] = ks.del([args[2]]);
    if (seq !== undefined) ctx.holdUntilDurable(seq);
  }
  ctx.reply.integer(maxlen);
}

// ---- BITFIELD ------------------------------------------------------------------------------------------------------

type Overflow = "wrap" | "sat" | "fail";

interface FieldOp {
  op: "get" | "set" | "incrby";
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

function fieldType(b: Buffer): { signed: boolean; bits: number } {
  const s = b.toString("latin1");
  const c = s[0];
  if (c !== "i" && c !== "u" && c !== "I" && c !== "U") throw new CommandError(BITFIELD_TYPE_ERROR);
  const n = int64(Buffer.from(s.slice(1), "latin1"));
  const signed = c === "i" || c === "I";
  if (n === undefined || n < 1n || (signed && n > 64n) || (!signed && n > 63n)) throw new CommandError(BITFIELD_TYPE_ERROR);
  return { signed, bits: Number(n) };
}

function readField(v: Buffer, offset: number, bits: number, signed: boolean): bigint {
  let x = 0n;
  for (let i = 0; i < bits; i++) x = (x << 1n) | BigInt(getBit(v, offset + i));
  if (signed && bits < 64 && x >> BigInt(bits - 1)) x -= 1n << BigInt(bits);
  if (signed && bits === 64) x = BigInt.asIntN(64, x);
  return x;
}

function writeField(v: Buffer, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  for (let i = 0; i < bits; i++) {
    const bit = offset + i;
    const mask = 1 << (7 - (bit & 7));
    if ((u >> BigInt(bits - 1 - i)) & 1n) v[bit >> 3] |= mask;
    else v[bit >> 3] &= ~mask;
  }
}

const i64 = (n: bigint): bigint => BigInt.asIntN(64, n);
const u64 = (n: bigint): bigint => BigInt.asUintN(64, n);

/**
 * Redis's checkUnsignedBitfieldOverflow()/checkSignedBitfieldOverflow(), to the bit: whether value + incr leaves
 * the field, and what WRAP or SAT makes of it. Their limits are computed in 64-bit integers that wrap (a SET of a
 * value far below a signed field's minimum makes `max - value` wrap negative, and Redis then saturates it to the
 * maximum): the same arithmetic here, so the same fields come out.
 */
function overflowed(value: bigint, incr: bigint, bits: number, signed: boolean, how: Overflow): { over: boolean; limit: bigint } {
  const wrap = (): bigint => (signed ? BigInt.asIntN(bits, u64(value + incr)) : BigInt.asUintN(bits, value + incr));
  if (signed) {
    const max = bits === 64 ? 2n ** 63n - 1n : (1n << BigInt(bits - 1)) - 1n;
    const min = -max - 1n;
    const maxincr = i64(max - value);
    const minincr = i64(min - value);
    if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
      return { over: true, limit: how === "wrap" ? wrap() : max };
    }
    if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
      return { over: true, limit: how === "wrap" ? wrap() : min };
    }
    return { over: false, limit: value + incr };
  }
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = i64(u64(max - value));
  const minincr = i64(u64(-value));
  if (value > max || (incr > 0n && incr > maxincr)) return { over: true, limit: how === "wrap" ? wrap() : max };
  if (incr < 0n && incr < minincr) return { over: true, limit: how === "wrap" ? wrap() : 0n };
  return { over: false, limit: value + incr };
}

function bitfield(readonly: boolean): CommandSpec["handler"] {
  return (ctx, args) => {
    const ops: FieldOp[] = [];
    let overflow: Overflow = "wrap";
    let highest = -1;
    for (let j = 2; j < args.length; j++) {
      const rem = args.length - j - 1;
      const sub = lower(args[j]);
      if (sub === "overflow" && rem >= 1) {
        const how = lower(args[++j]);
        if (how !== "wrap" && how !== "sat" && how !== "fail") throw new CommandError("ERR Invalid OVERFLOW type specified");
        overflow = how;
        continue;
      }
      if (!((sub === "get" && rem >= 2) || ((sub === "set" || sub === "incrby") && rem >= 3))) throw new CommandError(SYNTAX_ERROR);
      const { signed, bits } = fieldType(args[j + 1]);
      const offset = bitOffset(ctx, args[j + 2], true, bits);
      let value = 0n;
      if (sub !== "get") {
        const v = int64(args[j + 3]);
        if (v === undefined) throw new CommandError(NOT_INTEGER);
        value = v;
        highest = Math.max(highest, offset + bits - 1);
      }
      ops.push({ op: sub, signed, bits, offset, value, overflow });
      j += sub === "get" ? 2 : 3;
    }
    if (readonly && ops.some((o) => o.op !== "get")) throw new CommandError("ERR BITFIELD_RO only supports the GET subcommand");
    let value: Buffer;
    let meta: Meta | undefined;
    const writes = highest >= 0;
    if (writes) ({ value, meta } = stringForBits(ctx, args[1], highest));
    else value = readString(ctx, args[1]) ?? EMPTY;
    const r = ctx.reply;
    r.arrayHeader(ops.length);
    for (const o of ops) {
      const old = readField(value, o.offset, o.bits, o.signed);
      if (o.op === "get") {
        r.integer(old);
        continue;
      }
      // SET checks the new value alone (an unsigned field takes it as unsigned 64 bits, as Redis's uint64_t cast).
      const base = o.op === "set" ? (o.signed ? o.value : BigInt.asUintN(64, o.value)) : old;
      const { over, limit } = overflowed(base, o.op === "set" ? 0n : o.value, o.bits, o.signed, o.overflow);
      if (over && o.overflow === "fail") {
        r.nullBulk();
        continue;
      }
      writeField(value, o.offset, o.bits, limit);
      r.integer(o.op === "set" ? old : limit);
    }
    if (writes) storeBits(ctx, args[1], value, meta);
  };
}

export const bitCommands: CommandSpec[] = [
  command("setbit", 4, [...W], [1, 1, 1], "bitmap", "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", setbit),
  command("getbit", 3, ["readonly", "fast"], [1, 1, 1], "bitmap", "2.2.0", "Returns a bit value by offset.", getbit),
  command("bitcount", -2, ["readonly"], [1, 1, 1], "bitmap", "2.6.0", "Counts the number of set bits (population counting) in a string.", bitcount),
  command("bitpos", -3, ["readonly"], [1, 1, 1], "bitmap", "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", bitpos),
  command("bitop", -4, [...W], [2, -1, 1], "bitmap", "2.6.0", "Performs bitwise operations on multiple strings, and stores the result.", bitop),
  command("bitfield", -2, [...W], [1, 1, 1], "bitmap", "3.2.0", "Performs arbitrary bitfield integer operations on strings.", bitfield(false)),
  command("bitfield_ro", -2, ["readonly", "fast"], [1, 1, 1], "bitmap", "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", bitfield(true)),
];

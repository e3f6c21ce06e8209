// The Redis string commands over the keyspace, with Redis 7.0's replies and error texts.
import { TypeTag } from "../../model/keys";
import type { Meta } from "../../model/meta";
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { bigIntArg, command, intArg, keyspace, lower, NOT_INTEGER, SYNTAX_ERROR, WRONGTYPE } from "./util";

const MAX_STRING = 512 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * The string value of a key: undefined when absent; WRONGTYPE when it holds something else. `read`: the command
 * reads the key (GET, STRLEN, …), so the lookup counts in INFO's keyspace_hits/misses.
 */
function getString(ctx: CommandContext, key: Buffer, read = false): { meta: Meta; value: Buffer } | undefined {
  const ks = keyspace(ctx);
  const meta = read ? ks.lookupRead(key) : ks.lookup(key);
  if (!meta) return undefined;
  if (meta.type !== TypeTag.STRING) throw new CommandError(WRONGTYPE);
  return { meta, value: meta.payload };
}

/**
 * Writes `value` under `key` with `expireAt`, replacing what was there, and holds the reply for durability. `value`
 * may be a view of the request: the META value it becomes is a copy.
 */
function store(ctx: CommandContext, key: Buffer, value: Buffer, expireAt: number, old: Meta | undefined): void {
  ctx.holdUntilDurable(keyspace(ctx).store(key, TypeTag.STRING, expireAt, value, old));
}

interface ExpireSpec {
  /** Absolute ms, 0 = none. */
  at: number;
  keepTtl: boolean;
  persist: boolean;
}

/** Turns EX/PX/EXAT/PXAT + value into an absolute ms time with Redis's validation. */
function expireAt(ctx: CommandContext, unit: string, raw: Buffer, command: string): number {
  const n = intArg(raw);
  const err = `ERR invalid expire time in '${command}' command`;
  if (n <= 0) throw new CommandError(err);
  const now = keyspace(ctx).now();
  let ms: number;
  switch (unit) {
    case "ex":
      ms = n * 1000 + now;
      break;
    case "px":
      ms = n + now;
      break;
    case "exat":
      ms = n * 1000;
      break;
    default:
      ms = n;
  }
  if (!Number.isSafeInteger(ms) || ms > 8.64e15 * 1000) throw new CommandError(err);
  return ms;
}

/** Redis's ld2string(LD_STR_HUMAN) for INCRBYFLOAT: shortest round-trip digits, never exponent notation. */
export function humanDouble(x: number): string {
  if (Object.is(x, -0)) return "0";
  const s = String(x);
  if (!/e/i.test(s)) return s;
  const [mant, expText] = s.split("e");
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const pointAt = (mant.replace("-", "").indexOf(".") === -1 ? mant.replace("-", "").length : mant.replace("-", "").indexOf(".")) + exp;
  let out: string;
  if (pointAt <= 0) out = "0." + "0".repeat(-pointAt) + digits;
  else if (pointAt >= digits.length) out = digits + "0".repeat(pointAt - digits.length);
  else out = digits.slice(0, pointAt) + "." + digits.slice(pointAt);
  return (neg ? "-" : "") + out;
}

/** strtold-like parse used by INCRBYFLOAT: no spaces, not empty, not NaN. */
function parseFloatStrict(b: Buffer): number | undefined {
  const s = b.toString("latin1");
  if (s.length === 0 || s.length > 5000 || /\s/.test(s)) return undefined;
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity)$/i.test(s)) return undefined;
  const lowerS = s.toLowerCase().replace(/^\+/, "");
  const v = lowerS === "inf" || lowerS === "infinity" ? Infinity : lowerS === "-inf" || lowerS === "-infinity" ? -Infinity : Number(s);
  return Number.isNaN(v) ? undefined : v;
}

function incrBy(ctx: CommandContext, key: Buffer, by: bigint): void {
  const cur = getString(ctx, key);
  let n = 0n;
  if (cur) {
    const text = cur.value.toString("latin1");
    if (cur.value.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(text)) throw new CommandError(NOT_INTEGER);
    n = BigInt(text);
    if (n > 9223372036854775807n || n < -9223372036854775808n) throw new CommandError(NOT_INTEGER);
  }
  const result = n + by;
  if (result > 9223372036854775807n || result < -9223372036854775808n) throw new CommandError("ERR increment or decrement would overflow");
  store(ctx, key, Buffer.from(String(result)), cur ? cur.meta.expireAt : 0, cur?.meta);
  ctx.reply.integer(result);
}

function parseSetOptions(ctx: CommandContext, args: Buffer[], from: number, cmd: string) {
  let nx = false;
  let xx = false;
  let get = false;
  const exp: ExpireSpec = { at: 0, keepTtl: false, persist: false };
  let expSeen = false;
  for (let i = from; i < args.length; i++) {
    const opt = lower(args[i]);
    const hasNext = i + 1 < args.length;
    if (opt === "nx" && !xx) nx = true;
    else if (opt === "xx" && !nx) xx = true;
    else if (opt === "get") get = true;
    else if (opt === "keepttl" && !expSeen) {
      exp.keepTtl = true;
      expSeen = true;
    } else if ((opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat") && !expSeen && hasNext) {
      exp.at = expireAt(ctx, opt, args[++i], cmd);
      expSeen = true;
    } else throw new CommandError(SYNTAX_ERROR);
  }
  return { nx, xx, get, exp };
}

const set: CommandSpec["handler"] = (ctx, args) => {
  const key = args[1];
  const value = args[2];
  if (args.length === 3) {
    // Plain SET: no options to parse.
    store(ctx, key, value, 0, keyspace(ctx).lookup(key));
    ctx.reply.simple("OK");
    return;
  }
  const { nx, xx, get, exp } = parseSetOptions(ctx, args, 3, "set");
  const ks = keyspace(ctx);
  const old = ks.lookup(key);
  if (get && old && old.type !== TypeTag.STRING) throw new CommandError(WRONGTYPE);
  // Copied only for GET: the old value is a view into the engine, and the write below replaces it.
  const oldValue = get && old && old.type === TypeTag.STRING ? Buffer.from(old.payload) : undefined;
  if ((nx && old) || (xx && !old)) {
    if (get) {
      if (oldValue) ctx.reply.bulk(oldValue);
      else ctx.reply.nullBulk();
    } else ctx.reply.nullBulk();
    return;
  }
  const at = exp.keepTtl && old ? old.expireAt : exp.at;
  store(ctx, key, value, at, old);
  if (get) {
    if (oldValue) ctx.reply.bulk(oldValue);
    else ctx.reply.nullBulk();
  } else ctx.reply.simple("OK");
};

/** SETEX / PSETEX key time value. */
function setWithExpiry(ctx: CommandContext, args: Buffer[], unit: "ex" | "px", name: string): void {
  const at = expireAt(ctx, unit, args[2], name);
  store(ctx, args[1], args[3], at, keyspace(ctx).lookup(args[1]));
  ctx.reply.simple("OK");
}

const W = ["write", "denyoom"] as const;

export const stringCommands: CommandSpec[] = [
  command("get", 2, ["readonly", "fast"], [1, 1, 1], "string", "1.0.0", "Returns the string value of a key.", (ctx, args) => {
    const cur = getString(ctx, args[1], true);
    if (cur) ctx.reply.bulk(cur.value);
    else ctx.reply.nullBulk();
  }),
  command("set", -3, [...W], [1, 1, 1], "string", "1.0.0", "Sets the string value of a key, ignoring its type.", set),
  command("setnx", 3, [...W, "fast"], [1, 1, 1], "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", (ctx, args) => {
    const old = keyspace(ctx).lookup(args[1]);
    if (old) {
      ctx.reply.integer(0);
      return;
    }
    store(ctx, args[1], args[2], 0, undefined);
    ctx.reply.integer(1);
  }),
  command("setex", 4, [...W], [1, 1, 1], "string", "2.0.0", "Sets the string value and expiration time of a key.", (ctx, args) => setWithExpiry(ctx, args, "ex", "setex")),
  command("psetex", 4, [...W], [1, 1, 1], "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key.", (ctx, args) =>
    setWithExpiry(ctx, args, "px", "psetex"),
  ),
  command("getset", 3, [...W], [1, 1, 1], "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", (ctx, args) => {
    // Redis's getGenericCommand() then setKey(): the old value (or null), and the new one loses any expiry.
    const cur = getString(ctx, args[1], true);
    const old = cur ? Buffer.from(cur.value) : undefined;
    store(ctx, args[1], args[2], 0, cur?.meta);
    if (old) ctx.reply.bulk(old);
    else ctx.reply.nullBulk();
  }),
  command("getdel", 2, ["write", "fast"], [1, 1, 1], "string", "6.2.0", "Returns the string value of a key after deleting the key.", (ctx, args) => {
    const cur = getString(ctx, args[1], true);
    if (!cur) {
      ctx.reply.nullBulk();
      return;
    }
    const value = Buffer.from(cur.value);
    const ks = keyspace(ctx);
    ctx.holdUntilDurable(ks.commit(ks.deleteOps(args[1], cur.meta), -1));
    ctx.reply.bulk(value);
  }),
  command("getex", -2, ["write", "fast"], [1, 1, 1], "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", (ctx, args) => {
    let at: number | undefined;
    let persist = false;
    for (let i = 2; i < args.length; i++) {
      const opt = lower(args[i]);
      if ((opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat") && at === undefined && !persist && i + 1 < args.length) {
        at = expireAt(ctx, opt, args[++i], "getex");
      } else if (opt === "persist" && at === undefined && !persist) {
        persist = true;
      } else throw new CommandError(SYNTAX_ERROR);
    }
    const cur = getString(ctx, args[1], true);
    if (!cur) {
      ctx.reply.nullBulk();
      return;
    }
    const value = Buffer.from(cur.value);
    const ks = keyspace(ctx);
    if (at !== undefined) {
      if (at <= ks.now()) ctx.holdUntilDurable(ks.commit(ks.deleteOps(args[1], cur.meta), -1));
      else ctx.holdUntilDurable(ks.commit(ks.setExpireOps(args[1], cur.meta, at), 0));
    } else if (persist && cur.meta.expireAt !== 0) {
      ctx.holdUntilDurable(ks.commit(ks.setExpireOps(args[1], cur.meta, 0), 0));
    }
    ctx.reply.bulk(value);
  }),
  command("mget", -2, ["readonly", "fast"], [1, -1, 1], "string", "1.0.0", "Atomically returns the string values of one or more keys.", (ctx, args) => {
    const ks = keyspace(ctx);
    ctx.reply.arrayHeader(args.length - 1);
    for (let i = 1; i < args.length; i++) {
      const meta = ks.lookupRead(args[i]);
      if (meta && meta.type === TypeTag.STRING) ctx.reply.bulk(meta.payload);
      else ctx.reply.nullBulk();
    }
  }),
  command("mset", -3, [...W], [1, -1, 2], "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", (ctx, args) => {
    if (args.length % 2 !== 1) throw new CommandError("ERR wrong number of arguments for 'mset' command");
    msetAll(ctx, args);
    ctx.reply.simple("OK");
  }),
  command("msetnx", -3, [...W], [1, -1, 2], "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", (ctx, args) => {
    if (args.length % 2 !== 1) throw new CommandError("ERR wrong number of arguments for 'msetnx' command");
    const ks = keyspace(ctx);
    for (let i = 1; i < args.length; i += 2) {
      if (ks.lookup(args[i])) {
        ctx.reply.integer(0);
        return;
      }
    }
    msetAll(ctx, args);
    ctx.reply.integer(1);
  }),
  command("strlen", 2, ["readonly", "fast"], [1, 1, 1], "string", "2.2.0", "Returns the length of a string value.", (ctx, args) => {
    const cur = getString(ctx, args[1], true);
    ctx.reply.integer(cur ? cur.value.length : 0);
  }),
  command("append", 3, [...W], [1, 1, 1], "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", (ctx, args) => {
    const cur = getString(ctx, args[1]);
    const before = cur ? cur.value : EMPTY;
    if (before.length + args[2].length > MAX_STRING) throw new CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    const value = Buffer.concat([before, args[2]]);
    store(ctx, args[1], value, cur ? cur.meta.expireAt : 0, cur?.meta);
    ctx.reply.integer(value.length);
  }),
  command("incr", 2, [...W, "fast"], [1, 1, 1], "string", "1.0.0", "Increments the integer value of a key by one.", (ctx, args) => incrBy(ctx, args[1], 1n)),
  command("decr", 2, [...W, "fast"], [1, 1, 1], "string", "1.0.0", "Decrements the integer value of a key by one.", (ctx, args) => incrBy(ctx, args[1], -1n)),
  command("incrby", 3, [...W, "fast"], [1, 1, 1], "string", "1.0.0", "Increments the integer value of a key by a number.", (ctx, args) =>
    incrBy(ctx, args[1], bigIntArg(args[2])),
  ),
  command("decrby", 3, [...W, "fast"], [1, 1, 1], "string", "1.0.0", "Decrements a number from the integer value of a key.", (ctx, args) => {
    const by = bigIntArg(args[2]);
    if (by === -9223372036854775808n) throw new CommandError("ERR decrement would overflow");
    incrBy(ctx, args[1], -by);
  }),
  command("incrbyfloat", 3, [...W, "fast"], [1, 1, 1], "string", "2.6.0", "Increment the floating point value of a key by a number.", (ctx, args) => {
    const cur = getString(ctx, args[1]);
    const by = parseFloatStrict(args[2]);
    if (by === undefined) throw new CommandError("ERR value is not a valid float");
    const base = cur ? parseFloatStrict(cur.value) : 0;
    if (base === undefined) throw new CommandError("ERR value is not a valid float");
    const result = base + by;
    if (!Number.isFinite(result)) throw new CommandError("ERR increment would produce NaN or Infinity");
    const text = humanDouble(result);
    store(ctx, args[1], Buffer.from(text), cur ? cur.meta.expireAt : 0, cur?.meta);
    ctx.reply.bulk(text);
  }),
  command("getrange", 4, ["readonly"], [1, 1, 1], "string", "2.4.0", "Returns a substring of the string stored at a key.", (ctx, args) => {
    let start = intArg(args[2]);
    let end = intArg(args[3]);
    const cur = getString(ctx, args[1], true);
    const v = cur ? cur.value : EMPTY;
    const len = v.length;
    if (start < 0 && end < 0 && start > end) {
      ctx.reply.bulk(EMPTY);
      return;
    }
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (len === 0 || start > end) ctx.reply.bulk(EMPTY);
    else ctx.reply.bulk(v.subarray(start, end + 1));
  }),
  command("setrange", 4, [...W], [1, 1, 1], "string", "2.2.0", "Overwrites a part of a string value with another by an offset.", (ctx, args) => {
    const offset = intArg(args[2]);
    if (offset < 0) throw new CommandError("ERR offset is out of range");
    const cur = getString(ctx, args[1]);
    const patch = args[3];
    if (!cur && patch.length === 0) {
      ctx.reply.integer(0);
      return;
    }
    if (offset + patch.length > MAX_STRING) throw new CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    const before = cur ? cur.value : EMPTY;
    if (patch.length === 0) {
      ctx.reply.integer(before.length);
      return;
    }
    const value = Buffer.alloc(Math.max(before.length, offset + patch.length));
    before.copy(value);
    patch.copy(value, offset);
    store(ctx, args[1], value, cur ? cur.meta.expireAt : 0, cur?.meta);
    ctx.reply.integer(value.length);
  }),
];

function msetAll(ctx: CommandContext, args: Buffer[]): void {
  const ks = keyspace(ctx);
  const ops = [];
  let delta = 0;
  // Later pairs win for a repeated key; count each new key once.
  const seen = new Map<string, boolean>();
  for (let i = 1; i < args.length; i += 2) {
    const id = args[i].toString("latin1");
    if (!seen.has(id)) seen.set(id, ks.lookup(args[i]) !== undefined);
  }
  const counted = new Set<string>();
  for (let i = 1; i < args.length; i += 2) {
    const id = args[i].toString("latin1");
    const old = ks.lookup(args[i]);
    const [o] = ks.writeOps(args[i], TypeTag.STRING, 0, args[i + 1], old);
    ops.push(...o);
    if (!seen.get(id) && !counted.has(id)) {
      counted.add(id);
      delta++;
    }
  }
  ctx.holdUntilDurable(ks.commit(ops, delta));
}

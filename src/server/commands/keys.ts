// Generic key commands, across every type: DEL, EXISTS, TYPE, the expiry family, RENAME, KEYS, SCAN, RANDOMKEY,
// DBSIZE, FLUSHALL/FLUSHDB.
import { Glob } from "../../model/glob";
import type { Keyspace } from "../../model/keyspace";
import { typeName } from "../../model/meta";
import type { Snapshot } from "../../engine/types";
import type { CommandContext, CommandSpec } from "../command";
import { STREAM_LOW_WATER } from "../connection";
import { CommandError } from "../errors";
import { command, intArg, keyspace, lower, SYNTAX_ERROR } from "./util";

function del(ctx: CommandContext, args: Buffer[]): void {
  const [n, seq] = keyspace(ctx).del(args.slice(1));
  if (seq !== undefined) ctx.holdUntilDurable(seq);
  ctx.reply.integer(n);
}

/** EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT with Redis 7's NX|XX|GT|LT. */
function expireGeneric(ctx: CommandContext, args: Buffer[], name: string, unitMs: number, absolute: boolean): void {
  const ks = keyspace(ctx);
  const n = intArg(args[2]);
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 3; i < args.length; i++) {
    const o = lower(args[i]);
    if (o === "nx") nx = true;
    else if (o === "xx") xx = true;
    else if (o === "gt") gt = true;
    else if (o === "lt") lt = true;
    else throw new CommandError(`ERR Unsupported option ${args[i].toString("latin1")}`);
  }
  if (nx && (xx || gt || lt)) throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt) throw new CommandError("ERR GT and LT options at the same time are not compatible");
  const now = ks.now();
  const ms = n * unitMs;
  const at = absolute ? ms : ms + now;
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(at) || Math.abs(at) > 8.64e18) {
    throw new CommandError(`ERR invalid expire time in '${name}' command`);
  }
  const meta = ks.lookup(args[1]);
  if (!meta) {
    ctx.reply.integer(0);
    return;
  }
  const current = meta.expireAt;
  if (nx && current !== 0) return ctx.reply.integer(0);
  if (xx && current === 0) return ctx.reply.integer(0);
  if (gt && (current === 0 || at <= current)) return ctx.reply.integer(0);
  if (lt && current !== 0 && at >= current) return ctx.reply.integer(0);
  if (at <= now) {
    ctx.holdUntilDurable(ks.commit(ks.deleteOps(args[1], meta), -1));
  } else {
    ctx.holdUntilDurable(ks.commit(ks.setExpireOps(args[1], meta, at), 0));
  }
  ctx.reply.integer(1);
}

function ttlGeneric(ctx: CommandContext, key: Buffer, mode: "ttl" | "pttl" | "expiretime" | "pexpiretime"): void {
  const ks = keyspace(ctx);
  const meta = ks.lookupRead(key);
  if (!meta) return ctx.reply.integer(-2);
  if (meta.expireAt === 0) return ctx.reply.integer(-1);
  const left = Math.max(0, meta.expireAt - ks.now());
  switch (mode) {
    case "ttl":
      return ctx.reply.integer(Math.floor((left + 500) / 1000));
    case "pttl":
      return ctx.reply.integer(left);
    case "expiretime":
      return ctx.reply.integer(Math.floor(meta.expireAt / 1000));
    default:
      return ctx.reply.integer(meta.expireAt);
  }
}

function rename(ctx: CommandContext, args: Buffer[], nx: boolean): void {
  const ks = keyspace(ctx);
  const meta = ks.lookup(args[1]);
  if (!meta) throw new CommandError("ERR no such key");
  if (args[1].equals(args[2])) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.simple("OK");
    return;
  }
  if (nx && ks.lookup(args[2])) {
    ctx.reply.integer(0);
    return;
  }
  ctx.holdUntilDurable(ks.rename(args[1], args[2], { ...meta, payload: Buffer.from(meta.payload) }));
  if (nx) ctx.reply.integer(1);
  else ctx.reply.simple("OK");
}

function flush(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 2 || (args.length === 2 && !["async", "sync"].includes(lower(args[1])))) throw new CommandError(SYNTAX_ERROR);
  const seq = keyspace(ctx).flushAll();
  if (seq !== undefined) ctx.holdUntilDurable(seq);
  ctx.reply.simple("OK");
}

/** Keys KEYS visits in one slice before other clients get a turn; and the time a slice may take at most (ms). */
const KEYS_SLICE = 4096;
const KEYS_SLICE_MS = 5;
/** Bytes of matching keys KEYS keeps from its first walk to answer from; past that it walks again to send them. */
const KEYS_HOLD = STREAM_LOW_WATER;

/** The live keys of one snapshot, in key order, walked a slice at a time (each slice seeks past the last key seen). */
class KeyWalk {
  private after: Buffer | null = null;

  constructor(
    private readonly ks: Keyspace,
    private readonly snapshot: Snapshot,
    private readonly now: number,
    private readonly glob: Glob | null,
  ) {}

  /**
   * Visits the matching keys of the next slice: up to KEYS_SLICE keys or KEYS_SLICE_MS, or until `visit` answers true
   * (its output should go out first). True when the walk has reached the end.
   */
  slice(visit: (key: Buffer) => boolean): boolean {
    const started = performance.now();
    let n = 0;
    for (const [key] of this.ks.keys(this.after, this.snapshot, this.now)) {
      this.after = key;
      if ((this.glob === null || this.glob.matches(key)) && visit(key)) return false;
      if (++n >= KEYS_SLICE || ((n & 63) === 0 && performance.now() - started >= KEYS_SLICE_MS)) return false;
    }
    return true;
  }
}

/**
 * KEYS: every key of one engine snapshot matching the pattern, expiry judged at the instant the command runs, so the
 * answer is the keyspace of that instant whatever other clients write meanwhile. The walk goes a slice at a time,
 * other clients running between slices, and this connection's later commands wait for it (the handler's promise).
 * A first walk counts the matches (the array header comes first) and keeps them while they are small; a larger
 * answer is walked again and sent a slice at a time, each waiting for the client to read (ctx.drain), as streamed
 * TS.RANGE replies do, so the server holds at most about KEYS_HOLD bytes of it whatever the keyspace.
 */
function keysCommand(ctx: CommandContext, args: Buffer[]): void | Promise<void> {
  // A bare `*` is every key, the empty key too (the matcher alone would not match ""), as in Redis.
  const glob = args[1].length === 1 && args[1][0] === 0x2a ? null : new Glob(args[1]);
  const ks = keyspace(ctx);
  const snapshot = ctx.server.engine.snapshot();
  const now = ks.now();
  let count = 0;
  let held: Buffer[] | null = [];
  let heldBytes = 0;
  const counting = (key: Buffer): boolean => {
    count++;
    if (held !== null) {
      heldBytes += key.length + 16;
      if (heldBytes <= KEYS_HOLD) held.push(key);
      else held = null;
    }
    return false;
  };
  const answer = (keys: Buffer[]): void => {
    ctx.reply.arrayHeader(keys.length);
    for (const k of keys) ctx.reply.bulk(k);
  };
  const first = new KeyWalk(ks, snapshot, now, glob);
  let done: boolean;
  try {
    done = first.slice(counting);
  } catch (e) {
    snapshot.release();
    throw e;
  }
  if (done && held !== null) {
    snapshot.release();
    return answer(held);
  }
  return (async () => {
    try {
      while (!done) {
        await ctx.drain();
        done = first.slice(counting);
      }
      if (held !== null) return answer(held);
      ctx.reply.arrayHeader(count);
      const second = new KeyWalk(ks, snapshot, now, glob);
      let sent = 0;
      let written = 0;
      const sending = (key: Buffer): boolean => {
        ctx.reply.bulk(key);
        sent++;
        written += key.length + 16;
        if (written < KEYS_HOLD) return false;
        written = 0;
        return true;
      };
      while (!second.slice(sending)) await ctx.drain();
      if (sent !== count) throw new Error(`KEYS walked ${count} keys of its snapshot, then ${sent}`);
    } finally {
      snapshot.release();
    }
  })();
}

const KEY1: [number, number, number] = [1, 1, 1];
const NOKEY: [number, number, number] = [0, 0, 0];

export const keyCommands: CommandSpec[] = [
  command("del", -2, ["write"], [1, -1, 1], "generic", "1.0.0", "Deletes one or more keys.", del),
  command("unlink", -2, ["write", "fast"], [1, -1, 1], "generic", "4.0.0", "Asynchronously deletes one or more keys.", del),
  command("exists", -2, ["readonly", "fast"], [1, -1, 1], "generic", "1.0.0", "Determines whether one or more keys exist.", (ctx, args) => {
    const ks = keyspace(ctx);
    let n = 0;
    for (let i = 1; i < args.length; i++) if (ks.lookupRead(args[i])) n++;
    ctx.reply.integer(n);
  }),
  command("type", 2, ["readonly", "fast"], KEY1, "generic", "1.0.0", "Determines the type of value stored at a key.", (ctx, args) => {
    const meta = keyspace(ctx).lookupRead(args[1]);
    ctx.reply.simple(meta ? typeName(meta.type) : "none");
  }),
  command("ttl", 2, ["readonly", "fast"], KEY1, "generic", "1.0.0", "Returns the expiration time in seconds of a key.", (ctx, args) => ttlGeneric(ctx, args[1], "ttl")),
  command("pttl", 2, ["readonly", "fast"], KEY1, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", (ctx, args) => ttlGeneric(ctx, args[1], "pttl")),
  command("expiretime", 2, ["readonly", "fast"], KEY1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", (ctx, args) =>
    ttlGeneric(ctx, args[1], "expiretime"),
  ),
  command("pexpiretime", 2, ["readonly", "fast"], KEY1, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", (ctx, args) =>
    ttlGeneric(ctx, args[1], "pexpiretime"),
  ),
  command("expire", -3, ["write", "fast"], KEY1, "generic", "1.0.0", "Sets the expiration time of a key in seconds.", (ctx, args) =>
    expireGeneric(ctx, args, "expire", 1000, false),
  ),
  command("pexpire", -3, ["write", "fast"], KEY1, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", (ctx, args) =>
    expireGeneric(ctx, args, "pexpire", 1, false),
  ),
  command("expireat", -3, ["write", "fast"], KEY1, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", (ctx, args) =>
    expireGeneric(ctx, args, "expireat", 1000, true),
  ),
  command("pexpireat", -3, ["write", "fast"], KEY1, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", (ctx, args) =>
    expireGeneric(ctx, args, "pexpireat", 1, true),
  ),
  command("persist", 2, ["write", "fast"], KEY1, "generic", "2.2.0", "Removes the expiration time of a key.", (ctx, args) => {
    const ks = keyspace(ctx);
    const meta = ks.lookup(args[1]);
    if (!meta || meta.expireAt === 0) return ctx.reply.integer(0);
    ctx.holdUntilDurable(ks.commit(ks.setExpireOps(args[1], meta, 0), 0));
    ctx.reply.integer(1);
  }),
  command("rename", 3, ["write"], [1, 2, 1], "generic", "1.0.0", "Renames a key and overwrites the destination.", (ctx, args) => rename(ctx, args, false)),
  command("renamenx", 3, ["write", "fast"], [1, 2, 1], "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", (ctx, args) =>
    rename(ctx, args, true),
  ),
  command("keys", 2, ["readonly"], NOKEY, "generic", "1.0.0", "Returns all key names that match a pattern.", keysCommand),
  command("scan", -2, ["readonly"], NOKEY, "generic", "2.8.0", "Iterates over the key names in the database.", (ctx, args) => {
    const cursorText = args[1].toString("latin1");
    if (!/^\d+$/.test(cursorText) || cursorText.length > 20) throw new CommandError("ERR invalid cursor");
    let count = 10;
    let match: Glob | undefined;
    let type: string | undefined;
    for (let i = 2; i < args.length; i++) {
      const o = lower(args[i]);
      if (i + 1 >= args.length) throw new CommandError(SYNTAX_ERROR);
      if (o === "count") {
        count = intArg(args[++i]);
        if (count < 1) throw new CommandError(SYNTAX_ERROR);
      } else if (o === "match") {
        const p = args[++i];
        // A bare `*` is every key (the empty key too), as in Redis.
        match = p.length === 1 && p[0] === 0x2a ? undefined : new Glob(p);
      } else if (o === "type") {
        type = lower(args[++i]);
      } else throw new CommandError(SYNTAX_ERROR);
    }
    const r = keyspace(ctx).scan(String(BigInt(cursorText)), { count, match, type });
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk(r.cursor);
    ctx.reply.arrayHeader(r.keys.length);
    for (const k of r.keys) ctx.reply.bulk(k);
  }),
  command("randomkey", 1, ["readonly"], NOKEY, "generic", "1.0.0", "Returns a random key name from the database.", (ctx) => {
    const k = keyspace(ctx).randomKey();
    if (k) ctx.reply.bulk(k);
    else ctx.reply.nullBulk();
  }),
  command("dbsize", 1, ["readonly", "fast"], NOKEY, "server", "1.0.0", "Returns the number of keys in the database.", (ctx) => ctx.reply.integer(keyspace(ctx).dbsize())),
  command("flushall", -1, ["write"], NOKEY, "server", "1.0.0", "Removes all keys from all databases.", flush),
  command("flushdb", -1, ["write"], NOKEY, "server", "1.0.0", "Remove all keys from the current database.", flush),
];

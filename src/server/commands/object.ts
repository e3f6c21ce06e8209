// OBJECT, MEMORY USAGE and COPY: what tools ask of every key they list (encoding, size), and Redis 6.2's COPY for
// strings, with Redis 7.0's replies and error texts. docs/protocol.md ("Keys: OBJECT, MEMORY, COPY") says what the
// figures mean in tskv.
import { TypeTag } from "../../model/keys";
import { META_HEADER, Meta } from "../../model/meta";
import { SeriesStore } from "../../model/series/series";
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { inSeriesBatch } from "./ts/common";
import { command, helpReply, intArg, keyspace, lower, SYNTAX_ERROR } from "./util";

const NOKEY: [number, number, number] = [0, 0, 0];

/** Redis's OBJ_SHARED_REFCOUNT: the refcount of its shared integers 0..9999. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;
/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
const EMBSTR_LIMIT = 44;

/** The value as a long, as Redis's string2l() reads it (no sign but minus, no leading zeros), or undefined. */
function asLong(v: Buffer): bigint | undefined {
  if (v.length === 0 || v.length > 20) return undefined;
  const s = v.toString("latin1");
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * The encoding Redis's tryObjectEncoding() gives a string set to this value: int, embstr (at most 44 bytes) or raw.
 * tskv keeps no encoding, so a value changed by APPEND or SETRANGE, which Redis leaves raw, is judged by its bytes.
 */
export function stringEncoding(v: Buffer): string {
  if (asLong(v) !== undefined) return "int";
  return v.length <= EMBSTR_LIMIT ? "embstr" : "raw";
}

function lookupOrNull(ctx: CommandContext, key: Buffer): Meta | undefined {
  return keyspace(ctx).lookup(key);
}

const objectSubs: CommandSpec[] = [
  command("object|encoding", 3, ["readonly"], [2, 2, 1], "generic", "2.2.3", "Returns the internal encoding of a Redis object.", (ctx, args) => {
    const meta = lookupOrNull(ctx, args[2]);
    if (!meta) return ctx.reply.nullBulk();
    // A module type's value (a series, as RedisTimeSeries keeps it) is "raw" in Redis.
    ctx.reply.bulk(meta.type === TypeTag.STRING ? stringEncoding(meta.payload) : "raw");
  }),
  command("object|freq", 3, ["readonly"], [2, 2, 1], "generic", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", (ctx, args) => {
    if (!lookupOrNull(ctx, args[2])) return ctx.reply.nullBulk();
    // tskv's policy is always noeviction: Redis's answer under it.
    throw new CommandError(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
  }),
  command("object|idletime", 3, ["readonly"], [2, 2, 1], "generic", "2.2.3", "Returns the time since the last access to a Redis object.", (ctx, args) => {
    if (!lookupOrNull(ctx, args[2])) return ctx.reply.nullBulk();
    // tskv keeps no access times: every key reads as just used.
    ctx.reply.integer(0);
  }),
  command("object|refcount", 3, ["readonly"], [2, 2, 1], "generic", "2.2.3", "Returns the reference count of a value of a key.", (ctx, args) => {
    const meta = lookupOrNull(ctx, args[2]);
    if (!meta) return ctx.reply.nullBulk();
    const n = meta.type === TypeTag.STRING ? asLong(meta.payload) : undefined;
    ctx.reply.integer(n !== undefined && n >= 0n && n < BigInt(SHARED_INTEGERS) ? SHARED_REFCOUNT : 1);
  }),
  command("object|help", 2, ["loading", "stale"], NOKEY, "generic", "6.2.0", "Returns helpful text about the different subcommands.", (ctx) => {
    // Redis 7.0.15's text, word for word.
    helpReply(
      ctx,
      "OBJECT",
      [
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
      ],
      "Prints",
    );
  }),
];

/**
 * MEMORY USAGE: the bytes a key takes in tskv — its META entry (the key with its prefix, the type and expiry header,
 * and a string's value) and, for a series, what TS.INFO's memoryUsage reports of it.
 */
function memoryUsage(ctx: CommandContext, args: Buffer[]): void {
  for (let i = 3; i < args.length; i++) {
    if (lower(args[i]) === "samples" && i + 1 < args.length) {
      const n = intArg(args[++i]);
      if (n < 0) throw new CommandError(SYNTAX_ERROR);
    } else throw new CommandError(SYNTAX_ERROR);
  }
  const ks = keyspace(ctx);
  const meta = ks.lookup(args[2]);
  if (!meta) return ctx.reply.nullBulk();
  let bytes = 1 + args[2].length + META_HEADER + meta.payload.length;
  if (meta.type === TypeTag.SERIES) {
    const st = SeriesStore.of(ks);
    const s = st.lookup(args[2]);
    if (s !== undefined && s !== "wrongtype") bytes += st.memoryUsage(s);
  }
  ctx.reply.integer(bytes);
}

const memorySubs: CommandSpec[] = [
  command("memory|usage", -3, ["readonly"], [2, 2, 1], "server", "4.0.0", "Estimates the memory usage of a key.", memoryUsage),
  command("memory|help", 2, ["loading", "stale"], NOKEY, "server", "4.0.0", "Returns helpful text about the different subcommands.", (ctx) => {
    // Redis 7.0.15's text, word for word.
    helpReply(
      ctx,
      "MEMORY",
      [
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
      ],
      "Prints",
    );
  }),
];

/**
 * COPY source destination [DB 0] [REPLACE]: a string, or a series as RedisTimeSeries copies one (samples, labels,
 * settings; no compaction rules, and not a rule's destination: SeriesStore.copy), with the source's expiry.
 */
function copy(ctx: CommandContext, args: Buffer[]): void {
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = lower(args[i]);
    if (opt === "replace") replace = true;
    else if (opt === "db" && i + 1 < args.length) {
      if (intArg(args[++i]) !== 0) throw new CommandError("ERR DB index is out of range");
    } else throw new CommandError(SYNTAX_ERROR);
  }
  if (args[1].equals(args[2])) throw new CommandError("ERR source and destination objects are the same");
  const ks = keyspace(ctx);
  const src = ks.lookup(args[1]);
  if (!src) return ctx.reply.integer(0);
  const dst = ks.lookup(args[2]);
  if (dst && !replace) return ctx.reply.integer(0);
  if (src.type === TypeTag.SERIES) return copySeries(ctx, args[1], args[2], dst);
  // The source's META value is a view of the engine's: the write copies it.
  ctx.holdUntilDurable(ks.store(args[2], TypeTag.STRING, src.expireAt, src.payload, dst));
  ctx.reply.integer(1);
}

/** COPY of a series: one engine batch, the reply held until it is durable. */
function copySeries(ctx: CommandContext, from: Buffer, to: Buffer, dst: Meta | undefined): void {
  const st = SeriesStore.of(keyspace(ctx));
  const src = st.series(from);
  if (src === undefined) return ctx.reply.integer(0);
  inSeriesBatch(ctx, st, (w) => st.copy(w, src, to, dst));
  ctx.reply.integer(1);
}

export const objectCommands: CommandSpec[] = [
  { ...command("object", -2, [], NOKEY, "generic", "2.2.3", "A container for object introspection commands.", () => undefined), subcommands: objectSubs },
  { ...command("memory", -2, [], NOKEY, "server", "4.0.0", "A container for memory diagnostics commands.", () => undefined), subcommands: memorySubs },
  command("copy", -3, ["write", "denyoom"], [1, 2, 1], "generic", "6.2.0", "Copies the value of a key to a new key.", copy),
];

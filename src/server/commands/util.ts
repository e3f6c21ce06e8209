// Helpers shared by command families: argument parsing with Redis's error texts, the keyspace of a context.
import { parseInteger } from "../../protocol/decoder";
import type { Keyspace } from "../../model/keyspace";
import type { CommandContext, CommandFlag, CommandSpec } from "../command";
import { CommandError } from "../errors";

export const SYNTAX_ERROR = "ERR syntax error";
export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INTEGER = "ERR value is not an integer or out of range";

let lastServer: unknown = null;
let lastKeyspace: Keyspace | undefined;

/** The keyspace of the context's server (set once at its start: the last server's is kept at hand). */
export function keyspace(ctx: CommandContext): Keyspace {
  const server = ctx.server;
  if (server === lastServer && lastKeyspace !== undefined) return lastKeyspace;
  const ks = server.extensions.get("keyspace") as Keyspace | undefined;
  if (!ks) throw new Error("keyspace not loaded");
  lastServer = server;
  lastKeyspace = ks;
  return ks;
}

/** A 64-bit integer argument as Redis's string2ll reads it; `error` replaces the default text. */
export function intArg(b: Buffer, error = NOT_INTEGER): number {
  const n = parseInteger(b, 0, b.length);
  if (n === null || !Number.isSafeInteger(n)) throw new CommandError(error);
  return n;
}

/** Same, exact to 64 bits. */
export function bigIntArg(b: Buffer, error = NOT_INTEGER): bigint {
  const n = parseInteger(b, 0, b.length);
  if (n === null) throw new CommandError(error);
  const big = BigInt(b.toString("latin1"));
  if (big > 9223372036854775807n || big < -9223372036854775808n) throw new CommandError(error);
  return big;
}

export const lower = (b: Buffer): string => b.toString("latin1").toLowerCase();

/**
 * The reply of a container's HELP subcommand, in Redis's layout. Redis 7.0's own texts end "Print this help." for
 * most containers and "Prints this help." for some (COMMAND, MODULE, OBJECT, MEMORY): `verb` says which.
 */
export function helpReply(ctx: CommandContext, name: string, lines: string[], verb: "Print" | "Prints" = "Print"): void {
  const all = [`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, ...lines, "HELP", `    ${verb} this help.`];
  ctx.reply.arrayHeader(all.length);
  for (const l of all) ctx.reply.simple(l);
}

export function command(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [number, number, number],
  group: string,
  since: string,
  summary: string,
  handler: CommandSpec["handler"],
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], group, since, summary, handler };
}

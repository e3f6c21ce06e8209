// MULTI, EXEC, DISCARD, WATCH, UNWATCH: the table entries (Redis 7.0's arity, flags, key positions and docs); the
// logic is src/server/transaction.ts, which the server registers as the "transactions" extension.
import type { CommandContext, CommandSpec } from "../command";
import type { Transactions, TxConnection } from "../transaction";
import { command } from "./util";

function tx(ctx: CommandContext): Transactions {
  const t = ctx.server.extensions.get("transactions") as Transactions | undefined;
  if (!t) throw new Error("transactions not registered");
  return t;
}

// These run on the connection itself: none of them is ever queued, so ctx is the connection (UNWATCH, which is
// queued, takes any context).
const conn = (ctx: CommandContext): TxConnection => ctx as TxConnection;

export const transactionCommands: CommandSpec[] = [
  command("multi", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], "transactions", "1.2.0", "Mark the start of a transaction block", (ctx) => tx(ctx).multi(conn(ctx))),
  command("exec", 1, ["noscript", "loading", "stale"], [0, 0, 0], "transactions", "1.2.0", "Execute all commands issued after MULTI", (ctx) => tx(ctx).exec(conn(ctx))),
  command("discard", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], "transactions", "2.0.0", "Discard all commands issued after MULTI", (ctx) => tx(ctx).discard(conn(ctx))),
  command("watch", -2, ["noscript", "loading", "stale", "fast", "allow_busy"], [1, -1, 1], "transactions", "2.2.0", "Watch the given keys to determine execution of the MULTI/EXEC block", (ctx, args) => tx(ctx).watch(conn(ctx), args)),
  command("unwatch", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], "transactions", "2.2.0", "Forget about all watched keys", (ctx) => tx(ctx).unwatch(ctx)),
];

// The command table's contract: every command family (server.ts, strings.ts, timeseries.ts, tskv.ts under
// src/server/commands/) exports CommandSpec[]; src/server/command-table.ts indexes them and answers COMMAND.
import type { ReplyWriter, Protocol } from "../protocol/reply";

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "allow_busy";

export interface ClientState {
  readonly id: number;
  name: string;
  proto: Protocol;
  authenticated: boolean;
  libName: string;
  libVer: string;
  readonly addr: string;
  readonly createdAt: number;
}

/** Everything a handler may touch while it runs. Arguments are views into the read buffer: copy what you keep. */
export interface CommandContext {
  readonly reply: ReplyWriter;
  readonly client: ClientState;
  /** The server's shared state (engine, model, config, metrics); see src/server/context.ts. */
  readonly server: import("./context").ServerContext;
  /**
   * Output written after this call (the command's reply, and everything after it on this connection) goes out only
   * once the engine has made `seq` durable. Call it before writing the reply: what is already written may go out.
   */
  holdUntilDurable(seq: bigint): void;
  /**
   * For long replies written piece by piece by a handler that returns a promise: hands what the reply writer holds
   * to the socket, and resolves once this connection's unsent output is below the streaming mark (256 KiB), so a
   * client that reads slowly paces the reply instead of growing the server's memory. Rejects if the client is gone.
   */
  drain(): Promise<void>;
}

export interface CommandSpec {
  /** Lower-case name, e.g. "get", "ts.range". */
  name: string;
  /** Redis convention, counting the name: N exact, -N at least N. */
  arity: number;
  flags: CommandFlag[];
  /** Key positions as COMMAND reports them (1-based; lastKey -1 = last argument; 0,0,0 = no keys). */
  firstKey: number;
  lastKey: number;
  step: number;
  /** COMMAND DOCS */
  summary: string;
  since: string;
  group: string;
  subcommands?: CommandSpec[];
  /**
   * args[0] is the command name as sent. A returned promise holds this connection's later commands until it
   * settles (used by commands that wait, e.g. TSKV.FLUSH); ordinary commands finish synchronously.
   */
  handler(ctx: CommandContext, args: Buffer[]): void | Promise<void>;
}

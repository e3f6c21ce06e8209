// MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis 7.0's semantics (its multi.c and processCommand()): a client's
// queue and flags, the server's table of WATCHed keys, and EXEC, which runs the queue in one synchronous stretch
// (no other client's command can run inside it) inside one engine atomic section (the transaction's writes are one
// WAL record: after a crash all of them are there or none). docs/protocol.md, "Transactions", says what differs.
//
// A command whose handler returns a promise (a streamed TS.RANGE or KEYS reply, TSKV's waits, DEBUG SLEEP) has
// done its work on the data when it returns: the streamed replies answer from views taken then. So EXEC never waits
// in the middle: the commands after such a one run at once too, each writing its reply into a staged writer of its
// own, and those replies follow the streamed one on the connection, in order, as it finishes.
import type { CommandContext, CommandSpec, ClientState } from "./command";
import type { EngineApi } from "../engine/types";
import type { Keyspace } from "../model/keyspace";
import { SeriesStore } from "../model/series/series";
import { RespWriter } from "../protocol/encoder";
import { CommandError } from "./errors";

export const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const NOT_IN_MULTI = "ERR Command not allowed inside a transaction";

/**
 * Refused inside MULTI (Redis 7.0's no-multi commands: SHUTDOWN, SAVE, SYNC, PSYNC), and tskv's own commands that
 * wait for background work, as SAVE does (TSKV.FLUSH and TSKV.COMPACT write the memtable out mid-group).
 */
const NO_MULTI = new Set(["shutdown", "save", "sync", "psync", "tskv.flush", "tskv.compact"]);

/** Run at once inside MULTI instead of being queued (processCommand()'s list; tskv has no RESET). */
const NOT_QUEUED = new Set(["exec", "discard", "multi", "watch", "quit"]);

/** Series commands whose samples also go to the destination series of the source's compaction rules. */
const FEEDS_RULES = new Set(["ts.add", "ts.madd", "ts.incrby", "ts.decrby"]);

interface Queued {
  spec: CommandSpec;
  args: Buffer[];
}

interface WatchedKey {
  key: Buffer;
  /** The key existed (unexpired) when WATCHed: if it is gone at EXEC it expired or was deleted meanwhile. */
  existed: boolean;
}

/** One client's transaction state. The server drops it when it is idle again. */
export class ClientTransaction {
  /** MULTI's queue; null outside MULTI. */
  queue: Queued[] | null = null;
  /** A command was refused while queuing (Redis's CLIENT_DIRTY_EXEC): EXEC answers EXECABORT. */
  failed = false;
  /** A WATCHed key changed (CLIENT_DIRTY_CAS): EXEC answers a null array. */
  dirty = false;
  readonly watched = new Map<string, WatchedKey>();

  get idle(): boolean {
    return this.queue === null && this.watched.size === 0 && !this.dirty;
  }
}

/** What EXEC and WATCH need of a connection (src/server/connection.ts's Connection is one). */
export interface TxConnection extends CommandContext {
  readonly reply: RespWriter;
  tx: ClientTransaction | undefined;
}

export interface TransactionHost {
  readonly engine: EngineApi;
  readonly keyspace: Keyspace | undefined;
  /**
   * Runs a resolved command as the server runs any (watched keys it touches, stats, slow log, an error reply for
   * what it throws), its reply written to `ctx`. The promise, if any, never rejects.
   */
  invoke(conn: TxConnection, ctx: CommandContext, spec: CommandSpec, args: Buffer[]): void | Promise<void>;
}

/** The keys a write command is about to touch that someone WATCHes, and the engine's sequence before it ran. */
export interface WatchProbe {
  seq: number;
  keys: Array<{ id: string; key: Buffer; existed: boolean }>;
}

export class Transactions {
  /** WATCHed keys (latin1) and the clients watching each. */
  private readonly watchers = new Map<string, Set<ClientTransaction>>();

  constructor(private readonly host: TransactionHost) {}

  /** Someone WATCHes a key: write commands are probed (see probe/settle). */
  get watching(): boolean {
    return this.watchers.size > 0;
  }

  // ---- the server's hooks ------------------------------------------------------------------------------------

  /** True when `spec` must be refused for a client in MULTI (reply NOT_IN_MULTI through reject()). */
  refusedInMulti(conn: TxConnection, spec: CommandSpec): boolean {
    return conn.tx !== undefined && conn.tx.queue !== null && NO_MULTI.has(spec.name);
  }

  /** Queues the command when the client is in MULTI and it is not one of those that run at once; true if it did. */
  queue(conn: TxConnection, spec: CommandSpec, args: Buffer[]): boolean {
    const tx = conn.tx;
    if (tx === undefined || tx.queue === null || NOT_QUEUED.has(spec.name)) return false;
    // An aborted transaction keeps nothing (Redis does the same): EXEC will only discard it.
    if (!tx.failed && !tx.dirty) tx.queue.push({ spec, args: args.map((a) => Buffer.from(a)) });
    conn.reply.simple("QUEUED");
    return true;
  }

  /**
   * A command refused before it ran (unknown, wrong arity, NOAUTH, not allowed in MULTI): inside MULTI the
   * transaction is marked to abort (flagTransaction), and a refused EXEC discards it with the reason (Redis's
   * execCommandAbort, which also answers so outside MULTI). `spec` is the refused command when it was found.
   */
  reject(conn: TxConnection, spec: CommandSpec | undefined, text: string): void {
    const tx = conn.tx;
    if (tx !== undefined && tx.queue !== null) tx.failed = true;
    if (spec?.name !== "exec") {
      conn.reply.error(text);
      return;
    }
    this.leave(conn);
    conn.reply.error(`EXECABORT Transaction discarded because of: ${text.startsWith("ERR ") ? text.slice(4) : text}`);
  }

  /** The connection closed: its watches go. */
  forget(conn: TxConnection): void {
    if (conn.tx === undefined) return;
    this.unwatchAll(conn.tx);
    conn.tx = undefined;
  }

  /**
   * Before a write command runs while keys are WATCHed: the watched keys it may touch (its key arguments, the
   * destinations of a series source's rules; every watched key for a keyless write such as FLUSHALL), whether each
   * exists now, and the engine's sequence. undefined when it touches none.
   */
  probe(spec: CommandSpec, args: Buffer[]): WatchProbe | undefined {
    const ks = this.host.keyspace;
    if (ks === undefined) return undefined;
    const keys: WatchProbe["keys"] = [];
    const consider = (key: Buffer, id = key.toString("latin1")): void => {
      if (!this.watchers.has(id) || keys.some((k) => k.id === id)) return;
      keys.push({ id, key: Buffer.from(key), existed: ks.lookup(key) !== undefined });
    };
    if (spec.firstKey <= 0) {
      for (const id of this.watchers.keys()) consider(Buffer.from(id, "latin1"), id);
    } else {
      const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
      const step = spec.step > 0 ? spec.step : 1;
      for (let i = spec.firstKey; i <= last && i < args.length; i += step) {
        consider(args[i]);
        if (FEEDS_RULES.has(spec.name)) {
          const s = SeriesStore.of(ks).series(args[i]);
          if (s) for (const r of s.header.rules) consider(r.destKey);
        }
      }
    }
    return keys.length === 0 ? undefined : { seq: this.host.engine.sequence, keys };
  }

  /**
   * After the probed command: if it wrote anything, each probed key that existed before or exists now was touched
   * (signalModifiedKey), and its watchers' EXEC will fail. A write that changed nothing (DEL of a missing key, SET NX
   * on an existing one, an error) wrote nothing to the engine and touches nothing.
   */
  settle(p: WatchProbe): void {
    if (this.host.engine.sequence === p.seq) return;
    const ks = this.host.keyspace as Keyspace;
    for (const k of p.keys) if (k.existed || ks.lookup(k.key) !== undefined) this.touch(k.id);
  }

  // ---- the commands ------------------------------------------------------------------------------------------

  multi(conn: TxConnection): void {
    const tx = (conn.tx ??= new ClientTransaction());
    if (tx.queue !== null) throw new CommandError("ERR MULTI calls can not be nested");
    tx.queue = [];
    conn.reply.simple("OK");
  }

  discard(conn: TxConnection): void {
    if (conn.tx === undefined || conn.tx.queue === null) throw new CommandError("ERR DISCARD without MULTI");
    this.leave(conn);
    conn.reply.simple("OK");
  }

  watch(conn: TxConnection, args: Buffer[]): void {
    if (conn.tx !== undefined && conn.tx.queue !== null) throw new CommandError("ERR WATCH inside MULTI is not allowed");
    const tx = (conn.tx ??= new ClientTransaction());
    // Already dirty: EXEC fails whatever is watched now.
    if (!tx.dirty) {
      const ks = this.host.keyspace;
      for (let i = 1; i < args.length; i++) {
        const id = args[i].toString("latin1");
        if (tx.watched.has(id)) continue;
        const key = Buffer.from(args[i]);
        tx.watched.set(id, { key, existed: ks?.lookup(key) !== undefined });
        let set = this.watchers.get(id);
        if (set === undefined) this.watchers.set(id, (set = new Set()));
        set.add(tx);
      }
    }
    conn.reply.simple("OK");
  }

  /** UNWATCH; also queued inside MULTI, when it runs in EXEC with nothing watched any more. */
  unwatch(ctx: CommandContext): void {
    const conn = ctx as Partial<TxConnection>;
    if (conn.tx !== undefined) {
      this.unwatchAll(conn.tx);
      conn.tx.dirty = false;
      if (conn.tx.idle) conn.tx = undefined;
    }
    ctx.reply.simple("OK");
  }

  exec(conn: TxConnection): void | Promise<void> {
    const tx = conn.tx;
    if (tx === undefined || tx.queue === null) throw new CommandError("ERR EXEC without MULTI");
    const queue = tx.queue;
    const engine = this.host.engine;
    if (!tx.failed && !tx.dirty && !engine.writable && queue.some((q) => q.spec.flags.includes("write"))) {
      // The memtable is at its hard limit: the writes wait for room, as a write outside MULTI does, and the checks
      // below are made once there is (a key changed meanwhile still fails the EXEC).
      return engine.whenWritable().then(() => this.exec(conn));
    }
    // A watched key that expired since WATCH (isWatchedKeyExpired), or was deleted by the active expiry cycle.
    if (!tx.failed && !tx.dirty && this.goneSinceWatch(tx)) tx.dirty = true;
    if (tx.failed || tx.dirty) {
      const failed = tx.failed;
      this.leave(conn);
      if (failed) conn.reply.error(EXECABORT);
      else conn.reply.nullArray();
      return;
    }
    // Out of MULTI and unwatched before the commands run (none of them can be MULTI, EXEC or WATCH).
    this.leave(conn);
    return this.run(conn, queue);
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  /** Runs the queue: every command now, in one atomic section; replies after a streamed one follow it. */
  private run(conn: TxConnection, queue: Queued[]): void | Promise<void> {
    const engine = this.host.engine;
    conn.reply.arrayHeader(queue.length);
    let streaming: Promise<void> | undefined;
    const staged: StagedReply[] = [];
    engine.beginAtomic?.();
    try {
      for (const q of queue) {
        if (streaming === undefined) {
          const p = this.host.invoke(conn, conn, q.spec, q.args);
          if (p) streaming = p;
        } else {
          const ctx = new StagedReply(conn);
          ctx.pending = this.host.invoke(conn, ctx, q.spec, q.args);
          staged.push(ctx);
        }
      }
    } finally {
      engine.endAtomic?.();
    }
    if (streaming === undefined) return;
    const first = streaming;
    return (async () => {
      await first;
      for (const ctx of staged) await ctx.takeTurn();
    })();
  }

  /** Leaves MULTI (discardTransaction): the queue, both flags and every watch go. */
  private leave(conn: TxConnection): void {
    const tx = conn.tx;
    if (tx === undefined) return;
    this.unwatchAll(tx);
    conn.tx = undefined;
  }

  private goneSinceWatch(tx: ClientTransaction): boolean {
    const ks = this.host.keyspace;
    if (ks === undefined) return false;
    for (const w of tx.watched.values()) if (w.existed && ks.lookup(w.key) === undefined) return true;
    return false;
  }

  /** A watched key changed: its watchers' EXEC fails, and they need watch nothing more (touchWatchedKey). */
  private touch(id: string): void {
    const set = this.watchers.get(id);
    if (set === undefined) return;
    for (const tx of [...set]) {
      tx.dirty = true;
      this.unwatchAll(tx);
    }
  }

  private unwatchAll(tx: ClientTransaction): void {
    for (const id of tx.watched.keys()) {
      const set = this.watchers.get(id);
      if (set === undefined) continue;
      set.delete(tx);
      if (set.size === 0) this.watchers.delete(id);
    }
    tx.watched.clear();
  }
}

/**
 * The reply of a command of an EXEC that comes after a streamed one: written into its own writer while the stream
 * before it goes out, then moved to the connection when its turn comes. A streaming handler here waits in drain()
 * until then (so it holds at most a slice), and goes on at the connection's pace after.
 */
class StagedReply implements CommandContext {
  readonly reply: RespWriter;
  readonly client: ClientState;
  readonly server: CommandContext["server"];
  /** The handler's promise, when it did not finish at once. */
  pending: void | Promise<void> = undefined;
  private live = false;
  private held: bigint | undefined;
  private waiting: Array<() => void> = [];

  constructor(private readonly conn: TxConnection) {
    this.reply = new RespWriter(conn.client.proto);
    this.reply.onError = conn.reply.onError;
    this.client = conn.client;
    this.server = conn.server;
  }

  holdUntilDurable(seq: bigint): void {
    if (this.held === undefined || seq > this.held) this.held = seq;
  }

  drain(): Promise<void> {
    if (!this.live) return new Promise((resolve) => this.waiting.push(resolve));
    this.moveOut();
    return this.conn.drain();
  }

  /** Its turn: what it wrote goes to the connection, then the rest as the handler writes it. */
  async takeTurn(): Promise<void> {
    this.live = true;
    this.moveOut();
    for (const w of this.waiting.splice(0)) w();
    if (this.pending) await this.pending;
    this.moveOut();
  }

  private moveOut(): void {
    if (this.held !== undefined) {
      this.conn.holdUntilDurable(this.held);
      this.held = undefined;
    }
    for (const b of this.reply.take()) this.conn.reply.raw(b);
    // HELLO among the staged commands switched the protocol: the connection's later replies follow it.
    this.conn.reply.proto = this.reply.proto;
  }
}

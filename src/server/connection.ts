// One client connection: its decoder, its reply writer, its pipeline budget, and the output it may not send yet
// because the writes it acknowledges are not durable.
import { RespDecoder } from "../protocol/decoder";
import { RespWriter } from "../protocol/encoder";
import { ProtocolError } from "../protocol/errors";
import type { ClientState, CommandContext } from "./command";
import type { ClientTransaction } from "./transaction";

/** Output that must wait until the engine has made `seq` durable; `end` is a cumulative output offset. */
interface Hold {
  end: number;
  seq: bigint;
}

export interface ConnectionHost {
  /** Runs one command; may return a promise that holds the connection's later commands. */
  execute(conn: Connection, args: Buffer[]): void | Promise<void>;
  durableSequence(): bigint;
  whenDurable(seq: bigint): Promise<void>;
  /** Non-undefined when the write numbered `seq` was taken back after its WAL write failed. */
  writeLost(seq: bigint): Error | undefined;
  /** The connection has output ready outside a loop turn (a sync completed, an async command settled). */
  wake(conn: Connection): void;
  /** Sends what the connection may send now; returns its output not yet written to the kernel (bytes). */
  pushOutput(conn: Connection): number;
  /** A hint before the first `n` commands of `batch` run: their keys will be looked up (see Keyspace.prefetch). */
  prefetch(batch: Buffer[][], n: number): void;
  /** Commands stop running back to back here (the next one's time must not include what happens in between). */
  commandGap(): void;
}

/** Commands decoded ahead and run as one batch (their key lookups prefetched together). */
const BATCH = 64;

const NO_ARGS: Buffer[] = [];

/** Unsent output below which a streaming reply goes on (see CommandContext.drain). */
export const STREAM_LOW_WATER = 256 * 1024;

export class Connection implements CommandContext {
  readonly decoder: RespDecoder;
  readonly reply: RespWriter;
  readonly client: ClientState;
  /** Set by the server once per connection. */
  server!: CommandContext["server"];

  /** Data arrived this turn: the server runs it at the turn's end. */
  queuedForTurn = false;
  /** In the server's list of connections with output to send (see DirtyList). */
  dirty = false;
  /** Close once the queued output is written (QUIT, protocol errors). */
  closeAfterReply = false;
  closed = false;
  /** Reading paused by the output soft limit. */
  pausedForOutput = false;
  /** Reading and running paused: the engine stopped acknowledging writes and this connection holds replies. */
  pausedForStall = false;
  /** A sync this connection's output waited for failed: close without sending it. */
  syncFailed = false;
  /** A command returned a promise; later commands wait for it. */
  blocked = false;
  /** MULTI's queue and the keys this client WATCHes (src/server/transaction.ts); undefined when it has neither. */
  tx: ClientTransaction | undefined = undefined;
  /** Commands run for this connection, for CLIENT LIST's cmd= and idle=. */
  lastCommand = "NULL";
  /** ms time of the last read from or write to the client (set by the server, as Redis's lastinteraction). */
  lastInteraction = Date.now();

  /** Taken from the writer, not yet handed to the socket. */
  private queue: Buffer[] = [];
  /** Cumulative output offsets: bytes handed to the socket, bytes moved into queue. */
  private sent = 0;
  private queuedEnd = 0;
  private holds: Hold[] = [];
  /** Output offset up to which every held reply has been released (what precedes the first unreleased hold). */
  private released = 0;
  private waitingFor: bigint | undefined;
  private drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Commands decoded ahead: batch[next .. count) are still to run. */
  private readonly batch: Buffer[][] = [];
  private next = 0;
  private count = 0;
  /** A protocol error met while decoding ahead: replied once the commands before it have run. */
  private batchError: string | null = null;

  constructor(
    readonly id: number,
    addr: string,
    private readonly host: ConnectionHost,
    limits: { protoMaxBulkLen: number },
  ) {
    this.decoder = new RespDecoder({ protoMaxBulkLen: limits.protoMaxBulkLen });
    this.reply = new RespWriter(2);
    this.client = {
      id,
      name: "",
      proto: 2,
      authenticated: false,
      libName: "",
      libVer: "",
      addr,
      createdAt: Date.now(),
    };
  }

  holdUntilDurable(seq: bigint): void {
    if (seq <= this.host.durableSequence()) return;
    const end = this.queuedEnd + this.reply.size;
    const last = this.holds[this.holds.length - 1];
    if (last && last.seq >= seq) {
      last.end = end;
      return;
    }
    this.holds.push({ end, seq });
  }

  /**
   * Runs complete commands from the decoder, at most `budget` of them. Returns the number left unrun because
   * of the budget (a positive number means: call again next turn), or -1 when the connection must close.
   *
   * Commands are decoded up to BATCH at a time and the host is told their keys before any runs, so that the cache
   * misses of their lookups overlap (a lookup is a few dependent reads of a large memtable, each a miss). Decoded
   * arguments are views of the read buffer: if a command holds the connection (returns a promise), the commands
   * decoded after it are copied, and run first when it is released.
   */
  runCommands(budget: number): number {
    let ran = 0;
    while (!this.blocked && !this.closeAfterReply) {
      if (this.next === this.count) {
        if (this.batchError !== null) {
          this.replyBatchError();
          return 0;
        }
        if (ran >= budget) {
          if (this.decoder.idle) return 0;
          // The rest waits for the next turn: the read buffer it points into may be reused before then.
          this.decoder.detach();
          return 1;
        }
        if (!this.decodeBatch(Math.min(BATCH, budget - ran))) return 0;
      }
      const args = this.batch[this.next];
      this.batch[this.next++] = NO_ARGS;
      ran++;
      const pending = this.host.execute(this, args);
      if (pending) {
        this.blocked = true;
        this.keepPending();
        pending.then(
          () => this.unblock(),
          () => this.unblock(),
        );
      }
    }
    return 0;
  }

  /**
   * Makes what was read but not run outlive this turn's read buffer: the commands decoded ahead are copied, and the
   * decoder keeps its own copy of the bytes it has not decoded yet.
   */
  keepPending(): void {
    this.decoder.detach();
    for (let i = this.next; i < this.count; i++) this.batch[i] = this.batch[i].map((a) => Buffer.from(a));
  }

  /**
   * Decodes the next batch ahead of running it, without hinting its keys (the server hints every client's batch of
   * the turn at once), and appends its commands to `out`. Does nothing while commands decoded earlier wait.
   */
  prepare(budget: number, out: Buffer[][]): void {
    if (this.blocked || this.closeAfterReply || this.next < this.count) return;
    if (!this.decodeBatch(Math.min(BATCH, budget), false)) return;
    for (let i = 0; i < this.count; i++) out.push(this.batch[i]);
  }

  /** Hints the keys of the batch decoded by prepare() and not yet run. */
  hintBatch(): void {
    const n = this.count - this.next;
    if (n > 1 && this.next === 0) this.host.prefetch(this.batch, n);
  }

  /** Decodes up to `max` complete commands into the batch (and hints their keys). False when there was none. */
  private decodeBatch(max: number, hint = true): boolean {
    let n = 0;
    while (n < max) {
      let args: Buffer[] | null;
      try {
        args = this.decoder.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.batchError = e.message;
        break;
      }
      if (args === null) break;
      this.batch[n++] = args;
    }
    this.next = 0;
    this.count = n;
    if (n === 0) {
      if (this.batchError !== null) this.replyBatchError();
      return false;
    }
    // Decoding is not part of the next command's time: its clock starts afresh.
    this.host.commandGap();
    if (hint && n > 1) this.host.prefetch(this.batch, n);
    return true;
  }

  /** Answers the protocol error met while decoding ahead (every command before it has run) and closes after it. */
  private replyBatchError(): void {
    this.reply.error(`ERR ${this.batchError}`);
    this.batchError = null;
    this.closeAfterReply = true;
  }

  private unblock(): void {
    this.blocked = false;
    this.host.wake(this);
  }

  /** True while some reply waits for a write to become durable (or for a write stall to end). */
  get holding(): boolean {
    return this.holds.length > 0;
  }

  /** Bytes produced but not yet handed to the socket (held for durability or not yet flushed). */
  get unsentBytes(): number {
    return this.queuedEnd - this.sent + this.reply.size;
  }

  /**
   * The output that may go to the socket now, in order: everything up to the first hold whose sequence is not
   * durable yet. Arms a wake-up for that hold.
   */
  takeSendable(): Buffer[] {
    const fresh = this.reply.take();
    for (const b of fresh) {
      this.queue.push(b);
      this.queuedEnd += b.length;
    }
    this.releaseDurable();
    const limit = this.syncFailed ? Math.max(this.released, this.sent) : this.holds.length > 0 ? this.holds[0].end : this.queuedEnd;
    const out: Buffer[] = [];
    while (this.queue.length > 0 && this.sent < limit) {
      const head = this.queue[0];
      const room = limit - this.sent;
      if (head.length <= room) {
        out.push(head);
        this.queue.shift();
        this.sent += head.length;
      } else {
        out.push(head.subarray(0, room));
        this.queue[0] = head.subarray(room);
        this.sent += room;
      }
    }
    if (this.holds.length > 0 && !this.syncFailed) {
      const seq = this.holds[0].seq;
      if (this.waitingFor === undefined || this.waitingFor < seq) {
        this.waitingFor = seq;
        this.host.whenDurable(seq).then(
          () => {
            if (this.waitingFor === seq) this.waitingFor = undefined;
            if (!this.closed) this.host.wake(this);
          },
          () => {
            // The engine failed the sync: the acknowledgement must never go out; the server drops the client.
            this.syncFailed = true;
            if (!this.closed) this.host.wake(this);
          },
        );
      }
    }
    return out;
  }

  /** Releases the holds whose writes are durable now, in order. */
  private releaseDurable(): void {
    if (this.holds.length === 0) return;
    const durable = this.host.durableSequence();
    while (this.holds.length > 0 && this.holds[0].seq <= durable) {
      if (this.host.writeLost(this.holds[0].seq)) {
        // Its WAL write failed, so the acknowledgement must never go out, though later writes are durable now.
        this.syncFailed = true;
        break;
      }
      this.released = (this.holds.shift() as Hold).end;
    }
  }

  /**
   * takeSendable() for the common case, without views or arrays: nothing queued, nothing held once the durable holds
   * are released (under everysec a write's hold is released by the turn's WAL append), and the reply writer's
   * output since the last take all in its current slab. Returns that slab (the bytes to send are reply.runStart to
   * reply.runEnd, all of them sendable at once), or null when takeSendable() must be used.
   */
  takeRun(): Buffer | null {
    if (this.queue.length > 0) return null;
    this.releaseDurable();
    if (this.holds.length > 0 || this.syncFailed) return null;
    const slab = this.reply.takeRun();
    if (slab === null) return null;
    const n = this.reply.runEnd - this.reply.runStart;
    this.queuedEnd += n;
    this.sent += n;
    return slab;
  }

  drain(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("client connection closed"));
    const pending = this.host.pushOutput(this);
    if (this.closed) return Promise.reject(new Error("client connection closed"));
    // Below the mark: go on after other connections have had a turn (a resolved promise would starve them).
    if (pending <= STREAM_LOW_WATER) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  /** The socket drained to `pending` bytes: streaming replies waiting below the mark go on. */
  notifyDrained(pending: number): void {
    if (pending > STREAM_LOW_WATER || this.drainWaiters.length === 0) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const x of w) x.resolve();
  }

  /** The client went away: streaming replies stop. */
  abandonStreams(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const x of w) x.reject(new Error("client connection closed"));
  }

  /** True when nothing is waiting to go out. */
  get drained(): boolean {
    return this.queue.length === 0 && this.reply.size === 0;
  }
}

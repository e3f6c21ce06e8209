// The RESP server: connections from an IoBackend, commands through the command table, replies of one loop turn
// out with one write per connection, acknowledgements of writes held until the WAL sync policy is met.
import { DurationBuckets } from "../engine/duration-buckets";
import { open as openEngine } from "../engine/engine";
import type { EngineApi } from "../engine/types";
import type { CommandContext, CommandSpec } from "./command";
import { CommandTable } from "./command-table";
import { allCommands } from "./commands";
import { Connection, ConnectionHost } from "./connection";
import type { ClientView, ServerConfig, ServerContext, ServerStats } from "./context";
import { defaultConfig } from "./config";
import { errorReply } from "./errors";
import { NOT_IN_MULTI, Transactions } from "./transaction";
import { createIoBackend, epollAvailable } from "./io";
import type { IoBackend, IoBackendName } from "./io/types";
import { createLogger, engineLogger, Logger } from "./logger";
import { registerInfoSection, startInfo, stopInfo } from "./info";
import { Keyspace } from "../model/keyspace";
import { SeriesStore } from "../model/series/series";
import { SERIES_TIME_KEY } from "../model/keys";
import { storageInfo } from "./commands/tskv";
import { CommandStats, Metrics, percentilesLine } from "../metrics/registry";
import { SlowLog } from "../metrics/slowlog";
import { renderPrometheus, Sample } from "../metrics/prometheus";
import { serveMetrics, MetricsEndpoint } from "../metrics/http";

/** Commands one connection may run per loop turn before others get theirs. */
const PIPELINE_BUDGET = 1024;

export interface StartOptions {
  log?: Logger;
  /** An engine opened by the caller (embedding); otherwise the server opens config.dir. */
  engine?: EngineApi;
  /**
   * A socket layer given by the caller instead of the one config.io names: bench/inproc-strings.ts drives the
   * server's own code through one without sockets, to measure it without the kernel.
   */
  backend?: IoBackend;
}

/** Commands of one turn whose keys are hinted together (more would leave the first ones' lines out of cache). */
const TURN_HINT_MAX = 128;

const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * The connections with output to send when the turn ends, each once, in the order they got it (a Set did this with
 * a hash table emptied and grown again every turn).
 */
class DirtyList {
  private items: Connection[] = [];
  private n = 0;

  add(conn: Connection): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.items[this.n++] = conn;
  }

  /** Number listed; a connection added while the list is walked is walked too (index loops see it). */
  get size(): number {
    return this.n;
  }

  at(i: number): Connection {
    return this.items[i];
  }

  clear(): void {
    const items = this.items;
    for (let i = 0; i < this.n; i++) {
      items[i].dirty = false;
      items[i] = undefined as unknown as Connection;
    }
    this.n = 0;
  }
}

/** The replies of one turn handed to the backend in one writeRuns() call; grown by doubling, never shrunk. */
class TurnRuns {
  readonly conns: Array<Connection | undefined>;
  readonly ids: Int32Array;
  readonly bufs: Buffer[];
  readonly bounds: Int32Array;
  readonly pending: Float64Array;

  constructor(readonly capacity: number) {
    this.conns = new Array<Connection | undefined>(capacity).fill(undefined);
    this.ids = new Int32Array(capacity);
    this.bufs = new Array<Buffer>(capacity).fill(EMPTY_BUFFER);
    this.bounds = new Int32Array(2 * capacity);
    this.pending = new Float64Array(capacity);
  }

  /** A copy with twice the room (the entries so far kept). */
  grown(): TurnRuns {
    const g = new TurnRuns(2 * this.capacity);
    for (let i = 0; i < this.capacity; i++) {
      g.conns[i] = this.conns[i];
      g.bufs[i] = this.bufs[i];
    }
    g.ids.set(this.ids);
    g.bounds.set(this.bounds);
    return g;
  }
}

export class TskvServer implements ServerContext, ConnectionHost {
  readonly stats: ServerStats = {
    totalConnections: 0,
    rejectedConnections: 0,
    totalCommands: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    outputPauses: 0,
    stallPauses: 0,
    clientsDropped: 0,
    readsProcessed: 0,
    writesProcessed: 0,
  };
  readonly startedAt = Date.now();
  readonly extensions = new Map<string, unknown>();
  readonly commands: CommandTable;
  /** MULTI queues and WATCHed keys (src/server/transaction.ts). */
  readonly transactions: Transactions;
  readonly metrics = new Metrics();
  readonly slowlog: SlowLog;
  address = { host: "", port: 0 };
  /** The Prometheus endpoint, when --metrics-port is set. */
  metricsEndpoint: MetricsEndpoint | undefined;
  /** Resolves once the server has stopped (SHUTDOWN, a signal, or stop()). */
  readonly closed: Promise<void>;

  private backend!: IoBackend;
  private readonly conns = new Map<number, Connection>();
  private readonly dirty = new DirtyList();
  private readonly backlog = new Set<Connection>();
  private flushScheduled = false;
  private backlogScheduled = false;
  stopping: Promise<void> | undefined;
  private resolveClosed!: () => void;

  private constructor(
    readonly config: ServerConfig,
    readonly engine: EngineApi,
    readonly log: Logger,
    readonly ioBackend: IoBackendName,
    private readonly ownsEngine: boolean,
  ) {
    this.commands = new CommandTable(allCommands());
    const extensions = this.extensions;
    this.transactions = new Transactions({
      engine,
      get keyspace() {
        return extensions.get("keyspace") as Keyspace | undefined;
      },
      invoke: (conn, ctx, spec, args) => this.invoke(conn as Connection, ctx, spec, args),
    });
    extensions.set("transactions", this.transactions);
    this.slowlog = new SlowLog(
      () => this.config.slowlogLogSlowerThan,
      () => this.config.slowlogMaxLen,
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  static async start(overrides: Partial<ServerConfig> = {}, opts: StartOptions = {}): Promise<TskvServer> {
    const config = { ...defaultConfig(), ...overrides };
    const log = opts.log ?? createLogger(config.logLevel);
    let io = config.io;
    if (io === "epoll" && !epollAvailable()) {
      log.warn({ requested: "epoll" }, "epoll reactor not available here; serving on node:net");
      io = "net";
    }
    const engine =
      opts.engine ??
      (await openEngine(config.dir, {
        walSync: config.walSync,
        memtableSize: config.memtableSize,
        bloomBitsPerKey: config.bloomBits,
        blockCacheSize: config.blockCacheSize,
        compactionRate: config.compactionRate,
        backgroundNice: config.backgroundNice,
        repair: config.repair,
        logger: engineLogger(log),
        timeKey: SERIES_TIME_KEY,
      }));
    const server = new TskvServer(config, engine, log, opts.backend?.name ?? io, opts.engine === undefined);
    const keyspace = Keyspace.load(engine);
    SeriesStore.of(keyspace).noteWindow = config.seriesNoteWindow;
    SeriesStore.of(keyspace).postings.budget = config.seriesIndexCache;
    SeriesStore.of(keyspace).mem.budget = config.seriesHeadMemory;
    if (config.seriesHeadPackMin !== undefined) SeriesStore.of(keyspace).mem.packMin = config.seriesHeadPackMin;
    server.extensions.set("keyspace", keyspace);
    registerInfoSection(server, "keyspace", () => {
      const keys = keyspace.dbsize();
      return keys > 0 ? [["db0", `keys=${keys},expires=${keyspace.expiresCount},avg_ttl=${keyspace.avgTtl()}`]] : [];
    });
    registerInfoSection(server, "storage", () => storageInfo(engine));
    server.registerObservability();
    try {
      await server.listen(opts.backend);
      if (config.metricsPort !== undefined) {
        server.metricsEndpoint = await serveMetrics(config.host, config.metricsPort, () => server.prometheus(), () => !server.stopping);
      }
    } catch (e) {
      keyspace.stop();
      stopInfo(server);
      if (server.ownsEngine) await engine.close();
      throw e;
    }
    return server;
  }

  private async listen(given: IoBackend | undefined): Promise<void> {
    this.backend = given ?? createIoBackend(this.ioBackend);
    const addr = await this.backend.listen(this.config.host, this.config.port, {
      onOpen: (id, host, port) => this.onOpen(id, host, port),
      onData: (id, data) => this.onData(id, data),
      onClose: (id) => this.onClose(id),
      onTurnEnd: () => {
        // The turn's writes form one group that flushDirty() commits before the replies (or the finally, if a command
        // threw past its connection): no end-of-turn callback is scheduled for it.
        this.engine.holdGroup();
        try {
          this.runTurn();
          this.flushDirty();
        } finally {
          this.readClock = -1;
          this.engine.commit();
        }
      },
      onDrain: (id) => this.onDrain(id),
    });
    this.address = addr;
  }

  // ---- connections -------------------------------------------------------------------------------------------

  private onOpen(id: number, host: string, port: number): void {
    const addr = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const conn = new Connection(id, addr, this, { protoMaxBulkLen: this.config.protoMaxBulkLen });
    conn.server = this;
    conn.reply.onError = (msg) => this.metrics.recordError(msg);
    if (this.conns.size >= this.config.maxclients || this.stopping) {
      this.stats.rejectedConnections++;
      this.backend.write(id, [Buffer.from("-ERR max number of clients reached\r\n")]);
      this.backend.close(id, true);
      return;
    }
    this.stats.totalConnections++;
    conn.client.authenticated = this.config.requirepass === undefined;
    conn.decoder.unauthenticated = !conn.client.authenticated;
    this.conns.set(id, conn);
  }

  /** Date.now() of the current turn's reads, read once a turn (-1 until its first read, and between turns). */
  private readClock = -1;

  private onData(id: number, data: Buffer): void {
    const conn = this.conns.get(id);
    if (!conn || conn.closed) return;
    this.stats.netInputBytes += data.length;
    this.stats.readsProcessed++;
    if (this.readClock < 0) this.readClock = Date.now();
    conn.lastInteraction = this.readClock;
    conn.decoder.feed(data);
    if (conn.decoder.bufferedBytes > this.config.clientQueryBufferLimit) {
      this.log.warn({ client: conn.client.addr, bytes: conn.decoder.bufferedBytes }, "closing client that reached max query buffer length");
      this.stats.clientsDropped++;
      this.closeNow(conn);
      return;
    }
    if (!conn.queuedForTurn) {
      conn.queuedForTurn = true;
      this.turnQueue.push(conn);
    }
  }

  /**
   * Runs the commands that arrived this turn. Each client's first batch is decoded before any runs and all their keys
   * are hinted to the keyspace at once, so the memtable misses of different clients' lookups overlap (at pipeline 1
   * each client brings one command a turn: hinted alone it would have nothing to overlap with).
   */
  private runTurn(): void {
    const queue = this.turnQueue;
    if (queue.length === 0) return;
    const all = this.turnCommands;
    for (const conn of queue) {
      if (!conn.closed && !conn.pausedForOutput && !conn.pausedForStall) conn.prepare(PIPELINE_BUDGET, all);
    }
    // Hinted all at once while that stays small enough to be in cache when the lookups come; a turn of long
    // pipelines is hinted one client's batch at a time instead, just before it runs.
    const together = all.length <= TURN_HINT_MAX;
    if (together && all.length > 1) this.prefetch(all, all.length);
    all.length = 0;
    this.commandClock = -1;
    for (let i = 0; i < queue.length; i++) {
      const conn = queue[i];
      conn.queuedForTurn = false;
      if (conn.closed) continue;
      if (!together) conn.hintBatch();
      this.runConnection(conn, true);
    }
    this.commandClock = -1;
    queue.length = 0;
  }

  private readonly turnQueue: Connection[] = [];
  private readonly turnCommands: Buffer[][] = [];

  private onClose(id: number): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    // Commands that arrived with the close run first (a client may send and hang up at once); nobody reads replies.
    if (conn.queuedForTurn) {
      conn.queuedForTurn = false;
      this.runConnection(conn);
    }
    conn.closed = true;
    conn.abandonStreams();
    this.transactions.forget(conn);
    this.conns.delete(id);
    // Left in the dirty list, if there: flushDirty() skips closed connections.
    this.backlog.delete(conn);
  }

  private onDrain(id: number): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    conn.notifyDrained(this.backend.pendingBytes(id) + conn.unsentBytes);
    if (conn.pausedForOutput && this.backend.pendingBytes(id) + conn.unsentBytes <= this.config.outputBufferSoftLimit) {
      conn.pausedForOutput = false;
      if (!conn.pausedForStall) this.backend.resume(id);
      this.runConnection(conn);
      this.scheduleFlush();
    }
  }

  /**
   * Runs what a connection has read. `chained`: it runs right after another connection's commands in the same
   * turn, so the previous command's end time is this one's start (one clock read per command at pipeline 1).
   */
  private runConnection(conn: Connection, chained = false): void {
    if (conn.pausedForOutput || conn.pausedForStall) {
      conn.keepPending(); // commands decoded ahead this turn wait for the pause to end
      this.dirty.add(conn);
      return;
    }
    if (!chained) this.commandClock = -1;
    const left = conn.runCommands(PIPELINE_BUDGET);
    if (!chained) this.commandClock = -1;
    this.dirty.add(conn);
    if (left > 0) {
      this.backlog.add(conn);
      this.scheduleBacklog();
    }
  }

  /** Connections that used up their budget continue next turn, after other clients' reads. */
  private scheduleBacklog(): void {
    if (this.backlogScheduled) return;
    this.backlogScheduled = true;
    setImmediate(() => {
      this.backlogScheduled = false;
      const pending = [...this.backlog];
      this.backlog.clear();
      for (const conn of pending) if (!conn.closed) this.runConnection(conn);
      this.flushDirty();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushDirty();
    });
  }

  private flushDirty(): void {
    // One WAL append for the whole turn, before its replies go out.
    this.engine.commit();
    // The common case (one run of a reply slab, nothing held) is gathered and handed to the backend in one call for
    // all connections, which writes them back to back without views or arrays; any other connection is sent its
    // output at once, as flush() does.
    let runs = this.runs;
    let nr = 0;
    const dirty = this.dirty;
    // Writing to a client is an interaction too (Redis's lastinteraction counts reads and writes); a turn's replies
    // share the clock its reads took.
    const now = dirty.size === 0 ? 0 : this.readClock >= 0 ? this.readClock : Date.now();
    for (let d = 0; d < dirty.size; d++) {
      const conn = dirty.at(d);
      if (conn.closed) continue;
      conn.lastInteraction = now;
      if (conn.syncFailed) {
        this.closeNow(conn);
        continue;
      }
      const slab = conn.takeRun();
      if (slab === null) {
        this.send(conn);
        continue;
      }
      if (nr === runs.capacity) runs = this.runs = runs.grown();
      runs.conns[nr] = conn;
      runs.ids[nr] = conn.id;
      runs.bufs[nr] = slab;
      runs.bounds[2 * nr] = conn.reply.runStart;
      runs.bounds[2 * nr + 1] = conn.reply.runEnd;
      this.stats.netOutputBytes += conn.reply.runEnd - conn.reply.runStart;
      this.stats.writesProcessed++;
      nr++;
    }
    this.dirty.clear();
    if (nr === 0) return;
    this.backend.writeRuns(nr, runs.ids, runs.bufs, runs.bounds, runs.pending);
    for (let i = 0; i < nr; i++) {
      this.afterWrite(runs.conns[i] as Connection, runs.pending[i]);
      runs.conns[i] = undefined;
      runs.bufs[i] = EMPTY_BUFFER;
    }
  }

  private runs = new TurnRuns(64);

  private flush(conn: Connection): void {
    if (conn.closed) return;
    if (conn.syncFailed) {
      this.closeNow(conn);
      return;
    }
    this.send(conn);
  }

  /** Writes what the connection may send now (takeSendable), then afterWrite(). */
  private send(conn: Connection): void {
    const chunks = conn.takeSendable();
    // What the socket still holds after this write (the write reports it: no second call into the backend).
    let backendPending = -1;
    if (chunks.length > 0) {
      let n = 0;
      for (const c of chunks) n += c.length;
      this.stats.netOutputBytes += n;
      this.stats.writesProcessed++;
      backendPending = this.backend.write(conn.id, chunks);
    }
    this.afterWrite(conn, backendPending);
  }

  /** What follows a connection's write: drop it if a held write failed, pause or close it over the output limits. */
  private afterWrite(conn: Connection, backendPending: number): void {
    if (conn.syncFailed) {
      // A reply it holds belongs to a write that never reached the WAL: what preceded it goes out, then the client
      // is dropped so that acknowledgement never does.
      conn.closed = true;
      this.backend.close(conn.id, true);
      return;
    }
    // Writes are stopped and this client's replies wait for them (or its next write waits for room): read nothing
    // more from it until they go out, so a client that pipelines without reading its replies cannot fill memory
    // while flushes catch up.
    const mustWait = this.engine.stalled && (conn.holding || conn.blocked);
    if (conn.pausedForStall && !mustWait) {
      conn.pausedForStall = false;
      if (!conn.pausedForOutput) this.backend.resume(conn.id);
      // Commands already read run next turn.
      this.backlog.add(conn);
      this.scheduleBacklog();
    } else if (mustWait) {
      this.pauseForStall(conn);
    }
    const pending = (backendPending >= 0 ? backendPending : this.backend.pendingBytes(conn.id)) + conn.unsentBytes;
    if (pending > this.config.outputBufferHardLimit) {
      this.log.warn({ client: conn.client.addr, bytes: pending }, "closing client over the output buffer hard limit");
      this.stats.clientsDropped++;
      this.closeNow(conn);
      return;
    }
    if (pending > this.config.outputBufferSoftLimit && !conn.pausedForOutput) {
      conn.pausedForOutput = true;
      this.stats.outputPauses++;
      this.backend.pause(conn.id);
    }
    if (conn.closeAfterReply && conn.drained) {
      conn.closed = true;
      this.backend.close(conn.id, true);
    }
  }

  private pauseForStall(conn: Connection): void {
    if (conn.pausedForStall) return;
    conn.pausedForStall = true;
    this.stats.stallPauses++;
    this.backend.pause(conn.id);
  }

  private closeNow(conn: Connection): void {
    conn.closed = true;
    this.backend.close(conn.id, false);
  }

  // ---- ConnectionHost ----------------------------------------------------------------------------------------

  durableSequence(): bigint {
    return this.engine.durableSequence;
  }

  whenDurable(seq: bigint): Promise<void> {
    return this.engine.whenDurable(seq);
  }

  writeLost(seq: bigint): Error | undefined {
    return this.engine.writeLost(seq);
  }

  pushOutput(conn: Connection): number {
    this.flush(conn);
    return conn.closed ? 0 : this.backend.pendingBytes(conn.id) + conn.unsentBytes;
  }

  wake(conn: Connection): void {
    if (conn.closed) return;
    if (!conn.blocked) this.runConnection(conn);
    // Send what became sendable now (a sync completed); new writes it ran are committed at the turn's end.
    this.dirty.add(conn);
    this.scheduleFlush();
    this.flush(conn);
  }

  prefetch(batch: Buffer[][], n: number): void {
    this.keyspaceRef ??= this.extensions.get("keyspace") as Keyspace | undefined;
    this.keyspaceRef?.prefetch(batch, n);
  }

  private keyspaceRef: Keyspace | undefined;

  execute(conn: Connection, args: Buffer[]): void | Promise<void> {
    this.stats.totalCommands++;
    const found = this.commands.resolve(args);
    if ("error" in found) {
      if (found.rejected) this.metrics.stats(found.rejected.name).rejected++;
      this.reject(conn, found.rejected, found.error);
      return;
    }
    const spec = found.spec;
    conn.lastCommand = spec.name;
    if (!conn.client.authenticated && !spec.flags.includes("no_auth")) {
      this.metrics.stats(spec.name).rejected++;
      this.reject(conn, spec, "NOAUTH Authentication required.");
      return;
    }
    if (conn.tx !== undefined) {
      // In MULTI: refused (and the transaction aborted), queued, or run at once (EXEC, DISCARD, MULTI, WATCH, QUIT).
      if (this.transactions.refusedInMulti(conn, spec)) {
        this.metrics.stats(spec.name).rejected++;
        this.reject(conn, spec, NOT_IN_MULTI);
        return;
      }
      if (this.transactions.queue(conn, spec, args)) return;
    }
    if (!this.engine.writable && spec.flags.includes("write") && !spec.flags.includes("admin")) {
      // Writes are stopped and the memtable is at its hard limit: rather than fail, this command waits for room, and
      // its connection with it (nothing more is read from the client meanwhile); it is counted when it runs. Admin
      // commands (TSKV.FLUSH, TSKV.COMPACT) run at once: they are what ends a stall.
      this.stats.totalCommands--;
      const kept = args.map((a) => Buffer.from(a)); // the read buffer will be reused before then
      this.pauseForStall(conn);
      return this.engine.whenWritable().then(() => this.execute(conn, kept));
    }
    return this.invoke(conn, conn, spec, args);
  }

  /** A command refused before it ran: inside MULTI (or when it is EXEC) the transaction hears of it. */
  private reject(conn: Connection, spec: CommandSpec | undefined, text: string): void {
    if (conn.tx !== undefined || spec?.name === "exec") this.transactions.reject(conn, spec, text);
    else conn.reply.error(text);
  }

  /**
   * Runs a resolved command with its reply written to `ctx`: the connection, or, inside an EXEC, a staged reply of
   * its (src/server/transaction.ts). WATCHed keys it touches are marked; its call is counted and timed.
   */
  invoke(conn: Connection, ctx: CommandContext, spec: CommandSpec, args: Buffer[]): void | Promise<void> {
    const r = ctx.reply as Connection["reply"];
    const errorsBefore = r.errorCount;
    // Commands run back to back share clock reads: one's end is the next one's start (see commandClock).
    const started = this.commandClock >= 0 ? this.commandClock : performance.now();
    const probe = this.transactions.watching && spec.flags.includes("write") ? this.transactions.probe(spec, args) : undefined;
    let result: void | Promise<void> = undefined;
    try {
      result = spec.handler(ctx, args);
    } catch (e) {
      this.replyError(r, spec.name, e);
    }
    if (probe !== undefined) this.transactions.settle(probe);
    if (result && typeof (result as Promise<void>).then === "function") {
      this.commandClock = -1;
      const kept = args.map((a) => Buffer.from(a)); // the read buffer will be reused before this settles
      return (result as Promise<void>)
        .catch((e: unknown) => this.replyError(r, spec.name, e))
        .finally(() => {
          this.recordCall(conn, spec.name, kept, started, r.errorCount > errorsBefore);
          this.commandClock = -1; // settled outside any run of commands
        });
    }
    this.recordCall(conn, spec.name, args, started, r.errorCount > errorsBefore);
  }

  /**
   * The end time of the command that just ran while the next one follows at once (a connection's run of decoded
   * commands), so that one clock read serves as its end and the next one's start; -1 when no such run is under way.
   */
  private commandClock = -1;

  /** Ends a run of commands: the next command reads the clock for its start (see commandClock). */
  commandGap(): void {
    this.commandClock = -1;
  }

  private lastStats: CommandStats | undefined;

  private recordCall(conn: Connection, name: string, args: Buffer[], started: number, failed: boolean): void {
    const end = performance.now();
    this.commandClock = end;
    const ms = end - started;
    // Runs of one command are the rule (pipelines, benchmarks): its stats are kept at hand instead of looked up.
    let stats = this.lastStats;
    if (stats === undefined || stats.name !== name) stats = this.lastStats = this.metrics.stats(name);
    stats.record(ms * 1e6, failed);
    // EXEC itself is not logged (Redis's skip_slowlog): the commands it ran are.
    if (this.slowlog.slowerThan >= 0 && ms * 1000 >= this.slowlog.slowerThan && name !== "exec") {
      this.slowlog.maybeRecord(ms * 1000, Date.now() - ms, args, conn.client.addr, conn.client.name);
    }
  }

  // ---- observability -----------------------------------------------------------------------------------------

  private registerObservability(): void {
    const m = this.metrics;
    registerInfoSection(this, "commandstats", () =>
      [...m.commands.values()]
        .filter((s) => s.calls > 0 || s.rejected > 0)
        .map((s) => [
          `cmdstat_${s.name}`,
          `calls=${s.calls},usec=${Math.round(s.usec)},usec_per_call=${(s.calls ? s.usec / s.calls : 0).toFixed(2)},rejected_calls=${s.rejected},failed_calls=${s.failed}`,
        ]),
      false,
    );
    registerInfoSection(this, "errorstats", () => [...m.errors].map(([prefix, n]) => [`errorstat_${prefix}`, `count=${n}`]));
    registerInfoSection(this, "latencystats", () =>
      [...m.commands.values()].filter((s) => s.calls > 0).map((s) => [`latency_percentiles_usec_${s.name}`, percentilesLine(s)]),
      false,
    );
    this.extensions.set("resetstat", () => m.reset());
    startInfo(this);
  }

  /** The /metrics body: server, WAL and keyspace figures plus the per-command families. */
  prometheus(): string {
    const st = this.stats;
    const c = (name: string, help: string, value: number): Sample => ({ name, help, type: "counter", value });
    const g = (name: string, help: string, value: number): Sample => ({ name, help, type: "gauge", value });
    const samples: Sample[] = [
      g("tskv_connections_open", "Client connections open now.", this.conns.size),
      c("tskv_connections_total", "Client connections accepted.", st.totalConnections),
      c("tskv_connections_rejected_total", "Connections refused at maxclients.", st.rejectedConnections),
      c("tskv_net_rx_bytes_total", "Bytes read from clients.", st.netInputBytes),
      c("tskv_net_tx_bytes_total", "Bytes handed to the kernel for clients.", st.netOutputBytes),
      c("tskv_backpressure_events_total", "Times reading from a client paused because its output passed the soft limit.", st.outputPauses),
      c("tskv_stall_pauses_total", "Times reading from a client paused because writes stalled while it held replies or waited to write.", st.stallPauses),
      c("tskv_clients_dropped_total", "Clients disconnected for passing the output hard limit or the query buffer limit.", st.clientsDropped),
      c("tskv_commands_processed_total", "Commands received, including rejected ones.", st.totalCommands),
      g("tskv_uptime_seconds", "Seconds since the server started.", (Date.now() - this.startedAt) / 1000),
    ];
    const counters = this.engine.counters;
    const es = this.engine.stats();
    samples.push(
      c("tskv_wal_appends_total", "Write batches appended to the WAL.", counters.walAppends),
      c("tskv_wal_bytes_total", "Bytes appended to the WAL.", counters.walBytes),
      c("tskv_wal_group_commits_total", "WAL writes (one per loop turn with writes).", counters.groupCommits),
      c("tskv_wal_fsyncs_total", "fdatasync calls on the WAL.", counters.walSyncs),
      c("tskv_wal_fsync_seconds_total", "Time spent in WAL fdatasync.", counters.walSyncMicros / 1e6),
      c("tskv_wal_failed_writes_total", "WAL writes that failed and were truncated back.", counters.failedWrites),
      g("tskv_memtable_bytes", "Approximate bytes held by the memtable.", es.memtableBytes),
      g("tskv_memtables_frozen", "Frozen memtables waiting for flush.", es.frozenMemtables),
      c("tskv_flushes_total", "Memtables flushed to L0 tables.", counters.flushes),
      c("tskv_flush_bytes_total", "Bytes of tables written by flushes.", counters.flushBytes),
      c("tskv_flush_seconds_total", "Time spent writing flushes (in the background worker).", counters.flushMicros / 1e6),
      c("tskv_compactions_total", "Compactions completed.", counters.compactions),
      c("tskv_compaction_read_bytes_total", "Bytes of tables read by compactions.", counters.compactionBytesRead),
      c("tskv_compaction_written_bytes_total", "Bytes of tables written by compactions.", counters.compactionBytesWritten),
      c("tskv_compaction_seconds_total", "Time spent compacting (in the background worker).", counters.compactionMicros / 1e6),
      c("tskv_write_stalls_total", "Times writes stopped because flushes or compactions were behind.", counters.stalls),
      c("tskv_write_stall_seconds_total", "Time writes spent stopped.", counters.stallMicros / 1e6),
      g("tskv_write_stalled", "1 while writes are stopped.", es.stalled ? 1 : 0),
      c("tskv_bloom_probes_total", "Bloom filter probes on point reads.", es.bloomProbes),
      c("tskv_bloom_negatives_total", "Probes that ruled a table out.", es.bloomNegatives),
      c("tskv_block_reads_total", "SSTable blocks read from files (block cache misses).", es.blockReads),
      g("tskv_block_cache_bytes", "Bytes in the block cache.", es.blockCacheBytes),
    );
    for (const l of es.levels) {
      samples.push(
        { name: "tskv_sstable_files", help: "SSTable files per level.", type: "gauge", value: l.files, labels: { level: String(l.level) } } as Sample,
        { name: "tskv_sstable_bytes", help: "SSTable bytes per level.", type: "gauge", value: l.bytes, labels: { level: String(l.level) } } as Sample,
      );
    }
    const ks = this.extensions.get("keyspace") as Keyspace | undefined;
    if (ks) samples.push(g("tskv_keys", "Live keys.", ks.dbsize()), g("tskv_keys_with_expiry", "Keys with an expiry.", ks.expiresCount));
    return renderPrometheus(samples, this.metrics) + this.syncHistogram();
  }

  /** tskv_wal_fsync_duration_seconds: the latency of the fdatasyncs that acknowledgements wait for. */
  private syncHistogram(): string {
    const h = (this.engine as { syncLatency?: DurationBuckets }).syncLatency;
    if (!h) return "";
    const name = "tskv_wal_fsync_duration_seconds";
    const out = [`# HELP ${name} Latency of WAL fdatasync calls that replies wait for (--wal-sync always).`, `# TYPE ${name} histogram`];
    let cum = 0;
    DurationBuckets.BOUNDS.forEach((b, i) => {
      cum += h.counts[i];
      out.push(`${name}_bucket{le="${b}"} ${cum}`);
    });
    cum += h.counts[DurationBuckets.BOUNDS.length];
    out.push(`${name}_bucket{le="+Inf"} ${cum}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
    return out.join("\n") + "\n";
  }

  private replyError(reply: Connection["reply"], command: string, e: unknown): void {
    const { text, internal } = errorReply(e);
    if (internal) this.log.error({ err: e, command }, "command failed");
    reply.error(text);
  }

  // ---- ServerContext -----------------------------------------------------------------------------------------

  clientList(): ClientView[] {
    return [...this.conns.values()].map((c) => ({
      id: c.id,
      client: c.client,
      lastCommand: c.lastCommand,
      lastInteraction: c.lastInteraction,
      queryBufferBytes: c.decoder.bufferedBytes,
      outputBytes: c.unsentBytes + this.backend.pendingBytes(c.id),
    }));
  }

  killClient(id: number): boolean {
    const conn = this.conns.get(id);
    if (!conn) return false;
    conn.closeAfterReply = true;
    this.dirty.add(conn);
    this.scheduleFlush();
    return true;
  }

  /**
   * Leaves nothing for the next start to replay: the series heads' WAL notes written into their chunk entries, then
   * the memtable written as a table, after which the WAL segments go. A start after a clean stop then opens the tables
   * and loads heads only as commands use them (1 M series: docs/operations.md, "Memory of time series"). Anything
   * refused (a full disk, a failed engine) is left as it is: the WAL still holds it, and the next start replays it.
   */
  private async persistForRestart(): Promise<void> {
    const ks = this.extensions.get("keyspace") as Keyspace | undefined;
    try {
      if (ks) SeriesStore.of(ks).persistAll();
      await this.engine.flush();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "could not write everything out before stopping; the next start replays the WAL");
    }
  }

  shutdown(reason: string): void {
    void this.stop(reason);
  }

  /** Stops accepting, lets in-flight replies go out, closes every client and the engine. Idempotent. */
  stop(reason = "stop requested"): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.log.info({ reason }, "shutting down");
    await this.backend.stopListening();
    // Let replies of the current turn (including the caller's SHUTDOWN reply, if any) and pending syncs go out.
    await new Promise((r) => setImmediate(r));
    const seq = this.engine.durableSequence;
    await this.engine.whenDurable(seq).catch(() => undefined);
    this.flushDirty();
    for (const conn of this.conns.values()) {
      if (!conn.closed) {
        this.flush(conn);
        conn.closed = true;
        this.backend.close(conn.id, true);
      }
    }
    await new Promise((r) => setTimeout(r, 10));
    await this.backend.destroy();
    await this.metricsEndpoint?.close();
    (this.extensions.get("keyspace") as Keyspace | undefined)?.stop();
    stopInfo(this);
    if (this.ownsEngine && this.config.persistOnStop) await this.persistForRestart();
    if (this.ownsEngine) await this.engine.close();
    this.log.info("tskv stopped");
    this.resolveClosed();
  }
}

export async function startServer(overrides: Partial<ServerConfig> = {}, opts: StartOptions = {}): Promise<TskvServer> {
  return TskvServer.start(overrides, opts);
}

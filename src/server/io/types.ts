// The seam between the server and its socket layer. Two backends implement it: the native epoll reactor
// (src/server/io/epoll.ts, native/reactor.cc) and node:net (src/server/io/net.ts).

export type IoBackendName = "epoll" | "net";

export interface IoHandlers {
  /** A client connected. `id` is unique for the life of the process and never reused. */
  onOpen(id: number, remoteAddress: string, remotePort: number): void;
  /**
   * Bytes arrived. `data` may be a view into the backend's read buffer: it is valid only during this call, and
   * anything kept past it must be copied.
   */
  onData(id: number, data: Buffer): void;
  /** The connection is gone (peer closed, error, or close() was called). Called exactly once per id. */
  onClose(id: number): void;
  /**
   * Every ready connection of one loop turn has been handed to onData. The server sends the turn's replies here,
   * one write() per connection.
   */
  onTurnEnd(): void;
  /** A connection's queued output has been written to the kernel completely. */
  onDrain(id: number): void;
}

export interface ListenResult {
  host: string;
  port: number;
}

export interface IoBackend {
  readonly name: IoBackendName;
  listen(host: string, port: number, handlers: IoHandlers): Promise<ListenResult>;
  /**
   * Queue `chunks` for the connection, written in order with as few writev calls as possible. Returns what
   * pendingBytes() would return right after (0 for a connection that is gone).
   */
  write(id: number, chunks: Buffer[]): number;
  /**
   * Writes the turn's replies of `count` connections at once: connection ids[i] gets bufs[i][bounds[2i],
   * bounds[2i+1]). Sets pending[i] to what pendingBytes(ids[i]) would return right after (0 for a connection that is
   * gone). As with write(), the caller never changes those bytes afterwards (a backend may send them later).
   */
  writeRuns(count: number, ids: Int32Array, bufs: Buffer[], bounds: Int32Array, pending: Float64Array): void;
  /** Bytes queued for the connection that the kernel has not accepted yet. */
  pendingBytes(id: number): number;
  /** Stop / restart reading from one connection (backpressure and pipeline budgets). */
  pause(id: number): void;
  resume(id: number): void;
  /** Close after queued output has been written (`graceful`), or at once. onClose follows. */
  close(id: number, graceful: boolean): void;
  /** Stop accepting new connections; existing ones stay. */
  stopListening(): Promise<void>;
  /** Release everything: close every connection at once and the listener. */
  destroy(): Promise<void>;
}

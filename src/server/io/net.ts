// IoBackend on node:net: the fallback where epoll is missing and the baseline the native reactor is measured
// against. Data events of one macrotask turn are followed by one onTurnEnd (coalesced with setImmediate), so the
// server still answers a turn's commands with one write per connection.
import * as net from "node:net";
import type { IoBackend, IoHandlers, ListenResult } from "./types";

export class NetBackend implements IoBackend {
  readonly name = "net" as const;
  private server: net.Server | undefined;
  private handlers: IoHandlers | undefined;
  private readonly sockets = new Map<number, net.Socket>();
  private nextId = 1;
  private turnScheduled = false;
  private listenerClosed: Promise<void> | undefined;

  listen(host: string, port: number, handlers: IoHandlers): Promise<ListenResult> {
    this.handlers = handlers;
    const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, backlog: 511 }, () => {
        server.off("error", reject);
        const addr = server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  private accept(socket: net.Socket): void {
    const h = this.handlers as IoHandlers;
    const id = this.nextId++;
    this.sockets.set(id, socket);
    socket.setNoDelay(true);
    h.onOpen(id, socket.remoteAddress ?? "", socket.remotePort ?? 0);
    socket.on("data", (data: Buffer) => {
      h.onData(id, data);
      this.scheduleTurnEnd();
    });
    socket.on("drain", () => h.onDrain(id));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.sockets.delete(id)) h.onClose(id);
    });
  }

  private scheduleTurnEnd(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.handlers?.onTurnEnd();
    });
  }

  write(id: number, chunks: Buffer[]): number {
    const s = this.sockets.get(id);
    if (!s || s.destroyed) return 0;
    if (chunks.length === 1) {
      s.write(chunks[0]);
    } else if (chunks.length > 1) {
      s.cork();
      for (const c of chunks) s.write(c);
      s.uncork();
    }
    return s.writableLength;
  }

  writeRuns(count: number, ids: Int32Array, bufs: Buffer[], bounds: Int32Array, pending: Float64Array): void {
    for (let i = 0; i < count; i++) {
      const start = bounds[2 * i];
      const end = bounds[2 * i + 1];
      pending[i] = end > start ? this.write(ids[i], [bufs[i].subarray(start, end)]) : this.pendingBytes(ids[i]);
    }
  }

  pendingBytes(id: number): number {
    return this.sockets.get(id)?.writableLength ?? 0;
  }

  pause(id: number): void {
    this.sockets.get(id)?.pause();
  }

  resume(id: number): void {
    this.sockets.get(id)?.resume();
  }

  close(id: number, graceful: boolean): void {
    const s = this.sockets.get(id);
    if (!s) return;
    if (graceful) s.end();
    else s.destroy();
  }

  /** Stops accepting at once; the listener's handle goes once every connection has closed (destroy()). */
  stopListening(): Promise<void> {
    const server = this.server;
    if (server && server.listening && !this.listenerClosed) {
      this.listenerClosed = new Promise((resolve) => server.close(() => resolve()));
    }
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.stopListening();
    for (const s of this.sockets.values()) s.destroy();
    await this.listenerClosed;
    this.server = undefined;
  }
}

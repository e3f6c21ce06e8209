// IoBackend on the native epoll reactor (native/reactor.cc). One call per loop turn brings every ready
// connection's bytes as views into the reactor's read arena; replies go out with writev.
import { native, NativeReactor, ReactorEvent } from "../../native";
import type { IoBackend, IoHandlers, ListenResult } from "./types";
import { BufferViews } from "../../util/bytes";

/** Read arena per reactor: the most one loop turn reads from all connections together. */
const ARENA_BYTES = 4 * 1024 * 1024;

export function epollSupported(): boolean {
  return process.platform === "linux" && typeof native.Reactor === "function";
}

export class EpollBackend implements IoBackend {
  readonly name = "epoll" as const;
  private reactor: NativeReactor | undefined;
  private handlers: IoHandlers | undefined;
  private readonly open = new Set<number>();
  /** Makes the read views of the reactor's arena. */
  private readonly arena = new BufferViews();

  async listen(host: string, port: number, handlers: IoHandlers): Promise<ListenResult> {
    if (!native.Reactor) throw new Error("this build of the addon has no epoll reactor");
    this.handlers = handlers;
    this.reactor = new native.Reactor((events, count, addrs, arena) => this.onEvents(events, count, addrs, arena), ARENA_BYTES);
    try {
      const [h, p] = this.reactor.listen(host, port);
      return { host: h, port: p };
    } catch (e) {
      this.reactor.destroy();
      this.reactor = undefined;
      throw e;
    }
  }

  private onEvents(events: Int32Array, count: number, addrs: string[] | null, arena: Buffer): void {
    const h = this.handlers as IoHandlers;
    let a = 0;
    for (let i = 0; i < count; i += 4) {
      const id = events[i + 1];
      switch (events[i]) {
        case ReactorEvent.OPEN: {
          const [host, port] = (addrs as string[])[a++].split(" ");
          this.open.add(id);
          h.onOpen(id, host, Number(port));
          break;
        }
        case ReactorEvent.DATA:
          if (this.open.has(id)) {
            if (arena !== this.arena.buf) this.arena.of(arena);
            h.onData(id, this.arena.view(events[i + 2], events[i + 3]));
          }
          break;
        case ReactorEvent.CLOSE:
          if (this.open.delete(id)) h.onClose(id);
          break;
        case ReactorEvent.DRAIN:
          if (this.open.has(id)) h.onDrain(id);
          break;
      }
    }
    h.onTurnEnd();
  }

  /** Closes the native side initiated from JS are reported on a later tick, as node:net reports them. */
  private closedByUs(id: number): void {
    setImmediate(() => {
      if (this.open.delete(id)) this.handlers?.onClose(id);
    });
  }

  write(id: number, chunks: Buffer[]): number {
    if (!this.reactor) return 0;
    if (chunks.length === 0) return this.reactor.pending(id);
    const pending = this.reactor.write(id, chunks);
    if (pending >= 0) return pending;
    this.closedByUs(id);
    return 0;
  }

  writeRuns(count: number, ids: Int32Array, bufs: Buffer[], bounds: Int32Array, pending: Float64Array): void {
    if (!this.reactor) {
      pending.fill(0, 0, count);
      return;
    }
    this.reactor.writeRuns(count, ids, bufs, bounds, pending);
    for (let i = 0; i < count; i++) {
      if (pending[i] >= 0) continue;
      pending[i] = 0;
      // Gone before the call (its close event is on its way) or broken by this write (reported like write()'s).
      if (this.open.has(ids[i])) this.closedByUs(ids[i]);
    }
  }

  pendingBytes(id: number): number {
    return this.reactor ? this.reactor.pending(id) : 0;
  }

  pause(id: number): void {
    this.reactor?.pause(id);
  }

  resume(id: number): void {
    this.reactor?.resume(id);
  }

  close(id: number, graceful: boolean): void {
    if (!this.reactor) return;
    if (this.reactor.close(id, graceful) === 1) this.closedByUs(id);
  }

  async stopListening(): Promise<void> {
    this.reactor?.stopListening();
  }

  async destroy(): Promise<void> {
    const r = this.reactor;
    this.reactor = undefined;
    if (!r) return;
    r.destroy();
    const h = this.handlers;
    for (const id of [...this.open]) {
      this.open.delete(id);
      h?.onClose(id);
    }
  }
}

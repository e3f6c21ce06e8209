// tskv's own load generator: many connections, pipelined requests, every request's latency into an HDR histogram.
// Latency of a request = time from the write of its pipeline batch to the arrival of its reply, as redis-benchmark
// measures it.
import * as net from "node:net";
import * as hdr from "hdr-histogram-js";

export interface LoadOptions {
  host: string;
  port: number;
  clients: number;
  pipeline: number;
  /** Total requests across all clients. */
  requests: number;
  /** Produces the encoded request number `i` (RESP multibulk). */
  request: (i: number) => Buffer;
  /** Stop after this many ms even if requests remain. */
  timeoutMs?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Counts complete top-level RESP replies in a stream; keeps the partial tail between calls. Handles every RESP2/RESP3
 * type tskv sends.
 */
export class ReplyCounter {
  private pending: Buffer = Buffer.alloc(0);
  errors = 0;

  /** Feeds bytes; returns how many top-level replies completed. */
  feed(chunk: Buffer): number {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    let done = 0;
    for (;;) {
      const end = this.skip(buf, pos);
      if (end < 0) break;
      if (buf[pos] === 0x2d /* - */) this.errors++;
      pos = end;
      done++;
    }
    this.pending = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return done;
  }

  /** Offset after the value starting at `pos`, or -1 when incomplete. */
  private skip(buf: Buffer, pos: number): number {
    if (pos >= buf.length) return -1;
    const lineEnd = buf.indexOf("\r\n", pos);
    if (lineEnd < 0) return -1;
    const type = buf[pos];
    const after = lineEnd + 2;
    switch (type) {
      case 0x2b: // +
      case 0x2d: // -
      case 0x3a: // :
      case 0x2c: // ,
      case 0x23: // #
      case 0x28: // (
      case 0x5f: // _
        return after;
      case 0x24: // $
      case 0x3d: // =
      case 0x21: {
        // !
        const len = Number(buf.toString("latin1", pos + 1, lineEnd));
        if (len < 0) return after;
        return after + len + 2 <= buf.length ? after + len + 2 : -1;
      }
      case 0x2a: // *
      case 0x7e: // ~
      case 0x3e: // >
      case 0x25: {
        // %
        let n = Number(buf.toString("latin1", pos + 1, lineEnd));
        if (n < 0) return after;
        if (type === 0x25) n *= 2;
        let p = after;
        for (let i = 0; i < n; i++) {
          p = this.skip(buf, p);
          if (p < 0) return -1;
        }
        return p;
      }
      default:
        throw new Error(`loadgen: unexpected reply byte 0x${type.toString(16)}`);
    }
  }
}

export { encodeCommand } from "../../src/protocol/encoder";

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let next = 0;
  let completed = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);

  const runClient = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.connect(opts.port, opts.host);
      sock.setNoDelay(true);
      const counter = new ReplyCounter();
      let outstanding = 0;
      let batchStart = 0n;
      const sendBatch = (): void => {
        if (next >= opts.requests || Date.now() > deadline) {
          sock.end();
          return;
        }
        const n = Math.min(opts.pipeline, opts.requests - next);
        const bufs: Buffer[] = [];
        for (let i = 0; i < n; i++) bufs.push(opts.request(next++));
        outstanding = n;
        batchStart = process.hrtime.bigint();
        sock.write(bufs.length === 1 ? bufs[0] : Buffer.concat(bufs));
      };
      sock.on("connect", sendBatch);
      sock.on("data", (d) => {
        const got = counter.feed(d);
        if (got === 0) return;
        const us = Number((process.hrtime.bigint() - batchStart) / 1000n);
        for (let i = 0; i < got; i++) histogram.recordValue(Math.max(1, us));
        completed += got;
        outstanding -= got;
        if (outstanding <= 0) sendBatch();
      });
      sock.on("close", () => {
        errors += counter.errors;
        resolve();
      });
      sock.on("error", reject);
    });

  await Promise.all(Array.from({ length: opts.clients }, runClient));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: LoadResult = {
    requests: completed,
    errors,
    seconds,
    rps: completed / seconds,
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    p999: histogram.getValueAtPercentile(99.9) / 1000,
    max: histogram.maxValue / 1000,
  };
  histogram.destroy();
  return result;
}

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
 * Counts complete top-level RESP replies in a stream, in one pass over the bytes (a multi-megabyte reply arriving in
 * many reads costs linear time: only an unfinished type line is kept between reads). Handles every RESP2/RESP3 type
 * tskv sends; `errors` counts error replies at any depth (TS.MADD reports failed samples inside its array).
 */
/** The decimal integer in b[start, end) (an optional leading minus). */
function lineNumber(b: Buffer, start: number, end: number): number {
  let i = start;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  let v = 0;
  for (; i < end; i++) v = v * 10 + (b[i] - 0x30);
  return negative ? -v : v;
}

export class ReplyCounter {
  errors = 0;
  /** Elements still expected by each open aggregate, innermost last. */
  private readonly stack: number[] = [];
  /** Bytes of a bulk payload (plus its CRLF) still to skip. */
  private skipBytes = 0;
  /** The start of a type line cut by the end of a read. */
  private partial: Buffer | null = null;

  /**
   * Feeds bytes; returns how many top-level replies completed. Works on the bytes (no string per line): a whole
   * range reply is three lines per sample, and the load generator must not be what limits the measurement.
   */
  feed(input: Buffer): number {
    let chunk = input;
    if (this.partial !== null) {
      chunk = Buffer.concat([this.partial, input]);
      this.partial = null;
    }
    let done = 0;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.skipBytes > 0) {
        const take = Math.min(this.skipBytes, n - pos);
        this.skipBytes -= take;
        pos += take;
        if (this.skipBytes === 0) done += this.finishValue();
        continue;
      }
      let nl = pos;
      while (nl < n && chunk[nl] !== 0x0a) nl++;
      if (nl >= n) {
        this.partial = Buffer.from(chunk.subarray(pos));
        break;
      }
      done += this.onLine(chunk, pos, nl - 1); // the line's bytes are [pos, nl - 1) before its CRLF
      pos = nl + 1;
    }
    return done;
  }

  /** One complete type line (type byte at `start`, CR at `end`); returns 1 when it completed a top-level reply. */
  private onLine(b: Buffer, start: number, end: number): number {
    const type = b[start];
    switch (type) {
      case 0x2d: // -
        this.errors++;
        return this.finishValue();
      case 0x21: // ! blob error
      case 0x24: // $
      case 0x3d: {
        if (type === 0x21) this.errors++;
        const len = lineNumber(b, start + 1, end);
        if (len < 0) return this.finishValue();
        this.skipBytes = len + 2;
        return 0;
      }
      case 0x2a: // *
      case 0x7e: // ~
      case 0x3e: // >
      case 0x25: {
        let count = lineNumber(b, start + 1, end);
        if (type === 0x25) count *= 2;
        if (count <= 0) return this.finishValue();
        this.stack.push(count);
        return 0;
      }
      case 0x2b: // +
      case 0x3a: // :
      case 0x2c: // ,
      case 0x23: // #
      case 0x28: // (
      case 0x5f: // _
        return this.finishValue();
      default:
        throw new Error(`loadgen: unexpected reply byte 0x${type.toString(16)}`);
    }
  }

  /** A value ended: close the aggregates it completes; 1 when that finished a top-level reply. */
  private finishValue(): number {
    for (;;) {
      if (this.stack.length === 0) return 1;
      const top = this.stack.length - 1;
      if (--this.stack[top] > 0) return 0;
      this.stack.pop();
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

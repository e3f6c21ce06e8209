// Background jobs (flushes, compactions: jobs.ts) on a worker thread or inline, and what comes back from them.
import * as fsNode from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { TskvError } from "./errors";
import type { FileSystem } from "./io";
import { Job, JobResult, runJob } from "./jobs";
import type { FileMeta } from "./manifest";

/** Runs background jobs on a worker thread (or inline). */
export class Background {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly mode: "worker" | "inline",
    private readonly fs: FileSystem,
    private readonly nice: number,
  ) {}

  run(job: Job): Promise<JobResult> {
    if (this.mode === "inline") return runJob(job, this.fs);
    const w = this.start();
    const id = this.nextId++;
    w.ref();
    return new Promise<JobResult>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      w.postMessage({ id, job });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerScript() as string, { workerData: { nice: this.nice } });
    w.on("message", (m: { id: number; result?: JobResult; error?: { message: string; code?: string; file?: string; offset?: number; fsync?: boolean } }) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (this.calls.size === 0) w.unref();
      if (m.error) {
        const e = m.error.code?.startsWith("TSKV_")
          ? new TskvError(m.error.code as "TSKV_ERR_CORRUPTION", m.error.message, m.error.file, m.error.offset)
          : Object.assign(new Error(m.error.message), { code: m.error.code, fsync: m.error.fsync });
        call.reject(e);
      } else {
        call.resolve(fixResult(m.result as JobResult));
      }
    });
    w.on("error", (e) => {
      for (const c of this.calls.values()) c.reject(e);
      this.calls.clear();
      this.worker = undefined;
    });
    w.on("exit", () => {
      for (const c of this.calls.values()) c.reject(new TskvError("TSKV_ERR_CLOSED", "background worker stopped"));
      this.calls.clear();
      if (this.worker === w) this.worker = undefined;
    });
    w.unref();
    this.worker = w;
    return w;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    // terminate() settles on the worker's exit; with nothing else pending the process could otherwise end first
    // (a caller awaiting close() would never resume), so hold the loop open until it has.
    const keep = setInterval(() => undefined, 1000);
    try {
      await w.terminate();
    } finally {
      clearInterval(keep);
    }
  }
}

/** Buffers come back from a worker as plain Uint8Arrays. */
export function fixResult(r: JobResult): JobResult {
  for (const o of r.outputs) {
    o.meta.smallest = Buffer.from(o.meta.smallest.buffer, o.meta.smallest.byteOffset, o.meta.smallest.byteLength);
    o.meta.largest = Buffer.from(o.meta.largest.buffer, o.meta.largest.byteOffset, o.meta.largest.byteLength);
  }
  return r;
}

/** The compiled worker script, or undefined when only sources exist (tests run from src/ without a build). */
export function workerScript(): string | undefined {
  const here = path.join(__dirname, "worker.js");
  if (fsNode.existsSync(here)) return here;
  const built = path.join(__dirname, "..", "..", "dist", "engine", "worker.js");
  return fsNode.existsSync(built) ? built : undefined;
}

export function pickMeta(m: { size: number; entries: number; smallest: Buffer; largest: Buffer; minSeq: number; maxSeq: number }): Omit<FileMeta, "number" | "level"> {
  return { size: m.size, entries: m.entries, smallest: m.smallest, largest: m.largest, minSeq: m.minSeq, maxSeq: m.maxSeq };
}

// The background worker thread: runs flush and compaction jobs (src/engine/jobs.ts) posted by the engine, and posts
// each result (or error) back. It touches only files the engine has handed it.
import * as os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { nodeFs } from "./io";
import { Job, runJob } from "./jobs";

interface Request {
  id: number;
  job: Job;
}

if (parentPort) {
  const port = parentPort;
  // Linux keeps a nice value per thread, and 0 names the calling one: this lowers the worker alone, so on a shared
  // core the serving thread preempts a flush or compaction at once (elsewhere it would renice the whole process).
  const nice = (workerData as { nice?: number } | null)?.nice ?? 0;
  if (nice !== 0 && process.platform === "linux") {
    try {
      os.setPriority(0, Math.max(-20, Math.min(19, nice)));
    } catch {
      // not permitted (a negative value without CAP_SYS_NICE): run at the inherited priority
    }
  }
  // Jobs run side by side (the engine sends at most one flush and one compaction at a time): both yield often, so a
  // flush goes on while a rate-limited compaction naps instead of queueing behind it for the whole compaction.
  port.on("message", async (req: Request) => {
    try {
      const result = await runJob(req.job, nodeFs);
      port.postMessage({ id: req.id, result });
    } catch (e) {
      const err = e as Error & { code?: string; file?: string; offset?: number; fsync?: boolean };
      port.postMessage({ id: req.id, error: { message: err.message, code: err.code, file: err.file, offset: err.offset, fsync: err.fsync } });
    }
  });
}

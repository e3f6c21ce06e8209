// The background worker thread: runs flush and compaction jobs (src/engine/jobs.ts) posted by the engine, one at a
// time, and posts each result (or error) back. It touches only files the engine has handed it.
import { parentPort } from "node:worker_threads";
import { nodeFs } from "./io";
import { Job, runJob } from "./jobs";

interface Request {
  id: number;
  job: Job;
}

if (parentPort) {
  const port = parentPort;
  let chain: Promise<void> = Promise.resolve();
  port.on("message", (req: Request) => {
    chain = chain.then(async () => {
      try {
        const result = await runJob(req.job, nodeFs);
        port.postMessage({ id: req.id, result });
      } catch (e) {
        const err = e as Error & { code?: string; file?: string; offset?: number; fsync?: boolean };
        port.postMessage({ id: req.id, error: { message: err.message, code: err.code, file: err.file, offset: err.offset, fsync: err.fsync } });
      }
    });
  });
}

// `redis-cli --pipe`: sends a stream of RESP commands as fast as the server takes them and counts the replies
// (mass insertion, as Redis documents it). Used to load setup data and to time ingest; the stream comes from a file
// (so its generation is not timed) or from a generator written with backpressure.
import * as fs from "node:fs";
import { once } from "node:events";
import { spawnPinned } from "./proc";

export interface PipeResult {
  replies: number;
  errors: number;
  /** Wall time from the start of redis-cli to its exit. */
  seconds: number;
  /** The first error reply redis-cli printed, when there was one. */
  firstError?: string;
}

/** Runs redis-cli --pipe on the given CPUs with `source` on its stdin; rejects when it cannot run or sees an error. */
export async function redisCliPipe(port: number, cpus: string | undefined, source: { file: string } | Iterable<string | Buffer>): Promise<PipeResult> {
  const fd = "file" in source ? fs.openSync(source.file, "r") : undefined;
  const started = process.hrtime.bigint();
  // --pipe-timeout 0: a slow server (a setup of a million series) is waited for, not abandoned after 30 s of silence.
  const child = spawnPinned(cpus, "redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--pipe", "--pipe-timeout", "0"], { stdin: fd ?? "pipe" });
  let out = "";
  child.stdout?.on("data", (d) => (out = (out + d).slice(-20000)));
  child.stderr?.on("data", (d) => (out = (out + d).slice(-20000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    if (fd === undefined) {
      const stdin = child.stdin!;
      let broken: Error | null = null;
      stdin.on("error", (e) => (broken = e));
      for (const chunk of source as Iterable<string | Buffer>) {
        if (broken) break;
        if (!stdin.write(chunk)) await Promise.race([once(stdin, "drain"), exited]);
      }
      stdin.end();
    }
    const code = await exited;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const m = /errors:\s*(\d+),\s*replies:\s*(\d+)/.exec(out);
    if (!m) throw new Error(`redis-cli --pipe exited ${code}: ${out.trim().slice(-300)}`);
    const result: PipeResult = { errors: Number(m[1]), replies: Number(m[2]), seconds };
    if (result.errors > 0) {
      result.firstError = out.split("\n").find((l) => /^(ERR|WRONGTYPE|TSDB)|error/i.test(l) && !/^errors:/.test(l))?.trim();
      throw new Error(`redis-cli --pipe: ${result.errors} error replies of ${result.replies}${result.firstError ? ` (first: ${result.firstError})` : ""}`);
    }
    return result;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

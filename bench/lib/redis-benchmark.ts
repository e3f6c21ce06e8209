// redis-benchmark as the load: either one of its -t tests or an arbitrary command given after its options, in which
// every __rand_int__ becomes a random 12-digit number below -r (each occurrence drawn on its own). It reports error
// replies only at the top level (it exits 1 on one); callers check a command's reply once themselves (resp-client's
// firstError) before timing it, since an error inside an array (TS.MADD's per-sample errors) goes unnoticed.
import type { Sample } from "./report";
import { run } from "./proc";

export interface BenchmarkSpec {
  port: number;
  clients: number;
  pipeline: number;
  requests: number;
  /** -r: __rand_int__ ranges over 0 .. keyspace-1 (and -t set/get keys over key:000000000000 ...). */
  keyspace: number;
  /** A -t test name (set, get, ping_mbulk, ...) ... */
  test?: string;
  /** ... or a command with its arguments, passed as separate argv entries (no shell quoting involved). */
  command?: string[];
  /** -d, the value size of -t set. */
  dataSize?: number;
}

/** The fields of one CSV line: quoted fields may hold commas (a custom command's text is the test name). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = "";
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`redis-benchmark: unterminated CSV field in ${line}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += line[i++];
      }
      out.push(s);
      if (line[i] === ",") i++;
      else break;
    } else {
      const end = line.indexOf(",", i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      if (end < 0) break;
      i = end + 1;
    }
  }
  return out;
}

/**
 * Parses `redis-benchmark --csv` output: a header line `"test","rps","avg_latency_ms","min_latency_ms",
 * "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`, then one line per test. Takes the last test
 * line and reads its columns by the header's names.
 */
export function parseCsv(out: string): Sample {
  const lines = out.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const headerAt = lines.findIndex((l) => l.startsWith('"test"'));
  if (headerAt < 0 || headerAt === lines.length - 1) throw new Error(`redis-benchmark: no CSV result in: ${out.trim().slice(0, 300)}`);
  const header = csvFields(lines[headerAt]);
  const row = csvFields(lines[lines.length - 1]);
  const col = (name: string): number => {
    const k = header.indexOf(name);
    return k < 0 || k >= row.length ? NaN : Number(row[k]);
  };
  const rps = col("rps");
  if (!Number.isFinite(rps)) throw new Error(`redis-benchmark: unreadable CSV row: ${lines[lines.length - 1]}`);
  return { rps, p50: col("p50_latency_ms"), p99: col("p99_latency_ms") };
}

export function benchmarkArgs(s: BenchmarkSpec): string[] {
  const args = ["-h", "127.0.0.1", "-p", String(s.port), "-c", String(s.clients), "-n", String(s.requests), "-P", String(s.pipeline), "-r", String(s.keyspace), "--csv"];
  if (s.dataSize !== undefined) args.push("-d", String(s.dataSize));
  if (s.test) return [...args, "-t", s.test];
  if (!s.command || s.command.length === 0) throw new Error("redis-benchmark: neither a test nor a command");
  return [...args, ...s.command];
}

/** One redis-benchmark run on the given CPUs; rejects when it fails (e.g. on an error reply). */
export async function redisBenchmark(s: BenchmarkSpec, cpus: string | undefined): Promise<Sample> {
  return parseCsv(await run(cpus, "redis-benchmark", benchmarkArgs(s)));
}

/**
 * Sizes a run by time instead of by count, so one workload can be compared between servers 50× apart in speed: runs
 * of growing size until one lasts `warmSeconds` (they are the warm-up, JIT compilation included, and are discarded);
 * returns the request count that lasts about `seconds` at the last one's rate.
 */
export async function sizeByTime(
  s: Omit<BenchmarkSpec, "requests">,
  cpus: string | undefined,
  opts: { seconds: number; warmSeconds: number; maxRequests?: number },
): Promise<number> {
  const cap = opts.maxRequests ?? 50_000_000;
  let n = Math.max(s.clients * s.pipeline * 2, 4);
  let rate = 0;
  for (let tries = 0; tries < 8; tries++) {
    const started = process.hrtime.bigint();
    const r = await redisBenchmark({ ...s, requests: n }, cpus);
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    rate = r.rps;
    if (secs >= opts.warmSeconds || n >= cap) break;
    n = Math.min(cap, Math.ceil(n * Math.min(16, Math.max(2, (1.2 * opts.warmSeconds) / Math.max(secs, 1e-3)))));
  }
  return Math.min(cap, Math.max(s.clients, Math.ceil(rate * opts.seconds)));
}

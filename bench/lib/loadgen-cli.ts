// Runs one load in its own process (so it can be pinned with taskset) and prints a LoadResult as JSON.
// argv[2]: JSON {host, port, clients, pipeline, requests, command: string[] with "__rand__" replaced per request, keyspace}
import { encodeCommand, runLoad } from "./loadgen";

interface Spec {
  host: string;
  port: number;
  clients: number;
  pipeline: number;
  requests: number;
  command: string[];
  keyspace: number;
  timeoutMs?: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as Spec;
  const hasRand = spec.command.some((a) => a.includes("__rand__"));
  const fixed = encodeCommand(spec.command);
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % Math.max(1, spec.keyspace);
  };
  const result = await runLoad({
    host: spec.host,
    port: spec.port,
    clients: spec.clients,
    pipeline: spec.pipeline,
    requests: spec.requests,
    timeoutMs: spec.timeoutMs,
    request: hasRand
      ? (i) => {
          const r = String(rand()).padStart(12, "0");
          return encodeCommand(spec.command.map((a) => a.replace("__rand__", r).replace("__i__", String(i))));
        }
      : () => fixed,
  });
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e) + "\n");
  process.exit(1);
});

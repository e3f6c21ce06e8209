// Prometheus text exposition (version 0.0.4) of tskv's metrics: names tskv_…, counters end in _total, histograms
// as _bucket{le}/_sum/_count. Rendered at scrape time from the live counters; nothing here runs per command.
import { DURATION_BUCKETS, Metrics } from "./registry";

export interface Sample {
  name: string;
  help: string;
  type: "counter" | "gauge";
  value: number;
  labels?: Record<string, string>;
}

function labelText(labels?: Record<string, string>): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Renders plain samples (grouped by name) and the per-command families of `metrics`. */
export function renderPrometheus(samples: Sample[], metrics: Metrics): string {
  const out: string[] = [];
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byName.get(s.name) ?? [];
    list.push(s);
    byName.set(s.name, list);
  }
  for (const [name, list] of byName) {
    out.push(`# HELP ${name} ${list[0].help}`, `# TYPE ${name} ${list[0].type}`);
    for (const s of list) out.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
  }
  const cmds = [...metrics.commands.values()].filter((c) => c.calls > 0 || c.rejected > 0);
  out.push("# HELP tskv_commands_total Commands executed, by command.", "# TYPE tskv_commands_total counter");
  for (const c of cmds) out.push(`tskv_commands_total{cmd="${c.name}"} ${c.calls}`);
  out.push("# HELP tskv_command_errors_total Commands that answered an error, by command.", "# TYPE tskv_command_errors_total counter");
  for (const c of cmds) out.push(`tskv_command_errors_total{cmd="${c.name}"} ${c.failed}`);
  out.push("# HELP tskv_command_rejected_total Commands refused before running (arity, authentication), by command.", "# TYPE tskv_command_rejected_total counter");
  for (const c of cmds) out.push(`tskv_command_rejected_total{cmd="${c.name}"} ${c.rejected}`);
  out.push("# HELP tskv_command_duration_seconds Time spent executing commands.", "# TYPE tskv_command_duration_seconds histogram");
  for (const c of cmds) {
    let cum = 0;
    DURATION_BUCKETS.forEach((b, i) => {
      cum += c.buckets[i];
      out.push(`tskv_command_duration_seconds_bucket{cmd="${c.name}",le="${b}"} ${cum}`);
    });
    cum += c.buckets[DURATION_BUCKETS.length];
    out.push(`tskv_command_duration_seconds_bucket{cmd="${c.name}",le="+Inf"} ${cum}`);
    out.push(`tskv_command_duration_seconds_sum{cmd="${c.name}"} ${c.usec / 1e6}`);
    out.push(`tskv_command_duration_seconds_count{cmd="${c.name}"} ${c.calls}`);
  }
  out.push("# HELP tskv_errors_total Error replies, by their first word.", "# TYPE tskv_errors_total counter");
  for (const [prefix, n] of metrics.errors) out.push(`tskv_errors_total{prefix="${prefix}"} ${n}`);
  return out.join("\n") + "\n";
}

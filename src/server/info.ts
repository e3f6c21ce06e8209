// INFO: Redis 7's sections as "# Section" headers and "field:value" lines joined by CRLF.
import * as os from "node:os";
import type { ServerContext } from "./context";
import { moduleInfoLines, REDIS_COMPAT_VERSION } from "./compat";
import { VERSION } from "../version";

export type InfoSection = (server: ServerContext) => Array<[string, string | number]>;

const sections: Record<string, InfoSection> = {
  server: (srv) => [
    ["redis_version", REDIS_COMPAT_VERSION],
    ["tskv_version", VERSION],
    ["redis_mode", "standalone"],
    ["os", `${os.type()} ${os.release()} ${os.arch()}`],
    ["arch_bits", 64],
    ["io_backend", srv.ioBackend],
    ["process_id", process.pid],
    ["tcp_port", srv.address.port],
    ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", Math.floor((Date.now() - srv.startedAt) / 1000)],
    ["uptime_in_days", Math.floor((Date.now() - srv.startedAt) / 86400000)],
    ["executable", process.argv[1] ?? ""],
    ["node_version", process.version],
  ],
  clients: (srv) => {
    const list = srv.clientList();
    return [
      ["connected_clients", list.length],
      ["maxclients", srv.config.maxclients],
      ["client_recent_max_input_buffer", Math.max(0, ...list.map((c) => c.queryBufferBytes))],
      ["client_recent_max_output_buffer", Math.max(0, ...list.map((c) => c.outputBytes))],
      ["blocked_clients", 0],
    ];
  },
  memory: () => {
    const m = process.memoryUsage();
    return [
      ["used_memory", m.heapUsed + m.external + m.arrayBuffers],
      ["used_memory_rss", m.rss],
      ["used_memory_peak", m.rss],
      ["total_system_memory", os.totalmem()],
      ["maxmemory", 0],
      ["maxmemory_policy", "noeviction"],
      ["mem_allocator", "node"],
    ];
  },
  persistence: (srv) => [
    ["loading", 0],
    ["async_loading", 0],
    ["rdb_changes_since_last_save", 0],
    ["rdb_bgsave_in_progress", 0],
    ["aof_enabled", 1],
    ["aof_rewrite_in_progress", 0],
    ["wal_sync", srv.config.walSync],
  ],
  stats: (srv) => [
    ["total_connections_received", srv.stats.totalConnections],
    ["total_commands_processed", srv.stats.totalCommands],
    ["total_net_input_bytes", srv.stats.netInputBytes],
    ["total_net_output_bytes", srv.stats.netOutputBytes],
    ["rejected_connections", srv.stats.rejectedConnections],
    ["client_output_pauses", srv.stats.outputPauses],
    ["client_stall_pauses", srv.stats.stallPauses],
    ["clients_dropped_for_limits", srv.stats.clientsDropped],
  ],
  replication: () => [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", "0000000000000000000000000000000000000000"],
    ["master_repl_offset", 0],
  ],
  cpu: () => {
    const u = process.cpuUsage();
    return [
      ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
      ["used_cpu_user", (u.user / 1e6).toFixed(6)],
    ];
  },
  modules: () => moduleInfoLines(),
};

/** Extra sections other layers register (keyspace, storage, commandstats, …), rendered after the built-in ones. */
export function registerInfoSection(server: ServerContext, name: string, section: InfoSection, inDefault = true): void {
  const map = (server.extensions.get("info-sections") as Map<string, { section: InfoSection; inDefault: boolean }>) ?? new Map();
  map.set(name, { section, inDefault });
  server.extensions.set("info-sections", map);
}

const DEFAULT = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules"];

function title(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function renderInfo(server: ServerContext, requested: string[]): string {
  const extra = (server.extensions.get("info-sections") as Map<string, { section: InfoSection; inDefault: boolean }>) ?? new Map();
  const all = new Map<string, { section: InfoSection; inDefault: boolean }>();
  for (const n of DEFAULT) all.set(n, { section: sections[n], inDefault: true });
  for (const [n, v] of extra) all.set(n, v);
  let names: string[];
  if (requested.length === 0 || requested.includes("default")) names = [...all].filter(([, v]) => v.inDefault).map(([n]) => n);
  else if (requested.includes("all") || requested.includes("everything")) names = [...all.keys()];
  else names = requested.filter((n) => all.has(n));
  const out: string[] = [];
  for (const n of [...new Set(names)]) {
    if (out.length > 0) out.push("");
    out.push(`# ${title(n)}`);
    for (const [k, v] of all.get(n)!.section(server)) out.push(`${k}:${v}`);
  }
  return out.length ? out.join("\r\n") + "\r\n" : "";
}

// INFO's built-in sections, field for field in Redis 7.0.15's order (its genRedisInfoString()), each with tskv's own
// value: what tskv has that the field describes, or the value Redis gives when it has none of that thing (no Lua, no
// replicas, no forks). tskv's own fields follow Redis's in their section. docs/protocol.md ("INFO") says what each
// Redis field means here.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ServerContext } from "./context";
import { moduleInfoLines, REDIS_COMPAT_VERSION } from "./compat";
import type { Keyspace } from "../model/keyspace";
import { SeriesStore } from "../model/series/series";
import { InstantaneousRates } from "../metrics/instantaneous";
import { VERSION } from "../version";

export type InfoRow = [string, string | number];
export type InfoSection = (server: ServerContext) => InfoRow[];

/** What INFO keeps per server from its start: ids, the memory it started with, its peak, the rate sampler. */
export interface InfoState {
  /** A random 40-hex-digit id per run, as Redis's run_id (Sentinel and tools tell restarts apart by it). */
  readonly runId: string;
  /** The replication id (Redis: random per run until a replica connects; tskv has no replicas). */
  readonly replId: string;
  /** used_memory when the server started (Redis's used_memory_startup). */
  readonly startupMemory: number;
  /** The highest used_memory seen, sampled every 100 ms and at every INFO. */
  peakMemory: number;
  readonly rates: InstantaneousRates;
}

/** Redis's bytesToHuman(): B below 1 KiB, then K, M, G, T, P with two decimals. */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let v = n / 1024;
  for (let i = 0; i < units.length; i++) {
    if (v < 1024 || i === units.length - 1) return `${v.toFixed(2)}${units[i]}`;
    v /= 1024;
  }
  return `${n}B`;
}

/** tskv's used_memory: V8's live heap plus memory held outside it (Buffers, the addon's objects). */
export function usedMemory(): number {
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (every Buffer).
  return m.heapUsed + m.external;
}

export function newInfoState(server: ServerContext): InfoState {
  const st = server.stats;
  const startupMemory = usedMemory();
  let peakMemory = startupMemory;
  const rates = new InstantaneousRates({
    ops: () => st.totalCommands,
    input: () => st.netInputBytes,
    output: () => st.netOutputBytes,
    // Sampled with the rates, as Redis updates its peak in serverCron.
    peak: () => {
      peakMemory = Math.max(peakMemory, usedMemory());
      return 0;
    },
  });
  return {
    runId: crypto.randomBytes(20).toString("hex"),
    replId: crypto.randomBytes(20).toString("hex"),
    startupMemory,
    get peakMemory() {
      return peakMemory;
    },
    set peakMemory(n: number) {
      peakMemory = n;
    },
    rates,
  };
}

export function infoState(server: ServerContext): InfoState {
  let state = server.extensions.get("info-state") as InfoState | undefined;
  if (!state) {
    state = newInfoState(server);
    server.extensions.set("info-state", state);
  }
  return state;
}

/** The OS multiplexer under the socket layer: the reactor's epoll, or libuv's (epoll, kqueue, IOCP, event ports). */
function multiplexingApi(server: ServerContext): string {
  if (server.ioBackend === "epoll") return "epoll";
  switch (process.platform) {
    case "linux":
      return "epoll";
    case "darwin":
    case "freebsd":
    case "openbsd":
      return "kqueue";
    case "sunos":
      return "evport";
    case "win32":
      return "iocp";
    default:
      return "poll";
  }
}

/** Seconds of user and system CPU of the main thread (Linux: /proc/self/task/<pid>/stat), or undefined elsewhere. */
function mainThreadCpu(): { user: number; sys: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "latin1");
    // Fields after the command name (which may hold spaces, so it is skipped by its closing parenthesis):
    // state is field 3, utime field 14, stime field 15; they count clock ticks of 1/100 s (USER_HZ on Linux).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(rest[11]) / 100, sys: Number(rest[12]) / 100 };
  } catch {
    return undefined;
  }
}

const keyspaceOf = (srv: ServerContext): Keyspace | undefined => srv.extensions.get("keyspace") as Keyspace | undefined;

const ratio = (a: number, b: number): string => (b > 0 ? a / b : 0).toFixed(2);

export const BUILTIN_SECTIONS: Record<string, InfoSection> = {
  server: (srv) => {
    const up = Date.now() - srv.startedAt;
    return [
      ["redis_version", REDIS_COMPAT_VERSION],
      ["redis_git_sha1", "00000000"],
      ["redis_git_dirty", 0],
      // Redis's build id is a hash of its build; tskv's is a hash of its version and the Node.js it runs on.
      ["redis_build_id", crypto.createHash("sha1").update(`${VERSION} ${process.version}`).digest("hex").slice(0, 16)],
      ["redis_mode", "standalone"],
      ["os", `${os.type()} ${os.release()} ${os.machine()}`],
      ["arch_bits", process.arch.endsWith("64") ? 64 : 32],
      // Node.js reads its clock with clock_gettime(CLOCK_MONOTONIC) (uv_hrtime).
      ["monotonic_clock", "POSIX clock_gettime"],
      ["multiplexing_api", multiplexingApi(srv)],
      ["atomicvar_api", "c11-builtin"],
      // Redis prints 0.0.0 when not built by GCC; tskv's code is not compiled by GCC (the addon's compiler is unknown here).
      ["gcc_version", "0.0.0"],
      ["process_id", process.pid],
      ["process_supervised", "no"],
      ["run_id", infoState(srv).runId],
      ["tcp_port", srv.address.port],
      ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
      ["uptime_in_seconds", Math.floor(up / 1000)],
      ["uptime_in_days", Math.floor(up / 86400000)],
      ["hz", srv.config.hz],
      ["configured_hz", srv.config.hz],
      ["lru_clock", Math.floor(Date.now() / 1000) & 0xffffff],
      ["executable", process.argv[1] ? path.resolve(process.argv[1]) : process.execPath],
      ["config_file", srv.config.configFile ? path.resolve(srv.config.configFile) : ""],
      ["io_threads_active", 0],
      ["tskv_version", VERSION],
      ["io_backend", srv.ioBackend],
      ["node_version", process.version],
    ];
  },
  clients: (srv) => {
    const list = srv.clientList();
    let maxIn = 0;
    let maxOut = 0;
    for (const c of list) {
      maxIn = Math.max(maxIn, c.queryBufferBytes);
      maxOut = Math.max(maxOut, c.outputBytes);
    }
    return [
      ["connected_clients", list.length],
      ["cluster_connections", 0],
      ["maxclients", srv.config.maxclients],
      ["client_recent_max_input_buffer", maxIn],
      ["client_recent_max_output_buffer", maxOut],
      ["blocked_clients", 0],
      ["tracking_clients", 0],
      ["clients_in_timeout_table", 0],
    ];
  },
  memory: (srv) => {
    const ks = keyspaceOf(srv);
    const heads = ks ? SeriesStore.of(ks) : undefined;
    const state = infoState(srv);
    const m = process.memoryUsage();
    const used = m.heapUsed + m.external;
    state.peakMemory = Math.max(state.peakMemory, used);
    const peak = state.peakMemory;
    let clientBytes = 0;
    for (const c of srv.clientList()) clientBytes += c.queryBufferBytes + c.outputBytes;
    const startup = state.startupMemory;
    const overhead = startup + clientBytes;
    const dataset = Math.max(0, used - overhead);
    const net = used > startup ? used - startup : 1;
    // The allocator's figures: what is live (used), what V8 and Node.js hold for it (heap committed + external),
    // and what is resident (RSS) — Redis with libc malloc reports used memory and RSS here the same way.
    const allocated = used;
    const active = m.heapTotal + m.external;
    const resident = m.rss;
    const maxmemory = 0;
    return [
      ["used_memory", used],
      ["used_memory_human", bytesToHuman(used)],
      ["used_memory_rss", m.rss],
      ["used_memory_rss_human", bytesToHuman(m.rss)],
      ["used_memory_peak", peak],
      ["used_memory_peak_human", bytesToHuman(peak)],
      ["used_memory_peak_perc", `${((used * 100) / peak).toFixed(2)}%`],
      ["used_memory_overhead", overhead],
      ["used_memory_startup", startup],
      ["used_memory_dataset", dataset],
      ["used_memory_dataset_perc", `${((dataset * 100) / net).toFixed(2)}%`],
      ["allocator_allocated", allocated],
      ["allocator_active", active],
      ["allocator_resident", resident],
      ["total_system_memory", os.totalmem()],
      ["total_system_memory_human", bytesToHuman(os.totalmem())],
      // No Lua and no functions in tskv.
      ["used_memory_lua", 0],
      ["used_memory_vm_eval", 0],
      ["used_memory_lua_human", "0B"],
      ["used_memory_scripts_eval", 0],
      ["number_of_cached_scripts", 0],
      ["number_of_functions", 0],
      ["number_of_libraries", 0],
      ["used_memory_vm_functions", 0],
      ["used_memory_vm_total", 0],
      ["used_memory_vm_total_human", "0B"],
      ["used_memory_functions", 0],
      ["used_memory_scripts", 0],
      ["used_memory_scripts_human", "0B"],
      ["maxmemory", maxmemory],
      ["maxmemory_human", bytesToHuman(maxmemory)],
      ["maxmemory_policy", "noeviction"],
      ["allocator_frag_ratio", ratio(active, allocated)],
      ["allocator_frag_bytes", active - allocated],
      ["allocator_rss_ratio", ratio(resident, active)],
      ["allocator_rss_bytes", resident - active],
      ["rss_overhead_ratio", ratio(m.rss, resident)],
      ["rss_overhead_bytes", m.rss - resident],
      ["mem_fragmentation_ratio", ratio(m.rss, used)],
      ["mem_fragmentation_bytes", m.rss - used],
      ["mem_not_counted_for_evict", 0],
      ["mem_replication_backlog", 0],
      ["mem_total_replication_buffers", 0],
      ["mem_clients_slaves", 0],
      ["mem_clients_normal", clientBytes],
      ["mem_cluster_links", 0],
      ["mem_aof_buffer", 0],
      // Node.js's memory outside V8's heap comes from the C library's malloc.
      ["mem_allocator", "libc"],
      ["active_defrag_running", 0],
      ["lazyfree_pending_objects", 0],
      ["lazyfreed_objects", 0],
      // tskv's own: the series heads' point arrays against --series-head-memory, and the heads held packed.
      ["tskv_series_heads", heads?.heads ?? 0],
      ["tskv_series_head_bytes", heads?.mem.bytes ?? 0],
      ["tskv_series_head_memory", heads?.mem.budget ?? srv.config.seriesHeadMemory],
      ["tskv_series_heads_packed", heads?.mem.packed ?? 0],
    ];
  },
  persistence: (srv) => {
    // tskv never takes RDB snapshots (SAVE/BGSAVE are refused): the rdb_* fields are those of a Redis that has not
    // saved since it started, but for rdb_changes_since_last_save, which counts the writes not yet durable under
    // --wal-sync. The WAL is tskv's AOF, always on; a memtable flush, which turns WAL segments into a table and
    // drops them, is its AOF rewrite (docs/protocol.md, "INFO").
    const engine = srv.engine;
    const s = engine.stats();
    const c = engine.counters;
    const pendingWrites = Math.max(0, s.lastSequence - s.durableSequence);
    return [
      ["loading", 0],
      ["async_loading", 0],
      ["current_cow_peak", 0],
      ["current_cow_size", 0],
      ["current_cow_size_age", 0],
      ["current_fork_perc", "0.00"],
      ["current_save_keys_processed", 0],
      ["current_save_keys_total", 0],
      ["rdb_changes_since_last_save", pendingWrites],
      ["rdb_bgsave_in_progress", 0],
      ["rdb_last_save_time", Math.floor(srv.startedAt / 1000)],
      ["rdb_last_bgsave_status", "ok"],
      ["rdb_last_bgsave_time_sec", -1],
      ["rdb_current_bgsave_time_sec", -1],
      ["rdb_saves", 0],
      ["rdb_last_cow_size", 0],
      ["rdb_last_load_keys_expired", 0],
      ["rdb_last_load_keys_loaded", 0],
      ["aof_enabled", 1],
      ["aof_rewrite_in_progress", s.flushing ? 1 : 0],
      ["aof_rewrite_scheduled", s.frozenMemtables > (s.flushing ? 1 : 0) ? 1 : 0],
      // The mean flush time: the engine keeps the total, not the last one.
      ["aof_last_rewrite_time_sec", c.flushes > 0 ? Math.floor(c.flushMicros / c.flushes / 1e6) : -1],
      ["aof_current_rewrite_time_sec", -1],
      ["aof_last_bgrewrite_status", "ok"],
      ["aof_rewrites", c.flushes],
      ["aof_rewrites_consecutive_failures", 0],
      ["aof_last_write_status", engine.writable ? "ok" : "err"],
      ["aof_last_cow_size", 0],
      ["module_fork_in_progress", 0],
      ["module_fork_last_cow_size", 0],
      // Printed by Redis only while the AOF is on (always, here).
      ["aof_current_size", c.walBytes],
      ["aof_base_size", 0],
      ["aof_pending_rewrite", 0],
      ["aof_buffer_length", 0],
      ["aof_pending_bio_fsync", 0],
      ["aof_delayed_fsync", 0],
      ["wal_sync", srv.config.walSync],
    ];
  },
  stats: (srv) => {
    const st = srv.stats;
    const rates = infoState(srv).rates;
    let errors = 0;
    for (const n of srv.metrics.errors.values()) errors += n;
    return [
      ["total_connections_received", st.totalConnections],
      ["total_commands_processed", st.totalCommands],
      ["instantaneous_ops_per_sec", Math.round(rates.rate("ops"))],
      ["total_net_input_bytes", st.netInputBytes],
      ["total_net_output_bytes", st.netOutputBytes],
      ["total_net_repl_input_bytes", 0],
      ["total_net_repl_output_bytes", 0],
      ["instantaneous_input_kbps", (rates.rate("input") / 1024).toFixed(2)],
      ["instantaneous_output_kbps", (rates.rate("output") / 1024).toFixed(2)],
      ["instantaneous_input_repl_kbps", "0.00"],
      ["instantaneous_output_repl_kbps", "0.00"],
      ["rejected_connections", st.rejectedConnections],
      ["sync_full", 0],
      ["sync_partial_ok", 0],
      ["sync_partial_err", 0],
      ["expired_keys", keyspaceOf(srv)?.expiredKeys ?? 0],
      ["expired_stale_perc", "0.00"],
      ["expired_time_cap_reached_count", 0],
      ["expire_cycle_cpu_milliseconds", 0],
      ["evicted_keys", 0],
      ["evicted_clients", 0],
      ["total_eviction_exceeded_time", 0],
      ["current_eviction_exceeded_time", 0],
      ["keyspace_hits", keyspaceOf(srv)?.hits ?? 0],
      ["keyspace_misses", keyspaceOf(srv)?.misses ?? 0],
      ["pubsub_channels", 0],
      ["pubsub_patterns", 0],
      ["pubsubshard_channels", 0],
      ["latest_fork_usec", 0],
      ["total_forks", 0],
      ["migrate_cached_sockets", 0],
      ["slave_expires_tracked_keys", 0],
      ["active_defrag_hits", 0],
      ["active_defrag_misses", 0],
      ["active_defrag_key_hits", 0],
      ["active_defrag_key_misses", 0],
      ["total_active_defrag_time", 0],
      ["current_active_defrag_time", 0],
      ["tracking_total_keys", 0],
      ["tracking_total_items", 0],
      ["tracking_total_prefixes", 0],
      ["unexpected_error_replies", 0],
      ["total_error_replies", errors],
      ["dump_payload_sanitizations", 0],
      ["total_reads_processed", st.readsProcessed],
      ["total_writes_processed", st.writesProcessed],
      ["io_threaded_reads_processed", 0],
      ["io_threaded_writes_processed", 0],
      ["reply_buffer_shrinks", 0],
      ["reply_buffer_expands", 0],
      ["client_output_pauses", st.outputPauses],
      ["client_stall_pauses", st.stallPauses],
      ["clients_dropped_for_limits", st.clientsDropped],
    ];
  },
  replication: (srv) => [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", infoState(srv).replId],
    ["master_replid2", "0000000000000000000000000000000000000000"],
    ["master_repl_offset", 0],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", 0],
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ],
  cpu: () => {
    const u = process.cpuUsage();
    const main = mainThreadCpu() ?? { user: u.user / 1e6, sys: u.system / 1e6 };
    return [
      ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
      ["used_cpu_user", (u.user / 1e6).toFixed(6)],
      // tskv forks no children (its flush and compaction run on threads, counted above).
      ["used_cpu_sys_children", "0.000000"],
      ["used_cpu_user_children", "0.000000"],
      ["used_cpu_sys_main_thread", main.sys.toFixed(6)],
      ["used_cpu_user_main_thread", main.user.toFixed(6)],
    ];
  },
  modules: () => moduleInfoLines(),
  cluster: () => [["cluster_enabled", 0]],
};

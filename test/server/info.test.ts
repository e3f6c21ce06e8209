// INFO as Redis 7.0.15 gives it: the same sections in the same order (# Cluster with cluster_enabled:0, which
// redis-py's test setup reads), the same fields in the same order in each section a client reads (the names below
// are redis-server 7.0.15's, appendonly on, captured with `redis-cli info everything`), section selection as
// genInfoSectionDict() does it, and values that say something true of tskv.
import { bytesToHuman } from "../../src/server/info-sections";
import { InstantaneousRates } from "../../src/metrics/instantaneous";
import { bulkComplete, startTestServer, TestServer, tmpDir } from "../helpers/server";
import { TskvServer } from "../../src/server/server";

const REDIS_FIELDS: Record<string, string> = {
  server: "redis_version redis_git_sha1 redis_git_dirty redis_build_id redis_mode os arch_bits monotonic_clock multiplexing_api atomicvar_api gcc_version process_id process_supervised run_id tcp_port server_time_usec uptime_in_seconds uptime_in_days hz configured_hz lru_clock executable config_file io_threads_active",
  clients: "connected_clients cluster_connections maxclients client_recent_max_input_buffer client_recent_max_output_buffer blocked_clients tracking_clients clients_in_timeout_table",
  memory: "used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak used_memory_peak_human used_memory_peak_perc used_memory_overhead used_memory_startup used_memory_dataset used_memory_dataset_perc allocator_allocated allocator_active allocator_resident total_system_memory total_system_memory_human used_memory_lua used_memory_vm_eval used_memory_lua_human used_memory_scripts_eval number_of_cached_scripts number_of_functions number_of_libraries used_memory_vm_functions used_memory_vm_total used_memory_vm_total_human used_memory_functions used_memory_scripts used_memory_scripts_human maxmemory maxmemory_human maxmemory_policy allocator_frag_ratio allocator_frag_bytes allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio rss_overhead_bytes mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict mem_replication_backlog mem_total_replication_buffers mem_clients_slaves mem_clients_normal mem_cluster_links mem_aof_buffer mem_allocator active_defrag_running lazyfree_pending_objects lazyfreed_objects",
  persistence: "loading async_loading current_cow_peak current_cow_size current_cow_size_age current_fork_perc current_save_keys_processed current_save_keys_total rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_save_time rdb_last_bgsave_status rdb_last_bgsave_time_sec rdb_current_bgsave_time_sec rdb_saves rdb_last_cow_size rdb_last_load_keys_expired rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress aof_rewrite_scheduled aof_last_rewrite_time_sec aof_current_rewrite_time_sec aof_last_bgrewrite_status aof_rewrites aof_rewrites_consecutive_failures aof_last_write_status aof_last_cow_size module_fork_in_progress module_fork_last_cow_size aof_current_size aof_base_size aof_pending_rewrite aof_buffer_length aof_pending_bio_fsync aof_delayed_fsync",
  stats: "total_connections_received total_commands_processed instantaneous_ops_per_sec total_net_input_bytes total_net_output_bytes total_net_repl_input_bytes total_net_repl_output_bytes instantaneous_input_kbps instantaneous_output_kbps instantaneous_input_repl_kbps instantaneous_output_repl_kbps rejected_connections sync_full sync_partial_ok sync_partial_err expired_keys expired_stale_perc expired_time_cap_reached_count expire_cycle_cpu_milliseconds evicted_keys evicted_clients total_eviction_exceeded_time current_eviction_exceeded_time keyspace_hits keyspace_misses pubsub_channels pubsub_patterns pubsubshard_channels latest_fork_usec total_forks migrate_cached_sockets slave_expires_tracked_keys active_defrag_hits active_defrag_misses active_defrag_key_hits active_defrag_key_misses total_active_defrag_time current_active_defrag_time tracking_total_keys tracking_total_items tracking_total_prefixes unexpected_error_replies total_error_replies dump_payload_sanitizations total_reads_processed total_writes_processed io_threaded_reads_processed io_threaded_writes_processed reply_buffer_shrinks reply_buffer_expands",
  replication: "role connected_slaves master_failover_state master_replid master_replid2 master_repl_offset second_repl_offset repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen",
  cpu: "used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children used_cpu_sys_main_thread used_cpu_user_main_thread",
};

/** Redis 7.0.15's headers: INFO / INFO default, and INFO all / INFO everything. tskv adds # Storage at the end. */
const DEFAULT_HEADERS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace", "Storage"];
const ALL_HEADERS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace", "Storage"];

type Parsed = Array<{ name: string; fields: Array<[string, string]> }>;

function parse(text: string): Parsed {
  const out: Parsed = [];
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) out.push({ name: line.slice(2), fields: [] });
    else if (line !== "") {
      const i = line.indexOf(":");
      out[out.length - 1].fields.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}

const enc = (...a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");

describe("INFO as Redis 7.0.15", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  const info = async (...sections: string[]): Promise<Parsed> => parse((await t.client().call("INFO", ...sections)) as string);
  const fields = async (section: string): Promise<Record<string, string>> => Object.fromEntries((await info(section))[0].fields);

  it("INFO and INFO default: Redis's default sections in its order, # Cluster with cluster_enabled:0", async () => {
    for (const p of [await info(), await info("default"), await info("DEFAULT")]) {
      expect(p.map((s) => s.name)).toEqual(DEFAULT_HEADERS);
      expect(p.find((s) => s.name === "Cluster")!.fields).toEqual([["cluster_enabled", "0"]]);
    }
    expect(await t.raw(enc("INFO", "cluster"), bulkComplete)).toBe("$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
  });

  it("INFO all and everything add commandstats and latencystats in Redis's places", async () => {
    await t.client().set("k", "v");
    for (const p of [await info("all"), await info("everything"), await info("ALL", "server")]) {
      expect(p.map((s) => s.name)).toEqual(ALL_HEADERS);
    }
  });

  it("every field Redis sends in server, clients, memory, persistence, stats, replication, cpu, in its order, tskv's own after", async () => {
    const all = await info("everything");
    for (const [section, names] of Object.entries(REDIS_FIELDS)) {
      const got = all.find((s) => s.name.toLowerCase() === section)!.fields.map(([k]) => k);
      const redis = names.split(" ");
      expect({ section, fields: got.slice(0, redis.length) }).toEqual({ section, fields: redis });
      for (const extra of got.slice(redis.length)) expect(redis).not.toContain(extra);
    }
  });

  it("sections named come out once each in Redis's order, without case; module_list is modules; unknown names add nothing", async () => {
    expect((await info("clients", "SERVER", "clients")).map((s) => s.name)).toEqual(["Server", "Clients"]);
    expect((await info("keyspace", "cluster", "cpu")).map((s) => s.name)).toEqual(["CPU", "Cluster", "Keyspace"]);
    expect((await info("module_list")).map((s) => s.name)).toEqual(["Modules"]);
    expect((await info("default", "commandstats")).map((s) => s.name)).toEqual([...DEFAULT_HEADERS.slice(0, 8), "Commandstats", ...DEFAULT_HEADERS.slice(8)]);
    expect(await t.raw(enc("INFO", "nosuch"))).toBe("$0\r\n\r\n");
    expect((await info("nosuch", "cluster")).map((s) => s.name)).toEqual(["Cluster"]);
    // RESP3: a verbatim string, as Redis sends it.
    const r3 = await t.raw(enc("HELLO", "3") + enc("INFO", "cluster"), (s) => s.endsWith("cluster_enabled:0\r\n\r\n"));
    expect(r3.endsWith("=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n")).toBe(true);
  });

  it("server: a run_id of 40 hex digits fixed for the run, the port, hz, Redis's os and clock fields", async () => {
    const a = await fields("server");
    const b = await fields("server");
    expect(a.run_id).toMatch(/^[0-9a-f]{40}$/);
    expect(b.run_id).toBe(a.run_id);
    expect(a.tcp_port).toBe(String(t.port));
    expect(a.hz).toBe("10");
    expect(a.configured_hz).toBe("10");
    expect(a.os).toMatch(/^\S+ \S+ (x86_64|aarch64|arm64|\S+)$/);
    expect(a.os).not.toMatch(/ x64$/);
    expect(a.process_id).toBe(String(process.pid));
    expect(Number(a.lru_clock)).toBeLessThan(1 << 24);
    expect(a.config_file).toBe("");
    const repl = await fields("replication");
    expect(repl.master_replid).toMatch(/^[0-9a-f]{40}$/);
    expect(repl.master_replid).not.toBe(a.run_id);
  });

  it("memory: human figures in Redis's format, peak at least used, no Lua", async () => {
    const m = await fields("memory");
    expect(m.used_memory_human).toBe(bytesToHuman(Number(m.used_memory)));
    expect(Number(m.used_memory_peak)).toBeGreaterThanOrEqual(Number(m.used_memory));
    expect(m.used_memory_peak_perc).toMatch(/^\d+\.\d\d%$/);
    expect(m.mem_fragmentation_ratio).toMatch(/^\d+\.\d\d$/);
    expect(m.used_memory_lua).toBe("0");
    expect(m.mem_allocator).toBe("libc");
    expect(m.maxmemory_human).toBe("0B");
  });

  it("bytesToHuman as Redis's: B, then K/M/G/T/P with two decimals", () => {
    expect(bytesToHuman(0)).toBe("0B");
    expect(bytesToHuman(1023)).toBe("1023B");
    expect(bytesToHuman(1024)).toBe("1.00K");
    expect(bytesToHuman(1043120)).toBe("1018.67K");
    expect(bytesToHuman(12816384)).toBe("12.22M");
    expect(bytesToHuman(25276157952)).toBe("23.54G");
    expect(bytesToHuman(2 ** 50 * 3)).toBe("3.00P");
  });

  it("persistence: the WAL as the AOF (always on), writes not yet durable as rdb_changes_since_last_save", async () => {
    const p = await fields("persistence");
    expect(p.aof_enabled).toBe("1");
    expect(p.rdb_bgsave_in_progress).toBe("0");
    expect(p.rdb_last_bgsave_status).toBe("ok");
    expect(p.aof_last_write_status).toBe("ok");
    expect(p.rdb_changes_since_last_save).toBe("0");
    expect(Number(p.rdb_last_save_time)).toBe(Math.floor(t.server.startedAt / 1000));
    expect(p.wal_sync).toBe("everysec");
  });

  it("stats: keyspace hits and misses of read commands, expired keys, error replies, reads and writes; RESETSTAT zeroes them", async () => {
    const c = t.client();
    await c.call("CONFIG", "RESETSTAT");
    await c.set("hit", "1");
    await c.get("hit");
    await c.get("miss");
    await c.mget("hit", "miss", "miss2");
    await c.exists("hit", "miss");
    await c.call("TYPE", "miss");
    await c.incr("counter"); // a write: not a read lookup
    await c.set("brief", "x", "PX", 1);
    await expect(c.call("NOSUCHCOMMAND")).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 250)); // the active expiry cycle runs every 100 ms
    const s = await fields("stats");
    expect(s.keyspace_hits).toBe("3");
    expect(s.keyspace_misses).toBe("5");
    expect(s.expired_keys).toBe("1");
    expect(s.total_error_replies).toBe("1");
    expect(Number(s.total_reads_processed)).toBeGreaterThan(0);
    expect(Number(s.total_writes_processed)).toBeGreaterThan(0);
    await c.call("CONFIG", "RESETSTAT");
    const z = await fields("stats");
    expect([z.keyspace_hits, z.keyspace_misses, z.expired_keys, z.total_error_replies]).toEqual(["0", "0", "0", "0"]);
  });

  it("stats: instantaneous_ops_per_sec follows the commands of the last 1.6 s", async () => {
    const c = t.client();
    const until = Date.now() + 600;
    while (Date.now() < until) await Promise.all(Array.from({ length: 50 }, () => c.ping()));
    const s = await fields("stats");
    expect(Number(s.instantaneous_ops_per_sec)).toBeGreaterThan(50);
    expect(Number(s.instantaneous_input_kbps)).toBeGreaterThan(0);
  });

  it("keyspace: avg_ttl is the mean time left of the keys with an expiry", async () => {
    const c = t.client();
    await c.call("FLUSHALL");
    await c.set("a", "1", "PX", 100000);
    await c.set("b", "1", "PX", 200000);
    await c.set("c", "1");
    const db0 = (await fields("keyspace")).db0;
    const m = /^keys=3,expires=2,avg_ttl=(\d+)$/.exec(db0);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(140000);
    expect(Number(m![1])).toBeLessThanOrEqual(150000);
  });

  it("cpu: main-thread figures no larger than the process's", async () => {
    const u = await fields("cpu");
    expect(Number(u.used_cpu_user_main_thread)).toBeLessThanOrEqual(Number(u.used_cpu_user) + 0.01);
    expect(u.used_cpu_sys_children).toBe("0.000000");
  });
});

describe("InstantaneousRates", () => {
  it("averages 16 samples of growth per second, as Redis's trackInstantaneousMetric", () => {
    let now = 0;
    let v = 0;
    const r = new InstantaneousRates({ n: () => v }, () => now);
    for (let i = 0; i < 16; i++) {
      now += 100;
      v += 10; // 100 a second
      r.sample();
    }
    expect(r.rate("n")).toBeCloseTo(100);
    for (let i = 0; i < 8; i++) {
      now += 100;
      r.sample();
    }
    expect(r.rate("n")).toBeCloseTo(50);
    v = 0; // a reset counts as no growth
    now += 100;
    r.sample();
    expect(r.rate("n")).toBeGreaterThanOrEqual(0);
  });
});

describe("INFO's sampler", () => {
  it("stops when a server fails to start (its port taken), as it does at stop()", async () => {
    const t = await startTestServer();
    const stop = jest.spyOn(InstantaneousRates.prototype, "stop");
    try {
      await expect(TskvServer.start({ port: t.port, dir: tmpDir(), logLevel: "silent" })).rejects.toThrow();
      expect(stop).toHaveBeenCalledTimes(1);
    } finally {
      stop.mockRestore();
      await t.stop();
    }
  });
});

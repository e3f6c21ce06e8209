// CONFIG GET/SET of Redis 7.0's settings: those with a tskv counterpart change it, those with no meaning here are
// kept and shown (test suites and tools set hz, save, notify-keyspace-events, ...), the rest get Redis's exact error.
// Expected texts and values are redis-server 7.0.15's answers to the same commands.
import { startTestServer, TestServer } from "../helpers/server";
import { REDIS_SETTINGS } from "../../src/server/redis-settings-table";
import { parseKeyspaceEvents, parseMemory, parseInt64 } from "../../src/server/redis-settings";

const failed = (name: string, why: string): string => `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;

describe("CONFIG of Redis settings", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });
  const call = (...a: string[]): Promise<unknown> => t.client().call(...(a as [string, ...string[]]));
  const set = (...a: string[]): Promise<unknown> => call("CONFIG", "SET", ...a);
  const get = (...a: string[]): Promise<unknown> => call("CONFIG", "GET", ...a);

  it("hz: accepted, clamped to 1..500 as Redis, shown by CONFIG GET and INFO", async () => {
    expect(await set("hz", "1")).toBe("OK");
    expect(await get("hz")).toEqual(["hz", "1"]);
    expect(await call("INFO", "server")).toMatch(/\r\nhz:1\r\nconfigured_hz:1\r\n/);
    expect(await set("hz", "1000")).toBe("OK");
    expect(await get("hz")).toEqual(["hz", "500"]);
    expect(await set("hz", "0")).toBe("OK");
    expect(await get("hz")).toEqual(["hz", "1"]);
    await expect(set("hz", "-1")).rejects.toThrow(failed("hz", "argument must be between 0 and 2147483647 inclusive"));
    await expect(set("hz", "abc")).rejects.toThrow(failed("hz", "argument couldn't be parsed into an integer"));
    await expect(set("HZ", "abc")).rejects.toThrow(failed("hz", "argument couldn't be parsed into an integer"));
    expect(await set("hz", "10")).toBe("OK");
  });

  it("a name without glob characters is answered under the name as given; patterns match aliases too", async () => {
    expect(await get("HZ")).toEqual(["HZ", "10"]);
    expect(await get("SLAVE-read-only")).toEqual(["SLAVE-read-only", "yes"]);
    const lists = (await get("list-max-*")) as string[];
    expect(new Map(Array.from({ length: lists.length / 2 }, (_, i) => [lists[2 * i], lists[2 * i + 1]]))).toEqual(
      new Map([
        ["list-max-listpack-size", "-2"],
        ["list-max-ziplist-size", "-2"],
      ]),
    );
    expect(await get("nosuch")).toEqual([]);
  });

  it("every setting redis-server 7.0.15 lists in CONFIG GET * is listed", async () => {
    const all = (await get("*")) as string[];
    const names = new Set(all.filter((_, i) => i % 2 === 0));
    for (const [name] of REDIS_SETTINGS) expect(names).toContain(name);
    for (const n of ["port", "bind", "dir", "maxclients", "requirepass", "appendfsync", "appendonly", "save", "hz", "loglevel", "slaveof", "replicaof", "lua-time-limit", "busy-reply-threshold"]) {
      expect(names).toContain(n);
    }
    expect(names.size).toBe(192 + 6); // Redis's 192 names and tskv's own six
  });

  it("kept settings validate as Redis and read back as Redis shows them", async () => {
    expect(await set("dynamic-hz", "YES")).toBe("OK");
    expect(await get("dynamic-hz")).toEqual(["dynamic-hz", "yes"]);
    await expect(set("dynamic-hz", "maybe")).rejects.toThrow(failed("dynamic-hz", "argument must be 'yes' or 'no'"));
    expect(await set("notify-keyspace-events", "KEA")).toBe("OK");
    expect(await get("notify-keyspace-events")).toEqual(["notify-keyspace-events", "AKE"]);
    await expect(set("notify-keyspace-events", "Q")).rejects.toThrow(failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
    expect(await set("save", "900 1")).toBe("OK");
    expect(await get("save")).toEqual(["save", "900 1"]);
    await expect(set("save", "900 x")).rejects.toThrow(failed("save", "Invalid save parameters"));
    expect(await set("save", "")).toBe("OK");
    expect(await set("list-max-ziplist-size", "5")).toBe("OK");
    expect(await get("list-max-listpack-size")).toEqual(["list-max-listpack-size", "5"]);
    await expect(set("list-max-listpack-size", "1k")).rejects.toThrow(failed("list-max-listpack-size", "argument couldn't be parsed into an integer"));
    await expect(set("active-expire-effort", "11")).rejects.toThrow(failed("active-expire-effort", "argument must be between 1 and 10 inclusive"));
    await expect(set("timeout", "-1")).rejects.toThrow(failed("timeout", "argument must be between 0 and 2147483647 inclusive"));
    await expect(set("latency-tracking-info-percentiles", "50 200")).rejects.toThrow(
      failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
    );
    expect(await set("maxmemory-clients", "5%")).toBe("OK");
    expect(await get("maxmemory-clients")).toEqual(["maxmemory-clients", "5%"]);
    expect(await set("maxmemory-clients", "10mb")).toBe("OK");
    expect(await get("maxmemory-clients")).toEqual(["maxmemory-clients", "10485760"]);
    await expect(set("oom-score-adj-values", "1 2")).rejects.toThrow(failed("oom-score-adj-values", "wrong number of arguments"));
    await expect(set("repl-diskless-load", "sometimes")).rejects.toThrow(failed("repl-diskless-load", "argument(s) must be one of the following: disabled, on-empty-db, swapdb"));
    await expect(set("hash-max-listpack-value", "1x")).rejects.toThrow(failed("hash-max-listpack-value", "argument must be a memory value"));
  });

  it("immutable and protected settings, unknown names, duplicates and odd arguments get Redis's errors, names checked first", async () => {
    await expect(set("daemonize", "yes")).rejects.toThrow(failed("daemonize", "can't set immutable config"));
    await expect(set("databases", "2")).rejects.toThrow(failed("databases", "can't set immutable config"));
    await expect(set("io-threads", "2")).rejects.toThrow(failed("io-threads", "can't set immutable config"));
    await expect(set("dir", "/tmp")).rejects.toThrow(failed("dir", "can't set protected config"));
    await expect(set("dbfilename", "a/b")).rejects.toThrow(failed("dbfilename", "can't set protected config"));
    await expect(set("nosuch", "1")).rejects.toThrow("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    await expect(set("hz", "1", "hz", "2")).rejects.toThrow(failed("hz", "duplicate parameter"));
    await expect(set("hz", "1", "dynamic-hz")).rejects.toThrow("ERR syntax error");
    await expect(set("hz")).rejects.toThrow("ERR wrong number of arguments for 'config|set' command");
    await expect(set("hz", "abc", "nosuch", "1")).rejects.toThrow("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    await expect(set("hz", "abc", "daemonize", "yes")).rejects.toThrow(failed("daemonize", "can't set immutable config"));
    // Nothing of a refused CONFIG SET is applied.
    await expect(set("hz", "7", "timeout", "-1")).rejects.toThrow(failed("timeout", "argument must be between 0 and 2147483647 inclusive"));
    expect(await get("hz")).toEqual(["hz", "10"]);
  });

  it("settings with a tskv counterpart change it, with Redis's syntax and ranges", async () => {
    expect(await set("maxclients", "500")).toBe("OK");
    expect(t.server.config.maxclients).toBe(500);
    await expect(set("maxclients", "0")).rejects.toThrow(failed("maxclients", "argument must be between 1 and 4294967295 inclusive"));
    expect(await set("maxclients", "10000")).toBe("OK");
    expect(await set("proto-max-bulk-len", "2mb")).toBe("OK");
    expect(t.server.config.protoMaxBulkLen).toBe(2 * 1024 * 1024);
    expect(await get("proto-max-bulk-len")).toEqual(["proto-max-bulk-len", "2097152"]);
    await expect(set("proto-max-bulk-len", "100")).rejects.toThrow(failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive"));
    expect(await set("proto-max-bulk-len", "512mb")).toBe("OK");
    await expect(set("client-query-buffer-limit", "1x")).rejects.toThrow(failed("client-query-buffer-limit", "argument must be a memory value"));
    await expect(set("slowlog-log-slower-than", "-2")).rejects.toThrow(failed("slowlog-log-slower-than", "argument must be between -1 and 9223372036854775807 inclusive"));
    await expect(set("slowlog-max-len", "1k")).rejects.toThrow(failed("slowlog-max-len", "argument couldn't be parsed into an integer"));
    expect(await set("slowlog-max-len", "64")).toBe("OK");
    expect(t.server.config.slowlogMaxLen).toBe(64);
    expect(await set("slowlog-max-len", "128")).toBe("OK");
  });

  it("appendfsync is --wal-sync: the policy in force is accepted, another refused, a bad one gets Redis's error", async () => {
    expect(await get("appendfsync")).toEqual(["appendfsync", "everysec"]);
    expect(await set("appendfsync", "EVERYSEC")).toBe("OK");
    await expect(set("appendfsync", "always")).rejects.toThrow(failed("appendfsync", "tskv cannot change its WAL sync policy at run time (restart with --wal-sync)"));
    await expect(set("appendfsync", "sometimes")).rejects.toThrow(failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"));
    expect(await set("appendonly", "yes")).toBe("OK");
    await expect(set("appendonly", "no")).rejects.toThrow(failed("appendonly", "tskv always logs writes to its WAL; appendonly cannot be turned off"));
    expect(await set("maxmemory", "0")).toBe("OK");
    await expect(set("maxmemory", "100mb")).rejects.toThrow(/tskv does not evict keys/);
    await expect(set("maxmemory", "1x")).rejects.toThrow(failed("maxmemory", "argument must be a memory value"));
    await expect(set("maxmemory-policy", "foo")).rejects.toThrow(
      failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    );
    expect(await set("maxmemory-policy", "noeviction")).toBe("OK");
    await expect(set("port", "abc")).rejects.toThrow(failed("port", "argument couldn't be parsed into an integer"));
    expect(await set("port", String(t.server.config.port))).toBe("OK");
  });

  it("client-output-buffer-limit's normal class is tskv's per-client output limits (0 = none, as Redis)", async () => {
    expect(await get("client-output-buffer-limit")).toEqual(["client-output-buffer-limit", "normal 268435456 67108864 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]);
    expect(await set("client-output-buffer-limit", "normal 0 0 0 replica 1mb 2mb 3")).toBe("OK");
    expect(t.server.config.outputBufferHardLimit).toBe(Infinity);
    expect(await get("client-output-buffer-limit")).toEqual(["client-output-buffer-limit", "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60"]);
    expect(await t.client().ping()).toBe("PONG"); // no limit: replies still go out
    await expect(set("client-output-buffer-limit", "normal 1 2")).rejects.toThrow(failed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration."));
    await expect(set("client-output-buffer-limit", "foo 1 2 3")).rejects.toThrow(failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration."));
    await expect(set("client-output-buffer-limit", "normal a 2 3")).rejects.toThrow(failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
    expect(await set("client-output-buffer-limit", "normal 256mb 64mb 0")).toBe("OK");
    expect(t.server.config.outputBufferSoftLimit).toBe(64 * 1024 * 1024);
  });

  it("loglevel in Redis's names over tskv's levels; log-level in tskv's", async () => {
    expect(await get("log-level")).toEqual(["log-level", "silent"]);
    expect(await set("loglevel", "notice")).toBe("OK");
    expect(await get("log-level", "loglevel")).toEqual(["log-level", "info", "loglevel", "notice"]);
    expect(t.server.log.level).toBe("info");
    await expect(set("loglevel", "loud")).rejects.toThrow(failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning"));
    expect(await set("log-level", "silent")).toBe("OK");
    expect(t.server.log.level).toBe("silent");
  });
});

describe("Redis's value syntax", () => {
  it("string2ll and memtoull as Redis reads them", () => {
    expect(parseInt64("-9223372036854775808")).toBe(-(2n ** 63n));
    expect(parseInt64("9223372036854775808")).toBeUndefined();
    expect(parseInt64("01")).toBeUndefined();
    expect(parseInt64("+1")).toBeUndefined();
    expect(parseInt64("-0")).toBeUndefined();
    expect(parseMemory("1k")).toBe(1000n);
    expect(parseMemory("1KB")).toBe(1024n);
    expect(parseMemory("2gb")).toBe(2n * 1024n ** 3n);
    expect(parseMemory("1x")).toBeUndefined();
    expect(parseMemory("-1")).toBeUndefined();
  });

  it("notify-keyspace-events reads back as keyspaceEventsFlagsToString() writes it", () => {
    // redis-server 7.0.15's answers.
    for (const [given, shown] of [["Kgm", "gKm"], ["An", "A"], ["nA", "A"], ["Ex", "xE"], ["Kxn", "xnK"], ["gK$", "g$K"], ["KEA", "AKE"], ["", ""]]) {
      expect(parseKeyspaceEvents(given).value).toBe(shown);
    }
  });
});

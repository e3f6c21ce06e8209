// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP, MEMORY USAGE and COPY as redis-server 7.0.15 answers them (tools call
// the first two on every key they list). Expected replies are that server's to the same commands, but where tskv
// differs on purpose (DB other than 0, what MEMORY USAGE counts).
import { startTestServer, TestServer } from "../helpers/server";

describe("OBJECT, MEMORY USAGE, COPY", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });
  const call = (...a: string[]): Promise<unknown> => t.client().call(...(a as [string, ...string[]]));

  it("OBJECT ENCODING: int, embstr up to 44 bytes, raw; a series is raw; a missing key null", async () => {
    const values: Record<string, string> = {
      i: "123",
      neg: "-5",
      lz: "012",
      e: "hello",
      e44: "x".repeat(44),
      e45: "x".repeat(45),
      l19: "1234567890123456789",
      l20: "12345678901234567890",
    };
    for (const [k, v] of Object.entries(values)) await call("SET", k, v);
    const enc = async (k: string): Promise<unknown> => call("OBJECT", "ENCODING", k);
    expect(await enc("i")).toBe("int");
    expect(await enc("neg")).toBe("int");
    expect(await enc("lz")).toBe("embstr");
    expect(await enc("e")).toBe("embstr");
    expect(await enc("e44")).toBe("embstr");
    expect(await enc("e45")).toBe("raw");
    expect(await enc("l19")).toBe("int");
    expect(await enc("l20")).toBe("embstr");
    await call("TS.CREATE", "series");
    expect(await enc("series")).toBe("raw");
    expect(await enc("nokey")).toBeNull();
  });

  it("OBJECT REFCOUNT (shared integers 0..9999), IDLETIME, FREQ's refusal under noeviction, HELP, arity", async () => {
    await call("SET", "small", "123");
    await call("SET", "large", "12345");
    expect(await call("OBJECT", "REFCOUNT", "small")).toBe(2147483647);
    expect(await call("OBJECT", "REFCOUNT", "large")).toBe(1);
    expect(await call("OBJECT", "REFCOUNT", "nokey")).toBeNull();
    expect(await call("OBJECT", "IDLETIME", "small")).toBe(0);
    expect(await call("OBJECT", "IDLETIME", "nokey")).toBeNull();
    await expect(call("OBJECT", "FREQ", "small")).rejects.toThrow("ERR An LFU maxmemory policy is not selected, access frequency not tracked.");
    expect(await call("OBJECT", "FREQ", "nokey")).toBeNull();
    const help = (await call("OBJECT", "HELP")) as string[];
    expect(help.length).toBe(15);
    expect(help[0]).toBe("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help[14]).toBe("    Prints this help.");
    await expect(call("OBJECT", "ENCODING")).rejects.toThrow("ERR wrong number of arguments for 'object|encoding' command");
    await expect(call("OBJECT", "foo", "x")).rejects.toThrow("ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  });

  it("MEMORY USAGE: the key's bytes, more for a series with samples; SAMPLES checked as Redis", async () => {
    await call("SET", "m", "x".repeat(1000));
    expect(await call("MEMORY", "USAGE", "m")).toBeGreaterThanOrEqual(1001);
    expect(await call("MEMORY", "USAGE", "nokey")).toBeNull();
    expect(await call("MEMORY", "USAGE", "nokey", "SAMPLES", "5")).toBeNull();
    expect(await call("MEMORY", "USAGE", "m", "SAMPLES", "0")).toBeGreaterThan(1000);
    await expect(call("MEMORY", "USAGE", "m", "SAMPLES", "x")).rejects.toThrow("ERR value is not an integer or out of range");
    await expect(call("MEMORY", "USAGE", "m", "SAMPLES", "-1")).rejects.toThrow("ERR syntax error");
    await expect(call("MEMORY", "USAGE", "m", "foo")).rejects.toThrow("ERR syntax error");
    await call("TS.CREATE", "ms");
    const empty = (await call("MEMORY", "USAGE", "ms")) as number;
    for (let i = 0; i < 300; i++) await call("TS.ADD", "ms", String(i + 1), String(i * 1.5));
    expect(await call("MEMORY", "USAGE", "ms")).toBeGreaterThan(empty);
  });

  it("COPY of strings: 1 when copied, 0 when the source is missing or the destination exists, REPLACE, expiry kept", async () => {
    await call("SET", "src", "hello");
    expect(await call("COPY", "src", "dst")).toBe(1);
    expect(await call("GET", "dst")).toBe("hello");
    expect(await call("COPY", "src", "dst")).toBe(0);
    await call("SET", "src", "again");
    expect(await call("COPY", "src", "dst", "REPLACE")).toBe(1);
    expect(await call("GET", "dst")).toBe("again");
    expect(await call("COPY", "src", "dst", "DB", "0", "REPLACE")).toBe(1);
    expect(await call("COPY", "nokey", "dst2")).toBe(0);
    await call("SET", "ttl", "v", "PX", "100000");
    expect(await call("COPY", "ttl", "ttl2")).toBe(1);
    expect(await call("PTTL", "ttl2")).toBeGreaterThan(90000);
    // A string copied over a series replaces it.
    await call("TS.CREATE", "over");
    expect(await call("COPY", "src", "over", "REPLACE")).toBe(1);
    expect(await call("TYPE", "over")).toBe("string");
  });

  it("COPY's refusals: Redis's texts; DB other than 0 is tskv's; a series is copied (timeseries-copy.test.ts)", async () => {
    await call("SET", "a", "1");
    await expect(call("COPY", "a", "a")).rejects.toThrow("ERR source and destination objects are the same");
    await expect(call("COPY", "a", "b", "DB", "x")).rejects.toThrow("ERR value is not an integer or out of range");
    await expect(call("COPY", "a", "b", "foo")).rejects.toThrow("ERR syntax error");
    await expect(call("COPY", "a", "b", "DB", "1")).rejects.toThrow("ERR DB index is out of range");
    await call("TS.CREATE", "ts");
    expect(await call("COPY", "ts", "ts2")).toBe(1);
    expect(await call("TYPE", "ts2")).toBe("TSDB-TYPE");
  });

  it("COMMAND GETKEYS knows the new commands' keys", async () => {
    expect(await call("COMMAND", "GETKEYS", "copy", "a", "b")).toEqual(["a", "b"]);
    expect(await call("COMMAND", "GETKEYS", "object", "encoding", "a")).toEqual(["a"]);
    expect(await call("COMMAND", "GETKEYS", "memory", "usage", "a")).toEqual(["a"]);
  });
});

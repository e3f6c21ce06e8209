import * as http from "node:http";
import { metaKey, TypeTag } from "../../src/model/keys";
import { encodeMeta } from "../../src/model/meta";
import { startTestServer, TestServer } from "../helpers/server";

function fetchText(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers["content-type"]) }));
      })
      .on("error", reject);
  });
}

/** A strict reader of the Prometheus text format: returns samples by series, checks TYPE lines and histograms. */
function parsePrometheus(text: string): Map<string, number> {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ")) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      expect(types.has(t[1])).toBe(false);
      types.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const base = m[1].replace(/_(bucket|sum|count)$/, "");
    expect(types.has(m[1]) || types.get(base) === "histogram").toBe(true);
    if (types.get(m[1]) === "counter") expect(m[1].endsWith("_total")).toBe(true);
    expect(m[1].startsWith("tskv_")).toBe(true);
    samples.set(m[1] + (m[2] ?? ""), Number(m[3] === "+Inf" ? Infinity : m[3]));
  }
  // Histograms: buckets cumulative, +Inf bucket equal to _count.
  for (const [name, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Array<[number, number]>>();
    for (const [k, v] of samples) {
      const b = new RegExp(`^${name}_bucket\\{(.*)le="([^"]+)"\\}$`).exec(k);
      if (!b) continue;
      const list = series.get(b[1]) ?? [];
      list.push([b[2] === "+Inf" ? Infinity : Number(b[2]), v]);
      series.set(b[1], list);
    }
    for (const [labels, list] of series) {
      list.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < list.length; i++) expect(list[i][1]).toBeGreaterThanOrEqual(list[i - 1][1]);
      expect(list[list.length - 1][0]).toBe(Infinity);
      // An unlabelled histogram's _count has no braces at all.
      const own = labels.replace(/,$/, "");
      const count = samples.get(own === "" ? `${name}_count` : `${name}_count{${own}}`);
      expect(count).toBe(list[list.length - 1][1]);
    }
  }
  return samples;
}

describe("metrics", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ metricsPort: 0, slowlogLogSlowerThan: 20000 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("commandstats count exactly the calls, failures and rejections sent", async () => {
    const c = t.client();
    await c.call("CONFIG", "RESETSTAT");
    await c.set("s", "v");
    for (let i = 0; i < 37; i++) await c.get("s");
    await c.call("TS.NOPE").catch(() => undefined);
    await t.server.engine.put(metaKey(Buffer.from("mser")), encodeMeta(TypeTag.SERIES, 0, Buffer.alloc(0)));
    await expect(c.get("mser")).rejects.toThrow("WRONGTYPE");
    await expect(c.call("GET")).rejects.toThrow("wrong number of arguments");
    const info = (await c.info("commandstats")) as string;
    expect(info).toMatch(/cmdstat_get:calls=38,usec=\d+,usec_per_call=\d+\.\d{2},rejected_calls=1,failed_calls=1\r\n/);
    expect(info).toMatch(/cmdstat_set:calls=1,/);
    const errs = (await c.info("errorstats")) as string;
    expect(errs).toContain("errorstat_WRONGTYPE:count=1");
    expect(errs).toMatch(/errorstat_ERR:count=2/);
    const lat = (await c.info("latencystats")) as string;
    expect(lat).toMatch(/latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}/);
  });

  it("counts received bytes exactly", async () => {
    const before = t.server.stats.netInputBytes;
    const payload = "*3\r\n$3\r\nSET\r\n$2\r\nrx\r\n$5\r\nhello\r\nPING\r\n";
    await t.raw(payload, (s) => s.endsWith("+PONG\r\n"));
    expect(t.server.stats.netInputBytes - before).toBe(Buffer.byteLength(payload));
  });

  it("a command slowed on purpose shows in the slow log and the percentiles", async () => {
    const c = t.client();
    await c.call("SLOWLOG", "RESET");
    await c.call("CLIENT", "SETNAME", "sleeper");
    await c.call("DEBUG", "SLEEP", "0.05");
    const entries = (await c.call("SLOWLOG", "GET")) as unknown[][];
    expect(entries.length).toBe(1);
    const [id, time, duration, args, addr, name] = entries[0] as [number, number, number, string[], string, string];
    expect(typeof id).toBe("number");
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(5);
    expect(duration).toBeGreaterThanOrEqual(50000);
    expect(args).toEqual(["DEBUG", "SLEEP", "0.05"]);
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(name).toBe("sleeper");
    expect(await c.call("SLOWLOG", "LEN")).toBe(1);
    const lat = (await c.info("latencystats")) as string;
    const p99 = Number(/latency_percentiles_usec_debug:p50=[\d.]+,p99=([\d.]+)/.exec(lat)![1]);
    expect(p99).toBeGreaterThanOrEqual(49000);
    const hist = (await c.call("LATENCY", "HISTOGRAM", "debug")) as unknown[];
    expect(hist[0]).toBe("debug");
    const body = hist[1] as unknown[];
    expect(body.slice(0, 2)).toEqual(["calls", 1]);
    const buckets = body[3] as number[];
    expect(buckets[buckets.length - 1]).toBe(1);
    expect(buckets[buckets.length - 2]).toBeGreaterThanOrEqual(50000);
  });

  it("a fast command right behind a slow one in a pipeline is timed on its own", async () => {
    const c = t.client();
    await c.call("SLOWLOG", "RESET");
    await c.call("CONFIG", "RESETSTAT");
    // One write: both commands run back to back in one turn, the second timed from the end of the first.
    const reply = await t.raw("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$4\r\n0.05\r\n*1\r\n$4\r\nPING\r\n", (s) => s.endsWith("+PONG\r\n"));
    expect(reply).toBe("+OK\r\n+PONG\r\n");
    const entries = (await c.call("SLOWLOG", "GET")) as unknown[][];
    expect(entries.map((e) => (e[3] as string[])[0])).toEqual(["DEBUG"]);
    const stats = (await c.info("commandstats")) as string;
    const usec = Number(/cmdstat_ping:calls=1,usec=(\d+)/.exec(stats)![1]);
    expect(usec).toBeLessThan(20000);
  });

  it("truncates long commands as Redis does and honours slowlog-max-len", async () => {
    const c = t.client();
    await c.call("SLOWLOG", "RESET");
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await c.call("DEL", ...many);
    await c.call("ECHO", "x".repeat(200));
    const entries = (await c.call("SLOWLOG", "GET", "-1")) as unknown[][];
    const del = entries.find((e) => (e[3] as string[])[0] === "DEL")!;
    const delArgs = del[3] as string[];
    expect(delArgs.length).toBe(32);
    // DEL + 40 keys = 41 arguments: 31 kept, the 32nd says how many more (41 - 32 + 1), as Redis writes it.
    expect(delArgs[31]).toBe("... (10 more arguments)");
    const echo = entries.find((e) => (e[3] as string[])[0] === "ECHO")!;
    expect((echo[3] as string[])[1]).toBe("x".repeat(128) + "... (72 more bytes)");
    await c.call("CONFIG", "SET", "slowlog-max-len", "3");
    for (let i = 0; i < 10; i++) await c.ping();
    expect(await c.call("SLOWLOG", "LEN")).toBeLessThanOrEqual(4);
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "20000");
    await c.call("CONFIG", "SET", "slowlog-max-len", "128");
  });

  it("serves /metrics as Prometheus text and /healthz", async () => {
    const port = t.server.metricsEndpoint!.port;
    const c = t.client();
    for (let i = 0; i < 5; i++) await c.set(`m${i}`, "v");
    const res = await fetchText(port, "/metrics");
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/plain; version=0.0.4");
    const samples = parsePrometheus(res.body);
    expect(samples.get('tskv_commands_total{cmd="set"}')).toBeGreaterThanOrEqual(5);
    expect(samples.get("tskv_connections_open")).toBeGreaterThanOrEqual(1);
    expect(samples.get("tskv_wal_appends_total")).toBeGreaterThanOrEqual(5);
    expect(samples.get("tskv_keys")).toBeGreaterThanOrEqual(5);
    const health = await fetchText(port, "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toBe("ok\n");
    expect((await fetchText(port, "/nope")).status).toBe(404);
  });

  it("CONFIG RESETSTAT clears command statistics", async () => {
    const c = t.client();
    await c.get("x");
    await c.call("CONFIG", "RESETSTAT");
    const info = (await c.info("commandstats")) as string;
    expect(info).not.toMatch(/cmdstat_get:calls=[1-9]/);
  });
});


// The time-series commands against a real server: every example of the RedisTimeSeries command reference (1.12
// pages), error texts, RESP2 and RESP3 reply shapes, WRONGTYPE both ways.
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";

let t: TestServer;
let c: Redis;

beforeAll(async () => {
  t = await startTestServer({ walSync: "always" });
  c = t.client({ protocol: 2 });
});
afterAll(async () => {
  await t.stop();
});
beforeEach(async () => {
  await c.flushall();
});

const call = (...args: Array<string | number>): Promise<unknown> => c.call(String(args[0]), ...args.slice(1).map(String));

async function err(...args: Array<string | number>): Promise<string> {
  try {
    await call(...args);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`no error from ${args.join(" ")}`);
}

/** Raw RESP3 reply of one command (after HELLO 3), exactly as the server sends it. */
async function resp3(...args: Array<string | number>): Promise<string> {
  const enc = (a: Array<string | number>): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join("");
  const marker = "resp3-marker-7d1c";
  const text = await t.raw(enc(["HELLO", "3"]) + enc(["ECHO", marker]) + enc(args) + enc(["PING"]), (s) => s.endsWith("+PONG\r\n"));
  const start = text.indexOf(`${marker}\r\n`) + marker.length + 2;
  return text.slice(start, text.length - "+PONG\r\n".length);
}

/** Raw RESP2 reply of one command. */
async function resp2(...args: Array<string | number>): Promise<string> {
  const enc = (a: Array<string | number>): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join("");
  const text = await t.raw(enc(args) + enc(["PING"]), (s) => s.endsWith("+PONG\r\n"));
  return text.slice(0, text.length - "+PONG\r\n".length);
}

describe("command reference examples", () => {
  it("TS.CREATE", async () => {
    expect(await call("TS.CREATE", "temperature:2:32", "RETENTION", 60000, "DUPLICATE_POLICY", "MAX", "LABELS", "sensor_id", 2, "area_id", 32)).toBe("OK");
    const info = (await call("TS.INFO", "temperature:2:32")) as unknown[];
    expect(info.slice(8, 10)).toEqual(["retentionTime", 60000]);
    expect(info.slice(16, 20)).toEqual(["duplicatePolicy", "max", "labels", [["sensor_id", "2"], ["area_id", "32"]]]);
  });

  it("TS.ADD", async () => {
    expect(await call("TS.ADD", "temperature:3:11", "1548149183000", 27, "RETENTION", "31536000000")).toBe(1548149183000);
    const before = Date.now();
    const at = (await call("TS.ADD", "temperature:3:11", "*", 30)) as number;
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    const info = (await call("TS.INFO", "temperature:3:11")) as unknown[];
    expect(info.slice(8, 10)).toEqual(["retentionTime", 31536000000]);
    // An existing series keeps its retention.
    expect(await call("TS.ADD", "temperature:3:11", "*", 31, "RETENTION", 5)).toBeGreaterThanOrEqual(at);
    expect(((await call("TS.INFO", "temperature:3:11")) as unknown[])[9]).toBe(31536000000);
  });

  it("TS.ALTER", async () => {
    await call("TS.CREATE", "temperature:2:32", "RETENTION", 60000, "DUPLICATE_POLICY", "MAX", "LABELS", "sensor_id", 2, "area_id", 32);
    expect(await call("TS.ALTER", "temperature:2:32", "LABELS", "sensor_id", 2, "area_id", 32, "sub_area_id", 15)).toBe("OK");
    const info = (await call("TS.INFO", "temperature:2:32")) as unknown[];
    expect(info[19]).toEqual([["sensor_id", "2"], ["area_id", "32"], ["sub_area_id", "15"]]);
    expect(info[9]).toBe(60000);
    expect(await call("TS.QUERYINDEX", "sub_area_id=15")).toEqual(["temperature:2:32"]);
  });

  it("TS.MADD", async () => {
    expect(await call("TS.CREATE", "stock:A", "LABELS", "type", "stock", "name", "A")).toBe("OK");
    expect(await call("TS.CREATE", "stock:B", "LABELS", "type", "stock", "name", "B")).toBe("OK");
    expect(await call("TS.MADD", "stock:A", 1000, 100, "stock:A", 1010, 110, "stock:A", 1020, 120, "stock:B", 1000, 120, "stock:B", 1010, 110, "stock:B", 1020, 100)).toEqual([
      1000, 1010, 1020, 1000, 1010, 1020,
    ]);
  });

  it("TS.INCRBY", async () => {
    expect(await call("TS.INCRBY", "a", 232, "TIMESTAMP", 1657811829000)).toBe(1657811829000);
    expect(await call("TS.INCRBY", "a", 157, "TIMESTAMP", 1657811829000)).toBe(1657811829000);
    expect(await call("TS.INCRBY", "a", 432, "TIMESTAMP", 1657811829000)).toBe(1657811829000);
    expect(await call("TS.GET", "a")).toEqual([1657811829000, "821"]);
    expect(await err("ts.incrby", "a", 100, "TIMESTAMP", 50)).toBe("TSDB: timestamp must be equal to or higher than the maximum existing timestamp");
    await c.del("a");
    const before = Date.now();
    const at = (await call("TS.INCRBY", "a", 1)) as number;
    expect(at).toBeGreaterThanOrEqual(before);
    expect(((await call("TS.GET", "a")) as unknown[])[1]).toBe("1");
  });

  it("TS.DECRBY", async () => {
    expect(await call("TS.DECRBY", "d", 5, "TIMESTAMP", 10, "LABELS", "kind", "counter")).toBe(10);
    expect(await call("TS.DECRBY", "d", "1.5", "TIMESTAMP", 20)).toBe(20);
    expect(await call("TS.GET", "d")).toEqual([20, "-6.5"]);
    expect(await call("TS.QUERYINDEX", "kind=counter")).toEqual(["d"]);
  });

  it("TS.DEL", async () => {
    await call("TS.CREATE", "temp:TLV", "LABELS", "type", "temp", "location", "TLV");
    await call("TS.CREATE", "temp:JLM", "LABELS", "type", "temp", "location", "JLM");
    expect(await call("TS.MADD", "temp:TLV", 1000, 30, "temp:TLV", 1010, 35, "temp:TLV", 1020, 9999, "temp:TLV", 1030, 40)).toEqual([1000, 1010, 1020, 1030]);
    expect(await call("TS.MADD", "temp:JLM", 1005, 30, "temp:JLM", 1015, 35, "temp:JLM", 1025, 9999, "temp:JLM", 1035, 40)).toEqual([1005, 1015, 1025, 1035]);
    expect(await call("TS.DEL", "temp:TLV", 1000, 1030)).toBe(4);
    expect(await call("TS.RANGE", "temp:TLV", "-", "+")).toEqual([]);
    expect(await call("TS.GET", "temp:TLV")).toEqual([]);
    expect(await call("TS.RANGE", "temp:JLM", "-", "+")).toHaveLength(4);
  });

  it("TS.GET, with a compaction and LATEST", async () => {
    await call("TS.CREATE", "temp:TLV", "LABELS", "type", "temp", "location", "TLV");
    await call("TS.MADD", "temp:TLV", 1672534800, 12, "temp:TLV", 1672556400, 16, "temp:TLV", 1672578000, 21, "temp:TLV", 1672599600, 14);
    expect(await call("TS.GET", "temp:TLV")).toEqual([1672599600, "14"]);

    await call("TS.CREATE", "temp:JLM", "LABELS", "type", "temp", "location", "JLM");
    expect(await call("TS.CREATE", "dailyMaxTemp:JLM", "LABELS", "type", "temp", "location", "JLM")).toBe("OK");
    expect(await call("TS.CREATERULE", "temp:JLM", "dailyMaxTemp:JLM", "AGGREGATION", "max", 86400000)).toBe("OK");
    expect(await call("TS.MADD", "temp:JLM", "1672534800000", 12, "temp:JLM", "1672556400000", 16, "temp:JLM", "1672578000000", 21, "temp:JLM", "1672599600000", 14)).toEqual([
      1672534800000, 1672556400000, 1672578000000, 1672599600000,
    ]);
    expect(await call("TS.MADD", "temp:JLM", "1672621200000", 11, "temp:JLM", "1672642800000", 21, "temp:JLM", "1672664400000", 26)).toEqual([
      1672621200000, 1672642800000, 1672664400000,
    ]);
    expect(await call("TS.GET", "dailyMaxTemp:JLM")).toEqual([1672531200000, "21"]);
    expect(await call("TS.GET", "dailyMaxTemp:JLM", "LATEST")).toEqual([1672617600000, "26"]);
    expect(await call("TS.RANGE", "dailyMaxTemp:JLM", "-", "+")).toEqual([[1672531200000, "21"]]);
    expect(await call("TS.RANGE", "dailyMaxTemp:JLM", "-", "+", "LATEST")).toEqual([
      [1672531200000, "21"],
      [1672617600000, "26"],
    ]);
    expect(await call("TS.REVRANGE", "dailyMaxTemp:JLM", "-", "+", "LATEST")).toEqual([
      [1672617600000, "26"],
      [1672531200000, "21"],
    ]);
    // LATEST is ignored for a series that is not a compaction.
    expect(await call("TS.GET", "temp:JLM", "LATEST")).toEqual([1672664400000, "26"]);
  });

  it("TS.MGET", async () => {
    await call("TS.CREATE", "temp:TLV", "LABELS", "type", "temp", "location", "TLV");
    await call("TS.CREATE", "temp:JLM", "LABELS", "type", "temp", "location", "JLM");
    await call("TS.MADD", "temp:TLV", 1000, 30, "temp:TLV", 1010, 35, "temp:TLV", 1020, 9999, "temp:TLV", 1030, 40);
    await call("TS.MADD", "temp:JLM", 1005, 30, "temp:JLM", 1015, 35, "temp:JLM", 1025, 9999, "temp:JLM", 1035, 40);
    expect(await call("TS.MGET", "WITHLABELS", "FILTER", "type=temp")).toEqual([
      ["temp:JLM", [["type", "temp"], ["location", "JLM"]], [1035, "40"]],
      ["temp:TLV", [["type", "temp"], ["location", "TLV"]], [1030, "40"]],
    ]);
    expect(await call("TS.MGET", "SELECTED_LABELS", "location", "FILTER", "type=temp")).toEqual([
      ["temp:JLM", [["location", "JLM"]], [1035, "40"]],
      ["temp:TLV", [["location", "TLV"]], [1030, "40"]],
    ]);
    expect(await call("TS.MGET", "FILTER", "location=TLV")).toEqual([["temp:TLV", [], [1030, "40"]]]);
    expect(await call("TS.MGET", "SELECTED_LABELS", "location", "nosuch", "FILTER", "location=TLV")).toEqual([
      ["temp:TLV", [["location", "TLV"], ["nosuch", null]], [1030, "40"]],
    ]);
  });

  it("TS.RANGE: filter by value, aggregate", async () => {
    await call("TS.CREATE", "temp:TLV", "LABELS", "type", "temp", "location", "TLV");
    expect(await call("TS.MADD", "temp:TLV", 1000, 30, "temp:TLV", 1010, 35, "temp:TLV", 1020, 9999, "temp:TLV", 1030, 40)).toEqual([1000, 1010, 1020, 1030]);
    expect(await call("TS.RANGE", "temp:TLV", "-", "+", "FILTER_BY_VALUE", -100, 100)).toEqual([
      [1000, "30"],
      [1010, "35"],
      [1030, "40"],
    ]);
    expect(await call("TS.RANGE", "temp:TLV", "-", "+", "FILTER_BY_VALUE", -100, 100, "AGGREGATION", "avg", 1000)).toEqual([[1000, "35"]]);
    expect(await call("TS.REVRANGE", "temp:TLV", "-", "+", "FILTER_BY_VALUE", -100, 100)).toEqual([
      [1030, "40"],
      [1010, "35"],
      [1000, "30"],
    ]);
    expect(await call("TS.REVRANGE", "temp:TLV", "-", "+", "FILTER_BY_VALUE", -100, 100, "AGGREGATION", "avg", 1000)).toEqual([[1000, "35"]]);
  });

  describe("TS.RANGE / TS.REVRANGE: align aggregation buckets", () => {
    beforeEach(async () => {
      await call("TS.CREATE", "stock:A", "LABELS", "type", "stock", "name", "A");
      await call("TS.MADD", "stock:A", 1000, 100, "stock:A", 1010, 110, "stock:A", 1020, 120);
      await call("TS.MADD", "stock:A", 2000, 200, "stock:A", 2010, 210, "stock:A", 2020, 220);
      await call("TS.MADD", "stock:A", 3000, 300, "stock:A", 3010, 310, "stock:A", 3020, 320);
    });

    it("default alignment 0", async () => {
      // The TS.RANGE page prints a different (impossible) list; the TS.REVRANGE page has the right buckets.
      expect(await call("TS.RANGE", "stock:A", "-", "+", "AGGREGATION", "min", 20)).toEqual([
        [1000, "100"],
        [1020, "120"],
        [2000, "200"],
        [2020, "220"],
        [3000, "300"],
        [3020, "320"],
      ]);
      expect(await call("TS.REVRANGE", "stock:A", "-", "+", "AGGREGATION", "min", 20)).toEqual([
        [3020, "320"],
        [3000, "300"],
        [2020, "220"],
        [2000, "200"],
        [1020, "120"],
        [1000, "100"],
      ]);
    });

    it("ALIGN 10", async () => {
      expect(await call("TS.RANGE", "stock:A", "-", "+", "ALIGN", 10, "AGGREGATION", "min", 20)).toEqual([
        [990, "100"],
        [1010, "110"],
        [1990, "200"],
        [2010, "210"],
        [2990, "300"],
        [3010, "310"],
      ]);
      expect(await call("TS.REVRANGE", "stock:A", "-", "+", "ALIGN", 10, "AGGREGATION", "min", 20)).toEqual([
        [3010, "310"],
        [2990, "300"],
        [2010, "210"],
        [1990, "200"],
        [1010, "110"],
        [990, "100"],
      ]);
    });

    it("ALIGN - (start)", async () => {
      expect(await call("TS.RANGE", "stock:A", 5, "+", "ALIGN", "-", "AGGREGATION", "min", 20)).toEqual([
        [985, "100"],
        [1005, "110"],
        [1985, "200"],
        [2005, "210"],
        [2985, "300"],
        [3005, "310"],
      ]);
      expect(await call("TS.REVRANGE", "stock:A", 5, "+", "ALIGN", "-", "AGGREGATION", "min", 20)).toEqual([
        [3005, "310"],
        [2985, "300"],
        [2005, "210"],
        [1985, "200"],
        [1005, "110"],
        [985, "100"],
      ]);
    });

    it("ALIGN + (end), BUCKETTIMESTAMP, EMPTY, COUNT", async () => {
      expect(await call("TS.RANGE", "stock:A", "-", 3025, "ALIGN", "end", "AGGREGATION", "max", 1000)).toEqual([
        [25, "120"],
        [1025, "220"],
        [2025, "320"],
      ]);
      expect(await call("TS.RANGE", "stock:A", 1000, 2020, "AGGREGATION", "count", 500, "BUCKETTIMESTAMP", "mid")).toEqual([
        [1250, "3"],
        [2250, "3"],
      ]);
      expect(await call("TS.RANGE", "stock:A", 1000, 2020, "AGGREGATION", "count", 500, "BUCKETTIMESTAMP", "end", "EMPTY")).toEqual([
        [1500, "3"],
        [2000, "0"],
        [2500, "3"],
      ]);
      expect(await call("TS.RANGE", "stock:A", "-", "+", "COUNT", 2)).toEqual([
        [1000, "100"],
        [1010, "110"],
      ]);
      expect(await call("TS.REVRANGE", "stock:A", "-", "+", "COUNT", 2)).toEqual([
        [3020, "320"],
        [3010, "310"],
      ]);
      expect(await call("TS.RANGE", "stock:A", "-", "+", "AGGREGATION", "count", 1000, "COUNT", 2)).toEqual([
        [1000, "3"],
        [2000, "3"],
      ]);
      expect(await call("TS.RANGE", "stock:A", "-", "+", "FILTER_BY_TS", 1010, 3020, 5)).toEqual([
        [1010, "110"],
        [3020, "320"],
      ]);
      expect(await call("TS.RANGE", "stock:A", 1010, 2010)).toEqual([
        [1010, "110"],
        [1020, "120"],
        [2000, "200"],
        [2010, "210"],
      ]);
    });
  });

  it("TS.MRANGE / TS.MREVRANGE with GROUPBY and REDUCE", async () => {
    await call("TS.CREATE", "stock:A", "LABELS", "type", "stock", "name", "A");
    await call("TS.CREATE", "stock:B", "LABELS", "type", "stock", "name", "B");
    await call("TS.MADD", "stock:A", 1000, 100, "stock:A", 1010, 110, "stock:A", 1020, 120);
    await call("TS.MADD", "stock:B", 1000, 120, "stock:B", 1010, 110, "stock:B", 1020, 100);
    const labels = [["type", "stock"], ["__reducer__", "max"], ["__source__", "stock:A,stock:B"]];
    expect(await call("TS.MRANGE", "-", "+", "WITHLABELS", "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "max")).toEqual([
      ["type=stock", labels, [[1000, "120"], [1010, "110"], [1020, "120"]]],
    ]);
    expect(await call("TS.MREVRANGE", "-", "+", "WITHLABELS", "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "max")).toEqual([
      ["type=stock", labels, [[1020, "120"], [1010, "110"], [1000, "120"]]],
    ]);
    await call("TS.MADD", "stock:A", 2000, 200, "stock:A", 2010, 210, "stock:A", 2020, 220);
    await call("TS.MADD", "stock:B", 2000, 220, "stock:B", 2010, 210, "stock:B", 2020, 200);
    await call("TS.MADD", "stock:A", 3000, 300, "stock:A", 3010, 310, "stock:A", 3020, 320);
    await call("TS.MADD", "stock:B", 3000, 320, "stock:B", 3010, 310, "stock:B", 3020, 300);
    expect(await call("TS.MRANGE", "-", "+", "WITHLABELS", "AGGREGATION", "avg", 1000, "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "max")).toEqual([
      ["type=stock", labels, [[1000, "110"], [2000, "210"], [3000, "310"]]],
    ]);
    expect(await call("TS.MREVRANGE", "-", "+", "WITHLABELS", "AGGREGATION", "avg", 1000, "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "max")).toEqual([
      ["type=stock", labels, [[3000, "310"], [2000, "210"], [1000, "110"]]],
    ]);
    // GROUPBY … REDUCE must end the command.
    expect(await err("TS.MRANGE", "-", "+", "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "sum", "COUNT", 1)).toBe("ERR wrong number of arguments for 'ts.mrange' command");
    expect(await call("TS.MRANGE", "-", "+", "COUNT", 2, "FILTER", "type=stock", "GROUPBY", "type", "REDUCE", "sum")).toEqual([
      ["type=stock", [], [[1000, "220"], [1010, "220"]]],
    ]);
    expect(await call("TS.MRANGE", 1000, 1000, "FILTER", "type=stock", "GROUPBY", "name", "REDUCE", "count")).toEqual([
      ["name=A", [], [[1000, "1"]]],
      ["name=B", [], [[1000, "1"]]],
    ]);
  });

  it("TS.MRANGE: group by metric_name, FILTER_BY_VALUE, SELECTED_LABELS", async () => {
    expect(await call("TS.ADD", "ts1", "1548149180000", 90, "labels", "metric", "cpu", "metric_name", "system")).toBe(1548149180000);
    expect(await call("TS.ADD", "ts1", "1548149185000", 45)).toBe(1548149185000);
    expect(await call("TS.ADD", "ts2", "1548149180000", 99, "labels", "metric", "cpu", "metric_name", "user")).toBe(1548149180000);
    expect(await call("TS.MRANGE", "-", "+", "WITHLABELS", "FILTER", "metric=cpu", "GROUPBY", "metric_name", "REDUCE", "max")).toEqual([
      [
        "metric_name=system",
        [["metric_name", "system"], ["__reducer__", "max"], ["__source__", "ts1"]],
        [
          [1548149180000, "90"],
          [1548149185000, "45"],
        ],
      ],
      ["metric_name=user", [["metric_name", "user"], ["__reducer__", "max"], ["__source__", "ts2"]], [[1548149180000, "99"]]],
    ]);
    expect(await call("TS.MRANGE", "-", "+", "FILTER_BY_VALUE", 90, 100, "WITHLABELS", "FILTER", "metric=cpu")).toEqual([
      ["ts1", [["metric", "cpu"], ["metric_name", "system"]], [[1548149180000, "90"]]],
      ["ts2", [["metric", "cpu"], ["metric_name", "user"]], [[1548149180000, "99"]]],
    ]);
    expect(await call("TS.MREVRANGE", "-", "+", "FILTER_BY_VALUE", 90, 100, "WITHLABELS", "FILTER", "metric=cpu")).toEqual([
      ["ts1", [["metric", "cpu"], ["metric_name", "system"]], [[1548149180000, "90"]]],
      ["ts2", [["metric", "cpu"], ["metric_name", "user"]], [[1548149180000, "99"]]],
    ]);
    await c.del("ts1", "ts2");
    await call("TS.ADD", "ts1", "1548149180000", 90, "labels", "metric", "cpu", "metric_name", "system", "team", "NY");
    await call("TS.ADD", "ts1", "1548149185000", 45);
    await call("TS.ADD", "ts2", "1548149180000", 99, "labels", "metric", "cpu", "metric_name", "user", "team", "SF");
    expect(await call("TS.MRANGE", "-", "+", "SELECTED_LABELS", "team", "FILTER", "metric=cpu")).toEqual([
      [
        "ts1",
        [["team", "NY"]],
        [
          [1548149180000, "90"],
          [1548149185000, "45"],
        ],
      ],
      ["ts2", [["team", "SF"]], [[1548149180000, "99"]]],
    ]);
    expect(await call("TS.MREVRANGE", "-", "+", "SELECTED_LABELS", "team", "FILTER", "metric=cpu")).toEqual([
      [
        "ts1",
        [["team", "NY"]],
        [
          [1548149185000, "45"],
          [1548149180000, "90"],
        ],
      ],
      ["ts2", [["team", "SF"]], [[1548149180000, "99"]]],
    ]);
  });

  it("TS.QUERYINDEX", async () => {
    await call("TS.CREATE", "telemetry:study:temperature", "LABELS", "room", "study", "type", "temperature");
    await call("TS.CREATE", "telemetry:study:humidity", "LABELS", "room", "study", "type", "humidity");
    await call("TS.CREATE", "telemetry:kitchen:temperature", "LABELS", "room", "kitchen", "type", "temperature");
    await call("TS.CREATE", "telemetry:kitchen:humidity", "LABELS", "room", "kitchen", "type", "humidity");
    expect(await call("TS.QUERYINDEX", "room=kitchen")).toEqual(["telemetry:kitchen:humidity", "telemetry:kitchen:temperature"]);
    expect(await call("TS.QUERYINDEX", "type=temperature")).toEqual(["telemetry:kitchen:temperature", "telemetry:study:temperature"]);
    expect(await call("TS.QUERYINDEX", "type=(temperature,humidity)", "room!=study")).toEqual(["telemetry:kitchen:humidity", "telemetry:kitchen:temperature"]);
    expect(await call("TS.QUERYINDEX", "room=kitchen", "type!=")).toEqual(["telemetry:kitchen:humidity", "telemetry:kitchen:temperature"]);
    expect(await call("TS.QUERYINDEX", "room=kitchen", "type=")).toEqual([]);
    expect(await call("TS.QUERYINDEX", "room=kitchen", "type!=(humidity)")).toEqual(["telemetry:kitchen:temperature"]);
    expect(await call("TS.QUERYINDEX", "room=garage")).toEqual([]);
  });

  it("TS.INFO and TS.INFO DEBUG", async () => {
    await call("TS.CREATE", "telemetry:kitchen:temperature", "LABELS", "room", "kitchen", "type", "temperature");
    const info = (await call("TS.INFO", "telemetry:kitchen:temperature")) as unknown[];
    expect(info.filter((_, i) => i % 2 === 0)).toEqual([
      "totalSamples",
      "memoryUsage",
      "firstTimestamp",
      "lastTimestamp",
      "retentionTime",
      "chunkCount",
      "chunkSize",
      "chunkType",
      "duplicatePolicy",
      "labels",
      "sourceKey",
      "rules",
      "ignoreMaxTimeDiff",
      "ignoreMaxValDiff",
    ]);
    expect(typeof info[3]).toBe("number");
    expect([...info.slice(0, 2), ...info.slice(4)]).toEqual([
      "totalSamples",
      0,
      "firstTimestamp",
      0,
      "lastTimestamp",
      0,
      "retentionTime",
      0,
      "chunkCount",
      1,
      "chunkSize",
      4096,
      "chunkType",
      "compressed",
      "duplicatePolicy",
      null,
      "labels",
      [
        ["room", "kitchen"],
        ["type", "temperature"],
      ],
      "sourceKey",
      null,
      "rules",
      [],
      "ignoreMaxTimeDiff",
      0,
      "ignoreMaxValDiff",
      "0",
    ]);
    const debug = (await call("TS.INFO", "telemetry:kitchen:temperature", "DEBUG")) as unknown[];
    expect(debug.slice(28)).toEqual([
      "keySelfName",
      "telemetry:kitchen:temperature",
      "Chunks",
      [["startTimestamp", -1, "endTimestamp", -1, "samples", 0, "size", 0, "bytesPerSample", "0"]],
    ]);
    await call("TS.MADD", "telemetry:kitchen:temperature", 10, 1, "telemetry:kitchen:temperature", 20, 2);
    const d2 = (await call("TS.INFO", "telemetry:kitchen:temperature", "DEBUG")) as unknown[];
    const chunk = (d2[31] as unknown[][])[0];
    expect(chunk.slice(0, 6)).toEqual(["startTimestamp", 10, "endTimestamp", 20, "samples", 2]);
    expect(d2.slice(0, 2)).toEqual(["totalSamples", 2]);
    expect(d2.slice(4, 8)).toEqual(["firstTimestamp", 10, "lastTimestamp", 20]);
  });

  it("TS.CREATERULE examples, TS.DELETERULE", async () => {
    await call("TS.CREATE", "temp:TLV", "LABELS", "type", "temp", "location", "TLV");
    await call("TS.CREATE", "dailyAvgTemp:TLV", "LABELS", "type", "temp", "location", "TLV");
    expect(await call("TS.CREATERULE", "temp:TLV", "dailyAvgTemp:TLV", "AGGREGATION", "twa", 86400000)).toBe("OK");
    await call("TS.CREATE", "dailyDiffTemp:TLV", "LABELS", "type", "temp", "location", "TLV");
    expect(await call("TS.CREATERULE", "temp:TLV", "dailyDiffTemp:TLV", "AGGREGATION", "range", 86400000, 21600000)).toBe("OK");
    const info = (await call("TS.INFO", "temp:TLV")) as unknown[];
    expect(info[23]).toEqual([
      ["dailyAvgTemp:TLV", 86400000, "TWA", 0],
      ["dailyDiffTemp:TLV", 86400000, "RANGE", 21600000],
    ]);
    expect(((await call("TS.INFO", "dailyDiffTemp:TLV")) as unknown[])[21]).toBe("temp:TLV");
    expect(await call("TS.DELETERULE", "temp:TLV", "dailyAvgTemp:TLV")).toBe("OK");
    expect(((await call("TS.INFO", "temp:TLV")) as unknown[])[23]).toEqual([["dailyDiffTemp:TLV", 86400000, "RANGE", 21600000]]);
    expect(((await call("TS.INFO", "dailyAvgTemp:TLV")) as unknown[])[21]).toBeNull();
    expect(await err("TS.DELETERULE", "temp:TLV", "dailyAvgTemp:TLV")).toBe("ERR TSDB: compaction rule does not exist");
  });
});

describe("errors", () => {
  it("arity and missing keys", async () => {
    expect(await err("TS.ADD", "k", 1)).toBe("ERR wrong number of arguments for 'ts.add' command");
    expect(await err("TS.MADD", "k", 1, 2, "k")).toBe("ERR wrong number of arguments for 'ts.madd' command");
    expect(await err("TS.GET", "k", "a", "b")).toBe("ERR wrong number of arguments for 'ts.get' command");
    expect(await err("TS.CREATERULE", "a", "b", "AGGREGATION", "avg")).toBe("ERR wrong number of arguments for 'ts.createrule' command");
    expect(await err("TS.CREATERULE", "a", "b", "FOO", "avg", 10)).toBe("ERR wrong number of arguments for 'ts.createrule' command");
    expect(await err("TS.GET", "nokey")).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.RANGE", "nokey", "-", "+")).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.INFO", "nokey")).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.DEL", "nokey", 0, 1)).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.ALTER", "nokey", "RETENTION", 1)).toBe("ERR TSDB: the key does not exist");
    expect(await call("TS.MADD", "nokey", 1, 1)).toEqual([expect.objectContaining({ message: "ERR TSDB: the key is not a TSDB key" })]);
  });

  it("TS.CREATE / TS.ALTER options", async () => {
    await call("TS.CREATE", "k");
    expect(await err("TS.CREATE", "k")).toBe("ERR TSDB: key already exists");
    await c.set("s", "v");
    expect(await err("TS.CREATE", "s")).toBe("ERR TSDB: key already exists");
    expect(await err("TS.CREATE", "x", "RETENTION", "abc")).toBe("ERR TSDB: Couldn't parse RETENTION");
    expect(await err("TS.CREATE", "x", "RETENTION")).toBe("ERR TSDB: Couldn't parse RETENTION");
    expect(await err("TS.CREATE", "x", "RETENTION", -1)).toBe("TSDB: Couldn't parse RETENTION");
    expect(await err("TS.CREATE", "x", "CHUNK_SIZE", "abc")).toBe("ERR TSDB: Couldn't parse CHUNK_SIZE");
    for (const bad of [40, 1048584, 100]) {
      expect(await err("TS.CREATE", "x", "CHUNK_SIZE", bad)).toBe("ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]");
    }
    expect(await err("TS.CREATE", "x", "DUPLICATE_POLICY")).toBe("ERR TSDB: Couldn't parse DUPLICATE_POLICY");
    expect(await err("TS.CREATE", "x", "DUPLICATE_POLICY", "newest")).toBe("ERR TSDB: Unknown DUPLICATE_POLICY");
    expect(await err("TS.CREATE", "x", "ENCODING", "zip")).toBe("ERR TSDB: unknown ENCODING parameter");
    expect(await err("TS.CREATE", "x", "ENCODING")).toBe("ERR wrong number of arguments for 'ts.create' command");
    expect(await err("TS.CREATE", "x", "LABELS", "a", "")).toBe("ERR TSDB: Couldn't parse LABELS");
    expect(await err("TS.CREATE", "x", "LABELS", "a", "b(c")).toBe("ERR TSDB: Couldn't parse LABELS");
    expect(await err("TS.CREATE", "x", "IGNORE", 1)).toBe("ERR TSDB: Couldn't parse IGNORE");
    expect(await err("TS.CREATE", "x", "IGNORE", -1, 1)).toBe("ERR TSDB: IGNORE arguments cannot be negative");
    expect(await c.exists("x")).toBe(0);
    expect(await call("TS.CREATE", "y", "ENCODING", "UNCOMPRESSED", "CHUNK_SIZE", 128, "DUPLICATE_POLICY", "Last", "IGNORE", 10, "0.5")).toBe("OK");
    const info = (await call("TS.INFO", "y")) as unknown[];
    expect(info.slice(12, 18)).toEqual(["chunkSize", 128, "chunkType", "uncompressed", "duplicatePolicy", "last"]);
    expect(info.slice(24)).toEqual(["ignoreMaxTimeDiff", 10, "ignoreMaxValDiff", "0.5"]);
    expect(await call("TS.ALTER", "y", "RETENTION", 100, "CHUNK_SIZE", 256, "DUPLICATE_POLICY", "sum")).toBe("OK");
    const after = (await call("TS.INFO", "y")) as unknown[];
    expect([after[9], after[13], after[17], after[15]]).toEqual([100, 256, "sum", "uncompressed"]);
  });

  it("TS.ADD / TS.MADD values and timestamps", async () => {
    expect(await err("TS.ADD", "k", 1, "abc")).toBe("ERR TSDB: invalid value");
    expect(await err("TS.ADD", "k", 1, "nan")).toBe("ERR TSDB: invalid value");
    expect(await err("TS.ADD", "k", "abc", 1)).toBe("ERR TSDB: invalid timestamp");
    expect(await err("TS.ADD", "k", -1, 1)).toBe("ERR TSDB: invalid timestamp, must be a nonnegative integer");
    expect(await c.exists("k")).toBe(0);
    expect(await call("TS.ADD", "k", 1, "1e3")).toBe(1);
    expect(await call("TS.ADD", "k", 2, "-2.5")).toBe(2);
    expect(await call("TS.RANGE", "k", "-", "+")).toEqual([
      [1, "1000"],
      [2, "-2.5"],
    ]);
    expect(await err("TS.ADD", "k", 3, 1, "ON_DUPLICATE")).toBe("ERR TSDB: Couldn't parse DUPLICATE_POLICY");
    expect(await err("TS.ADD", "k", 3, 1, "ON_DUPLICATE", "foo")).toBe("ERR TSDB: Unknown DUPLICATE_POLICY");
    const madd = (await call("TS.MADD", "k", 5, 1, "k", 6, "x", "k", "y", 1, "k", 2, 7, "k", 7, 1)) as unknown[];
    expect(madd[0]).toBe(5);
    expect((madd[1] as Error).message).toBe("ERR TSDB: invalid value");
    expect((madd[2] as Error).message).toBe("ERR TSDB: invalid timestamp");
    expect((madd[3] as Error).message).toBe("ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode");
    expect(madd[4]).toBe(7);
    expect(await err("TS.INCRBY", "k", "abc")).toBe("ERR TSDB: invalid increase/decrease value");
    expect(await err("TS.INCRBY", "k", 1, "TIMESTAMP", "x")).toBe("ERR TSDB: invalid timestamp");
  });

  it("range arguments", async () => {
    await call("TS.ADD", "k", 10, 1);
    const cases: Array<[Array<string | number>, string]> = [
      [["abc", "+"], "ERR TSDB: wrong fromTimestamp"],
      [["-", "abc"], "ERR TSDB: wrong toTimestamp"],
      [["-1", "+"], "ERR TSDB: wrong fromTimestamp"],
      [["-", "+", "COUNT"], "ERR TSDB: COUNT argument is missing"],
      [["-", "+", "COUNT", "x"], "ERR TSDB: Couldn't parse COUNT"],
      [["-", "+", "COUNT", 0], "ERR TSDB: Invalid COUNT value"],
      [["-", "+", "AGGREGATION", "avg"], "ERR TSDB: Couldn't parse AGGREGATION"],
      [["-", "+", "AGGREGATION", "foo", 10], "ERR TSDB: Unknown aggregation type"],
      [["-", "+", "AGGREGATION", "avg", 0], "ERR TSDB: bucketDuration must be greater than zero"],
      [["-", "+", "AGGREGATION", "avg", 10, "BUCKETTIMESTAMP", "x"], "ERR TSDB: unknown BUCKETTIMESTAMP parameter"],
      [["-", "+", "BUCKETTIMESTAMP", "start", "AGGREGATION", "avg", 10], "ERR TSDB: BUCKETTIMESTAMP flag should be the 3rd or 4th flag after AGGREGATION flag"],
      [["-", "+", "EMPTY", "AGGREGATION", "avg", 10], "ERR TSDB: EMPTY flag should be the 3rd or 5th flag after AGGREGATION flag"],
      [["-", "+", "ALIGN", 5], "ERR TSDB: ALIGN parameter can only be used with AGGREGATION"],
      [["-", "+", "ALIGN", "x", "AGGREGATION", "avg", 10], "ERR TSDB: unknown ALIGN parameter"],
      [["-", "+", "ALIGN", "start", "AGGREGATION", "avg", 10], "ERR TSDB: start alignment can only be used with explicit start timestamp"],
      [["-", "+", "ALIGN", "end", "AGGREGATION", "avg", 10], "ERR TSDB: end alignment can only be used with explicit end timestamp"],
      [["-", "+", "FILTER_BY_VALUE", 1], "ERR TSDB: FILTER_BY_VALUE one or more arguments are missing"],
      [["-", "+", "FILTER_BY_VALUE", "a", 1, "x"], "ERR TSDB: Couldn't parse MIN"],
      [["-", "+", "FILTER_BY_VALUE", 1, "b", "x"], "ERR TSDB: Couldn't parse MAX"],
      [["-", "+", "FILTER_BY_TS"], "ERR TSDB: FILTER_BY_TS one or more arguments are missing"],
      [["-", "+", "FILTER_BY_TS", "x"], "ERR TSDB: FILTER_BY_TS one or more arguments are missing"],
    ];
    for (const [a, text] of cases) expect(await err("TS.RANGE", "k", ...a)).toBe(text);
    expect(await call("TS.RANGE", "k", "-", "+", "AGGREGATION", "count", 100, "COUNT", 1)).toEqual([[0, "1"]]);
    expect(await call("TS.RANGE", "k", 20, 10)).toEqual([]);
  });

  it("multi-series arguments", async () => {
    await call("TS.ADD", "k", 10, 1, "LABELS", "a", "1");
    expect(await err("TS.MGET", "WITHLABELS")).toBe("ERR wrong number of arguments for 'ts.mget' command");
    expect(await err("TS.MGET", "WITHLABELS", "a=1")).toBe("ERR wrong number of arguments for 'ts.mget' command");
    expect(await err("TS.MGET", "FILTER", "a")).toBe("ERR TSDB: failed parsing labels");
    expect(await err("TS.MGET", "FILTER", "a!=1")).toBe("ERR TSDB: please provide at least one matcher");
    expect(await err("TS.MGET", "WITHLABELS", "SELECTED_LABELS", "a", "FILTER", "a=1")).toBe("ERR TSDB: cannot accept WITHLABELS and SELECT_LABELS together");
    expect(await err("TS.MGET", "SELECTED_LABELS", "FILTER", "a=1")).toBe("ERR TSDB: SELECT_LABELS should have at least 1 parameter");
    expect(await err("TS.MRANGE", "-", "+", "a=1")).toBe("ERR TSDB: missing FILTER argument");
    expect(await err("TS.MRANGE", "-", "+", "GROUPBY", "a", "REDUCE", "max", "FILTER", "a=1")).toBe("ERR TSDB: GROUPBY should always come after filter");
    expect(await err("TS.MRANGE", "-", "+", "FILTER", "GROUPBY", "a", "REDUCE", "max")).toBe("ERR TSDB: missing labels for filter argument");
    expect(await err("TS.MRANGE", "-", "+", "FILTER", "a=1", "GROUPBY", "a", "REDUCE", "first")).toBe("ERR TSDB: Invalid reducer type");
    expect(await err("TS.MRANGE", "-", "+", "FILTER", "a=1", "GROUPBY", "a", "REDUCE")).toBe("ERR wrong number of arguments for 'ts.mrange' command");
    expect(await err("TS.MRANGE", "-", "+", "FILTER", "a=1", "GROUPBY", "a")).toBe("ERR wrong number of arguments for 'ts.mrange' command");
    expect(await err("TS.QUERYINDEX", "a!=")).toBe("ERR TSDB: please provide at least one matcher");
  });

  it("rules", async () => {
    await call("TS.CREATE", "src");
    await call("TS.CREATE", "dst");
    await call("TS.CREATE", "dst2");
    expect(await err("TS.CREATERULE", "src", "src", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the source key and destination key should be different");
    expect(await err("TS.CREATERULE", "nosrc", "dst", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.CREATERULE", "src", "nodst", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the key does not exist");
    expect(await err("TS.CREATERULE", "src", "dst", "AGGREGATION", "foo", 10)).toBe("ERR TSDB: Unknown aggregation type");
    expect(await err("TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", 0)).toBe("ERR TSDB: bucketDuration must be greater than zero");
    expect(await err("TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", 10, "x")).toBe("ERR TSDB: Couldn't parse alignTimestamp");
    expect(await call("TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", 10)).toBe("OK");
    expect(await err("TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the destination key already has a src rule");
    expect(await err("TS.CREATERULE", "dst", "dst2", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the source key already has a source rule");
    expect(await err("TS.CREATERULE", "dst2", "src", "AGGREGATION", "avg", 10)).toBe("ERR TSDB: the destination key already has a dst rule");
    expect(await err("TS.DELETERULE", "src", "dst2")).toBe("ERR TSDB: compaction rule does not exist");
    expect(await err("TS.DELETERULE", "src")).toBe("ERR wrong number of arguments for 'ts.deleterule' command");
  });

  it("WRONGTYPE both ways", async () => {
    await c.set("str", "v");
    await call("TS.ADD", "ser", 1, 1);
    const wrong = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for (const cmd of [
      ["TS.ADD", "str", 1, 1],
      ["TS.INCRBY", "str", 1],
      ["TS.DECRBY", "str", 1],
      ["TS.GET", "str"],
      ["TS.RANGE", "str", "-", "+"],
      ["TS.REVRANGE", "str", "-", "+"],
      ["TS.INFO", "str"],
      ["TS.DEL", "str", 0, 1],
      ["TS.ALTER", "str", "RETENTION", 1],
      ["TS.CREATERULE", "str", "ser", "AGGREGATION", "avg", 1],
    ]) {
      expect(await err(...cmd)).toBe(wrong);
    }
    expect(((await call("TS.MADD", "str", 1, 1)) as Error[])[0].message).toBe(wrong);
    expect(await err("GET", "ser")).toBe(wrong);
    expect(await err("APPEND", "ser", "x")).toBe(wrong);
    expect(await c.type("ser")).toBe("TSDB-TYPE");
    expect(await c.type("str")).toBe("string");
    // SET replaces a series, as in Redis; its labels leave the index.
    await call("TS.CREATE", "lab", "LABELS", "x", "1");
    expect(await c.set("lab", "now a string")).toBe("OK");
    expect(await call("TS.QUERYINDEX", "x=1")).toEqual([]);
  });
});

describe("reply shapes", () => {
  beforeEach(async () => {
    await call("TS.CREATE", "r", "LABELS", "name", "r", "kind", "x");
    await call("TS.MADD", "r", 1, "1.5", "r", 2, "0.5", "r", 3, "100", "r", 4, "-0.25", "r", 5, "1e20");
  });

  it("RESP2 values are simple strings as RedisTimeSeries prints them", async () => {
    expect(await resp2("TS.RANGE", "r", "-", "+")).toBe(
      "*5\r\n*2\r\n:1\r\n+1.5\r\n*2\r\n:2\r\n+5E-1\r\n*2\r\n:3\r\n+100\r\n*2\r\n:4\r\n+-2.5E-1\r\n*2\r\n:5\r\n+1E20\r\n",
    );
    expect(await resp2("TS.GET", "r")).toBe("*2\r\n:5\r\n+1E20\r\n");
    expect(await resp2("TS.GET", "nothing-here")).toBe("-ERR TSDB: the key does not exist\r\n");
  });

  it("RESP3: TS.GET, TS.RANGE, TS.INFO, TS.MGET, TS.MRANGE, TS.QUERYINDEX", async () => {
    expect(await resp3("TS.GET", "r")).toBe("*2\r\n:5\r\n,1e+20\r\n");
    expect(await resp3("TS.RANGE", "r", 1, 3)).toBe("*3\r\n*2\r\n:1\r\n,1.5\r\n*2\r\n:2\r\n,0.5\r\n*2\r\n:3\r\n,100\r\n");
    expect(await resp3("TS.REVRANGE", "r", 3, 4)).toBe("*2\r\n*2\r\n:4\r\n,-0.25\r\n*2\r\n:3\r\n,100\r\n");
    await call("TS.CREATE", "empty");
    expect(await resp3("TS.GET", "empty")).toBe("*0\r\n");
    const info = await resp3("TS.INFO", "r");
    expect(info.startsWith("%14\r\n+totalSamples\r\n:5\r\n+memoryUsage\r\n:")).toBe(true);
    expect(info).toContain(
      "+firstTimestamp\r\n:1\r\n+lastTimestamp\r\n:5\r\n+retentionTime\r\n:0\r\n+chunkCount\r\n:1\r\n+chunkSize\r\n:4096\r\n+chunkType\r\n+compressed\r\n+duplicatePolicy\r\n_\r\n" +
        "+labels\r\n%2\r\n$4\r\nname\r\n$1\r\nr\r\n$4\r\nkind\r\n$1\r\nx\r\n+sourceKey\r\n_\r\n+rules\r\n%0\r\n+ignoreMaxTimeDiff\r\n:0\r\n+ignoreMaxValDiff\r\n,0\r\n",
    );
    expect(await resp3("TS.MGET", "WITHLABELS", "FILTER", "name=r")).toBe("%1\r\n$1\r\nr\r\n*2\r\n%2\r\n$4\r\nname\r\n$1\r\nr\r\n$4\r\nkind\r\n$1\r\nx\r\n*2\r\n:5\r\n,1e+20\r\n");
    expect(await resp3("TS.MRANGE", 1, 2, "AGGREGATION", "max", 10, "FILTER", "name=r")).toBe(
      "%1\r\n$1\r\nr\r\n*3\r\n%0\r\n%1\r\n$11\r\naggregators\r\n*1\r\n$3\r\nmax\r\n*1\r\n*2\r\n:0\r\n,1.5\r\n",
    );
    expect(await resp3("TS.MRANGE", 1, 1, "WITHLABELS", "FILTER", "name=r", "GROUPBY", "kind", "REDUCE", "sum")).toBe(
      "%1\r\n$6\r\nkind=x\r\n*4\r\n%1\r\n$4\r\nkind\r\n$1\r\nx\r\n%1\r\n$8\r\nreducers\r\n*1\r\n$3\r\nsum\r\n%1\r\n$7\r\nsources\r\n*1\r\n$1\r\nr\r\n*1\r\n*2\r\n:1\r\n,1.5\r\n",
    );
    expect(await resp3("TS.QUERYINDEX", "kind=x")).toBe("~1\r\n$1\r\nr\r\n");
  });

  it("RESP2 TS.INFO rules and MRANGE entries are arrays", async () => {
    await call("TS.CREATE", "agg");
    await call("TS.CREATERULE", "r", "agg", "AGGREGATION", "sum", 100, 7);
    expect(await resp2("TS.INFO", "r")).toContain("+rules\r\n*1\r\n*4\r\n$3\r\nagg\r\n:100\r\n+SUM\r\n:7\r\n");
    expect(await resp2("TS.MRANGE", 1, 1, "FILTER", "name=r")).toBe("*1\r\n*3\r\n$1\r\nr\r\n*0\r\n*1\r\n*2\r\n:1\r\n+1.5\r\n");
  });
});

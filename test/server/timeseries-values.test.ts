// Sample values in RESP2 replies are RedisTimeSeries's shortest round-trip text (formatSampleValue). The range
// writer prints short decimals without building strings; whatever path a value takes, the text a client reads must
// be the reference text and must read back as the stored double.
import fc from "fast-check";
import Redis from "ioredis";
import { formatSampleValue } from "../../src/model/series/format";
import { startTestServer, TestServer } from "../helpers/server";

let t: TestServer;
let c: Redis;
beforeAll(async () => {
  t = await startTestServer();
  c = t.client({ protocol: 2 });
});
afterAll(async () => t.stop());

/** Stores the values as one series (timestamps 1..n) and reads them back with TS.RANGE, as text. */
async function roundTrip(key: string, values: number[]): Promise<string[]> {
  await c.call("TS.CREATE", key);
  for (let from = 0; from < values.length; from += 1000) {
    const args: string[] = [];
    values.slice(from, from + 1000).forEach((v, i) => args.push(key, String(from + i + 1), String(v)));
    await c.call("TS.MADD", ...args);
  }
  const reply = (await c.call("TS.RANGE", key, "-", "+")) as Array<[number, string]>;
  return reply.map(([, v]) => v);
}

const decimal = fc
  .tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 7 }))
  .map(([m, d]) => m / 10 ** d);
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const nearLimits = fc.constantFrom(1, 1.5, -1.5, 0.1, 0.5, 9.999999, 123456.654321, 99999999999999.9, 999999999999999.9, 1e15 + 0.5, 2 ** 52 + 0.5, 1.0000001, 100.000001, 4.35, 0.3, 1.7976931348623157e308);

it("prints every value as RedisTimeSeries does (RESP2), and the text reads back as the same double", async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(decimal, anyDouble, nearLimits), { minLength: 1, maxLength: 200 }), async (values) => {
      const text = await roundTrip(`v:${n++}`, values);
      // The values go out as String(v), which writes -0 as "0": that is what the server stores.
      expect(text).toEqual(values.map((v) => formatSampleValue(Object.is(v, -0) ? 0 : v)));
      for (let i = 0; i < values.length; i++) expect(Number(text[i])).toBe(values[i] === 0 ? 0 : values[i]);
    }),
    { numRuns: 60 },
  );
});

it("prints short decimals of a gauge the same way through a streamed range", async () => {
  const values = Array.from({ length: 70000 }, (_, i) => Math.round((20 + Math.sin(i / 100) * 5) * 10) / 10 - (i % 7 === 0 ? 40 : 0));
  const text = await roundTrip("gauge", values);
  expect(text.length).toBe(values.length);
  for (let i = 0; i < values.length; i++) if (text[i] !== formatSampleValue(values[i])) expect([i, text[i]]).toEqual([i, formatSampleValue(values[i])]);
});

it("keeps the sign of a zero sent as -0", async () => {
  await c.call("TS.ADD", "zero", "1", "-0");
  await c.call("TS.ADD", "zero", "2", "0");
  expect(await c.call("TS.RANGE", "zero", "-", "+")).toEqual([
    [1, formatSampleValue(-0)],
    [2, "0"],
  ]);
});

it("prints every timestamp exactly, whatever its digits, in RESP2 and RESP3", async () => {
  // Millisecond timestamps of this era take a cached-prefix path; around its bounds, and across the 100-second
  // steps where the cached digits change, the text must still be the number.
  const edges = [0, 1, 9, 10, 99_999, 100_000, 1e8 - 1, 1e8, 999_999_999_999, 1e12, 1e12 + 1, 1_700_000_099_999, 1_700_000_100_000, 9_999_999_999_999, 1e13, 2 ** 48];
  const walk = Array.from({ length: 3000 }, (_, i) => 1_700_000_000_000 + i * 7_919);
  const random = fc.sample(fc.integer({ min: 0, max: 2 ** 48 }), { numRuns: 500, seed: 42 });
  const ts = [...new Set([...edges, ...walk, ...random])].sort((a, b) => a - b);
  await c.call("TS.CREATE", "stamps");
  for (let from = 0; from < ts.length; from += 1000) await c.call("TS.MADD", ...ts.slice(from, from + 1000).flatMap((t) => ["stamps", String(t), "1.5"]));
  const r2 = (await c.call("TS.RANGE", "stamps", "-", "+")) as Array<[number, string]>;
  expect(r2.map(([t]) => t)).toEqual(ts);
  // RESP3 through a raw connection (ioredis speaks RESP2): every ":<timestamp>" line of the reply, in order.
  const enc = (a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
  const text = await t.raw(enc(["HELLO", "3"]) + enc(["TS.REVRANGE", "stamps", "-", "+"]) + enc(["PING"]), (s) => s.endsWith("+PONG\r\n"));
  const reply = text.slice(text.indexOf("*" + ts.length + "\r\n"));
  const stamps = [...reply.matchAll(/\*2\r\n:(\d+)\r\n,1\.5\r\n/g)].map((m) => Number(m[1]));
  expect(stamps).toEqual([...ts].reverse());
});

it("sends timestamps up to 2^53 - 1 exactly (read raw: ioredis's parser rounds integers above 2^52)", async () => {
  const ts = [2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, 9007199254740945, 2 ** 53 - 3, 2 ** 53 - 1];
  const enc = (a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
  const adds = ts.map((x) => enc(["TS.ADD", "high", String(x), "2"])).join("");
  for (const proto of ["2", "3"]) {
    const text = await t.raw(enc(["HELLO", proto]) + adds + enc(["TS.RANGE", "high", "-", "+"]) + enc(["PING"]), (s) => s.endsWith("+PONG\r\n"));
    const tail = text.slice(text.lastIndexOf("*" + ts.length + "\r\n"));
    const value = proto === "2" ? "\\+2" : ",2";
    const stamps = [...tail.matchAll(new RegExp(`\\*2\\r\\n:(\\d+)\\r\\n${value}\\r\\n`, "g"))].map((m) => m[1]);
    expect(stamps).toEqual(ts.map(String));
    // TS.ADD answered each timestamp as sent (a repeat is an error under the default BLOCK policy, after the first round).
    if (proto === "2") for (const x of ts) expect(text).toContain(`:${x}\r\n`);
  }
});

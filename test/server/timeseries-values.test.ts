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

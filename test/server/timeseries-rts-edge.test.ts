// RedisTimeSeries 1.12 edge cases, each reply as RedisTimeSeries 1.12.14 itself gave it for the same data and
// command (checked against the module; RESP2 as ioredis reads it). Each block names the rule it pins.
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";

let t: TestServer;
let c: Redis;
beforeAll(async () => {
  t = await startTestServer();
  c = t.client({ protocol: 2 });
});
afterAll(async () => t.stop());

async function run(commands: string[][]): Promise<void> {
  for (const cmd of commands) await c.call(cmd[0], ...cmd.slice(1));
}

type Case = [string, unknown];

async function expectReplies(cases: Case[]): Promise<void> {
  for (const [cmd, want] of cases) {
    const words = cmd.split(" ");
    const got = await c.call(words[0], ...words.slice(1)).catch((e: Error) => `ERR ${e.message}`);
    expect([cmd, got]).toEqual([cmd, want]);
  }
}

describe("bucket starts before 0 are reported as 0 (BucketStartNormalize)", () => {
  beforeAll(() =>
    run([
      ["TS.CREATE", "e:a", "LABELS", "edge", "1"],
      ["TS.MADD", "e:a", "3", "4", "e:a", "9", "8", "e:a", "14", "2", "e:a", "27", "5"],
      ["TS.CREATE", "e:b", "LABELS", "edge", "1"],
      ["TS.MADD", "e:b", "1", "10", "e:b", "6", "-3"],
    ]),
  );

  // Tight loops (no EMPTY), the general path (EMPTY, twa), both directions, every bucket timestamp, TS.MRANGE.
  it("in every aggregator and direction", () =>
    expectReplies([
      ["TS.RANGE e:a 0 4 ALIGN 5 AGGREGATION sum 10", [[0, "4"]]],
      ["TS.RANGE e:a - + ALIGN 5 AGGREGATION max 10", [[0, "4"], [5, "8"], [25, "5"]]],
      ["TS.REVRANGE e:a - + ALIGN 5 AGGREGATION max 10", [[25, "5"], [5, "8"], [0, "4"]]],
      ["TS.RANGE e:a - + ALIGN 5 AGGREGATION avg 10 BUCKETTIMESTAMP mid", [[5, "4"], [10, "5"], [30, "5"]]],
      ["TS.REVRANGE e:a - + ALIGN 5 AGGREGATION min 10 BUCKETTIMESTAMP end", [[35, "5"], [15, "2"], [10, "4"]]],
      ["TS.RANGE e:a - + ALIGN 5 AGGREGATION count 10 EMPTY", [[0, "1"], [5, "2"], [15, "0"], [25, "1"]]],
      ["TS.REVRANGE e:a - + ALIGN 5 AGGREGATION sum 10 EMPTY", [[25, "5"], [15, "0"], [5, "10"], [0, "4"]]],
      ["TS.RANGE e:a - + ALIGN 25 AGGREGATION range 30", [[0, "6"], [25, "0"]]],
      ["TS.RANGE e:a - + ALIGN 25 AGGREGATION first 30", [[0, "4"], [25, "5"]]],
      ["TS.RANGE e:a - + ALIGN 25 AGGREGATION last 30", [[0, "2"], [25, "5"]]],
      ["TS.RANGE e:a - + ALIGN 25 AGGREGATION twa 30", [[0, "4.407342657342657"], [25, "4.769230769230769"]]],
      ["TS.RANGE e:a 0 20 ALIGN end AGGREGATION sum 7", [[0, "4"], [6, "8"], [13, "2"]]],
    ]));

  it("in TS.MRANGE, TS.MREVRANGE and GROUPBY", () =>
    expectReplies([
      ["TS.MRANGE - + ALIGN 5 AGGREGATION sum 10 FILTER edge=1", [["e:a", [], [[0, "4"], [5, "10"], [25, "5"]]], ["e:b", [], [[0, "10"], [5, "-3"]]]]],
      ["TS.MREVRANGE - + ALIGN 5 AGGREGATION max 10 BUCKETTIMESTAMP mid FILTER edge=1", [["e:a", [], [[30, "5"], [10, "8"], [5, "4"]]], ["e:b", [], [[10, "-3"], [5, "10"]]]]],
      ["TS.MRANGE - + ALIGN 5 AGGREGATION sum 10 FILTER edge=1 GROUPBY edge REDUCE sum", [["edge=1", [], [[0, "14"], [5, "7"], [25, "5"]]]]],
    ]));
});

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

// RedisTimeSeries's flow test test_empty (test_ts_range.py) data, and the rules it pins: in a reverse query the
// aggregators see the samples newest first, so first is a bucket's newest sample and last its oldest, and an EMPTY
// bucket's last carries the value of the sample before it in the reply; EMPTY fills only between the range's own
// samples (twa aside), never towards samples outside [from, to].
describe("reverse queries aggregate in reply order; EMPTY fills between the range's samples", () => {
  beforeAll(() =>
    run([
      ["TS.CREATE", "e:t1", "LABELS", "rev", "1"],
      ["TS.MADD", "e:t1", "15", "1", "e:t1", "17", "4", "e:t1", "51", "3", "e:t1", "73", "5", "e:t1", "75", "3"],
      ["TS.CREATE", "e:t2", "LABELS", "rev", "1"],
      ["TS.MADD", "e:t2", "10", "1", "e:t2", "30", "4"],
    ]),
  );

  it("every aggregator with EMPTY, first / last both ways, ranges with samples beyond their ends", () =>
    expectReplies([
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION avg 10 EMPTY", [[70, "4"], [60, "NaN"], [50, "3"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "2.5"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION sum 10 EMPTY", [[70, "8"], [60, "0"], [50, "3"], [40, "0"], [30, "0"], [20, "0"], [10, "5"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION min 10 EMPTY", [[70, "3"], [60, "NaN"], [50, "3"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "1"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION max 10 EMPTY", [[70, "5"], [60, "NaN"], [50, "3"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "4"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION range 10 EMPTY", [[70, "2"], [60, "NaN"], [50, "0"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "3"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION count 10 EMPTY", [[70, "2"], [60, "0"], [50, "1"], [40, "0"], [30, "0"], [20, "0"], [10, "2"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION first 10 EMPTY", [[70, "3"], [60, "NaN"], [50, "3"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "4"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION last 10 EMPTY", [[70, "5"], [60, "5"], [50, "3"], [40, "3"], [30, "3"], [20, "3"], [10, "1"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION std.p 10 EMPTY", [[70, "1"], [60, "NaN"], [50, "0"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "1.5"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION std.s 10 EMPTY", [[70, "1.4142135623730951"], [60, "NaN"], [50, "0"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "2.1213203435596424"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION var.p 10 EMPTY", [[70, "1"], [60, "NaN"], [50, "0"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "2.25"]]],
      ["TS.REVRANGE e:t1 0 100 ALIGN 0 AGGREGATION var.s 10 EMPTY", [[70, "2"], [60, "NaN"], [50, "0"], [40, "NaN"], [30, "NaN"], [20, "NaN"], [10, "4.5"]]],
      ["TS.RANGE e:t1 0 100 ALIGN 0 AGGREGATION first 10 EMPTY", [[10, "1"], [20, "NaN"], [30, "NaN"], [40, "NaN"], [50, "3"], [60, "NaN"], [70, "5"]]],
      ["TS.REVRANGE e:t1 0 100 AGGREGATION first 10", [[70, "3"], [50, "3"], [10, "4"]]],
      ["TS.REVRANGE e:t1 0 100 AGGREGATION first 100", [[0, "3"]]],
      ["TS.RANGE e:t1 0 100 ALIGN 0 AGGREGATION last 10 EMPTY", [[10, "4"], [20, "4"], [30, "4"], [40, "4"], [50, "3"], [60, "3"], [70, "3"]]],
      ["TS.REVRANGE e:t1 0 100 AGGREGATION last 10", [[70, "5"], [50, "3"], [10, "1"]]],
      ["TS.REVRANGE e:t1 0 100 AGGREGATION last 100", [[0, "1"]]],
      ["TS.REVRANGE e:t1 20 60 AGGREGATION max 10 EMPTY", [[50, "3"]]],
      ["TS.RANGE e:t1 20 100 AGGREGATION count 10 EMPTY", [[50, "1"], [60, "0"], [70, "2"]]],
      ["TS.RANGE e:t1 0 60 AGGREGATION last 10 EMPTY", [[10, "4"], [20, "4"], [30, "4"], [40, "4"], [50, "3"]]],
      ["TS.RANGE e:t1 20 40 AGGREGATION sum 10 EMPTY", []],
      ["TS.REVRANGE e:t1 20 40 AGGREGATION sum 10 EMPTY", []],
      ["TS.MREVRANGE 0 100 AGGREGATION last 10 EMPTY FILTER rev=1", [["e:t1", [], [[70, "5"], [60, "5"], [50, "3"], [40, "3"], [30, "3"], [20, "3"], [10, "1"]]], ["e:t2", [], [[30, "4"], [20, "4"], [10, "1"]]]]],
      ["TS.MREVRANGE 0 100 AGGREGATION first 20 FILTER rev=1", [["e:t1", [], [[60, "3"], [40, "3"], [0, "4"]]], ["e:t2", [], [[20, "4"], [0, "1"]]]]],
      ["TS.MREVRANGE 0 100 AGGREGATION max 10 EMPTY FILTER rev=1 GROUPBY rev REDUCE sum", [["rev=1", [], [[70, "5"], [60, "NaN"], [50, "3"], [40, "NaN"], [30, "4"], [20, "NaN"], [10, "5"]]]]],
    ]));
});

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

// RedisTimeSeries keeps std / var as a sum and a sum of squares in doubles (StdAddValue) and finalises with
// (sum2 - 2·sum·sum/n + (sum/n)²·n) / n: over values near 1e4 that differ by hundredths it cancels, and its last
// digits are not Welford's. avg sums in doubles until the exact sum would pass DBL_MAX, then keeps a running mean
// in x87 long double (AvgAddValue). Both paths (tight loops, and EMPTY through aggregate.ts) must give its digits.
describe("std / var / avg digits as RedisTimeSeries computes them", () => {
  beforeAll(async () => {
    const madd = ["TS.MADD"];
    for (let i = 0; i < 300; i++) {
      const t = String(1700000500000 + i * 1000);
      madd.push("big:s", t, String(10000 + ((i * 7919) % 1000) / 10000), "big:g", t, String(10000 - ((i * 104729) % 1000) / 10000));
    }
    const near = ["1.7e308", "1.6e308", "-1e308", "1.75e308", "1e300", "1.7976931348623157e308", "1.7976931348623157e308", "3"];
    const more = ["-1.7e308", "1.2e308", "1.3e308", "1.4e308", "9e307", "1.7976931348623157e308", "1e308", "1e308"];
    const big = ["TS.MADD", ...[...near, ...more].flatMap((v, i) => ["big:o", String(i + 1), v])];
    await run([
      ["TS.CREATE", "big:s", "LABELS", "big", "1"],
      ["TS.CREATE", "big:o", "LABELS", "big", "2"],
      ["TS.CREATE", "big:g", "LABELS", "big", "1"],
      madd,
      big,
    ]);
  });

  it("over values near 1e4 and sums past ±1.8e308", () =>
    expectReplies([
      ["TS.RANGE big:s 1700000500000 1700000800000 AGGREGATION std.p 7000", [[1700000498000, "3.2911750007774104E-2"], [1700000505000, "1.6199714071451734E-2"], [1700000512000, "2.815446067532934E-2"], [1700000519000, "2.815355334985523E-2"], [1700000526000, "1.6200239686353365E-2"], [1700000533000, "3.385478148408641E-2"], [1700000540000, "1.6200239686353365E-2"], [1700000547000, "3.6370281364748756E-2"], [1700000554000, "1.6200239686353365E-2"], [1700000561000, "2.815355334985523E-2"], [1700000568000, "1.6200765284202032E-2"], [1700000575000, "1.6200239686353365E-2"], [1700000582000, "3.385452996921878E-2"], [1700000589000, "1.6200765284202032E-2"], [1700000596000, "3.637051548231751E-2"], [1700000603000, "1.6200765284202032E-2"], [1700000610000, "3.385427845248257E-2"], [1700000617000, "1.6199714071451734E-2"], [1700000624000, "1.619866279048295E-2"], [1700000631000, "3.385402693387772E-2"], [1700000638000, "1.6200765284202032E-2"], [1700000645000, "3.637121782598184E-2"], [1700000652000, "1.6200239686353365E-2"], [1700000659000, "3.38537754134042E-2"], [1700000666000, "1.6199714071451734E-2"], [1700000673000, "1.619918843949548E-2"], [1700000680000, "2.815446067532934E-2"], [1700000687000, "1.6201290864999402E-2"], [1700000694000, "3.637074959837926E-2"], [1700000701000, "1.6201290864999402E-2"], [1700000708000, "3.385402693387772E-2"], [1700000715000, "1.619866279048295E-2"], [1700000722000, "2.8154158236753574E-2"], [1700000729000, "2.8153855794928902E-2"], [1700000736000, "1.619918843949548E-2"], [1700000743000, "3.637074959837926E-2"], [1700000750000, "1.6200239686353365E-2"], [1700000757000, "3.637145193752274E-2"], [1700000764000, "1.619918843949548E-2"], [1700000771000, "2.815355334985523E-2"], [1700000778000, "2.815355334985523E-2"], [1700000785000, "1.6200765284202032E-2"], [1700000792000, "3.385452996921878E-2"], [1700000799000, "0"]]],
      ["TS.RANGE big:s 1700000500000 1700000800000 AGGREGATION std.s 7000", [[1700000498000, "3.679645513793106E-2"], [1700000505000, "1.7497691047571293E-2"], [1700000512000, "3.0410293190055084E-2"], [1700000519000, "3.0409313166533954E-2"], [1700000526000, "1.7498258776552072E-2"], [1700000533000, "3.6567343366603944E-2"], [1700000540000, "1.7498258776552072E-2"], [1700000547000, "3.928439377551204E-2"], [1700000554000, "1.7498258776552072E-2"], [1700000561000, "3.0409313166533954E-2"], [1700000568000, "1.749882648711355E-2"], [1700000575000, "1.7498258776552072E-2"], [1700000582000, "3.656707169949746E-2"], [1700000589000, "1.749882648711355E-2"], [1700000596000, "3.928464665138805E-2"], [1700000603000, "1.749882648711355E-2"], [1700000610000, "3.656680003037267E-2"], [1700000617000, "1.7497691047571293E-2"], [1700000624000, "1.749655553434465E-2"], [1700000631000, "3.6566528359229536E-2"], [1700000638000, "1.749882648711355E-2"], [1700000645000, "3.928540526924967E-2"], [1700000652000, "1.7498258776552072E-2"], [1700000659000, "3.6566256686068E-2"], [1700000666000, "1.7497691047571293E-2"], [1700000673000, "1.7497123300169413E-2"], [1700000680000, "3.0410293190055084E-2"], [1700000687000, "1.7499394179257517E-2"], [1700000694000, "3.9284899525636297E-2"], [1700000701000, "1.7499394179257517E-2"], [1700000708000, "3.6566528359229536E-2"], [1700000715000, "1.749655553434465E-2"], [1700000722000, "3.0409966519057294E-2"], [1700000729000, "3.0409639844550286E-2"], [1700000736000, "1.7497123300169413E-2"], [1700000743000, "3.9284899525636297E-2"], [1700000750000, "1.7498258776552072E-2"], [1700000757000, "3.928565813861484E-2"], [1700000764000, "1.7497123300169413E-2"], [1700000771000, "3.0409313166533954E-2"], [1700000778000, "3.0409313166533954E-2"], [1700000785000, "1.749882648711355E-2"], [1700000792000, "3.656707169949746E-2"], [1700000799000, "0"]]],
      ["TS.REVRANGE big:s 1700000500000 1700000800000 AGGREGATION var.p 7000", [[1700000799000, "0"], [1700000792000, "1.1461291994367326E-3"], [1700000785000, "2.624647957938058E-4"], [1700000778000, "7.926395961216518E-4"], [1700000771000, "7.926225662231445E-4"], [1700000764000, "2.6244776589529853E-4"], [1700000757000, "1.3228825160435268E-3"], [1700000750000, "2.624307359967913E-4"], [1700000743000, "1.322831426348005E-3"], [1700000736000, "2.6241370609828403E-4"], [1700000729000, "7.926225662231445E-4"], [1700000722000, "7.926566260201591E-4"], [1700000715000, "2.6244776589529853E-4"], [1700000708000, "1.146078109741211E-3"], [1700000701000, "2.6248182569231303E-4"], [1700000694000, "1.3228484562465123E-3"], [1700000687000, "2.6244776589529853E-4"], [1700000680000, "7.926566260201591E-4"], [1700000673000, "2.6241370609828403E-4"], [1700000666000, "2.624307359967913E-4"], [1700000659000, "1.1460610798427037E-3"], [1700000652000, "2.6244776589529853E-4"], [1700000645000, "1.3228825160435268E-3"], [1700000638000, "2.624647957938058E-4"], [1700000631000, "1.1460951396397182E-3"], [1700000624000, "2.6241370609828403E-4"], [1700000617000, "2.624307359967913E-4"], [1700000610000, "1.1461291994367326E-3"], [1700000603000, "2.624647957938058E-4"], [1700000596000, "1.322831426348005E-3"], [1700000589000, "2.6244776589529853E-4"], [1700000582000, "1.1461291994367326E-3"], [1700000575000, "2.6244776589529853E-4"], [1700000568000, "2.6248182569231303E-4"], [1700000561000, "7.926225662231445E-4"], [1700000554000, "2.6244776589529853E-4"], [1700000547000, "1.3228143964494979E-3"], [1700000540000, "2.6244776589529853E-4"], [1700000533000, "1.14614622933524E-3"], [1700000526000, "2.6244776589529853E-4"], [1700000519000, "7.926225662231445E-4"], [1700000512000, "7.926736559186663E-4"], [1700000505000, "2.623966761997768E-4"], [1700000498000, "1.0831832885742187E-3"]]],
      ["TS.RANGE big:s 1700000500000 1700000800000 AGGREGATION var.s 7000 EMPTY", [[1700000498000, "1.3539791107177734E-3"], [1700000505000, "3.0616919199625653E-4"], [1700000512000, "9.247859319051107E-4"], [1700000519000, "9.247263272603353E-4"], [1700000526000, "3.0618906021118164E-4"], [1700000533000, "1.3371706008911133E-3"], [1700000540000, "3.0618906021118164E-4"], [1700000547000, "1.543263594309489E-3"], [1700000554000, "3.0618906021118164E-4"], [1700000561000, "9.247263272603353E-4"], [1700000568000, "3.0620892842610675E-4"], [1700000575000, "3.0618906021118164E-4"], [1700000582000, "1.3371507326761882E-3"], [1700000589000, "3.0620892842610675E-4"], [1700000596000, "1.543283462524414E-3"], [1700000603000, "3.0620892842610675E-4"], [1700000610000, "1.337130864461263E-3"], [1700000617000, "3.0616919199625653E-4"], [1700000624000, "3.061294555664063E-4"], [1700000631000, "1.3371109962463379E-3"], [1700000638000, "3.0620892842610675E-4"], [1700000645000, "1.5433430671691895E-3"], [1700000652000, "3.0618906021118164E-4"], [1700000659000, "1.3370911280314128E-3"], [1700000666000, "3.0616919199625653E-4"], [1700000673000, "3.0614932378133136E-4"], [1700000680000, "9.247859319051107E-4"], [1700000687000, "3.0622879664103186E-4"], [1700000694000, "1.5433033307393391E-3"], [1700000701000, "3.0622879664103186E-4"], [1700000708000, "1.3371109962463379E-3"], [1700000715000, "3.061294555664063E-4"], [1700000722000, "9.247660636901855E-4"], [1700000729000, "9.247461954752604E-4"], [1700000736000, "3.0614932378133136E-4"], [1700000743000, "1.5433033307393391E-3"], [1700000750000, "3.0618906021118164E-4"], [1700000757000, "1.5433629353841145E-3"], [1700000764000, "3.0614932378133136E-4"], [1700000771000, "9.247263272603353E-4"], [1700000778000, "9.247263272603353E-4"], [1700000785000, "3.0620892842610675E-4"], [1700000792000, "1.3371507326761882E-3"], [1700000799000, "0"]]],
      ["TS.RANGE big:s - + AGGREGATION std.p 100000", [[1700000500000, "2.917716427761963E-2"], [1700000600000, "2.9003741845072768E-2"], [1700000700000, "2.8857050084851177E-2"]]],
      ["TS.REVRANGE big:s - + AGGREGATION std.s 100000", [[1700000700000, "2.9002094423032733E-2"], [1700000600000, "2.9149526869166494E-2"], [1700000500000, "2.932415344103796E-2"]]],
      ["TS.RANGE big:s - + AGGREGATION avg 60000", [[1700000460000, "10000.05305"], [1700000520000, "10000.04905"], [1700000580000, "10000.049716666665"], [1700000640000, "10000.04871666667"], [1700000700000, "10000.049383333333"], [1700000760000, "10000.05355"]]],
      ["TS.RANGE big:o - + AGGREGATION avg 3", [[0, "1.6499999999999999E308"], [3, "2.5000000333333334E307"], [6, "1.1984620899082105E308"], [9, "2.666666666666667E307"], [12, "1.3658977116207719E308"], [15, "1E308"]]],
      ["TS.RANGE big:o - + AGGREGATION avg 5", [[0, "1.0125E308"], [5, "3.790772559449263E307"], [10, "1.3195386269724632E308"], [15, "1E308"]]],
      ["TS.REVRANGE big:o - + AGGREGATION avg 7", [[14, "1.265897711620772E308"], [7, "6.996704478374738E307"], [0, "9.746155241437192E307"]]],
      ["TS.RANGE big:o - + AGGREGATION avg 100", [[0, "9.089424634116842E307"]]],
      ["TS.REVRANGE big:o - + AGGREGATION avg 100", [[0, "9.089424634116844E307"]]],
      ["TS.RANGE big:o - + AGGREGATION avg 6 EMPTY", [[0, "8.10000002E307"], [6, "7.325643782874385E307"], [12, "1.2195386269724632E308"]]],
      ["TS.RANGE big:o - + AGGREGATION sum 2", [[0, "1.7E308"], [2, "6E307"], [4, "1.75000001E308"], [6, "Infinity"], [8, "-1.7E308"], [10, "Infinity"], [12, "Infinity"], [14, "Infinity"], [16, "1E308"]]],
      ["TS.RANGE big:o - + AGGREGATION std.p 2", [[0, "NaN"], [2, "NaN"], [4, "NaN"], [6, "NaN"], [8, "NaN"], [10, "NaN"], [12, "NaN"], [14, "NaN"], [16, "NaN"]]],
      ["TS.RANGE big:o - + AGGREGATION var.s 4", [[0, "NaN"], [4, "NaN"], [8, "NaN"], [12, "NaN"], [16, "0"]]],
    ]));
});

// RESP3 doubles are printf's %.17g, which rounds an exact tie (a value whose decimal expansion stops at an 18th
// digit 5) to even; toPrecision rounds it away from zero.
describe("RESP3 sample values round exact ties to even, as %.17g", () => {
  it("in plain and aggregated ranges", async () => {
    await run([
      ["TS.CREATE", "tie:a"],
      ["TS.MADD", "tie:a", "1", "1000000000000007.25", "tie:a", "2", "707106781826298.625", "tie:a", "3", "500000000261084.375", "tie:a", "4", "0.5"],
    ]);
    const c3 = t.client({ protocol: 3 });
    expect(await c3.call("TS.RANGE", "tie:a", "-", "+")).toEqual([
      [1, "1000000000000007.2"],
      [2, "707106781826298.62"],
      [3, "500000000261084.38"],
      [4, "0.5"],
    ]);
    expect(await c3.call("TS.RANGE", "tie:a", "-", "+", "AGGREGATION", "sum", "2")).toEqual([
      [0, "1000000000000007.2"],
      [2, "1207106782087383"],
      [4, "0.5"],
    ]);
  });
});

describe("a sample value past the double's range is an invalid value; one below it reads as 0", () => {
  it("in TS.ADD and TS.MADD, losing nothing else", async () => {
    await expectReplies([
      ["TS.ADD big:v 1 1e400", "ERR ERR TSDB: invalid value"],
      ["TS.ADD big:v 1 -1e400", "ERR ERR TSDB: invalid value"],
      ["TS.ADD big:v 2 1e-400", 2],
      ["TS.ADD big:v 3 1e308", 3],
    ]);
    const madd = (await c.call("TS.MADD", "big:v", "4", "4.5", "big:v", "5", "2e309", "big:v", "6", "6.5")) as unknown[];
    expect(madd[0]).toBe(4);
    expect(String(madd[1])).toContain("invalid value");
    expect(madd[2]).toBe(6);
    expect(await c.call("TS.RANGE", "big:v", "-", "+")).toEqual([
      [2, "0"],
      [3, "1E308"],
      [4, "4.5"],
      [6, "6.5"],
    ]);
  });
});

describe("REDUCE and compaction rules take std / var from the sum and the sum of squares, as RedisTimeSeries", () => {
  it("gives RedisTimeSeries's last digits where Welford's algorithm gives others", async () => {
    const cmds: string[][] = [];
    for (let i = 1; i <= 5; i++) cmds.push(["TS.CREATE", `w:${i}`, "LABELS", "wg", "a"]);
    cmds.push(["TS.MADD", "w:1", "1", "10000.01", "w:2", "1", "10000.02", "w:3", "1", "10000.05", "w:4", "1", "10000.03", "w:5", "1", "9999.99"]);
    cmds.push(["TS.MADD", "w:1", "2", "10000.11", "w:2", "2", "10000.12", "w:3", "2", "10000.15", "w:4", "2", "10000.13", "w:5", "2", "9999.97"]);
    cmds.push(["TS.CREATE", "w:src"], ["TS.CREATE", "w:dst"], ["TS.CREATERULE", "w:src", "w:dst", "AGGREGATION", "std.p", "10"]);
    cmds.push(["TS.MADD", "w:src", "1", "10000.01", "w:src", "2", "10000.02", "w:src", "3", "10000.05", "w:src", "4", "10000.03", "w:src", "5", "9999.99", "w:src", "11", "1"]);
    await run(cmds);
    // RedisTimeSeries 1.12.14's replies to the same commands.
    const want: Record<string, [string, string]> = {
      "std.p": ["2.0000765308996468E-2", "6.437410076216978E-2"],
      "std.s": ["2.2361535416467845E-2", "7.197243264731633E-2"],
      "var.p": ["4.000306129455566E-4", "4.144024848937988E-3"],
      "var.s": ["5.000382661819458E-4", "5.180031061172485E-3"],
    };
    for (const [r, [a, b]] of Object.entries(want)) {
      const got = (await c.call("TS.MRANGE", "-", "+", "FILTER", "wg=a", "GROUPBY", "wg", "REDUCE", r)) as unknown[][];
      expect([r, got[0][2]]).toEqual([r, [[1, a], [2, b]]]);
    }
    expect(await c.call("TS.RANGE", "w:dst", "-", "+")).toEqual([[0, "2.0000765308996468E-2"]]);
  });
});

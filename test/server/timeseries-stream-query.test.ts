// Long filtered and aggregated TS.RANGE / TS.REVRANGE / TS.MRANGE replies stream from a view captured when the
// command runs: exact counts and contents (checked against values computed here from the inserted data), the same
// bytes as the replies built at once, a paused reader keeps the server's output bounded, and writes made while the
// reply is paused do not reach it.
import Redis from "ioredis";
import { startTestServer, TestServer } from "../helpers/server";
import { enc, pausedConn, RawConn } from "../helpers/raw-conn";
import { avgBuckets } from "../helpers/series-ref";

/** Points per series: "saw" holds t = 10 i, v = i % 1000; "lin", "w2" (and "w", loaded by its tests) hold t = 10 i, v = i. */
const N = 200_000;
/** Above this many samples a reply streams (src/server/commands/timeseries.ts, STREAM_ABOVE). */
const STREAM_ABOVE = 65536;

type Expected = Array<[number, number]>;

const saw = (i: number): number => i % 1000;
const lin = (i: number): number => i;

/** The points t = 10 i inside [from, to] with the value function `value`, optionally kept by `keep`. */
function points(from: number, to: number, value: (i: number) => number, keep: (v: number) => boolean = () => true): Expected {
  const out: Expected = [];
  for (let i = Math.max(0, Math.ceil(from / 10)); i < N && i * 10 <= to; i++) if (keep(value(i))) out.push([i * 10, value(i)]);
  return out;
}

/** AGGREGATION avg `d` (ALIGN 0) over time-ordered points: [bucket start, mean] in time order. */
function avg(pts: Expected, d: number): Expected {
  return avgBuckets(pts, d);
}

/**
 * AGGREGATION twa `d` [EMPTY] over a series whose samples lie on the line v = t / 10 on both sides of [from, to]:
 * every bucket's time-weighted average is the line's mean over the bucket's frame [max(s, from), min(s + d, to)],
 * its midpoint (the sample's value when the frame is one instant). With from, to and d multiples of 5 every step the
 * server takes is exact, so the values must agree to the last bit.
 */
function twaLine(from: number, to: number, d: number, empty: boolean): Expected {
  const out: Expected = [];
  for (let s = from - (from % d); s <= to; s += d) {
    const fa = Math.max(s, from);
    const fb = Math.min(s + d, to);
    const hasSample = Math.ceil(fa / 10) * 10 <= Math.min(s + d - 1, to);
    if (hasSample || empty) out.push([s, fa === fb ? fa / 10 : (fa + fb) / 20]);
  }
  return out;
}

function ordered(e: Expected, reverse: boolean, count = Infinity): Expected {
  return (reverse ? [...e].reverse() : e).slice(0, count);
}

/** Where a reply ([timestamp, "value"] pairs) first differs from the expected samples; undefined when it does not. */
function firstDiff(got: Array<[number, string]>, want: Expected): string | undefined {
  if (got.length !== want.length) return `${got.length} samples, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (Number(got[i][0]) !== want[i][0] || Number(got[i][1]) !== want[i][1]) return `at ${i}: ${JSON.stringify(got[i])}, want ${JSON.stringify(want[i])}`;
  }
  return undefined;
}

/** A RESP2 range reply's samples, read from its bytes; throws unless the header's count is what follows it. */
function parseRange(text: string): Array<[number, string]> {
  const head = /^\*(\d+)\r\n/.exec(text);
  if (!head) throw new Error(`not an array: ${JSON.stringify(text.slice(0, 40))}`);
  const out: Array<[number, string]> = [];
  const re = /\*2\r\n:(-?\d+)\r\n\+([^\r]*)\r\n/y;
  let pos = head[0].length;
  for (let m = ((re.lastIndex = pos), re.exec(text)); m; m = re.exec(text)) {
    out.push([Number(m[1]), m[2]]);
    pos = re.lastIndex;
  }
  if (pos !== text.length) throw new Error(`not a sample at byte ${pos}: ${JSON.stringify(text.slice(pos, pos + 40))}`);
  if (out.length !== Number(head[1])) throw new Error(`header says ${head[1]} samples, ${out.length} follow`);
  return out;
}


async function load(c: Redis, key: string, value: (i: number) => number): Promise<void> {
  for (let i = 0; i < N; i += 10_000) {
    const args: Array<string | number> = [];
    for (let j = i; j < i + 10_000; j++) args.push(key, j * 10, value(j));
    await c.call("TS.MADD", ...args.map(String));
  }
}

describe("streamed filtered and aggregated ranges", () => {
  let t: TestServer;
  let c: Redis;
  const range = async (cmd: string, ...args: Array<string | number>): Promise<Array<[number, string]>> =>
    (await c.call(cmd, ...args.map(String))) as Array<[number, string]>;

  beforeAll(async () => {
    t = await startTestServer();
    c = t.client();
    await c.call("TS.CREATE", "saw", "LABELS", "grp", "q", "shape", "saw");
    await c.call("TS.CREATE", "lin", "LABELS", "grp", "q", "shape", "lin");
    await c.call("TS.CREATE", "w2", "DUPLICATE_POLICY", "LAST", "LABELS", "shape", "w2");
    await load(c, "saw", saw);
    await load(c, "lin", lin);
    await load(c, "w2", lin);
    await c.call("TSKV.FLUSH");
  }, 120_000);
  afterAll(async () => t.stop());

  describe.each([false, true])("reverse %s", (reverse) => {
    const cmd = reverse ? "TS.REVRANGE" : "TS.RANGE";

    it.each([Infinity, 70_000])("FILTER_BY_VALUE, COUNT %d", async (count) => {
      const want = ordered(points(0, Infinity, saw, (v) => v >= 100 && v <= 499), reverse, count);
      expect(want.length).toBeGreaterThan(STREAM_ABOVE);
      const reply = await range(cmd, "saw", "-", "+", "FILTER_BY_VALUE", 100, 499, ...(count < Infinity ? ["COUNT", count] : []));
      expect(firstDiff(reply, want)).toBeUndefined();
    });

    it.each([Infinity, 70_000])("AGGREGATION avg over small buckets, COUNT %d", async (count) => {
      const want = ordered(avg(points(12_345, 1_876_545, saw), 20), reverse, count);
      expect(want.length).toBeGreaterThan(STREAM_ABOVE);
      const reply = await range(cmd, "saw", 12_345, 1_876_545, ...(count < Infinity ? ["COUNT", count] : []), "AGGREGATION", "avg", 20);
      expect(firstDiff(reply, want)).toBeUndefined();
    });

    it.each([Infinity, 70_000])("AGGREGATION twa, the frame edges interpolated with the neighbours outside the range, COUNT %d", async (count) => {
      // from and to fall inside buckets, between samples: the first and last buckets need the samples beyond them.
      const [from, to] = [10_005, 1_989_995];
      const want = ordered(twaLine(from, to, 20, false), reverse, count);
      expect(want.length).toBeGreaterThan(STREAM_ABOVE);
      const reply = await range(cmd, "lin", from, to, "AGGREGATION", "twa", 20, ...(count < Infinity ? ["COUNT", count] : []));
      expect(firstDiff(reply, want)).toBeUndefined();
    });

    it.each([Infinity, 70_000])("AGGREGATION twa EMPTY, empty buckets at both ends reaching the neighbours, COUNT %d", async (count) => {
      const [from, to] = [1_000_005, 1_500_005];
      const all = twaLine(from, to, 5, true);
      expect(all[0]).toEqual([1_000_005, 100_000.75]); // an empty bucket before the first sample
      const want = ordered(all, reverse, count);
      expect(want.length).toBeGreaterThan(STREAM_ABOVE);
      const reply = await range(cmd, "lin", from, to, ...(count < Infinity ? ["COUNT", count] : []), "AGGREGATION", "twa", 5, "EMPTY");
      expect(firstDiff(reply, want)).toBeUndefined();
    });

    it.each([2, 3])("RESP%d: TS.MRANGE / TS.MREVRANGE stream each series' filtered and aggregated samples", async (protocol) => {
      const m = t.client({ protocol });
      const reply = (await m.call(reverse ? "TS.MREVRANGE" : "TS.MRANGE", "-", "+", "FILTER_BY_VALUE", "100", "199999", "COUNT", "90000", "AGGREGATION", "avg", "20", "FILTER", "grp=q")) as unknown[];
      // RESP2 [key, labels, samples] per series; RESP3 a map key -> [labels, meta, samples].
      const byKey = new Map<string, Array<[number, string]>>();
      if (protocol === 2) for (const e of reply as unknown[][]) byKey.set(String(e[0]), e[2] as Array<[number, string]>);
      else for (let i = 0; i < reply.length; i += 2) byKey.set(String(reply[i]), (reply[i + 1] as unknown[])[2] as Array<[number, string]>);
      expect([...byKey.keys()]).toEqual(["lin", "saw"]);
      const keep = (v: number): boolean => v >= 100 && v <= 199_999;
      expect(firstDiff(byKey.get("lin") ?? [], ordered(avg(points(0, Infinity, lin, keep), 20), reverse, 90_000))).toBeUndefined();
      expect(firstDiff(byKey.get("saw") ?? [], ordered(avg(points(0, Infinity, saw, keep), 20), reverse, 90_000))).toBeUndefined();
    });
  });

  it.each([2, 3])("RESP%d: a streamed reply has the same bytes as the same query over four sub-ranges built at once", async (proto) => {
    // Each quarter holds 50 000 samples, below the streaming threshold; the whole range is above it. The quarters
    // split on bucket boundaries, so their replies together are the whole reply.
    const quarter = (N * 10) / 4;
    const queries: Array<Array<string | number>> = [
      ["FILTER_BY_VALUE", 100, 499],
      ["AGGREGATION", "avg", 20],
      ["FILTER_BY_VALUE", 100, 899, "AGGREGATION", "sum", 20],
    ];
    const conn = new RawConn(t.port);
    const cmds: Array<Array<string | number>> = proto === 3 ? [["HELLO", 3]] : [];
    for (const q of queries) {
      for (const cmd of ["TS.RANGE", "TS.REVRANGE"]) {
        cmds.push([cmd, "saw", 0, N * 10 - 1, ...q]);
        const quarters = [0, 1, 2, 3].map((k) => [cmd, "saw", k * quarter, (k + 1) * quarter - 1, ...q]);
        cmds.push(...(cmd === "TS.REVRANGE" ? quarters.reverse() : quarters));
      }
    }
    conn.send(...cmds);
    const replies = (await conn.replies(cmds.length)).slice(proto === 3 ? 1 : 0);
    conn.sock.destroy();
    for (let i = 0; i < replies.length; i += 5) {
      const head = /^\*(\d+)\r\n/;
      const n = Number(head.exec(replies[i])?.[1]);
      expect(n).toBeGreaterThan(STREAM_ABOVE);
      const parts = replies.slice(i + 1, i + 5);
      const total = parts.reduce((a, p) => a + Number(head.exec(p)?.[1]), 0);
      expect(n).toBe(total);
      // Compared as booleans first: a failing toBe on megabytes of text prints them all.
      const same = replies[i] === `*${total}\r\n` + parts.map((p) => p.replace(head, "")).join("");
      expect({ query: cmds[(proto === 3 ? 1 : 0) + i].join(" "), same }).toEqual({ query: cmds[(proto === 3 ? 1 : 0) + i].join(" "), same: true });
    }
  }, 60_000);

  const paused = (name: string, ...cmds: Array<Array<string | number>>): ReturnType<typeof pausedConn> => pausedConn(t, name, ...cmds);

  it("paces a client that does not read an aggregated reply, then sends all of it", async () => {
    const want = twaLine(0, (N - 1) * 10, 5, true);
    const { conn, held } = await paused("pacing", ["TS.RANGE", "lin", 0, (N - 1) * 10, "AGGREGATION", "twa", 5, "EMPTY"]);
    // The whole reply is ~10 MB; held back by the paused socket, the server keeps only a streaming window of it.
    expect(held()).toBeGreaterThan(0);
    expect(held()).toBeLessThan(2 * 1024 * 1024);
    conn.sock.resume();
    const [setname, reply] = await conn.replies(2);
    conn.sock.destroy();
    expect(setname).toBe("+OK\r\n");
    expect(reply.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(firstDiff(parseRange(reply), want)).toBeUndefined();
  }, 30_000);

  /** Changes the newer part of a series loaded with `lin` in every way a write can, in stored chunks and in the newest one (in memory). */
  async function rewrite(key: string): Promise<void> {
    expect(await c.call("TS.DEL", key, 1_500_000, 1_700_000)).toBe(20_001);
    expect(await c.call("TS.DEL", key, 1_999_500, 1_999_600)).toBe(11);
    const over: Array<string | number> = [];
    for (let k = 0; k < 5000; k++) over.push(key, 1_400_000 + k * 10, -1);
    for (let k = 0; k < 100; k++) over.push(key, 1_998_000 + k * 10, -1);
    await c.call("TS.MADD", ...over.map(String));
    await c.call("TS.ADD", key, 1_600_005, 7);
    await c.call("TS.ADD", key, 1_999_995, 7);
    await c.call("TSKV.FLUSH");
  }

  it.each([
    ["while it writes", 0],
    ["while it counts", 8],
  ])("writes to the series %s do not reach the reply: the count and the samples are the captured ones", async (_, fillers) => {
    // Replies built at once ahead of it (~1.4 MB each) fill the socket, so the streamed reply waits for the client
    // before it has finished counting; without them it waits while writing its first part.
    const [from, to] = [0, (N - 1) * 10];
    const want = twaLine(from, to, 5, true);
    const filler = ["TS.RANGE", "lin", 0, 599_990];
    const cmds = [...Array.from({ length: fillers }, () => filler), ["TS.RANGE", "w", from, to, "AGGREGATION", "twa", 5, "EMPTY"]];
    await c.call("DEL", "w");
    await c.call("TS.CREATE", "w", "DUPLICATE_POLICY", "LAST");
    await load(c, "w", lin);
    await c.call("TSKV.FLUSH");
    const { conn, held } = await paused(`writes-${fillers}`, ...cmds);
    expect(held()).toBeGreaterThan(0);
    await rewrite("w");
    expect(held()).toBeGreaterThan(0);
    conn.sock.resume();
    const replies = await conn.replies(cmds.length + 1);
    conn.sock.destroy();
    for (const r of replies.slice(1, -1)) expect(parseRange(r)).toHaveLength(60_000);
    expect(firstDiff(parseRange(replies[replies.length - 1]), want)).toBeUndefined();
    // The writes happened: a new query sees them.
    expect(await range("TS.RANGE", "w", 1_500_000, 1_700_000)).toEqual([[1_600_005, "7"]]);
  }, 30_000);

  it("TS.MRANGE: a series written while an earlier one's reply is paused answers as it was when the command ran", async () => {
    // "lin" streams first; "w2" is counted and written only after the client reads "lin"'s samples.
    const [from, to] = [0, (N - 1) * 10];
    const want = twaLine(from, to, 5, true);
    const { conn, held } = await paused("mrange-writes", ["TS.MRANGE", from, to, "AGGREGATION", "twa", 5, "EMPTY", "FILTER", "shape=(lin,w2)"]);
    expect(held()).toBeGreaterThan(0);
    await rewrite("w2");
    expect(held()).toBeGreaterThan(0);
    conn.sock.resume();
    const [, reply] = await conn.replies(2);
    conn.sock.destroy();
    const first = "*2\r\n*3\r\n$3\r\nlin\r\n*0\r\n";
    const second = "*3\r\n$2\r\nw2\r\n*0\r\n";
    expect(reply.startsWith(first)).toBe(true);
    const at = reply.indexOf(second);
    expect(at).toBeGreaterThan(0);
    expect(firstDiff(parseRange(reply.slice(first.length, at)), want)).toBeUndefined();
    expect(firstDiff(parseRange(reply.slice(at + second.length)), want)).toBeUndefined();
  }, 30_000);
});

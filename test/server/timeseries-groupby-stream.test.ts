// Long TS.MRANGE / TS.MREVRANGE … GROUPBY label REDUCE reducer replies stream: every reducer's samples checked against
// values computed here from the inserted data (RESP2 and RESP3), the same bytes as the same query answered in pieces
// small enough to be built at once, a paused reader keeps the server's output bounded, and writes made while the
// reply is paused do not reach it.
import type { ClientView } from "../../src/server/context";
import { startTestServer, TestServer } from "../helpers/server";
import { enc, pausedConn, RawConn } from "../helpers/raw-conn";
import { avgBuckets } from "../helpers/series-ref";

/** Points per series. */
const N = 80_000;
/** Above this many samples a reply streams (src/server/commands/timeseries.ts, STREAM_ABOVE). */
const STREAM_ABOVE = 65536;

type Points = Array<[number, number]>;

/**
 * The series, in key order, with their g label. In g=x, "b"'s odd multiples of 15 fall on "c"'s timestamps and its
 * even ones on "a"'s, so most timestamps reduce two values; past 800 000 only "b" has samples. In g=y, "e" has
 * every other timestamp of "d". "f" matches the filter but has no g label, so it is in no group. Values are
 * multiples of 1/8, so sums (and means) are exact whatever the order of the additions.
 */
const SERIES: Array<{ key: string; g: string | undefined; points: Points }> = [
  { key: "a", g: "x", points: grid(N, (i) => [10 * i, i % 1000]) },
  { key: "b", g: "x", points: grid(N, (i) => [15 * i, (i % 500) / 4]) },
  { key: "c", g: "x", points: grid(N, (i) => (i % 3 === 0 ? undefined : [10 * i + 5, -(i % 64) / 8])) },
  { key: "d", g: "y", points: grid(N, (i) => [10 * i, i % 100]) },
  { key: "e", g: "y", points: grid(N / 2, (i) => [20 * i, 7.5]) },
  { key: "f", g: undefined, points: grid(N, (i) => [10 * i, 1]) },
];

/**
 * The group of the pacing tests (g=q): two series of two samples each, ~20 000 000 ms apart. With AGGREGATION sum 10
 * EMPTY they give a bucket every 10 ms in between (sum 0 where a series has no sample), so the group's reply has
 * 2 000 001 samples, ~40 MB in RESP2: more than the sockets between client and server take (their buffers grow to
 * tens of MB on loopback), so a reply built whole would show in the server's held output.
 */
const PACED = [
  { key: "q1", points: [[0, 1], [19_999_990, 2]] as Points },
  { key: "q2", points: [[10, 3], [20_000_000, 4]] as Points },
];
const PACED_QUERY = ["AGGREGATION", "sum", 10, "EMPTY"];

/** Checks the g=q group's samples (their count, and their RESP2 bytes after it) one by one; what is wrong, or undefined. */
function pacedDiff(n: number, body: string): string | undefined {
  if (n !== 2_000_001) return `${n} samples`;
  const want = new Map([
    [0, "1"],
    [10, "3"],
    [19_999_990, "2"],
    [20_000_000, "4"],
  ]);
  const re = /\*2\r\n:(\d+)\r\n\+(\d+)\r\n/y;
  for (let t = 0; t <= 20_000_000; t += 10) {
    const at = re.lastIndex;
    const m = re.exec(body);
    if (!m || Number(m[1]) !== t || m[2] !== (want.get(t) ?? "0")) return `at ${t}: ${JSON.stringify(body.slice(at, at + 40))}`;
  }
  return re.lastIndex === body.length ? undefined : `${body.length - re.lastIndex} bytes after the samples`;
}

function grid(n: number, at: (i: number) => [number, number] | undefined): Points {
  const out: Points = [];
  for (let i = 0; i < n; i++) {
    const p = at(i);
    if (p) out.push(p);
  }
  return out;
}

type Reducer = "sum" | "min" | "max" | "avg" | "range" | "count" | "std.p" | "std.s" | "var.p" | "var.s";
const REDUCERS: Reducer[] = ["sum", "min", "max", "avg", "range", "count", "std.p", "std.s", "var.p", "var.s"];
/** Reducers whose results are exact here (sums of multiples of 1/8); the spreads are compared to 1e-12 relative. */
const EXACT = new Set<Reducer>(["sum", "min", "max", "avg", "range", "count"]);

function reduceValues(type: Reducer, vs: number[]): number {
  const n = vs.length;
  const sum = vs.reduce((a, v) => a + v, 0);
  const mean = sum / n;
  const sq = vs.reduce((a, v) => a + (v - mean) ** 2, 0);
  switch (type) {
    case "sum":
      return sum;
    case "min":
      return Math.min(...vs);
    case "max":
      return Math.max(...vs);
    case "avg":
      return mean;
    case "range":
      return Math.max(...vs) - Math.min(...vs);
    case "count":
      return n;
    case "var.p":
      return sq / n;
    case "std.p":
      return Math.sqrt(sq / n);
    case "var.s":
      return n === 1 ? 0 : sq / (n - 1);
    case "std.s":
      return n === 1 ? 0 : Math.sqrt(sq / (n - 1));
  }
}

/** GROUPBY … REDUCE computed here: per timestamp, the values of the group's series (each prepared by `per`) reduced. */
function grouped(group: string, type: Reducer, reverse: boolean, per: (p: Points) => Points = (p) => p, count = Infinity): Points {
  const byTs = new Map<number, number[]>();
  for (const s of SERIES.filter((x) => x.g === group)) {
    for (const [t, v] of per(s.points)) {
      const list = byTs.get(t);
      if (list) list.push(v);
      else byTs.set(t, [v]);
    }
  }
  const ts = [...byTs.keys()].sort((a, b) => (reverse ? b - a : a - b));
  return ts.slice(0, count).map((t) => [t, reduceValues(type, byTs.get(t) as number[])]);
}

/** AGGREGATION avg `d` (ALIGN 0) over time-ordered points. */
function avg(d: number): (p: Points) => Points {
  return (pts) => avgBuckets(pts, d);
}

// ---- reading replies -------------------------------------------------------------------------------------------

/** The end of the RESP value at `p`. */
function skip(s: string, p: number): number {
  const e = s.indexOf("\r\n", p);
  const n = Number(s.slice(p + 1, e));
  switch (s[p]) {
    case "$":
    case "=":
      return n < 0 ? e + 2 : e + 2 + n + 2;
    case "*":
    case "~": {
      let q = e + 2;
      for (let i = 0; i < n; i++) q = skip(s, q);
      return q;
    }
    case "%": {
      let q = e + 2;
      for (let i = 0; i < 2 * n; i++) q = skip(s, q);
      return q;
    }
    default:
      return e + 2;
  }
}

type Value = string | number | null | Value[];

/** The RESP value at `p` (maps as arrays of their keys and values, bulk and simple strings and doubles as text). */
function parse(s: string, p: number): [Value, number] {
  const e = s.indexOf("\r\n", p);
  const head = s.slice(p + 1, e);
  switch (s[p]) {
    case "$": {
      const n = Number(head);
      return n < 0 ? [null, e + 2] : [s.slice(e + 2, e + 2 + n), e + 4 + n];
    }
    case ":":
      return [Number(head), e + 2];
    case "*":
    case "%": {
      const out: Value[] = [];
      let q = e + 2;
      for (let i = 0; i < (s[p] === "%" ? 2 : 1) * Number(head); i++) {
        const [v, next] = parse(s, q);
        out.push(v);
        q = next;
      }
      return [out, q];
    }
    case "_":
      return [null, e + 2];
    default:
      return [head, e + 2];
  }
}

interface Group {
  name: string;
  labels: Value;
  /** RESP3 only: the reducers and sources maps. */
  meta: Value[];
  samples: Array<[number, string]>;
}

/** A grouped reply's groups, RESP2 ([name, labels, samples] each) or RESP3 (a map name -> [labels, reducers, sources, samples]). */
function groupsOf(text: string): Group[] {
  const [top, end] = parse(text, 0);
  if (end !== text.length) throw new Error(`${text.length - end} bytes after the reply`);
  const out: Group[] = [];
  const list = top as Value[];
  if (text[0] === "*") {
    for (const g of list as Value[][]) out.push({ name: g[0] as string, labels: g[1], meta: [], samples: g[2] as Array<[number, string]> });
  } else {
    for (let i = 0; i < list.length; i += 2) {
      const body = list[i + 1] as Value[];
      out.push({ name: list[i] as string, labels: body[0], meta: body.slice(1, 3), samples: body[3] as Array<[number, string]> });
    }
  }
  return out;
}

/** Where a group's samples first differ from the expected ones; undefined when they do not. */
function firstDiff(got: Array<[number, string]>, want: Points, exact: boolean): string | undefined {
  if (got.length !== want.length) return `${got.length} samples, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [t, v] = [got[i][0], Number(got[i][1])];
    const same = exact ? v === want[i][1] : Math.abs(v - want[i][1]) <= 1e-12 * Math.max(1, Math.abs(want[i][1]));
    if (t !== want[i][0] || !same) return `at ${i}: ${JSON.stringify(got[i])}, want ${JSON.stringify(want[i])}`;
  }
  return undefined;
}

/**
 * A grouped reply cut into its parts: the top header, and per group the bytes before its samples, their count and
 * their bytes (without the count).
 */
function split(text: string): { top: string; groups: Array<{ prefix: string; n: number; body: string }> } {
  const topEnd = text.indexOf("\r\n") + 2;
  const groups: Array<{ prefix: string; n: number; body: string }> = [];
  const count = Number(text.slice(1, topEnd - 2));
  let p = topEnd;
  for (let i = 0; i < count; i++) {
    const start = p;
    // RESP2: *3 name labels samples. RESP3: name, then *4 labels reducers sources samples.
    let q = text[0] === "*" ? p + "*3\r\n".length : skip(text, p) + "*4\r\n".length;
    for (let k = 0; k < (text[0] === "*" ? 2 : 3); k++) q = skip(text, q);
    const bodyAt = text.indexOf("\r\n", q) + 2;
    p = skip(text, q);
    groups.push({ prefix: text.slice(start, q), n: Number(text.slice(q + 1, bodyAt - 2)), body: text.slice(bodyAt, p) });
  }
  if (p !== text.length) throw new Error(`${text.length - p} bytes after the reply`);
  return { top: text.slice(0, topEnd), groups };
}


describe("streamed GROUPBY … REDUCE", () => {
  let t: TestServer;

  /** The replies to `cmds`, sent in one go on a new connection speaking RESP`proto`. */
  async function ask(proto: 2 | 3, ...cmds: Array<Array<string | number>>): Promise<string[]> {
    const conn = new RawConn(t.port);
    conn.send(...(proto === 3 ? [["HELLO", 3], ...cmds] : cmds));
    const replies = await conn.replies(cmds.length + (proto === 3 ? 1 : 0));
    conn.sock.destroy();
    return replies.slice(proto === 3 ? 1 : 0);
  }

  async function load(key: string, points: Points): Promise<void> {
    const c = t.client();
    for (let i = 0; i < points.length; i += 10_000) {
      const args: Array<string | number> = [];
      for (const [ts, v] of points.slice(i, i + 10_000)) args.push(key, ts, v);
      await c.call("TS.MADD", ...args.map(String));
    }
  }

  beforeAll(async () => {
    t = await startTestServer();
    const c = t.client();
    for (const s of SERIES) {
      await c.call("TS.CREATE", s.key, "LABELS", "kind", "s", ...(s.g ? ["g", s.g] : []));
      await load(s.key, s.points);
    }
    for (const s of PACED) {
      await c.call("TS.CREATE", s.key, "LABELS", "g", "q");
      await load(s.key, s.points);
    }
    await c.call("TSKV.FLUSH");
  }, 120_000);
  afterAll(async () => t.stop());

  it("the data takes the streaming path: each group alone is longer than a reply built at once", () => {
    expect(grouped("x", "sum", false).length).toBeGreaterThan(STREAM_ABOVE);
    expect(grouped("y", "sum", false).length).toBeGreaterThan(STREAM_ABOVE);
  });

  describe.each([false, true])("reverse %s", (reverse) => {
    const cmd = reverse ? "TS.MREVRANGE" : "TS.MRANGE";

    it.each(reverse ? (["sum", "min", "avg", "std.s"] as Reducer[]) : REDUCERS)("RESP2 REDUCE %s: each group's samples are its series' values per timestamp, reduced", async (type) => {
      const [reply] = await ask(2, [cmd, "-", "+", "FILTER", "kind=s", "GROUPBY", "g", "REDUCE", type]);
      const groups = groupsOf(reply);
      expect(groups.map((g) => [g.name, g.labels])).toEqual([
        ["g=x", []],
        ["g=y", []],
      ]);
      expect(firstDiff(groups[0].samples, grouped("x", type, reverse), EXACT.has(type))).toBeUndefined();
      expect(firstDiff(groups[1].samples, grouped("y", type, reverse), EXACT.has(type))).toBeUndefined();
    });

    it.each(["avg", "var.s", "count"] as Reducer[])("RESP3 REDUCE %s WITHLABELS: the reducer and sources, then the samples", async (type) => {
      const [reply] = await ask(3, [cmd, "-", "+", "WITHLABELS", "FILTER", "kind=s", "GROUPBY", "g", "REDUCE", type]);
      const groups = groupsOf(reply);
      expect(groups.map((g) => [g.name, g.labels, g.meta])).toEqual([
        ["g=x", ["g", "x"], [["reducers", [type]], ["sources", ["a", "b", "c"]]]],
        ["g=y", ["g", "y"], [["reducers", [type]], ["sources", ["d", "e"]]]],
      ]);
      expect(firstDiff(groups[0].samples, grouped("x", type, reverse), EXACT.has(type))).toBeUndefined();
      expect(firstDiff(groups[1].samples, grouped("y", type, reverse), EXACT.has(type))).toBeUndefined();
    });

    it("FILTER_BY_VALUE, AGGREGATION and COUNT: filters and buckets per series, then the reduced samples cut to COUNT", async () => {
      const keep = (p: Points): Points => p.filter(([, v]) => v >= 1 && v <= 500);
      const per = (p: Points): Points => avg(20)(keep(p));
      const [reply] = await ask(2, [cmd, "-", "+", "FILTER_BY_VALUE", 1, 500, "COUNT", 50_000, "AGGREGATION", "avg", 20, "FILTER", "g=(x,y)", "GROUPBY", "g", "REDUCE", "max"]);
      const groups = groupsOf(reply);
      // Each series' filtered points bucketed in time order (the same buckets either way), then reduced in reply order.
      const x = grouped("x", "max", reverse, per, 50_000);
      expect(x).toHaveLength(50_000);
      expect(firstDiff(groups[0].samples, x, true)).toBeUndefined();
      expect(firstDiff(groups[1].samples, grouped("y", "max", reverse, per, 50_000), true)).toBeUndefined();
    });
  });

  it.each([2, 3] as const)("RESP%d: a streamed reply has the same bytes as the same query over eight sub-ranges built at once", async (proto) => {
    // The grouped series hold under 65 536 samples in all in each eighth of the time range, so its reply is built at
    // once; the whole range's reply is longer than that, so it streams. The eighths split on bucket boundaries, so
    // their replies together are the whole reply.
    const eighth = 150_000;
    const inputs = (from: number, to: number): number => SERIES.filter((x) => x.g).reduce((a, x) => a + x.points.filter(([ts]) => ts >= from && ts <= to).length, 0);
    const queries: Array<Array<string | number>> = [
      ["WITHLABELS", "FILTER", "kind=s", "GROUPBY", "g", "REDUCE", "sum"],
      ["FILTER_BY_VALUE", 2, 90, "FILTER", "kind=s", "GROUPBY", "g", "REDUCE", "std.p"],
      ["AGGREGATION", "avg", 20, "FILTER", "g=(x,y)", "GROUPBY", "g", "REDUCE", "range"],
    ];
    const cmds: Array<Array<string | number>> = [];
    for (const q of queries) {
      for (const cmd of ["TS.MRANGE", "TS.MREVRANGE"]) {
        cmds.push([cmd, 0, 8 * eighth - 1, ...q]);
        const parts = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => {
          expect(inputs(k * eighth, (k + 1) * eighth - 1)).toBeLessThanOrEqual(STREAM_ABOVE);
          return [cmd, k * eighth, (k + 1) * eighth - 1, ...q];
        });
        cmds.push(...(cmd === "TS.MREVRANGE" ? parts.reverse() : parts));
      }
    }
    const replies = await ask(proto, ...cmds);
    for (let i = 0; i < replies.length; i += 9) {
      const whole = split(replies[i]);
      const parts = replies.slice(i + 1, i + 9).map(split);
      expect(whole.groups.reduce((a, g) => a + g.n, 0)).toBeGreaterThan(STREAM_ABOVE);
      const n = whole.groups.length;
      const rebuilt =
        parts[0].top +
        Array.from({ length: n }, (_, k) => {
          const count = parts.reduce((a, p) => a + p.groups[k].n, 0);
          return parts[0].groups[k].prefix + `*${count}\r\n` + parts.map((p) => p.groups[k].body).join("");
        }).join("");
      // Compared as booleans first: a failing toBe on megabytes of text prints them all.
      const same = replies[i] === rebuilt;
      expect({ query: cmds[i].join(" "), same }).toEqual({ query: cmds[i].join(" "), same: true });
    }
  }, 60_000);

  const paused = (name: string, ...cmds: Array<Array<string | number>>): ReturnType<typeof pausedConn> => pausedConn(t, name, ...cmds);

  it("paces a client that does not read a grouped reply, then sends all of it", async () => {
    const { conn, held } = await paused("pacing", ["TS.MRANGE", "-", "+", ...PACED_QUERY, "FILTER", "g=q", "GROUPBY", "g", "REDUCE", "sum"]);
    // Held back by the paused socket, the server keeps only a streaming window of the ~40 MB reply, and the
    // connection's next command (the PING) waits for the reply to end.
    const me = (): ClientView | undefined => t.server.clientList().find((x) => x.client.name === "pacing");
    expect(held()).toBeGreaterThan(0);
    expect(held()).toBeLessThan(2 * 1024 * 1024);
    expect(me()?.lastCommand).toBe("ts.mrange");
    conn.sock.resume();
    const [setname, reply] = await conn.replies(2);
    conn.sock.destroy();
    expect(setname).toBe("+OK\r\n");
    const { top, groups } = split(reply);
    expect([top, groups[0].prefix]).toEqual(["*1\r\n", "*3\r\n$3\r\ng=q\r\n*0\r\n"]);
    expect(pacedDiff(groups[0].n, groups[0].body)).toBeUndefined();
  }, 60_000);

  it("a group's series written while an earlier group's reply is paused answer as they were when the command ran", async () => {
    // g=q (~40 MB) streams first; "z1" and "z2" (g=z) are merged and written only after the client reads it.
    const c = t.client();
    const z = (k: number): Points => grid(N, (i) => [10 * i + k, i % 7]);
    for (const k of [1, 2]) {
      await c.call("TS.CREATE", `z${k}`, "DUPLICATE_POLICY", "LAST", "LABELS", "g", "z");
      await load(`z${k}`, z(k === 1 ? 0 : 10));
    }
    await c.call("TSKV.FLUSH");
    const want = grid(N + 1, (i) => {
      const vs = [...(i < N ? [i % 7] : []), ...(i > 0 ? [(i - 1) % 7] : [])];
      return [10 * i, vs.reduce((a, v) => a + v, 0)];
    });
    const { conn, held } = await paused("groupby-writes", ["TS.MRANGE", "-", "+", ...PACED_QUERY, "FILTER", "g=(q,z)", "GROUPBY", "g", "REDUCE", "sum"]);
    expect(held()).toBeGreaterThan(0);
    // Every kind of write: deletes in stored chunks, overwrites, new samples in range and past the end.
    expect(await c.call("TS.DEL", "z1", 100_000, 200_000)).toBe(10_001);
    const over: string[] = [];
    for (let k = 0; k < 5000; k++) over.push("z2", String(300_000 + k * 10), "-1");
    await c.call("TS.MADD", ...over);
    await c.call("TS.ADD", "z1", 400_005, 7);
    await c.call("TS.ADD", "z2", 5_000_000, 7);
    await c.call("TSKV.FLUSH");
    expect(held()).toBeGreaterThan(0);
    conn.sock.resume();
    const [, reply] = await conn.replies(2);
    conn.sock.destroy();
    const { groups } = split(reply);
    expect(groups.map((g) => g.prefix)).toEqual(["*3\r\n$3\r\ng=q\r\n*0\r\n", "*3\r\n$3\r\ng=z\r\n*0\r\n"]);
    expect(pacedDiff(groups[0].n, groups[0].body)).toBeUndefined();
    // z's samples are 10 ms apart from the first to the last: its buckets of 10 ms are its samples, none empty.
    const [zs] = parse(`*${groups[1].n}\r\n${groups[1].body}`, 0);
    expect(firstDiff(zs as Array<[number, string]>, want, true)).toBeUndefined();
    // The writes happened: a new query sees them.
    const [now] = await ask(2, ["TS.MRANGE", 100_000, 100_010, "FILTER", "g=z", "GROUPBY", "g", "REDUCE", "sum"]);
    expect(groupsOf(now)[0].samples).toEqual([
      [100_000, String((10_000 - 1) % 7)],
      [100_010, String((10_000 - 0) % 7)],
    ]);
  }, 60_000);
});

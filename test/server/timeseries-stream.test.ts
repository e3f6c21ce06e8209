// Long TS.RANGE/TS.REVRANGE replies stream: exact counts and bounds like the built-at-once path, and a client that
// does not read keeps the server's buffered output bounded (the reply is paced by the socket, not built whole).
import * as net from "node:net";
import { startTestServer, TestServer } from "../helpers/server";

const N = 400_000;
const value = (i: number): string => String((i % 1000) / 10);

describe("streamed TS.RANGE", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const c = t.client();
    await c.call("TS.CREATE", "s", "LABELS", "grp", "a", "name", "first");
    await c.call("TS.CREATE", "s2", "LABELS", "grp", "a", "name", "second");
    for (let i = 0; i < N; i += 10_000) {
      const args: Array<string | number> = [];
      for (let j = i; j < i + 10_000; j++) args.push("s", j * 10, value(j));
      if (i < 100_000) for (let j = i; j < i + 10_000; j++) args.push("s2", j * 10 + 5, value(j + 1));
      await c.call("TS.MADD", ...args);
    }
    await c.call("TSKV.FLUSH");
  }, 60_000);
  afterAll(async () => t.stop());

  it.each([
    [0, N * 10, -1, false],
    [12_345, 3_000_005, -1, false],
    [12_345, 3_000_005, -1, true],
    [0, N * 10, 100_000, true],
    [-1, N * 10, 70_000, false],
  ])("range %d..%d COUNT %d reverse %s returns exactly the stored points", async (from, to, count, reverse) => {
    const c = t.client();
    const args: Array<string | number> = ["s", from < 0 ? "-" : from, to];
    if (count > 0) args.push("COUNT", count);
    const reply = (await c.call(reverse ? "TS.REVRANGE" : "TS.RANGE", ...args)) as Array<[number, string]>;
    const lo = Math.max(0, Math.ceil(Math.max(from, 0) / 10));
    const hi = Math.min(N - 1, Math.floor(to / 10));
    const all = hi - lo + 1;
    const n = count > 0 ? Math.min(count, all) : all;
    expect(reply).toHaveLength(n);
    for (const k of [0, 1, Math.floor(n / 2), n - 1]) {
      const i = reverse ? hi - k : lo + k;
      expect([reply[k][0], Number(reply[k][1])]).toEqual([i * 10, Number(value(i))]);
    }
  });

  it("TS.MRANGE streams series after series with exact counts and labels", async () => {
    const c = t.client();
    const reply = (await c.call("TS.MRANGE", "1000", "2000000", "WITHLABELS", "FILTER", "grp=a")) as unknown[];
    const byKey = new Map<string, unknown[]>();
    // RESP2 [key, labels, samples] per series; RESP3 a map key -> [labels, meta, samples].
    if (Array.isArray(reply[0])) for (const e of reply as unknown[][]) byKey.set(String(e[0]), e);
    else for (let i = 0; i < reply.length; i += 2) byKey.set(String(reply[i]), [reply[i], ...(reply[i + 1] as unknown[])]);
    const s = byKey.get("s") as unknown[];
    const s2 = byKey.get("s2") as unknown[];
    const samples = (e: unknown[]): Array<[number, string]> => e[e.length - 1] as Array<[number, string]>;
    expect(samples(s)).toHaveLength(200_000 - 100 + 1);
    expect(samples(s)[0][0]).toBe(1000);
    expect(samples(s).at(-1)?.[0]).toBe(2_000_000);
    expect(samples(s2)).toHaveLength(100_000 - 100);
    expect(samples(s2)[0][0]).toBe(1005);
    expect(samples(s2).at(-1)?.[0]).toBe(999_995);
    expect(JSON.stringify(s[1])).toContain("first");
  });

  it("paces a client that does not read: server-side output stays bounded, then the whole reply arrives", async () => {
    const sock = net.connect(t.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    sock.write("*4\r\n$8\r\nTS.RANGE\r\n$1\r\ns\r\n$1\r\n-\r\n$1\r\n+\r\n");
    await new Promise((r) => setTimeout(r, 500));
    const me = t.server.clientList().find((x) => x.lastCommand === "ts.range");
    expect(me).toBeDefined();
    // The full reply is ~12 MB; held back by the paused socket, the server keeps only a streaming window of it.
    expect(me?.outputBytes ?? Infinity).toBeLessThan(2 * 1024 * 1024);
    let bytes = 0;
    let tail = "";
    const done = new Promise<void>((resolve) => {
      sock.on("data", (d: Buffer) => {
        bytes += d.length;
        tail = (tail + d.toString("latin1")).slice(-64);
        if (tail.endsWith(`:${(N - 1) * 10}\r\n+99.9\r\n`)) resolve();
      });
    });
    sock.resume();
    await done;
    sock.destroy();
    expect(bytes).toBeGreaterThan(N * 20);
  }, 30_000);
});

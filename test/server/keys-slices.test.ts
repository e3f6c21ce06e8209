// KEYS over many keys walks one snapshot a slice at a time: other clients are answered between slices, the
// connection's later commands keep their order, the answer is the keyspace of the instant KEYS ran, and a client
// that does not read holds only a streaming window of the reply.
import { pausedConn, RawConn } from "../helpers/raw-conn";
import { startTestServer, TestServer } from "../helpers/server";

const N = 200_000;
/** Key names of 40+ bytes: the whole KEYS * reply is ~10 MB, far more than the kernel's socket buffers take. */
const key = (i: number): string => `key:${String(i).padStart(8, "0")}:${"x".repeat(28)}`;

/** The count and the elements of a RESP array of bulk strings at the start of `s`, and what follows it. */
function splitArray(s: string): { keys: string[]; rest: string } {
  const nl = s.indexOf("\r\n");
  const n = Number(s.slice(1, nl));
  const keys: string[] = [];
  let i = nl + 2;
  for (let k = 0; k < n; k++) {
    const e = s.indexOf("\r\n", i);
    const len = Number(s.slice(i + 1, e));
    keys.push(s.slice(e + 2, e + 2 + len));
    i = e + 4 + len;
  }
  return { keys, rest: s.slice(i) };
}

describe("KEYS over many keys", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const c = t.client();
    const batch = 2000;
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i += batch) {
      const args: string[] = [];
      for (let j = i; j < i + batch; j++) args.push(key(j), "v");
      writes.push(c.mset(...args));
    }
    await Promise.all(writes);
  }, 60_000);
  afterAll(async () => {
    await t.stop();
  });

  it("answers another client's PING long before it finishes", async () => {
    const walker = t.client();
    const other = t.client();
    await Promise.all([walker.ping(), other.ping()]);
    // A pattern that walks every key and matches one: the time KEYS takes is the server's walk, not the reply's.
    const started = performance.now();
    let keysDone = 0;
    const keys = walker.keys("key:*7777:*").then((k) => {
      keysDone = performance.now();
      return k;
    });
    const pings: number[] = []; // latency of each PING answered while KEYS ran
    await new Promise((r) => setTimeout(r, 2)); // KEYS is under way
    while (keysDone === 0) {
      const sent = performance.now();
      await other.ping();
      if (keysDone === 0) pings.push(performance.now() - sent);
    }
    expect(await keys).toEqual(Array.from({ length: 20 }, (_, i) => key(i * 10000 + 7777)));
    const took = keysDone - started;
    // Sliced, a PING waits for one slice (a few ms); run whole, KEYS answers first and no PING is answered during it.
    expect({ answeredDuring: pings.length > 0, firstPingFast: (pings[0] ?? took) < took / 4 }).toEqual({ answeredDuring: true, firstPingFast: true });
  }, 60_000);

  it("keeps the order of the connection's later pipelined commands", async () => {
    const reply = await t.raw("*2\r\n$4\r\nKEYS\r\n$5\r\nkey:*\r\n*3\r\n$3\r\nSET\r\n$4\r\nlate\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$4\r\nlate\r\n*1\r\n$4\r\nPING\r\n", (s) => s.endsWith("+PONG\r\n"), 30_000);
    const { keys, rest } = splitArray(reply);
    expect(keys.length).toBe(N);
    expect(rest).toBe("+OK\r\n$1\r\n1\r\n+PONG\r\n");
    // In key order, every one once.
    expect(keys[0]).toBe(key(0));
    expect(keys[N - 1]).toBe(key(N - 1));
    expect(new Set(keys).size).toBe(N);
    expect(await t.client().del("late")).toBe(1);
  }, 60_000);

  it("answers the keyspace of the instant it ran, whatever other clients write while it walks", async () => {
    const walker = t.client();
    const writer = t.client();
    await Promise.all([walker.ping(), writer.ping()]);
    // Walks every key; matches the last ten (key:0019999?:…) and what is written after them.
    const pattern = "key:0019999?:*";
    const before = Array.from({ length: 10 }, (_, i) => key(N - 10 + i));
    let keysDone = false;
    const keys = walker.keys(pattern).then((k) => {
      keysDone = true;
      return k;
    });
    await new Promise((r) => setTimeout(r, 2));
    // Matching keys the walk has not reached yet go away, a new one comes after them, one gets an expiry in the past.
    const added = `${key(N - 1)}:new`;
    await writer.del(key(N - 1), key(N - 2));
    await writer.set(added, "new");
    await writer.pexpire(key(N - 3), 1);
    const writesDoneDuringWalk = !keysDone;
    const got = await keys;
    expect(writesDoneDuringWalk).toBe(true);
    expect(got).toEqual(before);
    expect(await walker.keys(pattern)).toEqual([...before.slice(0, 7), added].filter((k) => k !== key(N - 3)));
    // Put back as the other tests expect.
    await writer.del(added);
    await writer.mset(key(N - 1), "v", key(N - 2), "v", key(N - 3), "v");
  }, 60_000);

  it("holds only a streaming window of the reply for a client that does not read, then sends all of it", async () => {
    const { conn, held } = await pausedConn(t, "keys-paused", ["KEYS", "key:*"]);
    // The whole reply is ~10 MB; the server keeps the walk's window, the socket the rest of what it took.
    expect(held()).toBeGreaterThan(0);
    expect(held()).toBeLessThan(1024 * 1024);
    const me = t.server.clientList().find((x) => x.client.name === "keys-paused");
    expect(me?.lastCommand).toBe("keys");
    conn.sock.resume();
    const [setname, reply] = await conn.replies(2);
    conn.sock.destroy();
    expect(setname).toBe("+OK\r\n");
    const { keys, rest } = splitArray(reply);
    expect(rest).toBe("");
    expect(keys.length).toBe(N);
    expect(keys[12345]).toBe(key(12345));
  }, 60_000);

  it("still answers a small KEYS in the same turn (one slice, no second walk)", async () => {
    const c = t.client();
    expect(await c.keys("key:0000000?:*")).toEqual(Array.from({ length: 10 }, (_, i) => key(i)));
    expect(await c.keys("nothing*")).toEqual([]);
    // RawConn sends a PING after each command: the replies come in order.
    const conn = new RawConn(t.port);
    conn.send(["KEYS", "key:00000001:*"], ["KEYS", "nope"]);
    expect(await conn.replies(2)).toEqual([`*1\r\n$${key(1).length}\r\n${key(1)}\r\n`, "*0\r\n"]);
    conn.sock.destroy();
  });
});

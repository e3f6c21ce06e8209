// One suite over both socket layers: an echo server built on the IoBackend contract.
import * as net from "node:net";
import { createIoBackend, epollAvailable } from "../../../src/server/io";
import type { IoBackend, IoBackendName } from "../../../src/server/io/types";

const names: IoBackendName[] = epollAvailable() ? ["epoll", "net"] : ["net"];
if (!epollAvailable()) console.log("epoll reactor not in this build: io tests run on net only");

interface Echo {
  backend: IoBackend;
  port: number;
  opens: number[];
  closes: number[];
  drains: number[];
  turns: number;
  /** Ids whose data is not echoed but counted. */
  sink: Map<number, number>;
}

async function startEcho(name: IoBackendName): Promise<Echo> {
  const backend = createIoBackend(name);
  const e: Echo = { backend, port: 0, opens: [], closes: [], drains: [], turns: 0, sink: new Map() };
  let pendingOut = new Map<number, Buffer[]>();
  const { port } = await backend.listen("127.0.0.1", 0, {
    onOpen: (id) => e.opens.push(id),
    onData: (id, data) => {
      if (e.sink.has(id)) {
        e.sink.set(id, (e.sink.get(id) ?? 0) + data.length);
        return;
      }
      const copy = Buffer.from(data); // data is only valid during the call
      const list = pendingOut.get(id) ?? [];
      list.push(copy);
      pendingOut.set(id, list);
    },
    onClose: (id) => e.closes.push(id),
    onTurnEnd: () => {
      e.turns++;
      const out = pendingOut;
      pendingOut = new Map();
      for (const [id, chunks] of out) backend.write(id, chunks);
    },
    onDrain: (id) => e.drains.push(id),
  });
  e.port = port;
  return e;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

function readExactly(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    const on = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        s.off("data", on);
        resolve(Buffer.concat(parts));
      }
    };
    s.on("data", on);
  });
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.each(names)("io backend %s", (name) => {
  let e: Echo;
  beforeEach(async () => {
    e = await startEcho(name);
  });
  afterEach(async () => {
    await e.backend.destroy();
  });

  it("echoes to many concurrent clients", async () => {
    const socks = await Promise.all(Array.from({ length: 50 }, () => connect(e.port)));
    const replies = await Promise.all(
      socks.map((s, i) => {
        const msg = Buffer.from(`hello ${i} `.repeat(100));
        const r = readExactly(s, msg.length);
        s.write(msg);
        return r.then((b) => b.equals(msg));
      }),
    );
    expect(replies.every(Boolean)).toBe(true);
    expect(new Set(e.opens).size).toBe(50);
    for (const s of socks) s.destroy();
    await until(() => e.closes.length === 50);
  });

  it("a message larger than one read (several MiB sent at once) arrives whole", async () => {
    // The epoll backend reads at most 256 KiB a connection a turn and is edge-triggered: the rest must still come.
    const s = await connect(e.port);
    const msg = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < msg.length; i++) msg[i] = (i * 13) & 0xff;
    const got = readExactly(s, msg.length);
    s.write(msg);
    expect((await got).equals(msg)).toBe(true);
    s.destroy();
  });

  it("a client that half-closes after sending gets its reply, then its close is reported", async () => {
    const s = await connect(e.port);
    await until(() => e.opens.length === 1);
    const ended = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      s.on("data", (d) => parts.push(d));
      s.on("end", () => resolve(Buffer.concat(parts)));
    });
    s.end("last words");
    await until(() => e.closes.length === 1);
    expect(e.closes).toEqual([e.opens[0]]);
    expect((await ended).toString()).toBe("last words");
  });

  it("queues output for a slow reader, drains, and delivers it intact", async () => {
    const s = await connect(e.port);
    s.pause();
    await until(() => e.opens.length === 1);
    const id = e.opens[0];
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    e.backend.write(id, [big.subarray(0, 1000), big.subarray(1000)]);
    expect(e.backend.pendingBytes(id)).toBeGreaterThan(0);
    const got = readExactly(s, big.length);
    s.resume();
    expect((await got).equals(big)).toBe(true);
    await until(() => e.backend.pendingBytes(id) === 0);
    if (name === "epoll") await until(() => e.drains.includes(id));
    s.destroy();
  });

  it("pause stops data and resume brings it", async () => {
    const s = await connect(e.port);
    await until(() => e.opens.length === 1);
    const id = e.opens[0];
    e.sink.set(id, 0);
    e.backend.pause(id);
    s.write(Buffer.alloc(1000, 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(e.sink.get(id)).toBe(0);
    e.backend.resume(id);
    await until(() => e.sink.get(id) === 1000);
    s.destroy();
  });

  it("graceful close sends pending output first; the peer's close is reported once", async () => {
    const s = await connect(e.port);
    await until(() => e.opens.length === 1);
    const id = e.opens[0];
    const ended = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      s.on("data", (d) => parts.push(d));
      s.on("end", () => resolve(Buffer.concat(parts)));
    });
    e.backend.write(id, [Buffer.from("bye\r\n")]);
    e.backend.close(id, true);
    expect((await ended).toString()).toBe("bye\r\n");
    await until(() => e.closes.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.closes).toEqual([id]);
  });

  it("a peer reset gives exactly one close", async () => {
    const s = await connect(e.port);
    await until(() => e.opens.length === 1);
    s.resetAndDestroy();
    await until(() => e.closes.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.closes.length).toBe(1);
  });

  it("timers keep firing while connections are live", async () => {
    const socks = await Promise.all(Array.from({ length: 5 }, () => connect(e.port)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    for (let i = 0; i < 20; i++) {
      for (const s of socks) s.write("x");
      await new Promise((r) => setTimeout(r, 5));
    }
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
    for (const s of socks) s.destroy();
  });

  it("writeRuns gives each connection its own range, queues what a slow reader leaves and reports it", async () => {
    const slow = await connect(e.port);
    slow.pause();
    await until(() => e.opens.length === 1);
    const fast = await connect(e.port);
    await until(() => e.opens.length === 2);
    const [slowId, fastId] = e.opens;
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    const small = Buffer.from("xx+OK\r\nyy");
    const pending = new Float64Array(3).fill(-5);
    const gotFast = readExactly(fast, 5);
    // The third connection does not exist: it gets 0 pending bytes, and the others are written all the same.
    e.backend.writeRuns(3, Int32Array.of(slowId, fastId, 999_999), [big, small, small], Int32Array.of(100, big.length, 2, 7, 0, 2), pending);
    expect((await gotFast).toString()).toBe("+OK\r\n");
    expect(pending[0]).toBeGreaterThan(0);
    expect(pending[0]).toBe(e.backend.pendingBytes(slowId));
    expect(pending[1]).toBe(0);
    expect(pending[2]).toBe(0);
    const gotSlow = readExactly(slow, big.length - 100);
    slow.resume();
    expect((await gotSlow).equals(big.subarray(100))).toBe(true);
    await until(() => e.backend.pendingBytes(slowId) === 0);
    slow.destroy();
    fast.destroy();
  });

  if (name === "epoll") {
    it("writeRuns checks every range before writing any (a bad one is a TypeError and nothing is sent)", async () => {
      const s = await connect(e.port);
      await until(() => e.opens.length === 1);
      const id = e.opens[0];
      const got: Buffer[] = [];
      s.on("data", (d) => got.push(d));
      const b = Buffer.from("hello");
      const out = new Float64Array(2);
      const bad: Array<[Int32Array, string]> = [
        // each a range for the second buffer: the first one is fine, and must not go out either
        [Int32Array.of(0, 5, 2, 6), "past the end"],
        [Int32Array.of(0, 5, 3, 2), "end before start"],
        [Int32Array.of(0, 5, -1, 2), "negative start"],
      ];
      // (The addon's errors come from Node's own realm, not jest's: matched by name and message.)
      const typeError = { name: "TypeError", message: expect.stringMatching(/^Reactor\.writeRuns: /) };
      for (const [bounds] of bad) {
        expect(() => e.backend.writeRuns(2, Int32Array.of(id, id), [b, b], bounds, out)).toThrow(expect.objectContaining(typeError));
      }
      expect(() => e.backend.writeRuns(3, Int32Array.of(id, id), [b, b], Int32Array.of(0, 5, 0, 5), out)).toThrow(expect.objectContaining(typeError));
      expect(() => e.backend.writeRuns(1, Int32Array.of(id), ["hello" as unknown as Buffer], Int32Array.of(0, 5), out)).toThrow(expect.objectContaining(typeError));
      // Typed arrays of wider elements are refused too: their lengths are not byte counts.
      expect(() => e.backend.writeRuns(1, Int32Array.of(id), [new Uint16Array(8) as unknown as Buffer], Int32Array.of(0, 5), out)).toThrow(expect.objectContaining(typeError));
      // The connection still works and got nothing from the refused calls.
      e.backend.writeRuns(1, Int32Array.of(id), [b], Int32Array.of(1, 4), out);
      await until(() => Buffer.concat(got).length >= 3);
      await new Promise((r) => setTimeout(r, 50));
      expect(Buffer.concat(got).toString()).toBe("ell");
      s.destroy();
    });
  }

  it("a busy port is refused with EADDRINUSE", async () => {
    const other = createIoBackend(name);
    const noop = { onOpen: () => undefined, onData: () => undefined, onClose: () => undefined, onTurnEnd: () => undefined, onDrain: () => undefined };
    await expect(other.listen("127.0.0.1", e.port, noop)).rejects.toMatchObject({ code: "EADDRINUSE" });
    await other.destroy();
  });
});

// A connection decodes up to 64 pipelined commands ahead of running them (so their key lookups can be prefetched
// together). What a client must not notice: replies in order, commands before a protocol error all answered, and
// commands decoded behind one that holds the connection still run with their own arguments after it, although the
// read buffer they were decoded from is reused for other clients meanwhile. The commands that arrive in one loop turn
// run at its end, every client's keys hinted at once; a client that hangs up right after sending still has its
// commands run.
import * as net from "node:net";
import { enc } from "../helpers/raw-conn";
import { backends, startTestServer, TestServer } from "../helpers/server";

/** Sends `payload` in one write and collects what comes back until `done` is true of it. */
async function exchange(port: number, payload: string, done: (s: string) => boolean): Promise<string> {
  const sock = net.connect(port, "127.0.0.1");
  let got = "";
  await new Promise<void>((resolve, reject) => {
    sock.on("error", reject);
    sock.on("data", (d) => {
      got += d.toString("latin1");
      if (done(got)) resolve();
    });
    sock.on("close", () => resolve());
    sock.write(payload);
  });
  sock.destroy();
  return got;
}

describe.each(backends)("pipelined batches (%s)", (io) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ io });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("answers every command before a protocol error, in order, then the error", async () => {
    const cmds: string[] = [];
    const want: string[] = [];
    for (let i = 0; i < 100; i++) {
      cmds.push(enc(["SET", `pb:err:${i}`, `v${i}`]), enc(["GET", `pb:err:${i}`]));
      want.push("+OK\r\n", `$${`v${i}`.length}\r\nv${i}\r\n`);
    }
    const error = "-ERR Protocol error: invalid bulk length\r\n";
    const got = await exchange(t.port, cmds.join("") + "*1\r\n$x\r\n" + enc(["SET", "pb:err:after", "x"]), (s) => s.endsWith(error));
    expect(got).toBe(want.join("") + error);
    // Nothing after the error ran.
    expect(await t.client().exists("pb:err:after")).toBe(0);
  });

  it("applies what a client sent just before hanging up", async () => {
    // The commands of a turn run at its end; the close that follows must not drop them.
    for (let round = 0; round < 20; round++) {
      const sock = net.connect(t.port, "127.0.0.1");
      sock.on("error", () => undefined);
      await new Promise<void>((r) => sock.once("connect", () => r()));
      // Written and closed while this process's loop (the server's too) is held, so the commands and the end of the
      // stream are both waiting when the server next reads.
      sock.write(enc(["SET", `pb:bye:${round}`, `v${round}`]) + enc(["INCR", "pb:bye:count"]));
      sock.destroy();
      const until = Date.now() + 20;
      while (Date.now() < until);
    }
    const c = t.client();
    const until = Date.now() + 5000;
    while (Number(await c.get("pb:bye:count")) < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(await c.get("pb:bye:count")).toBe("20");
    for (let round = 0; round < 20; round++) expect(await c.get(`pb:bye:${round}`)).toBe(`v${round}`);
  });

  it("runs the commands decoded behind one that holds the connection, with their own arguments", async () => {
    // TSKV.FLUSH answers when the memtable is on disk: the commands after it in the same write wait for it.
    const cmds = [enc(["SET", "pb:hold:a", "1"]), enc(["TSKV.FLUSH"])];
    const want = ["+OK\r\n", "+OK\r\n"];
    for (let i = 0; i < 150; i++) {
      const v = `value-${i}-${"x".repeat(i % 7)}`;
      cmds.push(enc(["SET", `pb:hold:${i}`, v]), enc(["GET", `pb:hold:${i}`]));
      want.push("+OK\r\n", `$${v.length}\r\n${v}\r\n`);
    }
    const expected = want.join("");
    // Other clients keep the server reading (and its read buffer rewritten) while the flush runs.
    const noise = t.client();
    let stop = false;
    const busy = (async () => {
      for (let i = 0; !stop; i++) await noise.set(`pb:noise:${i % 50}`, "n".repeat(200));
    })();
    const got = await exchange(t.port, cmds.join(""), (s) => s.length >= expected.length);
    stop = true;
    await busy;
    expect(got).toBe(expected);
  });
});

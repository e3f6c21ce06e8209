// Under --wal-sync always a write's reply means the write is on disk. Here the engine's fdatasync is held at a gate:
// no write command may answer until it opens, whichever command it is and whatever came before it on the
// connection. (Series write replies used to go out before their own sync: the hold was placed after the reply.)
import Redis from "ioredis";
import { open } from "../../src/engine/engine";
import { FileSystem, nodeFs } from "../../src/engine/io";
import { createLogger } from "../../src/server/logger";
import { TskvServer } from "../../src/server/server";
import { backends, tmpDir } from "../helpers/server";

describe.each(backends)("write replies wait for fdatasync (%s)", (io) => {
  let server: TskvServer;
  let c: Redis;
  let closed = false;
  const held: Array<() => void> = [];
  let gated = false;
  const fs: FileSystem = {
    ...nodeFs,
    fdatasync: (fd) => (gated ? new Promise((resolve, reject) => held.push(() => nodeFs.fdatasync(fd).then(resolve, reject))) : nodeFs.fdatasync(fd)),
  };
  const release = (): void => {
    gated = false;
    for (const go of held.splice(0)) go();
  };

  beforeAll(async () => {
    const dir = tmpDir();
    const engine = await open(dir, { walSync: "always", fs });
    server = await TskvServer.start({ port: 0, dir, io, walSync: "always", logLevel: "silent" }, { engine, log: createLogger("silent") });
    c = new Redis({ port: server.address.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    await c.call("TS.CREATE", "s", "DUPLICATE_POLICY", "LAST");
  });

  afterAll(async () => {
    release();
    if (!closed) await c.quit();
    await server.stop();
    await server.engine.close();
  });

  /** Sends a command with syncs held; returns whether a reply came before they were released, and the reply. */
  async function heldReply(args: Array<string | number>): Promise<{ early: boolean; reply: unknown }> {
    gated = true;
    let answered = false;
    const p = c.call(String(args[0]), ...args.slice(1).map(String)).then(
      (r) => ((answered = true), r),
      (e: Error) => ((answered = true), e.message),
    );
    await new Promise((r) => setTimeout(r, 150));
    const early = answered;
    release();
    return { early, reply: await p };
  }

  const cases: Array<[string, Array<string | number>, unknown]> = [
    ["SET", ["SET", "k", "v"], "OK"],
    ["INCR", ["INCR", "n"], 1],
    ["TS.ADD", ["TS.ADD", "s", 1000, 1.5], 1000],
    ["TS.ADD (a second sample)", ["TS.ADD", "s", 2000, 2.5], 2000],
    ["TS.MADD", ["TS.MADD", "s", 3000, 3, "s", 4000, 4], [3000, 4000]],
    ["TS.ADD (out of order)", ["TS.ADD", "s", 1500, 9], 1500],
    ["TS.ADD (a duplicate under LAST)", ["TS.ADD", "s", 1500, 9], 1500],
    ["TS.INCRBY", ["TS.INCRBY", "counter", 5, "TIMESTAMP", 10], 10],
    ["TS.CREATE", ["TS.CREATE", "other"], "OK"],
    ["TS.ALTER", ["TS.ALTER", "other", "RETENTION", 1000], "OK"],
    ["TS.DEL", ["TS.DEL", "s", 0, 1500], 2],
    ["DEL", ["DEL", "k", "other"], 2],
  ];

  it.each(cases)("%s", async (_name, args, expected) => {
    const { early, reply } = await heldReply(args);
    expect(reply).toEqual(expected);
    expect(early).toBe(false);
  });

  it("holds a series reply that follows an earlier held reply on a pipelined connection", async () => {
    gated = true;
    const order: string[] = [];
    const a = c.set("p1", "x").then(() => order.push("set"));
    const b = c.call("TS.ADD", "s", 9000, 1).then(() => order.push("ts.add"));
    await new Promise((r) => setTimeout(r, 150));
    expect(order).toEqual([]);
    release();
    await Promise.all([a, b]);
    expect(order).toEqual(["set", "ts.add"]);
  });
});

// MULTI / EXEC / DISCARD / WATCH / UNWATCH as Redis 7.0 has them (its tests/unit/multi.tcl is the reference), byte for
// byte. The cases that need no tskv feature run against a real redis-server too: TSKV_TEST_REDIS_PORT=6379 runs
// them there (checked against redis-server 7.0.15) and skips the tskv-only ones.
import * as net from "node:net";
import { startTestServer, TestServer } from "../helpers/server";

const REDIS_PORT = process.env.TSKV_TEST_REDIS_PORT ? Number(process.env.TSKV_TEST_REDIS_PORT) : undefined;
const tskvOnly = REDIS_PORT === undefined ? it : it.skip;

const enc = (...a: Array<string | number>): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join("");
const cmd = (line: string): string => enc(...line.split(" "));

/** One client connection read as text: send() writes commands, reply() takes the next bytes and checks them. */
class Session {
  private readonly sock: net.Socket;
  private buf = "";
  private wake: (() => void) | undefined;

  constructor(port: number) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.on("error", () => undefined);
    this.sock.on("data", (d: Buffer) => {
      this.buf += d.toString("latin1");
      this.wake?.();
    });
  }

  /** Each argument is one command, split at spaces. */
  send(...lines: string[]): this {
    this.sock.write(lines.map(cmd).join(""));
    return this;
  }

  sendRaw(payload: string): this {
    this.sock.write(payload);
    return this;
  }

  /** The next `n` bytes (waits up to `ms`; fewer if they do not come). */
  async read(n: number, ms = 5000): Promise<string> {
    const until = Date.now() + ms;
    while (this.buf.length < n && Date.now() < until) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  /** The next bytes are exactly `expected`. */
  async reply(expected: string): Promise<void> {
    expect(await this.read(expected.length)).toBe(expected);
  }

  /** Drops everything up to and including the reply of an ECHO sent now (skips HELLO's long reply). */
  async sync(): Promise<void> {
    const mark = `sync${Math.random().toString(36).slice(2)}`;
    this.send(`ECHO ${mark}`);
    const tail = `$${mark.length}\r\n${mark}\r\n`;
    const until = Date.now() + 5000;
    while (!this.buf.includes(tail) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    this.buf = this.buf.slice(this.buf.indexOf(tail) + tail.length);
  }

  /** Nothing more arrives within `ms`. */
  async quiet(ms = 100): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    expect(this.buf).toBe("");
  }

  close(): void {
    this.sock.destroy();
  }
}

const OK = "+OK\r\n";
const Q = "+QUEUED\r\n";
const ABORT = "-EXECABORT Transaction discarded because of previous errors.\r\n";
const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

describe("MULTI / EXEC / DISCARD / WATCH (Redis 7.0 semantics)", () => {
  let t: TestServer | undefined;
  let port: number;
  const sessions: Session[] = [];
  const session = (): Session => {
    const s = new Session(port);
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    if (REDIS_PORT !== undefined) port = REDIS_PORT;
    else {
      t = await startTestServer();
      port = t.port;
    }
  });
  beforeEach(async () => {
    const s = session();
    await s.send("FLUSHALL").reply(OK);
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("queues with +QUEUED and EXEC answers every reply in one array (MUTLI / EXEC basics)", async () => {
    const c = session();
    await c.send("SET k v", "MULTI", "GET k", "PING", "SET k w", "GET k", "EXEC", "GET k").reply(OK + OK + Q + Q + Q + Q + "*4\r\n" + bulk("v") + "+PONG\r\n" + OK + bulk("w") + bulk("w"));
    // An empty transaction answers an empty array.
    await c.send("MULTI", "EXEC").reply(OK + "*0\r\n");
  });

  it("DISCARD drops the queue; DISCARD and EXEC without MULTI are errors", async () => {
    const c = session();
    await c.send("SET k v", "MULTI", "DEL k", "DISCARD", "GET k").reply(OK + OK + Q + OK + bulk("v"));
    await c.send("EXEC", "DISCARD").reply("-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n");
  });

  it("MULTI cannot be nested, and the nested MULTI does not abort the transaction", async () => {
    await session().send("MULTI", "MULTI", "PING", "EXEC").reply(OK + "-ERR MULTI calls can not be nested\r\n" + Q + "*1\r\n+PONG\r\n");
  });

  it("WATCH inside MULTI is an error that does not abort the transaction", async () => {
    await session().send("MULTI", "WATCH x", "PING", "EXEC").reply(OK + "-ERR WATCH inside MULTI is not allowed\r\n" + Q + "*1\r\n+PONG\r\n");
  });

  it("an unknown command or a wrong arity while queuing makes EXEC abort with EXECABORT, and nothing of it runs", async () => {
    const c = session();
    await c
      .send("MULTI", "SET foo1 bar1", "NON-EXISTING-COMMAND x y", "SET foo2 bar2", "EXEC", "EXISTS foo1 foo2")
      .reply(OK + Q + "-ERR unknown command 'NON-EXISTING-COMMAND', with args beginning with: 'x' 'y' \r\n" + Q + ABORT + ":0\r\n");
    await c.send("MULTI", "SET a", "SET b 1", "EXEC", "EXISTS b").reply(OK + "-ERR wrong number of arguments for 'set' command\r\n" + Q + ABORT + ":0\r\n");
    // The client is out of MULTI after the abort (If EXEC aborts, the client MULTI state is cleared).
    await c.send("PING").reply("+PONG\r\n");
    // A DISCARD or WATCH of the wrong arity inside MULTI is a queuing error too.
    await c.send("MULTI", "DISCARD x", "EXEC").reply(OK + "-ERR wrong number of arguments for 'discard' command\r\n" + ABORT);
    await c.send("MULTI", "WATCH", "EXEC").reply(OK + "-ERR wrong number of arguments for 'watch' command\r\n" + ABORT);
  });

  it("EXEC of the wrong arity discards the transaction with the reason, inside MULTI and out of it", async () => {
    const why = "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n";
    await session().send("MULTI", "SET k v", "EXEC x", "EXEC", "EXEC x", "EXISTS k").reply(OK + Q + why + "-ERR EXEC without MULTI\r\n" + why + ":0\r\n");
  });

  it("runtime errors are answered per command inside the EXEC reply; the other commands run", async () => {
    await session().send("MULTI", "SET s abc", "INCR s", "GET s", "EXEC").reply(OK + Q + Q + Q + "*3\r\n" + OK + "-ERR value is not an integer or out of range\r\n" + bulk("abc"));
  });

  it("SHUTDOWN is not allowed inside MULTI and aborts the transaction (MULTI with SHUTDOWN)", async () => {
    await session().send("MULTI", "SET foo bar", "SHUTDOWN", "EXEC", "GET foo").reply(OK + Q + "-ERR Command not allowed inside a transaction\r\n" + ABORT + "$-1\r\n");
  });

  tskvOnly("TSKV.FLUSH and TSKV.COMPACT are refused inside MULTI as SAVE is", async () => {
    const c = session();
    await c.send("MULTI", "TSKV.FLUSH", "TSKV.COMPACT", "EXEC").reply(OK + "-ERR Command not allowed inside a transaction\r\n".repeat(2) + ABORT);
  });

  it("QUIT inside MULTI runs at once; UNWATCH is queued", async () => {
    const c = session();
    await c.send("MULTI", "UNWATCH", "EXEC").reply(OK + Q + "*1\r\n" + OK);
    await c.send("MULTI", "PING", "QUIT", "PING").reply(OK + Q + OK);
    await c.quiet();
  });

  it("RESP3: a failed EXEC is the null _, and the replies inside keep their RESP3 shapes", async () => {
    const c = session();
    c.send("HELLO 3");
    await c.sync();
    const other = session();
    await c.send("SET w 1", "WATCH w").reply(OK + OK);
    await other.send("SET w 2").reply(OK);
    await c.send("MULTI", "GET w", "EXEC").reply(OK + Q + "_\r\n");
    await c.send("MULTI", "GET w", "GET nosuch", "CONFIG GET maxclients", "EXEC").reply(OK + Q + Q + Q + "*3\r\n" + bulk("2") + "_\r\n%1\r\n" + bulk("maxclients") + bulk("10000"));
    // HELLO 2 inside the transaction switches the protocol for what follows it.
    c.send("MULTI", "HELLO 2", "GET nosuch", "EXEC");
    await c.read(OK.length + 2 * Q.length + 4);
    await c.sync();
    await c.send("GET nosuch").reply("$-1\r\n");
  });

  describe("WATCH", () => {
    /** WATCH `keys`, run `between` (on another client unless `own`), then MULTI PING EXEC: EXEC's reply. */
    async function watchThen(keys: string, between: string[], own = false): Promise<string> {
      const c = session();
      await c.send(`WATCH ${keys}`).reply(OK);
      const w = own ? c : session();
      w.send(...between);
      w.send("PING");
      let got = "";
      while (!got.endsWith("+PONG\r\n")) got += await w.read(1);
      c.send("MULTI", "PING", "EXEC");
      await c.reply(OK + Q);
      const r = await c.read(4);
      return r === "*-1\r" ? r + (await c.read(1)) : r + (await c.read(7));
    }
    const RAN = "*1\r\n+PONG\r\n";
    const FAILED = "*-1\r\n";

    it("EXEC runs when no watched key changed", async () => {
      const c = session();
      await c.send("WATCH x y z", "WATCH k", "MULTI", "PING", "EXEC").reply(OK + OK + OK + Q + RAN);
    });

    it("a write by another client fails the EXEC with a null array (1 key of 1, 1 key of 5)", async () => {
      await session().send("SET x 30").reply(OK);
      expect(await watchThen("x", ["SET x 40"])).toBe(FAILED);
      await session().send("SET x 30").reply(OK);
      expect(await watchThen("a b x k z", ["SET x 40"])).toBe(FAILED);
    });

    it("the client's own write fails it too; writing the same value is a change; a write that changes nothing is not", async () => {
      await session().send("SET x 30").reply(OK);
      expect(await watchThen("x", ["SET x 40"], true)).toBe(FAILED);
      expect(await watchThen("x", ["SET x 40"])).toBe(FAILED);
      expect(await watchThen("x", ["SET x 40 NX", "DEL nosuch", "EXPIRE nosuch 10", "PERSIST x"])).toBe(RAN);
      expect(await watchThen("nosuch", ["DEL nosuch"])).toBe(RAN);
    });

    it("DEL, EXPIRE, RENAME (either side), MSET, INCR and GETDEL are changes", async () => {
      for (const [keys, between] of [
        ["x", ["DEL x"]],
        ["x", ["EXPIRE x 10"]],
        ["x", ["RENAME x y"]],
        ["y", ["RENAME x y"]],
        ["x", ["MSET a 1 x 2"]],
        ["x", ["INCR x"]],
        ["x", ["GETDEL x"]],
      ] as Array<[string, string[]]>) {
        await session().send("FLUSHALL", "SET x 30").reply(OK + OK);
        expect([keys, between, await watchThen(keys, between)]).toEqual([keys, between, FAILED]);
      }
    });

    it("FLUSHALL and FLUSHDB touch the watched keys that exist, and only those", async () => {
      await session().send("SET x 30").reply(OK);
      expect(await watchThen("x", ["FLUSHALL"])).toBe(FAILED);
      await session().send("SET x 30").reply(OK);
      expect(await watchThen("x", ["FLUSHDB"])).toBe(FAILED);
      expect(await watchThen("x", ["FLUSHALL"])).toBe(RAN);
      expect(await watchThen("x", ["FLUSHDB"])).toBe(RAN);
      // Flushall while watching several keys by one client
      await session().send("MSET a a b b", "WATCH b a", "FLUSHALL", "PING").reply(OK + OK + OK + "+PONG\r\n");
    });

    it("a watched key that expires before EXEC fails it; one already expired when WATCHed does not", async () => {
      const c = session();
      await c.send("SET key 1 PX 100", "WATCH key").reply(OK + OK);
      await new Promise((r) => setTimeout(r, 150));
      await c.send("MULTI", "INCR key", "EXEC").reply(OK + Q + FAILED);
      // Stale when watched (WATCH stale keys should not fail EXEC), even once it is deleted.
      await c.send("SET x foo PX 1").reply(OK);
      await new Promise((r) => setTimeout(r, 10));
      await c.send("WATCH x", "EXISTS x", "MULTI", "PING", "EXEC").reply(OK + ":0\r\n" + OK + Q + RAN);
      // Deleted by the active expiry cycle meanwhile (WATCH will consider touched expired keys).
      await c.send("SET y foo PX 50", "WATCH y").reply(OK + OK);
      await new Promise((r) => setTimeout(r, 400));
      await c.send("DBSIZE", "MULTI", "PING", "EXEC").reply(":0\r\n" + OK + Q + FAILED);
    });

    it("keys are unwatched after EXEC, after a failed EXEC, by UNWATCH and by DISCARD (which also clears the dirty flag)", async () => {
      const c = session();
      await c.send("SET x 30", "WATCH x", "MULTI", "PING", "EXEC", "SET x 40", "MULTI", "PING", "EXEC").reply(OK + OK + OK + Q + RAN + OK + OK + Q + RAN);
      await c.send("WATCH x", "SET x 40", "MULTI", "PING", "EXEC", "SET x 40", "MULTI", "PING", "EXEC").reply(OK + OK + OK + Q + FAILED + OK + OK + Q + RAN);
      await c.send("WATCH x", "SET x 40", "UNWATCH", "MULTI", "PING", "EXEC").reply(OK + OK + OK + OK + Q + RAN);
      await c.send("UNWATCH").reply(OK);
      await c.send("WATCH x", "SET x 10", "MULTI", "DISCARD", "MULTI", "INCR x", "EXEC").reply(OK + OK + OK + OK + OK + Q + "*1\r\n:11\r\n");
      await c.send("WATCH x", "MULTI", "DISCARD", "SET x 10", "MULTI", "INCR x", "EXEC").reply(OK + OK + OK + OK + OK + Q + "*1\r\n:11\r\n");
    });

    it("a write inside another client's EXEC touches the keys it watches", async () => {
      const a = session();
      const b = session();
      await a.send("WATCH x").reply(OK);
      await b.send("MULTI", "SET x 1", "EXEC").reply(OK + Q + "*1\r\n" + OK);
      await a.send("MULTI", "PING", "EXEC").reply(OK + Q + FAILED);
    });

    tskvOnly("series writes are changes: TS.CREATE, TS.ADD, TS.MADD, TS.INCRBY, TS.DEL, TS.ALTER, and a rule's source feeding its destination", async () => {
      expect(await watchThen("s", ["TS.CREATE s"])).toBe(FAILED);
      for (const write of ["TS.ADD s 2 1", "TS.MADD a 5 1 s 5 1", "TS.INCRBY s 1 TIMESTAMP 9", "TS.DEL s 0 1000", "TS.ALTER s RETENTION 0"]) {
        await session().send("FLUSHALL", "TS.ADD s 1 1").reply(OK + ":1\r\n");
        expect([write, await watchThen("s", [write])]).toEqual([write, FAILED]);
      }
      // A duplicate refused under BLOCK changes nothing.
      await session().send("FLUSHALL", "TS.ADD s 1 1").reply(OK + ":1\r\n");
      expect(await watchThen("s", ["TS.ADD s 1 2"])).toBe(RAN);
      // TS.ADD to a source writes its rule's destination.
      await session().send("FLUSHALL", "TS.CREATE src", "TS.CREATE dst", "TS.CREATERULE src dst AGGREGATION sum 10").reply(OK + OK + OK + OK);
      expect(await watchThen("dst", ["TS.ADD src 1 1", "TS.ADD src 25 1"])).toBe(FAILED);
    });
  });

  it("nothing of another client runs inside an EXEC: a reader sees all of a 3000-command transaction or none", async () => {
    const n = 3000;
    const w = session();
    const r = session();
    await w.send("SET c 0").reply(OK);
    w.sendRaw(cmd("MULTI") + cmd("INCR c").repeat(n) + cmd("EXEC"));
    const seen = new Set<string>();
    const until = Date.now() + 10_000;
    while (!seen.has(String(n)) && Date.now() < until) {
      r.send(...Array.from({ length: 50 }, () => "GET c"));
      for (let i = 0; i < 50; i++) seen.add((await readReply(r)).split("\r\n")[1]);
    }
    expect([...seen].filter((v) => v !== "0" && v !== String(n))).toEqual([]);
    const exec = await w.read(OK.length + n * Q.length + `*${n}\r\n`.length);
    expect(exec.endsWith(`*${n}\r\n`)).toBe(true);
    const replies = await w.read(Array.from({ length: n }, (_, i) => `:${i + 1}\r\n`).join("").length);
    expect(replies.endsWith(`:${n}\r\n`)).toBe(true);
  });

  tskvOnly("streamed replies inside EXEC (a long TS.RANGE, a sliced KEYS) come whole and in order, and the commands after them run at EXEC", async () => {
    const c = session();
    const n = 70_000; // past STREAM_ABOVE: TS.RANGE streams
    const batch = 5000;
    await c.send("TS.CREATE big").reply(OK);
    for (let i = 0; i < n; i += batch) {
      c.send(["TS.MADD", ...Array.from({ length: batch }, (_, j) => `big ${i + j + 1} ${(i + j) % 7}`)].join(" "));
      await c.read(`*${batch}\r\n`.length + Array.from({ length: batch }, (_, j) => `:${i + j + 1}\r\n`).join("").length);
    }
    c.send(["MSET", ...Array.from({ length: 5000 }, (_, i) => `key:${i} ${i}`)].join(" ")); // past a KEYS slice
    await c.reply(OK);
    // The replies of the same commands outside MULTI, on a second connection.
    const alone = session();
    const lines = [
      "TS.RANGE big - +",
      "SET after 1",
      "KEYS key:*",
      "GET after",
      "TS.RANGE big - + FILTER_BY_VALUE 0 5 AGGREGATION max 1000",
      "TS.REVRANGE big - + COUNT 70000",
      "INCR after",
    ];
    let expected = "";
    for (const l of lines) expected += await (alone.send(l), readReply(alone));
    await alone.send("DEL after").reply(":1\r\n");
    expect(expected.length).toBeGreaterThan(2 * 70_000 * 10);
    // In MULTI: a client watching `after` sees its EXEC fail as soon as the EXEC has run, before the stream ends.
    const watcher = session();
    await watcher.send("WATCH after").reply(OK);
    c.send("MULTI", ...lines, "EXEC");
    await c.reply(OK + Q.repeat(lines.length) + `*${lines.length}\r\n`);
    await watcher.send("MULTI", "PING", "EXEC").reply(OK + Q + "*-1\r\n");
    await c.reply(expected);
    await c.send("PING").reply("+PONG\r\n");
  }, 60_000);

  tskvOnly("EXEC counts each command it ran in commandstats, and EXEC itself", async () => {
    const c = session();
    await c.send("CONFIG RESETSTAT", "MULTI", "SET a 1", "SET b 2", "INCR a", "EXEC").reply(OK + OK + Q + Q + Q + "*3\r\n" + OK + OK + ":2\r\n");
    const info = (t as TestServer).server.metrics;
    expect([info.stats("set").calls, info.stats("incr").calls, info.stats("exec").calls, info.stats("multi").calls]).toEqual([2, 1, 1, 1]);
  });
});

/** Reads one whole reply (any RESP2/RESP3 type, nested) and returns its bytes. */
async function readReply(s: Session): Promise<string> {
  let out = "";
  const line = async (): Promise<string> => {
    let l = "";
    while (!l.endsWith("\r\n")) l += await s.read(1);
    out += l;
    return l;
  };
  const value = async (): Promise<void> => {
    const l = await line();
    const n = Number(l.slice(1, -2));
    if (l[0] === "*" || l[0] === "~" || l[0] === ">") for (let i = n; i > 0; i--) await value();
    else if (l[0] === "%") for (let i = 2 * n; i > 0; i--) await value();
    else if ((l[0] === "$" || l[0] === "=") && n >= 0) out += await s.read(n + 2);
  };
  await value();
  return out;
}

describe("MULTI with requirepass", () => {
  tskvOnly("an unauthenticated MULTI is refused, and so is EXEC with Redis's EXECABORT reason", async () => {
    const t = await startTestServer({ requirepass: "pw" });
    try {
      const c = new Session(t.port);
      await c.send("MULTI", "EXEC").reply("-NOAUTH Authentication required.\r\n-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n");
      await c.send("AUTH pw", "MULTI", "GET x", "EXEC").reply(OK + OK + Q + "*1\r\n$-1\r\n");
      c.close();
    } finally {
      await t.stop();
    }
  });
});

describe("ioredis multi()", () => {
  tskvOnly("runs a transaction, gives runtime errors per command, rejects on a queuing error, and fails on a touched WATCH", async () => {
    const t = await startTestServer();
    try {
      const c = t.client();
      const other = t.client();
      expect(await c.multi().set("a", "1").incr("a").get("a").call("TS.ADD", "s", "1", "2").exec()).toEqual([
        [null, "OK"],
        [null, 2],
        [null, "2"],
        [null, 1],
      ]);
      const withError = await c.multi().set("s2", "abc").incr("s2").get("s2").exec();
      expect(withError?.map(([e, v]) => (e ? (e as Error).message : v))).toEqual(["OK", "ERR value is not an integer or out of range", "abc"]);
      await expect(c.multi().set("x", "1").call("NOSUCH").set("y", "1").exec()).rejects.toThrow(/EXECABORT/);
      expect(await c.exists("x", "y")).toBe(0);
      await c.watch("a");
      await other.set("a", "10");
      expect(await c.multi().incr("a").exec()).toBeNull();
      await c.watch("a");
      expect(await c.multi().incr("a").exec()).toEqual([[null, 11]]);
    } finally {
      await t.stop();
    }
  });
});

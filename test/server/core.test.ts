import { backends, bulkComplete, startTestServer, TestServer } from "../helpers/server";

describe.each(backends)("server core on %s", (io) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ io });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("answers PING, inline and multibulk, and ECHO", async () => {
    expect(await t.raw("PING\r\n")).toBe("+PONG\r\n");
    expect(await t.raw("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n")).toBe("$2\r\nhi\r\n");
    const c = t.client();
    expect(await c.ping()).toBe("PONG");
    expect(await c.echo("héllo")).toBe("héllo");
  });

  it("rejects unknown commands with Redis's text", async () => {
    expect(await t.raw("*3\r\n$3\r\nFOO\r\n$1\r\na\r\n$2\r\nbb\r\n")).toBe("-ERR unknown command 'FOO', with args beginning with: 'a' 'bb' \r\n");
    expect(await t.raw("FOO\r\n")).toBe("-ERR unknown command 'FOO', with args beginning with: \r\n");
  });

  it("resolves names in any case, one after another in a pipeline, and still rejects a near miss", async () => {
    const reply = await t.raw("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nping\r\n*1\r\n$4\r\npInG\r\n*1\r\n$4\r\nPINH\r\n*1\r\n$4\r\nPING\r\n");
    expect(reply).toBe("+PONG\r\n+PONG\r\n+PONG\r\n-ERR unknown command 'PINH', with args beginning with: \r\n+PONG\r\n");
  });

  it("checks arity and subcommands as Redis 7 does", async () => {
    expect(await t.raw("*1\r\n$3\r\nGET\r\n")).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await t.raw("*2\r\n$6\r\nCLIENT\r\n$4\r\nNOPE\r\n")).toBe("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
    expect(await t.raw("*3\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n$1\r\nx\r\n")).toBe("-ERR wrong number of arguments for 'client|id' command\r\n");
  });

  it("sends the protocol error and closes the connection", async () => {
    expect(await t.raw("*1\r\n$x\r\n")).toBe("-ERR Protocol error: invalid bulk length\r\n");
    expect(await t.raw("*1\r\nx\r\n")).toBe("-ERR Protocol error: expected '$', got 'x'\r\n");
    expect(await t.raw('PING "unclosed\r\n')).toBe("-ERR Protocol error: unbalanced quotes in request\r\n");
    // The connection really closes: a command after the error gets no reply.
    expect(await t.raw("*1\r\n$x\r\nPING\r\n", () => false)).toBe("-ERR Protocol error: invalid bulk length\r\n");
  });

  it("speaks RESP3 after HELLO 3 and refuses other versions", async () => {
    const reply = await t.raw("HELLO 3\r\n", (s) => s.includes("modules") && s.endsWith("*0\r\n"));
    // modules: the built-in RedisTimeSeries entry (test/server/modules.test.ts checks its bytes).
    expect(reply).toMatch(/^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*1\r\n%4\r\n\$4\r\nname\r\n\$10\r\ntimeseries\r\n[^]*\*0\r\n$/);
    expect(await t.raw("HELLO 4\r\n")).toBe("-NOPROTO sorry, this protocol version is not supported.\r\n");
    expect(await t.raw("HELLO 3\r\nGET nokey\r\n", (s) => s.endsWith("_\r\n"))).toMatch(/_\r\n$/);
  });

  it("SELECT 0 only", async () => {
    const c = t.client();
    expect(await c.select(0)).toBe("OK");
    await expect(c.select(1)).rejects.toThrow("ERR DB index is out of range");
    await expect(c.call("SELECT", "x")).rejects.toThrow("ERR value is not an integer or out of range");
  });

  it("CLIENT ID, SETNAME, GETNAME, INFO, LIST, SETINFO, KILL", async () => {
    const c = t.client();
    const id = (await c.call("CLIENT", "ID")) as number;
    expect(id).toBeGreaterThan(0);
    expect(await c.call("CLIENT", "GETNAME")).toBeNull();
    expect(await c.call("CLIENT", "SETNAME", "worker-1")).toBe("OK");
    expect(await c.call("CLIENT", "GETNAME")).toBe("worker-1");
    await expect(c.call("CLIENT", "SETNAME", "bad name")).rejects.toThrow("ERR Client names cannot contain spaces, newlines or special characters.");
    expect(await c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib")).toBe("OK");
    const info = (await c.call("CLIENT", "INFO")) as string;
    expect(info).toMatch(new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ .*name=worker-1 .*lib-name=mylib`));
    const list = (await c.call("CLIENT", "LIST")) as string;
    expect(list.split("\n").filter(Boolean).some((l) => l.startsWith(`id=${id} `))).toBe(true);
    const victim = t.client();
    const victimId = (await victim.call("CLIENT", "ID")) as number;
    expect(await c.call("CLIENT", "KILL", "ID", String(victimId))).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(victim.status).not.toBe("ready");
  });

  it("CLIENT LIST idle= counts whole seconds since the client's last command", async () => {
    const observer = t.client();
    const idler = t.client();
    const idlerId = (await idler.call("CLIENT", "ID")) as number;
    const idleOf = async (id: number): Promise<number> => {
      const line = ((await observer.call("CLIENT", "LIST")) as string).split("\n").find((l) => l.startsWith(`id=${id} `)) as string;
      return Number(/ idle=(\d+) /.exec(line)?.[1]);
    };
    expect(await idleOf(idlerId)).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await idleOf(idlerId)).toBeGreaterThanOrEqual(1);
    expect(await idler.ping()).toBe("PONG");
    expect(await idleOf(idlerId)).toBe(0);
  });

  it("CONFIG GET/SET for tskv's settings and the ones clients ask for", async () => {
    const c = t.client();
    expect(await c.call("CONFIG", "GET", "save")).toEqual(["save", ""]);
    expect(await c.call("CONFIG", "GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(await c.call("CONFIG", "GET", "maxclients")).toEqual(["maxclients", "10000"]);
    expect(await c.call("CONFIG", "SET", "maxclients", "500")).toBe("OK");
    // Redis 7.0 answers a name without glob characters under the name as given.
    expect(await c.call("CONFIG", "GET", "MAXCLIENTS")).toEqual(["MAXCLIENTS", "500"]);
    await expect(c.call("CONFIG", "SET", "maxclients", "zero")).rejects.toThrow(/CONFIG SET failed \(possibly related to argument 'maxclients'\)/);
    await expect(c.call("CONFIG", "SET", "memtable-size", "5gb")).rejects.toThrow(/CONFIG SET failed \(possibly related to argument 'memtable-size'\) - argument must be at most 4gb/);
    await expect(c.call("CONFIG", "SET", "nosuch", "1")).rejects.toThrow("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    await c.call("CONFIG", "SET", "maxclients", "10000");
  });

  it("INFO has the usual sections and says which io backend serves", async () => {
    const c = t.client();
    const info = (await c.info()) as string;
    for (const h of ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# Keyspace"]) expect(info).toContain(h);
    expect(info).toContain("redis_version:7.0.15");
    expect(info).toContain("loading:0");
    const server = await t.raw("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", bulkComplete);
    expect(server).toContain(`io_backend:${io}`);
    expect(server).not.toContain("# Clients");
  });

  it("COMMAND COUNT, INFO and DOCS", async () => {
    const c = t.client();
    const count = (await c.call("COMMAND", "COUNT")) as number;
    expect(count).toBeGreaterThan(40);
    const info = (await c.call("COMMAND", "INFO", "get", "nosuch")) as unknown[];
    expect((info[0] as unknown[]).slice(0, 6)).toEqual(["get", 2, ["readonly", "fast"], 1, 1, 1]);
    expect(info[1]).toBeNull();
    const docs = (await c.call("COMMAND", "DOCS", "set")) as unknown[];
    expect(docs[0]).toBe("set");
    expect(docs[1]).toEqual(expect.arrayContaining(["summary", "since", "group", "string"]));
    const all = (await c.call("COMMAND")) as unknown[];
    expect(all.length).toBe(count);
  });

  it("TIME, FUNCTION FLUSH, and clear refusals for what tskv lacks", async () => {
    const c = t.client();
    const [secs, micros] = (await c.call("TIME")) as string[];
    expect(Math.abs(Number(secs) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(micros)).toBeLessThan(1e6);
    expect(await c.call("FUNCTION", "FLUSH")).toBe("OK");
    await expect(c.call("SUBSCRIBE", "ch")).rejects.toThrow("ERR tskv does not support pub/sub ('subscribe')");
    await expect(c.call("EVAL", "return 1", "0")).rejects.toThrow("ERR tskv does not support Lua scripting ('eval')");
  });

  it("QUIT answers +OK and closes", async () => {
    expect(await t.raw("QUIT\r\nPING\r\n", () => false)).toBe("+OK\r\n");
  });

  it("a deep pipeline from one client does not starve another", async () => {
    const heavy = Buffer.from("*2\r\n$4\r\nPING\r\n$1\r\nx\r\n".repeat(200_000));
    const big = t.raw(heavy, (s) => s.length >= "$1\r\nx\r\n".length * 200_000, 60_000);
    await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    expect(await t.client().ping()).toBe("PONG");
    const pingMs = Date.now() - started;
    const out = await big;
    expect(out.length).toBe("$1\r\nx\r\n".length * 200_000);
    expect(pingMs).toBeLessThan(5000);
  });
});

describe("AUTH", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ requirepass: "s3cret" });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("allows only AUTH, HELLO and QUIT until authenticated", async () => {
    expect(await t.raw("GET k\r\n")).toBe("-NOAUTH Authentication required.\r\n");
    expect(await t.raw("AUTH wrong\r\n")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    expect(await t.raw("AUTH s3cret\r\nPING\r\n", (s) => s.endsWith("PONG\r\n"))).toBe("+OK\r\n+PONG\r\n");
    expect(await t.raw("AUTH default s3cret\r\nPING\r\n", (s) => s.endsWith("PONG\r\n"))).toBe("+OK\r\n+PONG\r\n");
    expect(await t.raw("HELLO 2 AUTH default s3cret\r\nPING\r\n", (s) => s.endsWith("PONG\r\n"))).toContain("+PONG\r\n");
  });

  it("works through a client library", async () => {
    const c = t.client({ password: "s3cret" });
    expect(await c.ping()).toBe("PONG");
  });
});

describe("AUTH without a password configured", () => {
  it("answers Redis's error", async () => {
    const t = await startTestServer();
    try {
      expect(await t.raw("AUTH x\r\n")).toBe(
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
      );
    } finally {
      await t.stop();
    }
  });
});

describe("limits", () => {
  it("refuses clients past maxclients", async () => {
    const t = await startTestServer({ maxclients: 2 });
    try {
      const a = t.client();
      const b = t.client();
      await a.ping();
      await b.ping();
      expect(await t.raw("PING\r\n")).toBe("-ERR max number of clients reached\r\n");
    } finally {
      await t.stop();
    }
  });

  it("disconnects a client whose output passes the hard limit", async () => {
    const t = await startTestServer({ outputBufferSoftLimit: 64 * 1024, outputBufferHardLimit: 256 * 1024 });
    try {
      const c = t.client();
      await c.set("big", "x".repeat(100 * 1024));
      // A client that asks for 20 MB of replies and never reads.
      const net = await import("node:net");
      const sock = net.connect(t.port, "127.0.0.1");
      sock.pause();
      sock.on("error", () => undefined);
      sock.write("GET big\r\n".repeat(200));
      const until = Date.now() + 10_000;
      while (t.server.stats.clientsDropped === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      sock.destroy();
      expect((await c.info("stats")) as string).toMatch(/clients_dropped_for_limits:1/);
      expect(await c.ping()).toBe("PONG");
    } finally {
      await t.stop();
    }
  });

  it("rejects a bulk over proto-max-bulk-len before reading it", async () => {
    const t = await startTestServer({ protoMaxBulkLen: 1024 });
    try {
      expect(await t.raw("*2\r\n$4\r\nECHO\r\n$2048\r\n")).toBe("-ERR Protocol error: invalid bulk length\r\n");
    } finally {
      await t.stop();
    }
  });
});

describe("SHUTDOWN", () => {
  it("stops the server and resolves closed", async () => {
    const t = await startTestServer();
    const c = t.client();
    await c.set("k", "v");
    await t.raw("SHUTDOWN\r\n", () => false).catch(() => "");
    await t.server.closed;
    await t.restart();
    expect(await t.client().get("k")).toBe("v");
    await t.stop();
  });
});

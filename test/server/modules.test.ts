// Clients detect RedisTimeSeries by MODULE LIST, INFO modules or HELLO's modules (redis-py's module checks, GUI
// tools, RedisTimeSeries's own flow tests): tskv answers each as Redis 7.0 with RedisTimeSeries 1.12.14 loaded, byte
// for byte but for the path (checked against redis-server 7.0.15 --loadmodule redistimeseries 1.12.14).
import { TIMESERIES_MODULE } from "../../src/server/compat";
import { bulkComplete, startTestServer, TestServer } from "../helpers/server";

const P = TIMESERIES_MODULE.path;
/** The module's entry: RESP2 a flat array of 8, RESP3 a map of 4. */
const entry = (head: string): string => `${head}\r\n$4\r\nname\r\n$10\r\ntimeseries\r\n$3\r\nver\r\n:11214\r\n$4\r\npath\r\n$${Buffer.byteLength(P)}\r\n${P}\r\n$4\r\nargs\r\n*0\r\n`;
const NOT_ALLOWED =
  '-ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n';
const enc = (...a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");

describe("the time-series module as clients detect it", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it("MODULE LIST: one entry, name timeseries ver 11214 path args, in RESP2 and RESP3", async () => {
    expect(await t.raw(enc("MODULE", "LIST"))).toBe("*1\r\n" + entry("*8"));
    const r3 = await t.raw(enc("HELLO", "3") + enc("MODULE", "LIST"), (s) => s.split("args").length === 3 && s.endsWith("*0\r\n"));
    expect(r3.slice(r3.lastIndexOf("*1\r\n%4"))).toBe("*1\r\n" + entry("%4"));
    const c = t.client();
    expect(await c.call("MODULE", "LIST")).toEqual([["name", "timeseries", "ver", 11214, "path", P, "args", []]]);
  });

  it("HELLO lists it under modules in the same shape", async () => {
    const hello2 = await t.raw(enc("HELLO", "2"), (s) => s.endsWith("args\r\n*0\r\n"));
    expect(hello2).toMatch(/^\*14\r\n/);
    expect(hello2.endsWith("$7\r\nmodules\r\n*1\r\n" + entry("*8"))).toBe(true);
    const hello3 = await t.raw(enc("HELLO", "3"), (s) => s.endsWith("args\r\n*0\r\n"));
    expect(hello3).toMatch(/^%7\r\n/);
    expect(hello3.endsWith("$7\r\nmodules\r\n*1\r\n" + entry("%4"))).toBe(true);
  });

  it("INFO modules, INFO and INFO everything have the # Modules section after # CPU", async () => {
    const line = "module:name=timeseries,ver=11214,api=1,filters=0,usedby=[],using=[],options=[]";
    const c = t.client();
    expect(await c.info("modules")).toBe(`# Modules\r\n${line}\r\n`);
    for (const info of [(await c.info()) as string, (await c.info("everything")) as string, (await c.info("default")) as string]) {
      expect(info).toContain(`\r\n# Modules\r\n${line}\r\n`);
      expect(info.indexOf("# Modules")).toBeGreaterThan(info.indexOf("# CPU"));
    }
    const raw = await t.raw(enc("INFO", "modules"), bulkComplete);
    expect(raw).toBe(`$${11 + line.length + 2}\r\n# Modules\r\n${line}\r\n\r\n`);
  });

  it("MODULE LOAD, LOADEX and UNLOAD get Redis's refusal; HELP, arity and unknown subcommands as Redis", async () => {
    expect(await t.raw(enc("MODULE", "LOAD", "/x.so"))).toBe(NOT_ALLOWED);
    expect(await t.raw(enc("MODULE", "LOADEX", "/x.so", "CONFIG", "a", "b", "ARGS", "c"))).toBe(NOT_ALLOWED);
    expect(await t.raw(enc("MODULE", "UNLOAD", "timeseries"))).toBe(NOT_ALLOWED);
    expect(await t.raw(enc("MODULE"))).toBe("-ERR wrong number of arguments for 'module' command\r\n");
    expect(await t.raw(enc("MODULE", "LOAD"))).toBe("-ERR wrong number of arguments for 'module|load' command\r\n");
    expect(await t.raw(enc("MODULE", "LIST", "x"))).toBe("-ERR wrong number of arguments for 'module|list' command\r\n");
    expect(await t.raw(enc("MODULE", "foo"))).toBe("-ERR unknown subcommand 'foo'. Try MODULE HELP.\r\n");
    const help = await t.raw(enc("MODULE", "HELP"), (s) => s.endsWith("Prints this help.\r\n"));
    expect(help.split("\r\n").slice(0, 3)).toEqual(["*11", "+MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "+LIST"]);
    const c = t.client();
    expect(await c.call("CONFIG", "GET", "enable-module-command")).toEqual(["enable-module-command", "no"]);
  });

  it("COMMAND LIST FILTERBY MODULE timeseries lists the TS.* commands", async () => {
    const c = t.client();
    const ts = (await c.call("COMMAND", "LIST", "FILTERBY", "MODULE", "TimeSeries")) as string[];
    expect(ts).toEqual(expect.arrayContaining(["ts.add", "ts.madd", "ts.range", "ts.mrange", "ts.queryindex", "ts.info"]));
    expect(ts.every((n) => n.startsWith("ts."))).toBe(true);
    expect(await c.call("COMMAND", "LIST", "FILTERBY", "MODULE", "nope")).toEqual([]);
  });
});

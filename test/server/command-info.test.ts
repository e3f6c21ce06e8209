// COMMAND, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS/GETKEYSANDFLAGS as Redis 7.0.15 with RedisTimeSeries 1.12.14 answers
// them: cluster-aware clients build their routing from the key positions and key specs. Expected bytes are that
// server's replies to the same commands (TS.CREATERULE/TS.DELETERULE excepted on purpose: both their keys).
import { allCommands } from "../../src/server/commands";
import { REDIS_COMMAND_INFO } from "../../src/server/command-docs-data";
import { startTestServer, TestServer } from "../helpers/server";

const enc = (...a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");

/** Reads one complete RESP reply's length off the front of `s`, or -1 while it is incomplete. */
function replyEnd(s: string, at = 0): number {
  const nl = s.indexOf("\r\n", at);
  if (nl < 0) return -1;
  const t = s[at];
  const n = Number(s.slice(at + 1, nl));
  if (t === "$" || t === "=") return n < 0 ? nl + 2 : s.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  if (t === "*" || t === "~" || t === "%") {
    let p = nl + 2;
    for (let i = 0; i < (t === "%" ? 2 * n : Math.max(0, n)); i++) {
      p = replyEnd(s, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return nl + 2;
}

describe("COMMAND as Redis 7.0.15 with RedisTimeSeries 1.12.14", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });
  const raw = (payload: string, hello3 = false): Promise<string> => {
    const pre = hello3 ? enc("HELLO", "3") : "";
    return t.raw(pre + payload, (s) => {
      const first = hello3 ? replyEnd(s) : 0;
      return first >= 0 && replyEnd(s, first) === s.length;
    }).then((s) => (hello3 ? s.slice(replyEnd(s)) : s));
  };

  it("COMMAND INFO get / ts.madd / ts.mrange / config|get: Redis's bytes, RESP2 and RESP3", async () => {
    expect(await raw(enc("COMMAND", "INFO", "get"))).toBe(
      "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
    );
    expect(await raw(enc("COMMAND", "INFO", "ts.madd"))).toBe(
      "*1\r\n*10\r\n$7\r\nts.madd\r\n:-1\r\n*3\r\n+write\r\n+denyoom\r\n+module\r\n:1\r\n:-1\r\n:3\r\n*0\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:3\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
    );
    expect(await raw(enc("COMMAND", "INFO", "ts.mrange"))).toBe("*1\r\n*10\r\n$9\r\nts.mrange\r\n:-1\r\n*2\r\n+readonly\r\n+module\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n");
    expect(await raw(enc("COMMAND", "INFO", "ts.mrange"), true)).toBe("*1\r\n*10\r\n$9\r\nts.mrange\r\n:-1\r\n~2\r\n+readonly\r\n+module\r\n:0\r\n:0\r\n:0\r\n~0\r\n~0\r\n~0\r\n~0\r\n");
    expect(await raw(enc("COMMAND", "INFO", "CONFIG|GET"))).toBe(
      "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n",
    );
    expect(await raw(enc("COMMAND", "INFO", "nosuch"))).toBe("*1\r\n*-1\r\n");
  });

  it("TS.CREATERULE and TS.DELETERULE name both keys (1, 2, 1); TS.MGET/MRANGE/QUERYINDEX none", async () => {
    const c = t.client();
    const [cr, dr, mget, q] = (await c.call("COMMAND", "INFO", "ts.createrule", "ts.deleterule", "ts.mget", "ts.queryindex")) as unknown[][];
    expect(cr.slice(3, 6)).toEqual([1, 2, 1]);
    expect(dr.slice(3, 6)).toEqual([1, 2, 1]);
    expect(JSON.stringify(cr[8])).toContain('"lastkey",1');
    expect(mget.slice(3, 6)).toEqual([0, 0, 0]);
    expect(q.slice(3, 6)).toEqual([0, 0, 0]);
    expect(mget[8]).toEqual([]);
  });

  it("COMMAND DOCS: Redis's documents; module commands as RedisTimeSeries gives them (group and module)", async () => {
    expect(await raw(enc("COMMAND", "DOCS", "ts.madd"))).toBe("*2\r\n$7\r\nts.madd\r\n*4\r\n$5\r\ngroup\r\n$6\r\nmodule\r\n$6\r\nmodule\r\n$10\r\ntimeseries\r\n");
    const c = t.client();
    const [name, doc] = (await c.call("COMMAND", "DOCS", "set")) as [string, unknown[]];
    expect(name).toBe("set");
    expect(doc.slice(0, 6)).toEqual(["summary", "Set the string value of a key", "since", "1.0.0", "group", "string"]);
    expect(doc).toContain("arguments");
    const cfg = (await c.call("COMMAND", "DOCS", "config")) as [string, unknown[]];
    const subs = cfg[1][cfg[1].indexOf("subcommands") + 1] as unknown[];
    expect(subs.filter((_, i) => i % 2 === 0).sort()).toEqual(["config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"]);
    expect(await c.call("COMMAND", "DOCS", "nosuch")).toEqual([]);
    const own = (await c.call("COMMAND", "DOCS", "tskv.flush")) as [string, unknown[]];
    expect(own[1]).toEqual(expect.arrayContaining(["summary", "since", "group"]));
  });

  it("COMMAND GETKEYS by the key specs, with Redis's refusals", async () => {
    const c = t.client();
    const keys = (...a: string[]): Promise<unknown> => c.call("COMMAND", "GETKEYS", ...a);
    expect(await keys("ts.madd", "a", "1", "2", "b", "3", "4")).toEqual(["a", "b"]);
    expect(await keys("ts.madd", "a", "1")).toEqual(["a"]);
    expect(await keys("ts.createrule", "a", "b", "AGGREGATION", "avg", "10")).toEqual(["a", "b"]);
    expect(await keys("ts.deleterule", "a", "b")).toEqual(["a", "b"]);
    expect(await keys("ts.add", "k", "1", "2")).toEqual(["k"]);
    expect(await keys("ts.info", "k", "DEBUG")).toEqual(["k"]);
    expect(await keys("mset", "a", "1", "b", "2")).toEqual(["a", "b"]);
    expect(await keys("eval", "x", "2", "a", "b", "c")).toEqual(["a", "b"]);
    expect(await keys("eval", "x", "5", "a")).toEqual([]);
    expect(await keys("set", "a", "1")).toEqual(["a"]);
    for (const keyless of [["ts.mrange", "-", "+", "FILTER", "a=b"], ["ts.mget", "FILTER", "a=b"], ["ts.queryindex", "a=b"], ["config", "get", "x"], ["client", "id"]]) {
      await expect(keys(...keyless)).rejects.toThrow("ERR The command has no key arguments");
    }
    await expect(keys("get", "a", "b")).rejects.toThrow("ERR Invalid number of arguments specified for command");
    await expect(keys("nosuch", "a")).rejects.toThrow("ERR Invalid command specified");
    await expect(keys("ping")).rejects.toThrow("ERR wrong number of arguments for 'command|getkeys' command");
  });

  it("COMMAND GETKEYSANDFLAGS: each key with its spec's flags (a set in RESP3)", async () => {
    expect(await raw(enc("COMMAND", "GETKEYSANDFLAGS", "set", "a", "1"))).toBe("*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n");
    expect(await raw(enc("COMMAND", "GETKEYSANDFLAGS", "set", "a", "1"), true)).toBe("*1\r\n*2\r\n$1\r\na\r\n~2\r\n+OW\r\n+update\r\n");
  });

  it("COMMAND COUNT counts commands; COMMAND LIST lists subcommands too; FILTERBY ACLCAT", async () => {
    const c = t.client();
    const count = (await c.call("COMMAND", "COUNT")) as number;
    const all = (await c.call("COMMAND")) as unknown[];
    expect(all.length).toBe(count);
    const list = (await c.call("COMMAND", "LIST")) as string[];
    expect(list).toEqual(expect.arrayContaining(["get", "ts.madd", "config|get", "client|setinfo", "command|getkeysandflags"]));
    expect(list.filter((n) => !n.includes("|")).length).toBe(count);
    const strings = (await c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string")) as string[];
    expect(strings).toEqual(expect.arrayContaining(["get", "set", "mset", "append"]));
    expect(strings).not.toContain("ping");
    expect(await c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch")).toEqual([]);
  });

  it("COMMAND HELP is Redis's text", async () => {
    const help = (await t.client().call("COMMAND", "HELP")) as string[];
    expect(help[1]).toBe("(no subcommand)");
    expect(help[2]).toBe("    Return details about all Redis commands.");
    expect(help.slice(-4)).toEqual(["GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.", "HELP", "    Prints this help."]);
  });
});

describe("the command table beside Redis's entries", () => {
  it("every command Redis has keeps Redis's arity and key positions (module commands: their key positions)", () => {
    for (const c of allCommands()) {
      const e = REDIS_COMMAND_INFO[c.name] as unknown[] | undefined;
      if (!e) {
        expect(c.name.startsWith("tskv.")).toBe(true);
        continue;
      }
      expect({ name: c.name, keys: [c.firstKey, c.lastKey, c.step] }).toEqual({ name: c.name, keys: e.slice(3, 6) });
      if (!c.name.startsWith("ts.")) expect({ name: c.name, arity: c.arity }).toEqual({ name: c.name, arity: e[1] });
      const subs = Array.isArray(e[9]) ? (e[9] as unknown[][]) : [];
      for (const s of c.subcommands ?? []) {
        const se = subs.find((x) => x[0] === s.name);
        if (se) expect({ name: s.name, arity: s.arity }).toEqual({ name: s.name, arity: se[1] });
      }
    }
  });
});

// SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO, LCS and GETSET as redis-server 7.0.15 answers them:
// every expected reply below is that server's, byte for byte, to the same commands run in this order from an empty
// database (the strings are latin1: "\xff" is the byte 0xff).
import { startTestServer, TestServer } from "../helpers/server";

const enc = (a: string[]): Buffer =>
  Buffer.concat([Buffer.from(`*${a.length}\r\n`), ...a.map((x) => Buffer.concat([Buffer.from(`$${Buffer.byteLength(x, "latin1")}\r\n`), Buffer.from(x, "latin1"), Buffer.from("\r\n")]))]);

/** [command, redis-server 7.0.15's reply in RESP2]. */
const CASES: Array<[string[], string]> = [
  [["setbit", "b", "7", "1"], ":0\r\n"],
  [["setbit", "b", "7", "0"], ":1\r\n"],
  [["setbit", "b", "100", "1"], ":0\r\n"],
  [["getbit", "b", "100"], ":1\r\n"],
  [["getbit", "b", "99"], ":0\r\n"],
  [["getbit", "b", "100000"], ":0\r\n"],
  [["getbit", "nokey", "5"], ":0\r\n"],
  [["strlen", "b"], ":13\r\n"],
  [["setbit", "b", "-1", "1"], "-ERR bit offset is not an integer or out of range\r\n"],
  [["setbit", "b", "4294967296", "1"], "-ERR bit offset is not an integer or out of range\r\n"],
  [["setbit", "b", "1", "2"], "-ERR bit is not an integer or out of range\r\n"],
  [["setbit", "b", "x", "1"], "-ERR bit offset is not an integer or out of range\r\n"],
  [["set", "s", "foobar"], "+OK\r\n"],
  [["bitcount", "s"], ":26\r\n"],
  [["bitcount", "s", "0", "0"], ":4\r\n"],
  [["bitcount", "s", "1", "1"], ":6\r\n"],
  [["bitcount", "s", "1", "-1"], ":22\r\n"],
  [["bitcount", "s", "5", "30", "BIT"], ":17\r\n"],
  [["bitcount", "s", "-1", "-2"], ":0\r\n"],
  [["bitcount", "s", "0"], "-ERR syntax error\r\n"],
  [["bitcount", "s", "0", "1", "FOO"], "-ERR syntax error\r\n"],
  [["bitcount", "nokey", "0", "x"], ":0\r\n"],
  [["bitpos", "s", "1"], ":1\r\n"],
  [["bitpos", "s", "0"], ":0\r\n"],
  [["bitpos", "s", "1", "2"], ":17\r\n"],
  [["bitpos", "s", "1", "2", "-1", "BYTE"], ":17\r\n"],
  [["bitpos", "s", "1", "7", "15", "BIT"], ":9\r\n"],
  [["bitpos", "s", "0", "0", "-1"], ":0\r\n"],
  [["set", "ff", "\u00ff\u00ff\u00ff"], "+OK\r\n"],
  [["bitpos", "ff", "0"], ":24\r\n"],
  [["bitpos", "ff", "0", "0"], ":24\r\n"],
  [["bitpos", "ff", "0", "0", "-1"], ":-1\r\n"],
  [["bitpos", "ff", "0", "1", "1", "BIT"], ":-1\r\n"],
  [["bitpos", "nokey", "0"], ":0\r\n"],
  [["bitpos", "nokey", "1"], ":-1\r\n"],
  [["bitpos", "s", "2"], "-ERR The bit argument must be 1 or 0.\r\n"],
  [["set", "e", ""], "+OK\r\n"],
  [["bitpos", "e", "0"], ":-1\r\n"],
  [["bitpos", "e", "1"], ":-1\r\n"],
  [["set", "k1", "foobar"], "+OK\r\n"],
  [["set", "k2", "abcdef"], "+OK\r\n"],
  [["bitop", "and", "dest", "k1", "k2"], ":6\r\n"],
  [["get", "dest"], "$6\r\n`bc`ab\r\n"],
  [["bitop", "or", "dest", "k1", "k2"], ":6\r\n"],
  [["get", "dest"], "$6\r\ngoofev\r\n"],
  [["bitop", "xor", "dest", "k1", "k2", "nokey"], ":6\r\n"],
  [["get", "dest"], "$6\r\n\u0007\r\f\u0006\u0004\u0014\r\n"],
  [["bitop", "not", "dest", "k1"], ":6\r\n"],
  [["get", "dest"], "$6\r\n\u0099\u0090\u0090\u009d\u009e\u008d\r\n"],
  [["bitop", "not", "dest", "k1", "k2"], "-ERR BITOP NOT must be called with a single source key.\r\n"],
  [["bitop", "foo", "dest", "k1"], "-ERR syntax error\r\n"],
  [["bitop", "and", "dest", "nokey"], ":0\r\n"],
  [["exists", "dest"], ":0\r\n"],
  [["bitfield", "bf", "set", "i8", "0", "100", "get", "i8", "0"], "*2\r\n:0\r\n:100\r\n"],
  [["bitfield", "bf", "incrby", "i8", "0", "100"], "*1\r\n:-56\r\n"],
  [["bitfield", "bf", "overflow", "sat", "incrby", "i8", "0", "100"], "*1\r\n:44\r\n"],
  [["bitfield", "bf", "overflow", "fail", "incrby", "i8", "0", "100"], "*1\r\n$-1\r\n"],
  [["bitfield", "bf", "overflow", "wrap", "incrby", "u2", "100", "1", "incrby", "u2", "100", "1", "incrby", "u2", "100", "1", "incrby", "u2", "100", "1"], "*4\r\n:1\r\n:2\r\n:3\r\n:0\r\n"],
  [["bitfield", "bf", "get", "u4", "0", "get", "i4", "0", "get", "u63", "0", "get", "i64", "0"], "*4\r\n:2\r\n:2\r\n:1585267068834414592\r\n:3170534137668829184\r\n"],
  [["bitfield", "bf", "set", "u8", "#1", "255", "get", "u8", "#1", "get", "u8", "8"], "*3\r\n:0\r\n:255\r\n:255\r\n"],
  [["bitfield", "bf", "set", "i64", "0", "-9223372036854775808", "overflow", "sat", "set", "i31", "43", "-9223372036854775808"], "*2\r\n:3242310256730046464\r\n:0\r\n"],
  [["bitfield", "bf", "get", "u64", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"],
  [["bitfield", "bf", "get", "i0", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"],
  [["bitfield", "bf", "get", "u8", "-1"], "-ERR bit offset is not an integer or out of range\r\n"],
  [["bitfield", "bf", "overflow", "foo"], "-ERR Invalid OVERFLOW type specified\r\n"],
  [["bitfield", "bf", "get"], "-ERR syntax error\r\n"],
  [["bitfield", "bf", "incrby", "u8", "0", "x"], "-ERR value is not an integer or out of range\r\n"],
  [["bitfield_ro", "bf", "get", "u8", "0"], "*1\r\n:128\r\n"],
  [["bitfield_ro", "bf", "set", "u8", "0", "1"], "-ERR BITFIELD_RO only supports the GET subcommand\r\n"],
  [["bitfield", "nokey", "get", "u8", "0"], "*1\r\n:0\r\n"],
  [["bitfield", "nokey2", "overflow", "fail", "set", "u2", "0", "7"], "*1\r\n$-1\r\n"],
  [["exists", "nokey2"], ":1\r\n"],
  [["get", "nokey2"], "$1\r\n\u0000\r\n"],
  [["set", "l1", "ohmytext"], "+OK\r\n"],
  [["set", "l2", "mynewtext"], "+OK\r\n"],
  [["lcs", "l1", "l2"], "$6\r\nmytext\r\n"],
  [["lcs", "l1", "l2", "len"], ":6\r\n"],
  [["lcs", "l1", "l2", "idx"], "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"],
  [["lcs", "l1", "l2", "idx", "minmatchlen", "4", "withmatchlen"], "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"],
  [["lcs", "l1", "l2", "idx", "len"], "-ERR If you want both the length and indexes, please just use IDX.\r\n"],
  [["lcs", "l1", "nokey"], "$0\r\n\r\n"],
  [["lcs", "l1", "l2", "foo"], "-ERR syntax error\r\n"],
  [["set", "t", "v", "px", "100000"], "+OK\r\n"],
  [["getset", "t", "w"], "$1\r\nv\r\n"],
  [["ttl", "t"], ":-1\r\n"],
  [["getset", "nokey3", "x"], "$-1\r\n"],
  [["ts.create", "series"], "+OK\r\n"],
  [["getset", "series", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"],
  [["setbit", "series", "1", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"],
  [["bitop", "and", "dest", "series"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"],
  [["lcs", "l1", "series"], "-ERR The specified keys must contain string values\r\n"],
  [["bitfield_ro", "series", "get", "u8", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"],
];

/** One complete RESP2 reply's end in `s` from `at`, or -1 while incomplete. */
function replyEnd(s: string, at = 0): number {
  const nl = s.indexOf("\r\n", at);
  if (nl < 0) return -1;
  const n = Number(s.slice(at + 1, nl));
  if (s[at] === "$") return n < 0 ? nl + 2 : s.length >= nl + 4 + n ? nl + 4 + n : -1;
  if (s[at] === "*") {
    let p = nl + 2;
    for (let i = 0; i < n; i++) {
      p = replyEnd(s, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return nl + 2;
}

describe("bit commands, LCS and GETSET as Redis 7.0.15", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it(`answers ${CASES.length} commands byte for byte as redis-server 7.0.15 did`, async () => {
    const payload = Buffer.concat(CASES.map(([a]) => enc(a)));
    const out = await t.raw(payload, (s) => {
      let p = 0;
      for (let i = 0; i < CASES.length; i++) {
        p = replyEnd(s, p);
        if (p < 0) return false;
      }
      return true;
    });
    let p = 0;
    const got: Array<[string, string]> = [];
    for (const [a] of CASES) {
      const end = replyEnd(out, p);
      got.push([a.join(" "), out.slice(p, end)]);
      p = end;
    }
    expect(got).toEqual(CASES.map(([a, r]) => [a.join(" "), r]));
  });

  it("keeps a key's expiry across SETBIT and BITFIELD; BITOP's destination and GETSET's key lose theirs", async () => {
    const c = t.client();
    await c.set("x", "a", "PX", 100000);
    await c.setbit("x", 20, 1);
    await c.call("BITFIELD", "x", "SET", "u8", "0", "7");
    expect(await c.pttl("x")).toBeGreaterThan(90000);
    await c.set("d", "z", "PX", 100000);
    await c.call("BITOP", "OR", "d", "x");
    expect(await c.pttl("d")).toBe(-1);
    await c.call("GETSET", "x", "q");
    expect(await c.pttl("x")).toBe(-1);
  });
});

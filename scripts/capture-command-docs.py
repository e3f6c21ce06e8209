#!/usr/bin/env python3
"""Writes src/server/command-docs-data.ts: Redis 7.0.15's COMMAND INFO and COMMAND DOCS entries (RESP3) for every
command a running tskv has, cut to the subcommands tskv has.

  redis-server --port 16379 --save '' --loadmodule redistimeseries-1.12.14-linux-x64.so &
  node dist/cli/tskv-server.js --port 17070 --dir /tmp/x &
  python3 scripts/capture-command-docs.py 16379 17070
"""
import json, os, socket, sys


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.call("HELLO", "3")

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(1 << 20)
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def _n(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        """A reply as command-docs.ts's ReplyNode: {s} simple, {m} map, {S} set; bulk strings, integers, arrays as is."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._n(n).decode()
        if t == b"+":
            return {"s": rest.decode()}
        if t == b":":
            return int(rest)
        if t == b"_":
            return None
        if t == b"-":
            raise RuntimeError(rest.decode())
        n = int(rest)
        if t == b"%":
            return {"m": [self.read() for _ in range(2 * n)]}
        items = [self.read() for _ in range(n)]
        return {"S": items} if t == b"~" else items

    def call(self, *args):
        enc = [a.encode() for a in args]
        self.s.sendall(b"*%d\r\n" % len(enc) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in enc))
        return self.read()


def subs_of(entry):
    return entry[9]["S"] if isinstance(entry[9], dict) else entry[9]


def main():
    redis, tskv = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    names = sorted(n for n in tskv.call("COMMAND", "LIST") if "|" not in n and not n.startswith("tskv."))
    infos, docs = {}, {}
    for name in names:
        ours = {e[0] for e in subs_of(tskv.call("COMMAND", "INFO", name)[0])}
        info = redis.call("COMMAND", "INFO", name)[0]
        if info is None:
            print(f"redis has no {name}", file=sys.stderr)
            continue
        kept = [e for e in subs_of(info) if e[0] in ours]
        info[9] = {"S": kept} if isinstance(info[9], dict) else kept
        doc = redis.call("COMMAND", "DOCS", name)["m"][1]
        kv = doc["m"]
        for i in range(0, len(kv), 2):
            if kv[i] == "subcommands":
                m = kv[i + 1]["m"]
                kv[i + 1] = {"m": [x for j in range(0, len(m), 2) if m[j] in ours for x in (m[j], m[j + 1])]}
        if name in ("ts.createrule", "ts.deleterule"):
            # Both keys, where RedisTimeSeries 1.12.14 says 1, 1, 1: the destination is a key too.
            info[3], info[4], info[5] = 1, 2, 1
            spec = info[8]["S"][0]["m"]
            find = spec[spec.index("find_keys") + 1]["m"]
            rng = find[find.index("spec") + 1]["m"]
            rng[rng.index("lastkey") + 1] = 1
        infos[name], docs[name] = info, doc
    out = [
        "// Redis 7.0.15's COMMAND INFO and COMMAND DOCS entries for the commands tskv has, as redis-server 7.0.15",
        "// --loadmodule redistimeseries 1.12.14 sent them in RESP3 (subcommands cut to those tskv has); written by",
        "// scripts/capture-command-docs.py. One change, on purpose: TS.CREATERULE and TS.DELETERULE name both their keys",
        "// (1, 2, 1), where RedisTimeSeries 1.12.14 says 1, 1, 1. Encoding (command-docs.ts renders it): a string is a",
        "// bulk string, a number an integer, null a null, an array an array; {s} a simple string, {m} a map (keys and",
        "// values in turn), {S} a set.",
        'import type { ReplyNode } from "./command-docs";',
        "",
        "export const REDIS_COMMAND_INFO: Readonly<Record<string, ReplyNode>> = {",
    ]
    out += [f"  {json.dumps(n)}: {json.dumps(infos[n], separators=(',', ':'))}," for n in sorted(infos)]
    out += ["};", "", "export const REDIS_COMMAND_DOCS: Readonly<Record<string, ReplyNode>> = {"]
    out += [f"  {json.dumps(n)}: {json.dumps(docs[n], separators=(',', ':'))}," for n in sorted(docs)]
    out += ["};"]
    path = os.path.join(os.path.dirname(__file__), "..", "src", "server", "command-docs-data.ts")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(infos)} commands", file=sys.stderr)


main()

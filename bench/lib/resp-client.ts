// A small RESP client for the harness's own questions (setup checks, TS.INFO, INFO, replies compared between two
// systems): one connection, one command at a time, every reply parsed whole into plain values. Not a load generator.
import * as net from "node:net";
import { encodeCommand } from "./loadgen";

/** An error reply (`-ERR ...` or a RESP3 blob error), kept as a value so a nested one can be found and reported. */
export class ReplyError {
  constructor(readonly message: string) {}
}

export type Reply = string | number | null | ReplyError | Reply[];

/** Parses one reply starting at `pos`; returns it and the position after it, or undefined when the bytes end first. */
function parse(b: Buffer, pos: number): [Reply, number] | undefined {
  const nl = b.indexOf("\r\n", pos);
  if (nl < 0) return undefined;
  const type = String.fromCharCode(b[pos]);
  const line = b.toString("latin1", pos + 1, nl);
  const after = nl + 2;
  switch (type) {
    case "+":
    case "(": // RESP3 big number
      return [b.toString("utf8", pos + 1, nl), after];
    case ",": // RESP3 double: kept as text, as a RESP2 client sees it
      return [line, after];
    case ":":
      return [Number(line), after];
    case "#":
      return [line === "t" ? 1 : 0, after];
    case "_":
      return [null, after];
    case "-":
      return [new ReplyError(b.toString("utf8", pos + 1, nl)), after];
    case "$":
    case "=":
    case "!": {
      const len = Number(line);
      if (len < 0) return [null, after];
      if (b.length < after + len + 2) return undefined;
      const s = b.toString("utf8", after, after + len);
      return [type === "!" ? new ReplyError(s) : s, after + len + 2];
    }
    case "*":
    case "~":
    case ">":
    case "%": {
      let count = Number(line);
      if (count < 0) return [null, after];
      if (type === "%") count *= 2;
      const out: Reply[] = [];
      let p = after;
      for (let i = 0; i < count; i++) {
        const r = parse(b, p);
        if (!r) return undefined;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`resp-client: unexpected reply byte 0x${b[pos].toString(16)}`);
  }
}

export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      // A long reply arrives in many reads and is parsed again from its start after each (fine for the few checks
      // the harness makes; the load itself is measured by redis-benchmark or loadgen.ts).
      while (this.waiting.length > 0 && this.buf.length > 0) {
        const r = parse(this.buf, 0);
        if (!r) break;
        this.buf = this.buf.subarray(r[1]);
        this.waiting.shift()!.resolve(r[0]);
      }
    });
    const fail = (e: Error): void => {
      this.failure = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    sock.on("error", fail);
    sock.on("close", () => fail(new Error("connection closed")));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      sock.once("connect", () => resolve(new RespClient(sock)));
      sock.once("error", reject);
    });
  }

  call(...args: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.sock.write(encodeCommand(args));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** One-off: connect, run the commands in order, close. */
export async function callOnce(port: number, ...commands: string[][]): Promise<Reply[]> {
  const c = await RespClient.connect(port);
  try {
    const out: Reply[] = [];
    for (const cmd of commands) out.push(await c.call(...cmd));
    return out;
  } finally {
    c.close();
  }
}

/** The first error reply anywhere in a reply (TS.MADD reports a failed sample inside its array), or undefined. */
export function firstError(r: Reply): ReplyError | undefined {
  if (r instanceof ReplyError) return r;
  if (Array.isArray(r)) {
    for (const x of r) {
      const e = firstError(x);
      if (e) return e;
    }
  }
  return undefined;
}

/** Field `name` of a flat [name, value, name, value, ...] reply (TS.INFO's shape). */
export function field(r: Reply, name: string): Reply | undefined {
  if (!Array.isArray(r)) return undefined;
  for (let i = 0; i + 1 < r.length; i += 2) if (r[i] === name) return r[i + 1];
  return undefined;
}

/** `name:value` of an INFO reply, as a number (NaN when absent). */
export function infoField(info: Reply, name: string): number {
  if (typeof info !== "string") return NaN;
  const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  return m ? Number(m[1].trim()) : NaN;
}

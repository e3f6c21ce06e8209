// A raw RESP connection for tests that read replies byte for byte: each command goes out followed by PING, so
// "+PONG\r\n" ends each reply, and replies() waits until that many have arrived.
import * as net from "node:net";
import type { TestServer } from "./server";

/** A command as RESP (what a client sends). */
export const enc = (a: Array<string | number>): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join("");

/** A raw connection: each command goes out followed by PING, so "+PONG\r\n" ends each reply. */
export class RawConn {
  readonly sock: net.Socket;
  private readonly chunks: Buffer[] = [];
  private pongs = 0;
  private tail = "";
  private wake: (() => void) | undefined;

  constructor(port: number) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.on("error", () => undefined);
    this.sock.on("data", (d: Buffer) => {
      this.chunks.push(d);
      const s = this.tail + d.toString("latin1");
      for (let i = s.indexOf("+PONG\r\n"); i >= 0; i = s.indexOf("+PONG\r\n", i + 1)) this.pongs++;
      this.tail = s.slice(-6);
      this.wake?.();
    });
  }

  send(...cmds: Array<Array<string | number>>): void {
    this.sock.write(cmds.map((c) => enc(c) + enc(["PING"])).join(""));
  }

  /** The first `n` replies received, as latin1 text. */
  async replies(n: number): Promise<string[]> {
    while (this.pongs < n) await new Promise<void>((r) => (this.wake = r));
    return Buffer.concat(this.chunks).toString("latin1").split("+PONG\r\n").slice(0, n);
  }
}

/**
 * Sends `cmds` on a connection that does not read, and waits until the server holds back part of their replies;
 * `held()` is the output the server keeps for it now.
 */
export async function pausedConn(t: TestServer, name: string, ...cmds: Array<Array<string | number>>): Promise<{ conn: RawConn; held: () => number }> {
  const conn = new RawConn(t.port);
  conn.sock.pause();
  conn.send(["CLIENT", "SETNAME", name], ...cmds);
  const held = (): number => t.server.clientList().find((x) => x.client.name === name)?.outputBytes ?? 0;
  const until = Date.now() + 10_000;
  while (held() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  return { conn, held };
}

// A raw RESP connection for tests that read replies byte for byte: each command goes out followed by PING, so
// "+PONG\r\n" ends each reply, and replies() waits until that many have arrived.
import * as net from "node:net";

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

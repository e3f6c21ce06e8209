// A FileSystem for fault injection, in the spirit of LevelDB's fault-injection test: it can fail the n-th call of
// an operation (on files matching a pattern), and it remembers what has been made durable, so `crash()` can throw
// away everything a power cut would: bytes written since a file's last fsync, and files whose directory entry was
// never synced.
import * as fs from "node:fs";
import * as path from "node:path";
import { FileSystem, nodeFs } from "../../src/engine/io";

export type FaultOp = "writeSync" | "fsyncSync" | "fdatasync" | "renameSync" | "unlinkSync" | "syncDir" | "openSync";

export class FaultFs implements FileSystem {
  private readonly fdPath = new Map<number, string>();
  /** Durable length of each file written through us. */
  private readonly synced = new Map<string, number>();
  /** Files created whose directory has not been synced since. */
  private readonly unlinked = new Set<string>();
  private readonly fresh = new Set<string>();
  private counts = new Map<string, number>();
  private rule: { op: FaultOp; match: RegExp; nth: number; code: string } | undefined;
  /** Set when the injected fault fired. */
  tripped = false;
  /** After crash(): every call fails, as if the machine were gone. */
  dead = false;

  /** Fails the `nth` call (1-based) of `op` on a path matching `match` with errno `code`. */
  failAt(op: FaultOp, match: RegExp, nth: number, code = "EIO"): void {
    this.rule = { op, match, nth, code };
    this.counts = new Map();
  }

  private check(op: FaultOp, p: string): void {
    if (this.dead) throw Object.assign(new Error(`${op} after crash`), { code: "EIO" });
    const r = this.rule;
    if (!r || this.tripped || r.op !== op || !r.match.test(path.basename(p))) return;
    const n = (this.counts.get(op) ?? 0) + 1;
    this.counts.set(op, n);
    if (n === r.nth) {
      this.tripped = true;
      throw Object.assign(new Error(`injected ${r.code} in ${op}(${path.basename(p)})`), { code: r.code });
    }
  }

  /** Simulates a power cut: unsynced bytes and unsynced directory entries are lost. */
  crash(): void {
    this.dead = true;
    for (const f of this.fresh) {
      try {
        fs.unlinkSync(f);
      } catch {
        // never created
      }
      this.synced.delete(f);
    }
    for (const [f, len] of this.synced) {
      if (!fs.existsSync(f)) continue;
      if (fs.statSync(f).size > len) fs.truncateSync(f, len);
    }
  }

  openSync(p: string, flags: string): number {
    this.check("openSync", p);
    const existed = fs.existsSync(p);
    const fd = nodeFs.openSync(p, flags);
    this.fdPath.set(fd, p);
    if (!existed) {
      this.fresh.add(p);
      this.synced.set(p, 0);
    } else if (!this.synced.has(p)) {
      this.synced.set(p, fs.statSync(p).size);
    }
    if (flags.startsWith("w") && existed) this.synced.set(p, 0);
    return fd;
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    this.check("writeSync", this.fdPath.get(fd) ?? "");
    return nodeFs.writeSync(fd, buf, offset, length, position);
  }

  readFileSync(p: string): Buffer {
    if (this.dead) throw Object.assign(new Error("read after crash"), { code: "EIO" });
    return nodeFs.readFileSync(p);
  }

  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    return nodeFs.readSync(fd, buf, offset, length, position);
  }

  renameSync(from: string, to: string): void {
    this.check("renameSync", to);
    nodeFs.renameSync(from, to);
    // The rename is durable only once the directory is synced; until then a crash keeps the old name.
    const len = this.synced.get(from);
    this.synced.delete(from);
    if (len !== undefined) this.synced.set(to, len);
    this.fresh.delete(from);
    this.fresh.add(to);
  }

  async fdatasync(fd: number): Promise<void> {
    const p = this.fdPath.get(fd) ?? "";
    this.check("fdatasync", p);
    await nodeFs.fdatasync(fd);
    this.synced.set(p, fs.fstatSync(fd).size);
  }

  fsyncSync(fd: number): void {
    const p = this.fdPath.get(fd) ?? "";
    this.check("fsyncSync", p);
    nodeFs.fsyncSync(fd);
    this.synced.set(p, fs.fstatSync(fd).size);
  }

  ftruncateSync(fd: number, len: number): void {
    nodeFs.ftruncateSync(fd, len);
  }

  fstatSize(fd: number): number {
    return nodeFs.fstatSize(fd);
  }

  closeSync(fd: number): void {
    this.fdPath.delete(fd);
    nodeFs.closeSync(fd);
  }

  readdirSync(d: string): string[] {
    return nodeFs.readdirSync(d);
  }

  mkdirSync(d: string): void {
    nodeFs.mkdirSync(d);
  }

  unlinkSync(p: string): void {
    this.check("unlinkSync", p);
    nodeFs.unlinkSync(p);
    this.synced.delete(p);
    this.fresh.delete(p);
    this.unlinked.add(p);
  }

  existsSync(p: string): boolean {
    return nodeFs.existsSync(p);
  }

  writeFileSync(p: string, data: string | Uint8Array): void {
    if (this.dead) throw Object.assign(new Error("write after crash"), { code: "EIO" });
    nodeFs.writeFileSync(p, data);
  }

  syncDir(d: string): void {
    this.check("syncDir", d);
    nodeFs.syncDir(d);
    for (const f of [...this.fresh]) if (path.dirname(f) === d) this.fresh.delete(f);
  }
}

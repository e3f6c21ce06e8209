// The engine's one file-I/O seam. Everything the WAL and the engine do to files goes through a FileSystem, so
// tests (and the fault-injection harness) can make any call fail, write short, or lose what was never synced.
import * as fs from "node:fs";

export interface FileSystem {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  readFileSync(path: string): Buffer;
  /** Positional read; returns bytes read (0 at end of file). */
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  /** Atomic replace of `to` by `from` (same directory). */
  renameSync(from: string, to: string): void;
  fdatasync(fd: number): Promise<void>;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, len: number): void;
  fstatSize(fd: number): number;
  closeSync(fd: number): void;
  readdirSync(dir: string): string[];
  mkdirSync(dir: string): void;
  unlinkSync(path: string): void;
  existsSync(path: string): boolean;
  writeFileSync(path: string, data: string | Uint8Array): void;
  /** False to read tables through this seam instead of the native mapping (tests that fault reads). */
  readonly mapTables?: boolean;
  /** fsync a directory so entries created or renamed in it are durable. */
  syncDir(dir: string): void;
}

export const nodeFs: FileSystem = {
  openSync: (p, flags) => fs.openSync(p, flags),
  writeSync: (fd, buf, offset, length, position) => fs.writeSync(fd, buf, offset, length, position),
  readFileSync: (p) => fs.readFileSync(p),
  readSync: (fd, buf, offset, length, position) => fs.readSync(fd, buf, offset, length, position),
  renameSync: (from, to) => fs.renameSync(from, to),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  fstatSize: (fd) => fs.fstatSync(fd).size,
  closeSync: (fd) => fs.closeSync(fd),
  readdirSync: (d) => fs.readdirSync(d),
  mkdirSync: (d) => fs.mkdirSync(d, { recursive: true }),
  unlinkSync: (p) => fs.unlinkSync(p),
  existsSync: (p) => fs.existsSync(p),
  writeFileSync: (p, data) => fs.writeFileSync(p, data),
  syncDir: (d) => {
    const fd = fs.openSync(d, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** Writes all of `b` at `position`, looping over short writes; a write of nothing is an EIO naming `what`. */
export function writeFully(fs: FileSystem, fd: number, b: Uint8Array, position: number, what: string): void {
  let done = 0;
  while (done < b.length) {
    const n = fs.writeSync(fd, b, done, b.length - done, position + done);
    if (n <= 0) throw Object.assign(new Error(`short write to ${what}`), { code: "EIO" });
    done += n;
  }
}

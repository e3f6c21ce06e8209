// The data directory's files outside the LSM proper: its LOCK, a WAL segment's header check and cutting a torn tail.
import * as path from "node:path";
import { corruption, TskvError } from "./errors";
import type { FileSystem } from "./io";
import { PayloadKind, SEGMENT_MAGIC, WAL_FORMAT_VERSION } from "./wal/format";

export function errnoOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

export function checkSegmentHeader(file: string, rec: Buffer): void {
  if (rec[0] !== PayloadKind.HEADER || !rec.subarray(1, 1 + SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
    throw corruption(file, 0, "not a tskv WAL segment (bad header record)");
  }
  const version = rec[1 + SEGMENT_MAGIC.length];
  if (version !== WAL_FORMAT_VERSION) throw corruption(file, 0, `unsupported WAL format version ${version}`);
}

export function cutSegment(fs: FileSystem, file: string, size: number): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.ftruncateSync(fd, size);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function acquireLock(fs: FileSystem, dir: string): void {
  const lock = path.join(dir, "LOCK");
  if (fs.existsSync(lock)) {
    const pid = Number(fs.readFileSync(lock).toString().trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new TskvError("TSKV_ERR_LOCKED", `${dir} is in use by process ${pid} (LOCK file)`);
    }
  }
  fs.writeFileSync(lock, `${process.pid}\n`);
}

export function releaseLock(fs: FileSystem, dir: string): void {
  try {
    fs.unlinkSync(path.join(dir, "LOCK"));
  } catch {
    // already gone
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === "EPERM";
  }
}

// The manifest (docs/format.md, "Manifest"): which tables make up the database, at which level, and which WAL
// segments still matter. It is a log of version edits in the WAL's record framing, named MANIFEST-NNNNNN, and the
// file CURRENT names the live one. CURRENT is switched by durable rename: write CURRENT.tmp, fsync it, rename it
// over CURRENT, fsync the directory — so after a crash CURRENT names either the old manifest or the new one, never
// a file that is missing or half written.
import * as path from "node:path";
import { corruption, TskvError } from "./errors";
import { FileSystem, writeFully } from "./io";
import { readVarint, varintSize, writeVarint } from "./varint";
import { frameRecords } from "./wal/writer";
import { readSegment } from "./wal/reader";

export const NUM_LEVELS = 7;
export const MANIFEST_MAGIC = Buffer.from("TSKVMAN\0", "latin1");
export const MANIFEST_FORMAT_VERSION = 1;

export interface FileMeta {
  number: number;
  level: number;
  size: number;
  entries: number;
  smallest: Buffer;
  largest: Buffer;
  minSeq: number;
  maxSeq: number;
}

export interface VersionEdit {
  /** WAL segments numbered below this are fully in tables. */
  logNumber?: number;
  /** Next number for a table or manifest file. */
  nextFile?: number;
  /** Highest sequence in any table. */
  lastSequence?: number;
  deleted: Array<{ level: number; number: number }>;
  added: FileMeta[];
}

const Tag = { LOG_NUMBER: 1, NEXT_FILE: 2, LAST_SEQUENCE: 3, DELETED: 4, ADDED: 5 } as const;

export function manifestName(n: number): string {
  return `MANIFEST-${String(n).padStart(6, "0")}`;
}

export function parseManifestName(name: string): number | undefined {
  const m = /^MANIFEST-(\d{6,})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function encodeEdit(e: VersionEdit): Buffer {
  const bufs: Buffer[] = [];
  let size = 0;
  const tmp = Buffer.allocUnsafe(10);
  const v = (n: number): void => {
    const end = writeVarint(tmp, 0, n);
    bufs.push(Buffer.from(tmp.subarray(0, end)));
    size += end;
  };
  const bytes = (b: Buffer): void => {
    v(b.length);
    bufs.push(b);
    size += b.length;
  };
  if (e.logNumber !== undefined) (v(Tag.LOG_NUMBER), v(e.logNumber));
  if (e.nextFile !== undefined) (v(Tag.NEXT_FILE), v(e.nextFile));
  if (e.lastSequence !== undefined) (v(Tag.LAST_SEQUENCE), v(e.lastSequence));
  for (const d of e.deleted) (v(Tag.DELETED), v(d.level), v(d.number));
  for (const f of e.added) {
    v(Tag.ADDED);
    v(f.level);
    v(f.number);
    v(f.size);
    v(f.entries);
    v(f.minSeq);
    v(f.maxSeq);
    bytes(f.smallest);
    bytes(f.largest);
  }
  return Buffer.concat(bufs, size);
}

export function decodeEdit(b: Buffer): VersionEdit | undefined {
  const e: VersionEdit = { deleted: [], added: [] };
  let pos = 0;
  const v = (): number => {
    const r = readVarint(b, pos, b.length);
    if (!r) throw new Error("bad varint");
    pos = r[1];
    return r[0];
  };
  const bytes = (): Buffer => {
    const n = v();
    if (pos + n > b.length) throw new Error("bytes past the end");
    const out = Buffer.from(b.subarray(pos, pos + n));
    pos += n;
    return out;
  };
  try {
    while (pos < b.length) {
      const tag = v();
      switch (tag) {
        case Tag.LOG_NUMBER:
          e.logNumber = v();
          break;
        case Tag.NEXT_FILE:
          e.nextFile = v();
          break;
        case Tag.LAST_SEQUENCE:
          e.lastSequence = v();
          break;
        case Tag.DELETED:
          e.deleted.push({ level: v(), number: v() });
          break;
        case Tag.ADDED: {
          const level = v();
          const number = v();
          const size = v();
          const entries = v();
          const minSeq = v();
          const maxSeq = v();
          const smallest = bytes();
          const largest = bytes();
          if (level >= NUM_LEVELS) return undefined;
          e.added.push({ level, number, size, entries, minSeq, maxSeq, smallest, largest });
          break;
        }
        default:
          return undefined;
      }
    }
  } catch {
    return undefined;
  }
  return e;
}

function headerRecord(number: number): Buffer {
  const b = Buffer.alloc(MANIFEST_MAGIC.length + 1 + varintSize(number));
  MANIFEST_MAGIC.copy(b, 0);
  b[MANIFEST_MAGIC.length] = MANIFEST_FORMAT_VERSION;
  writeVarint(b, MANIFEST_MAGIC.length + 1, number);
  return b;
}

/** The state a manifest describes, folded from its edits. */
export interface ManifestState {
  manifest: number;
  logNumber: number;
  nextFile: number;
  lastSequence: number;
  levels: FileMeta[][];
}

export function emptyState(): ManifestState {
  return { manifest: 0, logNumber: 0, nextFile: 1, lastSequence: 0, levels: Array.from({ length: NUM_LEVELS }, () => []) };
}

export function applyEdit(s: ManifestState, e: VersionEdit, where = "edit"): void {
  if (e.logNumber !== undefined) s.logNumber = Math.max(s.logNumber, e.logNumber);
  if (e.nextFile !== undefined) s.nextFile = Math.max(s.nextFile, e.nextFile);
  if (e.lastSequence !== undefined) s.lastSequence = Math.max(s.lastSequence, e.lastSequence);
  for (const d of e.deleted) {
    const lvl = s.levels[d.level];
    const i = lvl ? lvl.findIndex((f) => f.number === d.number) : -1;
    if (i < 0) throw new TskvError("TSKV_ERR_CORRUPTION", `${where}: deletes table ${d.number} at level ${d.level}, which is not there`);
    lvl.splice(i, 1);
  }
  for (const f of e.added) {
    s.levels[f.level].push(f);
    s.nextFile = Math.max(s.nextFile, f.number + 1);
  }
  for (let l = 1; l < NUM_LEVELS; l++) s.levels[l].sort((a, b) => Buffer.compare(a.smallest, b.smallest));
  s.levels[0].sort((a, b) => a.number - b.number);
}

/** Reads CURRENT and the manifest it names; undefined when the directory has no CURRENT (a new or WAL-only db). */
export function readManifest(fs: FileSystem, dir: string): ManifestState | undefined {
  const currentFile = path.join(dir, "CURRENT");
  if (!fs.existsSync(currentFile)) return undefined;
  const name = fs.readFileSync(currentFile).toString("latin1");
  const number = parseManifestName(name.replace(/\n$/, ""));
  if (number === undefined || !name.endsWith("\n")) throw corruption("CURRENT", 0, `does not name a manifest (${JSON.stringify(name.slice(0, 40))})`);
  const file = manifestName(number);
  if (!fs.existsSync(path.join(dir, file))) throw corruption("CURRENT", 0, `names ${file}, which does not exist`);
  const data = fs.readFileSync(path.join(dir, file));
  const read = readSegment(data);
  if (read.damage && (read.validAfterDamage || read.records.length < 2)) {
    throw corruption(file, read.damage.offset, read.damage.reason);
  }
  // A torn last record is an edit whose fsync never completed: nothing acted on it, so it is dropped.
  const [head, ...edits] = read.records;
  if (!head || !head.subarray(0, MANIFEST_MAGIC.length).equals(MANIFEST_MAGIC)) throw corruption(file, 0, "not a tskv manifest");
  if (head[MANIFEST_MAGIC.length] !== MANIFEST_FORMAT_VERSION) throw corruption(file, 0, `unsupported manifest version ${head[MANIFEST_MAGIC.length]}`);
  const s = emptyState();
  s.manifest = number;
  for (const rec of edits) {
    const e = decodeEdit(rec);
    if (!e) throw corruption(file, 0, "malformed version edit inside a record with a valid checksum");
    applyEdit(s, e, file);
  }
  s.nextFile = Math.max(s.nextFile, number + 1);
  return s;
}

/** The state as one edit, the first record of a new manifest. */
export function snapshotEdit(s: ManifestState): VersionEdit {
  return { logNumber: s.logNumber, nextFile: s.nextFile, lastSequence: s.lastSequence, deleted: [], added: s.levels.flat() };
}

/** Appends edits to the live manifest; each append is durable (fdatasync) before its promise resolves. */
export class ManifestWriter {
  private offset: number;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly fs: FileSystem,
    readonly number: number,
    private readonly fd: number,
    offset: number,
  ) {
    this.offset = offset;
  }

  /**
   * Writes a new manifest holding `state`, makes it durable, and switches CURRENT to it by durable rename.
   * Synchronous: runs at open, before the engine serves anything.
   */
  static create(fs: FileSystem, dir: string, number: number, state: ManifestState): ManifestWriter {
    const file = path.join(dir, manifestName(number));
    const fd = fs.openSync(file, "w");
    const bytes = frameRecords([headerRecord(number), encodeEdit(snapshotEdit(state))], 0);
    writeFully(fs, fd, bytes, 0, "manifest");
    fs.fsyncSync(fd);
    setCurrent(fs, dir, number);
    return new ManifestWriter(fs, number, fd, bytes.length);
  }

  /** Appends one edit; resolves once it is on disk. Edits are written in call order. */
  append(e: VersionEdit): Promise<void> {
    const run = async (): Promise<void> => {
      const bytes = frameRecords([encodeEdit(e)], this.offset);
      try {
        writeFully(this.fs, this.fd, bytes, this.offset, "manifest");
        try {
          await this.fs.fdatasync(this.fd);
        } catch (se) {
          // A failed fsync is never retried (the kernel may have dropped the pages): marked so nobody does.
          throw Object.assign(se as Error, { fsync: true });
        }
      } catch (err) {
        try {
          this.fs.ftruncateSync(this.fd, this.offset);
        } catch {
          // the engine stops writing after a failed manifest append anyway
        }
        throw err;
      }
      this.offset += bytes.length;
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  get size(): number {
    return this.offset;
  }

  close(): void {
    this.fs.closeSync(this.fd);
  }
}

/** CURRENT ← "MANIFEST-NNNNNN\n" by durable rename. */
export function setCurrent(fs: FileSystem, dir: string, number: number): void {
  const tmp = path.join(dir, "CURRENT.tmp");
  const fd = fs.openSync(tmp, "w");
  try {
    writeFully(fs, fd, Buffer.from(`${manifestName(number)}\n`, "latin1"), 0, "CURRENT.tmp");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, "CURRENT"));
  fs.syncDir(dir);
}

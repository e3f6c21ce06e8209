// Atomic sections (the server's EXEC): the batches applied between beginAtomic() and endAtomic() are framed as one
// write batch record, so a crash that tears the WAL anywhere inside it leaves all of them or none.
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeBatch } from "../../src/engine/batch";
import { open, OpenOptions } from "../../src/engine/engine";
import { readSegment } from "../../src/engine/wal/reader";
import { tmpDir } from "../helpers/server";

const b = (s: string): Buffer => Buffer.from(s);

function lastSegment(dir: string): string {
  return path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort().pop() as string);
}

/** The write batches of a segment (the header record left out), decoded. */
function batches(file: string): Array<{ firstSeq: number; kinds: string[] }> {
  return readSegment(fs.readFileSync(file))
    .records.slice(1)
    .map((r) => {
      const d = decodeBatch(r);
      if (!d) throw new Error("malformed batch");
      return { firstSeq: d.firstSeq, kinds: d.ops.map((o) => `${o.type}:${o.key}`) };
    });
}

/**
 * Writes `before`, then three batches of 20 000-byte values (the record they make crosses blocks), then `after`, in
 * one held group: inside an atomic section when `atomic`. Returns the directory and the segment's size before the
 * three batches.
 */
async function writeTransaction(atomic: boolean): Promise<{ dir: string; start: number; end: number }> {
  const dir = tmpDir("tskv-atomic-");
  const e = await open(dir, { walSync: "always" });
  await e.put(b("before"), b("0"));
  const start = fs.statSync(lastSegment(dir)).size;
  e.holdGroup();
  if (atomic) e.beginAtomic();
  e.apply([{ type: "put", key: b("t1"), value: Buffer.alloc(20000, 1) }]);
  e.applyPut(b("t2"), Buffer.alloc(20000, 2));
  e.apply([
    { type: "put", key: b("t3"), value: Buffer.alloc(20000, 3) },
    { type: "del", key: b("before") },
  ]);
  if (atomic) e.endAtomic();
  e.commit();
  await e.whenDurable(e.lastSequence);
  const end = fs.statSync(lastSegment(dir)).size;
  await e.close();
  return { dir, start, end };
}

/** What a reopen of `dir` with its last segment cut to `size` bytes finds of the transaction. */
async function afterCut(dir: string, size: number): Promise<string> {
  const copy = tmpDir("tskv-atomic-cut-");
  fs.cpSync(dir, copy, { recursive: true });
  fs.rmSync(path.join(copy, "LOCK"), { force: true });
  fs.truncateSync(lastSegment(copy), size);
  const e = await open(copy);
  const seen = ["t1", "t2", "t3"].map((k) => (e.get(b(k)) ? k : "-")).join(" ") + (e.get(b("before")) ? " before" : "");
  await e.close();
  fs.rmSync(copy, { recursive: true, force: true });
  return seen;
}

describe("atomic sections of the WAL", () => {
  it("frame the batches between beginAtomic and endAtomic as one batch, with consecutive sequences, around the batches outside", async () => {
    const dir = tmpDir("tskv-atomic-");
    const e = await open(dir, { walSync: "no" });
    e.holdGroup();
    e.applyPut(b("a"), b("1"));
    e.beginAtomic();
    e.applyPut(b("x"), b("1"));
    e.apply([
      { type: "put", key: b("y"), value: b("2") },
      { type: "del", key: b("a") },
    ]);
    e.applyNote(b("n"), b("note"));
    e.applyPut(b("z"), b("3"));
    e.endAtomic();
    e.applyPut(b("after"), b("4"));
    e.commit();
    expect(e.counters.walAppends).toBe(3);
    await e.close();
    expect(batches(lastSegment(dir))).toEqual([
      { firstSeq: 1, kinds: ["put:a"] },
      { firstSeq: 2, kinds: ["put:x", "put:y", "del:a", "note:n", "put:z"] },
      { firstSeq: 7, kinds: ["put:after"] },
    ]);
    const e2 = await open(dir);
    expect([e2.get(b("a")), e2.get(b("x")), e2.get(b("y")), e2.get(b("z")), e2.get(b("after"))]).toEqual([undefined, b("1"), b("2"), b("3"), b("4")]);
    expect(e2.get(b("n"))).toBeUndefined(); // a note stays a note
    await e2.close();
  });

  it("leave a section of one batch, or of none, as it was", async () => {
    const dir = tmpDir("tskv-atomic-");
    const e = await open(dir, { walSync: "no" });
    e.holdGroup();
    e.beginAtomic();
    e.endAtomic();
    e.beginAtomic();
    e.applyPut(b("x"), b("1"));
    e.endAtomic();
    e.commit();
    await e.close();
    expect(batches(lastSegment(dir))).toEqual([{ firstSeq: 1, kinds: ["put:x"] }]);
  });

  it("are not refused at the memtable's hard limit once begun: an EXEC that started with room runs to its end", async () => {
    // One level-0 table stops writes (l0Stop 1) and nothing compacts it: a stall that lasts.
    const opts: OpenOptions = { memtableSize: 64 * 1024, l0Trigger: 100, l0Stop: 1, walSync: "no" };
    const dir = tmpDir("tskv-atomic-");
    const e = await open(dir, opts);
    await e.put(b("first"), b("1"));
    await e.flush();
    expect(e.stats().stalled).toBe(true);
    let i = 0;
    while (e.writable) e.applyPut(b(`fill${i++}`), Buffer.alloc(1000, 1));
    expect(() => e.applyPut(b("refused"), b("1"))).toThrow(expect.objectContaining({ code: "TSKV_ERR_STALL" }));
    e.holdGroup();
    e.beginAtomic();
    for (let k = 0; k < 20; k++) e.applyPut(b(`tx${k}`), Buffer.alloc(1000, 2));
    e.apply([{ type: "del", key: b("first") }]);
    e.endAtomic();
    // Past the section the limit holds again.
    expect(() => e.applyPut(b("refused"), b("1"))).toThrow(expect.objectContaining({ code: "TSKV_ERR_STALL" }));
    e.commit();
    await e.close();
    const e2 = await open(dir, { ...opts, l0Stop: 12 });
    expect([e2.get(b("tx0")), e2.get(b("tx19")), e2.get(b("first")), e2.get(b("refused"))]).toEqual([
      Buffer.alloc(1000, 2),
      Buffer.alloc(1000, 2),
      undefined,
      undefined,
    ]);
    await e2.close();
  });

  it("a cut at any offset inside the transaction's record brings back all of it or none of it", async () => {
    const { dir, start, end } = await writeTransaction(true);
    const seen = new Set<string>();
    for (let size = start; size <= end; size += Math.max(1, Math.floor((end - start) / 60))) seen.add(await afterCut(dir, size));
    seen.add(await afterCut(dir, end - 1));
    seen.add(await afterCut(dir, end));
    expect([...seen].sort()).toEqual(["- - - before", "t1 t2 t3"]);
  }, 60_000);

  it("without a section the same cuts can leave part of the batches (what the section prevents)", async () => {
    const { dir, start, end } = await writeTransaction(false);
    const seen = new Set<string>();
    for (let size = start; size <= end; size += Math.max(1, Math.floor((end - start) / 60))) seen.add(await afterCut(dir, size));
    expect(seen.has("t1 - - before")).toBe(true);
  }, 60_000);
});

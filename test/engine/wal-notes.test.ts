// WAL notes (docs/format.md, "WAL notes"): logged and durable like puts, never in the memtable or tables, replayed
// after a restart, and kept past their memtable's flush until the writer's note floor passes them.
import * as fs from "node:fs";
import { decodeBatch, encodeBatch } from "../../src/engine/batch";
import { open } from "../../src/engine/engine";
import { tmpDir } from "../helpers/server";

const b = (s: string): Buffer => Buffer.from(s);

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
}

function notesOf(e: { replayNotes(v: (seq: number, k: Buffer, v: Buffer) => void): void }): Array<[number, string, string]> {
  const out: Array<[number, string, string]> = [];
  e.replayNotes((seq, k, v) => out.push([seq, k.toString(), v.toString()]));
  return out;
}

describe("WAL notes", () => {
  it("take a sequence and are durable, but no read sees them", async () => {
    const dir = tmpDir();
    const e = await open(dir, { walSync: "always" });
    e.applyPut(b("a"), b("1"));
    const seq = e.applyNote(b("a"), b("note"));
    expect(seq).toBe(2);
    expect(e.sequence).toBe(2);
    await e.whenDurable(BigInt(seq));
    expect(e.get(b("a"))?.toString()).toBe("1");
    expect([...e.iterate()].map(([k, v]) => [k.toString(), v.toString()])).toEqual([["a", "1"]]);
    await e.close();
  });

  it("round-trip through the batch codec with puts and deletes", () => {
    const ops = [
      { type: "put" as const, key: b("k"), value: b("v") },
      { type: "note" as const, key: b("s"), value: b("points") },
      { type: "del" as const, key: b("x") },
    ];
    expect(decodeBatch(encodeBatch(7, ops))).toEqual({ firstSeq: 7, ops });
  });

  it("come back after a restart in sequence order, with none in the memtable", async () => {
    const dir = tmpDir();
    let e = await open(dir);
    e.applyNote(b("s1"), b("p1"));
    e.apply([
      { type: "put", key: b("k"), value: b("v") },
      { type: "note", key: b("s2"), value: b("p2") },
    ]);
    e.applyNote(b("s1"), b("p3"));
    await e.close();
    e = await open(dir);
    expect(notesOf(e)).toEqual([
      [1, "s1", "p1"],
      [3, "s2", "p2"],
      [4, "s1", "p3"],
    ]);
    expect([...e.iterate()].map(([k]) => k.toString())).toEqual(["k"]);
    expect(e.sequence).toBe(4);
    await e.close();
  });

  it("outlive their memtable's flush until the floor passes them; then their segments go", async () => {
    const dir = tmpDir();
    let e = await open(dir, { memtableSize: 16 * 1024 });
    const first = e.applyNote(b("s"), b("kept"));
    // Enough puts to freeze and flush the memtable the note was logged beside, several times.
    for (let i = 0; i < 2000; i++) e.applyPut(b(`k${i}`), Buffer.alloc(64, 1));
    await e.flush();
    expect(segmentFiles(dir).length).toBeGreaterThan(1);
    await e.close();
    e = await open(dir, { memtableSize: 16 * 1024 });
    expect(notesOf(e).map(([, , v]) => v)).toEqual(["kept"]);
    e.setNoteFloor(first + 1);
    for (let i = 0; i < 2000; i++) e.applyPut(b(`k${i}`), Buffer.alloc(64, 2));
    await e.flush();
    expect(notesOf(e)).toEqual([]);
    const left = segmentFiles(dir).length;
    await e.close();
    e = await open(dir, { memtableSize: 16 * 1024 });
    expect(notesOf(e)).toEqual([]);
    expect(segmentFiles(dir).length).toBeLessThanOrEqual(left + 1);
    expect(e.get(b("k1999"))?.[0]).toBe(2);
    await e.close();
  });

  it("segments of notes alone rotate by size and go once the floor passes, with no flush", async () => {
    const dir = tmpDir();
    const e = await open(dir, { memtableSize: 64 * 1024 });
    const value = Buffer.alloc(1000, 7);
    let last = 0;
    for (let i = 0; i < 400; i++) {
      last = e.applyNote(b("s"), value);
      e.commit();
    }
    await e.whenDurable(BigInt(last));
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    e.setNoteFloor(last + 1);
    e.applyNote(b("s"), value);
    e.commit();
    expect(segmentFiles(dir).length).toBeLessThanOrEqual(2);
    await e.close();
  });
});

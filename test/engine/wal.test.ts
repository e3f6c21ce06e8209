import * as fs from "node:fs";
import * as path from "node:path";
import { decodeBatch, encodeBatch } from "../../src/engine/batch";
import { open } from "../../src/engine/engine";
import { isCorruption, TskvError } from "../../src/engine/errors";
import { nodeFs, FileSystem } from "../../src/engine/io";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/engine/wal/format";
import { readSegment } from "../../src/engine/wal/reader";
import { frameRecords, RecordFramer, WalSegmentWriter } from "../../src/engine/wal/writer";
import { crc32c, maskCrc } from "../../src/util/crc32c";
import fc from "fast-check";
import { tmpDir } from "../helpers/server";

const b = (s: string): Buffer => Buffer.from(s);

function logs(): { lines: string[]; logger: { info: (m: string, f?: object) => void; warn: (m: string, f?: object) => void; error: (m: string, f?: object) => void } } {
  const lines: string[] = [];
  const rec = (lvl: string) => (m: string, f?: object) => lines.push(`${lvl} ${m} ${JSON.stringify(f ?? {})}`);
  return { lines, logger: { info: rec("info"), warn: rec("warn"), error: rec("error") } };
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
}

/** A file system whose next `failNext` writes fail with ENOSPC, after writing half of their bytes when `torn`. */
function fillingDisk(torn: boolean): { fs: FileSystem; failNext: number } {
  const disk = {
    failNext: 0,
    fs: {
      ...nodeFs,
      writeSync: (fd: number, buf: Uint8Array, off: number, len: number, pos: number): number => {
        if (disk.failNext > 0) {
          disk.failNext--;
          if (torn) nodeFs.writeSync(fd, buf, off, Math.floor(len / 2), pos);
          throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
        }
        return nodeFs.writeSync(fd, buf, off, len, pos);
      },
    } as FileSystem,
  };
  return disk;
}

describe("WAL framing", () => {
  it("round-trips records of every size, including ones that span blocks", () => {
    const payloads = [0, 1, 100, BLOCK_SIZE - HEADER_SIZE, BLOCK_SIZE, 3 * BLOCK_SIZE + 17, 5].map((n, i) => Buffer.alloc(n, i + 1));
    const bytes = frameRecords(payloads, 0);
    const read = readSegment(bytes);
    expect(read.damage).toBeUndefined();
    expect(read.records).toEqual(payloads);
    expect(read.goodEnd).toBe(bytes.length);
  });

  it("payloads written in place into a group frame to the same bytes as LevelDB's writer, group after group", () => {
    // LevelDB's log::Writer, written out plainly: the reference for every byte.
    const reference = (payloads: Buffer[]): Buffer => {
      const out: Buffer[] = [];
      let at = 0;
      for (const p of payloads) {
        let start = 0;
        let first = true;
        do {
          let room = BLOCK_SIZE - (at % BLOCK_SIZE);
          if (room < HEADER_SIZE) {
            // Pad the block's tail, then write the fragment at the next block's start in the same step (as LevelDB's
            // AddRecord does: a `continue` here would end the loop for an empty payload without its record).
            out.push(Buffer.alloc(room));
            at += room;
            room = BLOCK_SIZE;
          }
          const n = Math.min(p.length - start, room - HEADER_SIZE);
          const end = start + n === p.length;
          const h = Buffer.alloc(HEADER_SIZE);
          h.writeUInt16LE(n, 4);
          h[6] = first && end ? 1 : first ? 2 : end ? 4 : 3;
          const body = Buffer.concat([h.subarray(6), p.subarray(start, start + n)]);
          h.writeUInt32LE(maskCrc(crc32c(body)), 0);
          out.push(h, p.subarray(start, start + n));
          at += HEADER_SIZE + n;
          start += n;
          first = false;
        } while (start < p.length);
      }
      return Buffer.concat(out);
    };
    const size = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: BLOCK_SIZE - 2 * HEADER_SIZE, max: BLOCK_SIZE + HEADER_SIZE }), fc.integer({ min: 0, max: 3 * BLOCK_SIZE }));
    fc.assert(
      fc.property(fc.array(fc.array(size, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }), (groups) => {
        const payloads: Buffer[] = [];
        const written: Buffer[] = [];
        let offset = 0;
        const framer = new RecordFramer(0, 16);
        for (const g of groups) {
          for (const n of g) {
            const p = Buffer.alloc(n, payloads.length + 1);
            if (n > 0) p[n - 1] = 0xee;
            payloads.push(p);
            const at = framer.reserve(n);
            p.copy(framer.buffer, at);
            framer.commit(n);
          }
          const bytes = Buffer.from(framer.bytes());
          written.push(bytes);
          offset += bytes.length;
          framer.reset(offset);
        }
        const all = Buffer.concat(written);
        expect(all.equals(reference(payloads))).toBe(true);
        const read = readSegment(all).records;
        expect(read.length).toBe(payloads.length);
        expect(read.every((r, i) => r.equals(payloads[i]))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("pads a block tail shorter than a header with zeros", () => {
    const first = Buffer.alloc(BLOCK_SIZE - HEADER_SIZE - 3, 7);
    const bytes = frameRecords([first, b("next")], 0);
    expect(bytes.subarray(BLOCK_SIZE - 3, BLOCK_SIZE)).toEqual(Buffer.alloc(3));
    expect(readSegment(bytes).records).toEqual([first, b("next")]);
  });

  it("batch encoding round-trips", () => {
    const ops = [
      { type: "put" as const, key: b("k"), value: b("v") },
      { type: "del" as const, key: b("gone") },
      { type: "put" as const, key: Buffer.alloc(0), value: Buffer.alloc(300, 1) },
    ];
    expect(decodeBatch(encodeBatch(42, ops))).toEqual({ firstSeq: 42, ops });
  });

  it("a cut at every offset of the last record yields exactly the earlier records", () => {
    const payloads = [b("alpha"), Buffer.alloc(BLOCK_SIZE + 100, 3), b("omega")];
    const bytes = frameRecords(payloads, 0);
    const ends: number[] = [];
    let acc: Buffer[] = [];
    for (const p of payloads) {
      acc = [...acc, p];
      ends.push(frameRecords(acc, 0).length);
    }
    for (let cut = 0; cut <= bytes.length; cut += 97) {
      const read = readSegment(bytes.subarray(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      expect(read.records).toEqual(payloads.slice(0, complete));
      expect(read.validAfterDamage).toBe(false);
    }
  });

  it("a flipped byte is found by checksum and nothing after it is returned", () => {
    const payloads = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000, i));
    const bytes = frameRecords(payloads, 0);
    for (const at of [3, 500, 20_000, 40_000]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x40;
      const read = readSegment(bad);
      expect(read.damage).toBeDefined();
      for (let i = 0; i < read.records.length; i++) expect(read.records[i]).toEqual(payloads[i]);
      expect(read.records.length).toBeLessThan(payloads.length);
    }
  });
});

describe("engine durability and recovery", () => {
  it("reopens with everything written, in order, with deletes applied", async () => {
    const dir = tmpDir();
    const e = await open(dir);
    await e.put(b("a"), b("1"));
    await e.put(b("b"), b("2"));
    await e.write([
      { type: "put", key: b("c"), value: b("3") },
      { type: "del", key: b("a") },
    ]);
    await e.put(b("b"), b("22"));
    await e.close();
    const e2 = await open(dir);
    expect([...e2.iterate()].map(([k, v]) => `${k}=${v}`)).toEqual(["b=22", "c=3"]);
    await e2.close();
  });

  it("group commit: the applies of one turn go out in one write and, under always, one fdatasync", async () => {
    const dir = tmpDir();
    let writes = 0;
    let syncs = 0;
    const fsSpy: FileSystem = {
      ...nodeFs,
      writeSync: (...a) => {
        writes++;
        return nodeFs.writeSync(...a);
      },
      fdatasync: (fd) => {
        syncs++;
        return nodeFs.fdatasync(fd);
      },
    };
    const e = await open(dir, { walSync: "always", fs: fsSpy });
    writes = 0;
    syncs = 0;
    let last = 0n;
    for (let i = 0; i < 1000; i++) last = e.apply([{ type: "put", key: b(`k${i}`), value: b("v") }]);
    expect(e.durableSequence < last).toBe(true);
    await e.whenDurable(last);
    expect(writes).toBe(1);
    expect(syncs).toBe(1);
    expect(e.durableSequence).toBe(last);
    await e.close();
  });

  it("under always, whenDurable waits for the sync, and reads see writes at once", async () => {
    const dir = tmpDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowSync: FileSystem = { ...nodeFs, fdatasync: async (fd) => (await gate, nodeFs.fdatasync(fd)) };
    const e = await open(dir, { walSync: "always", fs: slowSync });
    const seq = e.apply([{ type: "put", key: b("k"), value: b("v") }]);
    expect(e.get(b("k"))).toEqual(b("v"));
    let done = false;
    const p = e.whenDurable(seq).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    release();
    await p;
    expect(done).toBe(true);
    await e.close();
  });

  it("cuts a torn tail at the last good record and reports file, offset and bytes dropped", async () => {
    const dir = tmpDir();
    const e = await open(dir);
    for (let i = 0; i < 20; i++) await e.put(b(`k${i}`), Buffer.alloc(500, i));
    await e.close();
    const seg = path.join(dir, segmentFiles(dir)[0]);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 100); // tear the last record
    const { lines, logger } = logs();
    const e2 = await open(dir, { logger });
    expect(e2.get(b("k18"))).toEqual(Buffer.alloc(500, 18));
    expect(e2.get(b("k19"))).toBeUndefined();
    const report = lines.find((l) => l.includes("WAL tail cut"));
    expect(report).toBeDefined();
    expect(report).toContain(path.basename(seg));
    expect(report).toMatch(/"bytesDropped":\d+/);
    await e2.close();
    // The cut is durable: a third open finds a clean log.
    const { lines: again, logger: l3 } = logs();
    const e3 = await open(dir, { logger: l3 });
    expect(again.some((l) => l.includes("WAL tail cut"))).toBe(false);
    expect(e3.get(b("k18"))).toEqual(Buffer.alloc(500, 18));
    await e3.close();
  });

  it("refuses to start on corruption before the tail, naming file and offset, and repair drops it", async () => {
    const dir = tmpDir();
    const e = await open(dir);
    for (let i = 0; i < 200; i++) await e.put(b(`k${i}`), Buffer.alloc(400, 1));
    await e.close();
    const seg = path.join(dir, segmentFiles(dir)[0]);
    const data = fs.readFileSync(seg);
    data[BLOCK_SIZE / 2] ^= 0xff; // inside the first block; many good blocks follow
    fs.writeFileSync(seg, data);
    let err: unknown;
    try {
      await open(dir);
    } catch (x) {
      err = x;
    }
    expect(isCorruption(err)).toBe(true);
    expect((err as TskvError).message).toMatch(new RegExp(`${path.basename(seg)} at offset \\d+ .*--repair would drop \\d+ bytes`));
    expect((err as TskvError).file).toBe(seg);
    const e2 = await open(dir, { repair: true });
    expect(e2.get(b("k0"))).toEqual(Buffer.alloc(400, 1));
    expect(e2.get(b("k199"))).toBeUndefined();
    await e2.close();
  });

  it("applyPut logs the bytes apply() logs for a batch of that one put, and both read back after a restart", async () => {
    // Sizes around the varint steps, one crossing WAL blocks, one over the memtable's inline limit (kept as given).
    const sizes = [0, 1, 127, 128, 300, 16383, 16384, 40000, 70000];
    const dirs = [tmpDir(), tmpDir()];
    const seqs: bigint[][] = [[], []];
    for (const [i, dir] of dirs.entries()) {
      const e = await open(dir);
      for (const n of sizes) {
        const key = b(`key-${n}`);
        const value = Buffer.alloc(n, n % 251);
        seqs[i].push(i === 0 ? e.applyPut(key, value) : e.apply([{ type: "put", key, value }]));
      }
      await e.close();
    }
    expect(seqs[0]).toEqual(seqs[1]);
    const files = dirs.map(segmentFiles);
    expect(files[0]).toEqual(files[1]);
    for (const f of files[0]) expect(fs.readFileSync(path.join(dirs[0], f))).toEqual(fs.readFileSync(path.join(dirs[1], f)));
    for (const dir of dirs) {
      const e = await open(dir);
      for (const n of sizes) expect(e.get(b(`key-${n}`))).toEqual(Buffer.alloc(n, n % 251));
      await e.close();
    }
  });

  it("a held group waits for commit(): nothing of it reaches the log at the end of the turn, all of it in one write then", async () => {
    const dir = tmpDir();
    let writes = 0;
    const counting = { ...nodeFs, writeSync: (fd: number, buf: Uint8Array, off: number, len: number, pos: number): number => (writes++, nodeFs.writeSync(fd, buf, off, len, pos)) } as FileSystem;
    const e = await open(dir, { fs: counting, walSync: "no" });
    const logBytes = (): number => segmentFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    // Not held: the turn's batches are written by the end of the turn, in one write.
    const before = logBytes();
    writes = 0;
    e.applyPut(b("a"), b("1"));
    e.apply([{ type: "put", key: b("b"), value: b("2") }]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toBe(1);
    expect(logBytes()).toBeGreaterThan(before);
    // Held: later turns pass without a write, and the batches stay readable; commit() writes them in one.
    const held = logBytes();
    e.holdGroup();
    const seq = e.applyPut(b("c"), b("3"));
    e.apply([{ type: "del", key: b("a") }]);
    writes = 0;
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(writes).toBe(0);
    expect(logBytes()).toBe(held);
    expect(e.durableSequence < seq).toBe(true);
    expect(e.get(b("c"))).toEqual(b("3"));
    e.commit();
    expect(writes).toBe(1);
    expect(e.durableSequence > seq).toBe(true);
    // The hold ends with the commit: the next batch is written by the end of its turn again.
    e.applyPut(b("d"), b("4"));
    await new Promise((r) => setImmediate(r));
    expect(writes).toBe(2);
    await e.close();
    const e2 = await open(dir);
    expect([e2.get(b("a")), e2.get(b("b")), e2.get(b("c")), e2.get(b("d"))]).toEqual([undefined, b("2"), b("3"), b("4")]);
    await e2.close();
  });

  it("a failed write is truncated back, its batch is taken out, and writes resume when space returns", async () => {
    const dir = tmpDir();
    // Write half, then fail: the classic torn append.
    const disk = fillingDisk(true);
    const e = await open(dir, { fs: disk.fs });
    await e.put(b("before"), b("1"));
    disk.failNext = 1;
    await expect(e.put(b("lost"), b("x"))).rejects.toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    expect(e.get(b("lost"))).toBeUndefined();
    disk.failNext = 1;
    expect(() => e.apply([{ type: "put", key: b("refused"), value: b("x") }])).toThrow(expect.objectContaining({ code: "TSKV_ERR_NOSPACE" }));
    expect(e.get(b("refused"))).toBeUndefined();
    disk.failNext = 1;
    expect(() => e.applyPut(b("refused"), b("y"))).toThrow(expect.objectContaining({ code: "TSKV_ERR_NOSPACE" }));
    expect(e.get(b("refused"))).toBeUndefined();
    await e.put(b("after"), b("2"));
    await e.close();
    const e2 = await open(dir);
    expect(e2.get(b("before"))).toEqual(b("1"));
    expect(e2.get(b("after"))).toEqual(b("2"));
    expect(e2.get(b("lost"))).toBeUndefined();
    await e2.close();
  });

  it("a failed group gives back every version it added: overwrites show the older value again", async () => {
    const dir = tmpDir();
    const disk = fillingDisk(false);
    const e = await open(dir, { fs: disk.fs });
    await e.put(b("k"), b("old"));
    disk.failNext = 1;
    // Two batches in one turn, one group: an overwrite, a new key, and the new key twice.
    const p1 = e.write([{ type: "put", key: b("k"), value: b("new") }, { type: "put", key: b("fresh"), value: b("1") }]);
    const p2 = e.write([{ type: "put", key: b("fresh"), value: b("2") }, { type: "del", key: b("k") }]);
    await expect(p1).rejects.toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    await expect(p2).rejects.toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    expect(e.get(b("k"))).toEqual(b("old"));
    expect(e.get(b("fresh"))).toBeUndefined();
    expect([...e.iterate()].map(([k, v]) => `${k}=${v}`)).toEqual(["k=old"]);
    await e.close();
  });

  it("write() leaves the caller's buffers free: changed right after the call, the data stays as written", async () => {
    const dir = tmpDir();
    const e = await open(dir);
    const key = b("reused");
    const small = Buffer.alloc(100, 0x61);
    const big = Buffer.alloc(100_000, 0x62);
    const done = e.write([{ type: "put", key, value: small }, { type: "put", key: b("big"), value: big }]);
    key.fill(0x7a);
    small.fill(0x7a);
    big.fill(0x7a);
    await done;
    expect(e.get(b("reused"))).toEqual(Buffer.alloc(100, 0x61));
    expect(e.get(b("big"))).toEqual(Buffer.alloc(100_000, 0x62));
    await e.close();
    const e2 = await open(dir);
    expect(e2.get(b("reused"))).toEqual(Buffer.alloc(100, 0x61));
    expect(e2.get(b("big"))).toEqual(Buffer.alloc(100_000, 0x62));
    await e2.close();
  });

  it("a write whose group failed stays refused after later writes make the log durable past its number", async () => {
    // The server's order: apply during the turn, commit() at its end, ask whenDurable() afterwards.
    const dir = tmpDir();
    const disk = fillingDisk(false);
    const e = await open(dir, { fs: disk.fs, walSync: "always" });
    const lost = e.apply([{ type: "put", key: b("lost"), value: b("x") }]);
    disk.failNext = 1;
    e.commit();
    expect(e.writeLost(lost)).toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    await expect(e.whenDurable(lost)).rejects.toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    // Space is back: the next write lands with a higher number, and the log is durable past the lost one.
    await e.put(b("after"), b("2"));
    expect(e.durableSequence).toBeGreaterThan(lost);
    expect(e.writeLost(lost)).toBeDefined();
    await expect(e.whenDurable(lost)).rejects.toMatchObject({ code: "TSKV_ERR_NOSPACE" });
    expect(e.get(b("lost"))).toBeUndefined();
    await e.close();
  });

  it("a failed fsync makes the engine refuse writes until restart, and never acknowledges the write", async () => {
    const dir = tmpDir();
    const failing: FileSystem = { ...nodeFs, fdatasync: () => Promise.reject(Object.assign(new Error("EIO"), { code: "EIO" })) };
    const e = await open(dir, { walSync: "always", fs: failing });
    await expect(e.put(b("k"), b("v"))).rejects.toMatchObject({ code: "TSKV_ERR_READONLY" });
    expect(() => e.apply([{ type: "put", key: b("k2"), value: b("v") }])).toThrow(expect.objectContaining({ code: "TSKV_ERR_READONLY" }));
    await e.close();
  });

  it("moves to a new WAL segment at each memtable freeze and deletes segments once their tables are durable", async () => {
    const dir = tmpDir();
    const e = await open(dir, { memtableSize: 64 * 1024 });
    for (let i = 0; i < 100; i++) await e.put(b(`k${String(i).padStart(3, "0")}`), Buffer.alloc(2000, i));
    await e.flush();
    expect(e.counters.flushes).toBeGreaterThan(2);
    await e.close();
    // Every segment but the live one is covered by a table, so it is gone.
    expect(segmentFiles(dir).length).toBe(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".sst")).length).toBeGreaterThan(0);
    const e2 = await open(dir);
    expect([...e2.iterate()].length).toBe(100);
    expect(e2.get(b("k099"))).toEqual(Buffer.alloc(2000, 99));
    await e2.close();
  });

  it("writes L0 tables while replaying a WAL several memtables long, and lets the segments they cover go", async () => {
    // What a server killed again and again before its post-recovery flush leaves: many segments, no tables.
    const dir = tmpDir();
    fs.mkdirSync(dir, { recursive: true });
    let seq = 1;
    const want = new Map<string, Buffer>();
    for (let n = 1; n <= 6; n++) {
      const w = WalSegmentWriter.create(nodeFs, dir, n);
      for (let i = 0; i < 100; i++, seq++) {
        const key = `s${n}:k${i}`;
        const value = Buffer.alloc(300, n * 7 + i);
        want.set(key, value);
        w.append([encodeBatch(seq, [{ type: "put", key: b(key), value }])]);
      }
      w.close();
    }
    const e = await open(dir, { memtableSize: 64 * 1024 });
    // 6 × ~32 KB of writes at a 64 KiB memtable: tables cover the first segments, the rest is in the memtable.
    expect(e.stats().tableFiles).toBeGreaterThanOrEqual(2);
    for (const [k, v] of want) expect(e.get(b(k))).toEqual(v);
    await e.close();
    const segments = fs.readdirSync(dir).filter((f) => f.endsWith(".log"));
    expect(segments.length).toBeLessThan(6);
    const e2 = await open(dir, { memtableSize: 64 * 1024 });
    for (const [k, v] of want) expect(e2.get(b(k))).toEqual(v);
    expect(e2.lastSequence).toBe(BigInt(seq - 1));
    await e2.close();
  });

  it("holds a LOCK against a second live process", async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "LOCK"), "1\n"); // pid 1 is always alive
    await expect(open(dir)).rejects.toMatchObject({ code: "TSKV_ERR_LOCKED" });
  });
});

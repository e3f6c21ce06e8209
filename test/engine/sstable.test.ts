// SSTables on their own: what the builder writes, the reader returns; the Bloom filter's false-positive rate; and
// a flipped byte anywhere in a file is a corruption error naming the file and offset, never wrong data.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { FileSystem, nodeFs as realFs } from "../../src/engine/io";
import { native } from "../../src/native";
import { TableBuilder } from "../../src/engine/sst/builder";
import { BLOCKED_FILTER, buildFilter, hash32, mayContain } from "../../src/engine/sst/bloom";
import { wholeArrayFilter } from "../helpers/old-filter";
import { tableName } from "../../src/engine/sst/format";
import { crc32c, maskCrc } from "../../src/util/crc32c";
import { BlockCache, Table } from "../../src/engine/sst/reader";
import { TskvError } from "../../src/engine/errors";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "tskv-sst-"));
const counters = (): { bloomProbes: number; bloomNegatives: number; blockReads: number } => ({ bloomProbes: 0, bloomNegatives: 0, blockReads: 0 });

interface Ent {
  key: Buffer;
  seq: number;
  value: Buffer | null;
}

/** Sorted internal order: key ascending, seq descending. */
function sortEntries(es: Ent[]): Ent[] {
  return es.sort((a, b) => Buffer.compare(a.key, b.key) || b.seq - a.seq);
}

function writeTable(dir: string, number: number, entries: Ent[], opts = {}): string {
  const parts: Buffer[] = [];
  const b = new TableBuilder({ blockSize: 512, ...opts }, (x) => parts.push(Buffer.from(x)));
  for (const e of entries) b.add(e.key, e.seq, e.value);
  b.finish();
  const file = path.join(dir, tableName(number));
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

function sample(n: number, seed = 1): Ent[] {
  let x = seed;
  const rnd = (): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x / 0x7fffffff);
  const out: Ent[] = [];
  const keys = new Set<string>();
  let seq = 1;
  while (keys.size < n) keys.add(`key:${Math.floor(rnd() * 1e9).toString(36)}`);
  for (const k of keys) {
    const versions = 1 + Math.floor(rnd() * 3);
    for (let v = 0; v < versions; v++) {
      out.push({ key: Buffer.from(k), seq: seq++, value: rnd() < 0.15 ? null : Buffer.from(`${k}@${seq}`.repeat(1 + Math.floor(rnd() * 4))) });
    }
  }
  return sortEntries(out);
}

/** What a point read at `maxSeq` must return, from the plain list. */
function expectedGet(entries: Ent[], key: Buffer, maxSeq: number): Ent | undefined {
  return entries.find((e) => e.key.equals(key) && e.seq <= maxSeq);
}

// Each case runs on the memory-mapped native path (Linux builds) and on the TypeScript path that reads through the
// file-system seam, so both readers are held to the same answers.
const modes: Array<[string, FileSystem]> = [["seam reads (TypeScript)", { ...realFs, mapTables: false }]];
if (native.mapTable) modes.unshift(["mapped (native)", realFs]);

describe.each(modes)("SSTable, %s", (_mode, nodeFs) => {
  it("returns every key's newest version at or below a sequence, and nothing for absent keys", () => {
    const dir = tmp();
    const entries = sample(2000);
    const file = writeTable(dir, 1, entries);
    const t = Table.open(nodeFs, file, 1, new BlockCache(1 << 20), counters());
    for (let i = 0; i < entries.length; i += 7) {
      const e = entries[i];
      for (const maxSeq of [e.seq, e.seq - 1, Number.MAX_SAFE_INTEGER]) {
        const want = expectedGet(entries, e.key, maxSeq);
        const got = t.get(e.key, maxSeq);
        if (!want) expect(got).toBeUndefined();
        else expect(got?.value ?? null).toEqual(want.value);
      }
    }
    expect(t.get(Buffer.from("key:"), 1e15)).toBeUndefined();
    expect(t.get(Buffer.from("zzz"), 1e15)).toBeUndefined();
    expect(t.verify()).toEqual({ entries: entries.length, blocks: expect.any(Number) });
    expect(Number(t.properties.get("entries")?.toString())).toBe(entries.length);
    t.close();
  });

  it("iterates forward and backward from any key in internal order", () => {
    const dir = tmp();
    const entries = sample(500, 7);
    const t = Table.open(nodeFs, writeTable(dir, 2, entries), 2, new BlockCache(1 << 20), counters());
    expect([...t.entries()]).toEqual(entries);
    const from = entries[123].key;
    expect([...t.entries(from)]).toEqual(entries.filter((e) => Buffer.compare(e.key, from) >= 0));
    const rev = [...t.entriesReverse(from)];
    // Reverse internal order: keys descending, a key's versions oldest first.
    const want = entries.filter((e) => Buffer.compare(e.key, from) <= 0).reverse();
    expect(rev).toEqual(want);
    t.close();
  });

  it("reads backward from a key whose versions run over several blocks, and from keys between and past blocks", () => {
    const dir = tmp();
    const entries: Ent[] = [];
    let seq = 1;
    for (let i = 0; i < 40; i++) {
      const versions = i === 20 ? 60 : 1 + (i % 3);
      for (let v = 0; v < versions; v++) entries.push({ key: Buffer.from(`k${String(i).padStart(3, "0")}`), seq: seq++, value: Buffer.alloc(20, 0x41 + v) });
    }
    sortEntries(entries);
    const t = Table.open(nodeFs, writeTable(dir, 7, entries, { blockSize: 128 }), 7, new BlockCache(0), counters());
    try {
      for (const upTo of ["k020", "k019", "k0205", "k000", "k", "k039", "k9", "k021"]) {
        const u = Buffer.from(upTo);
        expect([...t.entriesReverse(u)]).toEqual(entries.filter((e) => Buffer.compare(e.key, u) <= 0).reverse());
      }
    } finally {
      t.close();
    }
  });

  it("round-trips arbitrary binary keys and values (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 200, selector: (k) => Buffer.from(k).toString("hex") }), fc.uint8Array({ maxLength: 300 }), (keys, val) => {
        const dir = tmp();
        const entries = sortEntries(keys.map((k, i) => ({ key: Buffer.from(k), seq: i + 1, value: i % 5 === 0 ? null : Buffer.from(val) })));
        const t = Table.open(nodeFs, writeTable(dir, 3, entries, { blockSize: 128 }), 3, new BlockCache(0), counters());
        try {
          for (const e of entries) expect(t.get(e.key, Number.MAX_SAFE_INTEGER)?.value).toEqual(e.value);
          expect([...t.entries()]).toEqual(entries);
        } finally {
          t.close();
          fs.rmSync(dir, { recursive: true });
        }
      }),
      { numRuns: 40 },
    );
  });

  it("finds the right block among index keys that share long prefixes, versions spanning blocks and short keys (property)", () => {
    // Small blocks make many index entries; a two-letter alphabet behind an optional shared prefix makes keys whose
    // first 8 bytes after the prefix tie, keys that are prefixes of others (zero-padded ties) and probes that miss
    // the prefix; several versions of one key spread over adjacent blocks. No Bloom filter, so every probe searches.
    const keyArb = fc.tuple(fc.constantFrom("", "tenant:0001:", "\u00ff\u00ff"), fc.array(fc.constantFrom(0, 1, 0x61), { maxLength: 14 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { minLength: 1, maxLength: 120, selector: ([p, b]) => p + ":" + b.join(",") }),
        fc.array(keyArb, { maxLength: 20 }),
        fc.integer({ min: 1, max: 4 }),
        (keys, probes, versions) => {
          const toKey = ([p, b]: [string, number[]]): Buffer => Buffer.concat([Buffer.from(p, "latin1"), Buffer.from(b)]);
          const dir = tmp();
          let seq = 1;
          const entries: Ent[] = [];
          for (const k of keys) for (let v = 0; v < versions; v++) entries.push({ key: toKey(k), seq: seq++, value: v === 1 ? null : Buffer.from([seq & 255]) });
          sortEntries(entries);
          const t = Table.open(nodeFs, writeTable(dir, 6, entries, { blockSize: 48, bloomBitsPerKey: 0 }), 6, new BlockCache(0), counters());
          try {
            const asks = [...entries.map((e) => e.key), ...probes.map(toKey)];
            for (const k of [...asks, ...asks.map((k) => Buffer.concat([k, Buffer.from([0])])), ...asks.map((k) => k.subarray(0, Math.max(0, k.length - 1)))]) {
              for (const maxSeq of [1, Math.floor(seq / 2), seq - 2, Number.MAX_SAFE_INTEGER]) {
                const want = expectedGet(entries, k, maxSeq);
                const got = t.get(k, maxSeq);
                if (!want) expect(got).toBeUndefined();
                else expect(got?.value ?? null).toEqual(want.value);
              }
            }
          } finally {
            t.close();
            fs.rmSync(dir, { recursive: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("copies what it is given: one key buffer and one value buffer reused for every entry still make a correct table", () => {
    const dir = tmp();
    const entries = sample(1000, 7).map((e, i) => ({ ...e, value: i % 7 === 0 ? null : Buffer.alloc(1 + (i % 50), i & 255) }));
    const parts: Buffer[] = [];
    const b = new TableBuilder({ blockSize: 256 }, (x) => parts.push(Buffer.from(x)));
    const key = Buffer.alloc(64);
    const value = Buffer.alloc(64);
    for (const e of entries) {
      e.key.copy(key);
      if (e.value) e.value.copy(value);
      b.add(key.subarray(0, e.key.length), e.seq, e.value ? value.subarray(0, e.value.length) : null);
      key.fill(0xff); // what a caller reusing its buffer would do next
      value.fill(0xff);
    }
    const meta = b.finish();
    expect(meta.largest).toEqual(entries[entries.length - 1].key);
    const file = path.join(dir, tableName(9));
    fs.writeFileSync(file, Buffer.concat(parts));
    const t = Table.open(nodeFs, file, 9, new BlockCache(0), counters());
    try {
      expect([...t.entries()]).toEqual(entries);
    } finally {
      t.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("returns values of every size as owned copies that later reads do not disturb", () => {
    // The native reader copies values up to 64 KiB through a shared scratch buffer and longer ones directly.
    const dir = tmp();
    const sizes = [0, 1, 100, 4095, 4096, 65535, 65536, 65537, 200000];
    const entries = sortEntries(sizes.map((n, i) => ({ key: Buffer.from(`v${String(i).padStart(2, "0")}`), seq: i + 1, value: Buffer.alloc(n, 0x41 + i) })));
    const t = Table.open(nodeFs, writeTable(dir, 5, entries), 5, new BlockCache(0), counters());
    const got = entries.map((e) => t.get(e.key, Number.MAX_SAFE_INTEGER)?.value);
    got.forEach((v, i) => expect(v).toEqual(entries[i].value));
    t.close();
  });

  it("has a Bloom filter with about 1% false positives at 10 bits per key and no false negatives", () => {
    const n = 20000;
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) hashes[i] = hash32(Buffer.from(`present-${i}`));
    const filter = buildFilter(hashes, n, 10);
    for (let i = 0; i < n; i++) expect(mayContain(filter, hashes[i])).toBe(true);
    let fp = 0;
    for (let i = 0; i < n; i++) if (mayContain(filter, hash32(Buffer.from(`absent-${i}`)))) fp++;
    expect(fp / n).toBeLessThan(0.02);
  });

  it("probes one 64-byte line per key, and still reads the whole-array filter of older tables", () => {
    const n = 20000;
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) hashes[i] = hash32(Buffer.from(`key:${String(i * 2).padStart(12, "0")}`));
    const blocked = buildFilter(hashes, n, 10);
    expect(blocked[blocked.length - 1]).toBe(BLOCKED_FILTER);
    expect((blocked.length - 2) % 64).toBe(0);
    const old = wholeArrayFilter(hashes, n, 10);
    for (const f of [blocked, old]) {
      for (let i = 0; i < n; i++) expect(mayContain(f, hashes[i])).toBe(true);
      let fp = 0;
      for (let i = 0; i < n; i++) if (mayContain(f, hash32(Buffer.from(`key:${String(i * 2 + 1).padStart(12, "0")}`)))) fp++;
      expect(fp / n).toBeLessThan(0.015);
    }
    // A key's bits all lie in its line: clearing every other line leaves its probe true.
    const one = Buffer.from(blocked);
    const line = hashes[7] % ((one.length - 2) / 64);
    one.fill(0, 0, line * 64);
    one.fill(0, line * 64 + 64, one.length - 2);
    expect(mayContain(one, hashes[7])).toBe(true);
    // Malformed filters rule nothing out.
    expect(mayContain(Buffer.from([0, 0, 0, 7, BLOCKED_FILTER]), hashes[0])).toBe(true);
    expect(mayContain(Buffer.concat([Buffer.alloc(64), Buffer.from([0, BLOCKED_FILTER])]), hashes[0])).toBe(true);
    expect(mayContain(Buffer.concat([Buffer.alloc(64), Buffer.from([31, BLOCKED_FILTER])]), hashes[0])).toBe(true);
    expect(mayContain(Buffer.alloc(64), hashes[0])).toBe(true);
  });

  it("skips tables by their filter and counts it", () => {
    const dir = tmp();
    const entries = sample(1000, 3);
    const c = counters();
    const t = Table.open(nodeFs, writeTable(dir, 4, entries), 4, new BlockCache(0), c);
    for (let i = 0; i < 1000; i++) expect(t.get(Buffer.from(`missing-${i}`), 1e15)).toBeUndefined();
    expect(c.bloomProbes).toBe(1000);
    expect(c.bloomNegatives).toBeGreaterThan(970);
    t.close();
  });

  it("reports a flipped byte anywhere in the file as corruption with file and offset, never as data", () => {
    const dir = tmp();
    const entries = sample(300, 11);
    const file = writeTable(dir, 5, entries);
    const good = fs.readFileSync(file);
    const positions = new Set<number>([0, good.length - 1, good.length - 10, good.length - 30, good.length - 52]);
    for (let i = 0; i < 150; i++) positions.add(Math.floor((i / 150) * good.length));
    for (const pos of positions) {
      const bad = Buffer.from(good);
      bad[pos] ^= 0x20;
      fs.writeFileSync(file, bad);
      let t: Table | undefined;
      try {
        t = Table.open(nodeFs, file, 5, new BlockCache(0), counters());
        // Reads either fail or return exactly what was written.
        for (let i = 0; i < entries.length; i += 13) {
          try {
            const got = t.get(entries[i].key, Number.MAX_SAFE_INTEGER);
            expect(got?.value).toEqual(expectedGet(entries, entries[i].key, Number.MAX_SAFE_INTEGER)?.value);
          } catch (e) {
            expect(e).toBeInstanceOf(TskvError);
            expect((e as TskvError).code).toBe("TSKV_ERR_CORRUPTION");
          }
        }
        t.verify();
        throw new Error(`flip at ${pos} went unnoticed`);
      } catch (e) {
        expect(e).toBeInstanceOf(TskvError);
        const err = e as TskvError;
        expect(err.code).toBe("TSKV_ERR_CORRUPTION");
        expect(err.message).toContain(tableName(5));
        expect(err.offset).toEqual(expect.any(Number));
      } finally {
        t?.close();
      }
    }
  });

  it("verify() finds a key its own Bloom filter rules out, even behind a valid checksum", () => {
    const dir = tmp();
    const entries = sample(300, 11);
    const file = writeTable(dir, 8, entries);
    const good = fs.readFileSync(file);
    // The footer's filter handle (offset u64 at 12, size u32 at 20 of the 52-byte footer); clear the filter's lines
    // and give the block a checksum that matches, as a writer bug would.
    const footer = good.subarray(good.length - 52);
    const off = footer.readUInt32LE(12);
    const size = footer.readUInt32LE(20);
    const bad = Buffer.from(good);
    bad.fill(0, off, off + size - 2);
    bad.writeUInt32LE(maskCrc(crc32c(bad.subarray(off + size, off + size + 1), crc32c(bad.subarray(off, off + size)))), off + size + 1);
    fs.writeFileSync(file, bad);
    const t = Table.open(nodeFs, file, 8, new BlockCache(0), counters());
    try {
      expect(() => t.verify()).toThrow(/Bloom filter rules out a key/);
    } finally {
      t.close();
    }
    fs.writeFileSync(file, good);
    const ok = Table.open(nodeFs, file, 8, new BlockCache(0), counters());
    try {
      expect(ok.verify().entries).toBe(entries.length);
    } finally {
      ok.close();
    }
  });

  it("refuses a truncated file", () => {
    const dir = tmp();
    const file = writeTable(dir, 6, sample(100));
    fs.truncateSync(file, fs.statSync(file).size - 20);
    expect(() => Table.open(nodeFs, file, 6, new BlockCache(0), counters())).toThrow(/corruption in 000006\.sst/);
    fs.truncateSync(file, 10);
    expect(() => Table.open(nodeFs, file, 6, new BlockCache(0), counters())).toThrow(/corruption in 000006\.sst/);
  });
});

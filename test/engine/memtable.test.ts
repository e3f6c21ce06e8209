// The memtable's ordering: keys linked one by one or in bulk (sort, merge, relink) with writes, removals and ordered
// reads between them, and the flush's own ordering of the records (a radix sort of key refs), against sorted models.
import fc from "fast-check";
import { EntrySink, SkipList } from "../../src/engine/memtable/skiplist";
import { hash32 } from "../../src/engine/sst/bloom";

const id = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(6, "0")}`, "latin1");

function walk(m: SkipList): string[] {
  const out: string[] = [];
  for (let n = m.seek(null); n !== null; n = m.next(n)) out.push(m.keyOf(n).toString("latin1"));
  return out;
}

/** Every seek lands on the first key at or above the target (this uses the upper levels, not just level 0). */
function checkSeeks(m: SkipList, model: string[], probes: number[]): void {
  for (const p of probes) {
    const target = id(p).toString("latin1");
    const want = model.find((k) => k >= target) ?? null;
    const got = m.seek(id(p));
    expect(got === null ? null : m.keyOf(got).toString("latin1")).toBe(want);
  }
}

/** What a flush of the memtable would write, as "key@seq:value hex" lines. */
function flushed(m: SkipList, snapshots: number[] = []): string[] {
  const image = m.image();
  const records = m.records();
  records.sortKeyRefs(image.keys);
  const out: string[] = [];
  const hex = (b: Uint8Array, o: number, l: number): string => Buffer.from(b.buffer, b.byteOffset + o, l).toString("hex");
  const sink: EntrySink = { add: (kb, ko, kl, seq, vb, vo, vl) => out.push(`${hex(kb, ko, kl)}@${seq}:${vb === null ? "-" : hex(vb, vo, vl)}`) };
  for (const _ of records.writeReadable(image.keys, snapshots, sink, 7));
  return out;
}

type Op = { t: "insert"; k: number } | { t: "remove"; k: number } | { t: "flush" } | { t: "read"; probes: number[] };

describe("memtable ordering", () => {
  it("keeps every key in order through bulk orderings, writes, removals and reads; a flush writes them in order", () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ t: fc.constant("insert" as const), k: fc.integer({ min: 0, max: 5000 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("remove" as const), k: fc.integer({ min: 0, max: 5000 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("flush" as const) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("read" as const), probes: fc.array(fc.integer({ min: 0, max: 5001 }), { maxLength: 5 }) }) },
    );
    // Long runs of inserts between orderings, so the bulk path (over a thousand pending keys) is taken often.
    const script = fc.array(fc.tuple(op, fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(script, fc.integer(), (ops, seed) => {
        const m = new SkipList();
        const model = new Set<string>();
        let seq = 0;
        let x = seed;
        const rand = (n: number): number => {
          x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) | 0;
          return (x >>> 0) % n;
        };
        for (const [o, burst] of ops) {
          if (o.t === "insert") {
            // A burst of writes: new keys and overwrites.
            for (let i = 0; i < burst; i++) {
              const k = id(rand(5000));
              m.insert(k, ++seq, Buffer.from([i & 255]));
              model.add(k.toString("latin1"));
            }
          } else if (o.t === "remove") {
            const k = id(o.k);
            const e = m.get(k, Number.MAX_SAFE_INTEGER);
            if (e && m.remove(k, e.seq) && m.get(k, Number.MAX_SAFE_INTEGER) === undefined) model.delete(k.toString("latin1"));
          } else if (o.t === "flush") {
            // Newest versions only, keys in order, removed keys left out; nothing linked on the way.
            const keys = flushed(m).map((line) => Buffer.from(line.slice(0, line.indexOf("@")), "hex").toString("latin1"));
            expect(keys).toEqual([...model].sort());
          } else {
            const sorted = [...model].sort();
            expect(walk(m)).toEqual(sorted);
            checkSeeks(m, sorted, o.probes);
          }
        }
        const sorted = [...model].sort();
        expect(walk(m)).toEqual(sorted);
        checkSeeks(m, sorted, [0, 1, 2500, 4999, 5000, 5001]);
        expect(m.keyCount).toBe(model.size);
      }),
      { numRuns: 60 },
    );
  });

  it("a flush orders any keys bytewise: shared prefixes, prefixes of each other, zero bytes, keys over 64 KiB", () => {
    const byte = fc.oneof(fc.constantFrom(0, 1, 0x61, 0x62, 0xff), fc.integer({ min: 0, max: 255 }));
    const key = fc.oneof(
      { weight: 8, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)) },
      { weight: 4, arbitrary: fc.array(byte, { maxLength: 9 }).map((b) => Buffer.concat([Buffer.from("user:1000:"), Buffer.from(b)])) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65_530, max: 65_545 }), byte).map(([n, b]) => Buffer.alloc(n, b)) },
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), (keys) => {
        const m = new SkipList();
        let seq = 0;
        for (const k of keys) m.insert(k, ++seq, Buffer.from([seq & 255]));
        const want = [...new Set(keys.map((k) => k.toString("hex")))].sort((a, b) => Buffer.compare(Buffer.from(a, "hex"), Buffer.from(b, "hex")));
        const got = flushed(m).map((line) => line.slice(0, line.indexOf("@")));
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("a flush sorts 200 000 keys written out of order and keeps the versions snapshots read", () => {
    const m = new SkipList();
    const n = 200_000;
    // Numeric keys with a long shared prefix, written out of order, each twice: seq i + 1 then n + i + 1.
    for (let r = 0; r < 2; r++) for (let i = 0; i < n; i++) m.insert(id((i * 7919) % n), r * n + i + 1, Buffer.from([r]));
    const lines = flushed(m, [n + 10]);
    // The snapshot at n + 10 reads the second version of the first 10 keys rewritten, the first of all others: those
    // n - 10 older versions are written beside every key's newest.
    expect(lines.length).toBe(2 * n - 10);
    let outOfOrder = 0;
    let prev = "";
    for (const line of lines) {
      const k = line.slice(0, line.indexOf("@"));
      if (k < prev) outOfOrder++;
      prev = k;
    }
    expect(outOfOrder).toBe(0);
  });
});

describe("memtable versions", () => {
  it("reads every version back at its sequence: values across slabs, big values, tombstones, removals", () => {
    type VOp = { t: "put"; k: number; size: number } | { t: "del"; k: number } | { t: "undo"; k: number } | { t: "read"; k: number; at: number };
    const vop: fc.Arbitrary<VOp> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ t: fc.constant("put" as const), k: fc.integer({ min: 0, max: 40 }), size: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 30_000, max: 100_000 })) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("del" as const), k: fc.integer({ min: 0, max: 40 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("undo" as const), k: fc.integer({ min: 0, max: 40 }) }) },
      { weight: 3, arbitrary: fc.record({ t: fc.constant("read" as const), k: fc.integer({ min: 0, max: 40 }), at: fc.integer({ min: 0, max: 400 }) }) },
    );
    fc.assert(
      fc.property(fc.array(vop, { maxLength: 400 }), (ops) => {
        const m = new SkipList();
        // The model: each key's versions newest first, as [seq, value bytes or null].
        const model = new Map<number, Array<[number, Buffer | null]>>();
        let seq = 0;
        for (const o of ops) {
          const k = id(o.k);
          const versions = model.get(o.k) ?? [];
          if (o.t === "put" || o.t === "del") {
            // The value is handed over and then overwritten: the memtable must hold its own copy of small values.
            const value = o.t === "put" ? Buffer.alloc(o.size, (seq * 31 + o.k) & 255) : null;
            const expected = value ? Buffer.from(value) : null;
            m.insert(k, ++seq, value);
            if (value && value.length <= 32_000) value.fill(0xee);
            versions.unshift([seq, expected]);
            model.set(o.k, versions);
          } else if (o.t === "undo") {
            if (versions.length === 0) continue;
            expect(m.remove(k, versions[0][0])).toBe(true);
            versions.shift();
          } else {
            const want = versions.find(([s]) => s <= o.at);
            const got = m.get(k, o.at);
            if (!want) expect(got).toBeUndefined();
            else {
              expect(got?.seq).toBe(want[0]);
              expect(got?.value === null ? null : Buffer.from(got!.value!).toString("hex")).toBe(want[1] === null ? null : want[1].toString("hex"));
            }
          }
        }
        // A full walk returns every version of every key, newest first.
        const walked = [...m.entries()].map((e) => `${e.key.toString("latin1")}@${e.seq}:${e.value === null ? "-" : e.value.toString("hex")}`);
        const expected = [...model.entries()]
          .filter(([, vs]) => vs.length > 0)
          .sort(([a], [b]) => (id(a).toString("latin1") < id(b).toString("latin1") ? -1 : 1))
          .flatMap(([k, vs]) => vs.map(([s, v]) => `${id(k).toString("latin1")}@${s}:${v === null ? "-" : v.toString("hex")}`));
        expect(walked).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("tells apart keys whose 32-bit hashes are equal", () => {
    // Found by search: equal hash32, equal length, different bytes.
    const a = Buffer.from("k1007341");
    const b = Buffer.from("k1154882");
    expect(hash32(a)).toBe(hash32(b));
    const m = new SkipList();
    m.insert(a, 1, Buffer.from("a"));
    expect(m.get(b, 10)).toBeUndefined();
    m.insert(b, 2, Buffer.from("b"));
    expect(m.get(a, 10)?.value?.toString()).toBe("a");
    expect(m.get(b, 10)?.value?.toString()).toBe("b");
    expect(m.remove(a, 1)).toBe(true);
    expect(m.get(a, 10)).toBeUndefined();
    expect(m.get(b, 10)?.value?.toString()).toBe("b");
    expect(m.keyCount).toBe(1);
  });

  it("finds every key through index growth, removals and re-inserts", () => {
    const m = new SkipList();
    const n = 50_000;
    let seq = 0;
    const seqOf = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      m.insert(id(i), ++seq, Buffer.from(String(i)));
      seqOf.set(i, seq);
    }
    // Remove every third key (its only version), then put some back.
    for (let i = 0; i < n; i += 3) expect(m.remove(id(i), seqOf.get(i)!)).toBe(true);
    for (let i = 0; i < n; i += 9) m.insert(id(i), ++seq, Buffer.from(`again ${i}`));
    for (let i = 0; i < n; i++) {
      const got = m.get(id(i), Number.MAX_SAFE_INTEGER)?.value?.toString();
      if (i % 9 === 0) expect(got).toBe(`again ${i}`);
      else if (i % 3 === 0) expect(got).toBeUndefined();
      else expect(got).toBe(String(i));
    }
    const live = n - Math.ceil(n / 3) + Math.ceil(n / 9);
    expect(m.keyCount).toBe(live);
    expect(walk(m).length).toBe(live);
  });
});

// The memtable's ordering: keys linked one by one or in bulk (sort, merge, relink), and a bulk ordering run in steps
// with writes, removals and ordered reads between them, always against a sorted model.
import fc from "fast-check";
import { SkipList } from "../../src/engine/memtable/skiplist";

const id = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(6, "0")}`, "latin1");

function walk(m: SkipList): string[] {
  const out: string[] = [];
  for (let n = m.seek(null); n !== null; n = m.next(n)) out.push(n.key.toString("latin1"));
  return out;
}

/** Every seek lands on the first key at or above the target (this uses the upper levels, not just level 0). */
function checkSeeks(m: SkipList, model: string[], probes: number[]): void {
  for (const p of probes) {
    const target = id(p).toString("latin1");
    const want = model.find((k) => k >= target) ?? null;
    const got = m.seek(id(p));
    expect(got === null ? null : got.key.toString("latin1")).toBe(want);
  }
}

type Op = { t: "insert"; k: number } | { t: "remove"; k: number } | { t: "step"; n: number } | { t: "read"; probes: number[] };

describe("memtable ordering", () => {
  it("keeps every key in order through bulk orderings interrupted by writes, removals and reads", () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ t: fc.constant("insert" as const), k: fc.integer({ min: 0, max: 5000 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("remove" as const), k: fc.integer({ min: 0, max: 5000 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("step" as const), n: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("read" as const), probes: fc.array(fc.integer({ min: 0, max: 5001 }), { maxLength: 5 }) }) },
    );
    // Long runs of inserts between orderings, so the bulk path (over a thousand pending keys) is taken often.
    const script = fc.array(fc.tuple(op, fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(script, fc.integer(), (ops, seed) => {
        const m = new SkipList();
        const model = new Set<string>();
        let seq = 0;
        let steps: Generator<void, void> | null = null;
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
          } else if (o.t === "step") {
            steps ??= m.orderInSteps();
            for (let i = 0; i < o.n && steps !== null; i++) if (steps.next().done) steps = null;
            if (steps === null) continue;
          } else {
            const sorted = [...model].sort();
            expect(walk(m)).toEqual(sorted);
            checkSeeks(m, sorted, o.probes);
          }
        }
        if (steps) while (!steps.next().done);
        const sorted = [...model].sort();
        expect(walk(m)).toEqual(sorted);
        checkSeeks(m, sorted, [0, 1, 2500, 4999, 5000, 5001]);
        expect(m.keyCount).toBe(model.size);
      }),
      { numRuns: 60 },
    );
  });

  it("orders a large write-only memtable in bounded steps", () => {
    const m = new SkipList();
    const n = 100_000;
    for (let i = 0; i < n; i++) m.insert(id((i * 7919) % n), i + 1, null);
    let steps = 0;
    let longest = 0;
    const g = m.orderInSteps();
    for (;;) {
      const t = performance.now();
      const done = g.next().done;
      longest = Math.max(longest, performance.now() - t);
      if (done) break;
      steps++;
    }
    // 100 000 keys in runs of 16 384 plus merge passes: many steps, none of them the whole sort.
    expect(steps).toBeGreaterThan(10);
    const keys = walk(m);
    expect(keys.length).toBe(n);
    for (let i = 1; i < n; i++) expect(keys[i - 1] < keys[i]).toBe(true);
  });
});

// The compaction merge: sorted sources (a level's tables read back to back, or one level-0 table each) merged into
// internal order — key ascending, newer sequence first — with every entry kept exactly once.
import fc from "fast-check";
import { merge } from "../../src/engine/jobs";
import type { TableEntry } from "../../src/engine/sst/reader";

const entry = fc.record({ key: fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)), seq: fc.integer({ min: 1, max: 1e9 }) });

function internalOrder(a: TableEntry, b: TableEntry): number {
  return Buffer.compare(a.key, b.key) || b.seq - a.seq;
}

it("merges any number of sorted sources into internal order, keeping every entry", () => {
  fc.assert(
    fc.property(fc.array(fc.array(entry, { maxLength: 40 }), { maxLength: 12 }), (lists) => {
      // Unique (key, seq) pairs across all sources, as versions are in an engine.
      const seen = new Set<string>();
      const sources = lists.map((l) =>
        l
          .filter((e) => {
            const id = `${e.key.toString("hex")}/${e.seq}`;
            return seen.has(id) ? false : (seen.add(id), true);
          })
          .map((e) => ({ key: e.key, seq: e.seq, value: Buffer.from(String(e.seq)) }))
          .sort(internalOrder),
      );
      const out = [...merge(sources.map((s) => s[Symbol.iterator]()))];
      const expected = sources.flat().sort(internalOrder);
      expect(out.map((e) => [e.key.toString("hex"), e.seq])).toEqual(expected.map((e) => [e.key.toString("hex"), e.seq]));
    }),
    { numRuns: 300 },
  );
});

it("passes a lone source through and yields nothing for none", () => {
  const one = [{ key: Buffer.from("a"), seq: 2, value: null }, { key: Buffer.from("b"), seq: 1, value: null }];
  expect([...merge([one[Symbol.iterator]()])]).toEqual(one);
  expect([...merge([])]).toEqual([]);
  expect([...merge([[][Symbol.iterator](), one[Symbol.iterator]()])]).toEqual(one);
});

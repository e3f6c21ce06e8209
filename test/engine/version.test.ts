// A level's table search: with the level's fences (6 key bytes after the shared prefix, as numbers) it picks the same
// table as a search over the keys themselves and as a scan of every table's range, whatever the keys look like.
import fc from "fast-check";
import { findFile, LevelFences, levelRun, TableHandle } from "../../src/engine/version";

function level(bounds: Buffer[]): TableHandle[] {
  // Consecutive pairs of the sorted, distinct bounds are the tables' [smallest, largest].
  const out: TableHandle[] = [];
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    out.push({ meta: { number: i, level: 1, size: 0, smallest: bounds[i], largest: bounds[i + 1] } as unknown as TableHandle["meta"], table: undefined as unknown as TableHandle["table"], refs: 1, obsolete: false });
  }
  return out;
}

describe("findFile", () => {
  it("finds the same table with fences as without and as a scan (property)", () => {
    // Two letters behind an optional shared prefix: 6-byte ties, keys that are prefixes of others, probes that lack
    // the prefix, probes before, between and after the tables.
    const keyArb = fc.tuple(fc.constantFrom("", "m:key:0000", "m:key:00001"), fc.array(fc.constantFrom(0, 0x30, 0x31, 0x80, 0xff), { maxLength: 10 }));
    const toKey = ([p, b]: [string, number[]]): Buffer => Buffer.concat([Buffer.from(p, "latin1"), Buffer.from(b)]);
    fc.assert(
      fc.property(fc.uniqueArray(keyArb.map(toKey), { minLength: 8, maxLength: 80, selector: (k) => k.toString("hex") }), fc.array(keyArb.map(toKey), { maxLength: 30 }), (keys, probes) => {
        const lvl = level(keys.sort(Buffer.compare));
        const fences = new LevelFences(lvl);
        for (const k of [...keys, ...probes, ...keys.map((k) => Buffer.concat([k, Buffer.from([0])]))]) {
          const scan = lvl.find((t) => Buffer.compare(k, t.meta.smallest) >= 0 && Buffer.compare(k, t.meta.largest) <= 0);
          expect(findFile(lvl, k, fences)).toBe(scan);
          expect(findFile(lvl, k)).toBe(scan);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("finds a level's run of tables meeting a range by binary search, as a filter of every table does (property)", () => {
    const keyArb = fc.array(fc.constantFrom(0, 0x30, 0x31, 0xff), { maxLength: 6 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { minLength: 2, maxLength: 40, selector: (k) => k.toString("hex") }),
        fc.option(keyArb, { nil: undefined }),
        fc.option(keyArb, { nil: undefined }),
        fc.boolean(),
        (keys, lo, hi, hiExclusive) => {
          const lvl = level(keys.sort(Buffer.compare));
          const want = lvl.filter(
            (t) => !(lo && Buffer.compare(t.meta.largest, lo) < 0) && !(hi && (hiExclusive ? Buffer.compare(t.meta.smallest, hi) >= 0 : Buffer.compare(t.meta.smallest, hi) > 0)),
          );
          expect(levelRun(lvl, lo, hi, hiExclusive)).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// A command's batch of series writes keeps each changed head once on its dirty list (state.ts SeriesBatch). Batches
// are pooled and reset, and two may be open at once (an async TSKV.COMPACT fold beside a command): a head another
// batch marked must never look already listed to this one, or its appends would go unlogged.
import { SeriesBatch, emptyState } from "../../src/model/series/state";
import type { SeriesHeader } from "../../src/model/series/header";

const header = { id: 1 } as SeriesHeader;

describe("SeriesBatch dirty list", () => {
  it("lists a head once however often it is marked", () => {
    const w = new SeriesBatch();
    const s = emptyState(Buffer.from("a"), 0, header);
    w.markDirty(s);
    w.markDirty(s);
    expect(w.dirty).toEqual([s]);
  });

  it("a cleared or reset batch lists again a head another open batch marked meanwhile", () => {
    const a = new SeriesBatch();
    const b = new SeriesBatch();
    const s = emptyState(Buffer.from("a"), 0, header);
    for (let round = 0; round < 4; round++) {
      if (round % 2 === 0) a.clearDirty();
      else a.reset();
      b.markDirty(s);
      a.markDirty(s);
      expect(a.dirty).toEqual([s]);
      b.clearDirty();
    }
  });
});

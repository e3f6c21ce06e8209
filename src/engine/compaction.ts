// Compaction choices that need nothing of the engine's state: which tables to merge next, and how.
import type { LsmOptions } from "./engine";
import { NUM_LEVELS } from "./manifest";
import { keyRange, overlapping, type TableHandle, type Version } from "./version";

/**
 * Compaction inputs as sorted runs for the merge: each level-0 table alone (they overlap), and each deeper level's
 * tables together in key order (disjoint within a level).
 */
export function sortedRuns(inputs: TableHandle[]): number[][] {
  const runs: number[][] = [];
  const byLevel = new Map<number, TableHandle[]>();
  for (const t of inputs) {
    if (t.meta.level === 0) {
      runs.push([t.meta.number]);
      continue;
    }
    const level = byLevel.get(t.meta.level);
    if (level) level.push(t);
    else byLevel.set(t.meta.level, [t]);
  }
  for (const tables of byLevel.values()) runs.push(tables.sort((a, b) => Buffer.compare(a.meta.smallest, b.meta.smallest)).map((t) => t.meta.number));
  return runs;
}

/** Bytes level `level` (1 and deeper) may hold before it is compacted: levelBase, ten times more per level. */
export function levelLimit(lsm: LsmOptions, level: number): number {
  return lsm.levelBase * Math.pow(10, level - 1);
}

/**
 * Picks the most urgent compaction of version `v` (LevelDB's scoring), or undefined when every level is within
 * bounds; a deeper level's input is the table after its compaction pointer.
 */
export function pickCompaction(v: Version, lsm: LsmOptions, compactPointer: ReadonlyArray<Buffer | undefined>): { level: number; inputs: TableHandle[]; next: TableHandle[] } | undefined {
  let best = -1;
  let bestScore = 1;
  for (let l = 0; l < NUM_LEVELS - 1; l++) {
    const score = l === 0 ? v.levels[0].length / lsm.l0Trigger : v.levelBytes(l) / levelLimit(lsm, l);
    if (score >= bestScore) {
      bestScore = score;
      best = l;
    }
  }
  if (best < 0) return undefined;
  let inputs: TableHandle[];
  if (best === 0) {
    inputs = v.levels[0].slice();
  } else {
    const lvl = v.levels[best];
    const ptr = compactPointer[best];
    inputs = [lvl.find((t) => !ptr || Buffer.compare(t.meta.largest, ptr) > 0) ?? lvl[0]];
  }
  const [lo, hi] = keyRange(inputs);
  const next = overlapping(v.levels[best + 1], lo, hi);
  return { level: best, inputs, next };
}

// Reclaiming the chunks of deleted series: DEL stays one small write (the series' id is unreachable at once), and the
// chunk entries are deleted here in the background, a bounded batch per turn; compaction then drops them and their
// tombstones. A crash before the reaper finishes leaves orphans that sweepDeadChunks (run by TSKV.COMPACT) finds.
import type { BatchOp, EngineApi, Snapshot } from "../../engine/types";
import { Prefix } from "../keys";
import type { Meta } from "../meta";
import { decodeHeader } from "./header";
import { chunkRange, seriesIdOf } from "./layout";

export class ChunkReaper {
  private readonly dead: number[] = [];
  private reaping: Promise<void> | undefined;

  constructor(private readonly engine: EngineApi) {}

  /** Queues the chunks of a deleted series for removal. */
  reap(id: number): void {
    this.dead.push(id);
    if (!this.reaping) this.reaping = this.reapAll().finally(() => (this.reaping = undefined));
  }

  private async reapAll(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // after the batch that deletes the series' META entry
    while (this.dead.length > 0) {
      const id = this.dead[0];
      const ops: BatchOp[] = [];
      for (const [k] of this.engine.iterate({ ...chunkRange(id), limit: 1024 })) ops.push({ type: "del", key: k });
      if (ops.length === 0) {
        this.dead.shift();
        continue;
      }
      try {
        await this.engine.whenDurable(this.engine.apply(ops));
      } catch {
        // Writes refused (disk full, read-only): try again later; nothing is lost by waiting.
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Resolves when every queued deleted series' chunks are gone. */
  async reaped(): Promise<void> {
    while (this.reaping) await this.reaping;
  }

  /**
   * Finds chunks whose series no longer exists (left by a crash before the reaper finished) and queues them, from
   * `walked`, the series at snapshot `at` (SeriesStore.prepareFullCompaction). One engine seek per series id present
   * on disk. Returns the number of dead ids found.
   */
  async sweepDeadChunks(walked: Array<[Buffer, Meta]>, at: Snapshot): Promise<number> {
    // Live ids and chunks are both read at one snapshot: a series created, renamed or deleted while the walk
    // yields cannot look dead (an id is never reused, and a rename keeps it), so only ids dead at the snapshot —
    // dead for good — are reaped.
    const live = new Set<number>();
    for (const [, meta] of walked) {
      try {
        live.add(decodeHeader(meta.payload).id);
      } catch {
        // a damaged header: its chunks are left alone
      }
    }
    let found = 0;
    let from = chunkRange(0).gte;
    const end = Buffer.from([Prefix.CHUNK + 1]);
    for (;;) {
      const next = this.engine.iterate({ gte: from, lt: end, limit: 1, snapshot: at }).next();
      if (next.done) break;
      const id = seriesIdOf(next.value[0]);
      if (!live.has(id) && !this.dead.includes(id)) {
        this.reap(id);
        found++;
      }
      from = chunkRange(id).lt;
    }
    await this.reaped();
    return found;
  }
}

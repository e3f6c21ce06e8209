// Recovery suite: how fast a crashed tskv comes back. Writes a WAL of the given size (the memtable is set larger,
// so nothing is flushed and everything must be replayed), closes, and times open(): WAL replay MB/s and the time
// until the engine serves. No peer: restart time is tskv's own figure (classic-level replays its log the same way,
// but its log is bounded by its 4 MiB write buffer).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CaseResult } from "../lib/report";
import { tmpDir } from "../lib/proc";
import { open } from "../../src/engine/engine";
import type { SuiteContext } from "./server";

export async function recoverySuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const walBytes = ctx.quick ? 64 * 1024 * 1024 : 1024 * 1024 * 1024;
  const valueSize = 4000;
  const add = (workload: string, value: number, unit: string): void => {
    let c = results.find((x) => x.workload === workload);
    if (!c) results.push((c = { suite: "recovery", workload, system: "tskv", samples: [], unit }));
    c.samples.push({ rps: value });
  };
  const label = `${Math.round(walBytes / 1024 / 1024)} MiB WAL`;
  for (let r = 0; r < ctx.repeats; r++) {
    const dir = tmpDir("tskv-recovery-");
    try {
      ctx.progress(`recovery write ${label} #${r + 1}`);
      const opts = { walSync: "no" as const, memtableSize: walBytes * 4 };
      let e = await open(dir, opts);
      const value = Buffer.alloc(valueSize, 0x61);
      let written = 0;
      for (let i = 0; written < walBytes; i++) {
        const ops = [];
        for (let j = 0; j < 16; j++) ops.push({ type: "put" as const, key: Buffer.from(`key:${String(i * 16 + j).padStart(12, "0")}`), value });
        e.apply(ops);
        written += 16 * (valueSize + 24);
        if (i % 64 === 0) await e.whenDurable(e.lastSequence);
      }
      await e.close();
      const bytes = fs.readdirSync(dir).filter((f) => f.endsWith(".log")).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
      ctx.progress(`recovery replay ${label} #${r + 1}`);
      const t0 = process.hrtime.bigint();
      e = await open(dir, opts);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const probe = e.get(Buffer.from(`key:${String(5).padStart(12, "0")}`));
      if (!probe || probe.length !== valueSize) throw new Error("recovery: replayed data is missing");
      await e.close();
      add(`WAL replay (${label}), MB/s`, bytes / 1e6 / secs, "MB/s");
      add(`restart until serving (${label}), s`, secs, "s");
    } catch (e) {
      ctx.skip(`recovery suite: ${(e as Error).message}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

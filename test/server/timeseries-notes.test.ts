// Series heads and their WAL notes (docs/format.md, "The head and its WAL notes"): appends are logged as notes and
// live in memory; a restart replays them. These check what a restart must give back after each kind of change that
// notes could get wrong: plain appends, deletes of points the notes hold, RENAME, DEL and re-create, persisting.
import * as fs from "node:fs";
import { startTestServer, TestServer } from "../helpers/server";
import { SeriesStore } from "../../src/model/series/series";
import type { Keyspace } from "../../src/model/keyspace";

jest.setTimeout(60000);

function segments(dir: string): number {
  return fs.readdirSync(dir).filter((f) => f.endsWith(".log")).length;
}

async function range(t: TestServer, key: string): Promise<Array<[number, string]>> {
  const c = t.client();
  const r = (await c.call("TS.RANGE", key, "-", "+")) as Array<[number, string]>;
  return r.map(([ts, v]) => [Number(ts), v]);
}

describe("series WAL notes across restarts", () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  it("appends come back after a restart, whether or not they reached engine entries", async () => {
    t = await startTestServer({ walSync: "always", persistOnStop: false });
    const c = t.client();
    for (let i = 1; i <= 300; i++) await c.call("TS.ADD", "s", String(i * 10), String(i));
    for (let i = 1; i <= 5; i++) await c.call("TS.ADD", "short", String(i), String(i * 2));
    await t.restart();
    const s = await range(t, "s");
    expect(s.length).toBe(300);
    expect(s[299]).toEqual([3000, "300"]);
    expect(await range(t, "short")).toEqual([
      [1, "2"],
      [2, "4"],
      [3, "6"],
      [4, "8"],
      [5, "10"],
    ]);
    const info = (await t.client().call("TS.INFO", "s")) as unknown[];
    expect(info[info.indexOf("totalSamples") + 1]).toBe(300);
  });

  it("points deleted after they were logged do not come back", async () => {
    t = await startTestServer({ walSync: "always", persistOnStop: false });
    const c = t.client();
    for (let i = 1; i <= 20; i++) await c.call("TS.ADD", "d", String(i), String(i));
    expect(await c.call("TS.DEL", "d", "5", "20")).toBe(16);
    await c.call("TS.ADD", "d", "30", "30");
    for (let i = 1; i <= 4; i++) await c.call("TS.ADD", "gone", String(i), "1");
    expect(await c.call("TS.DEL", "gone", "0", "100")).toBe(4);
    await t.restart();
    expect((await range(t, "d")).map(([ts]) => ts)).toEqual([1, 2, 3, 4, 30]);
    expect(await range(t, "gone")).toEqual([]);
  });

  it("a renamed series keeps its appends; a series deleted and created again does not get the old ones", async () => {
    t = await startTestServer({ walSync: "always", persistOnStop: false });
    const c = t.client();
    for (let i = 1; i <= 7; i++) await c.call("TS.ADD", "old", String(i), String(i));
    await c.call("RENAME", "old", "new");
    await c.call("TS.ADD", "new", "8", "8");
    for (let i = 1; i <= 3; i++) await c.call("TS.ADD", "again", String(i), "1");
    await c.call("DEL", "again");
    await c.call("TS.ADD", "again", "100", "5");
    await c.call("TS.ADD", "old", "1", "9");
    await t.restart();
    expect((await range(t, "new")).map(([ts]) => ts)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await range(t, "again")).toEqual([[100, "5"]]);
    expect(await range(t, "old")).toEqual([[1, "9"]]);
  });

  it("an out-of-order write into the newest chunk after appends survives with the appends", async () => {
    t = await startTestServer({ walSync: "always", persistOnStop: false });
    const c = t.client();
    await c.call("TS.CREATE", "o", "DUPLICATE_POLICY", "LAST");
    for (let i = 1; i <= 10; i++) await c.call("TS.ADD", "o", String(i * 10), String(i));
    await c.call("TS.ADD", "o", "55", "99");
    await c.call("TS.ADD", "o", "20", "-1");
    await c.call("TS.ADD", "o", "110", "11");
    await t.restart();
    const r = await range(t, "o");
    expect(r.map(([ts]) => ts)).toEqual([10, 20, 30, 40, 50, 55, 60, 70, 80, 90, 100, 110]);
    expect(r[1]).toEqual([20, "-1"]);
    expect(r[5]).toEqual([55, "99"]);
  });

  it("heads are persisted once their notes leave the window, and the WAL they pinned goes", async () => {
    t = await startTestServer({ walSync: "no", memtableSize: 256 * 1024, seriesNoteWindow: 5000, persistOnStop: false });
    const c = t.client();
    const pipe = c.pipeline();
    for (let i = 0; i < 60000; i++) pipe.call("TS.ADD", `p${i % 500}`, String(1000 + Math.floor(i / 500)), String(i));
    await pipe.exec();
    const st = SeriesStore.of(t.server.extensions.get("keyspace") as Keyspace);
    // 500 series × 120 points: most notes are far past a 5000-write window, so most heads were persisted and the WAL
    // stays a few segments long.
    expect(st.dirtyCount()).toBeLessThan(500);
    expect(segments(t.dir)).toBeLessThan(12);
    await t.restart();
    for (const k of ["p0", "p250", "p499"]) {
      const r = await range(t, k);
      expect(r.length).toBe(120);
      expect(r[119][0]).toBe(1119);
    }
  });
});

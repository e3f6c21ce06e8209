// A real full disk: the data directory on a small tmpfs (where this machine lets root mount one; otherwise the test
// says why it skipped). Writes turn into a clear -ERR, reads keep working, flushes wait for space instead of
// failing for good, writes resume by themselves when space returns, and nothing acknowledged is lost.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestServer, TestServer } from "../helpers/server";

function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (mounting a tmpfs needs root)";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
}

const mnt = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-full-"));
const why = mountTmpfs(mnt, "3m");
if (why) console.log(`disk-full test skipped: ${why}`);
const maybe = why ? describe.skip : describe;

afterAll(() => {
  if (!why) execFileSync("umount", ["-l", mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});

maybe("a real full disk (tmpfs)", () => {
  let t: TestServer | undefined;
  afterEach(async () => t?.stop());

  it("refuses writes with -ERR disk full, keeps reads, and resumes by itself when space returns", async () => {
    const dir = path.join(mnt, "data");
    // A filler we delete later to give space back.
    fs.writeFileSync(path.join(mnt, "filler"), Buffer.alloc(1024 * 1024));
    // A 240 KiB memtable (≈ 800 of these writes at the memtable's accounting, about 300 bytes each; tables of
    // ≈ 170 KB): the full disk then holds few enough level-0 tables that compacting them fits in the 1 MB given back.
    // (A compaction needs room for its whole output; with tables a third of that size, L0 + L1 grew past what a freed
    // megabyte could rewrite, and writes stayed refused; with tables half again as large, four L0 tables alone
    // needed that megabyte.)
    t = await startTestServer({ dir, memtableSize: 240 * 1024, walSync: "always" });
    let c = t.client();
    const acked = new Map<string, string>();
    let refusal: string | undefined;
    let refusedKey = "";
    // A write whose WAL append itself hit the full disk was already answered into the connection's buffer: that
    // reply is never sent, the client is dropped instead (Redis exits on an AOF write error under fsync always).
    // After that the engine probes writes one at a time until a flush or compaction finishes, so at most one drop.
    const dropped: string[] = [];
    for (let i = 0; i < 20000 && !refusal; i++) {
      const k = `k${i}`;
      const v = `${i}:`.padEnd(200, "v");
      try {
        await c.set(k, v);
        acked.set(k, v);
      } catch (e) {
        const msg = (e as Error).message;
        if (/disk full/.test(msg)) {
          refusal = msg;
          refusedKey = k;
        }
        else {
          expect(msg).toMatch(/Connection is closed/);
          dropped.push(k);
          c = t.client();
        }
      }
    }
    expect(refusal).toMatch(/^ERR disk full/);
    expect(dropped.length).toBeLessThanOrEqual(1);
    for (const k of dropped) expect(await c.get(k)).toBeNull();
    expect(acked.size).toBeGreaterThan(1000);
    // Reads work while the disk is full.
    const some = [...acked.keys()].slice(-50);
    expect(await c.mget(...some)).toEqual(some.map((k) => acked.get(k)));
    // The refused write left nothing behind. The next one may already fit (a failed compaction's partial output is
    // deleted, which frees space): then it is an ordinary acknowledged write.
    expect(await c.get(refusedKey)).toBeNull();
    const more = await c.set("more", "x").catch((e: Error) => e.message);
    if (more === "OK") acked.set("more", "x");
    else expect(more).toMatch(/^ERR disk full/);
    // Space comes back: writes resume without a restart.
    fs.unlinkSync(path.join(mnt, "filler"));
    let resumed = false;
    for (let i = 0; i < 50 && !resumed; i++) {
      resumed = (await c.set("after", "space").catch(() => "no")) === "OK";
      if (!resumed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed).toBe(true);
    acked.set("after", "space");
    await t.restart();
    const c2 = t.client();
    for (const k of dropped) expect(await c2.get(k)).toBeNull();
    const keys = [...acked.keys()];
    for (let i = 0; i < keys.length; i += 500) {
      const slice = keys.slice(i, i + 500);
      expect(await c2.mget(...slice)).toEqual(slice.map((k) => acked.get(k)));
    }
  }, 60_000);
});

// Active expiry while the engine refuses writes: the timer-driven cycle must not throw (it would take the server
// down), expired keys stay invisible and uncounted, and they are deleted once writes resume.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open } from "../../src/engine/engine";
import { metaKey, TypeTag } from "../../src/model/keys";
import { Keyspace } from "../../src/model/keyspace";

it("defers active expiry while the memtable is at its hard limit, keeps DBSIZE exact, and expires once writes resume", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-expiry-"));
  // One level-0 table stops writes (l0Stop 1) and nothing compacts it by itself (l0Trigger 100).
  const engine = await open(dir, { memtableSize: 64 * 1024, l0Trigger: 100, l0Stop: 1 });
  const ks = Keyspace.load(engine, { activeExpiry: false });
  let now = 1_000_000;
  ks.now = () => now;
  try {
    const put = (key: string, expireAt: number): void => {
      const k = Buffer.from(key);
      const [ops, delta] = ks.writeOps(k, TypeTag.STRING, expireAt, Buffer.from("v"), ks.lookup(k));
      ks.commit(ops, delta);
    };
    for (let i = 0; i < 10; i++) put(`ttl:${i}`, now + 1000);
    put("keep", 0);
    await engine.flush(); // level 0 now holds a table: writes stall
    expect(engine.stalled).toBe(true);
    // Fill the memtable to its hard limit (writes applied during the stall are held, not refused, until then).
    for (let i = 0; engine.writable; i++) engine.apply([{ type: "put", key: Buffer.from(`fill:${i}`), value: Buffer.alloc(100) }]);
    now += 2000; // every ttl: key has expired
    expect(() => ks.expireCycle(1000)).not.toThrow();
    expect(ks.lookup(Buffer.from("ttl:3"))).toBeUndefined();
    expect(ks.dbsize()).toBe(1); // "keep" (the fill: keys went in under the engine, beside the keyspace)
    expect(engine.get(metaKey(Buffer.from("ttl:3")))).toBeDefined(); // not deleted yet
    await engine.compactAll(); // level 0 emptied: the stall ends
    expect(engine.writable).toBe(true);
    expect(ks.expireCycle(1000)).toBe(10);
    expect(ks.dbsize()).toBe(1);
    expect(engine.get(metaKey(Buffer.from("ttl:3")))).toBeUndefined();
  } finally {
    ks.stop();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

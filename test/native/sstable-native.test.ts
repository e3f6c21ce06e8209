// The addon's table primitives agree with the TypeScript ones on the same bytes (hash, Bloom, block search), and its
// libFuzzer targets run clean for a short while under ASan/UBSan (the long form: FUZZ_SECONDS=3600 npm run fuzz:native).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { native } from "../../src/native";
import { BlockBuilder, BlockIter } from "../../src/engine/sst/block";
import { buildFilter, hash32, mayContain } from "../../src/engine/sst/bloom";
import { wholeArrayFilter } from "../helpers/old-filter";
import { crc32c, maskCrc } from "../../src/util/crc32c";

const hasTables = native.blockSeek !== undefined;
const maybe = hasTables ? describe : describe.skip;
if (!hasTables) console.log("native table functions not in this build (non-Linux): parity tests skipped");

maybe("native SSTable primitives", () => {
  it("hash the same as the TypeScript Bloom hash", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (k) => expect(native.bloomHash?.(k)).toBe(hash32(k))));
  });

  it("probe Bloom filters of both layouts as the TypeScript filter does", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 300 }), fc.array(fc.string(), { maxLength: 50 }), fc.integer({ min: 1, max: 20 }), (present, others, bits) => {
        const keys = present.map((s) => Buffer.from(s));
        const hashes = Uint32Array.from(keys.map((k) => hash32(k)));
        for (const f of [buildFilter(hashes, keys.length, bits), wholeArrayFilter(hashes, keys.length, bits)]) {
          for (const k of [...keys, ...others.map((s) => Buffer.from(s))]) expect(native.bloomMayContain?.(f, k)).toBe(mayContain(f, hash32(k)));
        }
      }),
    );
  });

  it("find the same entry as the TypeScript block search for any key and sequence", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 80, selector: (k) => Buffer.from(k).toString("hex") }),
        fc.integer({ min: 1, max: 20 }),
        fc.uint8Array({ maxLength: 12 }),
        fc.integer({ min: 0, max: 400 }),
        (rawKeys, interval, probe, seq) => {
          const keys = rawKeys.map((k) => Buffer.from(k)).sort(Buffer.compare);
          const b = new BlockBuilder(interval);
          let s = 500;
          for (const k of keys) for (let v = 0; v < 3; v++) b.add(k, (s -= 1), v === 1 ? null : Buffer.from([v]));
          const block = b.finish();
          for (const k of [...keys, Buffer.from(probe)]) {
            const ts = new BlockIter(block).seek(k, seq);
            const nat = native.blockSeek?.(block, k, seq);
            if (!ts.valid) expect(nat).toBe(-1);
            else expect(nat).toEqual([ts.pos, ts.seq]);
          }
        },
      ),
    );
  });

  it("report damaged blocks as corruption, never read past them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 8 }), (bytes, key) => {
        try {
          const r = native.blockSeek?.(Buffer.from(bytes), Buffer.from(key), 100);
          if (r !== -1) expect(r?.[0]).toBeLessThan(bytes.length);
        } catch (e) {
          expect((e as { code?: string }).code).toBe("TSKV_ERR_CORRUPTION");
        }
      }),
      { numRuns: 2000 },
    );
  });
});

(native.mapTable ? describe : describe.skip)("native table reads", () => {
  it("copy a verified block, and refuse one whose checksum does not match", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tskv-native-read-"));
    try {
      // One block of 100 bytes with its trailer (compression 0, masked CRC32C of contents and that byte).
      const contents = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff));
      const trailer = Buffer.alloc(5);
      trailer.writeUInt32LE(maskCrc(crc32c(Buffer.from([0]), crc32c(contents))), 1);
      const file = path.join(dir, "000001.sst");
      fs.writeFileSync(file, Buffer.concat([contents, trailer, Buffer.alloc(64)]));
      const [id] = native.mapTable?.(file) as [number, number];
      try {
        expect(native.tableReadBlock?.(id, 0, 100)).toEqual(contents);
        const damaged = Buffer.from(contents);
        damaged[50] ^= 1;
        fs.writeFileSync(file, Buffer.concat([damaged, trailer, Buffer.alloc(64)]));
        expect(() => native.tableReadBlock?.(id, 0, 100)).toThrow(/checksum/);
      } finally {
        native.unmapTable?.(id);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("native fuzz targets (libFuzzer + ASan/UBSan, short form)", () => {
  (process.env.TSKV_SKIP_FUZZ ? it.skip : it)("run clean", () => {
    let clang = true;
    try {
      execFileSync("clang++", ["--version"], { stdio: "ignore" });
    } catch {
      clang = false;
    }
    if (!clang) {
      console.log("clang++ not installed (apt-get install -y clang): native fuzzing skipped");
      return;
    }
    const out = execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "fuzz-native.sh")], {
      encoding: "utf8",
      // Under npm run test:asan the suite runs with gcc's ASan preloaded; clang's fuzzer builds bring their own.
      env: { ...process.env, FUZZ_SECONDS: "5", LD_PRELOAD: "", ASAN_OPTIONS: "" },
    });
    expect(out).toContain("fuzz:native: no crashes");
    const runs = [...out.matchAll(/number_of_executed_units: (\d+)/g)].map((m) => Number(m[1]));
    expect(runs).toHaveLength(6); // sstable blocks, CRC32C, the reactor's id table, series chunk decoding and encoding, bucket folds
    for (const n of runs) expect(n).toBeGreaterThan(1000);
  }, 120_000);
});

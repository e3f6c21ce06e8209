// The sanitizer run in short form: builds the addon with -fsanitize=address,undefined (scripts/test-asan.sh) and
// runs the suites that drive the native code hardest — CRC32C, the mapped SSTable reader with flipped bytes, native
// parity properties (the series chunk decoder against its reference among them), the epoll reactor on both
// backends — under it. The long form is `npm run test:asan` (the whole suite). Skips, saying why, where gcc's libasan is missing or when this suite already runs under ASan.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function why(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.env.TSKV_NATIVE_PATH) return "already running under the sanitizer build";
  try {
    const lib = execFileSync(process.env.CXX ?? "g++", ["-print-file-name=libasan.so"], { encoding: "utf8" }).trim();
    if (!fs.existsSync(lib)) return "libasan.so not found next to g++ (apt-get install -y g++)";
  } catch {
    return "g++ not installed";
  }
  return undefined;
}

const reason = why();
if (reason) console.log(`ASan/UBSan short run skipped: ${reason}`);
const maybe = reason ? it.skip : it;

maybe("the native code runs clean under ASan and UBSan (short form)", () => {
  const env: NodeJS.ProcessEnv = { ...process.env, TSKV_SKIP_FUZZ: "1" };
  delete env.TSKV_JEST_JSON; // the outer run's result file is not the inner run's
  const r = spawnSync("bash", [path.join(ROOT, "scripts/test-asan.sh"), "test/native/crc32c.test.ts", "test/native/sstable-native.test.ts", "test/native/series-codec.test.ts", "test/engine/sstable.test.ts", "test/server/io"], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 280_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) console.log(out.slice(-4000));
  expect(out).not.toMatch(/ERROR: AddressSanitizer|runtime error:/);
  expect(r.status).toBe(0);
  expect(out).toMatch(/Tests:.*\d+ passed/);
  expect(out).not.toMatch(/Tests:.*\d+ failed/);
}, 300_000);

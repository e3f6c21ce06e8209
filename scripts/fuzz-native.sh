#!/usr/bin/env bash
# Builds the native fuzz targets with clang's libFuzzer + ASan/UBSan and runs each for a while.
#   npm run fuzz:native                 # 20 s per target (CI's short form)
#   FUZZ_SECONDS=3600 npm run fuzz:native   # the long form
# Needs clang (Debian: apt-get install -y clang); skips with a reason when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${FUZZ_SECONDS:-20}"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz:native skipped: clang++ not installed (apt-get install -y clang)"
  exit 0
fi
out="$(mktemp -d "${TMPDIR:-/tmp}/tskv-fuzz-XXXXXX")"
trap 'rm -rf "$out"' EXIT
flags=(-DTSKV_NO_NAPI -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -msse4.2)
clang++ "${flags[@]}" -o "$out/fuzz_sstable" "$root/native/fuzz/fuzz_sstable.cc" "$root/native/sstable.cc" "$root/native/crc32c.cc"
clang++ "${flags[@]}" -o "$out/fuzz_crc32c" "$root/native/fuzz/fuzz_crc32c.cc" "$root/native/crc32c.cc"
clang++ "${flags[@]}" -o "$out/fuzz_id_table" "$root/native/fuzz/fuzz_id_table.cc"
# Seed the block fuzzer with real blocks (prefix-compressed entries, restarts) when the TypeScript build exists.
mkdir -p "$out/corpus-fuzz_sstable" "$out/corpus-fuzz_crc32c" "$out/corpus-fuzz_id_table"
if [ -f "$root/dist/engine/sst/block.js" ]; then
  node -e '
    const { BlockBuilder } = require(process.argv[1] + "/dist/engine/sst/block.js");
    const fs = require("fs");
    for (let s = 0; s < 4; s++) {
      const b = new BlockBuilder(1 + s * 5);
      for (let i = 0; i < 20 + s * 10; i++) b.add(Buffer.from("key:" + String(i * (s + 1)).padStart(6, "0")), 100 - i, i % 7 === 0 ? null : Buffer.alloc(i % 13, 97));
      const key = Buffer.from("key:000010");
      const seq = Buffer.alloc(8); seq.writeUInt32LE(1000, 0);
      fs.writeFileSync(process.argv[2] + "/seed" + s, Buffer.concat([Buffer.from([key.length]), key, seq, b.finish()]));
    }' "$root" "$out/corpus-fuzz_sstable"
fi
status=0
for t in fuzz_sstable fuzz_crc32c fuzz_id_table; do
  echo "fuzzing $t for ${secs}s"
  len=8192
  [ "$t" = fuzz_crc32c ] && len=100000
  set +e
  (cd "$out" && "./$t" -max_total_time="$secs" -max_len="$len" -print_final_stats=1 "corpus-$t" > "$out/$t.log" 2>&1)
  rc=$?
  set -e
  grep -E "^stat::number_of_executed_units|ERROR|SUMMARY" "$out/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz:native: $t failed (exit $rc); its log:" >&2
    tail -40 "$out/$t.log" >&2
    cp "$out"/crash-* "$root/" 2>/dev/null || true
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "fuzz:native: no crashes"
exit "$status"

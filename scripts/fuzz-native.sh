#!/usr/bin/env bash
# Builds the native fuzz targets with clang's libFuzzer + ASan/UBSan and runs each for a while.
#   npm run fuzz:native                 # 20 s per target (CI's short form)
#   FUZZ_SECONDS=3600 npm run fuzz:native   # the long form
#   FUZZ_TARGETS=fuzz_series_chunk FUZZ_SECONDS=60 npm run fuzz:native   # some targets only
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
# -ffp-contract=off as in binding.gyp: the decoder's float64 arithmetic must be JavaScript's.
clang++ "${flags[@]}" -ffp-contract=off -o "$out/fuzz_series_chunk" "$root/native/fuzz/fuzz_series_chunk.cc" "$root/native/series_chunk.cc"
clang++ "${flags[@]}" -ffp-contract=off -o "$out/fuzz_series_encode" "$root/native/fuzz/fuzz_series_encode.cc" "$root/native/series_chunk.cc"
clang++ "${flags[@]}" -ffp-contract=off -o "$out/fuzz_series_fold" "$root/native/fuzz/fuzz_series_fold.cc" "$root/native/series_fold.cc" "$root/native/series_chunk.cc"
# Seed the block fuzzer with real blocks (prefix-compressed entries, restarts) when the TypeScript build exists.
mkdir -p "$out/corpus-fuzz_sstable" "$out/corpus-fuzz_crc32c" "$out/corpus-fuzz_id_table" "$out/corpus-fuzz_series_chunk" "$out/corpus-fuzz_series_encode" "$out/corpus-fuzz_series_fold"
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
# Seed the chunk decoder with real chunks of each timestamp/value codec pair. (codec.js loads the addon: the default
# build, not a sanitizer build named by TSKV_NATIVE_PATH, which would need its runtime preloaded.)
if [ -f "$root/dist/model/series/codec.js" ]; then
  env -u TSKV_NATIVE_PATH node -e '
    const { encodeChunk } = require(process.argv[1] + "/dist/model/series/codec.js");
    const fs = require("fs");
    let s = 0;
    for (const n of [1, 2, 5, 64, 65, 130]) {
      for (const jitter of [0, 7]) {
        for (const kind of ["decimal", "double", "constant", "special"]) {
          const ts = [], vals = new Float64Array(n);
          for (let i = 0, t = 1700000000000; i < n; i++, t += 10000 + (i % 3) * jitter) ts.push(t);
          for (let i = 0; i < n; i++) vals[i] = kind === "decimal" ? Math.round(200 + 50 * Math.sin(i)) / 10 :
            kind === "double" ? Math.sin(i) * 1e3 : kind === "constant" ? 1 : [NaN, -0, Infinity, 5e-324][i % 4];
          fs.writeFileSync(process.argv[2] + "/seed" + s++, encodeChunk(ts, vals));
        }
      }
    }' "$root" "$out/corpus-fuzz_series_chunk" || echo "fuzz:native: fuzz_series_chunk starts without seeds"
fi
status=0
for t in ${FUZZ_TARGETS:-fuzz_sstable fuzz_crc32c fuzz_id_table fuzz_series_chunk fuzz_series_encode fuzz_series_fold}; do
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

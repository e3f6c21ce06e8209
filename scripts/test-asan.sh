#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer in a staging copy (so build/ stays as it is)
# and runs the test suite against that build.  Usage: npm run test:asan [-- jest args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/tskv-asan-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/package.json" "$stage/"
ln -s "$root/node_modules" "$stage/node_modules"
(cd "$stage" && "$root/node_modules/.bin/node-gyp" rebuild --tskv_sanitize=true >/dev/null)
asan="$(${CXX:-g++} -print-file-name=libasan.so)"
ubsan="$(${CXX:-g++} -print-file-name=libubsan.so)"
if [ ! -f "$asan" ]; then
  echo "test:asan: libasan.so not found next to ${CXX:-g++}" >&2
  exit 1
fi
cd "$root"
npm run build:ts >/dev/null
# Node itself is not instrumented: leaks of the runtime are not ours, so leak detection stays off here.
export TSKV_NATIVE_PATH="$stage/build/Release/tskv.node"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
LD_PRELOAD="$asan $ubsan" node "$root/scripts/jest.js" "$@"

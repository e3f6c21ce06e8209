#!/usr/bin/env bash
# Whole-series TS.RANGE (RESP2) measured by the server's own CPU time, which a shared, noisy machine disturbs far
# less than wall time: S series × P gauge points loaded and compacted, then every series read ROUNDS times (default 5:
# a single pass of ~1 s is mostly the JIT warming up) through `redis-cli --pipe` (a C client). Prints points per
# server CPU-second and points per wall second. PIN_SERVER / PIN_CLIENT prefix the two commands, e.g.
# PIN_SERVER="taskset -c 0" PIN_CLIENT="taskset -c 1" for one CPU each.
#   bash bench/scripts/range-cpu.sh [S] [P]        (defaults: 200 series × 20000 points)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/scripts/lib.sh
S=${1:-200}
P=${2:-20000}
command -v redis-cli >/dev/null || { echo "needs redis-cli (apt-get install -y redis-tools)"; exit 1; }
[ -f dist/cli/tskv-server.js ] || npm run build:ts >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-range-cpu-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))
${PIN_SERVER:-} node dist/cli/tskv-server.js --port $PORT --dir "$WORK/data" --log-level warn >/dev/null 2>&1 &
SERVER=$!
for _ in $(seq 150); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
gauge_series_resp "$S" "$P" | redis-cli -p $PORT --pipe >/dev/null
redis-cli -p $PORT TSKV.COMPACT >/dev/null
node -e 'const S = +process.argv[1]; for (let r = 0; r < +process.argv[2]; r++) for (let s = 0; s < S; s++) process.stdout.write(`*4\r\n$8\r\nTS.RANGE\r\n$${`g:${s}`.length}\r\ng:${s}\r\n$1\r\n-\r\n$1\r\n+\r\n`);' "$S" "${ROUNDS:-5}" >"$WORK/ranges"
ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
HZ=$(getconf CLK_TCK)
t0=$(ticks); w0=$(date +%s%N)
${PIN_CLIENT:-} redis-cli -p $PORT --pipe <"$WORK/ranges" >"$WORK/pipe.out" || { cat "$WORK/pipe.out"; }
t1=$(ticks); w1=$(date +%s%N)
redis-cli -p $PORT shutdown >/dev/null 2>&1 || true
wait $SERVER 2>/dev/null || true
node -e '
const [pts, ticks, hz, ns] = process.argv.slice(1).map(Number);
console.log(`${pts} points: ${(pts / (ticks / hz) / 1e6).toFixed(2)} M points per server CPU-second, ${(pts / (ns / 1e9) / 1e6).toFixed(2)} M points/s wall`);' \
  $((${ROUNDS:-5} * S * P)) $((t1 - t0)) "$HZ" $((w1 - w0))

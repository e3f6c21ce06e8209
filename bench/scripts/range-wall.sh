#!/usr/bin/env bash
# Whole-series TS.RANGE by wall clock with redis-benchmark as the client (C, hiredis; it reads every reply but keeps
# no objects, so it outpaces redis-cli --pipe, which became the bottleneck of range-cpu.sh on 2000-point series).
# Loads issue #5's gauge data set — S series × P points 10 s apart, a random walk in steps of 0.1 — under the names
# g:000000000000 … (the 12-digit form of redis-benchmark's __rand_int__), runs TSKV.COMPACT, then
# `redis-benchmark -r S -c C TS.RANGE g:__rand_int__ - +`: every request reads one whole random series.
# Server pinned to CPU 0, client to CPU 1; one untimed pass first. Prints requests/s and points/s (requests/s × P)
# for 4, 8 and 16 clients.
#   bash bench/scripts/range-wall.sh [S] [P] [REQUESTS]      (defaults: 1000 series × 2000 points, 20000 requests)
# Needs redis-cli, redis-benchmark, taskset (apt-get install -y redis-tools util-linux).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/scripts/lib.sh
S=${1:-1000}
P=${2:-2000}
N=${3:-20000}
for tool in redis-cli redis-benchmark taskset; do command -v $tool >/dev/null || { echo "needs $tool"; exit 1; }; done
[ -f dist/cli/tskv-server.js ] || npm run build:ts >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-range-wall-XXXXXX")
PORT=$((20000 + RANDOM % 20000))
trap 'redis-cli -p $PORT shutdown >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
taskset -c 0 node dist/cli/tskv-server.js --port $PORT --dir "$WORK/data" --log-level warn >/dev/null 2>&1 &
for _ in $(seq 150); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
PADDED=1 gauge_series_resp "$S" "$P" | redis-cli -p $PORT --pipe >/dev/null
redis-cli -p $PORT TSKV.COMPACT >/dev/null
lines=$(redis-cli -p $PORT TS.RANGE g:000000000007 - + | wc -l)
[ "$lines" -eq $((2 * P)) ] || { echo "TS.RANGE g:000000000007 gave $lines lines, expected $((2 * P))"; exit 1; }
# One untimed pass first: the range path's JIT warm-up is not what a long-running server answers at.
taskset -c 1 redis-benchmark -p $PORT -c 4 -n "$S" -r "$S" -q TS.RANGE 'g:__rand_int__' - + >/dev/null 2>&1
for c in 4 8 16; do
  rps=$(taskset -c 1 redis-benchmark -p $PORT -c $c -n "$N" -r "$S" -q TS.RANGE 'g:__rand_int__' - + 2>&1 | tr '\r' '\n' | grep -oE ': [0-9.]+ requests' | grep -oE '[0-9.]+' | head -1)
  echo "clients $c: $rps TS.RANGE/s × $P points = $(echo "$rps * $P / 1000000" | bc -l | cut -c1-4) M points/s"
done

#!/usr/bin/env bash
# GET latency while full compactions run back to back, beside the same GETs on an idle server: the server (and so
# its compaction thread) pinned to CPU 0, redis-benchmark on CPU 1, for each --background-nice given.
#   bash bench/scripts/compaction-latency.sh [KEYS] [NICE ...]      (defaults: 500000 keys; nice 0 and 10)
# Prints redis-benchmark's latency summary in ms: avg min p50 p95 p99 max. Needs redis-benchmark, redis-cli, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/scripts/lib.sh
KEYS=${1:-500000}
shift || true
NICES=("$@")
[ ${#NICES[@]} -eq 0 ] && NICES=(0 10)
for tool in redis-benchmark redis-cli taskset; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y redis-tools util-linux)"; exit 1; }; done
[ -f dist/cli/tskv-server.js ] || npm run build:ts >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-compaction-latency-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))
serve() { taskset -c 0 node dist/cli/tskv-server.js --port $PORT --dir "$1" --log-level warn --background-nice "$2" & SERVER=$!; for _ in $(seq 50); do redis-cli -p $PORT ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server did not start"; exit 1; }
stop() { redis-cli -p $PORT shutdown >/dev/null 2>&1 || true; wait $SERVER 2>/dev/null || true; }
# The data set: KEYS × 100-byte values, compacted into tables.
serve "$WORK/base" 10
string_keys_resp "$KEYS" | redis-cli -p $PORT --pipe >/dev/null
redis-cli -p $PORT TSKV.COMPACT >/dev/null
stop
summary() { taskset -c 1 redis-benchmark -p $PORT -t get -r "$KEYS" -n 200000 -c 50 -P 1 2>&1 | tr '\r' '\n' | grep -A2 "latency summary" | tail -1; }
for nice in "${NICES[@]}"; do
  rm -rf "$WORK/run" && cp -r "$WORK/base" "$WORK/run"
  serve "$WORK/run" "$nice"
  echo "nice $nice, idle:       $(summary)"
  ( while true; do redis-cli -p $PORT TSKV.COMPACT >/dev/null 2>&1 || exit 0; done ) &
  LOOP=$!
  sleep 0.3
  echo "nice $nice, compacting: $(summary)"
  kill $LOOP 2>/dev/null || true
  stop
done

#!/usr/bin/env bash
# Before/after of TS.RANGE with AGGREGATION on two builds of the addon, alternating, in the same run (issue #19's
# figure): each round starts the server (dist/, pinned to CPU 0) on a fresh data dir once per addon, loads one series
# of 100 000 points (TS.MADD batches of 1000, 1 s apart from 1 700 000 000 000, values (random * 100).toFixed(2)),
# runs a discarded warm-up of 1000 requests, then RUNS times
#   redis-benchmark -c 10 -n REQUESTS TS.RANGE big - + AGGREGATION avg 60000   (pinned to CPU 1)
# and prints requests per second and the server's user + system CPU milliseconds per request (from /proc; on these
# shared machines the CPU time moves far less than the rate).
#   bash bench/scripts/ab-range-agg.sh OLD_ADDON NEW_ADDON [ROUNDS] [RUNS] [REQUESTS]
# An addon is a tskv.node path (run as TSKV_NATIVE_PATH) or `default` (the one dist/ loads). An addon without
# seriesChunkDecode (one built before it) makes dist/ decode chunks in TypeScript, e.g. keep a copy of the old
# build/Release/tskv.node, rebuild, then
#   bash bench/scripts/ab-range-agg.sh /tmp/old-tskv.node default 3
# Defaults: 3 rounds, 3 runs, 3000 requests. Needs redis-benchmark, redis-cli, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=${1:?old addon (a tskv.node path, or default)}
NEW=${2:?new addon (a tskv.node path, or default)}
ROUNDS=${3:-3}
RUNS=${4:-3}
N=${5:-3000}
command -v redis-benchmark >/dev/null || { echo "needs redis-benchmark (apt-get install -y redis-tools)"; exit 1; }
[ -f dist/cli/tskv-server.js ] || npm run build:ts >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-range-agg-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
node -e '
const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
process.stdout.write(enc(["TS.CREATE", "big"]));
for (let b = 0; b < 100; b++) {
  const a = ["TS.MADD"];
  for (let j = 0; j < 1000; j++) a.push("big", String(1_700_000_000_000 + (b * 1000 + j) * 1000), (Math.random() * 100).toFixed(2));
  process.stdout.write(enc(a));
}' >"$WORK/load"
HZ=$(getconf CLK_TCK)
one() {
  local label=$1 addon=$2 port=$((20000 + RANDOM % 20000))
  rm -rf "$WORK/data"
  if [ "$addon" = default ]; then
    taskset -c 0 node dist/cli/tskv-server.js --port $port --dir "$WORK/data" --log-level warn >/dev/null 2>&1 &
  else
    TSKV_NATIVE_PATH="$addon" taskset -c 0 node dist/cli/tskv-server.js --port $port --dir "$WORK/data" --log-level warn >/dev/null 2>&1 &
  fi
  local server=$!
  for _ in $(seq 150); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $port --pipe <"$WORK/load" >/dev/null
  taskset -c 1 redis-benchmark -p $port -c 10 -n 1000 -q TS.RANGE big - + AGGREGATION avg 60000 >/dev/null
  for _ in $(seq "$RUNS"); do
    local t0 t1 rps
    t0=$(awk '{print $14 + $15}' /proc/$server/stat)
    rps=$(taskset -c 1 redis-benchmark -p $port -c 10 -n "$N" -q TS.RANGE big - + AGGREGATION avg 60000 | tr '\r' '\n' |
      grep -o '[0-9.]* requests per second' | cut -d' ' -f1)
    t1=$(awk '{print $14 + $15}' /proc/$server/stat)
    echo "$label $rps req/s, $(node -e 'console.log((+process.argv[1] * 1000 / +process.argv[2] / +process.argv[3]).toFixed(3))' $((t1 - t0)) "$HZ" "$N") ms CPU/req"
  done
  redis-cli -p $port shutdown >/dev/null 2>&1 || kill $server
  wait $server 2>/dev/null || true
}
for r in $(seq "$ROUNDS"); do
  one old "$OLD"
  one new "$NEW"
done

#!/usr/bin/env bash
# Before/after of a string workload on two builds of tskv, alternating, in the same run (how this repo's speed-up
# figures are made: these machines are shared and drift, so only pairs measured side by side are compared).
# Each round starts each build's server on a fresh data dir pinned to CPU 0, loads 300 000 SETs first when the test
# is get, runs a discarded warm-up, then runs `redis-benchmark -t TEST -d 100 -r KEYS -n REQUESTS -c 50 -P PIPELINE`
# pinned to CPU 1, and prints requests per second with the server's user and system CPU microseconds per request
# (from /proc).
#   bash bench/scripts/ab-strings.sh OLD_DIST NEW_DIST [TEST] [PIPELINE] [KEYS] [REQUESTS] [ROUNDS]
# e.g. build the old commit's TypeScript into dist-old (git worktree add /tmp/wt <commit>; link node_modules into
# it; npx tsc -p tsconfig.build.json --outDir "$PWD/dist-old" from there), then
#   bash bench/scripts/ab-strings.sh dist-old dist set 16 100000 2000000 3
# Either build may be given as `redis` to measure redis-server (appendonly yes, appendfsync everysec, the peer the
# string targets are set against) in its place, e.g. bash bench/scripts/ab-strings.sh redis dist set 1 100000 600000 3
# Defaults: set, pipeline 16, 100 000 keys, 2 000 000 requests, 2 rounds. Needs redis-benchmark, redis-cli, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=${1:?old build dir (e.g. dist-old)}
NEW=${2:?new build dir (e.g. dist)}
TEST=${3:-set}
P=${4:-16}
KEYS=${5:-100000}
N=${6:-2000000}
ROUNDS=${7:-2}
for tool in redis-benchmark redis-cli taskset; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y redis-tools util-linux)"; exit 1; }; done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-ab-XXXXXX")
PORT=$((20000 + RANDOM % 20000))
SERVER=
cleanup() { redis-cli -p $PORT shutdown >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

one() {
  local dist=$1
  rm -rf "$WORK/data"
  if [ "$dist" = redis ]; then
    mkdir -p "$WORK/data"
    taskset -c 0 redis-server --port $PORT --dir "$WORK/data" --save "" --appendonly yes --appendfsync everysec \
      --daemonize no --logfile "" >/dev/null 2>&1 &
  else
    taskset -c 0 node "$dist/cli/tskv-server.js" --port $PORT --dir "$WORK/data" --log-level warn >/dev/null 2>&1 &
  fi
  SERVER=$!
  for _ in $(seq 150); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
  kill -0 $SERVER 2>/dev/null || { echo "$dist: the server did not start on port $PORT"; exit 1; }
  if [ "$TEST" = get ]; then
    taskset -c 1 redis-benchmark -p $PORT -t set -d 100 -r "$KEYS" -n 300000 -c 50 -P 16 -q >/dev/null 2>&1
  fi
  # A discarded warm-up of a tenth of the requests (at least 20 000), as bench/ does: JIT compilation is not measured.
  taskset -c 1 redis-benchmark -p $PORT -t "$TEST" -d 100 -r "$KEYS" -n $(( N / 10 > 20000 ? N / 10 : 20000 )) -c 50 -P "$P" -q >/dev/null 2>&1
  read -r u0 s0 < <(awk '{print $14, $15}' /proc/$SERVER/stat)
  local rps
  rps=$(taskset -c 1 redis-benchmark -p $PORT -t "$TEST" -d 100 -r "$KEYS" -n "$N" -c 50 -P "$P" -q 2>&1 | tr '\r' '\n' | grep -oE '[A-Z]+: [0-9.]+' | tail -1 | awk '{print $2}')
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$SERVER/stat)
  LAST_RPS=$rps
  redis-cli -p $PORT shutdown >/dev/null 2>&1 || true
  wait $SERVER 2>/dev/null || true
  node -e '
const [dist, test, p, rps, du, ds, hz, n] = process.argv.slice(1);
const us = (t) => ((Number(t) / Number(hz)) * 1e6 / Number(n)).toFixed(2);
console.log(`${dist.padEnd(12)} ${test.toUpperCase()} P${p}: ${(Number(rps) / 1000).toFixed(1)} k/s, server ${us(du)} us user + ${us(ds)} us sys per request`);' \
    "$dist" "$TEST" "$P" "$rps" $((u1 - u0)) $((s1 - s0)) "$HZ" "$N"
}

RATIOS=()
for _ in $(seq "$ROUNDS"); do
  one "$OLD"
  a=$LAST_RPS
  one "$NEW"
  RATIOS+=("$(awk -v a="$a" -v b="$LAST_RPS" 'BEGIN{printf "%.3f", b / a}')")
done
# Each round's NEW ÷ OLD (the two measured back to back), sorted, and their median: on a noisy machine the pairs say
# more than any one figure.
printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{r[NR]=$1} END{m = NR % 2 ? r[(NR+1)/2] : (r[NR/2] + r[NR/2+1]) / 2; s=""; for (i=1;i<=NR;i++) s=s" "r[i]; printf "'"$NEW"' / '"$OLD"' by round:%s; median %.3f\n", s, m}'

#!/usr/bin/env bash
# Random GETs on a data set far past the memtable, read back from SSTables after a restart, beside a redis-server
# holding the same keys in RAM (#4's measurement). Loads KEYS × 100-byte values through RESP (`redis-cli --pipe`),
# runs TSKV.COMPACT, restarts tskv, then `redis-benchmark -t get -r KEYS` at pipeline 16 and 1 against each server;
# server pinned to CPU 0, redis-benchmark to CPU 1. Also prints disk bytes against logical bytes and the read
# amplification of the P1 run (tables whose Bloom filter was probed, and how many ruled the key out, per GET, from
# INFO storage; each probe that passes costs one native search of that table's index and one data block).
#   bash bench/scripts/disk-gets.sh [KEYS] [REQUESTS]       (defaults: 3000000 keys, 1000000 requests per run)
# Needs redis-server, redis-benchmark, redis-cli, taskset (apt-get install -y redis-server redis-tools util-linux).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/scripts/lib.sh
KEYS=${1:-3000000}
REQS=${2:-1000000}
for tool in redis-server redis-benchmark redis-cli taskset; do command -v $tool >/dev/null || { echo "needs $tool"; exit 1; }; done
[ -f dist/cli/tskv-server.js ] || npm run build:ts >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-disk-gets-XXXXXX")
PORT=$((20000 + RANDOM % 20000))
RPORT=$((PORT + 1))
SERVER=
cleanup() { redis-cli -p $PORT shutdown >/dev/null 2>&1 || true; redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
waitport() { for _ in $(seq 600); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start"; exit 1; }
serve() { taskset -c 0 node dist/cli/tskv-server.js --port $PORT --dir "$WORK/tskv" --log-level warn & SERVER=$!; waitport $PORT; }
stop() { redis-cli -p $PORT shutdown >/dev/null 2>&1 || true; wait $SERVER 2>/dev/null || true; }
load() { string_keys_resp "$KEYS" | taskset -c 1 redis-cli -p "$1" --pipe >/dev/null; }
rps() { taskset -c 1 redis-benchmark -p "$1" -t get -r "$KEYS" -n "$REQS" -c 50 -P "$2" -q 2>&1 | tr '\r' '\n' | grep -oE 'GET: [0-9.]+' | awk '{print $2}'; }
stat() { redis-cli -p $PORT info storage | tr -d '\r' | awk -F: -v k="$1" '$1==k{print $2}'; }
now() { date +%s.%N; }

serve
t0=$(now); load $PORT; t1=$(now)
redis-cli -p $PORT TSKV.COMPACT >/dev/null; t2=$(now)
stop
echo "tskv load: $KEYS SETs in $(echo "$t1 - $t0" | bc | cut -c1-5) s ($(echo "$KEYS / ($t1 - $t0)" | bc) SET/s); TSKV.COMPACT $(echo "$t2 - $t1" | bc | cut -c1-5) s"
# Logical bytes: user key + value + the 9-byte META header per key (what docs/benchmarks.md calls logical).
disk=$(du -sb "$WORK/tskv" | awk '{print $1}')
logical=$((KEYS * (16 + 100 + 9)))
echo "disk after TSKV.COMPACT: $disk bytes, $(echo "scale=2; $disk / $logical" | bc)x the logical $logical"
t0=$(now); serve; t1=$(now)
echo "restart to serving: $(echo "$t1 - $t0" | bc | cut -c1-5) s"
tp16=$(rps $PORT 16)
p0=$(stat bloom_probes); n0=$(stat bloom_negatives)
tp1=$(rps $PORT 1)
p1=$(stat bloom_probes); n1=$(stat bloom_negatives)
stop
echo "read amplification (P1 run, per GET): tables probed $(echo "scale=2; ($p1 - $p0) / $REQS" | bc), ruled out by the Bloom filter $(echo "scale=3; ($n1 - $n0) / $REQS" | bc)"
taskset -c 0 redis-server --port $RPORT --save "" --appendonly no --daemonize no --logfile "" >/dev/null &
waitport $RPORT
load $RPORT
rp16=$(rps $RPORT 16)
rp1=$(rps $RPORT 1)
echo "GET P16: tskv $tp16, redis $rp16 ($(echo "scale=2; $tp16 / $rp16" | bc)x)"
echo "GET P1:  tskv $tp1, redis $rp1 ($(echo "scale=2; $tp1 / $rp1" | bc)x)"

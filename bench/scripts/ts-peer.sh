#!/usr/bin/env bash
# Time series beside RedisTimeSeries (issue #19), alone, as one table: a row per workload with RedisTimeSeries's
# figure, each tskv build's, and each build ÷ RedisTimeSeries (and, given two builds, the second ÷ the first). It is
# the harness's tspeer suite (bench/suites/ts-peer.ts says what each row does): redis-server with the module and
# `appendonly yes, appendfsync everysec` beside tskv on its defaults, the same data loaded into each, servers on
# CPU 0 and redis-benchmark / redis-cli --pipe on CPU 1; every workload runs on each system back to back. At the end
# it says whether the systems' replies to a few TS.RANGE/MRANGE/MGET on that data are the same.
#   TSKV_BENCH_RTS_MODULE=/path/to/redistimeseries.so bash bench/scripts/ts-peer.sh [BUILD ...]
#   bash bench/scripts/ts-peer.sh --rts-module /path/to/redistimeseries.so [BUILD ...]
# BUILD: tskv build directories holding cli/tskv-server.js, default dist. Before/after of a change to the series
# engine in one run: build the old commit's TypeScript into dist-old (git worktree add /tmp/wt <commit>; ln -s
# "$PWD/node_modules" /tmp/wt/; (cd /tmp/wt && npx tsc -p tsconfig.build.json --outDir "$OLDPWD/dist-old")), and when
# the change touches native/, copy that commit's build/Release/tskv.node into dist-old/ (a build's own tskv.node is
# loaded when there is one), then
#   bash bench/scripts/ts-peer.sh dist-old dist
# Quick by default (a few minutes: 1.5 s runs, 1 000 and 100 000 series). Environment: FULL=1 for the full set
# (5 s runs, 3 repeats, 1 000 000 series too; much longer), REPEATS=n, ONLY=TS.ADD,TS.GET,... for some rows only (by
# a row's first word: TS.ADD TS.MADD TS.GET TS.RANGE TS.MRANGE TS.MGET ingest storage RSS).
# Without a module it measures tskv alone and says so. Needs redis-server, redis-benchmark, redis-cli, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
RTS=${TSKV_BENCH_RTS_MODULE:-}
BUILDS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rts-module) RTS=${2:?--rts-module needs a path}; shift 2 ;;
    --rts-module=*) RTS=${1#*=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) BUILDS+=("$1"); shift ;;
  esac
done
[ ${#BUILDS[@]} -gt 0 ] || BUILDS=(dist)
for tool in redis-server redis-benchmark redis-cli taskset; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y redis-server redis-tools util-linux)"; exit 1; }; done
for b in "${BUILDS[@]}"; do
  [ -f "$b/cli/tskv-server.js" ] || { echo "$b/cli/tskv-server.js missing (npm run build:ts for dist; see the top of $0 for an older build)"; exit 1; }
done
if [ -n "$RTS" ] && [ ! -f "$RTS" ]; then echo "RedisTimeSeries module $RTS not found"; exit 1; fi
# The harness itself, rebuilt when bench/ changed since it was built.
if [ ! -f dist-bench/bench/run.js ] || [ -n "$(find bench -name '*.ts' -newer dist-bench/bench/run.js | head -1)" ]; then
  npm run build:bench >/dev/null
fi
ARGS=(--suite tspeer --table wide --tskv "$(IFS=,; echo "${BUILDS[*]}")")
[ "${FULL:-0}" = 1 ] || ARGS+=(--quick)
[ -z "${REPEATS:-}" ] || ARGS+=(--repeats "$REPEATS")
[ -z "${ONLY:-}" ] || ARGS+=(--only "$ONLY")
[ -z "$RTS" ] || ARGS+=(--rts-module "$RTS")
exec node dist-bench/bench/run.js "${ARGS[@]}"

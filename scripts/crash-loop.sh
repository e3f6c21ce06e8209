#!/usr/bin/env bash
# Long crash loops: ROUNDS=1000 bash scripts/crash-loop.sh
# kill -9 under --wal-sync always with a small memtable (kills land in flushes, compactions and manifest installs),
# restart, verify every acknowledged write: strings (SET/MSET) and series (TS.MADD), then tskv-check on the result.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:ts >/dev/null
export ROUNDS="${ROUNDS:-1000}"
node scripts/jest.js test/server/crash-loop.test.ts test/server/timeseries-crash.test.ts --testTimeout=0

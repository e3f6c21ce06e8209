#!/usr/bin/env bash
# Long crash loop: ROUNDS=1000 bash scripts/crash-loop.sh  (kill -9 under --wal-sync always, verify every ack).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:ts >/dev/null
ROUNDS="${ROUNDS:-1000}" exec node scripts/jest.js test/server/crash-loop.test.ts --testTimeout=0

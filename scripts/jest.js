#!/usr/bin/env node
// Runs jest; when TSKV_JEST_JSON names a file, jest also writes its JSON result there (read by .ci/run).
const { spawnSync } = require("node:child_process");
const args = [require.resolve("jest/bin/jest"), ...process.argv.slice(2)];
if (process.env.TSKV_JEST_JSON) args.push("--json", "--outputFile", process.env.TSKV_JEST_JSON);
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(r.status === null ? 1 : r.status);

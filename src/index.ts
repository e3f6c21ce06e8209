// The embedded API: the same engine the server uses, in-process. See docs/embedded.md.
export { open, Engine } from "./engine/engine";
export type { OpenOptions } from "./engine/engine";
export type { BatchOp, EngineApi, EngineOptions, RangeOptions, Snapshot, WalSync } from "./engine/types";
export { TskvError, isCorruption } from "./engine/errors";
export { TskvServer, startServer } from "./server/server";
export { VERSION } from "./version";

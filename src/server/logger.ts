// Structured logs (pino, JSON lines on stderr). Levels: fatal, error, warn, info, debug, trace, silent.
import pino from "pino";
import type { EngineLogger } from "../engine/types";

export type Logger = pino.Logger;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: "tskv" } }, pino.destination({ fd: 2, sync: true }));
}

/** Adapts a pino logger to the engine's small logging interface. */
export function engineLogger(log: Logger): EngineLogger {
  return {
    info: (msg, fields) => log.info(fields ?? {}, msg),
    warn: (msg, fields) => log.warn(fields ?? {}, msg),
    error: (msg, fields) => log.error(fields ?? {}, msg),
  };
}

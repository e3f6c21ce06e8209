// One table maps error codes to the RESP error replies clients see; docs/errors.md lists the same codes
// (test/server/errors-doc.test.ts keeps the two in step).

/** Thrown by a command handler to answer with exactly this error text (e.g. "ERR syntax error"). */
export class CommandError extends Error {
  constructor(readonly reply: string) {
    super(reply);
    this.name = "CommandError";
  }
}

/** Stable error codes of the engine and model layers, with the reply a client gets for each. */
export const ERROR_REPLIES: Record<string, string> = {
  TSKV_ERR_NOSPACE: "ERR disk full: tskv refuses writes until space is freed (reads still work)",
  TSKV_ERR_READONLY: "ERR tskv is read-only after a failed fsync: restart the server to recover (reads still work)",
  TSKV_ERR_IO: "ERR I/O error in the storage engine; see the server log",
  TSKV_ERR_CORRUPTION: "ERR corruption detected in a data file; see the server log (tskv-check DIR names it)",
  TSKV_ERR_STALL: "ERR writes stalled: background flushes are behind; retry shortly",
  TSKV_ERR_CLOSED: "ERR the storage engine is closed (server shutting down)",
};

/** The RESP error text (without '-') for anything a handler threw. */
export function errorReply(e: unknown): { text: string; internal: boolean } {
  if (e instanceof CommandError) return { text: e.reply, internal: false };
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && ERROR_REPLIES[code]) return { text: ERROR_REPLIES[code], internal: false };
  const msg = e instanceof Error ? e.message : String(e);
  return { text: `ERR internal error: ${msg}`, internal: true };
}

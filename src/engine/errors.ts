// One error class for every layer below the server, with a stable code (docs/errors.md lists them all).

export type TskvErrorCode =
  | "TSKV_ERR_CORRUPTION"
  | "TSKV_ERR_NOSPACE"
  | "TSKV_ERR_READONLY"
  | "TSKV_ERR_IO"
  | "TSKV_ERR_LOCKED"
  | "TSKV_ERR_CLOSED"
  | "TSKV_ERR_STALL";

export class TskvError extends Error {
  constructor(
    readonly code: TskvErrorCode,
    message: string,
    /** For corruption: the file and byte offset where it was found. */
    readonly file?: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = "TskvError";
  }
}

export function isCorruption(e: unknown): e is TskvError {
  return e instanceof TskvError && e.code === "TSKV_ERR_CORRUPTION";
}

export function corruption(file: string, offset: number, what: string): TskvError {
  return new TskvError("TSKV_ERR_CORRUPTION", `corruption in ${file} at offset ${offset}: ${what}`, file, offset);
}

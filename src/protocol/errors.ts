// Protocol errors: the request bytes cannot be parsed. The server answers "-ERR <message>" and closes the
// connection, as Redis does (CLIENT_CLOSE_AFTER_REPLY).

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export const ProtocolErrors = {
  invalidMultibulkLength: "Protocol error: invalid multibulk length",
  invalidBulkLength: "Protocol error: invalid bulk length",
  unauthenticatedMultibulkLength: "Protocol error: unauthenticated multibulk length",
  unauthenticatedBulkLength: "Protocol error: unauthenticated bulk length",
  unbalancedQuotes: "Protocol error: unbalanced quotes in request",
  tooBigInline: "Protocol error: too big inline request",
  tooBigMbulkCount: "Protocol error: too big mbulk count string",
  tooBigBulkCount: "Protocol error: too big bulk count string",
  expectedDollar: (got: number) => `Protocol error: expected '$', got '${String.fromCharCode(got)}'`,
} as const;

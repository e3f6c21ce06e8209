// What a command handler writes its reply through. The encoder (src/protocol/encoder.ts) implements it for RESP2
// and RESP3; where RESP2 has no such type, it writes Redis's downgrade (noted per method).

export type Protocol = 2 | 3;

export interface ReplyWriter {
  readonly proto: Protocol;
  /** +OK style. `s` must not contain CR or LF. */
  simple(s: string): void;
  /** -ERR style; `message` is the whole text after '-', e.g. "ERR syntax error" or "WRONGTYPE Operation ...". */
  error(message: string): void;
  integer(n: number | bigint): void;
  bulk(b: Buffer | string): void;
  /** RESP2 $-1, RESP3 _ */
  nullBulk(): void;
  /** RESP2 *-1, RESP3 _ */
  nullArray(): void;
  arrayHeader(n: number): void;
  /** RESP3 %n; RESP2 *2n (flat key, value, …). */
  mapHeader(n: number): void;
  /** RESP3 ~n; RESP2 *n. */
  setHeader(n: number): void;
  /** RESP3 >n; RESP2 *n. */
  pushHeader(n: number): void;
  /** RESP3 ,d (inf, -inf, nan); RESP2 a bulk string with Redis's formatting. */
  double(d: number): void;
  /** RESP3 #t/#f; RESP2 :1/:0. */
  boolean(b: boolean): void;
  /** RESP3 =len\r\ntxt:..., RESP2 bulk string. `format` is three characters, e.g. "txt". */
  verbatim(format: string, text: string | Buffer): void;
  /** RESP3 (n; RESP2 bulk string. */
  bigNumber(digits: string): void;
  /** Already encoded bytes, written as they are. */
  raw(b: Buffer): void;
}

export { RespDecoder, parseInteger, splitInlineArgs } from "./decoder";
export type { DecoderLimits } from "./decoder";
export { RespWriter, encodeCommand, formatDouble17g, formatG } from "./encoder";
export { ProtocolError, ProtocolErrors } from "./errors";
export type { Protocol, ReplyWriter } from "./reply";

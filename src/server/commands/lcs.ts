// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence of two strings by
// Redis 7.0's dynamic programme (t_string.c lcsCommand()), its table, its walk back and its ranges, byte for byte.
import { TypeTag } from "../../model/keys";
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { command, intArg, keyspace, lower, SYNTAX_ERROR } from "./util";

const EMPTY = Buffer.alloc(0);

function lcs(ctx: CommandContext, args: Buffer[]): void {
  const ks = keyspace(ctx);
  const ma = ks.lookupRead(args[1]);
  const mb = ks.lookupRead(args[2]);
  if ((ma && ma.type !== TypeTag.STRING) || (mb && mb.type !== TypeTag.STRING)) {
    throw new CommandError("ERR The specified keys must contain string values");
  }
  const a = ma ? ma.payload : EMPTY;
  const b = mb ? mb.payload : EMPTY;
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = lower(args[j]);
    if (opt === "idx") getidx = true;
    else if (opt === "len") getlen = true;
    else if (opt === "withmatchlen") withmatchlen = true;
    else if (opt === "minmatchlen" && j + 1 < args.length) {
      minmatchlen = Math.max(0, intArg(args[++j]));
    } else throw new CommandError(SYNTAX_ERROR);
  }
  if (getidx && getlen) throw new CommandError("ERR If you want both the length and indexes, please just use IDX.");
  const alen = a.length;
  const blen = b.length;
  // The table is (alen+1) x (blen+1) 32-bit lengths; Redis refuses one larger than proto-max-bulk-len.
  if ((alen + 1) * (blen + 1) * 4 > ctx.server.config.protoMaxBulkLen) {
    throw new CommandError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  const w = blen + 1;
  const dp = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) dp[i * w + j] = dp[(i - 1) * w + j - 1] + 1;
      else {
        const l1 = dp[(i - 1) * w + j];
        const l2 = dp[i * w + j - 1];
        dp[i * w + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = dp[alen * w + blen];
  let idx = total;
  const computelcs = getidx || !getlen;
  const result = computelcs ? Buffer.allocUnsafe(idx) : EMPTY;
  // The walk back from the table's corner, collecting the matching ranges as Redis emits them.
  const ranges: Array<[number, number, number, number, number]> = [];
  let arangeStart = alen; // alen: no range open
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  let i = alen;
  let j = blen;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (arangeStart === alen) {
        arangeStart = arangeEnd = i - 1;
        brangeStart = brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        arangeStart--;
        brangeStart--;
      } else {
        emit = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = dp[(i - 1) * w + j];
      const l2 = dp[i * w + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (arangeStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = arangeEnd - arangeStart + 1;
      if (minmatchlen === 0 || matchLen >= minmatchlen) ranges.push([arangeStart, arangeEnd, brangeStart, brangeEnd, matchLen]);
      arangeStart = alen;
    }
  }
  const r = ctx.reply;
  if (getidx) {
    r.mapHeader(2);
    r.bulk("matches");
    r.arrayHeader(ranges.length);
    for (const [as, ae, bs, be, len] of ranges) {
      r.arrayHeader(withmatchlen ? 3 : 2);
      r.arrayHeader(2);
      r.integer(as);
      r.integer(ae);
      r.arrayHeader(2);
      r.integer(bs);
      r.integer(be);
      if (withmatchlen) r.integer(len);
    }
    r.bulk("len");
    r.integer(total);
  } else if (getlen) {
    r.integer(idx);
  } else {
    r.bulk(result);
  }
}

export const lcsCommands: CommandSpec[] = [
  command("lcs", -3, ["readonly"], [1, 2, 1], "string", "7.0.0", "Finds the longest common substring.", lcs),
];

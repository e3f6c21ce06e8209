// Label filters of TS.MRANGE / TS.MREVRANGE / TS.MGET / TS.QUERYINDEX (FILTER filterExpr...), as RedisTimeSeries
// parses them (src/query_language.c parseLabelListFromArgs, src/indexer.c parsePredicate):
//
//   label=value          the series has `label` equal to `value`
//   label!=value         the series has no `label` equal to `value` (series without the label match)
//   label=               the series has no `label`
//   label!=              the series has `label`
//   label=(v1,v2,...)    the series has `label` equal to one of the values; `label=()` matches nothing
//   label!=(v1,v2,...)   the series has no `label` equal to any of the values; `label!=()` matches everything
//
// Label values are never empty in RedisTimeSeries (TS.CREATE refuses them), so "no label" and "label = ''" are the
// same thing here: `label=` is { op: "eq", values: [""] } and `label!=` is { op: "neq", values: [""] }.
//
// The label is everything before the first '=' (less a '!' right before it), the value everything after it.
// RedisTimeSeries splits with strtok() instead, which makes "=v" mean "v=" and "a=b=c" mean "a=b"; tskv rejects
// an empty label and keeps '=' inside values. A list must end with ')' and hold no empty element. Whitespace is
// kept as given (clients such as redis-cli strip the quotes of `x="y y"` before sending).

import { CommandError } from "../../server/errors";

export type Matcher = { label: string; op: "eq" | "neq"; values: string[] };

export const ERR_FILTER_SYNTAX = "ERR TSDB: failed parsing labels";
export const ERR_FILTER_NO_MATCHER = "ERR TSDB: please provide at least one matcher";

/**
 * Parses FILTER arguments. Throws CommandError with RedisTimeSeries's reply when an expression is malformed, or
 * when no expression is positive (`l=v` or `l=(...)`), since such a query would have to scan every series.
 */
export function parseFilters(args: string[]): Matcher[] {
  const matchers = args.map(parseMatcher);
  if (!matchers.some(isPositive)) throw new CommandError(ERR_FILTER_NO_MATCHER);
  return matchers;
}

function parseMatcher(expr: string): Matcher {
  const eq = expr.indexOf("=");
  if (eq < 0) throw new CommandError(ERR_FILTER_SYNTAX);
  const neq = eq > 0 && expr[eq - 1] === "!";
  const label = expr.slice(0, neq ? eq - 1 : eq);
  if (label === "") throw new CommandError(ERR_FILTER_SYNTAX);
  const op = neq ? "neq" : "eq";
  const rest = expr.slice(eq + 1);
  if (!rest.startsWith("(")) return { label, op, values: [rest] };
  if (!rest.endsWith(")") || rest.length < 2) throw new CommandError(ERR_FILTER_SYNTAX);
  const inner = rest.slice(1, -1);
  if (inner === "") return { label, op, values: [] };
  const values = inner.split(",");
  if (values.some((v) => v === "")) throw new CommandError(ERR_FILTER_SYNTAX);
  return { label, op, values };
}

/** `l=v` or `l=(...)`: a matcher the label index can answer by itself (`l=` is not one). */
export function isPositive(m: Matcher): boolean {
  return m.op === "eq" && !(m.values.length === 1 && m.values[0] === "");
}

/** True when a series with these labels (a header's list: the last pair of a name counts) matches every matcher. */
export function matchesAll(labels: ReadonlyArray<readonly [string, string]>, matchers: Matcher[]): boolean {
  for (const m of matchers) {
    let value = "";
    for (let i = labels.length - 1; i >= 0; i--) {
      if (labels[i][0] === m.label) {
        value = labels[i][1];
        break;
      }
    }
    if (m.values.includes(value) !== (m.op === "eq")) return false;
  }
  return true;
}

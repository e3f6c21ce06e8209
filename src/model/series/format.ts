// How RedisTimeSeries 1.12 prints a sample value in RESP2 (a simple string from its dragonbox_double_to_chars):
// the shortest digits that read back as the same double; plain decimal notation when the value has an integer
// part and is below 2^52 (e.g. "26", "25.5", "-3.75"), otherwise scientific with a capital E and no '+'
// (e.g. "5E-1" for 0.5, "1.7976931348623157E308"). Zero prints as "0" or "-0"; ±Infinity as "Infinity" /
// "-Infinity"; NaN as "NaN".

const PLAIN_LIMIT = 2 ** 52;

export function formatSampleValue(v: number): string {
  const a = v < 0 ? -v : v;
  if (a >= 1 && a < PLAIN_LIMIT) return Number.isInteger(a) ? String(v) : (shortDecimal(v, a) ?? String(v));
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (v !== v) return "NaN";
  if (a === Infinity) return v > 0 ? "Infinity" : "-Infinity";
  // toExponential() without digits gives the shortest round-trip digits: "5e-1", "1.5e+20".
  const e = v.toExponential();
  const at = e.indexOf("e");
  const exp = e.slice(at + 1);
  return e.slice(0, at) + "E" + (exp[0] === "+" ? exp.slice(1) : exp);
}

/**
 * The digits of a value of at least 1 with up to 6 decimals and 15 significant digits (gauges, prices,
 * temperatures) from an integer, which Number's toString writes far faster than a fraction: v is m / 10^d for the
 * smallest such d. The division is correctly rounded, so equality means the decimal reads back as v, and below
 * 10^15 no other decimal of as few digits does, so these are String(v)'s digits. Undefined when v is not such a value.
 */
function shortDecimal(v: number, a: number): string | undefined {
  if (a >= 1e15) return undefined;
  let scale = 10;
  for (let d = 1; d <= 6; d++, scale *= 10) {
    const m = Math.round(a * scale);
    if (m >= 1e15) return undefined;
    if (m / scale !== a) continue;
    const digits = String(m);
    const at = digits.length - d;
    return (v < 0 ? "-" : "") + digits.slice(0, at) + "." + digits.slice(at);
  }
  return undefined;
}

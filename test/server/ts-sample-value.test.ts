// TS.ADD's value parser: its exact fast path (short decimals as integer / power of ten) must give what the text's
// Number() gives, digit for digit, and the general path the rest.
import fc from "fast-check";
import { sampleValue } from "../../src/server/commands/timeseries";

const ref = (s: string): number | null => {
  const m = /^-?(0|[1-9]\d*)(\.\d*)?([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : null;
};

describe("TS.ADD sample values", () => {
  it("decimals of up to 15 digits parse exactly as Number()", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,14})$/), fc.stringMatching(/^[0-9]{0,10}$/), (neg, int, frac) => {
        const s = `${neg ? "-" : ""}${int}${frac.length > 0 ? "." + frac : ""}`;
        expect(Object.is(sampleValue(Buffer.from(s)), ref(s))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("long mantissas, exponents, trailing text and junk as before", () => {
    for (const s of ["42.5", "-0", "0.1", "123456789012345678", "1.7976931348623157e308", "1e-5", "3.14abc", "1.", "-0.000", "9007199254740993", "0.30000000000000004"]) {
      expect(Object.is(sampleValue(Buffer.from(s)), ref(s))).toBe(true);
    }
    for (const s of ["", "-", "abc", "01", ".5", "1e", "+1"]) expect(sampleValue(Buffer.from(s))).toBeNull();
  });
});

import fc from "fast-check";
import { LogLinearHistogram } from "../../src/metrics/registry";

describe("LogLinearHistogram", () => {
  it("reports percentiles within 1.6 % of the exact value", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: 300 }), fc.constantFrom(50, 90, 99, 99.9, 100), (values, p) => {
        const h = new LogLinearHistogram();
        for (const v of values) h.recordValue(v);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
        const got = h.getValueAtPercentile(p);
        expect(got).toBeGreaterThanOrEqual(exact);
        expect(got).toBeLessThanOrEqual(exact * 1.016 + 1);
        expect(h.countAtOrBelow(2 ** 41)).toBe(values.length);
      }),
      { numRuns: 300 },
    );
  });

  it("maps every value to a bucket whose bounds contain it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 44 }), (v) => {
        const i = LogLinearHistogram.indexOf(v);
        expect(LogLinearHistogram.upperOf(i)).toBeGreaterThanOrEqual(v);
        if (i > 0) expect(LogLinearHistogram.upperOf(i - 1)).toBeLessThan(v);
      }),
    );
  });
});

it("places every value in the bucket of its power of two and its top six bits", () => {
  // The reference: exponent e with 2^e <= v < 2^(e+1), then the 64 sub-buckets of that power of two.
  const reference = (v: number): number => {
    if (v < 64) return Math.floor(v);
    const e = Math.floor(Math.log2(v));
    if (e > 44) return (44 - 6 + 1) * 64 + 63;
    const shift = e - 6;
    return (shift + 1) * 64 + (Math.floor(v / 2 ** shift) - 64);
  };
  const values = [0, 1, 63, 64, 65, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 44, 2 ** 45, 2 ** 50];
  for (let e = 6; e < 48; e++) values.push(2 ** e - 1, 2 ** e, 2 ** e + 1, Math.floor(1.5 * 2 ** e));
  for (let i = 0; i < 5000; i++) values.push(Math.floor(Math.random() * 2 ** (Math.random() * 46)));
  for (const v of values) expect([v, LogLinearHistogram.indexOf(v)]).toEqual([v, reference(v)]);
});


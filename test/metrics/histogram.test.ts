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

// The glob matcher against a line-by-line port of Redis 7.0's stringmatchlen() (util.c): the same answer for every
// pattern and subject, in time O(pattern × subject).
import fc from "fast-check";
import { Glob, globMatch } from "../../src/model/glob";

/**
 * Redis's recursive matcher as util.c writes it (without its skipLongerMatches shortcut, which changes only the
 * time taken): exponential on some patterns, so only for short ones. Reads past the pattern's end see C's NUL;
 * bytes are C's signed char where util.c compares them as ints.
 */
function reference(pattern: Uint8Array, subject: Uint8Array, nocase: boolean): boolean {
  const at = (i: number): number => (i < pattern.length ? pattern[i] : 0);
  const signed = (c: number): number => (c << 24) >> 24;
  const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
  const impl = (pi: number, plen: number, si: number, slen: number, nesting: number): boolean => {
    if (nesting > 1000) return false;
    while (plen && slen) {
      switch (at(pi)) {
        case 0x2a: // *
          while (plen && at(pi + 1) === 0x2a) {
            pi++;
            plen--;
          }
          if (plen === 1) return true;
          while (slen) {
            if (impl(pi + 1, plen - 1, si, slen, nesting + 1)) return true;
            si++;
            slen--;
          }
          return false;
        case 0x3f: // ?
          si++;
          slen--;
          break;
        case 0x5b: {
          // [
          pi++;
          plen--;
          const not = at(pi) === 0x5e;
          if (not) {
            pi++;
            plen--;
          }
          let match = false;
          for (;;) {
            if (at(pi) === 0x5c && plen >= 2) {
              pi++;
              plen--;
              if (at(pi) === subject[si]) match = true;
            } else if (at(pi) === 0x5d) {
              break;
            } else if (plen === 0) {
              pi--;
              plen++;
              break;
            } else if (plen >= 3 && at(pi + 1) === 0x2d) {
              let start = signed(at(pi));
              let end = signed(at(pi + 2));
              let c = signed(subject[si]);
              if (start > end) [start, end] = [end, start];
              if (nocase) {
                start = lower(start);
                end = lower(end);
                c = lower(c);
              }
              pi += 2;
              plen -= 2;
              if (c >= start && c <= end) match = true;
            } else if (nocase ? lower(at(pi)) === lower(subject[si]) : at(pi) === subject[si]) {
              match = true;
            }
            pi++;
            plen--;
          }
          if (not) match = !match;
          if (!match) return false;
          si++;
          slen--;
          break;
        }
        default:
          if (at(pi) === 0x5c && plen >= 2) {
            // \ escapes the next byte
            pi++;
            plen--;
          }
          if (nocase ? lower(at(pi)) !== lower(subject[si]) : at(pi) !== subject[si]) return false;
          si++;
          slen--;
      }
      pi++;
      plen--;
      if (slen === 0) {
        while (at(pi) === 0x2a) {
          pi++;
          plen--;
        }
        break;
      }
    }
    return plen === 0 && slen === 0;
  };
  return impl(0, pattern.length, 0, subject.length, 0);
}

const b = (s: string): Buffer => Buffer.from(s, "latin1");

describe("glob matching (Redis stringmatchlen)", () => {
  it("agrees with util.c's matcher on random short patterns and subjects", () => {
    const patternChar = fc.constantFrom(..."ab*?[]^-\\A\xe9_");
    const subjectChar = fc.constantFrom(..."abAB]^-\\*?[\xe9_c");
    fc.assert(
      fc.property(fc.array(patternChar, { maxLength: 9 }), fc.array(subjectChar, { maxLength: 7 }), fc.boolean(), (p, s, nocase) => {
        const pattern = b(p.join(""));
        const subject = b(s.join(""));
        expect(new Glob(pattern, nocase).matches(subject)).toBe(reference(pattern, subject, nocase));
      }),
      { numRuns: 20000 },
    );
  });

  it("keeps util.c's corner cases", () => {
    const cases: Array<[string, string, boolean, boolean?]> = [
      ["*", "", false], // the loop never runs on an empty subject
      ["", "", true],
      ["a*", "a", true],
      ["[a-]", "]", true], // `a-]` is a range, and the class runs on to the end
      ["[a-]", "-", false],
      ["[a-]", "_", true],
      ["[ab", "b", true], // left open: closed at the end
      ["[^", "x", true],
      ["[", "[", false],
      ["[]]", "]", false], // `[]` is empty, then a literal `]`
      ["[^]", "x", true],
      ["\\", "\\", true], // a lone trailing backslash is a literal
      ["[\\]]", "]", true],
      ["[\\", "\\", true],
      ["[a-\xe9]", "0", true], // ranges compare signed chars: 0xe9 is -23, below '0'
      ["[a-\xe9]", "b", false],
      ["[A-Z]", "q", true, true],
      ["[\\A]", "a", false, true], // an escape inside a class ignores nocase
      ["\\A", "a", true, true], // outside one it does not
      ["H\xc9", "h\xe9", false, true], // only ASCII folds
    ];
    for (const [p, s, want, nocase] of cases) {
      expect([p, s, new Glob(b(p), !!nocase).matches(b(s))]).toEqual([p, s, want]);
      expect(reference(b(p), b(s), !!nocase)).toBe(want);
    }
    expect(globMatch("MaxClients", "maxclients", true)).toBe(true);
  });

  it("matches nothing past 1000 stars with more pattern after them, as util.c's nesting limit", () => {
    const subject = b("a".repeat(1100));
    expect(new Glob("a*".repeat(1000) + "a").matches(subject)).toBe(true);
    expect(new Glob("a*".repeat(1001) + "a").matches(subject)).toBe(false);
    expect(new Glob("a*".repeat(1001)).matches(subject)).toBe(true); // the last star is at the end
  });

  it("takes time polynomial in pattern and subject on the patterns that made util.c's old matcher exponential", () => {
    const started = Date.now();
    expect(new Glob("a*".repeat(20) + "b").matches(b("a".repeat(40)))).toBe(false);
    expect(new Glob("*a".repeat(500) + "*b").matches(b("a".repeat(5000)))).toBe(false);
    expect(new Glob("?*".repeat(300) + "[b]").matches(b("a".repeat(5000)))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

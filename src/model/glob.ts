// Glob matching with Redis 7.0's stringmatchlen() rules, in time O(pattern × subject) and without recursion.
//
// The dialect, byte for byte as util.c reads it (binary safe; strings are taken as latin1):
//   *        any run of bytes (runs of stars are one star)
//   ?        any one byte
//   [abc]    one of the bytes; [^abc] none of them; [] matches nothing, [^] any byte
//   [a-z]    a range, ends swapped when reversed; `a-` followed by any byte is a range, so in `[a-]` the `]` is
//            the range's end and the class goes on to the next `]` or the pattern's end
//   \x       the byte x (also inside a class); a lone trailing `\` is a literal backslash
//   [abc     a class left open at the pattern's end is closed there: `[ab` matches a or b, `[^` any byte
// nocase folds ASCII A-Z only (C's tolower) for literals, classes and ranges, but not for a `\x` inside a class
// (util.c compares those bytes as they are). Ranges compare bytes as C's signed char: a byte ≥ 0x80 is below
// every ASCII byte there. Two outcomes of util.c's recursion are kept too: an empty subject matches only the empty
// pattern (its loop never runs: `*` does not match ""; KEYS and SCAN treat a bare `*` as every key before asking),
// and a pattern with more than 1000 stars followed by something else matches nothing (its nesting limit).
//
// Every token but `*` consumes exactly one byte, so only the last star seen needs backtracking: on a mismatch the
// last star takes one more byte and matching resumes after it (an earlier star taking more could only move the
// rest further right, which the last star's retries already cover). Each retry walks at most the pattern, and there
// are at most as many retries as subject bytes.

const STAR = 0;
const ANY = 1;
const LITERAL = 2;
const CLASS = 3;

/** util.c's `if (nesting > 1000) return 0`: the 1001st star with more pattern after it never matches. */
const MAX_NESTED_STARS = 1000;

/** A pattern parsed once into tokens, to match many subjects (KEYS, SCAN MATCH). */
export class Glob {
  /** Token kinds; for LITERAL the byte in `arg` (folded under nocase), for CLASS the index of its 256-bit set. */
  private readonly kind: Uint8Array;
  private readonly arg: Int32Array;
  private readonly sets: Uint32Array;
  private readonly n: number;
  /** Pattern bytes (0 = the empty pattern, which matches only the empty subject). */
  private readonly patternLength: number;
  private readonly nothing: boolean;

  constructor(pattern: Uint8Array | string, readonly nocase = false) {
    const p = typeof pattern === "string" ? Buffer.from(pattern, "latin1") : pattern;
    this.patternLength = p.length;
    const kind = new Uint8Array(p.length);
    const arg = new Int32Array(p.length);
    const sets: number[] = [];
    let n = 0;
    let stars = 0;
    let i = 0;
    while (i < p.length) {
      const c = p[i];
      if (c === 0x2a /* * */) {
        while (i < p.length && p[i] === 0x2a) i++;
        if (i < p.length) stars++;
        kind[n++] = STAR;
        continue;
      }
      if (c === 0x3f /* ? */) {
        kind[n++] = ANY;
        i++;
        continue;
      }
      if (c === 0x5b /* [ */) {
        kind[n] = CLASS;
        arg[n++] = sets.length / 8;
        i = parseClass(p, i + 1, nocase, sets);
        continue;
      }
      let b = c;
      if (c === 0x5c /* \ */ && i + 1 < p.length) b = p[++i];
      kind[n] = LITERAL;
      arg[n++] = nocase ? fold(b) : b;
      i++;
    }
    this.kind = kind;
    this.arg = arg;
    this.n = n;
    this.sets = Uint32Array.from(sets);
    this.nothing = stars > MAX_NESTED_STARS;
  }

  /** True when `subject` matches, as stringmatchlen(pattern, subject, nocase) answers. */
  matches(s: Uint8Array): boolean {
    const len = s.length;
    if (len === 0) return this.patternLength === 0;
    if (this.nothing) return false;
    const { kind, arg, sets, n, nocase } = this;
    let pi = 0;
    let ti = 0;
    let starPi = -1; // token after the last star seen
    let starTi = 0; // where that star's run of bytes ends now
    while (ti < len) {
      if (pi < n) {
        const k = kind[pi];
        if (k === STAR) {
          pi++;
          if (pi === n) return true;
          starPi = pi;
          starTi = ti;
          continue;
        }
        const c = s[ti];
        let ok: boolean;
        if (k === ANY) ok = true;
        else if (k === LITERAL) ok = (nocase ? fold(c) : c) === arg[pi];
        else ok = (sets[arg[pi] * 8 + (c >>> 5)] & (1 << (c & 31))) !== 0;
        if (ok) {
          pi++;
          ti++;
          continue;
        }
      }
      if (starPi < 0) return false;
      pi = starPi;
      ti = ++starTi;
    }
    while (pi < n && kind[pi] === STAR) pi++;
    return pi === n;
  }
}

/** C's tolower() in the C locale. */
function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** A byte as C's (signed) char. */
function signed(c: number): number {
  return (c << 24) >> 24;
}

/**
 * Parses the class whose `[` is just before `i`, as util.c does, and appends its set of matching bytes (8 words) to
 * `sets`. Returns the index just past the class (its `]`, or the pattern's end when it is left open).
 */
function parseClass(p: Uint8Array, i: number, nocase: boolean, sets: number[]): number {
  const set = new Uint32Array(8);
  const add = (c: number): void => {
    set[c >>> 5] |= 1 << (c & 31);
  };
  const not = p[i] === 0x5e; /* ^ */
  if (not) i++;
  for (;;) {
    const left = p.length - i;
    if (left >= 2 && p[i] === 0x5c /* \ */) {
      add(p[++i]); // compared as is, even under nocase
    } else if (left === 0) {
      break; // left open: closed at the end
    } else if (p[i] === 0x5d /* ] */) {
      i++;
      break;
    } else if (left >= 3 && p[i + 1] === 0x2d /* - */) {
      let lo = signed(p[i]);
      let hi = signed(p[i + 2]);
      if (lo > hi) [lo, hi] = [hi, lo];
      if (nocase) {
        lo = fold(lo);
        hi = fold(hi);
      }
      for (let c = 0; c < 256; c++) {
        const v = nocase ? fold(signed(c)) : signed(c);
        if (v >= lo && v <= hi) add(c);
      }
      i += 2;
    } else if (nocase) {
      const f = fold(p[i]);
      for (let c = 0; c < 256; c++) if (fold(c) === f) add(c);
    } else {
      add(p[i]);
    }
    i++;
  }
  if (not) for (let w = 0; w < 8; w++) set[w] = ~set[w];
  for (let w = 0; w < 8; w++) sets.push(set[w]);
  return i;
}

/** stringmatchlen(pattern, text, nocase) over latin1 strings (CONFIG GET, COMMAND LIST FILTERBY PATTERN). */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  return new Glob(pattern, nocase).matches(Buffer.from(text, "latin1"));
}

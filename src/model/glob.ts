// Glob matching with Redis's stringmatchlen() rules: * ? [abc] [^a] [a-z] and \ escapes; binary safe (latin1).

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const t = nocase ? text.toLowerCase() : text;
  return matchFrom(p, 0, t, 0, 0);
}

function matchFrom(p: string, pi: number, t: string, ti: number, depth: number): boolean {
  if (depth > 1000) return false; // pathological patterns: Redis limits nesting the same way
  while (pi < p.length) {
    const c = p[pi];
    if (c === "*") {
      while (p[pi + 1] === "*") pi++;
      if (pi + 1 === p.length) return true;
      for (let k = ti; k <= t.length; k++) if (matchFrom(p, pi + 1, t, k, depth + 1)) return true;
      return false;
    }
    if (ti >= t.length) return false;
    if (c === "?") {
      pi++;
      ti++;
      continue;
    }
    if (c === "[") {
      let j = pi + 1;
      const not = p[j] === "^";
      if (not) j++;
      let match = false;
      while (j < p.length && p[j] !== "]") {
        if (p[j] === "\\" && j + 1 < p.length) {
          j++;
          if (p[j] === t[ti]) match = true;
        } else if (p[j + 1] === "-" && j + 2 < p.length && p[j + 2] !== "]") {
          let lo = p[j];
          let hi = p[j + 2];
          if (lo > hi) [lo, hi] = [hi, lo];
          if (t[ti] >= lo && t[ti] <= hi) match = true;
          j += 2;
        } else if (p[j] === t[ti]) {
          match = true;
        }
        j++;
      }
      if (not) match = !match;
      if (!match) return false;
      pi = j < p.length ? j + 1 : j;
      ti++;
      continue;
    }
    if (c === "\\" && pi + 1 < p.length) pi++;
    if (p[pi] !== t[ti]) return false;
    pi++;
    ti++;
  }
  return ti === t.length;
}

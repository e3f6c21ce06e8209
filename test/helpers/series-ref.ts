// Reference computations the series tests check replies against, written plainly (no shared code with the server).

/** AGGREGATION avg `d` (ALIGN 0) over time-ordered points: [bucket start, mean] in time order. */
export function avgBuckets(pts: ReadonlyArray<readonly [number, number]>, d: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  let sum = 0;
  let n = 0;
  for (const [t, v] of pts) {
    const s = t - (t % d);
    if (s !== start && n > 0) out.push([start, sum / n]);
    if (s !== start) [start, sum, n] = [s, 0, 0];
    sum += v;
    n++;
  }
  if (n > 0) out.push([start, sum / n]);
  return out;
}

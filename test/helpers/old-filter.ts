// The Bloom filter layout tables had before the blocked one (docs/format.md, "Filter block", whole-array), built from
// the format's description so that tests can check readers still probe what older tables hold.
export function wholeArrayFilter(hashes: ArrayLike<number>, count: number, bitsPerKey: number): Buffer {
  const k = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
  const bytes = Math.ceil(Math.max(64, count * bitsPerKey) / 8);
  const nbits = bytes * 8;
  const out = Buffer.alloc(bytes + 1);
  for (let i = 0; i < count; i++) {
    let h = hashes[i] >>> 0;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const pos = h % nbits;
      out[pos >>> 3] |= 1 << (pos & 7);
      h = (h + delta) >>> 0;
    }
  }
  out[bytes] = k;
  return out;
}

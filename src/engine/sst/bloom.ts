// The table-wide Bloom filter over user keys (docs/format.md, "Filter block"):
//   bit array (m bytes) | k u8
// A key's probes are h, h+δ, h+2δ, … (mod the bit count), with h a 32-bit hash of the key and δ = h rotated right by
// 17 bits (double hashing, one hash per key). With b bits per key, k = round(b · ln 2) clamped to [1, 30] gives
// about 1% false positives at b = 10.

/** 32-bit hash of a byte string: MurmurHash3's x86_32 mixing, seed fixed (our own implementation). */
export function hash32(key: Uint8Array, start = 0, end = key.length): number {
  let h = 0x9747b28c;
  const n = end - start;
  const blocks = start + (n & ~3);
  let i = start;
  for (; i < blocks; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = n & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= key[i + 2] << 16;
    if (rest >= 2) k ^= key[i + 1] << 8;
    k ^= key[i];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function probesFor(bitsPerKey: number): number {
  return Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
}

/** Builds a filter from key hashes. */
export function buildFilter(hashes: ArrayLike<number>, count: number, bitsPerKey: number): Buffer {
  const k = probesFor(bitsPerKey);
  const bits = Math.max(64, count * bitsPerKey);
  const bytes = Math.ceil(bits / 8);
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

/** False when the key is certainly absent. A malformed filter answers true (never a false negative). */
export function mayContain(filter: Uint8Array, keyHash: number): boolean {
  if (filter.length < 2) return true;
  const bytes = filter.length - 1;
  const k = filter[bytes];
  if (k < 1 || k > 30) return true;
  const nbits = bytes * 8;
  let h = keyHash >>> 0;
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let j = 0; j < k; j++) {
    const pos = h % nbits;
    if ((filter[pos >>> 3] & (1 << (pos & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}

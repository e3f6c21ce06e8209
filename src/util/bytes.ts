// Small byte-string helpers for hot paths.

/**
 * Copies src[start, start + n) into dst at `at`: a JS loop for short strings (cheaper than the call behind
 * TypedArray#set), set() for longer ones.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start = 0, n = src.length - start): void {
  if (n <= 32) for (let i = 0; i < n; i++) dst[at + i] = src[start + i];
  else dst.set(start === 0 && n === src.length ? src : src.subarray(start, start + n), at);
}

// CRC32C helpers shared by every on-disk format (docs/format.md, "Checksums").
import { native } from "../native";

const MASK_DELTA = 0xa282ead8;

/** CRC32C (Castagnoli) of `data`, extending `init` when given. Native, hardware-accelerated where possible. */
export function crc32c(data: Uint8Array, init = 0): number {
  return native.crc32c(data, init);
}

/**
 * LevelDB's masking: a CRC stored next to the data it covers is rotated and offset, so that computing the CRC of a
 * string that itself contains embedded CRCs does not degenerate.
 */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

let table: Uint32Array | undefined;

/** Plain bytewise reference implementation; used to check the native code, never on a hot path. */
export function crc32cReference(data: Uint8Array, init = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let crc = ~init >>> 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)) >>> 0;
  return ~crc >>> 0;
}

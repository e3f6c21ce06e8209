// SSTable constants and the fixed-size pieces of the file; the whole format is drawn in docs/format.md, "SSTables".
//
//   data block 0 | … | data block n-1 | filter block | properties block | index block | footer (52 bytes)
//
// Every block is followed by a 5-byte trailer: compression u8 (0 = none) | masked CRC32C u32 LE over the block's
// bytes and the compression byte. The footer ends the file and has its own checksum, so a reader trusts nothing it
// has not verified.
import { corruption } from "../errors";
import { crc32c, maskCrc, unmaskCrc } from "../../util/crc32c";

export const TABLE_MAGIC = Buffer.from("TSKVSST\0", "latin1");
export const TABLE_FORMAT_VERSION = 1;
export const BLOCK_TRAILER = 5;
export const FOOTER_SIZE = 52;
export const COMPRESSION_NONE = 0;

/** Where a block lives: offset and size of its contents (without the trailer). */
export interface BlockHandle {
  offset: number;
  size: number;
}

export interface Footer {
  index: BlockHandle;
  filter: BlockHandle;
  props: BlockHandle;
}

export function tableName(n: number): string {
  return `${String(n).padStart(6, "0")}.sst`;
}

export function parseTableName(name: string): number | undefined {
  const m = /^(\d{6,})\.sst$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function writeU64(b: Buffer, pos: number, n: number): void {
  b.writeUInt32LE(n % 0x100000000, pos);
  b.writeUInt32LE(Math.floor(n / 0x100000000), pos + 4);
}

function readU64(b: Buffer, pos: number): number {
  return b.readUInt32LE(pos) + b.readUInt32LE(pos + 4) * 0x100000000;
}

/**
 * Footer: index offset u64 | index size u32 | filter offset u64 | filter size u32 | props offset u64 |
 * props size u32 | format version u32 | masked CRC32C of the 40 bytes before it u32 | magic 8 bytes.
 */
export function encodeFooter(f: Footer): Buffer {
  const b = Buffer.alloc(FOOTER_SIZE);
  writeU64(b, 0, f.index.offset);
  b.writeUInt32LE(f.index.size, 8);
  writeU64(b, 12, f.filter.offset);
  b.writeUInt32LE(f.filter.size, 20);
  writeU64(b, 24, f.props.offset);
  b.writeUInt32LE(f.props.size, 32);
  b.writeUInt32LE(TABLE_FORMAT_VERSION, 36);
  b.writeUInt32LE(maskCrc(crc32c(b.subarray(0, 40))), 40);
  TABLE_MAGIC.copy(b, 44);
  return b;
}

export function decodeFooter(b: Buffer, file: string, fileSize: number): Footer {
  const at = fileSize - FOOTER_SIZE;
  if (b.length !== FOOTER_SIZE) throw corruption(file, Math.max(0, at), `file too short for a footer (${fileSize} bytes)`);
  if (!b.subarray(44, 52).equals(TABLE_MAGIC)) throw corruption(file, at + 44, "bad table magic");
  if (unmaskCrc(b.readUInt32LE(40)) !== crc32c(b.subarray(0, 40))) throw corruption(file, at, "footer checksum mismatch");
  const version = b.readUInt32LE(36);
  if (version !== TABLE_FORMAT_VERSION) throw corruption(file, at + 36, `unsupported table format version ${version}`);
  const f: Footer = {
    index: { offset: readU64(b, 0), size: b.readUInt32LE(8) },
    filter: { offset: readU64(b, 12), size: b.readUInt32LE(20) },
    props: { offset: readU64(b, 24), size: b.readUInt32LE(32) },
  };
  for (const h of [f.index, f.filter, f.props]) {
    if (h.offset + h.size + BLOCK_TRAILER > at) throw corruption(file, at, "footer points past the end of the data");
  }
  return f;
}

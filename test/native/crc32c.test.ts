import fc from "fast-check";
import { crc32c, crc32cReference, maskCrc, unmaskCrc } from "../../src/util/crc32c";
import { native } from "../../src/native";

describe("crc32c", () => {
  it("matches the standard check value", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });

  // RFC 3720 appendix B.4
  it("matches the iSCSI test vectors", () => {
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    expect(crc32c(inc)).toBe(0x46dd794e);
    const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    expect(crc32c(dec)).toBe(0x113fdb5c);
    const scsiRead = Buffer.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    expect(crc32c(scsiRead)).toBe(0xd9963a56);
  });

  it("matches the reference on empty input", () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32cReference(Buffer.alloc(0))).toBe(0);
  });

  it("extends a previous crc exactly like one pass over the concatenation", () => {
    const a = Buffer.from("hello ");
    const b = Buffer.from("world");
    expect(crc32c(b, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])));
  });

  it("agrees with the TypeScript reference on random inputs, lengths and offsets", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 70000 }),
        fc.nat(64),
        fc.integer({ min: 0, max: 0xffffffff }),
        (bytes, offset, init) => {
          const view = bytes.subarray(Math.min(offset, bytes.length));
          expect(crc32c(view, init)).toBe(crc32cReference(view, init));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("covers the three-stream path boundaries", () => {
    const buf = Buffer.alloc(3 * 8192 * 2 + 3 * 256 * 3 + 13);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
    for (const len of [767, 768, 769, 24575, 24576, 24577, buf.length]) {
      expect(crc32c(buf.subarray(0, len))).toBe(crc32cReference(buf.subarray(0, len)));
    }
  });

  it("rejects arguments that are not byte arrays", () => {
    expect(() => native.crc32c("abc" as unknown as Uint8Array)).toThrow(/Uint8Array/);
    expect(() => native.crc32c(new Uint16Array(4) as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });

  it("crc32cMany computes each range's CRC in one call, and refuses ranges outside the data before computing any", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }), (bytes, picks) => {
        const data = Buffer.from(bytes);
        const ranges = new Int32Array(2 * picks.length);
        picks.forEach(([a, b], i) => {
          const start = data.length === 0 ? 0 : a % (data.length + 1);
          ranges[2 * i] = start;
          ranges[2 * i + 1] = b % (data.length - start + 1);
        });
        const out = new Uint32Array(picks.length);
        native.crc32cMany(data, ranges, picks.length, out);
        picks.forEach((_, i) => expect(out[i]).toBe(crc32cReference(data.subarray(ranges[2 * i], ranges[2 * i] + ranges[2 * i + 1]))));
      }),
      { numRuns: 200 },
    );
    const data = Buffer.from("0123456789");
    const out = new Uint32Array(4).fill(7);
    for (const bad of [[0, 11], [10, 1], [-1, 2], [3, -1], [2147483647, 2147483647]]) {
      expect(() => native.crc32cMany(data, Int32Array.of(0, 5, ...bad), 2, out)).toThrow(/range lies outside data/);
    }
    expect(out[0]).toBe(7); // nothing computed when any range is bad
    expect(() => native.crc32cMany(data, Int32Array.of(0, 5), 2, out)).toThrow(/count exceeds/);
    expect(() => native.crc32cMany(data, Int32Array.of(0, 5, 0, 5), 2, new Uint32Array(1))).toThrow(/count exceeds/);
    expect(() => native.crc32cMany(data, new Uint32Array(2) as unknown as Int32Array, 1, out)).toThrow(/ranges an Int32Array/);
  });

  it("masks and unmasks as LevelDB does", () => {
    const crc = crc32c(Buffer.from("foo"));
    expect(maskCrc(crc)).not.toBe(crc);
    expect(maskCrc(maskCrc(crc))).not.toBe(crc);
    expect(unmaskCrc(maskCrc(crc))).toBe(crc);
    expect(unmaskCrc(unmaskCrc(maskCrc(maskCrc(crc))))).toBe(crc);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (c) => unmaskCrc(maskCrc(c)) === c));
  });
});

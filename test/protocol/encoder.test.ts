import fc from "fast-check";
import { RespWriter, formatDouble17g } from "../../src/protocol";

function bytes(proto: 2 | 3, write: (w: RespWriter) => void): string {
  const w = new RespWriter(proto);
  write(w);
  return Buffer.concat(w.take()).toString("latin1");
}

describe("RespWriter", () => {
  it.each<[string, (w: RespWriter) => void, string, string]>([
    ["simple", (w) => w.simple("OK"), "+OK\r\n", "+OK\r\n"],
    ["error", (w) => w.error("ERR bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"],
    ["integer", (w) => w.integer(-42), ":-42\r\n", ":-42\r\n"],
    ["bigint", (w) => w.integer(9007199254740993n), ":9007199254740993\r\n", ":9007199254740993\r\n"],
    ["bulk", (w) => w.bulk("héllo"), "$6\r\nh\xc3\xa9llo\r\n", "$6\r\nh\xc3\xa9llo\r\n"],
    ["empty bulk", (w) => w.bulk(Buffer.alloc(0)), "$0\r\n\r\n", "$0\r\n\r\n"],
    ["null bulk", (w) => w.nullBulk(), "$-1\r\n", "_\r\n"],
    ["null array", (w) => w.nullArray(), "*-1\r\n", "_\r\n"],
    ["array", (w) => (w.arrayHeader(2), w.integer(1), w.bulk("a")), "*2\r\n:1\r\n$1\r\na\r\n", "*2\r\n:1\r\n$1\r\na\r\n"],
    ["map", (w) => (w.mapHeader(1), w.bulk("k"), w.integer(1)), "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"],
    ["set", (w) => (w.setHeader(1), w.bulk("m")), "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"],
    ["push", (w) => (w.pushHeader(1), w.bulk("m")), "*1\r\n$1\r\nm\r\n", ">1\r\n$1\r\nm\r\n"],
    ["double", (w) => w.double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"],
    ["double inf", (w) => w.double(-Infinity), "$4\r\n-inf\r\n", ",-inf\r\n"],
    ["boolean", (w) => w.boolean(true), ":1\r\n", "#t\r\n"],
    ["verbatim", (w) => w.verbatim("txt", "hi"), "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"],
    ["big number", (w) => w.bigNumber("123456789012345678901234567890"), "$30\r\n123456789012345678901234567890\r\n", "(123456789012345678901234567890\r\n"],
  ])("%s", (_name, write, resp2, resp3) => {
    expect(bytes(2, write)).toBe(resp2);
    expect(bytes(3, write)).toBe(resp3);
  });

  it("writes every integer as its decimal text, whatever its digits", () => {
    const edges = [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31, -(2 ** 31), 1_700_000_000_000, 2 ** 52, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const many = fc.sample(fc.oneof(fc.maxSafeInteger(), fc.integer()), { numRuns: 2000, seed: 7 });
    const all = [...edges, ...many];
    expect(bytes(2, (w) => all.forEach((n) => w.integer(n)))).toBe(all.map((n) => `:${n}\r\n`).join(""));
  });

  it("frames bulk Buffers of every size, across slab boundaries and the by-reference threshold", () => {
    const sizes = [0, 1, 9, 10, 99, 100, 4095, 4096, 4097, 16 * 1024, ...fc.sample(fc.integer({ min: 0, max: 6000 }), { numRuns: 300, seed: 3 })];
    const bufs = sizes.map((n, i) => Buffer.alloc(n, i % 251));
    const expected = Buffer.concat(bufs.flatMap((b) => [Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n")]));
    const w = new RespWriter(2);
    for (const b of bufs) w.bulk(b);
    expect(Buffer.concat(w.take()).equals(expected)).toBe(true);
  });

  it("references large payloads and keeps order", () => {
    const big = Buffer.alloc(100_000, 0x62);
    const w = new RespWriter(2);
    w.simple("A");
    w.bulk(big);
    w.simple("B");
    const chunks = w.take();
    expect(chunks.some((c) => c === big)).toBe(true);
    expect(Buffer.concat(chunks).toString("latin1")).toBe(`+A\r\n$100000\r\n${"b".repeat(100000)}\r\n+B\r\n`);
    expect(w.size).toBe(0);
  });

  it("never rewrites bytes it has handed out", () => {
    const w = new RespWriter(2);
    w.simple("first");
    const first = w.take();
    for (let i = 0; i < 5000; i++) w.integer(i);
    expect(Buffer.concat(first).toString()).toBe("+first\r\n");
    expect(Buffer.concat(w.take()).length).toBeGreaterThan(5000);
  });

  it("formats doubles as %.17g, like Redis 7.0", () => {
    expect(formatDouble17g(0.1)).toBe("0.10000000000000001");
    expect(formatDouble17g(3)).toBe("3");
    expect(formatDouble17g(1e21)).toBe("1e+21");
    expect(formatDouble17g(1.5e-7)).toBe("1.4999999999999999e-07");
    expect(formatDouble17g(123456789012345680000)).toBe("1.2345678901234568e+20");
    expect(formatDouble17g(NaN)).toBe("nan");
    expect(formatDouble17g(-0)).toBe("-0");
  });
});

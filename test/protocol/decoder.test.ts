import fc from "fast-check";
import { RespDecoder, encodeCommand, ProtocolError } from "../../src/protocol";

type Outcome = { commands: string[][]; error?: string };

/** Feeds `input` in the given pieces; collects commands until the first protocol error. */
function decode(input: Buffer, pieces: number[] | "whole" | "bytes", opts?: ConstructorParameters<typeof RespDecoder>[0]): Outcome {
  const d = new RespDecoder(opts);
  const commands: string[][] = [];
  const cuts: Buffer[] = [];
  if (pieces === "whole") cuts.push(input);
  else if (pieces === "bytes") for (let i = 0; i < input.length; i++) cuts.push(input.subarray(i, i + 1));
  else {
    let at = 0;
    for (const p of pieces) {
      if (at >= input.length) break;
      cuts.push(input.subarray(at, at + p));
      at += p;
    }
    if (at < input.length) cuts.push(input.subarray(at));
  }
  try {
    for (const c of cuts) {
      // Simulate a reused read buffer: the decoder must not keep views into a chunk after it returns null.
      const scratch = Buffer.from(c);
      d.feed(scratch);
      for (let args = d.next(); args !== null; args = d.next()) commands.push(args.map((a) => a.toString("latin1")));
      scratch.fill(0x3f);
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { commands, error: e.message };
  }
  return { commands };
}

/** Every case runs whole and byte by byte, and both must agree. */
function both(input: string | Buffer, opts?: ConstructorParameters<typeof RespDecoder>[0]): Outcome {
  const b = typeof input === "string" ? Buffer.from(input, "latin1") : input;
  const whole = decode(b, "whole", opts);
  const bytes = decode(b, "bytes", opts);
  expect(bytes).toEqual(whole);
  return whole;
}

describe("RespDecoder multibulk", () => {
  it("parses a pipeline of commands", () => {
    expect(both("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n").commands).toEqual([["PING"], ["SET", "k", ""]]);
  });

  it("skips *0 and *-1", () => {
    expect(both("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n").commands).toEqual([["PING"]]);
  });

  it("keeps binary bytes including CR LF inside bulks", () => {
    const payload = Buffer.from([0, 13, 10, 255, 42]);
    const out = both(encodeCommand(["SET", "k", payload]));
    expect(Buffer.from(out.commands[0][2], "latin1")).toEqual(payload);
  });

  it.each([
    ["*abc\r\n", "Protocol error: invalid multibulk length"],
    ["*3000000000\r\n", "Protocol error: invalid multibulk length"],
    ["*+1\r\n", "Protocol error: invalid multibulk length"],
    ["*01\r\n", "Protocol error: invalid multibulk length"],
    ["*1\r\n$-1\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\n$abc\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\nx3\r\nfoo\r\n", "Protocol error: expected '$', got 'x'"],
    ["*2\r\n$3\r\nGET\r\n:1\r\n", "Protocol error: expected '$', got ':'"],
  ])("rejects %j", (input, message) => {
    expect(both(input).error).toBe(message);
  });

  it("rejects a count line longer than 64 KiB without a CR", () => {
    expect(decode(Buffer.from("*" + "1".repeat(70000)), "whole").error).toBe("Protocol error: too big mbulk count string");
    expect(decode(Buffer.from("*1\r\n$" + "1".repeat(70000)), "whole").error).toBe("Protocol error: too big bulk count string");
  });

  it("honours proto-max-bulk-len before allocating", () => {
    expect(both("*1\r\n$11\r\n", { protoMaxBulkLen: 10 }).error).toBe("Protocol error: invalid bulk length");
    expect(both("*1\r\n$10\r\n0123456789\r\n", { protoMaxBulkLen: 10 }).commands).toEqual([["0123456789"]]);
  });

  it("applies Redis's limits to unauthenticated clients", () => {
    const d = new RespDecoder();
    d.unauthenticated = true;
    d.feed(Buffer.from("*11\r\n"));
    expect(() => d.next()).toThrow("Protocol error: unauthenticated multibulk length");
    const d2 = new RespDecoder();
    d2.unauthenticated = true;
    d2.feed(Buffer.from("*1\r\n$16385\r\n"));
    expect(() => d2.next()).toThrow("Protocol error: unauthenticated bulk length");
  });

  it("assembles a large bulk fed in small pieces", () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
    big[12345] = 0x62;
    const input = encodeCommand(["SET", "k", big, "tail"]);
    const d = new RespDecoder();
    let got: Buffer[] | null = null;
    for (let i = 0; i < input.length; i += 1024) {
      const piece = Buffer.from(input.subarray(i, i + 1024));
      d.feed(piece);
      const r = d.next();
      if (r) got = r.map((a) => Buffer.from(a));
      piece.fill(0);
    }
    expect(got).not.toBeNull();
    expect(got![2].equals(big)).toBe(true);
    expect(got![3].toString()).toBe("tail");
    expect(d.idle).toBe(true);
  });

  it("claimed big lengths allocate only what arrives", () => {
    const d = new RespDecoder();
    d.feed(Buffer.from("*1\r\n$500000000\r\nabc"));
    expect(d.next()).toBeNull();
    expect(d.bufferedBytes).toBeLessThan(2 * 1024 * 1024);
  });
});

describe("RespDecoder inline", () => {
  it("splits on blanks and accepts LF alone", () => {
    expect(both("PING\r\nset  a   b\nECHO\t x\r\n").commands).toEqual([["PING"], ["set", "a", "b"], ["ECHO", "x"]]);
  });

  it("skips empty lines", () => {
    expect(both("\r\n\r\n   \r\nPING\r\n").commands).toEqual([["PING"]]);
  });

  it("handles quoting like sdssplitargs", () => {
    expect(both('SET "a b" \'c d\'\r\n').commands).toEqual([["SET", "a b", "c d"]]);
    expect(both('ECHO "\\x41\\n\\t\\"q"\r\n').commands).toEqual([["ECHO", 'A\n\t"q']]);
    expect(both("ECHO 'it\\'s'\r\n").commands).toEqual([["ECHO", "it's"]]);
    expect(both('ECHO ""\r\n').commands).toEqual([["ECHO", ""]]);
  });

  it.each(['ECHO "abc\r\n', "ECHO 'abc\r\n", 'ECHO "a"b\r\n', "ECHO 'a'b\r\n"])("rejects unbalanced quotes in %j", (input) => {
    expect(both(input).error).toBe("Protocol error: unbalanced quotes in request");
  });

  it("rejects an inline request over 64 KiB", () => {
    expect(decode(Buffer.from("A".repeat(70000)), "whole").error).toBe("Protocol error: too big inline request");
  });
});

describe("RespDecoder properties", () => {
  const arg = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
  const command = fc.array(arg, { minLength: 1, maxLength: 6 });

  it("round-trips encoded commands under any split", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 40 }), (cmds, pieces) => {
        const input = Buffer.concat(cmds.map((c) => encodeCommand(c)));
        const out = decode(input, pieces);
        expect(out.error).toBeUndefined();
        expect(out.commands).toEqual(cmds.map((c) => c.map((a) => a.toString("latin1"))));
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes never throw anything but ProtocolError and never loop", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 20 }), (bytes, pieces) => {
        const input = Buffer.from(bytes);
        decode(input, pieces);
        decode(input, "bytes");
      }),
      { numRuns: 500 },
    );
  });

  it("mutated valid frames give the same result whole and byte by byte", () => {
    fc.assert(
      fc.property(command, fc.nat(), fc.integer({ min: 0, max: 255 }), (cmd, at, byte) => {
        const input = Buffer.from(encodeCommand(cmd));
        input[at % input.length] = byte;
        both(input);
      }),
      { numRuns: 300 },
    );
  });
});

describe("RespDecoder detach", () => {
  it("keeps unrun commands intact when the caller reuses its read buffer", () => {
    const d = new RespDecoder();
    const chunk = Buffer.from("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n*1\r\n$3\r\nGET");
    d.feed(chunk);
    expect(d.next()!.map(String)).toEqual(["PING"]);
    d.detach();
    chunk.fill(0x21);
    expect(d.next()!.map(String)).toEqual(["ECHO", "hello"]);
    expect(d.next()).toBeNull();
    d.feed(Buffer.from("\r\n"));
    expect(d.next()!.map(String)).toEqual(["GET"]);
  });
});

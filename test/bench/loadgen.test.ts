// The benchmark harness's reply counter: it must count every top-level reply and error of any RESP2/RESP3 shape,
// however the bytes are split across reads, or the figures it produces are wrong.
import { ReplyCounter } from "../../bench/lib/loadgen";

const replies = [
  "+OK\r\n",
  ":12\r\n",
  "$3\r\nabc\r\n",
  "$-1\r\n",
  "*2\r\n:1\r\n+x\r\n",
  "*0\r\n",
  "-ERR bad\r\n",
  "%1\r\n$1\r\nk\r\n:1\r\n",
  "*3\r\n*2\r\n:1700000000000\r\n+20.1\r\n*2\r\n:1\r\n,1.5\r\n*-1\r\n",
  "$0\r\n\r\n",
  "_\r\n",
  "!3\r\nbad\r\n",
  "$12\r\nline\r\nbreaks\r\n",
];

it("counts replies and errors of every shape, whatever the read boundaries", () => {
  const stream = Buffer.from(replies.join("").repeat(20));
  for (let step = 1; step <= 64; step++) {
    const c = new ReplyCounter();
    let done = 0;
    for (let i = 0; i < stream.length; i += step) done += c.feed(stream.subarray(i, i + step));
    expect([step, done, c.errors]).toEqual([step, replies.length * 20, 2 * 20]);
  }
});

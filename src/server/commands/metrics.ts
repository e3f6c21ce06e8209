// SLOWLOG and LATENCY: the slow log and per-command latency histograms, in Redis 7's reply shapes.
import type { CommandContext, CommandSpec } from "../command";
import { CommandError } from "../errors";
import { command, helpReply, intArg, lower } from "./util";

const NOKEY: [number, number, number] = [0, 0, 0];

const slowlogSubs: CommandSpec[] = [
  command("slowlog|get", -2, ["admin", "loading", "stale"], NOKEY, "server", "2.2.12", "Returns the slow log's entries.", (ctx, args) => {
    let count = 10;
    if (args.length > 3) throw new CommandError("ERR wrong number of arguments for 'slowlog|get' command");
    if (args.length === 3) {
      count = intArg(args[2], "ERR count should be greater than or equal to -1");
      if (count < -1) throw new CommandError("ERR count should be greater than or equal to -1");
    }
    const entries = ctx.server.slowlog.get(count);
    const r = ctx.reply;
    r.arrayHeader(entries.length);
    for (const e of entries) {
      r.arrayHeader(6);
      r.integer(e.id);
      r.integer(e.time);
      r.integer(e.duration);
      r.arrayHeader(e.args.length);
      for (const a of e.args) r.bulk(a);
      r.bulk(e.addr);
      r.bulk(e.name);
    }
  }),
  command("slowlog|len", 2, ["admin", "loading", "stale"], NOKEY, "server", "2.2.12", "Returns the number of entries in the slow log.", (ctx) =>
    ctx.reply.integer(ctx.server.slowlog.length),
  ),
  command("slowlog|reset", 2, ["admin", "loading", "stale"], NOKEY, "server", "2.2.12", "Clears all entries from the slow log.", (ctx) => {
    ctx.server.slowlog.reset();
    ctx.reply.simple("OK");
  }),
  command("slowlog|help", 2, ["loading", "stale"], NOKEY, "server", "6.2.0", "Show helpful text about the different subcommands.", (ctx) =>
    helpReply(ctx, "SLOWLOG", [
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
    ]),
  ),
];

/** LATENCY HISTOGRAM: per command, calls and a cumulative histogram over power-of-two microsecond buckets. */
function latencyHistogram(ctx: CommandContext, args: Buffer[]): void {
  const m = ctx.server.metrics;
  const wanted = args.length > 2 ? args.slice(2).map((a) => lower(a)) : [...m.commands.keys()];
  const chosen = [...new Set(wanted)].map((n) => m.commands.get(n)).filter((s) => s !== undefined && s.calls > 0);
  const r = ctx.reply;
  r.mapHeader(chosen.length);
  for (const s of chosen) {
    r.bulk(s!.name);
    r.mapHeader(2);
    r.bulk("calls");
    r.integer(s!.calls);
    r.bulk("histogram_usec");
    const buckets: Array<[number, number]> = [];
    const h = s!.histogram;
    const maxUs = Math.max(1, Math.ceil(h.maxValue / 1000));
    let last = -1;
    for (let b = 1; ; b *= 2) {
      // Values are recorded in ns; count every call that took at most b µs.
      const below = h.countAtOrBelow(b * 1000);
      if (below !== last && below > 0) buckets.push([b, below]);
      last = below;
      if (b >= maxUs) break;
    }
    r.mapHeader(buckets.length);
    for (const [b, c] of buckets) {
      r.integer(b);
      r.integer(c);
    }
  }
}

const latencySubs: CommandSpec[] = [
  command("latency|histogram", -2, ["admin", "loading", "stale"], NOKEY, "server", "7.0.0", "Returns the cumulative distribution of latencies of a subset or all commands.", latencyHistogram),
  command("latency|latest", 2, ["admin", "loading", "stale"], NOKEY, "server", "2.8.13", "Returns the latest latency samples for all events.", (ctx) => ctx.reply.arrayHeader(0)),
  command("latency|reset", -2, ["admin", "loading", "stale"], NOKEY, "server", "2.8.13", "Resets the latency data for one or more events.", (ctx) => ctx.reply.integer(0)),
  command("latency|help", 2, ["loading", "stale"], NOKEY, "server", "2.8.13", "Returns helpful text about the different subcommands.", (ctx) =>
    helpReply(ctx, "LATENCY", [
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "LATEST",
      "    Return an empty list: tskv has no latency monitor events (use HISTOGRAM or INFO latencystats).",
      "RESET [<event> ...]",
      "    Reset latency monitor events (none); CONFIG RESETSTAT resets the histograms.",
    ]),
  ),
];

export const metricsCommands: CommandSpec[] = [
  { ...command("slowlog", -2, [], NOKEY, "server", "2.2.12", "A container for slow log commands.", () => undefined), subcommands: slowlogSubs },
  { ...command("latency", -2, [], NOKEY, "server", "2.8.13", "A container for latency diagnostics commands.", () => undefined), subcommands: latencySubs },
];

// Indexes every command family's CommandSpec[] and resolves a request to the spec that runs it, with Redis 7.0's
// rejection texts for unknown commands, unknown subcommands and wrong arity. Also renders COMMAND's replies.
import type { ReplyWriter } from "../protocol/reply";
import type { CommandSpec } from "./command";
import { KeptBytes } from "../util/bytes";

export type Resolution = { spec: CommandSpec } | { error: string; rejected?: CommandSpec };

/** Redis's rejectCommandFormat(): CR and LF in the text become spaces so the error stays one line. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();

  constructor(specs: CommandSpec[]) {
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new Error(`command ${s.name} registered twice`);
      this.byName.set(s.name, s);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  all(): CommandSpec[] {
    return [...this.byName.values()];
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The name bytes of the last command found, exactly as sent, and its spec (pipelines repeat one command). */
  private readonly lastName = new KeptBytes();
  private lastCmd: CommandSpec | undefined;

  /** Finds the spec for a request and checks its arity, as processCommand() does. */
  resolve(args: Buffer[]): Resolution {
    const name = args[0];
    let cmd = this.lastName.equals(name) ? this.lastCmd : undefined;
    if (!cmd) {
      cmd = this.byName.get(name.toString("latin1").toLowerCase());
      if (cmd) {
        this.lastName.set(name);
        this.lastCmd = cmd;
      }
    }
    if (!cmd) {
      const typed = name.toString("latin1");
      let rest = "";
      for (let i = 1; i < args.length && rest.length < 128; i++) {
        rest += `'${args[i].toString("latin1").slice(0, 128 - rest.length)}' `;
      }
      return { error: oneLine(`ERR unknown command '${typed.slice(0, 128)}', with args beginning with: ${rest}`) };
    }
    let spec = cmd;
    if (cmd.subcommands && args.length >= 2) {
      const subName = args[1].toString("latin1").toLowerCase();
      const sub = cmd.subcommands.find((s) => s.name === `${cmd.name}|${subName}`);
      if (!sub) {
        return {
          error: oneLine(`ERR unknown subcommand '${args[1].toString("latin1").slice(0, 128)}'. Try ${cmd.name.toUpperCase()} HELP.`),
        };
      }
      spec = sub;
    }
    if ((spec.arity > 0 && spec.arity !== args.length) || args.length < -spec.arity) {
      return { error: `ERR wrong number of arguments for '${spec.name}' command`, rejected: spec };
    }
    return { spec };
  }

  /** One COMMAND / COMMAND INFO entry in Redis 7's layout. */
  writeInfo(r: ReplyWriter, spec: CommandSpec): void {
    r.arrayHeader(10);
    r.bulk(spec.name);
    r.integer(spec.arity);
    r.setHeader(spec.flags.length);
    for (const f of spec.flags) r.simple(f);
    r.integer(spec.firstKey);
    r.integer(spec.lastKey);
    r.integer(spec.step);
    const cats = aclCategories(spec);
    r.setHeader(cats.length);
    for (const c of cats) r.simple(c);
    r.setHeader(0); // tips
    // key specifications
    if (spec.firstKey > 0) {
      r.arrayHeader(1);
      r.mapHeader(3);
      r.bulk("flags");
      r.setHeader(1);
      r.simple(spec.flags.includes("write") ? "RW" : "RO");
      r.bulk("begin_search");
      r.mapHeader(2);
      r.bulk("type");
      r.bulk("index");
      r.bulk("spec");
      r.mapHeader(1);
      r.bulk("index");
      r.integer(spec.firstKey);
      r.bulk("find_keys");
      r.mapHeader(2);
      r.bulk("type");
      r.bulk("range");
      r.bulk("spec");
      r.mapHeader(3);
      r.bulk("lastkey");
      r.integer(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
      r.bulk("keystep");
      r.integer(spec.step);
      r.bulk("limit");
      r.integer(0);
    } else {
      r.arrayHeader(0);
    }
    const subs = spec.subcommands ?? [];
    r.arrayHeader(subs.length);
    for (const s of subs) this.writeInfo(r, s);
  }

  /** One COMMAND DOCS entry: name, then a map of summary, since, group, complexity-free fields. */
  writeDocs(r: ReplyWriter, spec: CommandSpec): void {
    r.bulk(spec.name);
    const subs = spec.subcommands ?? [];
    r.mapHeader(subs.length > 0 ? 4 : 3);
    r.bulk("summary");
    r.bulk(spec.summary);
    r.bulk("since");
    r.bulk(spec.since);
    r.bulk("group");
    r.bulk(spec.group);
    if (subs.length > 0) {
      r.bulk("subcommands");
      r.mapHeader(subs.length);
      for (const s of subs) this.writeDocs(r, s);
    }
  }
}

function aclCategories(spec: CommandSpec): string[] {
  const cats: string[] = [];
  if (spec.flags.includes("write")) cats.push("@write");
  if (spec.flags.includes("readonly")) cats.push("@read");
  if (spec.flags.includes("admin")) cats.push("@admin", "@dangerous");
  if (spec.flags.includes("fast")) cats.push("@fast");
  else cats.push("@slow");
  const group = spec.group === "generic" ? "@keyspace" : spec.group === "connection" ? "@connection" : spec.group === "string" ? "@string" : undefined;
  if (group) cats.push(group);
  return cats;
}

// Indexes every command family's CommandSpec[] and resolves a request to the spec that runs it, with Redis 7.0's
// rejection texts for unknown commands, unknown subcommands and wrong arity. Also renders COMMAND's replies
// (the entries themselves come from command-docs.ts).
import type { ReplyWriter } from "../protocol/reply";
import type { CommandSpec } from "./command";
import { KeptBytes } from "../util/bytes";
import { docsEntry, infoEntry, ReplyNode, writeNode } from "./command-docs";
import { REDIS_COMMAND_DOCS, REDIS_COMMAND_INFO } from "./command-docs-data";

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

  /** Every command and subcommand, parents first (COMMAND LIST's names). */
  allWithSubcommands(): CommandSpec[] {
    const out: CommandSpec[] = [];
    for (const c of this.byName.values()) out.push(c, ...(c.subcommands ?? []));
    return out;
  }

  /** A command or, as `parent|sub`, a subcommand, by name in any case (COMMAND INFO/DOCS take both). */
  find(name: string): { spec: CommandSpec; parent?: CommandSpec } | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf("|");
    if (bar < 0) {
      const spec = this.byName.get(lower);
      return spec && { spec };
    }
    const parent = this.byName.get(lower.slice(0, bar));
    const spec = parent?.subcommands?.find((s) => s.name === lower);
    return spec && { spec, parent };
  }

  /** COMMAND INFO's entry (Redis 7.0.15's where it has the command: see command-docs.ts), cached per command. */
  info(spec: CommandSpec, parent?: CommandSpec): ReplyNode {
    let e = this.infos.get(spec);
    if (e === undefined) {
      e = parent ? infoEntry(spec, REDIS_COMMAND_INFO[parent.name] ?? null) : infoEntry(spec);
      this.infos.set(spec, e);
    }
    return e;
  }

  /** COMMAND DOCS's value for a command, cached per command. */
  docs(spec: CommandSpec, parent?: CommandSpec): ReplyNode {
    let e = this.docsCache.get(spec);
    if (e === undefined) {
      e = parent ? docsEntry(spec, REDIS_COMMAND_DOCS[parent.name] ?? null) : docsEntry(spec);
      this.docsCache.set(spec, e);
    }
    return e;
  }

  private readonly infos = new Map<CommandSpec, ReplyNode>();
  private readonly docsCache = new Map<CommandSpec, ReplyNode>();

  /** One COMMAND / COMMAND INFO entry in Redis 7's layout. */
  writeInfo(r: ReplyWriter, spec: CommandSpec, parent?: CommandSpec): void {
    writeNode(r, this.info(spec, parent));
  }

  /** One COMMAND DOCS entry: the name, then its map. */
  writeDocs(r: ReplyWriter, spec: CommandSpec, parent?: CommandSpec): void {
    r.bulk(spec.name);
    writeNode(r, this.docs(spec, parent));
  }
}

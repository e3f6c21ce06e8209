// COMMAND INFO / COMMAND DOCS entries and key extraction (COMMAND GETKEYS) in Redis 7.0's shapes. A command Redis
// 7.0.15 has (RedisTimeSeries's included) is described by the entry that server gives (command-docs-data.ts), cut
// to the subcommands tskv has; tskv's own commands and subcommands by an entry made from their CommandSpec in the
// same layout. Keys are found through an entry's key specifications, as Redis 7.0's getKeysUsingKeySpecs() does.
import type { ReplyWriter } from "../protocol/reply";
import type { CommandSpec } from "./command";
import { REDIS_COMMAND_DOCS, REDIS_COMMAND_INFO } from "./command-docs-data";

/** A reply as data: bulk string, integer, null, array; {s} simple string, {m} map (keys and values in turn), {S} set. */
export type ReplyNode = string | number | null | ReplyNode[] | { s: string } | { m: ReplyNode[] } | { S: ReplyNode[] };

export function writeNode(r: ReplyWriter, n: ReplyNode): void {
  if (typeof n === "string") r.bulk(n);
  else if (typeof n === "number") r.integer(n);
  else if (n === null) r.nullBulk();
  else if (Array.isArray(n)) {
    r.arrayHeader(n.length);
    for (const x of n) writeNode(r, x);
  } else if ("s" in n) r.simple(n.s);
  else if ("m" in n) {
    r.mapHeader(n.m.length / 2);
    for (const x of n.m) writeNode(r, x);
  } else {
    r.setHeader(n.S.length);
    for (const x of n.S) writeNode(r, x);
  }
}

const items = (n: ReplyNode): ReplyNode[] => (Array.isArray(n) ? n : n !== null && typeof n === "object" ? ("S" in n ? n.S : "m" in n ? n.m : []) : []);

/** A map node's value under `key`. */
function field(n: ReplyNode, key: string): ReplyNode | undefined {
  const kv = items(n);
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return kv[i + 1];
  return undefined;
}

// ---- entries made from a CommandSpec ---------------------------------------------------------------------------

function aclCategories(spec: CommandSpec): string[] {
  const cats: string[] = [];
  if (spec.flags.includes("write")) cats.push("@write");
  if (spec.flags.includes("readonly")) cats.push("@read");
  if (spec.flags.includes("admin")) cats.push("@admin", "@dangerous");
  cats.push(spec.flags.includes("fast") ? "@fast" : "@slow");
  const group = spec.group === "generic" ? "@keyspace" : spec.group === "connection" ? "@connection" : spec.group === "string" ? "@string" : undefined;
  if (group) cats.push(group);
  return cats;
}

/** Redis 7.0 sends key specs as a set, and subcommands as an array, or an empty set when there are none. */
function subcommandsNode(subs: ReplyNode[]): ReplyNode {
  return subs.length > 0 ? subs : { S: [] };
}

function specInfo(spec: CommandSpec, subs: ReplyNode[]): ReplyNode {
  const keySpecs: ReplyNode[] = [];
  if (spec.firstKey > 0) {
    keySpecs.push({
      m: [
        "flags",
        { S: spec.flags.includes("write") ? [{ s: "RW" }, { s: "update" }] : [{ s: "RO" }, { s: "access" }] },
        "begin_search",
        { m: ["type", "index", "spec", { m: ["index", spec.firstKey] }] },
        "find_keys",
        { m: ["type", "range", "spec", { m: ["lastkey", spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey, "keystep", spec.step, "limit", 0] }] },
      ],
    });
  }
  return [
    spec.name,
    spec.arity,
    { S: spec.flags.map((f) => ({ s: f })) },
    spec.firstKey,
    spec.lastKey,
    spec.step,
    { S: aclCategories(spec).map((c) => ({ s: c })) },
    { S: [] },
    { S: keySpecs },
    subcommandsNode(subs),
  ];
}

function specDocs(spec: CommandSpec, subs: ReplyNode[]): ReplyNode {
  const m: ReplyNode[] = ["summary", spec.summary, "since", spec.since, "group", spec.group];
  if (subs.length > 0) m.push("subcommands", { m: subs });
  return { m };
}

// ---- the entries --------------------------------------------------------------------------------------------------

/** COMMAND INFO's entry for a command or subcommand: Redis's where it has one, with tskv's subcommands. */
export function infoEntry(spec: CommandSpec, parent?: ReplyNode): ReplyNode {
  // A subcommand's entry is looked for in its parent's Redis entry (absent when Redis's parent has none).
  const given = parent !== undefined ? items(items(parent)[9]).find((e) => items(e)[0] === spec.name) : REDIS_COMMAND_INFO[spec.name];
  const subs = (spec.subcommands ?? []).map((s) => infoEntry(s, given ?? null));
  if (given === undefined) return specInfo(spec, subs);
  const e = [...items(given)];
  e[9] = subcommandsNode(subs);
  return e;
}

/** COMMAND DOCS's value for a command or subcommand (its name goes before it, as the map's key). */
export function docsEntry(spec: CommandSpec, parent?: ReplyNode): ReplyNode {
  const given = parent !== undefined ? field(field(parent, "subcommands") ?? { m: [] }, spec.name) : REDIS_COMMAND_DOCS[spec.name];
  const subs: ReplyNode[] = [];
  for (const s of spec.subcommands ?? []) subs.push(s.name, docsEntry(s, given ?? null));
  if (given === undefined) return specDocs(spec, subs);
  const kv = [...items(given)];
  const at = kv.indexOf("subcommands");
  if (at >= 0) kv[at + 1] = { m: subs };
  return { m: kv };
}

// ---- keys ---------------------------------------------------------------------------------------------------------

export interface FoundKey {
  key: Buffer;
  /** The key spec's flags (RW, access, update, …), as COMMAND GETKEYSANDFLAGS lists them. */
  flags: string[];
}

/**
 * The keys of a full command (args[0] the name) by the entry's key specifications, as Redis 7.0's
 * getKeysUsingKeySpecs(): where the search begins (an index, or after a keyword), then a range or a key count.
 * Null when a spec points outside the arguments (Redis then finds no keys at all).
 */
export function keysOf(entry: ReplyNode, args: Buffer[]): FoundKey[] | null {
  const argc = args.length;
  const out: FoundKey[] = [];
  for (const ks of items(items(entry)[8])) {
    const flags = items(field(ks, "flags") ?? { S: [] }).map((f) => (f as { s: string }).s);
    const begin = field(ks, "begin_search");
    const find = field(ks, "find_keys");
    if (!begin || !find) return null;
    const bspec = field(begin, "spec")!;
    let first = 0;
    if (field(begin, "type") === "index") {
      first = field(bspec, "index") as number;
    } else if (field(begin, "type") === "keyword") {
      const keyword = (field(bspec, "keyword") as string).toLowerCase();
      const from = field(bspec, "startfrom") as number;
      const start = from >= 0 ? from : argc + from;
      const step = from >= 0 ? 1 : -1;
      for (let i = start; i > 0 && i < argc; i += step) {
        if (args[i].toString("latin1").toLowerCase() === keyword) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // the keyword is absent: this spec names no keys
    } else {
      return null;
    }
    const fspec = field(find, "spec")!;
    let last: number;
    let step: number;
    if (field(find, "type") === "range") {
      const lastkey = field(fspec, "lastkey") as number;
      const limit = field(fspec, "limit") as number;
      step = field(fspec, "keystep") as number;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else if (field(find, "type") === "keynum") {
      const at = field(fspec, "keynumidx") as number;
      if (at >= argc - first) return null;
      const text = args[first + at].toString("latin1");
      if (!/^(0|-?[1-9][0-9]*)$/.test(text) || Number(text) < 0) return null;
      step = field(fspec, "keystep") as number;
      first += field(fspec, "firstkey") as number;
      last = first + Number(text) - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    const keyFlags = flags.includes("variable_flags") ? variableFlags(args) : flags;
    for (let i = first; i <= last; i += Math.max(1, step)) out.push({ key: args[i], flags: keyFlags });
  }
  return out;
}

/**
 * The flags of a key whose spec says variable_flags (SET alone, in Redis 7.0): setGetKeys() makes them OW update,
 * or RW access update when a GET option reads the old value.
 */
function variableFlags(args: Buffer[]): string[] {
  for (let i = 3; i < args.length; i++) if (args[i].toString("latin1").toLowerCase() === "get") return ["RW", "access", "update"];
  return ["OW", "update"];
}

/** The entry's arity (COMMAND INFO's second element: RedisTimeSeries's commands say -1). */
export function entryArity(entry: ReplyNode): number {
  return items(entry)[1] as number;
}

/** The entry's flags (COMMAND INFO's third element). */
export function entryFlags(entry: ReplyNode): string[] {
  return items(items(entry)[2]).map((f) => (f as { s: string }).s);
}

/** Whether the entry names any key (Redis's doesCommandHaveKeys(): key specs, or a key-finding function). */
export function hasKeys(entry: ReplyNode): boolean {
  return items(items(entry)[8]).length > 0 || entryFlags(entry).includes("movablekeys");
}

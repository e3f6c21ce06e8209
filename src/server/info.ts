// INFO: Redis 7's sections as "# Section" headers and "field:value" lines joined by CRLF, chosen and ordered as
// Redis 7.0 does (genInfoSectionDict()/genRedisInfoString()): names without case, any number of them, `default`,
// `all` (every section) and `everything` (all, and modules' own sections: tskv's module has none); the sections
// always come out in Redis's order, whatever the order asked, and a name nothing answers to adds nothing.
import type { ServerContext } from "./context";
import { BUILTIN_SECTIONS, infoState, InfoSection } from "./info-sections";

export type { InfoSection } from "./info-sections";

interface Entry {
  section: InfoSection;
  inDefault: boolean;
}

/** Redis 7.0's sections in its order; server.ts registers keyspace and the stats sections. */
const ORDER = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
];

/** Redis's default set (`INFO`, `INFO default`); sections registered with inDefault join it. */
const DEFAULT = new Set(["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"]);

/** Other names Redis takes for a section. */
const ALIASES: Record<string, string> = { module_list: "modules" };

function registered(server: ServerContext): Map<string, Entry> {
  let map = server.extensions.get("info-sections") as Map<string, Entry> | undefined;
  if (!map) {
    map = new Map();
    server.extensions.set("info-sections", map);
  }
  return map;
}

/**
 * Extra sections other layers register (keyspace, storage, commandstats, …). A section Redis has takes its place
 * in Redis's order; tskv's own (storage) come after Redis's.
 */
export function registerInfoSection(server: ServerContext, name: string, section: InfoSection, inDefault = true): void {
  registered(server).set(name, { section, inDefault });
}

/** Starts what INFO samples while the server runs (instantaneous rates, the memory peak); stopInfo() ends it. */
export function startInfo(server: ServerContext): void {
  infoState(server).rates.start();
}

export function stopInfo(server: ServerContext): void {
  infoState(server).rates.stop();
}

function title(name: string): string {
  if (name === "cpu") return "CPU";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Every section in output order: Redis's, then tskv's own in the order they were registered. */
function sections(server: ServerContext): Array<[string, Entry]> {
  const extra = registered(server);
  const out: Array<[string, Entry]> = [];
  for (const name of ORDER) {
    const given = extra.get(name);
    if (given) out.push([name, given]);
    else if (BUILTIN_SECTIONS[name]) out.push([name, { section: BUILTIN_SECTIONS[name], inDefault: DEFAULT.has(name) }]);
  }
  for (const [name, e] of extra) if (!ORDER.includes(name)) out.push([name, e]);
  return out;
}

/** INFO's text for the (lower-case) section names asked; none asked is `default`. */
export function renderInfo(server: ServerContext, requested: string[]): string {
  const all = sections(server);
  const wanted = new Set<string>();
  let everything = false;
  if (requested.length === 0) requested = ["default"];
  for (const r of requested) {
    if (r === "all" || r === "everything") {
      everything = true;
    } else if (r === "default") {
      for (const [n, e] of all) if (e.inDefault) wanted.add(n);
    } else {
      wanted.add(ALIASES[r] ?? r);
    }
  }
  const out: string[] = [];
  for (const [name, e] of all) {
    if (!everything && !wanted.has(name)) continue;
    if (out.length > 0) out.push("");
    out.push(`# ${title(name)}`);
    for (const [k, v] of e.section(server)) out.push(`${k}:${v}`);
  }
  return out.length ? out.join("\r\n") + "\r\n" : "";
}

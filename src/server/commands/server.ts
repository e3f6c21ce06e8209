// Connection and server commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, CLIENT, CONFIG, INFO, TIME, COMMAND,
// MODULE, FUNCTION FLUSH, SHUTDOWN, DEBUG SLEEP — and clear refusals for what tskv does not have (Lua, pub/sub).
import type { CommandContext, CommandFlag, CommandSpec } from "../command";
import { ConfigParam, configNames, configParam } from "../config";
import { Glob } from "../../model/glob";
import { CommandError } from "../errors";
import { REDIS_COMPAT_VERSION, TIMESERIES_MODULE, writeModuleList } from "../compat";
import { renderInfo } from "../info";
import { helpReply } from "./util";
import { entryArity, entryFlags, FoundKey, hasKeys, keysOf } from "../command-docs";
import type { CommandTable } from "../command-table";
import { parseInteger } from "../../protocol/decoder";

type Handler = CommandSpec["handler"];

function spec(
  name: string,
  arity: number,
  flags: CommandFlag[],
  group: string,
  summary: string,
  handler: Handler,
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, summary, since: "1.0.0", group, handler, ...extra };
}

const s = (b: Buffer): string => b.toString("latin1");
const lower = (b: Buffer): string => b.toString("latin1").toLowerCase();

function integerArg(b: Buffer): number {
  const n = parseInteger(b, 0, b.length);
  if (n === null) throw new CommandError("ERR value is not an integer or out of range");
  return n;
}

const SYNTAX = "ERR syntax error";

// ---- authentication ------------------------------------------------------------------------------------------

/** Checks a user/password pair against --requirepass (tskv has one user, "default"). */
function checkPassword(ctx: CommandContext, user: string, pass: string): boolean {
  const required = ctx.server.config.requirepass;
  if (user !== "default") return false;
  return required === undefined || pass === required;
}

const auth: Handler = (ctx, args) => {
  if (args.length > 3) throw new CommandError(SYNTAX);
  if (args.length === 2 && ctx.server.config.requirepass === undefined) {
    throw new CommandError(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
  }
  const user = args.length === 3 ? s(args[1]) : "default";
  const pass = s(args[args.length - 1]);
  if (!checkPassword(ctx, user, pass)) throw new CommandError("WRONGPASS invalid username-password pair or user is disabled.");
  ctx.client.authenticated = true;
  (ctx as unknown as { decoder: { unauthenticated: boolean } }).decoder.unauthenticated = false;
  ctx.reply.simple("OK");
};

const hello: Handler = (ctx, args) => {
  let proto = ctx.client.proto;
  let i = 1;
  if (args.length >= 2) {
    const v = parseInteger(args[1], 0, args[1].length);
    if (v === null) throw new CommandError("ERR Protocol version is not an integer or out of range");
    if (v < 2 || v > 3) throw new CommandError("NOPROTO sorry, this protocol version is not supported.");
    proto = v as 2 | 3;
    i = 2;
  }
  let authUser: string | undefined;
  let authPass: string | undefined;
  let setName: string | undefined;
  for (; i < args.length; i++) {
    const opt = lower(args[i]);
    const more = args.length - i - 1;
    if (opt === "auth" && more >= 2) {
      authUser = s(args[i + 1]);
      authPass = s(args[i + 2]);
      i += 2;
    } else if (opt === "setname" && more >= 1) {
      setName = s(args[i + 1]);
      i += 1;
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${s(args[i])}'`);
    }
  }
  if (authUser !== undefined) {
    if (!checkPassword(ctx, authUser, authPass as string)) {
      throw new CommandError("WRONGPASS invalid username-password pair or user is disabled.");
    }
    ctx.client.authenticated = true;
    (ctx as unknown as { decoder: { unauthenticated: boolean } }).decoder.unauthenticated = false;
  }
  if (!ctx.client.authenticated) throw new CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
  if (setName !== undefined) {
    if (!validClientName(setName)) throw new CommandError("ERR Client names cannot contain spaces, newlines or special characters.");
    ctx.client.name = setName;
  }
  ctx.client.proto = proto;
  (ctx.reply as { proto: 2 | 3 }).proto = proto;
  const r = ctx.reply;
  r.mapHeader(7);
  r.bulk("server");
  r.bulk("redis");
  r.bulk("version");
  r.bulk(REDIS_COMPAT_VERSION);
  r.bulk("proto");
  r.integer(proto);
  r.bulk("id");
  r.integer(ctx.client.id);
  r.bulk("mode");
  r.bulk("standalone");
  r.bulk("role");
  r.bulk("master");
  r.bulk("modules");
  writeModuleList(r);
};

function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// ---- CLIENT --------------------------------------------------------------------------------------------------

function clientLine(ctx: CommandContext, id: number): string {
  const v = ctx.server.clientList().find((c) => c.id === id);
  if (!v) return "";
  const now = Date.now();
  const c = v.client;
  const laddr = `${ctx.server.address.host}:${ctx.server.address.port}`;
  return (
    `id=${c.id} addr=${c.addr} laddr=${laddr} fd=-1 name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - v.lastInteraction) / 1000)} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ` +
    `qbuf=${v.queryBufferBytes} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=${v.outputBytes} ` +
    `tot-mem=${v.queryBufferBytes + v.outputBytes} events=r cmd=${v.lastCommand} user=default redir=-1 resp=${c.proto} ` +
    `lib-name=${c.libName} lib-ver=${c.libVer}\n`
  );
}

function sub(parent: string, name: string, arity: number, flags: CommandFlag[], summary: string, handler: Handler): CommandSpec {
  return spec(`${parent}|${name}`, arity, flags, "connection", summary, handler);
}

const clientCommands: CommandSpec[] = [
  sub("client", "id", 2, ["loading", "stale", "no_auth"], "Returns the unique client ID of the connection.", (ctx) => ctx.reply.integer(ctx.client.id)),
  sub("client", "setname", 3, ["loading", "stale"], "Sets the connection name.", (ctx, args) => {
    const name = s(args[2]);
    if (!validClientName(name)) throw new CommandError("ERR Client names cannot contain spaces, newlines or special characters.");
    ctx.client.name = name;
    ctx.reply.simple("OK");
  }),
  sub("client", "getname", 2, ["loading", "stale"], "Returns the name of the connection.", (ctx) => {
    if (ctx.client.name === "") ctx.reply.nullBulk();
    else ctx.reply.bulk(ctx.client.name);
  }),
  sub("client", "info", 2, ["loading", "stale"], "Returns information about the connection.", (ctx) => {
    ctx.reply.verbatim("txt", clientLine(ctx, ctx.client.id));
  }),
  sub("client", "list", -2, ["admin", "loading", "stale"], "Lists open connections.", (ctx, args) => {
    let ids: Set<number> | undefined;
    for (let i = 2; i < args.length; i++) {
      const opt = lower(args[i]);
      if (opt === "type" && i + 1 < args.length) {
        const t = lower(args[++i]);
        if (!["normal", "master", "replica", "slave", "pubsub"].includes(t)) throw new CommandError(`ERR Unknown client type '${s(args[i])}'`);
        if (t !== "normal") ids = new Set();
      } else if (opt === "id" && i + 1 < args.length) {
        ids = new Set();
        for (i++; i < args.length; i++) {
          const n = parseInteger(args[i], 0, args[i].length);
          if (n === null || n <= 0) throw new CommandError("ERR Invalid client ID");
          ids.add(n);
        }
      } else {
        throw new CommandError(SYNTAX);
      }
    }
    const lines = ctx.server
      .clientList()
      .filter((c) => !ids || ids.has(c.id))
      .map((c) => clientLine(ctx, c.id))
      .join("");
    ctx.reply.verbatim("txt", lines);
  }),
  sub("client", "setinfo", 4, ["loading", "stale"], "Sets information specific to the client or connection.", (ctx, args) => {
    const attr = lower(args[2]);
    const value = s(args[3]);
    if (attr !== "lib-name" && attr !== "lib-ver") throw new CommandError(`ERR Unrecognized option '${s(args[2])}'`);
    if (!validClientName(value) && value !== "") {
      throw new CommandError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    }
    if (attr === "lib-name") ctx.client.libName = value;
    else ctx.client.libVer = value;
    ctx.reply.simple("OK");
  }),
  sub("client", "kill", -3, ["admin", "loading", "stale"], "Terminates open connections.", (ctx, args) => {
    const list = ctx.server.clientList();
    if (args.length === 3) {
      // Old form: CLIENT KILL addr:port
      const addr = s(args[2]);
      const target = list.find((c) => c.client.addr === addr);
      if (!target) throw new CommandError("ERR No such client");
      ctx.server.killClient(target.id);
      ctx.reply.simple("OK");
      return;
    }
    let id: number | undefined;
    let addr: string | undefined;
    let skipMe = true;
    if ((args.length - 2) % 2 !== 0) throw new CommandError(SYNTAX);
    for (let i = 2; i < args.length; i += 2) {
      const opt = lower(args[i]);
      const val = args[i + 1];
      if (opt === "id") {
        const n = parseInteger(val, 0, val.length);
        if (n === null || n <= 0) throw new CommandError("ERR client-id should be greater than 0");
        id = n;
      } else if (opt === "addr") {
        addr = s(val);
      } else if (opt === "skipme") {
        const v = lower(val);
        if (v === "yes") skipMe = true;
        else if (v === "no") skipMe = false;
        else throw new CommandError(SYNTAX);
      } else if (opt === "type") {
        const t = lower(val);
        if (!["normal", "master", "replica", "slave", "pubsub"].includes(t)) throw new CommandError(`ERR Unknown client type '${s(val)}'`);
      } else if (opt === "user") {
        if (s(val) !== "default") throw new CommandError(`ERR No such user '${s(val)}'`);
      } else {
        throw new CommandError(SYNTAX);
      }
    }
    let killed = 0;
    for (const c of list) {
      if (id !== undefined && c.id !== id) continue;
      if (addr !== undefined && c.client.addr !== addr) continue;
      if (skipMe && c.id === ctx.client.id) continue;
      if (ctx.server.killClient(c.id)) killed++;
    }
    ctx.reply.integer(killed);
  }),
  sub("client", "no-evict", 3, ["admin", "loading", "stale"], "Sets the client eviction mode of the connection.", (ctx, args) => {
    const v = lower(args[2]);
    if (v !== "on" && v !== "off") throw new CommandError(SYNTAX);
    ctx.reply.simple("OK");
  }),
  sub("client", "no-touch", 3, ["loading", "stale"], "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", (ctx, args) => {
    const v = lower(args[2]);
    if (v !== "on" && v !== "off") throw new CommandError(SYNTAX);
    ctx.reply.simple("OK");
  }),
  sub("client", "help", 2, ["loading", "stale"], "Returns helpful text about the different subcommands.", (ctx) => {
    helpReply(ctx, "CLIENT", [
      "ID", "    Return the ID of the current connection.",
      "GETNAME", "    Return the name of the current connection.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
      "INFO", "    Return information about the current client connection.",
      "LIST [TYPE <normal|master|replica|pubsub>] [ID <id> [<id> ...]]", "    Return information about client connections.",
      "KILL <ip:port>", "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are ID, ADDR, TYPE, USER and SKIPME.",
      "NO-EVICT (ON|OFF)", "    Accepted for compatibility; tskv does not evict clients.",
      "NO-TOUCH (ON|OFF)", "    Accepted for compatibility; tskv keeps no LRU/LFU data.",
    ]);
  }),
];

// ---- CONFIG --------------------------------------------------------------------------------------------------

const configCommands: CommandSpec[] = [
  spec("config|get", -3, ["admin", "noscript", "loading", "stale"], "server", "Returns the effective values of configuration parameters.", (ctx, args) => {
    // As Redis 7.0: a name without glob characters is looked up and answered under the name as given; a pattern is
    // matched against every name, Redis's aliases included. Each name once, in the order found.
    const found = new Map<string, [string, string]>();
    const config = ctx.server.config;
    for (let i = 2; i < args.length; i++) {
      const text = s(args[i]);
      if (!/[[*?]/.test(text)) {
        const p = configParam(text);
        if (p && !found.has(text.toLowerCase())) found.set(text.toLowerCase(), [text, p.get(config)]);
        continue;
      }
      const pattern = new Glob(args[i], true);
      for (const [name, p] of configNames()) {
        if (!found.has(name) && pattern.matches(Buffer.from(name, "latin1"))) found.set(name, [name, p.get(config)]);
      }
    }
    ctx.reply.mapHeader(found.size);
    for (const [k, v] of found.values()) {
      ctx.reply.bulk(k);
      ctx.reply.bulk(v);
    }
  }),
  spec("config|set", -4, ["admin", "noscript", "loading", "stale"], "server", "Sets configuration parameters in-flight.", (ctx, args) => {
    if ((args.length - 2) % 2 !== 0) throw new CommandError(SYNTAX);
    const failed = (name: string, why: string): CommandError => new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    // Redis's order: every name is checked (unknown, immutable, given twice) before any value is.
    const changes: Array<[string, ConfigParam, string]> = [];
    const seen = new Set<string>();
    for (let i = 2; i < args.length; i += 2) {
      const name = lower(args[i]);
      const p = configParam(name);
      if (!p) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${s(args[i])}'`);
      if (!p.set) throw failed(name, "can't set immutable config");
      if (seen.has(name)) throw failed(name, "duplicate parameter");
      seen.add(name);
      changes.push([name, p, s(args[i + 1])]);
    }
    // Validate all on a copy first so a failure changes nothing, as Redis does.
    const trial = { ...ctx.server.config };
    for (const [name, p, v] of changes) {
      const err = p.set!(trial, v);
      if (err) throw failed(name, err);
    }
    const config = ctx.server.config;
    for (const [, p, v] of changes) p.set!(config, v);
    if (ctx.server.log.level !== config.logLevel) ctx.server.log.level = config.logLevel;
    ctx.reply.simple("OK");
  }),
  spec("config|resetstat", 2, ["admin", "noscript", "loading", "stale"], "server", "Resets the server's statistics.", (ctx) => {
    const st = ctx.server.stats;
    st.totalConnections = 0;
    st.rejectedConnections = 0;
    st.totalCommands = 0;
    st.netInputBytes = 0;
    st.netOutputBytes = 0;
    st.outputPauses = 0;
    st.clientsDropped = 0;
    st.stallPauses = 0;
    st.readsProcessed = 0;
    st.writesProcessed = 0;
    const ks = ctx.server.extensions.get("keyspace") as { expiredKeys: number; hits: number; misses: number } | undefined;
    if (ks) ks.expiredKeys = ks.hits = ks.misses = 0;
    const hook = ctx.server.extensions.get("resetstat") as (() => void) | undefined;
    if (hook) hook();
    ctx.reply.simple("OK");
  }),
  spec("config|rewrite", 2, ["admin", "noscript", "loading", "stale"], "server", "Persists the effective configuration to file.", () => {
    throw new CommandError("ERR The server is running without a config file");
  }),
  spec("config|help", 2, ["loading", "stale"], "server", "Returns helpful text about the different subcommands.", (ctx) => {
    helpReply(ctx, "CONFIG", [
      "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
      "RESETSTAT", "    Reset statistics reported by the INFO command.",
      "REWRITE", "    Not available: tskv reads its configuration from flags or --config FILE.",
    ]);
  }),
];

// ---- COMMAND -------------------------------------------------------------------------------------------------

/** COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of a full command by its key specs, with Redis 7.0's refusals. */
function getKeys(ctx: CommandContext, args: Buffer[]): FoundKey[] {
  const table = ctx.server.commands;
  const cmdArgs = args.slice(2);
  const found = table.resolve(cmdArgs);
  const spec = "spec" in found ? found.spec : found.rejected;
  if (!spec) throw new CommandError("ERR Invalid command specified");
  const parent = spec.name.includes("|") ? table.get(spec.name.slice(0, spec.name.indexOf("|"))) : undefined;
  const entry = table.info(spec, parent);
  if (!hasKeys(entry)) throw new CommandError("ERR The command has no key arguments");
  // The arity the entry states (RedisTimeSeries's commands say -1 and check their arguments themselves).
  const arity = entryArity(entry);
  if ((arity > 0 && arity !== cmdArgs.length) || cmdArgs.length < -arity) throw new CommandError("ERR Invalid number of arguments specified for command");
  const keys = keysOf(entry, cmdArgs);
  if (keys === null || keys.length === 0) {
    if (entryFlags(entry).includes("no_mandatory_keys")) return [];
    if (keys === null) throw new CommandError("ERR Invalid arguments specified for command");
  }
  return keys ?? [];
}

const commandCommands: CommandSpec[] = [
  spec("command|count", 2, ["loading", "stale"], "server", "Returns a count of commands.", (ctx) => ctx.reply.integer(ctx.server.commands.size)),
  spec("command|info", -2, ["loading", "stale"], "server", "Returns information about one, multiple or all commands.", (ctx, args) => {
    const table = ctx.server.commands;
    if (args.length === 2) {
      const all = table.all();
      ctx.reply.arrayHeader(all.length);
      for (const c of all) table.writeInfo(ctx.reply, c);
      return;
    }
    ctx.reply.arrayHeader(args.length - 2);
    for (let i = 2; i < args.length; i++) {
      const c = table.find(s(args[i]));
      if (c) table.writeInfo(ctx.reply, c.spec, c.parent);
      else ctx.reply.nullArray();
    }
  }),
  spec("command|docs", -2, ["loading", "stale"], "server", "Returns documentary information about one, multiple or all commands.", (ctx, args) => {
    const table = ctx.server.commands;
    const chosen = args.length === 2 ? table.all().map((spec) => ({ spec, parent: undefined })) : args.slice(2).flatMap((a) => table.find(s(a)) ?? []);
    ctx.reply.mapHeader(chosen.length);
    for (const c of chosen) table.writeDocs(ctx.reply, c.spec, c.parent);
  }),
  spec("command|list", -2, ["loading", "stale"], "server", "Returns a list of command names.", (ctx, args) => {
    // Subcommands are listed too (config|get), as Redis 7.0 lists them.
    const table = ctx.server.commands;
    let names = table.allWithSubcommands().map((c) => c.name);
    if (args.length > 2) {
      if (args.length !== 5 || lower(args[2]) !== "filterby") throw new CommandError(SYNTAX);
      const kind = lower(args[3]);
      if (kind === "pattern") {
        const pattern = new Glob(args[4], true);
        names = names.filter((n) => pattern.matches(Buffer.from(n, "latin1")));
      } else if (kind === "module") {
        // The TS.* commands are RedisTimeSeries's (MODULE LIST's "timeseries"); Redis compares module names without case.
        names = lower(args[4]) === TIMESERIES_MODULE.name ? names.filter((n) => n.startsWith("ts.")) : [];
      } else if (kind === "aclcat") {
        const cat = `@${lower(args[4])}`;
        names = table.allWithSubcommands().filter((c) => aclCategoriesOf(table, c).includes(cat)).map((c) => c.name);
      } else throw new CommandError(SYNTAX);
    }
    ctx.reply.arrayHeader(names.length);
    for (const n of names) ctx.reply.bulk(n);
  }),
  spec("command|getkeys", -4, ["loading", "stale"], "server", "Extracts the key names from an arbitrary command.", (ctx, args) => {
    const keys = getKeys(ctx, args);
    ctx.reply.arrayHeader(keys.length);
    for (const k of keys) ctx.reply.bulk(k.key);
  }, { since: "2.8.13" }),
  spec("command|getkeysandflags", -4, ["loading", "stale"], "server", "Extracts the key names and access flags for an arbitrary command.", (ctx, args) => {
    const keys = getKeys(ctx, args);
    ctx.reply.arrayHeader(keys.length);
    for (const k of keys) {
      ctx.reply.arrayHeader(2);
      ctx.reply.bulk(k.key);
      ctx.reply.setHeader(k.flags.length);
      for (const f of k.flags) ctx.reply.simple(f);
    }
  }, { since: "7.0.0" }),
  spec("command|help", 2, ["loading", "stale"], "server", "Returns helpful text about the different subcommands.", (ctx) => {
    // Redis 7.0.15's text, word for word.
    helpReply(
      ctx,
      "COMMAND",
      [
        "(no subcommand)", "    Return details about all Redis commands.",
        "COUNT", "    Return the total number of commands in this Redis server.",
        "LIST", "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
      ],
      "Prints",
    );
  }),
];

/** A command's ACL categories as its COMMAND INFO entry lists them (without the @). */
function aclCategoriesOf(table: CommandTable, c: CommandSpec): string[] {
  const parent = c.name.includes("|") ? table.get(c.name.slice(0, c.name.indexOf("|"))) : undefined;
  const entry = table.info(c, parent) as unknown as unknown[];
  return ((entry[6] as { S: Array<{ s: string }> }).S ?? []).map((x) => x.s);
}

// ---- MODULE ---------------------------------------------------------------------------------------------------

/** Redis 7.0's answer to MODULE LOAD/LOADEX/UNLOAD under its default `enable-module-command no` (tskv's only mode). */
const MODULE_NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

const moduleRefused: Handler = () => {
  throw new CommandError(MODULE_NOT_ALLOWED);
};

const moduleCommands: CommandSpec[] = [
  spec("module|list", 2, ["admin", "noscript"], "server", "Returns all loaded modules.", (ctx) => writeModuleList(ctx.reply), { since: "4.0.0" }),
  spec("module|load", -3, ["admin", "noscript"], "server", "Loads a module (tskv's module is built in; it loads no others).", moduleRefused, { since: "4.0.0" }),
  spec("module|loadex", -3, ["admin", "noscript"], "server", "Loads a module using extended parameters (tskv loads no modules).", moduleRefused, { since: "7.0.0" }),
  spec("module|unload", 3, ["admin", "noscript"], "server", "Unloads a module (tskv's module is built in).", moduleRefused, { since: "4.0.0" }),
  spec("module|help", 2, ["loading", "stale"], "server", "Returns helpful text about the different subcommands.", (ctx) => {
    // Redis 7.0.15's text, word for word.
    helpReply(
      ctx,
      "MODULE",
      [
        "LIST", "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]", "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]", "    Load a module library from <path>, while passing it module configurations and optional arguments.",
        "UNLOAD <name>", "    Unload a module.",
      ],
      "Prints",
    );
  }, { since: "5.0.0" }),
];

// ---- the family ----------------------------------------------------------------------------------------------

function unsupported(name: string, arity: number, what: string, extra: Partial<CommandSpec> = {}): CommandSpec {
  return spec(name, arity, ["noscript"], "server", `Not supported by tskv (${what}).`, () => {
    throw new CommandError(`ERR tskv does not support ${what} ('${name}')`);
  }, extra);
}

export const serverCommands: CommandSpec[] = [
  spec("ping", -1, ["fast", "stale"], "connection", "Returns the server's liveliness response.", (ctx, args) => {
    if (args.length > 2) throw new CommandError("ERR wrong number of arguments for 'ping' command");
    if (args.length === 2) ctx.reply.bulk(args[1]);
    else ctx.reply.simple("PONG");
  }),
  spec("echo", 2, ["fast"], "connection", "Returns the given string.", (ctx, args) => ctx.reply.bulk(args[1])),
  spec("quit", -1, ["no_auth", "loading", "stale", "fast", "allow_busy"], "connection", "Closes the connection.", (ctx) => {
    ctx.reply.simple("OK");
    (ctx as unknown as { closeAfterReply: boolean }).closeAfterReply = true;
  }),
  spec("hello", -1, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], "connection", "Handshakes with the Redis server.", hello, { since: "6.0.0" }),
  spec("auth", -2, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], "connection", "Authenticates the connection.", auth),
  spec("select", 2, ["loading", "stale", "fast"], "connection", "Changes the selected database.", (ctx, args) => {
    const n = integerArg(args[1]);
    if (n !== 0) throw new CommandError("ERR DB index is out of range");
    ctx.reply.simple("OK");
  }),
  spec("client", -2, ["stale"], "connection", "A container for client connection commands.", () => undefined, { subcommands: clientCommands }),
  spec("config", -2, [], "server", "A container for server configuration commands.", () => undefined, { subcommands: configCommands }),
  spec("command", -1, ["loading", "stale"], "server", "Returns detailed information about all commands.", (ctx, args) => {
    if (args.length !== 1) return;
    const all = ctx.server.commands.all();
    ctx.reply.arrayHeader(all.length);
    for (const c of all) ctx.server.commands.writeInfo(ctx.reply, c);
  }, { subcommands: commandCommands }),
  spec("module", -2, [], "server", "A container for module commands.", () => undefined, { subcommands: moduleCommands, since: "4.0.0" }),
  spec("info", -1, ["loading", "stale"], "server", "Returns information and statistics about the server.", (ctx, args) => {
    ctx.reply.verbatim("txt", renderInfo(ctx.server, args.slice(1).map((a) => lower(a))));
  }),
  spec("time", 1, ["loading", "stale", "fast"], "server", "Returns the server time.", (ctx) => {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk(String(Math.floor(us / 1e6)));
    ctx.reply.bulk(String(us % 1e6));
  }),
  spec("function", -2, [], "scripting", "A container for function commands.", () => undefined, {
    subcommands: [
      spec("function|flush", -2, ["write", "noscript"], "scripting", "Deletes all libraries and functions (tskv has none).", (ctx, args) => {
        if (args.length > 3) throw new CommandError(SYNTAX);
        if (args.length === 3 && !["async", "sync"].includes(lower(args[2]))) {
          throw new CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        }
        ctx.reply.simple("OK");
      }),
      spec("function|list", -2, ["noscript"], "scripting", "Returns information about all libraries (tskv has none).", (ctx) => ctx.reply.arrayHeader(0)),
    ],
  }),
  spec("shutdown", -1, ["admin", "noscript", "loading", "stale", "no_auth", "allow_busy"], "server", "Synchronously saves the database(s) to disk and shuts down the Redis server.", (ctx, args) => {
    if (!ctx.client.authenticated) throw new CommandError("NOAUTH Authentication required.");
    for (let i = 1; i < args.length; i++) {
      const opt = lower(args[i]);
      if (!["nosave", "save", "now", "force"].includes(opt)) {
        if (opt === "abort") throw new CommandError("ERR No shutdown in progress.");
        throw new CommandError(SYNTAX);
      }
    }
    ctx.server.shutdown("SHUTDOWN command");
  }),
  spec("debug", -2, ["admin", "noscript", "loading", "stale"], "server", "A container for debugging commands.", (ctx, args) => {
    const sub = lower(args[1]);
    if (sub === "sleep" && args.length === 3) {
      const secs = Number(s(args[2]));
      if (!Number.isFinite(secs) || secs < 0) throw new CommandError("ERR value is not a valid float");
      // libuv timers run on the loop's cached millisecond clock and may fire a fraction of a millisecond early:
      // wait again until the full time has passed, as Redis's DEBUG SLEEP guarantees.
      const until = performance.now() + secs * 1000;
      return new Promise<void>((resolve) => {
        const wait = (): void => {
          const left = until - performance.now();
          if (left > 0) {
            setTimeout(wait, Math.max(1, Math.ceil(left)));
            return;
          }
          ctx.reply.simple("OK");
          resolve();
        };
        wait();
      });
    }
    throw new CommandError(`ERR DEBUG subcommand '${s(args[1])}' is not supported by tskv`);
  }),
  unsupported("eval", -3, "Lua scripting"),
  unsupported("evalsha", -3, "Lua scripting"),
  unsupported("script", -2, "Lua scripting"),
  unsupported("fcall", -3, "functions"),
  unsupported("subscribe", -2, "pub/sub"),
  unsupported("psubscribe", -2, "pub/sub"),
  unsupported("unsubscribe", -1, "pub/sub"),
  unsupported("punsubscribe", -1, "pub/sub"),
  unsupported("publish", 3, "pub/sub"),
  unsupported("swapdb", 3, "numbered databases"),
  unsupported("move", 3, "numbered databases", { firstKey: 1, lastKey: 1, step: 1 }),
  unsupported("replicaof", 3, "replication"),
  unsupported("slaveof", 3, "replication"),
  unsupported("sync", 1, "replication"),
  unsupported("psync", -3, "replication"),
  unsupported("bgsave", -1, "RDB snapshots (data is always on disk)"),
  unsupported("save", 1, "RDB snapshots (data is always on disk)"),
  unsupported("bgrewriteaof", 1, "AOF rewrites (tskv has a WAL and compaction)"),
  unsupported("cluster", -2, "cluster mode"),
  unsupported("acl", -2, "ACL users (use --requirepass)"),
];

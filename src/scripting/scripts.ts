/**
 * EVAL scripts: the script cache (sha1 -> body), shebang flags, and running
 * a script with redis.call / redis.pcall going through the dispatcher's
 * call() on a pseudo client that shares the caller's database.
 *
 * Gates a script's commands pass, in Redis's order (scriptCall): at least
 * one argument, a known command, arity, not `noscript`, and no write from a
 * read-only script (EVAL_RO, or the `no-writes` flag). Blocking commands do
 * not block: the pseudo client is an internal one (commands/blocking.ts
 * mayBlock). What the commands change is propagated by call() itself, all
 * in one MULTI/EXEC with the caller's command; EVAL itself is not.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Err, ReplyError } from '../protocol/errors.js';
import { splitArgs } from '../protocol/parser.js';
import { HELD_ARRAY, HELD_NONE, HELD_OK, type HeldItem } from '../protocol/writer.js';
import { cstr } from '../util/strings.js';
import { call, diskWriteError, goodReplicasOk } from '../server/dispatcher.js';
import { ACL_OK, DENIED_CMD } from '../acl/user.js';
import { clockUsec, nowUsec } from '../observability/info.js';
import { lookupSub } from '../commands/registry.js';
import { PROPAGATE_ALL } from '../server/propagate.js';
import { argInt } from '../commands/args.js';
import type { Ctx, CommandFlag, CommandSpec } from '../commands/spec.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import {
  compileError,
  errText,
  freeChunk,
  luaToReply,
  makeBodyChunk,
  runChunkInto,
  type Chunk,
  type LuaDebug,
  type ScriptHost,
} from './lua.js';
import { scriptCheck } from '../cluster/redirect.js';
import { jsCall, lineHook, logCall, logRefusal, logReply, type LdbSession } from './ldb.js';
import {
  ERROR_SHADOW,
  FLAG_ALLOW_CROSS_SLOT,
  FLAG_ALLOW_OOM,
  FLAG_ALLOW_STALE,
  FLAG_EVAL_COMPAT,
  FLAG_NO_CLUSTER,
  FLAG_NO_WRITES,
  SCRIPT_FLAGS,
  usesErrors,
} from './sandbox.js';
import { jsCompile, jsState, runJs, type JsFailure, type TickHost } from './jslua/engine.js';
import { cjsonSettingsTouched, usesCjson } from './jslua/env.js';
import type { CompiledChunk } from './jslua/compile.js';
import { LuaTable } from './jslua/table.js';
import type { LuaValue } from './jslua/value.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/** Shebang flags (`#!lua flags=...`), by name. */
const FLAG_NAMES: ReadonlyMap<string, number> = new Map(SCRIPT_FLAGS);

export interface Script {
  sha: string;
  /** The body as sent (latin1). */
  body: string;
  /**
   * What Lua runs: the body with its shebang line emptied (line numbers
   * kept), wrapped so only its first return value is the result (Redis
   * keeps the first; the VM would keep the last).
   */
  chunk: Chunk;
  flags: number;
  /** The body compiled by jslua (jslua/engine.ts), null when the WebAssembly VM runs it; compiled at the first run (jsFor). */
  js?: CompiledChunk | null;
  /** Compiled by jslua and uses cjson (it runs on the VM once a script may have changed cjson's settings there). */
  jsCjson?: boolean;
  /** Run on the VM, it may change cjson's settings (jslua/env.ts cjsonSettingsTouched). */
  touchesCjson?: boolean;
}

/** Per-server scripting state. */
export interface ScriptingState {
  /** EVAL/SCRIPT LOAD scripts by lowercase sha1 (Redis 7.2 keeps them until SCRIPT FLUSH). */
  scripts: Map<string, Script>;
  /** Bytes of the cached bodies (INFO used_memory_scripts_eval). */
  bodyBytes: number;
  /** The pseudo client scripts run their commands as (created on first use). */
  luaClient: Client | null;
  /** The host of this server's runs (made on the first run; runs never nest). */
  host: RunHost | null;
  /** The script or function running now (SCRIPT KILL, FUNCTION KILL / STATS), or null. */
  running: RunHost | null;
  /** The Lua debugger's session while a debugged EVAL runs (ldb.ts), or null. */
  ldb: LdbSession | null;
}

/** A server's scripting state (Server.scripting.eval, made on first use). */
export function scripting(server: Server): ScriptingState {
  return (server.scripting.eval ??= {
    scripts: new Map(),
    bodyBytes: 0,
    luaClient: null,
    host: null,
    running: null,
    ldb: null,
  });
}

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

/**
 * Splits a body into its shebang flags and the chunk Lua compiles, throwing
 * Redis's errors for a bad shebang. No shebang: FLAG_EVAL_COMPAT.
 */
export function parseShebang(body: string): { flags: number; chunk: string } {
  if (!body.startsWith('#!')) return { flags: FLAG_EVAL_COMPAT, chunk: body };
  // (Redis looks for the line's end with strchr: a NUL before it hides it)
  const nl = body.indexOf('\n');
  const nul = body.indexOf('\0');
  if (nl < 0 || (nul >= 0 && nul < nl)) throw new ReplyError(Err.shebangInvalid);
  // the line split as sdssplitargs splits it (quotes and escapes), names compared as C strings
  const parts = splitArgs(body.slice(0, nl));
  if (parts === null || parts.length === 0) throw new ReplyError(Err.shebangNoEngine);
  if (cstr(parts[0]!) !== '#!lua') throw new ReplyError(Err.shebangEngine(parts[0]!));
  let flags = 0;
  for (const p of parts.slice(1)) {
    if (!p.startsWith('flags=')) throw new ReplyError(Err.shebangOption(p));
    const list = p.slice(6);
    if (list === '') continue;
    for (const f of list.split(',')) {
      const bit = FLAG_NAMES.get(cstr(f));
      if (bit === undefined) throw new ReplyError(Err.shebangFlag(f));
      flags |= bit;
    }
  }
  return { flags, chunk: body.slice(nl) };
}

/**
 * The flags a call of a script with declared flags has (Redis's
 * scriptFlagsToCmdFlags): its declarations replace EVAL's/FCALL's write,
 * denyoom, stale and may_replicate. Memoised: a handful of combinations.
 */
export function scriptCallFlags(cmdFlags: readonly CommandFlag[], scriptFlags: number): readonly CommandFlag[] {
  if ((scriptFlags & FLAG_EVAL_COMPAT) !== 0) return cmdFlags;
  let byScript = callFlagsMemo.get(cmdFlags);
  if (byScript === undefined) callFlagsMemo.set(cmdFlags, (byScript = new Map()));
  let out = byScript.get(scriptFlags);
  if (out === undefined) {
    const f: CommandFlag[] = cmdFlags.filter(
      (x) => x !== 'stale' && x !== 'denyoom' && x !== 'write' && x !== 'may_replicate',
    );
    if ((scriptFlags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES)) === 0) f.push('denyoom');
    if ((scriptFlags & FLAG_NO_WRITES) === 0) f.push('write');
    if ((scriptFlags & FLAG_ALLOW_STALE) !== 0) f.push('stale');
    byScript.set(scriptFlags, (out = f));
  }
  return out;
}
const callFlagsMemo = new WeakMap<readonly CommandFlag[], Map<number, readonly CommandFlag[]>>();

/** Adds a body to the cache (parsing its shebang and compiling it once), or returns the cached one. */
export function createScript(server: Server, body: string, sha = sha1hex(body)): Script {
  const st = scripting(server);
  const cached = st.scripts.get(sha);
  if (cached !== undefined) return cached;
  const { flags, chunk } = parseShebang(body);
  const err = compileError(chunk);
  if (err !== null) throw new ReplyError(Err.scriptCompile(err));
  const s: Script = { sha, body, chunk: makeBodyChunk(`${usesErrors(body) ? ERROR_SHADOW : ''}${chunk}`), flags };
  st.scripts.set(sha, s);
  st.bodyBytes += body.length;
  return s;
}

/** SCRIPT FLUSH. */
export function flushScripts(server: Server): void {
  const st = scripting(server);
  for (const s of st.scripts.values()) freeChunk(s.chunk);
  st.scripts.clear();
  st.bodyBytes = 0;
}

/** Drops one script from the cache (a SCRIPT DEBUG YES session's, undone: ldb.ts). */
export function forgetScript(server: Server, sha: string): void {
  const st = scripting(server);
  const s = st.scripts.get(sha);
  if (s === undefined) return;
  freeChunk(s.chunk);
  st.scripts.delete(sha);
  st.bodyBytes -= s.body.length;
}

/**
 * EVAL & co. and FCALL are `skip_monitor`: MONITOR shows them as their
 * handler starts (even when they then fail), before the commands they run.
 */
export function feedMonitors(ctx: Ctx): void {
  if (ctx.server.monitors.clients.size !== 0) ctx.server.monitors.feed(ctx.client, ctx.argv);
}

/** Parses numkeys at argv[2] with Redis's errors; returns it. */
export function parseNumkeys(argv: string[]): number {
  const n = argInt(argv[2]!);
  if (n > argv.length - 3) throw new ReplyError(Err.numkeysBeyondArgs);
  if (n < 0) throw new ReplyError(Err.numkeysNegative);
  return n;
}

// The gates' refusals, as RESP error replies.
const ERR_NO_ARGS = `-${Err.scriptNoArgs}\r\n`;
const ERR_UNKNOWN = `-${Err.scriptUnknownCommand}\r\n`;
const ERR_ARITY = `-${Err.scriptArity}\r\n`;
const ERR_NOSCRIPT = `-${Err.scriptNotAllowed}\r\n`;
const ERR_RO_WRITE = `-${Err.scriptRoWrite}\r\n`;
const ERR_NOREPLICAS = `-${Err.noReplicas}\r\n`;
const ERR_READONLY_REPLICA = `-${Err.readonlyReplica}\r\n`;
const ERR_OOM = `-${Err.oom}\r\n`;
const ERR_STALE = `-${Err.scriptStale}\r\n`;

/** The engine's error kinds, worded as Redis 7 words them. */
function kindText(kind: string, name: string | undefined, line: number, chunkName: string): string {
  switch (kind) {
    case 'global-read':
      return Err.scriptGlobalRead(chunkName, line, name ?? '');
    case 'command-arg-type':
      return Err.scriptArgType;
    default:
      return Err.withErrCode(kind);
  }
}

/** Gate bits of a command called from a script (see gateBits). */
const G_NOSCRIPT = 1;
const G_WRITE = 2;
/** `write` or `may_replicate`: what a read-only script may not call (Redis counts PUBLISH, PFCOUNT... as writes there). */
const G_REPLICATES = 4;
/** `denyoom`: refused before the script's first write when the command started out of memory. */
const G_DENYOOM = 8;
/** `stale`: runs on a replica whose link is down with replica-serve-stale-data no. */
const G_STALE = 16;
/** Gate bits by command id (CommandSpec.id; a subcommand's container is always the same), -1 until read. */
const gates: number[] = [];

/** `noscript` (on the command or its container), `write`, `may_replicate`, `denyoom` and `stale`, read once per command. */
function gateBits(cmd: CommandSpec, parent: CommandSpec | undefined): number {
  const id = cmd.id;
  if (id !== undefined) {
    const g = gates[id];
    if (g !== undefined && g >= 0) return g;
  }
  let g = 0;
  if (cmd.flags.includes('noscript') || (parent !== undefined && parent.flags.includes('noscript'))) g |= G_NOSCRIPT;
  if (cmd.flags.includes('write')) g |= G_WRITE | G_REPLICATES;
  if (cmd.flags.includes('may_replicate')) g |= G_REPLICATES;
  if (cmd.flags.includes('denyoom')) g |= G_DENYOOM;
  if (cmd.flags.includes('stale')) g |= G_STALE;
  if (id !== undefined) {
    while (gates.length <= id) gates.push(-1);
    gates[id] = g;
  }
  return g;
}

/** Command names a server's script host keeps looked up (RunHost.lookup). */
const NAME_CACHE = 256;

/** Lua ticks (1000 instructions each) between two looks at the clock. */
const TICKS_PER_CLOCK = 8;
/** While busy: at most one round of serving other clients per this many ms. */
const SERVE_EVERY_MS = 1;

/**
 * What a running script's redis.call / redis.pcall / redis.setresp /
 * redis.log reach: the gates of scriptCall, then the dispatcher's call() on
 * the scripts' pseudo client. One per server, re-aimed by each run
 * (runs never nest). It also keeps the run's state for SCRIPT KILL and
 * FUNCTION STATS, and its tick (lua.ts) turns the server "busy" once the
 * run passes busy-reply-threshold (Redis's scriptInterrupt).
 */
class RunHost implements ScriptHost, TickHost {
  lua!: Client;
  noWrites = false;
  /** The script may run commands that grow memory when out of memory (its `allow-oom` flag: SCRIPT_ALLOW_OOM). */
  allowOom = false;
  /** The script may touch keys of several slots in cluster mode (its `allow-cross-slot-keys` flag). */
  allowCrossSlot = false;
  /** The client whose command runs the script (not served while busy, as Redis protects it). */
  caller: Client | null = null;
  /** The caller's command (FUNCTION STATS). */
  argv: string[] = [];
  /** An EVAL script (else a function). */
  isEval = true;
  /** The sha of a script, a function's name. */
  name = '';
  /** performance.now() at the start. */
  start = DOUBLE_ZERO;
  /**
   * The wall time (µs) TIME says during the run (scriptTimeUsec): its start,
   * moved on each time other clients are served while it is busy (tick).
   */
  startUs = DOUBLE_ZERO;
  threshold = 5000;
  ticks = 0;
  /** Past busy-reply-threshold: other clients are served, with BUSY for most commands. */
  busy = false;
  lastServe = 0;
  /** A write command was called: the run can no longer be killed (SCRIPT_WRITE_DIRTY). */
  wrote = false;
  /** SCRIPT KILL / FUNCTION KILL accepted, or the server is shutting down: the run must end. */
  killed = false;
  /** The error texts this run's commands replied (counted then; the script repeating one is not counted again). */
  readonly cmdErrors = new Set<string>();
  /** The Lua debugger's session of a debugged run (ldb.ts), or null. */
  ldb: LdbSession | null = null;
  /** Set for a debugged run: the VM's line hook (lua.ts ScriptHost). */
  debugHook?: ((line: number, dbg: LuaDebug) => void) | undefined;
  constructor(private readonly server: Server) {}

  /**
   * The script's JS functions (sandbox.ts jsfn): redis.set_repl (3, its
   * flags checked there), redis.acl_check_cmd (4), else the debugger's
   * redis.breakpoint / redis.debug (ldb.ts jsCall). Returns the results pushed.
   */
  jsCall(id: number, dbg: LuaDebug): number {
    if (id === 3) {
      // Redis's scriptSetRepl: the flags are PROPAGATE_AOF | PROPAGATE_REPL bits
      this.lua.replTarget = Number(dbg.argStrings()[0]);
      return 0;
    }
    if (id === 4) {
      const allowed = this.aclCheckCmd(dbg.argStrings());
      if (allowed === null) return 0;
      dbg.pushBoolean(allowed);
      return 1;
    }
    return jsCall(this.ldb, id, dbg);
  }

  /**
   * redis.acl_check_cmd: whether the caller's user may run argv (Redis's
   * ACLCheckAllUserCommandPerm on lookupCommand's result: a container
   * with a subcommand argument is checked as that subcommand); null when
   * there is no such command.
   */
  private aclCheckCmd(argv: string[]): boolean | null {
    return this.server.acl.mayRun(this.lua.user, argv, this.server.commands.lookup(argv[0]!));
  }

  /** Ready for a new run. */
  begin(caller: Client, argv: string[], isEval: boolean, name: string): void {
    this.caller = caller;
    this.argv = argv;
    this.isEval = isEval;
    this.name = name;
    // the command's start as call() took it (server.mark, in a batch), read once for both clocks
    const server = this.server;
    const t = server.mark >= 0 ? server.mark : performance.now();
    this.start = t;
    this.startUs = nowUsec(server, t);
    this.threshold = this.server.config.v['busy-reply-threshold'];
    this.ticks = 0;
    this.busy = false;
    this.wrote = false;
    this.killed = false;
    // (clearing an empty Set still allocates V8 a new table: 60 ns a run)
    if (this.cmdErrors.size !== 0) this.cmdErrors.clear();
    const s = scripting(this.server).ldb;
    this.ldb = isEval ? s : null;
    this.debugHook = this.ldb === null ? undefined : (line, dbg) => lineHook(s!, line, dbg);
  }

  /** The run ended: the server leaves busy mode. */
  end(): void {
    if (this.busy) this.server.conns.endBusy();
    this.busy = false;
    this.caller = null;
    this.argv = [];
  }

  tick(): boolean {
    if (++this.ticks < TICKS_PER_CLOCK) return this.killed;
    this.ticks = 0;
    const now = performance.now();
    if (!this.busy) {
      if (now - this.start < this.threshold) return false;
      this.busy = true;
      this.server.log.warning(
        `Slow script detected: still in execution after ${Math.floor(now - this.start)} milliseconds. ` +
          `You can try killing the script using the ${this.isEval ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${this.name}.`,
      );
      this.server.conns.beginBusy(this.isEval ? Err.busyEval : Err.busyFunction);
    } else if (now - this.lastServe < SERVE_EVERY_MS) return this.killed;
    this.lastServe = now;
    // Redis's processEventsWhileBlocked updates its cached time: TIME moves on in a busy script
    this.startUs = clockUsec(this.server);
    this.server.conns.serveWhileBusy(this.caller);
    // SHUTDOWN NOSAVE ran: the script ends so the event loop can finish the shutdown.
    if (this.server.closing) this.killed = true;
    return this.killed;
  }
  call(argv: string[]): string {
    const s = this.ldb;
    if (s === null || !s.logging) return this.run(argv);
    // a debugged step: the command and its reply (or the refusal) are logged (ldb.ts)
    if (argv.length !== 0) logCall(s, argv);
    const out = this.run(argv);
    if (this.refusedNow) logRefusal(s, out);
    else logReply(s, out);
    return out;
  }

  /**
   * Commands by the name a script called them with (`redis.call('SET', ...)`):
   * the command table is keyed by lowercase names, so each call of an
   * uppercase name lowercased it (a new string, hashed) before this. The
   * bridge hands back the same string object for a name it saw recently
   * (lua-bridge.ts commandName), whose hash V8 keeps. Bounded: cleared past
   * NAME_CACHE entries. The table does not change once the server runs
   * (rename-command is a start-up setting).
   */
  private readonly byName = new Map<string, CommandSpec>();

  private lookup(name: string): CommandSpec | undefined {
    let cmd = this.byName.get(name);
    if (cmd !== undefined) return cmd;
    cmd = this.server.commands.lookup(name);
    if (cmd !== undefined) {
      if (this.byName.size >= NAME_CACHE) this.byName.clear();
      this.byName.set(name, cmd);
    }
    return cmd;
  }

  /** The last run() was refused by a gate (for the debugger's log). */
  private refusedNow = false;

  private run(argv: string[]): string {
    this.refusedNow = false;
    if (argv.length === 0) return this.refused(ERR_NO_ARGS, undefined);
    let cmd: CommandSpec | undefined = this.lookup(argv[0]!);
    let parent: CommandSpec | undefined;
    if (cmd !== undefined && cmd.subcommands && argv.length >= 2) {
      parent = cmd;
      cmd = lookupSub(cmd, argv[1]!);
    }
    if (cmd === undefined) return this.refused(ERR_UNKNOWN, undefined);
    const arity = cmd.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return this.refused(ERR_ARITY, cmd, parent);
    const g = gateBits(cmd, parent);
    if ((g & G_NOSCRIPT) !== 0 && !this.server.debugFlags.allowDenyScripts)
      return this.refused(ERR_NOSCRIPT, cmd, parent);
    // Redis's scriptVerifyAllowStale: on a stale replica only `stale` commands (an allow-stale script's)
    if ((g & G_STALE) === 0 && this.server.replica.servingStale) return this.refused(ERR_STALE, cmd, parent);
    // Redis's scriptVerifyACL: the script runs as its caller's user
    const lua = this.lua;
    if (!lua.user.unrestricted) {
      const denied = this.aclDenied(cmd, parent, argv);
      if (denied !== null) return this.refused(denied, cmd, parent);
    }
    if (this.noWrites && (g & G_REPLICATES) !== 0) return this.refused(ERR_RO_WRITE, cmd, parent);
    // Redis's scriptVerifyWriteCommandAllow: the server's state may refuse a first write
    if ((g & G_WRITE) !== 0 && !this.wrote) {
      // a read-only replica: only its primary's scripts write
      const server = this.server;
      if (server.repl.following && server.config.v['replica-read-only'] && !(this.caller?.mustObey ?? false))
        return this.refused(ERR_READONLY_REPLICA, cmd, parent);
      const diskError = diskWriteError(this.server);
      if (diskError !== null) return this.refused(`-${diskError}\r\n`, cmd, parent);
      if (!goodReplicasOk(this.server)) return this.refused(ERR_NOREPLICAS, cmd, parent);
    }
    // Redis's scriptVerifyOOM: out of memory when the command started, and no write yet (after one, the script must go on)
    if ((g & G_DENYOOM) !== 0 && !this.allowOom && !this.wrote && this.oomAtStart())
      return this.refused(ERR_OOM, cmd, parent);
    if ((g & G_WRITE) !== 0) this.wrote = true;
    // Redis's scriptVerifyClusterState: keys of this node only, and of one slot unless allowed
    const cluster = this.server.cluster;
    if (cluster.enabled && this.caller !== null && !this.caller.mustObey) {
      const err = scriptCheck(this.server, cluster, this.caller, lua, cmd, parent, argv, this.allowCrossSlot);
      if (err !== null) return this.refused(`-${err}\r\n`, cmd, parent);
    }
    call(this.server, lua, cmd, argv, parent);
    const reply = lua.reply;
    if (reply.heldKind !== HELD_NONE) {
      // the reply is the value jslua takes (takeHeld), or the text of that value and what followed it
      if (reply.out.length === 0 && reply.heldWhole) return '';
      reply.spill();
    }
    const out = reply.out;
    reply.out = '';
    if (out.charCodeAt(0) === 45 /* - */) this.cmdErrors.add(reply.lastError);
    return out;
  }

  /**
   * The reply of the command call() just ran when it returned '' (jslua,
   * Reply.capture), as Lua gets it: the held bulk string or integer, +OK as
   * a status table, an array as a table (nulls false: RESP2).
   */
  takeHeld(): LuaValue {
    const reply = this.lua.reply;
    const kind = reply.heldKind;
    const v = reply.held;
    reply.dropHeld();
    if (kind === HELD_NONE) return undefined; // (no reply at all: nil, as the empty text parses)
    if (kind === HELD_ARRAY) return LuaTable.from(v as HeldItem[]);
    if (kind !== HELD_OK) return v as HeldItem;
    return LuaTable.single('ok', 'OK');
  }

  /**
   * The ACL check of a script's command: null when allowed, else the error
   * the script gets (`ACL failure in script: ...`), logged with context lua.
   */
  private aclDenied(cmd: CommandSpec, parent: CommandSpec | undefined, argv: string[]): string | null {
    const acl = this.server.acl;
    const lua = this.lua;
    const res = acl.check(lua.user, cmd, parent, argv);
    if (res === ACL_OK) return null;
    const at = acl.deniedAt;
    const fullname = parent ? `${parent.name}|${cmd.name}` : cmd.name;
    // the log's client-info is the caller's, naming its EVAL or FCALL (Redis sets lastcmd before running it)
    if (this.caller !== null && this.argv.length !== 0) this.caller.lastCmd = this.argv[0]!.toLowerCase();
    acl.addLog(
      lua,
      res,
      'lua',
      res === DENIED_CMD ? fullname : argv[at]!,
      null,
      this.caller === null ? argv : this.argv,
    );
    return `-${Err.aclScriptFailure(acl.errorMessage(res, lua.user, fullname, argv[at]!, false))}\r\n`;
  }

  /** The OOM state when the caller's command started, with memory limits on (not for the AOF or a primary). */
  private oomAtStart(): boolean {
    const ev = this.server.evict;
    return ev.preCommandOom && (ev.maxmemory !== 0 || ev.heapNear) && !(this.caller?.mustObey ?? false);
  }

  /**
   * A command the script may not run: its error is counted (errorstats, and
   * rejected_calls of a known command) as Redis's scriptCall counts it, then
   * handed to the script.
   */
  private refused(err: string, cmd: CommandSpec | undefined, parent?: CommandSpec): string {
    this.refusedNow = true;
    const text = err.slice(1, -2);
    const stats = this.server.stats;
    stats.countError(text.slice(0, text.indexOf(' ')));
    stats.errorsCharged = stats.totalErrorReplies; // charged here: the script's command does not fail for it
    if (cmd !== undefined) stats.command(cmd, parent).rejected++;
    this.cmdErrors.add(text);
    return err;
  }
  setResp(v: 2 | 3): void {
    this.lua.resp = v;
  }
  /** The script's protocol now (jslua: redis.setresp). */
  get resp(): 2 | 3 {
    return this.lua.resp;
  }
  /** redis.set_repl (jslua; the VM's goes through jsCall). */
  setRepl(flags: number): void {
    this.lua.replTarget = flags;
  }
  /** redis.acl_check_cmd (jslua). */
  aclCheck(argv: string[]): boolean | null {
    return this.aclCheckCmd(argv);
  }
  log(level: number, message: string): void {
    logAt(this.server, level, message);
  }
}

/** redis.log from a script or a library: Redis's levels (0 debug ... 3 warning) on the server's log. */
export function logAt(server: Server, level: number, message: string): void {
  const log = server.log;
  if (level <= 0) log.debug(message);
  else if (level === 1) log.verbose(message);
  else if (level === 2) log.notice(message);
  else log.warning(message);
}

/** What runGeneric runs: an EVAL script or a library's function. */
export interface Runnable {
  chunk: Chunk;
  flags: number;
  /** Named in errors: the sha of a script, a function's name. */
  name: string;
  /** 'user_script' or 'user_function'. */
  chunkName: string;
  /** jslua's compiled form, when it runs this (EVAL scripts only). */
  js?: CompiledChunk | null;
}

/**
 * Runs `script` for ctx's client with `numkeys` keys from argv[3...] and
 * writes its result (or Redis's error for a failed script) to ctx.reply.
 * `readOnly`: run by EVAL_RO/EVALSHA_RO.
 */
export function runScript(ctx: Ctx, script: Script, numkeys: number, readOnly: boolean): void {
  const keys = ctx.argv.slice(3, 3 + numkeys);
  const args = ctx.argv.slice(3 + numkeys);
  runGeneric(
    ctx,
    {
      chunk: script.chunk,
      flags: script.flags,
      name: script.sha,
      chunkName: 'user_script',
      js: jsFor(ctx.server, script),
    },
    keys,
    args,
    readOnly,
  );
}

/**
 * The engine of a script's run: jslua's compiled form, or null for the
 * WebAssembly VM (jslua refused it, jslua is off, or it uses cjson after a
 * script on the VM may have changed cjson's settings there). Compiles the
 * script for jslua at its first run.
 */
function jsFor(server: Server, script: Script): CompiledChunk | null {
  if (script.js === undefined && server.debugFlags.jslua) {
    const src = parseShebang(script.body).chunk;
    script.js = jsCompile(src);
    script.jsCjson = script.js !== null && usesCjson(src);
    script.touchesCjson = script.js === null && cjsonSettingsTouched(src);
  }
  const js = server.debugFlags.jslua ? script.js : null;
  if (js && !(script.jsCjson === true && jsState.cjsonTouched)) return js;
  // (once per script: the VM's runs of a script jslua never compiled read it here)
  if ((script.touchesCjson ??= cjsonSettingsTouched(script.body))) jsState.cjsonTouched = true;
  return null;
}

/**
 * Runs a script or function with KEYS and ARGV for ctx's client and writes
 * its result, or Redis's error for a failed run, to ctx.reply. `readOnly`:
 * run by a *_RO command.
 */
export function runGeneric(ctx: Ctx, run: Runnable, keys: string[], args: string[], readOnly: boolean): void {
  const { server, client } = ctx;
  const noWrites = readOnly || (run.flags & FLAG_NO_WRITES) !== 0;
  // Redis's scriptPrepareForRun, in its order
  if ((run.flags & (FLAG_EVAL_COMPAT | FLAG_NO_CLUSTER)) === FLAG_NO_CLUSTER && server.cluster.enabled)
    throw new ReplyError(Err.scriptNoCluster);
  if (server.replica.servingStale) {
    if ((run.flags & FLAG_EVAL_COMPAT) !== 0) throw new ReplyError(Err.masterDown);
    if ((run.flags & FLAG_ALLOW_STALE) === 0) throw new ReplyError(Err.masterDownScript);
  }
  if (readOnly && (run.flags & (FLAG_EVAL_COMPAT | FLAG_NO_WRITES)) === 0) {
    throw new ReplyError(Err.scriptWriteInRo);
  }
  // Redis's scriptPrepareForRun: a script with flags that may write runs out of memory only with allow-oom
  const ev = server.evict;
  if (
    (run.flags & (FLAG_EVAL_COMPAT | FLAG_ALLOW_OOM | FLAG_NO_WRITES)) === 0 &&
    ev.preCommandOom &&
    (ev.maxmemory !== 0 || ev.heapNear)
  ) {
    throw new ReplyError(Err.oomScript);
  }
  const st = scripting(server);
  if (st.luaClient === null) {
    st.luaClient = server.newClient(null, 'internal');
    st.luaClient.luaScript = true;
  }
  const lua = st.luaClient;
  lua.db = client.db;
  lua.user = client.user;
  lua.resp = 2;
  lua.replTarget = PROPAGATE_ALL;
  lua.reply.out = '';
  lua.reply.dropHeld();
  // Everything the script runs is propagated by call(); EVAL itself is not.
  ctx.replayAs([]);
  const host = (st.host ??= new RunHost(server));
  host.lua = lua;
  host.noWrites = noWrites;
  host.allowOom = (run.flags & (FLAG_EVAL_COMPAT | FLAG_ALLOW_OOM)) === FLAG_ALLOW_OOM;
  // (an EVAL without a shebang may, as in Redis 7.2: its compatibility mode)
  host.allowCrossSlot = (run.flags & (FLAG_EVAL_COMPAT | FLAG_ALLOW_CROSS_SLOT)) !== 0;
  const isEval = run.chunkName === 'user_script';
  host.begin(client, ctx.argv, isEval, run.name);
  st.running = host;
  // The result (written by the VM's fast path, or below) may repeat an error
  // the script's commands replied: counted then, not again (Reply.uncounted),
  // but the script's command still fails, as Redis counts failed_calls.
  const reply = ctx.reply;
  const uncountedBefore = reply.uncountedErrors;
  reply.uncounted = host.cmdErrors;
  try {
    writeResult(ctx, run, keys, args, host, st);
  } finally {
    reply.uncounted = null;
  }
  if (reply.uncountedErrors !== uncountedBefore) ctx.failed = true;
}

/** Runs the chunk and writes its result, or Redis's error for a failed run (runGeneric). */
function writeResult(ctx: Ctx, run: Runnable, keys: string[], args: string[], host: RunHost, st: ScriptingState): void {
  const server = ctx.server;
  if (run.js && host.ldb === null) {
    writeJsResult(ctx, run, run.js, keys, args, host, st);
    return;
  }
  let r: ReturnType<typeof runChunkInto>;
  try {
    r = runChunkInto(run.chunk, keys, args, host, ctx.reply);
  } finally {
    st.running = null;
    host.end();
  }
  if (host.killed && !server.closing) server.log.warning('Lua script killed by user with SCRIPT KILL.');
  if (r === undefined) return;
  if (r !== null && typeof r === 'object' && 'err' in r && r.meta !== undefined) {
    const m = r.meta;
    if (host.killed) {
      ctx.reply.error(Err.scriptFailedAt(Err.scriptKilled, run.name, run.chunkName, m.line));
      return;
    }
    // the Lua debugger ended it (abort, a protocol error: ldb.ts)
    const ldbError = host.ldb?.raised;
    if (ldbError !== undefined && ldbError !== null) {
      ctx.reply.error(Err.scriptFailedAt(ldbError, run.name, run.chunkName, m.line));
      return;
    }
    let line = m.line;
    let msg: string;
    const raised = r.err[0] !== 1 ? -1 : r.err.indexOf(1, 1);
    if (raised > 0) {
      // ERROR_SHADOW's error(): "\1LINE\1TEXT", TEXT already as Redis sends it.
      msg = r.err.latin1Slice(raised + 1, r.err.length);
      const at = Number(r.err.latin1Slice(1, raised));
      if (at > 0) line = at;
    } else {
      msg = m.kind !== undefined ? kindText(m.kind, m.name, m.line, run.chunkName) : errText(r);
      // Errors the redis.* API raises (redis.setresp(4)) carry no Lua position in Redis.
      const api = /^ERR user_(?:script|function):\d+: (ERR .*)$/s.exec(msg);
      if (api !== null) msg = api[1]!;
    }
    // (the message is a C string in Redis: a NUL in it ends it)
    replyFailure(ctx, run, host, msg, line);
    return;
  }
  luaToReply(r, ctx.reply);
}

/** A failed run's reply: its error `msg` (code included) and where it was, as Redis's error handler words it. */
function replyFailure(ctx: Ctx, run: Runnable, host: RunHost, msg: string, line: number): void {
  const text = Err.scriptFailedAt(msg, run.name, run.chunkName, line);
  // a redis.call error raised on was counted when the command replied it
  if (host.cmdErrors.has(msg)) host.cmdErrors.add(text);
  ctx.reply.error(text);
}

/** writeResult for a script jslua runs. */
function writeJsResult(
  ctx: Ctx,
  run: Runnable,
  js: CompiledChunk,
  keys: string[],
  args: string[],
  host: RunHost,
  st: ScriptingState,
): void {
  const server = ctx.server;
  let f: JsFailure | null;
  const capturing = host.lua.reply;
  capturing.capture = true;
  try {
    f = runJs(js, keys, args, host, ctx.reply);
  } finally {
    capturing.capture = false;
    st.running = null;
    host.end();
  }
  if (host.killed && !server.closing) server.log.warning('Lua script killed by user with SCRIPT KILL.');
  if (f === null) return;
  if (f.killed) ctx.reply.error(Err.scriptFailedAt(Err.scriptKilled, run.name, run.chunkName, f.line));
  else replyFailure(ctx, run, host, f.msg, f.line);
}

/**
 * SCRIPT KILL (`isEval`) and FUNCTION KILL: asks the running script to end
 * at its next tick (Redis's scriptKill). Throws Redis's errors: none
 * running, it wrote already, or the other kind of script runs.
 */
export function killScript(server: Server, isEval: boolean): void {
  const h = scripting(server).running;
  if (h === null) throw new ReplyError(Err.notBusy);
  if (h.wrote) {
    throw new ReplyError(Err.unkillable);
  }
  if (isEval && !h.isEval) throw new ReplyError(Err.busyFunction);
  if (!isEval && h.isEval) throw new ReplyError(Err.busyEval);
  h.killed = true;
}

/**
 * The wall time (µs) frozen for the running script, or null: Redis 7.2
 * caches the time when the outermost command starts, so TIME (and INFO's
 * server_time_usec) inside a script stays where the script started
 * (observability/info.ts nowUsec) — until the script is busy: each time
 * the server serves others meanwhile it updates its cached time.
 */
export function scriptTimeUsec(server: Server): number | null {
  const h = scripting(server).running;
  return h === null ? null : h.startUs;
}

/** The running script, for FUNCTION STATS: an EVAL script, or a function's name, command and run time (ms). */
export function runningScript(server: Server): { isEval: boolean; name: string; argv: string[]; ms: number } | null {
  const h = scripting(server).running;
  if (h === null) return null;
  return { isEval: h.isEval, name: h.name, argv: h.argv, ms: Math.floor(performance.now() - h.start) };
}

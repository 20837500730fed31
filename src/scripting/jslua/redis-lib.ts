/**
 * jslua's `redis` library (Redis 7.2's script_lua.c: redis.call, pcall,
 * error_reply, status_reply, sha1hex, log, setresp, set_repl,
 * replicate_commands, breakpoint, debug, acl_check_cmd and the constants),
 * and the two conversions at its edges: a command's RESP reply to Lua
 * values (redisProtocolToLuaType) and a script's result to a reply
 * (luaReplyToRedisReply).
 */
import { createHash } from 'node:crypto';
import type { Reply } from '../../protocol/writer.js';
import { REDIS_VERSION } from '../../version.js';
import { Err } from '../../protocol/errors.js';
import { numArgText } from '../lua-bridge.js';
import { luaDouble } from '../lua-convert.js';
import { LuaTable } from './table.js';
import {
  LuaError,
  nanText,
  toNumber,
  toStringCoerce,
  type LuaFunction,
  type LuaResult,
  type LuaValue,
} from './value.js';

/** What the redis library reaches in the server: the running script's host (scripts.ts RunHost). */
export interface JsHost {
  /**
   * Runs a command through the script gates; its reply as RESP (latin1), or
   * '' when the reply is one value the host kept (takeHeld).
   */
  call(argv: string[]): string;
  /** The reply call() kept as a value (returned ''), as Lua gets it. */
  takeHeld(): LuaValue;
  setResp(v: 2 | 3): void;
  /** The script's protocol now (redis.setresp). */
  readonly resp: 2 | 3;
  log(level: number, message: string): void;
  setRepl(flags: number): void;
  /** redis.acl_check_cmd: null when there is no such command. */
  aclCheck(argv: string[]): boolean | null;
}

/** The host of the script running now (engine.ts sets it around each run). */
export const active: { host: JsHost | null } = { host: null };

/** An error table as Redis's luaPushErrorBuff makes it: "-CODE msg" or "msg" (code ERR), trailing CR/LF cut. */
export function errorTable(text: string): LuaTable {
  text = cString(text);
  let msg: string;
  let code: string;
  if (text.charCodeAt(0) === 45 /* - */) {
    const sp = text.indexOf(' ');
    if (sp < 0) {
      msg = text.slice(1);
      code = 'ERR';
    } else {
      msg = text.slice(sp + 1);
      code = text.slice(1, sp);
    }
  } else {
    msg = text;
    code = 'ERR';
  }
  return LuaTable.single('err', `${code} ${trimCrLf(msg)}`);
}

/** A string as C reads it: up to its first NUL byte (Redis handles these texts as C strings). */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** sdstrim(s, "\r\n"): CR and LF cut from both ends. */
function trimCrLf(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 13 || s.charCodeAt(a) === 10)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 13 || s.charCodeAt(b - 1) === 10)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Raises an error table (lua_error: no position is added). */
function raise(text: string): never {
  throw new LuaError(errorTable(text));
}

const ERR_NO_ARGS = 'Please specify at least one argument for this redis lib call';
const ERR_ARG_TYPE = 'Lua redis lib command arguments must be strings or integers';

/**
 * luaArgsToRedisArgv: numbers as Redis 7.2 writes them (fpconv_dtoa), strings
 * as they are; else an error table (no arguments / a bad one). Converts
 * `args` in place (the rest parameter of redis.call: the call's own array).
 */
function toArgv(args: LuaValue[]): string[] | LuaTable {
  const n = args.length;
  if (n === 0) return errorTable(ERR_NO_ARGS);
  for (let i = 0; i < n; i++) {
    const a = args[i];
    if (typeof a === 'number') args[i] = a !== a ? nanText(a) : numArgText(a);
    else if (typeof a !== 'string') return errorTable(ERR_ARG_TYPE);
  }
  return args as string[];
}

/** redis.call (raise) and redis.pcall: the command's reply as Lua values, an error reply as an error table. */
function command(args: LuaValue[], raiseError: boolean): LuaValue {
  const argv = toArgv(args);
  if (argv instanceof LuaTable) {
    if (raiseError) throw new LuaError(argv);
    return argv;
  }
  const host = active.host;
  if (host === null) raise('-' + Err.scriptNotRunning);
  const out = host.call(argv);
  if (out.length === 0) return host.takeHeld();
  if (out.charCodeAt(0) === 45 /* - */) {
    const t = errorTable(out.slice(0, out.length - 2));
    // counted when the command replied it (Redis's ignore_error_stats_update)
    t.setStr('ignore_error_stats_update', true);
    if (raiseError) throw new LuaError(t);
    return t;
  }
  return respToLua(out, host.resp);
}

const redisCall: LuaFunction = (...args: LuaValue[]) => command(args, true);
const redisPcall: LuaFunction = (...args: LuaValue[]) => command(args, false);

/** Returned (not raised) by error_reply / status_reply called wrongly. */
const ERR_ARGS_TYPE = 'wrong number or type of arguments';

function errorReply(...args: LuaValue[]): LuaResult {
  const s = args[0];
  if (args.length !== 1 || typeof s !== 'string') return errorTable(ERR_ARGS_TYPE);
  return errorTable(s.charCodeAt(0) === 45 ? s : '-' + s);
}

function statusReply(...args: LuaValue[]): LuaResult {
  const s = args[0];
  if (args.length !== 1 || typeof s !== 'string') return errorTable(ERR_ARGS_TYPE);
  return LuaTable.single('ok', s);
}

function sha1hexFn(...args: LuaValue[]): LuaResult {
  if (args.length !== 1) raise('wrong number of arguments');
  const s = toStringCoerce(args[0]) ?? '';
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

/** (int)lua_tonumber: 0 for what is not a number. */
function intOf(v: LuaValue): number {
  const x = toNumber(v);
  return x === undefined || x !== x ? 0 : Math.trunc(x) | 0;
}

function log(...args: LuaValue[]): LuaResult {
  if (args.length < 2) raise('redis.log() requires two arguments or more.');
  if (toNumber(args[0]) === undefined) raise('First argument must be a number (log level).');
  const level = intOf(args[0]);
  if (level < 0 || level > 3) raise('Invalid debug level.');
  let msg = '';
  for (let j = 1; j < args.length; j++) {
    const s = toStringCoerce(args[j]);
    if (s === undefined) continue;
    if (j !== 1) msg += ' ';
    msg += s;
  }
  active.host?.log(level, msg);
  return [];
}

function setresp(...args: LuaValue[]): LuaResult {
  if (args.length !== 1) raise('redis.setresp() requires one argument.');
  const v = intOf(args[0]);
  if (v !== 2 && v !== 3) raise('RESP version must be 2 or 3.');
  active.host?.setResp(v);
  return [];
}

function setRepl(...args: LuaValue[]): LuaResult {
  if (args.length !== 1) raise('redis.set_repl() requires one argument.');
  const flags = intOf(args[0]);
  if ((flags & ~3) !== 0) raise('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
  active.host?.setRepl(flags);
  return [];
}

function aclCheckCmd(...args: LuaValue[]): LuaResult {
  const argv = toArgv(args);
  if (argv instanceof LuaTable) throw new LuaError(argv);
  const r = active.host === null ? null : active.host.aclCheck(argv);
  if (r === null) raise('Invalid command passed to redis.acl_check_cmd()');
  return r;
}

function versionNum(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

/** The `redis` table's fields, by env path. */
export const redisLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['redis.call', redisCall],
  ['redis.pcall', redisPcall],
  ['redis.error_reply', errorReply],
  ['redis.status_reply', statusReply],
  ['redis.sha1hex', sha1hexFn],
  ['redis.log', log],
  ['redis.setresp', setresp],
  ['redis.set_repl', setRepl],
  ['redis.replicate_commands', () => true],
  // no debugger in a jslua run (a debugged script runs on the wasm VM)
  ['redis.breakpoint', () => false],
  ['redis.debug', () => []],
  ['redis.acl_check_cmd', aclCheckCmd],
  ['redis.LOG_DEBUG', 0],
  ['redis.LOG_VERBOSE', 1],
  ['redis.LOG_NOTICE', 2],
  ['redis.LOG_WARNING', 3],
  ['redis.REPL_NONE', 0],
  ['redis.REPL_AOF', 1],
  ['redis.REPL_SLAVE', 2],
  ['redis.REPL_REPLICA', 2],
  ['redis.REPL_ALL', 3],
  ['redis.REDIS_VERSION', REDIS_VERSION],
  ['redis.REDIS_VERSION_NUM', versionNum(REDIS_VERSION)],
]);

// ---------------------------------------------------------------------------
// A command's reply to Lua values (redisProtocolToLuaType)

let src = '';
let pos = 0;

/** Parses the RESP reply `s` into Lua values, as Redis hands a command's reply to a script. */
export function respToLua(s: string, resp: 2 | 3): LuaValue {
  void resp; // the reply is already in the script's protocol
  src = s;
  pos = 0;
  const v = readValue();
  src = '';
  return v;
}

function lineEnd(): number {
  const e = src.indexOf('\r\n', pos);
  return e < 0 ? src.length : e;
}

/** The integer after the type byte, to the line's end. */
function readLen(): number {
  const e = lineEnd();
  let n = 0;
  let neg = false;
  let i = pos + 1;
  if (src.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  for (; i < e; i++) n = n * 10 + (src.charCodeAt(i) - 48);
  pos = e + 2;
  return neg ? -n : n;
}

function readLine(): string {
  const e = lineEnd();
  const s = src.slice(pos + 1, e);
  pos = e + 2;
  return s;
}

function readValue(): LuaValue {
  const t = src.charCodeAt(pos);
  switch (t) {
    case 36 /* $ */: {
      const n = readLen();
      if (n < 0) return false;
      const s = src.slice(pos, pos + n);
      pos += n + 2;
      return s;
    }
    case 58 /* : */: {
      // up to 15 digits (exact as a double) read in place; longer ones as C's (double) cast rounds them
      const e = lineEnd();
      let i = pos + 1;
      const neg = src.charCodeAt(i) === 45;
      if (neg) i++;
      if (e - i <= 15) {
        let n = 0;
        for (; i < e; i++) n = n * 10 + (src.charCodeAt(i) - 48);
        pos = e + 2;
        return neg ? -n : n;
      }
      return Number(readLine());
    }
    case 42 /* * */: {
      const n = readLen();
      if (n < 0) return false;
      // Redis sets t[1..n] one by one into an empty table; from() builds the table that leaves at once
      const vals = new Array<LuaValue>(n);
      for (let i = 0; i < n; i++) vals[i] = readValue();
      return LuaTable.from(vals);
    }
    case 43 /* + */: {
      return LuaTable.single('ok', readLine());
    }
    case 45 /* - */: {
      const a = errorTable('-' + readLine());
      a.setStr('ignore_error_stats_update', true);
      return a;
    }
    case 37 /* % */: {
      const n = readLen();
      const m = new LuaTable(0, 0);
      for (let i = 0; i < n; i++) {
        const k = readValue();
        m.set(k, readValue());
      }
      return LuaTable.single('map', m);
    }
    case 126 /* ~ */: {
      const n = readLen();
      const m = new LuaTable(0, 0);
      for (let i = 0; i < n; i++) m.set(readValue(), true);
      return LuaTable.single('set', m);
    }
    case 95 /* _ */:
      pos = lineEnd() + 2;
      return undefined;
    case 35 /* # */:
      return readLine() === 't';
    case 44 /* , */: {
      const text = readLine();
      return LuaTable.single('double', text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text));
    }
    case 40 /* ( */: {
      return LuaTable.single('big_number', readLine());
    }
    case 61 /* = */: {
      const n = readLen();
      const body = src.slice(pos, pos + n);
      pos += n + 2;
      const v = LuaTable.single('string', body.slice(4));
      v.setStr('format', body.slice(0, 3));
      return LuaTable.single('verbatim_string', v);
    }
    case 124 /* | */: {
      // attributes: parsed and dropped, then the reply itself
      const n = readLen();
      for (let i = 0; i < 2 * n; i++) readValue();
      return readValue();
    }
    default:
      pos = lineEnd() + 2;
      return undefined;
  }
}

// ---------------------------------------------------------------------------
// A script's result to a reply (luaReplyToRedisReply)

/** What a result's conversion needs besides the reply. */
export interface ResultInfo {
  /** The script's protocol when it returned (decides how booleans are written). */
  resp: 2 | 3;
}

/** LUAI_MAXCSTACK: Redis's walk checks room for 4 more slots at every value (see luaToReply). */
const LUA_MAX_CSTACK = 8000;

/** A table being written by luaToReply: an array (kind 0), a map (1) or a set (2). */
interface Frame {
  kind: number;
  t: LuaTable;
  /** The table's height on Redis's Lua stack. */
  h: number;
  /** Array: the next index and the length. */
  j: number;
  n: number;
  /** Map / set: the last key walked (undefined: none yet). */
  k: LuaValue;
  /** Map: the pending value once its key is written. */
  v: LuaValue;
  /** Map: 1 when the value is next. */
  phase: number;
}

/**
 * Writes a script's result as Redis's luaReplyToRedisReply converts it:
 * fields read raw, a table is, in this order, an error ({err=string}), a
 * status ({ok=string}), a double, a big number, a verbatim string, a map, a
 * set, else an array up to the first nil; a function or userdata is a null.
 * Every value is first checked with lua_checkstack(L, 4) on Redis's stack,
 * where the result sits at height 2 and an array element is one above its
 * table, a set member and a map value three, a map key four: past
 * LUAI_MAXCSTACK the value becomes "reached lua stack limit" (a table that
 * contains itself gives ~8,000 nested arrays and that error, as
 * redis-server does). The walk keeps its own stack, not JS recursion.
 */
export function luaToReply(v: LuaValue, reply: Reply, info: ResultInfo): void {
  const stack: Frame[] = [];
  emit(v, 2, reply, info, stack);
  while (stack.length !== 0) {
    const f = stack[stack.length - 1]!;
    if (f.kind === 0) {
      if (f.j > f.n) stack.pop();
      else emit(f.t.getInt(f.j++), f.h + 1, reply, info, stack);
    } else if (f.phase === 1) {
      f.phase = 0;
      emit(f.v, f.h + 3, reply, info, stack);
    } else {
      const e = f.t.next(f.k);
      if (e === undefined) {
        stack.pop();
        continue;
      }
      f.k = e[0];
      if (f.kind === 1) {
        f.v = e[1];
        f.phase = 1;
        emit(e[0], f.h + 4, reply, info, stack);
      } else emit(e[0], f.h + 3, reply, info, stack);
    }
  }
}

/** Writes one value at height h; a table to walk pushes its frame (its header written). */
function emit(v: LuaValue, h: number, reply: Reply, info: ResultInfo, stack: Frame[]): void {
  if (h + 4 > LUA_MAX_CSTACK) {
    reply.error(Err.luaStackLimit);
    return;
  }
  switch (typeof v) {
    case 'string':
      reply.bulk(v);
      return;
    case 'boolean':
      if (info.resp === 2) {
        if (v) reply.int(1);
        else reply.null();
      } else reply.bool(v);
      return;
    case 'number':
      reply.int(toLongLong(v));
      return;
    case 'object':
      if (v instanceof LuaTable) {
        tableToReply(v, h, reply, stack);
        return;
      }
      reply.null();
      return;
    default:
      reply.null();
  }
}

function countEntries(t: LuaTable): number {
  let n = 0;
  for (let e = t.next(undefined); e !== undefined; e = t.next(e[0])) n++;
  return n;
}

/** (long long)x as x86-64 converts it: truncation, INT64_MIN for NaN and out of range. */
function toLongLong(x: number): number | bigint {
  if (x > -9007199254740992 && x < 9007199254740992) return x !== x ? -9223372036854775808n : Math.trunc(x);
  if (x !== x || x >= 9223372036854775808 || x < -9223372036854775808) return -9223372036854775808n;
  return BigInt(x);
}

function tableToReply(t: LuaTable, h: number, reply: Reply, stack: Frame[]): void {
  const err = t.getStr('err');
  if (typeof err === 'string') {
    // (one a command replied is in the run's uncounted set: scripts.ts runGeneric)
    reply.error(cString(err));
    return;
  }
  const ok = t.getStr('ok');
  if (typeof ok === 'string') {
    reply.simple(cString(ok).replace(/[\r\n]/g, ' '));
    return;
  }
  const dbl = t.getStr('double');
  if (typeof dbl === 'number') {
    luaDouble(reply, dbl);
    return;
  }
  const big = t.getStr('big_number');
  if (typeof big === 'string') {
    reply.bigNumber(big.replace(/[\r\n]/g, ' '));
    return;
  }
  const verb = t.getStr('verbatim_string');
  if (verb instanceof LuaTable) {
    const format = verb.getStr('format');
    const str = verb.getStr('string');
    if (typeof format === 'string' && typeof str === 'string') {
      // addReplyVerbatim: the format's first 3 chars (a C string), padded with spaces
      reply.verbatim(str, (cString(format) + '   ').slice(0, 3));
      return;
    }
  }
  const map = t.getStr('map');
  if (map instanceof LuaTable) {
    reply.map(countEntries(map));
    stack.push({ kind: 1, t: map, h, j: 0, n: 0, k: undefined, v: undefined, phase: 0 });
    return;
  }
  const set = t.getStr('set');
  if (set instanceof LuaTable) {
    reply.set(countEntries(set));
    stack.push({ kind: 2, t: set, h, j: 0, n: 0, k: undefined, v: undefined, phase: 0 });
    return;
  }
  let n = 0;
  while (t.getInt(n + 1) !== undefined) n++;
  reply.array(n);
  stack.push({ kind: 0, t, h, j: 1, n, k: undefined, v: undefined, phase: 0 });
}

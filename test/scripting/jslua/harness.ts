/**
 * What the jslua differential tests share: the redis-server a test file
 * compares against (started before its tests when one is installed), EVAL
 * on it, the call site a builtin reports its errors at, and the helpers
 * that run one call on both sides and render the results as the same text.
 */
import { before, after } from 'node:test';
import { decode } from '../../helpers/diff.js';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis, type RedisProcess } from '../../helpers/servers.js';
import {
  LuaError,
  LuaUserdata,
  cur,
  formatG,
  numberToString,
  type LuaValue,
} from '../../../src/scripting/jslua/value.js';

/** The `skip` option of the tests that need redis-server: false, or why they cannot run. */
export const skip = hasRedis() ? false : SKIP_NO_REDIS;

let conn: RawConn | undefined;

/** Starts a redis-server before the file's tests and stops it after them (nothing when none is installed). */
export function useRedis(): void {
  let redis: RedisProcess | undefined;
  before(async () => {
    if (!hasRedis()) return;
    redis = await startRedis();
    conn = await RawConn.connect(redis.port);
  });
  after(async () => {
    conn?.close();
    await redis?.stop();
  });
}

/** Sends a command to the file's redis-server (useRedis): the reply's exact bytes. */
export function redisCall(...args: (string | number)[]): Promise<string> {
  if (conn === undefined) throw new Error('no redis-server (useRedis, skip)');
  return conn.call(...args);
}

/** EVAL of `script` with no keys and `argv` on redis-server: the raw reply. */
export function evalRaw(script: string, ...argv: string[]): Promise<string> {
  return redisCall('EVAL', script, '0', ...argv);
}

/** Parses an array reply of bulk strings (or throws on an error reply). */
export function parseArray(raw: string): string[] {
  const v = decode(raw);
  if (!Array.isArray(v)) throw new Error('not an array: ' + raw.slice(0, 300));
  return v as string[];
}

/**
 * Sets the call site the compiler would set for a call at `line` of a
 * user_script that names the callee `name` the `kind` way ('field' for
 * cjson.encode(...)), so a builtin's errors carry the position Lua's do.
 */
export function atSite(name: string, kind = 'field', line = 1): void {
  cur.chunk = 'user_script';
  cur.sites = [{ line, kind, name }];
  cur.site = 0;
}

/** Lua's 0/0 on x86: a NaN with the sign bit set. */
export function negNaN(): number {
  const f = new Float64Array(1);
  const b = new Uint8Array(f.buffer);
  b[6] = 0xf8;
  b[7] = 0xff;
  return f[0]!;
}

/** A Lua function that renders any value canonically (keys sorted), as `walk` below does in JS. */
export const LUA_WALK =
  "local function walk(v) local t = type(v) if t == 'number' then return 'n' .. string.format('%.17g', v) " +
  "elseif t == 'string' then return 's' .. #v .. ':' .. v elseif t == 'boolean' then return tostring(v) " +
  "elseif t == 'nil' then return 'nil' elseif t == 'userdata' then return 'u' .. tostring(v) " +
  "elseif t == 'table' then local ks = {} for k, x in pairs(v) do ks[#ks + 1] = walk(k) .. '=' .. walk(x) end " +
  "table.sort(ks) return '{' .. table.concat(ks, ',') .. '}' else return t end end ";

export function walk(v: LuaValue): string {
  switch (typeof v) {
    case 'number':
      return 'n' + formatG(v, 17);
    case 'string':
      return 's' + v.length + ':' + v;
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'nil';
    case 'function':
      return 'function';
    default:
      if (v instanceof LuaUserdata) return 'uuserdata: ' + v.address;
      {
        const ks: string[] = [];
        let e = v.next(undefined);
        while (e !== undefined) {
          ks.push(walk(e[0]) + '=' + walk(e[1]));
          e = v.next(e[0]);
        }
        // Lua's table.sort on strings compares bytes (strcoll in the C locale)
        ks.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return '{' + ks.join(',') + '}';
      }
  }
}

/** Runs `body` (one line, a function body returning a string, ARGV available) on redis-server: 'OK:<result>' or 'ERR:<message>'. */
export async function onRedis(body: string, ...argv: string[]): Promise<string> {
  const script =
    LUA_WALK +
    `local ok, r = pcall(function() ${body} end) if ok then return 'OK:' .. tostring(r) else return 'ERR:' .. tostring(r) end`;
  const reply = await evalRaw(script, ...argv);
  if (reply[0] !== '$') throw new Error('unexpected reply ' + JSON.stringify(reply));
  const nl = reply.indexOf('\r\n');
  return reply.slice(nl + 2, reply.length - 2);
}

/** The same in JS: the call site named as the Lua call is (`cjson.encode(...)`: field 'encode'). */
export function onJs(name: string, f: () => LuaValue): string {
  atSite(name);
  try {
    const r = f();
    return 'OK:' + (typeof r === 'number' ? numberToString(r) : typeof r === 'string' ? r : String(r));
  } catch (e) {
    if (e instanceof LuaError) return 'ERR:' + String(e.value);
    throw e;
  }
}

/** Declares `mz`, a local holding -0, for the Lua sources luaNumber writes. */
export const PRE = 'local mz = 0 mz = -mz ';

/** A Lua string literal for latin1 bytes. */
export function luaString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 32) out += s[i];
    else out += '\\' + String(c).padStart(3, '0');
  }
  return out + '"';
}

/** A Lua expression for a number (mz is a local holding -0: PRE). */
export function luaNumber(x: number): string {
  if (x !== x) return '(0/0)';
  if (x === Infinity) return '(1/0)';
  if (x === -Infinity) return '(-1/0)';
  if (Object.is(x, -0)) return 'mz';
  return '(' + formatG(x, 17) + ')';
}

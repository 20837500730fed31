/**
 * The globals a jslua script may name, by path ('tonumber', 'string.sub',
 * 'redis.call', 'cjson.null'...): Redis 7.2's sandbox, less what jslua
 * leaves to the WebAssembly VM (coroutines, loadstring, getfenv/setfenv,
 * _G, math.random: see compile.ts) and cjson's configuration functions
 * (the settings live in the VM, which runs the scripts that change them:
 * see cjsonSettingsTouched). Globals and library tables are read-only in
 * Redis 7, so compiled code binds these once.
 */
import { baseLib } from './lib-base.js';
import { bitLib } from './lib-bit.js';
import { cjsonLib } from './lib-cjson.js';
import { cmsgpackLib } from './lib-cmsgpack.js';
import { mathLib } from './lib-math.js';
import { stringLib } from './lib-string.js';
import { structLib } from './lib-struct.js';
import { tableLib } from './lib-table.js';
import { redisLib } from './redis-lib.js';
import type { LuaValue } from './value.js';

/** cjson's fields a jslua script may use: the codec and its null; not the settings (encode_max_depth...) nor cjson.new. */
const CJSON_FIELDS = new Set(['cjson.encode', 'cjson.decode', 'cjson.null', 'cjson._NAME', 'cjson._VERSION']);

let env: ReadonlyMap<string, LuaValue> | null = null;

export function jsEnv(): ReadonlyMap<string, LuaValue> {
  if (env !== null) return env;
  const m = new Map<string, LuaValue>([['_VERSION', 'Lua 5.1']]);
  for (const lib of [baseLib, tableLib, stringLib, mathLib, cmsgpackLib, bitLib, structLib, redisLib]) {
    for (const [k, v] of lib) m.set(k, v);
  }
  for (const [k, v] of cjsonLib) if (CJSON_FIELDS.has(k)) m.set(k, v);
  env = m;
  return m;
}

/**
 * Whether a script the WebAssembly VM runs may change cjson's settings
 * there (or reach cjson where a static look cannot tell): it names cjson
 * other than as cjson.encode / decode / null, or reaches globals by name
 * (_G, getfenv, setfenv, loadstring, load). After such a script ran, the
 * scripts that use cjson run on the VM too (scripts.ts), whose settings
 * they would see in Redis.
 */
export function cjsonSettingsTouched(source: string): boolean {
  return /\bcjson\b(?!\s*\.\s*(?:encode|decode|null)\b)|\b(?:_G|getfenv|setfenv|loadstring|load)\b/.test(source);
}

/** Whether a script uses cjson at all. */
export function usesCjson(source: string): boolean {
  return /\bcjson\b/.test(source);
}

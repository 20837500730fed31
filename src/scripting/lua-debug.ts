/**
 * The Lua debugger's view of the VM (ldb.ts drives it through LuaDebug):
 * stack levels, local variables and values printed as Redis's ldb prints
 * them, read from a patched VM's memory while a hook or a JS call runs.
 */
import { Buffer } from 'node:buffer';
import { LUA_GLOBALSINDEX } from './wasm-layout.js';
import { ERROR_SHADOW } from './sandbox.js';
import { cfmt } from '../util/strings.js';
import {
  LUA_TBOOLEAN,
  LUA_TFUNCTION,
  LUA_TLIGHTUSERDATA,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_TTHREAD,
  LUA_TUSERDATA,
  cString,
  heap,
  luaString,
  type DebugScratch,
  type LuaDebug,
  type Vm,
} from './lua-engine.js';
import { u32At } from './lua-convert.js';
import { numArgText } from './lua-bridge.js';

/**
 * Lua 5.1's structures as this build (wasm32) lays them out, for reading a
 * stack level's local variables (lua_getlocal is not in the build). From
 * lstate.h / lobject.h: lua_State's ci and base_ci, a CallInfo (24 bytes:
 * base, func, top, savedpc, ...), a TValue (16 bytes: value, then tt), a
 * Lua closure's proto, a Proto's code / locvars / sizelocvars, a LocVar
 * (12 bytes: varname, startpc, endpc), a TString's length and chars.
 */
const L_CI = 20;
const L_SAVEDPC = 24;
const L_TOP = 8;
const L_BASE_CI = 40;
const CI_SIZE = 24;
const CI_BASE = 0;
const CI_FUNC = 4;
const CI_SAVEDPC = 12;
const TVALUE_SIZE = 16;
const TVALUE_TT = 8;
const CLOSURE_ISC = 6;
const LCLOSURE_P = 16;
const PROTO_CODE = 12;
const PROTO_P = 16;
const PROTO_LOCVARS = 24;
const PROTO_SIZEP = 52;
const PROTO_SIZELOCVARS = 56;
const LOCVAR_SIZE = 12;
const TSTRING_LEN = 12;
const TSTRING_CHARS = 16;
/** lua_Debug: name, currentline, short_src, i_ci (its size: 100 bytes). */
const AR_NAME = 4;
const AR_CURRENTLINE = 20;
const AR_SHORT_SRC = 36;
const AR_I_CI = 96;
/** Redis's LDB_MAX_VALUES_DEPTH (LUA_MINSTACK / 2). */
const LDB_MAX_DEPTH = 10;

/** The NUL-terminated string at p in the VM's memory (latin1). */
function cStringAt(b: Buffer, p: number, max = 1 << 16): string {
  let e = p;
  while (e < p + max && b[e] !== 0) e++;
  return b.latin1Slice(p, e);
}

function scratchOf(vm: Vm): DebugScratch {
  vm.debugScratch ??= { ar: vm.raw!.alloc(128), snl: cString(vm, 'Snl'), ldbEval: cString(vm, '@ldb_eval') };
  return vm.debugScratch;
}

/** Redis's sdscatrepr: a quoted string, \\ \" \n \r \t \a \b escaped, other unprintable bytes as \xhh. */
export function reprString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 34) out += '\\' + s[i];
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c < 127) out += s[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** C's printf("%g", x): 6 significant digits, %e below 1e-4 or from 1e6, trailing zeros dropped. */
export function formatG(x: number): string {
  if (x !== x) return (Buffer.from(new Float64Array([x]).buffer)[7]! & 0x80) !== 0 ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = Number(x.toExponential(5).split('e')[1]);
  if (e < -4 || e >= 6) {
    const [m, ex] = x.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const f = x.toFixed(Math.max(0, 5 - e));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

/** The value at stack index idx printed as Redis's ldbCatStackValueRec prints it. */
function valueRepr(vm: Vm, L: number, idx: number, level = 0): string {
  const raw = vm.raw!;
  if (level === LDB_MAX_DEPTH) return '<max recursion level reached! Nested table?>';
  const abs = idx < 0 ? raw.tsdis_gettop(L) + idx + 1 : idx;
  switch (raw.tsdis_type(L, abs)) {
    case LUA_TSTRING:
      return reprString(luaString(vm, L, abs) ?? '');
    case LUA_TBOOLEAN:
      return raw.tsdis_toboolean(L, abs) !== 0 ? 'true' : 'false';
    case LUA_TNUMBER:
      return formatG(raw.tsdis_tonumber(L, abs));
    case LUA_TNIL:
      return 'nil';
    case LUA_TTABLE: {
      let expected = 1;
      let isArray = true;
      const repr1: string[] = [];
      const repr2: string[] = [];
      raw.tsdis_settop(L, raw.tsdis_gettop(L) + 1); // a nil: the first key
      while (raw.tsdis_next(L, abs) !== 0) {
        if (isArray && (raw.tsdis_type(L, -2) !== LUA_TNUMBER || raw.tsdis_tonumber(L, -2) !== expected))
          isArray = false;
        const v = valueRepr(vm, L, -1, level + 1);
        repr1.push(v);
        repr2.push(`[${valueRepr(vm, L, -2, level + 1)}]=${v}`);
        raw.tsdis_settop(L, -2);
        expected++;
      }
      return `{${(isArray ? repr1 : repr2).join('; ')}}`;
    }
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA: {
      const t = raw.tsdis_type(L, abs);
      const name =
        t === LUA_TFUNCTION
          ? 'function'
          : t === LUA_TUSERDATA
            ? 'userdata'
            : t === LUA_TTHREAD
              ? 'thread'
              : 'light-userdata';
      // (the value's address in the VM's memory, as %p prints an address)
      const b = heap(vm);
      const slot = u32At(b, L + L_TOP) - (raw.tsdis_gettop(L) - abs + 1) * TVALUE_SIZE;
      return `"${name}@0x${u32At(b, slot).toString(16)}"`;
    }
    default:
      return '"<unknown-lua-type>"';
  }
}

/**
 * Stack level `level`'s local variables (Lua 5.1's lua_getlocal, in JS over
 * the memory layout above): named locals active at the level's current
 * instruction, in order, each with its printed value, but the first
 * `hide` of the function (ERROR_SHADOW's). A C function has none. Runs
 * inside a hook (or a C function), where the stack has room.
 */
function localsAt(vm: Vm, L: number, level: number, hide: number): { name: string; value: string }[] {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  if (raw.tsdis_getstack(L, level, sc.ar) === 0) return [];
  let b = heap(vm);
  const ci = u32At(b, L + L_BASE_CI) + u32At(b, sc.ar + AR_I_CI) * CI_SIZE;
  const func = u32At(b, ci + CI_FUNC);
  if (u32At(b, func + TVALUE_TT) !== LUA_TFUNCTION) return [];
  const cl = u32At(b, func);
  if (b[cl + CLOSURE_ISC] !== 0) return [];
  const p = u32At(b, cl + LCLOSURE_P);
  const savedpc = ci === u32At(b, L + L_CI) ? u32At(b, L + L_SAVEDPC) : u32At(b, ci + CI_SAVEDPC);
  const pc = (savedpc - u32At(b, p + PROTO_CODE)) / 4 - 1;
  const locvars = u32At(b, p + PROTO_LOCVARS);
  const n = u32At(b, p + PROTO_SIZELOCVARS);
  const base = u32At(b, ci + CI_BASE);
  const out: { name: string; value: string }[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    const lv = locvars + i * LOCVAR_SIZE;
    if ((u32At(b, lv + 4) | 0) > pc) break;
    if (pc >= (u32At(b, lv + 8) | 0)) continue;
    if (i < hide) {
      k++;
      continue;
    }
    const ts = u32At(b, lv);
    const name = b.latin1Slice(ts + TSTRING_CHARS, ts + TSTRING_CHARS + u32At(b, ts + TSTRING_LEN));
    // a copy of the slot on top, printed, popped
    raw.tsdis_settop(L, raw.tsdis_gettop(L) + 1);
    b = heap(vm);
    const top = u32At(b, L + L_TOP) - TVALUE_SIZE;
    b.copy(b, top, base + k * TVALUE_SIZE, base + (k + 1) * TVALUE_SIZE);
    out.push({ name, value: valueRepr(vm, L, -1) });
    raw.tsdis_settop(L, -2);
    b = heap(vm);
    k++;
  }
  return out;
}

/** The Proto of stack level `level`'s function (0: a C function or no such level); lua_Debug `ar` is filled by the way. */
function protoAt(vm: Vm, L: number, level: number, ar: number): number {
  if (vm.raw!.tsdis_getstack(L, level, ar) === 0) return 0;
  const b = heap(vm);
  const ci = u32At(b, L + L_BASE_CI) + u32At(b, ar + AR_I_CI) * CI_SIZE;
  const func = u32At(b, ci + CI_FUNC);
  if (u32At(b, func + TVALUE_TT) !== LUA_TFUNCTION) return 0;
  const cl = u32At(b, func);
  return b[cl + CLOSURE_ISC] !== 0 ? 0 : u32At(b, cl + LCLOSURE_P);
}

/** The names of ERROR_SHADOW's locals, declared first in a script that has it (sandbox.ts). */
const SHADOW_LOCALS = [
  '__e',
  '__p',
  '__t',
  '__s',
  '__cr',
  '__last',
  '__d',
  '__obj',
  'error',
  '__fix',
  'pcall',
  '__rfix',
  'coroutine',
];
/** ERROR_SHADOW's functions: the first children of the script's function. */
const SHADOW_FUNCTIONS = ERROR_SHADOW.match(/\bfunction\s*\(/g)?.length ?? 0;

/**
 * The stack levels of the debugged script's own code, from the running
 * one out, each with the number of its first locals that are tsdis's
 * (`hide`). The script's function is the outermost user_script level (or,
 * when the run used the uncached wrapper, the one it calls: vm.debugWrapped);
 * when its first locals are ERROR_SHADOW's, its first SHADOW_FUNCTIONS
 * child functions are too, and their levels are left out.
 */
function scriptFrames(
  vm: Vm,
  L: number,
): { level: number; line: number; name: string | null; proto: number; hide: number }[] {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  const all: { level: number; line: number; name: string | null; proto: number; hide: number }[] = [];
  for (let level = 0; ; level++) {
    const proto = protoAt(vm, L, level, sc.ar);
    if (proto === 0 && raw.tsdis_getstack(L, level, sc.ar) === 0) break;
    raw.tsdis_getinfo(L, sc.snl, sc.ar);
    const b = heap(vm);
    if (!cStringAt(b, sc.ar + AR_SHORT_SRC, 60).includes('user_script')) continue;
    const np = u32At(b, sc.ar + AR_NAME);
    all.push({
      level,
      line: u32At(b, sc.ar + AR_CURRENTLINE) | 0,
      name: np === 0 ? null : cStringAt(b, np),
      proto,
      hide: 0,
    });
  }
  if (vm.debugWrapped && all.length > 0) all.pop();
  const top = all[all.length - 1];
  if (top === undefined) return all;
  const b = heap(vm);
  const p = top.proto;
  const locvars = u32At(b, p + PROTO_LOCVARS);
  const nlocvars = u32At(b, p + PROTO_SIZELOCVARS);
  const nameAt = (i: number): string => {
    const ts = u32At(b, locvars + i * LOCVAR_SIZE);
    return b.latin1Slice(ts + TSTRING_CHARS, ts + TSTRING_CHARS + u32At(b, ts + TSTRING_LEN));
  };
  // the uncached wrapper is a vararg function: Lua 5.1 gives it an `arg` local first
  let hide = vm.debugWrapped && nlocvars > 0 && nameAt(0) === 'arg' ? 1 : 0;
  // ERROR_SHADOW: its locals come first, its functions are the first children
  let shadow: Set<number> | null = null;
  if (
    nlocvars >= hide + SHADOW_LOCALS.length &&
    u32At(b, p + PROTO_SIZEP) >= SHADOW_FUNCTIONS &&
    SHADOW_LOCALS.every((n, i) => nameAt(hide + i) === n)
  ) {
    hide += SHADOW_LOCALS.length;
    const children = u32At(b, p + PROTO_P);
    shadow = new Set();
    for (let i = 0; i < SHADOW_FUNCTIONS; i++) shadow.add(u32At(b, children + i * 4));
  }
  for (const f of all) if (f.proto === p) f.hide = hide;
  return shadow === null ? all : all.filter((f) => !shadow.has(f.proto));
}

/**
 * The debugger's access to `vm` while a hook or JS call runs in it, in
 * thread `L` (the script's, or a coroutine's): see LuaDebug. Makes room
 * on L's stack for printing values nested to LDB_MAX_DEPTH (two slots a
 * level) and a local's copy.
 */
export function debugAccess(vm: Vm, L: number): LuaDebug {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  raw.tsdis_checkstack(L, 2 * LDB_MAX_DEPTH + 4);
  return {
    frames: () => scriptFrames(vm, L).map(({ level, line, name }) => ({ level, line, name })),
    locals: (level) => {
      const f = scriptFrames(vm, L).find((x) => x.level === level);
      return f === undefined ? [] : localsAt(vm, L, level, f.hide);
    },
    global(name) {
      const top = raw.tsdis_gettop(L);
      const p = cString(vm, name);
      raw.tsdis_getfield(L, LUA_GLOBALSINDEX, p);
      raw.free_mem(p);
      const v = valueRepr(vm, L, -1);
      raw.tsdis_settop(L, top);
      return v;
    },
    evalCode(code) {
      const top = raw.tsdis_gettop(L);
      const load = (src: string): boolean => {
        const p = cString(vm, src);
        const st = raw.tsdis_load(L, p, src.length, sc.ldbEval);
        raw.free_mem(p);
        return st === 0;
      };
      let out: string;
      if (!load(`return ${code}`)) {
        raw.tsdis_settop(L, top);
        if (!load(code)) {
          out = cfmt`<error> ${luaString(vm, L, -1) ?? ''}`;
          raw.tsdis_settop(L, top);
          return out;
        }
      }
      if (raw.tsdis_pcall(L, 0, 0) !== 0) out = cfmt`<error> ${luaString(vm, L, -1) ?? '(null)'}`;
      else out = `<retval> ${raw.tsdis_gettop(L) > top ? valueRepr(vm, L, top + 1) : 'nil'}`;
      raw.tsdis_settop(L, top);
      return out;
    },
    redisCall(args) {
      // room for redis.call and the arguments (Redis's ldbRedis checks the same)
      if (raw.tsdis_checkstack(L, args.length + 2) === 0) return false;
      const top = raw.tsdis_gettop(L);
      const r = cString(vm, 'redis');
      const c = cString(vm, 'call');
      raw.tsdis_getfield(L, LUA_GLOBALSINDEX, r);
      raw.tsdis_getfield(L, -1, c);
      raw.free_mem(r);
      raw.free_mem(c);
      for (const a of args) {
        const p = vm.mem.alloc(Math.max(1, a.length));
        heap(vm).latin1Write(a, p, a.length);
        raw.tsdis_pushlstring(L, p, a.length);
        vm.mem.free(p);
      }
      raw.tsdis_pcall(L, args.length, 0);
      raw.tsdis_settop(L, top);
      return true;
    },
    argStrings() {
      const n = raw.tsdis_gettop(L);
      const out: string[] = [];
      for (let i = 1; i <= n; i++)
        out.push(
          raw.tsdis_type(L, i) === LUA_TNUMBER ? numArgText(raw.tsdis_tonumber(L, i)) : (luaString(vm, L, i) ?? ''),
        );
      return out;
    },
    args() {
      const n = raw.tsdis_gettop(L);
      const out: string[] = [];
      for (let i = 1; i <= n; i++) out.push(valueRepr(vm, L, i));
      return out;
    },
    pushBoolean(v) {
      raw.tsdis_pushboolean(L, v ? 1 : 0);
    },
    abort() {
      raw.tsdis_kill.value = vm.killPtr;
      vm.killArmed = true;
    },
  };
}

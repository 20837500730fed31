/**
 * Lua 5.1's table library (ltablib.c) as jslua builtins: Lua's algorithms
 * (table.sort's quicksort, whose comparison sequence decides the order of
 * equal elements and what an inconsistent comparator produces) and error
 * texts. Functions these builtins call back (sort's comparator, foreach's
 * function, __lt) are called from C in Lua: they run with cur.site = -1 (no
 * position, no name) and the builtin's own site is restored after.
 */
import { READONLY, metaField } from './lib-base.js';
import { LuaTable } from './table.js';
import {
  LuaError,
  LuaUserdata,
  checkInt,
  checkTable,
  cur,
  first,
  luaError,
  numberToString,
  optInt,
  optString,
  typeError,
  typeName,
  type LuaFunction,
  type LuaResult,
  type LuaValue,
} from './value.js';

/** luaL_checktype(L, narg, LUA_TFUNCTION). */
function checkFunction(v: LuaValue, narg: number, nargs: number): LuaFunction {
  if (typeof v !== 'function') typeError(narg, 'function', v, nargs);
  return v as LuaFunction;
}

/** luaG_ordererror's text (no position: callers raise it from C frames, or prefix it themselves). */
export function orderErrorText(a: LuaValue, b: LuaValue): string {
  const t1 = typeName(a);
  const t2 = typeName(b);
  return t1 === t2 ? `attempt to compare two ${t1} values` : `attempt to compare ${t1} with ${t2}`;
}

/**
 * lua_lessthan (luaV_lessthan): numbers, strings bytewise, else the shared
 * __lt metamethod of both operands; otherwise "attempt to compare ..."
 * (raised unprefixed, as from a C function's frame).
 */
export function luaLessThan(a: LuaValue, b: LuaValue): boolean {
  const ta = typeof a;
  if (ta === typeof b) {
    if (ta === 'number') return (a as number) < (b as number);
    if (ta === 'string') return (a as string) < (b as string);
    if (ta === 'object' && a instanceof LuaUserdata === b instanceof LuaUserdata) {
      const tm = metaField(a, '__lt');
      if (tm !== undefined && tm === metaField(b, '__lt')) {
        if (typeof tm !== 'function') throw new LuaError(`attempt to call a ${typeName(tm)} value`);
        const r = first((tm as LuaFunction)(a, b));
        return r !== undefined && r !== false;
      }
    }
  }
  throw new LuaError(orderErrorText(a, b));
}

// ---------------------------------------------------------------------------

function concat(t: LuaValue, sep: LuaValue, i: LuaValue, j: LuaValue): LuaResult {
  const nargs = arguments.length;
  const s = optString(sep, 2, nargs, '');
  const tb = checkTable(t, 1, nargs);
  let a = optInt(i, 3, nargs, 1);
  const last = j === undefined ? tb.length() : checkInt(j, 4, nargs);
  let out = '';
  for (; a < last; a++) {
    out += field(tb, a);
    out += s;
  }
  if (a === last) out += field(tb, a);
  return out;
}

function field(tb: LuaTable, i: number): string {
  const v = tb.getInt(i);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  luaError(`invalid value (${typeName(v)}) at index ${i} in table for 'concat'`);
}

function insert(t: LuaValue, a2: LuaValue, a3: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  let e = tb.length() + 1;
  let pos: number;
  let v: LuaValue;
  if (nargs === 2) {
    pos = e;
    v = a2;
  } else if (nargs === 3) {
    pos = checkInt(a2, 2, nargs);
    if (pos > e) e = pos;
    if (e > pos && tb.readonly) throw new LuaError(READONLY);
    for (let i = e; i > pos; i--) tb.setInt(i, tb.getInt(i - 1));
    v = a3;
  } else luaError("wrong number of arguments to 'insert'");
  if (tb.readonly) throw new LuaError(READONLY);
  tb.setInt(pos, v);
  return [];
}

function remove(t: LuaValue, p: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  const e = tb.length();
  let pos = optInt(p, 2, nargs, e);
  if (!(1 <= pos && pos <= e)) return [];
  const v = tb.getInt(pos);
  if (tb.readonly) throw new LuaError(READONLY);
  for (; pos < e; pos++) tb.setInt(pos, tb.getInt(pos + 1));
  tb.setInt(e, undefined);
  return v;
}

function getn(t: LuaValue): LuaResult {
  return checkTable(t, 1, arguments.length).length();
}

function setn(t: LuaValue): LuaResult {
  checkTable(t, 1, arguments.length);
  luaError("'setn' is obsolete");
}

function maxn(t: LuaValue): LuaResult {
  const tb = checkTable(t, 1, arguments.length);
  let max = 0;
  for (let i = tb.nextIndex(-1); i >= 0; i = tb.nextIndex(i)) {
    const k = tb.keyAt(i);
    if (typeof k === 'number' && k > max) max = k;
  }
  return max;
}

function foreachi(t: LuaValue, f: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  const n = tb.length();
  const fn = checkFunction(f, 2, nargs);
  const site = cur.site;
  for (let i = 1; i <= n; i++) {
    cur.site = -1;
    const r = first(fn(i, tb.getInt(i)));
    if (r !== undefined) {
      cur.site = site;
      return r;
    }
  }
  cur.site = site;
  return [];
}

function foreach(t: LuaValue, f: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  const fn = checkFunction(f, 2, nargs);
  const site = cur.site;
  let kv = tb.next(undefined);
  while (kv !== undefined) {
    cur.site = -1;
    const r = first(fn(kv[0], kv[1]));
    if (r !== undefined) {
      cur.site = site;
      return r;
    }
    kv = tb.next(kv[0]);
  }
  cur.site = site;
  return [];
}

// ---------------------------------------------------------------------------
// table.sort: ltablib.c's quicksort, step for step

/** The comparator (undefined: `<`) and the call site of the running sort. */
let sortCmp: LuaFunction | undefined;
let sortSite = 0;

function lt(a: LuaValue, b: LuaValue): boolean {
  const cmp = sortCmp;
  if (cmp === undefined) return luaLessThan(a, b);
  cur.site = -1;
  const r = first(cmp(a, b));
  return r !== undefined && r !== false;
}

function badOrder(): never {
  cur.site = sortSite;
  luaError('invalid order function for sorting');
}

/** lua_rawseti in sort: a readonly table raises at the first store. */
function put(t: LuaTable, i: number, v: LuaValue): void {
  if (t.readonly) throw new LuaError(READONLY);
  t.setInt(i, v);
}

function auxsort(t: LuaTable, l: number, u: number): void {
  while (l < u) {
    // order a[l], a[(l+u)/2], a[u]
    const al = t.getInt(l);
    const au = t.getInt(u);
    if (lt(au, al)) {
      put(t, l, au);
      put(t, u, al);
    }
    if (u - l === 1) break;
    let i = Math.floor((l + u) / 2);
    const ai = t.getInt(i);
    const al2 = t.getInt(l);
    if (lt(ai, al2)) {
      put(t, i, al2);
      put(t, l, ai);
    } else {
      const au2 = t.getInt(u);
      if (lt(au2, ai)) {
        put(t, i, au2);
        put(t, u, ai);
      }
    }
    if (u - l === 2) break;
    const P = t.getInt(i);
    const aum1 = t.getInt(u - 1);
    put(t, i, aum1);
    put(t, u - 1, P);
    // partition a[l+1..u-2] around P
    i = l;
    let j = u - 1;
    for (;;) {
      let vi: LuaValue;
      let vj: LuaValue;
      while (lt((vi = t.getInt(++i)), P)) if (i > u) badOrder();
      while (lt(P, (vj = t.getInt(--j)))) if (j < l) badOrder();
      if (j < i) break;
      put(t, i, vj);
      put(t, j, vi);
    }
    const x = t.getInt(u - 1);
    const y = t.getInt(i);
    put(t, u - 1, y);
    put(t, i, x);
    // recurse into the smaller half, loop on the larger one
    if (i - l < u - i) {
      j = l;
      i = i - 1;
      l = i + 2;
    } else {
      j = i + 1;
      i = u;
      u = j - 2;
    }
    auxsort(t, j, i);
  }
}

function sort(t: LuaValue, comp: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  const n = tb.length();
  if (comp !== undefined) checkFunction(comp, 2, nargs);
  const savedCmp = sortCmp;
  const savedSite = sortSite;
  const site = cur.site;
  sortCmp = comp as LuaFunction | undefined;
  sortSite = site;
  try {
    auxsort(tb, 1, n);
  } finally {
    sortCmp = savedCmp;
    sortSite = savedSite;
  }
  cur.site = site;
  return [];
}

/** The table library by env path. */
export const tableLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['table.concat', concat],
  ['table.insert', insert],
  ['table.remove', remove],
  ['table.sort', sort],
  ['table.getn', getn],
  ['table.setn', setn],
  ['table.maxn', maxn],
  ['table.foreach', foreach],
  ['table.foreachi', foreachi],
]);

/**
 * The runtime of jslua's compiled code (compile.ts): the slow paths the
 * generated JS falls to when an operation's fast path does not apply
 * (coercions, string methods, Lua 5.1's runtime errors with their exact
 * texts), and the busy-script countdown.
 *
 * Error texts follow ldebug.c: an operand is named as getobjname names the
 * register holding it ("local 'x'", "global 'KEYS'", "field 'y'",
 * "upvalue 'z'", "method 'm'"); compiled code passes that description as a
 * constant (`desc`, '' for none) and the line of the operation.
 */
import { luaPow, NEG_NAN } from './lib-math.js';
import { LuaTable } from './table.js';
export { fbRound } from './table.js';
import {
  cur,
  LuaError,
  numberToString,
  toNumber,
  typeName,
  type LuaFunction,
  type LuaResult,
  type LuaValue,
} from './value.js';

const EMPTY: LuaValue[] = [];
Object.freeze(EMPTY);

/** Raises "<chunk>:<line>: <msg>" (luaG_runerror in a Lua function). */
function err(line: number, msg: string): never {
  throw new LuaError(`${cur.chunk}:${line}: ${msg}`, line);
}

/** luaG_typeerror: "attempt to <op> <desc> (a <type> value)" or "attempt to <op> a <type> value". */
function typeErr(line: number, v: LuaValue, op: string, desc: string): never {
  const t = typeName(v);
  err(line, desc === '' ? `attempt to ${op} a ${t} value` : `attempt to ${op} ${desc} (a ${t} value)`);
}

function arithOp(x: number, y: number, op: number): number {
  let r: number;
  switch (op) {
    case 0:
      r = x + y;
      break;
    case 1:
      r = x - y;
      break;
    case 2:
      r = x * y;
      break;
    case 3:
      r = x / y;
      break;
    case 4:
      r = x - Math.floor(x / y) * y;
      break;
    default:
      return luaPow(x, y);
  }
  // A NaN made here (not one passed in) is x86's default NaN, sign bit set, as
  // an invalid operation (0/0, inf-inf, 0*inf) gives redis-server's Lua
  // ("-nan"). V8 gives it too at run time, but a result it folded from
  // constants is its own positive NaN (Node 22 folds `0/0` reached here).
  return r === r || x !== x || y !== y ? r : NEG_NAN;
}

/** luaV_tostring for concatenation: a string, a number as "%.14g", else undefined. */
function concatPiece(v: LuaValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  return undefined;
}

/** The string library's functions by name, for `s:method()` and `s.name` on strings (set by compile.ts from env). */
let stringLib: ReadonlyMap<string, LuaValue> = new Map();

export const R = {
  /** `^` on two numbers (lib-math.ts luaPow: rounded as redis-server's pow). */
  pow: luaPow,
  /** Countdown of loop iterations and function entries until `hook` is called. */
  budget: 1_000_000,
  /** Called (with the line) when budget runs out; may throw to kill the script. The default only refills. */
  hook(line: number): void {
    void line;
    R.budget = 1_000_000;
  },

  /** The 0-result return value (shared, frozen). */
  EMPTY,

  setStringLib(m: ReadonlyMap<string, LuaValue>): void {
    stringLib = m;
  },

  /** Arithmetic's slow path (luaV_arith): string coercion, else luaG_aritherror. op: 0 + 1 - 2 * 3 / 4 % 5 ^. */
  arith(a: LuaValue, b: LuaValue, op: number, line: number, da: string, db: string): number {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== undefined && y !== undefined) return arithOp(x, y, op);
    // the first operand if it is not a number, else the second
    if (x === undefined) typeErr(line, a, 'perform arithmetic on', da);
    typeErr(line, b, 'perform arithmetic on', db);
  },

  /** Unary minus's slow path. */
  unm(a: LuaValue, line: number, da: string): number {
    const x = toNumber(a);
    if (x !== undefined) return -x;
    typeErr(line, a, 'perform arithmetic on', da);
  },

  /** `#` on a non-string, non-table. */
  len(a: LuaValue, line: number, da: string): number {
    if (typeof a === 'string') return a.length;
    if (a instanceof LuaTable) return a.length();
    typeErr(line, a, 'get length of', da);
  },

  /**
   * `..` over n operands (a right-associative chain: one OP_CONCAT), slow
   * path: numbers as "%.14g"; luaV_concat works from the right, so the
   * error names the rightmost bad operand, or the one before the last when
   * the last two are both bad.
   */
  concat(line: number, descList: string, ...vals: LuaValue[]): string {
    const n = vals.length;
    const descs = descList.split('\0');
    for (let i = n - 1; i >= 0; i--) {
      const v = vals[i];
      if (typeof v !== 'string' && typeof v !== 'number') {
        if (i === n - 1 && n >= 2) {
          const p = vals[n - 2];
          if (typeof p !== 'string' && typeof p !== 'number') typeErr(line, p, 'concatenate', descs[n - 2]!);
        }
        typeErr(line, v, 'concatenate', descs[i]!);
      }
    }
    let s = '';
    for (let i = 0; i < n; i++) s += concatPiece(vals[i])!;
    return s;
  },

  /** luaG_ordererror. */
  orderErr(a: LuaValue, b: LuaValue, line: number): never {
    const t1 = typeName(a);
    const t2 = typeName(b);
    if (t1[2] === t2[2]) err(line, `attempt to compare two ${t1} values`);
    err(line, `attempt to compare ${t1} with ${t2}`);
  },

  /** `a < b` (luaV_lessthan): numbers, strings bytewise, else an error. */
  lt(a: LuaValue, b: LuaValue, line: number): boolean {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    if (typeof a === 'string' && typeof b === 'string') return a < b;
    return R.orderErr(a, b, line);
  },

  /** `a <= b` (lessequal). */
  le(a: LuaValue, b: LuaValue, line: number): boolean {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    if (typeof a === 'string' && typeof b === 'string') return a <= b;
    return R.orderErr(a, b, line);
  },

  /** Indexing a non-table (luaV_gettable): strings index the string library, others raise. */
  index(o: LuaValue, k: LuaValue, line: number, desc: string): LuaValue {
    if (o instanceof LuaTable) return o.get(k);
    if (typeof o === 'string') return typeof k === 'string' ? stringLib.get(k) : undefined;
    typeErr(line, o, 'index', desc);
  },

  /** A raw store with Lua's key checks ("table index is nil" / "is NaN"). */
  rawset(t: LuaTable, k: LuaValue, v: LuaValue, line: number): void {
    if (k === undefined) err(line, 'table index is nil');
    if (typeof k === 'number' && k !== k) err(line, 'table index is NaN');
    t.set(k, v);
  },

  /** A store `o[k] = v` (luaV_settable): tables, else "attempt to index". */
  setindex(o: LuaValue, k: LuaValue, v: LuaValue, line: number, desc: string): void {
    if (o instanceof LuaTable) return R.rawset(o, k, v, line);
    typeErr(line, o, 'index', desc);
  },

  /**
   * Calling a non-function: returns a function that raises "attempt to call
   * ..." when called, so the call's arguments are still evaluated first, as
   * in Lua (the check happens at OP_CALL).
   */
  ce(f: LuaValue, line: number, desc: string): LuaFunction {
    return () => typeErr(line, f, 'call', desc);
  },

  /** A numeric for's initial value / limit / step that is not a number: coerced, or the error. which: 0 1 2. */
  fornum(v: LuaValue, which: number, line: number): number {
    const x = toNumber(v);
    if (x !== undefined) return x;
    err(line, `'for' ${which === 0 ? 'initial value' : which === 1 ? 'limit' : 'step'} must be a number`);
  },

  /** All results as an array (for spreading into calls or constructors). */
  res(r: LuaResult): LuaValue[] {
    return Array.isArray(r) ? r : [r];
  },

  /** An array of results as a LuaResult (one value as itself). */
  ret(a: LuaValue[]): LuaResult {
    return a.length === 1 ? a[0] : a;
  },

  /** OP_SETLIST's stores from index `from` on, into a table whose array part has `sizearray` slots (grown first if short). */
  setlist(t: LuaTable, from: number, vals: LuaValue[], sizearray: number): void {
    const last = from + vals.length - 1;
    if (last > sizearray) t.resizeArray(last);
    for (let i = 0; i < vals.length; i++) t.setInt(from + i, vals[i]);
  },

  /**
   * Converts what a compiled chunk threw into what Lua would raise: a JS
   * stack overflow (RangeError) becomes Lua's "stack overflow" at the current
   * call site's line; a LuaError stays; anything else is rethrown as is.
   * For the top level and pcall (cost only when something was thrown).
   */
  toLuaError(e: unknown): unknown {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      const s = cur.sites[cur.site];
      return new LuaError(s === undefined ? 'stack overflow' : `${cur.chunk}:${s.line}: stack overflow`, s?.line ?? 0);
    }
    return e;
  },
};

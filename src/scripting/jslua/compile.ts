/**
 * jslua's compiler: a Lua 5.1 chunk (parser.ts's AST) to the source of a
 * JavaScript function, built once per script with `new Function`.
 *
 * Mapping: Lua locals are JS `let`s (one uniquely named binding per Lua
 * declaration, declared in the JS block of the Lua block, so a closure in a
 * loop captures a fresh local per iteration), upvalues are JS closures, a
 * Lua function is a JS function taking its parameters (`...va` for `...`)
 * and returning a LuaResult (value.ts). Globals are read-only in Redis 7, so
 * every global name resolves at compile time: KEYS / ARGV (the run's
 * arguments) or an env entry (a constant). Each operation is emitted with
 * its fast path inline and a call to runtime.ts for the rest (coercions,
 * errors with their line and operand names as constants).
 *
 * Anything not implemented exactly makes compileChunk return
 * `{ unsupported }` (the script then runs on the WebAssembly VM): assigning
 * a global or a library field, globals outside env, library tables used as
 * values, math.random / randomseed, setmetatable / getmetatable / getfenv /
 * loadstring..., `error(msg, level)` with a level other than a literal 0 or
 * 1 (a caller's line would need a call stack), the implicit `arg` table of
 * a vararg function; and, with compileOptions.allowRecursion false, a
 * script whose call graph (computed conservatively) has a cycle, since JS's
 * stack is shallower than Lua's.
 *
 * Call sites: before each call the code stores the call's index into
 * `sites` in cur.site, after evaluating the arguments, so builtins name
 * themselves and their line as Lua's getfuncname / luaL_where would.
 * Lines: each operation that can raise carries the line Lua 5.1's code
 * generator gives its instruction (parser.ts records it: an index is
 * discharged at the token after it in some contexts, a call takes the line
 * of its '(', an arithmetic operation the last token of its right operand).
 */
import { parseChunk, ParseError, type Expr, type FuncNode, type Stat } from './parser.js';
import { fbRound, R } from './runtime.js';
import { LuaTable } from './table.js';
import { cur, numberToString, type CallSite, type LuaResult, type LuaValue } from './value.js';

export interface CompiledChunk {
  /** Runs the chunk (Redis calls it with no arguments; KEYS and ARGV are globals). */
  run(KEYS: LuaTable, ARGV: LuaTable): LuaResult;
  /** The chunk's call sites (value.ts CallSite), indexed by the numbers compiled code stores in cur.site. */
  sites: CallSite[];
  /** Lets go of the closures the last run made (and what they captured). */
  forget(): void;
}

/**
 * allowRecursion (default true, as the design asks: a JS stack overflow
 * surfaces as Lua's "stack overflow"): compile scripts whose functions may
 * call themselves. Not exact for deep recursion: Lua 5.1 nests up to ~20000
 * calls (and a tail call does not nest), V8's default stack holds about
 * 5000-8000 of these functions, so a script recursing deeper raises "stack
 * overflow" where Lua succeeds. false: refuse every script whose call graph
 * (computed conservatively) has a cycle, e.g. BullMQ's moveToFinished,
 * drain, cleanJobsInSet, removeJob... (their removeParentDependencyKey
 * recurses along a job's parent chain).
 */
export const compileOptions = { allowRecursion: true };

class Unsupported extends Error {}

function unsupported(why: string): never {
  throw new Unsupported(why);
}

/** Global names never compiled (they would break the static view of globals and metatables). */
const REFUSED = new Set([
  'setmetatable',
  'getmetatable',
  'getfenv',
  'setfenv',
  '_G',
  'loadstring',
  'load',
  'dofile',
  'loadfile',
  'module',
  'require',
  'newproxy',
  'coroutine',
  'debug',
]);

interface LocalVar {
  js: string;
  name: string;
  fn: FnState;
  /** LUA_COMPAT_VARARG's implicit `arg` of a vararg function not using `...` (unsupported when read). */
  compatArg?: boolean;
  /** the function literal it was declared with (`local function f`, `local f = function`), for the call graph */
  lit?: number;
  /** assigned after its declaration */
  reassigned?: boolean;
  /** the env path of the builtin it was declared with (`local rcall = redis.call`) */
  builtin?: string;
}

/** A call in the call graph: to a literal, through a local, through a constant field / method name, or to anything. */
type CallTarget = { lit: number } | { v: LocalVar } | { field: string } | 'any' | 'callback';

interface FnState {
  parent: FnState | null;
  node: FuncNode;
  /** temps used by the statement being compiled, and the most any statement used */
  tmp: number;
  tmpMax: number;
  /**
   * The function's zero constant: Lua's constant table keys numbers by
   * value and 0 == -0, so the first of 0 / -0 a function uses stands for
   * both in it (`local a = 0 return tostring(-0)` gives "0").
   */
  zero?: number;
  /** the function literal's number (the main chunk is 0) */
  id: number;
}

/** Builtins that call a function they are given (pcall(f), table.sort(t, cmp), string.gsub(s, p, f)...). */
const CALLS_BACK = new Set(['pcall', 'xpcall', 'table.sort', 'string.gsub', 'table.foreach', 'table.foreachi']);

/** Whether a key can be a string (arithmetic and `#` give numbers): a function stored under it may be called as a field. */
function maybeStringKey(e: Expr): boolean {
  switch (e.k) {
    case 'num':
    case 'nil':
    case 'true':
    case 'false':
    case 'table':
    case 'func':
    case 'un':
      return false;
    case 'bin':
      return e.op === 'and' || e.op === 'or' ? maybeStringKey(e.a) || maybeStringKey(e.b) : e.op === '..';
    case 'paren':
      return maybeStringKey(e.e);
    default:
      return true;
  }
}

/** Whether an expression's value can be a function (for the call graph: what a store may put in a table). */
function maybeFunction(e: Expr): boolean {
  switch (e.k) {
    case 'nil':
    case 'true':
    case 'false':
    case 'num':
    case 'str':
    case 'table':
    case 'un':
      return false;
    case 'bin':
      return e.op === 'and' || e.op === 'or' ? maybeFunction(e.a) || maybeFunction(e.b) : false;
    case 'paren':
      return maybeFunction(e.e);
    default:
      return true;
  }
}

/** Whether an expression can call something (so evaluating it may change cur.site). */
function hasCall(e: Expr): boolean {
  switch (e.k) {
    case 'call':
    case 'method':
      return true;
    case 'index':
      return hasCall(e.obj) || hasCall(e.key);
    case 'bin':
      return hasCall(e.a) || hasCall(e.b);
    case 'un':
      return hasCall(e.a);
    case 'paren':
      return hasCall(e.e);
    case 'table':
      return e.items.some((it) => (it.t === 'pos' ? hasCall(it.e) : hasCall(it.key) || hasCall(it.val)));
    default:
      return false;
  }
}

function isMulti(e: Expr): boolean {
  return e.k === 'call' || e.k === 'method' || e.k === 'vararg';
}

function numLit(v: number): string {
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

function strLit(s: string): string {
  return JSON.stringify(s);
}

const ARITH: Record<string, number> = { '+': 0, '-': 1, '*': 2, '/': 3, '%': 4, '^': 5 };

class Compiler {
  private fn!: FnState;
  private scopes: Map<string, LocalVar>[] = [];
  private uid = 0;
  readonly sites: CallSite[] = [];
  private siteIdx = new Map<string, number>();
  readonly envNames: string[] = [];
  private envIdx = new Map<string, number>();
  /** library table names: the prefixes of env's 'lib.name' entries */
  private libs = new Set<string>();
  // the call graph, to refuse scripts that may recurse (JS's stack is shallower than Lua's 20000 calls, and has no tail calls)
  private nLits = 1;
  private escapes = new Set<number>();
  private calls: [number, CallTarget][] = [];
  /** constant field names a function may be stored under; whether one may be stored under a computed key */
  private fnFields = new Set<string>();
  /** the function literals stored under constant field names (`function t.f()`, `t.f = function`, `{f = function}`) */
  private fieldLits = new Map<string, number[]>();
  private fnDynamic = false;
  /** the number of the function literal compiled last */
  private lastLit = 0;

  constructor(private env: ReadonlyMap<string, LuaValue>) {
    for (const k of env.keys()) {
      const dot = k.indexOf('.');
      if (dot > 0) this.libs.add(k.slice(0, dot));
    }
  }

  // ---- helpers

  private site(line: number, kind: string, name: string): number {
    const key = `${line}\0${kind}\0${name}`;
    let i = this.siteIdx.get(key);
    if (i === undefined) {
      i = this.sites.length;
      this.sites.push({ line, kind, name });
      this.siteIdx.set(key, i);
    }
    return i;
  }

  private envRef(path: string): string {
    let i = this.envIdx.get(path);
    if (i === undefined) {
      i = this.envNames.length;
      this.envNames.push(path);
      this.envIdx.set(path, i);
    }
    return `E${i}`;
  }

  /** A numeric constant as the function's constant table holds it (0 and -0 share a slot). */
  private k(v: number): number {
    if (v !== 0) return v;
    if (this.fn.zero === undefined) this.fn.zero = v;
    return this.fn.zero;
  }

  private tmp(): string {
    const n = ++this.fn.tmp;
    if (n > this.fn.tmpMax) this.fn.tmpMax = n;
    return `$${n}`;
  }

  private fresh(prefix: string): string {
    return `${prefix}$${++this.uid}`;
  }

  private declare(name: string, extra?: Partial<LocalVar>): LocalVar {
    const v: LocalVar = { js: this.fresh(name), name, fn: this.fn, ...extra };
    this.scopes[this.scopes.length - 1]!.set(name, v);
    return v;
  }

  private pushScope(): void {
    this.scopes.push(new Map());
  }
  private popScope(): void {
    this.scopes.pop();
  }

  private lookup(name: string): LocalVar | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v !== undefined) {
        if (v.compatArg) unsupported("the implicit 'arg' of a vararg function");
        return v;
      }
    }
    return undefined;
  }

  /** A global name used as a whole value: KEYS, ARGV or an env entry (not a library table). */
  private globalRef(name: string): string {
    if (name === 'KEYS' || name === 'ARGV') return name;
    if (REFUSED.has(name)) unsupported(`global '${name}'`);
    if (this.env.has(name)) return this.envRef(name);
    if (this.libs.has(name)) unsupported(`library table '${name}' used as a value`);
    unsupported(`unknown global '${name}'`);
  }

  /** `lib.name` with lib a global library table: the env path, else null. */
  private libPath(e: Expr): string | null {
    if (e.k !== 'index' || e.obj.k !== 'name' || e.key.k !== 'str') return null;
    const lib = e.obj.name;
    if (!this.libs.has(lib) || this.lookup(lib) !== undefined) return null;
    if (REFUSED.has(lib)) unsupported(`library '${lib}'`);
    const path = `${lib}.${e.key.v}`;
    if (path === 'math.random' || path === 'math.randomseed') unsupported(path);
    if (!this.env.has(path)) unsupported(`unknown library field '${path}'`);
    return path;
  }

  /** getobjname's description of the value of e (for error texts), '' for none. */
  private desc(e: Expr): string {
    const n = this.nameOf(e);
    return n === null ? '' : `${n.kind} '${n.name}'`;
  }

  private nameOf(e: Expr): { kind: string; name: string } | null {
    switch (e.k) {
      case 'name': {
        const v = this.lookup(e.name);
        if (v === undefined) return { kind: 'global', name: e.name };
        return { kind: v.fn === this.fn ? 'local' : 'upvalue', name: e.name };
      }
      case 'index':
        return { kind: 'field', name: e.key.k === 'str' ? e.key.v : '?' };
      case 'paren':
        return e.e.k === 'name' || e.e.k === 'index' ? this.nameOf(e.e) : null;
      default:
        return null;
    }
  }

  /** A JS atom for e's value (a name or literal), with the code that computes it first ('' if none). */
  /**
   * snap: copy the value now (into a temp) when it is an upvalue (1), or a
   * local or upvalue (2), as Lua's code copies it to a register before a
   * later operand's call could change it (an operation reads a local's own
   * register when it runs, but an upvalue is loaded first; `..` copies all
   * its operands in order).
   */
  private atom(e: Expr, snap: 0 | 1 | 2 = 0): [string, string] {
    switch (e.k) {
      case 'nil':
        return ['', 'undefined'];
      case 'true':
        return ['', 'true'];
      case 'false':
        return ['', 'false'];
      case 'num':
        return ['', numLit(this.k(e.v))];
      case 'str':
        return ['', strLit(e.v)];
      case 'name': {
        const v = this.lookup(e.name);
        if (v !== undefined) {
          if (v.lit !== undefined) this.escapes.add(v.lit);
          if (snap === 2 || (snap === 1 && v.fn !== this.fn)) {
            const t = this.tmp();
            return [`${t} = ${v.js}, `, t];
          }
          return ['', v.js];
        }
        return ['', this.globalRef(e.name)];
      }
      case 'paren':
        if (e.e.k === 'name') return this.atom(e.e, snap);
        break;
      case 'index': {
        const p = this.libPath(e);
        if (p !== null) return ['', this.envRef(p)];
        break;
      }
    }
    const t = this.tmp();
    return [`${t} = ${this.ex(e)}, `, t];
  }

  // ---- expressions

  /** e as a JS expression for its first value. */
  ex(e: Expr): string {
    switch (e.k) {
      case 'nil':
      case 'true':
      case 'false':
      case 'num':
      case 'str':
      case 'name':
        return this.atom(e)[1];
      case 'vararg':
        return 'va[0]';
      case 'func': {
        const code = this.func(e.f);
        this.escapes.add(this.lastLit);
        return code;
      }
      case 'paren':
        return this.ex(e.e);
      case 'index':
        return this.index(e);
      case 'call':
      case 'method': {
        const t = this.tmp();
        return `(${t} = ${this.call(e)}, Array.isArray(${t}) ? ${t}[0] : ${t})`;
      }
      case 'un':
        return this.unary(e);
      case 'bin':
        return this.binary(e);
      case 'table':
        return this.table(e);
    }
  }

  /** e (a call, method call or `...`) as a JS expression for all its values (a LuaResult). */
  private multi(e: Expr): string {
    if (e.k === 'vararg') return 'R.ret(va)';
    return this.call(e);
  }

  /** e (a call, method call or `...`) as a JS expression for an array of all its values. */
  private multiArr(e: Expr): string {
    if (e.k === 'vararg') return 'va';
    return `R.res(${this.call(e)})`;
  }

  /** e as a JS boolean (Lua truth). */
  cond(e: Expr): string {
    switch (e.k) {
      case 'nil':
      case 'false':
        return 'false';
      case 'true':
      case 'num':
      case 'str':
      case 'func':
      case 'table':
        if (e.k === 'func' || e.k === 'table') break;
        return 'true';
      case 'paren':
        return this.cond(e.e);
      case 'un':
        if (e.op === 'not') return `!${this.cond(e.a)}`;
        break;
      case 'bin':
        if (e.op === 'and') return `(${this.cond(e.a)} && ${this.cond(e.b)})`;
        if (e.op === 'or') return `(${this.cond(e.a)} || ${this.cond(e.b)})`;
        if (isCompare(e.op)) return this.binary(e);
        break;
    }
    const [pre, a] = this.atom(e);
    return `(${pre}${a} !== undefined && ${a} !== false)`;
  }

  private index(e: Expr & { k: 'index' }): string {
    const p = this.libPath(e);
    if (p !== null) return this.envRef(p);
    const [po, o] = this.atom(e.obj, hasCall(e.key) ? 1 : 0);
    const d = strLit(this.desc(e.obj));
    if (e.key.k === 'str') {
      const k = strLit(e.key.v);
      return `(${po}${o} instanceof LuaTable ? ${o}.getStr(${k}) : R.index(${o}, ${k}, ${e.line}, ${d}))`;
    }
    if (e.key.k === 'num' && Number.isInteger(e.key.v)) {
      const k = numLit(this.k(e.key.v));
      return `(${po}${o} instanceof LuaTable ? ${o}.getInt(${k}) : R.index(${o}, ${k}, ${e.line}, ${d}))`;
    }
    const [pk, k] = this.atom(e.key);
    return `(${po}${pk}${o} instanceof LuaTable ? ${o}.get(${k}) : R.index(${o}, ${k}, ${e.line}, ${d}))`;
  }

  private unary(e: Expr & { k: 'un' }): string {
    if (e.op === 'not') return `!${this.cond(e.a)}`;
    const [p, a] = this.atom(e.a);
    const d = strLit(this.desc(e.a));
    if (e.op === '-') return `(${p}typeof ${a} === 'number' ? -${a} : R.unm(${a}, ${e.line}, ${d}))`;
    return `(${p}typeof ${a} === 'string' ? ${a}.length : ${a} instanceof LuaTable ? ${a}.length() : R.len(${a}, ${e.line}, ${d}))`;
  }

  private binary(e: Expr & { k: 'bin' }): string {
    const op = e.op;
    if (op === 'and' || op === 'or') {
      if (e.a.k === 'bin' && isCompare(e.a.op)) {
        const c = this.binary(e.a);
        return op === 'and' ? `(${c} ? ${this.ex(e.b)} : false)` : `(${c} ? true : ${this.ex(e.b)})`;
      }
      const [p, a] = this.atom(e.a);
      const test = `${a} === undefined || ${a} === false`;
      return op === 'and' ? `(${p}${test} ? ${a} : ${this.ex(e.b)})` : `(${p}${test} ? ${this.ex(e.b)} : ${a})`;
    }
    if (op === '..') return this.concat(e);
    const [pa, a] = this.atom(e.a, hasCall(e.b) ? 1 : 0);
    const [pb, b] = this.atom(e.b);
    if (op === '==') return `(${pa}${pb}${a} === ${b})`;
    if (op === '~=') return `(${pa}${pb}${a} !== ${b})`;
    const an = e.a.k === 'num';
    const bn = e.b.k === 'num';
    // two constants (Lua did not fold them: a division by 0, a NaN): computed at run time, where V8 will not
    // fold them (its folding makes 0/0 a positive NaN; x86 and Lua give -nan)
    const guard =
      an && bn
        ? 'false'
        : an
          ? `typeof ${b} === 'number'`
          : bn
            ? `typeof ${a} === 'number'`
            : `typeof ${a} === 'number' && typeof ${b} === 'number'`;
    if (isCompare(op)) {
      // a > b is b < a, a >= b is b <= a (lcode.c swaps the operands)
      const [x, y, f] =
        op === '<' ? [a, b, 'lt'] : op === '<=' ? [a, b, 'le'] : op === '>' ? [b, a, 'lt'] : [b, a, 'le'];
      const jsop = f === 'lt' ? '<' : '<=';
      return `(${pa}${pb}${guard} ? ${x} ${jsop} ${y} : R.${f}(${x}, ${y}, ${e.line}))`;
    }
    const code = ARITH[op];
    if (code === undefined) unsupported(`operator ${op}`);
    let fast: string;
    if (op === '%') fast = `${a} - Math.floor(${a} / ${b}) * ${b}`;
    // (pow as glibc rounds it: Math.pow is an ulp off for some, e.g. 7.2^4)
    else if (op === '^') fast = `R.pow(${a}, ${b})`;
    else fast = `${a} ${op} ${b}`;
    return `(${pa}${pb}${guard} ? ${fast} : R.arith(${a}, ${b}, ${code}, ${e.line}, ${strLit(this.desc(e.a))}, ${strLit(this.desc(e.b))}))`;
  }

  private concat(e: Expr & { k: 'bin' }): string {
    const ops: Expr[] = [e.a];
    let r: Expr = e.b;
    while (r.k === 'bin' && r.op === '..') {
      ops.push(r.a);
      r = r.b;
    }
    ops.push(r);
    let pre = '';
    const atoms: string[] = [];
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      const snap = ops.slice(i + 1).some(hasCall) ? 2 : 0;
      const [p, a] = o.k === 'num' ? ['', strLit(numberToString(this.k(o.v)))] : this.atom(o, snap);
      pre += p;
      atoms.push(a);
    }
    const guard = atoms
      .map((a, i) => (ops[i]!.k === 'str' || ops[i]!.k === 'num' ? null : `typeof ${a} === 'string'`))
      .filter((x) => x !== null);
    const descs = strLit(ops.map((o) => this.desc(o)).join('\0'));
    const slow = `R.concat(${e.line}, ${descs}, ${atoms.join(', ')})`;
    if (guard.length === 0) return `(${pre}${atoms.join(' + ')})`;
    return `(${pre}${guard.join(' && ')} ? ${atoms.join(' + ')} : ${slow})`;
  }

  /** A call or method call, as a JS expression for its LuaResult. */
  call(e: Expr): string {
    if (e.k === 'method') return this.methodCall(e);
    if (e.k !== 'call') throw new Error('not a call');
    const fe = e.fn;
    // select('#', ...)
    if (
      fe.k === 'name' &&
      fe.name === 'select' &&
      this.lookup('select') === undefined &&
      this.env.has('select') &&
      e.args.length === 2 &&
      e.args[0]!.k === 'str' &&
      e.args[0]!.v === '#' &&
      e.args[1]!.k === 'vararg'
    )
      return 'va.length';
    if (fe.k === 'name' && fe.name === 'error' && this.lookup('error') === undefined && e.args.length >= 2) {
      const lv = e.args[1]!;
      if (!(lv.k === 'num' && (lv.v === 0 || lv.v === 1)) || e.args.length > 2)
        unsupported('error with a level other than 0 or 1');
    }
    let kind = '';
    let name = '';
    let known = false;
    let pre: string;
    let f: string;
    const lp = this.libPath(fe);
    const fv = fe.k === 'name' ? this.lookup(fe.name) : undefined;
    if (lp !== null) this.calls.push([this.fn.id, CALLS_BACK.has(lp) ? 'callback' : { lit: -1 }]);
    else if (fv !== undefined) this.calls.push([this.fn.id, { v: fv }]);
    else if (fe.k === 'name') {
      // rawset(t, k, f) stores under a key we do not see
      if (
        fe.name === 'rawset' &&
        (e.args[2] === undefined || maybeFunction(e.args[2]) || isMulti(e.args[e.args.length - 1]!))
      )
        this.fnDynamic = true;
      this.calls.push([
        this.fn.id,
        CALLS_BACK.has(fe.name) ? 'callback' : fe.name === 'KEYS' || fe.name === 'ARGV' ? 'any' : { lit: -1 },
      ]);
    } else if (fe.k === 'index' && fe.key.k === 'str') this.calls.push([this.fn.id, { field: fe.key.v }]);
    else if (fe.k !== 'func' && !(fe.k === 'paren' && fe.e.k === 'func')) this.calls.push([this.fn.id, 'any']);
    if (fv !== undefined) {
      kind = fv.fn === this.fn ? 'local' : 'upvalue';
      name = fv.name;
      pre = '';
      f = fv.js;
    } else if (lp !== null) {
      kind = 'field';
      name =
        (fe as Expr & { k: 'index' }).key.k === 'str' ? ((fe as Expr & { k: 'index' }).key as { v: string }).v : '?';
      f = this.envRef(lp);
      pre = '';
      known = typeof this.env.get(lp) === 'function';
    } else {
      const n = this.nameOf(fe);
      if (n !== null) {
        kind = n.kind;
        name = n.name;
      }
      if (fe.k === 'name' && this.lookup(fe.name) === undefined) {
        f = this.globalRef(fe.name);
        pre = '';
        known = f !== 'KEYS' && f !== 'ARGV' && typeof this.env.get(fe.name) === 'function';
      } else if (fe.k === 'func' || (fe.k === 'paren' && fe.e.k === 'func')) {
        // a function literal called on the spot: a call to it, and it goes nowhere else
        const t = this.tmp();
        pre = `${t} = ${this.func(fe.k === 'func' ? fe.f : (fe.e as Expr & { k: 'func' }).f)}, `;
        f = t;
        this.calls.push([this.fn.id, { lit: this.lastLit }]);
      } else [pre, f] = this.atom(fe);
    }
    const s = this.site(e.line, kind, name);
    const callee = known
      ? f
      : `(typeof ${f} === 'function' ? ${f} : R.ce(${f}, ${e.line}, ${strLit(kind === '' ? '' : `${kind} '${name}'`)}))`;
    return this.emitCall(pre, callee, [], e.args, s);
  }

  private methodCall(e: Expr & { k: 'method' }): string {
    this.calls.push([this.fn.id, { field: e.name }]);
    const [po, o] = this.atom(e.obj);
    const d = strLit(this.desc(e.obj));
    const k = strLit(e.name);
    const sfn = this.env.has(`string.${e.name}`) ? this.envRef(`string.${e.name}`) : 'undefined';
    const m = this.tmp();
    const s = this.site(e.line, 'method', e.name);
    const look = `${m} = ${o} instanceof LuaTable ? ${o}.getStr(${k}) : typeof ${o} === 'string' ? ${sfn} : R.index(${o}, ${k}, ${e.nline}, ${d}), `;
    const callee = `(typeof ${m} === 'function' ? ${m} : R.ce(${m}, ${e.line}, ${strLit(`method '${e.name}'`)}))`;
    return this.emitCall(po + look, callee, [o], e.args, s);
  }

  /** `(pre, callee)(fixed..., args...)`, storing the site after the arguments are evaluated. */
  private emitCall(pre: string, callee: string, fixed: string[], args: Expr[], s: number): string {
    const parts = [...fixed];
    for (let i = 0; i < args.length - 1; i++) parts.push(this.ex(args[i]!));
    const setSite = `cur.site = ${s}`;
    if (args.length === 0) {
      if (parts.length === 0) return `(${pre}${setSite}, ${callee})()`;
      // the site goes with the last fixed argument (the method's self, a plain atom)
      const last = parts.pop()!;
      parts.push(`(${setSite}, ${last})`);
      return `(${pre}${callee})(${parts.join(', ')})`;
    }
    const last = args[args.length - 1]!;
    if (isMulti(last)) {
      if (last.k === 'vararg') parts.push(`...(${setSite}, va)`);
      else {
        const t = this.tmp();
        parts.push(`...(${t} = ${this.multiArr(last)}, ${setSite}, ${t})`);
      }
    } else if (hasCall(last)) {
      const t = this.tmp();
      parts.push(`(${t} = ${this.ex(last)}, ${setSite}, ${t})`);
    } else parts.push(`(${setSite}, ${this.ex(last)})`);
    return `(${pre}${callee})(${parts.join(', ')})`;
  }

  private table(e: Expr & { k: 'table' }): string {
    const items = e.items;
    const lastItem = items[items.length - 1];
    const trailing = lastItem !== undefined && lastItem.t === 'pos' && isMulti(lastItem.e);
    let na = 0;
    let nh = 0;
    for (const it of items) {
      if (it.t === 'pos') na++;
      else nh++;
    }
    if (trailing) na--;
    const T = this.tmp();
    const NA = fbRound(na);
    const NH = fbRound(nh);
    const out: string[] = [];
    out.push(`${T} = new LuaTable(${NA}, ${NH})`);
    if (nh === 0 && !trailing) {
      let i = 0;
      for (const it of items) out.push(`${T}.setInt(${++i}, ${this.ex((it as { e: Expr }).e)})`);
      out.push(T);
      return `(${out.join(', ')})`;
    }
    // records are stored as they come; list items wait in temps for SETLIST (every 50, at the next field)
    let pending: string[] = [];
    let stored = 0;
    const flush = (): void => {
      for (const p of pending) out.push(`${T}.setInt(${++stored}, ${p})`);
      pending = [];
    };
    for (const it of items) {
      if (pending.length === 50) flush();
      if (it === lastItem && trailing && it.t === 'pos') {
        // the last SETLIST: the pending items and all the values, the array part grown first if they go past it
        const r = this.tmp();
        out.push(`${r} = ${this.multiArr(it.e)}`);
        const from = stored + pending.length + 1;
        flush();
        out.push(`R.setlist(${T}, ${from}, ${r}, ${NA})`);
        out.push(T);
        return `(${out.join(', ')})`;
      }
      if (it.t === 'pos') {
        const t = this.tmp();
        out.push(`${t} = ${this.ex(it.e)}`);
        pending.push(t);
      } else if (it.key.k === 'str') {
        out.push(`${T}.setStr(${strLit(it.key.v)}, ${this.ex(it.val)})`);
        this.noteStore(it.key, it.val);
      } else {
        this.noteStore(it.key, it.val);
        const [pk, k] = this.atom(it.key);
        out.push(`${pk}R.rawset(${T}, ${k}, ${this.ex(it.val)}, ${e.line})`);
      }
    }
    flush();
    out.push(T);
    return `(${out.join(', ')})`;
  }

  // ---- functions and statements

  /** A function literal's JS (`name`: the Lua name it is declared with, to name it in profiles and stacks). */
  func(node: FuncNode, name?: string): string {
    const saved = this.fn;
    const id = this.nLits++;
    const fn: FnState = { parent: saved, node, tmp: 0, tmpMax: 0, id };
    this.fn = fn;
    this.pushScope();
    const params = node.params.map((p) => this.declare(p).js);
    let argDecl = '';
    if (node.isVararg) {
      params.push('...va');
      const a = this.declare('arg', node.usesVararg ? {} : { compatArg: true });
      argDecl = `let ${a.js};\n`;
    }
    const body = this.block(node.body, false);
    this.popScope();
    this.fn = saved;
    this.lastLit = id;
    const temps = fn.tmpMax > 0 ? `let ${Array.from({ length: fn.tmpMax }, (_, i) => `$${i + 1}`).join(', ')};\n` : '';
    // HELD keeps the last closure made of each function literal (see compileChunk); its JS name
    // (name$fN) is no Lua local's (name$N)
    const own = name === undefined ? '' : ` ${name}$f${id}`;
    return `(HELD[${id}] = function${own}(${params.join(', ')}) {\n${temps}${argDecl}if (--R.budget < 0) R.hook(${node.line});\n${body}return EMPTY;\n})`;
  }

  /** Refuses the script when its call graph (conservatively) has a cycle. */
  checkRecursion(strict: boolean): void {
    const n = this.nLits;
    const ANY = n;
    const adj: number[][] = Array.from({ length: n + 1 }, () => []);
    const callbackFrom: number[] = [];
    for (const [from, t] of this.calls) {
      let to: number;
      if (t === 'any') to = ANY;
      else if (t === 'callback') {
        to = ANY;
        callbackFrom.push(from);
      } else if ('lit' in t) to = t.lit;
      else if ('v' in t) {
        if (t.v.builtin !== undefined && !t.v.reassigned) {
          to = CALLS_BACK.has(t.v.builtin) ? ANY : -1;
          if (to === ANY) callbackFrom.push(from);
        } else if (t.v.lit === undefined || t.v.reassigned) {
          if (t.v.lit !== undefined) this.escapes.add(t.v.lit);
          to = ANY;
        } else to = t.v.lit;
      } else {
        for (const l of this.fieldLits.get(t.field) ?? []) adj[from]!.push(l);
        to = this.fnDynamic || this.fnFields.has(t.field) ? ANY : -1;
      }
      if (to >= 0) adj[from]!.push(to);
    }
    for (const l of this.escapes) adj[ANY]!.push(l);
    if (!strict) {
      // only recursion through a builtin's callback (pcall(f) in f...): Lua limits those to 200 nested C calls
      // ("C stack overflow"), which nothing here counts
      const seen = new Uint8Array(n + 1);
      const todo = [ANY];
      seen[ANY] = 1;
      while (todo.length > 0) {
        for (const w of adj[todo.pop()!]!) {
          if (seen[w] === 0) {
            seen[w] = 1;
            todo.push(w);
          }
        }
      }
      for (const u of callbackFrom)
        if (seen[u] === 1) unsupported('a function that may call itself through pcall / a callback (recursion)');
      return;
    }
    const state = new Uint8Array(n + 1); // 0 new, 1 on the path, 2 done
    const stack: [number, number][] = [];
    for (let s0 = 0; s0 <= n; s0++) {
      if (state[s0] !== 0) continue;
      stack.push([s0, 0]);
      state[s0] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const nb = adj[top[0]]!;
        if (top[1] < nb.length) {
          const w = nb[top[1]++]!;
          if (state[w] === 1) unsupported('a function that may call itself (recursion)');
          if (state[w] === 0) {
            state[w] = 1;
            stack.push([w, 0]);
          }
        } else {
          state[top[0]] = 2;
          stack.pop();
        }
      }
    }
  }

  compileMain(node: FuncNode): string {
    const fn: FnState = { parent: null, node, tmp: 0, tmpMax: 0, id: 0 };
    this.fn = fn;
    this.pushScope();
    const body = this.block(node.body, false);
    this.popScope();
    const temps = fn.tmpMax > 0 ? `let ${Array.from({ length: fn.tmpMax }, (_, i) => `$${i + 1}`).join(', ')};\n` : '';
    return `function main(...va) {\n${temps}${body}return EMPTY;\n}`;
  }

  private block(stats: Stat[], scope = true): string {
    if (scope) this.pushScope();
    let out = '';
    for (const s of stats) {
      this.fn.tmp = 0;
      out += this.stat(s);
    }
    if (scope) this.popScope();
    return out;
  }

  /** The values of an explist adjusted to n, as JS expressions (temps hold a multi-value last's results). */
  private adjust(exprs: Expr[], n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i]!;
      const last = i === exprs.length - 1;
      if (last && isMulti(e) && n > i + 1) {
        if (e.k === 'vararg') {
          for (let j = 0; i + j < n; j++) out.push(`va[${j}]`);
        } else {
          const t = this.tmp();
          out.push(`(${t} = ${this.call(e)}, Array.isArray(${t}) ? ${t}[0] : ${t})`);
          for (let j = 1; i + j < n; j++) out.push(`(Array.isArray(${t}) ? ${t}[${j}] : undefined)`);
        }
      } else if (i < n) out.push(this.ex(e));
      else if (isMulti(e) && e.k !== 'vararg') out.push(this.call(e));
      else if (e.k !== 'vararg') out.push(this.ex(e));
    }
    while (out.length < n) out.push('undefined');
    return out;
  }

  private budget(line: number): string {
    return `if (--R.budget < 0) R.hook(${line});\n`;
  }

  private stat(s: Stat): string {
    switch (s.k) {
      case 'local': {
        if (s.names.length === 1 && s.exprs.length === 1 && s.exprs[0]!.k === 'func') {
          const code = this.func(s.exprs[0]!.f, s.names[0]!);
          const v = this.declare(s.names[0]!);
          v.lit = this.lastLit;
          return `let ${v.js} = ${code};\n`;
        }
        const vals = this.adjust(s.exprs, s.names.length);
        const extra = vals.slice(s.names.length);
        const builtins = s.names.map((_, i) => {
          const e = s.exprs[i];
          if (e === undefined || (i === s.exprs.length - 1 && isMulti(e))) return undefined;
          const p = e.k === 'name' && this.lookup(e.name) === undefined ? e.name : this.libPath(e);
          return p !== null && typeof this.env.get(p) === 'function' ? p : undefined;
        });
        const vars = s.names.map((n, i) => {
          const v = this.declare(n);
          if (builtins[i] !== undefined) v.builtin = builtins[i];
          return v.js;
        });
        const decl = vars.map((v, i) => `${v} = ${vals[i]}`).join(', ');
        // extra expressions are evaluated (after the named ones) and dropped
        return `let ${decl};\n${extra.map((x) => `${x};\n`).join('')}`;
      }
      case 'localfunc': {
        const v = this.declare(s.name);
        v.lit = this.nLits; // the number func() gives it: its body may already use it
        const code = this.func(s.f, s.name);
        return `let ${v.js};\n${v.js} = ${code};\n`;
      }
      case 'call':
        return `${this.call(s.e)};\n`;
      case 'do':
        return `{\n${this.block(s.body)}}\n`;
      case 'while':
        return `while (${this.cond(s.cond)}) {\n${this.budget(s.line)}${this.block(s.body)}}\n`;
      case 'repeat': {
        this.pushScope();
        let body = '';
        for (const st of s.body) {
          this.fn.tmp = 0;
          body += this.stat(st);
        }
        this.fn.tmp = 0;
        const c = this.cond(s.cond);
        this.popScope();
        return `do {\n${this.budget(s.line)}${body}if (${c}) break;\n} while (true);\n`;
      }
      case 'if': {
        let out = '';
        s.conds.forEach((c, i) => {
          this.fn.tmp = 0;
          out += `${i === 0 ? 'if' : ' else if'} (${this.cond(c)}) {\n${this.block(s.bodies[i]!)}}`;
        });
        if (s.orelse !== null) out += ` else {\n${this.block(s.orelse)}}`;
        return out + '\n';
      }
      case 'numfor':
        return this.numfor(s);
      case 'genfor':
        return this.genfor(s);
      case 'funcstat':
        return this.funcstat(s);
      case 'return': {
        const ex = s.exprs;
        if (ex.length === 0) return 'return EMPTY;\n';
        if (ex.length === 1) {
          const e = ex[0]!;
          if (e.k === 'vararg') return 'return va.length === 1 ? va[0] : va;\n';
          if (isMulti(e)) return `return ${this.call(e)};\n`;
          return `return ${this.ex(e)};\n`;
        }
        const last = ex[ex.length - 1]!;
        const head = ex.slice(0, -1).map((x) => this.ex(x));
        if (!isMulti(last)) return `return [${[...head, this.ex(last)].join(', ')}];\n`;
        return `return R.ret([${head.join(', ')}, ...${this.multiArr(last)}]);\n`;
      }
      case 'break':
        return 'break;\n';
      case 'assign':
        return this.assign(s);
    }
  }

  private assign(s: Stat & { k: 'assign' }): string {
    if (s.targets.length === 1 && s.exprs.length === 1) {
      const t = s.targets[0]!;
      if (t.k === 'name') return `${this.localTarget(t.name)} = ${this.ex(s.exprs[0]!)};\n`;
      // t.k === 'index': a local table / key is read at the store, anything else before the value
      const ix = t as Expr & { k: 'index' };
      if (
        this.libPath(ix) !== null ||
        (ix.obj.k === 'name' && this.lookup(ix.obj.name) === undefined && this.libs.has(ix.obj.name))
      )
        unsupported('assigning a library field');
      const later = hasCall(s.exprs[0]!);
      const [po, o] = this.atom(ix.obj, later || hasCall(ix.key) ? 1 : 0);
      const [pk, k] =
        ix.key.k === 'str' || ix.key.k === 'num' ? ['', this.atom(ix.key)[1]] : this.atom(ix.key, later ? 1 : 0);
      const vcode = this.ex(s.exprs[0]!);
      this.noteStore(ix.key, s.exprs[0]!);
      const v = this.tmp();
      return `${po}${pk}${v} = ${vcode};\n${this.store(o, k, ix.key, v, s.line, this.desc(ix.obj))}`;
    }
    // multiple assignment: targets' tables and keys first, then all values, then the stores from right to left
    let out = '';
    const stores: string[] = [];
    // a local of this function used as a table or key is read at the store, unless a target on its right
    // assigns it (lparser.c's check_conflict then copies it first)
    const inPlace = (e: Expr, i: number): string | null => {
      if (e.k !== 'name') return null;
      const v = this.lookup(e.name);
      if (v === undefined || v.fn !== this.fn) return null;
      for (let j = i + 1; j < s.targets.length; j++) {
        const tj = s.targets[j]!;
        if (tj.k === 'name' && this.lookup(tj.name) === v) return null;
      }
      return v.js;
    };
    for (let i = 0; i < s.targets.length; i++) {
      const t = s.targets[i]!;
      if (t.k === 'name') {
        stores.push(`${this.localTarget(t.name)} = `);
        continue;
      }
      const ix = t as Expr & { k: 'index' };
      if (
        this.libPath(ix) !== null ||
        (ix.obj.k === 'name' && this.lookup(ix.obj.name) === undefined && this.libs.has(ix.obj.name))
      )
        unsupported('assigning a library field');
      // which value goes where is not worth tracking here
      if (ix.key.k === 'str') this.fnFields.add(ix.key.v);
      else if (maybeStringKey(ix.key)) this.fnDynamic = true;
      let o = inPlace(ix.obj, i);
      if (o === null) {
        o = this.tmp();
        out += `${o} = ${this.ex(ix.obj)};\n`;
      }
      let k: string | null;
      if (ix.key.k === 'str' || ix.key.k === 'num') k = this.atom(ix.key)[1];
      else if ((k = inPlace(ix.key, i)) === null) {
        k = this.tmp();
        out += `${k} = ${this.ex(ix.key)};\n`;
      }
      stores.push(`\0${o}\0${k}\0${this.desc(ix.obj)}`);
    }
    const vals = this.adjust(s.exprs, s.targets.length);
    const vt: string[] = [];
    for (const v of vals) {
      const t = this.tmp();
      out += `${t} = ${v};\n`;
      vt.push(t);
    }
    for (let i = s.targets.length - 1; i >= 0; i--) {
      const st = stores[i]!;
      if (st.startsWith('\0')) {
        const [, o, k, d] = st.split('\0');
        out += this.store(o!, k!, (s.targets[i] as Expr & { k: 'index' }).key, vt[i]!, s.line, d!);
      } else out += `${st}${vt[i]};\n`;
    }
    return out;
  }

  /** A plain name as an assignment target: locals and upvalues only (globals are read-only). */
  private localTarget(name: string): string {
    const v = this.lookup(name);
    if (v === undefined) unsupported(`assignment to global '${name}'`);
    v.reassigned = true;
    return v.js;
  }

  /** Notes a store of `val` under `key` for the call graph. */
  private noteStore(key: Expr, val: Expr): void {
    if (!maybeFunction(val)) return;
    if (val.k === 'func' && key.k === 'str') {
      const l = this.fieldLits.get(key.v) ?? [];
      l.push(this.lastLit);
      this.fieldLits.set(key.v, l);
      return;
    }
    if (key.k === 'str') this.fnFields.add(key.v);
    else if (maybeStringKey(key)) this.fnDynamic = true;
  }

  private store(o: string, k: string, key: Expr, v: string, line: number, desc: string): string {
    const d = strLit(desc);
    if (key.k === 'str')
      return `if (${o} instanceof LuaTable) ${o}.setStr(${k}, ${v}); else R.setindex(${o}, ${k}, ${v}, ${line}, ${d});\n`;
    if (key.k === 'num' && Number.isInteger(key.v) && key.v !== 0)
      return `if (${o} instanceof LuaTable) ${o}.setInt(${k}, ${v}); else R.setindex(${o}, ${k}, ${v}, ${line}, ${d});\n`;
    return `if (${o} instanceof LuaTable && typeof ${k} === 'number' && ${k} === ${k}) ${o}.set(${k}, ${v}); else if (${o} instanceof LuaTable && typeof ${k} === 'string') ${o}.setStr(${k}, ${v}); else R.setindex(${o}, ${k}, ${v}, ${line}, ${d});\n`;
  }

  private numfor(s: Stat & { k: 'numfor' }): string {
    const a = this.fresh('$a');
    const b = this.fresh('$b');
    const c = this.fresh('$c');
    const i = this.fresh('$i');
    const step = s.step ?? ({ k: 'num', v: 1 } as Expr);
    let out = `{\nlet ${a} = ${this.ex(s.start)}, ${b} = ${this.ex(s.limit)}, ${c} = ${this.ex(step)};\n`;
    if (s.start.k !== 'num') out += `if (typeof ${a} !== 'number') ${a} = R.fornum(${a}, 0, ${s.line});\n`;
    if (s.limit.k !== 'num') out += `if (typeof ${b} !== 'number') ${b} = R.fornum(${b}, 1, ${s.line});\n`;
    if (step.k !== 'num') out += `if (typeof ${c} !== 'number') ${c} = R.fornum(${c}, 2, ${s.line});\n`;
    const test =
      step.k === 'num' ? (step.v > 0 ? `${i} <= ${b}` : `${b} <= ${i}`) : `${c} > 0 ? ${i} <= ${b} : ${b} <= ${i}`;
    this.pushScope();
    const v = this.declare(s.v);
    const body = this.block(s.body);
    this.popScope();
    out += `let ${i} = ${a} - ${c};\nfor (;;) {\n${i} += ${c};\nif (!(${test})) break;\n${this.budget(s.line)}let ${v.js} = ${i};\n${body}}\n}\n`;
    return out;
  }

  private genfor(s: Stat & { k: 'genfor' }): string {
    const ex = s.exprs;
    // fast loops: pairs(t), ipairs(t), next, t
    let fast: 'pairs' | 'ipairs' | 'next' | null = null;
    let tExpr: Expr | null = null;
    let siteLine = s.line;
    if (ex.length === 1 && ex[0]!.k === 'call') {
      const c = ex[0] as Expr & { k: 'call' };
      if (
        c.fn.k === 'name' &&
        (c.fn.name === 'pairs' || c.fn.name === 'ipairs') &&
        this.lookup(c.fn.name) === undefined &&
        typeof this.env.get(c.fn.name) === 'function' &&
        c.args.length === 1 &&
        !isMulti(c.args[0]!)
      ) {
        fast = c.fn.name;
        tExpr = c.args[0]!;
        siteLine = c.line;
      }
    } else if ((ex.length === 2 || (ex.length === 3 && ex[2]!.k === 'nil')) && ex[0]!.k === 'name') {
      const n = ex[0] as Expr & { k: 'name' };
      if (
        n.name === 'next' &&
        this.lookup('next') === undefined &&
        typeof this.env.get('next') === 'function' &&
        !isMulti(ex[1]!)
      ) {
        fast = 'next';
        tExpr = ex[1]!;
      }
    }
    const out: string[] = ['{\n'];
    if (fast !== null) {
      const t = this.fresh('$t');
      const F = this.envRef(fast);
      out.push(`const ${t} = ${this.ex(tExpr!)};\n`);
      if (fast === 'next') {
        const site = this.site(s.line, 'local', '(for generator)');
        out.push(`if (!(${t} instanceof LuaTable)) { cur.site = ${site}; ${F}(${t}, undefined); }\n`);
      } else {
        const site = this.site(siteLine, 'global', fast);
        out.push(`if (!(${t} instanceof LuaTable)) { cur.site = ${site}; ${F}(${t}); }\n`);
      }
      this.pushScope();
      const vars = s.names.map((n) => this.declare(n).js);
      const body = this.block(s.body);
      this.popScope();
      if (fast === 'ipairs') {
        const i = this.fresh('$i');
        const v = this.fresh('$v');
        const decl = vars.map((x, j) => `${x} = ${j === 0 ? i : j === 1 ? v : 'undefined'}`).join(', ');
        out.push(`for (let ${i} = 1; ; ${i}++) {\nconst ${v} = ${t}.getInt(${i});\nif (${v} === undefined) break;\n`);
        out.push(`${this.budget(s.line)}let ${decl};\n${body}}\n`);
      } else {
        // lua_next each step: the slot after the previous key's slot (found again if it moved, as Lua finds it)
        const k = this.fresh('$k');
        const j = this.fresh('$j');
        const decl = vars
          .map((x, n) => `${x} = ${n === 0 ? k : n === 1 ? `${t}.valueAt(${j})` : 'undefined'}`)
          .join(', ');
        // (the previous slot still holding the previous key is where findIndex would find it)
        out.push(
          `let ${k}, ${j} = -1;\nfor (;;) {\n${j} = ${t}.nextIndex(${j} < 0 || ${t}.keyAt(${j}) === ${k} ? ${j} : ${t}.findIndex(${k}));\nif (${j} < 0) break;\n${k} = ${t}.keyAt(${j});\n`,
        );
        out.push(`${this.budget(s.line)}let ${decl};\n${body}}\n`);
      }
      out.push('}\n');
      return out.join('');
    }
    // general: f, s, control = explist; loop calling f(s, control) (a builtin's iterator when made by a builtin)
    const e0 = ex[0]!;
    const builtinIter =
      e0.k === 'call' &&
      ((e0.fn.k === 'name' && this.lookup(e0.fn.name) === undefined && !CALLS_BACK.has(e0.fn.name)) ||
        (this.libPath(e0.fn) !== null && !CALLS_BACK.has(this.libPath(e0.fn)!)));
    this.calls.push([this.fn.id, builtinIter ? { lit: -1 } : 'any']);
    const f = this.fresh('$f');
    const st = this.fresh('$s');
    const c = this.fresh('$c');
    const vals = this.adjust(ex, 3);
    out.push(`let ${f} = ${vals[0]}, ${st} = ${vals[1]}, ${c} = ${vals[2]};\n`);
    for (const x of vals.slice(3)) out.push(`${x};\n`);
    const site = this.site(s.line, 'local', '(for generator)');
    this.pushScope();
    const vars = s.names.map((n) => this.declare(n).js);
    const body = this.block(s.body);
    this.popScope();
    const r = this.fresh('$r');
    const decl = vars
      .map((x, j) => `${x} = ${j === 0 ? c : `Array.isArray(${r}) ? ${r}[${j}] : undefined`}`)
      .join(', ');
    out.push(
      `for (;;) {\ncur.site = ${site};\nconst ${r} = (typeof ${f} === 'function' ? ${f} : R.ce(${f}, ${s.line}, ''))(${st}, ${c});\n`,
    );
    out.push(`${c} = Array.isArray(${r}) ? ${r}[0] : ${r};\nif (${c} === undefined) break;\n`);
    out.push(`${this.budget(s.line)}let ${decl};\n${body}}\n}\n`);
    return out.join('');
  }

  private funcstat(s: Stat & { k: 'funcstat' }): string {
    if (s.path.length === 1 && s.method === null) unsupported(`assignment to global '${s.path[0]}'`);
    const root = s.path[0]!;
    if (this.lookup(root) === undefined && root !== 'KEYS' && root !== 'ARGV')
      unsupported(`defining a function in global '${root}'`);
    // the table holding the function: path[0].path[1]...path[n-2] (or the whole path for a method)
    const keys = s.method === null ? s.path.slice(1, -1) : s.path.slice(1);
    const fname = s.method ?? s.path[s.path.length - 1]!;
    let obj: Expr = { k: 'name', name: root, line: s.line };
    for (const k of keys) obj = { k: 'index', obj, key: { k: 'str', v: k }, line: s.line };
    const [po, o] = this.atom(obj);
    const node = s.f;
    const fcode = this.func(node, fname);
    this.escapes.add(this.lastLit);
    this.noteStore({ k: 'str', v: fname }, { k: 'func', f: node });
    const v = this.tmp();
    return `${po}${v} = ${fcode};\n${this.store(o, strLit(fname), { k: 'str', v: fname }, v, s.line, this.desc(obj))}`;
  }
}

function isCompare(op: string): boolean {
  return op === '<' || op === '<=' || op === '>' || op === '>=' || op === '==' || op === '~=';
}

const stringLibs = new WeakMap<ReadonlyMap<string, LuaValue>, Map<string, LuaValue>>();

/**
 * Compiles a Redis script body to JS; `{ unsupported }` (with the reason)
 * when it uses anything jslua does not implement exactly.
 */
export function compileChunk(
  source: string,
  chunkName: string,
  env: ReadonlyMap<string, LuaValue>,
): CompiledChunk | { unsupported: string } {
  let node: FuncNode;
  try {
    node = parseChunk(source);
  } catch (e) {
    if (e instanceof ParseError) return { unsupported: `parse: ${e.message}` };
    throw e;
  }
  const c = new Compiler(env);
  let main: string;
  try {
    main = c.compileMain(node);
    c.checkRecursion(!compileOptions.allowRecursion);
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: e.message };
    throw e;
  }
  let slib = stringLibs.get(env);
  if (slib === undefined) {
    slib = new Map();
    for (const [k, v] of env) if (k.startsWith('string.')) slib.set(k.slice(7), v);
    stringLibs.set(env, slib);
  }
  const envDecl = c.envNames.length > 0 ? `const ${c.envNames.map((_, i) => `E${i} = E[${i}]`).join(', ')};\n` : '';
  // V8 holds a function's optimized code weakly (from its feedback): once no closure that runs it is
  // left, a full collection drops it and TurboFan compiles the function again (50-200 ms for a BullMQ
  // script's main, each time). So the chunk's main function is made once, and HELD keeps the last
  // closure made of each inner function literal (which a run makes anew). KEYS and ARGV are the run's,
  // let go of when it ends.
  const held: unknown[] = [];
  const mk = new Function(
    'R',
    'cur',
    'E',
    'LuaTable',
    'HELD',
    `'use strict';\nconst EMPTY = R.EMPTY;\n${envDecl}let KEYS, ARGV;\nconst main = ${main};\n` +
      `return function (k, a) {\nKEYS = k;\nARGV = a;\ntry {\nreturn main();\n} finally {\nKEYS = ARGV = undefined;\n}\n};`,
  ) as (
    r: typeof R,
    c: typeof cur,
    e: LuaValue[],
    t: typeof LuaTable,
    h: unknown[],
  ) => (KEYS: LuaTable, ARGV: LuaTable) => LuaResult;
  const sites = c.sites;
  const slibFinal = slib;
  const body = mk(
    R,
    cur,
    c.envNames.map((n) => env.get(n)),
    LuaTable,
    held,
  );
  return {
    sites,
    forget(): void {
      held.length = 0;
    },
    run(KEYS: LuaTable, ARGV: LuaTable): LuaResult {
      cur.chunk = chunkName;
      cur.sites = sites;
      cur.site = 0;
      R.setStringLib(slibFinal);
      try {
        return body(KEYS, ARGV);
      } catch (e) {
        throw R.toLuaError(e);
      }
    },
  };
}

/** For tests and debugging: the JS a chunk compiles to, or the reason it is unsupported. */
export function compileToSource(source: string, env: ReadonlyMap<string, LuaValue>): string {
  const c = new Compiler(env);
  try {
    return c.compileMain(parseChunk(source));
  } catch (e) {
    if (e instanceof Unsupported || e instanceof ParseError) return `unsupported: ${e.message}`;
    throw e;
  }
}

/**
 * jslua's parser: Lua 5.1 source (latin1, one char per byte) to an AST for
 * compile.ts. Its input already compiled on the reference VM, so any
 * problem here throws ParseError and the script runs there instead. Each
 * node carries the source line Lua 5.1's code generator gives the
 * instruction that may raise at it (see compile.ts).
 */
import { luaPow } from './lib-math.js';
import { stringToNumber } from './value.js';

export class ParseError extends Error {}

export type Expr =
  | { k: 'nil' }
  | { k: 'true' }
  | { k: 'false' }
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'vararg' }
  | { k: 'func'; f: FuncNode }
  | { k: 'name'; name: string; line: number }
  /** line: where the GETTABLE is emitted (the key's last token) */
  | { k: 'index'; obj: Expr; key: Expr; line: number }
  /** line: the line of the arguments' first token (luaK_fixline in funcargs) */
  | { k: 'call'; fn: Expr; args: Expr[]; line: number }
  /** nline: the method name's line (OP_SELF); line: the arguments' line */
  | { k: 'method'; obj: Expr; name: string; args: Expr[]; line: number; nline: number }
  /** line: the last token of the right operand (where luaK_posfix emits) */
  | { k: 'bin'; op: string; a: Expr; b: Expr; line: number }
  | { k: 'un'; op: string; a: Expr; line: number }
  | { k: 'paren'; e: Expr }
  | { k: 'table'; items: TableItem[]; line: number };

export type TableItem = { t: 'pos'; e: Expr } | { t: 'rec'; key: Expr; val: Expr };

export type Stat =
  | { k: 'local'; names: string[]; exprs: Expr[]; line: number }
  | { k: 'localfunc'; name: string; f: FuncNode }
  /** line: the last token of the statement (where the stores are emitted) */
  | { k: 'assign'; targets: Expr[]; exprs: Expr[]; line: number }
  | { k: 'call'; e: Expr }
  | { k: 'do'; body: Stat[] }
  | { k: 'while'; cond: Expr; body: Stat[]; line: number }
  | { k: 'repeat'; body: Stat[]; cond: Expr; line: number }
  | { k: 'if'; conds: Expr[]; bodies: Stat[][]; orelse: Stat[] | null }
  /** line: the 'do' token's line (OP_FORPREP) */
  | { k: 'numfor'; v: string; start: Expr; limit: Expr; step: Expr | null; body: Stat[]; line: number }
  /** line: the line of the token after 'in' (OP_TFORLOOP's, forlist) */
  | { k: 'genfor'; names: string[]; exprs: Expr[]; body: Stat[]; line: number }
  /** path: a.b.c (first is a name), method: the name after ':' */
  | { k: 'funcstat'; path: string[]; method: string | null; f: FuncNode; line: number }
  | { k: 'return'; exprs: Expr[]; line: number }
  | { k: 'break' };

export interface FuncNode {
  params: string[];
  isVararg: boolean;
  /** whether the body itself (not a nested function) uses `...` */
  usesVararg: boolean;
  body: Stat[];
  line: number;
}

const KEYWORDS = new Set([
  'and',
  'break',
  'do',
  'else',
  'elseif',
  'end',
  'false',
  'for',
  'function',
  'if',
  'in',
  'local',
  'nil',
  'not',
  'or',
  'repeat',
  'return',
  'then',
  'true',
  'until',
  'while',
]);

/** Token types: 'name', 'str', 'num', 'eof', or the keyword / symbol itself. */
interface Tok {
  t: string;
  v: string | number;
  line: number;
}

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}

/** Lua 5.1's lexer (llex.c's rules). */
function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const cc = (j: number): number => (j < n ? src.charCodeAt(j) : -1);
  // a newline sequence: \n, \r, \r\n, \n\r count as one
  const newline = (): void => {
    const c = cc(i);
    i++;
    const d = cc(i);
    if ((d === 10 || d === 13) && d !== c) i++;
    line++;
  };
  // [=*[ at i: the level, or -1
  const longLevel = (): number => {
    let j = i + 1;
    let lvl = 0;
    while (cc(j) === 61) {
      lvl++;
      j++;
    }
    return cc(j) === 91 ? lvl : -1;
  };
  const longString = (lvl: number): string => {
    i += lvl + 2;
    if (cc(i) === 10 || cc(i) === 13) newline();
    let out = '';
    for (;;) {
      const c = cc(i);
      if (c === -1) throw new ParseError('unfinished long string');
      if (c === 93) {
        let j = i + 1;
        let l = 0;
        while (cc(j) === 61) {
          l++;
          j++;
        }
        if (l === lvl && cc(j) === 93) {
          i = j + 1;
          return out;
        }
        out += ']';
        i++;
      } else if (c === 10 || c === 13) {
        out += '\n';
        newline();
      } else {
        out += src[i];
        i++;
      }
    }
  };
  while (i < n) {
    const c = cc(i);
    if (c === 10 || c === 13) {
      newline();
      continue;
    }
    if (c === 32 || c === 9 || c === 11 || c === 12) {
      i++;
      continue;
    }
    const tl = line;
    if (c === 45 && cc(i + 1) === 45) {
      i += 2;
      if (cc(i) === 91) {
        const lvl = longLevel();
        if (lvl >= 0) {
          longString(lvl);
          continue;
        }
      }
      while (i < n && cc(i) !== 10 && cc(i) !== 13) i++;
      continue;
    }
    if (isAlpha(c)) {
      let j = i + 1;
      while (isAlnum(cc(j))) j++;
      const w = src.slice(i, j);
      i = j;
      toks.push(KEYWORDS.has(w) ? { t: w, v: w, line: tl } : { t: 'name', v: w, line: tl });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(cc(i + 1)))) {
      let j = i;
      while (isDigit(cc(j)) || cc(j) === 46) j++;
      if (cc(j) === 69 || cc(j) === 101) {
        j++;
        if (cc(j) === 43 || cc(j) === 45) j++;
      }
      while (isAlnum(cc(j))) j++;
      const v = stringToNumber(src.slice(i, j));
      if (v === undefined) throw new ParseError('malformed number');
      i = j;
      toks.push({ t: 'num', v, line: tl });
      continue;
    }
    if (c === 34 || c === 39) {
      i++;
      let out = '';
      for (;;) {
        const d = cc(i);
        if (d === -1 || d === 10 || d === 13) throw new ParseError('unfinished string');
        if (d === c) {
          i++;
          break;
        }
        if (d === 92) {
          i++;
          const e = cc(i);
          switch (e) {
            case 97:
              out += '\x07';
              i++;
              break;
            case 98:
              out += '\b';
              i++;
              break;
            case 102:
              out += '\f';
              i++;
              break;
            case 110:
              out += '\n';
              i++;
              break;
            case 114:
              out += '\r';
              i++;
              break;
            case 116:
              out += '\t';
              i++;
              break;
            case 118:
              out += '\v';
              i++;
              break;
            case 10:
            case 13:
              out += '\n';
              newline();
              break;
            case -1:
              throw new ParseError('unfinished string');
            default:
              if (isDigit(e)) {
                let v = 0;
                let k = 0;
                while (k < 3 && isDigit(cc(i))) {
                  v = v * 10 + cc(i) - 48;
                  i++;
                  k++;
                }
                if (v > 255) throw new ParseError('escape sequence too large');
                out += String.fromCharCode(v);
              } else {
                out += src[i];
                i++;
              }
          }
          continue;
        }
        out += src[i];
        i++;
      }
      toks.push({ t: 'str', v: out, line: tl });
      continue;
    }
    if (c === 91) {
      const lvl = longLevel();
      if (lvl >= 0) {
        const s = longString(lvl);
        toks.push({ t: 'str', v: s, line: tl });
        continue;
      }
      i++;
      toks.push({ t: '[', v: '[', line: tl });
      continue;
    }
    const three = src.slice(i, i + 3);
    if (three === '...') {
      i += 3;
      toks.push({ t: '...', v: '...', line: tl });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '~=' || two === '<=' || two === '>=' || two === '..') {
      i += 2;
      toks.push({ t: two, v: two, line: tl });
      continue;
    }
    const one = src[i]!;
    if ('+-*/%^#<>=(){}[];:,.'.includes(one)) {
      i++;
      toks.push({ t: one, v: one, line: tl });
      continue;
    }
    throw new ParseError(`unexpected symbol ${JSON.stringify(one)}`);
  }
  toks.push({ t: 'eof', v: '', line });
  return toks;
}

/** Binary operators' left and right priorities (lparser.c's priority table). */
const BINPRI: Record<string, [number, number]> = {
  '+': [6, 6],
  '-': [6, 6],
  '*': [7, 7],
  '/': [7, 7],
  '%': [7, 7],
  '^': [10, 9],
  '..': [5, 4],
  '==': [3, 3],
  '~=': [3, 3],
  '<': [3, 3],
  '<=': [3, 3],
  '>': [3, 3],
  '>=': [3, 3],
  and: [2, 2],
  or: [1, 1],
};
const UNARY_PRIORITY = 8;

function unparen(e: Expr): Expr {
  while (e.k === 'paren') e = e.e;
  return e;
}

/** lcode.c's folding of `-` and `not` on constants (it decides which operand errors name). */
function foldUnary(op: string, a: Expr): Expr | null {
  const x = unparen(a);
  if (op === '-' && x.k === 'num') return { k: 'num', v: -x.v };
  if (op === 'not') {
    if (x.k === 'nil' || x.k === 'false') return { k: 'true' };
    if (x.k === 'true' || x.k === 'num' || x.k === 'str') return { k: 'false' };
  }
  return null;
}

/**
 * lcode.c's folding: arithmetic on two numeric constants (not a division
 * or modulo by 0, not a NaN result), and `and` / `or` whose left operand is
 * a constant that decides for the right one (`1 and x`, `nil or x` are x).
 */
function foldBinary(op: string, a: Expr, b: Expr): Expr | null {
  const x = unparen(a);
  if (op === 'and' && (x.k === 'true' || x.k === 'num' || x.k === 'str')) return b;
  if (op === 'or' && (x.k === 'nil' || x.k === 'false')) return b;
  const y = unparen(b);
  if (x.k !== 'num' || y.k !== 'num') return null;
  const u = x.v;
  const v = y.v;
  let r: number;
  switch (op) {
    case '+':
      r = u + v;
      break;
    case '-':
      r = u - v;
      break;
    case '*':
      r = u * v;
      break;
    case '/':
      if (v === 0) return null;
      r = u / v;
      break;
    case '%':
      if (v === 0) return null;
      r = u - Math.floor(u / v) * v;
      break;
    case '^':
      r = luaPow(u, v);
      break;
    default:
      return null;
  }
  return r !== r ? null : { k: 'num', v: r };
}

class Parser {
  private p = 0;
  private fnStack: FuncNode[] = [];
  constructor(private toks: Tok[]) {}

  private get tok(): Tok {
    return this.toks[this.p]!;
  }
  private peek(): Tok {
    return this.toks[this.p + 1] ?? this.toks[this.toks.length - 1]!;
  }
  /** The line of the last consumed token (Lua's lastline). */
  private get lastLine(): number {
    return this.p > 0 ? this.toks[this.p - 1]!.line : 1;
  }
  private next(): Tok {
    const t = this.tok;
    if (t.t !== 'eof') this.p++;
    return t;
  }
  private check(t: string): boolean {
    return this.tok.t === t;
  }
  private accept(t: string): boolean {
    if (this.tok.t === t) {
      this.p++;
      return true;
    }
    return false;
  }
  private expect(t: string): Tok {
    if (this.tok.t !== t) throw new ParseError(`'${t}' expected near line ${this.tok.line}`);
    return this.next();
  }
  private name(): string {
    return this.expect('name').v as string;
  }

  chunk(): FuncNode {
    const f: FuncNode = { params: [], isVararg: true, usesVararg: false, body: [], line: 0 };
    this.fnStack.push(f);
    f.body = this.block();
    if (!this.check('eof')) throw new ParseError("'<eof>' expected");
    this.fnStack.pop();
    return f;
  }

  private blockEnd(): boolean {
    const t = this.tok.t;
    return t === 'else' || t === 'elseif' || t === 'end' || t === 'until' || t === 'eof';
  }

  private block(): Stat[] {
    const out: Stat[] = [];
    while (!this.blockEnd()) {
      if (this.check('return')) {
        const line = this.next().line;
        let exprs: Expr[] = [];
        if (!this.blockEnd() && !this.check(';')) exprs = this.exprList();
        this.accept(';');
        out.push({ k: 'return', exprs, line });
        if (!this.blockEnd()) throw new ParseError("'end' expected");
        break;
      }
      if (this.check('break')) {
        this.next();
        this.accept(';');
        out.push({ k: 'break' });
        if (!this.blockEnd()) throw new ParseError("'end' expected");
        break;
      }
      out.push(this.statement());
      this.accept(';');
    }
    return out;
  }

  private statement(): Stat {
    const t = this.tok;
    switch (t.t) {
      case 'if': {
        this.next();
        const conds: Expr[] = [];
        const bodies: Stat[][] = [];
        conds.push(this.expr());
        this.expect('then');
        bodies.push(this.block());
        let orelse: Stat[] | null = null;
        for (;;) {
          if (this.accept('elseif')) {
            conds.push(this.expr());
            this.expect('then');
            bodies.push(this.block());
          } else if (this.accept('else')) {
            orelse = this.block();
            this.expect('end');
            break;
          } else {
            this.expect('end');
            break;
          }
        }
        return { k: 'if', conds, bodies, orelse };
      }
      case 'while': {
        this.next();
        const cond = this.expr();
        this.expect('do');
        const body = this.block();
        this.expect('end');
        return { k: 'while', cond, body, line: t.line };
      }
      case 'do': {
        this.next();
        const body = this.block();
        this.expect('end');
        return { k: 'do', body };
      }
      case 'for': {
        this.next();
        const n1 = this.name();
        if (this.accept('=')) {
          const start = this.expr();
          this.expect(',');
          const limit = this.expr();
          const step = this.accept(',') ? this.expr() : null;
          const line = this.expect('do').line;
          const body = this.block();
          this.expect('end');
          return { k: 'numfor', v: n1, start, limit, step, body, line };
        }
        const names = [n1];
        while (this.accept(',')) names.push(this.name());
        this.expect('in');
        const line = this.tok.line;
        const exprs = this.exprList();
        this.expect('do');
        const body = this.block();
        this.expect('end');
        return { k: 'genfor', names, exprs, body, line };
      }
      case 'repeat': {
        this.next();
        const body = this.block();
        this.expect('until');
        const cond = this.expr();
        return { k: 'repeat', body, cond, line: t.line };
      }
      case 'function': {
        this.next();
        const path = [this.name()];
        let method: string | null = null;
        while (this.accept('.')) path.push(this.name());
        if (this.accept(':')) method = this.name();
        const f = this.funcBody(method !== null, t.line);
        return { k: 'funcstat', path, method, f, line: t.line };
      }
      case 'local': {
        this.next();
        if (this.accept('function')) {
          const name = this.name();
          const f = this.funcBody(false, t.line);
          return { k: 'localfunc', name, f };
        }
        const names = [this.name()];
        while (this.accept(',')) names.push(this.name());
        const exprs = this.accept('=') ? this.exprList() : [];
        return { k: 'local', names, exprs, line: this.lastLine };
      }
      default: {
        const e = this.suffixedExp();
        if (this.check('=') || this.check(',')) {
          const targets = [e];
          while (this.accept(',')) targets.push(this.suffixedExp());
          this.expect('=');
          const exprs = this.exprList();
          for (const x of targets) if (x.k !== 'name' && x.k !== 'index') throw new ParseError('syntax error');
          return { k: 'assign', targets, exprs, line: this.lastLine };
        }
        if (e.k !== 'call' && e.k !== 'method') throw new ParseError('syntax error');
        return { k: 'call', e };
      }
    }
  }

  private funcBody(self: boolean, line: number): FuncNode {
    const f: FuncNode = { params: self ? ['self'] : [], isVararg: false, usesVararg: false, body: [], line };
    this.expect('(');
    if (!this.check(')')) {
      do {
        if (this.accept('...')) {
          f.isVararg = true;
          break;
        }
        f.params.push(this.name());
      } while (this.accept(','));
    }
    this.expect(')');
    this.fnStack.push(f);
    f.body = this.block();
    this.fnStack.pop();
    this.expect('end');
    return f;
  }

  private exprList(): Expr[] {
    const out = [this.expr()];
    while (this.check(',')) {
      // an item is discharged once the ',' after it is read (explist1)
      const prev = out[out.length - 1]!;
      const sep = this.next().line;
      if (prev.k === 'index') prev.line = sep;
      out.push(this.expr());
    }
    return out;
  }

  expr(limit = 0): Expr {
    let left: Expr;
    const t = this.tok.t;
    if (t === 'not' || t === '-' || t === '#') {
      this.next();
      const a = this.expr(UNARY_PRIORITY);
      left = foldUnary(t, a) ?? { k: 'un', op: t, a, line: this.lastLine };
    } else left = this.simpleExp();
    for (;;) {
      const op = this.tok.t;
      const pri = BINPRI[op];
      if (pri === undefined || pri[0] <= limit) break;
      const opLine = this.next().line;
      // the left operand is discharged once the operator is read (luaK_infix)
      if (left.k === 'index') left.line = opLine;
      const b = this.expr(pri[1]);
      left = foldBinary(op, left, b) ?? { k: 'bin', op, a: left, b, line: this.lastLine };
    }
    return left;
  }

  private simpleExp(): Expr {
    const t = this.tok;
    switch (t.t) {
      case 'num':
        this.next();
        return { k: 'num', v: t.v as number };
      case 'str':
        this.next();
        return { k: 'str', v: t.v as string };
      case 'nil':
        this.next();
        return { k: 'nil' };
      case 'true':
        this.next();
        return { k: 'true' };
      case 'false':
        this.next();
        return { k: 'false' };
      case '...': {
        this.next();
        const f = this.fnStack[this.fnStack.length - 1]!;
        if (!f.isVararg) throw new ParseError("cannot use '...' outside a vararg function");
        f.usesVararg = true;
        return { k: 'vararg' };
      }
      case '{':
        return this.table();
      case 'function':
        this.next();
        return { k: 'func', f: this.funcBody(false, t.line) };
      default:
        return this.suffixedExp();
    }
  }

  private primaryExp(): Expr {
    const t = this.tok;
    if (t.t === 'name') {
      this.next();
      return { k: 'name', name: t.v as string, line: t.line };
    }
    if (t.t === '(') {
      this.next();
      const e = this.expr();
      const close = this.expect(')').line;
      if (e.k === 'index') e.line = close;
      return { k: 'paren', e };
    }
    throw new ParseError('unexpected symbol');
  }

  private suffixedExp(): Expr {
    let e = this.primaryExp();
    for (;;) {
      switch (this.tok.t) {
        case '.': {
          this.next();
          const nt = this.expect('name');
          e = { k: 'index', obj: e, key: { k: 'str', v: nt.v as string }, line: nt.line };
          break;
        }
        case '[': {
          this.next();
          const key = this.expr();
          const line = this.expect(']').line;
          e = { k: 'index', obj: e, key, line };
          break;
        }
        case ':': {
          this.next();
          const nt = this.expect('name');
          const line = this.tok.line;
          const args = this.callArgs();
          e = { k: 'method', obj: e, name: nt.v as string, args, line, nline: nt.line };
          break;
        }
        case '(':
        case 'str':
        case '{': {
          const line = this.tok.line;
          const args = this.callArgs();
          e = { k: 'call', fn: e, args, line };
          break;
        }
        default:
          return e;
      }
    }
  }

  private callArgs(): Expr[] {
    const t = this.tok;
    if (t.t === 'str') {
      this.next();
      return [{ k: 'str', v: t.v as string }];
    }
    if (t.t === '{') return [this.table()];
    this.expect('(');
    if (this.accept(')')) return [];
    const args = this.exprList();
    const close = this.expect(')').line;
    // the last argument is discharged after the ')' (funcargs)
    const last = args[args.length - 1]!;
    if (last.k === 'index') last.line = close;
    return args;
  }

  private table(): Expr {
    const line = this.expect('{').line;
    const items: TableItem[] = [];
    while (!this.check('}')) {
      if (this.check('name') && this.peek().t === '=') {
        const key: Expr = { k: 'str', v: this.next().v as string };
        this.next();
        items.push({ t: 'rec', key, val: this.expr() });
      } else if (this.check('[')) {
        this.next();
        const key = this.expr();
        this.expect(']');
        this.expect('=');
        items.push({ t: 'rec', key, val: this.expr() });
      } else items.push({ t: 'pos', e: this.expr() });
      const it = items[items.length - 1]!;
      // a list item is discharged when the next field starts, or after the '}'
      const pending = it.t === 'pos' && it.e.k === 'index' ? it.e : null;
      if (!this.check(',') && !this.check(';')) {
        if (pending !== null && this.check('}')) pending.line = this.tok.line;
        break;
      }
      const sep = this.next().line;
      if (pending !== null) pending.line = this.check('}') ? this.tok.line : sep;
    }
    this.expect('}');
    return { k: 'table', items, line };
  }
}

/** Parses a chunk: its main function (vararg, no parameters). Throws ParseError. */
export function parseChunk(src: string): FuncNode {
  return new Parser(lex(src)).chunk();
}

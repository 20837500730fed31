/**
 * Lua 5.1's string library (lstrlib.c) for jslua, as redis-server runs it:
 * strings are latin1 JS strings (one char per byte), positions follow
 * posrelat's rules, patterns are Lua's own matcher (written here over char
 * codes, no RegExp), and string.format follows C's printf for the
 * conversions Lua passes to it (glibc's behaviour on x86-64, checked
 * against redis-server).
 *
 * C-string details that Redis's Lua has and that are kept here: a pattern
 * ends at its first NUL byte (the matcher reads it as a C string); past the
 * subject's end the matcher sees a NUL (%f at the end, %b); string.format
 * cuts an item at its first NUL (so "%c" of 0 adds nothing) and a
 * replacement string ending in '%' adds a NUL byte.
 */
import { exactDecimal, roundDigits } from '../../util/numbers.js';
import { LuaTable } from './table.js';
import {
  argError,
  checkInt,
  checkInteger,
  checkNumber,
  checkString,
  cur,
  first,
  luaError,
  numberToString,
  toInteger,
  typeName,
  type LuaResult,
  type LuaValue,
} from './value.js';

// ---------------------------------------------------------------------------
// Helpers

/** posrelat: a negative position counts from the end; below 0 becomes 0. */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return pos >= 0 ? pos : 0;
}

/** luaL_checkstring with the common case inline. */
function str(v: LuaValue, narg: number, nargs: number): string {
  return typeof v === 'string' ? v : checkString(v, narg, nargs);
}

/** luaL_checkinteger with the common case (a small integer) inline. */
function int(v: LuaValue, narg: number, nargs: number): number {
  return typeof v === 'number' && (v | 0) === v ? v : checkInteger(v, narg, nargs);
}

/** V8's longest string; Lua would build longer ones (Redis has no limit on them). */
const MAX_STRING = 0x1fffffe8;

const NON_ASCII = /[\x80-\xff]/;

// ---------------------------------------------------------------------------
// Simple functions

function len(s: LuaValue): number {
  return str(s, 1, arguments.length).length;
}

function sub(s: LuaValue, i: LuaValue, j: LuaValue): string {
  const n = arguments.length;
  const src = str(s, 1, n);
  const l = src.length;
  let start = posrelat(int(i, 2, n), l);
  let end = posrelat(j === undefined ? -1 : int(j, 3, n), l);
  if (start < 1) start = 1;
  if (end > l) end = l;
  return start <= end ? src.slice(start - 1, end) : '';
}

function reverse(s: LuaValue): string {
  const src = str(s, 1, arguments.length);
  let out = '';
  for (let i = src.length - 1; i >= 0; i--) out += src[i];
  return out;
}

function lower(s: LuaValue): string {
  const src = str(s, 1, arguments.length);
  if (!NON_ASCII.test(src)) return src.toLowerCase();
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : src[i];
  }
  return out;
}

function upper(s: LuaValue): string {
  const src = str(s, 1, arguments.length);
  if (!NON_ASCII.test(src)) return src.toUpperCase();
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : src[i];
  }
  return out;
}

function rep(s: LuaValue, count: LuaValue): string {
  const nargs = arguments.length;
  const src = str(s, 1, nargs);
  const n = checkInt(count, 2, nargs);
  if (n <= 0 || src.length === 0) return '';
  if (src.length * n > MAX_STRING) luaError('not enough memory');
  return src.repeat(n);
}

/** LUAI_MAXCSTACK: lua_checkstack refuses to grow a C function's frame past it. */
const MAXCSTACK = 8000;

function byte(s: LuaValue, i: LuaValue, j: LuaValue): LuaResult {
  const nargs = arguments.length;
  const src = str(s, 1, nargs);
  const l = src.length;
  let posi = posrelat(i === undefined ? 1 : int(i, 2, nargs), l);
  let pose = posrelat(j === undefined ? posi : int(j, 3, nargs), l);
  if (posi <= 0) posi = 1;
  if (pose > l) pose = l;
  if (posi > pose) return [];
  const n = pose - posi + 1;
  if (n === 1) return src.charCodeAt(posi - 1);
  if (n + nargs > MAXCSTACK) luaError('stack overflow (string slice too long)');
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = src.charCodeAt(posi - 1 + k);
  return out;
}

function char(): string {
  const nargs = arguments.length;
  let out = '';
  for (let i = 0; i < nargs; i++) {
    // eslint-disable-next-line prefer-rest-params
    const v = arguments[i] as LuaValue;
    const c = typeof v === 'number' && (v | 0) === v ? v : checkInt(v, i + 1, nargs);
    if ((c & 0xff) !== c) argError(i + 1, 'invalid value');
    out += String.fromCharCode(c);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Pattern matching

const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;
const MAXCAPTURES = 32;

/** C-locale character classes: bit per class, for chars 0-255. */
const C_ALPHA = 1;
const C_CNTRL = 2;
const C_DIGIT = 4;
const C_LOWER = 8;
const C_PUNCT = 16;
const C_SPACE = 32;
const C_UPPER = 64;
const C_ALNUM = 128;
const C_XDIGIT = 256;
const C_ZERO = 512;
const CTYPE = new Uint16Array(256);
for (let c = 0; c < 256; c++) {
  let m = 0;
  const upper = c >= 65 && c <= 90;
  const low = c >= 97 && c <= 122;
  const digit = c >= 48 && c <= 57;
  if (upper || low) m |= C_ALPHA;
  if (c < 32 || c === 127) m |= C_CNTRL;
  if (digit) m |= C_DIGIT;
  if (low) m |= C_LOWER;
  if (upper) m |= C_UPPER;
  if (upper || low || digit) m |= C_ALNUM;
  if (c > 32 && c < 127 && !(upper || low || digit)) m |= C_PUNCT;
  if (c === 32 || (c >= 9 && c <= 13)) m |= C_SPACE;
  if (digit || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)) m |= C_XDIGIT;
  if (c === 0) m |= C_ZERO;
  CTYPE[c] = m;
}
/** The class letter (either case) to its bit; 0 for other chars. */
const CLASS = new Uint16Array(256);
for (const [ch, bit] of [
  ['a', C_ALPHA],
  ['c', C_CNTRL],
  ['d', C_DIGIT],
  ['l', C_LOWER],
  ['p', C_PUNCT],
  ['s', C_SPACE],
  ['u', C_UPPER],
  ['w', C_ALNUM],
  ['x', C_XDIGIT],
  ['z', C_ZERO],
] as const) {
  CLASS[ch.charCodeAt(0)] = bit;
  CLASS[ch.charCodeAt(0) - 32] = bit;
}

/** The chars that make find use the matcher ("^$*+?.([%-"). */
const SPECIAL = new Uint8Array(256);
for (const ch of '^$*+?.([%-') SPECIAL[ch.charCodeAt(0)] = 1;

class MatchState {
  src = '';
  slen = 0;
  pat = '';
  /** The pattern's length up to its first NUL (where C's matcher stops). */
  plen = 0;
  level = 0;
  readonly cinit = new Int32Array(MAXCAPTURES);
  readonly clen = new Int32Array(MAXCAPTURES);
}

/** Match states not in use (a gsub callback may match again, so one is not enough). */
const pool: MatchState[] = [];

function acquire(src: string, pat: string, plen: number): MatchState {
  const ms = pool.pop() ?? new MatchState();
  ms.src = src;
  ms.slen = src.length;
  ms.pat = pat;
  ms.plen = plen;
  ms.level = 0;
  return ms;
}

function release(ms: MatchState): void {
  ms.src = '';
  ms.pat = '';
  if (pool.length < 16) pool.push(ms);
}

/** The pattern's length as C sees it (up to the first NUL). */
function cLength(p: string): number {
  const z = p.indexOf('\0');
  return z < 0 ? p.length : z;
}

/** The pattern char at i, 0 at and past its (C) end. */
function pc(ms: MatchState, i: number): number {
  return i < ms.plen ? ms.pat.charCodeAt(i) : 0;
}

function matchClass(c: number, cl: number): boolean {
  const bit = CLASS[cl]!;
  if (bit === 0) return cl === c;
  const r = (CTYPE[c]! & bit) !== 0;
  return cl >= 97 ? r : !r;
}

/** The index just past the single-char class starting at p. */
function classEnd(ms: MatchState, p: number): number {
  const c = pc(ms, p++);
  if (c === 37 /* % */) {
    if (p >= ms.plen) luaError("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (c === 91 /* [ */) {
    if (pc(ms, p) === 94 /* ^ */) p++;
    do {
      if (p >= ms.plen) luaError("malformed pattern (missing ']')");
      if (pc(ms, p++) === 37 && p < ms.plen) p++;
    } while (pc(ms, p) !== 93 /* ] */);
    return p + 1;
  }
  return p;
}

/** Whether c is in the set [...] at p (its '['), ec its ']'. */
function matchBracket(ms: MatchState, c: number, p: number, ec: number): boolean {
  let sig = true;
  if (pc(ms, p + 1) === 94) {
    sig = false;
    p++;
  }
  while (++p < ec) {
    const ch = pc(ms, p);
    if (ch === 37) {
      p++;
      if (matchClass(c, pc(ms, p))) return sig;
    } else if (pc(ms, p + 1) === 45 /* - */ && p + 2 < ec) {
      p += 2;
      if (ch <= c && c <= pc(ms, p)) return sig;
    } else if (ch === c) return sig;
  }
  return !sig;
}

function singleMatch(ms: MatchState, c: number, p: number, ep: number): boolean {
  const pch = ms.pat.charCodeAt(p);
  switch (pch) {
    case 46 /* . */:
      return true;
    case 37 /* % */:
      return matchClass(c, pc(ms, p + 1));
    case 91 /* [ */:
      return matchBracket(ms, c, p, ep - 1);
    default:
      return pch === c;
  }
}

function matchBalance(ms: MatchState, s: number, p: number): number {
  if (p + 1 >= ms.plen) luaError('unbalanced pattern');
  const src = ms.src;
  if (s >= ms.slen || src.charCodeAt(s) !== ms.pat.charCodeAt(p)) return -1;
  const b = ms.pat.charCodeAt(p);
  const e = ms.pat.charCodeAt(p + 1);
  let cont = 1;
  while (++s < ms.slen) {
    const c = src.charCodeAt(s);
    if (c === e) {
      if (--cont === 0) return s + 1;
    } else if (c === b) cont++;
  }
  return -1;
}

function maxExpand(ms: MatchState, s: number, p: number, ep: number): number {
  const src = ms.src;
  const slen = ms.slen;
  let i = 0;
  while (s + i < slen && singleMatch(ms, src.charCodeAt(s + i), p, ep)) i++;
  while (i >= 0) {
    const r = doMatch(ms, s + i, ep + 1);
    if (r !== -1) return r;
    i--;
  }
  return -1;
}

function minExpand(ms: MatchState, s: number, p: number, ep: number): number {
  for (;;) {
    const r = doMatch(ms, s, ep + 1);
    if (r !== -1) return r;
    if (s < ms.slen && singleMatch(ms, ms.src.charCodeAt(s), p, ep)) s++;
    else return -1;
  }
}

function startCapture(ms: MatchState, s: number, p: number, what: number): number {
  const level = ms.level;
  if (level >= MAXCAPTURES) luaError('too many captures');
  ms.cinit[level] = s;
  ms.clen[level] = what;
  ms.level = level + 1;
  const r = doMatch(ms, s, p);
  if (r === -1) ms.level--;
  return r;
}

function endCapture(ms: MatchState, s: number, p: number): number {
  let l = ms.level - 1;
  while (l >= 0 && ms.clen[l] !== CAP_UNFINISHED) l--;
  if (l < 0) luaError('invalid pattern capture');
  ms.clen[l] = s - ms.cinit[l]!;
  const r = doMatch(ms, s, p);
  if (r === -1) ms.clen[l] = CAP_UNFINISHED;
  return r;
}

function matchCapture(ms: MatchState, s: number, ch: number): number {
  const l = ch - 49; /* '1' */
  if (l < 0 || l >= ms.level || ms.clen[l] === CAP_UNFINISHED) luaError('invalid capture index');
  const n = ms.clen[l]!;
  if (n < 0 || ms.slen - s < n) return -1; // a position capture never matches (its size_t length is huge)
  const src = ms.src;
  const init = ms.cinit[l]!;
  for (let k = 0; k < n; k++) if (src.charCodeAt(init + k) !== src.charCodeAt(s + k)) return -1;
  return s + n;
}

/** Lua's match(): the end of the match of pattern[p..] at s, or -1. */
function doMatch(ms: MatchState, s: number, p: number): number {
  const src = ms.src;
  const pat = ms.pat;
  for (;;) {
    if (p >= ms.plen) return s;
    const c = pat.charCodeAt(p);
    if (c === 40 /* ( */) {
      if (pc(ms, p + 1) === 41) return startCapture(ms, s, p + 2, CAP_POSITION);
      return startCapture(ms, s, p + 1, CAP_UNFINISHED);
    } else if (c === 41 /* ) */) {
      return endCapture(ms, s, p + 1);
    } else if (c === 37 /* % */) {
      const n = pc(ms, p + 1);
      if (n === 98 /* b */) {
        s = matchBalance(ms, s, p + 2);
        if (s === -1) return -1;
        p += 4;
        continue;
      } else if (n === 102 /* f */) {
        p += 2;
        if (pc(ms, p) !== 91) luaError("missing '[' after '%f' in pattern");
        const ep = classEnd(ms, p);
        const prev = s === 0 ? 0 : src.charCodeAt(s - 1);
        const here = s < ms.slen ? src.charCodeAt(s) : 0;
        if (matchBracket(ms, prev, p, ep - 1) || !matchBracket(ms, here, p, ep - 1)) return -1;
        p = ep;
        continue;
      } else if (n >= 48 && n <= 57) {
        s = matchCapture(ms, s, n);
        if (s === -1) return -1;
        p += 2;
        continue;
      }
    } else if (c === 36 /* $ */ && p + 1 === ms.plen) {
      return s === ms.slen ? s : -1;
    }
    // a single-char class, maybe with a quantifier
    const ep = classEnd(ms, p);
    const m = s < ms.slen && singleMatch(ms, src.charCodeAt(s), p, ep);
    const q = pc(ms, ep);
    if (q === 63 /* ? */) {
      if (m) {
        const r = doMatch(ms, s + 1, ep + 1);
        if (r !== -1) return r;
      }
      p = ep + 1;
      continue;
    } else if (q === 42 /* * */) {
      return maxExpand(ms, s, p, ep);
    } else if (q === 43 /* + */) {
      return m ? maxExpand(ms, s + 1, p, ep) : -1;
    } else if (q === 45 /* - */) {
      return minExpand(ms, s, p, ep);
    }
    if (!m) return -1;
    s++;
    p = ep;
  }
}

/** Capture i of a match s..e (the whole match when there are no captures and i is 0). */
function getCapture(ms: MatchState, i: number, s: number, e: number): string | number {
  if (i >= ms.level) {
    if (i === 0) return ms.src.slice(s, e);
    luaError('invalid capture index');
  }
  const l = ms.clen[i]!;
  if (l === CAP_UNFINISHED) luaError('unfinished capture');
  const init = ms.cinit[i]!;
  if (l === CAP_POSITION) return init + 1;
  return ms.src.slice(init, init + l);
}

/** push_captures: the captures (or the whole match when `whole` and there are none) as a result. */
function captures(ms: MatchState, s: number, e: number, whole: boolean): LuaResult {
  const n = ms.level === 0 && whole ? 1 : ms.level;
  if (n === 1) return getCapture(ms, 0, s, e);
  const out = new Array<LuaValue>(n);
  for (let i = 0; i < n; i++) out[i] = getCapture(ms, i, s, e);
  return out;
}

function hasSpecials(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0) return false;
    if (SPECIAL[c] === 1) return true;
  }
  return false;
}

function findAux(find: boolean, s: LuaValue, p: LuaValue, init: LuaValue, plain: LuaValue, nargs: number): LuaResult {
  const src = str(s, 1, nargs);
  const pat = str(p, 2, nargs);
  const l1 = src.length;
  let ini = posrelat(init === undefined ? 1 : int(init, 3, nargs), l1) - 1;
  if (ini < 0) ini = 0;
  else if (ini > l1) ini = l1;
  if (find && ((plain !== undefined && plain !== false) || !hasSpecials(pat))) {
    const at = src.indexOf(pat, ini);
    return at < 0 ? undefined : [at + 1, at + pat.length];
  }
  const plen = cLength(pat);
  const ms = acquire(src, pat, plen);
  let pi = 0;
  const anchor = plen > 0 && pat.charCodeAt(0) === 94;
  if (anchor) pi = 1;
  let s1 = ini;
  // A pattern starting with a plain char that must match (no '*', '?', '-'
  // after it): positions where that char is not can only fail, at once
  // (before anything that could raise), so skip to the next occurrence.
  const c0 = pi < plen ? pat.charCodeAt(pi) : 0;
  const q0 = pc(ms, pi + 1);
  const skip =
    !anchor && c0 !== 0 && SPECIAL[c0] === 0 && c0 !== 41 /* ) */ && q0 !== 42 && q0 !== 63 && q0 !== 45
      ? pat[pi]!
      : '';
  do {
    if (skip !== '') {
      s1 = src.indexOf(skip, s1);
      if (s1 < 0) break;
    }
    ms.level = 0;
    const e = doMatch(ms, s1, pi);
    if (e !== -1) {
      let r: LuaResult;
      if (find) {
        const n = ms.level;
        if (n === 0) r = [s1 + 1, e];
        else {
          const out = new Array<LuaValue>(n + 2);
          out[0] = s1 + 1;
          out[1] = e;
          for (let i = 0; i < n; i++) out[i + 2] = getCapture(ms, i, s1, e);
          r = out;
        }
      } else r = captures(ms, s1, e, true);
      release(ms);
      return r;
    }
  } while (s1++ < l1 && !anchor);
  release(ms);
  return undefined;
}

function find(s: LuaValue, p: LuaValue, init: LuaValue, plain: LuaValue): LuaResult {
  return findAux(true, s, p, init, plain, arguments.length);
}

function match(s: LuaValue, p: LuaValue, init: LuaValue): LuaResult {
  return findAux(false, s, p, init, undefined, arguments.length);
}

function gmatch(s: LuaValue, p: LuaValue): LuaResult {
  const nargs = arguments.length;
  const src = str(s, 1, nargs);
  const pat = str(p, 2, nargs);
  const plen = cLength(pat);
  let start = 0;
  return function gmatchIterator(): LuaResult {
    const ms = acquire(src, pat, plen);
    for (let s1 = start; s1 <= src.length; s1++) {
      ms.level = 0;
      const e = doMatch(ms, s1, 0);
      if (e !== -1) {
        start = e === s1 ? e + 1 : e;
        const r = captures(ms, s1, e, true);
        release(ms);
        return r;
      }
    }
    release(ms);
    return [];
  };
}

/** lua_gettable on a table: raw get, then __index (a table to search, or a function to call). */
function indexTable(t: LuaTable, k: LuaValue): LuaValue {
  for (let loop = 0; loop < 100; loop++) {
    const v = t.get(k);
    if (v !== undefined || t.metatable === undefined) return v;
    const h = t.metatable.getStr('__index');
    if (h === undefined) return undefined;
    if (typeof h === 'function') return first(h(t, k));
    if (!(h instanceof LuaTable)) luaError(`attempt to index a ${typeName(h)} value`);
    t = h;
  }
  luaError('loop in gettable');
}

/** add_s: the replacement string `rs` (which has a '%') for the match s..e. */
function expandReplacement(ms: MatchState, rs: string, s: number, e: number): string {
  let out = '';
  let lit = 0;
  const l = rs.length;
  for (let i = rs.indexOf('%'); i >= 0 && i < l; i = rs.indexOf('%', i)) {
    out += rs.slice(lit, i);
    i++;
    const c = i < l ? rs.charCodeAt(i) : 0; // a final '%' escapes the C string's NUL
    if (c < 48 || c > 57) out += String.fromCharCode(c);
    else if (c === 48) out += ms.src.slice(s, e);
    else {
      const v = getCapture(ms, c - 49, s, e);
      out += typeof v === 'number' ? numberToString(v) : v;
    }
    i++;
    lit = i;
  }
  if (lit < l) out += rs.slice(lit);
  return out;
}

function gsub(s: LuaValue, p: LuaValue, repl: LuaValue, maxN: LuaValue): LuaResult {
  const nargs = arguments.length;
  const src = str(s, 1, nargs);
  const pat = str(p, 2, nargs);
  const srcl = src.length;
  const maxS = maxN === undefined ? srcl + 1 : checkInt(maxN, 4, nargs);
  const tr = typeof repl;
  let rs = '';
  let rsPlain = false;
  if (tr === 'string' || tr === 'number') {
    rs = typeof repl === 'string' ? repl : numberToString(repl as number);
    rsPlain = rs.indexOf('%') < 0;
  } else if (tr !== 'function' && !(repl instanceof LuaTable)) {
    argError(3, 'string/function/table expected');
  }
  const site = cur.site;
  const plen = cLength(pat);
  const anchor = plen > 0 && pat.charCodeAt(0) === 94;
  const pi = anchor ? 1 : 0;
  const ms = acquire(src, pat, plen);
  let out = '';
  let copied = 0; // src[copied..si) is still to be copied
  let si = 0;
  let n = 0;
  while (n < maxS) {
    ms.level = 0;
    const e = doMatch(ms, si, pi);
    if (e !== -1) {
      n++;
      out += src.slice(copied, si);
      copied = e;
      if (rsPlain) out += rs;
      else if (tr === 'string' || tr === 'number') out += expandReplacement(ms, rs, si, e);
      else {
        let v: LuaValue;
        if (tr === 'function') {
          const k = ms.level === 0 ? 1 : ms.level;
          const f = repl as (...a: LuaValue[]) => LuaResult;
          if (k === 1) v = first(f(getCapture(ms, 0, si, e)));
          else v = first(f(...(captures(ms, si, e, true) as LuaValue[])));
          cur.site = site;
        } else {
          v = indexTable(repl as LuaTable, getCapture(ms, 0, si, e));
          cur.site = site;
        }
        if (v === undefined || v === false) out += src.slice(si, e);
        else if (typeof v === 'string') out += v;
        else if (typeof v === 'number') out += numberToString(v);
        else luaError(`invalid replacement value (a ${typeName(v)})`);
      }
    }
    if (e !== -1 && e > si) si = e;
    else if (si < srcl) si++;
    else break;
    if (anchor) break;
  }
  release(ms);
  out += src.slice(copied);
  return [out, n];
}

// ---------------------------------------------------------------------------
// string.format

const F_MINUS = 1;
const F_PLUS = 2;
const F_SPACE = 4;
const F_ALT = 8;
const F_ZERO = 16;
function flagBit(c: number): number {
  switch (c) {
    case 45:
      return F_MINUS;
    case 43:
      return F_PLUS;
    case 32:
      return F_SPACE;
    case 35:
      return F_ALT;
    case 48:
      return F_ZERO;
    default:
      return 0;
  }
}

const nanView = new Float64Array(1);
const nanBytes = new Uint8Array(nanView.buffer);
function signBit(x: number): boolean {
  nanView[0] = x;
  return (nanBytes[7]! & 0x80) !== 0;
}

/** Pads `body` (after `sign`/prefix) to `width` as printf does: left, right, or with zeros after the prefix. */
function pad(prefix: string, body: string, width: number, flags: number, zeroOk: boolean): string {
  const l = prefix.length + body.length;
  if (l >= width) return prefix + body;
  const fill = width - l;
  if ((flags & F_MINUS) !== 0) return prefix + body + ' '.repeat(fill);
  if ((flags & F_ZERO) !== 0 && zeroOk) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}

/** The first n significant digits of a > 0, rounded as printf does, and the point (see exactDecimal). */
function sigDigits(a: number, n: number): { digits: string; point: number } {
  if (n <= 100) {
    // toExponential rounds to nearest but an exact tie up: it can only
    // differ from C when the next digit is a 5
    const t = n < 100 ? a.toExponential(n) : '';
    const ti = t.indexOf('e');
    if (n < 100 && t.charCodeAt(ti - 1) !== 53) {
      const r = a.toExponential(n - 1);
      const ri = r.indexOf('e');
      const digits = n === 1 ? r[0]! : r[0]! + r.slice(2, ri);
      return { digits, point: Number(r.slice(ri + 1)) + 1 };
    }
  }
  const ex = exactDecimal(a);
  return roundDigits(ex.digits, ex.point, n);
}

/** "%.<p>f" of a >= 0, digits only. */
function fixed(a: number, p: number): string {
  if (a < 1e21) {
    if (p >= 100) return exactFixed(a, p);
    const t = a.toFixed(p + 1);
    if (t.charCodeAt(t.length - 1) !== 53) return a.toFixed(p);
  }
  return exactFixed(a, p);
}

function exactFixed(a: number, p: number): string {
  if (a === 0) return p > 0 ? '0.' + '0'.repeat(p) : '0';
  const ex = exactDecimal(a);
  const n = ex.point + p; // significant digits kept
  let digits: string;
  let point: number;
  if (n < 0) {
    digits = '';
    point = -p;
  } else if (n === 0) {
    const d0 = ex.digits.charCodeAt(0) - 48;
    const up = d0 > 5 || (d0 === 5 && ex.digits.length > 1);
    if (up) {
      digits = '1';
      point = -p + 1;
    } else {
      digits = '';
      point = -p;
    }
  } else {
    const r = roundDigits(ex.digits, ex.point, n);
    digits = r.digits;
    point = r.point;
  }
  // digits represent 0.digits * 10^point; lay them out with p decimals
  const total = point + p;
  if (digits.length < total) digits = digits.padEnd(total, '0');
  let ip: string;
  let fp: string;
  if (point > 0) {
    ip = digits.slice(0, point);
    fp = digits.slice(point, point + p);
  } else {
    ip = '0';
    fp = ('0'.repeat(-point) + digits).slice(0, p).padEnd(p, '0');
  }
  return p > 0 ? ip + '.' + fp : ip;
}

function expText(x: number): string {
  const a = x < 0 ? -x : x;
  return (x < 0 ? '-' : '+') + (a < 10 ? '0' : '') + a;
}

/** "%.<p>e" of a >= 0 (lowercase). */
function expo(a: number, p: number, alt: boolean): string {
  let digits: string;
  let X: number;
  if (a === 0) {
    digits = '0'.repeat(p + 1);
    X = 0;
  } else {
    const r = sigDigits(a, p + 1);
    digits = r.digits;
    X = r.point - 1;
  }
  return digits[0] + (p > 0 || alt ? '.' : '') + digits.slice(1) + 'e' + expText(X);
}

/** "%.<p>g" of a >= 0 (lowercase). */
function general(a: number, p: number, alt: boolean): string {
  const P = p === 0 ? 1 : p;
  let digits: string;
  let X: number;
  if (a === 0) {
    digits = '0'.repeat(P);
    X = 0;
  } else {
    const r = sigDigits(a, P);
    digits = r.digits;
    X = r.point - 1;
  }
  let ip: string;
  let fp: string;
  let exp = '';
  if (X < -4 || X >= P) {
    ip = digits[0]!;
    fp = digits.slice(1);
    exp = 'e' + expText(X);
  } else if (X >= 0) {
    ip = digits.slice(0, X + 1);
    fp = digits.slice(X + 1);
  } else {
    ip = '0';
    fp = '0'.repeat(-X - 1) + digits;
  }
  if (!alt) {
    let k = fp.length;
    while (k > 0 && fp.charCodeAt(k - 1) === 48) k--;
    fp = fp.slice(0, k);
  }
  return ip + (fp.length > 0 || alt ? '.' + fp : '') + exp;
}

function formatFloat(x: number, conv: number, flags: number, width: number, prec: number): string {
  let body: string;
  let neg: boolean;
  let finite = true;
  const upperCase = conv === 69 /* E */ || conv === 71; /* G */
  if (x !== x) {
    neg = signBit(x);
    body = upperCase ? 'NAN' : 'nan';
    finite = false;
  } else if (x === Infinity || x === -Infinity) {
    neg = x < 0;
    body = upperCase ? 'INF' : 'inf';
    finite = false;
  } else {
    neg = x < 0 || (x === 0 && 1 / x < 0);
    const a = neg ? -x : x;
    const p = prec < 0 ? 6 : prec;
    const alt = (flags & F_ALT) !== 0;
    if (conv === 102 /* f */) {
      body = fixed(a, p);
      if (alt && p === 0) body += '.';
    } else if (conv === 101 || conv === 69) body = expo(a, p, alt);
    else body = general(a, p, alt);
    if (upperCase) body = body.toUpperCase();
  }
  const sign = neg ? '-' : (flags & F_PLUS) !== 0 ? '+' : (flags & F_SPACE) !== 0 ? ' ' : '';
  if (width === 0) return sign + body;
  return pad(sign, body, width, flags, finite);
}

const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** (unsigned long)x as gcc's x86-64 code converts a double: below 2^63 (or NaN) through the signed conversion. */
function toUint64(x: number): bigint {
  if (!(x >= TWO63)) return BigInt.asUintN(64, BigInt(toInteger(x)));
  return x < TWO64 ? BigInt(x) : 0n;
}

/** An integer conversion's digits with its precision (a 0 with precision 0 has none). */
function precDigits(digits: string, prec: number): string {
  if (prec < 0) return digits;
  if (prec === 0 && digits === '0') return '';
  return digits.length < prec ? digits.padStart(prec, '0') : digits;
}

function formatInt(x: number, conv: number, flags: number, width: number, prec: number): string {
  let digits: string;
  let prefix = '';
  if (conv === 100 || conv === 105) {
    const v = toInteger(x);
    const neg = v < 0;
    const a = neg ? -v : v;
    digits = precDigits(a <= 9007199254740991 ? '' + a : BigInt(a).toString(), prec);
    prefix = neg ? '-' : (flags & F_PLUS) !== 0 ? '+' : (flags & F_SPACE) !== 0 ? ' ' : '';
  } else {
    const base = conv === 111 ? 8 : conv === 117 ? 10 : 16;
    let d: string;
    let zero: boolean;
    if (x >= 0 && x <= 9007199254740991) {
      const t = Math.trunc(x);
      d = t.toString(base);
      zero = t === 0;
    } else {
      const u = toUint64(x);
      d = u.toString(base);
      zero = u === 0n;
    }
    if (conv === 88) d = d.toUpperCase();
    digits = precDigits(d, prec);
    if ((flags & F_ALT) !== 0) {
      if (conv === 111) {
        if (digits.charCodeAt(0) !== 48) digits = '0' + digits;
      } else if (conv !== 117 && !zero) prefix = conv === 88 ? '0X' : '0x';
    }
  }
  if (width === 0) return prefix + digits;
  return pad(prefix, digits, width, flags, prec < 0);
}

/** %q: the string in double quotes, readable back by Lua. */
function quoted(s: string): string {
  let out = '"';
  let lit = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = '\\\\';
    else if (c === 10) esc = '\\\n';
    else if (c === 13) esc = '\\r';
    else if (c === 0) esc = '\\000';
    else continue;
    out += s.slice(lit, i) + esc;
    lit = i + 1;
  }
  return out + s.slice(lit) + '"';
}

/** A formatted item as C's buffer keeps it: up to its first NUL. */
function cutNul(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

function format(fmt: LuaValue): string {
  const top = arguments.length;
  const f = str(fmt, 1, top);
  const n = f.length;
  let out = '';
  let lit = 0;
  let arg = 1;
  let i = f.indexOf('%');
  if (i < 0) return f;
  while (i >= 0 && i < n) {
    out += f.slice(lit, i);
    i++;
    if (i < n && f.charCodeAt(i) === 37) {
      out += '%';
      lit = ++i;
      i = f.indexOf('%', i);
      continue;
    }
    if (++arg > top) argError(arg, 'no value');
    // flags, width (2 digits at most), precision (2 digits at most)
    const fs = i;
    let flags = 0;
    let c = i < n ? f.charCodeAt(i) : 0;
    for (let b = flagBit(c); b !== 0; b = flagBit(c)) {
      flags |= b;
      c = ++i < n ? f.charCodeAt(i) : 0;
    }
    if (i - fs >= 6) luaError('invalid format (repeated flags)');
    let width = 0;
    if (c >= 48 && c <= 57) {
      width = c - 48;
      c = ++i < n ? f.charCodeAt(i) : 0;
      if (c >= 48 && c <= 57) {
        width = width * 10 + c - 48;
        c = ++i < n ? f.charCodeAt(i) : 0;
      }
    }
    let prec = -1;
    if (c === 46) {
      prec = 0;
      c = ++i < n ? f.charCodeAt(i) : 0;
      if (c >= 48 && c <= 57) {
        prec = c - 48;
        c = ++i < n ? f.charCodeAt(i) : 0;
        if (c >= 48 && c <= 57) {
          prec = prec * 10 + c - 48;
          c = ++i < n ? f.charCodeAt(i) : 0;
        }
      }
    }
    if (c >= 48 && c <= 57) luaError('invalid format (width or precision too long)');
    i++;
    // eslint-disable-next-line prefer-rest-params
    const v = arguments[arg - 1] as LuaValue;
    switch (c) {
      case 99 /* c */: {
        const x = checkNumber(v, arg, top);
        const t = Math.trunc(x);
        const ch = t >= -2147483648 && t <= 2147483647 ? t & 0xff : 0;
        out += cutNul(pad('', String.fromCharCode(ch), width, flags & F_MINUS, false));
        break;
      }
      case 100 /* d */:
      case 105 /* i */:
        if (typeof v === 'number' && flags === 0 && width === 0 && prec < 0 && (v | 0) === v) out += v;
        else out += formatInt(checkNumber(v, arg, top), c, flags, width, prec);
        break;
      case 111 /* o */:
      case 117 /* u */:
      case 120 /* x */:
      case 88 /* X */:
        out += formatInt(checkNumber(v, arg, top), c, flags, width, prec);
        break;
      case 101 /* e */:
      case 69 /* E */:
      case 102 /* f */:
      case 103 /* g */:
      case 71 /* G */:
        out += formatFloat(checkNumber(v, arg, top), c, flags, width, prec);
        break;
      case 113 /* q */:
        out += quoted(str(v, arg, top));
        break;
      case 115 /* s */: {
        let s = str(v, arg, top);
        if (prec < 0 && s.length >= 100) out += s;
        else {
          s = cutNul(s);
          if (prec >= 0 && s.length > prec) s = s.slice(0, prec);
          out += width === 0 ? s : pad('', s, width, flags & F_MINUS, false);
        }
        break;
      }
      default:
        luaError(`invalid option '%${c === 0 ? '' : String.fromCharCode(c)}' to 'format'`);
    }
    lit = i;
    i = f.indexOf('%', i);
  }
  return out + f.slice(lit);
}

// ---------------------------------------------------------------------------

export const stringLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['string.byte', byte],
  ['string.char', char],
  ['string.find', find],
  ['string.format', format],
  ['string.gfind', gmatch],
  ['string.gmatch', gmatch],
  ['string.gsub', gsub],
  ['string.len', len],
  ['string.lower', lower],
  ['string.match', match],
  ['string.rep', rep],
  ['string.reverse', reverse],
  ['string.sub', sub],
  ['string.upper', upper],
]);

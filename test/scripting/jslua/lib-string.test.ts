/**
 * jslua's string library against redis-server: the same calls run in a
 * script on redis-server (each in its own pcall, one call per source line
 * so the error positions match) and on lib-string.ts, and the results
 * (values, or the error text) must be equal byte for byte. Seeded random
 * patterns and subjects for the matcher, and many flag/width/precision/
 * value combinations for string.format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers/rng.js';
import { atSite, evalRaw, negNaN, parseArray, skip, useRedis } from './harness.js';
import { stringLib } from '../../../src/scripting/jslua/lib-string.js';
import { LuaTable } from '../../../src/scripting/jslua/table.js';
import {
  cur,
  formatG,
  LuaError,
  results,
  type LuaFunction,
  type LuaValue,
} from '../../../src/scripting/jslua/value.js';

/** An argument: a JS value with its Lua source (a string, a number, nil), or both given. */
type Arg = string | number | boolean | undefined | { lua: string; js: LuaValue };
interface Case {
  /** 'string.find' */
  fn: string;
  args: Arg[];
  /** How the call names the function: string.find(...) ('field') or s:find(...) ('method'). */
  method?: boolean;
  /** Iterate a gmatch iterator (at most 50 times) instead of calling once. */
  iterate?: boolean;
}

function luaString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c < 127 && c !== 34 && c !== 92) out += s[i];
    else out += '\\' + String(c).padStart(3, '0');
  }
  return out + '"';
}

function luaNumber(x: number): string {
  if (x !== x) return '(0/0)';
  if (x === Infinity) return 'math.huge';
  if (x === -Infinity) return '(-math.huge)';
  if (x === 0 && 1 / x < 0) return '(-0)';
  return '(' + formatG(x, 17) + ')';
}

function luaArg(a: Arg): string {
  if (typeof a === 'object') return a.lua;
  if (typeof a === 'string') return luaString(a);
  if (typeof a === 'number') return luaNumber(a);
  if (a === undefined) return 'nil';
  return String(a);
}

function jsArg(a: Arg): LuaValue {
  return typeof a === 'object' ? a.js : a;
}

function ser(v: LuaValue): string {
  if (typeof v === 'number') return 'n' + formatG(v, 17);
  if (typeof v === 'string') return 's' + v;
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'b' + String(v);
  return typeof v === 'function' ? 'function' : 'table';
}

const PRELUDE =
  "local function ser(...) local t = {'ok'} for i = 1, select('#', ...) do local v = select(i, ...) local ty = type(v) " +
  "if ty == 'number' then t[#t+1] = 'n' .. string.format('%.17g', v) elseif ty == 'string' then t[#t+1] = 's' .. v " +
  "elseif ty == 'nil' then t[#t+1] = 'nil' elseif ty == 'boolean' then t[#t+1] = 'b' .. tostring(v) else t[#t+1] = ty end end " +
  "return table.concat(t, '\\1') end local function it(f) local t = {} for i = 1, 50 do local r = {f()} if #r == 0 then break end " +
  "for j = 1, #r do t[#t+1] = r[j] end t[#t+1] = '|' end return unpack(t) end " +
  'local T = {a = "A", b = false, c = 12.5, ab = "AB", d = {}} local F1 = function(...) return ... end ' +
  "local F2 = function(a, b) return (b or '') .. '-' .. a end local F3 = function() return {} end local F4 = function() end " +
  'local R = {}';

/** JS twins of the prelude's T, F1..F4. */
const T = new LuaTable();
T.setStr('a', 'A');
T.setStr('b', false);
T.setStr('c', 12.5);
T.setStr('ab', 'AB');
T.setStr('d', new LuaTable());
const named: Record<string, LuaValue> = {
  T,
  F1: ((...a: LuaValue[]) => a) as LuaFunction,
  F2: ((a: LuaValue, b: LuaValue) => ((b ?? '') as string) + '-' + (a as string)) as LuaFunction,
  F3: (() => new LuaTable()) as LuaFunction,
  F4: (() => []) as LuaFunction,
};
const ref = (name: string): Arg => ({ lua: name, js: named[name] });

function caseLua(c: Case): string {
  const name = c.fn.slice('string.'.length);
  const args = c.args.map(luaArg);
  let call: string;
  if (c.method) call = `(${args[0]}):${name}(${args.slice(1).join(', ')})`;
  else call = `string.${name}(${args.join(', ')})`;
  if (c.iterate) call = `it(${call})`;
  return `do local ok, v = pcall(function() return ser(${call}) end) R[#R+1] = ok and v or ('err\\1s' .. tostring(v)) end`;
}

function caseJs(c: Case, line: number): string {
  const name = c.fn.slice('string.'.length);
  atSite(name, c.method ? 'method' : 'field', line);
  try {
    const f = stringLib.get(c.fn) as LuaFunction;
    let vals: LuaValue[];
    if (c.iterate) {
      const iter = f(...c.args.map(jsArg)) as LuaFunction;
      cur.sites = [{ line: 1, kind: 'local', name: 'f' }]; // the prelude's it() calls the iterator
      vals = [];
      for (let i = 0; i < 50; i++) {
        const r = results(iter());
        if (r.length === 0) break;
        vals.push(...r, '|');
      }
    } else vals = results(f(...c.args.map(jsArg)));
    return ['ok', ...vals.map(ser)].join('\x01');
  } catch (e) {
    if (e instanceof LuaError) return 'err\x01s' + String(e.value);
    throw e;
  }
}

useRedis();

/** Runs the cases on redis-server and in JS; returns the mismatches (at most `max`). */
async function differ(cases: Case[], max = 20): Promise<string[]> {
  const bad: string[] = [];
  for (let start = 0; start < cases.length; start += 400) {
    const batch = cases.slice(start, start + 400);
    const script = PRELUDE + '\n' + batch.map(caseLua).join('\n') + '\nreturn R';
    const reply = await evalRaw(script);
    const got = parseArray(reply);
    assert.equal(got.length, batch.length, reply.slice(0, 300));
    batch.forEach((c, k) => {
      const js = caseJs(c, k + 2);
      if (js !== got[k] && bad.length < max)
        bad.push(`${caseLua(c)}\n  redis: ${JSON.stringify(got[k])}\n  jslua: ${JSON.stringify(js)}`);
    });
  }
  return bad;
}

async function same(cases: Case[]): Promise<void> {
  const bad = await differ(cases);
  if (process.env['JSLUA_VERBOSE']) console.log(`${cases.length} cases, ${bad.length} differ`);
  assert.deepEqual(bad, [], bad.join('\n'));
}

const c = (fn: string, ...args: Arg[]): Case => ({ fn: 'string.' + fn, args });
const m = (fn: string, ...args: Arg[]): Case => ({ fn: 'string.' + fn, args, method: true });

test('len, sub, byte, char, rep, reverse, lower, upper', { skip }, async () => {
  const cases: Case[] = [];
  const strs = ['', 'a', 'hello', 'h\0llo', '\xff\x80\xe9AbZz', '12', 'x'.repeat(30)];
  const idx: Arg[] = [
    undefined,
    0,
    1,
    2,
    -1,
    -2,
    -3,
    5,
    6,
    100,
    -100,
    2.7,
    -2.7,
    '3',
    ' 2 ',
    '0x2',
    'x',
    true,
    2 ** 31 + 1,
    -(2 ** 31) - 1,
    2 ** 63,
    -(2 ** 63),
    1e300,
    -1e300,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (const s of strs) {
    cases.push(c('len', s), c('reverse', s), c('lower', s), c('upper', s), m('len', s), m('upper', s));
    for (const i of idx) {
      cases.push(c('sub', s, i), c('byte', s, i), m('sub', s, i));
      for (const j of [undefined, 0, 1, -1, 3, -3, 100, 'y', 2 ** 63, NaN] as Arg[]) {
        cases.push(c('sub', s, i, j), c('byte', s, i, j));
      }
    }
    for (const n of [0, 1, 3, -1, 2.5, '2', 'x', undefined, 2 ** 32 + 2, NaN] as Arg[]) cases.push(c('rep', s, n));
  }
  cases.push(c('len'), c('len', 12), c('len', 1e100), c('len', true), c('len', { lua: '{}', js: new LuaTable() }));
  cases.push(c('lower', 1.5), c('upper'), c('reverse', 123), c('sub'), c('sub', 'abc'), c('byte'), c('rep', 'x'));
  cases.push(m('sub', 'abc', 'x'), m('rep', 'abc'), m('byte', 'abc', 1, 'x'), c('rep', 12, 2));
  for (const args of [
    [],
    [65],
    [0, 255, 128],
    [256],
    [-1],
    [65.7],
    ['66'],
    ['x'],
    [undefined],
    [65, undefined],
    [2 ** 32 + 65],
    [NaN],
    [1e300],
  ] as Arg[][])
    cases.push(c('char', ...args));
  // string.byte's stack limit
  const long = 'x'.repeat(8100);
  for (const [i, j] of [
    [1, 7997],
    [1, 7998],
    [1, 7999],
    [1, 8000],
    [1, -1],
  ])
    cases.push(c('byte', long, i, j));
  cases.push(c('byte', long.slice(0, 7999), 1, -1), c('byte', long.slice(0, 7998), 1, -1));
  cases.push(c('byte', long.slice(0, 7999), 1, -1, 5), c('byte', long.slice(0, 7997), 1, -1, 5, 6));
  await same(cases);
});

/** A random pattern from a grammar of Lua's pattern items (sometimes malformed). */
function genPattern(r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const single = (): string => {
    const k = r();
    if (k < 0.35) return pick(['a', 'b', 'c', 'x', ' ', '1', '-', '(', ')']).replace(/[()-]/, (ch) => '%' + ch);
    if (k < 0.45) return '.';
    if (k < 0.7)
      return (
        '%' + pick(['a', 'd', 's', 'w', 'x', 'p', 'l', 'u', 'c', 'z', 'A', 'D', 'S', 'W', 'P', '.', '%', '[', 'q'])
      );
    return pick(['[abc]', '[^a]', '[a-c]', '[%d_]', '[a-]', '[]a]', '[^]]', '[%a%-]', '[-x]', '[b-a]', '[%]]', '[.]']);
  };
  const items: string[] = [];
  const n = 1 + Math.floor(r() * 5);
  let open = 0;
  let caps = 0;
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.55) {
      items.push(single() + (r() < 0.45 ? pick(['*', '+', '-', '?']) : ''));
    } else if (k < 0.68) {
      items.push('(');
      open++;
      caps++;
    } else if (k < 0.78 && open > 0) {
      items.push(')');
      open--;
    } else if (k < 0.82) {
      items.push('()');
      caps++;
    } else if (k < 0.86 && caps > 0) {
      items.push('%' + (1 + Math.floor(r() * caps)));
    } else if (k < 0.9) {
      items.push(pick(['%b()', '%bab', '%bxx']));
    } else if (k < 0.94) {
      items.push(pick(['%f[%w]', '%f[%W]', '%f[a]', '%f[%z]', '%f[^a]']));
    } else {
      items.push(single());
    }
  }
  while (open > 0 && r() < 0.9) {
    items.push(')');
    open--;
  }
  let p = items.join('');
  if (r() < 0.15) p = '^' + p;
  if (r() < 0.15) p += '$';
  if (r() < 0.04)
    p += pick(['%', '[', '[a', '(', ')', '%f', '%fa', '%b', '%b(', '%9', '%0', '[%', '\0x', '[^', '%1', '%3', '$x']);
  return p;
}

function genSubject(r: () => number): string {
  const alphabet = 'aabbcx 1-()%.[]A\t';
  const n = Math.floor(r() * 14);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    s += k < 0.03 ? '\0' : k < 0.06 ? '\xe9' : alphabet[Math.floor(r() * alphabet.length)];
  }
  return s;
}

function genRepl(r: () => number): string {
  const parts = ['x', '%0', '%1', '%2', '%%', '%a', '-', '<', '>', '%3', '%9'];
  let s = '';
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) s += parts[Math.floor(r() * parts.length)];
  if (r() < 0.05) s += '%';
  return s;
}

test('find, match, gmatch, gsub on random patterns and subjects', { skip }, async () => {
  const r = rng(Number(process.env['JSLUA_SEED'] ?? 12345));
  const cases: Case[] = [];
  for (let i = 0; i < 6000; i++) {
    const s = genSubject(r);
    const p = genPattern(r);
    const k = r();
    const init: Arg = r() < 0.2 ? [0, 1, 2, -1, -3, 20, -20][Math.floor(r() * 7)] : undefined;
    if (k < 0.3) cases.push(init === undefined ? c('find', s, p) : c('find', s, p, init));
    else if (k < 0.55) cases.push(init === undefined ? c('match', s, p) : c('match', s, p, init));
    else if (k < 0.7) cases.push({ fn: 'string.gmatch', args: [s, p], iterate: true });
    else {
      const kind = r();
      const repl: Arg =
        kind < 0.6
          ? genRepl(r)
          : kind < 0.7
            ? ref('T')
            : kind < 0.8
              ? ref('F1')
              : kind < 0.87
                ? ref('F2')
                : kind < 0.9
                  ? ref('F3')
                  : kind < 0.95
                    ? ref('F4')
                    : 7;
      const max: Arg[] = r() < 0.2 ? [[0, 1, 2, -1, 1.5][Math.floor(r() * 5)]] : [];
      cases.push(c('gsub', s, p, repl, ...max));
    }
  }
  await same(cases);
});

test('matcher edge cases and error texts', { skip }, async () => {
  const cases: Case[] = [];
  const pats = [
    '',
    '^',
    '$',
    '^$',
    'a$b',
    '%',
    'a%',
    '[a',
    '[^',
    '[]',
    '[]]',
    '[^]]',
    '[a-]',
    '(',
    ')',
    '(a',
    'a)',
    '()',
    '(()',
    '%1',
    '(a)%1',
    '(a%1)',
    '(()a)%1',
    '()%1',
    '%0',
    '%b',
    '%b(',
    '%b()',
    '%f',
    '%fa',
    '%f[a',
    '%f[%a]',
    '%f[%z]',
    '%f[^%z]',
    'a\0b',
    '\0',
    '(\0)',
    '[\0]',
    'x*\0*',
    '%z',
    '%Z+',
    '.-$',
    '.-',
    '.*',
    '(.-)%s',
    '^(%w+)',
    '(%d+)%.(%d+)',
    '%a+',
    '[%w_]+',
    '[%]]',
    '%[',
    '[^%s]+',
    '(a*(.)%w(%s*))',
    '%s*(%S+)%s*',
    '()aa()',
    '(' + '()'.repeat(31) + ')',
    '()'.repeat(32),
    '()'.repeat(33),
    '(()'.repeat(33),
    '%c%C%p%P%x%X%l%L%u%U%d%D%s%S%w%W%a%A',
  ];
  const subjects = [
    '',
    'a',
    'aa b',
    'hello world 12.5',
    'a\0b',
    '(a(b)c)',
    'x(y',
    ' \t\n\v\f\rz',
    '\xff\x80',
    'THE (quick) fox',
  ];
  for (const p of pats)
    for (const s of subjects) {
      cases.push(c('find', s, p), c('match', s, p), c('gsub', s, p, '<%0>'), {
        fn: 'string.gmatch',
        args: [s, p],
        iterate: true,
      });
    }
  // every byte against every class
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  for (const cl of 'acdlpsuwxzACDLPSUWXZ.%q]')
    cases.push(c('gsub', all, '%' + cl, ''), c('gsub', all, '[%' + cl + ']', ''));
  cases.push(c('gsub', all, '[a-z]', ''), c('gsub', all, '[^\x80-\xff]', ''), c('gsub', all, '[\x01-\x7f]+', '.'));
  // plain find and its shortcut
  for (const [s, p, init, plain] of [
    ['a.b', '.', 1, true],
    ['a.b', '.', 1, false],
    ['a.b', '.', 1, undefined],
    ['a.b', '.', 1, 0],
    ['a+b', '+', undefined, undefined],
    ['abc', 'b', -1, undefined],
    ['abc', '', 10, undefined],
    ['abc', '', 4, undefined],
    ['abc', '', -10, undefined],
    ['abc', 'c', 3, undefined],
    ['a\0b(', 'a\0b(', 1, undefined],
    ['a\0b(', '\0b', 1, undefined],
    ['a\0b(', 'b(', 1, undefined],
    ['a\0b(', 'b(', 1, true],
    ['aXb', 'X\0(', 1, undefined],
    ['abc', 'abcd', 1, undefined],
    ['', '', 1, undefined],
    ['', '', 2, undefined],
    ['abc', 'x', 'y', undefined],
  ] as Arg[][])
    cases.push(c('find', s, p, init, plain), c('match', s, p, init));
  cases.push(c('find'), c('find', 'a'), c('match', 'a'), c('find', 'a', { lua: '{}', js: new LuaTable() }));
  cases.push(m('find', 'abc', 'b'), m('match', 'abc', '(b)(c)'), m('gsub', 'abc', 'b'), m('find', 'abc', 'b', 'x'));
  cases.push(c('gmatch', 'a'), c('gmatch', 'a', true), c('gsub', 'a', 'a'), c('gsub', 'a', 'a', true));
  cases.push(c('gsub', 'a', 'a', 'b', 'x'), c('gsub', 'aaa', 'a', 'b', 2 ** 32 + 1), c('gsub', 'aaa', '', '-'));
  cases.push(c('gsub', 'hello world', '(o)', '%%1=%1 %0 %2'), c('gsub', 'abc', '%w', '%'), c('gsub', 'abc', '', '%1'));
  cases.push(c('gsub', 'abc', '()', '%1'), c('gsub', 'abc', '(b)()', ref('F1')), c('gsub', 'abc', '()', ref('T')));
  cases.push(c('gsub', 'abc', '%w', ref('F3')), c('gsub', 'a b c d', '%w', ref('T')), c('gsub', 'abc', '%w+', 1.5));
  cases.push(c('gsub', 'hello', '', ref('F4')), c('gsub', 'hello', '^h', 'J'), c('gsub', 'hello', '^', '>'));
  cases.push(c('gsub', 'hello', 'l*', '-'), c('gsub', 'hello', 'x*', '-', 3), c('gsub', 12345, 3, 9));
  cases.push(c('gsub', 'a.b', '%.', '%%'), c('gsub', 'x', 'x', '%\0'), c('gsub', 'x', '(x)', '%1%'));
  await same(cases);
});

test('string.gfind is string.gmatch', { skip }, async () => {
  const r = await evalRaw('return tostring(string.gfind == string.gmatch)');
  assert.equal(r, '$4\r\ntrue\r\n');
  assert.equal(stringLib.get('string.gfind'), stringLib.get('string.gmatch'));
});

test('string.format: flags, width, precision and values', { skip }, async () => {
  const r = rng(Number(process.env['JSLUA_SEED'] ?? 777));
  const values: Arg[] = [
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    2.5,
    -2.5,
    1.005,
    0.125,
    0.375,
    1e-5,
    1.2345e-5,
    123.456,
    -123.456,
    1e15,
    1e16,
    1e17,
    123456789012,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    -(2 ** 63),
    2 ** 64,
    -(2 ** 64),
    1e21,
    1e22,
    1e100,
    1.7976931348623157e308,
    5e-324,
    2.2250738585072014e-308,
    1e-300,
    Infinity,
    -Infinity,
    { lua: '(0/0)', js: negNaN() },
    { lua: '(-(0/0))', js: NaN },
    255,
    65,
    3.999,
    0.1,
    0.05,
    9.5,
    99.5,
    0.00095,
    '12',
    '0x10',
    '1e3',
  ];
  const convs = ['d', 'i', 'u', 'o', 'x', 'X', 'c', 'e', 'E', 'f', 'g', 'G', 's', 'q'];
  const cases: Case[] = [];
  const spec = (): string => {
    let f = '%';
    const nf = r() < 0.5 ? 0 : Math.floor(r() * 3) + 1;
    for (let i = 0; i < nf; i++) f += '-+ #0'[Math.floor(r() * 5)];
    if (r() < 0.5) f += String(Math.floor(r() * (r() < 0.8 ? 12 : 100)));
    if (r() < 0.5) f += '.' + (r() < 0.1 ? '' : String(Math.floor(r() * (r() < 0.8 ? 20 : 100))));
    return f;
  };
  for (let i = 0; i < 5000; i++) {
    const conv = convs[Math.floor(r() * convs.length)]!;
    const v = values[Math.floor(r() * values.length)]!;
    cases.push(c('format', '[' + spec() + conv + ']', v));
  }
  // ties and common formats
  for (const p of [0, 1, 2, 3, 5, 10, 17, 20, 40, 60, 99])
    for (const v of [0.5, 1.5, 2.5, 3.5, 1.005, 2.675, 0.125, 0.625, 1e-7, 123.456, 1e300, 2 ** -1074, 0.045, 1.25e-5])
      for (const conv of ['f', 'e', 'g', '#g'])
        cases.push(c('format', `%.${p}${conv}`, v), c('format', `%.${p}${conv}`, -v));
  for (const v of [
    'abc',
    '',
    'x'.repeat(99),
    'x'.repeat(100),
    'y'.repeat(300),
    'a\0b',
    'a"b\\c\nd\re\0f\x01\xff',
    12.5,
    1e100,
  ])
    for (const f of ['%s', '%5s', '%-5s', '%.2s', '%5.1s', '%.0s', '%q', '%10q', '%.99s', '%99s', '[%s]'])
      cases.push(c('format', f, v));
  for (const f of [
    '',
    'plain',
    '%%',
    '%',
    'x%',
    '%d',
    '%y',
    '%F',
    '%a',
    '%n',
    '%ld',
    '%5.5.5d',
    '%123d',
    '%.123f',
    '%1.123f',
    '%------d',
    '%-----d',
    '%+-+-+d',
    '%0-0-0-d',
    '%\0',
    '%5\0',
    '%\xe9',
    '%d %d',
    '%d %s %q',
    '%%d%%',
  ])
    cases.push(c('format', f, 1, 'x'), c('format', f), c('format', f, 42));
  cases.push(c('format'), c('format', 12), c('format', '%d', 'x'), c('format', '%d', undefined), c('format', '%s'));
  cases.push(c('format', '%s', true), c('format', '%s', { lua: '{}', js: new LuaTable() }), c('format', '%c', 'a'));
  cases.push(m('format', '%d', 'x'), m('format', '%d'), m('format', '%5.2f|%-8d|%x', 3.14159, 42, 255));
  for (const v of [0, 65, 321, -191, 2 ** 40 + 65, 2 ** 31 + 66, -(2 ** 31), 2 ** 31, NaN, 65.9, -0.5])
    for (const f of ['[%c]', '[%5c]', '[%-5c]', '[%05c]']) cases.push(c('format', f, v));
  await same(cases);
});

test('unit: results without redis-server', () => {
  atSite('format');
  const fmt = stringLib.get('string.format') as LuaFunction;
  assert.equal(fmt('%.0f %.0f %.0f %.2f', 0.5, 1.5, 2.5, 1.005), '0 2 2 1.00');
  assert.equal(fmt('%5.1f|%-5d|%05d|%x|%q', 3.14159, 42, -42, 255, 'a\nb'), '  3.1|42   |-0042|ff|"a\\\nb"');
  assert.throws(
    () => fmt('%d', 'x'),
    (e: unknown) => {
      return (
        e instanceof LuaError && e.value === "user_script:1: bad argument #2 to 'format' (number expected, got string)"
      );
    },
  );
  atSite('find');
  const find = stringLib.get('string.find') as LuaFunction;
  assert.deepEqual(find('hello world', '(o)%s(w)'), [5, 7, 'o', 'w']);
  assert.deepEqual(find('a.b', '.', 1, true), [2, 2]);
  const gsub = stringLib.get('string.gsub') as LuaFunction;
  assert.deepEqual(gsub('hello world', '(%w+)', '<%1>'), ['<hello> <world>', 2]);
});

/**
 * jslua's cjson against a real redis-server: the same encode/decode on both,
 * results compared byte for byte (encode output, error texts) or through a
 * canonical walk of decoded values (keys sorted: the table's `next` order is
 * not yet Lua's, so multi-key objects are only compared that way).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers/rng.js';
import { onJs, onRedis, skip, useRedis, walk } from './harness.js';
import { cjsonLib, cjsonNull, resetCjsonConfig } from '../../../src/scripting/jslua/lib-cjson.js';
import { LuaTable } from '../../../src/scripting/jslua/table.js';
import {
  LuaError,
  cur,
  formatG,
  numberToString,
  stringToNumber,
  type LuaFunction,
  type LuaValue,
} from '../../../src/scripting/jslua/value.js';

useRedis();

type Fn = (...args: LuaValue[]) => LuaValue;
const fn = (name: string) => cjsonLib.get('cjson.' + name) as Fn;
const encode = fn('encode');
const decode = fn('decode');

function randomNumber(r: () => number): number {
  switch (Math.floor(r() * 8)) {
    case 0:
      return Math.floor(r() * 200) - 100;
    case 1:
      return Math.floor((r() - 0.5) * 2 ** 53);
    case 2:
      return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    case 3:
      return (r() - 0.5) * 10 ** Math.floor(r() * 600 - 300);
    case 4:
      return [0, -0, 1e300, -1e300, 2 ** 53 + 2, 2 ** 63, 1e14, 1e15, 99999999999999, 0.1, 1 / 3, 5e-324][
        Math.floor(r() * 12)
      ]!;
    case 5:
      return Math.floor(r() * 1e6) / 100;
    case 6:
      return Math.fround(r() * 1000);
    default:
      return (r() - 0.5) * 1e15;
  }
}

function randomString(r: () => number): string {
  const n = Math.floor(r() * 12);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    s += String.fromCharCode(k < 0.5 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 256));
  }
  return s;
}

/** A random JSON text whose objects have at most one key (so the encode order is unambiguous). */
function randomJson(r: () => number, depth: number): string {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  switch (k) {
    case 0:
      return numberJson(randomNumber(r));
    case 1:
      return jsonString(randomString(r));
    case 2:
      return ['true', 'false', 'null'][Math.floor(r() * 3)]!;
    case 3:
    case 4:
      return numberJson(Math.floor(r() * 1000));
    case 5:
    case 6: {
      const n = Math.floor(r() * 5);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(randomJson(r, depth + 1));
      return '[' + items.join(',') + ']';
    }
    default:
      return r() < 0.3 ? '{}' : '{' + jsonString(randomString(r)) + ':' + randomJson(r, depth + 1) + '}';
  }
}

function numberJson(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return formatG(x, 17);
}

/** A JSON string literal for latin1 bytes (escaping as JSON requires, bytes above 127 as they are). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c < 32) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

test('cjson.encode of numbers: %.14g exactly, -0, integers, huge and tiny values', { skip }, async () => {
  const r = rng(1);
  const xs: number[] = [0, -0, 1, -1, 0.1, 1e14, 1e15, 123456789012345680, 2 ** 53 + 1, 1e300, 5e-324, 1e-5, 123.456];
  for (let i = 0; i < 400; i++) xs.push(randomNumber(r));
  for (const x of xs) {
    const text = Object.is(x, -0) ? '-0' : formatG(x, 17);
    const want = await onRedis('return cjson.encode(tonumber(ARGV[1]))', text);
    const got = onJs('encode', () => encode(stringToNumber(text)));
    assert.equal(got, want, `number ${text}`);
  }
});

test('cjson.encode of strings: every byte, escapes as Redis writes them', { skip }, async () => {
  let all = '';
  for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
  const r = rng(2);
  const ss = [all, '', 'a/b', '"\\', '\x7f\x80\xff', 'plain text'];
  for (let i = 0; i < 200; i++) ss.push(randomString(r));
  for (const s of ss) {
    const want = await onRedis('return cjson.encode(ARGV[1])', s);
    assert.equal(
      onJs('encode', () => encode(s)),
      want,
    );
  }
});

test('cjson decode + encode round trips of random JSON (arrays, single-key objects)', { skip }, async () => {
  const r = rng(3);
  for (let i = 0; i < 500; i++) {
    const json = randomJson(r, 0);
    const want = await onRedis('return cjson.encode(cjson.decode(ARGV[1]))', json);
    const got = onJs('encode', () => encode(decode(json)));
    assert.equal(got, want, json);
    const wantWalk = await onRedis('return walk(cjson.decode(ARGV[1]))', json);
    assert.equal(
      onJs('decode', () => walk(decode(json))),
      wantWalk,
      json,
    );
  }
});

test(
  'cjson.decode: multi-key objects, numbers, escapes, unicode, compared through a sorted walk',
  { skip },
  async () => {
    const texts = [
      '{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f","g":true}}',
      '{"a":1,"a":2}',
      '[1,null,3]',
      '[null,null]',
      '{"1":"x","2":"y"}',
      '"\\u00e9\\u20ac\\ud83d\\ude00\\u0000x"',
      '"\\/\\b\\f\\n\\r\\t\\"\\\\"',
      '-0',
      '0',
      '1e400',
      '-1e400',
      '1.5e-320',
      '123456789012345678901234567890',
      '0.1',
      '1E5',
      '1e+5',
      '-12.5e-3',
      '0x10',
      '-0x1p4',
      '0x1.8',
      'inf',
      '-Infinity',
      'nan',
      'NaN',
      '+5',
      '01',
      '-',
      '1.',
      '.5',
      '  [ 1 , 2 ]  ',
      '\t\r\n true',
      '1\0 trailing',
      '[1,2]\0]',
      '"caf\xe9"',
      '{"k":{"k":{"k":{}}}}',
      '[[],{},[[]]]',
    ];
    for (const json of texts) {
      const want = await onRedis('return walk(cjson.decode(ARGV[1]))', json);
      assert.equal(
        onJs('decode', () => walk(decode(json))),
        want,
        JSON.stringify(json),
      );
    }
  },
);

test('cjson.decode errors: the exact texts and character positions', { skip }, async () => {
  const texts = [
    '',
    'x',
    '[1,2',
    '[1 2]',
    '{"a" 1}',
    '{1:2}',
    '{"a":1,}',
    '[1,]',
    '"abc',
    '"a\\qb"',
    '"\\u12"',
    '"\\ud800"',
    '"\\ud800\\u0041"',
    '"\\udc00\\udc00"',
    '"\\u12G4"',
    'tru',
    'nul',
    'falsey',
    '[1]]',
    '{"a":1}}',
    '}',
    ']',
    ':',
    ',',
    '\0x',
    'a\0',
    ' \0',
    '-x',
    '+x',
    'infinite',
    '1 2',
    '"\x01\x00"',
    '[' + '['.repeat(1000) + ']'.repeat(1001),
    '['.repeat(999) + ']'.repeat(999),
    '{"a":'.repeat(1001) + '1' + '}'.repeat(1001),
  ];
  for (const json of texts) {
    const want = await onRedis('return walk(cjson.decode(ARGV[1]))', json);
    assert.equal(
      onJs('decode', () => walk(decode(json))),
      want,
      JSON.stringify(json.slice(0, 40)),
    );
  }
  assert.equal(
    onJs('decode', () => decode()),
    await onRedis('return cjson.decode()'),
  );
  assert.equal(
    onJs('decode', () => decode('1', '2')),
    await onRedis("return cjson.decode('1', '2')"),
  );
  assert.equal(
    onJs('decode', () => decode(new LuaTable())),
    await onRedis('return cjson.decode({})'),
  );
  assert.equal(
    onJs('decode', () => walk(decode(12))),
    await onRedis('return walk(cjson.decode(12))'),
  );
});

/** A table from [key, value] pairs, in order. */
function tbl(...kv: [LuaValue, LuaValue][]): LuaTable {
  const t = new LuaTable();
  for (const [k, v] of kv) t.set(k, v);
  return t;
}
const arr = (...vs: LuaValue[]) => LuaTable.from(vs);

test('cjson.encode: arrays vs objects, sparse arrays, bad keys and values, nesting, errors', { skip }, async () => {
  function nest(n: number): LuaTable {
    let t = new LuaTable();
    for (let i = 1; i < n; i++) t = arr(t);
    return t;
  }
  function nestObj(n: number): LuaTable {
    let t = new LuaTable();
    for (let i = 1; i < n; i++) t = tbl(['a', t]);
    return t;
  }
  const cases: [string, () => LuaValue][] = [
    ['return cjson.encode({})', () => encode(new LuaTable())],
    ['return cjson.encode({1,2,3})', () => encode(arr(1, 2, 3))],
    ['return cjson.encode({[1]=1,[2]=2,[4]=4})', () => encode(tbl([1, 1], [2, 2], [4, 4]))],
    ['return cjson.encode({[11]=1})', () => encode(tbl([11, 1]))],
    ['return cjson.encode({[10]=1})', () => encode(tbl([10, 1]))],
    ['return cjson.encode({[1]=1,[30]=2})', () => encode(tbl([1, 1], [30, 2]))],
    ['return cjson.encode({[0]=1})', () => encode(tbl([0, 1]))],
    ['return cjson.encode({[-1]=1})', () => encode(tbl([-1, 1]))],
    ['return cjson.encode({[1.5]=1})', () => encode(tbl([1.5, 1]))],
    ['return cjson.encode({[1/0]=1})', () => encode(tbl([Infinity, 1]))],
    ['return cjson.encode({[2^40]=1})', () => encode(tbl([2 ** 40, 1]))],
    ['return cjson.encode({[true]=1})', () => encode(tbl([true, 1]))],
    ['return cjson.encode({[{}]=1})', () => encode(tbl([new LuaTable(), 1]))],
    ['return cjson.encode({a={b={c=1}}})', () => encode(tbl(['a', tbl(['b', tbl(['c', 1])])]))],
    ['return cjson.encode({1,{2,{3}},"x"})', () => encode(arr(1, arr(2, arr(3)), 'x'))],
    ['return cjson.encode({1,nil,3})', () => encode(tbl([1, 1], [3, 3]))],
    ['return cjson.encode(cjson.null)', () => encode(cjsonNull)],
    ['return cjson.encode({cjson.null, false, true})', () => encode(arr(cjsonNull, false, true))],
    ['return cjson.encode(nil)', () => encode(undefined)],
    ['return cjson.encode()', () => encode()],
    ['return cjson.encode(1, 2)', () => encode(1, 2)],
    ['return cjson.encode(type)', () => encode(() => [])],
    ['return cjson.encode({f=type})', () => encode(tbl(['f', () => []]))],
    ['return cjson.encode(0/0)', () => encode(NaN)],
    ['return cjson.encode({-1/0})', () => encode(arr(-Infinity))],
    ['return cjson.encode("a\\0b")', () => encode('a\0b')],
    ['return cjson.encode({["a\\0b"]="c"})', () => encode(tbl(['a\0b', 'c']))],
  ];
  for (const [lua, js] of cases) {
    const want = await onRedis(lua.replace('return cjson', 'return cjson'));
    assert.equal(onJs('encode', js), want, lua);
  }
  const deep: [string, LuaTable][] = [
    ['local t = {} for i = 2, 1000 do t = {t} end return cjson.encode(t)', nest(1000)],
    ['local t = {} for i = 2, 1001 do t = {t} end return cjson.encode(t)', nest(1001)],
    ['local t = {} for i = 2, 1001 do t = {a=t} end return cjson.encode(t)', nestObj(1001)],
  ];
  for (const [lua, t] of deep) {
    assert.equal(
      onJs('encode', () => encode(t)),
      await onRedis(lua),
      lua,
    );
  }
});

test('cjson configuration functions: values, results, argument errors', { skip }, async () => {
  const calls: [string, string, LuaValue[]][] = [
    ['encode_sparse_array', '', []],
    ['encode_sparse_array', 'true', [true]],
    ['encode_sparse_array', "'off', 3, 20", ['off', 3, 20]],
    ['encode_sparse_array', "'bad'", ['bad']],
    ['encode_sparse_array', '1', [1]],
    ['encode_sparse_array', 'nil, -1', [undefined, -1]],
    ['encode_sparse_array', '1, 2, 3, 4', [1, 2, 3, 4]],
    ['encode_max_depth', '', []],
    ['encode_max_depth', '0', [0]],
    ['encode_max_depth', "'x'", ['x']],
    ['encode_max_depth', '{}', [new LuaTable()]],
    ['decode_max_depth', '5.7', [5.7]],
    ['encode_number_precision', '15', [15]],
    ['encode_number_precision', '3', [3]],
    ['encode_keep_buffer', "'on'", ['on']],
    ['encode_keep_buffer', 'false', [false]],
    ['encode_invalid_numbers', "'null'", ['null']],
    ['encode_invalid_numbers', '', []],
    ['encode_invalid_numbers', 'true', [true]],
    ['decode_invalid_numbers', 'false', [false]],
    ['decode_invalid_numbers', "'maybe'", ['maybe']],
    ['encode_max_depth', '1, 2', [1, 2]],
  ];
  try {
    for (const [name, args, jsArgs] of calls) {
      const want = await onRedis(
        `local a = {cjson.${name}(${args})} local b = {cjson.${name}()} return tostring(a[1]) .. ' ' .. tostring(b[2]) .. ' ' .. tostring(b[3])`,
      );
      const f = fn(name);
      const got = onJs(name, () => {
        const a = (f as LuaFunction)(...jsArgs);
        const b = (f as LuaFunction)();
        const one = (x: LuaValue) => (typeof x === 'number' ? numberToString(x) : String(x));
        const first = Array.isArray(a) ? a[0] : a;
        return [one(first), one(Array.isArray(b) ? b[1] : undefined), one(Array.isArray(b) ? b[2] : undefined)]
          .join(' ')
          .replace(/undefined/g, 'nil');
      });
      assert.equal(got, want, `${name}(${args})`);
    }
    // the settings in effect: precision, invalid numbers, sparse arrays, depth
    const uses: [string, () => LuaValue][] = [
      [
        'cjson.encode_number_precision(3) return cjson.encode({3.14159, 1234567, 0.000123456})',
        () => {
          fn('encode_number_precision')(3);
          return encode(arr(3.14159, 1234567, 0.000123456));
        },
      ],
      [
        "cjson.encode_invalid_numbers('null') return cjson.encode({1/0, 0/0})",
        () => {
          fn('encode_invalid_numbers')('null');
          return encode(arr(Infinity, NaN));
        },
      ],
      [
        'cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})',
        () => {
          fn('encode_invalid_numbers')(true);
          return encode(arr(Infinity, -Infinity, NaN));
        },
      ],
      [
        'cjson.encode_sparse_array(true) return cjson.encode({[40]=1})',
        () => {
          fn('encode_sparse_array')(true);
          return encode(tbl([40, 1]));
        },
      ],
      [
        'cjson.encode_sparse_array(false, 0) return cjson.encode({[40]=1})',
        () => {
          fn('encode_sparse_array')(false, 0);
          return encode(tbl([40, 1]));
        },
      ],
      [
        'cjson.encode_max_depth(2) return cjson.encode({{{1}}})',
        () => {
          fn('encode_max_depth')(2);
          return encode(arr(arr(arr(1))));
        },
      ],
      [
        "cjson.decode_max_depth(2) return cjson.encode(cjson.decode('[[[1]]]'))",
        () => {
          fn('decode_max_depth')(2);
          return encode(decode('[[[1]]]'));
        },
      ],
      [
        "cjson.decode_invalid_numbers(false) return cjson.encode(cjson.decode('0x10'))",
        () => {
          fn('decode_invalid_numbers')(false);
          return encode(decode('0x10'));
        },
      ],
      [
        "cjson.decode_invalid_numbers(false) return cjson.encode(cjson.decode('-Inf'))",
        () => {
          fn('decode_invalid_numbers')(false);
          return encode(decode('-Inf'));
        },
      ],
    ];
    for (const [lua, js] of uses) {
      await onRedis(
        "cjson.encode_number_precision(14) cjson.encode_invalid_numbers(false) cjson.encode_sparse_array(false, 2, 10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) cjson.decode_invalid_numbers(true) return ''",
      );
      resetCjsonConfig();
      assert.equal(onJs('encode', js), await onRedis(lua), lua);
    }
  } finally {
    resetCjsonConfig();
    await onRedis(
      "cjson.encode_number_precision(14) cjson.encode_invalid_numbers(false) cjson.encode_sparse_array(false, 2, 10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) cjson.decode_invalid_numbers(true) cjson.encode_keep_buffer(true) return ''",
    );
  }
});

test('cjson fields: _NAME, _VERSION, null, new', { skip }, async () => {
  assert.equal(
    onJs('x', () => `${String(cjsonLib.get('cjson._NAME'))} ${String(cjsonLib.get('cjson._VERSION'))}`),
    await onRedis("return cjson._NAME .. ' ' .. cjson._VERSION"),
  );
  assert.equal('OK:userdata: ' + cjsonNull.address, await onRedis('return tostring(cjson.null)'));
  const n = fn('new')() as LuaTable;
  (n.getStr('encode_number_precision') as Fn)(2);
  assert.equal(
    onJs('encode', () => `${String((n.getStr('encode') as Fn)(1.2345))} ${String(encode(1.2345))}`),
    await onRedis(
      "local c = cjson.new() c.encode_number_precision(2) return c.encode(1.2345) .. ' ' .. cjson.encode(1.2345)",
    ),
  );
  assert.equal(n.getStr('null'), cjsonNull);
});

/** Random JSON with objects of several keys (their encode order is the table's `next` order). */
function randomJsonObjects(r: () => number, depth: number): string {
  if (depth > 3 || r() < 0.3) return randomJson(r, 4);
  const n = Math.floor(r() * 12);
  const items: string[] = [];
  if (r() < 0.3) {
    for (let i = 0; i < n; i++) items.push(randomJsonObjects(r, depth + 1));
    return '[' + items.join(',') + ']';
  }
  for (let i = 0; i < n; i++) {
    const k = r() < 0.5 ? 'k' + Math.floor(r() * 20) : randomString(r);
    items.push(jsonString(k) + ':' + randomJsonObjects(r, depth + 1));
  }
  return '{' + items.join(',') + '}';
}

test(
  'cjson.encode of decoded multi-key objects: the same key order as Redis (table.ts next order)',
  { skip },
  async () => {
    const r = rng(4);
    for (let i = 0; i < 300; i++) {
      const json = randomJsonObjects(r, 0);
      const want = await onRedis('return cjson.encode(cjson.decode(ARGV[1]))', json);
      assert.equal(
        onJs('encode', () => encode(decode(json))),
        want,
        json,
      );
    }
  },
);

test('cjson.encode of numbers under every encode_number_precision', { skip }, async () => {
  const r = rng(5);
  const setP = fn('encode_number_precision');
  try {
    for (let i = 0; i < 400; i++) {
      const p = 1 + Math.floor(r() * 14);
      const x = r() < 0.5 ? randomNumber(r) : Math.round(r() * 10 ** Math.floor(r() * 16)) / 10 ** Math.floor(r() * 8);
      const text = Object.is(x, -0) ? '-0' : formatG(x, 17);
      const want = await onRedis(
        `cjson.encode_number_precision(${p}) local s = cjson.encode({tonumber(ARGV[1])}) cjson.encode_number_precision(14) return s`,
        text,
      );
      const got = onJs('encode', () => {
        setP(p);
        try {
          return encode(arr(stringToNumber(text)));
        } finally {
          setP(14);
        }
      });
      assert.equal(got, want, `%.${p}g of ${text}`);
    }
  } finally {
    resetCjsonConfig();
  }
});

test('cjson: nesting past the JS stack with raised depth limits stops where the Lua stack does', { skip }, async () => {
  const cases: string[] = [];
  for (const n of [7997, 7998, 7999]) cases.push('['.repeat(n) + ']'.repeat(n));
  for (const n of [3998, 3999, 4000]) cases.push('{"a":'.repeat(n) + '1' + '}'.repeat(n));
  try {
    for (const json of cases) {
      const want = await onRedis(
        'cjson.decode_max_depth(100000) cjson.encode_max_depth(100000) ' +
          'local ok, t = pcall(cjson.decode, ARGV[1]) cjson.decode_max_depth(1000) ' +
          'if not ok then cjson.encode_max_depth(1000) return t end ' +
          'local ok2, e = pcall(cjson.encode, t) cjson.encode_max_depth(1000) return ok2 and #e or e',
        json,
      );
      fn('decode_max_depth')(100000);
      fn('encode_max_depth')(100000);
      const got = onJs('decode', () => {
        cur.site = 1; // pcall(cjson.decode, ...): called from C, no position
        let t: LuaValue;
        try {
          t = decode(json);
        } catch (e) {
          if (e instanceof LuaError) return e.value;
          throw e;
        }
        try {
          return (encode(t) as string).length;
        } catch (e) {
          if (e instanceof LuaError) return e.value;
          throw e;
        }
      });
      resetCjsonConfig();
      assert.equal(got, want, json.slice(0, 12) + ' ' + json.length);
    }
  } finally {
    resetCjsonConfig();
  }
});

/**
 * jslua's cmsgpack against a real redis-server: pack output compared byte
 * for byte (tables: arrays and single-key maps, whose order is unambiguous
 * until table.ts has Lua's exact `next` order), unpack results through a
 * canonical walk (keys sorted), error texts compared exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers/rng.js';
import { luaNumber, luaString, onJs, onRedis, PRE, skip, useRedis, walk } from './harness.js';
import { cmsgpackLib } from '../../../src/scripting/jslua/lib-cmsgpack.js';
import { LuaTable } from '../../../src/scripting/jslua/table.js';
import { LuaUserdata, results, type LuaResult, type LuaValue } from '../../../src/scripting/jslua/value.js';

useRedis();

type Fn = (...args: LuaValue[]) => LuaResult;
const fn = (name: string) => cmsgpackLib.get('cmsgpack.' + name) as Fn;
const pack = fn('pack');
const unpack = fn('unpack');
const unpackOne = fn('unpack_one');
const unpackLimit = fn('unpack_limit');

/** A Lua value both as Lua source and as a jslua value. */
interface Gen {
  lua: string;
  js: LuaValue;
}

function randomNumber(r: () => number): number {
  switch (Math.floor(r() * 10)) {
    case 0:
      return Math.floor(r() * 300) - 150;
    case 1:
      return Math.floor(r() * 70000) - 35000;
    case 2:
      return Math.floor((r() - 0.5) * 2 ** 33);
    case 3:
      return Math.floor((r() - 0.5) * 2 ** 64);
    case 4:
      return (r() - 0.5) * 10 ** Math.floor(r() * 600 - 300);
    case 5:
      return Math.fround((r() - 0.5) * 1000);
    case 6:
      return [
        0,
        -0,
        127,
        128,
        255,
        256,
        65535,
        65536,
        4294967295,
        4294967296,
        -32,
        -33,
        -128,
        -129,
        -32768,
        -32769,
        -2147483648,
        -2147483649,
        2 ** 63,
        -(2 ** 63),
        2 ** 64,
        2 ** 53 + 2,
        1e300,
        Infinity,
        -Infinity,
        0.5,
        0.1,
        5e-324,
      ][Math.floor(r() * 28)]!;
    case 7:
      return Math.floor(r() * 128);
    default:
      return Math.floor(r() * 100) / 8;
  }
}

function randomString(r: () => number): string {
  const k = r();
  const n = k < 0.8 ? Math.floor(r() * 40) : k < 0.95 ? 200 + Math.floor(r() * 100) : 65530 + Math.floor(r() * 10);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
  return s;
}

/** Random values; maps have one key (a byte-exact pack order), arrays may hold nils at the end only. */
function randomGen(r: () => number, depth: number): Gen {
  const k = Math.floor(r() * (depth > 3 ? 5 : 9));
  switch (k) {
    case 0:
    case 1: {
      const x = randomNumber(r);
      return { lua: luaNumber(x), js: x };
    }
    case 2: {
      const s = randomString(r);
      return { lua: luaString(s), js: s };
    }
    case 3: {
      const b = r() < 0.5;
      return { lua: String(b), js: b };
    }
    case 4:
      return r() < 0.5 ? { lua: 'nil', js: undefined } : { lua: 'type', js: () => [] };
    case 5:
    case 6: {
      const n = r() < 0.9 ? Math.floor(r() * 6) : 16 + Math.floor(r() * 3);
      const items: Gen[] = [];
      for (let i = 0; i < n; i++) {
        let g = randomGen(r, depth + 1);
        while (g.js === undefined) g = randomGen(r, depth + 1);
        items.push(g);
      }
      return { lua: '{' + items.map((g) => g.lua).join(',') + '}', js: LuaTable.from(items.map((g) => g.js)) };
    }
    default: {
      const key = r() < 0.5 ? randomGen(r, 9) : { lua: luaString('k'), js: 'k' };
      if (key.js === undefined || typeof key.js === 'function' || key.js !== key.js || key.js === 1)
        return { lua: '{}', js: new LuaTable() };
      const v = randomGen(r, depth + 1);
      const t = new LuaTable();
      t.set(key.js, v.js);
      return { lua: '{[' + key.lua + ']=' + v.lua + '}', js: t };
    }
  }
}

function packedJs(gens: Gen[]): string {
  return onJs('pack', () => pack(...gens.map((g) => g.js)) as LuaValue);
}

/** walk of all the results (count first). */
function walkResults(r: LuaResult): string {
  const rs = results(r);
  return rs.length + ' ' + walk(LuaTable.from(rs));
}
const LUA_WALK_RESULTS = "local function wr(...) return select('#', ...) .. ' ' .. walk({...}) end ";

test('cmsgpack.pack: the same bytes as Redis for random values, several arguments', { skip }, async () => {
  const r = rng(11);
  for (let i = 0; i < 600; i++) {
    const n = 1 + Math.floor(r() * 3);
    const gens: Gen[] = [];
    for (let j = 0; j < n; j++) gens.push(randomGen(r, 0));
    const lua = PRE + 'return cmsgpack.pack(' + gens.map((g) => g.lua).join(', ') + ')';
    const want = await onRedis(lua);
    assert.equal(packedJs(gens), want, lua.slice(0, 300));
  }
});

test('cmsgpack.pack: nesting limit, large arrays and maps, errors', { skip }, async () => {
  function nest(n: number): LuaTable {
    let t = LuaTable.from([1]);
    for (let i = 1; i < n; i++) t = LuaTable.from([t]);
    return t;
  }
  const big = LuaTable.from(Array.from({ length: 70000 }, (_, i) => i));
  const cases: [string, () => LuaResult][] = [
    ['return cmsgpack.pack()', () => pack()],
    ['local t = {1} for i = 2, 16 do t = {t} end return cmsgpack.pack(t)', () => pack(nest(16))],
    ['local t = {1} for i = 2, 17 do t = {t} end return cmsgpack.pack(t)', () => pack(nest(17))],
    ['local t = {1} for i = 2, 30 do t = {t} end return cmsgpack.pack(t)', () => pack(nest(30))],
    ['local t = {} for i = 1, 70000 do t[i] = i - 1 end return cmsgpack.pack(t)', () => pack(big)],
    [
      'return cmsgpack.pack({[1]=1,[3]=3})',
      () => {
        const t = new LuaTable();
        t.set(1, 1);
        t.set(3, 3);
        return pack(t);
      },
    ],
    [
      'return cmsgpack.pack({[2^31]=1})',
      () => {
        const t = new LuaTable();
        t.set(2 ** 31, 1);
        return pack(t);
      },
    ],
    [
      'return cmsgpack.pack({[{}]={}})',
      () => {
        const t = new LuaTable();
        t.set(new LuaTable(), new LuaTable());
        return pack(t);
      },
    ],
    ['return cmsgpack.pack(cjson.null)', () => pack(new LuaUserdata('(nil)'))],
    ['return cmsgpack.pack(0/0)', () => pack(-NaN)],
  ];
  for (const [lua, js] of cases) {
    assert.equal(
      onJs('pack', () => js() as LuaValue),
      await onRedis(lua),
      lua,
    );
  }
});

/** Hand-made MessagePack for what pack never writes: wide ints, float32, str8 of short strings, bin, ext... */
const CRAFTED = [
  '\xcf\x00\x00\x00\x00\x00\x00\x00\x05',
  '\xcf\xff\xff\xff\xff\xff\xff\xff\xff',
  '\xcf\x80\x00\x00\x00\x00\x00\x00\x00',
  '\xcf\x00\x20\x00\x00\x00\x00\x00\x01',
  '\xcf\x7f\xff\xff\xff\xff\xff\xff\xff',
  '\xd3\x80\x00\x00\x00\x00\x00\x00\x00',
  '\xd3\xff\xe0\x00\x00\x00\x00\x00\x01',
  '\xd3\xff\xdf\xff\xff\xff\xff\xff\xff',
  '\xd3\x00\x00\x00\x00\x00\x00\x00\x01',
  '\xca\x3f\x80\x00\x01',
  '\xca\x7f\x80\x00\x00',
  '\xca\x7f\xc0\x00\x00',
  '\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00',
  '\xcb\x80\x00\x00\x00\x00\x00\x00\x00',
  '\xd9\x03abc',
  '\xda\x00\x03abc',
  '\xdb\x00\x00\x00\x03abc',
  '\xdc\x00\x02\x01\x02',
  '\xdd\x00\x00\x00\x02\x01\xc0',
  '\xde\x00\x01\xa1a\x01',
  '\xdf\x00\x00\x00\x01\x01\x02',
  '\x92\xc0\x01',
  '\x93\x01\xc0\x03',
  '\x82\x01\xa1a\x02\xa1b',
  '\x81\xc0\x01',
  '\x81\xca\x7f\xc0\x00\x00\x01',
  '\x81\x01\xc0',
  '\xc4\x01a',
  '\xc1',
  '\xc7\x01\x01a',
  '\xd4\x01\x01',
  '\xcc',
  '\xcd\x01',
  '\xce\x01\x02\x03',
  '\xd9',
  '\xd9\x05abc',
  '\xdb\xff\xff\xff\xffab',
  '\x93\x01\x02',
  '\x82\x01',
  '\xdd\xff\xff\xff\xff\x01',
  '',
  '\x01\x02\x03\xc0\xc0',
  '\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00\xd1\x00\x80\xd1\xff\x7f',
  '\xc2\xc3\xc0',
  '\x9f' + '\x01'.repeat(15),
  '\x8f' + '\x01\x02'.repeat(15),
];

test('cmsgpack.unpack of hand-made and random MessagePack, and of random bytes', { skip }, async () => {
  const r = rng(12);
  const inputs = [...CRAFTED];
  for (let i = 0; i < 300; i++) {
    const gens = [randomGen(r, 0), randomGen(r, 0)];
    inputs.push(packedJs(gens).slice(3));
  }
  for (let i = 0; i < 400; i++) {
    let s = '';
    const n = Math.floor(r() * 12);
    for (let j = 0; j < n; j++)
      s += String.fromCharCode(r() < 0.3 ? 0xc0 + Math.floor(r() * 64) : Math.floor(r() * 256));
    inputs.push(s);
  }
  for (const s of inputs) {
    const want = await onRedis(LUA_WALK_RESULTS + 'return wr(cmsgpack.unpack(ARGV[1]))', s);
    assert.equal(
      onJs('unpack', () => walkResults(unpack(s))),
      want,
      JSON.stringify(s.slice(0, 60)),
    );
  }
});

test('cmsgpack.unpack_one and unpack_limit: offsets, limits, errors', { skip }, async () => {
  const data = '\x01\xa3abc\x92\x01\x02\xc0\xcb\x40\x09\x21\xfb\x54\x44\x2d\x18';
  const calls: [string, LuaValue[]][] = [];
  for (const off of [undefined, 0, 1, 2, 5, 6, 8, 9, 17, 18, 19, -1, 2.7, '3']) calls.push(['unpack_one', [data, off]]);
  for (const lim of [0, 1, 2, 3, 10, -1, 1.5])
    for (const off of [undefined, 0, 1, 5, 18, 20, -2]) calls.push(['unpack_limit', [data, lim, off]]);
  calls.push(['unpack_limit', [data]]);
  calls.push(['unpack_limit', [data, 'x']]);
  calls.push(['unpack_one', [data, {} as LuaValue]]);
  calls.push(['unpack_one', []]);
  calls.push(['unpack', []]);
  calls.push(['unpack', [12]]);
  calls.push(['unpack', [new LuaTable()]]);
  calls.push(['unpack_one', [12]]);
  calls.push(['unpack_one', ['\x93\x01']]);
  calls.push(['unpack_limit', ['\xc1', 1]]);
  const luaArg = (v: LuaValue): string =>
    v === undefined
      ? 'nil'
      : typeof v === 'string'
        ? v === data
          ? 'ARGV[1]'
          : luaString(v)
        : typeof v === 'number'
          ? luaNumber(v)
          : '{}';
  for (const [name, args] of calls) {
    const lua = PRE + LUA_WALK_RESULTS + `return wr(cmsgpack.${name}(${args.map(luaArg).join(', ')}))`;
    const want = await onRedis(lua, data);
    const f = fn(name);
    assert.equal(
      onJs(name, () =>
        walkResults(
          f(...args.map((a) => (a !== null && typeof a === 'object' && !(a instanceof LuaTable) ? new LuaTable() : a))),
        ),
      ),
      want,
      lua,
    );
  }
});

test('cmsgpack: the Lua stack limits of unpack (values at once, nesting)', { skip }, async () => {
  const cases: [string, string][] = [
    ['\xc0'.repeat(7999), 'unpack'],
    ['\xc0'.repeat(8000), 'unpack'],
    ['\x01'.repeat(8000), 'unpack_limit'],
    ['\x91'.repeat(3999) + '\x01', 'unpack'],
    ['\x91'.repeat(4000) + '\x01', 'unpack'],
    ['\x81\x01'.repeat(3000) + '\x01', 'unpack'],
    ['\x81'.repeat(3000) + '\x01\x01', 'unpack'],
  ];
  for (const [s, name] of cases) {
    const call = name === 'unpack_limit' ? 'cmsgpack.unpack_limit(ARGV[1], 7999)' : `cmsgpack.${name}(ARGV[1])`;
    const want = await onRedis(`return select('#', ${call})`, s);
    assert.equal(
      onJs(
        name,
        () =>
          results(name === 'unpack_limit' ? unpackLimit(s, 7999) : name === 'unpack_one' ? unpackOne(s) : unpack(s))
            .length,
      ),
      want,
      `${name} ${s.length}`,
    );
  }
});

test('cmsgpack fields', { skip }, async () => {
  const names = ['_NAME', '_VERSION', '_COPYRIGHT', '_DESCRIPTION'];
  assert.equal(
    'OK:' + names.map((n) => String(cmsgpackLib.get('cmsgpack.' + n))).join('|'),
    await onRedis('return ' + names.map((n) => 'cmsgpack.' + n).join(" .. '|' .. ")),
  );
});

test('cmsgpack: pack(unpack(x)) of multi-key maps keeps Redis key order (table.ts next order)', { skip }, async () => {
  const r = rng(13);
  for (let i = 0; i < 200; i++) {
    const n = 2 + Math.floor(r() * 20);
    let s = n <= 15 ? String.fromCharCode(0x80 | n) : '\xde\x00' + String.fromCharCode(n);
    for (let j = 0; j < n; j++) {
      const key = r() < 0.5 ? Math.floor(r() * 40) - 5 : 'k' + Math.floor(r() * 30);
      const kb = typeof key === 'number' ? (pack(key) as string) : (pack(key) as string);
      s += kb + (pack(randomGen(r, 2).js) as string);
    }
    const want = await onRedis('return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))', s);
    assert.equal(
      onJs('pack', () => pack(unpack(s) as LuaValue) as LuaValue),
      want,
      JSON.stringify(s.slice(0, 80)),
    );
  }
});

/**
 * jslua's bit and struct libraries against a real redis-server: results
 * (numbers as %.17g, strings byte for byte) and error texts compared for
 * fixed and seeded random arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers/rng.js';
import { luaNumber, luaString, negNaN, onJs, onRedis, PRE, skip, useRedis } from './harness.js';
import { bitLib } from '../../../src/scripting/jslua/lib-bit.js';
import { structLib } from '../../../src/scripting/jslua/lib-struct.js';
import { LuaTable } from '../../../src/scripting/jslua/table.js';
import { LuaUserdata, formatG, results, type LuaResult, type LuaValue } from '../../../src/scripting/jslua/value.js';

useRedis();

type Fn = (...args: LuaValue[]) => LuaResult;

function luaArg(v: LuaValue): string {
  if (v === undefined) return 'nil';
  if (typeof v === 'number') return luaNumber(v);
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof LuaUserdata) return 'cjson.null';
  return '{}';
}

/** Lua's 0/0 on x86: a NaN with the sign bit set (luaNumber writes any NaN as 0/0). */
const LUA_NAN = negNaN();
const LUA_SHOW =
  "local function show(...) local out = {} for i = 1, select('#', ...) do local v = select(i, ...) " +
  "if type(v) == 'number' then out[i] = string.format('%.17g', v) else out[i] = type(v) .. ':' .. tostring(v) end end " +
  "return select('#', ...) .. '|' .. table.concat(out, '|') end ";

function show(r: LuaResult): string {
  const rs = results(r);
  return (
    rs.length + '|' + rs.map((v) => (typeof v === 'number' ? formatG(v, 17) : typeName(v) + ':' + String(v))).join('|')
  );
}
function typeName(v: LuaValue): string {
  return typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : v === undefined ? 'nil' : 'table';
}

/** Compares lib.name(args) on both: args as Lua source from the JS values. */
async function same(lib: string, name: string, args: LuaValue[]): Promise<void> {
  const f = (lib === 'bit' ? bitLib : structLib).get(`${lib}.${name}`) as Fn;
  const lua = PRE + LUA_SHOW + `return show(${lib}.${name}(${args.map(luaArg).join(', ')}))`;
  const want = await onRedis(lua);
  const got = onJs(name, () => show(f(...args)));
  assert.equal(got, want, lua.slice(PRE.length + LUA_SHOW.length, 400));
}

function randomNumber(r: () => number): number {
  switch (Math.floor(r() * 9)) {
    case 0:
      return Math.floor(r() * 64) - 32;
    case 1:
      return Math.floor((r() - 0.5) * 2 ** 33);
    case 2:
      return Math.floor((r() - 0.5) * 2 ** 60);
    case 3:
      return (r() - 0.5) * 2 ** 40;
    case 4:
      return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 10);
    case 5: {
      // (LUA_NAN apart: a literal array of numbers is an array of doubles to V8, which makes a NaN's sign positive)
      const k = Math.floor(r() * 17);
      if (k === 16) return LUA_NAN;
      return [
        0,
        -0,
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        2 ** 31,
        -(2 ** 31),
        2 ** 32,
        2 ** 52,
        2 ** 53,
        2 ** 64,
        1e300,
        Infinity,
        -Infinity,
      ][k]!;
    }
    default:
      return Math.floor((r() - 0.5) * 2 ** 32);
  }
}

test('bit: every function on random numbers', { skip }, async () => {
  const r = rng(21);
  const one = ['tobit', 'bnot', 'bswap', 'tohex'];
  const two = ['band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift', 'rol', 'ror', 'tohex'];
  for (let i = 0; i < 150; i++) {
    for (const name of one) await same('bit', name, [randomNumber(r)]);
    for (const name of two) {
      const b = name === 'tohex' ? Math.floor(r() * 24) - 12 : r() < 0.5 ? Math.floor(r() * 40) - 4 : randomNumber(r);
      await same('bit', name, [randomNumber(r), b]);
    }
    await same('bit', 'band', [randomNumber(r), randomNumber(r), randomNumber(r), randomNumber(r)]);
    await same('bit', 'bxor', [randomNumber(r), randomNumber(r), randomNumber(r)]);
  }
});

test('bit: numeric strings, bad arguments, tohex widths', { skip }, async () => {
  const cases: [string, LuaValue[]][] = [
    ['tobit', ['12']],
    ['tobit', ['0x10']],
    ['tobit', [' 7 ']],
    ['tobit', ['x']],
    ['tobit', []],
    ['tobit', [undefined]],
    ['tobit', [true]],
    ['band', [1, 'x', 3]],
    ['band', [1, 2, undefined]],
    ['band', [1]],
    ['band', []],
    ['bor', [1, 2, {} as LuaValue]],
    ['lshift', [1]],
    ['lshift', [1, 'a']],
    ['tohex', [255, undefined]],
    ['tohex', [255, 0]],
    ['tohex', [255, -3]],
    ['tohex', [-1, 9]],
    ['tohex', [0xabcdef, -8]],
    ['tohex', ['255']],
    ['bswap', ['x']],
    ['rol', [1, 32]],
    ['ror', [1, 0]],
    ['arshift', [-256, 4]],
  ];
  for (const [name, args] of cases)
    await same(
      'bit',
      name,
      args.map((a) => (a !== null && typeof a === 'object' ? new LuaTable() : a)),
    );
});

test('struct.pack / unpack / size: formats, alignment, endianness, random values', { skip }, async () => {
  const r = rng(22);
  const fmts = [
    'b',
    'B',
    'h',
    'H',
    'l',
    'L',
    'T',
    'i',
    'I',
    'i1',
    'i2',
    'i3',
    'i5',
    'i7',
    'I8',
    'i12',
    'I16',
    'i32',
    '>i',
    '<i',
    '>h',
    '>l',
    '>I3',
    '>i12',
    '!bi',
    '!4bd',
    '!2bh',
    '!bl',
    '!16bi',
    '!8bxi',
    'bxh',
    '>!4 bHi',
    '<d',
    '>d',
    'f',
    '>f',
    '=i',
    'c1',
    'c3',
    'c0',
    's',
    'xxb',
  ];
  for (let i = 0; i < 40; i++) {
    for (const f of fmts) {
      const args: LuaValue[] = [f];
      const opts = f.replace(/[<>=! 0-9x]/g, '');
      for (const o of opts) {
        if (o === 'c' || o === 's') {
          let s = '';
          const n = f === 'c3' ? 3 + Math.floor(r() * 2) : Math.floor(r() * 6);
          for (let j = 0; j < n; j++)
            s += String.fromCharCode(o === 's' ? 1 + Math.floor(r() * 255) : Math.floor(r() * 256));
          args.push(s);
        } else args.push(randomNumber(r));
      }
      await same('struct', 'pack', args);
      const packed = await onRedis(PRE + `return struct.pack(${args.map(luaArg).join(', ')})`);
      if (packed.startsWith('OK:') && !f.includes('c0')) {
        await same('struct', 'unpack', [f, packed.slice(3)]);
        await same('struct', 'unpack', [f, 'pad' + packed.slice(3), 4]);
      }
      await same('struct', 'size', [f]);
    }
  }
});

test('struct: errors and edge cases', { skip }, async () => {
  const cases: [string, LuaValue[]][] = [
    ['pack', []],
    ['pack', ['z', 1]],
    ['pack', ['i', 'x']],
    ['pack', ['i']],
    ['pack', ['i33', 1]],
    ['pack', ['i99999999999', 1]],
    ['pack', ['!3i', 1]],
    ['pack', ['c5', 'abc']],
    ['pack', ['c2', 'abc']],
    ['pack', ['s', 'a\0b']],
    ['pack', ['i0', 5]],
    ['pack', ['bi\0i', 1, 2, 3]],
    ['pack', [12, 1]],
    ['pack', ['>L', LUA_NAN]],
    ['pack', ['>d', LUA_NAN]],
    ['pack', ['>L', 2 ** 64]],
    ['pack', ['>L', 2 ** 63]],
    ['pack', ['>l', -(2 ** 64)]],
    ['pack', ['>L', 1e30]],
    ['pack', ['<l', -1.9]],
    ['pack', ['<I', '42']],
    ['unpack', ['i', 'abc']],
    ['unpack', ['i', 'abcd', 0]],
    ['unpack', ['i', 'abcd', -1]],
    ['unpack', ['', 'abcd', -5]],
    ['unpack', ['i', 'abcd', 2]],
    ['unpack', ['s', 'abc']],
    ['unpack', ['s', 'ab\0c\0']],
    ['unpack', ['ss', 'ab\0c\0']],
    ['unpack', ['c0', 'abc']],
    ['unpack', ['bc0', '\x02abc']],
    ['unpack', ['bc0', '\x09abc']],
    ['unpack', ['c2c0', '3xabcdef']],
    ['unpack', ['z', 'abc']],
    ['unpack', ['x', '']],
    ['unpack', ['>i16', '\xff'.repeat(16)]],
    ['unpack', ['>I16', '\x01'.repeat(16)]],
    ['unpack', ['>i9', '\x80' + '\x00'.repeat(8)]],
    ['unpack', ['<L', '\xff'.repeat(8)]],
    ['unpack', ['<l', '\x01\x00\x00\x00\x00\x00\x20\x00']],
    ['unpack', ['d', '\x00\x00\x00\x00\x00\x00\xf8\x7f']],
    ['unpack', ['i', 'abcd', 1.9]],
    ['unpack', ['i']],
    ['size', []],
    ['size', ['s']],
    ['size', ['c0']],
    ['size', ['z']],
    ['size', ['!3']],
    ['size', ['@']],
    ['size', ['i33']],
    ['size', ['!bd']],
    ['size', ['!4bd']],
  ];
  for (const [name, args] of cases) await same('struct', name, args);
});

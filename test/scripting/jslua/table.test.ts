/**
 * jslua's LuaTable against redis-server's Lua 5.1 tables: the same
 * sequences of stores (string, integer, float and boolean keys, deletes,
 * appends, nil stores under absent keys, constructor-preallocated tables)
 * must give the same `next` order and the same `#t`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LuaTable, fbRound, luaStrHash } from '../../../src/scripting/jslua/table.js';
import { LuaError, numberToString, type LuaResult, type LuaValue } from '../../../src/scripting/jslua/value.js';
import { cmsgpackLib } from '../../../src/scripting/jslua/lib-cmsgpack.js';
import { cjsonLib } from '../../../src/scripting/jslua/lib-cjson.js';
import { rng } from '../../helpers/rng.js';
import { evalRaw, skip, useRedis } from './harness.js';

useRedis();

/** A Lua literal for a key. */
function lit(k: LuaValue): string {
  if (typeof k === 'string') {
    let s = '"';
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      s +=
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
          ? k[i]
          : '\\' + String(c).padStart(3, '0');
    }
    return s + '"';
  }
  if (typeof k === 'number') return k < 0 ? `(${numberToString(k)})` : k === 1e100 ? '1e100' : numberToString(k);
  return String(k);
}

function keyText(k: LuaValue): string {
  return typeof k === 'string' ? 's' + k : typeof k === 'number' ? 'n' + numberToString(k) : 'b' + String(k);
}

function resp(items: string[]): string {
  let s = `*${items.length}\r\n`;
  for (const it of items) s += `$${Buffer.byteLength(it, 'latin1')}\r\n${it}\r\n`;
  return s;
}

/** The script's epilogue: the keys in next order, then '#' and the border. */
const EPILOGUE =
  " local r = {} for k in pairs(t) do r[#r+1] = string.sub(type(k),1,1) .. tostring(k) end r[#r+1] = '#' .. #t return r";

function order(t: LuaTable): string[] {
  const r: string[] = [];
  for (let k = t.next(undefined); k !== undefined; k = t.next(k[0])) r.push(keyText(k[0]));
  // the cheap iteration API gives the same sequence
  const r2: string[] = [];
  for (let i = t.nextIndex(-1); i >= 0; i = t.nextIndex(i)) r2.push(keyText(t.keyAt(i)));
  assert.deepEqual(r2, r);
  // getStrH (Lua's chain walk) finds what get (the Map or the scan) finds
  for (const k of STRS) assert.equal(t.getStrH(k, luaStrHash(k)), t.get(k), k);
  r.push('#' + t.length());
  return r;
}

const STRS = [
  'a',
  'b',
  'c',
  'id',
  'name',
  'x1',
  'x2',
  'x10',
  'key:1',
  'key:2',
  'key:33',
  'value',
  'status',
  'queue',
  'wait',
  'delayed',
  'priority',
  'attemptsMade',
  'timestamp',
  'processedOn',
  'x'.repeat(33),
  'y'.repeat(40) + 'z',
  'long key with spaces and more than thirty two characters',
  '\u00ff\u0080\u00e9',
  '',
  '0',
  '1',
];
const NUMS = [0, -1, -2, -7, 100, 1000, 65, 2 ** 31, 2 ** 40, 0.5, 1.5, 2.25, -0.5, 3.14159, 1e100, 12345.678];

function randomKey(r: () => number): LuaValue {
  const x = r();
  if (x < 0.45) return STRS[Math.floor(r() * STRS.length)]!;
  if (x < 0.8) return 1 + Math.floor(r() * 40);
  if (x < 0.9) return NUMS[Math.floor(r() * NUMS.length)]!;
  if (x < 0.95) return (Math.floor(r() * 2e6) - 1e6) / 64; // binary fractions: exact in a %.14g literal
  return r() < 0.5;
}

interface Case {
  lua: string;
  t: LuaTable;
}

/** A random sequence of stores, as a script and applied to a LuaTable. */
function randomCase(seed: number): Case {
  const r = rng(seed);
  let lua = 'local t = {}';
  const t = new LuaTable();
  const present: LuaValue[] = [];
  const n = 1 + Math.floor(r() * 70);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.12 && present.length > 0) {
      // delete a present key
      const k = present.splice(Math.floor(r() * present.length), 1)[0];
      lua += ` t[${lit(k)}] = nil`;
      t.set(k, undefined);
    } else if (x < 0.3) {
      lua += ' t[#t+1] = 1';
      const k = t.length() + 1;
      t.setInt(k, 1);
      if (!present.includes(k)) present.push(k);
    } else if (x < 0.34) {
      // nil under a (probably) absent key: Lua inserts the key
      const k = randomKey(r);
      lua += ` t[${lit(k)}] = nil`;
      t.set(k, undefined);
      const at = present.indexOf(k);
      if (at >= 0) present.splice(at, 1);
    } else {
      const k = randomKey(r);
      lua += ` t[${lit(k)}] = 1`;
      if (typeof k === 'string') t.setStr(k, 1);
      else t.set(k, 1);
      if (!present.includes(k)) present.push(k);
    }
  }
  return { lua, t };
}

/** A constructor {a1, ..., an, k1=1, ...} then random stores. */
function constructorCase(seed: number): Case {
  const r = rng(seed);
  const na = Math.floor(r() * 20);
  const nh = Math.floor(r() * 12);
  const names = STRS.slice(0, 20).sort(() => r() - 0.5);
  const t = new LuaTable(fbRound(na), fbRound(nh));
  const keys = names.slice(0, nh);
  // the fields and the list items in a random textual order
  const parts: string[] = [];
  let ai = 0;
  let hi = 0;
  while (ai < na || hi < nh) {
    if (hi < nh && (ai >= na || r() < 0.5)) parts.push(`[${lit(keys[hi++]!)}] = 1`);
    else parts.push(String(++ai));
  }
  // lparser: the fields are stored as they are parsed, the list items by one
  // OP_SETLIST at the end (fewer than 50), from the last down
  for (const k of keys) t.setStr(k, 1);
  for (let i = na; i >= 1; i--) t.setInt(i, i);
  let lua = `local t = {${parts.join(', ')}}`;
  const more = Math.floor(r() * 25);
  for (let i = 0; i < more; i++) {
    const k = randomKey(r);
    if (r() < 0.3) {
      lua += ' t[#t+1] = 1';
      t.setInt(t.length() + 1, 1);
    } else {
      lua += ` t[${lit(k)}] = 1`;
      t.set(k, 1);
    }
  }
  return { lua, t };
}

test("the string hash is Redis Lua's luaS_hash (all bytes, seeded with the length)", () => {
  // values computed by hand from the definition
  assert.equal(luaStrHash(''), 0);
  let h = 1;
  h ^= ((h << 5) + (h >>> 2) + 97) | 0;
  assert.equal(luaStrHash('a'), h);
});

test('fbRound is luaO_fb2int(luaO_int2fb(n))', () => {
  assert.deepEqual(
    [0, 1, 7, 8, 15, 16, 17, 18, 19, 31, 33, 50, 100].map(fbRound),
    [0, 1, 7, 8, 15, 16, 18, 18, 20, 32, 36, 52, 104],
  );
});

test('errors: nil and NaN keys, invalid key to next', () => {
  const t = new LuaTable();
  assert.throws(
    () => t.set(undefined, 1),
    (e: unknown) => e instanceof LuaError && e.value === 'table index is nil',
  );
  assert.throws(
    () => t.set(NaN, 1),
    (e: unknown) => e instanceof LuaError && e.value === 'table index is NaN',
  );
  assert.throws(
    () => t.next('nope'),
    (e: unknown) => e instanceof LuaError && e.value === "invalid key to 'next'",
  );
  t.setStr('a', 1);
  t.setStr('a', undefined);
  // a removed key is still a valid key for next, as in Lua
  assert.equal(t.next('a'), undefined);
});

test('LuaTable.from lays out KEYS/ARGV as Redis builds them', { skip }, async () => {
  for (const n of [0, 1, 2, 3, 5, 9, 17]) {
    const args = Array.from({ length: n }, (_, i) => 'v' + i);
    const t = LuaTable.from(args);
    t.setStr('extra', 1);
    t.setInt(n + 2, 1);
    const script = 'local t = ARGV t.extra = 1 t[#ARGV + 2] = 1' + EPILOGUE;
    const got = await evalRaw(script, ...args);
    // ARGV's #t before the stores is n, so the key n+2 is the same on both sides
    assert.equal(got, resp(order(t)), `n=${n}`);
  }
});

test('LuaTable.single lays out a one-key table as one store into an empty table does', { skip }, async () => {
  // redis.status_reply builds its table as Redis does a status reply's: lua_newtable, then t.ok = s
  for (const extra of [0, 1, 2, 3, 5, 9]) {
    const t = LuaTable.single('ok', 'x');
    let lua = "local t = redis.status_reply('x')";
    for (let i = 0; i < extra; i++) {
      t.setStr('k' + i, i);
      lua += ` t.k${i} = ${i}`;
    }
    // an integer key last: with a node to spare it would stay in the node part, where Lua's full
    // node part rehashes and moves it to the array part
    t.setInt(1, 1);
    const got = await evalRaw(lua + ' t[1] = 1' + EPILOGUE);
    assert.equal(got, resp(order(t)), `extra=${extra}`);
  }
});

test("cmsgpack.unpack's arrays are laid out as Redis's element-by-element stores leave them", { skip }, async () => {
  const unpack = cmsgpackLib.get('cmsgpack.unpack') as (...args: LuaValue[]) => LuaResult;
  const r = rng(7);
  for (let n = 0; n <= 40; n++) {
    for (const nilShare of [0, 0.3]) {
      // an array of n elements: small integers, some nils
      let s = n < 16 ? String.fromCharCode(0x90 | n) : '\xdc' + String.fromCharCode(n >> 8, n & 255);
      for (let i = 0; i < n; i++) s += r() < nilShare ? '\xc0' : String.fromCharCode(1 + (i % 100));
      const res = unpack(s);
      const t = (Array.isArray(res) ? res[0] : res) as LuaTable;
      t.setStr('extra', 1);
      t.set(t.length() + 2, 1);
      const got = await evalRaw('local t = cmsgpack.unpack(ARGV[1]) t.extra = 1 t[#t + 2] = 1' + EPILOGUE, s);
      assert.equal(got, resp(order(t)), `n=${n} nils=${nilShare}`);
    }
  }
});

test("cjson.decode's arrays are laid out as Redis's element-by-element stores leave them", { skip }, async () => {
  const decode = cjsonLib.get('cjson.decode') as (...args: LuaValue[]) => LuaResult;
  for (let n = 0; n <= 40; n++) {
    const json = '[' + Array.from({ length: n }, (_, i) => (i % 7 === 3 ? '"s"' : String(i))).join(',') + ']';
    const first = (res: LuaResult) => (Array.isArray(res) ? res[0] : res) as LuaTable;
    // new keys (the node part is empty, so each store rehashes and sizes the array part anew)
    const t = first(decode(json));
    t.setStr('extra', 1);
    t.set(t.length() + 2, 1);
    const got = await evalRaw('local t = cjson.decode(ARGV[1]) t.extra = 1 t[#t + 2] = 1' + EPILOGUE, json);
    assert.equal(got, resp(order(t)), `n=${n}`);
    // all but the last set to nil, which no rehash follows: # searches the array part as decode sized it
    const u = first(decode(json));
    for (let i = 1; i <= n - 1; i++) u.setInt(i, undefined);
    const got2 = await evalRaw('local t = cjson.decode(ARGV[1]) for i = 1, #t - 1 do t[i] = nil end' + EPILOGUE, json);
    assert.equal(got2, resp(order(u)), `n=${n}, all but the last nil`);
  }
});

test('next order and # match redis-server for random store sequences', { skip }, async () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const c = randomCase(seed);
    const got = await evalRaw(c.lua + EPILOGUE);
    assert.equal(got, resp(order(c.t)), `seed ${seed}: ${c.lua}`);
  }
});

test('next order and # match redis-server for constructor-preallocated tables', { skip }, async () => {
  for (let seed = 1000; seed < 2000; seed++) {
    const c = constructorCase(seed);
    const got = await evalRaw(c.lua + EPILOGUE);
    assert.equal(got, resp(order(c.t)), `seed ${seed}: ${c.lua}`);
  }
});

test(
  'next order and # match redis-server for integer-heavy sequences (borders in the node part)',
  { skip },
  async () => {
    for (let seed = 5000; seed < 5600; seed++) {
      const r = rng(seed);
      let lua = 'local t = {}';
      const t = new LuaTable();
      const span = [8, 30, 100, 300][seed % 4]!;
      const n = 1 + Math.floor(r() * 120);
      for (let i = 0; i < n; i++) {
        const x = r();
        if (x < 0.25) {
          lua += ' t[#t+1] = 1';
          t.setInt(t.length() + 1, 1);
        } else if (x < 0.45) {
          const k = 1 + Math.floor(r() * span);
          lua += ` t[${k}] = nil`;
          t.setInt(k, undefined);
        } else if (x < 0.5) {
          lua += ` t[#t] = nil`;
          const k = t.length();
          if (k === 0) t.set(0, undefined);
          else t.setInt(k, undefined);
        } else {
          const k = 1 + Math.floor(r() * span);
          lua += ` t[${k}] = 1`;
          t.setInt(k, 1);
        }
      }
      const got = await evalRaw(lua + EPILOGUE);
      assert.equal(got, resp(order(t)), `seed ${seed}: ${lua}`);
    }
  },
);

test('array growth, holes and borders match redis-server', { skip }, async () => {
  const cases: [string, (t: LuaTable) => void][] = [
    [
      'for i = 1, 100 do t[i] = 1 end',
      (t) => {
        for (let i = 1; i <= 100; i++) t.setInt(i, 1);
      },
    ],
    [
      'for i = 100, 1, -1 do t[i] = 1 end',
      (t) => {
        for (let i = 100; i >= 1; i--) t.setInt(i, 1);
      },
    ],
    [
      'for i = 1, 100 do t[i] = 1 end for i = 1, 100, 3 do t[i] = nil end',
      (t) => {
        for (let i = 1; i <= 100; i++) t.setInt(i, 1);
        for (let i = 1; i <= 100; i += 3) t.setInt(i, undefined);
      },
    ],
    [
      'for i = 1, 64 do t[i] = 1 end t[64] = nil t[200] = 1 t.x = 1',
      (t) => {
        for (let i = 1; i <= 64; i++) t.setInt(i, 1);
        t.setInt(64, undefined);
        t.setInt(200, 1);
        t.setStr('x', 1);
      },
    ],
    [
      'for i = 1, 20 do t[i*2] = 1 end',
      (t) => {
        for (let i = 1; i <= 20; i++) t.setInt(i * 2, 1);
      },
    ],
    [
      'for i = 1, 300 do t["k"..i] = 1 end for i = 1, 300, 2 do t["k"..i] = nil end for i = 1, 50 do t[i] = 1 end',
      (t) => {
        for (let i = 1; i <= 300; i++) t.setStr('k' + i, 1);
        for (let i = 1; i <= 300; i += 2) t.setStr('k' + i, undefined);
        for (let i = 1; i <= 50; i++) t.setInt(i, 1);
      },
    ],
    [
      'for i = 1, 10 do t[i] = 1 end for i = 12, 40 do t[i] = 1 end',
      (t) => {
        for (let i = 1; i <= 10; i++) t.setInt(i, 1);
        for (let i = 12; i <= 40; i++) t.setInt(i, 1);
      },
    ],
  ];
  for (const [body, f] of cases) {
    const t = new LuaTable();
    f(t);
    const got = await evalRaw('local t = {} ' + body + EPILOGUE);
    assert.equal(got, resp(order(t)), body);
  }
});

test('the slot iteration API: shape changes only when the node part gains a key or the table is resized', () => {
  const t = new LuaTable(2, 4);
  t.setInt(1, 'a');
  t.setInt(2, 'b');
  t.setStr('x', 1);
  t.setStr('y', 2);
  const s0 = t.shape;
  const seen: LuaValue[] = [];
  for (let i = t.nextIndex(-1); i >= 0; i = t.nextIndex(i)) {
    const k = t.keyAt(i);
    seen.push(k);
    // assigning existing fields (and nil) during a traversal is allowed in Lua and keeps the slots
    t.set(k, k === 'y' ? undefined : 'z');
    assert.equal(t.valueAt(i), k === 'y' ? undefined : 'z');
  }
  assert.equal(t.shape, s0);
  assert.deepEqual(seen.slice(0, 2), [1, 2]);
  assert.deepEqual([...seen.slice(2)].sort(), ['x', 'y']);
  // a removed key is still found (Lua's next accepts it) and its slot is the same
  assert.equal(t.findIndex('y'), t.findIndex('y'));
  t.setStr('w', 1);
  assert.notEqual(t.shape, s0);
  const s1 = t.shape;
  for (let i = 0; i < 20; i++) t.setStr('k' + i, i); // rehashes
  assert.ok(t.shape > s1);
  // findIndex re-finds a key after a change, as next(t, k) does
  const i = t.findIndex('k3');
  assert.equal(t.keyAt(i), 'k3');
  assert.equal(t.valueAt(i), 3);
  assert.equal(t.findIndex(undefined), -1);
  assert.throws(
    () => t.findIndex('nope'),
    (e: unknown) => e instanceof LuaError && e.value === "invalid key to 'next'",
  );
  // resizeArray (OP_SETLIST): the array part grows to exactly n
  const u = new LuaTable();
  u.resizeArray(5);
  for (let j = 5; j >= 1; j--) u.setInt(j, j);
  assert.equal(u.length(), 5);
  assert.deepEqual(order(u), ['n1', 'n2', 'n3', 'n4', 'n5', '#5']);
});

test('constructors ending in a multi-value call: OP_SETLIST resizes the array part', { skip }, async () => {
  for (const n of [0, 1, 3, 5, 9, 17, 33]) {
    for (const fields of [0, 1, 3]) {
      const names = ['x', 'y', 'z'].slice(0, fields);
      const lua =
        `local function f() local r = {} for i = 1, ${n} do r[i] = i end return unpack(r) end ` +
        `local t = {${names.map((k) => k + ' = 1, ').join('')}f()} t.extra = 1 t[#t + 1] = 1`;
      const t = new LuaTable(0, fbRound(fields));
      for (const k of names) t.setStr(k, 1);
      if (n > 0) {
        t.resizeArray(n);
        for (let i = n; i >= 1; i--) t.setInt(i, i);
      }
      t.setStr('extra', 1);
      t.setInt(t.length() + 1, 1);
      assert.equal(await evalRaw(lua + EPILOGUE), resp(order(t)), lua);
    }
  }
});

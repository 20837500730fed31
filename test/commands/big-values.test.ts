/**
 * String values of 16 KB or more are kept as Buffers, outside the V8 heap
 * (keyspace/value.ts storedStr, measured by bench/micro/value-repr.mjs):
 * the representation is chosen where a value is stored whole (SET and its
 * family, MSET, GETSET, APPEND to a missing key, RDB/RESTORE loading), and
 * every string command sees the same bytes as before: compared with
 * redis-server on values around the threshold.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { startTsdis } from '../helpers/servers.js';
import { BUFFER_MIN, storedStr } from '../../src/keyspace/value.js';

const d = await Differ.start();
after(() => d?.stop());

/** A value of n bytes with every byte value in it (binary safe), distinct per seed. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

test('storedStr: a Buffer from BUFFER_MIN bytes up, strValue below (numbers, strings)', () => {
  assert.equal(storedStr('12345'), 12345);
  assert.equal(storedStr('x'.repeat(BUFFER_MIN - 1)), 'x'.repeat(BUFFER_MIN - 1));
  const big = storedStr('y'.repeat(BUFFER_MIN));
  assert.ok(Buffer.isBuffer(big));
  assert.equal(big.latin1Slice(0, big.length), 'y'.repeat(BUFFER_MIN));
  // one store of its own, not a view into a pool or the request
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, BUFFER_MIN);
});

test('SET, MSET, GETSET, SETEX and RESTORE store big values as Buffers; small ones stay strings', async () => {
  const s = await startTsdis();
  try {
    const db = s.server.dbs[0]!;
    const big = bytes(BUFFER_MIN + 10, 1);
    await s.call('SET', 'a', big);
    await s.call('MSET', 'b', big, 'c', 'small');
    await s.call('GETSET', 'd', big);
    await s.call('SETEX', 'e', 100, big);
    await s.call('SET', 'f', bytes(BUFFER_MIN - 1, 2));
    const dump = (await s.call('DUMP', 'a')) as string;
    await s.call('RESTORE', 'g', 0, dump);
    await s.call('COPY', 'a', 'h');
    for (const k of ['a', 'b', 'd', 'e', 'g', 'h']) {
      const v = db.dict.get(k) as Buffer;
      assert.ok(Buffer.isBuffer(v), `${k} is a Buffer`);
      // its own store, never a slice of a shared pool (which it would keep alive whole)
      assert.equal(v.byteOffset, 0, `${k}'s offset`);
      assert.equal(v.buffer.byteLength, v.length, `${k}'s store`);
    }
    assert.equal(typeof db.dict.get('c'), 'string');
    assert.equal(typeof db.dict.get('f'), 'string');
    assert.equal(await s.call('GET', 'g'), big.latin1Slice(0, big.length));
  } finally {
    await s.close();
  }
});

test('string commands on values around 16 KB answer as redis-server does', async () => {
  const dd = d!;
  for (const n of [BUFFER_MIN - 1, BUFFER_MIN, 40000]) {
    const v = bytes(n, n & 7);
    await dd.same([
      ['SET', 'k', v],
      ['GET', 'k'],
      ['STRLEN', 'k'],
      ['OBJECT', 'ENCODING', 'k'],
      ['GETRANGE', 'k', 100, 200],
      ['GETRANGE', 'k', -50, -1],
      ['DEBUG', 'DIGEST-VALUE', 'k'],
      ['APPEND', 'k', 'tail'],
      ['GET', 'k'],
      ['SETRANGE', 'k', 10, 'middle'],
      ['GET', 'k'],
      ['SETRANGE', 'k', n + 100, 'past the end'],
      ['STRLEN', 'k'],
      ['GET', 'k'],
      ['GETBIT', 'k', 77],
      ['BITCOUNT', 'k'],
      ['MSET', 'm1', v, 'm2', 'x'],
      ['MGET', 'm1', 'm2', 'missing'],
      ['GETSET', 'm1', 'short'],
      ['GETDEL', 'm2'],
      ['APPEND', 'new', v],
      ['GET', 'new'],
      ['SET', 'k2', v, 'GET'],
      ['SET', 'k2', 'x', 'GET'],
      ['COPY', 'new', 'copied'],
      ['APPEND', 'new', 'more'],
      ['GET', 'copied'],
      ['LCS', 'new', 'copied', 'LEN'],
      ['DEBUG', 'DIGEST'],
      ['FLUSHALL'],
    ]);
  }
});

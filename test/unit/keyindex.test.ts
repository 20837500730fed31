/**
 * The keyspace hash index against a Map model: random inserts, overwrites and
 * deletes (which move the last slot) over a key range large enough to grow,
 * collide and shrink the table, checking every key after each phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dict } from '../../src/keyspace/dict.js';
import { hashKey, halfSipHash13 } from '../../src/keyspace/keyindex.js';
import { rng } from '../helpers/rng.js';

test('Dict with the hash index agrees with a Map through growth, churn and shrinking', () => {
  const r = rng(7);
  const d = new Dict<number>(true);
  const model = new Map<string, number>();
  const key = (i: number) => (i % 7 === 0 ? `\x00bin${i}\xff` : i % 5 === 0 ? String(i) : `key:${i}`);
  const check = () => {
    assert.equal(d.size, model.size);
    for (const [k, v] of model) assert.equal(d.get(k), v, `key ${JSON.stringify(k)}`);
    for (let i = 0; i < d.size; i++) assert.equal(d.slot(d.keyAt(i)), i);
  };
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 30000; i++) {
      const k = key(Math.floor(r() * 20000));
      if (r() < 0.7) {
        d.set(k, i);
        model.set(k, i);
      } else {
        assert.equal(d.delete(k), model.get(k));
        model.delete(k);
      }
    }
    check();
  }
  for (const k of [...model.keys()]) {
    d.delete(k);
    model.delete(k);
  }
  check();
  assert.equal(d.get('key:1'), undefined);
  d.set('', 1);
  assert.equal(d.get(''), 1);
});

test('halfSipHash13 gives the HalfSipHash-1-3 reference values', () => {
  // Linux's hsiphash test vectors for its HalfSipHash-1-3 build (lib/tests/siphash_kunit.c,
  // 32-bit): vector n hashes the bytes 0..n-1 under the key 00 01 .. 07.
  const vectors = [
    0x5814c896, 0xe7e864ca, 0xbc4b0e30, 0x01539939, 0x7e059ea6, 0x88e3d89b, 0xa0080b65, 0x9d38d9d6, 0x577999b1,
    0xc839caed, 0xe4fa32cf, 0x959246ee, 0x6b28096c, 0x66dd9cd6, 0x16658a7c, 0xd0257b04, 0x8b31d501, 0x2b1cd04b,
  ];
  vectors.forEach((want, n) => {
    const s = String.fromCharCode(...Array.from({ length: n }, (_, i) => i));
    assert.equal(halfSipHash13(s, 0x03020100, 0x07060504) >>> 0, want, `length ${n}`);
  });
});

test('hashKey is never 0 and spreads short keys', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 100000; i++) {
    const h = hashKey('k' + i);
    assert.notEqual(h, 0);
    seen.add(h & 0xffff);
  }
  assert.ok(seen.size > 50000, `only ${seen.size} of 65536 low-16-bit buckets used`);
  assert.notEqual(hashKey(''), 0);
});

test('resizes are incremental: no insert rebuilds the table, and the dict agrees with a Map throughout', () => {
  const r = rng(11);
  const d = new Dict<number>(true);
  const model = new Map<string, number>();
  const key = (i: number) => `k${i}`;
  let resizes = 0;
  let wasResizing = false;
  let opsInResize = 0;
  let longestResize = 0;
  const checkAll = () => {
    assert.equal(d.size, model.size);
    for (const [k, v] of model) assert.equal(d.get(k), v, `key ${k}`);
    for (let i = 0; i < d.size; i++) assert.equal(d.slot(d.keyAt(i)), i);
  };
  // grow to ~60k keys through several doublings, with deletes (which move the last slot) on the way
  for (let i = 0; i < 120000; i++) {
    const k = key(Math.floor(r() * 70000));
    if (r() < 0.75) {
      d.set(k, i);
      model.set(k, i);
    } else {
      assert.equal(d.delete(k), model.get(k));
      model.delete(k);
    }
    assert.equal(d.get(k), model.get(k));
    if (d.rehashing) {
      if (!wasResizing) resizes++;
      opsInResize++;
      // in the middle of a resize, every key is still found, in either table
      if (opsInResize === 50) checkAll();
    } else if (wasResizing) {
      longestResize = Math.max(longestResize, opsInResize);
      opsInResize = 0;
    }
    wasResizing = d.rehashing;
  }
  checkAll();
  assert.ok(resizes >= 5, `${resizes} resizes`);
  // each resize took many operations, never one: 128 positions per insert or remove, 16 per lookup
  assert.ok(longestResize > 100, `longest resize ${longestResize} operations`);
  // and shrinking too: delete most keys
  for (const k of [...model.keys()].slice(0, model.size - 500)) {
    d.delete(k);
    model.delete(k);
  }
  checkAll();
  // the cron's steps finish a resize nobody writes to
  while (d.rehashing) assert.ok(d.rehashStep(1000) > 0);
  checkAll();
});

test('a resize crossing many entries moves at most 128 old positions per insert', () => {
  const d = new Dict<number>();
  let i = 0;
  // past 60,000 keys, up to the insert that starts the next resize
  while (d.size < 60000 || !d.rehashing) d.set(`key:${i}`, i++);
  // it was the insert past 70% of a power-of-two table, which is what moves
  const oldCap = 2 ** Math.round(Math.log2(d.size / 0.7));
  assert.ok(d.size - 1 <= oldCap * 0.7 && d.size > oldCap * 0.7, `${d.size} keys, table of ${oldCap}`);
  let n = 0;
  while (d.rehashing) {
    d.set(`key:${i}`, i++);
    n++;
  }
  // 128 positions per insert and 16 per lookup (set looks the key up first)
  const expected = oldCap / 144;
  assert.ok(n > expected * 0.9 && n < expected * 1.1, `${n} inserts, expected about ${expected}`);
  for (let j = 0; j < i; j++) assert.equal(d.get(`key:${j}`), j);
});

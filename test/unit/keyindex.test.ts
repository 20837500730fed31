/**
 * The keyspace hash index against a Map model: random inserts, overwrites and
 * deletes (which move the last slot) over a key range large enough to grow,
 * collide and shrink the table, checking every key after each phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dict } from '../../src/keyspace/dict.js';
import { hashKey } from '../../src/keyspace/keyindex.js';
import { rng } from '../helpers/rng.js';


test('Dict with the hash index agrees with a Map through growth, churn and shrinking', () => {
  const r = rng(7);
  const d = new Dict<number>(true);
  const model = new Map<string, number>();
  const key = (i: number) => (i % 7 === 0 ? `\x00bin${i}\xff` : i % 5 === 0 ? String(i) : `key:${i}`);
  const check = () => {
    assert.equal(d.size, model.size);
    for (const [k, v] of model) assert.equal(d.get(k), v, `key ${JSON.stringify(k)}`);
    for (let i = 0; i < d.size; i++) assert.equal(d.slot(d.keys[i]!), i);
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

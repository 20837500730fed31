/**
 * The keyspace dict against a model (a Map): contents after random
 * operations, SCAN's guarantee (every key present for the whole scan is
 * returned) across growth and deletes, random sampling, metadata moving with
 * its slot, and shrinking after mass deletes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dict } from '../../src/keyspace/dict.js';

type Op = { t: 'set'; k: number; v: number } | { t: 'del'; k: number } | { t: 'scan'; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), k: fc.integer({ min: 0, max: 300 }), v: fc.integer() }),
  fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ t: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 20 }) }),
);

test('dict: matches a Map model and keeps meta with its key', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const d = new Dict<number>(true);
      const m = new Map<string, number>();
      const meta = new Map<string, number>();
      for (const o of ops) {
        if (o.t === 'set') {
          const k = 'k' + o.k;
          const added = d.set(k, o.v, o.k + 1);
          assert.equal(added, !m.has(k));
          if (added) meta.set(k, o.k + 1);
          m.set(k, o.v);
        } else if (o.t === 'del') {
          const k = 'k' + o.k;
          assert.equal(d.delete(k), m.get(k));
          m.delete(k);
          meta.delete(k);
        }
        assert.equal(d.size, m.size);
      }
      for (const [k, v] of m) {
        assert.equal(d.get(k), v);
        assert.ok(d.has(k));
        assert.equal(d.meta![d.slot(k)], meta.get(k));
      }
      assert.deepEqual(new Map(d.entries()), m);
    }),
    { numRuns: 200 },
  );
});

test('dict: SCAN returns every key present for the whole scan, across growth and deletes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.array(op, { maxLength: 600 }), (initial, ops) => {
      const d = new Dict<number>(true);
      for (let i = 0; i < initial; i++) d.set('k' + i, i);
      const present = new Set(d.keys); // keys that have been present since the scan started
      const seen = new Set<string>();
      const add = (k: string) => {
        seen.add(k);
      };
      let cursor = 0;
      let done = false;
      // Scan steps interleaved with the random operations; then the scan is finished.
      for (const o of ops) {
        if (o.t === 'scan') {
          cursor = d.scan(cursor, o.count, add);
          if (cursor === 0) {
            done = true;
            break;
          }
        } else if (o.t === 'set') d.set('k' + o.k, o.v);
        else {
          d.delete('k' + o.k);
          present.delete('k' + o.k);
        }
      }
      while (!done) {
        cursor = d.scan(cursor, 10, add);
        done = cursor === 0;
      }
      for (const k of present) assert.ok(seen.has(k), `${k} missed`);
    }),
    { numRuns: 300 },
  );
});

test('dict: random sampling is uniform enough and never returns a deleted key', () => {
  const d = new Dict<number>();
  for (let i = 0; i < 100; i++) d.set('k' + i, i);
  for (let i = 0; i < 100; i += 2) d.delete('k' + i);
  const counts = new Map<string, number>();
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (let i = 0; i < 50000; i++) {
    const k = d.randomKey(rnd)!;
    assert.ok(d.has(k));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 50);
  for (const c of counts.values()) assert.ok(c > 700 && c < 1300, `count ${c}`);
  assert.equal(new Dict<number>().randomKey(), undefined);
});

test('dict: mass deletes shrink the meta array; clear resets', () => {
  const d = new Dict<number>(true);
  for (let i = 0; i < 100000; i++) d.set('k' + i, i, i);
  const big = d.meta!.length;
  assert.ok(big >= 100000);
  for (let i = 0; i < 99990; i++) d.delete('k' + i);
  assert.equal(d.size, 10);
  assert.ok(d.meta!.length < big / 4, `meta length ${d.meta!.length}`);
  for (let i = 99990; i < 100000; i++) {
    assert.equal(d.get('k' + i), i);
    assert.equal(d.meta![d.slot('k' + i)], i);
  }
  d.clear();
  assert.equal(d.size, 0);
  assert.equal(d.scan(0, 10, () => assert.fail('empty')), 0);
});

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
import { hashKey } from '../../src/keyspace/keyindex.js';

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
        assert.equal(d.metaAt(d.slot(k)), meta.get(k));
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
      const present = new Set<string>(); // keys that have been present since the scan started
      for (let i = 0; i < d.size; i++) present.add(d.keyAt(i));
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

test('dict: mass deletes drop pages and shrink the meta array; clear resets', () => {
  const d = new Dict<number>(true);
  for (let i = 0; i < 100000; i++) d.set('k' + i, i, i);
  const big = d.structBytes();
  for (let i = 0; i < 99990; i++) d.delete('k' + i);
  assert.equal(d.size, 10);
  // the second page's arrays and metadata (65,536 slots: 256 KB of metadata) are gone,
  // and the first page's metadata halved down to 1,024 slots
  assert.ok(d.structBytes() < big - 500_000, `${d.structBytes()} of ${big}`);
  for (let i = 99990; i < 100000; i++) {
    assert.equal(d.get('k' + i), i);
    assert.equal(d.metaAt(d.slot('k' + i)), i);
  }
  d.clear();
  assert.equal(d.size, 0);
  assert.equal(
    d.scan(0, 10, () => assert.fail('empty')),
    0,
  );
});

/** Checks that every slot's key maps back to it, its value and meta are the model's. */
function checkSlots(d: Dict<number>, m: Map<string, number>, meta: Map<string, number>): void {
  assert.equal(d.size, m.size);
  for (let i = 0; i < d.size; i++) {
    const k = d.keyAt(i);
    assert.equal(d.slot(k), i);
    assert.equal(d.valAt(i), m.get(k));
    assert.equal(d.metaAt(i), meta.get(k));
  }
}

test('dict: keys, values and meta stay with their slots across page boundaries (65,536 slots a page)', () => {
  const PAGE = 65536;
  const d = new Dict<number>(true);
  const m = new Map<string, number>();
  const meta = new Map<string, number>();
  const put = (i: number) => {
    const k = 'k' + i;
    if (d.set(k, i, i & 0xffffff)) meta.set(k, i & 0xffffff);
    m.set(k, i);
  };
  const del = (i: number) => {
    const k = 'k' + i;
    assert.equal(d.delete(k), m.get(k));
    m.delete(k);
    meta.delete(k);
  };
  for (let i = 0; i < 2 * PAGE + 5; i++) put(i);
  checkSlots(d, m, meta);
  // churn at a boundary: at 2 pages exactly, each put starts the third page and
  // each delete (a hole in the first page takes the last key) drops it again
  for (let i = 0; i < 5; i++) del(2 * PAGE + i);
  assert.equal(d.size, 2 * PAGE);
  for (let r = 0; r < 20; r++) {
    put(3 * PAGE + r);
    assert.equal(d.keyAt(2 * PAGE), 'k' + (3 * PAGE + r));
    del(r * 1000);
    assert.equal(d.keyAt(r * 1000), 'k' + (3 * PAGE + r));
    assert.equal(d.metaAt(r * 1000), (3 * PAGE + r) & 0xffffff);
  }
  checkSlots(d, m, meta);
  for (let i = 0; i < 2 * PAGE + 5; i += 3) if (m.has('k' + i)) del(i);
  checkSlots(d, m, meta);
  // down to one page, then grow again
  for (const k of [...m.keys()].slice(100)) del(Number(k.slice(1)));
  checkSlots(d, m, meta);
  for (let i = 4 * PAGE; i < 5 * PAGE + 10; i++) put(i);
  checkSlots(d, m, meta);
  assert.deepEqual(new Map(d.entries()), m);
  const snap = d.keysSnapshot();
  assert.equal(snap.length, d.size);
  for (let i = 0; i < d.size; i += 997) assert.equal(snap.at(i), d.keyAt(i));
  d.delete(d.keyAt(0));
  assert.equal(snap.length, d.size + 1); // a copy: later changes do not show
});

test('dict: SCAN returns every key present for the whole scan across page boundaries', () => {
  const PAGE = 65536;
  const d = new Dict<number>();
  for (let i = 0; i < PAGE + 50; i++) d.set('k' + i, i);
  const present = new Set<string>();
  for (let i = 0; i < d.size; i++) present.add(d.keyAt(i));
  const seen = new Set<string>();
  let x = 99;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  let cursor = d.scan(0, 20, (k) => seen.add(k));
  let next = PAGE + 50;
  while (cursor !== 0) {
    // grow past the boundary and shrink back below it while the scan runs
    for (let j = 0; j < 40; j++) {
      if (rnd() < 0.5) d.set('k' + next++, 0);
      else {
        const k = d.keyAt(Math.floor(rnd() * d.size));
        d.delete(k);
        present.delete(k);
      }
    }
    cursor = d.scan(cursor, 1000, (k) => seen.add(k));
  }
  for (const k of present) assert.ok(seen.has(k), `${k} missed`);
});

test('dict: a lookup given the key’s hash finds what the key finds, also mid-resize', () => {
  // the keyspace hashes a key once for its two dicts (keys, TTLs) and passes the hash to both
  const main = new Dict<number>(true);
  const ttls = new Dict<number>();
  for (let i = 0; i < 5000; i++) {
    const k = 'key:' + i;
    main.set(k, i);
    if (i % 3 === 0) ttls.set(k, 1000 + i, 0, false, hashKey(k));
    // a probe with the hash agrees with one without, while both indexes grow
    assert.equal(ttls.get(k, hashKey(k)), ttls.get(k));
    assert.equal(ttls.has(k, hashKey(k)), i % 3 === 0);
  }
  for (let i = 0; i < 5000; i += 2) {
    const k = 'key:' + i;
    assert.equal(main.delete(k), i);
    assert.equal(ttls.delete(k, hashKey(k)), i % 3 === 0 ? 1000 + i : undefined);
  }
  for (let i = 0; i < 5000; i++) {
    const k = 'key:' + i;
    const live = i % 2 === 1;
    assert.equal(main.slot(k) >= 0, live);
    assert.equal(ttls.get(k, hashKey(k)), live && i % 3 === 0 ? 1000 + i : undefined);
  }
});

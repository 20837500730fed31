/**
 * The sorted set's skiplist against a model (a sorted array of [score,
 * member]): random inserts, score updates, deletes and pops, then ranks,
 * rank lookups, score and lex ranges and the level-0 links are checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet, type ScoreRange, type LexRange } from '../../src/types/zset.js';

type Op =
  | { k: 'set'; m: string; s: number }
  | { k: 'rem'; m: string }
  | { k: 'popmin'; n: number }
  | { k: 'popmax'; n: number };

const member: fc.Arbitrary<string> = fc.array(fc.constantFrom('a', 'b', 'c', '\x00', '\xff'), { maxLength: 3 }).map((a) => a.join(''));
const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Infinity, -Infinity, 0.5, -0));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('set' as const), m: member, s: score }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rem' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('popmin' as const), n: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('popmax' as const), n: fc.nat(3) }) },
);

function cmp(a: [number, string], b: [number, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function check(z: ZSet, model: [number, string][]): void {
  assert.equal(z.card(), model.length);
  const items = [...z.entries()].map(([m, s]) => [s, m] as [number, string]);
  assert.deepEqual(items, model);
  // Backward links.
  const back: [number, string][] = [];
  for (let x = z.last(); x; x = x.b) back.push([x.s, x.m]);
  assert.deepEqual(back.reverse(), model);
  model.forEach(([s, m], i) => {
    assert.equal(z.rank(m), i);
    assert.equal(z.score(m), s);
    const n = z.byRank(i)!;
    assert.equal(n.m, m);
  });
  assert.equal(z.rank('not-there'), -1);
  // Every level array's copy of its forward node's score is that node's score.
  for (let x = z.first(); x; x = x.f) {
    const lv = x.lv;
    if (lv === null) continue;
    for (let k = 0; k < lv.length; k += 3) {
      const y = lv[k] as typeof x | null;
      if (y !== null) assert.ok(Object.is(lv[k + 2], y.s), `cached score of ${y.m} at level ${k / 3 + 1}`);
    }
  }
}

test('skiplist matches a sorted-array model (ranks, ranges, deletes, pops)', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }), fc.boolean(), fc.boolean(), (ops, lo, hi, lex, ex) => {
      const z = new ZSet();
      let model: [number, string][] = [];
      for (const o of ops) {
        if (o.k === 'set') {
          // An equal score (0 and -0 alike) leaves the stored one, as Redis's `score != curscore`.
          const cur = model.find((e) => e[1] === o.m);
          if (!cur || cur[0] !== o.s) {
            model = model.filter((e) => e[1] !== o.m);
            model.push([o.s, o.m]);
            model.sort(cmp);
          }
          z.set(o.m, o.s);
        } else if (o.k === 'rem') {
          const had = model.some((e) => e[1] === o.m);
          model = model.filter((e) => e[1] !== o.m);
          assert.equal(z.remove(o.m), had);
        } else if (o.k === 'popmin') {
          const want = model.slice(0, o.n).map(([s, m]) => [m, s]);
          model = model.slice(o.n);
          assert.deepEqual(z.popMin(o.n), want);
        } else {
          const want = model.slice(Math.max(0, model.length - o.n)).reverse().map(([s, m]) => [m, s]);
          model = model.slice(0, Math.max(0, model.length - o.n));
          assert.deepEqual(z.popMax(o.n), want);
        }
      }
      check(z, model);
      // Score range.
      const r: ScoreRange = { min: lo, max: hi, minex: ex, maxex: !ex };
      const inR = model.filter(([s]) => (ex ? s > lo : s >= lo) && (!ex ? s < hi : s <= hi));
      const f = z.firstInRange(r);
      const l = z.lastInRange(r);
      assert.equal(f?.m, inR[0]?.[1]);
      assert.equal(l?.m, inR[inR.length - 1]?.[1]);
      if (lex) {
        // Lex range over members (meaningful when all scores are equal; checked on a copy with score 0).
        const flat = new ZSet();
        const ms = [...new Set(model.map((e) => e[1]))].sort();
        for (const m of ms) flat.set(m, 0);
        const a = ms[Math.abs(lo) % Math.max(1, ms.length)] ?? 'a';
        const lr: LexRange = { min: a, max: null, minex: ex, maxex: false };
        const want = ms.filter((m) => (ex ? m > a : m >= a));
        assert.equal(flat.firstInLex(lr)?.m, want[0]);
        assert.equal(flat.lastInLex(lr)?.m, want[want.length - 1]);
      }
      // dup is independent.
      const c = z.dup();
      c.set('zzz-new', 1);
      assert.equal(z.score('zzz-new'), undefined);
    }),
    { numRuns: 400 },
  );
});

test('large skiplist: ranks stay consistent after many updates', () => {
  const z = new ZSet();
  const N = 20000;
  for (let i = 0; i < N; i++) z.set('m' + i, (i * 7919) % 1000);
  for (let i = 0; i < N; i += 3) z.set('m' + i, -i);
  for (let i = 1; i < N; i += 5) z.remove('m' + i);
  const arr = [...z.entries()];
  for (let i = 1; i < arr.length; i++) assert.ok(arr[i - 1]![1] < arr[i]![1] || (arr[i - 1]![1] === arr[i]![1] && arr[i - 1]![0] < arr[i]![0]));
  for (let i = 0; i < arr.length; i += 97) {
    assert.equal(z.rank(arr[i]![0]), i);
    assert.equal(z.byRank(i)!.m, arr[i]![0]);
  }
});

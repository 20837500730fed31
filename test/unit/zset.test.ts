/**
 * The sorted set's B+tree against a model (a sorted array of [score,
 * member]): random inserts, score updates, deletes and pops, then ranks,
 * rank lookups, score and lex ranges, both walking directions and the tree's
 * own invariants (ZSet.checkInvariants: counts, key bounds, order, leaf links)
 * are checked. Sets big enough for several tree levels come from `bulk` ops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet, type ScoreRange, type LexRange } from '../../src/types/zset.js';

type Op =
  | { k: 'set'; m: string; s: number }
  | { k: 'rem'; m: string }
  | { k: 'popmin'; n: number }
  | { k: 'popmax'; n: number }
  | { k: 'bulk'; from: number; n: number; s: number; del: boolean };

const member: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('a', 'b', 'c', '\x00', '\xff'), { maxLength: 3 })
  .map((a) => a.join(''));
const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Infinity, -Infinity, 0.5, -0));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('set' as const), m: member, s: score }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rem' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('popmin' as const), n: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('popmax' as const), n: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('bulk' as const),
      from: fc.nat(20000),
      n: fc.nat(3000),
      s: fc.integer({ min: -3, max: 3 }),
      del: fc.boolean(),
    }),
  },
);

/** The members of a bulk op: 'k' + a zero-padded number (so they sort numerically). */
function bulkMember(i: number): string {
  return 'k' + String(i).padStart(5, '0');
}

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
  for (const x = z.cursor(model.length - 1); x.leaf; x.prev()) back.push([x.s, x.m]);
  assert.deepEqual(back.reverse(), model);
  const step = Math.max(1, Math.floor(model.length / 200));
  for (let i = 0; i < model.length; i += step) {
    const [s, m] = model[i]!;
    assert.equal(z.rank(m), i);
    assert.ok(Object.is(z.score(m), s));
    assert.equal(z.memberAt(i), m);
  }
  assert.equal(z.rank('not-there'), -1);
  assert.equal(z.cursor(model.length).leaf, null);
  z.checkInvariants();
}

test('skiplist matches a sorted-array model (ranks, ranges, deletes, pops)', () => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 80 }),
      fc.integer({ min: -6, max: 6 }),
      fc.integer({ min: -6, max: 6 }),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      (ops, lo, hi, lex, ex, lp) => {
        // Listpack-encoded sets store -0 as 0 (an integral score is stored as an integer).
        const z = new ZSet(lp);
        let model: [number, string][] = [];
        for (const o of ops) {
          if (o.k === 'set') {
            // An equal score (0 and -0 alike) leaves the stored one, as Redis's `score != curscore`.
            const cur = model.find((e) => e[1] === o.m);
            if (!cur || cur[0] !== o.s) {
              model = model.filter((e) => e[1] !== o.m);
              model.push([lp && o.s === 0 ? 0 : o.s, o.m]);
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
          } else if (o.k === 'popmax') {
            const want = model
              .slice(Math.max(0, model.length - o.n))
              .reverse()
              .map(([s, m]) => [m, s]);
            model = model.slice(0, Math.max(0, model.length - o.n));
            assert.deepEqual(z.popMax(o.n), want);
          } else if (o.k === 'bulk') {
            // Many members with one score (del: removed again when present).
            const byMember = new Map(model.map((e) => [e[1], e[0]]));
            for (let i = o.from; i < o.from + o.n; i++) {
              const m = bulkMember(i);
              const cur = byMember.get(m);
              if (o.del) assert.equal(z.remove(m), cur !== undefined);
              else z.set(m, o.s);
            }
            const touched = new Set<string>();
            for (let i = o.from; i < o.from + o.n; i++) touched.add(bulkMember(i));
            const kept = model.filter((e) => !touched.has(e[1]) || (!o.del && e[0] === o.s));
            const keptSet = new Set(kept.map((e) => e[1]));
            model = kept;
            if (!o.del) for (const m of touched) if (!keptSet.has(m)) model.push([o.s, m]);
            model.sort(cmp);
          }
        }
        check(z, model);
        // Score range.
        const r: ScoreRange = { min: lo, max: hi, minex: ex, maxex: !ex };
        const inR = model.filter(([s]) => (ex ? s > lo : s >= lo) && (!ex ? s < hi : s <= hi));
        const f = z.firstInRange(r);
        const l = z.lastInRange(r);
        assert.equal(f < 0 ? undefined : z.memberAt(f), inR[0]?.[1]);
        assert.equal(l < 0 ? undefined : z.memberAt(l), inR[inR.length - 1]?.[1]);
        if (inR.length > 0) assert.equal(l - f + 1, inR.length);
        if (lex) {
          // Lex range over members (meaningful when all scores are equal; checked on a copy with score 0).
          const flat = new ZSet();
          const ms = [...new Set(model.map((e) => e[1]))].sort();
          for (const m of ms) flat.set(m, 0);
          const a = ms[Math.abs(lo) % Math.max(1, ms.length)] ?? 'a';
          const lr: LexRange = { min: a, max: null, minex: ex, maxex: false };
          const want = ms.filter((m) => (ex ? m > a : m >= a));
          flat.lp = false; // the tree search (a listpack-encoded set scans)
          for (let pass = 0; pass < 2; pass++) {
            const fl = flat.firstInLex(lr);
            const ll = flat.lastInLex(lr);
            assert.equal(fl < 0 ? undefined : flat.memberAt(fl), want[0]);
            assert.equal(ll < 0 ? undefined : flat.memberAt(ll), want[want.length - 1]);
            flat.lp = true;
          }
        }
        // dup is independent.
        const c = z.dup();
        c.set('zzz-new', 1);
        assert.equal(z.score('zzz-new'), undefined);
        c.checkInvariants();
      },
    ),
    { numRuns: 400 },
  );
});

test('large set: ranks stay consistent after many updates', () => {
  const z = new ZSet();
  const N = 20000;
  for (let i = 0; i < N; i++) z.set('m' + i, (i * 7919) % 1000);
  for (let i = 0; i < N; i += 3) z.set('m' + i, -i);
  for (let i = 1; i < N; i += 5) z.remove('m' + i);
  const arr = [...z.entries()];
  for (let i = 1; i < arr.length; i++)
    assert.ok(arr[i - 1]![1] < arr[i]![1] || (arr[i - 1]![1] === arr[i]![1] && arr[i - 1]![0] < arr[i]![0]));
  for (let i = 0; i < arr.length; i += 97) {
    assert.equal(z.rank(arr[i]![0]), i);
    assert.equal(z.memberAt(i), arr[i]![0]);
  }
  z.checkInvariants();
  // Remove most members in random order: leaves everywhere shrink and merge,
  // then inner nodes do.
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const left = arr.map((e) => e[0]);
  while (left.length > 500) {
    const i = rand(left.length);
    assert.ok(z.remove(left[i]!));
    left[i] = left[left.length - 1]!;
    left.pop();
    if (left.length % 1000 === 0) z.checkInvariants();
  }
  assert.equal(z.card(), left.length);
  left.sort((a, b) => (a < b ? -1 : 1));
  const ordered = [...z.entries()];
  for (let i = 0; i < ordered.length; i++) assert.equal(z.rank(ordered[i]![0]), i);
  // Drain from both ends and the middle: the tree shrinks back to one leaf.
  while (z.card() > 0) {
    z.popMin(300);
    z.popMax(200);
    if (z.card() > 0) z.remove(z.memberAt(Math.floor(z.card() / 2)));
    if (z.card() % 7 === 0) z.checkInvariants();
  }
  z.checkInvariants();
  // one empty leaf and no member strings left: the tree's share of the bytes is a new set's
  const fresh = new ZSet();
  assert.equal(z.memBytes() - z.dict.structBytes(), fresh.memBytes() - fresh.dict.structBytes());
});

/**
 * A sorted set's score update keeps the member string the set already holds
 * (types/zset.ts update): the command's own copy of the member is young, and
 * stored into the old tree it took the write barrier's slow path at each
 * move and was promoted, while the tree's copy became garbage.
 *
 * A child node with --allow-natives-syntax and --expose-gc fills a set,
 * collects twice (everything old), changes scores with members made afresh,
 * and asks V8 whether any member string in the tree is young.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runV8Script, srcUrl } from '../helpers/v8-child.js';

test('ZSet: a score update leaves the old member string in the tree, not the command’s young copy', () => {
  const out = runV8Script(
    `const { ZSet } = await import(${srcUrl('types/zset.js')});
const z = new ZSet(false);
for (let i = 0; i < 3000; i++) z.set('member:' + i, i);
gc();
gc();
// new scores (moving within a leaf and across leaves) and one new member, each named by a fresh string
for (let i = 0; i < 3000; i += 3) z.set(['member', i].join(':'), i % 2 === 0 ? i + 0.5 : 5000 - i);
z.set(['member', 'new'].join(':'), 1);
let young = 0;
let seen = 0;
for (let l = z.head; l !== null; l = l.next)
  for (let k = 0; k < l.n; k++) {
    seen++;
    if (%InYoungGeneration(l.m[k])) young++;
  }
console.log(JSON.stringify({ seen, young, card: z.card() }));
`,
    ['--allow-natives-syntax', '--expose-gc'],
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as { seen: number; young: number; card: number };
  assert.equal(r.card, 3001);
  assert.equal(r.seen, 3001, 'the walk saw every member');
  // the one new member is the command's string; the 1,000 updated ones are the set's own
  assert.equal(r.young, 1);
});

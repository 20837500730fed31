/**
 * The keys read ahead from a pipeline (src/keyspace/key-batch.ts): each
 * command's lookups get their key's hash from the batch, and any other
 * string gets its own hash, whatever runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyBatch, BATCH_KEYS, forgetRecentHashes } from '../../src/keyspace/key-batch.js';
import { hashKey } from '../../src/keyspace/keyindex.js';

test('KeyBatch: the running command’s keys, in order or looked up twice, and any other key hash as hashKey does', () => {
  const b = new KeyBatch();
  const cmds = [['k:1'], ['k:2', 'k:3', 'k:4'], [], ['k:5']];
  for (const keys of cmds) {
    b.addCommand();
    for (const k of keys) assert.ok(b.add(k));
  }
  assert.equal(b.n, 5);
  for (const keys of cmds) {
    b.next();
    for (const k of keys) {
      assert.equal(b.hashOf(k), hashKey(k));
      assert.equal(b.hashOf(k), hashKey(k), 'the same key again');
      assert.equal(b.hashOf('other'), hashKey('other'));
    }
    // a key of another command, and equal text in another string object
    assert.equal(b.hashOf('k:5'), hashKey('k:5'));
    assert.equal(b.hashOf(['k', '1'].join(':')), hashKey('k:1'));
  }
  b.next(); // past the batch
  assert.equal(b.hashOf('k:1'), hashKey('k:1'));
  b.clear();
  assert.equal(b.n, 0);
  assert.ok(
    b.keys.every((k) => k === ''),
    'no key string kept',
  );
  // full: add refuses
  b.addCommand();
  for (let i = 0; i < BATCH_KEYS; i++) assert.ok(b.add(`x${i}`));
  assert.ok(!b.add('one more'));
});

test('KeyBatch: keys no batch describes hash as hashKey through the memo, on hits, slot collisions, long keys and after it is emptied', () => {
  const b = new KeyBatch(); // empty: every lookup takes the memo
  const keys: string[] = ['', 'a', 'x'.repeat(256), 'x'.repeat(257), 'y'.repeat(100000)];
  // many keys sharing a length and their last and middle bytes: the same memo slot
  for (let i = 0; i < 200; i++) keys.push(`bull:q:${String(i).padStart(4, '0')}:job`, `k${i}`, `key:${i * 7919}`);
  for (let round = 0; round < 3; round++) {
    for (const k of keys) {
      assert.equal(b.hashOf(k), hashKey(k), k.slice(0, 40));
      // the same text in another string object, right after (a hit)
      assert.equal(b.hashOf([...k].join('')), hashKey(k), k.slice(0, 40));
    }
    if (round === 1) forgetRecentHashes();
  }
});

/**
 * Keyword arguments match as Redis's strcasecmp matches them: ASCII letters
 * in either case, every other byte exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { is } from '../../src/commands/args.js';
import { isType, type Value } from '../../src/keyspace/value.js';
import { HashValue } from '../../src/types/hash.js';
import { List } from '../../src/types/list.js';
import { SetValue } from '../../src/types/set.js';
import { Stream } from '../../src/types/stream.js';
import { ZSet } from '../../src/types/zset.js';

test('is: ASCII letters in any case match a keyword; other bytes must be equal', () => {
  for (const a of ['EX', 'ex', 'eX', 'Ex']) assert.ok(is(a, 'EX'), a);
  assert.ok(is('keepttl', 'KEEPTTL'));
  assert.ok(is('no-values', 'NO-VALUES'));
  assert.ok(!is(undefined, 'EX'));
  assert.ok(!is('E', 'EX'));
  assert.ok(!is('EXX', 'EX'));
  assert.ok(!is('EY', 'EX'));
  // '\r' | 0x20 is '-' and '`' is '@' | 0x20: a fold that is not letters-only would match these
  assert.ok(!is('NO\rVALUES', 'NO-VALUES'));
  assert.ok(!is('`', '@'));
  // latin1 letters have no ASCII upper case in strcasecmp (JS would fold 'ß' to 'SS', 'ÿ' to 'Ÿ')
  assert.ok(!is('\u00e9X', '\u00c9X'));
  assert.ok(!is('\u00df', 'S'));
});

test('isType: a collection is of its own type only; no string value (text, number, Buffer) is of any', () => {
  const values: [string, Value][] = [
    ['list', new List()],
    ['hash', new HashValue()],
    ['set', new SetValue()],
    ['zset', new ZSet()],
    ['stream', new Stream()],
    ['string', 'abc'],
    ['string', 12345],
    ['string', Buffer.alloc(8)],
  ];
  for (const [name, v] of values)
    for (const t of ['list', 'hash', 'set', 'zset', 'stream'] as const)
      assert.equal(isType(v, t), name === t, `${name} ${t}`);
});

/**
 * The decimal writers the reply and replication paths share: util/numbers.ts's
 * digits() (no number formatting) and resp-bytes' putHeader, which the AOF and
 * replication feed's writeCommand writes its headers with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { digits } from '../../src/util/numbers.js';
import { commandLength, encodeCommand, writeCommand } from '../../src/persistence/aof-format.js';

test('digits() counts the decimal digits of every integer below 2^53', () => {
  const xs = [0, 1, 9, 10, 99, 100, 99999, 100000, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1.7e12, 1e15 - 1, 1e15, 2 ** 53 - 1];
  for (let i = 0; i < 10000; i++) xs.push(Math.floor(Math.random() * 2 ** Math.floor(Math.random() * 54)));
  for (const n of xs) if (n <= Number.MAX_SAFE_INTEGER) assert.equal(digits(n), String(n).length, String(n));
});

test('writeCommand writes the bytes of encodeCommand, commandLength of them', () => {
  const cases = [
    ['PING'],
    ['SET', 'k', 'v'],
    ['XADD', 's', '1700000000000-0', 'f', 'x'.repeat(1234)],
    Array(12).fill('a'),
  ];
  for (const argv of cases) {
    const b = Buffer.alloc(commandLength(argv) + 8, 0xff);
    const end = writeCommand(b, 3, argv);
    assert.equal(end - 3, commandLength(argv));
    assert.equal(b.latin1Slice(3, end), encodeCommand(argv));
  }
});

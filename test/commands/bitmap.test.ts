/**
 * Bitmap commands: differential tests against redis-server (RESP2 and RESP3),
 * random sequences, the 7.2 argument-before-lookup order of BITCOUNT/BITPOS,
 * and a few calls through ioredis.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Differ } from '../helpers/diff.js';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { both, type Step } from './strdiff.js';

const d = await Differ.start();
after(() => d?.stop());

test('SETBIT and GETBIT', async () => {
  await both(d!, [
    ['SETBIT', 'b', '7', '1'],
    ['GET', 'b'],
    ['SETBIT', 'b', '7', '1'],
    ['SETBIT', 'b', '7', '0'],
    ['GETBIT', 'b', '7'],
    ['SETBIT', 'b', '100', '1'],
    ['STRLEN', 'b'],
    ['GETBIT', 'b', '100'],
    ['GETBIT', 'b', '101'],
    ['GETBIT', 'b', '100000'],
    ['OBJECT', 'ENCODING', 'b'],
    ['GETBIT', 'missing', '0'],
    ['SETBIT', 'b', '-1', '1'],
    ['SETBIT', 'b', 'x', '1'],
    ['SETBIT', 'b', '4294967296', '1'],
    ['SETBIT', 'b', '9223372036854775807', '1'],
    ['SETBIT', 'b', '9223372036854775808', '1'],
    ['SETBIT', 'b', '1', '2'],
    ['SETBIT', 'b', '1', '-1'],
    ['SETBIT', 'b', '1', 'x'],
    ['SETBIT', 'b', '1', ''],
    ['SETBIT', 'b', 'x', 'x'],
    ['GETBIT', 'b', '-1'],
    ['GETBIT', 'b', 'x'],
    ['GETBIT', 'b', '4294967296'],
    ['GETBIT', 'missing', '4294967296'],
    ['SET', 'n', '5'],
    ['GETBIT', 'n', '5'],
    ['GETBIT', 'n', '7'],
    ['SETBIT', 'n', '6', '1'],
    ['GET', 'n'],
    ['OBJECT', 'ENCODING', 'n'],
    ['SET', 's', 'abc'],
    ['SETBIT', 's', '6', '1'],
    ['GET', 's'],
    ['SET', 't', 'x', 'EX', '100'],
    ['SETBIT', 't', '20', '1'],
    ['TTL', 't'],
    ['@list', 'l'],
    ['SETBIT', 'l', '0', '1'],
    ['GETBIT', 'l', '0'],
    ['SETBIT', 'l', '-1', '1'],
    ['GETBIT', 'l', 'x'],
    ['SETBIT', 'b', '1'],
    ['GETBIT', 'b'],
  ]);
});

test('BITCOUNT', async () => {
  await both(d!, [
    ['SET', 'k', 'foobar'],
    ['BITCOUNT', 'k'],
    ['BITCOUNT', 'k', '0', '0'],
    ['BITCOUNT', 'k', '1', '1'],
    ['BITCOUNT', 'k', '1', '1', 'BYTE'],
    ['BITCOUNT', 'k', '5', '30', 'BIT'],
    ['BITCOUNT', 'k', '0', '-1', 'bit'],
    ['BITCOUNT', 'k', '-1', '-1'],
    ['BITCOUNT', 'k', '-2', '-5'],
    ['BITCOUNT', 'k', '-100', '100'],
    ['BITCOUNT', 'k', '3', '1'],
    ['BITCOUNT', 'k', '-100', '-90'],
    ['BITCOUNT', 'k', '0', '0', 'BIT'],
    ['BITCOUNT', 'k', '7', '7', 'BIT'],
    ['BITCOUNT', 'k', '1', '6', 'BIT'],
    ['BITCOUNT', 'k', '9', '9', 'BIT'],
    ['BITCOUNT', 'k', '-3', '-1', 'BIT'],
    ['BITCOUNT', 'k', '-60', '-40', 'BIT'],
    ['BITCOUNT', 'k', '1000', '2000', 'BIT'],
    ['BITCOUNT', 'k', '0'],
    ['BITCOUNT', 'k', '0', '1', 'FOO'],
    ['BITCOUNT', 'k', 'a', '1'],
    ['BITCOUNT', 'k', '0', 'b'],
    ['BITCOUNT', 'k', '0', '1', 'BIT', 'x'],
    ['BITCOUNT', 'k', '9223372036854775807', '-9223372036854775808'],
    ['SET', 'n', '-1234567'],
    ['BITCOUNT', 'n'],
    ['BITCOUNT', 'n', '1', '2'],
    ['SET', 'e', ''],
    ['BITCOUNT', 'e'],
    ['BITCOUNT', 'e', '0', '-1'],
    ['BITCOUNT', 'missing'],
    ['BITCOUNT', 'missing', '0', '10'],
    ['SET', 'big', 'xyz'.repeat(100)],
    ['BITCOUNT', 'big'],
    ['BITCOUNT', 'big', '3', '250'],
    ['BITCOUNT', 'big', '13', '2001', 'BIT'],
    ['@list', 'l'],
    ['BITCOUNT', 'l'],
    ['BITCOUNT', 'l', '0', '1'],
    ['BITCOUNT'],
  ]);
});

test('BITPOS', async () => {
  await both(d!, [
    ['SET', 'k', Buffer.from([0xff, 0xf0, 0x00])],
    ['BITPOS', 'k', '0'],
    ['BITPOS', 'k', '1'],
    ['BITPOS', 'k', '0', '2'],
    ['BITPOS', 'k', '1', '2'],
    ['BITPOS', 'k', '1', '1'],
    ['BITPOS', 'k', '0', '0', '0'],
    ['BITPOS', 'k', '0', '0', '-1'],
    ['BITPOS', 'k', '1', '7', '15', 'BIT'],
    ['BITPOS', 'k', '0', '7', '15', 'BIT'],
    ['BITPOS', 'k', '0', '12', '-1', 'bit'],
    ['BITPOS', 'k', '1', '12', '-1', 'BIT'],
    ['BITPOS', 'k', '0', '-3', '-1', 'BYTE'],
    ['BITPOS', 'k', '1', '2', '1'],
    ['BITPOS', 'k', '1', '-100', '100'],
    ['BITPOS', 'k', '0', '100'],
    ['BITPOS', 'k', '1', '3', '5', 'BIT'],
    ['SET', 'ones', Buffer.from([0xff, 0xff])],
    ['BITPOS', 'ones', '0'],
    ['BITPOS', 'ones', '0', '0'],
    ['BITPOS', 'ones', '0', '0', '-1'],
    ['BITPOS', 'ones', '0', '1'],
    ['BITPOS', 'ones', '0', '3', '-1', 'BIT'],
    ['BITPOS', 'ones', '0', '3', 'x'],
    ['SET', 'zeros', Buffer.alloc(20)],
    ['BITPOS', 'zeros', '1'],
    ['BITPOS', 'zeros', '0'],
    ['BITPOS', 'zeros', '1', '3', '-1', 'BIT'],
    ['SET', 'e', ''],
    ['BITPOS', 'e', '0'],
    ['BITPOS', 'e', '1'],
    ['BITPOS', 'e', '0', '0'],
    ['BITPOS', 'missing', '0'],
    ['BITPOS', 'missing', '1'],
    ['BITPOS', 'k', '2'],
    ['BITPOS', 'k', 'x'],
    ['BITPOS', 'k', '-1'],
    ['BITPOS', 'k', '1', 'a'],
    ['BITPOS', 'k', '1', '0', 'b'],
    ['BITPOS', 'k', '1', '0', '1', 'FOO'],
    ['BITPOS', 'k', '1', '0', '1', 'BIT', 'extra'],
    ['BITPOS', 'missing', '2'],
    ['SET', 'n', '12'],
    ['BITPOS', 'n', '1'],
    ['BITPOS', 'n', '0', '1'],
    ['@list', 'l'],
    ['BITPOS', 'l', '1'],
    ['BITPOS', 'l', '1', '0'],
    ['BITPOS', 'l', '3'],
    ['BITPOS', 'k'],
  ]);
});

test('BITOP', async () => {
  await both(d!, [
    ['SET', 'a', 'foobar'],
    ['SET', 'b', 'abcdef'],
    ['SET', 'c', 'xyz'],
    ['BITOP', 'AND', 'd', 'a', 'b'],
    ['GET', 'd'],
    ['BITOP', 'or', 'd', 'a', 'c'],
    ['GET', 'd'],
    ['BITOP', 'XOR', 'd', 'a', 'b', 'c'],
    ['GET', 'd'],
    ['BITOP', 'NOT', 'd', 'a'],
    ['GET', 'd'],
    ['BITOP', 'AND', 'd', 'a', 'c', 'missing'],
    ['GET', 'd'],
    ['BITOP', 'OR', 'd', 'missing', 'c'],
    ['GET', 'd'],
    ['BITOP', 'AND', 'd', 'a'],
    ['GET', 'd'],
    ['OBJECT', 'ENCODING', 'd'],
    ['SET', 'd', 'x', 'EX', '100'],
    ['BITOP', 'OR', 'd', 'a'],
    ['TTL', 'd'],
    ['BITOP', 'AND', 'd', 'missing', 'missing2'],
    ['EXISTS', 'd'],
    ['SET', 'e', ''],
    ['BITOP', 'NOT', 'd', 'e'],
    ['EXISTS', 'd'],
    ['BITOP', 'NOT', 'd', 'a', 'b'],
    ['BITOP', 'NAND', 'd', 'a'],
    ['BITOP', 'AND', 'd'],
    ['SET', 'n', '12'],
    ['BITOP', 'XOR', 'd', 'n', 'a'],
    ['GET', 'd'],
    ['BITOP', 'OR', 'a', 'a', 'b'],
    ['GET', 'a'],
    ['@list', 'l'],
    ['BITOP', 'AND', 'd', 'a', 'l'],
    ['BITOP', 'AND', 'l', 'a'],
    ['GET', 'l'],
    ['@list', 'l2'],
    ['BITOP', 'NOT', 'd', 'l2', 'l2'],
  ]);
});

test('BITFIELD and BITFIELD_RO', async () => {
  await both(d!, [
    ['BITFIELD', 'k', 'SET', 'i8', '0', '100', 'GET', 'i8', '0', 'INCRBY', 'i8', '0', '100', 'GET', 'u8', '0'],
    ['GET', 'k'],
    [
      'BITFIELD',
      'k',
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'i8',
      '0',
      '100',
      'INCRBY',
      'i8',
      '0',
      '-1000',
      'OVERFLOW',
      'FAIL',
      'INCRBY',
      'i8',
      '0',
      '-1',
    ],
    [
      'BITFIELD',
      'k',
      'overflow',
      'wrap',
      'incrby',
      'u2',
      '100',
      '1',
      'incrby',
      'u2',
      '100',
      '1',
      'incrby',
      'u2',
      '100',
      '1',
      'incrby',
      'u2',
      '100',
      '1',
    ],
    [
      'BITFIELD',
      'k',
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'u2',
      '102',
      '1',
      'INCRBY',
      'u2',
      '102',
      '1',
      'INCRBY',
      'u2',
      '102',
      '1',
      'INCRBY',
      'u2',
      '102',
      '-9',
    ],
    [
      'BITFIELD',
      'k',
      'OVERFLOW',
      'FAIL',
      'INCRBY',
      'u2',
      '104',
      '3',
      'INCRBY',
      'u2',
      '104',
      '1',
      'SET',
      'u2',
      '104',
      '4',
      'SET',
      'u2',
      '104',
      '-1',
    ],
    [
      'BITFIELD',
      'k',
      'SET',
      'u8',
      '#1',
      '255',
      'GET',
      'u8',
      '8',
      'GET',
      'u4',
      '#3',
      'SET',
      'i5',
      '#2',
      '-16',
      'GET',
      'i5',
      '10',
    ],
    [
      'BITFIELD',
      'k',
      'SET',
      'u8',
      '0',
      '-1',
      'OVERFLOW',
      'SAT',
      'SET',
      'u8',
      '8',
      '-1',
      'SET',
      'i8',
      '16',
      '-200',
      'SET',
      'i8',
      '24',
      '300',
    ],
    [
      'BITFIELD',
      'k',
      'OVERFLOW',
      'WRAP',
      'SET',
      'i8',
      '16',
      '-200',
      'SET',
      'i8',
      '24',
      '300',
      'SET',
      'u8',
      '32',
      '300',
    ],
    [
      'BITFIELD',
      'k',
      'SET',
      'i64',
      '0',
      '-9223372036854775808',
      'INCRBY',
      'i64',
      '0',
      '-1',
      'GET',
      'i64',
      '0',
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'i64',
      '0',
      '-1',
      'INCRBY',
      'i64',
      '0',
      '9223372036854775807',
    ],
    [
      'BITFIELD',
      'k',
      'SET',
      'u63',
      '1',
      '9223372036854775807',
      'GET',
      'u63',
      '1',
      'INCRBY',
      'u63',
      '1',
      '1',
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'u63',
      '1',
      '5',
      'INCRBY',
      'u63',
      '1',
      '-9223372036854775808',
    ],
    [
      'BITFIELD',
      'k',
      'SET',
      'i1',
      '3',
      '1',
      'GET',
      'i1',
      '3',
      'GET',
      'u1',
      '3',
      'INCRBY',
      'i1',
      '3',
      '1',
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'i1',
      '3',
      '5',
    ],
    ['GET', 'k'],
    ['BITFIELD', 'k'],
    ['BITFIELD', 'missing', 'GET', 'u8', '0', 'GET', 'i64', '1000'],
    ['EXISTS', 'missing'],
    ['BITFIELD', 'new', 'OVERFLOW', 'FAIL', 'SET', 'u2', '20', '7'],
    ['GET', 'new'],
    ['BITFIELD', 'new2', 'SET', 'u8', '100', '0'],
    ['STRLEN', 'new2'],
    ['SET', 'n', '123'],
    ['BITFIELD', 'n', 'GET', 'u8', '0', 'GET', 'u16', '4'],
    ['BITFIELD', 'n', 'SET', 'u8', '0', '64'],
    ['GET', 'n'],
    ['SET', 't', 'x', 'EX', '100'],
    ['BITFIELD', 't', 'SET', 'u8', '8', '1'],
    ['TTL', 't'],
    ['BITFIELD', 'k', 'GET', 'u64', '0'],
    ['BITFIELD', 'k', 'GET', 'i65', '0'],
    ['BITFIELD', 'k', 'GET', 'i0', '0'],
    ['BITFIELD', 'k', 'GET', 'I8', '0'],
    ['BITFIELD', 'k', 'GET', 'x8', '0'],
    ['BITFIELD', 'k', 'GET', 'u', '0'],
    ['BITFIELD', 'k', 'GET', 'u-1', '0'],
    ['BITFIELD', 'k', 'GET', 'u8', '-1'],
    ['BITFIELD', 'k', 'GET', 'u8', 'x'],
    ['BITFIELD', 'k', 'GET', 'u8', '#-1'],
    ['BITFIELD', 'k', 'GET', 'u8', '#x'],
    ['BITFIELD', 'k', 'GET', 'u8', '4294967296'],
    ['BITFIELD', 'k', 'GET', 'u8', '4294967295'],
    ['BITFIELD', 'k', 'GET', 'u8', '#536870912'],
    ['BITFIELD', 'k', 'GET', 'u8', '#536870911'],
    ['BITFIELD', 'k', 'GET', 'u8', '#2305843009213693952'],
    ['BITFIELD', 'k', 'GET', 'u8', '#1152921504606846976'],
    ['BITFIELD', 'k', 'SET', 'u8', '0', 'x'],
    ['BITFIELD', 'k', 'SET', 'u8', '0'],
    ['BITFIELD', 'k', 'GET', 'u8'],
    ['BITFIELD', 'k', 'INCRBY', 'u8', '0', '1.5'],
    ['BITFIELD', 'k', 'OVERFLOW', 'FOO', 'GET', 'u8', '0'],
    ['BITFIELD', 'k', 'OVERFLOW'],
    ['BITFIELD', 'k', 'FOO'],
    ['BITFIELD', 'k', 'GET', 'u8', '0', 'FOO'],
    ['BITFIELD', 'k', 'SET', 'u8', '0', '1', 'GET', 'x', '0'],
    ['BITFIELD_RO', 'k', 'GET', 'u8', '0', 'GET', 'i4', '#3'],
    ['BITFIELD_RO', 'k', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'k', 'INCRBY', 'u8', '0', '1'],
    ['BITFIELD_RO', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
    ['BITFIELD_RO', 'k'],
    ['BITFIELD_RO', 'missing', 'GET', 'u8', '0'],
    ['BITFIELD_RO', 'k', 'FOO'],
    ['@list', 'l'],
    ['BITFIELD', 'l', 'GET', 'u8', '0'],
    ['BITFIELD', 'l', 'SET', 'u8', '0', '1'],
    ['BITFIELD', 'l'],
    ['BITFIELD_RO', 'l', 'GET', 'u8', '0'],
    ['BITFIELD_RO', 'l', 'SET', 'u8', '0', '1'],
    ['BITFIELD', 'l', 'GET', 'u99', '0'],
    ['BITFIELD'],
    ['BITFIELD_RO'],
  ]);
});

test('random bitmap sequences match', async () => {
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const int = () => String(rnd(2) ? rnd(70) - 35 : rnd(400) - 200);
  const type = () => (rnd(2) ? 'i' : 'u') + String(1 + rnd(rnd(4) ? 16 : 63));
  const steps: Step[] = [];
  for (let i = 0; i < 400; i++) {
    const k = 'k' + rnd(3);
    switch (rnd(8)) {
      case 0:
        steps.push(['SETBIT', k, String(rnd(200)), String(rnd(2))]);
        break;
      case 1:
        steps.push(['BITCOUNT', k, int(), int(), rnd(2) ? 'BIT' : 'BYTE']);
        break;
      case 2:
        steps.push(
          rnd(2)
            ? ['BITPOS', k, String(rnd(2)), int(), int(), rnd(2) ? 'BIT' : 'BYTE']
            : ['BITPOS', k, String(rnd(2)), int()],
        );
        break;
      case 3:
        steps.push(['BITOP', ['AND', 'OR', 'XOR'][rnd(3)]!, 'k' + rnd(3), 'k' + rnd(3), 'k' + rnd(3)]);
        break;
      case 4:
        steps.push([
          'BITFIELD',
          k,
          'OVERFLOW',
          ['WRAP', 'SAT', 'FAIL'][rnd(3)]!,
          rnd(2) ? 'SET' : 'INCRBY',
          type(),
          String(rnd(150)),
          String(rnd(600) - 300),
          'GET',
          type(),
          String(rnd(150)),
        ]);
        break;
      case 5:
        steps.push(['BITFIELD_RO', k, 'GET', type(), rnd(2) ? '#' + rnd(20) : String(rnd(200))]);
        break;
      case 6:
        steps.push(['SETRANGE', k, String(rnd(30)), 'ab\xff'.slice(rnd(3))]);
        break;
      default:
        steps.push(['GET', k], ['BITCOUNT', k]);
    }
  }
  await both(d!, steps);
});

test('bit offsets at the proto-max-bulk-len limit', async () => {
  try {
    await both(d!, [
      ['CONFIG', 'SET', 'proto-max-bulk-len', '1048576'],
      ['SETBIT', 'k', '8388608', '1'],
      ['SETBIT', 'k', '8388607', '1'],
      ['STRLEN', 'k'],
      ['GETBIT', 'k', '8388607'],
      ['GETBIT', 'k', '8388608'],
      ['BITFIELD', 'k', 'SET', 'u8', '8388607', '255'],
      ['STRLEN', 'k'],
      ['BITFIELD', 'k', 'GET', 'u8', '#1048576'],
      ['BITCOUNT', 'k'],
      ['BITPOS', 'k', '1', '-2'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '536870912'],
    ]);
  } finally {
    await d!.both(['CONFIG', 'SET', 'proto-max-bulk-len', '536870912']);
  }
});

test('BITCOUNT and BITPOS check arguments before the key (Redis 7.2)', async () => {
  const s = await startTsdis();
  const c = await RawConn.connect(s.port);
  try {
    assert.equal(await c.call('BITCOUNT', 'nokey', 'a', 'b'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('BITCOUNT', 'nokey', '0', '1', 'FOO'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITCOUNT', 'nokey', '1'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITPOS', 'nokey', '1', 'a'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('BITPOS', 'nokey', '0', '1', '2', 'FOO'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITPOS', 'nokey', '3'), '-ERR The bit argument must be 1 or 0.\r\n');
    assert.equal(await c.call('BITCOUNT', 'nokey', '0', '1'), ':0\r\n');
    assert.equal(await c.call('BITPOS', 'nokey', '0', '1'), ':0\r\n');
  } finally {
    c.close();
    await s.close();
  }
});

test('through ioredis', async () => {
  const s = await startTsdis();
  const c = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    assert.equal(await c.setbit('b', 9, 1), 0);
    assert.equal(await c.getbit('b', 9), 1);
    assert.equal(await c.bitcount('b'), 1);
    assert.equal(await c.bitpos('b', 1), 9);
    assert.deepEqual(
      await c.call(
        'BITFIELD',
        'f',
        'SET',
        'u8',
        '0',
        '200',
        'INCRBY',
        'u8',
        '0',
        '100',
        'OVERFLOW',
        'FAIL',
        'INCRBY',
        'u8',
        '0',
        '250',
      ),
      [0, 44, null],
    );
    assert.equal(await c.bitop('OR', 'dst', 'b', 'f'), 2);
    await assert.rejects(c.setbit('b', -1, 1), /ERR bit offset is not an integer or out of range/);
  } finally {
    c.disconnect();
    await s.close();
  }
});

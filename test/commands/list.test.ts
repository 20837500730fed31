/**
 * List commands: differential tests against redis-server in RESP2 and RESP3
 * for every command and its error paths, OBJECT ENCODING, emptied keys,
 * binary and integer-looking elements, and the blocking commands' immediate
 * (non-blocking) paths and argument errors.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { both, sevenTwo } from './strdiff.js';

/**
 * OBJECT ENCODING of a small list: Redis 7.2 says listpack where the 7.0
 * reference says quicklist (7.0 had no listpack lists), so these steps check
 * tsdis against 7.2's answer instead of comparing.
 */
const LISTPACK = '$8\r\nlistpack\r\n';

const d = await Differ.start();
after(() => d?.stop());

test('push, pop, length, range, encodings', async () => {
  await both(d!, [
    ['LPUSH', 'l', 'a', 'b', 'c'],
    ['RPUSH', 'l', '1', '2', '-0', '007', '9223372036854775808'],
    ['LRANGE', 'l', '0', '-1'],
    ['LLEN', 'l'],
    ['LLEN', 'nokey'],
    sevenTwo(LISTPACK, 'OBJECT', 'ENCODING', 'l'),
    ['TYPE', 'l'],
    ['LPUSHX', 'l', 'x', 'y'],
    ['RPUSHX', 'l', 'z'],
    ['LPUSHX', 'nokey', 'x'],
    ['RPUSHX', 'nokey', 'x'],
    ['EXISTS', 'nokey'],
    ['LPOP', 'l'],
    ['RPOP', 'l'],
    ['LPOP', 'l', '2'],
    ['RPOP', 'l', '3'],
    ['LPOP', 'l', '0'],
    ['LRANGE', 'l', '0', '-1'],
    ['LPOP', 'nokey'],
    ['RPOP', 'nokey'],
    ['LPOP', 'nokey', '0'],
    ['LPOP', 'nokey', '3'],
    ['RPOP', 'nokey', '1'],
    ['LPOP', 'l', '-1'],
    ['LPOP', 'l', 'x'],
    ['LPOP', 'l', '1', '2'],
    ['RPOP', 'l', '1.5'],
    ['LPOP', 'nokey', '-1'],
    ['RPOP', 'l', '100'],
    ['EXISTS', 'l'],
    ['LPUSH', 'l', 'only'],
    ['LPOP', 'l'],
    ['EXISTS', 'l'],
    ['RPUSH', 'big', ...Array.from({ length: 200 }, (_, i) => 'v' + i)],
    sevenTwo(LISTPACK, 'OBJECT', 'ENCODING', 'big'),
    ['RPUSH', 'huge', 'x'.repeat(9000)],
    ['OBJECT', 'ENCODING', 'huge'],
    ['LINDEX', 'huge', '0'],
    ['RPUSH', 'bin', Buffer.from([0, 255, 13, 10]), ''],
    ['LRANGE', 'bin', '0', '-1'],
    ['LPUSH'],
    ['LPUSH', 'l'],
    ['LPOP'],
    ['LLEN'],
    ['LRANGE', 'l', '0'],
    ['@list', 'l2'],
    ['SET', 's', 'str'],
    ['LPUSH', 's', 'x'],
    ['RPUSHX', 's', 'x'],
    ['LPOP', 's'],
    ['RPOP', 's', '2'],
    ['LLEN', 's'],
    ['LRANGE', 's', '0', '1'],
    ['LPOP', 's', '-1'],
  ]);
});

test('LRANGE and LINDEX indexes', async () => {
  const idx = [
    '0',
    '1',
    '-1',
    '-2',
    '4',
    '5',
    '6',
    '-6',
    '-7',
    '100',
    '-100',
    '9223372036854775807',
    '-9223372036854775808',
  ];
  const steps: (string | Buffer)[][] = [['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e']];
  for (const a of idx) {
    steps.push(['LINDEX', 'l', a]);
    for (const b of idx) steps.push(['LRANGE', 'l', a, b]);
  }
  steps.push(
    ['LRANGE', 'l', 'x', '1'],
    ['LRANGE', 'l', '1', 'x'],
    ['LRANGE', 'nokey', 'x', '1'],
    ['LINDEX', 'l', 'x'],
    ['LINDEX', 'nokey', 'x'],
    ['LINDEX', 'nokey', '0'],
    ['LRANGE', 'l', '1.0', '2'],
    ['LRANGE', 'l', '99999999999999999999', '1'],
  );
  await both(d!, steps);
});

test('LSET LINSERT LREM LTRIM', async () => {
  await both(d!, [
    ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', '1', '01'],
    ['LSET', 'l', '0', 'A'],
    ['LSET', 'l', '-1', 'Z'],
    ['LSET', 'l', '7', 'x'],
    ['LSET', 'l', '-8', 'x'],
    ['LSET', 'l', 'x', 'y'],
    ['LSET', 'nokey', '0', 'x'],
    ['LSET', 'nokey', 'x', 'x'],
    ['LRANGE', 'l', '0', '-1'],
    ['LINSERT', 'l', 'BEFORE', 'a', 'X'],
    ['LINSERT', 'l', 'after', 'a', 'Y'],
    ['LINSERT', 'l', 'AFTER', 'Z', 'end'],
    ['LINSERT', 'l', 'BEFORE', 'A', 'start'],
    ['LINSERT', 'l', 'BEFORE', 'nope', 'x'],
    ['LINSERT', 'l', 'MIDDLE', 'a', 'x'],
    ['LINSERT', 'nokey', 'BEFORE', 'a', 'x'],
    ['LINSERT', 'nokey', 'FOO', 'a', 'x'],
    ['LINSERT', 'l', 'BEFORE', '1', 'one'],
    ['LRANGE', 'l', '0', '-1'],
    ['LINSERT', 'l', 'BEFORE', 'a'],
    ['LREM', 'l', '1', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '-1', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['RPUSH', 'l', 'a', 'a', 'b', 'a'],
    ['LREM', 'l', '-2', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '0', 'a'],
    ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '0', 'nope'],
    ['LREM', 'l', 'x', 'a'],
    ['LREM', 'nokey', '0', 'a'],
    ['LREM', 'nokey', 'x', 'a'],
    ['RPUSH', 'r', 'x', 'x'],
    ['LREM', 'r', '0', 'x'],
    ['EXISTS', 'r'],
    ['RPUSH', 't', '1', '2', '3', '4', '5', '6'],
    ['LTRIM', 't', '1', '-2'],
    ['LRANGE', 't', '0', '-1'],
    ['LTRIM', 't', '-100', '100'],
    ['LRANGE', 't', '0', '-1'],
    ['LTRIM', 't', '2', '1'],
    ['EXISTS', 't'],
    ['LTRIM', 'nokey', '0', '1'],
    ['LTRIM', 'nokey', 'x', '1'],
    ['RPUSH', 't', '1', '2'],
    ['LTRIM', 't', '0', 'x'],
    ['LTRIM', 't', '5', '10'],
    ['EXISTS', 't'],
    ['SET', 's', 'v'],
    ['LSET', 's', '0', 'x'],
    ['LINSERT', 's', 'BEFORE', 'a', 'b'],
    ['LREM', 's', '0', 'a'],
    ['LTRIM', 's', '0', '1'],
    ['LINSERT', 's', 'FOO', 'a', 'b'],
    ['LREM', 's', 'x', 'a'],
    ['LTRIM', 's', 'x', '1'],
    ['LSET', 's', 'x', '1'],
  ]);
});

test('LPOS', async () => {
  await both(d!, [
    ['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a', '1', '1'],
    ['LPOS', 'l', 'a'],
    ['LPOS', 'l', 'b'],
    ['LPOS', 'l', 'z'],
    ['LPOS', 'l', '1'],
    ['LPOS', 'l', 'a', 'RANK', '2'],
    ['LPOS', 'l', 'a', 'RANK', '-1'],
    ['LPOS', 'l', 'a', 'RANK', '-3'],
    ['LPOS', 'l', 'a', 'RANK', '4'],
    ['LPOS', 'l', 'a', 'COUNT', '0'],
    ['LPOS', 'l', 'a', 'COUNT', '2'],
    ['LPOS', 'l', 'a', 'COUNT', '2', 'RANK', '-1'],
    ['LPOS', 'l', 'a', 'COUNT', '0', 'RANK', '2'],
    ['LPOS', 'l', 'a', 'MAXLEN', '3'],
    ['LPOS', 'l', 'a', 'MAXLEN', '3', 'COUNT', '0'],
    ['LPOS', 'l', 'a', 'MAXLEN', '1', 'RANK', '-1'],
    ['LPOS', 'l', 'a', 'MAXLEN', '0'],
    ['LPOS', 'l', 'z', 'COUNT', '0'],
    ['LPOS', 'nokey', 'a'],
    ['LPOS', 'nokey', 'a', 'COUNT', '1'],
    ['LPOS', 'nokey', 'a', 'RANK', '0'],
    ['LPOS', 'l', 'a', 'RANK', '0'],
    ['LPOS', 'l', 'a', 'RANK', 'x'],
    ['LPOS', 'l', 'a', 'COUNT', '-1'],
    ['LPOS', 'l', 'a', 'COUNT', 'x'],
    ['LPOS', 'l', 'a', 'MAXLEN', '-1'],
    ['LPOS', 'l', 'a', 'MAXLEN', 'x'],
    ['LPOS', 'l', 'a', 'FOO', '1'],
    ['LPOS', 'l', 'a', 'RANK'],
    ['LPOS', 'l', 'a', 'COUNT'],
    ['LPOS', 'l', 'a', 'rank', '1', 'count', '1', 'maxlen', '10'],
    ['LPOS', 'l'],
    ['LPOS', 'l', 'a', 'RANK', '-9223372036854775807'],
    ['LPOS', 'l', 'a', 'RANK', '9223372036854775807'],
    // 7.2 reads RANK in [-LONG_MAX, LONG_MAX] (7.0 negated LONG_MIN to itself), before the key
    sevenTwo(
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
      'LPOS',
      'l',
      'a',
      'RANK',
      '-9223372036854775808',
    ),
    ['SET', 's', 'v'],
    ['LPOS', 's', 'a'],
    ['LPOS', 's', 'a', 'RANK', '0'],
    sevenTwo(
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
      'LPOS',
      's',
      'a',
      'RANK',
      '-9223372036854775808',
    ),
  ]);
});

test('LMOVE RPOPLPUSH LMPOP', async () => {
  await both(d!, [
    ['RPUSH', 'a', '1', '2', '3'],
    ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'],
    ['LMOVE', 'a', 'b', 'right', 'left'],
    ['LRANGE', 'b', '0', '-1'],
    ['LMOVE', 'a', 'a', 'LEFT', 'RIGHT'],
    ['LRANGE', 'a', '0', '-1'],
    ['LMOVE', 'a', 'b', 'LEFT', 'LEFT'],
    ['EXISTS', 'a'],
    ['LMOVE', 'nokey', 'b', 'LEFT', 'LEFT'],
    ['LMOVE', 'b', 'b', 'RIGHT', 'RIGHT'],
    ['LRANGE', 'b', '0', '-1'],
    ['LMOVE', 'b', 'c', 'UP', 'LEFT'],
    ['LMOVE', 'b', 'c', 'LEFT', 'DOWN'],
    ['LMOVE', 'nokey', 'c', 'UP', 'LEFT'],
    ['RPOPLPUSH', 'b', 'c'],
    ['RPOPLPUSH', 'c', 'c'],
    ['RPOPLPUSH', 'nokey', 'c'],
    ['LRANGE', 'c', '0', '-1'],
    ['RPUSH', 'one', 'x'],
    ['RPOPLPUSH', 'one', 'one'],
    ['LRANGE', 'one', '0', '-1'],
    ['SET', 's', 'v'],
    ['LMOVE', 's', 'b', 'LEFT', 'LEFT'],
    ['LMOVE', 'b', 's', 'LEFT', 'LEFT'],
    ['LRANGE', 'b', '0', '-1'],
    ['RPOPLPUSH', 'b', 's'],
    ['RPOPLPUSH', 's', 'b'],
    ['RPOPLPUSH', 'nokey', 's'],
    ['RPUSH', 'm1', 'a', 'b', 'c', 'd'],
    ['RPUSH', 'm2', 'x'],
    ['LMPOP', '2', 'nokey', 'm1', 'LEFT'],
    ['LMPOP', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '2'],
    ['LMPOP', '1', 'm1', 'left', 'count', '10'],
    ['EXISTS', 'm1'],
    ['LMPOP', '2', 'nokey', 'm1', 'LEFT'],
    ['LMPOP', '1', 'm2', 'RIGHT', 'COUNT', '1'],
    ['LMPOP', '0', 'm1', 'LEFT'],
    ['LMPOP', '-1', 'm1', 'LEFT'],
    ['LMPOP', 'x', 'm1', 'LEFT'],
    ['LMPOP', '3', 'm1', 'LEFT'],
    ['LMPOP', '1', 'm1', 'MIDDLE'],
    ['LMPOP', '1', 'm1', 'LEFT', 'COUNT'],
    ['LMPOP', '1', 'm1', 'LEFT', 'COUNT', '0'],
    ['LMPOP', '1', 'm1', 'LEFT', 'COUNT', '-1'],
    ['LMPOP', '1', 'm1', 'LEFT', 'COUNT', 'x'],
    ['LMPOP', '1', 'm1', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
    ['LMPOP', '1', 'm1', 'LEFT', 'FOO'],
    ['LMPOP', '2', 's', 'm1', 'LEFT'],
    ['RPUSH', 'm1', 'z'],
    ['LMPOP', '2', 'm1', 's', 'LEFT'],
    ['LMPOP', '1'],
    ['LMPOP', '1', 'm1'],
  ]);
});

test('blocking commands that need not block, and their argument errors', async () => {
  await both(d!, [
    ['RPUSH', 'a', '1', '2', '3'],
    ['BLPOP', 'nokey', 'a', '0'],
    ['BRPOP', 'a', 'nokey', '1'],
    ['BLPOP', 'a', '0.5'],
    ['BLPOP', 'a', 'x'],
    ['BLPOP', 'a', '-1'],
    ['BLPOP', 'a', ''],
    // Redis 7.2 checks the range where 7.0 overflows to a negative int64 ("timeout is negative")
    sevenTwo('-ERR timeout is out of range\r\n', 'BLPOP', 'a', 'inf'),
    sevenTwo('-ERR timeout is out of range\r\n', 'BLPOP', 'a', '1e400'),
    ['BLPOP', 'a', ' 1'],
    ['BLPOP', 'a', '1x'],
    ['BLPOP', 'a', 'nan'],
    ['BLPOP', 'a'],
    ['BRPOP'],
    ['RPUSH', 'a', '1', '2', '3'],
    ['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0'],
    ['BRPOPLPUSH', 'a', 'b', '0'],
    ['LRANGE', 'b', '0', '-1'],
    ['BLMOVE', 'a', 'b', 'UP', 'RIGHT', 'x'],
    ['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', 'x'],
    ['BRPOPLPUSH', 'a', 'b', '-1'],
    ['SET', 's', 'v'],
    ['BLPOP', 's', '0'],
    ['BLPOP', 'nokey', 's', '0'],
    ['BLMOVE', 's', 'b', 'LEFT', 'LEFT', '0'],
    ['BLMOVE', 'a', 's', 'LEFT', 'LEFT', '0'],
    ['BRPOPLPUSH', 'a', 's', '0'],
    ['LRANGE', 'a', '0', '-1'],
    ['RPUSH', 'm', 'a', 'b', 'c'],
    ['BLMPOP', '0', '2', 'nokey', 'm', 'LEFT', 'COUNT', '2'],
    ['BLMPOP', '0.1', '1', 'm', 'RIGHT'],
    ['BLMPOP', 'x', '1', 'm', 'LEFT'],
    ['BLMPOP', '-1', '1', 'm', 'LEFT'],
    ['BLMPOP', '0', '0', 'm', 'LEFT'],
    ['BLMPOP', '0', '2', 'm', 'LEFT'],
    ['BLMPOP', '0', '1', 'm', 'FOO'],
    ['BLMPOP', '0', '1', 'm', 'LEFT', 'COUNT', '0'],
    ['BLMPOP', 'x', '1', 'm', 'FOO'],
    ['BLMPOP', '0', '2', 's', 'm', 'LEFT'],
    ['BLMPOP', '0', '1'],
  ]);
});

test('blocking commands time out with the right null', async () => {
  await both(d!, [
    ['BLPOP', 'nokey', '0.01'],
    ['BRPOP', 'nokey', 'other', '0.01'],
    ['BLMOVE', 'nokey', 'b', 'LEFT', 'LEFT', '0.01'],
    ['BRPOPLPUSH', 'nokey', 'b', '0.01'],
    ['BLMPOP', '0.01', '1', 'nokey', 'LEFT'],
  ]);
});

test('COPY, RENAME and MOVE of lists keep them independent', async () => {
  await both(d!, [
    ['RPUSH', 'a', '1', '2', '3'],
    ['COPY', 'a', 'b'],
    ['RPUSH', 'b', '4'],
    ['LRANGE', 'a', '0', '-1'],
    ['LRANGE', 'b', '0', '-1'],
    sevenTwo(LISTPACK, 'OBJECT', 'ENCODING', 'b'),
    ['RENAME', 'b', 'c'],
    ['LRANGE', 'c', '0', '-1'],
    ['MOVE', 'c', '1'],
    ['SELECT', '1'],
    ['LPOP', 'c'],
    ['SELECT', '0'],
    ['TYPE', 'a'],
  ]);
});

test('long lists: middle access and changes across chunks, COPY independence', async () => {
  const many = (p: string, n: number) => Array.from({ length: n }, (_, i) => (i % 7 === 0 ? String(i) : p + i));
  const steps: (string | Buffer)[][] = [
    ['RPUSH', 'l', ...many('r', 700)],
    ['LPUSH', 'l', ...many('l', 500)],
    ['LLEN', 'l'],
    ['LINDEX', 'l', '0'],
    ['LINDEX', 'l', '250'],
    ['LINDEX', 'l', '600'],
    ['LINDEX', 'l', '-300'],
    ['LINDEX', 'l', '1199'],
    ['LRANGE', 'l', '120', '140'],
    ['LRANGE', 'l', '490', '520'],
    ['LRANGE', 'l', '-140', '-120'],
    ['LSET', 'l', '600', 'mid'],
    ['LINDEX', 'l', '600'],
    ['LINSERT', 'l', 'BEFORE', 'mid', 'before-mid'],
    ['LINSERT', 'l', 'AFTER', '350', 'x'],
    ['LPOS', 'l', 'mid'],
    ['LPOS', 'l', '14', 'RANK', '-1'],
    ['LPOS', 'l', '0', 'COUNT', '0'],
    ['LPOS', 'l', 'r3', 'MAXLEN', '900'],
    ['LPOS', 'l', 'r3', 'RANK', '-1', 'MAXLEN', '700'],
    ['LPOS', 'l', 'l8', 'RANK', '-1', 'COUNT', '3'],
    ['COPY', 'l', 'c'],
    ['LSET', 'c', '700', 'changed'],
    ['LREM', 'c', '0', '7'],
    ['LINDEX', 'l', '700'],
    ['LINDEX', 'c', '700'],
    ['LLEN', 'c'],
    ['LREM', 'l', '-2', '0'],
    ['LREM', 'l', '3', '21'],
    ['LLEN', 'l'],
    ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '130', '-260'],
    ['LLEN', 'l'],
    ['LRANGE', 'l', '0', '9'],
    ['LRANGE', 'l', '-10', '-1'],
    ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT'],
    ['RPOP', 'l', '300'],
    ['LPOP', 'l', '200'],
    ['LRANGE', 'l', '0', '-1'],
    ['LRANGE', 'c', '0', '-1'],
    ['LMPOP', '1', 'c', 'RIGHT', 'COUNT', '2000'],
    ['EXISTS', 'c'],
  ];
  await both(d!, steps);
});

/**
 * Redis 7.2's list encodings, checked against tsdis alone (the reference
 * redis-server is 7.0, which has no listpack lists). The expected answers
 * follow 7.2's t_list.c / quicklist.c rules: growth is checked before
 * elements are added (listpack bytes + their string lengths, element count +
 * their number, against list-max-listpack-size); a quicklist of one node
 * converts back once within half the limit.
 */
test('Redis 7.2 list encodings: listpack and quicklist transitions', async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  const enc = async (k: string) => decode(await c.call('OBJECT', 'ENCODING', k));
  try {
    // growth by count (a positive limit), then back below half of it
    await c.call('CONFIG', 'SET', 'list-max-listpack-size', '4');
    await c.call('RPUSH', 'n', 'a', 'b', 'c', 'd');
    assert.equal(await enc('n'), 'listpack');
    await c.call('RPUSH', 'n', 'e'); // one node of a..d, then e in a new node
    assert.equal(await enc('n'), 'quicklist');
    await c.call('RPOP', 'n'); // one node of 4: not below half of 4
    assert.equal(await enc('n'), 'quicklist');
    await c.call('RPOP', 'n');
    assert.equal(await enc('n'), 'quicklist');
    await c.call('RPOP', 'n'); // 2 elements: half of the limit
    assert.equal(await enc('n'), 'listpack');
    // LPUSH of several elements is checked as a whole
    await c.call('DEL', 'm');
    await c.call('LPUSH', 'm', 'a', 'b', 'c', 'd', 'e');
    assert.equal(await enc('m'), 'quicklist');
    // LSET counts as one more element in 7.2's growth check (made before the index is checked)
    await c.call('RPUSH', 's', '1', '2', '3', '4');
    assert.equal(await c.call('LSET', 's', '9', 'x'), '-ERR index out of range\r\n');
    assert.equal(await enc('s'), 'quicklist');

    // growth by size: fill -1 is 4096 bytes; an empty listpack is 7 bytes
    await c.call('CONFIG', 'SET', 'list-max-listpack-size', '-1');
    await c.call('RPUSH', 'b1', 'x'.repeat(4089)); // 7 + 4089 = 4096: fits
    assert.equal(await enc('b1'), 'listpack');
    await c.call('RPUSH', 'b2', 'x'.repeat(4090));
    assert.equal(await enc('b2'), 'quicklist');
    await c.call('RPUSH', 'b1', 'y'); // the listpack is now 4100 bytes
    assert.equal(await enc('b1'), 'quicklist');
    // LMOVE's destination and COPY
    await c.call('RPUSH', 'src', 'x'.repeat(4000), 'small');
    await c.call('LMOVE', 'src', 'dst', 'RIGHT', 'LEFT');
    assert.equal(await enc('dst'), 'listpack');
    // an integer popped from a quicklist counts 0 bytes in LMOVE's growth
    // check (7.2 counts string objects only); from a listpack, its length
    await c.call('RPUSH', 'full1', 'x'.repeat(4085)); // 7 + 4089 = 4096 bytes
    await c.call('RPUSH', 'full2', 'x'.repeat(4085));
    await c.call('RPUSH', 'qsrc', 'x'.repeat(5000), '5');
    assert.equal(await enc('qsrc'), 'quicklist');
    await c.call('LMOVE', 'qsrc', 'full1', 'RIGHT', 'LEFT');
    assert.equal(await enc('full1'), 'listpack');
    await c.call('RPUSH', 'lsrc', '5');
    await c.call('LMOVE', 'lsrc', 'full2', 'RIGHT', 'LEFT');
    assert.equal(await enc('full2'), 'quicklist');
    await c.call('COPY', 'b1', 'b1copy');
    assert.equal(await enc('b1copy'), 'quicklist');

    // shrink-back hysteresis at the default 8 KB: 100-byte elements take 103
    // bytes each; pushed into a quicklist they fill a node with 79 (8144
    // bytes), the rest go to a second node
    await c.call('CONFIG', 'SET', 'list-max-listpack-size', '-2');
    await c.call('RPUSH', 'h', ...Array.from({ length: 100 }, () => 'v'.repeat(100)));
    assert.equal(await enc('h'), 'quicklist');
    await c.call('LTRIM', 'h', '0', '39'); // one node, 7 + 40 * 103 = 4127 bytes: above half (4096)
    assert.equal(await enc('h'), 'quicklist');
    await c.call('RPOP', 'h'); // 4024 bytes
    assert.equal(await enc('h'), 'listpack');
    await c.call('RPUSH', 'h', 'v'.repeat(100)); // 4127 bytes again: a listpack stays one up to 8 KB
    assert.equal(await enc('h'), 'listpack');
    for (let i = 0; i < 39; i++) await c.call('RPUSH', 'h', 'v'.repeat(100));
    assert.equal(await enc('h'), 'listpack'); // 7 + 79 * 103 = 8144 bytes
    await c.call('RPUSH', 'h', 'v'.repeat(100)); // 8144 + 100 > 8192
    assert.equal(await enc('h'), 'quicklist');
    // two nodes never convert back, however small
    await c.call('LPOP', 'h', '75'); // nodes of 4 and 1
    assert.equal(await enc('h'), 'quicklist');
    await c.call('LPOP', 'h', '4'); // one node left, of one element
    assert.equal(await enc('h'), 'listpack');
    // LREM and LINSERT
    await c.call('RPUSH', 'r', ...Array.from({ length: 60 }, () => 'w'.repeat(100)), 'x'.repeat(100));
    assert.equal(await enc('r'), 'listpack'); // 7 + 6100 bytes of strings: within 8 KB
    await c.call('RPUSH', 'r', ...Array.from({ length: 30 }, () => 'w'.repeat(100))); // nodes of 79 and 12
    assert.equal(await enc('r'), 'quicklist');
    await c.call('LREM', 'r', '0', 'w'.repeat(100)); // the first node empties and goes: one node, x
    assert.equal(await enc('r'), 'listpack');
    await c.call('LINSERT', 'r', 'BEFORE', 'nosuchpivot', 'z'.repeat(9000)); // converts though nothing is inserted
    assert.equal(await enc('r'), 'quicklist');
    assert.equal(await c.call('LLEN', 'r'), ':1\r\n');

    // list-compress-depth is accepted (no behaviour: nodes are never compressed here)
    assert.equal(await c.call('CONFIG', 'SET', 'list-compress-depth', '2'), '+OK\r\n');
    assert.equal(
      await c.call('CONFIG', 'GET', 'list-compress-depth'),
      '*2\r\n$19\r\nlist-compress-depth\r\n$1\r\n2\r\n',
    );
  } finally {
    // the limit is process-wide (types/list.ts): restore the default for the other tests
    await c.call('CONFIG', 'SET', 'list-max-listpack-size', '-2');
    c.close();
    await srv.close();
  }
});

/**
 * Hash commands: differential tests against redis-server (RESP2 and RESP3)
 * for every command and error path, encoding transitions at the thresholds
 * and through CONFIG SET, keyspace integration (TYPE, OBJECT ENCODING, SCAN
 * TYPE, COPY), and random commands compared by shape and membership.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { RawConn } from '../helpers/servers.js';

import { both as runBoth, type Step } from './strdiff.js';

const d = await Differ.start();
after(() => d?.stop());

/** Runs steps in RESP2 then RESP3 from a flushed db; a step may start with a mode ('sorted', 'shape'). */
async function both(steps: Step[]): Promise<void> {
  await runBoth(d!, steps);
}

const long = 'x'.repeat(65);

test('HSET HGET HMGET HMSET HSETNX HLEN HSTRLEN HEXISTS and their errors', async () => {
  await both([
    ['HSET', 'h', 'a', '1'],
    ['HSET', 'h', 'a', '2', 'b', '3'],
    ['HGET', 'h', 'a'],
    ['HGET', 'h', 'zz'],
    ['HGET', 'no', 'a'],
    ['HSET', 'h'],
    ['HSET', 'h', 'a'],
    ['HSET', 'h', 'a', '1', 'b'],
    ['HMSET', 'h', 'c', '4', 'd', '5'],
    ['HMSET', 'h', 'c'],
    ['HMGET', 'h', 'a', 'zz', 'c'],
    ['HMGET', 'no', 'a', 'b'],
    ['HMGET', 'h'],
    ['HSETNX', 'h', 'a', 'new'],
    ['HSETNX', 'h', 'e', 'new'],
    ['HSETNX', 'n2', 'f', 'v'],
    ['HGET', 'n2', 'f'],
    ['HLEN', 'h'],
    ['HLEN', 'no'],
    ['HSTRLEN', 'h', 'e'],
    ['HSTRLEN', 'h', 'zz'],
    ['HSTRLEN', 'no', 'a'],
    ['HEXISTS', 'h', 'a'],
    ['HEXISTS', 'h', 'zz'],
    ['HEXISTS', 'no', 'a'],
    ['HSET', 'bin', '\x00\xff', '\r\n'],
    ['HGET', 'bin', '\x00\xff'],
    ['HSET', 'e', '', ''],
    ['HGET', 'e', ''],
    ['HSTRLEN', 'e', ''],
    ['SET', 's', 'x'],
    ['HSET', 's', 'a', '1'],
    ['HGET', 's', 'a'],
    ['HMGET', 's', 'a'],
    ['HSETNX', 's', 'a', '1'],
    ['HLEN', 's'],
    ['HSTRLEN', 's', 'a'],
    ['HEXISTS', 's', 'a'],
    ['HMSET', 's', 'a', '1'],
    ['GET', 's'],
    ['@list', 'l'],
    ['HSET', 'l', 'a', '1'],
    ['HGET', 'l', 'a'],
    ['TYPE', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
  ]);
});

test('HGETALL HKEYS HVALS keep listpack order; HDEL deletes an emptied hash', async () => {
  await both([
    ['HSET', 'h', 'z', '1', 'a', '2', 'm', '3', '10', '4'],
    ['HGETALL', 'h'],
    ['HKEYS', 'h'],
    ['HVALS', 'h'],
    ['HGETALL', 'no'],
    ['HKEYS', 'no'],
    ['HVALS', 'no'],
    ['HDEL', 'h', 'a', 'zz', 'a'],
    ['HGETALL', 'h'],
    ['HDEL', 'no', 'a'],
    ['HDEL', 'h'],
    ['HDEL', 'h', 'z', 'm', '10'],
    ['EXISTS', 'h'],
    ['SET', 's', 'x'],
    ['HGETALL', 's'],
    ['HKEYS', 's'],
    ['HVALS', 's'],
    ['HDEL', 's', 'a'],
  ]);
});

test('HINCRBY and HINCRBYFLOAT: formatting, overflow and errors', async () => {
  await both([
    ['HINCRBY', 'h', 'a', '5'],
    ['HINCRBY', 'h', 'a', '-7'],
    ['HINCRBY', 'h', 'a', 'x'],
    ['HINCRBY', 'h', 'a', '1.5'],
    ['HSET', 'h', 's', 'abc', 'sp', ' 1', 'big', '9223372036854775807', 'neg', '-9223372036854775808', 'f', '1.5'],
    ['HINCRBY', 'h', 's', '1'],
    ['HINCRBY', 'h', 'sp', '1'],
    ['HINCRBY', 'h', 'big', '1'],
    ['HINCRBY', 'h', 'big', '0'],
    ['HINCRBY', 'h', 'neg', '-1'],
    ['HINCRBY', 'h', 'neg', '9223372036854775807'],
    ['HINCRBY', 'h', 'f', '1'],
    ['HINCRBY', 'h', 'n', '9007199254740993'],
    ['HINCRBY', 'h', 'n', '9007199254740993'],
    ['HINCRBYFLOAT', 'h', 'f', '0.1'],
    ['HINCRBYFLOAT', 'h', 'f', '0.2'],
    ['HINCRBYFLOAT', 'h', 'g', '3.0e3'],
    ['HINCRBYFLOAT', 'h', 'g', '-3000'],
    ['HINCRBYFLOAT', 'h', 'g', 'x'],
    ['HINCRBYFLOAT', 'h', 'g', 'inf'],
    ['HINCRBYFLOAT', 'h', 'g', 'nan'],
    ['HINCRBYFLOAT', 'h', 's', '1'],
    ['HINCRBYFLOAT', 'h', 'big', '1'],
    ['HINCRBYFLOAT', 'h', 'a', '1e308'],
    ['HINCRBYFLOAT', 'h', 'a', '1e308'],
    ['HINCRBYFLOAT', 'h', 'a', '1.7976931348623157e308'],
    ['HINCRBYFLOAT', 'h', 'z', '5.0'],
    ['sorted', 'HGETALL', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
    ['SET', 's', 'x'],
    ['HINCRBY', 's', 'a', '1'],
    ['HINCRBY', 's', 'a', 'x'],
    ['HINCRBYFLOAT', 's', 'a', '1'],
    ['HINCRBY', 'h2', long, '1'],
    ['OBJECT', 'ENCODING', 'h2'],
    ['HINCRBYFLOAT', 'h3', long, '1'],
    ['OBJECT', 'ENCODING', 'h3'],
  ]);
});

test('encodings: listpack to hashtable at the thresholds and through CONFIG SET', async () => {
  const fill = (key: string, n: number): Cmd => [
    'HSET',
    key,
    ...Array.from({ length: n }, (_, i) => ['f' + i, 'v' + i]).flat(),
  ];
  await both([
    ['CONFIG', 'GET', 'hash-max-listpack-entries'],
    ['CONFIG', 'GET', 'hash-max-listpack-value'],
    fill('a', 512),
    ['OBJECT', 'ENCODING', 'a'],
    ['HSET', 'a', 'f0', 'again'],
    ['OBJECT', 'ENCODING', 'a'],
    ['HSET', 'a', 'new', '1'],
    ['OBJECT', 'ENCODING', 'a'],
    ['HDEL', 'a', 'new', 'f1', 'f2'],
    ['OBJECT', 'ENCODING', 'a'],
    ['HLEN', 'a'],
    ['HSET', 'b', 'x'.repeat(64), 'y'.repeat(64)],
    ['OBJECT', 'ENCODING', 'b'],
    ['HSET', 'b', 'k', long],
    ['OBJECT', 'ENCODING', 'b'],
    ['HSET', 'c', long, '1'],
    ['OBJECT', 'ENCODING', 'c'],
    ['HSET', 'c2', 'a', '1'],
    ['HSETNX', 'c2', 'a', long],
    ['OBJECT', 'ENCODING', 'c2'],
    ['HSETNX', 'c2', 'b', long],
    ['OBJECT', 'ENCODING', 'c2'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
    ['CONFIG', 'SET', 'hash-max-listpack-value', '4'],
    ['HSET', 'd', 'a', '1', 'b', '2'],
    ['OBJECT', 'ENCODING', 'd'],
    ['HSET', 'd', 'c', '3'],
    ['OBJECT', 'ENCODING', 'd'],
    ['HSET', 'e', 'abcd', 'abcd'],
    ['OBJECT', 'ENCODING', 'e'],
    ['HSET', 'e', 'abcde', '1'],
    ['OBJECT', 'ENCODING', 'e'],
    ['sorted', 'HGETALL', 'd'],
    ['sorted', 'HKEYS', 'e'],
    ['HDEL', 'd', 'a', 'b'],
    ['OBJECT', 'ENCODING', 'd'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'],
    ['HSET', 'z', 'a', '1'],
    ['OBJECT', 'ENCODING', 'z'],
    ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
    ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
    ['sorted', 'HGETALL', 'a'],
    ['sorted', 'HVALS', 'a'],
    ['HGET', 'a', 'f0'],
    ['HLEN', 'a'],
  ]);
});

test('a job hash (short fields beside a long value): a hashtable to Redis through its life, packed here while small', async () => {
  // (tsdis keeps such a hash as one packed string, "wide", until it outgrows 1 KB a value or 4 KB in all)
  await both([
    ['HSET', 'j', 'name', 'job', 'data', 'p'.repeat(300), 'opts', '{"a":1}', 'timestamp', '1733400000000'],
    ['OBJECT', 'ENCODING', 'j'],
    ['HGET', 'j', 'data'],
    ['HLEN', 'j'],
    ['HMGET', 'j', 'name', 'opts', 'nope'],
    ['HINCRBY', 'j', 'attemptsMade', '1'],
    ['HINCRBYFLOAT', 'j', 'progress', '0.5'],
    ['HSET', 'j', 'processedOn', '1733400000100'],
    ['HSETNX', 'j', 'name', 'x'],
    ['HSTRLEN', 'j', 'data'],
    ['HEXISTS', 'j', 'opts'],
    ['sorted', 'HGETALL', 'j'],
    ['HDEL', 'j', 'data'],
    ['OBJECT', 'ENCODING', 'j'],
    ['HSET', 'j', 'data', 'short'],
    ['OBJECT', 'ENCODING', 'j'],
    ['HSET', 'j', 'big', 'q'.repeat(2000)],
    ['OBJECT', 'ENCODING', 'j'],
    ['HSTRLEN', 'j', 'big'],
    ['sorted', 'HKEYS', 'j'],
    // one at a time past 4 KB in all
    [
      'HSET',
      'k',
      'a',
      'v'.repeat(900),
      'b',
      'w'.repeat(900),
      'c',
      'x'.repeat(900),
      'd',
      'y'.repeat(900),
      'e',
      'z'.repeat(900),
    ],
    ['OBJECT', 'ENCODING', 'k'],
    ['HLEN', 'k'],
    ['HGET', 'k', 'e'],
    ['HSET', 'm', 'a', '1'],
    ['HSET', 'm', 'b', 'v'.repeat(65)],
    ['OBJECT', 'ENCODING', 'm'],
    ...Array.from({ length: 6 }, (_, i): Cmd => ['HSET', 'm', 'f' + i, 'u'.repeat(700)]),
    ['OBJECT', 'ENCODING', 'm'],
    ['HLEN', 'm'],
    ['sorted', 'HVALS', 'm'],
    ['COPY', 'j', 'j2'],
    ['OBJECT', 'ENCODING', 'j2'],
    ['sorted', 'HGETALL', 'j2'],
    ['RENAME', 'm', 'm2'],
    ['OBJECT', 'ENCODING', 'm2'],
    ['DEBUG', 'RELOAD'],
    ['OBJECT', 'ENCODING', 'j'],
    ['sorted', 'HGETALL', 'j'],
    ['HLEN', 'm2'],
  ]);
});

test('a wide hash (packed, a hashtable to Redis): HSCAN pages it, DUMP and RESTORE keep it, a field TTL makes it a table (tsdis alone)', async () => {
  d!.unrecorded();
  const c = await RawConn.connect(d!.tsdis.port);
  try {
    const fields = Array.from({ length: 30 }, (_, i) => ['f' + i, i === 0 ? 'p'.repeat(200) : 'v' + i]).flat();
    assert.equal(await c.call('HSET', 'w', ...fields), ':30\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'w'), '$9\r\nhashtable\r\n');
    // HSCAN: a cursor and COUNT-sized pages, as over Redis's dict, every field once
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const r = decode(await c.call('HSCAN', 'w', cursor, 'COUNT', '5')) as [string, string[]];
      cursor = r[0];
      for (let i = 0; i < r[1].length; i += 2) seen.add(r[1][i]!);
      calls++;
    } while (cursor !== '0' && calls < 100);
    assert.equal(seen.size, 30);
    assert.ok(calls > 1, 'paged');
    assert.equal(await c.call('HSET', 'w2', 'a', '1', 'b', 'q'.repeat(100)), ':2\r\n');
    const payload = decode(await c.call('DUMP', 'w2')) as string;
    assert.equal(payload.charCodeAt(0), 4, 'a wide hash is dumped as RDB_TYPE_HASH');
    assert.equal(await c.call('RESTORE', 'w3', '0', Buffer.from(payload, 'latin1')), '+OK\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'w3'), '$9\r\nhashtable\r\n');
    assert.equal(await c.call('HGET', 'w3', 'b'), `$100\r\n${'q'.repeat(100)}\r\n`);
    assert.deepEqual(await c.call('HEXPIRE', 'w2', '100', 'FIELDS', '1', 'a'), '*1\r\n:1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'w2'), '$9\r\nhashtable\r\n');
    assert.match(await c.call('HTTL', 'w2', 'FIELDS', '2', 'a', 'b'), /^\*2\r\n:(100|99)\r\n:-1\r\n$/);
    assert.equal(await c.call('HGET', 'w2', 'b'), `$100\r\n${'q'.repeat(100)}\r\n`);
  } finally {
    c.close();
  }
});

test('hashtable hashes: every command (unordered replies compared sorted)', async () => {
  const big: Cmd = ['HSET', 'h', ...Array.from({ length: 600 }, (_, i) => ['k' + i, String(i)]).flat()];
  await both([
    big,
    ['OBJECT', 'ENCODING', 'h'],
    ['HLEN', 'h'],
    ['HGET', 'h', 'k7'],
    ['HMGET', 'h', 'k1', 'no', 'k599'],
    ['sorted', 'HGETALL', 'h'],
    ['sorted', 'HKEYS', 'h'],
    ['sorted', 'HVALS', 'h'],
    ['HINCRBY', 'h', 'k3', '10'],
    ['HINCRBYFLOAT', 'h', 'k4', '0.5'],
    ['HSTRLEN', 'h', 'k4'],
    ['HEXISTS', 'h', 'k5'],
    ['HSETNX', 'h', 'k5', 'x'],
    ['HDEL', 'h', ...Array.from({ length: 599 }, (_, i) => 'k' + i)],
    ['HGETALL', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
    ['HDEL', 'h', 'k599'],
    ['EXISTS', 'h'],
  ]);
});

test('HRANDFIELD: counts, WITHVALUES, errors (random replies by shape)', async () => {
  await both([
    ['HRANDFIELD', 'no'],
    ['HRANDFIELD', 'no', '3'],
    ['HRANDFIELD', 'no', '3', 'WITHVALUES'],
    ['HRANDFIELD', 'no', 'x'],
    ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
    ['shape', 'HRANDFIELD', 'h'],
    ['HRANDFIELD', 'h', '0'],
    ['HRANDFIELD', 'h', '0', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '3'],
    ['HRANDFIELD', 'h', '10', 'withvalues'],
    ['shape', 'HRANDFIELD', 'h', '2'],
    ['shape', 'HRANDFIELD', 'h', '2', 'WITHVALUES'],
    ['shape', 'HRANDFIELD', 'h', '-5'],
    ['shape', 'HRANDFIELD', 'h', '-5', 'WITHVALUES'],
    ['HRANDFIELD', 'h', 'x'],
    ['HRANDFIELD', 'h', '1', 'foo'],
    ['HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'],
    ['HRANDFIELD', 'h', '-9223372036854775808'],
    ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '99999999999999999999'],
    ['SET', 's', 'x'],
    ['HRANDFIELD', 's'],
    ['HRANDFIELD', 's', '1'],
    ['HRANDFIELD', 's', 'x'],
  ]);
  // Membership and uniqueness of random picks, small and big encodings.
  for (const n of [5, 300]) {
    await d!.reset();
    const pairs = Array.from({ length: n }, (_, i) => ['f' + i, 'v' + i]).flat();
    await d!.a.call('HSET', 'h', ...pairs);
    for (const [count, wv] of [
      [3, false],
      [n - 1, true],
      [-20, true],
      [-7, false],
    ] as const) {
      const r = decode(await d!.a.call('HRANDFIELD', 'h', String(count), ...(wv ? ['WITHVALUES'] : []))) as string[];
      const fields = wv ? r.filter((_, i) => i % 2 === 0) : r;
      assert.equal(fields.length, Math.abs(count));
      for (const f of fields) assert.match(f, /^f\d+$/);
      if (wv) for (let i = 0; i < r.length; i += 2) assert.equal(r[i + 1], 'v' + r[i]!.slice(1));
      if (count > 0) assert.equal(new Set(fields).size, fields.length);
    }
  }
  await d!.reset();
});

test('HSCAN: small hashes in one call, errors, MATCH, COUNT; a full scan of a hashtable', async () => {
  await both([
    ['HSCAN', 'no', '0'],
    ['HSCAN', 'no', '0', 'COUNT', '0'],
    ['HSCAN', 'no', 'x'],
    ['HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3'],
    ['HSCAN', 'h', '0'],
    ['HSCAN', 'h', '0', 'MATCH', 'a*'],
    ['HSCAN', 'h', '5', 'COUNT', '1'],
    ['HSCAN', 'h', 'x'],
    ['HSCAN', 'h', '-1'],
    ['HSCAN', 'h', '0', 'COUNT', '0'],
    ['HSCAN', 'h', '0', 'COUNT', 'x'],
    ['HSCAN', 'h', '0', 'TYPE', 'string'],
    ['HSCAN', 'h', '0', 'MATCH'],
    ['HSCAN', 'h', '0', 'FOO', 'bar'],
    ['SET', 's', 'x'],
    ['HSCAN', 's', '0'],
    ['HSCAN', 's', 'x'],
  ]);
  await d!.reset();
  const fields = Array.from({ length: 1000 }, (_, i) => 'f' + i);
  await d!.a.call('HSET', 'h', ...fields.flatMap((f) => [f, 'v']));
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, items] = decode(await d!.a.call('HSCAN', 'h', cursor, 'COUNT', '50')) as [string, string[]];
    for (let i = 0; i < items.length; i += 2) seen.add(items[i]!);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  assert.equal(seen.size, 1000);
  assert.ok(calls >= 20);
  await d!.reset();
});

test('keyspace integration: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME, keyspace events', async () => {
  await both([
    ['HSET', 'h', 'a', '1'],
    ['TYPE', 'h'],
    ['SET', 'str', 'x'],
    ['SCAN', '0', 'TYPE', 'hash'],
    ['COPY', 'h', 'h2'],
    ['HSET', 'h2', 'b', '2'],
    ['HGETALL', 'h'],
    ['HGETALL', 'h2'],
    ['OBJECT', 'ENCODING', 'h2'],
    ['RENAME', 'h2', 'h3'],
    ['HGETALL', 'h3'],
    ['EXPIRE', 'h', '100'],
    ['HSET', 'h', 'c', '3'],
    ['TTL', 'h'],
    ['HDEL', 'h', 'a', 'c'],
    ['TTL', 'h'],
  ]);
  // COPY of a hashtable hash is independent.
  const big = Array.from({ length: 600 }, (_, i) => ['k' + i, 'v']).flat();
  await both([
    ['HSET', 'h', ...big],
    ['COPY', 'h', 'c'],
    ['HDEL', 'c', 'k1'],
    ['HLEN', 'h'],
    ['HLEN', 'c'],
    ['OBJECT', 'ENCODING', 'c'],
  ]);
});

/**
 * Keyspace commands, differential against redis-server in RESP2 and RESP3:
 * every reply byte for byte, error texts included. Replies that depend on
 * time or randomness are compared by value ranges or by shape.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { sleep, untilEqual } from '../helpers/wait.js';

import type { Conn } from '../helpers/golden.js';

const d = await Differ.start();
after(() => d?.stop());

/** Resets both servers and selects the protocol (HELLO replies differ, so they are not compared). */
async function fresh(proto: 2 | 3): Promise<void> {
  await d!.reset();
  if (proto === 3) await d!.both(['HELLO', '3']);
}

/** Runs cmds on both and returns the decoded tsdis replies (after asserting equality). */
async function same(cmds: Cmd[]): Promise<void> {
  await d!.same(cmds);
}

before(async () => {
  if (d) await d.reset();
});

for (const proto of [2, 3] as const) {
  test(`RESP${proto}: DEL UNLINK EXISTS TYPE TOUCH DBSIZE RANDOMKEY`, async () => {
    await fresh(proto);
    await same([
      ['RANDOMKEY'],
      ['DBSIZE'],
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['SET', 'c', 'x'],
      ['EXISTS', 'a'],
      ['EXISTS', 'a', 'a', 'b', 'nope'],
      ['TYPE', 'a'],
      ['TYPE', 'nope'],
      ['TOUCH', 'a', 'b', 'nope', 'a'],
      ['DBSIZE'],
      ['DEL', 'a', 'nope', 'a'],
      ['UNLINK', 'b', 'c', 'zz'],
      ['DEL', 'a'],
      ['EXISTS', 'a', 'b', 'c'],
      ['DBSIZE'],
      ['SET', 'only', 'v'],
      ['RANDOMKEY'],
      ['DEL'],
      ['UNLINK'],
      ['EXISTS'],
      ['TYPE'],
      ['TYPE', 'a', 'b'],
      ['TOUCH'],
      ['RANDOMKEY', 'x'],
      ['DBSIZE', 'x'],
    ]);
  });

  test(`RESP${proto}: RENAME and RENAMENX`, async () => {
    await fresh(proto);
    await same([
      ['RENAME', 'nope', 'x'],
      ['RENAMENX', 'nope', 'x'],
      ['SET', 'a', 'va'],
      ['RENAME', 'a', 'a'],
      ['RENAMENX', 'a', 'a'],
      ['RENAME', 'a', 'b'],
      ['GET', 'a'],
      ['GET', 'b'],
      ['SET', 'c', 'vc'],
      ['RENAMENX', 'b', 'c'],
      ['RENAMENX', 'b', 'd'],
      ['GET', 'd'],
      ['RENAME', 'd', 'c'],
      ['GET', 'c'],
      ['EXISTS', 'b', 'd'],
      // The TTL moves with the value; a TTL on the overwritten key is gone.
      ['SET', 't', 'v'],
      ['EXPIRE', 't', '1000'],
      ['SET', 'u', 'v2'],
      ['EXPIRE', 'u', '5000'],
      ['RENAME', 't', 'u'],
      ['TTL', 'u'],
      ['TTL', 't'],
      ['SET', 'p', 'v'],
      ['RENAME', 'u', 'p'],
      ['TTL', 'p'],
      ['SET', 'q', 'no-ttl'],
      ['EXPIRE', 'p', '100'],
      ['RENAME', 'q', 'p'],
      ['TTL', 'p'],
      ['RENAME', 'a'],
      ['RENAMENX', 'a', 'b', 'c'],
    ]);
  });

  test(`RESP${proto}: MOVE, COPY and SWAPDB across databases`, async () => {
    await fresh(proto);
    await same([
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '100'],
      ['MOVE', 'k', '0'],
      ['MOVE', 'k', '16'],
      ['MOVE', 'k', '-1'],
      ['MOVE', 'k', 'x'],
      ['MOVE', 'k', '2147483648'],
      ['MOVE', 'k', '99999999999999999999'],
      ['MOVE', 'nope', '1'],
      ['MOVE', 'k', '1'],
      ['EXISTS', 'k'],
      ['SELECT', '1'],
      ['GET', 'k'],
      ['TTL', 'k'],
      ['SET', 'k2', 'other'],
      ['SELECT', '0'],
      ['SET', 'k2', 'mine'],
      ['MOVE', 'k2', '1'],
      ['GET', 'k2'],
      // COPY
      ['COPY', 'k2', 'k2'],
      ['COPY', 'k2', 'k2', 'DB', '0'],
      ['COPY', 'nope', 'x'],
      ['COPY', 'k2', 'k3'],
      ['GET', 'k3'],
      ['COPY', 'k2', 'k3'],
      ['SET', 'k2', 'changed'],
      ['COPY', 'k2', 'k3', 'REPLACE'],
      ['GET', 'k3'],
      ['COPY', 'k2', 'k2', 'DB', '1'],
      ['COPY', 'k2', 'k2', 'DB', '1', 'REPLACE'],
      ['COPY', 'k2', 'x', 'DB'],
      ['COPY', 'k2', 'x', 'DB', 'y'],
      ['COPY', 'k2', 'x', 'DB', '16'],
      ['COPY', 'k2', 'x', 'DB', '-1'],
      ['COPY', 'k2', 'x', 'DB', '4294967296'],
      ['COPY', 'k2', 'x', 'DB', '4294967297'],
      ['COPY', 'k2', 'x', 'FOO'],
      ['COPY', 'k2', 'x', 'DB', '16', 'FOO'],
      ['COPY', 'k2', 'x', 'REPLACE', 'REPLACE'],
      ['SET', 'big', '12345678901234567890123'],
      ['COPY', 'big', 'big2'],
      ['GET', 'big2'],
      ['SET', 'n', '42'],
      ['COPY', 'n', 'n2', 'DB', '2'],
      ['SELECT', '1'],
      ['GET', 'k2'],
      ['SELECT', '0'],
      ['EXPIRE', 'k2', '500'],
      ['COPY', 'k2', 'withttl'],
      ['TTL', 'withttl'],
      ['COPY', 'k2'],
      // SWAPDB
      ['SWAPDB', '0', '1'],
      ['GET', 'k'],
      ['GET', 'k2'],
      ['DBSIZE'],
      ['SWAPDB', '0', '0'],
      ['SWAPDB', '1', '0'],
      ['GET', 'k'],
      ['SWAPDB', 'a', '0'],
      ['SWAPDB', '0', 'b'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '-1', '0'],
      ['SWAPDB', '4294967296', '0'],
      ['SWAPDB', '0', '4294967296'],
      ['SWAPDB', '0'],
    ]);
  });

  test(`RESP${proto}: FLUSHDB and FLUSHALL`, async () => {
    await fresh(proto);
    await same([
      ['SET', 'a', '1'],
      ['SELECT', '3'],
      ['SET', 'b', '1'],
      ['FLUSHDB', 'FOO'],
      ['FLUSHDB', 'ASYNC', 'SYNC'],
      ['FLUSHDB', 'sync'],
      ['DBSIZE'],
      ['SELECT', '0'],
      ['DBSIZE'],
      ['SET', 'c', '1'],
      ['SELECT', '5'],
      ['SET', 'd', '1'],
      ['FLUSHALL', 'bar'],
      ['FLUSHALL', 'async'],
      ['DBSIZE'],
      ['SELECT', '0'],
      ['DBSIZE'],
      ['SET', 'e', '1'],
      ['FLUSHALL', 'SYNC'],
      ['DBSIZE'],
      ['SET', 'f', '1'],
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['KEYS', '*'],
    ]);
  });

  test(`RESP${proto}: EXPIRE family options, errors and overflow`, async () => {
    await fresh(proto);
    await same([
      ['SET', 'k', 'v'],
      ['EXPIRE', 'nope', '10'],
      ['EXPIRE', 'nope', 'abc'],
      ['EXPIRE', 'k', 'abc'],
      ['EXPIRE', 'k', '10', 'foo'],
      ['EXPIRE', 'k', 'abc', 'foo'],
      ['EXPIRE', 'k', '10', 'NX', 'XX'],
      ['EXPIRE', 'k', '10', 'nx', 'gt'],
      ['EXPIRE', 'k', '10', 'NX', 'LT'],
      ['EXPIRE', 'k', '10', 'GT', 'LT'],
      ['EXPIRE', 'k', '10', 'XX', 'GT', 'LT'],
      ['EXPIRE', 'k', '10', 'XX'],
      ['EXPIRE', 'k', '10', 'GT'],
      ['EXPIRE', 'k', '10', 'LT'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '20', 'NX'],
      ['EXPIRE', 'k', '20', 'XX'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '10', 'GT'],
      ['EXPIRE', 'k', '30', 'GT'],
      ['EXPIRE', 'k', '40', 'LT'],
      ['EXPIRE', 'k', '15', 'LT'],
      ['EXPIRE', 'k', '15', 'lt', 'xx', 'lt'],
      ['TTL', 'k'],
      ['PERSIST', 'k'],
      ['PERSIST', 'k'],
      ['PERSIST', 'nope'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '10', 'NX', 'NX'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '9223370399119966'],
      ['EXPIRE', 'k', '-9223372036854775808'],
      ['EXPIRE', 'k', '9223372036854775'],
      ['EXPIRE', 'k', '9223372036854776'],
      ['EXPIRE', 'k', '-9223372036854776'],
      ['PEXPIRE', 'k', '9223372036854775807'],
      ['EXPIREAT', 'k', '9223372036854776'],
      ['EXPIRE', 'k', '99999999999999999999'],
      ['PEXPIREAT', 'k', '9223372036854770000'],
      ['PEXPIRETIME', 'k'],
      ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '9223372036854775807'],
      ['PEXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '4000000000'],
      ['EXPIRETIME', 'k'],
      ['PEXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '4000000000123'],
      ['PEXPIRETIME', 'k'],
      ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '4000000000499'],
      ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '4000000000500'],
      ['EXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '4000000001', 'LT'],
      ['EXPIREAT', 'k', '3000000001', 'LT'],
      ['EXPIRETIME', 'k'],
      // either side of 10^12 (tsdis computes in doubles up to it, in BigInt beyond), and
      // times compared with a TTL beyond 2^53 ms
      ['EXPIREAT', 'k', '1000000000000'],
      ['PEXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '1000000000001'],
      ['PEXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '1000000000000'],
      ['PEXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '9223372036854775807'],
      ['EXPIREAT', 'k', '4000000000', 'GT'],
      ['EXPIREAT', 'k', '4000000000', 'LT'],
      ['PEXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '9007199254740993'],
      ['PEXPIREAT', 'k', '9007199254740992', 'GT'],
      ['PEXPIREAT', 'k', '9007199254740994', 'LT'],
      ['PEXPIRETIME', 'k'],
      ['EXPIRE', 'k', '999999999999', 'GT'],
      ['PEXPIRETIME', 'k'],
      ['TTL', 'nope'],
      ['PTTL', 'nope'],
      ['EXPIRETIME', 'nope'],
      ['PEXPIRETIME', 'nope'],
      ['SET', 'n', 'v'],
      ['TTL', 'n'],
      ['PTTL', 'n'],
      ['EXPIRETIME', 'n'],
      ['PEXPIRETIME', 'n'],
      // A time in the past deletes the key at once.
      ['EXPIRE', 'n', '-1'],
      ['EXISTS', 'n'],
      ['SET', 'n', 'v'],
      ['PEXPIRE', 'n', '0'],
      ['EXISTS', 'n'],
      ['SET', 'n', 'v'],
      ['EXPIREAT', 'n', '1000'],
      ['EXISTS', 'n'],
      ['SET', 'n', 'v'],
      ['PEXPIREAT', 'n', '-9223372036854770000'],
      ['TTL', 'n'],
      ['SET', 'n', 'v'],
      ['EXPIRE', 'n', '-1', 'XX'],
      ['EXISTS', 'n'],
      ['EXPIRE', 'n', '-1', 'LT'],
      ['EXISTS', 'n'],
      // SET clears the TTL
      ['EXPIRE', 'n', '100'],
      ['SET', 'n', 'w'],
      ['TTL', 'n'],
      ['EXPIRE', 'k'],
      ['PEXPIRE', 'k'],
      ['TTL'],
      ['PERSIST'],
      ['EXPIRETIME', 'a', 'b'],
    ]);
  });

  test(`RESP${proto}: TTL and PTTL of relative expiries`, async () => {
    await fresh(proto);
    await same([
      ['SET', 'k', 'v'],
      ['PEXPIRE', 'k', '100000'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '50'],
      ['TTL', 'k'],
    ]);
    // (the reference's reply recorded as whether it is in range: it moves with the clock)
    const pttl = (r: string) => (Number(decode(r)) > 49000 && Number(decode(r)) <= 50000 ? 'in range' : r);
    for (const r of await d.bothView(pttl, ['PTTL', 'k'])) assert.equal(r, 'in range');
    const now = Date.now();
    const at = (r: string) => (Math.abs(Number(decode(r)) - (now + 50000)) < 1000 ? 'in range' : r);
    for (const r of await d.bothView(at, ['PEXPIRETIME', 'k'])) assert.equal(r, 'in range');
  });

  test(`RESP${proto}: OBJECT`, async () => {
    await fresh(proto);
    await same([
      ['SET', 'int', '12345'],
      ['SET', 'small', '5'],
      ['SET', 'zero', '0'],
      ['SET', 'edge', '9999'],
      ['SET', 'edge2', '10000'],
      ['SET', 'neg', '-5'],
      ['SET', 'lead', '007'],
      ['SET', 'big', '9223372036854775807'],
      ['SET', 'bigger', '9223372036854775808'],
      ['SET', 'emb', 'x'.repeat(44)],
      ['SET', 'raw', 'x'.repeat(45)],
      ['SET', 'empty', ''],
      ...[
        'int',
        'small',
        'zero',
        'edge',
        'edge2',
        'neg',
        'lead',
        'big',
        'bigger',
        'emb',
        'raw',
        'empty',
        'nope',
      ].flatMap((k) => [
        ['OBJECT', 'ENCODING', k],
        ['OBJECT', 'REFCOUNT', k],
      ]),
      ['OBJECT', 'IDLETIME', 'nope'],
      ['OBJECT', 'FREQ', 'int'],
      ['OBJECT', 'FREQ', 'nope'],
      ['OBJECT', 'HELP'],
      ['object', 'help'],
      ['OBJECT', 'HELP', 'x'],
      ['OBJECT', 'foo'],
      ['OBJECT', 'foo', 'bar'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'ENCODING', 'a', 'b'],
      ['OBJECT'],
    ]);
  });

  test(`RESP${proto}: KEYS`, async () => {
    await fresh(proto);
    const keys = [
      'foo',
      'foobar',
      'fo',
      'f',
      'bar',
      'a*b',
      'a?b',
      'a[b',
      'h\\llo',
      'hello',
      'hallo',
      'hxllo',
      'Hello',
      'x-y',
      ']',
      '^',
      'é\xff',
      'a\0b',
      '',
    ];
    for (const k of keys) await d!.both(['SET', k, 'v']);
    const patterns = [
      '*',
      '**',
      'f*',
      '*o',
      'f?',
      '???',
      'h[ae]llo',
      'h[^e]llo',
      'h[a-b]llo',
      'h[b-a]llo',
      'a\\*b',
      'a\\?b',
      'a[[]b',
      'a[\\[]b',
      '[]]',
      '[^]',
      '[\\]]',
      'h\\\\llo',
      '*\\',
      'H*',
      '\xff*',
      '*\xff',
      'a?b',
      'a\0*',
      '',
      '[',
      'a[',
      'a[b',
      'fo[o',
      '[a-]',
      'x[-]y',
      'x[--z]y',
    ];
    for (const p of patterns) await d!.same([['KEYS', p]], 'sorted');
    await same([['KEYS'], ['KEYS', 'a', 'b']]);
  });
}

test('SCAN iterates every key (MATCH, COUNT, TYPE) and parses cursors as redis-server', async () => {
  await fresh(2);
  const all: string[] = [];
  for (let i = 0; i < 300; i++) all.push(`key:${i}`, `other:${i}`);
  await d!.a.call('MSET', ...all.flatMap((k) => [k, 'v']));
  await d!.b.call('MSET', ...all.flatMap((k) => [k, 'v']));
  const collect = async (conn: Conn, extra: string[]): Promise<string[]> => {
    const seen = new Set<string>();
    let cursor = '0';
    for (let guard = 0; guard < 10000; guard++) {
      const r = decode(await conn.call('SCAN', cursor, ...extra)) as [string, string[]];
      for (const k of r[1]) seen.add(k);
      cursor = r[0];
      if (cursor === '0') break;
    }
    return [...seen].sort();
  };
  if (decode(await d!.a.call('DBSIZE')) !== 600) {
    // MSET may not exist yet: fall back to SET.
    for (const k of all) await d!.both(['SET', k, 'v']);
  }
  for (const extra of [
    [],
    ['COUNT', '7'],
    ['MATCH', 'key:1*'],
    ['MATCH', 'key:1*', 'COUNT', '1000'],
    ['TYPE', 'string'],
    ['TYPE', 'STRING', 'COUNT', '3'],
    ['TYPE', 'list'],
    ['MATCH', '*', 'TYPE', 'string', 'COUNT', '50'],
    ['MATCH', 'nomatch*'],
  ]) {
    // (the reference's cursors follow its random hash seed: only the keys it returned are recorded)
    const [x, y] = await Promise.all([collect(d.a, extra), d.onReference((c) => collect(c, extra))]);
    assert.deepEqual(x, y, `SCAN ${extra.join(' ')}`);
  }
  await d!.same([
    ['SCAN', 'x'],
    ['SCAN', ' 1'],
    ['SCAN', '1 '],
    ['SCAN', '+'],
    ['SCAN', '18446744073709551616'],
    ['SCAN', '0', 'COUNT', '0'],
    ['SCAN', '0', 'COUNT', '-1'],
    ['SCAN', '0', 'COUNT', 'x'],
    ['SCAN', '0', 'COUNT'],
    ['SCAN', '0', 'MATCH'],
    ['SCAN', '0', 'TYPE'],
    ['SCAN', '0', 'FOO', 'bar'],
    ['SCAN'],
  ]);
  // Whole-database single steps end with cursor 0, like redis-server.
  await d!.same([['SCAN', '0', 'COUNT', '100000']], 'sorted');
  await d!.same([['SCAN', '', 'COUNT', '100000']], 'sorted');
  await d!.same([['SCAN', '-0', 'COUNT', '100000']], 'sorted');
  await d!.same([['SCAN', '+0', 'COUNT', '100000']], 'sorted');
  await d!.both(['HELLO', '3']);
  await d!.same([['SCAN', '0', 'MATCH', 'key:29?', 'COUNT', '100000']], 'sorted');
  await d!.same([['SCAN', '0', 'COUNT', '0']]);
});

test('SCAN returns every key present throughout while keys are added and deleted', async () => {
  await fresh(2);
  const conn = d!.a;
  for (let i = 0; i < 200; i++) await conn.call('SET', `s${i}`, 'v');
  const seen = new Set<string>();
  let cursor = '0';
  let step = 0;
  do {
    const r = decode(await conn.call('SCAN', cursor, 'COUNT', '5')) as [string, string[]];
    for (const k of r[1]) seen.add(k);
    cursor = r[0];
    // churn: delete keys 100..199 progressively and add new ones
    await conn.call('DEL', `s${100 + step}`);
    await conn.call('SET', `new${step}`, 'v');
    step++;
  } while (cursor !== '0' && step < 1000);
  for (let i = 0; i < 100; i++) assert.ok(seen.has(`s${i}`), `s${i} missed`);
});

test('lazy expiry with real short TTLs', async () => {
  await fresh(2);
  // Stop active expiry on both so only lookups can expire.
  d!.tsdis.server.activeExpire.enabled = false;
  await d!.b.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  try {
    await d!.same([
      ['SET', 'a', '1'],
      ['SET', 'b', '1'],
      ['SET', 'c', '1'],
      ['SET', 'd', '1'],
      ['PEXPIRE', 'a', '30'],
      ['PEXPIRE', 'b', '30'],
      ['PEXPIRE', 'c', '30'],
      ['PEXPIRE', 'd', '30'],
    ]);
    await sleep(80); // a sleep on purpose: past the 30 ms TTLs (a read would expire the keys)
    await d!.same([
      ['DBSIZE'],
      ['KEYS', '*'],
      ['DBSIZE'],
      ['GET', 'a'],
      ['DBSIZE'],
      ['EXISTS', 'b'],
      ['TTL', 'c'],
      ['TYPE', 'd'],
      ['DBSIZE'],
      ['RANDOMKEY'],
    ]);
    await d!.same([
      ['SET', 'x', '1'],
      ['PEXPIRE', 'x', '30'],
      ['SET', 'y', '1'],
    ]);
    await sleep(80); // a sleep on purpose: past x's 30 ms TTL (a read would expire it)
    await d!.same([
      ['RENAME', 'x', 'z'],
      ['COPY', 'x', 'z'],
      ['MOVE', 'x', '1'],
      ['PERSIST', 'x'],
      ['EXPIRE', 'x', '100'],
      ['OBJECT', 'ENCODING', 'x'],
      ['SCAN', '0'],
      ['DBSIZE'],
    ]);
  } finally {
    d!.tsdis.server.activeExpire.enabled = true;
    await d!.b.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  }
});

test('active expiry removes keys nobody touches', async () => {
  await fresh(2);
  for (let i = 0; i < 500; i++) {
    await d!.a.call('SET', `e${i}`, 'v', 'PX', '50').catch(() => undefined);
  }
  // SET PX may not exist yet: use PEXPIRE.
  for (let i = 0; i < 500; i++) await d!.a.call('PEXPIRE', `e${i}`, '50');
  for (let i = 0; i < 20; i++) await d!.a.call('SET', `keep${i}`, 'v');
  await untilEqual('DBSIZE once the active expiry ran', async () => Number(decode(await d!.a.call('DBSIZE'))), 20);
  assert.ok(d!.tsdis.server.stats.expiredKeys >= 500);
});

test('OBJECT FREQ and IDLETIME follow maxmemory-policy', async () => {
  await fresh(2);
  const t = d!.tsdis.server.config;
  t.set('maxmemory-policy', 'allkeys-lfu');
  await d!.b.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
  try {
    await d!.same([
      ['SET', 'k', 'v'],
      ['OBJECT', 'FREQ', 'k'],
      ['GET', 'k'],
      ['OBJECT', 'FREQ', 'k'],
      ['OBJECT', 'FREQ', 'nope'],
      ['OBJECT', 'IDLETIME', 'k'],
      ['OBJECT', 'IDLETIME', 'nope'],
      ['SET', 'n', '7'],
      ['OBJECT', 'REFCOUNT', 'n'],
    ]);
  } finally {
    t.set('maxmemory-policy', 'noeviction');
    await d!.b.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  }
  await d!.same([['OBJECT', 'FREQ', 'k']]);
  // Idle times tick with the wall clock (1 s resolution): compare the reply type only.
  await d!.same(
    [
      ['OBJECT', 'IDLETIME', 'k'],
      ['OBJECT', 'IDLETIME', 'int'],
    ],
    'shape',
  );
});

test('keyspace hits and misses are counted as redis-server counts them', async () => {
  await fresh(2);
  await d!.both(['CONFIG', 'RESETSTAT']);
  d!.tsdis.server.stats.reset();
  const cmds: Cmd[] = [
    ['SET', 'a', '1'],
    ['SET', 'b', '2'],
    ['EXISTS', 'a', 'x'],
    ['TYPE', 'a'],
    ['TYPE', 'x'],
    ['TTL', 'a'],
    ['TTL', 'x'],
    ['PTTL', 'a'],
    ['EXPIRETIME', 'x'],
    ['TOUCH', 'a', 'x'],
    ['OBJECT', 'ENCODING', 'a'],
    ['OBJECT', 'ENCODING', 'x'],
    ['OBJECT', 'REFCOUNT', 'a'],
    ['RENAME', 'a', 'c'],
    ['RENAME', 'x', 'y'],
    ['COPY', 'c', 'd'],
    ['COPY', 'x', 'd'],
    ['MOVE', 'c', '1'],
    ['MOVE', 'x', '1'],
    ['EXPIRE', 'b', '100'],
    ['EXPIRE', 'x', '100'],
    ['PERSIST', 'b'],
    ['PERSIST', 'x'],
    ['DEL', 'b', 'x'],
    ['KEYS', '*'],
    ['RANDOMKEY'],
    ['GET', 'd'],
    ['GET', 'zz'],
  ];
  for (const c of cmds) await d!.both(c);
  const pick = (s: string) => s.split('\r\n').filter((l) => /^keyspace_(hits|misses):/.test(l));
  const [x, y] = await d.bothView(pick, ['INFO', 'stats']);
  assert.equal(y.length, 2);
  assert.deepEqual(x, y);
});

test('keyspace events: the same generic events, keys and dbs as redis-server', async () => {
  await fresh(2);
  const sub = await d.ref();
  await d!.b.call('CONFIG', 'SET', 'notify-keyspace-events', 'Egx');
  const server = d!.tsdis.server;
  const mine: string[] = [];
  const saved = server.hooks.notify;
  server.hooks.notify = (cls, event, key, dbid) => {
    if (cls === 'g' || cls === 'x') mine.push(`${dbid}:${event}:${key}`);
  };
  try {
    await sub.call('PSUBSCRIBE', '__keyevent@*__:*');
    const cmds: Cmd[] = [
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['DEL', 'a', 'zz'],
      ['UNLINK', 'b'],
      ['SET', 'c', '1'],
      ['EXPIRE', 'c', '100'],
      ['PEXPIRE', 'c', '100', 'GT'],
      ['PERSIST', 'c'],
      ['PERSIST', 'c'],
      ['RENAME', 'c', 'd'],
      ['RENAMENX', 'd', 'e'],
      ['SET', 'f', '1'],
      ['RENAMENX', 'e', 'f'],
      ['MOVE', 'e', '3'],
      ['COPY', 'f', 'g'],
      ['COPY', 'f', 'g', 'DB', '2', 'REPLACE'],
      ['COPY', 'f', 'g', 'REPLACE'],
      ['EXPIRE', 'g', '-1'],
      ['PEXPIREAT', 'f', '1'],
      ['SET', 'h', '1'],
      ['PEXPIRE', 'h', '1'],
    ];
    for (const c of cmds) {
      await d!.both(c);
      if (c[0] === 'PEXPIRE' && c[1] === 'h') await sleep(10); // a sleep on purpose: past h's 1 ms TTL
    }
    await d!.both(['GET', 'h']); // lazily expired: "expired"
    await d!.both(['SET', '__end__', '1']);
    await d!.both(['DEL', '__end__']);
    const theirs: string[] = [];
    for (let i = 0; i < 100; i++) {
      const m = decode(await sub.read(2000)) as string[];
      const [, , channel, key] = m;
      const db = /@(\d+)__/.exec(channel!)![1];
      theirs.push(`${db}:${channel!.slice(channel!.indexOf(':') + 1)}:${key}`);
      if (theirs[theirs.length - 1] === '0:del:__end__') break;
    }
    assert.deepEqual(mine, theirs);
  } finally {
    server.hooks.notify = saved;
    sub.close();
    await d!.b.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  }
});

test('OBJECT IDLETIME restarts when a key is overwritten; under LFU the counter carries over', async () => {
  const { createServer } = await import('../../src/index.js');
  const clock = { t: 1_000_000_000 };
  const s = await createServer({ noListen: true, clock: () => clock.t });
  try {
    await s.call('SET', 'k', 'v1');
    clock.t += 50_000;
    assert.equal(await s.call('OBJECT', 'IDLETIME', 'k'), 50);
    await s.call('SET', 'k', 'v2');
    assert.equal(await s.call('OBJECT', 'IDLETIME', 'k'), 0);
    await s.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    await s.call('SET', 'f', 'v');
    for (let i = 0; i < 200; i++) await s.call('GET', 'f');
    const before = await s.call('OBJECT', 'FREQ', 'f');
    assert.ok(typeof before === 'number' && before > 5);
    await s.call('SET', 'f', 'new');
    assert.equal(await s.call('OBJECT', 'FREQ', 'f'), before);
  } finally {
    await s.close();
  }
});

/**
 * Set commands: differential tests against redis-server (RESP2 and RESP3)
 * for every command and error path, encoding transitions, keyspace
 * integration, and random commands compared by shape and membership.
 *
 * The reference redis-server is 7.0; tsdis reports encodings as Redis 7.2,
 * which added the `listpack` encoding for small sets of non-integers (7.0
 * reports `hashtable` there). Exactly that case is accepted by `sameEnc`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { both as runBoth, type Step } from './strdiff.js';

const d = await Differ.start();
after(() => d?.stop());

/**
 * OBJECT ENCODING compared allowing the one 7.0/7.2 difference: tsdis says
 * `listpack` where redis-server 7.0 says `hashtable` (small non-integer sets).
 */
async function sameEnc(key: string): Promise<void> {
  const [x, y] = await d!.both(['OBJECT', 'ENCODING', key]);
  if (x === '$8\r\nlistpack\r\n' && y === '$9\r\nhashtable\r\n') return;
  assert.equal(x, y, `OBJECT ENCODING ${key}`);
}

/** Runs steps in RESP2 then RESP3 from a flushed db; a step may start with a mode, or be ['@enc', key]. */
async function both(steps: Step[]): Promise<void> {
  await runBoth(d!, steps, async (s) => {
    if (s[0] !== '@enc') return false;
    await sameEnc(String(s[1]));
    return true;
  });
}

const ints = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => String(from + i));

test('SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS and their errors', async () => {
  await both([
    ['SADD', 's', '3', '1', '2', '1'],
    ['SMEMBERS', 's'],
    ['SADD', 's', '-5', '10', '9223372036854775807', '-9223372036854775808'],
    ['SMEMBERS', 's'],
    ['OBJECT', 'ENCODING', 's'],
    ['SCARD', 's'],
    ['SCARD', 'no'],
    ['SISMEMBER', 's', '1'],
    ['SISMEMBER', 's', '01'],
    ['SISMEMBER', 's', 'x'],
    ['SISMEMBER', 'no', '1'],
    ['SMISMEMBER', 's', '1', 'x', '10'],
    ['SMISMEMBER', 'no', 'a', 'b'],
    ['SREM', 's', '1', 'x', '1'],
    ['SREM', 'no', 'a'],
    ['SMEMBERS', 's'],
    ['SMEMBERS', 'no'],
    ['SADD', 's'],
    ['SREM', 's'],
    ['SMISMEMBER', 's'],
    ['SISMEMBER', 's'],
    ['SADD', 'w', 'b', 'a', 'c', 'a'],
    ['sorted', 'SMEMBERS', 'w'],
    ['@enc', 'w'],
    ['SISMEMBER', 'w', 'a'],
    ['SREM', 'w', 'a', 'b', 'c'],
    ['EXISTS', 'w'],
    ['SADD', 'bin', '\x00\xff', '', '\r\n'],
    ['sorted', 'SMEMBERS', 'bin'],
    ['SISMEMBER', 'bin', ''],
    ['SET', 'str', 'x'],
    ['SADD', 'str', 'a'],
    ['SREM', 'str', 'a'],
    ['SCARD', 'str'],
    ['SISMEMBER', 'str', 'a'],
    ['SMISMEMBER', 'str', 'a'],
    ['SMEMBERS', 'str'],
    ['@list', 'l'],
    ['SADD', 'l', 'a'],
    ['TYPE', 's'],
  ]);
});

test('encodings: intset, listpack (7.2), hashtable; thresholds and CONFIG SET', async () => {
  await both([
    ['CONFIG', 'GET', 'set-max-intset-entries'],
    ['SADD', 'i', ...ints(512)],
    ['OBJECT', 'ENCODING', 'i'],
    ['SADD', 'i', '511'],
    ['OBJECT', 'ENCODING', 'i'],
    ['SADD', 'i', '512'],
    ['OBJECT', 'ENCODING', 'i'],
    ['SREM', 'i', ...ints(500)],
    ['OBJECT', 'ENCODING', 'i'],
    ['SCARD', 'i'],
    ['SADD', 'j', ...ints(600)],
    ['OBJECT', 'ENCODING', 'j'],
    ['SCARD', 'j'],
    ['SADD', 'k', '1', '2'],
    ['SADD', 'k', 'a'],
    ['@enc', 'k'],
    ['sorted', 'SMEMBERS', 'k'],
    ['SADD', 'nc', '01', '-0', '+1', ' 1', '1.0', '9223372036854775808'],
    ['@enc', 'nc'],
    ['sorted', 'SMEMBERS', 'nc'],
    ['SADD', 'lp', ...Array.from({ length: 128 }, (_, i) => 'm' + i)],
    ['@enc', 'lp'],
    ['SADD', 'lp', 'm0'],
    ['@enc', 'lp'],
    ['SADD', 'lp', 'one-more'],
    ['OBJECT', 'ENCODING', 'lp'],
    ['SCARD', 'lp'],
    ['SADD', 'lv', 'x'.repeat(64)],
    ['@enc', 'lv'],
    ['SADD', 'lv', 'x'.repeat(65)],
    ['OBJECT', 'ENCODING', 'lv'],
    ['SADD', 'big', ...Array.from({ length: 200 }, (_, i) => 'm' + i)],
    ['OBJECT', 'ENCODING', 'big'],
    ['CONFIG', 'SET', 'set-max-intset-entries', '3'],
    ['SADD', 'c', '1', '2', '3'],
    ['OBJECT', 'ENCODING', 'c'],
    ['SADD', 'c', '4'],
    ['OBJECT', 'ENCODING', 'c'],
    ['sorted', 'SMEMBERS', 'c'],
    ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
  ]);
});

test('SPOP and SRANDMEMBER: counts, errors, random replies by shape', async () => {
  await both([
    ['SPOP', 'no'],
    ['SPOP', 'no', '2'],
    ['SPOP', 'no', '0'],
    ['SPOP', 'no', '-1'],
    ['SPOP', 'no', 'x'],
    ['SPOP', 's', '1', '2'],
    ['SRANDMEMBER', 'no'],
    ['SRANDMEMBER', 'no', '3'],
    ['SRANDMEMBER', 'no', '-3'],
    ['SRANDMEMBER', 'no', 'x'],
    ['SRANDMEMBER', 's', '1', '2'],
    ['SADD', 's', '1', '2', '3', '4', '5'],
    ['SRANDMEMBER', 's', '0'],
    ['SRANDMEMBER', 's', '5'],
    ['SRANDMEMBER', 's', '10'],
    ['shape', 'SRANDMEMBER', 's'],
    ['shape', 'SRANDMEMBER', 's', '3'],
    ['shape', 'SRANDMEMBER', 's', '-8'],
    ['SRANDMEMBER', 's', '-9223372036854775808'],
    ['SRANDMEMBER', 's', '99999999999999999999'],
    ['SPOP', 's', '-1'],
    ['SPOP', 's', 'x'],
    ['SPOP', 's', '0'],
    ['shape', 'SPOP', 's'],
    ['shape', 'SPOP', 's', '2'],
    ['SCARD', 's'],
    ['shape', 'SPOP', 's', '2'],
    ['EXISTS', 's'],
    ['SADD', 't', '1', '2', '3'],
    ['SPOP', 't', '3'],
    ['EXISTS', 't'],
    ['SADD', 't', 'a', 'b'],
    ['sorted', 'SPOP', 't', '10'],
    ['EXISTS', 't'],
    ['SADD', 'u', 'x'],
    ['SPOP', 'u'],
    ['EXISTS', 'u'],
    ['SET', 'str', 'x'],
    ['SPOP', 'str'],
    ['SPOP', 'str', '1'],
    ['SPOP', 'str', 'x'],
    ['SRANDMEMBER', 'str'],
    ['SRANDMEMBER', 'str', '1'],
  ]);
  // Membership, uniqueness and removal, small and big encodings.
  for (const members of [ints(5), ints(300), Array.from({ length: 400 }, (_, i) => 'm' + i), ['a', 'b', 'c', 'd']]) {
    await d!.reset();
    await d!.a.call('SADD', 's', ...members);
    const all = new Set(members);
    for (const count of [2, members.length - 1, -30]) {
      const r = decode(await d!.a.call('SRANDMEMBER', 's', String(count))) as string[];
      assert.equal(r.length, Math.abs(count));
      for (const x of r) assert.ok(all.has(x));
      if (count > 0) assert.equal(new Set(r).size, r.length);
    }
    const popped = decode(await d!.a.call('SPOP', 's', '3')) as string[];
    assert.equal(new Set(popped).size, 3);
    for (const x of popped) {
      assert.ok(all.has(x));
      assert.equal(decode(await d!.a.call('SISMEMBER', 's', x)), 0);
    }
    assert.equal(decode(await d!.a.call('SCARD', 's')), members.length - 3);
  }
  await d!.reset();
});

test('SINTER SINTERSTORE SINTERCARD', async () => {
  await both([
    ['SADD', 'a', '1', '2', '3', '4'],
    ['SADD', 'b', '2', '3', '5'],
    ['SADD', 'c', '3', '2', 'x'],
    ['SET', 'str', 'v'],
    ['SINTER', 'a', 'b'],
    ['SINTER', 'a'],
    ['sorted', 'SINTER', 'a', 'b', 'c'],
    ['SINTER', 'a', 'no'],
    ['SINTER', 'no', 'str'],
    ['SINTER', 'str', 'no'],
    ['SINTER', 'a', 'str'],
    ['SINTER', 'a', 'a'],
    ['SINTERSTORE', 'd', 'a', 'b'],
    ['SMEMBERS', 'd'],
    ['OBJECT', 'ENCODING', 'd'],
    ['SINTERSTORE', 'd', 'a', 'no'],
    ['EXISTS', 'd'],
    ['SINTERSTORE', 'str2', 'a', 'b'],
    ['SET', 'str2', 'v'],
    ['SINTERSTORE', 'str2', 'a', 'b'],
    ['TYPE', 'str2'],
    ['SINTERSTORE', 'e', 'a', 'c'],
    ['@enc', 'e'],
    ['SINTERSTORE', 'e', 'no', 'str'],
    ['SINTERSTORE', 'e', 'b', 'c', 'a'],
    ['SADD', 'f', 'p'],
    ['SINTERSTORE', 'f', 'a', 'c', 'b'],
    ['SMEMBERS', 'f'],
    ['SADD', 'x1', 'q'],
    ['SINTERSTORE', 'f', 'a', 'x1'],
    ['EXISTS', 'f'],
    ['SET', 'g', 'v'],
    ['EXPIRE', 'g', '100'],
    ['SINTERSTORE', 'g', 'a', 'b'],
    ['TTL', 'g'],
    ['SINTERCARD', '2', 'a', 'b'],
    ['SINTERCARD', '1', 'a'],
    ['SINTERCARD', '3', 'a', 'b', 'c'],
    ['SINTERCARD', '2', 'a', 'no'],
    ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
    ['SINTERCARD', '2', 'a', 'b', 'limit', '0'],
    ['SINTERCARD', '1', 'a', 'LIMIT', '2', 'LIMIT', '3'],
    ['SINTERCARD', '0', 'a'],
    ['SINTERCARD', '-1', 'a'],
    ['SINTERCARD', 'x', 'a'],
    ['SINTERCARD', '3', 'a', 'b'],
    ['SINTERCARD', '1', 'a', 'LIMIT', '-1'],
    ['SINTERCARD', '1', 'a', 'LIMIT', 'x'],
    ['SINTERCARD', '1', 'a', 'LIMIT'],
    ['SINTERCARD', '1', 'a', 'FOO'],
    ['SINTERCARD', '2', 'no', 'str'],
    ['SINTERCARD', '1', 'str'],
    ['SINTERCARD', '1'],
    ['SINTERCARD', '1', 'a', 'LIMIT', '99999999999999999999'],
    ['SINTER'],
    ['SINTERSTORE', 'd'],
  ]);
});

test('SUNION SUNIONSTORE SDIFF SDIFFSTORE', async () => {
  await both([
    ['SADD', 'a', '1', '2', '3', '4'],
    ['SADD', 'b', '2', '3', '5', '-1'],
    ['SADD', 'c', '3', 'x', 'y'],
    ['SET', 'str', 'v'],
    ['SUNION', 'a', 'b'],
    ['SUNION', 'a', 'no'],
    ['SUNION', 'no'],
    ['sorted', 'SUNION', 'a', 'c'],
    ['SUNION', 'a', 'str'],
    ['SUNION', 'no', 'str'],
    ['SDIFF', 'a', 'b'],
    ['SDIFF', 'a', 'no'],
    ['SDIFF', 'no', 'a'],
    ['SDIFF', 'a', 'a'],
    ['SDIFF', 'a'],
    ['sorted', 'SDIFF', 'c', 'a'],
    ['SDIFF', 'a', 'b', 'c'],
    ['SDIFF', 'no', 'str'],
    ['SDIFF', 'str', 'a'],
    ['SDIFF', 'a', 'str'],
    ['SUNIONSTORE', 'd', 'a', 'b'],
    ['SMEMBERS', 'd'],
    ['OBJECT', 'ENCODING', 'd'],
    ['SUNIONSTORE', 'd', 'no'],
    ['EXISTS', 'd'],
    ['SUNIONSTORE', 'e', 'a', 'c'],
    ['@enc', 'e'],
    ['sorted', 'SMEMBERS', 'e'],
    ['SUNIONSTORE', 'e', 'a', 'str'],
    ['SDIFFSTORE', 'f', 'a', 'b'],
    ['SMEMBERS', 'f'],
    ['SDIFFSTORE', 'f', 'a', 'a'],
    ['EXISTS', 'f'],
    ['SDIFFSTORE', 'f', 'no', 'a'],
    ['SET', 'g', 'v'],
    ['SDIFFSTORE', 'g', 'c', 'a'],
    ['TYPE', 'g'],
    ['sorted', 'SMEMBERS', 'g'],
    ['SUNIONSTORE', 'a', 'a', 'b'],
    ['SMEMBERS', 'a'],
    ['SDIFFSTORE', 'b', 'b', 'a'],
    ['EXISTS', 'b'],
    ['SUNION'],
    ['SDIFFSTORE', 'x'],
    ['SADD', 'big1', ...ints(600)],
    ['SADD', 'big2', ...ints(600, 300)],
    ['SUNIONSTORE', 'u', 'big1', 'big2'],
    ['SCARD', 'u'],
    ['OBJECT', 'ENCODING', 'u'],
    ['SDIFFSTORE', 'v', 'big1', 'big2'],
    ['SCARD', 'v'],
    ['OBJECT', 'ENCODING', 'v'],
    ['sorted', 'SDIFF', 'big1', 'big2'],
    ['sorted', 'SINTER', 'big1', 'big2'],
    ['SINTERCARD', '2', 'big1', 'big2', 'LIMIT', '7'],
  ]);
});

test('SMOVE', async () => {
  await both([
    ['SADD', 'a', '1', '2'],
    ['SADD', 'b', '3'],
    ['SET', 'str', 'v'],
    ['SMOVE', 'a', 'b', '1'],
    ['SMEMBERS', 'a'],
    ['SMEMBERS', 'b'],
    ['SMOVE', 'a', 'b', '9'],
    ['SMOVE', 'a', 'a', '2'],
    ['SMOVE', 'a', 'a', '9'],
    ['SMOVE', 'no', 'b', '1'],
    ['SMOVE', 'no', 'str', '1'],
    ['SMOVE', 'str', 'b', '1'],
    ['SMOVE', 'a', 'str', '2'],
    ['SMOVE', 'a', 'str', '9'],
    ['SMOVE', 'a', 'new', '2'],
    ['EXISTS', 'a'],
    ['SMEMBERS', 'new'],
    ['OBJECT', 'ENCODING', 'new'],
    ['SMOVE', 'b', 'new', 'x'],
    ['SADD', 'b', 'x'],
    ['SMOVE', 'b', 'new', 'x'],
    ['@enc', 'new'],
    ['sorted', 'SMEMBERS', 'new'],
    ['SADD', 'c', '3'],
    ['SMOVE', 'b', 'c', '3'],
    ['SMEMBERS', 'c'],
    ['SMOVE', 'a'],
  ]);
});

test('SSCAN: small sets in one call, errors, MATCH; a full scan of a hashtable across deletes', async () => {
  await both([
    ['SSCAN', 'no', '0'],
    ['SSCAN', 'no', 'x'],
    ['SADD', 's', '5', '1', '3'],
    ['SSCAN', 's', '0'],
    ['SSCAN', 's', '7', 'COUNT', '1'],
    ['SSCAN', 's', '0', 'MATCH', '[13]'],
    ['SSCAN', 's', 'x'],
    ['SSCAN', 's', '0', 'COUNT', '0'],
    ['SSCAN', 's', '0', 'TYPE', 'set'],
    ['SADD', 'w', 'ab', 'ac', 'b'],
    ['sorted', 'SSCAN', 'w', '0', 'MATCH', 'a*'],
    ['SET', 'str', 'x'],
    ['SSCAN', 'str', '0'],
  ]);
  await d!.reset();
  const members = Array.from({ length: 1000 }, (_, i) => 'm' + i);
  await d!.a.call('SADD', 's', ...members);
  const seen = new Set<string>();
  let cursor = '0';
  let step = 0;
  do {
    const [next, items] = decode(await d!.a.call('SSCAN', 's', cursor, 'COUNT', '40')) as [string, string[]];
    for (const x of items) seen.add(x);
    // Delete members already returned and add new ones: the rest must still come.
    if (step++ % 3 === 0 && items.length > 0) await d!.a.call('SREM', 's', items[0]!);
    await d!.a.call('SADD', 's', 'new' + step);
    cursor = next;
  } while (cursor !== '0');
  for (const m of members) if (decode(await d!.a.call('SISMEMBER', 's', m)) === 1) assert.ok(seen.has(m), m);
  await d!.reset();
});

test('keyspace integration: TYPE, OBJECT ENCODING, SCAN TYPE, COPY', async () => {
  await both([
    ['SADD', 's', '1', '2'],
    ['TYPE', 's'],
    ['SET', 'str', 'x'],
    ['SCAN', '0', 'TYPE', 'set'],
    ['COPY', 's', 's2'],
    ['SADD', 's2', '3'],
    ['SMEMBERS', 's'],
    ['SMEMBERS', 's2'],
    ['OBJECT', 'ENCODING', 's2'],
    ['SADD', 'h', ...ints(600)],
    ['COPY', 'h', 'h2'],
    ['SREM', 'h2', '1'],
    ['SCARD', 'h'],
    ['SCARD', 'h2'],
    ['OBJECT', 'ENCODING', 'h2'],
    ['SADD', 'w', 'a'],
    ['COPY', 'w', 'w2'],
    ['@enc', 'w2'],
    ['EXPIRE', 's', '100'],
    ['SADD', 's', '9'],
    ['TTL', 's'],
  ]);
});

test('keyspace events of hash and set commands (names and order as Redis)', async () => {
  const { createServer } = await import('../../src/index.js');
  const srv = await createServer({ noListen: true });
  const events: string[] = [];
  const db = srv.server.dbs[0]!;
  db.notify = (cls: string, event: string, key: string) => void events.push(`${cls}:${event}:${key}`);
  const expect = async (cmd: string[], evs: string[]): Promise<void> => {
    events.length = 0;
    await srv.call(...cmd);
    assert.deepEqual(events, evs, cmd.join(' '));
  };
  await expect(['HSET', 'h', 'a', '1', 'b', '2'], ['h:hset:h']);
  await expect(['HMSET', 'h', 'a', '1'], ['h:hset:h']);
  await expect(['HSETNX', 'h', 'a', '1'], []);
  await expect(['HSETNX', 'h', 'c', '1'], ['h:hset:h']);
  await expect(['HINCRBY', 'h', 'a', '1'], ['h:hincrby:h']);
  await expect(['HINCRBYFLOAT', 'h', 'a', '1.5'], ['h:hincrbyfloat:h']);
  await expect(['HDEL', 'h', 'zz'], []);
  await expect(['HDEL', 'h', 'a', 'b', 'c'], ['h:hdel:h', 'g:del:h']);
  await expect(['SADD', 's', '1', '2', '3'], ['s:sadd:s']);
  await expect(['SADD', 's', '1'], []);
  await expect(['SREM', 's', '1'], ['s:srem:s']);
  await expect(['SPOP', 's'], ['s:spop:s']);
  await expect(['SPOP', 's', '5'], ['s:spop:s', 'g:del:s']);
  await expect(['SADD', 'a', '1', '2'], ['s:sadd:a']);
  await expect(['SMOVE', 'a', 'b', '1'], ['s:srem:a', 's:sadd:b']);
  await expect(['SMOVE', 'a', 'b', '2'], ['s:srem:a', 'g:del:a', 's:sadd:b']);
  await expect(['SINTERSTORE', 'd', 'b', 'b'], ['s:sinterstore:d']);
  await expect(['SUNIONSTORE', 'd', 'b'], ['s:sunionstore:d']);
  await expect(['SDIFFSTORE', 'd', 'b', 'b'], ['g:del:d']);
  await expect(['SDIFFSTORE', 'd', 'b', 'b'], []);
  await expect(['SADD', 'p', '1', '2'], ['s:sadd:p']);
  await expect(['SPOP', 'p', '1'], ['s:spop:p']);
  await srv.close();
});

test('random set and hash sequences across encodings match redis-server (sorted replies)', async () => {
  let seed = 12345;
  const r = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const keys = ['a', 'b', 'c'];
  const mem = (): string => (r() < 0.6 ? String(Math.floor(r() * 700) - 50) : 'w' + Math.floor(r() * 200));
  const many = (): string[] => Array.from({ length: 1 + Math.floor(r() * (r() < 0.1 ? 300 : 5)) }, mem);
  const gens: (() => Cmd)[] = [
    () => ['SADD', pick(keys), ...many()],
    () => ['SREM', pick(keys), ...many()],
    () => ['SCARD', pick(keys)],
    () => ['SISMEMBER', pick(keys), mem()],
    () => ['SMISMEMBER', pick(keys), mem(), mem()],
    () => ['SMEMBERS', pick(keys)],
    () => [pick(['SINTER', 'SUNION', 'SDIFF']), pick(keys), pick(keys)],
    () => [pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), pick(keys), pick(keys), pick(keys)],
    () => ['SINTERCARD', '2', pick(keys), pick(keys), 'LIMIT', String(Math.floor(r() * 5))],
    () => ['SMOVE', pick(keys), pick(keys), mem()],
    () => ['HSET', 'h' + pick(keys), ...many().flatMap((x) => [x, mem()])],
    () => ['HDEL', 'h' + pick(keys), ...many()],
    () => ['HGETALL', 'h' + pick(keys)],
    () => ['HKEYS', 'h' + pick(keys)],
    () => ['HVALS', 'h' + pick(keys)],
    () => ['HLEN', 'h' + pick(keys)],
    () => ['HINCRBY', 'h' + pick(keys), mem(), String(Math.floor(r() * 10))],
    () => ['HMGET', 'h' + pick(keys), mem(), mem()],
    () => ['SCARD', pick(keys)],
    () => ['TYPE', pick(keys)],
  ];
  for (const proto of ['2', '3']) {
    await d!.reset();
    if (proto === '3') await d!.both(['HELLO', '3']);
    for (let i = 0; i < 400; i++) await d!.same([pick(gens)()], 'sorted');
    for (const k of keys) {
      await sameEnc(k);
      await sameEnc('h' + k);
    }
  }
  await d!.reset();
});

test('a huge negative count gets a clear error instead of a reply that could never be built', async () => {
  const { createServer } = await import('../../src/index.js');
  const s = await createServer({ noListen: true });
  try {
    await s.call('SADD', 's', 'a', 'b');
    await s.call('HSET', 'h', 'f', 'v');
    await s.call('ZADD', 'z', '1', 'm');
    for (const cmd of [
      ['SRANDMEMBER', 's'],
      ['HRANDFIELD', 'h'],
      ['ZRANDMEMBER', 'z'],
    ]) {
      const r = await s.call(...cmd, '-4611686018427387000');
      assert.ok(r instanceof Error && /count is too large/.test(r.message), `${cmd[0]}: ${String(r)}`);
      const ok = await s.call(...cmd, '-5');
      assert.ok(Array.isArray(ok) && ok.length === 5);
    }
  } finally {
    await s.close();
  }
});

test('Redis 7.2 set-max-listpack-entries / -value decide when a set of strings leaves listpack', async () => {
  const { createServer } = await import('../../src/index.js');
  const s = await createServer({ noListen: true });
  const enc = (k: string) => s.call('OBJECT', 'ENCODING', k);
  try {
    assert.deepEqual(await s.call('CONFIG', 'GET', 'set-max-listpack-*'), [
      'set-max-listpack-entries',
      '128',
      'set-max-listpack-value',
      '64',
    ]);
    await s.call('SADD', 'a', 'x', 'y');
    assert.equal(await enc('a'), 'listpack');
    await s.call('CONFIG', 'SET', 'set-max-listpack-entries', '2', 'set-max-listpack-value', '3');
    await s.call('SADD', 'b', 'x', 'y');
    assert.equal(await enc('b'), 'listpack');
    await s.call('SADD', 'b', 'z');
    assert.equal(await enc('b'), 'hashtable');
    await s.call('SADD', 'c', 'abcd');
    assert.equal(await enc('c'), 'hashtable');
    await s.call('SADD', 'd', 'abc');
    assert.equal(await enc('d'), 'listpack');
    const e = await s.call('CONFIG', 'SET', 'set-max-listpack-entries', '-1');
    assert.ok(
      e instanceof Error && /argument must be between 0 and 9223372036854775807 inclusive/.test(e.message),
      String(e),
    );
  } finally {
    await s.close();
  }
});

/**
 * Differential fuzzing of command sequences: seeded random sequences of
 * string, bitmap and keyspace commands — valid and invalid arguments alike —
 * go to tsdis and to a real redis-server, and every raw reply must match, in
 * RESP2 and in RESP3. Commands with nondeterministic or time-dependent
 * replies (RANDOMKEY, SCAN order, TTL countdown) are compared by shape or
 * avoided. Keys come from a small pool so commands collide on the same keys.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';

import { encode } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

const d = await Differ.start({ liveOnly: true });
after(() => d?.stop());

const KEYS = ['a', 'b', 'c', 'k:1', 'k:2', 'bin\x00\xff', ''];
const VALUES = [
  '',
  '0',
  '1',
  '-1',
  '42',
  '007',
  '3.5',
  '-0',
  '1e3',
  ' 1',
  'abc',
  'hello world',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '\x00\xff\r\n',
  'x'.repeat(50),
  '10.5',
  'inf',
  'nan',
];
const FIELDS = ['f', 'g', 'h', '', '1'];
const MEMBERS = ['1', '2', '3', '-5', '10', '9223372036854775807'];
const NUMS = [
  '0',
  '1',
  '-1',
  '2',
  '-3',
  '10',
  '100',
  '-100',
  'x',
  '1.5',
  '9223372036854775807',
  '-9223372036854775808',
  '99999999999999999999',
];

/**
 * Replies where tsdis follows Redis 7.2 and the reference redis-server is
 * 7.0: BITCOUNT/BITPOS validate their arguments before looking up the key, so
 * a missing key with a bad range is an error in 7.2 (0 or -1 in 7.0).
 */
function sevenTwoDifference(cmd: Cmd, tsdis: string, redis: string): boolean {
  const name = String(cmd[0]).toUpperCase();
  // The same order shows on a key of another type (a sorted set): 7.2 rejects the arguments before WRONGTYPE.
  return (
    (name === 'BITCOUNT' || name === 'BITPOS') &&
    tsdis.startsWith('-ERR') &&
    (/^:(0|-1)\r\n$/.test(redis) || redis.startsWith('-WRONGTYPE'))
  );
}

/**
 * EXPIRETIME after a relative EXPIRE: the two servers ran the EXPIRE a few
 * ms apart, so the absolute time in seconds may straddle a second boundary.
 * Accepted when both are times that differ by exactly one second.
 */
function secondBoundary(cmd: Cmd, tsdis: string, redis: string): boolean {
  if (String(cmd[0]).toUpperCase() !== 'EXPIRETIME') return false;
  const a = /^:(\d{10})\r\n$/.exec(tsdis);
  const b = /^:(\d{10})\r\n$/.exec(redis);
  return a !== null && b !== null && Math.abs(Number(a[1]) - Number(b[1])) === 1;
}

/**
 * The one known representation gap (README, "Differences from Redis"): an
 * INCRBYFLOAT result that is an integer beyond 2^53 reports OBJECT ENCODING
 * "int" where Redis says "embstr". Accepted only when the value is exactly that.
 */
async function bigFloatIntEncoding(cmd: Cmd, tsdis: string, redis: string): Promise<boolean> {
  if (String(cmd[0]).toUpperCase() !== 'OBJECT' || tsdis !== '$3\r\nint\r\n' || redis !== '$6\r\nembstr\r\n')
    return false;
  const v = decode(await d!.b.call('GET', cmd[2]!));
  return typeof v === 'string' && /^-?\d+$/.test(v) && !Number.isSafeInteger(Number(v));
}

/**
 * Redis 7.2 reports small lists as `listpack` (7.0: `quicklist` for every
 * list); the lists here stay far below list-max-listpack-size, so tsdis must
 * say listpack wherever the reference says quicklist.
 */
function sevenTwoListEncoding(cmd: Cmd, tsdis: string, redis: string): boolean {
  return String(cmd[0]).toUpperCase() === 'OBJECT' && tsdis === '$8\r\nlistpack\r\n' && redis === '$9\r\nquicklist\r\n';
}

/** Sorted set command generators (scores print the same in 7.0 and 7.2). */
function zsetCmds(r: () => number, k: () => string): (() => Cmd)[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const sc = () => pick(['0', '1', '-1', '2.5', '-3', '10', '-inf', '+inf', '0.5', 'x']);
  const m = () => pick(['a', 'b', 'c', 'd', '', 'm\x00']);
  const bound = () => pick(['-inf', '+inf', '0', '(0', '1', '(2.5', '10', 'x']);
  const lex = () => pick(['-', '+', '[a', '(b', '[c', 'a']);
  const idx = () => pick(['0', '1', '-1', '2', '-3', '10', 'x']);
  return [
    () => [
      'ZADD',
      k(),
      ...(r() < 0.4 ? [pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'])] : []),
      sc(),
      m(),
      ...(r() < 0.5 ? [sc(), m()] : []),
    ],
    () => ['ZINCRBY', k(), sc(), m()],
    () => ['ZREM', k(), m(), m()],
    () => ['ZCARD', k()],
    () => ['ZSCORE', k(), m()],
    () => ['ZMSCORE', k(), m(), m()],
    () => [pick(['ZRANK', 'ZREVRANK']), k(), m()],
    () => ['ZCOUNT', k(), bound(), bound()],
    () => ['ZLEXCOUNT', k(), lex(), lex()],
    () => ['ZRANGE', k(), idx(), idx(), ...(r() < 0.5 ? ['WITHSCORES'] : [])],
    () => [
      'ZRANGE',
      k(),
      bound(),
      bound(),
      'BYSCORE',
      ...(r() < 0.5 ? ['REV'] : []),
      ...(r() < 0.5 ? ['LIMIT', idx(), idx()] : []),
    ],
    () => ['ZRANGEBYLEX', k(), lex(), lex()],
    () => ['ZREVRANGEBYSCORE', k(), bound(), bound(), 'WITHSCORES'],
    () => ['ZRANGESTORE', k(), k(), idx(), idx()],
    () => [pick(['ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE']), k(), idx(), idx()],
    () => ['ZREMRANGEBYLEX', k(), lex(), lex()],
    () => [pick(['ZUNION', 'ZINTER', 'ZDIFF']), '2', k(), k(), 'WITHSCORES'],
    () => [pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), k(), '2', k(), k()],
    () => ['ZINTERCARD', '2', k(), k()],
    () => [pick(['ZPOPMIN', 'ZPOPMAX']), k(), ...(r() < 0.5 ? [idx()] : [])],
    () => ['ZMPOP', '2', k(), k(), pick(['MIN', 'MAX']), 'COUNT', pick(['1', '2', '0'])],
  ];
}

function gen(r: () => number): Cmd {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const k = () => pick(KEYS);
  const v = () => pick(VALUES);
  const n = () => pick(NUMS);
  const cmds: (() => Cmd)[] = [
    () => ['SET', k(), v()],
    () => ['SET', k(), v(), pick(['NX', 'XX', 'GET', 'KEEPTTL', 'XX GET'.split(' ')[0]!])],
    () => ['SET', k(), v(), pick(['EX', 'PX']), pick(['100', '0', '-1', 'x', '100000'])],
    () => ['GET', k()],
    () => ['GETSET', k(), v()],
    () => ['GETDEL', k()],
    () => ['SETNX', k(), v()],
    () => ['MGET', k(), k(), k()],
    () => ['MSET', k(), v(), k(), v()],
    () => ['MSETNX', k(), v(), k(), v()],
    () => ['APPEND', k(), v()],
    () => ['STRLEN', k()],
    () => ['SETRANGE', k(), pick(['0', '1', '5', '-1', 'x']), v()],
    () => ['GETRANGE', k(), n(), n()],
    () => ['INCR', k()],
    () => ['DECR', k()],
    () => ['INCRBY', k(), n()],
    () => ['DECRBY', k(), n()],
    () => ['INCRBYFLOAT', k(), pick(['0.1', '-0.2', '1e3', '5', 'x', '3.0e-2', '-1.5'])],
    () => ['SETBIT', k(), pick(['0', '7', '100', '-1', 'x']), pick(['0', '1', '2'])],
    () => ['GETBIT', k(), pick(['0', '7', '100', '-1'])],
    () => ['BITCOUNT', k()],
    () => ['BITCOUNT', k(), n(), n()],
    () => ['BITPOS', k(), pick(['0', '1']), n()],
    () => ['BITOP', pick(['AND', 'OR', 'XOR', 'NOT']), k(), k(), ...(r() < 0.5 ? [k()] : [])],
    () => ['BITFIELD', k(), 'INCRBY', pick(['u8', 'i8', 'u4', 'i16']), pick(['0', '#1', '3']), n()],
    () => ['EXISTS', k(), k()],
    () => ['DEL', k(), k()],
    () => ['UNLINK', k()],
    () => ['TYPE', k()],
    () => ['RENAME', k(), k()],
    () => ['RENAMENX', k(), k()],
    () => ['COPY', k(), k(), ...(r() < 0.5 ? ['REPLACE'] : [])],
    () => ['EXPIRE', k(), pick(['100', '1000', '-1', 'x'])],
    // Options compare expiry times: absolute ones keep the comparison independent of timing.
    () => [
      'EXPIREAT',
      k(),
      pick(['4102444800', '4102444900', '4102445000', '1', 'x']),
      ...(r() < 0.6 ? [pick(['NX', 'XX', 'GT', 'LT'])] : []),
    ],
    () => ['PERSIST', k()],
    () => ['TTL', k()],
    () => ['EXPIRETIME', k()],
    () => ['OBJECT', 'ENCODING', k()],
    () => ['TOUCH', k(), k()],
    () => ['DBSIZE'],
    () => ['LCS', k(), k()],
    () => ['GETEX', k(), ...(r() < 0.5 ? ['PERSIST'] : [])],
    () => ['SUBSTR', k(), n(), n()],
    // Hashes stay small (listpack, insertion order) and sets hold integers
    // only (intset, sorted): their replies are deterministic on both servers.
    () => ['HSET', k(), pick(FIELDS), v(), ...(r() < 0.3 ? [pick(FIELDS), v()] : [])],
    () => ['HSETNX', k(), pick(FIELDS), v()],
    () => ['HGET', k(), pick(FIELDS)],
    () => ['HMGET', k(), pick(FIELDS), pick(FIELDS)],
    () => ['HDEL', k(), pick(FIELDS), ...(r() < 0.3 ? [pick(FIELDS)] : [])],
    () => ['HGETALL', k()],
    () => ['HLEN', k()],
    () => ['HSTRLEN', k(), pick(FIELDS)],
    () => ['HEXISTS', k(), pick(FIELDS)],
    () => ['HINCRBY', k(), pick(FIELDS), n()],
    () => ['HINCRBYFLOAT', k(), pick(FIELDS), pick(['0.1', '-0.2', '1e3', '5', 'x', '-1.5'])],
    () => ['SADD', k(), pick(MEMBERS), ...(r() < 0.5 ? [pick(MEMBERS)] : [])],
    () => ['SREM', k(), pick(MEMBERS), ...(r() < 0.3 ? [pick(MEMBERS)] : [])],
    () => ['SMEMBERS', k()],
    () => ['SCARD', k()],
    () => ['SISMEMBER', k(), pick(MEMBERS)],
    () => ['SMISMEMBER', k(), pick(MEMBERS), pick(MEMBERS)],
    () => [pick(['SINTER', 'SUNION', 'SDIFF']), k(), k()],
    () => [pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), k(), k(), k()],
    () => ['SINTERCARD', '2', k(), k(), ...(r() < 0.5 ? ['LIMIT', pick(['0', '1', '-1'])] : [])],
    () => ['SMOVE', k(), k(), pick(MEMBERS)],
    // lists (commands/list.ts); no blocking forms: one that blocks would stall the sequence
    () => [pick(['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']), k(), v(), ...(r() < 0.5 ? [v(), v()] : [])],
    () => [pick(['LPOP', 'RPOP']), k(), ...(r() < 0.5 ? [pick(['0', '1', '2', '5', '-1', 'x'])] : [])],
    () => ['LLEN', k()],
    () => ['LRANGE', k(), n(), n()],
    () => ['LINDEX', k(), n()],
    () => ['LSET', k(), n(), v()],
    () => ['LINSERT', k(), pick(['BEFORE', 'AFTER', 'x']), v(), v()],
    () => ['LREM', k(), pick(['0', '1', '-1', '2', 'x']), v()],
    () => ['LTRIM', k(), n(), n()],
    () => [
      'LPOS',
      k(),
      v(),
      ...(r() < 0.5 ? [pick(['RANK', 'COUNT', 'MAXLEN']), pick(['0', '1', '-1', '2', 'x'])] : []),
    ],
    () => ['LMOVE', k(), k(), pick(['LEFT', 'RIGHT', 'UP']), pick(['LEFT', 'RIGHT'])],
    () => ['RPOPLPUSH', k(), k()],
    () => [
      'LMPOP',
      pick(['1', '2', '0']),
      k(),
      k(),
      pick(['LEFT', 'RIGHT']),
      ...(r() < 0.5 ? ['COUNT', pick(['1', '3', '0'])] : []),
    ],
    // Sorted sets: scores are integers and halves, whose text is the same in Redis 7.0 and 7.2.
    ...zsetCmds(r, k),
  ];
  return pick(cmds)();
}

for (const proto of ['2', '3']) {
  test(`random command sequences match redis-server (RESP${proto})`, { skip: d.skipUnlessLive }, async () => {
    const seeds = Number(process.env['FUZZ_SEEDS'] ?? 20); // more locally: FUZZ_SEEDS=500 node scripts/test.mjs commands.fuzz
    for (let seed = 1; seed <= seeds; seed++) {
      await d!.reset();
      if (proto === '3') await d!.both(['HELLO', '3']);
      const r = rng(seed * 7919 + Number(proto));
      const history: string[] = [];
      for (let i = 0; i < 250; i++) {
        const cmd = gen(r);
        history.push(JSON.stringify(cmd));
        // TTL is time-dependent only in its countdown: EXPIRE uses large values, so it is stable.
        const [x, y] = await d!.both(cmd);
        if (x !== y && sevenTwoDifference(cmd, x, y)) continue;
        if (x !== y && secondBoundary(cmd, x, y)) continue;
        if (x !== y && sevenTwoListEncoding(cmd, x, y)) continue;
        if (x !== y && (await bigFloatIntEncoding(cmd, x, y))) continue;
        if (x !== y) (await import('node:fs')).writeFileSync('/tmp/fuzz-history.txt', history.join('\n'));
        assert.equal(
          x,
          y,
          `seed ${seed} step ${i}: ${JSON.stringify(cmd)}\nlast commands:\n${history.slice(-25).join('\n')}`,
        );
      }
    }
    await d!.reset();
  });
}

test('a random sequence sent as one pipeline gets the same byte stream', { skip: d.skipUnlessLive }, async () => {
  await d!.reset();
  const r = rng(424242);
  const cmds: Cmd[] = [];
  for (let i = 0; i < 2000; i++) {
    const c = gen(r);
    const name = String(c[0]).toUpperCase();
    // OBJECT ENCODING and BITCOUNT/BITPOS have the documented differences above; skip them here.
    if (name !== 'OBJECT' && name !== 'BITCOUNT' && name !== 'BITPOS') cmds.push(c);
  }
  const wire = Buffer.concat(cmds.map((c) => encode(c)));
  d!.a.write(wire);
  d!.b.write(wire);
  for (let i = 0; i < cmds.length; i++) {
    const [x, y] = await Promise.all([d!.a.read(), d!.b.read()]);
    if (x !== y && secondBoundary(cmds[i]!, x, y)) continue;
    assert.equal(x, y, `pipelined reply ${i}: ${JSON.stringify(cmds[i])}`);
  }
  await d!.reset();
});

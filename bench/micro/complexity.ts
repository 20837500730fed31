/**
 * Complexity probe: the time a command takes inside the server (INFO
 * commandstats usec_per_call, so sockets and the client do not count) on a
 * collection of 100 elements and of 100,000 (a string of that many bytes),
 * tsdis against redis-server. A command whose tsdis time grows with the
 * size while redis-server's does not is doing work Redis does not (LREM
 * rebuilt the whole list: bench/RESULTS.md, "Issue 19, fifteenth session").
 * Each case builds KEYS[1] in one EVAL (n = the size), then runs its body
 * K times in another; the best of two runs is shown.
 *
 * Usage: node dist-test/bench/micro/complexity.js [case,case,...]
 */
import { startRedis, startTsdis, Conn, usecPerCall } from '../lib.js';

const K = 2000;

/** A stream of n entries (1-0 to n-0) all read by one consumer of group g (set-up Lua). */
const PEL = `for j=1,n do redis.call('XADD', KEYS[1], j .. '-0', 'f', 'v') end
redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0')
redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', KEYS[1], '>')`;

/** Name, set-up Lua (builds KEYS[1] from n), loop body Lua (i: the iteration), the command's commandstats name. */
const CASES: [string, string, string, string][] = [
  ['append', `redis.call('SET', KEYS[1], string.rep('x', n))`, `redis.call('APPEND', KEYS[1], 'abcdefgh')`, 'append'],
  [
    'setrange end',
    `redis.call('SET', KEYS[1], string.rep('x', n))`,
    `redis.call('SETRANGE', KEYS[1], n - 4, 'abcd')`,
    'setrange',
  ],
  ['getrange', `redis.call('SET', KEYS[1], string.rep('x', n))`, `redis.call('GETRANGE', KEYS[1], 5, 20)`, 'getrange'],
  [
    'setbit',
    `redis.call('SET', KEYS[1], string.rep('x', n))`,
    `redis.call('SETBIT', KEYS[1], (i * 8) % n, 1)`,
    'setbit',
  ],
  ['strlen', `redis.call('SET', KEYS[1], string.rep('x', n))`, `redis.call('STRLEN', KEYS[1])`, 'strlen'],
  [
    'linsert head',
    `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`,
    `redis.call('LINSERT', KEYS[1], 'BEFORE', 'e3', 'z'..i)`,
    'linsert',
  ],
  [
    'lset mid',
    `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`,
    `redis.call('LSET', KEYS[1], math.floor(n/2), 'z'..i)`,
    'lset',
  ],
  ['lindex 5', `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`, `redis.call('LINDEX', KEYS[1], 5)`, 'lindex'],
  [
    'lrange 0 9',
    `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`,
    `redis.call('LRANGE', KEYS[1], 0, 9)`,
    'lrange',
  ],
  [
    'ltrim 1 -1',
    `for j=1,n+${K} do redis.call('RPUSH', KEYS[1], 'e'..j) end`,
    `redis.call('LTRIM', KEYS[1], 1, -1)`,
    'ltrim',
  ],
  ['lpos first', `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`, `redis.call('LPOS', KEYS[1], 'e2')`, 'lpos'],
  [
    'lrem tail',
    `for j=1,n do redis.call('RPUSH', KEYS[1], 'e'..j) end`,
    `local v = redis.call('LINDEX', KEYS[1], -1) redis.call('LREM', KEYS[1], -1, v) redis.call('LPUSH', KEYS[1], v)`,
    'lrem',
  ],
  [
    'srem+sadd',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('SREM', KEYS[1], 'm'..(i % n + 1)) redis.call('SADD', KEYS[1], 'm'..(i % n + 1))`,
    'srem',
  ],
  [
    'spop+sadd',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `local v = redis.call('SPOP', KEYS[1]) redis.call('SADD', KEYS[1], v)`,
    'spop',
  ],
  [
    'srandmember',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('SRANDMEMBER', KEYS[1])`,
    'srandmember',
  ],
  [
    'srandmember 5',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('SRANDMEMBER', KEYS[1], 5)`,
    'srandmember',
  ],
  [
    'sinter small',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end redis.call('SADD', 'small', 'm1', 'm2')`,
    `redis.call('SINTER', 'small', KEYS[1])`,
    'sinter',
  ],
  [
    'hdel+hset',
    `for j=1,n do redis.call('HSET', KEYS[1], 'f'..j, 'v') end`,
    `redis.call('HDEL', KEYS[1], 'f'..(i % n + 1)) redis.call('HSET', KEYS[1], 'f'..(i % n + 1), 'v')`,
    'hdel',
  ],
  [
    'hrandfield',
    `for j=1,n do redis.call('HSET', KEYS[1], 'f'..j, 'v') end`,
    `redis.call('HRANDFIELD', KEYS[1])`,
    'hrandfield',
  ],
  [
    'hrandfield 5',
    `for j=1,n do redis.call('HSET', KEYS[1], 'f'..j, 'v') end`,
    `redis.call('HRANDFIELD', KEYS[1], 5)`,
    'hrandfield',
  ],
  [
    'zrem+zadd',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZREM', KEYS[1], 'm'..(i % n + 1)) redis.call('ZADD', KEYS[1], i % n + 1, 'm'..(i % n + 1))`,
    'zrem',
  ],
  [
    'zrank',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZRANK', KEYS[1], 'm'..(i % n + 1))`,
    'zrank',
  ],
  [
    'zrange 0 9',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZRANGE', KEYS[1], 0, 9)`,
    'zrange',
  ],
  [
    'zrange -10 -1',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZRANGE', KEYS[1], -10, -1)`,
    'zrange',
  ],
  [
    'zrangebyscore lim',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '+inf', 'LIMIT', 0, 1)`,
    'zrangebyscore',
  ],
  [
    'zrevrangebyscore lim',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '-inf', 'LIMIT', 0, 1)`,
    'zrevrangebyscore',
  ],
  [
    'zcount',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZCOUNT', KEYS[1], 10, n - 10)`,
    'zcount',
  ],
  [
    'zpopmin+zadd',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `local r = redis.call('ZPOPMIN', KEYS[1]) redis.call('ZADD', KEYS[1], n + i, r[1])`,
    'zpopmin',
  ],
  [
    'zremrangebyrank 0 0',
    `for j=1,n+${K} do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)`,
    'zremrangebyrank',
  ],
  [
    'zrandmember',
    `for j=1,n do redis.call('ZADD', KEYS[1], j, 'm'..j) end`,
    `redis.call('ZRANDMEMBER', KEYS[1])`,
    'zrandmember',
  ],
  [
    'xadd',
    `for j=1,n do redis.call('XADD', KEYS[1], '*', 'f', 'v') end`,
    `redis.call('XADD', KEYS[1], '*', 'f', 'v')`,
    'xadd',
  ],
  [
    'xrange count 10',
    `for j=1,n do redis.call('XADD', KEYS[1], '*', 'f', 'v') end`,
    `redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 10)`,
    'xrange',
  ],
  [
    'xrevrange count 10',
    `for j=1,n do redis.call('XADD', KEYS[1], '*', 'f', 'v') end`,
    `redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 10)`,
    'xrevrange',
  ],
  [
    'xdel+xadd',
    `for j=1,n do redis.call('XADD', KEYS[1], (j)..'-1', 'f', 'v') end`,
    `redis.call('XDEL', KEYS[1], (i % n + 1)..'-1')`,
    'xdel',
  ],
  [
    'xtrim maxlen',
    `for j=1,n+${K} do redis.call('XADD', KEYS[1], '*', 'f', 'v') end`,
    `redis.call('XTRIM', KEYS[1], 'MAXLEN', n)`,
    'xtrim',
  ],
  ['xlen', `for j=1,n do redis.call('XADD', KEYS[1], '*', 'f', 'v') end`, `redis.call('XLEN', KEYS[1])`, 'xlen'],
  ['pfadd', `for j=1,n do redis.call('PFADD', KEYS[1], 'e'..j) end`, `redis.call('PFADD', KEYS[1], 'q'..i)`, 'pfadd'],
  ['type', `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`, `redis.call('TYPE', KEYS[1])`, 'type'],
  [
    'expire',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('EXPIRE', KEYS[1], 1000 + i)`,
    'expire',
  ],
  [
    'object encoding',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('OBJECT', 'ENCODING', KEYS[1])`,
    'object|encoding',
  ],
  [
    'memory usage',
    `for j=1,n do redis.call('SADD', KEYS[1], 'm'..j) end`,
    `redis.call('MEMORY', 'USAGE', KEYS[1])`,
    'memory|usage',
  ],
  // a consumer group with every entry pending (its PEL: n entries)
  ['xack', PEL, `redis.call('XACK', KEYS[1], 'g', ((i * 7919) % n + 1) .. '-0')`, 'xack'],
  ['xpending - + 10', PEL, `redis.call('XPENDING', KEYS[1], 'g', '-', '+', 10)`, 'xpending'],
  [
    'xautoclaim count 10',
    PEL,
    `redis.call('XAUTOCLAIM', KEYS[1], 'g', 'c2', 0, ((i * 7919) % n + 1) .. '-0', 'COUNT', 10, 'JUSTID')`,
    'xautoclaim',
  ],
];

const only = process.argv[2] !== undefined ? new Set(process.argv[2].split(',')) : null;
const SIZES = [100, 100_000];
const servers = [await startRedis(), await startTsdis()];
try {
  console.log(`µs a call (commandstats), sizes ${SIZES.join(' and ')}, ${K} calls, best of 2`);
  console.log(`${'case'.padEnd(22)} ${'redis'.padStart(17)}   ${'tsdis'.padStart(17)}   tsdis/redis at ${SIZES[1]}`);
  for (const [name, setup, body, cmd] of CASES) {
    if (only !== null && !only.has(name)) continue;
    const us = new Map<string, number>();
    for (const n of SIZES)
      for (const s of servers) {
        const c = await Conn.connect(s.port);
        try {
          const got: number[] = [];
          for (let rep = 0; rep < 2; rep++) {
            await c.call(['FLUSHALL']);
            await c.call(['EVAL', `local n = tonumber(ARGV[1]) ${setup} return 1`, '1', 'K', String(n)]);
            await c.call(['CONFIG', 'RESETSTAT']);
            await c.call([
              'EVAL',
              `local n = tonumber(ARGV[1]) for i = 1, ${K} do ${body} end return 1`,
              '1',
              'K',
              String(n),
            ]);
            got.push(usecPerCall(String(await c.call(['INFO', 'commandstats'])), cmd));
          }
          us.set(`${s.name} ${n}`, Math.min(...got));
        } finally {
          c.close();
        }
      }
    const f = (k: string) => (us.get(k) ?? NaN).toFixed(2).padStart(8);
    const [a, b] = SIZES;
    const big = (us.get(`tsdis ${b}`) ?? NaN) / (us.get(`redis ${b}`) ?? NaN);
    console.log(
      `${name.padEnd(22)} ${f(`redis ${a}`)} ${f(`redis ${b}`)}   ${f(`tsdis ${a}`)} ${f(`tsdis ${b}`)}   ${big.toFixed(2)}x`,
    );
  }
} finally {
  for (const s of servers) await s.stop();
}
process.exit(0);

/**
 * The x87 long double emulation behind INCRBYFLOAT: known results, and a
 * randomized comparison with redis-server's own INCRBYFLOAT.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitLength,
  formatLongDouble,
  ldAdd,
  ldCeil,
  ldFromInt,
  ldIsFinite,
  ldMul,
  parseLongDouble,
} from '../../src/util/longdouble.js';
import { hasRedis, startRedis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';

/** What INCRBYFLOAT replies for a stored text `a` incremented by `b` (an error text or the value). */
function incr(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (!x || !y) return 'ERR value is not a valid float';
  const s = ldAdd(x, y);
  return ldIsFinite(s) ? formatLongDouble(s) : 'ERR increment would produce NaN or Infinity';
}

test('known sums print as Redis prints them', () => {
  assert.equal(incr('0.1', '0.2'), '0.3');
  assert.equal(incr('10.5', '0.1'), '10.6');
  assert.equal(incr('0', '5.0e3'), '5000');
  assert.equal(incr('5010', '0.1'), '5010.10000000000000009');
  assert.equal(incr('1e17', '0.3'), '100000000000000000.296875');
  assert.equal(incr('-1e-30', '0'), '0');
  assert.equal(incr('0.000003814697265625', '0'), '0.00000381469726562'); // a tie, to even
  assert.equal(incr('7', '-7'), '0');
  assert.equal(incr('-1.5', '0.1'), '-1.4');
  assert.equal(incr('0x1p3', '.5'), '8.5');
  assert.equal(incr('inf', '1'), 'ERR increment would produce NaN or Infinity');
  assert.equal(incr('inf', '-inf'), 'ERR increment would produce NaN or Infinity');
  assert.equal(incr('1.18e4932', '1.18e4932'), 'ERR increment would produce NaN or Infinity');
  for (const bad of [
    '',
    ' 1',
    '1 ',
    'abc',
    '1e',
    'nan',
    '-nan',
    '1e5000',
    '1e-5000',
    '0x',
    '1.2.3',
    '1\x00',
    '1'.repeat(5120),
  ]) {
    assert.equal(parseLongDouble(bad), null, JSON.stringify(bad.slice(0, 20)));
  }
  assert.notEqual(parseLongDouble('0'.repeat(5118) + '1'), null);
  assert.notEqual(parseLongDouble('1e-4950'), null); // a subnormal is accepted
  assert.equal(formatLongDouble(ldFromInt(-9223372036854775808n)), '-9223372036854775808');
  assert.equal(formatLongDouble(ldAdd(ldFromInt(9223372036854775807n), ldFromInt(1))), '9223372036854775808');
});

let redis: RedisProcess | undefined;
after(() => redis?.stop());

test('bitLength: every power of two up to 2^1100, its neighbours, and random values', () => {
  const ref = (x: bigint) => x.toString(2).length;
  for (let k = 0; k <= 1100; k++) {
    const p = 1n << BigInt(k);
    for (const x of [p - 1n, p, p + 1n, p + (p >> 1n), 2n * p - (p >> 60n) - 1n])
      if (x > 0n) assert.equal(bitLength(x), ref(x), `2^${k} neighbour ${x.toString(16)}`);
  }
  let seed = 7n;
  for (let i = 0; i < 20000; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    const x = (seed * (seed + 1n)) >> BigInt(i % 120);
    if (x > 0n) assert.equal(bitLength(x), ref(x));
  }
});

test('random sums match redis-server', { skip: hasRedis() ? false : SKIP_NO_REDIS }, async () => {
  redis = await startRedis();
  const c = await RawConn.connect(redis.port);
  let seed = 99;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const digits = (n: number) => Array.from({ length: n }, () => String(rnd(10))).join('');
  const num = (): string => {
    const sign = ['', '-', '+'][rnd(3)]!;
    switch (rnd(6)) {
      case 0:
        return sign + digits(1 + rnd(20));
      case 1:
        return sign + digits(1 + rnd(6)) + '.' + digits(1 + rnd(22));
      case 2:
        return sign + digits(1 + rnd(3)) + '.' + digits(rnd(5)) + 'e' + (rnd(80) - 40);
      case 3:
        return sign + '0.' + '0'.repeat(rnd(25)) + digits(1 + rnd(4));
      case 4:
        return sign + digits(1 + rnd(2)) + 'e' + (rnd(2) ? 4900 + rnd(40) : -4900 - rnd(60));
      default:
        return sign + String(rnd(1000) / 8);
    }
  };
  try {
    for (let i = 0; i < 1500; i++) {
      const a = num();
      const b = rnd(4) ? num() : '0';
      await c.call('SET', 'f', a);
      const raw = await c.call('INCRBYFLOAT', 'f', b);
      const got = raw.startsWith('-') ? raw.slice(1, -2) : raw.slice(raw.indexOf('\r\n') + 2, -2);
      assert.equal(incr(a, b), got, `${a} + ${b}`);
    }
  } finally {
    c.close();
  }
});

test('ldMul and ldCeil: the blocking timeout arithmetic (seconds * 1000, rounded up)', () => {
  const ms = (s: string): bigint => ldCeil(ldMul(parseLongDouble(s)!, ldFromInt(1000)));
  assert.equal(ms('1.5'), 1500n);
  assert.equal(ms('0.0001'), 1n);
  assert.equal(ms('-0.0001'), 0n); // -0 ms: waits forever, as in Redis
  assert.equal(ms('-1.0001'), -1000n);
  assert.equal(ms('1e-4000'), 1n);
  assert.equal(ms('0x1p-16445'), 1n); // the smallest subnormal
  assert.equal(ms('9223372036854775.807'), 9223372036854775807n);
  assert.ok(ms('1e400') > 10n ** 402n); // a long double, beyond a double's range
  assert.equal(formatLongDouble(ldMul(parseLongDouble('1.1e4932')!, ldFromInt(1000))), 'inf');
  assert.equal(formatLongDouble(ldMul(parseLongDouble('-inf')!, ldFromInt(0))), 'nan');
  assert.equal(formatLongDouble(ldMul(parseLongDouble('-2.5')!, parseLongDouble('0.1')!)), '-0.25');
});

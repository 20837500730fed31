/**
 * Every place a command reads a floating-point argument, fed the same table
 * of awkward texts on tsdis and on redis-server, comparing the replies.
 *
 * Redis reads doubles in four ways, all on top of C's strtod/strtold:
 *  - string2d (ZADD/ZINCRBY scores, WEIGHTS, GEO coordinates and sizes, the
 *    latency-tracking-info-percentiles config): the whole text, no leading
 *    space, no NaN, no overflow to +-HUGE_VAL, no nonzero text that
 *    underflows to zero (a subnormal result is accepted);
 *  - string2ld, the same in 80-bit long double (INCRBYFLOAT, HINCRBYFLOAT,
 *    blocking timeouts): 1e400 is a valid long double, and texts of 5120
 *    bytes or more are refused;
 *  - zslParseRange (ZRANGEBYSCORE, ZCOUNT ... bounds): bare strtod up to the
 *    first NUL: leading space, overflow, underflow and "" are accepted;
 *  - SORT's weights: bare strtod rejecting any ERANGE (a subnormal too).
 *
 * Score replies are compared by value, not text: the 7.0 reference prints
 * doubles with %.17g where 7.2 (and tsdis) print the shortest round trip.
 * Blocking timeouts follow Redis 7.2's getTimeoutFromObjectOrReply, which
 * answers "timeout is out of range" where the 7.0 reference overflows its
 * int64 and answers "timeout is negative"; those rows are pinned to 7.2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';
import type { RespValue } from '../../src/protocol/decoder.js';

const d = await Differ.start();
after(() => d?.stop());

/** The exact decimal text of m · 2^e (e < 0). */
function exact(m: bigint, e: number): string {
  const digits = (m * 5n ** BigInt(-e)).toString().padStart(-e + 1, '0');
  return digits.slice(0, digits.length + e) + '.' + digits.slice(digits.length + e);
}

/** The table: each text goes through every command family below. */
const INPUTS: string[] = [
  // plain values, signs, zeros
  '0',
  '1',
  '-1',
  '+1',
  '1.5',
  '-2.5',
  '-0',
  '+0',
  '-0.0',
  '0.0',
  '00012',
  '3.14159265358979323846264338327950288',
  '0.30000000000000004',
  '123456789.12345678',
  '9007199254740993',
  '0.0078125',
  '0.0000005',
  '99.9999995',
  '1e5',
  '1E5',
  '1e+5',
  '1e-5',
  '.5',
  '5.',
  '-.5',
  '+.5',
  '-5.',
  // overflow of a double (a long double holds some of them)
  '1e308',
  '1.7976931348623157e308',
  '1.7976931348623158e308',
  '1.7976931348623159e308',
  '2e308',
  '1e400',
  '-1e400',
  '1e4932',
  '1.1e4932',
  '1.2e4932',
  '-1.2e4932',
  '1e5000',
  '1e99999999999999999999',
  // underflow and subnormals
  '1e-400',
  '-1e-400',
  '4e-320',
  '-4e-320',
  '5e-324',
  '2.4e-324',
  '2.5e-324',
  '3e-324',
  '2.2250738585072014e-308',
  '2.2250738585072011e-308',
  '1e-4940',
  '1e-4960',
  '-1e-4960',
  '1e-99999999999999999999',
  '0e-400',
  '0e400',
  '0e99999999999999999999',
  // hexadecimal
  '0x10',
  '0X10',
  '-0x10',
  '+0x10',
  '0x1p4',
  '0x1P-4',
  '0x.8',
  '0x1.8p1',
  '0xA.Bp-2',
  '0x1p1023',
  '0x1p1024',
  '0x1.fffffffffffffp1023',
  '0x1.fffffffffffff8p1023',
  '0x1p-1074',
  '0x1p-1075',
  '0x1.8p-1075',
  '0x1p-1076',
  '0x1p-1022',
  '0x0.fffffffffffff8p-1022',
  '0x1.fffffffffffffcp-1023',
  '0x1.fffffffffffff8p-1023',
  '0x1.fffffffffffff4p-1023',
  '0x1p16383',
  '0x1p16384',
  '0x1p-16445',
  '0x1p-16446',
  '0x0',
  '0x0p99999',
  '0x123456789abcdef123456789abcdef',
  '0x',
  '0x.',
  '0xg',
  '0x1p',
  '0x1p+',
  '0x1pz',
  '0x1_0',
  '0x10 ',
  // infinities and NaN
  'inf',
  '-inf',
  '+inf',
  'INF',
  'Inf',
  'infinity',
  '-Infinity',
  'INFINITY',
  'infinit',
  'infx',
  'infinityx',
  '-+inf',
  'nan',
  '-nan',
  'NaN',
  'NAN',
  'nan(123)',
  'nan()',
  'nanx',
  // spaces, garbage, empty, malformed
  ' 1',
  '\t1',
  '\n1',
  '\v1',
  '\f1',
  '\r1',
  '1 ',
  '1\t',
  ' ',
  '',
  '1\x00',
  '1\x002',
  '\x001',
  '1e',
  '1e+',
  '1e-',
  '1ee5',
  '1e5.5',
  '.',
  '-',
  '+',
  '--1',
  '+-1',
  '- 1',
  '1_000',
  '1,5',
  '1.2.3',
  'abc',
  '1a',
  '(1',
  '[1',
  // long digit strings
  '1' + '0'.repeat(308),
  '1' + '0'.repeat(309),
  '0.' + '0'.repeat(400) + '1',
  '0.' + '0'.repeat(322) + '4',
  '0.' + '1'.repeat(6000),
  '1.' + '0'.repeat(5200),
  '9'.repeat(400) + 'e-400',
  // exact decimal expansions near the bottom of the range: 2^-1074 and
  // 2^-1022 are exact; the others round, and set ERANGE (which SORT
  // refuses) only when tiny: below 2^-1022 after rounding to 53 bits
  exact(1n, -1074),
  exact(3n, -1075),
  exact(1n, -1022),
  exact((1n << 55n) - 1n, -1077),
  exact((1n << 55n) - 3n, -1077),
  // timeouts: beyond int64 milliseconds, and (Redis 7.2) beyond int64 once "now" is added
  '9223372036854775',
  '9223372036854775.807',
  '9223372036854775.808',
  '1e16',
  '0x7FFFFFFFFFFFFF',
  '-9223372036854775.808',
  '0.0001',
  '-0.0001',
];

/**
 * A step and how its replies are compared: exactly, with numeric texts
 * compared by value, as a timeout (Redis 7.2's reply), or not at all (a
 * cleanup after steps where 7.0 and 7.2 differ).
 */
type Probe = { cmd: Cmd; by?: 'value' | 'timeout' | 'any' };

/** The command families: what each does with one input. */
const FAMILIES: { name: string; steps: (x: string) => Probe[] }[] = [
  {
    name: 'ZADD score',
    steps: (x) => [{ cmd: ['DEL', 'z'] }, { cmd: ['ZADD', 'z', x, 'm'] }, { cmd: ['ZSCORE', 'z', 'm'], by: 'value' }],
  },
  {
    name: 'ZADD INCR and ZINCRBY',
    steps: (x) => [
      { cmd: ['DEL', 'z'] },
      { cmd: ['ZADD', 'z', '1', 'm'] },
      { cmd: ['ZADD', 'z', 'INCR', x, 'm'], by: 'value' },
      { cmd: ['ZINCRBY', 'z', x, 'm'], by: 'value' },
      { cmd: ['ZINCRBY', 'z', x, 'new'], by: 'value' },
    ],
  },
  {
    name: 'score range bounds (ZRANGEBYSCORE, ZCOUNT, ZRANGE BYSCORE, ZREMRANGEBYSCORE)',
    steps: (x) => [
      { cmd: ['ZRANGEBYSCORE', 'r', x, '+inf'] },
      { cmd: ['ZRANGEBYSCORE', 'r', '-inf', x] },
      { cmd: ['ZCOUNT', 'r', '(' + x, '+inf'] },
      { cmd: ['ZCOUNT', 'r', '-inf', '(' + x] },
      { cmd: ['ZREVRANGEBYSCORE', 'r', x, '-inf'] },
      { cmd: ['ZRANGE', 'r', '(' + x, x, 'BYSCORE'] },
      { cmd: ['ZREMRANGEBYSCORE', 'nokey', x, x] },
    ],
  },
  {
    name: 'ZUNIONSTORE / ZINTER WEIGHTS',
    steps: (x) => [
      { cmd: ['ZUNIONSTORE', 'u', '1', 'w', 'WEIGHTS', x] },
      { cmd: ['ZRANGE', 'u', '0', '-1', 'WITHSCORES'], by: 'value' },
      { cmd: ['ZINTER', '2', 'w', 'w', 'WEIGHTS', '1', x, 'WITHSCORES'], by: 'value' },
    ],
  },
  {
    name: 'INCRBYFLOAT (argument and stored value)',
    steps: (x) => [
      { cmd: ['DEL', 'k'] },
      { cmd: ['INCRBYFLOAT', 'k', x] },
      { cmd: ['SET', 'k', x] },
      { cmd: ['INCRBYFLOAT', 'k', '1'] },
      { cmd: ['INCRBYFLOAT', 'k', '0'] },
    ],
  },
  {
    name: 'HINCRBYFLOAT (argument and stored field)',
    steps: (x) => [
      { cmd: ['DEL', 'h'] },
      { cmd: ['HINCRBYFLOAT', 'h', 'f', x] },
      { cmd: ['HSET', 'h', 'g', x] },
      { cmd: ['HINCRBYFLOAT', 'h', 'g', '1'] },
    ],
  },
  {
    name: 'GEOADD coordinates',
    steps: (x) => [
      { cmd: ['DEL', 'g'] },
      { cmd: ['GEOADD', 'g', x, '0', 'a'] },
      { cmd: ['GEOADD', 'g', '0', x, 'b'] },
      { cmd: ['GEOPOS', 'g', 'a', 'b'] },
      // an invalid pair's error text prints both values with %f
      { cmd: ['GEOADD', 'g', x, '86', 'c'] },
      { cmd: ['GEOADD', 'g', '181', x, 'c'] },
      { cmd: ['GEOSEARCH', 'g2', 'FROMLONLAT', x, '0', 'BYRADIUS', '200', 'km', 'ASC'] },
      { cmd: ['GEORADIUS', 'g2', '0', x, '200', 'km', 'ASC'] },
    ],
  },
  {
    name: 'GEO radius, width and height',
    steps: (x) => [
      { cmd: ['GEOSEARCH', 'g2', 'FROMLONLAT', '0', '0', 'BYRADIUS', x, 'km', 'ASC'] },
      { cmd: ['GEOSEARCH', 'g2', 'FROMMEMBER', 'p0', 'BYBOX', x, '1', 'km', 'ASC'] },
      { cmd: ['GEOSEARCH', 'g2', 'FROMMEMBER', 'p0', 'BYBOX', '1', x, 'km', 'ASC'] },
      { cmd: ['GEORADIUSBYMEMBER', 'g2', 'p0', x, 'km', 'ASC'] },
    ],
  },
  {
    name: 'blocking timeouts',
    steps: (x) => [
      { cmd: ['RPUSH', 'l', 'a', 'b', 'c'] },
      { cmd: ['BLPOP', 'l', x], by: 'timeout' },
      { cmd: ['BLMOVE', 'l', 'l', 'LEFT', 'RIGHT', x], by: 'timeout' },
      { cmd: ['BLMPOP', x, '1', 'l', 'LEFT'], by: 'timeout' },
      { cmd: ['ZADD', 'bz', '1', 'a', '2', 'b'] },
      { cmd: ['BZPOPMIN', 'bz', x], by: 'timeout' },
      { cmd: ['BZMPOP', x, '1', 'bz', 'MAX'], by: 'timeout' },
      { cmd: ['DEL', 'l', 'bz'], by: 'any' },
    ],
  },
  {
    name: 'SORT BY weights',
    // Redis's SORT never clears errno before its strtod, so one ERANGE (even
    // from an earlier command) fails every later numeric SORT until some
    // other parse clears it: the ZADD (string2d sets errno = 0) does that.
    steps: (x) => [
      { cmd: ['ZADD', 'errno', '0', 'clear'] },
      { cmd: ['SET', 'wa', x] },
      { cmd: ['SORT', 'sl', 'BY', 'w*'] },
      { cmd: ['SORT', 'sl', 'BY', 'w*', 'DESC'] },
      { cmd: ['HSET', 'hw', 'a', x] },
      { cmd: ['ZADD', 'errno', '0', 'clear'] },
      { cmd: ['SORT', 'sl', 'BY', 'hw->*'] },
    ],
  },
  {
    name: 'CONFIG SET latency-tracking-info-percentiles',
    steps: (x) => [
      { cmd: ['CONFIG', 'SET', 'latency-tracking-info-percentiles', x] },
      { cmd: ['CONFIG', 'GET', 'latency-tracking-info-percentiles'] },
      { cmd: ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'] },
    ],
  },
];

/** Data the families read: a range of scores, a weighted set, points, a list to sort. */
const SETUP: Cmd[] = [
  [
    'ZADD',
    'r',
    '-inf',
    'ninf',
    '-1e308',
    'nbig',
    '-1',
    'n1',
    '-5e-324',
    'ntiny',
    '0',
    'zero',
    '5e-324',
    'tiny',
    '1',
    'one',
    '2.5',
    'two5',
    '1e308',
    'big',
    'inf',
    'pinf',
  ],
  ['ZADD', 'w', '2', 'a', '-3', 'b', '0', 'c'],
  ['GEOADD', 'g2', '0', '0', 'p0', '0.5', '0.5', 'p1', '1', '0', 'p2', '-1', '-1', 'p3'],
  ['RPUSH', 'sl', 'a', 'b', 'c'],
  ['SET', 'wb', '1'],
  ['SET', 'wc', '-2'],
  ['HSET', 'hw', 'b', '1', 'c', '-2'],
];

/** A reply's numeric text as a double (Redis 7.0 and 7.2 print the same value differently). */
function asNumber(v: RespValue): number | null {
  const s = Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'string' ? v : null;
  if (s === null) return typeof v === 'number' ? v : null;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return /^-?\d+(\.\d+)?(e[+-]\d+)?$/.test(s) ? Number(s) : null;
}

/** Equal replies, where numeric bulk strings only need the same double value. */
function sameValue(a: RespValue, b: RespValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]!));
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== null && y !== null) return Object.is(x, y);
  return JSON.stringify(a, big) === JSON.stringify(b, big);
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('latin1') : v;
}

/**
 * The reply Redis 7.2 gives for a timeout where the 7.0 reference differs:
 * 7.0 converts a value of 2^63 ms or more (or one that overflows once the
 * current time is added) to a negative int64 and says "timeout is negative";
 * 7.2 says "timeout is out of range". A text without a '-' sign that 7.0
 * calls negative is one of those; the texts listed overflow only with "now".
 */
const NOW_OVERFLOWS = new Set(['9223372036854775', '9223372036854775.807', '0x7FFFFFFFFFFFFF']);
function timeoutReply72(x: string, redis70: string): string {
  const overflow =
    (redis70 === '-ERR timeout is negative\r\n' && !x.trimStart().startsWith('-')) || NOW_OVERFLOWS.has(x);
  return overflow ? '-ERR timeout is out of range\r\n' : redis70;
}

function label(cmd: Cmd): string {
  const s = JSON.stringify(cmd.map(String));
  return s.length > 200 ? s.slice(0, 200) + '...' : s;
}

for (const fam of FAMILIES) {
  test(`doubles through ${fam.name}`, async () => {
    await d!.reset();
    for (const c of SETUP) await d!.both(c);
    const bad: string[] = [];
    for (const x of INPUTS) {
      for (const p of fam.steps(x)) {
        const [got, want] = await d!.both(p.cmd);
        if (p.by === 'any') continue;
        if (p.by === 'timeout') {
          const want72 = timeoutReply72(x, want);
          if (got !== want72)
            bad.push(
              `${label(p.cmd)}: tsdis ${JSON.stringify(got.slice(0, 120))}, Redis 7.2 ${JSON.stringify(want72.slice(0, 120))}`,
            );
        } else if (got !== want && !(p.by === 'value' && sameValue(decode(got), decode(want)))) {
          bad.push(
            `${label(p.cmd)}: tsdis ${JSON.stringify(got.slice(0, 120))}, redis ${JSON.stringify(want.slice(0, 120))}`,
          );
        }
      }
    }
    assert.deepEqual(bad, []);
  });
}

test("blocking timeouts follow Redis 7.2's range checks (no redis-server needed)", async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    const rows: [string, string][] = [
      ['0x7FFFFFFFFFFFFF', '-ERR timeout is out of range\r\n'], // Redis 7.2's list.tcl case
      ['9223372036854775', '-ERR timeout is out of range\r\n'], // fits in int64 ms until "now" is added
      ['9223372036854775.808', '-ERR timeout is out of range\r\n'],
      ['inf', '-ERR timeout is out of range\r\n'],
      ['1e400', '-ERR timeout is out of range\r\n'], // a valid long double
      ['-inf', '-ERR timeout is negative\r\n'],
      ['-1e400', '-ERR timeout is negative\r\n'],
      ['-0.002', '-ERR timeout is negative\r\n'],
      ['1e5000', '-ERR timeout is not a float or out of range\r\n'],
      ['nan', '-ERR timeout is not a float or out of range\r\n'],
      [' 1', '-ERR timeout is not a float or out of range\r\n'],
      ['0.0001', '*-1\r\n'], // rounds up to 1 ms
      ['1e-400', '*-1\r\n'], // a long double subnormal: 1 ms too
    ];
    for (const [t, want] of rows) {
      assert.equal(await c.call('BLPOP', 'nolist', t), want, `BLPOP timeout ${t}`);
      assert.equal(await c.call('BZPOPMIN', 'nozset', t), want, `BZPOPMIN timeout ${t}`);
    }
    // -0.001 s is a little above -1 ms in long double: ceill gives -0, which
    // means no timeout (redis-server blocks too; with doubles it would be -1).
    c.write('*3\r\n$5\r\nBLPOP\r\n$6\r\nnolist\r\n$6\r\n-0.001\r\n');
    const other = await RawConn.connect(srv.port);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await other.call('RPUSH', 'nolist', 'x'), ':1\r\n');
    other.close();
    assert.equal(await c.read(), '*2\r\n$6\r\nnolist\r\n$1\r\nx\r\n');
  } finally {
    c.close();
    await srv.close();
  }
});

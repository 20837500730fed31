/**
 * Lua numbers on their way out of a script: as redis.call / redis.pcall
 * arguments (Redis converts them with full precision, not with Lua's
 * "%.14g"), as integer replies, and inside the VM (tostring, `..`, cjson,
 * cmsgpack keep Lua's and the libraries' own formats, as in Redis).
 *
 * Where Redis 7.0 (the redis-server here, "%.17g") and 7.2 agree, which is
 * every integer below 1e17, the replies are compared byte for byte with
 * redis-server; the rest is Redis 7.2's rule, pinned from its source.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, type Cmd } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';

const d = await Differ.start();
after(() => d?.stop());
const ev = (script: string, ...rest: string[]): Cmd => ['EVAL', script, ...(rest.length ? rest : ['0'])];

test('integral numbers reach commands exactly (ZADD scores, SET values, counters), as redis-server writes them', async () => {
  await d!.reset();
  await d!.same([
    // the cases: %.14g made these 7098765432101200 and 2.1296296296304e+16
    ev(
      "redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + 1, 'm') return redis.call('ZSCORE', KEYS[1], 'm')",
      '1',
      'z',
      '7098765432101234',
    ),
    ev(
      "local x = tonumber(ARGV[1]) redis.call('SET', KEYS[1], x * 3) return redis.call('GET', KEYS[1])",
      '1',
      'n',
      '7098765432101234',
    ),
    ev(
      "redis.call('SET', KEYS[1], -tonumber(ARGV[1]) - 1) return redis.call('GET', KEYS[1])",
      '1',
      'n',
      '7098765432101234',
    ),
    ev(
      "local t = {} for _, x in ipairs({0, 1, -1, 2^31, -2^31, 2^32 + 1, 2^53, 2^53 + 2, -2^53, 1e8, 1e9, 1e15, -1e15, 12345678901234567}) do t[#t + 1] = redis.call('ECHO', x) end return t",
    ),
    // integer commands take them (7.2.0-7.2.4 sent 200000000 as "2e+8" here: Redis fixed it in 7.2.5)
    ev("return redis.pcall('HINCRBY', KEYS[1], 'f', 200000000)", '1', 'h'),
    ev("return redis.pcall('INCRBY', KEYS[1], tonumber(ARGV[1]) * 1000)", '1', 'c', '1000000'),
    ev(
      "redis.call('SET', KEYS[1], 'v') redis.call('EXPIRE', KEYS[1], 100000000) return redis.call('TTL', KEYS[1])",
      '1',
      'e',
    ),
    ev("return redis.call('LRANGE', KEYS[1], 0, 1e9)", '1', 'l'),
  ]);
});

test('BullMQ-style delayed jobs: ids baked into scores keep their order and never come due early', async () => {
  await d!.reset();
  // score = timestamp * 0x1000 + (job counter & 0xfff), computed in Lua from the arguments
  const add =
    'local score = tonumber(ARGV[1]) * 0x1000 + bit.band(tonumber(ARGV[2]), 0xfff) ' +
    "redis.call('ZADD', KEYS[1], score, ARGV[3]) return redis.call('ZSCORE', KEYS[1], ARGV[3])";
  const ts = '1733318400123';
  const cmds: Cmd[] = [];
  for (const [n, id] of [
    [7, 'c'],
    [5, 'a'],
    [6, 'b'],
    [4095, 'z'],
    [1, 'first'],
  ] as const)
    cmds.push(ev(add, '1', 'delayed', ts, String(n), id));
  cmds.push(['ZRANGE', 'delayed', '0', '-1', 'WITHSCORES']);
  // nothing is due a millisecond before its timestamp; everything is at it
  cmds.push(
    ev("return redis.call('ZRANGEBYSCORE', KEYS[1], 0, '(' .. (tonumber(ARGV[1]) * 0x1000))", '1', 'delayed', ts),
  );
  cmds.push(
    ev("return redis.call('ZRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) * 0x1000 + 0xfff)", '1', 'delayed', ts),
  );
  await d!.same(cmds);
  const [, raw] = await d!.both(['ZSCORE', 'delayed', 'c']);
  assert.equal(raw, `$16\r\n${BigInt(ts) * 4096n + 7n}\r\n`);
});

test("inside the VM numbers keep Lua's %.14g (tostring, ..), cjson's %.14g and cmsgpack's bytes, as in Redis", async () => {
  await d!.reset();
  await d!.same([
    ev("local x = 7098765432101235 return {tostring(x), x .. '', tostring(1/3), tostring(-0), tostring(2^63)}"),
    ev('return cjson.encode({7098765432101235, 0.1, 1/3, 1e300, -0, 2^53, 123456789012345})'),
    ev('return cmsgpack.pack({7098765432101235, 0.1, -1, 2^53, 1e300, -0})'),
    ev("return struct.pack('>d', 7098765432101235)"),
    // numbers returned become integer replies (truncated toward zero; out of range: INT64_MIN)
    ev('return {1.9, -1.9, 2^53 + 1, 7098765432101235, 1e15 + 0.5, -0.5, 2^63, -2^63, 1/0, 0/0}'),
  ]);
});

test('other numbers reach commands as Redis 7.2 writes them: shortest round-trip digits, fpconv layout (pinned)', async () => {
  // Redis 7.2 (script_lua.c luaArgsToRedisArgv): an integral value within
  // +-2^62 as an integer (7.2.5+; 7.0 the same through "%.17g"), anything
  // else with fpconv_dtoa: the shortest digits that read back as the same
  // double, written plain for exponents -7 < e < digits + 7 and as
  // d.ddde+X otherwise; inf, -inf, nan, "-nan" for a NaN with its sign bit
  // (0/0); -0 as "-0" (7.0 and 7.2.4; 7.2.5's integer check prints "0").
  // Redis 7.0 (the redis-server here) writes "%.17g" instead: 0.1 is
  // "0.10000000000000001" there.
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    const cases: [string, string][] = [
      ['0.1', '0.1'],
      ['1/3', '0.3333333333333333'],
      ['-2.5', '-2.5'],
      ['123456.789', '123456.789'],
      ['0.000001', '0.000001'],
      ['1e-7', '1e-7'],
      ['1.5e-7', '1.5e-7'],
      ['5e-324', '5e-324'],
      ['1e21', '1e+21'],
      ['1e19', '1e+19'],
      ['1e300', '1e+300'],
      ['1.7976931348623157e308', '1.7976931348623157e+308'],
      ['2^62', '4611686018427387904'],
      ['-2^62', '-4611686018427387904'],
      ['4e18', '4000000000000000000'],
      ['2^63', '9223372036854776000'],
      ['7098765432101234.5', '7098765432101234'],
      ['2^53 + 0.5', '9007199254740992'],
      ['1e16 / 3', '3333333333333333.5'],
      ['-0', '-0'],
      ['1/0', 'inf'],
      ['-1/0', '-inf'],
      ['0/0', '-nan'],
      ['-(0/0)', 'nan'],
    ];
    for (const [expr, want] of cases) {
      const r = await c.call(
        'EVAL',
        `redis.call('SET', KEYS[1], ${expr}) return {redis.call('GET', KEYS[1]), redis.call('ECHO', ${expr})}`,
        '1',
        'k',
      );
      assert.equal(r, `*2\r\n$${want.length}\r\n${want}\r\n$${want.length}\r\n${want}\r\n`, expr);
    }
    // A double argument parses back to the same double (ZADD / INCRBYFLOAT / ZSCORE round trip).
    assert.equal(
      await c.call('EVAL', "redis.call('ZADD', 'zz', 0.1 + 0.2, 'm') return redis.call('ZSCORE', 'zz', 'm')", '0'),
      '$19\r\n0.30000000000000004\r\n',
    );
    assert.equal(
      await c.call('EVAL', "return redis.call('INCRBYFLOAT', 'f', 1/3)", '0'),
      '$18\r\n0.3333333333333333\r\n',
    );
  } finally {
    c.close();
    await srv.close();
  }
});

/**
 * Encodings redis-server 7.x no longer writes but still reads (zipmap,
 * ziplists, quicklist of ziplists, text-double sorted sets) and the version
 * 11 set listpack that 7.0 cannot read: payloads built here byte by byte,
 * restored into tsdis, and — for those redis-server 7.0 reads — into
 * redis-server too, comparing DEBUG DIGEST-VALUE.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, startRedis, hasRedis, RawConn, type RedisProcess } from '../helpers/servers.js';
import { len, str, ziplist, zipmap, listpack, payload } from '../helpers/payloads.js';

const DEBUG = { 'enable-debug-command': 'yes' };

const textDouble = (x: string) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x, 'latin1')]);

const CASES: { name: string; type: number; value: Buffer; version: number; same: string[][]; redis: boolean }[] = [
  {
    name: 'hash zipmap',
    type: 9,
    value: str(
      zipmap([
        ['a', '1'],
        ['field', 'value'],
      ]),
    ),
    version: 3,
    same: [['HSET', 'k', 'a', '1', 'field', 'value']],
    redis: true,
  },
  {
    name: 'list ziplist',
    type: 10,
    value: str(ziplist(['x', 5, -100, 1000, 'yy'])),
    version: 9,
    same: [['RPUSH', 'k', 'x', '5', '-100', '1000', 'yy']],
    redis: true,
  },
  {
    name: 'zset ziplist',
    type: 12,
    value: str(ziplist(['a', '1.5', 'b', 2])),
    version: 9,
    same: [['ZADD', 'k', '1.5', 'a', '2', 'b']],
    redis: true,
  },
  {
    name: 'hash ziplist',
    type: 13,
    value: str(ziplist(['f', 'v', 'n', 7])),
    version: 9,
    same: [['HSET', 'k', 'f', 'v', 'n', '7']],
    redis: true,
  },
  {
    name: 'quicklist of ziplists',
    type: 14,
    value: Buffer.concat([len(2), str(ziplist(['a', 1])), str(ziplist(['b', 'c']))]),
    version: 9,
    same: [['RPUSH', 'k', 'a', '1', 'b', 'c']],
    redis: true,
  },
  {
    name: 'zset with text doubles',
    type: 3,
    value: Buffer.concat([
      len(3),
      str('a'),
      textDouble('1.5'),
      str('b'),
      Buffer.from([254]),
      str('c'),
      Buffer.from([255]),
    ]),
    version: 9,
    same: [['ZADD', 'k', '1.5', 'a', '+inf', 'b', '-inf', 'c']],
    redis: true,
  },
  {
    name: 'plain list',
    type: 1,
    value: Buffer.concat([len(2), str('p'), str('q')]),
    version: 6,
    same: [['RPUSH', 'k', 'p', 'q']],
    redis: true,
  },
  {
    name: 'set listpack (version 11)',
    type: 20,
    value: str(listpack(['a', 'bb', 'ccc'])),
    version: 11,
    same: [['SADD', 'k', 'a', 'bb', 'ccc']],
    redis: false,
  },
];

let redis: RedisProcess | null = null;
after(async () => {
  await redis?.stop();
});

test('old and newer encodings restore with the same contents as built by commands', async () => {
  const t = await createServer({ config: DEBUG });
  const tc = await RawConn.connect(t.port);
  let rc: RawConn | null = null;
  if (hasRedis()) {
    redis = await startRedis(['--enable-debug-command', 'yes']);
    rc = await RawConn.connect(redis.port);
  }
  try {
    for (const c of CASES) {
      for (const cmd of c.same) await tc.call(...cmd);
      const want = await tc.call('DEBUG', 'DIGEST-VALUE', 'k');
      assert.equal(await tc.call('RESTORE', 'r', '0', payload(c.type, c.value, c.version)), '+OK\r\n', c.name);
      assert.equal(await tc.call('DEBUG', 'DIGEST-VALUE', 'r'), want, c.name);
      if (rc !== null && c.redis) {
        assert.equal(await rc.call('RESTORE', 'r', '0', payload(c.type, c.value, c.version)), '+OK\r\n', c.name);
        assert.equal(await rc.call('DEBUG', 'DIGEST-VALUE', 'r'), want, c.name);
        await rc.call('DEL', 'r');
      }
      await tc.call('DEL', 'k', 'r');
    }
    // a version newer than tsdis reads (12, Redis 7.4's, since hash-field expiration) is refused like a bad checksum
    assert.equal(
      await tc.call('RESTORE', 'x', '0', payload(0, str('v'), 13)),
      '-ERR DUMP payload version or checksum are wrong\r\n',
    );
    assert.equal(await tc.call('RESTORE', 'x', '0', payload(0, str('v'), 12)), '+OK\r\n');
  } finally {
    tc.close();
    rc?.close();
    await t.close();
  }
});

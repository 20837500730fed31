/**
 * RESP3 pushes to the client whose command makes them:
 * - under CLIENT REPLY OFF / SKIP, (un)subscribe confirmations and messages
 *   are still delivered (Redis's CLIENT_PUSHING), compared with redis-server;
 * - a PUBLISH to oneself from a script or a transaction arrives after the
 *   command's reply (Redis 7.2, pinned from its unit/pubsub.tcl: the 7.0
 *   reference delivers it first);
 * - tracking's NOLOOP treats a script's changes as its caller's.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, startRedis, startTsdis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';

const tsdis = await startTsdis();
const redis: RedisProcess | null = hasRedis() ? await startRedis() : null;
after(async () => {
  await tsdis.close();
  await redis?.stop();
});

/** Sends commands without waiting and returns everything that arrived within a while. */
async function exchange(c: RawConn, cmds: string[][], ms = 150): Promise<string> {
  for (const cmd of cmds) c.write(encode(cmd));
  await new Promise((r) => setTimeout(r, ms));
  return c.take();
}

test(
  'CLIENT REPLY OFF and SKIP keep push frames: confirmations and messages (as redis-server)',
  { skip: redis ? false : SKIP_NO_REDIS },
  async () => {
    const run = async (port: number): Promise<string[]> => {
      const c = await RawConn.connect(port);
      const p = await RawConn.connect(port);
      const out: string[] = [];
      try {
        await exchange(c, [['HELLO', '3']]);
        out.push(
          await exchange(c, [
            ['CLIENT', 'REPLY', 'OFF'],
            ['SUBSCRIBE', 'channel'],
            ['PSUBSCRIBE', 'ch*'],
          ]),
        );
        await p.call('PUBLISH', 'channel', 'hello');
        out.push(await exchange(c, []));
        out.push(await exchange(c, [['UNSUBSCRIBE', 'channel'], ['PUNSUBSCRIBE', 'ch*'], ['PING']]));
        out.push(
          await exchange(c, [
            ['CLIENT', 'REPLY', 'ON'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['PSUBSCRIBE', '__keyevent*'],
            ['PING'],
          ]),
        );
      } finally {
        c.close();
        p.close();
      }
      return out;
    };
    assert.deepEqual(await run(tsdis.port), await run(redis!.port));
  },
);

test('Redis 7.2: a PUBLISH to oneself in a script or transaction arrives after its reply', async () => {
  // the Lua VM loads on first use (scripting/vm-gate.ts): loaded before exchange()'s fixed wait below
  await tsdis.call('SCRIPT', 'LOAD', 'return 1');
  const c = await RawConn.connect(tsdis.port);
  try {
    await exchange(c, [['HELLO', '3']]);
    assert.equal(await exchange(c, [['SUBSCRIBE', 'foo']]), '>3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n');
    const script =
      'redis.call("ping","abc") redis.call("publish","foo","bar") redis.call("publish","foo","vaz") redis.call("ping","def") return "bla"';
    assert.equal(
      await exchange(c, [['EVAL', script, '0']]),
      '$3\r\nbla\r\n>3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n>3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nvaz\r\n',
    );
    await exchange(c, [['SUBSCRIBE', 'bar', 'baz']]);
    assert.equal(
      await exchange(c, [
        ['MULTI'],
        ['PING', 'abc'],
        ['UNSUBSCRIBE', 'bar'],
        ['UNSUBSCRIBE', 'baz'],
        ['PING', 'def'],
        ['EXEC'],
      ]),
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n$3\r\nabc\r\n>3\r\n$11\r\nunsubscribe\r\n$3\r\nbar\r\n:2\r\n>3\r\n$11\r\nunsubscribe\r\n$3\r\nbaz\r\n:1\r\n$3\r\ndef\r\n',
    );
    assert.equal(
      await exchange(c, [['MULTI'], ['PUBLISH', 'foo', 'x'], ['EXEC']]),
      '+OK\r\n+QUEUED\r\n*1\r\n:1\r\n>3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$1\r\nx\r\n',
    );
  } finally {
    c.close();
  }
});

test(
  "tracking NOLOOP: a script's changes are its caller's (no invalidation to itself), as redis-server",
  { skip: redis ? false : SKIP_NO_REDIS },
  async () => {
    const run = async (port: number): Promise<string> => {
      const c = await RawConn.connect(port);
      try {
        await exchange(c, [
          ['HELLO', '3'],
          ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'],
          ['SET', 'k', '1'],
          ['GET', 'k'],
        ]);
        return await exchange(c, [
          ['EVAL', "return redis.call('SET', KEYS[1], '2')", '1', 'k'],
          ['GET', 'k'],
        ]);
      } finally {
        c.close();
      }
    };
    assert.equal(await run(tsdis.port), await run(redis!.port));
  },
);

/**
 * Real clients against tsdis: ioredis and node-redis connect (both parse INFO
 * or send CLIENT SETINFO / SETNAME during the handshake) and run the server
 * introspection commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startTsdis } from '../helpers/servers.js';

test('ioredis connects (ready check parses INFO) and runs INFO/CLIENT commands', async () => {
  // no command may land in the slow log because the machine is busy (SLOWLOG LEN is checked)
  const s = await startTsdis({ config: { 'slowlog-log-slower-than': '10000000' } });
  const r = new Redis({
    port: s.port,
    host: '127.0.0.1',
    connectionName: 'ioconn',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await r.connect();
    assert.equal(r.status, 'ready');
    const info = await r.info('server');
    assert.match(info, /^# Server\r\nredis_version:7\.2\./);
    assert.equal(await r.client('GETNAME'), 'ioconn');
    const id = (await r.client('ID')) as number;
    assert.equal(typeof id, 'number');
    const list = (await r.client('LIST')) as string;
    assert.match(list, new RegExp(`^id=${id} .* name=ioconn .* lib-name=ioredis lib-ver=\\S+\\n$`));
    assert.equal(await r.call('CLIENT', 'SETINFO', 'LIB-VER', '9.9'), 'OK');
    assert.match((await r.client('INFO')) as string, / lib-ver=9\.9\n$/);
    const t = await r.time();
    assert.equal(t.length, 2);
    assert.equal(await r.slowlog('LEN'), 0);
    assert.equal(await r.memory('USAGE', 'nope'), null);
    assert.equal(await r.set('k', 'v'), 'OK');
    assert.ok(((await r.memory('USAGE', 'k')) as number) > 0);
  } finally {
    r.disconnect();
    await s.close();
  }
});

test('node-redis connects (CLIENT SETINFO pipeline, RESP2 and RESP3) and runs INFO/CLIENT commands', async () => {
  const s = await startTsdis();
  for (const RESP of [2, 3] as const) {
    const c = createClient({
      url: `redis://127.0.0.1:${s.port}`,
      name: `nr${RESP}`,
      RESP,
      socket: { reconnectStrategy: false, connectTimeout: 2000 },
    });
    c.on('error', () => {});
    try {
      await c.connect();
      const info = await c.info();
      assert.match(String(info), /\r\n# Keyspace\r\n/);
      assert.equal(await c.clientGetName(), `nr${RESP}`);
      const line = String(await c.sendCommand(['CLIENT', 'INFO']));
      assert.match(line, new RegExp(` name=nr${RESP} `));
      assert.match(line, / lib-name=node-redis lib-ver=\S+/);
      assert.match(line, new RegExp(` resp=${RESP} `));
      assert.equal(typeof (await c.clientId()), 'number');
      const list = String(await c.sendCommand(['CLIENT', 'LIST']));
      assert.ok(list.split('\n').filter(Boolean).length >= 1);
      assert.equal(await c.sendCommand(['SLOWLOG', 'RESET']), 'OK');
      const t = (await c.sendCommand(['TIME'])) as string[];
      assert.equal(t.length, 2);
    } finally {
      c.destroy();
    }
  }
  await s.close();
});

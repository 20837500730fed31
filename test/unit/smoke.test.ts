import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { startTsdis, RawConn } from '../helpers/servers.js';

const d = await Differ.start();
after(() => d?.stop());

test('PING and unknown command match redis-server', async () => {
  await d!.same([
    ['PING'],
    ['PING', 'hi'],
    ['ECHO', 'x'],
    ['NOSUCH', 'a', 'b'],
    ['ping', 'a', 'b'],
    ['HELLO', '4'],
    ['HELLO', 'x'],
  ]);
});

test('in-process call()', async () => {
  const s = await startTsdis();
  try {
    assert.equal(await s.call('SET', 'k', 'v'), 'OK');
    assert.equal(await s.call('GET', 'k'), 'v');
    const c = await RawConn.connect(s.port);
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
    c.close();
  } finally {
    await s.close();
  }
});

/**
 * Parameters given at start (createServer's `config`, the CLI's flags and
 * redis.conf) take effect in the subsystems that keep a copy of them, as
 * CONFIG SET's do: notify-keyspace-events (pub/sub) and
 * tracking-table-max-keys (client tracking). Before, both subsystems read
 * the defaults before the start's configuration was applied, so keyspace
 * events stayed off until a CONFIG SET (redis-server sends them at once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';

/** A SUBSCRIBE to `set` keyevents on `port`, then a SET from another connection: the message that came. */
async function setEvent(port: number): Promise<string> {
  const sub = await RawConn.connect(port);
  const cmd = await RawConn.connect(port);
  try {
    assert.equal(
      await sub.call('SUBSCRIBE', '__keyevent@0__:set'),
      '*3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:set\r\n:1\r\n',
    );
    assert.equal(await cmd.call('SET', 'k', 'v'), '+OK\r\n');
    return await sub.read(2000);
  } finally {
    sub.close();
    cmd.close();
  }
}

const EVENT = '*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n';

test('createServer config: notify-keyspace-events and tracking-table-max-keys apply from the start', async () => {
  const s = await startTsdis({ config: { 'notify-keyspace-events': 'KEA', 'tracking-table-max-keys': '1' } });
  try {
    assert.equal(await setEvent(s.port), EVENT);
    // tracking-table-max-keys 1: a client reading two keys keeps one tracked
    const c = await RawConn.connect(s.port);
    try {
      assert.equal(await c.call('HELLO', '3').then((r) => r.startsWith('%')), true);
      assert.equal(await c.call('CLIENT', 'TRACKING', 'on'), '+OK\r\n');
      await c.call('GET', 'a');
      await c.call('GET', 'b');
      // (the invalidation of the key dropped may come first: a push)
      let info = await c.call('INFO', 'stats');
      while (info.startsWith('>')) info = await c.read();
      assert.match(info, /tracking_total_keys:1\r\n/);
    } finally {
      c.close();
    }
  } finally {
    await s.close();
  }
});

test('the CLI: --notify-keyspace-events applies from the start', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cfgstart-'));
  const child = await startChild(['--save', '', '--notify-keyspace-events', 'KEA'], dir);
  try {
    assert.equal(await setEvent(child.port), EVENT);
  } finally {
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * WAIT on a master without replicas (tsdis does not replicate): 0 at once
 * for 0 replicas, 0 after the timeout otherwise, in MULTI at once, its
 * argument errors (against redis-server); from a script at once (Redis
 * 7.2 allows it there, 7.0 does not: pinned from 7.2's unit/scripting,
 * "Scripts do not block on wait"); CLIENT UNBLOCK ends the wait; a
 * timeout past 2^31 ms blocks (BLPOP's too: Node timers stop there).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';

const d = await Differ.start();
after(() => d?.stop());

test('WAIT without replicas: the count, the timeout, MULTI, argument errors', async () => {
  await d!.same([
    ['WAIT', '0', '0'],
    ['WAIT', '-1', '0'],
    ['WAIT', '1', '50'],
    ['WAIT', 'x', '0'],
    ['WAIT', '1', 'x'],
    ['WAIT', '1', '-1'],
    ['WAIT', '1', '1.5'],
    ['WAIT', '99999999999999999999', '0'],
    ['WAIT', '1'],
    ['MULTI'],
    ['WAIT', '5', '0'],
    ['EXEC'],
  ]);
});

test('WAIT from a script replies at once (7.2); CLIENT UNBLOCK ends a WAIT', async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  const w = await RawConn.connect(srv.port);
  try {
    assert.equal(await c.call('EVAL', "return redis.pcall('wait', '1', '0')", '0'), ':0\r\n');
    assert.equal(await c.call('EVAL', "return redis.call('wait', '0', '0')", '0'), ':0\r\n');
    // 7.2 refuses a timeout that overflows once the time is added (7.0 wraps it and waits)
    assert.equal(await c.call('WAIT', '1', '9223372036854775807'), '-ERR timeout is out of range\r\n');
    const id = (await w.call('CLIENT', 'ID')).slice(1, -2);
    const t0 = Date.now();
    w.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.pending(), '');
    assert.equal(await c.call('CLIENT', 'UNBLOCK', id), ':1\r\n');
    assert.equal(await w.read(), ':0\r\n');
    assert.ok(Date.now() - t0 < 5000);
    // a deadline beyond a timer's reach: still blocked after a while
    for (const cmd of [
      '*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$10\r\n9000000000\r\n',
      '*3\r\n$5\r\nBLPOP\r\n$2\r\nnk\r\n$10\r\n9000000000\r\n',
    ]) {
      w.write(cmd);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(w.pending(), '', cmd);
      assert.equal(await c.call('CLIENT', 'UNBLOCK', id), ':1\r\n');
      await w.read();
    }
  } finally {
    c.close();
    w.close();
    await srv.close();
  }
});

test('two WAITs time out (the second one used to crash the server process); a BLPOP after them is served', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-wait-'));
  const child = await startChild(['--save', ''], dir);
  const conns = await Promise.all([0, 1, 2, 3].map(() => RawConn.connect(child.port)));
  const [a, b, blpop, c] = conns as [RawConn, RawConn, RawConn, RawConn];
  try {
    a.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$3\r\n100\r\n');
    b.write('*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$3\r\n100\r\n');
    assert.equal(await a.read(), ':0\r\n');
    assert.equal(await b.read(), ':0\r\n');
    blpop.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await c.call('RPUSH', 'q', 'x'), ':1\r\n');
    assert.equal(await blpop.read(), '*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.doesNotMatch(child.output(), /crashed/);
  } finally {
    for (const x of conns) x.close();
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

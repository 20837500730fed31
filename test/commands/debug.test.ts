/**
 * The DEBUG subcommands Redis's own test suite uses, against redis-server:
 * QUICKLIST-PACKED-THRESHOLD's range, LISTPACK / QUICKLIST on each encoding,
 * SET-SKIP-CHECKSUM-VALIDATION letting a payload with a wrong CRC restore,
 * REPLYBUFFER and PAUSE-CRON arguments, STRINGMATCH-TEST, CLIENT-EVICTION
 * without maxmemory-clients; PAUSE-CRON stopping the active expire cycle.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { createServer, RawConn } from '../helpers/servers.js';
import { sleep, until, untilEqual } from '../helpers/wait.js';

const d = await Differ.start();
after(() => d?.stop());

test("DEBUG subcommands for Redis's tests answer as redis-server", async () => {
  await d!.reset();
  await d!.same([
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1b'],
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0'],
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '5gb'],
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 'x'],
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '4000mb'],
    ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1gb'],
    ['DEBUG', 'LISTPACK', 'nokey'],
    ['HSET', 'h', 'f', 'v'],
    ['DEBUG', 'LISTPACK', 'h'],
    ['SET', 's', 'v'],
    ['DEBUG', 'LISTPACK', 's'],
    ['CONFIG', 'SET', 'list-max-listpack-size', '1'],
    ['RPUSH', 'big', 'a', 'b', 'c'],
    ['DEBUG', 'QUICKLIST', 'big'],
    ['DEBUG', 'QUICKLIST', 'big', '1'],
    ['DEBUG', 'LISTPACK', 'big'],
    ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
    ['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '0'],
    ['DEBUG', 'PAUSE-CRON', '0'],
    ['DEBUG', 'AOF-FLUSH-SLEEP', '0'],
    ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'never'],
    ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'reset'],
    ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', '100'],
    ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'x'],
    ['DEBUG', 'REPLYBUFFER', 'RESIZING', '1'],
    ['DEBUG', 'REPLYBUFFER', 'NOPE', '1'],
    ['DEBUG', 'CLIENT-EVICTION'],
  ]);
});

test('DEBUG SET-SKIP-CHECKSUM-VALIDATION 1: a payload with a wrong CRC restores', async () => {
  await d!.reset();
  await d!.both(['SET', 'k', 'hello']);
  const [dump] = await d!.both(['DUMP', 'k']);
  const payload = Buffer.from(dump.slice(dump.indexOf('\r\n') + 2, -2), 'latin1');
  payload[payload.length - 1]! ^= 0xff;
  await d!.same([
    ['RESTORE', 'k2', '0', payload],
    ['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '1'],
    ['RESTORE', 'k2', '0', payload],
    ['GET', 'k2'],
  ]);
  await d!.both(['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '0']);
});

test('DEBUG LISTPACK / QUICKLIST of a small list: 7.2 encodes it as a listpack (7.0: quicklist)', async () => {
  const srv = await createServer({ noListen: true, config: { 'enable-debug-command': 'yes' } });
  try {
    await srv.call('RPUSH', 'small', 'a', 'b');
    assert.equal(await srv.call('DEBUG', 'LISTPACK', 'small'), 'Listpack structure printed on stdout');
    assert.equal(
      ((await srv.call('DEBUG', 'QUICKLIST', 'small')) as Error).message,
      'ERR Not a quicklist encoded object.',
    );
    // Redis's reply (its own fuzz takes seconds there, too long to compare under load)
    assert.equal(await srv.call('DEBUG', 'STRINGMATCH-TEST'), 'Apparently Redis did not crash: test passed');
  } finally {
    await srv.close();
  }
});

test('DEBUG PAUSE-CRON 1 stops the active expire cycle; lazy expiry still applies', async () => {
  const srv = await createServer({ config: { 'enable-debug-command': 'yes', hz: '100' } });
  try {
    assert.equal(await srv.call('DEBUG', 'PAUSE-CRON', '1'), 'OK');
    for (let i = 0; i < 20; i++) await srv.call('SET', `k${i}`, 'v', 'PX', '1');
    await sleep(60); // a sleep on purpose: six cron periods at hz 100 in which nothing may expire
    assert.equal(await srv.call('DBSIZE'), 20, 'nothing expired by the cron');
    assert.equal(await srv.call('GET', 'k0'), null);
    assert.equal(await srv.call('DEBUG', 'PAUSE-CRON', '0'), 'OK');
    await untilEqual('DBSIZE once the cron runs again', () => srv.call('DBSIZE'), 0);
  } finally {
    await srv.close();
  }
});

test('DEBUG SET-DISABLE-DENY-SCRIPTS lets scripts call noscript commands; CHANGE-REPL-ID gives a new replication id', async () => {
  await d!.reset();
  const script = "return type(redis.call('client','id'))";
  await d!.same([
    ['EVAL', script, '0'],
    ['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1'],
    ['EVAL', script, '0'],
    ['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0'],
    ['EVAL', script, '0'],
    ['DEBUG', 'CHANGE-REPL-ID'],
  ]);
  const replId = async () => /master_replid:(\w+)/.exec(await d!.a.call('INFO', 'replication'))![1];
  const before = await replId();
  assert.equal(await d!.a.call('DEBUG', 'CHANGE-REPL-ID'), '+OK\r\n');
  const now = await replId();
  assert.match(now!, /^[0-9a-f]{40}$/);
  assert.notEqual(now, before);
});

test('reply buffer sizing as Redis: an idle client shrinks to 1 KB, a busy one grows back to 16 KB (rbs/rbp, DEBUG REPLYBUFFER, INFO reply_buffer_*)', async () => {
  await d!.reset();
  const rbs = (line: string) => Number(/ rbs=(\d+)/.exec(line)![1]);
  // (absolute figures, checked on the reference too when it runs; polled, so not replayed)
  for (const port of d.live ? [d.tsdis.port, d.redis!.port] : [d.tsdis.port]) {
    const r = await RawConn.connect(port);
    const tc = await RawConn.connect(port);
    const info = async () => (await tc.call('CLIENT', 'INFO')) as string;
    const reaches = async (ok: (n: number) => boolean, what: string) => {
      await until(`${port} ${what}`, async () => ok(rbs(await info())), { every: 50 }).catch(() => {});
      assert.ok(ok(rbs(await info())), `${port} ${what}: ${await info()}`);
    };
    assert.equal(await r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', '100'), '+OK\r\n');
    await reaches((n) => n >= 1024 && n < 2046, 'idle shrink');
    await r.call('SET', 'bigval', 'x'.repeat(32768));
    assert.equal(await r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'never'), '+OK\r\n');
    for (let i = 0; i < 40 && rbs(await info()) < 16384; i++) {
      await tc.call('GET', 'bigval');
      await sleep(50);
    }
    assert.equal(rbs(await info()), 16384, `${port} busy expand`);
    assert.match(await r.call('INFO', 'stats'), /reply_buffer_shrinks:[1-9]\d*\r\nreply_buffer_expands:[1-9]/);
    assert.equal(await r.call('DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'reset'), '+OK\r\n');
    r.close();
    tc.close();
  }
});

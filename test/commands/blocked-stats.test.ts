/**
 * Redis 7.2 counts a blocked command once, when it completes (served, timed
 * out or unblocked), not when it blocks: commandstats calls/failed_calls,
 * errorstats, the slow log (with the command as the client sent it, BLPOP
 * rather than the LPOP it propagates as). Pinned from 7.2.4's own tests
 * (unit/slowlog.tcl, unit/type/stream-cgroups.tcl); the 7.0 reference
 * counts at block time, so these are not differential.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import type { TsdisServer } from '../../src/index.js';

let srv: TsdisServer;
let r: RawConn;
before(async () => {
  srv = await startTsdis();
  r = await RawConn.connect(srv.port);
});
after(async () => {
  r.close();
  await srv.close();
});

async function blockedClients(n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await r.call('INFO', 'clients')).includes(`blocked_clients:${n}\r\n`)) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`blocked_clients never reached ${n}`);
}

/** The argv of each SLOWLOG GET entry, newest first, as "a b c". */
async function slowlogCommands(): Promise<string[]> {
  const raw = await r.call('SLOWLOG', 'GET', '-1');
  // entries: *6 id time duration *argc argv... addr name
  const out: string[] = [];
  const lines = raw.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '*6') {
      const argc = Number(lines[i + 4]!.slice(1));
      const args: string[] = [];
      for (let k = 0; k < argc; k++) args.push(lines[i + 6 + 2 * k]!);
      out.push(args.join(' '));
    }
  }
  return out;
}

test('a blocked command reaches the slow log only once unblocked, as it was sent', async () => {
  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await r.call('SLOWLOG', 'RESET');
  const rd = await RawConn.connect(srv.port);
  try {
    rd.write(encode(['BLPOP', 'mylist', '0']));
    await blockedClients(1);
    assert.deepEqual(
      (await slowlogCommands()).filter((c) => c.startsWith('BLPOP')),
      [],
    );
    await r.call('MULTI');
    await r.call('LPUSH', 'mylist', 'foo');
    await r.call('SLOWLOG', 'RESET');
    await r.call('EXEC');
    assert.equal(await rd.read(), '*2\r\n$6\r\nmylist\r\n$3\r\nfoo\r\n');
    // as redis-server 7.0.15 logs them (checked): EXEC is not logged (skip_slowlog), the
    // SLOWLOG RESET inside it is, after it cleared the log; the served BLPOP comes last
    assert.deepEqual(await slowlogCommands(), ['BLPOP mylist 0', 'SLOWLOG RESET']);
  } finally {
    rd.close();
    await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  }
});

test('a blocked XREADGROUP whose group is destroyed: one call, one failed call, one NOGROUP', async () => {
  await r.call('CONFIG', 'RESETSTAT');
  await r.call('DEL', 'mystream');
  await r.call('XGROUP', 'CREATE', 'mystream', 'mygroup', '$', 'MKSTREAM');
  const rd = await RawConn.connect(srv.port);
  try {
    rd.write(encode(['XREADGROUP', 'GROUP', 'mygroup', 'Alice', 'BLOCK', '0', 'STREAMS', 'mystream', '>']));
    await blockedClients(1);
    assert.doesNotMatch(await r.call('INFO', 'commandstats'), /cmdstat_xreadgroup/);
    await r.call('XGROUP', 'DESTROY', 'mystream', 'mygroup');
    assert.equal(
      await rd.read(),
      "-NOGROUP No such key 'mystream' or consumer group 'mygroup' in XREADGROUP with GROUP option\r\n",
    );
    assert.match(
      await r.call('INFO', 'commandstats'),
      /cmdstat_xreadgroup:calls=1,.*,rejected_calls=0,failed_calls=1\r\n/,
    );
    assert.match(await r.call('INFO', 'errorstats'), /errorstat_NOGROUP:count=1\r\n/);
    assert.match(await r.call('INFO', 'stats'), /total_error_replies:1\r\n/);
  } finally {
    rd.close();
  }
});

test('timed-out and CLIENT UNBLOCKed commands are counted when they end', async () => {
  await r.call('CONFIG', 'RESETSTAT');
  const rd = await RawConn.connect(srv.port);
  try {
    rd.write(encode(['BLPOP', 'nolist', '0.05']));
    assert.equal(await rd.read(), '*-1\r\n');
    rd.write(encode(['CLIENT', 'ID']));
    const id = (await rd.read()).slice(1, -2);
    rd.write(encode(['BRPOP', 'nolist', '0']));
    await blockedClients(1);
    assert.doesNotMatch(await r.call('INFO', 'commandstats'), /cmdstat_brpop/);
    assert.equal(await r.call('CLIENT', 'UNBLOCK', id, 'ERROR'), ':1\r\n');
    assert.match(await rd.read(), /^-UNBLOCKED/);
    const stats = await r.call('INFO', 'commandstats');
    assert.match(stats, /cmdstat_blpop:calls=1,.*failed_calls=0\r\n/);
    assert.match(stats, /cmdstat_brpop:calls=1,.*failed_calls=1\r\n/);
  } finally {
    rd.close();
  }
});

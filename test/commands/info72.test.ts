/**
 * INFO fields Redis 7.2 added (the 7.0 reference has none of them, so these
 * are pinned from 7.2.4's unit/info.tcl and unit/type/stream-cgroups.tcl):
 * the event-loop figures in stats and in the hidden debug section, and
 * total_blocking_keys_on_nokey.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import type { TsdisServer } from '../../src/index.js';

let srv: TsdisServer;
let r: RawConn;
before(async () => {
  srv = await startTsdis({ config: { hz: '10' } });
  r = await RawConn.connect(srv.port);
});
after(async () => {
  r.close();
  await srv.close();
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
async function field(section: string, name: string): Promise<number | undefined> {
  const m = new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(await r.call('INFO', section));
  return m === null ? undefined : Number(m[1]);
}

test("stats: eventloop metrics grow with cycles, their time and the commands' time", async () => {
  await r.call('SET', 'k', 'v');
  const c1 = (await field('stats', 'eventloop_cycles'))!;
  const el1 = (await field('stats', 'eventloop_duration_sum'))!;
  const cmd1 = (await field('stats', 'eventloop_duration_cmd_sum'))!;
  assert.ok(c1 > 0 && el1 > 0 && cmd1 > 0, `${c1} ${el1} ${cmd1}`);
  await sleep(110); // a cron tick at hz 10
  const c2 = (await field('stats', 'eventloop_cycles'))!;
  const el2 = (await field('stats', 'eventloop_duration_sum'))!;
  const cmd2 = (await field('stats', 'eventloop_duration_cmd_sum'))!;
  assert.ok(c2 > c1 && c2 < c1 + 10, `cycles ${c1} -> ${c2}`);
  assert.ok(el2 > el1 && el2 < el1 + 30000, `duration ${el1} -> ${el2}`);
  assert.ok(cmd2 > cmd1 && cmd2 < cmd1 + 15000, `cmd ${cmd1} -> ${cmd2}`);
});

test('stats: instantaneous eventloop metrics after 16 samples', async () => {
  await r.call('CONFIG', 'RESETSTAT');
  await sleep(1700);
  const cps = (await field('stats', 'instantaneous_eventloop_cycles_per_sec'))!;
  assert.ok(cps > 0 && cps < 15, `cycles per sec ${cps}`);
  const us = (await field('stats', 'instantaneous_eventloop_duration_usec'))!;
  assert.ok(us > 0 && us < 22000, `duration ${us}`);
});

test('INFO debug is hidden from all and everything; its figures grow', async () => {
  assert.equal(await field('', 'eventloop_duration_cron_sum'), undefined);
  assert.equal(await field('all', 'eventloop_duration_cron_sum'), undefined);
  assert.equal(await field('everything', 'eventloop_duration_cron_sum'), undefined);
  assert.match(
    await r.call('INFO', 'debug'),
    /^\$\d+\r\n# Debug\r\neventloop_duration_aof_sum:\d+\r\neventloop_duration_cron_sum:\d+\r\neventloop_duration_max:\d+\r\neventloop_cmd_per_cycle_max:\d+\r\n\r\n$/,
  );
  const cron1 = (await field('debug', 'eventloop_duration_cron_sum'))!;
  const max1 = (await field('debug', 'eventloop_duration_max'))!;
  assert.ok(cron1 > 0 && max1 > 0 && (await field('debug', 'eventloop_cmd_per_cycle_max'))! > 0);
  // (until a cron tick at hz 10 has run: bounded, 2 s)
  for (let i = 0; i < 100 && (await field('debug', 'eventloop_duration_cron_sum'))! <= cron1; i++) await sleep(20);
  assert.ok((await field('debug', 'eventloop_duration_cron_sum'))! > cron1);
  assert.ok((await field('debug', 'eventloop_duration_max'))! >= max1);
});

test('total_blocking_keys_on_nokey counts keys a blocked XREADGROUP waits on, not BLPOP', async () => {
  const rd = await RawConn.connect(srv.port);
  const rd2 = await RawConn.connect(srv.port);
  const blocked = async (n: number) => {
    for (let i = 0; i < 300 && (await field('clients', 'blocked_clients')) !== n; i++) await sleep(5);
  };
  try {
    await r.call('DEL', 'mystream');
    rd2.write(encode(['BLPOP', 'mystream', '0']));
    await blocked(1);
    assert.equal(await field('clients', 'total_blocking_keys'), 1);
    assert.equal(await field('clients', 'total_blocking_keys_on_nokey'), 0);
    await r.call('XADD', 'mystream', '666', 'key', 'value');
    await r.call('XGROUP', 'CREATE', 'mystream', 'mygroup', '$', 'MKSTREAM');
    rd.write(encode(['XREADGROUP', 'GROUP', 'mygroup', 'myconsumer', 'BLOCK', '0', 'STREAMS', 'mystream', '>']));
    await blocked(2);
    assert.equal(await field('clients', 'total_blocking_keys'), 1);
    assert.equal(await field('clients', 'total_blocking_keys_on_nokey'), 1);
  } finally {
    rd.close();
    rd2.close();
  }
});

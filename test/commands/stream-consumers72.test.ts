/**
 * Redis 7.2's consumer clocks (unit/type/stream-cgroups.tcl "Consumer
 * seen-time and active-time"): XREADGROUP creates its consumer and marks it
 * seen even when nothing is served (7.0 created it only when serving);
 * `idle` counts from the last attempt, `inactive` from the last successful
 * read (-1 before any). Time is injected, so no sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../helpers/servers.js';

test('XINFO CONSUMERS idle/inactive and STREAM FULL seen-time/active-time follow 7.2', async () => {
  let now = 1_700_000_000_000;
  const srv = await createServer({ noListen: true, clock: () => now });
  const consumer = async () => {
    const list = (await srv.call('XINFO', 'CONSUMERS', 'mystream', 'mygroup')) as unknown[][];
    assert.equal(list.length, 1);
    const [, name, , pending, , idle, , inactive] = list[0]!;
    return { name, pending, idle, inactive };
  };
  try {
    await srv.call('XGROUP', 'CREATE', 'mystream', 'mygroup', '$', 'MKSTREAM');
    assert.equal(
      await srv.call('XREADGROUP', 'GROUP', 'mygroup', 'Alice', 'COUNT', '1', 'STREAMS', 'mystream', '>'),
      null,
    );
    now += 100;
    assert.deepEqual(await consumer(), { name: 'Alice', pending: 0, idle: 100, inactive: -1 });
    await srv.call('XADD', 'mystream', '*', 'f', 'v');
    await srv.call('XREADGROUP', 'GROUP', 'mygroup', 'Alice', 'COUNT', '1', 'STREAMS', 'mystream', '>');
    now += 10;
    assert.deepEqual(await consumer(), { name: 'Alice', pending: 1, idle: 10, inactive: 10 });
    now += 100;
    await srv.call('XREADGROUP', 'GROUP', 'mygroup', 'Alice', 'COUNT', '1', 'STREAMS', 'mystream', '>');
    assert.deepEqual(await consumer(), { name: 'Alice', pending: 1, idle: 0, inactive: 110 });
    // XINFO STREAM FULL shows the two clocks themselves
    const full = (await srv.call('XINFO', 'STREAM', 'mystream', 'FULL')) as unknown[];
    const groups = full[full.indexOf('groups') + 1] as unknown[][];
    const consumers = groups[0]![groups[0]!.indexOf('consumers') + 1] as unknown[][];
    const c = consumers[0]!;
    assert.equal(c[c.indexOf('seen-time') + 1], now);
    assert.equal(c[c.indexOf('active-time') + 1], now - 110);
  } finally {
    await srv.close();
  }
});

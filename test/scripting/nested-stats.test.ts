/**
 * A command a script runs is timed alone in commandstats, as Redis's call()
 * times every call: its usec is its own run, not the Lua code before it.
 * The script's command (EVAL) counts the whole run.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis, RawConn } from '../helpers/servers.js';
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

/** usec of cmdstat_<name> in INFO commandstats (0 when absent). */
async function usec(name: string): Promise<number> {
  const info = await r.call('INFO', 'commandstats');
  const m = new RegExp(`^cmdstat_${name}:calls=\\d+,usec=(\\d+),`, 'm').exec(info);
  return m === null ? 0 : Number(m[1]);
}

test("a script's command is timed alone, not with the Lua code before it", async () => {
  // the VM loads on the first script, outside the read's batch: load it first
  assert.equal(await r.call('EVAL', 'return 1', '0'), ':1\r\n');
  await r.call('CONFIG', 'RESETSTAT');
  // about 10-100 ms of Lua before the INCR, and again before the GET
  const script = `local x = 0 for i = 1, 3e6 do x = x + i end
redis.call('INCR', KEYS[1])
for i = 1, 3e6 do x = x + i end
return redis.call('GET', KEYS[1])`;
  assert.equal(await r.call('EVAL', script, '1', 'nested-stats'), '$1\r\n1\r\n');
  const whole = await usec('eval');
  const incr = await usec('incr');
  const get = await usec('get');
  assert.ok(whole >= 5000, `EVAL took ${whole} µs: the loops should take longer`);
  assert.ok(incr < whole / 10, `INCR counted ${incr} µs of the EVAL's ${whole}`);
  assert.ok(get < whole / 10, `GET counted ${get} µs of the EVAL's ${whole}`);
});

/**
 * The primary's link on a tsdis replica is not held to the limits of
 * ordinary clients (Redis's CLIENT_MASTER; 7.2.4's
 * tests/integration/replication-3.tcl "Master can replicate command longer
 * than client-query-buffer-limit on replica"): a command bigger than the
 * replica's client-query-buffer-limit and proto-max-bulk-len arrives whole,
 * without the link being dropped and a full sync taken again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, SKIP_NO_REDIS } from '../helpers/servers.js';
import { caughtUp, field, startPair } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

test('a command longer than the replica client limits comes through from the primary', { skip }, async () => {
  const pair = await startPair(['--client-query-buffer-limit', '4mb', '--proto-max-bulk-len', '4mb'], {
    'client-query-buffer-limit': 1024 * 1024,
    'proto-max-bulk-len': 1024 * 1024,
  });
  const { p, r } = pair;
  try {
    const big = 'x'.repeat(1_100_000);
    assert.equal(await p.call('SET', 'key', big), '+OK\r\n');
    await caughtUp(p, r);
    assert.equal(await r.call('STRLEN', 'key'), ':1100000\r\n');
    assert.equal(await field(p, 'sync_full', 'stats'), '1', 'no second full sync');
  } finally {
    await pair.stop();
  }
});

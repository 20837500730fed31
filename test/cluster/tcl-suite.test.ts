/**
 * Behaviours Redis's own cluster suite (tests/cluster, run by
 * `scripts/redis-tests.sh --cluster`) found different in tsdis, each pinned
 * here with tsdis nodes in real processes or in-process, from Redis 7.2.4's
 * cluster.c / debug.c.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdisNode, formCluster, clusterInfo, rawCall, until, type TsdisNode } from './helpers.js';
import { RawConn } from '../helpers/servers.js';

const nodes: TsdisNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});

// Every unit of tests/cluster starts with DEBUG DROP-CLUSTER-PACKET-FILTER -1 (init-tests.tcl).
test('DEBUG DROP-CLUSTER-PACKET-FILTER drops bus messages of one type (counted as received), -1 none', async () => {
  const a = await startTsdisNode({ 'enable-debug-command': 'yes' });
  const b = await startTsdisNode({ 'enable-debug-command': 'yes' });
  nodes.push(a, b);
  await formCluster([a.port, b.port]);
  const sub = await RawConn.connect(b.port);
  try {
    assert.match(await sub.call('SUBSCRIBE', 'ch'), /subscribe/);
    // 4 is PUBLISH (CLUSTERMSG_TYPE_PUBLISH)
    assert.equal(await rawCall(b.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', 4), '+OK\r\n');
    const before = Number((await clusterInfo(b.port, 'cluster_stats_messages_publish_received')) || 0);
    await rawCall(a.port, 'PUBLISH', 'ch', 'lost');
    await until(
      async () => Number(await clusterInfo(b.port, 'cluster_stats_messages_publish_received')) === before + 1,
      5000,
      'the PUBLISH counted as received',
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sub.pending(), '');
    assert.ok(b.log.some((l) => l.includes('# Dropping packet that matches debug drop filter')));
    assert.equal(await rawCall(b.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', -1), '+OK\r\n');
    await rawCall(a.port, 'PUBLISH', 'ch', 'kept');
    assert.equal(await sub.read(3000), '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nkept\r\n');
    assert.equal(
      await rawCall(b.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
  } finally {
    sub.close();
  }
});

/**
 * Behaviours Redis's own cluster suite (tests/cluster, run by
 * `scripts/redis-tests.sh --cluster`) found different in tsdis, each pinned
 * here with tsdis nodes in real processes or in-process, from Redis 7.2.4's
 * cluster.c / debug.c.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  startTsdisNode,
  startProcNode,
  formCluster,
  clusterInfo,
  rawCall,
  text,
  until,
  type ProcNode,
  type TsdisNode,
} from './helpers.js';
import { RawConn, startTsdis, hasRedis } from '../helpers/servers.js';

const nodes: TsdisNode[] = [];
const procs: ProcNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
  for (const p of procs) await p.stop();
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

// 14-consistency-check and 17-diskless-load-swapdb: a replica restarted from its own RDB must keep the keys whose TTL
// passed meanwhile (its primary's DELs remove them). In cluster mode Redis's iAmMaster() asks
// nodes.conf, so the load at start already knows the node is a replica, before replication
// is set up again by the cluster cron.
test('a cluster replica restarted on its RDB keeps keys whose TTL passed while it was down, and continues partially', async () => {
  const primary = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  const replica = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  procs.push(primary, replica);
  await rawCall(primary.port, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
  await rawCall(primary.port, 'CLUSTER', 'MEET', '127.0.0.1', replica.port);
  const id = text(await rawCall(primary.port, 'CLUSTER', 'MYID'));
  await until(async () => (await clusterInfo(replica.port, 'cluster_known_nodes')) === '2', 10000, 'the meet');
  await until(
    async () => (await rawCall(replica.port, 'CLUSTER', 'REPLICATE', id)) === '+OK\r\n',
    10000,
    'CLUSTER REPLICATE',
  );
  await until(async () => (await clusterInfo(primary.port, 'cluster_state')) === 'ok', 10000, 'cluster_state:ok');
  // the primary keeps its expired keys too: no DELs for the replica to replay
  assert.equal(await rawCall(primary.port, 'DEBUG', 'SET-ACTIVE-EXPIRE', 0), '+OK\r\n');
  for (let i = 0; i < 20; i++) assert.equal(await rawCall(primary.port, 'SET', `k${i}`, 'v', 'PX', 1500), '+OK\r\n');
  assert.equal(await rawCall(primary.port, 'SET', 'kept', 'v'), '+OK\r\n');
  await until(async () => (await rawCall(replica.port, 'DBSIZE')) === ':21\r\n', 10000, 'the replica in sync');
  assert.equal(await rawCall(replica.port, 'SAVE'), '+OK\r\n');
  await replica.kill();
  await new Promise((r) => setTimeout(r, 2000));
  await replica.restart();
  assert.equal(await rawCall(replica.port, 'DBSIZE'), ':21\r\n');
  // ... and the file's replication id and offset as its cached primary (Redis's loadDataFromDisk
  // when !iAmMaster()): it continues partially (17-diskless-load-swapdb needs that id for its
  // async load)
  await until(
    async () => /sync_partial_ok:1\r\n/.test(await rawCall(primary.port, 'INFO', 'stats')),
    10000,
    'a partial resync of the restarted replica',
  );
  assert.match(await rawCall(primary.port, 'INFO', 'stats'), /sync_full:1\r\n/);
  // the primary expires them, and the replica drops them with its DELs
  assert.equal(await rawCall(primary.port, 'DEBUG', 'SET-ACTIVE-EXPIRE', 1), '+OK\r\n');
  await until(async () => (await rawCall(replica.port, 'DBSIZE')) === ':1\r\n', 10000, 'the DELs replayed');
});

// 22-replica-in-sync sets requirepass on a primary: its replica's SYNC gets -NOAUTH, and the
// replica reconnects at once (Redis's cancelReplicationHandshake), so its next temp file has the
// same name (temp-<unixtime>.<pid>.rdb) as the one just dropped: that name must be gone by then.
test('a replica refused by its primary retries at once, its temp file already removed', async () => {
  const primary = await startTsdis({ config: { requirepass: 'secret' } });
  const log: string[] = [];
  const replica = await startTsdis({ log: (l) => log.push(l), config: { 'repl-diskless-load': 'disabled' } });
  try {
    assert.equal(await rawCall(replica.port, 'REPLICAOF', '127.0.0.1', primary.port), '+OK\r\n');
    await until(
      () => log.filter((l) => l.includes('MASTER aborted replication with an error: NOAUTH')).length >= 3,
      10000,
      'three refused SYNCs',
    );
    assert.deepEqual(
      log.filter((l) => l.includes('Opening the temp file')),
      [],
    );
    await rawCall(replica.port, 'REPLICAOF', 'NO', 'ONE');
    const dir = String(replica.server.config.v['dir']);
    await until(() => fs.readdirSync(dir).every((f) => !f.startsWith('temp-')), 5000, 'no temp file left');
  } finally {
    await replica.close();
    await primary.close();
  }
});

/** One INFO field of a node (raw INFO text parsed). */
async function infoOf(port: number, section: string, field: string): Promise<string> {
  const m = new RegExp(`\\r\\n${field}:([^\\r]*)\\r\\n`).exec('\r\n' + text(await rawCall(port, 'INFO', section)));
  return m?.[1] ?? '';
}

// 22-replica-in-sync "Check disconnected replica not hidden from slots": a primary sets
// requirepass and drops its replica; the replica's PSYNC and SYNC get -NOAUTH. Redis keeps the
// cached primary through that (it is discarded on +FULLRESYNC or when a payload loads), so the
// replica still announces its offset (CLUSTER SLOTS lists replicas with one) and continues
// partially once it has the password. Checked on a redis-server pair too.
test('a replica whose PSYNC and SYNC are refused keeps its cached primary, then continues partially', async (t) => {
  const kinds: ('tsdis' | 'redis')[] = hasRedis() ? ['tsdis', 'redis'] : ['tsdis'];
  for (const kind of kinds) {
    await t.test(kind, async () => {
      const primary = await startProcNode(kind, ['--cluster-enabled', 'no']);
      const replica = await startProcNode(kind, [
        '--cluster-enabled',
        'no',
        '--replicaof',
        '127.0.0.1',
        `${primary.port}`,
      ]);
      procs.push(primary, replica);
      await until(
        async () => (await infoOf(replica.port, 'replication', 'master_link_status')) === 'up',
        10000,
        'sync',
      );
      assert.equal(await rawCall(primary.port, 'SET', 'k', 'v'), '+OK\r\n');
      await until(
        async () =>
          Number(await infoOf(replica.port, 'replication', 'slave_repl_offset')) > 0 &&
          (await rawCall(replica.port, 'GET', 'k')) === '$1\r\nv\r\n',
        10000,
        'the write replicated',
      );
      const offset = await infoOf(replica.port, 'replication', 'slave_repl_offset');
      const admin = await RawConn.connect(primary.port);
      try {
        assert.equal(await admin.call('CONFIG', 'SET', 'requirepass', 'asdf'), '+OK\r\n');
        assert.equal(await admin.call('CLIENT', 'KILL', 'TYPE', 'replica'), ':1\r\n');
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(await infoOf(replica.port, 'replication', 'master_link_status'), 'down');
        assert.equal(await infoOf(replica.port, 'replication', 'slave_repl_offset'), offset, kind);
        // (the password stays: a SYNC let through without one would be a full sync)
        assert.equal(await rawCall(replica.port, 'CONFIG', 'SET', 'masterauth', 'asdf'), '+OK\r\n');
        await until(
          async () => (await infoOf(replica.port, 'replication', 'master_link_status')) === 'up',
          10000,
          'the replica back',
        );
        const stats = text(await admin.call('INFO', 'stats'));
        assert.match(stats, /\r\nsync_full:1\r\n/, kind);
        assert.match(stats, /\r\nsync_partial_ok:1\r\n/, kind);
      } finally {
        admin.close();
      }
    });
  }
});

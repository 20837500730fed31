/**
 * Mixed clusters: tsdis and redis-server 7.0 nodes on one cluster bus.
 * Two redis-server nodes and one tsdis node, then one redis-server node and
 * two tsdis nodes; each reaches cluster_state:ok on every node with every
 * node's CLUSTER NODES agreeing, keys are served across kinds through
 * MOVED, and a stopped node is failed by the others.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import {
  startTsdisNode,
  startRedisNode,
  formCluster,
  rawCall,
  clusterInfo,
  until,
  text,
  type TsdisNode,
} from './helpers.js';
import { keyHashSlot } from '../../src/cluster/slot.js';

const tsdis: TsdisNode[] = [];
const redis: RedisProcess[] = [];
after(async () => {
  for (const n of tsdis) await n.close();
  for (const r of redis) await r.stop();
});

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** Checks a formed cluster: a key of each third of the slots written and read through its owner, found by MOVED. */
async function serveAcross(ports: number[]): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const k = `mixed:${i}`;
    let r = await rawCall(ports[0]!, 'SET', k, `v${i}`);
    const m = /^-MOVED (\d+) 127\.0\.0\.1:(\d+)\r\n$/.exec(r);
    let port = ports[0]!;
    if (m !== null) {
      assert.equal(Number(m[1]), keyHashSlot(k));
      port = Number(m[2]);
      r = await rawCall(port, 'SET', k, `v${i}`);
    }
    assert.equal(r, '+OK\r\n');
    assert.equal(await rawCall(port, 'GET', k), `$${`v${i}`.length}\r\nv${i}\r\n`);
  }
}

test('two redis-server nodes and one tsdis node', { skip }, async () => {
  const r1 = await startRedisNode(['--cluster-announce-hostname', 'redis-one.example']);
  const r2 = await startRedisNode();
  redis.push(r1, r2);
  const t1 = await startTsdisNode({ 'cluster-announce-hostname': 'tsdis-one.example' });
  tsdis.push(t1);
  // (the tsdis node MEETs the redis-server nodes; the slots: r1, r2, t1)
  await formCluster([t1.port, r1.port, r2.port]);
  await serveAcross([r1.port, r2.port, t1.port]);
  // the redis-server nodes know the tsdis node's shard id (ping extension), and it theirs
  const tShard = text(await rawCall(t1.port, 'CLUSTER', 'MYSHARDID'));
  assert.match(tShard, /^[0-9a-f]{40}$/);
  // hostnames travel in the ping extensions both ways
  await until(
    async () =>
      text(await rawCall(r2.port, 'CLUSTER', 'NODES')).includes(`:${t1.port}@${t1.port + 10000},tsdis-one.example `),
    5000,
    'redis-server learns the tsdis hostname',
  );
  await until(
    async () =>
      text(await rawCall(t1.port, 'CLUSTER', 'NODES')).includes(`:${r1.port}@${r1.port + 10000},redis-one.example `),
    5000,
    'tsdis learns the redis-server hostname',
  );
  // a tsdis node stopped: the redis-server nodes fail it
  const tid = text(await rawCall(t1.port, 'CLUSTER', 'MYID'));
  await t1.close();
  await until(
    async () =>
      text(await rawCall(r1.port, 'CLUSTER', 'NODES'))
        .split('\n')
        .some((l) => l.startsWith(tid) && / master,fail /.test(l)),
    10000,
    'redis-server marks the tsdis node FAIL',
  );
  await until(
    async () => (await clusterInfo(r2.port, 'cluster_state')) === 'fail',
    5000,
    'cluster_state:fail on redis-server',
  );
});

test('one redis-server node and two tsdis nodes', { skip }, async () => {
  const r1 = await startRedisNode();
  redis.push(r1);
  const t1 = await startTsdisNode();
  const t2 = await startTsdisNode();
  tsdis.push(t1, t2);
  // (the redis-server node MEETs the tsdis nodes)
  await formCluster([r1.port, t1.port, t2.port]);
  await serveAcross([t1.port, r1.port, t2.port]);
  // redis-server stopped: the tsdis nodes fail it
  const rid = text(await rawCall(r1.port, 'CLUSTER', 'MYID'));
  await r1.stop();
  await until(
    async () =>
      text(await rawCall(t1.port, 'CLUSTER', 'NODES'))
        .split('\n')
        .some((l) => l.startsWith(rid) && / master,fail /.test(l)),
    10000,
    'tsdis marks the redis-server node FAIL',
  );
  await until(
    async () => (await clusterInfo(t2.port, 'cluster_state')) === 'fail',
    5000,
    'cluster_state:fail on tsdis',
  );
});

/**
 * Tools and clients against three tsdis nodes: `redis-cli --cluster create`
 * (no replicas) then `--cluster check`, and ioredis' Cluster and
 * node-redis' createCluster writing and reading keys of every node.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import {
  allClusterOk,
  startTsdisNode,
  nodesView,
  until,
  formCluster,
  redisCli,
  cliSkip,
  type TsdisNode,
} from './helpers.js';

const nodes: TsdisNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});

test('redis-cli --cluster create with three tsdis nodes, then --cluster check', { skip: cliSkip }, async () => {
  const trio: TsdisNode[] = [];
  for (let i = 0; i < 3; i++) trio.push(await startTsdisNode());
  nodes.push(...trio);
  const ports = trio.map((n) => n.port);
  const r = await redisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /\[OK\] All 16384 slots covered/);
  await allClusterOk(ports);
  await until(
    async () => {
      const v = await Promise.all(ports.map((p) => nodesView(p)));
      return v.every((x) => JSON.stringify(x) === JSON.stringify(v[0]) && x.length === 3);
    },
    20000,
    'agreement',
  );
  const check = await redisCli(['--cluster', 'check', `127.0.0.1:${ports[1]}`]);
  assert.equal(check.status, 0, check.out);
  assert.match(check.out, /\[OK\] All nodes agree about slots configuration\./);
  assert.match(check.out, /\[OK\] All 16384 slots covered\./);
  assert.doesNotMatch(check.out, /\[ERR\]|\[WARNING\]/);
});

test('ioredis Cluster and node-redis createCluster: SET/GET across slots', async () => {
  const trio: TsdisNode[] = [];
  for (let i = 0; i < 3; i++) trio.push(await startTsdisNode());
  nodes.push(...trio);
  const ports = trio.map((n) => n.port);
  await formCluster(ports);
  const keys = Array.from({ length: 60 }, (_, i) => `key:${i}`);

  const io = new IoCluster([{ host: '127.0.0.1', port: ports[0]! }], { lazyConnect: true });
  try {
    await io.connect();
    for (const k of keys) assert.equal(await io.set(k, `io-${k}`), 'OK');
    for (const k of keys) assert.equal(await io.get(k), `io-${k}`);
    assert.equal(await io.mset('{t}a', '1', '{t}b', '2'), 'OK');
    assert.deepEqual(await io.mget('{t}a', '{t}b'), ['1', '2']);
  } finally {
    io.disconnect();
  }
  // the keys are spread over the three nodes
  const sizes = await Promise.all(trio.map((n) => n.srv.call('DBSIZE')));
  for (const s of sizes) assert.ok(Number(s) > 0, `sizes ${sizes}`);

  const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${ports[1]}` }] });
  nr.on('error', () => {});
  await nr.connect();
  try {
    for (const k of keys) assert.equal(await nr.set(k, `nr-${k}`), 'OK');
    for (const k of keys) assert.equal(await nr.get(k), `nr-${k}`);
  } finally {
    await nr.quit();
  }
});

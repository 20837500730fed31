/**
 * Three tsdis nodes formed with CLUSTER MEET + ADDSLOTSRANGE: they learn of
 * each other through gossip, reach cluster_state:ok, agree on CLUSTER NODES
 * and SLOTS, carry PUBLISH over the bus, and when one stops the others mark
 * it PFAIL then FAIL and the cluster goes to cluster_state:fail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  servesSlot,
  startTsdisNode,
  formCluster,
  clusterInfo,
  nodesView,
  rawCall,
  text,
  until,
  type TsdisNode,
} from './helpers.js';
import { RawConn } from '../helpers/servers.js';

const nodes: TsdisNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});

test('three tsdis nodes form a cluster, gossip, publish over the bus, and detect a failed node', async () => {
  for (let i = 0; i < 3; i++) nodes.push(await startTsdisNode({ 'cluster-node-timeout': 1000 }));
  const ports = nodes.map((n) => n.port);
  // (the first node MEETs the other two; the second and third learn of each other by gossip)
  await formCluster(ports);
  const views = await Promise.all(ports.map((p) => nodesView(p)));
  for (const v of views) assert.deepEqual(v, views[0]);
  // every node names the others' address and its own slots
  assert.equal(views[0]!.length, 3);
  for (const line of views[0]!) assert.match(line, /^[0-9a-f]{40} 127\.0\.0\.1:\d+@\d+ master - \d+ \d+-\d+$/);
  // CLUSTER SLOTS: the same on every node
  const slots = await Promise.all(ports.map((p) => rawCall(p, 'CLUSTER', 'SLOTS')));
  for (const s of slots) assert.equal(s, slots[0]);
  assert.match(slots[0]!, /^\*3\r\n\*3\r\n:0\r\n:5460\r\n\*4\r\n\$9\r\n127\.0\.0\.1\r\n/);
  // distinct config epochs after collision handling
  const epochs = await Promise.all(ports.map((p) => clusterInfo(p, 'cluster_my_epoch')));
  assert.equal(new Set(epochs).size, 3, `epochs ${epochs}`);
  assert.equal(await clusterInfo(ports[0]!, 'cluster_known_nodes'), '3');
  assert.equal(await clusterInfo(ports[0]!, 'cluster_size'), '3');
  assert.match(text(await rawCall(ports[0]!, 'INFO', 'cluster')), /cluster_enabled:1/);

  // PUBLISH on one node reaches a subscriber on another (PUBLISH over the bus)
  const sub = await RawConn.connect(ports[2]!);
  assert.match(await sub.call('SUBSCRIBE', 'news'), /subscribe/);
  await rawCall(ports[0]!, 'PUBLISH', 'news', 'hello');
  assert.equal(await sub.read(3000), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n');
  sub.close();

  // a node stops: PFAIL, then FAIL (majority of the 3 primaries), and cluster_state:fail
  const deadId = text(await rawCall(ports[2]!, 'CLUSTER', 'MYID'));
  const started = Date.now();
  await nodes[2]!.close();
  await until(
    async () =>
      (await rawCall(ports[0]!, 'CLUSTER', 'NODES')).includes(`${deadId} `) &&
      /master,fail /.test(
        (await rawCall(ports[0]!, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes(deadId)) ?? '',
      ),
    10000,
    'FAIL flag',
  );
  const failAfter = Date.now() - started;
  // (node timeout 1000 ms: PFAIL after ~1 s without a PONG, FAIL as soon as a second primary agrees)
  assert.ok(failAfter < 6000, `FAIL after ${failAfter} ms`);
  for (const p of ports.slice(0, 2))
    await until(async () => (await clusterInfo(p, 'cluster_state')) === 'fail', 5000, 'cluster_state:fail');
  assert.match(
    nodes[0]!.log.join('\n'),
    new RegExp(
      `Marking node ${deadId} \\(\\) as failing \\(quorum reached\\)|FAIL message received from [0-9a-f]{40} \\(\\) about ${deadId}`,
    ),
  );
  assert.equal(await rawCall(ports[0]!, 'GET', 'k'), await rawCall(ports[1]!, 'GET', 'k'));
  assert.equal(await rawCall(ports[0]!, 'GET', '{x}'), '-CLUSTERDOWN The cluster is down\r\n');
});

test('slot ownership follows the highest configEpoch: a bumped claim wins, a stale claim is undone', async () => {
  const trio: TsdisNode[] = [];
  for (let i = 0; i < 3; i++) trio.push(await startTsdisNode({ 'cluster-node-timeout': 1000 }));
  nodes.push(...trio);
  const ports = trio.map((n) => n.port);
  await formCluster(ports);
  const ids = await Promise.all(ports.map(async (p) => text(await rawCall(p, 'CLUSTER', 'MYID'))));
  const epochs = await Promise.all(ports.map(async (p) => Number(await clusterInfo(p, 'cluster_my_epoch'))));
  // the node with the smallest epoch takes a slot of another node and bumps its epoch (the largest now)
  const order = [0, 1, 2].sort((a, b) => epochs[a]! - epochs[b]!);
  const lo = order[0]!;
  const mid = order[1]!;
  const other = (lo + 1) % 3;
  const slot = other * 5461 + 7;
  const ownerOf = async (p: number) =>
    text(await rawCall(p, 'CLUSTER', 'NODES'))
      .split('\n')
      .find((l) => servesSlot(l, slot))
      ?.slice(0, 40);
  const settle = async (owner: number, what: string) => {
    for (const p of ports)
      await until(async () => (await ownerOf(p)) === ids[owner], 10000, `${what} seen by ${p}`).catch(async (e) => {
        const views = await Promise.all(ports.map(async (q) => text(await rawCall(q, 'CLUSTER', 'NODES'))));
        throw new Error(`${(e as Error).message}\n${views.join('\n')}`);
      });
  };
  // (bumped first: a claim made before the bump could meet the owner's PING, with the higher
  // epoch then, and be undone before the bump)
  assert.match(await rawCall(ports[lo]!, 'CLUSTER', 'BUMPEPOCH'), /^\+BUMPED \d+\r\n$/);
  assert.equal(await rawCall(ports[lo]!, 'CLUSTER', 'SETSLOT', slot, 'NODE', ids[lo]!), '+OK\r\n');
  await settle(lo, `slot ${slot} on the bumped node`);
  // another node claims it with a smaller epoch: its claim loses (a PING or an UPDATE from the others undoes it)
  assert.equal(
    await rawCall(ports[mid === lo ? order[2]! : mid]!, 'CLUSTER', 'SETSLOT', slot, 'NODE', ids[mid]!),
    '+OK\r\n',
  );
  await settle(lo, `slot ${slot} back on the bumped node`);
  await until(async () => (await clusterInfo(ports[0]!, 'cluster_state')) === 'ok', 10000, 'ok');
});

test('two primaries with the same config epoch: the one with the smaller name takes a new one', async () => {
  const pair: TsdisNode[] = [await startTsdisNode(), await startTsdisNode()];
  nodes.push(...pair);
  const ports = pair.map((n) => n.port);
  for (const p of ports) assert.equal(await rawCall(p, 'CLUSTER', 'SET-CONFIG-EPOCH', 5), '+OK\r\n');
  const ids = await Promise.all(ports.map(async (p) => text(await rawCall(p, 'CLUSTER', 'MYID'))));
  assert.equal(await rawCall(ports[0]!, 'CLUSTER', 'MEET', '127.0.0.1', ports[1]!), '+OK\r\n');
  const smaller = ids[0]! < ids[1]! ? 0 : 1;
  await until(
    async () => (await clusterInfo(ports[smaller]!, 'cluster_my_epoch')) === '6',
    10000,
    'the smaller name bumps to 6',
  );
  assert.equal(await clusterInfo(ports[1 - smaller]!, 'cluster_my_epoch'), '5');
  await until(
    async () => (await clusterInfo(ports[1 - smaller]!, 'cluster_current_epoch')) === '6',
    5000,
    'currentEpoch 6 spreads',
  );
  // the other node sees the new epoch of the first in CLUSTER NODES
  await until(
    async () =>
      text(await rawCall(ports[1 - smaller]!, 'CLUSTER', 'NODES'))
        .split('\n')
        .some((l) => l.startsWith(ids[smaller]!) && l.split(' ')[6] === '6'),
    5000,
    'epoch 6 seen',
  );
});

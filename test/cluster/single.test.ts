/**
 * One tsdis node in cluster mode: what Redis 7.2 does where 7.0 differs
 * (pinned from 7.2.4's cluster.c and script.c), the states without full
 * slot coverage, nodes.conf written and read back, CLUSTER INFO / MYID /
 * MYSHARDID / SLOTS / SHARDS / LINKS shapes, and cluster mode off.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { startTsdisNode, rawCall, text, clusterInfo, until, type TsdisNode } from './helpers.js';
import { crc16, keyHashSlot } from '../../src/cluster/slot.js';
import { startTsdis, RawConn } from '../helpers/servers.js';

const nodes: TsdisNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});

test('CRC16/XMODEM and hash tags', () => {
  assert.equal(crc16('123456789'), 0x31c3);
  assert.equal(keyHashSlot('foo'), 12182);
  assert.equal(keyHashSlot('{user1000}.following'), keyHashSlot('user1000'));
  assert.equal(keyHashSlot('foo{}{bar}'), keyHashSlot('foo{}{bar}'));
  assert.equal(keyHashSlot('foo{{bar}}zap'), keyHashSlot('{bar'));
  assert.equal(keyHashSlot('foo{bar}{zap}'), keyHashSlot('bar'));
});

test('a node without slots: CLUSTERDOWN, then ok once it serves them all; coverage and reads-when-down', async () => {
  const n = await startTsdisNode();
  nodes.push(n);
  const p = n.port;
  assert.equal(await rawCall(p, 'GET', 'k'), '-CLUSTERDOWN Hash slot not served\r\n');
  assert.equal(await rawCall(p, 'PING'), '+PONG\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383), '+OK\r\n');
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 10000, 'ok');
  assert.equal(await rawCall(p, 'SET', 'k', 'v'), '+OK\r\n');
  // a slot taken away: the cluster is down (full coverage required)...
  assert.equal(await rawCall(p, 'CLUSTER', 'DELSLOTS', 5000), '+OK\r\n');
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'fail', 5000, 'fail');
  assert.equal(await rawCall(p, 'GET', 'k'), '-CLUSTERDOWN The cluster is down\r\n');
  // ...reads only with cluster-allow-reads-when-down
  assert.equal(await rawCall(p, 'CONFIG', 'SET', 'cluster-allow-reads-when-down', 'yes'), '+OK\r\n');
  assert.equal(await rawCall(p, 'GET', 'k'), '$1\r\nv\r\n');
  assert.equal(
    await rawCall(p, 'SET', 'k', 'w'),
    '-CLUSTERDOWN The cluster is down and only accepts read commands\r\n',
  );
  // (EVAL without flags passes the gate as a read; its write is refused inside, as Redis's scriptVerifyClusterState)
  assert.match(
    await rawCall(p, 'EVAL', 'return redis.call("set", KEYS[1], "x")', 1, 'k'),
    /^-ERR Script attempted to execute a write command while the cluster is down and readonly script: /,
  );
  assert.equal(
    await rawCall(p, 'EVAL', '#!lua\nreturn redis.call("set", KEYS[1], "x")', 1, 'k'),
    '-CLUSTERDOWN The cluster is down and only accepts read commands\r\n',
  );
  // ...and not at all without cluster-require-full-coverage
  assert.equal(await rawCall(p, 'CONFIG', 'SET', 'cluster-require-full-coverage', 'no'), '+OK\r\n');
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 5000, 'ok without full coverage');
  assert.equal(await rawCall(p, 'SET', 'k', 'w'), '+OK\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'KEYSLOT', 'k'), `:${keyHashSlot('k')}\r\n`);
  // a key in the unserved slot
  let k5000 = '';
  for (let i = 0; k5000 === ''; i++) if (keyHashSlot(`x${i}`) === 5000) k5000 = `x${i}`;
  assert.equal(await rawCall(p, 'GET', k5000), '-CLUSTERDOWN Hash slot not served\r\n');
});

test('Redis 7.2 texts: CLUSTER HELP, MEET errors, scripts touching undeclared keys of another slot', async () => {
  const n = await startTsdisNode();
  nodes.push(n);
  const p = n.port;
  await rawCall(p, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 10000, 'ok');
  const help = await rawCall(p, 'CLUSTER', 'HELP');
  assert.match(help, /^\*58\r\n/);
  assert.match(help, /\+MYSHARDID\r\n\+ {4}Return the node's shard id\.\r\n/);
  assert.equal(await rawCall(p, 'CLUSTER', 'MEET', '127.0.0.1', 'x'), '-ERR Invalid base port specified: x\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'MEET', '127.0.0.1', 1, 'y'), '-ERR Invalid bus port specified: y\r\n');
  // 7.2's scriptVerifyClusterState refuses a second slot to a script with a shebang (7.0 runs
  // them); an EVAL without one runs in compatibility mode and may (Redis's unit/cluster/scripting)
  assert.match(
    await rawCall(p, 'EVAL', '#!lua\nreturn redis.call("get", "b")', 1, 'a'),
    /^-ERR Script attempted to access keys that do not hash to the same slot script: [0-9a-f]{40}, on @user_script:2\.\r\n$/,
  );
  assert.match(
    await rawCall(p, 'EVAL', '#!lua\nredis.call("get", "a") return redis.call("get", "b")', 0),
    /^-ERR Script attempted to access keys that do not hash to the same slot/,
  );
  assert.equal(await rawCall(p, 'EVAL', 'return redis.call("get", "b")', 1, 'a'), '$-1\r\n');
  assert.equal(await rawCall(p, 'EVAL', 'redis.call("get", "a") return redis.call("get", "b")', 0), '$-1\r\n');
  assert.equal(
    await rawCall(
      p,
      'EVAL',
      '#!lua flags=allow-cross-slot-keys\nredis.call("get", "a") return redis.call("get", "b")',
      0,
    ),
    '$-1\r\n',
  );
  assert.equal(
    await rawCall(p, 'EVAL', 'redis.call("set", "{a}1", 1) return redis.call("get", "{a}1")', 0),
    '$1\r\n1\r\n',
  );
  assert.equal(
    await rawCall(p, 'EVAL', '#!lua flags=no-cluster\nreturn 1', 0),
    "-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n",
  );
  assert.equal(await rawCall(p, 'SELECT', 1), '-ERR SELECT is not allowed in cluster mode\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'REPLICATE', 'abc'), '-ERR Unknown node abc\r\n');
});

test('CLUSTER INFO, MYID, MYSHARDID, SLOTS, SHARDS, LINKS, BUMPEPOCH, SET-CONFIG-EPOCH, RESET; nodes.conf written and read back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cluster-conf-'));
  const n = await startTsdisNode({ dir });
  nodes.push(n);
  const p = n.port;
  const id = text(await rawCall(p, 'CLUSTER', 'MYID'));
  assert.match(id, /^[0-9a-f]{40}$/);
  assert.match(text(await rawCall(p, 'CLUSTER', 'MYSHARDID')), /^[0-9a-f]{40}$/);
  assert.equal(await rawCall(p, 'CLUSTER', 'SET-CONFIG-EPOCH', 7), '+OK\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'SET-CONFIG-EPOCH', 8), '-ERR Node config epoch is already non-zero\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'BUMPEPOCH'), '+STILL 7\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'ADDSLOTS', 1, 2, 3, 10), '+OK\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'ADDSLOTS', 4, 4), '-ERR Slot 4 specified multiple times\r\n');
  const info = text(await rawCall(p, 'CLUSTER', 'INFO'));
  assert.match(
    info,
    /^cluster_state:fail\r\ncluster_slots_assigned:4\r\ncluster_slots_ok:4\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:[01]\r\ncluster_current_epoch:7\r\ncluster_my_epoch:7\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n$/,
  );
  assert.equal(
    await rawCall(p, 'CLUSTER', 'SLOTS'),
    `*2\r\n*3\r\n:1\r\n:3\r\n*4\r\n$0\r\n\r\n:${p}\r\n$40\r\n${id}\r\n*0\r\n*3\r\n:10\r\n:10\r\n*4\r\n$0\r\n\r\n:${p}\r\n$40\r\n${id}\r\n*0\r\n`,
  );
  assert.match(
    await rawCall(p, 'CLUSTER', 'SHARDS'),
    /^\*1\r\n\*4\r\n\$5\r\nslots\r\n\*4\r\n:1\r\n:3\r\n:10\r\n:10\r\n\$5\r\nnodes\r\n\*1\r\n\*14\r\n\$2\r\nid\r\n/,
  );
  assert.equal(await rawCall(p, 'CLUSTER', 'LINKS'), '*0\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'SETSLOT', 10, 'MIGRATING', id), '+OK\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'SAVECONFIG'), '+OK\r\n');
  const conf = fs.readFileSync(path.join(dir, 'nodes.conf'), 'latin1');
  assert.match(
    conf,
    new RegExp(
      `^${id} :${p}@${p + 10000},,tls-port=0,shard-id=[0-9a-f]{40} myself,master - 0 0 7 connected 1-3 10 \\[10->-${id}\\]\nvars currentEpoch 7 lastVoteEpoch 0\n$`,
    ),
  );
  // restarted on the same directory and port: the same identity, slots and epoch
  const port = n.port;
  await n.close();
  const again = await startTsdis({ port, log: () => {}, config: { dir, 'cluster-enabled': 'yes' } });
  try {
    assert.equal(text(await rawCall(port, 'CLUSTER', 'MYID')), id);
    assert.match(
      text(await rawCall(port, 'CLUSTER', 'NODES')),
      new RegExp(`^${id} :${p}@${p + 10000} myself,master - 0 0 7 connected 1-3 10 \\[10->-${id}\\]\n$`),
    );
    assert.equal(await clusterInfo(port, 'cluster_current_epoch'), '7');
    // RESET HARD: a new name, epochs back to 0
    assert.equal(await rawCall(port, 'CLUSTER', 'RESET', 'HARD'), '+OK\r\n');
    assert.notEqual(text(await rawCall(port, 'CLUSTER', 'MYID')), id);
    assert.equal(await clusterInfo(port, 'cluster_slots_assigned'), '0');
    assert.equal(await clusterInfo(port, 'cluster_current_epoch'), '0');
  } finally {
    await again.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster mode off: CLUSTER, READONLY, ASKING say so; INFO cluster_enabled:0; SELECT works', async () => {
  const s = await startTsdis();
  try {
    assert.equal(await rawCall(s.port, 'CLUSTER', 'INFO'), '-ERR This instance has cluster support disabled\r\n');
    assert.equal(
      await rawCall(s.port, 'CLUSTER', 'KEYSLOT', 'a'),
      '-ERR This instance has cluster support disabled\r\n',
    );
    assert.equal(await rawCall(s.port, 'READONLY'), '-ERR This instance has cluster support disabled\r\n');
    assert.equal(await rawCall(s.port, 'ASKING'), '-ERR This instance has cluster support disabled\r\n');
    assert.match(text(await rawCall(s.port, 'INFO', 'cluster')), /cluster_enabled:0/);
    assert.equal(await rawCall(s.port, 'SELECT', 1), '+OK\r\n');
  } finally {
    await s.close();
  }
});

test('a slot taken from this node unsubscribes its shard channels (sunsubscribe pushes)', async () => {
  const n = await startTsdisNode();
  nodes.push(n);
  const p = n.port;
  await rawCall(p, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 10000, 'ok');
  const sub = await RawConn.connect(p);
  try {
    assert.equal(await sub.call('SSUBSCRIBE', '{s}a', '{s}b'), '*3\r\n$10\r\nssubscribe\r\n$4\r\n{s}a\r\n:1\r\n');
    assert.equal(await sub.read(), '*3\r\n$10\r\nssubscribe\r\n$4\r\n{s}b\r\n:2\r\n');
    assert.equal(await rawCall(p, 'SPUBLISH', '{s}a', 'hi'), ':1\r\n');
    assert.equal(await sub.read(), '*3\r\n$8\r\nsmessage\r\n$4\r\n{s}a\r\n$2\r\nhi\r\n');
    assert.equal(await rawCall(p, 'CLUSTER', 'DELSLOTS', keyHashSlot('{s}')), '+OK\r\n');
    // (in channel order, as Redis walks its slot → channels index)
    assert.equal(await sub.read(), '*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{s}a\r\n:1\r\n');
    assert.equal(await sub.read(), '*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{s}b\r\n:0\r\n');
    assert.equal(await rawCall(p, 'PUBSUB', 'SHARDCHANNELS'), '*0\r\n');
  } finally {
    sub.close();
  }
});

test('clients blocked on keys whose slot is no longer served are unblocked with -CLUSTERDOWN', async () => {
  const n = await startTsdisNode({ 'cluster-require-full-coverage': 'no' });
  nodes.push(n);
  const p = n.port;
  await rawCall(p, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 10000, 'ok');
  const b = await RawConn.connect(p);
  try {
    b.write('*3\r\n$5\r\nBLPOP\r\n$4\r\n{q}1\r\n$1\r\n0\r\n');
    await until(async () => /blocked_clients:1/.test(text(await rawCall(p, 'INFO', 'clients'))), 3000, 'blocked');
    // the slot is taken away: the client is told within about a second (Redis's clientsCron)
    assert.equal(await rawCall(p, 'CLUSTER', 'DELSLOTS', keyHashSlot('{q}')), '+OK\r\n');
    assert.equal(await b.read(3000), '-CLUSTERDOWN Hash slot not served\r\n');
    // blocked, then the cluster goes down (full coverage required): -CLUSTERDOWN The cluster is down
    b.write('*3\r\n$5\r\nBLPOP\r\n$4\r\n{r}1\r\n$1\r\n0\r\n');
    await until(async () => /blocked_clients:1/.test(text(await rawCall(p, 'INFO', 'clients'))), 3000, 'blocked again');
    assert.equal(await rawCall(p, 'CONFIG', 'SET', 'cluster-require-full-coverage', 'yes'), '+OK\r\n');
    assert.equal(await b.read(3000), '-CLUSTERDOWN The cluster is down\r\n');
  } finally {
    b.close();
  }
});

test('the slot → keys index follows writes, deletes, renames, expiry and flushes', async () => {
  const n = await startTsdisNode();
  nodes.push(n);
  const p = n.port;
  await rawCall(p, 'CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
  await until(async () => (await clusterInfo(p, 'cluster_state')) === 'ok', 10000, 'ok');
  const srv = n.srv;
  // keys of a few tags (one slot each), changed in every way a key comes and goes
  const tags = ['a', 'b', 'c', 'd'];
  let seed = 7;
  const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % k;
  for (let i = 0; i < 3000; i++) {
    const t = tags[rnd(tags.length)]!;
    const k = `{${t}}${rnd(50)}`;
    const op = rnd(10);
    if (op < 4) await srv.call('SET', k, 'v');
    else if (op < 6) await srv.call('DEL', k);
    else if (op < 7) await srv.call('RENAME', k, `{${t}}${rnd(50)}`);
    else if (op < 8) await srv.call('PEXPIRE', k, 1);
    else if (op < 9) await srv.call('RPUSH', k + 'l', 'x');
    else if (i % 500 === 0) await srv.call('FLUSHALL');
    else await srv.call('GETDEL', k);
  }
  await new Promise((r) => setTimeout(r, 20));
  const keys = (await srv.call('KEYS', '*')) as Buffer[] | string[];
  const bySlot = new Map<number, Set<string>>();
  for (const k of keys.map(String)) {
    const s = keyHashSlot(k);
    if (!bySlot.has(s)) bySlot.set(s, new Set());
    bySlot.get(s)!.add(k);
  }
  // (expired keys not reclaimed yet still count, as in Redis: compare with what the dict holds)
  const dict = srv.server.dbs[0]!.dict;
  const held = new Map<number, number>();
  for (const [k] of dict.entries()) held.set(keyHashSlot(k), (held.get(keyHashSlot(k)) ?? 0) + 1);
  for (const t of tags) {
    const s = keyHashSlot(`{${t}}`);
    assert.equal(await rawCall(p, 'CLUSTER', 'COUNTKEYSINSLOT', s), `:${held.get(s) ?? 0}\r\n`);
    const got = (await srv.call('CLUSTER', 'GETKEYSINSLOT', s, 100000)) as unknown[];
    assert.equal(got.length, held.get(s) ?? 0);
    for (const k of bySlot.get(s) ?? []) assert.ok(got.map(String).includes(k), `${k} listed`);
  }
  assert.equal(await rawCall(p, 'FLUSHALL'), '+OK\r\n');
  assert.equal(await rawCall(p, 'CLUSTER', 'COUNTKEYSINSLOT', keyHashSlot('{a}')), ':0\r\n');
});

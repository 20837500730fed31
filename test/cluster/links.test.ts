/**
 * The cluster bus links as Redis 7.2 shows and manages them: DEBUG
 * CLUSTERLINK KILL, DEBUG DROP-CLUSTER-PACKET-FILTER, CLUSTER LINKS' send
 * buffer figures, cluster-link-sendbuf-limit (a link whose send queue
 * passes it is freed and counted in total_cluster_links_buffer_limit_exceeded)
 * and mem_cluster_links / MEMORY STATS cluster.links. Nodes are real
 * processes (startProcNode), so one can be stopped with SIGSTOP.
 *
 * 7.0.15 accounts its links differently (an sds send buffer), so the
 * figures are pinned from 7.2.4's cluster.c (send_msg_queue_mem: a 48-byte
 * list, 24 bytes a node and the message after a 16-byte block header);
 * the error texts 7.0 and 7.2 share are compared with redis-server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startProcNode,
  formCluster,
  rawCall,
  text,
  clusterInfo,
  until,
  startRedisNode,
  type ProcNode,
} from './helpers.js';
import { RawConn, SKIP_NO_REDIS, hasRedis, startRedis, startTsdis } from '../helpers/servers.js';

const procs: ProcNode[] = [];
after(async () => {
  for (const p of procs) await p.stop();
});

/** Two tsdis nodes (DEBUG enabled) in one cluster, each serving half the slots. */
async function two(): Promise<[ProcNode, ProcNode]> {
  const a = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  procs.push(a);
  const b = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  procs.push(b);
  await formCluster([a.port, b.port]);
  return [a, b];
}

interface LinkInfo {
  direction: string;
  node: string;
  'create-time': number;
  events: string;
  'send-buffer-allocated': number;
  'send-buffer-used': number;
}

/** CLUSTER LINKS parsed (RESP2: an array of flat field/value arrays). */
async function links(port: number): Promise<LinkInfo[]> {
  const raw = await rawCall(port, 'CLUSTER', 'LINKS');
  const out: LinkInfo[] = [];
  const lines = raw.split('\r\n');
  let i = 1;
  const n = Number(lines[0]!.slice(1));
  for (let l = 0; l < n; l++) {
    const pairs = Number(lines[i++]!.slice(1)) / 2;
    const o = new Map<string, string>();
    for (let p = 0; p < pairs; p++) {
      i++;
      const k = lines[i++]!;
      const v = lines[i]!;
      if (v[0] === ':') {
        o.set(k, v.slice(1));
        i++;
      } else {
        o.set(k, lines[i + 1]!);
        i += 2;
      }
    }
    const num = (k: string) => Number(o.get(k));
    out.push({
      direction: o.get('direction') ?? '',
      node: o.get('node') ?? '',
      'create-time': num('create-time'),
      events: o.get('events') ?? '',
      'send-buffer-allocated': num('send-buffer-allocated'),
      'send-buffer-used': num('send-buffer-used'),
    });
  }
  return out;
}

/** The link of `port` with node `name` in `direction`, if any. */
async function link(port: number, name: string, direction: 'to' | 'from'): Promise<LinkInfo | undefined> {
  return (await links(port)).find((l) => l.node === name && l.direction === direction);
}

/** A field of INFO memory, as a number. */
async function infoMemory(port: number, field: string): Promise<number> {
  const t = text(await rawCall(port, 'INFO', 'memory'));
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(t)?.[1]);
}

test('DEBUG CLUSTERLINK KILL to/from/all: the link goes, the outbound one is made again; its errors', async () => {
  const [a, b] = await two();
  const bName = text(await rawCall(b.port, 'CLUSTER', 'MYID'));
  await until(async () => (await link(a.port, bName, 'from')) !== undefined, 5000, 'the link from b');
  const to0 = (await link(a.port, bName, 'to'))!;
  const from0 = (await link(a.port, bName, 'from'))!;
  // (in a transaction, as links.tcl does: the link is gone before the cron runs again)
  const c = await RawConn.connect(a.port);
  try {
    await c.call('MULTI');
    await c.call('DEBUG', 'CLUSTERLINK', 'KILL', 'TO', bName);
    await c.call('CLUSTER', 'LINKS');
    const exec = await c.call('EXEC');
    assert.match(exec, /^\*2\r\n\+OK\r\n\*1\r\n/, 'one link left right after the kill');
    assert.match(exec, /\$4\r\nfrom\r\n/);
  } finally {
    c.close();
  }
  const to1 = (await until(async () => link(a.port, bName, 'to'), 5000, 'a new link to b'))!;
  assert.ok(to1['create-time'] > to0['create-time'], 'a new link');
  assert.equal((await link(a.port, bName, 'from'))!['create-time'], from0['create-time'], 'the link from b stays');

  // FROM: the inbound link is freed; b's own link to a sees the close and b connects again
  assert.equal(await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'from', bName), '+OK\r\n');
  const from1 = (await until(
    async () => {
      const l = await link(a.port, bName, 'from');
      return l !== undefined && l['create-time'] !== from0['create-time'] ? l : undefined;
    },
    5000,
    'a new link from b',
  ))!;
  assert.ok(from1['create-time'] > from0['create-time']);

  // ALL: both
  const before = await links(a.port);
  assert.equal(await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'all', bName), '+OK\r\n');
  await until(
    async () => {
      const now = await links(a.port);
      return (
        now.length === 2 &&
        now.every((l) => !before.some((o) => o.direction === l.direction && o['create-time'] === l['create-time']))
      );
    },
    5000,
    'both links made again',
  );

  // errors (Redis's texts; an unknown direction: 7.2.4 also sends +OK after its error, tsdis only the error)
  assert.equal(
    await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'to', 'f'.repeat(40)),
    `-ERR Unknown node ${'f'.repeat(40)}\r\n`,
  );
  assert.equal(await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'to', 'abc'), '-ERR Unknown node abc\r\n');
  assert.equal(
    await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'sideways', bName),
    '-ERR Unknown direction sideways\r\n',
  );
  assert.match(await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'to'), /^-ERR unknown subcommand or wrong number/);
  assert.match(await rawCall(a.port, 'DEBUG', 'CLUSTERLINK', 'CUT', 'to', bName), /^-ERR unknown subcommand or wrong/);
});

test(
  'DEBUG CLUSTERLINK and DROP-CLUSTER-PACKET-FILTER replies as redis-server gives them',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    // (t and r: cluster mode off; tc and rc: on)
    const t = await startTsdis({ config: { 'enable-debug-command': 'yes' } });
    const r = await startRedis(['--enable-debug-command', 'yes']);
    const rc = await startRedisNode(['--enable-debug-command', 'yes']);
    const tc = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
    procs.push(tc);
    try {
      for (const args of [
        ['DEBUG', 'DROP-CLUSTER-PACKET-FILTER', 'x'],
        ['DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '99999999999999999999'],
        ['DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '1'],
        ['DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '-1'],
        ['DEBUG', 'DROP-CLUSTER-PACKET-FILTER'],
      ]) {
        // (outside cluster mode too: the filter is only set)
        const want = await rawCall(r.port, ...args);
        assert.equal(await rawCall(t.port, ...args), want, args.join(' '));
        assert.equal(await rawCall(tc.port, ...args), want, args.join(' '));
      }
      for (const args of [
        ['DEBUG', 'CLUSTERLINK', 'KILL', 'to', 'e'.repeat(40)],
        ['DEBUG', 'CLUSTERLINK', 'KILL', 'all', 'short'],
        ['DEBUG', 'CLUSTERLINK', 'KILL', 'from'],
        ['DEBUG', 'CLUSTERLINK', 'kill', 'from', 'e'.repeat(40), 'x'],
      ]) {
        assert.equal(await rawCall(t.port, ...args), await rawCall(r.port, ...args), `${args.join(' ')} (not cluster)`);
        assert.equal(await rawCall(tc.port, ...args), await rawCall(rc.port, ...args), `${args.join(' ')} (cluster)`);
      }
      assert.equal(
        await rawCall(t.port, 'DEBUG', 'CLUSTERLINK', 'KILL', 'to', 'e'.repeat(40)),
        '-ERR Debug option only available for cluster mode enabled setup!\r\n',
      );
    } finally {
      await t.close();
      await r.stop();
      await rc.stop();
    }
  },
);

test('DEBUG DROP-CLUSTER-PACKET-FILTER: messages of that type are counted, logged and dropped; -1 lets them in', async () => {
  const a = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  procs.push(a);
  const b = await startProcNode('tsdis', ['--enable-debug-command', 'yes']);
  procs.push(b);
  // b drops MEET (type 2): a's handshake never completes and times out (1 s)
  assert.equal(await rawCall(b.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '2'), '+OK\r\n');
  assert.equal(await rawCall(a.port, 'CLUSTER', 'MEET', '127.0.0.1', b.port), '+OK\r\n');
  await until(async () => (await clusterInfo(b.port, 'cluster_stats_messages_meet_received')) !== '', 5000, 'MEET');
  await until(async () => (await clusterInfo(a.port, 'cluster_known_nodes')) === '1', 5000, 'the handshake dropped');
  assert.equal(await clusterInfo(b.port, 'cluster_known_nodes'), '1');
  assert.match(b.output(), /# Dropping packet that matches debug drop filter/);
  // -1: the MEET goes through
  assert.equal(await rawCall(b.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '-1'), '+OK\r\n');
  assert.equal(await rawCall(a.port, 'CLUSTER', 'MEET', '127.0.0.1', b.port), '+OK\r\n');
  await until(
    async () =>
      (await clusterInfo(a.port, 'cluster_known_nodes')) === '2' &&
      (await clusterInfo(b.port, 'cluster_known_nodes')) === '2',
    10000,
    'met',
  );
  // PING (0) dropped on a: the links stay up (no link is closed for it; a long node timeout keeps
  // b's cron from closing its link to a for want of PONGs)
  for (const n of [a, b])
    assert.equal(await rawCall(n.port, 'CONFIG', 'SET', 'cluster-node-timeout', 60000), '+OK\r\n');
  const bName = text(await rawCall(b.port, 'CLUSTER', 'MYID'));
  await until(async () => (await link(a.port, bName, 'from')) !== undefined, 5000, 'the link from b');
  const from0 = (await link(a.port, bName, 'from'))!;
  const pings = Number(await clusterInfo(a.port, 'cluster_stats_messages_ping_received'));
  assert.equal(await rawCall(a.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '0'), '+OK\r\n');
  await until(
    async () => Number(await clusterInfo(a.port, 'cluster_stats_messages_ping_received')) >= pings + 1,
    10000,
    'PINGs still counted',
  );
  assert.equal((await link(a.port, bName, 'from'))!['create-time'], from0['create-time']);
  assert.match(a.output(), /# Dropping packet that matches debug drop filter/);
  assert.equal(await rawCall(a.port, 'DEBUG', 'DROP-CLUSTER-PACKET-FILTER', '-1'), '+OK\r\n');
});

test('CLUSTER LINKS send-buffer figures, mem_cluster_links and MEMORY STATS cluster.links as 7.2 counts them', async () => {
  const [a, b] = await two();
  const bName = text(await rawCall(b.port, 'CLUSTER', 'MYID'));
  await until(async () => (await links(a.port)).length === 2, 5000, 'two links');
  // an idle link: the empty list (48 bytes) both as allocated and used, events "r"
  const idle = (await until(
    async () => (await links(a.port)).find((l) => l['send-buffer-allocated'] === 48),
    5000,
    'an idle link',
  ))!;
  assert.equal(idle['send-buffer-used'], 48);
  assert.equal(idle.events, 'r');
  // two links with nothing queued: 2 x (1024 receive buffer + 48 list)
  await until(async () => (await infoMemory(a.port, 'mem_cluster_links')) === 2 * (1024 + 48), 5000, 'idle memory');
  const stats = await rawCall(a.port, 'MEMORY', 'STATS');
  assert.match(stats, /\$13\r\ncluster\.links\r\n:(\d+)\r\n/);

  // ten 10000-byte PUBLISHes queued (in one transaction, before any write completes): one block each,
  // shared by the links they are queued on
  const c = await RawConn.connect(a.port);
  try {
    await c.call('MULTI');
    await c.call('INFO', 'memory');
    for (let i = 0; i < 10; i++) await c.call('PUBLISH', 'ch', 'x'.repeat(10000));
    await c.call('INFO', 'memory');
    await c.call('CLUSTER', 'LINKS');
    const exec = await c.call('EXEC');
    const mems = [...exec.matchAll(/mem_cluster_links:(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(mems.length, 2);
    assert.ok(mems[1]! - mems[0]! > 100000, `grew by ${mems[1]! - mems[0]!}`);
    // the outbound link to b holds the ten messages: 48 + 10 x (24 + 16 + message length)
    const toB =
      /direction\r\n\$2\r\nto\r\n\$4\r\nnode\r\n\$40\r\n(\w{40})\r\n[^]*?send-buffer-allocated\r\n:(\d+)/.exec(exec);
    assert.ok(toB !== null);
    assert.equal(toB[1], bName);
    const queued = Number(toB[2]) - 48;
    assert.equal(queued % 10, 0);
    assert.ok(queued / 10 > 10000 + 24 + 16, `${queued / 10} per message`);
  } finally {
    c.close();
  }
  // once written: back to the idle figure
  await until(async () => (await infoMemory(a.port, 'mem_cluster_links')) === 2 * (1024 + 48), 10000, 'flushed');
});

test('cluster-link-sendbuf-limit: a link whose peer stopped reading is freed, counted and made again', async () => {
  const [a, b] = await two();
  const bName = text(await rawCall(b.port, 'CLUSTER', 'MYID'));
  await until(async () => (await link(a.port, bName, 'from')) !== undefined, 5000, 'the link from b');
  assert.equal(await rawCall(a.port, 'CONFIG', 'SET', 'cluster-node-timeout', 3600000), '+OK\r\n');
  assert.equal(await rawCall(a.port, 'CONFIG', 'SET', 'cluster-link-sendbuf-limit', 256 * 1024), '+OK\r\n');
  assert.equal(await clusterInfo(a.port, 'total_cluster_links_buffer_limit_exceeded'), '0');
  const to0 = (await link(a.port, bName, 'to'))!;
  const from0 = (await link(a.port, bName, 'from'))!;
  process.kill(b.proc.pid!, 'SIGSTOP');
  try {
    const big = 'x'.repeat(128 * 1024);
    await until(
      async () => {
        await rawCall(a.port, 'PUBLISH', 'ch', big);
        return (await clusterInfo(a.port, 'total_cluster_links_buffer_limit_exceeded')) === '1';
      },
      60000,
      'the link freed',
    );
    assert.match(
      a.output(),
      /# Freeing cluster link\(to node \w{40}, used memory: \d+\) due to exceeding send buffer memory limit\./,
    );
    const to1 = (await until(async () => link(a.port, bName, 'to'), 5000, 'a new link to b'))!;
    assert.ok(to1['create-time'] > to0['create-time']);
    assert.equal((await link(a.port, bName, 'from'))!['create-time'], from0['create-time'], 'the link from b stays');
  } finally {
    process.kill(b.proc.pid!, 'SIGCONT');
  }
  // 0: no limit
  assert.equal(await rawCall(a.port, 'CONFIG', 'SET', 'cluster-link-sendbuf-limit', 0), '+OK\r\n');
});

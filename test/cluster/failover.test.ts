/**
 * Cluster replicas and failover with real processes: six tsdis nodes made
 * by `redis-cli --cluster create --cluster-replicas 1`; a primary SIGKILLed
 * under an ioredis Cluster client writing with WAIT 1 (its replica is
 * elected, cluster_state:ok again, no acknowledged write lost, the old
 * primary restarted comes back as a replica of its successor); CLUSTER
 * FAILOVER (manual) under writes; CLUSTER REPLICATE / FAILOVER errors as
 * Redis 7.2 words them; and mixed clusters where a tsdis replica is elected
 * by redis-server primaries and a tsdis primary's vote elects a
 * redis-server replica. cluster-node-timeout is 1000 ms throughout.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import {
  allClusterOk,
  clusterInfo,
  rawCall,
  text,
  until,
  startProcNode,
  redisCli,
  cliSkip,
  type ProcNode,
} from './helpers.js';

const procs: ProcNode[] = [];
after(async () => {
  for (const p of procs) await p.stop();
});

const skip = cliSkip;

/** CLUSTER NODES of `port` as parsed lines. */
async function nodes(
  port: number,
): Promise<{ id: string; port: number; flags: string[]; master: string; slots: string }[]> {
  const t = text(await rawCall(port, 'CLUSTER', 'NODES'));
  return t
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      return {
        id: f[0]!,
        port: Number(f[1]!.split(':')[1]!.split('@')[0]),
        flags: f[2]!.split(','),
        master: f[3]!,
        slots: f.slice(8).join(' '),
      };
    });
}

/** The first word of ROLE. */
async function role(port: number): Promise<string> {
  const r = await rawCall(port, 'ROLE');
  return r.split('\r\n')[2]!;
}

/** A promise that rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);
}

/**
 * Writes prefix:i = i until stop() is called, each write a SET followed by
 * WAIT 1 on the same node; returns the keys whose SET was acknowledged and
 * reached a replica.
 */
interface Writer {
  stop(): Promise<Map<string, string>>;
  count(): number;
}

/** One SET and its WAIT 1: whether both succeeded and a replica has it. */
type WaitedSet = (k: string, v: string) => Promise<boolean>;

/** Through ioredis: SET and WAIT in one pipeline (one node). */
function ioWaitedSet(io: IoCluster): WaitedSet {
  return async (k, v) => {
    const r = await io.pipeline().set(k, v).wait(1, 200).exec();
    if (r !== null && r[0]![0] === null && r[0]![1] === 'OK' && r[1]![0] === null && Number(r[1]![1]) >= 1) return true;
    // a pipeline whose SET got -MOVED but whose WAIT did not is not retried by ioredis: refresh the map
    if (r !== null && r[0]![0] !== null) io.refreshSlotsCache();
    return false;
  };
}

/** Through node-redis: SET, then WAIT routed by the same key (a WAIT on a new owner counts no replica that lacks it). */
function nrWaitedSet(nr: {
  set(k: string, v: string): Promise<unknown>;
  sendCommand(k: string, readonly: boolean, args: string[]): Promise<unknown>;
}): WaitedSet {
  return async (k, v) => {
    if ((await nr.set(k, v)) !== 'OK') return false;
    return Number(await nr.sendCommand(k, false, ['WAIT', '1', '200'])) >= 1;
  };
}

function writer(set: WaitedSet, prefix: string): Writer {
  const acked = new Map<string, string>();
  let running = true;
  let i = 0;
  const loop = (async () => {
    while (running) {
      const k = `${prefix}:${i}`;
      const v = String(i++);
      try {
        if (await within(set(k, v), 3000)) acked.set(k, v);
      } catch {
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return acked;
    },
    count: () => acked.size,
  };
}

/** A hash tag whose slot is in [lo, hi] (CLUSTER KEYSLOT asked on `port`). */
async function tagIn(port: number, lo: number, hi: number): Promise<string> {
  for (let i = 0; ; i++) {
    const slot = Number((await rawCall(port, 'CLUSTER', 'KEYSLOT', `t${i}`)).slice(1, -2));
    if (slot >= lo && slot <= hi) return `t${i}`;
  }
}

/** Every acknowledged key reads back its value. */
async function checkAcked(io: IoCluster, acked: Map<string, string>): Promise<void> {
  const lost: string[] = [];
  for (const [k, v] of acked) {
    const got = await io.get(k);
    if (got !== v) lost.push(`${k}=${got} (want ${v})`);
  }
  assert.deepEqual(lost, [], `acknowledged writes lost: ${lost.slice(0, 10).join(', ')}`);
}

function ioCluster(port: number): IoCluster {
  return new IoCluster([{ host: '127.0.0.1', port }], {
    lazyConnect: true,
    clusterRetryStrategy: () => 100,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 1000,
    redisOptions: { connectTimeout: 1000, maxRetriesPerRequest: 2 },
  });
}

test(
  'six tsdis nodes with --cluster-replicas 1: a SIGKILLed primary is replaced by its replica, no acknowledged write lost',
  { skip },
  async () => {
    const six: ProcNode[] = [];
    for (let i = 0; i < 6; i++) six.push(await startProcNode('tsdis'));
    procs.push(...six);
    const ports = six.map((n) => n.port);
    const r = await redisCli([
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\[OK\] All 16384 slots covered/);
    await allClusterOk(ports, 20000, 'cluster_state:ok');
    // every node sees three primaries with slots and three replicas, each replicating one of them
    await until(
      async () => {
        for (const p of ports) {
          const ns = await nodes(p);
          const masters = ns.filter((n) => n.flags.includes('master') && n.slots !== '');
          const slaves = ns.filter((n) => n.flags.includes('slave'));
          if (masters.length !== 3 || slaves.length !== 3) return false;
          if (!slaves.every((s) => masters.some((m) => m.id === s.master))) return false;
        }
        return true;
      },
      15000,
      'three primaries and three replicas everywhere',
    );
    const check = await redisCli(['--cluster', 'check', `127.0.0.1:${ports[0]}`]);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /\[OK\] All nodes agree about slots configuration\./);
    assert.doesNotMatch(check.out, /\[ERR\]|\[WARNING\]/);
    assert.equal((check.out.match(/^S: /gm) ?? []).length, 3, check.out);

    const ns = await nodes(ports[0]!);
    const victim = ns.find((n) => n.flags.includes('master'))!;
    const replica = ns.find((n) => n.master === victim.id)!;
    // REPLICAS / SLAVES / SHARDS see the replica
    const reps = await rawCall(ports[2]!, 'CLUSTER', 'REPLICAS', victim.id);
    assert.match(
      reps,
      new RegExp(`^\\*1\\r\\n\\$\\d+\\r\\n${replica.id} 127\\.0\\.0\\.1:${replica.port}@\\d+ slave ${victim.id} `),
    );
    // (the same reply but for ping-sent, which a ping in flight between the two calls changes, and the length with it)
    const pingMasked = (r: string) => r.replace(/\$\d+\r\n(\S+ \S+ \S+ \S+) \d+ /, '$1 _ ');
    assert.equal(pingMasked(await rawCall(ports[2]!, 'CLUSTER', 'SLAVES', victim.id)), pingMasked(reps));
    assert.match(await rawCall(ports[2]!, 'CLUSTER', 'SHARDS'), /role\r\n\$7\r\nreplica\r\n/);
    // CLUSTER REPLICATE and FAILOVER errors, as Redis 7.2 words them
    const vPort = victim.port;
    const rPort = replica.port;
    assert.equal(await rawCall(vPort, 'CLUSTER', 'FAILOVER'), '-ERR You should send CLUSTER FAILOVER to a replica\r\n');
    assert.equal(await rawCall(rPort, 'CLUSTER', 'FAILOVER', 'NOW'), '-ERR syntax error\r\n');
    assert.equal(await rawCall(rPort, 'CLUSTER', 'REPLICATE', replica.id), "-ERR Can't replicate myself\r\n");
    assert.equal(
      await rawCall(vPort, 'CLUSTER', 'REPLICATE', replica.id),
      '-ERR I can only replicate a master, not a replica.\r\n',
    );
    const other = ns.find((n) => n.flags.includes('master') && n.id !== victim.id)!;
    assert.equal(
      await rawCall(vPort, 'CLUSTER', 'REPLICATE', other.id),
      '-ERR To set a master the node must be empty and without assigned slots.\r\n',
    );
    assert.equal(
      await rawCall(rPort, 'CLUSTER', 'REPLICATE', 'x'.repeat(40)),
      `-ERR Unknown node ${'x'.repeat(40)}\r\n`,
    );

    const io = ioCluster(ports[0]!);
    await io.connect();
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${ports[0]}` }] });
    nr.on('error', () => {});
    await nr.connect();
    let w: Writer | null = null;
    let wn: Writer | null = null;
    try {
      // ioredis and node-redis write at once, over their own keys
      const wr = writer(ioWaitedSet(io), 'k');
      w = wr;
      const wrn = writer(nrWaitedSet(nr), 'n');
      wn = wrn;
      await until(() => wr.count() > 50 && wrn.count() > 50, 10000, 'writes before the kill');
      // the replicas got writes (an offset announced): CLUSTER SLOTS lists each after its primary
      await until(
        async () => {
          const slots = await rawCall(ports[0]!, 'CLUSTER', 'SLOTS');
          return (slots.match(/\*4\r\n:\d+\r\n:\d+\r\n/g) ?? []).length === 3;
        },
        10000,
        'CLUSTER SLOTS with one replica per range',
      );
      const killedAt = Date.now();
      const victimNode = six.find((n) => n.port === vPort)!;
      await victimNode.kill();
      const survivors = ports.filter((p) => p !== vPort);
      await until(async () => (await role(rPort)) === 'master', 15000, 'the replica elected');
      await allClusterOk(survivors, 15000, 'cluster_state:ok on the survivors');
      const tookMs = Date.now() - killedAt;
      const before = wr.count();
      await until(() => wr.count() > before + 50, 15000, 'writes after the failover');
      await checkAcked(io, await wr.stop());
      // node-redis 6's cluster client fails every command after a primary's SIGKILL, on every
      // shard, and does not recover; a new one routes WAIT away from its SET's node (0 replicas
      // counted). Both alike with six redis-server 7.0 nodes (0 writes acknowledged in the 20 s
      // after the kill, 59 failed). What it acknowledged before the kill is all there.
      await checkAcked(io, await wrn.stop());
      const rlog = six.find((n) => n.port === rPort)!.output();
      assert.match(rlog, /Start of election delayed for \d+ milliseconds \(rank #0, offset \d+\)\./);
      assert.match(rlog, /Starting a failover election for epoch \d+\./);
      assert.match(rlog, /Failover election won: I'm the new master\./);
      assert.ok(
        six.some(
          (n) => n.port !== rPort && /Failover auth granted to [0-9a-f]{40} \(\) for epoch \d+/.test(n.output()),
        ),
      );
      // the survivors show the old primary failed, the winner as a primary with its slots
      const view = await nodes(survivors[0]!);
      assert.ok(view.find((n) => n.id === victim.id)!.flags.includes('fail'));
      assert.equal(view.find((n) => n.id === replica.id)!.slots, victim.slots);
      assert.ok(Number(await clusterInfo(rPort, 'cluster_stats_messages_auth-req_sent')) >= 1);
      assert.ok(Number(await clusterInfo(survivors[0]!, 'cluster_stats_messages_auth-req_received')) >= 1);
      // the old primary restarted (its nodes.conf kept) becomes a replica of the winner
      await victimNode.restart();
      await until(
        async () => {
          const me = (await nodes(vPort)).find((n) => n.flags.includes('myself'))!;
          return me.flags.includes('slave') && me.master === replica.id;
        },
        15000,
        'the old primary follows its successor',
      );
      await until(async () => (await rawCall(vPort, 'ROLE')).includes('connected'), 15000, 'replication link up');
      assert.ok(tookMs < 15000);
    } finally {
      await w?.stop();
      await wn?.stop();
      io.disconnect();
      nr.destroy();
    }
  },
);

test('CLUSTER FAILOVER (manual) under writes: roles swap with no acknowledged write lost', { skip }, async () => {
  const four: ProcNode[] = [];
  for (let i = 0; i < 4; i++) four.push(await startProcNode('tsdis'));
  procs.push(...four);
  const ports = four.map((n) => n.port);
  // three primaries, the fourth node replicates the first
  const r = await redisCli(['--cluster', 'create', ...ports.slice(0, 3).map((p) => `127.0.0.1:${p}`), '--cluster-yes']);
  assert.equal(r.status, 0, r.out);
  await rawCall(ports[3]!, 'CLUSTER', 'MEET', '127.0.0.1', ports[0]!);
  const pid = text(await rawCall(ports[0]!, 'CLUSTER', 'MYID'));
  await until(async () => (await nodes(ports[3]!)).some((n) => n.id === pid), 20000, 'the fourth node knows the first');
  assert.equal(await rawCall(ports[3]!, 'CLUSTER', 'REPLICATE', pid), '+OK\r\n');
  await until(async () => (await rawCall(ports[3]!, 'ROLE')).includes('connected'), 15000, 'replica connected');
  await allClusterOk(ports, 20000, 'cluster_state:ok');
  // (the primary must know it as its replica, from its PINGs, or it ignores the MFSTART, as Redis does)
  const rid = text(await rawCall(ports[3]!, 'CLUSTER', 'MYID'));
  await until(
    async () => (await nodes(ports[0]!)).find((n) => n.id === rid)?.master === pid,
    20000,
    'the primary knows its replica',
  );
  const io = ioCluster(ports[1]!);
  await io.connect();
  let w: Writer | null = null;
  try {
    // (keys of the replicated shard only: WAIT 1 elsewhere would wait for nothing)
    const wr = writer(ioWaitedSet(io), `{${await tagIn(ports[0]!, 0, 5460)}}m`);
    w = wr;
    await until(() => wr.count() > 50, 10000, 'writes before');
    assert.equal(await rawCall(ports[3]!, 'CLUSTER', 'FAILOVER'), '+OK\r\n');
    await until(async () => (await role(ports[3]!)) === 'master', 10000, 'the replica promoted');
    await until(async () => (await role(ports[0]!)) === 'slave', 10000, 'the old primary demoted');
    await allClusterOk(ports, 10000, 'cluster_state:ok');
    const before = wr.count();
    await until(() => wr.count() > before + 50, 15000, 'writes after');
    const acked = await wr.stop();
    await checkAcked(io, acked);
    const replog = four[3]!.output();
    assert.match(replog, /Manual failover user request accepted\./);
    assert.match(replog, /Received replication offset for paused master manual failover: \d+/);
    assert.match(replog, /All master replication stream processed, manual failover can start\./);
    assert.match(four[0]!.output(), /Manual failover requested by replica [0-9a-f]{40} \(\)\./);
    assert.match(
      four[0]!.output(),
      /Configuration change detected\. Reconfiguring myself as a replica of [0-9a-f]{40}/,
    );
    assert.ok(Number(await clusterInfo(ports[3]!, 'cluster_stats_messages_mfstart_sent')) === 1);
    assert.ok(Number(await clusterInfo(ports[0]!, 'cluster_stats_messages_mfstart_received')) === 1);
    // TAKEOVER back, without an election
    await until(async () => (await rawCall(ports[0]!, 'ROLE')).includes('connected'), 15000, 'demoted primary synced');
    assert.equal(await rawCall(ports[0]!, 'CLUSTER', 'FAILOVER', 'TAKEOVER'), '+OK\r\n');
    await until(async () => (await role(ports[3]!)) === 'slave', 10000, 'taken over');
    assert.match(four[0]!.output(), /Taking over the master \(user request\)\./);
  } finally {
    await w?.stop();
    io.disconnect();
  }
});

test(
  'mixed: redis-server primaries elect a tsdis replica, and a tsdis primary votes for a redis-server replica',
  { skip },
  async () => {
    // primaries: R1, R2 (redis-server), T1 (tsdis); replicas: t of R1 (tsdis), r of T1 (redis-server)
    const R1 = await startProcNode('redis');
    const R2 = await startProcNode('redis');
    const T1 = await startProcNode('tsdis');
    const t = await startProcNode('tsdis');
    const rr = await startProcNode('redis');
    procs.push(R1, R2, T1, t, rr);
    const c = await redisCli([
      '--cluster',
      'create',
      ...[R1, R2, T1].map((n) => `127.0.0.1:${n.port}`),
      '--cluster-yes',
    ]);
    assert.equal(c.status, 0, c.out);
    for (const n of [t, rr]) await rawCall(n.port, 'CLUSTER', 'MEET', '127.0.0.1', R1.port);
    const id = async (n: ProcNode) => text(await rawCall(n.port, 'CLUSTER', 'MYID'));
    const r1id = await id(R1);
    const t1id = await id(T1);
    await until(
      async () => (await nodes(t.port)).length === 5 && (await nodes(rr.port)).length === 5,
      20000,
      'everyone known',
    );
    assert.equal(await rawCall(t.port, 'CLUSTER', 'REPLICATE', r1id), '+OK\r\n');
    assert.equal(await rawCall(rr.port, 'CLUSTER', 'REPLICATE', t1id), '+OK\r\n');
    const all = [R1, R2, T1, t, rr].map((n) => n.port);
    // a tsdis node shows the redis-server replica, a redis-server node shows the tsdis replica
    const tid = await id(t);
    const rrid = await id(rr);
    await until(
      async () =>
        (await nodes(T1.port)).find((n) => n.id === rrid)?.master === t1id &&
        (await nodes(R2.port)).find((n) => n.id === tid)?.master === r1id,
      20000,
      'replicas seen across implementations',
    );
    await until(
      async () =>
        (await rawCall(t.port, 'ROLE')).includes('connected') && (await rawCall(rr.port, 'ROLE')).includes('connected'),
      15000,
      'both replicas connected',
    );
    await allClusterOk(all, 20000, 'cluster_state:ok');
    const key = `{${await tagIn(R1.port, 0, 5460)}}x`;
    assert.equal(await rawCall(R1.port, 'SET', key, '1'), '+OK\r\n');
    // with both replicas past offset 0, CLUSTER SLOTS lists each after its primary: the same bytes from
    // a redis-server node and a tsdis node
    assert.equal(await rawCall(T1.port, 'SET', `{${await tagIn(T1.port, 10923, 16383)}}y`, '1'), '+OK\r\n');
    await until(
      async () => {
        const fromRedis = await rawCall(R2.port, 'CLUSTER', 'SLOTS');
        return (
          (fromRedis.match(/\*4\r\n:\d+\r\n:\d+\r\n/g) ?? []).length === 2 &&
          (await rawCall(T1.port, 'CLUSTER', 'SLOTS')) === fromRedis &&
          (await rawCall(t.port, 'CLUSTER', 'SLOTS')) === fromRedis
        );
      },
      10000,
      'CLUSTER SLOTS with replicas, the same from redis-server and tsdis',
    );

    // R1 (redis-server) killed: the tsdis replica is elected by R2 and T1
    await R1.kill();
    await until(async () => (await role(t.port)) === 'master', 15000, 'tsdis replica elected');
    await allClusterOk([R2.port, T1.port, t.port, rr.port], 15000, 'cluster_state:ok after the first failover');
    assert.match(t.output(), /Failover election won: I'm the new master\./);
    assert.match(T1.output(), new RegExp(`Failover auth granted to ${tid} \\(\\) for epoch \\d+`));

    // T1 (tsdis) killed: the redis-server replica needs R2's vote and the tsdis winner's
    await T1.kill();
    await until(async () => (await role(rr.port)) === 'master', 20000, 'redis-server replica elected');
    await allClusterOk([R2.port, t.port, rr.port], 15000, 'cluster_state:ok after the second failover');
    assert.match(t.output(), new RegExp(`Failover auth granted to ${rrid} \\(\\) for epoch \\d+`));
    assert.equal((await nodes(t.port)).find((n) => n.id === rrid)!.flags.includes('master'), true);
    // the write made on R1 survived on its tsdis successor
    assert.equal(await rawCall(t.port, 'GET', key), '$1\r\n1\r\n');
  },
);

test(
  'replica migration: a replica of the primary with two moves to a primary whose replica failed',
  { skip },
  async () => {
    const six: ProcNode[] = [];
    for (let i = 0; i < 6; i++) six.push(await startProcNode('tsdis'));
    procs.push(...six);
    const [A, B, C, a1, a2, b1] = six as [ProcNode, ProcNode, ProcNode, ProcNode, ProcNode, ProcNode];
    const c = await redisCli(['--cluster', 'create', ...[A, B, C].map((n) => `127.0.0.1:${n.port}`), '--cluster-yes']);
    assert.equal(c.status, 0, c.out);
    for (const n of [a1, a2, b1]) await rawCall(n.port, 'CLUSTER', 'MEET', '127.0.0.1', A.port);
    const id = async (n: ProcNode) => text(await rawCall(n.port, 'CLUSTER', 'MYID'));
    const aid = await id(A);
    const bid = await id(B);
    await until(async () => (await nodes(b1.port)).length === 6 && (await nodes(a2.port)).length === 6, 20000, 'met');
    for (const n of [a1, a2]) assert.equal(await rawCall(n.port, 'CLUSTER', 'REPLICATE', aid), '+OK\r\n');
    assert.equal(await rawCall(b1.port, 'CLUSTER', 'REPLICATE', bid), '+OK\r\n');
    const all = six.map((n) => n.port);
    await allClusterOk(all, 20000, 'cluster_state:ok');
    await until(
      async () => {
        for (const p of all) {
          const ns = await nodes(p);
          if (ns.filter((n) => n.master === aid).length !== 2 || ns.filter((n) => n.master === bid).length !== 1)
            return false;
        }
        return true;
      },
      20000,
      'two replicas of A and one of B everywhere',
    );
    // cluster-replica-no-failover shows as the nofailover flag on the other nodes
    assert.equal(await rawCall(a2.port, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'yes'), '+OK\r\n');
    const a2id = await id(a2);
    await until(
      async () => (await nodes(C.port)).find((n) => n.id === a2id)!.flags.join(',') === 'slave,nofailover',
      10000,
      'nofailover seen',
    );
    assert.equal(await rawCall(a2.port, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'no'), '+OK\r\n');
    await b1.kill();
    // after 5 s of B without a working replica, the replica of A with the smaller name follows B
    const a1id = await id(a1);
    const mover = a1id < a2id ? a1 : a2;
    await until(
      async () => (await nodes(C.port)).find((n) => n.id === (mover === a1 ? a1id : a2id))!.master === bid,
      20000,
      'a replica of A migrated to B',
    );
    assert.match(mover.output(), new RegExp(`Migrating to orphaned master ${bid}`));
    await until(
      async () => (await rawCall(mover.port, 'ROLE')).includes('connected'),
      10000,
      'migrated replica synced',
    );
  },
);

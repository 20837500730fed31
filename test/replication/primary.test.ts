/**
 * tsdis as a primary of a real redis-server 7.0 replica (redis-server
 * --replicaof tsdis): full sync diskless and disk-based, then ~100k mixed
 * writes of every type, the datasets compared with DEBUG DIGEST; the link
 * cut (CLIENT KILL TYPE replica) and restored by the replica itself: a
 * partial resync from the backlog, or a full one when the backlog is too
 * small; WAIT with real acknowledgements; min-replicas-to-write; expired
 * keys reaching the replica as DEL; INFO, ROLE and CLIENT LIST for a replica.
 * Skipped without redis-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import fs from 'node:fs';
import { readCommands } from '../../src/persistence/aof.js';
import { incrFile } from '../helpers/aof.js';
import type { TsdisServer } from '../../src/index.js';
import {
  bulkText,
  caughtUp,
  infoField,
  isError,
  mixedWrites,
  pipeline,
  startPrimary,
  startReplica,
  type Replica,
} from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** Runs `body` with a tsdis primary and a redis-server replica of it; stops both. */
async function withPair(
  config: Record<string, string | number>,
  body: (p: RawConn, r: Replica, srv: TsdisServer) => Promise<void>,
  before?: (p: RawConn) => Promise<void>,
): Promise<void> {
  const srv = await startPrimary(config);
  const p = await RawConn.connect(srv.port);
  let r: Replica | null = null;
  try {
    if (before) await before(p);
    r = await startReplica(srv.port);
    await caughtUp(p, r.conn);
    await body(p, r, srv);
  } catch (e) {
    if (r !== null) console.log('replica log:\n' + r.log().split('\n').slice(-30).join('\n'));
    throw e;
  } finally {
    p.close();
    await r?.stop();
    await srv.close();
  }
}

/** Waits until primary and replica hold the same data (DEBUG DIGEST), the replica caught up each time. */
async function sameData(p: RawConn, r: Replica): Promise<void> {
  let last = '';
  await until(
    () => `equal DEBUG DIGEST on primary and replica (${last})`,
    async () => {
      await caughtUp(p, r.conn);
      const a = await p.call('DEBUG', 'DIGEST');
      const b = await r.conn.call('DEBUG', 'DIGEST');
      last = `${a.trim()} vs ${b.trim()}`;
      return a === b;
    },
    { timeout: 20_000, every: 100 },
  );
}

/** Writes the seeded mixed workload and checks no command failed unexpectedly. */
async function writeMixed(p: RawConn, seed: number, n: number): Promise<void> {
  const cmds = mixedWrites(n, seed);
  const replies = await pipeline(p, cmds);
  for (let i = 0; i < replies.length; i++) {
    const rep = replies[i]!;
    // (WRONGTYPE and the like are expected from random keys; anything else is a failure)
    if (
      isError(rep) &&
      !/^-(WRONGTYPE|ERR no such key|BUSYGROUP|NOGROUP|ERR The ID|EXECABORT|ERR value is not|ERR increment or decrement|ERR source and destination)/.test(
        rep,
      )
    )
      assert.fail(`${JSON.stringify(cmds[i])} -> ${rep}`);
  }
  await p.call('SELECT', 0);
}

test(
  'diskless full sync, ~100k mixed writes of every type, DEBUG DIGEST equal; WAIT 1 returns 1',
  { skip, timeout: 180_000 },
  async () => {
    await withPair(
      { 'repl-diskless-sync': 'yes' },
      async (p, r) => {
        await writeMixed(p, 2, 100_000);
        await sameData(p, r);
        // WAIT: the replica acknowledges the client's last write
        assert.equal(await p.call('SET', 'waited', '1'), '+OK\r\n');
        assert.equal(await p.call('WAIT', '1', '5000'), ':1\r\n');
        assert.equal(bulkText(await r.conn.call('GET', 'waited')), '1');
        // more replicas than there are: the timeout, then the count
        const t0 = Date.now();
        assert.equal(await p.call('WAIT', '2', '200'), ':1\r\n');
        assert.ok(Date.now() - t0 >= 150);
        const stats = bulkText(await p.call('INFO', 'stats'));
        assert.equal(infoField(stats, 'sync_full'), '1');
        assert.match(r.log(), /receiving streamed RDB from master with EOF/);
      },
      // data before the replica attaches: the image carries it
      async (p) => {
        await writeMixed(p, 1, 5_000);
      },
    );
  },
);

test(
  'disk-based full sync while writes go on (snapshot and +FULLRESYNC offset agree), then digest equal',
  { skip, timeout: 120_000 },
  async () => {
    await withPair({ 'repl-diskless-sync': 'no' }, async (p, r) => {
      await writeMixed(p, 3, 20_000);
      await sameData(p, r);
      assert.match(r.log(), /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/);
    });
    // writes while a slowed snapshot runs: the keys changed under the walk go to the replica after the image
    const srv = await startPrimary({ 'repl-diskless-sync': 'no' });
    const p = await RawConn.connect(srv.port);
    let r: Replica | null = null;
    try {
      await writeMixed(p, 4, 5_000);
      await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '200');
      r = await startReplica(srv.port);
      await until('the snapshot for the replica to start', async () =>
        /state=wait_bgsave/.test(bulkText(await p.call('INFO', 'replication'))),
      );
      await writeMixed(p, 5, 5_000);
      await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
      await sameData(p, r);
    } finally {
      p.close();
      await r?.stop();
      await srv.close();
    }
  },
);

test(
  'diskless sync while writes go on, to a replica loading from the socket: the image and the held stream make the same data',
  { skip, timeout: 120_000 },
  async () => {
    const srv = await startPrimary({ 'repl-diskless-sync': 'yes' });
    const p = await RawConn.connect(srv.port);
    let r: Replica | null = null;
    try {
      await writeMixed(p, 6, 5_000);
      await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '200');
      // (a replica parsing the image straight from the socket: the EOF mark must end it exactly)
      r = await startReplica(srv.port, ['--repl-diskless-load', 'swapdb']);
      await until('the snapshot for the replica to start', async () =>
        /state=wait_bgsave/.test(bulkText(await p.call('INFO', 'replication'))),
      );
      await writeMixed(p, 7, 5_000);
      await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
      await sameData(p, r);
    } finally {
      p.close();
      await r?.stop();
      await srv.close();
    }
  },
);

test(
  'link cut by CLIENT KILL TYPE replica: the replica continues partially (+CONTINUE)',
  { skip, timeout: 60_000 },
  async () => {
    await withPair({}, async (p, r) => {
      await writeMixed(p, 8, 2_000);
      await caughtUp(p, r.conn);
      assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), ':1\r\n');
      // writes while it is away (the backlog holds them)
      await writeMixed(p, 9, 500);
      await until(
        'a partial resync',
        async () => infoField(bulkText(await p.call('INFO', 'stats')), 'sync_partial_ok') === '1',
      );
      await sameData(p, r);
      const stats = bulkText(await p.call('INFO', 'stats'));
      assert.equal(infoField(stats, 'sync_full'), '1');
      assert.match(r.log(), /Successful partial resynchronization with master/);
    });
  },
);

test(
  'link cut with a backlog too small for what was written meanwhile: a full resync',
  { skip, timeout: 60_000 },
  async () => {
    await withPair({ 'repl-backlog-size': 16384 }, async (p, r) => {
      await caughtUp(p, r.conn);
      // the kill and 200 KB of writes in one pipeline: the replica cannot be back before they are done
      const big = 'z'.repeat(1000);
      const cmds: string[][] = [['CLIENT', 'KILL', 'TYPE', 'replica']];
      for (let i = 0; i < 200; i++) cmds.push(['SET', `k${i}`, big]);
      await pipeline(p, cmds);
      await until(
        'a second full sync',
        async () => infoField(bulkText(await p.call('INFO', 'stats')), 'sync_full') === '2',
      );
      await sameData(p, r);
      const stats = bulkText(await p.call('INFO', 'stats'));
      assert.equal(infoField(stats, 'sync_partial_err'), '1');
      assert.equal(infoField(stats, 'sync_partial_ok'), '0');
    });
  },
);

test(
  'min-replicas-to-write counts good replicas; expired keys reach the replica as DEL',
  { skip, timeout: 60_000 },
  async () => {
    await withPair({}, async (p, r) => {
      assert.equal(await p.call('CONFIG', 'SET', 'min-replicas-to-write', '1'), '+OK\r\n');
      assert.equal(await p.call('SET', 'a', '1'), '+OK\r\n');
      const info = bulkText(await p.call('INFO', 'replication'));
      assert.equal(infoField(info, 'min_slaves_good_slaves'), '1');
      assert.equal(await p.call('CONFIG', 'SET', 'min-replicas-to-write', '2'), '+OK\r\n');
      assert.equal(await p.call('SET', 'a', '2'), '-NOREPLICAS Not enough good replicas to write.\r\n');
      assert.equal(await p.call('GET', 'a'), '$1\r\n1\r\n');
      assert.equal(await p.call('CONFIG', 'SET', 'min-replicas-to-write', '0'), '+OK\r\n');
      assert.equal(infoField(bulkText(await p.call('INFO', 'replication')), 'min_slaves_good_slaves'), undefined);
      // a replica that stops acknowledging becomes lagged: writes refused, then accepted once it is back
      // (7.2's integration/replication-2 and -4 "master not writable with lagged slave")
      await p.call('CONFIG', 'SET', 'min-replicas-max-lag', '2');
      await p.call('CONFIG', 'SET', 'min-replicas-to-write', '1');
      assert.equal(await p.call('EVAL', "return redis.call('set','foo',12345)", '0'), '+OK\r\n');
      r.proc.kill('SIGSTOP');
      try {
        await until('the primary refusing writes', async () =>
          (await p.call('SET', 'foo', '1')).startsWith('-NOREPLICAS'),
        );
        assert.match(await p.call('EVAL', "return redis.call('set','foo',12345)", '0'), /^-NOREPLICAS/);
      } finally {
        r.proc.kill('SIGCONT');
      }
      await until('writes accepted again', async () => (await p.call('SET', 'foo', '1')) === '+OK\r\n');
      await p.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
      await p.call('DEL', 'foo');
      // a key expiring on the primary is deleted on the replica (a 7.0 replica never expires keys itself)
      await p.call('SET', 'e', '1', 'PX', '50');
      await caughtUp(p, r.conn);
      assert.equal(await r.conn.call('DBSIZE'), ':2\r\n');
      await until('the replica to get the expired key deleted', async () => (await r.conn.call('DBSIZE')) === ':1\r\n');
    });
  },
);

test(
  'a replica in INFO, ROLE, CLIENT LIST (flag S), not counted in connected_clients',
  { skip, timeout: 60_000 },
  async () => {
    await withPair({}, async (p, r) => {
      const info = bulkText(await p.call('INFO', 'replication'));
      assert.equal(infoField(info, 'role'), 'master');
      assert.equal(infoField(info, 'connected_slaves'), '1');
      const off = infoField(info, 'master_repl_offset')!;
      assert.match(
        infoField(info, 'slave0')!,
        new RegExp(`^ip=127\\.0\\.0\\.1,port=${r.port},state=online,offset=\\d+,lag=\\d+$`),
      );
      assert.equal(infoField(info, 'repl_backlog_active'), '1');
      await p.call('SET', 'x', 'y');
      const mem = bulkText(await p.call('INFO', 'memory'));
      const hist = infoField(bulkText(await p.call('INFO', 'replication')), 'repl_backlog_histlen');
      assert.ok(Number(hist) > 0);
      // the shared buffer (its first 16 KB block and its overhead) is all the backlog's while within repl-backlog-size
      const total = Number(infoField(mem, 'mem_total_replication_buffers'));
      assert.ok(total >= 16384 && total >= Number(hist), `${total} vs ${hist}`);
      assert.equal(infoField(mem, 'mem_replication_backlog'), String(total));
      assert.equal(infoField(mem, 'mem_clients_slaves'), '0');
      const role = await p.call('ROLE');
      assert.match(
        role,
        new RegExp(
          `^\\*3\\r\\n\\$6\\r\\nmaster\\r\\n:\\d+\\r\\n\\*1\\r\\n\\*3\\r\\n\\$9\\r\\n127\\.0\\.0\\.1\\r\\n\\$${String(r.port).length}\\r\\n${r.port}\\r\\n\\$\\d+\\r\\n\\d+\\r\\n$`,
        ),
      );
      assert.ok(Number(off) >= 0);
      const list = bulkText(await p.call('CLIENT', 'LIST', 'TYPE', 'replica'));
      assert.match(list, /flags=S /);
      assert.equal(infoField(bulkText(await p.call('INFO', 'clients')), 'connected_clients'), '1');
      // a replica may not touch the keyspace
      assert.match(r.log(), /Synchronization|Finished with success/);
    });
  },
);

test(
  'replicas share one snapshot: diskless with repl-diskless-sync-max-replicas, disk-based joining a running BGSAVE',
  { skip, timeout: 120_000 },
  async () => {
    for (const diskless of ['yes', 'no']) {
      const lines: string[] = [];
      const srv = await startPrimary(
        {
          'repl-diskless-sync': diskless,
          // diskless: wait (up to 30 s) for two replicas; disk: slow the BGSAVE so the second joins it
          'repl-diskless-sync-delay': 30,
          'repl-diskless-sync-max-replicas': 2,
          ...(diskless === 'no' ? { 'rdb-key-save-delay': 20000 } : {}),
        },
        (line) => lines.push(line),
      );
      const p = await RawConn.connect(srv.port);
      const rs: Replica[] = [];
      try {
        await writeMixed(p, 10, 3_000);
        rs.push(await startReplica(srv.port));
        await until('the first replica waiting', async () =>
          /state=wait_bgsave/.test(bulkText(await p.call('INFO', 'replication'))),
        );
        rs.push(await startReplica(srv.port));
        if (diskless === 'no') {
          await until('the second replica joining the BGSAVE', () =>
            lines.some((l) => l.includes('Waiting for end of BGSAVE for SYNC')),
          );
          await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
        }
        await writeMixed(p, 11, 2_000);
        for (const r of rs) await sameData(p, r);
        assert.equal(lines.filter((l) => l.includes('Starting BGSAVE for SYNC')).length, 1, lines.join('\n'));
        assert.equal(infoField(bulkText(await p.call('INFO', 'stats')), 'sync_full'), '2');
      } finally {
        p.close();
        for (const r of rs) await r.stop();
        await srv.close();
      }
    }
  },
);

/** The calls= of a command in a server's INFO commandstats ('' when never called). */
async function calls(c: RawConn, name: string): Promise<string> {
  const m = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(bulkText(await c.call('INFO', 'commandstats')));
  return m?.[1] ?? '';
}

test(
  'what the replica runs, as 7.2 tests it (integration/replication): GETSET as SET, served blocking moves as RPOPLPUSH/LMOVE',
  { skip, timeout: 60_000 },
  async () => {
    await withPair({}, async (p, r, srv) => {
      // INCRBYFLOAT keeps the TTL on the replica
      await p.call('SET', 'test', '1', 'EX', '100');
      await p.call('INCRBYFLOAT', 'test', '0.1');
      await sameData(p, r);
      await r.conn.call('CONFIG', 'RESETSTAT');
      await p.call('SET', 'test', 'foo');
      assert.equal(await p.call('GETSET', 'test', 'bar'), '$3\r\nfoo\r\n');
      assert.equal(await p.call('SET', 'test', 'vaz', 'GET'), '$3\r\nbar\r\n');
      await caughtUp(p, r.conn);
      assert.equal(await calls(r.conn, 'set'), '3');
      assert.equal(await calls(r.conn, 'getset'), '');
      for (const [cmd, stat, other] of [
        [['BRPOPLPUSH', 'a', 'b', '5'], 'rpoplpush', 'lmove'],
        [['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '5'], 'lmove', 'rpoplpush'],
      ] as const) {
        // blocking against an empty list, then a list that exists
        await p.call('DEL', 'a');
        await caughtUp(p, r.conn);
        await r.conn.call('CONFIG', 'RESETSTAT');
        const w = await RawConn.connect(srv.port);
        try {
          w.write(Buffer.from(`*${cmd.length}\r\n` + cmd.map((a) => `$${a.length}\r\n${a}\r\n`).join(''), 'latin1'));
          await until(
            'the mover blocked',
            async () => infoField(bulkText(await p.call('INFO', 'clients')), 'blocked_clients') === '1',
          );
          await p.call('LPUSH', 'a', 'foo');
          assert.equal(await w.read(), '$3\r\nfoo\r\n');
          await p.call('LPUSH', 'a', '1', '2', '3');
          assert.notEqual(await w.call(...cmd), '*-1\r\n');
        } finally {
          w.close();
        }
        await sameData(p, r);
        assert.equal(await calls(r.conn, stat), '2');
        assert.equal(await calls(r.conn, other), '');
      }
    });
  },
);

test(
  'closing the primary sends the stream it still holds for a replica before ending the link',
  { skip, timeout: 60_000 },
  async () => {
    const srv = await startPrimary();
    const p = await RawConn.connect(srv.port);
    let r: Replica | null = null;
    let closed = false;
    try {
      r = await startReplica(srv.port);
      await caughtUp(p, r.conn);
      r.proc.kill('SIGSTOP');
      try {
        // more than the sockets' buffers hold: the rest waits in tsdis
        const big = 'b'.repeat(1 << 20);
        for (let i = 0; i < 24; i++) assert.equal(await p.call('SET', `big${i}`, big), '+OK\r\n');
        assert.equal(await p.call('SET', 'last', '1'), '+OK\r\n');
        p.close();
        await srv.close();
        closed = true;
      } finally {
        r.proc.kill('SIGCONT');
      }
      await until(
        'the replica to get the last write',
        async () => (await r!.conn.call('GET', 'last')) === '$1\r\n1\r\n',
        {
          timeout: 20_000,
        },
      );
    } finally {
      p.close();
      await r?.stop();
      if (!closed) await srv.close();
    }
  },
);

test(
  'DEBUG POPULATE counts no change, as Redis (no dirty): its keys reach neither the replica nor rdb_changes_since_last_save',
  { skip, timeout: 60_000 },
  async () => {
    const srv = await startPrimary({ save: '' });
    const r = await startReplica(srv.port);
    const p = await RawConn.connect(srv.port);
    try {
      await caughtUp(p, r.conn);
      const before = infoField(bulkText(await p.call('INFO', 'persistence')), 'rdb_changes_since_last_save');
      assert.equal(await p.call('DEBUG', 'POPULATE', '100', 'pop'), '+OK\r\n');
      assert.equal(await p.call('SET', 'after', '1'), '+OK\r\n');
      await caughtUp(p, r.conn);
      assert.equal(await p.call('DBSIZE'), ':101\r\n');
      assert.equal(await r.conn.call('DBSIZE'), ':1\r\n');
      const after = infoField(bulkText(await p.call('INFO', 'persistence')), 'rdb_changes_since_last_save');
      assert.equal(Number(after) - Number(before), 1);
    } finally {
      p.close();
      await r.stop();
      await srv.close();
    }
  },
);

test(
  'FLUSHALL stops a diskless sync, as Redis kills its child: the replica is dropped, syncs again and ends empty',
  { skip, timeout: 60_000 },
  async () => {
    const lines: string[] = [];
    const srv = await startPrimary({ save: '', 'repl-diskless-sync': 'yes' }, (l) => lines.push(l));
    const p = await RawConn.connect(srv.port);
    let r: Replica | null = null;
    try {
      assert.equal(await p.call('DEBUG', 'POPULATE', '200', 'k', '1000'), '+OK\r\n');
      // 200 keys at 20 ms: a 4 s image
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '20000'), '+OK\r\n');
      r = await startReplica(srv.port);
      await until('the diskless transfer', () =>
        lines.some((l) => l.includes('Background RDB transfer started by pid')),
      );
      const n = lines.length;
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'), '+OK\r\n');
      assert.equal(await p.call('FLUSHALL'), '+OK\r\n');
      assert.ok(
        lines.slice(n).some((l) => l.endsWith('Background transfer terminated by signal 10')),
        lines.join('\n'),
      );
      await until('a second transfer', () =>
        lines.slice(n).some((l) => l.includes('Background RDB transfer started by pid')),
      );
      assert.equal(await p.call('SET', 'after', '1'), '+OK\r\n');
      await caughtUp(p, r.conn);
      assert.equal(await r.conn.call('DBSIZE'), ':1\r\n');
    } finally {
      p.close();
      await r?.stop();
      await srv.close();
    }
  },
);

test(
  'a BGSAVE to disk is stopped when the last replica waiting for it leaves, unless save points need it (Redis kills the child)',
  { skip, timeout: 90_000 },
  async () => {
    const srv = await startPrimary({ save: '', 'repl-diskless-sync': 'no' });
    const p = await RawConn.connect(srv.port);
    const replicas: Replica[] = [];
    const bgsaving = async () => infoField(bulkText(await p.call('INFO', 'persistence')), 'rdb_bgsave_in_progress');
    const bothWaiting = async () => {
      const info = bulkText(await p.call('INFO', 'replication'));
      return (
        (await bgsaving()) === '1' &&
        /state=wait_bgsave/.test(infoField(info, 'slave0') ?? '') &&
        /state=wait_bgsave/.test(infoField(info, 'slave1') ?? '')
      );
    };
    try {
      for (let i = 0; i < 10; i++) assert.equal(await p.call('SET', String(i), String(i)), '+OK\r\n');
      // 10 keys at 1 s: a 10 s BGSAVE
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000'), '+OK\r\n');
      for (let i = 0; i < 2; i++) replicas.push(await startReplica(srv.port));
      await until('both replicas waiting for the BGSAVE', bothWaiting);
      assert.equal(await replicas[0]!.conn.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      // (what is tested: the other replica still waits, so the BGSAVE goes on)
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await bgsaving(), '1');
      assert.equal(await replicas[1]!.conn.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      await until('the BGSAVE stopped', async () => (await bgsaving()) === '0');
      // with a save point the file is wanted: it goes on
      assert.equal(await p.call('CONFIG', 'SET', 'save', '900 1'), '+OK\r\n');
      for (const r of replicas) assert.equal(await r.conn.call('REPLICAOF', '127.0.0.1', String(srv.port)), '+OK\r\n');
      await until('both replicas waiting again', bothWaiting);
      for (const r of replicas) assert.equal(await r.conn.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      // (what is tested: it is still running later)
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await bgsaving(), '1');
    } finally {
      p.close();
      for (const r of replicas) await r.stop();
      await srv.close();
    }
  },
);

test(
  "PUBLISH and SPUBLISH reach a redis-server replica's subscribers; GETDEL replicates as DEL; neither PUBLISH goes to the AOF",
  { skip, timeout: 60_000 },
  async () => {
    await withPair({ appendonly: 'yes' }, async (p, r) => {
      // a subscriber and a MONITOR on the replica
      const sub = await RawConn.connect(r.port);
      const mon = await RawConn.connect(r.port);
      try {
        await sub.call('SUBSCRIBE', 'news');
        await sub.call('SSUBSCRIBE', 'shard');
        assert.equal(await mon.call('MONITOR'), '+OK\r\n');
        assert.equal(await p.call('PUBLISH', 'news', 'hello'), ':0\r\n'); // no subscriber on the primary
        assert.equal(await p.call('SPUBLISH', 'shard', 'hi'), ':0\r\n');
        assert.equal(await sub.read(), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n');
        assert.equal(await sub.read(), '*3\r\n$8\r\nsmessage\r\n$5\r\nshard\r\n$2\r\nhi\r\n');
        // inside MULTI: the one effect goes alone (no MULTI/EXEC around it), as Redis 7.2 sends it
        await p.call('MULTI');
        await p.call('PUBLISH', 'news', 'in-multi');
        await p.call('EXEC');
        assert.equal(await sub.read(), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$8\r\nin-multi\r\n');
        await p.call('SET', 'gd', 'v');
        assert.equal(await p.call('GETDEL', 'gd'), '$1\r\nv\r\n');
        await caughtUp(p, r.conn);
        let seen = '';
        await until('the replica applied the GETDEL', async () => {
          seen += mon.take();
          return /"DEL" "gd"/i.test(seen);
        });
        assert.doesNotMatch(seen, /getdel/i);
        assert.match(seen, /"MULTI"|"PUBLISH" "news" "in-multi"/i);
        assert.doesNotMatch(seen, /"MULTI"/i);
      } finally {
        sub.close();
        mon.close();
      }
      // the primary's AOF has the writes, not the messages
      const dir = /\$\d+\r\n(\/[^\r]*)\r\n$/.exec(await p.call('CONFIG', 'GET', 'dir'))![1]!;
      await until('the AOF written', () => fs.existsSync(incrFile(dir)));
      const ops = readCommands(fs.readFileSync(incrFile(dir))).commands.map((c) => c[0]!.toUpperCase());
      assert.ok(ops.includes('DEL') && ops.includes('SET'), ops.join(' '));
      assert.ok(!ops.includes('PUBLISH') && !ops.includes('SPUBLISH') && !ops.includes('GETDEL'), ops.join(' '));
    });
  },
);

/**
 * tsdis as a replica of a real redis-server primary: partial resync after a
 * cut link, a full resync when the primary's backlog lost the offset,
 * REPLICAOF / SLAVEOF / ROLE, READONLY and MASTERDOWN, keys that expire on
 * a replica only by the primary's DEL, promotion with REPLICAOF NO ONE,
 * INFO replication's fields, CONFIG REWRITE of replicaof, the log lines.
 *
 * Where replies can be compared, a real redis-server replica of the same
 * primary (or with the same settings) is the oracle, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, hasRedis, RawConn, SKIP_NO_REDIS, startRedis, startTsdis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { until } from '../helpers/wait.js';
import { caughtUp, field, info, infoNames, linkUp, mixedWrites, sendAll, startPair } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  return freePort();
}

/** Writes `n` keys of `size` bytes to the primary. */
async function writeKeys(port: number, prefix: string, n: number, size = 10): Promise<void> {
  const cmds: string[][] = [];
  for (let i = 0; i < n; i++) cmds.push(['SET', `${prefix}:${i}`, 'x'.repeat(size)]);
  await sendAll(port, cmds);
}

test('the first sync: Redis 7.2 log lines, ROLE and INFO replication as a connected replica', { skip }, async () => {
  const pair = await startPair();
  const { p, r, primary } = pair;
  try {
    await caughtUp(p, r);
    const lines = pair.log.map((l) => l.replace(/^\d+:[MS] \d+ \w+ \d+ [\d:.]+ [.*#-] /, ''));
    for (const want of [
      `Connecting to MASTER 127.0.0.1:${primary.port}`,
      'MASTER <-> REPLICA sync started',
      'Non blocking connect for SYNC fired the event.',
      'Master replied to PING, replication can continue...',
      'Partial resynchronization not possible (no cached master)',
      'MASTER <-> REPLICA sync: Flushing old data',
      'MASTER <-> REPLICA sync: Loading DB in memory',
      'MASTER <-> REPLICA sync: Finished with success',
    ])
      assert.ok(lines.includes(want), `log line ${want}\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => /^Full resync from master: [0-9a-f]{40}:\d+$/.test(l)));
    // the role letter of a replica's log lines
    assert.ok(pair.log.some((l) => /^\d+:S /.test(l)));
    assert.equal(
      await r.call('ROLE'),
      `*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:${primary.port}\r\n$9\r\nconnected\r\n:${await field(p, 'master_repl_offset')}\r\n`,
    );
    const i = await info(r);
    assert.equal(i.get('role'), 'slave');
    assert.equal(i.get('master_host'), '127.0.0.1');
    assert.equal(i.get('master_port'), String(primary.port));
    assert.equal(i.get('master_link_status'), 'up');
    assert.equal(i.get('master_sync_in_progress'), '0');
    assert.equal(i.get('slave_repl_offset'), await field(p, 'master_repl_offset'));
    assert.equal(i.get('master_replid'), await field(p, 'master_replid'));
    assert.equal(i.get('repl_backlog_active'), '1');
    assert.ok(!i.has('master_link_down_since_seconds'));
    // the primary sees it online, acknowledging its offset (REPLCONF ACK every second)
    await until(
      'the replica to acknowledge its offset',
      async () => {
        const s = (await field(p, 'slave0')) ?? '';
        return /state=online/.test(s) && s.includes(`offset=${await field(p, 'master_repl_offset')}`) ? s : false;
      },
      { timeout: 20_000 },
    );
    assert.match((await field(p, 'slave0'))!, new RegExp(`ip=127\\.0\\.0\\.1,port=${pair.replica.port},`));
    // the primary's link in CLIENT LIST: flag M, type master
    const masters = await r.call('CLIENT', 'LIST', 'TYPE', 'master');
    assert.match(masters, / flags=M /);
    assert.ok(Number((await info(r, 'stats')).get('total_net_repl_input_bytes')) > 0);
  } finally {
    await pair.stop();
  }
});

test(
  'INFO replication of a replica has the fields of a real redis-server replica, in its order (up, then down)',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const ref = await startRedis(['--replicaof', '127.0.0.1', String(pair.primary.port)]);
    const rr = await RawConn.connect(ref.port);
    try {
      await linkUp(rr);
      await caughtUp(pair.p, pair.r);
      assert.deepEqual(
        await infoNames(pair.r),
        (await infoNames(rr)).filter((n) => n !== 'slave0'),
      );
      // down: master_link_down_since_seconds appears, master_last_io_seconds_ago is -1
      const dead = await deadPort();
      assert.equal(await pair.r.call('REPLICAOF', '127.0.0.1', String(dead)), '+OK\r\n');
      assert.equal(await rr.call('REPLICAOF', '127.0.0.1', String(dead)), '+OK\r\n');
      const down = await info(pair.r);
      assert.deepEqual([...down.keys()], await infoNames(rr));
      assert.equal(down.get('master_link_status'), 'down');
      assert.equal(down.get('master_last_io_seconds_ago'), '-1');
      // (the link that went down was up: seconds since then)
      assert.equal(down.get('master_link_down_since_seconds'), (await info(rr)).get('master_link_down_since_seconds'));
      const role = await pair.r.call('ROLE');
      assert.match(
        role,
        new RegExp(
          `^\\*5\\r\\n\\$5\\r\\nslave\\r\\n\\$9\\r\\n127\\.0\\.0\\.1\\r\\n:${dead}\\r\\n\\$\\d+\\r\\n(connect|connecting)\\r\\n:-1\\r\\n$`,
        ),
      );
    } finally {
      rr.close();
      await ref.stop();
      await pair.stop();
    }
  },
);

test(
  'partial resync after CLIENT KILL TYPE master on the replica: +CONTINUE, no second full sync',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      await writeKeys(pair.primary.port, 'a', 1000);
      await caughtUp(p, r);
      const before = await info(p, 'stats');
      assert.equal(before.get('sync_full'), '1');
      assert.equal(await r.call('CLIENT', 'KILL', 'TYPE', 'master'), ':1\r\n');
      await writeKeys(pair.primary.port, 'b', 1000);
      await caughtUp(p, r);
      const after = await info(p, 'stats');
      assert.equal(after.get('sync_full'), '1');
      assert.equal(after.get('sync_partial_ok'), '1');
      const lines = pair.log.join('\n');
      assert.match(lines, /Connection with master lost\./);
      assert.match(lines, /Caching the disconnected master state\./);
      assert.match(lines, /Trying a partial resynchronization \(request [0-9a-f]{40}:\d+\)\./);
      assert.match(lines, /Successful partial resynchronization with master\./);
      assert.match(lines, /MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization\./);
      assert.equal(await r.call('DBSIZE'), ':2000\r\n');
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      await pair.stop();
    }
  },
);

test(
  'partial resync after CLIENT KILL TYPE replica on the primary, writes in flight',
  { skip, timeout: 60000 },
  async () => {
    // (a backlog that holds all 20,000 writes: on a loaded machine the replica may lag by more than the default 1 MB)
    const pair = await startPair(['--repl-backlog-size', '64mb']);
    const { p, r } = pair;
    try {
      await caughtUp(p, r);
      const writing = writeKeys(pair.primary.port, 'c', 20000, 50);
      await new Promise((res) => setTimeout(res, 30));
      assert.match(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), /^:[01]\r\n$/);
      await writing;
      await caughtUp(p, r);
      const st = await info(p, 'stats');
      assert.equal(st.get('sync_full'), '1');
      assert.ok(Number(st.get('sync_partial_ok')) >= 1);
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      await pair.stop();
    }
  },
);

test(
  "REPLICAOF elsewhere and back: +CONTINUE while the primary's backlog holds the offset, a full resync once it does not",
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair(['--repl-backlog-size', '16384']);
    const { p, r, primary } = pair;
    try {
      await caughtUp(p, r);
      const dead = String(await deadPort());
      // a little written meanwhile: the backlog still has it
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', dead), '+OK\r\n');
      await writeKeys(primary.port, 'small', 10);
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      await caughtUp(p, r);
      let st = await info(p, 'stats');
      assert.equal(st.get('sync_full'), '1');
      assert.equal(st.get('sync_partial_ok'), '1');
      // far more than the 16 KB backlog written meanwhile: a full resync
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', dead), '+OK\r\n');
      await writeKeys(primary.port, 'big', 2000, 100);
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      await caughtUp(p, r);
      st = await info(p, 'stats');
      assert.equal(st.get('sync_full'), '2');
      assert.equal(st.get('sync_partial_err'), '1');
      assert.equal(await r.call('DBSIZE'), ':2010\r\n');
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
      assert.match(pair.log.join('\n'), /Discarding previously cached master state\./);
    } finally {
      await pair.stop();
    }
  },
);

test(
  'a read-only replica refuses writes as a redis-server replica does, byte for byte; replica-read-only no allows them',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const ref = await startRedis(['--replicaof', '127.0.0.1', String(pair.primary.port)]);
    const rr = await RawConn.connect(ref.port);
    try {
      await linkUp(rr);
      await caughtUp(pair.p, pair.r);
      const script = async (c: RawConn) => [
        await c.call('SET', 'k', 'v'),
        await c.call('INCR', 'n'),
        await c.call('MULTI'),
        await c.call('SET', 'k', 'v'),
        await c.call('GET', 'k'),
        await c.call('EXEC'),
        await c.call('MULTI'),
        await c.call('GET', 'k'),
        await c.call('EXEC'),
        await c.call('EVAL', '#!lua\nreturn redis.call("SET", KEYS[1], "v")', '1', 'k'),
        await c.call('EVAL', '#!lua flags=no-writes\nreturn redis.call("GET", KEYS[1])', '1', 'k'),
        await c.call('EVAL', 'return redis.call("SET", KEYS[1], "v")', '1', 'k'),
        await c.call('EVAL', 'return redis.pcall("SET", KEYS[1], "v")', '1', 'k'),
        await c.call('GET', 'k'),
        await c.call('PING'),
        await c.call('WAIT', '0', '0'),
        await c.call('WAIT', '1', '10'),
      ];
      assert.deepEqual(await script(pair.r), await script(rr));
      assert.equal(await pair.r.call('SET', 'k', 'v'), "-READONLY You can't write against a read only replica.\r\n");
      assert.equal(await pair.r.call('CONFIG', 'SET', 'replica-read-only', 'no'), '+OK\r\n');
      assert.equal(await pair.r.call('SET', 'own', 'v'), '+OK\r\n');
      assert.equal(await pair.r.call('GET', 'own'), '$1\r\nv\r\n');
      assert.equal(await field(pair.r, 'slave_read_only'), '0');
    } finally {
      rr.close();
      await ref.stop();
      await pair.stop();
    }
  },
);

test(
  'replica-serve-stale-data no with the link down: MASTERDOWN for commands without the stale flag, as redis-server',
  { skip, timeout: 60000 },
  async () => {
    const dead = String(await deadPort());
    const ref = await startRedis(['--replicaof', '127.0.0.1', dead, '--replica-serve-stale-data', 'no']);
    const rr = await RawConn.connect(ref.port);
    const t = await startTsdis({ config: { replicaof: `127.0.0.1 ${dead}`, 'replica-serve-stale-data': 'no' } });
    const tc = await RawConn.connect(t.port);
    try {
      const script = async (c: RawConn) => [
        await c.call('GET', 'k'),
        await c.call('PING'),
        await c.call('DBSIZE'),
        await c.call('MULTI'),
        await c.call('GET', 'k'),
        await c.call('EXEC'),
        await c.call('MULTI'),
        await c.call('CONFIG', 'GET', 'replica-serve-stale-data'),
        await c.call('EXEC'),
        await c.call('ECHO', 'x'),
        await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'yes'),
        await c.call('GET', 'k'),
      ];
      const ours = await script(tc);
      assert.deepEqual(ours, await script(rr));
      assert.equal(ours[0], "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
    } finally {
      tc.close();
      rr.close();
      await t.close();
      await ref.stop();
    }
  },
);

test(
  'a replica never expires keys itself: a passed TTL reads as missing, the key stays until the primary deletes it',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
      assert.equal(await p.call('SET', 'k', 'v', 'PX', '100'), '+OK\r\n');
      assert.equal(await p.call('RPUSH', 'l', 'a'), ':1\r\n');
      assert.equal(await p.call('PEXPIRE', 'l', '100'), ':1\r\n');
      await caughtUp(p, r);
      await new Promise((res) => setTimeout(res, 250));
      // (as the primary would answer: asking it would make it delete them)
      const expect: [string[], string][] = [
        [['GET', 'k'], '$-1\r\n'],
        [['EXISTS', 'k'], ':0\r\n'],
        [['TTL', 'k'], ':-2\r\n'],
        [['LRANGE', 'l', '0', '-1'], '*0\r\n'],
        [['TYPE', 'l'], '+none\r\n'],
      ];
      for (const [c, want] of expect) assert.equal(await r.call(...c), want, c.join(' '));
      // every key has a passed TTL: after its tries, RANDOMKEY returns one anyway (Redis's dbRandomKey on a replica)
      assert.match(await r.call('RANDOMKEY'), /^\$1\r\n[kl]\r\n$/);
      // stored still, and after the replica's active cycle had time to run
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(await r.call('DBSIZE'), ':2\r\n');
      // the primary's lazy expiry sends the DELs
      assert.equal(await p.call('GET', 'k'), '$-1\r\n');
      assert.equal(await p.call('LLEN', 'l'), ':0\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('DBSIZE'), ':0\r\n');
    } finally {
      await pair.stop();
    }
  },
);

test(
  'REPLICAOF NO ONE promotes: a new replid, the old one as replid2 up to the offset, writes accepted, ROLE master',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      await writeKeys(pair.primary.port, 'k', 100);
      const off = await caughtUp(p, r);
      const oldId = await field(r, 'master_replid');
      assert.equal(await r.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      const i = await info(r);
      assert.equal(i.get('role'), 'master');
      assert.equal(i.get('master_replid2'), oldId);
      assert.notEqual(i.get('master_replid'), oldId);
      assert.equal(i.get('second_repl_offset'), String(off + 1));
      assert.equal(i.get('master_repl_offset'), String(off));
      assert.equal(i.get('repl_backlog_active'), '1');
      assert.equal(await r.call('SET', 'mine', 'v'), '+OK\r\n');
      // its own writes now go to its stream
      assert.ok(Number(await field(r, 'master_repl_offset')) > off);
      assert.equal(await r.call('ROLE'), `*3\r\n$6\r\nmaster\r\n:${await field(r, 'master_repl_offset')}\r\n*0\r\n`);
      assert.equal(await r.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      assert.match(pair.log.join('\n'), /MASTER MODE enabled \(user request from 'id=\d+ addr=/);
      assert.equal(await r.call('DBSIZE'), ':101\r\n');
      // the link is gone for good: nothing reconnects
      await new Promise((res) => setTimeout(res, 1200));
      assert.equal((await info(p)).get('connected_slaves'), '0');
    } finally {
      await pair.stop();
    }
  },
);

test('REPLICAOF / SLAVEOF replies and errors as redis-server', { skip, timeout: 60000 }, async () => {
  const primary = await startRedis();
  const ref = await startRedis();
  const rr = await RawConn.connect(ref.port);
  const t = await startTsdis();
  const tc = await RawConn.connect(t.port);
  try {
    const port = String(primary.port);
    const script = async (c: RawConn) => [
      await c.call('REPLICAOF', '127.0.0.1', 'x'),
      await c.call('REPLICAOF', '127.0.0.1', '70000'),
      await c.call('REPLICAOF', '127.0.0.1', '-1'),
      await c.call('REPLICAOF', '127.0.0.1'),
      await c.call('REPLICAOF', 'NO', 'ONE'),
      await c.call('REPLICAOF', '127.0.0.1', port),
      await c.call('REPLICAOF', '127.0.0.1', port),
      await c.call('SLAVEOF', '127.0.0.1', port),
      await c.call('slaveof', 'no', 'one'),
      await c.call('ROLE'),
    ];
    const ours = await script(tc);
    const theirs = await script(rr);
    // ROLE's offset is each server's own
    assert.deepEqual(ours.slice(0, -1), theirs.slice(0, -1));
    assert.equal(ours[6], '+OK Already connected to specified master\r\n');
    assert.match(ours[9]!, /^\*3\r\n\$6\r\nmaster\r\n:\d+\r\n\*0\r\n$/);
  } finally {
    tc.close();
    rr.close();
    await t.close();
    await ref.stop();
    await primary.stop();
  }
});

test(
  'REPLICAOF unblocks clients blocked on keys with UNBLOCKED and closes them',
  { skip, timeout: 60000 },
  async () => {
    const primary = await startRedis();
    const t = await startTsdis();
    const blocked = await RawConn.connect(t.port);
    const c = await RawConn.connect(t.port);
    try {
      blocked.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n');
      await until('BLPOP to block', async () => (await c.call('CLIENT', 'LIST')).includes('cmd=blpop'), {
        timeout: 20_000,
      });
      assert.equal(await c.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      assert.equal(
        await blocked.readUntilClose(),
        '-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n',
      );
    } finally {
      blocked.close();
      c.close();
      await t.close();
      await primary.stop();
    }
  },
);

test(
  'replicaof in redis.conf, and CONFIG REWRITE writes the primary REPLICAOF set (none after NO ONE)',
  { skip, timeout: 60000 },
  async () => {
    const primary = await startRedis();
    const other = await startRedis();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-replica-'));
    const conf = path.join(dir, 'r.conf');
    fs.writeFileSync(conf, `save ""\nreplicaof 127.0.0.1 ${primary.port}\n`);
    const child = await startChild([conf], dir);
    const c = await RawConn.connect(child.port);
    try {
      await linkUp(c);
      assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
      const lines = () =>
        fs
          .readFileSync(conf, 'latin1')
          .split('\n')
          .filter((l) => /^replicaof /.test(l));
      assert.deepEqual(lines(), [`replicaof 127.0.0.1 ${primary.port}`]);
      assert.equal(await c.call('REPLICAOF', '127.0.0.1', String(other.port)), '+OK\r\n');
      assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
      assert.deepEqual(lines(), [`replicaof 127.0.0.1 ${other.port}`]);
      await linkUp(c);
      assert.equal(await c.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
      assert.deepEqual(lines(), []);
    } finally {
      c.close();
      await child.kill();
      await other.stop();
      await primary.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a primary silent for repl-timeout seconds is dropped, and the link comes back with a partial resync',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair(['--repl-ping-replica-period', '100'], { 'repl-timeout': 1 });
    const { p, r } = pair;
    try {
      await caughtUp(p, r);
      await until(
        'the replica to time the primary out',
        async () => pair.log.some((l) => l.endsWith('MASTER timeout: no data nor PING received...')),
        { timeout: 10000 },
      );
      await linkUp(r);
      assert.ok(Number((await info(p, 'stats')).get('sync_partial_ok')) >= 1);
    } finally {
      await pair.stop();
    }
  },
);

test("an AOF on a replica gets the effects of the primary's stream", { skip, timeout: 60000 }, async () => {
  const pair = await startPair([], { appendonly: 'yes', appendfsync: 'always' });
  const { p, r } = pair;
  try {
    await caughtUp(p, r);
    assert.equal(await p.call('SET', 'aofkey', 'aofval'), '+OK\r\n');
    await caughtUp(p, r);
    const dir = pair.replica.server.config.v['dir'];
    const adir = path.join(dir, pair.replica.server.config.v['appenddirname']);
    await until(
      "the SET in the replica's AOF",
      async () => {
        const files = fs.existsSync(adir) ? fs.readdirSync(adir).filter((f) => f.endsWith('.incr.aof')) : [];
        return files.some((f) => fs.readFileSync(path.join(adir, f), 'latin1').includes('aofval'));
      },
      { timeout: 20_000 },
    );
  } finally {
    await pair.stop();
  }
});

test(
  'replica-ignore-maxmemory yes: a replica over maxmemory evicts nothing and stays an exact copy',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair([], { maxmemory: '1mb', 'maxmemory-policy': 'allkeys-lru' });
    const { p, r } = pair;
    try {
      await writeKeys(pair.primary.port, 'big', 5000, 1000);
      await caughtUp(p, r);
      assert.ok(Number((await info(r, 'memory')).get('used_memory')) > 1024 * 1024);
      // (commands of its own clients pass the memory gate)
      for (let i = 0; i < 10; i++) assert.equal(await r.call('GET', 'big:1'), `$1000\r\n${'x'.repeat(1000)}\r\n`);
      assert.equal(await r.call('DBSIZE'), ':5000\r\n');
      assert.equal((await info(r, 'stats')).get('evicted_keys'), '0');
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/integration/replication-3.tcl "Writable replica doesn't return expired keys"
test(
  "a writable replica: a write deletes an expired key first, a read only reports it gone (Redis 7.2's rules)",
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
      assert.equal(await p.call('SET', 'key1', '5', 'PX', '10'), '+OK\r\n');
      assert.equal(await p.call('SET', 'key2', '5', 'PX', '10'), '+OK\r\n');
      await caughtUp(p, r);
      await until('the keys to expire', async () => (await r.call('EXISTS', 'key1', 'key2')) === ':0\r\n', {
        timeout: 20_000,
      });
      assert.equal(await r.call('CONFIG', 'SET', 'replica-read-only', 'no'), '+OK\r\n');
      assert.equal(await r.call('DBSIZE'), ':2\r\n');
      const expired = Number((await info(r, 'stats')).get('expired_keys'));
      assert.equal(await r.call('INCR', 'key1'), ':1\r\n');
      // (deleted as expired by the write, not overwritten)
      assert.equal(Number((await info(r, 'stats')).get('expired_keys')), expired + 1);
      assert.equal(await r.call('TTL', 'key1'), ':-1\r\n');
      assert.equal(await r.call('GET', 'key2'), '$-1\r\n');
      assert.equal(await r.call('DBSIZE'), ':2\r\n');
    } finally {
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/integration/replication.tcl "Test replication with lazy expire"
test(
  'the primary deleting an expired key lazily before a write: the replica follows',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      assert.equal(await p.call('SADD', 's', 'foo'), ':1\r\n');
      assert.equal(await p.call('PEXPIRE', 's', '1'), ':1\r\n');
      await new Promise((res) => setTimeout(res, 10));
      assert.equal(await p.call('SADD', 's', 'foo'), ':1\r\n');
      await caughtUp(p, r);
      assert.equal(await p.call('TYPE', 's'), '+set\r\n');
      assert.equal(await r.call('TYPE', 's'), '+set\r\n');
      assert.equal(await r.call('TTL', 's'), ':-1\r\n');
    } finally {
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/integration/replication.tcl "Master stream is correctly processed while the replica has a script in -BUSY state"
test(
  "the primary's stream waits while a script is busy on the replica, and is processed whole after it",
  { skip, timeout: 90000 },
  async () => {
    const pair = await startPair([], { 'busy-reply-threshold': 100 });
    const { p, r } = pair;
    try {
      await caughtUp(p, r);
      // writes keep coming for the whole busy time
      const load = (async () => {
        const end = Date.now() + 3000;
        for (let seed = 100; Date.now() < end; seed++) await sendAll(pair.primary.port, mixedWrites(300, seed));
      })();
      await new Promise((res) => setTimeout(res, 50));
      const script =
        "local t0 = tonumber(redis.call('TIME')[1]); while tonumber(redis.call('TIME')[1]) < t0 + 2 do end; return 1";
      const busy = await RawConn.connect(pair.replica.port);
      try {
        assert.equal(await busy.call('EVAL', script, '0'), ':1\r\n');
      } finally {
        busy.close();
      }
      await load;
      assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
      await caughtUp(p, r, 60000);
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/integration/replication-4.tcl "Data divergence can happen under default conditions"
test(
  'a command of the primary that fails on the replica is logged as CRITICAL and counted; panic-on-replicas stops the server',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    try {
      await caughtUp(p, r);
      assert.equal(await p.call('DEBUG', 'REPLICATE', 'fake-command-1'), '+OK\r\n');
      assert.equal(await p.call('SET', 'foo', 'bar2'), '+OK\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('GET', 'foo'), '$4\r\nbar2\r\n');
      const crit = pair.log.filter((l) => l.includes('== CRITICAL =='));
      assert.equal(crit.length, 1);
      assert.match(
        crit[0]!,
        /# == CRITICAL == This replica is sending an error to its master: 'unknown command 'fake-command-1', with args beginning with: ' after processing the command '<unknown>'$/,
      );
      assert.equal((await info(r, 'stats')).get('unexpected_error_replies'), '1');
      // panic-on-replicas: a read-only replica stops
      assert.equal(await r.call('CONFIG', 'SET', 'propagation-error-behavior', 'panic-on-replicas'), '+OK\r\n');
      const closed = new Promise<void>((res) => pair.replica.server.once('closed', () => res()));
      assert.equal(await p.call('DEBUG', 'REPLICATE', 'fake-command-2'), '+OK\r\n');
      await closed;
      assert.match(
        pair.replica.server.fatalReason ?? '',
        /This replica panicked sending an error to its master after processing the command '<unknown>'/,
      );
    } finally {
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/integration/replication.tcl "replicaof right after disconnection", tsdis as replica2
test(
  'REPLICAOF a sibling right after the link dropped: +CONTINUE from the sibling, no full sync',
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    const sib = await startRedis(['--replicaof', '127.0.0.1', String(pair.primary.port)]);
    const sc = await RawConn.connect(sib.port);
    const sleeper = await RawConn.connect(pair.replica.port);
    const other = await RawConn.connect(pair.replica.port);
    try {
      await linkUp(sc);
      await writeKeys(pair.primary.port, 'k', 100);
      await caughtUp(p, r);
      await caughtUp(p, sc);
      sleeper.write('*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$1\r\n1\r\n');
      await new Promise((res) => setTimeout(res, 100));
      // when tsdis wakes it finds its link gone and a REPLICAOF in the same turn
      assert.match(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), /^:2\r\n$/);
      other.write(`*3\r\n$9\r\nREPLICAOF\r\n$9\r\n127.0.0.1\r\n$${String(sib.port).length}\r\n${sib.port}\r\n`);
      assert.equal(await sleeper.read(5000), '+OK\r\n');
      assert.equal(await other.read(5000), '+OK\r\n');
      await linkUp(r);
      await until('the new primary', async () => (await field(r, 'master_port')) === String(sib.port), {
        timeout: 20_000,
      });
      assert.equal((await info(p, 'stats')).get('sync_full'), '2');
      assert.equal((await info(sc, 'stats')).get('sync_full'), '0');
      assert.equal((await info(sc, 'stats')).get('sync_partial_ok'), '1');
      await writeKeys(pair.primary.port, 'after', 100);
      await caughtUp(p, sc);
      await caughtUp(sc, r);
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      sleeper.close();
      other.close();
      sc.close();
      await sib.stop();
      await pair.stop();
    }
  },
);

// Redis 7.2.4's tests/unit/pause.tcl "Test when replica paused, offset would not grow" and "... would grow after unpause"
test(
  "CLIENT PAUSE WRITE on a replica holds the primary's writes: the read offset grows, the processed one not until UNPAUSE",
  { skip, timeout: 60000 },
  async () => {
    const pair = await startPair(['--repl-ping-replica-period', '3600']);
    const { p, r } = pair;
    try {
      assert.equal(await p.call('SET', 'foo', 'bar'), '+OK\r\n');
      const old = await caughtUp(p, r);
      assert.equal(await r.call('CLIENT', 'PAUSE', '100000', 'WRITE'), '+OK\r\n');
      assert.equal(await p.call('SET', 'foo2', 'bar2'), '+OK\r\n');
      const po = await field(p, 'master_repl_offset');
      await until('the write to be read', async () => (await field(r, 'slave_read_repl_offset')) === po, {
        timeout: 20_000,
      });
      assert.equal(await field(r, 'slave_repl_offset'), String(old));
      assert.equal(await r.call('GET', 'foo2'), '$-1\r\n');
      assert.equal(await r.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('GET', 'foo2'), '$4\r\nbar2\r\n');
    } finally {
      await pair.stop();
    }
  },
);

test(
  'bind-source-addr: the replica connects to its primary from that address (the primary lists it)',
  { skip },
  async () => {
    // (Redis's protected mode admits only 127.0.0.1 and ::1)
    const pair = await startPair(['--protected-mode', 'no'], { 'bind-source-addr': '127.0.0.2' });
    try {
      await linkUp(pair.r);
      const slave0 = (await info(pair.p)).get('slave0') ?? '';
      assert.match(slave0, /^ip=127\.0\.0\.2,/);
    } finally {
      await pair.stop();
    }
  },
);

test(
  'a full sync that fails before its payload is loaded keeps the cached primary: back to the old primary, a partial resync (Redis 7.2)',
  { skip },
  async () => {
    const pair = await startPair();
    const { p, r } = pair;
    // a second primary whose RDB takes long enough to be killed mid-transfer
    const p2 = await startRedis(['--repl-diskless-sync', 'no', '--rdb-key-save-delay', '100000']);
    const c2 = await RawConn.connect(p2.port);
    try {
      assert.equal(await p.call('SET', 'a', 'b'), '+OK\r\n');
      await caughtUp(p, r);
      for (let i = 0; i < 100; i++) await c2.call('SET', `k${i}`, 'v');
      const before = await info(p, 'stats');
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(p2.port)), '+OK\r\n');
      await until(
        'the second primary to start the full sync',
        async () => (await field(c2, 'slave0'))?.includes('state=wait_bgsave') === true,
      );
      c2.close();
      p2.proc.kill('SIGKILL');
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(pair.primary.port)), '+OK\r\n');
      await caughtUp(p, r);
      const after = await info(p, 'stats');
      assert.equal(after.get('sync_full'), before.get('sync_full'));
      assert.equal(Number(after.get('sync_partial_ok')), Number(before.get('sync_partial_ok')) + 1);
      assert.equal(await r.call('GET', 'a'), '$1\r\nb\r\n');
    } finally {
      c2.close();
      await p2.stop();
      await pair.stop();
    }
  },
);

/**
 * MIGRATE and RESTORE-ASKING, differential: each scenario runs with tsdis as
 * the source and with redis-server as the source, migrating to the same
 * kind of target, and the replies, the source keys afterwards (exists,
 * DEBUG DIGEST-VALUE, TTL) and the target keys must be the same. Targets:
 * redis-server (plain, with requirepass, with an ACL user for AUTH2), tsdis
 * in another process (plain, with requirepass), a port nobody listens on, a
 * server that accepts and never answers, and the source itself. Also
 * redis-server → tsdis for every type, keyspace events, the AOF (MIGRATE is
 * propagated as DEL of the keys that moved), the cached connection (INFO
 * migrate_cached_sockets, the retry when the target closed it, the release
 * after 10 s), and atomicity (no other client's command runs while a
 * MIGRATE waits for its target).
 *
 * The in-process tsdis blocks its thread (this test's) while it migrates:
 * its targets are other processes (or, for the never-answering server, a
 * socket the kernel accepts for it).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { RawConn, freePort, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import { startChild, type Child } from '../helpers/child.js';
import { maskedIncr } from '../helpers/aof.js';

const d = await Differ.start();
const skip = false;
// (most tests here migrate to or from a redis-server process: they need it running)
const live = d.skipUnlessLive;

const H = '127.0.0.1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-migrate-'));
let redisT: RedisProcess | null = null;
let redisPass: RedisProcess | null = null;
let tsdisT: Child | null = null;
let tsdisPass: Child | null = null;
let silent: net.Server | null = null;
const silentSockets: net.Socket[] = [];
let silentPort = 0;
let deadPort = 0;
if (d.live) {
  redisT = await startRedis(['--enable-debug-command', 'yes']);
  redisPass = await startRedis(['--enable-debug-command', 'yes', '--requirepass', 'foobar']);
}
{
  tsdisT = await startChild(['--enable-debug-command', 'yes', '--save', ''], tmp);
  tsdisPass = await startChild(['--enable-debug-command', 'yes', '--save', '', '--requirepass', 'foobar'], tmp);
  silent = net.createServer((s) => {
    silentSockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent!.listen(0, H, () => r()));
  silentPort = (silent.address() as net.AddressInfo).port;
  deadPort = await freePort();
}
after(async () => {
  for (const s of silentSockets) s.destroy();
  silent?.close();
  await Promise.all([d?.stop(), redisT?.stop(), redisPass?.stop(), tsdisT?.kill(), tsdisPass?.kill()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A target: its port and the password its default user needs (if any). */
interface Target {
  name: string;
  port: number;
  pass?: string;
}
const targets = () => ({
  redis: { name: 'redis-server', port: redisT?.port ?? -1 } as Target,
  redisPass: { name: 'redis-server requirepass', port: redisPass?.port ?? -1, pass: 'foobar' } as Target,
  tsdis: { name: 'tsdis', port: tsdisT!.port } as Target,
  tsdisPass: { name: 'tsdis requirepass', port: tsdisPass!.port, pass: 'foobar' } as Target,
});

/** A connection to a target, authenticated when it needs a password. */
async function connectTarget(t: Target): Promise<RawConn> {
  const c = await RawConn.connect(t.port);
  if (t.pass !== undefined) assert.equal(await c.call('AUTH', t.pass), '+OK\r\n');
  return c;
}

/** Keys of every type (and TTLs), as commands; explicit stream ids so both sources hold the same. */
function everyType(): Cmd[] {
  const big: Cmd = ['RPUSH', 'l:big'];
  for (let i = 0; i < 2000; i++) big.push(`item ${i}`);
  const hbig: Cmd = ['HSET', 'h:big'];
  for (let i = 0; i < 300; i++) hbig.push(`f${i}`, `v${i}`);
  const sbig: Cmd = ['SADD', 'set:big'];
  for (let i = 0; i < 600; i++) sbig.push(`m${i}`);
  const zbig: Cmd = ['ZADD', 'z:big'];
  for (let i = 0; i < 300; i++) zbig.push(String(i / 3), `m${i}`);
  const dense: Cmd = ['PFADD', 'hll:dense'];
  for (let i = 0; i < 3000; i++) dense.push(`e${i}`);
  return [
    ['SET', 's:int', '12345'],
    ['SET', 's:emb', 'hello'],
    ['SET', 's:raw', 'x'.repeat(100)],
    ['SET', 's:big', 'y'.repeat(100_000)],
    ['SET', 's:bin', Buffer.from([0, 1, 2, 255, 13, 10])],
    ['RPUSH', 'l:small', 'a', 'b', 'c'],
    big,
    ['HSET', 'h:small', 'f', 'v', 'g', 'w'],
    hbig,
    ['SADD', 'set:int', '1', '2', '3'],
    ['SADD', 'set:lp', 'a', 'b', 'c'],
    sbig,
    ['ZADD', 'z:small', '1', 'a', '2.5', 'b'],
    zbig,
    ['XADD', 'x', '1-1', 'f', 'v'],
    ['XADD', 'x', '2-1', 'f', 'w'],
    ['XADD', 'x', '3-1', 'g', 'z'],
    ['XGROUP', 'CREATE', 'x', 'g1', '0'],
    ['XGROUP', 'CREATE', 'x', 'g2', '$'],
    ['XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '2', 'STREAMS', 'x', '>'],
    ['XACK', 'x', 'g1', '1-1'],
    ['XGROUP', 'CREATECONSUMER', 'x', 'g2', 'c2'],
    ['XDEL', 'x', '3-1'],
    ['PFADD', 'hll:sparse', 'a', 'b', 'c'],
    dense,
    ['SET', 'ttl:s', 'v', 'PX', '100000'],
    ['HSET', 'ttl:h', 'f', 'v'],
    ['PEXPIRE', 'ttl:h', '50000'],
  ];
}
const EVERY_KEY = [
  's:int',
  's:emb',
  's:raw',
  's:big',
  's:bin',
  'l:small',
  'l:big',
  'h:small',
  'h:big',
  'set:int',
  'set:lp',
  'set:big',
  'z:small',
  'z:big',
  'x',
  'hll:sparse',
  'hll:dense',
  'ttl:s',
  'ttl:h',
];

/** What a key looks like: exists, its digest, its TTL in 10 s buckets (or -1/-2). */
async function keyState(c: RawConn, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    const pttl = Number((await c.call('PTTL', k)).slice(1, -2));
    out.push(
      `${k}: ${await c.call('EXISTS', k)} ${await c.call('DEBUG', 'DIGEST-VALUE', k)} ttl ${pttl > 0 ? Math.round(pttl / 10000) : pttl}`,
    );
  }
  return out;
}

interface Outcome {
  replies: string[];
  source: string[];
  target: string[];
}

/**
 * Runs `steps` on a source after resetting it and the target (FLUSHALL,
 * then the setups), and reports the replies and both sides' keys (target
 * databases 0 and 9). `steps` gets the target's port.
 */
async function scenario(
  sourcePort: number,
  t: Target,
  setupSource: Cmd[],
  setupTarget: Cmd[],
  steps: (port: number) => Cmd[],
  keys: string[],
): Promise<Outcome> {
  const src = await RawConn.connect(sourcePort);
  const tgt = await connectTarget(t);
  try {
    await src.call('FLUSHALL');
    await tgt.call('FLUSHALL');
    for (const c of setupSource) await src.call(...c);
    for (const c of setupTarget) await tgt.call(...c);
    const replies: string[] = [];
    for (const c of steps(t.port)) replies.push(await src.call(...c));
    const target: string[] = [];
    for (const db of ['0', '9']) {
      await tgt.call('SELECT', db);
      target.push(`db ${db} size ${await tgt.call('DBSIZE')}`, ...(await keyState(tgt, keys)));
    }
    return { replies, source: await keyState(src, keys), target };
  } finally {
    src.close();
    tgt.close();
  }
}

/** The scenario with tsdis and with redis-server as the source, to targets of the same kind; asserts the same outcome. */
async function same(
  ts: Target,
  rs: Target,
  setupSource: Cmd[],
  setupTarget: Cmd[],
  steps: (port: number) => Cmd[],
  keys: string[],
  label: string,
): Promise<Outcome> {
  const a = await scenario(d!.tsdis.port, ts, setupSource, setupTarget, steps, keys);
  // (redis-server's outcome is recorded in the golden file, and replayed without it)
  const b = await d.tape.value('V', () => scenario(d.redis!.port, rs, setupSource, setupTarget, steps, keys));
  assert.deepEqual(a, b, `${label}: tsdis → ${ts.name} vs redis-server → ${rs.name}`);
  return a;
}

test('MIGRATE argument errors (before any connection) match redis-server', { skip }, async () => {
  const p = '1'; // (never connected to; a fixed port keeps the golden record the same)
  await d!.same([
    ['SET', 'k', 'v'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'AUTH'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'AUTH2', 'u'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'auth2'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'NOSUCH'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'COPY', 'REPLACE', 'x'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'KEYS', 'a', 'b'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'COPY', 'KEYS'],
    ['MIGRATE', H, p, 'k', '0', 'x'],
    ['MIGRATE', H, p, 'k', 'x', 'y'],
    ['MIGRATE', H, p, 'k', 'x', '1000'],
    ['MIGRATE', H, p, 'k', '0', '01'],
    ['MIGRATE', H, p, 'k', '0', '99999999999999999999'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'KEYS', 'a', 'AUTH'],
    ['MIGRATE', H, p, '', '0', '1000', 'KEYS'],
    ['MIGRATE', H, p, '', '0', '1000', 'KEYS', 'nokey1', 'nokey2'],
    ['MIGRATE', H, p, '', '0', '1000', 'AUTH', 'pw', 'KEYS', 'nokey'],
    ['MIGRATE', H, p, 'nokey', '0', '1000'],
    ['MIGRATE', H, p, 'nokey', '0', 'x'],
    ['MIGRATE', H, p, 'k', '0'],
    ['MIGRATE', H, p, 'k', '0', '1000', 'AUTH', 'p', 'NOSUCH'],
  ]);
});

test(
  'MIGRATE every type (with TTLs) tsdis → redis-server, as redis-server → redis-server',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    const out = await same(
      t.redis,
      t.redis,
      everyType(),
      [],
      (port) => [['MIGRATE', H, String(port), '', '0', '5000', 'KEYS', ...EVERY_KEY]],
      EVERY_KEY,
      'every type',
    );
    assert.deepEqual(out.replies, ['+OK\r\n']);
    assert.match(out.target[0]!, /size :19/);
    assert.ok(
      out.source.every((k) => k.includes(': :0\r\n')),
      'the source keys are gone',
    );
    // TTLs arrive as the time left
    assert.ok(out.target.some((k) => k.startsWith('ttl:s: :1\r\n') && k.endsWith('ttl 10')));
    assert.ok(out.target.some((k) => k.startsWith('ttl:h: :1\r\n') && k.endsWith('ttl 5')));
  },
);

test(
  'MIGRATE between two tsdis, as between two redis-servers: every type, one key at a time and COPY',
  { skip },
  async () => {
    const t = targets();
    const steps = (port: number): Cmd[] => [
      ...EVERY_KEY.slice(0, 10).map((k): Cmd => ['MIGRATE', H, String(port), k, '0', '5000']),
      ...EVERY_KEY.slice(10).map((k): Cmd => ['MIGRATE', H, String(port), k, '9', '5000', 'COPY']),
      ['MIGRATE', H, String(port), 'nosuch', '0', '5000'],
    ];
    const out = await same(t.tsdis, t.redis, everyType(), [], steps, EVERY_KEY, 'tsdis → tsdis');
    assert.equal(out.replies.filter((r) => r === '+OK\r\n').length, EVERY_KEY.length);
  },
);

test('redis-server → tsdis: every type lands as it lands on redis-server', { skip: live }, async () => {
  d.unrecorded();
  const t = targets();
  const steps = (port: number): Cmd[] => [['MIGRATE', H, String(port), '', '9', '5000', 'COPY', 'KEYS', ...EVERY_KEY]];
  // the same source (redis-server), two kinds of target
  const a = await scenario(d.redis!.port, t.tsdis, everyType(), [], steps, EVERY_KEY);
  const b = await scenario(d.redis!.port, t.redis, everyType(), [], steps, EVERY_KEY);
  assert.deepEqual(a, b);
  assert.deepEqual(a.replies, ['+OK\r\n']);
  // and to the in-process tsdis (this thread is free while redis-server migrates)
  const src = await RawConn.connect(d.redis!.port);
  const local = await RawConn.connect(d!.tsdis.port);
  try {
    assert.equal(
      await src.call('MIGRATE', H, String(d!.tsdis.port), '', '3', '5000', 'COPY', 'KEYS', ...EVERY_KEY),
      '+OK\r\n',
    );
    await local.call('SELECT', '3');
    const db9 = b.target.indexOf('db 9 size :19\r\n');
    assert.ok(db9 >= 0);
    assert.deepEqual(await keyState(local, EVERY_KEY), b.target.slice(db9 + 1));
  } finally {
    src.close();
    local.close();
  }
});

test(
  'MIGRATE REPLACE, BUSYKEY, KEYS with missing keys, partial acknowledgement, wrong db: as redis-server',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    const keys = ['a', 'b', 'c', 'd', 'e', 'list'];
    const setup: Cmd[] = [
      ['MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5'],
      ['RPUSH', 'list', 'x', 'y'],
    ];
    const steps = (port: number): Cmd[] => {
      const p = String(port);
      return [
        ['MIGRATE', H, p, 'list', '0', '5000'],
        ['MIGRATE', H, p, 'list', '0', '5000'],
        ['RPUSH', 'list', 'z'],
        ['MIGRATE', H, p, 'list', '0', '5000', 'COPY'],
        ['MIGRATE', H, p, 'list', '0', '5000', 'COPY', 'REPLACE'],
        ['MIGRATE', H, p, '', '0', '5000', 'KEYS', 'nokey-1', 'a', 'nokey-2', 'b'],
        ['MIGRATE', H, p, '', '0', '5000', 'KEYS', 'nokey-1', 'nokey-2'],
        // c and d are busy on the target: the others move, c and d stay
        ['MIGRATE', H, p, '', '0', '5000', 'KEYS', 'c', 'd', 'e'],
        ['MIGRATE', H, p, 'c', '99', '5000'],
        ['MIGRATE', H, p, 'c', '-1', '5000'],
        ['MIGRATE', H, p, 'c', '0', '5000', 'REPLACE'],
      ];
    };
    const targetSetup: Cmd[] = [['MSET', 'c', '_', 'd', '_']];
    for (const [ts, rs] of [
      [t.redis, t.redis],
      [t.tsdis, t.redis],
    ] as const) {
      const out = await same(ts, rs, setup, targetSetup, steps, keys, 'refusals');
      assert.match(out.replies[7]!, /^-ERR Target instance replied with error: BUSYKEY/);
      assert.match(out.replies[8]!, /^-ERR Target instance replied with error: ERR DB index is out of range/);
    }
  },
);

test(
  'MIGRATE AUTH and AUTH2: requirepass targets (tsdis and redis-server), an ACL user on redis-server',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    const keys = ['list', 'k'];
    const setup: Cmd[] = [
      ['RPUSH', 'list', 'a', 'b', 'c', 'd'],
      ['SET', 'k', 'v'],
    ];
    const steps = (port: number): Cmd[] => {
      const p = String(port);
      return [
        ['MIGRATE', H, p, 'list', '0', '5000'],
        ['MIGRATE', H, p, 'list', '0', '5000', 'AUTH', 'wrong'],
        ['MIGRATE', H, p, 'list', '0', '5000', 'AUTH', 'foobar'],
        // the cached connection is authenticated now
        ['MIGRATE', H, p, 'k', '0', '5000', 'COPY'],
        ['MIGRATE', H, p, 'k', '0', '5000', 'REPLACE', 'AUTH', 'wrong'],
        ['MIGRATE', H, p, 'k', '0', '5000', 'REPLACE', 'AUTH2', 'default', 'foobar'],
      ];
    };
    for (const [ts, rs] of [
      [t.redisPass, t.redisPass],
      [t.tsdisPass, t.redisPass],
    ] as const) {
      const out = await same(
        ts,
        rs,
        setup,
        [['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']],
        steps,
        keys,
        'AUTH',
      );
      assert.match(out.replies[0]!, /^-ERR Target instance replied with error: NOAUTH/);
      assert.match(out.replies[1]!, /^-ERR Target instance replied with error: WRONGPASS/);
      assert.equal(out.replies[2], '+OK\r\n');
    }
    // AUTH2 with an ACL user (only redis-server has ACL users): tsdis as source, as redis-server as source
    const tc = await RawConn.connect(redisT!.port);
    assert.equal(await tc.call('ACL', 'SETUSER', 'mig', 'on', '>pw', '~*', '&*', '+@all'), '+OK\r\n');
    assert.equal(await tc.call('ACL', 'SETUSER', 'weak', 'on', '>pw', '~*', '+@all', '-restore'), '+OK\r\n');
    const acl = (port: number): Cmd[] => {
      const p = String(port);
      return [
        // the target's default user needs no password: the RESTORE is done, but the AUTH error is the reply (k stays here)
        ['MIGRATE', H, p, 'k', '0', '5000', 'AUTH2', 'mig', 'wrong'],
        ['MIGRATE', H, p, 'k', '0', '5000', 'AUTH2', 'mig', 'pw', 'REPLACE'],
        ['MIGRATE', H, p, 'list', '0', '5000', 'AUTH2', 'weak', 'pw'],
      ];
    };
    try {
      const out = await same(
        t.redis,
        t.redis,
        setup,
        [['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']],
        acl,
        keys,
        'AUTH2',
      );
      assert.match(out.replies[0]!, /^-ERR Target instance replied with error: WRONGPASS/);
      assert.equal(out.replies[1], '+OK\r\n');
      assert.match(out.replies[2]!, /^-ERR Target instance replied with error: NOPERM/);
    } finally {
      // (tc was killed with the other connections by the target setup)
      const c = await RawConn.connect(redisT!.port);
      await c.call('ACL', 'DELUSER', 'mig', 'weak');
      await c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      c.close();
      tc.close();
    }
  },
);

test(
  'MIGRATE to a dead port, to a server that never answers and to itself: the IOERR texts of redis-server',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    // Redis's non-blocking connect "succeeds" on a refused port: its first write fails ("writing", after one retry);
    // only what getaddrinfo refuses (an empty host, port -1) fails "connecting"; a port is atoi's, in 16 bits
    const steps = (self: number) => (): Cmd[] => [
      ['MIGRATE', H, String(deadPort), 'k', '0', '1000'],
      ['MIGRATE', H, String(silentPort), 'k', '0', '200'],
      ['MIGRATE', H, String(silentPort), 'k', '0', '200', 'COPY'],
      ['MIGRATE', H, String(self), 'k', '0', '100'],
      ['MIGRATE', H, '0', 'k', '0', '100'],
      ['MIGRATE', H, 'x', 'k', '0', '100'],
      ['MIGRATE', H, String(deadPort + 65536), 'k', '0', '100'],
      ['MIGRATE', H, '-1', 'k', '0', '100'],
      ['MIGRATE', '', String(deadPort), 'k', '0', '100'],
    ];
    const setup: Cmd[] = [['SET', 'k', 'v']];
    const reset = await RawConn.connect(d!.tsdis.port);
    await reset.call('CONFIG', 'RESETSTAT');
    reset.close();
    const start = Date.now();
    const a = await scenario(d!.tsdis.port, t.redis, setup, [], steps(d!.tsdis.port), ['k']);
    const took = Date.now() - start;
    const b = await scenario(d.redis!.port, t.redis, setup, [], steps(d.redis!.port), ['k']);
    assert.deepEqual(a, b);
    const io = (what: string) => `-IOERR error or timeout ${what}\r\n`;
    assert.deepEqual(a.replies, [
      io('writing to target instance'),
      io('reading to target instance'),
      io('reading to target instance'),
      io('reading to target instance'),
      io('writing to target instance'),
      io('writing to target instance'),
      io('writing to target instance'),
      io('connecting to the client'),
      io('connecting to the client'),
    ]);
    // the timeouts were waited for (200 + 200 + 100 ms), not much longer
    assert.ok(took >= 500 && took < 5000, `took ${took} ms`);
    const c = await RawConn.connect(d!.tsdis.port);
    assert.match(await c.call('INFO', 'errorstats'), /errorstat_IOERR:count=9/);
    c.close();
  },
);

test(
  'MIGRATE keeps the connection (migrate_cached_sockets), retries once when the target closed it, and releases it after 10 s',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    // fresh sources: no connection cached yet
    const a = await startTsdis();
    const b = await startRedis();
    try {
      for (const port of [a.port, b.port]) {
        const src = await RawConn.connect(port);
        const tgt = await RawConn.connect(t.redis.port);
        await tgt.call('FLUSHALL');
        await tgt.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        assert.match(await src.call('INFO', 'stats'), /migrate_cached_sockets:0/);
        await src.call('SET', 'k', 'v');
        assert.equal(await src.call('MIGRATE', H, String(t.redis.port), 'k', '0', '1000', 'COPY'), '+OK\r\n');
        assert.match(await src.call('INFO', 'stats'), /migrate_cached_sockets:1/);
        assert.equal(
          await src.call('MIGRATE', H, String(t.redis.port), 'k', '0', '1000', 'COPY', 'REPLACE'),
          '+OK\r\n',
        );
        const clients = (await tgt.call('CLIENT', 'LIST')).split('\n').filter((l) => l.includes('cmd=restore'));
        assert.equal(clients.length, 1, 'one connection for both MIGRATEs');
        // the target drops it: the next MIGRATE reconnects (once) and succeeds
        await tgt.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(await src.call('MIGRATE', H, String(t.redis.port), 'k', '0', '1000', 'REPLACE'), '+OK\r\n');
        assert.equal(await src.call('EXISTS', 'k'), ':0\r\n');
        assert.equal(await tgt.call('GET', 'k'), '$1\r\nv\r\n');
        assert.match(await src.call('INFO', 'stats'), /migrate_cached_sockets:1/);
        src.close();
        tgt.close();
      }
      // released after more than 10 s unused (both servers)
      await new Promise((r) => setTimeout(r, 11_000));
      for (const port of [a.port, b.port]) {
        const src = await RawConn.connect(port);
        let info = '';
        for (let i = 0; i < 30; i++) {
          info = await src.call('INFO', 'stats');
          if (/migrate_cached_sockets:0/.test(info)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(info, /migrate_cached_sockets:0/, `port ${port}`);
        src.close();
      }
    } finally {
      await a.close();
      await b.stop();
    }
  },
);

test('MIGRATE keyspace events: del for each key that moved, as redis-server', { skip: live }, async () => {
  d.unrecorded();
  const t = targets();
  const logs: string[] = [];
  for (const port of [d!.tsdis.port, d.redis!.port]) {
    const src = await RawConn.connect(port);
    const sub = await RawConn.connect(port);
    const tgt = await RawConn.connect(t.redis.port);
    await src.call('FLUSHALL');
    await tgt.call('FLUSHALL');
    await tgt.call('SET', 'busy', 'x');
    await src.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await src.call('MSET', 'a', '1', 'b', '2', 'busy', '3');
    await sub.call('PSUBSCRIBE', '__key*__:*');
    const replies = [
      await src.call('MIGRATE', H, String(t.redis.port), '', '0', '5000', 'KEYS', 'a', 'busy', 'b', 'none'),
      await src.call('MIGRATE', H, String(t.redis.port), 'busy', '0', '5000', 'COPY', 'REPLACE'),
    ];
    await src.call('PING');
    await new Promise((r) => setTimeout(r, 50));
    logs.push([...replies, sub.pending()].join('|'));
    await src.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    src.close();
    sub.close();
    tgt.close();
  }
  assert.equal(logs[0], logs[1]);
  assert.match(logs[0]!, /__keyevent@0__:del\r\n\$1\r\na\r\n.*__keyevent@0__:del\r\n\$1\r\nb\r\n/s);
});

test(
  'MIGRATE is propagated as DEL of the keys that moved (AOF), as redis-server writes it',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    const dirA = fs.mkdtempSync(path.join(tmp, 'aof-a-'));
    const dirB = fs.mkdtempSync(path.join(tmp, 'aof-b-'));
    const a = await startTsdis({ config: { appendonly: 'yes', appendfsync: 'always', dir: dirA } });
    const b = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dirB]);
    try {
      for (const port of [a.port, b.port]) {
        const src = await RawConn.connect(port);
        const tgt = await RawConn.connect(t.redis.port);
        await tgt.call('FLUSHALL');
        await tgt.call('SET', 'busy', 'x');
        await src.call('MSET', 'a', '1', 'b', '2', 'busy', '3', 'c', '4');
        await src.call('MIGRATE', H, String(t.redis.port), '', '0', '5000', 'KEYS', 'a', 'busy', 'b');
        await src.call('MIGRATE', H, String(t.redis.port), 'c', '0', '5000', 'COPY');
        await src.call('MIGRATE', H, String(t.redis.port), 'c', '0', '5000', 'REPLACE');
        await src.call('MIGRATE', H, String(t.redis.port), 'nokey', '0', '5000');
        await src.call('SET', 'end', '1');
        src.close();
        tgt.close();
      }
      const fa = maskedIncr(dirA);
      assert.equal(fa, maskedIncr(dirB));
      assert.match(fa, /\*3\r\n\$3\r\nDEL\r\n\$1\r\na\r\n\$1\r\nb\r\n\*2\r\n\$3\r\nDEL\r\n\$1\r\nc\r\n/);
    } finally {
      await a.close();
      await b.stop();
    }
  },
);

test(
  'nothing runs on the source while MIGRATE waits for its target (atomicity), as redis-server',
  { skip: live },
  async () => {
    d.unrecorded();
    const t = targets();
    const child = await startChild(['--save', ''], tmp);
    const logs: string[][] = [];
    try {
      for (const port of [child.port, d.redis!.port]) {
        const src = await RawConn.connect(port);
        const other = await RawConn.connect(port);
        const tgt = await RawConn.connect(t.redis.port);
        const sleeper = await RawConn.connect(t.redis.port);
        await src.call('FLUSHALL');
        await tgt.call('FLUSHALL');
        await src.call('SET', 'k', 'before');
        // the target is busy for 400 ms: MIGRATE waits that long for its reply
        sleeper.write('*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.4\r\n');
        await new Promise((r) => setTimeout(r, 30));
        const t0 = Date.now();
        src.write(
          '*6\r\n$7\r\nMIGRATE\r\n$9\r\n127.0.0.1\r\n$' +
            String(t.redis.port).length +
            '\r\n' +
            t.redis.port +
            '\r\n$1\r\nk\r\n$1\r\n0\r\n$4\r\n5000\r\n',
        );
        await new Promise((r) => setTimeout(r, 100));
        // sent while MIGRATE is in progress: must run after it
        other.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nduring\r\n*1\r\n$4\r\nPING\r\n');
        const sentAt = Date.now() - t0;
        const order: string[] = [];
        const m = src
          .read(3000)
          .then((r) => order.push(`migrate ${r.trim()} (replied after the SET was sent: ${Date.now() - t0 > sentAt})`));
        const o = other.read(3000).then((r) => order.push(`set ${r.trim()}`));
        await Promise.all([m, o]);
        await other.read(3000);
        await sleeper.read(3000);
        logs.push([...order, `source ${await src.call('GET', 'k')}`, `target ${await tgt.call('GET', 'k')}`]);
        for (const c of [src, other, tgt, sleeper]) c.close();
      }
    } finally {
      await child.kill();
    }
    assert.deepEqual(logs[0], logs[1]);
    assert.deepEqual(logs[0], [
      'migrate +OK (replied after the SET was sent: true)',
      'set +OK',
      'source $6\r\nduring\r\n',
      'target $6\r\nbefore\r\n',
    ]);
  },
);

test('RESTORE-ASKING restores as RESTORE does on a standalone server', { skip: live }, async () => {
  d.unrecorded();
  const src = await RawConn.connect(d.redis!.port);
  await src.call('RPUSH', 'l', 'a', 'b');
  const raw = await src.call('DUMP', 'l');
  const head = raw.indexOf('\r\n');
  const payload = raw.slice(head + 2, head + 2 + Number(raw.slice(1, head)));
  src.close();
  await d!.same([
    ['DEL', 'l2'],
    ['RESTORE-ASKING', 'l2', '0', Buffer.from(payload, 'latin1')],
    ['LRANGE', 'l2', '0', '-1'],
    ['RESTORE-ASKING', 'l2', '0', Buffer.from(payload, 'latin1')],
    ['RESTORE-ASKING', 'l2', '0', Buffer.from(payload, 'latin1'), 'REPLACE', 'ABSTTL'],
    ['RESTORE-ASKING', 'l2', '0', 'garbage'],
    ['RESTORE-ASKING', 'l2'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'RESTORE-ASKING', 'l2', '0', 'x'],
    ['COMMAND', 'GETKEYS', 'MIGRATE', H, '1', '', '0', '1', 'COPY', 'AUTH2', 'u', 'p', 'KEYS', 'a', 'b'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'MIGRATE', H, '1', 'k', '0', '1'],
  ]);
});

test(
  'MIGRATE credentials are redacted in SLOWLOG and MONITOR as far as Redis has parsed them',
  { skip: live },
  async () => {
    d.unrecorded();
    const p = String(deadPort);
    const cmds: Cmd[] = [
      ['MIGRATE', H, p, 'k', '0', '100', 'AUTH', 'secret1'],
      ['MIGRATE', H, p, 'k', '0', '100', 'COPY', 'AUTH2', 'user2', 'secret2', 'REPLACE'],
      ['MIGRATE', H, p, 'k', '0', '100', 'AUTH2', 'user3'],
      ['MIGRATE', H, p, 'k', '0', '100', 'NOSUCH', 'AUTH', 'secret4'],
      ['MIGRATE', H, p, 'k', '0', '100', 'AUTH', 'secret5', 'KEYS', 'a'],
      ['MIGRATE', H, p, '', '0', '100', 'KEYS', 'AUTH', 'notsecret6'],
      ['MIGRATE', H, p, 'k', 'x', '100', 'AUTH', 'secret7'],
    ];
    const mon = [await RawConn.connect(d!.tsdis.port), await RawConn.connect(d.redis!.port)];
    for (const m of mon) assert.equal(await m.call('MONITOR'), '+OK\r\n');
    await d!.same([
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
      ['SLOWLOG', 'RESET'],
      ['SET', 'k', 'v'],
      ...cmds,
    ]);
    const [ra, rb] = await d!.both(['SLOWLOG', 'GET', String(cmds.length)]);
    await d!.same([
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
      ['SLOWLOG', 'RESET'],
    ]);
    const argvs = (raw: string) => (decode(raw) as unknown[][]).map((e) => (e[3] as unknown[]).map(String).join(' '));
    assert.deepEqual(argvs(ra), argvs(rb));
    // what MONITOR showed (the timestamp and client address cut off)
    const fed: string[][] = [];
    for (const m of mon) {
      await new Promise((r) => setTimeout(r, 50));
      fed.push(
        m
          .pending()
          .split('\r\n')
          .filter((l) => l.includes('"MIGRATE"'))
          .map((l) => l.slice(l.indexOf('"MIGRATE"'))),
      );
      m.close();
    }
    assert.deepEqual(fed[0], fed[1]);
    assert.equal(fed[0]!.length, cmds.length);
    assert.deepEqual(
      argvs(ra)
        .filter((a) => /\bsecret\d/.test(a))
        .map((a) => a.match(/\bsecret\d/)![0]),
      ['secret4'],
    );
  },
);

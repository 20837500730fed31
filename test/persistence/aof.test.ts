/**
 * The append-only file:
 * - what is written: the same command sequence sent to tsdis and to a real
 *   redis-server (both `appendonly yes`, no RDB preamble) gives the same
 *   incremental AOF bytes (absolute times masked): SELECTs, SET EX as PXAT,
 *   EXPIRE as PEXPIREAT, INCRBYFLOAT as SET KEEPTTL, blocking pops as plain
 *   pops (served at once and after blocking), MULTI/EXEC, FLUSHDB;
 * - interop: tsdis's AOF directory (RDB base) loads in redis-server and
 *   redis-server's (RDB base) in tsdis, with the same contents;
 * - torn files: the AOF cut at random offsets loads what was complete when
 *   aof-load-truncated is yes and refuses to start otherwise; a corrupt
 *   file refuses with its name; CONFIG SET appendonly yes writes a base of
 *   the current data; BGREWRITEAOF compacts without losing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createServer, hasRedis, startRedis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { readCommands } from '../../src/persistence/aof.js';
import { as72, incrFile, maskedIncr, rewriteDone } from '../helpers/aof.js';
import { waitBlocked } from '../helpers/diff.js';
import { sleep, until } from '../helpers/wait.js';

const skipNoRedis = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-aof-'));

/** Every key of every db with its type, value and whether it has a TTL, as one comparable text. */
async function snapshot(c: RawConn): Promise<string> {
  const out: string[] = [];
  for (let db = 0; db < 16; db++) {
    await c.call('SELECT', String(db));
    const keys = (await c.call('KEYS', '*'))
      .split('\r\n')
      .filter((l, i) => i > 0 && i % 2 === 0)
      .sort();
    for (const k of keys) {
      const type = (await c.call('TYPE', k)).trim();
      let v: string;
      if (type === '+string') v = await c.call('GET', k);
      else if (type === '+list') v = await c.call('LRANGE', k, '0', '-1');
      else if (type === '+hash') v = (await c.call('HGETALL', k)).split('\r\n').sort().join('|');
      else if (type === '+set') v = (await c.call('SMEMBERS', k)).split('\r\n').sort().join('|');
      else {
        // scores as numbers: redis 7.0 prints 17 digits, 7.2 (and tsdis) the shortest exact form
        const lines = (await c.call('ZRANGE', k, '0', '-1', 'WITHSCORES'))
          .split('\r\n')
          .filter((_, i) => i > 0 && i % 2 === 0);
        v = lines.map((x, i) => (i % 2 === 1 ? String(Number(x)) : x)).join('|');
      }
      const ttl = (await c.call('PTTL', k)).trim();
      out.push(`${db} ${k} ${type} ${JSON.stringify(v)} ttl:${ttl === ':-1' ? 'none' : 'set'}`);
    }
  }
  await c.call('SELECT', '0');
  return out.join('\n');
}

/** Compares two snapshots line by line (so a failure names the key). */
function sameSnapshot(got: string, want: string): void {
  assert.deepEqual(got.split('\n'), want.split('\n'));
}

/** Commands covering every type, TTLs, several dbs and the rewritten forms. */
const WORKLOAD: string[][] = [
  ['SET', 'k', 'v'],
  ['SET', 'ex', 'v', 'EX', '1000'],
  ['SETEX', 'sx', '1000', 'v'],
  ['PSETEX', 'psx', '1000000', 'v'],
  ['SET', 'exat', 'v', 'EXAT', '4102444800'],
  ['EXPIRE', 'k', '5000'],
  ['PEXPIRE', 'k', '6000000', 'GT'],
  ['INCRBYFLOAT', 'f', '1.5'],
  ['INCRBYFLOAT', 'f', '0.25'],
  ['INCR', 'n'],
  ['APPEND', 'k', 'tail'],
  ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
  ['LPOP', 'l'],
  ['BLPOP', 'l', '0'],
  ['LMPOP', '1', 'l', 'RIGHT', 'COUNT', '1'],
  ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'],
  ['HINCRBYFLOAT', 'h', 'x', '2.5'],
  ['SADD', 's', 'a', 'b', 'c'],
  ['SREM', 's', 'a'],
  ['ZADD', 'z', '1', 'a', '2', 'b', '3.5', 'c'],
  ['ZINCRBY', 'z', '1', 'a'],
  ['BZPOPMIN', 'z', '0'],
  ['ZMPOP', '1', 'z', 'MAX'],
  ['SELECT', '3'],
  ['SET', 'db3', 'x'],
  ['MULTI'],
  ['SET', 'in-tx', '1'],
  ['INCR', 'in-tx'],
  ['EXEC'],
  ['SELECT', '5'],
  ['RPUSH', 'q', 'x'],
  ['FLUSHDB'],
  ['SET', 'after-flush', '1'],
  ['SELECT', '0'],
  ['DEL', 'n'],
  ['GETEX', 'k', 'PERSIST'],
  ['SET', 'gone', 'v'],
  ['EXPIRE', 'gone', '-1'],
];

test(
  'the AOF holds the same bytes redis-server writes for the same commands (times masked)',
  { skip: skipNoRedis },
  async () => {
    const dirR = tmp();
    const dirT = tmp();
    // always: with everysec redis-server postpones its write while a slow fsync runs
    const redis = await startRedis([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--aof-use-rdb-preamble',
      'no',
      '--dir',
      dirR,
    ]);
    const tsdis = await startChild(
      ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', '--dir', dirT, '--save', ''],
      dirT,
    );
    try {
      for (const port of [redis.port, tsdis.port]) {
        const c = await RawConn.connect(port);
        const b = await RawConn.connect(port);
        for (const cmd of WORKLOAD) await c.call(...cmd);
        // a blocked pop served later is written as the plain pop
        b.write(Buffer.from('*3\r\n$5\r\nBRPOP\r\n$4\r\nwait\r\n$1\r\n0\r\n'));
        await waitBlocked(port, 1);
        await c.call('RPUSH', 'wait', 'x', 'y');
        await b.read();
        await c.call('PING');
        c.close();
        b.close();
      }
      // (both write before they reply: this wait is only a margin; the assertion shows any difference)
      await until('the two AOFs to match', () => maskedIncr(dirT) === as72(maskedIncr(dirR)), { timeout: 2000 }).catch(
        () => {},
      );
      assert.equal(maskedIncr(dirT), as72(maskedIncr(dirR)));
    } finally {
      await redis.stop();
      await tsdis.kill();
      fs.rmSync(dirR, { recursive: true, force: true });
      fs.rmSync(dirT, { recursive: true, force: true });
    }
  },
);

async function fill(port: number): Promise<void> {
  const c = await RawConn.connect(port);
  for (const cmd of WORKLOAD) await c.call(...cmd);
  for (let i = 0; i < 300; i++) await c.call('RPUSH', 'big', `element-${i}`);
  await c.call('HSET', 'bh', ...Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await c.call('SADD', 'ints', ...Array.from({ length: 50 }, (_, i) => String(i * 7)));
  await c.call('SELECT', '9');
  await c.call('ZADD', 'bz', ...Array.from({ length: 200 }, (_, i) => [String(i / 3), `m${i}`]).flat());
  c.close();
}

test(
  "tsdis's AOF loads in redis-server, and redis-server's in tsdis, with the same contents",
  { skip: skipNoRedis },
  async () => {
    // tsdis writes (with a rewrite in the middle, so base and incr both hold data), redis-server reads
    const dirT = tmp();
    let t = await startChild(['--appendonly', 'yes', '--dir', dirT, '--save', ''], dirT);
    await fill(t.port);
    const ct = await RawConn.connect(t.port);
    assert.equal(await ct.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
    await ct.call('SET', 'after-rewrite', '1');
    const want = await snapshot(ct);
    ct.close();
    await t.kill();
    let r: RedisProcess | null = null;
    try {
      r = await startRedis(['--appendonly', 'yes', '--dir', dirT]);
      const cr = await RawConn.connect(r.port);
      sameSnapshot(await snapshot(cr), want);
      cr.close();
    } finally {
      await r?.stop();
    }
    // redis-server writes (its default: an RDB base), tsdis reads
    const dirR = tmp();
    r = await startRedis(['--appendonly', 'yes', '--dir', dirR]);
    await fill(r.port);
    const cr = await RawConn.connect(r.port);
    assert.equal(await cr.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
    await rewriteDone(cr);
    await cr.call('SET', 'after-rewrite', '1');
    const theirs = await snapshot(cr);
    cr.close();
    await r.stop(); // SIGKILL: what was acknowledged is in the file (written before the reply)
    t = await startChild(['--appendonly', 'yes', '--dir', dirR, '--save', ''], dirR);
    try {
      const c2 = await RawConn.connect(t.port);
      sameSnapshot(await snapshot(c2), theirs);
      c2.close();
    } finally {
      await t.kill();
      fs.rmSync(dirT, { recursive: true, force: true });
      fs.rmSync(dirR, { recursive: true, force: true });
    }
  },
);

// The interop test above read a redis-server that was still loading (every
// command gets -LOADING then, PING included): under load db 0 looked empty.
// An AOF of 200k commands takes redis-server ~100 ms to load: long enough
// that a read at once after a PING reply always lands in the load.
test(
  'startRedis returns once redis-server has loaded its AOF (a read at once sees every key)',
  { skip: skipNoRedis },
  async () => {
    const dir = tmp();
    const N = 200_000;
    fs.mkdirSync(path.join(dir, 'appendonlydir'));
    const parts: string[] = [];
    for (let i = 0; i < N; i++) parts.push(`*3\r\n$3\r\nSET\r\n$${String(i).length + 1}\r\nk${i}\r\n$1\r\nv\r\n`);
    fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.base.aof'), parts.join(''));
    fs.writeFileSync(
      path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'),
      'file appendonly.aof.1.base.aof seq 1 type b\n',
    );
    const r = await startRedis(['--appendonly', 'yes', '--dir', dir]);
    try {
      const c = await RawConn.connect(r.port);
      assert.equal(await c.call('DBSIZE'), `:${N}\r\n`);
      c.close();
    } finally {
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('kill -9 under pipelined writes with appendfsync always: no acknowledged write is lost', async () => {
  const dir = tmp();
  try {
    for (let round = 0; round < 6; round++) {
      const child = await startChild(
        ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--save', ''],
        dir,
      );
      // 4 writers pipelining RPUSH log:<w> <n>; acked[w] counts the replies received
      const acked = [0, 0, 0, 0];
      const sent = [0, 0, 0, 0];
      const start = await (async () => {
        const c = await RawConn.connect(child.port);
        const lens: number[] = [];
        for (let w = 0; w < 4; w++) lens.push(Number((await c.call('LLEN', `log:${w}`)).slice(1)));
        c.close();
        return lens;
      })();
      const socks = acked.map((_, w) => {
        const sock = net.connect(child.port, '127.0.0.1');
        sock.on('error', () => {});
        const pump = () => {
          while (sent[w]! - acked[w]! < 200) {
            let batch = '';
            for (let i = 0; i < 50; i++) {
              const v = String(start[w]! + sent[w]!++);
              batch += `*3\r\n$5\r\nRPUSH\r\n$${`log:${w}`.length}\r\nlog:${w}\r\n$${v.length}\r\n${v}\r\n`;
            }
            sock.write(batch, 'latin1');
          }
        };
        // every reply is one line (":<length>\r\n"): a newline is an acknowledged write
        sock.on('data', (d: Buffer) => {
          for (const byte of d) if (byte === 10) acked[w]!++;
          pump();
        });
        sock.on('connect', pump);
        return sock;
      });
      await until('a first acknowledged write', () => acked.some((n) => n > 0));
      // a sleep on purpose: the kill lands at a random point of the write stream
      await sleep(Math.floor(Math.random() * 250));
      await child.kill();
      socks.forEach((c) => c.destroy());
      const ackedNow = [...acked];
      assert.ok(ackedNow.reduce((a, b) => a + b) > 0, 'some writes were acknowledged before the kill');
      // restart on the same files: every acknowledged element is there, in order
      const again = await startChild(
        ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--save', ''],
        dir,
      );
      const c = await RawConn.connect(again.port);
      for (let w = 0; w < 4; w++) {
        const len = Number((await c.call('LLEN', `log:${w}`)).slice(1));
        assert.ok(
          len >= start[w]! + ackedNow[w]!,
          `round ${round} writer ${w}: ${len} elements, ${start[w]! + ackedNow[w]!} acknowledged`,
        );
        const items = (await c.call('LRANGE', `log:${w}`, '0', '-1'))
          .split('\r\n')
          .filter((_, i) => i > 0 && i % 2 === 0);
        items.forEach((x, i) => assert.equal(x, String(i), `round ${round} writer ${w} element ${i}`));
      }
      c.close();
      await again.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an AOF cut at random offsets: loads the complete part with aof-load-truncated, refuses without it', async () => {
  const dir = tmp();
  const cfg = { appendonly: 'yes', dir, 'aof-use-rdb-preamble': 'no' };
  let srv = await createServer({ config: cfg });
  for (let i = 0; i < 40; i++) {
    if (i % 10 === 5) {
      await srv.call('MULTI');
      await srv.call('RPUSH', 'l', String(i));
      await srv.call('RPUSH', 'l', 'tx');
      await srv.call('EXEC');
    } else await srv.call('RPUSH', 'l', String(i));
  }
  await srv.close();
  const file = incrFile(dir);
  const full = fs.readFileSync(file);
  /** Whether a cut at `off` leaves a torn file (not at a command boundary outside a transaction). */
  const tornAt = (off: number): boolean => {
    const r = readCommands(full.subarray(0, off));
    const names = r.commands.map((c) => c[0]!.toUpperCase());
    return r.truncated || names.lastIndexOf('MULTI') > names.lastIndexOf('EXEC');
  };
  const expectAt = (off: number): number => {
    // elements in the complete commands of the prefix; an unfinished MULTI counts nothing
    const { commands } = readCommands(full.subarray(0, off));
    let n = 0;
    let tx = -1;
    for (const c of commands) {
      const name = c[0]!.toUpperCase();
      if (name === 'MULTI') tx = 0;
      else if (name === 'EXEC') {
        n += tx;
        tx = -1;
      } else if (name === 'RPUSH') {
        if (tx >= 0) tx++;
        else n++;
      }
    }
    return n;
  };
  const offsets = [
    1,
    5,
    full.length - 1,
    full.length - 2,
    ...Array.from({ length: 14 }, () => 1 + Math.floor(Math.random() * (full.length - 2))),
  ];
  // and every command boundary of the first 12 commands (cuts that leave a valid, shorter file)
  for (let k = 1; k <= 12; k++) {
    const at = readCommands(full.subarray(0, full.length))
      .commands.slice(0, k)
      .reduce(
        (n, c) =>
          n +
          Buffer.byteLength(
            c.reduce((t, a) => t + `$${a.length}\r\n${a}\r\n`, `*${c.length}\r\n`),
            'latin1',
          ),
        0,
      );
    offsets.push(at);
  }
  for (const off of offsets) {
    fs.writeFileSync(file, full.subarray(0, off));
    if (tornAt(off)) {
      await assert.rejects(
        createServer({ config: { ...cfg, 'aof-load-truncated': 'no' } }),
        /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof/,
        `offset ${off}`,
      );
    } else {
      // a cut between commands is a shorter valid file: it loads either way
      const s2 = await createServer({ config: { ...cfg, 'aof-load-truncated': 'no' } });
      assert.equal(await s2.call('LLEN', 'l'), expectAt(off), `offset ${off}`);
      await s2.close();
    }
    srv = await createServer({ config: cfg });
    assert.equal(await srv.call('LLEN', 'l'), expectAt(off), `offset ${off}`);
    await srv.close();
  }
  // garbage inside the file is not a torn tail: refused, naming the file
  fs.writeFileSync(file, Buffer.concat([full.subarray(0, 60), Buffer.from('garbage\r\n'), full.subarray(60)]));
  await assert.rejects(
    createServer({ config: cfg }),
    /Bad file format reading the append only file appendonly\.aof\.1\.incr\.aof/,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CONFIG SET appendonly yes writes a base of the current data; BGREWRITEAOF keeps everything', async () => {
  const dir = tmp();
  let srv = await createServer({ config: { dir } });
  try {
    await srv.call('SET', 'before', '1');
    await srv.call('RPUSH', 'l', 'a', 'b');
    assert.equal(await srv.call('CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    // (the first rewrite runs in the background, as in Redis; a BGREWRITEAOF meanwhile would be refused)
    await rewriteDone(srv);
    await srv.call('SET', 'after', '2');
    await srv.call('BGREWRITEAOF');
    await rewriteDone(srv);
    await srv.call('HSET', 'h', 'f', 'v');
    const info = String(await srv.call('INFO', 'persistence'));
    assert.match(info, /aof_enabled:1/);
    assert.match(info, /aof_rewrites:2/); // turning it on was the first
    await srv.close();
    assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(), [
      'appendonly.aof.2.base.rdb',
      'appendonly.aof.2.incr.aof',
      'appendonly.aof.manifest',
    ]);
    srv = await createServer({ config: { dir, appendonly: 'yes' } });
    assert.deepEqual(await srv.call('MGET', 'before', 'after'), ['1', '2']);
    assert.deepEqual(await srv.call('LRANGE', 'l', '0', '-1'), ['a', 'b']);
    assert.equal(await srv.call('HGET', 'h', 'f'), 'v');
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('BGREWRITEAOF runs in the background: clients are served, and writes made meanwhile are kept', async () => {
  const dir = tmp();
  let srv = await createServer({ config: { dir, appendonly: 'yes' } });
  try {
    const N = 150_000;
    for (let i = 0; i < N; i += 1000) {
      const args: string[] = [];
      for (let j = i; j < i + 1000; j++) args.push(`k${j}`, `v${j}`);
      await srv.call('MSET', ...args);
    }
    assert.match(String(await srv.call('BGREWRITEAOF')), /Background append only file rewriting started/);
    // while it runs: overwrite, delete and add keys, each answered at once
    let during = 0;
    for (let i = 0; /aof_rewrite_in_progress:1/.test(String(await srv.call('INFO', 'persistence'))); i++) {
      await srv.call('SET', `k${i}`, 'changed');
      await srv.call('DEL', `k${N - 1 - i}`);
      await srv.call('SET', `new${i}`, 'x');
      during = i + 1;
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(during > 0, 'the rewrite took more than one event-loop turn');
    assert.equal(await srv.call('BGREWRITEAOF'), 'Background append only file rewriting started');
    await rewriteDone(srv);
    const dbsize = await srv.call('DBSIZE');
    await srv.close();
    srv = await createServer({ config: { dir, appendonly: 'yes' } });
    assert.equal(await srv.call('DBSIZE'), dbsize);
    assert.equal(await srv.call('GET', 'k0'), 'changed');
    assert.equal(await srv.call('GET', `k${during - 1}`), 'changed');
    assert.equal(await srv.call('GET', `k${during}`), `v${during}`);
    assert.equal(await srv.call('EXISTS', `k${N - 1}`), 0);
    assert.equal(await srv.call('GET', `new${during - 1}`), 'x');
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI loads a large AOF while listening: clients get -LOADING, never half-loaded data', async () => {
  const dir = tmp();
  const srv = await createServer({ config: { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
  const N = 300_000;
  for (let i = 0; i < N; i += 1000) {
    const args: string[] = [];
    for (let j = i; j < i + 1000; j++) args.push(`k${j}`, 'v');
    await srv.call('MSET', ...args);
  }
  await srv.call('SET', 'last', 'here');
  await srv.close();
  const child = await startChild(['--appendonly', 'yes', '--dir', dir, '--save', ''], dir, { waitReady: false });
  try {
    const c = await until('a connection to the loading server', () => RawConn.connect(child.port), { every: 5 });
    const seen = new Set<string>();
    await until(
      'the load to end',
      async () => {
        const r = await c.call('GET', 'last');
        seen.add(r.startsWith('-LOADING') ? 'loading' : r);
        if (r === '$4\r\nhere\r\n') return true;
        assert.equal(r, '-LOADING Redis is loading the dataset in memory\r\n');
        return false;
      },
      { timeout: 60_000, every: 2 },
    );
    assert.equal(await c.call('DBSIZE'), `:${N + 1}\r\n`);
    c.close();
    assert.ok(seen.has('loading'), 'a client connecting during the load got -LOADING');
  } finally {
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

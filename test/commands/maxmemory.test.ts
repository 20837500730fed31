/**
 * maxmemory against a real redis-server: with maxmemory 1 byte both servers
 * are over the limit whatever their accounting, so what they refuse, what
 * they evict and what they propagate can be compared byte for byte:
 *  - noeviction: -OOM for denyoom commands, reads and deletes still run;
 *  - MULTI: every queued command refused while out of memory and EXEC
 *    aborted; an EXEC whose queue has a denyoom command refused; only reads
 *    queued: EXEC runs;
 *  - scripts: EVAL without a shebang runs until its first denyoom command
 *    (none after a write), shebang scripts need allow-oom (or no-writes),
 *    FCALL the same by function flags;
 *  - each policy evicts every key it may (volatile-*: only keys with a TTL,
 *    in every database), then refuses writes; INFO evicted_keys, `evicted`
 *    keyspace events, and DEL/UNLINK in the AOF.
 * The kinds of keys that survive a partial eviction are compared with
 * real memory figures in maxmemory-policies.test.ts; tsdis's own
 * mechanics (pool, clocks, tenacity) in maxmemory-unit.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Differ } from '../helpers/diff.js';
import { RawConn, SKIP_NO_REDIS, startRedis, startTsdis, hasRedis } from '../helpers/servers.js';
import { sameTranscript, type Scenario } from '../helpers/session.js';
import { incrFile } from '../helpers/aof.js';
import { decode } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());

/** Every scenario starts with no limit and the default policy. */
const RESET = [
  ['CONFIG', 'SET', 'maxmemory', '0'],
  ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
  ['CONFIG', 'SET', 'notify-keyspace-events', ''],
  ['CONFIG', 'SET', 'lazyfree-lazy-eviction', 'no'],
  ['CONFIG', 'RESETSTAT'],
];
const same = (scn: Scenario): Promise<void> => sameTranscript(d!, scn, 'MAXMEMORY_TRANSCRIPTS', RESET);

/** Logs the named INFO fields (numbers that must agree). */
async function infoFields(
  s: Parameters<Scenario>[0],
  c: RawConn,
  label: string,
  section: string,
  names: string[],
): Promise<void> {
  const info = String(decode(await s.quiet(c, 'INFO', section)));
  // (times left out)
  const vals = names.map(
    (n) =>
      `${n}=${(new RegExp(`^${n}:(.*)\\r$`, 'm').exec(info)?.[1] ?? '?').replace(/usec=[\d.]+,usec_per_call=[\d.]+,/, '')}`,
  );
  s.log.push(`${label}: ${vals.join(' ')}`);
}

test('noeviction over the limit: denyoom commands get -OOM; reads, deletes and other writes run', async () => {
  await same(async (s) => {
    const c = await s.conn();
    await s.call(c, 'set', 'SET', 'a', '1');
    await s.call(c, 'rpush', 'RPUSH', 'l', 'x', 'y');
    await s.call(c, 'limit', 'CONFIG', 'SET', 'maxmemory', '1');
    for (const cmd of [
      ['SET', 'k', 'v'],
      ['GET', 'a'],
      ['INCR', 'a'],
      ['APPEND', 'a', 'x'],
      ['LPUSH', 'l', 'z'],
      ['LPOP', 'l'],
      ['EXPIRE', 'a', '100'],
      ['PERSIST', 'a'],
      ['SETRANGE', 'a', '0', 'x'],
      ['MSET', 'x', '1'],
      ['RESTORE', 'r', '0', 'x'],
      ['SORT', 'l', 'STORE', 'dst'],
      ['DEL', 'a'],
      ['PING'],
      ['DBSIZE'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['SET', 'k', 'v'],
    ]) {
      await s.call(c, cmd.join(' '), ...cmd);
    }
    await infoFields(s, c, 'stats', 'stats', ['evicted_keys', 'total_error_replies']);
    await infoFields(s, c, 'errorstats', 'errorstats', ['errorstat_OOM']);
  });
});

test('MULTI out of memory: queued commands refused, EXEC aborts; EXEC of a denyoom queue refused; reads only run', async () => {
  await same(async (s) => {
    const c = await s.conn();
    const ctl = await s.conn();
    await s.call(c, 'set', 'SET', 'a', '1');
    // out of memory while queueing: every command but EXEC/DISCARD/QUIT/RESET is refused
    await s.call(ctl, 'limit', 'CONFIG', 'SET', 'maxmemory', '1');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'q-set', 'SET', 'k', 'v');
    await s.call(c, 'q-get', 'GET', 'a');
    await s.call(c, 'q-watch', 'WATCH', 'a');
    await s.call(c, 'q-multi', 'MULTI');
    await s.call(c, 'q-subscribe', 'SUBSCRIBE', 'ch');
    await s.call(c, 'exec', 'EXEC');
    await s.call(c, 'multi2', 'MULTI');
    await s.call(c, 'q-get2', 'GET', 'a');
    await s.call(c, 'discard', 'DISCARD');
    // queued before, out of memory at EXEC: a denyoom command in the queue refuses EXEC
    await s.call(ctl, 'nolimit', 'CONFIG', 'SET', 'maxmemory', '0');
    await s.call(c, 'multi3', 'MULTI');
    await s.call(c, 'q3-get', 'GET', 'a');
    await s.call(c, 'q3-set', 'SET', 'k', 'v');
    await s.call(ctl, 'limit2', 'CONFIG', 'SET', 'maxmemory', '1');
    await s.call(c, 'exec3', 'EXEC');
    await s.call(c, 'after-exec3', 'EXISTS', 'k');
    // only reads queued: EXEC runs
    await s.call(ctl, 'nolimit2', 'CONFIG', 'SET', 'maxmemory', '0');
    await s.call(c, 'multi4', 'MULTI');
    await s.call(c, 'q4-get', 'GET', 'a');
    await s.call(c, 'q4-del', 'DEL', 'a');
    await s.call(ctl, 'limit3', 'CONFIG', 'SET', 'maxmemory', '1');
    await s.call(c, 'exec4', 'EXEC');
    await s.call(ctl, 'nolimit3', 'CONFIG', 'SET', 'maxmemory', '0');
    await infoFields(s, ctl, 'commandstats', 'commandstats', ['cmdstat_exec', 'cmdstat_set']);
  });
});

test('scripts out of memory: EVAL until its first write, shebang flags, FCALL by function flags', async () => {
  await same(async (s) => {
    const c = await s.conn();
    await s.call(c, 'set', 'SET', 'a', '1');
    await s.call(c, 'flush-functions', 'FUNCTION', 'FLUSH');
    await s.call(
      c,
      'function-load',
      'FUNCTION',
      'LOAD',
      '#!lua name=mm\n' +
        "redis.register_function('fplain', function(k, a) return redis.call('set', 'a', 'x') end)\n" +
        "redis.register_function{function_name='fnw', callback=function(k, a) return redis.call('get', 'a') end, flags={'no-writes'}}\n" +
        "redis.register_function{function_name='foom', callback=function(k, a) return redis.call('set', 'a', 'y') end, flags={'allow-oom'}}\n" +
        "redis.register_function{function_name='fstale', callback=function(k, a) return redis.call('set', 'a', 'z') end, flags={'allow-stale'}}\n",
    );
    const loaded = await s.quiet(c, 'SCRIPT', 'LOAD', "return redis.call('set', 'a', 'loaded')");
    const sha = String(decode(loaded));
    await s.call(c, 'limit', 'CONFIG', 'SET', 'maxmemory', '1');
    const evals: [string, string][] = [
      ['read', "return redis.call('get', 'a')"],
      ['write', "return redis.call('set', 'a', 'b')"],
      ['pcall-write', "return redis.pcall('set', 'a', 'b')"],
      ['pcall-then-read', "local r = redis.pcall('set', 'a', 'b') return {r['err'], redis.call('get', 'a')}"],
      ['write-after-write', "redis.call('del', 'nosuch') return redis.call('set', 'a', 'b')"],
      ['non-denyoom-write', "return redis.call('expire', 'a', 1000)"],
      ['shebang', "#!lua\nreturn redis.call('get', 'a')"],
      ['shebang-no-writes', "#!lua flags=no-writes\nreturn redis.call('get', 'a')"],
      ['shebang-allow-oom', "#!lua flags=allow-oom\nreturn redis.call('set', 'a', 'c')"],
      ['shebang-allow-stale', "#!lua flags=allow-stale\nreturn redis.call('set', 'a', 'c')"],
      ['shebang-allow-oom-no-writes', "#!lua flags=allow-oom,no-writes\nreturn redis.call('get', 'a')"],
    ];
    for (const [label, body] of evals) await s.call(c, `eval ${label}`, 'EVAL', body, '0');
    await s.call(c, 'eval_ro', 'EVAL_RO', "return redis.call('get', 'a')", '0');
    await s.call(c, 'evalsha', 'EVALSHA', sha, '0');
    await s.call(c, 'script-load', 'SCRIPT', 'LOAD', 'return 2');
    for (const f of ['fplain', 'fnw', 'foom', 'fstale']) await s.call(c, `fcall ${f}`, 'FCALL', f, '0');
    await s.call(c, 'fcall_ro', 'FCALL_RO', 'fnw', '0');
    await s.call(
      c,
      'function-load-oom',
      'FUNCTION',
      'LOAD',
      "#!lua name=other\nredis.register_function('x', function() return 1 end)",
    );
    await s.call(c, 'function-delete', 'FUNCTION', 'DELETE', 'mm');
    // EVAL inside MULTI is refused while queueing, like any command
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'q-eval', 'EVAL', "return redis.call('get', 'a')", '0');
    await s.call(c, 'exec', 'EXEC');
    await s.call(c, 'nolimit', 'CONFIG', 'SET', 'maxmemory', '0');
    await infoFields(s, c, 'stats', 'stats', ['total_error_replies']);
    await infoFields(s, c, 'errorstats', 'errorstats', ['errorstat_OOM', 'errorstat_ERR']);
  });
});

/** Keys with and without a TTL in db 0 and db 1, then the policy with maxmemory 1 (everything evictable goes). */
function evictAllScenario(policy: string): Scenario {
  return async (s) => {
    const c = await s.conn();
    const sub = await s.conn();
    await s.call(c, 'events', 'CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    await s.callN(sub, 'psubscribe', 1, 'PSUBSCRIBE', '__keyevent@*__:evicted');
    for (const db of ['0', '1']) {
      await s.call(c, `select ${db}`, 'SELECT', db);
      for (let i = 0; i < 10; i++) await s.call(c, `set p${i}`, 'SET', `p${db}:${i}`, 'v');
      for (let i = 0; i < 10; i++) await s.call(c, `set v${i}`, 'SET', `v${db}:${i}`, 'v', 'EX', String(1000 + i));
      await s.call(c, 'hash', 'HSET', `h${db}`, 'f', 'v');
    }
    await s.call(c, 'select 0', 'SELECT', '0');
    await s.call(c, 'policy', 'CONFIG', 'SET', 'maxmemory-policy', policy);
    await s.call(c, 'limit', 'CONFIG', 'SET', 'maxmemory', '1');
    await s.call(c, 'ping', 'PING');
    await s.call(c, 'set-oom', 'SET', 'new', 'v');
    await s.call(c, 'dbsize0', 'DBSIZE');
    const k0 = decode(await s.quiet(c, 'KEYS', '*')) as string[];
    s.log.push(`db0 keys: ${[...k0].sort().join(',')}`);
    await s.call(c, 'select 1', 'SELECT', '1');
    await s.call(c, 'dbsize1', 'DBSIZE');
    const k1 = decode(await s.quiet(c, 'KEYS', '*')) as string[];
    s.log.push(`db1 keys: ${[...k1].sort().join(',')}`);
    await infoFields(s, c, 'stats', 'stats', ['evicted_keys']);
    // the evicted events, in any order
    const events: string[] = [];
    const n = Number(/evicted_keys:(\d+)/.exec(String(decode(await s.quiet(c, 'INFO', 'stats'))))![1]);
    for (let i = 0; i < n; i++) events.push(String(decode(await sub.read())));
    s.log.push(`events: ${events.sort().join(' | ')}`);
    await s.call(c, 'nolimit', 'CONFIG', 'SET', 'maxmemory', '0');
  };
}

for (const policy of [
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
]) {
  test(`${policy} over the limit: evicts every key it may (in every db), then -OOM; evicted events and evicted_keys`, async () => {
    await same(evictAllScenario(policy));
  });
}

test('CONFIG SET maxmemory below the usage evicts at once (the eviction timer), with no command after it', async () => {
  await same(async (s) => {
    const c = await s.conn();
    for (let i = 0; i < 50; i++) await s.call(c, `set ${i}`, 'SET', `k${i}`, 'v');
    await s.call(c, 'policy', 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    await s.call(c, 'limit', 'CONFIG', 'SET', 'maxmemory', '1');
    // the timer empties the db without another command's gate
    const deadline = Date.now() + 3000;
    let info = '';
    while (Date.now() < deadline) {
      info = String(decode(await s.quiet(c, 'INFO', 'keyspace')));
      if (!info.includes('db0:')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    s.log.push(`keyspace: ${JSON.stringify(info.trim())}`);
    await s.call(c, 'nolimit', 'CONFIG', 'SET', 'maxmemory', '0');
  });
});

/** Reads the commands of an AOF incr file as arrays (the SELECTs kept). */
function aofCommands(text: string): string[][] {
  const out: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\r\n', i);
    const n = Number(text.slice(i + 1, nl));
    i = nl + 2;
    const cmd: string[] = [];
    for (let j = 0; j < n; j++) {
      const l = text.indexOf('\r\n', i);
      const len = Number(text.slice(i + 1, l));
      cmd.push(text.slice(l + 2, l + 2 + len));
      i = l + 2 + len + 2;
    }
    out.push(cmd);
  }
  return out;
}

test(
  'evicted keys are propagated as DEL, or UNLINK with lazyfree-lazy-eviction, each on its own (AOF)',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    const aofConf = { appendonly: 'yes', appendfsync: 'always' };
    const tsdis = await startTsdis({ config: aofConf });
    const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      const logs: string[][][] = [];
      for (const [port, dir] of [
        [tsdis.port, String(tsdis.server.config.v['dir'])],
        [redis.port, redis.dir],
      ] as const) {
        const c = await RawConn.connect(port);
        await c.call('SET', 'a1', '1');
        await c.call('SET', 'a2', '2');
        await c.call('MULTI');
        await c.call('INCR', 'a3');
        await c.call('INCR', 'a3');
        await c.call('EXEC');
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
        await c.call('CONFIG', 'SET', 'maxmemory', '1');
        assert.match(await c.call('SET', 'x', '1'), /^-OOM /);
        await c.call('CONFIG', 'SET', 'maxmemory', '0');
        await c.call('SET', 'b1', '1');
        await c.call('CONFIG', 'SET', 'lazyfree-lazy-eviction', 'yes');
        await c.call('CONFIG', 'SET', 'maxmemory', '1');
        await c.call('PING');
        await c.call('CONFIG', 'SET', 'maxmemory', '0');
        await c.call('SET', 'b2', '2');
        c.close();
        const cmds = aofCommands(fs.readFileSync(incrFile(dir), 'latin1'));
        // the DELs of one eviction round in any order (which key goes first is the pool's choice)
        const norm: string[][] = [];
        for (const cmd of cmds) {
          const prev = norm[norm.length - 1];
          if (cmd[0] === 'DEL' && prev !== undefined && prev[0] === 'DEL') {
            norm[norm.length - 1] = ['DEL', ...[...prev.slice(1), cmd[1]!].sort()];
          } else norm.push(cmd);
        }
        // Redis 7.0 writes a SELECT before MULTI, 7.2 after it: compare without the MULTI block's SELECT placement
        logs.push(norm.filter((x) => x[0] !== 'SELECT'));
      }
      assert.deepEqual(logs[0], logs[1]);
      assert.ok(
        logs[0]!.some((x) => x[0] === 'UNLINK' && x[1] === 'b1'),
        JSON.stringify(logs[0]),
      );
    } finally {
      await tsdis.close();
      await redis.stop();
    }
  },
);

test(
  'a maxmemory of a few MB holds data as on redis-server; a dead client half-way through a 250 KB command counts and evicts keys',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    const tsdis = await startTsdis();
    const redis = await startRedis();
    const conns: RawConn[] = [];
    try {
      for (const port of [tsdis.port, redis.port]) {
        const c = await RawConn.connect(port);
        conns.push(c);
        await c.call('CONFIG', 'SET', 'maxmemory', '11mb');
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
        // 5 MB in 50 keys fits under 11 MB (Redis's unit/maxmemory setup)
        for (let j = 0; j < 50; j++) assert.equal(await c.call('SETRANGE', String(j), '100000', 'x'), ':100001\r\n');
        assert.equal(await c.call('DBSIZE'), ':50\r\n', `port ${port}`);
        const info = async (): Promise<string> => String(decode(await c.call('INFO', 'stats')));
        assert.match(await info(), /^evicted_keys:0\r$/m);
        // 30 clients each send 249 of a command's 250 arguments of 1,000 bytes and stop:
        // 7.5 MB of query buffers push used_memory past the limit, and the next command evicts keys
        for (let i = 0; i < 30; i++) {
          const r = await RawConn.connect(port);
          conns.push(r);
          r.write(`*250\r\n${`$1000\r\n${'x'.repeat(1000)}\r\n`.repeat(249)}`);
        }
        const deadline = Date.now() + 5000;
        let evicted = 0;
        while (evicted === 0 && Date.now() < deadline) {
          evicted = Number(/^evicted_keys:(\d+)\r$/m.exec(await info())?.[1]);
          if (evicted === 0) await new Promise((res) => setTimeout(res, 20));
        }
        assert.ok(evicted > 0, `port ${port}: no key evicted`);
        assert.ok(Number(/^:(\d+)/.exec(await c.call('DBSIZE'))?.[1]) < 50);
      }
    } finally {
      for (const c of conns) c.close();
      await tsdis.close();
      await redis.stop();
    }
  },
);

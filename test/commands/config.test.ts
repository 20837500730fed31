/**
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP, differential against
 * redis-server in RESP2 and RESP3.
 *
 * Deliberate differences from redis-server 7.0.15, normalized here:
 * - port and dir depend on the process (each server has its own);
 * - loglevel accepts `nothing` (Redis 7.2), so its error text lists it;
 * - the Redis 7.2 parameters locale-collate, cluster-announce-human-nodename,
 *   set-max-listpack-entries and set-max-listpack-value, and tsdis's own
 *   http-port and http-bind;
 * - CONFIG REWRITE: Redis also writes `user` lines (ACL), tsdis has no ACL yet.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { RawConn, freePort, startTsdis, startRedis, waitForPing } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/file.js';

const d = await Differ.start();
after(() => d?.stop());

/** CONFIG GET replies as sorted [name, value] pairs (Redis's order is a hash table's). */
function pairs(raw: string): [string, string][] {
  const v = decode(raw);
  const list: [string, string][] = [];
  if (v instanceof Map) for (const [k, x] of v) list.push([String(k), String(x)]);
  else if (Array.isArray(v)) for (let i = 0; i + 1 < v.length; i += 2) list.push([String(v[i]), String(v[i + 1])]);
  else throw new Error(`not a CONFIG GET reply: ${raw.slice(0, 100)}`);
  return list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * A CONFIG GET reply as compared (and recorded): its type and sorted pairs,
 * the values that differ from run to run (the free port, the temp dir) masked.
 */
function getView(raw: string): { type: string; pairs: [string, string][] } {
  return { type: raw[0]!, pairs: pairs(raw).map(([k, v]) => [k, k === 'port' || k === 'dir' ? '(varies)' : v]) };
}

/** Runs CONFIG GET on both and compares the pairs (same reply type, same content). */
/**
 * Parameters Redis 7.2 added (tsdis reports 7.2), unknown to the 7.0
 * reference, and tsdis's own (the HTTP listener: src/http/), with their defaults.
 */
const ONLY_72 = new Map([
  ['locale-collate', ''],
  ['cluster-announce-human-nodename', ''],
  ['set-max-listpack-entries', '128'],
  ['set-max-listpack-value', '64'],
  ['http-port', '0'],
  ['http-bind', ''],
]);

async function sameGet(...patterns: string[]): Promise<void> {
  const [x, y] = await d.bothView(getView, ['CONFIG', 'GET', ...patterns]);
  assert.equal(x.type, y.type, `reply type for CONFIG GET ${patterns}`);
  assert.deepEqual(
    x.pairs.filter(([k]) => !ONLY_72.has(k)),
    y.pairs,
    `CONFIG GET ${patterns}`,
  );
}

async function same(cmds: Cmd[]): Promise<void> {
  await d!.same(cmds);
}

for (const proto of [2, 3] as const) {
  test(`RESP${proto}: CONFIG GET * has Redis's names, aliases and default values`, async () => {
    await d!.both(['HELLO', String(proto)]);
    const [x, y] = await d.bothView(getView, ['CONFIG', 'GET', '*']);
    assert.equal(x.type, y.type);
    const ours = new Map(x.pairs);
    const theirs = new Map(y.pairs);
    for (const n of ['port', 'dir']) {
      assert.ok(ours.has(n) && theirs.has(n), n);
      ours.delete(n);
      theirs.delete(n);
    }
    for (const [n, v] of ONLY_72) {
      assert.equal(ours.get(n), v, n);
      ours.delete(n);
    }
    const missing = [...theirs.keys()].filter((k) => !ours.has(k));
    const extra = [...ours.keys()].filter((k) => !theirs.has(k));
    const differ = [...theirs]
      .filter(([k, v]) => ours.has(k) && ours.get(k) !== v)
      .map(([k, v]) => `${k}: tsdis '${ours.get(k)}' redis '${v}'`);
    assert.deepEqual({ missing, extra, differ }, { missing: [], extra: [], differ: [] });
    await d!.both(['HELLO', '2']);
  });

  test(`RESP${proto}: CONFIG GET patterns, aliases, exact and hidden names`, async () => {
    await d!.both(['HELLO', String(proto)]);
    await sameGet('maxmemory');
    await sameGet('MAXMEMORY');
    await sameGet('maxmemory', 'maxmemory');
    await sameGet('slaveof');
    await sameGet('*read-only*');
    await sameGet('slave-read-only', 'replica-read-*');
    await sameGet('hash-max-zip*', 'hash-max-list*', 'timeout');
    await sameGet('*max-*-entries*');
    await sameGet('lua-time-limit', 'busy-reply-threshold');
    await sameGet('nosuch');
    await sameGet('nosuch*', 'x?');
    await sameGet('watchdog-period'); // hidden: exact name only
    await sameGet('watchdog*');
    await sameGet('[sm]ave', 'client-output-buffer-limit', 'notify-keyspace-events');
    await sameGet('tls-*');
    await same([['CONFIG', 'GET'], ['CONFIG'], ['CONFIG', 'nosuch'], ['CONFIG', 'HELP'], ['CONFIG', 'HELP', 'x']]);
    await d!.both(['HELLO', '2']);
  });
}

test('CONFIG SET: values round-trip as Redis shows them', async () => {
  const cases: [string, string][] = [
    ['maxmemory', '1GB'],
    ['maxmemory', '007'],
    ['maxmemory', '5k'],
    ['maxmemory', ''],
    ['maxmemory', '0'],
    ['maxmemory-clients', '10%'],
    ['maxmemory-clients', '0%'],
    ['maxmemory-clients', '1mb'],
    ['maxmemory-clients', '0'],
    ['notify-keyspace-events', 'KEA'],
    ['notify-keyspace-events', 'An'],
    ['notify-keyspace-events', 'gKn'],
    ['notify-keyspace-events', 'g$lshzxetdKEm'],
    ['notify-keyspace-events', 'Am'],
    ['notify-keyspace-events', ''],
    ['save', '100 10 20 2'],
    ['save', '10 1 10 1'],
    ['save', ''],
    ['client-output-buffer-limit', 'replica 1mb 2k 3'],
    ['client-output-buffer-limit', 'pubsub 32mb 8mb 60 slave 256mb 64mb 60'],
    ['latency-tracking-info-percentiles', '50.5 0 1e1'],
    ['latency-tracking-info-percentiles', ''],
    ['latency-tracking-info-percentiles', '50 99 99.9'],
    ['shutdown-on-sigint', 'now nosave'],
    ['shutdown-on-sigint', 'default now'],
    ['shutdown-on-sigint', 'default'],
    ['appendfsync', 'ALWAYS'],
    ['appendfsync', 'everysec'],
    ['activerehashing', 'YES'],
    ['activerehashing', 'no'],
    ['activerehashing', 'yes'],
    ['hash-max-ziplist-entries', '100'],
    ['hash-max-listpack-entries', '512'],
    ['lua-time-limit', '6000'],
    ['busy-reply-threshold', '5000'],
    ['slowlog-max-len', '9223372036854775807'],
    ['slowlog-max-len', '128'],
    ['slowlog-log-slower-than', '-1'],
    ['slowlog-log-slower-than', '10000'],
    ['list-max-listpack-size', '-5'],
    ['list-max-ziplist-size', '-2'],
    ['maxmemory-policy', 'ALLKEYS-LRU'],
    ['maxmemory-policy', 'noeviction'],
    ['replica-announce-ip', 'a b'],
    ['replica-announce-ip', ''],
    ['proc-title-template', '{title}'],
    ['proc-title-template', '{title} {listen-addr} {server-mode}'],
    ['oom-score-adj-values', '0 200 800'],
  ];
  for (const proto of [2, 3] as const) {
    await d!.both(['HELLO', String(proto)]);
    for (const [name, value] of cases) {
      await same([['CONFIG', 'SET', name, value]]);
      await sameGet(name);
    }
  }
  await d!.both(['HELLO', '2']);
});

test('CONFIG SET: errors have Redis texts; the first problem wins', async () => {
  const bad: string[][] = [
    ['maxclients', '-1'],
    ['maxclients', 'abc'],
    ['slowlog-max-len', '-1'],
    ['maxmemory', '-1'],
    ['maxmemory', '1xb'],
    ['maxmemory', '1 gb'],
    ['maxmemory-clients', '200%'],
    ['maxmemory-clients', '-5'],
    ['maxmemory-clients', 'abc'],
    ['unixsocketperm', '777'],
    ['hz', 'abc'],
    ['hz', '007'],
    ['hz', '-0'],
    ['hz', '+5'],
    ['hz', ''],
    ['port', '99999'],
    ['appendfsync', 'foo'],
    ['activerehashing', 'maybe'],
    ['save', '1'],
    ['save', 'a b'],
    ['save', '0 1'],
    ['save', '100  10'],
    ['save', ' '],
    ['save', '"100" "10"'],
    ['client-output-buffer-limit', 'foo 1 2 3'],
    ['client-output-buffer-limit', '1 2 3'],
    ['client-output-buffer-limit', 'normal a 2 3'],
    ['client-output-buffer-limit', 'master 1 2 3'],
    ['notify-keyspace-events', 'Q'],
    ['oom-score-adj-values', '1 2'],
    ['oom-score-adj-values', '1 2 5000'],
    ['latency-tracking-info-percentiles', 'abc'],
    ['latency-tracking-info-percentiles', '101'],
    ['shutdown-on-sigint', 'foo'],
    ['shutdown-on-sigint', 'save nosave'],
    ['dir', '/nonexistent'],
    ['daemonize', 'no'],
    ['dbfilename', 'a/b'],
    ['propagation-error-behavior', 'x'],
    ['lua-time-limit', 'x'],
    ['tracking-table-max-keys', '-1'],
    ['slowlog-log-slower-than', '-2'],
    ['timeout', '99999999999'],
    ['list-max-listpack-size', '9999999999'],
    ['unixsocket', 'x'],
    ['replicaof', 'no one'],
    ['slaveof', 'localhost 1'],
    ['databases', '5'],
    ['bind', 'a b c d e f g h i j k l m n o p q'],
    ['nosuch', '1'],
    ['maxmemory', '1', 'maxmemory', '2'],
    ['maxmemory', '1', 'hz', '2', 'maxmemory', '3'],
    ['port', '1', 'nosuch', '2'],
    ['hz', 'x', 'nosuch', '2'],
    ['daemonize', 'no', 'nosuch', '1'],
    ['nosuch', '1', 'daemonize', 'no'],
    ['maxmemory', '1', 'MAXMEMORY', '2'],
    ['hash-max-ziplist-entries', '1', 'hash-max-listpack-entries', '2'],
    ['maxmemory', '10mb', 'hz', 'abc'],
    ['hz', '20', 'maxmemory', 'x', 'timeout', '5'],
  ];
  for (const proto of [2, 3] as const) {
    await d!.both(['HELLO', String(proto)]);
    for (const args of bad) await same([['CONFIG', 'SET', ...args]]);
    await same([
      ['CONFIG', 'SET', 'a', 'b', 'c'],
      ['CONFIG', 'SET', 'a'],
      ['CONFIG', 'SET', 'hz'],
    ]);
    // Nothing above changed anything (all or nothing).
    await sameGet('maxmemory', 'hz', 'timeout', 'hash-max-listpack-entries', 'save', 'notify-keyspace-events');
  }
  await d!.both(['HELLO', '2']);
});

test('CONFIG SET several parameters at once, then GET', async () => {
  await same([['CONFIG', 'SET', 'maxmemory', '10mb', 'hz', '20', 'timeout', '5', 'maxmemory-policy', 'allkeys-lfu']]);
  await sameGet('maxmemory', 'hz', 'timeout', 'maxmemory-policy');
  await same([['CONFIG', 'SET', 'maxmemory', '0', 'hz', '10', 'timeout', '0', 'maxmemory-policy', 'noeviction']]);
  await sameGet('maxmemory', 'hz', 'timeout', 'maxmemory-policy');
});

test('CONFIG SET applies to the running server (slowlog, timeouts read config.v)', async () => {
  const srv = d!.tsdis.server;
  await d!.a.call('CONFIG', 'SET', 'slowlog-max-len', '3', 'hz', '50', 'maxmemory', '2mb');
  assert.equal(srv.config.v['slowlog-max-len'], 3);
  assert.equal(srv.config.v['hz'], 50);
  assert.equal(srv.config.v['maxmemory'], 2 * 1024 * 1024);
  await d!.a.call('CONFIG', 'SET', 'slowlog-max-len', '128', 'hz', '10', 'maxmemory', '0');
  assert.equal(srv.config.v['slowlog-max-len'], 128);
});

test('CONFIG RESETSTAT clears stats, commandstats, errorstats and the slowlog', async () => {
  const srv = d!.tsdis.server;
  await d!.a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await d!.a.call('PING');
  await d!.a.call('NOSUCHCOMMAND');
  assert.ok(srv.slowlog.entries.length > 0);
  assert.ok(srv.stats.totalCommands > 0);
  await same([['CONFIG', 'RESETSTAT']]);
  // Only CONFIG RESETSTAT itself (logged after it ran) is left.
  assert.deepEqual(
    srv.slowlog.entries.map((e) => e.argv.join(' ')),
    ['CONFIG RESETSTAT'],
  );
  assert.equal(srv.stats.errors.size, 0);
  assert.ok(srv.stats.totalCommands <= 1);
  await d!.a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  await same([['CONFIG', 'RESETSTAT', 'x']]);
});

test('CONFIG REWRITE without a config file', async () => {
  await same([
    ['CONFIG', 'REWRITE'],
    ['CONFIG', 'REWRITE', 'x'],
  ]);
});

/** Starts redis-server with a config file (it must be the first argument). */
async function startRedisWithFile(file: string, dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn('redis-server', [file, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], {
    stdio: 'ignore',
  });
  await waitForPing(port, proc);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

const CONF = [
  '# tsdis CONFIG REWRITE test',
  'save ""',
  'maxmemory 10mb',
  '',
  '',
  '# replica options, written with the old names',
  'slave-read-only no',
  'hz 15',
  'hz 16',
  'rename-command FLUSHDB ""',
  'maxmemory-policy allkeys-lru',
  'notify-keyspace-events "KEA"',
  'client-output-buffer-limit pubsub 64mb 16mb 90',
  'enable-debug-command yes',
  'latency-tracking-info-percentiles 50 99 99.9',
  '',
].join('\n');

// (a redis-server of its own, with a config file: against redis-server only)
test('CONFIG REWRITE rewrites the config file as redis-server does', { skip: d.skipUnlessLive }, async () => {
  d.unrecorded();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-rewrite-'));
  const fileA = path.join(tmp, 'tsdis.conf');
  const fileB = path.join(tmp, 'redis.conf');
  fs.writeFileSync(fileA, CONF);
  fs.writeFileSync(fileB, CONF);
  const redis = await startRedisWithFile(fileB, tmp);
  const tsdis = await startTsdis({ config: { dir: tmp } });
  try {
    loadConfig(tsdis.server.config, { file: fileA });
    tsdis.server.config.configFile = fileA;
    const a = await RawConn.connect(tsdis.port);
    const b = await RawConn.connect(redis.port);
    const both = async (...cmd: string[]) => {
      const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
      assert.equal(x, y, cmd.join(' '));
    };
    await both(
      'CONFIG',
      'SET',
      'maxmemory',
      '20mb',
      'timeout',
      '30',
      'replica-read-only',
      'yes',
      'hash-max-ziplist-entries',
      '100',
    );
    await both(
      'CONFIG',
      'SET',
      'save',
      '100 10 50 5',
      'requirepass',
      'se"cret',
      'maxmemory-clients',
      '5%',
      'client-output-buffer-limit',
      'replica 1mb 2k 3 pubsub 32mb 8mb 60',
    );
    await both(
      'CONFIG',
      'SET',
      'appendfsync',
      'always',
      'list-max-listpack-size',
      '-3',
      'activerehashing',
      'no',
      'notify-keyspace-events',
      '',
    );
    await both('CONFIG', 'REWRITE');
    // Keep only what both can agree on: port and dir are per process, user lines are ACL's.
    // Redis appends new lines in its config hash table's (random) order: compare those sorted.
    const norm = (f: string) => {
      const lines = fs
        .readFileSync(f, 'latin1')
        .split('\n')
        .filter((l) => !/^(port|dir|user) /.test(l));
      const sig = lines.indexOf('# Generated by CONFIG REWRITE');
      return sig < 0 ? lines : [...lines.slice(0, sig + 1), ...lines.slice(sig + 1).sort()];
    };
    assert.deepEqual(norm(fileA), norm(fileB));
    const text = fs.readFileSync(fileA, 'latin1');
    assert.match(text, /^# tsdis CONFIG REWRITE test\n/);
    assert.match(text, /\nreplica-read-only yes\n/);
    assert.match(text, /\n# Generated by CONFIG REWRITE\n/);
    // A second rewrite with nothing changed gives the same file.
    await both('CONFIG', 'REWRITE');
    assert.deepEqual(norm(fileA), norm(fileB));
    a.close();
    b.close();
  } finally {
    await tsdis.close();
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('Config.rewrite keeps comments and file-only directives, comments out unknown lines', () => {
  const c = new Config();
  c.set('hz', '20');
  const out = c.rewrite(
    ['# head', 'include /etc/other.conf', 'nosuch-option 1', 'hz 10', 'slaveof 10.0.0.1 6379', 'bad "quote'].join('\n'),
  );
  const lines = out.split('\n');
  assert.equal(lines[0], '# head');
  assert.equal(lines[1], 'include /etc/other.conf');
  assert.equal(lines[2], '# ??? nosuch-option 1');
  assert.equal(lines[3], 'hz 20');
  assert.ok(!out.includes('slaveof'), 'replicaof unset: its lines are removed');
  assert.ok(lines.includes('# ??? bad "quote'));
  assert.ok(lines.includes('# Generated by CONFIG REWRITE'));
  assert.ok(out.includes('save 3600 1\nsave 300 100\nsave 60 10000\n'));
  assert.ok(out.endsWith('\n'));
});

test('Config: values beyond 2^53 are shown exactly; immutable parameters can be set at startup', () => {
  const c = new Config();
  c.set('slowlog-max-len', '9223372036854775807');
  assert.equal(c.format(c.def('slowlog-max-len')!), '9223372036854775807');
  c.set('databases', '4', true);
  assert.equal(c.v['databases'], 4);
  assert.throws(() => c.set('databases', '4'), /immutable/);
  assert.equal(c.v['dir'], process.cwd());
  assert.equal(c.format(c.def('unixsocketperm')!), '0');
  c.set('unixsocketperm', '700', true);
  assert.equal(c.v['unixsocketperm'], 0o700);
  assert.equal(c.format(c.def('unixsocketperm')!), '700');
});

test('Config: config.v is typed from the parameter table; every stored value has its type', () => {
  const c = new Config();
  // Compile-time checks (issue 15, item 3): these lines build only while config.v is keyed
  // by the canonical names with each parameter's own value type.
  // @ts-expect-error an alias is not a key: slave-read-only is read as replica-read-only
  assert.equal(c.v['slave-read-only'], undefined);
  // @ts-expect-error a misspelt name does not compile
  assert.equal(c.v['maxmemroy'], undefined);
  const _readOnly = () => {
    // @ts-expect-error config.v is read-only: values change through Config (set, setMany, adjust)
    c.v.hz = 20;
  };
  const port: number = c.v['port'];
  const aof: boolean = c.v['appendonly'];
  const fsync: 'everysec' | 'always' | 'no' = c.v['appendfsync'];
  const events: number = c.v['notify-keyspace-events'];
  const save: string = c.v['save'];
  assert.deepEqual([port, aof, fsync, events, save], [6379, false, 'everysec', 0, '3600 1 300 100 60 10000']);
  // at run time, each value as its parameter type says
  for (const p of c.defs()) {
    const v: unknown = c.v[p.name];
    if (p.type === 'bool') assert.equal(typeof v, 'boolean', p.name);
    else if (p.type === 'int' || p.type === 'memory') assert.equal(typeof v, 'number', p.name);
    else if (p.type === 'string') assert.equal(typeof v, 'string', p.name);
    else if (p.type === 'enum') assert.ok(p.values!.includes(String(v)), p.name);
  }
});

// (its commands hold a temp dir's name: run against redis-server only)
test(
  'CONFIG SET of protected parameters (dir, dbfilename) when enable-protected-configs allows it',
  { skip: d.skipUnlessLive },
  async () => {
    d.unrecorded();
    const p = await Differ.start({
      tsdisConfig: { 'enable-protected-configs': 'yes' },
      redisArgs: ['--enable-protected-configs', 'yes'],
      name: 'protected',
      liveOnly: true,
    });
    const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-dir-')));
    try {
      fs.mkdirSync(path.join(tmp, 'sub'));
      fs.writeFileSync(path.join(tmp, 'file'), '');
      for (const proto of [2, 3] as const) {
        await p!.both(['HELLO', String(proto)]);
        await p!.same([
          ['CONFIG', 'SET', 'dir', tmp],
          ['CONFIG', 'GET', 'dir'],
          ['CONFIG', 'SET', 'dir', 'sub'],
          ['CONFIG', 'GET', 'dir'],
          ['CONFIG', 'SET', 'dir', '..'],
          ['CONFIG', 'GET', 'dir'],
          ['CONFIG', 'SET', 'dir', '/nonexistent-dir'],
          ['CONFIG', 'SET', 'dir', path.join(tmp, 'file')],
          ['CONFIG', 'SET', 'dir', ''],
          ['CONFIG', 'GET', 'dir'],
          ['CONFIG', 'SET', 'dbfilename', 'a/b'],
          ['CONFIG', 'SET', 'dbfilename', 'x.rdb'],
          ['CONFIG', 'GET', 'dbfilename'],
          ['CONFIG', 'SET', 'dbfilename', 'dump.rdb'],
          ['CONFIG', 'GET', 'enable-protected-configs'],
        ]);
      }
    } finally {
      await p!.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test('CONFIG SET hides sensitive values from the slowlog', async () => {
  const srv = d!.tsdis.server;
  await d!.a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await d!.a.call('CONFIG', 'SET', 'masteruser', 'secret-user', 'hz', '10');
  const e = srv.slowlog.entries.find((x) => x.argv[2] === 'masteruser');
  assert.deepEqual(e?.argv, ['CONFIG', 'SET', 'masteruser', '(redacted)', 'hz', '10']);
  assert.equal(srv.config.v['masteruser'], 'secret-user');
  await d!.a.call('CONFIG', 'SET', 'masteruser', '', 'slowlog-log-slower-than', '10000');
});

// (a redis-server holds the port)
test(
  'CONFIG SET port/bind that cannot listen: the error, and every parameter of the call rolled back',
  { skip: d.skipUnlessLive },
  async () => {
    d.unrecorded();
    const holder = await startRedis();
    try {
      for (const proto of ['2', '3']) {
        await d!.both(['HELLO', proto]);
        await d!.same([
          ['CONFIG', 'SET', 'maxmemory-samples', '9', 'port', String(holder.port)],
          ['CONFIG', 'GET', 'maxmemory-samples'],
          ['CONFIG', 'SET', 'bind', '10.99.99.99', 'maxmemory-samples', '8'],
          ['CONFIG', 'GET', 'maxmemory-samples'],
        ]);
      }
      await d!.both(['HELLO', '2']);
      // still listening where it was; the reply came before the next pipelined command's
      const c = await RawConn.connect(d!.tsdis.port);
      c.write(encode(['CONFIG', 'SET', 'port', String(holder.port)]));
      c.write(encode(['PING']));
      assert.equal(
        await c.read(),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n",
      );
      assert.equal(await c.read(), '+PONG\r\n');
      c.close();
    } finally {
      await holder.stop();
    }
  },
);

test('while loading, CONFIG SET of dir, appendonly and repl-diskless-load is refused with -LOADING; others apply', async () => {
  const srv = await startTsdis({ config: { 'enable-protected-configs': 'yes' } });
  const c = await RawConn.connect(srv.port);
  try {
    srv.server.loading = true; // what a start loading a large file sets
    assert.equal(await c.call('CONFIG', 'SET', 'loglevel', 'debug'), '+OK\r\n');
    for (const [name, value] of [
      ['dir', 'asdf'],
      ['appendonly', 'yes'],
      ['repl-diskless-load', 'swapdb'],
    ]) {
      assert.equal(
        await c.call('CONFIG', 'SET', 'maxmemory-samples', '7', name!, value!),
        '-LOADING Redis is loading the dataset in memory\r\n',
        name,
      );
    }
    assert.equal(await c.call('CONFIG', 'GET', 'maxmemory-samples'), '*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n');
  } finally {
    srv.server.loading = false;
    c.close();
    await srv.close();
  }
});

test('Config.rewrite: replicaof is written for a replica, but not in cluster mode (its primary is in nodes.conf)', () => {
  const c = new Config();
  c.adjust('replicaof', '10.0.0.1 6379');
  assert.ok(c.rewrite('').includes('\nreplicaof 10.0.0.1 6379\n'));
  const k = new Config();
  k.set('cluster-enabled', 'yes', true);
  k.adjust('replicaof', '10.0.0.1 6379');
  assert.ok(!k.rewrite('replicaof 10.0.0.2 6380\n').includes('replicaof'));
});

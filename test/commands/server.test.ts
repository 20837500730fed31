/**
 * Server commands against a real redis-server (differential, RESP2 and RESP3):
 * TIME, LASTSAVE, CLIENT, SLOWLOG, INFO, MEMORY, DEBUG, SHUTDOWN. Replies
 * with volatile content (ids, addresses, timings, memory figures) are compared
 * by shape or by field names.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, shape } from '../helpers/diff.js';
import { startTsdis, startRedis, RawConn } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import type { Conn } from '../helpers/golden.js';
import { LatencyHistogram } from '../../src/observability/latency.js';

const d = await Differ.start({
  tsdisConfig: { 'slowlog-log-slower-than': '0' },
  redisArgs: ['--slowlog-log-slower-than', '0'],
});
after(() => d?.stop());

/** Runs `fn` once in RESP2 and once in RESP3 on both servers. */
async function bothProtocols(fn: (resp: 2 | 3) => Promise<void>): Promise<void> {
  for (const resp of [2, 3] as const) {
    await d!.both(['HELLO', String(resp)]);
    await fn(resp);
  }
  await d!.both(['HELLO', '2']);
}

/** Field names of a CLIENT LIST line. */
function fieldNames(line: string): string[] {
  return line
    .trim()
    .split(' ')
    .map((kv) => kv.slice(0, kv.indexOf('=')));
}

/** Decodes a raw reply that must be a string (bulk or verbatim). */
function text(raw: string): string {
  const v = decode(raw);
  assert.equal(typeof v, 'string', `expected a string reply, got ${JSON.stringify(raw.slice(0, 80))}`);
  return v as string;
}

/** INFO text as [section, field names][] (dynamic per-command/db lines dropped). */
function infoLayout(s: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const line of s.split('\r\n')) {
    if (line.startsWith('# ')) out.push([line.slice(2), []]);
    else if (line.includes(':')) {
      const name = line.slice(0, line.indexOf(':'));
      if (/^(cmdstat_|errorstat_|latency_percentiles_usec_|db\d+$|listener\d+$)/.test(name)) continue;
      out[out.length - 1]![1].push(name);
    }
  }
  return out;
}

/** Sends commands pipelined and returns every reply up to a final PING marker. */
async function pipeline(c: Conn, cmds: string[][]): Promise<string[]> {
  for (const cmd of cmds) c.write(encode(cmd));
  c.write(encode(['PING', 'end-of-pipeline']));
  const out: string[] = [];
  for (;;) {
    const r = await c.read(3000);
    if (r === '$15\r\nend-of-pipeline\r\n') return out;
    out.push(r);
  }
}

test('TIME and LASTSAVE', async () => {
  await bothProtocols(async () => {
    await d!.same([['TIME'], ['LASTSAVE']], 'shape');
    await d!.same([
      ['TIME', 'x'],
      ['LASTSAVE', 'x'],
    ]);
  });
  const t = await d.a.call('TIME');
  const [sec, usec] = decode(t) as string[];
  assert.ok(Math.abs(Number(sec) - Date.now() / 1000) < 5);
  assert.ok(Number(usec) >= 0 && Number(usec) < 1e6);
});

test('CLIENT ID, SETNAME, GETNAME, SETINFO and errors', async () => {
  await bothProtocols(async () => {
    await d!.same([['CLIENT', 'ID']], 'shape');
    await d!.same([
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'alpha'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'a b'],
      ['CLIENT', 'SETNAME', 'x\ny'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'OFF'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'REPLY', 'foo'],
      ['CLIENT', 'NOSUCH'],
      ['CLIENT'],
      ['CLIENT', 'HELP', 'x'],
      ['CLIENT', 'LIST', 'TYPE', 'foo'],
      ['CLIENT', 'LIST', 'ID', '1', 'abc'],
      ['CLIENT', 'LIST', 'ID', '0'],
      ['CLIENT', 'LIST', 'ID'],
      ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'LIST', 'ID', '999999'],
      ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
    ]);
  });
  // CLIENT SETINFO is Redis 7.2 (the reference server is 7.0): checked against the 7.2 docs.
  const c = d!.a;
  assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-name', 'mylib'), '+OK\r\n');
  assert.equal(await c.call('CLIENT', 'SETINFO', 'LIB-VER', '1.2.3'), '+OK\r\n');
  assert.equal(
    await c.call('CLIENT', 'SETINFO', 'lib-name', 'a b'),
    '-ERR lib-name cannot contain spaces, newlines or special characters.\r\n',
  );
  assert.equal(
    await c.call('CLIENT', 'SETINFO', 'LIB-VER', 'x\ny'),
    '-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n',
  );
  assert.equal(await c.call('CLIENT', 'SETINFO', 'foo', 'bar'), "-ERR Unrecognized option 'foo'\r\n");
  assert.equal(
    await c.call('CLIENT', 'SETINFO', 'lib-name'),
    "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
  );
  const line = text(await c.call('CLIENT', 'INFO'));
  assert.match(line, / lib-name=mylib lib-ver=1\.2\.3\n$/);
  assert.equal(await c.call('CLIENT', 'NO-TOUCH', 'on'), '+OK\r\n');
  assert.match(text(await c.call('CLIENT', 'INFO')), / flags=T /);
  assert.equal(await c.call('CLIENT', 'NO-TOUCH', 'off'), '+OK\r\n');
  assert.equal(await c.call('CLIENT', 'NO-TOUCH', 'x'), '-ERR syntax error\r\n');
});

test('CLIENT HELP and SLOWLOG/MEMORY HELP', async () => {
  // Redis 7.2 adds SETINFO and NO-TOUCH to CLIENT HELP: 7 lines more than 7.0's.
  const [a, b] = await d!.both(['CLIENT', 'HELP']);
  const x = decode(a) as string[];
  const y = decode(b) as string[];
  assert.equal(x.length, y.length + 6);
  for (const l of y) assert.ok(x.includes(l), `missing help line ${l}`);
  await d!.same([
    ['SLOWLOG', 'HELP'],
    ['MEMORY', 'HELP'],
  ]);
});

test('CLIENT LIST and CLIENT INFO fields', async () => {
  await bothProtocols(async (resp) => {
    for (const cmd of [
      ['CLIENT', 'LIST'],
      ['CLIENT', 'INFO'],
      ['CLIENT', 'LIST', 'TYPE', 'normal'],
    ]) {
      // (compared, and recorded, as the reply type, the line count and the first line's field names)
      const layout = (raw: string) => {
        const lines = text(raw).split('\n').filter(Boolean);
        return { type: raw[0]!, lines: lines.length, names: fieldNames(lines[0]!) };
      };
      const [a, b] = await d.bothView(layout, cmd);
      if (resp === 3) assert.equal(a.type, b.type, 'verbatim string in RESP3');
      assert.equal(a.lines, b.lines);
      // Redis 7.2 adds lib-name and lib-ver at the end of each line.
      assert.deepEqual(a.names, [...b.names, 'lib-name', 'lib-ver']);
      assert.match(
        text(await d.a.call(...cmd)).split('\n')[0]!,
        / flags=N db=0 .* cmd=client\|(list|info) user=default redir=-1 /,
      );
    }
  });
  const id = String(decode(await d!.a.call('CLIENT', 'ID')));
  const byId = text(await d!.a.call('CLIENT', 'LIST', 'ID', id, '424242'));
  assert.equal(byId.split('\n').filter(Boolean).length, 1);
  assert.ok(byId.startsWith(`id=${id} `));
});

test('CLIENT KILL: errors, filters, old form and killing oneself', async () => {
  await d!.same([
    ['CLIENT', 'KILL', '1.2.3.4:5'],
    ['CLIENT', 'KILL', 'ID', 'abc'],
    ['CLIENT', 'KILL', 'ID', '0'],
    ['CLIENT', 'KILL', 'TYPE', 'foo'],
    ['CLIENT', 'KILL', 'USER', 'nobody'],
    ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
    ['CLIENT', 'KILL', 'foo', 'bar'],
    ['CLIENT', 'KILL', 'ID', '99999'],
    ['CLIENT', 'KILL', 'ADDR', '1.1.1.1:1', 'LADDR', 'x'],
    ['CLIENT', 'KILL', 'ID', '1', 'TYPE'],
    ['CLIENT', 'KILL'],
  ]);
  // (absolute checks on ids and closed sockets: on the reference when it runs, not recorded)
  const ports = d.live ? [d.tsdis.port, d.redis!.port] : [d.tsdis.port];
  for (const port of ports) {
    const me = await RawConn.connect(port);
    // New form by ID: kills another connection, which sees its socket closed.
    const victim = await RawConn.connect(port);
    const vid = String(decode(await victim.call('CLIENT', 'ID')));
    assert.equal(await me.call('CLIENT', 'KILL', 'ID', vid), ':1\r\n');
    await victim.readUntilClose(2000);
    // Old form by address.
    const v2 = await RawConn.connect(port);
    await v2.call('PING'); // (the server has taken the connection in)
    const addr = `127.0.0.1:${v2.sock.localPort}`;
    assert.equal(await me.call('CLIENT', 'KILL', addr), '+OK\r\n');
    await v2.readUntilClose(2000);
    // USER default with SKIPME yes spares the caller.
    const v3 = await RawConn.connect(port);
    await v3.call('PING');
    const n = Number(
      decode(await me.call('CLIENT', 'KILL', 'USER', 'default', 'ADDR', `127.0.0.1:${v3.sock.localPort}`)),
    );
    assert.equal(n, 1);
    await v3.readUntilClose(2000);
    // Killing oneself: the reply arrives, then the connection closes.
    const myId = String(decode(await me.call('CLIENT', 'ID')));
    me.write(encode(['CLIENT', 'KILL', 'ID', myId, 'SKIPME', 'no']));
    assert.equal(await me.readUntilClose(2000), ':1\r\n');
    const me2 = await RawConn.connect(port);
    me2.write(encode(['CLIENT', 'KILL', `127.0.0.1:${me2.sock.localPort}`]));
    assert.equal(await me2.readUntilClose(2000), '+OK\r\n');
    me.close();
    me2.close();
  }
});

test('CLIENT REPLY OFF, ON and SKIP', async () => {
  const seqs: string[][][] = [
    [
      ['CLIENT', 'REPLY', 'OFF'],
      ['SET', 'r', '1'],
      ['GET', 'r'],
      ['CLIENT', 'REPLY', 'ON'],
      ['GET', 'r'],
    ],
    [
      ['CLIENT', 'REPLY', 'SKIP'],
      ['PING', 'a'],
      ['PING', 'b'],
    ],
    [
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['PING', 'a'],
      ['PING', 'b'],
    ],
    [
      ['CLIENT', 'REPLY', 'OFF'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['PING', 'a'],
      ['CLIENT', 'REPLY', 'ON'],
      ['PING', 'b'],
    ],
    [
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'ON'],
      ['PING', 'b'],
    ],
    [['CLIENT', 'REPLY', 'OFF'], ['NOSUCHCMD'], ['CLIENT', 'REPLY', 'ON']],
    [['CLIENT', 'REPLY', 'OFF'], ['PING', 'a'], ['RESET'], ['PING', 'b']],
  ];
  for (const seq of seqs) {
    const [x, y] = await Promise.all([pipeline(d!.a, seq), pipeline(d!.b, seq)]);
    assert.deepEqual(x, y, JSON.stringify(seq));
  }
});

test('SLOWLOG GET, LEN, RESET and errors', async () => {
  await bothProtocols(async () => {
    await d!.same([
      ['SLOWLOG', 'RESET'],
      ['CLIENT', 'SETNAME', 'slowpoke'],
      ['SET', 'sl', 'v'],
      ['SLOWLOG', 'LEN'],
    ]);
    // (entries as compared, and recorded: without their ids, times and durations)
    // (ids only as the step to the next entry's)
    const entries = (raw: string) =>
      (decode(raw) as unknown[][]).map((e, i, all) => ({
        fields: e.length,
        args: e[3],
        name: e[5],
        addr: /^127\.0\.0\.1:\d+$/.test(String(e[4])),
        id: typeof e[0],
        step: i + 1 < all.length ? (e[0] as number) - (all[i + 1]![0] as number) : null,
      }));
    const [a, b] = await d.bothView(entries, ['SLOWLOG', 'GET', '2']);
    assert.equal(a.length, 2);
    assert.deepEqual(a, b);
    for (const e of a) assert.deepEqual([e.fields, e.addr, e.id], [6, true, 'number']);
    assert.equal(a[0]!.step, 1);
    await d!.same([['SLOWLOG', 'GET', '-1']], 'shape');
    // Secrets are redacted.
    await d!.same([
      ['SLOWLOG', 'RESET'],
      ['AUTH', 'secret'],
      ['AUTH', 'user', 'secret'],
      ['HELLO', '2', 'AUTH', 'u', 'secret', 'SETNAME', 'x'],
    ]);
    const argvs = (raw: string) => (decode(raw) as unknown[][]).map((e) => e[3]);
    const [ra, rb] = await d.bothView(argvs, ['SLOWLOG', 'GET', '3']);
    assert.deepEqual(ra, rb);
    assert.ok(!JSON.stringify(ra).includes('secret'));
    await d!.same([
      ['SLOWLOG', 'GET', 'x'],
      ['SLOWLOG', 'GET', '-2'],
      ['SLOWLOG', 'GET', '1', '2'],
      ['SLOWLOG', 'LEN', 'x'],
      ['SLOWLOG', 'NOSUCH'],
      ['SLOWLOG'],
      ['SLOWLOG', 'GET', '0'],
      ['CLIENT', 'SETNAME', ''],
    ]);
  });
});

test('INFO sections and field names match redis-server', async () => {
  await d!.both(['SET', 'infokey', 'v']);
  const [ours, theirs] = await d.bothView((r) => infoLayout(text(r)), ['INFO', 'everything']);
  assert.deepEqual(
    ours.map((s) => s[0]),
    theirs.map((s) => s[0]),
    'sections in order',
  );
  for (const [name, fields] of theirs) {
    const mine = ours.find((s) => s[0] === name)![1];
    // Every redis 7.0 field is present, in the same relative order (7.2 adds some).
    let j = 0;
    for (const f of fields) {
      const k = mine.indexOf(f, j);
      assert.ok(k >= 0, `INFO ${name}: missing or out of order: ${f}`);
      j = k + 1;
    }
  }
  const ta = text(await d.a.call('INFO', 'everything'));
  assert.match(ta, /^# Server\r\nredis_version:7\.2\.\d+\r\n/);
  assert.match(ta, /\r\nrun_id:[0-9a-f]{40}\r\n/);
  assert.match(ta, /\r\ncmdstat_set:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n/);
  assert.match(ta, /\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/);
  assert.match(ta, /\r\ndb0:keys=\d+,expires=0,avg_ttl=0\r\n/);
  assert.ok(ta.endsWith('\r\n') && !ta.endsWith('\r\n\r\n'));
  for (const args of [
    [],
    ['default'],
    ['all'],
    ['server', 'CLIENTS'],
    ['keyspace', 'cpu', 'server'],
    ['commandstats'],
    ['errorstats'],
    ['modules'],
    ['cluster'],
  ]) {
    const [x, y] = await d.bothView((r) => infoLayout(text(r)).map((s) => s[0]), ['INFO', ...args]);
    assert.deepEqual(x, y, `INFO ${args.join(' ')}`);
  }
  await bothProtocols(async () => {
    await d!.same([
      ['INFO', 'nosuch'],
      ['INFO', 'a', 'b', 'c'],
      ['INFO', 'cluster'],
    ]);
    await d!.same([['INFO']], 'shape');
  });
  // errorstats counts error replies by code.
  await d!.both(['CONFIG', 'RESETSTAT']);
  await d!.both(['NOSUCHCOMMAND']);
  assert.match(text(await d.a.call('INFO', 'errorstats')), /\r\nerrorstat_ERR:count=\d+\r\n/);
});

test('MEMORY USAGE, STATS, DOCTOR, PURGE and errors', async () => {
  await d!.both(['SET', 'mk', 'hello']);
  await bothProtocols(async (resp) => {
    await d!.same(
      [
        ['MEMORY', 'USAGE', 'mk'],
        ['MEMORY', 'USAGE', 'mk', 'SAMPLES', '0'],
      ],
      'shape',
    );
    await d!.same([
      ['MEMORY', 'USAGE', 'nosuchkey'],
      ['MEMORY', 'USAGE', 'mk', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'mk', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'mk', 'foo'],
      ['MEMORY', 'USAGE', 'mk', 'SAMPLES'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'PURGE'],
      ['MEMORY', 'NOSUCH'],
    ]);
    await d!.same(
      [
        ['MEMORY', 'DOCTOR'],
        ['MEMORY', 'MALLOC-STATS'],
      ],
      'shape',
    );
    const keys = (raw: string) => {
      const v = decode(raw);
      const pairs = v instanceof Map ? [...v.keys()] : (v as unknown[]).filter((_, i) => i % 2 === 0);
      return pairs.map(String);
    };
    const [a, b] = await d.bothView(keys, ['MEMORY', 'STATS']);
    assert.deepEqual(a, b, `MEMORY STATS keys (RESP${resp})`);
  });
  const n = Number(decode(await d!.a.call('MEMORY', 'USAGE', 'mk')));
  assert.ok(n > 0 && n < 1000, `usage ${n}`);
  await d!.a.call('SET', 'mkbig', 'x'.repeat(10000));
  assert.ok(Number(decode(await d!.a.call('MEMORY', 'USAGE', 'mkbig'))) > 10000);
});

test('DEBUG: OBJECT, SLEEP, SET-ACTIVE-EXPIRE, PROTOCOL, POPULATE, ERROR, errors', async () => {
  const long = 'hello world this is a long string of more than 44 bytes for raw encoding';
  await d!.both(['SET', 'do1', 'bar']);
  await d!.both(['SET', 'do2', '100']);
  await d!.both(['SET', 'do3', '123456789012']);
  await d!.both(['SET', 'do4', long]);
  const norm = (s: string) => s.replace(/at:0x[0-9a-f]+/, 'at:ADDR').replace(/lru:\d+ lru_seconds_idle:\d+/, 'lru:L');
  for (const k of ['do1', 'do2', 'do3', 'do4']) {
    const form = (r: string) => [
      norm(r),
      /^\+Value at:0x[0-9a-f]{12} refcount:\d+ encoding:\w+ serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+\r\n$/.test(
        r,
      ),
    ];
    const [x, y] = await d.bothView(form, ['DEBUG', 'OBJECT', k]);
    assert.deepEqual(x, y, k);
    assert.equal(x[1], true, String(x[0]));
  }
  await bothProtocols(async () => {
    await d!.same([
      ['DEBUG', 'OBJECT', 'nosuchkey'],
      ['DEBUG', 'OBJECT'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE'],
      ['DEBUG', 'SLEEP', '0'],
      ['DEBUG', 'SLEEP', 'x'],
      ['DEBUG', 'NOSUCH'],
      ['DEBUG'],
      ['DEBUG', 'ERROR', 'foo'],
      ['DEBUG', 'ERROR', 'WRONGTYPE custom'],
      ['DEBUG', 'LOG', 'hello'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', '3'],
      ['GET', 'key:2'],
      ['DEBUG', 'POPULATE', '2', 'pfx', '12'],
      ['GET', 'pfx:1'],
      ['DEBUG', 'POPULATE', '2', 'pfy', '3'],
      ['GET', 'pfy:1'],
      ...[
        'string',
        'integer',
        'double',
        'bignum',
        'null',
        'array',
        'set',
        'map',
        'attrib',
        'verbatim',
        'true',
        'false',
        'nosuch',
      ].map((t) => ['DEBUG', 'PROTOCOL', t]),
    ]);
    // A push reply is followed by a second, real reply (two frames in RESP3).
    const [x, y] = await d!.both(['DEBUG', 'PROTOCOL', 'push']);
    assert.equal(x, y);
    if (x.startsWith('>')) assert.equal(await d!.a.read(), await d!.b.read());
  });
  // SLEEP blocks the whole server, as in Redis.
  const other = await RawConn.connect(d!.tsdis.port);
  const t0 = Date.now();
  d!.a.write(encode(['DEBUG', 'SLEEP', '0.2']));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await other.call('PING'), '+PONG\r\n');
  assert.ok(Date.now() - t0 >= 180, `PING answered after ${Date.now() - t0} ms`);
  assert.equal(await d!.a.read(), '+OK\r\n');
  other.close();
  assert.equal(d!.tsdis.server.activeExpire.enabled, true);
  await d!.a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  assert.equal(d!.tsdis.server.activeExpire.enabled, false);
  await d!.a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
});

// (a redis-server of its own: against redis-server only)
test('DEBUG refused unless enable-debug-command allows it', { skip: d.skipUnlessLive }, async () => {
  const t = await startTsdis();
  const r = await startRedis();
  const tl = await startTsdis({ config: { 'enable-debug-command': 'local' } });
  try {
    const a = await RawConn.connect(t.port);
    const b = await RawConn.connect(r.port);
    for (const cmd of [['DEBUG', 'SLEEP', '0'], ['DEBUG'], ['DEBUG', 'HELP'], ['INFO', 'errorstats']]) {
      const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
      assert.equal(x, y, cmd.join(' '));
    }
    // Refusals count as rejected calls.
    const debugStat = async (c: RawConn) =>
      /cmdstat_debug:[^\r]*/.exec(text(await c.call('INFO', 'commandstats')))?.[0].replace(/usec=\d+/, 'usec=U');
    assert.equal(await debugStat(a), await debugStat(b));
    assert.equal(await debugStat(a), 'cmdstat_debug:calls=0,usec=U,usec_per_call=0.00,rejected_calls=3,failed_calls=0');
    a.close();
    b.close();
    const c = await RawConn.connect(tl.port);
    assert.equal(await c.call('DEBUG', 'SLEEP', '0'), '+OK\r\n');
    c.close();
  } finally {
    await t.close();
    await tl.close();
    await r.stop();
  }
});

// (a redis-server of its own: against redis-server only)
test('SHUTDOWN: errors match, then it closes the server without a reply', { skip: d.skipUnlessLive }, async () => {
  const t = await startTsdis();
  const r = await startRedis();
  try {
    const a = await RawConn.connect(t.port);
    const b = await RawConn.connect(r.port);
    for (const cmd of [
      ['SHUTDOWN', 'FOO'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'NOSAVE', 'SAVE'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
      ['SHUTDOWN', 'ABORT', 'NOSAVE'],
    ]) {
      assert.equal(await a.call(...cmd), await b.call(...cmd), cmd.join(' '));
    }
    let event: unknown = null;
    t.server.on('shutdown', (e) => (event = e));
    const closed = new Promise<void>((res) => t.server.once('closed', () => res()));
    a.write(encode(['SHUTDOWN', 'NOSAVE', 'NOW']));
    assert.equal(await a.readUntilClose(2000), '');
    await closed;
    assert.deepEqual(event, { save: false, nosave: true, now: true, force: false });
    await assert.rejects(RawConn.connect(t.port));
    b.close();
  } finally {
    await t.close();
    await r.stop();
  }
});

test('latency histogram percentiles are within 1%', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.recordNs(i * 1000); // 1..1000 us
  for (const [p, want] of [
    [50, 500],
    [99, 990],
    [99.9, 999],
    [100, 1000],
  ] as const) {
    const got = h.valueAt(p) / 1000;
    assert.ok(Math.abs(got - want) / want < 0.01, `p${p}: ${got} vs ${want}`);
  }
  assert.equal(new LatencyHistogram().valueAt(50), 0);
});

test('CLIENT KILL MAXAGE (Redis 7.4 filter) and SHUTDOWN/DEBUG in-process', async () => {
  const t = await startTsdis();
  try {
    const c = await RawConn.connect(t.port);
    assert.equal(await c.call('CLIENT', 'KILL', 'MAXAGE', '1000'), ':0\r\n');
    assert.equal(await c.call('CLIENT', 'KILL', 'MAXAGE', 'x'), '-ERR value is not an integer or out of range\r\n');
    const other = await RawConn.connect(t.port);
    await other.call('PING');
    // Age every connection but the caller's by 5 s; MAXAGE 3 then kills the other one only.
    const myId = Number(decode(await c.call('CLIENT', 'ID')));
    for (const cl of t.server.clients.values()) if (cl.id !== myId) (cl as { createdAt: number }).createdAt -= 5000;
    assert.equal(await c.call('CLIENT', 'KILL', 'MAXAGE', '3'), ':1\r\n');
    await other.readUntilClose(2000);
    c.close();
  } finally {
    await t.close();
  }
});

test('in-process: INFO and CLIENT without a socket', async () => {
  const t = await startTsdis({ noListen: true });
  try {
    const info = (await t.call('INFO', 'server')) as string;
    assert.match(info, /^# Server\r\n/);
    assert.match(info, /\r\ntsdis_version:/);
    assert.equal(typeof (await t.call('CLIENT', 'ID')), 'number');
    assert.ok(String(await t.call('TIME')).length > 0);
    assert.equal(shape(await t.call('MEMORY', 'STATS')) !== null, true);
  } finally {
    await t.close();
  }
});

test('CLIENT LIST cmd= after a refused command (its name) and after an unknown one (NULL)', async () => {
  const cmdOf = async (port: number, sends: string[][]): Promise<string[]> => {
    const a = await RawConn.connect(port);
    const ctl = await RawConn.connect(port);
    const out: string[] = [];
    try {
      const id = (await a.call('CLIENT', 'ID')).slice(1, -2);
      for (const cmd of sends) {
        await a.call(...cmd);
        const list = decode(await ctl.call('CLIENT', 'LIST', 'ID', id)) as string;
        out.push(`${cmd.join(' ')} -> ${/ cmd=(\S+)/.exec(list)![1]}`);
      }
    } finally {
      a.close();
      ctl.close();
    }
    return out;
  };
  const sends = [['NOPE'], ['GET'], ['CONFIG', 'NOPE'], ['MULTI'], ['NOPE2'], ['EXEC'], ['SUBSCRIBE', 'c']];
  assert.deepEqual(await cmdOf(d.tsdis.port, sends), await d.onReferencePort((port) => cmdOf(port, sends)));
});

test('failed_calls is charged to the command that replied the error, not to EXEC or EVAL around it', async () => {
  /** calls, rejected_calls and failed_calls of each command, one line each. */
  const counts = async (c: RawConn): Promise<string> =>
    (decode(await c.call('INFO', 'commandstats')) as string)
      .split('\r\n')
      .filter((l) => l.startsWith('cmdstat_'))
      .map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, ''))
      .sort()
      .join('\n');
  await d!.both(['HELLO', '2']);
  await d!.both(['CONFIG', 'RESETSTAT']);
  for (const cmd of [
    ['MULTI'],
    ['SET', 'a', 'b'],
    ['AUTH', 'a'],
    ['EXEC'],
    ['MULTI'],
    ['INCR', 'a'],
    ['EXEC'],
    ['EVAL', "return redis.pcall('INCR', KEYS[1])", '1', 'a'],
    ['EVAL', "redis.pcall('INCR', KEYS[1]); return 1", '1', 'a'],
    ['EVAL', "return redis.call('INCR', KEYS[1])", '1', 'a'],
    ['EVAL', "return redis.error_reply('MY oops')", '0'],
    ['EVAL', "return redis.pcall('nosuch')", '0'],
    ['EVAL', "redis.pcall('nosuch'); return 1", '0'],
    ['EVAL', "return redis.call('nosuch')", '0'],
    ['EVAL', "return redis.pcall('get')", '0'],
    ['EVAL', "return {err='ERR value is not an integer or out of range'}", '0'],
    ['EVAL', "error('boom')", '0'],
    ['GET'],
    ['NOPE'],
    ['GET', 'a'],
  ]) {
    await d!.both(cmd);
  }
  assert.equal(await counts(d.a), await d.onReference(counts));
  const [x, y] = await d!.both(['INFO', 'errorstats']);
  assert.equal(x, y);
});

test("CLIENT LIST / INFO: the caller's qbuf holds its running command and argv-mem its arguments, as redis-server", async () => {
  const fields = (raw: string) =>
    / qbuf=(\d+) .* argv-mem=(\d+) /
      .exec(decode(raw) as string)!
      .slice(1)
      .join(' ');
  const [x, y] = await d.bothView(fields, ['CLIENT', 'INFO']);
  assert.equal(x, y, 'CLIENT INFO');
  // CLIENT LIST with an id of the same length on both (redis-server's ids are small here too)
  const idA = (await d!.a.call('CLIENT', 'ID')).slice(1, -2);
  // (the id is in the command: against redis-server only)
  const idB = d.live ? (await d.b.rawConn!.call('CLIENT', 'ID')).slice(1, -2) : '';
  if (idA.length === idB.length) {
    const [la, lb] = [
      await d.a.call('CLIENT', 'LIST', 'ID', idA),
      await d.b.rawConn!.call('CLIENT', 'LIST', 'ID', idB),
    ];
    assert.equal(fields(la), fields(lb), 'CLIENT LIST ID');
  }
});

test('an argument quoted in an error text ends at its first NUL, as printf %s has it; the text around it stays', async () => {
  await d!.both(['XADD', 'nulx', '1-1', 'f', 'v']);
  await d!.both(['XGROUP', 'CREATE', 'nulx', 'g', '0']);
  await d!.same([
    ['PEXPIRE', 'k', '100', 'a\0b'],
    ['XCLAIM', 'nulx', 'g', 'c', '0', '1-1', 'JUSTID', 'x\0y'],
    ['NO\0SUCH', 'a\0b', 'c'],
    ['OBJECT', 'fr\0eq', 'k'],
    ['CONFIG', 'SET', 'max\0memory', '1'],
    ['CLIENT', 'NO-EVICT', 'x\0'],
    ['XREADGROUP', 'GROUP', 'g\0h', 'c', 'STREAMS', 'nulx', '>'],
    ['XPENDING', 'nulx', 'g\0h'],
  ]);
  await d!.both(['DEL', 'nulx']);
});

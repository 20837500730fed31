/**
 * Client side caching (CLIENT TRACKING): the behaviours of Redis 7.2's
 * tracking.c and of the tracking parts of call()/afterCommand.
 *
 * The first part runs each scenario against tsdis and the redis-server 7.0.15
 * reference and compares the transcripts, where 7.0 and 7.2 agree:
 * tracking-table-max-keys eviction (100 keys a round, then 200, ...; NOLOOP of
 * the client whose command triggers it), FLUSHALL/FLUSHDB ASYNC, DEBUG RELOAD,
 * the INFO figures, the switch to BCAST, BCAST NOLOOP attribution (a script's
 * writes are its pseudo client's, an expiry is no client's), the order of an
 * invalidation and a keyspace event, and RESP2 (un)subscribe confirmations
 * under CLIENT REPLY OFF / SKIP.
 *
 * The second part pins what only Redis 7.2 does, from its source and
 * tests/unit/tracking.tcl (the 7.0 reference differs): the invalidations for
 * the client whose command runs come after the reply of its top-level
 * command (EXEC, EVAL, a served BLMOVE), behind its other pushes; a script's
 * keys are tracked only when a read-only command it calls reads them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { sameTranscript, type Scenario, type Session } from '../helpers/session.js';

const d = await Differ.start();
const srv = await startTsdis({ config: { 'enable-debug-command': 'yes' } });
after(async () => {
  await d?.stop();
  await srv.close();
});

const same = (scenario: Scenario): Promise<void> =>
  sameTranscript(d!, scenario, 'TRACKING_TRANSCRIPTS', [
    ['CONFIG', 'SET', 'tracking-table-max-keys', '1000000'],
    ['CONFIG', 'SET', 'notify-keyspace-events', ''],
  ]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One figure of INFO (e.g. tracking_total_keys). */
async function info(s: Session, c: RawConn, field: string): Promise<string> {
  const r = await s.quiet(c, 'INFO', 'everything');
  return new RegExp(`${field}:(\\d+)`).exec(r)![1]!;
}

/** Logs INFO's four tracking figures (one INFO call). */
async function logFigures(s: Session, c: RawConn, label: string): Promise<void> {
  const r = await s.quiet(c, 'INFO', 'everything');
  const f = ['tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes', 'tracking_clients'].map(
    (x) => new RegExp(`${x}:(\\d+)`).exec(r)![1]!,
  );
  s.log.push(`${label}: keys=${f[0]} items=${f[1]} prefixes=${f[2]} clients=${f[3]}`);
}

/** Reads one reply into the transcript with the client id `id` written as ID (ids differ between servers). */
async function readId(s: Session, c: RawConn, label: string, id: string): Promise<void> {
  const r = await c.read(3000);
  s.log.push(`${label}: ${JSON.stringify(r.split(`:${id}\r\n`).join(':ID\r\n'))}`);
}

/** Subscribes a fresh RESP2 connection to __redis__:invalidate; returns it and its id. */
async function redirectTarget(s: Session): Promise<[RawConn, string]> {
  const r = await s.conn();
  const id = (await s.quiet(r, 'CLIENT', 'ID')).slice(1, -2);
  await s.quiet(r, 'SUBSCRIBE', '__redis__:invalidate');
  return [r, id];
}

test('tracking-table-max-keys: 100 keys dropped a round, then 200, each with an invalidation (as redis-server)', async () => {
  await same(async (s) => {
    const [r, rid] = await redirectTarget(s);
    const [c, w] = [await s.conn(), await s.conn()];
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    for (let i = 0; i < 250; i++) s.send(c, 'GET', `key${i}`);
    for (let i = 0; i < 250; i++) await c.read();
    await s.call(w, 'pause cron', 'DEBUG', 'PAUSE-CRON', '1');
    await s.call(w, 'limit', 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
    // each command (past authentication) first brings the table toward the limit
    s.log.push(`after one round: ${await info(s, w, 'tracking_total_keys')}`);
    s.log.push(`after two rounds: ${await info(s, w, 'tracking_total_keys')}`);
    // which keys go is random in Redis: count the messages
    let n = 0;
    for (; n < 249; n++) {
      const m = await r.read();
      assert.match(m, /^\*3\r\n\$7\r\nmessage\r\n\$20\r\n__redis__:invalidate\r\n\*1\r\n\$\d+\r\nkey\d+\r\n$/);
    }
    s.log.push(`invalidations: ${n}`);
    await s.call(r, 'ping', 'PING');
    await s.call(w, 'resume cron', 'DEBUG', 'PAUSE-CRON', '0');
    await logFigures(s, w, 'figures');
  });
});

test('tracking-table-max-keys: the keys of a NOLOOP client dropped before its own command send it nothing (as redis-server)', async () => {
  await same(async (s) => {
    const [r, rid] = await redirectTarget(s);
    const [c, w] = [await s.conn(), await s.conn()];
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid, 'NOLOOP');
    await s.call(c, 'mget', 'MGET', 'a', 'b', 'c');
    await s.call(w, 'pause cron', 'DEBUG', 'PAUSE-CRON', '1');
    await s.call(w, 'limit', 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
    await s.call(c, 'ping (drops two keys)', 'PING');
    s.log.push(`keys: ${await info(s, w, 'tracking_total_keys')}`);
    await s.call(r, 'ping: no message came first', 'PING');
    await s.call(w, 'resume cron', 'DEBUG', 'PAUSE-CRON', '0');
  });
});

test('tracking-table-max-keys: a command queued in MULTI gets its invalidation before QUEUED (#11715, as redis-server)', async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.quiet(c, 'HELLO', '3');
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'mget', 'MGET', '1{tag}', '2{tag}');
    await s.call(w, 'limit 2', 'CONFIG', 'SET', 'tracking-table-max-keys', '2');
    await s.call(w, 'pause cron', 'DEBUG', 'PAUSE-CRON', '1');
    await s.call(c, 'multi', 'MULTI');
    await s.call(w, 'limit 1', 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
    s.send(c, 'PING');
    s.send(c, 'EXEC');
    // the key dropped is random in Redis
    s.log.push(`first: ${(await c.read()).replace(/[12]\{tag\}/, 'K')}`);
    await s.read(c, 'queued');
    await s.read(c, 'exec');
    await s.call(w, 'resume cron', 'DEBUG', 'PAUSE-CRON', '0');
    await s.rest(c, 'c');
  });
});

test('FLUSHALL / FLUSHDB ASYNC empty the tracking table and send the null invalidation, like SYNC (as redis-server)', async () => {
  await same(async (s) => {
    const [r, rid] = await redirectTarget(s);
    const [c, w, c3] = [await s.conn(), await s.conn(), await s.conn()];
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    await s.call(c, 'get', 'GET', 'key1');
    await s.call(c, 'get', 'GET', 'key2');
    await logFigures(s, w, 'before');
    await s.call(w, 'flushall async', 'FLUSHALL', 'ASYNC');
    await logFigures(s, w, 'after flushall async');
    await s.read(r, 'redirected null');
    await s.call(c, 'get', 'GET', 'key1');
    await s.call(w, 'flushdb async', 'FLUSHDB', 'ASYNC');
    await logFigures(s, w, 'after flushdb async');
    await s.read(r, 'redirected null');
    // the flushing client's own null follows its reply
    await s.quiet(c3, 'HELLO', '3');
    await s.call(c3, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c3, 'get', 'GET', 'key1');
    await s.call(c3, 'own flushall async', 'FLUSHALL', 'ASYNC');
    await s.read(c3, 'own null');
    await s.read(r, 'redirected null');
    await s.rest(c3, 'c3');
    await s.rest(r, 'r');
  });
});

test('DEBUG RELOAD empties the tracking table with the null invalidation (as redis-server)', async () => {
  await same(async (s) => {
    const [r, rid] = await redirectTarget(s);
    const [c, w] = [await s.conn(), await s.conn()];
    await s.call(w, 'set', 'SET', 'k', 'v');
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    await s.call(c, 'get', 'GET', 'k');
    await s.call(w, 'reload', 'DEBUG', 'RELOAD');
    await s.read(r, 'redirected null');
    await logFigures(s, w, 'after reload');
    await s.call(w, 'set', 'SET', 'k', 'v2');
    await s.rest(r, 'r');
  });
});

test('DEBUG LOADAOF empties the tracking table with the null invalidation (as redis-server)', async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.quiet(c, 'HELLO', '3');
    await s.call(w, 'set', 'SET', 'k', 'v');
    await s.call(w, 'aof on', 'CONFIG', 'SET', 'appendonly', 'yes');
    // the first rewrite runs in the background: wait for it
    for (let i = 0; i < 200; i++) {
      const r = await s.quiet(w, 'INFO', 'persistence');
      if (/aof_rewrite_in_progress:0/.test(r) && /aof_rewrite_scheduled:0/.test(r) && /aof_enabled:1/.test(r)) break;
      await sleep(25);
    }
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'get', 'GET', 'k');
    await s.call(w, 'loadaof', 'DEBUG', 'LOADAOF');
    await s.read(c, 'null');
    await s.call(c, 'get', 'GET', 'k');
    await logFigures(s, w, 'after loadaof');
    await s.call(w, 'aof off', 'CONFIG', 'SET', 'appendonly', 'no');
    await s.rest(c, 'c');
  });
});

test('INFO tracking figures: keys, items (client ids), prefixes, clients; OFF leaves keys in the table (as redis-server)', async () => {
  await same(async (s) => {
    const [c1, c2, b, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    await logFigures(s, w, 'none');
    await s.quiet(c1, 'HELLO', '3');
    await s.quiet(c2, 'HELLO', '3');
    await s.call(c1, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c2, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c1, 'mget', 'MGET', 'a', 'b');
    await s.call(c2, 'get', 'GET', 'a');
    await s.call(c1, 'get again', 'GET', 'a');
    await s.call(b, 'bcast', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p:', 'PREFIX', 'q:');
    await logFigures(s, w, 'reads');
    await s.call(w, 'set p:1', 'SET', 'p:1', 'x');
    await logFigures(s, w, 'bcast write');
    await s.call(c1, 'off', 'CLIENT', 'TRACKING', 'OFF');
    await logFigures(s, w, 'c1 off');
    await s.call(w, 'set a', 'SET', 'a', '1');
    await s.read(c2, 'c2 inv a');
    await logFigures(s, w, 'a changed');
    await s.call(b, 'bcast off', 'CLIENT', 'TRACKING', 'OFF');
    await logFigures(s, w, 'b off');
    await s.rest(c1, 'c1');
  });
});

test('after a switch to BCAST, keys read before send nothing from the table, only the broadcast (as redis-server)', async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.quiet(c, 'HELLO', '3');
    await s.call(w, 'set', 'SET', 'key1', '1');
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'get', 'GET', 'key1');
    await s.call(c, 'off', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'bcast', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.call(w, 'incr', 'INCR', 'key1');
    await s.read(c, 'one invalidation');
    await s.call(c, 'ping', 'PING');
    await logFigures(s, w, 'figures');
    await s.rest(c, 'c');
  });
});

test("BCAST NOLOOP: a script's writes and expiries are not the client's own (as redis-server)", async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.quiet(c, 'HELLO', '3');
    await s.call(c, 'bcast noloop', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP');
    await s.call(c, 'own set', 'SET', 'own', '1');
    await s.call(c, 'ping', 'PING');
    await s.call(c, 'eval', 'EVAL', "return redis.call('SET', KEYS[1], '1')", '1', 'viascript');
    await s.read(c, 'script write is broadcast');
    await s.call(w, 'no active expire', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await s.call(c, 'own set px', 'SET', 'exp', '1', 'PX', '20');
    await sleep(60);
    await s.call(c, 'get expired', 'GET', 'exp');
    await s.read(c, 'lazy expiry is broadcast');
    await s.call(w, 'active expire', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await s.rest(c, 'c');
  });
});

test('an invalidation and a keyspace event for another client: SET invalidates first, expiry notifies first (as redis-server)', async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.call(w, 'events', 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await s.call(w, 'no active expire', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await s.quiet(c, 'HELLO', '3');
    await s.callN(c, 'sub', 2, 'SUBSCRIBE', '__keyevent@0__:expired', '__keyevent@0__:set');
    await s.call(c, 'tracking', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'get', 'GET', 'k');
    await s.call(w, 'set', 'SET', 'k', 'v', 'PX', '20');
    await s.read(c, 'first');
    await s.read(c, 'second');
    await s.call(c, 'get', 'GET', 'k');
    await sleep(60);
    await s.call(w, 'get (expires it)', 'GET', 'k');
    await s.read(c, 'first');
    await s.read(c, 'second');
    await s.call(w, 'active expire', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await s.rest(c, 'c');
  });
});

/** Sends commands without waiting and returns everything that arrived within a while. */
async function exchange(c: RawConn, cmds: string[][], ms = 120): Promise<string> {
  for (const cmd of cmds) c.write(encode(cmd));
  await sleep(ms);
  return c.take();
}

test('RESP2: (un)subscribe confirmations go out under CLIENT REPLY OFF and SKIP, other replies do not (as redis-server)', async () => {
  const run = async (port: number): Promise<string[]> => {
    const c = await RawConn.connect(port);
    const p = await RawConn.connect(port);
    const out: string[] = [];
    try {
      out.push(
        await exchange(c, [
          ['CLIENT', 'REPLY', 'OFF'],
          ['GET', 'x'],
          ['SUBSCRIBE', 'a', 'b'],
          ['PSUBSCRIBE', 'p*'],
        ]),
      );
      await p.call('PUBLISH', 'a', 'hi');
      out.push(await exchange(c, []));
      out.push(
        await exchange(c, [['UNSUBSCRIBE', 'a', 'b'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE'], ['GET'], ['GET', 'x']]),
      );
      out.push(
        await exchange(c, [['CLIENT', 'REPLY', 'ON'], ['CLIENT', 'REPLY', 'SKIP'], ['SSUBSCRIBE', 's'], ['PING']]),
      );
      out.push(await exchange(c, [['CLIENT', 'REPLY', 'SKIP'], ['SUNSUBSCRIBE'], ['PING']]));
    } finally {
      c.close();
      p.close();
    }
    return out;
  };
  const mine = await run(d!.tsdis.port);
  assert.deepEqual(mine, await d.onReferencePort(run));
  assert.match(mine[0]!, /^\*3\r\n\$9\r\nsubscribe\r\n\$1\r\na\r\n:1\r\n/);
});

// ---------------------------------------------------------------------------
// Redis 7.2 only (pinned from 7.2.4's server.c call()/afterCommand, networking.c
// pending_push_messages, tracking.c and tests/unit/tracking.tcl; 7.0.15 differs).

/** A fresh RESP3 connection to tsdis with tracking on (extra CLIENT TRACKING arguments appended). */
async function tracked(...opts: string[]): Promise<RawConn> {
  const c = await RawConn.connect(srv.port);
  await c.call('HELLO', '3');
  assert.equal(await c.call('CLIENT', 'TRACKING', 'ON', ...opts), '+OK\r\n');
  return c;
}

const inv = (...keys: string[]): string =>
  `>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join('')}`;

test('Redis 7.2: invalidations caused inside MULTI/EXEC arrive after the EXEC reply', async () => {
  const c = await tracked();
  try {
    await c.call('MSET', 'a{t}', '1', 'b{t}', '2');
    await c.call('GET', 'a{t}');
    assert.equal(
      await exchange(c, [['MULTI'], ['INCR', 'a{t}'], ['GET', 'b{t}'], ['EXEC']]),
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n$1\r\n2\r\n' + inv('a{t}'),
    );
    await c.call('GET', 'a{t}');
    assert.equal(
      await exchange(c, [['MULTI'], ['FLUSHDB'], ['EXEC']]),
      '+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n',
    );
  } finally {
    c.close();
  }
});

test('Redis 7.2: a script tracks only the keys its read-only commands read, and its invalidations follow its reply', async () => {
  const w = await RawConn.connect(srv.port);
  await w.call('FLUSHALL');
  const c = await tracked();
  try {
    await w.call('MSET', 'key1{t}', '1', 'key2{t}', '1');
    // a script that reads nothing tracks nothing (not even its declared keys)
    await c.call('EVAL', "redis.call('set', 'key3{t}', 'bar')", '2', 'key1{t}', 'key2{t}');
    await w.call('MSET', 'key2{t}', '2', 'key1{t}', '2');
    assert.equal(await exchange(c, [['PING']]), '+PONG\r\n');
    // only what it read
    await c.call('EVAL', "redis.call('get', 'key2{t}')", '2', 'key1{t}', 'key2{t}');
    await w.call('MSET', 'key2{t}', '3', 'key1{t}', '3');
    assert.equal(await exchange(c, [['PING']]), inv('key2{t}') + '+PONG\r\n');
    // EVAL_RO: its own keys are not tracked either
    await c.call('EVAL_RO', "redis.call('ping')", '2', 'key1{t}', 'key2{t}');
    await w.call('MSET', 'key2{t}', '4', 'key1{t}', '4');
    assert.equal(await exchange(c, [['PING']]), '+PONG\r\n');
    await c.call('EVAL_RO', "redis.call('get', 'key2{t}')", '2', 'key1{t}', 'key2{t}');
    await w.call('MSET', 'key2{t}', '5', 'key1{t}', '5');
    assert.equal(await exchange(c, [['PING']]), inv('key2{t}') + '+PONG\r\n');
    // a script changing a key its caller tracks: the invalidation follows the EVAL reply
    await c.call('GET', 'key1{t}');
    assert.equal(
      await exchange(c, [['EVAL', "redis.call('set', KEYS[1], 'x') return 'done'", '1', 'key1{t}']]),
      '$4\r\ndone\r\n' + inv('key1{t}'),
    );
  } finally {
    c.close();
    w.close();
  }
});

test('Redis 7.2: an unblocked BLMOVE gets the invalidation it caused after its reply', async () => {
  const c = await tracked();
  const w = await RawConn.connect(srv.port);
  try {
    await w.call('DEL', 'list1{t}', 'list2{t}');
    await w.call('RPUSH', 'list2{t}', 'a');
    await c.call('LRANGE', 'list2{t}', '0', '-1');
    c.write(encode(['BLMOVE', 'list1{t}', 'list2{t}', 'LEFT', 'LEFT', '0']));
    await sleep(50);
    await w.call('RPUSH', 'list1{t}', 'foo');
    await sleep(50);
    assert.equal(c.take(), '$3\r\nfoo\r\n' + inv('list2{t}'));
  } finally {
    c.close();
    w.close();
  }
});

test('Redis 7.2: pushes for the running client come after its reply: its keyspace event, then its invalidation', async () => {
  const c = await tracked();
  const w = await RawConn.connect(srv.port);
  try {
    await w.call('CONFIG', 'SET', 'notify-keyspace-events', 'KA');
    await c.call('SUBSCRIBE', '__keyspace@0__:k');
    await c.call('GET', 'k');
    assert.equal(
      await exchange(c, [['SET', 'k', 'v']]),
      '+OK\r\n>3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n' + inv('k'),
    );
  } finally {
    await w.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    c.close();
    w.close();
  }
});

test('Redis 7.2: an invalidation redirected to the client running the command follows its reply', async () => {
  const r = await RawConn.connect(srv.port);
  await r.call('HELLO', '3');
  const rid = (await r.call('CLIENT', 'ID')).slice(1, -2);
  const c = await tracked('REDIRECT', rid);
  try {
    await c.call('GET', 'rk');
    assert.equal(await exchange(r, [['SET', 'rk', '1']]), '+OK\r\n' + inv('rk'));
  } finally {
    c.close();
    r.close();
  }
});

// tsdis's choice where Redis is random (README): the keys first remembered go first.
test('tracking-table-max-keys drops the keys first remembered first', async () => {
  const r = await RawConn.connect(srv.port);
  const rid = (await r.call('CLIENT', 'ID')).slice(1, -2);
  await r.call('SUBSCRIBE', '__redis__:invalidate');
  const c = await RawConn.connect(srv.port);
  const w = await RawConn.connect(srv.port);
  try {
    await w.call('FLUSHALL');
    await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    for (const k of ['k3', 'k1', 'k2', 'k4']) await c.call('GET', k);
    await w.call('DEBUG', 'PAUSE-CRON', '1');
    await w.call('CONFIG', 'SET', 'tracking-table-max-keys', '2');
    await w.call('PING');
    const msg = (k: string): string => `*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\n${k}\r\n`;
    assert.equal(await r.read(), msg('k3'));
    assert.equal(await r.read(), msg('k1'));
    assert.match(await w.call('INFO', 'stats'), /tracking_total_keys:2\r\n/);
  } finally {
    await w.call('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    await w.call('DEBUG', 'PAUSE-CRON', '0');
    c.close();
    r.close();
    w.close();
  }
});

test('CLIENT TRACKING option rules and error texts: PREFIX without BCAST, switching BCAST and OPTIN/OPTOUT, REDIRECT checks, OFF parses its options (as redis-server)', async () => {
  await same(async (s) => {
    const [c, o] = [await s.conn(), await s.conn()];
    const oid = (await s.quiet(o, 'CLIENT', 'ID')).slice(1, -2);
    const cid = (await s.quiet(c, 'CLIENT', 'ID')).slice(1, -2);
    const tries: string[][] = [
      ['ON', 'PREFIX', 'a'],
      ['ON', 'BCAST', 'OPTIN'],
      ['ON', 'BCAST', 'OPTOUT'],
      ['ON', 'OPTIN', 'OPTOUT'],
      ['ON', 'BCAST', 'OPTIN', 'OPTOUT'],
      ['ON', 'REDIRECT', oid, 'REDIRECT', oid],
      ['ON', 'REDIRECT', 'x'],
      ['ON', 'REDIRECT', '99999999'],
      ['ON', 'REDIRECT', '-1'],
      ['ON', 'REDIRECT', '0'],
      ['ON', 'REDIRECT', '99999999999999999999'],
      ['ON', 'REDIRECT'],
      ['ON', 'PREFIX'],
      ['ON', 'NOSUCH'],
      ['MAYBE'],
      ['MAYBE', 'BCAST'],
      ['OFF', 'REDIRECT', '99999999'],
      ['OFF', 'NOSUCH'],
      ['OFF', 'PREFIX', 'a'],
      ['OFF', 'BCAST', 'OPTIN'],
    ];
    for (const t of tries) await s.call(c, t.map((x) => (x === oid ? 'ID' : x)).join(' '), 'CLIENT', 'TRACKING', ...t);
    await s.call(c, 'trackinginfo', 'CLIENT', 'TRACKINGINFO');
    // switching while on
    await s.call(c, 'on optin', 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await s.call(c, 'optout while optin', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await s.call(c, 'bcast while on', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.call(c, 'optin again, noloop', 'CLIENT', 'TRACKING', 'ON', 'OPTIN', 'NOLOOP');
    await s.call(c, 'trackinginfo', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'no options: optin dropped', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'trackinginfo', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'optout now', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await s.call(c, 'redirect to itself', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT', 'REDIRECT', cid);
    s.log.push(`getredir is own id: ${(await s.quiet(c, 'CLIENT', 'GETREDIR')) === `:${cid}\r\n`}`);
    await s.call(c, 'off', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'off again', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'getredir off', 'CLIENT', 'GETREDIR');
    // BCAST prefixes
    await s.call(c, 'bcast', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'foo', 'PREFIX', 'bar');
    await s.call(c, 'optin while bcast', 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await s.call(c, 'prefix without bcast while bcast', 'CLIENT', 'TRACKING', 'ON', 'PREFIX', 'x');
    await s.call(c, 'overlap existing (shorter)', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'fo');
    await s.call(c, 'overlap existing (longer)', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'barb');
    await s.call(c, 'same prefix again', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'bar');
    await s.call(c, 'overlap provided', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'zz', 'PREFIX', 'z');
    await s.call(c, 'empty prefix overlaps all', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', '');
    await s.call(c, 'add a prefix', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'baz', 'NOLOOP');
    await s.call(c, 'bcast without prefix adds none', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.call(c, 'trackinginfo', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'off', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'trackinginfo off', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'bcast, empty prefix', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.call(c, 'a prefix after the empty one', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a');
    await s.quiet(c, 'HELLO', '3');
    await s.call(c, 'trackinginfo resp3', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'off', 'CLIENT', 'TRACKING', 'OFF');
  });
});

test('CLIENT CACHING: its errors, the next command only (a whole transaction; CLIENT subcommands keep it) (as redis-server)', async () => {
  await same(async (s) => {
    const [c, w] = [await s.conn(), await s.conn()];
    await s.quiet(c, 'HELLO', '3');
    await s.call(c, 'caching off', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'caching no off', 'CLIENT', 'CACHING', 'NO');
    await s.call(c, 'caching bad off', 'CLIENT', 'CACHING', 'MAYBE');
    await s.call(c, 'caching arity', 'CLIENT', 'CACHING');
    await s.call(c, 'caching arity', 'CLIENT', 'CACHING', 'YES', 'NO');
    await s.call(c, 'on', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c, 'caching yes default', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'caching no default', 'CLIENT', 'CACHING', 'NO');
    await s.call(c, 'caching bad', 'CLIENT', 'CACHING', 'maybe');
    await s.call(c, 'optin', 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await s.call(c, 'caching no in optin', 'CLIENT', 'CACHING', 'NO');
    await s.call(c, 'caching yes', 'CLIENT', 'CACHING', 'yes');
    await s.call(c, 'client id keeps it', 'CLIENT', 'GETREDIR');
    await s.call(c, 'info', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'get a (tracked)', 'GET', 'a');
    await s.call(c, 'get b (not tracked)', 'GET', 'b');
    await s.call(c, 'info', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'caching yes', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'unknown command clears it', 'NOSUCHCMD');
    await s.call(c, 'get c (not tracked)', 'GET', 'c');
    await s.call(c, 'caching yes', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'get d', 'GET', 'd');
    await s.call(c, 'get e', 'GET', 'e');
    await s.call(c, 'exec', 'EXEC');
    await s.call(c, 'get f (not tracked)', 'GET', 'f');
    await s.call(c, 'caching yes', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'wrong arity keeps it? ', 'GET');
    await s.call(c, 'get g', 'GET', 'g');
    await s.call(w, 'mset', 'MSET', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'e', '1', 'f', '1', 'g', '1');
    for (let i = 0; ; i++) {
      const m = await c.read(200).catch(() => null);
      if (m === null) break;
      s.log.push(`inv ${i}: ${JSON.stringify(m)}`);
    }
    await s.call(c, 'optout', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'optout', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await s.call(c, 'caching yes in optout', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'caching no', 'CLIENT', 'CACHING', 'NO');
    await s.call(c, 'info', 'CLIENT', 'TRACKINGINFO');
    await s.call(c, 'get h (not tracked)', 'GET', 'h');
    await s.call(c, 'get i (tracked)', 'GET', 'i');
    await s.call(c, 'bcast after off', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c, 'bcast', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.call(c, 'caching in bcast', 'CLIENT', 'CACHING', 'YES');
    await s.call(c, 'caching in bcast', 'CLIENT', 'CACHING', 'NO');
    await s.call(c, 'off', 'CLIENT', 'TRACKING', 'OFF');
  });
});

test('REDIRECT to a client that closed: RESP3 gets tracking-redir-broken (once per invalidation), RESP2 nothing; TRACKINGINFO says broken_redirect (as redis-server)', async () => {
  await same(async (s) => {
    const [c3, c2, w] = [await s.conn(), await s.conn(), await s.conn()];
    const r = await s.conn();
    const rid = (await s.quiet(r, 'CLIENT', 'ID')).slice(1, -2);
    await s.quiet(c3, 'HELLO', '3');
    await s.call(c3, 'redirect', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    await s.call(c2, 'redirect', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    await s.call(c3, 'mget', 'MGET', 'k1', 'k2');
    await s.call(c2, 'get', 'GET', 'k1');
    await s.call(w, 'kill', 'CLIENT', 'KILL', 'ID', rid);
    await s.call(w, 'mset', 'MSET', 'k1', '1', 'k2', '2');
    await readId(s, c3, 'broken k1', rid);
    await readId(s, c3, 'broken k2', rid);
    s.send(c3, 'CLIENT', 'TRACKINGINFO');
    await readId(s, c3, 'info', rid);
    s.send(c2, 'CLIENT', 'TRACKINGINFO');
    await readId(s, c2, 'info', rid);
    s.send(c3, 'CLIENT', 'GETREDIR');
    await readId(s, c3, 'getredir', rid);
    await s.call(c3, 'get', 'GET', 'k1');
    await s.call(w, 'flushall', 'FLUSHALL');
    await readId(s, c3, 'broken flush', rid);
    await s.call(c3, 'own write', 'GET', 'k3');
    await s.call(c3, 'own write', 'SET', 'k3', '1');
    await readId(s, c3, 'broken own, after the reply', rid);
    await s.call(c3, 'bcast redirect', 'CLIENT', 'TRACKING', 'OFF');
    await s.call(c3, 'redirect to gone id', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', rid);
    await s.call(c3, 'tracking on again clears broken', 'CLIENT', 'TRACKING', 'ON');
    await s.call(c3, 'info', 'CLIENT', 'TRACKINGINFO');
    await s.rest(c3, 'c3');
    await s.rest(c2, 'c2');
  });
});

test('REDIRECT with BCAST to a client that closed, and to a RESP2 client not subscribed (as redis-server)', async () => {
  await same(async (s) => {
    const [c3, w] = [await s.conn(), await s.conn()];
    const [r, n] = [await s.conn(), await s.conn()];
    const rid = (await s.quiet(r, 'CLIENT', 'ID')).slice(1, -2);
    const nid = (await s.quiet(n, 'CLIENT', 'ID')).slice(1, -2);
    await s.quiet(c3, 'HELLO', '3');
    await s.call(c3, 'bcast redirect', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p:', 'REDIRECT', rid);
    await s.call(w, 'kill', 'CLIENT', 'KILL', 'ID', rid);
    await s.call(w, 'mset', 'MSET', 'p:1', '1', 'p:2', '2');
    await readId(s, c3, 'broken bcast', rid);
    s.send(c3, 'CLIENT', 'TRACKINGINFO');
    await readId(s, c3, 'info', rid);
    await s.call(c3, 'off', 'CLIENT', 'TRACKING', 'OFF');
    // RESP2 target not in pub/sub mode: the message is dropped
    await s.call(c3, 'redirect to unsubscribed', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', nid);
    await s.call(c3, 'get', 'GET', 'x');
    await s.call(w, 'set', 'SET', 'x', '1');
    await s.call(n, 'ping', 'PING');
    await s.rest(c3, 'c3');
    await s.rest(n, 'n');
  });
});

// A deliberate difference (README): Redis 7.2.4's checkPrefixCollisionsOrReply returns the
// index of the prefix that overlaps a later one in the same command, so from the second
// prefix on it replies with the error and then +OK, enabling BCAST with every prefix. Two
// replies to one command would desynchronise a client; tsdis replies with the error only.
test('CLIENT TRACKING BCAST: prefixes overlapping each other in one command are refused with one reply, whatever their position', async () => {
  const c = await RawConn.connect(srv.port);
  try {
    const r = await exchange(c, [
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b', 'PREFIX', 'bc'],
      ['CLIENT', 'TRACKINGINFO'],
    ]);
    assert.equal(
      r,
      "-ERR Prefix 'b' overlaps with another provided prefix 'bc'. Prefixes for a single client must not overlap.\r\n" +
        '*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n',
    );
  } finally {
    c.close();
  }
});

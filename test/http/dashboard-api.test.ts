/**
 * The dashboard's server side without a browser (src/http/dashboard.ts,
 * snapshot.ts, keys.ts): the page's files, the Server-Sent Events stream
 * (no timer and no snapshot while nobody listens; a snapshot's figures are
 * INFO's), and the key browser's API (SCAN with a pattern and a cursor,
 * binary keys, previews of every type, 404/400, the ACL).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startTsdis, freePort } from '../helpers/servers.js';
import { until, sleep } from '../helpers/wait.js';
import { buildSnapshot, CLIENTS_SHOWN, type Snapshot } from '../../src/http/snapshot.js';
import { display, parseQuery } from '../../src/http/text.js';

const httpPort = await freePort();
const srv = await startTsdis({ config: { 'http-port': httpPort } });
after(() => srv.close());
const dash = srv.server.dashboard;
const base = `http://127.0.0.1:${httpPort}`;

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A GET on the HTTP port (optionally as user:pass), its whole body read. */
function get(path: string, auth?: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers['Authorization'] = `Basic ${Buffer.from(auth, 'latin1').toString('base64')}`;
    http
      .get(`${base}${path}`, { headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const json = async (path: string, auth?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const r = await get(path, auth);
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
};

/** A key's bytes as the page sends them: every byte percent-escaped. */
const q = (key: string): string =>
  [...Buffer.from(key, 'latin1')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');

/** An /events stream: the snapshots it received so far, and a way to close it. */
function subscribe(auth?: string): Promise<{ events: Snapshot[]; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (auth !== undefined) headers['Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = http.get(`${base}/events`, { headers, agent: false }, (res) => {
      const events: Snapshot[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          for (const line of frame.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)));
        }
      });
      res.on('error', () => {});
      resolve({ events, close: () => req.destroy(), status: res.statusCode ?? 0 });
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
  });
}

test('the page and its files are served, with a content security policy', async () => {
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.match(page.body, /<title>tsdis dashboard<\/title>/);
  for (const [path, type] of [
    ['/static/app.js', /^text\/javascript/],
    ['/static/style.css', /^text\/css/],
    ['/static/uPlot.iife.min.js', /^text\/javascript/],
    ['/static/uPlot.min.css', /^text\/css/],
  ] as const) {
    const r = await get(path);
    assert.equal(r.status, 200, path);
    assert.match(String(r.headers['content-type']), type, path);
    assert.ok(r.body.length > 100, path);
    assert.ok(page.body.includes(path.slice(1)), `the page loads ${path}`);
  }
  // no file is fetched from anywhere else
  assert.doesNotMatch(page.body, /https?:\/\//);
  const again = await new Promise<number>((resolve, reject) => {
    const etag = String(page.headers['etag']);
    http
      .get(`${base}/`, { headers: { 'If-None-Match': etag }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
  assert.equal(again, 304);
  assert.equal((await get('/static/nope.js')).status, 404);
});

test('no timer and no snapshot while nobody listens; a stream gets one a second; the last to leave stops the timer', async () => {
  assert.equal(dash.ticking, false);
  assert.equal(dash.watching, 0);
  const before = dash.snapshots;
  // the subject is time passing with nobody listening: nothing may be built
  await sleep(1300);
  assert.equal(dash.snapshots, before);
  assert.equal(dash.ticking, false);

  await srv.call('SET', 'sse:k', 'v');
  const a = await subscribe();
  assert.equal(a.status, 200);
  const b = await subscribe();
  await until('three snapshots on the first stream', () => a.events.length >= 3, { timeout: 8000 });
  assert.equal(dash.watching, 2);
  assert.equal(dash.ticking, true);
  const last = a.events[a.events.length - 1]!;
  assert.equal(last.v, 1);
  assert.ok(a.events[1]!.t - a.events[0]!.t >= 500, 'about a second apart');
  assert.ok(last.commands.some(([name, calls]) => name === 'set' && calls >= 1));
  assert.match(String(last.info['keyspace']!['db0']), /^keys=\d+,expires=\d+,avg_ttl=\d+/);

  // a HEAD of the stream gets its headers and no stream
  const head = await new Promise<{ status: number; type: string }>((resolve, reject) => {
    const req = http.request(`${base}/events`, { method: 'HEAD', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(head, { status: 200, type: 'text/event-stream; charset=utf-8' });
  assert.equal(dash.watching, 2);

  a.close();
  await until('one subscriber left', () => dash.watching === 1);
  assert.equal(dash.ticking, true);
  b.close();
  await until('no subscriber and no timer', () => dash.watching === 0 && !dash.ticking);
  const after = dash.snapshots;
  // the subject is time passing after the last page left: nothing may be built
  await sleep(1300);
  assert.equal(dash.snapshots, after);
});

test("a snapshot's figures are INFO's", async () => {
  for (let i = 0; i < 50; i++) await srv.call('SET', `fig:${i}`, 'x');
  for (let i = 0; i < 30; i++) await srv.call('GET', `fig:${i}`);
  await srv.call('GET', 'fig:none');
  await srv.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await srv.call('PING');
  await srv.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  const snap = buildSnapshot(srv.server);
  const info = String(await srv.call('INFO', 'everything'));
  const field = (name: string): string => new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)![1]!;
  assert.equal(String(snap.info['stats']!['keyspace_hits']), field('keyspace_hits'));
  assert.equal(String(snap.info['stats']!['keyspace_misses']), field('keyspace_misses'));
  assert.equal(String(snap.info['keyspace']!['db0']), field('db0'));
  assert.equal(String(snap.info['memory']!['maxmemory_policy']), field('maxmemory_policy'));
  assert.equal(String(snap.info['replication']!['role']), field('role'));
  const get = snap.commands.find((c) => c[0] === 'get')!;
  assert.match(field('cmdstat_get'), new RegExp(`^calls=${get[1]},usec=${get[2]},`));
  const pcts = snap.latency.cmds['get']!;
  assert.equal(
    field('latency_percentiles_usec_get'),
    snap.latency.pcts.map((p, i) => `p${p}=${pcts[i]!.toFixed(3)}`).join(','),
  );
  assert.deepEqual(snap.latency.pcts, [50, 99, 99.9]);
  assert.ok(snap.slowlog.len >= 1);
  assert.ok(snap.slowlog.entries.some((e) => e.args.join(' ') === 'PING' || e.args[0] === 'CONFIG'));
});

test('a snapshot lists at most CLIENTS_SHOWN clients, and counts them all', async () => {
  const socks: net.Socket[] = [];
  after(() => socks.forEach((s) => s.destroy()));
  for (let i = 0; i < CLIENTS_SHOWN + 20; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    socks.push(s);
    await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
  }
  await until('the server has them all', () => srv.server.clients.size >= CLIENTS_SHOWN + 20);
  const snap = buildSnapshot(srv.server);
  assert.equal(snap.clients.list.length, CLIENTS_SHOWN);
  assert.equal(snap.clients.total, srv.server.clients.size);
  const first = snap.clients.list[0]!;
  for (const f of ['id', 'addr', 'age', 'idle', 'flags', 'db', 'cmd', 'user', 'tot-mem']) assert.ok(f in first, f);
  for (const s of socks) s.destroy();
  await until('they are gone', () => srv.server.clients.size < CLIENTS_SHOWN);
});

test('display() shows clean UTF-8 as text and anything else quoted; parseQuery() decodes bytes', () => {
  assert.equal(display('plain:key'), 'plain:key');
  assert.equal(display(Buffer.from('café ☕', 'utf8').latin1Slice(0)), 'café ☕');
  assert.equal(display('\xff\x00a'), '"\\xff\\x00a"');
  assert.equal(display('a\nb'), '"a\\nb"');
  // a bidirectional override would reorder what follows it on screen
  assert.equal(display(Buffer.from('a\u202eb', 'utf8').latin1Slice(0)), '"a\\xe2\\x80\\xaeb"');
  const m = parseQuery('/api/key?db=1&key=%FF%00%41+b&pattern=caf%C3%A9*&x');
  assert.equal(m.get('db'), '1');
  assert.equal(m.get('key'), '\xff\x00A b');
  assert.equal(m.get('pattern'), 'caf\xc3\xa9*');
  assert.equal(m.get('x'), '');
});

test('the key browser scans by pattern with a cursor, with types and TTLs', async () => {
  await srv.call('SELECT', '0');
  for (let i = 0; i < 300; i++) await srv.call('SET', `kb:user:${i}`, `name-${i}`);
  await srv.call('EXPIRE', 'kb:user:42', '1000');
  const seen = new Map<string, { type: string; ttl: number; raw: string }>();
  let cursor = '0';
  let calls = 0;
  do {
    const r = await json(`/api/keys?db=0&pattern=${encodeURIComponent('kb:user:4*')}&cursor=${cursor}&count=5`);
    assert.equal(r.status, 200);
    cursor = String(r.body['cursor']);
    for (const k of r.body['keys'] as { key: string; type: string; ttl: number; raw: string }[]) seen.set(k.key, k);
    calls++;
  } while (cursor !== '0' && calls < 100);
  assert.equal(cursor, '0');
  const want = [4, ...Array.from({ length: 10 }, (_, i) => 40 + i), ...Array.from({ length: 100 }, (_, i) => 400 + i)]
    .filter((i) => i < 300)
    .map((i) => `kb:user:${i}`);
  assert.deepEqual([...seen.keys()].sort(), want.sort());
  assert.equal(seen.get('kb:user:4')!.type, 'string');
  assert.equal(seen.get('kb:user:4')!.ttl, -1);
  assert.ok(seen.get('kb:user:42')!.ttl > 990_000);
  assert.equal(seen.get('kb:user:4')!.raw, Buffer.from('kb:user:4').toString('hex'));

  assert.equal((await json('/api/keys?db=99')).status, 400);
  assert.equal((await json('/api/keys?db=0&cursor=x')).status, 400);
});

test('the key browser shows each type with a bounded preview, binary keys included', async () => {
  const bin = '\xff\x00<img src=x onerror=alert(1)>';
  await srv.call('SET', bin, 'v'.repeat(5000));
  await srv.call('RPUSH', 'kb:list', ...Array.from({ length: 30 }, (_, i) => `e${i}`));
  await srv.call('HSET', 'kb:hash', 'f1', 'v1', 'f2', '\x01\x02');
  await srv.call('SADD', 'kb:set', 'a', 'b', 'c');
  await srv.call('ZADD', 'kb:zset', '1', 'one', '2.5', 'two');
  await srv.call('XADD', 'kb:stream', '1-1', 'field', 'value');

  const s = await json(`/api/key?db=0&key=${q(bin)}`);
  assert.equal(s.status, 200);
  assert.equal(s.body['key'], '"\\xff\\x00<img src=x onerror=alert(1)>"');
  assert.equal(s.body['type'], 'string');
  assert.equal(s.body['length'], 5000);
  assert.equal(typeof s.body['memory'], 'number');
  const sp = s.body['preview'] as { kind: string; text: string; more: number };
  assert.equal(sp.kind, 'string');
  assert.equal(sp.text, 'v'.repeat(1024));
  assert.equal(sp.more, 5000 - 1024);

  const l = await json('/api/key?db=0&key=kb%3Alist');
  assert.equal(l.body['length'], 30);
  const lp = l.body['preview'] as { items: { text: string }[] };
  assert.deepEqual(
    lp.items.map((c) => c.text),
    Array.from({ length: 20 }, (_, i) => `e${i}`),
  );

  const hsh = await json('/api/key?db=0&key=kb:hash');
  assert.equal(hsh.body['type'], 'hash');
  const hp = hsh.body['preview'] as { pairs: [{ text: string }, { text: string }][] };
  assert.deepEqual(hp.pairs.map(([f, v]) => [f.text, v.text]).sort(), [
    ['f1', 'v1'],
    ['f2', '"\\x01\\x02"'],
  ]);
  const z = await json('/api/key?db=0&key=kb:zset');
  assert.deepEqual(
    (z.body['preview'] as { pairs: [{ text: string }, { text: string }][] }).pairs.map(([m, sc]) => [m.text, sc.text]),
    [
      ['one', '1'],
      ['two', '2.5'],
    ],
  );
  const st = await json('/api/key?db=0&key=kb:set');
  assert.equal(st.body['length'], 3);
  const x = await json('/api/key?db=0&key=kb:stream');
  assert.deepEqual(x.body['preview'], {
    kind: 'stream',
    entries: [
      {
        id: '1-1',
        fields: [
          [
            { text: 'field', more: 0 },
            { text: 'value', more: 0 },
          ],
        ],
      },
    ],
  });

  assert.equal((await json('/api/key?db=0&key=kb:nope')).status, 404);
  assert.equal((await json('/api/key?db=0')).status, 400);
  // read-only: nothing was changed by looking
  assert.equal(await srv.call('LLEN', 'kb:list'), 30);
});

test('with a password, the key browser follows the ACL: what a user may not run is not run', async () => {
  await srv.call('ACL', 'SETUSER', 'viewer', 'on', '>pw', '~*', '+info', '+scan', '+type', '+pttl');
  await srv.call('ACL', 'SETUSER', 'infoonly', 'on', '>pw', '~*', '+info');
  await srv.call('ACL', 'SETUSER', 'narrow', 'on', '>pw', '~kb:list', '+@read', '+info');
  await srv.call('CONFIG', 'SET', 'requirepass', 'adminpw');
  after(() => srv.call('CONFIG', 'SET', 'requirepass', ''));
  assert.equal((await get('/api/keys?pattern=kb:*')).status, 401);
  assert.equal((await get('/')).status, 401);

  const v = await json(`/api/keys?pattern=${encodeURIComponent('kb:user:1')}`, 'viewer:pw');
  assert.equal(v.status, 200);
  const detail = await json('/api/key?key=kb:list', 'viewer:pw');
  assert.equal(detail.status, 200);
  assert.equal(detail.body['type'], 'list');
  // no LLEN, LRANGE nor MEMORY for this user: those figures are left out
  assert.equal(detail.body['preview'], null);
  assert.equal(detail.body['length'], null);
  assert.equal(detail.body['memory'], null);

  assert.equal((await get('/api/keys', 'infoonly:pw')).status, 403);
  assert.equal((await get('/api/key?key=kb:list', 'infoonly:pw')).status, 403);
  const n = await json('/api/key?key=kb:list', 'narrow:pw');
  assert.equal(n.status, 200);
  assert.equal(n.body['length'], 30);
  assert.equal((await get('/api/key?key=kb:hash', 'narrow:pw')).status, 403);

  // a stream whose user loses INFO ends at the next tick
  const s = await subscribe('viewer:pw');
  assert.equal(s.status, 200);
  await until('a snapshot', () => s.events.length >= 1);
  await srv.call('ACL', 'SETUSER', 'viewer', '-info');
  await until('the stream ended', () => dash.watching === 0 && !dash.ticking, { timeout: 5000 });
  s.close();
});

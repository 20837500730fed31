/**
 * The HTTP listener (src/http/): off by default, http-port and http-bind
 * from the config, flags and CONFIG SET (re-listening as port does), the
 * access rules (Host, Basic auth against the ACL, INFO permission,
 * protected mode), the bounds on bad input (431, 408, 404, 405, 413), each
 * checked with a RESP client's PING answering meanwhile, and the startup
 * log and banner of the CLI. Real sockets throughout.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, hasRedis, RawConn, startRedis, startTsdis } from '../helpers/servers.js';
import { startChild, type Child } from '../helpers/child.js';
import { until } from '../helpers/wait.js';
import { getAs, rawExchange, rawStatus, request, startWithHttp } from './kit.js';
import { HEADERS_TIMEOUT_MS, CHECK_INTERVAL_MS } from '../../src/http/subsystem.js';
import type { TsdisServer } from '../../src/index.js';

const servers: TsdisServer[] = [];
const children: Child[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-http-'));
after(async () => {
  for (const s of servers) await s.close();
  for (const c of children) await c.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function start(config: Record<string, string | number> = {}): Promise<{ srv: TsdisServer; httpPort: number }> {
  const r = await startWithHttp({ config });
  servers.push(r.srv);
  return r;
}

/** PING on a RESP connection answers +PONG (the HTTP side must not hold it up). */
async function pong(c: RawConn): Promise<void> {
  assert.equal(await c.call('PING'), '+PONG\r\n');
}

test('the listener is off by default: http-port 0, http-bind empty, nothing listening', async () => {
  const srv = await startTsdis();
  servers.push(srv);
  assert.deepEqual(srv.server.http.addresses(), []);
  assert.equal(srv.server.http.url(), '');
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('CONFIG', 'GET', 'http-port'), '*2\r\n$9\r\nhttp-port\r\n$1\r\n0\r\n');
  assert.equal(await c.call('CONFIG', 'GET', 'http-bind'), '*2\r\n$9\r\nhttp-bind\r\n$0\r\n\r\n');
  c.close();
});

test('GET / and /metrics answer; headers: nosniff, no CORS; HEAD has no body; unknown path 404', async () => {
  const { srv, httpPort } = await start();
  assert.equal(srv.server.http.url(), `http://127.0.0.1:${httpPort}/`);
  const r = await request(httpPort, '/', { headers: { Origin: 'http://evil.example' } });
  assert.equal(r.status, 200);
  // (the dashboard's page: test/http/dashboard-api.test.ts)
  assert.match(r.body, /<title>tsdis dashboard<\/title>/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.deepEqual(
    Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
    [],
  );
  const m = await request(httpPort, '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(m.body, /^redis_up 1$/m);
  assert.equal(m.headers['x-content-type-options'], 'nosniff');
  const h = await request(httpPort, '/metrics', { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.body, '');
  const nf = await request(httpPort, '/nosuch');
  assert.equal(nf.status, 404);
  assert.equal(nf.body, 'not found\n');
  assert.equal(nf.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(nf.headers['x-content-type-options'], 'nosniff');
});

test('bad input: 405, 413, 431, 400, a slow header 408; a RESP client keeps answering throughout', async () => {
  const { srv, httpPort } = await start();
  const c = await RawConn.connect(srv.port);
  await pong(c);
  // methods other than GET and HEAD (a CORS preflight too): 405 with Allow
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await request(httpPort, '/metrics', {
      method,
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers['allow'], 'GET, HEAD');
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    await pong(c);
  }
  // a body: 413 (not read; the connection closes)
  const body = await request(httpPort, '/metrics', {
    headers: { 'Content-Type': 'text/plain', 'Content-Length': '1000' },
    body: 'x'.repeat(1000),
  });
  assert.equal(body.status, 413);
  assert.equal(body.body, 'requests with a body are not accepted\n');
  await pong(c);
  const chunked = await rawExchange(httpPort, [
    'GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  ]);
  assert.equal(rawStatus(chunked.reply), 413);
  await pong(c);
  // headers over 16 KiB: 431 with a short text, connection closed
  const huge = await rawExchange(httpPort, [
    `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  ]);
  assert.equal(rawStatus(huge.reply), 431);
  assert.match(huge.reply, /\r\nX-Content-Type-Options: nosniff\r\n/);
  assert.match(huge.reply, /\r\n\r\nrequest headers too large\n$/);
  await pong(c);
  // garbage: 400
  const junk = await rawExchange(httpPort, ['\x00\x01 not http at all\r\n\r\n']);
  assert.equal(rawStatus(junk.reply), 400);
  await pong(c);
  // CONNECT and Upgrade are refused
  const connect = await rawExchange(httpPort, ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n']);
  assert.equal(rawStatus(connect.reply), 405);
  const upgrade = await rawExchange(httpPort, [
    'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  ]);
  assert.equal(rawStatus(upgrade.reply), 405);
  await pong(c);
  // headers sent a byte every 200 ms: 408 once HEADERS_TIMEOUT_MS have passed; PING answers meanwhile, at once
  const parts = [
    'GET / HTTP/1.1\r\nHost: localhost\r\n',
    ...'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.split(''),
  ];
  const slow = rawExchange(httpPort, parts, { gapMs: 200, ms: HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 5000 });
  let worst = 0;
  let pings = 0;
  let done = false;
  void slow.finally(() => (done = true));
  while (!done) {
    const t0 = performance.now();
    await pong(c);
    worst = Math.max(worst, performance.now() - t0);
    pings++;
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = await slow;
  assert.equal(rawStatus(s.reply), 408);
  assert.match(s.reply, /request not received in time\n$/);
  assert.ok(
    s.ms >= HEADERS_TIMEOUT_MS - 100 && s.ms <= HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 2000,
    `408 after ${s.ms} ms`,
  );
  assert.ok(pings > 10, `${pings} pings`);
  assert.ok(worst < 500, `slowest PING ${worst.toFixed(1)} ms`);
  // a connection that sends nothing is closed too
  const silent = await rawExchange(httpPort, [], { ms: HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 5000 });
  assert.ok(
    silent.ms <= HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 2000,
    `silent connection closed after ${silent.ms} ms`,
  );
  await pong(c);
  c.close();
});

test('Host must name this server: loopback names, the bound address, the local address, the hostname; else 403', async () => {
  const { httpPort } = await start();
  for (const host of [
    'localhost',
    `localhost:${httpPort}`,
    '127.0.0.1',
    '127.0.0.1:1',
    '127.9.8.7',
    '[::1]',
    '[::1]:80',
    'LOCALHOST',
    os.hostname(),
  ]) {
    const r = await request(httpPort, '/', { headers: { Host: host } });
    assert.equal(r.status, 200, host);
  }
  for (const host of [
    'evil.example',
    `evil.example:${httpPort}`,
    'localhost.evil.example',
    '10.1.2.3',
    'user@localhost',
    '[::2]',
  ]) {
    const r = await request(httpPort, '/metrics', { headers: { Host: host } });
    assert.equal(r.status, 403, host);
    assert.equal(r.body, 'invalid Host header\n');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  // (Node's client replaces an empty Host with its own)
  const empty = await rawExchange(httpPort, ['GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n']);
  assert.equal(rawStatus(empty.reply), 403);
  // HTTP/1.0 without Host (no browser sends that) is served
  const old = await rawExchange(httpPort, ['GET / HTTP/1.0\r\n\r\n']);
  assert.equal(rawStatus(old.reply.replace(/^HTTP\/1\.0/, 'HTTP/1.1')), 200);
});

test('auth: with requirepass every request needs Basic credentials; failures are logged as AUTH failures', async () => {
  const { srv, httpPort } = await start({ requirepass: 's3cret' });
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('AUTH', 's3cret'), '+OK\r\n');
  for (const path of ['/', '/metrics', '/nosuch']) {
    const r = await request(httpPort, path);
    assert.equal(r.status, 401, path);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="tsdis", charset="UTF-8"');
    assert.equal(r.body, 'authentication required\n');
  }
  // nothing logged for a request without credentials
  assert.equal(await c.call('ACL', 'LOG', 'RESET'), '+OK\r\n');
  const bad = await getAs(httpPort, '/metrics', 'default', 'wrong');
  assert.equal(bad.status, 401);
  const log = await c.call('ACL', 'LOG');
  assert.match(log, /\r\nreason\r\n\$4\r\nauth\r\n/);
  assert.match(log, /\r\nobject\r\n\$4\r\nAUTH\r\n/);
  assert.match(log, /\r\nusername\r\n\$7\r\ndefault\r\n/);
  // the entry's client is the HTTP request's peer
  assert.match(
    log,
    new RegExp(
      `\\r\\nclient-info\\r\\n\\$\\d+\\r\\nid=\\d+ addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${httpPort} `,
    ),
  );
  assert.match(await c.call('INFO', 'stats'), /acl_access_denied_auth:1\r\n/);
  assert.equal((await getAs(httpPort, '/metrics', 'default', 's3cret')).status, 200);
  // an empty user name is the default user
  assert.equal((await getAs(httpPort, '/metrics', '', 's3cret')).status, 200);
  assert.equal((await request(httpPort, '/', { headers: { Authorization: 'Bearer x' } })).status, 401);
  // a user without +info: 403; with it: 200; a disabled one: 401
  assert.equal(await c.call('ACL', 'SETUSER', 'noinfo', 'on', '>pw', '+@all', '-info'), '+OK\r\n');
  assert.equal(await c.call('ACL', 'SETUSER', 'watcher', 'on', '>pw', '+info'), '+OK\r\n');
  assert.equal(await c.call('ACL', 'SETUSER', 'gone', 'off', '>pw', '+@all'), '+OK\r\n');
  const denied = await getAs(httpPort, '/metrics', 'noinfo', 'pw');
  assert.equal(denied.status, 403);
  assert.equal(denied.body, "user 'noinfo' has no permissions to run the 'info' command\n");
  // logged as INFO's denial for that user
  const dlog = await c.call('ACL', 'LOG', '1');
  assert.match(dlog, /\r\nreason\r\n\$7\r\ncommand\r\n/);
  assert.match(dlog, /\r\nobject\r\n\$4\r\ninfo\r\n/);
  assert.match(dlog, /\r\nusername\r\n\$6\r\nnoinfo\r\n/);
  assert.equal((await getAs(httpPort, '/metrics', 'watcher', 'pw')).status, 200);
  assert.equal((await getAs(httpPort, '/metrics', 'gone', 'pw')).status, 401);
  assert.match(await c.call('INFO', 'stats'), /acl_access_denied_auth:2\r\n/);
  // no password: no credentials needed, but the default user still needs +info
  assert.equal(await c.call('CONFIG', 'SET', 'requirepass', ''), '+OK\r\n');
  assert.equal((await request(httpPort, '/metrics')).status, 200);
  assert.equal(await c.call('ACL', 'SETUSER', 'default', '-info'), '+OK\r\n');
  assert.equal((await request(httpPort, '/metrics')).status, 403);
  assert.equal(await c.call('ACL', 'SETUSER', 'default', '+info'), '+OK\r\n');
  assert.equal((await request(httpPort, '/metrics')).status, 200);
  c.close();
});

test('canRun: what a route may let a user do is the ACL check AUTH and the dispatcher apply', async () => {
  const { srv, httpPort } = await start();
  const acl = srv.server.acl;
  acl.setUser('browser', ['on', '>pw', '+info', '+scan', '+type', '~app:*']);
  const seen: boolean[][] = [];
  srv.server.http.registerRoute('/probe', (_req, res, ctx) => {
    seen.push([
      ctx.canRun(['INFO']),
      ctx.canRun(['scan', '0']),
      ctx.canRun(['type', 'app:1']),
      ctx.canRun(['type', 'other']),
      ctx.canRun(['get', 'app:1']),
      ctx.canRun(['config', 'get', 'x']),
      ctx.canRun(['nosuchcommand']),
    ]);
    res.end(ctx.user);
  });
  const r = await getAs(httpPort, '/probe', 'browser', 'pw');
  assert.equal(r.body, 'browser');
  assert.deepEqual(seen, [[true, true, true, false, false, false, false]]);
});

test('protected mode: without a password only loopback peers are served', async (t) => {
  const ip = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (ip === undefined) return t.skip('no non-loopback IPv4 address on this host');
  const { srv, httpPort } = await start({ 'http-bind': `127.0.0.1 ${ip}` });
  const r = await request(httpPort, '/metrics', { host: ip, localAddress: ip, headers: { Host: ip } });
  assert.equal(r.status, 403);
  assert.match(r.body, /^protected mode/);
  srv.server.config.set('protected-mode', 'no');
  assert.equal(
    (await request(httpPort, '/metrics', { host: ip, localAddress: ip, headers: { Host: ip } })).status,
    200,
  );
});

test('CONFIG SET http-port / http-bind listen again; a port in use fails the CONFIG SET and keeps the old one', async () => {
  const srv = await startTsdis();
  servers.push(srv);
  const c = await RawConn.connect(srv.port);
  const p1 = await freePort();
  assert.equal(await c.call('CONFIG', 'SET', 'http-port', String(p1)), '+OK\r\n');
  assert.equal((await request(p1, '/')).status, 200);
  const p2 = await freePort();
  assert.equal(await c.call('CONFIG', 'SET', 'http-port', String(p2)), '+OK\r\n');
  assert.equal((await request(p2, '/')).status, 200);
  await assert.rejects(request(p1, '/', { timeout: 2000 }));
  // a port taken by another listener
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  assert.equal(
    await c.call('CONFIG', 'SET', 'http-port', String(taken)),
    "-ERR CONFIG SET failed (possibly related to argument 'http-port') - Unable to listen on this port. Check server logs.\r\n",
  );
  blocker.close();
  assert.equal(
    await c.call('CONFIG', 'GET', 'http-port'),
    `*2\r\n$9\r\nhttp-port\r\n$${String(p2).length}\r\n${p2}\r\n`,
  );
  assert.equal((await request(p2, '/')).status, 200);
  // an address this host does not have
  assert.match(
    await c.call('CONFIG', 'SET', 'http-bind', '192.0.2.1'),
    /^-ERR CONFIG SET failed \(possibly related to argument 'http-bind'\) - Failed to bind/,
  );
  assert.equal((await request(p2, '/')).status, 200);
  assert.equal(await c.call('CONFIG', 'SET', 'http-bind', '127.0.0.1'), '+OK\r\n');
  assert.deepEqual(
    srv.server.http.addresses().map((a) => `${a.address}:${a.port}`),
    [`127.0.0.1:${p2}`],
  );
  // off again
  assert.equal(await c.call('CONFIG', 'SET', 'http-port', '0'), '+OK\r\n');
  assert.deepEqual(srv.server.http.addresses(), []);
  await assert.rejects(request(p2, '/', { timeout: 2000 }));
  c.close();
});

test('close() ends HTTP connections (an idle keep-alive one too) and the listener', async () => {
  const { srv, httpPort } = await startWithHttp();
  const sock = net.connect(httpPort, '127.0.0.1');
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now())));
  sock.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await until('the reply', () => got.trimEnd().endsWith('</html>'));
  const t0 = Date.now();
  await srv.close();
  // (before the keep-alive timeout would have closed it)
  assert.ok((await closed) - t0 < 2000);
  await assert.rejects(request(httpPort, '/', { timeout: 2000 }));
});

test('the CLI: --http-port, the log line with the URL, /metrics; a port in use stops the start', async () => {
  const httpPort = await freePort();
  const c = await startChild(['--http-port', String(httpPort), '--save', ''], tmp);
  children.push(c);
  await until('the URL logged', () => c.output().includes(`Dashboard and metrics at http://127.0.0.1:${httpPort}/`));
  const m = await request(httpPort, '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.body, new RegExp(`^redis_instance_info\\{.*tcp_port="${c.port}".*\\} 1$`, 'm'));
  // a redis.conf line
  const conf = path.join(tmp, 'http.conf');
  const p2 = await freePort();
  fs.writeFileSync(conf, `http-port ${p2}\nhttp-bind 127.0.0.1\nsave ""\n`);
  const c2 = await startChild([conf], tmp);
  children.push(c2);
  assert.equal((await request(p2, '/')).status, 200);
  // the port taken (by the first server's HTTP listener): exit 1 with the reason
  const c3 = await startChild(['--http-port', String(httpPort), '--save', ''], tmp, { waitReady: false });
  children.push(c3);
  assert.equal(await c3.exited(), 1);
  assert.match(c3.output(), new RegExp(`Failed listening on port ${httpPort} \\(http\\), aborting`));
});

test('the RESP port closes a connection that sends POST or Host: (cross protocol scripting), logging it', async () => {
  const lines: string[] = [];
  const srv = await startTsdis({ log: (l) => lines.push(l) });
  servers.push(srv);
  const post = await RawConn.connect(srv.port);
  post.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 8\r\n\r\nSET a b\r\n');
  assert.equal(await post.readUntilClose(), '');
  // a GET's first line is an unknown command whose error is dropped with the connection at Host:
  const get = await RawConn.connect(srv.port);
  get.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
  assert.equal(await get.readUntilClose(), '');
  // (logged at most once a minute)
  assert.equal(lines.filter((l) => l.includes('Possible SECURITY ATTACK detected')).length, 1);
  assert.match(
    lines.join('\n'),
    /Cross Protocol Scripting to compromise your Redis instance\. Connection from 127\.0\.0\.1:\d+ aborted\./,
  );
  // before AUTH too, and in MULTI; the server keeps serving
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('MULTI'), '+OK\r\n');
  c.write('post\r\n');
  assert.equal(await c.readUntilClose(), '');
  assert.equal(await (await RawConn.connect(srv.port)).call('SET', 'a', 'b'), '+OK\r\n');
  assert.equal(await srv.call('GET', 'a'), 'b');
  // redis-server does the same (when installed)
  if (!hasRedis()) return;
  const redis = await startRedis();
  try {
    for (const req of ['POST / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'GET / HTTP/1.1\r\nhost: localhost\r\n\r\n']) {
      const r = await RawConn.connect(redis.port);
      r.write(req);
      assert.equal(await r.readUntilClose(), '', `redis-server: ${JSON.stringify(req)}`);
    }
  } finally {
    await redis.stop();
  }
});

test('an embedded start whose http-port is taken rejects and leaves nothing open (cluster bus, AOF)', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = (blocker.address() as net.AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(tmp, 'busy-'));
  const port = await freePort({ busPort: true });
  const open = (p: number): Promise<boolean> =>
    new Promise((r) => {
      const s = net.connect(p, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
  try {
    await assert.rejects(
      startTsdis({
        config: { port, dir, 'cluster-enabled': 'yes', appendonly: 'yes', 'http-port': busy },
      }),
      /Failed listening on port \d+ \(http\): Address already in use/,
    );
    assert.equal(await open(port), false, 'client port');
    assert.equal(await open(port + 10000), false, 'cluster bus port');
    // (Linux) no file of its dir (the AOF's) is held open
    if (process.platform === 'linux') {
      const held = fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      });
      assert.deepEqual(held, []);
    }
  } finally {
    blocker.close();
  }
});

/**
 * TLS (tls-port and the tls-* parameters), side by side with redis-server
 * where it can run with the same certificates: who is let in under each
 * tls-auth-clients mode, a certificate from another CA, tls-protocols,
 * CONFIG SET reloading the certificate (and refusing a bad one with Redis's
 * error, keeping the old one), redis-cli --tls, ioredis and node-redis over
 * TLS, a TLS-only server (port 0), the start that fails on a bad
 * certificate. Certificates are made with openssl in a temp dir
 * (test/helpers/certs.ts); without openssl every test is skipped with a
 * message saying so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  startTsdis,
  startRedis,
  freePort,
  hasRedis,
  SKIP_NO_REDIS,
  RawConn,
  type RedisProcess,
} from '../helpers/servers.js';
import { encode, replyLength } from '../helpers/resp.js';
import { CLI } from '../helpers/child.js';
import { createServer, type TsdisServer } from '../../src/index.js';
import { TsdisError } from '../../src/protocol/errors.js';
import { HAS_OPENSSL, SKIP_NO_OPENSSL, makeTestCerts, type TestCerts } from '../helpers/certs.js';

const skip = HAS_OPENSSL ? false : SKIP_NO_OPENSSL;
const skipDiff = !HAS_OPENSSL ? SKIP_NO_OPENSSL : !hasRedis() ? SKIP_NO_REDIS : false;

let dir = '';
let certs: TestCerts | null = null;
/** A file of the certificate directory. */
const f = (name: string) => path.join(dir, name);

before(() => {
  if (!HAS_OPENSSL) return;
  certs = makeTestCerts();
  dir = certs.dir;
});

after(() => {
  certs?.remove();
});

/** The tls-* parameters of a server with the test certificates. */
function tlsConfig(tlsPort: number): Record<string, string> {
  return {
    'tls-port': String(tlsPort),
    'tls-cert-file': f('server.crt'),
    'tls-key-file': f('server.key'),
    'tls-ca-cert-file': f('ca.crt'),
  };
}

/** The same as redis-server flags. */
function tlsFlags(tlsPort: number): string[] {
  return Object.entries(tlsConfig(tlsPort)).flatMap(([k, v]) => [`--${k}`, v]);
}

/** What a TLS client presents: the client certificate (default), the rogue one, or none. */
type Who = 'client' | 'rogue' | 'none';

/**
 * Connects with TLS as `who` and sends one command; resolves its reply's raw
 * bytes, or `refused: <reason>` when the handshake fails or the connection
 * ends before a reply. Also the server certificate's CN.
 */
async function tlsCall(
  port: number,
  who: Who,
  args: string[],
  extra: tls.ConnectionOptions = {},
): Promise<{ reply: string; cn: string }> {
  return new Promise((resolve) => {
    const opts: tls.ConnectionOptions = {
      host: '127.0.0.1',
      port,
      ca: fs.readFileSync(f('ca.crt')),
      checkServerIdentity: () => undefined,
      ...extra,
    };
    if (who !== 'none') {
      opts.cert = fs.readFileSync(f(`${who}.crt`));
      opts.key = fs.readFileSync(f(`${who}.key`));
    }
    let buf = Buffer.alloc(0);
    let cn = '';
    let done = false;
    const finish = (reply: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ reply, cn });
    };
    const sock = tls.connect(opts, () => {
      const subject = sock.getPeerCertificate().subject as { CN?: string } | undefined;
      cn = String(subject?.CN ?? '');
      sock.write(encode(args));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const n = replyLength(buf);
      if (n >= 0) finish(buf.latin1Slice(0, n));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(`refused: ${e.code ?? e.message}`));
    sock.on('close', () => finish('refused: closed'));
    const timer = setTimeout(() => finish('refused: timeout'), 5000);
  });
}

/** Whether a reply says the connection was refused. */
const refused = (r: { reply: string }) => r.reply.startsWith('refused');

/** A plain-TCP call for controlling a server (CONFIG SET ...): raw reply bytes. */
async function plainCall(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(encode(args)));
    let buf = Buffer.alloc(0);
    // (a TLS port waits for a handshake that never comes: give up after a while)
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, 2000);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const n = replyLength(buf);
      if (n >= 0) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.latin1Slice(0, n));
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A server under test: tsdis in process or redis-server, both with TCP (control) and TLS ports. */
interface Target {
  name: string;
  port: number;
  tlsPort: number;
  stop(): Promise<void>;
}

async function tsdisTarget(extra: Record<string, string> = {}): Promise<Target & { srv: TsdisServer }> {
  const tlsPort = await freePort();
  const srv = await startTsdis({ config: { ...tlsConfig(tlsPort), ...extra } });
  return { name: 'tsdis', port: srv.port, tlsPort, srv, stop: () => srv.close() };
}

async function redisTarget(extra: string[] = []): Promise<Target> {
  const tlsPort = await freePort();
  const r: RedisProcess = await startRedis([...tlsFlags(tlsPort), ...extra]);
  return { name: 'redis', port: r.port, tlsPort, stop: () => r.stop() };
}

/**
 * The access behaviours run against one server; returns what each check
 * saw, so tsdis and redis-server can be compared. Also asserts the
 * expected outcome (PONG or refused) of each.
 */
async function accessChecks(t: Target): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  const check = async (label: string, who: Who, expectPong: boolean, extra: tls.ConnectionOptions = {}) => {
    const r = await tlsCall(t.tlsPort, who, ['PING'], extra);
    seen[label] = refused(r) ? 'refused' : r.reply;
    assert.equal(!refused(r), expectPong, `${t.name} ${label}: ${r.reply}`);
    if (expectPong) assert.equal(r.reply, '+PONG\r\n');
  };
  // tls-auth-clients yes (the default): a certificate from the CA is needed
  await check('yes/client', 'client', true);
  await check('yes/none', 'none', false);
  await check('yes/rogue', 'rogue', false);
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-auth-clients', 'optional']), '+OK\r\n');
  await check('optional/client', 'client', true);
  await check('optional/none', 'none', true);
  await check('optional/rogue', 'rogue', false);
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-auth-clients', 'no']), '+OK\r\n');
  await check('no/none', 'none', true);
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-auth-clients', 'yes']), '+OK\r\n');
  await check('yes-again/none', 'none', false);
  // tls-protocols: a TLSv1.2-only client is refused by a TLSv1.3-only server
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.3']), '+OK\r\n');
  await check('tls13/client-1.2', 'client', false, { maxVersion: 'TLSv1.2' });
  await check('tls13/client-1.3', 'client', true, { minVersion: 'TLSv1.3' });
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.2']), '+OK\r\n');
  await check('tls12/client-1.3', 'client', false, { minVersion: 'TLSv1.3' });
  await check('tls12/client-1.2', 'client', true, { maxVersion: 'TLSv1.2' });
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-protocols', '']), '+OK\r\n');
  // a plain-TCP client on the TLS port gets no reply
  const plain = await plainCall(t.tlsPort, ['PING']).catch((e: NodeJS.ErrnoException) => `error ${e.code}`);
  seen['plain-on-tls-port'] = plain === '+PONG\r\n' ? plain : 'no reply';
  assert.notEqual(plain, '+PONG\r\n');
  return seen;
}

test(
  'tls-auth-clients yes/optional/no, a certificate from another CA, tls-protocols: as redis-server',
  { skip: skipDiff },
  async () => {
    const ours = await tsdisTarget();
    const theirs = await redisTarget();
    try {
      const a = await accessChecks(ours);
      const b = await accessChecks(theirs);
      assert.deepEqual(a, b);
    } finally {
      await ours.stop();
      await theirs.stop();
    }
  },
);

test('tls-auth-clients and tls-protocols (tsdis alone)', { skip }, async () => {
  const ours = await tsdisTarget();
  try {
    await accessChecks(ours);
  } finally {
    await ours.stop();
  }
});

/**
 * CONFIG SET of the certificate on one server: a bad one fails with Redis's
 * error and keeps the old context; a good one is used by new connections
 * while an open one goes on. Returns the error replies seen.
 */
async function reloadChecks(t: Target): Promise<string[]> {
  const errors: string[] = [];
  assert.equal((await tlsCall(t.tlsPort, 'client', ['PING'])).cn, 'Server-only');
  // an open connection, kept across the reload
  const open = tls.connect({
    host: '127.0.0.1',
    port: t.tlsPort,
    ca: fs.readFileSync(f('ca.crt')),
    cert: fs.readFileSync(f('client.crt')),
    key: fs.readFileSync(f('client.key')),
    checkServerIdentity: () => undefined,
  });
  await new Promise((r) => open.once('secureConnect', r));
  // bad: a missing file, a key that is not the certificate's, a certificate file that is not one
  for (const [k, v] of [
    ['tls-cert-file', f('missing.crt')],
    ['tls-key-file', f('client.key')],
    ['tls-cert-file', f('openssl.cnf')],
    ['tls-ca-cert-file', f('openssl.cnf')],
    ['tls-protocols', 'TLSv1.2 SSLv3'],
    ['tls-ciphers', 'NO-SUCH-CIPHER'],
    ['tls-ciphersuites', 'NO_SUCH_SUITE'],
  ] as const) {
    const reply = await plainCall(t.port, ['CONFIG', 'SET', k, v]);
    errors.push(reply);
    assert.match(reply, /^-ERR CONFIG SET failed .* - Unable to update TLS configuration\. Check server logs\./);
  }
  // the old values and context stay
  assert.equal(
    await plainCall(t.port, ['CONFIG', 'GET', 'tls-cert-file']),
    encodeArray(['tls-cert-file', f('server.crt')]),
  );
  assert.equal((await tlsCall(t.tlsPort, 'client', ['PING'])).cn, 'Server-only');
  // good: both files in one CONFIG SET
  assert.equal(
    await plainCall(t.port, ['CONFIG', 'SET', 'tls-cert-file', f('server2.crt'), 'tls-key-file', f('server2.key')]),
    '+OK\r\n',
  );
  const after = await tlsCall(t.tlsPort, 'client', ['PING']);
  assert.equal(after.reply, '+PONG\r\n');
  assert.equal(after.cn, 'Server-two');
  // the connection opened before still works, with the certificate it had
  const reply = await new Promise<string>((resolve) => {
    open.once('data', (d: Buffer) => resolve(d.toString('latin1')));
    open.write(encode(['PING']));
  });
  assert.equal(reply, '+PONG\r\n');
  assert.equal((open.getPeerCertificate().subject as { CN?: string }).CN, 'Server-only');
  open.destroy();
  // an encrypted key: refused without its passphrase, taken with it (Redis's tls.tcl)
  const enc = await plainCall(t.port, [
    'CONFIG',
    'SET',
    'tls-cert-file',
    f('server.crt'),
    'tls-key-file',
    f('server.key.enc'),
  ]);
  errors.push(enc);
  assert.match(enc, /Unable to update TLS configuration/);
  assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'tls-key-file-pass', '1234']), '+OK\r\n');
  assert.equal(
    await plainCall(t.port, ['CONFIG', 'SET', 'tls-cert-file', f('server.crt'), 'tls-key-file', f('server.key.enc')]),
    '+OK\r\n',
  );
  assert.equal((await tlsCall(t.tlsPort, 'client', ['PING'])).cn, 'Server-only');
  return errors;
}

function encodeArray(items: string[]): string {
  return `*${items.length}\r\n` + items.map((s) => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`).join('');
}

test(
  'CONFIG SET reloads the certificate; a bad one fails as in redis-server and keeps the old one',
  { skip: skipDiff },
  async () => {
    const ours = await tsdisTarget();
    const theirs = await redisTarget();
    try {
      assert.deepEqual(await reloadChecks(ours), await reloadChecks(theirs));
    } finally {
      await ours.stop();
      await theirs.stop();
    }
  },
);

test('CONFIG SET reloads the certificate (tsdis alone), with the reason logged', { skip }, async () => {
  const lines: string[] = [];
  const tlsPort = await freePort();
  const srv = await startTsdis({ config: tlsConfig(tlsPort), log: (l) => lines.push(l) });
  try {
    await reloadChecks({ name: 'tsdis', port: srv.port, tlsPort, stop: () => srv.close() });
    const text = lines.join('\n');
    assert.match(
      text,
      new RegExp(
        `# Failed to load certificate: ${f('missing.crt')}: error:80000002:system library::No such file or directory`,
      ),
    );
    assert.match(
      text,
      /# Failed to load private key: .*client\.key: error:05800074:x509 certificate routines::key values mismatch/,
    );
    assert.match(
      text,
      /# Failed to configure CA certificate\(s\) file\/directory: error:05800088:x509 certificate routines::no certificate or crl found/,
    );
    assert.match(
      text,
      /# Invalid tls-protocols specified\. Use a combination of 'TLSv1', 'TLSv1\.1', 'TLSv1\.2' and 'TLSv1\.3'\./,
    );
    assert.match(text, /# Failed to configure ciphers: NO-SUCH-CIPHER/);
    assert.match(text, /# Failed to configure ciphersuites: NO_SUCH_SUITE/);
  } finally {
    await srv.close();
  }
});

test(
  'redis-cli --tls with a CA, a certificate and a key',
  {
    skip: skip || (spawnSync('redis-cli', ['--version']).status !== 0 ? 'SKIPPED: redis-cli is not installed' : false),
  },
  async () => {
    const t = await tsdisTarget();
    try {
      const cli = (extra: string[], ...args: string[]) =>
        new Promise<{ status: number | null; out: string }>((resolve) => {
          const p = spawn('redis-cli', ['-p', String(t.tlsPort), '--tls', '--cacert', f('ca.crt'), ...extra, ...args]);
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.stderr.on('data', (d: Buffer) => (out += d.toString()));
          p.on('exit', (status) => resolve({ status, out }));
        });
      const withCert = ['--cert', f('client.crt'), '--key', f('client.key')];
      assert.equal((await cli(withCert, 'SET', 'k', 'v')).out.trim(), 'OK');
      assert.equal((await cli(withCert, 'GET', 'k')).out.trim(), 'v');
      // CLIENT INFO of a TLS client: the same fields as a TCP one, laddr on the TLS port
      const info = (await cli(withCert, 'CLIENT', 'INFO')).out;
      assert.match(
        info,
        new RegExp(`^id=\\d+ addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${t.tlsPort} fd=\\d+ name= `),
      );
      // without a certificate: refused (tls-auth-clients yes)
      assert.doesNotMatch((await cli([], 'PING')).out, /PONG/);
    } finally {
      await t.stop();
    }
  },
);

test('ioredis and node-redis over TLS', { skip }, async () => {
  const t = await tsdisTarget();
  const tlsOpts = {
    ca: fs.readFileSync(f('ca.crt')),
    cert: fs.readFileSync(f('client.crt')),
    key: fs.readFileSync(f('client.key')),
    checkServerIdentity: () => undefined,
  };
  try {
    const io = new Redis({
      host: '127.0.0.1',
      port: t.tlsPort,
      tls: tlsOpts,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    await io.connect();
    assert.equal(await io.set('io', 'x'.repeat(100_000)), 'OK');
    assert.equal((await io.get('io'))?.length, 100_000);
    const pipe = io.pipeline();
    for (let i = 0; i < 1000; i++) pipe.incr('n');
    const res = await pipe.exec();
    assert.deepEqual(res?.[999], [null, 1000]);
    io.disconnect();
    const nr = createClient({ socket: { host: '127.0.0.1', port: t.tlsPort, tls: true, ...tlsOpts } });
    nr.on('error', () => {});
    await nr.connect();
    assert.equal(await nr.get('n'), '1000');
    assert.equal(await nr.hSet('h', { a: '1', b: '2' }), 2);
    assert.deepEqual(await nr.hGetAll('h'), { a: '1', b: '2' });
    await nr.quit();
  } finally {
    await t.stop();
  }
});

test(
  'a TLS client that stops reading is paused and resumed with every reply intact (fast reads)',
  { skip },
  async () => {
    const t = await tsdisTarget();
    try {
      const sock = tls.connect({
        host: '127.0.0.1',
        port: t.tlsPort,
        ca: fs.readFileSync(f('ca.crt')),
        cert: fs.readFileSync(f('client.crt')),
        key: fs.readFileSync(f('client.key')),
        checkServerIdentity: () => undefined,
      });
      await new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
      sock.pause();
      const big = 'v'.repeat(1 << 20);
      const n = 40; // 40 MB of replies: past the 16 MB at which the server stops reading the client
      const cmds = [encode(['SET', 'big', big])];
      for (let i = 0; i < n; i++) cmds.push(encode(['GET', 'big']));
      cmds.push(encode(['PING']));
      sock.write(Buffer.concat(cmds));
      await new Promise((r) => setTimeout(r, 300));
      const want = '+OK\r\n'.length + n * `$${big.length}\r\n${big}\r\n`.length + '+PONG\r\n'.length;
      let got = 0;
      let tail = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${got} of ${want} bytes`)), 30_000);
        sock.on('data', (d: Buffer) => {
          got += d.length;
          tail = (tail + d.toString('latin1')).slice(-16);
          if (got >= want) {
            clearTimeout(timer);
            resolve();
          }
        });
        sock.resume();
      });
      assert.equal(got, want);
      assert.ok(tail.endsWith('+PONG\r\n'));
      sock.destroy();
    } finally {
      await t.stop();
    }
  },
);

test('CONFIG SET tls-port and port: switch between TCP and TLS on one port (Redis tls.tcl)', { skip }, async () => {
  const t = await tsdisTarget();
  try {
    const p = t.tlsPort;
    assert.equal((await tlsCall(p, 'client', ['CONFIG', 'SET', 'tls-port', '0'])).reply, '+OK\r\n');
    assert.equal(await plainCall(t.port, ['CONFIG', 'SET', 'port', String(p)]), '+OK\r\n');
    // on one plain connection, as Redis's test: TCP off, then TLS on the same port
    const c = await RawConn.connect(p);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('CONFIG', 'SET', 'port', '0'), '+OK\r\n');
    assert.equal(await plainCall(p, ['PING']).catch((e: NodeJS.ErrnoException) => e.code), 'ECONNREFUSED');
    assert.equal(await c.call('CONFIG', 'SET', 'tls-port', String(p)), '+OK\r\n');
    c.close();
    assert.equal((await tlsCall(p, 'client', ['PING'])).reply, '+PONG\r\n');
    assert.equal(t.srv.server.tlsAddresses()[0]?.port, p);
    // a TLS port already in use: Redis's error, the old listener kept
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((res) => busy.once('listening', res));
    const taken = (busy.address() as net.AddressInfo).port;
    const reply = (await tlsCall(p, 'client', ['CONFIG', 'SET', 'tls-port', String(taken)])).reply;
    busy.close();
    assert.equal(
      reply,
      "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to listen on this port. Check server logs.\r\n",
    );
    assert.equal(
      (await tlsCall(p, 'client', ['CONFIG', 'GET', 'tls-port'])).reply,
      encodeArray(['tls-port', String(p)]),
    );
  } finally {
    await t.stop();
  }
});

test('port 0 with tls-port: a TLS-only server from the CLI (INFO tcp_port is the TLS port)', { skip }, async () => {
  const tlsPort = await freePort();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-tls-cli-'));
  const proc = spawn(
    process.execPath,
    [CLI, '--port', '0', '--bind', '127.0.0.1', '--save', '', ...tlsFlags(tlsPort)],
    {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; !out.includes('Ready to accept connections tls'); i++) {
      if (i > 500 || proc.exitCode !== null) throw new Error(`did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.doesNotMatch(out, /Ready to accept connections tcp/);
    assert.match(out, new RegExp(`Running mode=standalone, port=${tlsPort}\\.`));
    const info = (await tlsCall(tlsPort, 'client', ['INFO', 'server'])).reply;
    assert.match(info, new RegExp(`\r\ntcp_port:${tlsPort}\r\n`));
  } finally {
    proc.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/** Runs the CLI (or redis-server) with `args` and returns its exit status and the log lines with `#`. */
function failedStart(cmd: string[], args: string[]): { status: number | null; lines: string[] } {
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: 'latin1', timeout: 20000, cwd: dir });
  const lines = (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => / # /.test(l))
    .map((l) => l.replace(/^.* # /, ''));
  return { status: r.status, lines };
}

/** Start arguments that each fail to configure TLS. */
function badStarts(tlsPort: number): string[][] {
  const base = ['--port', '0', '--bind', '127.0.0.1', '--save', '', '--tls-port', String(tlsPort)];
  return [
    [
      ...base,
      '--tls-cert-file',
      f('missing.crt'),
      '--tls-key-file',
      f('server.key'),
      '--tls-ca-cert-file',
      f('ca.crt'),
    ],
    [...base, '--tls-cert-file', f('server.crt'), '--tls-key-file', f('client.key'), '--tls-ca-cert-file', f('ca.crt')],
    [...base, '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key')],
    [...base, '--tls-key-file', f('server.key')],
    [...base, ...tlsFlags(tlsPort).slice(2), '--tls-dh-params-file', f('openssl.cnf')],
  ];
}

test('a start with a bad certificate: the log lines and exit code 1 of redis-server', { skip: skipDiff }, async () => {
  const tlsPort = await freePort();
  for (const args of badStarts(tlsPort)) {
    const ours = failedStart([process.execPath, CLI], args);
    const theirs = failedStart(['redis-server'], args);
    assert.equal(ours.status, 1, ours.lines.join('\n'));
    assert.equal(theirs.status, 1);
    // Redis's two lines: the reason, then the verdict (redis-server 7.0 may warn about overcommit before)
    const tail = (l: string[]) => l.filter((x) => !x.startsWith('WARNING')).slice(-2);
    assert.deepEqual(tail(ours.lines), tail(theirs.lines));
  }
});

test('a start with a bad certificate exits 1 (tsdis alone); createServer rejects', { skip }, async () => {
  const tlsPort = await freePort();
  for (const args of badStarts(tlsPort)) {
    const ours = failedStart([process.execPath, CLI], args);
    assert.equal(ours.status, 1, ours.lines.join('\n'));
    assert.equal(ours.lines[ours.lines.length - 1], 'Failed to configure TLS. Check logs for more info.');
  }
  const lines: string[] = [];
  await assert.rejects(
    createServer({ config: { ...tlsConfig(tlsPort), 'tls-cert-file': f('missing.crt') }, log: (l) => lines.push(l) }),
    (e: unknown) => e instanceof TsdisError && e.code === 'ETLSCONFIG',
  );
  assert.match(lines.join('\n'), /Failed to load certificate/);
  // nothing was left listening
  assert.equal(await plainCall(tlsPort, ['PING']).catch((e: NodeJS.ErrnoException) => e.code), 'ECONNREFUSED');
});

test(
  'the client-side TLS options kept for outbound links: the client certificate, else the server one',
  { skip },
  async () => {
    const t = await tsdisTarget({ 'tls-client-cert-file': f('client.crt'), 'tls-client-key-file': f('client.key') });
    try {
      const listener = t.srv.server.listener;
      assert.deepEqual(listener.tls?.client.cert, fs.readFileSync(f('client.crt')));
      // they connect to a server that requires a client certificate
      const s = tls.connect({
        ...listener.tls!.client,
        host: '127.0.0.1',
        port: t.tlsPort,
        checkServerIdentity: () => undefined,
      });
      const reply = await new Promise<string>((resolve, reject) => {
        s.on('secureConnect', () => s.write(encode(['PING'])));
        s.on('data', (d: Buffer) => resolve(d.toString('latin1')));
        s.on('error', reject);
      });
      s.destroy();
      assert.equal(reply, '+PONG\r\n');
      // a bad client key fails the CONFIG SET as the server's would
      const bad = await plainCall(t.port, ['CONFIG', 'SET', 'tls-client-key-file', f('server.key')]);
      assert.match(bad, /Unable to update TLS configuration/);
      assert.equal(
        await plainCall(t.port, ['CONFIG', 'SET', 'tls-client-cert-file', '', 'tls-client-key-file', '']),
        '+OK\r\n',
      );
      assert.deepEqual(listener.tls?.client.cert, fs.readFileSync(f('server.crt')));
    } finally {
      await t.stop();
    }
  },
);

test(
  'tls-replication: tsdis and redis-server replicate from each other over TLS only (the primary without a TCP port for them)',
  { skip: skipDiff },
  async () => {
    /** Waits until `t` has `key` (written as 'over-tls'). */
    const arrives = async (t: Target, key: string, from: string): Promise<void> => {
      const end = Date.now() + 20000;
      while ((await plainCall(t.port, ['GET', key])) !== '$8\r\nover-tls\r\n') {
        if (Date.now() > end)
          assert.fail(
            `${t.name} never got ${key} from ${from} over TLS: ${await plainCall(t.port, ['INFO', 'replication'])}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** Makes `replica` follow `primary` over TLS, writes on the primary, waits for the key on the replica. */
    const follow = async (primary: Target, replica: Target, key: string): Promise<void> => {
      assert.equal(await plainCall(replica.port, ['CONFIG', 'SET', 'tls-replication', 'yes']), '+OK\r\n');
      assert.equal(await plainCall(replica.port, ['REPLICAOF', '127.0.0.1', String(primary.tlsPort)]), '+OK\r\n');
      assert.equal(await plainCall(primary.port, ['SET', key, 'over-tls']), '+OK\r\n');
      await arrives(replica, key, primary.name);
      assert.match(await plainCall(replica.port, ['INFO', 'replication']), /master_link_status:up\r\n/);
      // the replica announces its TLS port, where its own replicas would connect (as Redis's does);
      // online once the primary has its first ACK, which may come after the key arrived
      const online = new RegExp(`slave0:ip=127\\.0\\.0\\.1,port=${replica.tlsPort},state=online`);
      const end = Date.now() + 10000;
      let info = '';
      while (!online.test((info = await plainCall(primary.port, ['INFO', 'replication'])))) {
        if (Date.now() > end) assert.fail(`${primary.name} never showed ${replica.name} online: ${info}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // (the server certificate is for servers only: a replica presents the client one)
    const client = {
      'tls-client-cert-file': f('client.crt'),
      'tls-client-key-file': f('client.key'),
      'repl-diskless-sync-delay': '0',
    };
    const a = await tsdisTarget(client);
    const b = await tsdisTarget(client);
    const r = await redisTarget(Object.entries(client).flatMap(([k, v]) => [`--${k}`, v]));
    try {
      await follow(a, b, 'k1'); // tsdis → tsdis
      await follow(r, a, 'k2'); // redis-server → tsdis (a leaves b's primary role: a chain r → a → b)
      await arrives(b, 'k2', 'tsdis, its primary');
      assert.equal(await plainCall(b.port, ['REPLICAOF', 'NO', 'ONE']), '+OK\r\n');
      assert.equal(await plainCall(r.port, ['REPLICAOF', 'NO', 'ONE']), '+OK\r\n');
      await follow(b, r, 'k3'); // tsdis → redis-server
      // a replica with tls-replication off, pointed at the TLS port, never comes up
      assert.equal(await plainCall(a.port, ['CONFIG', 'SET', 'tls-replication', 'no']), '+OK\r\n');
      assert.equal(await plainCall(a.port, ['REPLICAOF', '127.0.0.1', String(b.tlsPort)]), '+OK\r\n');
      await new Promise((res) => setTimeout(res, 1500));
      assert.match(await plainCall(a.port, ['INFO', 'replication']), /master_link_status:down\r\n/);
    } finally {
      await a.stop();
      await b.stop();
      await r.stop();
    }
  },
);

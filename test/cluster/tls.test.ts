/**
 * TLS on the cluster bus (tls-cluster yes), as Redis 7.2 does it: a tsdis
 * cluster made by `redis-cli --tls --cluster create`, whose nodes show a TLS
 * client the TLS ports and a plaintext client the plaintext ones (CLUSTER
 * NODES, SLOTS, REPLICAS, -MOVED) while nodes.conf keeps 7.2's form
 * (plaintext port in the address, `tls-port=` aux field); a TLS client
 * following -MOVED to the TLS port; cluster-announce-tls-port and
 * cluster-announce-port each overriding their own port in the gossip; the
 * bus port derived from tls-port; a nodes.conf from before 7.2 (no aux
 * fields) read with the address's port as the TLS one; a plaintext peer, a
 * peer without a certificate and one with a foreign CA's on the TLS bus port
 * (a verbose log line, the node unharmed); a mixed TLS cluster with
 * redis-server 7.0 nodes, each kind seeing the other's ports right; three
 * primaries and three replicas, the replicas following their primaries'
 * TLS ports (tls-replication).
 *
 * Certificates: test/helpers/certs.ts's `node` certificate (no extension:
 * good as a server and as a client certificate, the bus presents it both
 * ways, as Redis's test suite does with its redis.crt).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, startRedis, startTsdis, RawConn, type RedisProcess } from '../helpers/servers.js';
import { encode, replyLength } from '../helpers/resp.js';
import { HAS_OPENSSL, SKIP_NO_OPENSSL, makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { clusterInfo, clusterPort, cliSkip, rawCall, redisCli, text, until } from './helpers.js';
import { keyHashSlot } from '../../src/cluster/slot.js';
import type { TsdisServer } from '../../src/index.js';

const skip = !HAS_OPENSSL ? SKIP_NO_OPENSSL : cliSkip;

let certs: TestCerts | null = null;
const f = (name: string) => certs!.f(name);
before(() => {
  if (HAS_OPENSSL) certs = makeTestCerts();
});

/** A tsdis node with tls-cluster yes: its plaintext and TLS client ports, bus port and log. */
interface TlsNode {
  srv: TsdisServer;
  port: number;
  tlsPort: number;
  cport: number;
  log: string[];
  dir: string;
  close(): Promise<void>;
}

const nodes: TlsNode[] = [];
const redis: RedisProcess[] = [];
after(async () => {
  for (const n of nodes) await n.close();
  for (const r of redis) await r.stop();
  certs?.remove();
});

/** The tls-* parameters of a node: the generic certificate for both ends of the bus, TLS on the bus and replication. */
function tlsParams(tlsPort: number): Record<string, string> {
  return {
    'tls-port': String(tlsPort),
    'tls-cert-file': f('node.crt'),
    'tls-key-file': f('node.key'),
    'tls-ca-cert-file': f('ca.crt'),
    'tls-cluster': 'yes',
    'tls-replication': 'yes',
  };
}

/**
 * Starts an in-process tsdis node with tls-cluster yes at verbose log level
 * (the bus's accept errors are verbose lines, as in Redis). The bus port is
 * cluster-port (a free port) unless `derivedBus`: then tls-port + 10000.
 */
async function startTlsNode(config: Record<string, string> = {}, derivedBus = false): Promise<TlsNode> {
  for (let attempt = 0; ; attempt++) {
    const tlsPort = derivedBus ? await clusterPort() : await freePort();
    const cport = derivedBus ? tlsPort + 10000 : await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cluster-tls-'));
    const log: string[] = [];
    try {
      const srv = await startTsdis({
        port: await freePort(),
        log: (l) => log.push(l),
        config: {
          dir,
          'cluster-enabled': 'yes',
          'cluster-node-timeout': 1000,
          loglevel: 'verbose',
          ...(derivedBus ? {} : { 'cluster-port': String(cport) }),
          ...tlsParams(tlsPort),
          ...config,
        },
      });
      let closed = false;
      const node: TlsNode = {
        srv,
        port: srv.port,
        tlsPort,
        cport,
        log,
        dir,
        close: async () => {
          if (closed) return;
          closed = true;
          await srv.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
      nodes.push(node);
      return node;
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      if (attempt >= 4) throw e;
    }
  }
}

/** The TLS options of a client presenting `who`'s certificate (none: no certificate). */
function clientTls(who: 'node' | 'rogue' | 'none'): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { ca: fs.readFileSync(f('ca.crt')), checkServerIdentity: () => undefined };
  if (who !== 'none') {
    opts.cert = fs.readFileSync(f(`${who}.crt`));
    opts.key = fs.readFileSync(f(`${who}.key`));
  }
  return opts;
}

/** One command over TLS (as the `node` certificate); the reply's raw bytes. */
function tlsCall(port: number, ...args: (string | number)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const sock = tls.connect({ host: '127.0.0.1', port, ...clientTls('node') }, () => sock.write(encode(args)));
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply over TLS from ${port}`));
    }, 5000);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const n = replyLength(buf);
      if (n >= 0) {
        clearTimeout(t);
        sock.destroy();
        resolve(buf.latin1Slice(0, n));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/** redis-cli's TLS arguments with the node certificate. */
function cliTls(): string[] {
  return ['--tls', '--cacert', f('ca.crt'), '--cert', f('node.crt'), '--key', f('node.key')];
}

/** CLUSTER NODES' addresses (ip:port@cport) by node id, from a raw reply. */
function addrs(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of text(raw).split('\n')) {
    if (l === '') continue;
    const fields = l.split(' ');
    out.set(fields[0]!, fields[1]!.split(',')[0]!);
  }
  return out;
}

/** A node's id. */
async function idOf(port: number): Promise<string> {
  return text(await rawCall(port, 'CLUSTER', 'MYID'));
}

/** The integers of a raw RESP reply (CLUSTER SLOTS: slot bounds and ports). */
function ints(raw: string): Set<number> {
  return new Set([...raw.matchAll(/^:(\d+)\r$/gm)].map((m) => Number(m[1])));
}

/** A key whose slot `owner` (a port of the owner node's, from -MOVED) is not `notOn`'s; via `call` on `notOn`. */
async function movedKey(
  call: (...a: (string | number)[]) => Promise<string>,
): Promise<{ key: string; m: RegExpExecArray }> {
  for (let i = 0; i < 100; i++) {
    const key = `tlskey:${i}`;
    const r = await call('SET', key, 'v');
    const m = /^-MOVED (\d+) 127\.0\.0\.1:(\d+)\r\n$/.exec(r);
    if (m !== null) return { key, m };
  }
  throw new Error('no key was redirected');
}

let cluster: TlsNode[] = [];

test('a tsdis cluster over TLS made by redis-cli --tls --cluster create', { skip }, async () => {
  cluster = [await startTlsNode(), await startTlsNode(), await startTlsNode()];
  const r = await redisCli([
    ...cliTls(),
    '--cluster',
    'create',
    ...cluster.map((n) => `127.0.0.1:${n.tlsPort}`),
    '--cluster-yes',
  ]);
  assert.equal(r.status, 0, r.out);
  await until(
    async () => {
      for (const n of cluster) {
        if ((await clusterInfo(n.port, 'cluster_state')) !== 'ok') return false;
        if ((await clusterInfo(n.port, 'cluster_known_nodes')) !== '3') return false;
      }
      return true;
    },
    20000,
    'cluster_state:ok on the three TLS nodes',
  );
  const ids = await Promise.all(cluster.map((n) => idOf(n.port)));
  // every node's bus links are TLS: the nodes know each other by the ports they gossiped
  for (const n of cluster) {
    const plain = addrs(await rawCall(n.port, 'CLUSTER', 'NODES'));
    const overTls = addrs(await tlsCall(n.tlsPort, 'CLUSTER', 'NODES'));
    cluster.forEach((m, i) => {
      assert.equal(plain.get(ids[i]!), `127.0.0.1:${m.port}@${m.cport}`, `plain view of node ${i} on ${n.port}`);
      assert.equal(overTls.get(ids[i]!), `127.0.0.1:${m.tlsPort}@${m.cport}`, `TLS view of node ${i} on ${n.port}`);
    });
  }
});

test(
  'CLUSTER SLOTS and SHARDS: TLS ports for a TLS client, plaintext ports for a plaintext one',
  { skip },
  async () => {
    const [a] = cluster;
    const plain = ints(await rawCall(a!.port, 'CLUSTER', 'SLOTS'));
    const overTls = ints(await tlsCall(a!.tlsPort, 'CLUSTER', 'SLOTS'));
    for (const n of cluster) {
      assert.ok(plain.has(n.port) && !plain.has(n.tlsPort), `plain CLUSTER SLOTS names ${n.port}`);
      assert.ok(overTls.has(n.tlsPort) && !overTls.has(n.port), `TLS CLUSTER SLOTS names ${n.tlsPort}`);
    }
    // SHARDS lists both, whoever asks
    for (const raw of [await rawCall(a!.port, 'CLUSTER', 'SHARDS'), await tlsCall(a!.tlsPort, 'CLUSTER', 'SHARDS')]) {
      for (const n of cluster) {
        assert.ok(raw.includes(`$4\r\nport\r\n:${n.port}\r\n`), raw);
        assert.ok(raw.includes(`$8\r\ntls-port\r\n:${n.tlsPort}\r\n`), raw);
      }
    }
  },
);

test(
  '-MOVED names the TLS port to a TLS client, which follows it; the plaintext port to a plaintext client',
  { skip },
  async () => {
    const [a] = cluster;
    const { key, m } = await movedKey((...args) => tlsCall(a!.tlsPort, ...args));
    assert.equal(Number(m[1]), keyHashSlot(key));
    const owner = cluster.find((n) => n.tlsPort === Number(m[2]));
    assert.ok(owner !== undefined, `-MOVED to ${m[2]}, a TLS port of the cluster`);
    assert.equal(await tlsCall(owner.tlsPort, 'SET', key, 'over-tls'), '+OK\r\n');
    assert.equal(await tlsCall(owner.tlsPort, 'GET', key), '$8\r\nover-tls\r\n');
    // the same key from a plaintext client of the same node
    assert.equal(await rawCall(a!.port, 'GET', key), `-MOVED ${keyHashSlot(key)} 127.0.0.1:${owner.port}\r\n`);
    assert.equal(await rawCall(owner.port, 'GET', key), '$8\r\nover-tls\r\n');
    // redis-cli -c over TLS follows it too
    const r = await redisCli([...cliTls(), '-c', '-p', String(a!.tlsPort), 'GET', key]);
    assert.equal(r.out.trim(), 'over-tls');
  },
);

test("nodes.conf keeps 7.2's form: the plaintext port in the address, the TLS one in tls-port=", { skip }, async () => {
  const [a, b] = cluster;
  const idB = await idOf(b!.port);
  await rawCall(a!.port, 'CLUSTER', 'SAVECONFIG');
  const conf = fs.readFileSync(path.join(a!.dir, 'nodes.conf'), 'latin1');
  const line = conf.split('\n').find((l) => l.startsWith(idB))!;
  assert.match(
    line,
    new RegExp(`^${idB} 127\\.0\\.0\\.1:${b!.port}@${b!.cport},,tls-port=${b!.tlsPort},shard-id=[0-9a-f]{40} master `),
  );
});

test('cluster-announce-tls-port and cluster-announce-port each override their own port', { skip }, async () => {
  const [a, b] = cluster;
  const idB = await idOf(b!.port);
  assert.equal(await rawCall(b!.port, 'CONFIG', 'SET', 'cluster-announce-tls-port', '17001'), '+OK\r\n');
  await until(
    async () => addrs(await tlsCall(a!.tlsPort, 'CLUSTER', 'NODES')).get(idB) === `127.0.0.1:17001@${b!.cport}`,
    10000,
    'the announced TLS port gossiped',
  );
  // the plaintext port is untouched by it
  assert.equal(addrs(await rawCall(a!.port, 'CLUSTER', 'NODES')).get(idB), `127.0.0.1:${b!.port}@${b!.cport}`);
  assert.equal(await rawCall(b!.port, 'CONFIG', 'SET', 'cluster-announce-port', '17002'), '+OK\r\n');
  await until(
    async () => addrs(await rawCall(a!.port, 'CLUSTER', 'NODES')).get(idB) === `127.0.0.1:17002@${b!.cport}`,
    10000,
    'the announced plaintext port gossiped',
  );
  assert.equal(addrs(await tlsCall(a!.tlsPort, 'CLUSTER', 'NODES')).get(idB), `127.0.0.1:17001@${b!.cport}`);
  // back to the listening ports
  await rawCall(b!.port, 'CONFIG', 'SET', 'cluster-announce-tls-port', '0');
  await rawCall(b!.port, 'CONFIG', 'SET', 'cluster-announce-port', '0');
  await until(
    async () => addrs(await tlsCall(a!.tlsPort, 'CLUSTER', 'NODES')).get(idB) === `127.0.0.1:${b!.tlsPort}@${b!.cport}`,
    10000,
    'the listening TLS port gossiped again',
  );
  assert.equal(await clusterInfo(a!.port, 'cluster_state'), 'ok');
});

/** Connects to `port` and resolves once the server closed the connection (false: still open after `ms`). */
function closedBy(sock: net.Socket, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, ms);
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

test(
  'bad input on the TLS bus: a plaintext peer, no certificate, a foreign CA: a log line each, no harm',
  { skip },
  async () => {
    const [a] = cluster;
    const before = a!.log.filter((l) => l.includes('Error accepting cluster node connection')).length;
    // a plaintext peer speaking the bus protocol's framing (a PING-sized message of zeroes after "RCmb")
    const bytes = Buffer.alloc(2256);
    bytes.latin1Write('RCmb', 0);
    bytes.writeUInt32BE(2256, 4);
    const plain = net.connect(a!.cport, '127.0.0.1', () => plain.write(bytes));
    assert.equal(await closedBy(plain), true, 'plaintext peer closed');
    for (const who of ['none', 'rogue'] as const) {
      const s = tls.connect({ host: '127.0.0.1', port: a!.cport, ...clientTls(who) }, () => s.write(bytes));
      assert.equal(await closedBy(s), true, `${who} closed`);
    }
    await until(
      () => a!.log.filter((l) => l.includes('Error accepting cluster node connection')).length >= before + 3,
      5000,
      'three "Error accepting cluster node connection" lines',
    );
    const lines = a!.log.filter((l) => l.includes('Error accepting cluster node connection')).slice(before);
    assert.ok(
      lines.some((l) => /wrong version number|http request|packet length too long|unknown protocol/i.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /peer did not return a certificate/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /certificate verify failed/.test(l)),
      lines.join('\n'),
    );
    // the node is unharmed and the bus still carries the cluster
    assert.equal(await rawCall(a!.port, 'PING'), '+PONG\r\n');
    assert.equal(await clusterInfo(a!.port, 'cluster_state'), 'ok');
    // a TLS peer with the CA's certificate gets through the handshake (and the framing check then applies)
    const good = tls.connect({ host: '127.0.0.1', port: a!.cport, ...clientTls('node') }, () => good.write('garbage!'));
    assert.equal(await closedBy(good), true);
    await until(
      () => a!.log.some((l) => l.includes('Bad message length or signature received on the Cluster bus')),
      5000,
      'the framing line after a good handshake',
    );
  },
);

test(
  'the bus port defaults to tls-port + 10000 with tls-cluster; a nodes.conf without aux fields is read as TLS',
  { skip },
  async () => {
    const n = await startTlsNode({}, true);
    const id = await idOf(n.port);
    // (no MEET yet: myself's address has no ip, as in Redis)
    assert.equal(addrs(await tlsCall(n.tlsPort, 'CLUSTER', 'NODES')).get(id), `:${n.tlsPort}@${n.tlsPort + 10000}`);
    // the derived bus port listens with TLS
    const s = tls.connect({ host: '127.0.0.1', port: n.tlsPort + 10000, ...clientTls('node') });
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    s.destroy();
    await n.close();

    // a 7.0-style nodes.conf (no aux fields): with tls-cluster the address's port is the TLS port
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cluster-tls-conf-'));
    const myId = 'a'.repeat(40);
    const other = 'b'.repeat(40);
    fs.writeFileSync(
      path.join(dir, 'nodes.conf'),
      `${myId} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191\n` +
        `${other} 127.0.0.1:7001@17001 master - 0 0 2 disconnected 8192-16383\n` +
        'vars currentEpoch 2 lastVoteEpoch 0\n',
    );
    const m = await startTlsNode({ dir });
    assert.equal(addrs(await tlsCall(m.tlsPort, 'CLUSTER', 'NODES')).get(other), '127.0.0.1:7001@17001');
    assert.equal(addrs(await rawCall(m.port, 'CLUSTER', 'NODES')).get(other), '127.0.0.1:0@17001');
    await rawCall(m.port, 'CLUSTER', 'SAVECONFIG');
    const line = fs
      .readFileSync(path.join(dir, 'nodes.conf'), 'latin1')
      .split('\n')
      .find((l) => l.startsWith(other))!;
    assert.match(line, /^b{40} 127\.0\.0\.1:0@17001,,tls-port=7001,shard-id=/);
  },
);

test(
  "a mixed TLS cluster: redis-server 7.0 and tsdis nodes see each other's TLS and plaintext ports",
  { skip },
  async () => {
    const t1 = await startTlsNode();
    const t2 = await startTlsNode();
    let rTls = 0;
    let rBus = 0;
    const r1 = await (async () => {
      for (let attempt = 0; ; attempt++) {
        rTls = await freePort();
        rBus = await freePort();
        try {
          return await startRedis([
            '--cluster-enabled',
            'yes',
            '--cluster-node-timeout',
            '1000',
            '--cluster-port',
            String(rBus),
            ...Object.entries(tlsParams(rTls)).flatMap(([k, v]) => [`--${k}`, v]),
          ]);
        } catch (e) {
          if (attempt >= 4) throw e;
        }
      }
    })();
    redis.push(r1);
    const all = [
      { port: r1.port, tlsPort: rTls, cport: rBus },
      { port: t1.port, tlsPort: t1.tlsPort, cport: t1.cport },
      { port: t2.port, tlsPort: t2.tlsPort, cport: t2.cport },
    ];
    const r = await redisCli([
      ...cliTls(),
      '--cluster',
      'create',
      ...all.map((n) => `127.0.0.1:${n.tlsPort}`),
      '--cluster-yes',
    ]);
    assert.equal(r.status, 0, r.out);
    await until(
      async () => {
        for (const n of all) {
          if ((await clusterInfo(n.port, 'cluster_state')) !== 'ok') return false;
          if ((await clusterInfo(n.port, 'cluster_known_nodes')) !== '3') return false;
        }
        return true;
      },
      20000,
      'cluster_state:ok on the mixed TLS cluster',
    );
    const ids = await Promise.all(all.map((n) => idOf(n.port)));
    for (const n of all) {
      const plain = addrs(await rawCall(n.port, 'CLUSTER', 'NODES'));
      const overTls = addrs(await tlsCall(n.tlsPort, 'CLUSTER', 'NODES'));
      all.forEach((m, i) => {
        assert.equal(plain.get(ids[i]!), `127.0.0.1:${m.port}@${m.cport}`, `plain view of node ${i} on ${n.port}`);
        assert.equal(overTls.get(ids[i]!), `127.0.0.1:${m.tlsPort}@${m.cport}`, `TLS view of node ${i} on ${n.port}`);
      });
    }
    // keys served across kinds through -MOVED, over TLS and over plaintext
    for (let i = 0; i < 20; i++) {
      const key = `mixed-tls:${i}`;
      for (const entry of all) {
        const got = await tlsCall(entry.tlsPort, 'SET', key, 'v');
        if (got === '+OK\r\n') continue;
        const m = /^-MOVED (\d+) 127\.0\.0\.1:(\d+)\r\n$/.exec(got);
        assert.ok(m !== null, got);
        const owner = all.find((n) => n.tlsPort === Number(m[2]));
        assert.ok(owner !== undefined, `-MOVED over TLS from ${entry.port} names a TLS port: ${got}`);
        assert.equal(await tlsCall(owner.tlsPort, 'SET', key, 'v'), '+OK\r\n');
        assert.equal(await rawCall(entry.port, 'GET', key), `-MOVED ${keyHashSlot(key)} 127.0.0.1:${owner.port}\r\n`);
      }
    }
  },
);

test(
  'three primaries and three replicas over TLS: replicas follow their primary on its TLS port (tls-replication)',
  { skip },
  async () => {
    const six: TlsNode[] = [];
    for (let i = 0; i < 6; i++) six.push(await startTlsNode());
    const r = await redisCli([
      ...cliTls(),
      '--cluster',
      'create',
      ...six.map((n) => `127.0.0.1:${n.tlsPort}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    assert.equal(r.status, 0, r.out);
    const info = async (n: TlsNode, field: string) =>
      new RegExp(`^${field}:(.*)\\r$`, 'm').exec(await rawCall(n.port, 'INFO', 'replication'))?.[1] ?? '';
    await until(
      async () => {
        for (const n of six) {
          if ((await clusterInfo(n.port, 'cluster_state')) !== 'ok') return false;
          if ((await info(n, 'role')) === 'slave' && (await info(n, 'master_link_status')) !== 'up') return false;
        }
        return true;
      },
      30000,
      'cluster_state:ok and every replica linked',
    );
    const replicas: TlsNode[] = [];
    for (const n of six) if ((await info(n, 'role')) === 'slave') replicas.push(n);
    assert.equal(replicas.length, 3);
    for (const rep of replicas) {
      // the replica's primary, as INFO names it, is a TLS port of the cluster
      const port = Number(await info(rep, 'master_port'));
      assert.ok(
        six.some((n) => n.tlsPort === port),
        `master_port ${port} is a TLS port`,
      );
    }
    // a write on a primary reaches its replica (over the TLS replication link)
    const { key, m } = await movedKey((...args) => rawCall(six[0]!.port, ...args));
    const owner = six.find((n) => n.port === Number(m[2]))!;
    assert.equal(await tlsCall(owner.tlsPort, 'SET', key, 'replicated'), '+OK\r\n');
    const ownerId = await idOf(owner.port);
    const mine: TlsNode[] = [];
    for (const n of replicas)
      if (text(await rawCall(n.port, 'CLUSTER', 'NODES')).includes(`myself,slave ${ownerId}`)) mine.push(n);
    assert.equal(mine.length, 1);
    await until(
      async () => {
        const conn = await RawConn.connect(mine[0]!.port);
        try {
          await conn.call('READONLY');
          return (await conn.call('GET', key)) === '$10\r\nreplicated\r\n';
        } finally {
          conn.close();
        }
      },
      10000,
      'the write on the replica',
    );
  },
);

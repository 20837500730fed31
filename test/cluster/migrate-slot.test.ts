/**
 * Moving one slot between two nodes by hand (issue 18): MIGRATE in a slot
 * being moved (single key, KEYS, COPY, REPLACE, AUTH, AUTH2, NOKEY,
 * BUSYKEY, WRONGPASS), -ASK for keys already moved, TRYAGAIN, ASKING'd
 * commands and RESTORE-ASKING on the importing node, SETSLOT NODE on both
 * sides: the replies with tsdis as the source, the target and both are
 * compared with two redis-server nodes doing the same. (Nodes are
 * separate processes: reshard-kit.ts.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn } from '../helpers/servers.js';
import { formCluster, text } from './helpers.js';
import { keyHashSlot } from '../../src/cluster/slot.js';
import { myid, skip, start, stopAll, tagIn, type Node } from './reshard-kit.js';

after(stopAll);

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

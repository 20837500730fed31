/**
 * HyperLogLog: differential tests against redis-server. The stored bytes
 * (GET) must be identical after any PFADD / PFMERGE / PFCOUNT sequence,
 * sparse and dense; HLLs built by either server must read the same in the
 * other; errors, PFDEBUG, keyspace events and propagation match Redis.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Differ, untilPong, type Cmd } from '../helpers/diff.js';
import { RawConn } from '../helpers/servers.js';
import { viewOf, type Conn } from '../helpers/golden.js';
import { rng } from '../helpers/rng.js';
import { both } from './strdiff.js';
import { murmur64a, patLen, estimate, histogram, Hll, createHll, REGISTERS } from '../../src/types/hll.js';

const d = await Differ.start();
after(() => d?.stop());

/** The bytes of a bulk reply. */
function bulkBytes(raw: string): Buffer {
  assert.equal(raw[0], '$', raw.slice(0, 80));
  return Buffer.from(raw.slice(raw.indexOf('\r\n') + 2, -2), 'latin1');
}

/** MurmurHash64A in BigInt arithmetic, the 64-bit steps as written: the model for hll.ts's 32-bit halves. */
function murmurModel(s: string): bigint {
  const M = 0xc6a4a7935bd1e995n;
  const W = 0xffffffffffffffffn;
  let h = (0xadc83b19n ^ ((BigInt(s.length) * M) & W)) & W;
  const blocks = s.length >> 3;
  for (let b = 0; b < blocks; b++) {
    let k = 0n;
    for (let i = 7; i >= 0; i--) k = (k << 8n) | BigInt(s.charCodeAt(b * 8 + i));
    k = (k * M) & W;
    k ^= k >> 47n;
    k = (k * M) & W;
    h = ((h ^ k) * M) & W;
  }
  const rem = s.length & 7;
  if (rem > 0) {
    let t = 0n;
    for (let i = rem - 1; i >= 0; i--) t = (t << 8n) | BigInt(s.charCodeAt(blocks * 8 + i));
    h = ((h ^ t) * M) & W;
  }
  h ^= h >> 47n;
  h = (h * M) & W;
  return h ^ (h >> 47n);
}

test('MurmurHash64A in 32-bit halves gives the 64-bit hash, for every length and byte; patLen splits it', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), (bytes) => {
      const s = String.fromCharCode(...bytes);
      const h = murmurModel(s);
      assert.equal(murmur64a(s), h);
      // the register is the low 14 bits; the count is 1 + the trailing zeros of the other 50 (at most 51)
      let rest = (h >> 14n) | (1n << 50n);
      let count = 1;
      while ((rest & 1n) === 0n) {
        count++;
        rest >>= 1n;
      }
      assert.deepEqual(patLen(s), [Number(h & 0x3fffn), count]);
    }),
    { numRuns: 3000 },
  );
  // bytes whose words have their top bits set, and long runs of zero bits after the register
  for (const s of ['\xff'.repeat(17), '\x80\x00\x00\x80'.repeat(5), '', 'a', 'x'.repeat(8)])
    assert.equal(murmur64a(s), murmurModel(s));
});

test('a sparse HLL edited in place: the room behind the stream stays zero, also after it shrinks (unit)', () => {
  // (mutableBuf lengthens a string over that room: APPEND or SETRANGE would read what a stream left there)
  let shrinks = 0;
  for (let seed = 1; seed < 200; seed++) {
    const h = new Hll(createHll());
    const r = rng(seed);
    for (let i = 0; i < 400; i++) {
      const before = h.buf.length;
      h.add('e' + Math.floor(r() * 5000), 3000);
      if (h.buf.length < before) shrinks++;
      if (h.encoding !== 1) break;
      const room = new Uint8Array(h.buf.buffer, h.buf.byteOffset + h.buf.length);
      assert.ok(
        room.every((x) => x === 0),
        `seed ${seed}, add ${i}`,
      );
    }
  }
  assert.ok(shrinks > 0, 'no stream shrank');
});

test('MurmurHash64A and the register / run length split (unit)', () => {
  assert.equal(murmur64a(''), 0xd8dfea6585bc9732n);
  for (const s of ['a', 'hello', '12345678', '123456789abcdefgh']) {
    const [i, c] = patLen(s);
    assert.ok(i >= 0 && i < REGISTERS && c >= 1 && c <= 51);
  }
  const h = new Hll(createHll());
  assert.equal(estimate(histogram(h.buf)!), 0);
  for (let i = 0; i < 1000; i++) h.add('x' + i, 3000);
  const e = estimate(histogram(h.buf)!);
  assert.ok(Math.abs(e - 1000) < 30, String(e));
});

test('PFADD / PFCOUNT / GET bytes, small sets', async () => {
  await both(d!, [
    ['PFADD', 'h'],
    ['GET', 'h'],
    ['PFCOUNT', 'h'],
    ['GET', 'h'],
    ['PFADD', 'h'],
    ['PFADD', 'h', 'a', 'b', 'c'],
    ['GET', 'h'],
    ['PFADD', 'h', 'a'],
    ['PFCOUNT', 'h'],
    ['GET', 'h'],
    ['PFADD', 'h', 'd', 'e', 'f', 'g', ''],
    ['PFCOUNT', 'h'],
    ['PFCOUNT', 'h'],
    ['GET', 'h'],
    ['STRLEN', 'h'],
    ['PFDEBUG', 'ENCODING', 'h'],
    ['PFDEBUG', 'DECODE', 'h'],
    ['PFDEBUG', 'encoding', 'h'],
    ['PFCOUNT', 'missing'],
    ['PFCOUNT', 'missing', 'missing2'],
    ['PFADD', 'h2', 'x', 'y', 'a'],
    ['PFCOUNT', 'h', 'h2'],
    ['PFCOUNT', 'h', 'missing', 'h2'],
    ['GET', 'h2'],
    ['OBJECT', 'ENCODING', 'h'],
    ['SET', 'h3', 'x', 'EX', '100'],
    ['DEL', 'h3'],
    ['PFADD', 'h3', 'q'],
    ['EXPIRE', 'h3', '100'],
    ['PFADD', 'h3', 'r'],
    ['TTL', 'h3'],
  ]);
});

test('errors: WRONGTYPE, not an HLL, corrupted, PFDEBUG', async () => {
  await both(d!, [
    ['@list', 'l'],
    ['PFADD', 'l', 'a'],
    ['PFCOUNT', 'l'],
    ['PFCOUNT', 'l', 'x'],
    ['PFMERGE', 'l', 'x'],
    ['PFMERGE', 'x', 'l'],
    ['SET', 's', 'hello'],
    ['PFADD', 's', 'a'],
    ['PFCOUNT', 's'],
    ['PFCOUNT', 'x', 's'],
    ['PFMERGE', 's'],
    ['PFMERGE', 'd', 's'],
    ['SET', 'n', '123'],
    ['PFADD', 'n', 'a'],
    ['PFCOUNT', 'n'],
    ['SET', 'short', 'HYLL'],
    ['PFADD', 'short', 'a'],
    ['SET', 'badenc', 'HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'],
    ['PFADD', 'badenc', 'a'],
    ['PFCOUNT', 'badenc'],
    ['SET', 'shortdense', 'HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'],
    ['PFCOUNT', 'shortdense'],
    // A sparse stream covering too few registers.
    ['SET', 'bad', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\x00'],
    ['PFCOUNT', 'bad'],
    ['PFCOUNT', 'bad', 'x'],
    ['PFMERGE', 'd2', 'bad'],
    ['PFDEBUG', 'GETREG', 'bad'],
    ['PFDEBUG', 'TODENSE', 'bad'],
    ['PFDEBUG', 'DECODE', 'bad'],
    ['PFADD', 'bad', 'a'],
    // A valid cached cardinality is trusted.
    ['SET', 'cached', 'HYLL\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x7f\xff'],
    ['PFCOUNT', 'cached'],
    ['GET', 'cached'],
    ['PFDEBUG', 'GETREG', 'missing'],
    ['PFDEBUG', 'FOO', 'missing'],
    ['PFADD', 'p', 'a'],
    ['PFDEBUG', 'FOO', 'p'],
    ['PFDEBUG', 'Foo', 'l'],
    ['PFDEBUG', 'ENCODING', 's'],
    ['PFDEBUG', 'ENCODING'],
    ['PFADD'],
    ['PFCOUNT'],
    ['PFMERGE'],
    ['PFSELFTEST', 'x'],
    ['PFDEBUG', 'TODENSE', 'p'],
    ['PFDEBUG', 'TODENSE', 'p'],
    ['PFDEBUG', 'ENCODING', 'p'],
    ['PFDEBUG', 'DECODE', 'p'],
    ['GET', 'p'],
    ['PFADD', 'p', 'zz'],
    ['GET', 'p'],
    ['PFCOUNT', 'p'],
    ['PFDEBUG', 'GETREG', 'p'],
    ['PFADD', 'q', 'a'],
    ['PFDEBUG', 'GETREG', 'q'],
    ['GET', 'q'],
  ]);
});

test('WATCH: a PFCOUNT that refreshes the cached cardinality is a change, a cached one is not', async () => {
  await d!.reset();
  await d!.same([
    ['PFADD', 'w', 'a', 'b'],
    ['WATCH', 'w'],
    ['PFCOUNT', 'w'],
    ['MULTI'],
    ['PING'],
    ['EXEC'],
    ['WATCH', 'w'],
    ['PFCOUNT', 'w'],
    ['MULTI'],
    ['PING'],
    ['EXEC'],
    ['MULTI'],
    ['PFADD', 'w', 'c'],
    ['PFCOUNT', 'w'],
    ['PFCOUNT', 'w', 'nokey'],
    ['PFMERGE', 'w2', 'w'],
    ['GET', 'w2'],
    ['EXEC'],
  ]);
});

test('PFSELFTEST replies OK', async () => {
  await d!.same([['PFSELFTEST']]);
});

/** Runs random PFADD sequences on both servers, checking replies and bytes. */
async function randomAdds(
  seed: number,
  keys: number,
  batches: number,
  universe: number,
  maxBatch: number,
): Promise<void> {
  const r = rng(seed);
  await d!.reset();
  for (let b = 0; b < batches; b++) {
    const key = 'k' + Math.floor(r() * keys);
    const n = 1 + Math.floor(r() * maxBatch);
    const cmd: Cmd = ['PFADD', key];
    for (let i = 0; i < n; i++) cmd.push('e' + Math.floor(r() * universe) + (r() < 0.1 ? '-longer-element-' + i : ''));
    await d!.same([cmd]);
    if (r() < 0.3) await d!.same([['PFCOUNT', key]]);
    if (r() < 0.2) await d!.same([['GET', key]]);
  }
  for (let k = 0; k < keys; k++)
    await d!.same([
      ['GET', 'k' + k],
      ['PFCOUNT', 'k' + k],
      ['PFDEBUG', 'ENCODING', 'k' + k],
      ['GET', 'k' + k],
    ]);
  const all = Array.from({ length: keys }, (_, k) => 'k' + k);
  await d!.same([
    ['PFCOUNT', ...all],
    ['PFMERGE', 'm', ...all],
    ['GET', 'm'],
    ['PFCOUNT', 'm'],
    ['PFMERGE', 'k0', 'k1'],
    ['GET', 'k0'],
  ]);
  // the bytes past a stream that shrank in place read as zeros when a SETRANGE lengthens the string
  for (let k = 0; k < keys; k++)
    await d!.same([
      ['SETRANGE', 'k' + k, 4000, 'x'],
      ['GET', 'k' + k],
    ]);
}

test('random PFADD sequences: byte-identical sparse HLLs', async () => {
  for (let s = 1; s <= 6; s++) await randomAdds(s, 3, 60, 500, 8);
});

test('random PFADD sequences: promotion to dense and dense HLLs', async () => {
  for (let s = 10; s <= 13; s++) await randomAdds(s, 2, 40, 100000, 200);
});

test('promotion by hll-sparse-max-bytes and by a register over 32', async () => {
  await d!.reset();
  for (const v of ['200', '3000']) {
    await d!.same([['FLUSHALL'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', v]]);
    for (let i = 0; i < 400; i++) {
      await d!.same([['PFADD', 'x', 'el' + i]]);
      if (i % 20 === 0)
        await d!.same([
          ['GET', 'x'],
          ['PFDEBUG', 'ENCODING', 'x'],
        ]);
    }
    await d!.same([
      ['GET', 'x'],
      ['PFCOUNT', 'x'],
    ]);
  }
  await d!.same([['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
  // Find an element whose run length exceeds 32 (about one in 2^32 elements is too rare: build the
  // register directly instead, through a raw sparse HLL with a register at 32, then merge a dense one).
  const sparse32 = Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\xfc', 'latin1'); // Z:16383 v:32,1
  await d!.same([
    ['SET', 'r', sparse32],
    ['PFCOUNT', 'r'],
    ['PFDEBUG', 'DECODE', 'r'],
    ['PFADD', 'r', 'a', 'b'],
    ['GET', 'r'],
    ['PFDEBUG', 'DECODE', 'r'],
  ]);
  await d!.same([
    ['PFADD', 'dd', 'x'],
    ['PFDEBUG', 'TODENSE', 'dd'],
    ['PFMERGE', 'dd', 'r'],
    ['GET', 'dd'],
    ['PFMERGE', 'sp', 'r'],
    ['GET', 'sp'],
    ['PFDEBUG', 'ENCODING', 'sp'],
  ]);
  await d!.same([
    ['PFMERGE', 'sp2', 'dd'],
    ['PFDEBUG', 'ENCODING', 'sp2'],
    ['GET', 'sp2'],
    ['PFCOUNT', 'sp2', 'r', 'dd'],
  ]);
});

test('PFMERGE: sparse and dense sources, missing keys, destination as source', async () => {
  await d!.reset();
  const big: string[] = [];
  for (let i = 0; i < 5000; i++) big.push('b' + i);
  await d!.same([
    ['PFADD', 'a', 'x', 'y', 'z'],
    ['PFADD', 'b', 'y', 'w'],
    ['PFMERGE', 'c', 'a', 'b'],
    ['GET', 'c'],
    ['PFCOUNT', 'c'],
    ['PFMERGE', 'a', 'b'],
    ['GET', 'a'],
    ['PFMERGE', 'e'],
    ['GET', 'e'],
    ['PFMERGE', 'f', 'nokey'],
    ['GET', 'f'],
    ['EXISTS', 'f'],
    ['PFADD', 'big', ...big],
    ['PFDEBUG', 'ENCODING', 'big'],
    ['PFCOUNT', 'big'],
    ['PFMERGE', 'g', 'a', 'big'],
    ['PFDEBUG', 'ENCODING', 'g'],
    ['GET', 'g'],
    ['PFCOUNT', 'g'],
    ['PFCOUNT', 'a', 'big', 'b'],
    ['PFMERGE', 'a', 'big'],
    ['GET', 'a'],
  ]);
});

test('an HLL built by redis-server reads the same in tsdis, and back', async () => {
  await d!.reset();
  const r = rng(99);
  for (const n of [0, 1, 10, 300, 3000, 30000]) {
    const els: string[] = [];
    for (let i = 0; i < n; i++) els.push('v' + Math.floor(r() * 1e9));
    const key = 'src' + n;
    // Build on redis only, copy the bytes to tsdis.
    await d!.b.call('PFADD', key, ...els);
    const bytes = bulkBytes(await d!.b.call('GET', key));
    assert.equal(await d!.a.call('SET', key, bytes), '+OK\r\n');
    await d!.same([
      ['PFCOUNT', key],
      ['GET', key],
      ['PFADD', key, 'extra1', 'extra2'],
      ['GET', key],
      ['PFCOUNT', key],
      ['PFCOUNT', key, 'src0'],
    ]);
    // Build on tsdis only, copy to redis.
    const key2 = 'mine' + n;
    await d!.a.call('PFADD', key2, ...els);
    const mine = bulkBytes(await d!.a.call('GET', key2));
    assert.equal(await d!.b.call('SET', key2, mine), '+OK\r\n');
    await d!.same([
      ['PFCOUNT', key2],
      ['GET', key2],
      ['PFDEBUG', 'GETREG', key2],
      ['GET', key2],
    ]);
  }
  // DUMP/RESTORE carry the bytes too, in both directions (the payloads may differ in their
  // LZF compression, so each server restores the other's).
  for (const els of [['a', 'b', 'c'], Array.from({ length: 2000 }, (_, i) => 'd' + i)]) {
    await d!.same([
      ['DEL', 'dumped', 'back'],
      ['PFADD', 'dumped', ...els],
    ]);
    const [da, db] = await Promise.all([d!.a.call('DUMP', 'dumped'), d!.b.call('DUMP', 'dumped')]);
    assert.equal(await d!.a.call('RESTORE', 'back', '0', bulkBytes(db)), '+OK\r\n');
    assert.equal(await d!.b.call('RESTORE', 'back', '0', bulkBytes(da)), '+OK\r\n');
    await d!.same([
      ['GET', 'back'],
      ['PFCOUNT', 'back'],
      ['GET', 'back'],
    ]);
  }
  // Through an RDB save and load.
  await d!.same([
    ['DEBUG', 'RELOAD'],
    ['GET', 'src3000'],
    ['PFCOUNT', 'src300', 'mine30000'],
    ['PFDEBUG', 'ENCODING', 'mine30000'],
    ['GET', 'mine300'],
  ]);
});

test('keyspace events and propagation as Redis', async () => {
  await d!.reset();
  const subA = await RawConn.connect(d!.tsdis.port);
  const subB = await d.ref();
  try {
    await d!.same([['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']]);
    await subA.call('PSUBSCRIBE', '__keyevent@0__:*');
    await subB.call('PSUBSCRIBE', '__keyevent@0__:*');
    await d!.same([
      ['PFADD', 'h', 'a'],
      ['PFADD', 'h', 'a'],
      ['PFCOUNT', 'h'],
      ['PFMERGE', 'm', 'h'],
      ['PFADD', 'h2'],
      ['PING'],
    ]);
    // Everything each subscriber got up to its PING reply: pfadd h, pfadd m (PFMERGE's event is
    // "pfadd", as in Redis), pfadd h2; none for an unchanged PFADD or for PFCOUNT.
    const [a, b] = await Promise.all([untilPong(subA), untilPong(subB)]);
    assert.deepEqual(a, b);
    assert.equal(a.length, 3);
    assert.ok(a[1]!.includes(':pfadd') && a[1]!.includes('\r\nm\r\n'), a[1]);
    // PFCOUNT that refreshes the cache counts as a change; a cached PFCOUNT does not.
    const dirty = (c: Conn): Promise<number> =>
      viewOf(c, (i) => Number(/rdb_changes_since_last_save:(\d+)/.exec(i)![1]), 'INFO', 'persistence');
    await d!.same([['PFADD', 'z', 'a', 'b', 'c']]);
    const a0 = await dirty(d!.a);
    const b0 = await dirty(d!.b);
    await d!.same([
      ['PFCOUNT', 'z'],
      ['PFCOUNT', 'z'],
      ['PFADD', 'z', 'd', 'e'],
    ]);
    assert.equal((await dirty(d!.a)) - a0, (await dirty(d!.b)) - b0);
  } finally {
    subA.close();
    subB.close();
    await d!.same([['CONFIG', 'SET', 'notify-keyspace-events', '']]);
  }
});

test('COMMAND INFO / DOCS of the PF commands', async () => {
  await d!.same([['COMMAND', 'INFO', 'pfadd', 'pfcount', 'pfmerge', 'pfselftest', 'pfdebug']]);
  await d!.same([
    ['COMMAND', 'GETKEYS', 'PFMERGE', 'd', 's1', 's2'],
    ['COMMAND', 'GETKEYS', 'PFCOUNT', 'a', 'b'],
    ['COMMAND', 'GETKEYS', 'PFDEBUG', 'GETREG', 'k'],
  ]);
});

/**
 * The list structure (src/types/list.ts) against an array model: random
 * sequences of pushes, pops, index writes, inserts, trims and removals must
 * leave the same elements, across the ring's growth, wrap-around and shrinking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { List, ListLimits, DEFAULT_LIST_LIMITS, elem, entrySize, type Elem } from '../../src/types/list.js';
import { CHUNK_MAX, chunkBytes, type Chunk, type Ring } from '../../src/types/list-chunks.js';
import { RespBytes } from '../../src/protocol/resp-bytes.js';
import { rng } from '../helpers/rng.js';

/** Redis's default list-max-listpack-size, for the tests that do not vary it. */
const DEF = DEFAULT_LIST_LIMITS;

/**
 * The encoding accounting matches the elements: as a listpack its byte size
 * is 7 + the entries' sizes; as a quicklist the nodes partition the list
 * (none empty) and each node's size is 7 + its entries' sizes.
 */
function checkAccounting(l: List): void {
  const x = l as unknown as { lpBytes: number; qCount: number[] | null; qSize: number[] };
  const all = l.toArray();
  if (x.qCount === null) {
    let b = 7;
    for (const v of all) b += entrySize(v);
    assert.equal(x.lpBytes, b, 'listpack bytes');
    return;
  }
  let i = 0;
  x.qCount.forEach((n, k) => {
    assert.ok(n > 0, 'empty node');
    let b = 7;
    for (let j = 0; j < n; j++) b += entrySize(all[i++]!);
    assert.equal(x.qSize[k], b, `node ${k} bytes`);
  });
  assert.equal(i, all.length, 'node counts');
}

/**
 * The chunks add up: their counts to the length, their chunkBytes to the
 * list's `mem` (memBytes reads it); no interior chunk is empty.
 */
function checkStructure(l: List): void {
  const x = l as unknown as { chunks: Ring<Chunk>; mem: number };
  const r = x.chunks;
  let n = 0;
  let mem = 0;
  for (let k = 0; k < r.length; k++) {
    const c = r.at(k);
    if (k > 0 && k < r.length - 1) assert.ok(c.n > 0, `interior chunk ${k} of ${r.length} empty`);
    assert.equal(c.items === null ? c.n : c.items.length, c.n, `chunk ${k} count`);
    n += c.n;
    mem += chunkBytes(c);
  }
  assert.equal(n, l.length, 'chunk counts');
  assert.equal(x.mem, mem, 'chunk bytes');
}

/** LREM on the array model: `m` without the first |count| elements equal to v (from the tail when count < 0, all when 0), and how many went. */
function lremModel(m: Elem[], v: Elem, count: number): [Elem[], number] {
  const limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  const drop = (x: Elem): boolean => x === v && removed < limit && ++removed > 0;
  const out =
    count >= 0
      ? m.filter((x) => !drop(x))
      : [...m]
          .reverse()
          .filter((x) => !drop(x))
          .reverse();
  return [out, removed];
}

/** List.bulks (LRANGE's bytes) of [a, b] against the model's elements as RESP bulk strings (none when a > b). */
function checkBulks(l: List, m: Elem[], a: number, b: number): void {
  const w = new RespBytes();
  if (a <= b) l.bulks(a, b, w);
  const want = m
    .slice(a, b + 1)
    .map((v) => `$${String(v).length}\r\n${v}\r\n`)
    .join('');
  assert.equal(w.take(), want, `[${a}, ${b}]`);
}

/**
 * Builds a list of `init` under `lim`, then runs each LREM on it and on the
 * array model: the same count removed, the same elements, the accounting
 * right; `check` sees the list and the model after each (until it is empty).
 */
function lremSequence(
  init: string[],
  removes: { v: string; count: number }[],
  lim: ListLimits,
  check: (l: List, m: Elem[]) => void,
): void {
  const l = new List();
  for (const s of init) l.pushRight(elem(s), lim);
  let m = init.map(elem);
  for (const o of removes) {
    const v = elem(o.v);
    const [rest, removed] = lremModel(m, v, o.count);
    m = rest;
    assert.equal(l.remove(v, o.count, lim), removed);
    assert.deepEqual(l.toArray(), m);
    assert.equal(l.length, m.length);
    if (m.length === 0) break;
    checkAccounting(l);
    check(l, m);
  }
}

type Op =
  | { t: 'push'; left: boolean; v: string; n: number }
  | { t: 'pop'; left: boolean; n: number }
  | { t: 'set'; i: number; v: string }
  | { t: 'insert'; i: number; v: string }
  | { t: 'trim'; s: number; e: number }
  | { t: 'remove'; v: string; count: number }
  | { t: 'dup' };

const val = fc.constantFrom('a', 'b', '1', '01', '-0', '42', '', 'x\x00\xff');
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('push' as const),
      left: fc.boolean(),
      v: val,
      n: fc.integer({ min: 1, max: 300 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ t: fc.constant('pop' as const), left: fc.boolean(), n: fc.integer({ min: 1, max: 200 }) }),
    weight: 3,
  },
  fc.record({ t: fc.constant('set' as const), i: fc.nat(1000), v: val }),
  { arbitrary: fc.record({ t: fc.constant('insert' as const), i: fc.nat(1000), v: val }), weight: 2 },
  fc.record({
    t: fc.constant('trim' as const),
    s: fc.integer({ min: -5, max: 400 }),
    e: fc.integer({ min: -5, max: 1500 }),
  }),
  fc.record({ t: fc.constant('remove' as const), v: val, count: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ t: fc.constant('dup' as const) }),
);

test('List behaves like an array under random operations', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      let l = new List();
      let m: Elem[] = [];
      for (const o of ops) {
        switch (o.t) {
          case 'push':
            for (let k = 0; k < o.n; k++) {
              const v = elem(o.v + (k % 3 === 0 ? '' : String(k)));
              l.push(v, o.left, DEF);
              if (o.left) m.unshift(v);
              else m.push(v);
            }
            break;
          case 'pop':
            for (let k = 0; k < o.n; k++) assert.equal(l.pop(o.left), o.left ? m.shift() : m.pop());
            break;
          case 'set':
            if (o.i < m.length) {
              l.setAt(o.i, elem(o.v));
              m[o.i] = elem(o.v);
            }
            break;
          case 'insert': {
            const i = Math.min(o.i, m.length);
            l.insertAt(i, elem(o.v), DEF);
            m.splice(i, 0, elem(o.v));
            break;
          }
          case 'trim': {
            const s = Math.max(0, o.s);
            const e = Math.min(o.e, m.length - 1);
            const before = m.length;
            const removed = l.trim(s, e, DEF);
            m = s > e || s >= before ? [] : m.slice(s, e + 1);
            assert.equal(removed, before - m.length);
            break;
          }
          case 'remove': {
            const v = elem(o.v);
            const [rest, removed] = lremModel(m, v, o.count);
            m = rest;
            assert.equal(l.remove(v, o.count, DEF), removed);
            break;
          }
          case 'dup': {
            const c = l.dup();
            c.pushRight('extra', DEF);
            l = c;
            l.popRight();
            break;
          }
        }
        assert.equal(l.length, m.length);
        assert.deepEqual(l.toArray(), m);
        checkAccounting(l);
        checkStructure(l);
        if (m.length) {
          assert.equal(l.at(0), m[0]);
          assert.equal(l.at(m.length - 1), m[m.length - 1]);
          assert.equal(l.indexOf(m[m.length >> 1]!), m.indexOf(m[m.length >> 1]!));
          for (const i of [1, 127, 128, 129, 255, 256, 300, m.length >> 1, m.length - 130])
            if (i >= 0 && i < m.length) assert.equal(l.at(i), m[i]);
          const a = Math.floor(m.length / 3);
          const b = m.length - 1 - Math.floor(m.length / 5);
          assert.deepEqual(l.range(a, b), m.slice(a, b + 1));
          const rev: Elem[] = [];
          l.scan(a, b, true, (v, i) => {
            assert.equal(v, m[i]);
            rev.push(v);
          });
          assert.deepEqual(rev, m.slice(a, b + 1).reverse());
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('elem keeps canonical integers as numbers and everything else as text', () => {
  assert.equal(elem('42'), 42);
  assert.equal(elem('-7'), -7);
  assert.equal(elem('007'), '007');
  assert.equal(elem('-0'), '-0');
  assert.equal(elem('9223372036854775808'), '9223372036854775808');
  // Redis 7.2: a new list starts as a listpack (7.0 said quicklist)
  assert.equal(new List().encoding(), 'listpack');
  assert.equal(new List().type, 'list');
});

test('long random sequences across many chunks match the array model', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const l = new List();
  let m: Elem[] = [];
  const vals = ['a', 'bb', '7', '123456789', 'x'.repeat(300), '-5', '', 'y'.repeat(32), '\xff\x80'.repeat(17)];
  for (let step = 0; step < 20000; step++) {
    const r = rnd(100);
    const v = elem(vals[rnd(vals.length)]! + (rnd(2) ? '' : String(rnd(50))));
    if (r < 30) {
      l.pushRight(v, DEF);
      m.push(v);
    } else if (r < 55) {
      l.pushLeft(v, DEF);
      m.unshift(v);
    } else if (r < 70) assert.equal(l.popLeft(), m.shift());
    else if (r < 85) assert.equal(l.popRight(), m.pop());
    else if (r < 92 && m.length) {
      const i = rnd(m.length + 1);
      l.insertAt(i, v, DEF);
      m.splice(i, 0, v);
    } else if (r < 97 && m.length) {
      const i = rnd(m.length);
      l.setAt(i, v);
      m[i] = v;
    } else if (r < 98 && m.length > 10) {
      checkAccounting(l);
      const s = rnd(5);
      const e = m.length - 1 - rnd(5);
      l.trim(s, e, DEF);
      m = m.slice(s, e + 1);
    } else if (m.length) {
      const i = rnd(m.length);
      assert.equal(l.at(i), m[i]);
    }
    assert.equal(l.length, m.length);
    if (step % 997 === 0) {
      assert.deepEqual(l.toArray(), m);
      checkAccounting(l);
      checkStructure(l);
      const a = rnd(m.length + 1);
      checkBulks(l, m, a, Math.min(m.length - 1, a + rnd(700)));
    }
  }
  assert.deepEqual(l.toArray(), m);
  assert.deepEqual(l.dup().toArray(), m);
  assert.ok(m.length > 1000, `the list grew to ${m.length}`);
});

test('LRANGE bytes (List.bulks) of packed and unpacked chunks: every length around the copy paths, high bytes', () => {
  const l = new List();
  const m: Elem[] = [];
  const lens = [0, 1, 2, 9, 10, 31, 32, 33, 99, 100, 127, 128, 129, 300];
  for (let i = 0; i < 1500; i++) {
    const len = lens[i % lens.length]!;
    let s = '';
    for (let k = 0; k < len; k++) s += String.fromCharCode((i * 7 + k * 13) % 256);
    const v = elem(i % 5 === 0 ? String(i) : s);
    l.pushRight(v, DEFAULT_LIST_LIMITS);
    m.push(v);
  }
  const r = rng(4242);
  for (let t = 0; t < 200; t++) {
    const a = Math.floor(r() * m.length);
    checkBulks(l, m, a, Math.min(m.length - 1, a + Math.floor(r() * 400)));
  }
});

test('encoding accounting under small limits, with conversions both ways', () => {
  for (const fill of [3, 8, -1]) {
    const lim = new ListLimits();
    lim.set(fill);
    {
      let seed = 777 + fill;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      const l = new List();
      let m: Elem[] = [];
      const vals = [
        'a',
        '7',
        '-5',
        '300',
        '70000',
        '123456789012',
        '9223372036854775807',
        'x'.repeat(70),
        'y'.repeat(1500),
        '',
      ];
      const seen = new Set<string>();
      for (let step = 0; step < 5000; step++) {
        const r = rnd(100);
        const v = elem(vals[rnd(vals.length)]!);
        const grow = m.length < 40 || rnd(3) === 0;
        if (r < 40 && grow) {
          const left = rnd(2) === 0;
          l.push(v, left, lim);
          if (left) m.unshift(v);
          else m.push(v);
        } else if (r < 50 && grow) {
          const xs = [String(v), 'b', '12'];
          l.pushMany(xs, 0, false, lim);
          m.push(...xs.map(elem));
        } else if (r < 75 && m.length) {
          const left = rnd(2) === 0;
          assert.equal(l.pop(left), left ? m.shift() : m.pop());
          if (m.length) l.shrinkCheck(lim);
        } else if (r < 85 && m.length) {
          const i = rnd(m.length);
          const after = rnd(2) === 0;
          l.growCheck(lim, textOf(v).length, 1);
          l.insertAround(i, after, v);
          m.splice(after ? i + 1 : i, 0, v);
        } else if (r < 92 && m.length) {
          const i = rnd(m.length);
          l.growCheck(lim, textOf(v).length, 1);
          l.setAt(i, v);
          m[i] = v;
          l.shrinkCheck(lim);
        } else if (r < 96 && m.length > 2) {
          const s = rnd(3);
          const e = m.length - 1 - rnd(3);
          l.trim(s, e, lim);
          m = s > e ? [] : m.slice(s, e + 1);
        } else if (m.length) {
          const x = m[rnd(m.length)]!;
          const n = m.filter((y) => y === x).length;
          assert.equal(l.remove(x, 0, lim), n);
          m = m.filter((y) => y !== x);
        }
        assert.deepEqual(l.toArray(), m);
        checkAccounting(l);
        seen.add(l.encoding());
      }
      assert.deepEqual([...seen].sort(), ['listpack', 'quicklist'], `fill ${fill}`);
    }
  }
});

function textOf(v: Elem): string {
  return typeof v === 'number' ? String(v) : v;
}

test('a list built as a quicklist (SORT STORE) becomes a listpack when it is one node within the limit', () => {
  const small = List.builtAsQuicklist(
    ['a', 'b', 1, 2].map((x) => x),
    DEF,
  );
  assert.equal(small.encoding(), 'listpack');
  assert.deepEqual(small.toArray(), ['a', 'b', 1, 2]);
  checkAccounting(small);
  // 79 entries of 100 bytes fill one 8 KB node (8144 bytes); 80 take two
  const one = List.builtAsQuicklist(
    Array.from({ length: 79 }, () => 'v'.repeat(100)),
    DEF,
  );
  assert.equal(one.encoding(), 'listpack');
  checkAccounting(one);
  const two = List.builtAsQuicklist(
    Array.from({ length: 80 }, () => 'v'.repeat(100)),
    DEF,
  );
  assert.equal(two.encoding(), 'quicklist');
  assert.equal(two.quicklistNodes(), 2);
  checkAccounting(two);
});

test('two embedded servers keep their own list-max-listpack-size', async () => {
  const { createServer } = await import('../../src/index.js');
  const a = await createServer({ noListen: true, config: { 'list-max-listpack-size': '2' } });
  const b = await createServer({ noListen: true });
  try {
    await a.call('RPUSH', 'l', '1', '2', '3');
    await b.call('RPUSH', 'l', '1', '2', '3');
    assert.equal(await a.call('OBJECT', 'ENCODING', 'l'), 'quicklist');
    assert.equal(await b.call('OBJECT', 'ENCODING', 'l'), 'listpack');
  } finally {
    await a.close();
    await b.close();
  }
});

test("a write replayed after CLIENT PAUSE converts by its own server's list-max-listpack-size, whatever ran in between", async () => {
  const { createServer } = await import('../../src/index.js');
  const { RawConn } = await import('../helpers/servers.js');
  const a = await createServer({ port: 0, config: { 'list-max-listpack-size': '2' } });
  const b = await createServer({ noListen: true });
  const ctl = await RawConn.connect(a.port);
  const w = await RawConn.connect(a.port);
  try {
    assert.equal(await ctl.call('CLIENT', 'PAUSE', '300', 'WRITE'), '+OK\r\n');
    const pushed = w.call('RPUSH', 'l', '1', '2', '3'); // held by the pause
    await new Promise((r) => setTimeout(r, 50));
    await b.call('RPUSH', 'm', '1'); // the other server runs a command meanwhile
    assert.equal(await pushed, ':3\r\n');
    assert.equal(await a.call('OBJECT', 'ENCODING', 'l'), 'quicklist');
  } finally {
    ctl.close();
    w.close();
    await a.close();
    await b.close();
  }
});

test('LREM on a one-chunk listpack (compacted in place) leaves what a rebuilt list has, accounting and memory included', () => {
  const small = fc.constantFrom('job:1', 'job:2', '7', 'x'.repeat(40));
  fc.assert(
    fc.property(
      fc.array(small, { minLength: 1, maxLength: 100 }),
      fc.array(fc.record({ v: small, count: fc.integer({ min: -4, max: 4 }) }), { maxLength: 12 }),
      (init, removes) =>
        lremSequence(init, removes, DEF, (l, m) => {
          const fresh = new List();
          for (const x of m) fresh.pushRight(x, DEF);
          assert.equal(l.memBytes(), fresh.memBytes(), 'memory as a rebuilt list');
        }),
    ),
    { numRuns: 400 },
  );
});

test('LREM on a long list removes in place from the end its count names, accounting and memory included', () => {
  // lists of many chunks (both encodings: a listpack limit of 8 KB or of 4 entries), LREMs of every count
  const v = fc.constantFrom('job:1', 'job:2', '7', 'x'.repeat(40), '-3');
  fc.assert(
    fc.property(
      fc.array(v, { minLength: 300, maxLength: 2000 }),
      fc.array(fc.record({ v, count: fc.integer({ min: -5, max: 5 }) }), { maxLength: 20 }),
      fc.constantFrom(DEF, { fill: 4, bytes: 0, count: 4 } as ListLimits),
      (init, removes, lim) => lremSequence(init, removes, lim, checkStructure),
    ),
    { numRuns: 150 },
  );
});

test('LREM one element at a time across a long list: small chunks merge, memory stays near a rebuilt list', () => {
  const l = new List();
  const n = 20000;
  for (let i = 0; i < n; i++) l.pushRight(elem(`job:${i}`), DEF);
  // remove 90% of the elements in a scattered order, each by LREM 1 or -1
  const r = rng(7);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const gone = new Set<number>();
  for (const i of order.slice(0, n * 0.9)) {
    assert.equal(l.remove(elem(`job:${i}`), i % 2 === 0 ? 1 : -1, DEF), 1);
    gone.add(i);
  }
  const left = Array.from({ length: n }, (_, i) => i).filter((i) => !gone.has(i));
  assert.deepEqual(
    l.toArray(),
    left.map((i) => elem(`job:${i}`)),
  );
  checkAccounting(l);
  checkStructure(l);
  const fresh = new List();
  for (const i of left) fresh.pushRight(elem(`job:${i}`), DEF);
  const chunks = (x: List) => (x as unknown as { chunks: Ring<Chunk> }).chunks.length;
  assert.ok(chunks(l) <= (4 * left.length) / CHUNK_MAX + 2, `${chunks(l)} chunks for ${left.length} elements`);
  assert.ok(l.memBytes() < 2 * fresh.memBytes(), `${l.memBytes()} bytes against ${fresh.memBytes()} rebuilt`);
});

/**
 * The hash and set types against Map/Set models (fast-check): contents and
 * encodings after random operations with small limits (so conversions
 * happen), the SCAN guarantee across growth and deletes (every member
 * present for the whole scan is returned), and the intset order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { HashValue } from '../../src/types/hash.js';
import { RespBytes } from '../../src/protocol/resp-bytes.js';
import { SetValue, isInt64Text, cmpInt, type SetLimits } from '../../src/types/set.js';

const member = fc.oneof(
  fc.integer({ min: -50, max: 300 }).map(String),
  fc.constantFrom('a', 'b', 'x'.repeat(10), '', '-0', '01'),
);

type HOp = { t: 'set'; f: string; v: string } | { t: 'del'; f: string } | { t: 'scan'; count: number };
const hop: fc.Arbitrary<HOp> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), f: member, v: fc.string({ maxLength: 12 }) }),
  fc.record({ t: fc.constant('del' as const), f: member }),
  fc.record({ t: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 20 }) }),
);

test('hash: matches a Map model; listpack keeps insertion order; conversion is one-way', () => {
  fc.assert(
    fc.property(
      fc.array(hop, { maxLength: 300 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 10 }),
      (ops, maxEntries, maxValue) => {
        const h = new HashValue();
        const m = new Map<string, string>();
        let wasHt = false;
        for (const o of ops) {
          if (o.t === 'set') {
            if (h.packed() && (o.f.length > maxValue || o.v.length > maxValue)) h.toHashtable();
            assert.equal(h.set(o.f, o.v, maxEntries), !m.has(o.f));
            m.set(o.f, o.v);
          } else if (o.t === 'del') {
            assert.equal(h.delete(o.f), m.delete(o.f));
          }
          if (wasHt) assert.equal(h.encoding(), 'hashtable');
          wasHt = h.encoding() === 'hashtable';
          if (h.packed()) assert.ok(h.size <= maxEntries);
        }
        assert.equal(h.size, m.size);
        const got = new Map<string, string>();
        h.forEach((f, v) => got.set(f, v));
        assert.deepEqual(got, m);
        if (h.packed()) assert.deepEqual([...got.keys()], [...m.keys()]);
        for (const [f, v] of m) assert.equal(h.get(f), v);
        const dup = h.dup();
        assert.equal(dup.encoding(), h.encoding());
        dup.set('zz-new', '1', 1000);
        assert.equal(h.has('zz-new'), m.has('zz-new'));
      },
    ),
  );
});

test('hash: HSCAN guarantee across growth and deletes', () => {
  fc.assert(
    fc.property(fc.array(hop, { maxLength: 300 }), (ops) => {
      const h = new HashValue();
      h.toHashtable();
      for (let i = 0; i < 100; i++) h.set('init' + i, 'v', 0);
      const start = new Set<string>();
      h.forEach((f) => start.add(f));
      const deleted = new Set<string>();
      const seen = new Set<string>();
      let cursor = 0;
      let i = 0;
      do {
        const o = ops[i++ % Math.max(ops.length, 1)];
        if (o?.t === 'set') h.set(o.f, o.v, 0);
        else if (o?.t === 'del') {
          if (h.delete(o.f)) deleted.add(o.f);
          if (h.delete('init' + (i % 100))) deleted.add('init' + (i % 100));
        }
        cursor = h.scan(cursor, o?.t === 'scan' ? o.count : 7, (f) => seen.add(f));
      } while (cursor !== 0);
      for (const f of start) if (!deleted.has(f)) assert.ok(seen.has(f), f);
    }),
  );
});

type SOp = { t: 'add'; x: string } | { t: 'del'; x: string } | { t: 'pop'; r: number };
const sop: fc.Arbitrary<SOp> = fc.oneof(
  fc.record({ t: fc.constant('add' as const), x: member }),
  fc.record({ t: fc.constant('del' as const), x: member }),
  fc.record({ t: fc.constant('pop' as const), r: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
);

test('set: matches a Set model; intset stays sorted; encodings follow Redis 7.2', () => {
  fc.assert(
    fc.property(
      fc.array(sop, { maxLength: 300 }),
      fc.record({
        intsetEntries: fc.integer({ min: 0, max: 50 }),
        listpackEntries: fc.integer({ min: 0, max: 30 }),
        listpackValue: fc.integer({ min: 0, max: 12 }),
      }),
      (ops, lim: SetLimits) => {
        const first = ops.find((o): o is { t: 'add'; x: string } => o.t === 'add');
        const s = SetValue.create(first?.x ?? '1', 1, lim);
        const m = new Set<string>();
        let rank = 0;
        for (const o of ops) {
          if (o.t === 'add') {
            assert.equal(s.add(o.x, lim), !m.has(o.x));
            m.add(o.x);
          } else if (o.t === 'del') assert.equal(s.delete(o.x), m.delete(o.x));
          else if (s.size > 0) {
            const x = s.removeAt(Math.floor(o.r * s.size));
            assert.ok(m.delete(x));
          }
          const enc = s.encoding();
          const r = enc === 'intset' ? 0 : enc === 'listpack' ? 1 : 2;
          assert.ok(r >= rank, 'conversions are one-way');
          rank = r;
          if (enc === 'intset') {
            for (const x of s.m) assert.ok(isInt64Text(x));
            for (let i = 1; i < s.m.length; i++) assert.ok(cmpInt(s.m[i - 1]!, s.m[i]!) < 0);
            assert.ok(s.size <= lim.intsetEntries || s.size <= 1);
          }
          if (enc === 'listpack') assert.ok(s.size <= lim.listpackEntries);
        }
        assert.deepEqual(new Set(s.m), m);
        assert.equal(s.size, m.size);
        for (const x of m) assert.ok(s.has(x));
        const dup = s.dup();
        assert.equal(dup.encoding(), s.encoding());
        assert.deepEqual(dup.m, s.m);
      },
    ),
  );
});

test('set: SSCAN guarantee across growth and deletes', () => {
  const lim = { intsetEntries: 512, listpackEntries: 128, listpackValue: 64 };
  fc.assert(
    fc.property(fc.array(sop, { maxLength: 300 }), (ops) => {
      const s = new SetValue(2);
      for (let i = 0; i < 150; i++) s.add('init' + i, lim);
      const start = new Set(s.m);
      const removed = new Set<string>();
      const seen = new Set<string>();
      let cursor = 0;
      let i = 0;
      do {
        const o = ops[i++ % Math.max(ops.length, 1)];
        if (o?.t === 'add') s.add(o.x, lim);
        else if (o?.t === 'del' && s.delete('init' + ((i * 7) % 150))) removed.add('init' + ((i * 7) % 150));
        else if (o?.t === 'pop' && s.size > 0) removed.add(s.removeAt(Math.floor(o.r * s.size)));
        cursor = s.scan(cursor, 5, (x) => seen.add(x));
      } while (cursor !== 0);
      for (const x of start) if (!removed.has(x)) assert.ok(seen.has(x), x);
    }),
  );
});

test('isInt64Text is string2ll; cmpInt orders numerically', () => {
  for (const s of ['0', '-1', '9223372036854775807', '-9223372036854775808', '123']) assert.ok(isInt64Text(s), s);
  for (const s of [
    '',
    '-',
    '-0',
    '01',
    '+1',
    ' 1',
    '1.0',
    '9223372036854775808',
    '-9223372036854775809',
    '1e3',
    '99999999999999999999',
  ])
    assert.ok(!isInt64Text(s), s);
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      (a, b) => {
        assert.ok(isInt64Text(a.toString()));
        assert.equal(cmpInt(a.toString(), b.toString()), a < b ? -1 : a > b ? 1 : 0);
      },
    ),
  );
});

/** Lengths around the packed string's prefix sizes (one char below 128, two below 16,384). */
const edgeLen = fc.constantFrom(0, 1, 2, 12, 13, 127, 128, 129, 300, 16383, 16384);
const longStr = fc.tuple(edgeLen, fc.integer({ min: 0, max: 255 })).map(([n, c]) => String.fromCharCode(c).repeat(n));

/** HashValue.bulks (HGETALL, HKEYS, HVALS) against the model's pairs as RESP bulk strings. */
function checkBulks(h: HashValue, m: Map<string, string>): void {
  const resp = (xs: readonly string[]) => xs.map((x) => `$${x.length}\r\n${x}\r\n`).join('');
  for (const [fields, values, want] of [
    [true, true, [...m].flat()],
    [true, false, [...m.keys()]],
    [false, true, [...m.values()]],
  ] as const) {
    const w = new RespBytes();
    h.bulks(w, fields, values);
    assert.equal(w.take(), resp(want));
  }
}

test('packed hash: HGETALL bytes of every length around the copy paths and the two-byte prefixes, every byte value', () => {
  const h = new HashValue();
  const m = new Map<string, string>();
  const lens = [0, 1, 31, 32, 33, 127, 128, 129, 300];
  lens.forEach((len, i) => {
    let v = '';
    for (let k = 0; k < len; k++) v += String.fromCharCode((i * 31 + k * 7) % 256);
    const f = `f${i}` + v.slice(0, len % 40);
    h.set(f, v, 1000);
    m.set(f, v);
  });
  assert.ok(h.packed());
  checkBulks(h, m);
});

test('packed hash: fields and values of any length and byte (multi-char prefixes), deletes anywhere, then conversion', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.oneof(member, longStr), fc.oneof(longStr, fc.string())), { maxLength: 20 }),
      fc.array(fc.nat(30)),
      (pairs, dels) => {
        const h = new HashValue();
        const m = new Map<string, string>();
        for (const [f, v] of pairs) {
          assert.equal(h.set(f, v, 1000), !m.has(f));
          m.set(f, v);
        }
        const keys = [...m.keys()];
        for (const d of dels) {
          const f = keys[d % Math.max(1, keys.length)] ?? 'none';
          assert.equal(h.delete(f), m.delete(f));
        }
        assert.equal(h.encoding(), 'listpack');
        assert.equal(h.size, m.size);
        const got: [string, string][] = [];
        h.forEach((f, v, i) => {
          assert.equal(h.fieldAt(i), f);
          assert.equal(h.valueAt(i), v);
          got.push([f, v]);
        });
        assert.deepEqual(got, [...m]);
        assert.deepEqual(h.pairs(), [...m].flat());
        checkBulks(h, m);
        for (const [f, v] of m) assert.equal(h.get(f), v);
        h.toHashtable();
        checkBulks(h, m);
        assert.equal(h.encoding(), 'hashtable');
        const after = new Map<string, string>();
        h.forEach((f, v) => after.set(f, v));
        assert.deepEqual(after, m);
      },
    ),
  );
});

test('packed hash: a listpackex keeps its pairs ordered by TTL as fields gain, change and lose them', () => {
  const h = new HashValue();
  for (let i = 0; i < 6; i++) h.set('f' + i, 'v'.repeat(20) + i, 100);
  h.enableTtls();
  h.setExpire('f3', 500);
  h.setExpire('f5', 300);
  h.setExpire('f0', 400);
  const order = () => h.pairs().filter((_, i) => i % 2 === 0);
  assert.deepEqual(order(), ['f5', 'f0', 'f3', 'f1', 'f2', 'f4']);
  assert.deepEqual(h.ex!.lpt, [300, 400, 500, 0, 0, 0]);
  h.setExpire('f3', 100); // earlier: moves to the front
  assert.deepEqual(order(), ['f3', 'f5', 'f0', 'f1', 'f2', 'f4']);
  assert.ok(h.persistField('f5')); // no TTL: moves to the end
  assert.deepEqual(order(), ['f3', 'f0', 'f1', 'f2', 'f4', 'f5']);
  h.set('f0', 'new', 100); // overwritten: loses its TTL, moves to the end
  assert.deepEqual(order(), ['f3', 'f1', 'f2', 'f4', 'f5', 'f0']);
  assert.deepEqual(h.ex!.lpt, [100, 0, 0, 0, 0, 0]);
  assert.deepEqual(h.takeDue(150, 10), ['f3']);
  assert.ok(h.delete('f3'));
  assert.equal(h.get('f4'), 'v'.repeat(20) + 4);
  assert.equal(h.get('f0'), 'new');
  assert.equal(h.minExpire(), 0);
});

test('packed hash: a 10-field hash costs under 400 heap bytes (one string, not 22 objects)', () => {
  // In a child with --expose-gc: heap growth per hash after full collections,
  // each field and value a fresh string cut from a Buffer as the parser makes them.
  // The flat array of separate strings it replaced measured ~1,020.
  const url = new URL('../../src/types/hash.js', import.meta.url).href;
  const code = `
    const { HashValue } = await import(${JSON.stringify(url)});
    const N = 20000;
    const src = Buffer.from('f0f1f2f3f4f5f6f7f8f9' + 'x'.repeat(64), 'latin1');
    let seq = 0;
    gc(); gc();
    const base = process.memoryUsage().heapUsed;
    const hs = new Array(N);
    for (let i = 0; i < N; i++) {
      const h = new HashValue();
      for (let k = 0; k < 10; k++) {
        src.write(String(seq++).padStart(16, '0'), 20, 'latin1');
        h.set(src.latin1Slice(2 * k, 2 * k + 2), src.latin1Slice(20, 36), 128);
      }
      hs[i] = h;
    }
    gc(); gc();
    const per = (process.memoryUsage().heapUsed - base - 8 * N) / N;
    process.stdout.write(JSON.stringify({ per, model: hs[0].memBytes() }));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { per, model } = JSON.parse(r.stdout) as { per: number; model: number };
  assert.ok(per < 400, `heap bytes per hash: ${per}`);
  assert.ok(Math.abs(per - model) < 0.1 * model, `memBytes() ${model} against ${per} measured`);
});

test('packed hash: appendNew (HSET of new fields in one rebuild) matches setting pair by pair, or changes nothing', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(member, fc.string({ maxLength: 12 })), { maxLength: 6 }),
      fc.array(fc.tuple(member, fc.string({ maxLength: 12 })), { maxLength: 40 }),
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 0, max: 12 }),
      (before, args, maxEntries, maxValue) => {
        const a = new HashValue();
        const b = new HashValue();
        for (const [f, v] of before) {
          a.set(f, v, 1000);
          b.set(f, v, 1000);
        }
        const argv = ['HSET', 'k', ...args.flat()];
        const pairs0 = a.pairs();
        const n = a.appendNew(argv, 2, maxEntries, maxValue);
        if (n < 0) {
          assert.deepEqual(a.pairs(), pairs0);
          return;
        }
        let added = 0;
        for (const [f, v] of args) {
          if ((f.length > maxValue || v.length > maxValue) && b.packed()) b.toHashtable();
          if (b.set(f, v, maxEntries)) added++;
        }
        assert.equal(n, added);
        assert.equal(a.encoding(), b.encoding());
        assert.deepEqual(a.pairs(), b.pairs());
      },
    ),
  );
});

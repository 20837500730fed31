/**
 * The stream's nodes (src/types/stream.ts) against a sorted-array model:
 * random appends (IDs from 0-1 to 2^64-1 in both parts, binary values of
 * every length class of the packed data's varints, fields the master's or
 * not), deletes and exact trims, under random node limits, must read back the
 * same entries through range (both ways, any bounds and count), get, dup and
 * the ID accessors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ID_MAX, IdMap, Stream, fmtId, makeId, string2ull, type StreamId } from '../../src/types/stream.js';
import { RespBytes } from '../../src/protocol/resp-bytes.js';

const U64 = (1n << 64n) - 1n;
const BIG = 1n << 53n;

interface ModelEntry {
  id: StreamId;
  fv: string[];
}

/** The next ID after `last`: the next sequence, a later ms, or a jump past 2^53 (or to the top). */
const step = fc.oneof(
  fc.constant<[string, bigint]>(['seq', 1n]),
  fc.tuple(fc.constant('ms'), fc.bigInt({ min: 1n, max: 5000n })),
  fc.tuple(fc.constant('bigms'), fc.bigInt({ min: BIG - 2n, max: U64 })),
  fc.tuple(fc.constant('bigseq'), fc.bigInt({ min: BIG - 2n, max: U64 })),
);

function nextId(last: StreamId, s: [string, bigint]): StreamId | null {
  const ms = last >> 64n;
  const seq = last & U64;
  let id: StreamId;
  if (s[0] === 'seq') id = last + 1n;
  else if (s[0] === 'ms') id = makeId(ms + s[1], 0n);
  else if (s[0] === 'bigms') id = makeId(s[1] > ms ? s[1] : ms + 1n, seq);
  else id = makeId(ms, s[1] > seq ? s[1] : seq + 1n);
  return id > last && id <= ID_MAX ? id : null;
}

/** A latin1 value: short, 127-128 bytes (the varint's edge), or 16 KB (three varint bytes). */
const value = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 126, max: 129 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 16380, max: 16390 }).map((n) => '\xff'.repeat(n)) },
);

const op = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      step,
      same: fc.boolean(),
      vals: fc.array(value, { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('del' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trim' as const), keep: fc.nat({ max: 30 }) }) },
);

/** An ID to look for: a live one, one just before or after it, or the ends. */
function probe(model: ModelEntry[], pick: number): StreamId {
  if (model.length === 0 || pick % 7 === 0) return pick % 2 === 0 ? 0n : ID_MAX;
  const id = model[pick % model.length]!.id;
  const d = pick % 3;
  return d === 0 ? id : d === 1 ? (id === 0n ? id : id - 1n) : id === ID_MAX ? id : id + 1n;
}

const bulk = (x: string) => `$${x.length}\r\n${x}\r\n`;

/** An entry's reply, [id, [field, value, ...]], as text. */
function entryResp(e: ModelEntry): string {
  return `*2\r\n${bulk(fmtId(e.id))}*${e.fv.length}\r\n${e.fv.map(bulk).join('')}`;
}

function check(s: Stream, model: ModelEntry[], picks: number[]): void {
  assert.equal(s.length, model.length);
  const all: ModelEntry[] = [];
  const texts: string[] = [];
  s.range(0n, ID_MAX, false, 0, (node, i) => {
    all.push({ id: node.idAt(i), fv: node.fvAt(i) });
    texts.push(node.idText(i));
  });
  assert.deepEqual(all, model);
  assert.deepEqual(
    texts,
    model.map((e) => fmtId(e.id)),
  );
  // the entries written as their reply (XRANGE's), IDs' digits and headers in place
  const w = new RespBytes();
  s.range(0n, ID_MAX, false, 0, (node, i) => node.writeEntry(i, w));
  assert.equal(w.take(), model.map(entryResp).join(''));
  for (let k = 0; k + 2 < picks.length; k += 3) {
    const a = probe(model, picks[k]!);
    const b = probe(model, picks[k + 1]!);
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const count = picks[k + 2]! % 5;
    for (const rev of [false, true]) {
      const got: StreamId[] = [];
      s.range(lo, hi, rev, count, (node, i) => {
        got.push(node.idAt(i));
      });
      let want = model.filter((e) => e.id >= lo && e.id <= hi).map((e) => e.id);
      if (rev) want.reverse();
      if (count !== 0) want = want.slice(0, count);
      assert.deepEqual(got, want, `range ${fmtId(lo)} ${fmtId(hi)} rev=${rev} count=${count}`);
    }
    assert.deepEqual(s.get(a), model.find((e) => e.id === a)?.fv);
  }
}

test('stream nodes read back what was appended, deleted and trimmed, under any node limits', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8 }),
      fc.constantFrom(0, 40, 200, 4096),
      fc.array(op, { maxLength: 60 }),
      fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
      (maxEntries, maxBytes, ops, picks) => {
        const s = new Stream();
        let model: ModelEntry[] = [];
        let fields: string[] | null = null;
        for (const o of ops) {
          if (o.k === 'add') {
            const id = nextId(s.lastId, o.step);
            if (id === null) continue;
            const fv: string[] = [];
            o.vals.forEach((v, j) => fv.push(o.same && fields !== null && j < fields.length ? fields[j]! : `f${j}`, v));
            fields ??= fv.filter((_, j) => j % 2 === 0);
            const text = s.append(id, ['XADD', 'k', '*', ...fv], 3, maxEntries, maxBytes);
            assert.equal(text, fmtId(id));
            model.push({ id, fv });
          } else if (o.k === 'del') {
            if (model.length === 0) continue;
            const e = model[o.pick % model.length]!;
            assert.equal(s.delete(e.id), true);
            assert.equal(s.delete(e.id), false);
            model = model.filter((x) => x !== e);
          } else {
            s.trim({ strategy: 'maxlen', maxlen: o.keep, minid: 0n, approx: false, limit: 0 });
            model = model.slice(Math.max(0, model.length - o.keep));
          }
        }
        check(s, model, picks);
        check(s.dup(), model, picks);
      },
    ),
    { numRuns: 300 },
  );
});

test('entries written as their reply: IDs with every digit count and at the word edges', () => {
  const parts = [0n, 1n, 9n, 10n, 99n, 100n, 12345678n, 99999999n, 100000000n, 2147483647n, 2147483648n, 4294967295n];
  parts.push(4294967296n, 1733600000123n, 99999999999999n, BIG - 1n, BIG, BIG + 1n, 10n ** 16n, U64 - 1n, U64);
  const ids = [...new Set(parts.flatMap((ms) => parts.map((seq) => makeId(ms, seq))))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const s = new Stream();
  const model: ModelEntry[] = [];
  for (const [k, id] of ids.entries()) {
    const fv = ['field', 'v'.repeat(k % 130)];
    s.append(id, ['XADD', 'k', '*', ...fv], 3, 100, 4096);
    model.push({ id, fv });
  }
  const w = new RespBytes();
  s.range(0n, ID_MAX, false, 0, (node, i) => node.writeEntry(i, w));
  assert.equal(w.take(), model.map(entryResp).join(''));
});

/** A sorted-array model of IdMap: the IDs in order, their values by ID. */
class IdModel {
  ids: StreamId[] = [];
  vals = new Map<StreamId, number>();
  set(id: StreamId, v: number): void {
    if (!this.vals.has(id)) {
      this.ids.push(id);
      this.ids.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    }
    this.vals.set(id, v);
  }
  delete(id: StreamId): boolean {
    if (!this.vals.delete(id)) return false;
    this.ids.splice(this.ids.indexOf(id), 1);
    return true;
  }
}

/**
 * IDs near each other (so blocks split and merge), at both parts' ends, and with ms above 2^53 that one
 * double holds (IdMap searches the ms as doubles first).
 */
const pelId = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.bigInt(1000n, 1400n), fc.bigInt(0n, 3n)).map(([ms, seq]) => makeId(ms, seq)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.bigInt(1n << 60n, (1n << 60n) + 300n), fc.bigInt(0n, 3n))
      .map(([ms, seq]) => makeId(ms, seq)),
  },
  { weight: 1, arbitrary: fc.constantFrom(0n, ID_MAX, makeId(5n, U64), makeId(BIG, 0n), makeId(U64, 0n)) },
);
const pelOp = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constant('set' as const), pelId, fc.nat(1000)) },
  // (v = 1: by take, which returns the value)
  { weight: 3, arbitrary: fc.tuple(fc.constant('del' as const), pelId, fc.nat(1)) },
  // a run of ascending IDs above every key (XREADGROUP's new entries)
  { weight: 1, arbitrary: fc.tuple(fc.constant('append' as const), fc.constant(0n), fc.nat(300)) },
);

test('IdMap (a PEL) against a sorted-array model: get, set, delete, take, first, last, from(start) while deleting', () => {
  fc.assert(
    fc.property(fc.array(pelOp, { maxLength: 400 }), fc.array(pelId, { maxLength: 5 }), (ops, starts) => {
      const m = new IdMap<number>();
      const model = new IdModel();
      let top = makeId(2000n, 0n);
      for (const [op, id, v] of ops) {
        if (op === 'set') {
          m.set(id, v);
          model.set(id, v);
        } else if (op === 'del') {
          if (v === 1) assert.equal(m.take(id), model.vals.get(id));
          else assert.equal(m.delete(id), model.vals.has(id));
          model.delete(id);
        } else
          for (let k = 0; k < v; k++) {
            top += 1n;
            m.set(top, k);
            model.set(top, k);
          }
        assert.equal(m.size, model.ids.length);
      }
      assert.equal(m.first(), model.ids[0]);
      assert.equal(m.last(), model.ids[model.ids.length - 1]);
      for (const id of [...model.ids, ...starts]) assert.equal(m.get(id), model.vals.get(id));
      assert.deepEqual(
        [...m.from()].map(([id]) => id),
        model.ids,
      );
      for (const start of starts) {
        // every second entry deleted as it is given (XAUTOCLAIM's deleted entries): the rest still come, in order
        const want = model.ids.filter((id) => id >= start);
        const got: StreamId[] = [];
        let k = 0;
        for (const [id, v] of m.from(start)) {
          got.push(id);
          assert.equal(v, model.vals.get(id));
          if (k++ % 2 === 0) {
            assert.ok(m.delete(id));
            model.delete(id);
          }
        }
        assert.deepEqual(got, want);
        assert.deepEqual(
          [...m.from()].map(([id]) => id),
          model.ids,
        );
      }
    }),
    { numRuns: 300 },
  );
});

test('string2ull: digits alone read as their decimal value up to 2^64-1 (the fast path for 15 digits or fewer agrees)', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9]{1,21}$/), (s) => {
      const v = BigInt(s);
      assert.equal(string2ull(s), v <= U64 ? v : null);
    }),
    { numRuns: 2000 },
  );
  for (const [s, want] of [
    ['', null],
    ['0', 0n],
    ['007', 7n],
    ['999999999999999', 999_999_999_999_999n],
    ['9999999999999999', 9_999_999_999_999_999n],
    ['18446744073709551615', U64],
    ['18446744073709551616', null],
    ['-1', null],
    [' 12', 12n],
    ['+12', 12n],
    ['12a', null],
    ['1.5', null],
    ['-0', 0n],
  ] as const)
    assert.equal(string2ull(s), want, JSON.stringify(s));
});

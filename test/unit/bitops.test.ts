/**
 * Growable string buffers and bit helpers (src/types/bitops.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineInto, findBit, getField, mutableBuf, newOwnedBuf, popcount, setField } from '../../src/types/bitops.js';

test('mutableBuf copies foreign values, grows owned ones in place with zeroed spare room', () => {
  const foreign = Buffer.from('abc');
  const a = mutableBuf(foreign, 2);
  assert.notEqual(a, foreign, 'a Buffer allocated elsewhere is copied before any write');
  assert.equal(a.latin1Slice(0, a.length), 'abc');
  assert.equal(mutableBuf(a, 3), a, 'an owned Buffer long enough is returned as is');
  const b = mutableBuf(a, 5); // grows: new view, spare capacity
  assert.equal(b.latin1Slice(0, b.length), 'abc\0\0');
  b[4] = 7;
  const c = mutableBuf(b, 8);
  assert.equal(c.buffer, b.buffer, 'growth within capacity reuses the backing store');
  assert.deepEqual([...c], [97, 98, 99, 0, 7, 0, 0, 0]);
  assert.equal(mutableBuf(undefined, 4).length, 4);
  assert.equal(mutableBuf(12345, 2).latin1Slice(0, 5), '12345');
  assert.equal(mutableBuf('xy', 4).latin1Slice(0, 4), 'xy\0\0');
  let v = mutableBuf(undefined, 1);
  for (let i = 2; i < 5000; i++) v = mutableBuf(v, i);
  assert.equal(v.length, 4999);
  assert.ok(v.every((x) => x === 0));
});

test('popcount, findBit and fields agree with a bit-by-bit model', () => {
  let seed = 3;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let round = 0; round < 200; round++) {
    const len = 1 + rnd(40);
    const buf = newOwnedBuf(len);
    for (let i = 0; i < len; i++) buf[i] = rnd(4) ? rnd(256) : rnd(2) * 255;
    const bit = (p: number) => (p < len * 8 ? (buf[p >> 3]! >> (7 - (p & 7))) & 1 : 0);
    const s = rnd(len);
    const e = s + rnd(len - s);
    let n = 0;
    for (let p = s * 8; p < (e + 1) * 8; p++) n += bit(p);
    assert.equal(popcount(buf, s, e), n);
    assert.equal(popcount(buf.latin1Slice(0, len), s, e), n);
    const want = rnd(2) as 0 | 1;
    const from = rnd(len * 8);
    const to = from + rnd(len * 8 - from);
    let first = -1;
    for (let p = from; p <= to; p++)
      if (bit(p) === want) {
        first = p;
        break;
      }
    assert.equal(findBit(buf, want, from, to), first);
    const bits = 1 + rnd(64);
    const off = rnd(len * 8);
    let field = 0n;
    for (let p = off; p < off + bits; p++) field = (field << 1n) | BigInt(bit(p));
    assert.equal(getField(buf, off, bits), field);
    if (off + bits <= len * 8) {
      const val = BigInt(rnd(1 << 30)) * BigInt(rnd(1 << 30));
      const before = Buffer.from(buf);
      setField(buf, off, bits, val);
      assert.equal(getField(buf, off, bits), BigInt.asUintN(bits, val));
      for (let p = 0; p < len * 8; p++) {
        if (p < off || p >= off + bits) assert.equal(bit(p), (before[p >> 3]! >> (7 - (p & 7))) & 1);
      }
    }
    const other = Buffer.from(buf.map(() => rnd(256)));
    const res = Buffer.from(buf);
    combineInto(res, other, 1);
    assert.ok(res.every((x, i) => x === (buf[i]! | other[i]!)));
  }
});

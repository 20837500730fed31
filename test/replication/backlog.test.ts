/**
 * The replication backlog's ring buffer: offsets, wrap-around, what it
 * still holds for a PSYNC, and resizing, checked against a plain string
 * holding the whole stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backlog } from '../../src/replication/backlog.js';

test('backlog keeps the newest bytes across wrap-around and answers holds/since by offset', () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const start = 1000; // offset of the last byte before the backlog was made
  const b = new Backlog(64, start);
  assert.equal(b.firstOffset, start + 1);
  assert.ok(b.holds(start + 1), 'an empty backlog continues at the next offset');
  assert.ok(!b.holds(start + 2));
  let whole = '';
  let held = 0; // bytes the backlog should hold: a resize keeps only what fits
  for (let i = 0; i < 200; i++) {
    const len = rnd(i % 20 === 0 ? 150 : 30);
    let s = '';
    for (let j = 0; j < len; j++) s += String.fromCharCode(rnd(256));
    b.append(i % 2 ? s : Buffer.from(s, 'latin1'));
    whole += s;
    held = Math.min(b.size, held + s.length);
    const end = start + whole.length;
    assert.equal(b.histlen, held);
    assert.equal(b.firstOffset, end - b.histlen + 1);
    assert.ok(!b.holds(b.firstOffset - 1));
    assert.ok(!b.holds(end + 2));
    const from = b.firstOffset + rnd(b.histlen + 1);
    assert.ok(b.holds(from));
    assert.equal(b.since(from).toString('latin1'), whole.slice(from - start - 1));
    if (i === 100 || i === 150) {
      b.resize(i === 100 ? 40 : 100);
      held = Math.min(40, held);
      assert.equal(b.histlen, held, 'resizing keeps the newest bytes that fit');
      assert.equal(b.since(b.firstOffset).toString('latin1'), whole.slice(-b.histlen));
    }
  }
});

/**
 * The shared replication buffer (src/replication/backlog.ts): offsets
 * across blocks, what it still holds for a PSYNC, trimming to
 * repl-backlog-size from the head only while the backlog is a block's last
 * reference, a reference (a slow replica) keeping blocks past the limit,
 * resizing, and its memory figure, checked against a plain string holding
 * the whole stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backlog, BLOCK_OVERHEAD, TRIM_BLOCKS_PER_CALL, type ReplBlock } from '../../src/replication/backlog.js';
import { encodeCommand } from '../../src/persistence/aof-format.js';

/** Walks the list: blocks, their bytes and memory, checking each block's offset and id follow the previous one's. */
function walk(b: Backlog): { blocks: ReplBlock[]; bytes: number; mem: number } {
  const blocks: ReplBlock[] = [];
  let bytes = 0;
  let mem = 0;
  for (let x = b.head; x !== null; x = x.next) {
    const prev = blocks[blocks.length - 1];
    if (prev !== undefined) {
      assert.equal(x.offset, prev.offset + prev.used, 'blocks are contiguous');
      assert.equal(x.id, prev.id + 1);
      assert.equal(prev.used, prev.buf.length, 'only the tail has room');
    }
    blocks.push(x);
    bytes += x.used;
    mem += x.buf.length + BLOCK_OVERHEAD;
  }
  assert.equal(blocks[blocks.length - 1] ?? null, b.tail);
  return { blocks, bytes, mem };
}

test('backlog keeps the newest bytes across blocks, trims to its size, and answers holds/since by offset', () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const start = 1000; // offset of the last byte before the backlog was made
  const b = new Backlog(640, start, 32);
  assert.equal(b.firstOffset, start + 1);
  assert.ok(b.holds(start + 1), 'an empty backlog continues at the next offset');
  assert.ok(!b.holds(start + 2));
  assert.equal(b.locate(start + 1), null);
  let whole = '';
  // (after a resize to a larger size, what had been trimmed is not back: held grows from there)
  let grownFrom = Infinity;
  let grownAt = 0;
  for (let i = 0; i < 400; i++) {
    const len = rnd(i % 20 === 0 ? 300 : 30);
    let s = '';
    for (let j = 0; j < len; j++) s += String.fromCharCode(rnd(256));
    b.append(i % 2 ? s : Buffer.from(s, 'latin1'));
    // (Replication trims after a block is added and before sleeping: here after every append)
    b.trim(TRIM_BLOCKS_PER_CALL);
    whole += s;
    const end = start + whole.length;
    const w = walk(b);
    assert.equal(w.bytes, b.histlen);
    assert.equal(w.mem, b.mem);
    assert.equal(b.head?.refcount ?? 1, 1, 'the head is referenced by the backlog only');
    // trimmed only by whole head blocks, and never below the limit
    assert.ok(b.histlen >= Math.min(b.size, whole.length, grownFrom + whole.length - grownAt));
    if (w.blocks.length > 1) assert.ok(b.histlen - w.blocks[0]!.used <= b.size, 'no head block left that could go');
    assert.equal(b.firstOffset, end - b.histlen + 1);
    assert.ok(!b.holds(b.firstOffset - 1));
    assert.ok(!b.holds(end + 2));
    const from = b.firstOffset + rnd(b.histlen + 1);
    assert.ok(b.holds(from));
    assert.equal(b.since(from).toString('latin1'), whole.slice(from - start - 1));
    const at = b.locate(from);
    if (at !== null) assert.equal(at.block.offset + at.pos, from);
    if (i === 200 || i === 300) {
      const before = b.histlen;
      b.resize(i === 200 ? 200 : 1000);
      const r = walk(b);
      assert.ok(b.histlen <= before);
      assert.ok(b.histlen >= Math.min(b.size, before), 'resizing keeps at least the newest bytes that fit');
      if (r.blocks.length > 1) assert.ok(b.histlen - r.blocks[0]!.used <= b.size);
      grownFrom = b.histlen;
      grownAt = whole.length;
      assert.equal(b.since(b.firstOffset).toString('latin1'), whole.slice(-b.histlen));
    }
  }
});

test('a reference (a slow replica) keeps its block and all after it past the limit; released, they are trimmed a bounded number per call', () => {
  const b = new Backlog(100, 0, 10);
  let whole = '';
  const feed = (s: string): void => {
    if (b.append(s)) b.trim(TRIM_BLOCKS_PER_CALL);
    whole += s;
  };
  feed('a'.repeat(50));
  // a replica behind: its reference on the block holding offset 41
  const at = b.locate(41)!;
  at.block.refcount++;
  for (let i = 0; i < 300; i++) feed(String.fromCharCode(65 + (i % 26)).repeat(10));
  assert.equal(whole.length, 3050);
  // nothing from the replica's block on was dropped, so a PSYNC from before it still continues
  assert.ok(b.firstOffset <= at.block.offset);
  assert.ok(b.holds(41));
  assert.equal(b.since(41).toString('latin1'), whole.slice(40));
  assert.ok(b.histlen >= 3050 - 40, 'the backlog outgrew repl-backlog-size');
  assert.ok(b.mem >= b.histlen);
  const memBefore = b.mem;
  // released: trimmed back to the limit, at most TRIM_BLOCKS_PER_CALL blocks a call
  at.block.refcount--;
  const blocksBefore = walk(b).blocks.length;
  b.trim(TRIM_BLOCKS_PER_CALL);
  assert.equal(walk(b).blocks.length, blocksBefore - TRIM_BLOCKS_PER_CALL);
  assert.ok(b.mem < memBefore);
  for (let i = 0; i < 10; i++) b.trim(TRIM_BLOCKS_PER_CALL);
  assert.ok(b.histlen >= 100 && b.histlen - b.head!.used <= 100);
  assert.equal(b.since(b.firstOffset).toString('latin1'), whole.slice(-b.histlen));
  assert.equal(b.mem, walk(b).mem);
});

test('blocks are at least the smallest block and at most size/16, and bytesFrom counts a reference to the tail end', () => {
  const b = new Backlog(16 * 1024 * 64, 0);
  b.append('x'.repeat(10));
  assert.equal(b.head!.buf.length, 16 * 1024, 'at least 16 KB');
  b.append('y'.repeat(16 * 1024 - 10 + 3 * 64 * 1024 + 5));
  const w = walk(b);
  assert.deepEqual(
    w.blocks.map((x) => x.buf.length),
    [16 * 1024, 64 * 1024, 64 * 1024, 64 * 1024, 16 * 1024],
    'a big append: blocks of size/16, the last at least 16 KB',
  );
  assert.equal(b.bytesFrom(b.head!), 2 * 16 * 1024 + 3 * 64 * 1024 + 5 * BLOCK_OVERHEAD);
  assert.equal(b.bytesFrom(b.tail!), 16 * 1024 + BLOCK_OVERHEAD, 'free room counts');
  b.rebase(1_000_000);
  assert.equal(b.firstOffset, 1_000_000 - b.histlen + 1);
  assert.equal(b.tail!.offset + b.tail!.used - 1, 1_000_000);
});

test('appendCommand writes the same bytes as encodeCommand, in the tail or across blocks, with its SELECT', () => {
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const str = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(rnd(256));
    return s;
  };
  const b = new Backlog(1 << 20, 0, 64);
  let expect = '';
  for (let i = 0; i < 400; i++) {
    const argv: string[] = [];
    const n = 1 + rnd(5);
    // empty, short (copied a char at a time) and long arguments, some longer than a block
    for (let j = 0; j < n; j++) argv.push(str([0, 1, 9, 10, 16, 17, 100, 150][rnd(8)]!));
    const select = rnd(4) === 0 ? rnd(20) : -1;
    const before = b.lastOffset;
    b.appendCommand(argv, select);
    const bytes = (select === -1 ? '' : encodeCommand(['SELECT', String(select)])) + encodeCommand(argv);
    assert.equal(b.lastOffset - before, bytes.length);
    expect += bytes;
  }
  assert.equal(b.since(1).toString('latin1'), expect);
  assert.equal(walk(b).bytes, expect.length);
  // textFrom: from any position of any block to the end
  const first = b.head!;
  assert.equal(b.textFrom(first, 5), expect.slice(5));
  assert.equal(b.textFrom(b.tail!, 0), expect.slice(b.tail!.offset - 1));
});

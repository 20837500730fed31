/**
 * Reply.capture, on a script's client while jslua runs its commands: a reply
 * that is one bulk string (a string or a number), safe integer or +OK, or in
 * RESP2 an array of those and nulls, is held as values, and its text (spill)
 * is what the writer writes without capture, so what a script gets does not
 * depend on it. Anything else, and anything written after a held value, is
 * written as text, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reply, HELD_ARRAY, HELD_BULK, HELD_INT, HELD_NONE, HELD_OK } from '../../src/protocol/writer.js';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { scripting } from '../../src/scripting/scripts.js';

/** What `write` writes to a plain Reply, and to a capturing one as held text then out. */
function both(
  write: (r: Reply) => void,
  resp: 2 | 3 = 2,
): { plain: string; captured: string; kind: number; out: string; whole: boolean } {
  const plain = new Reply(resp);
  write(plain);
  const c = new Reply(resp);
  c.capture = true;
  write(c);
  const held = { kind: c.heldKind, out: c.out, whole: c.heldWhole };
  if (c.heldKind !== HELD_NONE) c.spill();
  return { plain: plain.out, captured: c.out, ...held };
}

test('held values: a bulk string, a safe integer or +OK, whose text is the plain encoding', () => {
  for (const s of ['', 'x', 'a\r\nb', '$-1\r\n', '\xe9\xff\x00', 'y'.repeat(100000), 12, -1.5]) {
    const r = both((w) => w.bulk(s));
    assert.equal(r.kind, HELD_BULK);
    assert.equal(r.out, '');
    assert.equal(r.captured, r.plain);
  }
  for (const n of [0, -0, 1, -5, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
    const r = both((w) => w.int(n));
    assert.equal(r.kind, HELD_INT);
    assert.equal(r.captured, r.plain);
  }
  const c = new Reply();
  c.capture = true;
  c.int(-0);
  assert.ok(Object.is(c.held, 0), '-0 is held as 0, as its text ":0" reads');
  const ok = both((w) => w.ok());
  assert.equal(ok.kind, HELD_OK);
  assert.equal(ok.captured, '+OK\r\n');
});

test('not held: other values, and what follows a held one stays after it', () => {
  const others: ((w: Reply) => void)[] = [
    (w) => w.int(2 ** 53),
    (w) => w.int(5n),
    (w) => w.bulk(Buffer.from('buf')),
    (w) => w.simple('PONG'),
    (w) => w.null(),
    (w) => w.error('ERR no'),
  ];
  for (const write of others) {
    const r = both(write);
    assert.equal(r.kind, HELD_NONE);
    assert.equal(r.captured, r.plain);
  }
  const r = both((w) => {
    w.bulk('first');
    w.error('ERR after');
    w.int(3);
  });
  assert.equal(r.kind, HELD_BULK);
  assert.equal(r.captured, r.plain);
  const off = new Reply();
  off.bulk('x');
  assert.equal(off.heldKind, HELD_NONE);
});

test('held arrays (RESP2): bulk strings, integers and nulls; anything else inside turns them into text', () => {
  const held: ((w: Reply) => void)[] = [
    (w) => w.bulks(['a', 'b\r\n']),
    (w) => w.array(0),
    (w) => {
      w.map(1); // RESP2: an array of 2
      w.bulk('f');
      w.bulk('v');
    },
    (w) => {
      w.set(2);
      w.bulk('a');
      w.int(1);
    },
    (w) => {
      w.array(3);
      w.bulk('x');
      w.null();
      w.int(-7);
    },
  ];
  for (const write of held) {
    const r = both(write);
    assert.equal(r.kind, HELD_ARRAY);
    assert.equal(r.out, '');
    assert.ok(r.whole);
    assert.equal(r.captured, r.plain);
  }
  const spilled: ((w: Reply) => void)[] = [
    (w) => {
      w.array(2);
      w.bulk('a');
      w.array(1); // a nested array
      w.bulk('b');
      w.bulk('c');
    },
    (w) => {
      w.array(3);
      w.int(1);
      w.bulk(Buffer.from('buf'));
      w.double(1.5);
    },
    (w) => {
      w.array(2);
      w.ok();
      w.error('ERR e');
    },
    (w) => {
      w.array(2);
      w.int(2 ** 60);
      w.simple('s');
    },
  ];
  for (const write of spilled) {
    const r = both(write);
    assert.equal(r.kind, HELD_NONE);
    assert.equal(r.captured, r.plain);
  }
  // RESP3: not held (a null is not Lua's false there)
  assert.equal(both((w) => w.bulks(['a']), 3).kind, HELD_NONE);
  for (const write of [(w: Reply) => w.map(0), (w: Reply) => w.set(0)]) {
    const r3 = both(write, 3);
    assert.equal(r3.kind, HELD_NONE);
    assert.equal(r3.captured, r3.plain);
  }
  // an array missing elements is not whole: the script's host writes it as text
  const part = both((w) => {
    w.array(3);
    w.bulk('a');
  });
  assert.equal(part.kind, HELD_ARRAY);
  assert.equal(part.whole, false);
  assert.equal(part.captured, part.plain);
});

test("a script's client captures only while jslua runs its commands", async () => {
  const t = await startTsdis();
  try {
    t.server.debugFlags.jslua = true;
    const c = await RawConn.connect(t.port);
    const script = "redis.call('SET', KEYS[1], 'v') return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}";
    assert.equal(await c.call('EVAL', script, '2', 'k', 'n'), '*2\r\n$1\r\nv\r\n:1\r\n');
    const lua = scripting(t.server).luaClient!;
    assert.equal(lua.reply.capture, false);
    assert.equal(lua.reply.heldKind, HELD_NONE);
    c.close();
  } finally {
    await t.close();
  }
});

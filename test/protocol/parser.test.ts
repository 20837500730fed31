/**
 * RespParser unit tests. Every case is fed whole, byte by byte, and (for
 * small frames) split in two at every offset; all feedings must give the
 * same commands and the same error or waiting state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespParser, ProtocolError, splitArgs, INLINE_MAX, RESERVE_MIN } from '../../src/protocol/parser.js';

const MB = 1024 * 1024;

interface Outcome {
  cmds: string[][];
  /** The protocol error text, 'noreply:<text>' for a close without reply, or null while waiting. */
  err: string | null;
  buffered: number;
}

/**
 * Feeds chunks to a fresh parser, pulling every command after each chunk,
 * until an error. `asSocket`: fed as the server's sockets feed it, each
 * chunk copied into one reused buffer whose bytes past it are stale
 * protocol (CRs, LFs, `*`, `$`, digits), passed as (buffer, n), release()
 * after the commands are pulled.
 */
function run(chunks: Buffer[], setup?: (p: RespParser) => void, asSocket = false): Outcome {
  const p = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: 1024 * MB });
  setup?.(p);
  const shared = asSocket ? Buffer.alloc(Math.max(0, ...chunks.map((c) => c.length)) + 64) : null;
  const stale = b('*3\r\n$3\r\nSET\r\n$1\r\n');
  const cmds: string[][] = [];
  for (const c of chunks) {
    let fe;
    if (shared !== null) {
      for (let i = 0; i < shared.length; i++) shared[i] = stale[i % stale.length]!;
      c.copy(shared);
      fe = p.feed(shared, c.length);
    } else fe = p.feed(c);
    if (fe) return { cmds, err: 'noreply:' + fe.message, buffered: p.buffered };
    for (let guard = 0; ; guard++) {
      assert.ok(guard <= c.length + 1, 'next() must consume bytes or stop');
      const r = p.next();
      if (r === null) break;
      if (r instanceof ProtocolError) return { cmds, err: r.message, buffered: p.buffered };
      cmds.push(r);
    }
    if (shared !== null) p.release();
  }
  return { cmds, err: null, buffered: p.buffered };
}

/** run() as the server's sockets feed the parser. */
function runAsSocket(chunks: Buffer[], setup?: (p: RespParser) => void): Outcome {
  return run(chunks, setup, true);
}

/** Ways to cut a frame: whole, byte by byte, and in two at every offset when small. */
function feedings(frame: Buffer): Buffer[][] {
  const out: Buffer[][] = [[frame]];
  if (frame.length <= 300_000) {
    const bytes: Buffer[] = [];
    for (let i = 0; i < frame.length; i++) bytes.push(frame.subarray(i, i + 1));
    out.push(bytes);
  }
  if (frame.length <= 256) {
    for (let i = 1; i < frame.length; i++) out.push([frame.subarray(0, i), frame.subarray(i)]);
    // and in three pieces around the middle
    const m = frame.length >> 1;
    for (let i = 1; i < m; i++) out.push([frame.subarray(0, i), frame.subarray(i, m), frame.subarray(m)]);
  }
  return out;
}

const b = (s: string) => Buffer.from(s, 'latin1');

/** Asserts every feeding of input parses to the expected commands and error (null = still waiting). */
function check(
  input: string | Buffer,
  cmds: string[][],
  err: string | null = null,
  setup?: (p: RespParser) => void,
): void {
  const frame = typeof input === 'string' ? b(input) : input;
  for (const chunks of feedings(frame)) {
    const how = `${JSON.stringify(frame.subarray(0, 60).toString('latin1'))} in ${chunks.length} chunk(s)`;
    const o = run(chunks, setup);
    assert.deepEqual(o.cmds, cmds, how);
    assert.equal(o.err, err, how);
    // the same through a reused read buffer with stale bytes after each read
    const s = runAsSocket(chunks, setup);
    assert.deepEqual(s.cmds, cmds, how + ', fed as (buffer, n)');
    assert.equal(s.err, err, how + ', fed as (buffer, n)');
  }
}

test('multibulk commands, pipelined', () => {
  check('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', [['GET', 'k']]);
  check('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$2\r\nbc\r\n', [
    ['PING'],
    ['ECHO', ''],
    ['SET', 'a', 'bc'],
  ]);
  // an incomplete command waits
  check('*2\r\n$3\r\nGET\r\n$1\r\n', [], null);
  check('*2\r\n$3\r\nGET\r\n$1\r\nk\r', [], null);
});

test('inline commands: spaces, quotes, escapes', () => {
  check('PING\r\n', [['PING']]);
  check('PING\n', [['PING']]);
  check('  set  a   b \r\n', [['set', 'a', 'b']]);
  check('SET "a b" \'c d\'\r\n', [['SET', 'a b', 'c d']]);
  check('ECHO "\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\"z"\r\n', [['ECHO', 'AJ\n\r\t\b\x07\\"z']]);
  check('ECHO "\\xZZ" "\\x4"\r\n', [['ECHO', 'xZZ', 'x4']]);
  check("ECHO 'it\\'s' 'a\\nb'\r\n", [['ECHO', "it's", 'a\\nb']]);
  check('ECHO a"b c" d\r\n', [['ECHO', 'ab c', 'd']]); // a quote may open mid-token
  check('ECHO ""\r\n', [['ECHO', '']]);
  check('ECHO a\tb\r\n', [['ECHO', 'a', 'b']]);
  check('ECHO a\x0bb\x0cc\r\n', [['ECHO', 'a\x0bb\x0cc']]); // \v and \f do not separate tokens
  check('ECHO "x"\x0b\r\n', [['ECHO', 'x']]); // but they may follow a closing quote
  check('PING\r\nPING\r\n*1\r\n$4\r\nPING\r\nPING\n', [['PING'], ['PING'], ['PING'], ['PING']]);
  check('PING', [], null); // waits for the newline
});

test('inline: unbalanced quotes', () => {
  const e = 'Protocol error: unbalanced quotes in request';
  check('SET "a\r\n', [], e);
  check("SET 'a\r\n", [], e);
  check('SET "a"b\r\n', [], e);
  check("SET 'a'b\r\n", [], e);
  check('SET "a\\"\r\n', [], e);
  check('PING\r\nECHO "x\r\nPING\r\n', [['PING']], e);
});

test('empty lines and empty multibulks are skipped', () => {
  check('\r\n\r\n\nPING\r\n', [['PING']]);
  check('   \r\n \t \nPING\r\n', [['PING']]);
  check('*0\r\n*-1\r\n*-100\r\nPING\r\n', [['PING']]);
  check('*1\r\n$0\r\n\r\n', [['']]);
});

test('invalid multibulk lengths', () => {
  const e = 'Protocol error: invalid multibulk length';
  for (const n of ['abc', '', '01', '-0', '+1', ' 1', '1 ', '2147483648', '99999999999999999999999', '1x'])
    check(`*${n}\r\n`, [], e);
  check('*2147483647\r\n', [], null); // allowed, waits for the arguments
  check('PING\r\n*x\r\n', [['PING']], e);
});

test('invalid bulk lengths and a missing $', () => {
  const e = 'Protocol error: invalid bulk length';
  for (const n of ['-1', 'abc', '', '01', '-0', '1.5', String(512 * MB + 1)]) check(`*1\r\n$${n}\r\n`, [], e);
  check(`*1\r\n$${512 * MB}\r\n`, [], null);
  check('*1\r\nfoo\r\n', [], "Protocol error: expected '$', got 'f'");
  check('*2\r\n$1\r\na\r\n:1\r\n', [], "Protocol error: expected '$', got ':'");
  check('*1\r\n\r\n', [], "Protocol error: expected '$', got '\r'");
  check('*1\r\n$2\r\nab\r\n*1\r\n$1x\r\n', [['ab']], e);
  check('*1\r\n$3\r\nabc\r\n', [['abc']], null, (p) => (p.limits.maxBulkLen = 3));
  check('*1\r\n$4\r\nabcd\r\n', [], e, (p) => (p.limits.maxBulkLen = 3));
});

test('the CRLF after bulk data is skipped, not checked (as Redis does)', () => {
  check('*1\r\n$3\r\nGETxx*1\r\n$1\r\na\r\n', [['GET'], ['a']]);
});

test('binary data with CR, LF and NUL inside bulks', () => {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const frame = Buffer.concat([b('*2\r\n$4\r\nECHO\r\n$256\r\n'), all, b('\r\n')]);
  check(frame, [['ECHO', all.latin1Slice(0, 256)]]);
  check('*1\r\n$6\r\n\r\n\r\n\r\n\r\n', [['\r\n\r\n\r\n']]);
});

test('every argument length up to 40 bytes, each byte value, multibulk and inline', () => {
  // short arguments are built from their bytes in JS (shortString, one case per length), longer ones natively
  for (let n = 0; n <= 40; n++) {
    const arg = Buffer.alloc(n);
    for (let i = 0; i < n; i++) arg[i] = (n * 37 + i * 101 + 128) & 0xff;
    const frame = Buffer.concat([b(`*2\r\n$4\r\nECHO\r\n$${n}\r\n`), arg, b('\r\n')]);
    check(frame, [['ECHO', arg.latin1Slice(0, n)]]);
    const word = 'k'.repeat(n) + String.fromCharCode(0xe9);
    check(b(`ECHO ${word}\r\n`), [['ECHO', word]]);
  }
});

test('NUL before the line end: waits like Redis (strchr stops at NUL)', () => {
  check('PI\0NG\r\n', [], null);
  check('*1\0\r\n', [], null);
  check('*1\r\n$1\0\r\nx\r\n', [], null);
  check('*1\r\nx\0\r\n', [], null);
  check('*1\r\n\0\r\n', [], null);
  const pad = 'x'.repeat(INLINE_MAX);
  check('PI\0' + pad + '\n', [], 'Protocol error: too big inline request');
  check('*1\0' + pad + '\r\n', [], 'Protocol error: too big mbulk count string');
  check('*1\r\n$1\0' + pad + '\r\n', [], 'Protocol error: too big bulk count string');
});

test('size limits of lines', () => {
  check('x'.repeat(INLINE_MAX), [], null);
  check('x'.repeat(INLINE_MAX + 1), [], 'Protocol error: too big inline request');
  check('*' + '1'.repeat(INLINE_MAX + 1), [], 'Protocol error: too big mbulk count string');
  check('*1\r\n$' + '1'.repeat(INLINE_MAX + 1), [], 'Protocol error: too big bulk count string');
  // a CR as the last byte waits for its LF even past the limit (when it arrives whole)
  assert.equal(run([b('*' + '1'.repeat(INLINE_MAX + 1) + '\r')]).err, null);
  // a long inline line that arrives whole with its newline is accepted (as in Redis, this depends on chunking)
  const long = run([b('ECHO ' + 'y'.repeat(INLINE_MAX + 10) + '\r\n')]);
  assert.ok(long.err === null && long.cmds.length === 1 && long.cmds[0]![1]!.length === INLINE_MAX + 10);
});

test('unauthenticated clients get smaller caps', () => {
  const unauth = (p: RespParser) => (p.authenticated = false);
  check('*10\r\n', [], null, unauth);
  check('*11\r\n', [], 'Protocol error: unauthenticated multibulk length', unauth);
  check('*1\r\n$16384\r\n', [], null, unauth);
  check('*1\r\n$16385\r\n', [], 'Protocol error: unauthenticated bulk length', unauth);
  check('*11\r\n', [], null);
});

test('query buffer limit closes without a reply', () => {
  const o = run([b('*1\r\n$2000000\r\n'), Buffer.alloc(MB), Buffer.alloc(MB)], (p) => (p.limits.queryBufferLimit = MB));
  assert.equal(o.err, 'noreply:query buffer limit');
});

test('a 64 MB bulk in 64 KB chunks parses in linear time', () => {
  const size = 64 * MB;
  const payload = Buffer.alloc(size, 0x61);
  payload[0] = 13;
  payload[size - 1] = 10;
  const frame = Buffer.concat([
    b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`),
    payload,
    b('\r\n*1\r\n$4\r\nPING\r\n'),
  ]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 65536) chunks.push(frame.subarray(i, i + 65536));
  const t0 = performance.now();
  const o = run(chunks);
  const ms = performance.now() - t0;
  assert.equal(o.err, null);
  assert.equal(o.cmds.length, 2);
  assert.equal(o.cmds[0]![2]!.length, size);
  assert.equal(o.cmds[0]![2]!.charCodeAt(0), 13);
  assert.deepEqual(o.cmds[1], ['PING']);
  assert.ok(ms < 3000, `took ${ms} ms`);
  // and in 1 KB chunks (65536 feeds)
  const small: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 1024) small.push(frame.subarray(i, i + 1024));
  const t1 = performance.now();
  assert.equal(run(small).cmds.length, 2);
  assert.ok(performance.now() - t1 < 3000);
});

/**
 * Feeds `frame` as a socket does: `sizes` cycled as read sizes, every read
 * copied into one shared buffer that the next read overwrites, fed as
 * (buffer, n) with stale bytes after it, release()
 * after the commands are pulled (server.ts onData).
 */
function runShared(frame: Buffer, sizes: number[]): string[][] {
  const p = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: 1024 * MB });
  const shared = Buffer.alloc(Math.max(...sizes));
  const cmds: string[][] = [];
  for (let i = 0, k = 0; i < frame.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, frame.length - i);
    shared.fill(0x23);
    frame.copy(shared, 0, i, i + n);
    i += n;
    assert.equal(p.feed(shared, n), null);
    for (let r = p.next(); r !== null; r = p.next()) {
      assert.ok(!(r instanceof ProtocolError), String((r as ProtocolError).message));
      cmds.push(r);
    }
    p.release();
  }
  assert.equal(p.buffered, 0);
  return cmds;
}

test('bulks of RESERVE_MIN bytes or more, read into one reserved buffer, survive the reused read buffer', () => {
  // big bulks (each byte tells its offset), pipelined, one starting in the last read of the one before
  const big = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
  const sizes = [RESERVE_MIN, RESERVE_MIN + 1, 3 * RESERVE_MIN + 12345, RESERVE_MIN - 1];
  const parts: Buffer[] = [];
  const want: string[][] = [];
  sizes.forEach((n, j) => {
    const v = big(n, j);
    parts.push(b(`*3\r\n$3\r\nSET\r\n$2\r\nk${j}\r\n$${n}\r\n`), v, b('\r\n*1\r\n$4\r\nPING\r\n'));
    want.push(['SET', `k${j}`, v.toString('latin1')], ['PING']);
  });
  const frame = Buffer.concat(parts);
  // socket-sized reads, odd ones, and one bigger than a reserved buffer's slack (joined instead)
  for (const reads of [[65536], [65536, 1000, 7], [1, 65536, 3], [300000]]) {
    const got = runShared(frame, reads);
    assert.equal(got.length, want.length, `reads ${reads}`);
    got.forEach((c, i) =>
      assert.ok(c.length === want[i]!.length && c.every((a, j) => a === want[i]![j]), `command ${i}, reads ${reads}`),
    );
  }
});

test('many pipelined commands in one chunk and across chunks', () => {
  const one = b('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
  const frame = Buffer.concat(Array.from({ length: 10000 }, () => one));
  const whole = run([frame]);
  assert.equal(whole.cmds.length, 10000);
  const chunks: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 7) chunks.push(frame.subarray(i, i + 7));
  const split = run(chunks);
  assert.equal(split.cmds.length, 10000);
  assert.deepEqual(split.cmds[9999], ['SET', 'key', 'value']);
  assert.equal(split.buffered, 0);
});

test('regression: a bulk awaited then completed does not leave a stale wait', () => {
  // bulk 1 arrives in two pieces (the parser waits for its end), then the
  // next header is split: the parser must not keep waiting for old offsets
  const o = run([b('*2\r\n$100\r\n' + 'a'.repeat(50)), b('a'.repeat(50) + '\r\n$3'), b('\r\nabc\r\n')]);
  assert.deepEqual(o.cmds, [['a'.repeat(100), 'abc']]);
});

test('feeding several chunks before calling next()', () => {
  const p = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: 1024 * MB });
  p.feed(b('*1\r\n$4\r\n'));
  assert.equal(p.next(), null);
  p.feed(b('PI'));
  p.feed(b('NG'));
  p.feed(b('\r\n'));
  assert.deepEqual(p.next(), ['PING']);
  assert.equal(p.next(), null);
});

test('splitArgs as used for config lines', () => {
  assert.deepEqual(splitArgs('save 3600 1 300 100'), ['save', '3600', '1', '300', '100']);
  assert.deepEqual(splitArgs('requirepass "a b#c"'), ['requirepass', 'a b#c']);
  assert.deepEqual(splitArgs(''), []);
  assert.equal(splitArgs('x "a'), null);
  assert.deepEqual(splitArgs('a\0b c'), ['a']);
});

test('parseAhead: commands parsed ahead come out of next() first, in order, then parsing goes on', () => {
  const p = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: 1024 * MB });
  assert.equal(
    p.feed(b('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nECHO x\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*x\r\n')),
    null,
  );
  assert.ok(p.aheadEmpty);
  assert.deepEqual(p.parseAhead(), ['PING']);
  assert.deepEqual(p.parseAhead(), ['GET', 'a']);
  assert.ok(!p.aheadEmpty);
  assert.deepEqual(p.next(), ['PING']);
  assert.deepEqual(p.parseAhead(), ['ECHO', 'x']); // appended behind the one still waiting
  assert.deepEqual(p.next(), ['GET', 'a']);
  assert.deepEqual(p.next(), ['ECHO', 'x']);
  assert.ok(p.aheadEmpty);
  assert.deepEqual(p.next(), ['GET', 'b']); // parsed now, not ahead
  // a protocol error is queued in its place
  const e = p.parseAhead();
  assert.ok(e instanceof ProtocolError);
  assert.equal(p.next(), e);
  // nothing complete: nothing queued
  const q = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: 1024 * MB });
  assert.equal(q.feed(b('*1\r\n$4\r\nPI')), null);
  assert.equal(q.parseAhead(), null);
  assert.ok(q.aheadEmpty);
  assert.equal(q.next(), null);
});

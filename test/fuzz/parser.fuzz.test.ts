/**
 * Property tests of the RESP request parser with fast-check:
 * - random byte streams, split anywhere, never throw, never loop, keep the
 *   buffered bytes within the query buffer limit, and give exactly the same
 *   commands and final state as when fed whole;
 * - valid command streams (multibulk and inline, binary arguments) split at
 *   random offsets parse back to the commands that were encoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RespParser, ProtocolError, splitArgs } from '../../src/protocol/parser.js';

const MB = 1024 * 1024;

interface Outcome {
  cmds: string[][];
  err: string | null;
  maxBuffered: number;
}

/** Feeds the chunks, pulling commands after each; stops at the first error. Bounded by construction. */
function run(chunks: Uint8Array[], limit = 1024 * MB): Outcome {
  const p = new RespParser({ maxBulkLen: 512 * MB, queryBufferLimit: limit });
  const cmds: string[][] = [];
  let maxBuffered = 0;
  for (const c of chunks) {
    const fe = p.feed(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    if (fe) return { cmds, err: 'limit', maxBuffered };
    maxBuffered = Math.max(maxBuffered, p.buffered);
    // every command consumes at least one byte, so this many calls must be enough
    for (let guard = 0; ; guard++) {
      if (guard > c.length + 2) throw new Error('parser did not make progress');
      const r = p.next();
      if (r === null) break;
      if (r instanceof ProtocolError) return { cmds, err: r.message, maxBuffered };
      cmds.push(r);
    }
  }
  return { cmds, err: null, maxBuffered };
}

/** Cuts bytes at the given (sorted, deduplicated) offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const pts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of pts) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  if (prev < bytes.length) out.push(bytes.subarray(prev));
  return out;
}

const enc = (s: string) => Buffer.from(s, 'latin1');

/** RESP-looking noise: fragments of valid syntax mixed with random bytes. */
const respish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '*',
        '$',
        '\r\n',
        '\r',
        '\n',
        '*1\r\n',
        '$3\r\n',
        '*2\r\n$4\r\nECHO\r\n',
        'PING\r\n',
        '"',
        "'",
        '\\x4',
        ' ',
        '0',
        '-1',
        '\0',
      ),
      fc.stringMatching(/^[0-9]{1,4}$/),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => new Uint8Array(enc(parts.join(''))));

const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 400 }), respish);

test('random byte streams: no throw, no hang, same result whole and split', () => {
  fc.assert(
    fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 12 }), (bytes, offsets) => {
      const whole = run([bytes]);
      const split = run(cut(bytes, offsets));
      assert.deepEqual(split.cmds, whole.cmds);
      assert.equal(split.err, whole.err);
      // byte by byte too
      const bytewise = run(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
      assert.deepEqual(bytewise.cmds, whole.cmds);
      assert.equal(bytewise.err, whole.err);
    }),
    { numRuns: 1500, seed: 424242 },
  );
});

test('buffered bytes never exceed the query buffer limit', () => {
  const limit = 4096;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 20000, size: 'max' }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (bytes, offsets) => {
        const o = run(cut(bytes, offsets), limit);
        assert.ok(o.maxBuffered <= limit, `buffered ${o.maxBuffered}`);
      },
    ),
    { numRuns: 300, seed: 7 },
  );
  // a stream that never completes a frame is cut off by the limit
  const o = run([enc('*1\r\n$100000\r\n'), new Uint8Array(8000)], limit);
  assert.equal(o.err, 'limit');
});

/** An argument: any bytes, as a latin1 string. */
const argArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).latin1Slice(0)),
  fc.constantFrom('', '\r\n', '*1\r\n', '$-1', '"', "'", ' '),
);
/** A word safe to send inline without quotes. */
const wordArb = fc.stringMatching(/^[A-Za-z0-9_:.-]{1,12}$/);

type Cmd = { args: string[]; inline: boolean };
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.array(argArb, { minLength: 1, maxLength: 6 }).map((args) => ({ args, inline: false })),
  fc.array(wordArb, { minLength: 1, maxLength: 6 }).map((args) => ({ args, inline: true })),
  // an inline command with a double-quoted argument using \xHH escapes
  fc
    .tuple(wordArb, fc.uint8Array({ maxLength: 10 }))
    .map(([w, u]) => ({ args: [w, Buffer.from(u).latin1Slice(0)], inline: true })),
);

/** Encodes a command the way clients do (the quoted inline form escapes every byte). */
function encodeCmd(c: Cmd): string {
  if (!c.inline) return `*${c.args.length}\r\n` + c.args.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
  return (
    c.args
      .map((a) =>
        /^[A-Za-z0-9_:.-]+$/.test(a)
          ? a
          : '"' + [...a].map((ch) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0')).join('') + '"',
      )
      .join(' ') + '\r\n'
  );
}

test('valid command streams split randomly parse to the same commands', () => {
  fc.assert(
    fc.property(
      fc.array(cmdArb, { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.constantFrom('', '\r\n', '*0\r\n'),
      (cmds, offsets, filler) => {
        const text = cmds.map(encodeCmd).join(filler);
        const bytes = new Uint8Array(enc(text));
        const o = run(cut(bytes, offsets));
        assert.equal(o.err, null);
        assert.deepEqual(
          o.cmds,
          cmds.map((c) => c.args),
        );
      },
    ),
    { numRuns: 1000, seed: 99 },
  );
});

test('large random bulks split into many chunks', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300000 }), fc.array(fc.nat(), { maxLength: 50 }), (len, offsets) => {
      const payload = Buffer.alloc(len, 0x0d);
      const frame = Buffer.concat([enc(`*2\r\n$4\r\nECHO\r\n$${len}\r\n`), payload, enc('\r\nPING\r\n')]);
      const o = run(cut(new Uint8Array(frame), offsets));
      assert.equal(o.err, null);
      assert.equal(o.cmds.length, 2);
      assert.equal(o.cmds[0]![1]!.length, len);
    }),
    { numRuns: 60, seed: 3 },
  );
});

test('inline lines parse exactly as splitArgs splits them (plain-word fast path included)', () => {
  // bytes chosen to hit every branch: separators, quotes, escapes, control and high bytes
  const byteArb = fc.oneof(
    fc.constantFrom(32, 9, 11, 12, 13, 0, 34, 39, 92, 120, 110, 127, 128, 255, 1),
    fc.integer({ min: 33, max: 126 }),
  );
  fc.assert(
    fc.property(fc.array(byteArb, { maxLength: 40 }), (bytes) => {
      if (bytes[0] === 42) bytes[0] = 65; // '*' would make it a multibulk
      const line = Buffer.from(bytes);
      const o = run([new Uint8Array(Buffer.concat([line, enc('\r\nPING\r\n')]))]);
      if (bytes.includes(0)) {
        // Redis finds the LF with strchr, which stops at the NUL: it keeps waiting
        assert.deepEqual(o, { cmds: [], err: null, maxBuffered: o.maxBuffered });
        return;
      }
      const want = splitArgs(line.latin1Slice(0));
      if (want === null) {
        assert.equal(o.err, 'Protocol error: unbalanced quotes in request');
        return;
      }
      assert.equal(o.err, null);
      assert.deepEqual(o.cmds, want.length === 0 ? [['PING']] : [want, ['PING']]);
    }),
    { numRuns: 3000, seed: 17 },
  );
});

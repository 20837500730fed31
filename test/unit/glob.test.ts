/**
 * Glob matching: a table of hand-checked cases, then random patterns and keys
 * compared against redis-server through KEYS (byte-wise, latin1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { globMatch } from '../../src/util/glob.js';
import { hasRedis, startRedis, RawConn, SKIP_NO_REDIS, startTsdis } from '../helpers/servers.js';
import { decode } from '../helpers/diff.js';

const CASES: [string, string, boolean, boolean?][] = [
  // [pattern, string, expected, nocase]
  ['*', 'anything', true],
  ['*', '', false], // Redis's matcher never matches an empty string (KEYS * is special-cased)
  ['', '', true],
  ['', 'a', false],
  ['a', 'a', true],
  ['a', 'A', false],
  ['a', 'A', true, true],
  ['?', 'x', true],
  ['?', '', false],
  ['?', 'xy', false],
  ['h?llo', 'hello', true],
  ['h*llo', 'hllo', true],
  ['h*llo', 'heeeello', true],
  ['h*llo', 'hellox', false],
  ['*o', 'foo', true],
  ['f*', 'f', true],
  ['f**', 'f', true],
  ['a*b*c', 'aXbYc', true],
  ['a*b*c', 'aXbY', false],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hbllo', true],
  ['h[b-a]llo', 'hbllo', true], // reversed range
  ['h[a-b]llo', 'hcllo', false],
  ['[A-Z]', 'q', true, true],
  ['[a-z]', 'Q', true, true],
  ['[a-z]', 'Q', false],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'aXb', false],
  ['a[\\]]b', 'a]b', true],
  ['[]]', ']', false], // ']' right after '[' closes an empty set
  ['[]', '', false],
  ['[', 'a', false],
  ['[^', 'a', true], // unterminated negated empty set matches any byte
  ['a[', 'ab', false],
  ['[a-]', ']', true], // the range runs to ']', which is consumed as its end
  ['[a-]', '-', false],
  ['x[-]y', 'x-y', true],
  ['\\', '\\', true], // a trailing backslash is literal
  ['a\\', 'a\\', true],
  ['\xff', '\xff', true],
  ['[a-\xff]', '\xff', true], // signed char: 0xff is -1, the range is -1..'a'
  ['[a-\xff]', 'b', false],
  ['[a-\xff]', '\x80', false],
  ['[a-\xff]', '0', true],
  ['a\0b', 'a\0b', true],
  ['*\0', 'x\0', true],
];

test('glob: table of cases', () => {
  for (const [p, s, want, nocase] of CASES) {
    assert.equal(
      globMatch(p, s, nocase ?? false),
      want,
      `${JSON.stringify(p)} vs ${JSON.stringify(s)} nocase=${nocase ?? false}`,
    );
  }
});

test('glob: abusive patterns end quickly', () => {
  const t = Date.now();
  assert.equal(globMatch('a*'.repeat(30) + 'b', 'a'.repeat(60)), false);
  assert.equal(globMatch('*'.repeat(5000) + 'x', 'a'.repeat(100) + 'x'), true);
  assert.ok(Date.now() - t < 500);
});

test('glob: a star matches what a prefix/suffix model says', () => {
  const s = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 8 });
  fc.assert(
    fc.property(s, s, s, (pre, mid, suf) => {
      for (const str of [pre + mid + suf, mid, pre + suf, suf + pre]) {
        const want =
          str.length > 0 && str.length >= pre.length + suf.length && str.startsWith(pre) && str.endsWith(suf);
        if (globMatch(pre + '*' + suf, str) !== want) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
});

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const redis = hasRedis() ? await startRedis() : null;
const tsdis = await startTsdis();
after(async () => {
  await redis?.stop();
  await tsdis.close();
});

test('glob: the table agrees with redis-server (KEYS on a one-key db)', { skip }, async () => {
  const a = await RawConn.connect(tsdis.port);
  const b = await RawConn.connect(redis!.port);
  try {
    for (const [p, str, , nocase] of CASES) {
      if (nocase || str === '') continue; // KEYS is case-sensitive; the empty key is special-cased for '*'
      const cmds: Buffer[][] = [
        [Buffer.from('FLUSHALL')],
        [Buffer.from('SET'), Buffer.from(str, 'latin1'), Buffer.from('v')],
        [Buffer.from('KEYS'), Buffer.from(p, 'latin1')],
      ];
      let x = '';
      let y = '';
      for (const c of cmds) [x, y] = await Promise.all([a.call(...c), b.call(...c)]);
      assert.equal(x, y, `KEYS ${JSON.stringify(p)} with key ${JSON.stringify(str)}`);
    }
  } finally {
    a.close();
    b.close();
  }
});

test('glob: random patterns give the same KEYS as redis-server', { skip }, async () => {
  const a = await RawConn.connect(tsdis.port);
  const b = await RawConn.connect(redis!.port);
  try {
    const keyChar = fc.constantFrom('a', 'b', 'A', '-', ']', '[', '\\', '*', '\xff', '\x80', '\0', '^');
    const patChar = fc.constantFrom('a', 'b', 'A', '-', ']', '[', '\\', '*', '?', '^', '\xff', '\x80', '\0', 'z');
    const keys = fc.sample(fc.string({ unit: keyChar, minLength: 1, maxLength: 5 }), { numRuns: 150, seed: 42 });
    keys.push('');
    for (const k of new Set(keys)) {
      await a.call('SET', Buffer.from(k, 'latin1'), 'v');
      await b.call('SET', Buffer.from(k, 'latin1'), 'v');
    }
    const pats = fc.sample(fc.string({ unit: patChar, maxLength: 7 }), { numRuns: 400, seed: 7 });
    const sorted = (raw: string) => (decode(raw) as unknown[]).map(String).sort();
    for (const p of pats) {
      const buf = Buffer.from(p, 'latin1');
      const [x, y] = await Promise.all([a.call('KEYS', buf), b.call('KEYS', buf)]);
      assert.deepEqual(sorted(x), sorted(y), `KEYS ${JSON.stringify(p)}`);
    }
  } finally {
    a.close();
    b.close();
  }
});

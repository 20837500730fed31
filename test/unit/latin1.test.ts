/**
 * util/latin1.ts: latin1Of gives the same string as Buffer's latin1 decoding
 * at every length of its switch and past it, and, once optimized on a few
 * lengths, is not deoptimized by the others (its loads got their type
 * feedback when the module loaded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latin1Of } from '../../src/util/latin1.js';
import { runV8Script, srcUrl } from '../helpers/v8-child.js';

test('latin1Of decodes bytes 0-255 at every length', () => {
  const b = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255));
  for (let s = 0; s < 4; s++) {
    for (let n = 0; n <= 40; n++) assert.equal(latin1Of(b, s, s + n), b.latin1Slice(s, s + n));
  }
});

test('a length met only after latin1Of was optimized does not deoptimize it', () => {
  // optimized on lengths 3 to 7 (a million calls), then every length from 1 to 32
  const out = runV8Script(
    `import { latin1Of } from ${srcUrl('util/latin1.js')};
const b = Buffer.alloc(4096, 97);
let x = 0;
for (let i = 0; i < 2e6; i++) {
  const n = i < 1e6 ? (i % 5) + 3 : (i % 32) + 1;
  x += latin1Of(b, i & 1023, (i & 1023) + n).length;
}
console.log(x);
`,
    ['--trace-deopt'],
    'latin1',
  );
  const deopts = out.split('\n').filter((l) => l.includes('bailout') && l.includes('latin1Of'));
  assert.deepEqual(deopts, []);
  assert.ok(out.trimEnd().endsWith(String(5e6 + 16.5e6)), 'the script ran to its end');
});

/**
 * util/latin1.ts: latin1Of gives the same string as Buffer's latin1 decoding
 * at every length of its switch and past it, and, once optimized on a few
 * lengths, is not deoptimized by the others (its loads got their type
 * feedback when the module loaded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { latin1Of } from '../../src/util/latin1.js';

test('latin1Of decodes bytes 0-255 at every length', () => {
  const b = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255));
  for (let s = 0; s < 4; s++) {
    for (let n = 0; n <= 40; n++) assert.equal(latin1Of(b, s, s + n), b.latin1Slice(s, s + n));
  }
});

test('a length met only after latin1Of was optimized does not deoptimize it', () => {
  const mod = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/util/latin1.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-latin1-'));
  const script = path.join(dir, 'run.mjs');
  // optimized on lengths 3 to 7 (a million calls), then every length from 1 to 32
  fs.writeFileSync(
    script,
    `import { latin1Of } from ${JSON.stringify(pathToFileURL(mod).href)};
const b = Buffer.alloc(4096, 97);
let x = 0;
for (let i = 0; i < 2e6; i++) {
  const n = i < 1e6 ? (i % 5) + 3 : (i % 32) + 1;
  x += latin1Of(b, i & 1023, (i & 1023) + n).length;
}
console.log(x);
`,
  );
  try {
    const out = execFileSync(process.execPath, ['--trace-deopt', script], { encoding: 'latin1', timeout: 60_000 });
    const deopts = out.split('\n').filter((l) => l.includes('bailout') && l.includes('latin1Of'));
    assert.deepEqual(deopts, []);
    assert.ok(out.trimEnd().endsWith(String(5e6 + 16.5e6)), 'the script ran to its end');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

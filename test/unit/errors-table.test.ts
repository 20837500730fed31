/**
 * The errors table (src/protocol/errors.ts) is the one place error texts are
 * written: this reads every other source file and fails on a string literal
 * that starts with an error code (`'ERR ...'`, `'-WRONGTYPE ...'`, ...), so a
 * text written inline in a handler shows up here instead of drifting from
 * the table. Comments and prefix tests (`startsWith('ERR ')`) are not texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist-test/test/unit -> the checkout
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = path.join(ROOT, 'src');
const TABLE = path.join(SRC, 'protocol', 'errors.ts');

const CODES =
  'ERR|WRONGTYPE|NOSCRIPT|BUSY|BUSYKEY|BUSYGROUP|NOTBUSY|UNKILLABLE|NOPROTO|NOAUTH|WRONGPASS|NOPERM|LOADING|' +
  'EXECABORT|OOM|MISCONF|NOREPLICAS|READONLY|MASTERDOWN|NOGROUP|IOERR|UNBLOCKED|DENIED|INVALIDOBJ|' +
  'CROSSSLOT|TRYAGAIN|CLUSTERDOWN|MOVED|ASK';
/** A quote (JS or Lua), an optional RESP '-', a code and the space after it. */
const LITERAL = new RegExp(`['"\`]-?(?:${CODES}) `);
/** Lines that only test or build a prefix at run time (the Lua sandbox's "ERR " .. message). */
const ALLOWED = [/startsWith\('-?ERR '\)/, /'ERR ' \.\. /];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('error texts are written only in src/protocol/errors.ts', () => {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    if (file === TABLE) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const t = line.trim();
      if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//') || t.startsWith('--')) return;
      if (!LITERAL.test(line) || ALLOWED.some((re) => re.test(line))) return;
      found.push(`${path.relative(ROOT, file)}:${i + 1}: ${t}`);
    });
  }
  assert.deepEqual(found, []);
});

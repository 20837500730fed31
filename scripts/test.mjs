// Runs every compiled *.test.js under dist-test/test with node's test runner
// (a directory argument would also run the helpers, which live under test/).
// --enable-source-maps reaches each test file's process: failures and stack
// traces name the TypeScript sources (test/...ts:line), not dist-test/.
// Usage: node scripts/test.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js') && (filters.length === 0 || filters.some((s) => p.includes(s)))) files.push(p);
  }
})('dist-test/test');
files.sort();
const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);

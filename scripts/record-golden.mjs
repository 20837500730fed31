// Records the golden files (test/golden/**/*.json): runs every test file that
// starts a Differ (test/helpers/diff.ts) against a real redis-server with
// TSDIS_GOLDEN=record, so each Differ writes what redis-server answered.
// Without redis-server the same tests replay these files against tsdis.
//
// Usage: node scripts/record-golden.mjs [--check] [substring-filter ...]
//   (npm run golden:record builds first)
//   With no filter, test/golden is rewritten from scratch (entries of
//   deleted tests go); with filters, only the matching files' tests are
//   re-recorded and the other entries kept.
//   --check records twice and lists every test whose recording changed
//   between the runs (a reply that is not deterministic must be compared
//   through a view: see Differ.bothView / onReference); exits 1 if any.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const check = args.includes('--check');
const filters = args.filter((a) => a !== '--check');
const GOLDEN = 'test/golden';

if (spawnSync('redis-server', ['--version']).status !== 0 || process.env.TSDIS_NO_REDIS === '1') {
  console.error('record-golden: redis-server is needed (apt-get install -y redis-server)');
  process.exit(2);
}

/** Compiled test files that start a Differ (directly or through a helper). */
function differFiles() {
  const out = [];
  (function walk(dir) {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.test.js') && readFileSync(p, 'utf8').includes('Differ.start(')) out.push(p);
    }
  })('dist-test/test');
  return out.filter((p) => filters.length === 0 || filters.some((s) => p.includes(s))).sort();
}

/** One recording run over `files`; returns whether every test passed. */
function record(files) {
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=2', '--test-timeout=120000', '--test-reporter=dot', ...files],
    {
      stdio: 'inherit',
      env: { ...process.env, TSDIS_GOLDEN: 'record' },
    },
  );
  return r.status === 0;
}

/** { "<file> / <differ> / <test>": events as JSON } of every golden file. */
function entries(dir) {
  const out = new Map();
  if (!existsSync(dir)) return out;
  (function walk(d) {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.json')) {
        const all = JSON.parse(readFileSync(p, 'utf8'));
        for (const [differ, tests] of Object.entries(all)) {
          for (const [t, ev] of Object.entries(tests))
            out.set(`${relative(dir, p)} / ${differ} / ${t}`, JSON.stringify(ev));
        }
      }
    }
  })(dir);
  return out;
}

const files = differFiles();
if (files.length === 0) {
  console.error('record-golden: no compiled test file matches (run npm run build:test first)');
  process.exit(2);
}
if (filters.length === 0) rmSync(GOLDEN, { recursive: true, force: true });
console.log(`record-golden: ${files.length} test files`);
let ok = record(files);
if (check) {
  const first = mkdtempSync(join(tmpdir(), 'tsdis-golden-'));
  cpSync(GOLDEN, first, { recursive: true });
  ok = record(files) && ok;
  const [a, b] = [entries(first), entries(GOLDEN)];
  const unstable = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  rmSync(first, { recursive: true, force: true });
  for (const k of unstable) {
    // the first event that changed, to find the reply that needs a view
    const [ea, eb] = [JSON.parse(a.get(k) ?? '[]'), JSON.parse(b.get(k) ?? '[]')];
    const i = ea.findIndex((e, j) => JSON.stringify(e) !== JSON.stringify(eb[j]));
    const show = (e) => (e === undefined ? '(none)' : JSON.stringify(e).slice(0, 300));
    console.log(`unstable: ${k}\n    event ${i}: ${show(ea[i])}\n         now: ${show(eb[i])}`);
  }
  console.log(`record-golden --check: ${unstable.length} of ${b.size} recorded tests changed between two recordings`);
  if (unstable.length > 0) ok = false;
}
console.log(
  ok
    ? 'record-golden: done'
    : 'record-golden: some tests failed or were unstable (see above); the files were written anyway',
);
process.exit(ok ? 0 : 1);

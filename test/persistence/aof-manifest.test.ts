/**
 * The AOF manifest at start, differential against redis-server (7.0 and
 * 7.2 agree here: aof.c's manifest code is the same):
 * - a manifest Redis refuses stops tsdis too, with the same fatal block
 *   (`*** FATAL AOF MANIFEST FILE ERROR ***`, the line number, the line,
 *   the reason) — the cases of Redis's integration/aof-multi-part.tcl and
 *   more; a file it names that is missing stops the start with Redis's line;
 * - one Redis accepts loads the same data, and the manifest and files look
 *   the same afterwards (history entries deleted, a missing incr created);
 * - a pre-7.0 AOF (`dir`/appendonly.aof, with or without an RDB preamble)
 *   is moved into the AOF directory as the base of a new manifest, also
 *   when an earlier upgrade was interrupted;
 * - file names that need quoting round-trip (parseManifest / format).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hasRedis, SKIP_NO_REDIS } from '../helpers/servers.js';
import { startServer, settled, tmpDir, logLines, aofFiles, manifestText, resp, type Kind } from '../helpers/aofproc.js';
import { parseManifest, ManifestError } from '../../src/persistence/aof-manifest.js';

const skipNoRedis = hasRedis() ? false : SKIP_NO_REDIS;

/** A directory layout: file path (relative to dir) to contents. */
type Layout = Record<string, string | Buffer>;

function lay(dir: string, files: Layout): void {
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  }
}

const M = 'appendonlydir/appendonly.aof.manifest';
const B1 = 'appendonlydir/appendonly.aof.1.base.aof';
const I1 = 'appendonlydir/appendonly.aof.1.incr.aof';
const I2 = 'appendonlydir/appendonly.aof.2.incr.aof';
const I3 = 'appendonlydir/appendonly.aof.3.incr.aof';
const set = (k: string, v: string) => resp('set', k, v);

/** The lines a failed start logs about the AOF. */
const FAIL_LINES =
  /FATAL|Reading the manifest|>>>|Found|Unknown AOF|Invalid AOF|too long line|empty AOF|Unable to obtain|doesn't exist|can't be a path|Bad file format|Unexpected end|AOF loading aborted/;

/** Starts `kind` on a fresh copy of `files` (appendonly yes unless args say otherwise) and waits for it to exit. */
async function failedStart(
  kind: Kind,
  files: Layout,
  args: string[] = [],
): Promise<{ code: number | null; lines: string[] }> {
  const dir = tmpDir();
  lay(dir, files);
  const s = await startServer(kind, dir, ['--appendonly', 'yes', ...args], { ready: false });
  try {
    const code = await s.exited();
    return { code, lines: logLines(await settled(s), FAIL_LINES) };
  } finally {
    await s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const BAD: [string, Layout][] = [
  [
    'a file it names is missing',
    {
      [B1]: set('k1', 'v1'),
      [I2]: set('k2', 'v2'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    },
  ],
  [
    'the sequence does not increase',
    {
      [I1]: set('k1', 'v1'),
      [I2]: set('k2', 'v2'),
      [M]: 'file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
  ],
  [
    'a blank line',
    {
      [I1]: set('k1', 'v1'),
      [I3]: set('k2', 'v2'),
      [M]: 'file appendonly.aof.1.incr.aof seq 1 type i\n\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    },
  ],
  [
    'two bases',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
  ],
  [
    'an unknown type',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type x\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
  ],
  [
    'a missing key',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]: 'filx appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
  ],
  [
    'a line too short',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof type i\n',
    },
  ],
  [
    'a line over 1024 bytes',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]:
        'file appendonly.aof.1.base.aof seq 1 type b '.repeat(30) + '\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
  ],
  [
    'an odd number of words',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i newkey\n',
    },
  ],
  ['an empty manifest', { [M]: '' }],
  ['a last line without a newline', { [I1]: set('k1', 'v1'), [M]: 'file appendonly.aof.1.incr.aof seq 1 type i' }],
  ['seq 0', { [I1]: set('k1', 'v1'), [M]: 'file appendonly.aof.1.incr.aof seq 0 type i\n' }],
  ['a path as file name', { [I1]: set('k1', 'v1'), [M]: 'file ../appendonly.aof.1.incr.aof seq 1 type i\n' }],
  ['unbalanced quotes', { [I1]: set('k1', 'v1'), [M]: 'file "appendonly.aof.1.incr.aof seq 1 type i\n' }],
  ['the old file name, in neither directory', { [M]: 'file appendonly.aof seq 1 type b\n' }],
  [
    'a comment, then a bad line (line numbers count comments)',
    { [I1]: set('k1', 'v1'), [M]: '# a comment\nfile appendonly.aof.1.incr.aof seq 1 type z\n' },
  ],
  [
    'a corrupt RDB base',
    {
      'appendonlydir/appendonly.aof.1.base.rdb': 'REDIS0011\xfa\x05garbage',
      [M]: 'file appendonly.aof.1.base.rdb seq 1 type b\n',
    },
  ],
];

for (const [what, files] of BAD) {
  test(`a manifest with ${what}: both refuse to start, with the same lines`, { skip: skipNoRedis }, async () => {
    const [r, t] = await Promise.all([failedStart('redis', files), failedStart('tsdis', files)]);
    assert.equal(r.code, 1, `redis exit code:\n${r.lines.join('\n')}`);
    assert.equal(t.code, 1, `tsdis exit code:\n${t.lines.join('\n')}`);
    // (a corrupt RDB: each names its own decoding error; the AOF line after it is Redis's)
    assert.ok(r.lines.length > 0, 'redis logged why');
    if (what.includes('RDB')) assert.equal(t.lines[t.lines.length - 1], r.lines[r.lines.length - 1]);
    else assert.deepEqual(t.lines, r.lines);
  });
}

test(
  'a bad manifest stops the start with appendonly no too (Redis reads it either way)',
  { skip: skipNoRedis },
  async () => {
    const files = { [I1]: set('k1', 'v1'), [M]: 'file appendonly.aof.1.incr.aof seq 1 type q\n' };
    const [r, t] = await Promise.all([
      failedStart('redis', files, ['--appendonly', 'no']),
      failedStart('tsdis', files, ['--appendonly', 'no']),
    ]);
    assert.equal(r.code, 1);
    assert.equal(t.code, 1);
    assert.deepEqual(t.lines, r.lines);
  },
);

/** The lines a successful start logs about the AOF (loading, creating, upgrading, deleting history). */
const START_LINES =
  /AOF|append only file|RDB preamble|RDB base|AOF tail|migrated|history file|incr file|base file|Truncat|short read/;

/**
 * Starts both servers on copies of `files`, then reads `keys` from each;
 * returns, per server, the keys' values, the AOF directory after the start,
 * the manifest, and the AOF lines of the log.
 */
async function startBoth(files: Layout, keys: string[], args: string[] = []) {
  const run = async (kind: Kind) => {
    const dir = tmpDir();
    lay(dir, files);
    const s = await startServer(kind, dir, ['--appendonly', 'yes', ...args]);
    try {
      const values: string[] = [];
      for (const k of keys) values.push(await s.call('GET', k));
      return {
        values,
        files: aofFiles(dir),
        top: fs
          .readdirSync(dir)
          .filter((f) => f.startsWith('appendonly'))
          .sort(),
        manifest: manifestText(dir),
        lines: logLines(await settled(s), START_LINES),
      };
    } finally {
      await s.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const [r, t] = await Promise.all([run('redis'), run('tsdis')]);
  return { r, t };
}

const GOOD: [string, Layout, string[]][] = [
  [
    'sequence numbers with gaps',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k2', 'v2'),
      [I3]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    },
    ['k1', 'k2', 'k3'],
  ],
  [
    'keys it does not know, in another case and order',
    {
      [B1]: set('k1', 'v1'),
      [I1]: set('k2', 'v2'),
      [M]: 'seq 1 FILE appendonly.aof.1.base.aof Type b newkey newvalue\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    },
    ['k1', 'k2'],
  ],
  [
    'empty files among others',
    {
      [B1]: set('k1', 'v1'),
      [I1]: '',
      [I3]: set('k3', 'v3'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    },
    ['k1', 'k3'],
  ],
  [
    'comment lines and CRLF line ends',
    { [I1]: set('k1', 'v1'), [M]: '# written by hand\r\nfile appendonly.aof.1.incr.aof seq 1 type i\r\n' },
    ['k1'],
  ],
  [
    'history entries (deleted at start)',
    {
      [B1]: set('k1', 'v1'),
      'appendonlydir/old.base.aof': set('x', 'y'),
      [I2]: set('k2', 'v2'),
      [M]: 'file appendonly.aof.1.base.aof seq 1 type b\nfile old.base.aof seq 9 type h\nfile gone.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    },
    ['k1', 'k2', 'x'],
  ],
  [
    'only a base (an incr file is created)',
    { [B1]: set('k1', 'v1'), [M]: 'file appendonly.aof.1.base.aof seq 1 type b\n' },
    ['k1'],
  ],
  ['an empty AOF directory', { 'appendonlydir/.keep': '' }, ['k1']],
  ['a pre-7.0 AOF (commands)', { 'appendonly.aof': set('k1', 'v1') + set('k2', 'v2') }, ['k1', 'k2']],
  [
    'an interrupted upgrade (manifest written, file not moved)',
    { 'appendonly.aof': set('k1', 'v1'), [M]: 'file appendonly.aof seq 1 type b\n' },
    ['k1'],
  ],
  [
    'an old AOF in both directories (the one in appendonlydir wins)',
    {
      'appendonly.aof': set('k1', 'v1'),
      'appendonlydir/appendonly.aof': set('k4', 'v4'),
      [M]: 'file appendonly.aof seq 1 type b\n',
    },
    ['k1', 'k4'],
  ],
  [
    'a transaction without EXEC at the end (aof-load-truncated)',
    { [I1]: set('k1', 'v1') + resp('multi') + set('k2', 'v2'), [M]: 'file appendonly.aof.1.incr.aof seq 1 type i\n' },
    ['k1', 'k2'],
  ],
];

for (const [what, files, keys] of GOOD) {
  test(`a manifest with ${what}: both load the same, and leave the same files`, { skip: skipNoRedis }, async () => {
    const { r, t } = await startBoth(files, keys);
    assert.deepEqual(t.values, r.values);
    assert.deepEqual(t.files, r.files);
    assert.equal(t.manifest, r.manifest);
    assert.deepEqual(t.top, r.top);
    assert.ok(r.lines.length > 1, 'redis logged the load');
    assert.deepEqual(t.lines, r.lines);
  });
}

test(
  'a pre-7.0 AOF with an RDB preamble (from redis-server 7.0) is upgraded and loads',
  { skip: skipNoRedis },
  async () => {
    // make one: redis-server writes an RDB-preamble base; its bytes as a single old-style file
    const src = tmpDir();
    const maker = await startServer('redis', src, ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes']);
    await maker.call('SET', 'k1', 'v1');
    await maker.call('RPUSH', 'l', 'a', 'b');
    await maker.call('BGREWRITEAOF');
    for (let i = 0; i < 200 && !manifestText(src).includes('seq 2 type b'); i++)
      await new Promise((r) => setTimeout(r, 20));
    await maker.call('SET', 'k3', 'v3');
    await maker.kill();
    const base = fs.readFileSync(path.join(src, 'appendonlydir', 'appendonly.aof.2.base.rdb'));
    const incr = fs.readFileSync(path.join(src, 'appendonlydir', 'appendonly.aof.2.incr.aof'));
    fs.rmSync(src, { recursive: true, force: true });
    assert.equal(base.latin1Slice(0, 5), 'REDIS');
    const { r, t } = await startBoth({ 'appendonly.aof': Buffer.concat([base, incr]) }, ['k1', 'k3']);
    assert.deepEqual(t.values, ['$2\r\nv1\r\n', '$2\r\nv3\r\n']);
    assert.deepEqual(t.values, r.values);
    assert.deepEqual(t.files, r.files);
    assert.equal(t.manifest, 'file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    assert.equal(t.manifest, r.manifest);
    assert.deepEqual(t.lines, r.lines);
  },
);

test("parseManifest: quoted names, fields in any order, Redis's reasons", () => {
  const m = parseManifest(
    'file " file seq \\n\\n.aof .2.base.rdb" seq 2 type b\nfile x.aof seq 1 type h\nfile y.aof seq 3 type i\n',
  );
  assert.equal(m.base?.name, ' file seq \n\n.aof .2.base.rdb');
  assert.equal(m.curBaseSeq, 2);
  assert.equal(m.curIncrSeq, 3);
  // written back as Redis writes it: quoted (sdscatrepr) only when needed
  assert.equal(
    m.format(),
    'file " file seq \\n\\n.aof .2.base.rdb" seq 2 type b\nfile x.aof seq 1 type h\nfile y.aof seq 3 type i\n',
  );
  const reason = (text: string) => {
    try {
      parseManifest(text);
      return null;
    } catch (e) {
      return e instanceof ManifestError ? [e.reason, e.lineNo] : null;
    }
  };
  assert.deepEqual(reason(''), ['Found an empty AOF manifest', null]);
  assert.deepEqual(reason('# only a comment\n'), null);
  assert.deepEqual(reason('file a seq 1 type i\nfile b seq 1 type i\n'), ['Found a non-monotonic sequence number', 2]);
  assert.deepEqual(reason('file a seq 1 type i\nfile b seq 2 type h\nfile c seq 1 type h\n'), null);
  assert.deepEqual(reason('x'.repeat(1024) + '\n'), ['The AOF manifest file contains too long line', null]);
  assert.deepEqual(reason('file a seq 1 type i' + ' '.repeat(1023 - 19) + '\n'), null);
});

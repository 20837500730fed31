/**
 * An RDB file that cannot be loaded at start (Redis 7.2.4's
 * integration/corrupt-dump and integration/rdb rules, files built here):
 * tsdis exits 1 with Redis's log lines — a corrupt value gets "Internal error
 * in RDB reading offset N, function at rdb.c:L -> <reason>", redis-check-rdb's
 * report and "Terminating server after rdb file reading failure."; a wrong
 * checksum "Wrong RDB checksum expected: (x) but got (y). Aborting now." and
 * "... -> RDB CRC error"; a short file "Short read or OOM loading DB..." and
 * "Unexpected EOF reading RDB file". Empty collections are skipped with
 * "rdbLoadObject skipping empty key: <key>" and counted in "Done loading RDB,
 * ..., empty keys skipped: N.". Each run is compared with redis-server on the
 * same file (7.0.15 here: its rdb.c line numbers differ, the texts agree).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, hasRedis, PORT_ATTEMPTS, SKIP_NO_REDIS } from '../helpers/servers.js';
import { CLI } from '../helpers/child.js';
import { len, str, listpack, ziplist, rdbFile } from '../helpers/payloads.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-rdbstart-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  /** The exit code, or null when it started (then it was killed). */
  code: number | null;
  out: string;
}

/**
 * Starts tsdis or redis-server on a copy of `file`; resolves when it exits or is ready (then kills it).
 * A start that failed because another process took the port between freePort and the bind is tried
 * again on another port.
 */
async function run(server: 'tsdis' | 'redis', file: Buffer, extra: string[] = []): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    const r = await runOnce(server, file, extra);
    if (r.code === null || !/Address already in use/.test(r.out) || attempt >= PORT_ATTEMPTS) return r;
  }
}

async function runOnce(server: 'tsdis' | 'redis', file: Buffer, extra: string[]): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(tmp, `${server}-`));
  fs.writeFileSync(path.join(dir, 'dump.rdb'), file);
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--loglevel',
    'verbose',
    ...extra,
  ];
  const proc =
    server === 'tsdis'
      ? spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${server} neither exited nor started:\n${out}`));
    }, 15000);
    const onData = (d: Buffer) => {
      out += d.toString('latin1');
      if (/ready to accept connections/i.test(out)) proc.kill('SIGKILL');
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: proc.signalCode === 'SIGKILL' ? null : code, out });
    });
  });
}

/** The log lines (level mark and text, without pid and time) and raw lines of an output. */
function lines(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.replace(/^\d+:[MCS] \d{2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /, '$1 '))
    .filter((l) => l !== '');
}

/** Lines about loading: Redis's failure and skip lines and the check report, rdb.c line numbers blanked. */
function loadingLines(out: string): string[] {
  const keep =
    /Internal error|Checking RDB|RDB ERROR|^\[(offset|additional info|info)\]|Terminating server|Wrong RDB checksum|Short read|skipping empty key|Done loading RDB|Wrong signature|Fatal error loading/;
  return lines(out)
    .filter((l) => keep.test(l) && !l.includes('tsdis:') && !/AUX FIELD|Selecting DB/.test(l))
    .map((l) => l.replace(/rdb\.c:\d+/, 'rdb.c:N').replace(/^\[offset \d+\]/, '[offset N]'));
}

const count = (out: string, s: string) => lines(out).filter((l) => l.includes(s)).length;

test(
  'a corrupt value stops the start: Internal error, the check report, Terminating (as redis-server)',
  { skip },
  async () => {
    const file = rdbFile([
      { type: 0, key: 's', value: str('v') },
      { type: 13, key: 'h', value: str(ziplist(['a', 'b', 'a', 'd'])) },
    ]);
    const t = await run('tsdis', file, ['--sanitize-dump-payload', 'no']);
    assert.equal(t.code, 1, t.out);
    assert.ok(
      lines(t.out).includes(
        '# Internal error in RDB reading offset 0, function at rdb.c:2430 -> Hash ziplist integrity check failed.',
      ),
      t.out,
    );
    assert.ok(count(t.out, 'integrity check failed') >= 2, t.out);
    assert.equal(count(t.out, 'Terminating server after rdb file reading failure.'), 1, t.out);
    assert.match(t.out, /\[additional info\] tsdis: Bad RDB file .*dump\.rdb at offset \d+: duplicate hash field/);
    const r = await run('redis', file, ['--sanitize-dump-payload', 'no']);
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(loadingLines(t.out), loadingLines(r.out));
  },
);

test('a wrong checksum stops the start with Redis lines; a zero checksum is not checked', { skip }, async () => {
  const good = rdbFile([{ type: 0, key: 's', value: str('v') }]);
  const bad = Buffer.from(good);
  bad[bad.length - 1]! ^= 0x55;
  const t = await run('tsdis', bad);
  assert.equal(t.code, 1, t.out);
  assert.ok(
    lines(t.out).some((l) =>
      /^# Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\.$/.test(l),
    ),
    t.out,
  );
  assert.ok(
    lines(t.out).includes('# Internal error in RDB reading offset 0, function at rdb.c:3341 -> RDB CRC error'),
    t.out,
  );
  assert.equal(count(t.out, 'Terminating server'), 0, t.out);
  const r = await run('redis', bad);
  assert.equal(r.code, 1, r.out);
  assert.deepEqual(loadingLines(t.out), loadingLines(r.out));
  // rdbchecksum no: not checked
  assert.equal((await run('tsdis', bad, ['--rdbchecksum', 'no'])).code, null);
  // a file saved without a checksum (zeros) loads with Redis's notice
  const zero = rdbFile([{ type: 0, key: 's', value: str('v') }], 10, false);
  const z = await run('tsdis', zero);
  assert.equal(z.code, null, z.out);
  assert.ok(lines(z.out).includes('* RDB file was saved with checksum disabled: no check performed.'), z.out);
});

test('a truncated file: Short read, Unexpected EOF, Terminating (as redis-server)', { skip }, async () => {
  const file = rdbFile([
    { type: 0, key: 's', value: str('v') },
    { type: 0, key: 'long', value: str('x'.repeat(200)) },
  ]);
  const cut = file.subarray(0, file.length - 100);
  const t = await run('tsdis', cut);
  assert.equal(t.code, 1, t.out);
  assert.ok(lines(t.out).includes('# Short read or OOM loading DB. Unrecoverable error, aborting now.'), t.out);
  assert.ok(
    lines(t.out).includes(
      '# Internal error in RDB reading offset 0, function at rdb.c:3365 -> Unexpected EOF reading RDB file',
    ),
    t.out,
  );
  // (the checker reports a short read itself and exits: no "Terminating" line)
  assert.equal(count(t.out, 'Terminating server'), 0, t.out);
  const r = await run('redis', cut);
  assert.equal(r.code, 1, r.out);
  assert.deepEqual(loadingLines(t.out), loadingLines(r.out));
});

test('a wrong signature: Redis 7.2 lines', async () => {
  const t = await run('tsdis', Buffer.from('REDIX0010\xff', 'latin1'));
  assert.equal(t.code, 1, t.out);
  const ls = lines(t.out);
  assert.ok(ls.includes('# Wrong signature trying to load DB from file'), t.out);
  // 7.2's text (7.0 printed "Fatal error loading the DB: Invalid argument. Exiting.")
  assert.ok(ls.includes('# Fatal error loading the DB, check server logs. Exiting.'), t.out);
});

test(
  'empty collections are skipped and counted, sanitize-dump-payload no and yes (as redis-server)',
  { skip },
  async () => {
    const file = rdbFile([
      { type: 2, key: 'set', value: len(0) },
      { type: 14, key: 'list_quicklist', value: len(0) },
      { type: 14, key: 'list_quicklist_empty_ziplist', value: Buffer.concat([len(1), str(ziplist([]))]) },
      { type: 10, key: 'list_ziplist', value: str(ziplist([])) },
      { type: 4, key: 'hash', value: len(0) },
      { type: 13, key: 'hash_ziplist', value: str(ziplist([])) },
      { type: 5, key: 'zset', value: len(0) },
      { type: 12, key: 'zset_ziplist', value: str(ziplist([])) },
      { type: 17, key: 'zset_listpack', value: str(listpack([])) },
      { type: 0, key: 'kept', value: str('v') },
      { type: 18, key: 'list_listpacks', value: Buffer.concat([len(1), len(2), str(listpack([]))]) },
      { type: 16, key: 'hash_listpack', value: str(listpack([])) },
    ]);
    for (const mode of ['no', 'yes']) {
      const t = await run('tsdis', file, ['--sanitize-dump-payload', mode]);
      assert.equal(t.code, null, t.out);
      const ls = lines(t.out);
      // the first ten are named
      for (const k of [
        'set',
        'list_quicklist',
        'list_quicklist_empty_ziplist',
        'list_ziplist',
        'hash',
        'hash_ziplist',
        'zset',
        'zset_ziplist',
        'zset_listpack',
        'list_listpacks',
      ]) {
        assert.ok(ls.includes(`* rdbLoadObject skipping empty key: ${k}`), `${k}: ${t.out}`);
      }
      assert.ok(!ls.includes('* rdbLoadObject skipping empty key: hash_listpack'), t.out);
      assert.ok(ls.includes('* Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 11.'), t.out);
      const r = await run('redis', file, ['--sanitize-dump-payload', mode]);
      assert.equal(r.code, null, r.out);
      // (7.0 logs these two lines at warning level, 7.2 at notice, as tsdis: compare the texts)
      const text = (o: string) => loadingLines(o).map((l) => l.replace(/^[.\-*#] /, ''));
      assert.deepEqual(text(t.out), text(r.out), mode);
    }
  },
);

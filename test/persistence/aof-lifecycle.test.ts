/**
 * The AOF's life at run time, differential against redis-server (7.0 and
 * 7.2 share this state machine; where 7.2 differs, the test says so): each
 * scenario runs on both servers, started the same way on directories of
 * their own, and what they observably did is compared — the manifest and
 * the files of the AOF directory after each step, replies, the INFO
 * persistence fields, and the AOF lines of the log (pids and times masked).
 *
 * rdb-key-save-delay (µs per key) keeps a BGSAVE or a rewrite running for a
 * known time in both (Redis's child sleeps; tsdis's in-process job waits on
 * a timer per key). A rewrite is made to fail the same way in both by a
 * directory standing where its new base must be renamed to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { hasRedis, SKIP_NO_REDIS, RawConn } from '../helpers/servers.js';
import { readCommands } from '../../src/persistence/aof.js';
import {
  startServer,
  settled,
  tmpDir,
  logLines,
  aofFiles,
  manifestText,
  waitInfo,
  rewriteDone,
  infoField,
  resp,
  type Kind,
  type ServerProc,
} from '../helpers/aofproc.js';
import { sleep, until } from '../helpers/wait.js';

const skipNoRedis = hasRedis() ? false : SKIP_NO_REDIS;

/** The AOF lines of a log that the scenarios compare. */
const AOF_LINES =
  /AOF|aof|append only|rewrit|manifest|child|history file|incr file|base file|scheduled|transaction|limit/;

/** INFO persistence fields that both servers must report alike (sizes and times left out). */
const STATE_FIELDS = [
  'aof_enabled',
  'aof_rewrite_in_progress',
  'aof_rewrite_scheduled',
  'aof_last_bgrewrite_status',
  'aof_rewrites',
  'aof_rewrites_consecutive_failures',
  'aof_last_write_status',
  'rdb_bgsave_in_progress',
];

/** The state fields of an INFO persistence text, as `name:value` lines. */
async function state(s: ServerProc): Promise<string[]> {
  const info = await s.call('INFO', 'persistence');
  return STATE_FIELDS.map((f) => `${f}:${infoField(info, f)}`);
}

/** total_forks from INFO stats. */
async function forks(s: ServerProc): Promise<number> {
  return Number(infoField(await s.call('INFO', 'stats'), 'total_forks'));
}

/** The manifest and the AOF directory's files, one text (the step's name first). */
function files(s: ServerProc, step: string): string {
  return `${step}\n${manifestText(s.dir)}${aofFiles(s.dir).join(' ')}`;
}

/**
 * Runs `scenario` on redis-server and on tsdis, each on a fresh directory
 * with `args`; returns both results (and removes the directories).
 */
async function both<T>(
  args: string[],
  scenario: (s: ServerProc) => Promise<T>,
  prepare?: (dir: string) => void,
): Promise<{ r: T; t: T }> {
  const run = async (kind: Kind): Promise<T> => {
    const dir = tmpDir();
    prepare?.(dir);
    const s = await startServer(kind, dir, args);
    try {
      return await scenario(s);
    } finally {
      await s.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const [r, t] = await Promise.all([run('redis'), run('tsdis')]);
  return { r, t };
}

/**
 * "Append Only File loaded by DEBUG LOADAOF" is a warning in 7.0, a notice
 * in 7.2 (debug.c): compared as 7.2's (tsdis's level is pinned below).
 */
function levelOfLoadaof(line: string): string {
  return line.replace(/^# (Append Only File loaded by DEBUG LOADAOF)/, '* $1');
}

/** Waits (bounded) until the log has `n` lines matching `re`. */
async function logged(s: ServerProc, re: RegExp, n = 1, ms = 10000): Promise<void> {
  await until(
    () => `${s.kind} to log ${re} ${n} times (log:\n${s.output()})`,
    () => logLines(s.output(), re).length >= n,
    {
      timeout: ms,
      every: 20,
    },
  );
}

/**
 * Waits (bounded) until the AOF directory is at rest after a rewrite: the
 * manifest lists no history file (both servers delete those in the
 * background after the rewrite, then drop them from the manifest) and every
 * file in the directory is the manifest or one it lists.
 */
async function dirAtRest(s: ServerProc): Promise<void> {
  await until(`${s.kind}: the AOF directory at rest (no history files)`, () => {
    const m = manifestText(s.dir);
    if (/ type h/.test(m)) return false;
    const listed = new Set([...m.matchAll(/^file (\S+) /gm)].map((x) => x[1]!));
    return aofFiles(s.dir).every((f) => f === 'appendonly.aof.manifest' || listed.has(f));
  });
}

/** Waits (bounded) until the file `name` in the AOF directory contains `text`. */
async function aofHas(s: ServerProc, name: string, text: string): Promise<void> {
  const file = path.join(s.dir, 'appendonlydir', name);
  await until(`${s.kind}: ${name} to contain ${JSON.stringify(text)}`, () =>
    fs.existsSync(file) ? fs.readFileSync(file, 'latin1').includes(text) : false,
  );
}

/**
 * Waits until the wall clock is in a later second than now (what
 * aof-timestamp-enabled annotates): at most 1 s, half a second on average.
 */
/**
 * Waits until the wall clock is 20 ms into its next second: a command's time
 * on tsdis is performance.now() plus an offset resynced with the wall clock
 * each cron tick (Server.wallAt), so right at the boundary it may still read
 * the previous second (a #TS annotation was then missing, CI 2026-12-05).
 */
async function nextSecond(): Promise<void> {
  const s0 = Math.floor(Date.now() / 1000);
  await until('the next second', () => Date.now() >= (s0 + 1) * 1000 + 20, { every: 5 });
}

test(
  'the rewrite cycle: enable, rewrite, BGREWRITEAOF with AOF off (a base alone), DEBUG LOADAOF, enable again, aof-disable-auto-gc',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'no', '--aof-use-rdb-preamble', 'yes'], async (s) => {
      const out: string[] = [];
      const step = async (name: string) => out.push(files(s, name), ...(await state(s)));
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      await rewriteDone(s);
      await s.call('SET', 'a', '1');
      await step('enabled');
      out.push(await s.call('BGREWRITEAOF'));
      await rewriteDone(s);
      await s.call('SET', 'b', '2');
      await step('rewritten');
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'no'));
      out.push(await s.call('BGREWRITEAOF'));
      await rewriteDone(s);
      await dirAtRest(s);
      await step('rewritten with AOF off');
      const d1 = await s.call('DEBUG', 'DIGEST');
      out.push(await s.call('DEBUG', 'LOADAOF'));
      out.push(String((await s.call('DEBUG', 'DIGEST')) === d1));
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      await rewriteDone(s);
      await dirAtRest(s);
      await step('enabled again (the incr numbering restarts: DEBUG LOADAOF read the manifest back)');
      out.push(await s.call('CONFIG', 'SET', 'aof-disable-auto-gc', 'yes'));
      for (let i = 0; i < 2; i++) {
        out.push(await s.call('BGREWRITEAOF'));
        await rewriteDone(s);
      }
      await step('two rewrites without gc');
      out.push(await s.call('CONFIG', 'SET', 'aof-disable-auto-gc', 'no'));
      await dirAtRest(s);
      await step('gc again');
      out.push(await s.call('DEBUG', 'LOADAOF'));
      out.push(await s.call('BGREWRITEAOF'));
      await rewriteDone(s);
      await dirAtRest(s);
      await step('consecutive numbers after DEBUG LOADAOF');
      out.push(...logLines(await settled(s), AOF_LINES).map(levelOfLoadaof));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test(
  'appendonly yes during a BGSAVE: scheduled, nothing written until the rewrite; BGREWRITEAOF and BGSAVE replies meanwhile',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k0', 'v0');
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'no'));
      await s.call('SET', 'k1', 'v1');
      const f0 = await forks(s);
      out.push(await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '400000'));
      out.push(await s.call('BGSAVE'));
      await waitInfo(s, /rdb_bgsave_in_progress:1/);
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      out.push(...(await state(s)), files(s, 'scheduled: no new incr file'));
      out.push(await s.call('BGSAVE'), await s.call('BGREWRITEAOF'), await s.call('BGREWRITEAOF'));
      await s.call('SET', 'k2', 'v2');
      out.push(await s.call('DEBUG', 'LOADAOF'));
      out.push(await s.call('EXISTS', 'k0', 'k1', 'k2'));
      await waitInfo(s, /rdb_bgsave_in_progress:0/);
      await waitInfo(s, /aof_rewrite_scheduled:0/);
      out.push(await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'));
      await rewriteDone(s);
      out.push(`forks +${(await forks(s)) - f0}`);
      out.push(...(await state(s)), files(s, 'rewritten after the BGSAVE'));
      await s.call('SET', 'k3', 'v3');
      out.push(await s.call('DEBUG', 'LOADAOF'), await s.call('GET', 'k3'));
      out.push(
        ...logLines(await settled(s), AOF_LINES).map((l) =>
          levelOfLoadaof(l.replace(/^[*#] (AOF was enabled)/, '* $1')),
        ),
      );
      return out;
    });
    // (the "scheduled" line: 7.0 logs it at warning level, 7.2 at notice; levels are masked above)
    assert.deepEqual(t, r);
  },
);

test(
  'BGREWRITEAOF while one runs: refused; BGSAVE meanwhile: refused or scheduled',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k', 'v');
      await s.call('SET', 'k2', 'v');
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '300000');
      out.push(
        await s.call('BGREWRITEAOF'),
        await s.call('BGREWRITEAOF'),
        await s.call('BGSAVE'),
        await s.call('BGSAVE', 'SCHEDULE'),
      );
      out.push(...(await state(s)));
      await rewriteDone(s);
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
      await waitInfo(s, /rdb_bgsave_in_progress:0/);
      out.push(...(await state(s)));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test(
  'inside MULTI: BGREWRITEAOF is scheduled, CONFIG SET appendonly yes starts its rewrite after EXEC (7.2: logged at notice level)',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'no'], async (s) => {
      const out: string[] = [];
      const f0 = await forks(s);
      out.push(
        await s.call('MULTI'),
        await s.call('SET', 'foo', 'bar'),
        await s.call('BGREWRITEAOF'),
        await s.call('EXEC'),
      );
      await waitInfo(s, /aof_rewrite_scheduled:0/);
      await rewriteDone(s);
      out.push(`forks +${(await forks(s)) - f0}`, files(s, 'after MULTI BGREWRITEAOF'));
      out.push(
        await s.call('MULTI'),
        await s.call('SET', 'foo', 'baz'),
        await s.call('CONFIG', 'SET', 'appendonly', 'yes'),
        await s.call('EXEC'),
      );
      await waitInfo(s, /aof_rewrite_scheduled:0/);
      await rewriteDone(s);
      out.push(
        `forks +${(await forks(s)) - f0}`,
        ...(await state(s)),
        files(s, 'after MULTI CONFIG SET appendonly yes'),
      );
      out.push(...logLines(await settled(s), /transaction/).map((l) => l.slice(2)));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test('Redis 7.2: "AOF was enabled during a transaction" and "Append Only File loaded by DEBUG LOADAOF" are notices (7.0: warnings)', async () => {
  const dir = tmpDir();
  const s = await startServer('tsdis', dir, ['--appendonly', 'no']);
  try {
    await s.call('MULTI');
    await s.call('CONFIG', 'SET', 'appendonly', 'yes');
    await s.call('EXEC');
    await logged(s, /transaction/);
    assert.deepEqual(logLines(await settled(s), /transaction/), [
      '* AOF was enabled during a transaction. An AOF background was scheduled to start when possible.',
    ]);
    await waitInfo(s, /aof_rewrite_scheduled:0/);
    await rewriteDone(s);
    assert.equal(await s.call('DEBUG', 'LOADAOF'), '+OK\r\n');
    assert.deepEqual(logLines(await settled(s), /DEBUG LOADAOF/), ['* Append Only File loaded by DEBUG LOADAOF']);
  } finally {
    await s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'appendonly no during a rewrite stops it ("Killing running AOF rewrite child"), its temp files go, nothing counts as a failure',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k', 'v');
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '2000000');
      out.push(await s.call('BGREWRITEAOF'));
      await waitInfo(s, /aof_rewrite_in_progress:1/);
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'no'));
      await logged(s, /Killing/);
      await rewriteDone(s);
      // (the stopped rewrite's temp files are removed as it winds down)
      await until(`${s.kind}: the stopped rewrite's temp files removed`, () =>
        fs.readdirSync(s.dir).every((f) => !f.startsWith('temp-')),
      );
      await dirAtRest(s);
      out.push(...(await state(s)), files(s, 'stopped'));
      out.push(
        fs
          .readdirSync(s.dir)
          .filter((f) => f.startsWith('temp-'))
          .join(' ') || 'no temp files',
      );
      out.push(...logLines(await settled(s), /Killing|rewrit/));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test(
  'appendonly yes at run time: writes wait in temp-<name>.incr until the first rewrite, which makes it the first incr file',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'no', '--aof-use-rdb-preamble', 'no'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k1', 'v1');
      await s.call('SET', 'k2', 'v2');
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '300000');
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      out.push(...(await state(s)), files(s, 'rewriting'));
      await s.call('SET', 'during', 'x');
      await s.call('INCR', 'n');
      await aofHas(s, 'temp-appendonly.aof.incr', 'INCR');
      const temp = path.join(s.dir, 'appendonlydir', 'temp-appendonly.aof.incr');
      out.push(fs.readFileSync(temp, 'latin1'));
      await rewriteDone(s);
      await s.call('SET', 'after', 'y');
      await aofHas(s, 'appendonly.aof.1.incr.aof', 'after');
      await dirAtRest(s);
      out.push(...(await state(s)), files(s, 'on'));
      out.push(fs.readFileSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1'));
      // (the base's keys in the order of each server's dict: compared as a set of commands)
      const base = readCommands(fs.readFileSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.base.aof')));
      out.push(
        base.commands
          .map((c) => c.join(' '))
          .sort()
          .join('\n'),
      );
      out.push(...logLines(await settled(s), AOF_LINES));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test(
  'SHUTDOWN while the first rewrite runs: "Writing initial AOF, can\'t exit." (FORCE exits anyway)',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'no'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k1', 'v1');
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000');
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      out.push(await s.call('SHUTDOWN'));
      out.push(
        await s
          .call('SHUTDOWN', 'FORCE', 'NOSAVE')
          .catch((e: Error) => `closed: ${/closed|ECONNRESET/.test(e.message)}`),
      );
      out.push(String(await s.exited()));
      // (not Redis's child's own "Received SIGUSR1 in child" line)
      out.push(
        ...logLines(await settled(s), /initial AOF|Errors trying|Killing|child/).filter(
          (l) => !l.includes('signal-handler'),
        ),
      );
      return out;
    });
    assert.deepEqual(t, r);
  },
);

/** A directory where the next base must go: renaming the rewritten file there fails in both servers. */
function blockBase(s: ServerProc, name: string): void {
  fs.mkdirSync(path.join(s.dir, 'appendonlydir', name, 'x'), { recursive: true });
}

test(
  'failed rewrites with AOF on: each leaves one more incr file; after 3 in a row automatic ones are limited; BGREWRITEAOF still runs',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(
      ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes', '--auto-aof-rewrite-percentage', '0'],
      async (s) => {
        const out: string[] = [];
        await s.call('SET', 'k', 'v');
        blockBase(s, 'appendonly.aof.2.base.rdb');
        for (let i = 0; i < 3; i++) {
          out.push(await s.call('BGREWRITEAOF'));
          await rewriteDone(s);
          await s.call('SET', `k${i}`, 'v');
        }
        out.push(...(await state(s)), files(s, 'three failures'));
        // an automatic rewrite now: limited, once
        out.push(
          await s.call('CONFIG', 'SET', 'auto-aof-rewrite-min-size', '1'),
          await s.call('CONFIG', 'SET', 'auto-aof-rewrite-percentage', '1'),
        );
        await s.call('SET', 'x', 'y'.repeat(2048));
        await logged(s, /triggered the limit/);
        // a sleep on purpose: three cron periods (hz 10) in which the limited rewrite must not start
        await sleep(300);
        out.push(...(await state(s)), files(s, 'limited'));
        await s.call('CONFIG', 'SET', 'auto-aof-rewrite-percentage', '0');
        fs.rmSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.2.base.rdb'), { recursive: true });
        out.push(await s.call('BGREWRITEAOF'));
        await rewriteDone(s);
        await dirAtRest(s);
        out.push(...(await state(s)), files(s, 'rewritten'));
        const d1 = await s.call('DEBUG', 'DIGEST');
        out.push(await s.call('DEBUG', 'LOADAOF'), String((await s.call('DEBUG', 'DIGEST')) === d1));
        out.push(...logLines(await settled(s), /rename|rewrite|limit|incr file/));
        return out;
      },
    );
    assert.deepEqual(t, r);
  },
);

test(
  'a failed first rewrite (appendonly yes at run time): the temp incr file is removed and the rewrite retried until the limit',
  { skip: skipNoRedis },
  async () => {
    const { r, t } = await both(['--appendonly', 'no', '--aof-use-rdb-preamble', 'yes'], async (s) => {
      const out: string[] = [];
      await s.call('SET', 'k', 'v');
      blockBase(s, 'appendonly.aof.1.base.rdb');
      out.push(await s.call('CONFIG', 'SET', 'appendonly', 'yes'));
      await logged(s, /triggered the limit/);
      // a sleep on purpose: three cron periods (hz 10) in which the limited rewrite must not start again
      await sleep(300);
      out.push(...(await state(s)), files(s, 'limited'));
      fs.rmSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.base.rdb'), { recursive: true });
      out.push(await s.call('BGREWRITEAOF'));
      await rewriteDone(s);
      await s.call('SET', 'k2', 'v2');
      await aofHas(s, 'appendonly.aof.1.incr.aof', 'k2');
      await dirAtRest(s);
      out.push(...(await state(s)), files(s, 'on'));
      out.push(...logLines(await settled(s), /rename|rewrite|limit|temp incr|incr file/));
      return out;
    });
    assert.deepEqual(t, r);
  },
);

test('total_forks counts BGSAVEs and rewrites (tsdis: its background jobs)', { skip: skipNoRedis }, async () => {
  const { r, t } = await both(['--appendonly', 'yes'], async (s) => {
    await s.call('SET', 'k', 'v');
    const f0 = await forks(s);
    await s.call('BGSAVE');
    await waitInfo(s, /rdb_bgsave_in_progress:0/);
    await s.call('BGREWRITEAOF');
    await rewriteDone(s);
    return (await forks(s)) - f0;
  });
  assert.equal(t, 2);
  assert.equal(t, r);
});

test(
  "aof-timestamp-enabled: #TS:<unix time> before the writes of each new second, and at the start of a command base; redis-check-aof --truncate-to-timestamp cuts tsdis's files",
  { skip: skipNoRedis },
  async () => {
    const mask = (s: string) => s.replace(/#TS:\d+/g, '#TS:<t>').replace(/\$13\r\n\d{13}\r\n/g, '$13\r\n<ms>\r\n');
    const { r, t } = await both(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'], async (s) => {
      const out: string[] = [];
      out.push(await s.call('CONFIG', 'SET', 'aof-timestamp-enabled', 'yes'));
      await s.call('SET', 'foo', 'bar');
      await s.call('SET', 'foo2', 'bar2');
      await nextSecond();
      await s.call('SET', 'foo3', 'bar3');
      await aofHas(s, 'appendonly.aof.1.incr.aof', 'foo3');
      out.push(mask(fs.readFileSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1')));
      out.push(await s.call('BGREWRITEAOF'));
      await rewriteDone(s);
      out.push(
        mask(fs.readFileSync(path.join(s.dir, 'appendonlydir', 'appendonly.aof.2.base.aof'), 'latin1')).split(
          '\r\n',
        )[0]!,
      );
      return out;
    });
    assert.deepEqual(t, r);
    // redis-check-aof reads tsdis's annotations: truncating before the second annotation keeps the first second only
    const dir = tmpDir();
    const s = await startServer('tsdis', dir, [
      '--appendonly',
      'yes',
      '--aof-use-rdb-preamble',
      'no',
      '--aof-timestamp-enabled',
      'yes',
    ]);
    try {
      await s.call('SET', 'a', '1');
      await nextSecond();
      await s.call('SET', 'b', '2');
      await aofHas(s, 'appendonly.aof.1.incr.aof', '$1\r\nb\r\n');
      await s.kill();
      const incr = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
      const ts = [...incr.matchAll(/#TS:(\d+)/g)].map((m) => Number(m[1]));
      assert.equal(ts.length, 2);
      const res = spawnSync(
        'redis-check-aof',
        ['--truncate-to-timestamp', String(ts[0]!), path.join(dir, 'appendonlydir', 'appendonly.aof.manifest')],
        { encoding: 'utf8' },
      );
      assert.match(res.stdout, /Successfully truncated AOF/);
      const again = await startServer('tsdis', dir, ['--appendonly', 'yes']);
      try {
        assert.equal(await again.call('GET', 'a'), '$1\r\n1\r\n');
        assert.equal(await again.call('GET', 'b'), '$-1\r\n');
      } finally {
        await again.kill();
      }
    } finally {
      await s.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'keys do not expire while the AOF loads: a TTL in the past keeps the key for the commands after it; the first access after the load expires it',
  { skip: skipNoRedis },
  async () => {
    const aof =
      resp('select', '0') +
      resp('rpush', 'list', 'foo') +
      resp('pexpireat', 'list', '1000') +
      resp('rpush', 'list', 'bar') +
      resp('set', 'k', '5', 'PXAT', '1000') +
      resp('incr', 'k') +
      resp('set', 'n', '1') +
      resp('expire', 'n', '-5') +
      resp('append', 'n', 'x') +
      resp('set', 'g', 'v') +
      resp('getex', 'g', 'PXAT', '1000') +
      resp('append', 'g', 'w') +
      resp('set', 'live', 'v');
    const prepare = (dir: string) => {
      fs.mkdirSync(path.join(dir, 'appendonlydir'));
      fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), aof, 'latin1');
      fs.writeFileSync(
        path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'),
        'file appendonly.aof.1.incr.aof seq 1 type i\n',
      );
    };
    const { r, t } = await both(
      ['--appendonly', 'yes'],
      async (s) => {
        // (no DBSIZE: once loaded, the active expiry deletes the expired keys at its own pace)
        const out: string[] = [];
        for (const k of ['list', 'k', 'n', 'g', 'live']) out.push(await s.call('PTTL', k), await s.call('EXISTS', k));
        out.push(await s.call('LLEN', 'list'));
        return out;
      },
      prepare,
    );
    // a key recreated during the load (k=1, n='x', no TTL) would read -1 / 1
    assert.deepEqual(t, [
      ':-2\r\n',
      ':0\r\n',
      ':-2\r\n',
      ':0\r\n',
      ':-2\r\n',
      ':0\r\n',
      ':-2\r\n',
      ':0\r\n',
      ':-1\r\n',
      ':1\r\n',
      ':0\r\n',
    ]);
    assert.deepEqual(t, r);
  },
);

test(
  'keys do not expire between the slices of a large AOF load (no active expiry while loading)',
  { skip: skipNoRedis },
  async () => {
    const N = 60000;
    let aof = resp('select', '0');
    for (let i = 0; i < N; i++) aof += resp('set', `k${i}`, '5', 'PXAT', '1000');
    for (let i = 0; i < N; i++) aof += resp('incr', `k${i}`);
    const prepare = (dir: string) => {
      fs.mkdirSync(path.join(dir, 'appendonlydir'));
      fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), aof, 'latin1');
      fs.writeFileSync(
        path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'),
        'file appendonly.aof.1.incr.aof seq 1 type i\n',
      );
    };
    const { r, t } = await both(
      ['--appendonly', 'yes', '--hz', '500'],
      async (s) => {
        // every key was replayed with its passed TTL, so it is expired now: none was
        // deleted during the load and recreated by its INCR without a TTL (PTTL -1)
        const pttl = new Map<string, number>();
        for (let i = 0; i < N; i += 97) {
          const r = await s.call('PTTL', `k${i}`);
          pttl.set(r, (pttl.get(r) ?? 0) + 1);
        }
        return [...pttl].map(([k, n]) => `${k.trim()} x${n}`);
      },
      prepare,
    );
    assert.deepEqual(t, r);
    assert.deepEqual(t, [`:-2 x${Math.ceil(N / 97)}`]);
  },
);

test(
  'DEBUG LOADAOF replaying a slow script: other clients get -LOADING, not -BUSY',
  { skip: skipNoRedis },
  async () => {
    const script = "redis.call('set',KEYS[1],'y'); for i=1,300000 do redis.call('ping') end return 'ok'";
    const prepare = (dir: string) => {
      fs.mkdirSync(path.join(dir, 'appendonlydir'));
      fs.writeFileSync(
        path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'),
        resp('select', '9') + resp('eval', script, '1', 'x'),
        'latin1',
      );
      fs.writeFileSync(
        path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'),
        'file appendonly.aof.1.incr.aof seq 1 type i\n',
      );
    };
    const { r, t } = await both(
      ['--appendonly', 'yes', '--lua-time-limit', '1', '--aof-use-rdb-preamble', 'no'],
      async (s) => {
        const a = await RawConn.connect(s.port);
        const b = await RawConn.connect(s.port);
        try {
          a.write(resp('debug', 'loadaof'));
          const seen = await until(
            'PING to be refused during DEBUG LOADAOF',
            async () => {
              const p = await b.call('PING');
              return p === '+PONG\r\n' ? '' : p.split(' ')[0]!;
            },
            { every: 5 },
          );
          const done = await a.read(120000);
          await b.call('SELECT', '9');
          return [seen, done, await b.call('GET', 'x')];
        } finally {
          a.close();
          b.close();
        }
      },
      prepare,
    );
    assert.deepEqual(t, ['-LOADING', '+OK\r\n', '$1\r\ny\r\n']);
    assert.deepEqual(t, r);
  },
);

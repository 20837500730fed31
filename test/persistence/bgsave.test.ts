/**
 * SAVE, BGSAVE and save points. The central test: a BGSAVE of 200k keys
 * while several clients write, delete, expire, rename, flush and swap
 * databases; the file, loaded back, holds exactly the data at BGSAVE's
 * start (compared with DEBUG DIGEST taken in the same event-loop turn).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, RawConn } from '../helpers/servers.js';
import { persist } from '../../src/persistence/snapshot.js';
import { waitBgsave } from '../../src/persistence/bgsave.js';
import { loadRdbFile } from '../../src/persistence/snapshot-load.js';
import { sleep, until, untilEqual } from '../helpers/wait.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-bgsave-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const DEBUG = { 'enable-debug-command': 'yes' };

/** An error reply's text (call() resolves error replies as Error values). */
const err = (r: unknown): string => (r instanceof Error ? r.message : String(r));

function info(text: unknown, field: string): string {
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(String(text));
  return m ? m[1]!.trim() : '';
}

test('BGSAVE snapshot is exactly the data at its start under concurrent writes', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'a-'));
  const srv = await createServer({ config: { ...DEBUG, dir } });
  after(() => srv.close());
  const N = 200_000;
  await srv.call('DEBUG', 'POPULATE', String(N), 'k');
  for (let i = 0; i < 500; i++) {
    await srv.call('RPUSH', `list:${i}`, 'a', 'b', String(i));
    await srv.call('HSET', `hash:${i}`, 'f', String(i), 'g', 'x'.repeat(i % 100));
    await srv.call('SADD', `set:${i}`, '1', '2', String(i));
    await srv.call('ZADD', `zset:${i}`, '1', 'a', String(i / 3), 'b');
    await srv.call('SET', `ttl:${i}`, 'v', 'EX', '10000');
  }
  for (const db of ['1', '2', '3']) {
    await srv.call('SELECT', db);
    for (let i = 0; i < 2000; i++) await srv.call('SET', `d${db}:${i}`, String(i));
  }
  await srv.call('SELECT', '0');
  const before = await srv.call('DEBUG', 'DIGEST');
  const started = await srv.call('BGSAVE');
  assert.equal(started, 'Background saving started');
  assert.equal(persist(srv.server).bgsave !== null, true);

  // writers: every kind of change, on keys the walk has and has not reached
  let writes = 0;
  let during = 0;
  let stop = false;
  const writer = async (id: number) => {
    const c = await RawConn.connect(srv.port);
    let i = 0;
    let seed = id * 7919 + 1;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    while (!stop) {
      const batch: string[][] = [];
      for (let j = 0; j < 50; j++, i++) {
        const k = `k:${rnd(N)}`;
        switch (rnd(14)) {
          case 0:
            batch.push(['SET', k, 'new' + i]);
            break;
          case 1:
            batch.push(['DEL', k]);
            break;
          case 2:
            batch.push(['APPEND', k, 'tail']);
            break;
          case 3:
            batch.push(['EXPIRE', k, '5000']);
            break;
          case 4:
            batch.push(['RPUSH', `list:${rnd(500)}`, 'pushed']);
            break;
          case 5:
            batch.push(['LPOP', `list:${rnd(500)}`]);
            break;
          case 6:
            batch.push(['HSET', `hash:${rnd(500)}`, 'f', 'changed']);
            break;
          case 7:
            batch.push(['SADD', `set:${rnd(500)}`, 'new']);
            break;
          case 8:
            batch.push(['ZADD', `zset:${rnd(500)}`, '99', 'a']);
            break;
          case 9:
            batch.push(['PERSIST', `ttl:${rnd(500)}`]);
            break;
          case 10:
            batch.push(['RENAME', `k:${rnd(N)}`, `renamed:${id}:${i}`]);
            break;
          case 11:
            batch.push(['SET', `fresh:${id}:${i}`, 'x']);
            break;
          case 12:
            batch.push(['SETRANGE', k, '2', 'ZZ']);
            break;
          default:
            batch.push(['INCR', `counter:${rnd(100)}`]);
            break;
        }
      }
      c.write(batch.map((a) => `*${a.length}\r\n` + a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')).join(''));
      for (let j = 0; j < batch.length; j++) await c.read();
      writes += batch.length;
      const job = persist(srv.server).bgsave;
      if (job === null) continue;
      during += batch.length;
      // the next batch once the walk has moved on by 1000 keys: the writes spread over the
      // whole walk, and writers on a loaded machine cannot hold the save back for long
      // (unpaced, three writers made ~650k writes and the save took 30-40 s)
      const at = job.keysProcessed;
      await until(
        'the BGSAVE walk to move on',
        () => stop || persist(srv.server).bgsave !== job || job.keysProcessed >= at + 1000,
        { every: 1 },
      );
    }
    c.close();
  };
  const control = (async () => {
    const c = await RawConn.connect(srv.port);
    assert.match(await c.call('BGSAVE'), /^-ERR Background save already in progress/);
    assert.equal(info(await srv.call('INFO', 'persistence'), 'rdb_bgsave_in_progress'), '1');
    // the changes below come after some writers' changes made during the walk
    await until('writes during the BGSAVE', () => during > 0);
    await c.call('SELECT', '2');
    assert.equal(await c.call('FLUSHDB'), '+OK\r\n');
    await c.call('SET', 'after-flush', 'x');
    assert.equal(await c.call('SWAPDB', '1', '3'), '+OK\r\n');
    await c.call('SELECT', '1');
    await c.call('SET', 'd3:5', 'changed-after-swap');
    await c.call('DEL', 'd3:6');
    c.close();
  })();
  const writers = [1, 2, 3].map(writer);
  const ok = await waitBgsave(srv.server);
  stop = true;
  await Promise.all([...writers, control]);
  assert.equal(ok, true);
  assert.ok(during > 100, `writes during the BGSAVE: ${during} of ${writes}`);
  assert.notEqual(await srv.call('DEBUG', 'DIGEST'), before);
  const st = await srv.call('INFO', 'persistence');
  assert.equal(info(st, 'rdb_bgsave_in_progress'), '0');
  assert.equal(info(st, 'rdb_last_bgsave_status'), 'ok');
  // the file holds the data at the start
  const check = await createServer({ noListen: true, config: DEBUG });
  assert.equal(await loadRdbFile(check.server, path.join(dir, 'dump.rdb')), true);
  assert.equal(await check.call('DEBUG', 'DIGEST'), before);
  assert.equal(await check.call('DBSIZE'), N + 2500);
  await check.close();
  await srv.close();
});

test('SAVE, LASTSAVE, INFO persistence, BGSAVE SCHEDULE and inside MULTI', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
  const srv = await createServer({ config: { ...DEBUG, dir, save: '' } });
  await srv.call('SET', 'a', '1');
  await srv.call('SET', 'b', '2');
  assert.equal(info(await srv.call('INFO', 'persistence'), 'rdb_changes_since_last_save'), '2');
  assert.equal(await srv.call('SAVE'), 'OK');
  assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')));
  assert.deepEqual(fs.readdirSync(dir), ['dump.rdb']); // no temp file left
  const p = await srv.call('INFO', 'persistence');
  assert.equal(info(p, 'rdb_changes_since_last_save'), '0');
  assert.equal(info(p, 'rdb_saves'), '1');
  assert.equal(info(p, 'rdb_last_save_time'), String(await srv.call('LASTSAVE')));
  assert.equal(await srv.call('BGSAVE', 'SCHEDULE'), 'Background saving started');
  assert.equal(err(await srv.call('SAVE')), 'ERR Background save already in progress');
  assert.equal(await waitBgsave(srv.server), true);
  assert.equal(err(await srv.call('BGSAVE', 'NOW')), 'ERR syntax error');
  assert.equal(await srv.call('MULTI'), 'OK');
  await srv.call('BGSAVE');
  assert.deepEqual(await srv.call('EXEC'), ['Background saving scheduled']);
  assert.equal(String(await srv.call('MULTI')), 'OK');
  assert.equal(err(await srv.call('SAVE')), 'ERR Command not allowed inside a transaction');
  await srv.call('DISCARD');
  // the scheduled one runs from the cron
  await untilEqual('rdb_saves', async () => info(await srv.call('INFO', 'persistence'), 'rdb_saves'), '3');
  await srv.close();
});

test('save points trigger a BGSAVE', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'c-'));
  const srv = await createServer({ config: { ...DEBUG, dir, save: '1 2' } });
  await srv.call('SET', 'a', '1');
  // a sleep on purpose: past the save point's 1 s (and a cron tick), one change must not save
  await sleep(1300);
  assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), false); // one change only
  await srv.call('SET', 'b', '2');
  await until('the save point to write dump.rdb', () => fs.existsSync(path.join(dir, 'dump.rdb')));
  await waitBgsave(srv.server);
  assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')));
  assert.equal(info(await srv.call('INFO', 'persistence'), 'rdb_changes_since_last_save'), '0');
  await srv.close();
});

test('DEBUG RELOAD keeps the dataset; DEBUG DIGEST-VALUE of a missing key is zeros', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'd-'));
  const srv = await createServer({ config: { ...DEBUG, dir } });
  await srv.call('RPUSH', 'l', 'a', 'b');
  await srv.call('ZADD', 'z', '1.5', 'm');
  await srv.call('SET', 't', 'v', 'EX', '100');
  const d = await srv.call('DEBUG', 'DIGEST');
  assert.equal(await srv.call('DEBUG', 'RELOAD'), 'OK');
  assert.equal(await srv.call('DEBUG', 'DIGEST'), d);
  assert.ok(Number(await srv.call('TTL', 't')) > 90);
  assert.deepEqual(await srv.call('DEBUG', 'DIGEST-VALUE', 'nope'), ['0'.repeat(40)]);
  await srv.call('FLUSHALL');
  assert.equal(await srv.call('DEBUG', 'DIGEST'), '0'.repeat(40));
  assert.equal(await srv.call('DEBUG', 'RELOAD', 'NOSAVE'), 'OK');
  assert.equal(await srv.call('DEBUG', 'DIGEST'), d);
  await srv.close();
});

test('FLUSHALL stops a BGSAVE and, with save points, saves the empty dataset', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'e-'));
  const srv = await createServer({ config: { ...DEBUG, dir, save: '3600 1' } });
  const check = await createServer({ noListen: true });
  try {
    await srv.call('DEBUG', 'POPULATE', '50000');
    assert.equal(await srv.call('BGSAVE'), 'Background saving started');
    assert.equal(await srv.call('FLUSHALL'), 'OK');
    assert.equal(persist(srv.server).bgsave, null);
    // the save reset it, as Redis's flushAllDataAndResetRDB leaves it (unit/other.tcl)
    assert.equal(info(await srv.call('INFO', 'persistence'), 'rdb_changes_since_last_save'), '0');
    assert.equal(await loadRdbFile(check.server, path.join(dir, 'dump.rdb')), true);
    assert.equal(await check.call('DBSIZE'), 0);
    assert.deepEqual(fs.readdirSync(dir), ['dump.rdb']);
  } finally {
    await check.close();
    await srv.close();
  }
});

test('BGSAVE copy-on-write: every kind of change between slices, several seeds', async () => {
  for (const seed0 of [1, 2, 3, 4]) {
    const dir = fs.mkdtempSync(path.join(tmp, 'f-'));
    const srv = await createServer({ noListen: true, config: { ...DEBUG, dir } });
    const N = 30000;
    await srv.call('DEBUG', 'POPULATE', String(N), 'k');
    for (let i = 0; i < 300; i++) {
      await srv.call('RPUSH', `l:${i}`, 'a', String(i));
      await srv.call('SET', `t:${i}`, 'x', 'PX', '100000');
    }
    await srv.call('SELECT', '1');
    await srv.call('DEBUG', 'POPULATE', '5000', 'one');
    await srv.call('SELECT', '0');
    let seed = seed0;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const before = await srv.call('DEBUG', 'DIGEST');
    await srv.call('BGSAVE');
    let ops = 0;
    // commands run between the walk's slices: deletes move the last slot down
    // (the walk must tell walked keys from moved ones), renames, moves, swaps
    while (persist(srv.server).bgsave !== null) {
      for (let j = 0; j < 20; j++, ops++) {
        const k = `k:${rnd(N)}`;
        const cmds: string[][] = [
          ['DEL', k],
          ['SET', k, 'n'],
          ['DEL', `k:${N - 1 - rnd(100)}`],
          ['SET', `new:${ops}`, 'v'],
          ['RPUSH', `l:${rnd(300)}`, 'z'],
          ['PERSIST', `t:${rnd(300)}`],
          ['RENAME', k, `k:${rnd(N)}`],
          ['EXPIRE', k, '1000'],
          ['MOVE', k, '1'],
          ['APPEND', k, 'q'],
          ['SWAPDB', '0', '1'],
          ['UNLINK', k, `k:${rnd(N)}`],
        ];
        await srv.call(...cmds[rnd(cmds.length)]!);
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await waitBgsave(srv.server), true);
    assert.ok(ops > 1000, `only ${ops} commands ran during the BGSAVE`);
    const check = await createServer({ noListen: true, config: DEBUG });
    await loadRdbFile(check.server, path.join(dir, 'dump.rdb'));
    assert.equal(await check.call('DEBUG', 'DIGEST'), before, `seed ${seed0}`);
    await check.close();
    await srv.close();
  }
});

test('BGSAVE writes huge collections across slices, exact under changes made while each is written', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'big-'));
  const srv = await createServer({ noListen: true, config: { ...DEBUG, dir } });
  const M = 200_000;
  const batch = (n: number, f: (i: number) => string[]) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(...f(i));
    return out;
  };
  for (let b = 0; b < M; b += 10_000) {
    await srv.call('HSET', 'h', ...batch(10_000, (i) => [`f${b + i}`, `v${b + i}`]));
    await srv.call('SADD', 's', ...batch(10_000, (i) => [`m${b + i}`]));
    await srv.call('ZADD', 'z', ...batch(10_000, (i) => [String((b + i) * 1.5), `m${b + i}`]));
    await srv.call('RPUSH', 'l', ...batch(10_000, (i) => [`e${b + i}`]));
    await srv.call('RPUSH', 'still', ...batch(10_000, (i) => [String(b + i)]));
  }
  await srv.call('DEBUG', 'POPULATE', '20000', 'k');
  const before = await srv.call('DEBUG', 'DIGEST');
  await srv.call('BGSAVE');
  // change each huge key while the walk is inside it; 'still' is never changed
  const changes = new Map<string, string[][]>([
    [
      'h',
      [
        ['HSET', 'h', 'f1', 'changed'],
        ['DEL', 'h'],
      ],
    ],
    ['s', [['SREM', 's', 'm5']]],
    ['z', [['ZADD', 'z', '-1', 'm7']]],
    [
      'l',
      [
        ['LPOP', 'l'],
        ['RPUSH', 'l', 'x'],
      ],
    ],
  ]);
  const changed: string[] = [];
  let turnsInStill = 0;
  for (;;) {
    const bg = persist(srv.server).bgsave as unknown as { job: { key: string } | null } | null;
    if (bg === null) break;
    const key = bg.job?.key;
    if (key === 'still') turnsInStill++;
    const cmds = key === undefined ? undefined : changes.get(key);
    if (cmds !== undefined) {
      changes.delete(key!);
      for (const c of cmds) await srv.call(...c);
      changed.push(key!);
    }
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(changed, ['h', 's', 'z', 'l'], 'every huge key was changed while being written');
  assert.equal(await waitBgsave(srv.server), true);
  const check = await createServer({ noListen: true, config: DEBUG });
  await loadRdbFile(check.server, path.join(dir, 'dump.rdb'));
  assert.equal(await check.call('DEBUG', 'DIGEST'), before);
  assert.equal(await check.call('LLEN', 'l'), M);
  await check.close();
  // the untouched 200k-element list was written in steps, between which other work ran
  // (a change to a huge key being written finishes it at once: that one stall remains)
  assert.ok(turnsInStill >= 10, `the list was written in ${turnsInStill} event-loop turns`);
  await srv.close();
});

test('rdb-key-save-delay keeps a BGSAVE running (a timer per key, not a stall) until set back to 0', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'delay-'));
  const srv = await createServer({ config: { ...DEBUG, dir } });
  try {
    await srv.call('SET', 'k', 'v');
    await srv.call('SET', 'k2', 'v');
    await srv.call('CONFIG', 'SET', 'rdb-key-save-delay', '10000000');
    assert.equal(await srv.call('BGSAVE'), 'Background saving started');
    // a sleep on purpose: the BGSAVE is still running 200 ms later
    await sleep(200);
    assert.equal(info(await srv.call('INFO', 'persistence'), 'rdb_bgsave_in_progress'), '1');
    assert.equal(await srv.call('PING'), 'PONG', 'served meanwhile');
    await srv.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    await untilEqual(
      'rdb_bgsave_in_progress',
      async () => info(await srv.call('INFO', 'persistence'), 'rdb_bgsave_in_progress'),
      '0',
    );
  } finally {
    await srv.close();
  }
});

test('a BGSAVE stopped during its final fsync closes its file once: a file opened meanwhile keeps its descriptor', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'fd-'));
  const srv = await createServer({ config: { dir } });
  after(() => srv.close());
  for (let i = 0; i < 100; i++) await srv.call('SET', `k${i}`, 'v');
  // a slow disk: the BGSAVE's fsync of its temp file waits until released
  let release: (() => void) | null = null;
  const fsync = fs.fsync;
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    release = () => fsync(fd, cb);
  }) as typeof fs.fsync;
  let other = -1;
  try {
    assert.equal(await srv.call('BGSAVE'), 'Background saving started');
    await until('the final fsync', () => release !== null);
    persist(srv.server).bgsave!.abort(); // (as FLUSHALL or SHUTDOWN stop it)
    // the lowest free number: the temp file's, had the abort closed it
    other = fs.openSync(path.join(dir, 'other'), 'w');
    release!();
    await sleep(100);
    fs.writeSync(other, 'still mine'); // EBADF had the fsync's callback closed this number again
  } finally {
    fs.fsync = fsync;
    if (other >= 0) fs.closeSync(other);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'other'), 'latin1'), 'still mine');
  assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), false, 'the stopped save renamed nothing');
});

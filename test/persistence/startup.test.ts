/**
 * The RDB file across restarts of the CLI (a separate process, as users run
 * it): loaded at start (clients get -LOADING meanwhile), a corrupt file
 * stops the start naming the file and offset, SIGTERM saves when save
 * points are configured, SHUTDOWN SAVE / NOSAVE.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, freePort, RawConn } from '../helpers/servers.js';
import { rdbImage } from '../../src/persistence/snapshot.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-startup-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  port: number;
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Starts the CLI on a free port with dir; resolves once it accepts connections (or has exited). */
async function start(dir: string, extra: string[] = []): Promise<Running> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [CLI, '--port', String(port), '--dir', dir, '--enable-debug-command', 'yes', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const end = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) break;
    try {
      const c = await RawConn.connect(port);
      c.close();
      break;
    } catch {
      if (Date.now() > end) throw new Error('tsdis did not start: ' + out);
      await sleep(10);
    }
  }
  return { port, proc, out: () => out, exited };
}

/** Waits until the server has loaded its dataset (PING is refused with -LOADING until then). */
async function loaded(port: number): Promise<void> {
  while ((await call(port, 'PING')).startsWith('-LOADING')) await sleep(10);
}

async function call(port: number, ...args: string[]): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

test('SHUTDOWN SAVE writes the file and a restart loads it; SHUTDOWN NOSAVE does not save', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'a-'));
  let s = await start(dir, ['--save', '3600 1']);
  await call(s.port, 'SET', 'k', 'v');
  await call(s.port, 'RPUSH', 'l', '1', '2', 'three');
  await call(s.port, 'SET', 't', 'x', 'EX', '1000');
  const digest = await call(s.port, 'DEBUG', 'DIGEST');
  const c = await RawConn.connect(s.port);
  c.write('*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n');
  await c.readUntilClose();
  assert.equal(await s.exited, 0);
  assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')));
  s = await start(dir, ['--save', '3600 1']);
  await loaded(s.port);
  assert.equal(await call(s.port, 'DEBUG', 'DIGEST'), digest);
  assert.match(s.out(), /DB loaded from disk/);
  await call(s.port, 'SET', 'more', 'x');
  fs.rmSync(path.join(dir, 'dump.rdb'));
  const c2 = await RawConn.connect(s.port);
  c2.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  await c2.readUntilClose();
  assert.equal(await s.exited, 0);
  assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), false);
});

test('SIGTERM saves when save points are configured, not otherwise', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
  let s = await start(dir, ['--save', '']);
  await call(s.port, 'SET', 'k', 'v');
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), false);
  s = await start(dir, ['--save', '900 1']);
  await call(s.port, 'SET', 'k', 'v');
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  assert.match(s.out(), /Saving the final RDB snapshot before exiting/);
  s = await start(dir, ['--save', '']);
  await loaded(s.port);
  assert.equal(await call(s.port, 'GET', 'k'), '$1\r\nv\r\n');
  s.proc.kill('SIGKILL');
});

test('a corrupt RDB stops the start with the file and offset', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'c-'));
  const srv = await createServer({ noListen: true });
  for (let i = 0; i < 100; i++) await srv.call('SET', `key:${i}`, `value:${i}`);
  const image = Buffer.concat(rdbImage(srv.server));
  await srv.close();
  const file = path.join(dir, 'dump.rdb');
  fs.writeFileSync(file, image.subarray(0, image.length - 100));
  let s = await start(dir);
  assert.equal(await s.exited, 1);
  assert.match(s.out(), new RegExp(`Bad RDB file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} at offset \\d+`));
  const bad = Buffer.from(image);
  bad[image.length - 3]! ^= 0xff; // in the checksum
  fs.writeFileSync(file, bad);
  s = await start(dir);
  assert.equal(await s.exited, 1);
  assert.match(s.out(), /Wrong RDB checksum/);
});

test("key-load-delay (Redis's test knob) slows the load per key; clients get -LOADING all along", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'd-'));
  const srv = await createServer({ noListen: true, config: { 'enable-debug-command': 'yes' } });
  await srv.call('DEBUG', 'POPULATE', '300', 'key', '10');
  fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.concat(rdbImage(srv.server)));
  await srv.close();
  // 300 keys at 2 ms each: at least 0.6 s of loading, served between slices
  const t0 = Date.now();
  const s = await start(dir, ['--save', '', '--key-load-delay', '2000']);
  const c = await RawConn.connect(s.port);
  let loadingReplies = 0;
  for (;;) {
    const r = await c.call('PING');
    if (r === '+PONG\r\n') break;
    assert.equal(r, '-LOADING Redis is loading the dataset in memory\r\n');
    loadingReplies++;
    assert.ok(Date.now() - t0 < 20000, 'still loading after 20 s');
  }
  assert.ok(Date.now() - t0 >= 600, `loaded in ${Date.now() - t0} ms`);
  assert.ok(loadingReplies >= 5, `${loadingReplies} -LOADING replies`);
  assert.equal(await c.call('DBSIZE'), ':300\r\n');
  c.close();
  s.proc.kill('SIGKILL');
});

test('clients get -LOADING while a large RDB loads; INFO shows loading fields', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'd-'));
  const srv = await createServer({ noListen: true, config: { 'enable-debug-command': 'yes' } });
  await srv.call('DEBUG', 'POPULATE', '600000', 'key', '20');
  fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.concat(rdbImage(srv.server)));
  await srv.close();
  const s = await start(dir, ['--save', '']);
  const c = await RawConn.connect(s.port);
  let loadingReplies = 0;
  let infoWhileLoading = '';
  for (;;) {
    const r = await c.call('GET', 'key:1');
    if (!r.startsWith('-LOADING')) {
      assert.equal(r, '$20\r\nvalue:1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\r\n');
      break;
    }
    assert.equal(r, '-LOADING Redis is loading the dataset in memory\r\n');
    loadingReplies++;
    if (infoWhileLoading === '') infoWhileLoading = await c.call('INFO', 'persistence');
  }
  assert.ok(loadingReplies > 0, 'no -LOADING reply seen');
  assert.match(infoWhileLoading, /loading:1\r\n/);
  assert.match(infoWhileLoading, /loading_total_bytes:\d+\r\n/);
  assert.equal(await c.call('DBSIZE'), ':600000\r\n');
  assert.equal(await c.call('STRLEN', 'key:599999'), ':20\r\n');
  assert.match(await c.call('INFO', 'persistence'), /rdb_last_load_keys_loaded:600000\r\n/);
  c.close();
  s.proc.kill('SIGKILL');
});

/**
 * Long-running scripts against a real redis-server, raw reply bytes
 * compared: past busy-reply-threshold other clients get -BUSY (the EVAL
 * and the FCALL wording), only `allow_busy` commands run (SCRIPT KILL,
 * FUNCTION KILL / STATS, MULTI; EXEC is aborted; SHUTDOWN only with
 * NOSAVE), SCRIPT KILL / FUNCTION KILL end a script that has not written
 * (and one that catches the error with pcall), UNKILLABLE once it wrote,
 * NOTBUSY when idle, SHUTDOWN NOSAVE ends the process, FUNCTION LOAD's
 * 500 ms limit. tsdis runs as a child process: a busy script holds the
 * event loop of the process it runs in.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { encode } from '../helpers/resp.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const THRESHOLD = 100;

interface Side {
  name: string;
  port: number;
  /** Resolves the exit code once the process has exited (bounded). */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function redisSide(): Promise<Side> {
  const r = await startRedis(['--busy-reply-threshold', String(THRESHOLD)]);
  return {
    name: 'redis',
    port: r.port,
    exited: () =>
      new Promise((resolve, reject) => {
        if (r.proc.exitCode !== null) return resolve(r.proc.exitCode);
        const t = setTimeout(() => reject(new Error('redis-server did not exit')), 10000);
        r.proc.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      }),
    stop: () => r.stop(),
  };
}

async function tsdisSide(): Promise<Side> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-busy-'));
  dirs.push(dir);
  const c = await startChild(['--busy-reply-threshold', String(THRESHOLD), '--save', ''], dir);
  return { name: 'tsdis', port: c.port, exited: () => c.exited(), stop: () => c.kill() };
}

/** Runs `scenario` against redis-server and tsdis and compares what each recorded. */
async function both(scenario: (s: Side, log: string[]) => Promise<void>): Promise<void> {
  const out: string[][] = [];
  for (const start of [redisSide, tsdisSide]) {
    const side = await start();
    const log: string[] = [];
    try {
      await scenario(side, log);
    } finally {
      await side.stop();
    }
    out.push(log);
  }
  assert.deepEqual(out[1], out[0]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends PING until the server answers it with an error (BUSY), bounded; returns that reply. */
async function untilBusy(c: RawConn): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await c.call('PING');
    if (r.startsWith('-')) return r;
    await sleep(20);
  }
  throw new Error('the server never became busy');
}

test('EVAL past the threshold: BUSY, allow_busy commands, EXECABORT, SCRIPT KILL, then normal service', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    const c = await RawConn.connect(s.port);
    try {
      const sha = await b.call('SCRIPT', 'LOAD', 'return ARGV[1]');
      log.push(sha);
      log.push(await c.call('MULTI'));
      log.push(await c.call('SET', 'q', '1'));
      // The caller's pipelined PING waits for the script (its client is not served while busy).
      a.write(Buffer.concat([encode(['EVAL', 'while true do end', '0']), encode(['PING'])]));
      await sleep(10);
      const t0 = performance.now();
      const first = await b.call('PING');
      const waited = performance.now() - t0;
      log.push(first);
      assert.ok(waited >= THRESHOLD / 2, `${s.name}: PING answered after ${waited} ms`);
      for (const cmd of [['PING'], ['GET', 'q'], ['CLIENT', 'LIST'], ['FUNCTION', 'STATS'], ['FUNCTION', 'KILL'], ['SHUTDOWN'], ['EVAL', 'return 1', '0'], ['NOSUCH']]) {
        log.push(`${cmd.join(' ')} -> ${await b.call(...cmd)}`);
      }
      log.push(`exec -> ${await c.call('EXEC')}`);
      log.push(`multi -> ${await c.call('MULTI')}`);
      log.push(`incr -> ${await c.call('INCR', 'q')}`);
      log.push(`discard -> ${await c.call('DISCARD')}`);
      log.push(`kill -> ${await b.call('SCRIPT', 'KILL')}`);
      log.push(`caller -> ${await a.read()}`);
      log.push(`caller ping -> ${await a.read()}`);
      log.push(`kill again -> ${await b.call('SCRIPT', 'KILL')}`);
      log.push(`function kill -> ${await b.call('FUNCTION', 'KILL')}`);
      log.push(await b.call('PING'));
      log.push(await a.call('EVAL', 'return 1 + 1', '0'));
      log.push(await a.call('EVALSHA', sha.split('\r\n')[1]!, '0', 'again'));
      log.push(await c.call('GET', 'q'));
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });
});

test('a killed script cannot survive by catching the error with pcall', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      a.write(encode(['EVAL', 'while true do pcall(function() while true do end end) end', '0']));
      log.push(await untilBusy(b));
      log.push(await b.call('SCRIPT', 'KILL'));
      const r = await a.read();
      // Where the error lands (the line) may differ: compare the text around it.
      log.push(r.replace(/@user_script:\d+\./, '@user_script:N.'));
      log.push(await b.call('EVAL', 'local n = 0 for i = 1, 100000 do n = n + i end return n', '0'));
    } finally {
      a.close();
      b.close();
    }
  });
});

test('FCALL past the threshold: the function wording, FUNCTION STATS, FUNCTION KILL', { skip }, async () => {
  const lib =
    "#!lua name=spinlib\nredis.register_function('spin', function(keys, args)\n  while true do end\nend)\n" +
    "redis.register_function('ok', function() return 'fine' end)";
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      log.push(await b.call('FUNCTION', 'LOAD', lib));
      log.push(await b.call('FUNCTION', 'STATS'));
      a.write(encode(['FCALL', 'spin', '0', 'arg']));
      log.push(await untilBusy(b));
      log.push((await b.call('FUNCTION', 'STATS')).replace(/duration_ms\r\n:\d+/, 'duration_ms\r\n:N'));
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await a.read());
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await a.call('FCALL', 'ok', '0'));
    } finally {
      a.close();
      b.close();
    }
  });
});

test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE ends the process', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      const body = "redis.call('set', 'x', '1') while true do end";
      a.write(encode(['EVAL', body, '0']));
      log.push(await untilBusy(b));
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await b.call('SHUTDOWN'));
      log.push(await b.call('SHUTDOWN', 'SAVE'));
      b.write(encode(['SHUTDOWN', 'NOSAVE']));
      log.push(`shutdown -> ${JSON.stringify(await b.readUntilClose())}`);
      log.push(`caller -> ${JSON.stringify(await a.readUntilClose())}`);
      log.push(`exit ${await s.exited()}`);
    } finally {
      a.close();
      b.close();
    }
  });
});

test('NOTBUSY when nothing runs; a loop in FUNCTION LOAD times out', { skip }, async () => {
  await both(async (s, log) => {
    const b = await RawConn.connect(s.port);
    try {
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await b.call('FUNCTION', 'LOAD', "#!lua name=loop\nwhile true do end\nredis.register_function('f', function() return 1 end)"));
      log.push(await b.call('FUNCTION', 'LIST'));
      log.push(await b.call('PING'));
    } finally {
      b.close();
    }
  });
});

/**
 * The Lua VM loads on first use (scripting/lua.ts loadVm, scripting/vm-gate.ts):
 * importing tsdis and running a server without scripts never makes it; the
 * first command that needs it waits for it without reordering its client's
 * pipeline; the start loads it before an RDB file or AOF with functions.
 * And two embedded servers in one process (sharing the one VM) keep their
 * scripts and functions apart.
 *
 * The tests of this file run in order in one process (node --test gives each
 * file its own): the first one runs before anything loads the VM here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { encode } from '../helpers/resp.js';
import { vmLoaded } from '../../src/scripting/lua.js';
import { ReplyError } from '../../src/protocol/errors.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-lazyvm-'));
  dirs.push(d);
  return d;
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** INFO memory's used_memory_vm_eval and used_memory_lua. */
function vmEvalBytes(info: string): [number, number] {
  const f = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? NaN);
  return [f('used_memory_vm_eval'), f('used_memory_lua')];
}

const lib = (name: string, body: string): string =>
  `#!lua name=${name}\nredis.register_function('f', function(keys, args) ${body} end)`;

test('a server that runs no script never loads the VM (EVALSHA and FCALL of nothing do not either)', async () => {
  assert.equal(vmLoaded(), false, 'nothing in this process loaded the VM yet');
  const s = await startTsdis();
  try {
    assert.equal(await s.call('SET', 'k', 'v'), 'OK');
    assert.equal(await s.call('GET', 'k'), 'v');
    // what needs no VM: an unknown sha or function, the lists, flushes, SCRIPT DEBUG's mode
    const noscript = await s.call('EVALSHA', sha1('return 1'), '0');
    assert.ok(noscript instanceof ReplyError && noscript.message.startsWith('NOSCRIPT'));
    const nofn = await s.call('FCALL', 'f', '0');
    assert.ok(nofn instanceof ReplyError && nofn.message === 'ERR Function not found');
    assert.deepEqual(await s.call('SCRIPT', 'EXISTS', sha1('return 1')), [0]);
    assert.deepEqual(await s.call('FUNCTION', 'LIST'), []);
    assert.equal(await s.call('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await s.call('FUNCTION', 'FLUSH'), 'OK');
    // a transaction that queues nothing needing it
    assert.equal(await s.call('MULTI'), 'OK');
    assert.equal(await s.call('GET', 'k'), 'QUEUED');
    assert.deepEqual(await s.call('EXEC'), ['v']);
    const info = String(await s.call('INFO', 'memory'));
    assert.deepEqual(vmEvalBytes(info), [0, 0]);
    assert.match(String(await s.call('INFO', 'memory')), /used_memory_vm_functions:0\r\n/);
    assert.equal(vmLoaded(), false);
  } finally {
    await s.close();
  }
});

test('the first EVAL (embedded call()) loads the VM; calls made meanwhile keep their order', async () => {
  const s = await startTsdis();
  try {
    assert.equal(vmLoaded(), false);
    // not awaited one by one: the EVAL waits for the VM, the rest waits behind it
    const replies = await Promise.all([
      s.call('SET', 'k', '1'),
      s.call('EVAL', "return redis.call('incr', KEYS[1])", '1', 'k'),
      s.call('INCR', 'k'),
      s.call('GET', 'k'),
    ]);
    assert.deepEqual(replies, ['OK', 2, 3, '3']);
    assert.equal(vmLoaded(), true);
    const [evalBytes, lua] = vmEvalBytes(String(await s.call('INFO', 'memory')));
    assert.ok(evalBytes > 0 && evalBytes === lua, `used_memory_vm_eval ${evalBytes}, used_memory_lua ${lua}`);
  } finally {
    await s.close();
  }
});

test('first use over a connection: a pipeline around the first EVAL keeps its order; other clients are served meanwhile', async () => {
  const dir = tmpDir();
  const c = await startChild(['--save', ''], dir);
  try {
    const a = await RawConn.connect(c.port);
    const b = await RawConn.connect(c.port);
    assert.match(await a.call('INFO', 'memory'), /used_memory_vm_eval:0\r\n/);
    a.write(
      Buffer.concat([
        encode(['SET', 'k', '1']),
        encode(['EVAL', "return redis.call('incr', KEYS[1])", '1', 'k']),
        encode(['INCR', 'k']),
        encode(['MULTI']),
        encode(['EVAL', "return redis.call('incr', KEYS[1])", '1', 'k']),
        encode(['GET', 'k']),
        encode(['EXEC']),
      ]),
    );
    assert.equal(await b.call('PING'), '+PONG\r\n');
    const want = '+OK\r\n:2\r\n:3\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:4\r\n$1\r\n4\r\n';
    let got = '';
    while (got.length < want.length) got += await a.read();
    assert.equal(got, want);
    assert.doesNotMatch(await a.call('INFO', 'memory'), /used_memory_vm_eval:0\r\n/);
    a.close();
    b.close();
  } finally {
    await c.kill();
  }
});

test('the first script command inside MULTI: EXEC waits for the VM (SCRIPT LOAD, FUNCTION LOAD, EVAL queued)', async () => {
  const dir = tmpDir();
  const c = await startChild(['--save', ''], dir);
  try {
    const a = await RawConn.connect(c.port);
    assert.equal(await a.call('MULTI'), '+OK\r\n');
    assert.equal(await a.call('SCRIPT', 'LOAD', 'return 7'), '+QUEUED\r\n');
    assert.equal(await a.call('FUNCTION', 'LOAD', lib('m', 'return 8')), '+QUEUED\r\n');
    assert.equal(await a.call('FCALL', 'f', '0'), '+QUEUED\r\n');
    assert.equal(await a.call('EXEC'), `*3\r\n$40\r\n${sha1('return 7')}\r\n$1\r\nm\r\n:8\r\n`);
    assert.equal(await a.call('EVALSHA', sha1('return 7'), '0'), ':7\r\n');
    a.close();
  } finally {
    await c.kill();
  }
});

test('functions in an RDB file or the AOF are loaded at start (the VM loaded first), and by DEBUG RELOAD NOSAVE', async () => {
  // the RDB file, saved by one process and loaded by a new one
  const rdbDir = tmpDir();
  let c = await startChild(['--save', '', '--enable-debug-command', 'yes'], rdbDir);
  try {
    const a = await RawConn.connect(c.port);
    assert.equal(await a.call('FUNCTION', 'LOAD', lib('r', "return 'rdb'")), '$1\r\nr\r\n');
    assert.equal(await a.call('SAVE'), '+OK\r\n');
    a.close();
  } finally {
    await c.kill();
  }
  c = await startChild(['--save', ''], rdbDir);
  try {
    const a = await RawConn.connect(c.port);
    assert.equal(await a.call('FCALL', 'f', '0'), '$3\r\nrdb\r\n');
    a.close();
  } finally {
    await c.kill();
  }
  // DEBUG RELOAD NOSAVE in a process that never loaded the VM, of a file that has functions
  const reloadDir = tmpDir();
  c = await startChild(['--save', '', '--enable-debug-command', 'yes', '--dbfilename', 'other.rdb'], reloadDir);
  try {
    fs.copyFileSync(path.join(rdbDir, 'dump.rdb'), path.join(reloadDir, 'other.rdb'));
    const a = await RawConn.connect(c.port);
    assert.match(await a.call('INFO', 'memory'), /used_memory_vm_eval:0\r\n/);
    assert.equal(await a.call('DEBUG', 'RELOAD', 'NOSAVE'), '+OK\r\n');
    assert.equal(await a.call('FCALL', 'f', '0'), '$3\r\nrdb\r\n');
    a.close();
  } finally {
    await c.kill();
  }
  // the AOF (a FUNCTION LOAD command in its incremental file)
  const aofDir = tmpDir();
  c = await startChild(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], aofDir);
  try {
    const a = await RawConn.connect(c.port);
    assert.equal(await a.call('function', 'load', lib('x', "return 'aof'")), '$1\r\nx\r\n');
    a.close();
  } finally {
    await c.kill();
  }
  c = await startChild(['--save', '', '--appendonly', 'yes'], aofDir);
  try {
    const a = await RawConn.connect(c.port);
    assert.equal(await a.call('FCALL', 'f', '0'), '$3\r\naof\r\n');
    a.close();
  } finally {
    await c.kill();
  }
});

test('two embedded servers in one process share the VM but not their scripts or functions', async () => {
  const s1 = await startTsdis();
  const s2 = await startTsdis();
  try {
    const one = "return 'one:' .. ARGV[1]";
    const two = "return 'two:' .. ARGV[1]";
    assert.equal(await s1.call('SCRIPT', 'LOAD', one), sha1(one));
    assert.equal(await s2.call('SCRIPT', 'LOAD', two), sha1(two));
    assert.equal(await s1.call('FUNCTION', 'LOAD', lib('libone', "return 'f1:' .. args[1]")), 'libone');
    assert.equal(await s2.call('FUNCTION', 'LOAD', lib('libtwo', "return 'f2:' .. args[1]")), 'libtwo');
    // neither sees the other's
    assert.deepEqual(await s1.call('SCRIPT', 'EXISTS', sha1(one), sha1(two)), [1, 0]);
    assert.deepEqual(await s2.call('SCRIPT', 'EXISTS', sha1(one), sha1(two)), [0, 1]);
    const noscript = await s1.call('EVALSHA', sha1(two), '0', 'x');
    assert.ok(noscript instanceof ReplyError && noscript.message.startsWith('NOSCRIPT'));
    const l1 = (await s1.call('FUNCTION', 'LIST')) as unknown[][];
    const l2 = (await s2.call('FUNCTION', 'LIST')) as unknown[][];
    assert.deepEqual([l1.length, l1[0]![1], l2.length, l2[0]![1]], [1, 'libone', 1, 'libtwo']);
    // run side by side, interleaved, over connections
    const a = await RawConn.connect(s1.port);
    const b = await RawConn.connect(s2.port);
    const n = 200;
    const batch = (sha: string) =>
      Buffer.concat(
        Array.from({ length: n }, (_, i) =>
          Buffer.concat([encode(['EVALSHA', sha, '0', String(i)]), encode(['FCALL', 'f', '0', String(i)])]),
        ),
      );
    a.write(batch(sha1(one)));
    b.write(batch(sha1(two)));
    const expect = (x: string, y: string) =>
      Array.from({ length: n }, (_, i) => {
        const s1r = `${x}:${i}`;
        const s2r = `${y}:${i}`;
        return `$${s1r.length}\r\n${s1r}\r\n$${s2r.length}\r\n${s2r}\r\n`;
      }).join('');
    const readAll = async (c: RawConn, want: string) => {
      let got = '';
      while (got.length < want.length) got += await c.read();
      return got;
    };
    const [ra, rb] = await Promise.all([readAll(a, expect('one', 'f1')), readAll(b, expect('two', 'f2'))]);
    assert.equal(ra, expect('one', 'f1'));
    assert.equal(rb, expect('two', 'f2'));
    a.close();
    b.close();
    // flushing one leaves the other's
    assert.equal(await s1.call('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await s1.call('FUNCTION', 'FLUSH'), 'OK');
    assert.equal(await s2.call('EVALSHA', sha1(two), '0', 'z'), 'two:z');
    assert.equal(await s2.call('FCALL', 'f', '0', 'z'), 'f2:z');
  } finally {
    await s1.close();
    await s2.close();
  }
});

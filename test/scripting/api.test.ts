/**
 * The Lua API as Redis 7.2's script_lua.c has it, against a real
 * redis-server (raw replies compared): the argument checks and errors of
 * redis.sha1hex / log / setresp / error_reply / status_reply, math.random
 * drawing Redis's own sequence (rand.c), string.format and struct with
 * 64-bit integers (`long` is 64 bits in Redis's build, 32 in the engine's
 * wasm build), the nonexistent-global and argument-type texts a script can
 * catch, table errors, RESP3 attributes in redis.call replies, SORT BY a
 * constant from a script, DEBUG OBJECT of an expired key, error texts that
 * end an argument at a NUL (printf's %s); and, pinned from
 * Redis 7.2's tests, TIME frozen while a script runs, used_memory_lua.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, type Cmd } from '../helpers/diff.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { startChild } from '../helpers/child.js';

const d = await Differ.start();
after(() => d?.stop());
const ev = (script: string, ...rest: string[]): Cmd => ['EVAL', script, ...(rest.length ? rest : ['0'])];

test('redis.sha1hex, redis.log, redis.setresp, error_reply, status_reply: arguments and errors as Redis', async () => {
  await d!.reset();
  await d!.same([
    ev('return redis.sha1hex({})'),
    ev('return redis.sha1hex(nil)'),
    ev('return redis.sha1hex(1.5)'),
    ev("return redis.sha1hex('abc')"),
    ev('return redis.sha1hex()'),
    ev('return redis.sha1hex(1, 2)'),
    ev('local x = 1\nreturn redis.sha1hex()'),
    ev('local ok, e = pcall(redis.sha1hex) return e'),
    ev('redis.log()'),
    ev('redis.log(1)'),
    ev("redis.log('x', 'y')"),
    ev("redis.log(5, 'y')"),
    ev("redis.log(-1, 'y')"),
    ev("redis.log(2.5, 'y', nil, 3, {}) return 1"),
    ev("redis.log('3', 'as a string') return 1"),
    ev('return redis.setresp()'),
    ev('return redis.setresp(1, 2)'),
    ev('return redis.setresp({})'),
    ev('return redis.setresp(4)'),
    ev("redis.setresp('3') return redis.setresp(2.9)"),
    ev("return redis.error_reply('My Error')"),
    ev("return redis.error_reply('')"),
    ev("return redis.error_reply('-')"),
    ev("return redis.error_reply('-NOCODE')"),
    ev("return redis.error_reply('x\\r\\n')"),
    ev("return redis.error_reply('a\\0b c')"),
    ev('return redis.error_reply(1)'),
    ev("return redis.error_reply('a', 'b')"),
    ev("return redis.status_reply('MY_OK custom msg')"),
    ev('return redis.status_reply()'),
    ev('return redis.status_reply(1)'),
    ev("return {type(redis.error_reply('x')), redis.error_reply('E x').err}"),
  ]);
});

test("math.random draws Redis's sequence; randomseed reseeds it", async () => {
  // a fresh pair of servers: Redis's generator starts from its fixed seed
  const e = await Differ.start({ name: 'fresh' });
  try {
    await e!.same([
      ev('return tostring(math.random())'),
      ev('return {math.random(10), math.random(3, 5), tostring(math.random())}'),
      ['FUNCTION', 'LOAD', "#!lua name=r\nredis.register_function('r', function() return tostring(math.random()) end)"],
      ['FCALL', 'r', '0'],
      ev('math.randomseed(10) return {tostring(math.random()), math.random(100), math.random(5, 9)}'),
      ev('math.randomseed(-7) return tostring(math.random())'),
      ev('math.randomseed(2^40 + 3) return tostring(math.random())'),
      ev("math.randomseed('12') return tostring(math.random())"),
      ev('return math.random(0)'),
      ev("return math.random('x')"),
      ev('return math.random(5, 1)'),
      ev('return math.random(1, 2, 3)'),
      ev('return math.randomseed()'),
    ]);
  } finally {
    await e?.stop();
  }
});

test('string.format and struct with integers past 32 bits, as x86-64 Redis formats and packs them', async () => {
  await d!.reset();
  await d!.same([
    ev("return string.format('%d', 2^40)"),
    ev("return string.format('%d', 1700000000000)"),
    ev("return string.format('%d %i %5d %-5d| %+d %05d %.3d %3.2d', 2^40, -2^40, 42, 42, 7, 7, 7, 7)"),
    ev("return string.format('%x %X %o %u', 2^40, -1, 2^63, 2^64)"),
    ev("return string.format('%d %x %u %d', 2^63, 2^63, -2^63, -2^63 - 4096)"),
    ev("return string.format('%d %d %x', 0/0, 1/0, -1/0)"),
    ev("return string.format('%#x %#o', 2^40, 2^40)"),
    ev("return string.format('%c%c', 72, 2^31 + 65)"),
    ev("return string.format('%s %d %s', 'a', 3.9, 'b')"),
    ev("return {struct.pack('>l', -2), struct.pack('<L', 2^40), struct.pack('<i8', -1), struct.pack('>T', 5)}"),
    ev("return {struct.size('lLT'), struct.size('!lbl'), struct.size('i8I16')}"),
    ev("return {struct.unpack('>l', struct.pack('>l', -2^40))}"),
    ev("return {struct.unpack('<L', struct.pack('<L', 2^63))}"),
    ev("return {struct.unpack('>i16', struct.pack('>i16', -5))}"),
    ev("return {struct.unpack('>I16', struct.pack('>i16', -5))}"),
    ev("return {struct.unpack('>i3', '\\255\\255\\254')}"),
    ev("return {struct.unpack('<i8', struct.pack('<i8', 1700000000123))}"),
    ev("return {struct.unpack('!<bl', struct.pack('!<bl', 1, -3))}"),
  ]);
});

test('texts a script can catch: nonexistent globals, argument types, table errors, redis.call of RESP3 attributes', async () => {
  await d!.reset();
  await d!.both(['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1']);
  try {
    await d!.same([
      ev(
        "local status, res = pcall(function() return foo end) return 'status: ' .. tostring(status) .. ' result: ' .. res",
      ),
      ev('return foo'),
      ev("return redis.call('ping', {})"),
      ev("local ok, e = pcall(redis.call, 'ping', {}) return e"),
      ev("return redis.pcall('ping', {})"),
      ev("error({err='MYERR boom'})"),
      ev("local t = setmetatable({}, {__index = function() return 'x' end}) error(t)"),
      ev("redis.setresp(3) return redis.call('debug', 'protocol', 'attrib')"),
      ev("return redis.call('debug', 'protocol', 'attrib')"),
      ev("redis.setresp(3) return redis.pcall('debug', 'protocol', 'attrib')"),
      ev("return redis.call('ping')"),
    ]);
  } finally {
    await d!.both(['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0']);
  }
});

test('error texts end an argument at its first NUL, as printf %s does; a NUL in the first line hides a shebang', async () => {
  await d!.reset();
  const fn = (meta: string, body = "redis.register_function('f', function() return 1 end)"): Cmd => [
    'FUNCTION',
    'LOAD',
    `${meta}\n${body}`,
  ];
  await d!.same([
    ev("error('a\0b')"),
    ev("error({err='MY a\0b'})"),
    ev("return {err='MY a\0b'}"),
    ev("return redis.error_reply('MY a\0b')"),
    ev("local ok, e = pcall(error, 'a\0b') return e"),
    ev('#!lua flags=no-writes,x\0y\nreturn 1'),
    ev('#!lua x\0y=1\nreturn 1'),
    ev('#!lu\0a\nreturn 1'),
    ev('#!lua flags="no-writes\\x00x"\nreturn 1'),
    ev('#!lua flags="x\\x00y"\nreturn 1'),
    ev('#!"lua\\x00x"\nreturn 1'),
    ev('#!lua "flags\\x00=no-writes"\nreturn 1'),
    ev('#!lua flags="unbalanced\nreturn 1'),
    ev("return 'a\0"),
    ev('return x\0y'),
    ev("return redis.call('nosuch\0x')"),
    fn('#!lua name=a\0b'),
    fn('#!lua name=ab x\0y=1'),
    fn('#!lu\0a name=ab'),
    fn('#!lua name=ab', "return 'a\0"),
    fn('#!lua name=ab', "error('x\0y')"),
    fn('#!lua name=ab', "redis.register_function{function_name='f', callback=function() return 1 end, flags={'x\0y'}}"),
    ['FUNCTION', 'LIST', 'a\0b'],
    ['FUNCTION', 'LOAD', 'x\0y', "#!lua name=ab\nredis.register_function('f', function() return 1 end)"],
  ]);
});

test('DEBUG SET-DISABLE-DENY-SCRIPTS lets scripts run noscript commands', async () => {
  await d!.reset();
  await d!.same([
    ev("return redis.pcall('debug', 'protocol', 'true')"),
    ['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1'],
    ev("return redis.pcall('debug', 'protocol', 'true')"),
    ev("return redis.pcall('client', 'setname', 'from_script')"),
    ['DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0'],
    ev("return redis.pcall('debug', 'protocol', 'true')"),
  ]);
});

test('SORT BY a constant sorts a set when a script asks, as with STORE; DEBUG OBJECT sees an expired key', async () => {
  await d!.reset();
  const members = [
    'a',
    'b',
    'c',
    'd',
    'e',
    'f',
    'g',
    'h',
    'i',
    'l',
    'm',
    'n',
    'o',
    'p',
    'q',
    'r',
    's',
    't',
    'u',
    'v',
    'z',
    'aa',
    'aaa',
    'azz',
  ];
  await d!.same([
    ['SADD', 'myset', ...members],
    ev("return redis.call('sort', KEYS[1], 'by', '_')", '1', 'myset'),
    ev("return redis.call('sort', KEYS[1], 'by', '_', 'limit', 2, 5)", '1', 'myset'),
    ev("return redis.call('sort', KEYS[1], 'by', '_', 'desc')", '1', 'myset'),
    ['RPUSH', 'mylist', 'z', 'b', 'a'],
    ev("return redis.call('sort', KEYS[1], 'by', '_')", '1', 'mylist'),
  ]);
  await d!.same([['SORT', 'myset', 'BY', '_']], 'sorted');
  await d!.both(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
  try {
    await d!.same([['SET', 'key', 'value', 'PX', '1']]);
    await new Promise((r) => setTimeout(r, 5));
    await d!.same([['DEBUG', 'OBJECT', 'key']], 'shape');
    await d!.same([
      ev("return redis.call('EXISTS', 'key')", '1', 'key'),
      ['EXISTS', 'key'],
      ['DEBUG', 'OBJECT', 'key'],
    ]);
  } finally {
    await d!.both(['DEBUG', 'SET-ACTIVE-EXPIRE', '1']);
  }
});

test('TIME stands still while a script runs (Redis 7.2 caches the time when the script starts; pinned)', async () => {
  const srv = await startTsdis({ config: { 'enable-debug-command': 'yes' } });
  try {
    await srv.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1');
    const r = await srv.call(
      'EVAL',
      "local a = redis.call('TIME') redis.call('DEBUG', 'SLEEP', 0.01) local b = redis.call('TIME') return {a, b}",
      '0',
    );
    assert.ok(Array.isArray(r), String(r));
    assert.deepEqual(r[0], r[1]);
    const f = await srv.call(
      'FUNCTION',
      'LOAD',
      "#!lua name=t\nredis.register_function('t', function() local a = redis.call('TIME') redis.call('DEBUG', 'SLEEP', 0.01) return {a, redis.call('TIME')} end)",
    );
    assert.equal(f, 't');
    const g = await srv.call('FCALL', 't', '0');
    assert.ok(Array.isArray(g));
    assert.deepEqual(g[0], g[1]);
    // outside a script TIME moves on
    const t1 = await srv.call('TIME');
    await new Promise((res) => setTimeout(res, 5));
    assert.notDeepEqual(await srv.call('TIME'), t1);
  } finally {
    await srv.close();
  }
});

test('TIME moves on in a busy script, each time the server serves others (Redis 7.2 processEventsWhileBlocked updates its cached time; pinned)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-time-'));
  const child = await startChild(['--save', '', '--busy-reply-threshold', '20'], dir);
  const c = await RawConn.connect(child.port);
  try {
    // (before the threshold TIME stands still: the test above; past it, it moves: this loop ends)
    const script =
      "local t = redis.call('time') local n = 0 while true do n = n + 1 local u = redis.call('time') if u[1] ~= t[1] or u[2] ~= t[2] then return 'moved' end end";
    assert.equal(await c.call('EVAL', script, '0'), '$5\r\nmoved\r\n');
  } finally {
    c.close();
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('INFO: used_memory_lua is the eval share of the Lua heap, well under 100 KB after 10,000 EVALs or function loads (pinned)', async () => {
  // its own process: the VM is one per process, and this file's other servers have scripts in it
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-luamem-'));
  const child = await startChild(['--save', ''], dir);
  const c = await RawConn.connect(child.port);
  const info = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const l of (await c.call('INFO', 'memory')).split('\r\n')) {
      const [k, v] = l.split(':');
      if (k !== undefined && v !== undefined && /lua|vm_|scripts|functions|number_of/.test(k) && !k.endsWith('human'))
        out[k] = Number(v);
    }
    return out;
  };
  // pipelined in batches, as Redis's test does with a deferring client
  const batch = async (n: number, cmds: string[][]) => {
    for (let i = 0; i < n; i += 500) {
      c.write(Buffer.concat(Array.from({ length: 500 }, () => cmds.map((a) => encode(a))).flat()));
      for (let k = 0; k < 500 * cmds.length; k++) await c.read();
    }
  };
  try {
    await c.call('SCRIPT', 'FLUSH');
    await batch(10000, [['EVAL', "return redis.call('incr', KEYS[1])", '1', 'x']]);
    let m = await info();
    assert.ok(m['used_memory_lua']! < 100 * 1024, JSON.stringify(m));
    assert.equal(m['used_memory_vm_eval'], m['used_memory_lua']);
    assert.equal(m['used_memory_vm_total'], m['used_memory_vm_eval']! + m['used_memory_vm_functions']!);
    const lib =
      "#!lua name=test\nredis.register_function('test', function(KEYS, ARGV)\n return redis.call('incr', KEYS[1]) \nend)";
    await batch(5000, [
      ['FUNCTION', 'LOAD', 'REPLACE', lib],
      ['FCALL', 'test', '1', 'x'],
    ]);
    m = await info();
    assert.ok(m['used_memory_lua']! < 100 * 1024, JSON.stringify(m));
    assert.equal(m['number_of_functions'], 1);
    assert.equal(m['number_of_libraries'], 1);
    assert.ok(m['used_memory_vm_functions']! > 0);
  } finally {
    c.close();
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The Lua debugger (SCRIPT DEBUG SYNC / YES, what redis-cli --ldb drives)
 * against a real redis-server, raw bytes compared: each debugger command's
 * reply (step, next, continue, list, whole, print, eval, redis, maxlen,
 * break, trace, help, abort, unknown commands, protocol errors),
 * redis.debug / redis.breakpoint, the timeout stop, the end of a session
 * (<endsession>, the EVAL's reply, the connection closed), SCRIPT DEBUG's
 * errors and EVALSHA refused; in YES mode what the session wrote is undone
 * (the dataset, the script cache, the AOF). tsdis runs as a child process: a debugging
 * session holds the event loop of the process it runs in (as SYNC mode
 * holds redis-server).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis, type RedisProcess } from '../helpers/servers.js';
import { startChild, type Child } from '../helpers/child.js';
import { encode } from '../helpers/resp.js';
import { until } from '../helpers/wait.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** One step of a session: a command (or raw bytes) and how much of the answer to take. */
interface Step {
  send: string[] | string;
  /** 'one': one reply (default); 'close': everything until the server closes the connection; 'none': nothing. */
  read?: 'one' | 'close' | 'none';
}

const S = (...send: string[]): Step => ({ send });
const END = (...send: string[]): Step => ({ send, read: 'close' });

let redis: RedisProcess | null = null;
let child: Child | null = null;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-ldb-'));

async function ports(): Promise<[number, number]> {
  redis ??= await startRedis(['--busy-reply-threshold', '300']);
  child ??= await startChild(['--busy-reply-threshold', '300', '--save', '', '--enable-debug-command', 'yes'], dir);
  return [child.port, redis.port];
}

after(async () => {
  await child?.kill();
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the steps on a new connection; returns each step's raw answer (addresses made uniform). */
async function transcript(port: number, steps: Step[]): Promise<string[]> {
  const c = await RawConn.connect(port);
  const out: string[] = [];
  try {
    for (const st of steps) {
      c.write(typeof st.send === 'string' ? st.send : encode(st.send));
      const how = st.read ?? 'one';
      if (how === 'one') out.push(await c.read());
      else if (how === 'close') out.push(await c.readUntilClose());
    }
  } catch (e) {
    throw new Error(`${(e as Error).message} after ${JSON.stringify(out)}`, { cause: e });
  } finally {
    c.close();
  }
  // function@0x...: the VM's addresses
  return out.map((s) => s.replace(/@0x[0-9a-f]+/g, '@0x?'));
}

/** The same session on both servers: equal transcripts (a fresh dataset first). */
async function same(steps: Step[], setup: string[][] = []): Promise<string[]> {
  const [t, r] = await ports();
  const res: string[][] = [];
  for (const p of [r, t]) {
    const c = await RawConn.connect(p);
    await c.call('FLUSHALL');
    for (const cmd of setup) await c.call(...cmd);
    c.close();
    res.push(await transcript(p, steps));
  }
  assert.deepEqual(res[1], res[0]);
  return res[0]!;
}

const SCRIPT = [
  'local a = 1',
  "local t = {1, 2, 'x', {y = true}}",
  "redis.call('set', KEYS[1], ARGV[1])",
  "local v = redis.call('get', KEYS[1])",
  "redis.debug('hello', a, t, nil, 3.5)",
  'for i = 1, 3 do',
  '  a = a + i',
  'end',
  'return v',
].join('\n');

test('SCRIPT DEBUG SYNC: step, print, eval, redis, trace, list, whole, continue to the end', { skip }, async () => {
  const out = await same([
    S('SCRIPT', 'DEBUG', 'SYNC'),
    S('EVAL', SCRIPT, '1', 'k1', 'v1'),
    S('s'),
    S('next'),
    S('p'),
    S('print', 't'),
    S('p', 'KEYS'),
    S('p', 'ARGV'),
    S('p', 'nope'),
    S('e', 'a', '+', '1'),
    S('eval', 'local z = 5'),
    S('e', 'error("boom")'),
    S('e', '1', '+'),
    S('e', '{1,2,{3}}'),
    S('r', 'incr', 'cnt'),
    S('redis', 'lpush', 'cnt', 'x'),
    S('r', 'nosuchcommand', 'x'),
    S('r', 'flushall'),
    S('r'),
    S('t'),
    S('l'),
    S('list', '2', '1'),
    S('l', '0'),
    S('l', '-3', '2'),
    S('w'),
    S('s'),
    S('s'),
    S('p'),
    END('c'),
  ]);
  assert.match(out[1]!, /Stopped at 1, stop reason = step over/);
  assert.match(out.at(-1)!, /<endsession>[\s\S]*\$2\r\nv1\r\n$/);
});

test('SCRIPT DEBUG SYNC: break points, maxlen, help, unknown commands, redis.breakpoint', { skip }, async () => {
  const script = [
    'local big = string.rep("x", 300)',
    "redis.call('set', 'big', big)",
    "redis.call('get', 'big')",
    'local n = 0',
    'for i = 1, 2 do',
    '  n = n + i',
    'end',
    'redis.breakpoint()',
    'n = n * 2',
    'return n',
  ].join('\n');
  await same([
    S('SCRIPT', 'DEBUG', 'SYNC'),
    S('EVAL', script, '0'),
    S('b'),
    S('b', '6'),
    S('break', '6'),
    S('b', '99'),
    S('b', 'x', '-1', '3'),
    S('b'),
    S('b', '-3'),
    S('b', '-3'),
    S('b', '04'),
    S('m'),
    S('maxlen', '10'),
    S('m', '0'),
    S('m', '200'),
    S('s'),
    S('s'),
    S('p', 'big'),
    S('m', '0'),
    S('p', 'big'),
    S('c'),
    S('p'),
    S('c'),
    S('b', '0'),
    S('c'),
    S('h'),
    S('nosuch'),
    S('r'),
    S('p', 'a', 'b'),
    END('c'),
  ]);
});

test(
  'SCRIPT DEBUG SYNC: abort, script errors, trace in a function, many arguments, protocol errors',
  { skip },
  async () => {
    const fn = ['local function f(x)', '  local y = x * 2', '  return y', 'end', 'local r = f(21)', 'return r'].join(
      '\n',
    );
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', fn, '0'),
      S('s'),
      S('s'),
      S('t'),
      S('p'),
      S('s'),
      S('t'),
      END('a'),
    ]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL', "redis.call('nosuch')\nreturn 1", '0'), END('s')]);
    await same(
      [
        S('SCRIPT', 'DEBUG', 'SYNC'),
        S('EVAL', "local x = redis.pcall('incr', KEYS[1])\nreturn x", '1', 'k'),
        S('s'),
        END('c'),
      ],
      [['SET', 'k', 'a']],
    );
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', 'return 1', '0'),
      S('r', ...Array.from({ length: 100 }, () => 'test')),
      END('c'),
    ]);
    // (a NUL inside an argument is fine; one before the multibulk header hides it)
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', 'return 1', '0'),
      S('hello\0world'),
      S('\0hello\0'),
      { send: '*2\r\n$1\r\np\r\n$1\r\na\r\n' },
      { send: 'garbage\r\n', read: 'close' },
    ]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL', 'return 1', '0'), { send: '*0\r\n', read: 'close' }]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL', 'return 1', '0'), { send: '*1\r\n$0\r\n\r\n', read: 'close' }]);
  },
);

test(
  'SCRIPT DEBUG SYNC: texts with a NUL end there (printf %s): source lines, break arguments, eval errors, refusals',
  { skip },
  async () => {
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', "local s = 'a\0b'\nredis.pcall('nosuch\0x')\nreturn s", '0'),
      S('l'),
      S('b', 'x\0y'),
      S('e', "error('a\0b')"),
      S('e', "'a\0b'"),
      S('r', 'set', 'k\0', 'v'),
      S('s'),
      S('p'),
      S('s'),
      END('c'),
    ]);
  },
);

test('SCRIPT DEBUG SYNC: a script running past busy-reply-threshold stops (timeout reached)', { skip }, async () => {
  const loop = ['local i = 0', 'while true do', '  i = i + 1', 'end'].join('\n');
  const out = await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL', loop, '0'), S('c'), END('a')]);
  assert.match(out[2]!, /timeout reached, infinite loop\?/);
});

test('SCRIPT DEBUG: its errors, EVALSHA refused, NO, a script without debugging afterwards', { skip }, async () => {
  await same([
    S('SCRIPT', 'DEBUG', 'maybe'),
    S('SCRIPT', 'DEBUG', 'YES'),
    S('EVALSHA', 'abc', '0'),
    S('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'),
    S('SCRIPT', 'DEBUG', 'no'),
    S('EVAL', 'return 7', '0'),
  ]);
  // in a pipeline, after replies not yet sent
  await same([
    { send: Buffer.concat([encode(['PING']), encode(['SCRIPT', 'DEBUG', 'SYNC'])]).latin1Slice(0), read: 'one' },
    { send: '', read: 'one' },
    S('EVAL', 'return 8', '0'),
  ]);
});

test('SCRIPT DEBUG SYNC: a pipelined reply owed before the EVAL follows the session', { skip }, async () => {
  await same([
    S('SCRIPT', 'DEBUG', 'SYNC'),
    { send: Buffer.concat([encode(['PING']), encode(['EVAL', 'return 1', '0'])]).latin1Slice(0) },
    END('c'),
  ]);
});

test(
  'SCRIPT DEBUG SYNC: errors before and during the run, EVAL_RO, values printed (nesting, functions, coroutines)',
  { skip },
  async () => {
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), END('EVAL', 'return +', '0')]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), END('EVAL', 'return 1', '5')]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL', "local x = 1\nerror('boom')", '0'), S('p'), S('s'), END('s')]);
    // (tsdis compiles its own error and pcall into a script that uses them: not seen here)
    const caught = [
      'local ok, err = pcall(function()',
      '  local inner = 1',
      "  error({err = 'MY x'})",
      'end)',
      'local z = err',
      'return z',
    ].join('\n');
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', caught, '0'),
      S('p'),
      S('s'),
      S('t'),
      S('p'),
      S('p', 'f'),
      S('s'),
      S('s'),
      S('p'),
      S('t'),
      S('s'),
      S('s'),
      S('p'),
      S('s'),
      END('s'),
    ]);
    await same([S('SCRIPT', 'DEBUG', 'SYNC'), S('EVAL_RO', "redis.call('set', 'x', 1)\nreturn 1", '0'), END('c')]);
    const values = [
      'local deep = {}',
      'local cur = deep',
      'for i = 1, 12 do cur.next = {i} cur = cur.next end',
      'local f = function() return 1 end',
      'local co = coroutine.create(function(a)',
      '  local inner = a + 1',
      '  coroutine.yield(inner)',
      'end)',
      'local mixed = {1, 2, x = "y", [10] = false}',
      'coroutine.resume(co, 41)',
      'return 1',
    ].join('\n');
    await same([
      S('SCRIPT', 'DEBUG', 'SYNC'),
      S('EVAL', values, '0'),
      S('b', '6'),
      S('b', '11'),
      S('c'),
      S('p'),
      S('t'),
      S('c'),
      S('p', 'deep'),
      S('p', 'f'),
      S('p', 'co'),
      S('p', 'mixed'),
      S('e', 'type(redis)'),
      S('m', '0'),
      S('e', 'KEYS'),
      END('c'),
    ]);
  },
);

test(
  'redis.breakpoint and redis.debug outside a session; functions have neither (nor replicate_commands)',
  { skip },
  async () => {
    const lib =
      "#!lua name=ldblib\nredis.register_function('f', function() return {type(redis.breakpoint), type(redis.debug), type(redis.replicate_commands), type(redis.call)} end)";
    await same([
      S(
        'EVAL',
        "redis.debug('x', 1)\nreturn {tostring(redis.breakpoint()), type(redis.debug), type(redis.replicate_commands)}",
        '0',
      ),
      S('FUNCTION', 'LOAD', 'REPLACE', lib),
      S('FCALL', 'f', '0'),
      S('FUNCTION', 'DELETE', 'ldblib'),
    ]);
  },
);

test('SCRIPT DEBUG SYNC: the client going away ends the stops; the script runs to its end', { skip }, async () => {
  const [t, r] = await ports();
  const res: string[][] = [];
  for (const p of [r, t]) {
    const c = await RawConn.connect(p);
    await c.call('DEL', 'gone');
    assert.equal(await c.call('SCRIPT', 'DEBUG', 'SYNC'), '+OK\r\n');
    await c.call('EVAL', "redis.call('incr', 'gone')\nredis.call('incr', 'gone')\nreturn 1", '0');
    c.close();
    const d = await RawConn.connect(p);
    res.push([await d.call('GET', 'gone'), await d.call('PING')]);
    d.close();
  }
  assert.deepEqual(res[1], res[0]);
  assert.deepEqual(res[0], ['$1\r\n2\r\n', '+PONG\r\n']);
});

test(
  'SCRIPT DEBUG YES: the session runs as SYNC does, and what it wrote is undone at its end (Redis runs it in a fork)',
  { skip },
  async () => {
    const script = [
      "redis.call('set', 'k1', 'changed')",
      "redis.call('del', 'k2')",
      "redis.call('lpush', 'l', 'x', 'y')",
      "redis.call('hset', 'h', 'f2', 'v2')",
      "redis.call('expire', 'k3', 100)",
      "redis.call('persist', 'k4')",
      "redis.call('incr', 'newkey')",
      "redis.call('select', 1)",
      "redis.call('set', 'd1', 'changed')",
      "redis.call('flushdb')",
      "redis.call('set', 'after', 'flush')",
      "redis.call('swapdb', 0, 1)",
      "redis.call('select', 0)",
      "redis.call('set', 'k1', 'again')",
      'return 1',
    ].join('\n');
    const setup = [
      ['SET', 'k1', 'v1'],
      ['SET', 'k2', 'v2'],
      ['RPUSH', 'l', 'a'],
      ['HSET', 'h', 'f', 'v'],
      ['SET', 'k3', 'v3'],
      ['SET', 'k4', 'v4', 'EX', '1000'],
      ['SELECT', '1'],
      ['SET', 'd1', 'v'],
      ['SET', 'd2', 'v'],
    ];
    const check: string[][] = [
      ['DBSIZE'],
      ['GET', 'k1'],
      ['GET', 'k2'],
      ['LRANGE', 'l', '0', '-1'],
      ['HGETALL', 'h'],
      ['TTL', 'k3'],
      ['TTL', 'k4'],
      ['EXISTS', 'newkey'],
      ['EXISTS', 'after'],
      ['SCRIPT', 'EXISTS', createHash('sha1').update(script).digest('hex')],
      ['SELECT', '1'],
      ['DBSIZE'],
      ['GET', 'd1'],
      ['GET', 'd2'],
      ['SELECT', '0'],
    ];
    const [t, r] = await ports();
    const res: string[][] = [];
    for (const p of [r, t]) {
      const c = await RawConn.connect(p);
      await c.call('FLUSHALL');
      await c.call('SCRIPT', 'FLUSH');
      for (const cmd of setup) await c.call(...cmd);
      c.close();
      const out = await transcript(p, [
        S('SCRIPT', 'DEBUG', 'YES'),
        S('EVAL', script, '0'),
        S('b', '15'),
        S('c'),
        END('c'),
      ]);
      // (redis-server's forked session may still be exiting: its parent never saw the writes anyway)
      const d = await RawConn.connect(p);
      for (const cmd of check) out.push(await d.call(...cmd));
      d.close();
      res.push(out);
    }
    assert.deepEqual(res[1], res[0]);
    assert.equal(res[0]![6], '$2\r\nv1\r\n');
  },
);

test('SCRIPT DEBUG YES: an undone session leaves nothing in the AOF, and hash field TTLs keep expiring (tsdis)', async () => {
  const aofDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-ldb-aof-'));
  const c2 = await startChild(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], aofDir);
  try {
    const c = await RawConn.connect(c2.port);
    await c.call('SET', 'before', '1');
    // the Lua VM loads on first use (scripting/vm-gate.ts): loaded before the 300 ms below start
    await c.call('SCRIPT', 'LOAD', 'return 1');
    await c.call('HSET', 'h', 'a', '1', 'b', '2');
    // (2 s: the debugging session below must end, and h be read, before the field expires)
    await c.call('HPEXPIRE', 'h', '2000', 'FIELDS', '1', 'a');
    c.close();
    const out = await transcript(c2.port, [
      S('SCRIPT', 'DEBUG', 'YES'),
      S(
        'EVAL',
        "redis.call('set', 'during', '1')\nredis.call('hset', 'h', 'a', 'x')\nredis.call('flushall')\nreturn 1",
        '0',
      ),
      END('c'),
    ]);
    assert.match(out[2]!, /<endsession>/);
    const d = await RawConn.connect(c2.port);
    await d.call('SET', 'after', '1');
    assert.equal(await d.call('EXISTS', 'during'), ':0\r\n');
    assert.equal(await d.call('HGETALL', 'h'), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
    // the field TTL still expires (the index was rebuilt after the session's FLUSHALL): actively
    await until('the field to expire actively (expired_subkeys:1)', async () =>
      /expired_subkeys:1\r\n/.test(await d.call('INFO', 'stats')),
    );
    assert.equal(await d.call('HGETALL', 'h'), '*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
    d.close();
    const aof = fs
      .readdirSync(path.join(aofDir, 'appendonlydir'))
      .map((f) => fs.readFileSync(path.join(aofDir, 'appendonlydir', f), 'latin1'))
      .join('');
    assert.ok(aof.includes('before') && aof.includes('after'), aof);
    assert.ok(!aof.includes('during') && !aof.includes('flushall') && !aof.includes('FLUSHALL'), aof);
  } finally {
    await c2.kill();
    fs.rmSync(aofDir, { recursive: true, force: true });
  }
});

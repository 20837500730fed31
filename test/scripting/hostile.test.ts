/**
 * Scripts that try to break the VM. Every one gets Redis's reply or an
 * error, the server keeps answering other clients, and the VM lives on:
 * a normal EVAL and a cached script run right after, without the VM
 * restarting ("exit(1)" or a restart counts as a crash).
 *
 * - Results Redis converts in peculiar ways (tables that contain
 *   themselves, metatables, functions, typed tables of the wrong types)
 *   are compared byte for byte with redis-server, in RESP2 and RESP3, from
 *   a fixed list and from a seeded generator.
 * - Resource abuse (memory, recursion, huge strings, coroutines, cjson
 *   nesting) runs on tsdis alone: redis-server has no memory limit for
 *   Lua, and some of these crash it.
 * - A VM that does die (V8's stack overflowing inside it) is replaced, and
 *   cached scripts and functions run again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { patchEngine } from '../../src/scripting/wasm-patch.js';
import { freeChunk, makeChunk, runChunk } from '../../src/scripting/lua.js';
import { ReplyError } from '../../src/protocol/errors.js';
import net from 'node:net';
import { Differ, type Cmd } from '../helpers/diff.js';
import { digest } from '../helpers/golden.js';
import { startTsdis } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

/**
 * A raw connection whose reply reader is a loop: these replies nest ~8,000
 * deep, past what the shared helpers' recursive reader can take.
 */
class DeepConn {
  private buf = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  /** The scan of the reply under way (replyEnd), kept across reads so a big reply is scanned once. */
  private scan = { pos: 0, due: 1 };
  private wake: (() => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.wake?.();
    });
  }

  static connect(port: number): Promise<DeepConn> {
    return new Promise((res, rej) => {
      const s = net.connect(port, '127.0.0.1', () => res(new DeepConn(s)));
      s.once('error', rej);
    });
  }

  /** Sends a command and returns its reply's raw bytes (latin1), within 20 s. */
  async call(...args: (string | number)[]): Promise<string> {
    this.sock.write(encode(args));
    const deadline = Date.now() + 20000;
    for (;;) {
      if (this.chunks.length !== 0) {
        this.buf = Buffer.concat([this.buf, ...this.chunks]);
        this.chunks = [];
      }
      const end = replyEnd(this.buf, this.scan);
      if (end >= 0) {
        const r = this.buf.latin1Slice(0, end);
        this.buf = this.buf.subarray(end);
        this.scan = { pos: 0, due: 1 };
        return r;
      }
      if (Date.now() > deadline) throw new Error(`no complete reply to ${JSON.stringify(args).slice(0, 100)}`);
      await new Promise<void>((res) => {
        this.wake = res;
        setTimeout(res, 50);
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * Where the first complete reply in `b` ends, or -1: one pass, counting the
 * elements still due, resumed from `scan` (the elements complete so far).
 */
function replyEnd(b: Buffer, scan: { pos: number; due: number }): number {
  let { pos, due } = scan;
  while (due > 0) {
    const cr = b.indexOf('\r\n', pos);
    if (cr < 0) break;
    const t = String.fromCharCode(b[pos]!);
    const n = Number(b.latin1Slice(pos + 1, cr));
    let next = cr + 2;
    if ((t === '$' || t === '=' || t === '!') && n >= 0) {
      next += n + 2;
      if (next > b.length) break;
    }
    pos = next;
    due--;
    if (t === '*' || t === '~' || t === '>' || t === '%') {
      if (n > 0) due += t === '%' ? 2 * n : n;
    }
  }
  scan.pos = pos;
  scan.due = due;
  return due > 0 ? -1 : pos;
}

const d = await Differ.start();
after(() => d?.stop());
const ev = (script: string): Cmd => ['EVAL', script, '0'];

test('the engine patch applies to the pinned lua-redis-wasm binary (else tsdis runs the unpatched engine, without these protections)', () => {
  const req = createRequire(import.meta.url);
  const file = path.join(path.dirname(req.resolve('lua-redis-wasm')), 'redis_lua.wasm');
  assert.notEqual(patchEngine(readFileSync(file)), null);
});

/** Results with Redis's own odd conversions (all deterministic, none crashes redis-server 7.0). */
const ODD_RESULTS = [
  // a table that contains itself: ~8,000 nested replies, then "reached lua stack limit"
  'local t = {} t[1] = t return t',
  'local t = {} t.map = t return t',
  'local t = {} t.set = t return t',
  'local t = {} t[1] = {map = t} return t',
  'local t = {} t[1] = {set = {[t] = true}} return t',
  'local k = {} k[1] = k local m = {} m.map = {[k] = 1} return m',
  'local t = {} for i = 1, 10000 do t = {t} end return t',
  'local t = {} for i = 1, 10000 do t = {map = {x = t}} end return t',
  'local t = {} for i = 1, 3000 do t = {1, t, 2} end return t',
  // metatables are never consulted (raw reads)
  'return _G',
  "return setmetatable({}, {__index = function() error('x') end})",
  "return setmetatable({1, 2}, {__index = function(t, k) return 'v' end})",
  "return setmetatable({}, {__index = {err = 'meta'}})",
  "return {setmetatable({map = {a = 1}}, {__index = function() error('y') end})}",
  'local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return {t, 1}',
  'return {string, math, cjson}',
  // values Redis replies as null
  'return function() end',
  'return coroutine.create(function() end)',
  'return {1, function() end, 2, coroutine.running(), 3}',
  "return {map = {a = print, [print] = 'b'}}",
  // typed tables with fields of the wrong type fall through, in Redis's order
  "return {double = '3.5'}",
  'return {ok = 5}',
  'return {err = 5}',
  'return {big_number = 5}',
  "return {verbatim_string = {format = 5, string = 'x'}, 7}",
  "return {verbatim_string = {format = 'txt', string = 'x'}}",
  "return {verbatim_string = {format = 'toolong', string = 'x'}, {verbatim_string = {format = 'a', string = 'y'}}}",
  "return {ok = {}, 'after'}",
  "return {err = 'x', ok = 'y'}",
  "return {ok = 'y', double = 3}",
  "return {big_number = '123\\r\\n4'}",
  "return {ok = 'a\\r\\nb'}",
  "return {ok = 'a\\0b'}",
  "return {err = 'a\\0b'}",
  "return {1, {err = 'nested'}, 3, {ok = 'fine'}}",
  'return {1, 2, nil, 4}',
  'return {true, false, {true}}',
  "return {err = setmetatable({}, {__tostring = function() return 'x' end})}",
  "local co = coroutine.create(function() return setmetatable({}, {__index = function() error('q') end}) end) local ok, v = coroutine.resume(co) return v",
  // errors, odd values and coroutines that redis-server survives
  "local co = coroutine.create(function() error('in co') end) return {coroutine.resume(co)}",
  "local co = coroutine.create(function() error({err = 'tbl'}) end) local ok, e = coroutine.resume(co) return e",
  'return coroutine.wrap(function() coroutine.yield(1) end)()',
  'return coroutine.yield(1)',
  'error(nil)',
  "error(string.rep('x', 100000))",
  'error()',
  'return redis.status_reply(5)',
  'return redis.error_reply(setmetatable({}, {}))',
  "return redis.call('PING', {})",
  "return redis.call(setmetatable({}, {__tostring = function() return 'PING' end}))",
  "return redis.call('ECHO', setmetatable({}, {__index = function() error('e') end}))",
  "redis.log(-3, 'x') return 1",
  "redis.log(4, 'x') return 1",
  "return cjson.encode(setmetatable({}, {__index = function() error('c') end}))",
  'local t = {} t[1] = t return cjson.encode(t)',
  'local t = {} t[1] = t return cmsgpack.pack(t)',
  "return cjson.decode(string.rep('[', 100000))",
  "return cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))",
  "return cmsgpack.unpack(string.rep('\\220', 100))",
  "return loadstring(string.rep('(', 1e5))",
  "return string.format('%099999999d', 1)",
  "return tostring(setmetatable({}, {__tostring = function() error('ts') end}))",
  'local function f() pcall(f) end f() return 1',
  'local function f() return pcall(f) end return f()',
  'local function f() return 1 + f() end return f()',
  'local co co = coroutine.create(function() coroutine.resume(co) end) return {coroutine.resume(co)}',
  'local function f() local co = coroutine.create(f) return coroutine.resume(co) end return f()',
  'local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return pcall(function() return t.x end)',
  'local t = {} setmetatable(t, {__index = t}) return t.x',
];

/** A random Lua expression for a result (depth-bounded), from the pieces Redis converts specially. */
function genExpr(r: () => number, depth: number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const leaf = (): string =>
    pick([
      '1',
      '-7',
      '2^53',
      '1.9',
      '-0.5',
      '2^63',
      '0/0',
      '1/0',
      "'s'",
      "'a\\r\\nb'",
      "'\\0z'",
      'true',
      'false',
      'print',
      'coroutine.running()',
      't',
      '_G',
      'string',
      '{}',
      "setmetatable({}, {__index = function() error('i') end})",
    ]);
  if (depth <= 0 || r() < 0.3) return leaf();
  const e = (): string => genExpr(r, depth - 1);
  return pick([
    () => `{${e()}, ${e()}}`,
    () => `{${e()}, ${e()}, ${e()}}`,
    () => `{err = ${e()}}`,
    () => `{ok = ${e()}}`,
    () => `{double = ${pick(['3', '-12', "'4'", '{}'])}}`,
    () => `{big_number = ${e()}}`,
    () => `{map = {k = ${e()}, [${e()}] = ${e()}}}`,
    () => `{set = {[${e()}] = true, x = 1}}`,
    () => `{verbatim_string = {format = ${pick(["'txt'", "'mkd'", '1', "'toolong'"])}, string = ${e()}}}`,
    () => `setmetatable({${e()}}, {__index = function() error('m') end})`,
    () => `{${e()}, nil, ${e()}}`,
  ])();
}

/** Sends `cmd` on `c` and a PING on `other` at once: PING must answer (PONG, or BUSY while the script runs on). */
async function withPing(c: DeepConn, other: DeepConn, cmd: Cmd): Promise<string> {
  const [r, p] = await Promise.all([c.call(...cmd.map(String)), other.call('PING')]);
  assert.match(p, /^(\+PONG|-BUSY .*)\r\n$/, `PING during ${JSON.stringify(cmd[1]).slice(0, 80)}`);
  return r;
}

/** Runs each script on tsdis and redis-server (RESP `proto`) and asserts byte-equal replies. */
async function sameAsRedis(scripts: string[], proto: string): Promise<void> {
  /** Each script's raw reply on the server at `port`. */
  const replies = async (port: number): Promise<string[]> => {
    const c = await DeepConn.connect(port);
    try {
      await c.call('FLUSHALL');
      await c.call('HELLO', proto);
      const out: string[] = [];
      for (const s of scripts) out.push(digest(await c.call('EVAL', s, '0')));
      return out;
    } finally {
      c.close();
    }
  };
  // (redis-server's replies are recorded in the golden file, long ones as digests, and replayed without it)
  const [xs, ys] = [await replies(d.tsdis.port), await d.onReferencePort(replies)];
  scripts.forEach((s, i) => {
    const [x, y] = [xs[i]!, ys[i]!];
    if (x !== y)
      assert.fail(
        `RESP${proto} ${s}\n tsdis: ${JSON.stringify(x.slice(0, 300))} (${x.length} bytes)\n redis: ${JSON.stringify(y.slice(0, 300))} (${y.length} bytes)`,
      );
  });
}

test('odd results, errors and coroutines: the reply redis-server gives, byte for byte, in RESP2 and RESP3', async () => {
  for (const proto of ['2', '3']) await sameAsRedis(ODD_RESULTS, proto);
});

test('fuzz: 300 generated results (seeded) convert as redis-server converts them, in RESP2 and RESP3', async () => {
  const r = rng(13);
  const scripts: string[] = [];
  for (let i = 0; i < 300; i++) scripts.push(`local t = {1, 'x'} t[3] = t return ${genExpr(r, 4)}`);
  for (const proto of ['2', '3']) await sameAsRedis(scripts, proto);
});

/** Scripts that exhaust resources: each gets an error or a reply, and the VM is not restarted. */
const ABUSE = [
  "return #string.rep('x', 30e6)",
  "return string.rep('x', 1e9)",
  "return string.rep('ab', 2^30)",
  "return ('x'):rep(1e8):len()",
  "local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 1000) .. i end",
  'local t = {} for i = 1, 1e7 do t[i] = {} end',
  'local t = {} for i = 1, 3e6 do t[i] = i end return t',
  "local s = 'x' while true do s = s .. s end",
  "local t = {} for i = 1, 20 do t[i] = string.rep('y', 1e6) .. i end return #t",
  "return table.concat({}, ',', 1, 1e9)",
  'return unpack({}, 1, 1e8)',
  "return select('#', unpack({}, 1, 1e6))",
  "return loadstring('return ' .. string.rep('{', 1e4) .. string.rep('}', 1e4))",
  "local t = {} for i = 1, 1e6 do t[i] = 'v' .. i end return t",
  "local t = {} for i = 1, 2e5 do t[i] = {i, 'v' .. i, {map = {k = i}}} end return t",
  'local cos = {} for i = 1, 1e6 do cos[i] = coroutine.create(function() coroutine.yield() end) coroutine.resume(cos[i]) end return #cos',
  "local function f(n) if n == 0 then return string.rep('z', 1e6) end local co = coroutine.wrap(f) return co(n - 1) end return #f(150)",
  "cjson.decode_max_depth(5000) return #cjson.decode(string.rep('[', 3000) .. string.rep(']', 3000))",
  'cjson.encode_max_depth(5000) local t = {} for i = 1, 3000 do t = {t} end return #cjson.encode(t)',
  'setmetatable(_G, nil) return 1',
  "getmetatable('').__index = nil return 1",
  "error(setmetatable({}, {__tostring = function() error('x') end}))",
  'error(function() end)',
  'error({err = {}})',
  "error({err = setmetatable({}, {__index = function() error('y') end})})",
  "error(setmetatable({}, {__index = function() error('z') end}))",
  "local u = newproxy and newproxy(true) if u then getmetatable(u).__gc = function() error('gc') end end u = nil collectgarbage() return 1",
  'redis.setresp(3) local t = {} t[1] = t return t',
];

for (const jslua of [true, false]) {
  test(`resource abuse (${jslua ? 'jslua' : 'the WebAssembly VM'}): every script gets an error or a reply, other clients are served, and the VM lives on`, async () => {
    const srv = await startTsdis();
    srv.server.debugFlags.jslua = jslua;
    const c = await DeepConn.connect(srv.port);
    const other = await DeepConn.connect(srv.port);
    try {
      const sha = (await c.call('SCRIPT', 'LOAD', "return redis.call('INCR', KEYS[1])")).split('\r\n')[1]!;
      let n = 0;
      for (const s of ABUSE) {
        const r = await withPing(c, other, ev(s));
        assert.match(r, /^[-+:$*%~_#,=(>]/, s);
        assert.doesNotMatch(r, /script VM (failed|is restarting)|exit\(|internal error/, s);
        // the VM survived: a cached script runs at once
        assert.equal(await c.call('EVALSHA', sha, '1', 'n'), `:${++n}\r\n`, `after ${s}`);
      }
      assert.equal(await c.call('EVAL', "return redis.call('ECHO', 'alive')", '0'), '$5\r\nalive\r\n');
    } finally {
      c.close();
      other.close();
      await srv.close();
    }
  });
}

test("a VM that dies anyway (V8's stack overflows inside it) is replaced: cached scripts and functions run again", async () => {
  const srv = await startTsdis();
  // the cached EVAL script runs on the VM too (jslua would run it while the VM restarts)
  srv.server.debugFlags.jslua = false;
  const c = await DeepConn.connect(srv.port);
  try {
    const sha = (await c.call('SCRIPT', 'LOAD', "return redis.call('INCR', KEYS[1])")).split('\r\n')[1]!;
    const lib = "#!lua name=lib\nredis.register_function('f', function(keys) return redis.call('INCR', keys[1]) end)";
    assert.equal(await c.call('FUNCTION', 'LOAD', lib), '$3\r\nlib\r\n');
    assert.equal(await c.call('EVALSHA', sha, '1', 'n'), ':1\r\n');
    // The server runs in this process, on this process's VM: a run started with little of V8's
    // stack left (under a deep JS recursion) overflows it inside the VM, as cjson with its nesting
    // limit raised does. From a deep recursion down until the overflow happens in the VM, not in JS.
    const chunk = makeChunk('local t = {} for i = 1, 3000 do t = {t} end return #cjson.encode(t)');
    const host = { call: () => '$-1\r\n', setResp: () => {}, log: () => {}, tick: () => false };
    const deep = (n: number): unknown => (n > 0 ? [deep(n - 1)] : runChunk(chunk, [], [], host));
    let died = '';
    for (let n = 20000; n > 0 && died === ''; n -= 250) {
      try {
        deep(n);
      } catch (e) {
        if (e instanceof ReplyError) died = e.message;
      }
    }
    // (the error reply itself may not fit what is left of the stack: then the next try finds the VM retired)
    assert.match(
      died,
      /^ERR the script VM (failed and is restarting \(Maximum call stack size exceeded\)|is restarting, try again)$/,
    );
    freeChunk(chunk);
    let x = '';
    for (let i = 0; i < 200; i++) {
      x = await c.call('EVALSHA', sha, '1', 'n');
      if (!x.includes('restarting')) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(x, ':2\r\n');
    assert.equal(await c.call('FCALL', 'f', '1', 'n'), ':3\r\n');
    assert.equal(await c.call('EVAL', 'local t = {} t[1] = t return #cjson.encode({1, 2})', '0'), ':5\r\n');
  } finally {
    c.close();
    await srv.close();
  }
});

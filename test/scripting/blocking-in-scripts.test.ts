/**
 * Redis 7.2 lets scripts call the blocking pops (7.0 refused them as
 * `noscript`): they never block there, so they pop what is there or return
 * nil at once; XREAD/XREADGROUP with BLOCK stay refused. Pinned from 7.2.4's
 * tests (unit/scripting.tcl "Scripts do not block on ..."), with what the
 * script popped propagated as plain pops. The same through FCALL.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis, RawConn } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';

let srv: TsdisServer;
let r: RawConn;
before(async () => {
  srv = await startTsdis();
  r = await RawConn.connect(srv.port);
});
after(async () => {
  r.close();
  await srv.close();
});

const ev = (script: string, ...keys: string[]) => r.call('EVAL', script, String(keys.length), ...keys);

test('blocking pops from a script do not block: nil when empty', async () => {
  for (const [script, keys] of [
    ["return redis.pcall('blpop','l',0)", ['l']],
    ["return redis.pcall('brpop','l',0)", ['l']],
    ["return redis.pcall('brpoplpush','empty_list1{t}','empty_list2{t}',0)", ['empty_list1{t}', 'empty_list2{t}']],
    [
      "return redis.pcall('blmove','empty_list1{t}','empty_list2{t}','LEFT','LEFT',0)",
      ['empty_list1{t}', 'empty_list2{t}'],
    ],
    ["return redis.pcall('bzpopmin','empty_zset',0)", ['empty_zset']],
    ["return redis.pcall('bzpopmax','empty_zset',0)", ['empty_zset']],
    ["return redis.pcall('blmpop',0,1,'l','LEFT')", ['l']],
    ["return redis.pcall('bzmpop',0,1,'empty_zset','MIN')", ['empty_zset']],
  ] as const) {
    assert.equal(await ev(script, ...keys), '$-1\r\n', script);
  }
  assert.equal(
    await ev("return redis.pcall('xread','BLOCK',0,'STREAMS','s','$')", 's'),
    '-ERR xread command is not allowed with BLOCK option from scripts\r\n',
  );
});

test('blocking pops from a script pop what is there; FCALL too', async () => {
  await r.call('RPUSH', 'l', 'a', 'b', 'c');
  assert.equal(await ev("return redis.call('blpop','l',0)", 'l'), '*2\r\n$1\r\nl\r\n$1\r\na\r\n');
  assert.equal(await ev("return redis.call('blmove','l','m','RIGHT','LEFT',0)", 'l', 'm'), '$1\r\nc\r\n');
  await r.call('ZADD', 'z', '1', 'one', '2', 'two');
  assert.equal(await ev("return redis.call('bzpopmax','z',0)", 'z'), '*3\r\n$1\r\nz\r\n$3\r\ntwo\r\n$1\r\n2\r\n');
  await r.call(
    'FUNCTION',
    'LOAD',
    "#!lua name=blk\nredis.register_function('pop', function(keys) return redis.call('brpop', keys[1], 0) end)",
  );
  assert.equal(await r.call('FCALL', 'pop', '1', 'l'), '*2\r\n$1\r\nl\r\n$1\r\nb\r\n');
  assert.equal(await r.call('FCALL', 'pop', '1', 'l'), '$-1\r\n');
  assert.equal(await r.call('LRANGE', 'm', '0', '-1'), '*1\r\n$1\r\nc\r\n');
});

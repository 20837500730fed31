/**
 * redis.set_repl and redis.acl_check_cmd (Redis 7.2's script_lua.c), the
 * steps of 7.2.4's unit/scripting.tcl: set_repl's argument checks, where a
 * script's commands propagate after it (the AOF and a real redis-server
 * replica each get only what they were meant to, the several effects
 * still wrapped in MULTI/EXEC), and acl_check_cmd answering for the
 * caller's user. Error texts are 7.2.4's (7.0's set_repl says "requires
 * two arguments"). The replication part is skipped without redis-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { caughtUp, startPrimary, startReplica } from '../replication/kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

test('redis.set_repl: one argument, REPL_NONE to REPL_ALL; anything else is an error', async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    assert.equal(
      await c.call('EVAL', 'redis.set_repl(12345)', '0'),
      '-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: 7431c0fe3f50550250988b119a542b355ff8dd4a, on @user_script:1.\r\n',
    );
    assert.equal(
      await c.call('EVAL', 'redis.set_repl()', '0'),
      '-ERR redis.set_repl() requires one argument. script: e39b47fd8e0d5dc1c7155bbafcefaf48cf163f82, on @user_script:1.\r\n',
    );
    assert.match(await c.call('EVAL', 'redis.set_repl(-1)', '0'), /^-ERR Invalid replication flags/);
    for (const f of ['REPL_NONE', 'REPL_AOF', 'REPL_SLAVE', 'REPL_REPLICA', 'REPL_ALL'])
      assert.equal(await c.call('EVAL', `redis.set_repl(redis.${f}) return 1`, '0'), ':1\r\n', f);
    // in a function too
    const lib = "#!lua name=srl\nredis.register_function('f', function() redis.set_repl(9) end)";
    assert.equal(await c.call('FUNCTION', 'LOAD', lib), '$3\r\nsrl\r\n');
    assert.match(await c.call('FCALL', 'f', '0'), /^-ERR Invalid replication flags/);
  } finally {
    c.close();
    await srv.close();
  }
});

test("redis.acl_check_cmd: the caller's user's permissions; an unknown command is an error", async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    assert.equal(await c.call('ACL', 'SETUSER', 'bob', 'on', '>123', '+@scripting', '+set', '~x*'), '+OK\r\n');
    assert.equal(await c.call('AUTH', 'bob', '123'), '+OK\r\n');
    assert.equal(await c.call('EVAL', "return redis.acl_check_cmd('set','xx',1)", '1', 'xx'), ':1\r\n');
    // denied command, denied key: false, which a script returns as nil
    assert.equal(await c.call('EVAL', "return redis.acl_check_cmd('hset','xx','f',1)", '1', 'xx'), '$-1\r\n');
    assert.equal(await c.call('EVAL', "return redis.acl_check_cmd('set','yy',1)", '0'), '$-1\r\n');
    assert.equal(
      await c.call('EVAL', "return redis.acl_check_cmd('invalid-cmd','arg')", '0'),
      '-ERR Invalid command passed to redis.acl_check_cmd() script: a12d971d2c3928485c1688dce89f9c4972f603f6, on @user_script:1.\r\n',
    );
    assert.match(
      await c.call('EVAL', 'return redis.acl_check_cmd()', '0'),
      /^-ERR Please specify at least one argument for this redis lib call script:/,
    );
    assert.match(
      await c.call('EVAL', "return redis.acl_check_cmd('get', {})", '0'),
      /^-ERR Lua redis lib command arguments must be strings or integers script:/,
    );
    // a container's subcommand by its argument, unknown ones included (as the default user)
    const d = await RawConn.connect(srv.port);
    try {
      assert.equal(await d.call('EVAL', "return redis.acl_check_cmd('config','get')", '0'), ':1\r\n');
      assert.match(await d.call('EVAL', "return redis.acl_check_cmd('config','nosuch')", '0'), /^-ERR Invalid command/);
    } finally {
      d.close();
    }
  } finally {
    c.close();
    await srv.close();
  }
});

test(
  'selective replication: REPL_NONE, REPL_AOF, REPL_ALL reach the replica and the AOF as told',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-set-repl-'));
    const srv = await startPrimary({ dir, appendonly: 'yes' });
    const p = await RawConn.connect(srv.port);
    const r = await startReplica(srv.port);
    try {
      await caughtUp(p, r.conn);
      const script = `redis.call('set','a','1')
redis.set_repl(redis.REPL_NONE)
redis.call('set','b','2')
redis.set_repl(redis.REPL_AOF)
redis.call('set','c','3')
redis.set_repl(redis.REPL_ALL)
redis.call('set','d','4')`;
      assert.equal(await p.call('EVAL', script, '4', 'a', 'b', 'c', 'd'), '$-1\r\n');
      const mget = '*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$1\r\n4\r\n';
      await until('the replica has a and d only', async () => (await r.conn.call('MGET', 'a', 'b', 'c', 'd')) === mget);
      assert.equal(await p.call('MGET', 'a', 'b', 'c', 'd'), '*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n');
      // the next run starts with REPL_ALL again
      assert.equal(await p.call('EVAL', "redis.call('set','e','5')", '1', 'e'), '$-1\r\n');
      await until('the replica has e', async () => (await r.conn.call('GET', 'e')) === '$1\r\n5\r\n');
      // after an AOF reload: a, c, d and e
      assert.equal(await p.call('DEBUG', 'LOADAOF'), '+OK\r\n');
      assert.equal(
        await p.call('MGET', 'a', 'b', 'c', 'd', 'e'),
        '*5\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n',
      );
    } finally {
      p.close();
      await r.stop();
      await srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

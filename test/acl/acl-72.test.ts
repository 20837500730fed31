/**
 * ACL behaviour where Redis 7.2 differs from the 7.0 reference installed,
 * pinned from 7.2.4's src/acl.c, multi.c, script.c and tests/unit/acl.tcl:
 * ACL LIST / GETUSER wording (the sanitize-payload flag, command rules kept
 * in the order given), the NOPERM texts, EXEC's recheck, a script's
 * "ACL failure in script" errors, DRYRUN's texts, ACL LOG's 7.2 fields
 * (entry-id, timestamp-created, timestamp-last-updated) and its grouping,
 * requirepass as the default user's password, and the clients ACL changes
 * disconnect.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { RespDecoder, type RespValue } from '../../src/protocol/decoder.js';

let now = 1_700_000_000_000;
const srv = await startTsdis({ clock: () => now });
after(() => srv.close());
const admin = await RawConn.connect(srv.port);
after(() => admin.close());

const bulk = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
const err = (s: string): string => `-${s}\r\n`;

function decode(raw: string): RespValue {
  const d = new RespDecoder();
  d.feed(raw);
  return d.next() ?? null;
}

/** ACL LOG's entries (RESP2: flat name/value arrays) as maps. */
function logOf(raw: string): Map<string, RespValue>[] {
  return (decode(raw) as RespValue[][]).map((flat) => {
    const m = new Map<string, RespValue>();
    for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), flat[i + 1]!);
    return m;
  });
}

/** A connection authenticated as `user` (nopass users take any password). */
async function as(user: string, pass = 'x'): Promise<RawConn> {
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('AUTH', user, pass), '+OK\r\n');
  return c;
}

test('ACL LIST and GETUSER: 7.2 wording, rules in the order given', async () => {
  await admin.call('ACL', 'SETUSER', 'hpuser', 'on', 'nopass', 'resetchannels', '&foo', '+@all');
  await admin.call(
    'ACL',
    'SETUSER',
    'ordered',
    '-@all',
    '+get',
    '+select|1',
    '+config|get',
    '-@string',
    '+@hash',
    '-config',
  );
  await admin.call('ACL', 'SETUSER', 'sel', 'on', '>pw', '~a*', '(+set ~s* &c)', '(%R~r* -@all +get)');
  const list = decode(await admin.call('ACL', 'LIST')) as string[];
  assert.deepEqual(list.map(String), [
    'user default on nopass sanitize-payload ~* &* +@all',
    'user hpuser on nopass sanitize-payload resetchannels &foo +@all',
    'user ordered off sanitize-payload resetchannels -@all +get +select|1 -@string +@hash -config',
    'user sel on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* resetchannels -@all (~s* resetchannels &c -@all +set) (%R~r* resetchannels -@all +get)',
  ]);
  assert.equal(
    await admin.call('ACL', 'GETUSER', 'sel'),
    '*12\r\n' +
      bulk('flags') +
      '*2\r\n' +
      bulk('on') +
      bulk('sanitize-payload') +
      bulk('passwords') +
      '*1\r\n' +
      bulk('30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4') +
      bulk('commands') +
      bulk('-@all') +
      bulk('keys') +
      bulk('~a*') +
      bulk('channels') +
      bulk('') +
      bulk('selectors') +
      '*2\r\n' +
      '*6\r\n' +
      bulk('commands') +
      bulk('-@all +set') +
      bulk('keys') +
      bulk('~s*') +
      bulk('channels') +
      bulk('&c') +
      '*6\r\n' +
      bulk('commands') +
      bulk('-@all +get') +
      bulk('keys') +
      bulk('%R~r*') +
      bulk('channels') +
      bulk(''),
  );
  await admin.call('ACL', 'DELUSER', 'hpuser', 'ordered', 'sel');
});

test('NOPERM texts: command, key, channel (7.2 names the user, not the argument)', async () => {
  await admin.call(
    'ACL',
    'SETUSER',
    'np',
    'on',
    'nopass',
    '-@all',
    '+get',
    '+publish',
    '+config|get',
    '~k*',
    'resetchannels',
    '&ch',
  );
  const c = await as('np');
  assert.equal(await c.call('SET', 'k', 'v'), err("NOPERM User np has no permissions to run the 'set' command"));
  assert.equal(
    await c.call('CONFIG', 'SET', 'maxmemory', '0'),
    err("NOPERM User np has no permissions to run the 'config|set' command"),
  );
  assert.equal(await c.call('GET', 'other'), err('NOPERM No permissions to access a key'));
  assert.equal(await c.call('PUBLISH', 'other', 'm'), err('NOPERM No permissions to access a channel'));
  assert.equal(await c.call('GET', 'k1'), '$-1\r\n');
  assert.equal(await c.call('PUBLISH', 'ch', 'm'), ':0\r\n');
  c.close();
  await admin.call('ACL', 'DELUSER', 'np');
});

test('EXEC checks queued commands again: rules changed since queueing', async () => {
  await admin.call('ACL', 'SETUSER', 'ex', 'on', 'nopass', '+@all', '~*', '&*');
  const c = await as('ex');
  assert.equal(await c.call('MULTI'), '+OK\r\n');
  assert.equal(await c.call('SET', 'exk', '1'), '+QUEUED\r\n');
  assert.equal(await c.call('GET', 'exk'), '+QUEUED\r\n');
  assert.equal(await c.call('PUBLISH', 'ch', 'x'), '+QUEUED\r\n');
  await admin.call('ACL', 'SETUSER', 'ex', '-set', 'resetkeys', '~exk', 'resetchannels');
  const reply = await c.call('EXEC');
  const prefix =
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ';
  assert.equal(
    reply,
    '*3\r\n' +
      err(prefix + 'no permission to execute the command or subcommand') +
      '$-1\r\n' +
      err(prefix + 'no permission to access one of the channels used as arguments'),
  );
  const log = logOf(await admin.call('ACL', 'LOG', '2'));
  assert.equal(String(log[0]!.get('context')), 'multi');
  assert.equal(String(log[0]!.get('reason')), 'channel');
  c.close();
  await admin.call('ACL', 'DELUSER', 'ex');
  await admin.call('ACL', 'LOG', 'RESET');
});

test('scripts: "ACL failure in script" errors, logged with context lua', async () => {
  await admin.call('ACL', 'SETUSER', 'lu', 'on', 'nopass', '-@all', '+eval', '+get', '~k*');
  const c = await as('lu');
  assert.equal(
    await c.call('EVAL', "return redis.pcall('get', 'other')", '0'),
    err('ERR ACL failure in script: No permissions to access a key'),
  );
  assert.equal(
    await c.call('EVAL', "return redis.pcall('set', 'k', 'v')", '0'),
    err("ERR ACL failure in script: User lu has no permissions to run the 'set' command"),
  );
  assert.match(
    await c.call('EVAL', "return redis.call('get', 'other')", '0'),
    /^-ERR ACL failure in script: No permissions to access a key script: [0-9a-f]{40}, on @user_script:1\.\r\n$/,
  );
  const log = logOf(await admin.call('ACL', 'LOG', '1'));
  assert.equal(String(log[0]!.get('context')), 'lua');
  assert.equal(String(log[0]!.get('object')), 'other');
  assert.equal(log[0]!.get('count'), 2);
  assert.match(String(log[0]!.get('client-info')), / cmd=eval user=lu /);
  c.close();
  await admin.call('ACL', 'DELUSER', 'lu');
  await admin.call('ACL', 'LOG', 'RESET');
});

test('DRYRUN names the user and the key or channel', async () => {
  await admin.call('ACL', 'SETUSER', 'dr', 'on', 'nopass', '+get', '+publish', '~k*', 'resetchannels');
  assert.equal(await admin.call('ACL', 'DRYRUN', 'dr', 'GET', 'k1'), '+OK\r\n');
  assert.equal(
    await admin.call('ACL', 'DRYRUN', 'dr', 'SET', 'k1', 'v'),
    bulk("User dr has no permissions to run the 'set' command"),
  );
  assert.equal(
    await admin.call('ACL', 'DRYRUN', 'dr', 'GET', 'other'),
    bulk("User dr has no permissions to access the 'other' key"),
  );
  assert.equal(
    await admin.call('ACL', 'DRYRUN', 'dr', 'PUBLISH', 'chan', 'm'),
    bulk("User dr has no permissions to access the 'chan' channel"),
  );
  // DRYRUN logs nothing
  assert.equal(await admin.call('ACL', 'LOG'), '*0\r\n');
  await admin.call('ACL', 'DELUSER', 'dr');
});

test('ACL LOG: 7.2 fields, grouping within 60 s, new entries after, acllog-max-len', async () => {
  await admin.call('ACL', 'LOG', 'RESET');
  await admin.call('ACL', 'SETUSER', 'lg', 'on', '>pw', '-@all', '+get', '~k*');
  const c = await as('lg', 'pw');
  const t0 = now;
  await c.call('SET', 'k', 'v');
  now += 1000;
  await c.call('SET', 'k', 'v');
  let log = logOf(await admin.call('ACL', 'LOG'));
  assert.equal(log.length, 1);
  const e = log[0]!;
  assert.deepEqual([...e.keys()].map(String), [
    'count',
    'reason',
    'context',
    'object',
    'username',
    'age-seconds',
    'client-info',
    'entry-id',
    'timestamp-created',
    'timestamp-last-updated',
  ]);
  assert.equal(e.get('count'), 2);
  assert.equal(String(e.get('reason')), 'command');
  assert.equal(String(e.get('context')), 'toplevel');
  assert.equal(String(e.get('object')), 'set');
  assert.equal(String(e.get('username')), 'lg');
  assert.equal(e.get('timestamp-created'), t0);
  assert.equal(e.get('timestamp-last-updated'), t0 + 1000);
  const firstId = e.get('entry-id') as number;
  // past 60 s: a new entry, with the next id
  now += 61_000;
  await c.call('SET', 'k', 'v');
  // a failed AUTH: reason auth, object AUTH, the name given
  await c.call('AUTH', 'nobody', 'x');
  log = logOf(await admin.call('ACL', 'LOG'));
  assert.equal(log.length, 3);
  assert.equal(String(log[0]!.get('reason')), 'auth');
  assert.equal(String(log[0]!.get('object')), 'AUTH');
  assert.equal(String(log[0]!.get('username')), 'nobody');
  assert.equal(log[1]!.get('entry-id'), firstId + 1);
  assert.equal(log[1]!.get('count'), 1);
  assert.equal(await admin.call('ACL', 'LOG', '1').then((r) => (decode(r) as unknown[]).length), 1);
  assert.equal(await admin.call('ACL', 'LOG', '-5'), '*0\r\n');
  await admin.call('CONFIG', 'SET', 'acllog-max-len', '2');
  assert.equal((decode(await admin.call('ACL', 'LOG')) as unknown[]).length, 2);
  await admin.call('CONFIG', 'SET', 'acllog-max-len', '128');
  assert.equal(await admin.call('ACL', 'LOG', 'RESET'), '+OK\r\n');
  assert.equal(await admin.call('ACL', 'LOG'), '*0\r\n');
  const stats = await admin.call('INFO', 'stats');
  assert.match(stats, /acl_access_denied_auth:[1-9]/);
  assert.match(stats, /acl_access_denied_cmd:[1-9]/);
  c.close();
  await admin.call('ACL', 'DELUSER', 'lg');
});

test('requirepass is the default user password; CONFIG SET requirepass updates it', async () => {
  await admin.call('CONFIG', 'SET', 'requirepass', 'sekret');
  const list = decode(await admin.call('ACL', 'LIST')) as string[];
  const hash = createHash('sha256').update('sekret').digest('hex');
  assert.equal(String(list[0]), `user default on sanitize-payload #${hash} ~* &* +@all`);
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('GET', 'x'), err('NOAUTH Authentication required.'));
  assert.equal(await c.call('AUTH', 'wrong'), err('WRONGPASS invalid username-password pair or user is disabled.'));
  assert.equal(await c.call('AUTH', 'sekret'), '+OK\r\n');
  assert.equal(await c.call('ACL', 'WHOAMI'), bulk('default'));
  await admin.call('CONFIG', 'SET', 'requirepass', '');
  assert.equal(
    String((decode(await admin.call('ACL', 'LIST')) as string[])[0]),
    'user default on nopass sanitize-payload ~* &* +@all',
  );
  const c2 = await RawConn.connect(srv.port);
  assert.equal(
    await c2.call('AUTH', 'x'),
    err(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    ),
  );
  c.close();
  c2.close();
  await admin.call('ACL', 'LOG', 'RESET');
});

test('CLIENT LIST user=, CLIENT KILL USER, DELUSER disconnects, revoked channels disconnect subscribers', async () => {
  await admin.call('ACL', 'SETUSER', 'kk', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&news');
  const a = await as('kk');
  assert.match(await a.call('CLIENT', 'INFO'), / user=kk /);
  const b = await as('kk');
  assert.equal(await admin.call('CLIENT', 'KILL', 'USER', 'kk'), ':2\r\n');
  await a.readUntilClose();
  await b.readUntilClose();
  // DELUSER: its clients go
  const d = await as('kk');
  assert.equal(await admin.call('ACL', 'DELUSER', 'kk'), ':1\r\n');
  await d.readUntilClose();
  assert.equal(d.closed, true);
  // a subscriber whose channel is revoked is closed; one whose channel stays is not
  await admin.call('ACL', 'SETUSER', 'ps', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&news', '&sport');
  const s1 = await as('ps');
  await s1.call('SUBSCRIBE', 'news');
  const s2 = await as('ps');
  await s2.call('SUBSCRIBE', 'sport');
  await admin.call('ACL', 'SETUSER', 'ps', 'resetchannels', '&sport');
  await s1.readUntilClose();
  assert.equal(s1.closed, true);
  assert.equal(await s2.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
  s2.close();
  await admin.call('ACL', 'DELUSER', 'ps');
  await admin.call('ACL', 'LOG', 'RESET');
});

test('a blocked command is checked again when served', async () => {
  await admin.call('ACL', 'SETUSER', 'bl', 'on', 'nopass', '+@all', 'allkeys');
  const c = await as('bl');
  c.write('*3\r\n$5\r\nBLPOP\r\n$5\r\nlist1\r\n$1\r\n0\r\n');
  await new Promise((r) => setTimeout(r, 50));
  await admin.call('ACL', 'SETUSER', 'bl', 'resetkeys');
  await admin.call('LPUSH', 'list1', 'foo');
  assert.equal(await c.read(), err('NOPERM No permissions to access a key'));
  assert.equal(await admin.call('LLEN', 'list1'), ':1\r\n');
  c.close();
  await admin.call('DEL', 'list1');
  await admin.call('ACL', 'DELUSER', 'bl');
  await admin.call('ACL', 'LOG', 'RESET');
});

test('selectors: a command runs when any selector allows it', async () => {
  await admin.call('ACL', 'SETUSER', 'se', 'on', 'nopass', '-@all', '+get', '~a*', '(+set ~b*)');
  const c = await as('se');
  assert.equal(await c.call('GET', 'a1'), '$-1\r\n');
  assert.equal(await c.call('SET', 'b1', 'v'), '+OK\r\n');
  assert.equal(await c.call('GET', 'b1'), err('NOPERM No permissions to access a key'));
  assert.equal(await c.call('SET', 'a1', 'v'), err('NOPERM No permissions to access a key'));
  assert.equal(await c.call('DEL', 'b1'), err("NOPERM User se has no permissions to run the 'del' command"));
  c.close();
  await admin.call('DEL', 'b1');
  await admin.call('ACL', 'DELUSER', 'se');
  await admin.call('ACL', 'LOG', 'RESET');
});

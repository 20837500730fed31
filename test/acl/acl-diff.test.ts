/**
 * ACL against a real redis-server, byte for byte where Redis 7.0 (the
 * reference installed) and 7.2 agree: every SETUSER rule form and its
 * errors, AUTH and HELLO AUTH (WRONGPASS, disabled users, nopass, hashes),
 * WHOAMI, USERS, DELUSER, CAT, GENPASS's shape, GETUSER's keys/channels and
 * passwords, which commands, keys and channels a user may reach (the
 * NOPERM or not, compared by error code: 7.2 words the texts anew, see
 * acl-72.test.ts), and CLIENT KILL USER.
 */
import { test, after } from 'node:test';
import { Differ, normalize, type Cmd } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());

/** Error replies by their code only (NOPERM, WRONGPASS, ERR...), everything else exact. */
const codeOnly = (raw: string): string =>
  raw.startsWith('-') ? raw.slice(0, raw.search(/[ \r]/)) : raw.startsWith('%') ? 'HELLO map' : raw;

/**
 * A reply as Redis 7.0 would word it: 7.2 adds the `sanitize-payload` flag
 * to every user (GETUSER's flags, ACL LIST), which 7.0 shows only when set
 * explicitly (pinned in acl-72.test.ts).
 */
const as70 = (raw: string): string =>
  JSON.stringify(normalize(raw, false))
    .replace(/,"sanitize-payload"/g, '')
    .replace(/ sanitize-payload/g, '');

/** Runs the commands on both servers through a view. */
async function sameVia(view: (raw: string) => string, cmds: Cmd[]): Promise<void> {
  for (const c of cmds) {
    const [a, b] = await d.bothView(view, c);
    if (a !== b) throw new Error(`${c.join(' ')}: tsdis ${a} redis ${b}`);
  }
}

/** Runs the commands on both servers, comparing errors by code. */
async function sameCodes(cmds: Cmd[]): Promise<void> {
  for (const c of cmds) {
    const [a, b] = await d.bothView(codeOnly, c);
    if (a !== b) throw new Error(`${c.join(' ')}: tsdis ${a} redis ${b}`);
  }
}

test('SETUSER: every rule form is accepted or refused with the same error', async () => {
  const rules: string[][] = [
    ['on', 'off', 'nopass', 'resetpass', '>pw', '<pw'],
    ['>a', '>b', '<a', '<nosuch'],
    ['#' + 'a'.repeat(64), '!' + 'a'.repeat(64)],
    ['#' + 'A'.repeat(64)],
    ['#abc'],
    ['!' + 'b'.repeat(64)],
    ['+get', '-get', '+@string', '-@string', '+@all', '-@all', 'allcommands', 'nocommands'],
    ['+nosuchcommand'],
    ['-nosuchcommand'],
    ['+@nosuchcategory'],
    ['-@nosuchcategory'],
    ['+config|get', '-config|set', '+select|0', '+debug|object'],
    ['+config|nosuch'],
    ['+config|get|x'],
    ['-select|0'],
    ['+get|'],
    ['~k*', '%R~r*', '%W~w*', '%RW~x*', '%WR~y*', 'resetkeys', 'allkeys'],
    ['allkeys', '~more'],
    ['~*', '%R~x'],
    ['%X~k'],
    ['%R'],
    ['&ch*', 'resetchannels', 'allchannels'],
    ['allchannels', '&more'],
    ['&*', '&x'],
    ['reset'],
    ['(+get ~k*)', 'clearselectors'],
    ['(+get', '~k*)'],
    ['(+get ~k*'],
    ['(+nosuch)'],
    ['nosuchrule'],
    ['~a b'],
    ['skip-sanitize-payload', 'sanitize-payload'],
    [''],
  ];
  const cmds: Cmd[] = [];
  for (const r of rules) cmds.push(['ACL', 'SETUSER', 'rules-user', ...r]);
  cmds.push(['ACL', 'SETUSER', 'has space']);
  cmds.push(['ACL', 'SETUSER', 'nul\0name']);
  cmds.push(['ACL', 'DELUSER', 'rules-user']);
  await d.same(cmds);
});

test('SETUSER: a failing rule changes nothing', async () => {
  await d.same([
    ['ACL', 'SETUSER', 'atomic', 'on', '>pw', '~k*', '+get'],
    ['ACL', 'SETUSER', 'atomic', 'off', 'resetpass', '+nosuch'],
  ]);
  await sameVia(as70, [['ACL', 'GETUSER', 'atomic']]);
  await d.same([
    ['AUTH', 'atomic', 'pw'],
    ['GET', 'k1'],
    ['AUTH', 'default', 'x'],
    ['ACL', 'DELUSER', 'atomic'],
  ]);
  await d.reconnect();
});

test('GETUSER and LIST: flags, passwords, keys, channels; command rules where 7.0 and 7.2 word them alike', async () => {
  await d.same([
    ['ACL', 'SETUSER', 'g1', '>p1', '#' + 'c'.repeat(64), '%R~r*', '%W~w*', '~x*', '&a', '&b*', '+@all', '-get'],
    ['ACL', 'SETUSER', 'g2', 'on', 'nopass', 'skip-sanitize-payload', '~*', '&*', '-@all', '+config|get'],
    ['ACL', 'SETUSER', 'g3', 'on', 'allkeys', '%R~more', '-@all'],
    ['ACL', 'GETUSER', 'nosuchuser'],
  ]);
  await sameVia(as70, [
    ['ACL', 'GETUSER', 'g1'],
    ['ACL', 'GETUSER', 'g2'],
    ['ACL', 'GETUSER', 'g3'],
    ['ACL', 'GETUSER', 'default'],
    ['ACL', 'LIST'],
  ]);
  await d.same([['ACL', 'DELUSER', 'g1', 'g2', 'g3', 'nosuch']]);
});

test('AUTH and HELLO AUTH: right, wrong, disabled, nopass, unknown user; WHOAMI', async () => {
  await d.same([
    ['ACL', 'SETUSER', 'alice', 'on', '>secret', '+@all', '~*'],
    ['ACL', 'SETUSER', 'bob', 'off', '>secret', '+@all', '~*'],
    ['ACL', 'SETUSER', 'carol', 'on', 'nopass', '+acl', '~*'],
    ['AUTH', 'secret'],
    ['AUTH', 'alice', 'wrong'],
    ['AUTH', 'bob', 'secret'],
    ['AUTH', 'nobody', 'x'],
    ['AUTH', 'a', 'b', 'c'],
    ['HELLO', '2', 'AUTH', 'alice', 'wrong'],
    ['ACL', 'WHOAMI'],
    ['AUTH', 'alice', 'secret'],
    ['ACL', 'WHOAMI'],
  ]);
  // HELLO's reply names the server's version: compared without it
  await sameVia(
    (raw) => raw.replace(/\$5\r\n7\.2\.4|\$6\r\n7\.0\.15/, 'VERSION').replace(/:\d+\r\n\$4\r\nmode/, ':ID mode'),
    [['HELLO', '2', 'AUTH', 'carol', 'anything', 'SETNAME', 'cc']],
  );
  await d.same([['ACL', 'WHOAMI']]);
  await sameCodes([['CLIENT', 'GETNAME']]);
  await d.same([
    ['AUTH', 'default', 'whatever'],
    ['ACL', 'WHOAMI'],
    ['ACL', 'DELUSER', 'bob'],
  ]);
  await d.reconnect();
});

test('USERS, DELUSER (default cannot go), CAT and its errors, GENPASS, HELP', async () => {
  await d.same([
    ['ACL', 'SETUSER', 'zed'],
    ['ACL', 'SETUSER', 'amy'],
    ['ACL', 'USERS'],
    ['ACL', 'DELUSER', 'default'],
    ['ACL', 'DELUSER', 'zed', 'default'],
    ['ACL', 'USERS'],
    ['ACL', 'DELUSER', 'zed', 'amy', 'nobody'],
    ['ACL', 'USERS'],
    ['ACL', 'CAT'],
    ['ACL', 'CAT', 'nosuch'],
    ['ACL', 'CAT', 'a', 'b'],
    ['ACL', 'GENPASS', '0'],
    ['ACL', 'GENPASS', '4097'],
    ['ACL', 'GENPASS', 'x'],
    ['ACL', 'GENPASS', '1', '2'],
    ['ACL', 'HELP'],
    ['ACL', 'NOSUCH'],
    ['ACL'],
    ['ACL', 'WHOAMI', 'x'],
    ['ACL', 'LOAD'],
    ['ACL', 'SAVE'],
    ['ACL', 'LOG', 'x'],
    ['ACL', 'LOG', '1', '2'],
  ]);
  // the categories whose commands tsdis has exactly as 7.0 (others list commands tsdis lacks
  // (replication, cluster) or 7.2+ adds (hash field expiry, CLIENT SETINFO))
  const cats = ['keyspace', 'set', 'sortedset', 'list', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream'];
  for (const cat of [...cats, 'pubsub', 'blocking', 'transaction', 'scripting']) {
    await d.same([['ACL', 'CAT', cat]], 'sorted');
  }
  for (const bits of ['1', '5', '128', '4096']) {
    const [a, b] = await d.bothView((raw) => raw.length, ['ACL', 'GENPASS', bits]);
    if (a !== b) throw new Error(`GENPASS ${bits}: ${a} vs ${b}`);
  }
});

test('commands: +cmd, -cmd, categories, subcommands, first arguments', async () => {
  await d.same([
    [
      'ACL',
      'SETUSER',
      'cu',
      'on',
      'nopass',
      'allkeys',
      'allchannels',
      '-@all',
      '+@string',
      '-get',
      '+config|get',
      '+select|0',
      '+client',
    ],
    ['ACL', 'SETUSER', 'cu2', 'on', 'nopass', 'allkeys', '+@all', '-@dangerous', '-client|kill', '+debug'],
  ]);
  await sameCodes([
    ['AUTH', 'cu', 'x'],
    ['SET', 'k', 'v'],
    ['GET', 'k'],
    ['MGET', 'k'],
    ['LPUSH', 'l', 'x'],
    ['CONFIG', 'GET', 'maxmemory'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
    ['SELECT', '0'],
    ['SELECT', '1'],
    ['CLIENT', 'GETNAME'],
    ['PING'],
    ['AUTH', 'cu2', 'x'],
    ['KEYS', '*'],
    ['FLUSHALL'],
    ['CLIENT', 'KILL', 'ID', '999999'],
    ['CLIENT', 'LIST', 'ID', '1'],
    ['DEBUG', 'SLEEP', '0'],
    ['GET', 'k'],
    ['AUTH', 'default', 'x'],
  ]);
  await d.same([['ACL', 'DELUSER', 'cu', 'cu2']]);
  await d.reconnect();
});

test('keys: ~, %R~, %W~, %RW~ by each key read/write flags; selectors', async () => {
  await d.same([
    ['FLUSHALL'],
    ['ACL', 'SETUSER', 'ku', 'on', 'nopass', '+@all', '%R~r*', '%W~w*', '~x*', '(~s* +get)'],
  ]);
  await sameCodes([
    ['AUTH', 'ku', 'x'],
    ['GET', 'r1'],
    ['SET', 'r1', 'v'],
    ['SET', 'w1', 'v'],
    ['GET', 'w1'],
    ['SET', 'x1', 'v'],
    ['GET', 'x1'],
    ['COPY', 'x1', 'w2'],
    ['COPY', 'x1', 'r2'],
    ['COPY', 'r1', 'x2'],
    ['LMOVE', 'r1', 'w1', 'LEFT', 'LEFT'],
    ['EXISTS', 'w1'],
    ['STRLEN', 'w1'],
    ['MSET', 'x1', 'a', 'w2', 'b'],
    ['MSET', 'x1', 'a', 'r2', 'b'],
    ['GET', 's1'],
    ['SET', 's1', 'v'],
    ['DEL', 'w3'],
    ['DEL', 'r3'],
    ['EVAL', 'return 1', '1', 'zz'],
    ['AUTH', 'default', 'x'],
  ]);
  await d.same([['ACL', 'DELUSER', 'ku'], ['FLUSHALL']]);
  await d.reconnect();
});

test('channels: PUBLISH, SUBSCRIBE, PSUBSCRIBE (patterns match literally), SPUBLISH', async () => {
  await d.same([['ACL', 'SETUSER', 'pu', 'on', 'nopass', '+@all', 'allkeys', 'resetchannels', '&news.*', '&exact']]);
  await sameCodes([
    ['AUTH', 'pu', 'x'],
    ['PUBLISH', 'news.a', 'm'],
    ['PUBLISH', 'other', 'm'],
    ['SPUBLISH', 'exact', 'm'],
    ['SPUBLISH', 'exactly', 'm'],
    ['PUBSUB', 'NUMSUB', 'other'],
    ['AUTH', 'default', 'x'],
  ]);
  // subscriptions in RESP3 (replies are pushes; a refusal is an error)
  await sameCodes([
    ['HELLO', '3', 'AUTH', 'pu', 'x'],
    ['SUBSCRIBE', 'other'],
    ['PSUBSCRIBE', 'news.x*'],
    ['PSUBSCRIBE', 'news.*'],
    ['SUBSCRIBE', 'news.b', 'exact'],
    ['SUBSCRIBE', 'exact', 'other'],
  ]);
  await d.reconnect();
  await d.same([['ACL', 'DELUSER', 'pu']]);
});

test('MULTI: a denied command is refused at queue time and EXEC aborts', async () => {
  await d.same([['ACL', 'SETUSER', 'mu', 'on', 'nopass', '-@all', '+multi', '+exec', '+set', '~k*']]);
  await sameCodes([
    ['AUTH', 'mu', 'x'],
    ['MULTI'],
    ['SET', 'k1', 'v'],
    ['GET', 'k1'],
    ['SET', 'other', 'v'],
    ['EXEC'],
    ['AUTH', 'default', 'x'],
  ]);
  await d.same([['ACL', 'DELUSER', 'mu'], ['FLUSHALL']]);
  await d.reconnect();
});

test('DRYRUN: errors for unknown users and commands, arity, OK', async () => {
  await d.same([
    ['ACL', 'SETUSER', 'dr', 'on', 'nopass', '+get', '~k*'],
    ['ACL', 'DRYRUN', 'nobody', 'GET', 'k'],
    ['ACL', 'DRYRUN', 'dr', 'nosuch', 'k'],
    ['ACL', 'DRYRUN', 'dr', 'GET'],
    ['ACL', 'DRYRUN', 'dr', 'GET', 'k1'],
    ['ACL', 'DELUSER', 'dr'],
  ]);
});

test('CLIENT KILL USER: unknown user, and the clients of a user', async () => {
  await d.same([
    ['CLIENT', 'KILL', 'USER', 'nobody'],
    ['ACL', 'SETUSER', 'ku2', 'on', 'nopass', '+@all'],
    ['CLIENT', 'KILL', 'USER', 'ku2'],
    ['CLIENT', 'KILL', 'USER', 'default', 'SKIPME', 'yes'],
    ['ACL', 'DELUSER', 'ku2'],
  ]);
});

/**
 * Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { is } from './args.js';
import { REDIS_VERSION } from '../version.js';

/** AUTH [username] password */
function auth(ctx: Ctx): void {
  const { argv } = ctx;
  const acl = ctx.server.acl;
  if (argv.length > 3) throw new ReplyError(Err.syntax);
  // the old one-argument form with no password set is an error, as Redis keeps it
  if (argv.length === 2 && acl.defaultUser.nopass) throw new ReplyError(Err.authNotConfigured);
  const user = argv.length === 3 ? argv[1]! : 'default';
  const pass = argv[argv.length - 1]!;
  if (!acl.authenticate(ctx.client, user, pass, argv[0]!)) throw new ReplyError(Err.wrongPass);
  ctx.reply.ok();
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
function hello(ctx: Ctx): void {
  const { argv, client, reply } = ctx;
  let ver = 0;
  if (argv.length >= 2) {
    const n = parseInt64(argv[1]!);
    if (n === null || typeof n === 'bigint') throw new ReplyError(Err.helloProtocolNotInteger);
    if (n < 2 || n > 3) throw new ReplyError(Err.noProto);
    ver = n;
  }
  let authUser: string | undefined;
  let authPass: string | undefined;
  let setName: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (is(argv[i], 'AUTH') && more >= 2) {
      authUser = argv[i + 1]!;
      authPass = argv[i + 2]!;
      i += 2;
    } else if (is(argv[i], 'SETNAME') && more >= 1) {
      setName = argv[i + 1]!;
      i += 1;
    } else throw new ReplyError(Err.helloSyntax(argv[i]!));
  }
  if (authUser !== undefined && !ctx.server.acl.authenticate(client, authUser, authPass!, argv[0]!))
    throw new ReplyError(Err.wrongPass);
  if (!client.authenticated) {
    throw new ReplyError(Err.helloNoAuth);
  }
  if (setName !== undefined) validateClientName(setName);
  if (setName !== undefined) client.name = setName;
  if (ver) client.resp = ver as 2 | 3;
  reply.map(7);
  reply.bulk('server');
  reply.bulk('redis');
  reply.bulk('version');
  reply.bulk(REDIS_VERSION);
  reply.bulk('proto');
  reply.int(client.resp);
  reply.bulk('id');
  reply.int(client.id);
  reply.bulk('mode');
  reply.bulk(ctx.server.config.v['cluster-enabled'] ? 'cluster' : 'standalone');
  reply.bulk('role');
  reply.bulk('master');
  reply.bulk('modules');
  reply.array(0);
}

/** Client names cannot contain spaces, newlines or special characters. */
export function validateClientName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) {
      throw new ReplyError(Err.clientNameChars);
    }
  }
}

/** PING [message] */
function ping(ctx: Ctx): void {
  if (ctx.argv.length > 2) throw new ReplyError(Err.wrongArgs('ping'));
  if (ctx.client.resp === 2 && ctx.client.subscriptions !== 0) {
    // pub/sub mode in RESP2: a two-element array, as a message would be
    ctx.reply.array(2);
    ctx.reply.bulk('pong');
    ctx.reply.bulk(ctx.argv.length === 2 ? ctx.argv[1]! : '');
    return;
  }
  if (ctx.argv.length === 1) ctx.reply.simple('PONG');
  else ctx.reply.bulk(ctx.argv[1]!);
}

/** ECHO message */
function echo(ctx: Ctx): void {
  ctx.reply.bulk(ctx.argv[1]!);
}

/** QUIT: replies OK, then closes the connection once the reply is written. */
function quit(ctx: Ctx): void {
  ctx.reply.ok();
  ctx.client.closeAfterReply = true;
}

/** SELECT index */
function select(ctx: Ctx): void {
  const n = parseInt64(ctx.argv[1]!);
  if (n === null || typeof n === 'bigint') throw new ReplyError(Err.notInteger);
  if (n !== 0 && ctx.server.cluster.enabled) throw new ReplyError(Err.selectInCluster);
  const db = ctx.server.dbs[n];
  if (n < 0 || db === undefined) throw new ReplyError(Err.dbIndexOutOfRange);
  ctx.client.db = db;
  ctx.reply.ok();
}

/** RESET: back to a fresh connection's state. */
function reset(ctx: Ctx): void {
  ctx.server.conns.resetClient(ctx.client);
  ctx.reply.simple('RESET');
}

export const commands: CommandSpec[] = [
  command({
    name: 'ping',
    arity: -1,
    flags: ['fast'],
    acl: ['connection'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Checks that the server is alive: replies PONG or the given message.',
    complexity: 'O(1)',
    args: [{ name: 'message', type: 'string', flags: ['optional'] }],
    handler: ping,
  }),
  command({
    name: 'echo',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    acl: ['connection'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Replies with the given message.',
    complexity: 'O(1)',
    args: [{ name: 'message', type: 'string' }],
    handler: echo,
  }),
  command({
    name: 'quit',
    arity: -1,
    flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
    acl: ['connection'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Closes the connection after replying.',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '7.2.0',
    replacedBy: 'just closing the connection',
    handler: quit,
  }),
  command({
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    acl: ['connection'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Switches the connection to another database.',
    complexity: 'O(1)',
    args: [{ name: 'index', type: 'integer' }],
    handler: select,
  }),
  command({
    name: 'auth',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    acl: ['connection'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Authenticates the connection.',
    complexity: 'O(N) where N is the number of passwords defined for the user',
    history: [['6.0.0', 'Added ACL style (username and password).']],
    args: [
      { name: 'username', type: 'string', since: '6.0.0', flags: ['optional'] },
      { name: 'password', type: 'string' },
    ],
    handler: auth,
  }),
  command({
    name: 'hello',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    acl: ['connection'],
    group: 'connection',
    since: '6.0.0',
    summary:
      'Selects the protocol version, optionally authenticates and names the connection, and returns server facts.',
    complexity: 'O(1)',
    history: [
      [
        '6.2.0',
        "`protover` made optional; when called without arguments the command reports the current connection's context.",
      ],
    ],
    args: [
      {
        name: 'arguments',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'protover', type: 'integer' },
          {
            name: 'username_password',
            type: 'block',
            token: 'AUTH',
            flags: ['optional'],
            arguments: [
              { name: 'username', type: 'string' },
              { name: 'password', type: 'string' },
            ],
          },
          { name: 'clientname', type: 'string', token: 'SETNAME', flags: ['optional'] },
        ],
      },
    ],
    handler: hello,
  }),
  command({
    name: 'reset',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    acl: ['connection'],
    group: 'connection',
    since: '6.2.0',
    summary: 'Resets the connection to its initial state.',
    complexity: 'O(1)',
    handler: reset,
  }),
];

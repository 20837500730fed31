/**
 * CLIENT and its subcommands: ID SETNAME GETNAME SETINFO INFO LIST KILL
 * UNBLOCK PAUSE UNPAUSE NO-EVICT NO-TOUCH REPLY HELP, and the tracking ones
 * declared in tracking.ts. The CLIENT LIST / INFO lines are built in
 * src/observability/clientlist.ts.
 */
import { command, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { argInt, argRangeOr, is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { validateClientName } from './connection.js';
import { clientInfoLine, clientType, parseClientType, type ClientType } from '../observability/clientlist.js';
import type { Client } from '../server/client.js';
import type { User } from '../acl/user.js';
import { PAUSE_ALL, PAUSE_WRITE } from '../server/pause.js';
import { clientGetredir, trackingSubcommands } from './tracking.js';
import { helpReply } from './help.js';

const ON_OFF = (name: string): ArgDoc => ({
  name,
  type: 'oneof',
  arguments: [
    { name: 'on', type: 'pure-token', token: 'ON' },
    { name: 'off', type: 'pure-token', token: 'OFF' },
  ],
});

// ---------------------------------------------------------------------------
// CLIENT

/** CLIENT ID */
function clientId(ctx: Ctx): void {
  ctx.reply.int(ctx.client.id);
}

/** CLIENT SETNAME connection-name (an empty name clears it) */
function clientSetname(ctx: Ctx): void {
  const name = ctx.argv[2]!;
  validateClientName(name);
  ctx.client.name = name;
  ctx.reply.ok();
}

/** CLIENT GETNAME */
function clientGetname(ctx: Ctx): void {
  ctx.reply.bulkOrNull(ctx.client.name === '' ? null : ctx.client.name);
}

/** CLIENT SETINFO <LIB-NAME libname | LIB-VER libver> (Redis 7.2; RESET keeps these) */
function clientSetinfo(ctx: Ctx): void {
  const attr = ctx.argv[2]!;
  const val = ctx.argv[3]!;
  const l = attr.toLowerCase();
  if (l !== 'lib-name' && l !== 'lib-ver') throw new ReplyError(Err.clientSetinfoOption(attr));
  for (let i = 0; i < val.length; i++) {
    const c = val.charCodeAt(i);
    if (c < 33 || c > 126) throw new ReplyError(Err.clientSetinfoChars(attr));
  }
  if (l === 'lib-name') ctx.client.libName = val;
  else ctx.client.libVer = val;
  ctx.reply.ok();
}

/** CLIENT INFO: this connection's CLIENT LIST line. */
function clientInfo(ctx: Ctx): void {
  ctx.client.lastCmd = 'client|info';
  ctx.reply.verbatim(clientInfoLine(ctx.server, ctx.client, ctx.argv) + '\n');
}

/** CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]] */
function clientList(ctx: Ctx): void {
  const { argv, server, client } = ctx;
  client.lastCmd = 'client|list';
  let clients: Client[];
  if (argv.length === 4 && is(argv[2], 'TYPE')) {
    const type = parseClientType(argv[3]!);
    if (type === null) throw new ReplyError(Err.clientUnknownType(argv[3]!));
    clients = [...server.clients.values()].filter((c) => clientType(c) === type);
  } else if (argv.length > 3 && is(argv[2], 'ID')) {
    const ids: number[] = [];
    for (let i = 3; i < argv.length; i++)
      ids.push(argRangeOr(argv[i]!, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Err.clientInvalidId));
    clients = [];
    for (const id of ids) {
      const c = server.clients.get(id);
      if (c) clients.push(c);
    }
  } else if (argv.length !== 2) {
    throw new ReplyError(Err.syntax);
  } else clients = [...server.clients.values()];
  let out = '';
  for (const c of clients) out += clientInfoLine(server, c, c === client ? argv : undefined) + '\n';
  ctx.reply.verbatim(out);
}

/**
 * CLIENT KILL ip:port
 * CLIENT KILL [ID id] [TYPE type] [USER name] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no] [MAXAGE seconds]
 * The old form replies OK or "No such client" and may kill the caller; the
 * filter form replies the number killed and skips the caller unless SKIPME no.
 * The caller is closed after its reply is written; others at once.
 */
function clientKill(ctx: Ctx): void {
  const { argv, server, client } = ctx;
  let addr: string | undefined;
  let laddr: string | undefined;
  let user: User | undefined;
  let type: ClientType | undefined;
  let id = 0;
  let maxAge = 0;
  let skipme = true;
  const oldForm = argv.length === 3;
  if (oldForm) {
    addr = argv[2]!;
    skipme = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i]!.toLowerCase();
      const val = argv[i + 1];
      if (val === undefined) throw new ReplyError(Err.syntax);
      if (opt === 'id') id = argRangeOr(val, 1, Number.MAX_SAFE_INTEGER, Err.clientIdPositive);
      else if (opt === 'type') {
        const t = parseClientType(val);
        if (t === null) throw new ReplyError(Err.clientUnknownType(val));
        type = t;
      } else if (opt === 'addr') addr = val;
      else if (opt === 'laddr') laddr = val;
      else if (opt === 'user') {
        user = server.acl.getUser(val);
        if (user === undefined) throw new ReplyError(Err.noSuchUser(val));
      } else if (opt === 'skipme') {
        if (is(val, 'YES')) skipme = true;
        else if (is(val, 'NO')) skipme = false;
        else throw new ReplyError(Err.syntax);
      } else if (opt === 'maxage') {
        const n = parseInt64(val);
        if (n === null) throw new ReplyError(Err.notInteger);
        maxAge = Number(n);
      } else throw new ReplyError(Err.syntax);
    }
  }
  const nowMs = server.clock();
  let killed = 0;
  let closeSelf = false;
  for (const c of [...server.clients.values()]) {
    if (addr !== undefined && c.addr !== addr) continue;
    if (laddr !== undefined && c.laddr !== laddr) continue;
    if (type !== undefined && clientType(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (user !== undefined && c.user !== user) continue;
    if (maxAge !== 0 && Math.floor((nowMs - c.createdAt) / 1000) <= maxAge) continue;
    if (c === client && skipme) continue;
    if (c === client) closeSelf = true;
    else server.killClient(c);
    killed++;
  }
  if (oldForm) {
    if (killed === 0) throw new ReplyError(Err.noSuchClient);
    ctx.reply.ok();
  } else ctx.reply.int(killed);
  if (closeSelf) client.closeAfterReply = true;
}

/** CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends a client's blocking command (server/blocking.ts). */
function clientUnblock(ctx: Ctx): void {
  const { argv } = ctx;
  if (argv.length > 4) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'client'));
  const id = argInt(argv[2]!);
  let error = false;
  if (argv.length === 4) {
    if (is(argv[3], 'ERROR')) error = true;
    else if (!is(argv[3], 'TIMEOUT')) throw new ReplyError(Err.unblockReason);
  }
  ctx.reply.int(ctx.server.blocking.unblockById(id, error) ? 1 : 0);
}

/**
 * CLIENT PAUSE timeout [WRITE|ALL]: holds other clients' commands (all, or
 * those that may write) for timeout ms; a pause never shortens or weakens the
 * current one (server/pause.ts). The mode is checked before the timeout.
 */
function clientPause(ctx: Ctx): void {
  const { argv, server } = ctx;
  if (argv.length > 4) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'client'));
  let mode = PAUSE_ALL;
  if (argv.length === 4) {
    if (is(argv[3], 'WRITE')) mode = PAUSE_WRITE;
    else if (!is(argv[3], 'ALL')) throw new ReplyError(Err.clientPauseMode);
  }
  const n = parseInt64(argv[2]!);
  if (n === null) throw new ReplyError(Err.timeoutNotInteger);
  if (n < 0) throw new ReplyError(Err.timeoutNegative);
  if (typeof n === 'bigint' || n > Number.MAX_SAFE_INTEGER - server.now()) throw new ReplyError(Err.timeoutOutOfRange);
  server.pause.pause(n, mode);
  ctx.reply.ok();
}

/** CLIENT UNPAUSE: ends the pause; the held commands run in the order they arrived. */
function clientUnpause(ctx: Ctx): void {
  ctx.server.pause.unpause();
  ctx.reply.ok();
}

/** CLIENT NO-EVICT ON|OFF */
function clientNoEvict(ctx: Ctx): void {
  const v = ctx.argv[2]!;
  if (is(v, 'ON')) ctx.client.noEvict = true;
  else if (is(v, 'OFF')) ctx.client.noEvict = false;
  else throw new ReplyError(Err.syntax);
  // counted again (or no longer) for client eviction
  if (ctx.server.clientEviction.limit !== 0) ctx.server.clientEviction.update(ctx.client);
  ctx.reply.ok();
}

/** CLIENT NO-TOUCH ON|OFF (Redis 7.2): reads by this client leave access times alone. */
function clientNoTouch(ctx: Ctx): void {
  const v = ctx.argv[2]!;
  if (is(v, 'ON')) ctx.client.noTouch = true;
  else if (is(v, 'OFF')) ctx.client.noTouch = false;
  else throw new ReplyError(Err.syntax);
  ctx.reply.ok();
}

/**
 * CLIENT REPLY ON|OFF|SKIP
 * OFF and SKIP send nothing; the dispatcher drops replies while they apply
 * (see dispatchSilenced). SKIP under OFF changes nothing, as in Redis.
 */
function clientReply(ctx: Ctx): void {
  const c = ctx.client;
  const v = ctx.argv[2]!;
  if (is(v, 'ON')) {
    c.replyOff = false;
    c.replySkip = false;
    c.replySkipNext = false;
    ctx.reply.ok();
  } else if (is(v, 'OFF')) {
    c.replyOff = true;
  } else if (is(v, 'SKIP')) {
    if (!c.replyOff) {
      if (c.replySkip) c.replySkipNext = true;
      else c.replySkip = true;
    }
  } else throw new ReplyError(Err.syntax);
}

const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
];

/** CLIENT HELP */
function clientHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'client', CLIENT_HELP);
}

// ---------------------------------------------------------------------------
// Declarations

const conn = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  since: string,
  summary: string,
  handler: CommandSpec['handler'],
  extra: Partial<CommandSpec> = {},
): CommandSpec =>
  command({
    name,
    arity,
    flags,
    acl: ['connection'],
    group: 'connection',
    since,
    summary,
    complexity: 'O(1)',
    handler,
    ...extra,
  });

const SUB_FLAGS: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];
const ADMIN_SUB_FLAGS: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];

const CLIENT_TYPE_ARGS: ArgDoc[] = [
  { name: 'normal', type: 'pure-token', token: 'NORMAL' },
  { name: 'master', type: 'pure-token', token: 'MASTER' },
  { name: 'replica', type: 'pure-token', token: 'REPLICA' },
  { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
];

/** CLIENT and its subcommands (listed by server.ts with the other server commands). */
export const clientCommand: CommandSpec = command({
  name: 'client',
  arity: -2,
  flags: [],
  group: 'connection',
  since: '2.4.0',
  summary: 'Inspects and controls client connections.',
  complexity: 'Depends on subcommand.',
  subcommands: [
    conn('kill', -3, ADMIN_SUB_FLAGS, '2.4.0', 'Closes connections chosen by address or by filters.', clientKill, {
      complexity: 'O(N) where N is the number of client connections',
      history: [
        ['2.8.12', 'Added new filter format.'],
        ['2.8.12', '`ID` option.'],
        ['3.2.0', 'Added `master` type in for `TYPE` option.'],
        ['5.0.0', 'Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.'],
        ['6.2.0', '`LADDR` option.'],
      ],
      args: [
        {
          name: 'filter',
          type: 'oneof',
          arguments: [
            { name: 'ip:port', type: 'string', deprecated_since: '2.8.12' },
            {
              name: 'new-format',
              type: 'oneof',
              flags: ['multiple'],
              arguments: [
                { name: 'client-id', type: 'integer', token: 'ID', since: '2.8.12', flags: ['optional'] },
                {
                  name: 'normal_master_slave_pubsub',
                  type: 'oneof',
                  token: 'TYPE',
                  since: '2.8.12',
                  flags: ['optional'],
                  arguments: [
                    { name: 'normal', type: 'pure-token', token: 'NORMAL' },
                    { name: 'master', type: 'pure-token', token: 'MASTER', since: '3.2.0' },
                    { name: 'slave', type: 'pure-token', token: 'SLAVE' },
                    { name: 'replica', type: 'pure-token', token: 'REPLICA', since: '5.0.0' },
                    { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
                  ],
                },
                { name: 'username', type: 'string', token: 'USER', flags: ['optional'] },
                { name: 'ip:port', type: 'string', token: 'ADDR', flags: ['optional'] },
                { name: 'ip:port', type: 'string', token: 'LADDR', since: '6.2.0', flags: ['optional'] },
                { name: 'yes/no', type: 'string', token: 'SKIPME', flags: ['optional'] },
              ],
            },
          ],
        },
      ],
    }),
    conn(
      'getredir',
      2,
      SUB_FLAGS,
      '6.0.0',
      "Returns the id of the client receiving this connection's tracking notifications.",
      clientGetredir,
    ),
    conn(
      'pause',
      -3,
      ADMIN_SUB_FLAGS,
      '2.9.50',
      'Suspends commands from other clients, all or only writes, for a time.',
      clientPause,
      {
        history: [['6.2.0', '`CLIENT PAUSE WRITE` mode added along with the `mode` option.']],
        args: [
          { name: 'timeout', type: 'integer' },
          {
            name: 'mode',
            type: 'oneof',
            since: '6.2.0',
            flags: ['optional'],
            arguments: [
              { name: 'write', type: 'pure-token', token: 'WRITE' },
              { name: 'all', type: 'pure-token', token: 'ALL' },
            ],
          },
        ],
      },
    ),
    conn('unpause', 2, ADMIN_SUB_FLAGS, '6.2.0', 'Ends a client pause; held commands run.', clientUnpause, {
      complexity: 'O(N) Where N is the number of paused clients',
    }),
    conn('getname', 2, SUB_FLAGS, '2.6.9', 'Returns the name of this connection.', clientGetname),
    ...trackingSubcommands,
    conn('help', 2, ['loading', 'stale'], '5.0.0', 'Lists the CLIENT subcommands.', clientHelp),
    conn(
      'unblock',
      -3,
      ADMIN_SUB_FLAGS,
      '5.0.0',
      'Ends the blocking command of another connection, as a timeout or an error.',
      clientUnblock,
      {
        complexity: 'O(log N) where N is the number of client connections',
        args: [
          { name: 'client-id', type: 'integer' },
          {
            name: 'timeout_error',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'timeout', type: 'pure-token', token: 'TIMEOUT' },
              { name: 'error', type: 'pure-token', token: 'ERROR' },
            ],
          },
        ],
      },
    ),
    conn('info', 2, SUB_FLAGS, '6.2.0', 'Describes this connection.', clientInfo, {
      tips: ['nondeterministic_output'],
    }),
    conn(
      'list',
      -2,
      ADMIN_SUB_FLAGS,
      '2.4.0',
      'Describes every connection, or those of a type or with given ids.',
      clientList,
      {
        tips: ['nondeterministic_output'],
        complexity: 'O(N) where N is the number of client connections',
        history: [
          ['2.8.12', 'Added unique client `id` field.'],
          ['5.0.0', 'Added optional `TYPE` filter.'],
          ['6.0.0', 'Added `user` field.'],
          ['6.2.0', 'Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.'],
          ['7.0.0', 'Added `resp`, `multi-mem`, `rbs` and `rbp` fields.'],
          ['7.0.3', 'Added `ssub` field.'],
          ['7.2.0', 'Added `lib-name` and `lib-ver` fields.'],
        ],
        args: [
          {
            name: 'normal_master_replica_pubsub',
            type: 'oneof',
            token: 'TYPE',
            since: '5.0.0',
            flags: ['optional'],
            arguments: CLIENT_TYPE_ARGS,
          },
          {
            name: 'id',
            type: 'block',
            token: 'ID',
            since: '6.2.0',
            flags: ['optional'],
            arguments: [{ name: 'client-id', type: 'integer', flags: ['multiple'] }],
          },
        ],
      },
    ),
    conn('id', 2, SUB_FLAGS, '5.0.0', 'Returns the unique id of this connection.', clientId),
    conn(
      'no-evict',
      3,
      ADMIN_SUB_FLAGS,
      '7.0.0',
      'Turns protection from client eviction on or off for this connection.',
      clientNoEvict,
      { args: [ON_OFF('enabled')] },
    ),
    conn(
      'no-touch',
      3,
      SUB_FLAGS,
      '7.2.0',
      "Stops or resumes access-time updates by this connection's reads.",
      clientNoTouch,
      { args: [ON_OFF('enabled')] },
    ),
    conn('setname', 3, SUB_FLAGS, '2.6.9', 'Names this connection.', clientSetname, {
      args: [{ name: 'connection-name', type: 'string' }],
    }),
    conn(
      'setinfo',
      4,
      SUB_FLAGS,
      '7.2.0',
      'Records the client library name or version on this connection.',
      clientSetinfo,
      {
        args: [
          {
            name: 'attr',
            type: 'oneof',
            arguments: [
              { name: 'libname', type: 'string', token: 'LIB-NAME' },
              { name: 'libver', type: 'string', token: 'LIB-VER' },
            ],
          },
        ],
      },
    ),
    conn(
      'reply',
      3,
      SUB_FLAGS,
      '3.2.0',
      'Turns replies to this connection on, off, or off for the next command.',
      clientReply,
      {
        args: [
          {
            name: 'on_off_skip',
            type: 'oneof',
            arguments: [
              { name: 'on', type: 'pure-token', token: 'ON' },
              { name: 'off', type: 'pure-token', token: 'OFF' },
              { name: 'skip', type: 'pure-token', token: 'SKIP' },
            ],
          },
        ],
      },
    ),
  ],
});

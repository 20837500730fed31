/**
 * ACL: SETUSER GETUSER DELUSER USERS LIST WHOAMI CAT GENPASS LOG SAVE LOAD
 * DRYRUN HELP, with Redis 7.2's reply shapes and texts. The users and the
 * checks are the ACL subsystem's (acl/acl.ts); these handlers only read
 * arguments and reply.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { ACL_CATEGORIES } from './command.js';
import { DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, ACL_OK } from '../acl/user.js';
import { hasSpaces, type Selector } from '../acl/user.js';
import { lookupSub, fullName } from './registry.js';
import { parseInt64 } from '../util/numbers.js';
import { is } from './args.js';
import { helpReply } from './help.js';

/** ACL SETUSER username [rule ...] */
function setuser(ctx: Ctx): void {
  const name = ctx.argv[2]!;
  if (hasSpaces(name)) throw new ReplyError(Err.aclUsernameSpaces);
  const err = ctx.server.acl.setUser(name, ctx.argv.slice(3));
  if (err !== null) throw new ReplyError(Err.withErrCode(err));
  ctx.reply.ok();
}

/** ACL DELUSER username [username ...] */
function deluser(ctx: Ctx): void {
  const names = ctx.argv.slice(2);
  if (names.includes('default')) throw new ReplyError(Err.aclDefaultUndeletable);
  ctx.reply.int(ctx.server.acl.deleteUsers(names));
}

/** commands, keys, channels of one selector (GETUSER). */
function describeSelector(ctx: Ctx, s: Selector): void {
  const r = ctx.reply;
  r.bulk('commands');
  r.bulk(s.describeCommands());
  r.bulk('keys');
  r.bulk(s.describeKeys());
  r.bulk('channels');
  r.bulk(s.describeChannels());
}

/** ACL GETUSER username */
function getuser(ctx: Ctx): void {
  const u = ctx.server.acl.getUser(ctx.argv[2]!);
  const r = ctx.reply;
  if (u === undefined) {
    r.null();
    return;
  }
  r.map(6);
  r.bulk('flags');
  const flags = u.flagNames();
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('passwords');
  r.array(u.passwords.length);
  for (const p of u.passwords) r.bulk(p);
  describeSelector(ctx, u.root);
  r.bulk('selectors');
  r.array(u.selectors.length - 1);
  for (let i = 1; i < u.selectors.length; i++) {
    r.map(3);
    describeSelector(ctx, u.selectors[i]!);
  }
}

/** ACL LIST */
function list(ctx: Ctx): void {
  const users = ctx.server.acl.sortedUsers();
  ctx.reply.array(users.length);
  for (const u of users) ctx.reply.bulk(`user ${u.name} ${u.describe()}`);
}

/** ACL USERS */
function users(ctx: Ctx): void {
  const all = ctx.server.acl.sortedUsers();
  ctx.reply.array(all.length);
  for (const u of all) ctx.reply.bulk(u.name);
}

/** ACL WHOAMI */
function whoami(ctx: Ctx): void {
  ctx.reply.bulk(ctx.client.user.name);
}

/** ACL CAT [category] */
function cat(ctx: Ctx): void {
  const r = ctx.reply;
  if (ctx.argv.length === 2) {
    r.array(ACL_CATEGORIES.length);
    for (const c of ACL_CATEGORIES) r.bulk(c);
    return;
  }
  if (ctx.argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'acl'));
  const acl = ctx.server.acl;
  const bit = acl.cmds.categoryBit(ctx.argv[2]!);
  if (bit === 0) throw new ReplyError(Err.aclUnknownCategory(ctx.argv[2]!));
  const names: string[] = [];
  for (const e of acl.cmds.specs) if ((e.cats & bit) !== 0 && !e.spec.flags.includes('module')) names.push(e.fullname);
  r.array(names.length);
  for (const n of names) r.bulk(n);
}

/** ACL GENPASS [bits] */
function genpass(ctx: Ctx): void {
  let bits = 256;
  if (ctx.argv.length === 3) {
    const n = parseInt64(ctx.argv[2]!);
    if (n === null || typeof n === 'bigint') throw new ReplyError(Err.notInteger);
    bits = n;
  } else if (ctx.argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'acl'));
  if (bits <= 0 || bits > 4096) throw new ReplyError(Err.aclGenpassBits);
  ctx.reply.bulk(ctx.server.acl.genpass(bits));
}

const REASONS: Record<number, string> = {
  [DENIED_CMD]: 'command',
  [DENIED_KEY]: 'key',
  [DENIED_CHANNEL]: 'channel',
  [DENIED_AUTH]: 'auth',
};

/** ACL LOG [count | RESET] */
function log(ctx: Ctx): void {
  const acl = ctx.server.acl;
  const r = ctx.reply;
  let count = 10;
  if (ctx.argv.length === 3) {
    if (is(ctx.argv[2], 'RESET')) {
      acl.log = [];
      r.ok();
      return;
    }
    const n = parseInt64(ctx.argv[2]!);
    if (n === null || typeof n === 'bigint') throw new ReplyError(Err.notInteger);
    count = Math.max(0, n);
  } else if (ctx.argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'acl'));
  const entries = acl.logEntriesView();
  count = Math.min(count, entries.length);
  const now = ctx.server.now();
  r.array(count);
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    r.map(10);
    r.bulk('count');
    r.int(e.count);
    r.bulk('reason');
    r.bulk(REASONS[e.reason] ?? 'unknown');
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    r.double((now - e.ctime) / 1000);
    r.bulk('client-info');
    r.bulk(e.cinfo);
    r.bulk('entry-id');
    r.int(e.entryId);
    r.bulk('timestamp-created');
    r.int(e.created);
    r.bulk('timestamp-last-updated');
    r.int(e.ctime);
  }
}

/** ACL LOAD */
function load(ctx: Ctx): void {
  const acl = ctx.server.acl;
  if (acl.fileName() === '') throw new ReplyError(Err.aclNoFile);
  const err = acl.loadFile();
  if (err !== null) throw new ReplyError(Err.withErrCode(err));
  ctx.reply.ok();
}

/** ACL SAVE */
function save(ctx: Ctx): void {
  const acl = ctx.server.acl;
  if (acl.fileName() === '') throw new ReplyError(Err.aclNoFile);
  if (!acl.saveFile()) throw new ReplyError(Err.aclSaveFailed);
  ctx.reply.ok();
}

/** ACL DRYRUN username command [arg ...] */
function dryrun(ctx: Ctx): void {
  const { argv, server } = ctx;
  const acl = server.acl;
  const u = acl.getUser(argv[2]!);
  if (u === undefined) throw new ReplyError(Err.aclDryrunNoUser(argv[2]!));
  const sub = argv.slice(3);
  let cmd: CommandSpec | undefined = server.commands.lookup(sub[0]!);
  let parent: CommandSpec | undefined;
  if (cmd !== undefined && cmd.subcommands && sub.length >= 2) {
    parent = cmd;
    cmd = lookupSub(cmd, sub[1]!);
  }
  if (cmd === undefined) throw new ReplyError(Err.aclDryrunNoCommand(sub[0]!));
  if ((cmd.arity > 0 && cmd.arity !== sub.length) || sub.length < -cmd.arity) {
    throw new ReplyError(Err.wrongArgs(fullName(cmd, parent)));
  }
  const res = acl.check(u, cmd, parent, sub);
  if (res !== ACL_OK) {
    ctx.reply.bulk(acl.errorMessage(res, u, fullName(cmd, parent), sub[acl.deniedAt]!, true));
    return;
  }
  ctx.reply.ok();
}

const HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
];

/** ACL HELP */
function help(ctx: Ctx): void {
  helpReply(ctx.reply, 'acl', HELP);
}

const ADMIN: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];
const PLAIN: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];

export const commands: CommandSpec[] = [
  command({
    name: 'acl',
    arity: -2,
    flags: [],
    group: 'server',
    since: '6.0.0',
    summary: 'Access control lists: users, their rules and the log of denials.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'cat',
        arity: -2,
        flags: PLAIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Lists the ACL categories, or the commands of one category.',
        complexity: 'O(1) since the categories and commands are a fixed set.',
        args: [{ name: 'categoryname', type: 'string', flags: ['optional'] }],
        handler: cat,
      }),
      command({
        name: 'deluser',
        arity: -3,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Deletes users and disconnects the clients authenticated as them.',
        complexity: 'O(1) amortized time considering the typical user.',
        args: [{ name: 'username', type: 'string', flags: ['multiple'] }],
        handler: deluser,
      }),
      command({
        name: 'dryrun',
        arity: -4,
        flags: ADMIN,
        group: 'server',
        since: '7.0.0',
        summary: 'Tells whether a user may run a command, without running it.',
        complexity: 'O(1).',
        args: [
          { name: 'username', type: 'string' },
          { name: 'command', type: 'string' },
          { name: 'arg', type: 'string', flags: ['optional', 'multiple'] },
        ],
        handler: dryrun,
      }),
      command({
        name: 'genpass',
        arity: -2,
        flags: PLAIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Makes a random password (256 bits, or the given number), as hex digits.',
        complexity: 'O(1)',
        args: [{ name: 'bits', type: 'integer', flags: ['optional'] }],
        handler: genpass,
      }),
      command({
        name: 'getuser',
        arity: 3,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: "Describes a user's flags, password hashes, rules and selectors.",
        complexity: 'O(N). Where N is the number of password, command and pattern rules that the user has.',
        history: [
          ['6.2.0', 'Added Pub/Sub channel patterns.'],
          [
            '7.0.0',
            'Added selectors and changed the format of key and channel patterns from a list to their rule representation.',
          ],
        ],
        args: [{ name: 'username', type: 'string' }],
        handler: getuser,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'server',
        since: '6.0.0',
        summary: 'Lists the ACL subcommands.',
        complexity: 'O(1)',
        handler: help,
      }),
      command({
        name: 'list',
        arity: 2,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Lists every user as an ACL file line.',
        complexity: 'O(N). Where N is the number of configured users.',
        handler: list,
      }),
      command({
        name: 'load',
        arity: 2,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Replaces the users with those of the ACL file.',
        complexity: 'O(N). Where N is the number of configured users.',
        handler: load,
      }),
      command({
        name: 'log',
        arity: -2,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Shows (or empties) the log of commands and logins ACL denied.',
        complexity: 'O(N) with N being the number of entries shown.',
        history: [['7.2.0', 'Added entry ID, timestamp created, and timestamp last updated.']],
        args: [
          {
            name: 'operation',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'count', type: 'integer' },
              { name: 'reset', type: 'pure-token', token: 'RESET' },
            ],
          },
        ],
        handler: log,
      }),
      command({
        name: 'save',
        arity: 2,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Writes the users to the ACL file.',
        complexity: 'O(N). Where N is the number of configured users.',
        handler: save,
      }),
      command({
        name: 'setuser',
        arity: -3,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Creates a user or changes its rules; all rules apply or none.',
        complexity: 'O(N). Where N is the number of rules provided.',
        history: [
          ['6.2.0', 'Added Pub/Sub channel patterns.'],
          ['7.0.0', 'Added selectors and key based permissions.'],
        ],
        args: [
          { name: 'username', type: 'string' },
          { name: 'rule', type: 'string', flags: ['optional', 'multiple'] },
        ],
        handler: setuser,
      }),
      command({
        name: 'users',
        arity: 2,
        flags: ADMIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Lists the user names.',
        complexity: 'O(N). Where N is the number of configured users.',
        handler: users,
      }),
      command({
        name: 'whoami',
        arity: 2,
        flags: PLAIN,
        group: 'server',
        since: '6.0.0',
        summary: 'Returns the name of the user the connection runs as.',
        complexity: 'O(1)',
        handler: whoami,
      }),
    ],
  }),
];

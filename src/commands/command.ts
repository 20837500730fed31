/**
 * COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS,
 * GETKEYSANDFLAGS, HELP). Every reply is derived from the declarations in
 * the command table (server.commands.all); nothing here lists commands.
 * Formats are those of Redis 7 (addReplyCommandInfo / addReplyCommandDocs).
 */
import {
  command,
  type AclCategory,
  type ArgDoc,
  type CommandFlag,
  type CommandSpec,
  type Ctx,
  type KeySpec,
} from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import type { Reply } from '../protocol/writer.js';
import { fullName, lookupSub } from './registry.js';
import { keysAndFlagsOf, hasKeys, hasMovableKeys, legacyKeyRange } from './keys-of.js';
import { replyHelp } from './config.js';
import { globMatch } from '../util/glob.js';
import { is } from './args.js';

/** Command flags in the order COMMAND INFO lists them (Redis's bit order; may_replicate is not shown). */
const FLAG_ORDER: CommandFlag[] = [
  'write',
  'readonly',
  'denyoom',
  'module',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'asking',
  'fast',
  'no_auth',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
];

/** ACL categories in Redis's order. */
export const ACL_CATEGORIES: AclCategory[] = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

/** Key spec flags in Redis's order. */
const KEY_FLAG_ORDER = [
  'RO',
  'RW',
  'OW',
  'RM',
  'access',
  'update',
  'insert',
  'delete',
  'not_key',
  'incomplete',
  'variable_flags',
];

/**
 * A command's ACL categories: the declared ones plus those its flags imply
 * (Redis's setImplicitACLCategories), in Redis's order. Shared with ACL.
 */
export function aclCategories(cmd: CommandSpec): AclCategory[] {
  const set = new Set<AclCategory>(cmd.acl);
  const f = cmd.flags;
  if (f.includes('write')) set.add('write');
  if (f.includes('readonly') && !set.has('scripting')) set.add('read');
  if (f.includes('admin')) {
    set.add('admin');
    set.add('dangerous');
  }
  if (f.includes('pubsub')) set.add('pubsub');
  if (f.includes('fast')) set.add('fast');
  if (f.includes('blocking')) set.add('blocking');
  if (!set.has('fast')) set.add('slow');
  return ACL_CATEGORIES.filter((c) => set.has(c));
}

/** The flags COMMAND INFO shows: the declared ones and the computed movablekeys, in Redis's order. */
export function infoFlags(cmd: CommandSpec): CommandFlag[] {
  const movable = hasMovableKeys(cmd);
  return FLAG_ORDER.filter((f) => (f === 'movablekeys' ? movable : cmd.flags.includes(f)));
}

/** Redis's lookupCommandBySds: "name" or "container|sub" (case-insensitive). */
function lookupByFullName(ctx: Ctx, name: string): [CommandSpec, CommandSpec | undefined] | undefined {
  const parts = name.split('|');
  if (parts.length > 2) return undefined;
  const base = ctx.server.commands.lookup(parts[0]!);
  if (!base) return undefined;
  if (parts.length === 1) return [base, undefined];
  if (!base.subcommands) return undefined;
  const sub = lookupSub(base, parts[1]!);
  return sub ? [sub, base] : undefined;
}

function writeFlagSet(reply: Reply, flags: readonly string[]): void {
  reply.set(flags.length);
  for (const f of flags) reply.simple(f);
}

function writeKeySpec(reply: Reply, ks: KeySpec): void {
  reply.map(ks.notes ? 4 : 3);
  if (ks.notes) {
    reply.bulk('notes');
    reply.bulk(ks.notes);
  }
  reply.bulk('flags');
  writeFlagSet(
    reply,
    KEY_FLAG_ORDER.filter((f) => (ks.flags as string[]).includes(f)),
  );
  reply.bulk('begin_search');
  reply.map(2);
  reply.bulk('type');
  if (ks.begin && 'index' in ks.begin) {
    reply.bulk('index');
    reply.bulk('spec');
    reply.map(1);
    reply.bulk('index');
    reply.int(ks.begin.index);
  } else if (ks.begin) {
    reply.bulk('keyword');
    reply.bulk('spec');
    reply.map(2);
    reply.bulk('keyword');
    reply.bulk(ks.begin.keyword);
    reply.bulk('startfrom');
    reply.int(ks.begin.startfrom);
  } else {
    reply.bulk('unknown');
    reply.bulk('spec');
    reply.map(0);
  }
  reply.bulk('find_keys');
  reply.map(2);
  reply.bulk('type');
  const fk = ks.find;
  if (fk && 'lastkey' in fk) {
    reply.bulk('range');
    reply.bulk('spec');
    reply.map(3);
    reply.bulk('lastkey');
    reply.int(fk.lastkey);
    reply.bulk('keystep');
    reply.int(fk.keystep);
    reply.bulk('limit');
    reply.int(fk.limit);
  } else if (fk) {
    reply.bulk('keynum');
    reply.bulk('spec');
    reply.map(3);
    reply.bulk('keynumidx');
    reply.int(fk.keynumidx);
    reply.bulk('firstkey');
    reply.int(fk.firstkey);
    reply.bulk('keystep');
    reply.int(fk.keystep);
  } else {
    reply.bulk('unknown');
    reply.bulk('spec');
    reply.map(0);
  }
}

/**
 * One command's COMMAND INFO entry: name, arity, flags, first/last/step,
 * ACL categories, tips, key specs, subcommands (each an entry like this).
 */
export function writeCommandInfo(reply: Reply, cmd: CommandSpec, parent?: CommandSpec): void {
  const [first, last, step] = legacyKeyRange(cmd);
  reply.array(10);
  reply.bulk(fullName(cmd, parent));
  reply.int(cmd.arity);
  writeFlagSet(reply, infoFlags(cmd));
  reply.int(first);
  reply.int(last);
  reply.int(step);
  writeFlagSet(
    reply,
    aclCategories(cmd).map((c) => '@' + c),
  );
  const tips = cmd.tips ?? [];
  reply.set(tips.length);
  for (const t of tips) reply.bulk(t);
  const specs = cmd.keySpecs ?? [];
  reply.set(specs.length);
  for (const ks of specs) writeKeySpec(reply, ks);
  const subs = cmd.subcommands ?? [];
  if (cmd.subcommands) reply.array(subs.length);
  else reply.set(0);
  for (const s of subs) writeCommandInfo(reply, s, cmd);
}

/** COMMAND DOCS arguments: name, type, then the optional fields in Redis's order. */
function writeArgs(reply: Reply, args: readonly ArgDoc[]): void {
  reply.array(args.length);
  for (const a of args) {
    const nested = a.type === 'oneof' || a.type === 'block';
    const fields: [string, () => void][] = [
      ['name', () => reply.bulk(a.name)],
      ['type', () => reply.bulk(a.type)],
    ];
    if (a.display_text !== undefined) fields.push(['display_text', () => reply.bulk(a.display_text!)]);
    // Any argument naming keys has one (SORT's BY/GET patterns too), as Redis shows it.
    if (a.key_spec_index !== undefined) fields.push(['key_spec_index', () => reply.int(a.key_spec_index!)]);
    if (a.token !== undefined) fields.push(['token', () => reply.bulk(a.token!)]);
    if (a.summary !== undefined) fields.push(['summary', () => reply.bulk(a.summary!)]);
    if (a.since !== undefined) fields.push(['since', () => reply.bulk(a.since!)]);
    if (a.deprecated_since !== undefined) fields.push(['deprecated_since', () => reply.bulk(a.deprecated_since!)]);
    if (a.flags && a.flags.length)
      fields.push([
        'flags',
        () =>
          writeFlagSet(
            reply,
            ['optional', 'multiple', 'multiple_token'].filter((f) => (a.flags as string[]).includes(f)),
          ),
      ]);
    if (nested) fields.push(['arguments', () => writeArgs(reply, a.arguments ?? [])]);
    reply.map(fields.length);
    for (const [k, w] of fields) {
      reply.bulk(k);
      w();
    }
  }
}

/** One command's COMMAND DOCS map (the name is written by the caller). */
export function writeCommandDocs(reply: Reply, cmd: CommandSpec): void {
  const fields: [string, () => void][] = [
    ['summary', () => reply.bulk(cmd.summary)],
    ['since', () => reply.bulk(cmd.since)],
    ['group', () => reply.bulk(cmd.group)],
  ];
  if (cmd.complexity !== undefined) fields.push(['complexity', () => reply.bulk(cmd.complexity!)]);
  if (cmd.docFlags && cmd.docFlags.length)
    fields.push([
      'doc_flags',
      () =>
        writeFlagSet(
          reply,
          ['deprecated', 'syscmd'].filter((f) => (cmd.docFlags as string[]).includes(f)),
        ),
    ]);
  if (cmd.deprecatedSince !== undefined) fields.push(['deprecated_since', () => reply.bulk(cmd.deprecatedSince!)]);
  if (cmd.replacedBy !== undefined) fields.push(['replaced_by', () => reply.bulk(cmd.replacedBy!)]);
  if (cmd.history && cmd.history.length) {
    fields.push([
      'history',
      () => {
        reply.set(cmd.history!.length);
        for (const [v, text] of cmd.history!) {
          reply.array(2);
          reply.bulk(v);
          reply.bulk(text);
        }
      },
    ]);
  }
  if (cmd.args && cmd.args.length) fields.push(['arguments', () => writeArgs(reply, cmd.args!)]);
  if (cmd.subcommands) {
    fields.push([
      'subcommands',
      () => {
        reply.map(cmd.subcommands!.length);
        for (const s of cmd.subcommands!) {
          reply.bulk(fullName(s, cmd));
          writeCommandDocs(reply, s);
        }
      },
    ]);
  }
  reply.map(fields.length);
  for (const [k, w] of fields) {
    reply.bulk(k);
    w();
  }
}

/** COMMAND: information about every command. */
function commandAll(ctx: Ctx): void {
  const all = ctx.server.commands.all;
  ctx.reply.array(all.length);
  for (const c of all) writeCommandInfo(ctx.reply, c);
}

/** COMMAND COUNT */
function commandCount(ctx: Ctx): void {
  ctx.reply.int(ctx.server.commands.all.length);
}

/** COMMAND INFO [command-name ...] */
function commandInfo(ctx: Ctx): void {
  const { argv, reply } = ctx;
  if (argv.length === 2) return commandAll(ctx);
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const found = lookupByFullName(ctx, argv[i]!);
    if (found) writeCommandInfo(reply, found[0], found[1]);
    else reply.null();
  }
}

/** COMMAND DOCS [command-name ...] */
function commandDocs(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const list: [CommandSpec, CommandSpec | undefined][] = [];
  if (argv.length === 2) for (const c of ctx.server.commands.all) list.push([c, undefined]);
  else {
    for (let i = 2; i < argv.length; i++) {
      const found = lookupByFullName(ctx, argv[i]!);
      if (found) list.push(found);
    }
  }
  reply.map(list.length);
  for (const [c, p] of list) {
    reply.bulk(fullName(c, p));
    writeCommandDocs(reply, c);
  }
}

/** COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern] */
function commandList(ctx: Ctx): void {
  const { argv, reply } = ctx;
  let filter: ((c: CommandSpec, name: string) => boolean) | null = null;
  for (let i = 2; i < argv.length; i++) {
    if (is(argv[i]!, 'FILTERBY') && argv.length - 1 - i === 2) {
      const type = argv[i + 1]!.toLowerCase();
      const arg = argv[i + 2]!;
      if (type === 'module')
        filter = () => false; // tsdis has no modules
      else if (type === 'aclcat') {
        const cat = arg.toLowerCase() as AclCategory;
        filter = (c) => ACL_CATEGORIES.includes(cat) && aclCategories(c).includes(cat);
      } else if (type === 'pattern') filter = (_c, name) => globMatch(arg, name, true);
      else throw new ReplyError(Err.syntax);
      i += 2;
    } else throw new ReplyError(Err.syntax);
  }
  const names: string[] = [];
  const walk = (cmds: readonly CommandSpec[], parent?: CommandSpec) => {
    for (const c of cmds) {
      const name = fullName(c, parent);
      if (!filter || filter(c, name)) names.push(name);
      if (c.subcommands) walk(c.subcommands, c);
    }
  };
  walk(ctx.server.commands.all);
  reply.array(names.length);
  for (const n of names) reply.bulk(n);
}

/**
 * The shared part of GETKEYS and GETKEYSANDFLAGS: finds the command in
 * argv[2..] (a container's subcommand by its second word) and its keys,
 * with Redis's errors.
 */
function getKeysGeneric(ctx: Ctx): { args: string[]; keys: ReturnType<typeof keysAndFlagsOf> } {
  const args = ctx.argv.slice(2);
  let cmd = ctx.server.commands.lookup(args[0]!);
  if (cmd && cmd.subcommands && args.length >= 2) cmd = lookupSub(cmd, args[1]!);
  if (!cmd) throw new ReplyError(Err.getkeysInvalidCommand);
  if (!hasKeys(cmd)) throw new ReplyError(Err.getkeysNoKeys);
  if ((cmd.arity > 0 && cmd.arity !== args.length) || args.length < -cmd.arity) {
    throw new ReplyError(Err.getkeysArgCount);
  }
  const keys = keysAndFlagsOf(cmd, args);
  if (keys.length === 0 && !cmd.flags.includes('no_mandatory_keys')) throw new ReplyError(Err.getkeysInvalidArgs);
  return { args, keys };
}

/** COMMAND GETKEYS command [arg ...] */
function commandGetKeys(ctx: Ctx): void {
  const { args, keys } = getKeysGeneric(ctx);
  ctx.reply.array(keys.length);
  for (const k of keys) ctx.reply.bulk(args[k.pos]!);
}

/** COMMAND GETKEYSANDFLAGS command [arg ...] */
function commandGetKeysAndFlags(ctx: Ctx): void {
  const { args, keys } = getKeysGeneric(ctx);
  ctx.reply.array(keys.length);
  for (const k of keys) {
    ctx.reply.array(2);
    ctx.reply.bulk(args[k.pos]!);
    writeFlagSet(
      ctx.reply,
      KEY_FLAG_ORDER.filter((f) => (k.flags as string[]).includes(f)),
    );
  }
}

/** COMMAND HELP (the same lines as redis-server, which clients may show). */
function commandHelp(ctx: Ctx): void {
  replyHelp(ctx, 'command', [
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
  ]);
}

const LS = ['loading', 'stale'] as const;
const CONN: AclCategory[] = ['connection'];
const ORDER_TIP = ['nondeterministic_output_order'];

export const commands: CommandSpec[] = [
  command({
    name: 'command',
    arity: -1,
    flags: [...LS],
    acl: CONN,
    tips: ORDER_TIP,
    group: 'server',
    since: '2.8.13',
    summary: 'Describes every command the server knows.',
    complexity: 'O(N) where N is the total number of Redis commands',
    handler: commandAll,
    subcommands: [
      command({
        name: 'count',
        arity: 2,
        flags: [...LS],
        acl: CONN,
        group: 'server',
        since: '2.8.13',
        summary: 'Counts the commands the server knows.',
        complexity: 'O(1)',
        handler: commandCount,
      }),
      command({
        name: 'info',
        arity: -2,
        flags: [...LS],
        acl: CONN,
        tips: ORDER_TIP,
        group: 'server',
        since: '2.8.13',
        summary: 'Describes the given commands, or all of them.',
        complexity: 'O(N) where N is the number of commands to look up',
        history: [['7.0.0', 'Allowed to be called with no argument to get info on all commands.']],
        args: [{ name: 'command-name', type: 'string', flags: ['optional', 'multiple'] }],
        handler: commandInfo,
      }),
      command({
        name: 'docs',
        arity: -2,
        flags: [...LS],
        acl: CONN,
        tips: ORDER_TIP,
        group: 'server',
        since: '7.0.0',
        summary: 'Returns the documentation of the given commands, or of all of them.',
        complexity: 'O(N) where N is the number of commands to look up',
        args: [{ name: 'command-name', type: 'string', flags: ['optional', 'multiple'] }],
        handler: commandDocs,
      }),
      command({
        name: 'list',
        arity: -2,
        flags: [...LS],
        acl: CONN,
        tips: ORDER_TIP,
        group: 'server',
        since: '7.0.0',
        summary: 'Lists command names, optionally filtered by ACL category or pattern.',
        complexity: 'O(N) where N is the total number of Redis commands',
        args: [
          {
            name: 'filterby',
            type: 'oneof',
            token: 'FILTERBY',
            flags: ['optional'],
            arguments: [
              { name: 'module-name', type: 'string', token: 'MODULE' },
              { name: 'category', type: 'string', token: 'ACLCAT' },
              { name: 'pattern', type: 'pattern', token: 'PATTERN' },
            ],
          },
        ],
        handler: commandList,
      }),
      command({
        name: 'getkeys',
        arity: -4,
        flags: [...LS],
        acl: CONN,
        group: 'server',
        since: '2.8.13',
        summary: 'Extracts the key names from a full command line.',
        complexity: 'O(N) where N is the number of arguments to the command',
        handler: commandGetKeys,
      }),
      command({
        name: 'getkeysandflags',
        arity: -4,
        flags: [...LS],
        acl: CONN,
        group: 'server',
        since: '7.0.0',
        summary: 'Extracts the key names and their access flags from a full command line.',
        complexity: 'O(N) where N is the number of arguments to the command',
        handler: commandGetKeysAndFlags,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: [...LS],
        acl: CONN,
        group: 'server',
        since: '5.0.0',
        summary: 'Describes the COMMAND subcommands.',
        complexity: 'O(1)',
        handler: commandHelp,
      }),
    ],
  }),
];

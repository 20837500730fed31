/**
 * XINFO STREAM / GROUPS / CONSUMERS / HELP: what a stream, its groups and
 * their consumers hold, read only.
 */
import { command, keyArg, keyAt, READ, type CommandSpec, type Ctx } from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { helpReply } from './help.js';
import type { Reply } from '../protocol/writer.js';
import { ENTRIES_READ_INVALID, ID_MAX, Stream, fmtId } from '../types/stream.js';
import { argLL, lookupStream, renderRange, replyEntry, replyRendered } from './stream-common.js';

function streamOf(ctx: Ctx): Stream {
  const s = lookupStream(ctx.db, ctx.argv[2]!);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  return s;
}

function replyNullable(reply: Reply, n: number | null): void {
  if (n === null) reply.null();
  else reply.int(n);
}

/** XINFO CONSUMERS key group */
function xinfoConsumers(ctx: Ctx): void {
  const { argv, reply, server } = ctx;
  const s = streamOf(ctx);
  const g = s.groups.get(argv[3]!);
  if (g === undefined) throw new ReplyError(Err.noGroupForKey(argv[3]!, argv[2]!));
  const now = server.now();
  const cs = g.sortedConsumers();
  reply.array(cs.length);
  for (const c of cs) {
    reply.map(4);
    reply.bulk('name');
    reply.bulk(c.name);
    reply.bulk('pending');
    reply.int(c.pel.size);
    reply.bulk('idle');
    reply.int(Math.max(0, now - c.seenTime));
    reply.bulk('inactive');
    reply.int(c.activeTime === -1 ? -1 : Math.max(0, now - c.activeTime));
  }
}

/** XINFO GROUPS key */
function xinfoGroups(ctx: Ctx): void {
  const { reply } = ctx;
  const s = streamOf(ctx);
  const gs = s.sortedGroups();
  reply.array(gs.length);
  for (const g of gs) {
    reply.map(6);
    reply.bulk('name');
    reply.bulk(g.name);
    reply.bulk('consumers');
    reply.int(g.consumers.size);
    reply.bulk('pending');
    reply.int(g.pel.size);
    reply.bulk('last-delivered-id');
    reply.bulk(fmtId(g.lastId));
    reply.bulk('entries-read');
    replyNullable(reply, g.entriesRead === ENTRIES_READ_INVALID ? null : g.entriesRead);
    reply.bulk('lag');
    replyNullable(reply, s.lag(g));
  }
}

/** XINFO STREAM key [FULL [COUNT count]] */
function xinfoStream(ctx: Ctx): void {
  const { argv, reply } = ctx;
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    const bad = new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xinfo'));
    if (argv.length > 6 || !is(argv[3], 'FULL')) throw bad;
    full = true;
    if (argv.length > 4) {
      if (argv.length !== 6 || !is(argv[4], 'COUNT')) throw bad;
      count = argLL(argv[5]!);
      if (count < 0) count = 10;
    }
  }
  const s = streamOf(ctx);
  const [rkeys, rnodes] = s.radixStats();
  reply.map(full ? 9 : 10);
  reply.bulk('length');
  reply.int(s.length);
  reply.bulk('radix-tree-keys');
  reply.int(rkeys);
  reply.bulk('radix-tree-nodes');
  reply.int(rnodes);
  reply.bulk('last-generated-id');
  reply.bulk(fmtId(s.lastId));
  reply.bulk('max-deleted-entry-id');
  reply.bulk(fmtId(s.maxDeletedId));
  reply.bulk('entries-added');
  reply.int(s.entriesAdded);
  reply.bulk('recorded-first-entry-id');
  reply.bulk(fmtId(s.firstId));
  if (!full) {
    reply.bulk('groups');
    reply.int(s.groups.size);
    for (const last of [false, true]) {
      reply.bulk(last ? 'last-entry' : 'first-entry');
      const e = s.edge(last);
      if (e === undefined) reply.null();
      else replyEntry(reply, fmtId(e[0]), e[1]);
    }
    return;
  }
  reply.bulk('entries');
  replyRendered(reply, renderRange(s, 0n, ID_MAX, false, count));
  reply.bulk('groups');
  const gs = s.sortedGroups();
  reply.array(gs.length);
  for (const g of gs) {
    reply.map(7);
    reply.bulk('name');
    reply.bulk(g.name);
    reply.bulk('last-delivered-id');
    reply.bulk(fmtId(g.lastId));
    reply.bulk('entries-read');
    replyNullable(reply, g.entriesRead === ENTRIES_READ_INVALID ? null : g.entriesRead);
    reply.bulk('lag');
    replyNullable(reply, s.lag(g));
    reply.bulk('pel-count');
    reply.int(g.pel.size);
    reply.bulk('pending');
    let left = count === 0 ? g.pel.size : Math.min(count, g.pel.size);
    reply.array(left);
    for (const [id, n] of g.pel.from()) {
      if (left-- === 0) break;
      reply.array(4);
      reply.bulk(fmtId(id));
      reply.bulk(n.consumer.name);
      reply.int(n.deliveryTime);
      reply.int(n.deliveryCount);
    }
    reply.bulk('consumers');
    const cs = g.sortedConsumers();
    reply.array(cs.length);
    for (const c of cs) {
      reply.map(5);
      reply.bulk('name');
      reply.bulk(c.name);
      reply.bulk('seen-time');
      reply.int(c.seenTime);
      reply.bulk('active-time');
      reply.int(c.activeTime);
      reply.bulk('pel-count');
      reply.int(c.pel.size);
      reply.bulk('pending');
      let cleft = count === 0 ? c.pel.size : Math.min(count, c.pel.size);
      reply.array(cleft);
      for (const [id, n] of c.pel.from()) {
        if (cleft-- === 0) break;
        reply.array(3);
        reply.bulk(fmtId(id));
        reply.int(n.deliveryTime);
        reply.int(n.deliveryCount);
      }
    }
  }
}

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

/** XINFO HELP */
function xinfoHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'xinfo', XINFO_HELP);
}

export const infoCommands: CommandSpec[] = [
  command({
    name: 'xinfo',
    arity: -2,
    flags: [],
    group: 'stream',
    since: '5.0.0',
    summary: 'Container for the stream introspection subcommands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        acl: ['stream'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the XINFO subcommands.',
        complexity: 'O(1)',
        handler: xinfoHelp,
      }),
      command({
        name: 'stream',
        arity: -3,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Describes a stream; FULL adds its entries, groups and pending lists.',
        complexity: 'O(1)',
        history: [
          ['6.0.0', 'Added the `FULL` modifier.'],
          [
            '7.0.0',
            'Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields',
          ],
        ],
        args: [
          keyArg(),
          {
            name: 'full',
            type: 'block',
            token: 'FULL',
            flags: ['optional'],
            arguments: [{ name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] }],
          },
        ],
        handler: xinfoStream,
      }),
      command({
        name: 'groups',
        arity: 3,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the consumer groups of a stream.',
        complexity: 'O(1)',
        history: [['7.0.0', 'Added the `entries-read` and `lag` fields']],
        args: [keyArg()],
        handler: xinfoGroups,
      }),
      command({
        name: 'consumers',
        arity: 4,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        tips: ['nondeterministic_output'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the consumers of a consumer group.',
        complexity: 'O(1)',
        args: [keyArg(), { name: 'groupname', type: 'string' }],
        handler: xinfoConsumers,
      }),
    ],
  }),
];

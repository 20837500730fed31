/**
 * Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH,
 * SSUBSCRIBE SUNSUBSCRIBE SPUBLISH and PUBSUB (CHANNELS NUMSUB NUMPAT
 * SHARDCHANNELS SHARDNUMSUB HELP). The subscription state and delivery live
 * in server/pubsub.ts; the RESP2 pub/sub-mode gate is the dispatcher's.
 */
import { command, keyAt, keysFrom, NOT_KEY, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { globMatch } from '../util/glob.js';
import { helpReply } from './help.js';
import type { SubKind } from '../server/pubsub.js';
import { PROPAGATE_REPL } from '../server/propagate.js';

/** SUBSCRIBE channel [channel ...] (and PSUBSCRIBE, SSUBSCRIBE) */
function subscribeGeneric(ctx: Ctx, kind: SubKind): void {
  const { argv, client, server } = ctx;
  for (let i = 1; i < argv.length; i++) server.pubsub.subscribe(client, kind, argv[i]!);
}

/** UNSUBSCRIBE [channel ...] (and PUNSUBSCRIBE, SUNSUBSCRIBE): none given means all. */
function unsubscribeGeneric(ctx: Ctx, kind: SubKind): void {
  const { argv, client, server } = ctx;
  if (argv.length === 1) server.pubsub.unsubscribeKind(client, kind);
  else for (let i = 1; i < argv.length; i++) server.pubsub.unsubscribe(client, kind, argv[i]!, true);
}

/**
 * A message published here reaches the other nodes: in cluster mode over
 * the bus (Redis's clusterPropagatePublish: every node for PUBLISH, this
 * shard's for SPUBLISH), otherwise down the replication stream, as the
 * command itself, to replicas only (Redis's forceCommandPropagation with
 * PROPAGATE_REPL): a replica's subscribers hear the primary's messages.
 */
function spread(ctx: Ctx, sharded: boolean): void {
  if (ctx.server.cluster.enabled) ctx.server.cluster.propagatePublish(ctx.argv[1]!, ctx.argv[2]!, sharded);
  else ctx.propagate(ctx.argv, ctx.db.id, PROPAGATE_REPL);
}

/** PUBLISH channel message — the number of clients that received it. */
function publish(ctx: Ctx): void {
  spread(ctx, false);
  ctx.reply.int(ctx.server.pubsub.publish(ctx.argv[1]!, ctx.argv[2]!));
}

/** SPUBLISH shardchannel message */
function spublish(ctx: Ctx): void {
  spread(ctx, true);
  ctx.reply.int(ctx.server.pubsub.publish(ctx.argv[1]!, ctx.argv[2]!, true));
}

/** PUBSUB CHANNELS [pattern] / PUBSUB SHARDCHANNELS [pattern]: channels with at least one subscriber. */
function channelsGeneric(ctx: Ctx, map: Map<string, unknown>): void {
  const { argv, reply } = ctx;
  if (argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, argv[0]!));
  const pat = argv.length === 3 ? argv[2]! : null;
  const names: string[] = [];
  for (const ch of map.keys()) if (pat === null || globMatch(pat, ch)) names.push(ch);
  reply.bulks(names);
}

/** PUBSUB NUMSUB [channel ...] / SHARDNUMSUB: channel, count pairs (pattern subscribers not counted). */
function numsubGeneric(ctx: Ctx, map: Map<string, { size: number }>): void {
  const { argv, reply } = ctx;
  reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    reply.bulk(argv[i]!);
    reply.int(map.get(argv[i]!)?.size ?? 0);
  }
}

/** PUBSUB NUMPAT: distinct patterns subscribed by any client. */
function numpat(ctx: Ctx): void {
  ctx.reply.int(ctx.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
];

/** PUBSUB HELP */
function pubsubHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'pubsub', PUBSUB_HELP);
}

const SUB_FLAGS: CommandSpec['flags'] = ['pubsub', 'noscript', 'loading', 'stale'];
const INTROSPECT_FLAGS: CommandSpec['flags'] = ['pubsub', 'loading', 'stale'];
const optPattern: ArgDoc[] = [{ name: 'pattern', type: 'pattern', flags: ['optional'] }];

export const commands: CommandSpec[] = [
  command({
    name: 'subscribe',
    arity: -2,
    flags: SUB_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    summary: 'Listens for messages published to the given channels.',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    args: [{ name: 'channel', type: 'string', flags: ['multiple'] }],
    handler: (ctx) => subscribeGeneric(ctx, 'channel'),
  }),
  command({
    name: 'unsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    summary: 'Stops listening to the given channels, or to all of them.',
    complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
    args: [{ name: 'channel', type: 'string', flags: ['optional', 'multiple'] }],
    handler: (ctx) => unsubscribeGeneric(ctx, 'channel'),
  }),
  command({
    name: 'psubscribe',
    arity: -2,
    flags: SUB_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    summary: 'Listens for messages published to channels matching the given glob patterns.',
    complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
    args: [{ name: 'pattern', type: 'block', flags: ['multiple'], arguments: [{ name: 'pattern', type: 'pattern' }] }],
    handler: (ctx) => subscribeGeneric(ctx, 'pattern'),
  }),
  command({
    name: 'punsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    summary: 'Stops listening to the given patterns, or to all of them.',
    complexity:
      'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
    args: [{ name: 'pattern', type: 'pattern', flags: ['optional', 'multiple'] }],
    handler: (ctx) => unsubscribeGeneric(ctx, 'pattern'),
  }),
  command({
    name: 'publish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    group: 'pubsub',
    since: '2.0.0',
    summary: 'Sends a message to a channel; returns how many clients received it.',
    complexity:
      'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    args: [
      { name: 'channel', type: 'string' },
      { name: 'message', type: 'string' },
    ],
    handler: publish,
  }),
  command({
    name: 'ssubscribe',
    arity: -2,
    flags: SUB_FLAGS,
    keySpecs: [keysFrom(1, NOT_KEY)],
    group: 'pubsub',
    since: '7.0.0',
    summary: 'Listens for messages published to the given shard channels.',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    args: [{ name: 'shardchannel', type: 'string', flags: ['multiple'] }],
    handler: (ctx) => subscribeGeneric(ctx, 'shard'),
  }),
  command({
    name: 'sunsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    keySpecs: [keysFrom(1, NOT_KEY)],
    group: 'pubsub',
    since: '7.0.0',
    summary: 'Stops listening to the given shard channels, or to all of them.',
    complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
    args: [{ name: 'shardchannel', type: 'string', flags: ['optional', 'multiple'] }],
    handler: (ctx) => unsubscribeGeneric(ctx, 'shard'),
  }),
  command({
    name: 'spublish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    keySpecs: [keyAt(1, NOT_KEY)],
    group: 'pubsub',
    since: '7.0.0',
    summary: 'Sends a message to a shard channel; returns how many clients received it.',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    args: [
      { name: 'shardchannel', type: 'string' },
      { name: 'message', type: 'string' },
    ],
    handler: spublish,
  }),
  command({
    name: 'pubsub',
    arity: -2,
    flags: [],
    group: 'pubsub',
    since: '2.8.0',
    summary: 'Inspects the pub/sub state.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'pubsub',
        since: '6.2.0',
        summary: 'Lists the PUBSUB subcommands.',
        complexity: 'O(1)',
        handler: pubsubHelp,
      }),
      command({
        name: 'channels',
        arity: -2,
        flags: INTROSPECT_FLAGS,
        group: 'pubsub',
        since: '2.8.0',
        summary: 'Lists the channels that have subscribers, optionally those matching a pattern.',
        complexity:
          'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)',
        args: optPattern,
        handler: (ctx) => channelsGeneric(ctx, ctx.server.pubsub.channels),
      }),
      command({
        name: 'numsub',
        arity: -2,
        flags: INTROSPECT_FLAGS,
        group: 'pubsub',
        since: '2.8.0',
        summary: 'Returns the number of channel subscribers of each given channel.',
        complexity: 'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
        args: [{ name: 'channel', type: 'string', flags: ['optional', 'multiple'] }],
        handler: (ctx) => numsubGeneric(ctx, ctx.server.pubsub.channels),
      }),
      command({
        name: 'numpat',
        arity: 2,
        flags: INTROSPECT_FLAGS,
        group: 'pubsub',
        since: '2.8.0',
        summary: 'Returns the number of distinct subscribed patterns.',
        complexity: 'O(1)',
        handler: numpat,
      }),
      command({
        name: 'shardchannels',
        arity: -2,
        flags: INTROSPECT_FLAGS,
        group: 'pubsub',
        since: '7.0.0',
        summary: 'Lists the shard channels that have subscribers, optionally those matching a pattern.',
        complexity:
          'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).',
        args: optPattern,
        handler: (ctx) => channelsGeneric(ctx, ctx.server.pubsub.shard),
      }),
      command({
        name: 'shardnumsub',
        arity: -2,
        flags: INTROSPECT_FLAGS,
        group: 'pubsub',
        since: '7.0.0',
        summary: 'Returns the number of subscribers of each given shard channel.',
        complexity: 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
        args: [{ name: 'shardchannel', type: 'string', flags: ['optional', 'multiple'] }],
        handler: (ctx) => numsubGeneric(ctx, ctx.server.pubsub.shard),
      }),
    ],
  }),
];

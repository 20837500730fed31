/**
 * Replication commands: the primary side's REPLCONF, PSYNC and SYNC (a
 * replica attaching: replication/primary.ts), WAIT (replicas'
 * acknowledgements) and ROLE. REPLICAOF and WAITAOF will go here too.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { argInt } from './args.js';
import { mayBlock } from './blocking.js';
import { parseInt64 } from '../util/numbers.js';

const LLONG_MAX = 9223372036854775807n;

/**
 * WAIT's timeout (Redis's getTimeoutFromObjectOrReply in milliseconds): an
 * int64, not negative, that fits once the current time is added; the
 * absolute deadline in ms, or 0 for none.
 */
function msDeadline(ctx: Ctx, arg: string): number {
  const t = parseInt64(arg);
  if (t === null) throw new ReplyError(Err.timeoutNotInteger);
  if (t < 0) throw new ReplyError(Err.timeoutNegative);
  if (t === 0 || t === 0n) return 0;
  const now = ctx.server.now();
  if (BigInt(t) > LLONG_MAX - BigInt(Math.floor(now))) throw new ReplyError(Err.timeoutOutOfRange);
  // (past 2^53 ms the deadline is as good as never)
  return typeof t === 'bigint' ? 0 : t + now;
}

/**
 * WAIT numreplicas timeout: how many replicas acknowledged the client's
 * last write (its woff). Replies at once when that is enough or the client
 * may not block (a script, a transaction: Redis's CLIENT_DENY_BLOCKING);
 * otherwise the client blocks until enough replicas acknowledge (GETACK is
 * sent to them before the turn ends) or the timeout (0: none), then gets
 * the count.
 */
function wait(ctx: Ctx): void {
  const primary = ctx.server.repl.primary;
  const numreplicas = argInt(ctx.argv[1]!);
  const deadline = msDeadline(ctx, ctx.argv[2]!);
  const offset = ctx.client.woff;
  const acked = primary.countAcks(offset);
  if (acked >= numreplicas || !mayBlock(ctx)) return ctx.reply.int(acked);
  primary.blockWait(ctx.client, offset, numreplicas, deadline);
}

/** REPLCONF option value [option value ...] (replicas configuring their link; ACK gets no reply) */
function replconf(ctx: Ctx): void {
  ctx.server.repl.primary.replconf(ctx.client, ctx.argv, ctx.reply);
}

/** PSYNC replicationid offset / SYNC: a replica asks for the stream (replication/primary.ts) */
function sync(ctx: Ctx): void {
  ctx.server.repl.primary.sync(ctx.client, ctx.argv, ctx.reply);
}

/** ROLE */
function role(ctx: Ctx): void {
  // (a replica's answer is the replica side's)
  ctx.server.repl.primary.role(ctx.reply);
}

/** The flags of the commands only replication's own links send. */
const SYNC_FLAGS: CommandSpec['flags'] = ['admin', 'noscript', 'no_async_loading', 'no_multi'];

export const commands: readonly CommandSpec[] = [
  command({
    name: 'wait',
    arity: 3,
    // (Redis 7.2 lets scripts call it; 7.0 flagged it noscript)
    flags: [],
    acl: ['connection'],
    tips: ['request_policy:all_shards', 'response_policy:agg_min'],
    group: 'generic',
    since: '3.0.0',
    summary: 'Waits until the replicas have acknowledged the writes this connection sent before.',
    complexity: 'O(1)',
    args: [
      { name: 'numreplicas', type: 'integer' },
      { name: 'timeout', type: 'integer' },
    ],
    handler: wait,
  }),
  command({
    name: 'replconf',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'],
    group: 'server',
    since: '3.0.0',
    summary: 'Configures a replication link (sent by replicas to their primary).',
    complexity: 'O(1)',
    docFlags: ['syscmd'],
    handler: replconf,
  }),
  command({
    name: 'psync',
    arity: -3,
    flags: SYNC_FLAGS,
    group: 'server',
    since: '2.8.0',
    summary: 'Asks for the replication stream from an offset (sent by replicas).',
    args: [
      { name: 'replicationid', type: 'string' },
      { name: 'offset', type: 'integer' },
    ],
    handler: sync,
  }),
  command({
    name: 'sync',
    arity: 1,
    flags: SYNC_FLAGS,
    group: 'server',
    since: '1.0.0',
    summary: 'Asks for a full copy and the replication stream (the old protocol).',
    handler: sync,
  }),
  command({
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    acl: ['admin', 'dangerous'],
    group: 'server',
    since: '2.8.12',
    summary: 'Returns the replication role of the server.',
    complexity: 'O(1)',
    handler: role,
  }),
];

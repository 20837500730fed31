/**
 * Replication commands as a master without replicas answers them: tsdis
 * does not replicate yet (README "Differences from Redis"), so no replica
 * ever acknowledges anything. REPLICAOF, PSYNC, REPLCONF and WAITAOF will
 * go here.
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
 * writes, which is none. Replies 0 at once when that is enough (numreplicas
 * <= 0) or the client may not block (a script, a transaction: Redis's
 * CLIENT_DENY_BLOCKING); otherwise the client blocks until the timeout (0:
 * until CLIENT UNBLOCK or it disconnects), then gets 0.
 */
function wait(ctx: Ctx): void {
  const numreplicas = argInt(ctx.argv[1]!);
  const deadline = msDeadline(ctx, ctx.argv[2]!);
  const acked = 0;
  if (acked >= numreplicas || !mayBlock(ctx)) return ctx.reply.int(acked);
  ctx.server.blocking.block(
    ctx.client,
    ctx.db,
    [],
    deadline,
    () => false,
    (r) => r.int(acked),
  );
}

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
];

/**
 * Replication commands: the primary side's REPLCONF, PSYNC and SYNC (a
 * replica attaching: replication/primary.ts), REPLICAOF/SLAVEOF (the
 * replica side: replication/replica.ts), WAIT (replicas'
 * acknowledgements), WAITAOF (the local AOF's fsyncs and the replicas'),
 * FAILOVER (failover.ts) and ROLE.
 */
import { command, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { argAtLeast, argInt, is } from './args.js';
import { clientInfoLine, clientType } from '../observability/clientlist.js';
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
  // a replica has no replicas of its own writes to wait for
  if (ctx.server.repl.following) throw new ReplyError(Err.waitOnReplica);
  const primary = ctx.server.repl.primary;
  const numreplicas = argInt(ctx.argv[1]!);
  const deadline = msDeadline(ctx, ctx.argv[2]!);
  const offset = ctx.client.woff;
  const acked = primary.countAcks(offset);
  if (acked >= numreplicas || !mayBlock(ctx)) return ctx.reply.int(acked);
  primary.blockWait(ctx.client, offset, numreplicas, deadline);
}

/**
 * WAITAOF numlocal numreplicas timeout: whether the local AOF (numlocal 0 or
 * 1) and how many replicas' AOFs fsynced the client's last write (its
 * woff): [local, replicas], at once when enough or the client may not
 * block, else when enough or at the timeout. Refused on a replica and, with
 * numlocal 1, while appendonly is off (also to a client blocked when AOF
 * goes off).
 */
function waitaof(ctx: Ctx): void {
  const server = ctx.server;
  const numlocal = argInt(ctx.argv[1]!);
  if (numlocal < 0 || numlocal > 1) throw new ReplyError(Err.rangeZeroOne);
  const numreplicas = argAtLeast(ctx.argv[2]!, 0);
  const deadline = msDeadline(ctx, ctx.argv[3]!);
  if (server.repl.following) throw new ReplyError(Err.waitaofOnReplica);
  if (numlocal > 0 && server.aof.state === 'off') throw new ReplyError(Err.waitaofNoAof);
  const offset = ctx.client.woff;
  const primary = server.repl.primary;
  const local = server.aof.fsyncedReplOffset >= offset ? 1 : 0;
  const replicas = primary.countAofAcks(offset);
  if ((replicas >= numreplicas && local >= numlocal) || !mayBlock(ctx)) {
    ctx.reply.array(2);
    ctx.reply.int(local);
    ctx.reply.int(replicas);
    return;
  }
  primary.blockWait(ctx.client, offset, numreplicas, deadline, numlocal);
}

/** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds] (replication/failover.ts) */
function failover(ctx: Ctx): void {
  ctx.server.repl.failover.command(ctx.argv, ctx.reply);
}

/** REPLCONF option value [option value ...] (replicas configuring their link; ACK gets no reply) */
function replconf(ctx: Ctx): void {
  ctx.server.repl.primary.replconf(ctx.client, ctx.argv, ctx.reply);
}

/** PSYNC replicationid offset / SYNC: a replica asks for the stream (replication/primary.ts) */
function sync(ctx: Ctx): void {
  ctx.server.repl.primary.sync(ctx.client, ctx.argv, ctx.reply);
}

/** The flags of the commands only replication's own links send. */
const SYNC_FLAGS: CommandSpec['flags'] = ['admin', 'noscript', 'no_async_loading', 'no_multi'];

/**
 * REPLICAOF host port | NO ONE (and SLAVEOF): follow a primary, or stop
 * following one (Redis's replicaofCommand). Following the same primary
 * again replies `+OK Already connected to specified master` and changes
 * nothing; clients blocked on keys are unblocked with an error and closed.
 */
function replicaof(ctx: Ctx): void {
  const server = ctx.server;
  if (server.config.v['cluster-enabled']) throw new ReplyError(Err.replicaofInCluster);
  if (server.repl.failover.state !== 'no-failover') throw new ReplyError(Err.replicaofDuringFailover);
  const [, host, portArg] = ctx.argv as [string, string, string];
  const replica = server.replica;
  if (is(host, 'NO') && is(portArg, 'ONE')) {
    if (replica.unsetMaster())
      server.log.notice(`MASTER MODE enabled (user request from '${clientInfoLine(server, ctx.client, ctx.argv)}')`);
    return ctx.reply.ok();
  }
  if (clientType(ctx.client) === 'replica') throw new ReplyError(Err.replicaofByReplica);
  const port = Number(portArg);
  if (!/^-?\d+$/.test(portArg) || !Number.isSafeInteger(port) || port < 0 || port > 65535)
    throw new ReplyError(Err.invalidMasterPort);
  if (replica.host !== null && replica.host.toLowerCase() === host.toLowerCase() && replica.port === port) {
    server.log.notice(
      'REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.',
    );
    return ctx.reply.simple('OK Already connected to specified master');
  }
  server.blocking.failAll(Err.unblockedRoleChange);
  replica.setMaster(host, port);
  server.log.notice(
    `REPLICAOF ${host}:${port} enabled (user request from '${clientInfoLine(server, ctx.client, ctx.argv)}')`,
  );
  ctx.reply.ok();
}

/**
 * ROLE: ["master", offset, [[ip, port, offset] ...]] or, following a
 * primary, ["slave", host, port, state, processed offset] (state: connect,
 * connecting, handshake, sync, connected).
 */
function role(ctx: Ctx): void {
  const server = ctx.server;
  const r = ctx.reply;
  const replica = server.replica;
  if (replica.host === null) return server.repl.primary.role(r);
  r.array(5);
  r.bulk('slave');
  r.bulk(replica.host);
  r.int(replica.port);
  r.bulk(replica.state === 'transfer' ? 'sync' : replica.state);
  r.int(replica.roleOffset);
}

/** REPLICAOF's and SLAVEOF's arguments: host port, or NO ONE. */
const REPLICAOF_ARGS: ArgDoc[] = [
  {
    name: 'args',
    type: 'oneof',
    arguments: [
      {
        name: 'host-port',
        type: 'block',
        arguments: [
          { name: 'host', type: 'string' },
          { name: 'port', type: 'integer' },
        ],
      },
      {
        name: 'no-one',
        type: 'block',
        arguments: [
          { name: 'no', type: 'pure-token', token: 'NO' },
          { name: 'one', type: 'pure-token', token: 'ONE' },
        ],
      },
    ],
  },
];

export const commands: readonly CommandSpec[] = [
  command({
    name: 'replicaof',
    arity: 3,
    flags: ['admin', 'noscript', 'stale', 'no_async_loading'],
    group: 'server',
    since: '5.0.0',
    summary: 'Follows another server as its replica, or (NO ONE) stops following and becomes a primary.',
    complexity: 'O(1)',
    args: REPLICAOF_ARGS,
    handler: replicaof,
  }),
  command({
    name: 'slaveof',
    arity: 3,
    flags: ['admin', 'noscript', 'stale', 'no_async_loading'],
    group: 'server',
    since: '1.0.0',
    summary: 'Follows another server as its replica, or (NO ONE) stops following and becomes a primary.',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '5.0.0',
    replacedBy: '`REPLICAOF`',
    args: REPLICAOF_ARGS,
    handler: replicaof,
  }),
  command({
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    acl: ['admin', 'dangerous'],
    group: 'server',
    since: '2.8.12',
    summary: 'Reports the replication role of the server.',
    complexity: 'O(1)',
    handler: role,
  }),
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
    name: 'failover',
    arity: -1,
    flags: ['admin', 'noscript', 'stale'],
    group: 'server',
    since: '6.2.0',
    summary: 'Starts a coordinated failover from a server to one of its replicas.',
    complexity: 'O(1)',
    args: [
      {
        name: 'target',
        type: 'block',
        token: 'TO',
        flags: ['optional'],
        arguments: [
          { name: 'host', type: 'string' },
          { name: 'port', type: 'integer' },
          { name: 'force', type: 'pure-token', token: 'FORCE', flags: ['optional'] },
        ],
      },
      { name: 'abort', type: 'pure-token', token: 'ABORT', flags: ['optional'] },
      { name: 'milliseconds', type: 'integer', token: 'TIMEOUT', flags: ['optional'] },
    ],
    handler: failover,
  }),
  command({
    name: 'waitaof',
    arity: 4,
    flags: ['noscript'],
    acl: ['connection'],
    tips: ['request_policy:all_shards', 'response_policy:agg_min'],
    group: 'generic',
    since: '7.2.0',
    summary:
      'Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.',
    complexity: 'O(1)',
    args: [
      { name: 'numlocal', type: 'integer' },
      { name: 'numreplicas', type: 'integer' },
      { name: 'timeout', type: 'integer' },
    ],
    handler: waitaof,
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
];

/**
 * Transactions: MULTI EXEC DISCARD WATCH UNWATCH. Queueing itself is the
 * dispatcher's (a client in MULTI gets QUEUED for every other command, and a
 * command refused while queueing makes EXEC abort); the WATCH registry is
 * server/multi.ts. EXEC runs the queue through the dispatcher's call(), so
 * each command is counted, timed and shown to MONITOR as if sent alone, and
 * nothing else runs in between: the event loop does not turn during EXEC.
 */
import { command, keysFrom, READ_META, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { call } from '../server/dispatcher.js';
import { discardTransaction } from '../server/multi.js';
import { ACL_OK, DENIED_CMD, DENIED_KEY } from '../acl/user.js';

/** MULTI */
function multi(ctx: Ctx): void {
  const c = ctx.client;
  if (c.multiQueue !== null) throw new ReplyError(Err.multiNested);
  c.multiQueue = [];
  c.multiMem = 0;
  c.multiError = false;
  ctx.reply.ok();
}

/** EXEC: runs the queue and replies an array of its replies; null when a WATCHed key changed. */
function exec(ctx: Ctx): void {
  const { client: c, server, reply } = ctx;
  const queue = c.multiQueue;
  if (queue === null) throw new ReplyError(Err.execWithoutMulti);
  if (c.multiError) {
    discardTransaction(c, server.watches);
    throw new ReplyError(Err.execAbort);
  }
  if (c.dirtyCas || server.watches.expiredSinceWatch(c)) {
    discardTransaction(c, server.watches);
    reply.nullArray();
    return;
  }
  // Unwatch first: the transaction's own writes must not mark it dirty.
  discardTransaction(c, server.watches);
  // Each queued command propagates itself; all of them end up in one MULTI/EXEC.
  ctx.replayAs([]);
  reply.array(queue.length);
  c.inExec = true;
  try {
    for (const q of queue) {
      // ACL rules are checked again: they may have changed since the command was queued
      if (!c.user.unrestricted && execDenied(ctx, q.cmd, q.parent, q.argv)) continue;
      call(server, c, q.cmd, q.argv, q.parent);
    }
  } finally {
    c.inExec = false;
  }
}

/**
 * A queued command the client's user may no longer run (Redis's execCommand
 * check): logged (context multi) and answered with the NOPERM text naming why.
 */
function execDenied(ctx: Ctx, cmd: CommandSpec, parent: CommandSpec | undefined, argv: string[]): boolean {
  const acl = ctx.server.acl;
  const res = acl.check(ctx.client.user, cmd, parent, argv);
  if (res === ACL_OK) return false;
  const at = acl.deniedAt;
  ctx.client.lastCmd = 'exec'; // the log's client-info names EXEC, as in Redis
  acl.addLog(
    ctx.client,
    res,
    'multi',
    res === DENIED_CMD ? (parent ? `${parent.name}|${cmd.name}` : cmd.name) : argv[at]!,
    null,
    argv,
  );
  const reason =
    res === DENIED_CMD
      ? 'no permission to execute the command or subcommand'
      : res === DENIED_KEY
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  ctx.reply.error(Err.aclExecChanged(reason));
  return true;
}

/** DISCARD */
function discard(ctx: Ctx): void {
  const c = ctx.client;
  if (c.multiQueue === null) throw new ReplyError(Err.discardWithoutMulti);
  discardTransaction(c, ctx.server.watches);
  ctx.reply.ok();
}

/** WATCH key [key ...] */
function watch(ctx: Ctx): void {
  const c = ctx.client;
  if (c.multiQueue !== null) throw new ReplyError(Err.watchInMulti);
  // A client whose watched key already changed stays dirty until EXEC/DISCARD/UNWATCH.
  if (!c.dirtyCas) for (let i = 1; i < ctx.argv.length; i++) ctx.server.watches.watch(c, c.db, ctx.argv[i]!);
  ctx.reply.ok();
}

/** UNWATCH */
function unwatch(ctx: Ctx): void {
  const c = ctx.client;
  ctx.server.watches.unwatchAll(c);
  c.dirtyCas = false;
  ctx.reply.ok();
}

const TX = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

export const commands: CommandSpec[] = [
  command({
    name: 'multi',
    arity: 1,
    flags: [...TX],
    acl: ['transaction'],
    group: 'transactions',
    since: '1.2.0',
    summary: 'Starts a transaction: later commands are queued until EXEC or DISCARD.',
    complexity: 'O(1)',
    handler: multi,
  }),
  command({
    name: 'exec',
    mayNeedVm: true,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    acl: ['transaction'],
    group: 'transactions',
    since: '1.2.0',
    summary: 'Runs the queued commands of a transaction at once.',
    complexity: 'Depends on commands in the transaction',
    handler: exec,
  }),
  command({
    name: 'discard',
    arity: 1,
    flags: [...TX],
    acl: ['transaction'],
    group: 'transactions',
    since: '2.0.0',
    summary: 'Drops the queued commands of a transaction.',
    complexity: 'O(N), when N is the number of queued commands',
    handler: discard,
  }),
  command({
    name: 'watch',
    arity: -2,
    flags: [...TX],
    acl: ['transaction'],
    keySpecs: [keysFrom(1, READ_META)],
    group: 'transactions',
    since: '2.2.0',
    summary: 'Watches keys: the next EXEC fails if any of them changes first.',
    complexity: 'O(1) for every key.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: watch,
  }),
  command({
    name: 'unwatch',
    arity: 1,
    flags: [...TX],
    acl: ['transaction'],
    group: 'transactions',
    since: '2.2.0',
    summary: 'Forgets every key watched by this connection.',
    complexity: 'O(1)',
    handler: unwatch,
  }),
];

/**
 * BGREWRITEAOF. The AOF itself is persistence/aof.ts; a rewrite opens a new
 * incremental file, writes the dataset as the new base in the background
 * and switches the manifest (no write arriving meanwhile can be lost).
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { persist } from '../persistence/snapshot.js';

/**
 * BGREWRITEAOF
 *
 * As Redis's bgrewriteaofCommand: refused while a rewrite runs; scheduled
 * (for the cron) while a BGSAVE holds the background slot or inside
 * MULTI/EXEC, resetting the failure count so that the retry limit does not
 * hold it back; else started. Works with appendonly no too (a base alone).
 */
function bgrewriteaof(ctx: Ctx): void {
  const { server, reply } = ctx;
  const aof = server.aof;
  if (aof.rewriting) throw new ReplyError(Err.aofRewriteInProgress);
  if (persist(server).bgsave !== null || ctx.client.inExec) {
    aof.rewriteScheduled = true;
    aof.consecutiveFailures = 0;
    return reply.simple('Background append only file rewriting scheduled');
  }
  if (!aof.rewriteBackground()) throw new ReplyError(Err.aofRewriteFailed);
  reply.simple('Background append only file rewriting started');
}

export const commands: CommandSpec[] = [
  command({
    name: 'bgrewriteaof',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    group: 'server',
    since: '1.0.0',
    summary: 'Rewrites the append-only file so it holds the current dataset compactly.',
    complexity: 'O(1)',
    handler: bgrewriteaof,
  }),
];

/**
 * BGREWRITEAOF. The AOF itself is persistence/aof.ts; a rewrite starts a new
 * incremental file, writes the dataset as the new base and switches the
 * manifest (no write arriving meanwhile can be lost). Inside MULTI/EXEC it is
 * scheduled for the next cron tick, as Redis does.
 */
import { cfmt } from '../util/strings.js';
import { command, type CommandSpec, type Ctx } from './spec.js';
import { ReplyError } from '../protocol/errors.js';
import { Aof } from '../persistence/aof.js';

/** BGREWRITEAOF */
function bgrewriteaof(ctx: Ctx): void {
  const server = ctx.server;
  if (ctx.client.inExec && server.aof !== null) {
    server.aof.rewriteScheduled = true;
    ctx.reply.simple('Background append only file rewriting scheduled');
    return;
  }
  if (server.aof !== null && server.aof.rewriting) throw new ReplyError('ERR Background append only file rewriting already in progress');
  try {
    if (server.aof !== null) {
      if (!server.aof.rewriteBackground()) {
        // a BGSAVE holds the snapshot machinery: the cron starts it afterwards
        server.aof.rewriteScheduled = true;
        ctx.reply.simple('Background append only file rewriting scheduled');
        return;
      }
    } else {
      // AOF off: the files are written (a base of the current data) but not kept open.
      const aof = new Aof(server);
      aof.openFresh();
      aof.close();
    }
  } catch (e) {
    if (server.aof !== null) server.aof.lastRewriteStatus = 'err';
    throw new ReplyError(cfmt`ERR Can't rewrite append only file: ${(e as Error).message}`);
  }
  ctx.reply.simple('Background append only file rewriting started');
}

export const commands: CommandSpec[] = [
  command({ name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript', 'no_async_loading'], acl: [], group: 'server', since: '1.0.0', summary: 'Rewrites the append-only file so it holds the current dataset compactly.', complexity: 'O(1)', handler: bgrewriteaof }),
];

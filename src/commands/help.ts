/** The HELP subcommand reply every container command shares. */
import type { Reply } from '../protocol/writer.js';

/**
 * A HELP reply as Redis builds it: a header line naming the command, the
 * given lines, then the HELP entry; each line a status reply.
 */
export function helpReply(reply: Reply, cmd: string, lines: readonly string[]): void {
  reply.array(lines.length + 3);
  reply.simple(`${cmd.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) reply.simple(l);
  reply.simple('HELP');
  reply.simple('    Prints this help.');
}

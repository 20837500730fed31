/**
 * MONITOR: every command a client runs, as one status line per command, sent
 * to each monitoring client after the command has run (the dispatcher's call()
 * feeds it, so the commands EXEC runs appear one by one, between MULTI and
 * EXEC, as in Redis 7). Commands flagged `admin` or `skip_monitor` are never
 * shown; commands refused before running (unknown, arity, NOAUTH) neither.
 *
 * A line: `+<unix seconds>.<microseconds> [<db> <addr>] "arg" "arg"...`, the
 * db being the client's after the command (SELECT 1 shows db 1). Arguments
 * are quoted and escaped as Redis's sdscatrepr does: \\ \" \n \r \t \a \b,
 * other bytes outside 0x20..0x7e as \xHH. The addr is `ip:port`, or
 * `unix:<unixsocket path>` for a unix socket client (and `lua` for scripts,
 * once scripting exists). Secrets are redacted as in the slowlog.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from './client.js';
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import { redactArgs } from '../observability/slowlog.js';
import { repr } from '../util/strings.js';

export class Monitors implements Subsystem {
  /** Monitoring clients in the order they ran MONITOR. */
  readonly clients = new Set<Client>();

  constructor(private readonly server: Server) {}

  /** Subsystem: a freed or RESET client stops monitoring. */
  clientFreed(c: Client): void {
    this.remove(c);
  }
  clientReset(c: Client): void {
    this.remove(c);
  }

  /** MONITOR: starts monitoring; false when the client already is a monitor. */
  add(c: Client): boolean {
    if (c.monitor) return false;
    c.monitor = true;
    c.slave = true;
    this.clients.add(c);
    return true;
  }

  remove(c: Client): void {
    if (!c.monitor) return;
    c.monitor = false;
    c.slave = c.replica !== null;
    this.clients.delete(c);
  }

  /** Sends one executed command to every monitor (called by call() only when there are monitors). */
  feed(client: Client, argv: string[]): void {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const sec = Math.floor(us / 1e6);
    const frac = String(us - sec * 1e6).padStart(6, '0');
    let where: string;
    if (client.kind === 'unix') where = `unix:${this.server.config.v['unixsocket']}`;
    else if (client.kind === 'internal')
      where = client.luaScript ? 'lua' : 'internal'; // scripts' commands, or the in-process call() client
    else where = client.addr;
    let line = `+${sec}.${frac} [${client.db.id} ${where}]`;
    for (const a of monitorArgs(argv)) line += ' ' + repr(a);
    line += '\r\n';
    for (const m of this.clients) {
      if (m.closed) continue;
      m.reply.out += line;
      this.server.beforeSleep.queue(m);
    }
  }
}

/**
 * argv as MONITOR shows it: the slowlog's redaction, except where Redis
 * replies an error before redacting (AUTH with more than two arguments,
 * HELLO with a bad protocol version), which it shows as sent.
 */
export function monitorArgs(argv: string[]): string[] {
  const name = argv[0]!.toLowerCase();
  if (name === 'auth' && argv.length > 3) return argv;
  if (name === 'hello' && argv.length >= 2) {
    const v = argv[1]!;
    if (!/^-?\d+$/.test(v) || (Number(v) !== 2 && Number(v) !== 3)) return argv;
  }
  return redactArgs(argv);
}

/**
 * The replica's handshake with its primary, from PING to the reply to PSYNC
 * (Redis's syncWithMaster and slaveTryPartialResynchronization), one reply
 * line at a time, with Redis's log lines. It sends what Redis sends:
 * PING; then, pipelined, AUTH [masteruser] masterauth, REPLCONF
 * listening-port, REPLCONF ip-address (replica-announce-ip set), REPLCONF
 * capa eof capa psync2; then PSYNC with the cached primary's id and next
 * offset, or `PSYNC ? -1`. What follows the reply is replica.ts's.
 */
import type { Server } from '../server/server.js';
import { Err } from '../protocol/errors.js';
import { MARK_LEN } from './replica-payload.js';

/** Where the handshake ended, or that it goes on. */
export type HandshakeStep =
  | { kind: 'wait' }
  /** The attempt ends (logged); the cron tries again. */
  | { kind: 'fail' }
  /** +FULLRESYNC: the payload comes next (`replid` '' when the reply was malformed). */
  | { kind: 'fullresync'; replid: string; offset: number }
  /** +CONTINUE, with the primary's new replication id or ''. */
  | { kind: 'continue'; replid: string }
  /** The primary does not know PSYNC: SYNC was sent, the payload comes next. */
  | { kind: 'sync' };

const WAIT: HandshakeStep = { kind: 'wait' };
const FAIL: HandshakeStep = { kind: 'fail' };

export class Handshake {
  private phase: 'ping' | 'auth' | 'port' | 'ip' | 'capa' | 'psync' = 'ping';

  constructor(
    private readonly server: Server,
    /** Writes a command (or, for SYNC, inline bytes) to the primary. */
    private readonly send: (argv: readonly string[] | string) => void,
    /** The cached primary to continue: its id and processed offset. */
    private readonly cached: { readonly replid: string; readonly reploff: number } | null,
  ) {}

  /** The connection is up: PING. */
  start(): void {
    this.server.log.notice('Non blocking connect for SYNC fired the event.');
    this.send(['PING']);
  }

  /** One line from the primary ('' for a bare newline). */
  line(line: string): HandshakeStep {
    const log = this.server.log;
    switch (this.phase) {
      case 'ping':
        // a PONG, or an error saying authentication is needed first
        if (
          !line.startsWith('+') &&
          !line.startsWith('-NOAUTH') &&
          !line.startsWith('-NOPERM') &&
          !line.startsWith(`-${Err.operationNotPermitted}`)
        ) {
          log.warning(`Error reply to PING from master: '${line}'`);
          return FAIL;
        }
        log.notice('Master replied to PING, replication can continue...');
        this.sendHandshake();
        return WAIT;
      case 'auth':
        if (line.startsWith('-')) {
          log.warning(`Unable to AUTH to MASTER: ${line}`);
          return FAIL;
        }
        this.phase = 'port';
        return WAIT;
      case 'port':
        if (line.startsWith('-'))
          log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
        this.phase = this.server.config.v['replica-announce-ip'] !== '' ? 'ip' : 'capa';
        return WAIT;
      case 'ip':
        if (line.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${line}`);
        this.phase = 'capa';
        return WAIT;
      case 'capa':
        if (line.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
        this.sendPsync();
        return WAIT;
      case 'psync':
        // (the primary may send newlines before its reply, to keep the link alive)
        return line === '' ? WAIT : this.psyncReply(line);
    }
  }

  /** After the PONG: AUTH, REPLCONF listening-port, [ip-address] and capa, pipelined as Redis sends them. */
  private sendHandshake(): void {
    const v = this.server.config.v;
    const auth = v['masterauth'];
    if (auth !== '') this.send(v['masteruser'] !== '' ? ['AUTH', v['masteruser'], auth] : ['AUTH', auth]);
    // (over TLS, the TLS port: the port its own replicas would connect to, as Redis announces it)
    const port = v['replica-announce-port'] || (v['tls-replication'] && v['tls-port'] ? v['tls-port'] : v['port']);
    this.send(['REPLCONF', 'listening-port', String(port)]);
    if (v['replica-announce-ip'] !== '') this.send(['REPLCONF', 'ip-address', v['replica-announce-ip']]);
    this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    this.phase = auth !== '' ? 'auth' : 'port';
  }

  /** PSYNC with the cached primary's id and next offset, or `PSYNC ? -1`. */
  private sendPsync(): void {
    const log = this.server.log;
    const c = this.cached;
    if (c !== null) {
      log.notice(`Trying a partial resynchronization (request ${c.replid}:${c.reploff + 1}).`);
      this.send(['PSYNC', c.replid, String(c.reploff + 1), ...this.failoverArg()]);
    } else {
      log.notice('Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1', ...this.failoverArg()]);
    }
    this.phase = 'psync';
  }

  /** A primary handing over (FAILOVER) asks its target to take the role: PSYNC's extra argument. */
  private failoverArg(): string[] {
    return this.server.repl.failover.state === 'failover-in-progress' ? ['FAILOVER'] : [];
  }

  /** The reply to PSYNC. */
  private psyncReply(reply: string): HandshakeStep {
    const log = this.server.log;
    if (reply.startsWith('+FULLRESYNC')) {
      const m = /^\+FULLRESYNC ([^ ]*) (.*)$/.exec(reply);
      if (m === null || m[1]!.length !== MARK_LEN) {
        log.warning('Master replied with wrong +FULLRESYNC syntax.');
        return { kind: 'fullresync', replid: '', offset: -1 };
      }
      const offset = Number.parseInt(m[2]!, 10) || 0;
      log.notice(`Full resync from master: ${m[1]!}:${offset}`);
      return { kind: 'fullresync', replid: m[1]!, offset };
    }
    if (reply.startsWith('+CONTINUE')) {
      log.notice('Successful partial resynchronization with master.');
      const id = reply.slice(10).trim();
      return { kind: 'continue', replid: id.length === MARK_LEN ? id : '' };
    }
    if (reply.startsWith('-NOMASTERLINK') || reply.startsWith('-LOADING')) {
      log.notice(`Master is currently unable to PSYNC but should be in the future: ${reply}`);
      return FAIL;
    }
    if (!reply.startsWith('-ERR')) log.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    else log.notice(`Master does not support PSYNC or is in error state (reply: ${reply})`);
    // a failover's target refused the handover: no SYNC, the failover is aborted (replica.ts)
    if (this.failoverArg().length !== 0) return FAIL;
    log.notice('Retrying with SYNC...');
    this.send('SYNC\r\n');
    return { kind: 'sync' };
  }
}

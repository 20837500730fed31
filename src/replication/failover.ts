/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: a coordinated
 * switch of roles between this primary and one of its replicas (Redis
 * 6.2+'s failoverCommand, replication.c):
 *
 *   no-failover ─FAILOVER─► waiting-for-sync: client writes paused; each
 *     turn, a replica (the named one, or any) whose ACK reached
 *     master_repl_offset is the target
 *   ─► failover-in-progress: this server follows the target, whose
 *     handshake sends `PSYNC <replid> <offset> FAILOVER`: the target
 *     promotes itself and continues this server's history (+CONTINUE)
 *   ─► no-failover, writes resumed (a refused PSYNC, a timeout without
 *     FORCE or FAILOVER ABORT: back to primary, no-failover).
 *
 * The replica half (a PSYNC FAILOVER received by a replica) is in
 * primary.ts's sync(); the PSYNC's FAILOVER argument and the outcome of
 * its reply in replica.ts.
 */
import type { Server } from '../server/server.js';
import type { Reply } from '../protocol/writer.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { peerIp, type ReplicaLink } from './link.js';

export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

export class Failover {
  state: FailoverState = 'no-failover';
  private host: string | null = null;
  private port = 0;
  /** When waiting ends (ms, server clock; 0: never). */
  private end = 0;
  private force = false;

  constructor(private readonly server: Server) {}

  /** FAILOVER's handler (commands/replication.ts). */
  command(argv: string[], reply: Reply): void {
    const server = this.server;
    if (server.config.v['cluster-enabled']) throw new ReplyError(Err.failoverInCluster);
    if (argv.length === 2 && argv[1]!.toLowerCase() === 'abort') {
      if (this.state === 'no-failover') throw new ReplyError(Err.failoverNone);
      this.abort('Failover manually aborted');
      return reply.ok();
    }
    let timeout = 0;
    let force = false;
    let host: string | null = null;
    let port = 0;
    for (let j = 1; j < argv.length; j++) {
      const a = argv[j]!.toLowerCase();
      if (a === 'timeout' && j + 1 < argv.length && timeout === 0) {
        const t = parseInt64(argv[j + 1]!);
        if (t === null) throw new ReplyError(Err.notInteger);
        if (t <= 0) throw new ReplyError(Err.failoverTimeout);
        timeout = Number(t);
        j++;
      } else if (a === 'to' && j + 2 < argv.length && host === null) {
        const p = parseInt64(argv[j + 2]!);
        if (p === null) throw new ReplyError(Err.notInteger);
        port = Number(p);
        host = argv[j + 1]!;
        j += 2;
      } else if (a === 'force' && !force) {
        force = true;
      } else throw new ReplyError(Err.syntax);
    }
    if (this.state !== 'no-failover') throw new ReplyError(Err.failoverInProgress);
    if (server.repl.following) throw new ReplyError(Err.failoverOnReplica);
    const primary = server.repl.primary;
    if (primary.replicas.length === 0) throw new ReplyError(Err.failoverNoReplicas);
    if (force && (timeout === 0 || host === null)) throw new ReplyError(Err.failoverForce);
    if (host !== null) {
      const l = this.find(host, port);
      if (l === null) throw new ReplyError(Err.failoverNotReplica);
      if (l.state !== 'online') throw new ReplyError(Err.failoverNotOnline);
      this.host = host;
      this.port = port;
      server.log.notice(`FAILOVER requested to ${host}:${port}.`);
    } else server.log.notice('FAILOVER requested to any replica.');
    this.end = timeout === 0 ? 0 : server.now() + timeout;
    this.force = force;
    this.state = 'waiting-for-sync';
    server.pause.holdWrites('failover', true);
    reply.ok();
  }

  /** The replica of host:port as it announced itself (Redis's findReplica). */
  private find(host: string, port: number): ReplicaLink | null {
    for (const l of this.server.repl.primary.replicas) {
      const ip = l.ipAddress ?? peerIp(l.client);
      if (ip.toLowerCase() === host.toLowerCase() && l.listeningPort === port) return l;
    }
    return null;
  }

  /**
   * While waiting for sync (beforeSleep and cron: Redis's
   * updateFailoverStatus): the timeout (with FORCE: fail over anyway), else
   * a caught-up target starts the switch.
   */
  update(): void {
    if (this.state !== 'waiting-for-sync') return;
    const server = this.server;
    if (this.end !== 0 && this.end <= server.now()) {
      if (!this.force) return this.abort('Replica never caught up before timeout');
      server.log.notice(`FAILOVER to ${this.host}:${this.port} time out exceeded, failing over.`);
      return this.start();
    }
    const offset = server.repl.offset;
    let target: ReplicaLink | null = null;
    if (this.host !== null) target = this.find(this.host, this.port);
    else {
      for (const l of server.repl.primary.replicas) {
        if (l.ackOff !== offset) continue;
        const ip = l.ipAddress ?? peerIp(l.client);
        if (ip === '') continue;
        this.host = ip;
        this.port = l.listeningPort;
        target = l;
        break;
      }
    }
    if (target === null || target.ackOff !== offset) return;
    server.log.notice(`Failover target ${this.host}:${this.port} is synced, failing over.`);
    this.start();
  }

  /** failover-in-progress: follow the target, whose PSYNC carries FAILOVER. */
  private start(): void {
    this.state = 'failover-in-progress';
    // clients blocked on this primary (WAIT, BLPOP) are released, as by REPLICAOF
    this.server.blocking.failAll(Err.unblockedRoleChange);
    this.server.replica.setMaster(this.host!, this.port);
  }

  /** The target answered the PSYNC FAILOVER: done (accepted) or aborted (refused). */
  psyncDone(accepted: boolean): void {
    if (this.state !== 'failover-in-progress') return;
    if (accepted) this.clear();
    else this.abort('Failover target rejected psync request');
  }

  /** Ends a failover (Redis's abortFailover): a switch under way is undone, writes resume. */
  abort(why: string): void {
    if (this.state === 'no-failover') return;
    const server = this.server;
    if (this.host !== null) server.log.notice(`FAILOVER to ${this.host}:${this.port} aborted: ${why}`);
    else server.log.notice(`FAILOVER to any replica aborted: ${why}`);
    if (this.state === 'failover-in-progress') server.replica.unsetMaster();
    this.clear();
  }

  private clear(): void {
    this.state = 'no-failover';
    this.host = null;
    this.port = 0;
    this.end = 0;
    this.force = false;
    this.server.pause.holdWrites('failover', false);
  }
}

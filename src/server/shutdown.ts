/**
 * The shutdown sequence (Redis 7.2's prepareForShutdown, isReadyToShutdown,
 * finishShutdown, abortShutdown), for the SHUTDOWN command and for
 * SIGTERM/SIGINT (taken by the cron, as Redis's shutdown_asap).
 *
 * A primary whose replicas have not all acknowledged its offset does not
 * stop at once (unless NOW, or shutdown-timeout 0): it asks them for an ACK
 * (REPLCONF GETACK), holds client writes (Redis's PAUSE_DURING_SHUTDOWN: the
 * writers are postponed, as under CLIENT PAUSE WRITE) and waits until every
 * replica acknowledged the offset or shutdown-timeout seconds passed, checked
 * each cron tick; INFO server shows `shutdown_in_milliseconds` meanwhile. The
 * SHUTDOWN callers stay blocked. Then the lagging replicas are logged, the
 * persistence half runs (commands/persistence.ts shutdownPersistence) and
 * the server closes; if that half fails (a save that cannot be written, the
 * first AOF rewrite running) or SHUTDOWN ABORT comes, the shutdown is
 * cancelled: every blocked SHUTDOWN gets `ERR Errors trying to SHUTDOWN.
 * Check logs.` and writes resume.
 *
 * Completion is the 'shutdown' event (the CLI, serve.ts, logs its last lines
 * and exits) and Server.close() for an embedded server. Callers:
 * commands/server.ts (SHUTDOWN), server/cron.ts (tick), observability/info.ts.
 */
import type { Server } from './server.js';
import type { Client } from './client.js';
import { Err } from '../protocol/errors.js';
import { shutdownPersistence } from '../commands/persistence.js';
import { stateName } from '../replication/link.js';

/** SHUTDOWN's modifiers (and those shutdown-on-sigterm / -sigint give a signal's shutdown). */
export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  now: boolean;
  force: boolean;
}

/** What a shutdown request came to: done (the server is closing), waiting for replicas, or failed (cancelled, logged). */
export type ShutdownOutcome = 'done' | 'waiting' | 'failed';

export class Shutdown {
  /** When the wait for replicas ends (ms, server clock); 0: no shutdown initiated (Redis's shutdown_mstime). */
  deadline = 0;
  private flags: ShutdownFlags = { save: false, nosave: false, now: false, force: false };
  /** The SHUTDOWN callers blocked until the shutdown ends or is cancelled (the tag is their wait's). */
  private readonly blocked: Client[] = [];
  private readonly tag = {};

  constructor(private readonly server: Server) {}

  /** Whether a shutdown waits for replicas (Redis's isShutdownInitiated). */
  get initiated(): boolean {
    return this.deadline !== 0;
  }

  /**
   * Starts a shutdown (Redis's prepareForShutdown): 'waiting' when one is
   * already under way or replicas lag (then writes are held and the cron
   * finishes it), else the persistence half runs at once ('done': the
   * server is closing, or 'failed'). Loading forces NOSAVE: a half-loaded
   * dataset is never saved.
   */
  request(flags: ShutdownFlags): ShutdownOutcome {
    if (this.initiated) return 'waiting';
    const server = this.server;
    this.flags = server.loading ? { ...flags, save: false, nosave: true } : { ...flags };
    server.log.notice('User requested shutdown...');
    if (!flags.now && server.config.v['shutdown-timeout'] !== 0 && !this.replicasInSync()) {
      this.deadline = server.clock() + server.config.v['shutdown-timeout'] * 1000;
      // (not while a CLIENT PAUSE or FAILOVER already holds writes: Redis's PAUSE_ACTION_REPLICA)
      if (server.pause.mode === 0) server.repl.primary.sendGetAck();
      server.pause.holdWrites('shutdown', true);
      server.log.notice('Waiting for replicas before shutting down.');
      return 'waiting';
    }
    return this.finish() ? 'done' : 'failed';
  }

  /**
   * Blocks a SHUTDOWN caller until the shutdown completes (it gets no reply:
   * the connection closes) or is cancelled (it gets the error).
   */
  block(c: Client): void {
    this.blocked.push(c);
    this.server.blocking.block(
      c,
      c.db,
      [],
      0,
      () => false,
      // (CLIENT UNBLOCK: the caller gives up waiting as it would on a failure)
      (r) => {
        this.forget(c);
        r.error(Err.shutdownFailed);
      },
      false,
      this.tag,
    );
  }

  /**
   * SHUTDOWN ABORT (Redis's abortShutdown): cancels a shutdown waiting for
   * replicas, or a signal's not yet taken by the cron. False when neither.
   */
  abort(): boolean {
    const server = this.server;
    if (this.initiated) this.cancel();
    else if (server.shutdownAsap !== null) server.shutdownAsap = null;
    else return false;
    server.log.notice('Shutdown manually aborted.');
    return true;
  }

  /**
   * The cron's part (serverCron): a signal received starts a shutdown with
   * the flags of shutdown-on-sigterm / -sigint; one waiting for replicas
   * finishes once they all acknowledged or its time is up.
   */
  tick(): void {
    const server = this.server;
    if (server.shutdownAsap !== null && !this.initiated) {
      const sig = server.shutdownAsap;
      // shutdown-on-sigterm / -sigint: default (0), or save|nosave, now, force (bits 1, 2, 4, 8)
      const f = Number(server.config.v[sig === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm']);
      const outcome = this.request({
        save: (f & 1) !== 0,
        nosave: (f & 2) !== 0,
        now: (f & 4) !== 0,
        force: (f & 8) !== 0,
      });
      // (failed: cancelled, the signal forgotten, the server runs on)
      if (outcome !== 'waiting') server.shutdownAsap = null;
    } else if (this.initiated) {
      if (server.clock() >= this.deadline || this.replicasInSync()) this.finish();
    }
  }

  /** INFO server's `shutdown_in_milliseconds` while waiting for replicas, else null. */
  remainingMs(): number | null {
    return this.initiated ? this.deadline - this.server.clock() : null;
  }

  /** Whether every replica acknowledged this server's offset (Redis's isReadyToShutdown). */
  private replicasInSync(): boolean {
    const offset = this.server.repl.offset;
    for (const l of this.server.repl.primary.replicas) if (l.ackOff !== offset) return false;
    return true;
  }

  /**
   * The last step (Redis's finishShutdown): each lagging replica logged, how
   * many are in sync, then the persistence half; on success the server
   * closes ('shutdown' first, for the CLI), else the shutdown is cancelled.
   */
  private finish(): boolean {
    const server = this.server;
    const repl = server.repl;
    const replicas = repl.primary.replicas;
    let lagging = 0;
    const now = Math.floor(server.clock() / 1000);
    for (const l of replicas) {
      if (l.ackOff === repl.offset) continue;
      lagging++;
      const lag = l.state === 'online' ? now - Math.floor(l.ackTime / 1000) : 0;
      server.log.notice(
        `Lagging replica ${repl.primary.name(l)} reported offset ${repl.offset - l.ackOff} behind master, lag=${lag}, state=${stateName(l.state)}.`,
      );
    }
    if (replicas.length > 0)
      server.log.notice(`${replicas.length - lagging} of ${replicas.length} replicas are in sync when shutting down.`);
    if (!shutdownPersistence(server, this.flags)) {
      server.log.warning('Errors trying to shut down the server. Check the logs for more information.');
      this.cancel();
      return false;
    }
    const flags = this.flags;
    // the blocked callers get no reply: their connections close with the server
    this.blocked.length = 0;
    // The CLI listens for 'shutdown': it logs, closes, removes its pid file and exits.
    server.emit('shutdown', flags);
    if (!server.closing) void server.close();
    return true;
  }

  /** Ends a shutdown that will not happen (Redis's cancelShutdown): blocked callers get the error, writes resume. */
  private cancel(): void {
    const server = this.server;
    server.shutdownAsap = null;
    this.flags = { save: false, nosave: false, now: false, force: false };
    this.deadline = 0;
    const blocked = this.blocked.splice(0);
    for (const c of blocked) server.blocking.unblockWithError(c, Err.shutdownFailed);
    server.pause.holdWrites('shutdown', false);
  }

  private forget(c: Client): void {
    const i = this.blocked.indexOf(c);
    if (i >= 0) this.blocked.splice(i, 1);
  }
}

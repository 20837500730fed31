/**
 * CLIENT PAUSE / CLIENT UNPAUSE (Redis 7 semantics).
 *
 * A pause has a mode (WRITE or ALL) and an end time. A new pause never
 * weakens the current one: the stricter mode and the later end win. While a
 * pause holds, the dispatcher postpones the commands it covers (after the
 * arity/auth gates, before MULTI queueing, as Redis's processCommand does):
 * the client is marked blocked, so Connections.processInput stops reading its
 * buffered input, and the command's argv is kept. When the pause ends
 * (timeout or UNPAUSE) every postponed client, in the order it was
 * postponed, runs its held command through the full dispatcher and then the
 * rest of its input. Monitors and replicas are never paused. A FAILOVER
 * and a shutdown waiting for lagging replicas hold writes too, each as a
 * separate purpose (holdWrites: Redis's PAUSE_DURING_FAILOVER and
 * PAUSE_DURING_SHUTDOWN): CLIENT UNPAUSE does not end them, and each ends
 * without ending a CLIENT PAUSE or the other.
 *
 * ALL covers every command; WRITE covers commands flagged `write` or
 * `may_replicate` (PUBLISH, PFCOUNT, EVAL…), and EXEC when a queued command
 * is. While paused, keys are not expired: lazy expiry reports them as gone
 * but keeps them (db.ts, through the expirePaused hook) and the active cycle
 * does not run (keyspace/expire.ts).
 */
import type { CommandSpec } from '../commands/spec.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import { callFlags, dispatch } from './dispatcher.js';
import { fullName } from '../commands/registry.js';

export const PAUSE_NONE = 0;
export const PAUSE_WRITE = 1;
export const PAUSE_ALL = 2;

/** The purposes that hold writes besides CLIENT PAUSE (holdWrites). */
export type WriteHold = 'failover' | 'shutdown';

export class ClientPause implements Subsystem {
  /** PAUSE_NONE, PAUSE_WRITE or PAUSE_ALL: read by the dispatcher for every command. */
  mode = PAUSE_NONE;
  /** When the pause ends (ms, server clock). */
  end = 0;
  /** CLIENT PAUSE's own mode (mode also counts a failover's hold). */
  private clientMode = PAUSE_NONE;
  /** Who else holds writes (FAILOVER, a shutdown waiting for replicas) until they let go, whatever CLIENT UNPAUSE does. */
  private readonly writeHolds = new Set<WriteHold>();
  /** Clients holding a postponed command, in arrival order. */
  private held: Client[] = [];
  private readonly argvOf = new Map<Client, string[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly server: Server) {}

  /** Subsystem: a freed client's postponed command is forgotten. */
  clientFreed(c: Client): void {
    this.forget(c);
  }

  /** Subsystem: the server closes: the pause's timer stops. */
  close(): void {
    this.stopTimer();
  }

  /** Number of clients waiting on the pause (counted in INFO blocked_clients). */
  get count(): number {
    return this.held.length;
  }

  /** CLIENT PAUSE: starts or extends the pause (stricter mode, later end). */
  pause(ms: number, mode: number): void {
    const end = this.server.clock() + ms;
    if (mode > this.clientMode) this.clientMode = mode;
    if (mode > this.mode) this.mode = mode;
    if (end > this.end) this.end = end;
    // CLIENT PAUSE 0 (or a pause already over) leaves nothing paused
    if (this.end <= this.server.clock()) return this.unpause();
    this.schedule();
  }

  /** CLIENT UNPAUSE, or the timeout: ends the pause and runs what waited. */
  unpause(): void {
    this.clientMode = PAUSE_NONE;
    this.mode = this.writeHolds.size !== 0 ? PAUSE_WRITE : PAUSE_NONE;
    this.end = 0;
    this.stopTimer();
    if (this.mode !== PAUSE_NONE) return;
    // Run the held commands after the current command (UNPAUSE's own reply first).
    if (this.held.length !== 0) setImmediate(() => this.resume());
  }

  /**
   * A hold on writes for `purpose`: FAILOVER's while it runs
   * (replication/failover.ts), a shutdown's while it waits for lagging
   * replicas (server/shutdown.ts). Off: the writes held run once neither
   * another hold nor a CLIENT PAUSE covers them.
   */
  holdWrites(purpose: WriteHold, on: boolean): void {
    if (on) {
      this.writeHolds.add(purpose);
      if (this.mode < PAUSE_WRITE) this.mode = PAUSE_WRITE;
      return;
    }
    if (!this.writeHolds.delete(purpose)) return;
    if (this.clientMode === PAUSE_NONE) this.unpause();
    else if (this.writeHolds.size === 0) this.mode = this.clientMode;
  }

  /** Whether the command must wait: called by the dispatcher only while mode !== PAUSE_NONE. */
  covers(client: Client, cmd: CommandSpec, argv: string[]): boolean {
    if (client.monitor || client.replica !== null || client.kind === 'internal') return false;
    if (this.mode === PAUSE_ALL) return true;
    const server = this.server;
    return (
      mayWrite(server, cmd, argv) ||
      (cmd.name === 'exec' &&
        client.multiQueue !== null &&
        client.multiQueue.some((q) => mayWrite(server, q.cmd, q.argv)))
    );
  }

  /** Holds a command until the pause ends; the client reads no more input meanwhile. */
  postpone(client: Client, argv: string[], cmd: CommandSpec, parent: CommandSpec | undefined): void {
    client.blocked = true;
    client.lastCmd = fullName(cmd, parent);
    this.held.push(client);
    this.argvOf.set(client, argv);
  }

  /** Whether the client's current command is held by the pause. */
  holds(client: Client): boolean {
    return client.blocked && this.argvOf.has(client);
  }

  /** Whether expiry is suspended (lazy and active). */
  get expirePaused(): boolean {
    return this.mode !== PAUSE_NONE;
  }

  private forget(c: Client): void {
    if (!this.argvOf.delete(c)) return;
    const i = this.held.indexOf(c);
    if (i >= 0) this.held.splice(i, 1);
  }

  /** Re-dispatches each held command in order, then the rest of that client's input. */
  private resume(): void {
    const server = this.server;
    // Each held command goes through the whole dispatcher again: one may
    // start a new pause, which holds the next ones as it would any command.
    const held = this.held;
    this.held = [];
    for (const c of held) {
      const argv = this.argvOf.get(c);
      if (argv === undefined) continue;
      this.argvOf.delete(c);
      c.blocked = false;
      if (c.closed) continue;
      dispatch(server, c, argv);
      if (!c.blocked) server.conns.processInput(c);
      else server.beforeSleep.queue(c);
    }
  }

  private schedule(): void {
    this.stopTimer();
    const wait = Math.max(1, this.end - this.server.clock());
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.mode === PAUSE_NONE) return;
        if (this.server.clock() >= this.end) this.unpause();
        else this.schedule();
      },
      Math.min(wait, 2 ** 31 - 1),
    );
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Calls a WRITE pause holds: writes and those that may replicate (a script by its declared flags). */
function mayWrite(server: Server, cmd: CommandSpec, argv: string[]): boolean {
  const flags = callFlags(server, cmd, argv);
  return flags.includes('write') || flags.includes('may_replicate');
}

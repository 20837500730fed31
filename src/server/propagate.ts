/**
 * The one propagation stream (Redis's alsoPropagate / propagatePendingCommands).
 *
 * Every effect on the dataset that must be replayed elsewhere (the AOF
 * today, a replica's backlog next) passes through here, already rewritten
 * to replay deterministically by its handler (SET EX as SET PXAT, SPOP as
 * SREM: Ctx.replayAs). The dispatcher's call() collects a top-level
 * command's effects (those of EXEC's queue and of a script's commands
 * included) and ends the unit when the command returns (commit): one effect
 * goes out alone, several wrapped in MULTI/EXEC so they replay atomically.
 * Effects made outside a command (active expiry, eviction) go out at once.
 * Sinks take them with feed() and write them in flush(), which the server
 * calls before any reply of the event-loop turn goes out.
 *
 * The same object keeps Redis's dirty counter (changes since the last save:
 * save points, rdb_changes_since_last_save), which decides whether a command
 * replays at all: handlers count through Ctx.dirty or the keyspace API, the
 * snapshot code through saved(). Nothing else writes it.
 *
 * While no sink takes effects (appendonly no), nothing is collected: the
 * per-command cost is one field read.
 */
import type { Server } from './server.js';

/**
 * Where an effect goes (Redis's PROPAGATE_AOF / PROPAGATE_REPL): both, unless
 * a script said otherwise with redis.set_repl (Client.replTarget).
 */
export const PROPAGATE_AOF = 1;
export const PROPAGATE_REPL = 2;
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

/** Where propagated effects go: the AOF (persistence/aof.ts) and the replication stream (replication/replication.ts). */
export interface PropagationSink {
  /** Which effects it takes (PROPAGATE_* bits). */
  readonly target: number;
  /**
   * Whether it takes effects now (the AOF: appendonly on, or waiting for
   * its first rewrite). Re-read when the sink calls Propagator.refresh().
   */
  readonly accepting: boolean;
  /** One effect in database `db` (-1: no database: the MULTI and EXEC around a unit). */
  feed(db: number, argv: readonly string[]): void;
  /** Whether it holds effects fed and not yet written. */
  readonly pending: boolean;
  /** Writes what was fed (before replies go out). */
  flush(): void;
}

export class Propagator {
  /** Some sink takes effects: only then are they collected (refresh()). */
  active = false;
  private changes = 0;
  private readonly sinks: PropagationSink[] = [];
  /** The running unit's effects: database, argv and target (PROPAGATE_*), in order. */
  private dbs: number[] = [];
  private ops: (readonly string[])[] = [];
  private targets: number[] = [];

  constructor(private readonly server: Server) {}

  /** Adds a sink (the server's wiring, once per sink). */
  register(sink: PropagationSink): void {
    this.sinks.push(sink);
    this.refresh();
  }

  /** Re-reads every sink's `accepting` (a sink calls it when that changes). */
  refresh(): void {
    let on = false;
    for (const s of this.sinks) if (s.accepting) on = true;
    this.active = on;
  }

  /** Changes to the dataset since the last save (Redis's server.dirty). */
  get dirty(): number {
    return this.changes;
  }

  /** Counts `n` changes (Ctx.dirty, the keyspace API's hook). */
  dirtied(n: number): void {
    this.changes += n;
  }

  /**
   * A save covered `n` changes (all by default: SAVE, a load; a BGSAVE the
   * count at its start, as changes made meanwhile are not in it).
   */
  saved(n = this.changes): void {
    this.changes -= n;
  }

  /** Puts the counter back to a value read earlier (a SCRIPT DEBUG session undone: scripting/ldb-rollback.ts). */
  restoreDirty(n: number): void {
    this.changes = n;
  }

  /**
   * An effect to replay in database `db`: collected into the running
   * command's unit, or (outside a command: active expiry, eviction) sent on
   * at once as its own unit. Nothing when no sink takes effects.
   */
  propagate(db: number, argv: readonly string[], target = PROPAGATE_ALL): void {
    if (!this.active) return;
    this.dbs.push(db);
    this.ops.push(argv);
    this.targets.push(target);
    if (this.server.current === null) this.commit();
  }

  /**
   * call()'s end of a command that changed the dataset: its replay (`replay`
   * as its handler set it: Ctx.replayAs) or, when unset, its argv, to
   * `target` (a script's redis.set_repl; nothing at all for REPL_NONE).
   */
  command(db: number, replay: string[][] | undefined, argv: string[], target: number): void {
    if (target === 0) return;
    if (replay === undefined) this.propagate(db, argv, target);
    else for (const op of replay) this.propagate(db, op, target);
  }

  /** How many effects the running unit holds (for dropSince). */
  mark(): number {
    return this.ops.length;
  }

  /** Forgets the effects collected since `mark` (a SCRIPT DEBUG YES session's, undone: scripting/ldb-rollback.ts). */
  dropSince(mark: number): void {
    const n = Math.min(this.ops.length, mark);
    this.ops.length = n;
    this.dbs.length = n;
    this.targets.length = n;
  }

  /**
   * Ends the unit: hands its effects to the sinks, wrapped in MULTI/EXEC
   * when there are several (one atomic unit), unless `noWrap` (the lazy
   * expiries of a SCAN or RANDOMKEY run directly, see touchesArbitraryKeys).
   * Called by call() when a top-level command returns and by blocking.ts
   * after serving a waiter.
   */
  commit(noWrap = false): void {
    const ops = this.ops;
    if (ops.length === 0) return;
    const dbs = this.dbs;
    const targets = this.targets;
    this.ops = [];
    this.dbs = [];
    this.targets = [];
    if (!this.active) return;
    // (wrapped when the unit has several effects, whatever their targets: a
    // sink may get a MULTI/EXEC with fewer effects inside, or none, as in Redis)
    const wrap = ops.length > 1 && !noWrap;
    for (const sink of this.sinks) {
      if (!sink.accepting) continue;
      const t = sink.target;
      // Redis 7.2 writes MULTI with no database (7.0: with the first op's): a SELECT goes inside
      if (wrap) sink.feed(-1, MULTI);
      for (let i = 0; i < ops.length; i++) if ((targets[i]! & t) !== 0) sink.feed(dbs[i]!, ops[i]!);
      if (wrap) sink.feed(-1, EXEC);
    }
  }

  /** Whether a sink holds effects not yet written (Connections.writeOut writes them before any reply). */
  get pending(): boolean {
    for (const s of this.sinks) if (s.pending) return true;
    return false;
  }

  /** Every sink writes what it was fed (beforeSleep, before the replies). */
  flush(): void {
    for (const s of this.sinks) s.flush();
  }
}

const MULTI: readonly string[] = ['MULTI'];
const EXEC: readonly string[] = ['EXEC'];

/**
 * serverCron, hz times a second: the server's own housekeeping (a signal's
 * shutdown, the clock's wall offset, instantaneous_* samples, the heap
 * gauge, key-index rehashing), then every subsystem's cron hook in the
 * server's order (Server.subsystems: active expiry, eviction's heap guard,
 * the tracking table limit, clients made ready by expiry, AOF rewrites,
 * script and client memory figures, reply buffer sizing and idle timeouts,
 * client eviction, soft output limits, the idle memory reclaim). Each hook
 * is told hz and whether this is the once-a-second tick (CronTick). Its time
 * counts as a cycle of the event loop (INFO eventloop_*), as Redis's timer
 * events do.
 */
import { performance } from 'node:perf_hooks';
import type { Server } from './server.js';
import type { CronTick } from './subsystem.js';
import { refreshHeapGauge } from './heap.js';
import { forgetRecentHashes } from '../keyspace/key-batch.js';

export class Cron {
  private timer: NodeJS.Timeout | null = null;
  private loops = 0;

  constructor(private readonly server: Server) {}

  /** Whether it runs (listen() starts it). */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts (or restarts, after hz changed) the timer at `hz`. */
  start(): void {
    if (this.timer) clearInterval(this.timer);
    const hz = Math.max(1, Math.min(500, this.server.config.v['hz'] as number));
    this.timer = setInterval(() => this.serverCron(), Math.floor(1000 / hz));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** serverCron, measured: its time counts as a cycle of the event loop (INFO eventloop_*, as Redis's timer events). */
  private serverCron(): void {
    const server = this.server;
    // the watchdog's heartbeat first, as Redis re-arms its timer before anything (DEBUG PAUSE-CRON too)
    server.watchdog.beat();
    server.syncWallClock();
    const t0 = performance.now();
    if (server.debugFlags.pauseCron) return;
    this.tick();
    const us = (performance.now() - t0) * 1000;
    server.stats.loop.cronSum += us;
    server.stats.endCycle(us);
  }

  /**
   * Moves key-index resizes along for up to 1 ms per tick (Redis's
   * databasesCron incrementallyRehash): a resize otherwise advances only
   * with the writes to its dict (KeyIndex), and an idle one keeps two tables.
   */
  private rehashDbs(): void {
    const end = performance.now() + 1;
    for (const db of this.server.dbs) {
      for (const d of [db.dict, db.expires]) {
        while (d.rehashStep(16384) !== 0) if (performance.now() >= end) return;
      }
    }
  }

  private tick(): void {
    const server = this.server;
    this.loops++;
    // a signal's shutdown, or one waiting for replicas (server/shutdown.ts)
    if (server.shutdownAsap !== null || server.shutdown.initiated) server.shutdown.tick();
    const hz = Math.max(1, Math.min(500, server.config.v['hz'] as number));
    // instantaneous_* figures: a sample every 100 ms, as Redis's trackInstantaneousMetric
    if (this.loops % Math.max(1, Math.round(hz / 10)) === 0) server.stats.sampleOps(server.clock());
    // the heap gauge the OOM gate reads (heap.ts): at most one tick old
    refreshHeapGauge();
    this.rehashDbs();
    forgetRecentHashes();
    const tick: CronTick = { hz, second: this.loops % hz === 0 };
    for (const cron of server.hookLists.cron) cron(tick);
  }
}

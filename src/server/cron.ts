/**
 * serverCron, hz times a second: the server's own housekeeping (the clock's
 * wall offset, instantaneous_* samples, the heap gauge, key-index rehashing,
 * the slow expire cycle), then every subsystem's cron hook in the server's
 * order (eviction's heap guard, the tracking table limit, clients made ready
 * by expiry, AOF rewrites), then the clients (reply buffer sizing, and once
 * a second: memory figures, idle timeouts, client eviction, soft output
 * limits), and last the idle memory reclaim. Its time counts as a cycle of
 * the event loop (INFO eventloop_*), as Redis's timer events do.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { activeExpireCycle } from '../keyspace/expire.js';
import { refreshHeapGauge } from './heap.js';
import { outputBufferMemory, resizeReplyBuffer } from '../observability/clientlist.js';
import { noteClient, notePeak, refreshScripts } from '../observability/memory.js';
import { scriptingInfo } from '../scripting/info.js';

export class Cron {
  private timer: NodeJS.Timeout | null = null;
  private loops = 0;
  /** Where the clients cron goes on at its next tick (clientsCron). */
  private clientsAt: IterableIterator<Client> = new Map<number, Client>().values();

  constructor(private readonly server: Server) {}

  /** Whether it runs (listen() starts it). */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts (or restarts, after hz changed) the timer at `hz`. */
  start(): void {
    if (this.timer) clearInterval(this.timer);
    const hz = Math.max(1, Math.min(500, this.server.config.v['hz']));
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
    const t0 = performance.now();
    server.syncWallClock(t0);
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
    if (server.shutdownAsap !== null) {
      const sig = server.shutdownAsap;
      server.shutdownAsap = null;
      server.emit('signalShutdown', sig);
    }
    const hz = Math.max(1, Math.min(500, server.config.v['hz']));
    // instantaneous_* figures: a sample every 100 ms, as Redis's trackInstantaneousMetric
    if (this.loops % Math.max(1, Math.round(hz / 10)) === 0) server.stats.sampleOps(server.clock());
    // the heap gauge the OOM gate reads (heap.ts): at most one tick old
    refreshHeapGauge();
    this.rehashDbs();
    if (server.activeExpireEnabled) activeExpireCycle(server, 1000 / hz);
    for (const s of server.subsystems) s.cron?.();
    this.clientsCron(hz);
    if (this.loops % hz === 0) this.clientsEverySecond();
    // memory back to the system once idle after a big free (last: it may take a while)
    server.reclaim.cron();
  }

  /**
   * Once a second: memory figures (every client's buffers, as sockets drain
   * between its commands; the script caches; the peak: Redis's clientsCron
   * and cronUpdateMemoryStats), idle timeouts, client eviction, and soft
   * output limits of clients that get no more replies.
   */
  private clientsEverySecond(): void {
    const server = this.server;
    const conns = server.conns;
    for (const c of server.clients.values()) noteClient(server, c);
    const si = scriptingInfo(server);
    refreshScripts(server, si.evalBytes, si.functionsBytes);
    notePeak(server);
    const timeout = server.config.v['timeout'] * 1000;
    if (timeout > 0) {
      const now = server.clock();
      for (const c of server.clients.values()) {
        if (now - c.lastInteraction > timeout && !c.exempt) {
          server.log.verbose('Closing idle client');
          conns.killClient(c);
        }
      }
    }
    // client eviction: every client recounted (Redis's clientsCron)
    server.clientEviction.cron();
    // A client over a soft output limit that gets no more replies (it does
    // not read, the traffic stopped) is closed when its time is up.
    for (const c of server.clients.values()) {
      if (c.softLimitSince !== 0 && c.socket && conns.outputLimitReached(c, outputBufferMemory(c)))
        conns.closeOverOutputLimit(c);
    }
  }

  /**
   * Redis's clientsCron pace: each client about once a second, at least 5
   * per tick (all of them each tick when there are few), continuing where
   * the last tick stopped. Today it sizes reply buffers (rbs/rbp).
   */
  private clientsCron(hz: number): void {
    const server = this.server;
    const n = server.clients.size;
    const now = server.clock();
    for (let k = Math.min(n, Math.max(5, Math.ceil(n / hz))); k > 0; k--) {
      let r = this.clientsAt.next();
      if (r.done === true) {
        this.clientsAt = server.clients.values();
        r = this.clientsAt.next();
        if (r.done === true) return;
      }
      resizeReplyBuffer(server, r.value, now);
    }
  }
}

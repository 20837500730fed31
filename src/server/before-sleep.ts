/**
 * The end of an event-loop turn (Redis's beforeSleep). Replies accumulate
 * per client while commands run; queue() schedules one run() per turn
 * (setImmediate runs after the poll phase has delivered every read), so a
 * batch of pipelined commands, and of clients, gets one write each.
 *
 * run() in order: the subsystems' beforeSleep hooks in the server's order
 * (the fast expire cycle, BCAST invalidations, clients blocked on keys made
 * ready), then what was propagated is written (the AOF, and with
 * appendfsync always fsynced) *before* any reply goes out, so nothing is
 * acknowledged before it is durable; then every queued client's replies,
 * then the subsystems' afterReplies hooks (client eviction).
 *
 * Group commit (appendfsync always): clients answered after the last
 * fdatasync are usually about to send their next command. run() waits for
 * them a little (polling, at most GATHER_MS and never longer than an
 * fdatasync takes), so one fdatasync covers many clients' writes.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from './client.js';
import type { Server } from './server.js';

/** appendfsync always: how long a flush waits for answered clients' next commands (group commit). */
const GATHER_MS = 0.5;

export class BeforeSleep {
  private flushList: Client[] = [];
  private scheduled = false;
  /** appendfsync always: clients answered by the last run that have sent nothing since (group commit). */
  private awaited = 0;
  private awaitedList: Client[] = [];
  private gatherSince = 0;

  constructor(private readonly server: Server) {}

  /** Schedules the client's pending output to be written this event-loop turn. */
  queue(client: Client): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    this.flushList.push(client);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  /** A client answered by the last fsync sent something, or is gone: the group commit stops waiting for it. */
  unawait(client: Client): void {
    client.awaited = false;
    this.awaited--;
  }

  /** beforeSleep: writes every queued client's replies with one write each. */
  readonly run = (): void => {
    this.scheduled = false;
    const server = this.server;
    const t0 = performance.now();
    const hooks = server.hookLists;
    const before = hooks.beforeSleep;
    for (let i = 0; i < before.length; i++) before[i]!();
    const aof = server.aof;
    const always = aof.state !== 'off' && aof.fsyncPolicy === 'always';
    if (always && aof.buf.length !== 0 && this.awaited > 0) {
      // Group commit: clients answered after the last fdatasync are still
      // sending their next command. Wait for them a little (polling the
      // sockets, for at most as long as an fdatasync takes and GATHER_MS),
      // so that one fdatasync covers them all rather than a few each.
      const now = performance.now();
      if (this.gatherSince === 0) this.gatherSince = now;
      if (now - this.gatherSince < Math.min(GATHER_MS, aof.lastSyncMs)) {
        this.scheduled = true;
        setImmediate(this.run);
        return;
      }
    }
    this.gatherSince = 0;
    // What was propagated is written (with appendfsync always, synced) before any reply.
    const prop = server.propagator;
    if (prop.active) {
      const a0 = performance.now();
      prop.flush();
      server.stats.loop.aofSum += (performance.now() - a0) * 1000;
    }
    const list = this.flushList;
    this.flushList = [];
    if (always) {
      for (const c of this.awaitedList) c.awaited = false;
      this.awaitedList = list;
      this.awaited = list.length;
    }
    const conns = server.conns;
    for (const c of list) {
      c.flushQueued = false;
      if (always) c.awaited = true;
      conns.writeOut(c);
    }
    // (clients over maxmemory-clients: Redis's beforeSleep evictClients)
    const after = hooks.afterReplies;
    for (let i = 0; i < after.length; i++) after[i]!();
    // a turn that served clients ends here (Redis's beforeSleep)
    server.stats.endCycle((performance.now() - t0) * 1000);
  };
}

/**
 * The end of an event-loop turn (Redis's beforeSleep). Replies accumulate
 * per client while commands run; queue() schedules one run() per turn
 * (setImmediate runs after the poll phase has delivered every read), so a
 * batch of pipelined commands, and of clients, gets one write each. A client
 * served alone turn after turn has run() at the end of its read instead
 * (solo mode, below).
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

/** Turns in a row that served the same one client before the turn's end moves to the end of the read (solo). */
const SOLO_AFTER = 32;

export class BeforeSleep {
  private flushList: Client[] = [];
  private scheduled = false;
  /**
   * Solo mode: one client is being served (each of the last SOLO_AFTER
   * turns wrote to it and no other), so a read is a whole turn and run()
   * comes at the end of the read (endRead) instead of in a setImmediate: a
   * synchronous client (redis-benchmark -c 1) measured 2-13% more requests a
   * second with a minimal Node server writing so (bench/RESULTS.md, "Solo
   * mode"). With many clients a turn's reads are gathered into one run() as
   * before, which measured better at 50 clients: a run that writes to
   * another client, or to more than one, ends solo mode (a second client's
   * first read does).
   */
  private soloTurns = 0;
  private soloClient: Client | null = null;
  private get solo(): boolean {
    return this.soloTurns >= SOLO_AFTER;
  }
  /** onData calls under way (serveWhileBusy reads inside a script's command). */
  private reads = 0;
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
    if (!this.scheduled && !(this.solo && this.reads !== 0)) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  /** A read's commands start (Connections.onData). */
  beginRead(): void {
    this.reads++;
  }

  /** A read's commands are done: in solo mode, the turn ends here. */
  endRead(): void {
    if (--this.reads === 0 && this.solo && this.flushList.length !== 0 && !this.scheduled) this.run();
  }

  /** A client is freed: solo mode does not keep it. */
  forget(client: Client): void {
    if (this.soloClient !== client) return;
    this.soloClient = null;
    this.soloTurns = 0;
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
    // the same one client a turn, turn after turn: solo mode (not with group commit, which gathers clients)
    if (always || list.length !== 1 || list[0] !== this.soloClient) {
      this.soloTurns = 0;
      this.soloClient = list.length === 1 ? list[0]! : null;
    } else this.soloTurns++;
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

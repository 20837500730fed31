/**
 * The one interface a server subsystem implements (active expiry, eviction,
 * MULTI/WATCH, tracking, blocking, the AOF, pause, MONITOR, pub/sub, save
 * points, scripting, memory figures, connections, client eviction, output
 * limits, MIGRATE's link, idle reclaim, replication, ACL, cluster, HTTP). Each is a typed field of Server, made in its constructor and listed
 * once in Server.subsystems: that list is the order in which the server
 * calls every hook below, explicitly (no events, no listeners). Adding a
 * subsystem is its folder (or file) plus one line in that list.
 *
 * Every hook is optional and must be cheap when it has nothing to do: cron
 * runs hz times a second and beforeSleep once per event-loop turn that
 * served clients. A subsystem that must act on every command does not use a
 * hook: it adds a named gate to the dispatcher (a field read, such as
 * Server.memoryGate).
 */
import type { ParamName } from '../config/params.js';
import type { Client } from './client.js';

/** INFO fields, in order: `name:value` lines. */
export type InfoFields = [string, string | number][];

/** A section of INFO a subsystem reports (observability/info.ts). */
export interface InfoSection {
  /** The lowercase name INFO selects it by; a built-in section of that name is replaced. */
  readonly name: string;
  /** Its `# Header` line's text. */
  readonly header: string;
  fields(): InfoFields;
}

/** What a cron hook is told about its tick (server/cron.ts). */
export interface CronTick {
  /** hz as this tick runs it (1..500). */
  readonly hz: number;
  /** Once a second (every hz-th tick): the tick that also does the once-a-second work (Redis's run_with_period(1000)). */
  readonly second: boolean;
}

export interface Subsystem {
  /** A client is gone (closed, killed, evicted): forget it (Connections.freeClient, once per client). */
  clientFreed?(c: Client): void;
  /** RESET: the client goes back to a fresh connection's state (Connections.resetClient). */
  clientReset?(c: Client): void;
  /**
   * A parameter changed at run time, after every value of the CONFIG SET is
   * stored; null: the start's configuration (options, redis.conf, flags) was
   * applied, read every parameter kept (the Server's constructor, once).
   * Returns an error text when the change cannot take effect (CONFIG SET then
   * fails and restores every value; the first error wins, every hook still runs).
   */
  configChanged?(name: ParamName | null): string | null | void;
  /** serverCron's part (server/cron.ts), hz times a second. */
  cron?(tick: CronTick): void;
  /** beforeSleep's part (server/before-sleep.ts): once per turn, before the AOF and replies are written. */
  beforeSleep?(): void;
  /** beforeSleep's end (server/before-sleep.ts): the turn's replies were handed to the sockets. */
  afterReplies?(): void;
  /** Its INFO section, if it has one (observability/info.ts). */
  readonly info?: InfoSection;
  /**
   * The server's listeners are open (Server.listen, before the cron starts):
   * a subsystem with listeners of its own opens them (the cluster bus). A
   * rejection fails the start.
   */
  listen?(): Promise<void>;
  /** The server closes (Server.close), before clients are dropped: timers and background work stop. */
  close?(): void;
}

/**
 * Per hook, the bound methods of the subsystems that implement it, in the
 * subsystems' order (rebuild() after the list changes). Callers loop over an
 * array of functions: no property load on objects of many shapes.
 */
export class HookLists {
  beforeSleep: (() => void)[] = [];
  afterReplies: (() => void)[] = [];
  cron: ((tick: CronTick) => void)[] = [];
  clientFreed: ((c: Client) => void)[] = [];
  clientReset: ((c: Client) => void)[] = [];

  /** Rebuilds every list from `subsystems` (Server.addSubsystem, after each change of the list). */
  rebuild(subsystems: readonly Subsystem[]): void {
    const bs: (() => void)[] = [];
    const ar: (() => void)[] = [];
    const cron: ((tick: CronTick) => void)[] = [];
    const freed: ((c: Client) => void)[] = [];
    const reset: ((c: Client) => void)[] = [];
    for (const s of subsystems) {
      if (s.beforeSleep) bs.push(s.beforeSleep.bind(s));
      if (s.afterReplies) ar.push(s.afterReplies.bind(s));
      if (s.cron) cron.push(s.cron.bind(s));
      if (s.clientFreed) freed.push(s.clientFreed.bind(s));
      if (s.clientReset) reset.push(s.clientReset.bind(s));
    }
    this.beforeSleep = bs;
    this.afterReplies = ar;
    this.cron = cron;
    this.clientFreed = freed;
    this.clientReset = reset;
  }
}

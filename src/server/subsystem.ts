/**
 * The one interface a server subsystem implements (persistence, pub/sub,
 * tracking, blocking, eviction today; replication, ACL, cluster next). Each
 * is a typed field of Server, made in its constructor and listed once in
 * Server.subsystems: that list is the order in which the server calls every
 * hook below, explicitly (no events, no listeners). Adding a subsystem is
 * its folder plus one line in that list.
 *
 * Every hook is optional and must be cheap when it has nothing to do: cron
 * runs hz times a second and beforeSleep once per event-loop turn that
 * served clients.
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

export interface Subsystem {
  /** A client is gone (closed, killed, evicted): forget it (Connections.freeClient, once per client). */
  clientFreed?(c: Client): void;
  /** RESET: the client goes back to a fresh connection's state (Connections.resetClient). */
  clientReset?(c: Client): void;
  /**
   * A parameter changed at run time, after every value of the CONFIG SET is
   * stored; null: the start's configuration (options, redis.conf, flags) was
   * applied, read every parameter kept (the Server's constructor, once).
   */
  configChanged?(name: ParamName | null): void;
  /** serverCron's part (server/cron.ts), hz times a second. */
  cron?(): void;
  /** beforeSleep's part (server/before-sleep.ts): once per turn, before replies and the AOF are written. */
  beforeSleep?(): void;
  /** Its INFO section, if it has one (observability/info.ts). */
  readonly info?: InfoSection;
  /** The server closes (Server.close), before clients are dropped: timers and background work stop. */
  close?(): void;
}

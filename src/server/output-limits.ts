/**
 * client-output-buffer-limit as a subsystem (Server.outputLimits): the
 * parsed limits per client class, the checks Connections makes as replies
 * are written (reached, overHard) and the once-a-second check of clients
 * over a soft limit that get no more replies (they do not read, the traffic
 * stopped), which closes them when their time is up. Registered after
 * client eviction, whose once-a-second pass runs first (as it always has).
 */
import type { Client } from './client.js';
import type { Server } from './server.js';
import type { CronTick, Subsystem } from './subsystem.js';
import { clientType, clientInfoLine, outputBufferMemory } from '../observability/clientlist.js';
import type { ParamName } from '../config/params.js';
import { replicaOutputBytes } from '../replication/link.js';

/** client-output-buffer-limit of one class. */
export interface OutputLimits {
  hard: number;
  soft: number;
  seconds: number;
}

export class OutputLimiter implements Subsystem {
  /** Parsed client-output-buffer-limit per class (read for every reply write; emptied when the parameter changes). */
  private readonly cache = new Map<string, OutputLimits>();

  constructor(private readonly server: Server) {}

  /** Subsystem: client-output-buffer-limit changed: parsed again on next use. */
  configChanged(name: ParamName | null): void {
    if (name === 'client-output-buffer-limit' || name === null) this.cache.clear();
  }

  /**
   * Subsystem: once a second, a client over a soft output limit that gets no
   * more replies is closed when its time is up (writeOut checks the others).
   */
  cron(tick: CronTick): void {
    if (!tick.second) return;
    for (const c of this.server.clients.values()) {
      if (c.softLimitSince === 0 || !c.socket) continue;
      // (a replica's: the shared replication buffer its reference keeps alive: replication/link.ts)
      const omem = c.replica !== null ? replicaOutputBytes(c.replica, this.server.repl.backlog) : outputBufferMemory(c);
      if (this.reached(c, omem)) this.closeClient(c);
    }
  }

  /** Parses client-output-buffer-limit for one class. */
  limits(cls: string): OutputLimits {
    const cached = this.cache.get(cls);
    if (cached !== undefined) return cached;
    const lim = parseOutputLimits(String(this.server.config.v['client-output-buffer-limit']), cls);
    this.cache.set(cls, lim);
    return lim;
  }

  /**
   * client-output-buffer-limit for the client's class (replica, pubsub when
   * subscribed, else normal) against `omem` (outputBufferMemory): the hard
   * limit at once, the soft one when exceeded for its seconds (the time it
   * was first exceeded is kept on the client, reset when under it again).
   * A replica's hard limit is at least repl-backlog-size (as Redis's: what
   * a partial resync sends must not get the replica closed; the memory is
   * the backlog's anyway).
   */
  reached(c: Client, omem: number): boolean {
    const cls = limitClass(c);
    const lim = this.limits(cls);
    let hard = lim.hard;
    if (cls === 'replica' && hard > 0) hard = Math.max(hard, this.server.config.v['repl-backlog-size']);
    if (hard > 0 && omem >= hard) return true;
    if (lim.soft > 0 && omem >= lim.soft) {
      const now = this.server.clock();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= lim.seconds * 1000) return true;
    } else c.softLimitSince = 0;
    return false;
  }

  /**
   * Whether a command building a reply of repeated elements should stop:
   * the client is over its hard output limit already (it will be closed and
   * gets none of it). Redis stops such loops for a client closing ASAP.
   */
  overHard(c: Client): boolean {
    const lim = this.limits(limitClass(c));
    return lim.hard > 0 && outputBufferMemory(c) >= lim.hard;
  }

  /** Closes a client past its output limit, its replies unsent, with Redis's log line. */
  closeClient(c: Client): void {
    const server = this.server;
    server.log.warning(
      `Client ${clientInfoLine(server, c)} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    server.stats.clientOutputLimitDisconnections++;
    c.reply.out = '';
    server.killClient(c);
  }
}

/** The client-output-buffer-limit class of a client: replica, pubsub or normal (Redis's getClientType). */
function limitClass(c: Client): string {
  const t = clientType(c);
  return t === 'master' ? 'normal' : t;
}

/** Reads one class's limits from the canonical `class hard soft seconds ...` text. */
function parseOutputLimits(text: string, cls: string): OutputLimits {
  const parts = text.split(/\s+/);
  for (let i = 0; i + 3 < parts.length; i += 4) {
    if (parts[i] === cls || (cls === 'replica' && parts[i] === 'slave')) {
      return { hard: Number(parts[i + 1]), soft: Number(parts[i + 2]), seconds: Number(parts[i + 3]) };
    }
  }
  return { hard: 0, soft: 0, seconds: 0 };
}

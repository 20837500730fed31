/**
 * Client eviction (maxmemory-clients, CLIENT NO-EVICT), as Redis 7 does it:
 * when the memory of all normal and pub/sub clients together (query
 * buffer, arguments, MULTI queue, output, watched keys, subscriptions:
 * observability/clientlist.ts clientMemory) reaches the limit, clients are
 * closed, the largest first, until it is under again. Logged as Redis logs
 * it, counted in INFO evicted_clients.
 *
 * The limit is maxmemory-clients in bytes, or a percentage of maxmemory
 * (stored negative, 0 when maxmemory is 0), never less than 128 KB so the
 * server stays reachable. 0 turns it off: nothing is tracked then.
 *
 * Each evictable client's figure is kept (Client.evictMem) and summed
 * (`total`), refreshed where its memory changes: after a read, after its
 * commands ran, after its replies were handed to the socket or drained,
 * once a second by the cron, and on CLIENT NO-EVICT. Redis files clients
 * in power-of-two buckets to find big ones; tsdis sorts the tracked
 * clients when it has to evict (rare), and builds DEBUG CLIENT-EVICTION's
 * buckets on demand. evict() runs before each command (the dispatcher's
 * memory gate), after reads and in the flush (Redis's beforeSleep).
 */
import type { Client } from './client.js';
import type { Server } from './server.js';
import type { CronTick, Subsystem } from './subsystem.js';
import { clientInfoLine, clientMemory, clientType } from '../observability/clientlist.js';
import type { ParamName } from '../config/params.js';

/** The smallest limit (Redis: 128 KB), so a bad setting cannot lock everyone out. */
const MIN_LIMIT = 128 * 1024;
/** DEBUG CLIENT-EVICTION's buckets: up to 2^15 bytes, then one per power of two, the last from 2^32 up. */
const BUCKET_MIN_LOG = 15;
const BUCKET_MAX_LOG = 33;

export class ClientEviction implements Subsystem {
  /** The limit in bytes; 0 when client eviction is off. */
  limit = 0;
  /** The tracked clients' memory, summed. */
  private total = 0;

  constructor(private readonly server: Server) {}

  /** Subsystem: maxmemory-clients or maxmemory changed (or the start's were applied); the dispatcher's memory gate follows. */
  configChanged(name: ParamName | null): void {
    if (name !== null && name !== 'maxmemory-clients' && name !== 'maxmemory') return;
    this.configure();
    this.server.refreshMemoryGate();
  }

  /** Subsystem: a freed client's memory no longer counts. */
  clientFreed(c: Client): void {
    if (c.evictMem >= 0) this.forget(c);
  }

  /** Subsystem: once a second (Redis's clientsCron), every client recounted, so drained output is seen. */
  cron(tick: CronTick): void {
    if (tick.second) this.recount();
  }

  /** Subsystem: clients over maxmemory-clients once the turn's replies are written (Redis's beforeSleep evictClients). */
  afterReplies(): void {
    if (this.over) this.evict();
  }

  /**
   * Reads maxmemory-clients (and maxmemory, for a percentage): at start and
   * on CONFIG SET of either. Turning it on counts every client; off forgets.
   */
  configure(): void {
    const v = this.server.config.v;
    const clients = v['maxmemory-clients'];
    const maxmemory = v['maxmemory'];
    let limit = 0;
    if (clients < 0 && maxmemory > 0) limit = Math.floor((maxmemory * -clients) / 100);
    else if (clients > 0) limit = clients;
    if (limit !== 0 && limit < MIN_LIMIT) limit = MIN_LIMIT;
    const was = this.limit;
    this.limit = limit;
    if (limit === 0 && was !== 0) {
      for (const c of this.server.clients.values()) c.evictMem = -1;
      this.total = 0;
    } else if (limit !== 0 && was === 0) {
      for (const c of this.server.clients.values()) this.update(c);
    }
  }

  /** Whether a client may be evicted: normal or pub/sub, not CLIENT NO-EVICT (Redis's clientEvictionAllowed). */
  private evictable(c: Client): boolean {
    if (c.noEvict || c.closed || c.kind === 'internal') return false;
    const t = clientType(c);
    return t === 'normal' || t === 'pubsub';
  }

  /**
   * Recounts a client's memory (with `argv`, the command it is about to
   * run). Call only while limit !== 0. Clients that may not be evicted are
   * not counted (Redis's updateClientMemUsageAndBucket).
   */
  update(c: Client, argv?: readonly string[]): void {
    if (c.evictMem >= 0) this.total -= c.evictMem;
    if (!this.evictable(c)) {
      c.evictMem = -1;
      return;
    }
    const m = clientMemory(c, argv);
    c.evictMem = m;
    this.total += m;
  }

  /** A client was freed: its memory no longer counts. */
  forget(c: Client): void {
    if (c.evictMem >= 0) this.total -= c.evictMem;
    c.evictMem = -1;
  }

  /** Whether the tracked clients' memory reached the limit (evict() has work). */
  get over(): boolean {
    return this.limit !== 0 && this.total >= this.limit;
  }

  /**
   * Redis's evictClients: while the clients' memory is at or over the
   * limit, closes the largest evictable client (its figures recounted
   * first). Returns how many were closed.
   */
  evict(): number {
    if (!this.over) return 0;
    const server = this.server;
    // recount: outputs may have drained since the figures were taken
    const tracked: Client[] = [];
    for (const c of server.clients.values()) {
      if (c.evictMem < 0) continue;
      this.update(c);
      if (c.evictMem >= 0) tracked.push(c);
    }
    if (this.total < this.limit) return 0;
    tracked.sort((a, b) => b.evictMem - a.evictMem);
    let n = 0;
    for (const c of tracked) {
      if (this.total < this.limit) break;
      server.log.notice(`Evicting client: ${clientInfoLine(server, c)}`);
      this.forget(c);
      server.killClient(c);
      server.stats.evictedClients++;
      n++;
    }
    if (this.total >= this.limit) server.log.warning('Over client maxmemory after evicting all evictable clients');
    return n;
  }

  /** Every client recounted, then those over the limit evicted (the cron, once a second). */
  private recount(): void {
    if (this.limit === 0) return;
    for (const c of this.server.clients.values()) this.update(c);
    this.evict();
  }

  /** DEBUG CLIENT-EVICTION: the tracked clients by power-of-two bucket, as Redis prints its buckets. */
  bucketsReport(): string {
    const n = BUCKET_MAX_LOG - BUCKET_MIN_LOG + 1;
    const sums = new Array<number>(n).fill(0);
    const counts = new Array<number>(n).fill(0);
    for (const c of this.server.clients.values()) {
      if (c.evictMem < 0) continue;
      const bits = c.evictMem > 0 ? Math.floor(Math.log2(c.evictMem)) + 1 : 0;
      const i = Math.min(BUCKET_MAX_LOG, Math.max(BUCKET_MIN_LOG, bits)) - BUCKET_MIN_LOG;
      sums[i]! += c.evictMem;
      counts[i]!++;
    }
    const pad = (x: number) => String(x).padStart(10);
    let out = '';
    for (let j = 0; j < n; j++) {
      out += j === 0 ? `bucket ${pad(0)}` : `bucket ${pad(2 ** (j - 1 + BUCKET_MIN_LOG))}`;
      out += j === n - 1 ? '+            : ' : ` - ${pad(2 ** (j + BUCKET_MIN_LOG) - 1)}: `;
      out += `tot-mem: ${pad(sums[j]!)}, clients: ${counts[j]}\n`;
    }
    return out;
  }
}

/**
 * Active expiry, Redis's adaptive cycle: each cron tick, for each database,
 * sample keys with a TTL, delete the expired ones, and repeat while more than
 * a quarter... (see activeExpireCycle) within a time budget.
 */
import type { Server } from '../server/server.js';

const KEYS_PER_LOOP = 20;
const ACCEPTABLE_STALE = 10; // percent
const SLOW_TIME_PERC = 25; // percent of the cron period

/** Called by serverCron with the cron period in ms. */
export function activeExpireCycle(server: Server, periodMs: number): void {
  const start = performance.now();
  const budget = (periodMs * SLOW_TIME_PERC) / 100;
  server.cachedNow = server.clock();
  try {
    for (const db of server.dbs) {
      for (;;) {
        const n = db.expires.size;
        if (n === 0) break;
        let sampled = 0;
        let expired = 0;
        const lookups = Math.min(n, KEYS_PER_LOOP);
        for (let i = 0; i < lookups; i++) {
          const k = db.expires.randomKey(server.random);
          if (k === undefined) break;
          sampled++;
          if (db.expireIfNeeded(k)) expired++;
        }
        if (sampled === 0 || (expired * 100) / sampled <= ACCEPTABLE_STALE) break;
        if (performance.now() - start > budget) {
          server.stats.expiredTimeCapReachedCount++;
          return;
        }
      }
    }
  } finally {
    server.cachedNow = 0;
    server.stats.expireCycleCpuMs += performance.now() - start;
  }
}

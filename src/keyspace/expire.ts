/**
 * Active expiry: Redis's adaptive cycle (activeExpireCycle), which reclaims
 * keys whose TTL passed but that nobody looks up (lazy expiry, in db.ts,
 * handles the ones that are looked up).
 *
 * Each run visits up to 16 databases round-robin. In a database it walks the
 * keys with a TTL from a persistent per-db cursor, `keysPerLoop` at a time,
 * deleting the expired ones, and repeats while more than `acceptableStale`
 * percent of the walked keys were expired. A slow cycle (serverCron, hz times
 * a second) may use `slowTimePerc` percent of the cron period; a fast cycle
 * (before the loop sleeps) runs only when the last slow cycle ran out of time
 * or the estimated stale share is high, for at most `fastDurationUs`, and not
 * more often than every two fast durations. The time is checked every 16
 * loops (a loop is a few dozen keys), so one run never blocks the event loop
 * much beyond its budget, whatever the number of keys.
 *
 * active-expire-effort (1..10) scales the work: more keys per loop, a longer
 * fast cycle, a larger CPU share and a lower acceptable stale percentage.
 *
 * Stats kept as Redis names them in INFO: expired_stale_perc (running
 * estimate of the share of TTL keys already logically expired),
 * expired_time_cap_reached_count, expire_cycle_cpu_milliseconds; plus each
 * db's avg_ttl.
 */
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';

const KEYS_PER_LOOP = 20;
const FAST_DURATION_US = 1000;
const SLOW_TIME_PERC = 25;
const ACCEPTABLE_STALE = 10;
const DBS_PER_CALL = 16;

/** State kept between runs, per server (Redis keeps these as statics). */
interface CycleState {
  /** The next database to visit. */
  currentDb: number;
  /** The previous run stopped on its time limit. */
  timelimitExit: boolean;
  /** When the last fast cycle started (µs, performance clock). */
  lastFastCycleUs: number;
}

const states = new WeakMap<Server, CycleState>();

/** Per-db walking position in its expires dict (a slot index). */
const cursors = new WeakMap<object, number>();

/**
 * Runs one expiry cycle. `periodMs` is the cron period (1000/hz); `type`
 * 'slow' from serverCron, 'fast' from before the event loop sleeps.
 * Side effects: deletes expired keys through db.expireIfNeeded (which fires
 * the expired hooks and keyspace events), updates stats and avg_ttl.
 */
export function activeExpireCycle(server: Server, periodMs: number, type: 'slow' | 'fast' = 'slow'): void {
  const effort = Math.max(1, Math.min(10, Number(server.config.v['active-expire-effort']) || 1)) - 1;
  const keysPerLoop = KEYS_PER_LOOP + (KEYS_PER_LOOP / 4) * effort;
  const fastDurationUs = FAST_DURATION_US + (FAST_DURATION_US / 4) * effort;
  const slowTimePerc = SLOW_TIME_PERC + 2 * effort;
  const acceptableStale = ACCEPTABLE_STALE - effort;

  // CLIENT PAUSE suspends expiry (server/pause.ts).
  if (server.pause.mode !== 0) return;
  let st = states.get(server);
  if (st === undefined) {
    st = { currentDb: 0, timelimitExit: false, lastFastCycleUs: -Infinity };
    states.set(server, st);
  }
  const startUs = performance.now() * 1000;
  if (type === 'fast') {
    // Only when the last run hit its time limit or many keys look stale, and
    // never twice within two fast durations.
    // (Redis compares its stale *fraction* with this percentage, so in effect
    // only the time-limit condition fires there; we compare percentages.)
    if (!st.timelimitExit && server.stats.expiredStalePerc < acceptableStale) return;
    if (startUs < st.lastFastCycleUs + fastDurationUs * 2) return;
    st.lastFastCycleUs = startUs;
  }
  const dbs = server.dbs;
  let dbsPerCall = DBS_PER_CALL;
  if (dbsPerCall > dbs.length || st.timelimitExit) dbsPerCall = dbs.length;
  let timelimitUs = type === 'fast' ? fastDurationUs : (slowTimePerc * periodMs * 1000) / 100;
  if (timelimitUs <= 0) timelimitUs = 1;
  st.timelimitExit = false;

  let totalSampled = 0;
  let totalExpired = 0;
  let iteration = 0;
  const prevNow = server.cachedNow;
  try {
    for (let j = 0; j < dbsPerCall && !st.timelimitExit; j++) {
      const db = dbs[st.currentDb % dbs.length]!;
      // Advance first, so that running out of time here resumes at the next db.
      st.currentDb++;
      let sampled = 0;
      let expired = 0;
      do {
        iteration++;
        const exp = db.expires;
        if (exp.size === 0) {
          db.avgTtl = 0;
          break;
        }
        const now = server.clock();
        server.cachedNow = now; // expireIfNeeded compares against this time
        const num = Math.min(exp.size, keysPerLoop);
        sampled = 0;
        expired = 0;
        let ttlSum = 0;
        let ttlSamples = 0;
        let cur = cursors.get(exp) ?? 0;
        while (sampled < num && exp.size > 0) {
          if (cur >= exp.size) cur = 0;
          const ttl = Number(exp.vals[cur]!) - now;
          sampled++;
          if (ttl <= 0 && db.expireIfNeeded(exp.keys[cur]!)) {
            // The last slot moved into `cur`: look at it next.
            expired++;
          } else {
            if (ttl > 0) {
              ttlSum += ttl;
              ttlSamples++;
            }
            cur++;
          }
        }
        cursors.set(exp, cur);
        totalExpired += expired;
        totalSampled += sampled;
        if (ttlSamples) {
          // Running average: the new sample weighs 2%.
          const avg = ttlSum / ttlSamples;
          if (db.avgTtl === 0) db.avgTtl = avg;
          db.avgTtl = Math.floor((db.avgTtl / 50) * 49 + avg / 50);
        }
        if ((iteration & 0xf) === 0 && performance.now() * 1000 - startUs > timelimitUs) {
          st.timelimitExit = true;
          server.stats.expiredTimeCapReachedCount++;
          break;
        }
      } while (sampled === 0 || Math.floor((expired * 100) / sampled) > acceptableStale);
    }
  } finally {
    server.cachedNow = prevNow;
    const elapsedMs = performance.now() - startUs / 1000;
    server.stats.expireCycleCpuMs += elapsedMs;
    // LATENCY's "expire-cycle" event (whole milliseconds, as Redis samples it)
    const threshold = server.hot.latencyMonitorThreshold;
    if (threshold !== 0 && elapsedMs >= threshold) server.latency.add('expire-cycle', Math.floor(elapsedMs), Math.floor(server.clock() / 1000));
  }
  // Estimated percentage of TTL keys logically expired: 5% weight for this run.
  const perc = totalSampled ? (totalExpired * 100) / totalSampled : 0;
  server.stats.expiredStalePerc = perc * 0.05 + server.stats.expiredStalePerc * 0.95;
}

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
 * Hash fields with a TTL (Redis 7.4) are expired in the same cycle, before
 * the keys of each database visited, as Redis's activeExpireHashFieldCycle
 * does: from the db's index of hashes with field TTLs (keyspace/hfe.ts), the
 * hashes whose earliest field time has come, up to 10000/hz fields per step
 * (up to 32 times more in slow cycles while a db stays behind by a million
 * fields), one db per step, staying on a db until it is caught up.
 *
 * A replica runs neither: its primary's DELs expire its keys. Except on a
 * writable replica (replica-read-only no), whose own clients' keys with a
 * TTL the primary knows nothing of: those are remembered when the TTL is
 * set and expired by the cron (ReplicaKeys, Redis's expireSlaveKeys).
 *
 * Stats kept as Redis names them in INFO: expired_stale_perc (running
 * estimate of the share of TTL keys already logically expired),
 * expired_time_cap_reached_count, expire_cycle_cpu_milliseconds; plus each
 * db's avg_ttl.
 */
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { CronTick, Subsystem } from '../server/subsystem.js';
import type { Db } from './db.js';
import { Dict } from './dict.js';
import { isString } from './value.js';

const KEYS_PER_LOOP = 20;
const FAST_DURATION_US = 1000;
const SLOW_TIME_PERC = 25;
const ACCEPTABLE_STALE = 10;
const DBS_PER_CALL = 16;
/** Hash fields expired per second of cron (Redis's HFE_DB_BASE_ACTIVE_EXPIRE_FIELDS_PER_SEC). */
const HFE_FIELDS_PER_SEC = 10000;
/** Fields a db may stay behind by before steps grow (Redis's EXPIRED_FIELDS_TH). */
const HFE_BEHIND = 1000000;

/**
 * Active expiry as a subsystem (Server.activeExpire): the slow cycle in
 * serverCron, the fast one in beforeSleep, both while `enabled` (DEBUG
 * SET-ACTIVE-EXPIRE). First in the server's list, so its cron runs before
 * every other subsystem's and its fast cycle before theirs in beforeSleep.
 * On a replica the cron expires the keys its own clients gave a TTL
 * (replicaKeys) instead, and nothing runs before sleeping.
 */
export class ActiveExpire implements Subsystem {
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns both cycles off (and a replica's expiry of its own keys). */
  enabled = true;
  /** A writable replica's keys with a TTL set by its own clients (Redis's slaveKeysWithExpire). */
  readonly replicaKeys = new ReplicaKeys();
  /** The cycle's state between runs (activeExpireCycle). */
  readonly state: CycleState = {
    currentDb: 0,
    timelimitExit: false,
    lastFastCycleUs: -Infinity,
    hfeDb: 0,
    hfeBehind: 0,
    cursors: new WeakMap(),
  };

  constructor(private readonly server: Server) {}

  /** Subsystem: the slow cycle, with 25% (and more with active-expire-effort) of the cron period. */
  cron(tick: CronTick): void {
    if (!this.enabled) return;
    // a replica's keys expire by its primary's DELs (Redis runs the cycle on a master only),
    // but for those its own clients gave a TTL (Redis's databasesCron calls expireSlaveKeys)
    if (!this.server.iAmMaster()) this.replicaKeys.expire(this.server);
    else activeExpireCycle(this.server, 1000 / tick.hz);
  }

  /** Subsystem: the fast cycle (returns at once unless expiry is behind). */
  beforeSleep(): void {
    if (this.enabled && this.server.iAmMaster()) activeExpireCycle(this.server, 0, 'fast');
  }
}

/** State kept between runs, per server (ActiveExpire.state; Redis keeps these as statics). */
export interface CycleState {
  /** The next database to visit. */
  currentDb: number;
  /** The previous run stopped on its time limit. */
  timelimitExit: boolean;
  /** When the last fast cycle started (µs, performance clock). */
  lastFastCycleUs: number;
  /** The db whose hash fields the next step expires. */
  hfeDb: number;
  /** Fields expired on hfeDb by steps that hit their limit, in a row. */
  hfeBehind: number;
  /** Per-db walking position in its expires dict (a slot index), by dict. */
  readonly cursors: WeakMap<object, number>;
}

/**
 * Runs one expiry cycle. `periodMs` is the cron period (1000/hz); `type`
 * 'slow' from serverCron, 'fast' from before the event loop sleeps.
 * Side effects: deletes expired keys through db.expireIfNeeded (which fires
 * the expired hooks and keyspace events), updates stats and avg_ttl.
 */
export function activeExpireCycle(server: Server, periodMs: number, type: 'slow' | 'fast' = 'slow'): void {
  // CLIENT PAUSE suspends expiry (server/pause.ts); nothing expires while the dataset is loaded
  // (Redis's cron does not run then; tsdis's may, between the slices of the CLI's load).
  if (server.pause.mode !== 0 || server.loading) return;
  const effort = Math.max(1, Math.min(10, server.hot.activeExpireEffort)) - 1;
  const acceptableStale = ACCEPTABLE_STALE - effort;
  const st = server.activeExpire.state;
  // The fast cycle (before every sleep) runs only when the last run hit its time
  // limit or many keys look stale: otherwise it returns before reading the clock.
  // (Redis compares its stale *fraction* with this percentage, so in effect
  // only the time-limit condition fires there; we compare percentages.)
  if (type === 'fast' && !st.timelimitExit && server.stats.expiredStalePerc < acceptableStale) return;
  const keysPerLoop = KEYS_PER_LOOP + (KEYS_PER_LOOP / 4) * effort;
  const fastDurationUs = FAST_DURATION_US + (FAST_DURATION_US / 4) * effort;
  const slowTimePerc = SLOW_TIME_PERC + 2 * effort;
  const cursors = st.cursors;
  const startUs = performance.now() * 1000;
  if (type === 'fast') {
    // nor within two fast durations of the last one
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
      // Hash fields first (their index makes that cheap), as Redis interleaves them.
      server.cachedNow = server.clock();
      activeExpireHashFields(server, st, type);
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
          const ttl = Number(exp.valAt(cur)) - now;
          sampled++;
          if (ttl <= 0 && db.expireIfNeeded(exp.keyAt(cur))) {
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
    if (threshold !== 0 && elapsedMs >= threshold)
      server.latency.add('expire-cycle', Math.floor(elapsedMs), Math.floor(server.clock() / 1000));
  }
  // Estimated percentage of TTL keys logically expired: 5% weight for this run.
  const perc = totalSampled ? (totalExpired * 100) / totalSampled : 0;
  server.stats.expiredStalePerc = perc * 0.05 + server.stats.expiredStalePerc * 0.95;
}

/**
 * One step of hash-field expiry (Redis's activeExpireHashFieldCycle): on
 * the db st.hfeDb, up to 10000/hz fields; moves to the next db when this
 * one is caught up (or has no hash with field TTLs).
 */
function activeExpireHashFields(server: Server, st: CycleState, type: 'slow' | 'fast'): void {
  // not while a dataset loads (Redis runs no expire cycle then): replayed
  // commands must find the fields their originals found
  if (server.loading) return;
  const dbs = server.dbs;
  const db = dbs[st.hfeDb % dbs.length]!;
  if (db.hfe.size === 0) {
    st.hfeBehind = 0;
    st.hfeDb = (st.hfeDb + 1) % dbs.length;
    return;
  }
  const hz = Math.max(1, server.config.v['hz'] || 10);
  let max = Math.floor(HFE_FIELDS_PER_SEC / hz);
  if (st.hfeBehind > HFE_BEHIND && type === 'slow') max *= Math.min(32, Math.floor(st.hfeBehind / HFE_BEHIND));
  if (expireHashFields(db, server.now(), max) === max) st.hfeBehind += max;
  else {
    st.hfeBehind = 0;
    st.hfeDb = (st.hfeDb + 1) % dbs.length;
  }
}

/**
 * Expires up to `max` hash fields of a db whose time is at or before `now`,
 * taking the hashes from the top of its index (Redis's
 * hashTypeDbActiveExpire): each field deleted with its HDEL propagated, then
 * per hash one 'hexpired' event and, when emptied, the hash deleted ('del').
 * Returns the number of fields expired.
 */
export function expireHashFields(db: Db, now: number, max: number): number {
  let left = max;
  while (left > 0) {
    const e = db.hfe.peek();
    if (e === undefined || e.at > now) break;
    const key = e.key;
    const h = db.dict.get(key);
    if (h === undefined || isString(h) || h.type !== 'hash') {
      // (cannot happen: the index holds stored hashes only) unfile the stale entry rather than spin
      db.hfe.remove(e);
      continue;
    }
    const due = h.takeDue(now, left);
    if (due.length === 0) {
      // (cannot happen: the index is exact) refile it rather than spin
      db.hfeTrack(key, h);
      if (db.hfe.peek() === e && e.at <= now) break;
      continue;
    }
    for (const f of due) db.expireField(key, h, f);
    left -= due.length;
    db.fieldsExpired(key, h);
  }
  return max - left;
}

/**
 * The keys a writable replica's own clients gave a TTL (Redis's
 * slaveKeysWithExpire, expire.c): key name to a bitmap of the databases
 * (0..63; a key in a higher one is not remembered, as in Redis) where it
 * may be. Best effort, as Redis's: the names are remembered, not the keys,
 * so a key of that name the primary wrote later, with a TTL, is expired
 * here too once its time passes; one without a TTL is forgotten.
 * Forgotten all at once when every database is emptied (FLUSHALL, a full
 * sync's load, DEBUG RELOAD: forget()), not on FLUSHDB nor on promotion
 * (a primary's cycle covers every key; INFO slave_expires_tracked_keys
 * still counts them, as Redis's does).
 */
export class ReplicaKeys {
  /** Made at the first remember() (Redis creates its dict on first use too). */
  private keys: Dict<bigint> | null = null;

  /** INFO stats slave_expires_tracked_keys (Redis's getSlaveKeyWithExpireCount). */
  get size(): number {
    return this.keys?.size ?? 0;
  }

  /**
   * Remembers that `key` of database `dbid` got a TTL from a client of this
   * writable replica (Redis's rememberSlaveKeyWithExpire). Caller: the
   * server's ttlSet keyspace hook.
   */
  remember(dbid: number, key: string): void {
    if (dbid > 63) return;
    if (this.keys === null) this.keys = new Dict<bigint>();
    const bits = this.keys.get(key) ?? 0n;
    this.keys.set(key, bits | (1n << BigInt(dbid)));
  }

  /** Forgets every key (Redis's flushSlaveKeysWithExpireList): every database was emptied. */
  forget(): void {
    this.keys = null;
  }

  /**
   * Expires remembered keys whose TTL passed (Redis's expireSlaveKeys),
   * from the ActiveExpire cron of a replica: picks names at random and, in
   * each database its bitmap names, deletes the key if its TTL passed
   * (Db.deleteExpired: the 'expired' event, DEL to the AOF; a replica
   * streams nothing of its own to sub-replicas), keeps the bit of a key
   * whose TTL is still to come and clears the others (key gone, or no TTL
   * any more). Stops after more than 3 keys not yet due, after 64 picks
   * when more than 1 ms went by, or when nothing is left.
   */
  expire(server: Server): void {
    const keys = this.keys;
    if (keys === null || keys.size === 0 || server.loading) return;
    const start = server.clock();
    const dbs = server.dbs;
    let cycles = 0;
    let notYet = 0;
    for (;;) {
      const name = keys.randomKey(server.random)!;
      let bits = keys.get(name)!;
      let kept = 0n;
      for (let id = 0; bits !== 0n && id < dbs.length; id++, bits >>= 1n) {
        if ((bits & 1n) === 0n) continue;
        const db = dbs[id]!;
        const when = db.expires.get(name);
        if (when === undefined) continue;
        // (Redis's activeExpireCycleTryExpire: due once the time is past it)
        if (start > when) db.deleteExpired(name);
        else {
          notYet++;
          kept |= 1n << BigInt(id);
        }
      }
      if (kept !== 0n) keys.set(name, kept);
      else keys.delete(name);
      cycles++;
      if (notYet > 3) break;
      if (cycles % 64 === 0 && server.clock() - start > 1) break;
      if (keys.size === 0) break;
    }
  }
}

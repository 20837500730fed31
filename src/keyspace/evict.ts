/**
 * maxmemory: evicting keys to stay under the limit, and the OOM state that
 * makes the dispatcher refuse commands that may grow memory.
 *
 * Redis's approximations, kept as they are so the same workload keeps the
 * same kinds of keys:
 *  - LRU, LFU and volatile-ttl sample `maxmemory-samples` keys per database
 *    (from the main dict for allkeys-*, the expires dict for volatile-*) into
 *    a pool of the EVPOOL_SIZE best candidates kept across calls, ordered by
 *    score (idle ms; 255 - decayed LFU counter; the sooner expiry), and evict
 *    the best one still present (an entry whose key is gone is a ghost and
 *    is skipped);
 *  - allkeys-random / volatile-random pick a random key of the next
 *    non-empty database, round-robin;
 *  - the access metadata (LRU clock or LFU counter, keyspace/access.ts) lives
 *    in the dict's per-slot `meta` array.
 *
 * perform() is Redis's performEvictions: called by the dispatcher's memory
 * gate before each command while maxmemory is set. It frees what used memory
 * exceeds the limit, each deletion measured as the drop in used_memory,
 * for at most maxmemory-eviction-tenacity's time; what is left is freed by a
 * timer (evictionTimeProc) that runs perform() again every turn of the event
 * loop until memory is under the limit or nothing can be evicted. EVICT_FAIL
 * (over the limit, nothing evictable) is the OOM state.
 *
 * An evicted key: deleted without a dirty count, signalled as modified
 * (WATCH, client tracking), an `evicted` keyspace event (class e),
 * INFO evicted_keys, and propagated as DEL (UNLINK with
 * lazyfree-lazy-eviction) through the one propagation stream, on its own
 * (eviction runs before the command, outside it).
 *
 * Memory that is not counted against the limit (Redis's
 * freeMemoryGetNotCountedMemory): the AOF buffer and the replication
 * buffer beyond the backlog's size, so propagating DELs cannot feed more
 * eviction.
 *
 * With maxmemory 0 the same gate guards the process itself: when the V8 heap
 * comes within HEAP_MARGIN of its limit (read once per cron tick), commands
 * flagged denyoom get the OOM error, so a write flood is refused rather
 * than killing the process with everything acknowledged in it.
 */
import type { ParamName } from '../config/params.js';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import { BLOCK_OVERHEAD, MIN_BLOCK } from '../replication/backlog.js';
import type { Subsystem } from '../server/subsystem.js';
import type { Db } from './db.js';
import { idleMsAt, lfuDecr, lruClock } from './access.js';
import { usedMemory } from '../observability/memory.js';
import {
  fullGcFunction,
  oldGenerationLimitBytes,
  heapUsedBytes,
  machineMemoryNear,
  offHeapBytes,
  refreshHeapGauge,
} from '../server/heap.js';

/** The eviction pool's size (Redis's EVPOOL_SIZE). */
export const EVPOOL_SIZE = 16;

/** perform()'s results (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL). */
export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;

/** What a policy samples by. */
const BY_NONE = 0;
const BY_LRU = 1;
const BY_LFU = 2;
const BY_TTL = 3;
const BY_RANDOM = 4;

/**
 * used_memory as maxmemory counts it: the incremental accounting
 * (observability/memory.ts), which drops as soon as a key is deleted, so
 * eviction measures each deletion by it.
 */
function usedMemoryOf(server: Server): number {
  return usedMemory(server);
}

/**
 * The V8 heap's limit and use in bytes, read now (server/heap.ts's gauge:
 * v8.getHeapStatistics() costs about 0.6 µs, so the guard reads it once per
 * cron tick and after input), and whether heap and off-heap memory together
 * near the machine's memory (values of 16 KB or more live outside the heap).
 */
function heapFigures(): { limit: number; used: number; machineNear: boolean } {
  refreshHeapGauge();
  return { limit: oldGenerationLimitBytes(), used: heapUsedBytes(), machineNear: machineMemoryNear() };
}

/**
 * How close to the V8 heap limit writes are still accepted: a tenth of the
 * limit, at least 64 MB and at most 512 MB. The heap is read once per cron
 * tick (100 ms at hz 10): the margin must cover what a write flood adds in
 * one tick and what a command being refused still allocates.
 */
export function heapMargin(limit: number): number {
  return Math.min(512 * 1024 * 1024, Math.max(64 * 1024 * 1024, Math.floor(limit / 10)));
}

/** The old generation's growth between full collections with maxmemory set (tuneHeapGrowth). */
const HEAP_GROWING_PERCENT = 100;

/** Between two full collections forced by the heap guard, at least this long (ms). */
const FORCED_GC_EVERY_MS = 5000;

/** Input bytes between two looks at the heap besides the cron's (Eviction.checkHeapAfterInput). */
const HEAP_CHECK_INPUT = 8 * 1024 * 1024;

/**
 * Redis's evictionTimeLimitUs: how long one perform() may evict, in µs,
 * for maxmemory-eviction-tenacity 0..100 (0..500 µs linearly up to 10, then
 * 15% more per step, unlimited at 100).
 */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * Math.pow(1.15, tenacity - 10));
  return Infinity;
}

/** Parameters Eviction.configure reads (CONFIG SET of one reconfigures it). */
const MEMORY_PARAMS: ReadonlySet<string> = new Set([
  'maxmemory',
  'maxmemory-policy',
  'maxmemory-samples',
  'maxmemory-eviction-tenacity',
  'maxmemory-clients',
  'lazyfree-lazy-eviction',
]);

export class Eviction implements Subsystem {
  /** The pool: keys (null = empty entry), their scores and databases, ascending by score. */
  private readonly poolKey: (string | null)[] = new Array<string | null>(EVPOOL_SIZE).fill(null);
  private readonly poolScore = new Float64Array(EVPOOL_SIZE);
  private readonly poolDb = new Int32Array(EVPOOL_SIZE);
  /** The random policies' next database (Redis's static next_db). */
  private nextDb = 0;
  /** The policy, decoded by configure(). */
  private by = BY_NONE;
  private allkeys = false;
  /** maxmemory in bytes (0: no limit). */
  maxmemory = 0;
  private samples = 5;
  private limitUs = 500;
  private lazy = false;
  /** evictionTimeProc is scheduled (Redis's isEvictionProcRunning). */
  private running = false;
  private timer: NodeJS.Immediate | null = null;
  /** Since when (performance.now() ms) memory has been over the limit; 0 when it is not. */
  private exceededSince = 0;
  /** Time over the limit that has ended, in ms (INFO total_eviction_exceeded_time). */
  private exceededTotalMs = 0;
  /** The V8 heap is within heapMargin of its limit (refreshed by cron()). */
  heapNear = false;
  /**
   * The OOM state when the running top-level command started (Redis's
   * pre_command_oom_state): scripts check it at their start and before
   * their first write, rather than measuring memory mid-script.
   */
  preCommandOom = false;

  /** What maxmemory measures, when injected (ServerOptions.usedMemory, set by the Server's constructor); else used_memory. */
  gauge: (() => number) | null = null;

  constructor(private readonly server: Server) {}

  /** used_memory as maxmemory sees it. */
  private used(): number {
    return this.gauge !== null ? this.gauge() : usedMemoryOf(this.server);
  }

  /** Subsystem: a maxmemory parameter changed (or the start's were applied): read them, and the dispatcher's memory gate follows. */
  configChanged(name: ParamName | null): void {
    if (name !== null && !MEMORY_PARAMS.has(name)) return;
    this.configure(name);
    this.server.refreshMemoryGate();
  }

  /**
   * Reads the maxmemory parameters (at start and on CONFIG SET of any of
   * them). A maxmemory below what is used starts the eviction timer at once
   * (Redis's updateMaxmemory), with its warning.
   */
  configure(name: ParamName | null): void {
    const v = this.server.config.v;
    this.maxmemory = v['maxmemory'];
    const policy = v['maxmemory-policy'];
    this.allkeys = policy.startsWith('allkeys-');
    this.by =
      policy === 'noeviction'
        ? BY_NONE
        : policy.endsWith('-lru')
          ? BY_LRU
          : policy.endsWith('-lfu')
            ? BY_LFU
            : policy === 'volatile-ttl'
              ? BY_TTL
              : BY_RANDOM;
    this.samples = v['maxmemory-samples'];
    this.limitUs = evictionTimeLimitUs(v['maxmemory-eviction-tenacity']);
    this.lazy = v['lazyfree-lazy-eviction'];
    if (this.maxmemory === 0) this.preCommandOom = false;
    this.tuneHeapGrowth();
    if (name === 'maxmemory' && this.maxmemory !== 0) {
      const used = this.countedMemory();
      if (this.maxmemory < used) {
        this.server.log.warning(
          `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). ` +
            'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
        );
      }
      this.startTimer();
    }
  }

  /**
   * With maxmemory set, V8's old generation may grow by at most
   * HEAP_GROWING_PERCENT between two full collections (V8's own factor goes
   * up to 4x the live size). Under eviction every write turns an evicted
   * value into garbage: writing 1 GB of 1 KB values at `maxmemory 100mb`
   * (about 100 MB of live values) peaked at 461-501 MB RSS with V8's factor,
   * 308-321 MB with 2x at the same throughput (bench/maxmemory.ts fill).
   * Lower factors cost CPU, each collection marking all the live values
   * again: measured as the server's CPU time per SET on that fill (4
   * interleaved runs each), 50% gave 285 MB for 13% more CPU, 25% 265 MB
   * for 20% more; the old generation still peaked at 1.6x the live data
   * at 25%, as the values written while a collection marks are kept until
   * the next. Process-wide (a V8 flag); back to V8's own factor when
   * maxmemory is 0.
   */
  private tuneHeapGrowth(): void {
    const want = this.maxmemory !== 0 ? HEAP_GROWING_PERCENT : 0;
    if (want === this.heapGrowing) return;
    this.heapGrowing = want;
    v8.setFlagsFromString(`--heap-growing-percent=${want}`);
  }
  private heapGrowing = 0;

  /**
   * Memory not counted against maxmemory (Redis's
   * freeMemoryGetNotCountedMemory): the AOF buffer, and the shared
   * replication buffer beyond repl-backlog-size (what replicas still need,
   * or what is still being trimmed after they left).
   */
  notCounted(): number {
    const s = this.server;
    let n = s.aof.state !== 'off' ? s.aof.buf.length : 0;
    const b = s.repl.backlog;
    if (b !== null) {
      // (the backlog's own blocks' overhead, estimated as Redis does, is counted with it)
      const counted = b.size + (Math.floor(b.size / MIN_BLOCK) + 1) * BLOCK_OVERHEAD;
      if (b.mem > counted) n += b.mem - counted;
    }
    return n;
  }

  /** used_memory less what is not counted against the limit. */
  countedMemory(): number {
    return Math.max(0, this.used() - this.notCounted());
  }

  /** used() as toFree() last read it: evictUntil()'s first reading. */
  private lastUsed = 0;

  /**
   * Whether used memory is over maxmemory (Redis's getMaxmemoryState ==
   * C_ERR); the bytes to free, or 0 when under. Cheap when under: the
   * not-counted memory is only looked at when the total is over.
   */
  private toFree(): number {
    const max = this.maxmemory;
    if (max === 0) return 0;
    const reported = this.used();
    this.lastUsed = reported;
    if (reported <= max) return 0;
    const used = reported - this.notCounted();
    return used <= max ? 0 : used - max;
  }

  /**
   * Whether evicting is allowed now (Redis's isSafeToPerformEvictions): not
   * while a script is busy (its commands and the DELs would interleave in
   * the propagation), not while loading, not during CLIENT PAUSE.
   */
  private safe(): boolean {
    const s = this.server;
    // (a replica with replica-ignore-maxmemory yes stays an exact copy of its primary)
    return (
      s.busyScript === null &&
      !s.loading &&
      s.pause.mode === 0 &&
      !(s.repl.following && s.config.v['replica-ignore-maxmemory'])
    );
  }

  /**
   * Redis's performEvictions: evicts keys until used memory is under
   * maxmemory or the time limit passes (the timer then goes on). Returns
   * EVICT_OK (under the limit, or evicting is not allowed now),
   * EVICT_RUNNING (over, the timer goes on) or EVICT_FAIL (over and nothing
   * can be evicted). Called by the memory gate (dispatcher) and the timer.
   */
  perform(): number {
    if (!this.safe()) return EVICT_OK;
    let result = EVICT_FAIL;
    const toFree = this.toFree();
    if (toFree === 0) result = EVICT_OK;
    else if (this.by !== BY_NONE) result = this.evictUntil(toFree);
    // time spent over the limit (INFO *_eviction_exceeded_time)
    if (result !== EVICT_OK) {
      if (this.exceededSince === 0) this.exceededSince = performance.now();
    } else if (this.exceededSince !== 0) {
      this.exceededTotalMs += performance.now() - this.exceededSince;
      this.exceededSince = 0;
    }
    return result;
  }

  /**
   * The loop of perform(): evicts until `toFree` bytes are freed, time is up,
   * or nothing is left. Each deletion is measured as the drop in used memory;
   * the reading after one is the reading before the next (nothing runs in
   * between), and the first is toFree()'s (`lastUsed`).
   */
  private evictUntil(toFree: number): number {
    const t0 = performance.now();
    let freed = 0;
    let n = 0;
    let before = this.lastUsed;
    while (freed < toFree) {
      if (!this.evictOne()) {
        this.latencySample('eviction-cycle', t0);
        return EVICT_FAIL;
      }
      const after = this.used();
      freed += before - after;
      before = after;
      n++;
      if (n % 16 === 0) {
        // Deleted values may be freed later (lazy free): stop once memory is back under.
        if (this.lazy && this.toFree() === 0) break;
        if ((performance.now() - t0) * 1000 > this.limitUs) {
          this.startTimer();
          break;
        }
      }
    }
    this.latencySample('eviction-cycle', t0);
    return this.running ? EVICT_RUNNING : EVICT_OK;
  }

  /** A LATENCY event for what started at `t0` (performance.now()), when it reached latency-monitor-threshold. */
  private latencySample(event: string, t0: number): void {
    const threshold = this.server.hot.latencyMonitorThreshold;
    if (threshold === 0) return;
    const ms = performance.now() - t0;
    if (ms >= threshold) this.server.latency.add(event, Math.floor(ms), Math.floor(this.server.clock() / 1000));
  }

  /**
   * Evicts one key by the policy; false when no key can be evicted. The
   * latency event `eviction-del` times the deletion alone, as Redis's.
   */
  private evictOne(): boolean {
    return this.by === BY_RANDOM ? this.evictRandom() : this.evictFromPool();
  }

  /** Random policies: a random key of the next database that has one (allkeys: any key; volatile: one with a TTL). */
  private evictRandom(): boolean {
    const dbs = this.server.dbs;
    for (let i = 0; i < dbs.length; i++) {
      this.nextDb = (this.nextDb + 1) % dbs.length;
      const db = dbs[this.nextDb]!;
      const dict = this.allkeys ? db.dict : db.expires;
      if (dict.size !== 0) return this.evictKey(db, dict.randomKey(this.server.random)!);
    }
    return false;
  }

  /**
   * LRU, LFU and TTL policies: refills the pool from every database, then
   * evicts its best entry whose key still exists (ghosts are dropped and the
   * next is tried; an empty pool is refilled). False when no database has a
   * candidate key. With allkeys-* the deletion itself says whether the key
   * was there (one hash lookup rather than a lookup and then the deletion's);
   * volatile-* checks the key still has a TTL first.
   */
  private evictFromPool(): boolean {
    const dbs = this.server.dbs;
    const keys = this.poolKey;
    for (;;) {
      let total = 0;
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[i]!;
        const size = this.allkeys ? db.dict.size : db.expires.size;
        if (size !== 0) {
          this.populate(i, db);
          total += size;
        }
      }
      if (total === 0) return false;
      for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
        const key = keys[k];
        if (key === null || key === undefined) continue;
        const db = dbs[this.poolDb[k]!]!;
        keys[k] = null;
        this.poolScore[k] = 0;
        if (!this.allkeys && !db.expires.has(key)) continue;
        if (this.evictKey(db, key)) return true;
      }
    }
  }

  /**
   * Redis's evictionPoolPopulate: samples up to maxmemory-samples keys of
   * db `dbid` and inserts each that scores better than the pool's worst (or
   * that finds a free entry), keeping the pool sorted ascending by score.
   * With allkeys-* a sample is scored from the metadata array alone, and
   * its key is read only when it enters the pool (most samples do not: one
   * memory access fewer each).
   */
  private populate(dbid: number, db: Db): void {
    const allkeys = this.allkeys;
    const by = this.by;
    const sampled = allkeys ? db.dict : db.expires;
    const size = sampled.size;
    const n = Math.min(this.samples, size);
    const now = this.server.now();
    const clock = lruClock(now);
    const decay = this.server.hot.lfuDecayTime;
    const random = this.server.random;
    const keys = this.poolKey;
    const scores = this.poolScore;
    const dbs = this.poolDb;
    const main = db.dict;
    for (let j = 0; j < n; j++) {
      // all keys when there are no more than samples; else random slots
      const slot = n === size ? j : Math.floor(random() * size);
      let score: number;
      if (by === BY_TTL) {
        // the sooner the expiry, the better
        score = -Number(db.expires.valAt(slot));
      } else {
        const at = allkeys ? slot : main.slot(sampled.keyAt(slot));
        if (at < 0) continue;
        const m = main.metaAt(at);
        score = by === BY_LRU ? idleMsAt(m, clock) : 255 - lfuDecr(m, now, decay);
      }
      // the first empty entry or the first with a lower score
      let k = 0;
      while (k < EVPOOL_SIZE && keys[k] !== null && scores[k]! < score) k++;
      if (k === 0 && keys[EVPOOL_SIZE - 1] !== null) continue; // worse than everything in a full pool
      if (k < EVPOOL_SIZE && keys[k] === null) {
        // an empty entry: nothing to move
      } else if (keys[EVPOOL_SIZE - 1] === null) {
        // room on the right: shift k.. right (loops: Array#copyWithin is a slow runtime call)
        for (let i = EVPOOL_SIZE - 1; i > k; i--) {
          keys[i] = keys[i - 1]!;
          scores[i] = scores[i - 1]!;
          dbs[i] = dbs[i - 1]!;
        }
      } else {
        // full: drop the lowest score, shifting ..k-1 left
        k--;
        for (let i = 0; i < k; i++) {
          keys[i] = keys[i + 1]!;
          scores[i] = scores[i + 1]!;
          dbs[i] = dbs[i + 1]!;
        }
      }
      keys[k] = sampled.keyAt(slot);
      scores[k] = score;
      dbs[k] = dbid;
    }
  }

  /**
   * Evicts `key` of `db` when it exists: deleted, counted, signalled,
   * notified, propagated. False (nothing done) when the key is gone (a
   * ghost of the pool).
   */
  private evictKey(db: Db, key: string): boolean {
    const server = this.server;
    const threshold = server.hot.latencyMonitorThreshold;
    const t0 = threshold !== 0 ? performance.now() : 0;
    if (!db.evict(key)) return false;
    if (threshold !== 0) this.latencySample('eviction-del', t0);
    server.stats.evictedKeys++;
    // Redis's propagateDeletion: the DEL stands alone in the stream
    if (server.propagator.active) server.propagator.propagate(db.id, [this.lazy ? 'UNLINK' : 'DEL', key]);
    return true;
  }

  /** Redis's startEvictionTimeProc: perform() again each turn of the event loop while it says EVICT_RUNNING. */
  private startTimer(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setImmediate(this.timerProc);
  }

  private readonly timerProc = (): void => {
    this.timer = null;
    if (this.server.closing) {
      this.running = false;
      return;
    }
    if (this.perform() === EVICT_RUNNING) {
      this.timer = setImmediate(this.timerProc);
      return;
    }
    this.running = false;
  };

  /** When the heap guard last forced a full collection (performance.now() ms). */
  private lastForcedGc = -Infinity;
  /** V8's full collection (heap.ts's fullGcFunction), taken the first time the heap is near its limit. */
  private gc: (() => void) | null = null;

  /** server.stats.netInputBytes at which the server reads the heap again between cron ticks (checkHeapAfterInput). */
  nextHeapCheck = HEAP_CHECK_INPUT;

  /**
   * Called after reads once another HEAP_CHECK_INPUT bytes arrived since
   * the last look: a flood of writes can fill the heap faster than the cron
   * ticks, and what clients send is what writes can add.
   */
  checkHeapAfterInput(): void {
    this.nextHeapCheck = this.server.stats.netInputBytes + HEAP_CHECK_INPUT;
    this.cron();
  }

  /**
   * Once per cron tick: whether the V8 heap is near its limit (the gate
   * refuses denyoom commands then, whatever maxmemory says).
   */
  cron(): void {
    let h = heapFigures();
    let near = h.used > h.limit - heapMargin(h.limit) || h.machineNear;
    // Part of what is used may be garbage (a FLUSHALL, deleted keys): an idle
    // server never collects it, so writes would stay refused. Collect first
    // (V8 does the same near its limit), at most every FORCED_GC_EVERY_MS.
    if (near && performance.now() - this.lastForcedGc >= FORCED_GC_EVERY_MS) {
      this.lastForcedGc = performance.now();
      this.gc ??= fullGcFunction() ?? (() => {});
      this.gc();
      h = heapFigures();
      near = h.used > h.limit - heapMargin(h.limit) || h.machineNear;
    }
    if (near !== this.heapNear) {
      this.heapNear = near;
      if (near && h.machineNear && h.used <= h.limit - heapMargin(h.limit)) {
        this.server.log.warning(
          `Memory near the machine's (V8 heap ${h.used} bytes, outside it ${offHeapBytes()}): refusing commands that may grow memory.`,
        );
      } else if (near)
        this.server.log.warning(
          `V8 heap near its limit (${h.used} of ${h.limit} bytes used): refusing commands that may grow memory.`,
        );
      else this.server.log.notice('V8 heap back under its limit: accepting writes again.');
      this.server.refreshMemoryGate();
    }
  }

  /** INFO stats: total_eviction_exceeded_time and current_eviction_exceeded_time, in ms. */
  exceededMs(): { total: number; current: number } {
    const current = this.exceededSince === 0 ? 0 : performance.now() - this.exceededSince;
    return { total: Math.floor(this.exceededTotalMs + current), current: Math.floor(current) };
  }

  /** CONFIG RESETSTAT: the exceeded times start again (a current excess from the next perform()). */
  resetStats(): void {
    this.exceededTotalMs = 0;
    this.exceededSince = 0;
    this.nextHeapCheck = HEAP_CHECK_INPUT; // (net input is counted from 0 again)
  }

  /** Server close: the timer stops. */
  close(): void {
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.running = false;
  }
}

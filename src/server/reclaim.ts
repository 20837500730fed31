/**
 * Giving memory back when the server goes idle after freeing a lot (issue
 * 14: "after 1M keys with EX 1 expire, or a 100 MB value is deleted, RSS
 * is within 2x of the empty server's within 30 s").
 *
 * Removing a key drops references; V8 reclaims the objects at its next
 * collection, and an idle server allocates nothing, so none comes: measured
 * (bench/memory-return.ts), 1M keys with EX 1 left RSS at 217 MB for 30 s
 * and more after they had all expired (the empty server: 78 MB), and V8's
 * own memory reducer did not start (it waits for a low allocation rate
 * measured at GC times). A full collection then brought it to 95 MB: V8
 * unmaps the old-space pages it emptied, and the ArrayBuffers behind values
 * of 16 KB or more are freed (a 100 MB one is its own mmap, unmapped).
 *
 * So the cron (IdleReclaim.cron, every tick) watches for this: no command
 * for IDLE_MS and used_memory unchanged meanwhile (the active expiry or a
 * lazy free has finished), used_memory at least RECLAIM_MIN_BYTES and
 * RECLAIM_MIN_SHARE below its high-water mark since the last reclaim, and
 * that much garbage possibly in V8's heap and external memory (heap used
 * plus external beyond used_memory, the young generation aside); or, with
 * used_memory steady, PILED_MIN_BYTES of such garbage piled up since the
 * least seen (a big value set and deleted between two ticks). Then it runs one full collection,
 * and a second one once the server has had no command for FOLLOW_UP_MS
 * (and the young generation is still big): V8 shrinks
 * its young generation (grown to 32 MB under load) only at a collection that
 * finds the allocation rate of the last seconds low, which the first one,
 * right after the work, does not (measured: RSS 145 MB after the first, 107
 * after the second, new space 32 MB -> 1 MB).
 * The collection stops the thread (V8 offers no incremental collection to
 * JS); its pause grows with the live data, so none is run when more than
 * RECLAIM_MAX_LIVE_BYTES stay (V8's own collector gives that back when the
 * server works again). A client arriving during one waits for it: measured
 * pauses in bench/RESULTS.md (issue 14, memory coming back).
 *
 * Off unless `enabled` (the CLI turns it on, serve.ts): a server embedded
 * in an application shares its isolate, whose collections are the
 * application's business. Process-wide in effect (the heap is the
 * isolate's), per server in bookkeeping.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import { fullGcFunction, heapUsedBytes, offHeapBytes, refreshHeapGauge } from './heap.js';
import { usedMemory } from '../observability/memory.js';
import { vmHeapBytes } from '../scripting/lua.js';

const MB = 1024 * 1024;
/** How long without commands (and without used_memory changing) counts as idle, ms. */
export const IDLE_MS = 500;
/** The least drop of used_memory below its high-water mark worth a collection. */
export const RECLAIM_MIN_BYTES = 16 * MB;
/** ... and the least share of the high-water mark that drop must be. */
export const RECLAIM_MIN_SHARE = 0.25;
/** The second collection, this long after the first (V8 measures the allocation rate over 5 s), ms. */
export const FOLLOW_UP_MS = 6000;
/**
 * No forced collection with more than this much data left: its pause grows
 * with the live heap (measured with --trace-gc: 160 ms, then 125 ms for the
 * follow-up, with 1M keys left, an 84 MB heap, on the shared 2-core box).
 */
export const RECLAIM_MAX_LIVE_BYTES = 256 * MB;
/**
 * The least garbage (beyond the young generation, over the floor) that
 * counts as piled when used_memory did not drop. A working heap carries
 * garbage between V8's own collections: under BullMQ (bench/scripting.ts
 * --bullmq) 16-21 MB after each burst, up to 16 MB of it in the old
 * generation. Collecting that at each idle moment cost the next burst more
 * than the collection itself: V8 sets its old-generation limit from the
 * small live heap a forced collection leaves, and the next burst ran 9
 * mark-compacts (372-413 ms) instead of 5-6 (40-81 ms), its server CPU
 * 1.3-1.8x (bench/RESULTS.md, issue 19). V8 collects that garbage itself
 * once the server works again; what it never collects on an idle server is
 * a big freed value (the test's 50 MB), which this leaves to the reclaim.
 */
export const PILED_MIN_BYTES = 32 * MB;
/** The follow-up runs only while the young generation is bigger than this (V8's smallest is 1 MB). */
const FOLLOW_UP_NEW_SPACE = 4 * MB;

/** The young generation's committed size (V8's new_space), bytes. */
function newSpaceBytes(): number {
  for (const sp of v8.getHeapSpaceStatistics()) if (sp.space_name === 'new_space') return sp.space_size;
  return 0;
}

/**
 * Bytes the young generation holds now (new space and young large objects):
 * garbage there goes at the next scavenge, and a full collection gives
 * none of its pages back (only the follow-up's shrink does).
 */
function youngUsedBytes(): number {
  let n = 0;
  for (const sp of v8.getHeapSpaceStatistics())
    if (sp.space_name === 'new_space' || sp.space_name === 'new_large_object_space') n += sp.space_used_size;
  return n;
}

export class IdleReclaim implements Subsystem {
  /** Whether the server reclaims at all (set by the CLI). */
  enabled = false;
  /** Collections run, and the last one's pause (ms), for the log and tests. */
  runs = 0;
  lastPauseMs = 0;
  private gc: (() => void) | null | undefined = undefined;
  private lastCommands = -1;
  private lastUsed = -1;
  private activeAt = 0;
  /** used_memory's high-water mark since the last reclaim (or the start). */
  private high = 0;
  /** The least of garbageBytes() seen while idle, and its value after each collection. */
  private floor = Infinity;
  /** When the first collection ran while the follow-up is due (performance.now()), or 0. */
  private followUpFrom = 0;

  constructor(private readonly server: Server) {}

  /**
   * Subsystem: one cron tick (last in the server's list: it may take a
   * while). Notes activity and used_memory, and when the server has
   * been idle IDLE_MS after used_memory fell far below its high-water mark,
   * runs a full collection (see the file comment). Costs a used_memory
   * reading (O(databases)) when enabled.
   */
  cron(): void {
    if (!this.enabled) return;
    const server = this.server;
    const now = performance.now();
    const used = usedMemory(server);
    if (used > this.high) this.high = used;
    // The first tick sets the floor: a server busy from its start until a big
    // free would otherwise take its first idle reading, garbage included, as
    // the floor, and never see that garbage (found by test/cli/memory-return).
    if (this.floor === Infinity) this.floor = this.garbageBytes(used);
    const commands = server.stats.totalCommands;
    if (commands !== this.lastCommands || used !== this.lastUsed) {
      this.lastCommands = commands;
      this.lastUsed = used;
      this.activeAt = now;
      return;
    }
    if (now - this.activeAt < IDLE_MS) return;
    // the second collection, after FOLLOW_UP_MS without commands (V8 must see a low allocation rate)
    if (this.followUpFrom !== 0 && now - Math.max(this.activeAt, this.followUpFrom) >= FOLLOW_UP_MS) {
      this.followUpFrom = 0;
      if (newSpaceBytes() > FOLLOW_UP_NEW_SPACE) this.collect('the follow-up');
      return;
    }
    const freed = this.high - used;
    const dropped = freed >= RECLAIM_MIN_BYTES && freed >= this.high * RECLAIM_MIN_SHARE;
    // What V8 holds beyond used_memory, over the least seen while idle (the
    // model's own error): a rise means garbage no collection has taken, such
    // as a big value set and deleted between two ticks, which the high-water
    // mark never saw (measured on Node 24: a 50 MB value set and deleted in
    // one read kept RSS 100 MB up for as long as the server stayed idle).
    const garbage = this.garbageBytes(used);
    if (garbage < this.floor) this.floor = garbage;
    const piled = garbage - this.floor >= Math.max(PILED_MIN_BYTES, used * RECLAIM_MIN_SHARE);
    if (!dropped && !piled) return;
    // from here on, one decision per drop: the mark follows used_memory down
    this.high = used;
    if (used > RECLAIM_MAX_LIVE_BYTES) return;
    // V8 collected it already?
    if (!piled && garbage - this.floor < RECLAIM_MIN_BYTES) return;
    this.collect(
      dropped
        ? `idle after freeing ${(freed / MB).toFixed(1)} MB`
        : `idle with ${((garbage - this.floor) / MB).toFixed(1)} MB of garbage`,
    );
    this.floor = this.garbageBytes(used);
    this.followUpFrom = performance.now();
  }

  /**
   * V8's heap and external memory beyond used_memory (`used`), the Lua VM's
   * WebAssembly memory aside (it is external, counted apart) and the young
   * generation too (see youngUsedBytes). Reads V8's statistics afresh
   * (called only while idle).
   */
  private garbageBytes(used: number): number {
    refreshHeapGauge();
    return heapUsedBytes() - youngUsedBytes() + offHeapBytes() - vmHeapBytes() - used;
  }

  /** Runs V8's full collection now, timed and logged (verbose) with `why`. */
  private collect(why: string): void {
    if (this.gc === undefined) this.gc = fullGcFunction();
    if (this.gc === null) return;
    const t0 = performance.now();
    this.gc();
    this.lastPauseMs = performance.now() - t0;
    this.runs++;
    refreshHeapGauge();
    this.server.log.verbose(
      `Memory reclaim (${why}): a full garbage collection took ${this.lastPauseMs.toFixed(1)} ms`,
    );
  }
}

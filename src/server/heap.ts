/**
 * The V8 heap: how big tsdis lets it grow, and how full it is.
 *
 * V8 fixes an isolate's heap limit when the isolate is created: Node 20's
 * default here is 4.3 GB whatever the machine has, and
 * `v8.setFlagsFromString('--max-old-space-size=…')` at run time does not
 * raise it (a process storing 1 KB strings still died at ~4 GB). A server
 * that dies at that limit loses everything not yet saved, so the CLI runs the
 * server in an isolate created with the limit it needs (cli.ts):
 *  - `maxmemory` set: room for maxmemory of data plus the garbage between two
 *    collections (HEAP_PER_MAXMEMORY times maxmemory, plus HEAP_BASE);
 *  - `maxmemory 0`: a share of the machine's memory (HEAP_SHARE_OF_MACHINE
 *    of the smaller of the physical memory and a cgroup v1/v2 limit), the
 *    rest left for memory outside the V8 heap (Buffers, client buffers, the
 *    Lua VM, Node itself) and the system;
 *  - never below V8's own default.
 * Near that limit with `maxmemory 0`, the heap guard (keyspace/evict.ts)
 * has the OOM gate refuse commands that may grow memory: it reads
 * heapUsedBytes() against oldGenerationLimitBytes(), and machineMemoryNear() for heap
 * plus offHeapBytes() (values of 16 KB or more are Buffers, outside the heap)
 * against the machine's memory. How near is safe, measured
 * (`node --max-old-space-size=256 dist/cli.js`, SETs of 1 KB until the
 * process died): heap_size_limit is the old generation's limit plus the
 * young generation (256 + 48 MB), and the process died with 252 MB used,
 * i.e. at the old generation's limit, 83% of heap_size_limit.
 *
 * heapUsedBytes() is read on the command path, and v8.getHeapStatistics()
 * costs 0.55–0.65 µs a call (process.memoryUsage() 26 µs: it reads /proc for
 * the RSS), about as much as a whole SET, so the figure is a gauge refreshed
 * every GAUGE_CALLS reads and by the cron (refreshHeapGauge). The heap is one
 * per isolate, shared by every Server in it, so the gauge is kept per
 * isolate (this module), not per server.
 */
import process from 'node:process';
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, resourceLimits } from 'node:worker_threads';
import { DOUBLE_ZERO } from '../util/numbers.js';

const MB = 1024 * 1024;
/** Heap per byte of maxmemory: the data, plus garbage and V8's working room between collections. */
export const HEAP_PER_MAXMEMORY = 1.5;
/** Heap beyond the data with maxmemory set: tsdis, the command table, clients' objects. */
export const HEAP_BASE = 256 * MB;
/** With maxmemory 0, the share of the machine's memory the heap may take. */
export const HEAP_SHARE_OF_MACHINE = 0.75;
/** Reads of heapUsedBytes() between two readings of V8's statistics. */
const GAUGE_CALLS = 64;

/** cgroup limits at or above this mean "no limit" (v1 writes 2^63 rounded down to a page). */
const CGROUP_UNLIMITED = 2 ** 60;

/** Where cgroup information is read: the real files, or a fake tree in tests. */
export interface CgroupPaths {
  /** The process's cgroup membership (/proc/self/cgroup). */
  procSelfCgroup: string;
  /** Where the cgroup file systems are mounted (/sys/fs/cgroup). */
  root: string;
}

const REAL_CGROUP: CgroupPaths = { procSelfCgroup: '/proc/self/cgroup', root: '/sys/fs/cgroup' };

/** A limit file's value in bytes, or null when missing, unreadable, `max` or unlimited. */
function readLimit(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1').trim();
  } catch {
    return null;
  }
  if (!/^\d+$/.test(text)) return null; // "max" (v2)
  const n = Number(text);
  return n > 0 && n < CGROUP_UNLIMITED ? n : null;
}

/**
 * The smallest limit set in `file` on the cgroup at `rel` (under `base`)
 * or any of its ancestors: a child cgroup can use no more than its parent
 * allows. Also tries `base` itself, where a container sees its own cgroup
 * mounted as the root.
 */
function smallestOnPath(base: string, rel: string, file: string): number | null {
  let best: number | null = null;
  const take = (n: number | null) => {
    if (n !== null && (best === null || n < best)) best = n;
  };
  const parts = rel.split('/').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) take(readLimit([base, ...parts.slice(0, i), file].join('/')));
  return best;
}

/**
 * The memory limit of this process's cgroup (v2 `memory.max`, v1
 * `memory.limit_in_bytes`), or null when none is set or none can be read
 * (not Linux, no cgroup file system). Read once at start by the CLI.
 */
export function cgroupMemoryLimit(paths: CgroupPaths = REAL_CGROUP): number | null {
  let membership: string;
  try {
    membership = fs.readFileSync(paths.procSelfCgroup, 'latin1');
  } catch {
    return null;
  }
  let best: number | null = null;
  const take = (n: number | null) => {
    if (n !== null && (best === null || n < best)) best = n;
  };
  for (const line of membership.split('\n')) {
    // "hierarchy-id:controllers:path"; v2 is "0::path", v1 lists its controllers
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m === null) continue;
    const controllers = m[2]!.split(',');
    const rel = m[3]!;
    if (m[1] === '0' && m[2] === '') {
      take(smallestOnPath(paths.root, rel, 'memory.max'));
      take(smallestOnPath(`${paths.root}/unified`, rel, 'memory.max'));
    } else if (controllers.includes('memory')) {
      take(smallestOnPath(`${paths.root}/memory`, rel, 'memory.limit_in_bytes'));
    }
  }
  return best;
}

/** The memory this process can have: the physical memory, or less when a cgroup limit says so. */
export function machineMemoryBytes(paths: CgroupPaths = REAL_CGROUP): number {
  const total = os.totalmem();
  const cg = cgroupMemoryLimit(paths);
  return cg !== null && cg < total ? cg : total;
}

/**
 * The heap limit tsdis wants, in bytes (the file comment gives the rule):
 * `maxmemory` in bytes (0 = none), `machine` from machineMemoryBytes(),
 * `v8Default` the limit V8 would pick by itself (never went below).
 */
export function desiredHeapLimitBytes(maxmemory: number, machine: number, v8Default: number): number {
  const want = maxmemory > 0 ? maxmemory * HEAP_PER_MAXMEMORY + HEAP_BASE : machine * HEAP_SHARE_OF_MACHINE;
  return Math.max(v8Default, Math.floor(want / MB) * MB);
}

/** V8's semi-space size for a heap of more than about 1 GB (its default here), in MB. */
export const V8_SEMI_SPACE_MB = 16;
/** With maxmemory set, a semi-space is at most this share of it (the new space, two of them, a quarter). */
const SEMI_SPACE_SHARE = 1 / 8;

/**
 * The semi-space size tsdis wants for the young generation, in MB: with
 * maxmemory set, the largest power of two (V8 rounds to one) at most
 * maxmemory / 8, from 1 MB to V8's own 16 MB; V8's 16 MB with maxmemory 0.
 * Both semi-spaces are written to in turn, so the new space adds two of them
 * to the RSS: 30 of the 315 MB peak when writing 1 GB under `maxmemory
 * 100mb`. Smaller ones cost CPU (more scavenges, more short-lived objects
 * promoted): measured on that fill (bench/maxmemory.ts, CPU time per SET
 * against 16 MB), 8 MB +3% for 24 MB less RSS, 4 MB +18%, 1 MB +28%. The
 * CLI gives the server's isolate a young generation of three times this
 * (resourceLimits.maxYoungGenerationSizeMb; V8 adds a new large-object
 * space as big as a semi-space).
 */
export function desiredSemiSpaceMb(maxmemory: number): number {
  if (maxmemory <= 0) return V8_SEMI_SPACE_MB;
  let mb = 1;
  while (mb * 2 <= V8_SEMI_SPACE_MB && mb * 2 * 1024 * 1024 <= maxmemory * SEMI_SPACE_SHARE) mb *= 2;
  return mb;
}

/** This isolate's heap limit, fixed when it was created. */
const LIMIT = v8.getHeapStatistics().heap_size_limit;

/** The V8 heap limit of this isolate (the server's), in bytes: constant for its life. */
export function heapLimitBytes(): number {
  return LIMIT;
}

/** Node's own flags: its command line and NODE_OPTIONS. */
export function nodeFlags(): string[] {
  return [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
}

/** node's --max-old-space-size (command line or NODE_OPTIONS) in MB, or null when not given. */
function oldSpaceFlagMb(): number | null {
  let mb: number | null = null;
  for (const f of nodeFlags()) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(f);
    if (m) mb = Number(m[1]);
  }
  return mb;
}

/**
 * The old generation's limit, where the data lives and where the heap runs
 * out: heap_size_limit less the young generation's reservation, which is
 * 48 MB on Node 20 and 22 but 192 MB on Node 24 (so against heap_size_limit
 * alone the guard came too late for a small heap, and the process died).
 * Known in a worker (its resourceLimits) and with node's --max-old-space-size;
 * otherwise the heap is V8's default (GBs), whose margin (evict.ts's
 * heapMargin, 10%) covers the young generation, and heap_size_limit stands.
 */
function oldGenerationLimit(): number {
  const own = isMainThread ? undefined : resourceLimits.maxOldGenerationSizeMb;
  const mb = own !== undefined && own > 0 ? own : oldSpaceFlagMb();
  return mb === null ? LIMIT : Math.min(LIMIT, mb * MB);
}
const OLD_LIMIT = oldGenerationLimit();

/** The old generation's limit in bytes (oldGenerationLimit): what the heap guard measures against. */
export function oldGenerationLimitBytes(): number {
  return OLD_LIMIT;
}

/** The memory this process can have (machineMemoryBytes), read once. */
const MACHINE = machineMemoryBytes();
/** The share of the machine's memory that heap and off-heap memory together may reach with maxmemory 0. */
export const MACHINE_OOM_FRACTION = 0.9;

/** The isolate's gauge: the last reading of V8's statistics (and the process's RSS) and the reads since. */
const gauge = { used: DOUBLE_ZERO, external: DOUBLE_ZERO, rss: DOUBLE_ZERO, reads: 0 };
refreshHeapGauge();

/**
 * The V8 heap's used bytes (live objects and garbage not yet collected),
 * as of at most GAUGE_CALLS reads or one cron tick ago. Costs a counter
 * increment; every GAUGE_CALLS-th call reads V8's statistics.
 */
export function heapUsedBytes(): number {
  if (++gauge.reads >= GAUGE_CALLS) refreshHeapGauge();
  return gauge.used;
}

/**
 * Memory V8 knows of outside its heap (Buffers, including string values of
 * 16 KB or more, typed arrays such as the key index, the Lua VM's memory),
 * from the same reading as heapUsedBytes(): the heap limit does not bound it.
 */
export function offHeapBytes(): number {
  return gauge.external;
}

/**
 * Whether heap and off-heap memory together, or the process's resident
 * memory, are past MACHINE_OOM_FRACTION of the machine's memory, as of the
 * gauge's last reading: the heap limit does not bound off-heap memory
 * (values of 16 KB or more), so the heap guard (keyspace/evict.ts, with
 * maxmemory 0) checks this too. The RSS counts what V8's figures leave out
 * (Node's own ~40-50 MB: code, the heap's committed but unused pages), which
 * the OOM killer counts; V8's figures count what may not be resident.
 */
export function machineMemoryNear(): boolean {
  return Math.max(gauge.used + gauge.external, gauge.rss) > MACHINE * MACHINE_OOM_FRACTION;
}

/** Reads V8's statistics into the gauge now (serverCron, and every GAUGE_CALLS reads). */
export function refreshHeapGauge(): void {
  const h = v8.getHeapStatistics();
  gauge.reads = 0;
  gauge.used = h.used_heap_size;
  gauge.external = h.external_memory;
  gauge.rss = process.memoryUsage.rss();
}

/**
 * V8's full (non-incremental) garbage collection for this isolate, or null
 * when it cannot be had: global.gc under --expose-gc, else the flag set now
 * and the function taken from a fresh context (the flag only exposes it to
 * contexts made after it). Used by the idle reclaim (server/reclaim.ts) and
 * the heap guard (keyspace/evict.ts).
 */
export function fullGcFunction(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    const f: unknown = vm.runInNewContext('gc');
    return typeof f === 'function' ? (f as () => void) : null;
  } catch {
    return null;
  }
}

/**
 * Memory accounting for INFO memory, MEMORY STATS and MEMORY USAGE.
 *
 * Process figures come from Node: used_memory is V8's used heap plus memory
 * held outside the heap (Buffers), rss is the resident set size. Per-key
 * figures (MEMORY USAGE) are estimates of what V8 allocates on a 64-bit build
 * without pointer compression, which is how Node ships:
 *  - a key: its one-byte string (16 bytes of header + its length, rounded up
 *    to 8) plus the dictionary's share per entry (its [hash, slot] pair in
 *    the key index at 35–70% load, the slots in the keys and values arrays
 *    and the 4-byte access-time slot: about 40 bytes measured at 1M keys,
 *    bench/RESULTS.md); DICT_ENTRY_BYTES is kept at 64, an upper bound from
 *    when the index was a V8 Map;
 *  - a string value: a small integer costs nothing (a tagged Smi), a larger
 *    integer a HeapNumber (16), text a one-byte string like keys, a Buffer
 *    its bytes plus the object and backing-store headers (BUFFER_OVERHEAD);
 *  - a collection: the type's own `memoryUsage(samples)` when it provides one,
 *    else a base object cost plus, when it is iterable, an average over
 *    `samples` elements (0 = all) times its size — Redis's sampling rule.
 */
import v8 from 'node:v8';
import type { Server } from '../server/server.js';
import type { Value } from '../keyspace/value.js';
import { clientMemory } from './clientlist.js';

const DICT_ENTRY_BYTES = 64;
const STRING_HEADER = 16;
const HEAP_NUMBER = 16;
const BUFFER_OVERHEAD = 96;
const OBJECT_BASE = 64;
/** Dictionary cost per key with a TTL: its entry in the expires dict plus a HeapNumber for the time. */
const EXPIRE_ENTRY_BYTES = 48;

/** Bytes of a one-byte V8 string of length n. */
export function stringBytes(n: number): number {
  return STRING_HEADER + ((n + 7) & ~7);
}

/** Estimated bytes of an element of a collection (member, field, value, score). */
function elementBytes(e: unknown): number {
  if (typeof e === 'string') return stringBytes(e.length);
  if (typeof e === 'number') return Number.isInteger(e) && Math.abs(e) < 2 ** 31 ? 8 : HEAP_NUMBER + 8;
  if (Buffer.isBuffer(e)) return BUFFER_OVERHEAD + e.length;
  if (Array.isArray(e)) {
    let n = 16 + 8 * e.length;
    for (const x of e) n += elementBytes(x);
    return n;
  }
  return OBJECT_BASE;
}

/** Estimated bytes of a value (see the file comment for the model). */
export function valueBytes(v: Value, samples: number): number {
  if (typeof v === 'string') return stringBytes(v.length);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 0 : HEAP_NUMBER;
  if (Buffer.isBuffer(v)) return BUFFER_OVERHEAD + v.length;
  const custom = (v as unknown as { memoryUsage?: (samples: number) => number }).memoryUsage;
  if (typeof custom === 'function') return custom.call(v, samples);
  const it = (v as unknown as { [Symbol.iterator]?: () => Iterator<unknown> })[Symbol.iterator];
  const sizeOf = (v as unknown as { size?: number; length?: number });
  const size = typeof sizeOf.size === 'number' ? sizeOf.size : typeof sizeOf.length === 'number' ? sizeOf.length : 0;
  if (typeof it !== 'function' || size === 0) return OBJECT_BASE;
  let taken = 0;
  let bytes = 0;
  const iter = it.call(v);
  for (let r = iter.next(); !r.done && (samples === 0 || taken < samples); r = iter.next()) {
    bytes += elementBytes(r.value) + 8;
    taken++;
  }
  return OBJECT_BASE + (taken > 0 ? Math.round((bytes / taken) * size) : 0);
}

/** MEMORY USAGE: the key, its value and its share of the dictionaries. */
export function keyUsage(key: string, v: Value, hasTtl: boolean, samples: number): number {
  return DICT_ENTRY_BYTES + stringBytes(key.length) + valueBytes(v, samples) + (hasTtl ? EXPIRE_ENTRY_BYTES : 0);
}

/** Per-server figures kept between calls: the baseline at startup and the peak. */
interface MemState {
  startup: number;
  peak: number;
}
const states = new WeakMap<Server, MemState>();

function state(server: Server): MemState {
  let s = states.get(server);
  if (s === undefined) {
    // Startup is what the process used when this module was loaded, before
    // any server existed: Node, V8 and tsdis's own code.
    s = { startup: BASELINE, peak: Math.max(BASELINE, usedMemory()) };
    states.set(server, s);
  }
  return s;
}

const BASELINE = (() => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
})();

/** used_memory: V8's used heap plus memory held by Buffers and other external allocations. */
export function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export interface MemoryOverhead {
  used: number;
  rss: number;
  peak: number;
  startup: number;
  clientsNormal: number;
  clientsSlaves: number;
  replBacklog: number;
  aofBuffer: number;
  /** Per db with keys: [id, main dict bytes, expires dict bytes]. */
  dbs: [number, number, number][];
  overheadTotal: number;
  dataset: number;
  keys: number;
  allocatorAllocated: number;
  allocatorActive: number;
  allocatorResident: number;
}

/** Collects the figures shared by INFO memory and MEMORY STATS; updates the peak. */
export function memoryOverhead(server: Server): MemoryOverhead {
  const st = state(server);
  const m = process.memoryUsage();
  const used = m.heapUsed + m.external;
  if (used > st.peak) st.peak = used;
  let clientsNormal = 0;
  for (const c of server.clients.values()) clientsNormal += clientMemory(c);
  const dbs: [number, number, number][] = [];
  let keys = 0;
  let dictTotal = 0;
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    const main = db.size * DICT_ENTRY_BYTES;
    const exp = db.expires.size * EXPIRE_ENTRY_BYTES;
    dictTotal += main + exp;
    dbs.push([db.id, main, exp]);
  }
  const overheadTotal = st.startup + clientsNormal + dictTotal;
  return {
    used,
    rss: m.rss,
    peak: st.peak,
    startup: st.startup,
    clientsNormal,
    clientsSlaves: 0,
    replBacklog: 0,
    aofBuffer: 0,
    dbs,
    overheadTotal,
    dataset: Math.max(0, used - overheadTotal),
    keys,
    allocatorAllocated: used,
    allocatorActive: m.heapTotal + m.external,
    allocatorResident: m.rss,
  };
}

/** Redis's human-readable byte counts: 0B, 1.09M, 23.54G (two decimals from K up). */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  let i = 0;
  while (d >= 1024 && i < units.length - 1) {
    d /= 1024;
    i++;
  }
  return `${d.toFixed(2)}${units[i]}`;
}

/** MEMORY MALLOC-STATS: V8's heap statistics, one `name: value` per line. */
export function mallocStats(): string {
  const lines = ['___ Begin V8 heap statistics ___'];
  for (const [k, v] of Object.entries(v8.getHeapStatistics())) lines.push(`${k}: ${v}`);
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(`space ${sp.space_name}: size=${sp.space_size} used=${sp.space_used_size} available=${sp.space_available_size} physical=${sp.physical_space_size}`);
  }
  lines.push('--- End V8 heap statistics ---');
  return lines.join('\n') + '\n';
}

/**
 * MEMORY DOCTOR: a short report in our own words. Checks what tsdis can see:
 * an empty instance, a peak far above current use, RSS far above the heap
 * (fragmentation or memory held by Node itself), and large client buffers.
 */
export function memoryDoctor(server: Server): string {
  const mh = memoryOverhead(server);
  if (mh.keys === 0 && mh.clientsNormal < 1024 * 1024) {
    return 'This instance holds no data yet, so there is nothing to diagnose. Load some keys and ask again.\n';
  }
  const issues: string[] = [];
  if (mh.peak > mh.used * 1.5) {
    issues.push(`* Peak memory: the peak (${bytesToHuman(mh.peak)}) is much higher than current use (${bytesToHuman(mh.used)}); the garbage collector may not have returned the difference to the system yet.`);
  }
  if (mh.rss > mh.used * 1.5 && mh.rss - mh.used > 10 * 1024 * 1024) {
    issues.push(`* High RSS overhead: the process holds ${bytesToHuman(mh.rss)} for ${bytesToHuman(mh.used)} in use (ratio ${(mh.rss / mh.used).toFixed(2)}).`);
  }
  if (mh.clientsNormal > 200 * 1024 * 1024) {
    issues.push(`* Big client buffers: clients use ${bytesToHuman(mh.clientsNormal)}; check for slow readers or huge pipelines.`);
  }
  if (issues.length === 0) return 'No memory problem found in this instance.\n';
  return `Memory report (${issues.length} finding${issues.length > 1 ? 's' : ''}):\n\n${issues.join('\n\n')}\n`;
}

/**
 * Memory accounting: used_memory and its parts (INFO memory, MEMORY STATS,
 * MEMORY USAGE, MEMORY DOCTOR), and usedMemory(server), the figure eviction
 * compares with maxmemory.
 *
 * V8's own figure (heapUsed + external) does not follow the data: it counts
 * garbage until a collection runs, so it grows by a fraction of what is
 * written, drops by surprise, and stays up after a key is deleted. Instead
 * used_memory is a model of what the data costs in V8, kept as it changes
 * (Redis's zmalloc counter plays the same part):
 *
 *   used_memory = startup                what making the server added to V8's heap + external
 *               + dataset                each db's keys and values (Db.datasetBytes)
 *               + keyspace structure     each db's dicts (Dict.structBytes)
 *               + clients                per client: its objects and buffers
 *               + AOF buffer, scripts    (the Lua VM's heap is apart: used_memory_lua)
 *               + replication buffer     the shared blocks (replication/backlog.ts)
 *
 * The dataset is kept by the keyspace API (keyspace/db.ts) as values are stored,
 * changed and removed: the size of the new value minus the size counted for
 * the old one. Sizes come from the V8 shapes in util/v8size.ts: a string's
 * size from its length, a collection's from counters it keeps as it changes
 * (Collection.memBytes, O(1)). bench/micro/memacct.ts measures V8's heap
 * growth per type and size against this model (bench/RESULTS.md has the
 * table). Nothing here walks the keyspace: usedMemory() is a few additions
 * per non-empty db, cheap enough to call before every command, and it drops
 * the moment a key is deleted.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import v8 from 'node:v8';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { CronTick, Subsystem } from '../server/subsystem.js';
import type { Db } from '../keyspace/db.js';
import type { Collection, Value } from '../keyspace/value.js';
import { bufBytes, numBytes, strBytes } from '../util/v8size.js';
import { HashValue } from '../types/hash.js';
import { List } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { ZSet } from '../types/zset.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/**
 * What a connection costs besides its buffers: the Client, its parser and
 * reply writer, and Node's net.Socket with its stream state. Measured with
 * 1,000 idle connections to an in-process server (heap plus external after
 * a full GC): 4.0 KB each, of which ~0.9 KB the connecting side's socket.
 */
export const CLIENT_BYTES = 3000;

/** Per-server accounting state (Server.mem). */
export class MemoryAccounting {
  /**
   * used_memory_startup: what the server's own state (its config, command
   * table, databases, subsystems) added to V8's heap and external memory
   * while the server was made (started), as Redis's counts what it
   * allocated by then. Node's runtime and the loaded code before it are not
   * in it, as Redis's code and libc are not in its: counting them (13 MB)
   * left no room under a maxmemory of a few MB. The Lua VM's heap is apart.
   */
  startup = 0;
  /** V8's heap + external memory (less the Lua VM's) when the server began to be made. */
  private readonly before: number = DOUBLE_ZERO;
  /** used_memory_peak. */
  peak = 0;
  /** Client objects and buffers, kept per client (Client.memRec; noteClient). */
  clients = 0;
  /** Cached EVAL script bodies and function library sources (refreshScripts). */
  evalScripts = 0;
  functions = 0;

  /** `luaHeap`: the Lua VM's WebAssembly memory, in external memory but reported apart (used_memory_lua). */
  constructor(luaHeap: number) {
    this.before = processBytes(luaHeap);
  }

  /** The server is made: startup is what making it added (luaHeap: the VM's heap now). */
  started(luaHeap: number): void {
    this.startup = Math.max(0, processBytes(luaHeap) - this.before);
    this.peak = this.startup;
  }
}

/** V8's heap (garbage not collected yet included) and external memory, less the Lua VM's heap. */
function processBytes(luaHeap: number): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external - luaHeap;
}

/**
 * used_memory's once-a-second figures as a subsystem (Server.memFigures;
 * Redis's clientsCron memory tracking and cronUpdateMemoryStats): every
 * client's buffers counted again (sockets drain between its commands), then
 * the peak. Registered after the subsystems whose figures it sums (scripting
 * refreshes the scripts' share in its own cron) and before the ones that
 * close clients (idle timeouts, client eviction), so the peak sees them.
 */
export class MemoryFigures implements Subsystem {
  constructor(private readonly server: Server) {}

  cron(tick: CronTick): void {
    if (!tick.second) return;
    const server = this.server;
    for (const c of server.clients.values()) noteClient(server, c);
    notePeak(server);
  }
}

/**
 * Bytes of a value in V8 (see the file comment): O(1). A string: its
 * characters and header; an integer: nothing when it is a Smi, else a
 * HeapNumber; a Buffer: its objects and capacity; a collection: its own
 * count (Collection.memBytes). The keyspace API calls this for every stored
 * value, so it stays a few type checks.
 */
export function valueBytes(v: Value): number {
  if (typeof v === 'string') return strBytes(v.length);
  if (typeof v === 'number') return numBytes(v);
  if (Buffer.isBuffer(v)) return bufBytes(v);
  return collectionBytes(v);
}

/**
 * A collection's memBytes(), dispatched by class: one `v.memBytes()` call
 * site that sees every collection class goes megamorphic in V8 (measured
 * ~50 ns a call, a tenth of an HSET); behind instanceof each call and field
 * access sees one class.
 */
function collectionBytes(v: Collection): number {
  if (v instanceof HashValue) return v.memBytes();
  if (v instanceof List) return v.memBytes();
  if (v instanceof SetValue) return v.memBytes();
  if (v instanceof ZSet) return v.memBytes();
  return v.memBytes();
}

/**
 * A stored collection changed in place: records its size now (its `acct`)
 * and returns the change since it was last counted (keyspace/db.ts keeps
 * the db total). Dispatched by class as collectionBytes is, for the same
 * reason: it runs after every write to a collection.
 */
export function remeasured(v: Collection): number {
  let b: number;
  let d: number;
  if (v instanceof HashValue) {
    b = v.memBytes();
    d = b - v.acct;
    v.acct = b;
  } else if (v instanceof List) {
    b = v.memBytes();
    d = b - v.acct;
    v.acct = b;
  } else if (v instanceof SetValue) {
    b = v.memBytes();
    d = b - v.acct;
    v.acct = b;
  } else if (v instanceof ZSet) {
    b = v.memBytes();
    d = b - v.acct;
    v.acct = b;
  } else {
    b = v.memBytes();
    d = b - v.acct;
    v.acct = b;
  }
  return d;
}

/** Bytes of a db's dicts (the main dict with its access metadata, the expires dict): Redis's overhead.hashtable.*. */
function dbStruct(db: Db): [number, number] {
  return [db.dict.structBytes(), db.expires.size === 0 ? 0 : db.expires.structBytes()];
}

/**
 * used_memory: O(1) in the data (a sum over the databases that hold keys),
 * exactly what INFO shows. Eviction calls it before commands.
 */
export function usedMemory(server: Server): number {
  const m = server.mem;
  let b = m.startup + m.clients + m.evalScripts + m.functions + server.aof.buf.length + (server.repl.backlog?.mem ?? 0);
  for (const db of server.dbs) {
    if (db.dict.size === 0) continue;
    b += db.datasetBytes() + db.dict.structBytes();
    if (db.expires.size !== 0) b += db.expires.structBytes();
  }
  return b;
}

/**
 * Bytes a client holds: its objects, its input (unparsed, and the arguments
 * of a command still arriving), its pending replies and what its socket
 * still buffers.
 */
export function clientBytes(c: Client): number {
  return CLIENT_BYTES + c.parser.memory + c.reply.out.length + c.socketUnsent;
}

/**
 * Counts a client's current size in the clients total (the change since it
 * was last counted). Called after the client's commands run and after its
 * replies are written (server/server.ts), and for every client by the cron.
 */
export function noteClient(server: Server, c: Client): void {
  const b = c.closed ? 0 : clientBytes(c);
  server.mem.clients += b - c.memRec;
  c.memRec = b;
}

/** Updates the script figures (called by the cron and before INFO memory / MEMORY STATS). */
export function refreshScripts(server: Server, evalBytes: number, functionsBytes: number): void {
  server.mem.evalScripts = evalBytes;
  server.mem.functions = functionsBytes;
}

/** used_memory now, raising the peak when it is above it (cron, INFO, MEMORY). */
export function notePeak(server: Server): number {
  const used = usedMemory(server);
  if (used > server.mem.peak) server.mem.peak = used;
  return used;
}

/**
 * MEMORY USAGE key: the key string, its value, its share of the dict's
 * structure (the dict's bytes over its keys) and, with a TTL, its share of
 * the expires dict. SAMPLES is accepted and has nothing to do: every type
 * keeps its size as it changes.
 */
export function keyUsage(db: Db, key: string, v: Value, hasTtl: boolean): number {
  let b = strBytes(key.length) + valueBytes(v);
  const n = db.dict.size;
  if (n > 0) b += db.dict.structBytes() / n;
  const e = db.expires.size;
  if (hasTtl && e > 0) b += db.expires.structBytes() / e;
  return Math.round(b);
}

export interface MemoryOverhead {
  used: number;
  rss: number;
  peak: number;
  startup: number;
  clientsNormal: number;
  clientsSlaves: number;
  replBacklog: number;
  /** The shared replication buffer (mem_total_replication_buffers): replBacklog + clientsSlaves. */
  replBuffers: number;
  aofBuffer: number;
  /** The cluster bus links (Cluster.linksMemory). */
  clusterLinks: number;
  luaCaches: number;
  functionsCaches: number;
  /** Per db with keys: [id, main dict bytes, expires dict bytes]. */
  dbs: [number, number, number][];
  overheadTotal: number;
  dataset: number;
  keys: number;
  allocatorAllocated: number;
  allocatorActive: number;
  allocatorResident: number;
}

/**
 * The figures shared by INFO memory and MEMORY STATS (Redis's
 * getMemoryOverheadData): overhead is startup, clients, the AOF buffer, the cluster links,
 * the script caches and the dicts; the dataset is the rest of used_memory
 * (the keys and values). Raises the peak. The allocator_* figures are V8's
 * own (heap used, heap reserved, plus external memory; the RSS).
 */
export function memoryOverhead(server: Server): MemoryOverhead {
  const used = notePeak(server);
  const st = server.mem;
  const m = process.memoryUsage();
  const dbs: [number, number, number][] = [];
  let keys = 0;
  let dictTotal = 0;
  for (const db of server.dbs) {
    if (db.dict.size === 0) continue;
    keys += db.size;
    const [main, exp] = dbStruct(db);
    dictTotal += main + exp;
    dbs.push([db.id, main, exp]);
  }
  const aofBuffer = server.aof.buf.length;
  const repl = server.repl.bufferMemory();
  const clusterLinks = server.cluster.enabled ? server.cluster.linksMemory() : 0;
  const overheadTotal =
    st.startup + st.clients + aofBuffer + clusterLinks + st.evalScripts + st.functions + dictTotal + repl.total;
  return {
    used,
    rss: m.rss,
    peak: st.peak,
    startup: st.startup,
    clientsNormal: st.clients,
    clientsSlaves: repl.replicas,
    replBacklog: repl.backlog,
    replBuffers: repl.total,
    aofBuffer,
    clusterLinks,
    luaCaches: st.evalScripts,
    functionsCaches: st.functions,
    dbs,
    overheadTotal,
    dataset: used - overheadTotal,
    keys,
    allocatorAllocated: m.heapUsed + m.external,
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

/** A key whose counted size differs from what its value measures now (auditMemory). */
export interface MemoryDrift {
  db: number;
  key: string;
  counted: number;
  actual: number;
}

/**
 * Walks every db and compares the dataset figures with a fresh measure of
 * each value: a collection whose change was not signalled (no modified()
 * after an in-place change) shows up here, as does a db total that drifted.
 * O(keys): for tests, never called by the server.
 */
export function auditMemory(server: Server): MemoryDrift[] {
  const out: MemoryDrift[] = [];
  for (const db of server.dbs) {
    db.datasetBytes(); // the pending collection measured: every acct is current
    const d = db.dict;
    let total = 0;
    for (let i = 0; i < d.size; i++) {
      const v = d.valAt(i);
      const k = d.keyAt(i);
      const now = valueBytes(v);
      if (typeof v === 'object' && !Buffer.isBuffer(v) && v.acct !== now)
        out.push({ db: db.id, key: k, counted: v.acct, actual: now });
      total += strBytes(k.length) + now;
    }
    const counted = db.datasetBytes();
    if (total !== counted) out.push({ db: db.id, key: '', counted, actual: total });
  }
  return out;
}

/** MEMORY MALLOC-STATS: V8's heap statistics, one `name: value` per line. */
export function mallocStats(): string {
  const lines = ['___ Begin V8 heap statistics ___'];
  for (const [k, v] of Object.entries(v8.getHeapStatistics())) lines.push(`${k}: ${v}`);
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(
      `space ${sp.space_name}: size=${sp.space_size} used=${sp.space_used_size} available=${sp.space_available_size} physical=${sp.physical_space_size}`,
    );
  }
  lines.push('--- End V8 heap statistics ---');
  return lines.join('\n') + '\n';
}

/**
 * MEMORY DOCTOR: a short report in our own words, on what tsdis can see: an
 * empty instance, a peak far above current use, RSS far above used_memory
 * (garbage V8 has not collected or returned yet, or memory Node itself
 * holds), and large client buffers.
 */
export function memoryDoctor(server: Server): string {
  const mh = memoryOverhead(server);
  if (mh.keys === 0 && mh.clientsNormal < 1024 * 1024) {
    return 'This instance holds no data yet, so there is nothing to diagnose. Load some keys and ask again.\n';
  }
  const issues: string[] = [];
  if (mh.peak > mh.used * 1.5) {
    issues.push(
      `* Peak memory: the peak (${bytesToHuman(mh.peak)}) is much higher than current use (${bytesToHuman(mh.used)}); the garbage collector may not have returned the difference to the system yet.`,
    );
  }
  if (mh.rss > mh.used * 1.5 && mh.rss - mh.used > 10 * 1024 * 1024) {
    issues.push(
      `* High RSS overhead: the process holds ${bytesToHuman(mh.rss)} for ${bytesToHuman(mh.used)} in use (ratio ${(mh.rss / mh.used).toFixed(2)}): garbage not yet collected, or heap V8 keeps for reuse.`,
    );
  }
  if (mh.clientsNormal > 200 * 1024 * 1024) {
    issues.push(
      `* Big client buffers: clients use ${bytesToHuman(mh.clientsNormal)}; check for slow readers or huge pipelines.`,
    );
  }
  if (issues.length === 0) return 'No memory problem found in this instance.\n';
  return `Memory report (${issues.length} finding${issues.length > 1 ? 's' : ''}):\n\n${issues.join('\n\n')}\n`;
}

/**
 * Loading an RDB image into the server: the RDB file at start (sliced
 * across event-loop turns, with -LOADING meanwhile), DEBUG RELOAD, the AOF's
 * RDB preamble; and the log lines Redis writes when a file cannot be loaded.
 * Values are decoded by rdb-load.ts. Callers: serve.ts and index.ts
 * (loading at start), commands/persistence.ts (DEBUG RELOAD), aof-load.ts.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import type { Value } from '../keyspace/value.js';
import type { ReplSaveInfo } from './rdb.js';
import { Crc64 } from './crc64.js';
import * as R from './rdb-format.js';
import { readValue, isValueType } from './rdb-load.js';
import { RdbReader, RdbError, valueCtx, deepValidation, WHY, type ValueCtx, type Why } from './rdb-reader.js';
import { persist, rdbPath, checksumOn, WRITE_CHUNK } from './snapshot.js';
import { sleepSync } from '../util/files.js';
import { flushLibraries, loadLibraryFromRdb, type FunctionsState } from '../scripting/functions.js';
import { loadVm, vmLoaded } from '../scripting/lua.js';
import { rdbHasFunctions } from '../scripting/vm-gate.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/**
 * What the log says when a file cannot be loaded, in Redis 7.2.4's words
 * (logRdbLoadFailure): warning lines first; then, when `why` is set, its
 * rdbReportError line ("Internal error in RDB reading offset ...") and the
 * report redis-check-rdb prints (Redis runs it on the file before exiting);
 * then warning lines last.
 */
export interface LoadReport {
  readonly before: string[];
  readonly why: Why | null;
  /** The check report's error line when it is not the rdbReportError line (the checker's own words for a short read or a bad checksum). */
  readonly check?: string;
  /** The check report's "While doing" (rdb_check_doing_string). */
  readonly doing: string;
  readonly after: string[];
}

const TERMINATING = 'Terminating server after rdb file reading failure.';
const SHORT_READ = 'Short read or OOM loading DB. Unrecoverable error, aborting now.';
/**
 * A short read (or anything Redis's value loader fails on without reporting
 * it): rdbLoad's "Short read..." and "Unexpected EOF" lines, then the
 * checker's report, which ends the process itself (no "Terminating" line).
 */
const SHORT_READ_REPORT: LoadReport = {
  before: [SHORT_READ],
  why: WHY.eof,
  check: WHY.eof.text,
  doing: 'read-object-value',
  after: [],
};

/** A file that cannot be loaded: names the file and the byte offset, and says how to report it. */
export class RdbLoadError extends Error {
  /** The key and type being read when it failed, and the keys read before (for the report). */
  key: string | null = null;
  type = -1;
  keysRead = 0;
  expires = 0;
  alreadyExpired = 0;
  /** Bytes the loading progress had counted (INFO loading_loaded_bytes; Redis's report names it). */
  loadedBytes = 0;
  /** Where the reader was when it failed (the check report's offset: after what it read). */
  readPos = 0;

  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    readonly report: LoadReport = SHORT_READ_REPORT,
  ) {
    super(`Bad RDB file ${file} at offset ${offset}: ${reason}`);
  }
}

/** redis-check-rdb's names of the value types (rdb_type_string), and 7.2's and 7.4's types it lacks. */
const TYPE_NAMES = [
  'string',
  'list-linked',
  'set-hashtable',
  'zset-v1',
  'hash-hashtable',
  'zset-v2',
  'module-pre-release',
  'module-value',
  '',
  'hash-zipmap',
  'list-ziplist',
  'set-intset',
  'zset-ziplist',
  'hash-ziplist',
  'quicklist',
  'stream',
  'hash-listpack',
  'zset-listpack',
  'quicklist-v2',
  'stream-v2',
  'set-listpack',
  'stream-v3',
  'hash-metadata-pre-ga',
  'hash-listpack-ex-pre-ga',
  'hash-metadata',
  'hash-listpack-ex',
];

/** Redis's rdbReportError line for a failure (`loaded`: the loading progress in bytes, 0 for RESTORE). */
export function internalErrorLine(loaded: number, w: Why): string {
  return `Internal error in RDB reading offset ${loaded}, function at rdb.c:${w.line} -> ${w.text}`;
}

/**
 * Logs why the RDB file could not be loaded at start, as Redis 7.2.4 does
 * before it exits: a corrupt value or a short read gets the "Internal error
 * in RDB reading offset N, function at rdb.c:L -> <reason>" line, the report
 * of redis-check-rdb (its "--- RDB ERROR DETECTED ---" block, raw lines, with
 * tsdis's own detail and byte offset as an additional info line) and
 * "Terminating server after rdb file reading failure."; a wrong checksum gets
 * "Wrong RDB checksum expected: (x) but got (y). Aborting now." and the CRC
 * report; a wrong signature or version its line and "Fatal error loading the
 * DB, check server logs. Exiting.". The caller exits(1). Called by cli.ts.
 */
export function logRdbLoadFailure(server: Server, e: RdbLoadError): void {
  const log = server.log;
  const rep = e.report;
  for (const l of rep.before) log.warning(l);
  if (rep.why !== null) {
    const line = internalErrorLine(e.loadedBytes, rep.why);
    log.warning(line);
    log.raw(`[offset 0] Checking RDB file ${path.basename(e.file)}`);
    log.raw('--- RDB ERROR DETECTED ---');
    log.raw(`[offset ${e.readPos}] ${rep.check ?? line}`);
    log.raw(`[additional info] While doing: ${rep.doing}`);
    if (e.key !== null) log.raw(`[additional info] Reading key '${e.key}'`);
    if (e.type >= 0) log.raw(`[additional info] Reading type ${e.type} (${TYPE_NAMES[e.type] || 'unknown'})`);
    log.raw(`[additional info] tsdis: ${e.message}`);
    log.raw(`[info] ${e.keysRead} keys read`);
    log.raw(`[info] ${e.expires} expires`);
    log.raw(`[info] ${e.alreadyExpired} already expired`);
  }
  for (const l of rep.after) log.warning(l);
}

/**
 * Where a load puts what it decodes instead of the server's own databases
 * and libraries: a replica's diskless load in swapdb mode, swapped in when
 * the whole image is loaded (replication/replica-payload.ts). Its databases
 * are as many as the server's, made with the server's hooks.
 */
export interface LoadTarget {
  readonly dbs: readonly Db[];
  readonly functions: FunctionsState;
}

/**
 * Decodes an RDB image into the server's databases (or a LoadTarget), a slice at a time.
 * Keys whose expiry has passed are skipped (as a master does), unless
 * keepExpired (an AOF preamble, a replica's full sync) or this server
 * is a replica (Redis's iAmMaster() test in rdbLoadRioWithLoadingCtx:
 * a replica's own file loaded at start or by DEBUG RELOAD keeps them too,
 * for its primary's DELs to remove; in cluster mode, a replica by nodes.conf
 * before it reconnects). Empty collections (old files, or files
 * written after a bug) are skipped and counted, as Redis does: "rdbLoadObject
 * skipping empty key: <key>" for the first ten. Values are validated in full
 * (rdb-load.ts); with sanitize-dump-payload yes that counts in INFO's
 * dump_payload_sanitizations.
 */
export class RdbLoader {
  private r: RdbReader;
  private crc = new Crc64();
  private crcPos = 0;
  private db: Db;
  private expireAt: number | bigint | undefined;
  private readonly ctx: ValueCtx;
  private readonly now: number = DOUBLE_ZERO;
  /** Access metadata of every loaded key (loaded now). */
  private readonly meta: number = 0;
  version = 0;
  keysLoaded = 0;
  keysExpired = 0;
  /** Empty collections skipped (Redis's empty_keys_skipped). */
  emptySkipped = 0;
  /** Keys read with an expire time (the check report's "expires"). */
  private withExpire = 0;
  /** Function libraries loaded (FUNCTION2 records). */
  functionsLoaded = 0;
  /**
   * A primary's load at start (Redis's RDBFLAGS_FEED_REPL): each key skipped
   * because its TTL passed goes to the replication stream as a DEL (UNLINK
   * under lazyfree-lazy-expire), so replicas that continue after the
   * restart drop it too.
   */
  feedRepl = false;
  /** The replication AUX fields (repl-id, repl-offset, repl-stream-db) when the file has all three, valid. */
  repl: ReplSaveInfo | null = null;
  private replAux: { id?: string; offset?: number; db?: number } = {};
  finished = false;
  /** Offset just after the EOF marker and checksum (an AOF with a preamble continues there). */
  endOffset = 0;
  /** The key being read and its type (for the failure report). */
  private key: string | null = null;
  private type = -1;
  /** The progress INFO shows while loading (loading_loaded_bytes), set by loadRdbFile. */
  progress = 0;
  /** key-load-delay (Redis's test knob): µs slept after each key; below 0, 1 µs once in -n keys. */
  private readonly keyDelayUs: number = DOUBLE_ZERO;
  /** Keys whose TTL passed are loaded too (see the class comment). */
  private readonly keepExpired: boolean;

  /** Bytes of a streamed image already decoded and dropped from `buf` (continueWith). */
  private consumed = 0;
  /** Streaming: no new attempt at an incomplete record until `buf` holds this many bytes (stepAvailable). */
  private retryAt = 0;

  constructor(
    private readonly server: Server,
    private buf: Buffer,
    readonly file: string,
    keepExpired = false,
    /** DEBUG RELOAD MERGE: a key already present is replaced instead of being an error. */
    private readonly merge = false,
    /** Databases and libraries to load into, else the server's. */
    private readonly target: LoadTarget | null = null,
  ) {
    this.r = new RdbReader(buf);
    this.keepExpired = keepExpired || !server.iAmMaster();
    this.db = (target?.dbs ?? server.dbs)[0]!;
    this.ctx = valueCtx(server.config.v, server.listLimits, deepValidation(server.config.v, true));
    this.now = server.clock();
    this.meta = server.hooks.newMeta ? server.hooks.newMeta() : 0;
    this.keyDelayUs = Number(server.config.v['key-load-delay']);
    if (buf.length < 9) throw this.error(0, 'unexpected end of data', { ...SHORT_READ_REPORT, doing: 'start' });
    const magic = buf.latin1Slice(0, 9);
    this.r.pos = 9;
    if (!magic.startsWith('REDIS')) throw this.fatal(0, 'Wrong signature trying to load DB from file');
    // (atoi: the digits up to the first other character)
    this.version = Number(/^\d*/.exec(magic.slice(5))![0] || '0');
    if (this.version < 1 || this.version > R.RDB_MAX_READ_VERSION)
      throw this.fatal(5, `Can't handle RDB format version ${this.version}`);
  }

  /** An error reported with Redis's lines, the key and type being read and the counts so far. */
  /**
   * A replication AUX field; `repl` is set once id, offset and stream
   * database are all there and valid (Redis's rsi: an id of 40 characters,
   * an offset and a database that are not -1).
   */
  private replField(k: string, v: string): void {
    const a = this.replAux;
    if (k === 'repl-id') a.id = v;
    else if (k === 'repl-offset') a.offset = Number.parseInt(v, 10);
    else a.db = Number.parseInt(v, 10);
    const ok = a.id?.length === 40 && a.offset !== undefined && a.offset >= 0 && a.db !== undefined && a.db >= 0;
    this.repl = ok ? { replid: a.id!, offset: a.offset!, streamDb: a.db! } : null;
  }

  private error(offset: number, reason: string, report: LoadReport): RdbLoadError {
    const e = new RdbLoadError(this.file, offset, reason, report);
    e.key = this.key;
    e.type = this.type;
    e.keysRead = this.keysLoaded + this.keysExpired + this.emptySkipped + (this.key === null ? 0 : 1);
    e.readPos = this.r.pos;
    e.expires = this.withExpire;
    e.alreadyExpired = this.keysExpired;
    e.loadedBytes = this.progress;
    return e;
  }

  /** A failure Redis logs with one line, then "Fatal error loading the DB, check server logs. Exiting." */
  private fatal(offset: number, line: string): RdbLoadError {
    return this.error(offset, line, {
      before: [line],
      why: null,
      doing: 'start',
      after: ['Fatal error loading the DB, check server logs. Exiting.'],
    });
  }

  /** Runs fn, turning decoding errors into RdbLoadError. */
  private wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RdbError) {
        const doing = this.key === null ? 'read-type' : 'read-object-value';
        // a reason reported while reading a value ends with "Terminating ..." (rdbReportError in the checker)
        const rep: LoadReport =
          e.why === null ? { ...SHORT_READ_REPORT, doing } : { before: [], why: e.why, doing, after: [TERMINATING] };
        throw this.error(e.offset, e.message, rep);
      }
      if (e instanceof RangeError) throw this.error(this.r.pos, 'unexpected end of data', SHORT_READ_REPORT);
      throw e;
    }
  }

  /** Decodes until done or until `ms` have passed; returns true when the whole file is loaded. */
  step(ms = Infinity): boolean {
    if (this.finished) return true;
    const t0 = performance.now();
    return this.wrap(() => {
      let n = 0;
      while (!this.finished) {
        this.record();
        if ((++n % 256 === 0 || this.keyDelayUs !== 0) && performance.now() - t0 >= ms) break;
      }
      return this.finished;
    });
  }

  /** key-load-delay after a key: the loop stays blocked, as Redis's (clients get -LOADING between slices). */
  private keyDelay(): void {
    const us = this.keyDelayUs;
    sleepSync(us > 0 ? us : Math.floor(this.server.random() * -us) === 0 ? 1 : 0);
  }

  get loadedBytes(): number {
    return this.consumed + this.r.pos;
  }

  /**
   * Streaming (a replica's diskless load, Redis's load from the socket):
   * the image goes on with `more`. What was decoded is checksummed and
   * dropped; what was not (an incomplete record) stays in front.
   */
  continueWith(more: Buffer): void {
    const cut = this.r.pos;
    if (cut > this.crcPos) {
      this.crc.update(this.buf, this.crcPos, cut);
      this.crcPos = 0;
    } else this.crcPos -= cut;
    const rest = this.buf.subarray(cut);
    this.consumed += cut;
    this.retryAt = Math.max(0, this.retryAt - cut);
    this.buf = rest.length === 0 ? more : more.length === 0 ? rest : Buffer.concat([rest, more]);
    this.r = new RdbReader(this.buf);
  }

  /**
   * Streaming: decodes the records complete in what came so far. A record
   * that does not decode is taken to be incomplete: the reader goes back to
   * its start, and it is tried again once what follows it has doubled (so a
   * big value arriving in many pieces is not decoded again for each); a
   * real error shows when the last piece came (step()). Returns 'vm' before
   * a function library while the Lua VM is not loaded (the caller loads it
   * and calls again), else whether the image is decoded whole. (Each key
   * stored sleeps key-load-delay, as in step(): a replica then reads its
   * primary's image slowly, as Redis's does.)
   */
  stepAvailable(): 'done' | 'more' | 'vm' {
    const r = this.r;
    if (this.buf.length < this.retryAt) return 'more';
    this.retryAt = 0;
    while (!this.finished) {
      const at = r.pos;
      if (at >= this.buf.length) return 'more';
      if (this.buf[at] === R.OP_FUNCTION2 && !vmLoaded()) return 'vm';
      const expireAt = this.expireAt;
      const withExpire = this.withExpire;
      try {
        this.record();
      } catch {
        r.pos = at;
        this.expireAt = expireAt;
        this.withExpire = withExpire;
        this.retryAt = at + 2 * Math.max(this.buf.length - at, 32 * 1024);
        return 'more';
      }
    }
    return 'done';
  }

  /** Reads one opcode or key. */
  private record(): void {
    const r = this.r;
    const at = r.pos;
    this.key = null;
    this.type = -1;
    const t = r.byte();
    switch (t) {
      case R.OP_EXPIRETIME_MS:
        this.expireAt = r.i64le();
        return;
      case R.OP_EXPIRETIME:
        this.expireAt = r.u32le() * 1000;
        return;
      case R.OP_FREQ:
        r.byte();
        return;
      case R.OP_IDLE:
        r.plainLen();
        return;
      case R.OP_SELECTDB: {
        const id = r.plainLen();
        const db = (this.target?.dbs ?? this.server.dbs)[id];
        if (db === undefined) {
          const line = `FATAL: Data file was created with a Redis server configured to handle more than ${this.server.dbs.length} databases. Exiting\n`;
          throw this.error(at, line.trim(), { before: [line], why: null, doing: 'read-len', after: [] });
        }
        this.db = db;
        return;
      }
      case R.OP_SLOT_INFO:
        // Redis 7.4 in cluster mode: slot id, keys, expires (sizing hints)
        r.plainLen();
        r.plainLen();
        r.plainLen();
        return;
      case R.OP_RESIZEDB: {
        const size = r.plainLen();
        r.plainLen();
        // a sizing hint: never more keys than the bytes left could hold (a corrupt one must not allocate)
        this.db.dict.reserve(this.db.dict.size + Math.min(size, (this.buf.length - r.pos) >> 1));
        return;
      }
      case R.OP_AUX: {
        // (Redis logs what an AOF base or preamble says of itself)
        const k = r.str().toLowerCase();
        const v = r.str();
        if (k === 'aof-preamble' && parseInt(v, 10)) this.server.log.notice('RDB has an AOF tail');
        else if (k === 'aof-base' && parseInt(v, 10)) this.server.log.notice('RDB is base AOF');
        else if (k === 'repl-id' || k === 'repl-offset' || k === 'repl-stream-db') this.replField(k, v);
        return;
      }
      case R.OP_MODULE_AUX: {
        const line =
          "The RDB file contains AUX module data I can't load: no matching module (modules are not supported by tsdis)";
        throw this.error(at, line, { before: [line], why: null, doing: 'read-module-aux', after: [] });
      }
      case R.OP_FUNCTION2: {
        // a library: loaded as FUNCTION LOAD would (an existing one is an error, replaced with MERGE)
        const err = loadLibraryFromRdb(this.server, r.str(), this.merge, this.target?.functions);
        if (err !== null) {
          throw this.error(at, `Failed loading library, ${err}`, {
            before: [`Failed loading library, ${err}`, SHORT_READ],
            why: WHY.eof,
            check: `Failed loading library, ${err}`,
            doing: 'read-functions',
            after: [],
          });
        }
        this.functionsLoaded++;
        return;
      }
      case R.OP_FUNCTION_PRE_GA:
        // Redis 7.0 release candidates' format; 7.0 GA and later never write it
        return r.fail('Pre-release function format not supported', at, WHY.functionPreGa);
      case R.OP_EOF: {
        this.crc.update(this.buf, this.crcPos, r.pos);
        this.crcPos = r.pos;
        if (this.version >= 5) {
          const stored = r.bytes(8);
          const check = checksumOn(this.server) && !this.server.debugFlags.skipChecksumValidation;
          if (check && stored.equals(Buffer.alloc(8)))
            this.server.log.notice('RDB file was saved with checksum disabled: no check performed.');
          else if (check && !stored.equals(this.crc.bytes())) {
            const expected = this.crc.bytes().readBigUInt64LE(0).toString(16);
            const got = stored.readBigUInt64LE(0).toString(16);
            const line = `Wrong RDB checksum expected: (${expected}) but got (${got}). Aborting now.`;
            throw this.error(at + 1, line, {
              before: [line],
              why: WHY.crc,
              check: WHY.crc.text,
              doing: 'check-sum',
              after: [],
            });
          }
        }
        this.endOffset = r.pos;
        this.finished = true;
        return;
      }
    }
    if (!isValueType(t)) r.fail(`unknown opcode or value type ${t}`, at, WHY.unknownType(t));
    this.type = t;
    const key = r.str();
    this.key = key;
    const when = this.expireAt;
    this.expireAt = undefined;
    if (when !== undefined) this.withExpire++;
    let val: Value;
    try {
      val = readValue(r, t, this.ctx);
    } catch (e) {
      if (!(e instanceof RdbError) || !e.empty) throw e;
      // an empty collection: skipped (Redis logs the first ten)
      if (this.emptySkipped++ < 10) this.server.log.notice(`rdbLoadObject skipping empty key: ${key}`);
      return;
    } finally {
      if (this.ctx.sanitizations > 0) {
        this.server.stats.dumpPayloadSanitizations += this.ctx.sanitizations;
        this.ctx.sanitizations = 0;
      }
    }
    if (when !== undefined && !this.keepExpired && when < this.now) {
      this.keysExpired++;
      if (this.feedRepl)
        this.server.repl.feed(this.db.id, [this.server.config.v['lazyfree-lazy-expire'] ? 'UNLINK' : 'DEL', key]);
      return;
    }
    const d = this.db.dict;
    const slot = d.slot(key);
    if (slot >= 0) {
      if (!this.merge) {
        const line = `RDB has duplicated key '${key}' in DB ${this.db.id}`;
        throw this.error(at, line, { before: [line], why: null, doing: 'read-object-value', after: [] });
      }
      this.db.expires.delete(key);
      const old = d.valAt(slot);
      this.db.hfeDrop(old);
      d.set(key, val, this.meta);
      this.db.loadedValue(key, val, old);
    } else {
      d.addAfterMiss(key, val, this.meta); // (reuses the hash of slot()'s miss)
      this.db.loadedValue(key, val, undefined);
    }
    if (typeof val === 'object') this.db.hfeAdd(key, val); // a hash with field TTLs
    if (when !== undefined) this.db.expires.set(key, when);
    this.keysLoaded++;
    if (this.keyDelayUs !== 0) this.keyDelay();
    if (this.r.pos - this.crcPos > WRITE_CHUNK) {
      this.crc.update(this.buf, this.crcPos, this.r.pos);
      this.crcPos = this.r.pos;
    }
  }

  /** Redis's "Done loading RDB, ..." line (with the empty keys skipped when there were any). */
  doneLine(): string {
    const base = `Done loading RDB, keys loaded: ${this.keysLoaded}, keys expired: ${this.keysExpired}`;
    return this.emptySkipped > 0 ? `${base}, empty keys skipped: ${this.emptySkipped}.` : `${base}.`;
  }
}

/**
 * Empties every database and removes the function libraries, without side
 * effects but the tracking invalidation (a failed load, DEBUG RELOAD): Redis's emptyData without
 * EMPTYDB_NOFUNCTIONS. (FLUSHALL keeps the libraries and does not come here.)
 */
export function emptyData(server: Server): void {
  // tracking clients are told every key is gone, as on FLUSHALL (Redis's signalFlushedDb)
  server.tracking.flush(() => {
    for (const db of server.dbs) db.flush();
  });
  server.activeExpire.replicaKeys.forget(); // (Redis's emptyData of every db)
  flushLibraries(server);
}

/**
 * Loads an RDB image synchronously into the (empty) databases, or into
 * `target`. On any error the databases are emptied again (a target is left
 * to its caller to discard) and the error (RdbLoadError) rethrown: never
 * half-loaded. Returns the loader (counts, end offset).
 */
export function loadRdbBuffer(
  server: Server,
  buf: Buffer,
  file: string,
  keepExpired = false,
  merge = false,
  target: LoadTarget | null = null,
): RdbLoader {
  try {
    const l = new RdbLoader(server, buf, file, keepExpired, merge, target);
    l.step();
    const st = persist(server);
    st.lastLoadKeysLoaded = l.keysLoaded;
    st.lastLoadKeysExpired = l.keysExpired;
    st.lastLoadRepl = l.repl;
    return l;
  } catch (e) {
    if (target === null) emptyData(server);
    throw e;
  }
}

/** Files up to this size are read synchronously by loadRdbFile (Redis's loading_process_events_interval_bytes). */
const SYNC_READ_MAX = 2 * 1024 * 1024;

/**
 * Loads dir/dbfilename (or `file`) at start: sets server.loading (clients get
 * -LOADING meanwhile), decodes in slices across event-loop turns, logs
 * progress every second for large files. `keepExpired`: keys whose TTL
 * passed are loaded too (a replica's sync: its primary deletes them). Resolves false when there is no
 * file; rejects with RdbLoadError (databases emptied) when it is corrupt.
 */
export async function loadRdbFile(
  server: Server,
  file = rdbPath(server),
  keepExpired = false,
  feedRepl = false,
): Promise<boolean> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const st = persist(server);
  const t0 = performance.now();
  // loading from here on: clients are refused while the file is read, too
  server.loading = true;
  st.loading = { start: Math.floor(server.clock() / 1000), totalBytes: size, loadedBytes: 0, startMono: t0 };
  try {
    // (a small file is read and, within one slice, loaded without yielding: as in Redis, which
    // serves clients, with -LOADING, only every loading-process-events-interval-bytes, 2 MB)
    const buf = size <= SYNC_READ_MAX ? fs.readFileSync(file) : await fs.promises.readFile(file);
    st.loading.totalBytes = buf.length;
    // its function records run in the Lua VM, made on first use (scripting/vm-gate.ts)
    if (!vmLoaded() && rdbHasFunctions(buf)) await loadVm();
    const l = new RdbLoader(server, buf, file, keepExpired);
    l.feedRepl = feedRepl;
    let lastLog = t0;
    while (!l.step(20)) {
      st.loading.loadedBytes = l.progress = l.loadedBytes;
      if (performance.now() - lastLog >= 1000) {
        lastLog = performance.now();
        server.log.notice(
          `Loading RDB ${file}: ${((l.loadedBytes / buf.length) * 100).toFixed(1)}% (${l.keysLoaded} keys)`,
        );
      }
      await new Promise((r) => setImmediate(r));
    }
    st.lastLoadKeysLoaded = l.keysLoaded;
    st.lastLoadKeysExpired = l.keysExpired;
    st.lastLoadRepl = l.repl;
    if (l.functionsLoaded > 0) server.log.notice(`Done loading RDB, functions loaded: ${l.functionsLoaded}.`);
    server.log.notice(l.doneLine());
    server.log.notice(`DB loaded from disk: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
    return true;
  } catch (e) {
    emptyData(server);
    throw e;
  } finally {
    server.loading = false;
    st.loading = null;
  }
}

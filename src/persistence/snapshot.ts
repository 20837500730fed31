/**
 * Snapshots: SAVE, BGSAVE, `save` points, loading the RDB file, and the
 * persistence state INFO reports.
 *
 * SAVE writes the whole dataset synchronously. BGSAVE cannot fork in Node,
 * so it takes a point-in-time snapshot without stopping the server:
 *  - at its start it records, per database, the dict objects and a copy of
 *    the key list (8 bytes a key), and installs Db.cow on every database;
 *  - then it walks those keys in slices of about SLICE_MS across event-loop
 *    turns (setImmediate), serializing each key not yet handled, streaming
 *    the bytes to a temp file;
 *  - a write to a key the walk has not reached yet (Db calls cow() before
 *    any change, deletion, expiry or TTL change, and for the write lookups
 *    before in-place mutation) serializes the old value first into a side
 *    buffer for its database and marks the key handled; a key created after
 *    the start is marked handled too, so the walk skips it. Whether the walk
 *    has reached a key needs no per-key record: see cow();
 *  - FLUSHDB/FLUSHALL while it runs give the db fresh dicts (Db.flush) and
 *    the walk continues over the old ones; SWAPDB swaps the dict objects, and
 *    the snapshot follows them because its state is keyed by dict identity;
 *  - the function libraries are written at the start, right after the
 *    header (their code strings are immutable, so FUNCTION LOAD/DELETE
 *    afterwards cannot change what was written).
 * The result is exactly the data at BGSAVE's start. The file is fsynced,
 * renamed over dbfilename and the directory fsynced (the fsyncs run on
 * libuv's thread pool, off the event loop).
 *
 * State lives beside the server (a WeakMap), so server.ts only holds the
 * `loading` flag. Callers: commands/persistence.ts, commands/server.ts
 * (SHUTDOWN, DEBUG RELOAD), cli.ts (loading at start, SIGTERM), the cron
 * installed by attachPersistence().
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import { KeySnapshot, type Dict } from '../keyspace/dict.js';
import type { Value } from '../keyspace/value.js';
import { ReplyError } from '../protocol/errors.js';
import { Crc64 } from './crc64.js';
import { RdbWriter, writeHeader, writeDbHeader, writeFunctions, writeKeyValue, writeKeyHeader, valueJob, OP_EOF, type RdbOptions, type ValueJob } from './rdb.js';
import * as R from './rdb.js';
import { RdbReader, RdbError, readValue, valueCtx, deepValidation, isValueType, WHY, type ValueCtx, type Why } from './rdb-load.js';
import { flushLibraries, libraryCodes, loadLibraryFromRdb } from '../scripting/functions.js';
import { fsyncDir, writeFully } from '../util/files.js';

/**
 * Time budget of one BGSAVE slice (ms). A command that arrives during a
 * slice waits for its end, so while clients send commands the slices are
 * short (BUSY_SLICE_MS; see README for the latency measured); when no
 * command ran for BUSY_MEMORY_MS they are longer, for throughput.
 */
const BUSY_SLICE_MS = 0.05;
const IDLE_SLICE_MS = 1;
/** Short slices for this long after the last command seen. */
const BUSY_MEMORY_MS = 200;
/** Keys serialized between two clock readings. */
const KEYS_PER_CHECK = 16;
/** Elements of a huge value written between two checks of the clock. */
const JOB_STEP = 256;
/** Bytes buffered before a write to the file (a write of this size to the page cache takes tens of µs). */
const WRITE_CHUNK = 1 << 14;

/** Persistence state of one server. */
export interface PersistState {
  bgsave: Bgsave | null;
  bgsaveScheduled: boolean;
  lastBgsaveStatus: 'ok' | 'err';
  lastBgsaveTimeSec: number;
  lastBgsaveTry: number;
  rdbSaves: number;
  /** Background jobs started, BGSAVEs and AOF rewrites (INFO total_forks: tsdis's stand-in for Redis's forks). */
  forks: number;
  lastLoadKeysExpired: number;
  lastLoadKeysLoaded: number;
  loading: LoadingInfo | null;
  cron: NodeJS.Timeout | null;
  /** Called when the running BGSAVE ends (tests, SHUTDOWN waiting). */
  waiters: ((ok: boolean) => void)[];
}

interface LoadingInfo {
  start: number;
  totalBytes: number;
  loadedBytes: number;
  startMono: number;
}

const states = new WeakMap<Server, PersistState>();

/** The persistence state of a server (created on first use). */
export function persist(server: Server): PersistState {
  let st = states.get(server);
  if (st === undefined) {
    st = {
      bgsave: null,
      bgsaveScheduled: false,
      lastBgsaveStatus: 'ok',
      lastBgsaveTimeSec: -1,
      lastBgsaveTry: 0,
      rdbSaves: 0,
      forks: 0,
      lastLoadKeysExpired: 0,
      lastLoadKeysLoaded: 0,
      loading: null,
      cron: null,
      waiters: [],
    };
    states.set(server, st);
  }
  return st;
}

/** The RDB file's path: dir/dbfilename. */
export function rdbPath(server: Server): string {
  const v = server.config.v;
  return path.resolve(String(v['dir'] || process.cwd()), String(v['dbfilename'] ?? 'dump.rdb'));
}

/** Serialization options from the config. */
export function rdbOptions(server: Server): RdbOptions {
  const v = server.config.v;
  return { compression: v['rdbcompression'] !== false && v['rdbcompression'] !== 'no', listMaxListpackSize: Number(v['list-max-listpack-size'] ?? -2) };
}

function checksumOn(server: Server): boolean {
  const c = server.config.v['rdbchecksum'];
  return c !== false && c !== 'no';
}

/** A file's bytes with the RDB trailer: EOF, then the CRC-64 (zeros when rdbchecksum is off). */
function writeTrailer(w: RdbWriter, crc: Crc64, checksum: boolean): Buffer {
  w.byte(OP_EOF);
  crc.update(w.buf, 0, w.pos);
  w.bytes(checksum ? crc.bytes() : Buffer.alloc(8));
  return w.take();
}

/** Serializes every database into a complete RDB image (SAVE, DEBUG RELOAD, the AOF preamble). */
export function rdbImage(server: Server, opts: { aofBase?: boolean } = {}): Buffer[] {
  const w = new RdbWriter(rdbOptions(server), 1 << 16);
  const crc = new Crc64();
  const out: Buffer[] = [];
  const flush = () => {
    crc.update(w.buf, 0, w.pos);
    out.push(w.take());
  };
  writeHeader(w, { usedMem: process.memoryUsage().heapUsed, aofBase: !!opts.aofBase, now: server.clock(), version: R.rdbVersionFor(server.dbs) });
  writeFunctions(w, libraryCodes(server));
  for (const db of server.dbs) {
    const d = db.dict;
    if (d.size === 0) continue;
    writeDbHeader(w, db.id, d.size, db.expires.size);
    const exp = db.expires;
    for (let i = 0; i < d.size; i++) {
      const k = d.keyAt(i);
      writeKeyValue(w, k, d.valAt(i), exp.size === 0 ? undefined : exp.get(k));
      if (w.pos > WRITE_CHUNK) flush();
    }
  }
  out.push(writeTrailer(w, crc, checksumOn(server)));
  return out;
}

/** Writes chunks to path through a temp file: write, fsync, rename, fsync the directory. Synchronous. */
function writeFileDurably(file: string, chunks: Buffer[], tmpName: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, tmpName);
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'w');
    for (const c of chunks) writeFully(fd, c);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
    fsyncDir(dir);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/**
 * Removes the temp files a save of this process may have left (SAVE's and
 * BGSAVE's), as Redis's rdbRemoveTempFile when a second SIGINT exits at once.
 */
export function removeTempRdb(server: Server): void {
  const dir = path.dirname(rdbPath(server));
  for (const name of [`temp-${process.pid}.rdb`, `temp-bgsave-${process.pid}.rdb`]) {
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      /* none */
    }
  }
}

/**
 * SAVE: writes the dataset to dir/dbfilename synchronously. Throws a
 * ReplyError when a BGSAVE runs or the write fails (the error is logged).
 */
export function saveSync(server: Server, file = rdbPath(server)): void {
  const st = persist(server);
  if (st.bgsave !== null) throw new ReplyError('ERR Background save already in progress');
  try {
    writeFileDurably(file, rdbImage(server), `temp-${process.pid}.rdb`);
  } catch (e) {
    // (a failed SAVE leaves rdb_last_bgsave_status alone, as Redis's rdbSave: no MISCONF follows)
    server.log.warning(`Failed opening the temp RDB file temp-${process.pid}.rdb (in server root dir ${path.dirname(file)}) for saving: ${(e as Error).message}`);
    throw new ReplyError('ERR');
  }
  server.log.notice('DB saved on disk');
  server.dirty = 0;
  server.lastSave = Math.floor(server.clock() / 1000);
  st.lastBgsaveStatus = 'ok';
  st.rdbSaves++;
}

/* ---------------------------------------------------------------------------
 * BGSAVE
 * ------------------------------------------------------------------------- */

/** The work list of a database whose walk is done. */
const NO_KEYS = new KeySnapshot([], 0);

/** Per-database state of a running BGSAVE. */
interface DbSnap {
  id: number;
  dict: Dict<Value>;
  expires: Dict<number | bigint>;
  /** The keys at the start (the walk's work list). */
  keys: KeySnapshot;
  size: number;
  expiresSize: number;
  /** Keys serialized by cow() (the walk skips them), or created after the start. */
  handled: Set<string>;
  /** How far the walk has come in `keys`. */
  pos: number;
  /** Keys the walk found in `handled` and skipped: their side entries are written. */
  skipped: Set<string>;
  /** [key, start, end] of each entry in `side`. */
  entries: [string, number, number][];
  /** Old values serialized by cow(), written after the walk of this db. */
  side: RdbWriter | null;
  /** The walk has finished this db: cow() ignores it. */
  done: boolean;
}

/**
 * How a background snapshot lays out its file: an RDB image (the default:
 * BGSAVE, an AOF base with the RDB preamble), or AOF commands (an AOF base
 * without it, persistence/aof.ts). The walk, the copy-on-write and the
 * slicing are the same; only the bytes differ.
 */
export interface SnapshotFormat {
  /** The start of the file (RDB: header and function libraries), written when the snapshot starts. */
  header(w: RdbWriter, startMs: number): void;
  /** Before the keys of a (non-empty) database. */
  dbHeader(w: RdbWriter, id: number, size: number, expiresSize: number): void;
  /** One key, whole. */
  keyValue(w: RdbWriter, key: string, v: Value, expireAt: number | bigint | undefined): void;
  /**
   * A huge value written across slices: writes what comes before it and
   * returns the job writing the rest; null when keyValue writes it whole.
   */
  valueJob(w: RdbWriter, key: string, v: Value, expireAt: number | bigint | undefined): ValueJob | null;
  /** After the last key (RDB: EOF and the checksum of everything before). */
  trailer(w: RdbWriter, crc: Crc64, checksum: boolean): void;
}

/** The RDB image format of a BGSAVE (aofBase: AUX aof-base 1). */
function rdbFormat(server: Server, aofBase: boolean): SnapshotFormat {
  return {
    header: (w, startMs) => {
      // (the version: whether a hash had field TTLs at the start, which is what the snapshot holds)
      writeHeader(w, { usedMem: process.memoryUsage().heapUsed, aofBase, now: startMs, version: R.rdbVersionFor(server.dbs) });
      // the libraries as of now (the first drain() writes them out)
      writeFunctions(w, libraryCodes(server));
    },
    dbHeader: writeDbHeader,
    keyValue: writeKeyValue,
    valueJob: (w, key, v, exp) => {
      const run = valueJob(v, w.opts);
      if (run !== null) writeKeyHeader(w, key, v, exp);
      return run;
    },
    trailer: (w, crc, checksum) => {
      w.byte(OP_EOF);
      crc.update(w.buf, 0, w.pos);
      // (the CRC bytes are not part of the CRC)
      w.bytes(checksum ? crc.bytes() : Buffer.alloc(8));
    },
  };
}

/** How a background snapshot ended: written and renamed, failed (I/O), or stopped by abort(). */
export type SnapshotEnd = 'ok' | 'error' | 'aborted';

export class Bgsave {
  readonly startMs: number;
  readonly startMono = performance.now();
  private readonly byDict = new Map<Dict<Value>, DbSnap>();
  private readonly order: DbSnap[] = [];
  private cur = 0;
  private idx = 0;
  private headerDone = false;
  private readonly w: RdbWriter;
  private readonly format: SnapshotFormat;
  private readonly crc = new Crc64();
  private fd: number;
  private readonly tmp: string;
  private readonly dirtyAtStart: number;
  private aborted = false;
  keysProcessed = 0;
  readonly keysTotal: number;
  private readonly cowHook = (db: Db, key: string): void => this.cow(db, key);
  /** server.stats.totalCommands at the end of the last slice (were clients active since?). */
  private lastCommands = -1;
  /** When a slice last saw commands run since the previous one. */
  private lastBusy = 0;
  /** The last call yielded to pending replies (the next one works, so the walk cannot starve). */
  private yielded = false;
  /** A huge value being written across slices (rdb.ts valueJob), and its key. */
  private job: { s: DbSnap; key: string; run: ValueJob } | null = null;

  constructor(
    private readonly server: Server,
    private readonly file: string,
    /**
     * aofBase: the image is an AOF base (AUX aof-base 1); format: another
     * layout (AOF commands); tmp: the temp file (default
     * temp-bgsave-<pid>.rdb beside `file`); onDone: called instead of the
     * BGSAVE bookkeeping when it ends (the AOF rewrite), with the error of a
     * failed one.
     */
    readonly opts: { aofBase?: boolean; format?: SnapshotFormat; tmp?: string; onDone?: (end: SnapshotEnd, err?: Error) => void } = {},
  ) {
    this.startMs = server.clock();
    this.format = opts.format ?? rdbFormat(server, !!opts.aofBase);
    this.tmp = opts.tmp ?? path.join(path.dirname(file), `temp-bgsave-${process.pid}.rdb`);
    this.fd = fs.openSync(this.tmp, 'w');
    this.w = new RdbWriter(rdbOptions(server), WRITE_CHUNK + (1 << 16));
    this.dirtyAtStart = server.dirty;
    this.format.header(this.w, this.startMs);
    let total = 0;
    for (const db of server.dbs) {
      if (db.dict.size === 0) continue;
      const s: DbSnap = {
        id: db.id,
        dict: db.dict,
        expires: db.expires,
        keys: db.dict.keysSnapshot(),
        size: db.dict.size,
        expiresSize: db.expires.size,
        handled: new Set(),
        pos: 0,
        skipped: new Set(),
        entries: [],
        side: null,
        done: false,
      };
      total += s.size;
      this.order.push(s);
      this.byDict.set(db.dict, s);
    }
    this.keysTotal = total;
    for (const db of server.dbs) db.cow = this.cowHook;
    setImmediate(this.step);
  }

  /** Db.cow: serializes the value a key had at the start before it changes. */
  private cow(db: Db, key: string): void {
    const s = this.byDict.get(db.dict);
    if (s === undefined || s.done || s.handled.has(key)) return;
    const job = this.job;
    if (job !== null && job.s === s && job.key === key) {
      // the huge value being written is about to change: finish it now
      this.finishJob();
      s.handled.add(key); // written: later changes need nothing
      return;
    }
    s.handled.add(key);
    const slot = s.dict.slot(key);
    if (slot < 0) return; // created after the start (or deleted and already handled)
    // Walked already? The walk writes keys[0..pos). A key only ever moves to
    // a lower slot (Dict.delete), so one still at its start position
    // (keys[slot] === key, keys being unique) was walked iff slot < pos; a
    // moved one cannot be told apart: its old value is serialized, and the
    // entry is kept at the end of the db only if the walk skipped the key.
    if (slot < s.pos && s.keys.at(slot) === key) return;
    s.side ??= new RdbWriter(this.w.opts, 4096);
    const start = s.side.pos;
    this.format.keyValue(s.side, key, s.dict.valAt(slot), s.expires.size === 0 ? undefined : s.expires.get(key));
    s.entries.push([key, start, s.side.pos]);
    this.keysProcessed++;
  }

  /**
   * Queues the buffered bytes for the temp file. Writes run one at a time
   * on libuv's thread pool (a synchronous write of a chunk measured as the
   * largest recurring stall of the event loop during a BGSAVE).
   */
  private drain(): void {
    const w = this.w;
    if (w.pos === 0) return;
    this.crc.update(w.buf, 0, w.pos);
    // hand the buffer itself to the writer and continue in a spare one (no copy, no garbage)
    this.queue.push([w.buf, w.pos]);
    w.buf = this.spare.pop() ?? Buffer.allocUnsafe(WRITE_CHUNK + (1 << 16));
    w.pos = 0;
    this.pump();
  }

  /** Buffers and their lengths waiting to be written, in order. */
  private queue: [Buffer, number][] = [];
  /** Written buffers, reused by drain(). */
  private spare: Buffer[] = [];
  private writing = false;
  /** Runs once the queue is written (finish()). */
  private afterWrites: (() => void) | null = null;

  private pump(): void {
    if (this.writing || this.aborted) return;
    const next = this.queue.shift();
    if (next === undefined) {
      const f = this.afterWrites;
      this.afterWrites = null;
      f?.();
      return;
    }
    this.writing = true;
    this.writeFrom(next[0], 0, next[1]);
  }

  private writeFrom(b: Buffer, off: number, len: number): void {
    fs.write(this.fd, b, off, len - off, null, (err, n) => {
      if (this.aborted) return;
      if (err) {
        this.writing = false;
        return this.fail(err);
      }
      if (off + n < len) return this.writeFrom(b, off + n, len);
      this.writing = false;
      if (this.spare.length < 4) this.spare.push(b);
      this.pump();
    });
  }

  /** Writes the rest of the value in progress at once. */
  private finishJob(): void {
    const job = this.job!;
    this.job = null;
    while (!job.run(this.w, JOB_STEP * 64));
    this.keysProcessed++;
  }

  /** rdb-key-save-delay: the walk waits until then (performance.now()) before its next key. */
  private resumeAt = 0;

  /** One slice of the walk; reschedules itself until done. */
  private step = (): void => {
    if (this.aborted) return;
    // rdb-key-save-delay (µs per key, Redis's test knob to keep a save running): a timer, not a
    // stall; looked at again every 50 ms so that setting it back to 0 takes effect soon
    const delayUs = Number(this.server.config.v['rdb-key-save-delay']);
    if (delayUs > 0 && this.resumeAt > performance.now()) {
      setTimeout(this.step, Math.min(50, this.resumeAt - performance.now()));
      return;
    }
    // the disk is behind (8 MB queued): wait for it rather than buffer the whole file
    if (this.queue.length >= 512) {
      setTimeout(this.step, 1);
      return;
    }
    try {
      const t0 = performance.now();
      const cmds = this.server.stats.totalCommands;
      if (cmds !== this.lastCommands) {
        this.lastBusy = t0;
        this.lastCommands = cmds;
        // Commands ran since the last slice, so their replies are queued
        // behind this callback (setImmediate runs in FIFO order): yield once
        // so they are written first, instead of waiting for a slice.
        if (!this.yielded) {
          this.yielded = true;
          setImmediate(this.step);
          return;
        }
      }
      this.yielded = false;
      const budget = t0 - this.lastBusy < BUSY_MEMORY_MS ? BUSY_SLICE_MS : IDLE_SLICE_MS;
      const w = this.w;
      for (;;) {
        const job = this.job;
        if (job !== null) {
          // a huge value: a few hundred elements at a time, within the slice
          let finished = false;
          while (!(finished = job.run(w, JOB_STEP))) {
            if (w.pos >= WRITE_CHUNK) this.drain();
            if (performance.now() - t0 >= budget) break;
          }
          if (!finished) break;
          this.job = null;
          this.keysProcessed++;
        }
        const s = this.order[this.cur];
        if (s === undefined) return this.finish();
        if (!this.headerDone) {
          this.format.dbHeader(w, s.id, s.size, s.expiresSize);
          this.headerDone = true;
        }
        const keys = s.keys;
        const end = Math.min(keys.length, this.idx + (delayUs > 0 ? 1 : KEYS_PER_CHECK));
        const handled = s.handled;
        const dict = s.dict;
        const exp = s.expires;
        let i = this.idx;
        for (; i < end; i++) {
          const k = keys.at(i);
          if (handled.size !== 0 && handled.has(k)) {
            s.skipped.add(k);
            continue;
          }
          const v = dict.get(k)!;
          const at = exp.size === 0 ? undefined : exp.get(k);
          const run = this.format.valueJob(w, k, v, at);
          if (run !== null) {
            this.job = { s, key: k, run };
            i++;
            break;
          }
          this.format.keyValue(w, k, v, at);
          this.keysProcessed++;
        }
        this.idx = i;
        s.pos = i;
        if (this.job !== null) continue;
        if (i === keys.length) {
          if (s.side !== null) {
            const side = s.side.buf;
            for (const [k, a, b] of s.entries) if (s.skipped.has(k)) w.bytes(side.subarray(a, b));
          }
          s.done = true;
          s.side = null;
          s.keys = NO_KEYS;
          s.handled = new Set();
          s.skipped = new Set();
          s.entries = [];
          this.cur++;
          this.idx = 0;
          this.headerDone = false;
        }
        if (w.pos >= WRITE_CHUNK) this.drain();
        if (delayUs > 0) {
          this.resumeAt = performance.now() + delayUs / 1000;
          break;
        }
        if (performance.now() - t0 >= budget) break;
      }
      setImmediate(this.step);
    } catch (e) {
      this.fail(e as Error);
    }
  };

  /** Detaches from the keyspace (no more copy-on-write). */
  private detach(): void {
    for (const db of this.server.dbs) if (db.cow === this.cowHook) db.cow = null;
    this.byDict.clear();
  }

  /** Writes the trailer, then fsyncs, renames and fsyncs the directory off the event loop. */
  private finish(): void {
    this.detach();
    const w = this.w;
    this.format.trailer(w, this.crc, checksumOn(this.server));
    // (queued without updating the CRC: the trailer holds it)
    const tail = w.take();
    this.queue.push([tail, tail.length]);
    this.afterWrites = () => this.syncAndRename();
    this.pump();
  }

  /** fsync, close, rename over dbfilename, fsync the directory; then done(). */
  private syncAndRename(): void {
    const fd = this.fd;
    fs.fsync(fd, (err) => {
      if (err) return this.fail(err);
      fs.close(fd, (err2) => {
        this.fd = -1;
        if (err2) return this.fail(err2);
        fs.rename(this.tmp, this.file, (err3) => {
          if (err3) return this.fail(err3);
          fs.open(path.dirname(this.file), 'r', (err4, dfd) => {
            if (err4) return this.done(true);
            fs.fsync(dfd, () => fs.close(dfd, () => this.done(true)));
          });
        });
      });
    });
  }

  private fail(e: Error): void {
    if (this.aborted) return;
    // (an AOF rewrite's owner logs its own lines)
    if (!this.opts.onDone) this.server.log.warning(`Background saving error: ${e.message}`);
    this.cleanup();
    this.done(false, e);
  }

  private cleanup(): void {
    this.detach();
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = -1;
    }
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      /* gone */
    }
  }

  /** Stops it without a result (SHUTDOWN, FLUSHALL's kill of the child): the temp file is removed. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.cleanup();
    const st = persist(this.server);
    if (st.bgsave === this) st.bgsave = null;
    if (this.opts.onDone) return this.opts.onDone('aborted');
    this.server.log.warning('Background saving terminated by signal 10');
    for (const f of st.waiters.splice(0)) f(false);
  }

  private done(ok: boolean, err?: Error): void {
    if (this.aborted) return;
    const server = this.server;
    const st = persist(server);
    if (st.bgsave === this) st.bgsave = null;
    if (this.opts.onDone) {
      this.opts.onDone(ok ? 'ok' : 'error', err);
      if (st.bgsaveScheduled) {
        st.bgsaveScheduled = false;
        startBgsave(server);
      }
      return;
    }
    st.lastBgsaveTimeSec = Math.round((performance.now() - this.startMono) / 1000);
    if (ok) {
      server.log.notice('Background saving terminated with success');
      server.dirty -= this.dirtyAtStart;
      server.lastSave = Math.floor(server.clock() / 1000);
      st.lastBgsaveStatus = 'ok';
      st.rdbSaves++;
    } else {
      server.log.warning('Background saving error');
      st.lastBgsaveStatus = 'err';
    }
    for (const f of st.waiters.splice(0)) f(ok);
    if (st.bgsaveScheduled) {
      st.bgsaveScheduled = false;
      startBgsave(server);
    }
  }
}

/** Starts a BGSAVE; returns false (logged) when the temp file cannot be created. */
export function startBgsave(server: Server): boolean {
  const st = persist(server);
  if (st.bgsave !== null) return false;
  st.lastBgsaveTry = server.clock();
  try {
    st.bgsave = new Bgsave(server, rdbPath(server));
  } catch (e) {
    server.log.warning(`Can't save in background: ${(e as Error).message}`);
    st.lastBgsaveStatus = 'err';
    return false;
  }
  st.forks++;
  server.log.notice('Background saving started by pid ' + process.pid);
  return true;
}

/**
 * FLUSHALL's part (Redis's flushAllDataAndResetRDB): a running BGSAVE is
 * stopped (its file would bring the flushed data back), and with save
 * points configured the now empty dataset is saved at once.
 */
export function flushallSave(server: Server): void {
  // (only a BGSAVE: an AOF rewrite's base is the dataset at its start, and the FLUSHALL is in its incr file)
  const b = persist(server).bgsave;
  if (b !== null && b.opts.onDone === undefined) b.abort();
  if (savePoints(server).length === 0) return;
  try {
    saveSync(server);
  } catch {
    /* logged by saveSync; the save points retry */
  }
}

/** Resolves when no BGSAVE is running (true when the last one succeeded). */
export function waitBgsave(server: Server): Promise<boolean> {
  const st = persist(server);
  if (st.bgsave === null) return Promise.resolve(st.lastBgsaveStatus === 'ok');
  return new Promise((resolve) => st.waiters.push(resolve));
}

/** The `save` parameter as [seconds, changes] pairs. */
export function savePoints(server: Server): [number, number][] {
  const nums = String(server.config.v['save'] ?? '').split(/\s+/).filter(Boolean).map(Number);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < nums.length; i += 2) out.push([nums[i]!, nums[i + 1]!]);
  return out;
}

/**
 * Installs the save-point check (Redis's serverCron part: every 100 ms, a
 * BGSAVE when some point's seconds have passed since the last save with at
 * least its changes; after a failed one, retries wait 5 s). Called by the
 * Server's constructor; stopped when the server closes.
 */
export function attachPersistence(server: Server): void {
  const st = persist(server);
  const check = () => {
    if (st.bgsave !== null || server.loading || server.closing) return;
    const now = server.clock();
    if (st.bgsaveScheduled) {
      st.bgsaveScheduled = false;
      startBgsave(server);
      return;
    }
    for (const [secs, changes] of savePoints(server)) {
      if (server.dirty >= changes && now - server.lastSave * 1000 > secs * 1000 && (st.lastBgsaveStatus === 'ok' || now - st.lastBgsaveTry > 5000)) {
        server.log.notice(`${changes} changes in ${secs} seconds. Saving...`);
        startBgsave(server);
        return;
      }
    }
  };
  st.cron = setInterval(check, 100);
  st.cron.unref();
  server.once('closed', () => {
    if (st.cron) clearInterval(st.cron);
    st.cron = null;
    st.bgsave?.abort();
  });
}

/* ---------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------- */

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
const SHORT_READ_REPORT: LoadReport = { before: [SHORT_READ], why: WHY.eof, check: WHY.eof.text, doing: 'read-object-value', after: [] };

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
const TYPE_NAMES = ['string', 'list-linked', 'set-hashtable', 'zset-v1', 'hash-hashtable', 'zset-v2', 'module-pre-release', 'module-value', '',
  'hash-zipmap', 'list-ziplist', 'set-intset', 'zset-ziplist', 'hash-ziplist', 'quicklist', 'stream', 'hash-listpack', 'zset-listpack',
  'quicklist-v2', 'stream-v2', 'set-listpack', 'stream-v3', 'hash-metadata-pre-ga', 'hash-listpack-ex-pre-ga', 'hash-metadata', 'hash-listpack-ex'];

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
 * Decodes an RDB image into the server's databases, a slice at a time.
 * Keys whose expiry has passed are skipped (as a master does), unless
 * keepExpired (an AOF preamble). Empty collections (old files, or files
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
  private readonly now: number;
  /** Access metadata of every loaded key (loaded now). */
  private readonly meta: number;
  version = 0;
  keysLoaded = 0;
  keysExpired = 0;
  /** Empty collections skipped (Redis's empty_keys_skipped). */
  emptySkipped = 0;
  /** Keys read with an expire time (the check report's "expires"). */
  private withExpire = 0;
  /** Function libraries loaded (FUNCTION2 records). */
  functionsLoaded = 0;
  finished = false;
  /** Offset just after the EOF marker and checksum (an AOF with a preamble continues there). */
  endOffset = 0;
  /** The key being read and its type (for the failure report). */
  private key: string | null = null;
  private type = -1;
  /** The progress INFO shows while loading (loading_loaded_bytes), set by loadRdbFile. */
  progress = 0;

  constructor(
    private readonly server: Server,
    readonly buf: Buffer,
    readonly file: string,
    private readonly keepExpired = false,
    /** DEBUG RELOAD MERGE: a key already present is replaced instead of being an error. */
    private readonly merge = false,
  ) {
    this.r = new RdbReader(buf);
    this.db = server.dbs[0]!;
    this.ctx = valueCtx(server.config.v, server.listLimits, deepValidation(server.config.v, true));
    this.now = server.clock();
    this.meta = server.hooks.newMeta ? server.hooks.newMeta() : 0;
    if (buf.length < 9) throw this.error(0, 'unexpected end of data', { ...SHORT_READ_REPORT, doing: 'start' });
    const magic = buf.latin1Slice(0, 9);
    this.r.pos = 9;
    if (!magic.startsWith('REDIS')) throw this.fatal(0, 'Wrong signature trying to load DB from file');
    // (atoi: the digits up to the first other character)
    this.version = Number(/^\d*/.exec(magic.slice(5))![0] || '0');
    if (this.version < 1 || this.version > R.RDB_MAX_READ_VERSION) throw this.fatal(5, `Can't handle RDB format version ${this.version}`);
  }

  /** An error reported with Redis's lines, the key and type being read and the counts so far. */
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
    return this.error(offset, line, { before: [line], why: null, doing: 'start', after: ['Fatal error loading the DB, check server logs. Exiting.'] });
  }

  /** Runs fn, turning decoding errors into RdbLoadError. */
  private wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RdbError) {
        const doing = this.key === null ? 'read-type' : 'read-object-value';
        // a reason reported while reading a value ends with "Terminating ..." (rdbReportError in the checker)
        const rep: LoadReport = e.why === null ? { ...SHORT_READ_REPORT, doing } : { before: [], why: e.why, doing, after: [TERMINATING] };
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
        if (++n % 256 === 0 && performance.now() - t0 >= ms) break;
      }
      return this.finished;
    });
  }

  get loadedBytes(): number {
    return this.r.pos;
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
        const db = this.server.dbs[id];
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
        return;
      }
      case R.OP_MODULE_AUX: {
        const line = 'The RDB file contains AUX module data I can\'t load: no matching module (modules are not supported by tsdis)';
        throw this.error(at, line, { before: [line], why: null, doing: 'read-module-aux', after: [] });
      }
      case R.OP_FUNCTION2: {
        // a library: loaded as FUNCTION LOAD would (an existing one is an error, replaced with MERGE)
        const err = loadLibraryFromRdb(this.server, r.str(), this.merge);
        if (err !== null) {
          throw this.error(at, `Failed loading library, ${err}`, { before: [`Failed loading library, ${err}`, SHORT_READ], why: WHY.eof, check: `Failed loading library, ${err}`, doing: 'read-functions', after: [] });
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
          if (check && stored.equals(Buffer.alloc(8))) this.server.log.notice('RDB file was saved with checksum disabled: no check performed.');
          else if (check && !stored.equals(this.crc.bytes())) {
            const expected = this.crc.bytes().readBigUInt64LE(0).toString(16);
            const got = stored.readBigUInt64LE(0).toString(16);
            const line = `Wrong RDB checksum expected: (${expected}) but got (${got}). Aborting now.`;
            throw this.error(at + 1, line, { before: [line], why: WHY.crc, check: WHY.crc.text, doing: 'check-sum', after: [] });
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
    if ((this.r.pos - this.crcPos) > WRITE_CHUNK) {
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
  flushLibraries(server);
}

/**
 * Loads an RDB image synchronously into the (empty) databases. On any error
 * the databases are emptied again and the error (RdbLoadError) rethrown:
 * never half-loaded. Returns the loader (counts, end offset).
 */
export function loadRdbBuffer(server: Server, buf: Buffer, file: string, keepExpired = false, merge = false): RdbLoader {
  try {
    const l = new RdbLoader(server, buf, file, keepExpired, merge);
    l.step();
    const st = persist(server);
    st.lastLoadKeysLoaded = l.keysLoaded;
    st.lastLoadKeysExpired = l.keysExpired;
    return l;
  } catch (e) {
    emptyData(server);
    throw e;
  }
}

/**
 * Loads dir/dbfilename (or `file`) at start: sets server.loading (clients get
 * -LOADING meanwhile), decodes in slices across event-loop turns, logs
 * progress every second for large files. Resolves false when there is no
 * file; rejects with RdbLoadError (databases emptied) when it is corrupt.
 */
export async function loadRdbFile(server: Server, file = rdbPath(server)): Promise<boolean> {
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
    const buf = await fs.promises.readFile(file);
    st.loading.totalBytes = buf.length;
    const l = new RdbLoader(server, buf, file);
    let lastLog = t0;
    while (!l.step(20)) {
      st.loading.loadedBytes = l.progress = l.loadedBytes;
      if (performance.now() - lastLog >= 1000) {
        lastLog = performance.now();
        server.log.notice(`Loading RDB ${file}: ${((l.loadedBytes / buf.length) * 100).toFixed(1)}% (${l.keysLoaded} keys)`);
      }
      await new Promise((r) => setImmediate(r));
    }
    st.lastLoadKeysLoaded = l.keysLoaded;
    st.lastLoadKeysExpired = l.keysExpired;
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

/**
 * The INFO persistence fields this module owns, in Redis's order: the
 * loading block (with the loading_* fields while loading) and the rdb_*
 * block. info.ts splices them into its section.
 */
export function loadingInfo(server: Server): [string, string | number][] {
  const st = persist(server);
  const l = st.loading;
  if (l === null) return [['loading', 0], ['async_loading', 0]];
  const elapsed = (performance.now() - l.startMono) / 1000;
  const perc = l.totalBytes === 0 ? 0 : (l.loadedBytes / l.totalBytes) * 100;
  const eta = l.loadedBytes === 0 ? 1 : Math.round(((l.totalBytes - l.loadedBytes) / (l.loadedBytes / Math.max(elapsed, 0.001))));
  return [
    ['loading', 1],
    ['async_loading', 0],
    ['loading_start_time', l.start],
    ['loading_total_bytes', l.totalBytes],
    ['loading_rdb_used_mem', 0],
    ['loading_loaded_bytes', l.loadedBytes],
    ['loading_loaded_perc', perc.toFixed(2)],
    ['loading_eta_seconds', eta],
  ];
}

/** The rdb_* INFO fields (and the current_save_keys_* ones). */
export function rdbInfo(server: Server): [string, string | number][] {
  const st = persist(server);
  // (the background slot may hold an AOF rewrite: not a BGSAVE)
  const b = st.bgsave !== null && st.bgsave.opts.onDone === undefined ? st.bgsave : null;
  return [
    ['rdb_changes_since_last_save', server.dirty],
    ['rdb_bgsave_in_progress', b !== null ? 1 : 0],
    ['rdb_last_save_time', server.lastSave],
    ['rdb_last_bgsave_status', st.lastBgsaveStatus],
    ['rdb_last_bgsave_time_sec', st.lastBgsaveTimeSec],
    ['rdb_current_bgsave_time_sec', b !== null ? Math.round((performance.now() - b.startMono) / 1000) : -1],
    ['rdb_saves', st.rdbSaves],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', st.lastLoadKeysExpired],
    ['rdb_last_load_keys_loaded', st.lastLoadKeysLoaded],
  ];
}

/** current_save_keys_processed / current_save_keys_total. */
export function saveProgress(server: Server): [number, number] {
  const b = persist(server).bgsave;
  return b === null ? [0, 0] : [b.keysProcessed, b.keysTotal];
}

/**
 * BGSAVE: a point-in-time snapshot written without stopping the server.
 * Node cannot fork, so:
 *  - at its start it records, per database, the dict objects and a copy of
 *    the key list (8 bytes a key), and installs Db.cow on every database;
 *  - then it walks those keys in slices of about BUSY_SLICE_MS across event-loop
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
 *
 * The same walk writes an AOF base (aof.ts, through SnapshotFormat). Also
 * here: starting one (startBgsave), FLUSHALL's stop of a running one, and
 * the save-point cron (attachPersistence). Callers: commands/persistence.ts,
 * commands/keys.ts (FLUSHALL), persistence/aof.ts, server/server.ts.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { Subsystem } from '../server/subsystem.js';
import type { Db } from '../keyspace/db.js';
import { KeySnapshot, type Dict } from '../keyspace/dict.js';
import type { Value } from '../keyspace/value.js';
import { Crc64 } from './crc64.js';
import {
  RdbWriter,
  writeHeader,
  writeDbHeader,
  writeFunctions,
  writeKeyValue,
  writeKeyHeader,
  valueJob,
  OP_EOF,
  type ValueJob,
} from './rdb.js';
import * as R from './rdb.js';
import { persist, rdbPath, rdbOptions, checksumOn, saveSync, savePoints, WRITE_CHUNK } from './snapshot.js';
import { libraryCodes } from '../scripting/functions.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

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

/**
 * Where a snapshot's bytes go instead of a file (a full sync streamed to
 * replicas' sockets: replication/primary.ts). write() takes a chunk the
 * callee may keep and calls `done` when it may be given the next (its
 * backpressure); end() comes after the last chunk.
 */
export interface SnapshotTarget {
  write(chunk: Buffer, done: (err?: Error) => void): void;
  end(done: (err?: Error) => void): void;
}

/** The RDB image format of a BGSAVE (aofBase: AUX aof-base 1; repl: replication's AUX fields; functions: write the libraries). */
function rdbFormat(server: Server, aofBase: boolean, repl: R.ReplSaveInfo | null, functions: boolean): SnapshotFormat {
  return {
    header: (w, startMs) => {
      // (the version: whether a hash had field TTLs at the start, which is what the snapshot holds)
      writeHeader(w, {
        usedMem: process.memoryUsage().heapUsed,
        aofBase,
        now: startMs,
        version: R.rdbVersionFor(server.dbs),
        repl,
      });
      // the libraries as of now (the first drain() writes them out)
      if (functions) writeFunctions(w, libraryCodes(server));
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
  readonly startMs: number = DOUBLE_ZERO;
  readonly startMono = performance.now();
  private readonly byDict = new Map<Dict<Value>, DbSnap>();
  private readonly order: DbSnap[] = [];
  private cur = 0;
  private idx = 0;
  private headerDone = false;
  private readonly w: RdbWriter;
  private readonly format: SnapshotFormat;
  private readonly crc = new Crc64();
  private fd: number = 0;
  private readonly tmp: string;
  private readonly dirtyAtStart: number = 0;
  private aborted = false;
  keysProcessed = 0;
  readonly keysTotal: number = 0;
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
     * BGSAVE bookkeeping when it ends (the AOF rewrite, a full sync to
     * sockets), with the error of a failed one; target: the bytes go there,
     * not to a file (diskless replication); noData / noFunctions: leave the
     * keys / the libraries out (a replica's rdb-filter-only).
     */
    readonly opts: {
      aofBase?: boolean;
      format?: SnapshotFormat;
      tmp?: string;
      onDone?: (end: SnapshotEnd, err?: Error) => void;
      target?: SnapshotTarget;
      noData?: boolean;
      noFunctions?: boolean;
    } = {},
  ) {
    this.startMs = server.clock();
    this.format =
      opts.format ?? rdbFormat(server, !!opts.aofBase, opts.aofBase ? null : server.repl.saveInfo(), !opts.noFunctions);
    this.tmp = opts.tmp ?? path.join(path.dirname(file), `temp-bgsave-${process.pid}.rdb`);
    this.fd = opts.target ? -1 : fs.openSync(this.tmp, 'w');
    this.w = new RdbWriter(rdbOptions(server), WRITE_CHUNK + (1 << 16));
    this.dirtyAtStart = server.propagator.dirty;
    this.format.header(this.w, this.startMs);
    let total = 0;
    for (const db of server.dbs) {
      if (db.dict.size === 0 || opts.noData) continue;
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
    const target = this.opts.target;
    if (target !== undefined) {
      // (a copy: the buffer goes back to the spares once written)
      target.write(Buffer.from(b.subarray(off, len)), (err) => {
        if (this.aborted) return;
        this.writing = false;
        if (err) return this.fail(err);
        if (this.spare.length < 4) this.spare.push(b);
        this.pump();
      });
      return;
    }
    fs.write(this.fd, b, off, len - off, null, (err, n) => {
      if (this.aborted) {
        // (cleanup left the descriptor open for this write: closed now that it is done)
        this.writing = false;
        this.closeFd();
        return;
      }
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
    const delayUs = this.server.config.v['rdb-key-save-delay'];
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
    const target = this.opts.target;
    this.afterWrites =
      target === undefined
        ? () => this.syncAndRename()
        : () => target.end((err) => (err ? this.fail(err) : this.done(true)));
    this.pump();
  }

  /**
   * fsync, close, rename over dbfilename, fsync the directory; then done().
   * The descriptor is this function's from the start (this.fd is -1), so an
   * abort meanwhile does not close it a second time: a number the kernel may
   * have given to another file by then.
   */
  private syncAndRename(): void {
    const fd = this.fd;
    this.fd = -1;
    fs.fsync(fd, (err) => {
      fs.close(fd, (err2) => {
        if (this.aborted) return;
        if (err || err2) return this.fail((err ?? err2)!);
        // renamed at once, not by the thread pool: an abort right after an
        // asynchronous rename was issued let the next BGSAVE create its temp
        // file (the same name) before this rename ran, which then moved that
        // file away (the next save failed with ENOENT at its own rename)
        try {
          fs.renameSync(this.tmp, this.file);
        } catch (err3) {
          return this.fail(err3 as Error);
        }
        fs.open(path.dirname(this.file), 'r', (err4, dfd) => {
          if (err4) return this.done(true);
          fs.fsync(dfd, () => fs.close(dfd, () => this.done(true)));
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
    if (this.opts.target) return;
    this.closeFd();
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      /* gone */
    }
  }

  /**
   * Closes the temp file's descriptor, once; not while an fs.write on it is
   * in flight (its callback calls this again when done): closing it under
   * the write would let the kernel reuse the number for another file, which
   * the write (or a later close) would then hit.
   */
  private closeFd(): void {
    if (this.fd < 0 || this.writing) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = -1;
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
      server.propagator.saved(this.dirtyAtStart);
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
 * stopped (its file would bring the flushed data back), as is a diskless
 * sync's snapshot (its replicas are dropped and sync again), and with save
 * points configured the now empty dataset is saved at once.
 */
export function flushallSave(server: Server): void {
  // (a BGSAVE, or a diskless sync's snapshot: Redis kills either RDB child, and the replicas of
  // the latter sync again; not an AOF rewrite, whose base is the dataset at its start and whose
  // incr file holds the FLUSHALL)
  const b = persist(server).bgsave;
  if (b !== null && (b.opts.onDone === undefined || b.opts.target !== undefined)) b.abort();
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

/**
 * Installs the save-point check (Redis's serverCron part: every 100 ms, a
 * BGSAVE when some point's seconds have passed since the last save with at
 * least its changes; after a failed one, retries wait 5 s). Called by the
 * Server's constructor, which registers the subsystem returned: its close
 * hook stops the check and a running BGSAVE.
 */
export function attachPersistence(server: Server): Subsystem {
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
      if (
        server.propagator.dirty >= changes &&
        now - server.lastSave * 1000 > secs * 1000 &&
        (st.lastBgsaveStatus === 'ok' || now - st.lastBgsaveTry > 5000)
      ) {
        server.log.notice(`${changes} changes in ${secs} seconds. Saving...`);
        startBgsave(server);
        return;
      }
    }
  };
  st.cron = setInterval(check, 100);
  st.cron.unref();
  return {
    close: () => {
      if (st.cron) clearInterval(st.cron);
      st.cron = null;
      st.bgsave?.abort();
    },
  };
}

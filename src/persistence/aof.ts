/**
 * The append-only file, in Redis 7's multi-part layout and with Redis's
 * state machine (aof.c): a directory (`appenddirname`) holding a base file
 * (the dataset when it was last rewritten), incremental files with every
 * write since, and a manifest naming them (persistence/aof-manifest.ts).
 *
 * Writes reach the AOF as a sink of the server's propagator
 * (server/propagate.ts): already rewritten to replay deterministically,
 * with SELECT when the database changes (and `#TS:<unix time>` once a
 * second with aof-timestamp-enabled). They are buffered while the event
 * loop turn runs and written at its end (server/before-sleep.ts, through
 * Propagator.flush) *before* any reply of the turn goes out, so
 * with `appendfsync always` a client is only told OK once its write is on
 * disk (write + fdatasync in the loop, as Redis does). `everysec` writes in
 * the loop and fsyncs from libuv's thread pool once a second; `no` leaves
 * it to the OS.
 *
 * The state is Redis's: off, on, or wait-rewrite (turned on at run time,
 * until the first rewrite has written a base). A rewrite (BGREWRITEAOF, the
 * auto-rewrite thresholds, turning AOF on) opens a new incremental file
 * first (in wait-rewrite a temp one, `temp-<name>.incr`, not in the
 * manifest), so every later write goes there; then the dataset as it was at
 * that moment is written in the background by the BGSAVE machinery (slices
 * across event-loop turns with key-level copy-on-write: tsdis has no fork
 * child, so this in-process job is what Redis calls the child) to
 * `temp-rewriteaof-bg-<pid>.aof`; when it is done, that file becomes the new
 * base, the incremental files it covers become history (deleted unless
 * aof-disable-auto-gc is yes) and the manifest is switched with an atomic
 * rename. A failed rewrite leaves the new incr file in the manifest (nothing
 * written meanwhile is lost) and is retried; after 3 failures in a row the
 * automatic retries wait 1, 2, 4 ... 60 minutes.
 *
 * The manifest is read at start whatever `appendonly` is (BGREWRITEAOF with
 * AOF off writes a base alone, and a pre-7.0 `appendonly.aof` in `dir` is
 * moved into the directory as the base of a new manifest).
 */
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import { rdbImage, persist } from './snapshot.js';
import { Bgsave, type SnapshotEnd } from './bgsave.js';
import { strerror } from '../config/file.js';
import { libraryCodes } from '../scripting/functions.js';
import {
  AofManifest,
  ManifestError,
  parseManifest,
  persistManifest,
  manifestName,
  tempIncrName,
} from './aof-manifest.js';
import { encodeCommand, writeAll, writeDatasetAsCommands, commandsFormat, tsAnnotation } from './aof-format.js';
import { AofLoadError } from './aof-load.js';
import { bgUnlink, sleepSync, writeFully } from '../util/files.js';
import { PROPAGATE_AOF, type PropagationSink } from '../server/propagate.js';
import type { Subsystem } from '../server/subsystem.js';
import type { ParamName } from '../config/params.js';
import { RewriteLimiter } from './aof-limit.js';
import { Err } from '../protocol/errors.js';

export { parseManifest, AofManifest, ManifestError } from './aof-manifest.js';
export {
  encodeCommand,
  readCommands,
  keyCommands,
  writeDatasetAsCommands,
  writeAll,
  type AofRead,
} from './aof-format.js';
export {
  AofLoadError,
  UNKNOWN_COMMAND,
  loadAof,
  loadSteps,
  loadInSlices,
  type AofReplayer,
  type AofLoadStatus,
} from './aof-load.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** Redis's aof_state: off, on, or on but waiting for the first rewrite to write a base. */
export type AofState = 'off' | 'on' | 'wait-rewrite';

// ---------------------------------------------------------------------------
// The AOF of a running server

/** The background rewrite in progress: the in-process stand-in for Redis's fork child. */
interface RewriteJob {
  bgsave: Bgsave;
  /** When it started (unix seconds). */
  start: number;
  /** Whether its base holds an RDB image (decided at the start). */
  rdb: boolean;
}

export class Aof implements PropagationSink, Subsystem {
  /** The effects it takes (a script's redis.set_repl may leave some out). */
  readonly target = PROPAGATE_AOF;
  private st: AofState = 'off';
  /** Redis's aof_state; the propagator re-reads `accepting` when it changes. */
  get state(): AofState {
    return this.st;
  }
  set state(s: AofState) {
    const was = this.st;
    this.st = s;
    this.server.propagator.refresh();
    // WAITAOF waiters: acknowledged once on, refused once off
    if (was !== s && s !== 'wait-rewrite') this.server.repl.primary.serveWaits();
  }
  /** PropagationSink: effects are fed while appendonly is on (or waits for its first rewrite). */
  get accepting(): boolean {
    return this.st !== 'off';
  }
  /** PropagationSink: encoded effects not yet written. */
  get pending(): boolean {
    return this.buf.length !== 0;
  }
  /** The files of the AOF (read at start, replaced by every rewrite and by DEBUG LOADAOF). */
  manifest = new AofManifest();
  private manifestLoaded = false;
  /** Encoded commands waiting for the next write (beforeSleep, through Propagator.flush). */
  buf = '';
  /** The database the file's last SELECT chose (-1: none yet in this file). */
  private selected = -1;
  private fd = -1;
  /** The last `#TS:` annotation's second (aof-timestamp-enabled). */
  private curTimestamp = 0;
  /**
   * master_repl_offset as of the last write to the file, and as of the
   * last fsync that covered it (Redis's fsynced_reploff, which WAITAOF
   * compares with a client's write offset; read through fsyncedReplOffset).
   */
  private writtenReplOffset = 0;
  private syncedReplOffset = 0;
  /** Bytes written since the last fsync (everysec). */
  private unsynced = false;
  private syncing = false;
  /** When writes started waiting for the background fsync (0: not waiting). */
  private postponedSince = 0;
  private timer: NodeJS.Timeout | null = null;
  /** aof_current_size: the base and incr files as loaded or rewritten, plus what was written since. */
  currentSize = 0;
  /** aof_base_size: the size after the last rewrite (or the base's, after a load): the auto-rewrite reference. */
  rewriteBaseSize = 0;
  /** Bytes in the incr file being written. */
  private lastIncrSize = 0;
  lastWriteStatus: 'ok' | 'err' = 'ok';
  lastWriteError = '';
  delayedFsync = 0;
  /** How long the last fdatasync in the loop took (appendfsync always; Server.flush's group commit). */
  lastSyncMs = 0;
  /** The background rewrite running (null: none). */
  private job: RewriteJob | null = null;
  /** A rewrite waits for the snapshot machinery (a BGSAVE), a transaction's end, or a retry. */
  rewriteScheduled = false;
  /** Rewrites started (aof_rewrites). */
  rewrites = 0;
  consecutiveFailures = 0;
  lastRewriteStatus: 'ok' | 'err' = 'ok';
  /** How long the last rewrite took (s), -1 before the first. */
  lastRewriteTimeSec = -1;
  /** Automatic rewrites wait after repeated failures (aof-limit.ts). */
  private readonly limiter = new RewriteLimiter();

  constructor(readonly server: Server) {}

  /**
   * Subsystem: CONFIG SET appendonly turns the AOF on or off once the
   * dataset was loaded at start (Redis's updateAppendonly; inside MULTI the
   * rewrite waits for the transaction's end), failing when it cannot start;
   * aof-disable-auto-gc no removes the history files kept meanwhile.
   */
  configChanged(name: ParamName | null): string | null {
    const server = this.server;
    if (name === null || !server.persistenceStarted) return null;
    if (name === 'appendonly') {
      const on = !!server.config.v['appendonly'];
      if (!on && this.state !== 'off') this.stop();
      else if (on && this.state === 'off' && !this.start(server.current?.inExec ?? false)) return Err.applyAof;
    } else if (name === 'aof-disable-auto-gc' && !server.config.v['aof-disable-auto-gc']) this.delHistoryFiles();
    return null;
  }

  /** Whether a background rewrite runs (aof_rewrite_in_progress). */
  get rewriting(): boolean {
    return this.job !== null;
  }

  /** Seconds the running rewrite has taken (aof_current_rewrite_time_sec), -1 when none runs. */
  get currentRewriteTimeSec(): number {
    return this.job === null ? -1 : this.unixtime() - this.job.start;
  }

  /** The server's `dir`: where a pre-7.0 AOF is and where rewrites write their temp files. */
  get serverDir(): string {
    return path.resolve(this.server.config.v['dir']);
  }
  /** `appenddirname`. */
  get dirname(): string {
    return this.server.config.v['appenddirname'];
  }
  /** `dir`/`appenddirname`. */
  get dir(): string {
    return path.resolve(this.serverDir, this.dirname);
  }
  /** `appendfilename`: the base of every file name. */
  get filename(): string {
    return this.server.config.v['appendfilename'];
  }
  get fsyncPolicy(): FsyncPolicy {
    return this.server.config.v['appendfsync'];
  }
  /** aof-use-rdb-preamble: a base holds an RDB image rather than commands. */
  private get preamble(): boolean {
    return this.server.config.v['aof-use-rdb-preamble'];
  }
  private unixtime(): number {
    return Math.floor(this.server.now() / 1000);
  }
  /** Whether the server's only background job slot (Redis: a child process) is taken, by a BGSAVE or a rewrite. */
  private childActive(): boolean {
    return persist(this.server).bgsave !== null;
  }

  // -------------------------------------------------------------------------
  // The manifest

  /**
   * Reads the manifest from disk (Redis's aofLoadManifestFromDisk): an
   * empty one when the directory or the file is missing. A manifest that
   * cannot be read logs Redis's fatal block and throws AofLoadError.
   * Called at start, by DEBUG LOADAOF, and before anything uses it.
   */
  loadManifest(): void {
    this.manifestLoaded = true;
    this.manifest = new AofManifest();
    const file = path.join(this.dir, manifestName(this.filename));
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      this.server.log.warning(`Fatal error: can't open the AOF manifest file ${file} for reading: ${strerror(e)}`);
      throw new AofLoadError(`can't open the AOF manifest file ${file}: ${strerror(e)}`);
    }
    try {
      this.manifest = parseManifest(text);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      for (const l of e.lines()) this.server.log.warning(l);
      throw new AofLoadError(`${e.message}: ${file}`);
    }
  }

  /** The manifest, read from disk the first time it is needed. */
  ensureManifest(): AofManifest {
    if (!this.manifestLoaded) this.loadManifest();
    return this.manifest;
  }

  /** ensureManifest() for run-time callers: false (logged) when the manifest cannot be read. */
  private manifestReadable(): boolean {
    try {
      this.ensureManifest();
      return true;
    } catch (e) {
      if (e instanceof AofLoadError) return false;
      throw e;
    }
  }

  /** Writes the manifest when it changed; logs Redis's text and returns false when it cannot. */
  writeManifest(m: AofManifest): boolean {
    try {
      persistManifest(m, this.dir, this.filename);
      return true;
    } catch (e) {
      this.server.log.warning((e as Error).message);
      return false;
    }
  }

  /**
   * Deletes the history files (bases and incr files a rewrite replaced)
   * unless aof-disable-auto-gc is yes, and writes the manifest without them
   * (Redis's aofDelHistoryFiles). At start, after a rewrite, by DEBUG
   * LOADAOF and when aof-disable-auto-gc is set back to no.
   */
  delHistoryFiles(): void {
    if (this.server.config.v['aof-disable-auto-gc'] || this.manifest.history.length === 0) return;
    for (const f of this.manifest.history) {
      this.server.log.notice(`Removing the history file ${f.name} in the background`);
      bgUnlink(path.join(this.dir, f.name));
    }
    this.manifest.history = [];
    this.manifest.dirty = true;
    this.writeManifest(this.manifest);
  }

  /**
   * At start with appendonly yes, after the load (Redis's
   * aofOpenIfNeededOnServerStart): a base is written when the manifest
   * names no file (normally an empty dataset), the last incr file is
   * opened for appending (a new one when there is none), and the manifest
   * is written. Throws on I/O errors (the start fails).
   */
  openOnStart(): void {
    this.state = 'on';
    const m = this.ensureManifest();
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      this.server.log.warning(`Can't open or create append-only dir ${this.dir}: ${strerror(e)}`);
      throw new AofLoadError(`can't create ${this.dir}: ${strerror(e)}`);
    }
    if (m.empty) {
      const base = m.newBase(this.filename, this.preamble);
      this.rewriteSync(path.join(this.dir, base));
      this.server.log.notice(`Creating AOF base file ${base} on server start`);
    }
    const hadIncr = m.incr.length !== 0;
    const name = m.lastIncr(this.filename);
    try {
      this.fd = fs.openSync(path.join(this.dir, name), 'a', 0o644);
    } catch (e) {
      this.server.log.warning(`Can't open the append-only file ${name}: ${strerror(e)}`);
      throw new AofLoadError(`can't open ${name}: ${strerror(e)}`);
    }
    if (!this.writeManifest(m)) throw new AofLoadError('the AOF manifest could not be written');
    this.lastIncrSize = fs.fstatSync(this.fd).size;
    this.selected = -1;
    this.server.log.notice(`${hadIncr ? 'Opening' : 'Creating'} AOF incr file ${name} on server start`);
    this.startTimer();
  }

  /**
   * Writes the dataset to `target` at once (Redis's rewriteAppendOnlyFile,
   * in the main process): the base made at start when there is none. The
   * temp file is `dir`/temp-rewriteaof-<pid>.aof, renamed when synced.
   */
  private rewriteSync(target: string): void {
    const tmp = path.join(this.serverDir, `temp-rewriteaof-${process.pid}.aof`);
    let fd = -1;
    try {
      fd = fs.openSync(tmp, 'w');
      if (this.preamble) {
        for (const chunk of rdbImage(this.server, { aofBase: true })) writeFully(fd, chunk);
      } else {
        const ts = this.server.config.v['aof-timestamp-enabled'] ? Math.floor(Date.now() / 1000) : null;
        writeDatasetAsCommands(fd, this.server.dbs, libraryCodes(this.server), ts);
      }
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = -1;
      fs.renameSync(tmp, target);
    } catch (e) {
      if (fd >= 0) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      this.server.log.warning(`Write error writing append only file on disk: ${strerror(e)}`);
      throw new AofLoadError(`can't write the AOF base ${path.basename(target)}: ${strerror(e)}`);
    }
  }

  // -------------------------------------------------------------------------
  // Appending

  /** Appends one operation; a SELECT first when it runs in another database (db -1: none). */
  feed(db: number, argv: readonly string[]): void {
    let s = '';
    if (this.server.config.v['aof-timestamp-enabled']) {
      const now = this.unixtime();
      if (this.curTimestamp < now) {
        this.curTimestamp = now;
        s = tsAnnotation(now);
      }
    }
    if (db >= 0 && db !== this.selected) {
      s += '*2\r\n$6\r\nSELECT\r\n$' + String(db).length + '\r\n' + db + '\r\n';
      this.selected = db;
    }
    // waiting for the first rewrite with none running yet: the rewrite will hold it
    if (this.state === 'wait-rewrite' && this.job === null) return;
    this.buf += s + encodeCommand(argv);
  }

  /**
   * Writes the buffer (before replies go out). With `always`, fsyncs before
   * returning. A failed write keeps the data buffered and marks the status;
   * the dispatcher then refuses writes (MISCONF) until a write succeeds.
   */
  flush(force = false): void {
    if (this.fd < 0) return;
    if (this.buf.length === 0) return this.settle();
    // DEBUG AOF-FLUSH-SLEEP (Redis's tests widen race windows with it)
    const sleepUs = this.server.debugFlags.aofFlushSleepUs;
    sleepSync(sleepUs);
    // everysec: while the background fdatasync runs, a write(2) to the same
    // file would block the event loop on the inode lock; wait for it (up to
    // 2 s, as Redis postpones), then write anyway and count a delayed fsync.
    if (this.syncing && !force && this.fsyncPolicy === 'everysec') {
      const now = Date.now();
      if (this.postponedSince === 0) {
        this.postponedSince = now;
        return;
      }
      if (now - this.postponedSince < 2000) return;
      this.delayedFsync++;
      this.server.log.notice(
        'Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.',
      );
    }
    this.postponedSince = 0;
    const data = this.buf;
    try {
      const n = writeAll(this.fd, data);
      this.buf = '';
      this.currentSize += n;
      this.lastIncrSize += n;
      this.writtenReplOffset = this.server.repl.offset;
      if (this.fsyncPolicy === 'always') {
        const t0 = performance.now();
        fs.fdatasyncSync(this.fd);
        this.lastSyncMs = performance.now() - t0;
        this.synced(this.writtenReplOffset);
      } else this.unsynced = true;
      if (this.lastWriteStatus !== 'ok') this.server.log.notice('AOF write error looks solved, Redis can write again.');
      this.lastWriteStatus = 'ok';
    } catch (e) {
      if (this.lastWriteStatus === 'ok') this.server.log.warning(`Error writing to the AOF file: ${strerror(e)}`);
      this.lastWriteStatus = 'err';
      this.lastWriteError = strerror(e);
      if (this.fsyncPolicy === 'always') {
        // Redis exits: it can no longer promise durability for acknowledged writes.
        this.server.log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
        // the writes in the buffer were never acknowledged: they go with the server
        this.buf = '';
        this.server.fatal(`Error writing to the AOF file: ${this.lastWriteError}`);
      }
    }
  }

  /**
   * The largest replication offset known to be on disk (Redis's
   * fsynced_reploff): -1 while AOF is off, 0 until the first rewrite of an
   * AOF turned on at run time is done. WAITAOF's local acknowledgement.
   */
  get fsyncedReplOffset(): number {
    if (this.st === 'off') return -1;
    return this.st === 'wait-rewrite' ? 0 : this.syncedReplOffset;
  }

  /**
   * Nothing to write (Redis's flushAppendOnlyFile with an empty buffer):
   * under `always`, a write an `everysec` left unsynced (the policy was
   * changed since) is fsynced now; once everything written is on disk, the
   * synced offset follows the replication offset, which moves on without
   * AOF writes too (a primary's PINGs and PUBLISHes on a replica).
   */
  private settle(): void {
    if (this.syncing) return;
    if (this.unsynced) {
      if (this.fsyncPolicy !== 'always') return;
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        this.server.log.warning(`Fail to fsync the AOF file: ${strerror(e)}.`);
        return;
      }
      this.unsynced = false;
    }
    this.synced(this.server.repl.offset);
  }

  /** An fsync covered the stream up to `offset`: WAITAOF waiters may be served. */
  private synced(offset: number): void {
    if (offset <= this.syncedReplOffset) return;
    this.syncedReplOffset = offset;
    this.server.repl.primary.serveWaits();
  }

  /** everysec: an fsync in the thread pool when something was written since the last one. */
  private tick = (): void => {
    this.flush();
    if (!this.unsynced || this.syncing || this.fd < 0 || this.fsyncPolicy !== 'everysec') return;
    this.unsynced = false;
    this.syncing = true;
    const fd = this.fd;
    const covered = this.writtenReplOffset;
    fs.fdatasync(fd, (err) => {
      this.syncing = false;
      if (err === null) this.synced(covered);
      // writes postponed while it ran go out now
      if (this.buf.length !== 0) this.flush();
    });
  };

  private startTimer(): void {
    if (this.timer === null) {
      this.timer = setInterval(this.tick, 1000);
      this.timer.unref();
    }
  }

  /** Writes what is buffered and fsyncs the file (SHUTDOWN, before a final save). */
  sync(): void {
    this.flush(true);
    if (this.fd < 0) return;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      this.server.log.warning(`Fail to fsync the AOF file: ${strerror(e)}.`);
    }
  }

  /** fsync and close a replaced file off the event loop (Redis's aof_background_fsync_and_close). */
  private closeInBackground(fd: number): void {
    fs.fsync(fd, () => fs.close(fd, () => {}));
  }

  // -------------------------------------------------------------------------
  // Turning it on and off (CONFIG SET appendonly)

  /**
   * appendonly yes at run time (Redis's startAppendOnly): wait-rewrite, and
   * a rewrite now, or scheduled when a BGSAVE holds the background slot or
   * a transaction is running (the cron starts it). Writes go to a temp incr
   * file until the rewrite made the first base. Returns false (logged) when
   * the rewrite cannot start; the state is then off again.
   */
  start(inExec: boolean): boolean {
    if (!this.manifestReadable()) return false;
    this.state = 'wait-rewrite';
    if (this.childActive() && this.job === null) {
      this.rewriteScheduled = true;
      this.server.log.notice(
        'AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.',
      );
    } else if (inExec) {
      this.rewriteScheduled = true;
      this.server.log.notice(
        'AOF was enabled during a transaction. An AOF background was scheduled to start when possible.',
      );
    } else {
      // a rewrite of the AOF-off kind does not take the writes: start another one
      if (this.job !== null) {
        this.server.log.notice(
          'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.',
        );
        this.kill();
      }
      if (!this.rewriteBackground()) {
        this.state = 'off';
        this.server.log.warning(
          "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
        );
        return false;
      }
    }
    if (this.lastWriteStatus === 'err') {
      this.server.log.warning('AOF reopen, just ignore the last error.');
      this.lastWriteStatus = 'ok';
    }
    this.startTimer();
    return true;
  }

  /**
   * appendonly no at run time, and server close (Redis's stopAppendOnly):
   * writes and fsyncs what is buffered, closes the file, stops a running
   * rewrite. The files stay (a later start or BGREWRITEAOF continues them).
   */
  stop(): void {
    if (this.state === 'off') return;
    this.flush(true);
    if (this.fd >= 0) {
      try {
        fs.fsyncSync(this.fd);
      } catch (e) {
        this.server.log.warning(`Fail to fsync the AOF file: ${strerror(e)}`);
      }
      fs.closeSync(this.fd);
    }
    this.fd = -1;
    this.selected = -1;
    this.state = 'off';
    this.rewriteScheduled = false;
    this.lastIncrSize = 0;
    this.kill();
    this.buf = '';
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Server close: stop(), and a rewrite of the AOF-off kind is stopped too (its temp files removed). */
  close(): void {
    this.stop();
    if (this.job !== null) this.kill();
  }

  // -------------------------------------------------------------------------
  // Rewriting

  /**
   * Starts a background rewrite (Redis's rewriteAppendOnlyFileBackground):
   * a new incr file takes the writes from now on (in the manifest at once
   * when AOF is on; the temp incr file in wait-rewrite; none when AOF is
   * off), then the dataset as it is now is written in the background.
   * Returns false when it cannot start (the background slot is taken, or
   * an I/O error, logged).
   */
  rewriteBackground(): boolean {
    if (this.childActive() || !this.manifestReadable()) return false;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      this.server.log.warning(`Can't open or create append-only dir ${this.dir}: ${strerror(e)}`);
      this.lastRewriteStatus = 'err';
      return false;
    }
    this.selected = -1;
    this.flush(true);
    // the first rewrite of an AOF turned on: what the stream holds now is on disk once it is done
    if (this.state === 'wait-rewrite') this.syncedReplOffset = this.server.repl.offset;
    if (!this.openNewIncr()) {
      this.lastRewriteStatus = 'err';
      return false;
    }
    this.rewrites++;
    const rdb = this.preamble;
    const pid = process.pid;
    const target = path.join(this.serverDir, `temp-rewriteaof-bg-${pid}.aof`);
    const ts = !rdb && this.server.config.v['aof-timestamp-enabled'] ? Math.floor(Date.now() / 1000) : null;
    let bgsave: Bgsave;
    try {
      bgsave = new Bgsave(this.server, target, {
        aofBase: true,
        format: rdb ? undefined : commandsFormat(this.server, ts),
        tmp: path.join(this.serverDir, `temp-rewriteaof-${pid}.aof`),
        onDone: (end, err) => this.rewriteDone(end, err),
      });
    } catch (e) {
      this.lastRewriteStatus = 'err';
      this.server.log.warning(`Can't rewrite append only file in background: ${strerror(e)}`);
      return false;
    }
    const st = persist(this.server);
    st.bgsave = bgsave;
    st.forks++;
    this.job = { bgsave, start: this.unixtime(), rdb };
    this.server.log.notice(`Background append only file rewriting started by pid ${pid}`);
    this.rewriteScheduled = false;
    return true;
  }

  /**
   * The file that takes the writes during a rewrite (Redis's
   * openNewIncrAofForAppend): nothing with AOF off; the temp incr file in
   * wait-rewrite; else a new incr file, in the manifest (written) before it
   * is used. The replaced file is fsynced and closed off the event loop.
   */
  private openNewIncr(): boolean {
    if (this.state === 'off') return true;
    let temp: AofManifest | null = null;
    let name: string;
    if (this.state === 'wait-rewrite') name = tempIncrName(this.filename);
    else {
      temp = this.manifest.clone();
      name = temp.newIncr(this.filename);
    }
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dir, name), 'w', 0o644);
    } catch (e) {
      this.server.log.warning(`Can't open the append-only file ${name}: ${strerror(e)}`);
      return false;
    }
    if (temp !== null && !this.writeManifest(temp)) {
      fs.closeSync(fd);
      return false;
    }
    this.server.log.notice(`Creating AOF incr file ${name} on background rewrite`);
    if (this.fd >= 0) this.closeInBackground(this.fd);
    this.fd = fd;
    this.lastIncrSize = 0;
    if (temp !== null) this.manifest = temp;
    return true;
  }

  /**
   * The rewrite ended (Redis's backgroundRewriteDoneHandler). On success:
   * the temp file becomes the new base (the old one history), in
   * wait-rewrite the temp incr file becomes the first incr file, the incr
   * files the base covers become history, the manifest is written, history
   * is deleted (unless aof-disable-auto-gc), and wait-rewrite becomes on.
   * On failure the manifest is left as it is (no write is lost) and the
   * failure counted; in wait-rewrite the temp incr file is removed and the
   * rewrite retried. A rewrite stopped by kill() only removes its files.
   */
  private rewriteDone(end: SnapshotEnd, err?: Error): void {
    const job = this.job;
    this.job = null;
    if (job === null) return;
    const log = this.server.log;
    const pid = process.pid;
    const tmpfile = `temp-rewriteaof-bg-${pid}.aof`;
    if (end === 'aborted') {
      this.removeTempFiles();
      return;
    }
    if (end === 'ok') {
      // (Redis's child says the first line, its parent the second)
      log.notice(`Successfully created the temporary AOF base file ${tmpfile}`);
      log.notice('Background AOF rewrite terminated with success');
      const temp = this.manifest.clone();
      const baseName = temp.newBase(this.filename, job.rdb);
      const basePath = path.join(this.dir, baseName);
      let incrPath: string | null = null;
      let ok = false;
      try {
        fs.renameSync(path.join(this.serverDir, tmpfile), basePath);
        ok = true;
      } catch (e) {
        // (paths as Redis prints them: relative to `dir`, its working directory)
        log.warning(
          `Error trying to rename the temporary AOF base file ${tmpfile} into ${path.join(this.dirname, baseName)}: ${strerror(e)}`,
        );
      }
      if (ok) {
        log.notice(`Successfully renamed the temporary AOF base file ${tmpfile} into ${baseName}`);
        if (this.state === 'wait-rewrite') {
          const tempIncr = tempIncrName(this.filename);
          const incrName = temp.newIncr(this.filename);
          incrPath = path.join(this.dir, incrName);
          try {
            fs.renameSync(path.join(this.dir, tempIncr), incrPath);
            log.notice(`Successfully renamed the temporary AOF incr file ${tempIncr} into ${incrName}`);
          } catch (e) {
            log.warning(
              `Error trying to rename the temporary AOF incr file ${path.join(this.dirname, tempIncr)} into ${path.join(this.dirname, incrName)}: ${strerror(e)}`,
            );
            fs.unlink(basePath, () => {});
            ok = false;
          }
        }
      }
      if (ok) {
        temp.markRewrittenIncrAsHistory(this.fd >= 0);
        if (!this.writeManifest(temp)) {
          fs.unlink(basePath, () => {});
          if (incrPath !== null) fs.unlink(incrPath, () => {});
          ok = false;
        }
      }
      if (ok) {
        this.manifest = temp;
        if (this.state !== 'off') {
          this.currentSize = fileSize(basePath) + this.lastIncrSize;
          this.rewriteBaseSize = this.currentSize;
        }
        this.delHistoryFiles();
        this.lastRewriteStatus = 'ok';
        this.consecutiveFailures = 0;
        log.notice('Background AOF rewrite finished successfully');
        if (this.state === 'wait-rewrite') this.state = 'on';
      } else {
        this.lastRewriteStatus = 'err';
        this.consecutiveFailures++;
      }
    } else {
      if (err !== undefined) log.warning(`Write error writing append only file on disk: ${strerror(err)}`);
      this.lastRewriteStatus = 'err';
      this.consecutiveFailures++;
      log.warning('Background AOF rewrite terminated with error');
    }
    this.removeTempFiles();
    if (this.state === 'wait-rewrite') {
      // the writes kept for this rewrite are useless now: the next one starts from the dataset again
      this.buf = '';
      const tempIncr = tempIncrName(this.filename);
      log.notice(`Removing the temp incr aof file ${tempIncr} in the background`);
      fs.unlink(path.join(this.dir, tempIncr), () => {});
    }
    this.lastRewriteTimeSec = this.unixtime() - job.start;
    if (this.state === 'wait-rewrite') this.rewriteScheduled = true;
  }

  /** Removes a rewrite's temp files (Redis's aofRemoveTempFile). */
  private removeTempFiles(): void {
    for (const f of [`temp-rewriteaof-bg-${process.pid}.aof`, `temp-rewriteaof-${process.pid}.aof`]) {
      fs.unlink(path.join(this.serverDir, f), () => {});
    }
  }

  /**
   * Stops a running rewrite (Redis's killAppendOnlyChild: CONFIG SET
   * appendonly no, turning AOF on during an AOF-off rewrite, SHUTDOWN). Its
   * temp files are removed; nothing is counted as a failure.
   */
  kill(): void {
    const job = this.job;
    if (job === null) return;
    this.server.log.notice(`Killing running AOF rewrite child: ${process.pid}`);
    job.bgsave.abort();
    // (abort() calls rewriteDone('aborted'), which clears the job)
    this.job = null;
  }

  /** Whether an automatic rewrite must wait after repeated failures (RewriteLimiter). */
  private limited(): boolean {
    return this.limiter.limited(this.consecutiveFailures, this.unixtime(), (line) => this.server.log.warning(line));
  }

  /**
   * serverCron's part: a scheduled rewrite starts once the background slot
   * is free; with AOF on, an automatic one when the files grew past
   * auto-aof-rewrite-percentage of the last rewrite's size (and above
   * auto-aof-rewrite-min-size).
   */
  cron(): void {
    if (this.server.loading) return;
    if (!this.childActive() && this.rewriteScheduled && !this.limited()) this.rewriteBackground();
    if (this.childActive() || this.state !== 'on') return;
    const v = this.server.config.v;
    const pct = v['auto-aof-rewrite-percentage'];
    if (!(pct > 0) || !(this.currentSize > v['auto-aof-rewrite-min-size'])) return;
    const base = this.rewriteBaseSize !== 0 ? this.rewriteBaseSize : 1;
    const growth = Math.floor((this.currentSize * 100) / base) - 100;
    if (growth >= pct && !this.limited()) {
      this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
      this.rewriteBackground();
    }
  }
}

/** A file's size, 0 when it cannot be read. */
function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

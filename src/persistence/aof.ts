/**
 * The append-only file, in Redis 7's multi-part layout and with Redis's
 * state machine (aof.c): a directory (`appenddirname`) holding a base file
 * (the dataset when it was last rewritten), incremental files with every
 * write since, and a manifest naming them (persistence/aof-manifest.ts).
 *
 * Writes reach the AOF as the dispatcher propagates them (Server.propagate):
 * already rewritten to replay deterministically, with SELECT when the
 * database changes (and `#TS:<unix time>` once a second with
 * aof-timestamp-enabled). They are buffered while the event loop turn runs
 * and written by Server.flush() *before* any reply of the turn goes out, so
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
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import { isString, strOf, type Value } from '../keyspace/value.js';
import { formatDouble } from '../util/numbers.js';
import { streamRebuildCommands, type Stream } from '../types/stream.js';
import type { HashValue } from '../types/hash.js';
import { rdbImage, loadRdbBuffer, persist, Bgsave, RdbLoadError, type SnapshotFormat, type SnapshotEnd } from './snapshot.js';
import type { RdbWriter } from './rdb.js';
import { strerror } from '../config/file.js';
import { libraryCodes } from '../scripting/functions.js';
import { AofManifest, ManifestError, parseManifest, persistManifest, manifestName, tempIncrName, fsyncDir } from './aof-manifest.js';

export { parseManifest, AofManifest, ManifestError } from './aof-manifest.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** Redis's aof_state: off, on, or on but waiting for the first rewrite to write a base. */
export type AofState = 'off' | 'on' | 'wait-rewrite';

/**
 * The AOF cannot be loaded: the start is refused. Redis's lines saying why
 * were logged already (the CLI exits without logging it again); the message
 * is the reason, for embedders.
 */
export class AofLoadError extends Error {}

/**
 * Replays an AOF's commands into the keyspace: the server's loader, a client
 * that must be obeyed (no gate refuses it; see Client.mustObey).
 */
export interface AofReplayer {
  /** Runs one command; returns null, or the error it replied (UNKNOWN_COMMAND when there is no such command). */
  run(argv: string[]): string | null;
  /** Inside a MULTI that no EXEC has closed yet. */
  inMulti(): boolean;
  /** Drops a transaction left open at the end of a file. */
  discard(): void;
}

/** What AofReplayer.run returns for a command that does not exist. */
export const UNKNOWN_COMMAND = 'unknown command';

/** How a load ended (Redis's AOF_OK, AOF_TRUNCATED, AOF_EMPTY, AOF_NOT_EXIST); failures throw AofLoadError. */
export type AofLoadStatus = 'ok' | 'truncated' | 'empty' | 'not-exist';

/** A RESP multibulk command as a latin1 string. */
export function encodeCommand(argv: readonly string[]): string {
  let s = '*' + argv.length + '\r\n';
  for (const a of argv) s += '$' + a.length + '\r\n' + a + '\r\n';
  return s;
}

// ---------------------------------------------------------------------------
// Reading

/** The outcome of reading an AOF file's commands. */
export interface AofRead {
  /** Complete commands. */
  commands: string[][];
  /** The file offset where each command starts. */
  offsets: number[];
  /** Offset just after the last complete command. */
  end: number;
  /** Set when the file ends inside a command (a torn write). */
  truncated: boolean;
  /** Set when the bytes at `end` are not a command: a corrupt file. */
  bad: boolean;
}

/**
 * Strict reader of an AOF's commands: only multibulk `*N` of `$len` bulks,
 * as writers produce (Redis's loader accepts nothing else either). An `#`
 * annotation line (aof-timestamp-enabled) is skipped.
 */
export function readCommands(buf: Buffer, from = 0): AofRead {
  const commands: string[][] = [];
  const offsets: number[] = [];
  let pos = from;
  const len = buf.length;
  const line = (at: number): [number, number] | null => {
    const cr = buf.indexOf(13, at);
    if (cr < 0 || cr + 1 >= len) return null;
    if (buf[cr + 1] !== 10) return [NaN, cr];
    const t = buf.latin1Slice(at + 1, cr);
    const n = /^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : NaN;
    return [n, cr + 2];
  };
  for (;;) {
    if (pos >= len) return { commands, offsets, end: pos, truncated: false, bad: false };
    const start = pos;
    const c0 = buf[pos];
    if (c0 === 35 /* # */) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) return { commands, offsets, end: start, truncated: true, bad: false };
      pos = nl + 1;
      continue;
    }
    if (c0 !== 42 /* * */) return { commands, offsets, end: start, truncated: false, bad: true };
    const h = line(pos);
    if (h === null) return { commands, offsets, end: start, truncated: true, bad: false };
    if (!(h[0] >= 1)) return { commands, offsets, end: start, truncated: false, bad: true };
    pos = h[1];
    const argv: string[] = [];
    for (let i = 0; i < h[0]; i++) {
      if (pos >= len) return { commands, offsets, end: start, truncated: true, bad: false };
      if (buf[pos] !== 36 /* $ */) return { commands, offsets, end: start, truncated: false, bad: true };
      const b = line(pos);
      if (b === null) return { commands, offsets, end: start, truncated: true, bad: false };
      if (!(b[0] >= 0)) return { commands, offsets, end: start, truncated: false, bad: true };
      const s = b[1];
      if (s + b[0] + 2 > len) return { commands, offsets, end: start, truncated: true, bad: false };
      if (buf[s + b[0]] !== 13 || buf[s + b[0] + 1] !== 10) return { commands, offsets, end: start, truncated: false, bad: true };
      argv.push(buf.latin1Slice(s, s + b[0]));
      pos = s + b[0] + 2;
    }
    commands.push(argv);
    offsets.push(start);
  }
}

/** The offset of the last `*1\r\n$5\r\nMULTI\r\n` before `end` (where an unfinished transaction starts). */
function lastMultiOffset(buf: Buffer, end: number): number {
  const needle = Buffer.from('*1\r\n$5\r\nMULTI\r\n', 'latin1');
  const lower = Buffer.from('*1\r\n$5\r\nmulti\r\n', 'latin1');
  const a = buf.lastIndexOf(needle, end - needle.length);
  const b = buf.lastIndexOf(lower, end - lower.length);
  return Math.max(0, Math.max(a, b));
}

// ---------------------------------------------------------------------------
// The dataset as commands (a base file in AOF format)

/** Commands that rebuild one key (its value, then its TTL). Large collections are split in batches. */
export function keyCommands(key: string, v: Value, expireAt: number | bigint | undefined, out: string[][]): void {
  const BATCH = 64;
  const batched = (cmd: string, items: string[], per: number) => {
    for (let i = 0; i < items.length; i += BATCH * per) out.push([cmd, key, ...items.slice(i, i + BATCH * per)]);
  };
  if (isString(v)) out.push(['SET', key, strOf(v)]);
  else if (v.type === 'list') {
    const v2 = v as unknown as { toArray(): (string | number)[] };
    batched('RPUSH', v2.toArray().map(String), 1);
  } else if (v.type === 'hash') {
    const h = v as HashValue;
    const items: string[] = [];
    h.forEach((f, x) => items.push(f, x));
    batched('HSET', items, 2);
    // Field TTLs (Redis 7.4 writes HMSET + HPEXPIREAT per field): one
    // HPEXPIREAT per distinct time, for up to 64 of its fields.
    if (h.hasFieldTtls()) {
      const byTime = new Map<number, string[]>();
      h.forEachExpire((f, at) => {
        const fs = byTime.get(at);
        if (fs === undefined) byTime.set(at, [f]);
        else fs.push(f);
      });
      for (const [at, fs] of byTime) {
        for (let i = 0; i < fs.length; i += BATCH) {
          const part = fs.slice(i, i + BATCH);
          out.push(['HPEXPIREAT', key, String(at), 'FIELDS', String(part.length), ...part]);
        }
      }
    }
  } else if (v.type === 'set') {
    batched('SADD', [...(v as unknown as { members(): Iterable<string> }).members()], 1);
  } else if (v.type === 'zset') {
    const items: string[] = [];
    for (const [m, s] of (v as unknown as { entries(): Iterable<[string, number]> }).entries()) items.push(formatDouble(s), m);
    batched('ZADD', items, 2);
  } else if (v.type === 'stream') {
    out.push(...streamRebuildCommands(key, v as Stream));
  } else {
    throw new Error(`cannot write a value of type ${(v as { type: string }).type} to the AOF`);
  }
  if (expireAt !== undefined) out.push(['PEXPIREAT', key, String(expireAt)]);
}

/** A `#TS:<unix seconds>` annotation line (aof-timestamp-enabled). */
function tsAnnotation(sec: number): string {
  return `#TS:${sec}\r\n`;
}

/**
 * Writes the dataset as commands to fd: a timestamp annotation (when
 * given), the function libraries (FUNCTION LOAD, as Redis's rewrite does
 * first), then every database's keys. Returns bytes written.
 */
export function writeDatasetAsCommands(fd: number, dbs: readonly Db[], libraries: readonly string[] = [], timestamp: number | null = null): number {
  let bytes = 0;
  let chunk = timestamp === null ? '' : tsAnnotation(timestamp);
  const put = (s: string) => {
    chunk += s;
    if (chunk.length >= 1 << 20) {
      bytes += writeAll(fd, chunk);
      chunk = '';
    }
  };
  for (const code of libraries) put(encodeCommand(['FUNCTION', 'LOAD', code]));
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    put(encodeCommand(['SELECT', String(db.id)]));
    const keys = db.dict.keys;
    const vals = db.dict.vals;
    const cmds: string[][] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      cmds.length = 0;
      keyCommands(key, vals[i]!, db.expires.get(key), cmds);
      for (const c of cmds) put(encodeCommand(c));
    }
  }
  if (chunk.length > 0) bytes += writeAll(fd, chunk);
  return bytes;
}

/** Appends a latin1 string to a snapshot writer's buffer. */
function putLatin1(w: RdbWriter, s: string): void {
  w.ensure(s.length);
  w.pos += w.buf.latin1Write(s, w.pos);
}

/**
 * The background snapshot's layout for a base without the RDB preamble:
 * the same commands writeDatasetAsCommands writes, key by key.
 */
function commandsFormat(server: Server, timestamp: number | null): SnapshotFormat {
  const cmds: string[][] = [];
  return {
    header: (w) => {
      if (timestamp !== null) putLatin1(w, tsAnnotation(timestamp));
      for (const code of libraryCodes(server)) putLatin1(w, encodeCommand(['FUNCTION', 'LOAD', code]));
    },
    dbHeader: (w, id) => putLatin1(w, encodeCommand(['SELECT', String(id)])),
    keyValue: (w, key, v, at) => {
      cmds.length = 0;
      keyCommands(key, v, at, cmds);
      for (const c of cmds) putLatin1(w, encodeCommand(c));
    },
    valueJob: () => null,
    trailer: () => {},
  };
}

/** Writes a latin1 string completely (writeSync may write less than asked). */
export function writeAll(fd: number, s: string): number {
  const b = Buffer.from(s, 'latin1');
  let off = 0;
  while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
  return b.length;
}

export { fsyncDir };

// ---------------------------------------------------------------------------
// The AOF of a running server

/** Automatic rewrites stop being retried at once after this many failures in a row (Redis's limit). */
const REWRITE_LIMIT_THRESHOLD = 3;
/** The longest wait between limited retries. */
const REWRITE_LIMIT_MAX_MINUTES = 60;

/** The background rewrite in progress: the in-process stand-in for Redis's fork child. */
interface RewriteJob {
  bgsave: Bgsave;
  /** When it started (unix seconds). */
  start: number;
  /** Whether its base holds an RDB image (decided at the start). */
  rdb: boolean;
}

export class Aof {
  /** Redis's aof_state. */
  state: AofState = 'off';
  /** The files of the AOF (read at start, replaced by every rewrite and by DEBUG LOADAOF). */
  manifest = new AofManifest();
  private manifestLoaded = false;
  /** Encoded commands waiting for the next write (Server.flush). */
  buf = '';
  /** The database the file's last SELECT chose (-1: none yet in this file). */
  private selected = -1;
  private fd = -1;
  /** The last `#TS:` annotation's second (aof-timestamp-enabled). */
  private curTimestamp = 0;
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
  /** The retry limiter (Redis's aofRewriteLimited statics): the current delay and when the next try may run. */
  private limitDelayMinutes = 0;
  private limitNextTime = 0;

  constructor(private readonly server: Server) {}

  /** Whether a background rewrite runs (aof_rewrite_in_progress). */
  get rewriting(): boolean {
    return this.job !== null;
  }

  /** Seconds the running rewrite has taken (aof_current_rewrite_time_sec), -1 when none runs. */
  get currentRewriteTimeSec(): number {
    return this.job === null ? -1 : this.unixtime() - this.job.start;
  }

  /** The server's `dir`: where a pre-7.0 AOF is and where rewrites write their temp files. */
  private get serverDir(): string {
    return path.resolve(String(this.server.config.v['dir'] ?? '.'));
  }
  /** `appenddirname`. */
  private get dirname(): string {
    return String(this.server.config.v['appenddirname'] ?? 'appendonlydir');
  }
  /** `dir`/`appenddirname`. */
  get dir(): string {
    return path.resolve(this.serverDir, this.dirname);
  }
  /** `appendfilename`: the base of every file name. */
  get filename(): string {
    return String(this.server.config.v['appendfilename'] ?? 'appendonly.aof');
  }
  get fsyncPolicy(): FsyncPolicy {
    return this.server.config.v['appendfsync'] as FsyncPolicy;
  }
  /** aof-use-rdb-preamble: a base holds an RDB image rather than commands. */
  private get preamble(): boolean {
    return !!this.server.config.v['aof-use-rdb-preamble'];
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
  private ensureManifest(): AofManifest {
    if (!this.manifestLoaded) this.loadManifest();
    return this.manifest;
  }

  /** Writes the manifest when it changed; logs Redis's text and returns false when it cannot. */
  private persist(m: AofManifest): boolean {
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
      fs.unlink(path.join(this.dir, f.name), () => {});
    }
    this.manifest.history = [];
    this.manifest.dirty = true;
    this.persist(this.manifest);
  }

  // -------------------------------------------------------------------------
  // Loading

  /**
   * A pre-7.0 AOF (`dir`/`appendfilename`, one file, maybe with an RDB
   * preamble) becomes the base of a new manifest and moves into the AOF
   * directory (Redis's aofUpgradePrepare). Done when the directory or its
   * manifest is missing, or when an earlier upgrade wrote the manifest but
   * was stopped before the move. Throws AofLoadError (logged).
   */
  private upgradeIfNeeded(): void {
    const old = path.join(this.serverDir, this.filename);
    if (!fs.existsSync(old)) return;
    const m = this.manifest;
    const dirExists = fs.existsSync(this.dir);
    const interrupted = m.base !== null && m.incr.length === 0 && m.base.name === this.filename && !fs.existsSync(path.join(this.dir, this.filename));
    if (dirExists && !m.empty && !interrupted) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      this.server.log.warning(`Can't open or create append-only dir ${this.dir}: ${strerror(e)}`);
      throw new AofLoadError(`can't create ${this.dir}: ${strerror(e)}`);
    }
    m.base = { name: this.filename, seq: 1, type: 'b' };
    m.curBaseSeq = 1;
    m.dirty = true;
    if (!this.persist(m)) throw new AofLoadError('the AOF manifest could not be written');
    try {
      fs.renameSync(old, path.join(this.dir, this.filename));
    } catch (e) {
      this.server.log.warning(`Error trying to move the old AOF file ${this.filename} into dir ${this.dirname}: ${strerror(e)}`);
      throw new AofLoadError(`can't move ${old}: ${strerror(e)}`);
    }
    this.server.log.notice(`Successfully migrated an old-style AOF file (${this.filename}) into the AOF directory (${this.dirname}).`);
  }

  /**
   * Loads the files the manifest names into the (empty) keyspace: the
   * base, then each incremental file (Redis's loadAppendOnlyFiles), with
   * server.loading set (the keyspace does not expire keys meanwhile; clients
   * get -LOADING) and the loading_* INFO fields. A generator that yields
   * every few thousand commands, so a server that already listens can load
   * in slices across event-loop turns; load() runs it at once. Returns how
   * it ended; throws AofLoadError (Redis's lines logged) when it cannot.
   */
  *loadSteps(replayer: AofReplayer): Generator<void, AofLoadStatus, void> {
    this.ensureManifest();
    this.upgradeIfNeeded();
    const m = this.manifest;
    if (m.empty) return 'not-exist';
    const files = m.loadOrder();
    let total = 0;
    const sizes: number[] = [];
    for (const f of files) {
      try {
        const size = fs.statSync(path.join(this.dir, f.name)).size;
        sizes.push(size);
        total += size;
      } catch (e) {
        this.server.log.warning(`Unable to obtain the AOF file ${f.name} length. stat: ${strerror(e)}`);
        throw new AofLoadError(`the AOF file ${f.name} is missing: ${strerror(e)}`);
      }
    }
    if (total === 0) return 'empty';
    const st = persist(this.server);
    const wasLoading = this.server.loading;
    this.server.loading = true;
    st.loading = { start: Math.floor(this.server.clock() / 1000), totalBytes: total, loadedBytes: 0, startMono: performance.now() };
    // what is replayed is in the files already: nothing of it is fed back (Redis sets aof_state off)
    const state = this.state;
    this.state = 'off';
    let status: AofLoadStatus = 'ok';
    try {
      let loaded = 0;
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        const last = i === files.length - 1;
        const t0 = performance.now();
        const r = yield* this.loadFile(f.name, replayer, loaded);
        loaded += sizes[i]!;
        if (r === 'ok' || (r === 'truncated' && last)) {
          this.server.log.notice(`DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
        }
        if (r === 'truncated' && !last) {
          this.server.log.warning('Fatal error: the truncated file is not the last file');
          throw new AofLoadError(`the truncated file ${f.name} is not the last file`);
        }
        // (an empty file among others with data counts as loaded)
        status = r === 'empty' ? 'ok' : r;
      }
      this.currentSize = total;
      this.rewriteBaseSize = m.base !== null ? sizes[0]! : 0;
    } finally {
      this.state = state;
      this.server.loading = wasLoading;
      st.loading = null;
    }
    return status;
  }

  /** Runs loadSteps at once. */
  load(replayer: AofReplayer): AofLoadStatus {
    const steps = this.loadSteps(replayer);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * Replays one file (Redis's loadSingleAppendOnlyFile): an RDB image
   * first when it starts with one (a base, or a pre-7.0 AOF's preamble),
   * then its commands. A torn last command (or a transaction without its
   * EXEC) is cut off when aof-load-truncated is yes ('truncated'); anything
   * else unreadable throws AofLoadError with Redis's lines logged.
   */
  private *loadFile(name: string, replayer: AofReplayer, loadedBefore: number): Generator<void, AofLoadStatus, void> {
    const log = this.server.log;
    const file = path.join(this.dir, name);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        log.warning(`The append log file ${name} doesn't exist: ${strerror(e)}`);
      } else log.warning(`Fatal error: can't open the append log file ${name} for reading: ${strerror(e)}`);
      throw new AofLoadError(`can't open the append log file ${name}: ${strerror(e)}`);
    }
    if (buf.length === 0) return 'empty';
    const st = persist(this.server);
    let from = 0;
    if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
      const oldStyle = name === this.filename;
      log.notice(oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...');
      try {
        // keys whose TTL has passed are loaded too: the AOF's commands decide (Redis's RDBFLAGS_AOF_PREAMBLE)
        from = loadRdbBuffer(this.server, buf, name, true).endOffset;
      } catch (e) {
        if (!(e instanceof RdbLoadError)) throw e;
        log.warning(e.message);
        log.warning(oldStyle ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted` : `Error reading the RDB base file ${name}, AOF loading aborted`);
        throw new AofLoadError(`Error reading the RDB part of ${name}: ${e.message}`);
      }
      if (oldStyle) log.notice('Reading the remaining AOF tail...');
    }
    const r = readCommands(buf, from);
    for (let k = 0; k < r.commands.length; k++) {
      const argv = r.commands[k]!;
      const err = replayer.run(argv);
      if (err === UNKNOWN_COMMAND) {
        // (Redis's line, with where the command starts)
        log.warning(`Unknown command '${argv[0]}' reading the append only file ${name} (offset ${r.offsets[k]})`);
        throw new AofLoadError(`Unknown command '${argv[0]}' reading the append only file ${name} (offset ${r.offsets[k]})`);
      }
      if (err !== null) {
        // (Redis asserts a replayed command has no error reply; tsdis stops with the reason)
        const msg = `Error replaying the append only file ${name}: '${argv[0]}' at offset ${r.offsets[k]} replied -${err}`;
        log.warning(msg);
        throw new AofLoadError(msg);
      }
      if ((k & 15) === 15) {
        if (st.loading) st.loading.loadedBytes = loadedBefore + Math.round((k / r.commands.length) * buf.length);
        yield;
      }
    }
    if (st.loading) st.loading.loadedBytes = loadedBefore + buf.length;
    if (r.bad) {
      const msg = `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest> (offset ${r.end})`;
      log.warning(msg);
      throw new AofLoadError(msg);
    }
    let end = r.end;
    let truncated = r.truncated;
    if (replayer.inMulti()) {
      // A transaction without its EXEC at the end of the file: torn as well.
      log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      truncated = true;
      end = lastMultiOffset(buf, r.end);
      replayer.discard();
    }
    if (!truncated) return 'ok';
    if (this.server.config.v['aof-load-truncated']) {
      log.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
      log.warning(`!!! Truncating the AOF ${name} at offset ${end} !!!`);
      try {
        fs.truncateSync(file, end);
        log.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
        return 'truncated';
      } catch (e) {
        log.warning(`Error truncating the AOF file ${name}: ${strerror(e)}`);
      }
    }
    log.warning(
      `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
    );
    throw new AofLoadError(`Unexpected end of file reading the append only file ${name}`);
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
    if (!this.persist(m)) throw new AofLoadError('the AOF manifest could not be written');
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
        for (const chunk of rdbImage(this.server, { aofBase: true })) {
          let off = 0;
          while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        }
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
    if (this.buf.length === 0 || this.fd < 0) return;
    // DEBUG AOF-FLUSH-SLEEP (Redis's tests widen race windows with it)
    const sleepUs = this.server.debugFlags.aofFlushSleepUs;
    if (sleepUs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sleepUs / 1000);
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
      this.server.log.notice('Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.');
    }
    this.postponedSince = 0;
    const data = this.buf;
    try {
      const n = writeAll(this.fd, data);
      this.buf = '';
      this.currentSize += n;
      this.lastIncrSize += n;
      if (this.fsyncPolicy === 'always') {
        const t0 = performance.now();
        fs.fdatasyncSync(this.fd);
        this.lastSyncMs = performance.now() - t0;
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
        process.exit(1);
      }
    }
  }

  /** everysec: an fsync in the thread pool when something was written since the last one. */
  private tick = (): void => {
    if (this.buf.length !== 0) this.flush();
    if (!this.unsynced || this.syncing || this.fd < 0 || this.fsyncPolicy !== 'everysec') return;
    this.unsynced = false;
    this.syncing = true;
    const fd = this.fd;
    fs.fdatasync(fd, () => {
      this.syncing = false;
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
    this.ensureManifest();
    this.state = 'wait-rewrite';
    if (this.childActive() && this.job === null) {
      this.rewriteScheduled = true;
      this.server.log.notice('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
    } else if (inExec) {
      this.rewriteScheduled = true;
      this.server.log.notice('AOF was enabled during a transaction. An AOF background was scheduled to start when possible.');
    } else {
      // a rewrite of the AOF-off kind does not take the writes: start another one
      if (this.job !== null) {
        this.server.log.notice('AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.');
        this.kill();
      }
      if (!this.rewriteBackground()) {
        this.state = 'off';
        this.server.log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
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

  /** Server close: stop() without touching a rewrite's files beyond removing its temp files. */
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
    if (this.childActive()) return false;
    this.ensureManifest();
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      this.server.log.warning(`Can't open or create append-only dir ${this.dir}: ${strerror(e)}`);
      this.lastRewriteStatus = 'err';
      return false;
    }
    this.selected = -1;
    this.flush(true);
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
    if (temp !== null && !this.persist(temp)) {
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
        log.warning(`Error trying to rename the temporary AOF base file ${tmpfile} into ${basePath}: ${strerror(e)}`);
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
            log.warning(`Error trying to rename the temporary AOF incr file ${path.join(this.dir, tempIncr)} into ${incrPath}: ${strerror(e)}`);
            fs.unlink(basePath, () => {});
            ok = false;
          }
        }
      }
      if (ok) {
        temp.markRewrittenIncrAsHistory(this.fd >= 0);
        if (!this.persist(temp)) {
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

  /**
   * Whether automatic rewrites must wait after repeated failures (Redis's
   * aofRewriteLimited): after 3 failures in a row the next try waits 1
   * minute, then 2, 4 ... 60. BGREWRITEAOF is never limited.
   */
  private limited(): boolean {
    if (this.consecutiveFailures < REWRITE_LIMIT_THRESHOLD) {
      this.limitDelayMinutes = 0;
      this.limitNextTime = 0;
      return false;
    }
    const now = this.unixtime();
    if (this.limitNextTime !== 0) {
      if (now < this.limitNextTime) return true;
      this.limitNextTime = 0;
      return false;
    }
    this.limitDelayMinutes = this.limitDelayMinutes === 0 ? 1 : Math.min(REWRITE_LIMIT_MAX_MINUTES, this.limitDelayMinutes * 2);
    this.limitNextTime = now + this.limitDelayMinutes * 60;
    this.server.log.warning(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.limitDelayMinutes} minutes`);
    return true;
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
    const pct = Number(v['auto-aof-rewrite-percentage']);
    if (!(pct > 0) || !(this.currentSize > Number(v['auto-aof-rewrite-min-size']))) return;
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

/**
 * Waits for a load run in slices: every ~20 ms of work yields to the event
 * loop (clients get -LOADING meanwhile), progress is logged every second.
 * The CLI's start with appendonly yes.
 */
export async function loadInSlices(server: Server, replayer: AofReplayer): Promise<AofLoadStatus> {
  const steps = server.aof.loadSteps(replayer);
  let t = performance.now();
  let lastLog = t;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    const now = performance.now();
    if (now - t >= 20) {
      if (now - lastLog >= 1000) {
        lastLog = now;
        const l = persist(server).loading;
        server.log.notice(`Loading the append only file: ${l?.loadedBytes ?? 0} bytes read`);
      }
      await new Promise((res) => setImmediate(res));
      t = performance.now();
    }
  }
}

/**
 * The append-only file, in Redis 7's multi-part layout: a directory
 * (`appenddirname`) holding a base file (the dataset when it was last
 * rewritten), incremental files with every write since, and a manifest
 * naming them in order:
 *
 *   file appendonly.aof.1.base.aof seq 1 type b
 *   file appendonly.aof.1.incr.aof seq 1 type i
 *
 * Writes reach the AOF as the dispatcher propagates them (Server.propagate):
 * already rewritten to replay deterministically, with SELECT when the
 * database changes. They are buffered while the event loop turn runs and
 * written by Server.flush() *before* any reply of the turn goes out, so with
 * `appendfsync always` a client is only told OK once its write is on disk
 * (write + fdatasync in the loop, as Redis does). `everysec` writes in the
 * loop and fsyncs from libuv's thread pool once a second; `no` leaves it to
 * the OS.
 *
 * A rewrite (BGREWRITEAOF, the auto-rewrite thresholds, turning AOF on at run
 * time) starts a new incremental file first, so every later write goes there,
 * then writes a new base holding the dataset as it was at that moment, and
 * finally switches the manifest to [new base, new incr] with an atomic rename
 * and deletes the old files. Nothing written meanwhile can be lost: it is in
 * the new incremental file either way.
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
import { rdbImage, loadRdbBuffer, persist, Bgsave } from './snapshot.js';
import { strerror } from '../config/file.js';
import { libraryCodes } from '../scripting/functions.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** The AOF cannot be loaded: the start is refused with this message (it names the file). */
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

/**
 * Why a replayed command stops the load: Redis's text for an unknown command,
 * else the command, where it starts in the file, and the error it replied (a
 * command that failed would leave the dataset other than it was written).
 */
function replayFailure(file: string, offset: number, argv: string[], err: string): string {
  if (err === UNKNOWN_COMMAND) return `Unknown command '${argv[0]}' reading the append only file ${file} (offset ${offset})`;
  return `Error replaying the append only file ${file}: '${argv[0]}' at offset ${offset} replied -${err}`;
}

/** One file of the manifest. */
export interface AofFile {
  name: string;
  seq: number;
  /** b: base, i: incremental, h: history (obsolete, to delete). */
  type: 'b' | 'i' | 'h';
}

/** A RESP multibulk command as a latin1 string. */
export function encodeCommand(argv: readonly string[]): string {
  let s = '*' + argv.length + '\r\n';
  for (const a of argv) s += '$' + a.length + '\r\n' + a + '\r\n';
  return s;
}

// ---------------------------------------------------------------------------
// Manifest

export function parseManifest(text: string, file: string): AofFile[] {
  const out: AofFile[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(' ');
    const rec: Record<string, string> = {};
    for (let k = 0; k + 1 < parts.length; k += 2) rec[parts[k]!] = parts[k + 1]!;
    const seq = Number(rec['seq']);
    const type = rec['type'];
    if (!rec['file'] || !Number.isInteger(seq) || (type !== 'b' && type !== 'i' && type !== 'h')) {
      throw new Error(`Invalid AOF manifest file format: ${file} line ${i + 1}`);
    }
    out.push({ name: rec['file'], seq, type });
  }
  if (out.filter((f) => f.type === 'b').length > 1) throw new Error(`Invalid AOF manifest file format: ${file}: more than one base file`);
  return out;
}

export function formatManifest(files: readonly AofFile[]): string {
  return files.map((f) => `file ${f.name} seq ${f.seq} type ${f.type}\n`).join('');
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

/** Writes the function libraries (FUNCTION LOAD) and every database's keys as commands to fd. Returns bytes written. */
export function writeDatasetAsCommands(fd: number, dbs: readonly Db[], libraries: readonly string[] = []): number {
  let bytes = 0;
  let chunk = '';
  const put = (s: string) => {
    chunk += s;
    if (chunk.length >= 1 << 20) {
      bytes += writeAll(fd, chunk);
      chunk = '';
    }
  };
  // the function libraries first, as Redis's rewrite does (FUNCTION LOAD needs no SELECT)
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

/** Writes a latin1 string completely (writeSync may write less than asked). */
export function writeAll(fd: number, s: string): number {
  const b = Buffer.from(s, 'latin1');
  let off = 0;
  while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
  return b.length;
}

/** fsync of a directory, so a rename or a new file in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some platforms cannot open directories: best effort */
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// The AOF of a running server

export class Aof {
  /** Encoded commands waiting for the next write (Server.flush). */
  buf = '';
  /** The database the file's last SELECT chose (-1: none yet in this file). */
  private selected = -1;
  private fd = -1;
  private files: AofFile[] = [];
  private baseSeq = 0;
  private incrSeq = 0;
  /** Bytes written since the last fsync (everysec). */
  private unsynced = false;
  private syncing = false;
  /** When writes started waiting for the background fsync (0: not waiting). */
  private postponedSince = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Size of the current base and of all incremental files (auto rewrite). */
  baseSize = 0;
  incrSize = 0;
  /** Sizes at the last rewrite (aof_base_size in INFO). */
  lastWriteStatus: 'ok' | 'err' = 'ok';
  lastWriteError = '';
  rewrites = 0;
  lastRewriteStatus: 'ok' | 'err' = 'ok';
  lastRewriteMs = -1;
  rewriteScheduled = false;
  delayedFsync = 0;
  /** How long the last fdatasync in the loop took (appendfsync always; Server.flush's group commit). */
  lastSyncMs = 0;

  constructor(private readonly server: Server) {}

  private get dir(): string {
    const v = this.server.config.v;
    return path.resolve(String(v['dir'] ?? '.'), String(v['appenddirname'] ?? 'appendonlydir'));
  }
  private get baseName(): string {
    return String(this.server.config.v['appendfilename'] ?? 'appendonly.aof');
  }
  private get manifestPath(): string {
    return path.join(this.dir, this.baseName + '.manifest');
  }
  get fsyncPolicy(): FsyncPolicy {
    return this.server.config.v['appendfsync'] as FsyncPolicy;
  }

  /** Whether an AOF (a manifest) exists on disk. */
  exists(): boolean {
    return fs.existsSync(this.manifestPath);
  }

  /** Appends one operation; a SELECT first when it runs in another database. */
  feed(db: number, argv: readonly string[]): void {
    if (db >= 0 && db !== this.selected) {
      this.buf += '*2\r\n$6\r\nSELECT\r\n$' + String(db).length + '\r\n' + db + '\r\n';
      this.selected = db;
    }
    this.buf += encodeCommand(argv);
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
      this.incrSize += n;
      if (this.fsyncPolicy === 'always') {
        const t0 = performance.now();
        fs.fdatasyncSync(this.fd);
        this.lastSyncMs = performance.now() - t0;
      } else this.unsynced = true;
      if (this.lastWriteStatus !== 'ok') this.server.log.warning('AOF write error looks solved, Redis can write again.');
      this.lastWriteStatus = 'ok';
    } catch (e) {
      if (this.lastWriteStatus === 'ok') this.server.log.warning(`Error writing to the AOF file: ${(e as Error).message}`);
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

  /** Opens (or creates) the AOF at server start, after loadOnStart(). */
  open(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (!this.exists()) {
      // A fresh AOF: the base holds the dataset as it is now (normally empty).
      this.baseSeq = 0;
      this.incrSeq = 0;
      this.files = [];
      this.server.log.notice(`Creating AOF base file ${this.fileName('b', 1, this.baseExt)} on server start`);
      this.rewriteSync(true);
      return;
    }
    this.readManifest();
    const incr = this.files.filter((f) => f.type === 'i');
    if (incr.length === 0) {
      this.incrSeq++;
      const name = this.fileName('i', this.incrSeq);
      this.server.log.notice(`Creating AOF incr file ${name} on server start`);
      this.files.push({ name, seq: this.incrSeq, type: 'i' });
      this.fd = fs.openSync(path.join(this.dir, name), 'a');
      this.writeManifest(this.files);
    } else {
      const last = incr[incr.length - 1]!;
      this.server.log.notice(`Opening AOF incr file ${last.name} on server start`);
      this.fd = fs.openSync(path.join(this.dir, last.name), 'a');
    }
    this.selected = -1;
    this.startTimer();
  }

  /** Continues the numbering of an existing AOF (if any) with a rewrite of the current dataset. */
  openFresh(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (this.exists()) this.readManifest();
    this.rewriteSync();
  }

  private startTimer(): void {
    if (this.timer === null) {
      this.timer = setInterval(this.tick, 1000);
      this.timer.unref();
    }
  }

  private readManifest(): void {
    const file = this.manifestPath;
    this.files = parseManifest(fs.readFileSync(file, 'latin1'), file);
    for (const f of this.files) {
      if (f.type === 'b') this.baseSeq = Math.max(this.baseSeq, f.seq);
      if (f.type === 'i') this.incrSeq = Math.max(this.incrSeq, f.seq);
    }
  }

  /** A base file holds an RDB image (aof-use-rdb-preamble) or commands. */
  private get baseExt(): 'rdb' | 'aof' {
    return this.server.config.v['aof-use-rdb-preamble'] ? 'rdb' : 'aof';
  }

  private fileName(type: 'b' | 'i', seq: number, ext = 'aof'): string {
    return `${this.baseName}.${seq}.${type === 'b' ? 'base' : 'incr'}.${type === 'b' ? ext : 'aof'}`;
  }

  /** Writes the manifest to a temp file, fsyncs, renames over the old one, fsyncs the directory. */
  private writeManifest(files: readonly AofFile[]): void {
    const tmp = path.join(this.dir, `temp-${this.baseName}.manifest`);
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, formatManifest(files));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.manifestPath);
    fsyncDir(this.dir);
  }

  /**
   * Loads the AOF named by the manifest into the (empty) keyspace: the base,
   * then each incremental file in order. `run` executes one command.
   * A torn last command of the last file is cut off when aof-load-truncated
   * is yes; anything else unreadable stops the start with the file and offset.
   */
  load(replayer: AofReplayer): void {
    const steps = this.loadSteps(replayer);
    while (!steps.next().done);
  }

  /**
   * load() as a generator that yields every few thousand commands, so a
   * server that already listens can load in slices across event-loop turns
   * (clients get -LOADING meanwhile). Yields the bytes read so far.
   */
  *loadSteps(replayer: AofReplayer): Generator<number, void, void> {
    this.readManifest();
    let loadedBytes = 0;
    const order = [...this.files.filter((f) => f.type === 'b'), ...this.files.filter((f) => f.type === 'i')];
    const t0 = Date.now();
    for (let i = 0; i < order.length; i++) {
      const f = order[i]!;
      const file = path.join(this.dir, f.name);
      const last = i === order.length - 1;
      if (!fs.existsSync(file)) {
        // Redis tolerates a missing last (empty) incr file only.
        if (f.type === 'i' && last) continue;
        throw new AofLoadError(`Append only file ${f.name} doesn't exist`);
      }
      const t1 = Date.now();
      const buf = fs.readFileSync(file);
      let from = 0;
      if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
        // an RDB base (aof-use-rdb-preamble), possibly followed by commands (a pre-7 single-file AOF)
        this.server.log.notice(`Reading RDB base file on AOF loading...`);
        from = loadRdbBuffer(this.server, buf, f.name).endOffset;
      }
      const r = readCommands(buf, from);
      for (let k = 0; k < r.commands.length; k++) {
        const argv = r.commands[k]!;
        const err = replayer.run(argv);
        if (err !== null) throw new AofLoadError(replayFailure(f.name, r.offsets[k]!, argv, err));
        if ((k & 15) === 15) yield loadedBytes + Math.round((k / r.commands.length) * buf.length);
      }
      loadedBytes += buf.length;
      yield loadedBytes;
      let end = r.end;
      let truncated = r.truncated;
      if (!r.bad && replayer.inMulti()) {
        // A transaction without its EXEC at the end of the file: torn as well.
        truncated = true;
        end = lastMultiOffset(buf, r.end);
        replayer.discard();
      }
      if (r.bad) {
        throw new AofLoadError(
          `Bad file format reading the append only file ${f.name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest> (offset ${r.end})`,
        );
      }
      if (truncated) {
        this.server.log.warning(`!!! Warning: short read while loading the AOF file ${f.name}!!!`);
        if (!last || !this.server.config.v['aof-load-truncated']) {
          throw new AofLoadError(
            `Unexpected end of file reading the append only file ${f.name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
          );
        }
        this.server.log.warning(`!!! Truncating the AOF ${f.name} at offset ${end} !!!`);
        fs.truncateSync(file, end);
        this.server.log.warning(`AOF ${f.name} loaded anyway because aof-load-truncated is enabled`);
      }
      if (f.type === 'b') this.baseSize = Math.min(buf.length, end);
      else this.incrSize += truncated ? end : buf.length;
      this.server.log.notice(`DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${((Date.now() - t1) / 1000).toFixed(3)} seconds`);
    }
    this.server.log.notice(`DB loaded from append only file: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
  }

  /**
   * A rewrite done in one go: a new incremental file takes all writes from
   * now, the dataset is written as the new base, the manifest switches, the
   * old files go. (The dataset is consistent: the event loop does not turn.)
   */
  rewriteSync(initial = false): void {
    const t0 = Date.now();
    fs.mkdirSync(this.dir, { recursive: true });
    this.flush(true);
    const baseSeq = this.baseSeq + 1;
    const incrSeq = this.incrSeq + 1;
    const preamble = !!this.server.config.v['aof-use-rdb-preamble'];
    const baseName = this.fileName('b', baseSeq, this.baseExt);
    const incrName = this.fileName('i', incrSeq);
    const tmpBase = path.join(this.dir, `temp-rewriteaof-${process.pid}.aof`);
    let fd = fs.openSync(tmpBase, 'w');
    let size = 0;
    try {
      if (preamble) {
        for (const chunk of rdbImage(this.server, { aofBase: true })) {
          let off = 0;
          while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
          size += chunk.length;
        }
      } else size = writeDatasetAsCommands(fd, this.server.dbs, libraryCodes(this.server));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmpBase, path.join(this.dir, baseName));
    if (initial) this.server.log.notice(`Creating AOF incr file ${incrName} on server start`);
    fd = fs.openSync(path.join(this.dir, incrName), 'a');
    fs.fsyncSync(fd);
    const old = this.files;
    const next: AofFile[] = [
      { name: baseName, seq: baseSeq, type: 'b' },
      { name: incrName, seq: incrSeq, type: 'i' },
    ];
    this.writeManifest(next);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = fd;
    this.files = next;
    this.baseSeq = baseSeq;
    this.incrSeq = incrSeq;
    this.baseSize = size;
    this.incrSize = 0;
    this.selected = -1;
    for (const f of old) {
      if (f.name === baseName || f.name === incrName) continue;
      try {
        fs.unlinkSync(path.join(this.dir, f.name));
      } catch {
        /* already gone */
      }
    }
    if (!initial) {
      this.rewrites++;
      this.lastRewriteStatus = 'ok';
      this.lastRewriteMs = Date.now() - t0;
    }
    this.startTimer();
  }

  /** A background rewrite is running (rewriteBackground). */
  rewriting = false;
  private rewriteStartMono = 0;

  /**
   * BGREWRITEAOF without stalling clients (with an RDB base): a new
   * incremental file takes every write from now on and is added to the
   * manifest at once (so a crash mid-rewrite still loads: old base, old
   * incrs, new incr); the base is the dataset as it is at this moment,
   * written by the BGSAVE machinery in slices with key-level copy-on-write;
   * when it is on disk the manifest switches to [new base, new incr] and the
   * old files go. Returns false when the snapshot machinery is busy (a
   * BGSAVE): the caller schedules the rewrite.
   */
  rewriteBackground(): boolean {
    if (this.rewriting) return true;
    if (!this.server.config.v['aof-use-rdb-preamble']) {
      this.rewriteSync();
      return true;
    }
    const st = persist(this.server);
    if (st.bgsave !== null) return false;
    this.flush(true);
    fs.mkdirSync(this.dir, { recursive: true });
    const baseSeq = this.baseSeq + 1;
    const incrSeq = this.incrSeq + 1;
    const baseName = this.fileName('b', baseSeq, 'rdb');
    const incrName = this.fileName('i', incrSeq);
    const fd = fs.openSync(path.join(this.dir, incrName), 'a');
    const old = this.files;
    const during: AofFile[] = [...old.filter((f) => f.type !== 'h'), { name: incrName, seq: incrSeq, type: 'i' }];
    this.writeManifest(during);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = fd;
    this.files = during;
    this.incrSeq = incrSeq;
    this.selected = -1;
    const incrSizeBefore = this.incrSize;
    this.rewriting = true;
    this.rewriteStartMono = Date.now();
    this.server.log.notice(`Background append only file rewriting started by pid ${process.pid}`);
    const onDone = (ok: boolean): void => {
      this.rewriting = false;
      this.lastRewriteMs = Date.now() - this.rewriteStartMono;
      if (!ok || this.fd !== fd) {
        // the manifest still names the old files plus the new incr: nothing lost
        this.lastRewriteStatus = 'err';
        this.server.log.warning('Background AOF rewrite failed');
        return;
      }
      try {
        const next: AofFile[] = [
          { name: baseName, seq: baseSeq, type: 'b' },
          { name: incrName, seq: incrSeq, type: 'i' },
        ];
        this.writeManifest(next);
        this.files = next;
        this.baseSeq = baseSeq;
        this.baseSize = fs.statSync(path.join(this.dir, baseName)).size;
        this.incrSize -= incrSizeBefore;
        for (const f of old) {
          if (f.name === baseName || f.name === incrName) continue;
          try {
            fs.unlinkSync(path.join(this.dir, f.name));
          } catch {
            /* already gone */
          }
        }
        this.rewrites++;
        this.lastRewriteStatus = 'ok';
        this.server.log.notice('Background AOF rewrite finished successfully');
      } catch (e) {
        this.lastRewriteStatus = 'err';
        this.server.log.warning(`Background AOF rewrite failed: ${(e as Error).message}`);
      }
    };
    st.bgsave = new Bgsave(this.server, path.join(this.dir, baseName), { aofBase: true, onDone });
    return true;
  }

  /** Whether the incremental files grew past the auto-rewrite thresholds. */
  wantsAutoRewrite(): boolean {
    const v = this.server.config.v;
    const pct = Number(v['auto-aof-rewrite-percentage']);
    const min = Number(v['auto-aof-rewrite-min-size']);
    if (!(pct > 0)) return false;
    const total = this.baseSize + this.incrSize;
    if (total < min) return false;
    const base = this.baseSize > 0 ? this.baseSize : 1;
    return ((total - base) * 100) / base >= pct;
  }

  /** Flushes, fsyncs and closes (shutdown, appendonly no). */
  /** Writes what is buffered and fsyncs the file (before a shutdown's save). */
  sync(): void {
    this.flush(true);
    if (this.fd < 0) return;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      this.server.log.warning(`Fail to fsync the AOF file: ${(e as Error).message}.`);
    }
  }

  /** Syncs and closes the file (server close, CONFIG SET appendonly no). */
  close(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.sync();
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
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
// Server wiring

/**
 * At start with `appendonly yes`: loads the AOF when one exists (into the
 * empty keyspace, through the dispatcher with a pseudo client, nothing
 * propagated), then opens it for appending (creating it when missing).
 * Throws, with the file and offset, when the AOF cannot be loaded.
 */
export function startAofOnBoot(server: Server, replayer: AofReplayer): Aof {
  const aof = new Aof(server);
  if (aof.exists()) aof.load(replayer);
  aof.open();
  return aof;
}

/**
 * startAofOnBoot for a server that already listens (the CLI): the AOF is
 * loaded in slices across event-loop turns with server.loading set, so
 * clients get -LOADING until it is done; progress is logged every second.
 */
export async function startAofOnBootAsync(server: Server, replayer: AofReplayer, progress: (loadedBytes: number) => void): Promise<Aof> {
  const aof = new Aof(server);
  if (aof.exists()) {
    let t = Date.now();
    let lastLog = t;
    for (const loaded of aof.loadSteps(replayer)) {
      progress(loaded);
      const now = Date.now();
      if (now - t >= 20) {
        if (now - lastLog >= 1000) {
          lastLog = now;
          server.log.notice(`Loading the append only file: ${loaded} bytes read`);
        }
        await new Promise((r) => setImmediate(r));
        t = Date.now();
      }
    }
  }
  aof.open();
  return aof;
}

/** CONFIG SET appendonly yes: a new base from the current dataset, then appending. */
export function startAofAtRuntime(server: Server): Aof {
  const aof = new Aof(server);
  aof.openFresh();
  return aof;
}

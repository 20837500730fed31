/**
 * The RDB payload of a full sync on a replica (Redis's readSyncBulkPayload):
 * its `$<len>` or `$EOF:<40-byte mark>` header, its bytes (to a temp file,
 * or decoded as they come for a diskless load), and the load that replaces
 * the dataset with it. Used by replica.ts, which owns the link around it.
 *
 * A diskless load counts as loading from the payload's first byte, as
 * Redis's (which parses the socket as it reads it): `loading:1` and
 * -LOADING, or, with repl-diskless-load swapdb and the primary's
 * replication id equal to this server's (the old data is an earlier point
 * of the same history), Redis's async loading: `async_loading:1`, the old
 * dataset and libraries still served (commands flagged no_async_loading get
 * -LOADING). With swapdb the image is loaded into a temporary keyspace and
 * libraries and swapped in only when whole ("Swapping active DB with loaded
 * DB"): a transfer that fails leaves the old data in place. The decoder
 * (RdbLoader.stepAvailable) takes each record complete so far between
 * reads, so clients are served between pieces (Redis serves them every 2 MB
 * of a socket load) and key-load-delay slows the reading; a connection lost
 * mid-transfer is reported with Redis's short-read lines for a socket load.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '../server/server.js';
import type { InfoFields } from '../server/subsystem.js';
import { performance } from 'node:perf_hooks';
import { Db } from '../keyspace/db.js';
import { RdbLoader, emptyData, loadRdbFile, internalErrorLine, type LoadTarget } from '../persistence/snapshot-load.js';
import { persist, rdbPath } from '../persistence/snapshot.js';
import { WHY } from '../persistence/rdb-reader.js';
import { freeFunctionsState, newFunctionsState, swapLibraries } from '../scripting/functions.js';
import { loadVm } from '../scripting/lua.js';

const EMPTY: Buffer = Buffer.alloc(0);
/** The length of an EOF mark (and of a replication id). */
export const MARK_LEN = 40;
/** Redis's loading progress steps (loading-process-events-interval-bytes, 2 MB by default). */
const PROGRESS_STEP = 2 * 1024 * 1024;

/**
 * Gives `live` the contents of `loaded` (and `loaded` the old ones, to be
 * dropped): Db.swapWith, with a key tracker (cluster mode's slot index)
 * staying on the live database and told of its new keys.
 */
function swapContents(live: Db, loaded: Db): void {
  const tracker = live.dict.tracker;
  live.dict.tracker = null;
  live.swapWith(loaded);
  if (tracker === null) return;
  tracker.cleared();
  live.dict.tracker = tracker;
  const d = live.dict;
  for (let i = 0; i < d.size; i++) tracker.added(d.keyAt(i));
}

export class Payload {
  /** Bytes announced by `$len` (-1 before the header, 0 with an EOF mark). */
  size = -1;
  read = 0;
  /** The end mark of a `$EOF:` transfer, else null. */
  mark: Buffer | null = null;
  /** The last MARK_LEN bytes received (to find the mark). */
  private tail: Buffer = EMPTY;
  /**
   * A diskless load's decoder, fed as the bytes come (null until the 9
   * bytes of the RDB header are in: `head`), and its error if the header
   * was bad (reported at the end, as the load's failure).
   */
  private loader: RdbLoader | null = null;
  private head: Buffer = EMPTY;
  private loaderError: unknown = null;
  /** The Lua VM is being loaded for a function library of the image (the decoder waits). */
  private vmPending = false;
  /** swapdb: the temporary databases and libraries the image loads into. */
  private target: LoadTarget | null = null;
  private aborted = false;
  /** What this payload set while it loads: server.loading, server.asyncLoading, or nothing (yet). */
  private loadingFlag: 'loading' | 'async' | null = null;

  private constructor(
    private readonly server: Server,
    /** Decoded from the socket's bytes (repl-diskless-load swapdb, or on-empty-db with no key), else through `file`. */
    readonly diskless: boolean,
    /** repl-diskless-load swapdb: loaded into a temporary keyspace, swapped in when whole. */
    readonly swapdb: boolean,
    /** The replication id +FULLRESYNC named (async loading when it is this server's). */
    private readonly masterReplid: string,
    /** The new history replaces the old: cached primary and sub-replicas dropped (Redis's replicationAttachToNewMaster). */
    private readonly attach: () => void,
    private file: string | null,
    private fd: number,
  ) {}

  /**
   * Gets ready for a payload: a diskless load when repl-diskless-load says
   * so (Redis's useDisklessLoad), else a new temp file
   * `temp-<unixtime>.<pid>.rdb` in `dir`. Null (logged) when no temp file
   * can be made.
   */
  static open(server: Server, masterReplid: string, attach: () => void): Payload | null {
    const v = server.config.v;
    const mode = v['repl-diskless-load'];
    const diskless = mode === 'swapdb' || (mode === 'on-empty-db' && server.dbs.every((d) => d.size === 0));
    if (diskless) return new Payload(server, true, mode === 'swapdb', masterReplid, attach, null, -1);
    for (let tries = 5; ; tries--) {
      const file = path.resolve(v['dir'], `temp-${Math.floor(server.clock() / 1000)}.${process.pid}.rdb`);
      try {
        return new Payload(server, false, false, masterReplid, attach, file, fs.openSync(file, 'wx', 0o644));
      } catch (e) {
        if (tries > 1) continue;
        server.log.warning(
          `Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`,
        );
        return null;
      }
    }
  }

  /**
   * A line before the payload: '' (a newline, the primary is alive) waits
   * for more, the `$` header starts the payload ('body'); an error or
   * anything else is logged as Redis does ('error').
   */
  header(line: string): 'wait' | 'body' | 'error' {
    const log = this.server.log;
    if (line === '') return 'wait';
    if (line.startsWith('-')) {
      log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
      return 'error';
    }
    if (!line.startsWith('$')) {
      log.warning(
        `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
      );
      return 'error';
    }
    const to = this.diskless ? 'to parser' : 'to disk';
    if (line.startsWith('$EOF:') && line.length >= 5 + MARK_LEN) {
      this.mark = Buffer.from(line.slice(5, 5 + MARK_LEN), 'latin1');
      this.size = 0;
      log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${to}`);
    } else {
      this.size = Number.parseInt(line.slice(1), 10) || 0;
      log.notice(`MASTER <-> REPLICA sync: receiving ${this.size} bytes from master ${to}`);
    }
    if (this.diskless) this.startLoading();
    return 'body';
  }

  /**
   * A diskless load begins with the payload's bytes (Redis's startLoading
   * from readSyncBulkPayload): async with swapdb and the same history,
   * else loading (-LOADING); INFO's loading_* fields count the bytes read.
   * Without swapdb the old history and data go now.
   */
  private startLoading(): void {
    const server = this.server;
    if (!this.swapdb) {
      this.attach();
      server.log.notice('MASTER <-> REPLICA sync: Flushing old data');
      emptyData(server);
    }
    server.log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    // (Redis's disklessLoadInitTempDb and a new functions context)
    if (this.swapdb)
      this.target = {
        dbs: server.dbs.map((d) => new Db(d.id, server.hooks, server.listLimits, server.keyBatch)),
        functions: newFunctionsState(),
      };
    const async = this.swapdb && this.masterReplid === server.repl.replid;
    this.loadingFlag = async ? 'async' : 'loading';
    if (async) server.asyncLoading = true;
    else server.loading = true;
    persist(server).loading = {
      start: Math.floor(server.clock() / 1000),
      totalBytes: this.size,
      loadedBytes: 0,
      startMono: performance.now(),
    };
  }

  /** The load is over (done, failed or abandoned): loading or async_loading ends. */
  private stopLoading(): void {
    const server = this.server;
    if (this.loadingFlag === null) return;
    if (this.loadingFlag === 'async') server.asyncLoading = false;
    else server.loading = false;
    this.loadingFlag = null;
    persist(server).loading = null;
  }

  /**
   * The link dropped during a diskless transfer: Redis's parser, reading
   * the socket, meets the end of its data, and says so (a short read,
   * "assuming connection error"); the temporary keyspace, if any, goes.
   */
  connectionLost(): void {
    const log = this.server.log;
    log.warning('Short read or OOM loading DB. Unrecoverable error, aborting now.');
    // (Redis's offset: the loading progress, counted per 2 MB read: loading-process-events-interval-bytes)
    const progress = Math.floor(this.read / PROGRESS_STEP) * PROGRESS_STEP;
    log.warning(
      `${internalErrorLine(progress, WHY.eof)}. Failure loading rdb format from socket, assuming connection error, resuming operation.`,
    );
    log.warning('Failed trying to load the MASTER synchronization DB from socket, check server logs.');
    if (this.swapdb) log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
  }

  /**
   * Payload bytes: written or kept. Returns null while more are expected,
   * else the bytes that came after the payload (the stream's first ones).
   */
  take(data: Buffer): Buffer | null {
    let rest = EMPTY;
    if (this.mark === null) {
      const want = this.size - this.read;
      if (data.length > want) {
        rest = data.subarray(want);
        data = data.subarray(0, want);
      }
    }
    this.read += data.length;
    if (this.loadingFlag !== null) {
      const l = persist(this.server).loading;
      if (l !== null) l.loadedBytes = this.read;
    }
    let done: boolean;
    if (this.mark !== null) {
      this.tail = Buffer.concat([this.tail, data]).subarray(-MARK_LEN);
      done = this.tail.length === MARK_LEN && this.tail.equals(this.mark);
    } else done = this.read === this.size;
    if (this.fd >= 0) fs.writeSync(this.fd, data);
    // (the end mark goes to the decoder too: it stops at the image's EOF opcode and checksum)
    else this.feed(data, done);
    return done ? rest : null;
  }

  /**
   * A diskless load's bytes go to the decoder, which decodes every record
   * complete so far (into the server's databases, or swapdb's temporary
   * ones), so the load proceeds with the transfer and clients are served
   * between pieces, as Redis does every 2 MB of a socket load. The last
   * piece is decoded by load().
   */
  private feed(data: Buffer, last: boolean): void {
    if (this.loaderError !== null) return;
    if (this.loader === null) {
      this.head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      if (this.head.length < 9 && !last) return;
      try {
        this.loader = new RdbLoader(this.server, this.head, 'socket', true, false, this.target);
      } catch (e) {
        this.loaderError = e;
        return;
      }
      this.head = EMPTY;
    } else this.loader.continueWith(data);
    if (!last) this.decode();
  }

  /** Decodes what came so far (feed); loads the Lua VM first when a library comes, then goes on. */
  private decode(): void {
    const l = this.loader;
    if (l === null || this.vmPending || this.aborted) return;
    if (l.stepAvailable() !== 'vm') return;
    this.vmPending = true;
    void loadVm().then(() => {
      this.vmPending = false;
      this.decode();
    });
  }

  /** Drops the temp file, or what a diskless load decoded (an aborted transfer, or a failed load). */
  abort(): void {
    this.aborted = true;
    // a diskless load into the server's databases: what it decoded goes (they were emptied when it began)
    if (this.diskless && !this.swapdb && this.loadingFlag !== null) emptyData(this.server);
    this.stopLoading();
    // The name goes now, the data with the last close, off the loop (Redis's bg_unlink): a new
    // attempt in the same second (cancelReplicationHandshake reconnects at once) makes a file
    // of the same name.
    if (this.file !== null) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        /* gone already */
      }
    }
    if (this.fd >= 0) fs.close(this.fd, () => {});
    this.fd = -1;
    this.file = null;
    this.loader = null;
    this.head = EMPTY;
    if (this.target !== null) freeFunctionsState(this.target.functions);
    this.target = null;
  }

  /**
   * Replaces the dataset with the payload. Without swapdb: every database
   * and library emptied, then the RDB loaded with its passed TTLs kept (the
   * primary deletes those keys); a disk load fsyncs the temp file, renames
   * it to dbfilename and loads it with -LOADING meanwhile (the loader of
   * the start); a diskless one (whose old data went when its bytes
   * began: startLoading) was decoded as they came, and what is left of it
   * is decoded now. With swapdb the image loads
   * into new databases and libraries, which replace the old ones only when
   * it loaded whole (the old history dropped then). Resolves false (logged;
   * without swapdb the databases left empty, with it the old ones kept)
   * when it cannot be loaded.
   */
  async load(): Promise<boolean> {
    if (this.swapdb) return this.loadSwap();
    const server = this.server;
    const log = server.log;
    if (!this.diskless) {
      this.attach();
      log.notice('MASTER <-> REPLICA sync: Flushing old data');
      emptyData(server);
      log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    }
    try {
      if (this.diskless) await this.decodeRest();
      else {
        if (this.mark !== null) fs.ftruncateSync(this.fd, this.read - MARK_LEN);
        fs.fsyncSync(this.fd);
        fs.closeSync(this.fd);
        this.fd = -1;
        const dest = rdbPath(server);
        fs.renameSync(this.file!, dest);
        this.file = null;
        await loadRdbFile(server, dest, true);
      }
      this.stopLoading();
      return true;
    } catch (e) {
      log.warning(`${(e as Error).message}`);
      log.warning(
        this.diskless
          ? 'Failed trying to load the MASTER synchronization DB from socket, check server logs.'
          : 'Failed trying to load the MASTER synchronization DB from disk, check server logs.',
      );
      this.abort();
      return false;
    }
  }

  /**
   * A diskless load's end: what is left is decoded (the Lua VM loaded first
   * when a library waits for it); now an error is the image's (RdbLoadError).
   */
  private async decodeRest(): Promise<void> {
    while (this.vmPending) await loadVm();
    if (this.loaderError !== null) throw this.loaderError;
    const l = this.loader ?? new RdbLoader(this.server, this.head, 'socket', true, false, this.target);
    while (l.stepAvailable() === 'vm') await loadVm();
    l.step();
    const st = persist(this.server);
    st.lastLoadKeysLoaded = l.keysLoaded;
    st.lastLoadKeysExpired = l.keysExpired;
    st.lastLoadRepl = l.repl;
  }

  /**
   * The swapdb load (Redis's disklessLoadInitTempDb, swapMainDbWithTempDb):
   * into new databases and libraries; on success they are swapped with the
   * server's (each database keeps its object, so clients, WATCH and blocked
   * clients see the new contents: Db.swapWith) and the old ones dropped.
   */
  private async loadSwap(): Promise<boolean> {
    const server = this.server;
    const log = server.log;
    const target = this.target!;
    try {
      await this.decodeRest();
    } catch (e) {
      log.warning(`${(e as Error).message}`);
      log.warning('Failed trying to load the MASTER synchronization DB from socket, check server logs.');
      log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
      this.abort();
      return false;
    }
    this.target = null;
    this.attach();
    log.notice('MASTER <-> REPLICA sync: Swapping active DB with loaded DB');
    // tracking clients are told every key changed, as on FLUSHALL (Redis's swapMainDbWithTempDb: trackingInvalidateKeysOnFlush)
    server.tracking.flush(() => {
      for (let i = 0; i < server.dbs.length; i++) swapContents(server.dbs[i]!, target.dbs[i]!);
    });
    freeFunctionsState(swapLibraries(server, target.functions));
    log.notice('MASTER <-> REPLICA sync: Discarding old DB in background');
    this.stopLoading();
    return true;
  }

  /** INFO replication's master_sync_* fields (`now`, `lastIo`: unix seconds). */
  infoFields(now: number, lastIo: number): InfoFields {
    const perc = this.size > 0 ? (this.read / this.size) * 100 : 0;
    return [
      ['master_sync_total_bytes', this.size],
      ['master_sync_read_bytes', this.read],
      ['master_sync_left_bytes', this.size - this.read],
      ['master_sync_perc', perc.toFixed(2)],
      ['master_sync_last_io_seconds_ago', now - lastIo],
    ];
  }
}

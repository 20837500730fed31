/**
 * The RDB payload of a full sync on a replica (Redis's readSyncBulkPayload):
 * its `$<len>` or `$EOF:<40-byte mark>` header, its bytes (to a temp file,
 * or kept in memory for a diskless load), and the load that replaces the
 * dataset with it. Used by replica.ts, which owns the link around it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '../server/server.js';
import type { InfoFields } from '../server/subsystem.js';
import { emptyData, loadRdbBuffer, loadRdbFile } from '../persistence/snapshot-load.js';
import { rdbPath } from '../persistence/snapshot.js';
import { loadVm, vmLoaded } from '../scripting/lua.js';
import { rdbHasFunctions } from '../scripting/vm-gate.js';

const EMPTY: Buffer = Buffer.alloc(0);
/** The length of an EOF mark (and of a replication id). */
export const MARK_LEN = 40;

export class Payload {
  /** Bytes announced by `$len` (-1 before the header, 0 with an EOF mark). */
  size = -1;
  read = 0;
  /** The end mark of a `$EOF:` transfer, else null. */
  mark: Buffer | null = null;
  /** The last MARK_LEN bytes received (to find the mark). */
  private tail: Buffer = EMPTY;
  /** The chunks kept in memory (diskless load). */
  private chunks: Buffer[] = [];

  private constructor(
    private readonly server: Server,
    /** Loaded from memory (repl-diskless-load swapdb, or on-empty-db with no key), else through `file`. */
    readonly diskless: boolean,
    private file: string | null,
    private fd: number,
  ) {}

  /**
   * Gets ready for a payload: a diskless load when repl-diskless-load says
   * so (Redis's useDisklessLoad), else a new temp file
   * `temp-<unixtime>.<pid>.rdb` in `dir`. Null (logged) when no temp file
   * can be made.
   */
  static open(server: Server): Payload | null {
    const v = server.config.v;
    const mode = v['repl-diskless-load'];
    const diskless = mode === 'swapdb' || (mode === 'on-empty-db' && server.dbs.every((d) => d.size === 0));
    if (diskless) return new Payload(server, true, null, -1);
    for (let tries = 5; ; tries--) {
      const file = path.resolve(v['dir'], `temp-${Math.floor(server.clock() / 1000)}.${process.pid}.rdb`);
      try {
        return new Payload(server, false, file, fs.openSync(file, 'wx', 0o644));
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
    return 'body';
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
    if (this.fd >= 0) fs.writeSync(this.fd, data);
    else this.chunks.push(data);
    if (this.mark !== null) {
      this.tail = Buffer.concat([this.tail, data]).subarray(-MARK_LEN);
      return this.tail.length === MARK_LEN && this.tail.equals(this.mark) ? rest : null;
    }
    return this.read === this.size ? rest : null;
  }

  /** Drops the temp file (an aborted transfer, or what is left after the load). */
  abort(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    if (this.file !== null) fs.rm(this.file, { force: true }, () => {});
    this.file = null;
    this.chunks = [];
  }

  /**
   * Replaces the dataset with the payload: every database and library
   * emptied, then the RDB loaded with its passed TTLs kept (the primary
   * deletes those keys). A disk load fsyncs the temp file, renames it to
   * dbfilename and loads it with -LOADING meanwhile (the loader of the
   * start); a diskless one loads from memory. Resolves false (logged, the
   * databases left empty) when it cannot be loaded.
   */
  async load(): Promise<boolean> {
    const server = this.server;
    const log = server.log;
    log.notice('MASTER <-> REPLICA sync: Flushing old data');
    emptyData(server);
    log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    try {
      if (this.diskless) {
        let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
        this.chunks = [];
        if (this.mark !== null) buf = buf.subarray(0, buf.length - MARK_LEN);
        if (!vmLoaded() && rdbHasFunctions(buf)) await loadVm();
        loadRdbBuffer(server, buf, 'socket', true);
      } else {
        if (this.mark !== null) fs.ftruncateSync(this.fd, this.read - MARK_LEN);
        fs.fsyncSync(this.fd);
        fs.closeSync(this.fd);
        this.fd = -1;
        const dest = rdbPath(server);
        fs.renameSync(this.file!, dest);
        this.file = null;
        await loadRdbFile(server, dest, true);
      }
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

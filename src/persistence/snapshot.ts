/**
 * Snapshots: the persistence state of a server, SAVE (the whole dataset
 * written synchronously), the `save` points and the rdb_* / loading INFO
 * fields. BGSAVE (the sliced copy-on-write save) is bgsave.ts; loading an
 * RDB image into the server is snapshot-load.ts.
 *
 * State lives in Server.snapshot (made here on first use), so server.ts
 * only holds the `loading` flag. Callers: commands/persistence.ts, commands/server.ts
 * (SHUTDOWN, DEBUG RELOAD), cli.ts (loading at start, SIGTERM), bgsave.ts,
 * snapshot-load.ts, observability/info.ts.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { Crc64 } from './crc64.js';
import {
  RdbWriter,
  writeHeader,
  writeDbHeader,
  writeFunctions,
  writeKeyValue,
  OP_EOF,
  type RdbOptions,
} from './rdb.js';
import * as R from './rdb.js';
import type { Bgsave } from './bgsave.js';
import { libraryCodes } from '../scripting/functions.js';
import { fsyncDir, writeFully } from '../util/files.js';

/** Bytes buffered before a write to the file (a write of this size to the page cache takes tens of µs). */
export const WRITE_CHUNK = 1 << 14;

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
  /** The replication ids the last RDB loaded carried (a restart continues them: Replication.restoreFromRdb). */
  lastLoadRepl: R.ReplSaveInfo | null;
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

/** The persistence state of a server (Server.snapshot, made on first use). */
export function persist(server: Server): PersistState {
  return (server.snapshot ??= {
    bgsave: null,
    bgsaveScheduled: false,
    lastBgsaveStatus: 'ok',
    lastBgsaveTimeSec: -1,
    lastBgsaveTry: 0,
    rdbSaves: 0,
    forks: 0,
    lastLoadKeysExpired: 0,
    lastLoadKeysLoaded: 0,
    lastLoadRepl: null,
    loading: null,
    cron: null,
    waiters: [],
  });
}

/** The RDB file's path: dir/dbfilename. */
export function rdbPath(server: Server): string {
  const v = server.config.v;
  return path.resolve(v['dir'], v['dbfilename']);
}

/** Serialization options from the config. */
export function rdbOptions(server: Server): RdbOptions {
  const v = server.config.v;
  return {
    compression: v['rdbcompression'],
    listMaxListpackSize: v['list-max-listpack-size'],
  };
}

export function checksumOn(server: Server): boolean {
  return server.config.v['rdbchecksum'];
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
  writeHeader(w, {
    usedMem: process.memoryUsage().heapUsed,
    aofBase: !!opts.aofBase,
    now: server.clock(),
    version: R.rdbVersionFor(server.dbs),
    repl: opts.aofBase ? null : server.repl.saveInfo(),
  });
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
  if (st.bgsave !== null) throw new ReplyError(Err.bgsaveInProgress);
  try {
    writeFileDurably(file, rdbImage(server), `temp-${process.pid}.rdb`);
  } catch (e) {
    // (a failed SAVE leaves rdb_last_bgsave_status alone, as Redis's rdbSave: no MISCONF follows)
    server.log.warning(
      `Failed opening the temp RDB file temp-${process.pid}.rdb (in server root dir ${path.dirname(file)}) for saving: ${(e as Error).message}`,
    );
    throw new ReplyError(Err.saveFailed);
  }
  server.log.notice('DB saved on disk');
  server.propagator.saved();
  server.lastSave = Math.floor(server.clock() / 1000);
  st.lastBgsaveStatus = 'ok';
  st.rdbSaves++;
}

/** The `save` parameter as [seconds, changes] pairs. */
export function savePoints(server: Server): [number, number][] {
  const nums = server.config.v['save'].split(/\s+/).filter(Boolean).map(Number);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < nums.length; i += 2) out.push([nums[i]!, nums[i + 1]!]);
  return out;
}

/**
 * The INFO persistence fields this module owns, in Redis's order: the
 * loading block (with the loading_* fields while loading) and the rdb_*
 * block. info.ts splices them into its section.
 */
export function loadingInfo(server: Server): [string, string | number][] {
  const st = persist(server);
  const l = st.loading;
  if (l === null)
    return [
      ['loading', 0],
      ['async_loading', 0],
    ];
  const elapsed = (performance.now() - l.startMono) / 1000;
  const perc = l.totalBytes === 0 ? 0 : (l.loadedBytes / l.totalBytes) * 100;
  const eta =
    l.loadedBytes === 0 ? 1 : Math.round((l.totalBytes - l.loadedBytes) / (l.loadedBytes / Math.max(elapsed, 0.001)));
  // (a replica's async load: the old data is served, loading:0; Redis's loading && !async_loading)
  const async = server.asyncLoading ? 1 : 0;
  return [
    ['loading', 1 - async],
    ['async_loading', async],
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
  // (a full sync streamed to replicas' sockets is one too, as Redis's RDB child of socket type)
  const b =
    st.bgsave !== null && (st.bgsave.opts.onDone === undefined || st.bgsave.opts.target !== undefined)
      ? st.bgsave
      : null;
  return [
    ['rdb_changes_since_last_save', server.propagator.dirty],
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

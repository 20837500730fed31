/**
 * Loading an AOF (Redis's loadAppendOnlyFiles and loadSingleAppendOnlyFile,
 * with aofUpgradePrepare): the files the manifest names are replayed in
 * order, the base (an RDB image or commands), then each incremental file,
 * by a client no gate refuses, with server.loading set (no key expires
 * meanwhile; clients get -LOADING) and nothing propagated. Every failure
 * logs Redis's lines and throws AofLoadError. Callers: server.ts (start),
 * commands/persistence.ts (DEBUG LOADAOF).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import { persist } from './snapshot.js';
import { loadRdbBuffer, RdbLoadError } from './snapshot-load.js';
import { strerror } from '../config/file.js';
import { readCommands, lastMultiOffset } from './aof-format.js';
import type { Aof } from './aof.js';

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

/**
 * A pre-7.0 AOF (`dir`/`appendfilename`, one file, maybe with an RDB
 * preamble) becomes the base of a new manifest and moves into the AOF
 * directory (Redis's aofUpgradePrepare). Done when the directory or its
 * manifest is missing, or when an earlier upgrade wrote the manifest but
 * was stopped before the move. Throws AofLoadError (logged).
 */
function upgradeIfNeeded(aof: Aof): void {
  const server = aof.server;
  const old = path.join(aof.serverDir, aof.filename);
  if (!fs.existsSync(old)) return;
  const m = aof.manifest;
  const dirExists = fs.existsSync(aof.dir);
  const interrupted =
    m.base !== null &&
    m.incr.length === 0 &&
    m.base.name === aof.filename &&
    !fs.existsSync(path.join(aof.dir, aof.filename));
  if (dirExists && !m.empty && !interrupted) return;
  try {
    fs.mkdirSync(aof.dir, { recursive: true });
  } catch (e) {
    server.log.warning(`Can't open or create append-only dir ${aof.dir}: ${strerror(e)}`);
    throw new AofLoadError(`can't create ${aof.dir}: ${strerror(e)}`);
  }
  m.base = { name: aof.filename, seq: 1, type: 'b' };
  m.curBaseSeq = 1;
  m.dirty = true;
  if (!aof.writeManifest(m)) throw new AofLoadError('the AOF manifest could not be written');
  try {
    fs.renameSync(old, path.join(aof.dir, aof.filename));
  } catch (e) {
    server.log.warning(`Error trying to move the old AOF file ${aof.filename} into dir ${aof.dirname}: ${strerror(e)}`);
    throw new AofLoadError(`can't move ${old}: ${strerror(e)}`);
  }
  server.log.notice(
    `Successfully migrated an old-style AOF file (${aof.filename}) into the AOF directory (${aof.dirname}).`,
  );
}

/**
 * Loads the files the manifest names into the (empty) keyspace: the
 * base, then each incremental file (Redis's loadAppendOnlyFiles), with
 * server.loading set (the keyspace does not expire keys meanwhile; clients
 * get -LOADING) and the loading_* INFO fields. A generator that yields
 * every few thousand commands, so a server that already listens can load
 * in slices across event-loop turns; loadAof() runs it at once. Returns how
 * it ended; throws AofLoadError (Redis's lines logged) when it cannot.
 */
export function* loadSteps(aof: Aof, replayer: AofReplayer): Generator<void, AofLoadStatus, void> {
  const server = aof.server;
  aof.ensureManifest();
  upgradeIfNeeded(aof);
  const m = aof.manifest;
  if (m.empty) return 'not-exist';
  const files = m.loadOrder();
  let total = 0;
  const sizes: number[] = [];
  for (const f of files) {
    try {
      const size = fs.statSync(path.join(aof.dir, f.name)).size;
      sizes.push(size);
      total += size;
    } catch (e) {
      server.log.warning(`Unable to obtain the AOF file ${f.name} length. stat: ${strerror(e)}`);
      throw new AofLoadError(`the AOF file ${f.name} is missing: ${strerror(e)}`);
    }
  }
  if (total === 0) return 'empty';
  const st = persist(server);
  const wasLoading = server.loading;
  server.loading = true;
  st.loading = {
    start: Math.floor(server.clock() / 1000),
    totalBytes: total,
    loadedBytes: 0,
    startMono: performance.now(),
  };
  // what is replayed is in the files already: nothing of it is fed back (Redis sets aof_state off)
  const state = aof.state;
  aof.state = 'off';
  let status: AofLoadStatus = 'ok';
  try {
    let loaded = 0;
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!;
      const last = i === files.length - 1;
      const t0 = performance.now();
      const r = yield* loadFile(aof, f.name, replayer, loaded);
      loaded += sizes[i]!;
      if (r === 'ok' || (r === 'truncated' && last)) {
        server.log.notice(
          `DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`,
        );
      }
      if (r === 'truncated' && !last) {
        server.log.warning('Fatal error: the truncated file is not the last file');
        throw new AofLoadError(`the truncated file ${f.name} is not the last file`);
      }
      // (an empty file among others with data counts as loaded)
      status = r === 'empty' ? 'ok' : r;
    }
    aof.currentSize = total;
    aof.rewriteBaseSize = m.base !== null ? sizes[0]! : 0;
  } finally {
    aof.state = state;
    server.loading = wasLoading;
    st.loading = null;
  }
  return status;
}

/** Runs loadSteps at once. */
export function loadAof(aof: Aof, replayer: AofReplayer): AofLoadStatus {
  const steps = loadSteps(aof, replayer);
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
function* loadFile(
  aof: Aof,
  name: string,
  replayer: AofReplayer,
  loadedBefore: number,
): Generator<void, AofLoadStatus, void> {
  const server = aof.server;
  const log = server.log;
  const file = path.join(aof.dir, name);
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
  const st = persist(server);
  let from = 0;
  if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
    const oldStyle = name === aof.filename;
    log.notice(oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...');
    try {
      // keys whose TTL has passed are loaded too: the AOF's commands decide (Redis's RDBFLAGS_AOF_PREAMBLE)
      from = loadRdbBuffer(aof.server, buf, name, true).endOffset;
    } catch (e) {
      if (!(e instanceof RdbLoadError)) throw e;
      log.warning(e.message);
      log.warning(
        oldStyle
          ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
          : `Error reading the RDB base file ${name}, AOF loading aborted`,
      );
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
      throw new AofLoadError(
        `Unknown command '${argv[0]}' reading the append only file ${name} (offset ${r.offsets[k]})`,
      );
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
  if (server.config.v['aof-load-truncated']) {
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
 * Waits for a load run in slices: every ~20 ms of work yields to the event
 * loop (clients get -LOADING meanwhile), progress is logged every second.
 * The CLI's start with appendonly yes.
 */
export async function loadInSlices(server: Server, replayer: AofReplayer): Promise<AofLoadStatus> {
  const steps = loadSteps(server.aof, replayer);
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

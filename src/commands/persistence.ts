/**
 * Persistence commands: SAVE, BGSAVE, DUMP, RESTORE, and the persistence
 * parts of SHUTDOWN and DEBUG (RELOAD, DIGEST, DIGEST-VALUE) that
 * commands/server.ts calls. The file formats are persistence/rdb*.ts; the
 * snapshot machinery is persistence/snapshot.ts.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { command, keyArg, keyAt, OVERWRITE, READ, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { dumpPayload, RDB_MAX_READ_VERSION } from '../persistence/rdb.js';
import { readValue, isValueType } from '../persistence/rdb-load.js';
import { RdbReader, RdbError, valueCtx, deepValidation } from '../persistence/rdb-reader.js';
import type { Value } from '../keyspace/value.js';
import { crc64 } from '../persistence/crc64.js';
import { AofLoadError, loadAof } from '../persistence/aof.js';
import { aofReplayer } from '../server/boot.js';
import { persist, saveSync, rdbOptions, rdbPath, savePoints } from '../persistence/snapshot.js';
import { startBgsave } from '../persistence/bgsave.js';
import { loadRdbBuffer, emptyData, RdbLoadError, internalErrorLine } from '../persistence/snapshot-load.js';
import { datasetDigest, keyValueDigest } from '../persistence/digest.js';
import { lruClock } from '../keyspace/access.js';
import { rdbLibraryConflict } from '../scripting/functions.js';

/** SAVE */
function save(ctx: Ctx): void {
  saveSync(ctx.server);
  ctx.reply.ok();
}

/** BGSAVE [SCHEDULE] */
function bgsave(ctx: Ctx): void {
  const { server, argv, reply } = ctx;
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && is(argv[1], 'SCHEDULE')) schedule = true;
    else throw new ReplyError(Err.syntax);
  }
  const st = persist(server);
  if (st.bgsave !== null && st.bgsave.opts.onDone !== undefined) {
    // the AOF rewrite holds the snapshot machinery (Redis: another child is active)
    if (schedule) {
      st.bgsaveScheduled = true;
      return reply.simple('Background saving scheduled');
    }
    throw new ReplyError(Err.bgsaveChildActive);
  }
  if (st.bgsave !== null) throw new ReplyError(Err.bgsaveInProgress);
  // Inside MULTI/EXEC (Redis: server.in_exec) the save is scheduled for the cron.
  if (ctx.client.inExec) {
    st.bgsaveScheduled = true;
    return reply.simple('Background saving scheduled');
  }
  void schedule;
  if (!startBgsave(server)) throw new ReplyError(Err.saveFailed);
  reply.simple('Background saving started');
}

/** DUMP key */
function dump(ctx: Ctx): void {
  const v = ctx.db.read(ctx.argv[1]!);
  if (v === undefined) return ctx.reply.null();
  ctx.reply.bulk(dumpPayload(v, rdbOptions(ctx.server)).latin1Slice());
}

/**
 * Checks a DUMP payload's footer: at least 10 bytes, an RDB version tsdis
 * reads, and the CRC-64 (Redis's verifyDumpPayload). Returns the bytes.
 * RESTORE and FUNCTION RESTORE.
 */
export function verifyPayload(p: string, skipChecksum = false): Buffer {
  const b = Buffer.from(p, 'latin1');
  if (b.length < 10) throw new ReplyError(Err.dumpPayload);
  const ver = b.readUInt16LE(b.length - 10);
  if (ver > RDB_MAX_READ_VERSION) throw new ReplyError(Err.dumpPayload);
  // DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 (Redis's corrupt-dump tests feed mutated payloads)
  if (!skipChecksum && !crc64(b, 0, b.length - 8).equals(b.subarray(b.length - 8)))
    throw new ReplyError(Err.dumpPayload);
  return b;
}

/**
 * Decodes a verified DUMP payload's value (RESTORE). Like Redis, the value
 * is read from the payload's start and may run into its footer, and bytes
 * after it are ignored; what the decoder refuses (rdb-load.ts validates
 * every payload in full) is "ERR Bad data format", with Redis's verbose line
 * ("Internal error in RDB reading offset 0, function at rdb.c:L -> <reason>")
 * where Redis reports one, and tsdis's detail at debug level. A type byte
 * that is no value type is refused silently (rdbLoadObjectType).
 * sanitize-dump-payload yes (or clients, but not while loading, nor for a
 * primary's link or a user with skip-sanitize-payload) counts the blobs
 * validated in INFO's dump_payload_sanitizations.
 */
function decodePayload(ctx: Ctx, b: Buffer): Value {
  const server = ctx.server;
  // (the client whose top-level command runs: a script's caller, as Redis's current_client)
  const caller = server.executing ?? ctx.client;
  const trusted = caller.mustObey || !caller.user.sanitize;
  const vctx = valueCtx(server.config.v, server.listLimits, deepValidation(server.config.v, server.loading, trusted));
  try {
    const r = new RdbReader(b);
    const type = r.byte();
    if (!isValueType(type)) throw new RdbError(`${type} is not a value type`, 0);
    return readValue(r, type, vctx);
  } catch (e) {
    if (e instanceof RdbError) {
      if (e.why !== null) server.log.verbose(internalErrorLine(0, e.why));
      server.log.debug(`RESTORE payload refused at byte ${e.offset}: ${e.message}`);
      throw new ReplyError(Err.badDataFormat);
    }
    if (e instanceof RangeError) {
      // a decoder read past its blob: a tsdis bug, refused all the same
      server.log.warning(`RESTORE payload refused: unexpected decoder error: ${e.message}`);
      throw new ReplyError(Err.badDataFormat);
    }
    throw e;
  } finally {
    server.stats.dumpPayloadSanitizations += vctx.sanitizations;
  }
}

/**
 * RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
 * (also RESTORE-ASKING, commands/migrate.ts)
 */
export function restore(ctx: Ctx): void {
  const { server, db, argv, reply } = ctx;
  const key = argv[1]!;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (is(argv[j], 'REPLACE')) replace = true;
    else if (is(argv[j], 'ABSTTL')) absttl = true;
    else if (is(argv[j], 'IDLETIME') && more >= 1 && freq === -1) {
      const n = parseInt64(argv[++j]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      if (n < 0) throw new ReplyError(Err.restoreIdletime);
      idle = Number(n);
    } else if (is(argv[j], 'FREQ') && more >= 1 && idle === -1) {
      const n = parseInt64(argv[++j]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      if (n < 0 || n > 255) throw new ReplyError(Err.restoreFreq);
      freq = Number(n);
    } else throw new ReplyError(Err.syntax);
  }
  if (!replace && db.get(key) !== undefined) throw new ReplyError(Err.busyKey);
  const ttlArg = parseInt64(argv[2]!);
  if (ttlArg === null) throw new ReplyError(Err.notInteger);
  if (ttlArg < 0) throw new ReplyError(Err.restoreTtl);
  const b = verifyPayload(argv[3]!, server.debugFlags.skipChecksumValidation);
  const val = decodePayload(ctx, b);
  let deleted = false;
  if (replace) deleted = db.delete(key);
  let when = typeof ttlArg === 'bigint' ? Number(ttlArg) : ttlArg;
  if (when !== 0 && !absttl) when += server.now();
  if (when !== 0 && db.isPast(when)) {
    // already expired: nothing is created (a replaced key is gone)
    if (deleted) {
      db.notify('g', 'del', key);
      // as Redis's restoreCommand: UNLINK when lazyfree-lazy-server-del freed it lazily
      ctx.replayAs([[server.config.v['lazyfree-lazy-server-del'] ? 'UNLINK' : 'DEL', key]]);
    } else ctx.replayAs([]);
    return reply.ok();
  }
  if (when !== 0) db.setWithExpire(key, val, when);
  else db.set(key, val);
  const slot = db.dict.slot(key);
  const d = db.dict;
  if (d.hasMeta && slot >= 0) {
    if (server.hot.lfu) {
      if (freq >= 0) d.setMetaAt(slot, ((Math.floor(server.now() / 60000) & 0xffff) << 8) | freq);
    } else if (idle >= 0) {
      d.setMetaAt(slot, (lruClock(server.now()) - idle + 0x1000000) & 0xffffff);
    }
  }
  db.notify('g', 'restore', key);
  // replayed with an absolute TTL (Redis 7 rewrites it the same way)
  if (when !== 0 && !absttl) ctx.replayAs([[...argv.slice(0, 2), String(when), ...argv.slice(3), 'ABSTTL']]);
  reply.ok();
}

/* ---------------------------------------------------------------------------
 * For commands/server.ts
 * ------------------------------------------------------------------------- */

/** DEBUG DIGEST */
export function debugDigest(ctx: Ctx): void {
  ctx.reply.simple(datasetDigest(ctx.server));
}

/** DEBUG DIGEST-VALUE key [key ...] */
export function debugDigestValue(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) reply.simple(keyValueDigest(db, argv[j]!));
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load the file back. */
export function debugReload(ctx: Ctx): void {
  const { server, argv } = ctx;
  let flush = true;
  let doSave = true;
  let merge = false;
  for (let j = 2; j < argv.length; j++) {
    if (is(argv[j], 'MERGE')) merge = true;
    else if (is(argv[j], 'NOFLUSH')) flush = false;
    else if (is(argv[j], 'NOSAVE')) doSave = false;
    else throw new ReplyError(Err.debugReloadOptions);
  }
  const file = rdbPath(server);
  if (doSave) {
    // (a BGSAVE would rename its older snapshot over this one; an AOF rewrite does not touch the file)
    const b = persist(server).bgsave;
    if (b !== null && b.opts.onDone === undefined) b.abort();
    try {
      saveSync(server, file);
    } catch {
      throw new ReplyError(Err.debugSaveFailed);
    }
  }
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new ReplyError(Err.debugRdbLoad((e as Error).message));
  }
  // NOFLUSH without MERGE: a library the file has and the server too fails the load before anything changes
  const conflict = flush || merge ? null : rdbLibraryConflict(server, buf);
  if (conflict !== null) {
    server.log.warning(`Failed loading library, ${conflict}`);
    throw new ReplyError(Err.debugRdbLoadFailed);
  }
  if (flush) emptyData(server);
  try {
    loadRdbBuffer(server, buf, file, false, merge);
  } catch (e) {
    if (e instanceof RdbLoadError) {
      server.log.warning(e.message);
      throw new ReplyError(Err.debugRdbLoadFailed);
    }
    throw e;
  }
  server.log.notice('DB reloaded by DEBUG RELOAD');
  ctx.reply.ok();
}

/**
 * DEBUG LOADAOF, as Redis's: writes out what the running AOF buffers,
 * empties the data, reads the manifest from disk again, deletes history
 * files, and replays the files it names as at start (with server.loading
 * set; Redis's internal AOF client: no gate refuses what is replayed, and
 * nothing of it is propagated again). Nothing to load (no manifest) is an
 * error, after the data is emptied, as in Redis. (A manifest that cannot be
 * read makes Redis exit; tsdis replies the error and keeps running empty.)
 */
export function debugLoadAof(ctx: Ctx): void {
  const { server } = ctx;
  const aof = server.aof;
  if (aof.state !== 'off') aof.flush(true);
  emptyData(server);
  let status;
  try {
    aof.loadManifest();
    aof.delHistoryFiles();
    status = loadAof(aof, aofReplayer(server));
  } catch (e) {
    if (!(e instanceof AofLoadError)) throw e;
    status = 'failed';
  }
  if (status !== 'ok' && status !== 'empty') throw new ReplyError(Err.debugAofLoadFailed);
  ctx.replayAs([]);
  server.propagator.saved();
  server.log.notice('Append Only File loaded by DEBUG LOADAOF');
  ctx.reply.ok();
}

/**
 * The persistence half of a shutdown (the end of Redis's finishShutdown),
 * for server/shutdown.ts: stops a background save or AOF rewrite, syncs
 * the AOF, and saves the dataset when SAVE was given, or save points are
 * configured and NOSAVE was not — with Redis's log lines in Redis's order.
 * Returns false when the save failed, or the first AOF rewrite runs, and
 * FORCE was not given (the shutdown is then cancelled and the caller logs it).
 */
export function shutdownPersistence(
  server: Ctx['server'],
  opts: { save?: boolean; nosave?: boolean; force?: boolean },
): boolean {
  const aof = server.aof;
  const bg = persist(server).bgsave;
  if (bg !== null && !aof.rewriting) {
    server.log.warning('There is a child saving an .rdb. Killing it!');
    bg.abort();
  }
  if (aof.rewriting) {
    // AOF turned on at run time and its first rewrite not done: the files do not hold the data yet
    if (aof.state === 'wait-rewrite') {
      if (opts.force) server.log.warning('Writing initial AOF. Exit anyway.');
      else {
        server.log.warning("Writing initial AOF, can't exit.");
        return false;
      }
    }
    server.log.warning('There is a child rewriting the AOF. Killing it!');
    aof.kill();
  }
  if (aof.state !== 'off') {
    server.log.notice('Calling fsync() on the AOF file.');
    aof.sync();
  }
  if (opts.nosave || (!opts.save && savePoints(server).length === 0)) return true;
  server.log.notice('Saving the final RDB snapshot before exiting.');
  try {
    saveSync(server);
    return true;
  } catch {
    if (opts.force) {
      server.log.warning('Error trying to save the DB. Exit anyway.');
      return true;
    }
    server.log.warning("Error trying to save the DB, can't exit.");
    return false;
  }
}

/* ---------------------------------------------------------------------------
 * Declarations
 * ------------------------------------------------------------------------- */

/** RESTORE's documentation, shared with RESTORE-ASKING (commands/migrate.ts). */
export const RESTORE_COMPLEXITY =
  'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).';
export const RESTORE_HISTORY: [string, string][] = [
  ['3.0.0', 'Added the `REPLACE` modifier.'],
  ['5.0.0', 'Added the `ABSTTL` modifier.'],
  ['5.0.0', 'Added the `IDLETIME` and `FREQ` options.'],
];
export const RESTORE_ARGS: ArgDoc[] = [
  keyArg(),
  { name: 'ttl', type: 'integer' },
  { name: 'serialized-value', type: 'string' },
  { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', flags: ['optional'] },
  { name: 'absttl', type: 'pure-token', token: 'ABSTTL', since: '5.0.0', flags: ['optional'] },
  { name: 'seconds', type: 'integer', token: 'IDLETIME', since: '5.0.0', flags: ['optional'] },
  { name: 'frequency', type: 'integer', token: 'FREQ', since: '5.0.0', flags: ['optional'] },
];

export const commands: readonly CommandSpec[] = [
  command({
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    group: 'server',
    since: '1.0.0',
    summary: 'Writes the dataset to the RDB file, blocking until done.',
    complexity: 'O(N) where N is the total number of keys in all databases',
    handler: save,
  }),
  command({
    name: 'bgsave',
    arity: -1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    group: 'server',
    since: '1.0.0',
    summary: 'Writes a point-in-time snapshot of the dataset to the RDB file while clients keep being served.',
    complexity: 'O(1)',
    history: [['3.2.2', 'Added the `SCHEDULE` option.']],
    args: [{ name: 'schedule', type: 'pure-token', token: 'SCHEDULE', since: '3.2.2', flags: ['optional'] }],
    handler: bgsave,
  }),
  command({
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'generic',
    since: '2.6.0',
    summary: "Serializes a key's value in the RDB format, with a version and checksum, for RESTORE.",
    complexity:
      'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    args: [keyArg()],
    handler: dump,
  }),
  command({
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    acl: ['keyspace', 'dangerous'],
    keySpecs: [keyAt(1, OVERWRITE)],
    group: 'generic',
    since: '2.6.0',
    summary: 'Creates a key from a DUMP payload.',
    complexity: RESTORE_COMPLEXITY,
    history: RESTORE_HISTORY,
    args: RESTORE_ARGS,
    handler: restore,
  }),
];

/**
 * DEBUG: the subcommands Redis's own tests and tools use (behind
 * enable-debug-command; the dispatcher's protected gate checks it). Those
 * that print a structure to Redis's stdout log a summary here; those that
 * tune internals tsdis does not have (quicklist plain nodes, reply buffer
 * resizing) validate their argument as Redis does and change nothing; the
 * rest (jemalloc, crashes) reply that tsdis does not support them.
 * DROP-CLUSTER-PACKET-FILTER and CLUSTERLINK KILL act on the cluster bus
 * (cluster/cluster.ts).
 */
import { Buffer } from 'node:buffer';
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64, strtod } from '../util/numbers.js';
import { lruClock } from '../observability/info.js';
import { newReplId } from '../replication/replication.js';
import { isString, stringEncoding, strValue, type Collection, type Value } from '../keyspace/value.js';
import { List } from '../types/list.js';
import { idleMs } from '../keyspace/access.js';
import { memtoull } from '../config/special.js';
import { globMatch } from '../util/glob.js';
import { argRangeOr } from './args.js';
import { helpReply } from './help.js';
import { debugDigest, debugDigestValue, debugLoadAof, debugReload } from './persistence.js';

/** C's strtod(arg, NULL) on an argument: the value of its longest numeric prefix (0 when none), up to a NUL. */
function strtodValue(s: string): number {
  const nul = s.indexOf('\0');
  return strtod(nul < 0 ? s : s.slice(0, nul)).value;
}

/** Bytes of an RDB length prefix. */
function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Bytes of an integer in RDB's int encodings (8, 16, 32 bits), or 0 when it needs a string. */
function rdbIntBytes(n: number): number {
  if (n >= -128 && n <= 127) return 2;
  if (n >= -32768 && n <= 32767) return 3;
  if (n >= -2147483648 && n <= 2147483647) return 5;
  return 0;
}

/**
 * The RDB-serialized length of a string as DEBUG OBJECT reports it: the int
 * encodings for short canonical integers, else length prefix + bytes. LZF
 * compression (strings over 20 bytes) is not modelled yet.
 */
function rdbStringLen(s: string): number {
  if (s.length <= 11 && /^(0|-?[1-9][0-9]*)$/.test(s)) {
    const b = rdbIntBytes(Number(s));
    if (b) return b;
  }
  return rdbLenBytes(s.length) + s.length;
}

/**
 * A collection as serializedLength() reads it: a type may give its own
 * length, or its elements to sum (none of today's types does either, so a
 * collection counts 1).
 */
interface Measurable extends Collection {
  serializedLength?: () => number;
  [Symbol.iterator]?: () => Iterator<unknown>;
}

/** serializedlength of a value: exact for strings, summed element by element for collections. */
function serializedLength(v: Value): number {
  if (typeof v === 'number') return rdbIntBytes(v) || rdbStringLen(String(v));
  if (typeof v === 'string') return rdbStringLen(v);
  if (Buffer.isBuffer(v)) return rdbStringLen(v.latin1Slice(0, v.length));
  const c: Measurable = v;
  const custom = c.serializedLength;
  if (typeof custom === 'function') return custom.call(c);
  const it = c[Symbol.iterator];
  let n = 1;
  if (typeof it === 'function') {
    const elem = (e: unknown): number => {
      if (typeof e === 'string') return rdbStringLen(e);
      if (typeof e === 'number') return 9;
      if (Buffer.isBuffer(e)) return rdbLenBytes(e.length) + e.length;
      if (Array.isArray(e)) return e.reduce((a: number, x) => a + elem(x), 0);
      return 1;
    };
    const iter = it.call(c);
    for (let r = iter.next(); !r.done; r = iter.next()) n += elem(r.value);
  }
  return n;
}

/** A stable fake address for DEBUG OBJECT's "Value at:" (there are no pointers to show). */
function fakeAddress(key: string, dbId: number): string {
  let h = 0x9e3779b1 ^ dbId;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return '0x7f' + ((h >>> 0) * 16).toString(16).padStart(10, '0').slice(-10);
}

/** DEBUG OBJECT key: Redis's one-line summary of a value. */
function debugObject(ctx: Ctx): void {
  const { server, db } = ctx;
  const key = ctx.argv[2]!;
  // the key as stored, even when logically expired (Redis looks it up in the dict directly)
  const v = db.dict.get(key);
  if (v === undefined) throw new ReplyError(Err.noSuchKey);
  const policy = server.config.v['maxmemory-policy'];
  const noShared = server.config.v['maxmemory'] !== 0 && (policy.includes('lru') || policy.includes('lfu'));
  const shared = typeof v === 'number' && v >= 0 && v < 10000 && !noShared;
  const encoding = isString(v) ? stringEncoding(v) : v.encoding();
  const now = server.clock();
  const lru = shared ? lruClock(server.startTime) : db.dict.metaAt(db.dict.slot(key)) & 0xffffff;
  const idle = Math.floor(idleMs(lru, now) / 1000);
  let extra = '';
  if (encoding === 'quicklist' && v instanceof List) {
    const len = v.length;
    extra = ` ql_nodes:${Math.max(1, Math.ceil(len / 128))} ql_avg_node:${(len / Math.max(1, Math.ceil(len / 128))).toFixed(2)} ql_listpack_max:${server.config.v['list-max-listpack-size']} ql_compressed:0 ql_uncompressed_size:${serializedLength(v)}`;
  }
  ctx.reply.simple(
    `Value at:${fakeAddress(key, db.id)} refcount:${shared ? 2147483647 : 1} encoding:${encoding} serializedlength:${serializedLength(v)} lru:${lru} lru_seconds_idle:${idle}${extra}`,
  );
}

/** DEBUG PROTOCOL type: a sample reply of each RESP type, for client tests. */
function debugProtocol(ctx: Ctx): void {
  const r = ctx.reply;
  const t = ctx.argv[2]!.toLowerCase();
  switch (t) {
    case 'string':
      return r.bulk('Hello World');
    case 'integer':
      return r.int(12345);
    case 'double':
      return r.double(3.141);
    case 'bignum':
      return r.bigNumber('1234567999999999999999999999999999999');
    case 'null':
      return r.null();
    case 'array':
    case 'set':
    case 'map':
      if (t === 'array') r.array(3);
      else if (t === 'set') r.set(3);
      else r.map(3);
      for (let j = 0; j < 3; j++) {
        r.int(j);
        if (t === 'map') r.bool(j === 1);
      }
      return;
    case 'attrib':
      if (r.resp === 3) {
        r.raw('|1\r\n');
        r.bulk('key-popularity');
        r.array(2);
        r.bulk('key:123');
        r.int(90);
      }
      return r.bulk('Some real reply following the attribute');
    case 'push':
      if (r.resp !== 3) throw new ReplyError(Err.debugResp2);
      r.push(2);
      r.bulk('server-cpu-usage');
      r.int(42);
      return r.bulk('Some real reply following the push reply');
    case 'verbatim':
      return r.verbatim('This is a verbatim\nstring');
    case 'true':
      return r.bool(true);
    case 'false':
      return r.bool(false);
    default:
      throw new ReplyError(Err.debugProtocolType);
  }
}

/**
 * DEBUG POPULATE count [prefix] [size]: creates missing keys prefix:N with
 * values value:N (padded with NULs to size). As Redis's (dbAdd without
 * touching server.dirty) it counts no change: nothing goes to the AOF or to
 * replicas (Redis's replication tests give a primary keys its replicas lack
 * this way) and no save point fires for it.
 */
function debugPopulate(ctx: Ctx): void {
  const { argv, db } = ctx;
  const dirty = ctx.server.propagator.dirty;
  const count = argRangeOr(argv[2]!, 0, Number.MAX_SAFE_INTEGER, Err.mustBePositive);
  const size = argv.length === 5 ? argRangeOr(argv[4]!, 0, Number.MAX_SAFE_INTEGER, Err.mustBePositive) : 0;
  const prefix = argv.length >= 4 ? argv[3]! : 'key';
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (db.has(key)) continue;
    const base = `value:${j}`;
    const val = size === 0 ? base : size <= base.length ? base.slice(0, size) : base + '\0'.repeat(size - base.length);
    db.set(key, size === 0 ? strValue(val) : val);
  }
  ctx.server.propagator.restoreDirty(dirty);
  ctx.reply.ok();
}

/** Blocks the event loop, as DEBUG SLEEP blocks Redis's main thread. */
function sleepMs(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** DEBUG HELP: Redis's lines (in its order) for the subcommands tsdis implements. */
const DEBUG_HELP = [
  'AOF-FLUSH-SLEEP <microsec>',
  '    Server will sleep before flushing the AOF, this is used for testing.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'REPLICATE <string>',
  '    Replicates the provided string to replicas, allowing data divergence.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'DROP-CLUSTER-PACKET-FILTER <packet-type>',
  '    Drop all packets that match the filtered type. Set to -1 allow all packets.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  "    it is used instead of the 'key' prefix. These are not propagated to",
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'LISTPACK <key>',
  '    Show low level info about the listpack encoding of <key>.',
  'QUICKLIST <key> [<0|1>]',
  '    Show low level info about the quicklist encoding of <key>.',
  '    The optional argument (0 by default) sets the level of detail',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
  '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
  '    In case NEVER is provided the last observed peak will never be reset',
  '    In case RESET is provided the peak reset time will be restored to the default value',
  'REPLYBUFFER RESIZING <0|1>',
  '    Enable or disable the reply buffer resize cron job',
  'CLUSTERLINK KILL <to|from|all> <node-id>',
  '    Kills the link based on the direction to/from (both) with the provided node.',
];

/** C's atoi: optional white space and sign, then decimal digits (0 when none). */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]) | 0;
}

/** DEBUG QUICKLIST-PACKED-THRESHOLD size: Redis's range check (tsdis's lists have no plain nodes to tune). */
function debugPackedThreshold(ctx: Ctx): void {
  const sz = memtoull(ctx.argv[2]!);
  if (sz === null || sz > (1n << 32n) - (1n << 20n)) throw new ReplyError(Err.debugMallocSize);
  ctx.reply.ok();
}

/** DEBUG LISTPACK key / DEBUG QUICKLIST key [full]: the structure goes to the log (Redis: stdout). */
function debugStructure(ctx: Ctx, kind: 'listpack' | 'quicklist'): void {
  const key = ctx.argv[2]!;
  const v = ctx.db.readNoTouch(key, false);
  if (v === undefined) throw new ReplyError(Err.noSuchKey);
  const enc = isString(v) ? stringEncoding(v) : v.encoding();
  // (a hash with field TTLs, Redis 7.4's listpackex, is a listpack too)
  if (enc !== kind && !(kind === 'listpack' && enc === 'listpackex')) throw new ReplyError(Err.debugNotEncoded(kind));
  ctx.server.log.notice(
    `DEBUG ${kind.toUpperCase()} ${key}: ${enc} with ${(v as { length?: number; size?: number }).length ?? (v as { size?: number }).size ?? '?'} elements`,
  );
  ctx.reply.simple(`${kind === 'listpack' ? 'Listpack' : 'Quicklist'} structure printed on stdout`);
}

/** DEBUG REPLYBUFFER PEAK-RESET-TIME never|reset|ms / RESIZING 0|1: the clients cron's reply buffer sizing (clientlist.ts resizeReplyBuffer). */
function debugReplyBuffer(ctx: Ctx): void {
  const [, , what, val] = ctx.argv as [string, string, string, string];
  const flags = ctx.server.debugFlags;
  if (what.toLowerCase() === 'peak-reset-time') {
    const v = val.toLowerCase();
    if (v === 'never') flags.replyBufferPeakResetMs = -1;
    else if (v === 'reset') flags.replyBufferPeakResetMs = 5000;
    else {
      const ms = parseInt64(val);
      if (ms === null) throw new ReplyError(Err.notInteger);
      flags.replyBufferPeakResetMs = Number(ms);
    }
  } else if (what.toLowerCase() === 'resizing') flags.replyBufferResizing = atoi(val) !== 0;
  else throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'DEBUG'));
  ctx.reply.ok();
}

/** DEBUG STRINGMATCH-TEST: random patterns and strings through the glob matcher (Redis fuzzes stringmatchlen). */
function debugStringmatchTest(ctx: Ctx): void {
  const rnd = ctx.server.random;
  const chars = 'abc*?[]^-\\';
  const gen = (n: number) =>
    Array.from({ length: Math.floor(rnd() * n) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
  for (let i = 0; i < 10000; i++) globMatch(gen(16), gen(16));
  ctx.reply.simple('Apparently Redis did not crash: test passed');
}

/**
 * DEBUG PANIC / ASSERT / SEGFAULT: Redis's panic or assertion lines in the log, then
 * the server's 'crash' event: the CLI logs its crash report and exits 1, or by SIGSEGV (no
 * reply, the process is gone). An embedded server, whose host must not die,
 * refuses.
 */
function debugCrash(ctx: Ctx, sub: 'panic' | 'assert' | 'segfault'): void {
  if (ctx.server.listenerCount('crash') === 0) throw new ReplyError(Err.debugEmbedded(sub.toUpperCase()));
  const log = ctx.server.log;
  // no memory to corrupt here: the CLI logs the crash and ends by the signal, as a segfault would
  if (sub === 'segfault') {
    ctx.server.emit('crash', 'SIGSEGV');
    return;
  }
  if (sub === 'panic') {
    log.warning('------------------------------------------------');
    log.warning('!!! Software Failure. Press left mouse button to continue');
    log.warning(`Guru Meditation: DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)} #debug.ts`);
  } else {
    log.warning('=== ASSERTION FAILED ===');
    log.warning("==> debug.ts '1 == 2' is not true");
  }
  ctx.server.emit('crash', new Error(`DEBUG ${sub.toUpperCase()}`));
}

/**
 * DEBUG DROP-CLUSTER-PACKET-FILTER type: cluster bus messages of that type
 * are dropped on receipt, after being counted (-1, or any number that is no
 * type: none). Links stay up. Allowed without cluster mode, as in Redis.
 */
function debugDropClusterPacketFilter(ctx: Ctx): void {
  const t = parseInt64(ctx.argv[2]!);
  if (t === null) throw new ReplyError(Err.notInteger);
  ctx.server.cluster.dropPacketFilter = Number(t);
  ctx.reply.ok();
}

/**
 * DEBUG CLUSTERLINK KILL to|from|all node-id: frees the bus link(s) with
 * that node (the cron reconnects ours). For an unknown direction Redis 7.2.4
 * sends its error and then +OK as well, two replies to one command; tsdis
 * sends the error only.
 */
function debugClusterLinkKill(ctx: Ctx): void {
  const c = ctx.server.cluster;
  if (!c.enabled) throw new ReplyError(Err.debugClusterOnly);
  const n = c.lookup(ctx.argv[4]!);
  if (n === undefined) throw new ReplyError(Err.clusterUnknownNode(ctx.argv[4]!));
  const dir = ctx.argv[3]!.toLowerCase();
  if (dir !== 'to' && dir !== 'from' && dir !== 'all') throw new ReplyError(Err.debugUnknownDirection(ctx.argv[3]!));
  c.killLinks(n, dir);
  ctx.reply.ok();
}

/** DEBUG subcommand [arg ...] */
function debug(ctx: Ctx): void {
  const { argv, server } = ctx;
  const sub = argv[1]!.toLowerCase();
  const n = argv.length;
  const flags = server.debugFlags;
  if (sub === 'help' && n === 2) return helpReply(ctx.reply, 'debug', DEBUG_HELP);
  if (sub === 'sleep' && n === 3) {
    // Redis converts seconds * 1e6 to a long long; beyond its range (inf,
    // NaN) x86-64 gives LLONG_MIN, and nanosleep refuses to sleep.
    const us = strtodValue(argv[2]!) * 1e6;
    if (us > -9223372036854775808 && us < 9223372036854775808) sleepMs(Math.trunc(us) / 1000);
    return ctx.reply.ok();
  }
  if (sub === 'set-active-expire' && n === 3) {
    server.activeExpire.enabled = atoi(argv[2]!) !== 0;
    return ctx.reply.ok();
  }
  if (sub === 'object' && n === 3) return debugObject(ctx);
  if (sub === 'protocol' && n === 3) return debugProtocol(ctx);
  if (sub === 'error' && n === 3) {
    ctx.reply.error(argv[2]!);
    return;
  }
  if (sub === 'log' && n === 3) {
    server.log.warning(`DEBUG LOG: ${argv[2]}`);
    return ctx.reply.ok();
  }
  if (sub === 'populate' && n >= 3 && n <= 5) return debugPopulate(ctx);
  if (sub === 'digest' && n === 2) return debugDigest(ctx);
  if (sub === 'digest-value') return debugDigestValue(ctx);
  if (sub === 'reload') return debugReload(ctx);
  if (sub === 'loadaof' && n === 2) return debugLoadAof(ctx);
  if (sub === 'quicklist-packed-threshold' && n === 3) return debugPackedThreshold(ctx);
  if (sub === 'listpack' && n === 3) return debugStructure(ctx, 'listpack');
  if (sub === 'quicklist' && (n === 3 || n === 4)) return debugStructure(ctx, 'quicklist');
  if (sub === 'set-skip-checksum-validation' && n === 3) {
    flags.skipChecksumValidation = atoi(argv[2]!) !== 0;
    return ctx.reply.ok();
  }
  if (sub === 'aof-flush-sleep' && n === 3) {
    flags.aofFlushSleepUs = Math.max(0, atoi(argv[2]!));
    return ctx.reply.ok();
  }
  if (sub === 'pause-cron' && n === 3) {
    flags.pauseCron = atoi(argv[2]!) !== 0;
    return ctx.reply.ok();
  }
  if (sub === 'set-disable-deny-scripts' && n === 3) {
    flags.allowDenyScripts = atoi(argv[2]!) !== 0;
    return ctx.reply.ok();
  }
  if (sub === 'change-repl-id' && n === 2) {
    server.log.notice('Changing replication IDs after receiving DEBUG change-repl-id');
    server.repl.replid = newReplId();
    server.repl.clearReplId2();
    return ctx.reply.ok();
  }
  if (sub === 'replicate' && n >= 3) {
    // the arguments as one command of the replication stream, with no SELECT (Redis's
    // replicationFeedSlaves with dictid -1); a replica only proxies its primary's stream
    if (!server.repl.following) server.repl.feed(-1, argv.slice(2));
    return ctx.reply.ok();
  }
  if (sub === 'replybuffer' && n === 4) return debugReplyBuffer(ctx);
  if (sub === 'stringmatch-test' && n === 2) return debugStringmatchTest(ctx);
  if (sub === 'panic' || sub === 'assert' || sub === 'segfault') return debugCrash(ctx, sub);
  if (sub === 'config-rewrite-force-all' && n === 2) {
    try {
      server.config.rewriteFile(true);
    } catch (e) {
      throw new ReplyError(Err.debugRewriteForceAll((e as Error).message.replace(/^ERR /, '')));
    }
    return ctx.reply.ok();
  }
  if (sub === 'drop-cluster-packet-filter' && n === 3) return debugDropClusterPacketFilter(ctx);
  if (sub === 'clusterlink' && n === 5 && argv[2]!.toLowerCase() === 'kill') return debugClusterLinkKill(ctx);
  if (sub === 'client-eviction' && n === 2) {
    if (!server.config.v['maxmemory-clients']) throw new ReplyError(Err.maxmemoryClientsDisabled);
    return ctx.reply.verbatim(server.clientEviction.bucketsReport(), 'txt');
  }
  if (DEBUG_UNSUPPORTED.has(sub)) throw new ReplyError(Err.debugUnsupported(argv[1]!.toUpperCase()));
  throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, argv[0]!));
}

/** Redis DEBUG subcommands tsdis does not implement (they reply an error saying so). */
const DEBUG_UNSUPPORTED = new Set([
  'restart',
  'crash-and-recover',
  'oom',
  'protocol-sanitize',
  'sdslen',
  'mallctl',
  'mallctl-str',
  'htstats',
  'htstats-key',
  'jmap',
  'structsize',
  'leak',
  'dict-resizing',
  'script',
]);

export const commands: readonly CommandSpec[] = [
  command({
    name: 'debug',
    mayNeedVm: true,
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    summary: 'Debugging and testing helpers.',
    complexity: 'Depends on subcommand.',
    docFlags: ['syscmd'],
    protectedBy: 'enable-debug-command',
    handler: debug,
  }),
];

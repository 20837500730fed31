/**
 * Server and introspection commands: INFO, SLOWLOG, MEMORY, TIME, LASTSAVE,
 * SHUTDOWN (CLIENT is in client.ts, DEBUG in debug.ts). The report texts themselves (INFO sections,
 * CLIENT LIST lines, memory estimates) live in src/observability/; handlers
 * here parse arguments and pick what to report.
 */
import { command, keyArg, keyAt, READ_META, type CommandSpec, type Ctx } from './spec.js';
import { argRangeOr, is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { genInfo, selectSections, nowUsec } from '../observability/info.js';
import { keyUsage, memoryOverhead, mallocStats, memoryDoctor, refreshScripts } from '../observability/memory.js';
import { scriptingInfo } from '../scripting/info.js';
import { helpReply } from './help.js';
import { clientCommand } from './client.js';

// ---------------------------------------------------------------------------
// INFO, TIME, LASTSAVE

/** INFO [section [section ...]] */
function info(ctx: Ctx): void {
  ctx.reply.verbatim(genInfo(ctx.server, selectSections(ctx.argv.slice(1))));
}

/** TIME: [unix seconds, microseconds], both as bulk strings. */
function time(ctx: Ctx): void {
  const us = Math.floor(nowUsec(ctx.server));
  const sec = Math.floor(us / 1e6);
  ctx.reply.array(2);
  ctx.reply.bulk(String(sec));
  ctx.reply.bulk(String(us - sec * 1e6));
}

/** LASTSAVE */
function lastsave(ctx: Ctx): void {
  ctx.reply.int(ctx.server.lastSave);
}

// ---------------------------------------------------------------------------
// SHUTDOWN

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
 * Without NOW, a primary whose replicas lag waits for them (server/shutdown.ts)
 * with this caller blocked; ABORT cancels that wait, or a signal's shutdown
 * not yet taken by the cron. On success no reply is sent: the server emits
 * 'shutdown' (the CLI exits once the server has closed) and closes every
 * listener and client, this one included. A failed save (or the first AOF
 * rewrite running) refuses it unless FORCE.
 */
function shutdown(ctx: Ctx): void {
  const { server, argv } = ctx;
  let nosave = false;
  let save = false;
  let now = false;
  let force = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === 'nosave') nosave = true;
    else if (a === 'save') save = true;
    else if (a === 'now') now = true;
    else if (a === 'force') force = true;
    else if (a === 'abort') abort = true;
    else throw new ReplyError(Err.syntax);
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) throw new ReplyError(Err.syntax);
  if (abort) {
    if (!server.shutdown.abort()) throw new ReplyError(Err.noShutdown);
    return ctx.reply.ok();
  }
  if (server.closing) return;
  const outcome = server.shutdown.request({ save, nosave, now, force });
  if (outcome === 'failed') throw new ReplyError(Err.shutdownFailed);
  if (outcome === 'waiting') return server.shutdown.block(ctx.client);
  ctx.client.closeAfterReply = true;
}

// ---------------------------------------------------------------------------
// SLOWLOG

/** SLOWLOG GET [count]: newest first; count defaults to 10, -1 means all. */
function slowlogGet(ctx: Ctx): void {
  const { argv, server, reply } = ctx;
  if (argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, argv[0]!));
  let count = 10;
  if (argv.length === 3) {
    count = argRangeOr(argv[2]!, -1, Number.MAX_SAFE_INTEGER, Err.countAtLeastMinusOne);
  }
  const entries = server.slowlog.entries;
  const n = count === -1 ? entries.length : Math.min(count, entries.length);
  reply.array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    reply.array(6);
    reply.int(e.id);
    reply.int(e.time);
    reply.int(e.usec);
    reply.bulks(e.argv);
    reply.bulk(e.addr);
    reply.bulk(e.name);
  }
}

/** SLOWLOG LEN */
function slowlogLen(ctx: Ctx): void {
  ctx.reply.int(ctx.server.slowlog.entries.length);
}

/** SLOWLOG RESET */
function slowlogReset(ctx: Ctx): void {
  ctx.server.slowlog.reset();
  ctx.reply.ok();
}

/** SLOWLOG HELP */
function slowlogHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'slowlog', [
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
  ]);
}

// ---------------------------------------------------------------------------
// MEMORY

/**
 * MEMORY USAGE key [SAMPLES count]: the bytes the key costs as used_memory
 * counts them (observability/memory.ts), null when missing. SAMPLES is
 * checked as Redis checks it; every type keeps its size, so none are taken.
 */
function memoryUsage(ctx: Ctx): void {
  const { argv } = ctx;
  let samples = 5;
  for (let j = 3; j < argv.length; j++) {
    if (is(argv[j], 'SAMPLES') && j + 1 < argv.length) {
      const n = parseInt64(argv[j + 1]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      if (n < 0) throw new ReplyError(Err.syntax);
      samples = Number(n);
      j++;
    } else throw new ReplyError(Err.syntax);
  }
  const key = argv[2]!;
  const v = ctx.db.readNoTouch(key, false);
  if (v === undefined) return ctx.reply.null();
  void samples;
  ctx.reply.int(keyUsage(ctx.db, key, v, ctx.db.getExpire(key) !== -1));
}

/** MEMORY STATS: the memory figures as a map, with Redis's field names. */
function memoryStats(ctx: Ctx): void {
  const { reply, server } = ctx;
  const si = scriptingInfo(server);
  refreshScripts(server, si.evalBytes, si.functionsBytes);
  const mh = memoryOverhead(server);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  reply.map(27 + mh.dbs.length);
  const int = (k: string, v: number) => {
    reply.bulk(k);
    reply.int(Math.round(v));
  };
  const dbl = (k: string, v: number) => {
    reply.bulk(k);
    reply.double(v);
  };
  int('peak.allocated', mh.peak);
  int('total.allocated', mh.used);
  int('startup.allocated', mh.startup);
  int('replication.backlog', mh.replBacklog);
  int('clients.slaves', mh.clientsSlaves);
  int('clients.normal', mh.clientsNormal);
  int('cluster.links', mh.clusterLinks);
  int('aof.buffer', mh.aofBuffer);
  int('lua.caches', mh.luaCaches);
  int('functions.caches', mh.functionsCaches);
  for (const [id, main, exp] of mh.dbs) {
    reply.bulk(`db.${id}`);
    reply.map(3);
    int('overhead.hashtable.main', main);
    int('overhead.hashtable.expires', exp);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', mh.overheadTotal);
  int('keys.count', mh.keys);
  int('keys.bytes-per-key', mh.keys > 0 ? Math.floor((mh.used - mh.startup) / mh.keys) : 0);
  int('dataset.bytes', mh.dataset);
  dbl('dataset.percentage', ratio(mh.dataset, mh.used - mh.startup) * 100);
  dbl('peak.percentage', ratio(mh.used, mh.peak) * 100);
  int('allocator.allocated', mh.allocatorAllocated);
  int('allocator.active', mh.allocatorActive);
  int('allocator.resident', mh.allocatorResident);
  dbl('allocator-fragmentation.ratio', ratio(mh.allocatorActive, mh.allocatorAllocated));
  int('allocator-fragmentation.bytes', mh.allocatorActive - mh.allocatorAllocated);
  dbl('allocator-rss.ratio', ratio(mh.allocatorResident, mh.allocatorActive));
  int('allocator-rss.bytes', mh.allocatorResident - mh.allocatorActive);
  dbl('rss-overhead.ratio', ratio(mh.rss, mh.allocatorResident));
  int('rss-overhead.bytes', mh.rss - mh.allocatorResident);
  dbl('fragmentation', ratio(mh.rss, mh.used));
  int('fragmentation.bytes', mh.rss - mh.used);
}

/** MEMORY DOCTOR */
function memoryDoctorCmd(ctx: Ctx): void {
  ctx.reply.verbatim(memoryDoctor(ctx.server));
}

/** MEMORY MALLOC-STATS: V8's heap statistics (there is no malloc to ask). */
function memoryMallocStats(ctx: Ctx): void {
  ctx.reply.verbatim(mallocStats());
}

/** MEMORY PURGE: runs a full GC when Node was started with --expose-gc; OK either way. */
function memoryPurge(ctx: Ctx): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
  ctx.reply.ok();
}

/** MEMORY HELP */
function memoryHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'memory', [
    'DOCTOR',
    '    Return memory problems reports.',
    'MALLOC-STATS',
    '    Return internal statistics report from the memory allocator.',
    'PURGE',
    '    Attempt to purge dirty pages for reclamation by the allocator.',
    'STATS',
    '    Return information about the memory usage of the server.',
    'USAGE <key> [SAMPLES <count>]',
    '    Return memory in bytes used by <key> and its value. Nested values are',
    '    sampled up to <count> times (default: 5, 0 means sample all).',
  ]);
}

export const commands: CommandSpec[] = [
  command({
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    acl: ['dangerous'],
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
    group: 'server',
    since: '1.0.0',
    summary: 'Reports server state and statistics, by section.',
    complexity: 'O(1)',
    history: [['7.0.0', 'Added support for taking multiple section arguments.']],
    args: [{ name: 'section', type: 'string', flags: ['optional', 'multiple'] }],
    handler: info,
  }),
  command({
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    tips: ['nondeterministic_output'],
    group: 'server',
    since: '2.6.0',
    summary: 'Returns the server clock as seconds and microseconds.',
    complexity: 'O(1)',
    handler: time,
  }),
  command({
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    acl: ['admin', 'dangerous'],
    tips: ['nondeterministic_output'],
    group: 'server',
    since: '1.0.0',
    summary: 'Returns the Unix time of the last successful save.',
    complexity: 'O(1)',
    handler: lastsave,
  }),
  command({
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    group: 'server',
    since: '1.0.0',
    summary: 'Stops the server, optionally saving first.',
    complexity:
      'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    history: [['7.0.0', 'Added the `NOW`, `FORCE` and `ABORT` modifiers.']],
    args: [
      {
        name: 'nosave_save',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'nosave', type: 'pure-token', token: 'NOSAVE' },
          { name: 'save', type: 'pure-token', token: 'SAVE' },
        ],
      },
      { name: 'now', type: 'pure-token', token: 'NOW', since: '7.0.0', flags: ['optional'] },
      { name: 'force', type: 'pure-token', token: 'FORCE', since: '7.0.0', flags: ['optional'] },
      { name: 'abort', type: 'pure-token', token: 'ABORT', since: '7.0.0', flags: ['optional'] },
    ],
    handler: shutdown,
  }),
  clientCommand,
  command({
    name: 'slowlog',
    arity: -2,
    flags: [],
    group: 'server',
    since: '2.2.12',
    summary: 'Inspects or clears the log of slow commands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'reset',
        arity: 2,
        flags: ['admin', 'loading', 'stale'],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        group: 'server',
        since: '2.2.12',
        summary: 'Empties the slow log.',
        complexity: 'O(N) where N is the number of entries in the slowlog',
        handler: slowlogReset,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'server',
        since: '6.2.0',
        summary: 'Lists the SLOWLOG subcommands.',
        complexity: 'O(1)',
        handler: slowlogHelp,
      }),
      command({
        name: 'get',
        arity: -2,
        flags: ['admin', 'loading', 'stale'],
        tips: ['request_policy:all_nodes', 'nondeterministic_output'],
        group: 'server',
        since: '2.2.12',
        summary: 'Returns the newest slow log entries.',
        complexity: 'O(N) where N is the number of entries returned',
        history: [['4.0.0', 'Added client IP address, port and name to the reply.']],
        args: [{ name: 'count', type: 'integer', flags: ['optional'] }],
        handler: slowlogGet,
      }),
      command({
        name: 'len',
        arity: 2,
        flags: ['admin', 'loading', 'stale'],
        tips: ['request_policy:all_nodes', 'response_policy:agg_sum', 'nondeterministic_output'],
        group: 'server',
        since: '2.2.12',
        summary: 'Returns the number of entries in the slow log.',
        complexity: 'O(1)',
        handler: slowlogLen,
      }),
    ],
  }),
  command({
    name: 'memory',
    arity: -2,
    flags: [],
    group: 'server',
    since: '4.0.0',
    summary: 'Reports on memory use.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'malloc-stats',
        arity: 2,
        flags: [],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server',
        since: '4.0.0',
        summary: "Returns the memory allocator's own statistics.",
        complexity: 'Depends on how much memory is allocated, could be slow',
        handler: memoryMallocStats,
      }),
      command({
        name: 'doctor',
        arity: 2,
        flags: [],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server',
        since: '4.0.0',
        summary: 'Reports memory problems it can detect.',
        complexity: 'O(1)',
        handler: memoryDoctorCmd,
      }),
      command({
        name: 'usage',
        arity: -3,
        flags: ['readonly'],
        keySpecs: [keyAt(2, READ_META)],
        group: 'server',
        since: '4.0.0',
        summary: 'Estimates the bytes a key and its value take.',
        complexity: 'O(N) where N is the number of samples.',
        args: [keyArg(), { name: 'count', type: 'integer', token: 'SAMPLES', flags: ['optional'] }],
        handler: memoryUsage,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'server',
        since: '4.0.0',
        summary: 'Lists the MEMORY subcommands.',
        complexity: 'O(1)',
        handler: memoryHelp,
      }),
      command({
        name: 'purge',
        arity: 2,
        flags: [],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        group: 'server',
        since: '4.0.0',
        summary: 'Asks the allocator to give free memory back.',
        complexity: 'Depends on how much memory is allocated, could be slow',
        handler: memoryPurge,
      }),
      command({
        name: 'stats',
        arity: 2,
        flags: [],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        group: 'server',
        since: '4.0.0',
        summary: 'Returns memory usage figures.',
        complexity: 'O(1)',
        handler: memoryStats,
      }),
    ],
  }),
];

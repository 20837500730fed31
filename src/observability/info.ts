/**
 * INFO: the report text, section by section, with Redis 7.2's section names,
 * field names and order. Fields tsdis has no counterpart for yet (forks,
 * defrag, replication backlog, ...) are reported with the value an idle Redis
 * would show, so parsers find every field they expect.
 *
 * Section selection follows Redis: no argument means "default"; "all" is
 * every section except those modules add; "everything" is all of them;
 * names are case-insensitive and unknown ones are ignored. Sections are
 * always emitted in the fixed order below, separated by an empty line.
 */
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Server } from '../server/server.js';
import type { InfoFields } from '../server/subsystem.js';
import { REDIS_VERSION, TSDIS_VERSION } from '../version.js';
import { bytesToHuman, memoryOverhead, refreshScripts } from './memory.js';
import { latencyOf } from './latency.js';
import { clientType } from './clientlist.js';
import { scriptingInfo } from '../scripting/info.js';
import { scriptTimeUsec } from '../scripting/scripts.js';
import { loadingInfo, rdbInfo, saveProgress, persist } from '../persistence/snapshot.js';

const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'module_list',
  'errorstats',
  'cluster',
  'keyspace',
];

/** Identity that lives as long as the server: run id (Server.ids). */
export interface ServerIds {
  runId: string;
}

/** The server's run_id (40 random hex chars, made on first use). */
export function serverIds(server: Server): ServerIds {
  return (server.ids ??= {
    runId: crypto.randomBytes(20).toString('hex'),
  });
}

/** Which sections to emit for INFO's arguments. */
export interface SectionSelection {
  all: boolean;
  everything: boolean;
  names: Set<string>;
}

/** Turns INFO's arguments into a selection, as Redis does. */
export function selectSections(args: readonly string[]): SectionSelection {
  const sel: SectionSelection = { all: false, everything: false, names: new Set() };
  if (args.length === 0) {
    for (const s of DEFAULT_SECTIONS) sel.names.add(s);
    return sel;
  }
  for (const a of args) {
    const l = a.toLowerCase();
    if (l === 'default') for (const s of DEFAULT_SECTIONS) sel.names.add(s);
    else if (l === 'all') sel.all = true;
    else if (l === 'everything') {
      sel.all = true;
      sel.everything = true;
    } else sel.names.add(l);
  }
  return sel;
}

type Fields = InfoFields;

/** Formats a number with two decimals (Redis's %.2f). */
function f2(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '0.00';
}

/** Formats a percentile name as Redis trims it: 50, 99, 99.9. */
function pctName(p: number): string {
  return String(Number(p.toFixed(6)));
}

/** The seconds-resolution LRU clock, as object access times store it (24 bits). */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & 0xffffff;
}

/** `shutdown_in_milliseconds` while a shutdown waits for replicas (Redis's conditional field), else nothing. */
function shutdownField(server: Server): Fields {
  const ms = server.shutdown.remainingMs();
  return ms === null ? [] : [['shutdown_in_milliseconds', ms]];
}

/** The listeners in Redis 7.2's `listenerN:name=...,bind=...,port=...` form. */
function listenerFields(server: Server): Fields {
  const out: Fields = [];
  let n = 0;
  const port = server.addresses()[0]?.port ?? server.config.v['port'];
  if (port) {
    const binds = server.config.v['bind'].split(/\s+/).filter(Boolean);
    out.push([`listener${n++}`, `name=tcp,${binds.map((b) => `bind=${b}`).join(',')},port=${port}`]);
  }
  const unix = server.config.v['unixsocket'];
  if (unix) out.push([`listener${n++}`, `name=unix,bind=${unix}`]);
  return out;
}

function serverSection(server: Server): Fields {
  const now = server.clock();
  const uptime = Math.floor((now - server.startTime) / 1000);
  const hz = server.config.v['hz'];
  return [
    ['redis_version', REDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', crypto.createHash('sha1').update(`tsdis-${TSDIS_VERSION}`).digest('hex').slice(0, 16)],
    ['tsdis_version', TSDIS_VERSION],
    ['redis_mode', server.config.v['cluster-enabled'] ? 'cluster' : 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', serverIds(server).runId],
    // (Redis: port, or tls-port when there is no TCP port)
    ['tcp_port', server.addresses()[0]?.port ?? (server.config.v['port'] || server.config.v['tls-port'])],
    ['server_time_usec', Math.floor(nowUsec(server))],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    ['lru_clock', lruClock(now)],
    ['executable', process.argv[1] ? path.resolve(process.argv[1]) : process.execPath],
    ['config_file', server.config.configFile ?? ''],
    ['io_threads_active', 0],
    // (while a shutdown waits for lagging replicas: server/shutdown.ts)
    ...shutdownField(server),
    ...listenerFields(server),
  ];
}

/**
 * Current time in microseconds: the injected clock, refined by the
 * monotonic clock when it is the real one; while a script runs, the time it
 * started (scripting/scripts.ts scriptTimeUsec: TIME, server_time_usec).
 */
export function nowUsec(server: Server, perfNow?: number): number {
  const frozen = scriptTimeUsec(server);
  if (frozen !== null) return frozen;
  return clockUsec(server, perfNow);
}

/** The current time in microseconds, never frozen (see nowUsec); `perfNow`: a performance.now() reading just taken. */
export function clockUsec(server: Server, perfNow = performance.now()): number {
  if (server.clock === Date.now) return (performance.timeOrigin + perfNow) * 1000;
  return server.clock() * 1000;
}

function clientsSection(server: Server): Fields {
  let pubsub = 0;
  let maxIn = 0;
  let maxOut = 0;
  for (const c of server.clients.values()) {
    if (clientType(c) === 'pubsub') pubsub++;
    maxIn = Math.max(maxIn, c.parser.buffered);
    maxOut = Math.max(maxOut, c.reply.out.length + c.socketUnsent);
  }
  return [
    // (replicas are not counted: Redis's listLength(clients) - listLength(slaves))
    ['connected_clients', server.clients.size - server.repl.primary.replicas.length],
    // (Redis's getClusterConnectionsCount: two links per other node)
    ['cluster_connections', server.cluster.enabled ? (server.cluster.nodes.size - 1) * 2 : 0],
    ['maxclients', server.config.v['maxclients']],
    ['client_recent_max_input_buffer', maxIn],
    ['client_recent_max_output_buffer', maxOut],
    ['blocked_clients', server.blocking.count + server.pause.count],
    ['tracking_clients', server.tracking.clients],
    ['pubsub_clients', pubsub],
    ['watching_clients', server.watches.clients(server.clients.values())],
    ['clients_in_timeout_table', server.blocking.timeoutCount],
    ['total_watched_keys', server.watches.keys],
    ['total_blocking_keys', server.blocking.keyCount],
    ['total_blocking_keys_on_nokey', server.blocking.keyCountOnNoKey],
  ];
}

function memorySection(server: Server): Fields {
  const si = scriptingInfo(server);
  refreshScripts(server, si.evalBytes, si.functionsBytes);
  const mh = memoryOverhead(server);
  const maxmemory = server.config.v['maxmemory'];
  const total = os.totalmem();
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return [
    ['used_memory', mh.used],
    ['used_memory_human', bytesToHuman(mh.used)],
    ['used_memory_rss', mh.rss],
    ['used_memory_rss_human', bytesToHuman(mh.rss)],
    ['used_memory_peak', mh.peak],
    ['used_memory_peak_human', bytesToHuman(mh.peak)],
    ['used_memory_peak_perc', `${f2(ratio(mh.used, mh.peak) * 100)}%`],
    ['used_memory_overhead', mh.overheadTotal],
    ['used_memory_startup', mh.startup],
    ['used_memory_dataset', mh.dataset],
    ['used_memory_dataset_perc', `${f2(ratio(mh.dataset, mh.used - mh.startup) * 100)}%`],
    ['allocator_allocated', mh.allocatorAllocated],
    ['allocator_active', mh.allocatorActive],
    ['allocator_resident', mh.allocatorResident],
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    ['used_memory_lua', si.evalVmBytes],
    ['used_memory_vm_eval', si.evalVmBytes],
    ['used_memory_lua_human', bytesToHuman(si.evalVmBytes)],
    ['used_memory_scripts_eval', si.evalBytes],
    ['number_of_cached_scripts', si.cachedScripts],
    ['number_of_functions', si.functions],
    ['number_of_libraries', si.libraries],
    ['used_memory_vm_functions', si.functionsVmBytes],
    ['used_memory_vm_total', si.evalVmBytes + si.functionsVmBytes],
    ['used_memory_vm_total_human', bytesToHuman(si.evalVmBytes + si.functionsVmBytes)],
    ['used_memory_functions', si.functionsBytes],
    ['used_memory_scripts', si.evalBytes + si.functionsBytes],
    ['used_memory_scripts_human', bytesToHuman(si.evalBytes + si.functionsBytes)],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', server.config.v['maxmemory-policy']],
    ['allocator_frag_ratio', f2(ratio(mh.allocatorActive, mh.allocatorAllocated))],
    ['allocator_frag_bytes', Math.max(0, mh.allocatorActive - mh.allocatorAllocated)],
    ['allocator_rss_ratio', f2(ratio(mh.allocatorResident, mh.allocatorActive))],
    ['allocator_rss_bytes', mh.allocatorResident - mh.allocatorActive],
    ['rss_overhead_ratio', f2(ratio(mh.rss, mh.allocatorResident))],
    ['rss_overhead_bytes', mh.rss - mh.allocatorResident],
    ['mem_fragmentation_ratio', f2(ratio(mh.rss, mh.used))],
    ['mem_fragmentation_bytes', mh.rss - mh.used],
    ['mem_not_counted_for_evict', server.evict.notCounted()],
    // (the shared replication buffer, split between the backlog and replicas: replication/replication.ts)
    ['mem_replication_backlog', mh.replBacklog],
    ['mem_total_replication_buffers', mh.replBuffers],
    ['mem_clients_slaves', mh.clientsSlaves],
    ['mem_clients_normal', mh.clientsNormal],
    ['mem_cluster_links', mh.clusterLinks],
    ['mem_aof_buffer', mh.aofBuffer],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', server.lazyfree.pending],
    ['lazyfreed_objects', server.lazyfree.freed],
  ];
}

function persistenceSection(server: Server): Fields {
  const aof = server.aof;
  const [saved, toSave] = saveProgress(server);
  return [
    ...loadingInfo(server),
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', toSave === 0 ? '0.00' : ((saved / toSave) * 100).toFixed(2)],
    ['current_save_keys_processed', saved],
    ['current_save_keys_total', toSave],
    ...rdbInfo(server),
    ['aof_enabled', aof.state !== 'off' ? 1 : 0],
    ['aof_rewrite_in_progress', aof.rewriting ? 1 : 0],
    ['aof_rewrite_scheduled', aof.rewriteScheduled ? 1 : 0],
    ['aof_last_rewrite_time_sec', aof.lastRewriteTimeSec],
    ['aof_current_rewrite_time_sec', aof.currentRewriteTimeSec],
    ['aof_last_bgrewrite_status', aof.lastRewriteStatus],
    ['aof_rewrites', aof.rewrites],
    ['aof_rewrites_consecutive_failures', aof.consecutiveFailures],
    ['aof_last_write_status', aof.lastWriteStatus],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
    // (Redis shows these while the appendonly parameter is yes, whatever the state)
    ...(!server.config.v['appendonly']
      ? []
      : ([
          ['aof_current_size', aof.currentSize],
          ['aof_base_size', aof.rewriteBaseSize],
          ['aof_pending_rewrite', aof.rewriteScheduled ? 1 : 0],
          ['aof_buffer_length', aof.buf.length],
          ['aof_pending_bio_fsync', 0],
          ['aof_delayed_fsync', aof.delayedFsync],
        ] as Fields)),
  ];
}

function statsSection(server: Server): Fields {
  const s = server.stats;
  const exceeded = server.evict.exceededMs();
  return [
    ['total_connections_received', s.totalConnections],
    ['total_commands_processed', s.totalCommands],
    ['instantaneous_ops_per_sec', Math.round(s.instantaneous(1))],
    ['total_net_input_bytes', s.netInputBytes],
    ['total_net_output_bytes', s.netOutputBytes],
    ['total_net_repl_input_bytes', s.netReplInputBytes],
    ['total_net_repl_output_bytes', s.netReplOutputBytes],
    ['instantaneous_input_kbps', f2(s.instantaneous(2) / 1024)],
    ['instantaneous_output_kbps', f2(s.instantaneous(3) / 1024)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', s.syncFull],
    ['sync_partial_ok', s.syncPartialOk],
    ['sync_partial_err', s.syncPartialErr],
    // Redis 7.4's field, where it puts it
    ['expired_subkeys', s.expiredSubkeys],
    ['expired_keys', s.expiredKeys],
    ['expired_stale_perc', f2(s.expiredStalePerc)],
    ['expired_time_cap_reached_count', s.expiredTimeCapReachedCount],
    ['expire_cycle_cpu_milliseconds', Math.round(s.expireCycleCpuMs)],
    ['evicted_keys', s.evictedKeys],
    ['evicted_clients', s.evictedClients],
    ['total_eviction_exceeded_time', exceeded.total],
    ['current_eviction_exceeded_time', exceeded.current],
    ['keyspace_hits', s.keyspaceHits],
    ['keyspace_misses', s.keyspaceMisses],
    ['pubsub_channels', server.pubsub.channels.size],
    ['pubsub_patterns', server.pubsub.patterns.size],
    ['pubsubshard_channels', server.pubsub.shard.size],
    ['latest_fork_usec', 0],
    ['total_forks', persist(server).forks],
    ['migrate_cached_sockets', server.migrate.cachedSockets()],
    ['slave_expires_tracked_keys', server.activeExpire.replicaKeys.size],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', server.tracking.table.size],
    ['tracking_total_items', server.tracking.totalItems],
    ['tracking_total_prefixes', server.tracking.prefixes.size],
    ['unexpected_error_replies', s.unexpectedErrorReplies],
    ['total_error_replies', s.totalErrorReplies],
    ['dump_payload_sanitizations', s.dumpPayloadSanitizations],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', s.replyBufferShrinks],
    ['reply_buffer_expands', s.replyBufferExpands],
    ['eventloop_cycles', s.loop.cycles],
    ['eventloop_duration_sum', Math.round(s.loop.durationSum)],
    ['eventloop_duration_cmd_sum', Math.round(s.loop.cmdSum)],
    ['instantaneous_eventloop_cycles_per_sec', Math.round(s.instantaneous(4))],
    ['instantaneous_eventloop_duration_usec', Math.round(s.instantaneousCycleUs())],
    ['acl_access_denied_auth', s.authFailures],
    ['acl_access_denied_cmd', s.aclDeniedCmd],
    ['acl_access_denied_key', s.aclDeniedKey],
    ['acl_access_denied_channel', s.aclDeniedChannel],
  ];
}

function cpuSection(): Fields {
  const u = process.cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  return [
    ['used_cpu_sys', sys],
    ['used_cpu_user', user],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', sys],
    ['used_cpu_user_main_thread', user],
  ];
}

/** cmdstat_<name> lines for commands called, rejected or failed at least once. */
function commandstatsSection(server: Server): Fields {
  const out: Fields = [];
  for (const [name, st] of server.stats.commands) {
    if (st.calls === 0 && st.failed === 0 && st.rejected === 0) continue;
    const usec = Math.round(st.usec);
    out.push([
      `cmdstat_${name}`,
      `calls=${st.calls},usec=${usec},usec_per_call=${f2(st.calls === 0 ? 0 : usec / st.calls)},rejected_calls=${st.rejected},failed_calls=${st.failed}`,
    ]);
  }
  return out;
}

/** errorstat_<CODE>:count=N, sorted by code as Redis's radix tree yields them. */
function errorstatsSection(server: Server): Fields {
  const codes = [...server.stats.errors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return codes.map((code) => [`errorstat_${code}`, `count=${server.stats.errors.get(code)}`]);
}

/** The percentiles INFO latencystats reports (latency-tracking-info-percentiles), and per command with samples their values in µs. */
export interface CommandPercentiles {
  pcts: number[];
  /** [command, µs at each of pcts] */
  rows: [string, number[]][];
}

/**
 * Each command's latency percentiles from its histogram: what INFO
 * latencystats prints and the dashboard's snapshot sends (http/snapshot.ts).
 */
export function commandPercentiles(server: Server): CommandPercentiles {
  const pcts = server.config.v['latency-tracking-info-percentiles'].split(/\s+/).filter(Boolean).map(Number);
  const rows: [string, number[]][] = [];
  for (const [name, st] of server.stats.commands) {
    const h = latencyOf(st);
    if (!h || h.total === 0) continue;
    rows.push([name, pcts.map((p) => h.valueAt(p) / 1000)]);
  }
  return { pcts, rows };
}

/** latency_percentiles_usec_<name>:p50=...,p99=...,p99.9=... per command with samples. */
function latencystatsSection(server: Server): Fields {
  const { pcts, rows } = commandPercentiles(server);
  return rows.map(([name, us]) => [
    `latency_percentiles_usec_${name}`,
    pcts.map((p, i) => `p${pctName(p)}=${us[i]!.toFixed(3)}`).join(','),
  ]);
}

function keyspaceSection(server: Server): Fields {
  const out: Fields = [];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    // Redis 7.4 appends subexpiry (hashes with field TTLs) to every line;
    // tsdis only to those where it is not 0, so a dataset without field
    // TTLs keeps Redis 7.2's line.
    const sub = db.hfe.size !== 0 ? `,subexpiry=${db.hfe.size}` : '';
    out.push([`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.round(db.avgTtl)}${sub}`]);
  }
  return out;
}

/** Sections in emission order: [selection name, header, generator, other names that select it]. */
const SECTIONS: [string, string, (s: Server) => Fields, string[]][] = [
  ['server', 'Server', serverSection, []],
  ['clients', 'Clients', clientsSection, []],
  ['memory', 'Memory', memorySection, []],
  ['persistence', 'Persistence', persistenceSection, []],
  ['stats', 'Stats', statsSection, []],
  // Server.repl's own section (replication/replication.ts) takes this place
  ['replication', 'Replication', () => [], []],
  ['cpu', 'CPU', cpuSection, []],
  ['module_list', 'Modules', () => [], ['modules']],
  ['commandstats', 'Commandstats', commandstatsSection, []],
  ['errorstats', 'Errorstats', errorstatsSection, []],
  ['latencystats', 'Latencystats', latencystatsSection, []],
  ['cluster', 'Cluster', () => [['cluster_enabled', 0]], []],
  ['keyspace', 'Keyspace', keyspaceSection, []],
  // Redis 7.2's hidden section: only INFO debug (not all/everything) shows it
  ['debug', 'Debug', debugSection, []],
];

/**
 * SECTIONS with the subsystems' own (Subsystem.info): one named as a
 * built-in section replaces it; the others follow keyspace, in the
 * subsystems' order.
 */
function withSubsystems(server: Server): typeof SECTIONS {
  let out: typeof SECTIONS | null = null;
  for (const sub of server.subsystems) {
    const sec = sub.info;
    if (sec === undefined) continue;
    out ??= SECTIONS.slice();
    const entry: (typeof SECTIONS)[number] = [sec.name, sec.header, () => sec.fields(), []];
    const at = out.findIndex((e) => e[0] === sec.name);
    if (at >= 0) out[at] = entry;
    else out.splice(out.length - 1, 0, entry);
  }
  return out ?? SECTIONS;
}

/** INFO debug: the event loop's finer figures (µs; Redis 7.2). */
function debugSection(server: Server): Fields {
  const l = server.stats.loop;
  return [
    ['eventloop_duration_aof_sum', Math.round(l.aofSum)],
    ['eventloop_duration_cron_sum', Math.round(l.cronSum)],
    ['eventloop_duration_max', Math.round(l.durationMax)],
    ['eventloop_cmd_per_cycle_max', l.cmdPerCycleMax],
  ];
}

/** One INFO section as generated: its selection name, its header's text, its fields. */
export interface InfoSectionFields {
  readonly name: string;
  readonly header: string;
  readonly fields: Fields;
}

/**
 * The sections a selection names, in INFO's order, with their fields: what
 * INFO prints (genInfo), what /metrics reports (http/metrics.ts) and what
 * the dashboard's snapshot carries (http/snapshot.ts), so all read every
 * figure from the same place.
 */
export function infoSections(server: Server, sel: SectionSelection): InfoSectionFields[] {
  const out: InfoSectionFields[] = [];
  for (const [name, header, gen, aliases] of withSubsystems(server)) {
    const named = sel.names.has(name) || aliases.some((a) => sel.names.has(a));
    if (!named && (!sel.all || name === 'debug')) continue;
    // With latency-tracking off Redis still prints the Latencystats header.
    const off = name === 'latencystats' && !server.config.v['latency-tracking'];
    out.push({ name, header, fields: off ? [] : gen(server) });
  }
  return out;
}

/** The INFO text for a selection: `# Header\r\n` then `name:value\r\n` lines, sections separated by `\r\n`. */
export function genInfo(server: Server, sel: SectionSelection): string {
  let out = '';
  let n = 0;
  for (const { header, fields } of infoSections(server, sel)) {
    if (n++) out += '\r\n';
    out += `# ${header}\r\n`;
    for (const [k, v] of fields) out += `${k}:${v}\r\n`;
  }
  return out;
}

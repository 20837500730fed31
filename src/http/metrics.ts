/**
 * GET /metrics: the server's figures in the Prometheus text format 0.0.4,
 * or OpenMetrics 1.0.0 when the Accept header prefers it, with the names,
 * labels and types redis_exporter (github.com/oliver006/redis_exporter)
 * gives the same figures, so its users' dashboards and alerts work as they
 * are, with no exporter process to run.
 *
 * Every figure comes from where INFO takes it: the fields of INFO ALL as
 * observability/info.ts generates them (infoSections), mapped as
 * redis_exporter maps INFO's text (the same field table; `ok` reads 1 and
 * `err` 0; commandstats, latencystats, errorstats, keyspace and the
 * replication lines parsed into labelled series), plus what redis_exporter
 * reads with other commands: a few parameters (CONFIG GET), SLOWLOG's
 * length and last entry, LATENCY LATEST's events, and LATENCY HISTOGRAM's
 * per-command distributions as real histograms
 * (redis_commands_latencies_usec: LATENCY HISTOGRAM's levels as buckets,
 * every level up to the largest one used, so series do not come and go).
 * The README (HTTP: metrics and dashboard) maps each metric to its field.
 *
 * Cost: one INFO ALL's worth of work plus the text (measured in
 * bench/metrics.ts: bench/RESULTS.md); nothing is kept between scrapes.
 */
import { Buffer } from 'node:buffer';
import type http from 'node:http';
import type { Server } from '../server/server.js';
import { infoSections, selectSections } from '../observability/info.js';
import { clusterInfoText } from '../commands/cluster.js';
import type { HttpContext } from './routes.js';
import { BASE_HEADERS } from './respond.js';

/** The Prometheus text format's content type. */
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** OpenMetrics' content type. */
export const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** INFO fields reported as gauges: [field, metric name without `redis_`] (redis_exporter's metricMapGauges). */
const GAUGES: readonly (readonly [string, string])[] = [
  // Server
  ['uptime_in_seconds', 'uptime_in_seconds'],
  ['process_id', 'process_id'],
  ['io_threads_active', 'io_threads_active'],
  // Clients
  ['connected_clients', 'connected_clients'],
  ['blocked_clients', 'blocked_clients'],
  ['maxclients', 'max_clients'],
  ['tracking_clients', 'tracking_clients'],
  ['clients_in_timeout_table', 'clients_in_timeout_table'],
  ['pubsub_clients', 'pubsub_clients'],
  ['watching_clients', 'watching_clients'],
  ['total_watched_keys', 'total_watched_keys'],
  ['total_blocking_keys', 'total_blocking_keys'],
  ['total_blocking_keys_on_nokey', 'total_blocking_keys_on_nokey'],
  ['client_recent_max_output_buffer', 'client_recent_max_output_buffer_bytes'],
  ['client_recent_max_input_buffer', 'client_recent_max_input_buffer_bytes'],
  // Memory
  ['allocator_active', 'allocator_active_bytes'],
  ['allocator_allocated', 'allocator_allocated_bytes'],
  ['allocator_resident', 'allocator_resident_bytes'],
  ['allocator_frag_ratio', 'allocator_frag_ratio'],
  ['allocator_frag_bytes', 'allocator_frag_bytes'],
  ['allocator_rss_ratio', 'allocator_rss_ratio'],
  ['allocator_rss_bytes', 'allocator_rss_bytes'],
  ['used_memory', 'memory_used_bytes'],
  ['used_memory_rss', 'memory_used_rss_bytes'],
  ['used_memory_peak', 'memory_used_peak_bytes'],
  ['used_memory_lua', 'memory_used_lua_bytes'],
  ['used_memory_vm_eval', 'memory_used_vm_eval_bytes'],
  ['used_memory_scripts_eval', 'memory_used_scripts_eval_bytes'],
  ['used_memory_overhead', 'memory_used_overhead_bytes'],
  ['used_memory_startup', 'memory_used_startup_bytes'],
  ['used_memory_dataset', 'memory_used_dataset_bytes'],
  ['number_of_cached_scripts', 'number_of_cached_scripts'],
  ['number_of_functions', 'number_of_functions'],
  ['number_of_libraries', 'number_of_libraries'],
  ['used_memory_vm_functions', 'memory_used_vm_functions_bytes'],
  ['used_memory_scripts', 'memory_used_scripts_bytes'],
  ['used_memory_functions', 'memory_used_functions_bytes'],
  ['used_memory_vm_total', 'memory_used_vm_total'],
  ['maxmemory', 'memory_max_bytes'],
  ['mem_fragmentation_ratio', 'mem_fragmentation_ratio'],
  ['mem_fragmentation_bytes', 'mem_fragmentation_bytes'],
  ['mem_clients_slaves', 'mem_clients_slaves'],
  ['mem_clients_normal', 'mem_clients_normal'],
  ['mem_cluster_links', 'mem_cluster_links_bytes'],
  ['mem_aof_buffer', 'mem_aof_buffer_bytes'],
  ['mem_replication_backlog', 'mem_replication_backlog_bytes'],
  ['expired_stale_perc', 'expired_stale_percentage'],
  ['mem_not_counted_for_evict', 'mem_not_counted_for_eviction_bytes'],
  ['mem_total_replication_buffers', 'mem_total_replication_buffers_bytes'],
  ['lazyfree_pending_objects', 'lazyfree_pending_objects'],
  ['lazyfreed_objects', 'lazyfreed_objects'],
  ['active_defrag_running', 'active_defrag_running'],
  ['migrate_cached_sockets', 'migrate_cached_sockets_total'],
  ['active_defrag_hits', 'defrag_hits'],
  ['active_defrag_misses', 'defrag_misses'],
  ['active_defrag_key_hits', 'defrag_key_hits'],
  ['active_defrag_key_misses', 'defrag_key_misses'],
  // Persistence
  ['loading', 'loading_dump_file'],
  ['async_loading', 'async_loading'],
  ['rdb_changes_since_last_save', 'rdb_changes_since_last_save'],
  ['rdb_bgsave_in_progress', 'rdb_bgsave_in_progress'],
  ['rdb_last_save_time', 'rdb_last_save_timestamp_seconds'],
  ['rdb_last_bgsave_status', 'rdb_last_bgsave_status'],
  ['rdb_last_bgsave_time_sec', 'rdb_last_bgsave_duration_sec'],
  ['rdb_current_bgsave_time_sec', 'rdb_current_bgsave_duration_sec'],
  ['rdb_saves', 'rdb_saves_total'],
  ['rdb_last_cow_size', 'rdb_last_cow_size_bytes'],
  ['rdb_last_load_keys_expired', 'rdb_last_load_expired_keys'],
  ['rdb_last_load_keys_loaded', 'rdb_last_load_loaded_keys'],
  ['aof_enabled', 'aof_enabled'],
  ['aof_rewrite_in_progress', 'aof_rewrite_in_progress'],
  ['aof_rewrite_scheduled', 'aof_rewrite_scheduled'],
  ['aof_last_rewrite_time_sec', 'aof_last_rewrite_duration_sec'],
  ['aof_current_rewrite_time_sec', 'aof_current_rewrite_duration_sec'],
  ['aof_last_cow_size', 'aof_last_cow_size_bytes'],
  ['aof_current_size', 'aof_current_size_bytes'],
  ['aof_base_size', 'aof_base_size_bytes'],
  ['aof_pending_rewrite', 'aof_pending_rewrite'],
  ['aof_buffer_length', 'aof_buffer_length'],
  ['aof_rewrite_buffer_length', 'aof_rewrite_buffer_length'],
  ['aof_pending_bio_fsync', 'aof_pending_bio_fsync'],
  ['aof_delayed_fsync', 'aof_delayed_fsync'],
  ['aof_last_bgrewrite_status', 'aof_last_bgrewrite_status'],
  ['aof_last_write_status', 'aof_last_write_status'],
  ['module_fork_in_progress', 'module_fork_in_progress'],
  ['module_fork_last_cow_size', 'module_fork_last_cow_size'],
  // Stats
  ['current_eviction_exceeded_time', 'current_eviction_exceeded_time_ms'],
  ['pubsub_channels', 'pubsub_channels'],
  ['pubsub_patterns', 'pubsub_patterns'],
  ['pubsubshard_channels', 'pubsubshard_channels'],
  ['latest_fork_usec', 'latest_fork_usec'],
  ['tracking_total_keys', 'tracking_total_keys'],
  ['tracking_total_items', 'tracking_total_items'],
  ['tracking_total_prefixes', 'tracking_total_prefixes'],
  ['instantaneous_eventloop_cycles_per_sec', 'instantaneous_eventloop_cycles_per_sec'],
  ['instantaneous_eventloop_duration_usec', 'instantaneous_eventloop_duration_usec'],
  // Replication
  ['connected_slaves', 'connected_slaves'],
  ['repl_backlog_size', 'replication_backlog_bytes'],
  ['repl_backlog_active', 'repl_backlog_is_active'],
  ['repl_backlog_first_byte_offset', 'repl_backlog_first_byte_offset'],
  ['repl_backlog_histlen', 'repl_backlog_history_bytes'],
  ['master_repl_offset', 'master_repl_offset'],
  ['second_repl_offset', 'second_repl_offset'],
  ['slave_expires_tracked_keys', 'slave_expires_tracked_keys'],
  ['slave_priority', 'slave_priority'],
  ['sync_full', 'replica_resyncs_full'],
  ['sync_partial_ok', 'replica_partial_resync_accepted'],
  ['sync_partial_err', 'replica_partial_resync_denied'],
  // Cluster (CLUSTER INFO)
  ['cluster_stats_messages_sent', 'cluster_messages_sent_total'],
  ['cluster_stats_messages_received', 'cluster_messages_received_total'],
];

/** INFO fields reported as counters (redis_exporter's metricMapCounters). */
const COUNTERS: readonly (readonly [string, string])[] = [
  ['total_connections_received', 'connections_received_total'],
  ['total_commands_processed', 'commands_processed_total'],
  ['rejected_connections', 'rejected_connections_total'],
  ['total_net_input_bytes', 'net_input_bytes_total'],
  ['total_net_output_bytes', 'net_output_bytes_total'],
  ['total_net_repl_input_bytes', 'net_repl_input_bytes_total'],
  ['total_net_repl_output_bytes', 'net_repl_output_bytes_total'],
  ['expired_subkeys', 'expired_subkeys_total'],
  ['expired_keys', 'expired_keys_total'],
  ['expired_time_cap_reached_count', 'expired_time_cap_reached_total'],
  ['expire_cycle_cpu_milliseconds', 'expire_cycle_cpu_time_ms_total'],
  ['evicted_keys', 'evicted_keys_total'],
  ['evicted_clients', 'evicted_clients_total'],
  ['total_eviction_exceeded_time', 'eviction_exceeded_time_ms_total'],
  ['keyspace_hits', 'keyspace_hits_total'],
  ['keyspace_misses', 'keyspace_misses_total'],
  ['eventloop_cycles', 'eventloop_cycles_total'],
  ['eventloop_duration_sum', 'eventloop_duration_sum_usec_total'],
  ['eventloop_duration_cmd_sum', 'eventloop_duration_cmd_sum_usec_total'],
  ['used_cpu_sys', 'cpu_sys_seconds_total'],
  ['used_cpu_user', 'cpu_user_seconds_total'],
  ['used_cpu_sys_children', 'cpu_sys_children_seconds_total'],
  ['used_cpu_user_children', 'cpu_user_children_seconds_total'],
  ['used_cpu_sys_main_thread', 'cpu_sys_main_thread_seconds_total'],
  ['used_cpu_user_main_thread', 'cpu_user_main_thread_seconds_total'],
  ['unexpected_error_replies', 'unexpected_error_replies'],
  ['total_error_replies', 'total_error_replies'],
  ['dump_payload_sanitizations', 'dump_payload_sanitizations'],
  ['total_reads_processed', 'total_reads_processed'],
  ['total_writes_processed', 'total_writes_processed'],
  ['io_threaded_reads_processed', 'io_threaded_reads_processed'],
  ['io_threaded_writes_processed', 'io_threaded_writes_processed'],
  ['client_query_buffer_limit_disconnections', 'client_query_buffer_limit_disconnections_total'],
  ['client_output_buffer_limit_disconnections', 'client_output_buffer_limit_disconnections_total'],
  ['reply_buffer_shrinks', 'reply_buffer_shrinks_total'],
  ['reply_buffer_expands', 'reply_buffer_expands_total'],
  ['acl_access_denied_auth', 'acl_access_denied_auth_total'],
  ['acl_access_denied_cmd', 'acl_access_denied_cmd_total'],
  ['acl_access_denied_key', 'acl_access_denied_key_total'],
  ['acl_access_denied_channel', 'acl_access_denied_channel_total'],
];

/** Field → [metric, type], for the flat fields. */
const FIELD_METRICS: ReadonlyMap<string, readonly [string, Kind]> = new Map<string, readonly [string, Kind]>([
  ...GAUGES.map(([f, m]) => [f, [m, 'gauge']] as const),
  ...COUNTERS.map(([f, m]) => [f, [m, 'counter']] as const),
]);

/** Help texts of the metrics that have their own (the others say `<name> metric`, as redis_exporter's). */
const HELP: Readonly<Record<string, string>> = {
  up: 'Information about the Redis instance',
  instance_info: 'Information about the Redis instance',
  slave_info: 'Information about the Redis slave',
  start_time_seconds: 'Start time of the Redis instance since unix epoch in seconds.',
  commands_total: 'Total number of calls per command',
  commands_duration_seconds_total: 'Total amount of time in seconds spent per command',
  commands_rejected_calls_total: 'Total number of errors within command execution per command',
  commands_failed_calls_total: 'Total number of errors prior command execution per command',
  commands_latencies_usec: 'A histogram of latencies per command',
  latency_percentiles_usec: 'A summary of latency percentile distribution per command',
  errors_total: 'Total number of errors per error type',
  db_keys: 'Total number of keys by DB',
  db_keys_expiring: 'Total number of expiring keys by DB',
  db_avg_ttl_seconds: 'Avg TTL in seconds',
  master_link_up: 'Master link status on Redis slave',
  master_last_io_seconds_ago: 'Master last io seconds ago',
  master_sync_in_progress: 'Master sync in progress',
  slave_repl_offset: 'Slave replication offset',
  connected_slave_offset_bytes: 'Offset of connected slave',
  connected_slave_lag_seconds: 'Lag of connected slave',
  slowlog_length: 'Total slowlog',
  slowlog_last_id: 'Last id of slowlog',
  last_slow_execution_duration_seconds: 'The amount of time needed for last slow execution, in seconds',
  latency_spike_last: 'When the latency spike last occurred',
  latency_spike_duration_seconds: 'Length of the last latency spike in seconds',
  config_client_output_buffer_limit_bytes: 'The configured buffer limits per class',
  config_client_output_buffer_limit_overcome_seconds:
    'How long for buffer limits per class to be exceeded before replicas are dropped',
};

type Kind = 'gauge' | 'counter' | 'summary' | 'histogram';

/** One metric family being collected: its name in samples, and its `# HELP` / `# TYPE` lines then samples so far. */
interface Family {
  sample: string;
  text: string;
}

/**
 * The metric families of one scrape, in the order first seen, each
 * rendered as its samples come (one string per family: little garbage per
 * scrape), in the Prometheus text format or OpenMetrics. Names are given
 * without the `redis_` namespace. In OpenMetrics a counter's family name has
 * no `_total` and its samples have it, and the text ends with `# EOF`.
 */
class Families {
  private readonly map = new Map<string, Family>();

  constructor(private readonly openMetrics: boolean) {}

  add(name: string, kind: Kind, value: number, labels = '', suffix = ''): void {
    let f = this.map.get(name);
    if (f === undefined) {
      const om = this.openMetrics;
      const full = `redis_${name}`;
      const counter = kind === 'counter';
      const family = om && counter && full.endsWith('_total') ? full.slice(0, -6) : full;
      const help = HELP[name] ?? `${name} metric`;
      f = {
        sample: om && counter ? `${family}_total` : full,
        text: `# HELP ${family} ${om ? help.replace(/["\\]/g, '\\$&') : help}\n# TYPE ${family} ${kind}\n`,
      };
      this.map.set(name, f);
    }
    f.text += `${f.sample}${suffix}${labels} ${fmt(value)}\n`;
  }

  /** The whole text. */
  render(): string {
    let out = '';
    for (const f of this.map.values()) out += f.text;
    if (this.openMetrics) out += '# EOF\n';
    return out;
  }
}

/** A sample value: integers as they are, NaN and infinities as the formats spell them. */
function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value escaped for both formats (backslash, double quote, newline). */
function esc(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** `{a="x",b="y"}` from name/value pairs. */
function labels(...pairs: [string, string][]): string {
  return `{${pairs.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

/** INFO fields kept for after the loop: redis_instance_info's and redis_slave_info's labels. */
const KEPT_FIELDS = new Set([
  'role',
  'redis_version',
  'redis_build_id',
  'redis_mode',
  'os',
  'maxmemory_policy',
  'tcp_port',
  'run_id',
  'process_id',
  'master_replid',
  'tsdis_version',
  'master_host',
  'master_port',
  'slave_read_only',
]);

/** A field's value as redis_exporter reads it: ok/true 1, err/fail/false 0, else a number (null when not one). */
function fieldValue(v: string | number): number | null {
  if (typeof v === 'number') return v;
  if (v === 'ok' || v === 'true') return 1;
  if (v === 'err' || v === 'fail' || v === 'false') return 0;
  if (v === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return null;
  return Number(v);
}

/** `a=1,b=x` (commandstats, keyspace, slaveN lines) as a map. */
function kvList(v: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

/**
 * The metrics of `server` now, as text in the Prometheus format (or
 * OpenMetrics). Called by the /metrics route; pure (reads, keeps nothing).
 */
export function renderMetrics(server: Server, openMetrics: boolean): string {
  const fams = new Families(openMetrics);
  fams.add('up', 'gauge', 1);
  /** The text fields read after the loop (labels, databases), by name. */
  const all = new Map<string, string>();
  /** Per command: calls and µs from commandstats (the summaries' count and sum). */
  const cmdCalls = new Map<string, [number, number]>();
  const percentiles: [string, Map<string, string>][] = [];
  for (const { name: section, fields } of infoSections(server, selectSections(['all']))) {
    for (const [key, raw] of fields) {
      if (section === 'keyspace' || KEPT_FIELDS.has(key)) all.set(key, String(raw));
      switch (section) {
        case 'server':
          if (key === 'uptime_in_seconds')
            fams.add('start_time_seconds', 'gauge', Math.floor(server.clock() / 1000) - Number(raw));
          else if (key === 'configured_hz' || key === 'hz') fams.add(key, 'gauge', Number(raw));
          break;
        case 'replication':
          if (replicationField(fams, key, String(raw), all.get('master_host') ?? '', all.get('master_port') ?? ''))
            continue;
          break;
        case 'commandstats': {
          if (!key.startsWith('cmdstat_')) continue;
          const cmd = key.slice(8);
          const m = kvList(String(raw));
          const calls = Number(m.get('calls'));
          const usec = Number(m.get('usec'));
          const l = labels(['cmd', cmd]);
          fams.add('commands_total', 'counter', calls, l);
          fams.add('commands_duration_seconds_total', 'counter', usec / 1e6, l);
          fams.add('commands_rejected_calls_total', 'counter', Number(m.get('rejected_calls')), l);
          fams.add('commands_failed_calls_total', 'counter', Number(m.get('failed_calls')), l);
          cmdCalls.set(cmd, [calls, usec]);
          continue;
        }
        case 'latencystats':
          if (key.startsWith('latency_percentiles_usec_'))
            percentiles.push([key.slice('latency_percentiles_usec_'.length), kvList(String(raw))]);
          continue;
        case 'errorstats':
          if (key.startsWith('errorstat_'))
            fams.add(
              'errors_total',
              'counter',
              Number(kvList(String(raw)).get('count')),
              labels(['err', key.slice(10)]),
            );
          continue;
        case 'keyspace':
          // (empty databases are reported after the loop)
          continue;
      }
      const known = FIELD_METRICS.get(key);
      if (known !== undefined) {
        const n = fieldValue(raw);
        if (n === null) continue;
        if (key === 'latest_fork_usec') fams.add('latest_fork_seconds', 'gauge', n / 1e6);
        else fams.add(known[0], known[1], n);
      } else if (key.startsWith('cluster_')) {
        const n = fieldValue(raw);
        if (n !== null) fams.add(key, 'gauge', n);
      }
    }
  }
  // latencystats as summaries (count and sum from commandstats), as redis_exporter makes them,
  // but for the quantile label: a fraction (p99.9 is 0.999), as the data model has it and
  // OpenMetrics requires (redis_exporter passes the percentile, 99.9)
  for (const [cmd, pcts] of percentiles) {
    const cs = cmdCalls.get(cmd);
    if (cs === undefined) continue;
    for (const [p, v] of pcts) {
      if (!p.startsWith('p')) continue;
      const q = String(Number((Number(p.slice(1)) / 100).toPrecision(12)));
      fams.add('latency_percentiles_usec', 'summary', Number(v), labels(['cmd', cmd], ['quantile', q]));
    }
    fams.add('latency_percentiles_usec', 'summary', cs[1], labels(['cmd', cmd]), '_sum');
    fams.add('latency_percentiles_usec', 'summary', cs[0], labels(['cmd', cmd]), '_count');
  }
  // in cluster mode, CLUSTER INFO's fields (as redis_exporter reads them: cluster_state ok is 1)
  if (server.cluster.enabled) {
    for (const line of clusterInfoText(server.cluster).split('\r\n')) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const key = line.slice(0, i);
      const n = fieldValue(line.slice(i + 1));
      if (n === null) continue;
      const known = FIELD_METRICS.get(key);
      if (known !== undefined) fams.add(known[0], known[1], n);
      else if (key.startsWith('cluster_')) fams.add(key, 'gauge', n);
    }
  }
  keyspaceMetrics(server, fams, all);
  instanceInfo(fams, all);
  configMetrics(server, fams);
  slowlogMetrics(server, fams);
  latencyMetrics(server, fams, cmdCalls);
  return fams.render();
}

/**
 * The replication section's labelled lines, as redis_exporter reads them:
 * a replica's link (master_link_up and the master_* figures, labelled with
 * the primary's host and port) and a primary's slaveN lines. True when the
 * field was taken here.
 */
function replicationField(fams: Families, key: string, value: string, host: string, port: string): boolean {
  const master = labels(['master_host', host], ['master_port', port]);
  if (key === 'master_link_status') {
    fams.add('master_link_up', 'gauge', value === 'up' ? 1 : 0, master);
    return true;
  }
  if (key === 'master_last_io_seconds_ago' || key === 'master_sync_in_progress' || key === 'slave_repl_offset') {
    fams.add(key, 'gauge', Math.trunc(Number(value)) || 0, master);
    return true;
  }
  if (/^slave\d+$/.test(key)) {
    const m = kvList(value);
    const l = labels(
      ['slave_ip', m.get('ip') ?? ''],
      ['slave_port', m.get('port') ?? ''],
      ['slave_state', m.get('state') ?? ''],
    );
    fams.add('connected_slave_offset_bytes', 'gauge', Number(m.get('offset')), l);
    if (m.has('lag')) fams.add('connected_slave_lag_seconds', 'gauge', Number(m.get('lag')), l);
    return true;
  }
  return false;
}

/**
 * redis_db_keys, _keys_expiring and _avg_ttl_seconds per database (every
 * database, 0 for the empty ones; one in cluster mode, as redis_exporter counts them).
 */
function keyspaceMetrics(server: Server, fams: Families, all: Map<string, string>): void {
  const count = server.cluster.enabled ? 1 : server.dbs.length;
  for (let i = 0; i < count; i++) {
    const db = `db${i}`;
    const line = all.get(db);
    const l = labels(['db', db]);
    if (line === undefined) {
      fams.add('db_keys', 'gauge', 0, l);
      fams.add('db_keys_expiring', 'gauge', 0, l);
      continue;
    }
    const m = kvList(line);
    fams.add('db_keys', 'gauge', Number(m.get('keys')), l);
    fams.add('db_keys_expiring', 'gauge', Number(m.get('expires')), l);
    fams.add('db_avg_ttl_seconds', 'gauge', Number(m.get('avg_ttl')) / 1000, l);
  }
}

/** redis_instance_info (role, version, ... as labels) and, on a replica, redis_slave_info. */
function instanceInfo(fams: Families, all: Map<string, string>): void {
  const get = (k: string) => all.get(k) ?? '';
  fams.add(
    'instance_info',
    'gauge',
    1,
    labels(
      ['role', get('role')],
      ['redis_version', get('redis_version')],
      ['redis_build_id', get('redis_build_id')],
      ['redis_mode', get('redis_mode')],
      ['os', get('os')],
      ['maxmemory_policy', get('maxmemory_policy')],
      ['tcp_port', get('tcp_port')],
      ['run_id', get('run_id')],
      ['process_id', get('process_id')],
      ['master_replid', get('master_replid')],
      ['tsdis_version', get('tsdis_version')],
    ),
  );
  if (get('role') === 'slave')
    fams.add(
      'slave_info',
      'gauge',
      1,
      labels(
        ['master_host', get('master_host')],
        ['master_port', get('master_port')],
        ['read_only', get('slave_read_only')],
      ),
    );
}

/** The parameters redis_exporter reports (from CONFIG GET): maxclients, maxmemory, io-threads, repl-backlog-size, the output buffer limits. */
function configMetrics(server: Server, fams: Families): void {
  const v = server.config.v;
  fams.add('config_io_threads', 'gauge', v['io-threads']);
  fams.add('config_maxclients', 'gauge', v['maxclients']);
  fams.add('config_maxmemory', 'gauge', v['maxmemory']);
  fams.add('config_repl_backlog_size', 'gauge', v['repl-backlog-size']);
  const words = v['client-output-buffer-limit'].split(/\s+/).filter(Boolean);
  for (let i = 0; i + 3 < words.length; i += 4) {
    const cls = words[i]!;
    fams.add(
      'config_client_output_buffer_limit_bytes',
      'gauge',
      Number(words[i + 1]),
      labels(['class', cls], ['limit', 'hard']),
    );
    fams.add(
      'config_client_output_buffer_limit_bytes',
      'gauge',
      Number(words[i + 2]),
      labels(['class', cls], ['limit', 'soft']),
    );
    fams.add(
      'config_client_output_buffer_limit_overcome_seconds',
      'gauge',
      Number(words[i + 3]),
      labels(['class', cls], ['limit', 'soft']),
    );
  }
}

/** SLOWLOG LEN, and the last entry's id and duration (SLOWLOG GET 1). */
function slowlogMetrics(server: Server, fams: Families): void {
  const entries = server.slowlog.entries;
  const last = entries[0];
  fams.add('slowlog_length', 'gauge', entries.length);
  fams.add('slowlog_last_id', 'gauge', last?.id ?? 0);
  fams.add('last_slow_execution_duration_seconds', 'gauge', (last?.usec ?? 0) / 1e6);
}

/**
 * LATENCY LATEST's events (when each last spiked, and by how much), and
 * LATENCY HISTOGRAM's distributions as histograms: the cumulative count at
 * each of its levels (`le`, µs: 1, 2, 4, 8, 16, 33, 66, ... as LATENCY
 * HISTOGRAM names them), every level from 1 µs to the one that holds the
 * command's slowest call, then `+Inf`, `_sum` (µs, from commandstats) and
 * `_count`.
 */
function latencyMetrics(server: Server, fams: Families, cmdCalls: Map<string, [number, number]>): void {
  for (const [event, ts] of server.latency.events) {
    const last = ts.latest();
    const l = labels(['event_name', event]);
    fams.add('latency_spike_last', 'gauge', last.time, l);
    fams.add('latency_spike_duration_seconds', 'gauge', last.latency / 1e3, l);
  }
  for (const [cmd, st] of server.stats.commands) {
    const h = st.hist;
    if (h === undefined || h.total === 0) continue;
    const le = `{cmd="${esc(cmd)}",le="`;
    for (const [us, n] of h.cumulativeUsec(true))
      fams.add('commands_latencies_usec', 'histogram', n, `${le}${us}"}`, '_bucket');
    fams.add('commands_latencies_usec', 'histogram', h.total, labels(['cmd', cmd], ['le', '+Inf']), '_bucket');
    fams.add(
      'commands_latencies_usec',
      'histogram',
      cmdCalls.get(cmd)?.[1] ?? Math.round(st.usec),
      labels(['cmd', cmd]),
      '_sum',
    );
    fams.add('commands_latencies_usec', 'histogram', h.total, labels(['cmd', cmd]), '_count');
  }
}

/**
 * Which format the Accept header prefers: OpenMetrics when it lists
 * application/openmetrics-text (version 1.0.0 or none) with a quality at
 * least that of text/plain or * / *; the Prometheus text format otherwise.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    let version: string | null = null;
    for (const p of params) {
      if (p.startsWith('q=')) q = Number(p.slice(2));
      else if (p.startsWith('version=')) version = p.slice(8);
    }
    if (!(q > 0)) continue;
    if (type === 'application/openmetrics-text' && (version === null || version === '1.0.0')) om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  return om >= 0 && om >= text;
}

/** GET /metrics (routes.ts). */
export function metricsRoute(req: http.IncomingMessage, res: http.ServerResponse, ctx: HttpContext): void {
  const om = wantsOpenMetrics(req.headers.accept);
  const body = Buffer.from(renderMetrics(ctx.server, om), 'utf8');
  res.writeHead(200, {
    ...BASE_HEADERS,
    'Content-Type': om ? OPENMETRICS_TYPE : PROMETHEUS_TYPE,
    'Content-Length': String(body.length),
  });
  res.end(body);
}

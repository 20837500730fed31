/**
 * The table of configuration parameters: every Redis 7.0/7.2 parameter name
 * and alias, with its type, default, bounds, enum values and flags (facts
 * taken from a real redis-server's CONFIG GET * and its documentation).
 * Parameters that have no effect in tsdis yet are still accepted, validated
 * and returned, so CONFIG GET * looks like Redis's.
 *
 * bind defaults to redis-server's `* -::*` (protected mode then refuses
 * other hosts until a password is set); createServer binds 127.0.0.1 unless
 * given a host.
 *
 * Deliberate differences from redis-server (tested in test/commands/config.test.ts):
 * - dir defaults to the process's working directory at startup and CONFIG SET
 *   dir does not chdir() (tsdis may be embedded in another program).
 * - loglevel also accepts `nothing` (added in Redis 7.2), and the 7.2
 *   parameters locale-collate and cluster-announce-human-nodename exist.
 * - http-port and http-bind are tsdis's own (the HTTP listener: src/http/).
 *
 * Special parameters (save, client-output-buffer-limit, bind, ...) keep their
 * canonical text form in `config.v`, the form CONFIG GET shows, so readers
 * split it themselves (see server/output-limits.ts); notify-keyspace-events and
 * shutdown-on-sig* keep a bit set. The type of `config.v` (ConfigValues, at
 * the end) is derived from this table, one key per canonical name.
 */
import type { Config } from './config.js';
import {
  parseSave,
  formatSave,
  rewriteSave,
  parseObufLimits,
  rewriteObufLimits,
  parseNotifyFlags,
  formatNotifyFlags,
  parseOomValues,
  parseBind,
  parseReplicaOf,
  parsePercentiles,
  parseShutdownFlags,
  formatShutdownFlags,
  parseDir,
  parseProcTitleTemplate,
  parseAnnouncedHostname,
  parseAnnouncedNodename,
  memtoull,
  ConfigValueError,
} from './special.js';
import { parseInt64 } from '../util/numbers.js';
import { repr } from '../util/strings.js';

/** What a parameter's CONFIG REWRITE writes: its lines, and whether to write them when the file lacks them. */
export interface Rewrite {
  lines: string[];
  force: boolean;
  /** Per line instead of `force` (client-output-buffer-limit: one line per class). */
  forceEach?: boolean[];
}

/** What every parameter has, whatever the type of its value. */
export interface ParamFields {
  aliases?: string[];
  /**
   * bool: yes/no. int: integer (flags memory/percent/octal change the syntax).
   * memory: an int that accepts units (1gb) and is shown in bytes.
   * string: free text. enum: one of `values`. special: own parse/format.
   */
  type: 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';
  default: string;
  min?: number | bigint;
  max?: number | bigint;
  /** Bounds are checked as unsigned (Redis's uint, size_t, unsigned long long configs). */
  unsigned?: boolean;
  /** memory type only: a trailing % gives a percentage (stored negative, as Redis does). */
  percent?: boolean;
  /** int only: parsed and shown in octal (unixsocketperm). */
  octal?: boolean;
  /** For enums: accepted lowercase values, in Redis's order (the error lists them). */
  values?: readonly string[];
  /** Only settable at startup (config file or command line). */
  immutable?: boolean;
  /** Settable only when enable-protected-configs allows it (dir, dbfilename). */
  protected?: boolean;
  /** Refused with -LOADING while the dataset loads (Redis's DENY_LOADING_CONFIG). */
  denyLoading?: boolean;
  /** Redacted from logs (requirepass, masterauth, masteruser). */
  sensitive?: boolean;
  /** Not matched by CONFIG GET patterns: only an exact name shows it. */
  hidden?: boolean;
  /** string only: the empty string means "unset" (no line on CONFIG REWRITE). */
  emptyIsNull?: boolean;
  /** Takes several words (CONFIG SET splits the value like redis.conf does). */
  multiArg?: boolean;
}

/** The functions of a parameter whose stored value has type V. */
interface ParamFns<V> {
  /**
   * The text (CLI flag, redis.conf line, CONFIG SET) to the value stored in
   * `config.v`; throws ConfigValueError with Redis's message.
   */
  parse: (value: string, config: Config) => V;
  /** The stored value as CONFIG GET shows it. */
  format: (value: V, config: Config) => string;
  /** Custom CONFIG REWRITE (else Config writes `name formatted-value`). */
  rewrite?: (value: V, config: Config) => Rewrite;
}

/**
 * One parameter: name N (the canonical name, a key of `config.v`) whose
 * stored value has type V. Built only by the constructors below (bool, int,
 * mem, str, text, en, special), which give parse and format for the type.
 */
export interface ParamDef<N extends string, V> extends ParamFields, ParamFns<V> {
  readonly name: N;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** The optional fields a constructor takes; parse/format/rewrite replace the type's own. */
type Opts<V> = Partial<ParamFields & ParamFns<V>>;
/** A value that is its own text (strings, and the special parameters kept in their canonical text). */
const same = (v: string): string => v;

const bool = <const N extends string>(name: N, def: 'yes' | 'no', o: Opts<boolean> = {}): ParamDef<N, boolean> => ({
  name,
  type: 'bool',
  default: def,
  parse: parseBool,
  format: (v) => (v ? 'yes' : 'no'),
  ...o,
});
/** A string parameter whose empty value means unset (Redis's EMPTY_STRING_IS_NULL). */
const str = <const N extends string>(name: N, def = '', o: Opts<string> = {}): ParamDef<N, string> => ({
  name,
  type: 'string',
  default: def,
  emptyIsNull: true,
  parse: same,
  format: same,
  ...o,
});
/** A string parameter where the empty string is a value like any other. */
const text = <const N extends string>(name: N, def: string, o: Opts<string> = {}): ParamDef<N, string> => ({
  name,
  type: 'string',
  default: def,
  parse: same,
  format: same,
  ...o,
});
/**
 * An integer parameter, stored as a number (one beyond 2^53 also keeps its
 * exact decimal text in Config, for CONFIG GET). Octal ones (unixsocketperm)
 * are shown in octal.
 */
const int = <const N extends string>(
  name: N,
  def: string,
  min: number | bigint,
  max: number | bigint,
  o: Partial<ParamFields> = {},
): ParamDef<N, number> => {
  const fields: ParamFields = { type: 'int', default: def, min, max, ...o };
  return {
    name,
    ...fields,
    parse: (v) => Number(parseInteger(fields, v)),
    format: fields.octal ? (v) => v.toString(8) : (v) => String(v),
  };
};
/** A byte count that accepts units (1gb), shown in bytes; a percent one shows a negative value as N%. */
const mem = <const N extends string>(
  name: N,
  def: string,
  min: number | bigint,
  max: number | bigint,
  o: Partial<ParamFields> = {},
): ParamDef<N, number> => {
  const fields: ParamFields = { type: 'memory', default: def, min, max, ...o };
  return {
    name,
    ...fields,
    parse: (v) => Number(parseInteger(fields, v)),
    format: (v) => (fields.percent && v < 0 ? `${-v}%` : String(v)),
  };
};
/**
 * One of `values` (stored lowercase, typed as their union); `synonyms` map
 * accepted names to the value stored and shown.
 */
const en = <const N extends string, const E extends string>(
  name: N,
  def: NoInfer<E>,
  values: readonly E[],
  o: Opts<E> & { synonyms?: Partial<Record<E, NoInfer<E>>> } = {},
): ParamDef<N, E> => {
  const { synonyms, ...rest } = o;
  return {
    name,
    type: 'enum',
    default: def,
    values,
    parse: (v) => {
      const l = v.toLowerCase();
      const hit = values.find((x) => x === l);
      if (hit === undefined)
        throw new ConfigValueError(`argument(s) must be one of the following: ${values.join(', ')}`);
      return synonyms?.[hit] ?? hit;
    },
    format: (v) => v,
    ...rest,
  };
};
/**
 * A parameter with its own syntax (special.ts): `parse` gives the stored
 * value; `format` defaults to the value's text (those kept in their canonical
 * text form).
 */
const special = <const N extends string, V>(
  name: N,
  def: string,
  parse: (value: string, config: Config) => V,
  o: Opts<V> = {},
): ParamDef<N, V> => ({ name, type: 'special', default: def, parse, format: (v) => String(v), ...o });

const YES_NO_LOCAL = ['no', 'yes', 'local'] as const;

export const PARAMS = [
  // --- booleans
  bool('rdbchecksum', 'yes', { immutable: true }),
  bool('daemonize', 'no', { immutable: true }),
  bool('io-threads-do-reads', 'no', { immutable: true }),
  bool('always-show-logo', 'no', { immutable: true }),
  bool('protected-mode', 'yes'),
  bool('rdbcompression', 'yes'),
  bool('rdb-del-sync-files', 'no'),
  bool('activerehashing', 'yes'),
  bool('stop-writes-on-bgsave-error', 'yes'),
  bool('set-proc-title', 'yes', { immutable: true }),
  bool('dynamic-hz', 'yes'),
  bool('lazyfree-lazy-eviction', 'no'),
  bool('lazyfree-lazy-expire', 'no'),
  bool('lazyfree-lazy-server-del', 'no'),
  bool('lazyfree-lazy-user-del', 'no'),
  bool('lazyfree-lazy-user-flush', 'no'),
  bool('repl-disable-tcp-nodelay', 'no'),
  bool('repl-diskless-sync', 'yes'),
  bool('aof-rewrite-incremental-fsync', 'yes'),
  bool('no-appendfsync-on-rewrite', 'no'),
  bool('cluster-require-full-coverage', 'yes'),
  bool('rdb-save-incremental-fsync', 'yes'),
  bool('aof-load-truncated', 'yes'),
  bool('aof-use-rdb-preamble', 'yes'),
  bool('aof-timestamp-enabled', 'no'),
  bool('cluster-replica-no-failover', 'no', { aliases: ['cluster-slave-no-failover'] }),
  bool('replica-lazy-flush', 'no', { aliases: ['slave-lazy-flush'] }),
  bool('replica-serve-stale-data', 'yes', { aliases: ['slave-serve-stale-data'] }),
  bool('replica-read-only', 'yes', { aliases: ['slave-read-only'] }),
  bool('replica-ignore-maxmemory', 'yes', { aliases: ['slave-ignore-maxmemory'] }),
  bool('jemalloc-bg-thread', 'yes'),
  bool('activedefrag', 'no'),
  bool('syslog-enabled', 'no', { immutable: true }),
  bool('cluster-enabled', 'no', { immutable: true }),
  bool('appendonly', 'no', { denyLoading: true }),
  bool('cluster-allow-reads-when-down', 'no'),
  bool('cluster-allow-pubsubshard-when-down', 'yes'),
  bool('crash-log-enabled', 'yes'),
  bool('crash-memcheck-enabled', 'yes'),
  bool('use-exit-on-panic', 'no', { hidden: true }),
  bool('disable-thp', 'yes', { immutable: true }),
  bool('cluster-allow-replica-migration', 'yes'),
  bool('replica-announced', 'yes'),
  bool('latency-tracking', 'yes'),
  bool('aof-disable-auto-gc', 'no'),
  bool('replica-ignore-disk-write-errors', 'no'),
  bool('tls-cluster', 'no'),
  bool('tls-replication', 'no'),
  bool('tls-prefer-server-ciphers', 'no'),
  bool('tls-session-caching', 'yes'),

  // --- strings
  text('aclfile', '', { immutable: true }),
  str('unixsocket', '', { immutable: true }),
  str('pidfile', '', { immutable: true }),
  str('replica-announce-ip', '', { aliases: ['slave-announce-ip'] }),
  str('masteruser', '', { sensitive: true }),
  str('cluster-announce-ip'),
  text('cluster-config-file', 'nodes.conf', { immutable: true }),
  str('cluster-announce-hostname', '', { parse: parseAnnouncedHostname }),
  text('syslog-ident', 'redis', { immutable: true }),
  text('dbfilename', 'dump.rdb', { protected: true, parse: parseDbFilename }),
  text('appendfilename', 'appendonly.aof', { immutable: true }),
  text('appenddirname', 'appendonlydir', { immutable: true }),
  str('server_cpulist', '', { immutable: true }),
  str('bio_cpulist', '', { immutable: true }),
  str('aof_rewrite_cpulist', '', { immutable: true }),
  str('bgsave_cpulist', '', { immutable: true }),
  text('ignore-warnings', ''),
  text('proc-title-template', '{title} {listen-addr} {server-mode}', { parse: parseProcTitleTemplate }),
  str('bind-source-addr'),
  text('logfile', '', { immutable: true }),
  text('locale-collate', ''), // Redis 7.2
  str('cluster-announce-human-nodename', '', { parse: parseAnnouncedNodename }), // Redis 7.2
  str('masterauth', '', { sensitive: true }),
  str('requirepass', '', { sensitive: true }),
  str('tls-cert-file'),
  str('tls-key-file'),
  str('tls-key-file-pass'),
  str('tls-client-cert-file'),
  str('tls-client-key-file'),
  str('tls-client-key-file-pass'),
  str('tls-dh-params-file'),
  str('tls-ca-cert-file'),
  str('tls-ca-cert-dir'),
  str('tls-protocols'),
  str('tls-ciphers'),
  str('tls-ciphersuites'),

  // --- enums
  en('supervised', 'no', ['upstart', 'systemd', 'auto', 'no'], { immutable: true }),
  en(
    'syslog-facility',
    'local0',
    ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
    { immutable: true },
  ),
  en('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb'], { denyLoading: true }),
  en('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning', 'nothing']),
  en('maxmemory-policy', 'noeviction', [
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
    'allkeys-lru',
    'allkeys-lfu',
    'allkeys-random',
    'noeviction',
  ]),
  en('appendfsync', 'everysec', ['everysec', 'always', 'no']),
  en('oom-score-adj', 'no', ['no', 'yes', 'relative', 'absolute'], { synonyms: { relative: 'yes' } }),
  en('acl-pubsub-default', 'resetchannels', ['allchannels', 'resetchannels']),
  en('sanitize-dump-payload', 'no', ['no', 'yes', 'clients']),
  en('enable-protected-configs', 'no', YES_NO_LOCAL, { immutable: true }),
  en('enable-debug-command', 'no', YES_NO_LOCAL, { immutable: true }),
  en('enable-module-command', 'no', YES_NO_LOCAL, { immutable: true }),
  en('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint']),
  en('propagation-error-behavior', 'ignore', ['ignore', 'panic', 'panic-on-replicas']),
  en('tls-auth-clients', 'yes', ['no', 'yes', 'optional']),

  // --- integers (int, unsigned int, long, long long, size_t, time_t, off_t)
  int('databases', '16', 1, INT_MAX, { immutable: true }),
  int('port', '6379', 0, 65535),
  int('io-threads', '1', 1, 128, { immutable: true }),
  int('auto-aof-rewrite-percentage', '100', 0, INT_MAX),
  int('cluster-replica-validity-factor', '10', 0, INT_MAX, { aliases: ['cluster-slave-validity-factor'] }),
  int('list-max-listpack-size', '-2', INT_MIN, INT_MAX, { aliases: ['list-max-ziplist-size'] }),
  int('tcp-keepalive', '300', 0, INT_MAX),
  int('cluster-migration-barrier', '1', 0, INT_MAX),
  int('active-defrag-cycle-min', '1', 1, 99),
  int('active-defrag-cycle-max', '25', 1, 99),
  int('active-defrag-threshold-lower', '10', 0, 1000),
  int('active-defrag-threshold-upper', '100', 0, 1000),
  int('lfu-log-factor', '10', 0, INT_MAX),
  int('lfu-decay-time', '1', 0, INT_MAX),
  int('replica-priority', '100', 0, INT_MAX, { aliases: ['slave-priority'] }),
  int('repl-diskless-sync-delay', '5', 0, INT_MAX),
  int('maxmemory-samples', '5', 1, INT_MAX),
  int('maxmemory-eviction-tenacity', '10', 0, 100),
  int('timeout', '0', 0, INT_MAX),
  int('replica-announce-port', '0', 0, 65535, { aliases: ['slave-announce-port'] }),
  int('tcp-backlog', '511', 0, INT_MAX, { immutable: true }),
  int('cluster-port', '0', 0, 65535, { immutable: true }),
  int('cluster-announce-bus-port', '0', 0, 65535),
  int('cluster-announce-port', '0', 0, 65535),
  int('cluster-announce-tls-port', '0', 0, 65535),
  int('repl-timeout', '60', 1, INT_MAX),
  int('repl-ping-replica-period', '10', 1, INT_MAX, { aliases: ['repl-ping-slave-period'] }),
  int('list-compress-depth', '0', 0, INT_MAX),
  int('rdb-key-save-delay', '0', INT_MIN, INT_MAX, { hidden: true }),
  int('key-load-delay', '0', INT_MIN, INT_MAX, { hidden: true }),
  int('active-expire-effort', '1', 1, 10),
  int('hz', '10', 0, INT_MAX),
  int('min-replicas-to-write', '0', 0, INT_MAX, { aliases: ['min-slaves-to-write'] }),
  int('min-replicas-max-lag', '10', 0, INT_MAX, { aliases: ['min-slaves-max-lag'] }),
  int('watchdog-period', '0', 0, INT_MAX, { hidden: true }),
  int('shutdown-timeout', '10', 0, INT_MAX),
  int('repl-diskless-sync-max-replicas', '0', 0, INT_MAX),
  int('socket-mark-id', '0', 0, UINT_MAX, { unsigned: true }),
  int('maxclients', '10000', 1, UINT_MAX, { unsigned: true }),
  int('unixsocketperm', '0', 0, 0o777, { unsigned: true, octal: true, immutable: true }),
  int('active-defrag-max-scan-fields', '1000', 1, LONG_MAX),
  int('slowlog-max-len', '128', 0, LONG_MAX),
  int('acllog-max-len', '128', 0, LONG_MAX),
  int('busy-reply-threshold', '5000', 0, LONG_MAX, { aliases: ['lua-time-limit'] }),
  int('cluster-node-timeout', '15000', 0, LONG_MAX),
  int('cluster-ping-interval', '0', 0, LONG_MAX, { hidden: true }), // Redis's tests set it (0: node timeout / 2)
  int('slowlog-log-slower-than', '10000', -1, LONG_MAX),
  int('latency-monitor-threshold', '0', 0, LONG_MAX),
  int('stream-node-max-entries', '100', 0, LONG_MAX),
  int('hash-max-listpack-entries', '512', 0, LONG_MAX, { unsigned: true, aliases: ['hash-max-ziplist-entries'] }),
  int('set-max-intset-entries', '512', 0, LONG_MAX, { unsigned: true }),
  // Redis 7.2: small sets of strings as listpacks
  int('set-max-listpack-entries', '128', 0, LONG_MAX, { unsigned: true }),
  int('set-max-listpack-value', '64', 0, LONG_MAX, { unsigned: true }),
  int('zset-max-listpack-entries', '128', 0, LONG_MAX, { unsigned: true, aliases: ['zset-max-ziplist-entries'] }),
  int('tracking-table-max-keys', '1000000', 0, LONG_MAX, { unsigned: true }),
  int('repl-backlog-ttl', '3600', 0, LONG_MAX),
  int('loading-process-events-interval-bytes', '2097152', 1024, INT_MAX, { hidden: true }),
  int('tls-port', '0', 0, 65535),
  int('tls-session-cache-size', '20480', 0, INT_MAX),
  int('tls-session-cache-timeout', '300', 0, INT_MAX),
  // tsdis's own: the HTTP listener for /metrics and the dashboard (src/http/), 0: off
  int('http-port', '0', 0, 65535),

  // --- memory (byte counts with units; shown as plain bytes)
  mem('proto-max-bulk-len', '536870912', 1024 * 1024, LONG_MAX),
  mem('repl-backlog-size', '1048576', 1, LONG_MAX),
  mem('maxmemory', '0', 0, ULLONG_MAX, { unsigned: true }),
  mem('cluster-link-sendbuf-limit', '0', 0, ULLONG_MAX, { unsigned: true }),
  mem('active-defrag-ignore-bytes', '104857600', 1, LONG_MAX, { unsigned: true }),
  mem('hash-max-listpack-value', '64', 0, LONG_MAX, { unsigned: true, aliases: ['hash-max-ziplist-value'] }),
  mem('stream-node-max-bytes', '4096', 0, LONG_MAX, { unsigned: true }),
  mem('zset-max-listpack-value', '64', 0, LONG_MAX, { unsigned: true, aliases: ['zset-max-ziplist-value'] }),
  mem('hll-sparse-max-bytes', '3000', 0, LONG_MAX, { unsigned: true }),
  mem('client-query-buffer-limit', '1073741824', 1024 * 1024, LONG_MAX, { unsigned: true }),
  mem('maxmemory-clients', '0', -100, LONG_MAX, { percent: true }),
  mem('auto-aof-rewrite-min-size', '67108864', 0, LONG_MAX),

  // --- special formats
  special('dir', '', parseDir, {
    protected: true,
    denyLoading: true,
    rewrite: (v) => ({ lines: [`dir ${repr(v)}`], force: true }),
  }),
  special('save', '3600 1 300 100 60 10000', parseSave, { multiArg: true, format: formatSave, rewrite: rewriteSave }),
  special(
    'client-output-buffer-limit',
    'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parseObufLimits,
    {
      multiArg: true,
      rewrite: rewriteObufLimits,
    },
  ),
  special('oom-score-adj-values', '0 200 800', parseOomValues, { multiArg: true }),
  special('notify-keyspace-events', '', parseNotifyFlags, {
    format: formatNotifyFlags,
    rewrite: (v) => ({ lines: [`notify-keyspace-events ${repr(formatNotifyFlags(v))}`], force: v !== 0 }),
  }),
  special('bind', '* -::*', parseBind, {
    multiArg: true,
    rewrite: (v) => ({ lines: [`bind ${v === '' ? '""' : v}`], force: v !== '* -::*' }),
  }),
  special('replicaof', '', parseReplicaOf, {
    aliases: ['slaveof'],
    immutable: true,
    multiArg: true,
    rewrite: rewriteReplicaOf,
  }),
  // tsdis's own: the HTTP listener's addresses (bind's syntax); empty: bind's first address
  special('http-bind', '', parseBind, {
    multiArg: true,
    rewrite: (v) => ({ lines: v === '' ? [] : [`http-bind ${v}`], force: v !== '' }),
  }),
  special('latency-tracking-info-percentiles', '50 99 99.9', parsePercentiles, {
    multiArg: true,
    rewrite: (v) => ({ lines: [`latency-tracking-info-percentiles ${v === '' ? '""' : v}`], force: true }),
  }),
  special('shutdown-on-sigint', 'default', parseShutdownFlags, { multiArg: true, format: formatShutdownFlags }),
  special('shutdown-on-sigterm', 'default', parseShutdownFlags, { multiArg: true, format: formatShutdownFlags }),
] as const;

/** A parameter of the table (a union of ParamDef<name, value type>, one member per parameter). */
type TableParam = (typeof PARAMS)[number];
/** The canonical parameter names. */
export type ParamName = TableParam['name'];
/**
 * The stored values by canonical name, each typed as its parameter's parse
 * result: boolean (bool), number (int, memory), string (string), the union of
 * its values (enum), and the special parsers' own types. The type of
 * `config.v`, derived from the table (a misspelt or alias name is a compile error).
 */
export type ConfigValues = { [P in TableParam as P['name']]: ReturnType<P['parse']> };
/**
 * The definition of parameter K with its value type. For a generic K this is
 * ParamDef<K, ConfigValues[K]>, so code generic over the name can pass
 * `config.v[p.name]` to `p.format` (TypeScript's correlated-union pattern);
 * ParamOf (K = every name) is the union of the table's definitions.
 */
export type ParamOf<K extends ParamName = ParamName> = { [P in K]: ParamDef<P, ConfigValues[P]> }[K];
/** The parameters valued yes, no or local (enable-debug-command...): what a command's protectedBy names. */
export type YesNoLocalParam = {
  [K in ParamName]: ConfigValues[K] extends (typeof YES_NO_LOCAL)[number] ? K : never;
}[ParamName];

/** Redis's yes/no. */
function parseBool(value: string): boolean {
  const l = value.toLowerCase();
  if (l === 'yes') return true;
  if (l === 'no') return false;
  throw new ConfigValueError(`argument must be 'yes' or 'no'`);
}

/** Redis's string2ll as a bigint (parseInt64's rules), or null. */
function string2ll(s: string): bigint | null {
  const n = parseInt64(s);
  return n === null ? null : BigInt(n);
}

/**
 * An int or memory parameter's value with Redis's rules and error texts
 * (units, percent, octal, signed or unsigned bounds), exactly, as a bigint.
 * The table's int and mem parsers narrow it to a number; Config.store parses
 * again here for the exact text of a value beyond 2^53.
 */
export function parseInteger(p: ParamFields, value: string): bigint {
  let n: bigint | null = null;
  if (p.type === 'memory') {
    n = memtoull(value);
    if (n === null && p.percent && value.length > 1 && value.endsWith('%')) {
      const pc = string2ll(value.slice(0, -1));
      if (pc !== null && pc >= 0n) n = -pc;
    }
  } else if (p.octal) {
    n = /^[+-]?[0-7]+$/.test(value) ? BigInt(parseInt(value, 8)) : null;
  } else n = string2ll(value);
  if (n === null) {
    throw new ConfigValueError(
      p.type === 'memory'
        ? p.percent
          ? 'argument must be a memory or percent value'
          : 'argument must be a memory value'
        : p.octal
          ? "argument couldn't be parsed as an octal number"
          : "argument couldn't be parsed into an integer",
    );
  }
  const min = BigInt(p.min ?? -9223372036854775808n);
  const max = BigInt(p.max ?? 9223372036854775807n);
  if (p.unsigned) {
    const u = n < 0n ? n + 18446744073709551616n : n;
    if (u < min || u > max) {
      const f = (x: bigint) => (p.octal ? x.toString(8) : x.toString());
      throw new ConfigValueError(`argument must be between ${f(min)} and ${f(max)} inclusive`);
    }
  } else if (p.percent && n < 0n) {
    if (n < min) throw new ConfigValueError(`percentage argument must be less or equal to ${-min}`);
  } else if (n < min || n > max) {
    throw new ConfigValueError(`argument must be between ${min} and ${max} inclusive`);
  }
  return n;
}

/** dbfilename must be a file name, not a path. */
function parseDbFilename(value: string): string {
  if (value.includes('/')) throw new ConfigValueError("dbfilename can't be a path, just a filename");
  return value;
}

/** CONFIG REWRITE's replicaof line: none for a primary, and none in cluster mode (a cluster node's primary lives in nodes.conf), as in Redis. */
function rewriteReplicaOf(v: string, config: Config): Rewrite {
  const values: Readonly<Record<string, unknown>> = config.v;
  const on = v !== '' && values['cluster-enabled'] !== true;
  return { lines: on ? [`replicaof ${v}`] : [], force: on };
}

/**
 * The table of configuration parameters: every Redis 7 parameter name and
 * alias, its type and default. Parameters that have no effect yet are still
 * accepted and returned, as the issue asks.
 */
import type { Config } from './config.js';

export interface ParamDef {
  name: string;
  aliases?: string[];
  type: 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';
  default: string;
  min?: number;
  max?: number;
  /** For enums: accepted lowercase values. */
  values?: string[];
  /** Only settable at startup (config file or command line). */
  immutable?: boolean;
  /** Hidden from CONFIG GET * (none for now) */
  sensitive?: boolean;
  /** Custom parser: returns the stored value or throws ConfigValueError. */
  parse?: (value: string, config: Config) => unknown;
  /** Custom formatter for CONFIG GET. */
  format?: (value: any, config: Config) => string;
}

const INT_MAX = 2147483647;
const LLONG_MAX = Number.MAX_SAFE_INTEGER;

export const PARAMS: ParamDef[] = [
  { name: 'port', type: 'int', default: '6379', min: 0, max: 65535 },
  { name: 'bind', type: 'string', default: '127.0.0.1 -::1' },
  { name: 'unixsocket', type: 'string', default: '', immutable: true },
  { name: 'unixsocketperm', type: 'int', default: '0', immutable: true, min: 0, max: 0o777 },
  { name: 'protected-mode', type: 'bool', default: 'yes' },
  { name: 'tcp-backlog', type: 'int', default: '511', immutable: true, min: 0, max: INT_MAX },
  { name: 'timeout', type: 'int', default: '0', min: 0, max: INT_MAX },
  { name: 'tcp-keepalive', type: 'int', default: '300', min: 0, max: INT_MAX },
  { name: 'databases', type: 'int', default: '16', immutable: true, min: 1, max: INT_MAX },
  { name: 'hz', type: 'int', default: '10', min: 0, max: INT_MAX },
  { name: 'maxclients', type: 'int', default: '10000', min: 1, max: INT_MAX },
  { name: 'requirepass', type: 'string', default: '', sensitive: true },
  { name: 'proto-max-bulk-len', type: 'memory', default: '512mb', min: 1024 * 1024, max: LLONG_MAX },
  { name: 'client-query-buffer-limit', type: 'memory', default: '1gb', min: 1024 * 1024, max: LLONG_MAX },
  { name: 'client-output-buffer-limit', type: 'special', default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60' },
  { name: 'loglevel', type: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', type: 'string', default: '', immutable: true },
  { name: 'enable-debug-command', type: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  { name: 'slowlog-log-slower-than', type: 'int', default: '10000', min: -1, max: LLONG_MAX },
  { name: 'slowlog-max-len', type: 'int', default: '128', min: 0, max: LLONG_MAX },
  { name: 'daemonize', type: 'bool', default: 'no', immutable: true },
  { name: 'dir', type: 'string', default: '' },
  { name: 'dbfilename', type: 'string', default: 'dump.rdb' },
  { name: 'save', type: 'string', default: '3600 1 300 100 60 10000' },
  { name: 'appendonly', type: 'bool', default: 'no' },
  { name: 'maxmemory', type: 'memory', default: '0', min: 0, max: LLONG_MAX },
  { name: 'maxmemory-policy', type: 'enum', default: 'noeviction',
    values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'] },
  { name: 'active-expire-effort', type: 'int', default: '1', min: 1, max: 10 },
  { name: 'lfu-log-factor', type: 'int', default: '10', min: 0, max: INT_MAX },
  { name: 'lfu-decay-time', type: 'int', default: '1', min: 0, max: INT_MAX },
];

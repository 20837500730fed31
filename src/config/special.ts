/**
 * Parameters with their own syntax: save, client-output-buffer-limit,
 * notify-keyspace-events, oom-score-adj-values, bind, replicaof,
 * latency-tracking-info-percentiles, shutdown-on-sig*, dir. Each parser takes
 * the text CONFIG SET or redis.conf gives and returns the value to store, or
 * throws ConfigValueError with Redis's message (CONFIG SET adds its prefix).
 */
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { formatFixed, parseDouble } from '../util/numbers.js';

/** A bad value for a parameter; CONFIG SET wraps the text in its own message. */
export class ConfigValueError extends Error {}

/**
 * Words of a multi-word value. Like Redis's CONFIG SET, split on single
 * spaces (sdssplitlen): no quoting, and two spaces make an empty word.
 * redis.conf lines are split with quotes by the file loader before this.
 */
function words(value: string): string[] {
  return value === '' ? [] : value.split(' ');
}

/** C strtoll over the whole string (leading spaces and a sign allowed); null when trailing junk. */
function strtoll(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d*)$/.exec(s);
  if (!m) return null;
  const t = m[1]!;
  if (t === '' || t === '+' || t === '-') return 0;
  return Number(t);
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const KB = 1024;
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: MB,
  g: 1000 * 1000 * 1000,
  gb: GB,
};

/** Redis's memtoull: digits then an optional unit (k kb m mb g gb b); null when invalid. */
export function memtoull(s: string): bigint | null {
  const m = /^(\d*)([a-zA-Z]*)$/.exec(s);
  if (!m) return null;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const digits = m[1] === '' ? 0n : BigInt(m[1]!);
  const v = digits * BigInt(unit);
  const max = 18446744073709551615n;
  return v > max ? max : v;
}

/** Redis's rewriteConfigFormatMemory: 1gb / 64mb / 2kb when exact, else bytes. */
export function formatMemoryUnits(bytes: number): string {
  if (bytes && bytes % GB === 0) return `${bytes / GB}gb`;
  if (bytes && bytes % MB === 0) return `${bytes / MB}mb`;
  if (bytes && bytes % KB === 0) return `${bytes / KB}kb`;
  return String(bytes);
}

// --- save

/** save "S C [S C ...]" or "" (no snapshots). Stored as the canonical "S C S C" text. */
export function parseSave(value: string): string {
  let args = words(value);
  if (args.length === 1 && args[0] === '') args = [];
  if (args.length % 2) throw new ConfigValueError('Invalid save parameters');
  const nums: number[] = [];
  for (let j = 0; j < args.length; j++) {
    const v = strtoll(args[j]!);
    if (v === null || (j % 2 === 0 && v < 1) || (j % 2 === 1 && v < 0))
      throw new ConfigValueError('Invalid save parameters');
    nums.push(v);
  }
  return nums.join(' ');
}

export function formatSave(v: string): string {
  return v;
}

/** save is always written: one line per pair, or `save ""` for none. */
export function rewriteSave(v: string): { lines: string[]; force: boolean } {
  if (v === '') return { lines: ['save ""'], force: true };
  const n = v.split(' ');
  const lines: string[] = [];
  for (let i = 0; i + 1 < n.length; i += 2) lines.push(`save ${n[i]} ${n[i + 1]}`);
  return { lines, force: true };
}

// --- client-output-buffer-limit

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;
const OBUF_DEFAULTS = [
  [0, 0, 0],
  [268435456, 67108864, 60],
  [33554432, 8388608, 60],
];

/** The three classes' [hard, soft, seconds] from the stored text. */
export function obufTable(v: string): number[][] {
  const p = v.split(' ');
  const t: number[][] = [];
  for (let i = 0; i < 3; i++) t.push([Number(p[i * 4 + 1]), Number(p[i * 4 + 2]), Number(p[i * 4 + 3])]);
  return t;
}

/**
 * "<class> <hard> <soft> <seconds> ..." for the classes given; the others keep
 * their current limits. Validates everything before changing anything.
 */
export function parseObufLimits(value: string, config: Config): string {
  const args = words(value);
  if (args.length % 4) throw new ConfigValueError('Wrong number of arguments in buffer limit configuration.');
  // undefined while the Config is being built (its default is parsed before any value is stored)
  const cur: string | undefined = config.v['client-output-buffer-limit'];
  const table = obufTable(cur || 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
  for (let j = 0; j < args.length; j += 4) {
    const name = args[j]!.toLowerCase();
    const cls = name === 'normal' ? 0 : name === 'slave' || name === 'replica' ? 1 : name === 'pubsub' ? 2 : -1;
    if (cls < 0) throw new ConfigValueError('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(args[j + 1]!);
    const soft = memtoull(args[j + 2]!);
    const secs = /^-?\d+$/.test(args[j + 3]!) ? Number(args[j + 3]) : -1;
    if (hard === null || soft === null || secs < 0) {
      throw new ConfigValueError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    table[cls] = [Number(hard), Number(soft), secs];
  }
  return table.map((t, i) => `${OBUF_CLASSES[i]} ${t[0]} ${t[1]} ${t[2]}`).join(' ');
}

/** One line per class; a class is forced only when it differs from its default. */
export function rewriteObufLimits(v: string): { lines: string[]; force: boolean; forceEach: boolean[] } {
  const t = obufTable(v);
  const lines: string[] = [];
  const forceEach: boolean[] = [];
  t.forEach((row, i) => {
    // CONFIG GET says "slave", the rewritten file says "replica" (as Redis does).
    lines.push(
      `client-output-buffer-limit ${i === 1 ? 'replica' : OBUF_CLASSES[i]} ${formatMemoryUnits(row[0]!)} ${formatMemoryUnits(row[1]!)} ${row[2]}`,
    );
    const d = OBUF_DEFAULTS[i]!;
    forceEach.push(row[0] !== d[0] || row[1] !== d[1] || row[2] !== d[2]);
  });
  return { lines, force: forceEach.some(Boolean), forceEach };
}

// --- notify-keyspace-events

/** Event class bits (Redis's NOTIFY_* values). */
export const NOTIFY = {
  KEYSPACE: 1 << 0,
  KEYEVENT: 1 << 1,
  GENERIC: 1 << 2,
  STRING: 1 << 3,
  LIST: 1 << 4,
  SET: 1 << 5,
  HASH: 1 << 6,
  ZSET: 1 << 7,
  EXPIRED: 1 << 8,
  EVICTED: 1 << 9,
  STREAM: 1 << 10,
  KEY_MISS: 1 << 11,
  LOADED: 1 << 12,
  MODULE: 1 << 13,
  NEW: 1 << 14,
} as const;
const NOTIFY_ALL =
  NOTIFY.GENERIC |
  NOTIFY.STRING |
  NOTIFY.LIST |
  NOTIFY.SET |
  NOTIFY.HASH |
  NOTIFY.ZSET |
  NOTIFY.EXPIRED |
  NOTIFY.EVICTED |
  NOTIFY.STREAM |
  NOTIFY.MODULE;
const NOTIFY_CHARS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY.GENERIC,
  $: NOTIFY.STRING,
  l: NOTIFY.LIST,
  s: NOTIFY.SET,
  h: NOTIFY.HASH,
  z: NOTIFY.ZSET,
  x: NOTIFY.EXPIRED,
  e: NOTIFY.EVICTED,
  K: NOTIFY.KEYSPACE,
  E: NOTIFY.KEYEVENT,
  t: NOTIFY.STREAM,
  m: NOTIFY.KEY_MISS,
  d: NOTIFY.MODULE,
  n: NOTIFY.NEW,
};

/** The class characters to a bit set (stored as a number). */
export function parseNotifyFlags(value: string): number {
  let flags = 0;
  for (const c of value) {
    const f = NOTIFY_CHARS[c];
    if (f === undefined) throw new ConfigValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    flags |= f;
  }
  return flags;
}

/** The bit set in Redis's canonical character order ("AKE", "gnK"). */
export function formatNotifyFlags(flags: number): string {
  let s = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += 'A';
  else {
    const order: [string, number][] = [
      ['g', NOTIFY.GENERIC],
      ['$', NOTIFY.STRING],
      ['l', NOTIFY.LIST],
      ['s', NOTIFY.SET],
      ['h', NOTIFY.HASH],
      ['z', NOTIFY.ZSET],
      ['x', NOTIFY.EXPIRED],
      ['e', NOTIFY.EVICTED],
      ['t', NOTIFY.STREAM],
      ['d', NOTIFY.MODULE],
      ['n', NOTIFY.NEW],
    ];
    for (const [c, f] of order) if (flags & f) s += c;
  }
  if (flags & NOTIFY.KEYSPACE) s += 'K';
  if (flags & NOTIFY.KEYEVENT) s += 'E';
  if (flags & NOTIFY.KEY_MISS) s += 'm';
  return s;
}

// --- the rest

/** Three integers in [-2000, 2000]. */
export function parseOomValues(value: string): string {
  const a = words(value);
  if (a.length !== 3) throw new ConfigValueError('wrong number of arguments');
  const v = a.map((x) => {
    const n = strtoll(x);
    if (n === null || n < -2000 || n > 2000)
      throw new ConfigValueError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
    return n;
  });
  return v.join(' ');
}

/** Up to 16 addresses; a single "" means none. */
export function parseBind(value: string): string {
  let a = words(value);
  if (a.length > 16) throw new ConfigValueError('Too many bind addresses specified.');
  if (a.length === 1 && a[0] === '') a = [];
  return a.join(' ');
}

/** "host port" or "no one". */
export function parseReplicaOf(value: string): string {
  const a = words(value);
  if (a.length === 0 || (a.length === 1 && a[0] === '')) return '';
  if (a.length !== 2) throw new ConfigValueError('wrong number of arguments');
  if (a[0]!.toLowerCase() === 'no' && a[1]!.toLowerCase() === 'one') return '';
  if (!/^\d+$/.test(a[1]!) || Number(a[1]) > 65535) throw new ConfigValueError('Invalid master port');
  return `${a[0]} ${Number(a[1])}`;
}

/** Percentiles in [0, 100], shown like Redis's %f with trailing zeros trimmed. */
export function parsePercentiles(value: string): string {
  let a = words(value);
  if (a.length === 1 && a[0] === '') a = [];
  const out: string[] = [];
  for (const x of a) {
    const n = parseDouble(x);
    if (n === null) throw new ConfigValueError('Invalid latency-tracking-info-percentiles parameters');
    if (n > 100 || n < 0)
      throw new ConfigValueError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    out.push(trimDouble(formatFixed(n, 6)));
  }
  return out.join(' ');
}

function trimDouble(s: string): string {
  if (!s.includes('.')) return s;
  s = s.replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

const SHUTDOWN_FLAGS: [string, number][] = [
  ['default', 0],
  ['save', 1],
  ['nosave', 2],
  ['now', 4],
  ['force', 8],
];

/** shutdown-on-sigint/sigterm: default or any of save|nosave, now, force. */
export function parseShutdownFlags(value: string): number {
  let flags = 0;
  const ws = words(value);
  // at least one (a bare `--shutdown-on-sigint` is an error, as in Redis)
  if (ws.length === 0)
    throw new ConfigValueError(
      `argument(s) must be one of the following: ${SHUTDOWN_FLAGS.map(([n]) => n).join(', ')}`,
    );
  for (const w of ws) {
    const f = SHUTDOWN_FLAGS.find(([n]) => n === w.toLowerCase());
    if (!f)
      throw new ConfigValueError(
        `argument(s) must be one of the following: ${SHUTDOWN_FLAGS.map(([n]) => n).join(', ')}`,
      );
    flags |= f[1];
  }
  if (flags & 1 && flags & 2)
    throw new ConfigValueError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  return flags;
}

export function formatShutdownFlags(flags: number): string {
  if (flags === 0) return 'default';
  return SHUTDOWN_FLAGS.filter(([, f]) => f && flags & f)
    .map(([n]) => n)
    .join(' ');
}

/**
 * The working directory for persistence files: must be an existing
 * directory; relative paths resolve against the current value. tsdis does
 * not chdir() (it may be embedded), it only records the absolute path.
 */
export function parseDir(value: string, config: Config): string {
  if (value === '') throw new ConfigValueError('No such file or directory');
  const base = config.v['dir'] || process.cwd();
  const abs = path.resolve(base, value);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new ConfigValueError('No such file or directory');
  }
  if (!st.isDirectory()) throw new ConfigValueError('Not a directory');
  return abs;
}

/**
 * proc-title-template: {title} {listen-addr} {server-mode} {port} {tls-port}
 * {unixsocket} {config-file} and literal text ("{{" and "}}" escape braces);
 * invalid when a variable is unknown, a brace unbalanced, or the title would
 * be empty (Redis expands it with an empty title to check).
 */
export function parseProcTitleTemplate(value: string): string {
  const known = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);
  // what may expand to nothing counts as nothing: the title must show something else
  const out = expandProcTitle(value, (name) =>
    known.has(name) ? (name === 'title' || name === 'server-mode' ? '' : 'x') : null,
  );
  if (out === null || out.trim() === '')
    throw new ConfigValueError('template format is invalid or contains unknown variables');
  return value;
}

/**
 * cluster-announce-hostname (Redis's isValidAnnouncedHostname): under 256
 * bytes, of letters, digits, hyphens and dots only (as C reads it: up to
 * a NUL byte). The empty value unsets it.
 */
export function parseAnnouncedHostname(value: string): string {
  const nul = value.indexOf('\0');
  const v = nul < 0 ? value : value.slice(0, nul);
  if (v.length >= 256) throw new ConfigValueError('Hostnames must be less than 256 characters');
  if (!/^[A-Za-z0-9.-]*$/.test(v))
    throw new ConfigValueError('Hostnames may only contain alphanumeric characters, hyphens or dots');
  return value;
}

/**
 * cluster-announce-human-nodename (Redis 7.2's isValidAnnouncedNodename,
 * its check of a nodes.conf aux value): none of !#$%&()*+:;<>?@[]^{|}~.
 */
export function parseAnnouncedNodename(value: string): string {
  if (/[!#$%&()*+:;<>?@[\]^{|}~]/.test(value))
    throw new ConfigValueError('Announced human node name contained invalid character');
  return value;
}

/**
 * A proc-title-template with its {variables} replaced by `value(name)` ({{
 * and }} are literal braces); null when it is malformed or `value` knows a
 * variable not (returns null). The CLI sets the process title with it.
 */
export function expandProcTitle(template: string, value: (name: string) => string | null): string | null {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') {
      out += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      out += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) return null;
      const v = value(template.slice(i + 1, end));
      if (v === null) return null;
      out += v;
      i = end;
    } else if (c === '}') return null;
    else out += c;
  }
  return out;
}

/**
 * redis.conf handling, with redis-server's conventions:
 *
 * - one directive a line: `name arg arg ...`, split like an inline command
 *   (double quotes with \n \xHH escapes, single quotes), `#` comment lines,
 *   blank lines, surrounding white space ignored;
 * - `include path` (glob patterns allowed) loads another file in place;
 * - multi-word parameters (`save 3600 1 300 100`, `bind a b`,
 *   `client-output-buffer-limit normal 0 0 0`) are stored joined by spaces;
 *   repeated `save` lines add up while a file is read;
 * - command-line `--name value ...` pairs become lines appended after the
 *   file and stdin (`-`), so they win;
 * - the first bad line stops everything with the "*** FATAL CONFIG FILE
 *   ERROR ***" block naming the line and the reason.
 *
 * parseConfigText() is the pure parser (CONFIG REWRITE uses it);
 * loadConfig() applies text to a Config.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { splitArgs } from '../protocol/parser.js';
import type { Config } from './config.js';
import { underDir } from '../util/log.js';
import type { CommandTable } from '../commands/registry.js';

/** A directive as written: its lowercased name and its arguments. */
export type ConfigDirective = [name: string, args: string[]];

/** A directive with where it came from (1-based line number and trimmed text). */
export interface ConfigLine {
  name: string;
  args: string[];
  line: number;
  text: string;
}

/** A bad configuration: printed as Redis's fatal block (line and text when known). */
export class ConfigFileError extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
    readonly text?: string,
  ) {
    super(reason);
    this.name = 'ConfigFileError';
  }
}

/**
 * A fatal startup problem that Redis reports as a log line rather than the
 * fatal block (a config file that cannot be opened, module configs).
 */
export class ConfigFatalLog extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFatalLog';
  }
}

/**
 * Splits redis.conf text into directives with their line numbers. Comment
 * and blank lines are skipped. Throws ConfigFileError on unbalanced quotes.
 */
export function parseConfigLines(text: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = trimConf(lines[i]!);
    if (t === '' || t.startsWith('#')) continue;
    const argv = splitArgs(t);
    if (argv === null) throw new ConfigFileError('Unbalanced quotes in configuration line', i + 1, t);
    if (argv.length === 0) continue;
    out.push({ name: argv[0]!.toLowerCase(), args: argv.slice(1), line: i + 1, text: t });
  }
  return out;
}

/** Splits redis.conf text into `[name, args]` pairs (names lowercased). */
export function parseConfigText(text: string): ConfigDirective[] {
  return parseConfigLines(text).map((l) => [l.name, l.args]);
}

/** Trims the characters Redis trims from a config line: space, tab, CR, LF. */
function trimConf(s: string): string {
  let a = 0;
  let b = s.length;
  const ws = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
  while (a < b && ws(s.charCodeAt(a))) a++;
  while (b > a && ws(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/**
 * Quotes a command-line value as Redis's sdscatrepr does, so that it is read
 * back as exactly one argument: "..." with \\ \" \n \r \t \a \b and \xHH.
 */
export function quoteConfigArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) out += '\\\\';
    else if (c === 34) out += '\\"';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += s[i];
  }
  return out + '"';
}

/** What the command line asks for. */
export interface CliArgs {
  /** The config file as given (not yet absolute), if any. */
  file?: string;
  /** `-`: read more config from standard input. */
  stdin: boolean;
  /** The `--name value` pairs as config text, one directive a line. */
  options: string;
  version: boolean;
  help: boolean;
}

/**
 * Reads redis-server style arguments: `[configfile] [--name value ...] [-]`.
 * A first argument not starting with `-` is the config file; `-` as the
 * first or last argument reads config from stdin; each `--name` starts a
 * directive and the words after it are its (quoted) arguments. `--save` with
 * no value means `save ""`.
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const res: CliArgs = { stdin: false, options: '', version: false, help: false };
  if (argv.length === 0) return res;
  const first = argv[0]!;
  if (first === '-v' || first === '--version') return { ...res, version: true };
  if (first === '-h' || first === '--help') return { ...res, help: true };
  let j = 0;
  if (!first.startsWith('-')) {
    res.file = first;
    j = 1;
  }
  // Values are bytes, as when read from a file: one latin1 char per UTF-8 byte.
  argv = argv.map((a) => Buffer.from(a, 'utf8').latin1Slice(0));
  let opts = '';
  // whether the last option name already has a value (or needs none)
  let lastHasArg = true;
  for (; j < argv.length; j++) {
    const a = argv[j]!;
    if (a === '-' && (j === 0 || j === argv.length - 1)) {
      res.stdin = true;
    } else if (lastHasArg && a.startsWith('--')) {
      if (opts.length) opts += '\n';
      opts += a.slice(2) + ' ';
      const words = splitArgs(a) ?? [];
      if (words.length === 1) {
        lastHasArg = false;
        const next = argv[j + 1];
        if (a.toLowerCase() === '--save' && (next === undefined || next.startsWith('--'))) {
          opts += '""';
          lastHasArg = true;
        }
      } else lastHasArg = true; // "--port 6380" as one argument
    } else {
      opts += quoteConfigArg(a) + ' ';
      lastHasArg = true;
    }
  }
  res.options = opts;
  return res;
}

/** Parameters that take several words; used when the parameter table does not say. */
const MULTI_ARG = new Set([
  'save',
  'bind',
  'client-output-buffer-limit',
  'oom-score-adj-values',
  'latency-tracking-info-percentiles',
]);
/** Old parameters Redis still accepts and ignores: [name, min argc, max argc]. */
const DEPRECATED: [string, number, number][] = [
  ['list-max-ziplist-entries', 2, 2],
  ['list-max-ziplist-value', 2, 2],
  ['lua-replicate-commands', 2, 2],
];

/** Directives that are not parameters, collected for whoever implements them. */
export interface LoadResult {
  /** `rename-command old new`, `user ...`, `loadmodule ...` lines, in order. */
  directives: ConfigLine[];
  /** Every file read, absolute (the main file first). */
  files: string[];
}

/** Where `user` lines go (the ACL subsystem, acl/acl.ts). */
export interface ConfigUsers {
  /** Checks one `user` line's arguments (name, rules...): null, or [the argument index at fault, the error]. */
  configUser(args: readonly string[]): [number, string] | null;
  /** Loads the users (the `user` lines, or the ACL file; both is an error): null, or the fatal log text. */
  loadAtStartup(): string | null;
}

/**
 * Applies the directives a loaded config collected once the command table
 * exists: `rename-command` (Redis's errors, with the line) and `user` lines
 * (checked as Redis does, then loaded with the ACL file if any).
 * `loadmodule` is the CLI's (a log line and exit).
 */
export function applyDirectives(result: LoadResult, config: Config, commands: CommandTable, users?: ConfigUsers): void {
  for (const d of result.directives) {
    if (d.name === 'rename-command') {
      const err = commands.rename(d.args[0]!, d.args[1]!);
      if (err !== null) throw new ConfigFileError(err, d.line, d.text);
    } else if (d.name === 'user' && users !== undefined) {
      const err = users.configUser(d.args);
      if (err !== null)
        throw new ConfigFileError(
          `Error in user declaration '${err[0] === 0 ? 'user' : d.args[err[0] - 1]}': ${err[1]}`,
          d.line,
          d.text,
        );
    }
  }
  if (users !== undefined) {
    const err = users.loadAtStartup();
    if (err !== null) throw new ConfigFatalLog(err);
  }
}

interface LoadState {
  result: LoadResult;
  /** Redis resets `save` on its first line while a file is read, then appends. */
  saveLoaded: boolean;
  /** True while a text is being applied; an include turns it off when it ends (as in Redis). */
  reading: boolean;
  depth: number;
}

/**
 * Applies configuration the way redis-server starts: the file (if any), then
 * stdin text (if any), then the command-line options, as one text. Throws
 * ConfigFileError (fatal block) or ConfigFatalLog (a fatal log line).
 */
export function loadConfig(config: Config, src: { file?: string; stdin?: string; options?: string }): LoadResult {
  const state: LoadState = { result: { directives: [], files: [] }, saveLoaded: false, reading: false, depth: 0 };
  let text = '';
  if (src.file !== undefined) {
    const abs = path.resolve(src.file);
    text = readConfigFile(abs);
    state.result.files.push(abs);
  }
  if (src.stdin !== undefined) text += src.stdin;
  if (src.options) text += '\n' + src.options;
  applyConfigText(config, text, state);
  return state.result;
}

/** Reads one config file, or throws Redis's "can't open config file" fatal log. */
function readConfigFile(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (e) {
    throw new ConfigFatalLog(`Fatal error, can't open config file '${file}': ${strerror(e)}`);
  }
}

/** The C library's text for an errno code, as Redis prints it. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
    EADDRINUSE: 'Address already in use',
    EADDRNOTAVAIL: 'Cannot assign requested address',
    EROFS: 'Read-only file system',
    ENOSPC: 'No space left on device',
  };
  if (code && known[code]) return known[code];
  // others: libuv's text is C's with a lower-case first letter ("EFBIG: file too large, write")
  const msg = (e as Error).message;
  const m = code ? /^[A-Z0-9]+: ([^,]+)/.exec(msg) : null;
  return m ? m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1) : msg;
}

/** Applies one text (a file's contents, or file + stdin + options) line by line. */
function applyConfigText(config: Config, text: string, state: LoadState): void {
  state.reading = true;
  const lines = text.split('\n');
  const moduleConfigs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = trimConf(lines[i]!);
    if (t === '' || t.startsWith('#')) continue;
    const fail = (reason: string): never => {
      throw new ConfigFileError(reason, i + 1, t);
    };
    const argv = splitArgs(t);
    if (argv === null) fail('Unbalanced quotes in configuration line');
    if (argv!.length === 0) continue;
    const name = argv![0]!.toLowerCase();
    const args = argv!.slice(1);
    const def = config.def(name);
    if (def) {
      const multi = (def as { multiArg?: boolean }).multiArg ?? MULTI_ARG.has(def.name);
      if (!multi && args.length !== 1) fail('wrong number of arguments');
      let words = args;
      if (multi && args.length === 1 && args[0] !== '') {
        words = splitArgs(args[0]!) ?? fail('Unbalanced quotes in configuration line');
      }
      let value = words.join(' ');
      if (def.name === 'save') value = saveValue(config, words, value, state);
      try {
        config.set(def.name, value, true);
      } catch (e) {
        fail(String((e as Error).message).replace(/^ERR /, ''));
      }
      continue;
    }
    if (DEPRECATED.some(([n, lo, hi]) => n === name && argv!.length >= lo && argv!.length <= hi)) continue;
    const line: ConfigLine = { name, args, line: i + 1, text: t };
    if (name === 'include' && argv!.length === 2) {
      includeFiles(config, args[0]!, state);
    } else if (name === 'rename-command' && argv!.length === 3) {
      state.result.directives.push(line);
    } else if (name === 'user' && argv!.length >= 2) {
      state.result.directives.push(line);
    } else if (name === 'loadmodule' && argv!.length >= 2) {
      state.result.directives.push(line);
    } else if (name.includes('.')) {
      if (argv!.length < 2) fail('Module config specified without value');
      moduleConfigs.push(name);
    } else if (name === 'sentinel') {
      // sentinel mode is not supported; its directives are ignored
    } else {
      fail('Bad directive or wrong number of arguments');
    }
  }
  state.reading = false;
  // checks Redis makes once the text is applied
  const logfile = config.v['logfile'];
  if (logfile && state.depth === 0) {
    try {
      fs.closeSync(fs.openSync(underDir(config, logfile), 'a'));
    } catch (e) {
      throw new ConfigFileError(`Can't open the log file: ${strerror(e)}`);
    }
  }
  if (moduleConfigs.length) {
    throw new ConfigFatalLog(
      'Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting',
    );
  }
}

/** The value to store for a `save` line, given earlier lines of the same load. */
function saveValue(config: Config, words: string[], value: string, state: LoadState): string {
  if (words.length === 1 && words[0] === '') {
    // `save ""`: no snapshots; later lines append to nothing
    if (state.reading) state.saveLoaded = true;
    return '';
  }
  if (!state.reading) return value;
  if (!state.saveLoaded) {
    state.saveLoaded = true;
    return value;
  }
  const prev = config.v['save'];
  return prev ? `${prev} ${value}` : value;
}

/** `include path`: one file, or every file a glob pattern matches (sorted). */
function includeFiles(config: Config, pattern: string, state: LoadState): void {
  if (state.depth > 32) throw new ConfigFileError(`include nesting too deep at '${pattern}'`);
  const files = /[*?[]/.test(pattern) ? globFiles(pattern) : [pattern];
  for (const f of files) {
    const abs = path.resolve(f);
    const text = readConfigFile(abs);
    state.result.files.push(abs);
    state.depth++;
    try {
      applyConfigText(config, text, state);
    } finally {
      state.depth--;
    }
  }
}

/** Expands a glob pattern in the file name part (`/etc/redis/conf.d/*.conf`). */
function globFiles(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  let re = '^';
  for (let i = 0; i < base.length; i++) {
    const c = base[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = base.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = base.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += '[' + cls.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  const rx = new RegExp(re + '$');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => rx.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The text redis-server prints on stderr for a bad configuration. */
export function formatFatalConfigError(err: ConfigFileError, redisVersion: string): string {
  let s = `\n*** FATAL CONFIG FILE ERROR (Redis ${redisVersion}) ***\n`;
  if (err.line !== undefined) {
    s += `Reading the configuration file, at line ${err.line}\n`;
    s += `>>> '${err.text}'\n`;
  }
  return s + err.reason + '\n';
}

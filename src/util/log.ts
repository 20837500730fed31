/**
 * Redis-style log lines: "pid:M 24 Nov 2026 06:41:02.123 * message", with
 * loglevel filtering (debug . verbose - notice * warning #) and an optional
 * logfile (appended to; empty means standard output).
 */
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

const LEVELS = ['debug', 'verbose', 'notice', 'warning', 'nothing'] as const;
const MARKS = ['.', '-', '*', '#'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A log line's time, as Redis prints it: "24 Nov 2026 06:41:02.123". */
function timestamp(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A Redis-style line for the time before the server's own logger exists (role C, to stdout or `write`): the CLI's. */
export function earlyLog(
  mark: string,
  msg: string,
  write: (line: string) => void = (l) => process.stdout.write(l),
): void {
  write(`${process.pid}:C ${timestamp(new Date())} ${mark} ${msg}\n`);
}

/**
 * Where a file named in the config (logfile, pidfile) is: a relative name is
 * under `dir`, as Redis opens it after its config's dir directive chdir()ed
 * there (tsdis does not chdir). Callers: the logger (each line, as Redis
 * opens its logfile per line), the config file's logfile check, serve.ts's
 * pid file and signal line.
 */
export function underDir(config: Config, file: string): string {
  return path.resolve(String(config.v['dir'] || process.cwd()), file);
}

export class Logger {
  /** The role letter of each line: M, or S while the server follows a primary (set by replication/replica.ts). */
  role = 'M';

  constructor(
    private config: Config,
    private sink?: (line: string) => void,
  ) {}

  private write(level: number, msg: string): void {
    const min = LEVELS.indexOf(this.config.v['loglevel']);
    if (level < min) return;
    this.emit(`${process.pid}:${this.role} ${timestamp(new Date())} ${MARKS[level]} ${msg}`);
  }

  /** Text logged as is, without the pid/time/level prefix (Redis's LL_RAW: the startup logo), at notice level. */
  raw(text: string): void {
    if (LEVELS.indexOf(this.config.v['loglevel']) > 2) return;
    this.emit(text);
  }

  /** Whether lines go to a function (the embedding API's `log`) rather than a file or standard output. */
  get hasSink(): boolean {
    return this.sink !== undefined;
  }

  /** Lines made whole elsewhere (the watchdog's thread: watchdog.ts), "\n" ended, passed on as they are. */
  lines(text: string): void {
    const lines = text.split('\n');
    lines.pop();
    for (const l of lines) this.emit(l);
  }

  private emit(line: string): void {
    if (this.sink) return this.sink(line);
    const file = this.config.v['logfile'];
    if (file) {
      try {
        fs.appendFileSync(underDir(this.config, file), line + '\n');
      } catch {
        /* a log that cannot be written must not stop the server */
      }
    } else process.stdout.write(line + '\n');
  }

  debug(msg: string): void {
    this.write(0, msg);
  }
  verbose(msg: string): void {
    this.write(1, msg);
  }
  notice(msg: string): void {
    this.write(2, msg);
  }
  warning(msg: string): void {
    this.write(3, msg);
  }
}

/**
 * SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest
 * first, at most slowlog-max-len entries. Arguments are trimmed as Redis does
 * (at most 32, each at most 128 bytes: `<128 bytes>... (N more bytes)`, the
 * 32nd replaced by `... (N more arguments)`), and what an entry keeps is a
 * copy (util/strings.ts): a slice would keep the whole argument alive.
 */
import type { Config } from '../config/config.js';
import type { Client } from '../server/client.js';
import { ownCopy, prefixCopy } from '../util/strings.js';

export interface SlowlogEntry {
  id: number;
  time: number; // unix seconds
  usec: number;
  argv: string[];
  addr: string;
  name: string;
}

const MAX_ARGC = 32;
const MAX_ARGLEN = 128;

export class Slowlog {
  entries: SlowlogEntry[] = [];
  private nextId = 0;
  constructor(private config: Config) {}

  /**
   * Called by the dispatcher's call() after a command (except skip_slowlog
   * ones) with its duration; keeps an entry when it is slow enough. The
   * entry holds copies of at most 32 × 128 bytes of argv, never argv's strings.
   */
  record(client: Client, argv: string[], usec: number, nowMs: number): void {
    const limit = this.config.v['slowlog-log-slower-than'];
    if (limit < 0 || usec < limit) return;
    const max = this.config.v['slowlog-max-len'];
    argv = redactArgs(argv);
    const args: string[] = [];
    const argc = Math.min(argv.length, MAX_ARGC);
    for (let i = 0; i < argc; i++) {
      if (argc !== argv.length && i === argc - 1) {
        args.push(`... (${argv.length - argc + 1} more arguments)`);
        break;
      }
      const a = argv[i]!;
      args.push(
        a.length > MAX_ARGLEN ? `${prefixCopy(a, MAX_ARGLEN)}... (${a.length - MAX_ARGLEN} more bytes)` : ownCopy(a),
      );
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(nowMs / 1000),
      usec: Math.floor(usec),
      argv: args,
      addr: client.addr,
      name: client.name,
    });
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}

/** Config parameters whose values Redis redacts from the slowlog (CONFIG SET). */
const SENSITIVE_CONFIGS = new Set(['requirepass', 'masterauth']);

/**
 * argv with secrets replaced by "(redacted)", as Redis shows them in the
 * slowlog: AUTH's arguments, HELLO's AUTH username and password, MIGRATE's
 * AUTH/AUTH2 credentials (those its option parsing reached), ACL SETUSER's
 * name and rules, and CONFIG SET values of sensitive parameters.
 * Returns argv itself when nothing is secret.
 */
export function redactArgs(argv: string[]): string[] {
  const name = argv[0]?.toLowerCase();
  const hide = new Set<number>();
  if (name === 'auth') {
    for (let i = 1; i < argv.length; i++) hide.add(i);
  } else if (name === 'hello') {
    for (let i = 2; i < argv.length; i++) {
      if (argv[i]!.toLowerCase() === 'auth' && i + 2 < argv.length) {
        hide.add(i + 1);
        hide.add(i + 2);
        i += 2;
      }
    }
  } else if (name === 'migrate') {
    for (let i = 6; i < argv.length; i++) {
      const a = argv[i]!.toLowerCase();
      if (a === 'auth' && i + 1 < argv.length) hide.add(++i);
      else if (a === 'auth2' && i + 2 < argv.length) {
        hide.add(i + 1);
        hide.add(i + 2);
        i += 2;
      } else if (a !== 'copy' && a !== 'replace') break; // KEYS, or the syntax error that ends Redis's parsing
    }
  } else if (name === 'acl' && argv[1]?.toLowerCase() === 'setuser' && argv.length >= 3) {
    for (let i = 2; i < argv.length; i++) hide.add(i);
  } else if (name === 'config' && argv[1]?.toLowerCase() === 'set') {
    for (let i = 2; i + 1 < argv.length; i += 2) if (SENSITIVE_CONFIGS.has(argv[i]!.toLowerCase())) hide.add(i + 1);
  }
  if (hide.size === 0) return argv;
  return argv.map((a, i) => (hide.has(i) ? '(redacted)' : a));
}

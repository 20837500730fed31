/**
 * SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest
 * first, at most slowlog-max-len entries. Arguments are trimmed as Redis does
 * (at most 32, each at most 128 bytes).
 */
import type { Config } from '../config/config.js';
import type { Client } from '../server/client.js';

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

  /** Called after every command (except skip_slowlog ones) with its duration. */
  record(client: Client, argv: string[], usec: number, nowMs: number): void {
    const limit = this.config.v['slowlog-log-slower-than'] as number;
    if (limit < 0 || usec < limit) return;
    const max = this.config.v['slowlog-max-len'] as number;
    const args: string[] = [];
    const argc = Math.min(argv.length, MAX_ARGC);
    for (let i = 0; i < argc; i++) {
      if (argc !== argv.length && i === argc - 1) {
        args.push(`... (${argv.length - argc + 1} more arguments)`);
        break;
      }
      const a = argv[i]!;
      args.push(a.length > MAX_ARGLEN ? `${a.slice(0, MAX_ARGLEN)}... (${a.length - MAX_ARGLEN} more bytes)` : a);
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(nowMs / 1000), usec: Math.floor(usec), argv: args, addr: client.addr, name: client.name });
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}

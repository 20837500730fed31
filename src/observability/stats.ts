/**
 * Counters behind INFO stats, commandstats and errorstats.
 */
import type { CommandSpec } from '../commands/spec.js';
import { fullName } from '../commands/registry.js';
import type { LatencyHistogram } from './latency.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

export interface CommandStat {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
  /** Latency histogram (INFO latencystats), created on the first recorded call. */
  hist?: LatencyHistogram;
}

export class Stats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  totalCommandsRejected = 0;
  netInputBytes = 0;
  /** Bytes read from the primary's link on a replica (INFO total_net_repl_input_bytes). */
  netReplInputBytes = 0;
  /** Error replies a replica made to commands of its primary (INFO unexpected_error_replies). */
  unexpectedErrorReplies = 0;
  netOutputBytes = 0;
  /** Reply buffers resized by the clients cron (INFO reply_buffer_shrinks/expands; clientlist.ts). */
  replyBufferShrinks = 0;
  replyBufferExpands = 0;
  expiredKeys = 0;
  /** Hash fields expired, lazily or actively (INFO expired_subkeys, Redis 7.4). */
  expiredSubkeys = 0;
  expiredStalePerc = DOUBLE_ZERO;
  expiredTimeCapReachedCount = 0;
  expireCycleCpuMs = DOUBLE_ZERO;
  evictedKeys = 0;
  /** Clients closed by client eviction (maxmemory-clients). */
  evictedClients = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  clientOutputLimitDisconnections = 0;
  /** Replication's primary side (replication/primary.ts): full syncs, partial ones accepted and refused, stream bytes sent. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  netReplOutputBytes = 0;
  totalErrorReplies = 0;
  /**
   * totalErrorReplies when a command was last charged with failed_calls: each
   * error counts for the innermost command that sent it only (an EXEC or a
   * script does not fail for its commands' errors), as Redis's
   * incrCommandStatsOnError keeps it. See dispatcher.call().
   */
  errorsCharged = 0;
  /** Blobs of DUMP payloads and RDB files validated with sanitize-dump-payload (INFO dump_payload_sanitizations). */
  dumpPayloadSanitizations = 0;
  /** Failed AUTH and HELLO AUTH (INFO acl_access_denied_auth; Redis 7.2 counts them with its ACL denials). */
  authFailures = 0;
  /** ACL denials by reason (INFO acl_access_denied_cmd / _key / _channel). */
  aclDeniedCmd = 0;
  aclDeniedKey = 0;
  aclDeniedChannel = 0;
  /** Per command ("get", "config|get"), in order of first use (INFO commandstats). */
  readonly commands = new Map<string, CommandStat>();
  /** The same entries indexed by CommandSpec.id: the per-call lookup is an array load. */
  private byId: (CommandStat | undefined)[] = [];
  /** Per error code ("ERR", "WRONGTYPE"). */
  readonly errors = new Map<string, number>();
  /**
   * Redis 7.2's event-loop figures (INFO stats and debug). A cycle is a turn
   * that served clients (ended by BeforeSleep.run, Redis's beforeSleep) or ran
   * the cron; durations in µs.
   */
  readonly loop = {
    cycles: 0,
    durationSum: DOUBLE_ZERO,
    cmdSum: DOUBLE_ZERO,
    cronSum: DOUBLE_ZERO,
    aofSum: DOUBLE_ZERO,
    cmdPerCycleMax: 0,
    durationMax: DOUBLE_ZERO,
  };
  /** Busy time (µs) of the cycle in progress (Connections.processInput adds to it). */
  cycleUs = DOUBLE_ZERO;
  /** totalCommands when the cycle in progress began. */
  private cycleCmds = 0;
  /** Samples for the instantaneous_* figures, every 100 ms: [time, commands, input, output, cycles, duration]. */
  private samples: [number, number, number, number, number, number][] = [];

  /** The stats entry of a command (created on first use). */
  command(cmd: CommandSpec, parent?: CommandSpec): CommandStat {
    const id = cmd.id;
    if (id !== undefined) {
      const s = this.byId[id];
      if (s !== undefined) return s;
    }
    const name = fullName(cmd, parent);
    let s = this.commands.get(name);
    if (s === undefined) {
      s = { calls: 0, usec: DOUBLE_ZERO, rejected: 0, failed: 0, hist: undefined };
      this.commands.set(name, s);
    }
    if (id !== undefined) this.byId[id] = s;
    return s;
  }

  /**
   * Counts an error reply under its code, for every error a client is sent
   * (Reply.onError, which cuts the code from the message as a copy of its
   * own: a script can make the message megabytes long, and errorstats keeps
   * the code until CONFIG RESETSTAT).
   */
  countError(code: string): void {
    this.totalErrorReplies++;
    // Redis caps distinct error codes at 128 to bound memory.
    if (!this.errors.has(code) && this.errors.size >= 128) return;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Ends an event-loop cycle that took `extraUs` beyond the busy time already added. */
  endCycle(extraUs: number): void {
    const l = this.loop;
    const d = this.cycleUs + extraUs;
    l.cycles++;
    l.durationSum += d;
    if (d > l.durationMax) l.durationMax = d;
    const cmds = this.totalCommands - this.cycleCmds;
    if (cmds > l.cmdPerCycleMax) l.cmdPerCycleMax = cmds;
    this.cycleCmds = this.totalCommands;
    this.cycleUs = 0;
  }

  /** Records a sample (serverCron, every 100 ms). */
  sampleOps(now: number): void {
    this.samples.push([
      now,
      this.totalCommands,
      this.netInputBytes,
      this.netOutputBytes,
      this.loop.cycles,
      this.loop.durationSum,
    ]);
    if (this.samples.length > 16) this.samples.shift();
  }

  /** The mean duration (µs) of the cycles over the samples (instantaneous_eventloop_duration_usec). */
  instantaneousCycleUs(): number {
    const s = this.samples;
    if (s.length < 2) return 0;
    const a = s[0]!;
    const b = s[s.length - 1]!;
    return b[4] > a[4] ? (b[5] - a[5]) / (b[4] - a[4]) : 0;
  }

  /** Average rate over the samples of field i (1 ops, 2 input, 3 output, 4 cycles) per second. */
  instantaneous(i: 1 | 2 | 3 | 4): number {
    const s = this.samples;
    if (s.length < 2) return 0;
    const a = s[0]!;
    const b = s[s.length - 1]!;
    const dt = (b[0] - a[0]) / 1000;
    return dt > 0 ? (b[i] - a[i]) / dt : 0;
  }

  /** CONFIG RESETSTAT */
  reset(): void {
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.totalCommands = 0;
    this.totalCommandsRejected = 0;
    this.netInputBytes = 0;
    this.netReplInputBytes = 0;
    this.unexpectedErrorReplies = 0;
    this.netOutputBytes = 0;
    this.syncFull = 0;
    this.syncPartialOk = 0;
    this.syncPartialErr = 0;
    this.netReplOutputBytes = 0;
    this.replyBufferShrinks = 0;
    this.replyBufferExpands = 0;
    this.expiredKeys = 0;
    this.expiredSubkeys = 0;
    this.expiredStalePerc = 0;
    this.expiredTimeCapReachedCount = 0;
    this.expireCycleCpuMs = 0;
    this.evictedKeys = 0;
    this.evictedClients = 0;
    this.keyspaceHits = 0;
    this.keyspaceMisses = 0;
    this.clientOutputLimitDisconnections = 0;
    this.totalErrorReplies = 0;
    this.errorsCharged = 0;
    this.authFailures = 0;
    this.aclDeniedCmd = 0;
    this.aclDeniedKey = 0;
    this.aclDeniedChannel = 0;
    this.dumpPayloadSanitizations = 0;
    this.commands.clear();
    this.byId = [];
    this.errors.clear();
    this.samples = [];
    Object.assign(this.loop, {
      cycles: 0,
      durationSum: 0,
      cmdSum: 0,
      cronSum: 0,
      aofSum: 0,
      cmdPerCycleMax: 0,
      durationMax: 0,
    });
    this.cycleUs = 0;
    this.cycleCmds = this.totalCommands;
  }
}

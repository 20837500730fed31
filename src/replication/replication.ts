/**
 * Replication's shared state (Redis's replication.c globals): the
 * replication ids and offsets, the backlog, and the stream every replica
 * receives. The primary side (replicas attached to this server: PSYNC,
 * full sync, the stream to each) and the replica side (this server
 * following a primary: REPLICAOF) build on it.
 *
 * The stream is one more sink of the propagator (server/propagate.ts): a
 * top-level primary turns each effect into RESP (with a SELECT first when
 * the database changes), appends it to the backlog and advances
 * master_repl_offset. A replica does not propagate its own effects: it
 * proxies its primary's stream byte for byte (feedStream), so sub-replicas
 * see the same offsets as their grandparent.
 *
 * Ids follow Redis's PSYNC2 rules: `replid` names the history this server
 * continues; when it takes a new history (promoted, or a full sync from a
 * new primary), the old id becomes `replid2`, valid up to
 * `secondReplOffset - 1`, so siblings of the same old primary can still
 * continue partially.
 */
import crypto from 'node:crypto';
import type { Server } from '../server/server.js';
import { PROPAGATE_REPL, type PropagationSink } from '../server/propagate.js';
import type { Subsystem, InfoSection } from '../server/subsystem.js';
import type { ParamName } from '../config/params.js';
import { Failover } from './failover.js';
import { Backlog, TRIM_BLOCKS_PER_CALL, type ReplBlock } from './backlog.js';
import { Primary } from './primary.js';
import type { Client } from '../server/client.js';
import type { CronTick } from '../server/subsystem.js';
import type { ReplSaveInfo } from '../persistence/rdb.js';

/** A new replication id: 40 random hex characters. */
export function newReplId(): string {
  return crypto.randomBytes(20).toString('hex');
}

export const NULL_REPLID = '0000000000000000000000000000000000000000';

/** The name of a client's last command as Redis's replication log lines give it ('<unknown>' after a failed lookup). */
export function lastCommandName(c: Client): string {
  return c.lastCmd === 'NULL' ? '<unknown>' : c.lastCmd;
}

/**
 * Redis's afterErrorReply on a replication link: an error one side sends
 * the other (`self`: this server's side) means their datasets may have
 * diverged. Logged with the command it followed (the text without its ERR
 * prefix, at most 4096 bytes) and counted in unexpected_error_replies.
 * Callers: Primary.repliedToReplica, MasterStream's errorToPrimary.
 */
export function logErrorOnLink(server: Server, c: Client, error: string, self: 'master' | 'replica'): void {
  const msg = error.startsWith('ERR ') ? error.slice(4) : error;
  const peer = self === 'master' ? 'replica' : 'master';
  server.log.warning(
    `== CRITICAL == This ${self} is sending an error to its ${peer}: '${msg.slice(0, 4096)}' after processing the command '${lastCommandName(c)}'`,
  );
  server.stats.unexpectedErrorReplies++;
}

export class Replication implements Subsystem, PropagationSink {
  /** The effects it takes (a script's redis.set_repl may leave some out). */
  readonly target = PROPAGATE_REPL;
  /** The history this server's dataset continues (master_replid). */
  replid = newReplId();
  /** The history it continued before (master_replid2), valid up to secondReplOffset - 1. */
  replid2 = NULL_REPLID;
  /** First offset not valid for replid2 (second_repl_offset; -1: none). */
  secondReplOffset = -1;
  /** Offset of the last byte of the stream (master_repl_offset). */
  offset = 0;
  /** The backlog, made when the first replica attaches (or a replica syncs) and dropped after repl-backlog-ttl with none. */
  backlog: Backlog | null = null;
  /** Database the stream last selected (Redis's slaveseldb): -1 forces a SELECT before the next effect. */
  selectedDb = -1;
  /**
   * This server follows a primary (REPLICAOF host port): its own effects
   * are not fed (it proxies its primary's stream instead).
   */
  following = false;
  /**
   * Where this turn's bytes begin in the shared buffer (a reference, so no
   * trim drops it before flush; null when the turn fed none with a
   * backlog): flush() hands the replicas the bytes from there to the end,
   * and replicas fed for the first time start there.
   */
  private outBlock: ReplBlock | null = null;
  private outPos = 0;
  /** A block was added since the last flush: replicas' output limits are checked (what they count grows by blocks). */
  private outGrew = false;

  /** The primary side: replicas attached to this server (primary.ts). */
  readonly primary: Primary;
  /** FAILOVER's state (failover.ts). */
  readonly failover: Failover;

  constructor(private readonly server: Server) {
    this.primary = new Primary(server, this);
    this.failover = new Failover(server);
  }

  // ---------------------------------------------------------------------------
  // PropagationSink: the stream of a top-level primary

  /**
   * Effects are taken while there is no primary above and a backlog, or an
   * AOF whose fsyncs WAITAOF measures in replication offsets.
   */
  get accepting(): boolean {
    return !this.following && (this.backlog !== null || this.server.aof.state !== 'off');
  }

  feed(db: number, argv: readonly string[]): void {
    // no backlog (AOF only): the offset still counts effects, one each, as Redis's does for WAITAOF
    if (this.backlog === null) {
      this.offset++;
      return;
    }
    let select = -1;
    if (db >= 0 && db !== this.selectedDb) select = this.selectedDb = db;
    const b = this.backlog;
    const t = b.tail;
    const used = t === null ? 0 : t.used;
    const from = b.lastOffset;
    const added = b.appendCommand(argv, select);
    this.offset += b.lastOffset - from;
    this.appended(b, t, used, added);
  }

  get pending(): boolean {
    return this.outBlock !== null;
  }

  /** Hands the turn's stream bytes to the attached replicas (before replies go out). */
  flush(): void {
    const start = this.outBlock;
    if (start === null) return;
    this.outBlock = null;
    const grew = this.outGrew;
    this.outGrew = false;
    if (this.primary.replicas.length !== 0) this.primary.send(start, this.outPos, grew);
    start.refcount--;
    this.backlog!.trim(TRIM_BLOCKS_PER_CALL);
  }

  /**
   * Appends stream bytes (a latin1 string or Buffer): to the shared buffer
   * (the backlog), to master_repl_offset, and to what flush() hands the
   * replicas. Used for effects (feed), for the primary's own PINGs, and by
   * a replica for the stream it proxies from its primary.
   */
  feedStream(data: string | Buffer): void {
    this.offset += data.length;
    const b = this.backlog;
    if (b === null || data.length === 0) return;
    const t = b.tail;
    const used = t === null ? 0 : t.used;
    this.appended(b, t, used, b.append(data));
  }

  /**
   * After bytes were appended to the backlog whose tail was `t`, `used`
   * bytes full, before: the turn's first bytes are referenced where they
   * begin, until flush; a block added means trimming.
   */
  private appended(b: Backlog, t: ReplBlock | null, used: number, added: boolean): void {
    if (this.outBlock === null) {
      const blk = t === null ? b.head! : used < t.buf.length ? t : t.next!;
      blk.refcount++;
      this.outBlock = blk;
      this.outPos = blk === t ? used : 0;
    }
    if (added) {
      this.outGrew = true;
      b.trim(TRIM_BLOCKS_PER_CALL);
    }
  }

  /**
   * Replication's AUX fields for an RDB image made now (Redis's
   * rdbPopulateSaveInfo): a primary with a backlog writes its id, offset and
   * the stream's database; null otherwise.
   */
  saveInfo(): ReplSaveInfo | null {
    if (!this.following) {
      if (this.backlog === null) return null;
      return { streamDb: this.selectedDb === -1 ? 0 : this.selectedDb, replid: this.replid, offset: this.offset };
    }
    // a replica: its primary's history, with the database its link (or the cached one) is in
    const db = this.server.replica.streamDb();
    return db === null ? null : { streamDb: db, replid: this.replid, offset: this.offset };
  }

  // ---------------------------------------------------------------------------
  // Subsystem hooks

  clientFreed(c: Client): void {
    this.primary.clientFreed(c);
  }

  beforeSleep(): void {
    this.primary.beforeSleep();
    // (what replicas no longer need goes a few blocks at a time: Redis trims ten calls' worth here)
    const b = this.backlog;
    if (b !== null && b.histlen > b.size) b.trim(10 * TRIM_BLOCKS_PER_CALL);
    if (this.failover.state === 'waiting-for-sync') this.failover.update();
  }

  cron(tick: CronTick): void {
    this.primary.cron(tick.second);
    if (this.failover.state === 'waiting-for-sync') this.failover.update();
    // effects made outside a command (active expiry in the cron) go out without waiting for a client
    if (this.outBlock !== null) this.flush();
  }

  close(): void {
    this.primary.close();
  }

  // ---------------------------------------------------------------------------
  // Ids and backlog

  /** Makes the backlog when missing (a replica attaches, or this server syncs from a primary). */
  ensureBacklog(): Backlog {
    if (this.backlog === null) {
      this.backlog = new Backlog(this.server.config.v['repl-backlog-size'], this.offset);
      // the first effect after a new backlog must say its database
      this.selectedDb = -1;
      this.server.propagator.refresh();
    }
    return this.backlog;
  }

  /**
   * Before the RDB load at start: a primary makes its backlog now, so the
   * DELs of keys found expired in the file are in it (Redis's
   * createReplicationBacklog with RDBFLAGS_FEED_REPL). True when it did.
   */
  startupBacklog(): boolean {
    if (!this.server.iAmMaster()) return false;
    this.ensureBacklog();
    return true;
  }

  /**
   * The replication AUX fields of the RDB loaded at start (Redis's
   * loadDataFromDisk): a replica takes the id and offset as its cached
   * primary, to continue partially once connected; a primary keeps them as
   * replid2 and rebases its offset on them, with a backlog, so its replicas
   * can continue partially after its restart. Nothing when the file had none.
   */
  restoreFromRdb(info: ReplSaveInfo | null): void {
    if (info === null) {
      // (the backlog made for the load is kept only to continue a saved history)
      if (this.backlog !== null && this.primary.replicas.length === 0) this.freeBacklog();
      return;
    }
    if (!this.server.iAmMaster()) {
      this.replid = info.replid;
      this.offset = info.offset;
      this.server.replica.cacheFromSelf(info.streamDb);
      return;
    }
    this.replid2 = info.replid;
    this.secondReplOffset = info.offset + 1;
    this.offset += info.offset;
    const made = this.backlog === null;
    const b = this.ensureBacklog();
    if (!made) b.rebase(this.offset);
  }

  /**
   * Drops the backlog and the shared buffer with it (repl-backlog-ttl passed
   * with no replica, or a replica taking a new history before it drops its
   * own replicas): references into it are forgotten.
   */
  freeBacklog(): void {
    this.backlog = null;
    this.outBlock = null;
    for (const l of this.primary.replicas) l.refBlock = null;
    this.server.propagator.refresh();
  }

  /**
   * A new history (promotion, FAILOVER): the current id becomes replid2,
   * valid for offsets up to the current one (Redis's shiftReplicationId).
   */
  shiftReplId(): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = newReplId();
  }

  /** Forgets replid2 (a full sync took a new history). */
  clearReplId2(): void {
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
  }

  /**
   * Whether a replica asking PSYNC `replid` `from` (the first byte it lacks)
   * can continue from the backlog (Redis's masterTryPartialResynchronization's test).
   */
  canContinue(replid: string, from: number): boolean {
    if (this.backlog === null) return false;
    const sameHistory = replid === this.replid || (replid === this.replid2 && from <= this.secondReplOffset);
    return sameHistory && this.backlog.holds(from);
  }

  /**
   * The shared buffer's memory as INFO memory and MEMORY STATS split it
   * (Redis's getMemoryOverheadData): all of it is the backlog's up to
   * repl-backlog-size; with replicas attached, the excess is theirs
   * (mem_clients_slaves). `total`: mem_total_replication_buffers.
   */
  bufferMemory(): { total: number; backlog: number; replicas: number } {
    const total = this.backlog?.mem ?? 0;
    const size = this.server.config.v['repl-backlog-size'];
    if (this.primary.replicas.length !== 0 && total > size) return { total, backlog: size, replicas: total - size };
    return { total, backlog: total, replicas: 0 };
  }

  configChanged(name: ParamName | null): void {
    if (name === 'repl-backlog-size' && this.backlog !== null) {
      this.backlog.resize(this.server.config.v['repl-backlog-size']);
    }
    // (Redis's updateGoodSlaves)
    if (name === 'min-replicas-to-write' || name === 'min-replicas-max-lag') this.primary.refreshGood();
  }

  readonly info: InfoSection = {
    name: 'replication',
    header: 'Replication',
    fields: () => {
      const b = this.backlog;
      return [
        ['role', this.following ? 'slave' : 'master'],
        ...(this.following ? this.server.replica.infoFields() : []),
        ...this.primary.infoFields(),
        ['master_failover_state', this.failover.state],
        ['master_replid', this.replid],
        ['master_replid2', this.replid2],
        ['master_repl_offset', this.offset],
        ['second_repl_offset', this.secondReplOffset],
        ['repl_backlog_active', b === null ? 0 : 1],
        ['repl_backlog_size', this.server.config.v['repl-backlog-size']],
        ['repl_backlog_first_byte_offset', b === null ? 0 : b.firstOffset],
        ['repl_backlog_histlen', b === null ? 0 : b.histlen],
      ];
    },
  };
}

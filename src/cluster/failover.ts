/**
 * Cluster replicas taking over from their primary (Redis 7.2's cluster.c
 * failover half): the automatic election, manual failover (CLUSTER
 * FAILOVER [FORCE|TAKEOVER]), the votes a primary gives, and replica
 * migration to orphaned primaries. The Cluster (cluster.ts) owns the nodes
 * and the bus and calls in here from its cron, its beforeSleep and its
 * message handler; this module decides and puts on the wire, through the
 * Cluster, exactly what Redis would:
 *
 *   election (a replica whose primary is FAIL, or a manual failover ready)
 *     delay 500 ms + random 0-499 + rank * 1000 (rank: replicas of the same
 *     primary with a larger offset; none for a manual failover), a PONG
 *     with its offset to its siblings; then currentEpoch + 1 and a
 *     FAILOVER_AUTH_REQUEST to every node (FORCEACK for a manual failover);
 *     votes (FAILOVER_AUTH_ACK from primaries with slots whose currentEpoch
 *     reached the election's) counted until a majority of cluster_size, or
 *     the attempt expires after max(2 * node timeout, 2 s) and may be
 *     retried after twice that. The winner takes the election's epoch as
 *     its configEpoch and its primary's slots, and PONGs everyone.
 *   voting (a primary with slots): one vote per epoch, for a replica whose
 *     primary is FAIL (or FORCEACK), not twice for replicas of one primary
 *     within 2 * node timeout, and never when a claimed slot is served at a
 *     greater configEpoch than the request's.
 *   manual failover: the replica sends MFSTART; its primary pauses writes
 *     for 2 * 5 s and sends PINGs flagged PAUSED carrying its offset; once
 *     the replica has processed up to that offset the election starts at
 *     once. FORCE skips the primary; TAKEOVER skips the election too (a new
 *     configEpoch without consensus).
 *   replica migration: a replica of a primary with the most working
 *     replicas (more than cluster-migration-barrier) and the smallest name
 *     among them moves to a primary left without working replicas for 5 s.
 */
import type { Server } from '../server/server.js';
import { CLUSTER_SLOTS, bitmapTest } from './slot.js';
import { type ClusterNode, NODE_FAIL, NODE_MIGRATE_TO, NODE_NOFAILOVER, NODE_PFAIL } from './node.js';
import { MFLAG0_FORCEACK, MSG_FAILOVER_AUTH_ACK, MSG_FAILOVER_AUTH_REQUEST, MSG_MFSTART, MSG_PING } from './message.js';
import type { Message } from './message.js';
import { CLUSTER_OK, TODO_FSYNC_CONFIG, TODO_SAVE_CONFIG, TODO_UPDATE_STATE, type Cluster } from './cluster.js';
import type { Link } from './link.js';

/** CLUSTER_MF_TIMEOUT: how long a manual failover may take (ms). */
export const MF_TIMEOUT = 5000;
/** CLUSTER_SLAVE_MIGRATION_DELAY (ms). */
const MIGRATION_DELAY = 5000;
/** CLUSTER_CANT_FAILOVER_RELOG_PERIOD (s). */
const CANT_FAILOVER_RELOG_PERIOD = 10;

const CANT_NONE = 0;
const CANT_DATA_AGE = 1;
const CANT_WAITING_DELAY = 2;
const CANT_EXPIRED = 3;
const CANT_WAITING_VOTES = 4;

export class ClusterFailover {
  /** When the election may start, or started (ms; Redis's failover_auth_time). */
  authTime = 0;
  /** Votes received in the election under way. */
  authCount = 0;
  /** The vote request went out. */
  authSent = false;
  /** This replica's rank among its siblings when the election was scheduled. */
  authRank = 0;
  /** The epoch the election asked votes for. */
  authEpoch = 0;
  private cantReason = CANT_NONE;
  private cantLoggedAt = 0;
  /** Manual failover: when it is abandoned (ms; 0: none under way). */
  mfEnd = 0;
  /** Manual failover (replica side): the offset is reached, the election may start. */
  mfCanStart = false;
  /** Manual failover (primary side): the replica that asked. */
  mfSlave: ClusterNode | null = null;
  /** Manual failover (replica side): the paused primary's offset (-1: not received yet). */
  mfMasterOffset = -1;

  constructor(
    private readonly cluster: Cluster,
    private readonly server: Server,
  ) {}

  private get nodeTimeout(): number {
    return Number(this.server.config.v['cluster-node-timeout']);
  }

  private get now(): number {
    return this.server.clock();
  }

  // ---------------------------------------------------------------------------
  // The replica side: elections

  /**
   * This replica's rank (clusterGetSlaveRank): how many of its siblings
   * that may fail over claim a larger replication offset than its own.
   */
  rank(): number {
    const me = this.cluster.myself;
    const master = me.slaveof;
    if (master === null) return 0;
    const mine = this.cluster.offsetOf(me);
    let rank = 0;
    for (const r of master.replicas) {
      if (r !== me && !(r.flags & NODE_NOFAILOVER) && r.replOffset > mine) rank++;
    }
    return rank;
  }

  /**
   * Logs why this replica cannot fail over (clusterLogCantFailover): only
   * when the reason changed or every 10 s, and not in the first node
   * timeout + 5 s after its primary failed.
   */
  private logCantFailover(reason: number): void {
    const nowSec = Math.floor(this.now / 1000);
    if (reason === this.cantReason && nowSec - this.cantLoggedAt < CANT_FAILOVER_RELOG_PERIOD) return;
    this.cantReason = reason;
    const master = this.cluster.myself.slaveof;
    if (master !== null && master.failed && this.now - master.failTime < this.nodeTimeout + 5000) return;
    const msg =
      reason === CANT_DATA_AGE
        ? "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."
        : reason === CANT_WAITING_DELAY
          ? 'Waiting the delay before I can start a new failover.'
          : reason === CANT_EXPIRED
            ? 'Failover attempt expired.'
            : reason === CANT_WAITING_VOTES
              ? 'Waiting for votes, but majority still not reached.'
              : 'Unknown reason code.';
    this.cantLoggedAt = nowSec;
    const log = this.server.log;
    log.notice(`Currently unable to failover: ${msg}`);
    if (reason === CANT_WAITING_VOTES || reason === CANT_EXPIRED)
      log.notice(
        `Needed quorum: ${Math.floor(this.cluster.size / 2) + 1}. Number of votes received so far: ${this.authCount}`,
      );
  }

  /**
   * Redis's clusterHandleSlaveFailover, from the cron and from beforeSleep
   * when a vote arrived: schedules, starts and concludes an election of
   * this replica when its primary (serving slots) is FAIL, or when a manual
   * failover may start.
   */
  handleSlaveFailover(): void {
    const c = this.cluster;
    const me = c.myself;
    const server = this.server;
    const log = server.log;
    const now = this.now;
    const timeout = this.nodeTimeout;
    const authAge = now - this.authTime;
    const quorum = Math.floor(c.size / 2) + 1;
    const manual = this.mfEnd !== 0 && this.mfCanStart;
    const authTimeout = Math.max(timeout * 2, 2000);
    const authRetry = authTimeout * 2;
    const master = me.slaveof;
    if (
      me.isMaster ||
      master === null ||
      (!master.failed && !manual) ||
      (server.config.v['cluster-replica-no-failover'] && !manual) ||
      master.numSlots === 0
    ) {
      this.cantReason = CANT_NONE;
      return;
    }
    let dataAge = this.server.replica.lastIoAgeMs();
    if (dataAge > timeout) dataAge -= timeout;
    const factor = Number(server.config.v['cluster-replica-validity-factor']);
    const ping = Number(server.config.v['repl-ping-replica-period']);
    if (factor !== 0 && dataAge > ping * 1000 + timeout * factor && !manual) {
      this.logCantFailover(CANT_DATA_AGE);
      return;
    }
    if (authAge > authRetry) {
      this.authTime = now + 500 + Math.floor(server.random() * 500);
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.rank();
      this.authTime += this.authRank * 1000;
      if (this.mfEnd !== 0) {
        this.authTime = now;
        this.authRank = 0;
        c.wantFailover();
      }
      log.notice(
        `Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${c.offsetOf(c.myself)}).`,
      );
      c.broadcastPongToSiblings();
      return;
    }
    if (!this.authSent && this.mfEnd === 0) {
      const newRank = this.rank();
      if (newRank > this.authRank) {
        const added = (newRank - this.authRank) * 1000;
        this.authTime += added;
        this.authRank = newRank;
        log.notice(`Replica rank updated to #${newRank}, added ${added} milliseconds of delay.`);
      }
    }
    if (now < this.authTime) {
      this.logCantFailover(CANT_WAITING_DELAY);
      return;
    }
    if (authAge > authTimeout) {
      this.logCantFailover(CANT_EXPIRED);
      return;
    }
    if (!this.authSent) {
      c.currentEpoch++;
      this.authEpoch = c.currentEpoch;
      log.notice(`Starting a failover election for epoch ${c.currentEpoch}.`);
      const h = c.header(MSG_FAILOVER_AUTH_REQUEST);
      if (this.mfEnd !== 0) h.mflags0 |= MFLAG0_FORCEACK;
      c.broadcastHeaderOnly(h);
      this.authSent = true;
      c.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
      return;
    }
    if (this.authCount >= quorum) {
      log.notice("Failover election won: I'm the new master.");
      if (me.configEpoch < this.authEpoch) {
        me.configEpoch = this.authEpoch;
        log.notice(`configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.replaceYourMaster();
    } else this.logCantFailover(CANT_WAITING_VOTES);
  }

  /**
   * Redis's clusterFailoverReplaceYourMaster: this replica becomes a primary
   * (REPLICAOF NO ONE: a new replication id, the old one kept as replid2 so
   * its siblings continue partially), takes every slot of its old primary,
   * saves nodes.conf and PONGs every node. The caller set the configEpoch.
   */
  replaceYourMaster(): void {
    const c = this.cluster;
    const me = c.myself;
    const old = me.slaveof;
    if (me.isMaster || old === null) return;
    c.setNodeAsMaster(me);
    this.server.replica.unsetMaster();
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (bitmapTest(old.slots, j)) {
        c.delSlot(j);
        c.addSlot(me, j);
      }
    }
    c.updateState();
    c.saveConfigOrDie(true);
    c.broadcastPong();
    this.resetManual();
  }

  /** A FAILOVER_AUTH_ACK from `sender` (a primary with slots, at the election's epoch or later) counts. */
  ackReceived(sender: ClusterNode, senderCurrentEpoch: number): void {
    if (sender.isMaster && sender.numSlots > 0 && senderCurrentEpoch >= this.authEpoch) {
      this.authCount++;
      this.cluster.wantFailover();
    }
  }

  // ---------------------------------------------------------------------------
  // The primary side: votes

  /** Redis's clusterSendFailoverAuthIfNeeded: votes for `node` when every rule allows it, logging why not otherwise. */
  voteIfNeeded(node: ClusterNode, m: Message): void {
    const c = this.cluster;
    const me = c.myself;
    const log = this.server.log;
    const master = node.slaveof;
    const forceAck = (m.mflags0 & MFLAG0_FORCEACK) !== 0;
    if (me.isSlave || me.numSlots === 0) return;
    const who = `${node.name} (${node.humanNodename})`;
    if (m.currentEpoch < c.currentEpoch) {
      log.warning(`Failover auth denied to ${who}: reqEpoch (${m.currentEpoch}) < curEpoch(${c.currentEpoch})`);
      return;
    }
    if (c.lastVoteEpoch === c.currentEpoch) {
      log.warning(`Failover auth denied to ${who}: already voted for epoch ${c.currentEpoch}`);
      return;
    }
    if (node.isMaster || master === null || (!master.failed && !forceAck)) {
      if (node.isMaster) log.warning(`Failover auth denied to ${who}: it is a master node`);
      else if (master === null) log.warning(`Failover auth denied to ${who}: I don't know its master`);
      else log.warning(`Failover auth denied to ${who}: its master is up`);
      return;
    }
    const now = this.now;
    const timeout = this.nodeTimeout;
    if (now - master.votedTime < timeout * 2) {
      log.warning(
        `Failover auth denied to ${node.name} ${node.humanNodename}: can't vote about this master before ${timeout * 2 - (now - master.votedTime)} milliseconds`,
      );
      return;
    }
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (!bitmapTest(m.myslots, j)) continue;
      const owner = c.slots[j];
      if (owner === null || owner === undefined || c.slotUnclaimed(j) || owner.configEpoch <= m.configEpoch) continue;
      log.warning(
        `Failover auth denied to ${who}: slot ${j} epoch (${owner.configEpoch}) > reqEpoch (${m.configEpoch})`,
      );
      return;
    }
    c.lastVoteEpoch = c.currentEpoch;
    master.votedTime = now;
    c.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
    c.sendHeaderOnly(node.link, MSG_FAILOVER_AUTH_ACK);
    log.notice(`Failover auth granted to ${who} for epoch ${c.currentEpoch}`);
  }

  // ---------------------------------------------------------------------------
  // Manual failover

  /** Redis's resetManualFailover: a primary that paused for one resumes writes; every manual failover state cleared. */
  resetManual(): void {
    if (this.mfSlave !== null) this.server.pause.holdWrites('failover', false);
    this.mfEnd = 0;
    this.mfCanStart = false;
    this.mfSlave = null;
    this.mfMasterOffset = -1;
  }

  /** A manual failover past its time is abandoned (manualFailoverCheckTimeout). */
  checkManualTimeout(): void {
    if (this.mfEnd !== 0 && this.mfEnd < this.now) {
      this.server.log.warning('Manual failover timed out.');
      this.resetManual();
    }
  }

  /** Redis's clusterHandleManualFailover: the election may start once this replica processed the paused primary's offset. */
  handleManual(): void {
    if (this.mfEnd === 0 || this.mfCanStart || this.mfMasterOffset === -1) return;
    if (this.mfMasterOffset === this.cluster.offsetOf(this.cluster.myself)) {
      this.mfCanStart = true;
      this.server.log.notice('All master replication stream processed, manual failover can start.');
      this.cluster.wantFailover();
    }
    // (not matched yet: Redis retries before every event-loop sleep; here the cron's next tick does, a
    // setImmediate loop would spin the CPU)
  }

  /** A header from our primary flagged PAUSED during our manual failover: its offset is the one to reach. */
  pausedOffsetReceived(offset: number): void {
    if (this.mfMasterOffset !== -1) return;
    this.mfMasterOffset = offset;
    this.cluster.wantManualFailover();
    this.server.log.notice(`Received replication offset for paused master manual failover: ${offset}`);
  }

  /**
   * MFSTART from one of our replicas: writes paused for 2 * MF_TIMEOUT,
   * our headers flagged PAUSED with the offset, and a PING at once.
   */
  mfStartReceived(sender: ClusterNode, link: Link): void {
    this.resetManual();
    this.mfEnd = this.now + MF_TIMEOUT;
    this.mfSlave = sender;
    // (the hold ends with resetManual, at the latest when MF_TIMEOUT passes: before Redis's 2 * MF_TIMEOUT pause would)
    this.server.pause.holdWrites('failover', true);
    this.server.log.notice(`Manual failover requested by replica ${sender.name} (${sender.humanNodename}).`);
    this.cluster.sendPing(link, MSG_PING);
  }

  /**
   * CLUSTER FAILOVER's action once its preconditions passed: TAKEOVER
   * takes the slots with a new epoch at once, FORCE starts the election
   * without the primary, the default asks the primary to pause (MFSTART).
   */
  startManual(mode: 'default' | 'force' | 'takeover'): void {
    const c = this.cluster;
    const log = this.server.log;
    this.resetManual();
    this.mfEnd = this.now + MF_TIMEOUT;
    if (mode === 'takeover') {
      log.notice('Taking over the master (user request).');
      c.bumpEpochWithoutConsensus();
      this.replaceYourMaster();
    } else if (mode === 'force') {
      log.notice('Forced failover user request accepted.');
      this.mfCanStart = true;
    } else {
      log.notice('Manual failover user request accepted.');
      const master = c.myself.slaveof!;
      c.sendHeaderOnly(master.link, MSG_MFSTART);
    }
  }

  // ---------------------------------------------------------------------------
  // Replica migration

  /**
   * Redis's clusterHandleSlaveMigration (from the cron, when some primary
   * is orphaned and this replica's primary has the most working replicas):
   * this replica, when it has the smallest name among the replicas of such
   * primaries and its primary keeps more than cluster-migration-barrier
   * working ones, follows an orphaned primary with slots that has been
   * orphaned for 5 s.
   */
  handleMigration(maxSlaves: number): void {
    const c = this.cluster;
    const me = c.myself;
    if (c.state !== CLUSTER_OK) return;
    const mymaster = me.slaveof;
    if (mymaster === null) return;
    let okSlaves = 0;
    for (const r of mymaster.replicas) if (!(r.flags & (NODE_FAIL | NODE_PFAIL))) okSlaves++;
    if (okSlaves <= Number(this.server.config.v['cluster-migration-barrier'])) return;
    let candidate: ClusterNode = me;
    let target: ClusterNode | null = null;
    const now = this.now;
    for (const n of c.nodes.values()) {
      let ok = 0;
      let orphaned = true;
      if (n.isSlave || n.failed) orphaned = false;
      if (!(n.flags & NODE_MIGRATE_TO)) orphaned = false;
      if (n.isMaster) ok = n.nonFailingReplicas();
      if (ok > 0) orphaned = false;
      if (orphaned) {
        if (target === null && n.numSlots > 0) target = n;
        if (n.orphanedTime === 0) n.orphanedTime = now;
      } else n.orphanedTime = 0;
      if (ok === maxSlaves) {
        for (const r of n.replicas) if (r.name < candidate.name) candidate = r;
      }
    }
    if (target !== null && candidate === me && now - target.orphanedTime > MIGRATION_DELAY) {
      this.server.log.notice(`Migrating to orphaned master ${target.name}`);
      c.setMaster(target);
    }
  }
}

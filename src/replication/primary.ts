/**
 * The primary side of replication (Redis's replication.c, master part):
 * replicas attach with REPLCONF and PSYNC (or the old SYNC), get a full
 * sync (an RDB image, then the stream from the offset it matches) or
 * continue from the backlog (+CONTINUE), then receive the stream
 * (Replication.flush -> send, pump) and acknowledge it (REPLCONF ACK), which
 * WAIT, min-replicas-to-write, INFO and ROLE read.
 *
 * Replicas share the stream (backlog.ts): each holds a reference into the
 * shared buffer, at the next byte its socket has not been handed. A replica
 * that keeps up is handed each turn's bytes as they are; one whose socket
 * pushes back (write() returned false), or that is still syncing, is left
 * behind and handed the blocks from its reference once the socket drains.
 * What a replica's reference keeps alive counts against
 * client-output-buffer-limit replica, checked as the stream grows, before
 * anything is written (as Redis checks as it appends).
 *
 * Full syncs (the fork-less snapshot and its transfer) are full-sync.ts;
 * a replica's own state is link.ts's ReplicaLink.
 *
 * Callers: replication.ts (send, hooks), commands/replication.ts (REPLCONF,
 * PSYNC, SYNC, WAIT, ROLE), the dispatcher (goodReplicasOk), info.ts.
 */
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { Reply } from '../protocol/writer.js';
import type { Replication } from './replication.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { splitArgs } from '../protocol/parser.js';
import { DOUBLE_ZERO, parseInt64 } from '../util/numbers.js';
import { persist } from '../persistence/snapshot.js';
import { clientInfoLine } from '../observability/clientlist.js';
import { lastCommandName, logErrorOnLink, newReplId } from './replication.js';
import { FullSync } from './full-sync.js';
import { TRIM_BLOCKS_PER_CALL, type ReplBlock } from './backlog.js';
import {
  ReplicaLink,
  REQ_EXCLUDE_DATA,
  REQ_EXCLUDE_FUNCTIONS,
  capaCovers,
  peerIp,
  replicaOutputBytes,
  stateName,
  unixtime,
} from './link.js';

/** One WAIT: its client, the offset its replicas must reach and how many. */
/** A client blocked in WAIT (numlocal null) or WAITAOF. */
interface WaitEntry {
  client: Client;
  offset: number;
  numreplicas: number;
  numlocal: number | null;
}

export class Primary {
  /** Attached replicas in attach order (server.slaves). */
  readonly replicas: ReplicaLink[] = [];
  /** Online replicas whose lag is within min-replicas-max-lag (repl_good_slaves_count). */
  goodReplicas = 0;
  /** When the last replica left (ms; the backlog's TTL counts from it); 0 until the first cron tick. */
  private noReplicasSince = DOUBLE_ZERO;
  /** Seconds of the replication cron (its PING period counts them). */
  // (Redis's replication_cron_loops: its loop 0 runs at start, tsdis's first once-a-second tick a second later, loop 1)
  private cronLoops = 1;
  /** A WAIT blocked this turn: GETACK goes to the replicas before sleeping. */
  private getAck = false;
  private readonly waits: WaitEntry[] = [];
  /** Full syncs: the snapshot for replicas and sending it (full-sync.ts). */
  private readonly full: FullSync;

  constructor(
    private readonly server: Server,
    private readonly repl: Replication,
  ) {
    this.full = new FullSync(server, repl, this);
  }

  // ---------------------------------------------------------------------------
  // Names and figures

  /** The replica's name in log lines (Redis's replicationGetSlaveName). */
  name(l: ReplicaLink): string {
    const addr = l.ipAddress ?? peerIp(l.client);
    if (addr === '') return `client id #${l.client.id}`;
    if (l.listeningPort === 0) return `${addr}:<unknown-replica-port>`;
    return addr.includes(':') ? `[${addr}]:${l.listeningPort}` : `${addr}:${l.listeningPort}`;
  }

  /** The output a replica's limits count (CLIENT LIST omem, client-output-buffer-limit): link.ts. */
  outputBytes(l: ReplicaLink): number {
    return replicaOutputBytes(l, this.repl.backlog);
  }

  /** Online replicas that acknowledged `offset` (replicationCountAcksByOffset). */
  countAcks(offset: number): number {
    let n = 0;
    for (const l of this.replicas) if (l.state === 'online' && l.ackOff >= offset) n++;
    return n;
  }

  /** Recounts goodReplicas (refreshGoodSlavesCount). */
  refreshGood(): void {
    const v = this.server.config.v;
    const maxLag = v['min-replicas-max-lag'];
    if (v['min-replicas-to-write'] === 0 || maxLag === 0) {
      this.goodReplicas = 0;
      return;
    }
    const now = unixtime(this.server);
    let good = 0;
    for (const l of this.replicas) {
      if (l.state === 'online' && now - Math.floor(l.ackTime / 1000) <= maxLag) good++;
    }
    this.goodReplicas = good;
  }

  /** The replication INFO fields a primary adds: connected_slaves, min_slaves_good_slaves, slaveN. */
  infoFields(): [string, string | number][] {
    const v = this.server.config.v;
    const out: [string, string | number][] = [['connected_slaves', this.replicas.length]];
    if (v['min-replicas-to-write'] !== 0 && v['min-replicas-max-lag'] !== 0)
      out.push(['min_slaves_good_slaves', this.goodReplicas]);
    let i = 0;
    const now = unixtime(this.server);
    for (const l of this.replicas) {
      const ip = l.ipAddress ?? peerIp(l.client);
      if (ip === '') continue;
      const state = stateName(l.state);
      const lag = l.state === 'online' ? now - Math.floor(l.ackTime / 1000) : 0;
      out.push([`slave${i++}`, `ip=${ip},port=${l.listeningPort},state=${state},offset=${l.ackOff},lag=${lag}`]);
    }
    return out;
  }

  /** ROLE as a primary: master, its offset, and [ip, port, acked offset] of each online replica. */
  role(r: Reply): void {
    const online = this.replicas.filter((l) => l.state === 'online' && (l.ipAddress ?? peerIp(l.client)) !== '');
    r.array(3);
    r.bulk('master');
    r.int(this.repl.offset);
    r.array(online.length);
    for (const l of online) {
      r.array(3);
      r.bulk(l.ipAddress ?? peerIp(l.client));
      r.bulk(String(l.listeningPort));
      r.bulk(String(l.ackOff));
    }
  }

  // ---------------------------------------------------------------------------
  // REPLCONF

  /**
   * REPLCONF option value [option value ...] (Redis's replconfCommand):
   * listening-port, ip-address, capa, ack (no reply), getack (no reply on
   * a primary), rdb-only, rdb-filter-only; +OK after the rest.
   */
  replconf(c: Client, argv: string[], reply: Reply): void {
    if (argv.length % 2 === 0) throw new ReplyError(Err.syntax);
    const l = c.replica ?? this.pendingLinks.get(c) ?? this.newPending(c);
    for (let j = 1; j < argv.length; j += 2) {
      const opt = argv[j]!.toLowerCase();
      const val = argv[j + 1]!;
      if (opt === 'listening-port') {
        const port = parseInt64(val);
        if (port === null || typeof port === 'bigint') throw new ReplyError(Err.notInteger);
        l.listeningPort = port;
      } else if (opt === 'ip-address') {
        if (val.length >= 256) throw new ReplyError(Err.replconfIpTooLong(val.length));
        l.ipAddress = val;
      } else if (opt === 'capa') {
        const capa = val.toLowerCase();
        if (capa === 'eof') l.capaEof = true;
        else if (capa === 'psync2') l.capaPsync2 = true;
      } else if (opt === 'ack') {
        // (from a replica only; no reply whatever happens)
        if (c.replica === null) return;
        const off = parseInt64(val);
        if (off === null) return;
        if (Number(off) > l.ackOff) l.ackOff = Number(off);
        if (argv.length > j + 3 && argv[j + 2]!.toLowerCase() === 'fack') {
          const aof = parseInt64(argv[j + 3]!);
          if (aof === null) return;
          if (Number(aof) > l.aofOff) l.aofOff = Number(aof);
        }
        l.ackTime = this.server.clock();
        if (l.startOnAck && l.state === 'online') this.full.startStream(l);
        return;
      } else if (opt === 'getack') {
        // a replica answers its primary's GETACK (the replica side); a primary says nothing
        return;
      } else if (opt === 'rdb-only') {
        // (Redis's getRangeLongFromObjectOrReply: not a number, then out of range)
        const n = parseInt64(val);
        if (n === null) throw new ReplyError(Err.notInteger);
        if (typeof n === 'bigint' || n < 0 || n > 1) throw new ReplyError(Err.rangeZeroOne);
        l.rdbOnly = n === 1;
      } else if (opt === 'rdb-filter-only') {
        const filters = splitArgs(val);
        if (filters === null) throw new ReplyError(Err.replconfFilterMissing);
        l.req |= REQ_EXCLUDE_DATA | REQ_EXCLUDE_FUNCTIONS;
        for (const f of filters) {
          if (f.toLowerCase() === 'functions') l.req &= ~REQ_EXCLUDE_FUNCTIONS;
          else throw new ReplyError(Err.replconfFilterUnsupported(f));
        }
      } else {
        throw new ReplyError(Err.replconfUnknown(argv[j]!));
      }
    }
    reply.ok();
  }

  /**
   * A replica's command made a reply (a rejected GET, a PING, a REPLCONF
   * error, a protocol error): a replica's link carries no replies (Redis 7's
   * check in _addReplyToBufferOrList), so the reply is dropped, the line
   * logged and the replica disconnected; an error reply (`error`, its text)
   * is also logged as Redis's afterErrorReply does for a replica. Callers:
   * the dispatcher after a replica's command (`argv`), server/connection.ts
   * on its protocol errors.
   */
  repliedToReplica(c: Client, argv?: readonly string[], error: string | null = null): void {
    const server = this.server;
    c.reply.out = '';
    server.log.warning(
      `Replica generated a reply to command '${lastCommandName(c)}', disconnecting it: ${clientInfoLine(server, c, argv)}`,
    );
    if (error !== null) logErrorOnLink(server, c, error, 'master');
    server.killClient(c);
  }

  /** What REPLCONF told connections that are not replicas yet (dropped when they close). */
  private readonly pendingLinks = new Map<Client, ReplicaLink>();

  private newPending(c: Client): ReplicaLink {
    const l = new ReplicaLink(c);
    this.pendingLinks.set(c, l);
    return l;
  }

  // ---------------------------------------------------------------------------
  // SYNC and PSYNC

  /**
   * SYNC / PSYNC replid offset (Redis's syncCommand): a partial resync
   * from the backlog when it holds what the replica lacks, else a full
   * one: the client becomes a replica waiting for its image.
   */
  sync(c: Client, argv: string[], reply: Reply): void {
    // (already a replica, or a monitor: ignored, as Redis's CLIENT_SLAVE check)
    if (c.slave) return;
    const psync = argv[0]!.toLowerCase() === 'psync';
    if (psync && argv.length > 3 && argv[3]!.toLowerCase() === 'failover') {
      this.server.log.notice(`Failover request received for replid ${argv[1]!}.`);
      if (!this.repl.following) throw new ReplyError(Err.psyncFailoverToMaster);
      if (argv[1] !== this.repl.replid) throw new ReplyError(Err.psyncFailoverReplid);
      // our primary hands its role over: promoted, then its PSYNC continues our (shared) history
      this.server.replica.unsetMaster();
      this.server.log.notice(`MASTER MODE enabled (failover request from '${clientInfoLine(this.server, c, argv)}')`);
    }
    // a replica serves sub-replicas (its primary's stream, proxied) only while its own link is up
    if (this.repl.following && this.server.replica.state !== 'connected') throw new ReplyError(Err.syncNoMasterLink);
    if (reply.out.length !== 0) throw new ReplyError(Err.syncPendingOutput);
    const l = this.pendingLinks.get(c) ?? new ReplicaLink(c);
    this.pendingLinks.delete(c);
    if (l.req !== 0 && !l.capaEof) throw new ReplyError(Err.syncFilterNeedsEof);
    const log = this.server.log;
    log.notice(`Replica ${this.name(l)} asks for synchronization`);
    if (psync) {
      const off = parseInt64(argv[2]!);
      if (off === null) {
        log.warning(`Replica ${this.name(l)} asks for synchronization but with a wrong offset`);
        throw new ReplyError(Err.notInteger);
      }
      if (this.tryPartial(l, argv[1]!, Number(off))) {
        this.server.stats.syncPartialOk++;
        return;
      }
      if (argv[1]![0] !== '?') this.server.stats.syncPartialErr++;
    } else l.prePsync = true;
    this.server.stats.syncFull++;
    l.state = 'wait_bgsave_start';
    this.attach(l);
    if (this.replicas.length === 1 && this.repl.backlog === null) {
      // a backlog from scratch starts a new history
      this.repl.replid = newReplId();
      this.repl.clearReplId2();
      this.repl.ensureBacklog();
      log.notice(
        `Replication backlog created, my new replication IDs are '${this.repl.replid}' and '${this.repl.replid2}'`,
      );
    }
    const running = persist(this.server).bgsave;
    if (running !== null && running.opts.onDone === undefined) {
      // a BGSAVE to disk runs: another replica waiting for it shares it (and what was held for it since)
      const peer = this.full.diskSync
        ? this.replicas.find((p) => p.state === 'wait_bgsave_end' && (!p.rdbOnly || l.rdbOnly))
        : undefined;
      if (peer !== undefined && capaCovers(l, peer) && l.req === peer.req) {
        // (copyReplicaOutputBuffer: the same reference into the shared stream)
        if (!l.rdbOnly && peer.refBlock !== null) this.takeRef(l, peer.refBlock, peer.refPos);
        this.full.setupFullResync(l, peer.initialOffset);
        log.notice('Waiting for end of BGSAVE for SYNC');
      } else {
        log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      }
    } else if (running !== null && running.opts.target !== undefined) {
      log.notice('Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC');
    } else {
      const v = this.server.config.v;
      if (v['repl-diskless-sync'] && l.capaEof && v['repl-diskless-sync-delay'] !== 0) {
        log.notice('Delay next BGSAVE for diskless SYNC');
      } else if (running === null) {
        this.full.start(l.capaEof, l.req);
      } else {
        log.notice('No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed');
      }
    }
  }

  /** Makes the client a replica (server.slaves). */
  private attach(l: ReplicaLink): void {
    l.client.replica = l;
    l.client.slave = true;
    this.replicas.push(l);
  }

  /**
   * PSYNC's partial resync (masterTryPartialResynchronization): the same
   * history (replid, or replid2 up to second_repl_offset) and the backlog
   * holding `from` onwards: +CONTINUE, then the backlog's tail. False
   * (logged) when a full resync is needed.
   */
  private tryPartial(l: ReplicaLink, replid: string, from: number): boolean {
    const repl = this.repl;
    const log = this.server.log;
    const lc = replid.toLowerCase();
    if (lc !== repl.replid && (lc !== repl.replid2 || from > repl.secondReplOffset)) {
      if (replid[0] !== '?') {
        if (lc !== repl.replid && lc !== repl.replid2) {
          log.notice(
            `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${repl.replid}' and '${repl.replid2}')`,
          );
        } else {
          log.notice(
            `Partial resynchronization not accepted: Requested offset for second ID was ${from}, but I can reply up to ${repl.secondReplOffset}`,
          );
        }
      } else log.notice(`Full resync requested by replica ${this.name(l)}`);
      return false;
    }
    const b = repl.backlog;
    if (b === null || !b.holds(from)) {
      log.notice(
        `Unable to partial resync with replica ${this.name(l)} for lack of backlog (Replica request was: ${from}).`,
      );
      if (from > repl.offset)
        log.warning(
          `Warning: replica ${this.name(l)} tried to PSYNC with an offset that is greater than the master replication offset.`,
        );
      return false;
    }
    // stream bytes fed this turn are in the backlog already: this replica gets them from its reference
    repl.flush();
    l.state = 'online';
    l.ackTime = this.server.clock();
    l.streaming = true;
    this.attach(l);
    const at = b.locate(from);
    if (at !== null) this.takeRef(l, at.block, at.pos);
    const sock = l.client.socket;
    if (sock !== null) {
      sock.write(l.capaPsync2 ? `+CONTINUE ${repl.replid}\r\n` : '+CONTINUE\r\n', 'latin1');
      log.notice(
        `Partial resynchronization request from ${this.name(l)} accepted. Sending ${repl.offset + 1 - from} bytes of backlog starting from offset ${from}.`,
      );
      this.pump(l);
    }
    this.refreshGood();
    return true;
  }

  // ---------------------------------------------------------------------------
  // The stream

  /**
   * A turn's stream bytes (from `pos` in `start` of the shared buffer to
   * its end) go to the replicas (Replication.flush). A replica fed for
   * the first time takes its reference at `start` (rdb-only replicas and
   * those waiting for a snapshot to start get none: their stream begins at
   * setupFullResync). When these bytes added a block (`grew`: what a
   * reference keeps alive grows by whole blocks), each one's output limit is
   * checked first, on what its reference keeps alive with them appended; one
   * past it is closed, as Redis does. A streaming replica that was caught up
   * gets them in one write (one string, made once for all such replicas);
   * one behind is pumped from its reference.
   */
  send(start: ReplBlock, pos: number, grew: boolean): void {
    const b = this.repl.backlog;
    if (b === null) return;
    // (the turn's bytes as one string, made for the first caught-up replica)
    let data: string | null = null;
    const limits = this.server.outputLimits;
    const tail = b.tail!;
    let over: ReplicaLink[] | null = null;
    for (const l of this.replicas) {
      if (l.state === 'wait_bgsave_start' || l.rdbOnly) continue;
      if (l.refBlock === null) this.takeRef(l, start, pos);
      const c = l.client;
      if (grew && limits.reached(c, replicaOutputBytes(l, b))) {
        (over ??= []).push(l);
        continue;
      }
      if (!l.streaming || c.socket === null) continue;
      const ref = l.refBlock!;
      // caught up: at the turn's first byte (or at the end of the full block just before it)
      const caughtUp =
        (ref === start && l.refPos === pos) || (pos === 0 && ref.next === start && l.refPos === ref.used);
      if (caughtUp && !l.waitDrain) {
        data ??= b.textFrom(start, pos);
        this.server.stats.netReplOutputBytes += data.length;
        this.moveRef(l, tail, tail.used);
        if (!c.socket.write(data, 'latin1')) this.awaitDrain(l);
      } else this.pump(l);
    }
    if (over !== null) for (const l of over) limits.closeClient(l.client);
  }

  /**
   * Hands a streaming replica's socket the shared blocks from its reference
   * on, until the socket pushes back or the replica has everything; its
   * reference moves along (blocks only it held may go: trim). `all`: ignore
   * push-back (the server is closing). Called by send, by the socket's
   * 'drain', after +CONTINUE and when a synced replica starts streaming.
   */
  pump(l: ReplicaLink, all = false): void {
    const sock = l.client.socket;
    const b = this.repl.backlog;
    if (sock === null || b === null || l.refBlock === null || !l.streaming || l.client.closed) return;
    // (a socket pushing back gets nothing more until 'drain': the stream waits in the blocks, not in its buffer)
    if (l.waitDrain && !all) return;
    let blk = l.refBlock;
    let pos = l.refPos;
    let n = 0;
    let ok = true;
    for (;;) {
      if (pos < blk.used) {
        n += blk.used - pos;
        ok = sock.write(blk.buf.toString('latin1', pos, blk.used), 'latin1');
        pos = blk.used;
      }
      if (blk.next === null || (!ok && !all)) break;
      blk = blk.next;
      pos = 0;
    }
    this.server.stats.netReplOutputBytes += n;
    this.moveRef(l, blk, pos);
    b.trim(TRIM_BLOCKS_PER_CALL);
    if (!ok) this.awaitDrain(l);
  }

  /** The replica's socket pushed back: its stream waits in the shared buffer until 'drain' pumps it. */
  private awaitDrain(l: ReplicaLink): void {
    l.waitDrain = true;
    if (l.drainHooked) return;
    l.drainHooked = true;
    l.client.socket?.on('drain', () => {
      l.waitDrain = false;
      if (l.client.replica === l) this.pump(l);
    });
  }

  /** Gives a replica a reference at `pos` in `block` (it had none). */
  private takeRef(l: ReplicaLink, block: ReplBlock, pos: number): void {
    block.refcount++;
    l.refBlock = block;
    l.refPos = pos;
  }

  /** Moves a replica's reference forward (the caller trims). */
  private moveRef(l: ReplicaLink, block: ReplBlock, pos: number): void {
    const old = l.refBlock!;
    if (old !== block) {
      old.refcount--;
      block.refcount++;
      l.refBlock = block;
    }
    l.refPos = pos;
  }

  /**
   * Drops a replica's reference (freeReplicaReferencedReplBuffer): it left,
   * or the backlog was freed; what only it held is trimmed.
   */
  releaseRef(l: ReplicaLink): void {
    const r = l.refBlock;
    if (r === null) return;
    l.refBlock = null;
    l.refPos = 0;
    r.refcount--;
    this.repl.backlog?.trim(TRIM_BLOCKS_PER_CALL);
  }

  // ---------------------------------------------------------------------------
  // WAIT

  /** Online replicas whose AOF holds `offset` (their REPLCONF ACK's FACK: replicationCountAOFAcksByOffset). */
  countAofAcks(offset: number): number {
    let n = 0;
    for (const l of this.replicas) if (l.state === 'online' && l.aofOff >= offset) n++;
    return n;
  }

  /** WAITAOF's reply: [local fsync (0|1), replicas' AOF acknowledgements]. */
  private aofReply(r: Reply, offset: number): void {
    r.array(2);
    r.int(this.server.aof.fsyncedReplOffset >= offset ? 1 : 0);
    r.int(this.countAofAcks(offset));
  }

  /**
   * WAIT numreplicas (numlocal null) or WAITAOF numlocal numreplicas: blocks
   * `c` until enough replicas acknowledged its last write (`offset`) (and,
   * for WAITAOF, the local AOF fsynced it), or the deadline; GETACK goes to
   * the replicas before this turn sleeps. The caller checked it cannot reply
   * at once.
   */
  blockWait(c: Client, offset: number, numreplicas: number, deadline: number, numlocal: number | null = null): void {
    const entry: WaitEntry = { client: c, offset, numreplicas, numlocal };
    this.waits.push(entry);
    this.server.blocking.block(
      c,
      c.db,
      [],
      deadline,
      () => false,
      (r) => {
        this.dropWait(entry);
        if (numlocal === null) r.int(this.countAcks(offset));
        else this.aofReply(r, offset);
      },
      false,
      entry,
    );
    this.getAck = true;
  }

  private dropWait(e: WaitEntry): void {
    const i = this.waits.indexOf(e);
    if (i >= 0) this.waits.splice(i, 1);
  }

  /**
   * Unblocks the WAITs and WAITAOFs now satisfied (processClientsWaitingReplicas):
   * after ACKs (beforeSleep), an AOF fsync, or AOF turned on or off (a
   * WAITAOF with numlocal then fails as Redis's does).
   */
  serveWaits(): void {
    if (this.waits.length === 0) return;
    const aof = this.server.aof;
    for (const e of [...this.waits]) {
      if (!this.server.blocking.holds(e.client, e)) {
        this.dropWait(e);
        continue;
      }
      if (e.numlocal === null) {
        const n = this.countAcks(e.offset);
        if (n < e.numreplicas) continue;
        this.dropWait(e);
        this.server.blocking.unblockWith(e.client, e, (r) => r.int(n));
        continue;
      }
      if (e.numlocal > 0 && aof.state === 'off') {
        this.dropWait(e);
        this.server.blocking.unblockWith(e.client, e, (r) => r.error(Err.waitaofNoAof));
        continue;
      }
      if (this.countAofAcks(e.offset) < e.numreplicas) continue;
      if ((aof.fsyncedReplOffset >= e.offset ? 1 : 0) < e.numlocal) continue;
      this.dropWait(e);
      this.server.blocking.unblockWith(e.client, e, (r) => this.aofReply(r, e.offset));
    }
  }

  // ---------------------------------------------------------------------------
  // Hooks (called by Replication)

  /**
   * REPLCONF GETACK * to the replicas now (Redis's sendGetackToReplicas),
   * for a shutdown waiting for them (server/shutdown.ts): it is in the
   * stream, so it moves the offset they must acknowledge. A replica feeds
   * nothing of its own to its sub-replicas.
   */
  sendGetAck(): void {
    if (this.replicas.length === 0 || this.repl.following) return;
    this.repl.feed(-1, GETACK);
    this.repl.flush();
  }

  /** beforeSleep: GETACK to the replicas when a WAIT blocked, then the WAITs now satisfied. */
  beforeSleep(): void {
    if (this.getAck) {
      this.getAck = false;
      if (this.replicas.length !== 0 && this.server.pause.mode === 0) {
        this.repl.feed(-1, GETACK);
      }
    }
    this.serveWaits();
  }

  /**
   * The replication cron (replicationCron's primary part): each tick,
   * snapshots for waiting replicas; once a second, the PING every
   * repl-ping-replica-period seconds, a newline to replicas waiting for
   * their image, replicas silent past repl-timeout dropped, the backlog
   * freed repl-backlog-ttl seconds after the last replica left, and the
   * good replicas recounted.
   */
  cron(second: boolean): void {
    if (this.replicas.length !== 0) this.full.startPending();
    if (!second) return;
    const server = this.server;
    const v = server.config.v;
    const repl = this.repl;
    if (this.cronLoops++ % v['repl-ping-replica-period'] === 0 && this.replicas.length !== 0 && !repl.following) {
      repl.feed(-1, PING);
      repl.flush();
    }
    for (const l of this.replicas) if (this.full.presync(l)) l.client.socket?.write('\n', 'latin1');
    const now = unixtime(server);
    for (const l of [...this.replicas]) {
      if (l.state === 'online' && !l.prePsync && now - Math.floor(l.ackTime / 1000) > v['repl-timeout']) {
        server.log.warning(`Disconnecting timedout replica (streaming sync): ${this.name(l)}`);
        server.killClient(l.client);
        continue;
      }
      this.full.timedOut(l, now, v['repl-timeout']);
    }
    if (this.noReplicasSince === 0) this.noReplicasSince = server.clock();
    const ttl = v['repl-backlog-ttl'];
    if (this.replicas.length === 0 && ttl !== 0 && repl.backlog !== null && !repl.following) {
      if (now - Math.floor(this.noReplicasSince / 1000) > ttl) {
        repl.replid = newReplId();
        repl.clearReplId2();
        repl.freeBacklog();
        server.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
      }
    }
    this.refreshGood();
  }

  /** A client is gone: a replica is detached (its link lost), what REPLCONF told is forgotten. */
  clientFreed(c: Client): void {
    this.pendingLinks.delete(c);
    const l = c.replica;
    if (l === null) return;
    this.server.log.notice(`Connection with replica ${this.name(l)} lost.`);
    this.detach(l);
  }

  /**
   * Drops every replica (Redis's disconnectSlaves): this server's history
   * changed (promoted, a full sync or a new id from its own primary), and
   * they must PSYNC again to learn it.
   */
  disconnectAll(): void {
    for (const l of [...this.replicas]) this.server.conns.killClient(l.client);
  }

  /** Takes a replica off the list (gone, or its sync failed); a diskless sync left without replicas stops. */
  detach(l: ReplicaLink): void {
    const i = this.replicas.indexOf(l);
    if (i >= 0) this.replicas.splice(i, 1);
    l.client.replica = null;
    l.client.slave = l.client.monitor;
    l.bulk?.destroy();
    l.bulk = null;
    l.streaming = false;
    this.releaseRef(l);
    if (this.replicas.length === 0) this.noReplicasSince = this.server.clock();
    this.full.left(l);
    this.refreshGood();
  }

  /**
   * Server close (after the last stream bytes were handed to the sockets):
   * file transfers stop; a streaming replica's connection ends once what it
   * was sent is written, rather than being cut with the stream's tail unsent
   * (Redis flushes its replicas' output before exiting).
   */
  close(): void {
    for (const l of [...this.replicas]) {
      l.bulk?.destroy();
      const sock = l.client.socket;
      if (!l.streaming || sock === null) continue;
      // (what still waits in the shared buffer is handed over too)
      this.pump(l, true);
      this.server.conns.freeClient(l.client);
      sock.destroySoon();
    }
  }
}

const PING: readonly string[] = ['PING'];
const GETACK: readonly string[] = ['REPLCONF', 'GETACK', '*'];

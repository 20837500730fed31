/**
 * The primary side of replication (Redis's replication.c, master part):
 * replicas attach with REPLCONF and PSYNC (or the old SYNC), get a full
 * sync (an RDB image, then the stream from the offset it matches) or
 * continue from the backlog (+CONTINUE), then receive the stream
 * (Replication.flush -> send) and acknowledge it (REPLCONF ACK), which WAIT,
 * min-replicas-to-write, INFO and ROLE read.
 *
 * A full sync takes no fork: the snapshot is persistence/bgsave.ts's sliced
 * copy-on-write walk, started synchronously at the moment +FULLRESYNC names
 * (its offset is master_repl_offset then, and the image holds every effect
 * up to it and none after). Disk-based (repl-diskless-sync no): the walk
 * writes dbfilename as a BGSAVE, then `$<len>\r\n` and the file go to each
 * replica that waited for it. Diskless: the walk's chunks go straight to
 * the replicas' sockets between `$EOF:<mark>\r\n` and the 40-byte mark. The
 * stream a syncing replica must get after the image is held for it
 * (ReplicaLink.held, counted against client-output-buffer-limit replica)
 * and written once the image is sent (disk) or at the replica's first ACK
 * (diskless, as Redis does so that nothing follows the EOF mark at once).
 *
 * Callers: replication.ts (send, hooks), commands/replication.ts (REPLCONF,
 * PSYNC, SYNC, WAIT, ROLE), the dispatcher (goodReplicasOk), info.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { Reply } from '../protocol/writer.js';
import type { Replication } from './replication.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { splitArgs } from '../protocol/parser.js';
import { parseInt64 } from '../util/numbers.js';
import { persist, rdbPath } from '../persistence/snapshot.js';
import { Bgsave, startBgsave, type SnapshotTarget } from '../persistence/bgsave.js';
import { newReplId } from './replication.js';

/** A replica's state (Redis's SLAVE_STATE_*). */
export type ReplState = 'wait_bgsave_start' | 'wait_bgsave_end' | 'send_bulk' | 'online' | 'rdb_transmitted';

/** What a replica wants left out of its image (REPLCONF rdb-filter-only): Redis's SLAVE_REQ_* bits. */
const REQ_EXCLUDE_DATA = 1;
const REQ_EXCLUDE_FUNCTIONS = 2;

/** A diskless sync pauses the walk while a replica's socket holds more than this. */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;

/** The per-client replication state of a replica attached to this server (Client.replica). */
export class ReplicaLink {
  state: ReplState = 'wait_bgsave_start';
  /** REPLCONF listening-port (0: not given). */
  listeningPort = 0;
  /** REPLCONF ip-address, else the peer's address. */
  ipAddress: string | null = null;
  capaEof = false;
  capaPsync2 = false;
  /** REPLCONF rdb-only 1: the image only, then the connection ends. */
  rdbOnly = false;
  /** REQ_EXCLUDE_* bits (rdb-filter-only). */
  req = 0;
  /** Came with SYNC: no +FULLRESYNC line, no ACKs expected (Redis's CLIENT_PRE_PSYNC). */
  prePsync = false;
  /** The offset its full sync's image matches (psync_initial_offset). */
  initialOffset = 0;
  /** The highest offset it acknowledged (repl_ack_off), and fsynced to its AOF (repl_aof_off). */
  ackOff = 0;
  aofOff = 0;
  /** When it last acknowledged (ms). */
  ackTime = 0;
  /**
   * Stream bytes held until its image is sent (and, diskless, until its
   * first ACK); null once streaming.
   */
  held: string[] | null = [];
  heldBytes = 0;
  /** Diskless: the image was sent, the held stream goes out at its first ACK. */
  startOnAck = false;
  /** Diskless: when its socket last took image bytes (ms; 0: not yet), for repl-timeout. */
  lastPartialWrite = 0;
  /** Disk-based: the file being sent to it. */
  bulk: fs.ReadStream | null = null;

  constructor(readonly client: Client) {}
}

/** One WAIT: its client, the offset its replicas must reach and how many. */
interface WaitEntry {
  client: Client;
  offset: number;
  numreplicas: number;
}

export class Primary {
  /** Attached replicas in attach order (server.slaves). */
  readonly replicas: ReplicaLink[] = [];
  /** Online replicas whose lag is within min-replicas-max-lag (repl_good_slaves_count). */
  goodReplicas = 0;
  /** When the last replica left (ms; the backlog's TTL counts from it); 0 until the first cron tick. */
  private noReplicasSince = 0;
  /** Seconds of the replication cron (its PING period counts them). */
  private cronLoops = 0;
  /** A WAIT blocked this turn: GETACK goes to the replicas before sleeping. */
  private getAck = false;
  private readonly waits: WaitEntry[] = [];
  /** The diskless sync running: its replicas. */
  private socketSync: { links: ReplicaLink[]; mark: string } | null = null;
  /** A disk-based BGSAVE for replication runs (replicas wait for its end). */
  private diskSync = false;

  constructor(
    private readonly server: Server,
    private readonly repl: Replication,
  ) {}

  // ---------------------------------------------------------------------------
  // Names and figures

  /** The replica's name in log lines (Redis's replicationGetSlaveName). */
  name(l: ReplicaLink): string {
    const addr = l.ipAddress ?? peerIp(l.client);
    if (addr === '') return `client id #${l.client.id}`;
    if (l.listeningPort === 0) return `${addr}:<unknown-replica-port>`;
    return addr.includes(':') ? `[${addr}]:${l.listeningPort}` : `${addr}:${l.listeningPort}`;
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
        if (l.startOnAck && l.state === 'online') this.startStream(l);
        return;
      } else if (opt === 'getack') {
        // a replica answers its primary's GETACK (the replica side); a primary says nothing
        return;
      } else if (opt === 'rdb-only') {
        const n = parseInt64(val);
        if (n === null || typeof n === 'bigint' || n < 0 || n > 1) throw new ReplyError(Err.replconfRdbOnlyRange);
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
    }
    // (a replica serving sub-replicas is the replica side's: refused here until it says its link is up)
    if (this.repl.following) throw new ReplyError(Err.syncNoMasterLink);
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
      const peer = this.diskSync
        ? this.replicas.find((p) => p.state === 'wait_bgsave_end' && (!p.rdbOnly || l.rdbOnly))
        : undefined;
      if (peer !== undefined && capaCovers(l, peer) && l.req === peer.req) {
        if (!l.rdbOnly && peer.held !== null) {
          l.held = [...peer.held];
          l.heldBytes = peer.heldBytes;
        }
        this.setupFullResync(l, peer.initialOffset);
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
        this.startSync(l.capaEof, l.req);
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
    // stream bytes fed this turn are in the backlog already: they go with the tail, not again by flush
    repl.flush();
    l.state = 'online';
    l.ackTime = this.server.clock();
    l.held = null;
    this.attach(l);
    const sock = l.client.socket;
    if (sock !== null) {
      sock.write(l.capaPsync2 ? `+CONTINUE ${repl.replid}\r\n` : '+CONTINUE\r\n', 'latin1');
      const tail = b.since(from);
      if (tail.length !== 0) sock.write(tail.toString('latin1'), 'latin1');
      log.notice(
        `Partial resynchronization request from ${this.name(l)} accepted. Sending ${tail.length} bytes of backlog starting from offset ${from}.`,
      );
    }
    this.refreshGood();
    return true;
  }

  /**
   * A replica's full sync starts at `offset` (replicationSetupSlaveForFullResync):
   * it waits for the image's end, the next effect says its database, and
   * (PSYNC) it is told +FULLRESYNC replid offset.
   */
  private setupFullResync(l: ReplicaLink, offset: number): void {
    l.initialOffset = offset;
    l.state = 'wait_bgsave_end';
    this.repl.selectedDb = -1;
    if (!l.prePsync) l.client.socket?.write(`+FULLRESYNC ${this.repl.replid} ${offset}\r\n`, 'latin1');
  }

  /**
   * Starts the snapshot for the replicas waiting for one with requirements
   * `req` (startBgsaveForReplication): to their sockets (diskless, or a
   * filtered image) when they all take EOF-marked images, else to disk.
   * Replicas it cannot serve are told and closed.
   */
  private startSync(eof: boolean, req: number): void {
    const server = this.server;
    const socket = (server.config.v['repl-diskless-sync'] || (req & 3) !== 0) && eof;
    server.log.notice(`Starting BGSAVE for SYNC with target: ${socket ? 'replicas sockets' : 'disk'}`);
    // stream bytes of this turn precede the image's offset
    this.repl.flush();
    const ok = socket ? this.startSocketSync(req) : this.startDiskSync(req);
    if (ok) return;
    server.log.warning('BGSAVE for replication failed');
    for (const l of [...this.replicas]) {
      if (l.state !== 'wait_bgsave_start') continue;
      this.detach(l);
      l.client.reply.error(Err.syncBgsaveFailed);
      l.client.closeAfterReply = true;
      server.beforeSleep.queue(l.client);
    }
  }

  /** Disk-based: a BGSAVE to dbfilename; its end sends the file (diskDone). */
  private startDiskSync(req: number): boolean {
    const server = this.server;
    if (!startBgsave(server)) return false;
    this.diskSync = true;
    for (const l of this.replicas) {
      if (l.state === 'wait_bgsave_start' && l.req === req) this.setupFullResync(l, this.repl.offset);
    }
    persist(server).waiters.push((ok) => this.diskDone(ok));
    return true;
  }

  /** Diskless: the snapshot's chunks go to the waiting replicas' sockets between `$EOF:<mark>` and the mark. */
  private startSocketSync(req: number): boolean {
    const server = this.server;
    const links = this.replicas.filter((l) => l.state === 'wait_bgsave_start' && l.req === req && l.capaEof);
    const mark = crypto.randomBytes(20).toString('hex');
    const sync = { links, mark };
    const live = () => sync.links.filter((l) => !l.client.closed && l.client.socket !== null);
    const target: SnapshotTarget = {
      write: (chunk, done) => {
        const s = chunk.toString('latin1');
        for (const l of live()) l.client.socket!.write(s, 'latin1');
        server.stats.netReplOutputBytes += chunk.length * live().length;
        const waitDrain = (): void => {
          if (sync !== this.socketSync) return;
          let full = false;
          const now = server.clock();
          for (const l of live()) {
            if (l.client.socket!.writableLength > SOCKET_HIGH_WATER) full = true;
            else l.lastPartialWrite = now;
          }
          // (a replica that stopped reading is dropped by the cron after repl-timeout)
          if (full) setTimeout(waitDrain, 2);
          else done();
        };
        setImmediate(waitDrain);
      },
      end: (done) => {
        for (const l of live()) l.client.socket!.write(mark, 'latin1');
        setImmediate(done);
      },
    };
    const offset = this.repl.offset;
    let snap: Bgsave;
    try {
      snap = new Bgsave(server, rdbPath(server), {
        target,
        noData: (req & REQ_EXCLUDE_DATA) !== 0,
        noFunctions: (req & REQ_EXCLUDE_FUNCTIONS) !== 0,
        onDone: (end) => this.socketDone(sync, end === 'ok'),
      });
    } catch (e) {
      server.log.warning(`Can't save in background: ${(e as Error).message}`);
      return false;
    }
    const st = persist(server);
    st.bgsave = snap;
    st.forks++;
    server.log.notice(`Background RDB transfer started by pid ${process.pid}`);
    this.socketSync = sync;
    for (const l of links) {
      l.lastPartialWrite = server.clock();
      this.setupFullResync(l, offset);
      l.client.socket?.write(`$EOF:${mark}\r\n`, 'latin1');
    }
    return true;
  }

  /** The diskless snapshot ended: its replicas are online, streaming from their first ACK. */
  private socketDone(sync: { links: ReplicaLink[] }, ok: boolean): void {
    if (this.socketSync === sync) this.socketSync = null;
    const log = this.server.log;
    log.notice(ok ? 'Background RDB transfer terminated with success' : 'Background transfer error');
    for (const l of sync.links) {
      if (l.client.closed || l.state !== 'wait_bgsave_end') continue;
      if (!ok) {
        log.warning('SYNC failed. BGSAVE child returned an error');
        this.server.killClient(l.client);
        continue;
      }
      log.notice(
        `Streamed RDB transfer with replica ${this.name(l)} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`,
      );
      if (!this.putOnline(l)) continue;
      l.startOnAck = true;
    }
    this.startPending();
  }

  /** The disk BGSAVE ended: each replica waiting for it gets `$<len>\r\n` and the file. */
  private diskDone(ok: boolean): void {
    this.diskSync = false;
    const log = this.server.log;
    const file = rdbPath(this.server);
    for (const l of [...this.replicas]) {
      if (l.state !== 'wait_bgsave_end') continue;
      if (!ok) {
        log.warning('SYNC failed. BGSAVE child returned an error');
        this.server.killClient(l.client);
        continue;
      }
      // (opened now: a later BGSAVE renaming a new file over it does not change what this replica gets)
      let fd = -1;
      let size: number;
      try {
        fd = fs.openSync(file, 'r');
        size = fs.fstatSync(fd).size;
      } catch (e) {
        if (fd >= 0) fs.closeSync(fd);
        log.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${(e as Error).message}`);
        this.server.killClient(l.client);
        continue;
      }
      l.state = 'send_bulk';
      this.sendBulk(l, fd, size);
    }
    this.startPending();
  }

  /** Streams the RDB file to a replica (sendBulkToSlave), then puts it online. */
  private sendBulk(l: ReplicaLink, fd: number, size: number): void {
    const sock = l.client.socket;
    const rs = fs.createReadStream('', { fd, highWaterMark: 1 << 16 });
    if (sock === null) return void rs.destroy();
    sock.write(`$${size}\r\n`, 'latin1');
    l.bulk = rs;
    rs.on('data', (chunk) => {
      if (l.client.closed) return void rs.destroy();
      const b = chunk as Buffer;
      this.server.stats.netReplOutputBytes += b.length;
      sock.write(b.toString('latin1'), 'latin1');
      if (sock.writableLength > SOCKET_HIGH_WATER) {
        rs.pause();
        const resume = (): void => {
          if (l.client.closed) return void rs.destroy();
          if (sock.writableLength > SOCKET_HIGH_WATER) setTimeout(resume, 2);
          else rs.resume();
        };
        setTimeout(resume, 2);
      }
    });
    rs.on('error', (e) => {
      this.server.log.warning(`Read error sending DB to replica: ${e.message}`);
      this.server.killClient(l.client);
    });
    rs.on('end', () => {
      l.bulk = null;
      if (l.client.closed) return;
      if (this.putOnline(l)) this.startStream(l);
    });
  }

  /**
   * The image was sent (replicaPutOnline): online, or, for an rdb-only
   * replica, done and closed. False when it was closed.
   */
  private putOnline(l: ReplicaLink): boolean {
    const log = this.server.log;
    if (l.rdbOnly) {
      l.state = 'rdb_transmitted';
      log.notice(`RDB transfer completed, rdb only replica (${this.name(l)}) should be disconnected asap`);
      l.client.closeAfterReply = true;
      this.server.beforeSleep.queue(l.client);
      return false;
    }
    l.state = 'online';
    l.ackTime = this.server.clock();
    this.refreshGood();
    log.notice(`Synchronization with replica ${this.name(l)} succeeded`);
    return true;
  }

  /** Writes what was held for the replica and streams from now on (replicaStartCommandStream). */
  private startStream(l: ReplicaLink): void {
    l.startOnAck = false;
    const held = l.held;
    l.held = null;
    l.heldBytes = 0;
    const sock = l.client.socket;
    if (held === null || sock === null) return;
    for (const s of held) {
      sock.write(s, 'latin1');
      this.server.stats.netReplOutputBytes += s.length;
    }
  }

  /**
   * Replicas waiting for a snapshot get one when none runs
   * (replicationStartPendingFork): at once for disk-based syncs, after
   * repl-diskless-sync-delay seconds of the longest waiting (or when
   * repl-diskless-sync-max-replicas wait) for diskless ones.
   */
  startPending(): void {
    if (this.replicas.length === 0 || persist(this.server).bgsave !== null) return;
    let req = -1;
    let eof = true;
    let waiting = 0;
    let maxIdle = 0;
    const now = unixtime(this.server);
    for (const l of this.replicas) {
      if (l.state !== 'wait_bgsave_start') continue;
      if (req === -1) req = l.req;
      else if (l.req !== req) continue;
      maxIdle = Math.max(maxIdle, now - Math.floor(l.client.lastInteraction / 1000));
      waiting++;
      eof &&= l.capaEof;
    }
    if (waiting === 0) return;
    const v = this.server.config.v;
    const max = v['repl-diskless-sync-max-replicas'];
    if (!v['repl-diskless-sync'] || (max > 0 && waiting >= max) || maxIdle >= v['repl-diskless-sync-delay'])
      this.startSync(eof, req);
  }

  // ---------------------------------------------------------------------------
  // The stream

  /**
   * Writes stream bytes to every replica (Replication.flush): to the
   * socket of a streaming one, held for one still syncing. A replica past
   * client-output-buffer-limit replica is closed, as Redis does.
   */
  send(data: string): void {
    const limits = this.server.outputLimits;
    const stats = this.server.stats;
    let over: ReplicaLink[] | null = null;
    for (const l of this.replicas) {
      // (rdb-only replicas and those waiting for a snapshot to start get no stream: theirs begins at setupFullResync)
      if (l.state === 'wait_bgsave_start' || l.rdbOnly) continue;
      const c = l.client;
      if (l.held !== null) {
        l.held.push(data);
        l.heldBytes += data.length;
      } else if (c.socket !== null) {
        c.socket.write(data, 'latin1');
        stats.netReplOutputBytes += data.length;
      }
      if (limits.reached(c, replicaOutputBytes(l))) (over ??= []).push(l);
    }
    if (over !== null) for (const l of over) limits.closeClient(l.client);
  }

  // ---------------------------------------------------------------------------
  // WAIT

  /**
   * WAIT numreplicas: blocks `c` until `numreplicas` replicas acknowledged
   * its last write (`offset`) or the deadline; GETACK goes to the replicas
   * before this turn sleeps. The caller checked it cannot reply at once.
   */
  blockWait(c: Client, offset: number, numreplicas: number, deadline: number): void {
    const entry: WaitEntry = { client: c, offset, numreplicas };
    this.waits.push(entry);
    this.server.blocking.block(
      c,
      c.db,
      [],
      deadline,
      () => false,
      (r) => {
        this.dropWait(entry);
        r.int(this.countAcks(offset));
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

  /** Unblocks the WAITs enough replicas acknowledged (processClientsWaitingReplicas). */
  private serveWaits(): void {
    for (const e of [...this.waits]) {
      if (!this.server.blocking.holds(e.client, e)) {
        this.dropWait(e);
        continue;
      }
      const n = this.countAcks(e.offset);
      if (n < e.numreplicas) continue;
      this.dropWait(e);
      this.server.blocking.unblockWith(e.client, e, (r) => r.int(n));
    }
  }

  // ---------------------------------------------------------------------------
  // Hooks (called by Replication)

  /** beforeSleep: GETACK to the replicas when a WAIT blocked, then the WAITs now satisfied. */
  beforeSleep(): void {
    if (this.getAck) {
      this.getAck = false;
      if (this.replicas.length !== 0 && this.server.pause.mode === 0) {
        this.repl.feed(-1, GETACK);
      }
    }
    if (this.waits.length !== 0) this.serveWaits();
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
    if (this.replicas.length !== 0) this.startPending();
    if (!second) return;
    const server = this.server;
    const v = server.config.v;
    const repl = this.repl;
    if (this.cronLoops++ % v['repl-ping-replica-period'] === 0 && this.replicas.length !== 0 && !repl.following) {
      repl.feed(-1, PING);
      repl.flush();
    }
    for (const l of this.replicas) {
      const presync =
        l.state === 'wait_bgsave_start' ||
        (l.state === 'wait_bgsave_end' && this.socketSync?.links.includes(l) !== true);
      if (presync) l.client.socket?.write('\n', 'latin1');
    }
    const now = unixtime(server);
    for (const l of [...this.replicas]) {
      if (l.state === 'online' && !l.prePsync && now - Math.floor(l.ackTime / 1000) > v['repl-timeout']) {
        server.log.warning(`Disconnecting timedout replica (streaming sync): ${this.name(l)}`);
        server.killClient(l.client);
        continue;
      }
      // a diskless sync waits for its slowest replica: one that stopped taking the image goes
      if (
        l.state === 'wait_bgsave_end' &&
        l.lastPartialWrite !== 0 &&
        this.socketSync?.links.includes(l) === true &&
        now - Math.floor(l.lastPartialWrite / 1000) > v['repl-timeout']
      ) {
        server.log.warning(`Disconnecting timedout replica (full sync): ${this.name(l)}`);
        server.killClient(l.client);
      }
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

  /** Takes a replica off the list; a diskless sync left without replicas stops. */
  private detach(l: ReplicaLink): void {
    const i = this.replicas.indexOf(l);
    if (i >= 0) this.replicas.splice(i, 1);
    l.client.replica = null;
    l.client.slave = l.client.monitor;
    l.bulk?.destroy();
    l.bulk = null;
    l.held = null;
    l.heldBytes = 0;
    if (this.replicas.length === 0) this.noReplicasSince = this.server.clock();
    const sync = this.socketSync;
    if (sync !== null && sync.links.includes(l) && sync.links.every((x) => x === l || x.client.closed)) {
      this.server.log.warning('Diskless rdb transfer, last replica dropped, killing fork child.');
      this.socketSync = null;
      persist(this.server).bgsave?.abort();
    }
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
      if (l.held !== null || sock === null) continue;
      this.server.conns.freeClient(l.client);
      sock.destroySoon();
    }
  }
}

const PING: readonly string[] = ['PING'];
const GETACK: readonly string[] = ['REPLCONF', 'GETACK', '*'];

/** Output a replica's limit counts: the held stream plus what its socket holds (while streaming). */
export function replicaOutputBytes(l: ReplicaLink): number {
  // (during the image's transfer the socket holds image bytes: Redis does not count those)
  const sock = l.held === null ? (l.client.socket?.writableLength ?? 0) : 0;
  return l.heldBytes + sock + l.client.reply.out.length;
}

/** Whether `l` has every capability `peer` has (a replica sharing another's snapshot). */
function capaCovers(l: ReplicaLink, peer: ReplicaLink): boolean {
  return (l.capaEof || !peer.capaEof) && (l.capaPsync2 || !peer.capaPsync2);
}

/** INFO's state names (replstateToString). */
function stateName(s: ReplState): string {
  return s === 'wait_bgsave_start' || s === 'wait_bgsave_end' ? 'wait_bgsave' : s;
}

/** The peer's IP as Redis prints it ('' when unknown). */
function peerIp(c: Client): string {
  let h = c.socket?.remoteAddress ?? '';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return h;
}

/** Seconds of the server clock (Redis's server.unixtime). */
function unixtime(server: Server): number {
  return Math.floor(server.clock() / 1000);
}

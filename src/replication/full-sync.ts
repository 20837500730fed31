/**
 * A replica's full sync (Redis's startBgsaveForReplication and what follows
 * it), without fork: the image is persistence/bgsave.ts's sliced
 * copy-on-write walk, started synchronously at the moment +FULLRESYNC names
 * (its offset is master_repl_offset then, so the image holds every effect
 * up to it and none after). Disk-based (repl-diskless-sync no, or a replica
 * without capa eof): the walk writes dbfilename as a BGSAVE, then
 * `$<len>\r\n` and the file go to each replica that waited for it, and
 * replicas arriving meanwhile share it. Diskless: the walk's chunks go
 * straight to the replicas' sockets between `$EOF:<mark>\r\n` and the
 * 40-byte mark, after repl-diskless-sync-delay seconds unless
 * repl-diskless-sync-max-replicas wait. The stream a syncing replica must
 * get after the image waits for it in the shared buffer (its reference,
 * taken at the image's offset: backlog.ts) and goes out once the image is
 * sent (disk) or at its first ACK (diskless, as Redis: nothing follows the
 * EOF mark at once). Used by primary.ts only.
 */
import process from 'node:process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server } from '../server/server.js';
import type { Replication } from './replication.js';
import type { Primary } from './primary.js';
import { Err } from '../protocol/errors.js';
import { persist, rdbPath, savePoints } from '../persistence/snapshot.js';
import { Bgsave, startBgsave, type SnapshotTarget } from '../persistence/bgsave.js';
import { REQ_EXCLUDE_DATA, REQ_EXCLUDE_FUNCTIONS, SOCKET_HIGH_WATER, unixtime, type ReplicaLink } from './link.js';

export class FullSync {
  /** The diskless sync running: its replicas and its EOF mark. */
  socket: { links: ReplicaLink[]; mark: string } | null = null;
  /** A BGSAVE to disk for replicas runs (they wait for its end; others arriving may share it). */
  diskSync = false;

  constructor(
    private readonly server: Server,
    private readonly repl: Replication,
    private readonly primary: Primary,
  ) {}

  /**
   * A replica's full sync starts at `offset` (replicationSetupSlaveForFullResync):
   * it waits for the image's end, the next effect says its database, and
   * (PSYNC) it is told +FULLRESYNC replid offset.
   */
  setupFullResync(l: ReplicaLink, offset: number): void {
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
  start(eof: boolean, req: number): void {
    const server = this.server;
    const socket =
      (server.config.v['repl-diskless-sync'] || (req & (REQ_EXCLUDE_DATA | REQ_EXCLUDE_FUNCTIONS)) !== 0) && eof;
    server.log.notice(`Starting BGSAVE for SYNC with target: ${socket ? 'replicas sockets' : 'disk'}`);
    // stream bytes of this turn precede the image's offset
    this.repl.flush();
    const ok = socket ? this.startSocketSync(req) : this.startDiskSync(req);
    if (ok) return;
    server.log.warning('BGSAVE for replication failed');
    for (const l of [...this.primary.replicas]) {
      if (l.state !== 'wait_bgsave_start') continue;
      this.primary.detach(l);
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
    for (const l of this.primary.replicas) {
      if (l.state === 'wait_bgsave_start' && l.req === req) this.setupFullResync(l, this.repl.offset);
    }
    persist(server).waiters.push((ok) => this.diskDone(ok));
    return true;
  }

  /** Diskless: the snapshot's chunks go to the waiting replicas' sockets between `$EOF:<mark>` and the mark. */
  private startSocketSync(req: number): boolean {
    const server = this.server;
    const links = this.primary.replicas.filter((l) => l.state === 'wait_bgsave_start' && l.req === req && l.capaEof);
    const mark = crypto.randomBytes(20).toString('hex');
    const sync = { links, mark };
    const live = () => sync.links.filter((l) => !l.client.closed && l.client.socket !== null);
    const target: SnapshotTarget = {
      write: (chunk, done) => {
        const s = chunk.toString('latin1');
        for (const l of live()) l.client.socket!.write(s, 'latin1');
        server.stats.netReplOutputBytes += chunk.length * live().length;
        const waitDrain = (): void => {
          if (sync !== this.socket) return;
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
        const up = live();
        for (const l of up) l.client.socket!.write(mark, 'latin1');
        // (Redis's words for the end of the image its fork child wrote to the pipe)
        server.log.notice(`Diskless rdb transfer, done reading from pipe, ${up.length} replicas still up.`);
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
        onDone: (end) => this.socketDone(sync, end),
      });
    } catch (e) {
      server.log.warning(`Can't save in background: ${(e as Error).message}`);
      return false;
    }
    const st = persist(server);
    st.bgsave = snap;
    st.forks++;
    server.log.notice(`Background RDB transfer started by pid ${process.pid}`);
    this.socket = sync;
    for (const l of links) {
      l.lastPartialWrite = server.clock();
      this.setupFullResync(l, offset);
      l.client.socket?.write(`$EOF:${mark}\r\n`, 'latin1');
    }
    return true;
  }

  /**
   * The diskless snapshot ended: its replicas are online, streaming from
   * their first ACK; or it failed, or was stopped (FLUSHALL: Redis's killed
   * child, "terminated by signal"), and they are dropped.
   */
  private socketDone(sync: { links: ReplicaLink[] }, end: 'ok' | 'error' | 'aborted'): void {
    if (this.socket === sync) this.socket = null;
    const log = this.server.log;
    const ok = end === 'ok';
    if (ok) log.notice('Background RDB transfer terminated with success');
    else if (end === 'error') log.warning('Background transfer error');
    else log.warning('Background transfer terminated by signal 10');
    for (const l of sync.links) {
      if (l.client.closed || l.state !== 'wait_bgsave_end') continue;
      if (!ok) {
        log.warning('SYNC failed. BGSAVE child returned an error');
        this.server.killClient(l.client);
        continue;
      }
      log.notice(
        `Streamed RDB transfer with replica ${this.primary.name(l)} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`,
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
    for (const l of [...this.primary.replicas]) {
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
      log.notice(`RDB transfer completed, rdb only replica (${this.primary.name(l)}) should be disconnected asap`);
      l.client.closeAfterReply = true;
      this.server.beforeSleep.queue(l.client);
      return false;
    }
    l.state = 'online';
    l.ackTime = this.server.clock();
    this.primary.refreshGood();
    log.notice(`Synchronization with replica ${this.primary.name(l)} succeeded`);
    return true;
  }

  /**
   * The replica streams from now on (replicaStartCommandStream): what the
   * shared buffer kept for it since its image's offset goes out first.
   */
  startStream(l: ReplicaLink): void {
    l.startOnAck = false;
    l.streaming = true;
    this.primary.pump(l);
  }

  /**
   * Replicas waiting for a snapshot get one when none runs
   * (replicationStartPendingFork): at once for disk-based syncs, after
   * repl-diskless-sync-delay seconds of the longest waiting (or when
   * repl-diskless-sync-max-replicas wait) for diskless ones.
   */
  startPending(): void {
    if (this.primary.replicas.length === 0 || persist(this.server).bgsave !== null) return;
    let req = -1;
    let eof = true;
    let waiting = 0;
    let maxIdle = 0;
    const now = unixtime(this.server);
    for (const l of this.primary.replicas) {
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
      this.start(eof, req);
  }

  /**
   * The cron's part (once a second): a replica that stopped taking a
   * diskless image for repl-timeout seconds is dropped (the walk waits for
   * its slowest replica). True when `l` was dropped.
   */
  timedOut(l: ReplicaLink, now: number, timeout: number): boolean {
    if (
      l.state !== 'wait_bgsave_end' ||
      l.lastPartialWrite === 0 ||
      this.socket?.links.includes(l) !== true ||
      now - Math.floor(l.lastPartialWrite / 1000) <= timeout
    )
      return false;
    this.server.log.warning(`Disconnecting timedout replica (full sync): ${this.primary.name(l)}`);
    this.server.killClient(l.client);
    return true;
  }

  /** Whether `l` waits for its image before any byte of it (a newline keeps its link alive meanwhile). */
  presync(l: ReplicaLink): boolean {
    return (
      l.state === 'wait_bgsave_start' || (l.state === 'wait_bgsave_end' && this.socket?.links.includes(l) !== true)
    );
  }

  /**
   * A replica left: a diskless sync left without replicas stops; so does a
   * BGSAVE to disk that no other replica waits for, when no save point
   * needs its file (Redis's freeClient: the RDB child is killed, a new one
   * can start at once for the next sync).
   */
  left(l: ReplicaLink): void {
    const bg = persist(this.server).bgsave;
    if (
      l.state === 'wait_bgsave_end' &&
      bg !== null &&
      bg.opts.onDone === undefined &&
      savePoints(this.server).length === 0 &&
      !this.primary.replicas.some((x) => x.state === 'wait_bgsave_end')
    )
      bg.abort();
    const sync = this.socket;
    if (sync !== null && sync.links.includes(l) && sync.links.every((x) => x === l || x.client.closed)) {
      this.server.log.warning('Diskless rdb transfer, last replica dropped, killing fork child.');
      this.socket = null;
      persist(this.server).bgsave?.abort();
    }
  }
}

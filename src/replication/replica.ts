/**
 * The replica side of replication (Redis's replication.c from
 * replicationSetMaster to replicationCron): this server follows a primary
 * named by REPLICAOF host port (or `replicaof` in redis.conf).
 *
 * The link, as Redis 7.2 runs it, one state at a time:
 *
 *   connect ─► connecting (TCP) ─► handshake: PING, [AUTH], REPLCONF
 *   listening-port [ip-address], REPLCONF capa eof capa psync2, PSYNC
 *   ─► +CONTINUE: connected at once (the cached primary resumes)
 *   ─► +FULLRESYNC replid offset: transfer (`$len` or `$EOF:<mark>` RDB:
 *      to a temp file then dump.rdb, or kept in memory with
 *      repl-diskless-load on-empty-db/swapdb), load (-LOADING meanwhile),
 *      then connected
 *
 * The handshake's replies are read by replica-handshake.ts, the payload and
 * its load by replica-payload.ts. Connected, the primary's bytes are
 * commands run as Redis's master client (replica-stream.ts): no replies
 * but REPLCONF ACK to GETACK, keys never expired under it, its effects
 * written to this server's AOF but not fed to the replication stream: the
 * processed bytes themselves are proxied with Replication.feedStream, so
 * sub-replicas and this server's offset follow the primary's byte for
 * byte. REPLCONF ACK <offset> goes out every second.
 *
 * A dropped link keeps the primary's id and processed offset (Redis's
 * cached master) for `PSYNC replid offset+1`; the link is retried at once,
 * then every second (the cron, Redis's replicationCron), and a primary
 * silent for repl-timeout seconds is dropped. REPLICAOF NO ONE promotes:
 * a new replid, the old one kept as replid2 with the backlog, so siblings
 * can continue from this server.
 */
import { Buffer } from 'node:buffer';
import net from 'node:net';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { CronTick, InfoFields, Subsystem } from '../server/subsystem.js';
import type { ParamName } from '../config/params.js';
import { encodeCommand } from '../persistence/aof-format.js';
import { MasterStream } from './replica-stream.js';
import { Payload } from './replica-payload.js';
import { Handshake } from './replica-handshake.js';
import { unixtime } from './link.js';
import { connectOut } from '../server/tls.js';

/** Redis's repl_state as ROLE names it ('handshake' covers the PING..PSYNC replies). */
export type LinkState = 'none' | 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** Where a link attempt is: in the handshake, awaiting the payload's header or bytes, loading it. */
type Phase = 'handshake' | 'bulk-header' | 'bulk' | 'loading';

/** The primary's history and how far this server got in it (Redis's master->replid/reploff/read_reploff). */
export interface MasterState {
  replid: string;
  /** Offset of the last byte of the last command fully processed (slave_repl_offset). */
  reploff: number;
  /** Offset of the last byte read (slave_read_repl_offset). */
  readReploff: number;
  /** The database the primary's stream last selected. */
  db: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

export class Replica implements Subsystem {
  /** The primary followed (Redis's masterhost/masterport); null: this server is a primary. */
  host: string | null = null;
  port = 0;
  state: LinkState = 'none';
  private phase: Phase = 'handshake';

  /**
   * A replica whose link is down and that must not serve its stale data
   * (replica-serve-stale-data no): only `stale` commands run (the
   * dispatcher's gate; scripts check it too: scripting/scripts.ts).
   */
  get servingStale(): boolean {
    return (
      this.server.repl.following && this.state !== 'connected' && !this.server.config.v['replica-serve-stale-data']
    );
  }
  /** The handshake in progress (replica-handshake.ts). */
  private hs: Handshake | null = null;
  /** The socket of the current link attempt (handshake, transfer, then the master client's). */
  private sock: net.Socket | null = null;
  /** Handshake and payload bytes not consumed yet. */
  private inbuf: Buffer = EMPTY;
  /** Stream bytes that came after the payload while the RDB loads. */
  private early: Buffer[] = [];
  /** The link dropped while the RDB loaded. */
  private lostWhileLoading = false;
  /** The full sync's payload being received or loaded (Redis's repl_transfer_*). */
  private xfer: Payload | null = null;
  /** Unix seconds of the last byte of a handshake or transfer (Redis's repl_transfer_lastio). */
  private transferLastIo = 0;
  /** Unix seconds the link went down (0: up, or never connected since REPLICAOF). */
  private downSince = 0;
  /** The id +FULLRESYNC named, and its offset (-1: an old primary that only knows SYNC). */
  private masterReplid = '';
  private initialOffset = -1;
  /** The connected primary's client and stream (Redis's server.master). */
  link: MasterStream | null = null;
  /** The primary's state kept across a dropped link (Redis's server.cached_master). */
  cached: MasterState | null = null;
  /** A newline to the primary was sent this second (loading keepalive). */
  private newlineSentAt = 0;

  constructor(private readonly server: Server) {}

  /** The master state INFO and ROLE read: the live link's, else the cached one. */
  private get ms(): MasterState | null {
    return this.link?.ms ?? this.cached;
  }

  // ---------------------------------------------------------------------------
  // REPLICAOF

  /**
   * Follows host:port (Redis's replicationSetMaster): drops the current
   * link (a connected primary's state is cached, so a sibling promoted in
   * its place can continue it), and when this server was a primary,
   * synthesizes a cached primary from its own id and offset; then connects.
   * Callers: REPLICAOF, and `replicaof` at start (connect: false, the cron connects).
   */
  setMaster(host: string, port: number, connect = true): void {
    const server = this.server;
    const wasMaster = this.host === null;
    this.host = null;
    this.dropMasterClient();
    this.host = host;
    this.port = port;
    this.follow(true);
    this.cancelHandshake(false);
    if (wasMaster) {
      this.discardCached();
      server.log.notice(
        'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.',
      );
      this.cached = { replid: server.repl.replid, reploff: server.repl.offset, readReploff: server.repl.offset, db: 0 };
    }
    this.state = 'connect';
    server.config.adjust('replicaof', `${host} ${port}`);
    if (!connect) return;
    server.log.notice(`Connecting to MASTER ${host}:${port}`);
    this.connect();
  }

  /** The database the primary's stream is in: its link's, else the cached primary's; null with neither. */
  streamDb(): number | null {
    if (this.link !== null) return this.link.client.db.id;
    return this.cached?.db ?? null;
  }

  /**
   * The cached primary made from this server's own id and offset (read
   * from its RDB at start: Replication.restoreFromRdb), stream database
   * `db`: the first PSYNC asks to continue from there.
   */
  cacheFromSelf(db: number): void {
    const repl = this.server.repl;
    this.cached = { replid: repl.replid, reploff: repl.offset, readReploff: repl.offset, db };
  }

  /**
   * REPLICAOF NO ONE (Redis's replicationUnsetMaster): the link and the
   * cached primary are dropped, the replication id shifted (the old one
   * stays valid as replid2 up to this offset, with the backlog), and the
   * AOF restarted if a sync had stopped it. Nothing when already a primary.
   */
  unsetMaster(): boolean {
    if (this.host === null) return false;
    const server = this.server;
    this.host = null;
    this.dropMasterClient();
    this.discardCached();
    this.cancelHandshake(false);
    server.repl.shiftReplId();
    // sub-replicas learn the new id by asking again (they continue partially)
    server.repl.primary.disconnectAll();
    server.log.notice(
      `Setting secondary replication ID to ${server.repl.replid2}, valid up to offset: ${server.repl.secondReplOffset}. New replication ID is ${server.repl.replid}`,
    );
    this.state = 'none';
    this.downSince = 0;
    // the next effect this server streams says its database
    server.repl.selectedDb = -1;
    this.follow(false);
    server.config.adjust('replicaof', '');
    if (server.config.v['appendonly'] && server.aof.state === 'off') server.aof.start(false);
    return true;
  }

  /**
   * Sets Replication.following (own effects fed or not), re-reads the
   * propagator's sinks and the oom_score_adj of the role (Redis's
   * setOOMScoreAdj(-1) in replicationSetMaster / replicationUnsetMaster).
   */
  private follow(on: boolean): void {
    const server = this.server;
    const was = server.repl.following;
    server.repl.following = on;
    server.log.role = on ? 'S' : 'M';
    server.propagator.refresh();
    if (was !== on) server.listener.applyOomScoreAdj();
  }

  /** Frees the connected primary's client (its state is cached: clientFreed). */
  private dropMasterClient(): void {
    const l = this.link;
    if (l !== null) this.server.killClient(l.client);
  }

  /** Forgets the cached primary (no partial resync possible any more). */
  private discardCached(): void {
    if (this.cached === null) return;
    this.server.log.notice('Discarding previously cached master state.');
    this.cached = null;
  }

  // ---------------------------------------------------------------------------
  // Connecting and the handshake

  /**
   * Opens the link (Redis's connectWithMaster), over TLS with tls-replication:
   * state connecting until it connects (and its TLS handshake is done).
   */
  private connect(): void {
    if (this.host === null) return;
    const server = this.server;
    const tlsOpts = server.config.v['tls-replication'] === true ? (server.listener.tls?.client ?? null) : null;
    const sock = connectOut(this.host, this.port, tlsOpts, server.config.v['bind-source-addr'], () => {
      if (this.sock !== sock) return;
      this.state = 'handshake';
      this.phase = 'handshake';
      this.hs = new Handshake(server, (a) => this.send(a), this.cached);
      this.hs.start();
    });
    this.sock = sock;
    this.inbuf = EMPTY;
    this.transferLastIo = unixtime(this.server);
    this.state = 'connecting';
    server.log.notice('MASTER <-> REPLICA sync started');
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      if (this.sock === sock) this.onData(chunk);
    });
    sock.on('error', (e: Error) => {
      if (this.sock === sock) this.socketGone(e.message);
    });
    sock.on('close', () => {
      if (this.sock === sock) this.socketGone('connection lost');
    });
  }

  /** Writes a command (or inline bytes) to the primary. */
  private send(argv: readonly string[] | string): void {
    this.sock?.write(typeof argv === 'string' ? argv : encodeCommand(argv), 'latin1');
  }

  /** The link's socket failed or closed (connected: its client is freed, see clientFreed). */
  private socketGone(why: string): void {
    const log = this.server.log;
    if (this.state === 'connected') {
      const l = this.link;
      if (l !== null) this.server.killClient(l.client);
      return;
    }
    if (this.state === 'transfer' && this.phase === 'loading') {
      // the load finishes first; the link is then dropped (and its state cached)
      this.lostWhileLoading = true;
      return;
    }
    if (this.state === 'transfer') {
      // (a diskless load parses the socket: what it reports is a short read)
      if (this.xfer !== null && this.xfer.diskless && this.phase === 'bulk') this.xfer.connectionLost();
      else log.warning(`I/O error trying to sync with MASTER: ${why}`);
      this.cancelHandshake(true);
    } else if (this.state === 'connecting' || this.state === 'handshake') {
      log.warning(`Error condition on socket for SYNC: ${why}`);
      this.closeAttempt();
    }
  }

  /** Closes the link attempt; the cron connects again within a second (Redis's error path in syncWithMaster). */
  private closeAttempt(): void {
    this.abortTransfer();
    const s = this.sock;
    this.sock = null;
    s?.destroy();
    this.inbuf = EMPTY;
    this.hs = null;
    this.phase = 'handshake';
    this.state = this.host === null ? 'none' : 'connect';
  }

  /**
   * Aborts a handshake or transfer in progress (Redis's
   * cancelReplicationHandshake); with `reconnect`, connects again at once.
   */
  private cancelHandshake(reconnect: boolean): void {
    if (this.state !== 'connecting' && this.state !== 'handshake' && this.state !== 'transfer') return;
    this.closeAttempt();
    if (!reconnect || this.host === null) return;
    this.server.log.notice(`Reconnecting to MASTER ${this.host}:${this.port} after failure`);
    this.connect();
  }

  /** Drops a transfer's temp file. */
  private abortTransfer(): void {
    this.xfer?.abort();
    this.xfer = null;
  }

  /** Bytes from the primary: the handshake's replies, the payload, or (connected) the stream. */
  private onData(chunk: Buffer): void {
    this.server.stats.netReplInputBytes += chunk.length;
    if (this.state === 'connected') {
      this.link?.input(chunk);
      return;
    }
    this.transferLastIo = unixtime(this.server);
    if (this.phase === 'loading') {
      this.early.push(chunk);
      return;
    }
    this.inbuf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    this.pump();
  }

  /** A line of the handshake (without its CR LF; '' for a bare newline), or null until one is complete. */
  private takeLine(): string | null {
    const nl = this.inbuf.indexOf(10);
    if (nl < 0) return null;
    let end = nl;
    if (end > 0 && this.inbuf[end - 1] === 13) end--;
    const line = this.inbuf.latin1Slice(0, end);
    this.inbuf = this.inbuf.subarray(nl + 1);
    return line;
  }

  /** Runs the handshake over what was read (replica-handshake.ts), then what follows its end. */
  private pump(): void {
    const sock = this.sock;
    while (this.sock === sock && this.state === 'handshake' && this.hs !== null) {
      const line = this.takeLine();
      if (line === null) return;
      const step = this.hs.line(line);
      switch (step.kind) {
        case 'wait':
          break;
        case 'fail':
          // (a failover's target refused: back to primary)
          if (this.server.repl.failover.state === 'failover-in-progress')
            return this.server.repl.failover.psyncDone(false);
          return this.closeAttempt();
        case 'fullresync':
        case 'sync':
          // The cached primary stays until a payload replaces the data (startTransfer's attach,
          // Redis 7.2's replicationAttachToNewMaster; 7.0 discarded it at +FULLRESYNC): a transfer
          // that fails leaves the offset it holds announced (a cluster replica stays in CLUSTER
          // SLOTS), and the next PSYNC, to the old primary too, can continue from it.
          this.server.repl.failover.psyncDone(true);
          this.masterReplid = step.kind === 'sync' ? '' : step.replid;
          this.initialOffset = step.kind === 'sync' ? -1 : step.offset;
          this.hs = null;
          this.startTransfer();
          break;
        case 'continue':
          this.hs = null;
          this.server.repl.failover.psyncDone(true);
          return this.continued(step.replid);
      }
    }
    if (this.sock === sock && this.state === 'transfer') this.receivePayload();
  }

  /**
   * +CONTINUE: the cached primary resumes on this link. A new id from the
   * primary becomes this server's, the old one its replid2 up to this offset.
   */
  private continued(newId: string): void {
    const server = this.server;
    const c = this.cached;
    if (c === null) return this.closeAttempt(); // (never asked for: PSYNC ? -1)
    if (newId !== '' && newId !== c.replid) {
      server.log.notice(`Master replication ID changed to ${newId}`);
      const repl = server.repl;
      repl.replid2 = c.replid;
      repl.secondReplOffset = repl.offset + 1;
      repl.replid = newId;
      c.replid = newId;
      server.repl.primary.disconnectAll();
    }
    this.cached = null;
    const rest = this.inbuf;
    this.inbuf = EMPTY;
    this.attach(c);
    server.repl.ensureBacklog();
    server.log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
    if (rest.length !== 0) this.link?.input(rest);
  }

  /** Waits for the RDB payload: to a temp file, or in memory for a diskless load (replica-payload.ts). */
  private startTransfer(): void {
    // (Redis's replicationAttachToNewMaster: a new history, so no partial resync with the old
    // state, nor for sub-replicas from the old backlog; called when the old data goes, or, with
    // swapdb, once the new data is in)
    const x = Payload.open(this.server, this.masterReplid, () => {
      this.discardCached();
      this.server.repl.freeBacklog();
      this.server.repl.primary.disconnectAll();
    });
    if (x === null) return this.closeAttempt();
    this.xfer = x;
    this.state = 'transfer';
    this.phase = 'bulk-header';
    this.transferLastIo = unixtime(this.server);
  }

  /** Reads the payload's `$` line, then its bytes (Redis's readSyncBulkPayload). */
  private receivePayload(): void {
    const x = this.xfer!;
    while (this.phase === 'bulk-header') {
      const line = this.takeLine();
      if (line === null) return;
      const h = x.header(line);
      if (h === 'error') return this.cancelHandshake(true);
      if (h === 'body') this.phase = 'bulk';
    }
    if (this.inbuf.length === 0) return;
    const data = this.inbuf;
    this.inbuf = EMPTY;
    const rest = x.take(data);
    if (rest === null) return;
    this.phase = 'loading';
    this.early = rest.length !== 0 ? [rest] : [];
    void this.loadPayload(x);
  }

  /**
   * The payload is in: the dataset is replaced by it (Redis's end of
   * readSyncBulkPayload). The AOF stops during the load and restarts (with
   * a rewrite) after it; keys are loaded with their TTLs even when passed
   * (the primary deletes them); then the primary's client is made, this
   * server takes the primary's id and offset, and the stream that came
   * meanwhile runs.
   */
  private async loadPayload(x: Payload): Promise<void> {
    const server = this.server;
    const log = server.log;
    const sock = this.sock;
    if (server.aof.state !== 'off') server.aof.stop();
    const ok = await x.load();
    if (this.xfer === x) this.xfer = null;
    if (this.sock !== sock || this.host === null) return; // REPLICAOF changed meanwhile
    this.phase = 'handshake';
    if (!ok) {
      this.early = [];
      this.lostWhileLoading = false;
      this.state = 'transfer';
      return this.cancelHandshake(true);
    }
    const ms: MasterState = {
      replid: this.masterReplid,
      reploff: this.initialOffset,
      readReploff: this.initialOffset,
      db: 0,
    };
    this.attach(ms);
    const repl = server.repl;
    repl.replid = this.masterReplid || repl.replid;
    repl.offset = this.initialOffset < 0 ? 0 : this.initialOffset;
    repl.clearReplId2();
    repl.ensureBacklog();
    log.notice('MASTER <-> REPLICA sync: Finished with success');
    // the first ACK puts this replica online at once after a diskless transfer
    if (x.mark !== null) this.link?.sendAck();
    if (server.config.v['appendonly'] && server.aof.state === 'off') server.aof.start(false);
    const early = this.early;
    this.early = [];
    for (const b of early) this.link?.input(b);
    if (this.lostWhileLoading) {
      this.lostWhileLoading = false;
      this.dropMasterClient();
    }
  }

  /** The link is up with the primary's state `ms`: its client is made on the link's socket (Redis's replicationCreateMasterClient). */
  private attach(ms: MasterState): void {
    const server = this.server;
    const sock = this.sock!;
    const client = server.newClient(sock, 'tcp');
    client.mustObey = true;
    client.authenticated = true;
    client.db = server.dbs[ms.db] ?? server.dbs[0]!;
    this.link = new MasterStream(server, client, ms);
    this.state = 'connected';
    this.downSince = 0;
  }

  // ---------------------------------------------------------------------------
  // The connected primary

  /**
   * Subsystem: a client is gone. The connected primary's client (closed by
   * its socket, CLIENT KILL, a timeout or REPLICAOF) leaves its state cached
   * for a partial resync, unless it sent bad protocol (Redis's freeClient
   * and replicationCacheMaster); the link is retried at once.
   */
  clientFreed(c: Client): void {
    const l = this.link;
    if (l === null || l.client !== c) return;
    const server = this.server;
    const log = server.log;
    this.link = null;
    const sock = this.sock;
    this.sock = null;
    sock?.destroy();
    log.notice('Connection with master lost.');
    if (!l.protocolError) {
      log.notice('Caching the disconnected master state.');
      this.cached = l.cacheState();
    }
    this.state = 'connect';
    this.downSince = unixtime(this.server);
    if (this.host !== null) {
      log.notice(`Reconnecting to MASTER ${this.host}:${this.port}`);
      this.connect();
    } else this.state = 'none';
  }

  /**
   * Subsystem: once a second (Redis's replicationCron): timeouts of the
   * connect, handshake, transfer and of a silent primary; a reconnect when
   * the link is down; REPLCONF ACK to the connected primary; a newline to
   * the primary while a received RDB loads.
   */
  cron(tick: CronTick): void {
    if (this.host === null) return;
    this.link?.pauseEnded();
    const now = unixtime(this.server);
    if (this.phase === 'loading' && now !== this.newlineSentAt) {
      this.newlineSentAt = now;
      this.sock?.write('\n');
    }
    if (!tick.second) return;
    const server = this.server;
    const log = server.log;
    const timeout = server.config.v['repl-timeout'];
    if ((this.state === 'connecting' || this.state === 'handshake') && now - this.transferLastIo > timeout) {
      log.warning('Timeout connecting to the MASTER...');
      this.cancelHandshake(false);
    }
    if (this.state === 'transfer' && this.phase !== 'loading' && now - this.transferLastIo > timeout) {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.cancelHandshake(false);
    }
    const l = this.link;
    if (l !== null && now - Math.floor(l.client.lastInteraction / 1000) > timeout) {
      log.warning('MASTER timeout: no data nor PING received...');
      server.killClient(l.client);
    }
    if (this.state === 'connect') {
      log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
      this.connect();
    }
    const live = this.link;
    if (live !== null && !live.prePsync) live.sendAck();
  }

  /**
   * Subsystem: a command CLIENT PAUSE held runs once the pause is over;
   * stream bytes proxied this turn reach the sub-replicas even when no sink
   * takes effects.
   */
  beforeSleep(): void {
    this.link?.pauseEnded();
    const repl = this.server.repl;
    if (repl.pending && !this.server.propagator.active) repl.flush();
  }

  /**
   * Subsystem: `replicaof` from the start's configuration (redis.conf,
   * options): the link is set up and the cron connects (Redis's config
   * load sets REPL_STATE_CONNECT).
   */
  configChanged(name: ParamName | null): void {
    if (name !== null) return;
    const v = this.server.config.v['replicaof'];
    if (v === '' || this.host !== null) return;
    const sp = v.lastIndexOf(' ');
    this.host = v.slice(0, sp);
    this.port = Number(v.slice(sp + 1));
    this.state = 'connect';
    this.follow(true);
  }

  /** Subsystem: the server closes: the link and a transfer's temp file go. */
  close(): void {
    this.abortTransfer();
    const s = this.sock;
    this.sock = null;
    s?.destroy();
  }

  // ---------------------------------------------------------------------------
  // ROLE, INFO

  /** ROLE's state word (Redis's roleCommand). */
  get roleState(): string {
    return this.state;
  }

  /**
   * The processed offset of the primary followed, live or cached, 0 with
   * neither (Redis's replicationGetSlaveOffset): what a cluster replica
   * announces and compares in elections.
   */
  slaveOffset(): number {
    return this.ms?.reploff ?? 0;
  }

  /**
   * Milliseconds since the primary was last heard from (connected), or
   * since the link went down (Redis's data_age in clusterHandleSlaveFailover,
   * counted in whole seconds as Redis does).
   */
  lastIoAgeMs(): number {
    const now = unixtime(this.server);
    const l = this.link;
    if (l !== null && this.state === 'connected') return (now - Math.floor(l.client.lastInteraction / 1000)) * 1000;
    return (now - this.downSince) * 1000;
  }

  /** ROLE's offset: the connected primary's processed offset, else -1. */
  get roleOffset(): number {
    return this.link?.ms.reploff ?? -1;
  }

  /**
   * INFO replication's replica fields, between role and connected_slaves,
   * in Redis 7.2's order (genRedisInfoString).
   */
  infoFields(): InfoFields {
    const server = this.server;
    const now = unixtime(this.server);
    const ms = this.ms;
    const l = this.link;
    const f: InfoFields = [
      ['master_host', this.host ?? ''],
      ['master_port', this.port],
      ['master_link_status', this.state === 'connected' ? 'up' : 'down'],
      ['master_last_io_seconds_ago', l !== null ? now - Math.floor(l.client.lastInteraction / 1000) : -1],
      ['master_sync_in_progress', this.state === 'transfer' ? 1 : 0],
      ['slave_read_repl_offset', ms?.readReploff ?? 1],
      ['slave_repl_offset', ms?.reploff ?? 1],
    ];
    if (this.state === 'transfer') {
      const x = this.xfer;
      f.push(...(x !== null ? x.infoFields(now, this.transferLastIo) : []));
    }
    if (this.state !== 'connected')
      f.push(['master_link_down_since_seconds', this.downSince ? now - this.downSince : -1]);
    const v = server.config.v;
    f.push(
      ['slave_priority', v['replica-priority']],
      ['slave_read_only', v['replica-read-only'] ? 1 : 0],
      ['replica_announced', v['replica-announced'] ? 1 : 0],
    );
    return f;
  }
}

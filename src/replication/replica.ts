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
 * Connected, the primary's bytes are commands run as Redis's master client
 * (replica-stream.ts): no replies but REPLCONF ACK to GETACK, keys never
 * expired under it, its effects written to this server's AOF but not fed to
 * the replication stream: the processed bytes themselves are proxied with
 * Replication.feedStream, so sub-replicas and this server's offset follow
 * the primary's byte for byte. REPLCONF ACK <offset> goes out every second.
 *
 * A dropped link keeps the primary's id and processed offset (Redis's
 * cached master) for `PSYNC replid offset+1`; the link is retried at once,
 * then every second (the cron, Redis's replicationCron), and a primary
 * silent for repl-timeout seconds is dropped. REPLICAOF NO ONE promotes:
 * a new replid, the old one kept as replid2 with the backlog, so siblings
 * can continue from this server.
 */
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { CronTick, InfoFields, Subsystem } from '../server/subsystem.js';
import type { ParamName } from '../config/params.js';
import { encodeCommand } from '../persistence/aof-format.js';
import { emptyData, loadRdbBuffer, loadRdbFile } from '../persistence/snapshot-load.js';
import { rdbPath } from '../persistence/snapshot.js';
import { loadVm, vmLoaded } from '../scripting/lua.js';
import { rdbHasFunctions } from '../scripting/vm-gate.js';
import { MasterStream } from './replica-stream.js';
import { Err } from '../protocol/errors.js';

/** Redis's repl_state as ROLE names it ('handshake' covers the PING..PSYNC replies). */
export type LinkState = 'none' | 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** Where the handshake or transfer is: the reply or payload awaited. */
type Phase = 'ping' | 'auth' | 'port' | 'ip' | 'capa' | 'psync' | 'bulk-header' | 'bulk' | 'loading';

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

/** The RDB payload being received (Redis's repl_transfer_*). */
interface Transfer {
  /** Bytes announced by `$len` (0 with an EOF mark until the end). */
  size: number;
  read: number;
  /** The 40-byte end mark of a `$EOF:` transfer, else null. */
  mark: Buffer | null;
  /** The last 40 bytes received (to find the mark). */
  tail: Buffer;
  /** The temp file (disk load) and its descriptor, or the chunks kept in memory (diskless load). */
  file: string | null;
  fd: number;
  chunks: Buffer[];
  diskless: boolean;
}

const EMPTY: Buffer = Buffer.alloc(0);
const MARK_LEN = 40;

export class Replica implements Subsystem {
  /** The primary followed (Redis's masterhost/masterport); null: this server is a primary. */
  host: string | null = null;
  port = 0;
  state: LinkState = 'none';
  private phase: Phase = 'ping';
  /** The socket of the current link attempt (handshake, transfer, then the master client's). */
  private sock: net.Socket | null = null;
  /** Handshake and payload bytes not consumed yet. */
  private inbuf: Buffer = EMPTY;
  /** Stream bytes that came after the payload while the RDB loads. */
  private early: Buffer[] = [];
  /** The link dropped while the RDB loaded. */
  private lostWhileLoading = false;
  private xfer: Transfer | null = null;
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

  /** Whether `c` is the connected primary's client (CLIENT LIST flag M, type master). */
  isMaster(c: Client): boolean {
    return this.link !== null && this.link.client === c;
  }

  /** The master state INFO and ROLE read: the live link's, else the cached one. */
  private get ms(): MasterState | null {
    return this.link?.ms ?? this.cached;
  }

  private unixNow(): number {
    return Math.floor(this.server.clock() / 1000);
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

  /** Sets Replication.following (own effects fed or not) and re-reads the propagator's sinks. */
  private follow(on: boolean): void {
    this.server.repl.following = on;
    this.server.log.role = on ? 'S' : 'M';
    this.server.propagator.refresh();
  }

  /** Frees the connected primary's client (it is cached when the link was up, see linkLost). */
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

  /** Opens the link (Redis's connectWithMaster): state connecting until TCP connects. */
  private connect(): void {
    if (this.host === null) return;
    const server = this.server;
    const sock = net.connect({ host: this.host, port: this.port });
    this.sock = sock;
    this.inbuf = EMPTY;
    this.transferLastIo = this.unixNow();
    this.state = 'connecting';
    server.log.notice('MASTER <-> REPLICA sync started');
    sock.setNoDelay(true);
    sock.once('connect', () => {
      if (this.sock !== sock) return;
      server.log.notice('Non blocking connect for SYNC fired the event.');
      this.state = 'handshake';
      this.phase = 'ping';
      this.send(['PING']);
    });
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

  /** Writes a command to the primary. */
  private send(argv: readonly string[]): void {
    this.sock?.write(encodeCommand(argv), 'latin1');
  }

  /** The link's socket failed or closed before or during a sync (the connected link's end is linkLost). */
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
      log.warning(`I/O error trying to sync with MASTER: ${why}`);
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
    this.phase = 'ping';
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
    const x = this.xfer;
    if (x === null) return;
    this.xfer = null;
    if (x.fd >= 0) fs.closeSync(x.fd);
    if (x.file !== null) fs.rm(x.file, { force: true }, () => {});
  }

  /** Bytes from the primary: the handshake's replies, the payload, or (connected) the stream. */
  private onData(chunk: Buffer): void {
    this.server.stats.netReplInputBytes += chunk.length;
    if (this.state === 'connected') {
      this.link?.input(chunk);
      return;
    }
    this.transferLastIo = this.unixNow();
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

  /** Runs the handshake's state machine over what was read (Redis's syncWithMaster and readSyncBulkPayload). */
  private pump(): void {
    const log = this.server.log;
    const sock = this.sock;
    while (this.sock === sock && this.state === 'handshake') {
      const line = this.takeLine();
      if (line === null) return;
      switch (this.phase) {
        case 'ping':
          if (
            !line.startsWith('+') &&
            !line.startsWith('-NOAUTH') &&
            !line.startsWith('-NOPERM') &&
            !line.startsWith(`-${Err.operationNotPermitted}`)
          ) {
            log.warning(`Error reply to PING from master: '${line}'`);
            return this.closeAttempt();
          }
          log.notice('Master replied to PING, replication can continue...');
          this.sendHandshake();
          break;
        case 'auth':
          if (line.startsWith('-')) {
            log.warning(`Unable to AUTH to MASTER: ${line}`);
            return this.closeAttempt();
          }
          this.phase = 'port';
          break;
        case 'port':
          if (line.startsWith('-'))
            log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
          this.phase = this.server.config.v['replica-announce-ip'] !== '' ? 'ip' : 'capa';
          break;
        case 'ip':
          if (line.startsWith('-'))
            log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${line}`);
          this.phase = 'capa';
          break;
        case 'capa':
          if (line.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
          this.sendPsync();
          break;
        case 'psync':
          // (the primary may send newlines before its reply, to keep the link alive)
          if (line !== '') this.psyncReply(line);
          break;
        default:
          return;
      }
    }
    if (this.sock === sock && this.state === 'transfer') this.receivePayload();
  }

  /** After the PONG: AUTH, REPLCONF listening-port, [ip-address] and capa, pipelined as Redis sends them. */
  private sendHandshake(): void {
    const v = this.server.config.v;
    const auth = v['masterauth'];
    if (auth !== '') this.send(v['masteruser'] !== '' ? ['AUTH', v['masteruser'], auth] : ['AUTH', auth]);
    const port = v['replica-announce-port'] || v['port'];
    this.send(['REPLCONF', 'listening-port', String(port)]);
    if (v['replica-announce-ip'] !== '') this.send(['REPLCONF', 'ip-address', v['replica-announce-ip']]);
    this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    this.phase = auth !== '' ? 'auth' : 'port';
  }

  /** PSYNC with the cached primary's id and next offset, or `PSYNC ? -1` (Redis's slaveTryPartialResynchronization, writing half). */
  private sendPsync(): void {
    const log = this.server.log;
    this.initialOffset = -1;
    const c = this.cached;
    if (c !== null) {
      log.notice(`Trying a partial resynchronization (request ${c.replid}:${c.reploff + 1}).`);
      this.send(['PSYNC', c.replid, String(c.reploff + 1)]);
    } else {
      log.notice('Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1']);
    }
    this.phase = 'psync';
  }

  /** The reply to PSYNC (Redis's slaveTryPartialResynchronization, reading half, and what syncWithMaster does next). */
  private psyncReply(reply: string): void {
    const server = this.server;
    const log = server.log;
    if (reply.startsWith('+FULLRESYNC')) {
      const m = /^\+FULLRESYNC ([^ ]*) (.*)$/.exec(reply);
      if (m === null || m[1]!.length !== MARK_LEN) {
        log.warning('Master replied with wrong +FULLRESYNC syntax.');
        this.masterReplid = '';
      } else {
        this.masterReplid = m[1]!;
        this.initialOffset = Number.parseInt(m[2]!, 10) || 0;
        log.notice(`Full resync from master: ${this.masterReplid}:${this.initialOffset}`);
      }
      return this.startTransfer();
    }
    if (reply.startsWith('+CONTINUE')) {
      log.notice('Successful partial resynchronization with master.');
      const c = this.cached!;
      const id = reply.slice(10).trim();
      if (id.length === MARK_LEN && id !== c.replid) {
        log.notice(`Master replication ID changed to ${id}`);
        const repl = server.repl;
        repl.replid2 = c.replid;
        repl.secondReplOffset = repl.offset + 1;
        repl.replid = id;
        c.replid = id;
      }
      this.cached = null;
      const rest = this.inbuf;
      this.inbuf = EMPTY;
      this.attach(c);
      server.repl.ensureBacklog();
      log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      if (rest.length !== 0) this.link?.input(rest);
      return;
    }
    if (reply.startsWith('-NOMASTERLINK') || reply.startsWith('-LOADING')) {
      log.notice(`Master is currently unable to PSYNC but should be in the future: ${reply}`);
      return this.closeAttempt();
    }
    if (!reply.startsWith('-ERR')) log.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    else log.notice(`Master does not support PSYNC or is in error state (reply: ${reply})`);
    log.notice('Retrying with SYNC...');
    this.sock?.write('SYNC\r\n');
    this.startTransfer();
  }

  /** Waits for the RDB payload: to a temp file, or in memory for a diskless load (Redis's useDisklessLoad). */
  private startTransfer(): void {
    const server = this.server;
    const v = server.config.v;
    const mode = v['repl-diskless-load'];
    const diskless = mode === 'swapdb' || (mode === 'on-empty-db' && server.dbs.every((d) => d.size === 0));
    let file: string | null = null;
    let fd = -1;
    if (!diskless) {
      for (let tries = 5; tries > 0 && fd < 0; tries--) {
        file = path.resolve(v['dir'], `temp-${this.unixNow()}.${process.pid}.rdb`);
        try {
          fd = fs.openSync(file, 'wx', 0o644);
        } catch (e) {
          if (tries === 1) {
            server.log.warning(
              `Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`,
            );
            return this.closeAttempt();
          }
        }
      }
    }
    this.xfer = { size: -1, read: 0, mark: null, tail: EMPTY, file, fd, chunks: [], diskless };
    this.state = 'transfer';
    this.phase = 'bulk-header';
    this.transferLastIo = this.unixNow();
  }

  /** Reads the payload's `$` line, then its bytes (Redis's readSyncBulkPayload). */
  private receivePayload(): void {
    const x = this.xfer!;
    const log = this.server.log;
    while (this.phase === 'bulk-header') {
      const line = this.takeLine();
      if (line === null) return;
      if (line === '') continue; // a newline: the primary is alive
      if (line.startsWith('-')) {
        log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        return this.cancelHandshake(true);
      }
      if (!line.startsWith('$')) {
        log.warning(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        return this.cancelHandshake(true);
      }
      const to = x.diskless ? 'to parser' : 'to disk';
      if (line.startsWith('$EOF:') && line.length >= 5 + MARK_LEN) {
        x.mark = Buffer.from(line.slice(5, 5 + MARK_LEN), 'latin1');
        x.size = 0;
        log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${to}`);
      } else {
        x.size = Number.parseInt(line.slice(1), 10) || 0;
        log.notice(`MASTER <-> REPLICA sync: receiving ${x.size} bytes from master ${to}`);
      }
      this.phase = 'bulk';
    }
    if (this.inbuf.length === 0) return;
    let data = this.inbuf;
    let rest = EMPTY;
    if (x.mark === null) {
      const want = x.size - x.read;
      if (data.length > want) {
        rest = data.subarray(want);
        data = data.subarray(0, want);
      }
    }
    this.inbuf = EMPTY;
    x.read += data.length;
    if (x.fd >= 0) fs.writeSync(x.fd, data);
    else x.chunks.push(data);
    let done = false;
    if (x.mark !== null) {
      x.tail = Buffer.concat([x.tail, data]).subarray(-MARK_LEN);
      done = x.tail.length === MARK_LEN && x.tail.equals(x.mark);
    } else done = x.read === x.size;
    if (!done) return;
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
  private async loadPayload(x: Transfer): Promise<void> {
    const server = this.server;
    const log = server.log;
    const sock = this.sock;
    const aofWasOn = server.aof.state !== 'off';
    if (aofWasOn) server.aof.stop();
    // a new history: no partial resync with the old state, nor for sub-replicas from the old backlog
    this.discardCached();
    server.repl.freeBacklog();
    log.notice('MASTER <-> REPLICA sync: Flushing old data');
    emptyData(server);
    log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    let ok = true;
    try {
      if (x.diskless) {
        let buf = x.chunks.length === 1 ? x.chunks[0]! : Buffer.concat(x.chunks);
        x.chunks = [];
        if (x.mark !== null) buf = buf.subarray(0, buf.length - MARK_LEN);
        if (!vmLoaded() && rdbHasFunctions(buf)) await loadVm();
        loadRdbBuffer(server, buf, 'socket', true);
      } else {
        if (x.mark !== null) fs.ftruncateSync(x.fd, x.read - MARK_LEN);
        fs.fsyncSync(x.fd);
        fs.closeSync(x.fd);
        x.fd = -1;
        const dest = rdbPath(server);
        fs.renameSync(x.file!, dest);
        x.file = null;
        await loadRdbFile(server, dest, true);
      }
    } catch (e) {
      ok = false;
      log.warning(`${(e as Error).message}`);
      log.warning(
        x.diskless
          ? 'Failed trying to load the MASTER synchronization DB from socket, check server logs.'
          : 'Failed trying to load the MASTER synchronization DB from disk, check server logs.',
      );
    }
    this.xfer = null;
    if (x.file !== null) fs.rm(x.file, { force: true }, () => {});
    if (this.sock !== sock || this.host === null) return; // REPLICAOF changed meanwhile
    this.phase = 'ping';
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
    this.downSince = this.unixNow();
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
    const now = this.unixNow();
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

  /** Subsystem: stream bytes proxied this turn reach the sub-replicas even when no sink takes effects. */
  beforeSleep(): void {
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
    const now = this.unixNow();
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
    const x = this.xfer;
    if (this.state === 'transfer') {
      const size = x === null ? -1 : x.size;
      const read = x === null ? 0 : x.read;
      const perc = size > 0 ? (read / size) * 100 : 0;
      f.push(
        ['master_sync_total_bytes', size],
        ['master_sync_read_bytes', read],
        ['master_sync_left_bytes', size - read],
        ['master_sync_perc', perc.toFixed(2)],
        ['master_sync_last_io_seconds_ago', now - this.transferLastIo],
      );
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

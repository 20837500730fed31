/** The primary's link: no query buffer or bulk length limit, and multibulk commands only. */
const MASTER_LIMITS = { maxBulkLen: Number.MAX_SAFE_INTEGER, queryBufferLimit: Infinity, refuseInline: true };

/**
 * The connected primary's stream on a replica (Redis's master client: the
 * CLIENT_MASTER parts of networking.c's processInputBuffer and
 * commandProcessed). Each command the primary sends runs through the
 * dispatcher as a client that must be obeyed (no gate refuses it), its
 * replies dropped; REPLCONF GETACK is answered with REPLCONF ACK.
 *
 * Offsets as Redis counts them: readReploff grows with every byte read,
 * reploff only when a command is fully processed (inside MULTI, at its
 * EXEC), so an ACK never counts half a transaction. The processed bytes,
 * exactly as received, are then proxied into this server's replication
 * stream (Replication.feedStream: its backlog, its offset, its
 * sub-replicas), so the whole chain shares the primary's offsets.
 *
 * A command that needs the Lua VM (FUNCTION LOAD) before it was first
 * loaded holds the stream until it is (the dispatcher's VM gate does not
 * apply to an obeyed client), and so does one CLIENT PAUSE covers until
 * the pause ends.
 */
import { Buffer } from 'node:buffer';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { MasterState } from './replica.js';
import { INLINE_REFUSED, ProtocolError, type RespParser } from '../protocol/parser.js';
import { Err } from '../protocol/errors.js';
import { dispatch } from '../server/dispatcher.js';
import { lookupSub } from '../commands/registry.js';
import { encodeCommand } from '../persistence/aof-format.js';
import { loadVm, vmLoaded } from '../scripting/lua.js';
import { clientInfoLine } from '../observability/clientlist.js';
import { lastCommandName, logErrorOnLink } from './replication.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

export class MasterStream {
  /** The primary sent bad protocol: its state is not cached (a full resync follows). */
  protocolError = false;
  /** Bytes read and not yet proxied, oldest first (rawAt: the first still held). */
  private raw: Buffer[] = [];
  /** Offset up to which the stream was proxied into this server's replication stream. */
  private proxied: number = DOUBLE_ZERO;
  /** The primary only knows SYNC (no offsets): no REPLCONF ACK is sent (Redis's CLIENT_PRE_PSYNC). */
  readonly prePsync: boolean;
  /** A command held, and what it waits for: the Lua VM's load or the end of a CLIENT PAUSE. */
  private held: string[] | null = null;
  private heldFor: 'vm' | 'pause' | null = null;

  constructor(
    private readonly server: Server,
    readonly client: Client,
    readonly ms: MasterState,
  ) {
    this.proxied = ms.reploff;
    this.prePsync = ms.reploff === -1;
    client.masterLink = true;
    // the primary's commands are not held to client-query-buffer-limit nor proto-max-bulk-len (Redis's CLIENT_MASTER)
    client.parser.limits = MASTER_LIMITS;
  }

  /** Bytes read from the primary: parsed, run, then what was processed is proxied. */
  input(chunk: Buffer): void {
    const c = this.client;
    if (c.closed) return;
    c.lastInteraction = this.server.clock();
    this.ms.readReploff += chunk.length;
    this.raw.push(chunk);
    const err = c.parser.feed(chunk);
    if (err !== null) return this.badProtocol(err);
    this.run();
  }

  /** Runs every complete command buffered (Redis's processInputBuffer for the master client). */
  private run(): void {
    if (this.held !== null) return;
    const c = this.client;
    const parser = c.parser;
    for (;;) {
      if (c.closed) return;
      const r = parser.next();
      if (r === null) break;
      if (r instanceof ProtocolError) return this.badProtocol(r);
      if (this.mustWait(r)) break;
      this.exec(r);
    }
    this.proxy();
  }

  /**
   * Whether the command must wait, held (the rest of the input after it):
   * for the Lua VM's first load, or while CLIENT PAUSE covers it (Redis
   * 7.2 postpones the master client's writes too: the read offset grows,
   * the processed one does not).
   */
  private mustWait(argv: string[]): boolean {
    const server = this.server;
    if (server.pause.mode === 0 && vmLoaded()) return false;
    let cmd = server.commands.lookup(argv[0]!);
    if (cmd === undefined) return false;
    if (!vmLoaded() && cmd.mayNeedVm === true) {
      this.held = argv;
      this.heldFor = 'vm';
      loadVm().then(
        () => this.resume(),
        (e: unknown) => {
          server.log.warning(`Lua VM failed to load for the replication stream: ${String(e)}`);
          this.heldFor = null;
          this.resume();
        },
      );
      return true;
    }
    if (server.pause.mode === 0) return false;
    if (cmd.subcommands && argv.length >= 2) cmd = lookupSub(cmd, argv[1]!) ?? cmd;
    if (!server.pause.covers(this.client, cmd, argv)) return false;
    this.held = argv;
    this.heldFor = 'pause';
    return true;
  }

  /** The held command runs once what it waited for is over, then the rest of the input. */
  private resume(): void {
    const argv = this.held;
    if (argv === null || this.client.closed) return;
    if (this.heldFor === 'pause' && this.server.pause.mode !== 0) return;
    this.held = null;
    this.heldFor = null;
    if (this.mustWait(argv)) return;
    this.exec(argv);
    this.run();
  }

  /** A CLIENT PAUSE may have ended (Replica's beforeSleep and cron): a command it held runs. */
  pauseEnded(): void {
    if (this.heldFor === 'pause' && this.server.pause.mode === 0) this.resume();
  }

  /** One command of the stream; reploff then covers it unless it is queued in MULTI (Redis's commandProcessed). */
  private exec(argv: string[]): void {
    const c = this.client;
    if (argv[0]!.toLowerCase() === 'replconf') {
      // the primary's REPLCONF GETACK *: the offset processed so far (this command not included)
      if (argv.length >= 2 && argv[1]!.toLowerCase() === 'getack') this.sendAck();
    } else {
      const errors = c.reply.errors;
      dispatch(this.server, c, argv);
      c.reply.out = '';
      if (c.reply.errors !== errors) this.errorToPrimary();
    }
    if (c.multiQueue === null) this.ms.reploff = this.ms.readReploff - c.parser.buffered;
  }

  /** Feeds the bytes processed since the last call into this server's replication stream, as received. */
  private proxy(): void {
    let n = this.ms.reploff - this.proxied;
    if (n <= 0) return;
    this.proxied = this.ms.reploff;
    const parts: Buffer[] = [];
    let i = 0;
    const raw = this.raw;
    while (n > 0 && i < raw.length) {
      const b = raw[i]!;
      if (b.length <= n) {
        parts.push(b);
        n -= b.length;
        i++;
      } else {
        parts.push(b.subarray(0, n));
        raw[i] = b.subarray(n);
        n = 0;
      }
    }
    this.raw = i === 0 ? raw : raw.slice(i);
    this.server.repl.feedStream(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    this.server.beforeSleep.queue(this.client);
  }

  /**
   * A command of the primary's replied an error here (Redis's
   * afterErrorReply for the master client): the datasets may have
   * diverged. Logged as Redis does; with propagation-error-behavior panic
   * or panic-on-replicas on a read-only replica the server stops.
   */
  private errorToPrimary(): void {
    const server = this.server;
    const c = this.client;
    logErrorOnLink(server, c, c.reply.lastError, 'replica');
    const v = server.config.v;
    if (v['replica-read-only'] && v['propagation-error-behavior'] !== 'ignore')
      server.fatal(
        `This replica panicked sending an error to its master after processing the command '${lastCommandName(c)}'`,
      );
  }

  /**
   * REPLCONF ACK <processed offset> to the primary, with FACK <offset on
   * disk> while this replica's AOF is on (Redis's replicationSendAck: the
   * primary's WAITAOF counts it).
   */
  sendAck(): void {
    const s = this.client.socket;
    if (s === null || this.client.closed) return;
    const argv = ['REPLCONF', 'ACK', String(this.ms.reploff)];
    const fsynced = this.server.aof.fsyncedReplOffset;
    if (fsynced !== -1) argv.push('FACK', String(fsynced));
    s.write(encodeCommand(argv), 'latin1');
  }

  /**
   * Bad protocol from the primary (Redis's protocol error paths for its
   * master client): the error it would reply is an error sent to the
   * primary (the CRITICAL line of errorToPrimary, the reply itself never
   * goes out); an inline command gets Redis's desync warning instead. Then
   * "Protocol error (<why>) from client: <info>. Query buffer during
   * protocol error: '<dump>'" and the link is dropped without caching its
   * state (the next PSYNC asks for a full sync).
   */
  private badProtocol(err: ProtocolError): void {
    const server = this.server;
    const c = this.client;
    if (err.reply) {
      c.reply.error(Err.withErrCode(err.message));
      c.reply.out = '';
      this.errorToPrimary();
    } else if (err === INLINE_REFUSED) {
      server.log.warning(
        'WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.',
      );
    }
    server.log.warning(
      `Protocol error (${err.why}) from client: ${clientInfoLine(server, c)}. Query buffer during protocol error: ${queryDump(c.parser)}`,
    );
    this.protocolError = true;
    server.killClient(c);
  }

  /**
   * The state kept when the link drops (Redis's replicationCacheMaster):
   * unprocessed input and a transaction in progress are discarded, so the
   * next PSYNC asks from the first byte not processed.
   */
  cacheState(): MasterState {
    const ms = this.ms;
    return { replid: ms.replid, reploff: ms.reploff, readReploff: ms.reploff, db: this.client.db.id };
  }
}

/** Bytes of the query buffer a protocol error's log line shows (Redis's PROTO_DUMP_LEN). */
const PROTO_DUMP_LEN = 128;

/**
 * The query buffer as Redis's setProtocolError quotes it, from the error
 * on: up to a NUL byte when it holds less than PROTO_DUMP_LEN bytes, else
 * its first and last 64 bytes around "(... more N bytes ...)"; every byte
 * that is not printable ASCII shown as '.'.
 */
function queryDump(parser: RespParser): string {
  const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '.');
  const n = parser.buffered;
  if (n < PROTO_DUMP_LEN) {
    const head = parser.head(n);
    const nul = head.indexOf('\0');
    return `'${printable(nul < 0 ? head : head.slice(0, nul))}'`;
  }
  const half = PROTO_DUMP_LEN / 2;
  return `'${printable(parser.head(half))}' (... more ${n - PROTO_DUMP_LEN} bytes ...) '${printable(parser.tail(half))}'`;
}

/**
 * Per-connection state. A Client without a socket is an in-process caller
 * (createServer().call()) or a script/AOF-loading pseudo client.
 */
import type { Socket } from 'node:net';
import { Reply } from '../protocol/writer.js';
import { RespParser } from '../protocol/parser.js';
import type { Db } from '../keyspace/db.js';
import type { CommandSpec } from '../commands/spec.js';

export class Client {
  readonly reply: Reply;
  readonly parser: RespParser;
  db: Db;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  user = 'default';
  readonly createdAt: number;
  lastInteraction: number;
  /** The dispatcher's one-entry command lookup cache (name as sent, its spec). */
  cmdCacheName = '';
  cmdCacheSpec: CommandSpec | undefined = undefined;
  /** The last command run ("NULL" before any), for CLIENT LIST cmd=. */
  lastCmd = 'NULL';
  /** Close once pending replies are written (QUIT, protocol error, CLIENT KILL). */
  closeAfterReply = false;
  /** Already closed or closing: ignore further input. */
  closed = false;
  /** Don't update key access times (CLIENT NO-TOUCH). */
  noTouch = false;
  /** Excluded from client eviction (CLIENT NO-EVICT). */
  noEvict = false;
  /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
  replyOff = false;
  /** CLIENT REPLY SKIP: the reply of the command being run is dropped. */
  replySkip = false;
  /** CLIENT REPLY SKIP ran while skipping: skip the following command too. */
  replySkipNext = false;
  /** Queued in the server's flush list. */
  flushQueued = false;
  /** When the output buffer first went over the soft limit (ms), or 0. */
  softLimitSince = 0;
  /** Reading is paused because the output buffer is large. */
  readPaused = false;
  /** Blocked in BLPOP & co. (server/blocking.ts): its later commands wait. */
  blocked = false;
  readonly addr: string;
  readonly laddr: string;
  /** 'tcp' | 'unix' | 'internal' */
  readonly kind: 'tcp' | 'unix' | 'internal';

  constructor(
    readonly id: number,
    readonly socket: Socket | null,
    db: Db,
    parser: RespParser,
    authenticated: boolean,
    now: number,
    kind: 'tcp' | 'unix' | 'internal',
    /** The listening socket's path, for a unix socket client (its addr is `path:0`, as in Redis). */
    unixPath?: string,
  ) {
    this.db = db;
    this.parser = parser;
    this.authenticated = authenticated;
    this.reply = new Reply(2);
    this.createdAt = now;
    this.lastInteraction = now;
    this.kind = kind;
    if (socket && kind === 'tcp') {
      this.addr = fmtAddr(socket.remoteAddress, socket.remotePort);
      this.laddr = fmtAddr(socket.localAddress, socket.localPort);
    } else if (kind === 'unix') {
      this.addr = `${unixPath ?? ''}:0`;
      this.laddr = this.addr;
    } else {
      this.addr = '';
      this.laddr = '';
    }
  }

  /** Exempt from the idle timeout (blocked and pub/sub clients, later). */
  get exempt(): boolean {
    return this.blocked;
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }
  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }
}

/** An address as Redis prints it: `ip:port`, IPv6 in brackets (`[::1]:port`). */
function fmtAddr(host: string | undefined, port: number | undefined): string {
  let h = host ?? '?';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return h.includes(':') ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
}

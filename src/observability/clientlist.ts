/**
 * CLIENT LIST / CLIENT INFO lines and client classification (CLIENT KILL
 * TYPE, CLIENT LIST TYPE, INFO clients). One line per client, with Redis
 * 7.2's fields in Redis's order:
 *
 *   id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free
 *   argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp
 *   lib-name lib-ver
 *
 * Memory fields are estimates from what Node exposes: qbuf is the parser's
 * unconsumed input, obl the reply bytes not yet handed to the socket, omem
 * the bytes the socket still holds, tot-mem their sum plus a fixed per-client
 * base. A replica attached to this server (Client.replica) has flag S and
 * type replica; the primary's link (flag M, type master) and READONLY (flag
 * r) come with the replica side and cluster.
 */
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { isLoopback } from '../server/socket.js';
import { handleFd } from '../server/socket.js';

/** Client types as CLIENT KILL/LIST TYPE name them. */
export type ClientType = 'normal' | 'replica' | 'pubsub' | 'master';

/** Parses a TYPE argument (normal, master, replica or slave, pubsub); null when unknown. */
export function parseClientType(s: string): ClientType | null {
  switch (s.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'pubsub':
      return 'pubsub';
    case 'master':
      return 'master';
    default:
      return null;
  }
}

/** The type of a client: master and replica links first, then pub/sub, else normal. */
export function clientType(c: Client): ClientType {
  if (c.masterLink) return 'master';
  if (c.replica !== null) return 'replica';
  if (subCount(c) > 0) return 'pubsub';
  return 'normal';
}

function subCount(c: Client): number {
  return (c.channels?.size ?? 0) + (c.patterns?.size ?? 0) + (c.shardChannels?.size ?? 0);
}

/** The flags field: one letter per state, 'N' when none applies. */
export function clientFlags(c: Client): string {
  let f = '';
  if (c.monitor) f += 'O';
  else if (c.replica !== null) f += 'S';
  if (c.masterLink) f += 'M';
  if (subCount(c) > 0) f += 'P';
  if (c.multiQueue) f += 'x';
  if (c.blocked) f += 'b';
  if (c.tracking) f += 't';
  if (c.trackingBrokenRedir) f += 'R';
  if (c.tracking && c.trackingBcast) f += 'B';
  if (c.dirtyCas) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (c.kind === 'unix') f += 'U';
  if (c.noEvict) f += 'e';
  if (c.noTouch) f += 'T';
  return f || 'N';
}

/** The socket's file descriptor as libuv reports it, or -1 (none, or relayed by the busy-script acceptor). */
function fdOf(c: Client): number {
  return c.socket === null ? -1 : handleFd(c.socket);
}

/** Fixed per-client overhead counted in tot-mem: the Client object, its parser and reply writer. */
const CLIENT_BASE_BYTES = 16 * 1024;
/** Redis's default per-client reply buffer (PROTO_REPLY_CHUNK_BYTES), the most obl counts. */
const REPLY_BUFFER = 16 * 1024;
/** The smallest a reply buffer shrinks to (PROTO_REPLY_MIN_BYTES). */
const REPLY_BUFFER_MIN = 1024;

/** The usable size jemalloc gives an allocation of n bytes (its size classes: four per power of two). */
function jemallocUsable(n: number): number {
  if (n <= 16) return n <= 8 ? 8 : 16;
  // n rounded up to a multiple of a quarter of its power of two, in integer operations: a
  // double result (2 ** x makes one) stored in Client.replyBufSize changed that field from a
  // Smi to a double, and so every Client's hidden class (util/numbers.ts, DOUBLE_ZERO)
  const step = 1 << (29 - Math.clz32(n - 1));
  return (n + step - 1) & -step;
}

/**
 * The clients cron's reply buffer sizing, by Redis's rules
 * (clientsCronResizeOutputBuffer): a buffer whose peak stayed under half its
 * size shrinks to the peak (at least 1 KB), a full one doubles up to 16 KB;
 * the peak restarts from zero every peak-reset period (DEBUG REPLYBUFFER),
 * so an idle client's buffer shrinks. tsdis writes replies as strings, so
 * the sizes are only reported (rbs, rbp, INFO reply_buffer_shrinks/expands).
 */
export function resizeReplyBuffer(server: Server, c: Client, now: number): void {
  const flags = server.debugFlags;
  if (!flags.replyBufferResizing) return;
  const size = c.replyBufSize;
  let next = 0;
  if (size / 2 >= REPLY_BUFFER_MIN && c.replyBufPeak < size / 2) {
    next = Math.max(REPLY_BUFFER_MIN, c.replyBufPeak + 1);
    server.stats.replyBufferShrinks++;
  } else if (size * 2 < REPLY_BUFFER * 2 && c.replyBufPeak === size) {
    next = Math.min(REPLY_BUFFER, size * 2);
    server.stats.replyBufferExpands++;
  }
  if (flags.replyBufferPeakResetMs >= 0 && now - c.replyBufPeakAt >= flags.replyBufferPeakResetMs) {
    c.replyBufPeak = 0;
    c.replyBufPeakAt = now;
  }
  if (next !== 0) c.replyBufSize = jemallocUsable(next);
}

/** Output bytes held for a client: replies not yet written plus what the socket still buffers. */
export function clientOutputBytes(c: Client): number {
  return c.reply.out.length + c.socketUnsent;
}

/** Bytes counted per WATCHed key, per subscription and per tracking prefix (the entries' own cost, as Redis counts pointers). */
const WATCH_ENTRY_BYTES = 64;
const SUBSCRIPTION_BYTES = 48;
const PREFIX_BYTES = 64;

/**
 * Memory attributed to a client (CLIENT LIST tot-mem, INFO
 * mem_clients_normal, client eviction): as Redis's getClientMemoryUsage, its
 * query buffer, the arguments of the command it runs (`argv`), its queued
 * MULTI commands, its output (unsent replies and what the socket holds), a
 * fixed base, and the entries of its WATCHed keys, subscriptions and
 * tracking prefixes. O(1).
 */
export function clientMemory(c: Client, argv?: readonly string[]): number {
  let argvMem = 0;
  if (argv) for (const a of argv) argvMem += a.length;
  return (
    CLIENT_BASE_BYTES + c.parser.memory + argvMem + multiQueueMemory(c) + clientOutputBytes(c) + clientStateBytes(c)
  );
}

/** The entries a client holds besides its buffers: watched keys, subscriptions, tracking prefixes. */
function clientStateBytes(c: Client): number {
  return (
    c.watched.length * WATCH_ENTRY_BYTES +
    c.subscriptions * SUBSCRIPTION_BYTES +
    (c.trackingPrefixes?.size ?? 0) * PREFIX_BYTES
  );
}

/**
 * The reply bytes a client's output limits (client-output-buffer-limit)
 * count: all not yet taken by the kernel. `unsent` is the reply text not yet
 * handed to the socket (default: all the client has). Redis leaves out what
 * sits in its 16 KB reply buffer, which a reply starting with a deferred
 * length (KEYS, LRANGE...) does not use; tsdis counts it always, so it can
 * close a client up to 16 KB earlier than Redis.
 */
export function outputBufferMemory(c: Client, unsent = c.reply.out.length): number {
  return c.socketUnsent + unsent;
}

/**
 * One CLIENT LIST line (without the trailing newline). `argv` is the running
 * command's arguments when the line describes the calling client (argv-mem).
 */
export function clientInfoLine(server: Server, c: Client, argv?: readonly string[]): string {
  const now = server.clock();
  let argvMem = 0;
  if (argv) for (const a of argv) argvMem += a.length;
  // Redis keeps the running command in the query buffer until it returns: the caller's qbuf has it
  const qbuf = c.parser.buffered + (argv ? requestBytes(argv) : 0);
  const pendingOut = c.reply.out.length;
  const sockOut = c.socketUnsent;
  const obl = Math.min(pendingOut, REPLY_BUFFER);
  const oll = pendingOut > REPLY_BUFFER ? 1 : 0;
  let omem = sockOut + (pendingOut > REPLY_BUFFER ? pendingOut - REPLY_BUFFER : 0);
  // a replica's output is what it keeps of the shared replication buffer (replication/link.ts)
  let totMem = clientMemory(c, argv) + (argv ? requestBytes(argv) : 0);
  if (c.replica !== null) {
    const shared = server.repl.primary.outputBytes(c.replica);
    totMem += shared - clientOutputBytes(c);
    omem = shared;
  }
  const events = sockOut > 0 ? 'rw' : 'r';
  const multi = c.multiQueue ? c.multiQueue.length : -1;
  const multiMem = multiQueueMemory(c);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${fdOf(c)} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)}` +
    ` flags=${clientFlags(c)} db=${c.db.id} sub=${c.channels?.size ?? 0} psub=${c.patterns?.size ?? 0}` +
    ` ssub=${c.shardChannels?.size ?? 0} multi=${multi} qbuf=${qbuf} qbuf-free=${qbuf > 0 ? Math.max(0, REPLY_BUFFER - qbuf) : 0}` +
    ` argv-mem=${argvMem} multi-mem=${multiMem} rbs=${c.replyBufSize} rbp=${c.replyBufPeak} obl=${obl} oll=${oll} omem=${omem}` +
    ` tot-mem=${totMem} events=${events} cmd=${c.lastCmd}` +
    ` user=${c.user.name} redir=${c.tracking ? c.trackingRedirect : -1} resp=${c.resp}` +
    ` lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

/** The size of a command as a multibulk request (`*N` then a `$len` bulk per argument). */
function requestBytes(argv: readonly string[]): number {
  let n = 3 + String(argv.length).length;
  for (const a of argv) n += 5 + String(a.length).length + a.length;
  return n;
}

/**
 * multi-mem: the bytes of the queued commands' arguments plus a pointer
 * (8 bytes) per argument, as redis-server 7.0 reports it (kept as commands
 * are queued: Client.multiMem).
 */
function multiQueueMemory(c: Client): number {
  return c.multiQueue === null ? 0 : c.multiMem;
}

/** True for connections from the loopback interface or a unix socket (enable-debug-command local). */
export function isLocalClient(c: Client): boolean {
  if (c.kind === 'unix' || c.kind === 'internal') return true;
  return isLoopback(c.socket?.remoteAddress ?? '');
}

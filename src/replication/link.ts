/**
 * A replica attached to this server, as the primary sees it (Client.replica,
 * Redis's slave fields of a client): what REPLCONF told, where its sync
 * stands, what it acknowledged, where it is in the shared stream. Also the small
 * helpers primary.ts and full-sync.ts share.
 */
import type { Server } from '../server/server.js';
import type fs from 'node:fs';
import type { Client } from '../server/client.js';
import type { Backlog, ReplBlock } from './backlog.js';

/** A replica's state (Redis's SLAVE_STATE_*). */
export type ReplState = 'wait_bgsave_start' | 'wait_bgsave_end' | 'send_bulk' | 'online' | 'rdb_transmitted';

/** What a replica wants left out of its image (REPLCONF rdb-filter-only): Redis's SLAVE_REQ_* bits. */
export const REQ_EXCLUDE_DATA = 1;
export const REQ_EXCLUDE_FUNCTIONS = 2;

/** A diskless sync pauses the walk while a replica's socket holds more than this. */
export const SOCKET_HIGH_WATER = 4 * 1024 * 1024;

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
   * Its reference into the shared replication buffer (backlog.ts): the
   * block holding the next stream byte its socket has not been handed, and
   * that byte's position in it (Redis's ref_repl_buf_node/ref_block_pos).
   * Null until it is first fed (a full sync: from the image's offset) or
   * continues (PSYNC: from its offset).
   */
  refBlock: ReplBlock | null = null;
  refPos = 0;
  /**
   * Its socket is handed the stream: from +CONTINUE, or once its image is
   * sent (disk) or at its first ACK after it (diskless); until then what it
   * will get waits in the shared buffer.
   */
  streaming = false;
  /** Its socket's last write returned false: the stream waits in the shared buffer until 'drain'. */
  waitDrain = false;
  /** The 'drain' listener that resumes the stream is on its socket (added once). */
  drainHooked = false;
  /** Diskless: the image was sent, the stream goes out from its first ACK. */
  startOnAck = false;
  /** Diskless: when its socket last took image bytes (ms; 0: not yet), for repl-timeout. */
  lastPartialWrite = 0;
  /** Disk-based: the file being sent to it. */
  bulk: fs.ReadStream | null = null;

  constructor(readonly client: Client) {}
}

/**
 * Output a replica's limits count (Redis's getClientOutputBufferMemoryUsage
 * for a replica): the shared blocks its reference keeps alive (backlog.ts
 * bytesFrom), plus what its socket was handed and has not written yet and
 * any reply it has pending. A replica with no reference yet counts none.
 */
export function replicaOutputBytes(l: ReplicaLink, b: Backlog | null): number {
  const shared = l.refBlock !== null && b !== null ? b.bytesFrom(l.refBlock) : 0;
  // (during the image's transfer the socket holds image bytes: Redis does not count those)
  const sock = l.streaming ? l.client.socketUnsent : 0;
  return shared + sock + l.client.reply.out.length;
}

/** Whether `l` has every capability `peer` has (a replica sharing another's snapshot). */
export function capaCovers(l: ReplicaLink, peer: ReplicaLink): boolean {
  return (l.capaEof || !peer.capaEof) && (l.capaPsync2 || !peer.capaPsync2);
}

/** INFO's state names (replstateToString). */
export function stateName(s: ReplState): string {
  return s === 'wait_bgsave_start' || s === 'wait_bgsave_end' ? 'wait_bgsave' : s;
}

/** The peer's IP as Redis prints it ('' when unknown). */
export function peerIp(c: Client): string {
  let h = c.socket?.remoteAddress ?? '';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return h;
}

/** Seconds of the server clock (Redis's server.unixtime). */
export function unixtime(server: Server): number {
  return Math.floor(server.clock() / 1000);
}

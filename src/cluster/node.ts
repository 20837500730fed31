/**
 * A node of the cluster as this server knows it (Redis's clusterNode): its
 * name, flags, epoch, slots, address, links and the failure reports other
 * primaries made about it. Plain data; the Cluster (cluster.ts) changes it.
 */
import crypto from 'node:crypto';
import type { Link } from './link.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

export const NODE_MASTER = 1;
export const NODE_SLAVE = 2;
export const NODE_PFAIL = 4;
export const NODE_FAIL = 8;
export const NODE_MYSELF = 16;
export const NODE_HANDSHAKE = 32;
export const NODE_NOADDR = 64;
export const NODE_MEET = 128;
export const NODE_MIGRATE_TO = 256;
export const NODE_NOFAILOVER = 512;

/** Flag names in CLUSTER NODES order (Redis's redisNodeFlagsTable). */
const FLAG_NAMES: readonly [number, string][] = [
  [NODE_MYSELF, 'myself'],
  [NODE_MASTER, 'master'],
  [NODE_SLAVE, 'slave'],
  [NODE_PFAIL, 'fail?'],
  [NODE_FAIL, 'fail'],
  [NODE_HANDSHAKE, 'handshake'],
  [NODE_NOADDR, 'noaddr'],
  [NODE_NOFAILOVER, 'nofailover'],
];

/** Flags as CLUSTER NODES and nodes.conf write them: comma separated, or `noflags`. */
export function flagsText(flags: number): string {
  const out: string[] = [];
  for (const [f, name] of FLAG_NAMES) if (flags & f) out.push(name);
  return out.length === 0 ? 'noflags' : out.join(',');
}

/** Parses a flags field of nodes.conf; unknown names are ignored, as Redis does. */
export function parseFlags(text: string): number {
  let flags = 0;
  for (const name of text.split(',')) {
    if (name === 'myself') flags |= NODE_MYSELF;
    else if (name === 'master') flags |= NODE_MASTER;
    else if (name === 'slave') flags |= NODE_SLAVE;
    else if (name === 'fail?') flags |= NODE_PFAIL;
    else if (name === 'fail') flags |= NODE_FAIL;
    else if (name === 'handshake') flags |= NODE_HANDSHAKE;
    else if (name === 'noaddr') flags |= NODE_NOADDR;
    else if (name === 'nofailover') flags |= NODE_NOFAILOVER;
  }
  return flags;
}

/** A random 40-hex-character name (node ids, shard ids). */
export function randomName(): string {
  return crypto.randomBytes(20).toString('hex');
}

/** Whether `s` is a well-formed node name: 40 lowercase or uppercase hex characters (Redis's verifyClusterNodeId checks length only). */
export function isNodeName(s: string): boolean {
  return s.length === 40;
}

export class ClusterNode {
  /** When this entry was made (ms). */
  readonly ctime: number = DOUBLE_ZERO;
  name: string;
  shardId: string;
  flags: number = 0;
  configEpoch = 0;
  /** The slots this node claims (bitmap, 2048 bytes). */
  readonly slots = new Uint8Array(2048);
  numSlots = 0;
  /** The primary of a replica, when known. */
  slaveof: ClusterNode | null = null;
  readonly replicas: ClusterNode[] = [];
  /** ms of the last PING sent and not answered yet (0: none outstanding). */
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  failTime = 0;
  /** The last ping gossip this node was carried in (one per PING built). */
  lastInPingGossip = 0;
  replOffset = 0;
  /** When this primary's replica last got our vote (ms; Redis's voted_time). */
  votedTime = 0;
  /** Since when this primary has been without a working replica (ms; 0: not orphaned). */
  orphanedTime = 0;
  ip = '';
  hostname = '';
  humanNodename = '';
  tcpPort = 0;
  tlsPort = 0;
  cport = 0;
  /** Our outbound link to it, and the one it opened to us. */
  link: Link | null = null;
  inboundLink: Link | null = null;
  /** Primaries that reported it PFAIL or FAIL, with the time of each one's last report. */
  readonly failReports = new Map<ClusterNode, number>();

  constructor(name: string | null, flags: number, now: number) {
    this.name = name ?? randomName();
    this.shardId = randomName();
    this.flags = flags;
    this.ctime = now;
  }

  /** Records `r` as a replica of this node (Redis's clusterNodeAddSlave: a primary that had replicas is a migration target). */
  addReplica(r: ClusterNode): void {
    if (this.replicas.includes(r)) return;
    this.replicas.push(r);
    this.flags |= NODE_MIGRATE_TO;
  }

  /** Forgets `r` as a replica of this node; with none left, it is no migration target any more (clusterNodeRemoveSlave). */
  removeReplica(r: ClusterNode): void {
    const i = this.replicas.indexOf(r);
    if (i < 0) return;
    this.replicas.splice(i, 1);
    if (this.replicas.length === 0) this.flags &= ~NODE_MIGRATE_TO;
  }

  /** Replicas not flagged FAIL (clusterCountNonFailingSlaves). */
  nonFailingReplicas(): number {
    let n = 0;
    for (const r of this.replicas) if (!(r.flags & NODE_FAIL)) n++;
    return n;
  }

  get isMaster(): boolean {
    return (this.flags & NODE_MASTER) !== 0;
  }

  get isSlave(): boolean {
    return (this.flags & NODE_SLAVE) !== 0;
  }

  get inHandshake(): boolean {
    return (this.flags & NODE_HANDSHAKE) !== 0;
  }

  get failed(): boolean {
    return (this.flags & NODE_FAIL) !== 0;
  }

  get timedOut(): boolean {
    return (this.flags & NODE_PFAIL) !== 0;
  }
}

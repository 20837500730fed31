/**
 * Redis Cluster: this node's view of the cluster (nodes, slots, epochs,
 * state), the cluster bus (cluster-port, default port + 10000) speaking
 * Redis 7's binary messages (cluster/message.ts) to tsdis and redis-server
 * nodes alike, nodes.conf (cluster/nodes-conf.ts), failure detection, and
 * the facts the dispatcher's redirection gate (cluster/redirect.ts) and the
 * CLUSTER command (commands/cluster.ts) read.
 *
 * It follows Redis 7.2's cluster.c in what it decides and in what it puts on
 * the wire: the MEET → PING/PONG handshake (a node met is known by a random
 * name until its first PONG renames it), gossip (a PING carries about a
 * tenth of the known nodes, at least 3, plus every PFAIL one), PFAIL after
 * cluster-node-timeout without a PONG, FAIL once a majority of primaries
 * report it (failure reports live twice the node timeout), slot ownership
 * taken from PINGs and UPDATEs by configEpoch, config epoch collisions
 * resolved as clusterHandleConfigEpochCollision (the smaller name bumps),
 * cluster_state from slot coverage and reachable primaries.
 *
 * Replicas, elections, votes, manual failover and replica migration are
 * decided in cluster/failover.ts. Not here (yet): MIGRATE's slot moves
 * beyond what SETSLOT records, modules' messages (MODULE is read and
 * ignored).
 *
 * tls-cluster yes (read when a link is made, as Redis reads it at each
 * accept and connect): the bus speaks TLS with the server's certificates
 * (server/tls.ts's contexts, the peer's certificate always required, as on
 * Redis's bus), and the ports on the wire swap places as in Redis 7: a
 * header's and a gossip entry's `port` is the TLS client port and `pport`
 * the plaintext one (the reverse without tls-cluster). Every node keeps
 * both (tcpPort, tlsPort); which one a client is shown is decided by its
 * connection (tlsInfoFor).
 *
 * The cron runs ten times a second on its own timer, as Redis's clusterCron
 * does from serverCron; work Redis defers to clusterBeforeSleep (saving
 * nodes.conf, updating the state) is done once per event-loop turn,
 * scheduled when asked for.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import fs from 'node:fs';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { InfoSection, Subsystem } from '../server/subsystem.js';
import type { ParamName } from '../config/params.js';
import { replaceFile } from '../util/files.js';
import { CLUSTER_SLOTS, bitmapClear, bitmapSet, bitmapTest, keyHashSlot } from './slot.js';
import {
  ClusterNode,
  NODE_FAIL,
  NODE_HANDSHAKE,
  NODE_MASTER,
  NODE_MEET,
  NODE_MIGRATE_TO,
  NODE_MYSELF,
  NODE_NOADDR,
  NODE_NOFAILOVER,
  NODE_PFAIL,
  NODE_SLAVE,
  randomName,
} from './node.js';
import { LINK_BLOCK_HEADER_BYTES, LINK_LIST_BYTES, LINK_LIST_NODE_BYTES, Link, type LinkOwner } from './link.js';
import { connectOut, opensslText, type TlsContexts } from '../server/tls.js';
import { SlotKeys } from '../keyspace/slot-keys.js';
import {
  EXT_FORGOTTEN_NODE,
  EXT_HOSTNAME,
  EXT_HUMAN_NODENAME,
  EXT_SHARDID,
  MSG_FAIL,
  MSG_MEET,
  MSG_MODULE,
  MSG_PING,
  MSG_PONG,
  MSG_PUBLISH,
  MSG_PUBLISHSHARD,
  MSG_TYPE_COUNT,
  MSG_UPDATE,
  MSG_FAILOVER_AUTH_REQUEST,
  MSG_FAILOVER_AUTH_ACK,
  MSG_MFSTART,
  MFLAG0_PAUSED,
  encodeHeaderOnly,
  decodeExtensions,
  decodeFail,
  decodeGossip,
  decodeHeader,
  decodePublish,
  decodeUpdate,
  encodeFail,
  encodePing,
  encodePublish,
  encodeUpdate,
  expectedLength,
  msgTypeName,
  slaveofIsNull,
  PROTO_VER,
  type Gossip,
  type HeaderFields,
  type Message,
  type PingExt,
} from './message.js';
import { Err } from '../protocol/errors.js';
import { describeNode, loadNodesConf, lockNodesConf, NodesConfError } from './nodes-conf.js';
import { ClusterFailover } from './failover.js';
import { REDIR_DOWN_STATE, REDIR_DOWN_UNBOUND, REDIR_MOVED, redirectError, type Route } from './redirect.js';

export const CLUSTER_OK = 0;
export const CLUSTER_FAIL = 1;

export const TODO_HANDLE_FAILOVER = 1;
export const TODO_UPDATE_STATE = 2;
export const TODO_SAVE_CONFIG = 4;
export const TODO_FSYNC_CONFIG = 8;
export const TODO_HANDLE_MANUALFAILOVER = 16;

const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
const BLACKLIST_TTL = 60;
const MAX_REJOIN_DELAY = 5000;
const MIN_REJOIN_DELAY = 500;
const WRITABLE_DELAY = 2000;
/** clusterCron's period (Redis runs it every 100 ms from serverCron). */
const CRON_MS = 100;
/** How long an accepted TLS bus connection may take to finish its handshake (tls.Server's default). */
const BUS_TLS_HANDSHAKE_MS = 120_000;

/** Why the start failed; the reason is logged already (serve.ts exits 1 on it). */
export class ClusterStartError extends Error {}

export class Cluster implements Subsystem, LinkOwner {
  /** Cluster mode is on: cluster-enabled yes and the bus started (start()). */
  enabled = false;
  myself: ClusterNode;
  /** Every known node by name, myself included (Redis's dict of nodes). */
  readonly nodes = new Map<string, ClusterNode>();
  /** The owner of each slot. */
  readonly slots: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);
  readonly migratingTo: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);
  readonly importingFrom: (ClusterNode | null)[] = new Array<ClusterNode | null>(CLUSTER_SLOTS).fill(null);
  /** Slots whose owner stopped claiming them in its PINGs. */
  private readonly ownerNotClaiming = new Uint8Array(2048);
  currentEpoch = 0;
  lastVoteEpoch = 0;
  state = CLUSTER_FAIL;
  /** Primaries serving at least one slot. */
  size = 0;
  /** Forgotten nodes (CLUSTER FORGET), by name: until when (unix seconds) they are not re-added. */
  readonly blacklist = new Map<string, number>();
  readonly statsSent: number[] = new Array<number>(MSG_TYPE_COUNT).fill(0);
  readonly statsReceived: number[] = new Array<number>(MSG_TYPE_COUNT).fill(0);
  /** Links freed for passing cluster-link-sendbuf-limit (total_cluster_links_buffer_limit_exceeded). */
  linksBufferLimitExceeded = 0;
  /** DEBUG DROP-CLUSTER-PACKET-FILTER: messages of this type are dropped on receipt (-1: none). */
  dropPacketFilter = -1;
  private statsPfailNodes = 0;
  private todo = 0;
  private todoScheduled = false;
  private bus: net.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private iteration = 0;
  private pingsSent = 0;
  private firstCallTime = 0;
  private amongMinorityTime = 0;
  /** Inbound links not bound to a node yet. */
  private readonly loose = new Set<Link>();
  /** Keys of db 0 by hash slot (keyspace/slot-keys.ts), kept by db 0's dict once started. */
  readonly slotKeys = new SlotKeys();
  /** nodes.conf's path, resolved at start. */
  configFile = '';
  /** Releases the nodes.conf lock taken at start (lockNodesConf); null when none is held. */
  private unlockConfig: (() => void) | null = null;
  /** Elections, votes, manual failover and replica migration (failover.ts). */
  readonly failover: ClusterFailover;
  /** The handshake server of accepted TLS bus links, and the listener's TLS settings it has. */
  private busTls: { from: TlsContexts; srv: tls.Server } | null = null;
  /** The TCP sockets of accepted TLS bus connections, in their handshake or under a link (closed with the bus). */
  private readonly tlsAccepted = new Set<net.Socket>();

  readonly info: InfoSection = {
    name: 'cluster',
    header: 'Cluster',
    fields: () => [['cluster_enabled', this.enabled ? 1 : 0]],
  };

  constructor(private readonly server: Server) {
    // (a placeholder until start(): the server's clock is not set yet)
    this.myself = new ClusterNode(null, NODE_MYSELF | NODE_MASTER, 0);
    this.failover = new ClusterFailover(this, server);
  }

  private get now(): number {
    return this.server.clock();
  }

  private get nodeTimeout(): number {
    return Number(this.server.config.v['cluster-node-timeout']);
  }

  // ---------------------------------------------------------------------------
  // Starting and stopping

  /** The server listens (Server.listen): with cluster-enabled yes, load nodes.conf and open the bus. */
  async listen(): Promise<void> {
    if (this.enabled || !this.server.config.v['cluster-enabled']) return;
    try {
      this.start();
      await this.openBus();
    } catch (e) {
      this.releaseConfigLock();
      throw e;
    }
    // the slot → keys index of db 0, from the keys loaded so far (an AOF loaded before listening)
    const dict = this.server.dbs[0]!.dict;
    this.slotKeys.rebuild(dict);
    dict.tracker = this.slotKeys;
    this.enabled = true;
    this.timer = setInterval(() => this.tick(), CRON_MS);
    this.timer.unref();
  }

  /** Redis's clusterInit: nodes.conf loaded, or a new identity made and saved. */
  private start(): void {
    const v = this.server.config.v;
    const log = this.server.log;
    this.configFile = path.resolve(String(v['dir'] || '.'), String(v['cluster-config-file']));
    let loaded = false;
    try {
      this.unlockConfig = lockNodesConf(this.configFile, String(v['cluster-config-file']));
      loaded = loadNodesConf(this, this.configFile);
    } catch (e) {
      if (e instanceof NodesConfError) {
        log.warning(e.message);
        throw new ClusterStartError(e.message);
      }
      throw e;
    }
    if (!loaded) {
      this.myself = new ClusterNode(null, NODE_MYSELF | NODE_MASTER, this.now);
      this.nodes.clear();
      this.addNode(this.myself);
      log.notice(`No cluster configuration found, I'm ${this.myself.name}`);
      this.saveConfigOrDie(true);
    } else log.notice(`Node configuration loaded, I'm ${this.myself.name}`);
    const max = this.maxEpoch();
    if (max > this.currentEpoch) this.currentEpoch = max;
    this.updateMyselfAnnounced();
    this.updateMyselfFlags();
  }

  /** myself's NOFAILOVER flag from cluster-replica-no-failover (clusterUpdateMyselfFlags); true when it changed. */
  private updateMyselfFlags(): boolean {
    const me = this.myself;
    const old = me.flags;
    if (this.server.config.v['cluster-replica-no-failover']) me.flags |= NODE_NOFAILOVER;
    else me.flags &= ~NODE_NOFAILOVER;
    return old !== me.flags;
  }

  /** Opens the bus listener on cluster-port (default: the client port + 10000). */
  private openBus(): Promise<void> {
    const port = this.busPort();
    if (port > 65535) {
      const msg = `Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.`;
      this.server.log.warning(msg);
      return Promise.reject(new ClusterStartError(msg));
    }
    const binds = String(this.server.config.v['bind'] ?? '')
      .split(/\s+/)
      .filter((b) => b !== '')
      .map((b) => b.replace(/^-/, ''));
    const host = binds[0] === '*' || binds.length === 0 ? undefined : binds[0];
    return new Promise((resolve, reject) => {
      const srv = net.createServer((sock) => this.accept(sock));
      srv.once('error', (e) => {
        const msg = `Failed listening on port ${port} (cluster), aborting.`;
        this.server.log.warning(msg);
        reject(new ClusterStartError(`${msg} ${(e as Error).message}`));
      });
      srv.listen(port, host, () => {
        srv.removeAllListeners('error');
        srv.on('error', () => {});
        this.bus = srv;
        resolve();
      });
    });
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.bus?.close();
    this.bus = null;
    for (const n of this.nodes.values()) {
      n.link?.free();
      n.inboundLink?.free();
    }
    for (const l of [...this.loose]) l.free();
    for (const s of [...this.tlsAccepted]) s.destroy();
    if (this.enabled && this.todo & TODO_SAVE_CONFIG) this.saveConfig(false);
    this.releaseConfigLock();
  }

  /** Lets another server use nodes.conf (at close, as Redis unlocks it at shutdown). */
  private releaseConfigLock(): void {
    this.unlockConfig?.();
    this.unlockConfig = null;
  }

  /** RESET: READONLY and ASKING are cleared (Redis's clearClientConnectionState). */
  clientReset(c: Client): void {
    c.asking = false;
    c.clusterReadonly = false;
  }

  configChanged(name: ParamName | null): void {
    if (!this.enabled || name === null) return;
    if (name.startsWith('cluster-announce-')) {
      this.updateMyselfAnnounced();
      this.doBeforeSleep(TODO_SAVE_CONFIG);
    }
    if (name === 'cluster-require-full-coverage' || name === 'cluster-node-timeout')
      this.doBeforeSleep(TODO_UPDATE_STATE);
    if (name === 'cluster-replica-no-failover' && this.updateMyselfFlags()) this.doBeforeSleep(TODO_SAVE_CONFIG);
  }

  /** The client port (the configured one, or the one listened on when the OS picked it). */
  clientPort(): number {
    const p = Number(this.server.config.v['port']);
    if (p !== 0) return p;
    return this.server.addresses()[0]?.port ?? 0;
  }

  /** tls-cluster: the bus speaks TLS and a node's default client port is its TLS port. */
  get tlsCluster(): boolean {
    return this.server.config.v['tls-cluster'] === true;
  }

  /** The client port a node is known by on this bus (getNodeDefaultClientPort): its TLS port with tls-cluster. */
  defaultPortOf(n: ClusterNode): number {
    return this.portFor(n, this.tlsCluster);
  }

  /**
   * Whether a client is shown TLS ports (CLUSTER NODES / SLOTS / REPLICAS,
   * -MOVED, -ASK; Redis's shouldReturnTlsInfo): those of its connection's
   * type, or with no connection (a script's or module's caller, a blocked
   * client redirected by the cron, where Redis has no current client)
   * tls-cluster's. Callers pass the client whose top-level command runs.
   */
  tlsInfoFor(c: Client | null): boolean {
    if (c !== null && c.socket !== null) return c.socket.encrypted === true;
    return this.tlsCluster;
  }

  /** The port `n` is shown with to a client of that connection type (getNodeClientPort). */
  portFor(n: ClusterNode, tlsInfo: boolean): number {
    return tlsInfo ? n.tlsPort : n.tcpPort;
  }

  /** The bus port this node listens on: cluster-port, else the default client port (TLS with tls-cluster) + 10000. */
  busPort(): number {
    const cp = Number(this.server.config.v['cluster-port']);
    return cp !== 0 ? cp : this.defaultClientPort() + 10000;
  }

  /** This server's client port of the bus's kind (Redis's defaultClientPort). */
  private defaultClientPort(): number {
    return this.tlsCluster ? Number(this.server.config.v['tls-port']) : this.clientPort();
  }

  /**
   * Ports as announced (deriveAnnouncedPorts): cluster-announce-port and
   * cluster-announce-tls-port override the plaintext and TLS client ports
   * each (7.2's rule: one does not stand in for the other), and the bus port
   * is cluster-announce-bus-port, else cluster-port, else the default client
   * port + 10000.
   */
  private announcedPorts(): { tcp: number; tls: number; cport: number } {
    const v = this.server.config.v;
    const ap = Number(v['cluster-announce-port']);
    const at = Number(v['cluster-announce-tls-port']);
    const ab = Number(v['cluster-announce-bus-port']);
    return {
      tcp: ap !== 0 ? ap : this.clientPort(),
      tls: at !== 0 ? at : Number(v['tls-port']),
      cport: ab !== 0 ? ab : this.busPort(),
    };
  }

  /**
   * The plaintext and TLS client ports of a header's or gossip entry's
   * `port` and `pport` (getClientPortFromClusterMsg / -Gossip): `port` is
   * the one of the bus's kind.
   */
  private portsFromWire(port: number, pport: number): { tcp: number; tls: number } {
    return this.tlsCluster ? { tcp: pport, tls: port } : { tcp: port, tls: pport };
  }

  /** myself's announced ip, ports, hostname and human nodename, from the config. */
  private updateMyselfAnnounced(): void {
    const v = this.server.config.v;
    const me = this.myself;
    const { tcp, tls: tlsPort, cport } = this.announcedPorts();
    me.tcpPort = tcp;
    me.cport = cport;
    me.tlsPort = tlsPort;
    const ip = String(v['cluster-announce-ip'] ?? '');
    if (ip !== '') me.ip = ip;
    me.hostname = String(v['cluster-announce-hostname'] ?? '');
    me.humanNodename = String(v['cluster-announce-human-nodename'] ?? '');
  }

  // ---------------------------------------------------------------------------
  // Nodes

  addNode(n: ClusterNode): void {
    this.nodes.set(n.name, n);
  }

  lookup(name: string): ClusterNode | undefined {
    if (name.length !== 40) return undefined;
    return this.nodes.get(name);
  }

  /** Redis's clusterDelNode: its slots unassigned, its reports withdrawn, its links freed, forgotten. */
  delNode(n: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.importingFrom[j] === n) this.importingFrom[j] = null;
      if (this.migratingTo[j] === n) this.migratingTo[j] = null;
      if (this.slots[j] === n) this.delSlot(j);
    }
    for (const other of this.nodes.values()) {
      if (other !== n) other.failReports.delete(n);
    }
    for (const r of n.replicas) r.slaveof = null;
    if (n.isSlave && n.slaveof !== null) n.slaveof.removeReplica(n);
    this.nodes.delete(n.name);
    n.link?.free();
    n.inboundLink?.free();
  }

  /** A handshake node gets the real name its PONG gave. */
  private renameNode(n: ClusterNode, name: string): void {
    this.server.log.debug(`Renaming node ${n.name} into ${name}`);
    this.nodes.delete(n.name);
    n.name = name;
    this.nodes.set(name, n);
  }

  /** Highest configEpoch known, or currentEpoch when higher. */
  maxEpoch(): number {
    let max = 0;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return Math.max(max, this.currentEpoch);
  }

  /** Redis's clusterStartHandshake: a handshake node for ip:port@cport. 'einval' for a bad address, 'eagain' when one is in progress. */
  startHandshake(ip: string, port: number, cport: number): 'ok' | 'einval' | 'eagain' {
    const kind = net.isIP(ip);
    if (kind === 0) return 'einval';
    if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return 'einval';
    const norm = kind === 4 ? ip : normalizeIpv6(ip);
    for (const n of this.nodes.values()) {
      if (
        n.inHandshake &&
        n.ip.toLowerCase() === norm.toLowerCase() &&
        this.defaultPortOf(n) === port &&
        n.cport === cport
      )
        return 'eagain';
    }
    const n = new ClusterNode(null, NODE_HANDSHAKE | NODE_MEET, this.now);
    n.ip = norm;
    // (the port given is the node's client port of the bus's kind)
    if (this.tlsCluster) n.tlsPort = port;
    else n.tcpPort = port;
    n.cport = cport;
    this.addNode(n);
    return 'ok';
  }

  // ---------------------------------------------------------------------------
  // Slots

  /** Gives `slot` to `n` (which must not own it yet); false when it is owned already. */
  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== null) return false;
    if (!bitmapTest(n.slots, slot)) {
      bitmapSet(n.slots, slot);
      n.numSlots++;
    }
    this.slots[slot] = n;
    bitmapClear(this.ownerNotClaiming, slot);
    return true;
  }

  /** Unassigns `slot`; false when it was not assigned. Shard channels of the slot lose their subscribers. */
  delSlot(slot: number): boolean {
    const n = this.slots[slot];
    if (n === null || n === undefined) return false;
    if (this.server.pubsub.shard.size !== 0) this.removeChannelsInSlot(slot);
    if (bitmapTest(n.slots, slot)) {
      bitmapClear(n.slots, slot);
      n.numSlots--;
    }
    this.slots[slot] = null;
    bitmapClear(this.ownerNotClaiming, slot);
    return true;
  }

  /**
   * Redis's removeChannelsInSlot: the subscribers of every shard channel of
   * `slot` are unsubscribed, each told with an `sunsubscribe` push.
   */
  private removeChannelsInSlot(slot: number): void {
    const pubsub = this.server.pubsub;
    // (in byte order of the names, as Redis walks its slot → channels index)
    const names = [...pubsub.shard.keys()].filter((name) => keyHashSlot(name) === slot).sort();
    for (const name of names) {
      for (const c of [...(pubsub.shard.get(name) ?? [])]) {
        pubsub.unsubscribe(c, 'shard', name, true);
        pubsub.delivered(c);
      }
    }
  }

  /** Every slot of `n` unassigned; returns how many. */
  delNodeSlots(n: ClusterNode): number {
    let deleted = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (bitmapTest(n.slots, j)) {
        if (this.importingFrom[j] !== null) this.importingFrom[j] = null;
        if (this.migratingTo[j] !== null) this.migratingTo[j] = null;
        this.delSlot(j);
        deleted++;
      }
    }
    return deleted;
  }

  /** A slot nobody claims any more (its owner stopped claiming it, or none). */
  slotUnclaimed(j: number): boolean {
    return this.slots[j] === null || bitmapTest(this.ownerNotClaiming, j);
  }

  /** Keys of db 0 in `slot` (expired ones not yet reclaimed included, as in Redis). */
  countKeysInSlot(slot: number): number {
    return this.slotKeys.count(slot);
  }

  /** Up to `max` keys of db 0 in `slot`. */
  keysInSlot(slot: number, max: number): string[] {
    return this.slotKeys.keysIn(slot, max);
  }

  /** Deletes the keys of db 0 in `slots` (slots taken by another node with a newer epoch). */
  private delKeysInSlots(slots: readonly number[]): number {
    const db = this.server.dbs[0]!;
    const keys: string[] = [];
    for (const s of slots) keys.push(...this.keysInSlot(s, Number.MAX_SAFE_INTEGER));
    for (const k of keys) {
      db.delete(k);
      this.server.propagator.propagate(0, ['DEL', k]);
    }
    return keys.length;
  }

  // ---------------------------------------------------------------------------
  // Epochs

  /** Redis's clusterBumpConfigEpochWithoutConsensus: true when bumped. */
  bumpEpochWithoutConsensus(): boolean {
    const max = this.maxEpoch();
    const me = this.myself;
    if (me.configEpoch === 0 || me.configEpoch !== max) {
      this.currentEpoch++;
      me.configEpoch = this.currentEpoch;
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      this.server.log.notice(`New configEpoch set to ${me.configEpoch}`);
      return true;
    }
    return false;
  }

  /** Redis's clusterHandleConfigEpochCollision: of two primaries with the same configEpoch, the one with the smaller name takes a new one. */
  private handleEpochCollision(sender: ClusterNode): void {
    const me = this.myself;
    if (sender.configEpoch !== me.configEpoch || !sender.isMaster || !me.isMaster) return;
    if (sender.name <= me.name) return;
    this.currentEpoch++;
    me.configEpoch = this.currentEpoch;
    this.saveConfigOrDie(true);
    this.server.log.verbose(
      `WARNING: configEpoch collision with node ${sender.name} (${sender.humanNodename}). configEpoch set to ${me.configEpoch}`,
    );
  }

  // ---------------------------------------------------------------------------
  // Failure detection

  private addFailureReport(failing: ClusterNode, sender: ClusterNode): boolean {
    const had = failing.failReports.has(sender);
    failing.failReports.set(sender, this.now);
    return !had;
  }

  private cleanupFailureReports(n: ClusterNode): void {
    const max = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = this.now;
    for (const [s, t] of n.failReports) if (now - t > max) n.failReports.delete(s);
  }

  private delFailureReport(n: ClusterNode, sender: ClusterNode): boolean {
    if (!n.failReports.delete(sender)) return false;
    this.cleanupFailureReports(n);
    return true;
  }

  failureReportsCount(n: ClusterNode): number {
    this.cleanupFailureReports(n);
    return n.failReports.size;
  }

  /** PFAIL becomes FAIL when a majority of the primaries (ourselves included) report it; FAIL is broadcast. */
  private markFailingIfNeeded(n: ClusterNode): void {
    const quorum = Math.floor(this.size / 2) + 1;
    if (!n.timedOut || n.failed) return;
    let failures = this.failureReportsCount(n);
    if (this.myself.isMaster) failures++;
    if (failures < quorum) return;
    this.server.log.notice(`Marking node ${n.name} (${n.humanNodename}) as failing (quorum reached).`);
    n.flags = (n.flags & ~NODE_PFAIL) | NODE_FAIL;
    n.failTime = this.now;
    this.broadcast(encodeFail(this.header(MSG_FAIL), n.name), MSG_FAIL);
    this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
  }

  /** A FAIL node reachable again: cleared at once for a replica or a primary without slots, after a while for one with slots. */
  private clearFailureIfNeeded(n: ClusterNode): void {
    const now = this.now;
    if (n.isSlave || n.numSlots === 0) {
      this.server.log.notice(
        `Clear FAIL state for node ${n.name} (${n.humanNodename}):${n.isSlave ? 'replica' : 'master without slots'} is reachable again.`,
      );
      n.flags &= ~NODE_FAIL;
      this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    }
    if (n.isMaster && n.numSlots > 0 && now - n.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.server.log.notice(
        `Clear FAIL state for node ${n.name} (${n.humanNodename}): is reachable again and nobody is serving its slots after some time.`,
      );
      n.flags &= ~NODE_FAIL;
      this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
    }
  }

  // ---------------------------------------------------------------------------
  // The bus: links

  /**
   * A connection accepted on the bus port (clusterAcceptHandler): a link
   * at once, or with tls-cluster once its TLS handshake is done (handed to
   * the bus's tls.Server, which listens on nothing: busTlsAccepted). The
   * peer must present a certificate of the CA whatever tls-auth-clients
   * says (Redis's bus requires it); a handshake that fails (a plaintext
   * peer, no or a foreign certificate) costs only that connection, with
   * Redis's verbose line "Error accepting cluster node connection: <reason>".
   */
  private accept(sock: net.Socket): void {
    if (!this.enabled) {
      sock.destroy();
      return;
    }
    this.server.log.verbose(`Accepting cluster node connection from ${sock.remoteAddress}:${sock.remotePort}`);
    const srv = this.tlsCluster ? this.busTlsServer() : null;
    if (srv === null) {
      this.loose.add(new Link(sock, null, true, this.now, this));
      return;
    }
    this.tlsAccepted.add(sock);
    sock.once('close', () => this.tlsAccepted.delete(sock));
    srv.emit('connection', sock);
  }

  /**
   * The tls.Server that runs the handshake of accepted TLS bus links: the
   * server's certificate, key and CA (server/tls.ts, as the TLS listener's),
   * its context replaced after the tls-* parameters were reconfigured. Null
   * when TLS was never configured.
   */
  private busTlsServer(): tls.Server | null {
    const t = this.server.listener.tls;
    if (t === null) return null;
    if (this.busTls === null) {
      // (unverified peers finish the handshake and are refused in busTlsAccepted, to log why)
      const srv = tls.createServer(
        { ...t.server, requestCert: true, rejectUnauthorized: false, handshakeTimeout: BUS_TLS_HANDSHAKE_MS },
        (ts) => this.busTlsAccepted(ts),
      );
      srv.on('tlsClientError', (e) => this.busAcceptError(opensslText(e)));
      this.busTls = { from: t, srv };
    } else if (this.busTls.from !== t) {
      this.busTls.srv.setSecureContext(t.server);
      this.busTls.from = t;
    }
    return this.busTls.srv;
  }

  /** A TLS bus connection finished its handshake: a link if the peer's certificate chains to the CA. */
  private busTlsAccepted(ts: tls.TLSSocket): void {
    if (!ts.authorized) {
      // (OpenSSL's words for the handshake Redis's verify-peer context would have failed)
      const cert = ts.getPeerCertificate();
      const none = cert === null || Object.keys(cert).length === 0;
      this.busAcceptError(
        none
          ? 'error:0A0000C7:SSL routines::peer did not return a certificate'
          : `error:0A000086:SSL routines::certificate verify failed (${String(ts.authorizationError)})`,
      );
      ts.destroy();
      return;
    }
    if (!this.enabled) {
      ts.destroy();
      return;
    }
    this.loose.add(new Link(ts, null, true, this.now, this));
  }

  /** Redis's line for a bus connection whose TLS handshake failed. */
  private busAcceptError(reason: string): void {
    if (!this.server.closing) this.server.log.verbose(`Error accepting cluster node connection: ${reason}`);
  }

  /**
   * Opens our link to `n` (clusterNodeCronHandleReconnect's connect), over
   * TLS with tls-cluster (the replication link's client options: the
   * client certificate, else the server's; the peer's must chain to the CA).
   */
  private connect(n: ClusterNode): void {
    const tlsOpts = this.tlsCluster ? (this.server.listener.tls?.client ?? null) : null;
    let link: Link | null = null;
    const sock = connectOut(n.ip, n.cport, tlsOpts, this.server.config.v['bind-source-addr'], () => {
      if (link === null || link.freed) return;
      link.onConnect();
      const oldPingSent = n.pingSent;
      this.sendPing(link, n.flags & NODE_MEET ? MSG_MEET : MSG_PING);
      if (oldPingSent !== 0) n.pingSent = oldPingSent;
      n.flags &= ~NODE_MEET;
    });
    link = new Link(sock, n, false, this.now, this);
    n.link = link;
    const l = link;
    sock.once('error', (e) => {
      const why = tlsOpts !== null && (e as NodeJS.ErrnoException).syscall === undefined ? opensslText(e) : e.message;
      this.server.log.verbose(`Connection with Node ${n.name} at ${n.ip}:${n.cport} failed: ${why}`);
      // A refused connect: Redis's connect call fails at once there (a local port with no listener) and
      // it then counts a PING as sent, so failure detection starts without waiting for the next PING time.
      const refused = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      if (refused && !l.connected && n.pingSent === 0) n.pingSent = this.now;
    });
  }

  /** LinkOwner: a link is gone. */
  closed(link: Link): void {
    this.loose.delete(link);
    const n = link.node;
    if (n === null) return;
    if (n.link === link) n.link = null;
    if (n.inboundLink === link) n.inboundLink = null;
  }

  warning(line: string): void {
    this.server.log.warning(line);
  }

  /** An inbound link's node is now known (setClusterNodeToInboundClusterLink). */
  private bindInbound(n: ClusterNode, link: Link): void {
    if (n.inboundLink === link) return;
    if (n.inboundLink !== null) {
      this.server.log.debug(`Replacing inbound link fd from node ${n.name}`);
      n.inboundLink.free();
    }
    link.node = n;
    n.inboundLink = link;
    this.loose.delete(link);
  }

  /**
   * Redis's freeClusterLinkOnBufferLimitReached, from the cron for both links
   * of every node: a link whose send queue (Link.sendQueueMem) passed a
   * non-zero cluster-link-sendbuf-limit is freed (the cron connects again)
   * and counted in CLUSTER INFO's total_cluster_links_buffer_limit_exceeded.
   */
  private freeLinkOnBufferLimit(link: Link | null): void {
    if (link === null) return;
    const limit = Number(this.server.config.v['cluster-link-sendbuf-limit']);
    if (limit === 0) return;
    const mem = link.sendQueueMem;
    if (mem <= limit) return;
    this.server.log.warning(
      `Freeing cluster link(${link.inbound ? 'from' : 'to'} node ${link.node?.name ?? ''}, used memory: ${mem}) due to exceeding send buffer memory limit.`,
    );
    link.free();
    this.linksBufferLimitExceeded++;
  }

  /**
   * DEBUG CLUSTERLINK KILL: frees our link to `n` ('to'), its link to us
   * ('from') or both ('all'); the cron makes the outbound one again.
   */
  killLinks(n: ClusterNode, direction: 'to' | 'from' | 'all'): void {
    if (direction !== 'from') n.link?.free();
    if (direction !== 'to') n.inboundLink?.free();
  }

  /**
   * Redis's stat_cluster_links_memory (INFO memory's mem_cluster_links,
   * MEMORY STATS' cluster.links): per link its receive buffer, queue list
   * and queue nodes, plus each queued message once however many links hold
   * it (7.2 shares a broadcast's send block between the links).
   */
  linksMemory(): number {
    let mem = 0;
    const blocks = new Set<Buffer>();
    const add = (l: Link | null): void => {
      if (l === null) return;
      mem += l.rcvbufAlloc + LINK_LIST_BYTES + l.queuedMessages * LINK_LIST_NODE_BYTES;
      for (const b of l.queued()) blocks.add(b);
    };
    for (const n of this.nodes.values()) {
      add(n.link);
      add(n.inboundLink);
    }
    for (const l of this.loose) add(l);
    for (const b of blocks) mem += b.length + LINK_BLOCK_HEADER_BYTES;
    return mem;
  }

  /** Sends `buf` (of message type `type`) on `link`, counting it. */
  private send(link: Link | null, buf: Buffer, type: number): void {
    if (link === null || link.freed) return;
    link.send(buf);
    if (type < MSG_TYPE_COUNT) this.statsSent[type]!++;
  }

  /** To every node with a link but myself and those in handshake. */
  private broadcast(buf: Buffer, type: number): void {
    for (const n of this.nodes.values()) {
      if (n.flags & (NODE_MYSELF | NODE_HANDSHAKE)) continue;
      this.send(n.link, buf, type);
    }
  }

  // ---------------------------------------------------------------------------
  // Building messages

  /** The header fields of a message from myself (clusterBuildMessageHdr). */
  header(type: number): HeaderFields {
    const me = this.myself;
    const master = me.isSlave && me.slaveof !== null ? me.slaveof : me;
    const { tcp, tls: tlsPort, cport } = this.announcedPorts();
    const tlsBus = this.tlsCluster;
    return {
      type,
      port: tlsBus ? tlsPort : tcp,
      pport: tlsBus ? tcp : tlsPort,
      cport,
      currentEpoch: this.currentEpoch,
      configEpoch: master.configEpoch,
      offset: this.offsetOf(me),
      sender: me.name,
      myslots: master.slots,
      slaveof: me.slaveof !== null ? me.slaveof.name : '',
      myip: String(this.server.config.v['cluster-announce-ip'] ?? ''),
      flags: me.flags,
      state: this.state,
      mflags0: me.isMaster && this.failover.mfEnd !== 0 ? MFLAG0_PAUSED : 0,
    };
  }

  /** A gossip entry about `n` (clusterSetGossipEntry): `port` is its client port of the bus's kind, `pport` the other. */
  private gossipEntry(n: ClusterNode): Gossip {
    const tlsBus = this.tlsCluster;
    return {
      name: n.name,
      pingSent: Math.floor(n.pingSent / 1000),
      pongReceived: Math.floor(n.pongReceived / 1000),
      ip: n.ip,
      port: tlsBus ? n.tlsPort : n.tcpPort,
      cport: n.cport,
      flags: n.flags,
      pport: tlsBus ? n.tcpPort : n.tlsPort,
    };
  }

  /** myself's ping extensions (writePingExt): hostname, human nodename, forgotten nodes, shard id. */
  private pingExtensions(): PingExt[] {
    const me = this.myself;
    const exts: PingExt[] = [];
    if (me.hostname !== '') exts.push({ type: EXT_HOSTNAME, data: Buffer.from(me.hostname + '\0', 'latin1') });
    if (me.humanNodename !== '')
      exts.push({ type: EXT_HUMAN_NODENAME, data: Buffer.from(me.humanNodename + '\0', 'latin1') });
    const nowSec = Math.floor(this.now / 1000);
    for (const [name, expire] of this.blacklist) {
      if (expire < nowSec) continue;
      const d = Buffer.alloc(48);
      d.latin1Write(name, 0);
      d.writeBigUInt64BE(BigInt(expire - nowSec), 40);
      exts.push({ type: EXT_FORGOTTEN_NODE, data: d });
    }
    exts.push({ type: EXT_SHARDID, data: Buffer.from(me.shardId, 'latin1') });
    return exts;
  }

  /** Redis's clusterSendPing: a PING, PONG or MEET with gossip about some nodes and every PFAIL one. */
  sendPing(link: Link, type: number): void {
    this.pingsSent++;
    const all = [...this.nodes.values()];
    let freshnodes = all.length - 2;
    let wanted = Math.floor(all.length / 10);
    if (wanted < 3) wanted = 3;
    if (wanted > freshnodes) wanted = freshnodes;
    if (!link.inbound && type === MSG_PING && link.node !== null) link.node.pingSent = this.now;
    const gossip: Gossip[] = [];
    let maxiter = wanted * 3;
    while (freshnodes > 0 && gossip.length < wanted && maxiter-- > 0) {
      const n = all[Math.floor(this.server.random() * all.length)]!;
      if (n === this.myself) continue;
      if (n.flags & NODE_PFAIL) continue;
      if (n.flags & (NODE_HANDSHAKE | NODE_NOADDR) || (n.link === null && n.numSlots === 0)) {
        freshnodes--;
        continue;
      }
      if (n.lastInPingGossip === this.pingsSent) continue;
      gossip.push(this.gossipEntry(n));
      n.lastInPingGossip = this.pingsSent;
      freshnodes--;
    }
    let pfailWanted = this.statsPfailNodes;
    if (pfailWanted > 0) {
      for (const n of all) {
        if (pfailWanted <= 0) break;
        if (n.flags & (NODE_HANDSHAKE | NODE_NOADDR)) continue;
        if (!(n.flags & NODE_PFAIL)) continue;
        gossip.push(this.gossipEntry(n));
        pfailWanted--;
      }
    }
    this.send(link, encodePing(this.header(type), gossip, this.pingExtensions()), type);
  }

  /** A PONG to every connected node (clusterBroadcastPong(CLUSTER_BROADCAST_ALL)). */
  broadcastPong(): void {
    for (const n of this.nodes.values()) {
      if (n.link === null || n === this.myself || n.inHandshake) continue;
      this.sendPing(n.link, MSG_PONG);
    }
  }

  /**
   * A PONG to each connected replica of our primary (clusterBroadcastPong(
   * CLUSTER_BROADCAST_LOCAL_SLAVES)): an election scheduled, siblings learn
   * our offset.
   */
  broadcastPongToSiblings(): void {
    const me = this.myself;
    const master = me.isSlave ? me.slaveof : me;
    if (master === null) return;
    for (const n of this.nodes.values()) {
      if (n.link === null || n === me || n.inHandshake) continue;
      if (n.isSlave && n.slaveof === master) this.sendPing(n.link, MSG_PONG);
    }
  }

  /** A header-only message of `type` (FAILOVER_AUTH_ACK, MFSTART) on `link`. */
  sendHeaderOnly(link: Link | null, type: number): void {
    if (link === null) return;
    this.send(link, encodeHeaderOnly(this.header(type)), type);
  }

  /** A header-only message to every node (FAILOVER_AUTH_REQUEST, whose header the caller flagged). */
  broadcastHeaderOnly(h: HeaderFields): void {
    this.broadcast(encodeHeaderOnly(h), h.type);
  }

  private sendUpdate(link: Link | null, n: ClusterNode): void {
    if (link === null) return;
    this.send(link, encodeUpdate(this.header(MSG_UPDATE), n.configEpoch, n.name, n.slots), MSG_UPDATE);
  }

  /**
   * PUBLISH / SPUBLISH in cluster mode (clusterPropagatePublish): a PUBLISH
   * goes to every node, an SPUBLISH to the other nodes of this shard.
   */
  propagatePublish(channel: string, message: string, sharded: boolean): void {
    const type = sharded ? MSG_PUBLISHSHARD : MSG_PUBLISH;
    const buf = encodePublish(this.header(type), channel, message);
    if (!sharded) {
      this.broadcast(buf, type);
      return;
    }
    for (const n of this.nodes.values()) {
      if (n === this.myself || n.shardId !== this.myself.shardId) continue;
      this.send(n.link, buf, type);
    }
  }

  // ---------------------------------------------------------------------------
  // Receiving messages

  /** LinkOwner: one whole message (Redis's clusterProcessPacket). Returns false when the link was freed. */
  received(link: Link, buf: Buffer): boolean {
    const m = decodeHeader(buf);
    const type = m.type;
    const now = this.now;
    const log = this.server.log;
    if (type < MSG_TYPE_COUNT) this.statsReceived[type]!++;
    if (m.ver !== PROTO_VER) return true;
    if (type === this.dropPacketFilter) {
      log.warning('Dropping packet that matches debug drop filter');
      return true;
    }
    const exp = expectedLength(m);
    if (typeof exp === 'string') {
      log.warning(exp);
      return true;
    }
    if (m.totlen !== exp) {
      log.warning(`Received invalid ${msgTypeName(type)} packet of length ${m.totlen} but expected length ${exp}`);
      return true;
    }
    const flags = m.flags;
    const sender: ClusterNode | null = this.senderOf(link, m);
    if (sender !== null) sender.dataReceived = now;
    let senderConfigEpoch = 0;
    if (sender !== null && !sender.inHandshake) {
      if (m.currentEpoch > this.currentEpoch) this.currentEpoch = m.currentEpoch;
      senderConfigEpoch = m.configEpoch;
      if (senderConfigEpoch > sender.configEpoch) {
        sender.configEpoch = senderConfigEpoch;
        this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      }
      sender.replOffset = m.offset;
      const fo = this.failover;
      if (fo.mfEnd !== 0 && this.myself.isSlave && this.myself.slaveof === sender && m.mflags0 & MFLAG0_PAUSED)
        fo.pausedOffsetReceived(sender.replOffset);
    }

    if (type === MSG_PING || type === MSG_MEET) {
      // our own address, as the peer that MEETs us reaches it
      if ((type === MSG_MEET || this.myself.ip === '') && !this.server.config.v['cluster-announce-ip']) {
        const ip = stripV4Mapped(link.sock.localAddress ?? '');
        if (ip !== '' && ip !== this.myself.ip) {
          this.myself.ip = ip;
          log.notice(`IP address for this node updated to ${ip}`);
          this.doBeforeSleep(TODO_SAVE_CONFIG);
        }
      }
      if (sender === null && type === MSG_MEET) {
        const n = new ClusterNode(null, NODE_HANDSHAKE, now);
        n.ip = m.myip !== '' ? m.myip : stripV4Mapped(link.sock.remoteAddress ?? '');
        const ports = this.portsFromWire(m.port, m.pport);
        n.tcpPort = ports.tcp;
        n.tlsPort = ports.tls;
        n.cport = m.cport;
        this.addNode(n);
        this.doBeforeSleep(TODO_SAVE_CONFIG);
        this.processGossip(m, link, null);
      }
      this.sendPing(link, MSG_PONG);
    }

    if (type === MSG_PING || type === MSG_PONG || type === MSG_MEET) {
      if (!link.inbound && link.node !== null) {
        const ln = link.node;
        if (ln.inHandshake) {
          if (sender !== null) {
            // we know this node already: update its address, drop the handshake node
            log.verbose(
              `Handshake: we already know node ${sender.name} (${sender.humanNodename}), updating the address if needed.`,
            );
            if (this.updateAddressIfNeeded(sender, link, m)) this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
            this.delNode(ln);
            return false;
          }
          this.renameNode(ln, m.sender);
          log.debug(`Handshake with node ${ln.name} completed.`);
          ln.flags &= ~NODE_HANDSHAKE;
          ln.flags |= flags & (NODE_MASTER | NODE_SLAVE);
          this.doBeforeSleep(TODO_SAVE_CONFIG);
        } else if (ln.name !== m.sender) {
          log.debug(
            `PONG contains mismatching sender ID. About node ${ln.name} added ${now - ln.ctime} ms ago, having flags ${ln.flags}`,
          );
          ln.flags |= NODE_NOADDR;
          ln.ip = '';
          ln.tcpPort = 0;
          ln.tlsPort = 0;
          ln.cport = 0;
          link.free();
          this.doBeforeSleep(TODO_SAVE_CONFIG);
          return false;
        }
      }
      if (sender !== null) {
        sender.flags = (sender.flags & ~NODE_NOFAILOVER) | (flags & NODE_NOFAILOVER);
      }
      if (sender !== null && type === MSG_PING && !sender.inHandshake && this.updateAddressIfNeeded(sender, link, m))
        this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
      if (!link.inbound && type === MSG_PONG && link.node !== null) {
        const ln = link.node;
        ln.pongReceived = now;
        ln.pingSent = 0;
        if (ln.timedOut) {
          ln.flags &= ~NODE_PFAIL;
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
        } else if (ln.failed) this.clearFailureIfNeeded(ln);
      }
      // role: a master unless it names its primary
      if (sender !== null) {
        if (slaveofIsNull(m)) this.setNodeAsMaster(sender);
        else {
          const master = this.lookup(m.slaveof) ?? null;
          if (sender.isMaster) {
            this.delNodeSlots(sender);
            sender.flags = (sender.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
            this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
          }
          if (master !== null && sender.slaveof !== master) {
            if (sender.slaveof !== null) sender.slaveof.removeReplica(sender);
            master.addReplica(sender);
            sender.slaveof = master;
            sender.shardId = master.shardId;
            this.doBeforeSleep(TODO_SAVE_CONFIG);
          }
        }
      }
      // slots
      let senderMaster: ClusterNode | null = null;
      let dirtySlots = false;
      if (sender !== null) {
        senderMaster = sender.isMaster ? sender : sender.slaveof;
        if (senderMaster !== null) dirtySlots = !bytesEqual(senderMaster.slots, m.myslots);
      }
      if (sender !== null && sender.isMaster && dirtySlots)
        this.updateSlotsConfigWith(sender, senderConfigEpoch, m.myslots);
      if (sender !== null && dirtySlots) {
        for (let j = 0; j < CLUSTER_SLOTS; j++) {
          if (!bitmapTest(m.myslots, j)) continue;
          const owner = this.slots[j]!;
          if (owner === sender || this.slotUnclaimed(j)) continue;
          if (owner.configEpoch > senderConfigEpoch) {
            log.verbose(
              `Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`,
            );
            this.sendUpdate(sender.link, owner);
            break;
          }
        }
      }
      if (sender !== null && this.myself.isMaster && sender.isMaster && senderConfigEpoch === this.myself.configEpoch)
        this.handleEpochCollision(sender);
      if (sender !== null) {
        this.processGossip(m, link, sender);
        this.processExtensions(m, sender);
      }
    } else if (type === MSG_FAIL) {
      const about = decodeFail(m);
      if (sender !== null) {
        const failing = this.lookup(about);
        if (failing !== undefined && !(failing.flags & (NODE_FAIL | NODE_MYSELF))) {
          log.notice(
            `FAIL message received from ${m.sender} (${sender.humanNodename}) about ${about} (${failing.humanNodename})`,
          );
          failing.flags = (failing.flags | NODE_FAIL) & ~NODE_PFAIL;
          failing.failTime = now;
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
        }
      } else log.notice(`Ignoring FAIL message from unknown node ${m.sender} about ${about}`);
    } else if (type === MSG_PUBLISH || type === MSG_PUBLISHSHARD) {
      if (sender === null) return true;
      const { channel, message } = decodePublish(m);
      this.server.pubsub.publish(channel, message, type === MSG_PUBLISHSHARD);
    } else if (type === MSG_UPDATE) {
      if (sender === null) return true;
      const u = decodeUpdate(m);
      const n = this.lookup(u.name);
      if (n === undefined) return true;
      if (n.configEpoch >= u.configEpoch) return true;
      if (n.isSlave) this.setNodeAsMaster(n);
      n.configEpoch = u.configEpoch;
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG);
      this.updateSlotsConfigWith(n, u.configEpoch, u.slots);
    } else if (type === MSG_FAILOVER_AUTH_REQUEST) {
      if (sender === null) return true;
      this.failover.voteIfNeeded(sender, m);
    } else if (type === MSG_FAILOVER_AUTH_ACK) {
      if (sender === null) return true;
      this.failover.ackReceived(sender, m.currentEpoch);
    } else if (type === MSG_MFSTART) {
      if (sender === null || sender.slaveof !== this.myself) return true;
      this.failover.mfStartReceived(sender, link);
    } else if (type === MSG_MODULE) {
      // modules are not supported: read and ignored
    } else {
      log.warning(`Received unknown packet type: ${type}`);
    }
    return !link.freed;
  }

  /** getNodeFromLinkAndMsg: the link's node unless in handshake, else by the sender name (binding an inbound link). */
  private senderOf(link: Link, m: Message): ClusterNode | null {
    if (link.node !== null && !link.node.inHandshake) return link.node;
    const s = this.lookup(m.sender) ?? null;
    if (s !== null && link.node === null) this.bindInbound(s, link);
    return s;
  }

  /** nodeUpdateAddressIfNeeded: a node that moved (PING from another address); true when changed. */
  private updateAddressIfNeeded(n: ClusterNode, link: Link, m: Message): boolean {
    if (link === n.link) return false;
    const ip = m.myip !== '' ? m.myip : stripV4Mapped(link.sock.remoteAddress ?? '');
    if (ip === '') return false;
    const { tcp, tls: tlsPort } = this.portsFromWire(m.port, m.pport);
    if (n.tcpPort === tcp && n.cport === m.cport && n.tlsPort === tlsPort && n.ip === ip) return false;
    n.ip = ip;
    n.tcpPort = tcp;
    n.tlsPort = tlsPort;
    n.cport = m.cport;
    n.link?.free();
    n.flags &= ~NODE_NOADDR;
    this.server.log.notice(
      `Address updated for node ${n.name} (${n.humanNodename}), now ${n.ip}:${this.defaultPortOf(n)}`,
    );
    return true;
  }

  /** Redis's clusterSetNodeAsMaster: `n` is a primary from now on (a former replica other than myself becomes a migration target). */
  setNodeAsMaster(n: ClusterNode): void {
    if (n.isMaster) return;
    if (n.slaveof !== null) {
      n.slaveof.removeReplica(n);
      if (n !== this.myself) n.flags |= NODE_MIGRATE_TO;
    }
    n.flags = (n.flags & ~NODE_SLAVE) | NODE_MASTER;
    n.slaveof = null;
    this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE);
  }

  /**
   * Redis's clusterUpdateSlotsConfigWith: slots `sender` claims at
   * `configEpoch` become its own where they are unassigned, unclaimed or
   * held at a smaller epoch (not while importing them). When that leaves
   * our shard's primary without slots (and cluster-allow-replica-migration,
   * or the sender took exactly our slots), this node follows the sender (a
   * returning old primary becomes a replica of its successor; a replica
   * follows the new primary); a replica whose primary became a replica
   * follows the grandparent; otherwise keys in slots we lost are deleted.
   */
  private updateSlotsConfigWith(sender: ClusterNode, configEpoch: number, slots: Uint8Array): void {
    const me = this.myself;
    if (sender === me) {
      this.server.log.notice('Discarding UPDATE message about myself.');
      return;
    }
    const curmaster = me.isMaster ? me : me.slaveof;
    let newmaster: ClusterNode | null = null;
    let senderSlots = 0;
    let migratedOurSlots = 0;
    const dirty: number[] = [];
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (bitmapTest(slots, j)) {
        senderSlots++;
        const owner = this.slots[j];
        if (owner === sender) {
          bitmapClear(this.ownerNotClaiming, j);
          continue;
        }
        if (this.importingFrom[j] !== null) continue;
        if (this.slotUnclaimed(j) || owner!.configEpoch < configEpoch) {
          if (owner === me && this.countKeysInSlot(j) !== 0) dirty.push(j);
          if (owner === curmaster) {
            newmaster = sender;
            migratedOurSlots++;
          }
          this.delSlot(j);
          this.addSlot(sender, j);
          this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
        }
      } else if (this.slots[j] === sender) {
        bitmapSet(this.ownerNotClaiming, j);
      }
    }
    const log = this.server.log;
    if (
      newmaster !== null &&
      curmaster !== null &&
      curmaster.numSlots === 0 &&
      (this.server.config.v['cluster-allow-replica-migration'] || senderSlots === migratedOurSlots)
    ) {
      log.notice(
        `Configuration change detected. Reconfiguring myself as a replica of ${sender.name} (${sender.humanNodename})`,
      );
      this.setMaster(sender);
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    } else if (me.slaveof !== null && me.slaveof.slaveof !== null && me.slaveof.slaveof !== me) {
      const gm = me.slaveof.slaveof;
      log.notice(
        `I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${gm.name} (${gm.humanNodename})`,
      );
      this.setMaster(gm);
      this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
    } else if (dirty.length !== 0) this.delKeysInSlots(dirty);
  }

  /**
   * Redis's clusterSetMaster: myself becomes a replica of `n` (its slots
   * must be none): a primary's MIGRATING/IMPORTING states are closed, the
   * shard id becomes n's, and replication follows n's ip:port (clients
   * blocked on keys are unblocked with an error, as by REPLICAOF). Callers:
   * CLUSTER REPLICATE, a slot table change that left our shard's primary
   * without slots, replica migration.
   */
  setMaster(n: ClusterNode): void {
    const me = this.myself;
    if (me.isMaster) {
      me.flags = (me.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
      this.migratingTo.fill(null);
      this.importingFrom.fill(null);
    } else if (me.slaveof !== null) me.slaveof.removeReplica(me);
    me.slaveof = n;
    me.shardId = n.shardId;
    n.addReplica(me);
    this.server.blocking.failAll(Err.unblockedRoleChange);
    this.server.replica.setMaster(n.ip, this.replicationPort(n));
    this.failover.resetManual();
  }

  /** The port a replica of `n` connects to (getNodeDefaultReplicationPort): its TLS port with tls-replication. */
  private replicationPort(n: ClusterNode): number {
    return this.server.config.v['tls-replication'] ? n.tlsPort : n.tcpPort;
  }

  /**
   * The replication offset `n` is known by: another node's as it last
   * announced it; ours, as a replica the processed offset of its primary's
   * stream (replicationGetSlaveOffset), as a primary master_repl_offset
   * (what our headers carry; CLUSTER SLOTS and SHARDS, ranks and manual
   * failover read it).
   */
  offsetOf(n: ClusterNode): number {
    if (n !== this.myself) return n.replOffset;
    return n.isSlave ? this.server.replica.slaveOffset() : this.server.repl.offset;
  }

  /** Asks beforeSleep for an election step (a vote arrived, a manual failover may start). */
  wantFailover(): void {
    this.doBeforeSleep(TODO_HANDLE_FAILOVER);
  }

  /** Asks beforeSleep for a manual failover step. */
  wantManualFailover(): void {
    this.doBeforeSleep(TODO_HANDLE_MANUALFAILOVER);
  }

  /** Redis's clusterProcessGossipSection. */
  private processGossip(m: Message, link: Link, senderArg: ClusterNode | null): void {
    const sender = link.node ?? senderArg ?? this.lookup(m.sender) ?? null;
    const me = this.myself;
    for (const g of decodeGossip(m)) {
      const n = this.lookup(g.name);
      const ports = this.portsFromWire(g.port, g.pport);
      if (n !== undefined) {
        if (sender !== null && sender.isMaster && n !== me) {
          if (g.flags & (NODE_FAIL | NODE_PFAIL)) {
            if (this.addFailureReport(n, sender))
              this.server.log.verbose(
                `Node ${sender.name} (${sender.humanNodename}) reported node ${n.name} (${n.humanNodename}) as not reachable.`,
              );
            this.markFailingIfNeeded(n);
          } else if (this.delFailureReport(n, sender)) {
            this.server.log.verbose(
              `Node ${sender.name} (${sender.humanNodename}) reported node ${n.name} (${n.humanNodename}) is back online.`,
            );
          }
        }
        // a recent PONG someone else got is as good as ours, unless we are waiting for one
        if (!(g.flags & (NODE_FAIL | NODE_PFAIL)) && n.pingSent === 0 && this.failureReportsCount(n) === 0) {
          const pongtime = g.pongReceived * 1000;
          if (pongtime <= this.now + 500 && pongtime > n.pongReceived) n.pongReceived = pongtime;
        }
        // a node we think failing, seen elsewhere at another address: take it
        if (
          n.flags & (NODE_FAIL | NODE_PFAIL) &&
          !(g.flags & NODE_NOADDR) &&
          !(g.flags & (NODE_FAIL | NODE_PFAIL)) &&
          (n.ip.toLowerCase() !== g.ip.toLowerCase() ||
            n.tcpPort !== ports.tcp ||
            n.tlsPort !== ports.tls ||
            n.cport !== g.cport)
        ) {
          n.link?.free();
          n.ip = g.ip;
          n.tcpPort = ports.tcp;
          n.tlsPort = ports.tls;
          n.cport = g.cport;
          n.flags &= ~NODE_NOADDR;
        }
      } else if (sender !== null && !(g.flags & NODE_NOADDR) && !this.blacklisted(g.name)) {
        const nn = new ClusterNode(g.name, g.flags, this.now);
        nn.ip = g.ip;
        nn.tcpPort = ports.tcp;
        nn.tlsPort = ports.tls;
        nn.cport = g.cport;
        this.addNode(nn);
      }
    }
  }

  /** Redis's clusterProcessPingExtensions. */
  private processExtensions(m: Message, sender: ClusterNode): void {
    let hostname = '';
    let human = '';
    let shard: string | null = null;
    for (const e of decodeExtensions(m)) {
      if (e.type === EXT_HOSTNAME) hostname = e.text;
      else if (e.type === EXT_HUMAN_NODENAME) human = e.text;
      else if (e.type === EXT_SHARDID) shard = e.text;
      else if (e.type === EXT_FORGOTTEN_NODE) {
        const n = this.lookup(e.text);
        if (n !== undefined && n !== this.myself && !(this.myself.isSlave && this.myself.slaveof === n)) {
          this.blacklist.set(e.text, Math.floor(this.now / 1000) + e.ttl);
          this.delNode(n);
          this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG);
        }
      } else this.server.log.warning(`Received unknown extension type ${e.type}`);
    }
    if (sender.hostname !== hostname) {
      sender.hostname = hostname;
      this.doBeforeSleep(TODO_SAVE_CONFIG);
    }
    if (sender.humanNodename !== human) {
      sender.humanNodename = human;
      this.doBeforeSleep(TODO_SAVE_CONFIG);
    }
    if (shard === null) shard = (sender.isSlave && sender.slaveof !== null ? sender.slaveof : sender).shardId;
    if (sender.shardId !== shard) {
      sender.shardId = shard;
      this.doBeforeSleep(TODO_SAVE_CONFIG);
    }
  }

  // ---------------------------------------------------------------------------
  // Forgetting

  /** CLUSTER FORGET: the node is removed and not re-added from gossip for a minute. */
  blacklistAdd(n: ClusterNode): void {
    this.blacklistCleanup();
    this.blacklist.set(n.name, Math.floor(this.now / 1000) + BLACKLIST_TTL);
  }

  blacklisted(name: string): boolean {
    this.blacklistCleanup();
    return this.blacklist.has(name);
  }

  private blacklistCleanup(): void {
    const nowSec = Math.floor(this.now / 1000);
    for (const [k, exp] of this.blacklist) if (exp < nowSec) this.blacklist.delete(k);
  }

  /** CLUSTER RESET [HARD]: every other node and every slot forgotten; HARD also takes a new name and epoch 0. */
  reset(hard: boolean): void {
    const me = this.myself;
    this.failover.resetManual();
    this.migratingTo.fill(null);
    this.importingFrom.fill(null);
    for (let j = 0; j < CLUSTER_SLOTS; j++) this.delSlot(j);
    for (const n of [...this.nodes.values()]) if (n !== me) this.delNode(n);
    this.blacklist.clear();
    if (hard) {
      this.currentEpoch = 0;
      this.lastVoteEpoch = 0;
      me.configEpoch = 0;
      this.server.log.notice('configEpoch set to 0 via CLUSTER RESET HARD');
      this.nodes.delete(me.name);
      me.name = randomName();
      me.shardId = randomName();
      this.addNode(me);
      this.server.log.notice(`Node hard reset, now I'm ${me.name}`);
    }
    this.doBeforeSleep(TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG);
  }

  // ---------------------------------------------------------------------------
  // Cron and state

  /** Redis's clusterCron (ten times a second). */
  private tick(): void {
    if (!this.enabled || this.server.closing) return;
    this.iteration++;
    const now = this.now;
    const timeout = this.nodeTimeout;
    const handshakeTimeout = Math.max(timeout, 1000);
    this.statsPfailNodes = 0;
    for (const n of [...this.nodes.values()]) {
      this.freeLinkOnBufferLimit(n.link);
      this.freeLinkOnBufferLimit(n.inboundLink);
      if (n.flags & (NODE_MYSELF | NODE_NOADDR)) continue;
      if (n.flags & NODE_PFAIL) this.statsPfailNodes++;
      if (n.inHandshake && now - n.ctime > handshakeTimeout) {
        this.delNode(n);
        continue;
      }
      if (n.link === null) this.connect(n);
    }
    // every second, a PING to the one of five random nodes we heard from least recently
    if (this.iteration % 10 === 0) {
      const all = [...this.nodes.values()];
      let minPong = 0;
      let minNode: ClusterNode | null = null;
      for (let j = 0; j < 5 && all.length > 0; j++) {
        const n = all[Math.floor(this.server.random() * all.length)]!;
        if (n.link === null || n.pingSent !== 0) continue;
        if (n.flags & (NODE_MYSELF | NODE_HANDSHAKE)) continue;
        if (minNode === null || minPong > n.pongReceived) {
          minNode = n;
          minPong = n.pongReceived;
        }
      }
      if (minNode !== null && minNode.link !== null) this.sendPing(minNode.link, MSG_PING);
    }
    let updateState = false;
    const pingInterval = Number(this.server.config.v['cluster-ping-interval']) || timeout / 2;
    let orphanedMasters = 0;
    let maxSlaves = 0;
    let thisSlaves = 0;
    const me = this.myself;
    const fo = this.failover;
    for (const n of [...this.nodes.values()]) {
      const t = this.now;
      if (n.flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE)) continue;
      // primaries left without a working replica, for replica migration
      if (me.isSlave && n.isMaster && !n.failed) {
        const ok = n.nonFailingReplicas();
        if (ok === 0 && n.numSlots > 0 && n.flags & NODE_MIGRATE_TO) orphanedMasters++;
        if (ok > maxSlaves) maxSlaves = ok;
        if (me.slaveof === n) thisSlaves = ok;
      }
      const pingDelay = t - n.pingSent;
      const dataDelay = t - n.dataReceived;
      // a link that stopped answering is dropped and made again
      if (
        n.link !== null &&
        t - n.link.ctime > timeout &&
        n.pingSent !== 0 &&
        pingDelay > timeout / 2 &&
        dataDelay > timeout / 2
      ) {
        n.link.free();
      }
      // (a link still connecting queues the PING, as Redis's does: the PING time starts failure detection
      // of a node that no longer accepts connections)
      if (n.link !== null && n.pingSent === 0 && t - n.pongReceived > pingInterval) {
        this.sendPing(n.link, MSG_PING);
        continue;
      }
      // a replica asked us for a manual failover: it hears our (paused) offset every tick
      if (fo.mfEnd !== 0 && me.isMaster && fo.mfSlave === n && n.link !== null) {
        this.sendPing(n.link, MSG_PING);
        continue;
      }
      if (n.pingSent === 0) continue;
      const delay = Math.min(pingDelay, dataDelay);
      if (delay > timeout && !(n.flags & (NODE_PFAIL | NODE_FAIL))) {
        this.server.log.debug(`*** NODE ${n.name} possibly failing`);
        n.flags |= NODE_PFAIL;
        updateState = true;
      }
    }
    // a replica (loaded from nodes.conf) whose replication is off follows its primary once it has an address
    const master = me.slaveof;
    if (
      me.isSlave &&
      this.server.replica.host === null &&
      master !== null &&
      !(master.flags & NODE_NOADDR) &&
      master.ip !== ''
    )
      this.server.replica.setMaster(master.ip, this.replicationPort(master));
    fo.checkManualTimeout();
    if (me.isSlave) {
      fo.handleManual();
      fo.handleSlaveFailover();
      if (
        orphanedMasters !== 0 &&
        maxSlaves >= 2 &&
        thisSlaves === maxSlaves &&
        this.server.config.v['cluster-allow-replica-migration']
      )
        fo.handleMigration(maxSlaves);
    }
    if (updateState || this.state === CLUSTER_FAIL) this.updateState();
    if (this.iteration % 10 === 0 && this.server.blocking.count !== 0) this.redirectBlocked();
  }

  /**
   * Redis's clusterRedirectBlockedClientIfNeeded, once a second (Redis's
   * clientsCron): a client blocked on keys gets -CLUSTERDOWN when the
   * cluster is down, or -MOVED (-CLUSTERDOWN Hash slot not served) when the
   * slot of its keys is no longer served here nor being imported.
   */
  private redirectBlocked(): void {
    const blocking = this.server.blocking;
    const out: [Client, Route][] = [];
    for (const [c, key] of blocking.firstKeys()) {
      if (this.state === CLUSTER_FAIL) {
        out.push([c, { node: null, code: REDIR_DOWN_STATE, slot: 0 }]);
        continue;
      }
      const slot = keyHashSlot(key);
      const n = this.slots[slot] ?? null;
      if (n === this.myself || this.importingFrom[slot] !== null) continue;
      out.push([c, n === null ? { node: null, code: REDIR_DOWN_UNBOUND, slot } : { node: n, code: REDIR_MOVED, slot }]);
    }
    // (Redis redirects from its cron, with no current client: the ports are tls-cluster's, not the client's)
    for (const [c, r] of out) blocking.unblockWithError(c, redirectError(this, r, this.tlsInfoFor(null)));
  }

  /** Redis's clusterUpdateState: ok when every slot is served by a non-FAIL node (when required) and a majority of primaries is reachable. */
  updateState(): void {
    this.todo &= ~TODO_UPDATE_STATE;
    const now = this.now;
    const me = this.myself;
    if (this.firstCallTime === 0) this.firstCallTime = now;
    if (me.isMaster && this.state === CLUSTER_FAIL && now - this.firstCallTime < WRITABLE_DELAY) return;
    let newState = CLUSTER_OK;
    if (this.server.config.v['cluster-require-full-coverage']) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const o = this.slots[j];
        if (o === null || o === undefined || o.flags & NODE_FAIL) {
          newState = CLUSTER_FAIL;
          break;
        }
      }
    }
    let reachable = 0;
    this.size = 0;
    for (const n of this.nodes.values()) {
      if (n.isMaster && n.numSlots) {
        this.size++;
        if ((n.flags & (NODE_FAIL | NODE_PFAIL)) === 0) reachable++;
      }
    }
    const quorum = Math.floor(this.size / 2) + 1;
    if (reachable < quorum) {
      newState = CLUSTER_FAIL;
      this.amongMinorityTime = now;
    }
    if (newState !== this.state) {
      const rejoin = Math.min(MAX_REJOIN_DELAY, Math.max(MIN_REJOIN_DELAY, this.nodeTimeout));
      if (newState === CLUSTER_OK && me.isMaster && now - this.amongMinorityTime < rejoin) return;
      const line = `Cluster state changed: ${newState === CLUSTER_OK ? 'ok' : 'fail'}`;
      if (newState === CLUSTER_OK) this.server.log.notice(line);
      else this.server.log.warning(line);
      this.state = newState;
    }
  }

  /** Asks for work done before the event loop sleeps: a state update, a nodes.conf save (clusterDoBeforeSleep). */
  doBeforeSleep(flags: number): void {
    this.todo |= flags;
    if (this.todoScheduled) return;
    this.todoScheduled = true;
    setImmediate(() => {
      this.todoScheduled = false;
      this.beforeSleep();
    });
  }

  /** Asks for a state update and a nodes.conf save (CLUSTER commands that change the configuration). */
  changed(fsync = false): void {
    this.doBeforeSleep(TODO_UPDATE_STATE | TODO_SAVE_CONFIG | (fsync ? TODO_FSYNC_CONFIG : 0));
  }

  /** Redis's clusterBeforeSleep. */
  beforeSleep(): void {
    if (!this.enabled || this.todo === 0) return;
    const flags = this.todo;
    this.todo = 0;
    if (flags & TODO_HANDLE_MANUALFAILOVER) {
      if (this.myself.isSlave) {
        this.failover.handleManual();
        this.failover.handleSlaveFailover();
      }
    } else if (flags & TODO_HANDLE_FAILOVER) this.failover.handleSlaveFailover();
    if (flags & TODO_UPDATE_STATE) this.updateState();
    if (flags & TODO_SAVE_CONFIG) this.saveConfigOrDie((flags & TODO_FSYNC_CONFIG) !== 0);
  }

  // ---------------------------------------------------------------------------
  // nodes.conf

  /** The nodes.conf text: every node but those in handshake, then the vars line. */
  configText(): string {
    let s = '';
    const pairs = this.slotRanges();
    for (const n of this.nodes.values()) {
      if (n.inHandshake) continue;
      s += describeNode(this, n, pairs.get(n) ?? [], true, false) + '\n';
    }
    return s + `vars currentEpoch ${this.currentEpoch} lastVoteEpoch ${this.lastVoteEpoch}\n`;
  }

  /** Each node's slot ranges as start, end pairs, from the slot table (clusterGenNodesSlotsInfo). */
  slotRanges(): Map<ClusterNode, number[]> {
    const out = new Map<ClusterNode, number[]>();
    let n: ClusterNode | null = null;
    let start = 0;
    for (let i = 0; i <= CLUSTER_SLOTS; i++) {
      const cur = i < CLUSTER_SLOTS ? this.slots[i]! : null;
      if (cur === n) continue;
      if (n !== null) {
        let l = out.get(n);
        if (l === undefined) out.set(n, (l = []));
        l.push(start, i - 1);
      }
      n = cur;
      start = i;
    }
    return out;
  }

  /** Writes nodes.conf atomically (temp file, rename; file and directory fsynced when `fsync`); false (logged) when it fails. */
  saveConfig(fsync: boolean): boolean {
    this.todo &= ~TODO_SAVE_CONFIG;
    const file = this.configFile;
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      replaceFile(file, tmp, Buffer.from(this.configText(), 'latin1'), fsync, fsync);
      return true;
    } catch (e) {
      this.server.log.warning(`Could not save the cluster config file: ${(e as Error).message}`);
      return false;
    }
  }

  /** saveConfig, and a fatal stop when it fails (Redis exits: a node must not forget what it agreed to). */
  saveConfigOrDie(fsync: boolean): void {
    if (!this.saveConfig(fsync)) {
      this.server.log.warning("Fatal: can't update cluster config file.");
      this.server.fatal("can't update cluster config file");
    }
  }

  /** The node that serves `slot` for a client (null: unassigned). */
  ownerOf(slot: number): ClusterNode | null {
    return this.slots[slot] ?? null;
  }

  /** The endpoint CLUSTER SLOTS / MOVED show for a node (cluster-preferred-endpoint-type). */
  preferredEndpoint(n: ClusterNode): string {
    const t = this.server.config.v['cluster-preferred-endpoint-type'];
    if (t === 'hostname') return n.hostname !== '' ? n.hostname : '?';
    if (t === 'unknown-endpoint') return '';
    return n.ip;
  }
}

/** Equality of two slot bitmaps. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** "::ffff:1.2.3.4" (a v4 peer on a dual-stack socket) as "1.2.3.4". */
function stripV4Mapped(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** An IPv6 address in the short form inet_ntop prints (through the URL parser's normalization). */
function normalizeIpv6(ip: string): string {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

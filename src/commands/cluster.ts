/**
 * CLUSTER and its subcommands, READONLY, READWRITE and ASKING. Without
 * cluster-enabled each replies "This instance has cluster support
 * disabled", as Redis does, so clients probing for a cluster learn that it
 * is not one. In cluster mode they read and change the cluster's state
 * (cluster/cluster.ts) with Redis 7.2's replies and errors; REPLICATE
 * and FAILOVER start what cluster/failover.ts and the replication
 * machinery carry out.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { helpReply } from './help.js';
import { parseInt64 } from '../util/numbers.js';
import { CLUSTER_SLOTS, keyHashSlot } from '../cluster/slot.js';
import { describeNode } from '../cluster/nodes-conf.js';
import { emptyData } from '../persistence/snapshot-load.js';
import { CLUSTER_OK, type Cluster } from '../cluster/cluster.js';
import { MSG_TYPE_COUNT, msgTypeName } from '../cluster/message.js';
import { NODE_HANDSHAKE, type ClusterNode } from '../cluster/node.js';

/** The cluster, or the "disabled" error. */
function clusterOf(ctx: Ctx): Cluster {
  const c = ctx.server.cluster;
  if (!c.enabled) throw new ReplyError(Err.clusterDisabled);
  return c;
}

/** Redis's getLongLongFromObject: a plain int64, or null. */
function int64(s: string): number | null {
  const n = parseInt64(s);
  return n === null || typeof n === 'bigint' ? null : n;
}

/** A slot argument (getSlotOrReply). */
function slotArg(s: string): number {
  const n = int64(s);
  if (n === null || n < 0 || n >= CLUSTER_SLOTS) throw new ReplyError(Err.clusterBadSlot);
  return n;
}

/** An integer argument with the generic error (getLongLongFromObjectOrReply). */
function intArg(s: string): number {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(Err.notInteger);
  return Number(n);
}

const HELP: readonly string[] = [
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'MYSHARDID',
  "    Return the node's shard id.",
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
];

/** CLUSTER HELP */
function clusterHelp(ctx: Ctx): void {
  clusterOf(ctx);
  helpReply(ctx.reply, 'cluster', HELP);
}

/** CLUSTER INFO */
function clusterInfo(ctx: Ctx): void {
  ctx.reply.verbatim(clusterInfoText(clusterOf(ctx)));
}

/** CLUSTER INFO's text (`name:value` lines); /metrics reads it too (http/metrics.ts). */
export function clusterInfoText(c: Cluster): string {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = c.slots[j];
    if (n === null || n === undefined) continue;
    assigned++;
    if (n.failed) fail++;
    else if (n.timedOut) pfail++;
    else ok++;
  }
  const me = c.myself;
  const myEpoch = me.isSlave && me.slaveof !== null ? me.slaveof.configEpoch : me.configEpoch;
  let s =
    `cluster_state:${c.state === CLUSTER_OK ? 'ok' : 'fail'}\r\n` +
    `cluster_slots_assigned:${assigned}\r\n` +
    `cluster_slots_ok:${ok}\r\n` +
    `cluster_slots_pfail:${pfail}\r\n` +
    `cluster_slots_fail:${fail}\r\n` +
    `cluster_known_nodes:${c.nodes.size}\r\n` +
    `cluster_size:${c.size}\r\n` +
    `cluster_current_epoch:${c.currentEpoch}\r\n` +
    `cluster_my_epoch:${myEpoch}\r\n`;
  let sent = 0;
  for (let i = 0; i < MSG_TYPE_COUNT; i++) {
    const n = c.statsSent[i]!;
    if (n === 0) continue;
    sent += n;
    s += `cluster_stats_messages_${msgTypeName(i)}_sent:${n}\r\n`;
  }
  s += `cluster_stats_messages_sent:${sent}\r\n`;
  let received = 0;
  for (let i = 0; i < MSG_TYPE_COUNT; i++) {
    const n = c.statsReceived[i]!;
    if (n === 0) continue;
    received += n;
    s += `cluster_stats_messages_${msgTypeName(i)}_received:${n}\r\n`;
  }
  s += `cluster_stats_messages_received:${received}\r\n`;
  s += `total_cluster_links_buffer_limit_exceeded:${c.linksBufferLimitExceeded}\r\n`;
  return s;
}

/** CLUSTER MYID */
function clusterMyid(ctx: Ctx): void {
  ctx.reply.bulk(clusterOf(ctx).myself.name);
}

/** CLUSTER MYSHARDID */
function clusterMyshardid(ctx: Ctx): void {
  ctx.reply.bulk(clusterOf(ctx).myself.shardId);
}

/** Whether this command's client is shown TLS ports (Cluster.tlsInfoFor of the client whose top-level command runs: a script's caller). */
function tlsShown(ctx: Ctx, c: Cluster): boolean {
  return c.tlsInfoFor(ctx.server.executing ?? ctx.client);
}

/** CLUSTER NODES */
function clusterNodes(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const pairs = c.slotRanges();
  let s = '';
  const tlsInfo = tlsShown(ctx, c);
  for (const n of c.nodes.values()) s += describeNode(c, n, pairs.get(n) ?? [], false, tlsInfo) + '\n';
  ctx.reply.verbatim(s);
}

/** A node as CLUSTER SLOTS lists it: endpoint, port, id, then a map of the other endpoints. */
function nodeEntry(ctx: Ctx, c: Cluster, n: ClusterNode): void {
  const reply = ctx.reply;
  const type = ctx.server.config.v['cluster-preferred-endpoint-type'];
  reply.array(4);
  if (type === 'ip') reply.bulk(n.ip);
  else if (type === 'hostname') reply.bulk(n.hostname !== '' ? n.hostname : '?');
  else reply.null();
  reply.int(c.portFor(n, tlsShown(ctx, c)));
  reply.bulk(n.name);
  const extra: [string, string][] = [];
  if (type !== 'ip') extra.push(['ip', n.ip]);
  if (type !== 'hostname' && n.hostname !== '') extra.push(['hostname', n.hostname]);
  reply.map(extra.length);
  for (const [k, v] of extra) {
    reply.bulk(k);
    reply.bulk(v);
  }
  void c;
}

/** CLUSTER SLOTS */
function clusterSlots(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const ranges: [ClusterNode, number, number][] = [];
  for (const [n, pairs] of c.slotRanges()) {
    for (let i = 0; i < pairs.length; i += 2) ranges.push([n, pairs[i]!, pairs[i + 1]!]);
  }
  ranges.sort((a, b) => a[1] - b[1]);
  ctx.reply.array(ranges.length);
  for (const [n, start, end] of ranges) {
    const replicas = n.replicas.filter((r) => replicaAvailable(c, r));
    ctx.reply.array(3 + replicas.length);
    ctx.reply.int(start);
    ctx.reply.int(end);
    nodeEntry(ctx, c, n);
    for (const r of replicas) nodeEntry(ctx, c, r);
  }
}

/** Whether CLUSTER SLOTS lists a replica (Redis's isReplicaAvailable): not FAIL, and some offset announced. */
function replicaAvailable(c: Cluster, r: ClusterNode): boolean {
  if (r.failed) return false;
  return c.offsetOf(r) !== 0;
}

/** CLUSTER SHARDS */
function clusterShards(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const reply = ctx.reply;
  const shards = new Map<string, ClusterNode[]>();
  for (const n of c.nodes.values()) {
    if (n.flags & NODE_HANDSHAKE) continue;
    let l = shards.get(n.shardId);
    if (l === undefined) shards.set(n.shardId, (l = []));
    l.push(n);
  }
  const pairs = c.slotRanges();
  reply.array(shards.size);
  for (const nodes of shards.values()) {
    const primary = nodes.find((n) => n.isMaster) ?? nodes[0]!;
    reply.map(2);
    reply.bulk('slots');
    const p = pairs.get(primary) ?? [];
    reply.array(p.length);
    for (const x of p) reply.int(x);
    reply.bulk('nodes');
    reply.array(nodes.length);
    for (const n of nodes) {
      const fields: [string, string | number][] = [['id', n.name]];
      if (n.tcpPort) fields.push(['port', n.tcpPort]);
      if (n.tlsPort) fields.push(['tls-port', n.tlsPort]);
      fields.push(['ip', n.ip], ['endpoint', c.preferredEndpoint(n)]);
      if (n.hostname !== '') fields.push(['hostname', n.hostname]);
      fields.push(['role', n.isSlave ? 'replica' : 'master']);
      const offset = c.offsetOf(n);
      fields.push(['replication-offset', offset]);
      fields.push(['health', n.failed ? 'fail' : n.isSlave && offset === 0 ? 'loading' : 'online']);
      reply.map(fields.length);
      for (const [k, v] of fields) {
        reply.bulk(k);
        if (typeof v === 'number') reply.int(v);
        else reply.bulk(v);
      }
    }
  }
}

/** CLUSTER MEET ip port [cluster-bus-port] */
function clusterMeet(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const argv = ctx.argv;
  if (argv.length !== 4 && argv.length !== 5)
    throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'cluster'));
  const port = int64(argv[3]!);
  if (port === null) throw new ReplyError(Err.clusterBadPort(argv[3]!));
  let cport = port + 10000;
  if (argv.length === 5) {
    const cp = int64(argv[4]!);
    if (cp === null) throw new ReplyError(Err.clusterBadBusPort(argv[4]!));
    cport = cp;
  }
  if (c.startHandshake(argv[2]!, port, cport) === 'einval')
    throw new ReplyError(Err.clusterBadAddress(argv[2]!, argv[3]!));
  ctx.reply.ok();
}

/** CLUSTER FLUSHSLOTS */
function clusterFlushslots(ctx: Ctx): void {
  const c = clusterOf(ctx);
  if (ctx.server.dbs[0]!.size !== 0) throw new ReplyError(Err.clusterFlushslotsNotEmpty);
  c.delNodeSlots(c.myself);
  c.changed();
  ctx.reply.ok();
}

/** Marks slots start..end in `seen` after checking them (checkSlotAssignmentsOrReply). */
function checkSlots(c: Cluster, seen: Uint8Array, del: boolean, start: number, end: number): void {
  for (let s = start; s <= end; s++) {
    if (del && c.slots[s] === null) throw new ReplyError(Err.clusterSlotUnassigned(s));
    if (!del && c.slots[s] !== null) throw new ReplyError(Err.clusterSlotBusy(s));
    if (seen[s]!++ === 1) throw new ReplyError(Err.clusterSlotTwice(s));
  }
}

/** Applies checked slots (clusterUpdateSlots). */
function updateSlots(c: Cluster, seen: Uint8Array, del: boolean): void {
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!seen[j]) continue;
    c.importingFrom[j] = null;
    if (del) c.delSlot(j);
    else c.addSlot(c.myself, j);
  }
  c.changed();
}

/** CLUSTER ADDSLOTS slot [slot ...] / DELSLOTS slot [slot ...] */
function clusterAddDelSlots(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const argv = ctx.argv;
  const del = argv[1]!.toLowerCase() === 'delslots';
  for (let j = 2; j < argv.length; j++) slotArg(argv[j]!);
  const seen = new Uint8Array(CLUSTER_SLOTS);
  for (let j = 2; j < argv.length; j++) {
    const s = slotArg(argv[j]!);
    checkSlots(c, seen, del, s, s);
  }
  updateSlots(c, seen, del);
  ctx.reply.ok();
}

/** CLUSTER ADDSLOTSRANGE start end [start end ...] / DELSLOTSRANGE start end [start end ...] */
function clusterAddDelSlotsRange(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const argv = ctx.argv;
  if (argv.length % 2 === 1) throw new ReplyError(Err.wrongArgs(`cluster|${argv[1]!.toLowerCase()}`));
  const del = argv[1]!.toLowerCase() === 'delslotsrange';
  const seen = new Uint8Array(CLUSTER_SLOTS);
  for (let j = 2; j < argv.length; j += 2) {
    const a = slotArg(argv[j]!);
    const b = slotArg(argv[j + 1]!);
    if (a > b) throw new ReplyError(Err.clusterSlotOrder(a, b));
    checkSlots(c, seen, del, a, b);
  }
  updateSlots(c, seen, del);
  ctx.reply.ok();
}

/** CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE */
function clusterSetslot(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const argv = ctx.argv;
  const me = c.myself;
  if (me.isSlave) throw new ReplyError(Err.clusterSetslotReplica);
  const slot = slotArg(argv[2]!);
  const action = argv[3]!.toLowerCase();
  const target = (unknown: (id: string) => string): ClusterNode => {
    const n = c.lookup(argv[4]!);
    if (n === undefined) throw new ReplyError(unknown(argv[4]!));
    if (n.isSlave) throw new ReplyError(Err.clusterTargetNotMaster);
    return n;
  };
  if (action === 'migrating' && argv.length === 5) {
    if (c.slots[slot] !== me) throw new ReplyError(Err.clusterNotOwner(slot));
    c.migratingTo[slot] = target(Err.clusterDontKnow);
  } else if (action === 'importing' && argv.length === 5) {
    if (c.slots[slot] === me) throw new ReplyError(Err.clusterAlreadyOwner(slot));
    c.importingFrom[slot] = target(Err.clusterDontKnow);
  } else if (action === 'stable' && argv.length === 4) {
    c.importingFrom[slot] = null;
    c.migratingTo[slot] = null;
  } else if (action === 'node' && argv.length === 5) {
    const n = target(Err.clusterUnknownNode);
    const keys = c.countKeysInSlot(slot);
    if (c.slots[slot] === me && n !== me && keys !== 0) throw new ReplyError(Err.clusterSetslotKeys(slot));
    if (keys === 0 && c.migratingTo[slot] !== null) c.migratingTo[slot] = null;
    const wasMine = c.slots[slot] === me;
    c.delSlot(slot);
    c.addSlot(n, slot);
    if (wasMine && n !== me && me.numSlots === 0 && ctx.server.config.v['cluster-allow-replica-migration']) {
      ctx.server.log.notice(
        `Configuration change detected. Reconfiguring myself as a replica of ${n.name} (${n.humanNodename})`,
      );
      c.setMaster(n);
      c.changed(true);
    }
    // the last slot imported: a new epoch so the change wins over the old owner's claim
    if (n === me && c.importingFrom[slot] !== null) {
      if (c.bumpEpochWithoutConsensus()) ctx.server.log.notice(`configEpoch updated after importing slot ${slot}`);
      c.importingFrom[slot] = null;
      c.broadcastPong();
    }
  } else throw new ReplyError(Err.clusterSetslotAction);
  c.changed();
  ctx.reply.ok();
}

/** CLUSTER BUMPEPOCH */
function clusterBumpepoch(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const bumped = c.bumpEpochWithoutConsensus();
  ctx.reply.simple(`${bumped ? 'BUMPED' : 'STILL'} ${c.myself.configEpoch}`);
}

/** CLUSTER SAVECONFIG */
function clusterSaveconfig(ctx: Ctx): void {
  const c = clusterOf(ctx);
  if (!c.saveConfig(true)) throw new ReplyError(Err.clusterSaveconfig('cannot write the file'));
  ctx.reply.ok();
}

/** CLUSTER KEYSLOT key */
function clusterKeyslot(ctx: Ctx): void {
  clusterOf(ctx);
  ctx.reply.int(keyHashSlot(ctx.argv[2]!));
}

/** CLUSTER COUNTKEYSINSLOT slot */
function clusterCountkeysinslot(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const slot = intArg(ctx.argv[2]!);
  if (slot < 0 || slot >= CLUSTER_SLOTS) throw new ReplyError(Err.clusterInvalidSlot);
  ctx.reply.int(c.countKeysInSlot(slot));
}

/** CLUSTER GETKEYSINSLOT slot count */
function clusterGetkeysinslot(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const slot = intArg(ctx.argv[2]!);
  const max = intArg(ctx.argv[3]!);
  if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) throw new ReplyError(Err.clusterInvalidSlotOrCount);
  ctx.reply.bulks(c.keysInSlot(slot, max));
}

/** CLUSTER FORGET node-id */
function clusterForget(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const id = ctx.argv[2]!;
  const n = c.lookup(id);
  if (n === undefined) {
    if (c.blacklisted(id)) {
      ctx.reply.ok();
      return;
    }
    throw new ReplyError(Err.clusterUnknownNode(id));
  }
  if (n === c.myself) throw new ReplyError(Err.clusterForgetMyself);
  if (c.myself.isSlave && c.myself.slaveof === n) throw new ReplyError(Err.clusterForgetMaster);
  c.blacklistAdd(n);
  c.delNode(n);
  c.changed();
  ctx.reply.ok();
}

/** CLUSTER COUNT-FAILURE-REPORTS node-id */
function clusterCountFailureReports(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const n = c.lookup(ctx.argv[2]!);
  if (n === undefined) throw new ReplyError(Err.clusterUnknownNode(ctx.argv[2]!));
  ctx.reply.int(c.failureReportsCount(n));
}

/** CLUSTER SET-CONFIG-EPOCH config-epoch */
function clusterSetConfigEpoch(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const epoch = intArg(ctx.argv[2]!);
  if (epoch < 0) throw new ReplyError(Err.clusterBadEpoch(String(epoch)));
  if (c.nodes.size > 1) throw new ReplyError(Err.clusterEpochOthers);
  if (c.myself.configEpoch !== 0) throw new ReplyError(Err.clusterEpochNonZero);
  c.myself.configEpoch = epoch;
  ctx.server.log.notice(`configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
  if (c.currentEpoch < epoch) c.currentEpoch = epoch;
  c.changed();
  ctx.reply.ok();
}

/** CLUSTER RESET [HARD|SOFT] */
function clusterReset(ctx: Ctx): void {
  const c = clusterOf(ctx);
  let hard = false;
  if (ctx.argv.length === 3) {
    const t = ctx.argv[2]!.toLowerCase();
    if (t === 'hard') hard = true;
    else if (t !== 'soft') throw new ReplyError(Err.syntax);
  } else if (ctx.argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'cluster'));
  if (c.myself.isMaster && ctx.db.size !== 0) throw new ReplyError(Err.clusterResetKeys);
  // a replica turns into an empty primary first
  if (c.myself.isSlave) {
    c.setNodeAsMaster(c.myself);
    ctx.server.replica.unsetMaster();
    emptyData(ctx.server);
  }
  c.reset(hard);
  ctx.reply.ok();
}

/** CLUSTER LINKS */
function clusterLinks(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const reply = ctx.reply;
  const links = [];
  for (const n of c.nodes.values()) {
    if (n.link !== null) links.push({ n, l: n.link });
    if (n.inboundLink !== null) links.push({ n, l: n.inboundLink });
  }
  reply.array(links.length);
  for (const { n, l } of links) {
    reply.map(6);
    reply.bulk('direction');
    reply.bulk(l.inbound ? 'from' : 'to');
    reply.bulk('node');
    reply.bulk(n.name);
    reply.bulk('create-time');
    reply.int(l.ctime);
    // (r: reading, once connected; w: messages queued, as Redis's write handler is installed then)
    reply.bulk('events');
    reply.bulk((l.connected ? 'r' : '') + (l.queuedMessages > 0 ? 'w' : ''));
    // (7.2 reports its queue's memory as both)
    reply.bulk('send-buffer-allocated');
    reply.int(l.sendQueueMem);
    reply.bulk('send-buffer-used');
    reply.int(l.sendQueueMem);
  }
}

/** CLUSTER REPLICATE node-id */
function clusterReplicate(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const n = c.lookup(ctx.argv[2]!);
  if (n === undefined) throw new ReplyError(Err.clusterUnknownNode(ctx.argv[2]!));
  if (n === c.myself) throw new ReplyError(Err.clusterReplicateMyself);
  if (n.isSlave) throw new ReplyError(Err.clusterReplicaOfReplica);
  if (c.myself.isMaster && (c.myself.numSlots !== 0 || ctx.server.dbs[0]!.size !== 0))
    throw new ReplyError(Err.clusterReplicateNotEmpty);
  c.setMaster(n);
  c.changed();
  ctx.reply.ok();
}

/** CLUSTER REPLICAS node-id (and CLUSTER SLAVES node-id) */
function clusterReplicas(ctx: Ctx): void {
  const c = clusterOf(ctx);
  const n = c.lookup(ctx.argv[2]!);
  if (n === undefined) throw new ReplyError(Err.clusterUnknownNode(ctx.argv[2]!));
  if (n.isSlave) throw new ReplyError(Err.clusterNotAMaster);
  ctx.reply.array(n.replicas.length);
  const tlsInfo = tlsShown(ctx, c);
  for (const r of n.replicas) ctx.reply.bulk(describeNode(c, r, [], false, tlsInfo));
}

/** CLUSTER FAILOVER [FORCE|TAKEOVER] */
function clusterFailover(ctx: Ctx): void {
  const c = clusterOf(ctx);
  let mode: 'default' | 'force' | 'takeover' = 'default';
  if (ctx.argv.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(ctx.argv[1]!, 'cluster'));
  if (ctx.argv.length === 3) {
    const a = ctx.argv[2]!.toLowerCase();
    if (a === 'force') mode = 'force';
    else if (a === 'takeover') mode = 'takeover';
    else throw new ReplyError(Err.syntax);
  }
  const me = c.myself;
  if (me.isMaster) throw new ReplyError(Err.clusterFailoverMaster);
  const master = me.slaveof;
  if (master === null) throw new ReplyError(Err.clusterMasterUnknown);
  if (mode === 'default' && (master.failed || master.link === null)) throw new ReplyError(Err.clusterMasterDown);
  c.failover.startManual(mode);
  ctx.reply.ok();
}

/** READONLY */
function readonly(ctx: Ctx): void {
  clusterOf(ctx);
  ctx.client.clusterReadonly = true;
  ctx.reply.ok();
}

/** READWRITE */
function readwrite(ctx: Ctx): void {
  clusterOf(ctx);
  ctx.client.clusterReadonly = false;
  ctx.reply.ok();
}

/** ASKING */
function asking(ctx: Ctx): void {
  clusterOf(ctx);
  ctx.client.asking = true;
  ctx.reply.ok();
}

const sub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  since: string,
  summary: string,
  complexity: string,
  handler: (ctx: Ctx) => void,
  extra: Partial<CommandSpec> = {},
) =>
  command({
    name,
    arity,
    flags,
    group: 'cluster',
    since,
    summary,
    complexity,
    handler,
    ...extra,
  });

const nodesComplexity = 'O(N) where N is the total number of Cluster nodes';
const ADMIN: CommandSpec['flags'] = ['no_async_loading', 'admin', 'stale'];
const nondeterministic: Partial<CommandSpec> = { tips: ['nondeterministic_output'] };
const nodeIdArg: Partial<CommandSpec> = { args: [{ name: 'node-id', type: 'string' }] };
const slotRangeArgs: Partial<CommandSpec> = {
  args: [
    {
      name: 'range',
      type: 'block',
      flags: ['multiple'],
      arguments: [
        { name: 'start-slot', type: 'integer' },
        { name: 'end-slot', type: 'integer' },
      ],
    },
  ],
};
const slotsArgs: Partial<CommandSpec> = { args: [{ name: 'slot', type: 'integer', flags: ['multiple'] }] };

export const commands: readonly CommandSpec[] = [
  command({
    name: 'cluster',
    arity: -2,
    flags: [],
    group: 'cluster',
    since: '3.0.0',
    summary: 'A container for Redis Cluster commands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'Lists the CLUSTER subcommands.', 'O(1)', clusterHelp),
      sub('info', 2, ['stale'], '3.0.0', 'Reports the state of the cluster.', 'O(1)', clusterInfo, nondeterministic),
      sub('myid', 2, ['stale'], '3.0.0', 'Returns the ID of this node.', 'O(1)', clusterMyid),
      sub(
        'myshardid',
        2,
        ['stale'],
        '7.2.0',
        'Returns the shard ID of this node.',
        'O(1)',
        clusterMyshardid,
        nondeterministic,
      ),
      sub(
        'nodes',
        2,
        ['stale'],
        '3.0.0',
        'Returns the cluster configuration of this node.',
        nodesComplexity,
        clusterNodes,
        nondeterministic,
      ),
      sub(
        'shards',
        2,
        ['loading', 'stale'],
        '7.0.0',
        'Returns the mapping of cluster slots to shards.',
        'O(N) where N is the total number of cluster nodes',
        clusterShards,
        nondeterministic,
      ),
      sub(
        'slots',
        2,
        ['loading', 'stale'],
        '3.0.0',
        'Returns the mapping of cluster slots to nodes.',
        nodesComplexity,
        clusterSlots,
        {
          tips: ['nondeterministic_output'],
          docFlags: ['deprecated'],
          deprecatedSince: '7.0.0',
          replacedBy: '`CLUSTER SHARDS`',
          history: [
            ['4.0.0', 'Added node IDs.'],
            ['7.0.0', 'Added additional networking metadata field.'],
          ],
        },
      ),
      sub('meet', -4, ADMIN, '3.0.0', 'Makes this node handshake with another one.', 'O(1)', clusterMeet, {
        args: [
          { name: 'ip', type: 'string' },
          { name: 'port', type: 'integer' },
          { name: 'cluster-bus-port', type: 'integer', flags: ['optional'], since: '4.0.0' },
        ],
        history: [['4.0.0', 'Added the optional `cluster_bus_port` argument.']],
      }),
      sub(
        'addslots',
        -3,
        ADMIN,
        '3.0.0',
        'Gives hash slots to this node.',
        'O(N) where N is the total number of hash slot arguments',
        clusterAddDelSlots,
        slotsArgs,
      ),
      sub(
        'addslotsrange',
        -4,
        ADMIN,
        '7.0.0',
        'Gives ranges of hash slots to this node.',
        'O(N) where N is the total number of the slots between the start slot and end slot arguments.',
        clusterAddDelSlotsRange,
        slotRangeArgs,
      ),
      sub(
        'delslots',
        -3,
        ADMIN,
        '3.0.0',
        'Takes hash slots from this node.',
        'O(N) where N is the total number of hash slot arguments',
        clusterAddDelSlots,
        slotsArgs,
      ),
      sub(
        'delslotsrange',
        -4,
        ADMIN,
        '7.0.0',
        'Takes ranges of hash slots from this node.',
        'O(N) where N is the total number of the slots between the start slot and end slot arguments.',
        clusterAddDelSlotsRange,
        slotRangeArgs,
      ),
      sub('flushslots', 2, ADMIN, '3.0.0', 'Takes every hash slot from this node.', 'O(1)', clusterFlushslots),
      sub(
        'setslot',
        -4,
        ADMIN,
        '3.0.0',
        'Binds a hash slot to a node, or marks it migrating or importing.',
        'O(1)',
        clusterSetslot,
        {
          args: [
            { name: 'slot', type: 'integer' },
            {
              name: 'subcommand',
              type: 'oneof',
              arguments: [
                { name: 'importing', display_text: 'node-id', type: 'string', token: 'IMPORTING' },
                { name: 'migrating', display_text: 'node-id', type: 'string', token: 'MIGRATING' },
                { name: 'node', display_text: 'node-id', type: 'string', token: 'NODE' },
                { name: 'stable', type: 'pure-token', token: 'STABLE' },
              ],
            },
          ],
        },
      ),
      sub(
        'bumpepoch',
        2,
        ADMIN,
        '3.0.0',
        'Moves the cluster config epoch forward.',
        'O(1)',
        clusterBumpepoch,
        nondeterministic,
      ),
      sub('saveconfig', 2, ADMIN, '3.0.0', 'Writes the cluster configuration to disk.', 'O(1)', clusterSaveconfig),
      sub(
        'count-failure-reports',
        3,
        ['admin', 'stale'],
        '3.0.0',
        'Returns how many failure reports are active about a node.',
        'O(N) where N is the number of failure reports',
        clusterCountFailureReports,
        {
          ...nondeterministic,
          ...nodeIdArg,
        },
      ),
      sub(
        'countkeysinslot',
        3,
        ['stale'],
        '3.0.0',
        'Returns the number of keys in a hash slot.',
        'O(1)',
        clusterCountkeysinslot,
        {
          args: [{ name: 'slot', type: 'integer' }],
        },
      ),
      sub(
        'getkeysinslot',
        4,
        ['stale'],
        '3.0.0',
        'Returns key names in a hash slot.',
        'O(N) where N is the number of requested keys',
        clusterGetkeysinslot,
        {
          ...nondeterministic,
          args: [
            { name: 'slot', type: 'integer' },
            { name: 'count', type: 'integer' },
          ],
        },
      ),
      sub('forget', 3, ADMIN, '3.0.0', 'Removes a node from the known nodes.', 'O(1)', clusterForget, nodeIdArg),
      sub(
        'set-config-epoch',
        3,
        ADMIN,
        '3.0.0',
        'Sets the config epoch of a new node.',
        'O(1)',
        clusterSetConfigEpoch,
        {
          args: [{ name: 'config-epoch', type: 'integer' }],
        },
      ),
      sub(
        'links',
        2,
        ['stale'],
        '7.0.0',
        'Lists the TCP links to and from other nodes.',
        nodesComplexity,
        clusterLinks,
        nondeterministic,
      ),
      sub(
        'replicate',
        3,
        ADMIN,
        '3.0.0',
        'Makes this node a replica of a primary.',
        'O(1)',
        clusterReplicate,
        nodeIdArg,
      ),
      sub(
        'replicas',
        3,
        ['admin', 'stale'],
        '5.0.0',
        'Lists the replicas of a primary.',
        'O(N) where N is the number of replicas.',
        clusterReplicas,
        {
          ...nondeterministic,
          ...nodeIdArg,
        },
      ),
      sub(
        'slaves',
        3,
        ['admin', 'stale'],
        '3.0.0',
        'Lists the replicas of a primary.',
        'O(N) where N is the number of replicas.',
        clusterReplicas,
        {
          ...nondeterministic,
          ...nodeIdArg,
          docFlags: ['deprecated'],
          deprecatedSince: '5.0.0',
          replacedBy: '`CLUSTER REPLICAS`',
        },
      ),
      sub('failover', -2, ADMIN, '3.0.0', 'Makes a replica take over from its primary.', 'O(1)', clusterFailover, {
        args: [
          {
            name: 'options',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'force', type: 'pure-token', token: 'FORCE' },
              { name: 'takeover', type: 'pure-token', token: 'TAKEOVER' },
            ],
          },
        ],
      }),
      // (declared for its flags: a script may not call it, whatever the mode)
      sub(
        'reset',
        -2,
        ['admin', 'stale', 'noscript'],
        '3.0.0',
        'Resets a cluster node.',
        'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.',
        clusterReset,
        {
          args: [
            {
              name: 'reset-type',
              type: 'oneof',
              flags: ['optional'],
              arguments: [
                { name: 'hard', type: 'pure-token', token: 'HARD' },
                { name: 'soft', type: 'pure-token', token: 'SOFT' },
              ],
            },
          ],
        },
      ),
      sub(
        'keyslot',
        3,
        ['stale'],
        '3.0.0',
        'Returns the hash slot of a key.',
        'O(N) where N is the number of bytes in the key',
        clusterKeyslot,
        {
          args: [{ name: 'key', type: 'string' }],
        },
      ),
    ],
  }),
  command({
    name: 'readonly',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: 'Lets a connection read from a cluster replica.',
    complexity: 'O(1)',
    handler: readonly,
  }),
  command({
    name: 'readwrite',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: "Ends a connection's reads from a cluster replica.",
    complexity: 'O(1)',
    handler: readwrite,
  }),
  command({
    name: 'asking',
    arity: 1,
    flags: ['fast'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: 'Marks the next command as allowed on a slot being imported.',
    complexity: 'O(1)',
    handler: asking,
  }),
];

/**
 * The cluster gate (Redis's getNodeByQuery and clusterRedirectClient): which
 * node must serve a command, from its keys, and the error that redirects
 * the client when it is not this one (-MOVED, -ASK, -TRYAGAIN, -CROSSSLOT,
 * -CLUSTERDOWN). The dispatcher calls it after ACL and before the memory
 * gate, only in cluster mode, only for commands that can take keys (and
 * EXEC); scripts' commands go through scriptCheck().
 *
 * Keys are found as Redis finds them for cluster routing (its
 * getKeysFromCommand): a command's own key-finding function when it has
 * one, else its legacy first/last/step range (which counts a shard
 * channel: SPUBLISH, SSUBSCRIBE route by slot).
 */
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { CommandSpec } from '../commands/spec.js';
import { keysFromSpecs, legacyKeyRange, hasMovableKeys } from '../commands/keys-of.js';
import { callFlags } from '../server/dispatcher.js';
import { keyHashSlot } from './slot.js';
import { CLUSTER_OK, type Cluster } from './cluster.js';
import type { ClusterNode } from './node.js';
import { Err } from '../protocol/errors.js';

export const REDIR_NONE = 0;
export const REDIR_CROSS_SLOT = 1;
export const REDIR_UNSTABLE = 2;
export const REDIR_ASK = 3;
export const REDIR_MOVED = 4;
export const REDIR_DOWN_STATE = 5;
export const REDIR_DOWN_UNBOUND = 6;
export const REDIR_DOWN_RO_STATE = 7;

/** What getNodeByQuery decided: the node (null: an error), the error code, the slot of the keys (-1: none). */
export interface Route {
  node: ClusterNode | null;
  code: number;
  slot: number;
}

/** The argv positions of a command's keys for cluster routing (Redis's getKeysFromCommand). */
export function routingKeys(cmd: CommandSpec, argv: readonly string[]): number[] {
  if (cmd.getKeys !== undefined) {
    const got = cmd.getKeys(argv as string[]);
    return got.map((k) => (typeof k === 'number' ? k : k.pos));
  }
  const [first, lastDecl, step] = legacyKeyRange(cmd);
  if (first === 0) {
    if (!hasMovableKeys(cmd)) return [];
    return (keysFromSpecs(cmd, argv, true) ?? []).map((k) => k.pos);
  }
  const last = lastDecl < 0 ? argv.length + lastDecl : lastDecl;
  // a short argument list gives no keys: the command reports its own error
  if (last >= argv.length || first >= argv.length) return [];
  const out: number[] = [];
  for (let i = first; i <= last; i += step || 1) out.push(i);
  return out;
}

/** Whether the dispatcher's gate looks at this command: it can take keys, or it is EXEC. */
export function routed(cmd: CommandSpec, top: CommandSpec): boolean {
  return (
    top.name === 'exec' ||
    (cmd.keySpecs ?? []).length !== 0 ||
    cmd.getKeys !== undefined ||
    cmd.flags.includes('movablekeys')
  );
}

const PUBSUB_SHARD = new Set(['ssubscribe', 'sunsubscribe', 'spublish']);

/** localSlot's answer when only getNodeByQuery can decide. */
export const ROUTE_SLOW = -2;

/**
 * The common case of getNodeByQuery without its allocations: a command (not
 * EXEC, not a subcommand, no key-finding function) whose keys, found by its
 * legacy key range, all hash to one slot that this node serves, stable
 * (neither migrating nor importing), with the cluster ok. Returns that slot
 * (-1: the arguments hold no key), or ROUTE_SLOW when anything else may
 * apply; getNodeByQuery decides the same in these cases (its owner is
 * myself and no branch before the last one is taken). The dispatcher's
 * cluster gate calls it first.
 */
export function localSlot(cluster: Cluster, cmd: CommandSpec, argv: readonly string[]): number {
  if (cmd.getKeys !== undefined || cluster.state !== CLUSTER_OK) return ROUTE_SLOW;
  const range = (cmd.legacy ?? { range: legacyKeyRange(cmd) }).range;
  const first = range[0];
  if (first === 0) return ROUTE_SLOW;
  const last = range[1] < 0 ? argv.length + range[1] : range[1];
  if (last >= argv.length || first >= argv.length) return -1;
  const step = range[2] || 1;
  const slot = keyHashSlot(argv[first]!);
  for (let i = first + step; i <= last; i += step) if (keyHashSlot(argv[i]!) !== slot) return ROUTE_SLOW;
  if (
    cluster.slots[slot] !== cluster.myself ||
    cluster.migratingTo[slot] !== null ||
    cluster.importingFrom[slot] !== null
  )
    return ROUTE_SLOW;
  return slot;
}

/**
 * Redis's getNodeByQuery for one command (or EXEC's queue): the node to
 * serve it and why not this one. `asking`: the client sent ASKING (or the
 * command is flagged `asking`).
 */
export function getNodeByQuery(
  server: Server,
  cluster: Cluster,
  client: Client,
  cmd: CommandSpec,
  parent: CommandSpec | undefined,
  argv: string[],
): Route {
  const top = parent ?? cmd;
  const queue =
    top.name === 'exec'
      ? client.multiQueue === null
        ? null
        : client.multiQueue.map((q) => ({ cmd: q.cmd, argv: q.argv }))
      : [{ cmd, argv }];
  if (queue === null) return { node: cluster.myself, code: REDIR_NONE, slot: -1 };
  const isPubsubShard = PUBSUB_SHARD.has(top.name);
  let n: ClusterNode | null = null;
  let firstKey: string | null = null;
  let slot = 0;
  let migrating = false;
  let importing = false;
  let multipleKeys = false;
  let missing = 0;
  let existing = 0;
  const db = server.dbs[0]!;
  for (const q of queue) {
    for (const pos of routingKeys(q.cmd, q.argv)) {
      const key = q.argv[pos]!;
      const thisSlot = keyHashSlot(key);
      if (firstKey === null) {
        firstKey = key;
        slot = thisSlot;
        n = cluster.ownerOf(slot);
        if (n === null) return { node: null, code: REDIR_DOWN_UNBOUND, slot };
        if (n === cluster.myself && cluster.migratingTo[slot] !== null) migrating = true;
        else if (cluster.importingFrom[slot] !== null) importing = true;
      } else {
        if (slot !== thisSlot) return { node: null, code: REDIR_CROSS_SLOT, slot };
        if (importing && !multipleKeys && key !== firstKey) multipleKeys = true;
      }
      if ((migrating || importing) && !isPubsubShard) {
        if (db.peek(key) === undefined) missing++;
        else existing++;
      }
    }
  }
  if (n === null) return { node: cluster.myself, code: REDIR_NONE, slot: -1 };
  const flags = callFlags(server, cmd, argv);
  const write =
    flags.includes('write') ||
    (top.name === 'exec' && (client.multiQueue ?? []).some((q) => callFlags(server, q.cmd, q.argv).includes('write')));
  if (cluster.state !== CLUSTER_OK) {
    if (isPubsubShard) {
      if (!server.config.v['cluster-allow-pubsubshard-when-down']) return { node: null, code: REDIR_DOWN_STATE, slot };
    } else if (!server.config.v['cluster-allow-reads-when-down']) return { node: null, code: REDIR_DOWN_STATE, slot };
    else if (flags.includes('write')) return { node: null, code: REDIR_DOWN_RO_STATE, slot };
  }
  if ((migrating || importing) && top.name === 'migrate') return { node: cluster.myself, code: REDIR_NONE, slot };
  if (migrating && missing) {
    if (existing) return { node: null, code: REDIR_UNSTABLE, slot };
    return { node: cluster.migratingTo[slot]!, code: REDIR_ASK, slot };
  }
  if (importing && (client.asking || flags.includes('asking'))) {
    if (multipleKeys && missing) return { node: null, code: REDIR_UNSTABLE, slot };
    return { node: cluster.myself, code: REDIR_NONE, slot };
  }
  const me = cluster.myself;
  if ((client.clusterReadonly || isPubsubShard) && !write && me.isSlave && me.slaveof === n)
    return { node: me, code: REDIR_NONE, slot };
  return { node: n, code: n !== me ? REDIR_MOVED : REDIR_NONE, slot };
}

/**
 * The error a client gets for a route that is not this node
 * (clusterRedirectClient). `tlsInfo`: the client is shown TLS ports
 * (Cluster.tlsInfoFor): a -MOVED / -ASK names the node's TLS port to a TLS
 * client and its plaintext port to a plaintext one.
 */
export function redirectError(cluster: Cluster, r: Route, tlsInfo: boolean): string {
  switch (r.code) {
    case REDIR_CROSS_SLOT:
      return Err.crossSlot;
    case REDIR_UNSTABLE:
      return Err.tryAgain;
    case REDIR_DOWN_STATE:
      return Err.clusterDown;
    case REDIR_DOWN_RO_STATE:
      return Err.clusterDownReadOnly;
    case REDIR_DOWN_UNBOUND:
      return Err.clusterDownUnbound;
    default: {
      const n = r.node!;
      const port = cluster.portFor(n, tlsInfo);
      return `${r.code === REDIR_ASK ? 'ASK' : 'MOVED'} ${r.slot} ${cluster.preferredEndpoint(n)}:${port}`;
    }
  }
}

/**
 * A script's command in cluster mode (Redis's scriptVerifyClusterState): the
 * error text when it may not run here, else null. The first slot a script
 * touches is remembered on its caller (`caller.slot`, set by the gate from
 * the declared keys); an undeclared key in another slot is refused unless
 * the script allows cross-slot keys.
 */
export function scriptCheck(
  server: Server,
  cluster: Cluster,
  caller: Client,
  scriptClient: Client,
  cmd: CommandSpec,
  parent: CommandSpec | undefined,
  argv: string[],
  allowCrossSlot: boolean,
): string | null {
  scriptClient.asking = caller.asking;
  scriptClient.clusterReadonly = caller.clusterReadonly;
  const r = getNodeByQuery(server, cluster, scriptClient, cmd, parent, argv);
  if (r.node !== cluster.myself) {
    if (r.code === REDIR_DOWN_RO_STATE) return Err.scriptClusterDownRo;
    if (r.code === REDIR_DOWN_STATE) return Err.scriptClusterDown;
    return Err.scriptNonLocalKey;
  }
  if (r.slot !== -1 && !allowCrossSlot) {
    if (caller.slot === -1) caller.slot = r.slot;
    else if (caller.slot !== r.slot) return Err.scriptCrossSlot;
  }
  return null;
}

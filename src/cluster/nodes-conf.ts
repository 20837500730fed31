/**
 * nodes.conf, in Redis 7.2's format, and the node lines CLUSTER NODES
 * prints (the same lines without the aux fields):
 *
 *   <id> <ip>:<port>@<cport>[,<hostname>[,tls-port=0,nodename=..,shard-id=..]] <flags> <master|-> <ping-sent> <pong-recv> <config-epoch> <connected|disconnected> <slot ranges> [<slot>->-<id>] [<slot>-<-<id>]
 *   vars currentEpoch <n> lastVoteEpoch <n>
 *
 * Loading reads what Redis's clusterLoadConfig reads and, as it, refuses a
 * file it cannot parse (a line cut short by a crash, with fewer than eight
 * fields) with "Unrecoverable error: corrupted cluster config file" and the
 * line: the server does not start (serve.ts exits 1).
 */
import process from 'node:process';
import fs from 'node:fs';
import type { Cluster } from './cluster.js';
import { CLUSTER_SLOTS } from './slot.js';
import { ClusterNode, NODE_FAIL, NODE_MYSELF, flagsText, parseFlags } from './node.js';
import { splitArgs } from '../protocol/parser.js';
import { strerror } from '../config/file.js';

/** nodes.conf could not be parsed or locked: the message is Redis's log line. */
export class NodesConfError extends Error {}

/**
 * The lock that keeps a second server off a nodes.conf in use (Redis's
 * clusterLockConfig), taken before the file is read. Redis creates nodes.conf
 * and flock()s it; Node has no flock, so tsdis creates nodes.conf too and
 * then a lock file beside it, `<nodes.conf>.lock`, exclusively (O_EXCL),
 * holding its pid and the process's start time (from /proc, where there is
 * one). A lock file whose process is gone, a zombie, or another process
 * that took its pid (a different start time) is stale and taken over, so a
 * server killed with SIGKILL does not keep its successor out, as flock's
 * lock dies with the process. `shown`: the file as Redis names it (the
 * cluster-config-file setting). Returns the release (the lock file removed
 * if it is still ours; a no-op after). Throws NodesConfError with Redis's
 * lines: "Can't open ... in order to acquire a lock: ..." or "Sorry, the
 * cluster configuration file ... is already used by a different Redis
 * Cluster node. ...".
 */
export function lockNodesConf(file: string, shown: string): () => void {
  try {
    fs.closeSync(fs.openSync(file, 'a', 0o644));
  } catch (e) {
    throw new NodesConfError(`Can't open ${shown} in order to acquire a lock: ${strerror(e)}`);
  }
  const lockFile = `${file}.lock`;
  const mine = `${process.pid} ${processStartTime(process.pid)}\n`;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lockFile, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2)
        throw new NodesConfError(`Impossible to lock ${shown}: ${strerror(e)}`);
      let held = '';
      try {
        held = fs.readFileSync(lockFile, 'latin1');
      } catch {
        continue; // (released meanwhile)
      }
      if (lockHolderAlive(held))
        throw new NodesConfError(
          `Sorry, the cluster configuration file ${shown} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files.`,
        );
      try {
        // (a stale lock: removed only if it still is the one just read)
        if (fs.readFileSync(lockFile, 'latin1') === held) fs.unlinkSync(lockFile);
      } catch {
        // gone already
      }
      continue;
    }
    try {
      fs.writeSync(fd, mine);
    } finally {
      fs.closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        if (fs.readFileSync(lockFile, 'latin1') === mine) fs.unlinkSync(lockFile);
      } catch {
        // gone already
      }
    };
  }
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or '' without /proc. */
function processStartTime(pid: number): string {
  const st = procStat(pid);
  return st === null ? '' : (st[19] ?? '');
}

/** The fields of /proc/<pid>/stat after the command name (state first), or null. */
function procStat(pid: number): string[] | null {
  try {
    const t = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return t.slice(t.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Whether the "pid starttime" a lock file holds names a live process (not a zombie, not a successor on that pid). */
function lockHolderAlive(held: string): boolean {
  const [pidText = '', start = ''] = held.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  if (st === null) return true; // (no /proc: kill(pid, 0) is all there is)
  if (st[0] === 'Z' || st[0] === 'X') return false;
  return start === '' || st[19] === start;
}

/**
 * One node's line (clusterGenNodeDescription). `pairs`: its slot ranges
 * (start, end, ...) from the slot table; `aux`: nodes.conf's form (hostname
 * field always present, aux fields) rather than CLUSTER NODES'; `tlsInfo`:
 * the port shown is the TLS one (for a TLS client; nodes.conf always has
 * the plaintext one there and the TLS one in `tls-port=`), the other port
 * going to the aux field.
 */
export function describeNode(
  cluster: Cluster,
  n: ClusterNode,
  pairs: readonly number[],
  aux: boolean,
  tlsInfo: boolean,
): string {
  let s = `${n.name} ${n.ip}:${tlsInfo ? n.tlsPort : n.tcpPort}@${n.cport}`;
  if (n.hostname !== '') s += `,${n.hostname}`;
  if (aux) {
    if (n.hostname === '') s += ',';
    s += tlsInfo ? `,tcp-port=${n.tcpPort}` : `,tls-port=${n.tlsPort}`;
    if (n.humanNodename !== '') s += `,nodename=${n.humanNodename}`;
    s += `,shard-id=${n.shardId}`;
  }
  s += ` ${flagsText(n.flags)} ${n.slaveof !== null ? n.slaveof.name : '-'}`;
  const epoch = n.isSlave && n.slaveof !== null ? n.slaveof.configEpoch : n.configEpoch;
  s += ` ${n.pingSent} ${n.pongReceived} ${epoch} ${n.link !== null || n.flags & NODE_MYSELF ? 'connected' : 'disconnected'}`;
  for (let i = 0; i < pairs.length; i += 2) {
    const a = pairs[i]!;
    const b = pairs[i + 1]!;
    s += a === b ? ` ${a}` : ` ${a}-${b}`;
  }
  if (n.flags & NODE_MYSELF) {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      const to = cluster.migratingTo[j];
      const from = cluster.importingFrom[j];
      if (to) s += ` [${j}->-${to.name}]`;
      else if (from) s += ` [${j}-<-${from.name}]`;
    }
  }
  return s;
}

/** C's atoi on a field (leading digits, 0 when none). */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/**
 * Loads nodes.conf into `cluster` (Redis's clusterLoadConfig). Returns
 * false when there is no file or it is empty (a new node); throws
 * NodesConfError (Redis's log line) when it cannot be parsed.
 */
export function loadNodesConf(cluster: Cluster, file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new NodesConfError(`Loading the cluster node config from ${file}: ${(e as Error).message}`);
  }
  if (text.length === 0) return false;
  const now = Date.now();
  const corrupted = (line: string) =>
    new NodesConfError(`Unrecoverable error: corrupted cluster config file "${line}".`);
  let myself: ClusterNode | null = null;
  const lines = text.split(/(?<=\n)/);
  let last = '';
  for (const line of lines) {
    last = line;
    if (line === '\n' || line === '') continue;
    const argv = splitArgs(line.replace(/\n$/, ''));
    if (argv === null || argv.length === 0) throw corrupted(line);
    if (argv[0]!.toLowerCase() === 'vars') {
      if (argv.length % 2 === 0) throw corrupted(line);
      for (let j = 1; j < argv.length; j += 2) {
        const k = argv[j]!.toLowerCase();
        if (k === 'currentepoch') cluster.currentEpoch = atoi(argv[j + 1]!);
        else if (k === 'lastvoteepoch') cluster.lastVoteEpoch = atoi(argv[j + 1]!);
      }
      continue;
    }
    if (argv.length < 8) throw corrupted(line);
    const name = argv[0]!;
    if (name.length !== 40) throw corrupted(line);
    let n = cluster.lookup(name);
    if (n === undefined) {
      n = new ClusterNode(name, 0, now);
      cluster.addNode(n);
    }
    // address, hostname, aux fields
    const aux = argv[1]!.split(',');
    if (aux.length > 1 && aux[1] !== '') n.hostname = aux[1]!;
    let auxTcp = false;
    let auxTls = false;
    for (let i = 2; i < aux.length; i++) {
      const eq = aux[i]!.indexOf('=');
      if (eq < 0) throw corrupted(line);
      const field = aux[i]!.slice(0, eq);
      const value = aux[i]!.slice(eq + 1);
      if (field === 'shard-id') {
        if (value.length !== 40) throw corrupted(line);
        n.shardId = value;
      } else if (field === 'nodename') n.humanNodename = value;
      else if (field === 'tcp-port') {
        n.tcpPort = atoi(value);
        auxTcp = true;
      } else if (field === 'tls-port') {
        n.tlsPort = atoi(value);
        auxTls = true;
      }
    }
    const addr = aux[0]!;
    const colon = addr.lastIndexOf(':');
    if (colon < 0) throw corrupted(line);
    n.ip = addr.slice(0, colon);
    const portPart = addr.slice(colon + 1);
    const at = portPart.indexOf('@');
    // the address's port is the one no aux field names; in a file without either (before 7.2), the
    // client port of the bus's kind, as 7.0 wrote it
    const port = atoi(at >= 0 ? portPart.slice(0, at) : portPart);
    if (!auxTcp && !auxTls) {
      if (cluster.tlsCluster) n.tlsPort = port;
      else n.tcpPort = port;
    } else if (!auxTcp) n.tcpPort = port;
    else if (!auxTls) n.tlsPort = port;
    n.cport = at >= 0 ? atoi(portPart.slice(at + 1)) : cluster.defaultPortOf(n) + 10000;
    // flags
    n.flags = parseFlags(argv[2]!);
    if (n.flags & NODE_MYSELF) {
      if (myself !== null && myself !== n) throw corrupted(line);
      myself = n;
    }
    if (n.flags & NODE_FAIL) n.failTime = now;
    // primary
    if (argv[3] !== '-') {
      let master = cluster.lookup(argv[3]!);
      if (master === undefined) {
        master = new ClusterNode(argv[3]!, 0, now);
        cluster.addNode(master);
      }
      n.slaveof = master;
      master.addReplica(n);
    }
    if (atoi(argv[4]!)) n.pingSent = now;
    if (atoi(argv[5]!)) n.pongReceived = now;
    n.configEpoch = n.isSlave && n.slaveof !== null ? 0 : atoi(argv[6]!);
    // slots
    for (let j = 8; j < argv.length; j++) {
      const a = argv[j]!;
      if (a.startsWith('[')) {
        const dash = a.indexOf('-');
        if (dash < 0) throw corrupted(line);
        const slot = atoi(a.slice(1, dash));
        const dir = a[dash + 1];
        const id = a.slice(dash + 3, a.indexOf(']') < 0 ? undefined : a.indexOf(']'));
        if (slot < 0 || slot >= CLUSTER_SLOTS || a.indexOf(']') < 0 || id.length !== 40) throw corrupted(line);
        let cn = cluster.lookup(id);
        if (cn === undefined) {
          cn = new ClusterNode(id, 0, now);
          cluster.addNode(cn);
        }
        if (dir === '>') cluster.migratingTo[slot] = cn;
        else cluster.importingFrom[slot] = cn;
        continue;
      }
      const dash = a.indexOf('-');
      const start = atoi(dash >= 0 ? a.slice(0, dash) : a);
      const stop = dash >= 0 ? atoi(a.slice(dash + 1)) : start;
      if (start < 0 || start >= CLUSTER_SLOTS || stop < 0 || stop >= CLUSTER_SLOTS) throw corrupted(line);
      for (let s = start; s <= stop; s++) cluster.addSlot(n, s);
    }
  }
  if (myself === null) throw corrupted(last);
  cluster.myself = myself;
  return true;
}

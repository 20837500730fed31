/**
 * The one gatekeeper. Every command passes these checks, in Redis's order,
 * each driven by the command table: lookup, arity, then (except for a client
 * that must be obeyed: the AOF loader) authentication, ACL, the cluster
 * redirect (cluster mode only: cluster/redirect.ts), memory (client
 * eviction, maxmemory: evict or -OOM), the tracking table limit, a failed
 * save or AOF write (MISCONF), min-replicas (NOREPLICAS), a monitor touching
 * the keyspace, RESP2 pub/sub mode, loading, busy script, CLIENT PAUSE
 * (postpone), the Lua VM's first load (hold), MULTI queueing, with the
 * read-only replica gate after NOREPLICAS and the stale-data gate
 * (MASTERDOWN) before loading, as in Redis's processCommand; then the call,
 * then the stats (commandstats, slowlog, latency events) and the MONITOR
 * feed. Handlers hold semantics only; they throw ReplyError for errors.
 */
import { performance } from 'node:perf_hooks';
import { Err, ReplyError } from '../protocol/errors.js';
import { ProtocolError } from '../protocol/parser.js';
import { BATCH_COMMANDS, BATCH_KEYS, type KeyBatch } from '../keyspace/key-batch.js';
import { keptRanges, pushFrames } from '../protocol/writer.js';
import { fullName, lookupSub } from '../commands/registry.js';
import { Ctx, type CommandFlag, type CommandSpec } from '../commands/spec.js';
import type { Client } from './client.js';
import { isLocalClient } from '../observability/clientlist.js';
import { recordLatency } from '../observability/latency.js';
import type { CommandStat } from '../observability/stats.js';
import type { Server } from './server.js';
import { discardTransaction, runsInMulti } from './multi.js';
import { persist, savePoints } from '../persistence/snapshot.js';
import { EVICT_FAIL } from '../keyspace/evict.js';
import type { YesNoLocalParam } from '../config/params.js';
import { vmLoaded } from '../scripting/lua.js';
import { getNodeByQuery, localSlot, redirectError, routed, ROUTE_SLOW } from '../cluster/redirect.js';

/** Runs one command for a client; its reply is appended to client.reply. */
export function dispatch(server: Server, client: Client, argv: string[]): void {
  if (client.replica !== null && !client.monitor) dispatchReplica(server, client, argv);
  else if (client.replyOff || client.replySkip) dispatchSilenced(server, client, argv);
  else dispatchCommand(server, client, argv);
  // CLIENT CACHING YES|NO applies to the next command only (MULTI: to the transaction).
  if (client.trackingCaching && client.multiQueue === null && argv[0]!.toLowerCase() !== 'client')
    client.trackingCaching = false;
  // ASKING applies to the next command only (in MULTI: until EXEC), as Redis's resetClient clears it
  if (client.asking && client.multiQueue === null && argv[0]!.toLowerCase() !== 'asking') client.asking = false;
  // Clients blocked on keys this command filled are served now (handleClientsBlockedOnKeys), but not
  // while a busy script runs: what it pushed so far is not theirs yet (Redis's isInsideYieldingLongCommand).
  if (server.blocking.ready.length !== 0 && server.busyScript === null) server.blocking.handleReady();
}

/**
 * A command from a replica (a client after SYNC/PSYNC): its link carries
 * the replication stream, never replies, so a command that makes one
 * (anything but REPLCONF ACK) has its reply dropped and the replica closed
 * (replication/primary.ts repliedToReplica).
 */
function dispatchReplica(server: Server, client: Client, argv: string[]): void {
  const reply = client.reply;
  const mark = reply.out.length;
  dispatchCommand(server, client, argv);
  if (reply.out.length === mark) return;
  const error = reply.out.charCodeAt(mark) === 45; // '-'
  server.repl.primary.repliedToReplica(client, argv, error ? reply.lastError : null);
}

/**
 * CLIENT REPLY OFF|SKIP: runs the command, then drops what it replied but
 * pushes (its errors still count in the stats, as in Redis). CLIENT REPLY ON run here
 * turns replies back on before it replies, so its OK is kept.
 */
function dispatchSilenced(server: Server, client: Client, argv: string[]): void {
  const reply = client.reply;
  const mark = reply.out.length;
  reply.keep = null;
  dispatchCommand(server, client, argv);
  // held by CLIENT PAUSE or for the VM: the skip applies when the command runs
  if (server.pause.holds(client) || server.vmGate.holds(client)) return;
  // pushes still go out, as in Redis (CLIENT_PUSHING): RESP3 push frames (confirmations,
  // messages, invalidations), and in RESP2 the (un)subscribe confirmations (Reply.keep)
  if (client.replyOff || client.replySkip) {
    const out = reply.out;
    const keep = reply.keep;
    reply.out = out.slice(0, mark) + (keep !== null ? keptRanges(out, keep) : '') + pushFrames(out, mark);
  }
  reply.keep = null;
  client.replySkip = client.replySkipNext;
  client.replySkipNext = false;
}

/** `POST` or `Host:`, in any case: the first word of an HTTP request line or header that Redis refuses. */
function isHttpLine(name: string): boolean {
  const n = name.length;
  return (n === 4 && name.toLowerCase() === 'post') || (n === 5 && name.toLowerCase() === 'host:');
}

/** Whether a protected command (DEBUG) may run: its parameter is yes, or local and the client is local. */
function protectedAllowed(server: Server, client: Client, param: YesNoLocalParam): boolean {
  const v = server.config.v[param];
  if (v === 'yes') return true;
  return v === 'local' && isLocalClient(client);
}

/**
 * Reads a pipeline ahead (keyspace/key-batch.ts): parses up to
 * BATCH_COMMANDS of the client's buffered commands at once, puts the keys
 * of each (the command table's key range) in the server's KeyBatch, and
 * has the client's db read their dict entries together (and those of the
 * members the commands name in one big hash, set or sorted set:
 * addMembers). The first command whose range names no key (AUTH, SELECT,
 * CLIENT, MULTI, EVALSHA, ...) is the batch's last, as is a protocol
 * error: what such a command changes (the db, the parser's limits for a
 * client that must authenticate) applies to the commands after it, parsed
 * after it runs as without a batch. Only for an authenticated client
 * (processInput decides).
 */
export function readAhead(server: Server, client: Client): void {
  const parser = client.parser;
  const batch = server.keyBatch;
  batch.clear();
  for (let k = 0; k < BATCH_COMMANDS && batch.n < BATCH_KEYS; k++) {
    const argv = parser.parseAhead();
    if (argv === null || argv instanceof ProtocolError) break;
    batch.addCommand();
    const cmd = commandOf(server, client, argv[0]!);
    if (cmd === undefined || cmd.subcommands !== undefined) break;
    const range = cmd.legacy!.range;
    const first = range[0];
    const step = range[2];
    if (first <= 0 || step <= 0 || argv.length <= first) break;
    const end = rangeLast(range[1], argv.length);
    const start = batch.n;
    for (let i = first; i <= end && batch.add(argv[i]!); i += step);
    const members = cmd.members;
    if (members !== undefined && batch.n > start) addMembers(batch, argv, members, start);
  }
  if (batch.n > 1 || batch.nm > 1) client.db.prefetch();
}

/** The last argument of a (first, last, step) range in `argc` arguments: a negative last counts from the end. */
function rangeLast(last: number, argc: number): number {
  return last < 0 ? argc + last : Math.min(last, argc - 1);
}

/**
 * readAhead for a command naming members of the collection at argv[1]
 * (CommandSpec.members), whose hash is the batch's key `at`: its members
 * go in the batch when it names the collection the batch's first such
 * command named (Db.prefetch reads them when that collection is big).
 */
function addMembers(batch: KeyBatch, argv: string[], members: readonly [number, number, number], at: number): void {
  const key = argv[1]!;
  if (batch.memberKey === null) {
    batch.memberKey = key;
    batch.memberKeyHash = batch.hashes[at]!;
  } else if (batch.memberKey !== key) return;
  const end = rangeLast(members[1], argv.length);
  for (let i = members[0]; i <= end && batch.addMember(argv[i]!); i += members[2]);
}

/**
 * The command named `name`, through a one-entry cache per connection:
 * clients mostly repeat a command, and comparing with the last name is
 * cheaper than hashing a fresh string. A hit stores nothing: the fresh name
 * is a young string and the client an old object, so storing it took the
 * write barrier's slow path, twice a command in a pipeline (readAhead's
 * lookup and dispatchCommand's).
 */
function commandOf(server: Server, client: Client, name: string): CommandSpec | undefined {
  if (name === client.cmdCacheName) return client.cmdCacheSpec;
  const table = server.commands;
  let cmd = table.lookup(name);
  // What must be obeyed (the AOF) names commands as tsdis wrote them, whatever rename-command says.
  if (cmd === undefined && client.mustObey) cmd = table.lookupOrOriginal(name);
  if (cmd !== undefined) {
    client.cmdCacheName = name;
    client.cmdCacheSpec = cmd;
  }
  return cmd;
}

function dispatchCommand(server: Server, client: Client, argv: string[]): void {
  const reply = client.reply;
  const name = argv[0]!;
  let cmd = commandOf(server, client, name);
  if (cmd === undefined) {
    // An HTTP request sent to this port (cross protocol scripting): its POST or
    // Host: line ends the connection, as Redis checks first in processCommand
    // (here only when the lookup failed: neither is a command, so the hot path pays nothing).
    if (client.kind !== 'internal' && isHttpLine(name)) {
      server.conns.securityWarning(client);
      return;
    }
    client.lastCmd = 'NULL'; // CLIENT LIST cmd=, as Redis's lastcmd after a failed lookup
    reply.error(Err.unknownCommand(argv[0]!, argv.slice(1)));
    server.stats.totalCommandsRejected++;
    if (client.multiQueue !== null) client.multiError = true;
    return;
  }
  let parent: CommandSpec | undefined;
  if (cmd.subcommands) {
    if (argv.length >= 2) {
      const sub = lookupSub(cmd, argv[1]!);
      if (sub === undefined) {
        reject(server, client, cmd, Err.unknownSubcommand(argv[1]!, cmd.name), undefined);
        client.lastCmd = 'NULL';
        return;
      }
      parent = cmd;
      cmd = sub;
    }
  }
  const arity = cmd.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
    reject(server, client, cmd, Err.wrongArgs(fullName(cmd, parent)), parent);
    return;
  }
  // What Redis must obey (the AOF being loaded; the primary's link later)
  // already passed every gate once: no auth, pause, OOM or read-only check refuses it.
  if (client.mustObey) {
    queueOrCall(server, client, cmd, argv, parent);
    return;
  }
  const guard = cmd.protectedBy;
  if (guard !== undefined && !protectedAllowed(server, client, guard)) {
    reject(server, client, cmd, Err.protectedCommand((parent ?? cmd).name.toUpperCase(), guard), parent);
    return;
  }
  if (!client.authenticated && !cmd.flags.includes('no_auth') && server.acl.authRequired) {
    reject(server, client, cmd, Err.noAuth, parent);
    return;
  }
  // ACL (acl/acl.ts): one field read for a user allowed everything (the default user).
  // A no_multi command in MULTI gets its own error first, as Redis checks that before ACL.
  if (!client.user.unrestricted && !(client.multiQueue !== null && (parent ?? cmd).flags.includes('no_multi'))) {
    const denied = server.acl.denial(client, cmd, parent, argv);
    if (denied !== null) {
      reject(server, client, cmd, denied, parent);
      return;
    }
  }
  // Cluster redirection (cluster/redirect.ts): MOVED, ASK, CROSSSLOT, CLUSTERDOWN, in cluster mode only.
  if (server.cluster.enabled && !clusterAdmits(server, client, cmd, argv, parent)) return;
  // Memory (Redis's evictClients and the maxmemory block of processCommand).
  if (server.memoryGate && !memoryAdmits(server, client, cmd, argv, parent)) return;
  // tracking-table-max-keys: keys over the limit are dropped, with invalidations, before the command runs.
  if (server.tracking.clients !== 0) server.tracking.limitUsedSlots(client);
  // The server's state may refuse a write (the checks read config and persistence state: writes only)
  const write = isWriteCall(server, client, cmd, argv);
  if (write || (parent ?? cmd).name === 'ping') {
    // a failed BGSAVE (stop-writes-on-bgsave-error) or AOF write: writes, and PING, are refused until one succeeds
    const diskError = diskWriteError(server);
    if (diskError !== null) {
      reject(server, client, cmd, diskError, parent);
      return;
    }
    // min-replicas-to-write: too few good replicas
    if (write && !goodReplicasOk(server)) {
      reject(server, client, cmd, Err.noReplicas, parent);
      return;
    }
    // a read-only replica: writes come from its primary only (replication/replica.ts)
    if (write && server.repl.following && server.config.v['replica-read-only']) {
      reject(server, client, cmd, Err.readonlyReplica, parent);
      return;
    }
  }
  // A replica (or a monitor, a replica to Redis) may not touch the keyspace.
  if (client.slave && touchesKeyspace(server, client, cmd, argv)) {
    reject(server, client, cmd, Err.replicaKeyspace, parent);
    return;
  }
  // RESP2 pub/sub mode: only the (un)subscribe family, PING, QUIT and RESET.
  if (client.resp === 2 && client.subscriptions !== 0 && !PUBSUB_MODE_COMMANDS.has((parent ?? cmd).name)) {
    reject(server, client, cmd, Err.pubsubContext(fullName(cmd, parent)), parent);
    return;
  }
  // A replica whose link is down with replica-serve-stale-data no: only `stale` commands run.
  if (server.replica.servingStale && staleRefused(server, client, cmd, argv)) {
    reject(server, client, cmd, Err.masterDown, parent);
    return;
  }
  // Loading the dataset: only commands flagged `loading` run.
  if (server.loading && !cmd.flags.includes('loading')) {
    reject(server, client, cmd, Err.loading, parent);
    return;
  }
  // A replica's async load (the old dataset still served): commands flagged no_async_loading get -LOADING.
  if (server.asyncLoading && cmd.flags.includes('no_async_loading')) {
    reject(server, client, cmd, Err.loading, parent);
    return;
  }
  // A script past busy-reply-threshold: only `allow_busy` commands run, and
  // SHUTDOWN only with NOSAVE (Redis's shutdownCommand).
  if (server.busyScript !== null && refusedWhileBusy(cmd, parent, argv)) {
    reject(server, client, cmd, server.busyScript.error, parent);
    return;
  }
  // CLIENT PAUSE: the command waits, with the rest of the client's input (server/pause.ts).
  if (server.pause.mode !== 0 && server.pause.covers(client, cmd, argv)) {
    server.pause.postpone(client, argv, cmd, parent);
    return;
  }
  // The Lua VM loads on first use: a command that needs it waits for it, with the rest of the client's input (scripting/vm-gate.ts).
  if ((parent ?? cmd).mayNeedVm === true && !vmLoaded() && server.vmGate.needs(client, cmd, parent, argv)) {
    server.vmGate.hold(client, argv, cmd, parent);
    return;
  }
  queueOrCall(server, client, cmd, argv, parent);
}

/**
 * The memory gate, as Redis's processCommand: clients over
 * maxmemory-clients are closed (false when that was this one: the command
 * is dropped); then, unless a script is busy, keys are evicted for
 * maxmemory (keyspace/evict.ts). When memory stays over the limit with
 * nothing left to evict, or the V8 heap is near its limit, a command that
 * may grow memory (`denyoom`; EXEC when a queued command is) is refused
 * with -OOM, and so is anything but EXEC, DISCARD, QUIT and RESET inside
 * MULTI (queueing costs memory too); the transaction then aborts. The
 * state is kept for scripts (Eviction.preCommandOom). Runs only while
 * server.memoryGate is set.
 */
function memoryAdmits(
  server: Server,
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  parent: CommandSpec | undefined,
): boolean {
  const ce = server.clientEviction;
  if (ce.limit !== 0) {
    ce.update(client, argv);
    if (ce.over) {
      ce.evict();
      if (client.closed) return false;
    }
  }
  const ev = server.evict;
  if (server.busyScript !== null || (ev.maxmemory === 0 && !ev.heapNear)) return true;
  const oom = (ev.maxmemory !== 0 && ev.perform() === EVICT_FAIL) || ev.heapNear;
  ev.preCommandOom = oom;
  if (!oom) return true;
  const top = parent ?? cmd;
  let refuse: boolean;
  if (client.multiQueue !== null && !OOM_IN_MULTI_ALLOWED.has(top.name)) {
    // (a no_multi command gets its own error from queueOrCall, as Redis checks that first)
    refuse = !top.flags.includes('no_multi');
  } else {
    refuse = callFlags(server, cmd, argv).includes('denyoom');
    if (!refuse && top.name === 'exec' && client.multiQueue !== null)
      refuse = client.multiQueue.some((q) => callFlags(server, q.cmd, q.argv).includes('denyoom'));
  }
  if (!refuse) return true;
  reject(server, client, cmd, Err.oom, parent);
  return false;
}

/**
 * The cluster gate (Redis's processCommand block around getNodeByQuery):
 * a command that can take keys, or EXEC, is served here only when this node
 * serves their slot; else the client is redirected (-MOVED, -ASK) or
 * refused (-CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN). A refused EXEC discards
 * the transaction and replies the plain error (not EXECABORT), a refused
 * command in MULTI makes EXEC abort. Records the keys' slot on the client
 * (scripts compare their undeclared keys with it). Returns false when refused.
 */
function clusterAdmits(
  server: Server,
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  parent: CommandSpec | undefined,
): boolean {
  const top = parent ?? cmd;
  client.slot = -1;
  if (!routed(cmd, top)) return true;
  const cluster = server.cluster;
  // the common case (keys of one stable slot served here) without getNodeByQuery's allocations
  if (parent === undefined && cmd.name !== 'exec') {
    const slot = localSlot(cluster, cmd, argv);
    if (slot !== ROUTE_SLOW) {
      client.slot = slot;
      return true;
    }
  }
  const r = getNodeByQuery(server, cluster, client, cmd, parent, argv);
  client.slot = r.slot;
  if (r.node === cluster.myself) return true;
  server.stats.command(cmd, parent).rejected++;
  client.lastCmd = fullName(cmd, parent);
  if (top.name === 'exec') discardTransaction(client, server.watches);
  else if (client.multiQueue !== null) client.multiError = true;
  client.reply.error(redirectError(cluster, r, cluster.tlsInfoFor(client)));
  return false;
}

/** What a client in MULTI may still run when out of memory. */
const OOM_IN_MULTI_ALLOWED = new Set(['exec', 'discard', 'quit', 'reset']);

/** MULTI: everything but EXEC, DISCARD, MULTI, WATCH, QUIT and RESET is queued; else the command runs. */
function queueOrCall(
  server: Server,
  client: Client,
  cmd: CommandSpec,
  argv: string[],
  parent: CommandSpec | undefined,
): void {
  if (client.multiQueue !== null && !runsInMulti(parent ?? cmd)) {
    if ((parent ?? cmd).flags.includes('no_multi')) {
      reject(server, client, cmd, Err.notInMulti, parent);
      return;
    }
    client.multiQueue.push({ cmd, parent, argv });
    for (const a of argv) client.multiMem += a.length + 8;
    client.lastCmd = fullName(cmd, parent);
    client.reply.simple('QUEUED');
    return;
  }
  call(server, client, cmd, argv, parent);
}

/** Whether a command is refused while a script is busy (see busyScript). */
function refusedWhileBusy(cmd: CommandSpec, parent: CommandSpec | undefined, argv: string[]): boolean {
  if (!cmd.flags.includes('allow_busy')) return true;
  return (parent ?? cmd).name === 'shutdown' && !argv.some((a, i) => i > 0 && a.toLowerCase() === 'nosave');
}

/**
 * A call's flags: the command's, or those its arguments give it (a script's
 * declared flags for EVAL and FCALL: CommandSpec.flagsFor). Read by the gates
 * that need them, not on every call.
 */
export function callFlags(server: Server, cmd: CommandSpec, argv: string[]): readonly CommandFlag[] {
  return cmd.flagsFor === undefined ? cmd.flags : cmd.flagsFor(server, argv, cmd.flags);
}

/**
 * Redis's checkGoodReplicasStatus: false when min-replicas-to-write and
 * min-replicas-max-lag are set and fewer replicas than asked are online
 * with an acknowledgement within the lag (counted once a second and as
 * replicas come and go: replication/primary.ts). Always true on a replica.
 * The dispatcher and scripts' commands (scripts.ts) refuse writes then
 * (NOREPLICAS).
 */
export function goodReplicasOk(server: Server): boolean {
  if (!server.hot.minReplicasGate || server.repl.following) return true;
  return server.repl.primary.goodReplicas >= server.config.v['min-replicas-to-write'];
}

/**
 * Redis's writeCommandsDeniedByDiskError, as the MISCONF text: the last
 * BGSAVE failed while save points are set and stop-writes-on-bgsave-error is
 * yes, or the AOF could not be written (everysec/no; always exits). null when
 * writes may go on. The dispatcher and scripts' write commands refuse then.
 */
export function diskWriteError(server: Server): string | null {
  if (server.hot.stopWritesOnBgsaveError && persist(server).lastBgsaveStatus === 'err' && savePoints(server).length > 0)
    return Err.misconfRdb;
  if (server.aof.state !== 'off' && server.aof.lastWriteStatus !== 'ok')
    return Err.misconfAof(server.aof.lastWriteError);
  return null;
}

/** A write, as its call's flags say (a script's declared flags included), or EXEC with a write queued (Redis's is_write_command). */
function isWriteCall(server: Server, client: Client, cmd: CommandSpec, argv: string[]): boolean {
  if (cmd.flagsFor === undefined ? cmd.write : cmd.flagsFor(server, argv, cmd.flags).includes('write')) return true;
  return (
    cmd.name === 'exec' &&
    client.multiQueue !== null &&
    client.multiQueue.some((q) => callFlags(server, q.cmd, q.argv).includes('write'))
  );
}

/** Reads, writes or may replicate (EXEC: any queued command does); refused to a monitor or a replica. */
function touchesKeyspace(server: Server, client: Client, cmd: CommandSpec, argv: string[]): boolean {
  const f = (c: CommandSpec, a: string[]) => {
    const flags = callFlags(server, c, a);
    return flags.includes('readonly') || flags.includes('write') || flags.includes('may_replicate');
  };
  return (
    f(cmd, argv) ||
    (cmd.name === 'exec' && client.multiQueue !== null && client.multiQueue.some((q) => f(q.cmd, q.argv)))
  );
}

/**
 * Redis's is_denystale_command under replica-serve-stale-data no: a command
 * without the `stale` flag, or EXEC with such a command queued.
 */
function staleRefused(server: Server, client: Client, cmd: CommandSpec, argv: string[]): boolean {
  if (!callFlags(server, cmd, argv).includes('stale')) return true;
  return (
    cmd.name === 'exec' &&
    client.multiQueue !== null &&
    client.multiQueue.some((q) => !callFlags(server, q.cmd, q.argv).includes('stale'))
  );
}

/** The commands a RESP2 client in pub/sub mode may run. */
const PUBSUB_MODE_COMMANDS = new Set([
  'subscribe',
  'ssubscribe',
  'psubscribe',
  'unsubscribe',
  'sunsubscribe',
  'punsubscribe',
  'ping',
  'quit',
  'reset',
]);

/** A command refused before running: counts as rejected_calls. */
function reject(server: Server, client: Client, cmd: CommandSpec, msg: string, parent: CommandSpec | undefined): void {
  server.stats.command(cmd, parent).rejected++;
  client.lastCmd = fullName(cmd, parent);
  if ((parent ?? cmd).name === 'exec') {
    // A refused EXEC discards the transaction (in MULTI or not), naming why,
    // without the generic ERR code (Redis's rejectCommand -> execCommandAbort).
    discardTransaction(client, server.watches);
    client.reply.error(Err.execAbortBecause(msg));
    return;
  }
  client.reply.error(msg);
  // A refused command inside MULTI makes EXEC abort (Redis's flagTransaction).
  if (client.multiQueue !== null) client.multiError = true;
}

/**
 * Calls the handler with time frozen for the command, then records
 * commandstats, failed calls and the slowlog.
 */
export function call(server: Server, client: Client, cmd: CommandSpec, argv: string[], parent?: CommandSpec): void {
  const reply = client.reply;
  const stats = server.stats;
  const errorsBefore = stats.totalErrorReplies;
  const prevCurrent = server.current;
  const prevNow = server.cachedNow;
  server.current = client;
  if (prevCurrent === null) server.executing = client;
  // One clock reading per top-level command: the previous command's end in
  // this batch (server.mark), or a fresh one. See Server.mark. A command run
  // by another (a script's, EXEC's) reads its own start: it is timed alone,
  // not with the Lua code or the queue before it.
  const start = server.mark >= 0 && prevCurrent === null ? server.mark : performance.now();
  // Commands run by another (EXEC's queue, later scripts) keep its time, so
  // keys cannot expire in the middle of a transaction.
  server.cachedNow = prevCurrent !== null && prevNow !== 0 ? prevNow : server.wallAt(start);
  const ctx = new Ctx(server, client, client.db, argv, reply, cmd);
  const prop = server.propagator;
  const dirtyBefore = prop.dirty;
  const outBefore = reply.out.length;
  try {
    cmd.handler!(ctx);
  } catch (e) {
    if (e instanceof ReplyError) reply.error(e.message);
    else {
      server.log.warning(`Internal error in '${cmd.name}': ${(e as Error).stack ?? e}`);
      // what the command began to reply goes (an array header without its elements would desync the client)
      if (reply.out.length > outBefore) reply.out = reply.out.slice(0, outBefore);
      reply.dropHeld(); // (a script's command: nothing was written before it)
      reply.error(Err.internalError((e as Error).message));
    }
  }
  // Propagation (server/propagate.ts): what changed the dataset, as the
  // handler rewrote it; a top-level command's effects go out together when it ends.
  if (prop.active) {
    if (prop.dirty !== dirtyBefore) prop.command(ctx.db.id, ctx.replay, argv, client.replTarget);
    if (prevCurrent === null) {
      const off = server.repl.offset;
      prop.commit(cmd.touchesArbitraryKeys === true);
      // the client's write offset, for WAIT (Redis's woff)
      if (server.repl.offset !== off) client.woff = server.repl.offset;
    }
  }
  // Client side caching: the keys a read-only command read are remembered for
  // the client whose top-level command runs (a script's commands: its caller's; Redis 7.2).
  const owner = server.executing ?? client;
  if (owner.tracking && !owner.trackingBcast && cmd.flags.includes('readonly'))
    server.tracking.remember(owner, cmd, argv);
  // Pushes for this client made while its command ran follow the reply (Redis 7.2):
  // its invalidations, then the others in order (afterCommand). Pushes made for it by a
  // script's or a transaction's commands too: only the outermost call flushes.
  if (prevCurrent === null) {
    if (server.tracking.pending.length !== 0) server.tracking.flushPending(client);
    if (server.pubsub.pending !== '') server.pubsub.flushPending(client);
    server.executing = null;
  }
  const end = performance.now();
  if (server.mark >= 0) server.mark = end;
  const us = (end - start) * 1000;
  server.current = prevCurrent;
  server.cachedNow = prevNow;
  client.lastCmd = fullName(cmd, parent);
  const st = server.stats.command(cmd, parent);
  // A command that blocked is counted when it is served, timed out or unblocked (Redis 7.2).
  // Its own errors: those since it started and since a command it ran was charged with its own.
  const failed = ctx.failed || stats.totalErrorReplies > Math.max(errorsBefore, stats.errorsCharged);
  stats.errorsCharged = stats.totalErrorReplies;
  if (!client.blocked || !server.blocking.deferStats(client, cmd, st, us, argv))
    recordCall(server, client, cmd, st, us, argv, failed);
  // MONITOR: the command as run, after it ran (so EXEC's commands come between MULTI and EXEC).
  if (server.monitors.clients.size !== 0 && !cmd.flags.includes('admin') && !cmd.flags.includes('skip_monitor')) {
    server.monitors.feed(client, argv);
  }
}

/**
 * Commandstats, the slow log and LATENCY events for one finished command:
 * from call(), or from server/blocking.ts when a blocked command completes
 * (`us`: the time it ran, first and when served; `failed`: it replied an error).
 */
export function recordCall(
  server: Server,
  client: Client,
  cmd: CommandSpec,
  st: CommandStat,
  us: number,
  argv: string[],
  failed: boolean,
): void {
  st.calls++;
  st.usec += us;
  server.stats.loop.cmdSum += us;
  const hot = server.hot;
  if (hot.latencyTracking) recordLatency(st, Math.max(1, Math.round(us * 1000)));
  if (failed) st.failed++;
  server.stats.totalCommands++;
  if (hot.slowlogSlowerThan >= 0 && us >= hot.slowlogSlowerThan && !cmd.flags.includes('skip_slowlog')) {
    server.slowlog.record(client, argv, us, server.clock());
  }
  // LATENCY: "command" / "fast-command" events (observability/latencymonitor.ts).
  if (hot.latencyMonitorThreshold !== 0 && us >= hot.latencyMonitorThreshold * 1000) {
    server.latency.add(
      cmd.flags.includes('fast') ? 'fast-command' : 'command',
      Math.floor(us / 1000),
      Math.floor(server.clock() / 1000),
    );
  }
}

/**
 * Errors a client sees. `ReplyError` carries Redis's exact text (including the
 * leading code such as `ERR` or `WRONGTYPE`); handlers and argument helpers throw
 * it and the dispatcher turns it into an error reply and counts it in errorstats.
 * The texts live here, in one table, so each is written once.
 */
import { cfmt, cstr } from '../util/strings.js';
import { formatFixed } from '../util/numbers.js';
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
  }
  /** The error code: the first word, used by INFO errorstats. */
  get code(): string {
    const sp = this.message.indexOf(' ');
    return sp < 0 ? this.message : this.message.slice(0, sp);
  }
}

/** Redis's fixed error texts. Functions build the ones with parameters. */
export const Err = {
  syntax: 'ERR syntax error',
  // replication's primary side (replication/primary.ts)
  replconfIpTooLong: (n: number) => `ERR REPLCONF ip-address provided by replica instance is too long: ${n} bytes`,
  // REPLCONF rdb-only's and WAITAOF numlocal's range
  rangeZeroOne: 'ERR value is out of range, value must between 0 and 1',
  waitaofOnReplica:
    'ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.',
  waitaofNoAof: 'ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.',
  replconfFilterMissing: 'ERR Missing rdb-filter-only values',
  replconfFilterUnsupported: (f: string) => `ERR Unsupported rdb-filter-only option: ${f}`,
  replconfUnknown: (opt: string) => `ERR Unrecognized REPLCONF option: ${opt}`,
  failoverInCluster: 'ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.',
  failoverNone: 'ERR No failover in progress.',
  failoverTimeout: 'ERR FAILOVER timeout must be greater than 0',
  failoverInProgress: 'ERR FAILOVER already in progress.',
  failoverOnReplica: 'ERR FAILOVER is not valid when server is a replica.',
  failoverNoReplicas: 'ERR FAILOVER requires connected replicas.',
  failoverForce: 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.',
  failoverNotReplica: 'ERR FAILOVER target HOST and PORT is not a replica.',
  failoverNotOnline: 'ERR FAILOVER target replica is not online.',
  replicaofDuringFailover: 'ERR REPLICAOF not allowed while failing over.',
  psyncFailoverReplid: 'ERR PSYNC FAILOVER replid must match my replid.',
  psyncFailoverToMaster: "ERR PSYNC FAILOVER can't be sent to a master.",
  syncNoMasterLink: "NOMASTERLINK Can't SYNC while not connected with my master",
  syncPendingOutput: 'ERR SYNC and PSYNC are invalid with pending output',
  syncFilterNeedsEof: 'ERR Filtered replica requires EOF capability',
  syncBgsaveFailed: "ERR BGSAVE failed, replication can't continue",
  // transactions (commands/multi.ts, the dispatcher)
  multiNested: 'ERR MULTI calls can not be nested',
  execWithoutMulti: 'ERR EXEC without MULTI',
  discardWithoutMulti: 'ERR DISCARD without MULTI',
  watchInMulti: 'ERR WATCH inside MULTI is not allowed',
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
  notInMulti: 'ERR Command not allowed inside a transaction',
  // maxmemory (the dispatcher's memory gate, scripts: keyspace/evict.ts)
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  oomScript: "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
  // sorted sets (commands/zset.ts)
  zsetNaN: 'ERR resulting score is not a number (NaN)',
  zsetMinMaxFloat: 'ERR min or max is not a float',
  zsetLexRange: 'ERR min or max not valid string range item',
  zsetXxNx: 'ERR XX and NX options at the same time are not compatible',
  zsetGtLtNx: 'ERR GT, LT, and/or NX options at the same time are not compatible',
  zsetIncrPair: 'ERR INCR option supports a single increment-element pair',
  zsetLimitRank: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
  zsetWithscoresLex: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
  zsetWeight: 'ERR weight value is not a float',
  zsetAtLeastOne: (name: string) => cfmt`ERR at least 1 input key is needed for '${name}' command`,
  numkeysPositive: 'ERR numkeys should be greater than 0',
  countPositive: 'ERR count should be greater than 0',
  longRange: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  valueOutOfRange: 'ERR value is out of range',
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  outOfRange: 'ERR index out of range',
  noAuth: 'NOAUTH Authentication required.',
  noReplicas: 'NOREPLICAS Not enough good replicas to write.',
  /** A write on a replica with replica-read-only yes (the dispatcher's read-only replica gate). */
  readonlyReplica: "READONLY You can't write against a read only replica.",
  /** A replica whose link is down, with replica-serve-stale-data no, and a command without `stale`. */
  masterDown: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
  /** The same for a script with flags but not allow-stale, when the command's own gate did not refuse it first. */
  masterDownScript:
    "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
  /** A script's command without `stale` on such a replica (Redis's scriptVerifyAllowStale). */
  scriptStale: 'ERR Can not execute the command on a stale replica',
  invalidMasterPort: 'ERR Invalid master port',
  replicaofByReplica: 'ERR Command is not valid when client is a replica.',
  misconfRdb:
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  // ACL (acl/acl.ts, commands/acl.ts): Redis 7.2's getAclErrorMessage and aclCommand texts
  aclNoPermCommand: (user: string, cmd: string) => `User ${user} has no permissions to run the '${cmd}' command`,
  aclNoPermKey: 'No permissions to access a key',
  aclNoPermKeyNamed: (user: string, key: string) => `User ${user} has no permissions to access the '${key}' key`,
  aclNoPermChannel: 'No permissions to access a channel',
  aclNoPermChannelNamed: (user: string, ch: string) => `User ${user} has no permissions to access the '${ch}' channel`,
  aclExecChanged: (reason: string) =>
    `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`,
  aclScriptFailure: (msg: string) => `ERR ACL failure in script: ${msg}`,
  aclUsernameSpaces: "ERR Usernames can't contain spaces or null characters",
  aclDefaultUndeletable: "ERR The 'default' user cannot be removed",
  aclNoFile:
    'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
  aclSaveFailed: 'ERR There was an error trying to save the ACLs. Please check the server logs for more information',
  aclUnknownCategory: (c: string) => cfmt`ERR Unknown category '${c.slice(0, 128)}'`,
  aclGenpassBits:
    'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
  aclDryrunNoUser: (u: string) => cfmt`ERR User '${u}' not found`,
  aclDryrunNoCommand: (c: string) => cfmt`ERR Command '${c}' not found`,
  sortAclDenied: (opt: 'BY' | 'GET') => `ERR ${opt} option of SORT denied due to insufficient ACL permissions.`,
  authNotConfigured:
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  dbIndexOutOfRange: 'ERR DB index is out of range',
  // MIGRATE (commands/migrate.ts)
  migrateKeysNeedEmptyKey: 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string',
  migrateConnect: 'IOERR error or timeout connecting to the client',
  migrateIo: (dir: 'writing' | 'reading') => `IOERR error or timeout ${dir} to target instance`,
  migrateTarget: (line: string) => cfmt`ERR Target instance replied with error: ${line}`,
  sameObject: 'ERR source and destination objects are the same',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  bitOffset: 'ERR bit offset is not an integer or out of range',
  bitValue: 'ERR bit is not an integer or out of range',
  decrementOverflow: 'ERR decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
  bitArg: 'ERR The bit argument must be 1 or 0.',
  bitfieldType: 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
  wrongArgs: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  unknownCommand: (name: string, args: string[]) => {
    // Each argument is cut so that the list stays within 128 characters.
    let list = '';
    for (const a of args) {
      if (list.length >= 128) break;
      list += `'${cstr(a).slice(0, 128 - list.length)}' `;
    }
    return `ERR unknown command '${trunc128(name)}', with args beginning with: ${list}`;
  },
  unknownSubcommand: (sub: string, cmd: string) =>
    `ERR unknown subcommand '${trunc128(sub)}'. Try ${cmd.toUpperCase()} HELP.`,
  unknownSubcommandOrWrongArgs: (sub: string, cmd: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${trunc128(sub)}'. Try ${cmd.toUpperCase()} HELP.`,
  intOutOfRange: 'ERR value is out of range, value must between -2147483648 and 2147483647',
  expireNxConflict: 'ERR NX and XX, GT or LT options at the same time are not compatible',
  expireGtLtConflict: 'ERR GT and LT options at the same time are not compatible',
  unsupportedOption: (opt: string) => cfmt`ERR Unsupported option ${opt}`,
  invalidCursor: 'ERR invalid cursor',
  invalidFirstDb: 'ERR invalid first DB index',
  invalidSecondDb: 'ERR invalid second DB index',
  lfuNotSelected:
    'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
  lfuSelected:
    'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
  /** DEBUG or MODULE LOAD/LOADEX/UNLOAD refused by their enable-*-command parameter. */
  protectedCommand: (what: string, param: string) =>
    `ERR ${what} command not allowed. If the ${param} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
  // hashes and sets (commands/hash.ts, commands/set.ts)
  hashNotInteger: 'ERR hash value is not an integer',
  hashNotFloat: 'ERR hash value is not a float',
  valueNanOrInfinity: 'ERR value is NaN or Infinity',
  numkeysBeyondArgs: "ERR Number of keys can't be greater than number of args",
  numkeysNegative: "ERR Number of keys can't be negative",
  numkeysBad: 'ERR Bad number of keys provided',
  limitNegative: "ERR LIMIT can't be negative",
  // lists and blocking (commands/list.ts, commands/blocking.ts)
  mustBePositive: 'ERR value is out of range, must be positive',
  lposRankZero:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  timeoutNotFloat: 'ERR timeout is not a float or out of range',
  timeoutNegative: 'ERR timeout is negative',
  timeoutNotInteger: 'ERR timeout is not an integer or out of range',
  timeoutOutOfRange: 'ERR timeout is out of range',
  unblocked: 'UNBLOCKED client unblocked via CLIENT UNBLOCK',
  /** REPLICAOF host port: clients blocked on keys are told and closed (Redis's disconnectAllBlockedClients). */
  unblockedRoleChange: 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
  replicaofInCluster: 'ERR REPLICAOF not allowed in cluster mode.',
  /** What Redis before 6 answered a PING needing AUTH: a replica's handshake takes it as a PONG. */
  operationNotPermitted: 'ERR operation not permitted',
  waitOnReplica:
    'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
  unblockReason: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
  // client side caching (commands/tracking.ts, server/tracking.ts)
  trackingOneRedirect: 'ERR A client can only redirect to a single other client',
  trackingNoRedirectTarget: 'ERR The client ID you want redirect to does not exist',
  trackingPrefixNeedsBcast: 'ERR PREFIX option requires BCAST mode to be enabled',
  trackingSwitchBcast:
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
  trackingBcastOptin: 'ERR OPTIN and OPTOUT are not compatible with BCAST',
  trackingOptinAndOptout: "ERR You can't specify both OPTIN mode and OPTOUT mode",
  trackingSwitchOptin:
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
  trackingPrefixOverlapsExisting: (p: string, q: string) =>
    cfmt`ERR Prefix '${p}' overlaps with an existing prefix '${q}'. Prefixes for a single client must not overlap.`,
  trackingPrefixOverlapsProvided: (p: string, q: string) =>
    cfmt`ERR Prefix '${p}' overlaps with another provided prefix '${q}'. Prefixes for a single client must not overlap.`,
  cachingNotTracking:
    'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
  cachingYesNeedsOptin: 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
  cachingNoNeedsOptout: 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
  // the dispatcher's gates and the connection (server/dispatcher.ts, server/connection.ts, server/listener.ts)
  replicaKeyspace: "ERR Replica can't interact with the keyspace",
  pubsubContext: (name: string) =>
    `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  loading: 'LOADING Redis is loading the dataset in memory',
  misconfAof: (why: string | null) => cfmt`MISCONF Errors writing to the AOF file: ${why}`,
  /** A refused EXEC names the refusal without its generic ERR code. */
  execAbortBecause: (msg: string) =>
    cfmt`EXECABORT Transaction discarded because of: ${msg.startsWith('ERR ') ? msg.slice(4) : msg}`,
  internalError: (msg: string) => cfmt`ERR internal error: ${msg}`,
  /** A message from elsewhere (the parser, a Lua error) under the generic ERR code. */
  withErrCode: (msg: string) => `ERR ${msg}`,
  /** An ACL denial's reply: the NOPERM code before the text acl.ts's errorMessage builds. */
  noPerm: (msg: string) => `NOPERM ${msg}`,
  maxClients: 'ERR max number of clients reached',
  // the parser's refusals (protocol/parser.ts): logged as they are, replied under ERR (withErrCode)
  protoMbulkCount: 'Protocol error: too big mbulk count string',
  protoMbulkLength: 'Protocol error: invalid multibulk length',
  protoMbulkUnauth: 'Protocol error: unauthenticated multibulk length',
  protoBulkCount: 'Protocol error: too big bulk count string',
  protoExpectedBulk: (got: string) => `Protocol error: expected '$', got '${got}'`,
  protoBulkLength: 'Protocol error: invalid bulk length',
  protoBulkUnauth: 'Protocol error: unauthenticated bulk length',
  protoInlineTooBig: 'Protocol error: too big inline request',
  protoUnbalancedQuotes: 'Protocol error: unbalanced quotes in request',
  protectedMode:
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",
  // connection and clients (commands/connection.ts, commands/client.ts)
  helloProtocolNotInteger: 'ERR Protocol version is not an integer or out of range',
  noProto: 'NOPROTO unsupported protocol version',
  helloSyntax: (opt: string) => cfmt`ERR Syntax error in HELLO option '${opt}'`,
  helloNoAuth:
    'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
  clientNameChars: 'ERR Client names cannot contain spaces, newlines or special characters.',
  clientSetinfoOption: (attr: string) => cfmt`ERR Unrecognized option '${attr}'`,
  clientSetinfoChars: (attr: string) => cfmt`ERR ${attr} cannot contain spaces, newlines or special characters.`,
  clientUnknownType: (type: string) => cfmt`ERR Unknown client type '${type}'`,
  clientInvalidId: 'ERR Invalid client ID',
  clientIdPositive: 'ERR client-id should be greater than 0',
  noSuchUser: (user: string) => cfmt`ERR No such user '${user}'`,
  noSuchClient: 'ERR No such client',
  clientPauseMode: 'ERR CLIENT PAUSE mode must be WRITE or ALL',
  monitorDenyBlocking: "ERR MONITOR isn't allowed for DENY BLOCKING client",
  // CONFIG (config/config.ts, commands/config.ts)
  configUnknownOption: (name: string) => cfmt`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`,
  configSetFailed: (name: string, why: string) =>
    cfmt`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`,
  // the `why` of configSetFailed when a value is stored but cannot take effect (Redis's apply functions)
  applyListen: 'Unable to listen on this port. Check server logs.',
  applyBind: 'Failed to bind to specified addresses.',
  applyAof: 'Unable to turn on AOF. Check server logs.',
  applyTls: 'Unable to update TLS configuration. Check server logs.',
  applyOomScoreAdj: 'Failed to set current oom_score_adj. Check server logs.',
  configNoFile: 'ERR The server is running without a config file',
  configRewrite: (why: string) => cfmt`ERR Rewriting config file: ${why}`,
  // server and introspection (commands/server.ts, commands/introspection.ts, commands/command.ts, commands/module.ts, commands/cluster.ts)
  noShutdown: 'ERR No shutdown in progress.',
  shutdownFailed: 'ERR Errors trying to SHUTDOWN. Check logs.',
  countAtLeastMinusOne: 'ERR count should be greater than or equal to -1',
  latencyNoSamples: (event: string) => cfmt`ERR No samples available for event '${event}'`,
  getkeysInvalidCommand: 'ERR Invalid command specified',
  getkeysNoKeys: 'ERR The command has no key arguments',
  getkeysArgCount: 'ERR Invalid number of arguments specified for command',
  getkeysInvalidArgs: 'ERR Invalid arguments specified for command',
  moduleLoad: 'ERR Error loading the extension. Please check the server logs.',
  moduleUnload: (why: string) => cfmt`ERR Error unloading module: ${why}`,
  clusterDisabled: 'ERR This instance has cluster support disabled',
  // Redis Cluster (cluster/redirect.ts, commands/cluster.ts, commands/connection.ts)
  crossSlot: "CROSSSLOT Keys in request don't hash to the same slot",
  tryAgain: 'TRYAGAIN Multiple keys request during rehashing of slot',
  clusterDown: 'CLUSTERDOWN The cluster is down',
  clusterDownReadOnly: 'CLUSTERDOWN The cluster is down and only accepts read commands',
  clusterDownUnbound: 'CLUSTERDOWN Hash slot not served',
  scriptClusterDownRo: 'ERR Script attempted to execute a write command while the cluster is down and readonly',
  scriptClusterDown: 'ERR Script attempted to execute a command while the cluster is down',
  scriptNonLocalKey: 'ERR Script attempted to access a non local key in a cluster node',
  scriptCrossSlot: 'ERR Script attempted to access keys that do not hash to the same slot',
  selectInCluster: 'ERR SELECT is not allowed in cluster mode',
  moveInCluster: 'ERR MOVE is not allowed in cluster mode',
  copyInCluster: 'ERR Copying to another database is not allowed in cluster mode',
  swapdbInCluster: 'ERR SWAPDB is not allowed in cluster mode',
  scriptNoCluster: "ERR Can not run script on cluster, 'no-cluster' flag is set.",
  clusterBadSlot: 'ERR Invalid or out of range slot',
  clusterSlotBusy: (slot: number) => `ERR Slot ${slot} is already busy`,
  clusterSlotUnassigned: (slot: number) => `ERR Slot ${slot} is already unassigned`,
  clusterSlotTwice: (slot: number) => `ERR Slot ${slot} specified multiple times`,
  clusterSlotOrder: (a: number, b: number) => `ERR start slot number ${a} is greater than end slot number ${b}`,
  clusterBadPort: (p: string) => cfmt`ERR Invalid base port specified: ${p}`,
  clusterBadBusPort: (p: string) => cfmt`ERR Invalid bus port specified: ${p}`,
  clusterBadAddress: (ip: string, port: string) => cfmt`ERR Invalid node address specified: ${ip}:${port}`,
  clusterFlushslotsNotEmpty: 'ERR DB must be empty to perform CLUSTER FLUSHSLOTS.',
  clusterSetslotReplica: 'ERR Please use SETSLOT only with masters.',
  clusterNotOwner: (slot: number) => `ERR I'm not the owner of hash slot ${slot}`,
  clusterAlreadyOwner: (slot: number) => `ERR I'm already the owner of hash slot ${slot}`,
  clusterDontKnow: (id: string) => cfmt`ERR I don't know about node ${id}`,
  clusterUnknownNode: (id: string) => cfmt`ERR Unknown node ${id}`,
  clusterTargetNotMaster: 'ERR Target node is not a master',
  clusterSetslotKeys: (slot: number) =>
    `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
  clusterSetslotAction: 'ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP',
  clusterSaveconfig: (why: string) => `ERR error saving the cluster node config: ${why}`,
  clusterInvalidSlot: 'ERR Invalid slot',
  clusterInvalidSlotOrCount: 'ERR Invalid slot or number of keys',
  clusterForgetMyself: "ERR I tried hard but I can't forget myself...",
  clusterForgetMaster: "ERR Can't forget my master!",
  clusterBadEpoch: (e: string) => `ERR Invalid config epoch specified: ${e}`,
  clusterEpochOthers: 'ERR The user can assign a config epoch only when the node does not know any other node.',
  clusterEpochNonZero: 'ERR Node config epoch is already non-zero',
  clusterResetKeys: "ERR CLUSTER RESET can't be called with master nodes containing keys",
  clusterReplicateMyself: "ERR Can't replicate myself",
  clusterReplicaOfReplica: 'ERR I can only replicate a master, not a replica.',
  clusterNotAMaster: 'ERR The specified node is not a master',
  clusterReplicateNotEmpty: 'ERR To set a master the node must be empty and without assigned slots.',
  clusterMasterUnknown: "ERR I'm a replica but my master is unknown to me",
  clusterMasterDown: 'ERR Master is down or failed, please use CLUSTER FAILOVER FORCE',
  clusterFailoverMaster: 'ERR You should send CLUSTER FAILOVER to a replica',
  countTooLarge: (max: number) => cfmt`ERR count is too large: a reply of more than ${max} elements cannot be built`,
  // DEBUG (commands/debug.ts)
  debugResp2: 'ERR RESP2 is not supported by this command',
  debugProtocolType:
    'ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false',
  debugMallocSize: 'ERR argument must be a memory value bigger than 1 and smaller than 4gb',
  debugNotEncoded: (kind: string) => cfmt`ERR Not a ${kind} encoded object.`,
  debugEmbedded: (sub: string) => cfmt`ERR DEBUG ${sub} is not supported by an embedded tsdis`,
  debugUnsupported: (sub: string) => cfmt`ERR DEBUG ${sub} is not supported by tsdis`,
  debugClusterOnly: 'ERR Debug option only available for cluster mode enabled setup!',
  debugUnknownDirection: (dir: string) => cfmt`ERR Unknown direction ${dir}`,
  debugRewriteForceAll: (why: string) => cfmt`ERR CONFIG-REWRITE-FORCE-ALL failed: ${why}`,
  maxmemoryClientsDisabled: 'ERR maxmemory-clients is disabled.',
  debugReloadOptions: 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.',
  debugSaveFailed: 'ERR Error trying to save the DB',
  debugRdbLoad: (why: string) => cfmt`ERR Error trying to load the RDB dump: ${why}`,
  debugRdbLoadFailed: 'ERR Error trying to load the RDB dump, check server logs.',
  debugAofLoadFailed: 'ERR Error trying to load the AOF files, check server logs.',
  // persistence (commands/persistence.ts, commands/aof.ts, persistence/snapshot.ts)
  bgsaveInProgress: 'ERR Background save already in progress',
  bgsaveChildActive:
    "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
  /** A failed SAVE or BGSAVE: Redis replies the bare code. */
  saveFailed: 'ERR',
  aofRewriteInProgress: 'ERR Background append only file rewriting already in progress',
  aofRewriteFailed: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
  dumpPayload: 'ERR DUMP payload version or checksum are wrong',
  badDataFormat: 'ERR Bad data format',
  restoreIdletime: 'ERR Invalid IDLETIME value, must be >= 0',
  restoreFreq: 'ERR Invalid FREQ value, must be >= 0 and <= 255',
  restoreTtl: 'ERR Invalid TTL value, must be >= 0',
  busyKey: 'BUSYKEY Target key name already exists.',
  // strings, LCS, bitmaps, HyperLogLog (commands/string.ts, lcs.ts, bitmap.ts, hll.ts)
  offsetOutOfRange: 'ERR offset is out of range',
  lcsNotStrings: 'ERR The specified keys must contain string values',
  lcsLenAndIdx: 'ERR If you want both the length and indexes, please just use IDX.',
  lcsMemory: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
  bitopNot: 'ERR BITOP NOT must be called with a single source key.',
  bitfieldOverflow: 'ERR Invalid OVERFLOW type specified',
  bitfieldRo: 'ERR BITFIELD_RO only supports the GET subcommand',
  hllInvalid: 'INVALIDOBJ Corrupted HLL object detected',
  hllWrongType: 'WRONGTYPE Key is not a valid HyperLogLog string value.',
  hllTestFailed: (what: string) => cfmt`ERR TESTFAILED ${what}`,
  hllNoKey: 'ERR The specified key does not exist',
  hllNotSparse: 'ERR HLL encoding is not sparse',
  pfdebugUnknown: (sub: string) => cfmt`ERR Unknown PFDEBUG subcommand '${sub}'`,
  // hash field expiration (commands/hash-common.ts, commands/hash-expire.ts)
  hashFieldsMissing: 'ERR Mandatory argument FIELDS is missing or not at the right position',
  hashNumfieldsMismatch: 'ERR The `numfields` parameter must match the number of arguments',
  hashNumfieldsPositive: 'ERR Number of fields must be a positive integer',
  hashNumFieldsParam: 'ERR Parameter `numFields` should be greater than 0',
  hashExpireNegative: 'ERR invalid expire time, must be >= 0',
  hashOneTtl: 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
  hashFxxFnx: 'ERR Only one of FXX or FNX arguments can be specified',
  hashInvalidNumFields: 'ERR invalid number of fields',
  hashMissingExpire: 'ERR missing expire time',
  hashUnknownArgument: (arg: string) => cfmt`ERR unknown argument: ${arg}`,
  // LPOS (commands/list.ts)
  lposCountNegative: "ERR COUNT can't be negative",
  lposMaxlenNegative: "ERR MAXLEN can't be negative",
  // streams (commands/stream*.ts)
  streamInvalidId: 'ERR Invalid stream ID specified as stream command argument',
  streamAddZero: 'ERR The ID specified in XADD must be greater than 0-0',
  streamAddSmaller: 'ERR The ID specified in XADD is equal or smaller than the target stream top item',
  streamExhausted: 'ERR The stream has exhausted the last possible ID, unable to add more items',
  streamMaxlenNeg: 'ERR The MAXLEN argument must be >= 0.',
  streamLimitNeg: 'ERR The LIMIT argument must be >= 0.',
  streamBothStrategies: 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible',
  streamLimitNoStrategy: 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy',
  streamLimitNoApprox: 'ERR syntax error, LIMIT cannot be used without the special ~ option',
  streamTrimNoStrategy: 'ERR syntax error, XTRIM must be called with a trimming strategy',
  streamStartInterval: 'ERR invalid start ID for the interval',
  streamEndInterval: 'ERR invalid end ID for the interval',
  busyGroup: 'BUSYGROUP Consumer Group name already exists',
  streamNeedKey:
    'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
  streamEntriesReadNeg: 'ERR value for ENTRIESREAD must be positive or -1',
  streamDollarInGroup:
    'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
  streamGtOutsideGroup:
    'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
  streamGroupInXread: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
  streamNoackInXread: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
  streamMissingGroup: 'ERR Missing GROUP option for XREADGROUP',
  streamUnbalanced: (cmd: string, sym: string) =>
    `ERR Unbalanced '${cmd}' list of streams: for each stream key an ID or '${sym}' must be specified.`,
  streamBlockFromScript: (cmd: string) => cfmt`ERR ${cmd} command is not allowed with BLOCK option from scripts`,
  noGroupRead: (key: string, group: string) =>
    cfmt`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`,
  noKeyOrGroup: (key: string, group: string) => cfmt`NOGROUP No such key '${key}' or consumer group '${group}'`,
  noGroupForKey: (group: string, key: string) => cfmt`NOGROUP No such consumer group '${group}' for key name '${key}'`,
  streamSetidMaxDeleted: 'ERR The ID specified in XSETID is smaller than current max_deleted_entry_id',
  streamSetidProvidedDeleted: 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
  streamSetidTop: 'ERR The ID specified in XSETID is smaller than the target stream top item',
  streamSetidAdded: 'ERR The entries_added specified in XSETID is smaller than the target stream length',
  streamAddedNeg: 'ERR entries_added must be positive',
  xclaimOption: (o: string) => cfmt`ERR Unrecognized XCLAIM option '${o}'`,
  xclaimMinIdle: 'ERR Invalid min-idle-time argument for XCLAIM',
  xclaimIdle: 'ERR Invalid IDLE option argument for XCLAIM',
  xclaimTime: 'ERR Invalid TIME option argument for XCLAIM',
  xclaimRetryCount: 'ERR Invalid RETRYCOUNT option argument for XCLAIM',
  xautoclaimMinIdle: 'ERR Invalid min-idle-time argument for XAUTOCLAIM',
  /** XAUTOCLAIM's and GEOSEARCH's COUNT. */
  countAboveZero: 'ERR COUNT must be > 0',
  // geo (commands/geo*.ts)
  geoBadPair: (lon: number, lat: number) =>
    `ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`,
  geoUnit: 'ERR unsupported unit provided. please use M, KM, FT, MI',
  geoNumRadius: 'ERR need numeric radius',
  geoNumWidth: 'ERR need numeric width',
  geoNumHeight: 'ERR need numeric height',
  geoNegRadius: 'ERR radius cannot be negative',
  geoNegBox: 'ERR height or width cannot be negative',
  geoMember: 'ERR could not decode requested zset member',
  geoAny: 'ERR the ANY argument requires COUNT argument',
  geoStoreWith: (what: string) => `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
  geoFrom: (name: string) => `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`,
  geoBy: (name: string) => `ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`,
  // scripts and functions (scripting/*.ts, commands/scripting.ts)
  noScript: 'NOSCRIPT No matching script. Please use EVAL.',
  /** Redis's shared.slowevalerr and shared.slowscripterr: an EVAL script runs, a function runs. */
  busyEval: 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
  busyFunction: 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
  notBusy: 'NOTBUSY No scripts in execution right now.',
  unkillable:
    'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
  scriptKilled: 'ERR Script killed by user with SCRIPT KILL...',
  /** A failed run's error (`msg`, code included) followed by where the script was. */
  scriptFailedAt: (msg: string, name: string, chunk: string, line: number) =>
    cfmt`${msg} script: ${name}, on @${chunk}:${line}.`,
  shebangInvalid: 'ERR Invalid script shebang',
  shebangNoEngine: 'ERR Invalid engine in script shebang',
  shebangEngine: (engine: string) => cfmt`ERR Unexpected engine in script shebang: ${engine}`,
  shebangOption: (opt: string) => cfmt`ERR Unknown lua shebang option: ${opt}`,
  shebangFlag: (flag: string) => cfmt`ERR Unexpected flag in script shebang: ${flag}`,
  scriptCompile: (why: string) => cfmt`ERR Error compiling script (new function): ${why}`,
  scriptNoArgs: 'ERR Please specify at least one argument for this redis lib call',
  scriptUnknownCommand: 'ERR Unknown Redis command called from script',
  scriptArity: 'ERR Wrong number of args calling Redis command from script',
  scriptNotAllowed: 'ERR This Redis command is not allowed from script',
  scriptRoWrite: 'ERR Write commands are not allowed from read-only scripts.',
  scriptGlobalRead: (chunk: string, line: number, name: string) =>
    `ERR ${chunk}:${line}: Script attempted to access nonexistent global variable '${name}'`,
  scriptArgType: 'ERR Lua redis lib command arguments must be strings or integers',
  scriptWriteInRo: 'ERR Can not execute a script with write flag using *_ro command.',
  scriptNotRunning: 'ERR no script is running',
  /** redis.call from a script compiled but not run (SCRIPT LOAD's check). */
  scriptCompileOnly: 'ERR not running',
  /** redis.call from a library's top level during FUNCTION LOAD. */
  functionLoadCall: 'ERR not allowed',
  scriptInScript: 'ERR a script cannot run while another script is running',
  luaStackLimit: 'ERR reached lua stack limit',
  vmRestarting: 'ERR the script VM is restarting, try again',
  vmDied: (why: string) => `ERR the script VM failed and is restarting (${why})`,
  vmNoMem: 'ERR not enough memory in the script VM',
  /** A script's error value that is not a table, as Redis's error handler words it ('ERR ' .. tostring(err)). */
  scriptRaised: (text: string) => 'ERR ' + text,
  /** Lua's memory error (LUA_ERRMEM), raised by a jslua run that grows the heap past its limit. */
  luaNoMemory: 'ERR not enough memory',
  /** Lua's stack overflow at a script's line. */
  luaStackOverflow: (chunk: string, line: number) => `ERR ${chunk}:${line}: stack overflow`,
  evalshaDebug: 'ERR Please use EVAL instead of EVALSHA for debugging',
  scriptFlushOption: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option',
  scriptDebugPipeline: 'ERR SCRIPT DEBUG must be called outside a pipeline',
  scriptDebugMode: 'ERR Use SCRIPT DEBUG YES/SYNC/NO',
  functionNotFound: 'ERR Function not found',
  functionCodeMissing: 'ERR Function code is missing',
  functionUnknownOption: (opt: string) => cfmt`ERR Unknown option given: ${opt}`,
  functionUnknownArgument: (arg: string) => cfmt`ERR Unknown argument ${arg}`,
  libraryNotFound: 'ERR Library not found',
  libraryNameMissing: 'ERR library name argument was not given',
  functionFlushOption: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option',
  functionRestorePolicy: 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.',
  functionRestoreType: 'ERR given type is not a function',
  functionRestorePayload: 'ERR given payload is not a valid function payload',
  scriptExecFailed: 'ERR script execution failed',
  // the redis.* API, raised from Lua (scripting/sandbox.ts, scripting/lua.ts)
  luaLogArgs: 'ERR redis.log() requires two arguments or more.',
  luaLogLevelType: 'ERR First argument must be a number (log level).',
  luaLogLevel: 'ERR Invalid debug level.',
  luaSha1Args: 'ERR wrong number of arguments',
  luaSetrespArgs: 'ERR redis.setresp() requires one argument.',
  luaSetReplArgs: 'ERR redis.set_repl() requires one argument.',
  luaSetReplFlags: 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.',
  luaAclCheckCmd: 'ERR Invalid command passed to redis.acl_check_cmd()',
  luaSetrespVersion: 'ERR RESP version must be 2 or 3.',
  luaReplyArgs: 'ERR wrong number or type of arguments',
  registerNotLoading: 'ERR redis.register_function can only be called on FUNCTION LOAD command',
  registerArgc: 'ERR wrong number of arguments to redis.register_function',
  registerNotTable:
    'ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).',
  registerKeyType: 'ERR named argument key given to redis.register_function is not a string',
  registerNameType: 'ERR function_name argument given to redis.register_function must be a string',
  registerDescType: 'ERR description argument given to redis.register_function must be a string',
  registerCallbackType: 'ERR callback argument given to redis.register_function must be a function',
  registerFlagsType: 'ERR flags argument to redis.register_function must be a table representing function flags',
  registerUnknownFlag: 'ERR unknown flag given',
  registerUnknownArg: 'ERR unknown argument given to redis.register_function',
  registerNoName: 'ERR redis.register_function must get a function name argument',
  registerNoCallback: 'ERR redis.register_function must get a callback argument',
  registerFirstArg: 'ERR first argument to redis.register_function must be a string',
  registerSecondArg: 'ERR second argument to redis.register_function must be a function',
  functionNameChars:
    'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
  functionExists: 'ERR Function already exists in the library',
  // the Lua debugger (scripting/ldb.ts)
  ldbProtocol: 'ERR protocol error',
  ldbBuffer: 'ERR max client buffer reached',
  ldbConnection: 'ERR the Lua debugger needs a connection of its own (TCP or unix socket)',
  ldbTimeout: 'ERR timeout during Lua debugging with client closing connection',
  ldbAborted: 'ERR script aborted for user request',
  // SORT (commands/sort.ts)
  sortNotDouble: "ERR One or more scores can't be converted into double",
} as const;

/** printf's %.128s. */
function trunc128(s: string): string {
  s = cstr(s);
  return s.length > 128 ? s.slice(0, 128) : s;
}

/** Library/API errors (not sent to clients) with stable codes. */
export class TsdisError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TsdisError';
  }
}

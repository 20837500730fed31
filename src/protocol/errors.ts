/**
 * Errors a client sees. `ReplyError` carries Redis's exact text (including the
 * leading code such as `ERR` or `WRONGTYPE`); handlers and argument helpers throw
 * it and the dispatcher turns it into an error reply and counts it in errorstats.
 * The texts live here, in one table, so each is written once.
 */
import { cfmt, cstr } from '../util/strings.js';
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
  zsetLimitNeg: "ERR LIMIT can't be negative",
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
  noSuchUser: (u: string) => cfmt`ERR No such user '${u}'`,
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
  limitNegative: "ERR LIMIT can't be negative",
  // lists and blocking (commands/list.ts, commands/blocking.ts)
  mustBePositive: 'ERR value is out of range, must be positive',
  lposRankZero:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  timeoutNotFloat: 'ERR timeout is not a float or out of range',
  timeoutNegative: 'ERR timeout is negative',
  timeoutOutOfRange: 'ERR timeout is out of range',
  unblocked: 'UNBLOCKED client unblocked via CLIENT UNBLOCK',
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

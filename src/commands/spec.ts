/**
 * The command table's types. Each command is one declaration beside its
 * handler (in its group file); the dispatcher's gates, arity errors, COMMAND
 * and its subcommands, ACL categories and MULTI/script rules are all derived
 * from these declarations, never written twice.
 */
import type { Reply } from '../protocol/writer.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import type { YesNoLocalParam } from '../config/params.js';
import { legacyKeysOf } from './keys-of.js';
import { PROPAGATE_ALL } from '../server/propagate.js';

/** Command flags, named as Redis's COMMAND INFO names them. */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'module'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'asking'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'sentinel'
  | 'only_sentinel'
  | 'no_mandatory_keys'
  | 'protected'
  | 'module_getkeys'
  | 'module_no_cluster'
  | 'no_async_loading'
  | 'no_multi'
  | 'movablekeys'
  | 'allow_busy';

/** ACL categories a declaration lists explicitly (others are implied by flags). */
export type AclCategory =
  | 'keyspace'
  | 'read'
  | 'write'
  | 'set'
  | 'sortedset'
  | 'list'
  | 'hash'
  | 'string'
  | 'bitmap'
  | 'hyperloglog'
  | 'geo'
  | 'stream'
  | 'pubsub'
  | 'admin'
  | 'fast'
  | 'slow'
  | 'blocking'
  | 'dangerous'
  | 'connection'
  | 'transaction'
  | 'scripting';

/** Key-spec flags as in Redis 7 (COMMAND INFO key_specs). */
export type KeySpecFlag =
  'RO' | 'RW' | 'OW' | 'RM' | 'access' | 'update' | 'insert' | 'delete' | 'not_key' | 'incomplete' | 'variable_flags';

export interface KeySpec {
  notes?: string;
  flags: KeySpecFlag[];
  /** begin_search: `{ index: n }` or `{ keyword: 'STREAMS', startfrom: 1 }`; omitted = unknown. */
  begin: { index: number } | { keyword: string; startfrom: number } | null;
  /** find_keys: range or keynum; omitted = unknown. */
  find:
    | { lastkey: number; keystep: number; limit: number }
    | { keynumidx: number; firstkey: number; keystep: number }
    | null;
}

/** A key found in a command's arguments: its argv index and access flags. */
export interface KeyRef {
  pos: number;
  flags: KeySpecFlag[];
}

/** Argument types for COMMAND DOCS. */
export type ArgType =
  'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';

export interface ArgDoc {
  name: string;
  type: ArgType;
  /** For type 'key': index of the key spec it belongs to. */
  key_spec_index?: number;
  token?: string;
  display_text?: string;
  since?: string;
  flags?: ('optional' | 'multiple' | 'multiple_token')[];
  deprecated_since?: string;
  summary?: string;
  value?: string;
  arguments?: readonly ArgDoc[];
}

/**
 * Everything a handler gets, made by the dispatcher's call() for each call
 * (a class, so its methods cost no allocation). argv[0] is the command name
 * as sent. What the command changed and how it replays is said through
 * dirty(), replayAs() and propagate(); call() hands it to the server's
 * propagator (server/propagate.ts).
 */
export class Ctx {
  /**
   * What replays instead of argv when the command changed the dataset
   * (replayAs); unset: argv. Read by call().
   */
  replay: string[][] | undefined = undefined;
  /**
   * The command failed though its error reply was not counted in the stats
   * (a script's error repeating its command's: Reply.uncounted).
   */
  failed = false;

  constructor(
    readonly server: Server,
    readonly client: Client,
    /** The client's selected database. */
    readonly db: Db,
    readonly argv: string[],
    readonly reply: Reply,
    /** The command's declaration (the subcommand's, for container commands). */
    readonly cmd: CommandSpec,
  ) {}

  /**
   * Counts `n` changes to the dataset (save points,
   * rdb_changes_since_last_save) that the keyspace API did not count: a
   * command that changed something replays (argv, or its replayAs).
   */
  dirty(n = 1): void {
    this.server.propagator.dirtied(n);
  }

  /**
   * The command replays (AOF, later replicas) as `ops`, in its database,
   * rather than as argv, when it changed the dataset: its deterministic form
   * (SET EX as SET PXAT, SPOP as SREM, ...). [] replays nothing (its effects
   * went out otherwise: EXEC's and a script's commands propagate
   * themselves). Redis's rewriteClientCommandVector / preventCommandPropagation.
   */
  replayAs(ops: string[][]): void {
    this.replay = ops;
  }

  /**
   * Whether anything takes what commands replay (an AOF, a replica or a
   * backlog: Propagator.active). call() reads replayAs's form only then, so
   * a handler whose form costs work to build (numbers made text, arrays
   * copied) builds it only when this is true.
   */
  get propagating(): boolean {
    return this.server.propagator.active;
  }

  /**
   * An effect replayed whatever the command changed, in database `db`
   * (default: the command's), ahead of the command's own replay: FLUSHDB on
   * an empty db, a blocked pop when it is served. Redis's alsoPropagate.
   * `target`: PROPAGATE_REPL for what goes to replicas only (PUBLISH).
   */
  propagate(argv: string[], db = this.db.id, target = PROPAGATE_ALL): void {
    this.server.propagator.propagate(db, argv, target);
  }
}

export type Handler = (ctx: Ctx) => void;

export interface CommandSpec {
  /** Lowercase name; subcommands use their own name only ("get" for CONFIG GET). */
  name: string;
  /** Redis arity: N means exactly N arguments including the name, -N at least N. */
  arity: number;
  flags: CommandFlag[];
  /** Explicit ACL categories; write/read/fast/slow/admin/... implied by flags are added. */
  acl: AclCategory[];
  keySpecs?: KeySpec[];
  /** Command tips (COMMAND INFO / DOCS), e.g. 'nondeterministic_output'. */
  tips?: string[];
  group: string;
  since: string;
  summary: string;
  complexity?: string;
  docFlags?: ('deprecated' | 'syscmd')[];
  deprecatedSince?: string;
  replacedBy?: string;
  history?: [string, string][];
  args?: ArgDoc[];
  /** Subcommands for container commands (CONFIG, CLIENT, OBJECT, ...). */
  subcommands?: CommandSpec[];
  /**
   * A config parameter (yes | local | no) that must allow the command, as
   * enable-debug-command does for DEBUG; checked by the dispatcher.
   */
  protectedBy?: YesNoLocalParam;
  /**
   * The command may need the Lua VM (EVAL, SCRIPT LOAD, FUNCTION LOAD, DEBUG
   * RELOAD, EXEC of those): until a VM was loaded, the dispatcher asks the
   * VM gate (scripting/vm-gate.ts) only of these, so other commands pay one
   * field read. Declared on the top-level command.
   */
  mayNeedVm?: true;
  /**
   * The command may expire (delete) keys it did not name (SCAN, RANDOMKEY:
   * Redis's hidden TOUCHES_ARBITRARY_KEYS flag): run directly, the DELs it
   * propagates go out one by one, not as a MULTI/EXEC (Redis 7.2's
   * propagatePendingCommands).
   */
  touchesArbitraryKeys?: true;
  /** Container commands have no handler of their own. */
  handler?: Handler;
  /**
   * For commands whose keys cannot be found from `keys` alone (movablekeys):
   * returns the argv indexes of the keys, optionally with each key's flags
   * (COMMAND GETKEYSANDFLAGS; default: the flags of the key spec covering it).
   */
  getKeys?: (argv: string[]) => number[] | KeyRef[];
  /**
   * The flags of one call, where they depend on its arguments (Redis's
   * getCommandFlags: a script's declared flags stand in for EVAL's and
   * FCALL's). Read by the dispatcher's gates (pause, MISCONF, monitor...).
   */
  flagsFor?: (server: Server, argv: string[], own: readonly CommandFlag[]) => readonly CommandFlag[];
  /**
   * The arguments naming members of the collection at argv[1] (first, last
   * and step, as a key range: a negative last counts from the end): a
   * pipeline's read-ahead (server/dispatcher.ts readAhead) reads their
   * entries in a big hash, set or sorted set together. A hint: it changes no
   * reply, only when the cache misses come.
   */
  members?: readonly [number, number, number];
  /** A small integer unique to this spec in the process (set by command(); stats index by it). */
  id?: number;
  /** flags includes 'write' (set by command(): the dispatcher asks it of every call). */
  write?: boolean;
  /**
   * The legacy key range and movable-keys flag derived from keySpecs
   * (keys-of.ts legacyInfo), set by command() once: cluster routing reads
   * it for every command in cluster mode.
   */
  legacy?: LegacyKeys;
}

/** COMMAND INFO's legacy (first, last, step) key range, and whether the command has movable keys. */
export interface LegacyKeys {
  readonly range: readonly [number, number, number];
  readonly movable: boolean;
}

/** What a group file declares: a CommandSpec whose `acl` may be left out when it lists none. */
export type CommandDecl = Omit<CommandSpec, 'acl' | 'id' | 'write' | 'legacy'> & { acl?: AclCategory[] };

/**
 * The next CommandSpec.id. Process-wide on purpose: the specs are the group
 * files' module-level tables, shared by every server in the process and made
 * once as those files are evaluated (command() is not called after import),
 * so this counter numbers them densely once; it holds no server's state.
 */
let nextCommandId = 0;

/**
 * Declares a command, so a group file reads as a table. Every spec gets the
 * same object shape (absent fields as undefined) and an id: the dispatcher
 * reads the same few fields of every command, and one shape keeps those loads
 * monomorphic.
 */
export function command(spec: CommandDecl): CommandSpec {
  return {
    name: spec.name,
    arity: spec.arity,
    flags: spec.flags,
    handler: spec.handler,
    subcommands: spec.subcommands,
    protectedBy: spec.protectedBy,
    mayNeedVm: spec.mayNeedVm,
    touchesArbitraryKeys: spec.touchesArbitraryKeys,
    members: spec.members,
    id: nextCommandId++,
    write: spec.flags.includes('write'),
    acl: spec.acl ?? [],
    keySpecs: spec.keySpecs,
    tips: spec.tips,
    group: spec.group,
    since: spec.since,
    summary: spec.summary,
    complexity: spec.complexity,
    docFlags: spec.docFlags,
    deprecatedSince: spec.deprecatedSince,
    replacedBy: spec.replacedBy,
    history: spec.history,
    args: spec.args,
    getKeys: spec.getKeys,
    flagsFor: spec.flagsFor,
    legacy: legacyKeysOf(spec.keySpecs),
  };
}

/* ---------------------------------------------------------------------------
 * Key specs, named by what a command does with its keys. COMMAND INFO shows
 * them as they are, its legacy first/last/step are derived from them
 * (keys-of.ts: legacyKeyRange), and COMMAND GETKEYS, cluster slots and ACL
 * key checks read them.
 * ------------------------------------------------------------------------- */

// Key-spec flag sets: Redis's RO/RW/OW/RM (what happens to the key's data) and
// access/update/insert/delete (what the command does with it), in Redis's order.

/** Reads the value. */
export const READ: readonly KeySpecFlag[] = Object.freeze(['RO', 'access']);
/** Reads only what describes the value (its type, length, encoding), not the value. */
export const READ_META: readonly KeySpecFlag[] = Object.freeze(['RO']);
/** Reads the value and changes it (INCR, GETSET). */
export const READ_UPDATE: readonly KeySpecFlag[] = Object.freeze(['RW', 'access', 'update']);
/** Reads what it removes (pops, GETDEL). */
export const READ_DELETE: readonly KeySpecFlag[] = Object.freeze(['RW', 'access', 'delete']);
/** Reads the value and adds to it (PFMERGE's destination). */
export const READ_INSERT: readonly KeySpecFlag[] = Object.freeze(['RW', 'access', 'insert']);
/** Changes the value without returning it (SETRANGE, EXPIRE). */
export const UPDATE: readonly KeySpecFlag[] = Object.freeze(['RW', 'update']);
/** Only adds to the value (SADD, LPUSH). */
export const INSERT: readonly KeySpecFlag[] = Object.freeze(['RW', 'insert']);
/** Only removes from the value (SREM, HDEL). */
export const DELETE: readonly KeySpecFlag[] = Object.freeze(['RW', 'delete']);
/** Replaces the value whole, whatever it was (SETEX, a STORE destination). */
export const OVERWRITE: readonly KeySpecFlag[] = Object.freeze(['OW', 'update']);
/** Writes the value whole where there was none (SETNX). */
export const CREATE: readonly KeySpecFlag[] = Object.freeze(['OW', 'insert']);
/** Removes the key whole (DEL). */
export const REMOVE: readonly KeySpecFlag[] = Object.freeze(['RM', 'delete']);
/** Not a key, though it hashes to a slot like one (a shard channel). */
export const NOT_KEY: readonly KeySpecFlag[] = Object.freeze(['not_key']);

/** A range key spec: from argv[index] to `lastkey` (0: itself, -1: the last argument, -2: the one before), every `keystep`-th. */
export function keyRange(
  index: number,
  lastkey: number,
  keystep: number,
  flags: readonly KeySpecFlag[],
  notes?: string,
): KeySpec {
  const spec: KeySpec = { flags: [...flags], begin: { index }, find: { lastkey, keystep, limit: 0 } };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

/** One key, at argv[index]. */
export function keyAt(index: number, flags: readonly KeySpecFlag[], notes?: string): KeySpec {
  return keyRange(index, 0, 1, flags, notes);
}

/** Every argument from argv[index] to the last is a key. */
export function keysFrom(index: number, flags: readonly KeySpecFlag[], notes?: string): KeySpec {
  return keyRange(index, -1, 1, flags, notes);
}

/** A count at argv[index] (numkeys), then that many keys. */
export function keysCounted(index: number, flags: readonly KeySpecFlag[], notes?: string): KeySpec {
  const spec: KeySpec = { flags: [...flags], begin: { index }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

/** The one argument after `keyword`, searched for from argv[startfrom] (negative: from the end, backwards). */
export function keyAfter(keyword: string, startfrom: number, flags: readonly KeySpecFlag[]): KeySpec {
  return { flags: [...flags], begin: { keyword, startfrom }, find: { lastkey: 0, keystep: 1, limit: 0 } };
}

/**
 * Every argument after `keyword` (searched for as keyAfter does); with a
 * `limit` n, only the first 1/n of them (XREAD's STREAMS k1 k2 id1 id2: 2).
 */
export function keysAfter(keyword: string, startfrom: number, flags: readonly KeySpecFlag[], limit = 0): KeySpec {
  return { flags: [...flags], begin: { keyword, startfrom }, find: { lastkey: -1, keystep: 1, limit } };
}

/** Keys that cannot be found from the arguments' positions (SORT's BY and GET patterns): COMMAND INFO shows "unknown". */
export function keysUnknown(flags: readonly KeySpecFlag[], notes: string): KeySpec {
  return { notes, flags: [...flags], begin: null, find: null };
}

/** A key argument for COMMAND DOCS: `name`, belonging to key spec `idx`, optionally repeated. */
export function keyArg(name = 'key', idx = 0, multiple = false): ArgDoc {
  return multiple
    ? { name, type: 'key', key_spec_index: idx, flags: ['multiple'] }
    : { name, type: 'key', key_spec_index: idx };
}

/** The optional `LIMIT offset count` block for COMMAND DOCS (SORT, ZRANGE and the ZRANGEBY* family); `since` when Redis's docs give one. */
export function limitArg(since?: string): ArgDoc {
  return {
    name: 'offset_count',
    type: 'block',
    token: 'LIMIT',
    ...(since === undefined ? {} : { since }),
    flags: ['optional'],
    arguments: [
      { name: 'offset', type: 'integer' },
      { name: 'count', type: 'integer' },
    ],
  };
}

/**
 * Scripting commands: EVAL EVALSHA EVAL_RO EVALSHA_RO, SCRIPT
 * LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP, FCALL FCALL_RO and FUNCTION
 * LOAD|DELETE|FLUSH|LIST|STATS|DUMP|RESTORE|KILL|HELP. The VM and the
 * running of scripts and functions are in scripting/ (lua.ts, scripts.ts,
 * functions.ts).
 */
import { helpReply } from './help.js';
import {
  command,
  keysCounted,
  READ,
  READ_UPDATE,
  type ArgDoc,
  type CommandFlag,
  type CommandSpec,
  type Ctx,
  type KeySpec,
} from './spec.js';
import type { Server } from '../server/server.js';
import { Err, ReplyError } from '../protocol/errors.js';
import {
  createScript,
  feedMonitors,
  flushScripts,
  forgetScript,
  killScript,
  parseNumkeys,
  parseShebang,
  runScript,
  runningScript,
  scriptCallFlags,
  scripting,
  sha1hex,
  type Script,
} from '../scripting/scripts.js';
import {
  deleteLibrary,
  fcallGeneric,
  flushLibraries,
  functionsOf,
  libraryCodes,
  loadLibrary,
  restoreLibraries,
} from '../scripting/functions.js';
import { SCRIPT_FLAGS } from '../scripting/sandbox.js';
import { collectGarbage } from '../scripting/lua.js';
import { debugEval, LDB_OFF, LDB_SYNC, LDB_YES } from '../scripting/ldb.js';
import { globMatch } from '../util/glob.js';
import { OP_FUNCTION2, functionsPayload } from '../persistence/rdb.js';
import { verifyPayload } from './persistence.js';
import { RdbReader, RdbError } from '../persistence/rdb-reader.js';
import { numkeysGetKeys } from './keys-of.js';

/** The script EVAL (body) or EVALSHA (sha) names, from the cache or compiled now. */
function scriptFor(ctx: Ctx, bySha: boolean): Script {
  const arg = ctx.argv[1]!;
  if (!bySha) return createScript(ctx.server, arg);
  if (arg.length !== 40) throw new ReplyError(Err.noScript);
  const s = shaLookup(ctx.server, arg);
  if (s === undefined) throw new ReplyError(Err.noScript);
  return s;
}

/**
 * The cached script of a sha as EVALSHA names it (any case). Clients send
 * the lowercase sha SCRIPT LOAD returned: that is looked up before
 * lowercasing (a new string, hashed again), here and in the flags lookup.
 */
function shaLookup(server: Server, sha: string): Script | undefined {
  const scripts = scripting(server).scripts;
  return scripts.get(sha) ?? scripts.get(sha.toLowerCase());
}

function evalGeneric(ctx: Ctx, bySha: boolean, readOnly: boolean): void {
  feedMonitors(ctx);
  if (ctx.client.luaDebug !== LDB_OFF) {
    // SCRIPT DEBUG YES|SYNC: the Lua debugger (EVALSHA is refused after its sha's length check)
    if (bySha) {
      if (ctx.argv[1]!.length !== 40) throw new ReplyError(Err.noScript);
      throw new ReplyError(Err.evalshaDebug);
    }
    const st = scripting(ctx.server);
    // (SCRIPT DEBUG YES: a script the session added to the cache is dropped again, as Redis's fork never adds it)
    const sha = sha1hex(ctx.argv[1]!);
    const cached = st.scripts.has(sha);
    const forget = () => {
      if (!cached) forgetScript(ctx.server, sha);
    };
    return debugEval(
      ctx,
      (session) => (st.ldb = session),
      () => runScript(ctx, scriptFor(ctx, false), parseNumkeys(ctx.argv), readOnly),
      forget,
    );
  }
  const numkeys = parseNumkeys(ctx.argv);
  runScript(ctx, scriptFor(ctx, bySha), numkeys, readOnly);
}

/** EVAL script numkeys [key ...] [arg ...] */
const evalCmd = (ctx: Ctx) => evalGeneric(ctx, false, false);
/** EVALSHA sha1 numkeys [key ...] [arg ...] */
const evalsha = (ctx: Ctx) => evalGeneric(ctx, true, false);
/** EVAL_RO script numkeys [key ...] [arg ...] */
const evalRo = (ctx: Ctx) => evalGeneric(ctx, false, true);
/** EVALSHA_RO sha1 numkeys [key ...] [arg ...] */
const evalshaRo = (ctx: Ctx) => evalGeneric(ctx, true, true);

/** SCRIPT LOAD script */
function scriptLoad(ctx: Ctx): void {
  ctx.reply.bulk(createScript(ctx.server, ctx.argv[2]!).sha);
}

/** SCRIPT EXISTS sha1 [sha1 ...] */
function scriptExists(ctx: Ctx): void {
  const scripts = scripting(ctx.server).scripts;
  ctx.reply.array(ctx.argv.length - 2);
  for (let i = 2; i < ctx.argv.length; i++) ctx.reply.int(scripts.has(ctx.argv[i]!.toLowerCase()) ? 1 : 0);
}

/** SCRIPT/FUNCTION FLUSH's mode (checked by the caller): ASYNC, or no argument with lazyfree-lazy-user-flush on. */
function flushIsAsync(ctx: Ctx): boolean {
  if (ctx.argv.length === 3) return ctx.argv[2]!.toLowerCase() === 'async';
  return ctx.server.config.v['lazyfree-lazy-user-flush'];
}

/** SCRIPT FLUSH [ASYNC|SYNC] */
function scriptFlush(ctx: Ctx): void {
  const a = ctx.argv;
  if (a.length > 3 || (a.length === 3 && !['sync', 'async'].includes(a[2]!.toLowerCase()))) {
    throw new ReplyError(Err.scriptFlushOption);
  }
  // freed lazily as Redis does it: a cache of more than 64 scripts, ASYNC (or lazyfree-lazy-user-flush)
  ctx.server.lazyfree.releaseMany(scripting(ctx.server).scripts.size, flushIsAsync(ctx));
  flushScripts(ctx.server);
  // Redis starts a new eval VM: the memory the scripts held is given back now
  collectGarbage();
  ctx.reply.ok();
}

/**
 * SCRIPT KILL: ends the running EVAL script that has not written (it can
 * only arrive while a script is busy: see Server.serveWhileBusy).
 */
function scriptKill(ctx: Ctx): void {
  killScript(ctx.server, true);
  ctx.reply.ok();
}

/** FUNCTION KILL: SCRIPT KILL for a running function. */
function functionKill(ctx: Ctx): void {
  killScript(ctx.server, false);
  ctx.reply.ok();
}

/**
 * SCRIPT DEBUG YES|SYNC|NO: the client's next EVALs run under the Lua
 * debugger (scripting/ldb.ts), or not. Not after other commands of a
 * pipeline whose replies are not sent yet (Redis's rule).
 */
function scriptDebug(ctx: Ctx): void {
  if (ctx.reply.out.length !== 0) throw new ReplyError(Err.scriptDebugPipeline);
  const m = ctx.argv[2]!.toLowerCase();
  const mode = m === 'no' ? LDB_OFF : m === 'yes' ? LDB_YES : m === 'sync' ? LDB_SYNC : -1;
  if (mode < 0) throw new ReplyError(Err.scriptDebugMode);
  ctx.client.luaDebug = mode;
  ctx.reply.ok();
}

const HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

/** SCRIPT HELP */
function scriptHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'script', HELP);
}

/** FCALL function numkeys [key ...] [arg ...] */
function fcall(ctx: Ctx): void {
  feedMonitors(ctx);
  fcallGeneric(ctx, false);
}
/** FCALL_RO function numkeys [key ...] [arg ...] */
function fcallRo(ctx: Ctx): void {
  feedMonitors(ctx);
  fcallGeneric(ctx, true);
}

/** FUNCTION LOAD [REPLACE] function-code */
function functionLoad(ctx: Ctx): void {
  const a = ctx.argv;
  let replace = false;
  let i = 2;
  for (; i < a.length - 1; i++) {
    if (a[i]!.toLowerCase() === 'replace') replace = true;
    else throw new ReplyError(Err.functionUnknownOption(a[i]!));
  }
  if (i !== a.length - 1) throw new ReplyError(Err.functionCodeMissing);
  ctx.reply.bulk(loadLibrary(ctx.server, a[i]!, replace));
  ctx.dirty(); // propagated as sent (AOF), as Redis does
}

/** FUNCTION DELETE library-name */
function functionDelete(ctx: Ctx): void {
  if (!deleteLibrary(ctx.server, ctx.argv[2]!)) throw new ReplyError(Err.libraryNotFound);
  ctx.dirty();
  ctx.reply.ok();
}

/** FUNCTION FLUSH [ASYNC|SYNC] */
function functionFlush(ctx: Ctx): void {
  const a = ctx.argv;
  if (a.length > 3) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(a[1]!, a[0]!));
  if (a.length === 3 && !['sync', 'async'].includes(a[2]!.toLowerCase())) {
    throw new ReplyError(Err.functionFlushOption);
  }
  ctx.server.lazyfree.releaseMany(functionsOf(ctx.server).functions.size, flushIsAsync(ctx));
  flushLibraries(ctx.server);
  ctx.dirty();
  ctx.reply.ok();
}

/** FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE] */
function functionList(ctx: Ctx): void {
  const a = ctx.argv;
  let pattern: string | null = null;
  let withCode = false;
  // Redis's functionListCommand: each option once (a second one is an unknown argument)
  for (let i = 2; i < a.length; i++) {
    const o = a[i]!.toLowerCase();
    if (!withCode && o === 'withcode') withCode = true;
    else if (pattern === null && o === 'libraryname') {
      if (i + 1 >= a.length) throw new ReplyError(Err.libraryNameMissing);
      pattern = a[++i]!;
    } else throw new ReplyError(Err.functionUnknownArgument(a[i]!));
  }
  const { reply } = ctx;
  const libs = [...functionsOf(ctx.server).libraries.values()].filter(
    (l) => pattern === null || globMatch(pattern, l.name, true),
  );
  reply.array(libs.length);
  for (const lib of libs) {
    reply.map(withCode ? 4 : 3);
    reply.bulk('library_name');
    reply.bulk(lib.name);
    reply.bulk('engine');
    reply.bulk('LUA');
    reply.bulk('functions');
    reply.array(lib.functions.size);
    for (const f of lib.functions.values()) {
      reply.map(3);
      reply.bulk('name');
      reply.bulk(f.name);
      reply.bulk('description');
      reply.bulkOrNull(f.description);
      // the flags set, in Redis's order (functionListReplyFlags)
      reply.bulk('flags');
      const names = SCRIPT_FLAGS.filter(([, bit]) => (f.flags & bit) !== 0);
      reply.set(names.length);
      for (const [n] of names) reply.simple(n);
    }
    if (withCode) {
      reply.bulk('library_code');
      reply.bulk(lib.code);
    }
  }
}

/** FUNCTION STATS: no function is ever running when a command is served. */
function functionStats(ctx: Ctx): void {
  const { reply } = ctx;
  const st = functionsOf(ctx.server);
  const run = runningScript(ctx.server);
  // An EVAL script is running (busy): Redis refuses, as it names functions only.
  if (run !== null && run.isEval) throw new ReplyError(Err.busyEval);
  reply.map(2);
  reply.bulk('running_script');
  if (run === null) reply.null();
  else {
    reply.map(3);
    reply.bulk('name');
    reply.bulk(run.name);
    reply.bulk('command');
    reply.array(run.argv.length);
    for (const a of run.argv) reply.bulk(a);
    reply.bulk('duration_ms');
    reply.int(run.ms);
  }
  reply.bulk('engines');
  reply.map(1);
  reply.bulk('LUA');
  reply.map(2);
  reply.bulk('libraries_count');
  reply.int(st.libraries.size);
  reply.bulk('functions_count');
  reply.int(st.functions.size);
}

/** FUNCTION DUMP: every library as an RDB function record, with DUMP's version and CRC-64. */
function functionDump(ctx: Ctx): void {
  ctx.reply.bulk(functionsPayload(libraryCodes(ctx.server)));
}

/** FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE] */
function functionRestore(ctx: Ctx): void {
  const a = ctx.argv;
  if (a.length > 4) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(a[1]!, a[0]!));
  const policy = a.length === 4 ? a[3]!.toLowerCase() : 'append';
  if (!['flush', 'append', 'replace'].includes(policy)) {
    throw new ReplyError(Err.functionRestorePolicy);
  }
  const b = verifyPayload(a[2]!, ctx.server.debugFlags.skipChecksumValidation);
  const codes: string[] = [];
  const r = new RdbReader(b, 0, b.length - 10);
  try {
    while (r.pos < r.end) {
      if (r.byte() !== OP_FUNCTION2) throw new ReplyError(Err.functionRestoreType);
      codes.push(r.str());
    }
  } catch (e) {
    if (e instanceof RdbError) throw new ReplyError(Err.functionRestorePayload);
    throw e;
  }
  restoreLibraries(ctx.server, codes, policy as 'flush' | 'append' | 'replace');
  ctx.dirty();
  ctx.reply.ok();
}

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];

/** FUNCTION HELP */
function functionHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'function', FUNCTION_HELP);
}

const EVAL_FLAGS = ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys'] as const;

/**
 * EVAL's and EVALSHA's flags for one call (Redis's evalGetCommandFlags): a
 * cached script's declared flags, or the shebang's of a new body; none
 * declared (or a bad shebang, refused when it runs): the command's own.
 */
const evalFlagsFor =
  (evalsha: boolean) =>
  (server: Server, argv: string[], own: readonly CommandFlag[]): readonly CommandFlag[] => {
    const body = argv[1];
    if (body === undefined || (evalsha && body.length !== 40)) return own;
    const cached = evalsha ? shaLookup(server, body) : scripting(server).scripts.get(sha1hex(body));
    if (cached !== undefined) return scriptCallFlags(own, cached.flags);
    if (evalsha || !body.startsWith('#!')) return own;
    try {
      return scriptCallFlags(own, parseShebang(body).flags);
    } catch {
      return own;
    }
  };

/** FCALL's flags for one call: the function's declared flags. */
function fcallFlagsFor(server: Server, argv: string[], own: readonly CommandFlag[]): readonly CommandFlag[] {
  const f = functionsOf(server).functions.get(argv[1] ?? '');
  return f === undefined ? own : scriptCallFlags(own, f.flags);
}
/** EVAL & co.: numkeys at 2, then the keys, read (the _RO forms) or read and updated (the script decides). */
const keySpec = (ro: boolean, notes: boolean): KeySpec =>
  keysCounted(
    2,
    ro ? READ : READ_UPDATE,
    notes
      ? `We cannot tell how the keys will be used so we assume the worst, ${ro ? 'RO and ACCESS' : 'RW and UPDATE'}`
      : undefined,
  );
const evalArgs = (first: string): ArgDoc[] => [
  { name: first, type: 'string' },
  { name: 'numkeys', type: 'integer' },
  { name: 'key', type: 'key', key_spec_index: 0, flags: ['optional', 'multiple'] },
  { name: 'arg', type: 'string', flags: ['optional', 'multiple'] },
];
/** EVAL & co. name their keys with numkeys at argv[2]. */
/** EVAL/EVALSHA/FCALL and their _RO forms: numkeys at 2, keys from 3 (Redis's evalGetKeys). */
const evalKeys = numkeysGetKeys(0, 2, 3);

const sub = (spec: Omit<Parameters<typeof command>[0], 'acl' | 'group'>): CommandSpec =>
  command({ ...spec, acl: ['scripting'], group: 'scripting' });

export const commands: CommandSpec[] = [
  command({
    name: 'eval',
    mayNeedVm: true,
    arity: -3,
    flags: [...EVAL_FLAGS, 'may_replicate'],
    flagsFor: evalFlagsFor(false),
    acl: ['scripting'],
    keySpecs: [keySpec(false, true)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '2.6.0',
    summary: 'Executes a server-side Lua script.',
    complexity: 'Depends on the script that is executed.',
    args: evalArgs('script'),
    handler: evalCmd,
  }),
  command({
    name: 'evalsha',
    arity: -3,
    flags: [...EVAL_FLAGS, 'may_replicate'],
    flagsFor: evalFlagsFor(true),
    acl: ['scripting'],
    keySpecs: [keySpec(false, false)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '2.6.0',
    summary: 'Executes a server-side Lua script by SHA1 digest.',
    complexity: 'Depends on the script that is executed.',
    args: evalArgs('sha1'),
    handler: evalsha,
  }),
  command({
    name: 'eval_ro',
    mayNeedVm: true,
    arity: -3,
    flags: ['readonly', ...EVAL_FLAGS],
    flagsFor: evalFlagsFor(false),
    acl: ['scripting'],
    keySpecs: [keySpec(true, true)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '7.0.0',
    summary: 'Executes a read-only server-side Lua script.',
    complexity: 'Depends on the script that is executed.',
    args: evalArgs('script'),
    handler: evalRo,
  }),
  command({
    name: 'evalsha_ro',
    arity: -3,
    flags: ['readonly', ...EVAL_FLAGS],
    flagsFor: evalFlagsFor(true),
    acl: ['scripting'],
    keySpecs: [keySpec(true, false)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '7.0.0',
    summary: 'Executes a read-only server-side Lua script by SHA1 digest.',
    complexity: 'Depends on the script that is executed.',
    args: evalArgs('sha1'),
    handler: evalshaRo,
  }),
  command({
    name: 'script',
    mayNeedVm: true,
    arity: -2,
    flags: [],
    group: 'scripting',
    since: '2.6.0',
    summary: 'A container for Lua scripts management commands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub({
        name: 'debug',
        arity: 3,
        flags: ['noscript'],
        since: '3.2.0',
        summary: 'Sets the debug mode of server-side Lua scripts.',
        complexity: 'O(1)',
        args: [
          {
            name: 'mode',
            type: 'oneof',
            arguments: [
              { name: 'yes', type: 'pure-token', token: 'YES' },
              { name: 'sync', type: 'pure-token', token: 'SYNC' },
              { name: 'no', type: 'pure-token', token: 'NO' },
            ],
          },
        ],
        handler: scriptDebug,
      }),
      sub({
        name: 'exists',
        arity: -3,
        flags: ['noscript'],
        tips: ['request_policy:all_shards', 'response_policy:agg_logical_and'],
        since: '2.6.0',
        summary: 'Determines whether server-side Lua scripts exist in the script cache.',
        complexity:
          'O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).',
        args: [{ name: 'sha1', type: 'string', flags: ['multiple'] }],
        handler: scriptExists,
      }),
      sub({
        name: 'flush',
        arity: -2,
        flags: ['noscript'],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        since: '2.6.0',
        summary: 'Removes all server-side Lua scripts from the script cache.',
        complexity: 'O(N) with N being the number of scripts in cache',
        history: [['6.2.0', 'Added the `ASYNC` and `SYNC` flushing mode modifiers.']],
        args: [
          {
            name: 'async',
            type: 'oneof',
            flags: ['optional'],
            since: '6.2.0',
            arguments: [
              { name: 'async', type: 'pure-token', token: 'ASYNC' },
              { name: 'sync', type: 'pure-token', token: 'SYNC' },
            ],
          },
        ],
        handler: scriptFlush,
      }),
      sub({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        since: '5.0.0',
        summary: 'Returns helpful text about the different subcommands.',
        complexity: 'O(1)',
        handler: scriptHelp,
      }),
      sub({
        name: 'kill',
        arity: 2,
        flags: ['noscript', 'allow_busy'],
        tips: ['request_policy:all_shards', 'response_policy:one_succeeded'],
        since: '2.6.0',
        summary: 'Terminates a server-side Lua script during execution.',
        complexity: 'O(1)',
        handler: scriptKill,
      }),
      sub({
        name: 'load',
        arity: 3,
        flags: ['noscript', 'stale'],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        since: '2.6.0',
        summary: 'Loads a server-side Lua script to the script cache.',
        complexity: 'O(N) with N being the length in bytes of the script body.',
        args: [{ name: 'script', type: 'string' }],
        handler: scriptLoad,
      }),
    ],
  }),
  command({
    name: 'fcall',
    arity: -3,
    flags: [...EVAL_FLAGS, 'may_replicate'],
    flagsFor: fcallFlagsFor,
    acl: ['scripting'],
    keySpecs: [keySpec(false, true)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '7.0.0',
    summary: 'Invokes a function.',
    complexity: 'Depends on the function that is executed.',
    args: evalArgs('function'),
    handler: fcall,
  }),
  command({
    name: 'fcall_ro',
    arity: -3,
    flags: ['readonly', ...EVAL_FLAGS],
    flagsFor: fcallFlagsFor,
    acl: ['scripting'],
    keySpecs: [keySpec(true, true)],
    getKeys: evalKeys,
    group: 'scripting',
    since: '7.0.0',
    summary: 'Invokes a read-only function.',
    complexity: 'Depends on the function that is executed.',
    args: evalArgs('function'),
    handler: fcallRo,
  }),
  command({
    name: 'function',
    mayNeedVm: true,
    arity: -2,
    flags: [],
    group: 'scripting',
    since: '7.0.0',
    summary: 'A container for function commands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub({
        name: 'delete',
        arity: 3,
        flags: ['write', 'noscript'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        since: '7.0.0',
        summary: 'Deletes a library and its functions.',
        complexity: 'O(1)',
        args: [{ name: 'library-name', type: 'string' }],
        handler: functionDelete,
      }),
      sub({
        name: 'dump',
        arity: 2,
        flags: ['noscript'],
        since: '7.0.0',
        summary: 'Dumps all libraries into a serialized binary payload.',
        complexity: 'O(N) where N is the number of functions',
        handler: functionDump,
      }),
      sub({
        name: 'flush',
        arity: -2,
        flags: ['write', 'noscript'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        since: '7.0.0',
        summary: 'Deletes all libraries and functions.',
        complexity: 'O(N) where N is the number of functions deleted',
        args: [
          {
            name: 'async',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'async', type: 'pure-token', token: 'ASYNC' },
              { name: 'sync', type: 'pure-token', token: 'SYNC' },
            ],
          },
        ],
        handler: functionFlush,
      }),
      sub({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        since: '7.0.0',
        summary: 'Returns helpful text about the different subcommands.',
        complexity: 'O(1)',
        handler: functionHelp,
      }),
      sub({
        name: 'kill',
        arity: 2,
        flags: ['noscript', 'allow_busy'],
        tips: ['request_policy:all_shards', 'response_policy:one_succeeded'],
        since: '7.0.0',
        summary: 'Terminates a function during execution.',
        complexity: 'O(1)',
        handler: functionKill,
      }),
      sub({
        name: 'list',
        arity: -2,
        flags: ['noscript'],
        tips: ['nondeterministic_output_order'],
        since: '7.0.0',
        summary: 'Returns information about all libraries.',
        complexity: 'O(N) where N is the number of functions',
        args: [
          { name: 'library-name-pattern', type: 'string', token: 'LIBRARYNAME', flags: ['optional'] },
          { name: 'withcode', type: 'pure-token', token: 'WITHCODE', flags: ['optional'] },
        ],
        handler: functionList,
      }),
      sub({
        name: 'load',
        arity: -3,
        flags: ['write', 'denyoom', 'noscript'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        since: '7.0.0',
        summary: 'Creates a library.',
        complexity: 'O(1) (considering compilation time is redundant)',
        args: [
          { name: 'replace', type: 'pure-token', token: 'REPLACE', flags: ['optional'] },
          { name: 'function-code', type: 'string' },
        ],
        handler: functionLoad,
      }),
      sub({
        name: 'restore',
        arity: -3,
        flags: ['write', 'denyoom', 'noscript'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        since: '7.0.0',
        summary: 'Restores all libraries from a payload.',
        complexity: 'O(N) where N is the number of functions on the payload',
        args: [
          { name: 'serialized-value', type: 'string' },
          {
            name: 'policy',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'flush', type: 'pure-token', token: 'FLUSH' },
              { name: 'append', type: 'pure-token', token: 'APPEND' },
              { name: 'replace', type: 'pure-token', token: 'REPLACE' },
            ],
          },
        ],
        handler: functionRestore,
      }),
      sub({
        name: 'stats',
        arity: 2,
        flags: ['noscript', 'allow_busy'],
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
        since: '7.0.0',
        summary: 'Returns information about a function during execution.',
        complexity: 'O(1)',
        handler: functionStats,
      }),
    ],
  }),
];

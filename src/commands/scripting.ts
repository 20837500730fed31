/**
 * Scripting commands: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT
 * LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP. The VM and the running of a script are
 * in scripting/ (lua.ts, scripts.ts).
 */
import { command, type CommandSpec, type Ctx, type KeySpec, type ArgDoc } from './spec.js';
import { ReplyError } from '../protocol/errors.js';
import { createScript, flushScripts, parseNumkeys, runScript, scripting, type Script } from '../scripting/scripts.js';

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** The script EVAL (body) or EVALSHA (sha) names, from the cache or compiled now. */
function scriptFor(ctx: Ctx, bySha: boolean): Script {
  const arg = ctx.argv[1]!;
  if (!bySha) return createScript(ctx.server, arg);
  const s = arg.length === 40 ? scripting(ctx.server).scripts.get(arg.toLowerCase()) : undefined;
  if (s === undefined) throw new ReplyError(NOSCRIPT);
  return s;
}

function evalGeneric(ctx: Ctx, bySha: boolean, readOnly: boolean): void {
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

/** SCRIPT FLUSH [ASYNC|SYNC] */
function scriptFlush(ctx: Ctx): void {
  const a = ctx.argv;
  if (a.length > 3 || (a.length === 3 && !['sync', 'async'].includes(a[2]!.toLowerCase()))) {
    throw new ReplyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  flushScripts(ctx.server);
  ctx.reply.ok();
}

/** SCRIPT KILL: scripts run to completion within one command, so none is ever running when this arrives. */
function scriptKill(ctx: Ctx): void {
  ctx.reply.error('NOTBUSY No scripts in execution right now.');
}

/** SCRIPT DEBUG YES|SYNC|NO: the Lua debugger is not supported; NO is accepted. */
function scriptDebug(ctx: Ctx): void {
  const m = ctx.argv[2]!.toLowerCase();
  if (m === 'no') return ctx.reply.ok();
  if (m === 'yes' || m === 'sync') throw new ReplyError('ERR SCRIPT DEBUG is not supported by this server');
  throw new ReplyError('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

const HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
  'HELP',
  '    Prints this help.',
];

/** SCRIPT HELP */
function scriptHelp(ctx: Ctx): void {
  ctx.reply.array(HELP.length);
  for (const l of HELP) ctx.reply.simple(l);
}

const EVAL_FLAGS = ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys'] as const;
const keySpec = (ro: boolean, notes: boolean): KeySpec => ({
  ...(notes ? { notes: ro ? 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS' : 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE' } : {}),
  flags: ro ? ['RO', 'access'] : ['RW', 'access', 'update'],
  begin: { index: 2 },
  find: { keynumidx: 0, firstkey: 1, keystep: 1 },
});
const evalArgs = (first: string): ArgDoc[] => [
  { name: first, type: 'string' },
  { name: 'numkeys', type: 'integer' },
  { name: 'key', type: 'key', key_spec_index: 0, flags: ['optional', 'multiple'] },
  { name: 'arg', type: 'string', flags: ['optional', 'multiple'] },
];
/** EVAL & co. name their keys with numkeys at argv[2]. */
function evalKeys(argv: string[]): number[] {
  const n = Number(argv[2]);
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}

const sub = (spec: Omit<Parameters<typeof command>[0], 'acl' | 'group'>): CommandSpec => command({ ...spec, acl: ['scripting'], group: 'scripting' });

export const commands: CommandSpec[] = [
  command({ name: 'eval', arity: -3, flags: [...EVAL_FLAGS], acl: ['scripting'], keySpecs: [keySpec(false, true)], getKeys: evalKeys, group: 'scripting', since: '2.6.0', summary: 'Executes a server-side Lua script.', complexity: 'Depends on the script that is executed.', args: evalArgs('script'), handler: evalCmd }),
  command({ name: 'evalsha', arity: -3, flags: [...EVAL_FLAGS], acl: ['scripting'], keySpecs: [keySpec(false, false)], getKeys: evalKeys, group: 'scripting', since: '2.6.0', summary: 'Executes a server-side Lua script by SHA1 digest.', complexity: 'Depends on the script that is executed.', args: evalArgs('sha1'), handler: evalsha }),
  command({ name: 'eval_ro', arity: -3, flags: ['readonly', ...EVAL_FLAGS], acl: ['scripting'], keySpecs: [keySpec(true, true)], getKeys: evalKeys, group: 'scripting', since: '7.0.0', summary: 'Executes a read-only server-side Lua script.', complexity: 'Depends on the script that is executed.', args: evalArgs('script'), handler: evalRo }),
  command({ name: 'evalsha_ro', arity: -3, flags: ['readonly', ...EVAL_FLAGS], acl: ['scripting'], keySpecs: [keySpec(true, false)], getKeys: evalKeys, group: 'scripting', since: '7.0.0', summary: 'Executes a read-only server-side Lua script by SHA1 digest.', complexity: 'Depends on the script that is executed.', args: evalArgs('sha1'), handler: evalshaRo }),
  command({
    name: 'script', arity: -2, flags: [], acl: ['scripting'], group: 'scripting', since: '2.6.0', summary: 'A container for Lua scripts management commands.', complexity: 'Depends on subcommand.',
    subcommands: [
      sub({ name: 'debug', arity: 3, flags: ['noscript'], since: '3.2.0', summary: 'Sets the debug mode of server-side Lua scripts.', complexity: 'O(1)', args: [{ name: 'mode', type: 'oneof', arguments: [{ name: 'yes', type: 'pure-token', token: 'YES' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }, { name: 'no', type: 'pure-token', token: 'NO' }] }], handler: scriptDebug }),
      sub({ name: 'exists', arity: -3, flags: ['noscript'], tips: ['request_policy:all_shards', 'response_policy:agg_logical_and'], since: '2.6.0', summary: 'Determines whether server-side Lua scripts exist in the script cache.', complexity: 'O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).', args: [{ name: 'sha1', type: 'string', flags: ['multiple'] }], handler: scriptExists }),
      sub({ name: 'flush', arity: -2, flags: ['noscript'], tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'], since: '2.6.0', summary: 'Removes all server-side Lua scripts from the script cache.', complexity: 'O(N) with N being the number of scripts in cache', args: [{ name: 'flush-type', type: 'oneof', flags: ['optional'], since: '6.2.0', arguments: [{ name: 'async', type: 'pure-token', token: 'ASYNC' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }] }], handler: scriptFlush }),
      sub({ name: 'help', arity: 2, flags: ['loading', 'stale'], since: '5.0.0', summary: 'Returns helpful text about the different subcommands.', complexity: 'O(1)', handler: scriptHelp }),
      sub({ name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], tips: ['request_policy:all_shards', 'response_policy:one_succeeded'], since: '2.6.0', summary: 'Terminates a server-side Lua script during execution.', complexity: 'O(1)', handler: scriptKill }),
      sub({ name: 'load', arity: 3, flags: ['noscript', 'stale'], tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'], since: '2.6.0', summary: 'Loads a server-side Lua script to the script cache.', complexity: 'O(N) with N being the length in bytes of the script body.', args: [{ name: 'script', type: 'string' }], handler: scriptLoad }),
    ],
  }),
];

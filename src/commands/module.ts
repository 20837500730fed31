/**
 * MODULE: tsdis loads no native modules, so the list is always empty and
 * LOAD/LOADEX/UNLOAD fail as Redis fails for a module it cannot load (the
 * reason in the log). LOAD, LOADEX and UNLOAD are protected by
 * enable-module-command (default no), as in Redis.
 */
import { Err } from '../protocol/errors.js';
import { command, type CommandSpec, type Ctx } from './spec.js';
import { helpReply } from './help.js';

const HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

/** MODULE LOAD path [arg ...] / MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...] */
function moduleLoad(ctx: Ctx): void {
  ctx.server.log.warning(`Module ${ctx.argv[2]} failed to load: tsdis does not load native modules`);
  ctx.reply.error(Err.moduleLoad);
}

/** MODULE UNLOAD name */
function moduleUnload(ctx: Ctx): void {
  const why = 'no such module with that name';
  ctx.server.log.warning(`Error unloading module ${ctx.argv[2]}: ${why}`);
  ctx.reply.error(Err.moduleUnload(why));
}

const sub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  since: string,
  summary: string,
  handler: CommandSpec['handler'],
  extra: Partial<CommandSpec> = {},
) =>
  command({
    name,
    arity,
    flags,
    group: 'server',
    since,
    summary,
    complexity: 'O(1)',
    handler,
    ...extra,
  });

const LOAD_FLAGS: CommandSpec['flags'] = ['no_async_loading', 'admin', 'noscript', 'protected'];

export const commands: readonly CommandSpec[] = [
  command({
    name: 'module',
    arity: -2,
    flags: [],
    group: 'server',
    since: '4.0.0',
    summary: 'Lists, loads and unloads modules.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'Lists the MODULE subcommands.', (ctx) =>
        helpReply(ctx.reply, 'module', HELP),
      ),
      sub(
        'list',
        2,
        ['admin', 'noscript'],
        '4.0.0',
        'Lists the loaded modules (none in tsdis).',
        (ctx) => ctx.reply.array(0),
        {
          tips: ['nondeterministic_output_order'],
          complexity: 'O(N) where N is the number of loaded modules.',
        },
      ),
      sub('load', -3, LOAD_FLAGS, '4.0.0', 'Loads a module.', moduleLoad, {
        protectedBy: 'enable-module-command',
        args: [
          { name: 'path', type: 'string' },
          { name: 'arg', type: 'string', flags: ['optional', 'multiple'] },
        ],
      }),
      sub(
        'loadex',
        -3,
        LOAD_FLAGS,
        '7.0.0',
        'Loads a module with configuration parameters and arguments.',
        moduleLoad,
        {
          protectedBy: 'enable-module-command',
          args: [
            { name: 'path', type: 'string' },
            {
              name: 'configs',
              type: 'block',
              token: 'CONFIG',
              flags: ['optional', 'multiple', 'multiple_token'],
              arguments: [
                { name: 'name', type: 'string' },
                { name: 'value', type: 'string' },
              ],
            },
            { name: 'args', type: 'string', token: 'ARGS', flags: ['optional', 'multiple'] },
          ],
        },
      ),
      sub('unload', 3, LOAD_FLAGS, '4.0.0', 'Unloads a module.', moduleUnload, {
        protectedBy: 'enable-module-command',
        args: [{ name: 'name', type: 'string' }],
      }),
    ],
  }),
];

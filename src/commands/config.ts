/**
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP. The parameter table and
 * its parsing live in src/config; these handlers only speak the protocol.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { isLocalClient } from '../observability/clientlist.js';

/** Replies with a HELP text the way Redis does: a header line, then status lines. */
export function replyHelp(ctx: Ctx, cmdName: string, lines: readonly string[]): void {
  const all = [
    `${cmdName.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    'HELP',
    '    Prints this help.',
  ];
  ctx.reply.array(all.length);
  for (const l of all) ctx.reply.simple(l);
}

/** CONFIG GET parameter [parameter ...] */
function configGet(ctx: Ctx): void {
  const found = ctx.server.config.getMatching(ctx.argv.slice(2));
  ctx.reply.map(found.length);
  for (const [name, value] of found) {
    ctx.reply.bulk(name);
    ctx.reply.bulk(value);
  }
}

/** Whether enable-protected-configs lets this client change protected parameters. */
function allowProtected(ctx: Ctx): boolean {
  const mode = ctx.server.config.v['enable-protected-configs'];
  return mode === 'yes' || (mode === 'local' && isLocalClient(ctx.client));
}

/** CONFIG SET parameter value [parameter value ...] — all or nothing. */
function configSet(ctx: Ctx): void {
  const { argv } = ctx;
  if (argv.length % 2) throw new ReplyError(Err.syntax);
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) {
    pairs.push([argv[i]!, argv[i + 1]!]);
    // Secrets never reach the slowlog (which records argv after the call), as in Redis.
    if (ctx.server.config.def(argv[i]!)?.sensitive) argv[i + 1] = '(redacted)';
  }
  const { server, client } = ctx;
  const undo = server.config.setMany(pairs, allowProtected(ctx), server.loading || server.asyncLoading);
  // port, bind and http-port take effect by listening again, which may fail:
  // then every parameter of this call goes back (as Redis's apply functions decide)
  const rebind = rebindOutcome(server, pairs);
  if (rebind === null) return ctx.reply.ok();
  if (client.socket === null || client.inExec) {
    // no one to hold (in-process call, EXEC): the outcome goes to the log
    void rebind.then((failed) => failed && undo());
    return ctx.reply.ok();
  }
  server.conns.holdUntil(client, rebind, (failed) => {
    if (failed === null) return client.reply.ok();
    undo();
    const name = server.config.def(failed)!.name;
    const why = name !== 'bind' && name !== 'http-bind' ? Err.applyListen : Err.applyBind;
    client.reply.error(Err.configSetFailed(failed, why));
  });
}

/** The parameters applied by listening again: the RESP listeners', the HTTP listener's. */
const LISTENER_PARAMS = new Set(['port', 'tls-port', 'bind']);
const HTTP_PARAMS = new Set(['http-port', 'http-bind', 'bind']);

/**
 * The re-listens a CONFIG SET of `pairs` started (server/listener.ts,
 * http/subsystem.ts), as one outcome: null when they all succeeded, else
 * the parameter (as the call named it) whose listener failed. Null at once
 * when none started.
 */
function rebindOutcome(server: Ctx['server'], pairs: [string, string][]): Promise<string | null> | null {
  const waits: Promise<string | null>[] = [];
  const named = (set: Set<string>) => pairs.find(([name]) => set.has(server.config.def(name)!.name))?.[0];
  const tcp = server.listener.rebinding;
  const tcpParam = named(LISTENER_PARAMS);
  if (tcp !== null && tcpParam !== undefined) waits.push(tcp.then((e) => (e === null ? null : tcpParam)));
  const http = server.http.rebinding;
  const httpParam = named(HTTP_PARAMS);
  if (http !== null && httpParam !== undefined) waits.push(http.then((e) => (e === null ? null : httpParam)));
  if (waits.length === 0) return null;
  return Promise.all(waits).then((failed) => failed.find((f) => f !== null) ?? null);
}

/** CONFIG RESETSTAT: clears INFO stats, commandstats, errorstats and the slowlog. */
function configResetStat(ctx: Ctx): void {
  ctx.server.stats.reset();
  ctx.server.evict.resetStats();
  ctx.server.slowlog.reset();
  ctx.server.lazyfree.resetStats();
  ctx.reply.ok();
}

/** CONFIG REWRITE: writes the current configuration back to the config file. */
function configRewrite(ctx: Ctx): void {
  ctx.server.config.rewriteFile();
  ctx.server.log.warning('CONFIG REWRITE executed with success.');
  ctx.reply.ok();
}

/** CONFIG HELP (the same lines as redis-server, which clients may show). */
function configHelp(ctx: Ctx): void {
  replyHelp(ctx, 'config', [
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
  ]);
}

const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

export const commands: CommandSpec[] = [
  command({
    name: 'config',
    arity: -2,
    flags: [],
    group: 'server',
    since: '2.0.0',
    summary: 'Reads and changes the server configuration.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'get',
        arity: -3,
        flags: [...ADMIN],
        group: 'server',
        since: '2.0.0',
        summary: 'Returns the parameters matching the given patterns, with their values.',
        complexity: 'O(N) when N is the number of configuration parameters provided',
        history: [['7.0.0', 'Added the ability to pass multiple pattern parameters in one call']],
        args: [
          { name: 'parameter', type: 'block', flags: ['multiple'], arguments: [{ name: 'parameter', type: 'string' }] },
        ],
        handler: configGet,
      }),
      command({
        name: 'set',
        arity: -4,
        flags: [...ADMIN],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        group: 'server',
        since: '2.0.0',
        summary: 'Changes one or more parameters at once: all of them or none.',
        complexity: 'O(N) when N is the number of configuration parameters provided',
        history: [['7.0.0', 'Added the ability to set multiple parameters in one call.']],
        args: [
          {
            name: 'parameter_value',
            type: 'block',
            flags: ['multiple'],
            arguments: [
              { name: 'parameter', type: 'string' },
              { name: 'value', type: 'string' },
            ],
          },
        ],
        handler: configSet,
      }),
      command({
        name: 'resetstat',
        arity: 2,
        flags: [...ADMIN],
        group: 'server',
        since: '2.0.0',
        summary: 'Resets the statistics INFO reports.',
        complexity: 'O(1)',
        handler: configResetStat,
      }),
      command({
        name: 'rewrite',
        arity: 2,
        flags: [...ADMIN],
        group: 'server',
        since: '2.8.0',
        summary: 'Writes the running configuration back to the configuration file.',
        complexity: 'O(1)',
        handler: configRewrite,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'server',
        since: '5.0.0',
        summary: 'Describes the CONFIG subcommands.',
        complexity: 'O(1)',
        handler: configHelp,
      }),
    ],
  }),
];

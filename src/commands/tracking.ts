/**
 * CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO:
 * the client side caching subcommands of CLIENT (declared here, listed in
 * CLIENT's subcommands in commands/server.ts). The tables and the
 * invalidation messages are server/tracking.ts's.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { is } from './args.js';

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
function clientTracking(ctx: Ctx): void {
  const { argv, client: c, server } = ctx;
  let redirect = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j]!;
    if (is(a, 'REDIRECT') && more > 0) {
      j++;
      if (redirect !== 0) throw new ReplyError(Err.trackingOneRedirect);
      const id = parseInt64(argv[j]!);
      if (id === null) throw new ReplyError(Err.notInteger);
      if (typeof id === 'bigint' || !server.clients.has(id)) throw new ReplyError(Err.trackingNoRedirectTarget);
      redirect = id;
    } else if (is(a, 'BCAST')) opts.bcast = true;
    else if (is(a, 'OPTIN')) opts.optin = true;
    else if (is(a, 'OPTOUT')) opts.optout = true;
    else if (is(a, 'NOLOOP')) opts.noloop = true;
    else if (is(a, 'PREFIX') && more > 0) prefixes.push(argv[++j]!);
    else throw new ReplyError(Err.syntax);
  }
  if (is(argv[2], 'ON')) {
    if (!opts.bcast && prefixes.length > 0) throw new ReplyError(Err.trackingPrefixNeedsBcast);
    if (c.tracking && c.trackingBcast !== opts.bcast) {
      throw new ReplyError(Err.trackingSwitchBcast);
    }
    if (opts.bcast && (opts.optin || opts.optout)) throw new ReplyError(Err.trackingBcastOptin);
    if (opts.optin && opts.optout) throw new ReplyError(Err.trackingOptinAndOptout);
    if ((opts.optin && c.trackingOptout) || (opts.optout && c.trackingOptin)) {
      throw new ReplyError(Err.trackingSwitchOptin);
    }
    if (opts.bcast) {
      const err = server.tracking.prefixCollision(c, prefixes);
      if (err !== null) throw new ReplyError(err);
    }
    server.tracking.enable(c, redirect, opts, prefixes);
  } else if (is(argv[2], 'OFF')) {
    server.tracking.disable(c);
  } else throw new ReplyError(Err.syntax);
  ctx.reply.ok();
}

/** CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT modes). */
function clientCaching(ctx: Ctx): void {
  const c = ctx.client;
  if (!c.tracking) {
    throw new ReplyError(Err.cachingNotTracking);
  }
  const v = ctx.argv[2]!;
  if (is(v, 'YES')) {
    if (!c.trackingOptin) throw new ReplyError(Err.cachingYesNeedsOptin);
  } else if (is(v, 'NO')) {
    if (!c.trackingOptout) throw new ReplyError(Err.cachingNoNeedsOptout);
  } else throw new ReplyError(Err.syntax);
  c.trackingCaching = true;
  ctx.reply.ok();
}

/** CLIENT GETREDIR: the redirect target's id, 0 when not redirecting, -1 when tracking is off. */
export function clientGetredir(ctx: Ctx): void {
  ctx.reply.int(ctx.client.tracking ? ctx.client.trackingRedirect : -1);
}

/** CLIENT TRACKINGINFO: flags (a set), redirect, prefixes (in byte order). */
function clientTrackinginfo(ctx: Ctx): void {
  const { client: c, reply } = ctx;
  const flags = [c.tracking ? 'on' : 'off'];
  if (c.trackingBcast) flags.push('bcast');
  if (c.trackingOptin) {
    flags.push('optin');
    if (c.trackingCaching) flags.push('caching-yes');
  }
  if (c.trackingOptout) {
    flags.push('optout');
    if (c.trackingCaching) flags.push('caching-no');
  }
  if (c.trackingNoloop) flags.push('noloop');
  if (c.trackingBrokenRedir) flags.push('broken_redirect');
  reply.map(3);
  reply.bulk('flags');
  reply.set(flags.length);
  for (const f of flags) reply.bulk(f);
  reply.bulk('redirect');
  reply.int(c.tracking ? c.trackingRedirect : -1);
  reply.bulk('prefixes');
  reply.bulks(c.trackingPrefixes === null ? [] : [...c.trackingPrefixes].sort());
}

const FLAGS: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];

/** The tracking subcommands of CLIENT (GETREDIR is declared with the others in commands/server.ts). */
export const trackingSubcommands: CommandSpec[] = [
  command({
    name: 'tracking',
    arity: -3,
    flags: FLAGS,
    acl: ['connection'],
    group: 'connection',
    since: '6.0.0',
    summary: 'Turns server-assisted client side caching on or off for this connection.',
    complexity: 'O(1). Some options may introduce additional complexity.',
    args: [
      {
        name: 'status',
        type: 'oneof',
        arguments: [
          { name: 'on', type: 'pure-token', token: 'ON' },
          { name: 'off', type: 'pure-token', token: 'OFF' },
        ],
      },
      { name: 'client-id', type: 'integer', token: 'REDIRECT', flags: ['optional'] },
      { name: 'prefix', type: 'string', token: 'PREFIX', flags: ['optional', 'multiple', 'multiple_token'] },
      { name: 'bcast', type: 'pure-token', token: 'BCAST', flags: ['optional'] },
      { name: 'optin', type: 'pure-token', token: 'OPTIN', flags: ['optional'] },
      { name: 'optout', type: 'pure-token', token: 'OPTOUT', flags: ['optional'] },
      { name: 'noloop', type: 'pure-token', token: 'NOLOOP', flags: ['optional'] },
    ],
    handler: clientTracking,
  }),
  command({
    name: 'caching',
    arity: 3,
    flags: FLAGS,
    acl: ['connection'],
    group: 'connection',
    since: '6.0.0',
    summary: "Chooses whether the next command's keys are tracked, in OPTIN or OPTOUT tracking mode.",
    complexity: 'O(1)',
    args: [
      {
        name: 'mode',
        type: 'oneof',
        arguments: [
          { name: 'yes', type: 'pure-token', token: 'YES' },
          { name: 'no', type: 'pure-token', token: 'NO' },
        ],
      },
    ],
    handler: clientCaching,
  }),
  command({
    name: 'trackinginfo',
    arity: 2,
    flags: FLAGS,
    acl: ['connection'],
    group: 'connection',
    since: '6.2.0',
    summary: 'Describes the client side caching state of this connection.',
    complexity: 'O(1)',
    handler: clientTrackinginfo,
  }),
];

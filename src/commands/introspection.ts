/**
 * MONITOR and LATENCY. The state lives in src/server/monitor.ts (the monitor
 * list, fed by the dispatcher's call()) and src/observability/latencymonitor.ts
 * (the event samples, recorded by call() and the active expire cycle); the
 * handlers here parse arguments and reply.
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { helpReply } from './help.js';
import { latencyDoctor, latencyGraph } from '../observability/latencymonitor.js';
import type { LatencyHistogram } from '../observability/latency.js';

/**
 * MONITOR: this connection receives every command run from now on. Refused
 * inside EXEC and to the in-process client (they need one reply per
 * command); a second MONITOR replies nothing, as in Redis.
 */
function monitor(ctx: Ctx): void {
  const c = ctx.client;
  if (c.inExec || c.kind === 'internal') throw new ReplyError(Err.monitorDenyBlocking);
  if (ctx.server.monitors.add(c)) ctx.reply.ok();
}

/** LATENCY LATEST: [event, time of the latest sample, its latency, all-time max] per event. */
function latencyLatest(ctx: Ctx): void {
  const { reply } = ctx;
  const events = ctx.server.latency.events;
  reply.array(events.size);
  for (const [event, ts] of events) {
    const last = ts.latest();
    reply.array(4);
    reply.bulk(event);
    reply.int(last.time);
    reply.int(last.latency);
    reply.int(ts.max);
  }
}

/** LATENCY HISTORY event: [time, latency] per sample, oldest first; empty for an unknown event. */
function latencyHistory(ctx: Ctx): void {
  const { reply } = ctx;
  const ts = ctx.server.latency.events.get(ctx.argv[2]!);
  const samples = ts ? ts.ordered() : [];
  reply.array(samples.length);
  for (const s of samples) {
    reply.array(2);
    reply.int(s.time);
    reply.int(s.latency);
  }
}

/** LATENCY RESET [event ...]: the number of event series removed. */
function latencyReset(ctx: Ctx): void {
  const { argv, server } = ctx;
  if (argv.length === 2) return ctx.reply.int(server.latency.resetAll());
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (server.latency.reset(argv[i]!)) n++;
  ctx.reply.int(n);
}

/** LATENCY GRAPH event: a text chart of the event's samples. */
function latencyGraphCmd(ctx: Ctx): void {
  const event = ctx.argv[2]!;
  const ts = ctx.server.latency.events.get(event);
  if (ts === undefined) throw new ReplyError(Err.latencyNoSamples(event));
  ctx.reply.verbatim(latencyGraph(event, ts, Math.floor(ctx.server.clock() / 1000)));
}

/** LATENCY DOCTOR: a readable report of the recorded events. */
function latencyDoctorCmd(ctx: Ctx): void {
  ctx.reply.verbatim(latencyDoctor(ctx.server.latency, ctx.server.hot.latencyMonitorThreshold));
}

/**
 * LATENCY HISTOGRAM [command ...]: per command with recorded calls (all, or
 * those named, a container naming all its subcommands) a map of `calls` and
 * `histogram_usec`, the cumulative count of calls at or under each power of
 * two microseconds (1, 2, 4, … as an HDR histogram's log iteration reports
 * them, printed only where the count grows). Unknown names are skipped.
 */
function latencyHistogram(ctx: Ctx): void {
  const { argv, server, reply } = ctx;
  const stats = server.stats.commands;
  const out: [string, LatencyHistogram][] = [];
  const add = (name: string) => {
    const h = stats.get(name)?.hist;
    if (h !== undefined && h.total > 0) out.push([name, h]);
  };
  if (argv.length === 2) {
    for (const name of stats.keys()) add(name);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const name = argv[i]!.toLowerCase();
      const bar = name.indexOf('|');
      const top = server.commands.lookup(bar < 0 ? name : name.slice(0, bar));
      if (top === undefined) continue;
      if (bar >= 0) {
        if (top.subcommands?.some((s) => s.name === name.slice(bar + 1))) add(name);
        continue;
      }
      add(top.name);
      for (const s of top.subcommands ?? []) add(`${top.name}|${s.name}`);
    }
  }
  reply.map(out.length);
  for (const [name, h] of out) {
    reply.bulk(name);
    reply.map(2);
    reply.bulk('calls');
    reply.int(h.total);
    reply.bulk('histogram_usec');
    const cdf = h.cumulativeUsec();
    reply.map(cdf.length);
    for (const [us, n] of cdf) {
      reply.int(us);
      reply.int(n);
    }
  }
}

const LATENCY_HELP = [
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
];

/** LATENCY HELP */
function latencyHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'latency', LATENCY_HELP);
}

const ADMIN: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];
const REPORT_TIPS = ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'];

const sub = (
  name: string,
  arity: number,
  summary: string,
  handler: CommandSpec['handler'],
  extra: Partial<CommandSpec> = {},
): CommandSpec =>
  command({
    name,
    arity,
    flags: ADMIN,
    tips: REPORT_TIPS,
    group: 'server',
    since: '2.8.13',
    summary,
    complexity: 'O(1)',
    handler,
    ...extra,
  });

export const commands: CommandSpec[] = [
  command({
    name: 'monitor',
    arity: 1,
    flags: ADMIN,
    group: 'server',
    since: '1.0.0',
    summary: 'Streams every command the server runs to this connection.',
    handler: monitor,
  }),
  command({
    name: 'latency',
    arity: -2,
    flags: [],
    group: 'server',
    since: '2.8.13',
    summary: "Inspects the latency monitor's events.",
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('doctor', 2, 'Reports on the recorded latency events in plain words.', latencyDoctorCmd),
      sub('graph', 3, "Draws a text chart of one latency event's samples.", latencyGraphCmd, {
        args: [{ name: 'event', type: 'string' }],
      }),
      sub('history', 3, 'Returns the samples of one latency event.', latencyHistory, {
        args: [{ name: 'event', type: 'string' }],
      }),
      sub('latest', 2, 'Returns the latest sample of every latency event.', latencyLatest),
      sub('reset', -2, 'Clears the samples of some or all latency events.', latencyReset, {
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        args: [{ name: 'event', type: 'string', flags: ['optional', 'multiple'] }],
      }),
      sub('histogram', -2, 'Returns per-command cumulative latency distributions.', latencyHistogram, {
        since: '7.0.0',
        complexity: 'O(N) where N is the number of commands with latency information being retrieved.',
        args: [{ name: 'command', type: 'string', flags: ['optional', 'multiple'] }],
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'server',
        since: '2.8.13',
        summary: 'Lists the LATENCY subcommands.',
        complexity: 'O(1)',
        handler: latencyHelp,
      }),
    ],
  }),
];

/**
 * The dashboard's snapshot: what one Server-Sent Event carries, once a
 * second, while a page is open (http/dashboard.ts). Every figure is read
 * where INFO, CLIENT LIST, SLOWLOG and LATENCY read it (observability/):
 * INFO's sections through infoSections(), the commands' counters and
 * latency percentiles through stats and commandPercentiles(), CLIENT
 * LIST's lines through clientInfoLine(). Nothing is computed twice and
 * nothing walks the keyspace: the cost grows with the number of clients
 * shown (at most CLIENTS_SHOWN) and of commands used, never with the keys.
 * Rates (ops/s per command) are the page's deltas between two snapshots.
 *
 * Byte strings (client names, slow log arguments) go through display(),
 * and the page puts every value in the DOM as text.
 */
import type { Server } from '../server/server.js';
import type { InfoFields } from '../server/subsystem.js';
import { commandPercentiles, infoSections, type SectionSelection } from '../observability/info.js';
import { clientInfoLine } from '../observability/clientlist.js';
import { display } from './text.js';
import type { Snapshot } from './dashboard/snapshot-shape.js';
export type { Snapshot };

/** INFO sections the page shows, by INFO's own names. */
const SELECTION: SectionSelection = {
  all: false,
  everything: false,
  names: new Set([
    'server',
    'clients',
    'memory',
    'persistence',
    'stats',
    'replication',
    'cpu',
    'errorstats',
    'keyspace',
  ]),
};

/** CLIENT LIST lines sent per snapshot: the table shows these, and the total. */
export const CLIENTS_SHOWN = 100;
/** Slow log entries sent per snapshot (the newest; SLOWLOG GET's default). */
export const SLOWLOG_SHOWN = 10;

/** INFO fields as an object (a repeated name keeps its last value). */
function fieldsObject(fields: InfoFields): Record<string, string | number> {
  const o: Record<string, string | number> = {};
  for (const [k, v] of fields) o[k] = v;
  return o;
}

/** The CLIENT LIST fields the page's table shows. */
const CLIENT_FIELDS = new Set(['id', 'addr', 'name', 'age', 'idle', 'flags', 'db', 'cmd', 'user', 'tot-mem']);
/** Of those, the ones that may hold any byte (CLIENT SETNAME, ACL user names). */
const CLIENT_BYTES = new Set(['name', 'user']);

/** A CLIENT LIST line (`id=1 addr=... name=...`) as field -> value for CLIENT_FIELDS (no value holds a space). */
function clientFields(line: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const part of line.split(' ')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq);
    if (eq > 0 && CLIENT_FIELDS.has(k)) o[k] = CLIENT_BYTES.has(k) ? display(part.slice(eq + 1)) : part.slice(eq + 1);
  }
  return o;
}

/** Builds one snapshot (called by Dashboard's once-a-second tick, only while a page listens). */
export function buildSnapshot(server: Server): Snapshot {
  const info: Record<string, Record<string, string | number>> = {};
  for (const sec of infoSections(server, SELECTION)) info[sec.name] = fieldsObject(sec.fields);

  const commands: Snapshot['commands'] = [];
  for (const [name, st] of server.stats.commands) {
    if (st.calls === 0 && st.failed === 0 && st.rejected === 0) continue;
    commands.push([name, st.calls, Math.round(st.usec), st.rejected, st.failed]);
  }
  const cmds: Record<string, number[]> = {};
  const pc = commandPercentiles(server);
  for (const [name, us] of pc.rows) cmds[name] = us;

  const list: Record<string, string>[] = [];
  for (const c of server.clients.values()) {
    if (list.length >= CLIENTS_SHOWN) break;
    list.push(clientFields(clientInfoLine(server, c)));
  }

  const entries = server.slowlog.entries.slice(0, SLOWLOG_SHOWN).map((e) => ({
    id: e.id,
    time: e.time,
    usec: e.usec,
    args: e.argv.map(display),
    addr: e.addr,
    name: display(e.name),
  }));

  const events: Snapshot['events'] = [];
  for (const [event, ts] of server.latency.events) {
    const last = ts.latest();
    events.push([event, last.time, last.latency, ts.max]);
  }

  const v = server.config.v;
  return {
    v: 1,
    t: server.clock(),
    info,
    config: {
      slowlogSlowerThan: v['slowlog-log-slower-than'],
      slowlogMaxLen: v['slowlog-max-len'],
      latencyThreshold: v['latency-monitor-threshold'],
      latencyTracking: v['latency-tracking'],
    },
    commands,
    latency: { pcts: pc.pcts, cmds },
    clients: { total: server.clients.size, list },
    slowlog: { len: server.slowlog.entries.length, entries },
    events,
  };
}

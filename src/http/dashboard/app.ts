/// <reference types="uplot" />
/**
 * The dashboard page's script (built by tsconfig.dashboard.json into
 * dist/http/dashboard/app.js; uPlot is the global its IIFE file defines).
 *
 * One EventSource on `events` brings a snapshot a second (http/snapshot.ts);
 * the page keeps the last HISTORY of them for its charts, turns counters
 * into rates (ops/s per command: the difference of two snapshots' calls),
 * and fills its tables. The stream is closed while the page is hidden, so a
 * background tab costs the server nothing. The key browser asks `api/keys`
 * and `api/key` on demand.
 *
 * Every value the server sends goes into the page as text (textContent,
 * never innerHTML): keys and arguments are arbitrary bytes.
 */
export {};

import type { Snapshot } from './snapshot-shape.js';

type Fields = Record<string, string | number>;

interface Cut {
  text: string;
  more: number;
}

interface KeyRow {
  key: string;
  raw: string;
  type: string | null;
  ttl: number | null;
}

interface KeyDetail {
  db: number;
  key: string;
  raw: string;
  type: string;
  ttl: number | null;
  encoding: string | null;
  memory: number | null;
  length: number | null;
  preview:
    | { kind: 'string'; text: string; more: number }
    | { kind: 'list' | 'set'; items: Cut[] }
    | { kind: 'hash' | 'zset'; pairs: [Cut, Cut][] }
    | { kind: 'stream'; entries: { id: string; fields: [Cut, Cut][] }[] }
    | null;
}

/** Points kept per chart: two minutes at one a second. */
const HISTORY = 120;
/** Commands drawn besides the total in the throughput chart. */
const TOP = 5;
const GRID = { stroke: 'rgba(0, 0, 0, 0.07)', width: 1 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

// ---------------------------------------------------------------------------
// DOM helpers: elements are made with text only.

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} is missing`);
  return e as T;
}

type Child = Node | string | number | null | undefined;

/** An element with a class (optional) and children, strings added as text nodes. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

function setText(id: string, text: string): void {
  const e = byId(id);
  if (e.textContent !== text) e.textContent = text;
}

/** A table cell: `num` right-aligns it. */
type Cell = { v: Child; cls?: string };

/** Replaces a table's body with rows of cells (an empty table says `empty`). */
function fillTable(tableId: string, rows: Cell[][], empty: string, columns: number): HTMLTableSectionElement {
  const body = byId<HTMLTableElement>(tableId).tBodies[0]!;
  const trs = rows.map((r) => h('tr', null, ...r.map((c) => h('td', c.cls ?? null, c.v))));
  if (trs.length === 0) {
    const td = h('td', 'empty', empty);
    td.colSpan = columns;
    trs.push(h('tr', null, td));
  }
  body.replaceChildren(...trs);
  return body;
}

const num = (v: Child): Cell => ({ v, cls: 'num' });
const txt = (v: Child): Cell => ({ v });

/** A definition list of [label, value, bad?]. */
function fillFacts(id: string, facts: [string, string, boolean?][]): void {
  byId(id).replaceChildren(
    ...facts.map(([k, v, bad]) => h('div', null, h('dt', null, k), h('dd', bad ? 'bad' : null, v))),
  );
}

// ---------------------------------------------------------------------------
// Formatting

const nf = new Intl.NumberFormat('en-US');
const fmtInt = (n: number): string => (Number.isFinite(n) ? nf.format(Math.round(n)) : '–');

function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us < 1000) return `${us < 10 ? us.toFixed(2) : us.toFixed(0)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** How long ago a unix time (s) was, from the server's clock (ms). */
const fmtAgo = (unix: number, nowMs: number): string => `${fmtSeconds(nowMs / 1000 - unix)} ago`;

function fmtTtl(ms: number | null): string {
  if (ms === null) return '?';
  if (ms === -1) return 'none';
  if (ms === -2) return 'gone';
  return ms < 1000 ? `${ms} ms` : fmtSeconds(ms / 1000);
}

const n = (f: Fields | undefined, k: string): number => Number(f?.[k] ?? NaN);
const s = (f: Fields | undefined, k: string): string => String(f?.[k] ?? '');

/** `keys=1,expires=0,avg_ttl=0` (INFO keyspace, slaveN lines) as an object. */
function parseList(v: string | number | undefined): Record<string, string> {
  const o: Record<string, string> = {};
  for (const part of String(v ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) o[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return o;
}

// ---------------------------------------------------------------------------
// Charts (uPlot): a chart is rebuilt when its series change, else given new data.

class Chart {
  private plot: uPlot | null = null;
  private key = '';

  constructor(
    private readonly el: HTMLElement,
    private readonly fmt: (v: number) => string,
    /** A logarithmic y axis (latencies: p50 and p99.9 differ by orders of magnitude). */
    private readonly log = false,
  ) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(el);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(200, this.el.clientWidth);
    return { width, height: width < 420 ? 170 : 200 };
  }

  /** Draws `data` ([times, ...series]) with the series `labels`; rebuilds when the labels change. */
  draw(labels: string[], data: (number | null)[][]): void {
    const key = labels.join('\u0000');
    if (this.plot === null || key !== this.key) {
      this.plot?.destroy();
      this.key = key;
      const fmt = this.fmt;
      const opts: uPlot.Options = {
        ...this.size(),
        series: [
          {},
          ...labels.map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length],
            width: i === 0 ? 2 : 1.5,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
          })),
        ],
        axes: [
          // one row of local clock times (uPlot's default adds a date row whose labels overlap at a minute's turn)
          { grid: GRID, ticks: GRID, values: (_u: uPlot, vals: number[]) => vals.map(clockTime) },
          { size: 70, grid: GRID, ticks: GRID, values: (_u: uPlot, vals: number[]) => vals.map((v) => fmt(v)) },
        ],
        scales: {
          // at least the last minute, so that a young chart's axis counts seconds, not fractions
          x: {
            time: true,
            range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [Math.min(min, max - 60), max],
          },
          y: this.log
            ? { distr: 3 }
            : { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [0, Math.max(max, min, 1) * 1.1] },
        },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      };
      this.plot = new uPlot(opts, data as uPlot.AlignedData, this.el);
    } else this.plot.setData(data as uPlot.AlignedData);
    this.el.dataset['points'] = String(data[0]?.length ?? 0);
  }
}

/** A time axis label: the local time, hours to seconds (uPlot gives seconds since the epoch). */
function clockTime(sec: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

// ---------------------------------------------------------------------------
// State: the history of the last HISTORY snapshots.

const times: number[] = [];
const opsTotal: (number | null)[] = [];
const memUsed: (number | null)[] = [];
const memRss: (number | null)[] = [];
/** Per command, its rate at each kept time (null before it appeared). */
const rates = new Map<string, (number | null)[]>();
/** Per command, its percentiles at each kept time. */
const latencies = new Map<string, (number[] | null)[]>();
let prev: Snapshot | null = null;
let latest: Snapshot | null = null;
/** The command the latency chart shows: the user's pick, else the busiest. */
let latChoice: string | null = null;
let snapshots = 0;

function pushPoint<T>(arr: T[], v: T): void {
  arr.push(v);
  if (arr.length > HISTORY) arr.shift();
}

/** Adds a snapshot to the history. */
function record(snap: Snapshot): Map<string, number> {
  const now: Map<string, number> = new Map();
  const before = new Map<string, number>();
  if (prev !== null) for (const c of prev.commands) before.set(c[0], c[1]);
  const dt = prev === null ? 0 : (snap.t - prev.t) / 1000;
  for (const [name, calls] of snap.commands) {
    // a command new since the last snapshot had no calls then; a reset (CONFIG RESETSTAT) gives no rate
    const was = before.get(name) ?? 0;
    if (dt > 0 && calls >= was) now.set(name, (calls - was) / dt);
  }
  pushPoint(times, snap.t / 1000);
  pushPoint(opsTotal, n(snap.info['stats'], 'instantaneous_ops_per_sec'));
  pushPoint(memUsed, n(snap.info['memory'], 'used_memory'));
  pushPoint(memRss, n(snap.info['memory'], 'used_memory_rss'));
  for (const name of new Set([...rates.keys(), ...now.keys()])) {
    let arr = rates.get(name);
    if (arr === undefined) {
      arr = new Array<number | null>(times.length - 1).fill(null);
      rates.set(name, arr);
    }
    pushPoint(arr, now.get(name) ?? (dt > 0 ? 0 : null));
  }
  for (const name of new Set([...latencies.keys(), ...Object.keys(snap.latency.cmds)])) {
    let arr = latencies.get(name);
    if (arr === undefined) {
      arr = new Array<number[] | null>(times.length - 1).fill(null);
      latencies.set(name, arr);
    }
    pushPoint(arr, snap.latency.cmds[name] ?? null);
  }
  prev = snap;
  return now;
}

/** The commands with the most calls over the kept history, busiest first. */
function busiest(k: number): string[] {
  const sums: [string, number][] = [];
  for (const [name, arr] of rates) {
    let sum = 0;
    for (const v of arr) sum += v ?? 0;
    if (sum > 0) sums.push([name, sum]);
  }
  sums.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return sums.slice(0, k).map((x) => x[0]);
}

// ---------------------------------------------------------------------------
// Views

const charts = {
  ops: new Chart(byId('chart-ops'), (v) => fmtInt(v)),
  latency: new Chart(byId('chart-latency'), (v) => fmtUs(v), true),
  memory: new Chart(byId('chart-memory'), (v) => fmtBytes(v)),
};

function renderHeader(snap: Snapshot): void {
  const srv = snap.info['server'];
  const st = snap.info['stats'];
  const mem = snap.info['memory'];
  setText(
    'version',
    `${s(srv, 'tsdis_version') ? 'v' + s(srv, 'tsdis_version') : ''} (Redis ${s(srv, 'redis_version')})`,
  );
  setText('role', s(snap.info['replication'], 'role'));
  setText('uptime', `up ${fmtSeconds(n(srv, 'uptime_in_seconds'))}`);
  setText('ops', fmtInt(n(st, 'instantaneous_ops_per_sec')));
  setText('clients-count', fmtInt(n(snap.info['clients'], 'connected_clients')));
  setText('mem-used', fmtBytes(n(mem, 'used_memory')));
  let keys = 0;
  for (const v of Object.values(snap.info['keyspace'] ?? {})) keys += Number(parseList(v)['keys'] ?? 0);
  setText('keys-total', fmtInt(keys));
  const hits = n(st, 'keyspace_hits');
  const misses = n(st, 'keyspace_misses');
  setText('hit-rate', hits + misses > 0 ? `${((hits / (hits + misses)) * 100).toFixed(1)}%` : '–');
  // compact (2.4M, 275K): two figures share a tile
  const kbps = (k: string) => {
    const v = n(st, k) * 1024;
    const [d, u] = v >= 1048576 ? [v / 1048576, 'M'] : v >= 1024 ? [v / 1024, 'K'] : [v, 'B'];
    return `${d < 10 && u !== 'B' ? d.toFixed(1) : Math.round(d)}${u}`;
  };
  setText('net', `${kbps('instantaneous_input_kbps')} / ${kbps('instantaneous_output_kbps')}`);
  document.body.dataset['snapshots'] = String(snapshots);
}

function renderThroughput(): void {
  const top = busiest(TOP);
  charts.ops.draw(['all', ...top], [times, opsTotal, ...top.map((c) => rates.get(c)!)]);
}

function renderLatency(snap: Snapshot): void {
  const select = byId<HTMLSelectElement>('lat-cmd');
  const names = Object.keys(snap.latency.cmds).sort();
  // the user's pick, else the busiest of the last two minutes, else the one with the most calls
  let most: string | null = null;
  let mostCalls = -1;
  for (const [name, calls] of snap.commands)
    if (calls > mostCalls && name in snap.latency.cmds) [most, mostCalls] = [name, calls];
  const want = latChoice !== null && names.includes(latChoice) ? latChoice : (busiest(1)[0] ?? most ?? null);
  const have = [...select.options].map((o) => o.value);
  if (have.join('\u0000') !== names.join('\u0000')) {
    select.replaceChildren(...names.map((c) => h('option', null, c)));
  }
  if (want !== null && select.value !== want) select.value = want;
  const pcts = snap.latency.pcts.map((p) => `p${p}`);
  // the table's headers follow latency-tracking-info-percentiles (first three)
  for (let i = 0; i < 3; i++) {
    const th = document.querySelector<HTMLElement>(`#cmd-table th.lat${i}`);
    if (th !== null) th.textContent = pcts[i] ?? '';
  }
  setText(
    'lat-note',
    !snap.config.latencyTracking
      ? 'latency-tracking is off: no histograms.'
      : names.length === 0
        ? 'No command recorded yet.'
        : 'Percentiles over every call since the last CONFIG RESETSTAT (INFO latencystats).',
  );
  if (want === null) return;
  const hist = latencies.get(want) ?? [];
  const series = pcts.map((_p, i) => hist.map((v) => (v === null ? null : (v[i] ?? null))));
  charts.latency.draw(
    pcts.map((p) => `${want} ${p}`),
    [times, ...series],
  );
}

function renderMemory(snap: Snapshot): void {
  charts.memory.draw(['used', 'rss'], [times, memUsed, memRss]);
  const m = snap.info['memory'];
  const frag = n(m, 'mem_fragmentation_ratio');
  const max = n(m, 'maxmemory');
  fillFacts('mem-facts', [
    ['used', fmtBytes(n(m, 'used_memory'))],
    ['RSS', fmtBytes(n(m, 'used_memory_rss'))],
    ['fragmentation', Number.isFinite(frag) ? frag.toFixed(2) : '–', frag > 1.5],
    ['peak', fmtBytes(n(m, 'used_memory_peak'))],
    ['dataset', `${fmtBytes(n(m, 'used_memory_dataset'))} (${s(m, 'used_memory_dataset_perc')})`],
    ['maxmemory', max > 0 ? `${fmtBytes(max)}, ${s(m, 'maxmemory_policy')}` : 'none'],
    ['evicted keys', fmtInt(n(snap.info['stats'], 'evicted_keys'))],
    ['expired keys', fmtInt(n(snap.info['stats'], 'expired_keys'))],
  ]);
}

function renderCommands(snap: Snapshot, now: Map<string, number>): void {
  const rows = snap.commands
    .map(([name, calls, usec, rejected, failed]) => ({ name, calls, usec, rejected, failed, rate: now.get(name) ?? 0 }))
    .sort((a, b) => b.rate - a.rate || b.calls - a.calls)
    .slice(0, 20);
  fillTable(
    'cmd-table',
    rows.map((r) => {
      const p = snap.latency.cmds[r.name] ?? [];
      return [
        txt(r.name),
        num(fmtInt(r.rate)),
        num(fmtInt(r.calls)),
        num(r.calls > 0 ? (r.usec / r.calls).toFixed(2) : '–'),
        num(p[0] === undefined ? '–' : fmtUs(p[0])),
        num(p[1] === undefined ? '–' : fmtUs(p[1])),
        num(p[2] === undefined ? '–' : fmtUs(p[2])),
        num(`${fmtInt(r.failed)} / ${fmtInt(r.rejected)}`),
      ];
    }),
    'No command called yet.',
    8,
  );
}

function renderClients(snap: Snapshot): void {
  const c = snap.info['clients'];
  fillFacts('client-facts', [
    ['connected', fmtInt(n(c, 'connected_clients'))],
    ['maxclients', fmtInt(n(c, 'maxclients'))],
    ['blocked', fmtInt(n(c, 'blocked_clients'))],
    ['pub/sub', fmtInt(n(c, 'pubsub_clients'))],
    ['tracking', fmtInt(n(c, 'tracking_clients'))],
    ['watching', fmtInt(n(c, 'watching_clients'))],
    ['rejected conns', fmtInt(n(snap.info['stats'], 'rejected_connections'))],
    ['connections received', fmtInt(n(snap.info['stats'], 'total_connections_received'))],
  ]);
  const list = snap.clients.list;
  setText(
    'clients-note',
    list.length < snap.clients.total
      ? `the first ${list.length} of ${snap.clients.total} (CLIENT LIST)`
      : 'CLIENT LIST',
  );
  fillTable(
    'clients-table',
    list.map((f) => [
      num(f['id']),
      txt(f['addr']),
      txt(f['name']),
      num(fmtSeconds(Number(f['age']))),
      num(fmtSeconds(Number(f['idle']))),
      txt(f['flags']),
      num(f['db']),
      txt(f['cmd']),
      txt(f['user']),
      num(fmtBytes(Number(f['tot-mem']))),
    ]),
    'No clients.',
    10,
  );
}

function renderKeyspace(snap: Snapshot): void {
  const ks = Object.entries(snap.info['keyspace'] ?? {});
  fillTable(
    'keyspace-table',
    ks.map(([db, v]) => {
      const f = parseList(v);
      return [
        txt(db),
        num(fmtInt(Number(f['keys']))),
        num(fmtInt(Number(f['expires']))),
        num(fmtTtl(Number(f['avg_ttl']) || -1)),
      ];
    }),
    'Every database is empty.',
    4,
  );
}

function renderSlowlog(snap: Snapshot): void {
  const cfg = snap.config;
  setText(
    'slowlog-note',
    cfg.slowlogSlowerThan < 0
      ? 'disabled (slowlog-log-slower-than < 0)'
      : `${snap.slowlog.len} kept, over ${fmtUs(cfg.slowlogSlowerThan)}`,
  );
  fillTable(
    'slowlog-table',
    snap.slowlog.entries.map((e) => [
      num(e.id),
      txt(fmtAgo(e.time, snap.t)),
      num(fmtUs(e.usec)),
      { v: e.args.join(' '), cls: 'wrap' },
      txt(e.name ? `${e.addr} (${e.name})` : e.addr),
    ]),
    'No slow command.',
    5,
  );
}

function renderEvents(snap: Snapshot): void {
  const th = snap.config.latencyThreshold;
  setText('events-note', th > 0 ? `LATENCY LATEST, threshold ${th} ms` : 'off (latency-monitor-threshold is 0)');
  fillTable(
    'events-table',
    snap.events.map(([event, time, ms, max]) => [txt(event), txt(fmtAgo(time, snap.t)), num(ms), num(max)]),
    th > 0 ? 'No event over the threshold.' : 'The latency monitor is off.',
    4,
  );
}

function renderPersistence(snap: Snapshot): void {
  const p = snap.info['persistence'];
  const facts: [string, string, boolean?][] = [
    ['last save', fmtAgo(n(p, 'rdb_last_save_time'), snap.t)],
    ['changes since', fmtInt(n(p, 'rdb_changes_since_last_save'))],
    ['BGSAVE', n(p, 'rdb_bgsave_in_progress') ? 'in progress' : 'idle'],
    ['last BGSAVE', s(p, 'rdb_last_bgsave_status'), s(p, 'rdb_last_bgsave_status') !== 'ok'],
    ['AOF', n(p, 'aof_enabled') ? 'on' : 'off'],
  ];
  if (n(p, 'aof_enabled')) {
    facts.push(
      ['AOF rewrite', n(p, 'aof_rewrite_in_progress') ? 'in progress' : 'idle'],
      ['last AOF write', s(p, 'aof_last_write_status'), s(p, 'aof_last_write_status') !== 'ok'],
      ['last rewrite', s(p, 'aof_last_bgrewrite_status'), s(p, 'aof_last_bgrewrite_status') !== 'ok'],
    );
    if (p?.['aof_current_size'] !== undefined) facts.push(['AOF size', fmtBytes(n(p, 'aof_current_size'))]);
  }
  if (n(p, 'loading')) facts.push(['loading', `${s(p, 'loading_loaded_perc')}%`, true]);
  fillFacts('persist-facts', facts);
}

function renderReplication(snap: Snapshot): void {
  const r = snap.info['replication'] ?? {};
  const facts: [string, string, boolean?][] = [
    ['role', s(r, 'role')],
    ['replicas', fmtInt(n(r, 'connected_slaves'))],
    ['offset', fmtInt(n(r, 'master_repl_offset'))],
  ];
  if (s(r, 'role') === 'slave') {
    facts.push(
      ['primary', `${s(r, 'master_host')}:${s(r, 'master_port')}`],
      ['link', s(r, 'master_link_status'), s(r, 'master_link_status') !== 'up'],
      ['last I/O', `${s(r, 'master_last_io_seconds_ago')}s ago`],
      ['syncing', n(r, 'master_sync_in_progress') ? 'yes' : 'no'],
    );
  }
  fillFacts('repl-facts', facts);
  const replicas = Object.entries(r)
    .filter(([k]) => /^slave\d+$/.test(k))
    .map(([, v]) => parseList(v));
  fillTable(
    'replicas-table',
    replicas.map((f) => [
      txt(`${f['ip']}:${f['port']}`),
      txt(f['state']),
      num(fmtInt(Number(f['offset']))),
      num(`${f['lag']}s`),
    ]),
    'No replica attached.',
    4,
  );
}

function renderErrors(snap: Snapshot): void {
  const rows = Object.entries(snap.info['errorstats'] ?? {}).map(([k, v]) => [
    txt(k.replace(/^errorstat_/, '')),
    num(fmtInt(Number(parseList(v)['count']))),
  ]);
  fillTable('errors-table', rows, 'No error replies.', 2);
}

/** Draws everything for a new snapshot. */
function render(snap: Snapshot): void {
  snapshots++;
  const now = record(snap);
  latest = snap;
  renderHeader(snap);
  renderThroughput();
  renderLatency(snap);
  renderMemory(snap);
  renderCommands(snap, now);
  renderClients(snap);
  renderKeyspace(snap);
  renderSlowlog(snap);
  renderEvents(snap);
  renderPersistence(snap);
  renderReplication(snap);
  renderErrors(snap);
}

// ---------------------------------------------------------------------------
// The stream: open while the page is visible.

let source: EventSource | null = null;
let retry: number | null = null;

function setStatus(state: 'live' | 'connecting' | 'down', text: string): void {
  const e = byId('status');
  e.dataset['state'] = state;
  setText('status', text);
}

function connect(): void {
  if (source !== null) return;
  const es = new EventSource('events');
  source = es;
  es.onopen = () => setStatus('live', 'live');
  es.onmessage = (ev: MessageEvent<string>) => {
    setStatus('live', 'live');
    render(JSON.parse(ev.data) as Snapshot);
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      // refused (401, 403) or gone for good: try again later ourselves
      disconnect();
      setStatus('down', 'disconnected');
      retry = window.setTimeout(() => {
        retry = null;
        connect();
      }, 5000);
    } else setStatus('connecting', 'reconnecting…');
  };
}

function disconnect(): void {
  source?.close();
  source = null;
  if (retry !== null) window.clearTimeout(retry);
  retry = null;
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    disconnect();
    setStatus('connecting', 'paused (page hidden)');
  } else connect();
});

byId<HTMLSelectElement>('lat-cmd').addEventListener('change', (e) => {
  latChoice = (e.target as HTMLSelectElement).value;
  if (latest !== null) renderLatency(latest);
});

// ---------------------------------------------------------------------------
// The key browser

/** A key's bytes (hex) as a query value: every byte percent-escaped. */
const hexToQuery = (hex: string): string => hex.replace(/../g, '%$&');

let kbCursor = '0';
let kbQuery = { db: '0', pattern: '*' };
let kbCount = 0;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function kbStatus(text: string, error = false): void {
  const e = byId('kb-status');
  e.textContent = text;
  e.classList.toggle('error', error);
}

/** Runs (or continues, `more`) the scan and appends what it found. */
async function scanKeys(more: boolean): Promise<void> {
  if (!more) {
    kbQuery = {
      db: byId<HTMLInputElement>('kb-db').value || '0',
      pattern: byId<HTMLInputElement>('kb-pattern').value || '*',
    };
    kbCursor = '0';
    kbCount = 0;
    byId<HTMLTableElement>('kb-results').tBodies[0]!.replaceChildren();
    byId('kb-detail').hidden = true;
  }
  kbStatus('scanning…');
  const url = `api/keys?db=${encodeURIComponent(kbQuery.db)}&pattern=${encodeURIComponent(kbQuery.pattern)}&cursor=${kbCursor}`;
  try {
    const r = await getJson<{ cursor: string; keys: KeyRow[] }>(url);
    kbCursor = r.cursor;
    const body = byId<HTMLTableElement>('kb-results').tBodies[0]!;
    for (const k of r.keys) {
      const tr = h('tr', null, h('td', 'key', k.key), h('td', null, k.type ?? '?'), h('td', 'num', fmtTtl(k.ttl)));
      tr.dataset['raw'] = k.raw;
      tr.title = k.key;
      tr.addEventListener('click', () => {
        for (const x of body.querySelectorAll('tr.selected')) x.classList.remove('selected');
        tr.classList.add('selected');
        void showKey(kbQuery.db, k.raw);
      });
      body.append(tr);
    }
    kbCount += r.keys.length;
    byId('kb-more').hidden = kbCursor === '0';
    kbStatus(`${kbCount} key${kbCount === 1 ? '' : 's'}${kbCursor === '0' ? ', scan complete' : ', more to scan'}`);
  } catch (e) {
    kbStatus((e as Error).message, true);
  }
}

/** Shows one key: its facts and a preview of its value. */
async function showKey(db: string, raw: string): Promise<void> {
  const pane = byId('kb-detail');
  try {
    const k = await getJson<KeyDetail>(`api/key?db=${encodeURIComponent(db)}&key=${hexToQuery(raw)}`);
    const facts = h('dl', 'facts');
    const fact = (label: string, v: string) => facts.append(h('div', null, h('dt', null, label), h('dd', null, v)));
    fact('type', k.type);
    fact('ttl', fmtTtl(k.ttl));
    if (k.encoding !== null) fact('encoding', k.encoding);
    if (k.memory !== null) fact('memory', fmtBytes(k.memory));
    if (k.length !== null) fact(k.type === 'string' ? 'bytes' : 'elements', fmtInt(k.length));
    const parts: Node[] = [h('h3', null, k.key), facts];
    const cut = (c: Cut): string => (c.more > 0 ? `${c.text}… (${c.more} more bytes)` : c.text);
    const p = k.preview;
    if (p === null) parts.push(h('p', 'note', 'No preview (this user may not read the value).'));
    else if (p.kind === 'string') parts.push(h('pre', null, p.more > 0 ? `${p.text}… (${p.more} more bytes)` : p.text));
    else {
      let rows: string[][] = [];
      let heads: string[] = [];
      if (p.kind === 'list' || p.kind === 'set') {
        heads = ['#', 'element'];
        rows = p.items.map((c, i) => [String(i), cut(c)]);
      } else if (p.kind === 'hash' || p.kind === 'zset') {
        heads = p.kind === 'hash' ? ['field', 'value'] : ['member', 'score'];
        rows = p.pairs.map(([a, b]) => [cut(a), cut(b)]);
      } else if (p.kind === 'stream') {
        heads = ['id', 'fields'];
        rows = p.entries.map((e) => [e.id, e.fields.map(([f, v]) => `${cut(f)}=${cut(v)}`).join(' ')]);
      }
      const shown = rows.length;
      parts.push(
        h(
          'div',
          'table-wrap',
          h(
            'table',
            null,
            h('thead', null, h('tr', null, ...heads.map((x) => h('th', null, x)))),
            h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c))))),
          ),
        ),
      );
      if (k.length !== null && k.length > shown)
        parts.push(h('p', 'note', `The first ${shown} of ${fmtInt(k.length)}.`));
    }
    pane.replaceChildren(...parts);
  } catch (e) {
    pane.replaceChildren(h('p', 'note error', (e as Error).message));
  }
  pane.hidden = false;
}

byId<HTMLFormElement>('kb-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void scanKeys(false);
});
byId('kb-more').addEventListener('click', () => void scanKeys(true));

connect();

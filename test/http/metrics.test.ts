/**
 * GET /metrics (src/http/metrics.ts): after a scripted workload the text
 * parses with a Prometheus text-format parser (parse-prometheus-text-format),
 * every metric the task names is there with redis_exporter's name, labels
 * and type, and equal to the INFO field it comes from, read right after;
 * OpenMetrics when Accept asks for it (`_total` on counter samples only,
 * `# EOF`); LATENCY HISTOGRAM's data as real histograms; replication
 * gauges on a primary and its replica.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { freePort, RawConn } from '../helpers/servers.js';
import { startTsdisNode } from '../cluster/helpers.js';
import { until } from '../helpers/wait.js';
import { request, startWithHttp } from './kit.js';
import type { TsdisServer } from '../../src/index.js';

const servers: TsdisServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(config: Record<string, string | number> = {}): Promise<{ srv: TsdisServer; httpPort: number }> {
  const r = await startWithHttp({ config });
  servers.push(r.srv);
  return r;
}

/** INFO's `name:value` lines as a map. */
function infoMap(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** `a=1,b=2` as a map. */
function kv(v: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of (v ?? '').split(',')) {
    const i = p.indexOf('=');
    if (i > 0) m.set(p.slice(0, i), p.slice(i + 1));
  }
  return m;
}

/** The parsed families by name. */
function families(text: string): Map<string, MetricFamily> {
  return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
}

/** A gauge's or counter's value with exactly these labels (none: the unlabelled sample). */
function value(fams: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const f = fams.get(name);
  assert.ok(f !== undefined, `${name} is missing`);
  const s = f.metrics.find((m) => JSON.stringify(m.labels ?? {}) === JSON.stringify(labels));
  assert.ok(s !== undefined && s.value !== undefined, `${name}${JSON.stringify(labels)} is missing`);
  return Number(s.value);
}

function typeOf(fams: Map<string, MetricFamily>, name: string): string {
  return fams.get(name)?.type ?? 'missing';
}

/** A workload touching what the metrics report: writes and reads (hits, misses), errors, TTLs in two databases, a slow call. */
async function workload(port: number): Promise<void> {
  const c = await RawConn.connect(port);
  for (let i = 0; i < 200; i++) await c.call('SET', `k${i}`, `v${i}`);
  for (let i = 0; i < 150; i++) await c.call('GET', `k${i * 2}`);
  for (let i = 0; i < 50; i++) await c.call('EXPIRE', `k${i}`, '1000');
  await c.call('LPUSH', 'k1', 'x'); // WRONGTYPE: a failed call
  await c.call('NOSUCHCOMMAND');
  await c.call('GET'); // arity: a rejected call
  // an error code with a quote and a backslash (a label value to escape)
  await c.call('EVAL', `return redis.error_reply('QU"OTE\\\\ from a script')`, '0');
  await c.call('SELECT', '3');
  for (let i = 0; i < 20; i++) await c.call('SET', `t${i}`, 'v', 'EX', '500');
  await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await c.call('DEBUG', 'SLEEP', '0');
  // (then nothing more is logged: the figures compared stay put)
  await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
  c.close();
  // redis-benchmark when installed (the client above already made every kind of figure);
  // a child process: the server runs in this process's event loop
  const bench = spawn(
    'redis-benchmark',
    ['-p', String(port), '-n', '2000', '-c', '4', '-t', 'set,get,incr,lpush', '-q'],
    {
      stdio: 'ignore',
    },
  );
  const code = await new Promise<number | null>((resolve) => {
    bench.on('error', () => resolve(null));
    bench.on('exit', (c) => resolve(c));
  });
  assert.ok(code === 0 || code === null, `redis-benchmark exited with ${code}`);
}

test('/metrics after a workload: every metric present, named as redis_exporter names it, equal to INFO', async () => {
  const { srv, httpPort } = await start({ 'enable-debug-command': 'yes', 'latency-monitor-threshold': '1' });
  await workload(srv.port);
  // a latency event, for redis_latency_spike_*
  await srv.call('DEBUG', 'SLEEP', '0.005');
  // (a loaded machine would record more events while the test reads them back)
  await srv.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  const r = await request(httpPort, '/metrics');
  const info = infoMap(String(await srv.call('INFO', 'ALL')));
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const f = families(r.body);
  const num = (field: string) => {
    const v = info.get(field);
    assert.ok(v !== undefined, `INFO ${field}`);
    return Number(v);
  };
  // what must be equal: [metric, labels, INFO's figure, type]
  const exact: [string, Record<string, string>, number, string][] = [
    ['redis_up', {}, 1, 'GAUGE'],
    ['redis_connected_clients', {}, num('connected_clients'), 'GAUGE'],
    ['redis_blocked_clients', {}, num('blocked_clients'), 'GAUGE'],
    ['redis_max_clients', {}, num('maxclients'), 'GAUGE'],
    ['redis_config_maxclients', {}, num('maxclients'), 'GAUGE'],
    ['redis_memory_max_bytes', {}, num('maxmemory'), 'GAUGE'],
    ['redis_config_maxmemory', {}, num('maxmemory'), 'GAUGE'],
    ['redis_keyspace_hits_total', {}, num('keyspace_hits'), 'COUNTER'],
    ['redis_keyspace_misses_total', {}, num('keyspace_misses'), 'COUNTER'],
    ['redis_expired_keys_total', {}, num('expired_keys'), 'COUNTER'],
    ['redis_evicted_keys_total', {}, num('evicted_keys'), 'COUNTER'],
    ['redis_net_input_bytes_total', {}, num('total_net_input_bytes'), 'COUNTER'],
    ['redis_net_output_bytes_total', {}, num('total_net_output_bytes'), 'COUNTER'],
    ['redis_connections_received_total', {}, num('total_connections_received'), 'COUNTER'],
    ['redis_commands_processed_total', {}, num('total_commands_processed'), 'COUNTER'],
    ['redis_rejected_connections_total', {}, num('rejected_connections'), 'COUNTER'],
    ['redis_total_error_replies', {}, num('total_error_replies'), 'COUNTER'],
    ['redis_connected_slaves', {}, num('connected_slaves'), 'GAUGE'],
    ['redis_master_repl_offset', {}, num('master_repl_offset'), 'GAUGE'],
    ['redis_rdb_last_save_timestamp_seconds', {}, num('rdb_last_save_time'), 'GAUGE'],
    ['redis_rdb_changes_since_last_save', {}, num('rdb_changes_since_last_save'), 'GAUGE'],
    ['redis_rdb_last_bgsave_status', {}, info.get('rdb_last_bgsave_status') === 'ok' ? 1 : 0, 'GAUGE'],
    ['redis_aof_enabled', {}, num('aof_enabled'), 'GAUGE'],
    ['redis_aof_last_write_status', {}, info.get('aof_last_write_status') === 'ok' ? 1 : 0, 'GAUGE'],
    ['redis_process_id', {}, num('process_id'), 'GAUGE'],
    ['redis_hz', {}, num('hz'), 'GAUGE'],
    ['redis_cluster_enabled', {}, num('cluster_enabled'), 'GAUGE'],
    ['redis_pubsub_channels', {}, num('pubsub_channels'), 'GAUGE'],
    ['redis_acl_access_denied_auth_total', {}, num('acl_access_denied_auth'), 'COUNTER'],
    ['redis_slowlog_length', {}, Number(await srv.call('SLOWLOG', 'LEN')), 'GAUGE'],
  ];
  for (const [name, labels, want, type] of exact) {
    assert.equal(value(f, name, labels), want, name);
    assert.equal(typeOf(f, name), type, `${name}'s type`);
  }
  // per database, every database (0 for the empty ones)
  for (let db = 0; db < 16; db++) {
    const line = kv(info.get(`db${db}`));
    assert.equal(value(f, 'redis_db_keys', { db: `db${db}` }), Number(line.get('keys') ?? 0), `db${db} keys`);
    assert.equal(
      value(f, 'redis_db_keys_expiring', { db: `db${db}` }),
      Number(line.get('expires') ?? 0),
      `db${db} expires`,
    );
  }
  assert.equal(value(f, 'redis_db_keys', { db: 'db3' }), 20);
  assert.equal(value(f, 'redis_db_keys_expiring', { db: 'db0' }), 50);
  const ttl = value(f, 'redis_db_avg_ttl_seconds', { db: 'db3' });
  assert.ok(Math.abs(ttl - Number(kv(info.get('db3')).get('avg_ttl')) / 1000) <= 1, `avg ttl ${ttl}`);
  // per command: calls, time, failed (WRONGTYPE) and rejected (arity) calls, as commandstats
  for (const cmd of ['set', 'get', 'expire', 'lpush', 'select', 'config|set']) {
    const st = kv(info.get(`cmdstat_${cmd}`));
    assert.equal(value(f, 'redis_commands_total', { cmd }), Number(st.get('calls')), cmd);
    assert.equal(value(f, 'redis_commands_duration_seconds_total', { cmd }), Number(st.get('usec')) / 1e6, cmd);
    assert.equal(value(f, 'redis_commands_failed_calls_total', { cmd }), Number(st.get('failed_calls')), cmd);
    assert.equal(value(f, 'redis_commands_rejected_calls_total', { cmd }), Number(st.get('rejected_calls')), cmd);
  }
  assert.ok(value(f, 'redis_commands_failed_calls_total', { cmd: 'lpush' }) >= 1);
  assert.ok(value(f, 'redis_commands_rejected_calls_total', { cmd: 'get' }) >= 1);
  assert.equal(typeOf(f, 'redis_commands_total'), 'COUNTER');
  // errors per code, as errorstats
  for (const code of ['ERR', 'WRONGTYPE', 'QU"OTE\\']) {
    assert.equal(
      value(f, 'redis_errors_total', { err: code }),
      Number(kv(info.get(`errorstat_${code}`)).get('count')),
      code,
    );
  }
  // latencystats as summaries (quantile labels as fractions: 0.5, 0.99, 0.999)
  const sum = f.get('redis_latency_percentiles_usec');
  assert.equal(sum?.type, 'SUMMARY');
  const pct = kv(info.get('latency_percentiles_usec_set'));
  // (the parser merges labelled summaries into one: one command's lines are parsed alone)
  const setLines = r.body
    .split('\n')
    .filter((l) => l.startsWith('redis_latency_percentiles_usec') && l.includes('cmd="set"'));
  const setSummary = families(`# TYPE redis_latency_percentiles_usec summary\n${setLines.join('\n')}\n`).get(
    'redis_latency_percentiles_usec',
  )!.metrics[0]!;
  const quantiles = Object.entries(setSummary.quantiles ?? {}).map(([q, v]) => [q, Number(v)]);
  assert.deepEqual(quantiles, [
    ['0.5', Number(pct.get('p50'))],
    ['0.99', Number(pct.get('p99'))],
    ['0.999', Number(pct.get('p99.9'))],
  ]);
  const setStat = kv(info.get('cmdstat_set'));
  assert.ok(setLines.includes(`redis_latency_percentiles_usec_count{cmd="set"} ${setStat.get('calls')}`));
  assert.ok(setLines.includes(`redis_latency_percentiles_usec_sum{cmd="set"} ${setStat.get('usec')}`));
  // figures that move by themselves between the scrape and INFO: present, and close
  // ([metric, field, tolerance: absolute, or relative when below 1])
  const near: [string, string, number][] = [
    ['redis_uptime_in_seconds', 'uptime_in_seconds', 2],
    ['redis_memory_used_bytes', 'used_memory', 0.2],
    ['redis_memory_used_rss_bytes', 'used_memory_rss', 0.2],
    ['redis_mem_fragmentation_ratio', 'mem_fragmentation_ratio', 0.3],
    ['redis_cpu_user_seconds_total', 'used_cpu_user', 2],
    ['redis_cpu_sys_seconds_total', 'used_cpu_sys', 2],
  ];
  for (const [name, field, tolerance] of near) {
    const m = value(f, name);
    const x = num(field);
    const ok = tolerance < 1 ? Math.abs(m - x) <= tolerance * x : Math.abs(m - x) <= tolerance;
    assert.ok(ok, `${name} ${m} vs INFO ${field} ${x}`);
  }
  const started = value(f, 'redis_start_time_seconds');
  assert.ok(Math.abs(started - (Math.floor(Date.now() / 1000) - num('uptime_in_seconds'))) <= 2, `start ${started}`);
  // INFO's text fields as labels of redis_instance_info
  const inst = f.get('redis_instance_info')!.metrics[0]!.labels!;
  for (const [label, field] of [
    ['role', 'role'],
    ['redis_version', 'redis_version'],
    ['redis_mode', 'redis_mode'],
    ['tcp_port', 'tcp_port'],
    ['run_id', 'run_id'],
    ['master_replid', 'master_replid'],
    ['maxmemory_policy', 'maxmemory_policy'],
  ] as const)
    assert.equal(inst[label], info.get(field), label);
  assert.equal(inst['role'], 'master');
  // slow log and latency events
  const last = (await srv.call('SLOWLOG', 'GET', '1')) as unknown as [number, number, number][];
  assert.equal(value(f, 'redis_slowlog_last_id'), Number(last[0]![0]));
  assert.equal(value(f, 'redis_last_slow_execution_duration_seconds'), Number(last[0]![2]) / 1e6);
  const latest = (await srv.call('LATENCY', 'LATEST')) as unknown as [string, number, number, number][];
  const ev = latest.find((e) => e[0] === 'command');
  assert.ok(ev !== undefined, 'a command latency event');
  assert.equal(value(f, 'redis_latency_spike_last', { event_name: 'command' }), Number(ev[1]));
  assert.equal(value(f, 'redis_latency_spike_duration_seconds', { event_name: 'command' }), Number(ev[2]) / 1000);
  // output buffer limits, per class
  assert.equal(value(f, 'redis_config_client_output_buffer_limit_bytes', { class: 'pubsub', limit: 'hard' }), 33554432);
  assert.equal(
    value(f, 'redis_config_client_output_buffer_limit_overcome_seconds', { class: 'pubsub', limit: 'soft' }),
    60,
  );
  // each family once, with HELP and TYPE before its samples
  const typeLines = r.body.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.equal(new Set(typeLines.map((l) => l.split(' ')[2])).size, typeLines.length);
});

test('LATENCY HISTOGRAM as histograms: cumulative buckets at its levels, +Inf, _sum from commandstats, _count', async () => {
  const { srv, httpPort } = await start();
  await workload(srv.port);
  const text = (await request(httpPort, '/metrics')).body;
  const info = infoMap(String(await srv.call('INFO', 'commandstats')));
  const hist = (await srv.call('LATENCY', 'HISTOGRAM', 'set', 'get')) as unknown as unknown[];
  for (let i = 0; i < hist.length; i += 2) {
    const cmd = String(hist[i]);
    const body = hist[i + 1] as unknown[];
    const calls = Number(body[1]);
    const cdf = body[3] as number[];
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith('redis_commands_latencies_usec') && l.includes(`cmd="${cmd}"`));
    const buckets = lines
      .filter((l) => l.startsWith('redis_commands_latencies_usec_bucket'))
      .map((l) => {
        const m = /le="([^"]+)"\} (\d+)$/.exec(l)!;
        return [m[1]!, Number(m[2])] as const;
      });
    // every LATENCY HISTOGRAM level is a bucket with the same cumulative count
    for (let j = 0; j < cdf.length; j += 2) {
      const b = buckets.find(([le]) => le === String(cdf[j]));
      assert.ok(b !== undefined, `${cmd} le=${cdf[j]}`);
      assert.equal(b[1], Number(cdf[j + 1]), `${cmd} le=${cdf[j]}`);
    }
    // ascending, non-decreasing, from 1 µs, ending with +Inf = _count = calls
    assert.equal(buckets[0]![0], '1');
    assert.equal(buckets[buckets.length - 1]![0], '+Inf');
    for (let j = 1; j < buckets.length; j++) {
      assert.ok(buckets[j]![1] >= buckets[j - 1]![1], `${cmd} cumulative`);
      if (j < buckets.length - 1) assert.ok(Number(buckets[j]![0]) > Number(buckets[j - 1]![0]), `${cmd} ascending`);
    }
    assert.equal(buckets[buckets.length - 1]![1], calls);
    assert.ok(lines.includes(`redis_commands_latencies_usec_count{cmd="${cmd}"} ${calls}`), `${cmd} _count`);
    assert.ok(
      lines.includes(`redis_commands_latencies_usec_sum{cmd="${cmd}"} ${kv(info.get(`cmdstat_${cmd}`)).get('usec')}`),
      `${cmd} _sum`,
    );
    // one command's histogram as the parser reads it
    const parsed = families(`# TYPE redis_commands_latencies_usec histogram\n${lines.join('\n')}\n`);
    const h = parsed.get('redis_commands_latencies_usec')!;
    assert.equal(h.type, 'HISTOGRAM');
    assert.equal(h.metrics[0]!.buckets!['+Inf'], String(calls));
  }
  assert.match(text, /^# TYPE redis_commands_latencies_usec histogram$/m);
});

test('OpenMetrics when Accept asks for it: counters without _total in TYPE, _total on samples, # EOF', async () => {
  const { srv, httpPort } = await start();
  await workload(srv.port);
  const prom = await request(httpPort, '/metrics', { headers: { Accept: 'text/plain;version=0.0.4' } });
  const om = await request(httpPort, '/metrics', {
    headers: {
      Accept:
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    },
  });
  assert.equal(prom.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.ok(om.body.endsWith('\n# EOF\n'));
  assert.ok(!prom.body.includes('# EOF'));
  assert.match(om.body, /^# TYPE redis_keyspace_hits counter$/m);
  assert.match(om.body, /^redis_keyspace_hits_total \d+$/m);
  assert.match(om.body, /^# TYPE redis_commands counter$/m);
  assert.match(om.body, /^redis_commands_total\{cmd="set"\} \d+$/m);
  assert.match(om.body, /^# TYPE redis_total_error_replies counter$/m);
  assert.match(om.body, /^redis_total_error_replies_total \d+$/m);
  assert.match(prom.body, /^# TYPE redis_total_error_replies counter$/m);
  assert.match(prom.body, /^redis_total_error_replies \d+$/m);
  // every counter family's samples end in _total; no family name does
  const counters = new Set<string>();
  for (const line of om.body.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t !== null) {
      assert.ok(!(t[2] === 'counter' && t[1]!.endsWith('_total')), line);
      if (t[2] === 'counter') counters.add(t[1]!);
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    if (counters.has(name.replace(/_total$/, ''))) assert.ok(name.endsWith('_total'), line);
  }
  // the same figures as the text format, once the names are mapped back
  const promFamilies = families(prom.body);
  const omCommands = /^redis_commands_total\{cmd="lpush"\} (\d+)$/m.exec(om.body)![1];
  assert.equal(Number(omCommands), value(promFamilies, 'redis_commands_total', { cmd: 'lpush' }));
  // other Accept headers: the text format
  for (const accept of ['text/plain', '*/*', 'application/openmetrics-text;version=0.0.1', 'application/json']) {
    const r = await request(httpPort, '/metrics', { headers: { Accept: accept } });
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8', accept);
  }
  assert.equal(
    (await request(httpPort, '/metrics', { headers: { Accept: 'application/openmetrics-text' } })).headers[
      'content-type'
    ],
    'application/openmetrics-text; version=1.0.0; charset=utf-8',
  );
});

test('replication: the primary counts its replica, the replica reports its link with the primary as labels', async () => {
  const p = await start();
  const r = await start();
  assert.equal(await r.srv.call('REPLICAOF', '127.0.0.1', String(p.srv.port)), 'OK');
  await until('the link is up', async () =>
    /master_link_status:up/.test(String(await r.srv.call('INFO', 'replication'))),
  );
  await p.srv.call('SET', 'x', '1');
  await until('the replica has the write', async () => (await r.srv.call('GET', 'x')) === '1');
  const master = { master_host: '127.0.0.1', master_port: String(p.srv.port) };
  const rf = families((await request(r.httpPort, '/metrics')).body);
  assert.equal(value(rf, 'redis_master_link_up', master), 1);
  assert.equal(value(rf, 'redis_master_sync_in_progress', master), 0);
  assert.ok(value(rf, 'redis_slave_repl_offset', master) > 0);
  assert.equal(rf.get('redis_instance_info')!.metrics[0]!.labels!['role'], 'slave');
  assert.equal(value(rf, 'redis_slave_info', { ...master, read_only: '1' }), 1);
  const pf = families((await request(p.httpPort, '/metrics')).body);
  assert.equal(value(pf, 'redis_connected_slaves'), 1);
  const slave = pf.get('redis_connected_slave_offset_bytes')!.metrics[0]!;
  assert.equal(slave.labels!['slave_ip'], '127.0.0.1');
  assert.equal(slave.labels!['slave_state'], 'online');
  assert.ok(value(pf, 'redis_master_repl_offset') > 0);
  assert.equal(await r.srv.call('REPLICAOF', 'NO', 'ONE'), 'OK');
});

test('cluster mode: CLUSTER INFO fields as redis_exporter reports them (cluster_state ok is 1)', async () => {
  const httpPort = await freePort();
  const node = await startTsdisNode({ 'http-port': httpPort });
  try {
    let f = families((await request(httpPort, '/metrics')).body);
    assert.equal(value(f, 'redis_cluster_enabled'), 1);
    assert.equal(value(f, 'redis_cluster_state'), 0);
    assert.equal(value(f, 'redis_cluster_known_nodes'), 1);
    assert.equal(value(f, 'redis_cluster_slots_assigned'), 0);
    assert.equal(await node.srv.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), 'OK');
    await until('cluster_state:ok', async () =>
      /cluster_state:ok/.test(String(await node.srv.call('CLUSTER', 'INFO'))),
    );
    const info = infoMap(String(await node.srv.call('CLUSTER', 'INFO')));
    f = families((await request(httpPort, '/metrics')).body);
    assert.equal(value(f, 'redis_cluster_state'), 1);
    assert.equal(value(f, 'redis_cluster_slots_assigned'), 16384);
    assert.equal(value(f, 'redis_cluster_messages_sent_total'), Number(info.get('cluster_stats_messages_sent')));
    assert.equal(value(f, 'redis_cluster_current_epoch'), Number(info.get('cluster_current_epoch')));
    // one database in cluster mode
    assert.equal(f.get('redis_db_keys')!.metrics.length, 1);
  } finally {
    await node.close();
  }
});

/** Where Python can import prometheus_client from (installed, or a wheel on disk), or null. */
function prometheusClient(): string | null {
  const probe = (path: string) =>
    spawnSync('python3', ['-c', 'import prometheus_client.openmetrics.parser'], {
      env: { ...process.env, PYTHONPATH: path },
    }).status === 0;
  if (probe('')) return '';
  const dir = '/opt/pypi/files';
  const wheel = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => /^prometheus_client-.*\.whl$/.test(f)) : undefined;
  return wheel !== undefined && probe(path.join(dir, wheel)) ? path.join(dir, wheel) : null;
}

test("both formats pass the Prometheus project's own parsers (prometheus_client: text, and its strict OpenMetrics one)", async (t) => {
  const where = prometheusClient();
  if (where === null) return t.skip('prometheus_client (Python) is not available');
  const { srv, httpPort } = await start({ 'enable-debug-command': 'yes', 'latency-monitor-threshold': '1' });
  await workload(srv.port);
  await srv.call('DEBUG', 'SLEEP', '0.005');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-metrics-'));
  try {
    const prom = await request(httpPort, '/metrics');
    const om = await request(httpPort, '/metrics', { headers: { Accept: 'application/openmetrics-text' } });
    fs.writeFileSync(path.join(dir, 'prom.txt'), prom.body);
    fs.writeFileSync(path.join(dir, 'om.txt'), om.body);
    const script = [
      'import sys',
      'from prometheus_client.parser import text_string_to_metric_families as prom',
      'from prometheus_client.openmetrics.parser import text_string_to_metric_families as om',
      'a = list(prom(open(sys.argv[1]).read()))',
      'b = list(om(open(sys.argv[2]).read()))',
      'print(len(a), len(b), sorted(set(f.type for f in b)))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, path.join(dir, 'prom.txt'), path.join(dir, 'om.txt')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: where },
    });
    assert.equal(r.status, 0, r.stderr);
    const m = /^(\d+) (\d+) (.*)$/.exec(r.stdout.trim());
    assert.ok(m !== null, r.stdout);
    assert.ok(Number(m[1]) > 150 && m[1] === m[2], r.stdout);
    assert.equal(m[3], "['counter', 'gauge', 'histogram', 'summary']");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

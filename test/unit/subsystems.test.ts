/**
 * The subsystem hooks (server/subsystem.ts): the server calls each hook in
 * the order of Server.subsystems, for a subsystem registered at either end
 * of that list as for the built-in ones; CONFIG SET returns the first error
 * a hook gives while every hook still runs; a subsystem's INFO section comes
 * after keyspace, in list order, or replaces a built-in one of its name.
 * The built-in order is pinned (it is the order of the effects the cron and
 * beforeSleep had when they called each part by hand: changing it is a
 * change in behaviour).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../../src/server/server.js';
import type { CronTick, Subsystem } from '../../src/server/subsystem.js';
import type { Client } from '../../src/server/client.js';
import { genInfo, selectSections } from '../../src/observability/info.js';

/** A subsystem that logs every hook call as `name:hook`. */
function recorder(name: string, log: string[], configError: string | null = null): Subsystem {
  return {
    clientFreed: (c: Client) => void log.push(`${name}:clientFreed:${c.id}`),
    clientReset: (c: Client) => void log.push(`${name}:clientReset:${c.id}`),
    configChanged: (param: string | null) => {
      log.push(`${name}:configChanged:${param}`);
      return param === 'maxmemory-samples' ? configError : null;
    },
    cron: (tick: CronTick) => void log.push(`${name}:cron${tick.second ? ':second' : ''}`),
    beforeSleep: () => void log.push(`${name}:beforeSleep`),
    afterReplies: () => void log.push(`${name}:afterReplies`),
    info: { name: name.toLowerCase(), header: name, fields: () => [[`${name}_field`, 1]] },
    listen: async () => void log.push(`${name}:listen`),
    close: () => void log.push(`${name}:close`),
  };
}

/** The log's entries for one hook, as the recorders' names in call order. */
function order(log: string[], hook: string): string[] {
  return log.filter((l) => l.split(':')[1] === hook).map((l) => l.split(':')[0]!);
}

test('the built-in subsystems, in hook order', () => {
  const s = new Server({ config: { port: 0 }, log: () => {} });
  assert.deepEqual(
    s.subsystems.map((x) => x.constructor.name),
    [
      'ActiveExpire',
      'Acl',
      'Eviction',
      'Watches',
      'Tracking',
      'Blocking',
      'Aof',
      'Replication',
      'Replica',
      'Cluster',
      'ClientPause',
      'VmGate',
      'Monitors',
      'PubSub',
      'Object', // save points (persistence/bgsave.ts attachPersistence)
      'Scripting',
      'MemoryFigures',
      'Connections',
      'ClientEviction',
      'OutputLimiter',
      'MigrateLinks',
      'HttpListener',
      'Watchdog',
      'Dashboard',
      'IdleReclaim',
    ],
  );
  // the typed fields are the registered objects
  for (const f of [
    s.activeExpire,
    s.acl,
    s.evict,
    s.watches,
    s.tracking,
    s.blocking,
    s.aof,
    s.repl,
    s.replica,
    s.cluster,
    s.pause,
    s.monitors,
    s.pubsub,
  ])
    assert.ok(s.subsystems.includes(f));
  for (const f of [s.scripting, s.conns, s.clientEviction, s.outputLimits, s.migrate, s.http, s.watchdog, s.reclaim])
    assert.ok(s.subsystems.includes(f));
});

test('every hook is called in registration order, first to last', async () => {
  const log: string[] = [];
  const s = new Server({ config: { port: 0, hz: 100, save: '' }, log: () => {} });
  const builtIn = s.subsystems.length;
  // one before every built-in subsystem, two after them
  s.addSubsystem(recorder('First', log), 'first');
  s.addSubsystem(recorder('Second', log, 'second refuses'));
  s.addSubsystem(recorder('Third', log, 'third refuses'));
  assert.equal(s.subsystems[0]!.constructor.name, 'Object');
  assert.equal(s.subsystems.length, builtIn + 3);
  // the list is read-only: a subsystem joins through addSubsystem, which keeps the hook lists in step
  assert.throws(() => (s.subsystems as Subsystem[]).push(recorder('Sneaky', log)), TypeError);
  const expected = ['First', 'Second', 'Third'];

  // configChanged: every hook runs; the first error is CONFIG SET's
  assert.throws(() => s.config.setMany([['maxmemory-samples', '7']], true), /second refuses/);
  // then again with the old value restored
  assert.deepEqual(order(log, 'configChanged'), [...expected, ...expected]);
  assert.equal(s.config.v['maxmemory-samples'], 5, 'the failed CONFIG SET restored the old value');

  // clientReset, clientFreed
  const c = s.newClient(null, 'tcp');
  s.conns.resetClient(c);
  assert.deepEqual(order(log, 'clientReset'), expected);
  s.killClient(c);
  assert.deepEqual(order(log, 'clientFreed'), expected);
  assert.ok(log.includes(`Third:clientFreed:${c.id}`));
  s.killClient(c); // once per client
  assert.deepEqual(order(log, 'clientFreed'), expected);

  // beforeSleep, then afterReplies, in one turn's end
  log.length = 0;
  s.beforeSleep.run();
  assert.deepEqual(log, [...expected.map((n) => `${n}:beforeSleep`), ...expected.map((n) => `${n}:afterReplies`)]);

  // listen, then cron (with a once-a-second tick within 1.5 s at hz 100)
  log.length = 0;
  await s.listen();
  const until = Date.now() + 3000;
  while (!log.includes('Third:cron:second') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  // listen: once, in order, before the first cron tick
  assert.deepEqual(order(log, 'listen'), expected);
  assert.ok(log.indexOf('Third:listen') < log.findIndex((l) => l.includes(':cron')));
  const crons = log.filter((l) => l.includes(':cron'));
  assert.ok(crons.length >= 3);
  for (let i = 0; i + 2 < crons.length; i += 3)
    assert.deepEqual(
      crons.slice(i, i + 3).map((l) => l.split(':')[0]),
      expected,
    );
  assert.ok(log.includes('First:cron:second') && log.includes('Third:cron:second'));

  // INFO: the recorders' sections follow keyspace, in list order; a selected one alone
  const info = genInfo(s, selectSections(['everything']));
  const headers = info.split('\r\n').filter((l) => l.startsWith('# '));
  assert.deepEqual(headers.slice(-3), ['# First', '# Second', '# Third']);
  assert.equal(headers[headers.length - 4], '# Keyspace');
  assert.equal(genInfo(s, selectSections(['second'])), '# Second\r\nSecond_field:1\r\n');

  // close
  log.length = 0;
  await s.close();
  assert.deepEqual(order(log, 'close'), expected);
});

test("a subsystem's INFO section replaces the built-in section of its name", () => {
  const s = new Server({ config: { port: 0 }, log: () => {} });
  s.addSubsystem({ info: { name: 'replication', header: 'Replication', fields: () => [['role', 'test']] } });
  const info = genInfo(s, selectSections([]));
  assert.match(info, /# Replication\r\nrole:test\r\n\r\n# CPU/);
  assert.equal(info.split('# Replication').length, 2);
});

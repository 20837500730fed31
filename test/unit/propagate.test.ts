/**
 * The one propagation stream (src/server/propagate.ts) with a sink of our
 * own beside the AOF, as the replication backlog will be one: every effect
 * reaches it in its deterministic form, a top-level command's effects as one
 * unit (MULTI/EXEC around several, MULTI and EXEC in no database), effects
 * outside a command at once; nothing is collected while no sink takes
 * effects; the dirty counter moves only through the propagator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../../src/index.js';
import { PROPAGATE_ALL, type PropagationSink } from '../../src/server/propagate.js';

/** A sink that records what it is fed, as [db, ...argv] rows, and how often it was flushed. */
class Recorder implements PropagationSink {
  readonly target = PROPAGATE_ALL;
  accepting = true;
  fed: (string | number)[][] = [];
  flushes = 0;
  get pending(): boolean {
    return false;
  }
  feed(db: number, argv: readonly string[]): void {
    this.fed.push([db, ...argv]);
  }
  flush(): void {
    this.flushes++;
  }
}

test('a registered sink gets each command as it replays, one unit per top-level command', async () => {
  const clock = { now: 1_700_000_000_000 };
  const srv = await createServer({ noListen: true, clock: () => clock.now });
  try {
    const sink = new Recorder();
    srv.server.propagator.register(sink);
    assert.equal(srv.server.propagator.active, true);
    await srv.call('SET', 'k', 'v', 'EX', '10');
    assert.deepEqual(sink.fed, [[0, 'SET', 'k', 'v', 'PXAT', String(clock.now + 10_000)]]);
    sink.fed = [];
    // a read and a write that changes nothing replay nothing
    await srv.call('GET', 'k');
    await srv.call('SETNX', 'k', 'w');
    assert.deepEqual(sink.fed, []);
    // a transaction: one unit, MULTI/EXEC in no database, the SELECT inside
    await srv.call('SELECT', '2');
    await srv.call('MULTI');
    await srv.call('INCR', 'n');
    await srv.call('GET', 'n');
    await srv.call('INCRBYFLOAT', 'f', '1.5');
    await srv.call('EXEC');
    assert.deepEqual(sink.fed, [
      [-1, 'MULTI'],
      [2, 'INCR', 'n'],
      [2, 'SET', 'f', '1.5', 'KEEPTTL'],
      [-1, 'EXEC'],
    ]);
    sink.fed = [];
    // a forced effect with no change (FLUSHDB of an empty db)
    await srv.call('FLUSHDB');
    assert.deepEqual(sink.fed, [[2, 'FLUSHDB']]);
  } finally {
    await srv.close();
  }
});

test('effects outside a command go out at once; a sink that stops accepting gets nothing', async () => {
  const clock = { now: 1_700_000_000_000 };
  const srv = await createServer({ noListen: true, clock: () => clock.now });
  try {
    const server = srv.server;
    const sink = new Recorder();
    server.propagator.register(sink);
    await srv.call('SET', 'gone', 'x', 'PX', '5');
    sink.fed = [];
    clock.now += 10;
    // lazy expiry inside a command: the DEL is the command's unit
    assert.equal(await srv.call('GET', 'gone'), null);
    assert.deepEqual(sink.fed, [[0, 'DEL', 'gone']]);
    sink.fed = [];
    // outside a command (as active expiry and eviction propagate)
    server.propagator.propagate(0, ['DEL', 'x']);
    assert.deepEqual(sink.fed, [[0, 'DEL', 'x']]);
    sink.fed = [];
    sink.accepting = false;
    server.propagator.refresh();
    assert.equal(server.propagator.active, false);
    await srv.call('SET', 'a', '1');
    assert.deepEqual(sink.fed, []);
  } finally {
    await srv.close();
  }
});

test('the dirty counter counts changes and is reset by a save, through the propagator only', async () => {
  const srv = await createServer({ noListen: true });
  try {
    const prop = srv.server.propagator;
    const before = prop.dirty;
    await srv.call('MSET', 'a', '1', 'b', '2');
    await srv.call('DEL', 'a');
    assert.equal(prop.dirty, before + 3);
    assert.equal(
      /rdb_changes_since_last_save:(\d+)/.exec(String(await srv.call('INFO', 'persistence')))?.[1],
      String(before + 3),
    );
    prop.saved(2);
    assert.equal(prop.dirty, before + 1);
    prop.saved();
    assert.equal(prop.dirty, 0);
  } finally {
    await srv.close();
  }
});

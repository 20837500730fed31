/**
 * Job queues built on Lua scripts, against an in-process tsdis:
 * - bee-queue (the real npm package): jobs saved and processed by a worker,
 *   results, retries after a failure, delayed jobs, health counts.
 * - BullMQ (the real npm package): every one of its Lua scripts compiles
 *   (SCRIPT LOAD) with the sha redis-server gives; Queue + Worker with
 *   delayed and prioritised jobs, a flow (FlowProducer), QueueEvents;
 *   rate limiting; a repeatable job (job scheduler); failures and retries
 *   with backoff. These need streams (BullMQ's events are a stream) and skip
 *   themselves without XADD.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Queue from 'bee-queue';
import { startTsdis, startRedis, hasRedis, RawConn } from '../helpers/servers.js';

const srv = await startTsdis();
after(() => srv.close());
const require = createRequire(import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('bee-queue: save, process, results, retries, delayed jobs, health', async () => {
  const redis = { host: '127.0.0.1', port: srv.port };
  const q = new Queue('bq-test', { redis, activateDelayedJobs: true, removeOnSuccess: false, delayedDebounce: 50 });
  try {
    const seen: number[] = [];
    let failedOnce = false;
    q.process(async (job: Queue.Job<{ x: number }>) => {
      if (job.data.x === 2 && !failedOnce) {
        failedOnce = true;
        throw new Error('first attempt fails');
      }
      seen.push(job.data.x);
      return job.data.x * 10;
    });
    const j1 = await q.createJob({ x: 1 }).save();
    const result = await new Promise((resolve) => j1.on('succeeded', resolve));
    assert.equal(result, 10);
    await q.createJob({ x: 2 }).retries(2).save();
    await q.createJob({ x: 3 }).delayUntil(Date.now() + 200).save();
    for (let i = 0; i < 50 && seen.length < 3; i++) await sleep(50);
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
    assert.ok(failedOnce);
    const health = await q.checkHealth();
    assert.equal(health.succeeded, 3);
    assert.equal(health.failed, 0);
    assert.equal(health.waiting + health.active + health.delayed, 0);
    const got = await q.getJob(j1.id);
    assert.equal(got.status, 'succeeded');
  } finally {
    await q.close();
  }
});

type BullScript = { name: string; content: string; keys: number };
const bullScripts = Object.values(require('bullmq/dist/cjs/scripts/index.js') as Record<string, BullScript>);

test('BullMQ: every Lua script compiles, with the sha redis-server gives', async () => {
  assert.ok(bullScripts.length > 40);
  const a = await RawConn.connect(srv.port);
  const rd = hasRedis() ? await startRedis() : null;
  const b = rd ? await RawConn.connect(rd.port) : null;
  try {
    for (const s of bullScripts) {
      const x = await a.call('SCRIPT', 'LOAD', s.content);
      assert.match(x, /^\$40\r\n[0-9a-f]{40}\r\n$/, `${s.name}: ${x}`);
      if (b) assert.equal(x, await b.call('SCRIPT', 'LOAD', s.content), s.name);
    }
  } finally {
    a.close();
    b?.close();
    await rd?.stop();
  }
});

const noStreams = srv.server.commands.lookup('xadd') === undefined ? 'needs streams (issue 7): BullMQ writes its events to a stream' : false;

test('BullMQ: queue, worker, delayed and prioritised jobs, flows, QueueEvents', { skip: noStreams }, async () => {
  const { Queue: BQueue, Worker, QueueEvents, FlowProducer } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
  const q = new BQueue('bull-test', { connection });
  const events = new QueueEvents('bull-test', { connection });
  await events.waitUntilReady();
  const order: string[] = [];
  let completed = 0;
  events.on('completed', () => completed++);
  const w = new Worker('bull-test', async (job) => {
    order.push(job.name);
    return job.name.toUpperCase();
  }, { connection, limiter: { max: 50, duration: 1000 } });
  const flow = new FlowProducer({ connection });
  try {
    await q.add('plain', {});
    await q.add('urgent', {}, { priority: 1 });
    await q.add('later', {}, { delay: 200 });
    await flow.add({ name: 'parent', queueName: 'bull-test', children: [{ name: 'child', queueName: 'bull-test', data: {} }] });
    for (let i = 0; i < 100 && order.length < 5; i++) await sleep(50);
    assert.deepEqual([...order].sort(), ['child', 'later', 'parent', 'plain', 'urgent']);
    assert.ok(order.indexOf('child') < order.indexOf('parent'));
    for (let i = 0; i < 40 && completed < 5; i++) await sleep(50);
    assert.equal(completed, 5);
    const counts = await q.getJobCounts('completed', 'waiting', 'delayed', 'failed');
    assert.equal(counts.completed, 5);
  } finally {
    await w.close();
    await flow.close();
    await events.close();
    await q.close();
  }
});

const bullConnection = () => ({ host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null });

test('BullMQ: rate limiting spaces jobs out', { skip: noStreams }, async () => {
  const { Queue: BQueue, Worker } = await import('bullmq');
  const connection = bullConnection();
  const q = new BQueue('bull-limited', { connection });
  const times: number[] = [];
  const w = new Worker('bull-limited', async () => {
    times.push(Date.now());
  }, { connection, limiter: { max: 2, duration: 400 } });
  try {
    for (let i = 0; i < 5; i++) await q.add('job', { i });
    for (let i = 0; i < 60 && times.length < 5; i++) await sleep(50);
    assert.equal(times.length, 5);
    // 2 per 400 ms: the 5th job runs at least two windows after the first.
    assert.ok(times[4]! - times[0]! >= 700, `spread ${times[4]! - times[0]!} ms`);
  } finally {
    await w.close();
    await q.close();
  }
});

test('BullMQ: a repeatable job (job scheduler) runs again and again', { skip: noStreams }, async () => {
  const { Queue: BQueue, Worker } = await import('bullmq');
  const connection = bullConnection();
  const q = new BQueue('bull-repeat', { connection });
  let ticks = 0;
  const w = new Worker('bull-repeat', async (job) => {
    assert.equal(job.name, 'tick');
    ticks++;
  }, { connection });
  try {
    await q.upsertJobScheduler('every-150ms', { every: 150 }, { name: 'tick', data: {} });
    for (let i = 0; i < 60 && ticks < 3; i++) await sleep(50);
    assert.ok(ticks >= 3, `ticks ${ticks}`);
    const schedulers = await q.getJobSchedulers();
    assert.equal(schedulers.length, 1);
    await q.removeJobScheduler('every-150ms');
    assert.equal((await q.getJobSchedulers()).length, 0);
  } finally {
    await w.close();
    await q.close();
  }
});

test('BullMQ: failures, retries with backoff, failed events', { skip: noStreams }, async () => {
  const { Queue: BQueue, Worker, QueueEvents } = await import('bullmq');
  const connection = bullConnection();
  const q = new BQueue('bull-fail', { connection });
  const events = new QueueEvents('bull-fail', { connection });
  await events.waitUntilReady();
  let failedEvents = 0;
  events.on('failed', () => failedEvents++);
  let attempts = 0;
  const w = new Worker('bull-fail', async (job) => {
    if (job.name === 'flaky') {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${attempts}`);
      return 'ok';
    }
    throw new Error('always');
  }, { connection });
  try {
    const flaky = await q.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    const doomed = await q.add('doomed', {}, { attempts: 2 });
    for (let i = 0; i < 60; i++) {
      const [a, b] = await Promise.all([q.getJobState(flaky.id!), q.getJobState(doomed.id!)]);
      if (a === 'completed' && b === 'failed') break;
      await sleep(50);
    }
    assert.equal(await q.getJobState(flaky.id!), 'completed');
    assert.equal(attempts, 3);
    const d = await q.getJob(doomed.id!);
    assert.equal(d!.failedReason, 'always');
    assert.equal(d!.attemptsMade, 2);
    for (let i = 0; i < 20 && failedEvents < 1; i++) await sleep(50);
    assert.ok(failedEvents >= 1);
  } finally {
    await w.close();
    await events.close();
    await q.close();
  }

});

/**
 * Job queues built on Lua scripts, against an in-process tsdis:
 * - bee-queue (the real npm package): jobs saved and processed by a worker,
 *   results, retries after a failure, delayed jobs, health counts.
 * - BullMQ (the real npm package): every one of its Lua scripts compiles
 *   (SCRIPT LOAD) with the sha redis-server gives; Queue + Worker with
 *   delayed and prioritised jobs, a flow (FlowProducer), QueueEvents;
 *   rate limiting; a repeatable job (job scheduler); failures and retries
 *   with backoff; stalled-job recovery (a worker dies holding a job) and the
 *   maxStalledCount limit. These need streams (BullMQ's events are a
 *   stream) and skip themselves without XADD.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Queue from 'bee-queue';
import { startTsdis, startRedis, hasRedis, RawConn } from '../helpers/servers.js';
import { sleep, until } from '../helpers/wait.js';

const srv = await startTsdis();
after(() => srv.close());
const require = createRequire(import.meta.url);

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
    await q
      .createJob({ x: 3 })
      .delayUntil(Date.now() + 200)
      .save();
    await until('three jobs processed', () => seen.length >= 3).catch(() => {});
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
    assert.equal(failedOnce, true);
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

const noStreams =
  srv.server.commands.lookup('xadd') === undefined
    ? 'needs streams (issue 7): BullMQ writes its events to a stream'
    : false;

test('BullMQ: queue, worker, delayed and prioritised jobs, flows, QueueEvents', { skip: noStreams }, async () => {
  const { Queue: BQueue, Worker, QueueEvents, FlowProducer } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
  const q = new BQueue('bull-test', { connection });
  const events = new QueueEvents('bull-test', { connection });
  await events.waitUntilReady();
  const order: string[] = [];
  let completed = 0;
  events.on('completed', () => completed++);
  const w = new Worker(
    'bull-test',
    async (job) => {
      order.push(job.name);
      return job.name.toUpperCase();
    },
    { connection, limiter: { max: 50, duration: 1000 } },
  );
  const flow = new FlowProducer({ connection });
  try {
    await q.add('plain', {});
    await q.add('urgent', {}, { priority: 1 });
    await q.add('later', {}, { delay: 200 });
    await flow.add({
      name: 'parent',
      queueName: 'bull-test',
      children: [{ name: 'child', queueName: 'bull-test', data: {} }],
    });
    await until('five jobs run', () => order.length >= 5).catch(() => {});
    assert.deepEqual([...order].sort(), ['child', 'later', 'parent', 'plain', 'urgent']);
    assert.ok(order.indexOf('child') < order.indexOf('parent'));
    await until('five jobs completed', () => completed >= 5).catch(() => {});
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
  const w = new Worker(
    'bull-limited',
    async () => {
      times.push(Date.now());
    },
    { connection, limiter: { max: 2, duration: 400 } },
  );
  try {
    for (let i = 0; i < 5; i++) await q.add('job', { i });
    await until('five rate-limited jobs run', () => times.length >= 5).catch(() => {});
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
  const w = new Worker(
    'bull-repeat',
    async (job) => {
      assert.equal(job.name, 'tick');
      ticks++;
    },
    { connection },
  );
  try {
    await q.upsertJobScheduler('every-150ms', { every: 150 }, { name: 'tick', data: {} });
    await until('three ticks', () => ticks >= 3).catch(() => {});
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
  const w = new Worker(
    'bull-fail',
    async (job) => {
      if (job.name === 'flaky') {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        return 'ok';
      }
      throw new Error('always');
    },
    { connection },
  );
  try {
    const flaky = await q.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    const doomed = await q.add('doomed', {}, { attempts: 2 });
    await until(
      'flaky completed and doomed failed',
      async () => {
        const [a, b] = await Promise.all([q.getJobState(flaky.id!), q.getJobState(doomed.id!)]);
        return a === 'completed' && b === 'failed';
      },
      { every: 50 },
    ).catch(() => {});
    assert.equal(await q.getJobState(flaky.id!), 'completed');
    assert.equal(attempts, 3);
    const d = await q.getJob(doomed.id!);
    assert.equal(d!.failedReason, 'always');
    assert.equal(d!.attemptsMade, 2);
    await until('a failed event', () => failedEvents >= 1).catch(() => {});
    assert.ok(failedEvents >= 1);
  } finally {
    await w.close();
    await events.close();
    await q.close();
  }
});

/**
 * Polls pred() every 25 ms until it holds; after ms milliseconds fails with
 * `what` and whatever detail() reports. Used by the stalled-job tests below.
 */
async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  detail: () => unknown = () => '',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline)
      assert.fail(`timed out after ${ms} ms waiting for ${what} ${JSON.stringify(await detail())}`);
    await sleep(25);
  }
}

test(
  'BullMQ: a stalled job (its worker died holding the lock) is moved back and processed by another worker',
  { skip: noStreams },
  async () => {
    const { Queue: BQueue, Worker, QueueEvents } = await import('bullmq');
    const connection = bullConnection();
    const q = new BQueue('bull-stalled', { connection });
    const events = new QueueEvents('bull-stalled', { connection });
    await events.waitUntilReady();
    const eventStalled: string[] = [];
    events.on('stalled', ({ jobId }) => eventStalled.push(jobId));
    const raw = await RawConn.connect(srv.port);
    const closers: (() => Promise<void>)[] = [];
    try {
      // Worker A takes the job, then dies holding it: its processor never
      // returns and close(true) drops its connections without finishing the
      // job; the 500 ms lock is left to expire. A never checks for stalls.
      let startedAt = 0;
      const a = new Worker(
        'bull-stalled',
        async () => {
          startedAt = Date.now();
          return new Promise<never>(() => {});
        },
        { connection, lockDuration: 500, skipStalledCheck: true },
      );
      closers.push(() => a.close(true));
      const job = await q.add('work', { n: 21 });
      await waitUntil(() => startedAt > 0, 3000, 'worker A to take the job');
      await a.close(true);
      assert.equal(await q.getJobState(job.id!), 'active');
      const pttl = Number(/^:(-?\d+)/.exec(await raw.call('PTTL', `bull:bull-stalled:${job.id!}:lock`))?.[1]);
      assert.ok(pttl > 0 && pttl <= 500, `lock PTTL ${pttl}`);

      // Worker B's stalled checker (every 250 ms) marks the active job, finds
      // its lock gone on a later pass (moveStalledJobsToWait), moves it back to
      // wait and emits 'stalled'; B then processes it.
      const seenB: string[] = [];
      const workerStalled: [string, string][] = [];
      let stalledAt = 0;
      const b = new Worker(
        'bull-stalled',
        async (j) => {
          seenB.push(j.id!);
          return (j.data as { n: number }).n * 2;
        },
        { connection, stalledInterval: 250, maxStalledCount: 1 },
      );
      b.on('stalled', (id, prev) => {
        stalledAt ||= Date.now();
        workerStalled.push([id, prev]);
      });
      closers.push(() => b.close());
      await waitUntil(
        async () => (await q.getJobState(job.id!)) === 'completed',
        5000,
        'the stalled job to complete on worker B',
        async () => ({
          state: await q.getJobState(job.id!),
          seenB,
          workerStalled,
        }),
      );
      assert.ok(
        stalledAt - startedAt >= 400,
        `moved back ${stalledAt - startedAt} ms after worker A took it, before its 500 ms lock expired`,
      );
      const done = await q.getJob(job.id!);
      assert.equal(done!.returnvalue, 42);
      assert.equal(done!.attemptsStarted, 2);
      assert.equal(done!.attemptsMade, 1);
      assert.equal(done!.stalledCounter, 1);
      assert.equal(done!.failedReason, undefined);
      assert.deepEqual(seenB, [job.id]);
      assert.deepEqual(workerStalled, [[job.id, 'active']]);
      await waitUntil(() => eventStalled.length > 0, 2000, "QueueEvents' stalled event");
      assert.deepEqual(eventStalled, [job.id]);
    } finally {
      raw.close();
      for (const close of closers.reverse()) await close();
      await events.close();
      await q.close();
    }
  },
);

test(
  'BullMQ: a job that stalls more often than maxStalledCount fails with "job stalled more than allowable limit"',
  { skip: noStreams },
  async () => {
    const { Queue: BQueue, Worker, QueueEvents } = await import('bullmq');
    const connection = bullConnection();
    const q = new BQueue('bull-stalled-limit', { connection });
    const events = new QueueEvents('bull-stalled-limit', { connection });
    await events.waitUntilReady();
    const eventFailed: { jobId: string; failedReason: string }[] = [];
    events.on('failed', ({ jobId, failedReason }) => eventFailed.push({ jobId, failedReason }));
    const closers: (() => Promise<void>)[] = [];
    try {
      // Worker A stays alive but hangs, and never renews its 500 ms lock.
      let startedA = 0;
      const a = new Worker(
        'bull-stalled-limit',
        async () => {
          startedA++;
          return new Promise<never>(() => {});
        },
        { connection, lockDuration: 500, skipLockRenewal: true, skipStalledCheck: true },
      );
      closers.push(() => a.close(true));
      const job = await q.add('work', {});
      await waitUntil(() => startedA === 1, 3000, 'worker A to take the job');

      // Worker C allows no stall at all: its checker moves the job back with a
      // deferred failure, and the worker that fetches it next (C) fails it
      // without running the processor.
      const seenC: string[] = [];
      const workerStalled: string[] = [];
      const workerFailed: [string | undefined, string, string][] = [];
      const c = new Worker(
        'bull-stalled-limit',
        async (j) => {
          seenC.push(j.id!);
          return 'processed';
        },
        { connection, stalledInterval: 250, maxStalledCount: 0 },
      );
      c.on('stalled', (id) => workerStalled.push(id));
      c.on('failed', (j, err) => workerFailed.push([j?.id, err.name, err.message]));
      closers.push(() => c.close());
      await waitUntil(
        async () => (await q.getJobState(job.id!)) === 'failed',
        5000,
        'the job to fail for stalling',
        async () => ({
          state: await q.getJobState(job.id!),
          seenC,
          workerStalled,
        }),
      );
      const failed = await q.getJob(job.id!);
      assert.equal(failed!.failedReason, 'job stalled more than allowable limit');
      assert.equal(failed!.stalledCounter, 1);
      assert.equal(failed!.attemptsStarted, 2);
      assert.equal(failed!.attemptsMade, 1);
      assert.deepEqual(seenC, []);
      assert.equal(startedA, 1);
      assert.deepEqual(workerStalled, [job.id]);
      assert.deepEqual(workerFailed, [[job.id, 'UnrecoverableError', 'job stalled more than allowable limit']]);
      await waitUntil(() => eventFailed.length > 0, 2000, "QueueEvents' failed event");
      assert.deepEqual(eventFailed, [{ jobId: job.id, failedReason: 'job stalled more than allowable limit' }]);
    } finally {
      for (const close of closers.reverse()) await close();
      await events.close();
      await q.close();
    }
  },
);

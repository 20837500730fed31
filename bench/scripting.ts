/**
 * Scripting throughput: EVALSHA of a 5-command script and of a BullMQ-like
 * addJob script (cmsgpack + cjson + HMSET/XADD-free writes), and bee-queue's
 * real addJob script, against redis-server and tsdis side by side:
 * (one connection, batches of 100, 2 in flight) and 50 connections without
 * pipelining. Then the real BullMQ client: Queue.add of 3,000 jobs (all in
 * flight) and a Worker (concurrency 50) processing them (with the server's
 * CPU µs per job in each phase), and the same with
 * the real bee-queue client (Job.save, then process). Also the memory of
 * 1,000 loaded scripts (RSS growth after SCRIPT LOAD of 1,000 distinct
 * 40-line scripts).
 *
 * Before each timed run, both servers get WARM untimed EVALSHAs of the same
 * case (tsdis needs them: its JavaScript JIT and the Lua VM's WebAssembly
 * tier-up reach steady state only after a few thousand runs; redis-server
 * is unaffected).
 *
 * Usage: npm run build && npx tsc -p tsconfig.test.json && node dist-test/bench/scripting.js [N] [--repeats R]
 *          [--bullmq | --bee] [--jobs N] [--warm-jobs N] [--a OLD/dist/cli.js [--b NEW/dist/cli.js]]
 * (--bullmq: only the job-queue clients, BullMQ and bee-queue; --bee: only bee-queue)
 * (with --a: an interleaved A/B of two builds, each also against redis-server)
 */
import { createRequire } from 'node:module';
import { FIVE, ADD_JOB } from './lua-scripts.js';
import {
  benchTargets,
  Conn,
  cpuUs,
  encodeCmd,
  fmtInt,
  interleave,
  interleaveMany,
  ratioTable,
  type Measured,
  rssOf,
  runBatches,
  sleep,
  type ServerProc,
} from './lib.js';

const argv = process.argv.slice(2);
/** EVALSHAs per timed run: the first argument when it is a number. */
const N = /^\d+$/.test(argv[0] ?? '') ? Number(argv[0]) : 30000;
const ri = argv.indexOf('--repeats');
/** Runs of each case per server (rotating which server goes first), medians reported. */
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : 1;
/** --bee: only the bee-queue runs and the scripts' memory. */
const BEE_ONLY = argv.includes('--bee');
/** --bullmq: only the job-queue clients' runs (BullMQ, bee-queue) and the scripts' memory. */
const BULLMQ_ONLY = argv.includes('--bullmq') || BEE_ONLY;
const ji = argv.indexOf('--jobs');
/** Jobs per BullMQ / bee-queue run (--jobs N; more jobs weigh the server's warm-up less). */
const JOBS = ji >= 0 ? Number(argv[ji + 1]) : 3000;
const wi = argv.indexOf('--warm-jobs');
/**
 * Jobs of one untimed BullMQ and bee-queue run on each server before the
 * timed ones (--warm-jobs N, default 0): V8 takes tens of thousands of jobs
 * to optimize the server's code for them, which a 3,000-job run mostly measures.
 */
const WARM_JOBS = wi >= 0 ? Number(argv[wi + 1]) : 0;
/** Untimed EVALSHAs before each timed throughput run. */
const WARM = 10000;
const require = createRequire(import.meta.url);

// msgpack of {name='job', timestamp=1700000000000, delay=0, priority=0}, made by redis-server's cmsgpack.
async function packedOpts(c: Conn): Promise<string> {
  return (await c.call([
    'EVAL',
    "return cmsgpack.pack({name='job', timestamp=1700000000000, delay=0, priority=0})",
    0,
  ])) as string;
}

interface Case {
  name: string;
  script: string;
  args: (opts: string) => (string | number)[];
}

function beeQueueAddJob(): string {
  const path = require.resolve('bee-queue/lib/lua/addJob.lua');
  return require('node:fs').readFileSync(path, 'latin1');
}

const scriptCases: Case[] = [
  { name: 'EVALSHA 5-command script', script: FIVE, args: () => [3, 'k1', 'k2', 'k3', 'value'] },
  {
    name: 'EVALSHA BullMQ-like addJob',
    script: ADD_JOB,
    args: (o) => [6, 'q:id', 'q:job:', 'q:events', 'q:delayed', 'q:wait', 'q:prio', '{"x":1}', o],
  },
  {
    name: "EVALSHA bee-queue's addJob.lua",
    script: beeQueueAddJob(),
    args: () => [3, 'bq:id', 'bq:jobs', 'bq:waiting', '', '{"data":{"x":1}}'],
  },
];

/**
 * EVALSHA ops/s: `clients` connections, each sending batches of `pipeline`
 * commands (2 batches in flight), N commands in all.
 */
async function throughput(s: ServerProc, c: Case, opts: string, clients: number, pipeline: number): Promise<number> {
  const conns = await Promise.all(Array.from({ length: clients }, () => Conn.connect(s.port)));
  try {
    await conns[0]!.call(['FLUSHALL']);
    const sha = (await conns[0]!.call(['SCRIPT', 'LOAD', c.script])) as string;
    const batch = encodeCmd(['EVALSHA', sha, ...c.args(opts)]).repeat(pipeline);
    const per = Math.ceil(N / clients / pipeline);
    const warm = Math.max(5, Math.ceil(WARM / clients / pipeline));
    await Promise.all(conns.map((conn) => runBatches(conn, (i) => (i < warm ? { data: batch, n: pipeline } : null))));
    const t = performance.now();
    const rs = await Promise.all(
      conns.map((conn) =>
        runBatches(conn, (i) => (i < per ? { data: batch, n: pipeline } : null), pipeline === 1 ? 1 : 2),
      ),
    );
    const dt = (performance.now() - t) / 1000;
    const bad = rs.find((r) => r.errors);
    if (bad) throw new Error(`${s.name} ${c.name}: ${bad.firstError}`);
    return rs.reduce((a, r) => a + r.commands, 0) / dt;
  } finally {
    for (const conn of conns) conn.close();
  }
}

/**
 * BullMQ: jobs added per second, then processed per second, through the real
 * client; then the server's CPU µs per job in each phase (steadier than the
 * rates on a shared machine, and the client's own CPU left out).
 */
async function bullmq(s: ServerProc, n: number): Promise<[number, number, number, number]> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: s.port, maxRetriesPerRequest: null };
  const q = new Queue(`bench-${Date.now()}`, { connection });
  await q.waitUntilReady();
  for (let i = 0; i < 100; i++) await q.add('warm', { i });
  let t = performance.now();
  let c0 = cpuUs(s.pid);
  await Promise.all(Array.from({ length: n }, (_, i) => q.add('job', { i, payload: 'x'.repeat(100) })));
  const adds = n / ((performance.now() - t) / 1000);
  const addCpu = (cpuUs(s.pid) - c0) / n;
  let done = 0;
  t = performance.now();
  c0 = cpuUs(s.pid);
  const w = new Worker(
    q.name,
    async () => {
      done++;
    },
    { connection, concurrency: 50 },
  );
  while (done < n + 100) await sleep(20);
  const processed = (n + 100) / ((performance.now() - t) / 1000);
  const workerCpu = (cpuUs(s.pid) - c0) / (n + 100);
  await w.close();
  await q.obliterate({ force: true });
  await q.close();
  return [adds, processed, addCpu, workerCpu];
}

/**
 * bee-queue: jobs saved per second (`n` createJob().save() in flight, each
 * an EVALSHA of addJob.lua), then processed per second by a worker
 * (concurrency 50: BRPOPLPUSH, then a MULTI per finished job), through the
 * real client (node-redis 3).
 */
async function beeQueue(s: ServerProc, n: number): Promise<[number, number]> {
  const Queue = require('bee-queue') as typeof import('bee-queue');
  const redis = { host: '127.0.0.1', port: s.port };
  const name = `bq-bench-${Date.now()}`;
  const producer = new Queue(name, { redis, isWorker: false, getEvents: false, removeOnSuccess: true });
  const worker = new Queue(name, { redis, getEvents: false, sendEvents: false, removeOnSuccess: true });
  try {
    await producer.ready();
    await worker.ready();
    for (let i = 0; i < 100; i++) await producer.createJob({ i }).save();
    let t = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => producer.createJob({ i, payload: 'x'.repeat(100) }).save()));
    const adds = n / ((performance.now() - t) / 1000);
    let done = 0;
    t = performance.now();
    worker.process(50, async () => {
      done++;
    });
    while (done < n + 100) await sleep(20);
    const processed = (n + 100) / ((performance.now() - t) / 1000);
    return [adds, processed];
  } finally {
    await worker.close();
    await producer.destroy();
    await producer.close();
  }
}

async function scriptsMemory(s: ServerProc): Promise<number> {
  const conn = await Conn.connect(s.port);
  try {
    const before = rssOf(s.pid);
    for (let i = 0; i < 1000; i++) {
      const body =
        `-- script ${i}\n` + Array.from({ length: 40 }, (_, j) => `redis.call('SET', KEYS[1], '${i}-${j}')`).join('\n');
      await conn.call(['SCRIPT', 'LOAD', body]);
    }
    await sleep(200);
    return rssOf(s.pid) - before;
  } finally {
    conn.close();
  }
}

const servers = await benchTargets(argv);
try {
  const rc = await Conn.connect(servers[0]!.port);
  const opts = await packedOpts(rc);
  rc.close();
  const cases: ({ name: string } & Measured)[] = [];
  for (const [label, clients, pipeline] of [
    ['1 client, pipeline 100', 1, 100],
    ['50 clients, no pipeline', 50, 1],
  ] as const) {
    if (BULLMQ_ONLY) break;
    for (const c of scriptCases) {
      const m = await interleave(servers, REPEATS, (s) => throughput(s, c, opts, clients, pipeline));
      cases.push({ name: `${c.name}, ${label}`, ...m });
    }
  }
  if (cases.length > 0) console.log(ratioTable('script, load (ops/s)', servers, cases));
  if (WARM_JOBS > 0) {
    for (const s of servers) {
      if (!BEE_ONLY) await bullmq(s, WARM_JOBS);
      await beeQueue(s, WARM_JOBS);
    }
  }
  if (!BEE_ONLY) {
    const jobs = await interleaveMany(servers, REPEATS, (s) => bullmq(s, JOBS));
    console.log(
      '\n' +
        ratioTable('BullMQ 6.7.0 (jobs/s)', servers, [
          {
            name: `Queue.add (${fmtInt(JOBS)} in flight)`,
            medians: jobs.medians.map((j) => j[0] ?? NaN),
            cpuMs: jobs.cpuMs,
          },
          { name: 'Worker, concurrency 50', medians: jobs.medians.map((j) => j[1] ?? NaN) },
        ]),
    );
    const per = servers.map((sv, i) => {
      const m = jobs.medians[i] ?? [];
      return `${sv.name} ${(m[2] ?? NaN).toFixed(1)} / ${(m[3] ?? NaN).toFixed(1)}`;
    });
    console.log(`BullMQ server CPU µs per job (median), Queue.add / Worker: ${per.join('; ')}`);
  }
  const bee = await interleaveMany(servers, REPEATS, (s) => beeQueue(s, JOBS));
  console.log(
    '\n' +
      ratioTable('bee-queue 2.0.0 (jobs/s)', servers, [
        {
          name: `Job.save (${fmtInt(JOBS)} in flight)`,
          medians: bee.medians.map((j) => j[0] ?? NaN),
          cpuMs: bee.cpuMs,
        },
        { name: 'process, concurrency 50', medians: bee.medians.map((j) => j[1] ?? NaN) },
      ]),
  );
  const mem: string[] = [];
  for (const s of servers) mem.push(`${s.name} ${fmtInt((await scriptsMemory(s)) / 1024)} KiB`);
  console.log(`\nRSS growth after SCRIPT LOAD of 1,000 40-line scripts: ${mem.join(', ')}`);
} finally {
  for (const s of servers) await s.stop();
}

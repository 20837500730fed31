/**
 * Scripting throughput: EVALSHA of a 5-command script and of a BullMQ-like
 * addJob script (cmsgpack + cjson + HMSET/XADD-free writes), and bee-queue's
 * real addJob script, against redis-server and tsdis side by side, pipelined
 * (batches of 100, 2 batches in flight, one connection). Also the memory of
 * 1,000 loaded scripts (RSS growth after SCRIPT LOAD of 1,000 distinct
 * 40-line scripts).
 *
 * Usage: npm run build && npx tsc -p tsconfig.test.json && node dist-test/bench/scripting.js [N]
 */
import { createRequire } from 'node:module';
import { Conn, encodeCmd, fmtInt, fmtRatio, rssOf, runBatches, sleep, startRedis, startTsdis, table, type ServerProc } from './lib.js';

const N = Number(process.argv[2] ?? 30000);
const require = createRequire(import.meta.url);

const FIVE = `redis.call('SET', KEYS[1], ARGV[1])
local v = redis.call('GET', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], 'f', v)
return redis.call('EXISTS', KEYS[1])`;

// Shaped like BullMQ's addStandardJob without streams: id counter, msgpack
// options, a job hash with JSON opts, wait list or delayed zset, an event list.
const ADD_JOB = `local jobId = redis.call('INCR', KEYS[1])
local jobIdKey = KEYS[2] .. jobId
if redis.call('EXISTS', jobIdKey) == 1 then return jobId .. '' end
local opts = cmsgpack.unpack(ARGV[2])
redis.call('HMSET', jobIdKey, 'name', opts.name, 'data', ARGV[1], 'opts', cjson.encode(opts),
  'timestamp', opts.timestamp, 'delay', opts.delay or 0, 'priority', opts.priority or 0)
local delay = opts.delay or 0
if delay > 0 then
  redis.call('ZADD', KEYS[4], opts.timestamp + delay, jobId)
elseif (opts.priority or 0) > 0 then
  redis.call('ZADD', KEYS[6], opts.priority, jobId)
else
  redis.call('LPUSH', KEYS[5], jobId)
end
redis.call('LPUSH', KEYS[3], cjson.encode({event = 'added', jobId = jobId, name = opts.name}))
redis.call('LTRIM', KEYS[3], 0, 999)
return jobId .. ''`;

// msgpack of {name='job', timestamp=1700000000000, delay=0, priority=0}, made by redis-server's cmsgpack.
async function packedOpts(c: Conn): Promise<string> {
  return (await c.call(['EVAL', "return cmsgpack.pack({name='job', timestamp=1700000000000, delay=0, priority=0})", 0])) as string;
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

const cases: Case[] = [
  { name: 'EVALSHA 5-command script', script: FIVE, args: () => [3, 'k1', 'k2', 'k3', 'value'] },
  { name: 'EVALSHA BullMQ-like addJob', script: ADD_JOB, args: (o) => [6, 'q:id', 'q:job:', 'q:events', 'q:delayed', 'q:wait', 'q:prio', '{"x":1}', o] },
  { name: "EVALSHA bee-queue's addJob.lua", script: beeQueueAddJob(), args: () => [3, 'bq:id', 'bq:jobs', 'bq:waiting', '', '{"data":{"x":1}}'] },
];

async function throughput(s: ServerProc, c: Case, opts: string): Promise<number> {
  const conn = await Conn.connect(s.port);
  try {
    await conn.call(['FLUSHALL']);
    const sha = (await conn.call(['SCRIPT', 'LOAD', c.script])) as string;
    const one = encodeCmd(['EVALSHA', sha, ...c.args(opts)]);
    const batch = one.repeat(100);
    await runBatches(conn, (i) => (i < 20 ? { data: batch, n: 100 } : null));
    const t = performance.now();
    const r = await runBatches(conn, (i) => (i * 100 < N ? { data: batch, n: 100 } : null));
    const dt = (performance.now() - t) / 1000;
    if (r.errors) throw new Error(`${s.name} ${c.name}: ${r.firstError}`);
    return r.commands / dt;
  } finally {
    conn.close();
  }
}

async function scriptsMemory(s: ServerProc): Promise<number> {
  const conn = await Conn.connect(s.port);
  try {
    const before = rssOf(s.pid);
    for (let i = 0; i < 1000; i++) {
      const body = `-- script ${i}\n` + Array.from({ length: 40 }, (_, j) => `redis.call('SET', KEYS[1], '${i}-${j}')`).join('\n');
      await conn.call(['SCRIPT', 'LOAD', body]);
    }
    await sleep(200);
    return rssOf(s.pid) - before;
  } finally {
    conn.close();
  }
}

const redis = await startRedis();
const tsdis = await startTsdis();
try {
  const rc = await Conn.connect(redis.port);
  const opts = await packedOpts(rc);
  rc.close();
  const rows: string[][] = [];
  for (const c of cases) {
    const r = await throughput(redis, c, opts);
    const t = await throughput(tsdis, c, opts);
    rows.push([c.name, fmtInt(r), fmtInt(t), fmtRatio(t / r)]);
  }
  console.log(table(['script', 'redis ops/s', 'tsdis ops/s', 'tsdis/redis'], rows));
  const mr = await scriptsMemory(redis);
  const mt = await scriptsMemory(tsdis);
  console.log(`\nRSS growth after SCRIPT LOAD of 1,000 40-line scripts: redis ${fmtInt(mr / 1024)} KiB, tsdis ${fmtInt(mt / 1024)} KiB`);
} finally {
  await redis.stop();
  await tsdis.stop();
}

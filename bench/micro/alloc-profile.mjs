// Bytes allocated per request, and by which functions, while redis-benchmark drives an in-process
// server: V8's sampling heap profiler with the objects the young and old collections freed kept in
// the profile (HeapProfiler.startSampling's includeObjectsCollectedBy* flags), so it counts every
// allocation, not only what survives. Allocation is what the scavenger's pauses come from (p99) and
// part of the CPU per request. Inlined functions are counted in the function they were inlined into.
// Usage: npm run build && node bench/micro/alloc-profile.mjs [dist dir] [test] [requests] [top N]
//   e.g. node bench/micro/alloc-profile.mjs dist set 200000 25   (test: any redis-benchmark -t name)
// test `bullmq`: BullMQ jobs instead (bullmq-rounds.mjs in a child, rounds of 3,000 added then
// processed; `requests` is the jobs sampled, after five rounds of warm-up), bytes per job.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';

const dist = path.resolve(process.argv[2] ?? 'dist');
const test = process.argv[3] ?? 'set';
/** BullMQ jobs per round (bullmq-rounds.mjs); the bullmq test runs whole rounds. */
const ROUND_JOBS = 3000;
const asked = Number(process.argv[4] ?? 200000);
const requests = test === 'bullmq' ? Math.ceil(asked / ROUND_JOBS) * ROUND_JOBS : asked;
const top = Number(process.argv[5] ?? 25);
const { createServer } = await import(dist + '/index.js');
const srv = await createServer({ port: 0 });

function bench(n) {
  return new Promise((resolve, reject) => {
    const args = ['-p', String(srv.port), '-t', test, '-n', String(n), '-c', '50', '-r', '100000', '-q', '--csv'];
    const rounds = [String(srv.port), String(ROUND_JOBS), String(Math.ceil(n / ROUND_JOBS)), String(process.pid)];
    const p =
      test === 'bullmq'
        ? spawn(process.execPath, [path.join(import.meta.dirname, 'bullmq-rounds.mjs'), ...rounds], {
            stdio: ['ignore', 'pipe', 'inherit'],
          })
        : spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => resolve(out.trim().split('\n').pop()));
  });
}

const session = new Session();
session.connect();
await bench(test === 'bullmq' ? 5 * ROUND_JOBS : Math.min(requests, 100000)); // warm-up: compiled code, grown tables
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 32,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
const line = await bench(requests);
const { profile } = await session.post('HeapProfiler.stopSampling');
const byFn = new Map();
let total = 0;
(function walk(node) {
  const f = node.callFrame;
  const where = f.url ? `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : '(native)';
  const name = `${f.functionName || '(anonymous)'} ${where}`;
  total += node.selfSize;
  if (node.selfSize) byFn.set(name, (byFn.get(name) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c);
})(profile.head);
console.log(
  test === 'bullmq'
    ? `BullMQ, ${requests} jobs: ${line}`
    : `redis-benchmark -t ${test} -n ${requests} -c 50 -r 100000: ${line}`,
);
console.log(
  `${(total / requests).toFixed(0)} bytes allocated per ${test === 'bullmq' ? 'job' : 'request'} (sampled every 32 bytes on average)`,
);
for (const [name, bytes] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${(bytes / requests).toFixed(1).padStart(8)}  ${name}`);
await srv.close();
process.exit(0);

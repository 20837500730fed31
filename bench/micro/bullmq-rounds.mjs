// Rounds of BullMQ jobs against a running server: each round a new queue, `jobs` Queue.add calls
// in flight, then a Worker at concurrency 50 until all are processed; prints the server's CPU µs
// per added and per processed job (user + system of `pid`, all threads, from /proc). On a fresh
// server the first rounds measure V8's warm-up (bench/RESULTS.md, "BullMQ's warm-up").
// Usage: node bench/micro/bullmq-rounds.mjs <port> <jobs> <rounds> <server pid>
import fs from 'node:fs';
import { Queue, Worker } from 'bullmq';

const [port, jobs, rounds, pid] = process.argv.slice(2).map(Number);
const cpuUs = () => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10000;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let r = 0; r < rounds; r++) {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const q = new Queue(`rounds-${Date.now()}`, { connection });
  await q.waitUntilReady();
  let c0 = cpuUs();
  await Promise.all(Array.from({ length: jobs }, (_, i) => q.add('job', { i, payload: 'x'.repeat(100) })));
  const add = (cpuUs() - c0) / jobs;
  let done = 0;
  c0 = cpuUs();
  const w = new Worker(q.name, async () => void done++, { connection, concurrency: 50 });
  for (let t = 0; done < jobs && t < 6000; t++) await sleep(10);
  const work = (cpuUs() - c0) / jobs;
  await w.close();
  await q.obliterate({ force: true });
  await q.close();
  console.log(`round ${r}: server CPU ${add.toFixed(1)} µs per added job, ${work.toFixed(1)} µs per processed job`);
}
process.exit(0);

/**
 * EVALSHA of the 5-command script (or, with `addjob`, the BullMQ-like
 * addJob of bench/scripting.ts) over a socket against tsdis only (one
 * connection, batches of 100, 2 in flight), for profiling the server:
 *
 *   TSDIS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node dist-test/bench/micro/scripting-wire.js [N] [addjob]
 *   node dist-test/bench/cpuprofile.js /tmp/prof/*.cpuprofile
 */
import { FIVE, ADD_JOB } from '../lua-scripts.js';
import { Conn, encodeCmd, fmtInt, runBatches, startTsdis } from '../lib.js';

const N = Number(process.argv[2] ?? 300000);

const addJob = process.argv[3] === 'addjob';
const s = await startTsdis();
try {
  const c = await Conn.connect(s.port);
  const sha = (await c.call(['SCRIPT', 'LOAD', addJob ? ADD_JOB : FIVE])) as string;
  const opts = (await c.call([
    'EVAL',
    "return cmsgpack.pack({name='job', timestamp=1700000000000, delay=0, priority=0})",
    0,
  ])) as string;
  const args = addJob
    ? [6, 'q:id', 'q:job:', 'q:events', 'q:delayed', 'q:wait', 'q:prio', '{"x":1}', opts]
    : [3, 'k1', 'k2', 'k3', 'value'];
  const batch = encodeCmd(['EVALSHA', sha, ...args]).repeat(100);
  const t = performance.now();
  const r = await runBatches(c, (i) => (i < N / 100 ? { data: batch, n: 100 } : null), 2);
  const dt = (performance.now() - t) / 1000;
  if (r.errors) throw new Error(String(r.firstError));
  console.log(`${fmtInt(r.commands / dt)} EVALSHA/s`);
  c.close();
} finally {
  await s.stop();
}

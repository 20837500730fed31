// In-process A/B of the read path between two builds: a socketless client's parser is fed a
// pipeline of 16 commands (PING, or SET or GET of 16 keys) and Connections.processInput runs
// them, the replies accumulating as a read's do; each build has its own Server, rounds alternate
// the order, and each op keeps its best round of CPU ns per command (process.cpuUsage). Unlike
// dispatch-ab.mjs it covers the parser and what spans a read's commands (the read-ahead, the reply
// growing over the batch). A/A runs of one build read within 6% (bench/RESULTS.md).
// Usage: node bench/micro/read-path-ab.mjs <A dist dir> <B dist dir> [rounds]
import path from 'node:path';

const [distA, distB] = process.argv.slice(2, 4).map((d) => path.resolve(d));
const rounds = Number(process.argv[4] ?? 15);
async function load(dist) {
  const { Server } = await import(dist + '/server/server.js');
  const server = new Server({ config: { save: '' }, log: () => {} });
  const c = server.newClient(null, 'tcp');
  return (buf) => {
    c.parser.feed(buf, buf.length);
    server.conns.processInput(c);
    c.parser.release();
    const o = c.reply.take();
    return o.length;
  };
}
const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${x.length}\r\n${x}\r\n`).join('');
const mk = (f) => Buffer.from(Array.from({ length: 16 }, (_, i) => enc(f(i))).join(''), 'latin1');
const tests = {
  ping: () => mk(() => ['PING']),
  set: () => mk((i) => ['SET', 'key:' + String((i * 7919) % 100000).padStart(12, '0'), 'xxx']),
  get: () => mk((i) => ['GET', 'key:' + String((i * 7919) % 100000).padStart(12, '0')]),
};
const runs = { A: await load(distA), B: await load(distB) };
const N = 20000; // batches per round
const best = {};
for (let r = 0; r < rounds; r++) {
  for (const [t, make] of Object.entries(tests)) {
    const buf = make();
    for (const name of r % 2 ? ['A', 'B'] : ['B', 'A']) {
      const f = runs[name];
      const c0 = process.cpuUsage();
      let sink = 0;
      for (let i = 0; i < N; i++) sink += f(buf);
      const c = process.cpuUsage(c0);
      const ns = ((c.user + c.system) * 1000) / (N * 16);
      const k = t + ' ' + name;
      if (!(k in best) || ns < best[k]) best[k] = ns;
      if (sink === 0) console.log('no output');
    }
  }
}
for (const t of Object.keys(tests))
  console.log(
    `${t}: A ${best[t + ' A'].toFixed(1)} ns, B ${best[t + ' B'].toFixed(1)} ns, B/A ${(best[t + ' B'] / best[t + ' A']).toFixed(3)}`,
  );
process.exit(0);

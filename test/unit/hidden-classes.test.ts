/**
 * The objects of the hot path keep their hidden class (V8 map) while a server
 * runs. A number field started as an integer and later given a double (a time
 * in ms, a sum of µs, a capacity read from an array of doubles) changes the
 * class of every object of the kind, and each optimized function that had met
 * them is deoptimized and compiled again (util/numbers.ts, DOUBLE_ZERO).
 *
 * A child node with --allow-natives-syntax makes one object of each kind,
 * runs a workload that stores every such value once (commands over a socket,
 * keys with TTLs for the expire cycle, the clients cron, a stream, a list past
 * its listpack limit, a script, a dict past 512 keys), then makes the same
 * objects again: an untouched object keeps the class it was made with, so a
 * class that changed meanwhile shows as a different map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runV8Script, srcUrl as url } from '../helpers/v8-child.js';

test('the hot path objects keep their hidden class through a workload', () => {
  const out = runV8Script(
    `import net from 'node:net';
const { createServer } = await import(${url('index.js')});
const { Server } = await import(${url('server/server.js')});
const { Stream } = await import(${url('types/stream.js')});
const { List } = await import(${url('types/list.js')});
const make = () => {
  const s = new Server({ config: { save: '' }, log: () => {} });
  return {
    Server: s, Db: s.dbs[0], Dict: s.dbs[0].dict, Client: s.newClient(null, 'probe'), Stats: s.stats,
    'Stats.loop': s.stats.loop, CommandStat: s.stats.command(s.commands.lookup('get')),
    Stream: new Stream(), List: new List(),
  };
};
const before = make();
const changed = new Set();
const check = () => {
  const after = make();
  for (const k of Object.keys(before)) if (!%HaveSameMap(before[k], after[k])) changed.add(k);
};
const srv = await createServer({ port: 0 });
// checked right after a first command, after the workload and after the crons (the active expire
// cycle's average TTL, the clients cron's reply buffer sizes): V8 moves an old object to its
// class's new map when it touches it, and the cron can touch the Server made first
await srv.call('SET', 'in-process', 'call');
check();
const sock = net.connect(srv.port, '127.0.0.1');
let out = '';
sock.on('data', (d) => (out += d.toString('latin1')));
const cmd = (...a) => '*' + a.length + '\\r\\n' + a.map((x) => '$' + Buffer.byteLength(String(x)) + '\\r\\n' + x + '\\r\\n').join('');
let req = '';
for (let i = 0; i < 1000; i++) req += cmd('SET', 'key:' + i, 'v', 'PX', 100000 + i * 7);
for (let i = 0; i < 300; i++) req += cmd('RPUSH', 'list', 'x'.repeat(100));
req += cmd('XADD', 'stream', '*', 'f', 'v') + cmd('EVAL', 'return 1', '0') + cmd('INFO') + cmd('CLIENT', 'LIST');
req += cmd('PING');
sock.write(req);
const deadline = Date.now() + 10000;
while (!out.endsWith('+PONG\\r\\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
check();
await new Promise((r) => setTimeout(r, 1500));
check();
sock.destroy();
await srv.close();
console.log(JSON.stringify({ replied: out.endsWith('+PONG\\r\\n'), changed: [...changed] }));
`,
    ['--allow-natives-syntax'],
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as { replied: boolean; changed: string[] };
  assert.ok(r.replied, 'the workload ran to its end');
  assert.deepEqual(r.changed, []);
});

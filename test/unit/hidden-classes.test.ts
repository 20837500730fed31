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

/**
 * A field declared without a value starts as undefined (ES2022 class fields), V8 keeps it tagged,
 * and each double stored in it is a new 16-byte HeapNumber (eslint.config.js). The fields the
 * request path stores times and sums in hold doubles in place: an optimized loop of 20,000 stores
 * into each allocates nothing (a tagged field: 320 KB).
 */
test('the request path stores its times and sums in double fields, without allocating', () => {
  const out = runV8Script(
    `const { Server } = await import(${url('server/server.js')});
const { Consumer } = await import(${url('types/stream.js')});
const s = new Server({ config: { save: '' }, log: () => {} });
const targets = {
  'Client.lastInteraction': s.newClient(null, 'probe'),
  'Client.createdAt': s.newClient(null, 'probe'),
  'Server.mark': s,
  'Server.cachedNow': s,
  'Stats.cycleUs': s.stats,
  'Consumer.seenTime': new Consumer('c', Date.now()),
  'Consumer.activeTime': new Consumer('c', Date.now()),
};
const grown = {};
// (the least of three tries: the first stores into a field that held one value can change its
// class, deoptimizing the loop; a tagged field allocates in every try)
for (const [name, obj] of Object.entries(targets)) {
  const field = name.split('.')[1];
  grown[name] = Infinity;
  for (let t = 0; t < 3; t++) {
    const store = new Function('o', 'n', 'for (let i = 0; i < n; i++) o.' + field + ' = 1.7e12 + i + 0.5;');
    %PrepareFunctionForOptimization(store);
    store(obj, 10);
    store(obj, 10);
    %OptimizeFunctionOnNextCall(store);
    store(obj, 1);
    gc();
    const h0 = process.memoryUsage().heapUsed;
    store(obj, 20000);
    grown[name] = Math.min(grown[name], process.memoryUsage().heapUsed - h0);
  }
}
console.log(JSON.stringify(grown));
`,
    ['--allow-natives-syntax', '--expose-gc'],
  );
  const grown = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  assert.equal(Object.keys(grown).length, 7);
  for (const [field, bytes] of Object.entries(grown)) assert.ok(bytes < 64 * 1024, `${field}: ${bytes} bytes`);
});

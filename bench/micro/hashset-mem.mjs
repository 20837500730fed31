// Memory of one hash and one set of N members (default 1M) in tsdis against
// redis-server's used_memory. tsdis runs in-process (V8 heap + array buffers
// after a forced GC) listening on 7704; redis-server is started on port 7703.
// Both are loaded over a socket with HSET/SADD of 1000 members each.
// Usage: node --expose-gc bench/micro/hashset-mem.mjs [N]   (after npx tsc)
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createServer } from '../../dist/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const member = (i) => 'member:' + String(i).padStart(8, '0');
const field = (i) => 'field:' + String(i).padStart(8, '0');
const val = (i) => 'value:' + String(i).padStart(8, '0');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Batches of argument lists for the hash (HSET) or the set (SADD). */
function* batches(kind) {
  for (let from = 0; from < N; from += BATCH) {
    const args = kind === 'hash' ? ['HSET', 'h'] : ['SADD', 's'];
    for (let i = from; i < Math.min(N, from + BATCH); i++) {
      if (kind === 'hash') args.push(field(i), val(i));
      else args.push(member(i));
    }
    yield args;
  }
}

const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${x.length}\r\n${x}\r\n`).join('');

async function redisUsed(sock, read) {
  sock.write(enc(['INFO', 'memory']));
  const s = await read();
  return Number(/used_memory:(\d+)/.exec(s)[1]);
}

/** Loads the hash or set over a socket (as a client would); returns [before, after] of `used`. */
async function load(port, kind, used) {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let buf = '';
  let want = null;
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    if (want && want()) want = null;
  });
  const read = () =>
    new Promise((res) => {
      want = () => {
        const m = /^\$(\d+)\r\n/.exec(buf);
        if (m && buf.length >= m[0].length + Number(m[1]) + 2) {
          const s = buf;
          buf = '';
          res(s);
          return true;
        }
        return false;
      };
      want();
    });
  const before = await used(sock, read);
  for (const args of batches(kind)) {
    sock.write(enc(args));
    await new Promise((res) => {
      want = () => {
        if (buf.includes('\r\n')) {
          buf = '';
          res();
          return true;
        }
        return false;
      };
      want();
    });
  }
  const after = await used(sock, read);
  sock.end();
  return after - before;
}

async function redis(kind) {
  const p = spawn('redis-server', ['--port', '7703', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await sleep(300);
  const r = await load(7703, kind, redisUsed);
  p.kill();
  await sleep(100);
  return r;
}

async function tsdis(kind) {
  const srv = await createServer({ port: 7704 });
  const used = async () => {
    await sleep(50);
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const delta = await load(7704, kind, used);
  const enc = await srv.call('OBJECT', 'ENCODING', kind === 'hash' ? 'h' : 's');
  await srv.close();
  return [delta, enc];
}

for (const kind of ['hash', 'set']) {
  const r = await redis(kind);
  const [t, e] = await tsdis(kind);
  console.log(
    `${kind} of ${N} (${e}): redis ${(r / N).toFixed(1)} B/member, tsdis ${(t / N).toFixed(1)} B/member, ratio ${(t / r).toFixed(2)}x`,
  );
}

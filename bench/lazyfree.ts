/**
 * Deleting a big value while other clients work (issue 14, lazy freeing):
 * a set of N members (default 10M) is UNLINKed (or DELeted) while 50
 * redis-benchmark clients run GETs, against the same GET load with the set
 * left alone. In tsdis removing a key drops one reference whatever the
 * value's size; V8 reclaims the objects in its next major collection,
 * marking and sweeping concurrently. This measures whether that shows in the
 * GETs' latency (target: p99 <= 2x the run without the deletion).
 *
 * Each repeat: load the set (SADD, pipelined), run the GET load once with
 * the set kept (idle) and once with the deletion 1 s into it, in
 * alternating order. Reports redis-benchmark's p50/p99/max per run, the
 * deleting command's own time, and V8's heap (allocator_allocated) and RSS
 * before and after: polled each second for up to `--watch` seconds (no load
 * then) until V8 has collected at least half of what was deleted.
 *
 * Usage: node dist-test/bench/lazyfree.js [--members N] [--repeats R] [--cmd UNLINK|DEL] [--requests N] [--watch S]
 */
import { spawn } from 'node:child_process';
import {
  startTsdis,
  Conn,
  runBatches,
  parseInfo,
  rssOf,
  sleep,
  table,
  fmtInt,
  median,
  track,
  type ServerProc,
} from './lib.js';

interface BenchStats {
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

/** redis-benchmark GET with 50 clients; parses its CSV line (latencies in ms). */
function getLoad(port: number, requests: number): Promise<BenchStats> {
  return new Promise((resolve, reject) => {
    const p = track(
      spawn(
        'redis-benchmark',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-t',
          'get',
          '-c',
          '50',
          '-n',
          String(requests),
          '-r',
          '100000',
          '--csv',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('"GET"'));
      if (!line) return reject(new Error('no GET line: ' + out.slice(-200)));
      const f = line.split(',').map((x) => Number(x.replace(/"/g, '')));
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      resolve({ rps: f[1]!, p50: f[4]!, p99: f[6]!, max: f[7]! });
    });
  });
}

async function info(c: Conn): Promise<Record<string, string>> {
  return parseInfo(String(await c.call(['INFO', 'memory'])));
}

async function load(c: Conn, members: number): Promise<void> {
  const per = 1000;
  const r = await runBatches(c, (b) => {
    const from = b * per * 10;
    if (from >= members) return null;
    let s = '';
    let n = 0;
    for (let k = 0; k < 10 && from + k * per < members; k++) {
      const lo = from + k * per;
      const hi = Math.min(members, lo + per);
      const parts = ['*' + (hi - lo + 2), '$4', 'SADD', '$3', 'big'];
      for (let i = lo; i < hi; i++) {
        const m = 'member:' + i;
        parts.push('$' + m.length, m);
      }
      s += parts.join('\r\n') + '\r\n';
      n++;
    }
    return { data: s, n };
  });
  if (r.errors) throw new Error(`load: ${r.firstError}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (f: string, d: string) => (argv.indexOf(f) >= 0 ? argv[argv.indexOf(f) + 1]! : d);
  const members = Number(get('--members', '10000000'));
  const repeats = Number(get('--repeats', '2'));
  const cmd = get('--cmd', 'UNLINK');
  const requests = Number(get('--requests', '600000'));
  const watch = Number(get('--watch', '30'));
  const srv: ServerProc = await startTsdis();
  const c = await Conn.connect(srv.port);
  const rows: string[][] = [];
  const idle: BenchStats[] = [];
  const del: BenchStats[] = [];
  try {
    // the GETs' keys
    await runBatches(c, (b) =>
      b >= 10
        ? null
        : {
            data: Array.from(
              { length: 10000 },
              (_, i) => `SET key:${String(b * 10000 + i).padStart(12, '0')} xxx\r\n`,
            ).join(''),
            n: 10000,
          },
    );
    for (let r = 0; r < repeats; r++) {
      for (const phase of r % 2 === 0 ? ['idle', 'delete'] : ['delete', 'idle']) {
        if (Number(await c.call(['SCARD', 'big'])) !== members) {
          const t0 = Date.now();
          await c.call(['DEL', 'big']);
          await load(c, members);
          const loaded = await info(c);
          process.stderr.write(
            `loaded ${fmtInt(members)} members in ${((Date.now() - t0) / 1000).toFixed(1)} s: used_memory ${fmtInt(Number(loaded['used_memory']))}, V8 ${fmtInt(Number(loaded['allocator_allocated']))}, RSS ${fmtInt(rssOf(srv.pid))}\n`,
          );
          await sleep(2000);
        }
        if (phase === 'idle') {
          const s = await getLoad(srv.port, requests);
          idle.push(s);
          rows.push([
            String(r + 1),
            'GETs, set kept',
            s.rps.toFixed(0),
            s.p50.toFixed(3),
            s.p99.toFixed(3),
            s.max.toFixed(3),
            '',
          ]);
          continue;
        }
        const run = getLoad(srv.port, requests);
        await sleep(1000);
        const before = await info(c);
        const rss0 = rssOf(srv.pid);
        const t = process.hrtime.bigint();
        await c.call([cmd, 'big']);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        const s = await run;
        del.push(s);
        // when V8 gives the memory back: its heap polled each second for up to `watch` s
        const freed = (Number(before['used_memory']) - Number((await info(c))['used_memory'])) / 2;
        let reclaimed = -1;
        const tDel = Date.now();
        let after = await info(c);
        for (let k = 0; k < watch; k++) {
          after = await info(c);
          if (Number(before['allocator_allocated']) - Number(after['allocator_allocated']) > freed) {
            reclaimed = (Date.now() - tDel) / 1000 + 1;
            break;
          }
          await sleep(1000);
        }
        rows.push([
          String(r + 1),
          `GETs, ${cmd} at 1 s`,
          s.rps.toFixed(0),
          s.p50.toFixed(3),
          s.p99.toFixed(3),
          s.max.toFixed(3),
          `${cmd} ${ms.toFixed(2)} ms; used_memory ${fmtInt(Number(before['used_memory']))} -> ${fmtInt(Number(after['used_memory']))}; V8 ${fmtInt(Number(before['allocator_allocated']))} -> ${fmtInt(Number(after['allocator_allocated']))} ${reclaimed < 0 ? `(not collected ${watch} s after the load)` : `(collected within ${reclaimed.toFixed(0)} s of the load's end)`}; RSS ${fmtInt(rss0)} -> ${fmtInt(rssOf(srv.pid))}`,
        ]);
      }
    }
  } finally {
    c.close();
    await srv.stop();
  }
  console.log(
    `${fmtInt(members)}-member set, 50 clients of GETs (redis-benchmark -t get -c 50 -n ${requests}), latencies in ms\n`,
  );
  console.log(table(['repeat', 'run', 'rps', 'p50', 'p99', 'max', 'deletion'], rows, 'llrrrrl'));
  console.log(
    `\nmedian p99: set kept ${median(idle.map((s) => s.p99)).toFixed(3)} ms, with ${cmd} ${median(del.map((s) => s.p99)).toFixed(3)} ms (ratio ${(median(del.map((s) => s.p99)) / median(idle.map((s) => s.p99))).toFixed(2)})`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`lazyfree bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

/**
 * MIGRATE round trip: tsdis (the CLI, a separate process) against
 * redis-server as the source, both migrating to the same redis-server
 * target. Each round sends `n` MIGRATE ... COPY REPLACE of a 10-byte string,
 * one at a time, from one client, and the same number of GETs to the same
 * source (the client's own round trip); rounds alternate between the
 * sources. Reports per-operation p50 / mean / p99 in µs, and the mean of
 * MIGRATE minus GET (what MIGRATE adds: the serialization, the exchange
 * with the target and, in tsdis, the hand-off to the worker thread); then
 * n/10 MIGRATE ... COPY REPLACE KEYS of 100 such keys at once.
 * Usage: node dist-test/bench/migrate.js [n] [rounds]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawConn, freePort } from '../test/helpers/servers.js';

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  port: number;
  proc: ChildProcess;
}

async function launch(kind: 'tsdis' | 'redis', dir: string): Promise<Proc> {
  const port = await freePort();
  const args = ['--port', String(port), '--dir', dir, '--save', '', '--bind', '127.0.0.1'];
  const proc =
    kind === 'tsdis'
      ? spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' })
      : spawn('redis-server', args, { stdio: 'ignore' });
  for (;;) {
    try {
      const c = await RawConn.connect(port);
      await c.call('PING');
      c.close();
      return { port, proc };
    } catch {
      await sleep(20);
    }
  }
}

async function stop(p: Proc): Promise<void> {
  p.proc.kill('SIGKILL');
  await new Promise((r) => p.proc.once('exit', r));
}

/** Latencies (µs) of `n` commands sent one at a time. */
async function timed(c: RawConn, n: number, cmd: string[], expect: string): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await c.call(...cmd);
    lat.push((performance.now() - t) * 1000);
    if (r !== expect) throw new Error(`${cmd[0]}: ${JSON.stringify(r)}`);
  }
  return lat;
}

const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-bench-migrate-'));
const target = await launch('redis', fs.mkdtempSync(path.join(dir, 't-')));
const sources = {
  tsdis: await launch('tsdis', fs.mkdtempSync(path.join(dir, 'a-'))),
  redis: await launch('redis', fs.mkdtempSync(path.join(dir, 'b-'))),
};
const results: Record<string, { migrate: number[]; get: number[]; batch: number[] }> = {
  tsdis: { migrate: [], get: [], batch: [] },
  redis: { migrate: [], get: [], batch: [] },
};
const batchKeys = Array.from({ length: 100 }, (_, i) => `b${i}`);
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ['tsdis', 'redis'] as const) {
      const c = await RawConn.connect(sources[name].port);
      await c.call('SET', 'k', '0123456789');
      // warm up (connection cached, code paths compiled)
      await timed(
        c,
        100,
        ['MIGRATE', '127.0.0.1', String(target.port), 'k', '0', '1000', 'COPY', 'REPLACE'],
        '+OK\r\n',
      );
      results[name]!.migrate.push(
        ...(await timed(
          c,
          N,
          ['MIGRATE', '127.0.0.1', String(target.port), 'k', '0', '1000', 'COPY', 'REPLACE'],
          '+OK\r\n',
        )),
      );
      results[name]!.get.push(...(await timed(c, N, ['GET', 'k'], '$10\r\n0123456789\r\n')));
      await c.call('MSET', ...batchKeys.flatMap((k) => [k, '0123456789']));
      results[name]!.batch.push(
        ...(await timed(
          c,
          Math.ceil(N / 10),
          ['MIGRATE', '127.0.0.1', String(target.port), '', '0', '1000', 'COPY', 'REPLACE', 'KEYS', ...batchKeys],
          '+OK\r\n',
        )),
      );
      c.close();
    }
  }
  console.log(
    `MIGRATE COPY REPLACE of a 10-byte string, ${N} per round, ${ROUNDS} rounds, one client, to a redis-server target:`,
  );
  for (const name of ['tsdis', 'redis'] as const) {
    const r = results[name]!;
    const f = (a: number[]) =>
      `p50 ${pct(a, 0.5).toFixed(0)} / mean ${mean(a).toFixed(0)} / p99 ${pct(a, 0.99).toFixed(0)} µs`;
    console.log(
      `  ${name} source: MIGRATE ${f(r.migrate)}; GET ${f(r.get)}; MIGRATE - GET (mean) ${(mean(r.migrate) - mean(r.get)).toFixed(0)} µs; 100 keys per MIGRATE ${f(r.batch)}`,
    );
  }
} finally {
  await Promise.all([stop(target), stop(sources.tsdis), stop(sources.redis)]);
  fs.rmSync(dir, { recursive: true, force: true });
}

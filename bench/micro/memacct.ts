/**
 * Calibration of the memory accounting (src/observability/memory.ts): for
 * each type and size, the growth of V8's heap plus external memory after a
 * full GC when keys of that shape are written, against the growth of
 * `used_memory` (usedMemory(server), the figure INFO shows).
 *
 * Each case runs in its own child process (`node --expose-gc`), with an
 * in-process server (createServer({ noListen: true })) fed through call()
 * with Buffer arguments, so every string is made as the parser makes it (a
 * flat one-byte string). A case writes keys until about `--mb` MB (default
 * 40) are stored, then deletes them all: the model must come back to where it
 * started (`back` column: the dataset figure after the deletes minus before;
 * the dicts keep their grown capacity, as V8 keeps the arrays').
 *
 * Usage: node dist-test/bench/micro/memacct.js [--mb N] [--json] [case-prefix ...]
 *        node --expose-gc dist-test/bench/micro/memacct.js --inproc [--mb N] case-prefix ...  (JSON; one process)
 * (a case is named `type name`, e.g. `list 100 x 16 B`).
 * (the parent re-runs itself with --expose-gc per case.)
 */
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { createServer, type TsdisServer } from '../../src/index.js';
import { usedMemory } from '../../src/observability/memory.js';
import { table } from '../lib.js';

type Arg = string | Buffer;
type Call = (...a: Arg[]) => void;

export interface MemCase {
  /** Type column: string, list, hash, set, zset, stream, hll, bitmap. */
  type: string;
  name: string;
  /** A rough guess of bytes per key, to size the run. */
  guess: number;
  /** Writes key i. */
  build(call: Call, key: Buffer, i: number): void;
  /** Server config for the case. */
  config?: Record<string, string>;
}

/** A distinct latin1 payload of n bytes (as a Buffer, so call() makes a flat string of it). */
function payload(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = 97 + ((x >>> 16) % 26);
  }
  return b;
}

const B = (s: string) => Buffer.from(s, 'latin1');

function strCase(name: string, len: number): MemCase {
  return { type: 'string', name, guess: 100 + len, build: (c, k, i) => c('SET', k, payload(len, i)) };
}

function listCase(n: number, len: number, int = false): MemCase {
  return {
    type: 'list',
    name: `${n} x ${int ? 'int' : len + ' B'}`,
    guess: 200 + n * (len + 10),
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < n; j++) a.push(int ? B(String(i * 7 + j * 1013)) : payload(len, i * 131 + j));
      for (let j = 0; j < a.length; j += 1000) c('RPUSH', k, ...a.slice(j, j + 1000));
    },
  };
}

function hashCase(n: number, len: number): MemCase {
  return {
    type: 'hash',
    name: `${n} fields x ${len} B`,
    guess: 200 + n * (len + 40),
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < n; j++) a.push(B('field:' + j), payload(len, i * 131 + j));
      for (let j = 0; j < a.length; j += 1000) c('HSET', k, ...a.slice(j, j + 1000));
    },
  };
}

function setCase(n: number, len: number, int = false): MemCase {
  return {
    type: 'set',
    name: `${n} x ${int ? 'int' : len + ' B'}`,
    guess: 200 + n * (len + 40),
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < n; j++) a.push(int ? B(String(i * 100003 + j * 7)) : payload(len, i * 131 + j));
      for (let j = 0; j < a.length; j += 1000) c('SADD', k, ...a.slice(j, j + 1000));
    },
  };
}

function zsetCase(n: number, len: number): MemCase {
  return {
    type: 'zset',
    name: `${n} x ${len} B`,
    guess: 200 + n * (len + 80),
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < n; j++) a.push(B(String((j * 7919) % 1000003)), payload(len, i * 131 + j));
      for (let j = 0; j < a.length; j += 1000) c('ZADD', k, ...a.slice(j, j + 1000));
    },
  };
}

function streamCase(n: number, len: number): MemCase {
  return {
    type: 'stream',
    name: `${n} entries x 2 fields x ${len} B`,
    guess: 200 + n * (2 * len + 80),
    build: (c, k, i) => {
      for (let j = 0; j < n; j++) c('XADD', k, '*', 'a', payload(len, i + j), 'b', payload(len, i * 3 + j));
    },
  };
}

export const CASES: MemCase[] = [
  { type: 'string', name: 'int (Smi)', guess: 80, build: (c, k, i) => c('SET', k, B(String(i))) },
  { type: 'string', name: 'int (> 2^31)', guess: 100, build: (c, k, i) => c('SET', k, B(String(10_000_000_000 + i))) },
  strCase('1 B', 1),
  strCase('8 B', 8),
  strCase('16 B', 16),
  strCase('32 B', 32),
  strCase('44 B', 44),
  strCase('64 B', 64),
  strCase('128 B', 128),
  strCase('512 B', 512),
  strCase('4 KB', 4096),
  strCase('64 KB', 65536),
  strCase('2 MB', 2 * 1024 * 1024),
  {
    type: 'string',
    name: '16 B with TTL',
    guess: 150,
    build: (c, k, i) => c('SET', k, payload(16, i), 'EX', '100000'),
  },
  {
    type: 'string',
    name: 'APPEND 10 x 100 B (raw)',
    guess: 2200,
    build: (c, k, i) => {
      for (let j = 0; j < 10; j++) c('APPEND', k, payload(100, i + j));
    },
  },
  { type: 'bitmap', name: 'SETBIT at 800', guess: 300, build: (c, k) => c('SETBIT', k, '800', '1') },
  {
    type: 'bitmap',
    name: 'SETBIT 0..64000 step 8000',
    guess: 16000,
    build: (c, k) => {
      for (let j = 0; j <= 64000; j += 8000) c('SETBIT', k, String(j), '1');
    },
  },
  {
    type: 'hll',
    name: 'sparse, 10 elements',
    guess: 300,
    build: (c, k, i) => c('PFADD', k, ...Array.from({ length: 10 }, (_, j) => B('e' + (i * 10 + j)))),
  },
  {
    type: 'hll',
    name: 'dense, 5000 elements',
    guess: 13000,
    build: (c, k, i) => {
      for (let j = 0; j < 5000; j += 500)
        c('PFADD', k, ...Array.from({ length: 500 }, (_, x) => B('e' + i + ':' + (j + x))));
    },
  },
  listCase(1, 16),
  listCase(10, 16),
  listCase(100, 16),
  listCase(100, 100),
  listCase(1000, 16),
  listCase(10000, 16),
  listCase(10000, 100),
  listCase(1000, 8, true),
  listCase(100000, 16),
  hashCase(1, 16),
  hashCase(10, 16),
  hashCase(100, 64),
  hashCase(1000, 16),
  hashCase(10000, 16),
  hashCase(100000, 16),
  setCase(10, 8, true),
  setCase(500, 8, true),
  setCase(10, 16),
  setCase(100, 16),
  setCase(1000, 16),
  setCase(100000, 16),
  setCase(10000, 8, true),
  zsetCase(10, 16),
  zsetCase(100, 16),
  zsetCase(1000, 16),
  zsetCase(100000, 16),
  streamCase(1, 16),
  streamCase(100, 16),
  streamCase(10000, 16),
  {
    type: 'stream',
    name: '100 entries, a group, 100 pending',
    guess: 40000,
    build: (c, k, i) => {
      for (let j = 0; j < 100; j++) c('XADD', k, '*', 'a', payload(16, i + j));
      c('XGROUP', 'CREATE', k, 'g', '0');
      c('XREADGROUP', 'GROUP', 'g', 'consumer-1', 'STREAMS', k, '>');
    },
  },
  {
    type: 'hash',
    name: '10 fields x 16 B with TTLs (listpackex)',
    guess: 1600,
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < 10; j++) a.push(B('field:' + j), payload(16, i * 131 + j));
      c('HSET', k, ...a);
      c(
        'HEXPIRE',
        k,
        String(100000 + (i % 1000)),
        'FIELDS',
        '10',
        ...Array.from({ length: 10 }, (_, j) => B('field:' + j)),
      );
    },
  },
  {
    type: 'hash',
    name: '1000 fields x 16 B with TTLs (hashtable)',
    guess: 160000,
    build: (c, k, i) => {
      const a: Arg[] = [];
      for (let j = 0; j < 1000; j++) a.push(B('field:' + j), payload(16, i * 131 + j));
      c('HSET', k, ...a);
      for (let j = 0; j < 1000; j += 100)
        c(
          'HEXPIRE',
          k,
          String(100000 + j),
          'FIELDS',
          '100',
          ...Array.from({ length: 100 }, (_, x) => B('field:' + (j + x))),
        );
    },
  },
];

export interface CaseResult {
  type: string;
  name: string;
  keys: number;
  /** heap + external growth after GC, bytes. */
  measured: number;
  /** used_memory growth, bytes. */
  model: number;
  /** The dataset figure (the dbs' datasetBytes()) after deleting every key, minus before the writes: 0. */
  back: number;
}

/**
 * V8's heap plus external memory after full collections, less the code
 * space (functions compiled meanwhile are not data). ArrayBuffer backing
 * stores are freed by a sweeper after the collection, so it waits a moment
 * and collects again.
 */
async function heapNow(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
  const m = process.memoryUsage();
  const code = v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'code_space')?.space_used_size ?? 0;
  return m.heapUsed + m.external - code;
}

/** Runs one case in this process (needs --expose-gc). */
export async function runCase(c: MemCase, targetBytes: number): Promise<CaseResult> {
  const keys = Math.max(4, Math.min(200_000, Math.floor(targetBytes / c.guess)));
  const srv: TsdisServer = await createServer({ noListen: true, config: { ...c.config } });
  const call: Call = (...a) => {
    void srv.call(...a);
  };
  const keyBufs: Buffer[] = [];
  for (let i = 0; i < keys; i++) keyBufs.push(B('key:' + String(i).padStart(8, '0')));
  // warm up the command paths, then measure from an empty keyspace
  c.build(call, B('warmup'), 0);
  call('FLUSHALL');
  // A keyspace holds strings: the dict's values array is one of mixed
  // values (an integer beyond 31 bits is then a HeapNumber in it; in an
  // array that only ever held numbers V8 would unbox it).
  call('SET', B('seed'), payload(20, 0));
  const h0 = await heapNow();
  const u0 = usedMemory(srv.server);
  const dataset = () => srv.server.dbs.reduce((n, db) => n + db.datasetBytes(), 0);
  const d0 = dataset();
  for (let i = 0; i < keys; i++) c.build(call, keyBufs[i]!, i);
  const h1 = await heapNow();
  const u1 = usedMemory(srv.server);
  for (let i = 0; i < keys; i++) call('DEL', keyBufs[i]!);
  const d2 = dataset();
  await srv.close();
  return { type: c.type, name: c.name, keys, measured: h1 - h0, model: u1 - u0, back: d2 - d0 };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const mi = argv.indexOf('--mb');
  const mb = mi >= 0 ? Number(argv[mi + 1]) : 40;
  const ci = argv.indexOf('--case');
  if (ci >= 0) {
    const c = CASES.find((x) => `${x.type} ${x.name}` === argv[ci + 1]);
    if (c === undefined) throw new Error('no case ' + argv[ci + 1]);
    process.stdout.write(JSON.stringify(await runCase(c, mb * 1e6)) + '\n');
    return;
  }
  const json = argv.includes('--json');
  const filters = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--mb');
  if (argv.includes('--inproc')) {
    // every selected case in this process, one after the other (needs --expose-gc): faster, for tests
    const out: CaseResult[] = [];
    for (const c of CASES)
      if (filters.some((f) => `${c.type} ${c.name}`.startsWith(f))) out.push(await runCase(c, mb * 1e6));
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const rows: string[][] = [];
  const results: CaseResult[] = [];
  for (const c of CASES) {
    const id = `${c.type} ${c.name}`;
    if (filters.length > 0 && !filters.some((f) => id.startsWith(f))) continue;
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--mb', String(mb), '--case', id],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`${id}: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as CaseResult;
    results.push(res);
    rows.push([
      res.type,
      res.name,
      String(res.keys),
      (res.measured / res.keys).toFixed(1),
      (res.model / res.keys).toFixed(1),
      (res.model / res.measured).toFixed(3),
      String(res.back),
    ]);
    if (!json) process.stderr.write(`${id}: ${(res.model / res.measured).toFixed(3)}\n`);
  }
  if (json) process.stdout.write(JSON.stringify(results) + '\n');
  else
    process.stdout.write(
      table(['type', 'case', 'keys', 'measured B/key', 'model B/key', 'model/measured', 'back'], rows, 'llrrrrr') +
        '\n',
    );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

/**
 * Micro benchmark: bytes per key of candidate value representations, with 1M
 * keys (12-byte latin1 strings, made the way the parser makes them) in a Map.
 * Each variant runs in its own child process (`node --expose-gc`), measuring
 * heapUsed and external (ArrayBuffer backing stores) after a full GC, before
 * and after building the map.
 *
 * Usage: node --expose-gc dist-test/bench/micro/values.js [--keys N] [variant ...]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Dict } from '../../src/keyspace/dict.js';
import { table } from '../lib.js';

const argv = process.argv.slice(2);
const ki = argv.indexOf('--keys');
const N = Number(ki >= 0 ? argv[ki + 1] : (process.env['BENCH_KEYS'] ?? 1_000_000));
const VLEN = 16;

/** A fresh flat one-byte string per call, as RespParser's latin1Slice makes them. */
const scratch = Buffer.alloc(64);
function flat(s: string): string {
  const n = scratch.write(s, 'latin1');
  return scratch.latin1Slice(0, n);
}
const keyOf = (i: number) => flat('key:' + String(i).padStart(8, '0'));
const val16 = (i: number) => ('v' + String(i).padStart(VLEN - 1, '0')).slice(0, VLEN);

interface Variant {
  name: string;
  note: string;
  build(): unknown;
}

const VARIANTS: Variant[] = [
  {
    name: 'keys only (Map<string, 1>)',
    note: 'baseline: Map entry + key string, Smi value',
    build: () => {
      const m = new Map<string, number>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), 1);
      return m;
    },
  },
  {
    name: 'number, Smi (Map<string, i>)',
    note: 'INCR counters within 31 bits: no allocation',
    build: () => {
      const m = new Map<string, number>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), i);
      return m;
    },
  },
  {
    name: 'number, HeapNumber (i * 2^32)',
    note: 'integers beyond Smi range are boxed',
    build: () => {
      const m = new Map<string, number>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), i * 4294967296 + 1);
      return m;
    },
  },
  {
    name: 'one-byte string, 16 B',
    note: 'latin1Slice: SeqOneByteString',
    build: () => {
      const m = new Map<string, string>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), flat(val16(i)));
      return m;
    },
  },
  {
    name: 'one-byte string, 1 B',
    note: 'V8 shares single-character strings (its table)',
    build: () => {
      const m = new Map<string, string>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), flat(String.fromCharCode(97 + (i % 26))));
      return m;
    },
  },
  {
    name: 'two-byte string, 16 B',
    note: 'what utf8 decoding of non-ASCII bytes gives',
    build: () => {
      const m = new Map<string, string>();
      for (let i = 0; i < N; i++)
        m.set(keyOf(i), Buffer.from('\u0100' + val16(i).slice(1), 'utf16le').toString('utf16le'));
      return m;
    },
  },
  {
    name: 'Buffer 16 B, pooled (Buffer.from)',
    note: 'Uint8Array object on the heap, bytes in 8 KiB pool slabs',
    build: () => {
      const m = new Map<string, Buffer>();
      for (let i = 0; i < N; i++) m.set(keyOf(i), Buffer.from(val16(i), 'latin1'));
      return m;
    },
  },
  {
    name: 'Buffer 16 B, own store (allocUnsafeSlow)',
    note: 'one ArrayBuffer per value',
    build: () => {
      const m = new Map<string, Buffer>();
      for (let i = 0; i < N; i++) {
        const b = Buffer.allocUnsafeSlow(VLEN);
        b.write(val16(i), 'latin1');
        m.set(keyOf(i), b);
      }
      return m;
    },
  },
  {
    name: 'tsdis Dict, one-byte string 16 B',
    note: 'src/keyspace/dict.ts: Map<key, slot> + keys[] + vals[]',
    build: () => {
      const d = new Dict<string>();
      for (let i = 0; i < N; i++) d.set(keyOf(i), flat(val16(i)));
      return d;
    },
  },
  {
    name: 'tsdis Dict with meta, string 16 B',
    note: 'plus the Uint32Array LRU/LFU clock',
    build: () => {
      const d = new Dict<string>(true);
      for (let i = 0; i < N; i++) d.set(keyOf(i), flat(val16(i)), i);
      return d;
    },
  },
];

const gc = (globalThis as { gc?: () => void }).gc;

/** Child mode: builds one variant and prints its deltas as JSON. */
function measure(name: string): void {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`unknown variant ${name}`);
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const keep = v.build();
  const ms = performance.now() - t0;
  gc();
  gc();
  const m1 = process.memoryUsage();
  (globalThis as { keep?: unknown }).keep = keep;
  process.stdout.write(
    JSON.stringify({
      heap: (m1.heapUsed - m0.heapUsed) / N,
      ext: (m1.external - m0.external) / N,
      rss: (m1.rss - m0.rss) / N,
      ms,
    }) + '\n',
  );
}

function main(): void {
  const ci = argv.indexOf('--child');
  if (ci >= 0) return measure(argv[ci + 1]!);
  const only = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--keys');
  const self = fileURLToPath(import.meta.url);
  console.log(
    `value representations: ${N.toLocaleString('en-US')} keys "key:00000000", node ${process.version}, each variant in a fresh node --expose-gc\n`,
  );
  const rows: string[][] = [];
  let base = NaN;
  for (const v of VARIANTS) {
    if (only.length && !only.some((o) => v.name.includes(o))) continue;
    const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', v.name, '--keys', String(N)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) {
      rows.push([v.name, 'error', '', '', '', (r.stderr || String(r.signal)).split('\n')[0]!]);
      continue;
    }
    const j = JSON.parse(r.stdout.trim()) as { heap: number; ext: number; rss: number; ms: number };
    const total = j.heap + j.ext;
    if (v.name.startsWith('keys only')) base = total;
    rows.push([
      v.name,
      j.heap.toFixed(1),
      j.ext.toFixed(1),
      total.toFixed(1),
      Number.isFinite(base) ? (total - base).toFixed(1) : '',
      v.note,
    ]);
  }
  console.log(
    table(
      ['variant', 'heap B/key', 'external B/key', 'total B/key', 'value B (total - keys only)', 'note'],
      rows,
      'lrrrrl',
    ),
  );
}

main();

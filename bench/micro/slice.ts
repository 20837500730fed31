/**
 * Micro benchmark: turning argument bytes of a read chunk into strings, the
 * parser's per-argument cost (the CPU profile shows latin1Slice at 5-12% of
 * tsdis under pipelined load). Compares, over a chunk of pipelined MSET /
 * GET / SET commands:
 *  - buf.latin1Slice(a, b) per argument (what the parser does);
 *  - a JS loop with String.fromCharCode for short arguments, latin1Slice above;
 *  - one latin1Slice of the whole chunk, then str.substring(a, b) per argument.
 *    Fast, but V8 makes a SlicedString (a view that keeps the whole chunk's
 *    string alive) for substrings of 13 chars or more: stored keys and values
 *    would pin their chunk. Shown to size the gap, not as a recommendation;
 *  - the safe hybrid: substring of the chunk's string below 13 chars (V8
 *    copies those), latin1Slice for longer arguments.
 *
 * Usage: node dist-test/bench/micro/slice.js
 */
import { table } from '../lib.js';

function encode(args: string[]): string {
  let s = '*' + args.length + '\r\n';
  for (const a of args) s += '$' + a.length + '\r\n' + a + '\r\n';
  return s;
}

// A 16 KiB-ish chunk: the mix redis-benchmark -P 16 sends
let text = '';
for (let i = 0; text.length < 16000; i++) {
  const k = 'key:' + String((i * 7919) % 100000).padStart(12, '0');
  if (i % 3 === 0) text += encode(['GET', k]);
  else if (i % 3 === 1) text += encode(['SET', k, 'VXK']);
  else {
    const a = ['MSET'];
    for (let j = 0; j < 10; j++) a.push('key:' + String((i + j) % 100000).padStart(12, '0'), 'VXK');
    text += encode(a);
  }
}
const chunk = Buffer.from(text, 'latin1');

/** Argument offsets (start, end) in the chunk, found once; every method decodes the same spans. */
const spans: number[] = [];
for (let p = 0; p < chunk.length;) {
  const lf = chunk.indexOf(10, p);
  const n = Number(chunk.latin1Slice(p + 1, lf - 1));
  p = lf + 1;
  for (let i = 0; i < n; i++) {
    const l2 = chunk.indexOf(10, p);
    const len = Number(chunk.latin1Slice(p + 1, l2 - 1));
    spans.push(l2 + 1, l2 + 1 + len);
    p = l2 + 1 + len + 2;
  }
}
const nargs = spans.length / 2;

function viaLatin1Slice(): number {
  let t = 0;
  for (let i = 0; i < spans.length; i += 2) t += chunk.latin1Slice(spans[i]!, spans[i + 1]!).length;
  return t;
}

const SHORT = 24;
function viaFromCharCode(): number {
  let t = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const a = spans[i]!;
    const b = spans[i + 1]!;
    let s: string;
    if (b - a <= SHORT) {
      s = '';
      for (let j = a; j < b; j++) s += String.fromCharCode(chunk[j]!);
    } else s = chunk.latin1Slice(a, b);
    t += s.length;
  }
  return t;
}

function viaSubstring(): number {
  const all = chunk.latin1Slice(0, chunk.length);
  let t = 0;
  for (let i = 0; i < spans.length; i += 2) t += all.substring(spans[i]!, spans[i + 1]!).length;
  return t;
}

/** V8 copies substrings shorter than 13 chars (SlicedString::kMinLength), so these pin nothing. */
function viaHybrid(): number {
  const all = chunk.latin1Slice(0, chunk.length);
  let t = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const a = spans[i]!;
    const b = spans[i + 1]!;
    t += (b - a < 13 ? all.substring(a, b) : chunk.latin1Slice(a, b)).length;
  }
  return t;
}

function bench(fn: () => number): number {
  for (let i = 0; i < 200; i++) fn();
  const rounds = 2000;
  const t0 = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < rounds; i++) x += fn();
  const ns = Number(process.hrtime.bigint() - t0);
  if (x < 0) console.log(x);
  return ns / (rounds * nargs);
}

const rows: string[][] = [];
const base = bench(viaLatin1Slice);
for (const [name, fn] of [
  ['latin1Slice per argument (current parser)', viaLatin1Slice],
  [`String.fromCharCode loop up to ${SHORT} B, else latin1Slice`, viaFromCharCode],
  ['chunk string + substring below 13 B (copied), else latin1Slice', viaHybrid],
  ['one latin1Slice per chunk + substring (pins chunk, see above)', viaSubstring],
] as const) {
  const ns = name.startsWith('latin1Slice') ? base : bench(fn);
  rows.push([name, ns.toFixed(1), (ns / base).toFixed(2) + 'x']);
}
console.log(`decoding ${nargs} arguments from a ${chunk.length}-byte chunk, node ${process.version}\n`);
console.log(table(['method', 'ns/argument', 'vs latin1Slice'], rows));

/**
 * By length: latin1Slice against String.fromCharCode called with the bytes
 * as n arguments (the parser's shortString writes one such call per length).
 * Sets shortString's longest case (SHORT_MAX in src/protocol/parser.ts).
 */
function byLength(n: number): [number, number] {
  const args = Array.from({ length: n }, (_, i) => `b[s + ${i}]`).join(', ');
  const fcc = new Function('f', 'b', `return (s) => f(${args});`)(String.fromCharCode, chunk) as (s: number) => string;
  const time = (fn: (s: number) => string): number => {
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      let x = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 1_000_000; i++) x += fn(i & 1023).length;
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1_000_000);
      if (x < 0) console.log(x);
    }
    return best;
  };
  return [time((s) => chunk.latin1Slice(s, s + n)), time(fcc)];
}
const lengthRows: string[][] = [];
for (const n of [8, 16, 17, 24, 32, 40, 48, 64]) {
  const [slice, fcc] = byLength(n);
  lengthRows.push([String(n), slice.toFixed(1), fcc.toFixed(1), (fcc / slice).toFixed(2) + 'x']);
}
console.log('\none argument by length (ns a call)\n');
console.log(table(['bytes', 'latin1Slice', 'fromCharCode(n args)', 'ratio'], lengthRows));

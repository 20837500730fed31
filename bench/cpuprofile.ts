/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with
 * the most self time, their total (inclusive) time, and self time per file.
 * Percentages are of the busy time (everything but "(idle)").
 *
 * Usage: node dist-test/bench/cpuprofile.js FILE.cpuprofile [--top N]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, table } from './lib.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FnStat {
  key: string;
  self: number;
  total: number;
}

export interface Summary {
  busyUs: number;
  idleUs: number;
  fns: FnStat[];
  files: { file: string; self: number }[];
}

/** A short readable location: src-relative for our code, node:... for Node's own. */
function where(cf: CallFrame): string {
  let u = cf.url;
  if (!u) return '';
  if (u.startsWith('file://')) u = fileURLToPath(u);
  if (u.startsWith(ROOT + '/')) u = path.relative(ROOT, u);
  return `${u}:${cf.lineNumber + 1}`;
}

function fnKey(cf: CallFrame): string {
  const name = cf.functionName || '(anonymous)';
  const w = where(cf);
  return w ? `${name} ${w}` : name;
}

/** Self and total time (µs) per function, self time per file. */
export function summarize(p: Profile): Summary {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  // self time per node: each sample owns the time until the next sample
  const selfNode = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0;
    const id = p.samples[i]!;
    selfNode.set(id, (selfNode.get(id) ?? 0) + Math.max(0, dt));
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  // walk the tree; a function's total counts each sample once even under recursion
  const root = p.nodes[0]!;
  const onStack = new Map<string, number>();
  const visit = (n: ProfileNode): number => {
    const key = fnKey(n.callFrame);
    const s = selfNode.get(n.id) ?? 0;
    if (n.callFrame.functionName === '(idle)') idle += s;
    else busy += s;
    self.set(key, (self.get(key) ?? 0) + s);
    const file = n.callFrame.url
      ? where({ ...n.callFrame, lineNumber: -1 }).replace(/:0$/, '')
      : n.callFrame.functionName || '(native, unnamed)';
    files.set(file, (files.get(file) ?? 0) + s);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    let sub = s;
    for (const c of n.children ?? []) sub += visit(byId.get(c)!);
    const depth = onStack.get(key)! - 1;
    onStack.set(key, depth);
    if (depth === 0) total.set(key, (total.get(key) ?? 0) + sub);
    return sub;
  };
  visit(root);
  const fns = [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
    .map(([key, s]) => ({ key, self: s, total: total.get(key) ?? s }))
    .sort((a, b) => b.self - a.self);
  const fileList = [...files.entries()]
    .filter(([f]) => f !== '(idle)' && f !== '(root)')
    .map(([file, s]) => ({ file, self: s }))
    .sort((a, b) => b.self - a.self);
  return { busyUs: busy, idleUs: idle, fns, files: fileList };
}

/** The summary as text: top functions by self time, then top files. */
export function formatSummary(s: Summary, top = 25): string {
  const pct = (x: number) => ((100 * x) / s.busyUs).toFixed(1) + '%';
  const out: string[] = [];
  out.push(
    `busy ${(s.busyUs / 1e6).toFixed(2)} s, idle ${(s.idleUs / 1e6).toFixed(2)} s (percentages are of busy time)\n`,
  );
  out.push(
    table(
      ['function (file:line)', 'self', 'total'],
      s.fns.slice(0, top).map((f) => [f.key, pct(f.self), pct(f.total)]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['file', 'self'],
      s.files.slice(0, 15).map((f) => [f.file, pct(f.self)]),
    ),
  );
  return out.join('\n');
}

function main(): void {
  const argv = process.argv.slice(2);
  const ti = argv.indexOf('--top');
  const top = ti >= 0 ? Number(argv[ti + 1]) : 25;
  const files = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--top');
  if (files.length === 0) {
    process.stderr.write('usage: node dist-test/bench/cpuprofile.js FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  for (const f of files) {
    console.log(`## ${f}\n`);
    console.log(formatSummary(summarize(JSON.parse(fs.readFileSync(f, 'utf8')) as Profile), top));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();

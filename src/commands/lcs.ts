/**
 * LCS: the longest common subsequence of two string values, its length or
 * the matching ranges.
 */
import { Buffer } from 'node:buffer';
import { command, keyRange, READ, type CommandSpec, type Ctx } from './spec.js';
import { maxStringLen } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { isString, strOf } from '../keyspace/value.js';
import { parseInt64 } from '../util/numbers.js';

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN] */
function lcs(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const va = db.read(argv[1]!);
  const vb = db.read(argv[2]!);
  if ((va !== undefined && !isString(va)) || (vb !== undefined && !isString(vb))) {
    throw new ReplyError(Err.lcsNotStrings);
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j]!.toUpperCase();
    if (o === 'IDX') getIdx = true;
    else if (o === 'LEN') getLen = true;
    else if (o === 'WITHMATCHLEN') withMatchLen = true;
    else if (o === 'MINMATCHLEN' && j < argv.length - 1) {
      const n = parseInt64(argv[++j]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      minMatchLen = n < 0 ? 0 : Number(n);
    } else throw new ReplyError(Err.syntax);
  }
  if (getLen && getIdx) throw new ReplyError(Err.lcsLenAndIdx);
  const a = va === undefined ? '' : strOf(va);
  const b = vb === undefined ? '' : strOf(vb);
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > maxStringLen(ctx)) {
    throw new ReplyError(Err.lcsMemory);
  }
  // table[i*(blen+1)+j] = LCS length of a[0..i) and b[0..j).
  const w = blen + 1;
  const t = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) t[row + j] = t[prev + j - 1]! + 1;
      else {
        const up = t[prev + j]!;
        const left = t[row + j - 1]!;
        t[row + j] = up > left ? up : left;
      }
    }
  }
  const total = t[alen * w + blen]!;
  if (getLen) {
    reply.int(total);
    return;
  }
  // Walk back from the end, building the string and the matching ranges.
  const out = Buffer.allocUnsafe(total);
  let idx = total;
  const ranges: number[][] = [];
  let aStart = alen; // alen: no range in progress
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      out[--idx] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j]! > t[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const len = aEnd - aStart + 1;
      if (minMatchLen === 0 || len >= minMatchLen) ranges.push([aStart, aEnd, bStart, bEnd, len]);
      aStart = alen;
    }
  }
  if (!getIdx) {
    reply.bulk(out);
    return;
  }
  reply.map(2);
  reply.bulk('matches');
  reply.array(ranges.length);
  for (const r of ranges) {
    reply.array(withMatchLen ? 3 : 2);
    reply.array(2);
    reply.int(r[0]!);
    reply.int(r[1]!);
    reply.array(2);
    reply.int(r[2]!);
    reply.int(r[3]!);
    if (withMatchLen) reply.int(r[4]!);
  }
  reply.bulk('len');
  reply.int(total);
}

export const lcsCommands: CommandSpec[] = [
  command({
    name: 'lcs',
    arity: -3,
    flags: ['readonly'],
    acl: ['string'],
    keySpecs: [keyRange(1, 1, 1, READ)],
    group: 'string',
    since: '7.0.0',
    summary: 'Finds the longest common subsequence of two string values, its length or the matching ranges.',
    complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    args: [
      { name: 'key1', type: 'key', key_spec_index: 0 },
      { name: 'key2', type: 'key', key_spec_index: 0 },
      { name: 'len', type: 'pure-token', token: 'LEN', flags: ['optional'] },
      { name: 'idx', type: 'pure-token', token: 'IDX', flags: ['optional'] },
      { name: 'len', type: 'integer', token: 'MINMATCHLEN', flags: ['optional'] },
      { name: 'withmatchlen', type: 'pure-token', token: 'WITHMATCHLEN', flags: ['optional'] },
    ],
    handler: lcs,
  }),
];

/**
 * HyperLogLog commands: PFADD PFCOUNT PFMERGE PFSELFTEST PFDEBUG.
 *
 * An HLL is a plain string value holding Redis's exact HYLL bytes
 * (types/hll.ts), so GET/SET/DUMP/RESTORE/RDB/AOF carry it unchanged and a
 * key built here reads the same in redis-server and back.
 *
 * Writes keep a Buffer this module allocated and may edit it in place; any
 * other representation (a latin1 string from SET, a Buffer from elsewhere) is
 * copied first, as Redis "unshares" the value. As in Redis: PFCOUNT of one
 * key that refreshes the cached cardinality is a change (signal + dirty, so
 * it propagates) with no keyspace event; PFMERGE's event is named "pfadd";
 * PFDEBUG GETREG/TODENSE converting to dense count as dirty without a signal.
 */
import { Buffer } from 'node:buffer';
import { command, keyArg, keyAt, keysFrom, INSERT, READ, READ_INSERT, type CommandSpec, type Ctx } from './spec.js';
import { ReplyError, Err } from '../protocol/errors.js';
import { isString, type StrValue, type Value } from '../keyspace/value.js';
import {
  DENSE,
  DENSE_SIZE,
  Hll,
  REGISTERS,
  SPARSE,
  createHll,
  decodeSparse,
  denseGet,
  estimate,
  histogram,
  invalidateCache,
  isHll,
  isValidCache,
  mergeInto,
  murmur64a,
  rawHistogram,
  readCache,
  writeCache,
} from '../types/hll.js';

/** MurmurHash64A('', seed 0xadc83b19). */
const EMPTY_HASH = 0xd8dfea6585bc9732n;

/** Buffers allocated here, safe to edit in place. */
const owned = new WeakSet<Buffer>();

function own(b: Buffer): Buffer {
  owned.add(b);
  return b;
}

/** A value as an HLL or a reply error: WRONGTYPE for other types and for strings that are not HLLs. */
function checkHll(v: Value): StrValue {
  if (!isString(v)) throw new ReplyError(Err.wrongType);
  if (typeof v === 'number' || !isHll(v)) throw new ReplyError(Err.hllWrongType);
  return v;
}

/** The bytes of a checked HLL value for reading (no copy for Buffers). */
function readBytes(v: StrValue): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v as string, 'latin1');
}

/** A checked HLL value as a Buffer this module may edit in place. */
function writable(v: StrValue): Buffer {
  if (Buffer.isBuffer(v) && owned.has(v)) return v;
  return own(Buffer.from(readBytes(v)));
}

function sparseMax(ctx: Ctx): number {
  return ctx.server.config.v['hll-sparse-max-bytes'];
}

/** Stores `buf` as the key's value after a change (TTL kept), or signals an in-place change. */
function commit(ctx: Ctx, key: string, old: Value | undefined, buf: Buffer, dirty: number): void {
  if (old === buf) ctx.db.modified(key, dirty);
  else {
    ctx.db.set(key, own(buf), true);
    ctx.dirty(dirty - 1);
  }
}

/** PFADD key [element ...]: 1 when a register changed (or the key was created). */
function pfadd(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const old = db.get(key);
  let updated = 0;
  let h: Hll;
  if (old === undefined) {
    h = new Hll(createHll());
    updated++;
  } else h = new Hll(writable(checkHll(old)));
  const max = sparseMax(ctx);
  for (let j = 2; j < argv.length; j++) {
    const r = h.add(argv[j]!, max);
    if (r === -1) throw new ReplyError(Err.hllInvalid);
    updated += r;
  }
  if (updated) {
    invalidateCache(h.buf);
    commit(ctx, key, old, h.buf, updated);
    db.notify('$', 'pfadd', key);
  } else if (old !== undefined && h.buf !== old) db.replaceRepresentation(key, own(h.buf));
  reply.int(updated ? 1 : 0);
}

/** PFCOUNT key [key ...]: one key uses and refreshes its cached cardinality; several are merged. */
function pfcount(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  if (argv.length > 2) {
    const max = new Uint8Array(REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const v = db.read(argv[j]!);
      if (v === undefined) continue;
      if (!mergeInto(max, readBytes(checkHll(v)))) throw new ReplyError(Err.hllInvalid);
    }
    reply.int(estimate(rawHistogram(max)));
    return;
  }
  const key = argv[1]!;
  const v = db.read(key);
  if (v === undefined) {
    reply.int(0);
    return;
  }
  const s = checkHll(v);
  const bytes = readBytes(s);
  if (isValidCache(bytes)) {
    if (!(Buffer.isBuffer(v) && owned.has(v))) db.replaceRepresentation(key, own(Buffer.from(bytes)));
    reply.int(readCache(bytes));
    return;
  }
  const hist = histogram(bytes);
  if (hist === null) throw new ReplyError(Err.hllInvalid);
  const card = estimate(hist);
  db.get(key); // the write lookup: a snapshot in progress keeps the old bytes before the edit in place
  const buf = writable(s);
  writeCache(buf, card);
  commit(ctx, key, v, buf, 1);
  reply.int(card);
}

/** PFMERGE destkey [sourcekey ...]: the destination (also a source) gets the registers' maxima. */
function pfmerge(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const max = new Uint8Array(REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = db.read(argv[j]!);
    if (v === undefined) continue;
    const b = readBytes(checkHll(v));
    if (b[4] === DENSE) useDense = true;
    if (!mergeInto(max, b)) throw new ReplyError(Err.hllInvalid);
  }
  const key = argv[1]!;
  const old = db.get(key);
  // The destination was checked as a source above (it is argv[1]).
  const h = new Hll(old === undefined ? createHll() : writable(checkHll(old)));
  if (useDense && !h.toDense()) throw new ReplyError(Err.hllInvalid);
  const limit = sparseMax(ctx);
  for (let j = 0; j < REGISTERS; j++) {
    if (max[j] === 0) continue;
    h.set(j, max[j]!, limit);
  }
  invalidateCache(h.buf);
  commit(ctx, key, old, h.buf, 1);
  db.notify('$', 'pfadd', key);
  reply.ok();
}

/** PFSELFTEST: a quick check of the hash, the register packing and the estimator. */
function pfselftest(ctx: Ctx): void {
  const fail = (what: string): never => {
    throw new ReplyError(Err.hllTestFailed(what));
  };
  // Dense registers round-trip next to each other.
  const d = Buffer.alloc(DENSE_SIZE);
  const h = new Hll(createHll());
  const vals = new Uint8Array(REGISTERS);
  let seed = 12345;
  for (let i = 0; i < REGISTERS; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    vals[i] = seed % 64;
  }
  d.write('HYLL', 0, 'latin1');
  const dh = new Hll(d);
  for (let i = 0; i < REGISTERS; i++) dh.set(i, vals[i]!, 0);
  for (let i = 0; i < REGISTERS; i++) if (denseGet(d, i) !== vals[i]) fail('Register error');
  // Sparse and dense agree on the estimate while elements are added.
  const dense = new Hll(createHll());
  dense.toDense();
  for (let i = 0; i < 2000; i++) {
    const e = 'ele:' + i;
    h.add(e, 3000);
    dense.add(e, 3000);
  }
  const a = histogram(h.buf);
  const b = histogram(dense.buf);
  if (a === null || b === null || estimate(a) !== estimate(b)) fail('Sparse and dense estimates differ');
  const est = estimate(b!);
  if (Math.abs(est - 2000) > 2000 * 0.05) fail(`Estimate ${est} for 2000 elements`);
  // MurmurHash64A of the empty string with seed 0xadc83b19 (a fixed point of the format).
  if (murmur64a('') !== EMPTY_HASH) fail('Hash');
  ctx.reply.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key */
function pfdebug(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const sub = argv[1]!;
  const key = argv[2]!;
  const old = db.get(key);
  if (old === undefined) throw new ReplyError(Err.hllNoKey);
  const h = new Hll(writable(checkHll(old)));
  const s = sub.toLowerCase();
  if (s === 'getreg' || s === 'todense') {
    let conv = 0;
    if (h.encoding === SPARSE) {
      if (!h.toDense()) throw new ReplyError(Err.hllInvalid);
      conv = 1;
      ctx.dirty();
    }
    if (h.buf !== old) db.replaceRepresentation(key, own(h.buf));
    if (s === 'todense') {
      reply.int(conv);
      return;
    }
    reply.array(REGISTERS);
    for (let j = 0; j < REGISTERS; j++) reply.int(denseGet(h.buf, j));
    return;
  }
  if (h.buf !== old) db.replaceRepresentation(key, own(h.buf));
  if (s === 'decode') {
    if (h.encoding !== SPARSE) throw new ReplyError(Err.hllNotSparse);
    reply.bulk(decodeSparse(h.buf));
  } else if (s === 'encoding') reply.simple(h.encoding === DENSE ? 'dense' : 'sparse');
  else throw new ReplyError(Err.pfdebugUnknown(sub));
}

export const commands: CommandSpec[] = [
  command({
    name: 'pfadd',
    arity: -2,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hyperloglog'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'hyperloglog',
    since: '2.8.9',
    summary: 'Adds elements to a HyperLogLog, creating it when missing.',
    complexity: 'O(1) to add every element.',
    args: [keyArg(), { name: 'element', type: 'string', flags: ['optional', 'multiple'] }],
    handler: pfadd,
  }),
  command({
    name: 'pfcount',
    arity: -2,
    flags: ['readonly', 'may_replicate'],
    acl: ['hyperloglog'],
    keySpecs: [
      keysFrom(
        1,
        ['RW', 'access'],
        'RW because it may change the internal representation of the key, and propagate to replicas',
      ),
    ],
    group: 'hyperloglog',
    since: '2.8.9',
    summary: 'Estimates the number of distinct elements in one HyperLogLog or the union of several.',
    complexity:
      'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: pfcount,
  }),
  command({
    name: 'pfmerge',
    arity: -2,
    flags: ['write', 'denyoom'],
    acl: ['hyperloglog'],
    keySpecs: [keyAt(1, READ_INSERT), keysFrom(2, READ)],
    group: 'hyperloglog',
    since: '2.8.9',
    summary: 'Combines HyperLogLogs into a destination key holding their union.',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    args: [
      { name: 'destkey', type: 'key', key_spec_index: 0 },
      { name: 'sourcekey', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    handler: pfmerge,
  }),
  command({
    name: 'pfselftest',
    arity: 1,
    flags: ['admin'],
    acl: ['hyperloglog'],
    group: 'hyperloglog',
    since: '2.8.9',
    summary: 'Runs a quick internal check of the HyperLogLog implementation.',
    complexity: 'N/A',
    docFlags: ['syscmd'],
    handler: pfselftest,
  }),
  command({
    name: 'pfdebug',
    arity: 3,
    flags: ['write', 'denyoom', 'admin'],
    acl: ['hyperloglog'],
    keySpecs: [keyAt(2, ['RW', 'access'])],
    group: 'hyperloglog',
    since: '2.8.9',
    summary: 'Inspects or converts the internal representation of a HyperLogLog.',
    complexity: 'N/A',
    docFlags: ['syscmd'],
    args: [{ name: 'subcommand', type: 'string' }, keyArg()],
    handler: pfdebug,
  }),
];

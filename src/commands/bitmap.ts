/**
 * Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
 * Bitmaps are string values; bit 0 is the most significant bit of byte 0.
 * Writes turn the value into a growable Buffer (types/bitops.ts).
 *
 * BITCOUNT and BITPOS parse every argument before looking the key up, as
 * Redis 7.2 does (7.0 replied 0 / -1 for a missing key even with bad
 * arguments).
 */
import { Buffer } from 'node:buffer';
import { command, keyArg, keyAt, keysFrom, OVERWRITE, READ, READ_UPDATE, type CommandSpec, type Ctx } from './spec.js';
import { argInt, lookupString, maxStringLen } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import {
  byteAt,
  bytesOf,
  combineInto,
  findBit,
  getField,
  mutableBuf,
  newOwnedBuf,
  popByte,
  popcount,
  setField,
  type Bytes,
} from '../types/bitops.js';
import { isString, strLen, type StrValue } from '../keyspace/value.js';
import { bitfieldGetKeys } from './keys-of.js';

/**
 * A bit offset argument: an int64, or `#n` meaning n·bits for BITFIELD
 * (when `bits` > 0); negative or addressing a byte at or beyond
 * proto-max-bulk-len -> "bit offset is not an integer or out of range".
 */
function bitOffset(ctx: Ctx, arg: string, bits = 0): number {
  const hash = bits > 0 && arg.charCodeAt(0) === 35; // '#'
  const n = parseInt64(hash ? arg.slice(1) : arg);
  if (n === null) throw new ReplyError(Err.bitOffset);
  let off = BigInt(n);
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits)); // wraps as Redis's long long multiply
  if (off < 0n || off >> 3n >= BigInt(maxStringLen(ctx))) throw new ReplyError(Err.bitOffset);
  return Number(off);
}

/**
 * Stores the result of an in-place write: a new Buffer object replaces the
 * value (keeping the TTL), the same one is just signalled as modified.
 */
function storeMutated(ctx: Ctx, key: string, old: StrValue | undefined, b: Buffer, dirty = 1): void {
  if (b !== old) ctx.db.set(key, b, true, dirty);
  else ctx.db.modified(key, dirty);
}

/** SETBIT key offset value: replies the bit's previous value. */
function setbit(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const off = bitOffset(ctx, argv[2]!);
  const on = parseInt64(argv[3]!);
  if (on !== 0 && on !== 1) throw new ReplyError(Err.bitValue);
  const v = lookupString(db, key, true);
  const byte = Math.floor(off / 8);
  const b = mutableBuf(v, byte + 1);
  const mask = 1 << (7 - (off % 8));
  const old = (b[byte]! & mask) !== 0 ? 1 : 0;
  // A change (event, WATCH, dirty) only when the key is created or grows, or
  // the bit flips, as Redis 7 counts it.
  if (v === undefined || strLen(v) < byte + 1 || old !== on) {
    b[byte] = on ? b[byte]! | mask : b[byte]! & ~mask;
    storeMutated(ctx, key, v, b);
    db.notify('$', 'setbit', key);
  } else if (b !== v) db.replaceRepresentation(key, b);
  reply.int(old);
}

/** GETBIT key offset */
function getbit(ctx: Ctx): void {
  const off = bitOffset(ctx, ctx.argv[2]!);
  const v = lookupString(ctx.db, ctx.argv[1]!);
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const byte = byteAt(bytesOf(v), Math.floor(off / 8));
  ctx.reply.int((byte >> (7 - (off % 8))) & 1);
}

/** Parses BYTE|BIT (case-insensitive): true for BIT; syntax error otherwise. */
function unitIsBit(arg: string): boolean {
  const u = arg.toUpperCase();
  if (u === 'BIT') return true;
  if (u === 'BYTE') return false;
  throw new ReplyError(Err.syntax);
}

/**
 * Redis's range rule for BITCOUNT/BITPOS (and GETRANGE): negative indexes
 * count from the end, then both are clamped to [0, total-1]. The caller
 * treats start > end as an empty range.
 */
function clampRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

/** BITCOUNT key [start end [BYTE|BIT]] */
function bitcount(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const argc = argv.length;
  let start = 0;
  let end = 0;
  let isBit = false;
  if (argc === 4 || argc === 5) {
    start = argInt(argv[2]!);
    end = argInt(argv[3]!);
    if (argc === 5) isBit = unitIsBit(argv[4]!);
  } else if (argc !== 2) throw new ReplyError(Err.syntax);
  const v = lookupString(ctx.db, argv[1]!);
  if (v === undefined) {
    reply.int(0);
    return;
  }
  const s = bytesOf(v);
  if (argc === 2) {
    reply.int(s.length ? popcount(s, 0, s.length - 1) : 0);
    return;
  }
  if (start < 0 && end < 0 && start > end) {
    reply.int(0);
    return;
  }
  const total = isBit ? s.length * 8 : s.length;
  [start, end] = clampRange(start, end, total);
  if (start > end) {
    reply.int(0);
    return;
  }
  if (!isBit) {
    reply.int(popcount(s, start, end));
    return;
  }
  // Bit range: whole bytes in the middle, masked edge bytes.
  const sb = Math.floor(start / 8);
  const eb = Math.floor(end / 8);
  const firstMask = 0xff >> (start % 8);
  const lastMask = (0xff << (7 - (end % 8))) & 0xff;
  let n: number;
  if (sb === eb) n = popByte(byteAt(s, sb) & firstMask & lastMask);
  else {
    n = popByte(byteAt(s, sb) & firstMask) + popByte(byteAt(s, eb) & lastMask);
    if (eb - 1 >= sb + 1) n += popcount(s, sb + 1, eb - 1);
  }
  reply.int(n);
}

/** BITPOS key bit [start [end [BYTE|BIT]]] */
function bitpos(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const argc = argv.length;
  const bitN = parseInt64(argv[2]!);
  if (bitN === null) throw new ReplyError(Err.notInteger);
  if (bitN !== 0 && bitN !== 1) throw new ReplyError(Err.bitArg);
  const bit = bitN as 0 | 1;
  let start = 0;
  let end = 0;
  let isBit = false;
  let endGiven = false;
  if (argc >= 4 && argc <= 6) {
    start = argInt(argv[3]!);
    if (argc === 6) isBit = unitIsBit(argv[5]!);
    if (argc >= 5) {
      end = argInt(argv[4]!);
      endGiven = true;
    }
  } else if (argc !== 3) throw new ReplyError(Err.syntax);
  const v = lookupString(ctx.db, argv[1]!);
  if (v === undefined) {
    reply.int(bit ? -1 : 0);
    return;
  }
  const s: Bytes = bytesOf(v);
  const total = isBit ? s.length * 8 : s.length;
  if (!endGiven) end = total - 1;
  if (argc >= 4) [start, end] = clampRange(start, end, total);
  if (start > end) {
    reply.int(-1);
    return;
  }
  const fromBit = isBit ? start : start * 8;
  const toBit = isBit ? end : end * 8 + 7;
  const pos = findBit(s, bit, fromBit, toBit);
  if (pos >= 0) reply.int(pos);
  else if (bit === 1 || endGiven) reply.int(-1);
  // Looking for a clear bit with no explicit end: the string is zero padded on the right.
  else reply.int(toBit + 1);
}

/** BITOP AND|OR|XOR|NOT destkey key [key ...]: replies the result's length. */
function bitop(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const op = argv[1]!.toUpperCase();
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') throw new ReplyError(Err.syntax);
  const dest = argv[2]!;
  const nkeys = argv.length - 3;
  if (op === 'NOT' && nkeys !== 1) throw new ReplyError(Err.bitopNot);
  const srcs: Buffer[] = [];
  let maxlen = 0;
  for (let i = 3; i < argv.length; i++) {
    const v = db.read(argv[i]!);
    if (v !== undefined && !isString(v)) throw new ReplyError(Err.wrongType);
    const s =
      v === undefined ? EMPTY : Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'number' ? '' + v : v, 'latin1');
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  if (maxlen === 0) {
    if (db.delete(dest)) db.notify('g', 'del', dest);
    reply.int(0);
    return;
  }
  // Sources are zero padded to the longest one.
  const res = newOwnedBuf(maxlen);
  const first = srcs[0]!;
  res.set(first);
  if (op === 'NOT') {
    for (let j = 0; j < maxlen; j++) res[j] = ~res[j]! & 0xff;
  } else {
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k]!;
      const n = s.length;
      combineInto(res, s, op === 'AND' ? 0 : op === 'OR' ? 1 : 2);
      if (op === 'AND' && n < maxlen) res.fill(0, n);
    }
  }
  db.set(dest, res);
  db.notify('$', 'set', dest);
  reply.int(maxlen);
}

const EMPTY = Buffer.alloc(0);

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;
const WRAP = 0;
const SAT = 1;
const FAIL = 2;

interface FieldOp {
  op: number;
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: number;
}

/** A BITFIELD type: i1..i64 or u1..u63 (lowercase letter, as Redis). */
function fieldType(arg: string): { signed: boolean; bits: number } {
  const c = arg.charCodeAt(0);
  if (c !== 105 && c !== 117) throw new ReplyError(Err.bitfieldType); // 'i' | 'u'
  const signed = c === 105;
  const n = parseInt64(arg.slice(1));
  if (n === null || n < 1 || (signed && n > 64) || (!signed && n > 63)) throw new ReplyError(Err.bitfieldType);
  return { signed, bits: Number(n) };
}

/**
 * The value to store for SET/INCRBY with overflow handling: returns the new
 * field value, or null when it overflows under FAIL.
 */
function fieldResult(f: FieldOp, old: bigint): bigint | null {
  const sum = f.op === OP_INCRBY ? old + f.value : f.signed ? f.value : BigInt.asUintN(64, f.value);
  const b = BigInt(f.bits);
  const max = f.signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  const min = f.signed ? -max - 1n : 0n;
  if (sum <= max && sum >= min) return sum;
  if (f.overflow === FAIL) return null;
  if (f.overflow === SAT) return sum > max ? max : min;
  return f.signed ? BigInt.asIntN(f.bits, sum) : BigInt.asUintN(f.bits, sum);
}

/** The shared BITFIELD / BITFIELD_RO implementation (readOnly: only GET is allowed). */
function bitfieldGeneric(ctx: Ctx, readOnly: boolean): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const ops: FieldOp[] = [];
  let overflow = WRAP;
  let writes = false;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j]!.toUpperCase();
    let op: number;
    if (sub === 'GET' && rem >= 2) op = OP_GET;
    else if (sub === 'SET' && rem >= 3) op = OP_SET;
    else if (sub === 'INCRBY' && rem >= 3) op = OP_INCRBY;
    else if (sub === 'OVERFLOW' && rem >= 1) {
      const t = argv[++j]!.toUpperCase();
      if (t === 'WRAP') overflow = WRAP;
      else if (t === 'SAT') overflow = SAT;
      else if (t === 'FAIL') overflow = FAIL;
      else throw new ReplyError(Err.bitfieldOverflow);
      continue;
    } else throw new ReplyError(Err.syntax);
    const { signed, bits } = fieldType(argv[j + 1]!);
    const offset = bitOffset(ctx, argv[j + 2]!, bits);
    let value = 0n;
    if (op !== OP_GET) {
      writes = true;
      if (offset + bits - 1 > highest) highest = offset + bits - 1;
      const n = parseInt64(argv[j + 3]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      value = BigInt(n);
    }
    ops.push({ op, signed, bits, offset, value, overflow });
    j += op === OP_GET ? 2 : 3;
  }
  let src: Bytes = '';
  let buf: Buffer | null = null;
  let old: StrValue | undefined;
  let grown = false;
  if (!writes) {
    const v = db.read(key);
    if (v !== undefined && !isString(v)) throw new ReplyError(Err.wrongType);
    if (v !== undefined) src = bytesOf(v);
  } else {
    if (readOnly) throw new ReplyError(Err.bitfieldRo);
    old = lookupString(db, key, true);
    const need = Math.floor(highest / 8) + 1;
    grown = old === undefined || strLen(old) < need;
    buf = mutableBuf(old, need);
    src = buf;
  }
  let changes = 0;
  reply.array(ops.length);
  for (const f of ops) {
    const raw = getField(src, f.offset, f.bits);
    const cur = f.signed ? BigInt.asIntN(f.bits, raw) : raw;
    if (f.op === OP_GET) {
      reply.int(cur);
      continue;
    }
    const next = fieldResult(f, cur);
    if (next === null) {
      reply.null();
      continue;
    }
    reply.int(f.op === OP_INCRBY ? next : cur);
    setField(buf!, f.offset, f.bits, next);
    if (grown || next !== cur) changes++;
  }
  // As Redis 7.2: a SET/INCRBY counts (dirty, event, WATCH) when it changed the
  // value or the key was created or extended; a created or extended key is
  // stored even when every write failed (overflow FAIL), counting nothing; an
  // existing value becomes a mutable ("raw") buffer either way.
  if (buf !== null) {
    if (changes > 0) storeMutated(ctx, key, old, buf, changes);
    else if (grown) db.set(key, buf, true, 0);
    else if (buf !== old) db.replaceRepresentation(key, buf);
  }
  if (changes > 0) db.notify('$', 'setbit', key);
}

/** BITFIELD key [GET encoding offset | [OVERFLOW WRAP|SAT|FAIL] SET encoding offset value | INCRBY encoding offset increment ...] */
function bitfield(ctx: Ctx): void {
  bitfieldGeneric(ctx, false);
}

/** BITFIELD_RO key [GET encoding offset ...] */
function bitfieldRo(ctx: Ctx): void {
  bitfieldGeneric(ctx, true);
}

export const commands: CommandSpec[] = [
  command({
    name: 'setbit',
    arity: 4,
    flags: ['write', 'denyoom'],
    acl: ['bitmap'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'bitmap',
    since: '2.2.0',
    summary: 'Sets or clears one bit of a string value and returns its previous value.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'offset', type: 'integer' }, { name: 'value', type: 'integer' }],
    handler: setbit,
  }),
  command({
    name: 'getbit',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['bitmap'],
    keySpecs: [keyAt(1, READ)],
    group: 'bitmap',
    since: '2.2.0',
    summary: 'Returns one bit of a string value (zero beyond its end).',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'offset', type: 'integer' }],
    handler: getbit,
  }),
  command({
    name: 'bitcount',
    arity: -2,
    flags: ['readonly'],
    acl: ['bitmap'],
    keySpecs: [keyAt(1, READ)],
    group: 'bitmap',
    since: '2.6.0',
    summary: 'Counts the set bits of a string value, optionally within a byte or bit range.',
    complexity: 'O(N)',
    history: [['7.0.0', 'Added the `BYTE|BIT` option.']],
    args: [
      keyArg(),
      {
        name: 'index',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'start', type: 'integer' },
          { name: 'end', type: 'integer' },
          {
            name: 'index_unit',
            type: 'oneof',
            since: '7.0.0',
            flags: ['optional'],
            arguments: [
              { name: 'byte', type: 'pure-token', token: 'BYTE' },
              { name: 'bit', type: 'pure-token', token: 'BIT' },
            ],
          },
        ],
      },
    ],
    handler: bitcount,
  }),
  command({
    name: 'bitpos',
    arity: -3,
    flags: ['readonly'],
    acl: ['bitmap'],
    keySpecs: [keyAt(1, READ)],
    group: 'bitmap',
    since: '2.8.7',
    summary: 'Finds the first set or clear bit of a string value, optionally within a range.',
    complexity: 'O(N)',
    history: [['7.0.0', 'Added the `BYTE|BIT` option.']],
    args: [
      keyArg(),
      { name: 'bit', type: 'integer' },
      {
        name: 'index',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'start', type: 'integer' },
          {
            name: 'end_index',
            type: 'block',
            flags: ['optional'],
            arguments: [
              { name: 'end', type: 'integer' },
              {
                name: 'index_unit',
                type: 'oneof',
                since: '7.0.0',
                flags: ['optional'],
                arguments: [
                  { name: 'byte', type: 'pure-token', token: 'BYTE' },
                  { name: 'bit', type: 'pure-token', token: 'BIT' },
                ],
              },
            ],
          },
        ],
      },
    ],
    handler: bitpos,
  }),
  command({
    name: 'bitop',
    arity: -4,
    flags: ['write', 'denyoom'],
    acl: ['bitmap'],
    keySpecs: [keyAt(2, OVERWRITE), keysFrom(3, READ)],
    group: 'bitmap',
    since: '2.6.0',
    summary: 'Combines string values bit by bit (AND, OR, XOR, NOT) into a destination key.',
    complexity: 'O(N)',
    args: [
      { name: 'operation', type: 'string' },
      { name: 'destkey', type: 'key', key_spec_index: 0 },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    handler: bitop,
  }),
  command({
    name: 'bitfield',
    arity: -2,
    flags: ['write', 'denyoom'],
    acl: ['bitmap'],
    keySpecs: [
      keyAt(
        1,
        ['RW', 'access', 'update', 'variable_flags'],
        'This command allows both access and modification of the key',
      ),
    ],
    group: 'bitmap',
    since: '3.2.0',
    summary: 'Reads, writes and increments integer fields of arbitrary width at bit offsets of a string value.',
    complexity: 'O(1) for each subcommand specified',
    args: [
      keyArg(),
      {
        name: 'operation',
        type: 'oneof',
        flags: ['optional', 'multiple'],
        arguments: [
          {
            name: 'encoding_offset',
            type: 'block',
            token: 'GET',
            arguments: [
              { name: 'encoding', type: 'string' },
              { name: 'offset', type: 'integer' },
            ],
          },
          {
            name: 'write',
            type: 'block',
            arguments: [
              {
                name: 'wrap_sat_fail',
                type: 'oneof',
                token: 'OVERFLOW',
                flags: ['optional'],
                arguments: [
                  { name: 'wrap', type: 'pure-token', token: 'WRAP' },
                  { name: 'sat', type: 'pure-token', token: 'SAT' },
                  { name: 'fail', type: 'pure-token', token: 'FAIL' },
                ],
              },
              {
                name: 'write_operation',
                type: 'oneof',
                arguments: [
                  {
                    name: 'encoding_offset_value',
                    type: 'block',
                    token: 'SET',
                    arguments: [
                      { name: 'encoding', type: 'string' },
                      { name: 'offset', type: 'integer' },
                      { name: 'value', type: 'integer' },
                    ],
                  },
                  {
                    name: 'encoding_offset_increment',
                    type: 'block',
                    token: 'INCRBY',
                    arguments: [
                      { name: 'encoding', type: 'string' },
                      { name: 'offset', type: 'integer' },
                      { name: 'increment', type: 'integer' },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    getKeys: bitfieldGetKeys,
    handler: bitfield,
  }),
  command({
    name: 'bitfield_ro',
    arity: -2,
    flags: ['readonly', 'fast'],
    acl: ['bitmap'],
    keySpecs: [keyAt(1, READ)],
    group: 'bitmap',
    since: '6.0.0',
    summary: 'Reads integer fields of a string value (the read-only form of BITFIELD).',
    complexity: 'O(1) for each subcommand specified',
    args: [
      keyArg(),
      {
        name: 'encoding_offset',
        type: 'block',
        token: 'GET',
        flags: ['optional', 'multiple', 'multiple_token'],
        arguments: [
          { name: 'encoding', type: 'string' },
          { name: 'offset', type: 'integer' },
        ],
      },
    ],
    handler: bitfieldRo,
  }),
];

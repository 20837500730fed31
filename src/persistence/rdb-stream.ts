/**
 * Streams in RDB files and DUMP payloads, in Redis 7.0's
 * RDB_TYPE_STREAM_LISTPACKS_2 layout (read: versions 1, 2 and 7.2's 3):
 *
 *   nodes: count, then per node its 16-byte big-endian master ID and its
 *     listpack (live count, deleted count, master field count, the master
 *     fields, 0, then per entry flags, ms and seq deltas from the master ID,
 *     [field count and fields] values, and the entry's element count);
 *   length, last ID, first ID, max deleted ID, entries added;
 *   groups: count, then per group its name, last ID, entries read, its PEL
 *     (16-byte IDs with delivery time and count) and its consumers (name,
 *     seen time, [active time in 7.2's layout], their PEL as 16-byte IDs).
 *
 * The node boundaries are types/stream.ts's (Redis's own), so the listpacks
 * written here are byte for byte the ones redis-server writes. Called by
 * rdb.ts (writeValue) and rdb-load.ts (readValue).
 */
import { RdbWriter, ListpackBuilder, T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_3 } from './rdb.js';
import { RdbReader, listpackEntries } from './rdb-load.js';
import { Consumer, ENTRIES_READ_INVALID, Group, Stream, StreamNode, makeId, type Nack, type StreamId } from '../types/stream.js';

const U64 = 0xffffffffffffffffn;
const F_DELETED = 1;
const F_SAMEFIELDS = 2;

/** A length that may need all 64 bits (IDs, -1 as 2^64-1). */
function writeLen(w: RdbWriter, v: bigint | number): void {
  const b = BigInt.asUintN(64, BigInt(v));
  if (b <= 0xffffffffn) return w.len(Number(b));
  const buf = Buffer.alloc(9);
  buf[0] = 0x81;
  buf.writeBigUInt64BE(b, 1);
  w.bytes(buf);
}

function readLen(r: RdbReader): bigint {
  if (r.pos < r.end && r.buf[r.pos] === 0x81) {
    const b = r.bytes(9);
    return b.readBigUInt64BE(1);
  }
  return BigInt(r.plainLen());
}

function idBytes(id: StreamId): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(id >> 64n, 0);
  b.writeBigUInt64BE(id & U64, 8);
  return b;
}

function idFrom(b: Buffer): StreamId {
  return (b.readBigUInt64BE(0) << 64n) | b.readBigUInt64BE(8);
}

function lpInt(lb: ListpackBuilder, v: bigint): void {
  lb.int(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);
}

/** A node's listpack as Redis holds it. */
function nodeListpack(n: StreamNode): Buffer {
  const lb = new ListpackBuilder();
  lb.int(n.live);
  lb.int(n.dead);
  lb.int(n.masterFields.length);
  for (const f of n.masterFields) lb.str(f);
  lb.int(0);
  const mMs = n.master >> 64n;
  const mSeq = n.master & U64;
  for (let i = 0; i < n.ids.length; i++) {
    const id = n.ids[i]!;
    const fv = n.fvs[i]!;
    const flags = n.flags[i]!;
    lb.int(flags);
    lpInt(lb, BigInt.asIntN(64, (id >> 64n) - mMs));
    lpInt(lb, BigInt.asIntN(64, (id & U64) - mSeq));
    const nf = fv.length / 2;
    if (flags & F_SAMEFIELDS) {
      for (let j = 1; j < fv.length; j += 2) lb.str(fv[j]!);
      lb.int(nf + 3);
    } else {
      lb.int(nf);
      for (const x of fv) lb.str(x);
      lb.int(nf * 2 + 4);
    }
  }
  return Buffer.from(lb.finish());
}

/** Writes a stream's serialization (the type byte is the caller's). */
export function writeStream(w: RdbWriter, s: Stream): void {
  w.len(s.nodes.length);
  for (const n of s.nodes) {
    w.str(idBytes(n.master));
    w.str(nodeListpack(n));
  }
  w.len(s.length);
  for (const id of [s.lastId, s.firstId, s.maxDeletedId]) {
    writeLen(w, id >> 64n);
    writeLen(w, id & U64);
  }
  writeLen(w, s.entriesAdded);
  const groups = s.sortedGroups();
  w.len(groups.length);
  for (const g of groups) {
    w.str(g.name);
    writeLen(w, g.lastId >> 64n);
    writeLen(w, g.lastId & U64);
    writeLen(w, g.entriesRead);
    w.len(g.pel.size);
    for (const [id, n] of g.pel.from(0)) {
      w.bytes(idBytes(id));
      w.i64le(n.deliveryTime);
      writeLen(w, n.deliveryCount);
    }
    const cs = g.sortedConsumers();
    w.len(cs.length);
    for (const c of cs) {
      w.str(c.name);
      w.i64le(c.seenTime);
      w.len(c.pel.size);
      for (const [id] of c.pel.from(0)) w.bytes(idBytes(id));
    }
  }
}

/** Reads a stream of RDB type 15, 19 or 21 (after its type byte). */
export function readStream(r: RdbReader, type: number): Stream {
  const at = r.pos;
  const s = new Stream();
  const nodes = r.plainLen();
  for (let k = 0; k < nodes; k++) {
    const kat = r.pos;
    const key = r.strBytes();
    if (key.length !== 16) r.fail('stream node key is not a 128-bit ID', kat);
    const master = idFrom(key);
    const lat = r.pos;
    const e = listpackEntries(r.strBytes(), r, lat);
    const num = (i: number): bigint => {
      const x = e[i];
      if (x === undefined || !/^-?[0-9]+$/.test(x)) r.fail('malformed stream listpack', lat);
      return BigInt(x);
    };
    const live = Number(num(0));
    const dead = Number(num(1));
    const nf = Number(num(2));
    const fields = e.slice(3, 3 + nf);
    let i = 3 + nf;
    if (num(i++) !== 0n) r.fail('malformed stream listpack (master entry)', lat);
    const node = new StreamNode(master, fields);
    const mMs = master >> 64n;
    const mSeq = master & U64;
    while (i < e.length) {
      const flags = Number(num(i++));
      const ms = (mMs + num(i++)) & U64;
      const seq = (mSeq + num(i++)) & U64;
      let fv: string[];
      if (flags & F_SAMEFIELDS) {
        fv = [];
        for (let j = 0; j < nf; j++) fv.push(fields[j]!, e[i + j]!);
        i += nf;
      } else {
        const n = Number(num(i++));
        fv = e.slice(i, i + n * 2);
        i += n * 2;
      }
      i++; // the entry's element count
      if (i > e.length || fv.some((x) => x === undefined)) r.fail('malformed stream listpack (entry)', lat);
      const id = makeId(ms, seq);
      if (node.ids.length > 0 && id <= node.ids[node.ids.length - 1]!) r.fail('stream entries out of order', lat);
      node.append(id, fv);
      if (flags & F_DELETED) node.markDeleted(node.ids.length - 1);
    }
    if (node.live !== live || node.dead !== dead) r.fail('stream listpack counters do not match its entries', lat);
    if (node.ids.length === 0) r.fail('empty stream listpack', lat);
    s.nodes.push(node);
  }
  s.length = r.plainLen();
  const id = (): StreamId => makeId(readLen(r), readLen(r));
  s.lastId = id();
  if (type !== T_STREAM_LISTPACKS) {
    s.firstId = id();
    s.maxDeletedId = id();
    s.entriesAdded = Number(readLen(r));
  } else {
    s.firstId = s.edge(false)?.[0] ?? 0n;
    s.entriesAdded = s.length;
  }
  let live = 0;
  for (const n of s.nodes) live += n.live;
  if (live !== s.length) r.fail('stream length does not match its entries', at);
  const groups = r.plainLen();
  for (let k = 0; k < groups; k++) {
    const name = r.str();
    const lastId = id();
    let entriesRead: number;
    if (type !== T_STREAM_LISTPACKS) {
      const v = BigInt.asIntN(64, readLen(r));
      entriesRead = Number(v);
    } else entriesRead = s.estimateDistance(lastId);
    const g = new Group(name, lastId, entriesRead < 0 ? ENTRIES_READ_INVALID : entriesRead);
    const pel = r.plainLen();
    const nacks = new Map<StreamId, Nack>();
    for (let j = 0; j < pel; j++) {
      const pid = idFrom(r.bytes(16));
      const t = r.i64le();
      const count = Number(readLen(r));
      const nack: Nack = { id: pid, consumer: null as unknown as Consumer, deliveryTime: Number(t), deliveryCount: count };
      nacks.set(pid, nack);
      g.pel.set(pid, nack);
    }
    const consumers = r.plainLen();
    for (let j = 0; j < consumers; j++) {
      const cname = r.str();
      const seen = Number(r.i64le());
      const active = type === T_STREAM_LISTPACKS_3 ? Number(r.i64le()) : seen;
      const c = new Consumer(cname, seen, active);
      const cp = r.plainLen();
      for (let q = 0; q < cp; q++) {
        const cat = r.pos;
        const pid = idFrom(r.bytes(16));
        const nack = nacks.get(pid);
        if (nack === undefined) r.fail('consumer PEL entry missing from the group PEL', cat);
        nack.consumer = c;
        c.pel.set(pid, nack);
      }
      g.consumers.set(cname, c);
    }
    for (const n of nacks.values()) if (n.consumer === null) r.fail('group PEL entry owned by no consumer', at);
    s.groups.set(name, g);
  }
  return s;
}

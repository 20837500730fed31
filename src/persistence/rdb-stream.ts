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
import { Buffer } from 'node:buffer';
import { RdbWriter, T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_3 } from './rdb-format.js';
import { RdbReader, WHY, type ValueCtx } from './rdb-reader.js';
import { ListpackBuilder, listpackEntries } from './rdb-compact.js';
import { isInt64Text } from '../types/set.js';
import {
  Consumer,
  ENTRIES_READ_INVALID,
  Group,
  Stream,
  StreamNode,
  IdMap,
  makeId,
  type Nack,
  type StreamId,
} from '../types/stream.js';
import { narrowInt64 } from '../util/numbers.js';

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
  lb.int(narrowInt64(v));
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
  for (let i = 0; i < n.count; i++) {
    const id = n.idAt(i);
    const fv = n.fvAt(i);
    const flags = n.flagsAt(i);
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
    for (const [id, n] of g.pel.from()) {
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
      for (const [id] of c.pel.from()) w.bytes(idBytes(id));
    }
  }
}

/**
 * Reads a stream of RDB type 15, 19 or 21 (after its type byte), refusing
 * what would break the stream's invariants, with Redis 7.2.4's reason where
 * it has one:
 *  - each node's listpack as streamValidateListpackIntegrity checks it (the
 *    counters, the master entry and its zero terminator, each entry's flags,
 *    ID deltas, fields, values and element count), its counters matching
 *    its entries, at least one live entry (tsdis drops a node whose last
 *    entry goes, as Redis does); node IDs unique (Redis: "Listpack re-added
 *    with existing key");
 *  - every entry ID at or after its node's master ID and after the one
 *    before it, across nodes (nodes are put in ID order, as Redis's rax
 *    keeps them), and the stream's last ID at or after all of them (else
 *    XADD * could go backwards);
 *  - the length matching the live entries;
 *  - groups: names unique, global PEL IDs unique, consumer names unique,
 *    each consumer PEL entry in the global PEL and owned by one consumer
 *    only, every global PEL entry owned (Redis checks that last one only
 *    with sanitize-dump-payload; tsdis always: an unowned NACK has no
 *    consumer to report).
 * Short reads are reported with the reason Redis's stream loader gives for
 * the field being read.
 */
export function readStream(r: RdbReader, type: number, ctx: ValueCtx): Stream {
  const at = r.pos;
  const s = new Stream();
  const nodes = r.as(WHY.streamNodes, () => r.plainLen());
  for (let k = 0; k < nodes; k++) {
    const kat = r.pos;
    const key = r.as(WHY.streamMasterId, () => r.strBytes());
    if (key.length !== 16) r.fail('stream node key is not a 128-bit ID', kat, WHY.streamNodeKey);
    const lat = r.pos;
    const blob = r.as(WHY.streamListpackRead, () => r.strBytes());
    if (ctx.deep) ctx.sanitizations++;
    s.nodes.push(readNode(r, idFrom(key), listpackEntries(blob, r, lat, WHY.streamListpack, false), lat));
  }
  // nodes in ID order, each entry after the one before it
  s.nodes.sort((a, b) => (a.master < b.master ? -1 : a.master > b.master ? 1 : 0));
  let top = -1n;
  for (let k = 0; k < s.nodes.length; k++) {
    const n = s.nodes[k]!;
    if (k > 0 && n.master === s.nodes[k - 1]!.master)
      r.fail('two stream nodes with the same master ID', at, WHY.streamNodeDup);
    if (n.idAt(0) <= top) r.fail('stream nodes overlap', at, WHY.streamListpack);
    top = n.idAt(n.count - 1);
  }
  const meta = r.pos;
  const id = (): StreamId => makeId(r.len64(), r.len64());
  r.as(WHY.streamMeta, () => {
    s.length = r.plainLen();
    s.lastId = id();
    if (type !== T_STREAM_LISTPACKS) {
      s.firstId = id();
      s.maxDeletedId = id();
      s.entriesAdded = Number(r.len64());
    }
  });
  if (type === T_STREAM_LISTPACKS) {
    s.firstId = s.edge(false)?.[0] ?? 0n;
    s.entriesAdded = s.length;
  }
  let live = 0;
  for (const n of s.nodes) live += n.live;
  if (live !== s.length) r.fail(`stream length ${s.length} does not match its ${live} entries`, meta, WHY.streamLength);
  if (top >= 0n && s.lastId < top) r.fail('stream last ID before its last entry', meta, WHY.streamMeta);
  const groups = r.as(WHY.streamGroups, () => r.plainLen());
  for (let k = 0; k < groups; k++) {
    const name = r.as(WHY.streamGroupName, () => r.str());
    const lastId = r.as(WHY.streamGroupId, id);
    let entriesRead: number;
    if (type !== T_STREAM_LISTPACKS)
      entriesRead = Number(
        BigInt.asIntN(
          64,
          r.as(WHY.streamGroupOffset, () => r.len64()),
        ),
      );
    else entriesRead = s.estimateDistance(lastId);
    if (s.groups.has(name)) r.fail('duplicate consumer group', at, WHY.streamGroupDup(name));
    const g = new Group(name, lastId, entriesRead < 0 ? ENTRIES_READ_INVALID : entriesRead);
    s.groups.set(name, g);
    readGroupPels(r, type, g);
  }
  s.recount();
  return s;
}

/** A stream node from its master ID and listpack entries (see readStream). */
function readNode(r: RdbReader, master: StreamId, e: string[], lat: number): StreamNode {
  const bad = (d: string): never => r.fail(`malformed stream listpack (${d})`, lat, WHY.streamListpack);
  if (e.length === 0) r.fail('empty stream listpack', lat, WHY.streamEmptyListpack);
  let i = 0;
  // the next entry as an integer (an integer or a string that is one, as lpGetIntegerIfValid)
  const int = (what: string): bigint => {
    const x = e[i++];
    if (x === undefined) return bad(`${what} missing`);
    if (!isInt64Text(x)) return bad(`${what} is not an integer`);
    return BigInt(x);
  };
  const live = int('live count');
  const dead = int('deleted count');
  const nf = int('master field count');
  if (live < 0n || dead < 0n || nf < 0n || nf > BigInt(e.length)) bad('counters out of range');
  const fields = e.slice(i, i + Number(nf));
  i += fields.length;
  if (int('master terminator') !== 0n) bad('master entry not terminated by 0');
  let bytes = 0; // the strings with a length byte each: room for the node's data
  for (const x of e) bytes += x.length + 1;
  const node = new StreamNode(master, fields, Math.min(Number(live + dead), e.length), bytes);
  const mMs = master >> 64n;
  const mSeq = master & U64;
  let last = -1n;
  for (let j = 0n; j < live + dead; j++) {
    if (i >= e.length) bad('fewer entries than counted');
    const flags = int('flags');
    const ms = (mMs + int('ID delta')) & U64;
    const seq = (mSeq + int('ID delta')) & U64;
    let fv: string[];
    let lpCount: bigint;
    if (flags & BigInt(F_SAMEFIELDS)) {
      if (i + fields.length > e.length) bad('values missing');
      fv = [];
      for (let q = 0; q < fields.length; q++) fv.push(fields[q]!, e[i + q]!);
      i += fields.length;
      lpCount = BigInt(fields.length) + 3n;
    } else {
      const n = int('field count');
      if (n < 0n || n * 2n > BigInt(e.length - i)) bad('fields missing');
      fv = e.slice(i, i + Number(n) * 2);
      i += fv.length;
      lpCount = n * 2n + 4n;
    }
    if (int('element count') !== lpCount) bad('element count differs');
    const id = makeId(ms, seq);
    if (id < master) bad('entry ID before the master ID');
    if (id <= last) bad('entries out of order');
    last = id;
    node.append(id, fv, 0);
    if (flags & BigInt(F_DELETED)) node.markDeleted(node.count - 1);
  }
  if (i !== e.length) bad('more entries than counted');
  if (BigInt(node.live) !== live || BigInt(node.dead) !== dead) bad('counters differ from the entries');
  if (node.live === 0) r.fail('stream listpack with no live entry', lat, WHY.streamEmptyListpack);
  node.seal();
  return node;
}

/** A group's global PEL and its consumers with their PELs (see readStream). */
function readGroupPels(r: RdbReader, type: number, g: Group): void {
  const at = r.pos;
  const pelSize = r.as(WHY.streamPelSize, () => r.plainLen());
  // the global PEL, owned once the consumers are read
  const pending = new IdMap<{ time: number; count: number; nack: Nack | null }>();
  for (let j = 0; j < pelSize; j++) {
    const pat = r.pos;
    const pid = idFrom(r.as(WHY.streamPelId, () => r.bytes(16)));
    const [time, count] = r.as(WHY.streamPelNack, () => [Number(r.i64le()), Number(r.len64())] as const);
    if (pending.has(pid)) r.fail('duplicate group PEL entry', pat, WHY.streamPelDup);
    pending.set(pid, { time, count, nack: null });
  }
  const consumers = r.as(WHY.streamConsumers, () => r.plainLen());
  for (let j = 0; j < consumers; j++) {
    const cat = r.pos;
    const cname = r.as(WHY.streamConsumerName, () => r.str());
    if (g.consumers.has(cname)) r.fail('duplicate consumer', cat, WHY.streamConsumerDup);
    const seen = Number(r.as(WHY.streamSeenTime, () => r.i64le()));
    const active = type === T_STREAM_LISTPACKS_3 ? Number(r.as(WHY.streamActiveTime, () => r.i64le())) : seen;
    const c = new Consumer(cname, seen, active);
    g.consumers.set(cname, c);
    const cp = r.as(WHY.streamConsumerPelSize, () => r.plainLen());
    const ids: StreamId[] = [];
    for (let q = 0; q < cp; q++) {
      const pat = r.pos;
      const pid = idFrom(r.as(WHY.streamConsumerPelId, () => r.bytes(16)));
      const p = pending.get(pid);
      if (p === undefined) r.fail('consumer PEL entry missing from the group PEL', pat, WHY.streamConsumerPelMissing);
      if (p.nack !== null) r.fail('PEL entry owned twice', pat, WHY.streamConsumerPelDup);
      p.nack = { id: pid, consumer: c, deliveryTime: p.time, deliveryCount: p.count };
      ids.push(pid);
    }
    ids.sort(cmpId);
    for (const pid of ids) c.pel.set(pid, pending.get(pid)!.nack!);
  }
  for (const [pid, p] of pending.from()) {
    if (p.nack === null) r.fail('group PEL entry owned by no consumer', at, WHY.streamPelOrphan);
    g.pel.set(pid, p.nack);
  }
}

function cmpId(a: StreamId, b: StreamId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

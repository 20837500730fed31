/**
 * The Redis Cluster bus message format (Redis 7's clusterMsg), encoded and
 * decoded byte for byte: every integer big-endian, names 40 bytes of hex,
 * IPs 46 bytes NUL-padded. A message is a 2256-byte header (the fixed part
 * of clusterMsg) and a body by type:
 *
 *   PING / PONG / MEET   `count` gossip entries of 104 bytes, then (flag
 *                        EXT_DATA in mflags[0]) `extensions` ping
 *                        extensions: length u32, type u16, 2 unused bytes,
 *                        data padded to 8 bytes (7.x: hostname, human
 *                        nodename, forgotten node, shard id)
 *   FAIL                 the failing node's name (40)
 *   PUBLISH(SHARD)       channel length u32, message length u32, the bytes
 *   UPDATE               configEpoch u64, node name (40), slot bitmap (2048)
 *   FAILOVER_AUTH_*, MFSTART   nothing;   MODULE  id u64, len u32, type u8, data
 *
 * Pure functions, no I/O: the link (cluster/link.ts) frames, the cluster
 * (cluster/cluster.ts) decides. The expected length check is Redis's
 * clusterProcessPacket's, so a message Redis would drop is dropped here.
 */
import { Buffer } from 'node:buffer';

export const SIG = 'RCmb';
export const PROTO_VER = 1;
export const NAMELEN = 40;
export const IPLEN = 46;
/** Size of the fixed part of clusterMsg (CLUSTERMSG_MIN_LEN): the smallest totlen accepted. */
export const HEADER_LEN = 2256;
/** sizeof(clusterMsgDataGossip). */
export const GOSSIP_LEN = 104;
/** sizeof(union clusterMsgData): the UPDATE body, the largest. */
export const UPDATE_BODY_LEN = 8 + NAMELEN + 2048;

export const MSG_PING = 0;
export const MSG_PONG = 1;
export const MSG_MEET = 2;
export const MSG_FAIL = 3;
export const MSG_PUBLISH = 4;
export const MSG_FAILOVER_AUTH_REQUEST = 5;
export const MSG_FAILOVER_AUTH_ACK = 6;
export const MSG_UPDATE = 7;
export const MSG_MFSTART = 8;
export const MSG_MODULE = 9;
export const MSG_PUBLISHSHARD = 10;
export const MSG_TYPE_COUNT = 11;

/** Names of the types as CLUSTER INFO's stats and log lines print them. */
export const MSG_TYPE_NAMES = [
  'ping',
  'pong',
  'meet',
  'fail',
  'publish',
  'auth-req',
  'auth-ack',
  'update',
  'mfstart',
  'module',
  'publishshard',
];

export function msgTypeName(t: number): string {
  return MSG_TYPE_NAMES[t] ?? 'unknown';
}

/** mflags[0] bits. */
export const MFLAG0_PAUSED = 1;
export const MFLAG0_FORCEACK = 2;
export const MFLAG0_EXT_DATA = 4;

/** Ping extension types (clusterMsgPingtypes). */
export const EXT_HOSTNAME = 0;
export const EXT_HUMAN_NODENAME = 1;
export const EXT_FORGOTTEN_NODE = 2;
export const EXT_SHARDID = 3;

/** Field offsets in the header. */
const O_TOTLEN = 4;
const O_VER = 8;
const O_PORT = 10;
const O_TYPE = 12;
const O_COUNT = 14;
const O_CURRENT_EPOCH = 16;
const O_CONFIG_EPOCH = 24;
const O_OFFSET = 32;
const O_SENDER = 40;
const O_MYSLOTS = 80;
const O_SLAVEOF = 2128;
const O_MYIP = 2168;
const O_EXTENSIONS = 2214;
const O_PPORT = 2246;
const O_CPORT = 2248;
const O_FLAGS = 2250;
const O_STATE = 2252;
const O_MFLAGS = 2253;

/** What the header says about its sender (clusterBuildMessageHdr's inputs). */
export interface HeaderFields {
  type: number;
  port: number;
  pport: number;
  cport: number;
  currentEpoch: number;
  configEpoch: number;
  offset: number;
  sender: string;
  /** 2048 bytes. */
  myslots: Uint8Array;
  /** '' for a master. */
  slaveof: string;
  /** '' unless cluster-announce-ip. */
  myip: string;
  flags: number;
  /** 0 ok, 1 fail. */
  state: number;
  mflags0: number;
}

/** A gossip entry (clusterMsgDataGossip). */
export interface Gossip {
  name: string;
  /** Seconds (Redis sends ms / 1000, truncated to 32 bits). */
  pingSent: number;
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
}

/** A ping extension as sent: its type and data (before padding). */
export interface PingExt {
  type: number;
  data: Buffer;
}

/** A fixed-width NUL-padded field: the text up to its first NUL. */
function readCStr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.latin1Slice(off, end < 0 || end > off + len ? off + len : end);
}

/** Writes `s` (latin1) into a NUL-padded field of `len` bytes (the buffer is zeroed). */
function writeCStr(b: Buffer, off: number, len: number, s: string): void {
  b.latin1Write(s.length > len ? s.slice(0, len) : s, off);
}

function writeU64(b: Buffer, off: number, v: number): void {
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(Math.max(0, Math.trunc(v)))), off);
}

function readU64(b: Buffer, off: number): number {
  return Number(b.readBigUInt64BE(off));
}

/** Length of a ping extension for `dataLen` bytes of data: 8 bytes of header plus the data padded to 8. */
export function pingExtSize(dataLen: number): number {
  return 8 + Math.ceil(dataLen / 8) * 8;
}

/** Fills the fixed header of `b` (zeroed, `b.length` = totlen). */
function writeHeader(b: Buffer, h: HeaderFields): void {
  b.latin1Write(SIG, 0);
  b.writeUInt32BE(b.length, O_TOTLEN);
  b.writeUInt16BE(PROTO_VER, O_VER);
  b.writeUInt16BE(h.port, O_PORT);
  b.writeUInt16BE(h.type, O_TYPE);
  writeU64(b, O_CURRENT_EPOCH, h.currentEpoch);
  writeU64(b, O_CONFIG_EPOCH, h.configEpoch);
  writeU64(b, O_OFFSET, h.offset);
  writeCStr(b, O_SENDER, NAMELEN, h.sender);
  b.set(h.myslots, O_MYSLOTS);
  if (h.slaveof !== '') writeCStr(b, O_SLAVEOF, NAMELEN, h.slaveof);
  if (h.myip !== '') writeCStr(b, O_MYIP, IPLEN - 1, h.myip);
  b.writeUInt16BE(h.pport, O_PPORT);
  b.writeUInt16BE(h.cport, O_CPORT);
  b.writeUInt16BE(h.flags & 0xffff, O_FLAGS);
  b[O_STATE] = h.state;
  b[O_MFLAGS] = h.mflags0;
}

/** A PING, PONG or MEET: header, gossip entries, extensions (EXT_DATA set when there are any). */
export function encodePing(h: HeaderFields, gossip: readonly Gossip[], exts: readonly PingExt[]): Buffer {
  let len = HEADER_LEN + GOSSIP_LEN * gossip.length;
  for (const e of exts) len += pingExtSize(e.data.length);
  const b = Buffer.alloc(len);
  writeHeader(b, { ...h, mflags0: h.mflags0 | (exts.length !== 0 ? MFLAG0_EXT_DATA : 0) });
  b.writeUInt16BE(gossip.length, O_COUNT);
  b.writeUInt16BE(exts.length, O_EXTENSIONS);
  let off = HEADER_LEN;
  for (const g of gossip) {
    writeCStr(b, off, NAMELEN, g.name);
    b.writeUInt32BE(g.pingSent >>> 0, off + 40);
    b.writeUInt32BE(g.pongReceived >>> 0, off + 44);
    writeCStr(b, off + 48, IPLEN - 1, g.ip);
    b.writeUInt16BE(g.port, off + 94);
    b.writeUInt16BE(g.cport, off + 96);
    b.writeUInt16BE(g.flags & 0xffff, off + 98);
    b.writeUInt16BE(g.pport, off + 100);
    off += GOSSIP_LEN;
  }
  for (const e of exts) {
    const size = pingExtSize(e.data.length);
    b.writeUInt32BE(size, off);
    b.writeUInt16BE(e.type, off + 4);
    e.data.copy(b, off + 8);
    off += size;
  }
  return b;
}

/** A message that is its header alone: FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART. */
export function encodeHeaderOnly(h: HeaderFields): Buffer {
  const b = Buffer.alloc(HEADER_LEN);
  writeHeader(b, h);
  return b;
}

/** A FAIL about `name`. */
export function encodeFail(h: HeaderFields, name: string): Buffer {
  const b = Buffer.alloc(HEADER_LEN + NAMELEN);
  writeHeader(b, h);
  writeCStr(b, HEADER_LEN, NAMELEN, name);
  return b;
}

/** A PUBLISH or PUBLISHSHARD of `message` on `channel` (latin1 strings). */
export function encodePublish(h: HeaderFields, channel: string, message: string): Buffer {
  const b = Buffer.alloc(HEADER_LEN + 8 + channel.length + message.length);
  writeHeader(b, h);
  b.writeUInt32BE(channel.length, HEADER_LEN);
  b.writeUInt32BE(message.length, HEADER_LEN + 4);
  b.latin1Write(channel, HEADER_LEN + 8);
  b.latin1Write(message, HEADER_LEN + 8 + channel.length);
  return b;
}

/** An UPDATE telling the receiver `name` owns `slots` at `configEpoch`. */
export function encodeUpdate(h: HeaderFields, configEpoch: number, name: string, slots: Uint8Array): Buffer {
  const b = Buffer.alloc(HEADER_LEN + UPDATE_BODY_LEN);
  writeHeader(b, h);
  writeU64(b, HEADER_LEN, configEpoch);
  writeCStr(b, HEADER_LEN + 8, NAMELEN, name);
  b.set(slots, HEADER_LEN + 48);
  return b;
}

/** A received message's header, decoded (the body stays in `buf`). */
export interface Message extends HeaderFields {
  buf: Buffer;
  totlen: number;
  ver: number;
  count: number;
  extensions: number;
}

/** Decodes the header of one complete message (`buf.length` = totlen >= HEADER_LEN). */
export function decodeHeader(buf: Buffer): Message {
  return {
    buf,
    totlen: buf.readUInt32BE(O_TOTLEN),
    ver: buf.readUInt16BE(O_VER),
    port: buf.readUInt16BE(O_PORT),
    type: buf.readUInt16BE(O_TYPE),
    count: buf.readUInt16BE(O_COUNT),
    currentEpoch: readU64(buf, O_CURRENT_EPOCH),
    configEpoch: readU64(buf, O_CONFIG_EPOCH),
    offset: readU64(buf, O_OFFSET),
    sender: buf.latin1Slice(O_SENDER, O_SENDER + NAMELEN),
    myslots: buf.subarray(O_MYSLOTS, O_MYSLOTS + 2048),
    slaveof: buf[O_SLAVEOF] === 0 ? '' : buf.latin1Slice(O_SLAVEOF, O_SLAVEOF + NAMELEN),
    myip: readCStr(buf, O_MYIP, IPLEN),
    extensions: buf.readUInt16BE(O_EXTENSIONS),
    pport: buf.readUInt16BE(O_PPORT),
    cport: buf.readUInt16BE(O_CPORT),
    flags: buf.readUInt16BE(O_FLAGS),
    state: buf[O_STATE]!,
    mflags0: buf[O_MFLAGS]!,
  };
}

/** Whether a message's slaveof field is all zeroes (the sender is a master). */
export function slaveofIsNull(m: Message): boolean {
  for (let i = O_SLAVEOF; i < O_SLAVEOF + NAMELEN; i++) if (m.buf[i] !== 0) return false;
  return true;
}

/**
 * The length a message of its type must have (Redis's explen), or a reason
 * when its ping extensions are malformed. Unknown types are taken as well
 * formed (their totlen). The caller drops a message whose totlen differs.
 */
export function expectedLength(m: Message): number | string {
  const b = m.buf;
  switch (m.type) {
    case MSG_PING:
    case MSG_PONG:
    case MSG_MEET: {
      let explen = HEADER_LEN + GOSSIP_LEN * m.count;
      if ((m.mflags0 & MFLAG0_EXT_DATA) !== 0) {
        let n = m.extensions;
        while (n-- > 0) {
          if (explen + 8 > b.length)
            return `Received invalid ${msgTypeName(m.type)} packet with extension data that exceeds total packet length (${m.totlen})`;
          const extlen = b.readUInt32BE(explen);
          if (extlen % 8 !== 0)
            return `Received a ${msgTypeName(m.type)} packet without proper padding (${extlen & 0xffff} bytes)`;
          if (m.totlen - explen < extlen || extlen === 0)
            return `Received invalid ${msgTypeName(m.type)} packet with extension data that exceeds total packet length (${m.totlen})`;
          explen += extlen;
        }
      }
      return explen;
    }
    case MSG_FAIL:
      return HEADER_LEN + NAMELEN;
    case MSG_PUBLISH:
    case MSG_PUBLISHSHARD:
      if (b.length < HEADER_LEN + 8) return HEADER_LEN + 8;
      return HEADER_LEN + 8 + b.readUInt32BE(HEADER_LEN) + b.readUInt32BE(HEADER_LEN + 4);
    case MSG_FAILOVER_AUTH_REQUEST:
    case MSG_FAILOVER_AUTH_ACK:
    case MSG_MFSTART:
      return HEADER_LEN;
    case MSG_UPDATE:
      return HEADER_LEN + UPDATE_BODY_LEN;
    case MSG_MODULE:
      if (b.length < HEADER_LEN + 13) return HEADER_LEN + 13;
      return HEADER_LEN + 13 + b.readUInt32BE(HEADER_LEN + 8);
    default:
      return m.totlen;
  }
}

/** The gossip entries of a PING, PONG or MEET (length already checked). */
export function decodeGossip(m: Message): Gossip[] {
  const out: Gossip[] = [];
  const b = m.buf;
  for (let i = 0, off = HEADER_LEN; i < m.count; i++, off += GOSSIP_LEN) {
    out.push({
      name: b.latin1Slice(off, off + NAMELEN),
      pingSent: b.readUInt32BE(off + 40),
      pongReceived: b.readUInt32BE(off + 44),
      ip: readCStr(b, off + 48, IPLEN),
      port: b.readUInt16BE(off + 94),
      cport: b.readUInt16BE(off + 96),
      flags: b.readUInt16BE(off + 98),
      pport: b.readUInt16BE(off + 100),
    });
  }
  return out;
}

/** A received ping extension. */
export interface ReceivedExt {
  type: number;
  /** Hostname / human nodename: the text up to its NUL; shard id / forgotten node: the 40-char name. */
  text: string;
  /** Forgotten node: seconds it stays forgotten. */
  ttl: number;
}

/** The ping extensions of a PING, PONG or MEET (lengths already checked by expectedLength). */
export function decodeExtensions(m: Message): ReceivedExt[] {
  const out: ReceivedExt[] = [];
  if ((m.mflags0 & MFLAG0_EXT_DATA) === 0) return out;
  const b = m.buf;
  let off = HEADER_LEN + GOSSIP_LEN * m.count;
  for (let n = m.extensions; n > 0; n--) {
    const len = b.readUInt32BE(off);
    const type = b.readUInt16BE(off + 4);
    const data = off + 8;
    if (type === EXT_HOSTNAME || type === EXT_HUMAN_NODENAME)
      out.push({ type, text: readCStr(b, data, len - 8), ttl: 0 });
    else if (type === EXT_SHARDID) out.push({ type, text: b.latin1Slice(data, data + NAMELEN), ttl: 0 });
    else if (type === EXT_FORGOTTEN_NODE)
      out.push({ type, text: b.latin1Slice(data, data + NAMELEN), ttl: readU64(b, data + NAMELEN) });
    else out.push({ type, text: '', ttl: 0 });
    off += len;
  }
  return out;
}

/** A FAIL's node name. */
export function decodeFail(m: Message): string {
  return m.buf.latin1Slice(HEADER_LEN, HEADER_LEN + NAMELEN);
}

/** A PUBLISH's channel and message. */
export function decodePublish(m: Message): { channel: string; message: string } {
  const b = m.buf;
  const cl = b.readUInt32BE(HEADER_LEN);
  const ml = b.readUInt32BE(HEADER_LEN + 4);
  const at = HEADER_LEN + 8;
  return { channel: b.latin1Slice(at, at + cl), message: b.latin1Slice(at + cl, at + cl + ml) };
}

/** An UPDATE's contents. */
export function decodeUpdate(m: Message): { configEpoch: number; name: string; slots: Uint8Array } {
  const b = m.buf;
  return {
    configEpoch: readU64(b, HEADER_LEN),
    name: b.latin1Slice(HEADER_LEN + 8, HEADER_LEN + 48),
    slots: b.subarray(HEADER_LEN + 48, HEADER_LEN + 48 + 2048),
  };
}

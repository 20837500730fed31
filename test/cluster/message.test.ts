/**
 * The cluster bus message codec (src/cluster/message.ts) against the layout
 * of Redis 7's clusterMsg: field offsets, gossip entries of 104 bytes, ping
 * extensions padded to 8 bytes with the EXT_DATA flag, and the expected
 * length check that drops what Redis drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEADER_LEN,
  GOSSIP_LEN,
  MSG_PING,
  MSG_FAIL,
  MSG_UPDATE,
  MSG_PUBLISH,
  MFLAG0_EXT_DATA,
  EXT_HOSTNAME,
  EXT_SHARDID,
  encodePing,
  encodeFail,
  encodeUpdate,
  encodePublish,
  decodeHeader,
  decodeGossip,
  decodeExtensions,
  decodeFail,
  decodeUpdate,
  decodePublish,
  expectedLength,
  type HeaderFields,
} from '../../src/cluster/message.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function hdr(type: number): HeaderFields {
  const slots = new Uint8Array(2048);
  slots[0] = 0b101; // slots 0 and 2
  return {
    type,
    port: 7000,
    pport: 0,
    cport: 17000,
    currentEpoch: 9,
    configEpoch: 4,
    offset: 123,
    sender: A,
    myslots: slots,
    slaveof: '',
    myip: '10.0.0.1',
    flags: 1 | 16,
    state: 0,
    mflags0: 0,
  };
}

test('PING: header offsets, gossip, extensions', () => {
  const g = { name: B, pingSent: 5, pongReceived: 6, ip: '127.0.0.1', port: 7001, cport: 17001, flags: 1, pport: 0 };
  const buf = encodePing(
    hdr(MSG_PING),
    [g],
    [
      { type: EXT_HOSTNAME, data: Buffer.from('host\0') },
      { type: EXT_SHARDID, data: Buffer.from(B) },
    ],
  );
  // 2256 + 104 + (8 + 8) + (8 + 40)
  assert.equal(buf.length, HEADER_LEN + GOSSIP_LEN + 16 + 48);
  assert.equal(buf.latin1Slice(0, 4), 'RCmb');
  assert.equal(buf.readUInt32BE(4), buf.length);
  assert.equal(buf.readUInt16BE(8), 1);
  assert.equal(buf.readUInt16BE(10), 7000);
  assert.equal(buf.readUInt16BE(14), 1);
  assert.equal(buf.readBigUInt64BE(16), 9n);
  assert.equal(buf.readBigUInt64BE(24), 4n);
  assert.equal(buf.latin1Slice(40, 80), A);
  assert.equal(buf[80], 0b101);
  assert.equal(buf.latin1Slice(2168, 2176), '10.0.0.1');
  assert.equal(buf.readUInt16BE(2214), 2);
  assert.equal(buf.readUInt16BE(2248), 17000);
  assert.equal(buf.readUInt16BE(2250), 17);
  assert.equal(buf[2253]! & MFLAG0_EXT_DATA, MFLAG0_EXT_DATA);
  const m = decodeHeader(buf);
  assert.equal(expectedLength(m), buf.length);
  assert.deepEqual(decodeGossip(m), [g]);
  assert.deepEqual(
    decodeExtensions(m).map((e) => [e.type, e.text]),
    [
      [EXT_HOSTNAME, 'host'],
      [EXT_SHARDID, B],
    ],
  );
  assert.equal(m.slaveof, '');
  assert.equal(m.myip, '10.0.0.1');
});

test('FAIL, UPDATE, PUBLISH round trips and lengths', () => {
  const f = decodeHeader(encodeFail(hdr(MSG_FAIL), B));
  assert.equal(f.totlen, HEADER_LEN + 40);
  assert.equal(expectedLength(f), f.totlen);
  assert.equal(decodeFail(f), B);
  const slots = new Uint8Array(2048);
  slots[2047] = 0x80;
  const u = decodeHeader(encodeUpdate(hdr(MSG_UPDATE), 77, B, slots));
  assert.equal(u.totlen, HEADER_LEN + 2096);
  assert.equal(expectedLength(u), u.totlen);
  const ud = decodeUpdate(u);
  assert.equal(ud.configEpoch, 77);
  assert.equal(ud.name, B);
  assert.equal(ud.slots[2047], 0x80);
  const p = decodeHeader(encodePublish(hdr(MSG_PUBLISH), 'ch', 'bin\x00\xff'));
  assert.equal(p.totlen, HEADER_LEN + 8 + 2 + 5);
  assert.equal(expectedLength(p), p.totlen);
  assert.deepEqual(decodePublish(p), { channel: 'ch', message: 'bin\x00\xff' });
});

test('malformed messages: a wrong gossip count, an unpadded or overlong extension', () => {
  const buf = encodePing(hdr(MSG_PING), [], [{ type: EXT_SHARDID, data: Buffer.from(B) }]);
  // a count the length does not hold
  const c = Buffer.from(buf);
  c.writeUInt16BE(3, 14);
  assert.notEqual(expectedLength(decodeHeader(c)), c.length);
  // an extension length that is not a multiple of 8
  const pad = Buffer.from(buf);
  pad.writeUInt32BE(47, HEADER_LEN);
  assert.equal(expectedLength(decodeHeader(pad)), 'Received a ping packet without proper padding (47 bytes)');
  // an extension longer than the message
  const long = Buffer.from(buf);
  long.writeUInt32BE(4096, HEADER_LEN);
  assert.match(
    String(expectedLength(decodeHeader(long))),
    /^Received invalid ping packet with extension data that exceeds total packet length/,
  );
});

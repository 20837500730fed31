/**
 * Bad input never crashes a node: garbage on the cluster bus port (a bad
 * signature, a length below the header's, a message whose length does not
 * match its type, a message cut off by a hang-up) closes the link or drops
 * the message with Redis's log line; a nodes.conf cut mid-line stops the
 * start with Redis's "corrupted cluster config file" line and exit code 1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, type Child } from '../helpers/child.js';
import { freePort } from '../helpers/servers.js';
import { rawCall, until, clusterInfo } from './helpers.js';
import { HEADER_LEN } from '../../src/cluster/message.js';

const children: Child[] = [];
const dirs: string[] = [];
after(async () => {
  for (const c of children) await c.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cluster-bad-'));
  dirs.push(d);
  return d;
}

/** Connects to the bus, writes `bytes`, and resolves whether the server closed the connection within `ms`. */
function sendRaw(port: number, bytes: Buffer, ms = 2000, hangUp = false): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(bytes);
      if (hangUp) s.end();
    });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.on('data', () => {});
  });
}

/** A message header: signature, totlen, version 1, type, count. */
function header(totlen: number, type: number, count: number, len = totlen): Buffer {
  const b = Buffer.alloc(len);
  b.write('RCmb', 0, 'latin1');
  b.writeUInt32BE(totlen, 4);
  b.writeUInt16BE(1, 8);
  b.writeUInt16BE(type, 12);
  b.writeUInt16BE(count, 14);
  return b;
}

test('garbage on the cluster bus port: log lines, links closed, no crash', async () => {
  const bus = await freePort();
  const c = await startChild(['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--save', ''], tmpdir());
  children.push(c);
  // a bad signature: closed, logged
  assert.equal(await sendRaw(bus, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), true);
  await until(
    () => /Bad message length or signature received on the Cluster bus from 127\.0\.0\.1:\d+/.test(c.output()),
    3000,
    'log line',
  );
  // a length below the header's: closed
  assert.equal(await sendRaw(bus, header(16, 0, 0, 16)), true);
  // a PING whose length does not match its gossip count: dropped with a log line, the link stays
  assert.equal(await sendRaw(bus, header(HEADER_LEN, 0, 5), 500), false);
  await until(
    () => /Received invalid ping packet of length 2256 but expected length 2776/.test(c.output()),
    3000,
    'length log line',
  );
  // a message cut off by a hang-up, and random bytes after a good signature
  assert.equal(await sendRaw(bus, header(4000, 0, 0, 3000), 2000, true), true);
  const junk = Buffer.alloc(3000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
  await sendRaw(bus, Buffer.concat([Buffer.from('RCmb'), junk]), 1000, true);
  // an unknown type of a valid length: logged, ignored
  assert.equal(await sendRaw(bus, header(HEADER_LEN, 200, 0), 500), false);
  await until(() => /Received unknown packet type: 200/.test(c.output()), 3000, 'unknown type log line');
  // still serving
  assert.equal(await rawCall(c.port, 'PING'), '+PONG\r\n');
  assert.equal(await clusterInfo(c.port, 'cluster_known_nodes'), '1');
  assert.equal(c.proc.exitCode, null);
});

test("a nodes.conf cut mid-line: Redis's log line and exit 1", async () => {
  const dir = tmpdir();
  const id1 = 'a'.repeat(40);
  const id2 = 'b'.repeat(40);
  fs.writeFileSync(
    path.join(dir, 'nodes.conf'),
    `${id1} 127.0.0.1:30001@40001,,tls-port=0,shard-id=${'c'.repeat(40)} myself,master - 0 0 1 connected 0-8191\n` +
      `${id2} 127.0.0.1:30002@40002,,tls-port=0 mas`,
  );
  const c = await startChild(['--cluster-enabled', 'yes', '--cluster-port', String(await freePort())], dir, {
    waitReady: false,
  });
  children.push(c);
  assert.equal(await c.exited(10000), 1);
  assert.match(
    c.output(),
    new RegExp(
      `Unrecoverable error: corrupted cluster config file "${id2} 127\\.0\\.0\\.1:30002@40002,,tls-port=0 mas"\\.`,
    ),
  );
});

test('nodes.conf written by one run is loaded by the next', async () => {
  const dir = tmpdir();
  const bus = await freePort();
  const a = await startChild(['--cluster-enabled', 'yes', '--cluster-port', String(bus)], dir);
  children.push(a);
  const id = (await rawCall(a.port, 'CLUSTER', 'MYID')).split('\r\n')[1]!;
  assert.equal(await rawCall(a.port, 'CLUSTER', 'ADDSLOTSRANGE', 100, 200), '+OK\r\n');
  await until(
    () => fs.readFileSync(path.join(dir, 'nodes.conf'), 'latin1').includes(' 100-200\n'),
    3000,
    'nodes.conf saved',
  );
  await a.kill();
  const b = await startChild(['--cluster-enabled', 'yes', '--cluster-port', String(bus)], dir);
  children.push(b);
  assert.equal((await rawCall(b.port, 'CLUSTER', 'MYID')).split('\r\n')[1], id);
  assert.equal(await clusterInfo(b.port, 'cluster_slots_assigned'), '101');
  assert.match(b.output(), new RegExp(`Node configuration loaded, I'm ${id}`));
});

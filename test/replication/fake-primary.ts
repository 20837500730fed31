/**
 * A scripted primary for the replica tests: a socket server in the test
 * process that accepts the replica's links and lets the test read what the
 * replica sends (commands, parsed) and write whatever it wants back (a
 * handshake's replies, a payload, a stream, or bytes no primary would send).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RawConn, startTsdis } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';

/** One connection from the replica to the scripted primary. */
export class Link {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** The next command the replica sent (RESP array or inline line), skipping bare newlines; bounded wait. */
  async command(ms = 5000): Promise<string[]> {
    const end = Date.now() + ms;
    for (;;) {
      while (this.buf[0] === 10) this.buf = this.buf.subarray(1);
      const parsed = this.parse();
      if (parsed !== null) return parsed;
      if (this.closed) throw new Error('link closed');
      if (Date.now() > end)
        throw new Error(`no command from the replica (have ${JSON.stringify(this.buf.toString('latin1'))})`);
      await new Promise<void>((res) => {
        this.wake = res;
        setTimeout(res, 50);
      });
    }
  }

  private parse(): string[] | null {
    const s = this.buf.toString('latin1');
    if (s.length === 0) return null;
    if (s[0] !== '*') {
      const nl = s.indexOf('\r\n');
      if (nl < 0) return null;
      this.buf = this.buf.subarray(nl + 2);
      return s.slice(0, nl).split(' ');
    }
    let pos = s.indexOf('\r\n');
    if (pos < 0) return null;
    const n = Number(s.slice(1, pos));
    pos += 2;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = s.indexOf('\r\n', pos);
      if (e < 0) return null;
      const len = Number(s.slice(pos + 1, e));
      if (s.length < e + 2 + len + 2) return null;
      out.push(s.slice(e + 2, e + 2 + len));
      pos = e + 2 + len + 2;
    }
    this.buf = this.buf.subarray(pos);
    return out;
  }

  write(data: string | Buffer): void {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }
}

/** A socket server standing in for the primary: links as the replica opens them. */
export class FakePrimary {
  private readonly pending: Link[] = [];
  private wake: (() => void) | null = null;
  readonly links: Link[] = [];
  private constructor(
    readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakePrimary> {
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const fp = new FakePrimary(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (sock) => {
      const l = new Link(sock);
      fp.links.push(l);
      fp.pending.push(l);
      fp.wake?.();
    });
    return fp;
  }

  /** The next link the replica opens (bounded wait). */
  async accept(ms = 5000): Promise<Link> {
    const end = Date.now() + ms;
    while (this.pending.length === 0) {
      if (Date.now() > end) throw new Error('the replica did not connect');
      await new Promise<void>((res) => {
        this.wake = res;
        setTimeout(res, 50);
      });
    }
    return this.pending.shift()!;
  }

  async stop(): Promise<void> {
    for (const l of this.links) l.sock.destroy();
    await new Promise((res) => this.server.close(res));
  }
}

export const ID1 = 'a'.repeat(40);
export const ID2 = 'b'.repeat(40);

/** An RDB image holding a=1 in db 0 (made by tsdis's SAVE). */
export async function makeRdb(): Promise<Buffer> {
  const t = await startTsdis();
  try {
    await t.call('SET', 'a', '1');
    await t.call('SAVE');
    return fs.readFileSync(path.join(t.server.config.v['dir'], t.server.config.v['dbfilename']));
  } finally {
    await t.close();
  }
}

/** Answers the handshake up to PSYNC; returns PSYNC's arguments. */
export async function handshake(l: Link, auth?: string[]): Promise<string[]> {
  assert.deepEqual(await l.command(), ['PING']);
  l.write('+PONG\r\n');
  if (auth) {
    assert.deepEqual(await l.command(), auth);
    l.write('+OK\r\n');
  }
  const port = await l.command();
  assert.equal(port[0], 'REPLCONF');
  assert.equal(port[1], 'listening-port');
  l.write('+OK\r\n');
  assert.deepEqual(await l.command(), ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
  l.write('+OK\r\n');
  const psync = await l.command();
  assert.equal(psync[0], 'PSYNC');
  return psync.slice(1);
}

/** A tsdis replica of the scripted primary (the link opens within a second), and a connection to it. */
export async function replicaOf(
  fp: FakePrimary,
  config: Record<string, string> = {},
  log?: (line: string) => void,
): Promise<[TsdisServer, RawConn]> {
  const t = await startTsdis({ config: { replicaof: `127.0.0.1 ${fp.port}`, ...config }, ...(log ? { log } : {}) });
  return [t, await RawConn.connect(t.port)];
}

/**
 * The primary side of the replication protocol byte by byte, with a raw
 * connection playing the replica: REPLCONF's replies and errors (against
 * redis-server where it can answer the same), PSYNC answered
 * +FULLRESYNC then an EOF-marked image (diskless) or a sized one (disk),
 * the old SYNC (no +FULLRESYNC), +CONTINUE with and without psync2, the
 * stream starting at the first ACK, the PING every
 * repl-ping-replica-period, repl-timeout dropping a silent replica,
 * client-output-buffer-limit replica dropping one that does not read, the
 * backlog freed after repl-backlog-ttl, and the keyspace refused to a replica.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { hasRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { Differ } from '../helpers/diff.js';
import { until } from '../helpers/wait.js';
import { bulkText, infoField, startPrimary } from './kit.js';
import type { TsdisServer } from '../../src/index.js';

const d = await Differ.start();
after(() => d?.stop());

test('REPLCONF options and errors as redis-server answers them', async () => {
  await d!.same([
    ['REPLCONF'],
    ['REPLCONF', 'listening-port'],
    ['REPLCONF', 'listening-port', '6380'],
    ['REPLCONF', 'listening-port', 'x'],
    ['REPLCONF', 'ip-address', '10.0.0.1', 'capa', 'eof', 'capa', 'psync2', 'capa', 'whatever'],
    ['REPLCONF', 'ip-address', 'a'.repeat(300)],
    ['REPLCONF', 'rdb-only', '1'],
    ['REPLCONF', 'rdb-only', '2'],
    ['REPLCONF', 'rdb-only', '0'],
    ['REPLCONF', 'rdb-filter-only', 'functions'],
    ['REPLCONF', 'rdb-filter-only', ''],
    ['REPLCONF', 'rdb-filter-only', 'keys'],
    ['REPLCONF', 'rdb-filter-only', '"functions'],
    ['REPLCONF', 'nope', '1'],
    ['REPLCONF', 'capa', 'eof', 'nope', '1'],
    ['PSYNC', 'x'],
    ['ROLE'],
  ]);
});

/** A raw replica: a connection that did the handshake of a redis-server replica. */
async function rawReplica(srv: TsdisServer, capa: string[] = ['eof', 'psync2']): Promise<RawConn> {
  const c = await RawConn.connect(srv.port);
  assert.equal(await c.call('REPLCONF', 'listening-port', '7777'), '+OK\r\n');
  for (const x of capa) assert.equal(await c.call('REPLCONF', 'capa', x), '+OK\r\n');
  return c;
}

/** Waits until the connection received a full sync's preamble and image; returns [offset line, image, rest]. */
async function readSync(c: RawConn): Promise<{ head: string; rdb: string }> {
  let head = '';
  let rdb = '';
  await until(
    () => `a full sync (have ${JSON.stringify(c.pending().slice(0, 120))})`,
    () => {
      const s = c.pending().replace(/^\n+/, '');
      const m = /^(\+FULLRESYNC [0-9a-f]{40} \d+\r\n)?\n*\$(EOF:([0-9a-f]{40})|\d+)\r\n/.exec(s);
      if (m === null) return false;
      const body = s.slice(m[0].length);
      if (m[3] !== undefined) {
        const end = body.indexOf(m[3]);
        if (end < 0) return false;
        rdb = body.slice(0, end);
        head = m[1] ?? '';
        c.take();
        return true;
      }
      const len = Number(m[2]);
      if (body.length < len) return false;
      rdb = body.slice(0, len);
      head = m[1] ?? '';
      c.take();
      return true;
    },
    { timeout: 10_000 },
  );
  return { head, rdb };
}

test('PSYNC ? -1: +FULLRESYNC, the EOF-marked image with repl AUX fields, the stream from the first ACK', async () => {
  const srv = await startPrimary();
  const p = await RawConn.connect(srv.port);
  try {
    await p.call('SET', 'before', '1');
    const c = await rawReplica(srv);
    c.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    const { head, rdb } = await readSync(c);
    const m = /^\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n$/.exec(head)!;
    assert.ok(m, head);
    const info = bulkText(await p.call('INFO', 'replication'));
    assert.equal(m[1], infoField(info, 'master_replid'));
    assert.ok(rdb.startsWith('REDIS00'), JSON.stringify(rdb.slice(0, 200)));
    assert.ok(rdb.includes('repl-id\x28' + m[1]), 'the image names the replication id');
    assert.ok(rdb.includes('repl-offset'), 'and the offset');
    assert.ok(rdb.includes('before'));
    // online, but nothing is streamed before its first ACK
    await until('the replica online', async () =>
      /state=online/.test(infoField(bulkText(await p.call('INFO', 'replication')), 'slave0') ?? ''),
    );
    assert.equal(await p.call('SET', 'after', '2'), '+OK\r\n');
    await new Promise((r) => setTimeout(r, 50)); // (nothing must arrive: the point is the absence)
    assert.equal(c.pending(), '');
    c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
    await until('the held stream', () =>
      c.pending().includes('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n2\r\n'),
    );
    // REPLCONF ACK gets no reply (a command that makes one closes the link: the test below)
    c.take();
    c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n10\r\n');
    await until('the ACK taken', async () =>
      /port=7777,state=online,offset=10,/.test(infoField(bulkText(await p.call('INFO', 'replication')), 'slave0')!),
    );
    assert.equal(c.pending(), '');
    c.close();
  } finally {
    p.close();
    await srv.close();
  }
});

test('disk-based: a $<len> image; SYNC gets no +FULLRESYNC; +CONTINUE with and without psync2', async () => {
  const srv = await startPrimary({ 'repl-diskless-sync': 'no' });
  const p = await RawConn.connect(srv.port);
  try {
    await p.call('SET', 'k', 'v');
    const a = await rawReplica(srv, ['psync2']);
    a.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    const s1 = await readSync(a);
    const [, replid, off] = /^\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n$/.exec(s1.head)!;
    assert.ok(s1.rdb.startsWith('REDIS') && s1.rdb.includes('k'));
    // streaming starts right after a disk image
    await p.call('SET', 'k2', 'v2');
    await until('the stream', () => a.pending().includes('$2\r\nk2\r\n'));
    const streamed = a.take();
    const b = await rawReplica(srv, []);
    b.write('*1\r\n$4\r\nSYNC\r\n');
    const s2 = await readSync(b);
    assert.equal(s2.head, '', 'SYNC: no +FULLRESYNC');
    assert.ok(s2.rdb.includes('k2'));
    // a replica that knows the history continues from the backlog
    const from = Number(off) + 1;
    const c = await rawReplica(srv, ['psync2']);
    c.write(`*3\r\n$5\r\nPSYNC\r\n$40\r\n${replid}\r\n$${String(from).length}\r\n${from}\r\n`);
    await until('+CONTINUE and the backlog', () => c.pending() === `+CONTINUE ${replid}\r\n${streamed}`);
    const e = await rawReplica(srv, []);
    e.write(`*3\r\n$5\r\nPSYNC\r\n$40\r\n${replid}\r\n$${String(from).length}\r\n${from}\r\n`);
    await until('+CONTINUE (no psync2) and the backlog', () => e.pending() === `+CONTINUE\r\n${streamed}`);
    const st = bulkText(await p.call('INFO', 'stats'));
    assert.equal(infoField(st, 'sync_full'), '2');
    assert.equal(infoField(st, 'sync_partial_ok'), '2');
    assert.equal(infoField(bulkText(await p.call('INFO', 'replication')), 'connected_slaves'), '4');
    assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'slave'), ':4\r\n');
    for (const x of [a, b, c, e]) x.close();
  } finally {
    p.close();
    await srv.close();
  }
});

test('PING every repl-ping-replica-period; repl-timeout drops a replica that never ACKs; the backlog freed after repl-backlog-ttl', async () => {
  const srv = await startPrimary({ 'repl-ping-replica-period': 1, 'repl-timeout': 2, 'repl-backlog-ttl': 1 });
  const p = await RawConn.connect(srv.port);
  try {
    const c = await rawReplica(srv);
    c.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await readSync(c);
    c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
    await until('a PING in the stream', () => c.pending().includes('*1\r\n$4\r\nPING\r\n'), { timeout: 5000 });
    const before = bulkText(await p.call('INFO', 'replication'));
    assert.ok(Number(infoField(before, 'master_repl_offset')) >= 14, 'the PING advances the offset');
    // no further ACK: dropped after repl-timeout
    await c.readUntilClose(8000);
    const info = await until('the replica gone, the backlog freed', async () => {
      const i = bulkText(await p.call('INFO', 'replication'));
      return infoField(i, 'repl_backlog_active') === '0' ? i : null;
    });
    assert.equal(infoField(info, 'connected_slaves'), '0');
    assert.notEqual(infoField(info, 'master_replid'), infoField(before, 'master_replid'), 'a new history');
  } finally {
    p.close();
    await srv.close();
  }
});

test('client-output-buffer-limit replica: a replica that stops reading is dropped, and one whose held stream grows past it', async () => {
  const srv = await startPrimary({ 'client-output-buffer-limit': 'replica 1mb 0 0' });
  const p = await RawConn.connect(srv.port);
  try {
    const c = await rawReplica(srv);
    c.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await readSync(c);
    c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
    c.sock.pause();
    const big = 'x'.repeat(100_000);
    await until(
      'the replica dropped',
      async () => {
        await p.call('SET', 'big', big);
        return infoField(bulkText(await p.call('INFO', 'replication')), 'connected_slaves') === '0';
      },
      { timeout: 20_000, every: 1 },
    );
    c.close();
    // the stream held for a replica while its image is made counts too
    await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000');
    const h = await rawReplica(srv);
    h.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await until('the image started', () => h.pending().includes('$EOF:'));
    for (let i = 0; i < 11; i++) assert.equal(await p.call('SET', `big${i}`, big), '+OK\r\n');
    await until(
      'the syncing replica dropped',
      async () => infoField(bulkText(await p.call('INFO', 'replication')), 'connected_slaves') === '0',
    );
    await h.readUntilClose();
  } finally {
    p.close();
    await srv.close();
  }
});

test('diskless: a replica that stops reading the image is dropped after repl-timeout and the transfer stops', async () => {
  const lines: string[] = [];
  const srv = await startPrimary({ 'repl-timeout': 1, rdbcompression: 'no' }, (l) => lines.push(l));
  const p = await RawConn.connect(srv.port);
  try {
    // ~40 MB: more than the socket buffers and the walk's high-water mark hold
    assert.equal(await p.call('DEBUG', 'POPULATE', '40000', 'key', '1000'), '+OK\r\n');
    const c = await rawReplica(srv);
    c.sock.pause();
    c.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await until(
      'the stuck replica dropped',
      () => lines.some((l) => l.includes('Disconnecting timedout replica (full sync)')),
      {
        timeout: 15_000,
      },
    );
    assert.ok(lines.some((l) => l.includes('Diskless rdb transfer, last replica dropped')));
    await until(
      'the snapshot slot free again',
      async () => (await p.call('BGSAVE')) === '+Background saving started\r\n',
    );
    c.close();
  } finally {
    p.close();
    await srv.close();
  }
});

test(
  'redis-cli --rdb and --functions-rdb (REPLCONF rdb-only, rdb-filter-only): the image, then the link ends',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    for (const diskless of ['yes', 'no']) {
      const srv = await startPrimary({ 'repl-diskless-sync': diskless });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-rdbonly-'));
      try {
        await srv.call('SET', 'somekey', 'somevalue');
        await srv.call(
          'FUNCTION',
          'LOAD',
          "#!lua name=onlylib\nredis.register_function('of', function() return 1 end)",
        );
        // (a child process: the server runs in this one's event loop)
        const run = (flag: string, file: string) =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const ch = spawn('redis-cli', ['-p', String(srv.port), flag, file], { timeout: 10_000 });
            let stdout = '';
            let stderr = '';
            ch.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
            ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            ch.on('close', (status) => resolve({ status, stdout, stderr }));
          });
        const all = path.join(dir, 'all.rdb');
        const r1 = await run('--rdb', all);
        assert.equal(r1.status, 0, r1.stderr + r1.stdout);
        const img = fs.readFileSync(all, 'latin1');
        assert.ok(img.includes('somekey') && img.includes('onlylib'));
        if (diskless === 'yes') {
          // (a filtered image is always streamed, so only diskless is asked for it)
          const fn = path.join(dir, 'fn.rdb');
          const r2 = await run('--functions-rdb', fn);
          assert.equal(r2.status, 0, r2.stderr + r2.stdout);
          const f = fs.readFileSync(fn, 'latin1');
          assert.ok(f.includes('onlylib') && !f.includes('somekey'), JSON.stringify(f));
        }
        await until('the rdb-only replicas gone', async () =>
          /connected_slaves:0/.test((await srv.call('INFO', 'replication')) as string),
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await srv.close();
      }
    }
  },
);

test('WAIT after a served BLPOP waits for the pop it propagated (the client write offset follows it)', async () => {
  const srv = await startPrimary();
  const p = await RawConn.connect(srv.port);
  const a = await RawConn.connect(srv.port);
  try {
    const c = await rawReplica(srv);
    c.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await readSync(c);
    c.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
    await until('the replica online', async () =>
      /state=online/.test(infoField(bulkText(await p.call('INFO', 'replication')), 'slave0') ?? ''),
    );
    // the replica acknowledged offset 0 and nothing since
    a.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n');
    await until(
      'BLPOP blocked',
      async () => infoField(bulkText(await p.call('INFO', 'clients')), 'blocked_clients') === '1',
    );
    assert.equal(await p.call('LPUSH', 'k', 'v'), ':1\r\n');
    assert.equal(await a.read(), '*2\r\n$1\r\nk\r\n$1\r\nv\r\n');
    assert.equal(await a.call('WAIT', '1', '100'), ':0\r\n');
    c.close();
  } finally {
    a.close();
    p.close();
    await srv.close();
  }
});

test('a replica whose command makes a reply is logged and disconnected, its reply never sent (SYNC and PSYNC links)', async () => {
  const lines: string[] = [];
  const srv = await startPrimary({ 'repl-diskless-sync': 'no' }, (l) => lines.push(l));
  try {
    for (const [how, cmd, name] of [
      ['SYNC', ['PING'], 'ping'],
      ['SYNC', ['XINFO', 'HELP'], 'xinfo|help'],
      ['PSYNC', ['GET', 'foo'], 'get'],
      ['PSYNC', ['SLOWLOG', 'GET'], 'slowlog|get'],
    ] as const) {
      const c = await RawConn.connect(srv.port);
      const n = lines.length;
      if (how === 'SYNC') c.write('*1\r\n$4\r\nSYNC\r\n');
      else {
        c.write('*3\r\n$5\r\nPSYNC\r\n$13\r\nreplicationid\r\n$2\r\n-1\r\n');
        await until('+FULLRESYNC', () => c.pending().startsWith('+FULLRESYNC'));
      }
      c.write(
        Buffer.concat(
          cmd.map((a, i) =>
            Buffer.from(i === 0 ? `*${cmd.length}\r\n$${a.length}\r\n${a}\r\n` : `$${a.length}\r\n${a}\r\n`),
          ),
        ),
      );
      const got = await c.readUntilClose(10_000);
      assert.doesNotMatch(got, /PONG|Redis|ERR|\$-1|\*0/, `${how} ${name}: ${JSON.stringify(got.slice(0, 200))}`);
      const mine = lines.slice(n).join('\n');
      assert.match(
        mine,
        new RegExp(
          `Replica generated a reply to command '${name.replace('|', '\\|')}', disconnecting it: id=\\d+ addr=`,
        ),
      );
      if (name === 'get')
        assert.match(
          mine,
          /== CRITICAL == This master is sending an error to its replica: 'Replica can't interact with the keyspace' after processing the command 'get'/,
        );
      assert.equal(await srv.call('PING'), 'PONG');
    }
  } finally {
    await srv.close();
  }
});

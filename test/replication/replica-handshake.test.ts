/**
 * The replica's side of the protocol against a scripted primary (a socket
 * server in the test), for what a real redis-server does not do on demand:
 * the exact handshake (AUTH with masteruser, REPLCONF listening-port and
 * capa), `$len` payloads with the stream right behind them, INFO while a
 * transfer is half done, REPLCONF GETACK offsets (processed bytes only, not
 * counting the GETACK itself), +CONTINUE with a new replication id (the old
 * one becomes replid2), -LOADING answered by retrying, and the fallback to
 * SYNC for a primary that does not know PSYNC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { field, info, resp, linkUp } from './kit.js';
import { FakePrimary, ID1, ID2, handshake, makeRdb, replicaOf } from './fake-primary.js';

test('handshake with masteruser/masterauth, a $len payload with the stream behind it, GETACK offsets, then +CONTINUE with a new id', async () => {
  const rdb = await makeRdb();
  const fp = await FakePrimary.start();
  const [t, c] = await replicaOf(fp, { masterauth: 'pw', masteruser: 'u' });
  try {
    const l = await fp.accept();
    const psync = await handshake(l, ['AUTH', 'u', 'pw']);
    assert.deepEqual(psync, ['?', '-1']);
    const stream1 = resp(['SELECT', '0']) + resp(['SET', 'x', 'y']);
    // the reply, the payload and the first commands in one write
    l.write(
      Buffer.concat([
        Buffer.from(`+FULLRESYNC ${ID1} 1000\r\n$${rdb.length}\r\n`),
        rdb,
        Buffer.from(stream1, 'latin1'),
      ]),
    );
    await until('the stream after the payload', async () => (await c.call('GET', 'x')) === '$1\r\ny\r\n', {
      timeout: 20_000,
    });
    assert.equal(await c.call('GET', 'a'), '$1\r\n1\r\n');
    const off1 = 1000 + stream1.length;
    assert.equal(await field(c, 'slave_repl_offset'), String(off1));
    assert.equal(await field(c, 'master_repl_offset'), String(off1));
    assert.equal(await field(c, 'master_replid'), ID1);
    // GETACK: the offset processed before it
    const getack = resp(['REPLCONF', 'GETACK', '*']);
    l.write(getack);
    assert.deepEqual(await l.command(), ['REPLCONF', 'ACK', String(off1)]);
    // a transaction half received is read but not processed: ACKs and slave_repl_offset stop before it
    const half = resp(['MULTI']) + resp(['SET', 'm', '1']);
    l.write(half);
    await until(
      'the read offset',
      async () => (await field(c, 'slave_read_repl_offset')) === String(off1 + getack.length + half.length),
      { timeout: 20_000 },
    );
    assert.equal(await field(c, 'slave_repl_offset'), String(off1 + getack.length));
    // the link drops mid-transaction: the replica asks from the first byte it did not process
    l.sock.destroy();
    const l2 = await fp.accept();
    const psync2 = await handshake(l2, ['AUTH', 'u', 'pw']);
    const next = off1 + getack.length + 1;
    assert.deepEqual(psync2, [ID1, String(next)]);
    l2.write(`+CONTINUE ${ID2}\r\n`);
    await linkUp(c);
    const i = await info(c);
    assert.equal(i.get('master_replid'), ID2);
    assert.equal(i.get('master_replid2'), ID1);
    assert.equal(i.get('second_repl_offset'), String(next));
    assert.equal(await c.call('EXISTS', 'm'), ':0\r\n');
    const stream2 = resp(['SET', 'z', '1']);
    l2.write(stream2);
    await until('the stream after +CONTINUE', async () => (await c.call('GET', 'z')) === '$1\r\n1\r\n', {
      timeout: 20_000,
    });
    assert.equal(await field(c, 'slave_repl_offset'), String(next - 1 + stream2.length));
    // the backlog holds the processed stream byte for byte, with the primary's offsets (sub-replicas get the same)
    const backlog = t.server.repl.backlog!;
    assert.equal(backlog.firstOffset, 1001);
    assert.equal(backlog.since(1001).toString('latin1'), stream1 + getack + stream2);
    assert.equal(await field(c, 'master_repl_offset'), String(next - 1 + stream2.length));
    // the periodic ACK (once a second)
    assert.deepEqual(await l2.command(3000), ['REPLCONF', 'ACK', String(next - 1 + stream2.length)]);
  } finally {
    c.close();
    await t.close();
    await fp.stop();
  }
});

test('INFO and ROLE while the payload is half received (master_sync_* fields, state sync)', async () => {
  const rdb = await makeRdb();
  const fp = await FakePrimary.start();
  const [t, c] = await replicaOf(fp);
  try {
    const l = await fp.accept();
    await handshake(l);
    const half = Math.floor(rdb.length / 2);
    l.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n\n\n$${rdb.length}\r\n`), rdb.subarray(0, half)]));
    await until('half the payload', async () => (await field(c, 'master_sync_read_bytes')) === String(half), {
      timeout: 20_000,
    });
    const i = await info(c);
    assert.equal(i.get('master_sync_in_progress'), '1');
    assert.equal(i.get('master_sync_total_bytes'), String(rdb.length));
    assert.equal(i.get('master_sync_left_bytes'), String(rdb.length - half));
    assert.equal(i.get('master_sync_perc'), ((half / rdb.length) * 100).toFixed(2));
    // (whole unix seconds, as Redis counts them: a second that ticks between the last read and INFO reads 1)
    assert.ok(
      ['0', '1'].includes(i.get('master_sync_last_io_seconds_ago') ?? ''),
      i.get('master_sync_last_io_seconds_ago'),
    );
    assert.deepEqual([...i.keys()].slice(1, 15), [
      'master_host',
      'master_port',
      'master_link_status',
      'master_last_io_seconds_ago',
      'master_sync_in_progress',
      'slave_read_repl_offset',
      'slave_repl_offset',
      'master_sync_total_bytes',
      'master_sync_read_bytes',
      'master_sync_left_bytes',
      'master_sync_perc',
      'master_sync_last_io_seconds_ago',
      'master_link_down_since_seconds',
      'slave_priority',
    ]);
    assert.match(await c.call('ROLE'), /\$4\r\nsync\r\n:-1\r\n$/);
    l.write(rdb.subarray(half));
    await linkUp(c);
    assert.equal(await c.call('GET', 'a'), '$1\r\n1\r\n');
  } finally {
    c.close();
    await t.close();
    await fp.stop();
  }
});

test('-LOADING to PSYNC: the replica logs it and tries again; -ERR: it falls back to SYNC', async () => {
  const rdb = await makeRdb();
  const fp = await FakePrimary.start();
  const log: string[] = [];
  const t = await startTsdis({ config: { replicaof: `127.0.0.1 ${fp.port}` }, log: (s) => log.push(s) });
  const c = await RawConn.connect(t.port);
  try {
    const l = await fp.accept();
    await handshake(l);
    l.write('-LOADING Redis is loading the dataset in memory\r\n');
    const l2 = await fp.accept(5000);
    assert.ok(
      log.some((s) =>
        s.endsWith(
          'Master is currently unable to PSYNC but should be in the future: -LOADING Redis is loading the dataset in memory',
        ),
      ),
    );
    await handshake(l2);
    l2.write("-ERR unknown command 'PSYNC'\r\n");
    assert.deepEqual(await l2.command(), ['SYNC']);
    l2.write(Buffer.concat([Buffer.from(`$${rdb.length}\r\n`), rdb]));
    await linkUp(c);
    assert.equal(await c.call('GET', 'a'), '$1\r\n1\r\n');
    assert.ok(log.some((s) => s.endsWith('Retrying with SYNC...')));
    assert.ok(
      log.some((s) =>
        s.endsWith("Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC')"),
      ),
    );
  } finally {
    c.close();
    await t.close();
    await fp.stop();
  }
});

test('a PING refused with an error other than NOAUTH ends the attempt; MASTER aborted replication with an error', async () => {
  const fp = await FakePrimary.start();
  const log: string[] = [];
  const t = await startTsdis({ config: { replicaof: `127.0.0.1 ${fp.port}` }, log: (s) => log.push(s) });
  try {
    const l = await fp.accept();
    assert.deepEqual(await l.command(), ['PING']);
    l.write('-ERR nope\r\n');
    const l2 = await fp.accept();
    assert.ok(log.some((s) => s.endsWith("Error reply to PING from master: '-ERR nope'")));
    await handshake(l2);
    l2.write(`+FULLRESYNC ${ID1} 0\r\n-ERR something broke\r\n`);
    await fp.accept();
    assert.ok(log.some((s) => s.endsWith('MASTER aborted replication with an error: ERR something broke')));
  } finally {
    await t.close();
    await fp.stop();
  }
});

// Redis 7.2.4's tests/integration/replication.tcl "Slave is able to detect timeout during handshake"
test('a primary that never answers the handshake: "Timeout connecting to the MASTER..." after repl-timeout, then a new attempt', async () => {
  const fp = await FakePrimary.start();
  const log: string[] = [];
  const t = await startTsdis({
    config: { replicaof: `127.0.0.1 ${fp.port}`, 'repl-timeout': '1' },
    log: (s) => log.push(s),
  });
  try {
    const l = await fp.accept();
    assert.deepEqual(await l.command(), ['PING']);
    // no reply: the replica gives up and connects again
    await fp.accept(6000);
    assert.ok(log.some((s) => s.endsWith('Timeout connecting to the MASTER...')));
  } finally {
    await t.close();
    await fp.stop();
  }
});

test('a payload that does not load: logged, the databases left empty, and a new attempt at once (disk and diskless loads)', async () => {
  for (const load of ['disabled', 'swapdb']) {
    const fp = await FakePrimary.start();
    const log: string[] = [];
    const t = await startTsdis({
      config: { replicaof: `127.0.0.1 ${fp.port}`, 'repl-diskless-load': load },
      log: (s) => log.push(s),
    });
    const c = await RawConn.connect(t.port);
    try {
      const l = await fp.accept();
      await handshake(l);
      const junk = Buffer.from('REDIS0011 this is not an RDB file at all', 'latin1');
      l.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n$${junk.length}\r\n`), junk]));
      await fp.accept();
      const where = load === 'disabled' ? 'disk' : 'socket';
      assert.ok(
        log.some((s) =>
          s.endsWith(`Failed trying to load the MASTER synchronization DB from ${where}, check server logs.`),
        ),
        log.join('\n'),
      );
      assert.ok(log.some((s) => s.endsWith(`Reconnecting to MASTER 127.0.0.1:${fp.port} after failure`)));
      assert.equal(await c.call('DBSIZE'), ':0\r\n');
      assert.equal(await field(c, 'master_link_status'), 'down');
    } finally {
      c.close();
      await t.close();
      await fp.stop();
    }
  }
});

test('replica-announce-port and replica-announce-ip go to the primary in REPLCONF listening-port and ip-address', async () => {
  const fp = await FakePrimary.start();
  const t = await startTsdis({
    config: { replicaof: `127.0.0.1 ${fp.port}`, 'replica-announce-port': '7777', 'replica-announce-ip': '10.0.0.9' },
  });
  try {
    const l = await fp.accept();
    assert.deepEqual(await l.command(), ['PING']);
    l.write('+PONG\r\n');
    assert.deepEqual(await l.command(), ['REPLCONF', 'listening-port', '7777']);
    assert.deepEqual(await l.command(), ['REPLCONF', 'ip-address', '10.0.0.9']);
    assert.deepEqual(await l.command(), ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    // (each is answered in turn; a -ERR to one of them is not fatal)
    l.write("-ERR unknown option 'listening-port'\r\n+OK\r\n+OK\r\n");
    assert.deepEqual(await l.command(), ['PSYNC', '?', '-1']);
  } finally {
    await t.close();
    await fp.stop();
  }
});

test('hash fields whose TTL passed read as missing on a replica but stay until the primary deletes them (HPEXPIRE in the stream)', async () => {
  const rdb = await makeRdb();
  const fp = await FakePrimary.start();
  const [t, c] = await replicaOf(fp);
  try {
    const l = await fp.accept();
    await handshake(l);
    const stream =
      resp(['SELECT', '0']) +
      resp(['HSET', 'h', 'f', 'v', 'g', 'w']) +
      resp(['HPEXPIRE', 'h', '1', 'FIELDS', '1', 'f']);
    l.write(
      Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n$${rdb.length}\r\n`), rdb, Buffer.from(stream, 'latin1')]),
    );
    await until('the stream', async () => (await c.call('HGET', 'h', 'g')) === '$1\r\nw\r\n', { timeout: 20_000 });
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(await c.call('HGET', 'h', 'f'), '$-1\r\n');
    assert.equal(await c.call('HGETALL', 'h'), '*2\r\n$1\r\ng\r\n$1\r\nw\r\n');
    // nothing deleted by the replica (an active cycle would have had time too)
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await info(c, 'stats')).get('expired_subkeys'), '0');
    l.write(resp(['HDEL', 'h', 'f']));
    await until(
      'the HDEL',
      async () => (await field(c, 'slave_repl_offset')) === String(stream.length + resp(['HDEL', 'h', 'f']).length),
      { timeout: 20_000 },
    );
    assert.equal(await c.call('HGETALL', 'h'), '*2\r\n$1\r\ng\r\n$1\r\nw\r\n');
  } finally {
    c.close();
    await t.close();
    await fp.stop();
  }
});

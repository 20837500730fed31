/**
 * Replication links fed what no well-behaved peer sends, over real sockets:
 *
 * - a primary (scripted: fake-primary.ts) that stalls in the middle of the
 *   payload: the replica keeps serving its old data, never a half-loaded
 *   keyspace, logs Redis's timeout line after repl-timeout and syncs again;
 * - a primary whose stream, after the sync, holds bad protocol: Redis's
 *   protocol error handling for its master client (the lines it logs, the
 *   link dropped without caching it, a full sync asked next), compared
 *   line for line with a redis-server replica of the same scripted primary
 *   where one is installed; a bulk shorter than its length only desyncs the
 *   stream into an unknown command, an error to the primary;
 * - a client that sends PSYNC / REPLCONF with wrong arguments to a tsdis
 *   primary, and a replica that sends anything that gets a reply: the bytes
 *   redis-server answers (or its silence), and its log lines.
 *
 * Already elsewhere: a payload that does not load (replica-handshake.test.ts),
 * REPLCONF's option errors (primary-raw.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { field, resp, startPrimary, linkUp } from './kit.js';
import { FakePrimary, ID1, handshake, makeRdb, type Link } from './fake-primary.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** A log line without Redis's "pid:role date time level " prefix. */
function bare(line: string): string {
  return line.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [.*#-] /, '');
}

const TIMEOUT_LINE =
  "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.";

test("a primary that stalls mid-payload: the old data is served meanwhile (never half a payload), Redis's timeout line after repl-timeout, then a new sync", async () => {
  const rdb = await makeRdb(); // a=1
  for (const load of ['disabled', 'swapdb']) {
    const fp = await FakePrimary.start();
    const log: string[] = [];
    const t = await startTsdis({
      config: { 'repl-timeout': '1', 'repl-diskless-load': load },
      log: (l) => log.push(l),
    });
    const c = await RawConn.connect(t.port);
    try {
      assert.equal(await c.call('MSET', 'old1', 'x', 'old2', 'y'), '+OK\r\n');
      const ownId = await field(c, 'master_replid');
      const ownOffset = Number(await field(c, 'master_repl_offset'));
      assert.equal(await c.call('REPLICAOF', '127.0.0.1', String(fp.port)), '+OK\r\n');
      const l = await fp.accept();
      await handshake(l);
      const half = Math.floor(rdb.length / 2);
      l.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n$${rdb.length}\r\n`), rdb.subarray(0, half)]));
      await until('half the payload', async () => (await field(c, 'master_sync_read_bytes')) === String(half), {
        timeout: 20_000,
      });
      if (load === 'disabled') {
        // replica-serve-stale-data yes: the old dataset, whole, and nothing of the payload
        assert.equal(await c.call('DBSIZE'), ':2\r\n', load);
        assert.equal(await c.call('GET', 'old1'), '$1\r\nx\r\n');
        assert.equal(await c.call('EXISTS', 'a'), ':0\r\n');
      } else {
        // a swapdb load of another history is not asynchronous (Redis loads asynchronously only
        // under the same replication id): -LOADING while it streams in, the old data kept aside
        assert.equal(await c.call('DBSIZE'), '-LOADING Redis is loading the dataset in memory\r\n', load);
      }
      // nothing more comes: after repl-timeout (1 s; checked once a second) the transfer is dropped
      const l2 = await fp.accept(8000);
      assert.ok(
        log.some((s) => bare(s) === TIMEOUT_LINE),
        log.join('\n'),
      );
      assert.equal(await c.call('DBSIZE'), ':2\r\n');
      assert.equal(await c.call('MGET', 'old1', 'old2', 'a'), '*3\r\n$1\r\nx\r\n$1\r\ny\r\n$-1\r\n');
      // the transfer failed before replacing the data: the cached primary (the replica's own
      // history) is kept, and the next PSYNC asks to continue it (Redis 7.2; 7.0 asked ? -1)
      assert.deepEqual(await handshake(l2), [ownId, String(ownOffset + 1)]);
      l2.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n$${rdb.length}\r\n`), rdb]));
      await linkUp(c);
      assert.equal(await c.call('DBSIZE'), ':1\r\n');
      assert.equal(await c.call('MGET', 'old1', 'a'), '*2\r\n$-1\r\n$1\r\n1\r\n');
    } finally {
      c.close();
      await t.close();
      await fp.stop();
    }
  }
});

/** A replica of a scripted primary: tsdis in process, or redis-server with its log in a file. */
interface Follower {
  conn: RawConn;
  /** Log lines so far. */
  lines(): string[];
  stop(): Promise<void>;
}

async function tsdisFollower(fp: FakePrimary): Promise<Follower> {
  const log: string[] = [];
  const t = await startTsdis({ config: { replicaof: `127.0.0.1 ${fp.port}` }, log: (l) => log.push(l) });
  const conn = await RawConn.connect(t.port);
  return {
    conn,
    lines: () => log.map(bare),
    stop: async () => {
      conn.close();
      await t.close();
    },
  };
}

async function redisFollower(fp: FakePrimary): Promise<Follower> {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'tsdis-bad-input-'));
  const logfile = path.join(dir, 'replica.log');
  const r: RedisProcess = await startRedis(['--replicaof', '127.0.0.1', String(fp.port), '--logfile', logfile]);
  const conn = await RawConn.connect(r.port);
  return {
    conn,
    lines: () => {
      try {
        return fs.readFileSync(logfile, 'latin1').split('\n').filter(Boolean).map(bare);
      } catch {
        return [];
      }
    },
    stop: async () => {
      conn.close();
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The lines of a protocol error on the master link, the client info string replaced (ids, ports, ages). */
const WATCHED =
  /CRITICAL|Protocol error|inline protocol|Connection with master lost|Caching the disconnected|no cached master/;

function watched(lines: string[]): string[] {
  return lines
    .filter((l) => WATCHED.test(l))
    .map((l) => l.replace(/from client: .*\. Query buffer/, 'from client: <info>. Query buffer'));
}

/**
 * Syncs `f` from `fp` (the image holds a=1, then SET x y comes), writes
 * `garbage` into the stream, then: `dropped` — waits for the replica's next
 * link and returns its PSYNC arguments; else sends REPLCONF GETACK and
 * returns the offset the replica acknowledges. Returns the watched log
 * lines written after the garbage too.
 */
async function feedGarbage(
  fp: FakePrimary,
  f: Follower,
  rdb: Buffer,
  garbage: string,
  dropped: boolean,
): Promise<{ next: string[]; lines: string[] }> {
  const l: Link = await fp.accept(10_000);
  await handshake(l);
  const set = resp(['SELECT', '0']) + resp(['SET', 'x', 'y']);
  l.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID1} 0\r\n$${rdb.length}\r\n`), rdb, Buffer.from(set, 'latin1')]));
  await until('the stream after the payload', async () => (await f.conn.call('GET', 'x')) === '$1\r\ny\r\n', {
    timeout: 20_000,
  });
  const before = f.lines().length;
  l.write(garbage);
  let next: string[];
  if (dropped) {
    const l2 = await fp.accept(10_000);
    next = await handshake(l2);
  } else {
    // the first ACK after the garbage (GETACK's answer, or a periodic one before it): the
    // offset of what was processed, which stops before the newline the short bulk left
    const base = String(resp(['SELECT', '0']).length + resp(['SET', 'x', 'y']).length);
    l.write(resp(['REPLCONF', 'GETACK', '*']));
    do next = await l.command(5000);
    while (next[2] === base);
  }
  // (the log file of redis-server is written as it goes; give it a moment)
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(await f.conn.call('GET', 'a'), '$1\r\n1\r\n'); // no crash, the data is there
  return { next, lines: watched(f.lines().slice(before)) };
}

/** The stream garbage cases: [name, bytes, link dropped]. */
const GARBAGE: [string, string, boolean][] = [
  ['a multibulk count that is not a number', '*abc\r\n', true],
  ['a bulk length that is not a number', '*1\r\n$x\r\n', true],
  ['no $ where a bulk is expected', '*1\r\n:5\r\n', true],
  ['an inline command', 'GARBAGE here\r\n', true],
  ['a long bad line (the log shows its ends)', `*${'z'.repeat(100)}\u00ff${'w'.repeat(100)}\r\n`, true],
  ['a bulk shorter than its length (desync into an unknown command)', '*1\r\n$3\r\nPINGX\r\n', false],
];

test("garbage in the primary's stream after the sync: Redis's protocol error lines, the link dropped uncached, a full sync asked next (as redis-server)", async () => {
  const rdb = await makeRdb();
  const expected: Record<string, string[]> = {
    'a multibulk count that is not a number': [
      "== CRITICAL == This replica is sending an error to its master: 'Protocol error: invalid multibulk length' after processing the command 'set'",
      "Protocol error (invalid mbulk count) from client: <info>. Query buffer during protocol error: '*abc..'",
      'Connection with master lost.',
      'Partial resynchronization not possible (no cached master)',
    ],
    'an inline command': [
      'WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.',
      "Protocol error (Master using the inline protocol. Desync?) from client: <info>. Query buffer during protocol error: 'GARBAGE here..'",
      'Connection with master lost.',
      'Partial resynchronization not possible (no cached master)',
    ],
  };
  for (const [name, garbage, dropped] of GARBAGE) {
    const fp = await FakePrimary.start();
    const f = await tsdisFollower(fp);
    let got: { next: string[]; lines: string[] };
    try {
      got = await feedGarbage(fp, f, rdb, garbage, dropped);
    } finally {
      await f.stop();
      await fp.stop();
    }
    if (dropped) assert.deepEqual(got.next, ['?', '-1'], name);
    else {
      // the link stays; "PIN" and the 2 bytes skipped as its CR LF count as processed
      const off = resp(['SELECT', '0']).length + resp(['SET', 'x', 'y']).length + garbage.length - 2;
      assert.deepEqual(got.next, ['REPLCONF', 'ACK', String(off)], name);
      assert.deepEqual(
        got.lines,
        [
          "== CRITICAL == This replica is sending an error to its master: 'unknown command 'PIN', with args beginning with: ' after processing the command '<unknown>'",
        ],
        name,
      );
    }
    if (expected[name] !== undefined) assert.deepEqual(got.lines, expected[name], name);
    if (name.startsWith('a long')) {
      assert.equal(
        got.lines[1],
        `Protocol error (invalid mbulk count) from client: <info>. Query buffer during protocol error: '*${'z'.repeat(63)}' (... more ${garbage.length - 128} bytes ...) '${'w'.repeat(62)}..'`,
      );
    }
    if (!skip) {
      // the same primary, the same bytes, to a redis-server replica: the same lines
      const fp2 = await FakePrimary.start();
      const r = await redisFollower(fp2);
      try {
        const ref = await feedGarbage(fp2, r, rdb, garbage, dropped);
        assert.deepEqual(got, ref, `${name}: as redis-server`);
      } finally {
        await r.stop();
        await fp2.stop();
      }
    }
  }
});

/** One command on a fresh connection; what came back within `ms` (the connection is then closed). */
async function once(port: number, cmd: string, ms = 300): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    c.write(cmd);
    await new Promise((res) => setTimeout(res, ms));
    return c.take();
  } finally {
    c.close();
  }
}

/** What a PSYNC on a fresh connection got once the image's first line came (bounded: 10 s). */
async function fullSyncStart(port: number, cmd: string): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    c.write(cmd);
    await until('the image', async () => /\r\n\n*\$/.test(c.pending()) || c.closed, { timeout: 10_000 });
    return c.take();
  } finally {
    c.close();
  }
}

/** PSYNC's full-sync preamble with the id and offset made neutral. */
function preamble(s: string): string {
  // (newlines keep the link alive while a BGSAVE runs: how many depends on the machine's load)
  return s.replace(/^\+FULLRESYNC [0-9a-f]{40} \d+\r\n\n*/, '+FULLRESYNC <id> <offset>\r\n').slice(0, 30);
}

test(
  'PSYNC and REPLCONF with wrong arguments to a primary: the bytes redis-server answers (or its silence)',
  { skip },
  async () => {
    const t = await startPrimary();
    const r = await startRedis(['--repl-diskless-sync-delay', '0']);
    try {
      const exact = [
        // PSYNC: arity, offsets that are not int64 numbers
        'PSYNC\r\n',
        'PSYNC x\r\n',
        'PSYNC ? x\r\n',
        'PSYNC ? 1.5\r\n',
        'PSYNC ? 99999999999999999999999\r\n',
        'PSYNC a b c d\r\n',
        'SYNC x\r\n',
        // REPLCONF: an option without its value, unknown options, numbers that are not
        'REPLCONF\r\n',
        'REPLCONF capa\r\n',
        'REPLCONF listening-port 1 capa\r\n',
        'REPLCONF listening-port 12x\r\n',
        'REPLCONF listening-port 99999999999999999999\r\n',
        'REPLCONF whatever 1\r\n',
        'REPLCONF capa eof bogus 1\r\n',
        'REPLCONF rdb-only x\r\n',
        'REPLCONF rdb-only -1\r\n',
        // ACK and GETACK from a connection that is not a replica: no reply at all
        'REPLCONF ACK 12\r\n',
        'REPLCONF ACK x\r\n',
        'REPLCONF ACK 1 FACK x\r\n',
        'REPLCONF GETACK *\r\n',
        'REPLCONF ACK\r\n',
      ];
      for (const cmd of exact) {
        const [a, b] = await Promise.all([once(t.port, cmd), once(r.port, cmd)]);
        assert.equal(a, b, JSON.stringify(cmd));
      }
      // offsets nobody has (a negative one, one far beyond the primary's, an unknown id): a full sync
      for (const cmd of ['PSYNC ? -5\r\n', 'PSYNC ? 9223372036854775807\r\n', `PSYNC ${'f'.repeat(40)} 1\r\n`]) {
        const [a, b] = await Promise.all([fullSyncStart(t.port, cmd), fullSyncStart(r.port, cmd)]);
        assert.equal(preamble(a), preamble(b), JSON.stringify(cmd));
        assert.ok(preamble(a).startsWith('+FULLRESYNC <id> <offset>\r\n$'), preamble(a));
      }
    } finally {
      await t.close();
      await r.stop();
    }
  },
);

test(
  "a replica that sends what gets a reply (GET, PING, a REPLCONF error, bad protocol) is disconnected unanswered, with Redis's log line",
  { skip },
  async () => {
    const log: string[] = [];
    const t = await startPrimary({}, (l) => log.push(l));
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'tsdis-bad-input-'));
    const logfile = path.join(dir, 'primary.log');
    const r = await startRedis(['--repl-diskless-sync-delay', '0', '--logfile', logfile]);
    const sent = [
      ['GET x\r\n', 'get'],
      ['PING\r\n', 'ping'],
      ['REPLCONF nope 1\r\n', 'replconf'],
      ['*abc\r\n', 'replconf'],
    ];
    try {
      for (const [cmd, name] of sent) {
        const got: string[] = [];
        for (const port of [t.port, r.port]) {
          const c = await RawConn.connect(port);
          c.write('REPLCONF capa eof\r\n');
          assert.equal(await c.read(), '+OK\r\n');
          c.write('PSYNC ? -1\r\n');
          // the whole image: its EOF mark a second time
          await until(
            'the image',
            async () => {
              const m = /\$EOF:([0-9a-f]{40})\r\n/.exec(c.pending());
              return m !== null && c.pending().endsWith(m[1]!);
            },
            { timeout: 10_000 },
          );
          // its first ACK puts it online; then the command
          c.write('REPLCONF ACK 0\r\n');
          await new Promise((res) => setTimeout(res, 100));
          c.take();
          c.write(cmd!);
          got.push(await c.readUntilClose(3000));
          c.close();
        }
        assert.deepEqual(got, ['', ''], JSON.stringify(cmd));
        const line = `Replica generated a reply to command '${name}', disconnecting it: `;
        await until(`tsdis's "${line}"`, async () => log.some((l) => bare(l).startsWith(line)), { timeout: 3000 });
        const ref = fs.readFileSync(logfile, 'latin1').split('\n').map(bare);
        assert.ok(
          ref.some((l) => l.startsWith(line)),
          `redis-server's "${line}"`,
        );
        log.length = 0;
      }
    } finally {
      await t.close();
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

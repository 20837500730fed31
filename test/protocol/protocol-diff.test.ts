/**
 * Differential protocol tests over raw sockets: the same bytes go to tsdis
 * and to a real redis-server, and the reply bytes and whether the server
 * closed the connection must be identical. Covers every protocol error,
 * pipelining, inline commands, the unauthenticated caps, the query buffer
 * limit and proto-max-bulk-len, and a seeded fuzz of corrupted frames.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { hasRedis, startRedis, startTsdis, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { encode, replyLength } from '../helpers/resp.js';
import type { TsdisServer } from '../../src/index.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const b = (s: string) => Buffer.from(s, 'latin1');

interface Exchange {
  out: string;
  closed: boolean;
}

/**
 * Connects, writes the chunks (with a short pause between them), and collects
 * the output until the server closes or stays quiet for idleMs (firstByteMs
 * while nothing has come yet). With `replies`, quiet does not end it before
 * that many complete replies came (a loaded machine may pause longer than
 * idleMs inside a big reply); only the close or maxMs do.
 */
function exchange(
  port: number,
  chunks: Buffer[],
  replies = 0,
  idleMs = 80,
  maxMs = 10000,
  firstByteMs = 500,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(hard);
      sock.destroy();
      resolve({ out: Buffer.concat(parts).latin1Slice(0), closed });
    };
    /** Whether `replies` complete replies have come. */
    const enough = (): boolean => {
      if (replies === 0) return true;
      const buf = Buffer.concat(parts);
      let n = 0;
      for (let pos = 0, len; n < replies && (len = replyLength(buf, pos)) > 0; pos += len) n++;
      return n >= replies;
    };
    // quiet for idleMs after the last byte; before the first one, give a busy machine longer
    const arm = () => {
      clearTimeout(idle);
      if (!enough()) return;
      idle = setTimeout(() => finish(false), parts.length === 0 ? firstByteMs : idleMs);
    };
    const hard = setTimeout(() => finish(false), maxMs);
    sock.on('data', (d) => {
      parts.push(d);
      arm();
    });
    sock.on('close', () => finish(true));
    sock.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE')
        finish(true);
      else if (!done) reject(e);
    });
    sock.on('connect', async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 5));
        if (!sock.destroyed) sock.write(chunks[i]!);
      }
      arm();
    });
  });
}

let tsdis: TsdisServer;
let redis: RedisProcess;
let tsdisAuth: TsdisServer;
let redisAuth: RedisProcess;
let tsdisSmall: TsdisServer;
let redisSmall: RedisProcess;

before(async () => {
  if (skip) return;
  [tsdis, redis, tsdisAuth, redisAuth, tsdisSmall, redisSmall] = await Promise.all([
    startTsdis(),
    startRedis(),
    startTsdis({ config: { requirepass: 'sesame' } }),
    startRedis(['--requirepass', 'sesame']),
    startTsdis({ config: { 'client-query-buffer-limit': '1mb', 'proto-max-bulk-len': '2mb' } }),
    startRedis(['--client-query-buffer-limit', '1mb', '--proto-max-bulk-len', '2mb']),
  ]);
});
after(async () => {
  await Promise.all([
    tsdis?.close(),
    redis?.stop(),
    tsdisAuth?.close(),
    redisAuth?.stop(),
    tsdisSmall?.close(),
    redisSmall?.stop(),
  ]);
});

/** Sends the same bytes to both servers (fresh connections) and asserts the same outcome. */
async function same(
  a: TsdisServer,
  r: RedisProcess,
  input: string | Buffer | Buffer[],
  label?: string,
  replies = 0,
): Promise<Exchange> {
  const chunks = Array.isArray(input) ? input : [typeof input === 'string' ? b(input) : input];
  const [x, y] = await Promise.all([exchange(a.port, chunks, replies), exchange(r.port, chunks, replies)]);
  const what = label ?? JSON.stringify(Buffer.concat(chunks).subarray(0, 80).latin1Slice(0));
  assert.equal(to70(x.out), y.out, `reply bytes for ${what}`);
  assert.equal(x.closed, y.closed, `connection closed for ${what} (redis: ${y.closed})`);
  return y;
}

const big = (n: number, c = 'x') => c.repeat(n);

/** Texts that changed between Redis 7.0 (the local oracle) and 7.2 (the target): tsdis speaks 7.2. */
function to70(out: string): string {
  return out.replace('the HELLO <proto> AUTH <user> <pass> option', 'the HELLO AUTH <user> <pass> option');
}

test('every protocol error: same reply text, connection closed', { skip }, async () => {
  const cases = [
    '*abc\r\n',
    '*\r\n',
    '*01\r\n',
    '*-0\r\n',
    '*+1\r\n',
    '*2147483648\r\n',
    '*99999999999999999999999\r\n',
    '*1\r\n$-1\r\n',
    '*1\r\n$abc\r\n',
    '*1\r\n$\r\n',
    '*1\r\n$01\r\n',
    '*1\r\n$1.5\r\n',
    '*1\r\n$600000000\r\n',
    '*1\r\nfoo\r\n',
    '*2\r\n$4\r\nECHO\r\n:1\r\n',
    '*1\r\n\r\n',
    'ECHO "unbalanced\r\n',
    "ECHO 'unbalanced\r\n",
    'ECHO "a"b\r\n',
    "ECHO 'a'b\r\n",
    'PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n', // replies before the error, nothing after
    '*1\r\n$4\r\nPING\r\nECHO "x\r\nPING\r\n',
  ];
  const outs = await Promise.all(cases.map((c) => same(tsdis, redis, c)));
  for (const o of outs) {
    assert.ok(o.closed, 'redis closed the connection');
    assert.match(o.out, /-ERR Protocol error: [^\r]+\r\n$/);
  }
});

test('size limits of request lines', { skip }, async () => {
  await Promise.all([
    same(tsdis, redis, big(70000), 'inline without newline'),
    same(tsdis, redis, '*' + big(70000, '1'), 'mbulk count without CR'),
    same(tsdis, redis, '*1\r\n$' + big(70000, '1'), 'bulk count without CR'),
    same(tsdis, redis, 'PING\r\n' + big(70000), 'PING then a too big inline request'),
  ]);
});

test('NUL bytes in request lines: both keep waiting', { skip }, async () => {
  await Promise.all([
    same(tsdis, redis, 'PI\0NG\r\n'),
    same(tsdis, redis, '*1\0\r\n'),
    same(tsdis, redis, '*1\r\n$4\0\r\nPING\r\n'),
    same(tsdis, redis, '*1\r\n\0x\r\n'),
    same(tsdis, redis, 'PI\0NG\r\n' + big(70000), 'NUL then too big inline'),
  ]);
});

test('inline commands: quoting, escapes, empty lines', { skip }, async () => {
  await Promise.all([
    same(tsdis, redis, 'PING\r\n'),
    same(tsdis, redis, 'PING\n'),
    same(tsdis, redis, 'ping\r\nPing\r\n'),
    same(tsdis, redis, '\r\n\r\n   \r\nPING\r\n'),
    same(tsdis, redis, 'ECHO "hello world"\r\n'),
    same(tsdis, redis, "ECHO 'it\\'s'\r\n"),
    same(tsdis, redis, 'ECHO "\\x41\\x42\\n\\t\\\\\\"q"\r\n'),
    same(tsdis, redis, 'ECHO "\\xZZ"\r\n'),
    same(tsdis, redis, 'ECHO a"b c" d\r\n'),
    same(tsdis, redis, 'ECHO a\x0bb\r\n'),
    same(tsdis, redis, 'ECHO ""\r\n'),
    same(tsdis, redis, 'PING a b c\r\n'),
    same(tsdis, redis, 'NOSUCHCMD a "b c"\r\n'),
    same(tsdis, redis, 'ECHO ' + big(60000, 'z') + '\r\n', 'a long inline line in one write'),
  ]);
});

test('empty multibulks, empty arguments, binary bulks, unchecked CRLF', { skip }, async () => {
  const bin = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) bin[i] = i;
  await Promise.all([
    same(tsdis, redis, '*0\r\n*-1\r\n*-5\r\nPING\r\n'),
    same(tsdis, redis, '*1\r\n$0\r\n\r\n'),
    same(tsdis, redis, encode(['ECHO', bin])),
    same(tsdis, redis, encode(['ECHO', '\r\n\r\n'])),
    same(tsdis, redis, '*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n', 'bytes after a bulk are skipped'),
  ]);
});

test('frames split into many writes', { skip }, async () => {
  const frame = Buffer.concat([encode(['ECHO', 'split me']), b('PING\r\n'), encode(['ECHO', big(100000, 'q')])]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 9973) chunks.push(frame.subarray(i, i + 9973));
  const small: Buffer[] = [];
  const head = frame.subarray(0, 40);
  for (let i = 0; i < head.length; i++) small.push(head.subarray(i, i + 1));
  small.push(frame.subarray(40));
  await Promise.all([
    same(tsdis, redis, chunks, 'chunks of 9973', 3),
    same(tsdis, redis, small, 'bytes one by one', 3),
  ]);
});

test('pipelining: many commands in one write get all their replies', { skip }, async () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 3 === 0) parts.push(encode(['ECHO', `v${i}`]));
    else if (i % 3 === 1) parts.push(b(`ECHO i${i}\r\n`));
    else parts.push(encode(['PING']));
  }
  const o = await same(tsdis, redis, Buffer.concat(parts), '3000 pipelined commands', 3000);
  assert.equal(o.out.split('\r\n').length - 1, 1000 * 2 + 1000 * 2 + 1000);
});

test('pipelines of key commands, read ahead in batches over a big keyspace: the same replies', { skip }, async () => {
  // 20,000 keys: the batches' dict entries are read ahead (keyspace/key-batch.ts, Db.prefetch)
  const fill: Buffer[] = [];
  for (let i = 0; i < 20000; i += 500) {
    const argv = ['MSET'];
    for (let j = i; j < i + 500; j++) argv.push(`ra:${j}`, `v${j}`);
    fill.push(encode(argv));
  }
  await same(tsdis, redis, Buffer.concat(fill), 'the fill', 40);
  const parts: Buffer[] = [];
  let n = 0;
  const add = (...argv: string[]) => {
    parts.push(encode(argv));
    n++;
  };
  for (let i = 0; i < 400; i++) {
    const k = `ra:${(i * 7919) % 20000}`;
    add('GET', k);
    if (i % 5 === 0) add('SET', k, `new${i}`);
    if (i % 7 === 0) add('INCR', `ra:cnt:${i % 13}`);
    if (i % 11 === 0) add('MSET', `ra:${i}`, 'a', `ra:${i + 1}`, 'b', k, 'c');
    if (i % 13 === 0) add('MGET', k, `ra:${i}`, 'ra:missing', `ra:${i + 1}`);
    if (i % 17 === 0) add('DEL', `ra:${i + 2}`, k);
    if (i % 19 === 0) add('LPUSH', k, 'x'); // WRONGTYPE or a new list
    if (i % 23 === 0) add('EXPIRE', `ra:${i + 3}`, '1000');
    if (i % 29 === 0) {
      add('SELECT', '1');
      add('SET', k, 'db1');
      add('GET', k);
      add('SELECT', '0');
      add('GET', k);
    }
    if (i % 31 === 0) {
      add('MULTI');
      add('INCR', k);
      add('GET', `ra:${i}`);
      add('EXEC');
    }
    if (i % 37 === 0) {
      add('GET');
      add('NOSUCH', k);
      add('PING');
    }
    if (i % 41 === 0) {
      add('GETSET', k, 'gs');
      add('APPEND', k, '+');
      add('STRLEN', k);
      add('TYPE', k);
    }
  }
  add('FLUSHALL');
  await same(tsdis, redis, Buffer.concat(parts), `${n} pipelined commands`, n);
});

test('a pipeline waits behind a blocked command, read ahead or not', { skip }, async () => {
  /** c1 pipelines BLPOP, SET, GET; c2 reads the key while c1 is blocked, then serves the BLPOP. */
  const run = async (port: number): Promise<string[]> => {
    const c1 = net.connect(port, '127.0.0.1');
    const c2 = net.connect(port, '127.0.0.1');
    let out1 = '';
    c1.on('data', (d: Buffer) => void (out1 += d.latin1Slice(0)));
    const ask = (argv: string[]): Promise<string> =>
      new Promise((resolve) => {
        c2.once('data', (d: Buffer) => resolve(d.latin1Slice(0)));
        c2.write(encode(argv));
      });
    await ask(['DEL', 'ra:list', 'ra:after']);
    c1.write(
      Buffer.concat([encode(['BLPOP', 'ra:list', '0']), encode(['SET', 'ra:after', '1']), encode(['GET', 'ra:after'])]),
    );
    await new Promise((r) => setTimeout(r, 100));
    const during = await ask(['GET', 'ra:after']);
    const pushed = await ask(['LPUSH', 'ra:list', 'x']);
    for (let i = 0; i < 100 && !out1.endsWith('$1\r\n1\r\n'); i++) await new Promise((r) => setTimeout(r, 20));
    const later = await ask(['GET', 'ra:after']);
    c1.destroy();
    c2.destroy();
    return [during, pushed, out1, later];
  };
  const [x, y] = await Promise.all([run(tsdis.port), run(redis.port)]);
  assert.deepEqual(x, y);
  assert.deepEqual(y, ['$-1\r\n', ':1\r\n', '*2\r\n$7\r\nra:list\r\n$1\r\nx\r\n+OK\r\n$1\r\n1\r\n', '$1\r\n1\r\n']);
});

test("a blocked client's pipelined commands still count in its query buffer (CLIENT LIST qbuf)", { skip }, async () => {
  const qbuf = async (port: number): Promise<string> => {
    const c1 = net.connect(port, '127.0.0.1');
    const c2 = net.connect(port, '127.0.0.1');
    const ask = (c: net.Socket, argv: string[]): Promise<string> =>
      new Promise((resolve) => {
        c.once('data', (d: Buffer) => resolve(d.latin1Slice(0)));
        c.write(encode(argv));
      });
    await ask(c1, ['CLIENT', 'SETNAME', 'waiter']);
    const value = big(8000); // all of it in one read: tsdis reads the SETs ahead with the BLPOP
    // BLPOP blocks; the SETs behind it (read ahead by tsdis with it, or not) wait in the query buffer
    c1.write(
      Buffer.concat([
        encode(['BLPOP', 'qb:list', '0']),
        encode(['SET', 'qb:a', value]),
        encode(['SET', 'qb:b', value]),
        encode(['GET', 'qb:a']),
      ]),
    );
    let line = '';
    for (let i = 0; i < 50 && !/ qbuf=[1-9]/.test(line); i++) {
      await new Promise((r) => setTimeout(r, 20));
      line = (await ask(c2, ['CLIENT', 'LIST'])).split('\n').find((l) => l.includes('name=waiter')) ?? '';
    }
    await ask(c2, ['LPUSH', 'qb:list', 'x']);
    c1.destroy();
    c2.destroy();
    return / qbuf=(\d+) /.exec(line)?.[1] ?? 'none';
  };
  const [x, y] = await Promise.all([qbuf(tsdis.port), qbuf(redis.port)]);
  assert.equal(x, y);
  assert.ok(Number(y) > 16000, `qbuf ${y}`);
});

test('requirepass: NOAUTH, AUTH, WRONGPASS, HELLO AUTH, unauthenticated caps', { skip }, async () => {
  await Promise.all([
    same(tsdisAuth, redisAuth, encode(['PING'])),
    same(tsdisAuth, redisAuth, 'PING\r\n'),
    same(tsdisAuth, redisAuth, encode(['GET', 'k'])),
    same(tsdisAuth, redisAuth, encode(['NOSUCH', 'x'])),
    same(tsdisAuth, redisAuth, encode(['GET'])), // arity is checked before auth
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'nope']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'default', 'nope']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'someone', 'sesame']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'sesame']), encode(['PING']), encode(['ECHO', 'in'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'default', 'sesame']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['HELLO', '2']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['HELLO', '2', 'AUTH', 'default', 'bad']), encode(['PING'])])),
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'a', 'b', 'c'])])),
    // without requirepass
    same(tsdis, redis, encode(['AUTH', 'x'])),
    same(tsdis, redis, encode(['AUTH', 'default', 'anything'])),
    same(tsdis, redis, encode(['AUTH', 'other', 'x'])),
    // the smaller caps before authentication
    same(tsdisAuth, redisAuth, '*11\r\n'),
    same(tsdisAuth, redisAuth, '*10\r\n$4\r\nECHO\r\n'),
    same(tsdisAuth, redisAuth, '*2\r\n$4\r\nECHO\r\n$16385\r\n'),
    same(tsdisAuth, redisAuth, encode(['ECHO', big(16384)])),
    // after AUTH the normal limits apply
    same(tsdisAuth, redisAuth, Buffer.concat([encode(['AUTH', 'sesame']), encode(['ECHO', big(20000)]), b('*12\r\n')])),
    // and after RESET the unauthenticated ones again, to a pipeline of key commands too
    same(
      tsdisAuth,
      redisAuth,
      Buffer.concat([
        encode(['AUTH', 'sesame']),
        encode(['SET', 'k', 'v']),
        encode(['GET', 'k']),
        encode(['RESET']),
        encode(['GET', 'k']),
        b('*12\r\n'),
      ]),
    ),
  ]);
  // HELLO 3 AUTH: compare the shape only (server/version fields differ)
  const [x, y] = await Promise.all([
    exchange(tsdisAuth.port, [Buffer.concat([encode(['HELLO', '3', 'AUTH', 'default', 'sesame']), encode(['PING'])])]),
    exchange(redisAuth.port, [Buffer.concat([encode(['HELLO', '3', 'AUTH', 'default', 'sesame']), encode(['PING'])])]),
  ]);
  assert.ok(x.out.startsWith('%7\r\n') && y.out.startsWith('%7\r\n'));
  assert.ok(x.out.endsWith('+PONG\r\n') && y.out.endsWith('+PONG\r\n'));
});

test('client-query-buffer-limit closes without a reply; proto-max-bulk-len', { skip }, async () => {
  const head = b('*2\r\n$4\r\nECHO\r\n$2000000\r\n');
  const chunk = Buffer.alloc(512 * 1024, 0x61);
  const o = await same(
    tsdisSmall,
    redisSmall,
    [head, chunk, chunk, chunk, chunk],
    'a 2 MB bulk against a 1 MB query buffer limit',
  );
  assert.deepEqual(o, { out: '', closed: true });
  await Promise.all([
    same(tsdisSmall, redisSmall, `*2\r\n$4\r\nECHO\r\n$${2 * 1024 * 1024 + 1}\r\n`, 'bulk over proto-max-bulk-len'),
    same(tsdisSmall, redisSmall, encode(['ECHO', big(900 * 1024)]), 'bulk under both limits'),
  ]);
});

test('fuzz: corrupted frames get the same replies from both (seeded)', { skip }, async () => {
  const frames = [
    encode(['PING']),
    encode(['ECHO', 'abcde']), // (not 'hello': the word would run HELLO inline)
    encode(['ECHO', '']),
    b('PING\r\n'),
    b('ECHO "a b" \'c\'\r\n'),
    b('\r\n'),
    encode(['PING', 'x']),
  ];
  const alphabet = b('*$\r\n0123456789-"\'\\ x\0aZ');
  const gen = fc.tuple(
    fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 5 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...alphabet), fc.constantFrom('set', 'insert', 'delete')), {
      maxLength: 3,
    }),
  );
  const samples = fc.sample(gen, { numRuns: 150, seed: 20261124 });
  const inputs = samples.map(([fs, muts]) => {
    const bytes = [...Buffer.concat(fs)];
    for (const [pos, byte, kind] of muts) {
      const p = pos % (bytes.length + 1);
      if (kind === 'set' && p < bytes.length) bytes[p] = byte;
      else if (kind === 'insert') bytes.splice(p, 0, byte);
      else if (kind === 'delete' && p < bytes.length) bytes.splice(p, 1);
    }
    return Buffer.from(bytes);
  });
  // in batches, so the idle waits overlap
  for (let i = 0; i < inputs.length; i += 30) {
    await Promise.all(inputs.slice(i, i + 30).map((inp) => same(tsdis, redis, inp)));
  }
});

/**
 * A blocked client whose connection goes away must never be served again.
 * bee-queue's shape: a worker blocked in BRPOPLPUSH has its socket destroyed,
 * reconnects at once and blocks again; the job saved next must reach the new
 * connection, not the dead one (which would move it to the active list and
 * leave the worker waiting forever). The peer's FIN and the next commands can
 * arrive in the same event-loop turn, before the socket's 'close' event.
 * Checked against redis-server too, and under load: many queues, pub/sub and
 * scripts running meanwhile.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { hasRedis, startRedis, startTsdis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import type { TsdisServer } from '../../src/index.js';

let tsdis: TsdisServer | undefined;
let redis: RedisProcess | undefined;
after(async () => {
  await tsdis?.close();
  await redis?.stop();
});

/** Waits (bounded) until the server reports `n` blocked clients. */
async function blockedClients(c: RawConn, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await c.call('INFO', 'clients')).includes(`blocked_clients:${n}\r\n`)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`never saw blocked_clients:${n}`);
}

/** One round: worker blocks, its socket dies, a new worker blocks, a job is pushed: the new worker gets it. */
async function round(port: number, ctl: RawConn, i: number, tight: boolean): Promise<void> {
  const src = `q:${i}:wait`;
  const dst = `q:${i}:active`;
  const dead = await RawConn.connect(port);
  dead.write(encode(['BRPOPLPUSH', src, dst, '0']));
  await blockedClients(ctl, 1);
  const next = net.connect(port, '127.0.0.1');
  await new Promise((r) => next.once('connect', r));
  // the FIN, the new wait and the push leave back to back
  dead.sock.destroy();
  next.write(encode(['BRPOPLPUSH', src, dst, '0']));
  let got = '';
  next.on('data', (d) => (got += d.toString('latin1')));
  if (!tight || i % 2 === 0) await blockedClients(ctl, 1);
  // tight, odd rounds: the push leaves in the same turn as the FIN and the new wait
  assert.equal(await ctl.call('LPUSH', src, `job${i}`), ':1\r\n');
  for (let k = 0; k < 400 && got === ''; k++) await new Promise((r) => setTimeout(r, 5));
  next.destroy();
  assert.equal(got, `$${`job${i}`.length}\r\njob${i}\r\n`, `round ${i}: the live worker did not get the job`);
}

async function scenario(port: number, rounds: number, noise: boolean, tight: boolean): Promise<void> {
  const ctl = await RawConn.connect(port);
  const stop = { now: false };
  const noiseDone: Promise<void>[] = [];
  if (noise) {
    // pub/sub events and scripts on other connections, as a queue library's other tests make
    for (let n = 0; n < 4; n++) {
      noiseDone.push(
        (async () => {
          const c = await RawConn.connect(port);
          for (let j = 0; !stop.now; j++) {
            await c.call(
              'EVAL',
              "redis.call('HSET', KEYS[1], 'n', ARGV[1]); return redis.call('PUBLISH', 'events', ARGV[1])",
              '1',
              `job:${n}`,
              String(j),
            );
            await c.call('LPUSH', `other:${n}`, String(j));
            await c.call('RPOP', `other:${n}`);
          }
          c.close();
        })(),
      );
    }
    const sub = await RawConn.connect(port);
    sub.write(encode(['SUBSCRIBE', 'events']));
    noiseDone.push(
      (async () => {
        while (!stop.now) await new Promise((r) => setTimeout(r, 20));
        sub.close();
      })(),
    );
  }
  try {
    for (let i = 0; i < rounds; i++) await round(port, ctl, i, tight);
  } finally {
    stop.now = true;
    await Promise.all(noiseDone);
    ctl.close();
  }
}

test('tsdis: a destroyed blocked connection is never served (200 rounds, under load)', async () => {
  tsdis = await startTsdis();
  await scenario(tsdis.port, 200, true, true);
});

// Redis handles a turn's events in epoll order, so a FIN and a push read in the same turn
// can go either way there too: the reference runs the rounds that wait for the new wait.
test(
  'redis-server: the same scenario, without the same-turn rounds (the reference behaves so)',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    redis = await startRedis();
    await scenario(redis.port, 50, true, false);
  },
);

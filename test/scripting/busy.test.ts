/**
 * Long-running scripts against a real redis-server, raw reply bytes
 * compared: past busy-reply-threshold other clients get -BUSY (the EVAL
 * and the FCALL wording), only `allow_busy` commands run (SCRIPT KILL,
 * FUNCTION KILL / STATS, MULTI; EXEC is aborted; SHUTDOWN only with
 * NOSAVE), SCRIPT KILL / FUNCTION KILL end a script that has not written
 * (and one that catches the error with pcall), UNKILLABLE once it wrote,
 * NOTBUSY when idle, SHUTDOWN NOSAVE ends the process, FUNCTION LOAD's
 * 500 ms limit; connections opened during a busy script (or waiting in the
 * backlog when it started) served as redis-server serves them, and kept
 * after it; SIGTERM during a busy script. tsdis runs as a child process: a
 * busy script holds the event loop of the process it runs in.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { encode } from '../helpers/resp.js';
import { waitBlocked } from '../helpers/diff.js';
import { sleep, until } from '../helpers/wait.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const THRESHOLD = 100;

interface Side {
  name: string;
  port: number;
  /** Sends a signal to the server process. */
  signal(sig: NodeJS.Signals): void;
  /** What the process logged (tsdis; redis-server's output is not kept). */
  output(): string;
  /** Resolves the exit code once the process has exited (bounded). */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function redisSide(extra: string[]): Promise<Side> {
  const r = await startRedis(['--busy-reply-threshold', String(THRESHOLD), ...extra]);
  return {
    name: 'redis',
    port: r.port,
    signal: (sig) => r.proc.kill(sig),
    output: () => '',
    exited: () =>
      new Promise((resolve, reject) => {
        if (r.proc.exitCode !== null) return resolve(r.proc.exitCode);
        const t = setTimeout(() => reject(new Error('redis-server did not exit')), 10000);
        r.proc.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      }),
    stop: () => r.stop(),
  };
}

async function tsdisSide(extra: string[]): Promise<Side> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-busy-'));
  dirs.push(dir);
  const c = await startChild(['--busy-reply-threshold', String(THRESHOLD), '--save', '', ...extra], dir);
  return {
    name: 'tsdis',
    port: c.port,
    signal: (sig) => c.proc.kill(sig),
    output: () => c.output(),
    exited: () => c.exited(),
    stop: () => c.kill(),
  };
}

/** Runs `scenario` against redis-server and tsdis (both started with `extra` flags) and compares what each recorded. */
async function both(scenario: (s: Side, log: string[]) => Promise<void>, extra: string[] = []): Promise<void> {
  const out: string[][] = [];
  for (const start of [redisSide, tsdisSide]) {
    const side = await start(extra);
    const log: string[] = [];
    try {
      // tsdis's Lua VM loads on first use, and the server turns while it does (scripting/vm-gate.ts):
      // these scenarios time when a script starts, so it is loaded before them (on both sides: client ids)
      const w = await RawConn.connect(side.port);
      await w.call('SCRIPT', 'LOAD', 'return 1');
      await w.call('SCRIPT', 'FLUSH');
      w.close();
      await scenario(side, log);
    } catch (e) {
      throw new Error(`${side.name}: ${(e as Error).message} (after ${JSON.stringify(log)})\n${side.output()}`, {
        cause: e,
      });
    } finally {
      await side.stop();
    }
    out.push(log);
  }
  assert.deepEqual(out[1], out[0]);
}

/** Sends PING until the server answers it with an error (BUSY), bounded; returns that reply. */
function untilBusy(c: RawConn): Promise<string> {
  return untilError(c, 'PING');
}

/**
 * A connection opened once the script is busy: tests of connections made
 * during a busy script cannot poll for "busy" without opening one, so they
 * wait three busy-reply-thresholds on purpose (a sleep by design).
 */
async function pastThreshold(): Promise<void> {
  await sleep(THRESHOLD * 3);
}

/**
 * Waits until every connection is handed back to the server after a busy
 * script (tsdis: CLIENT LIST on `c` shows no relayed `fd=-1`; redis-server
 * at once); returns that CLIENT LIST.
 */
function handedBack(c: RawConn): Promise<string> {
  return until('every connection handed back (no fd=-1 in CLIENT LIST)', async () => {
    const list = await c.call('CLIENT', 'LIST');
    return / fd=-1 /.test(list) ? '' : list;
  });
}

test(
  'EVAL past the threshold: BUSY, allow_busy commands, EXECABORT, SCRIPT KILL, then normal service',
  { skip },
  async () => {
    await both(async (s, log) => {
      const a = await RawConn.connect(s.port);
      const b = await RawConn.connect(s.port);
      const c = await RawConn.connect(s.port);
      try {
        const sha = await b.call('SCRIPT', 'LOAD', 'return ARGV[1]');
        log.push(sha);
        log.push(await c.call('MULTI'));
        log.push(await c.call('SET', 'q', '1'));
        // The caller's pipelined PING waits for the script (its client is not served while busy).
        a.write(Buffer.concat([encode(['EVAL', 'while true do end', '0']), encode(['PING'])]));
        // a sleep on purpose: b's PING must arrive after the script started, which no reply can show
        await sleep(10);
        const t0 = performance.now();
        const first = await b.call('PING');
        const waited = performance.now() - t0;
        log.push(first);
        assert.ok(waited >= THRESHOLD / 2, `${s.name}: PING answered after ${waited} ms`);
        for (const cmd of [
          ['PING'],
          ['GET', 'q'],
          ['CLIENT', 'LIST'],
          ['FUNCTION', 'STATS'],
          ['FUNCTION', 'KILL'],
          ['SHUTDOWN'],
          ['EVAL', 'return 1', '0'],
          ['NOSUCH'],
        ]) {
          log.push(`${cmd.join(' ')} -> ${await b.call(...cmd)}`);
        }
        log.push(`exec -> ${await c.call('EXEC')}`);
        log.push(`multi -> ${await c.call('MULTI')}`);
        log.push(`incr -> ${await c.call('INCR', 'q')}`);
        log.push(`discard -> ${await c.call('DISCARD')}`);
        log.push(`kill -> ${await b.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        log.push(`caller ping -> ${await a.read()}`);
        log.push(`kill again -> ${await b.call('SCRIPT', 'KILL')}`);
        log.push(`function kill -> ${await b.call('FUNCTION', 'KILL')}`);
        log.push(await b.call('PING'));
        log.push(await a.call('EVAL', 'return 1 + 1', '0'));
        log.push(await a.call('EVALSHA', sha.split('\r\n')[1]!, '0', 'again'));
        log.push(await c.call('GET', 'q'));
      } finally {
        a.close();
        b.close();
        c.close();
      }
    });
  },
);

test('a killed script cannot survive by catching the error with pcall', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      a.write(encode(['EVAL', 'while true do pcall(function() while true do end end) end', '0']));
      log.push(await untilBusy(b));
      log.push(await b.call('SCRIPT', 'KILL'));
      const r = await a.read();
      // Where the error lands (the line) may differ: compare the text around it.
      log.push(r.replace(/@user_script:\d+\./, '@user_script:N.'));
      log.push(await b.call('EVAL', 'local n = 0 for i = 1, 100000 do n = n + i end return n', '0'));
    } finally {
      a.close();
      b.close();
    }
  });
});

test('FCALL past the threshold: the function wording, FUNCTION STATS, FUNCTION KILL', { skip }, async () => {
  const lib =
    "#!lua name=spinlib\nredis.register_function('spin', function(keys, args)\n  while true do end\nend)\n" +
    "redis.register_function('ok', function() return 'fine' end)";
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      log.push(await b.call('FUNCTION', 'LOAD', lib));
      log.push(await b.call('FUNCTION', 'STATS'));
      a.write(encode(['FCALL', 'spin', '0', 'arg']));
      log.push(await untilBusy(b));
      log.push((await b.call('FUNCTION', 'STATS')).replace(/duration_ms\r\n:\d+/, 'duration_ms\r\n:N'));
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await a.read());
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await a.call('FCALL', 'ok', '0'));
    } finally {
      a.close();
      b.close();
    }
  });
});

test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE ends the process', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    try {
      const body = "redis.call('set', 'x', '1') while true do end";
      a.write(encode(['EVAL', body, '0']));
      log.push(await untilBusy(b));
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(await b.call('SHUTDOWN'));
      log.push(await b.call('SHUTDOWN', 'SAVE'));
      b.write(encode(['SHUTDOWN', 'NOSAVE']));
      log.push(`shutdown -> ${JSON.stringify(await b.readUntilClose())}`);
      log.push(`caller -> ${JSON.stringify(await a.readUntilClose())}`);
      log.push(`exit ${await s.exited()}`);
    } finally {
      a.close();
      b.close();
    }
  });
});

test('NOTBUSY when nothing runs; a loop in FUNCTION LOAD times out', { skip }, async () => {
  await both(async (s, log) => {
    const b = await RawConn.connect(s.port);
    try {
      log.push(await b.call('SCRIPT', 'KILL'));
      log.push(await b.call('FUNCTION', 'KILL'));
      log.push(
        await b.call(
          'FUNCTION',
          'LOAD',
          "#!lua name=loop\nwhile true do end\nredis.register_function('f', function() return 1 end)",
        ),
      );
      log.push(await b.call('FUNCTION', 'LIST'));
      log.push(await b.call('PING'));
    } finally {
      b.close();
    }
  });
});

// Connections opened while a script is busy (or waiting, not yet accepted,
// when it started): redis-server accepts them and serves them as any other
// client. tsdis's event loop is held by the script, so a helper process
// accepts and relays them (src/server/busy-relay.ts).

/** Replies to `cmd` until the server answers with an error (BUSY), bounded; returns it. */
function untilError(c: RawConn, ...cmd: string[]): Promise<string> {
  return until(
    `the server to become busy (${cmd.join(' ')} answered with an error)`,
    async () => {
      const r = await c.call(...cmd);
      return r.startsWith('-') ? r : '';
    },
    { every: 20 },
  );
}

test(
  'a connection opened after an EVAL became busy: BUSY, then its SCRIPT KILL ends the script',
  { skip },
  async () => {
    await both(async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        a.write(encode(['EVAL', 'while true do end', '0']));
        // no other connection exists: the first one is opened once the script is busy
        await pastThreshold();
        n = await RawConn.connect(s.port);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        log.push(`ping -> ${await n.call('PING')}`);
        log.push(`client list -> ${await n.call('CLIENT', 'LIST')}`);
        log.push(`function kill -> ${await n.call('FUNCTION', 'KILL')}`);
        log.push(`shutdown -> ${await n.call('SHUTDOWN')}`);
        log.push(`auth -> ${await n.call('AUTH', 'x')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        log.push(`ping -> ${await n.call('PING')}`);
        log.push(`set -> ${await n.call('SET', 'k', 'v')}`);
        log.push(`caller get -> ${await a.call('GET', 'k')}`);
      } finally {
        a.close();
        n?.close();
      }
    });
  },
);

test('a connection opened after an FCALL became busy: the function wording, then FUNCTION KILL', { skip }, async () => {
  const lib = "#!lua name=spin2\nredis.register_function('spin2', function() while true do end end)";
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    let n: RawConn | null = null;
    try {
      log.push(await a.call('FUNCTION', 'LOAD', lib));
      a.write(encode(['FCALL', 'spin2', '0']));
      await pastThreshold();
      n = await RawConn.connect(s.port);
      log.push(`get -> ${await n.call('GET', 'k')}`);
      log.push(`stats -> ${(await n.call('FUNCTION', 'STATS')).replace(/duration_ms\r\n:\d+/, 'duration_ms\r\n:N')}`);
      log.push(`script kill -> ${await n.call('SCRIPT', 'KILL')}`);
      log.push(`function kill -> ${await n.call('FUNCTION', 'KILL')}`);
      log.push(`caller -> ${await a.read()}`);
      log.push(`ping -> ${await n.call('PING')}`);
    } finally {
      a.close();
      n?.close();
    }
  });
});

test('SHUTDOWN NOSAVE from a connection opened during an unkillable script ends the process', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    let n: RawConn | null = null;
    try {
      a.write(encode(['EVAL', "redis.call('set', 'x', '1') while true do end", '0']));
      await pastThreshold();
      n = await RawConn.connect(s.port);
      log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
      n.write(encode(['SHUTDOWN', 'NOSAVE']));
      log.push(`shutdown -> ${JSON.stringify(await n.readUntilClose())}`);
      log.push(`caller -> ${JSON.stringify(await a.readUntilClose())}`);
      log.push(`exit ${await s.exited()}`);
    } finally {
      a.close();
      n?.close();
    }
  });
});

test('a connection waiting to be accepted when the script started is served', { skip }, async () => {
  await both(
    async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        // DEBUG SLEEP holds the server; the EVAL right behind it starts without
        // the server turning, so `n` is still in the listen backlog then.
        a.write(Buffer.concat([encode(['DEBUG', 'SLEEP', '0.3']), encode(['EVAL', 'while true do end', '0'])]));
        // a sleep on purpose: n connects while DEBUG SLEEP holds the server (nothing can answer then)
        await sleep(100);
        n = await RawConn.connect(s.port);
        log.push(`ping -> ${await n.call('PING')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()} ${await a.read()}`);
        log.push(`ping -> ${await n.call('PING')}`);
      } finally {
        a.close();
        n?.close();
      }
    },
    ['--enable-debug-command', 'yes'],
  );
});

test(
  'a connection relayed during a busy script keeps its id, name, protocol and database afterwards',
  { skip },
  async () => {
    await both(async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        a.write(encode(['EVAL', 'while true do end', '0']));
        await pastThreshold();
        n = await RawConn.connect(s.port);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        const hello = await n.call('HELLO', '3', 'SETNAME', 'relayed');
        const id = /\r\nid\r\n:(\d+)\r\n/.exec(hello.replace(/^%\d+\r\n\$2\r\nid\r\n/, '\r\nid\r\n'))?.[1] ?? hello;
        log.push(
          `hello -> ${hello.replace(/:\d+\r\n/, ':N\r\n').replace(/\$\d+\r\n\d+\.\d+\.\d+\r\n/, '$V\r\nVERSION\r\n')}`,
        );
        log.push(`multi -> ${await n.call('MULTI')}`);
        log.push(`discard -> ${await n.call('DISCARD')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        // at once, while tsdis may still be taking the connection back
        log.push(`select -> ${await n.call('SELECT', '2')}`);
        log.push(`set -> ${await n.call('SET', 'k', 'v2')}`);
        await handedBack(a);
        // pipelined, after the hand-back
        n.write(
          Buffer.concat(
            [
              ['GET', 'k'],
              ['DBSIZE'],
              ['HSET', 'h', 'f', 'v'],
              ['HGETALL', 'h'],
              ['CLIENT', 'GETNAME'],
              ['CLIENT', 'ID'],
            ].map((c) => encode(c)),
          ),
        );
        const replies: string[] = [];
        for (let i = 0; i < 6; i++) replies.push(await n.read());
        log.push(`pipeline -> ${replies.slice(0, 5).join('')}`);
        log.push(`same id -> ${replies[5] === `:${id}\r\n`}`);
        log.push(`db0 -> ${await a.call('DBSIZE')}`);
        const list = await n.call('CLIENT', 'LIST', 'ID', id);
        // (resp= ends the line in 7.0; 7.2 adds lib-name and lib-ver after it)
        log.push(
          `addr -> ${list.includes(` addr=127.0.0.1:${n.sock.localPort} laddr=127.0.0.1:${s.port} `)} ${/ name=relayed .* db=2 /.test(list)} ${/ resp=3[ \n]/.test(list)}`,
        );
        if (s.name === 'tsdis')
          assert.match(list, / fd=\d+ /, 'handed back: the connection has its own descriptor again');
      } finally {
        a.close();
        n?.close();
      }
    });
  },
);

test('SIGTERM (twice) during a busy script: the server ends once the script is killed', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    let n: RawConn | null = null;
    try {
      a.write(encode(['EVAL', 'while true do end', '0']));
      await pastThreshold();
      n = await RawConn.connect(s.port);
      log.push(`get -> ${await untilError(n, 'GET', 'k')}`);
      s.signal('SIGTERM');
      // sleeps on purpose: two signals apart, then time in which the server must not exit
      await sleep(100);
      // a second SIGTERM is not a forced exit (only a second SIGINT is)
      s.signal('SIGTERM');
      await sleep(200);
      // still running the script: the shutdown waits for it
      log.push(`ping -> ${await n.call('PING')}`);
      log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
      // Redis's overdue serverCron shuts down right after the script ends,
      // before the caller's reply is written; tsdis writes it, then closes.
      const caller = await a.readUntilClose();
      if (s.name === 'tsdis') assert.match(caller, /^-ERR Script killed by user with SCRIPT KILL\.\.\. /);
      else assert.equal(caller, '');
      log.push(`other -> ${JSON.stringify(await n.readUntilClose())}`);
      log.push(`exit ${await s.exited()}`);
      if (s.name === 'tsdis') {
        // logged once the script has ended (Node runs signal handlers on its event loop), then the shutdown
        assert.match(s.output(), /Received SIGTERM scheduling shutdown\.\.\.\n(.*\n)*.*User requested shutdown\.\.\./);
        assert.doesNotMatch(s.output(), /You insist/);
      }
    } finally {
      a.close();
      n?.close();
    }
  });
});

test(
  'two busy scripts, the second sent while the first runs: a relayed connection is served through both',
  { skip },
  async () => {
    await both(async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      let q: RawConn | null = null;
      try {
        const spin = encode(['EVAL', 'while true do end', '0']);
        a.write(spin);
        await pastThreshold();
        n = await RawConn.connect(s.port);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        q = await RawConn.connect(s.port);
        log.push(`quit -> ${JSON.stringify(await q.call('QUIT'))} ${JSON.stringify(await q.readUntilClose())}`);
        // the caller is not read while its script runs: this starts once the first one ends,
        // maybe while tsdis is handing the relayed connections back
        a.write(spin);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        log.push(`get -> ${await untilError(n, 'GET', 'k')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        log.push(`ping -> ${await n.call('PING')}`);
        const list = await handedBack(n);
        log.push(`clients -> ${list.split('\n').filter((l) => l.startsWith('id=')).length}`);
      } finally {
        a.close();
        n?.close();
        q?.close();
      }
    });
  },
);

// redis-server 7.0.15 is erratic here (the caller may never get its replies, a
// later PING may still get BUSY), so this one checks tsdis alone.
test('two busy scripts pipelined in one write: the acceptor relays on through the second', async () => {
  const s = await tsdisSide(['--loglevel', 'verbose']);
  const a = await RawConn.connect(s.port);
  let n: RawConn | null = null;
  try {
    const spin = encode(['EVAL', 'while true do end', '0']);
    a.write(Buffer.concat([spin, spin]));
    await pastThreshold();
    n = await RawConn.connect(s.port);
    assert.match(await n.call('GET', 'k'), /^-BUSY /);
    assert.equal(await n.call('SCRIPT', 'KILL'), '+OK\r\n');
    // the second script starts before the server turns: the same acceptor relays n
    assert.match(await untilError(n, 'GET', 'k'), /^-BUSY /);
    assert.equal(await n.call('SCRIPT', 'KILL'), '+OK\r\n');
    assert.match(await a.read(), /^-ERR Script killed by user/);
    assert.match(await a.read(), /^-ERR Script killed by user/);
    assert.equal(await n.call('PING'), '+PONG\r\n');
    const list = await handedBack(n);
    assert.equal(list.split('\n').filter((l) => l.startsWith('id=')).length, 2);
    assert.equal((s.output().match(/Slow script detected/g) ?? []).length, 2);
    assert.equal((s.output().match(/Accepting connections during the busy script through process/g) ?? []).length, 1);
  } finally {
    a.close();
    n?.close();
    await s.stop();
  }
});

test('a relayed client runs a busy script itself: its next commands wait for it', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    let n: RawConn | null = null;
    let m: RawConn | null = null;
    try {
      a.write(encode(['EVAL', 'while true do end', '0']));
      await pastThreshold();
      n = await RawConn.connect(s.port);
      log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
      log.push(`caller -> ${await a.read()}`);
      // at once: tsdis may still relay n
      n.write(encode(['EVAL', 'while true do end', '0']));
      log.push(`get -> ${await untilError(a, 'GET', 'k')}`);
      n.write(Buffer.concat([encode(['SET', 'k', 'after']), encode(['GET', 'k'])]));
      m = await RawConn.connect(s.port);
      log.push(`m get -> ${await m.call('GET', 'k')}`);
      log.push(`kill -> ${await m.call('SCRIPT', 'KILL')}`);
      log.push(`n -> ${await n.read()} ${await n.read()} ${await n.read()}`);
    } finally {
      a.close();
      n?.close();
      m?.close();
    }
  });
});

test('a unix socket connection during a busy script', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-busy-unix-'));
  dirs.push(dir);
  const sock = path.join(dir, 's.sock');
  await both(
    async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        a.write(encode(['EVAL', 'while true do end', '0']));
        await pastThreshold();
        n = await RawConn.connectUnix(sock);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        await handedBack(n);
        const me = await n.call('CLIENT', 'INFO');
        log.push(`info -> ${me.includes(` addr=${sock}:0 laddr=${sock}:0 `)} ${/ flags=U /.test(me)}`);
        if (s.name === 'tsdis') assert.match(me, / fd=\d+ /, 'handed back');
      } finally {
        a.close();
        n?.close();
      }
    },
    ['--unixsocket', sock],
  );
});

test('maxclients holds for connections opened during a busy script', { skip }, async () => {
  await both(
    async (s, log) => {
      const a = await RawConn.connect(s.port);
      // the start-up probes' connections are gone: a is the only client
      await until(
        'a to be the only client',
        async () => (await a.call('CLIENT', 'LIST')).split('\n').filter((l) => l.startsWith('id=')).length === 1,
      );
      const b = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        log.push(await b.call('PING'));
        a.write(encode(['EVAL', 'while true do end', '0']));
        await pastThreshold();
        n = await RawConn.connect(s.port);
        log.push(`refused -> ${JSON.stringify(await n.readUntilClose())}`);
        log.push(`kill -> ${await b.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
        log.push(`stats -> ${/rejected_connections:1\r\n/.test(await b.call('INFO', 'stats'))}`);
      } finally {
        a.close();
        b.close();
        n?.close();
      }
    },
    ['--maxclients', '2'],
  );
});

test('requirepass: a connection opened during a busy script must authenticate first', { skip }, async () => {
  await both(
    async (s, log) => {
      const a = await RawConn.connect(s.port);
      let n: RawConn | null = null;
      try {
        log.push(await a.call('AUTH', 'pw'));
        a.write(encode(['EVAL', 'while true do end', '0']));
        await pastThreshold();
        n = await RawConn.connect(s.port);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`auth -> ${await n.call('AUTH', 'nope')}`);
        log.push(`auth -> ${await n.call('AUTH', 'pw')}`);
        log.push(`get -> ${await n.call('GET', 'k')}`);
        log.push(`kill -> ${await n.call('SCRIPT', 'KILL')}`);
        log.push(`caller -> ${await a.read()}`);
      } finally {
        a.close();
        n?.close();
      }
    },
    ['--requirepass', 'pw'],
  );
});

test('a connection that sends SCRIPT KILL and half-closes (nc -q) still gets its reply', { skip }, async () => {
  await both(async (s, log) => {
    const a = await RawConn.connect(s.port);
    let n: RawConn | null = null;
    try {
      a.write(encode(['EVAL', 'while true do end', '0']));
      await pastThreshold();
      n = await RawConn.connect(s.port);
      n.sock.end(encode(['SCRIPT', 'KILL']));
      log.push(`kill -> ${JSON.stringify(await n.readUntilClose())}`);
      log.push(`caller -> ${await a.read()}`);
      log.push(`ping -> ${await a.call('PING')}`);
    } finally {
      a.close();
      n?.close();
    }
  });
});

test(
  'a connection made right after SHUTDOWN NOSAVE ended a busy script is refused (the acceptor has closed its listeners)',
  { skip },
  async () => {
    await both(async (s, log) => {
      const a = await RawConn.connect(s.port);
      let b: RawConn | null = null;
      try {
        a.write(encode(['EVAL', 'while true do end', '0']));
        await pastThreshold();
        // opened while busy: relayed by tsdis's acceptor process
        b = await RawConn.connect(s.port);
        log.push(await untilBusy(b));
        b.write(encode(['SHUTDOWN', 'NOSAVE']));
        log.push(`shutdown -> ${JSON.stringify(await b.readUntilClose())}`);
        // at once, as Redis's "SHUTDOWN NOSAVE can kill a timedout script anyway" connects
        const refused = await RawConn.connect(s.port).then(
          (c) => {
            c.close();
            return 'accepted';
          },
          (e: NodeJS.ErrnoException) => e.code ?? 'error',
        );
        log.push(`connect -> ${refused}`);
        log.push(`exit ${await s.exited()}`);
      } finally {
        a.close();
        b?.close();
      }
    });
  },
);

test(
  'clients blocked on a key a busy script pushed to are served when the script ends, not while it is busy',
  { skip },
  async () => {
    await both(
      async (s, log) => {
        const blocked = await RawConn.connect(s.port);
        const runner = await RawConn.connect(s.port);
        const other = await RawConn.connect(s.port);
        try {
          blocked.write(encode(['BLPOP', 'x', '0']));
          await waitBlocked(s.port, 1);
          await other.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1');
          // pushes y, waits (busy) until a client named abortscript shows up, then pushes z
          const body =
            "redis.call('lpush', KEYS[1], 'y') while true do if string.find(redis.call('client', 'list'), 'abortscript') then break end end redis.call('lpush', KEYS[1], 'z') return 'done'";
          runner.write(encode(['EVAL', body, '1', 'x']));
          log.push(await untilBusy(other));
          // an allow_busy command ends the script's wait: the blocked client must not get y meanwhile
          log.push(await other.call('HELLO', '2', 'SETNAME', 'abortscript').then((r) => r.slice(0, 1)));
          log.push(`blpop -> ${await blocked.read()}`);
          log.push(`eval -> ${await runner.read()}`);
          log.push(await other.call('LRANGE', 'x', '0', '-1'));
          await other.call('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0');
        } finally {
          blocked.close();
          runner.close();
          other.close();
        }
      },
      ['--enable-debug-command', 'yes'],
    );
  },
);

test(
  'a connection closed while a script is busy is gone at once: the script sees it leave (INFO clients)',
  { skip },
  async () => {
    await both(async (s, log) => {
      const rd = await RawConn.connect(s.port);
      const other = await RawConn.connect(s.port);
      const probe = await RawConn.connect(s.port);
      try {
        // three connections (each answered once, so accepted): the script ends when INFO says two
        for (const c of [rd, other, probe]) assert.equal(await c.call('PING'), '+PONG\r\n');
        const script = `while not string.find(redis.call('info', 'clients'), 'connected_clients:2\\r', 1, true) do end
return 'left'`;
        rd.write(encode(['EVAL', script, '0']));
        log.push(`probe -> ${await untilBusy(probe)}`);
        other.close();
        log.push(`caller -> ${await rd.read()}`);
        log.push(`ping -> ${await probe.call('PING')}`);
      } finally {
        rd.close();
        other.close();
        probe.close();
      }
    });
  },
);

/**
 * The whole-server fuzzer behind test/fuzz/server.fuzz.test.ts (a few
 * seconds of each part) and scripts/fuzz.mjs (run long). Three attacks on a
 * running tsdis, each under a watcher, and one on its start:
 *
 * - protocol frames over many connections at once: valid commands
 *   (multibulk and inline, binary arguments) on `fz:` keys, mutations of
 *   them, truncated frames, huge declared lengths, nested and RESP3-typed
 *   garbage, NUL bytes, bad inline quoting, random bytes. A connection the
 *   server closes (a protocol error) is opened again; one that sent a frame
 *   that leaves the server waiting (a huge declared length, a truncation)
 *   closes itself after it;
 * - hostile Lua: deep recursion, big allocations, cyclic and
 *   metatable-laden tables returned, error() with odd values, bad
 *   redis.call arguments, random compositions of these; after each script a
 *   cached script must run (the VM lives: a restart counts as a crash);
 * - RESTORE of mutated DUMP payloads (restore-fuzz.ts);
 * - mutated RDB and AOF files at start: the server must either start or
 *   stop with a log line, never die by a signal, an uncaught exception or
 *   V8's out-of-memory, and never hang.
 *
 * The watcher is a separate process (the fuzzer's own busy loop must not
 * delay its timing): it PINGs on its own connection every 10 ms and records
 * the slowest answer; it samples the server's RSS; it checks a canary key
 * (db 9) once a second. A PING unanswered for 5 s is a hang.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { RawConn } from '../helpers/servers.js';
import { rng } from '../helpers/rng.js';
import { encode } from '../helpers/resp.js';
import { startChild, CLI } from '../helpers/child.js';
import { fillTypes, mutate } from './restore-fuzz.js';

type Rand = () => number;
const pick = <T>(r: Rand, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const b = (s: string) => Buffer.from(s, 'latin1');

// ---------------------------------------------------------------------------
// The watcher

/** PING answer times of one class of PINGs. */
export interface PingStats {
  pings: number;
  /** Slowest answer, ms. */
  maxPingMs: number;
  /** The 99th percentile of the answers, ms. */
  p99PingMs: number;
  /** Answers slower than 100 ms. */
  slowPings: number;
}

export interface WatchStats extends PingStats {
  /**
   * PINGs that waited while the fuzzer ran something that holds the server
   * by design, in Redis too (Watch.hold: DEBUG RELOAD, a script whose work
   * takes redis-server as long): counted here, not in the top-level figures.
   */
  held: PingStats;
  /** PINGs unanswered for 5 s (held or not). */
  hangs: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  canaryChecks: number;
  canaryBad: number;
  /** The watcher's own connection failed (refused, reset): it connects again. */
  connErrors: number;
  /** Connections of the watcher not established within 5 s (then tried again). */
  connectStalls: number;
  lastError: string;
}

/**
 * The watcher's program (node -e): args port pid canary-value [slow-log].
 * Its stdin takes lines `hold` and `free` (Watch.hold): a PING waiting at
 * any moment between the two counts as held. Prints one JSON line of
 * WatchStats when its stdin closes.
 */
const WATCHER = String.raw`
const net = require('node:net'), fs = require('node:fs');
const [port, pid, canary, slowLog] = process.argv.slice(1);
// (with a slow log: each PING over 20 ms as 'sent-at answered-at' in CLOCK_MONOTONIC µs, the clock of a V8 CPU profile)
const mono = () => Number(process.hrtime.bigint() / 1000n);
const slow = [];
const rss = () => { try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/' + pid + '/status', 'latin1'))[1]) / 1024; } catch { return 0; } };
const st = { pings: 0, maxPingMs: 0, p99PingMs: 0, slowPings: 0, held: { pings: 0, maxPingMs: 0, p99PingMs: 0, slowPings: 0 }, hangs: 0, rssStartMb: rss(), rssEndMb: 0, rssMaxMb: 0, canaryChecks: 0, canaryBad: 0, connErrors: 0, connectStalls: 0, lastError: '' };
let s = null, buf = '', waiting = null, sentAt = 0, connectAt = 0, stop = false, holding = false, pingHeld = false;
const times = { free: [], held: [] };
const want = '$' + canary.length + '\r\n' + canary + '\r\n';
// (re)connects: a connection refused or reset is counted, and the watch goes on on a new one
const connect = () => {
  buf = ''; waiting = 'connect'; connectAt = performance.now();
  s = net.connect(Number(port), '127.0.0.1');
  s.setNoDelay(true);
  s.on('data', (d) => {
    buf += d.latin1Slice(0);
    if (waiting === 'select' && buf.startsWith('+OK\r\n')) { buf = ''; waiting = null; }
    else if (waiting === 'ping' && buf.startsWith('+PONG\r\n')) {
      const ms = performance.now() - sentAt; buf = ''; waiting = null;
      const c = pingHeld ? st.held : st; (pingHeld ? times.held : times.free).push(ms); c.pings++;
      if (ms > c.maxPingMs) c.maxPingMs = ms; if (ms > 100) c.slowPings++;
      if (slowLog && ms > 20) { const now = mono(); slow.push(Math.round(now - ms * 1000) + ' ' + now); }
    } else if (waiting === 'get' && buf.length >= want.length) {
      st.canaryChecks++; if (buf !== want) st.canaryBad++; buf = ''; waiting = null;
    }
  });
  s.on('error', (e) => { st.connErrors++; st.lastError = e.code; });
  s.on('close', () => { if (!stop) setTimeout(connect, 10); });
  s.on('connect', () => { waiting = 'select'; s.write('*2\r\n$6\r\nSELECT\r\n$1\r\n9\r\n'); });
};
connect();
let n = 0;
setInterval(() => {
  if (waiting === 'ping' && performance.now() - sentAt > 5000) { st.hangs++; sentAt = performance.now(); }
  if (waiting === 'connect' && performance.now() - connectAt > 5000) { st.connectStalls++; s.destroy(); }
  if (waiting !== null || stop) return;
  n++;
  if (n % 100 === 0) { waiting = 'get'; s.write('*2\r\n$3\r\nGET\r\n$6\r\ncanary\r\n'); return; }
  waiting = 'ping'; pingHeld = holding; sentAt = performance.now(); s.write('PING\r\n');
}, 10);
setInterval(() => { const m = rss(); if (m > st.rssMaxMb) st.rssMaxMb = m; }, 250);
let line = '';
process.stdin.on('data', (d) => {
  line += d.toString('latin1');
  for (let i; (i = line.indexOf('\n')) >= 0; line = line.slice(i + 1)) {
    const cmd = line.slice(0, i);
    if (cmd === 'hold') { holding = true; if (waiting === 'ping') pingHeld = true; }
    else if (cmd === 'free') holding = false;
  }
});
const p99 = (xs) => { if (xs.length === 0) return 0; xs.sort((a, b) => a - b); return Math.round(xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] * 10) / 10; };
process.stdin.on('end', () => {
  stop = true;
  const finish = () => { if (slowLog) fs.writeFileSync(slowLog, slow.join('\n') + '\n'); st.rssEndMb = rss(); for (const [c, xs] of [[st, times.free], [st.held, times.held]]) { c.maxPingMs = Math.round(c.maxPingMs * 10) / 10; c.p99PingMs = p99(xs); } console.log(JSON.stringify(st)); process.exit(0); };
  if (waiting === 'ping') { const t0 = Date.now(); const i = setInterval(() => { if (waiting !== 'ping' || Date.now() - t0 > 5000) { clearInterval(i); finish(); } }, 5); } else finish();
});
`;

export interface Watch {
  /**
   * From hold(true) to hold(false) the fuzzer runs something that holds the
   * server by design: PINGs waiting meanwhile count in WatchStats.held.
   */
  hold(on: boolean): void;
  stop(): Promise<WatchStats>;
}

/**
 * Sets the canary (db 9) and starts the watcher process on `port` for the
 * server process `pid`; stop() returns what it saw. With `slowLog`, the
 * watcher writes there each PING slower than 20 ms (send and answer times,
 * CLOCK_MONOTONIC µs) for scripts/stalls.mjs to match against a CPU profile.
 */
export async function watch(port: number, pid: number, slowLog?: string): Promise<Watch> {
  const canary = 'canary-' + 'x'.repeat(1000) + '-end';
  const c = await RawConn.connect(port);
  await c.call('SELECT', '9');
  await c.call('SET', 'canary', canary);
  c.close();
  const proc: ChildProcess = spawn(
    process.execPath,
    ['-e', WATCHER, String(port), String(pid), canary, ...(slowLog === undefined ? [] : [slowLog])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => setTimeout(r, 200));
  return {
    hold: (on) => void proc.stdin!.write(on ? 'hold\n' : 'free\n'),
    stop: () =>
      new Promise<WatchStats>((resolve, reject) => {
        proc.once('exit', () => {
          try {
            resolve(JSON.parse(out) as WatchStats);
          } catch {
            reject(new Error(`watcher output: ${out}`));
          }
        });
        proc.stdin!.end();
      }),
  };
}

/**
 * Commands renamed away (redis.conf `rename-command X ""`) on the server the
 * frames and scripts are sent to: a mutated frame must not shut it down,
 * flush the canary, pause clients or change its configuration.
 */
export const RENAMED = [
  'SHUTDOWN',
  'FLUSHALL',
  'FLUSHDB',
  'SWAPDB',
  'DEBUG',
  'CONFIG',
  'CLIENT',
  'MONITOR',
  'SAVE',
  'BGSAVE',
  'BGREWRITEAOF',
  'MIGRATE',
];

/** The redis.conf text of RENAMED. */
export const renamedConf = (): string => RENAMED.map((c) => `rename-command ${c} ""\n`).join('');

// ---------------------------------------------------------------------------
// Protocol frames

/** Commands the frames are made of: none blocks, none is slow on small keys, none touches other keys than fz:*. */
function command(r: Rand): string[] {
  const k = `fz:${int(r, 20)}`;
  const v = (): string => {
    switch (int(r, 5)) {
      case 0:
        return String(int(r, 1000) - 500);
      case 1:
        return 'v'.repeat(int(r, 40));
      case 2: {
        let s = '';
        for (let i = int(r, 20); i > 0; i--) s += String.fromCharCode(int(r, 256));
        return s;
      }
      case 3:
        return '\r\n\x00"\'\\ ';
      default:
        return pick(r, ['', '0', '-1', 'inf', 'nan', '1e400', '9223372036854775807', '*', '[a', '(1']);
    }
  };
  switch (int(r, 24)) {
    case 0:
      return ['SET', k, v()];
    case 1:
      return ['GET', k];
    case 2:
      return ['LPUSH', k, v(), v()];
    case 3:
      return ['HSET', k, v(), v()];
    case 4:
      return ['SADD', k, v()];
    case 5:
      return ['ZADD', k, v(), v()];
    case 6:
      return ['INCR', k];
    case 7:
      return ['APPEND', k, v()];
    case 8:
      return ['ECHO', v()];
    case 9:
      return ['PING'];
    case 10:
      return ['DEL', k, `fz:${int(r, 20)}`];
    case 11:
      return ['EXPIRE', k, String(int(r, 100))];
    case 12:
      return ['XADD', k, '*', v(), v()];
    case 13:
      return ['LRANGE', k, v(), v()];
    case 14:
      return ['MGET', k, `fz:${int(r, 20)}`];
    case 15:
      return ['TYPE', k];
    case 16:
      return ['HGETALL', k];
    case 17:
      return ['ZRANGEBYSCORE', k, v(), v()];
    case 18:
      return ['GETRANGE', k, v(), v()];
    case 19:
      return ['OBJECT', 'ENCODING', k];
    case 20:
      return ['SINTERCARD', '1', k];
    case 21:
      return ['HELLO', pick(r, ['2', '3', '4', 'x'])];
    case 22:
      return [
        'EVAL',
        pick(r, ['return 1', 'return redis.call("GET", KEYS[1])', 'error("x")', 'return {1,{2}}']),
        '1',
        k,
      ];
    default:
      return [v(), k, v()];
  }
}

/** A command as an inline line (quoted when needed, sometimes badly). */
function inline(r: Rand, cmd: string[]): Buffer {
  const q = (a: string) => {
    if (/^[A-Za-z0-9:_.-]+$/.test(a)) return a;
    let s = '"';
    for (const ch of a) {
      const c = ch.charCodeAt(0);
      s += c < 32 || c > 126 || ch === '"' || ch === '\\' ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
    }
    return s + '"';
  };
  return b(cmd.map(q).join(' ') + '\r\n');
}

export interface FrameKind {
  name: string;
  /** The server is left waiting for more (the connection should close itself after it). */
  open: boolean;
}

/** One frame and its kind. */
export function frame(r: Rand): { bytes: Buffer; kind: string; open: boolean } {
  const x = r();
  if (x < 0.45) return { bytes: encode(command(r)), kind: 'valid', open: false };
  if (x < 0.55) return { bytes: inline(r, command(r)), kind: 'inline', open: false };
  if (x < 0.7) {
    const base = r() < 0.7 ? encode(command(r)) : inline(r, command(r));
    return { bytes: mutate(r, base, encode(command(r))), kind: 'mutated', open: false };
  }
  if (x < 0.76) {
    const base = encode(command(r));
    return { bytes: base.subarray(0, 1 + int(r, base.length - 1)), kind: 'truncated', open: true };
  }
  if (x < 0.82) {
    const forms = [
      '*2147483647\r\n',
      '*2147483648\r\n',
      '*1\r\n$536870912\r\n',
      '*1\r\n$536870913\r\n',
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\nxx',
      '*1\r\n$99999999999999999999\r\n',
      '*-1\r\n',
      '*1\r\n$-1\r\n',
      '*' + '9'.repeat(30) + '\r\n',
      '*1024\r\n' + '$1\r\na\r\n'.repeat(int(r, 1024)),
    ];
    return { bytes: b(pick(r, forms)), kind: 'huge', open: true };
  }
  if (x < 0.88) {
    const forms = [
      '*2\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n',
      '*1\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n',
      '*1\r\n:1\r\n',
      '*2\r\n$4\r\nECHO\r\n~1\r\n$1\r\nx\r\n',
      '>3\r\n$4\r\nPING\r\n',
      '%2\r\n+a\r\n+b\r\n',
      '*1\r\n*1\r\n*1\r\n*1\r\n',
      '$4\r\nPING\r\n',
      '#t\r\n',
      '_\r\n,1.5\r\n(1\r\n!3\r\nerr\r\n=5\r\ntxt:a\r\n',
    ];
    return { bytes: b(pick(r, forms)), kind: 'nested', open: false };
  }
  if (x < 0.92) {
    const forms = [
      'PING\x00\r\n',
      '\x00\x00\x00\r\n',
      'SET fz:0 a\x00b\r\n',
      '*1\r\n$4\r\nPI\x00G\r\n',
      '*\x00\r\n',
      '$\x00\r\n',
      '*1\r\n$\x004\r\nPING\r\n',
    ];
    return { bytes: b(pick(r, forms)), kind: 'nul', open: false };
  }
  if (x < 0.96) {
    const forms = [
      'ECHO "unbalanced\r\n',
      "ECHO 'unbalanced\r\n",
      'ECHO "a"b\r\n',
      "ECHO 'a'b\r\n",
      'ECHO "\\x4"\r\n',
      'ECHO "\\xZZ\\q\\\\"\r\n',
      "ECHO '\\''\r\n",
      'SET "fz:1" "a\\r\\n\\t\\b\\a"\r\n',
      '   \r\n',
      '\r\n\r\n\n\n',
      'ECHO """"\r\n',
    ];
    return { bytes: b(pick(r, forms)), kind: 'quoting', open: false };
  }
  const n = int(r, 200);
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) buf[i] = int(r, 256);
  return { bytes: buf, kind: 'random', open: true };
}

export interface FrameStats {
  frames: number;
  bytes: number;
  byKind: Record<string, number>;
  connections: number;
  /** Connections the server closed (protocol errors, limits). */
  closedByServer: number;
  replyBytes: number;
}

/**
 * Sends `frames` frames over `conns` connections at once (each writes
 * batches of 1 to 32 frames, waiting for the socket to drain). Resolves
 * with what was sent.
 */
export async function fuzzFrames(
  port: number,
  o: { seed: number; frames: number; conns: number; log?: (l: string) => void },
): Promise<FrameStats> {
  const r = rng(o.seed);
  const st: FrameStats = { frames: 0, bytes: 0, byKind: {}, connections: 0, closedByServer: 0, replyBytes: 0 };
  let nextLog = 100000;
  const one = () =>
    new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      st.connections++;
      let ended = false;
      let selfClose = false;
      const end = () => {
        if (ended) return;
        ended = true;
        if (!selfClose) st.closedByServer++;
        s.destroy();
        resolve();
      };
      s.on('data', (d: Buffer) => (st.replyBytes += d.length));
      s.on('error', end);
      s.on('close', end);
      const send = () => {
        while (!ended && st.frames < o.frames) {
          const parts: Buffer[] = [];
          let open = false;
          for (let i = 1 + int(r, 32); i > 0 && st.frames < o.frames; i--) {
            const f = frame(r);
            parts.push(f.bytes);
            st.frames++;
            st.byKind[f.kind] = (st.byKind[f.kind] ?? 0) + 1;
            if (f.open) {
              open = true;
              break;
            }
          }
          const chunk = Buffer.concat(parts);
          st.bytes += chunk.length;
          if (st.frames >= nextLog) {
            o.log?.(`${st.frames} frames, ${st.connections} connections, ${st.closedByServer} closed by the server`);
            nextLog += 100000;
          }
          const more = s.write(chunk);
          if (open) {
            // the server waits for the rest: leave it waiting a moment, then go
            setTimeout(() => {
              selfClose = !ended;
              end();
            }, 20);
            return;
          }
          if (!more) return void s.once('drain', () => setImmediate(send));
        }
        if (!ended) {
          // the last batch: let the server answer it
          setTimeout(() => {
            selfClose = !ended;
            end();
          }, 50);
        }
      };
      s.on('connect', send);
    });
  await Promise.all(
    Array.from({ length: o.conns }, async () => {
      while (st.frames < o.frames) await one();
    }),
  );
  return st;
}

// ---------------------------------------------------------------------------
// Hostile Lua

/** Pieces of hostile scripts; `N` is replaced by a size. */
export const LUA_ATTACKS = [
  'local function f(n) return f(n + 1) + 1 end return f(1)',
  'local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(N)',
  'local f f = function(n) if n == 0 then error("deep") end return pcall(f, n - 1) end return {f(N)}',
  'local t = {} for i = 1, N do t[i] = i end return #t',
  'return #string.rep("x", N * 100)',
  'local s = string.rep("ab", N) return #table.concat({s, s, s, s})',
  'local t = {} t[1] = t return t',
  'local t = {1, 2} t[3] = t return t',
  'local t = {} t.err = t return t',
  'return setmetatable({1, 2, 3}, {__index = function() error("idx") end, __len = function() return 1e9 end})',
  'return setmetatable({}, {__index = function(t, k) return k end})',
  'return {ok = setmetatable({}, {__tostring = function() error("ts") end})}',
  'error(nil)',
  'error({})',
  'error({err = {}})',
  'error({err = 1.5})',
  'error({err = "x\\r\\ny"})',
  'error(setmetatable({}, {__tostring = function() return "t" end}))',
  'error(function() end)',
  'error(coroutine.create(function() end))',
  'error(true)',
  'error(string.rep("e", N * 100))',
  'error("\\0\\r\\n")',
  'return redis.call()',
  'return redis.call({})',
  'return redis.call("GET", {})',
  'return redis.pcall("NOSUCHCOMMAND")',
  'return redis.call("EVAL", "return 1", "0")',
  'return redis.call("SET", "fz:l", string.rep("v", N))',
  'return redis.error_reply(string.rep("E", N))',
  'return redis.status_reply({})',
  'return cjson.decode(string.rep("[", N) .. string.rep("]", N))',
  'return cjson.encode(setmetatable({}, {__index = function() return 1 end}))',
  'local t = {} t[1] = t return cjson.encode(t)',
  'return cmsgpack.unpack(string.rep("\\220", N))',
  'return {struct.unpack(">I4I4", "ab")}',
  'return {pcall(string.format, "%" .. N .. "d", 1)}',
  'return string.format("%s", setmetatable({}, {__tostring = function() return {} end}))',
  'local co = coroutine.wrap(function() while true do coroutine.yield(string.rep("c", N)) end end) for i = 1, 100 do co() end return 1',
  'rawset(_G, "x", 1) return 1',
  'x = 1 return x',
  'return loadstring("return 1")()',
  'setmetatable(_G, nil) return 1',
  'return redis.setresp(N)',
  'redis.setresp(3) return redis.call("HGETALL", "fz:h")',
  'return {1, nil, 3, nil, 5}',
  'return {[1] = 1, [3] = 3, x = "y", [1e9] = 2}',
  'return 1 / 0',
  'return -(0 / 0)',
  'return {1.5, -0.0, 2^63, -2^63}',
];

export interface LuaStats {
  scripts: number;
  errors: number;
  replies: number;
  /** Replies that say the VM died or restarted (crashes). */
  vmDeaths: number;
  /** Scripts of HEAVY_SCRIPT_COST or more (run under Watch.hold). */
  heavy: number;
  /** The five slowest other scripts (EVAL round trip, ms; cost as pieceCost; the script's start). */
  slowest: { ms: number; cost: number; script: string }[];
  failures: string[];
}

/**
 * The estimated time redis-server takes on a script, in units of about
 * 10 ns: per attack piece, the bytes it makes, weighted as measured (each
 * piece at each size, EVAL on redis-server 7.0.15 and tsdis on the 2-core
 * box, 2026-12-05, median of 3): `#string.rep("x", 1e7)` 105 ms there (187
 * in tsdis), 100 yields of a 100,000-byte string 93 ms (197), `error()` of
 * a 1e7-byte string 452 ms (tsdis refuses it at its VM's 64 MB heap, 198
 * ms), of a 1e6-byte one 30 ms (34); every other piece at every size under
 * 20 ms in both (most under 5). A piece without a size costs nothing here.
 */
function pieceCost(attack: string, sizes: number[]): number {
  const n = sizes.reduce((a, x) => a + x, 0);
  if (attack.startsWith('error(string.rep')) return 400 * n;
  if (attack.includes('N * 100') || attack.includes('coroutine.yield(string.rep')) return 100 * n;
  return n;
}

/**
 * Scripts estimated (pieceCost) to hold redis-server 50 ms or more: they
 * hold tsdis as long or longer, by design (a script runs to its end while
 * every client waits, in Redis as here), so PINGs waiting on them are counted
 * apart (WatchStats.held). About 2% of the scripts.
 */
export const HEAVY_SCRIPT_COST = 5_000_000;

/**
 * A hostile script: one attack, or a few in pcalls, with its estimated cost
 * on redis-server (pieceCost). The sizes are bounded: a script that runs
 * for a second holds every client, in Redis as here.
 */
export function hostileScript(r: Rand): { script: string; cost: number } {
  let cost = 0;
  const one = () => {
    const attack = pick(r, LUA_ATTACKS);
    const sizes: number[] = [];
    const text = attack.replace(/N/g, () => {
      const n = pick(r, [1, 10, 100, 1000, 10000, 100000]);
      sizes.push(n);
      return String(n);
    });
    cost += pieceCost(attack, sizes);
    return text;
  };
  if (r() < 0.6) return { script: one(), cost };
  const parts: string[] = [];
  for (let i = 1 + int(r, 3); i > 0; i--) parts.push(`pcall(function() ${one()} end)`);
  const script = parts.join('\n') + '\n' + one();
  return { script, cost };
}

/**
 * The end of the first complete RESP2/RESP3 reply in `buf`, or -1: a loop,
 * not a recursion, as script results nest thousands deep.
 */
function replyEnd(buf: Buffer): number {
  let pos = 0;
  for (let pending = 1; pending > 0; pending--) {
    if (pos >= buf.length) return -1;
    const e = buf.indexOf('\r\n', pos);
    if (e < 0) return -1;
    const type = String.fromCharCode(buf[pos]!);
    const n = Number(buf.latin1Slice(pos + 1, e));
    pos = e + 2;
    if (type === '$' || type === '!' || type === '=') {
      if (n >= 0) {
        if (buf.length < pos + n + 2) return -1;
        pos += n + 2;
      }
    } else if (type === '*' || type === '~' || type === '>') {
      if (n > 0) pending += n;
    } else if (type === '%') pending += 2 * n;
    else if (type === '|') pending += 2 * n + 1;
  }
  return pos;
}

/** A connection whose call() returns each reply's raw bytes (latin1), however deep it nests, within 30 s. */
class LoopConn {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    sock.on('close', () => this.wake?.());
    sock.on('error', () => {});
  }

  static connect(port: number): Promise<LoopConn> {
    return new Promise((res, rej) => {
      const s = net.connect(port, '127.0.0.1', () => res(new LoopConn(s)));
      s.once('error', rej);
    });
  }

  async call(...args: string[]): Promise<string> {
    this.sock.write(encode(args));
    const deadline = Date.now() + 30000;
    for (;;) {
      const end = replyEnd(this.buf);
      if (end >= 0) {
        const r = this.buf.latin1Slice(0, end);
        this.buf = this.buf.subarray(end);
        return r;
      }
      if (Date.now() > deadline || this.sock.destroyed)
        throw new Error(`no reply to ${JSON.stringify(args).slice(0, 200)}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 1000);
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * Runs `scripts` hostile scripts; after each, a cached INCR script must give
 * the next number. A heavy script (HEAVY_SCRIPT_COST) runs between
 * hold(true) and hold(false).
 */
export async function fuzzLua(
  port: number,
  o: { seed: number; scripts: number; log?: (l: string) => void; hold?: (on: boolean) => void },
): Promise<LuaStats> {
  const r = rng(o.seed);
  const st: LuaStats = { scripts: 0, errors: 0, replies: 0, vmDeaths: 0, heavy: 0, slowest: [], failures: [] };
  const c = await LoopConn.connect(port);
  try {
    const sha = (await c.call('SCRIPT', 'LOAD', "return redis.call('INCR', KEYS[1])")).split('\r\n')[1]!;
    await c.call('DEL', 'fz:lua-n');
    let n = 0;
    for (let i = 0; i < o.scripts; i++) {
      const { script: s, cost } = hostileScript(r);
      const heavy = cost >= HEAVY_SCRIPT_COST;
      if (heavy) {
        st.heavy++;
        o.hold?.(true);
      }
      const t0 = performance.now();
      const reply = await c.call('EVAL', s, '1', 'fz:k', 'arg');
      const ms = Math.round(performance.now() - t0);
      if (heavy) o.hold?.(false);
      else if (st.slowest.length < 5 || ms > st.slowest[4]!.ms) {
        st.slowest.push({ ms, cost, script: s.slice(0, 300) });
        st.slowest.sort((x, y) => y.ms - x.ms).splice(5);
      }
      st.scripts++;
      if (reply.startsWith('-')) st.errors++;
      else st.replies++;
      if (/VM (failed|is restarting)|exit\(|internal error/i.test(reply)) {
        st.vmDeaths++;
        if (st.failures.length < 20) st.failures.push(`VM died: ${reply.slice(0, 200)} for ${s}`);
      }
      const next = await c.call('EVALSHA', sha, '1', 'fz:lua-n');
      n++;
      if (next !== `:${n}\r\n`) {
        if (st.failures.length < 20)
          st.failures.push(`cached script after ${JSON.stringify(s)}: ${next.slice(0, 200)}`);
        const m = /^:(\d+)/.exec(next);
        if (m) n = Number(m[1]);
      }
      if (i > 0 && i % 1000 === 0) o.log?.(`${i} scripts: ${st.errors} errors, ${st.vmDeaths} VM deaths`);
    }
  } finally {
    c.close();
  }
  return st;
}

// ---------------------------------------------------------------------------
// Mutated RDB and AOF files at start

export interface LoadStats {
  files: number;
  started: number;
  refused: number;
  /** Died by a signal, an uncaught exception or V8's out-of-memory. */
  crashes: number;
  hangs: number;
  failures: string[];
}

/** A base RDB file of every type (tsdis's SAVE after fillTypes) and a base AOF of commands. */
export async function loadCorpus(dir: string): Promise<{ rdb: Buffer; aof: Buffer }> {
  fs.mkdirSync(dir, { recursive: true });
  const child = await startChild(['--save', '', '--dir', dir], dir);
  try {
    const c = await RawConn.connect(child.port);
    await fillTypes(c, 'k:');
    await c.call('SET', 'ttl', 'v', 'PX', '100000000');
    await c.call('SAVE');
    c.close();
  } finally {
    await child.kill();
  }
  const rdb = fs.readFileSync(path.join(dir, 'dump.rdb'));
  fs.rmSync(path.join(dir, 'dump.rdb'));
  const cmds: string[][] = [
    ['SELECT', '0'],
    ['SET', 's', 'v'],
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['HSET', 'h', 'f', 'v', 'g', 'w'],
    ['SADD', 'st', '1', '2', 'x'],
    ['ZADD', 'z', '1', 'a', '2.5', 'b'],
    ['XADD', 'x', '1-1', 'f', 'v'],
    ['MULTI'],
    ['INCR', 'n'],
    ['PEXPIREAT', 's', '99999999999999'],
    ['EXEC'],
    ['SELECT', '3'],
    ['SET', 'other', 'db'],
    ['DEL', 'nothing'],
  ];
  return { rdb, aof: Buffer.concat(cmds.map((c) => encode(c))) };
}

/**
 * Starts the CLI on a mutated copy of `base` (an RDB as dump.rdb, or an AOF
 * as an old-style appendonly.aof with appendonly yes) and classifies the end:
 * started (ready), refused (exit 1 with a log line), or a crash / hang.
 */
async function startOn(kind: 'rdb' | 'aof', data: Buffer, dir: string): Promise<'started' | 'refused' | string> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, kind === 'rdb' ? 'dump.rdb' : 'appendonly.aof'), data);
  // (no TCP port: a unix socket, so that runs side by side need no free ports)
  const args = [CLI, '--port', '0', '--unixsocket', path.join(dir, 's.sock'), '--dir', dir, '--save', ''];
  if (kind === 'aof') args.push('--appendonly', 'yes', '--aof-use-rdb-preamble', 'no');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve(`hang: neither started nor stopped in 20 s:\n${out.slice(-1500)}`);
    }, 20000);
    const onData = (d: Buffer) => {
      out += d.toString('latin1');
      if (/ready to accept connections/i.test(out)) proc.kill('SIGKILL');
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      const crashed = /\n\s+at |FATAL ERROR|Uncaught|RangeError|TypeError|heap out of memory/.test(out);
      if (signal === 'SIGKILL' && /ready to accept connections/i.test(out) && !crashed) return resolve('started');
      if (signal !== null && signal !== 'SIGKILL') return resolve(`crash: signal ${signal}:\n${out.slice(-1500)}`);
      if (crashed) return resolve(`crash: exit ${code}:\n${out.slice(-1500)}`);
      if (code === 1 && /#/.test(out)) return resolve('refused');
      resolve(`crash: exit ${code} without a log line:\n${out.slice(-1500)}`);
    });
  });
}

/** Starts the server on `files` mutations of each base file, two at a time. */
export async function fuzzLoad(o: {
  seed: number;
  files: number;
  log?: (l: string) => void;
}): Promise<Record<'rdb' | 'aof', LoadStats>> {
  const r = rng(o.seed);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-fuzz-load-'));
  try {
    const corpus = await loadCorpus(path.join(root, 'corpus'));
    const out = {} as Record<'rdb' | 'aof', LoadStats>;
    for (const kind of ['rdb', 'aof'] as const) {
      const st: LoadStats = { files: 0, started: 0, refused: 0, crashes: 0, hangs: 0, failures: [] };
      const base = corpus[kind];
      const jobs = Array.from({ length: o.files }, () => {
        // an RDB's checksum would refuse nearly every mutation: zero it (not checked) in most
        const m = mutate(r, base, base);
        if (kind === 'rdb' && r() < 0.8 && m.length >= 8) m.fill(0, m.length - 8);
        return m;
      });
      let next = 0;
      await Promise.all(
        [0, 1].map(async (w) => {
          for (;;) {
            const i = next++;
            if (i >= jobs.length) return;
            const res = await startOn(kind, jobs[i]!, path.join(root, `w${w}`));
            st.files++;
            if (res === 'started') st.started++;
            else if (res === 'refused') st.refused++;
            else {
              if (res.startsWith('hang')) st.hangs++;
              else st.crashes++;
              if (st.failures.length < 10)
                st.failures.push(`${res}\nfile (hex): ${jobs[i]!.toString('hex').slice(0, 4000)}`);
            }
            if (st.files % 50 === 0)
              o.log?.(`${kind}: ${st.files} files, ${st.started} started, ${st.refused} refused`);
          }
        }),
      );
      out[kind] = st;
    }
    return out;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

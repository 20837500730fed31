/**
 * The V8 heap limit the CLI gives the server (cli.ts, server/heap.ts): from
 * maxmemory, or from the machine's memory (with cgroup v1/v2 limits) when it
 * is 0, never below V8's default, and node's own flags as given. Above the
 * default the server runs in a worker thread created with that limit, and
 * the process the test started still behaves as the server: SIGTERM/SIGINT
 * shut it down gracefully, exit codes pass through, its PID is the pid
 * file's and INFO's, and SIGKILL of it leaves nothing listening.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { spawn, spawnSync } from 'node:child_process';
import { startChild, CLI, type Child } from '../helpers/child.js';
import { RawConn, freePort, waitForPing, portClosed } from '../helpers/servers.js';
import {
  cgroupMemoryLimit,
  desiredHeapLimitBytes,
  desiredSemiSpaceMb,
  V8_SEMI_SPACE_MB,
  machineMemoryBytes,
  heapLimitBytes,
  heapUsedBytes,
  offHeapBytes,
  machineMemoryNear,
  refreshHeapGauge,
  fullGcFunction,
  HEAP_BASE,
} from '../../src/server/heap.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-heap-'));
const children: Child[] = [];
after(async () => {
  for (const c of children) await c.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts the CLI (waits until ready) and remembers it for cleanup. */
async function start(args: string[], nodeArgs: string[] = []): Promise<Child> {
  const c = await startChild(args, tmp, { nodeArgs });
  children.push(c);
  return c;
}

/** The server's heap_size_limit, from MEMORY MALLOC-STATS (V8's statistics of the server's isolate). */
async function heapLimitOf(port: number): Promise<number> {
  const c = await RawConn.connect(port);
  try {
    const m = /heap_size_limit: (\d+)/.exec(await c.call('MEMORY', 'MALLOC-STATS'));
    assert.ok(m, 'MALLOC-STATS has heap_size_limit');
    return Number(m[1]);
  } finally {
    c.close();
  }
}

/** The server's new space (two semi-spaces) in bytes, from MEMORY MALLOC-STATS. */
/** Pipelines 40,000 SETs of 1 KB values (kept), so V8's young generation grows to its limit. */
async function growYoung(port: number): Promise<void> {
  const c = await RawConn.connect(port);
  try {
    const v = 'v'.repeat(1000);
    for (let round = 0; round < 40; round++) {
      let batch = '';
      for (let i = 0; i < 1000; i++) {
        const k = `grow:${round}:${i}`;
        batch += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$1000\r\n${v}\r\n`;
      }
      c.write(batch);
      let got = 0;
      while (got < 1000) got += (await c.read()).split('+OK\r\n').length - 1;
    }
  } finally {
    c.close();
  }
}

async function newSpaceOf(port: number): Promise<number> {
  const c = await RawConn.connect(port);
  try {
    const m = /space new_space: size=(\d+)/.exec(await c.call('MEMORY', 'MALLOC-STATS'));
    assert.ok(m, 'MALLOC-STATS has the new space');
    return Number(m[1]);
  } finally {
    c.close();
  }
}

test('desiredHeapLimitBytes: 1.5x maxmemory plus a base, 75% of the machine with maxmemory 0, never below V8 default', () => {
  const dflt = 4 * GB;
  assert.equal(desiredHeapLimitBytes(8 * GB, 24 * GB, dflt), 12 * GB + HEAP_BASE);
  assert.equal(desiredHeapLimitBytes(100 * MB, 24 * GB, dflt), dflt);
  assert.equal(desiredHeapLimitBytes(0, 24 * GB, dflt), 18 * GB);
  assert.equal(desiredHeapLimitBytes(0, 2 * GB, dflt), dflt);
  // whole megabytes (resourceLimits takes MB)
  assert.equal(desiredHeapLimitBytes(0, 10 * GB + 3, 0) % MB, 0);
});

test('cgroupMemoryLimit: v1 and v2 files, the smallest on the path, max and unlimited ignored', () => {
  const root = fs.mkdtempSync(path.join(tmp, 'cg-'));
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const self = path.join(root, 'self-cgroup');
  const paths = { procSelfCgroup: self, root: path.join(root, 'sys') };
  // v2: the process's cgroup says max, its parent 3 GB
  w('self-cgroup', '0::/a/b\n');
  w('sys/a/b/memory.max', 'max\n');
  w('sys/a/memory.max', `${3 * GB}\n`);
  assert.equal(cgroupMemoryLimit(paths), 3 * GB);
  // v1 (unlimited is 2^63 rounded down to a page) beside a v2 line with nothing set
  fs.rmSync(path.join(root, 'sys'), { recursive: true });
  w('self-cgroup', '12:cpu,cpuacct:/x\n4:memory:/x/y\n0::/\n');
  w('sys/memory/x/y/memory.limit_in_bytes', '9223372036854771712\n');
  assert.equal(cgroupMemoryLimit(paths), null);
  w('sys/memory/memory.limit_in_bytes', `${2 * GB}\n`);
  assert.equal(cgroupMemoryLimit(paths), 2 * GB);
  w('sys/memory/x/y/memory.limit_in_bytes', `${GB}\n`);
  assert.equal(cgroupMemoryLimit(paths), GB);
  assert.equal(machineMemoryBytes(paths), Math.min(GB, os.totalmem()));
  // no /proc/self/cgroup (not Linux): no limit
  assert.equal(cgroupMemoryLimit({ procSelfCgroup: path.join(root, 'none'), root }), null);
});

test('the gauges: V8 used heap and off-heap memory, the heap limit', () => {
  assert.equal(heapLimitBytes(), v8.getHeapStatistics().heap_size_limit);
  // garbage from earlier tests (Buffers awaiting collection) could be freed
  // mid-test and hide part of the 8 MB below: collect it first, twice (a
  // Buffer's memory goes back only when a collection runs its finalizer,
  // which the first one may just schedule; seen failing without the second)
  const gc = fullGcFunction();
  assert.ok(gc !== null);
  gc();
  gc();
  refreshHeapGauge();
  const before = heapUsedBytes();
  const ext = offHeapBytes();
  const keep: (string | Buffer)[] = [];
  for (let i = 0; i < 20000; i++) keep.push('x'.repeat(100) + i);
  keep.push(Buffer.alloc(8 * MB, 1));
  // a gauge: unchanged until refreshed (or 64 reads later)
  assert.equal(offHeapBytes(), ext);
  refreshHeapGauge();
  assert.ok(heapUsedBytes() > before + 1 * MB, `${heapUsedBytes()} > ${before} + 1 MB`);
  assert.ok(offHeapBytes() >= ext + 7 * MB, `${offHeapBytes()} >= ${ext} + 7 MB`);
  assert.equal(machineMemoryNear(), false);
  assert.ok(keep.length > 0);
});

test('maxmemory above what V8 gives by default: the server runs with a heap limit of 1.5x maxmemory plus the base', async () => {
  const c = await start(['--maxmemory', '8gb', '--save', '']);
  const limit = await heapLimitOf(c.port);
  assert.ok(limit >= 12 * GB + HEAP_BASE && limit < 13 * GB, `heap_size_limit ${limit}`);
  assert.match(
    c.output(),
    /The V8 heap may grow to 12\.\d\dG \(for maxmemory 8\.00G; the server runs in a worker thread created with that size\)/,
  );
});

test('desiredSemiSpaceMb: maxmemory/8 rounded down to a power of two, 1 to 16 MB; V8 own 16 MB with maxmemory 0', () => {
  assert.equal(desiredSemiSpaceMb(0), V8_SEMI_SPACE_MB);
  assert.equal(desiredSemiSpaceMb(1), 1);
  assert.equal(desiredSemiSpaceMb(16 * MB), 2);
  assert.equal(desiredSemiSpaceMb(100 * MB), 8);
  assert.equal(desiredSemiSpaceMb(128 * MB), 16);
  assert.equal(desiredSemiSpaceMb(8 * GB), 16);
});

test('a small maxmemory keeps V8 default heap limit, in a worker thread with smaller semi-spaces; node flags are used as given', async () => {
  const dflt = v8.getHeapStatistics().heap_size_limit;
  const a = await start(['--maxmemory', '100mb', '--save', '']);
  const la = await heapLimitOf(a.port);
  assert.ok(la >= dflt - 64 * MB && la < dflt + 64 * MB, `heap_size_limit ${la}, default ${dflt}`);
  // The young generation grows to its limit as objects survive scavenges (loading the Lua VM
  // at import used to do that; it now loads on first use): writes first, then its size.
  await growYoung(a.port);
  assert.equal(await newSpaceOf(a.port), 2 * 8 * MB);
  assert.match(
    a.output(),
    /The V8 heap may grow to [\d.]+G \(V8's default, enough for maxmemory 100\.00M, 8 MB semi-spaces; the server runs in a worker thread created with that size\)/,
  );
  // from 128 MB up, V8's own young generation: no worker needed
  const c = await start(['--maxmemory', '200mb', '--save', '']);
  assert.equal(await heapLimitOf(c.port), dflt);
  assert.match(c.output(), /The V8 heap may grow to [\d.]+G \(V8's default, enough for maxmemory 200\.00M\)/);
  // node's own semi-space flag stands (and V8's default heap keeps the main thread)
  const d = await start(['--maxmemory', '100mb', '--save', ''], ['--max-semi-space-size=2']);
  assert.equal(await newSpaceOf(d.port), 2 * 2 * MB);
  assert.match(d.output(), /\(V8's default, enough for maxmemory 100\.00M\)/);
  const b = await start(['--save', ''], ['--max-old-space-size=300']);
  // what this node gives for the flag (the young generation's share differs by V8 version)
  const want = Number(
    spawnSync(process.execPath, [
      '--max-old-space-size=300',
      '-p',
      'require("v8").getHeapStatistics().heap_size_limit',
    ]).stdout.toString(),
  );
  assert.ok(want >= 300 * MB, `node --max-old-space-size=300 gives ${want}`);
  assert.equal(await heapLimitOf(b.port), want);
  assert.match(b.output(), /set by node's --max-old-space-size/);
});

test('maxmemory 0: the limit comes from the machine memory', async () => {
  const c = await start(['--save', '']);
  const want = desiredHeapLimitBytes(0, machineMemoryBytes(), v8.getHeapStatistics().heap_size_limit);
  const limit = await heapLimitOf(c.port);
  assert.ok(limit >= want && limit < want + 256 * MB, `heap_size_limit ${limit}, wanted ${want}`);
});

test('in a worker thread the process is the server: SIGTERM and SIGINT shut down, pid file and INFO name it, exit codes pass through', async () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const pidfile = path.join(tmp, `p-${sig}.pid`);
    const c = await start(['--maxmemory', '8gb', '--save', '', '--pidfile', pidfile]);
    assert.match(c.output(), /in a worker thread/);
    const conn = await RawConn.connect(c.port);
    assert.match(await conn.call('INFO', 'server'), new RegExp(`process_id:${c.proc.pid}\\r\\n`));
    conn.close();
    assert.equal(fs.readFileSync(pidfile, 'latin1'), `${c.proc.pid}\n`);
    c.proc.kill(sig);
    assert.equal(await c.exited(), 0);
    assert.match(
      c.output(),
      new RegExp(`Received ${sig} scheduling shutdown[\\s\\S]*Removing the pid file[\\s\\S]*ready to exit, bye bye`),
    );
    assert.equal(fs.existsSync(pidfile), false);
  }
  // a start that fails exits 1: the port is taken
  const a = await start(['--maxmemory', '8gb', '--save', '']);
  const clash = await startChild(['--maxmemory', '8gb', '--save', '', '--port', String(a.port)], tmp, {
    waitReady: false,
  });
  children.push(clash);
  assert.equal(await clash.exited(), 1);
  assert.match(clash.output(), /Failed listening on port/);
  // SHUTDOWN's exit code
  const conn = await RawConn.connect(a.port);
  conn.write('SHUTDOWN NOSAVE\r\n');
  assert.equal(await a.exited(), 0);
  conn.close();
});

test('SIGKILL of the process started leaves no server behind', async () => {
  const c = await start(['--maxmemory', '8gb', '--save', '']);
  assert.match(c.output(), /in a worker thread/);
  c.proc.kill('SIGKILL');
  await c.exited();
  assert.equal(c.proc.signalCode, 'SIGKILL');
  assert.ok(await portClosed(c.port), 'nothing listens on the port');
});

test('in a worker thread the log is written before the reply of the command that logged it', async () => {
  // stdout goes to a file, so what the server wrote before replying is there when the reply is read
  const port = await freePort();
  const logPath = path.join(tmp, 'order.log');
  const fd = fs.openSync(logPath, 'w');
  const proc = spawn(
    process.execPath,
    [
      CLI,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--maxmemory',
      '8gb',
      '--enable-debug-command',
      'yes',
    ],
    {
      cwd: tmp,
      stdio: ['ignore', fd, fd],
    },
  );
  fs.closeSync(fd);
  try {
    await waitForPing(port, proc);
    assert.match(fs.readFileSync(logPath, 'latin1'), /in a worker thread/);
    const conn = await RawConn.connect(port);
    try {
      for (let i = 0; i < 50; i++) {
        assert.equal(await conn.call('DEBUG', 'LOG', `line ${i} of the log`), '+OK\r\n');
        assert.ok(fs.readFileSync(logPath, 'latin1').includes(`line ${i} of the log`), `line ${i} not yet in the log`);
      }
    } finally {
      conn.close();
    }
  } finally {
    proc.kill('SIGKILL');
  }
});

test('config from standard input decides the heap too, and its log line comes first', async () => {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, '-'], { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stdin!.end(`port ${port}\nbind 127.0.0.1\nsave ""\nmaxmemory 8gb\n`);
  try {
    await waitForPing(port, proc);
    assert.ok((await heapLimitOf(port)) >= 12 * GB);
    const lines = out.split('\n');
    assert.match(lines[0]!, /^\d+:C .* # Reading config from stdin$/);
    assert.match(out, /in a worker thread/);
  } finally {
    proc.kill('SIGKILL');
  }
});

test('in a worker thread a SIGTERM sent the moment "Ready to accept connections" is read shuts down gracefully', async () => {
  for (let i = 0; i < 5; i++) {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [CLI, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--maxmemory', '8gb'],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections') && !out.includes('SENT')) {
        out += 'SENT';
        proc.kill('SIGTERM');
      }
    });
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      proc.once('exit', (c, s) => r([c, s])),
    );
    assert.equal(signal, null, `run ${i}: killed by ${signal}; output:\n${out}`);
    assert.equal(code, 0);
    assert.match(out, /in a worker thread[\s\S]*Received SIGTERM scheduling shutdown[\s\S]*bye bye/);
  }
});

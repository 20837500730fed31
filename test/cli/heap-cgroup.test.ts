/**
 * The heap guard inside a container's memory limit, end to end: the CLI
 * runs in a real memory cgroup of 256 MB (v1 or v2, made for the test; needs
 * root), with maxmemory 0. Writes are refused with Redis's -OOM text before
 * the kernel's OOM killer is reached, and the server keeps answering: with
 * values of 64 KB (stored outside the V8 heap, so the guard's second check,
 * heap plus off-heap memory against the cgroup's limit, must stop them) and
 * with 1 KB values (in the heap: its limit, derived from the cgroup's,
 * stops them).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/child.js';
import { RawConn, freePort, waitForPing } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

const LIMIT = 256 * 1024 * 1024;
const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/** A fresh memory cgroup limited to LIMIT: [its cgroup.procs file, a function reading its OOM-kill count], or a reason it cannot be made. */
function makeCgroup(name: string): { procs: string; oomKills: () => number; dir: string } | string {
  if (process.platform !== 'linux') return 'Linux only (memory cgroups)';
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root to make a memory cgroup';
  const v1 = '/sys/fs/cgroup/memory';
  const v2 = '/sys/fs/cgroup';
  try {
    if (fs.existsSync(path.join(v1, 'memory.limit_in_bytes'))) {
      const dir = path.join(v1, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(LIMIT));
      const oomKills = () =>
        Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(dir, 'memory.oom_control'), 'latin1'))?.[1] ?? 0);
      return { procs: path.join(dir, 'cgroup.procs'), oomKills, dir };
    }
    if (fs.readFileSync(path.join(v2, 'cgroup.subtree_control'), 'latin1').includes('memory')) {
      const dir = path.join(v2, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'memory.max'), String(LIMIT));
      const oomKills = () =>
        Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(dir, 'memory.events'), 'latin1'))?.[1] ?? 0);
      return { procs: path.join(dir, 'cgroup.procs'), oomKills, dir };
    }
  } catch (e) {
    return `SKIPPED: cannot make a memory cgroup (${(e as Error).message})`;
  }
  return 'SKIPPED: no memory cgroup controller';
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cgroup-'));
const cg = makeCgroup(`tsdis-test-${process.pid}`);
const skip = typeof cg === 'string' ? cg : false;
const procs: ChildProcess[] = [];
/** SIGKILL, resolved once the process has exited (so the cgroup is empty). */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}
after(async () => {
  for (const p of procs) await stop(p);
  // the kernel may still be tearing the killed process down: retry for up to 2 s
  for (let i = 0; typeof cg !== 'string' && fs.existsSync(cg.dir); i++) {
    try {
      fs.rmdirSync(cg.dir);
    } catch (e) {
      if (i >= 40) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The CLI on a free port, moved into the cgroup before node starts (a shell joins it, then execs node). */
async function startInCgroup(): Promise<{ port: number; proc: ChildProcess; out: () => string }> {
  const { procs: file } = cg as Exclude<typeof cg, string>;
  const port = await freePort();
  const proc = spawn(
    'sh',
    ['-c', `echo $$ > '${file}' && exec '${process.execPath}' '${CLI}' --port ${port} --bind 127.0.0.1 --save ''`],
    { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForPing(port, proc);
  await until(
    () => `"Ready to accept connections" in the log: ${out}`,
    () => out.includes('Ready to accept connections'),
  );
  return { port, proc, out: () => out };
}

/** SETs `size`-byte values, `batch` pipelined at a time, until a reply is not +OK; returns that reply and the keys stored. */
async function fillUntilRefused(port: number, size: number, batch: number): Promise<{ reply: string; stored: number }> {
  const c = await RawConn.connect(port);
  const value = 'x'.repeat(size);
  let stored = 0;
  try {
    for (let round = 0; round < 100_000; round++) {
      const replies = await Promise.all(
        Array.from({ length: batch }, (_, i) => c.call('SET', `k${round}:${i}`, value)),
      );
      for (const r of replies) {
        if (r !== '+OK\r\n') return { reply: r, stored };
        stored++;
      }
    }
    return { reply: 'never refused', stored };
  } finally {
    c.close();
  }
}

for (const [what, size, batch] of [
  ['64 KB values (off the V8 heap)', 64 * 1024, 4],
  ['1 KB values (in the V8 heap)', 1000, 500],
] as const) {
  test(
    `in a 256 MB memory cgroup with maxmemory 0, ${what} are refused with -OOM before the OOM killer, and the server answers`,
    { skip },
    async () => {
      const { oomKills } = cg as Exclude<typeof cg, string>;
      const kills = oomKills();
      const s = await startInCgroup();
      try {
        assert.match(s.out(), /of the 256\.00M of memory here/);
        const { reply, stored } = await fillUntilRefused(s.port, size, batch).catch((e: Error) => {
          throw new Error(
            `${e.message}; exit ${s.proc.exitCode} ${s.proc.signalCode}; OOM kills ${oomKills() - kills}; log:\n${s.out()}`,
          );
        });
        assert.equal(reply, OOM);
        assert.ok(stored * size > 64 * 1024 * 1024, `only ${stored} values stored before -OOM`);
        const c = await RawConn.connect(s.port);
        assert.equal(await c.call('PING'), '+PONG\r\n');
        assert.equal(await c.call('DBSIZE'), `:${stored}\r\n`);
        assert.equal(await c.call('GET', 'k0:0'), `$${size}\r\n${'x'.repeat(size)}\r\n`);
        c.close();
        assert.equal(s.proc.exitCode, null);
        assert.equal(oomKills(), kills, 'the kernel killed a process of the cgroup');
      } finally {
        await stop(s.proc);
      }
    },
  );
}

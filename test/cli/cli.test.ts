/**
 * The `tsdis` command line, run as a child process: --version, --help, the
 * fatal config error block and exit code (compared with redis-server's),
 * a config file plus flags, stdin config, redis-cli and raw sockets against
 * it, the log file and log level, and graceful SIGTERM/SIGINT shutdown.
 *
 * It runs the CLI compiled by the test build (dist-test/src/cli.js): the same
 * source as dist/cli.js (the package's bin), always fresh after
 * `tsc -p tsconfig.test.json`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, RawConn, hasRedis, SKIP_NO_REDIS } from '../helpers/servers.js';
import { sleep, until } from '../helpers/wait.js';
import { REDIS_VERSION } from '../../src/version.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-cli-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const hasRedisCli = spawnSync('redis-cli', ['--version']).status === 0;

/** Runs the CLI to completion (for flags that exit at once). */
function runCli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 10000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes a temp file and returns its path. */
function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

interface Running {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Starts the CLI as a server and waits until `ready()` holds. */
async function startCli(args: string[], ready: (out: string) => boolean, input?: string): Promise<Running> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: tmp,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  if (input !== undefined) proc.stdin!.end(input);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    await until(
      () => `tsdis to get ready: ${out}`,
      () => {
        if (proc.exitCode !== null)
          throw new assert.AssertionError({ message: `tsdis exited (${proc.exitCode}): ${out}` });
        return ready(out);
      },
      { timeout: 30_000, every: 20 },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return { proc, out: () => out, exited };
}

/** Whether something accepts TCP connections on the port. */
async function listening(port: number): Promise<boolean> {
  try {
    const c = await RawConn.connect(port);
    c.close();
    return true;
  } catch {
    return false;
  }
}

test('--version and -v print a redis-server like line', () => {
  for (const flag of ['--version', '-v']) {
    const r = runCli([flag]);
    assert.equal(r.status, 0);
    assert.match(
      r.stdout,
      new RegExp(
        `^tsdis server v=${REDIS_VERSION.replace(/\./g, '\\.')} tsdis=\\S+ sha=\\S+ malloc=\\S+ bits=64 build=\\S+\\n$`,
      ),
    );
  }
});

test('--help and -h print usage', () => {
  for (const flag of ['--help', '-h']) {
    const r = runCli([flag]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage:\n\s+tsdis \[config-file\]/);
    assert.match(r.stdout, /--version/);
  }
});

test('a bad config line: the fatal block names the line and the reason, exit 1', () => {
  const conf = file('bad.conf', '# comment\nport 7000\n\n  foo bar  \n');
  const r = runCli([conf]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\nReading the configuration file, at line 4\n>>> 'foo bar'\nBad directive or wrong number of arguments\n`,
  );
  const r2 = runCli(['--port', 'abc']);
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /at line 2\n>>> 'port "abc"'\nargument couldn't be parsed into an integer\n$/);
  const r3 = runCli([path.join(tmp, 'missing.conf')]);
  assert.equal(r3.status, 1);
  assert.match(
    r3.stdout,
    /^\d+:C \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} # Fatal error, can't open config file '.*missing\.conf': No such file or directory\n$/,
  );
  const r4 = runCli(['--port', '0']);
  assert.equal(r4.status, 1);
  assert.match(r4.stdout, /Configured to not listen anywhere, exiting\./);
});

test(
  'fatal config errors match redis-server byte for byte (but the version)',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  () => {
    const cases: string[][] = [
      ['--port', 'abc'],
      ['--port', '1', '2'],
      ['--protected-mode', 'maybe'],
      ['--save', '1'],
      ['--nosuchoption', 'x'],
      [file('q.conf', 'port 1\nrequirepass "open\n')],
      [file('w.conf', 'bind\n')], // no addresses: not a config error (both then refuse to start)
      [file('i.conf', `include ${file('inc-bad.conf', '\n\nport x\n')}\n`)],
      ['--logfile', path.join(tmp, 'no-such-dir', 'x.log')],
      ['--shutdown-on-sigint'],
      ['--shutdown-on-sigterm', 'save', 'nosave'],
    ];
    for (const args of cases) {
      const ours = runCli(args);
      const theirs = spawnSync('redis-server', args, { encoding: 'utf8', timeout: 10000, cwd: tmp });
      assert.equal(ours.status, 1, args.join(' '));
      assert.equal(theirs.status, 1);
      const norm = (s: string) => s.replace(/\(Redis [^)]+\)/, '(Redis X)');
      assert.equal(norm(ours.stderr), norm(theirs.stderr), args.join(' '));
    }
  },
);

test('config file + flags + stdin; redis-cli and raw sockets; SIGTERM exits 0 and frees the port', async () => {
  const [port, port2] = await Promise.all([freePort(), freePort()]);
  const logfile = path.join(tmp, 'tsdis.log');
  const conf = file(
    'good.conf',
    [
      '# a redis.conf',
      `port ${port2}`,
      'bind 127.0.0.1',
      'save 3600 1 300 100',
      'save 60 10000',
      'client-output-buffer-limit normal 0 0 0',
      'requirepass "pass word"',
      `logfile ${logfile}`,
      'loglevel verbose',
      'timeout 0',
      '',
    ].join('\n'),
  );
  // the command line wins over the file (port), stdin adds to both
  const s = await startCli(
    [conf, '--port', String(port), '--maxclients', '64', '-'],
    () => fs.existsSync(logfile) && fs.readFileSync(logfile, 'utf8').includes('Ready to accept connections tcp'),
    'hz 20\n',
  );
  assert.equal(await listening(port2), false);
  const c = await RawConn.connect(port);
  assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
  assert.equal(await c.call('AUTH', 'pass word'), '+OK\r\n');
  assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
  if (hasRedisCli) {
    const r = spawnSync(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '-a', 'pass word', 'GET', 'k'],
      { encoding: 'utf8', timeout: 5000 },
    );
    assert.equal(r.stdout, 'v\n');
    const r2 = spawnSync(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '-a', 'pass word', 'PING'],
      { encoding: 'utf8', timeout: 5000 },
    );
    assert.equal(r2.stdout, 'PONG\n');
  }
  // the config file is recorded, absolute, for CONFIG REWRITE (INFO shows it)
  const info = await c.call('INFO', 'server');
  assert.ok(info.includes(`config_file:${conf}\r\n`), 'config_file in INFO');
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  assert.equal(await c.readUntilClose(), '');
  assert.equal(await listening(port), false);
  const log = fs.readFileSync(logfile, 'utf8');
  for (const line of log.trim().split('\n')) {
    assert.match(
      line,
      /^\d+:(M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] |signal-handler \(\d+\) )/,
      line,
    );
  }
  assert.match(log, /Received SIGTERM scheduling shutdown/);
  assert.match(log, /User requested shutdown/);
  assert.match(log, /bye bye/);
  // with a logfile, stdout only has what precedes reading the config (as in Redis)
  assert.match(s.out(), /^\d+:C .* # Reading config from stdin\n$/);
});

test('loglevel warning keeps notice lines out of the log file; pidfile; SIGINT also shuts down', async () => {
  const port = await freePort();
  const logfile = path.join(tmp, 'warn.log');
  const pidfile = path.join(tmp, 'tsdis.pid');
  // (the pid file is written once the data is loaded: every start-up line is a notice in Redis 7.2)
  const s = await startCli(
    ['--port', String(port), '--logfile', logfile, '--loglevel', 'warning', '--save', '', '--pidfile', pidfile],
    // (whole: the file is made, then written)
    () => fs.existsSync(pidfile) && fs.readFileSync(pidfile, 'utf8').endsWith('\n'),
  );
  assert.equal(fs.readFileSync(pidfile, 'utf8'), `${s.proc.pid}\n`);
  assert.ok(await listening(port));
  s.proc.kill('SIGINT');
  assert.equal(await s.exited, 0);
  assert.equal(fs.existsSync(pidfile), false, 'pid file removed');
  const log = fs.readFileSync(logfile, 'utf8');
  assert.doesNotMatch(log, / \* /, 'no notice lines');
  assert.match(log, / # tsdis is now ready to exit, bye bye\.\.\./);
  assert.match(log, /Received SIGINT/);
});

test(
  'port 0 with a unix socket: no TCP listener; redis-cli -s works',
  { skip: hasRedisCli ? false : 'redis-cli is not installed' },
  async () => {
    const sock = path.join(tmp, 'cli.sock');
    const s = await startCli(['--port', '0', '--unixsocket', sock, '--unixsocketperm', '770'], (o) =>
      o.includes('Ready to accept connections unix'),
    );
    assert.doesNotMatch(s.out(), /connections tcp/);
    assert.equal(fs.statSync(sock).mode & 0o777, 0o770);
    const r = spawnSync('redis-cli', ['-s', sock, 'PING'], { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.stdout, 'PONG\n');
    s.proc.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    assert.equal(fs.existsSync(sock), false);
  },
);

test('startup log lines on stdout use the Redis format', async () => {
  const port = await freePort();
  const s = await startCli(['--port', String(port)], (o) => o.includes('Ready to accept connections tcp'));
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  const lines = s.out().trim().split('\n');
  assert.ok(lines.length >= 4);
  for (const line of lines)
    assert.match(
      line,
      /^\d+:(M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] .+|signal-handler \(\d+\) .+)$/,
      line,
    );
  assert.match(s.out(), /Running mode=standalone, port=\d+\./);
});

test('always-show-logo: the banner carries Redis logo fields (Port:, PID:) before Server initialized, as harnesses look for', async () => {
  const port = await freePort();
  const s = await startCli(['--port', String(port), '--always-show-logo', 'yes'], (o) =>
    o.includes('Ready to accept connections tcp'),
  );
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  // the regexp Redis's own test harness waits for
  assert.match(s.out(), new RegExp(` PID: ${s.proc.pid}[\\s\\S]*Server initialized`));
  assert.match(s.out(), new RegExp(`Running in standalone mode\\n.* Port: ${port}\\n`));
  assert.match(
    s.out(),
    new RegExp(
      `\\* Redis version=${REDIS_VERSION.replace(/\\./g, '\\.')}, bits=64, commit=00000000, modified=0, pid=${s.proc.pid}, just started`,
    ),
  );
  assert.doesNotMatch(s.out(), /Running mode=standalone/);
});

test('a port in use: Redis\'s "Failed listening on port ... (tcp), aborting." and exit 1', async () => {
  const port = await freePort();
  const holder = await startCli(['--port', String(port)], (o) => o.includes('Ready to accept connections tcp'));
  const r = runCli(['--port', String(port)]);
  holder.proc.kill('SIGTERM');
  await holder.exited;
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    new RegExp(
      `# Warning: Could not create server TCP listening socket \\*:${port}: bind: Address already in use\\n.*# Failed listening on port ${port} \\(tcp\\), aborting\\.\\n`,
    ),
  );
});

test('bind defaults to redis-server\'s "* -::*": every IPv4 address (127.0.0.2 too) answers, protected mode on', async () => {
  const port = await freePort();
  const srv = await startCli(['--port', String(port), '--save', ''], (o) =>
    o.includes('Ready to accept connections tcp'),
  );
  try {
    const c = await RawConn.connect(port, '127.0.0.2');
    try {
      assert.equal(await c.call('CONFIG', 'GET', 'bind'), '*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n');
      assert.equal(await c.call('CONFIG', 'GET', 'protected-mode'), '*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n');
    } finally {
      c.close();
    }
  } finally {
    srv.proc.kill('SIGTERM');
    await srv.exited;
  }
});

test("startup lines at Redis 7.2's levels; the no-config warning only without any argument", async () => {
  const port = await freePort();
  const s = await startCli(['--port', String(port)], (o) => o.includes('Ready to accept connections tcp'));
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  for (const line of [
    '* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
    '* Configuration loaded',
    '* Server initialized',
    '* Ready to accept connections tcp',
  ]) {
    assert.ok(s.out().includes(line), line);
  }
  assert.match(s.out(), /\* Redis version=7\.2\.4, bits=64, commit=00000000, modified=0, pid=\d+, just started/);
  assert.doesNotMatch(s.out(), /no config file specified/);
});

test(
  'proc-title-template sets the process title before CONFIG SET replies, on the main thread and in a worker; a bad one is refused',
  { skip: process.platform === 'linux' ? false : 'Linux only (/proc)' },
  async () => {
    // --maxmemory 8gb: a heap above V8's default, so the server runs in a worker thread
    for (const extra of [[], ['--maxmemory', '8gb']]) {
      const port = await freePort();
      const s = await startCli(['--port', String(port), '--proc-title-template', '{title} T{port}', ...extra], (o) =>
        o.includes('Ready to accept connections tcp'),
      );
      const cmdline = () => fs.readFileSync(`/proc/${s.proc.pid}/cmdline`, 'latin1').replace(/\0+$/, '');
      try {
        assert.equal(extra.length === 0 || /in a worker thread/.test(s.out()), true);
        assert.equal(cmdline(), `${CLI} T${port}`);
        const c = await RawConn.connect(port);
        for (let i = 0; i < 20; i++) {
          assert.equal(await c.call('CONFIG', 'SET', 'proc-title-template', `X${i} {listen-addr}`), '+OK\r\n');
          assert.equal(cmdline(), `X${i} *:${port}`);
        }
        assert.match(
          await c.call('CONFIG', 'SET', 'proc-title-template', '{invalid-var}'),
          /template format is invalid/,
        );
        c.close();
      } finally {
        s.proc.kill('SIGTERM');
        await s.exited;
      }
    }
  },
);

test('a signal is handled by the cron: SHUTDOWN ABORT cancels it (held by DEBUG PAUSE-CRON); shutdown-on-sigterm nosave skips the final save', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'sig-'));
  const port = await freePort();
  const base = ['--port', String(port), '--enable-debug-command', 'yes', '--dir', dir, '--save', '900 1'];
  let s = await startCli(base, (o) => o.includes('Ready to accept connections tcp'));
  let c = await RawConn.connect(port);
  try {
    assert.equal(await c.call('SHUTDOWN', 'ABORT'), '-ERR No shutdown in progress.\r\n');
    assert.equal(await c.call('DEBUG', 'PAUSE-CRON', '1'), '+OK\r\n');
    s.proc.kill('SIGTERM');
    await until('the SIGTERM to be logged', () => s.out().includes('Received SIGTERM scheduling shutdown'));
    await sleep(150); // a sleep on purpose, more than a cron period: the paused cron does not act on it
    assert.equal(await c.call('SHUTDOWN', 'ABORT'), '+OK\r\n');
    assert.match(s.out(), /\* Shutdown manually aborted\./);
    assert.equal(await c.call('DEBUG', 'PAUSE-CRON', '0'), '+OK\r\n');
    await sleep(150); // a sleep on purpose: cron periods in which the aborted shutdown must not happen
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
    // shutdown-on-sigterm nosave: the save point is not honoured at exit
    assert.equal(await c.call('CONFIG', 'SET', 'shutdown-on-sigterm', 'nosave'), '+OK\r\n');
    s.proc.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), false);
    c.close();
    // the default saves
    s = await startCli(base, (o) => o.includes('Ready to accept connections tcp'));
    c = await RawConn.connect(port);
    assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
    s.proc.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    assert.equal(fs.existsSync(path.join(dir, 'dump.rdb')), true);
  } finally {
    c.close();
    s.proc.kill('SIGKILL');
  }
});

test("DEBUG PANIC: Redis's panic lines and a crash report in the log, exit 1", async () => {
  const port = await freePort();
  const s = await startCli(['--port', String(port), '--enable-debug-command', 'yes'], (o) =>
    o.includes('Ready to accept connections tcp'),
  );
  const c = await RawConn.connect(port);
  c.write('DEBUG PANIC\r\n');
  assert.equal(await s.exited, 1);
  c.close();
  assert.match(s.out(), /# Guru Meditation: DEBUG PANIC called at Unix time \d+/);
  assert.match(s.out(), /# tsdis \S+ crashed by DEBUG: Error: DEBUG PANIC/);
});

test('DEBUG SEGFAULT and a kill -ABRT: "crashed by signal" in the log, then the signal ends the process (Redis\'s integration/logging)', async () => {
  for (const how of ['segfault', 'abort', 'no-log'] as const) {
    const port = await freePort();
    const extra = how === 'no-log' ? ['--crash-log-enabled', 'no'] : [];
    const s = await startCli(['--port', String(port), '--enable-debug-command', 'yes', ...extra], (o) =>
      o.includes('Ready to accept connections tcp'),
    );
    const c = await RawConn.connect(port);
    if (how === 'segfault') c.write('DEBUG SEGFAULT\r\n');
    else s.proc.kill('SIGABRT');
    await s.exited;
    c.close();
    const sig = how === 'segfault' ? 'SIGSEGV' : 'SIGABRT';
    assert.equal(s.proc.signalCode, sig, how);
    if (how === 'no-log') assert.doesNotMatch(s.out(), /crashed by/);
    else
      assert.match(s.out(), new RegExp(`# tsdis \\S+ crashed by signal: ${sig === 'SIGSEGV' ? 11 : 6} \\(${sig}\\)`));
  }
});

test('DEBUG CONFIG-REWRITE-FORCE-ALL writes every parameter; a restart on that file has the same configuration', async () => {
  const port = await freePort();
  const conf = file(
    'forceall.conf',
    `port ${port}\nbind 127.0.0.1\nenable-debug-command yes\nsave ""\nmaxmemory-samples 9\n`,
  );
  const pairs = async (c: RawConn): Promise<Map<string, string>> => {
    const raw = await c.call('CONFIG', 'GET', '*');
    const items = raw.split('\r\n').filter((_, i) => i > 0 && i % 2 === 0);
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i]!, items[i + 1]!);
    return m;
  };
  let s = await startCli([conf], (o) => o.includes('Ready to accept connections tcp'));
  let c = await RawConn.connect(port);
  const before = await pairs(c);
  assert.equal(await c.call('DEBUG', 'CONFIG-REWRITE-FORCE-ALL'), '+OK\r\n');
  c.close();
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  assert.ok(fs.readFileSync(conf, 'latin1').split('\n').length > 150, 'every parameter written');
  s = await startCli([conf], (o) => o.includes('Ready to accept connections tcp'));
  c = await RawConn.connect(port);
  try {
    assert.deepEqual(await pairs(c), before);
  } finally {
    c.close();
    s.proc.kill('SIGTERM');
    await s.exited;
  }
});

test('SHUTDOWN from a client stops the process with exit code 0', async () => {
  const port = await freePort();
  const s = await startCli(['--port', String(port), '--save', ''], (o) =>
    o.includes('Ready to accept connections tcp'),
  );
  const c = await RawConn.connect(port);
  c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  assert.equal(await c.readUntilClose(), '');
  assert.equal(await s.exited, 0);
  assert.equal(await listening(port), false);
  assert.match(s.out(), /User requested shutdown/);
});

// Redis's config `dir` chdir()s, so a relative logfile or pidfile named after it is under dir
// (Redis's cluster and Sentinel test harness writes `dir ./redis_N` then `logfile log.txt`, and
// greps redis_N/log.txt). Checked against redis-server with the same config file.
test('a relative logfile and pidfile are under dir, as in redis-server', async () => {
  const cases: [string, string][] = [['tsdis', process.execPath]];
  if (hasRedis()) cases.push(['redis', 'redis-server']);
  for (const [who, bin] of cases) {
    const base = fs.mkdtempSync(path.join(tmp, `reldir-${who}-`));
    fs.mkdirSync(path.join(base, 'inst'));
    const port = await freePort();
    fs.writeFileSync(
      path.join(base, 'inst.conf'),
      `port ${port}\nbind 127.0.0.1\nsave ""\ndir ./inst\nlogfile log.txt\npidfile srv.pid\n`,
    );
    const args = who === 'tsdis' ? [CLI, 'inst.conf'] : ['inst.conf'];
    const proc = spawn(bin, args, { cwd: base, stdio: 'ignore' });
    children.add(proc);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const log = path.join(base, 'inst', 'log.txt');
    await until(
      () => `${who}: ${log} to say it is ready`,
      () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('Ready to accept connections'),
      { timeout: 30_000, every: 20 },
    );
    assert.equal(fs.readFileSync(path.join(base, 'inst', 'srv.pid'), 'utf8').trim(), String(proc.pid), who);
    assert.equal(fs.existsSync(path.join(base, 'log.txt')), false, who);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, who);
    assert.match(fs.readFileSync(log, 'utf8'), /Received SIGTERM scheduling shutdown/, who);
    assert.equal(fs.existsSync(path.join(base, 'inst', 'srv.pid')), false, `${who}: pid file removed`);
  }
});

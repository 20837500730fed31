/**
 * redis.conf parsing and loading (src/config/file.ts): directives, quoting,
 * include (and globs), multi-word parameters, repeated save lines with
 * Redis's exact accumulation rules, command-line option conversion, and the
 * errors with their line numbers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config } from '../../src/config/config.js';
import {
  parseConfigText,
  parseConfigLines,
  parseCliArgs,
  loadConfig,
  quoteConfigArg,
  ConfigFileError,
  ConfigFatalLog,
} from '../../src/config/file.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-conf-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

/** Loads text (as options after no file) into a fresh Config. */
function load(text: string): Config {
  const c = new Config();
  loadConfig(c, { stdin: text });
  return c;
}

/** The ConfigFileError a text produces. */
function failure(text: string): ConfigFileError {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigFileError) return e;
    throw e;
  }
  throw new Error('expected a config error');
}

test('parseConfigText: directives, comments, quoting, multi-word values', () => {
  const text = [
    '# comment',
    '   ',
    'Port 7000',
    '  save 3600 1 300 100  ',
    'requirepass "a b\\x41\\n"',
    "masterauth 'it\\'s'",
    'client-output-buffer-limit normal 0 0 0',
    'bind 127.0.0.1 -::1',
    '\tloglevel\tverbose\r',
    '  # indented comment',
  ].join('\n');
  assert.deepEqual(parseConfigText(text), [
    ['port', ['7000']],
    ['save', ['3600', '1', '300', '100']],
    ['requirepass', ['a bA\n']],
    ['masterauth', ["it's"]],
    ['client-output-buffer-limit', ['normal', '0', '0', '0']],
    ['bind', ['127.0.0.1', '-::1']],
    ['loglevel', ['verbose']],
  ]);
  assert.deepEqual(
    parseConfigLines('\n\nport 1\n').map((l) => [l.line, l.text]),
    [[3, 'port 1']],
  );
  assert.throws(
    () => parseConfigText('port 1\nrequirepass "x\n'),
    (e: ConfigFileError) => e.line === 2 && e.reason === 'Unbalanced quotes in configuration line',
  );
});

test('command-line arguments become config lines after the file', () => {
  assert.deepEqual(parseCliArgs(['--version']), { stdin: false, options: '', version: true, help: false });
  assert.equal(parseCliArgs(['-h']).help, true);
  const a = parseCliArgs(['/etc/r.conf', '--port', '7000', '--save', '--loglevel', 'verbose', '-']);
  assert.equal(a.file, '/etc/r.conf');
  assert.equal(a.stdin, true);
  assert.deepEqual(parseConfigText(a.options), [
    ['port', ['7000']],
    ['save', ['']],
    ['loglevel', ['verbose']],
  ]);
  // several words, a value with spaces and quotes, "--port 6380" as one argument, --save last
  const b = parseCliArgs(['--save', '60', '1000', '--requirepass', 'p "q" \\ r', '--port 6380', '--save']);
  assert.deepEqual(parseConfigText(b.options), [
    ['save', ['60', '1000']],
    ['requirepass', ['p "q" \\ r']],
    ['port', ['6380']],
    ['save', ['']],
  ]);
  // - reads stdin only as the first or last argument
  assert.equal(parseCliArgs(['-', '--port', '1']).stdin, true);
  // UTF-8 values are kept as bytes
  assert.deepEqual(parseConfigText(parseCliArgs(['--requirepass', 'pässword']).options), [
    ['requirepass', [Buffer.from('pässword').latin1Slice(0)]],
  ]);
  assert.equal(quoteConfigArg('a\x01"'), '"a\\x01\\""');
});

test('loadConfig applies values; command-line lines come last and win', () => {
  const conf = file('a.conf', 'port 7000\nmaxclients 100\nbind 127.0.0.1\n');
  const c = new Config();
  const res = loadConfig(c, {
    file: conf,
    options: parseCliArgs(['--port', '7001', '--bind', '127.0.0.1 -::1']).options,
  });
  assert.equal(c.v['port'], 7001);
  assert.equal(c.v['maxclients'], 100);
  assert.equal(String(c.v['bind']), '127.0.0.1 -::1');
  assert.deepEqual(res.files, [conf]);
});

test('repeated save lines follow Redis: they add up within a file; an include ends that', () => {
  // (each expectation was checked against redis-server 7.0 with CONFIG GET save)
  assert.equal(load('save 200 2\nsave 300 3\n').v['save'], '200 2 300 3');
  assert.equal(load('save ""\nsave 300 3\n').v['save'], '300 3');
  assert.equal(load('save 300 3\nsave ""\n').v['save'], '');
  const inc = file('save-inc.conf', 'save 100 1\n');
  assert.equal(load(`include ${inc}\nsave 200 2\nsave 300 3\n`).v['save'], '300 3');
  assert.equal(failure('save 1\n').reason, 'Invalid save parameters');
});

test('include: nested files, globs in sorted order, missing files are fatal', () => {
  file('conf.d/20-b.conf', 'maxclients 20\n');
  file('conf.d/10-a.conf', 'maxclients 10\ntimeout 5\n');
  file('conf.d/skip.txt', 'maxclients 99\n');
  const c = load(`timeout 1\ninclude ${path.join(tmp, 'conf.d', '*.conf')}\n`);
  assert.equal(c.v['maxclients'], 20);
  assert.equal(c.v['timeout'], 5);
  // a glob matching nothing is not an error (as with glob(3) in Redis)
  load(`include ${path.join(tmp, 'nothing-*.conf')}\n`);
  assert.throws(
    () => load(`include ${path.join(tmp, 'absent.conf')}\n`),
    (e: Error) =>
      e instanceof ConfigFatalLog &&
      /can't open config file '.*absent\.conf': No such file or directory/.test(e.message),
  );
  // an error inside an included file names its own line
  const bad = file('bad-inc.conf', '\nport nope\n');
  const e = failure(`port 1\ninclude ${bad}\n`);
  assert.equal(e.line, 2);
  assert.equal(e.text, 'port nope');
});

test('multi-word parameters: one quoted argument is split; client-output-buffer-limit merges per class', () => {
  assert.equal(String(load('bind "127.0.0.1 -::1"\n').v['bind']), '127.0.0.1 -::1');
  const c = load('client-output-buffer-limit normal 1mb 2mb 3\n');
  const v = String(c.v['client-output-buffer-limit']);
  assert.match(v, /^normal 1048576 2097152 3 /);
  assert.match(v, /pubsub 33554432 8388608 60/);
  assert.equal(
    failure('client-output-buffer-limit normal 1 2\n').reason,
    'Wrong number of arguments in buffer limit configuration.',
  );
});

test('errors: the reason and the line, as redis-server prints them', () => {
  assert.deepEqual((({ reason, line, text }) => ({ reason, line, text }))(failure('port 1\n\nfoo bar\n')), {
    reason: 'Bad directive or wrong number of arguments',
    line: 3,
    text: 'foo bar',
  });
  assert.equal(failure('port 1 2\n').reason, 'wrong number of arguments');
  assert.equal(failure('port\n').reason, 'wrong number of arguments');
  assert.equal(failure('port abc\n').reason, "argument couldn't be parsed into an integer");
  assert.equal(failure('protected-mode maybe\n').reason, "argument must be 'yes' or 'no'");
  assert.equal(failure('include\n').reason, 'Bad directive or wrong number of arguments');
  assert.equal(failure('mymodule.opt\n').reason, 'Module config specified without value');
  assert.throws(() => load('mymodule.opt 1\n'), ConfigFatalLog);
  // deprecated parameters are accepted and ignored
  load('list-max-ziplist-entries 128\nlua-replicate-commands yes\n');
  // directives that are not parameters are collected
  const c = new Config();
  const r = loadConfig(c, { stdin: 'rename-command FLUSHALL ""\nuser alice on >pw ~* +@all\n' });
  assert.deepEqual(
    r.directives.map((d) => [d.name, d.args]),
    [
      ['rename-command', ['FLUSHALL', '']],
      ['user', ['alice', 'on', '>pw', '~*', '+@all']],
    ],
  );
});

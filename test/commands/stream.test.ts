/**
 * Stream commands: differential tests against redis-server (RESP2 and RESP3)
 * for XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID and their error paths,
 * seeded random sequences that exercise the radix-tree node boundaries
 * (approximate trims, node byte and entry limits, XINFO STREAM's radix
 * figures), consumer groups, and blocking XREAD/XREADGROUP across
 * connections. Replies that carry times (idle, delivery times) are compared
 * by shape; Redis 7.2's texts where the 7.0 reference differs are checked
 * against 7.2's.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';

import { sameTranscript, type Scenario } from '../helpers/session.js';
import { rng } from '../helpers/rng.js';
import { both, sevenTwo, type CustomStep, type Step } from './strdiff.js';

const d = await Differ.start();
after(() => d?.stop());
const same = (scn: Scenario): Promise<void> => sameTranscript(d!, scn, 'STREAM_TRANSCRIPTS');

test('XADD IDs, options and errors; XLEN; TYPE and OBJECT ENCODING', async () => {
  await both(
    d!,
    [
      ['XADD', 's', '1-1', 'f', 'v'],
      ['XADD', 's', '1-1', 'f', 'v'],
      ['XADD', 's', '0-0', 'f', 'v'],
      ['XADD', 's2', '0-0', 'f', 'v'],
      ['EXISTS', 's2'],
      ['XADD', 's', '1-*', 'a', 'b'],
      ['XADD', 's', '1', 'a', 'b'],
      ['XADD', 's', '2', 'a', 'b', 'c'],
      ['XADD', 's', '2'],
      ['XADD', 's', 'MAXLEN'],
      ['XADD', 's', 'MAXLEN', '1'],
      ['XADD', 's', '5-5', 'f'],
      ['XADD', 's', 'abc', 'f', 'v'],
      ['XADD', 's', '-', 'f', 'v'],
      ['XADD', 's', '+', 'f', 'v'],
      ['XADD', 's', '5-x', 'f', 'v'],
      ['XADD', 's', ' 7', 'f', 'v'],
      ['XADD', 's', '+8-1', 'f', 'v'],
      ['XADD', 's', '-9', 'f', 'v'],
      ['XADD', 's', 'NOMKSTREAM', '9', 'f', 'v'],
      ['XADD', 'nos', 'NOMKSTREAM', '9', 'f', 'v'],
      ['EXISTS', 'nos'],
      ['XADD', 's', 'MAXLEN', '-1', '10', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', 'x', '10', 'f', 'v'],
      ['XADD', 's', 'LIMIT', '5', '10', 'f', 'v'],
      ['XADD', 's', 'LIMIT', '0', '10', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '5', 'LIMIT', '5', '10', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '~', '5', 'LIMIT', '-1', '10', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '5', 'MINID', '5', '10', 'f', 'v'],
      ['XADD', 's', 'MINID', '-', '10', 'f', 'v'],
      ['XADD', 's', 'MINID', '~', '5', '11', 'f', 'v'],
      ['XADD', 's', 'maxlen', '=', '3', '12', 'f', 'v'],
      ['XLEN', 's'],
      ['XLEN', 'nokey'],
      ['TYPE', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['SET', 'str', 'x'],
      ['XADD', 'str', '*', 'f', 'v'],
      ['XLEN', 'str'],
      ['XRANGE', 'str', '-', '+'],
      ['XDEL', 'str', '1'],
      ['XTRIM', 'str', 'MAXLEN', '1'],
      ['XADD', 'big', '18446744073709551615-18446744073709551615', 'f', 'v'],
      ['XADD', 'big', '*', 'f', 'v'],
      ['XADD', 'big2', '18446744073709551615-18446744073709551614', 'f', 'v'],
      ['XADD', 'big2', '18446744073709551615-*', 'f', 'v'],
      ['XADD', 'big3', '5-18446744073709551615', 'f', 'v'],
      sevenTwo(
        '-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n',
        'XADD',
        'big3',
        '5-*',
        'f',
        'v',
      ),
      ['XADD', 'big3', '18446744073709551616', 'f', 'v'],
      ['XADD', 'bin', '1', 'f\x00\xff', '\r\n\x00'],
      ['XRANGE', 'bin', '-', '+'],
    ],
    with72,
  );
});

test('XRANGE and XREVRANGE: bounds, exclusive ranges, COUNT', async () => {
  const setup: Step[] = [];
  for (let i = 1; i <= 6; i++) setup.push(['XADD', 's', `${i}-${i % 3}`, 'f', String(i), 'g', 'x'.repeat(i)]);
  await both(
    d!,
    [
      ...setup,
      ['XRANGE', 's', '-', '+'],
      ['XREVRANGE', 's', '+', '-'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XRANGE', 's', '-', '+', 'COUNT', '0'],
      ['XRANGE', 's', '-', '+', 'COUNT', '-1'],
      ['XRANGE', 's', '(1-1', '+'],
      ['XRANGE', 's', '-', '(5'],
      ['XRANGE', 's', '(-', '+'],
      ['XRANGE', 's', '-', '(+'],
      ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'],
      ['XRANGE', 's', '-', '(0-0'],
      ['XRANGE', 's', '2', '2'],
      ['XRANGE', 's', '3', '3-0'],
      ['XRANGE', 's', 'x', '+'],
      ['XRANGE', 's', '-', '+', 'COUNT'],
      ['XRANGE', 's', '-', '+', 'FOO', '1'],
      ['XRANGE', 'nokey', '-', '+'],
      ['XRANGE', 'nokey', '-', '+', 'COUNT', '0'],
      ['XREVRANGE', 's', '(5', '(1-1'],
      ['XREVRANGE', 's', '+', '-', 'COUNT', '1'],
      ['XRANGE', 's', '5', '2'],
      ['XREVRANGE', 's', '2', '5'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2', 'COUNT', '3'],
      ['XRANGE', 's', '(3', '(4'],
      // replies written from the nodes' bytes (replyRange): high and control bytes, empty
      // strings, lengths with two-byte varints, twelve pairs, fields other than the node's first
      ['XADD', 'b', '1-1', 'f', '\x00\x80\xff\r\n' + 'é'.repeat(10), 'g', ''],
      ['XADD', 'b', '2-1', 'f', 'k'.repeat(200), 'g', 'x'],
      ['XADD', 'b', '3-1', 'h', 'v'],
      ['XADD', 'b', '4-1', ...Array.from({ length: 24 }, (_, i) => `p${i}`)],
      ['XRANGE', 'b', '-', '+'],
      ['XREVRANGE', 'b', '+', '-', 'COUNT', '3'],
    ],
    with72,
  );
});

test('XDEL, XTRIM, XSETID and XINFO STREAM bookkeeping', async () => {
  const setup: Step[] = [];
  for (let i = 1; i <= 12; i++) setup.push(['XADD', 's', String(i), 'f', 'v']);
  await both(
    d!,
    [
      ...setup,
      ['XDEL', 's', '1', '2-0', '99'],
      ['XDEL', 's', 'x'],
      ['XDEL', 's', '-'],
      ['XDEL', 'nokey', 'x'],
      ['XINFO', 'STREAM', 's'],
      ['XTRIM', 's', 'MAXLEN', '8'],
      ['XTRIM', 's'],
      ['XTRIM', 's', 'FOO'],
      ['XTRIM', 'nokey', 'FOO', 'x'],
      ['XTRIM', 'nokey', 'MINID', '-5'],
      ['XTRIM', 's', 'MINID', '0', 'LIMIT', '1'],
      ['XTRIM', 's', 'MINID', '6'],
      ['XTRIM', 's', 'MAXLEN', '~', '0'],
      ['XINFO', 'STREAM', 's'],
      ['XSETID', 's', '20-0'],
      ['XSETID', 'nokey', '1'],
      ['XSETID', 's', '200', 'ENTRIESADDED', '-1'],
      ['XSETID', 's', '200', 'ENTRIESADDED', '0'],
      ['XSETID', 's', '200', 'MAXDELETEDID', '300'],
      ['XSETID', 's', '200', 'MAXDELETEDID', '150', 'ENTRIESADDED', '50'],
      ['XSETID', 's', '150'],
      ['XSETID', 's', '200', 'FOO'],
      ['XSETID', 's', '-'],
      ['XINFO', 'STREAM', 's'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', '300', 'f', 'v'],
      ['XDEL', 's', '300'],
      ['XINFO', 'STREAM', 's'],
      ['EXISTS', 's'],
      ['shape', 'XADD', 's', '*', 'f', 'v'],
      ['XLEN', 's'],
      ['XINFO', 'STREAM', 's', 'FOO'],
      ['XINFO', 'STREAM', 'nokey'],
      ['XINFO', 'FOO', 's'],
      ['XINFO', 'HELP'],
      ['XGROUP', 'HELP'],
    ],
    with72,
  );
});

test('XADD * after the last ID: parts below and past 2^53 - 1, a last ID ahead of the clock, after explicit IDs', async () => {
  // (tsdis makes these IDs in doubles while both parts are below 2^53 - 1, in BigInts past that:
  // types/stream.ts appendAuto; every ID here is ahead of the clock, so both servers give the same)
  const future = '99999999999999';
  await both(d!, [
    ['XADD', 'a', '1-1', 'f', 'v'],
    ['XSETID', 'a', `${future}-9007199254740989`],
    ['XADD', 'a', '*', 'f', 'v'],
    ['XADD', 'a', '*', 'f', 'v'],
    ['XADD', 'a', '*', 'f', 'v'],
    ['XADD', 'a', '*', 'f', 'v'],
    ['XRANGE', 'a', '-', '+'],
    ['XINFO', 'STREAM', 'a'],
    ['XADD', 'b', '1-1', 'f', 'v'],
    ['XSETID', 'b', '9007199254740993-5'],
    ['XADD', 'b', '*', 'f', 'v'],
    ['XADD', 'b', '*', 'g', 'w'],
    ['XSETID', 'b', '9007199254740993-18446744073709551615'],
    ['XADD', 'b', '*', 'f', 'v'],
    ['XRANGE', 'b', '-', '+'],
    ['XADD', 'c', `${future}-5`, 'f', 'v'],
    ['XADD', 'c', '*', 'f', 'v'],
    ['XADD', 'c', `${future}-*`, 'f', 'v'],
    ['XADD', 'c', '*', 'f', 'v'],
    ['XADD', 'c', '999999999999999-0', 'f', 'v'],
    ['XADD', 'c', '*', 'f', 'v'],
    ['XADD', 'c', '*', 'f', 'v'],
    ['XREVRANGE', 'c', '+', '-', 'COUNT', '3'],
    ['XINFO', 'STREAM', 'c'],
    ['XADD', 'e', '1-1', 'f', 'v'],
    ['XSETID', 'e', '18446744073709551615-18446744073709551614'],
    ['XADD', 'e', '*', 'f', 'v'],
    ['XADD', 'e', '*', 'f', 'v'],
    ['XLEN', 'e'],
  ]);
});

/** A random sequence of stream writes and reads over two keys (seeded). */
function randomSequence(seed: number): Cmd[] {
  const r = rng(seed);
  const ri = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[ri(a.length)]!;
  const cmds: Cmd[] = [];
  let ms = 1;
  if (r() < 0.5) cmds.push(['CONFIG', 'SET', 'stream-node-max-entries', String(pick([0, 1, 2, 5, 10, 100]))]);
  if (r() < 0.3) cmds.push(['CONFIG', 'SET', 'stream-node-max-bytes', String(pick([0, 50, 100, 300, 4096]))]);
  const val = () =>
    pick([
      'v',
      '1',
      '127',
      '128',
      '-1',
      '4096',
      '65536',
      '99999999',
      '12345678901',
      'x'.repeat(ri(70)),
      'y'.repeat(ri(300)),
      'z'.repeat(pick([10, 5000])),
      '007',
      '-0',
    ]);
  const fields = () => {
    const o: string[] = [];
    for (let i = 1 + ri(3); i > 0; i--) o.push(pick(['f', 'g', 'name', '1', String(i)]), val());
    return o;
  };
  const id = () => {
    ms += ri(3);
    return pick([`${ms}-${ri(3)}`, `${ms}-*`, `${ms}`, `${ms + 1000000}-${ri(5)}`]);
  };
  const trim = (): string[] => {
    const t =
      r() < 0.5 ? ['MAXLEN', pick(['~', '=', '~']), String(ri(30))] : ['MINID', pick(['~', '=']), `${ms - ri(10)}`];
    if (t[1] === '~' && r() < 0.5) t.push('LIMIT', String(ri(120)));
    return t;
  };
  for (let k = 0; k < 200; k++) {
    const x = r();
    const key = pick(['s', 's', 's', 't']);
    if (x < 0.5) cmds.push(['XADD', key, ...(r() < 0.25 ? trim() : []), id(), ...fields()]);
    else if (x < 0.65) cmds.push(['XDEL', key, ...Array.from({ length: 1 + ri(3) }, () => `${ri(ms + 1)}-${ri(3)}`)]);
    else if (x < 0.75) cmds.push(['XTRIM', key, ...trim()]);
    else if (x < 0.85) cmds.push(['XINFO', 'STREAM', key]);
    else if (x < 0.9)
      cmds.push([
        'XRANGE',
        key,
        pick(['-', `${ri(ms)}`, `(${ri(ms)}-1`]),
        pick(['+', `${ri(ms) + 5}`]),
        'COUNT',
        String(ri(5)),
      ]);
    else if (x < 0.95) cmds.push(['XREVRANGE', key, '+', '-', 'COUNT', String(ri(8))]);
    else cmds.push(['XLEN', key]);
  }
  cmds.push(
    ['XRANGE', 's', '-', '+'],
    ['XRANGE', 't', '-', '+'],
    ['XINFO', 'STREAM', 's'],
    ['XINFO', 'STREAM', 't'],
    ['DEBUG', 'DIGEST'],
    // through an RDB and back: the same entries, nodes and radix figures
    ['DEBUG', 'RELOAD'],
    ['XRANGE', 's', '-', '+'],
    ['XREVRANGE', 't', '+', '-'],
    ['XINFO', 'STREAM', 's', 'FULL'],
    ['DEBUG', 'DIGEST'],
  );
  return cmds;
}

test('random sequences: node boundaries, approximate trims, radix figures (seeded)', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    await d!.reset();
    await d!.both(['CONFIG', 'SET', 'stream-node-max-entries', '100']);
    await d!.both(['CONFIG', 'SET', 'stream-node-max-bytes', '4096']);
    for (const c of randomSequence(seed)) {
      const [x, y] = await d!.both(c);
      assert.equal(x, y, `seed ${seed}: ${JSON.stringify(c)}`);
    }
  }
  await d!.both(['CONFIG', 'SET', 'stream-node-max-entries', '100']);
  await d!.both(['CONFIG', 'SET', 'stream-node-max-bytes', '4096']);
});

/**
 * Redis 7.2 creates an XREADGROUP's consumer even when the read serves
 * nothing (7.0, the reference, only when it serves). After an XREADGROUP the
 * reference accepted, its consumers are created there too, so both servers'
 * groups stay comparable.
 */
async function consumers72(cmd: Cmd, redisReply: string): Promise<void> {
  if (String(cmd[0]).toUpperCase() !== 'XREADGROUP' || redisReply.startsWith('-')) return;
  const args = cmd.map(String);
  const at = args.findIndex((a) => a.toUpperCase() === 'STREAMS');
  const keys = args.slice(at + 1, at + 1 + (args.length - at - 1) / 2);
  for (const key of keys) await d!.b.call('XGROUP', 'CREATECONSUMER', key, args[2]!, args[3]!);
}

/** strdiff's runner with consumers72 after each XREADGROUP. */
const with72: CustomStep = async (s) => {
  if (String(s[0]).toUpperCase() !== 'XREADGROUP') return false;
  const [x, y] = await d!.both(s as Cmd);
  assert.equal(x, y, `command ${JSON.stringify(s.map(String))}`);
  await consumers72(s as Cmd, y);
  return true;
};

/** A random sequence of consumer group commands on one stream (seeded); nothing in it depends on time. */
function randomGroupSequence(seed: number): Cmd[] {
  const r = rng(seed);
  const ri = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[ri(a.length)]!;
  const cmds: Cmd[] = [['CONFIG', 'SET', 'stream-node-max-entries', String(pick([2, 5, 100]))]];
  let ms = 1;
  const rid = () => `${ri(ms + 2)}-${ri(2)}`;
  const entriesRead = (): string[] => (r() < 0.3 ? ['ENTRIESREAD', String(ri(10) - 1)] : []);
  for (let k = 0; k < 250; k++) {
    const x = r();
    const g = pick(['g', 'g', 'h']);
    const c = pick(['c1', 'c2', 'c3']);
    if (x < 0.25) {
      ms += ri(2);
      cmds.push(['XADD', 's', `${ms}-*`, 'f', String(k)]);
    } else if (x < 0.3) cmds.push(['XDEL', 's', rid(), rid()]);
    else if (x < 0.33) cmds.push(['XTRIM', 's', pick(['MAXLEN', 'MINID']), pick(['=', '~']), String(ri(ms + 2))]);
    else if (x < 0.37) cmds.push(['XGROUP', 'CREATE', 's', g, pick(['$', '0', rid()]), ...entriesRead()]);
    else if (x < 0.4) cmds.push(['XGROUP', 'SETID', 's', g, pick(['$', '0', rid()]), ...entriesRead()]);
    else if (x < 0.55)
      cmds.push([
        'XREADGROUP',
        'GROUP',
        g,
        c,
        'COUNT',
        String(1 + ri(4)),
        ...(r() < 0.2 ? ['NOACK'] : []),
        'STREAMS',
        's',
        pick(['>', '>', '0', rid()]),
      ]);
    else if (x < 0.62) cmds.push(['XACK', 's', g, rid(), rid()]);
    else if (x < 0.67)
      cmds.push([
        'XCLAIM',
        's',
        g,
        c,
        '0',
        rid(),
        rid(),
        'JUSTID',
        ...(r() < 0.3 ? ['FORCE'] : []),
        ...(r() < 0.2 ? ['LASTID', rid()] : []),
      ]);
    else if (x < 0.7)
      cmds.push(['XAUTOCLAIM', 's', g, c, '0', pick(['0', rid()]), 'COUNT', String(1 + ri(3)), 'JUSTID']);
    else if (x < 0.8) cmds.push(['XINFO', 'GROUPS', 's']);
    else if (x < 0.87) cmds.push(['XPENDING', 's', g]);
    else if (x < 0.9) cmds.push(['XGROUP', pick(['DELCONSUMER', 'CREATECONSUMER']), 's', g, c]);
    else if (x < 0.92) cmds.push(['XGROUP', 'DESTROY', 's', g]);
    else if (x < 0.94)
      cmds.push([
        'XSETID',
        's',
        `${ms + ri(3)}-${ri(3)}`,
        ...(r() < 0.3 ? ['ENTRIESADDED', String(ri(300))] : []),
        ...(r() < 0.3 ? ['MAXDELETEDID', rid()] : []),
      ]);
    else cmds.push(['XINFO', 'STREAM', 's']);
  }
  return cmds;
}

test('random consumer group sequences: PELs, last IDs, entries-read and lag (seeded)', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    await d!.reset();
    for (const c of randomGroupSequence(seed)) {
      const [x, y] = await d!.both(c);
      assert.equal(x, y, `seed ${seed}: ${JSON.stringify(c)}`);
      await consumers72(c, y);
    }
  }
  await d!.both(['CONFIG', 'SET', 'stream-node-max-entries', '100']);
});

test('consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS', async () => {
  await both(
    d!,
    [
      ['XGROUP', 'CREATE', 's', 'g', '$'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['TYPE', 's'],
      ['XINFO', 'GROUPS', 's'],
      ['XADD', 's', '1', 'a', '1'],
      ['XADD', 's', '2', 'b', '2'],
      ['XADD', 's', '3', 'c', '3'],
      ['XADD', 's', '4', 'd', '4'],
      ['XADD', 's', '5', 'e', '5'],
      ['XGROUP', 'CREATE', 's', 'g2', '0'],
      ['XGROUP', 'CREATE', 's', 'g3', '0', 'ENTRIESREAD', '2'],
      ['XGROUP', 'CREATE', 's', 'g4', '0', 'ENTRIESREAD', '-2'],
      ['XGROUP', 'CREATE', 's', 'g4', '0', 'FOO'],
      ['XGROUP', 'CREATE', 's', 'g4', 'x'],
      ['XGROUP', 'CREATE', 's', 'g4', '-'],
      ['XINFO', 'GROUPS', 's'],
      ['XREADGROUP', 'GROUP', 'g2', 'c1', 'COUNT', '2', 'STREAMS', 's', '>'],
      ['XINFO', 'GROUPS', 's'],
      ['XPENDING', 's', 'g2'],
      ['shape', 'XPENDING', 's', 'g2', '-', '+', '10'],
      ['XREADGROUP', 'GROUP', 'g2', 'c2', 'STREAMS', 's', '>'],
      ['XPENDING', 's', 'g2'],
      ['XREADGROUP', 'GROUP', 'g2', 'c1', 'STREAMS', 's', '0'],
      ['XREADGROUP', 'GROUP', 'g2', 'c1', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g2', 'c1', 'COUNT', '1', 'STREAMS', 's', '0'],
      ['XACK', 's', 'g2', '1', '2-0', '9'],
      ['XACK', 's', 'g2', 'x'],
      ['XACK', 's', 'nog', '1'],
      ['XACK', 'nokey', 'g', '1'],
      ['XPENDING', 's', 'g2'],
      ['XDEL', 's', '3'],
      ['XREADGROUP', 'GROUP', 'g2', 'c2', 'STREAMS', 's', '0'],
      ['XINFO', 'GROUPS', 's'],
      ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 's', '$'],
      ['XREADGROUP', 'GROUP', 'nog', 'c1', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'STREAMS', 's', '>'],
      ['XREAD', 'STREAMS', 's', '>'],
      ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 's', '0'],
      ['XREAD', 'NOACK', 'STREAMS', 's', '0'],
      ['XREAD', 'STREAMS', 's', '0'],
      ['XREAD', 'COUNT', '2', 'STREAMS', 's', 'nokey', '0', '0'],
      ['XREAD', 'STREAMS', 's', '$'],
      ['XREAD', 'BLOCK', 'x', 'STREAMS', 's', '0'],
      ['XREAD', 'BLOCK', '-1', 'STREAMS', 's', '0'],
      ['XREAD', 'COUNT', 'x', 'STREAMS', 's', '0'],
      ['XREAD', 'FOO'],
      ['XREAD', 'STREAMS'],
      sevenTwo(
        "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n",
        'XREAD',
        'STREAMS',
        's',
        '1',
        'x',
      ),
      sevenTwo(
        "-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.\r\n",
        'XREADGROUP',
        'GROUP',
        'g',
        'c',
        'STREAMS',
        's',
        '>',
        'x',
      ),
      ['shape', 'XPENDING', 's', 'g2', 'IDLE', '0', '-', '+', '10'],
      ['shape', 'XPENDING', 's', 'g2', '-', '+', '10', 'c2'],
      ['XPENDING', 's', 'g2', '-', '+', '10', 'nocons'],
      ['XPENDING', 's', 'g2', '-', '+'],
      ['XPENDING', 's', 'g2', '-', '+', 'x'],
      ['XPENDING', 's', 'nog'],
      ['XPENDING', 's', 'g2', 'IDLE', 'x', '-', '+', '10'],
      ['shape', 'XPENDING', 's', 'g2', '(1', '(5', '10'],
      ['XPENDING', 's', 'g2', '-', '+', '0'],
      ['XPENDING', 's', 'g2', 'IDLE', '100000', '-', '+', '10'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '4', '5', 'JUSTID'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '3'],
      ['XPENDING', 's', 'g2'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '1', 'FORCE', 'JUSTID'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '2', 'FORCE', 'RETRYCOUNT', '7', 'JUSTID'],
      ['shape', 'XPENDING', 's', 'g2', '-', '+', '10'],
      ['XCLAIM', 's', 'g2', 'c3', 'x', '1'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '1', 'BAR'],
      ['XCLAIM', 's', 'nog', 'c3', '0', '1'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '1', 'IDLE', 'x'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '1', 'LASTID', 'x'],
      ['XCLAIM', 's', 'g2', 'c3', '0', '2', 'LASTID', '100', 'JUSTID'],
      ['XINFO', 'GROUPS', 's'],
      ['XCLAIM', 's', 'g2', 'c1', '3600000', '1', '2'],
      ['XCLAIM', 's', 'g2', 'c1', '0', '1', '2', 'TIME', '0', 'RETRYCOUNT', '3'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '0'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '0', 'COUNT', '1'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '0', 'COUNT', '0'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '0', 'JUSTID'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '(1', 'COUNT', '1', 'JUSTID'],
      ['XAUTOCLAIM', 's', 'nog', 'c4', '0', '0'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', 'x', '0'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', 'x'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '0', '0', 'FOO'],
      ['XAUTOCLAIM', 's', 'g2', 'c4', '3600000', '0'],
      ['XINFO', 'CONSUMERS', 's', 'nog'],
      ['XINFO', 'GROUPS', 'nokey'],
      ['XGROUP', 'SETID', 's', 'g2', '0'],
      ['XGROUP', 'SETID', 's', 'g2', '0', 'ENTRIESREAD', '3'],
      ['XGROUP', 'SETID', 's', 'g2', '$'],
      ['XGROUP', 'SETID', 's', 'nog', '0'],
      ['XGROUP', 'SETID', 's', 'g2', '0', 'FOO', '1'],
      ['XGROUP', 'SETID', 's', 'g2', 'x'],
      ['XGROUP', 'SETID', 's', 'g2', '0', 'ENTRIESREAD', 'x'],
      ['XGROUP', 'SETID', 'nokey', 'g2', '0'],
      ['XINFO', 'GROUPS', 's'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g2', 'c9'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g2', 'c9'],
      ['XGROUP', 'CREATECONSUMER', 's', 'nog', 'c9'],
      ['XGROUP', 'DELCONSUMER', 's', 'g2', 'c4'],
      ['XGROUP', 'DELCONSUMER', 's', 'g2', 'zz'],
      ['XPENDING', 's', 'g2'],
      ['XGROUP', 'DESTROY', 's', 'g3'],
      ['XGROUP', 'DESTROY', 's', 'g3'],
      ['XGROUP', 'DESTROY', 'nokey', 'g3'],
      ['XGROUP', 'FOO'],
      ['XGROUP', 'CREATE', 's'],
      ['XINFO', 'GROUPS', 's'],
      ['XADD', 's', '6', 'f', 'v'],
      ['XINFO', 'GROUPS', 's'],
      ['XTRIM', 's', 'MAXLEN', '1'],
      ['XINFO', 'GROUPS', 's'],
      ['XSETID', 's', '10', 'ENTRIESADDED', '100'],
      ['XINFO', 'GROUPS', 's'],
      ['XADD', 'e', '1', 'f', 'v'],
      ['XDEL', 'e', '1'],
      ['XGROUP', 'CREATE', 'e', 'g', '0'],
      ['XINFO', 'GROUPS', 'e'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'e', '>'],
      ['XINFO', 'GROUPS', 'e'],
      ['XGROUP', 'CREATE', 'e', 'g5', '$'],
      ['XINFO', 'GROUPS', 'e'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 's', '>'],
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 's', '>'],
      ['XPENDING', 's', 'g'],
      ['XINFO', 'GROUPS', 's'],
      ['XADD', 'f', '1', 'f', 'v'],
      ['XADD', 'f', '2', 'f', 'v'],
      ['XADD', 'f', '3', 'f', 'v'],
      ['XGROUP', 'CREATE', 'f', 'g', '$', 'ENTRIESREAD', '0'],
      ['XINFO', 'GROUPS', 'f'],
      ['XGROUP', 'SETID', 'f', 'g', '0-0', 'ENTRIESREAD', '-1'],
      ['XDEL', 'f', '2'],
      ['XINFO', 'GROUPS', 'f'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'f', '>'],
      ['XINFO', 'GROUPS', 'f'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'f', '>'],
      ['XINFO', 'GROUPS', 'f'],
      ['XINFO', 'STREAM', 'f'],
      ['DEBUG', 'DIGEST-VALUE', 's'],
      ['COPY', 's', 'cp'],
      ['XINFO', 'GROUPS', 'cp'],
      ['XPENDING', 'cp', 'g2'],
      ['RENAME', 'cp', 'cp2'],
      ['XRANGE', 'cp2', '-', '+'],
    ],
    with72,
  );
});

test('XINFO STREAM FULL and XINFO CONSUMERS (Redis 7.2 adds active-time and inactive)', async () => {
  await d!.reset();
  for (const c of [
    ['XADD', 's', '1', 'a', '1'],
    ['XADD', 's', '2', 'b', '2'],
    ['XADD', 's', '3', 'c', '3'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XGROUP', 'CREATE', 's', 'h', '$'],
  ])
    await d!.both(c);
  await d!.same([
    ['XINFO', 'STREAM', 's', 'FULL'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '1'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '0'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '-5'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT'],
  ]);
  await d!.both(['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>']);
  await d!.both(['XGROUP', 'CREATECONSUMER', 's', 'g', 'bob']);
  // (compared, and recorded, without the idle times)
  const [x, y] = await d.bothView(
    (r) => (decode(r) as unknown[][]).map((c) => c.slice(0, 4)),
    ['XINFO', 'CONSUMERS', 's', 'g'],
  );
  assert.equal(x.length, 2);
  assert.deepEqual(x, y);
  // 7.0's name, pending, idle, then 7.2's inactive (-1 for a consumer that never read)
  const mine = decode(await d.a.call('XINFO', 'CONSUMERS', 's', 'g')) as unknown[][];
  assert.equal(mine[0]![6], 'inactive');
  assert.equal(mine[1]![7], -1);
  const full = decode(await d.a.call('XINFO', 'STREAM', 's', 'FULL')) as unknown[];
  const groups = full[full.indexOf('groups') + 1] as unknown[][];
  const cons = groups[0]![groups[0]!.indexOf('consumers') + 1] as unknown[][];
  assert.deepEqual(
    cons.map((c) => c.filter((_, i) => i % 2 === 0)),
    [
      ['name', 'seen-time', 'active-time', 'pel-count', 'pending'],
      ['name', 'seen-time', 'active-time', 'pel-count', 'pending'],
    ],
  );
  await d!.reset();
});

test('XREAD BLOCK is served by XADD from another client, in RESP2 and RESP3', async () => {
  await same(async (s) => {
    const [r1, r2, r3, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    await s.call(w, 'w', 'XADD', 's', '1', 'f', 'v');
    s.send(r1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await s.blocked(1);
    await s.quiet(r2, 'HELLO', '3');
    s.send(r2, 'XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'other', 's', '0', '5');
    await s.blocked(2);
    s.send(r3, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '1');
    await s.blocked(3);
    await s.call(w, 'w', 'XADD', 's', '2', 'f', 'v2');
    await s.read(r1, 'r1');
    await s.read(r3, 'r3');
    await s.rest(r2, 'r2');
    await s.call(w, 'w', 'XADD', 's', '6', 'a', 'b', 'c', 'd');
    await s.read(r2, 'r2');
    s.send(r1, 'XREAD', 'BLOCK', '50', 'STREAMS', 's', '$');
    await s.read(r1, 'r1 timeout');
    s.send(r2, 'XREAD', 'BLOCK', '50', 'STREAMS', 's', '$');
    await s.read(r2, 'r2 timeout');
    await s.call(w, 'w', 'MULTI');
    await s.call(w, 'w', 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await s.call(w, 'w', 'EXEC');
    // a stream created on a waited-on key
    s.send(r1, 'XREAD', 'BLOCK', '0', 'STREAMS', 'new', '0-0');
    await s.blocked(1);
    await s.call(w, 'w', 'XADD', 'new', '7', 'x', 'y');
    await s.read(r1, 'r1 new');
  });
});

test('XREADGROUP BLOCK: served in turn, NOACK, and a destroyed group', async () => {
  await same(async (s) => {
    const [a, b, w] = [await s.conn(), await s.conn(), await s.conn()];
    await s.call(w, 'w', 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    s.send(a, 'XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await s.blocked(1);
    s.send(b, 'XREADGROUP', 'GROUP', 'g', 'bob', 'BLOCK', '0', 'NOACK', 'STREAMS', 's', '>');
    await s.blocked(2);
    await s.call(w, 'w', 'XADD', 's', '1', 'f', 'v');
    await s.read(a, 'alice');
    await s.rest(b, 'bob');
    await s.call(w, 'w', 'XADD', 's', '2', 'f', 'v');
    await s.read(b, 'bob');
    await s.call(w, 'w', 'XPENDING', 's', 'g');
    await s.call(w, 'w', 'XINFO', 'GROUPS', 's');
    s.send(a, 'XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await s.blocked(1);
    await s.call(w, 'w', 'XGROUP', 'DESTROY', 's', 'g');
    // 7.2 runs the command again (7.0: "NOGROUP the consumer group this client was blocked on no longer exists")
    await s.read72(a, 'alice', "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n");
    s.send(a, 'XREADGROUP', 'GROUP', 'nog', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await s.read(a, 'alice nogroup');
  });
});

test('XREADGROUP BLOCK is answered as if run again when its stream goes (DEL, overwrite, RENAME, MOVE, expiry, FLUSHDB, SWAPDB); XREAD and BLPOP keep waiting', async () => {
  await same(async (s) => {
    const [a, b, w] = [await s.conn(), await s.conn(), await s.conn()];
    const ends: string[][] = [
      ['DEL', 's'],
      ['SET', 's', 'x'],
      ['RENAME', 's', 's2'],
      ['MOVE', 's', '1'],
      ['UNLINK', 's'],
      ['FLUSHDB'],
      ['SWAPDB', '0', '1'],
      ['PEXPIRE', 's', '30'],
    ];
    for (const end of ends) {
      await s.call(w, 'w', 'FLUSHALL');
      await s.call(w, 'w', 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      s.send(a, 'XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
      await s.blocked(1);
      // a plain XREAD on the same key is not told
      s.send(b, 'XREAD', 'BLOCK', '300', 'STREAMS', 's', '$');
      await s.blocked(2);
      await s.call(w, 'w', ...end);
      // 7.2 runs the command again: NOGROUP for a stream that is gone, WRONGTYPE for another
      // type (7.0: "UNBLOCKED the stream key no longer exists")
      const again =
        end[0] === 'SET'
          ? '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'
          : "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n";
      await s.read72(a, `alice after ${end[0]}`, again);
      await s.read(b, `xread after ${end[0]}`);
    }
    // a list waiter is not woken by a flush
    s.send(b, 'BLPOP', 'l', '0.2');
    await s.blocked(1);
    await s.call(w, 'w', 'FLUSHALL');
    await s.read(b, 'blpop');
  });
});

test('waiters of different types on one key: each is asked (a BLPOP first does not keep an XREADGROUP or a BZPOPMIN waiting)', async () => {
  await same(async (s) => {
    const [a, b, c, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    s.send(b, 'BLPOP', 's', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'XADD', 's', '666', 'key', 'value');
    await s.call(w, 'w', 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    s.send(a, 'XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await s.blocked(2);
    await s.call(w, 'w', 'DEL', 's');
    // 7.2 (Redis's own stream-cgroups test): the XREADGROUP behind the BLPOP runs again
    await s.read72(a, 'alice', "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n");
    await s.blocked(1);
    // a BZPOPMIN behind a BLPOP on a key that becomes a sorted set is served
    s.send(c, 'BZPOPMIN', 's', '0');
    await s.blocked(2);
    await s.call(w, 'w', 'ZADD', 's', '1', 'm');
    await s.read(c, 'bzpopmin');
    await s.call(w, 'w', 'RPUSH', 's', 'x');
    await s.read(b, 'blpop');
  });
});

test('keyspace notifications of stream commands', async () => {
  await same(async (s) => {
    const [sub, w] = [await s.conn(), await s.conn()];
    await s.call(w, 'w', 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await s.call(sub, 'sub', 'PSUBSCRIBE', '__keyevent@0__:*');
    const cmds: string[][] = [
      ['XADD', 's', '1', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '1', '2', 'f', 'v'],
      ['XDEL', 's', '2'],
      ['XDEL', 's', '2'],
      ['XADD', 's', '3', 'f', 'v'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XSETID', 's', '10'],
      ['XGROUP', 'CREATE', 's', 'g', '$'],
      ['XGROUP', 'CREATE', 'm', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['XADD', 's', '11', 'f', 'v'],
      ['XREADGROUP', 'GROUP', 'g', 'd', 'STREAMS', 's', '>'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'd'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XADD', 'nos', 'NOMKSTREAM', '*', 'f', 'v'],
    ];
    for (const c of cmds) await s.call(w, 'w', ...c);
    await s.rest(sub, 'events', 200);
    await s.call(w, 'w', 'CONFIG', 'SET', 'notify-keyspace-events', '');
  });
});

test('WATCH is broken by stream writes', async () => {
  await same(async (s) => {
    const [a, w] = [await s.conn(), await s.conn()];
    for (const write of [
      ['XADD', 's', '*', 'f', 'v'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'],
      ['XACK', 's', 'g', '0-1'],
      ['XSETID', 's', '99999999999999'],
    ]) {
      await s.call(a, 'a', 'WATCH', 's');
      await s.quiet(w, ...write);
      await s.call(a, 'a', 'MULTI');
      await s.call(a, 'a', 'XLEN', 's');
      await s.call(a, 'a', 'EXEC');
    }
  });
});

// (payloads hold consumers' seen-times and go to redis-server: against redis-server only)
test(
  "DUMP/RESTORE: payloads are byte for byte redis-server's, and restore both ways",
  { skip: d.skipUnlessLive },
  async () => {
    d.unrecorded();
    await d!.reset();
    await d!.both(['CONFIG', 'SET', 'rdbcompression', 'no']);
    try {
      const build: Cmd[] = [['CONFIG', 'SET', 'stream-node-max-entries', '7']];
      for (let i = 1; i <= 40; i++)
        build.push(['XADD', 's', `${i}-${i % 4}`, i % 5 === 0 ? 'other' : 'f', String(i * 37), 'g', 'x'.repeat(i)]);
      build.push(
        ['XDEL', 's', '3-3', '17-1', '40-0'],
        ['XTRIM', 's', 'MAXLEN', '30'],
        ['XGROUP', 'CREATE', 's', 'g', '0'],
        ['XGROUP', 'CREATE', 's', 'h', '$', 'ENTRIESREAD', '5'],
      );
      build.push(['XADD', 'e', '5-5', 'f', 'v'], ['XDEL', 'e', '5-5'], ['XGROUP', 'CREATE', 'e', 'g', '0']);
      for (const c of build) await d!.both(c);
      await d!.same([
        ['DUMP', 's'],
        ['DUMP', 'e'],
      ]);
      // consumers and pending entries carry times: move redis's payload to tsdis and back
      await d!.b.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '4', 'STREAMS', 's', '>');
      await d!.b.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '2', 'STREAMS', 's', '>');
      await d!.b.call('XGROUP', 'CREATECONSUMER', 's', 'h', 'carol');
      const theirs = decode(await d!.b.call('DUMP', 's')) as Buffer | string;
      const payload = Buffer.isBuffer(theirs) ? theirs : Buffer.from(theirs, 'latin1');
      assert.equal(await d!.a.call('RESTORE', 's2', '0', payload), '+OK\r\n');
      assert.equal(await d!.a.call('DUMP', 's2'), await d!.b.call('DUMP', 's'));
      for (const c of [
        ['XINFO', 'STREAM', 'K'],
        ['XINFO', 'GROUPS', 'K'],
        ['XPENDING', 'K', 'g'],
        ['XRANGE', 'K', '-', '+'],
      ]) {
        assert.equal(
          await d!.a.call(...c.map((x) => (x === 'K' ? 's2' : x))),
          await d!.b.call(...c.map((x) => (x === 'K' ? 's' : x))),
          c.join(' '),
        );
      }
      const ours = decode(await d!.a.call('DUMP', 's2')) as Buffer | string;
      assert.equal(
        await d!.b.call('RESTORE', 's3', '0', Buffer.isBuffer(ours) ? ours : Buffer.from(ours, 'latin1')),
        '+OK\r\n',
      );
      assert.equal(await d!.b.call('DUMP', 's3'), await d!.a.call('DUMP', 's2'));
      assert.equal(await d!.a.call('DEBUG', 'DIGEST-VALUE', 's2'), await d!.b.call('DEBUG', 'DIGEST-VALUE', 's'));
    } finally {
      await d!.both(['CONFIG', 'SET', 'rdbcompression', 'yes']);
      await d!.both(['CONFIG', 'SET', 'stream-node-max-entries', '100']);
      await d!.reset();
    }
  },
);

test('Redis 7.2: XSETID below max-deleted-entry-id is refused (7.0 accepted it)', async () => {
  // tests/unit/type/stream.tcl "XSETID cannot set smaller ID than current MAXDELETEDID"
  const { createServer } = await import('../../src/index.js');
  const srv = await createServer({ noListen: true });
  try {
    for (const id of ['1-1', '1-2', '1-3']) await srv.call('XADD', 'x', id, 'f', 'v');
    await srv.call('XDEL', 'x', '1-2');
    await srv.call('XDEL', 'x', '1-3');
    const err = (await srv.call('XSETID', 'x', '1-2')) as Error;
    assert.equal(err.message, 'ERR The ID specified in XSETID is smaller than current max_deleted_entry_id');
    assert.equal(await srv.call('XSETID', 'x', '1-3'), 'OK');
  } finally {
    await srv.close();
  }
});

test('approximate trims with LIMIT take whole nodes only while the limit allows', async () => {
  await both(
    d!,
    [
      ['XADD', 'y', '1', 'x', 'v'],
      ['XADD', 'y', '2', 'x', 'v'],
      ['XADD', 'y', '3', 'x', 'v'],
      ['XADD', 'y', 'MAXLEN', '~', '0', 'LIMIT', '1', '4', 'x', 'v'],
      ['XLEN', 'y'],
      ['CONFIG', 'SET', 'stream-node-max-entries', '2'],
      ['XADD', 'm', '1', 'x', 'v'],
      ['XADD', 'm', '2', 'x', 'v'],
      ['XADD', 'm', '3', 'x', 'v'],
      ['XTRIM', 'm', 'MAXLEN', '~', '0', 'LIMIT', '1'],
      ['XTRIM', 'm', 'MAXLEN', '~', '0', 'LIMIT', '2'],
      ['XLEN', 'm'],
      ['XADD', 'n', '1', 'x', 'v'],
      ['XADD', 'n', '2', 'x', 'v'],
      ['XADD', 'n', '3', 'x', 'v'],
      ['XADD', 'n', '4', 'x', 'v'],
      ['XTRIM', 'n', 'MINID', '~', '4', 'LIMIT', '3'],
      ['XTRIM', 'n', 'MINID', '~', '4', 'LIMIT', '2'],
      ['XLEN', 'n'],
      ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
    ],
    with72,
  );
});

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS against redis-server for every command
 * that has key specs (or a getkeys function) on both servers: each key's
 * position and flags (RW, RO, OW, RM, access, update, insert, delete,
 * not_key, incomplete, variable_flags), compared byte for byte.
 *
 * The invocations are generated from redis-server's own COMMAND DOCS
 * argument trees (the fewest arguments, then every optional argument with
 * each alternative of a oneof, and multiple arguments twice, with numkeys
 * arguments counting the keys that follow them), plus hand-written cases for
 * what a generator does not reach: the commands whose key flags depend on
 * their arguments (SET GET, BITFIELD GET, SORT STORE, GEORADIUS STORE),
 * numkeys that Redis's key specs refuse but its getkeys functions read with
 * atoi ("02", "2x", "0", "-1"), keywords at the edges of the arguments,
 * XREAD/XREADGROUP parsing and MIGRATE's KEYS form. Redis 7.0.15 (the
 * reference) and 7.2.4 share these key specs and getkeys functions.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());

type Doc = Map<string, unknown>;

/** Placeholder values per argument type (keys are numbered k1, k2, ...). */
const VALUE: Record<string, string> = { string: 's', integer: '1', double: '1.5', pattern: 'p*', 'unix-time': '100' };

/**
 * Generates argument lists for one argument tree. `variant` picks which
 * alternative of each oneof is taken (variant modulo its length) and
 * whether optional arguments are included (variant > 0) and multiple ones
 * repeated.
 */
function genArgs(args: Doc[], variant: number, keyNo: { n: number }): string[] {
  const out: string[] = [];
  const full = variant > 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flags = (a.get('flags') as string[] | undefined) ?? [];
    if (flags.includes('optional') && !full) continue;
    const times = flags.includes('multiple') && full ? 2 : 1;
    const token = a.get('token') as string | undefined;
    const name = a.get('name') as string;
    const type = a.get('type') as string;
    if (name === 'numkeys' && type === 'integer') {
      // counts the keys of the next argument: generate it first
      const next = args[i + 1]!;
      const nflags = (next.get('flags') as string[] | undefined) ?? [];
      const ntimes = nflags.includes('multiple') && full ? 2 : 1;
      const keys: string[] = [];
      for (let t = 0; t < ntimes; t++) keys.push(...one(next, variant, keyNo));
      if (token !== undefined) out.push(token);
      out.push(String(keys.length), ...keys);
      i++;
      continue;
    }
    for (let t = 0; t < times; t++) {
      if (token !== undefined && (t === 0 || flags.includes('multiple_token'))) out.push(token);
      out.push(...one(a, variant, keyNo));
    }
  }
  return out;
}

/** One occurrence of an argument (without its token). */
function one(a: Doc, variant: number, keyNo: { n: number }): string[] {
  const type = a.get('type') as string;
  if (type === 'key') return [`k${++keyNo.n}`];
  if (type === 'pure-token') return [];
  if (type === 'oneof') {
    const alts = a.get('arguments') as Doc[];
    const alt = alts[variant % alts.length]!;
    const altToken = alt.get('token') as string | undefined;
    return [
      ...(altToken !== undefined ? [altToken] : []),
      ...one(alt, Math.floor(variant / alts.length) + (variant > 0 ? 1 : 0), keyNo),
    ];
  }
  if (type === 'block') return genArgs(a.get('arguments') as Doc[], variant, keyNo);
  return [VALUE[type] ?? 's'];
}

/** Invocations (argv without the command name) for one command's DOCS entry. */
function invocations(doc: Doc): string[][] {
  const args = (doc.get('arguments') as Doc[] | undefined) ?? [];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (let v = 0; v < 6; v++) {
    const argv = genArgs(args, v, { n: 0 });
    const k = JSON.stringify(argv);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(argv);
    }
  }
  return out;
}

/** Hand-written invocations the generator does not reach (see the header). */
const EDGE_CASES: Cmd[] = [
  ['set', 'k', 'v'],
  ['set', 'k', 'v', 'GET'],
  ['set', 'k', 'v', 'get'],
  ['set', 'k', 'v', 'NX', 'GETX'],
  ['set', 'k', 'v', 'EX', 'get'],
  ['set', 'k', 'GET'],
  ['bitfield', 'k'],
  ['bitfield', 'k', 'GET', 'u8', '0'],
  ['bitfield', 'k', 'GET', 'u8'],
  ['bitfield', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
  ['bitfield', 'k', 'GET', 'u8', '0', 'SET', 'u8', '0', '1'],
  ['bitfield', 'k', 'INCRBY', 'u8', '0', '1'],
  ['bitfield', 'k', 'SET', 'u8', '0'],
  ['bitfield', 'k', 'nosuch'],
  ['bitfield', 'k', 'OVERFLOW'],
  ['bitfield_ro', 'k', 'GET', 'u8', '0'],
  ['bitfield_ro', 'k'],
  ['sort', 'k'],
  ['sort', 'k', 'STORE', 'd'],
  ['sort', 'k', 'STORE'],
  ['sort', 'k', 'STORE', 'd1', 'STORE', 'd2'],
  ['sort', 'k', 'BY', 'STORE', 'STORE', 'd'],
  ['sort', 'k', 'LIMIT', '0', 'STORE', 'store', 'd'],
  ['sort', 'k', 'GET', 'STORE', 'd'],
  ['sort', 'k', 'ALPHA', 'store', 'd'],
  ['sort_ro', 'k', 'BY', 'x'],
  ['georadius', 'k', '1', '2', '3', 'm'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STORE', 'd'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STOREDIST', 'd'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STORE', 'd1', 'STOREDIST', 'd2'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STORE'],
  ['georadius', 'k', '1', '2', '3', 'STORE', 'd'],
  ['georadius', 'k', '1', '2', '3', 'm', 'COUNT', 'STORE', 'd'],
  ['georadiusbymember', 'k', 'm', '3', 'km', 'STOREDIST', 'd'],
  ['georadiusbymember', 'k', 'm', '3', 'STORE', 'd'],
  ['georadius_ro', 'k', '1', '2', '3', 'm', 'STORE', 'd'],
  ['zunionstore', 'd', '2', 'a', 'b'],
  ['zunionstore', 'd', '0', 'a'],
  ['zunionstore', 'd', '02', 'a', 'b'],
  ['zunionstore', 'd', '2x', 'a', 'b'],
  ['zunionstore', 'd', '-1', 'a'],
  ['zunionstore', 'd', '3', 'a', 'b'],
  ['zunionstore', 'd', '+1', 'a'],
  ['zunionstore', 'd', ' 1', 'a'],
  ['zinterstore', 'd', '1', 'a', 'WEIGHTS', '1'],
  ['zdiffstore', 'd', '01', 'a'],
  ['zunion', '02', 'a', 'b'],
  ['zinter', '1x', 'a'],
  ['zintercard', '2', 'a', 'b', 'LIMIT', '1'],
  ['zintercard', '0', 'a'],
  ['zdiff', '3', 'a', 'b'],
  ['zdiff', '2', 'a', 'b', 'WITHSCORES'],
  ['sintercard', '2', 'a', 'b'],
  ['sintercard', '02', 'a', 'b'],
  ['sintercard', '0', 'a'],
  ['sintercard', 'x', 'a'],
  ['lmpop', '2', 'a', 'b', 'LEFT'],
  ['lmpop', '02', 'a', 'b', 'LEFT'],
  ['lmpop', '0', 'a', 'LEFT'],
  ['lmpop', '3', 'a', 'b', 'LEFT'],
  ['blmpop', '0', '2', 'a', 'b', 'LEFT'],
  ['blmpop', '0', '2y', 'a', 'b', 'LEFT'],
  ['blmpop', '0', '0', 'a', 'LEFT'],
  ['zmpop', '1', 'a', 'MIN'],
  ['zmpop', '01', 'a', 'MIN'],
  ['bzmpop', '0', '1', 'a', 'MIN'],
  ['bzmpop', '0', '1.5', 'a', 'MIN'],
  ['eval', 's', '2', 'a', 'b', 'c'],
  ['eval', 's', '0'],
  ['eval', 's', '02', 'a', 'b'],
  ['eval', 's', '3', 'a'],
  ['eval', 's', '-1'],
  ['evalsha', 's', '1', 'a'],
  ['eval_ro', 's', '1', 'a'],
  ['evalsha_ro', 's', '1x', 'a'],
  ['fcall', 'f', '1', 'a'],
  ['fcall', 'f', '0'],
  ['fcall_ro', 'f', '2', 'a', 'b'],
  ['fcall_ro', 'f', '002', 'a', 'b'],
  ['xread', 'STREAMS', 'a', '0'],
  ['xread', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'a', 'b', '0', '0'],
  ['xread', 'STREAMS', 'a', 'b', '0'],
  ['xread', 'STREAMS'],
  ['xread', 'COUNT', 'STREAMS', 'a', '0'],
  ['xread', 'NOACK', 'STREAMS', 'a', '0'],
  ['xread', 'x', 'STREAMS', 'a', '0'],
  ['xread', 'STREAMS', 'streams', 'streams', '0', '0'],
  ['xread', 'streams', 'a', '0'],
  ['xreadgroup', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0'],
  ['xreadgroup', 'GROUP', 'g', 'STREAMS', 'STREAMS', 'a', '0'],
  ['xreadgroup', 'GROUP', 'g', 'c', 'NOACK', 'COUNT', '1', 'STREAMS', 'a', 'b', '>', '>'],
  ['xreadgroup', 'GROUP', 'g', 'c', 'STREAMS', 'a'],
  ['migrate', 'h', '1', 'k', '0', '1'],
  ['migrate', 'h', '1', '', '0', '1', 'KEYS', 'a', 'b'],
  ['migrate', 'h', '1', 'k', '0', '1', 'KEYS', 'a'],
  ['migrate', 'h', '1', '', '0', '1', 'COPY', 'REPLACE', 'AUTH', 'keys', 'KEYS', 'a'],
  ['migrate', 'h', '1', '', '0', '1', 'AUTH2', 'u', 'keys', 'KEYS', 'a'],
  ['migrate', 'h', '1', '', '0', '1', 'KEYS'],
  ['migrate', 'h', '1', '', '0', '1', 'keys', 'a'],
  ['migrate', 'h', '1', 'k', '0', '1', 'COPY'],
  ['migrate', 'h', '1', 'KEYS', '0', '1', 'x'],
  ['migrate', 'h', '1', '', '0', '1'],
  ['migrate', 'h', 'KEYS', '', '0', '1', 'a'],
  ['lcs', 'a', 'b'],
  ['mset', 'a', '1', 'b'],
  ['msetnx', 'a', '1', 'b', '2'],
  ['copy', 'a', 'b', 'DB', '1'],
  ['smove', 'a', 'b', 'm'],
  ['lmove', 'a', 'b', 'LEFT', 'RIGHT'],
  ['blmove', 'a', 'b', 'LEFT', 'RIGHT', '0'],
  ['rpoplpush', 'a', 'b'],
  ['brpoplpush', 'a', 'b', '0'],
  ['blpop', 'a', 'b', '0'],
  ['bzpopmin', 'a', '0'],
  ['object', 'encoding', 'k'],
  ['memory', 'usage', 'k', 'SAMPLES', '1'],
  ['xinfo', 'stream', 'k', 'FULL'],
  ['xgroup', 'create', 'k', 'g', '$'],
  ['xgroup', 'createconsumer', 'k', 'g', 'c'],
  ['pfmerge', 'd', 'a', 'b'],
  ['pfcount', 'a', 'b'],
  ['pfdebug', 'encoding', 'k'],
  ['bitop', 'AND', 'd', 'a', 'b'],
  ['geosearchstore', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'm'],
  ['sinterstore', 'd', 'a', 'b'],
  ['renamenx', 'a', 'b'],
];

test('COMMAND GETKEYS / GETKEYSANDFLAGS match redis-server for every command with keys', async () => {
  // DOCS (argument trees) and INFO (key specs) from redis-server, in RESP3 for maps: the
  // invocations generated for each of its commands with keys (recorded so in the golden file).
  const generated = await d.onReference(async (c): Promise<[string, Cmd[]][]> => {
    await c.call('HELLO', '3');
    const docs = decode(await c.call('COMMAND', 'DOCS')) as Map<string, Doc>;
    const info = decode(await c.call('COMMAND')) as unknown[][];
    await c.call('HELLO', '2');
    const withKeys = new Set<string>();
    const addInfo = (e: unknown[]) => {
      const name = String(e[0]);
      const specs = e[8] as unknown[];
      const flags = e[2] as string[];
      if (specs.length > 0 || flags.includes('movablekeys')) withKeys.add(name);
      for (const s of (e[9] as unknown[][]) ?? []) addInfo(s);
    };
    for (const e of info) addInfo(e);
    const out: [string, Cmd[]][] = [];
    for (const name of [...withKeys].sort()) {
      const [base, sub] = name.split('|') as [string, string | undefined];
      const baseDoc = docs.get(base);
      const doc =
        sub === undefined ? baseDoc : (baseDoc?.get('subcommands') as Map<string, Doc> | undefined)?.get(name);
      if (doc === undefined) continue;
      out.push([
        name,
        invocations(doc).map((argv): Cmd => (sub === undefined ? [base, ...argv] : [base, sub, ...argv]).map(String)),
      ]);
    }
    return out;
  });
  const ours = new Set(decode(await d!.a.call('COMMAND', 'LIST')) as string[]);
  const cases: Cmd[] = [];
  for (const [name, invs] of generated) if (ours.has(name)) cases.push(...invs);
  for (const c of EDGE_CASES) {
    const name = String(c[0]).toLowerCase();
    const full = c.length > 1 ? `${name}|${String(c[1]).toLowerCase()}` : name;
    if (ours.has(name) || ours.has(full)) cases.push(c);
  }
  const diffs: string[] = [];
  for (const proto of [2, 3]) {
    await d!.both(['HELLO', String(proto)]);
    for (const c of cases) {
      for (const sub of ['GETKEYS', 'GETKEYSANDFLAGS']) {
        const [x, y] = await d!.both(['COMMAND', sub, ...c]);
        if (x !== y)
          diffs.push(
            `RESP${proto} COMMAND ${sub} ${c.map((a) => JSON.stringify(String(a))).join(' ')}\n    tsdis ${JSON.stringify(x)}\n    redis ${JSON.stringify(y)}`,
          );
      }
    }
  }
  await d!.both(['HELLO', '2']);
  console.log(`getkeys: ${cases.length} invocations of ${generated.length} commands with keys compared`);
  if (diffs.length) console.log(`getkeys differences (${diffs.length}):\n  ` + diffs.join('\n  '));
  assert.deepEqual(diffs, []);
});

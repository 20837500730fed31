// Prints a tsdis command declaration skeleton for each named command, from a
// running redis-server's COMMAND INFO and COMMAND DOCS (interface facts only:
// arity, flags, categories, key specs, argument structure). Summaries are
// left for you to write in your own words.
// Usage: node scripts/redis-spec.mjs PORT cmd [cmd ...]
import net from 'node:net';
import { RespDecoder } from '../dist/protocol/decoder.js';

const [port, ...names] = process.argv.slice(2);
const sock = net.connect(Number(port), '127.0.0.1');
const dec = new RespDecoder();
const waiters = [];
sock.on('data', (d) => {
  dec.feed(d);
  for (let v; (v = dec.next()) !== undefined;) waiters.shift()(v);
});
const call = (...args) =>
  new Promise((res) => {
    waiters.push(res);
    sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
  });
await call('HELLO', '3');
const IMPLIED = (flags, cats) => {
  const imp = new Set();
  if (flags.includes('write')) imp.add('write');
  if (flags.includes('readonly') && !cats.includes('scripting')) imp.add('read');
  if (flags.includes('admin')) {
    imp.add('admin');
    imp.add('dangerous');
  }
  if (flags.includes('pubsub')) imp.add('pubsub');
  if (flags.includes('fast')) imp.add('fast');
  if (flags.includes('blocking')) imp.add('blocking');
  if (!flags.includes('fast')) imp.add('slow');
  return imp;
};
const m2o = (m) =>
  m instanceof Map ? Object.fromEntries([...m].map(([k, v]) => [k, m2o(v)])) : Array.isArray(m) ? m.map(m2o) : m;
function keySpec(ks) {
  const o = m2o(ks);
  const bs = o.begin_search,
    fk = o.find_keys;
  const begin =
    bs.type === 'index'
      ? { index: bs.spec.index }
      : bs.type === 'keyword'
        ? { keyword: bs.spec.keyword, startfrom: bs.spec.startfrom }
        : null;
  const find =
    fk.type === 'range'
      ? { lastkey: fk.spec.lastkey, keystep: fk.spec.keystep, limit: fk.spec.limit }
      : fk.type === 'keynum'
        ? { keynumidx: fk.spec.keynumidx, firstkey: fk.spec.firstkey, keystep: fk.spec.keystep }
        : null;
  const r = { flags: o.flags, begin, find };
  if (o.notes) r.notes = o.notes;
  return r;
}
function argDoc(a) {
  const o = m2o(a);
  const r = { name: o.name, type: o.type };
  for (const k of ['key_spec_index', 'token', 'display_text', 'since', 'deprecated_since', 'value'])
    if (o[k] !== undefined) r[k] = o[k];
  if (o.flags) r.flags = o.flags;
  if (o.arguments) r.arguments = o.arguments.map(argDoc);
  return r;
}
function decl(info, docs, indent) {
  const [name, arity, flags, first, last, step, cats, tips, keySpecs, subs] = info;
  const catsClean = cats.map((c) => c.replace('@', ''));
  const imp = IMPLIED(flags, catsClean);
  const d = docs ? m2o(docs) : {};
  const o = {
    name: name.includes('|') ? name.split('|')[1] : name,
    arity,
    flags,
    acl: catsClean.filter((c) => !imp.has(c)),
  };
  if (first !== 0 || last !== 0 || step !== 0) o.keys = [first, last, step];
  if (keySpecs.length) o.keySpecs = keySpecs.map(keySpec);
  if (tips.length) o.tips = tips;
  o.group = d.group;
  o.since = d.since;
  o.summary = 'TODO: own words';
  if (d.complexity) o.complexity = d.complexity;
  if (d.doc_flags) o.docFlags = d.doc_flags;
  if (d.deprecated_since) o.deprecatedSince = d.deprecated_since;
  if (d.replaced_by) o.replacedBy = d.replaced_by;
  if (d.history) o.history = d.history;
  if (d.arguments) o.args = d.arguments.map(argDoc);
  let s = JSON.stringify(o, null, 2).replace(/"([a-z_A-Z]+)":/g, '$1:');
  if (subs.length) {
    const subDocs = d.subcommands ?? {};
    s = s.replace(
      /\n}$/,
      ',\n  subcommands: [\n' + subs.map((si) => decl(si, subDocs[si[0]], '    ')).join(',\n') + '\n  ]\n}',
    );
  }
  return s
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}
for (const n of names) {
  const [info] = await call('COMMAND', 'INFO', n);
  const docs = await call('COMMAND', 'DOCS', n);
  if (!info) {
    console.log(`// ${n}: unknown to redis-server`);
    continue;
  }
  const d = docs instanceof Map ? docs.get(info[0]) : undefined;
  console.log(`command(${decl(info, d, '')}),`);
}
sock.end();

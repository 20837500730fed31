// Dumps the command table as clients see it, as raw reply bytes: COMMAND,
// COMMAND DOCS and COMMAND COUNT, then COMMAND INFO and COMMAND DOCS of every
// command (sorted by name), in RESP2 and in RESP3. For refactors of the
// declarations: dump the old build and the new one and compare the files
// (`cmp`), which must be identical.
//
//   node scripts/command-table-dump.mjs <dist dir> <out file>
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';

const [dist, out] = process.argv.slice(2);
if (!dist || !out) {
  console.error('usage: node scripts/command-table-dump.mjs <dist dir> <out file>');
  process.exit(2);
}

/** A port nothing listens on now. */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const enc = (args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

/** Sends the commands (then QUIT) on one connection; resolves with every reply byte. */
function session(port, cmds) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.write(cmds.map(enc).join('') + enc(['QUIT']));
  });
}

const port = await freePort();
const child = spawn(
  process.execPath,
  [path.join(dist, 'cli.js'), '--port', String(port), '--save', '', '--appendonly', 'no'],
  { stdio: 'ignore' },
);
try {
  for (let i = 0; ; i++) {
    try {
      await session(port, [['PING']]);
      break;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const listed = (await session(port, [['COMMAND', 'LIST']])).toString('latin1').split('\r\n');
  const names = listed.filter((l, i) => listed[i - 1]?.startsWith('$')).sort();
  const parts = [];
  for (const proto of ['2', '3']) {
    const cmds = [['HELLO', proto], ['COMMAND'], ['COMMAND', 'DOCS'], ['COMMAND', 'COUNT']];
    for (const n of names) cmds.push(['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n]);
    parts.push(await session(port, cmds));
  }
  const all = Buffer.concat(parts);
  fs.writeFileSync(out, all);
  console.log(`${names.length} commands, ${all.length} bytes to ${out}`);
} finally {
  child.kill();
}

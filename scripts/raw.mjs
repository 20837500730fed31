// Usage: node scripts/raw.mjs PORT 'payload with \r\n escapes' — prints the raw reply bytes (JSON-escaped).
import net from 'node:net';
const [port, payload] = process.argv.slice(2);
const data = JSON.parse('"' + payload.replace(/"/g, '\\"') + '"');
const s = net.connect(Number(port), '127.0.0.1', () => s.write(Buffer.from(data, 'latin1')));
let out = Buffer.alloc(0);
s.on('data', (d) => (out = Buffer.concat([out, d])));
const done = (why) => {
  console.log(JSON.stringify(out.toString('latin1')), why);
  process.exit(0);
};
s.on('close', () => done('[closed]'));
setTimeout(() => done('[open]'), 400);

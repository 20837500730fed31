/**
 * Calibration: the smallest fast Node RESP server (onread socket with a shared
 * buffer, String.fromCharCode arguments, a Map, one write per read; GET and SET,
 * anything else answers +PONG). No error handling: for benchmarks only.
 *
 * Usage: node bench/micro/minimal-server.mjs PORT, then redis-benchmark -p PORT ...
 * (bench/RESULTS.md, "Calibration").
 */
import net from 'node:net';
const m = new Map();
const port = +process.argv[2];
const shared = Buffer.allocUnsafe(65536);
function num(b, i, e) {
  let n = 0;
  for (; i < e; i++) n = n * 10 + b[i] - 48;
  return n;
}
const f = String.fromCharCode;
function str(b, s, e) {
  switch (e - s) {
    case 3:
      return f(b[s], b[s + 1], b[s + 2]);
    case 16:
      return f(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
        b[s + 14],
        b[s + 15],
      );
    default:
      return b.latin1Slice(s, e);
  }
}
const srv = net.createServer({ pauseOnConnect: true }, (s0) => {
  const handle = s0._handle;
  s0._handle = null;
  s0.destroy();
  let pending = null;
  let s;
  const onChunk = (d) => {
    const buf = pending ? Buffer.concat([pending, d]) : d;
    pending = null;
    let out = '';
    let i = 0;
    const L = buf.length;
    const args = [];
    for (;;) {
      if (i >= L) break;
      const start = i;
      let e = buf.indexOf(13, i);
      if (e < 0) {
        pending = Buffer.from(buf.subarray(start));
        break;
      }
      const n = num(buf, i + 1, e);
      i = e + 2;
      args.length = 0;
      let ok = true;
      for (let k = 0; k < n; k++) {
        e = buf.indexOf(13, i);
        if (e < 0) {
          ok = false;
          break;
        }
        const len = num(buf, i + 1, e);
        i = e + 2;
        if (i + len + 2 > L) {
          ok = false;
          break;
        }
        args.push(str(buf, i, i + len));
        i += len + 2;
      }
      if (!ok) {
        pending = Buffer.from(buf.subarray(start));
        break;
      }
      const c = args[0];
      if (c === 'SET' || c === 'set') {
        m.set(args[1], args[2]);
        out += '+OK\r\n';
      } else if (c === 'GET' || c === 'get') {
        const v = m.get(args[1]);
        out += v === undefined ? '$-1\r\n' : '$' + v.length + '\r\n' + v + '\r\n';
      } else out += '+PONG\r\n';
    }
    if (out) s.write(out, 'latin1');
  };
  s = new net.Socket({
    handle,
    readable: true,
    writable: true,
    onread: { buffer: shared, callback: (n, b) => onChunk(b.subarray(0, n)) },
  });
  s.on('error', () => {});
});
srv.listen(port, '127.0.0.1');

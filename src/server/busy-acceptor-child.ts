/**
 * The acceptor process a server starts when a script turns busy
 * (busy-relay.ts). While the script runs, the server's event loop cannot
 * turn, so its listeners accept nothing; this process accepts on copies of
 * the same listening sockets and relays each connection's bytes to the
 * server, which reads them synchronously from the script's tick, and writes
 * back the replies the server sends.
 *
 * Hand-back, once the script has ended: on HANDOVER the acceptor stops
 * accepting and sends every socket to the server over the IPC channel
 * (SCM_RIGHTS, keeping its own copy) while it goes on relaying. Once the
 * server has a socket it says STOP: the acceptor stops reading it, sends what
 * the stream still held, waits for its writes to complete, answers END and
 * closes its copy (a close, no shutdown: the connection lives on in the
 * server). So a connection is always served by one side, even when the next
 * script holds the server's loop before the sockets arrive. The acceptor
 * exits when the server closes its input pipe (done, shutting down, or dead).
 *
 * Started as `node busy-acceptor-child.js <listeners> <backlog> <keepalive>`
 * with fd 0: frames from the server, fd 1: frames to the server, fd 3: IPC,
 * fds 4..: the listening sockets (relay-frames.ts has the framing).
 */
import process from 'node:process';
import net from 'node:net';
import { encodeFrame, FrameReader, FROM_ACCEPTOR, TO_ACCEPTOR, type OpenInfo } from './relay-frames.js';
import { stopReading } from './socket.js';

/** One accepted connection. */
interface Conn {
  readonly id: number;
  readonly sock: net.Socket;
  /** Writes not yet completed: END waits for them. */
  writing: number;
  /** STOP arrived: no longer read; END once `writing` is 0. */
  stopping: boolean;
  /** Closed or ended: the acceptor is done with it. */
  done: boolean;
}

/** Runs the acceptor until the server closes its input. */
function run(argv: string[]): void {
  const listeners = Number(argv[0]);
  const backlog = Number(argv[1]);
  const keepalive = Number(argv[2]);
  const toServer = new net.Socket({ fd: 1, readable: false, writable: true });
  const fromServer = new net.Socket({ fd: 0, readable: true, writable: false });
  const conns = new Map<number, Conn>();
  const servers: net.Server[] = [];
  let nextId = 1;
  let handingOver = false;

  const send = (type: number, id: number, payload?: Buffer | string) => toServer.write(encodeFrame(type, id, payload));

  /** The connection is closed: forget it (with a CLOSED frame unless the server closed it). */
  const finish = (c: Conn, tell: boolean) => {
    if (c.done) return;
    c.done = true;
    conns.delete(c.id);
    if (tell) send(FROM_ACCEPTOR.CLOSED, c.id);
  };

  /** Sends the socket to the server, keeping ours (relaying goes on until STOP). */
  const sendSocket = (c: Conn) => {
    // (Node queues it until the server acknowledges the previous socket)
    process.send?.({ id: c.id }, c.sock, { keepOpen: true }, () => {});
  };

  /** After STOP, once every write has completed: END, and our copy of the socket is closed. */
  const maybeEnd = (c: Conn) => {
    if (!c.stopping || c.done || c.writing > 0) return;
    finish(c, false);
    send(FROM_ACCEPTOR.END, c.id);
    c.sock.destroy();
  };

  const onConnection = (listener: number, sock: net.Socket) => {
    const c: Conn = { id: nextId++, sock, writing: 0, stopping: false, done: false };
    conns.set(c.id, c);
    if (keepalive > 0 && sock.remoteAddress !== undefined) sock.setKeepAlive(true, keepalive * 1000);
    const info: OpenInfo = {
      listener,
      remoteAddress: sock.remoteAddress,
      remotePort: sock.remotePort,
      localAddress: sock.localAddress,
      localPort: sock.localPort,
    };
    send(FROM_ACCEPTOR.OPEN, c.id, JSON.stringify(info));
    sock.on('data', (chunk: Buffer) => send(FROM_ACCEPTOR.DATA, c.id, chunk));
    // (half-open: the server ends our side after its replies, as it does its own sockets')
    sock.on('end', () => {
      if (!c.done) send(FROM_ACCEPTOR.ENDED, c.id);
    });
    sock.on('error', () => finish(c, true));
    sock.on('close', () => finish(c, true));
    sock.resume();
    if (handingOver) sendSocket(c);
  };

  for (let i = 0; i < listeners; i++) {
    const srv = net.createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (sock) =>
      onConnection(i, sock),
    );
    srv.on('error', (e) => process.stderr.write(`busy acceptor: listener ${i}: ${e.message}\n`));
    srv.listen({ fd: 4 + i, backlog });
    servers.push(srv);
  }

  const frames = new FrameReader();
  fromServer.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    for (let f = frames.next(); f !== null; f = frames.next()) {
      if (f.type === TO_ACCEPTOR.HANDOVER) {
        handingOver = true;
        for (const s of servers) s.close();
        for (const c of conns.values()) sendSocket(c);
        send(FROM_ACCEPTOR.LISTED, 0);
        continue;
      }
      if (f.type === TO_ACCEPTOR.UNLISTEN) {
        for (const s of servers) s.close();
        send(FROM_ACCEPTOR.UNLISTENED, 0);
        continue;
      }
      const c = conns.get(f.id);
      if (c === undefined) continue; // closed meanwhile
      if (f.type === TO_ACCEPTOR.WRITE) {
        c.writing++;
        c.sock.write(f.payload, () => {
          c.writing--;
          maybeEnd(c);
        });
      } else if (f.type === TO_ACCEPTOR.STOP) {
        c.stopping = true;
        stopReading(c.sock, (rest) => send(FROM_ACCEPTOR.DATA, c.id, rest));
        maybeEnd(c);
      } else if (f.type === TO_ACCEPTOR.END) {
        finish(c, false);
        c.sock.end(() => c.sock.destroy());
      } else if (f.type === TO_ACCEPTOR.DESTROY) {
        finish(c, false);
        c.sock.destroy();
      }
    }
  });

  // The server closed its end of our input (done with us, shutting down, or gone): every
  // frame it sent has been acted on (replies written, connections closed). Leave once
  // what we wrote to it is out; whatever we still hold closes with us.
  const leave = () => {
    toServer.end(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  fromServer.on('end', leave);
  fromServer.on('error', leave);
  toServer.on('error', () => {}); // (the server is gone: nothing more to tell it)
  // (a disconnect alone: the input's end follows; leave anyway should it not)
  process.on('disconnect', () => setTimeout(leave, 2000).unref());
  // A Ctrl-C reaches the whole process group: the server decides when we end.
  process.on('SIGINT', () => {});
}

run(process.argv.slice(2));

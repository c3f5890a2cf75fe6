import type http from 'node:http';
import type { Socket } from 'node:net';
import { clientKey } from '../net/target-key.js';

interface Connection {
  key: string;
  /** Requests in progress on it. */
  busy: number;
  /** Counted in the client's idle total. */
  idle: boolean;
  closed: boolean;
}

/**
 * A new connection over the cap may still send its request this soon: a client's burst of requests opens
 * many connections at once, each idle only until its request line arrives.
 */
const NEW_CONNECTION_GRACE_MS = 2000;

/**
 * Caps the connections one client (its IPv4 address or IPv6 /64, as every
 * other limit) holds open with no request in progress, so that one client's
 * idle or half-sent connections cannot take all of HUB_MAX_CONNECTIONS. A new
 * connection over the cap that sends no request within a moment is closed; a
 * keep-alive connection falling idle over it is closed. A connection carrying
 * a request (a stream, a long-poll) is not idle: HUB_MAX_STREAMS_PER_CLIENT
 * bounds those.
 */
export function capIdleConnections(server: http.Server, maxIdlePerClient: number): void {
  const idle = new Map<string, number>();
  const connections = new WeakMap<Socket, Connection>();
  const setIdle = (c: Connection, value: boolean): number => {
    const n = (idle.get(c.key) ?? 0) + (value === c.idle ? 0 : value ? 1 : -1);
    c.idle = value;
    if (n > 0) idle.set(c.key, n);
    else idle.delete(c.key);
    return n;
  };

  server.on('connection', (socket: Socket) => {
    // No address: it is gone already.
    if (socket.remoteAddress === undefined) return;
    const c: Connection = { key: clientKey(socket.remoteAddress), busy: 0, idle: false, closed: false };
    connections.set(socket, c);
    if (setIdle(c, true) > maxIdlePerClient) {
      const timer = setTimeout(() => {
        if (c.idle && !c.closed) socket.destroy();
      }, NEW_CONNECTION_GRACE_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
    socket.once('close', () => {
      c.closed = true;
      setIdle(c, false);
    });
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const c = connections.get(req.socket);
    if (!c) return;
    c.busy++;
    setIdle(c, false);
    res.once('close', () => {
      c.busy--;
      if (c.busy > 0 || c.closed || req.socket.destroyed) return;
      if (setIdle(c, true) > maxIdlePerClient) req.socket.destroy();
    });
  });
}

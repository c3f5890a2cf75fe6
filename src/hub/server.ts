import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { capIdleConnections } from './idle-connections.js';

export interface RunningServer {
  address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
  close(): Promise<void>;
}

export interface ServerOptions {
  port: number;
  /** Bind address; undefined binds every interface. */
  host?: string;
  /** Connections beyond this are closed as they arrive. */
  maxConnections?: number;
  /** Connections without a request in progress one client may hold; more are closed. */
  maxIdleConnectionsPerClient?: number;
}

/** Listens with the hub's timeouts; `app` is an express app or any plain request listener. */
export async function startServer(
  app: express.Express | http.RequestListener,
  { port, host, maxConnections, maxIdleConnectionsPerClient }: ServerOptions,
): Promise<RunningServer> {
  const server = http.createServer(app);
  if (maxConnections !== undefined) server.maxConnections = maxConnections;
  if (maxIdleConnectionsPerClient !== undefined) capIdleConnections(server, maxIdleConnectionsPerClient);
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

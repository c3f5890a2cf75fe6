import net from 'node:net';

export const PG_ADMIN_URL = process.env.CRIER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.CRIER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The migrated template database global-setup.js built for this run's migrations. */
export function templateDb(): string {
  const name = process.env.CRIER_TEST_TEMPLATE_DB;
  if (!name)
    throw new Error('CRIER_TEST_TEMPLATE_DB is unset: run the tests through jest, whose global setup builds the template database');
  return name;
}

/** Resolves true when something accepts TCP connections on host:port. */
export function probe(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A database URL on the test server for `name`. */
export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.href;
}

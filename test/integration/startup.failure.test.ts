import net from 'node:net';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startHub } from '../../src/main.js';
import { provisionBackend, TEST_ENV, type Backend, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { PG_ADMIN_URL } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

/** Connections open to `database` other than this query's own. */
async function connectionsTo(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return rows[0].n;
  } finally {
    await admin.end();
  }
}

describe.each<Backend>(['pg-redis', 'pg-pgqueue'])('a hub whose start fails half-way on %s (issue 21, item 7)', (backend) => {
  let provisioned: Awaited<ReturnType<typeof provisionBackend>>;
  let taken: net.Server;
  let port: number;

  beforeAll(async () => {
    provisioned = await provisionBackend(backend);
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await new Promise((resolve) => taken?.close(resolve));
    await provisioned?.cleanup();
  });

  test('when the front cannot listen, start-up rejects and what it had started (workers, queues, pool) is closed', async () => {
    const config = loadConfig({ ...TEST_ENV, ...provisioned.env, PORT: String(port), HUB_HOST: '127.0.0.1' });
    const database = new URL(config.databaseUrl!).pathname.slice(1);
    await expect(startHub(config, { log: createLogger(config), sweepIntervalMs: 100 })).rejects.toThrow(/EADDRINUSE/);
    // The sweep would query every 100 ms if the workers were still running: the database sees no one left.
    await waitFor(async () => (await connectionsTo(database)) === 0, { what: 'no connection left to the database', timeoutMs: 5000 });
  });
});

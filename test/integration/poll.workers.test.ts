import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { TEST_ENV, provisionBackend, type Backend } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

const CLI = path.resolve('dist/cli.js');
const TOPICS = 40;

/** A publisher that answers each GET after `delayMs` and records, per path, the most GETs it had in flight at once. */
async function slowPublisher(delayMs: number) {
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const gets = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = req.url ?? '/';
    const now = (inFlight.get(p) ?? 0) + 1;
    inFlight.set(p, now);
    most.set(p, Math.max(most.get(p) ?? 0, now));
    gets.set(p, (gets.get(p) ?? 0) + 1);
    setTimeout(() => {
      inFlight.set(p, (inFlight.get(p) ?? 1) - 1);
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
      else res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"' }).end(rss([`${p}-1`]));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    most,
    gets,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

function startWorker(env: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, [CLI, 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, output, exited };
}

const pgBackends: Backend[] = ['pg-redis', 'pg-pgqueue'];

describe.each(pgBackends)('two worker processes sharing the poll schedule on %s', (backend) => {
  test('both poll, and no topic is ever fetched by two of them at once', async () => {
    const provisioned = await provisionBackend(backend);
    const db = new pg.Pool({ connectionString: provisioned.env.DATABASE_URL, max: 1 });
    // Its cleanup drops the database with force while an ended connection may still be closing (roles.multiprocess).
    db.on('error', () => undefined);
    const publisher = await slowPublisher(150);
    const subscriber: Subscriber = await startSubscriber();
    const workers: Array<ReturnType<typeof startWorker>> = [];
    try {
      // Topics already subscribed and due: the schedule as a running hub leaves it.
      await db.query(
        `
        with t as (
          insert into topics (url, poll_at, poll_interval_seconds, poll_reason)
          select $1 || '/feed-' || i, now(), 1, 'new' from generate_series(1, $2) as i returning id
        )
        insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
        select id, $3 || '/cb', 3600, now() + interval '1 hour' from t`,
        [publisher.origin, TOPICS, subscriber.origin],
      );
      const env = {
        ...TEST_ENV,
        ...provisioned.env,
        HUB_POLL_MIN_SECONDS: '1',
        HUB_POLL_MAX_SECONDS: '2',
        HUB_POLL_PER_HOST: '8',
        HUB_POLL_HOST_SPACING_MS: '0',
        LOG_LEVEL: 'debug',
      };
      workers.push(startWorker(env), startWorker(env));
      const fetchedAtLeast = (n: number) => [...publisher.gets.values()].filter((g) => g >= n).length === TOPICS;
      await waitFor(() => fetchedAtLeast(4), { timeoutMs: 60_000, what: 'four polls of every topic' });

      expect(Math.max(...publisher.most.values())).toBe(1);
      // Each process claimed and queued topics itself.
      for (const w of workers) expect(w.output.join('').includes('due topics queued for polling')).toBe(true);
      // One first delivery per topic; the polls after it were 304s.
      await waitFor(() => subscriber.deliveries().length === TOPICS, { what: 'the first polls delivered' });
      const { rows } = await db.query(`select count(*)::int as n from topics where last_fetch_status = 304 and last_fetch_source = 'poll'`);
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await publisher.close();
      await subscriber.close();
      await db.end();
      await provisioned.cleanup();
    }
  }, 120_000);
});

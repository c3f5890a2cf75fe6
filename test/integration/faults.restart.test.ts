import pg from 'pg';
import {
  faultEnv,
  healthz,
  rss,
  spawnHub,
  startHubIn,
  startOwnPostgres,
  startOwnRedis,
  startSink,
  tally,
  type OwnPostgres,
  type OwnRedis,
  type Sink,
} from '../helpers/faults.js';
import { startPublisher, type Publisher } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

const SUBSCRIBERS = 2000;
const SINKS = 4;

type Outage = 'redis' | 'postgres';
type QueueBackend = 'redis' | 'postgres';

/**
 * A backing service restarted during a fan-out: the hub reports 503 while it is
 * down, reconnects by itself, and every subscriber still gets the update.
 */
describe.each<[Outage, QueueBackend]>([
  ['redis', 'redis'],
  ['postgres', 'redis'],
  ['postgres', 'postgres'],
])('%s restarted during a fan-out (queues on %s)', (outage, queueBackend) => {
  let redis: OwnRedis;
  let postgres: OwnPostgres;
  let publisher: Publisher;
  let sinks: Sink[];

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startOwnRedis(), startOwnPostgres()]);
    publisher = await startPublisher();
    sinks = await Promise.all(Array.from({ length: SINKS }, () => startSink(20)));
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await publisher?.close();
    await Promise.all((sinks ?? []).map((s) => s.close()));
    await redis?.destroy();
    await postgres?.destroy();
  });

  test('/healthz answers 503 while it is down and 200 after; no update is lost', async () => {
    const env = faultEnv(
      { databaseUrl: postgres.url, redisUrl: queueBackend === 'redis' ? redis.url : undefined },
      {
        HUB_DELIVER_PAGE_SIZE: '250',
        HUB_DELIVER_CONCURRENCY: '32',
        HUB_JOB_LOCK_MS: '2000',
        HUB_RETRY_BASE_MS: '200',
        HUB_MAX_ATTEMPTS: '8',
      },
    );
    // Migrate, then run the hub as a child process (`crier all`), the way it runs in production.
    await (await startHubIn({ ...env, HUB_ROLE: 'web' })).close();
    const hub = await spawnHub('all', env);
    const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
    db.on('error', () => {});
    try {
      const topic = publisher.topicUrl('/restart.xml');
      publisher.set('/restart.xml', { body: rss(['r1']), contentType: 'application/rss+xml' });
      const {
        rows: [{ id: topicId }],
      } = await db.query(`insert into topics (url) values ($1) returning id`, [topic]);
      const callbacks = Array.from({ length: SUBSCRIBERS }, (_, i) => `${sinks[i % SINKS].origin}/cb/${i}`);
      const { rows: subs } = await db.query(
        `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, cb, 3600, now() + interval '1 hour' from unnest($2::text[]) cb returning id, callback`,
        [topicId, callbacks],
      );

      const started = Date.now();
      expect(
        (await fetch(hub.url!, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }) })).status,
      ).toBe(204);
      const total = () => sinks.reduce((n, s) => n + s.total(), 0);
      await waitFor(() => total() >= 400, { timeoutMs: 30_000, what: 'the fan-out under way' });
      const {
        rows: [{ id: notificationId }],
      } = await db.query(`select id from notifications where topic_id = $1`, [topicId]);

      const service = outage === 'redis' ? redis : postgres;
      await service.stop();
      const atStop = total();
      await waitFor(async () => (await healthz(hub.url!)) === 503, { what: `/healthz 503 while ${outage} is down` });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // stay down a while
      expect(await healthz(hub.url!)).toBe(503);
      await service.start();
      await waitFor(async () => (await healthz(hub.url!)) === 200, { timeoutMs: 30_000, what: `/healthz 200 after ${outage} returns` });

      const expected = subs.map((s: { id: number; callback: string }) => ({ url: s.callback, deliveryId: `${notificationId}.${s.id}` }));
      await waitFor(() => tally(sinks, expected).lost === 0, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `every subscriber delivered after the ${outage} restart`,
      });
      const { lost, duplicated } = tally(sinks, expected);
      console.log(
        `[${outage} restart, queues on ${queueBackend}] ${SUBSCRIBERS} subscribers: stopped after ${atStop} POSTs; lost ${lost}, callbacks with duplicates ${duplicated}, POSTs ${total()}, ${Date.now() - started} ms`,
      );
      expect(lost).toBe(0);
      await waitFor(
        async () =>
          (
            await db.query(`select count(*)::int as n from subscriptions where topic_id = $1 and last_delivery_status = 'delivered'`, [
              topicId,
            ])
          ).rows[0].n === SUBSCRIBERS,
        { timeoutMs: 30_000, what: 'every outcome recorded' },
      );
    } finally {
      hub.proc.kill('SIGTERM');
      const exit = await hub.exited;
      await db.end();
      expect(exit.code).toBe(0);
    }
  }, 120_000);
});

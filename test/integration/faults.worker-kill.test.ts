import {
  faultEnv,
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

const SINKS = 4;

describe('a worker killed in the middle of a fan-out (PostgreSQL + Redis)', () => {
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

  /**
   * Publishes to `subscribers` callbacks spread over the sinks, SIGKILLs the
   * worker once `killAt` POSTs arrived, starts a new one and waits until every
   * subscriber has the update and its outcome is recorded.
   */
  async function killDuringFanOut(
    name: string,
    subscribers: number,
    killAt: number,
    atKill: (db: import('pg').Pool, topicId: number) => Promise<void> = async () => {},
  ) {
    for (const sink of sinks) sink.received.clear();
    const env = faultEnv(
      { databaseUrl: postgres.url, redisUrl: redis.url },
      {
        HUB_DELIVER_PAGE_SIZE: '250',
        HUB_DELIVER_CONCURRENCY: '32',
        HUB_JOB_LOCK_MS: '2000',
        HUB_RETRY_BASE_MS: '200',
        HUB_MAX_ATTEMPTS: '8',
      },
    );
    const web = await startHubIn({ ...env, HUB_ROLE: 'web' });
    const worker = await spawnHub('worker', env);
    let second: Awaited<ReturnType<typeof spawnHub>> | undefined;
    try {
      const topic = publisher.topicUrl(`/${name}.xml`);
      publisher.set(`/${name}.xml`, { body: rss([`${name}-1`]), contentType: 'application/rss+xml' });
      const db = web.deps.db.pool;
      const {
        rows: [{ id: topicId }],
      } = await db.query(`insert into topics (url) values ($1) returning id`, [topic]);
      const callbacks = Array.from({ length: subscribers }, (_, i) => `${sinks[i % SINKS].origin}/${name}/${i}`);
      const { rows: subs } = await db.query(
        `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, cb, 3600, now() + interval '1 hour' from unnest($2::text[]) cb returning id, callback`,
        [topicId, callbacks],
      );

      const started = Date.now();
      const before = sinks.reduce((n, s) => n + s.total(), 0);
      const total = () => sinks.reduce((n, s) => n + s.total(), 0) - before;
      const res = await fetch(web.url!, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }) });
      expect(res.status).toBe(204);
      await waitFor(() => total() >= killAt, { timeoutMs: 30_000, intervalMs: 5, what: 'the fan-out under way' });
      worker.proc.kill('SIGKILL');
      const killed = await worker.exited;
      expect(killed.signal).toBe('SIGKILL');
      const postsAtKill = total();
      await atKill(db, topicId);

      second = await spawnHub('worker', env);
      const {
        rows: [{ id: notificationId }],
      } = await db.query(`select id from notifications where topic_id = $1`, [topicId]);
      const expected = subs.map((s: { id: number; callback: string }) => ({ url: s.callback, deliveryId: `${notificationId}.${s.id}` }));
      await waitFor(() => tally(sinks, expected).lost === 0, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'every subscriber delivered after the kill',
      });
      const { lost, duplicated } = tally(sinks, expected);
      console.log(
        `[worker SIGKILL, ${name}] ${subscribers} subscribers: killed after ${postsAtKill} POSTs; lost ${lost}, callbacks with duplicates ${duplicated}, POSTs ${total()}, ${Date.now() - started} ms`,
      );
      expect(lost).toBe(0);
      // A page records its outcomes after its last POST, so the rows may trail the sinks briefly.
      const delivered = async () =>
        (
          await db.query(
            `select count(*) filter (where last_delivery_status = 'delivered')::int as n from subscriptions where topic_id = $1`,
            [topicId],
          )
        ).rows[0].n as number;
      await waitFor(async () => (await delivered()) === subscribers, {
        timeoutMs: 15_000,
        intervalMs: 200,
        what: 'every outcome recorded',
      });
      expect(await delivered()).toBe(subscribers);
    } finally {
      if (worker.proc.exitCode === null && worker.proc.signalCode === null) worker.proc.kill('SIGKILL');
      if (second) {
        second.proc.kill('SIGTERM');
        await second.exited;
      }
      await web.close();
    }
  }

  test('after SIGKILL and a new worker, every one of 5,000 subscribers has the update (duplicates allowed, none lost)', async () => {
    await killDuringFanOut('kill', 5000, 1200);
  }, 120_000);

  test('killed while the fetch job delivers the first page itself: once its claim lapses the sweep queues that page, and nobody is left out', async () => {
    for (const sink of sinks) sink.setDelay(300);
    try {
      await killDuringFanOut('first-page', 300, 20, async (db, topicId) => {
        // The kill landed inside the first page: its notification is stored, claimed and not yet handed over.
        const { rows } = await db.query(`select enqueued_at, claimed_until from notifications where topic_id = $1`, [topicId]);
        expect(rows).toHaveLength(1);
        expect(rows[0].enqueued_at).toBeNull();
        expect(rows[0].claimed_until).not.toBeNull();
      });
    } finally {
      for (const sink of sinks) sink.setDelay(20);
    }
  }, 120_000);
});

import { faultEnv, rss, spawnHub, startHubIn, startOwnPostgres, startOwnRedis, startSink, tally, type OwnPostgres, type OwnRedis, type Sink } from '../helpers/faults.js';
import { startPublisher, type Publisher } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const SUBSCRIBERS = 5000;
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
  });
  afterAll(async () => {
    await publisher?.close();
    await Promise.all((sinks ?? []).map((s) => s.close()));
    await redis?.destroy();
    await postgres?.destroy();
  });

  test('after SIGKILL and a new worker, every one of 5,000 subscribers has the update (duplicates allowed, none lost)', async () => {
    const env = faultEnv(
      { databaseUrl: postgres.url, redisUrl: redis.url },
      { HUB_DELIVER_PAGE_SIZE: '250', HUB_DELIVER_CONCURRENCY: '32', HUB_JOB_LOCK_MS: '2000', HUB_RETRY_BASE_MS: '200', HUB_MAX_ATTEMPTS: '8' },
    );
    const web = await startHubIn({ ...env, HUB_ROLE: 'web' });
    const worker = await spawnHub('worker', env);
    let second: Awaited<ReturnType<typeof spawnHub>> | undefined;
    try {
      const topic = publisher.topicUrl('/kill.xml');
      publisher.set('/kill.xml', { body: rss(['k1']), contentType: 'application/rss+xml' });
      const db = web.deps.db.pool;
      const { rows: [{ id: topicId }] } = await db.query(`insert into topics (url) values ($1) returning id`, [topic]);
      const callbacks = Array.from({ length: SUBSCRIBERS }, (_, i) => `${sinks[i % SINKS].origin}/cb/${i}`);
      const { rows: subs } = await db.query(
        `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, cb, 3600, now() + interval '1 hour' from unnest($2::text[]) cb returning id, callback`,
        [topicId, callbacks],
      );

      const started = Date.now();
      const res = await fetch(web.url!, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }) });
      expect(res.status).toBe(204);
      const total = () => sinks.reduce((n, s) => n + s.total(), 0);
      await waitFor(() => total() >= 1200, { timeoutMs: 30_000, what: 'the fan-out under way' });
      worker.proc.kill('SIGKILL');
      const killed = await worker.exited;
      expect(killed.signal).toBe('SIGKILL');
      const atKill = total();
      process.stderr.write(`killed at ${atKill}\n`);

      second = await spawnHub('worker', env);
      process.stderr.write(`second worker up at ${total()}\n`);
      const { rows: [{ id: notificationId }] } = await db.query(`select id from notifications where topic_id = $1`, [topicId]);
      const expected = subs.map((s: { id: number; callback: string }) => ({ url: s.callback, deliveryId: `${notificationId}.${s.id}` }));
      await waitFor(() => tally(sinks, expected).lost === 0, { timeoutMs: 60_000, intervalMs: 200, what: 'every subscriber delivered after the kill' });
      const { lost, duplicated } = tally(sinks, expected);
      console.log(
        `[worker SIGKILL] ${SUBSCRIBERS} subscribers: killed after ${atKill} POSTs; lost ${lost}, callbacks with duplicates ${duplicated}, POSTs ${total()}, ${Date.now() - started} ms`,
      );
      expect(lost).toBe(0);
      // A page records its outcomes after its last POST, so the rows may trail the sinks briefly.
      const delivered = async () =>
        (await db.query(`select count(*) filter (where last_delivery_status = 'delivered')::int as n from subscriptions where topic_id = $1`, [topicId])).rows[0].n as number;
      await waitFor(async () => (await delivered()) === SUBSCRIBERS, { timeoutMs: 15_000, intervalMs: 200, what: 'every outcome recorded' });
      expect(await delivered()).toBe(SUBSCRIBERS);
    } finally {
      if (worker.proc.exitCode === null && worker.proc.signalCode === null) worker.proc.kill('SIGKILL');
      if (second) {
        second.proc.kill('SIGTERM');
        await second.exited;
      }
      await web.close();
    }
  }, 120_000);
});

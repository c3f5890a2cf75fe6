import pg from 'pg';
import {
  faultEnv,
  rss,
  spawnHub,
  startHubIn,
  startOwnPostgres,
  startOwnRedis,
  healthz,
  type OwnPostgres,
  type OwnRedis,
} from '../helpers/faults.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

/**
 * "A 202 means stored": requests accepted while the queue backend (Redis) is
 * down, by a process that then dies with them still unqueued, are carried out
 * once Redis is back, by another process's sweep.
 */
describe('accepted while the queue backend is down (PostgreSQL + Redis)', () => {
  let redis: OwnRedis;
  let postgres: OwnPostgres;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let db: pg.Pool;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startOwnRedis(), startOwnPostgres()]);
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await db?.end();
    await publisher?.close();
    await subscriber?.close();
    await redis?.destroy();
    await postgres?.destroy();
  });

  test('a subscribe and a publish answered while Redis is down are verified and delivered after it returns, though the process that took them died', async () => {
    const env = faultEnv({ databaseUrl: postgres.url, redisUrl: redis.url });
    const topic = publisher.topicUrl('/down.xml');
    publisher.set('/down.xml', { body: rss(['d1']), contentType: 'application/rss+xml' });

    // One verified subscriber before the outage, so the publish has someone to deliver to.
    const first = await startHubIn(env);
    const subscribe = (callback: string, url = first.url!) =>
      fetch(url, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic }) });
    expect((await subscribe(`${subscriber.origin}/early`)).status).toBe(202);
    await waitFor(async () => (await db.query(`select 1 from subscriptions where callback like '%/early'`)).rowCount === 1, {
      what: 'early subscription',
    });
    await first.close();

    // A web process takes requests while Redis is down...
    const web = await spawnHub('web', env);
    await redis.stop();
    await waitFor(async () => (await healthz(web.url!)) === 503, { what: '/healthz 503 while Redis is down' });
    const started = Date.now();
    expect((await subscribe(`${subscriber.origin}/late`, web.url)).status).toBe(202);
    publisher.set('/down.xml', { body: rss(['d2', 'd1']), contentType: 'application/rss+xml' });
    const ping = await fetch(web.url!, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }) });
    expect(ping.status).toBe(204);
    expect(Date.now() - started).toBeLessThan(10_000); // answered, not held until Redis returns
    const [intent] = (await db.query(`select enqueued_at from intents where callback like '%/late'`)).rows;
    expect(intent.enqueued_at).toBeNull();
    const [marked] = (await db.query(`select fetch_requested_at from topics where url = $1`, [topic])).rows;
    expect(marked.fetch_requested_at).not.toBeNull();

    // ...and dies with them unqueued.
    web.proc.kill('SIGKILL');
    await web.exited;

    await redis.start();
    const hub = await startHubIn(env);
    try {
      await waitFor(async () => (await hub.healthz()) === 200, { what: '/healthz 200 after Redis returns' });
      await waitFor(async () => (await db.query(`select 1 from subscriptions where callback like '%/late'`)).rowCount === 1, {
        timeoutMs: 30_000,
        what: 'the subscription accepted during the outage verified by the sweep',
      });
      await waitFor(() => subscriber.deliveries().some((d) => d.url === '/early' && d.body.toString().includes('<guid>d2</guid>')), {
        timeoutMs: 30_000,
        what: 'the publish accepted during the outage delivered',
      });
      const [after] = (await db.query(`select fetch_requested_at, last_fetch_status from topics where url = $1`, [topic])).rows;
      expect(after).toEqual({ fetch_requested_at: null, last_fetch_status: 200 });
    } finally {
      await hub.close();
    }
  });
});

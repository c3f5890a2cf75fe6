import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

const PER_ORIGIN = 30;

describe.each(BACKENDS)('circuit breaker per callback origin on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let sick: Subscriber;
  let healthy: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend, {
      HUB_MAX_ATTEMPTS: '8',
      HUB_RETRY_BASE_MS: '100',
      HUB_CIRCUIT_MIN_ATTEMPTS: '10',
      HUB_CIRCUIT_COOLDOWN_MS: '1500',
    });
    publisher = await startPublisher();
    sick = await startSubscriber({ deliver: () => ({ status: 503 }) });
    healthy = await startSubscriber();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await sick.close();
    await healthy.close();
  });

  test('a failing origin stops receiving the flood while a healthy origin gets every update, and after recovery nothing is lost', async () => {
    const topic = publisher.topicUrl('/circuit.xml');
    publisher.set('/circuit.xml', { body: rss(['u1']), contentType: 'application/rss+xml' });
    const [{ id: topicId }] = await hub.query(`insert into topics (url) values ($1) returning id`, [topic]);
    const callbacks = [
      ...Array.from({ length: PER_ORIGIN }, (_, i) => `${sick.origin}/s${i}`),
      ...Array.from({ length: PER_ORIGIN }, (_, i) => `${healthy.origin}/h${i}`),
    ];
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, cb, 3600, now() + interval '1 hour' from unnest($2::text[]) cb`,
      [topicId, callbacks],
    );

    const updates = [['u1'], ['u2', 'u1'], ['u3', 'u2', 'u1']];
    for (const [i, items] of updates.entries()) {
      publisher.set('/circuit.xml', { body: rss(items), contentType: 'application/rss+xml' });
      expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
      await waitFor(() => healthy.deliveries().length === PER_ORIGIN * (i + 1), { what: `update ${i + 1} at the healthy origin` });
    }
    // Let every postponed delivery come up for retry twice (a failed probe in between): without a circuit each of
    // those retries would be a POST, hundreds in all; with it they are held back and only probes go out.
    const retriesRun = async () =>
      (await hub.hub.deps.queues.deliver.getJobs(['completed'])).filter((job) => job.id?.startsWith('retry-')).length;
    const sickDeliveries = PER_ORIGIN * updates.length;
    await waitFor(async () => (await retriesRun()) >= 2 * sickDeliveries, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: `${2 * sickDeliveries} retries run during the outage`,
    });
    const duringOutage = sick.deliveries().length;
    console.log(`[${backend}] POSTs to the failing origin during the outage: ${duringOutage} (first page ${PER_ORIGIN}, rest probes)`);
    expect(duringOutage).toBeLessThanOrEqual(PER_ORIGIN + 6);
    expect(healthy.deliveries()).toHaveLength(PER_ORIGIN * updates.length);

    // The postponement is visible per subscription.
    const [row] = await hub.query(
      `select last_delivery_status, last_delivery_error, next_retry_at from subscriptions where callback = $1`,
      [`${sick.origin}/s0`],
    );
    expect(row.last_delivery_status).toBe('retrying');
    expect(row.next_retry_at).not.toBeNull();

    // The host recovers: the circuit closes by itself after a probe and every postponed update arrives.
    sick.behave({});
    await waitFor(
      () => {
        const ok = new Set(
          sick
            .deliveries()
            .slice(duringOutage)
            .map((d) => `${d.url} ${String(d.headers['x-hub-delivery'])}`),
        );
        return ok.size === PER_ORIGIN * updates.length;
      },
      { timeoutMs: 20_000, what: 'every postponed delivery after recovery' },
    );
    const dropped = await hub.query(`select count(*)::int as n from deliveries where status = 'dropped'`);
    expect(dropped[0].n).toBe(0);
  }, 60_000); // two cool-downs of the outage (1.5 s, 3 s) and a third (6 s) before recovery, on a loaded machine
});

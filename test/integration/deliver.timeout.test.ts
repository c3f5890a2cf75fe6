import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

const HEALTHY = 999;
const SINKS = 4;
// Long enough that 999 deliveries fit well inside it even on a loaded machine (embedded took 4.5 s in one CI
// run): the test's point is that they do not wait for the hanging one, which only a timeout ends.
const REQUEST_TIMEOUT_MS = 20_000;

describe.each(BACKENDS)('a hanging callback on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let sinks: Subscriber[];
  let hanging: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend, {
      HUB_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HUB_CONNECT_TIMEOUT_MS: '1000',
      HUB_RETRY_BASE_MS: '60000',
    });
    publisher = await startPublisher();
    sinks = await Promise.all(Array.from({ length: SINKS }, () => startSubscriber()));
    hanging = await startSubscriber({ deliver: () => 'hang' });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await Promise.all(sinks.map((s) => s.close()));
    await hanging.close();
  });

  async function topicWith(path: string, callbacks: string[]): Promise<string> {
    const topic = publisher.topicUrl(path);
    publisher.set(path, { body: rss([`${path}-1`]), contentType: 'application/rss+xml' });
    const [{ id }] = await hub.query(`insert into topics (url) values ($1) returning id`, [topic]);
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, cb, 3600, now() + interval '1 hour' from unnest($2::text[]) cb`,
      [id, callbacks],
    );
    return topic;
  }
  const healthyCallbacks = (tag: string) => Array.from({ length: HEALTHY }, (_, i) => `${sinks[i % SINKS].origin}/${tag}/${i}`);
  const receivedFor = (tag: string) => sinks.reduce((n, s) => n + s.deliveries().filter((d) => d.url.startsWith(`/${tag}/`)).length, 0);

  async function timeFanOut(topic: string, tag: string): Promise<number> {
    const started = Date.now();
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => receivedFor(tag) === HEALTHY, { timeoutMs: 30_000, what: `${HEALTHY} deliveries for ${tag}` });
    return Date.now() - started;
  }

  test('999 subscribers are delivered about as fast with one never-answering callback among them, which is recorded as retrying', async () => {
    const plain = await topicWith('/plain.xml', healthyCallbacks('plain'));
    const hangingCallback = `${hanging.origin}/never`;
    // The hanging callback sits in the middle of the first page.
    const mixed = healthyCallbacks('mixed');
    mixed.splice(250, 0, hangingCallback);
    const withHang = await topicWith('/mixed.xml', mixed);

    const without = await timeFanOut(plain, 'plain');
    const withHanging = await timeFanOut(withHang, 'mixed');
    console.log(
      `[${backend}] ${HEALTHY} deliveries: ${without} ms without, ${withHanging} ms with a hanging callback (its timeout ${REQUEST_TIMEOUT_MS} ms)`,
    );
    expect(hanging.deliveries()).toHaveLength(1);
    expect(withHanging).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(withHanging).toBeLessThan(without * 3 + 2000);

    await waitFor(
      async () =>
        (await hub.query(`select last_delivery_status from subscriptions where callback = $1`, [hangingCallback]))[0]
          .last_delivery_status === 'retrying',
      {
        timeoutMs: REQUEST_TIMEOUT_MS * 3,
        what: 'the hanging callback recorded as retrying',
      },
    );
    const [sub] = await hub.query(`select last_delivery_error, next_retry_at from subscriptions where callback = $1`, [hangingCallback]);
    expect(sub.last_delivery_error).toMatch(/timeout|abort/i);
    expect(sub.next_retry_at).not.toBeNull();
    const [record] = await hub.query(
      `select d.status, d.attempts from deliveries d join subscriptions s on s.id = d.subscription_id where s.callback = $1`,
      [hangingCallback],
    );
    expect(record).toEqual({ status: 'retrying', attempts: 1 });
  }, 120_000);
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

const TOPICS = 64;

/**
 * Pings that arrive together share one mark statement and one enqueue (src/hub/publish.ts). Merging must not
 * weaken a ping's answer (H17): a 204 means that ping's topics are marked in the database, and every topic of
 * every ping is fetched and delivered.
 */
describe.each(BACKENDS)('merged pings on %s', (backend) => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let publisher: http.Server;
  let origin: string;

  beforeAll(async () => {
    hub = await startTestHub(backend, { HUB_POLL: '0' });
    subscriber = await startSubscriber();
    publisher = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss([`entry-of-${req.url}`]));
    });
    await new Promise<void>((resolve) => publisher.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(publisher.address() as AddressInfo).port}`;
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
    await new Promise<void>((resolve) => (publisher?.close(() => resolve()), publisher?.closeAllConnections()));
  });

  test(`${TOPICS} one-topic pings at once: each 204 follows its own mark, and every topic is delivered once (H17)`, async () => {
    const topics = Array.from({ length: TOPICS }, (_, i) => `${origin}/feed-${i}.xml`);
    const [{ ids }] = await hub.query<{ ids: number[] }>(
      'with t as (insert into topics (url) select unnest($1::text[]) returning id) select array_agg(id order by id) as ids from t',
      [topics],
    );
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
       select t, $2 || '/cb-' || t, 3600, now() + interval '1 hour' from unnest($1::bigint[]) as t`,
      [ids, subscriber.origin],
    );
    const marked = await Promise.all(
      topics.map(async (topic) => {
        const { status } = await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
        const [row] = await hub.query<{ pings: number }>('select pings_seen as pings from topics where url = $1', [topic]);
        return { status, pings: row.pings };
      }),
    );
    expect(marked.every((m) => m.status === 204 && m.pings === 1)).toBe(true);
    await waitFor(() => subscriber.deliveries().length >= TOPICS && hub.idle(), { what: 'every topic delivered', timeoutMs: 30_000 });
    const callbacks = subscriber.deliveries().map((d) => d.url);
    expect(new Set(callbacks).size).toBe(TOPICS);
    expect(callbacks).toHaveLength(TOPICS);
  }, 60_000);
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

/** A publisher that counts GETs and answers each after `delayMs` with the document current when the GET arrived. */
async function slowPublisher() {
  let body = rss(['p1']);
  let delayMs = 0;
  let gets = 0;
  const server = http.createServer((req, res) => {
    gets++;
    const snapshot = body;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(snapshot), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  return {
    url,
    gets: () => gets,
    set: (items: string[]) => void (body = rss(items)),
    slow: (ms: number) => void (delayMs = ms),
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

describe.each(BACKENDS)('publish coalescing on %s', (backend) => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let publisher: Awaited<ReturnType<typeof slowPublisher>>;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    subscriber = await startSubscriber();
    publisher = await slowPublisher();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
    await publisher?.close();
  });

  test('20 pings before the fetch starts cause one fetch; a ping during a fetch causes exactly one more, which delivers the newest content', async () => {
    const [{ id }] = await hub.query(`insert into topics (url) values ($1) returning id`, [publisher.url]);
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) values ($1, $2, 3600, now() + interval '1 hour')`,
      [id, `${subscriber.origin}/c`],
    );
    const ping = () => hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.url });

    // No fetch can start while the fetch queue is paused: the burst lands before it.
    await hub.hub.deps.queues.fetch.pause();
    for (let i = 0; i < 20; i++) expect((await ping()).status).toBe(204);
    await hub.hub.deps.queues.fetch.resume();
    await waitFor(() => subscriber.deliveries().length === 1, { what: 'first delivery' });
    // Every fetch job the burst made has run once the queues are idle: one GET means one job.
    await waitFor(() => hub.idle(), { what: 'the queues idle after the burst' });
    expect(publisher.gets()).toBe(1);

    // A slow fetch is in progress when newer content is published and pinged (several times).
    publisher.slow(1500);
    publisher.set(['p2', 'p1']);
    expect((await ping()).status).toBe(204);
    await waitFor(() => publisher.gets() === 2, { what: 'second fetch started' });
    publisher.set(['p3', 'p2', 'p1']);
    for (let i = 0; i < 3; i++) expect((await ping()).status).toBe(204);
    await waitFor(() => subscriber.deliveries().some((d) => d.body.toString().includes('<guid>p3</guid>')), {
      timeoutMs: 15_000,
      what: 'the newest content delivered',
    });
    await waitFor(() => hub.idle(), { what: 'the queues idle after the pings during the fetch' });
    expect(publisher.gets()).toBe(3);
  }, 40_000);
});

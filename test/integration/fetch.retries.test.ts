import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

/** A publisher answering each GET with the next status of `script` (the last one repeats), 200 carrying a feed. */
async function scriptedPublisher() {
  let script: number[] = [200];
  const statuses: number[] = [];
  const server = http.createServer((_req, res) => {
    const status = script[Math.min(statuses.length, script.length - 1)];
    statuses.push(status);
    if (status === 200) res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss([`e${statuses.length}`]));
    else res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    statuses,
    play(next: number[]) {
      script = next;
      statuses.length = 0;
    },
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/**
 * A ping's fetch that fails is retried up to HUB_FETCH_ATTEMPTS times (README, settings), each retry still
 * the ping's; a 4xx is not retried; the ping's mark is cleared once the fetch is done with either way.
 */
describe.each(BACKENDS)('fetch retries on %s', (backend) => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let publisher: Awaited<ReturnType<typeof scriptedPublisher>>;

  beforeAll(async () => {
    hub = await startTestHub(backend, { HUB_FETCH_ATTEMPTS: '3', HUB_POLL: '0' });
    subscriber = await startSubscriber();
    publisher = await scriptedPublisher();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
    await publisher?.close();
  });

  async function subscribedTopic(path: string): Promise<string> {
    const topic = `${publisher.origin}${path}`;
    await hub.subscribeAndWait(`${subscriber.origin}${path}`, topic);
    await waitFor(() => hub.idle(), { what: 'the subscription settled' });
    return topic;
  }
  const mark = async (topic: string) =>
    (
      await hub.query<{ pending: boolean; source: string | null }>(
        'select fetch_requested_at is not null as pending, last_fetch_source as source from topics where url = $1',
        [topic],
      )
    )[0];

  test("a 503 is tried HUB_FETCH_ATTEMPTS times in all, every try the ping's, and the mark then cleared", async () => {
    const topic = await subscribedTopic('/down.xml');
    publisher.play([503]);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(async () => publisher.statuses.length >= 3 && (await hub.idle()), { what: 'three tries, then idle' });
    expect(publisher.statuses).toEqual([503, 503, 503]);
    expect(await mark(topic)).toEqual({ pending: false, source: 'ping' });
  }, 30_000);

  test('a retry that succeeds delivers the content the ping announced', async () => {
    const topic = await subscribedTopic('/flaky.xml');
    const before = subscriber.deliveries().length;
    publisher.play([503, 200]);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => subscriber.deliveries().length > before, { what: 'the delivery after the retry' });
    expect(publisher.statuses).toEqual([503, 200]);
    await waitFor(() => hub.idle(), { what: 'idle' });
    expect(await mark(topic)).toEqual({ pending: false, source: 'ping' });
  }, 30_000);

  test('a 404 is not retried', async () => {
    const topic = await subscribedTopic('/gone.xml');
    publisher.play([404]);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(async () => publisher.statuses.length >= 1 && (await hub.idle()), { what: 'one try, then idle' });
    expect(publisher.statuses).toEqual([404]);
    expect(await mark(topic)).toEqual({ pending: false, source: 'ping' });
  }, 30_000);
});

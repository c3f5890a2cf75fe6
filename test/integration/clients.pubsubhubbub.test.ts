import pubsubhubbub from 'pubsubhubbub';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { rss } from '../helpers/feeds.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, type Publisher } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

type Subscriber = ReturnType<typeof pubsubhubbub.createServer>;
type FeedEvent = { topic: string; feed: Buffer; headers: Record<string, string> };

/**
 * A WebSub client nobody here wrote: the npm `pubsubhubbub` package (1.0.2) as
 * the subscriber, through subscribe, verification, delivery of only the new
 * entries, and unsubscribe (issue 12). It reads only the first Link of a
 * delivery, so Crier sends rel="self" first.
 */
describe.each(BACKENDS)('the npm pubsubhubbub subscriber on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let client: Subscriber;
  let base: string;
  const feeds: FeedEvent[] = [];
  const verified: Array<{ mode: string; topic: string }> = [];

  beforeAll(async () => {
    hub = await startTestHub(backend);
    publisher = await startPublisher();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    client = pubsubhubbub.createServer({ callbackUrl: `${base}/` });
    client.on('feed', (event: FeedEvent) => feeds.push(event));
    client.on('subscribe', (event: { topic: string }) => verified.push({ mode: 'subscribe', topic: event.topic }));
    client.on('unsubscribe', (event: { topic: string }) => verified.push({ mode: 'unsubscribe', topic: event.topic }));
    await new Promise<void>((resolve) => {
      client.once('listen', () => resolve());
      client.listen(port);
    });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await new Promise<void>((resolve) => (client?.server ? client.server.close(() => resolve()) : resolve()));
    await hub?.stop();
    await publisher?.close();
  });

  const call = (fn: (done: (err: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

  test.each([
    ['its default callback (the topic in its query string)', undefined],
    ['a callback without the topic in its query string', '/plain'],
  ])('H1 H20 H21: subscribe, verify, new entries only, unsubscribe, with %s', async (_name, path) => {
    const feedPath = `/client${path ?? '-default'}.xml`;
    const topic = publisher.topicUrl(feedPath);
    const callback = path === undefined ? undefined : `${base}${path}`;
    const forTopic = () => feeds.filter((f) => f.topic === topic);
    publisher.set(feedPath, { body: rss(['c1']), contentType: 'application/rss+xml' });

    await call((done) => client.subscribe(topic, hub.url, callback, done));
    await waitFor(() => verified.some((v) => v.mode === 'subscribe' && v.topic === topic), { what: 'the client confirmed' });
    await waitFor(
      async () =>
        (await hub.query('select 1 from subscriptions s join topics t on t.id = s.topic_id where t.url = $1', [topic])).length === 1,
      {
        what: 'the subscription active',
      },
    );

    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => forTopic().length === 1, { what: 'the first delivery' });
    publisher.set(feedPath, { body: rss(['c2', 'c1']), contentType: 'application/rss+xml' });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => forTopic().length === 2, { what: 'the second delivery' });
    const [first, second] = forTopic().map((f) => f.feed.toString());
    expect(first).toContain('<guid>c1</guid>');
    expect(second).toContain('<guid>c2</guid>');
    expect(second).not.toContain('<guid>c1</guid>');

    await call((done) => client.unsubscribe(topic, hub.url, callback, done));
    await waitFor(
      async () =>
        (await hub.query('select 1 from subscriptions s join topics t on t.id = s.topic_id where t.url = $1', [topic])).length === 0,
      {
        what: 'the subscription removed',
      },
    );
    expect(verified.filter((v) => v.topic === topic).map((v) => v.mode)).toEqual(['subscribe', 'unsubscribe']);
  });

  test('H24 H26: with a secret, Crier signs with sha1 and the client answers 2xx, but checks another key than it sent (its bug)', async () => {
    // The client sends hub.secret = HMAC-SHA1(secret, topic) but checks signatures with the secret itself,
    // so it answers 202 and drops every signed delivery; Crier's side is right, as the row shows.
    const port = await freePort();
    const signed = pubsubhubbub.createServer({ callbackUrl: `http://127.0.0.1:${port}/`, secret: 'client-secret' });
    const got: FeedEvent[] = [];
    signed.on('feed', (event: FeedEvent) => got.push(event));
    await new Promise<void>((resolve) => {
      signed.once('listen', () => resolve());
      signed.listen(port);
    });
    try {
      const topic = publisher.topicUrl('/client-signed.xml');
      publisher.set('/client-signed.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
      await call((done) => signed.subscribe(topic, hub.url, undefined, done));
      const row = async () =>
        (
          await hub.query(
            'select s.signature_algorithm, s.last_delivery_status from subscriptions s join topics t on t.id = s.topic_id where t.url = $1',
            [topic],
          )
        )[0] as { signature_algorithm: string; last_delivery_status: string | null } | undefined;
      await waitFor(async () => (await row()) !== undefined, { what: 'the subscription active' });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      await waitFor(async () => (await row())?.last_delivery_status === 'delivered', { what: 'the delivery acknowledged' });
      expect((await row())?.signature_algorithm).toBe('sha1');
      expect(got).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => (signed.server ? signed.server.close(() => resolve()) : resolve()));
    }
  });
});

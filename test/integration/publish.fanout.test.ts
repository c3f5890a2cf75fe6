import crypto from 'node:crypto';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

describe.each(BACKENDS)('publish and deliver on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const subscribe = (callback: string, topic: string, secret?: string) =>
    hub.subscribeAndWait(callback, topic, secret ? { 'hub.secret': secret } : {});

  test('H19 H21 H24: a publish delivers the new content with the topic type, both Link rels and a sha256 signature', async () => {
    const topic = publisher.topicUrl('/feed.xml');
    publisher.set('/feed.xml', { body: rss(['a1']), contentType: 'application/rss+xml; charset=utf-8' });
    await subscribe(`${subscriber.origin}/signed`, topic, 'shh-its-a-secret');
    const res = await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/signed'), { what: 'delivery' });
    const delivery = subscriber.deliveries().find((d) => d.url === '/signed')!;
    expect(delivery.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(delivery.headers.link).toBe(`<${topic}>; rel="self", <${hub.config.publicUrl}>; rel="hub"`);
    const expected = `sha256=${crypto.createHmac('sha256', 'shh-its-a-secret').update(delivery.body).digest('hex')}`;
    const given = String(delivery.headers['x-hub-signature']);
    expect(crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true);
    expect(delivery.body.toString()).toContain('<guid>a1</guid>');
    expect(delivery.headers['x-hub-delivery']).toBeTruthy();
  });

  test('H20: an unchanged topic delivers nothing; a new entry delivers only that entry', async () => {
    const topic = publisher.topicUrl('/diff.xml');
    const callback = `${subscriber.origin}/diff`;
    publisher.set('/diff.xml', { body: rss(['b1']), contentType: 'application/rss+xml' });
    await subscribe(callback, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/diff').length === 1);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    // The fetch that served this ping is recorded (its mark cleared) and made no notification: nothing to deliver.
    await waitFor(
      async () => (await hub.query('select fetch_requested_at from topics where url = $1', [topic]))[0].fetch_requested_at === null,
      {
        what: 'the second fetch recorded',
      },
    );
    const notifications = await hub.query('select n.id from notifications n join topics t on t.id = n.topic_id where t.url = $1', [topic]);
    expect(notifications).toHaveLength(1);
    expect(subscriber.deliveries().filter((d) => d.url === '/diff')).toHaveLength(1);
    publisher.set('/diff.xml', { body: rss(['b2', 'b1']), contentType: 'application/rss+xml' });
    await hub.post({ 'hub.mode': 'publish', 'hub.topic': topic });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/diff').length === 2);
    const second = subscriber
      .deliveries()
      .filter((d) => d.url === '/diff')[1]
      .body.toString();
    expect(second).toContain('<guid>b2</guid>');
    expect(second).not.toContain('<guid>b1</guid>');
    expect(subscriber.deliveries().filter((d) => d.url === '/diff')[1].headers['x-crier-entries']).toBe('new=1, updated=0');
  });

  test('H23: a callback answering 500 is retried with the same delivery id until it succeeds', async () => {
    const topic = publisher.topicUrl('/retry.xml');
    const callback = `${subscriber.origin}/flaky`;
    publisher.set('/retry.xml', { body: rss(['c1']), contentType: 'application/rss+xml' });
    await subscribe(callback, topic);
    let failures = 0;
    subscriber.behave({ deliver: (req) => (req.url === '/flaky' && failures++ < 1 ? { status: 500 } : { status: 200 }) });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/flaky').length === 2, { what: 'retry' });
    const [first, second] = subscriber.deliveries().filter((d) => d.url === '/flaky');
    expect(second.headers['x-hub-delivery']).toBe(first.headers['x-hub-delivery']);
    await waitFor(
      async () =>
        (await hub.query(`select last_delivery_status from subscriptions where callback = $1`, [callback]))[0].last_delivery_status ===
        'delivered',
    );
    subscriber.behave({});
  });
});

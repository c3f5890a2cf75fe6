import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

const RSS = 'application/rss+xml; charset=utf-8';

describe.each(BACKENDS)('delivery rules on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  // Each test gets its own subscriber server (its own origin), so per-origin state never leaks between tests.
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend, { HUB_MAX_ATTEMPTS: '3', HUB_RETRY_BASE_MS: '50' });
    publisher = await startPublisher();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
  });
  beforeEach(async () => {
    subscriber = await startSubscriber();
  });
  afterEach(async () => {
    await subscriber?.close();
  });

  async function subscribe(path: string, topic: string, secret?: string): Promise<string> {
    const callback = `${subscriber.origin}${path}`;
    const fields: Record<string, string> = { 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic };
    if (secret) fields['hub.secret'] = secret;
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
      what: 'subscription',
    });
    return callback;
  }
  async function publish(topic: string) {
    const res = await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
  }
  const postsTo = (path: string) => subscriber.deliveries().filter((d) => d.url === path);
  const deliveryRows = (callback: string) =>
    hub.query(
      'select d.status, d.attempts, d.last_status_code from deliveries d join subscriptions s on s.id = d.subscription_id where s.callback = $1',
      [callback],
    );
  const subscription = async (callback: string) => (await hub.query('select * from subscriptions where callback = $1', [callback]))[0];

  test('H22: a 3xx from the callback is not followed and counts as a failure', async () => {
    publisher.set('/h22-redirect.xml', { body: rss(['r1']), contentType: RSS });
    const callback = await subscribe('/moved', publisher.topicUrl('/h22-redirect.xml'));
    subscriber.behave({
      deliver: (req) => (req.url === '/moved' ? { status: 302, headers: { location: `${subscriber.origin}/new-home` } } : { status: 200 }),
    });
    await publish(publisher.topicUrl('/h22-redirect.xml'));
    await waitFor(async () => (await deliveryRows(callback))[0]?.status === 'dropped', { what: 'dropped after 3 attempts' });
    expect(postsTo('/moved')).toHaveLength(3);
    expect(postsTo('/new-home')).toHaveLength(0);
    expect(await deliveryRows(callback)).toEqual([{ status: 'dropped', attempts: 3, last_status_code: 302 }]);
  });

  test('H22: the response body is ignored: any 2xx is success, whatever it says', async () => {
    publisher.set('/h22-body.xml', { body: rss(['b1']), contentType: RSS });
    const callbacks = [
      await subscribe('/ok-error-text', publisher.topicUrl('/h22-body.xml')),
      await subscribe('/ok-204', publisher.topicUrl('/h22-body.xml')),
    ];
    subscriber.behave({
      deliver: (req) =>
        req.url === '/ok-204'
          ? { status: 204 }
          : { status: 200, body: 'ERROR: rejected, please retry', headers: { 'content-type': 'text/plain' } },
    });
    await publish(publisher.topicUrl('/h22-body.xml'));
    for (const callback of callbacks) {
      await waitFor(async () => (await subscription(callback)).last_delivery_status === 'delivered', { what: 'delivered' });
    }
    // Delivered is final: no retry is scheduled for it.
    expect(postsTo('/ok-error-text')).toHaveLength(1);
    expect(postsTo('/ok-204')).toHaveLength(1);
    expect(await deliveryRows(callbacks[0])).toEqual([]);
  });

  test('H22: 410 Gone ends the subscription without retries', async () => {
    publisher.set('/h22-gone.xml', { body: rss(['g1']), contentType: RSS });
    const callback = await subscribe('/gone', publisher.topicUrl('/h22-gone.xml'));
    subscriber.behave({ deliver: () => ({ status: 410 }) });
    await publish(publisher.topicUrl('/h22-gone.xml'));
    // Removed with its pending deliveries (on delete cascade): nothing is left to retry.
    await waitFor(async () => (await subscription(callback)) === undefined, { what: 'subscription removed' });
    expect(postsTo('/gone')).toHaveLength(1);
  });

  test('H24: without a secret no X-Hub-Signature header is sent', async () => {
    publisher.set('/h24.xml', { body: rss(['s1']), contentType: RSS });
    await subscribe('/unsigned', publisher.topicUrl('/h24.xml'));
    await publish(publisher.topicUrl('/h24.xml'));
    await waitFor(() => postsTo('/unsigned').length === 1, { what: 'delivery' });
    expect(postsTo('/unsigned')[0].headers).not.toHaveProperty('x-hub-signature');
    expect(Object.keys(postsTo('/unsigned')[0].headers).filter((h) => h.includes('signature'))).toEqual([]);
  });

  test('H25: with a secret the signature uses sha256 over the exact body', async () => {
    publisher.set('/h25.xml', { body: rss(['é-entry']), contentType: RSS });
    await subscribe('/signed', publisher.topicUrl('/h25.xml'), 'sekrit-ü');
    await publish(publisher.topicUrl('/h25.xml'));
    await waitFor(() => postsTo('/signed').length === 1, { what: 'delivery' });
    const [delivery] = postsTo('/signed');
    const given = String(delivery.headers['x-hub-signature']);
    expect(given).toMatch(/^sha256=[0-9a-f]{64}$/);
    const expected = `sha256=${crypto.createHmac('sha256', Buffer.from('sekrit-ü')).update(delivery.body).digest('hex')}`;
    expect(crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true);
  });

  test('H7: content is POSTed to the callback exactly as given, its own query string included', async () => {
    publisher.set('/h7.xml', { body: rss(['q1']), contentType: RSS });
    await subscribe('/with-query?feed=42&hub.mode=mine', publisher.topicUrl('/h7.xml'));
    await publish(publisher.topicUrl('/h7.xml'));
    await waitFor(() => postsTo('/with-query?feed=42&hub.mode=mine').length === 1, { what: 'delivery' });
  });

  test('H18: the topic is fetched after the publish is answered, with a User-Agent', async () => {
    // A publisher whose topic answers only when released: an in-request fetch could never answer the ping.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const fetches: http.IncomingHttpHeaders[] = [];
    const gated = http.createServer((req, res) => {
      fetches.push(req.headers);
      void released.then(() => res.writeHead(200, { 'content-type': RSS }).end(rss(['late-1'])));
    });
    await new Promise<void>((resolve) => gated.listen(0, '127.0.0.1', resolve));
    const topic = `http://127.0.0.1:${(gated.address() as AddressInfo).port}/gated.xml`;
    try {
      await subscribe('/after-answer', topic);
      const answered = hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      const res = await Promise.race([answered, delay(2000, undefined, { ref: false })]);
      expect(res?.status).toBe(204);
      expect(postsTo('/after-answer')).toHaveLength(0);
      await waitFor(() => fetches.length === 1, { what: 'fetch started' });
      release();
      await waitFor(() => postsTo('/after-answer').length === 1, { what: 'delivery' });
      expect(String(fetches[0]['user-agent'])).toMatch(/Crier/);
    } finally {
      release();
      gated.closeAllConnections();
      await new Promise((resolve) => gated.close(resolve));
    }
  });

  test('H18: the second fetch is conditional (If-None-Match and If-Modified-Since)', async () => {
    const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT';
    publisher.set('/h18-cond.xml', { body: rss(['c1']), contentType: RSS, etag: '"v1"', headers: { 'last-modified': lastModified } });
    await subscribe('/cond', publisher.topicUrl('/h18-cond.xml'));
    await publish(publisher.topicUrl('/h18-cond.xml'));
    await waitFor(() => postsTo('/cond').length === 1, { what: 'first delivery' });
    await publish(publisher.topicUrl('/h18-cond.xml'));
    await waitFor(() => publisher.fetches('/h18-cond.xml').length === 2, { what: 'second fetch' });
    const [first, second] = publisher.fetches('/h18-cond.xml');
    expect(first.headers['if-none-match']).toBeUndefined();
    expect(second.headers['if-none-match']).toBe('"v1"');
    expect(second.headers['if-modified-since']).toBe(lastModified);
    expect(String(second.headers['user-agent'])).toMatch(/Crier/);
    // The 304 is recorded (the ping's mark cleared) and made no notification: nothing to deliver.
    const topicUrl = publisher.topicUrl('/h18-cond.xml');
    await waitFor(
      async () => (await hub.query('select fetch_requested_at from topics where url = $1', [topicUrl]))[0].fetch_requested_at === null,
      {
        what: 'the 304 recorded',
      },
    );
    expect(
      await hub.query('select n.id from notifications n join topics t on t.id = n.topic_id where t.url = $1', [topicUrl]),
    ).toHaveLength(1);
    expect(postsTo('/cond')).toHaveLength(1);
  });

  test('H18: a redirect from the publisher is followed', async () => {
    publisher.set('/h18-old.xml', { body: 'moved', contentType: 'text/plain', status: 301, headers: { location: '/h18-new.xml' } });
    publisher.set('/h18-new.xml', { body: rss(['moved-1']), contentType: RSS });
    await subscribe('/redirected', publisher.topicUrl('/h18-old.xml'));
    await publish(publisher.topicUrl('/h18-old.xml'));
    await waitFor(() => postsTo('/redirected').length === 1, { what: 'delivery' });
    expect(publisher.fetches('/h18-new.xml').length).toBeGreaterThanOrEqual(1);
    expect(postsTo('/redirected')[0].body.toString()).toContain('<guid>moved-1</guid>');
    expect(postsTo('/redirected')[0].headers.link).toContain(`<${publisher.topicUrl('/h18-old.xml')}>; rel="self"`);
  });

  test('H23: after HUB_MAX_ATTEMPTS failures the notification is dropped and recorded; the subscription stays and gets the next update', async () => {
    const topic = publisher.topicUrl('/h23.xml');
    publisher.set('/h23.xml', { body: rss(['d1']), contentType: RSS });
    const callback = await subscribe('/down', topic);
    subscriber.behave({ deliver: () => ({ status: 503 }) });
    await publish(topic);
    await waitFor(async () => (await deliveryRows(callback))[0]?.status === 'dropped', { what: 'dropped' });
    expect(await deliveryRows(callback)).toEqual([{ status: 'dropped', attempts: 3, last_status_code: 503 }]);
    // Dropped is final: no attempt is scheduled after it.
    expect(postsTo('/down')).toHaveLength(3);
    expect(await subscription(callback)).toBeDefined();

    subscriber.behave({});
    publisher.set('/h23.xml', { body: rss(['d2', 'd1']), contentType: RSS });
    await publish(topic);
    await waitFor(() => postsTo('/down').length === 4, { what: 'next update' });
    expect(postsTo('/down')[3].body.toString()).toContain('<guid>d2</guid>');
  });

  test('H15: a subscription whose lease has ended receives nothing and is swept', async () => {
    const topic = publisher.topicUrl('/expired.xml');
    publisher.set('/expired.xml', { body: rss(['e1']), contentType: RSS });
    const callback = await subscribe('/expired', topic);
    await hub.query(`update subscriptions set expires_at = now() - interval '1 second' where callback = $1`, [callback]);
    await publish(topic);
    await waitFor(() => publisher.fetches('/expired.xml').length === 1, { what: 'fetch' });
    // Deliveries go only to unexpired subscriptions, and this one is gone now: none can follow.
    await waitFor(async () => (await subscription(callback)) === undefined, { what: 'swept' });
    expect(postsTo('/expired')).toHaveLength(0);
  });
});

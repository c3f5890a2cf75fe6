import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = '56002aa0e56c0fb5e4ac2002deeaa79c';
const SECRET = 'admin-test-secret-value-42';
const RSS =
  '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><guid>a1</guid><title>a1</title></item></channel></rss>';

async function get(hub: TestHub, path: string, token?: string) {
  const res = await fetch(new URL(path, hub.url), { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
}

describe('admin endpoint', () => {
  test('is off (404) when HUB_ADMIN_TOKEN is unset, whatever the Authorization header', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ROLE: 'web' });
    try {
      for (const path of ['/admin/subscriptions', '/admin/topics', '/admin/topics/1']) {
        expect((await get(hub, path)).status).toBe(404);
        expect((await get(hub, path, TOKEN)).status).toBe(404);
        expect((await get(hub, path, '')).status).toBe(404);
      }
    } finally {
      await hub?.stop();
    }
  });

  describe('with HUB_ADMIN_TOKEN', () => {
    let hub: TestHub;
    let publisher: Publisher;
    let subscriber: Subscriber;
    let good: string;
    let failing: string;
    let topic: string;
    let missing: string;

    beforeAll(async () => {
      // A long first retry delay keeps the failing delivery in "retrying" with a next retry in the future.
      hub = await startTestHub('pg-redis', { HUB_ADMIN_TOKEN: TOKEN, HUB_RETRY_BASE_MS: '600000' });
      publisher = await startPublisher();
      subscriber = await startSubscriber({ deliver: (req) => ({ status: req.url === '/failing' ? 500 : 200 }) });
      topic = publisher.topicUrl('/feed.xml');
      missing = publisher.topicUrl('/missing.xml');
      publisher.set('/feed.xml', { body: RSS, contentType: 'application/rss+xml' });
      good = `${subscriber.origin}/good`;
      failing = `${subscriber.origin}/failing`;
      for (const [callback, t, secret] of [
        [good, topic, SECRET],
        [failing, topic, undefined],
        [`${subscriber.origin}/on-missing`, missing, undefined],
      ] as const) {
        const fields: Record<string, string> = {
          'hub.mode': 'subscribe',
          'hub.callback': callback,
          'hub.topic': t,
          'hub.lease_seconds': '3600',
        };
        if (secret) fields['hub.secret'] = secret;
        expect((await hub.post(fields)).status).toBe(202);
        await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
          what: `subscription ${callback}`,
        });
      }
      await hub.post({ 'hub.mode': 'publish', 'hub.url': [topic, missing] });
      await waitFor(
        async () =>
          (await hub.query(`select 1 from subscriptions where callback = $1 and last_delivery_status = 'retrying'`, [failing])).length ===
          1,
        { what: 'failed delivery' },
      );
      await waitFor(
        async () =>
          (await hub.query(`select 1 from subscriptions where callback = $1 and last_delivery_status = 'delivered'`, [good])).length === 1,
        { what: 'delivery' },
      );
      await waitFor(
        async () => (await hub.query('select 1 from topics where url = $1 and last_fetch_status is not null', [missing])).length === 1,
        { what: 'failed fetch' },
      );
    }, HUB_START_TIMEOUT);
    afterAll(async () => {
      await hub?.stop();
      await publisher?.close();
      await subscriber?.close();
    });

    test('401 without a token, with a wrong token, or with another scheme; WWW-Authenticate names Bearer', async () => {
      for (const token of [undefined, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1), '']) {
        const res = await get(hub, '/admin/subscriptions', token);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(res.text).not.toContain(SECRET);
      }
      const basic = await fetch(new URL('/admin/subscriptions', hub.url), {
        headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      });
      expect(basic.status).toBe(401);
    });

    test('per subscription: last delivery attempt, outcome, error, next retry and lease expiry, and never the secret', async () => {
      const res = await get(hub, '/admin/subscriptions', TOKEN);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.text).not.toContain(SECRET);
      const subs = res.json() as Array<Record<string, unknown>>;
      expect(subs).toHaveLength(3);
      for (const sub of subs) expect(sub).not.toHaveProperty('secret');
      const ok = subs.find((s) => s.callback === good)!;
      expect(ok).toMatchObject({
        topicUrl: topic,
        hasSecret: true,
        leaseSeconds: 3600,
        lastDeliveryStatus: 'delivered',
        lastDeliveryError: null,
        nextRetryAt: null,
      });
      expect(Date.parse(ok.lastDeliveryAt as string)).toBeLessThanOrEqual(Date.now());
      const leaseLeft = Date.parse(ok.expiresAt as string) - Date.now();
      expect(leaseLeft).toBeGreaterThan(3500_000);
      expect(leaseLeft).toBeLessThanOrEqual(3600_000);
      const bad = subs.find((s) => s.callback === failing)!;
      expect(bad).toMatchObject({ hasSecret: false, lastDeliveryStatus: 'retrying', lastDeliveryError: 'callback answered 500' });
      expect(Date.parse(bad.nextRetryAt as string)).toBeGreaterThan(Date.now());

      const one = await get(hub, `/admin/subscriptions/${String(bad.id)}`, TOKEN);
      expect(one.json()).toEqual(bad);
      const deliveries = await get(hub, `/admin/subscriptions/${String(bad.id)}/deliveries`, TOKEN);
      expect(deliveries.json()).toEqual([
        expect.objectContaining({
          subscriptionId: bad.id,
          status: 'retrying',
          attempts: 1,
          lastStatusCode: 500,
          lastError: 'callback answered 500',
        }),
      ]);
    });

    test('lookup by topic URL or by callback, in the normal form the hub stores', async () => {
      const byTopic = (await get(hub, `/admin/subscriptions?topic=${encodeURIComponent(topic)}`, TOKEN)).json() as Array<{
        callback: string;
      }>;
      expect(byTopic.map((s) => s.callback).sort()).toEqual([failing, good].sort());
      const byCallback = (
        await get(hub, `/admin/subscriptions?callback=${encodeURIComponent(good.replace('/good', '/%67ood'))}`, TOKEN)
      ).json() as Array<{ callback: string }>;
      expect(byCallback.map((s) => s.callback)).toEqual([good]);
      expect(
        (await get(hub, `/admin/subscriptions?topic=${encodeURIComponent(topic)}&callback=${encodeURIComponent(good)}`, TOKEN)).json(),
      ).toHaveLength(1);
      expect((await get(hub, '/admin/subscriptions?topic=not-a-url', TOKEN)).status).toBe(400);
      const paged = (await get(hub, '/admin/subscriptions?limit=1', TOKEN)).json() as Array<{ id: number }>;
      expect(paged).toHaveLength(1);
      const next = (await get(hub, `/admin/subscriptions?limit=1&after=${paged[0].id}`, TOKEN)).json() as Array<{ id: number }>;
      expect(next[0].id).toBeGreaterThan(paged[0].id);
    });

    test('per topic: last fetch status and error, and the live subscription count', async () => {
      const topics = (await get(hub, '/admin/topics', TOKEN)).json() as Array<Record<string, unknown>>;
      const broken = topics.find((t) => t.url === missing)!;
      expect(broken).toMatchObject({ lastFetchStatus: 404, subscriptions: 1 });
      expect(broken.lastFetchError).toMatch(/answered 404/);
      const fine = (await get(hub, `/admin/topics?url=${encodeURIComponent(topic)}`, TOKEN)).json();
      expect(fine).toEqual([
        expect.objectContaining({
          url: topic,
          lastFetchStatus: 200,
          lastFetchError: null,
          subscriptions: 2,
          contentType: 'application/rss+xml',
        }),
      ]);
      expect((await get(hub, `/admin/topics/${String(broken.id)}`, TOKEN)).json()).toEqual(broken);
    });

    test('malformed ids and paging values are 404s or clamped, never 500s', async () => {
      for (const path of [
        '/admin/topics/abc',
        '/admin/topics/-1',
        '/admin/topics/1e30',
        '/admin/topics/99999999999999999999',
        '/admin/subscriptions/0',
        '/admin/nope',
      ]) {
        expect({ path, status: (await get(hub, path, TOKEN)).status }).toEqual({ path, status: 404 });
      }
      for (const query of [
        'limit=-5',
        'limit=1e30',
        'after=-1',
        'after=99999999999999999999',
        'limit=abc&after=xyz',
        'limit=1&limit=2',
        'topic=a&topic=b',
      ]) {
        const status = (await get(hub, `/admin/subscriptions?${query}`, TOKEN)).status;
        expect({ query, status: status < 500 }).toEqual({ query, status: true });
      }
      expect((await get(hub, '/admin/subscriptions/abc/deliveries', TOKEN)).json()).toEqual([]);
    });
  });
});

import crypto from 'node:crypto';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, RecordedRequest, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

const TOKEN = 'db50098037c745e4c8de65b43dc8dccb';
const SECRET = 'a-shared-secret';

/**
 * Issue 12: subscribers check the algorithm they know. django-push, like every
 * PubSubHubbub 0.3/0.4 client, checks only sha1 and drops anything else in
 * silence; so the subscriber chooses (hub.signature_algorithm), a 0.3/0.4
 * request (it carries hub.verify) gets sha1, and everyone else the operator's
 * HUB_SIGNATURE_ALGORITHM (sha256 by default).
 */
describe.each(BACKENDS)('signature algorithms on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_ADMIN_TOKEN: TOKEN }));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const hmac = (algorithm: string, body: Buffer) => `${algorithm}=${crypto.createHmac(algorithm, SECRET).update(body).digest('hex')}`;
  const deliveryTo = (path: string): RecordedRequest | undefined => subscriber.deliveries().find((d) => d.url === path);

  test('H24 H25 H26: each subscription is signed with its chosen algorithm, sha1 for a 0.3/0.4 client, else the default', async () => {
    const topic = publisher.topicUrl('/algorithms.xml');
    publisher.set('/algorithms.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/sha512', { 'hub.signature_algorithm': 'sha512' }, 'sha512'],
      ['/sha384', { 'hub.signature_algorithm': 'SHA384' }, 'sha384'],
      ['/legacy', { 'hub.verify': 'async', 'hub.verify_token': 'vt' }, 'sha1'],
      ['/legacy-sha256', { 'hub.verify': 'async', 'hub.signature_algorithm': 'sha256' }, 'sha256'],
      ['/default', {}, 'sha256'],
    ];
    for (const [path, extra] of cases) await hub.subscribeAndWait(`${subscriber.origin}${path}`, topic, { 'hub.secret': SECRET, ...extra });
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => cases.every(([path]) => deliveryTo(path) !== undefined), { what: 'a delivery to each subscriber' });

    for (const [path, , algorithm] of cases) {
      const delivery = deliveryTo(path)!;
      expect([path, delivery.headers['x-hub-signature']]).toEqual([path, hmac(algorithm, delivery.body)]);
      expect(delivery.headers.link).toMatch(/^<[^>]+>; rel="self", <[^>]+>; rel="hub"$/);
    }

    // The admin view shows what each subscription is signed with.
    const res = await fetch(`${hub.url}admin/subscriptions?topic=${encodeURIComponent(topic)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const shown = ((await res.json()) as Array<{ callback: string; signatureAlgorithm: string }>).map((s) => [
      new URL(s.callback).pathname,
      s.signatureAlgorithm,
    ]);
    expect(shown.sort()).toEqual(cases.map(([path, , algorithm]) => [path, algorithm]).sort());
  });

  test('H23 H24: a recorded delivery shows in the admin view the algorithm its attempts were signed with', async () => {
    const topic = publisher.topicUrl('/retried.xml');
    publisher.set('/retried.xml', { body: rss(['r1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/retry`, topic, { 'hub.secret': SECRET, 'hub.signature_algorithm': 'sha384' });
    let failed = false;
    subscriber.behave({
      deliver: (req) => {
        if (req.url !== '/retry' || failed) return { status: 200 };
        failed = true;
        return { status: 500 };
      },
    });
    try {
      expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
      const [{ id }] = await hub.query('select id from subscriptions where callback = $1', [`${subscriber.origin}/retry`]);
      const rows = async () =>
        (await (
          await fetch(`${hub.url}admin/subscriptions/${String(id)}/deliveries`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).json()) as Array<{
          status: string;
          attempts: number;
          signatureAlgorithm: string | null;
        }>;
      await waitFor(async () => (await rows())[0]?.status === 'delivered', { what: 'the retried delivery recorded' });
      expect(await rows()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2, signatureAlgorithm: 'sha384' })]);
      expect(deliveryTo('/retry')!.headers['x-hub-signature']).toMatch(/^sha384=/);
    } finally {
      subscriber.behave({});
    }
  });

  test('H9: an unknown hub.signature_algorithm is refused with 400 and the reason', async () => {
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': `${subscriber.origin}/md5`,
      'hub.topic': publisher.topicUrl('/algorithms.xml'),
      'hub.signature_algorithm': 'md5',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/hub\.signature_algorithm must be one of sha1, sha256, sha384, sha512, got "md5"/);
  });
});

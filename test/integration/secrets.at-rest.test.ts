import crypto from 'node:crypto';
import type { Backend } from '../helpers/hub.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers, type HubWithPeers } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

/** Issue 9, item 6: with a key (HUB_SECRET_KEY, or the embedded hub's own key file) the database alone does not reveal secrets. */
const CASES: Array<[Backend, Record<string, string>]> = [
  ['pg-redis', { HUB_SECRET_KEY: crypto.randomBytes(32).toString('hex') }],
  ['embedded', {}],
];

describe.each(CASES)('subscriber secrets at rest on %s', (backend, env) => {
  let peers: HubWithPeers;
  beforeAll(async () => {
    peers = await startHubWithPeers(backend, env);
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers(peers ?? {}));

  test('H24: the stored secret is sealed, and deliveries are still signed with the secret the subscriber gave', async () => {
    const { hub, publisher, subscriber } = peers;
    const secret = `at-rest-${crypto.randomBytes(8).toString('hex')}`;
    const topic = publisher.topicUrl('/at-rest.xml');
    publisher.set('/at-rest.xml', { body: rss(['r1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/at-rest`, topic, { 'hub.secret': secret });

    const rows = await hub.query<{ secret: string }>('select secret from subscriptions where callback = $1', [
      `${subscriber.origin}/at-rest`,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].secret).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(rows[0].secret).not.toContain(secret);

    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/at-rest'), { what: 'signed delivery' });
    const delivery = subscriber.deliveries().find((d) => d.url === '/at-rest')!;
    const expected = `sha256=${crypto.createHmac('sha256', secret).update(delivery.body).digest('hex')}`;
    expect(delivery.headers['x-hub-signature']).toBe(expected);
  });
});

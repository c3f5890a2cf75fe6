import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';

// The default policy (no HUB_ALLOW_PRIVATE_NETWORKS): the basic H27 check. The exhaustive suite is outbound.ssrf.
describe('default address policy on pg-redis', () => {
  let hub: TestHub;
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_ALLOW_PRIVATE_NETWORKS: '0' });
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
  });

  test('the default configuration does not allow private networks', () => {
    expect(hub.config.allowPrivateNetworks).toBe(false);
  });

  test.each([
    ['a loopback IPv4 callback', () => `${subscriber.origin}/cb`],
    ['a localhost callback', () => `http://localhost:${new URL(subscriber.origin).port}/cb`],
    ['an IPv6 loopback callback', () => `http://[::1]:${new URL(subscriber.origin).port}/cb`],
    ['a private-network callback', () => 'http://10.1.2.3/cb'],
    ['a cloud metadata callback', () => 'http://169.254.169.254/latest/meta-data/'],
    ['an IPv4-mapped IPv6 loopback callback', () => `http://[::ffff:127.0.0.1]:${new URL(subscriber.origin).port}/cb`],
  ])('H27: %s is refused with a 4xx and never called', async (_name, callback) => {
    const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback(), 'hub.topic': 'https://pub.example/feed.xml' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/may not contact|not allowed|loopback/i);
    // Refused before anything was stored: no intent, so nothing will ever call it.
    expect(await hub.query('select 1 from intents')).toHaveLength(0);
    expect(subscriber.requests).toHaveLength(0);
  });
});

import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

describe.each(BACKENDS)('subscription verification on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend);
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

  /** A verification's outcome is final once its intent is gone (activated, or dropped after a refusal). */
  const intentConsumed = (callback: string) =>
    waitFor(async () => (await hub.query('select 1 from intents where callback = $1', [callback])).length === 0, {
      what: 'the intent consumed',
    });
  const activeCount = async (callback: string) =>
    (await hub.query('select count(*)::int as n from subscriptions where callback = $1', [callback]))[0].n as number;

  test('H1 H8 H13: a subscribe request answers 202, then a GET with mode, topic, challenge and lease activates it', async () => {
    const topic = publisher.topicUrl('/h1.xml');
    const callback = `${subscriber.origin}/cb`;
    const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic });
    expect(res.status).toBe(202);
    await waitFor(async () => (await activeCount(callback)) === 1, { what: 'activation' });
    const [verification] = subscriber.verifications();
    expect(verification.query.get('hub.mode')).toBe('subscribe');
    expect(verification.query.get('hub.topic')).toBe(topic);
    expect(verification.query.get('hub.challenge')!.length).toBeGreaterThanOrEqual(16);
    expect(Number(verification.query.get('hub.lease_seconds'))).toBe(hub.config.leaseDefaultSeconds);
  });

  test('H14: when the callback echoes a wrong challenge, the subscription is not activated', async () => {
    subscriber.behave({ verify: () => ({ status: 200, body: 'not-the-challenge' }) });
    const callback = `${subscriber.origin}/wrong`;
    expect(
      (await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/h14.xml') })).status,
    ).toBe(202);
    await waitFor(() => subscriber.verifications().length === 1);
    await intentConsumed(callback);
    expect(await activeCount(callback)).toBe(0);
  });

  test('H14: a 404 from the callback refuses the subscription', async () => {
    subscriber.behave({ verify: (q) => ({ status: 404, body: q.get('hub.challenge') ?? '' }) });
    const callback = `${subscriber.origin}/refuse`;
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/h14b.xml') });
    await waitFor(() => subscriber.verifications().length === 1);
    await intentConsumed(callback);
    expect(await activeCount(callback)).toBe(0);
  });

  test('H7: the hub appends its parameters to the callback query string and keeps the callback own', async () => {
    const callback = `${subscriber.origin}/cb?feed=42&hub.mode=mine`;
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/h7.xml') });
    await waitFor(() => subscriber.verifications().length === 1);
    const [v] = subscriber.verifications();
    expect(v.url.startsWith('/cb?feed=42&hub.mode=mine&')).toBe(true);
    expect(v.query.getAll('hub.mode')).toEqual(['mine', 'subscribe']);
    await waitFor(async () => (await activeCount(callback)) === 1);
  });

  test('H3 H15: a requested lease is clamped to the hub bounds and counts from verification', async () => {
    const callback = `${subscriber.origin}/lease`;
    await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': callback,
      'hub.topic': publisher.topicUrl('/h3.xml'),
      'hub.lease_seconds': '5',
    });
    await waitFor(async () => (await activeCount(callback)) === 1);
    expect(subscriber.verifications()[0].query.get('hub.lease_seconds')).toBe(String(hub.config.leaseMinSeconds));
    const [row] = await hub.query(
      `select extract(epoch from expires_at - verified_at)::int as lease from subscriptions where callback = $1`,
      [callback],
    );
    expect(row.lease).toBe(hub.config.leaseMinSeconds);
  });

  test('H5: a renewal replaces the secret only once verified; a failed renewal leaves the old state', async () => {
    const callback = `${subscriber.origin}/renew`;
    const topic = publisher.topicUrl('/h5.xml');
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic, 'hub.secret': 'first-secret' });
    await waitFor(async () => (await activeCount(callback)) === 1);
    subscriber.behave({ verify: () => ({ status: 404 }) });
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic, 'hub.secret': 'second-secret' });
    await waitFor(() => subscriber.verifications().length === 2);
    await intentConsumed(callback);
    // Stored sealed where the hub has a key (embedded always does): compare what it opens to.
    const [stored] = await hub.query('select secret from subscriptions where callback = $1', [callback]);
    expect(hub.hub.deps.secrets.open(stored.secret)).toBe('first-secret');
    subscriber.behave({});
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic });
    await waitFor(async () => (await hub.query('select secret from subscriptions where callback = $1', [callback]))[0].secret === null, {
      what: 'secret dropped',
    });
  });

  test('H26: legacy hub.verify and hub.verify_token are accepted and the token is echoed', async () => {
    const callback = `${subscriber.origin}/legacy`;
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': callback,
      'hub.topic': publisher.topicUrl('/h26.xml'),
      'hub.verify': ['async', 'sync'],
      'hub.verify_token': 'tok-123',
    });
    expect(res.status).toBe(202); // async first; sync has its own file (subscribe.sync)
    await waitFor(async () => (await activeCount(callback)) === 1);
    expect(subscriber.verifications()[0].query.get('hub.verify_token')).toBe('tok-123');
  });

  test('unsubscribe is verified the same way and removes the subscription', async () => {
    const callback = `${subscriber.origin}/unsub`;
    const topic = publisher.topicUrl('/unsub.xml');
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic });
    await waitFor(async () => (await activeCount(callback)) === 1);
    expect(
      (await hub.post({ 'hub.mode': 'unsubscribe', 'hub.callback': callback, 'hub.topic': topic, 'hub.lease_seconds': 'ignored' })).status,
    ).toBe(202);
    await waitFor(async () => (await activeCount(callback)) === 0, { what: 'unsubscription' });
    const v = subscriber.verifications()[1];
    expect(v.query.get('hub.mode')).toBe('unsubscribe');
    expect(v.query.has('hub.lease_seconds')).toBe(false);
  });
});

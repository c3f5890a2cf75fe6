import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/**
 * PubSubHubbub 0.3's synchronous verification (H26, issue 12): clients such as
 * django-push send hub.verify=sync and expect the outcome in the answer.
 */
describe.each(BACKENDS)('hub.verify=sync on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend, { HUB_SYNC_VERIFY_TIMEOUT_MS: '500' });
    publisher = await startPublisher();
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
  });

  const rows = async (table: 'subscriptions' | 'intents', callback: string) =>
    (await hub.query(`select count(*)::int as n from ${table} where callback = $1`, [callback]))[0].n as number;
  const subscribe = (callback: string, verify: string[]) =>
    hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/sync.xml'), 'hub.verify': verify });

  test('H26: a confirmed sync subscribe answers 204 with the subscription already active, and the token echoed', async () => {
    subscriber.behave({});
    const callback = `${subscriber.origin}/sync-ok`;
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': callback,
      'hub.topic': publisher.topicUrl('/sync.xml'),
      'hub.verify': ['sync', 'async'],
      'hub.verify_token': 'tok-123',
    });
    expect(res.status).toBe(204);
    expect(await rows('subscriptions', callback)).toBe(1);
    expect(await rows('intents', callback)).toBe(0);
    const verification = subscriber.verifications().find((v) => v.url.startsWith('/sync-ok'))!;
    expect(verification.query.get('hub.verify_token')).toBe('tok-123');
  });

  test('H14 H26: a sync subscribe the callback refuses answers 409 with the reason, and leaves nothing behind', async () => {
    subscriber.behave({ verify: () => ({ status: 404, body: 'no thanks' }) });
    const callback = `${subscriber.origin}/sync-refused`;
    const res = await subscribe(callback, ['sync']);
    expect(res.status).toBe(409);
    expect(res.text).toBe('verification of intent failed: the callback answered 404\n');
    expect(await rows('subscriptions', callback)).toBe(0);
    expect(await rows('intents', callback)).toBe(0);
  });

  test('H26: async first in the list, or alone, is verified after a 202 as WebSub does', async () => {
    subscriber.behave({});
    const callback = `${subscriber.origin}/async-first`;
    expect((await subscribe(callback, ['async', 'sync'])).status).toBe(202);
    await waitFor(async () => (await rows('subscriptions', callback)) === 1, { what: 'async activation' });
  });

  test('H26: a callback slower than HUB_SYNC_VERIFY_TIMEOUT_MS gets 202 and is verified all the same', async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    subscriber.behave({
      verify: (query) => answered.then(() => ({ status: 200, body: query.get('hub.challenge') ?? '' })),
    });
    const callback = `${subscriber.origin}/sync-slow`;
    expect((await subscribe(callback, ['sync'])).status).toBe(202);
    release();
    await waitFor(async () => (await rows('subscriptions', callback)) === 1, { what: 'activation after the answer' });
  });
});

import { Writable } from 'node:stream';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

// HUB_TOPIC_ALLOW names the topics this hub serves; others are accepted, then denied (WebSub §5.2).
describe.each(BACKENDS)('subscription denial on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    hub = await startTestHub(backend, { HUB_TOPIC_ALLOW: `${publisher.origin}/served/, https://elsewhere.example/feeds/` });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
  });

  const requestsTo = (path: string) => subscriber.requests.filter((r) => r.url.split('?')[0] === path);
  const subscriptionCount = async (callback: string) =>
    (await hub.query('select count(*)::int as n from subscriptions where callback = $1', [callback]))[0].n as number;
  const intentCount = async (callback: string) =>
    (await hub.query('select count(*)::int as n from intents where callback = $1', [callback]))[0].n as number;

  test('H12: a subscription to a topic the hub does not serve is answered 202, then denied with hub.mode=denied, hub.topic and hub.reason', async () => {
    const callback = `${subscriber.origin}/denied?mine=1`;
    const topic = publisher.topicUrl('/not-served/feed.xml');
    const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic });
    expect(res.status).toBe(202);
    await waitFor(() => requestsTo('/denied').length === 1, { what: 'denial notice' });
    const [notice] = requestsTo('/denied');
    expect(notice.method).toBe('GET');
    expect(notice.query.get('mine')).toBe('1');
    expect(notice.query.get('hub.mode')).toBe('denied');
    expect(notice.query.get('hub.topic')).toBe(topic);
    expect(notice.query.get('hub.reason')).toMatch(/topic/);
    expect(notice.query.has('hub.challenge')).toBe(false);
    // The notice is sent before the intent is removed, and nothing is left to send another.
    await waitFor(async () => (await intentCount(callback)) === 0, { what: 'intent removed' });
    expect(requestsTo('/denied')).toHaveLength(1);
    expect(await subscriptionCount(callback)).toBe(0);
  });

  test('H12: a topic under an allowed prefix is verified as usual', async () => {
    const callback = `${subscriber.origin}/served`;
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/served/feed.xml') });
    await waitFor(async () => (await subscriptionCount(callback)) === 1, { what: 'activation' });
    expect(requestsTo('/served').map((r) => r.query.get('hub.mode'))).toEqual(['subscribe']);
  });

  test('H12: a prefix does not admit a look-alike host (allowed https://elsewhere.example/feeds/, asked https://elsewhere.example.evil/feeds/)', async () => {
    const callback = `${subscriber.origin}/lookalike`;
    await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': 'https://elsewhere.example.evil/feeds/x.xml' });
    await waitFor(() => requestsTo('/lookalike').length === 1, { what: 'denial notice' });
    expect(requestsTo('/lookalike')[0].query.get('hub.mode')).toBe('denied');
  });

  test('H12: a hub may deny at any time: a denied renewal ends the subscription it had', async () => {
    const callback = `${subscriber.origin}/was-active`;
    const topic = publisher.topicUrl('/no-longer-served.xml');
    // A subscription from before the operator narrowed HUB_TOPIC_ALLOW.
    const [{ id: topicId }] = await hub.query('insert into topics (url) values ($1) returning id', [topic]);
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) values ($1, $2, 3600, now() + interval '1 hour')`,
      [topicId, callback],
    );
    expect(await subscriptionCount(callback)).toBe(1);
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic })).status).toBe(202);
    await waitFor(() => requestsTo('/was-active').length === 1, { what: 'denial notice' });
    expect(requestsTo('/was-active')[0].query.get('hub.mode')).toBe('denied');
    await waitFor(async () => (await subscriptionCount(callback)) === 0, { what: 'subscription removed' });
  });
});

describe('a denial notice that cannot be delivered (issue 21, item 7)', () => {
  let hub: TestHub;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_TOPIC_ALLOW: 'https://served.example/', LOG_LEVEL: 'warn' }, { logDestination: sink });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
  });

  test('is logged at warn with its stack and the callback without its query string', async () => {
    // Nothing listens on this port: the notice's GET is refused.
    const callback = `http://127.0.0.1:${await freePort()}/gone?apikey=subscriber-credential`;
    const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': 'https://elsewhere.example/x.xml' });
    expect(res.status).toBe(202);
    await waitFor(() => lines.some((l) => l.msg === 'denial notice not delivered'), { what: 'the failed notice logged' });
    const line = lines.find((l) => l.msg === 'denial notice not delivered')!;
    expect(line).toMatchObject({ level: 40, callback: callback.split('?')[0], topic: 'https://elsewhere.example/x.xml' });
    expect((line.err as { stack: string }).stack).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(lines)).not.toContain('subscriber-credential');
  });
});

import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { stopHubWithPeers } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { replaySignature } from '../helpers/replay.js';

const SECRET = 'replay-limits-secret';
const HOUR_S = 3600;

describe.each(BACKENDS)('hub.mode=replay limits per subscription, on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let topic: string;
  /** Added to the hub's clock: the test moves it an hour on. */
  let shiftMs = 0;
  /** Deliveries each path answered 200 (replays, once the seed notification is in). */
  const delivered = new Map<string, number>();
  const callback = (path: string) => `${subscriber.origin}${path}`;
  const replay = (path: string) => {
    const form = { 'hub.mode': 'replay', 'hub.topic': topic, 'hub.callback': callback(path), count: '1' };
    return hub.post(form, replaySignature(form, SECRET));
  };
  const settled = () =>
    waitFor(async () => (await hub.query('select 1 from replays where cardinality(remaining) > 0')).length === 0 && (await hub.idle()), {
      what: 'replays settled and the queues idle',
    });
  /** While true, /busy answers deliveries 503, so its replay keeps running (retried). */
  let holding = false;

  beforeAll(async () => {
    // Enough attempts that a held delivery is still retrying when it is let through.
    hub = await startTestHub(backend, { HUB_REPLAY_PER_HOUR: '2', HUB_MAX_ATTEMPTS: '10' }, { clock: () => Date.now() + shiftMs });
    publisher = await startPublisher();
    subscriber = await startSubscriber({
      deliver: (d) => {
        if (holding && d.url === '/busy') return { status: 503, body: 'busy' };
        delivered.set(d.url, (delivered.get(d.url) ?? 0) + 1);
        return { status: 200, body: 'ok' };
      },
    });
    topic = publisher.topicUrl('/limits.xml');
    publisher.set('/limits.xml', { body: rss(['a']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(callback('/busy'), topic, { 'hub.secret': SECRET });
    await hub.subscribeAndWait(callback('/hourly'), topic, { 'hub.secret': SECRET });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => delivered.get('/busy') === 1 && delivered.get('/hourly') === 1, { what: 'the first notification' });
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  test('while a replay runs, concurrent ones are refused 429 with Retry-After and send nothing; once it settles the next is taken', async () => {
    holding = true;
    const answers = await Promise.all(Array.from({ length: 5 }, () => replay('/busy')));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 429, 429, 429, 429]);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.text).toMatch(/^a replay of this subscription is still running; retry in \d+s\n$/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Held: the one accepted replay is retrying, so a later request is refused too.
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/busy').length >= 2, { what: 'the replay refused by /busy' });
    expect((await replay('/busy')).status).toBe(429);
    holding = false;
    await settled();
    // One replay of one notification reached the callback, not five.
    expect(delivered.get('/busy')).toBe(2);
    const next = await replay('/busy');
    expect(next.status).toBe(202);
    await settled();
    expect(delivered.get('/busy')).toBe(3);
  });

  test('HUB_REPLAY_PER_HOUR replays of a subscription in an hour, then 429 with Retry-After until the hour has passed', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await replay('/hourly')).status).toBe(202);
      await settled();
    }
    const refused = await replay('/hourly');
    expect([refused.status, refused.text]).toEqual([
      429,
      expect.stringMatching(/^this subscription was replayed 2 times in the last hour; retry in \d+s\n$/),
    ]);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(HOUR_S - 120);
    expect(retryAfter).toBeLessThanOrEqual(HOUR_S);
    await settled();
    expect(delivered.get('/hourly')).toBe(3);
    shiftMs = retryAfter * 1000;
    expect((await replay('/hourly')).status).toBe(202);
    await settled();
    expect(delivered.get('/hourly')).toBe(4);
  });
});

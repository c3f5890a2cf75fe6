import { BACKENDS, provisionBackend, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

/** Short intervals through the settings (issue 13): polls every second or so, the longest interval two minutes. */
const ADMIN_TOKEN = '8dca1a7de5d0508e12b2135eb159889a';
const POLL_ENV = { HUB_POLL_MIN_SECONDS: '1', HUB_POLL_MAX_SECONDS: '120', HUB_POLL_HOST_SPACING_MS: '0', HUB_ADMIN_TOKEN: ADMIN_TOKEN };

interface PollRow {
  poll_at: Date | null;
  poll_interval_seconds: number | null;
  poll_reason: string | null;
  poll_failures: number;
  missed_by_ping: number;
  pings_seen: number;
  last_fetch_source: string | null;
  last_fetch_status: number | null;
  last_fetch_at: Date | null;
}

describe.each(BACKENDS)('polling on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub(backend, POLL_ENV);
    publisher = await startPublisher();
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
  });

  const row = async (url: string): Promise<PollRow> => (await hub.query<PollRow>('select * from topics where url = $1', [url]))[0];
  const deliveriesTo = (path: string) => subscriber.deliveries().filter((d) => d.url === path);
  /** A fresh topic path and callback path, subscribed. */
  async function subscribed(doc: Parameters<Publisher['set']>[1]): Promise<{ topic: string; path: string; callback: string }> {
    const name = `t${++n}`;
    const path = `/${name}`;
    publisher.set(path, doc);
    await hub.subscribeAndWait(`${subscriber.origin}/cb-${name}`, publisher.topicUrl(path));
    return { topic: publisher.topicUrl(path), path, callback: `/cb-${name}` };
  }

  test('a topic that is never pinged is polled, and its new entries are delivered', async () => {
    const { topic, path, callback } = await subscribed({ body: rss(['a1']), contentType: 'application/rss+xml' });
    expect((await row(topic)).poll_at).not.toBeNull();
    await waitFor(() => deliveriesTo(callback).length === 1, { what: 'the first poll' });
    expect((await row(topic)).last_fetch_source).toBe('subscribe');

    publisher.set(path, { body: rss(['a2', 'a1']), contentType: 'application/rss+xml' });
    await waitFor(() => deliveriesTo(callback).length === 2, { what: 'the new entry, polled' });
    const body = deliveriesTo(callback)[1].body.toString();
    expect(body).toContain('<guid>a2</guid>');
    expect(body).not.toContain('<guid>a1</guid>');
    expect(await row(topic)).toMatchObject({ last_fetch_source: 'poll', poll_reason: 'changes', missed_by_ping: 0 });
  });

  test('a poll answered 304 delivers nothing, and the interval grows while nothing changes', async () => {
    const { topic, path, callback } = await subscribed({ body: rss(['b1']), contentType: 'application/rss+xml' });
    await waitFor(() => deliveriesTo(callback).length === 1, { what: 'the first poll' });
    await waitFor(async () => (await row(topic)).last_fetch_status === 304, { what: 'a conditional poll answered 304' });
    await waitFor(async () => ((await row(topic)).poll_interval_seconds ?? 0) >= 3, { what: 'a longer interval' });
    const conditional = publisher.fetches(path).filter((r) => r.headers['if-none-match']);
    expect(conditional.length).toBeGreaterThanOrEqual(2);
    expect(deliveriesTo(callback)).toHaveLength(1);
    expect((await row(topic)).poll_reason).toBe('changes');
  });

  test("the publisher's Cache-Control max-age, RSS ttl and Retry-After stretch the interval", async () => {
    const cached = await subscribed({ body: rss(['c1']), contentType: 'application/rss+xml', headers: { 'cache-control': 'max-age=40' } });
    const ttl = await subscribed({ body: rss(['d1'], '<ttl>1</ttl>'), contentType: 'application/rss+xml' });
    const busy = await subscribed({ body: 'later', contentType: 'text/plain', status: 503, headers: { 'retry-after': '50' } });
    await waitFor(async () => (await row(cached.topic)).poll_reason === 'publisher', { what: 'max-age honoured' });
    expect((await row(cached.topic)).poll_interval_seconds).toBeGreaterThanOrEqual(39);
    await waitFor(async () => (await row(ttl.topic)).poll_reason === 'publisher', { what: 'ttl honoured' });
    expect((await row(ttl.topic)).poll_interval_seconds).toBe(60);
    await waitFor(async () => (await row(busy.topic)).poll_failures === 1, { what: 'the 503 recorded' });
    expect(await row(busy.topic)).toMatchObject({ poll_reason: 'backoff', poll_interval_seconds: 50, last_fetch_status: 503 });
    // The next poll is a whole interval away (less jitter), not a moment.
    const { poll_at, last_fetch_at } = await row(busy.topic);
    expect(poll_at!.getTime() - last_fetch_at!.getTime()).toBeGreaterThan(40_000);
  });

  test('a topic whose ping brings content moves to the safety-net interval, and back when a poll catches a missed update', async () => {
    const { topic, path, callback } = await subscribed({ body: rss(['e1']), contentType: 'application/rss+xml' });
    await waitFor(() => deliveriesTo(callback).length === 1, { what: 'the first poll' });
    // No poll may come between the change and its ping.
    await hub.query(`update topics set poll_at = now() + interval '1 hour' where url = $1`, [topic]);
    publisher.set(path, { body: rss(['e2', 'e1']), contentType: 'application/rss+xml' });
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => deliveriesTo(callback).length === 2, { what: 'the pinged entry' });
    await waitFor(async () => (await row(topic)).poll_reason === 'safety-net', { what: 'the safety net' });
    expect(await row(topic)).toMatchObject({ poll_interval_seconds: 120, last_fetch_source: 'ping', pings_seen: 1, missed_by_ping: 0 });

    // The publisher's hook fails this time: no ping. The safety-net poll (made due now) catches it.
    publisher.set(path, { body: rss(['e3', 'e2', 'e1']), contentType: 'application/rss+xml' });
    await hub.query(`update topics set poll_at = now() where url = $1`, [topic]);
    await waitFor(() => deliveriesTo(callback).length === 3, { what: 'the missed entry, polled' });
    expect(deliveriesTo(callback)[2].body.toString()).toContain('<guid>e3</guid>');
    await waitFor(async () => (await row(topic)).missed_by_ping === 1, { what: 'the miss counted' });
    const after = await row(topic);
    expect(after).toMatchObject({ poll_reason: 'changes', last_fetch_source: 'poll' });
    expect(after.poll_interval_seconds).toBeLessThan(120);

    const res = await fetch(`${hub.url}admin/topics?url=${encodeURIComponent(topic)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const [view] = (await res.json()) as Array<Record<string, unknown>>;
    expect(view).toMatchObject({ lastFetchSource: 'poll', pollReason: 'changes', missedByPing: 1, pingsSeen: 1, pollFailures: 0 });
    expect(view.pollIntervalSeconds).toBe(after.poll_interval_seconds);
    expect(new Date(view.nextPollAt as string).getTime()).toBe(after.poll_at!.getTime());
  });

  test('a topic nobody subscribes to any more leaves the schedule', async () => {
    const { topic } = await subscribed({ body: rss(['f1']), contentType: 'application/rss+xml' });
    await hub.query(
      `update subscriptions set expires_at = now() - interval '1 second' where topic_id = (select id from topics where url = $1)`,
      [topic],
    );
    await hub.query(`update topics set poll_at = now() where url = $1`, [topic]);
    await waitFor(async () => (await row(topic)).poll_at === null, { what: 'the topic leaving the schedule' });
  });
});

describe.each(BACKENDS)('the poll schedule across a restart on %s', (backend) => {
  test('the schedule is the same after a restart, and a due topic is polled by the new process', async () => {
    const provisioned = await provisionBackend(backend);
    const publisher = await startPublisher();
    const subscriber = await startSubscriber();
    let hub: TestHub | undefined;
    try {
      hub = await startTestHub(backend, POLL_ENV, { shared: provisioned });
      publisher.set('/r', { body: rss(['r1']), contentType: 'application/rss+xml' });
      await hub.subscribeAndWait(`${subscriber.origin}/cb`, publisher.topicUrl('/r'));
      await waitFor(() => subscriber.deliveries().length === 1, { what: 'the first poll' });
      // Far enough ahead that nothing moves it while the hub restarts.
      await hub.query(`update topics set poll_at = now() + interval '10 minutes'`);
      const select = 'select id, poll_at, poll_interval_seconds, poll_reason, poll_failures, last_fetch_source from topics order by id';
      const before = await hub.query(select);
      await hub.stop();
      hub = await startTestHub(backend, POLL_ENV, { shared: provisioned });
      expect(await hub.query(select)).toEqual(before);

      publisher.set('/r', { body: rss(['r2', 'r1']), contentType: 'application/rss+xml' });
      await hub.query(`update topics set poll_at = now()`);
      await waitFor(() => subscriber.deliveries().length === 2, { what: 'a poll by the restarted hub' });
    } finally {
      await hub?.stop();
      await provisioned.cleanup();
      await publisher.close();
      await subscriber.close();
    }
    // Two hub starts: an embedded one opens PGlite each time.
  }, 90_000);
});

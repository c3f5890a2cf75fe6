import { Writable } from 'node:stream';
import { provisionBackend, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';

/** Issue 21, item 7: a page that cannot read its content fails with the database's error and is retried. */
describe('a deliver page whose content read fails (PostgreSQL + Redis)', () => {
  let backend: Awaited<ReturnType<typeof provisionBackend>>;
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    backend = await provisionBackend('pg-redis');
    hub = await startHub();
    publisher = await startPublisher();
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);
  // One callback per page: the second callback's page is a deliver job that reads the content itself.
  const startHub = () =>
    startTestHub(
      'pg-redis',
      { HUB_DELIVER_PAGE_SIZE: '1', HUB_MAX_ATTEMPTS: '20', LOG_LEVEL: 'warn' },
      { logDestination: sink, shared: backend },
    );
  afterAll(async () => {
    await hub?.hub.deps.queues.deliver.resume();
    await hub?.query('alter table if exists contents_aside rename to contents');
    await hub?.stop();
    await backend?.cleanup();
    await publisher?.close();
    await subscriber?.close();
  });

  test('the job fails with the database error, not "content missing", and its retry delivers once the table is back', async () => {
    publisher.set('/feed.xml', { body: rss(['e1']), contentType: 'application/rss+xml' });
    const topic = publisher.topicUrl('/feed.xml');
    const [{ id }] = await hub.query(`insert into topics (url) values ($1) returning id`, [topic]);
    for (const path of ['/a', '/b'])
      await hub.query(
        `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) values ($1, $2, 3600, now() + interval '1 hour')`,
        [id, `${subscriber.origin}${path}`],
      );

    // The first page goes out in the fetch job; the second waits in the paused deliver queue.
    await hub.hub.deps.queues.deliver.pause();
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => subscriber.deliveries().length === 1, { what: 'the first page delivered' });
    await waitFor(async () => (await hub.hub.deps.queues.deliver.getWaitingCount()) === 1, { what: 'the second page queued' });

    // The hub that ran the first page keeps the content in memory: a fresh one runs the second page.
    await hub.stop();
    hub = await startHub();
    await hub.query('alter table contents rename to contents_aside');
    await hub.hub.deps.queues.deliver.resume();
    const failed = () => lines.find((l) => l.msg === 'job failed' && l.queue === 'deliver');
    await waitFor(() => failed() !== undefined, { what: 'the page failed' });
    const err = failed()!.err as { message: string; stack: string };
    expect(err.message).toMatch(/relation "contents" does not exist/);
    expect(err.message).not.toMatch(/missing/);
    expect(err.stack).toMatch(/\n\s+at /);
    expect(subscriber.deliveries()).toHaveLength(1);

    await hub.query('alter table contents_aside rename to contents');
    await waitFor(() => subscriber.deliveries().length === 2, { what: 'the retried page delivered' });
    expect(
      subscriber
        .deliveries()
        .map((d) => d.url)
        .sort(),
    ).toEqual(['/a', '/b']);
  }, 60_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { EventSource } from 'eventsource';
import { TEST_ENV, provisionBackend, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { freePort } from '../helpers/ports.js';
import { rss } from '../helpers/feeds.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const CLI = path.resolve('dist/cli.js');

function startChild(role: 'web' | 'worker', env: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, [CLI, role], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, exited };
}

/** A real EventSource client recording the ids of its notification events. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const ids: number[] = [];
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
  });
  source.addEventListener('notification', (e) => ids.push(Number(e.lastEventId)));
  return { source, ids };
}

// Streams and long-polls are held by a web process; the update is found by a separate worker process.
describe('streams and long-polls across a web and a worker process on PostgreSQL + Redis', () => {
  let cleanup: () => Promise<void>;
  let db: pg.Pool;
  let children: Array<ReturnType<typeof startChild>> = [];
  let hubUrl: string;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const items: string[] = [];

  beforeAll(async () => {
    const provisioned = await provisionBackend('pg-redis');
    cleanup = () => provisioned.cleanup();
    db = new pg.Pool({ connectionString: provisioned.env.DATABASE_URL, max: 1 });
    // Its cleanup drops the database with force while an ended connection may still be closing (roles.multiprocess).
    db.on('error', () => undefined);
    const port = await freePort();
    hubUrl = `http://127.0.0.1:${port}/`;
    const env = { ...TEST_ENV, ...provisioned.env, PORT: String(port), HUB_PUBLIC_URL: hubUrl, LOG_LEVEL: 'warn' };
    children = [startChild('web', env), startChild('worker', env)];
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    await waitFor(
      async () =>
        (await fetch(new URL('/healthz', hubUrl)).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      {
        timeoutMs: 30_000,
        what: 'web /healthz',
      },
    );
  }, HUB_START_TIMEOUT);

  afterAll(async () => {
    for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await publisher?.close();
    await subscriber?.close();
    await db.end();
    await cleanup();
  });

  /** Adds `guid`, pings, and waits for the worker's callback delivery; returns its X-Crier-Seq. */
  async function update(guid: string): Promise<number> {
    items.unshift(guid);
    publisher.set('/mp.xml', { body: rss(items), contentType: 'application/rss+xml' });
    await fetch(hubUrl, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl('/mp.xml') }) });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/mp').length === items.length, { what: `delivery of ${guid}` });
    return Number(subscriber.deliveries().filter((d) => d.url === '/mp')[items.length - 1].headers['x-crier-seq']);
  }

  test('a stream and a long-poll get an update the worker found; a stream that missed two resumes with exactly those, in order', async () => {
    const topic = publisher.topicUrl('/mp.xml');
    const res = await fetch(hubUrl, {
      method: 'POST',
      body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/mp`, 'hub.topic': topic }),
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await db.query('select 1 from subscriptions')).rowCount === 1, { what: 'verification' });
    const first = await update('m1');

    const query = `hub.mode=retrieve&hub.topic=${encodeURIComponent(topic)}&after=${first}`;
    const stream = openStream(`${hubUrl}?${query}&wait=stream`);
    const poll = fetch(`${hubUrl}?${query}&wait=poll&timeout=30`);
    const second = await update('m2');
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-crier-seq')).toBe(String(second));
    await waitFor(() => stream.ids.length === 1, { what: 'the stream event' });
    expect(stream.ids).toEqual([second]);

    stream.source.close();
    const missed = [await update('m3'), await update('m4')];
    const resumed = openStream(`${hubUrl}?hub.mode=retrieve&wait=stream&hub.topic=${encodeURIComponent(topic)}`, {
      'last-event-id': String(second),
    });
    try {
      await waitFor(() => resumed.ids.length === 2, { what: 'the two missed updates' });
      expect(resumed.ids).toEqual(missed);
    } finally {
      resumed.source.close();
    }
  }, 90_000);
});

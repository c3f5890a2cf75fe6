import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TEST_ENV, provisionBackend, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { REDIS_URL } from '../helpers/services.js';
import { freePort } from '../helpers/ports.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { queuesIdle } from '../helpers/queues.js';

const CLI = path.resolve('dist/cli.js');
const CALLBACKS_PER_SERVER = 10;
const SERVERS = 5;

interface Child {
  role: string;
  proc: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startChild(role: 'web' | 'worker', env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [CLI, role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { role, proc, output, exited };
}

// Scaling out (README.md): HUB_ROLE=web and HUB_ROLE=worker processes sharing PostgreSQL and Redis.
describe('one web and two worker processes on PostgreSQL + Redis', () => {
  let cleanup: () => Promise<void>;
  let db: pg.Pool;
  let children: Child[] = [];
  let hubUrl: string;
  let publisher: Publisher;
  let subscribers: Subscriber[] = [];
  // The children's queues, watched from here to know when their work is done.
  let redis: Redis;
  let queues: Queue[] = [];

  beforeAll(async () => {
    const provisioned = await provisionBackend('pg-redis');
    cleanup = () => provisioned.cleanup();
    db = new pg.Pool({ connectionString: provisioned.env.DATABASE_URL, max: 1 });
    // The teardown drops the database (with force) while the ended pool's connection may still be closing: that
    // connection's 'terminating connection' must not surface as an unhandled error of whichever test runs then.
    db.on('error', () => undefined);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = ['verify', 'fetch', 'deliver'].map((name) => new Queue(name, { connection: redis, prefix: provisioned.env.HUB_QUEUE_PREFIX }));
    const port = await freePort();
    hubUrl = `http://127.0.0.1:${port}/`;
    const env = {
      ...TEST_ENV,
      ...provisioned.env,
      HUB_ALLOW_PRIVATE_NETWORKS: '1',
      PORT: String(port),
      HUB_PUBLIC_URL: hubUrl,
      HUB_DELIVER_PAGE_SIZE: '5', // ten pages, so the fan-out is spread over both workers' queues
      HUB_SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    };
    children = [startChild('web', env), startChild('worker', env), startChild('worker', env)];
    publisher = await startPublisher();
    subscribers = await Promise.all(Array.from({ length: SERVERS }, () => startSubscriber()));
    await waitFor(
      async () =>
        (await fetch(new URL('/healthz', hubUrl)).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      { timeoutMs: 20_000, what: 'web /healthz' },
    );
  }, HUB_START_TIMEOUT);

  afterAll(async () => {
    for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await publisher?.close();
    await Promise.all(subscribers.map((s) => s.close()));
    await Promise.all(queues.map((q) => q.close()));
    await redis?.quit();
    await db.end();
    await cleanup();
  });

  const post = async (fields: Record<string, string>) => {
    const res = await fetch(hubUrl, { method: 'POST', body: new URLSearchParams(fields) });
    await res.text();
    return res.status;
  };

  test('50 subscribers of one topic each receive the delivery exactly once', async () => {
    const topic = publisher.topicUrl('/many.xml');
    publisher.set('/many.xml', {
      body: '<rss version="2.0"><channel><item><guid>m1</guid></item></channel></rss>',
      contentType: 'application/rss+xml',
    });
    const callbacks = subscribers.flatMap((s) => Array.from({ length: CALLBACKS_PER_SERVER }, (_, i) => ({ s, path: `/cb-${i}` })));
    for (const { s, path: p } of callbacks)
      expect(await post({ 'hub.mode': 'subscribe', 'hub.callback': `${s.origin}${p}`, 'hub.topic': topic })).toBe(202);
    const verified = () => callbacks.filter(({ s, path: p }) => s.verifications().some((v) => v.url.startsWith(`${p}?`))).length;
    await waitFor(() => verified() === callbacks.length, { timeoutMs: 20_000, what: 'all verifications' });
    // Activation is committed once the whole batch of challenges is answered.
    const active = async () => (await db.query('select count(*)::int as n from subscriptions')).rows[0].n as number;
    await waitFor(async () => (await active()) === callbacks.length, { timeoutMs: 20_000, what: 'all subscriptions active' });

    expect(await post({ 'hub.mode': 'publish', 'hub.url': topic })).toBe(204);
    const received = () => callbacks.filter(({ s, path: p }) => s.deliveries().some((d) => d.url === p)).length;
    await waitFor(() => received() === callbacks.length, { timeoutMs: 20_000, what: 'all deliveries' });
    // A duplicate would come from a job (a page run twice, a retry): none is left to run once the queues are idle.
    await waitFor(() => queuesIdle(queues), { timeoutMs: 20_000, what: 'the workers idle' });
    for (const { s, path: p } of callbacks) expect(s.deliveries().filter((d) => d.url === p)).toHaveLength(1);
    expect(publisher.fetches('/many.xml')).toHaveLength(1);
  }, 60_000);

  test('SIGTERM drains each process and it exits 0 within 15 s', async () => {
    for (const child of children) child.proc.kill('SIGTERM');
    const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    const codes = await Promise.all(children.map((c) => Promise.race([c.exited, deadline])));
    const report = children.map((c, i) => `${c.role}: ${codes[i]}\n${c.output.join('').slice(-2000)}`).join('\n');
    expect({ codes, report: codes.every((c) => c === 0) ? '' : report }).toEqual({ codes: [0, 0, 0], report: '' });
  }, 30_000);
});

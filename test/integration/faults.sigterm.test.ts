import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import {
  faultEnv,
  rss,
  spawnHub,
  startHubIn,
  startOwnPostgres,
  startOwnRedis,
  startSink,
  type OwnPostgres,
  type OwnRedis,
  type Sink,
} from '../helpers/faults.js';
import { startPublisher, type Publisher } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { embeddedDataDir } from '../helpers/embedded-template.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

const SLOW_MS = 3000;
const SUBSCRIBERS = 20;
const SHUTDOWN_TIMEOUT_MS = 15_000;
// The slow answers must stay in flight, not time out: the test default (3 s) raced SLOW_MS on a loaded machine.
const REQUEST_TIMEOUT_MS = String(SLOW_MS * 3);

describe('SIGTERM drains in-flight deliveries', () => {
  let publisher: Publisher;
  let sink: Sink;

  beforeAll(async () => {
    publisher = await startPublisher();
    sink = await startSink(SLOW_MS);
  });
  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
  });

  describe('a worker on PostgreSQL + Redis', () => {
    let redis: OwnRedis;
    let postgres: OwnPostgres;
    beforeAll(async () => {
      [redis, postgres] = await Promise.all([startOwnRedis(), startOwnPostgres()]);
    }, HUB_START_TIMEOUT);
    afterAll(async () => {
      await redis?.destroy();
      await postgres?.destroy();
    });

    test('takes no new work, lets its in-flight deliveries finish and exits 0 within the shutdown timeout', async () => {
      const env = faultEnv(
        { databaseUrl: postgres.url, redisUrl: redis.url },
        { HUB_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), HUB_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS },
      );
      const web = await startHubIn({ ...env, HUB_ROLE: 'web' });
      const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
      try {
        const worker = await spawnHub('worker', env);
        const topicIds: number[] = [];
        for (const name of ['slow', 'later']) {
          publisher.set(`/${name}.xml`, { body: rss([`${name}-1`]), contentType: 'application/rss+xml' });
          const {
            rows: [{ id }],
          } = await db.query(`insert into topics (url) values ($1) returning id`, [publisher.topicUrl(`/${name}.xml`)]);
          topicIds.push(id);
          await db.query(
            `insert into subscriptions (topic_id, callback, lease_seconds, expires_at) select $1, $2 || '/' || $3 || '/' || g, 3600, now() + interval '1 hour' from generate_series(1, $4) g`,
            [id, sink.origin, name, SUBSCRIBERS],
          );
        }
        const ping = (name: string) =>
          fetch(web.url!, {
            method: 'POST',
            body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl(`/${name}.xml`) }),
          });
        expect((await ping('slow')).status).toBe(204);
        await waitFor(() => sink.total() === SUBSCRIBERS, { what: 'deliveries in flight at the slow subscriber' });

        const signalled = Date.now();
        worker.proc.kill('SIGTERM');
        await waitFor(() => /draining/.test(worker.output()), { what: 'the worker draining' });
        expect((await ping('later')).status).toBe(204); // queued after SIGTERM: not this worker's to take
        const exit = await worker.exited;
        const took = Date.now() - signalled;
        console.log(
          `[SIGTERM worker] exit ${exit.code} after ${took} ms; in-flight answers completed ${sink.completed()}, abandoned ${sink.abandoned()}`,
        );
        expect(exit.code).toBe(0);
        expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
        expect(sink.completed()).toBe(SUBSCRIBERS);
        expect(sink.abandoned()).toBe(0);
        expect(publisher.fetches('/later.xml')).toHaveLength(0);
        const {
          rows: [done],
        } = await db.query(`select count(*)::int as n from subscriptions where topic_id = $1 and last_delivery_status = 'delivered'`, [
          topicIds[0],
        ]);
        expect(done.n).toBe(SUBSCRIBERS);

        // The work left behind is picked up by the next worker.
        const next = await spawnHub('worker', env);
        await waitFor(() => [...sink.received.keys()].filter((p) => p.startsWith('/later/')).length === SUBSCRIBERS, {
          timeoutMs: 20_000,
          what: 'the later update delivered by the next worker',
        });
        next.proc.kill('SIGTERM');
        expect((await next.exited).code).toBe(0);
      } finally {
        await db.end();
        await web.close();
      }
    }, 90_000);
  });

  test('an embedded hub (crier all) lets its in-flight deliveries finish and exits 0', async () => {
    const dir = await embeddedDataDir('crier-embedded-');
    const token = crypto.randomBytes(16).toString('hex');
    const before = sink.completed();
    const hub = await spawnHub(
      'all',
      faultEnv(
        {},
        {
          HUB_DATA_DIR: dir,
          HUB_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
          HUB_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS,
          HUB_ADMIN_TOKEN: token,
        },
      ),
    );
    try {
      const topic = publisher.topicUrl('/embedded.xml');
      publisher.set('/embedded.xml', { body: rss(['e1']), contentType: 'application/rss+xml' });
      const post = (fields: Record<string, string>) => fetch(hub.url!, { method: 'POST', body: new URLSearchParams(fields) });
      const count = 5;
      for (let i = 0; i < count; i++)
        expect((await post({ 'hub.mode': 'subscribe', 'hub.callback': `${sink.origin}/embedded/${i}`, 'hub.topic': topic })).status).toBe(
          202,
        );
      const admin = async () =>
        (await fetch(new URL('/admin/subscriptions', hub.url), { headers: { authorization: `Bearer ${token}` } })).json();
      await waitFor(async () => (await admin()).length === count, { what: 'embedded subscriptions verified' });
      expect((await post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
      await waitFor(() => [...sink.received.keys()].filter((p) => p.startsWith('/embedded/')).length === count, {
        what: 'embedded deliveries in flight',
      });
      const signalled = Date.now();
      hub.proc.kill('SIGTERM');
      const exit = await hub.exited;
      console.log(
        `[SIGTERM embedded] exit ${exit.code} after ${Date.now() - signalled} ms; answers completed ${sink.completed() - before}, abandoned ${sink.abandoned()}`,
      );
      expect(exit.code).toBe(0);
      expect(sink.completed() - before).toBe(count);
      expect(sink.abandoned()).toBe(0);
    } finally {
      if (hub.proc.exitCode === null) hub.proc.kill('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

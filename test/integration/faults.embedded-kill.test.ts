import fs from 'node:fs/promises';
import { faultEnv, rss, spawnHub, startSink, type Sink } from '../helpers/faults.js';
import { startPublisher, type Publisher } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { embeddedDataDir } from '../helpers/embedded-template.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

const SUBSCRIBERS = 300;

// The embedded hub is one process: killing it kills storage, queues and workers at once.
describe('an embedded hub (crier all) SIGKILLed in the middle of a fan-out', () => {
  let publisher: Publisher;
  let sink: Sink;
  let dir: string;

  beforeAll(async () => {
    publisher = await startPublisher();
    sink = await startSink(20);
    dir = await embeddedDataDir('crier-embedded-kill-');
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('restarted on the same data directory, it finishes the fan-out: every subscriber gets the update', async () => {
    const token = '41b04cfcc75a99c7ea7864190d30675c';
    const env = faultEnv(
      {},
      { HUB_DATA_DIR: dir, HUB_DELIVER_PAGE_SIZE: '50', HUB_DELIVER_CONCURRENCY: '8', HUB_JOB_LOCK_MS: '2000', HUB_ADMIN_TOKEN: token },
    );
    const topic = publisher.topicUrl('/embedded-kill.xml');
    publisher.set('/embedded-kill.xml', { body: rss(['k1']), contentType: 'application/rss+xml' });
    const paths = Array.from({ length: SUBSCRIBERS }, (_, i) => `/ek/${i}`);
    const posted = () => paths.filter((p) => (sink.received.get(p)?.size ?? 0) > 0).length;

    let hub = await spawnHub('all', env);
    try {
      for (const p of paths) {
        const res = await fetch(hub.url!, {
          method: 'POST',
          body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.callback': `${sink.origin}${p}`, 'hub.topic': topic }),
        });
        expect(res.status).toBe(202);
      }
      const active = async () => {
        const res = await fetch(new URL(`/admin/topics?url=${encodeURIComponent(topic)}`, hub.url), {
          headers: { authorization: `Bearer ${token}` },
        });
        const [row] = (await res.json()) as Array<{ subscriptions: number }>;
        return row?.subscriptions ?? 0;
      };
      await waitFor(async () => (await active()) === SUBSCRIBERS, { timeoutMs: 30_000, what: 'every subscription verified' });
      expect(
        (await fetch(hub.url!, { method: 'POST', body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }) })).status,
      ).toBe(204);
      await waitFor(() => posted() >= 60, { timeoutMs: 30_000, intervalMs: 5, what: 'the fan-out under way' });
      hub.proc.kill('SIGKILL');
      expect((await hub.exited).signal).toBe('SIGKILL');
      const atKill = posted();

      hub = await spawnHub('all', env);
      await waitFor(() => posted() === SUBSCRIBERS, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'every subscriber delivered after the restart',
      });
      const duplicated = paths.filter((p) => [...(sink.received.get(p)?.values() ?? [])].some((n) => n > 1)).length;
      console.log(
        `[embedded SIGKILL] ${SUBSCRIBERS} subscribers: killed after ${atKill} delivered; all ${posted()} delivered after the restart, ${duplicated} callbacks got a duplicate`,
      );
      expect(posted()).toBe(SUBSCRIBERS);
    } finally {
      if (hub.proc.exitCode === null && hub.proc.signalCode === null) {
        hub.proc.kill('SIGTERM');
        await hub.exited;
      }
    }
  }, 120_000);
});

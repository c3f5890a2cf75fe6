import { EventSource } from 'eventsource';
import { BACKENDS, provisionBackend, startTestHub, TEST_ENV, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { metricValue, scrape } from '../helpers/metrics.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { rss } from '../helpers/feeds.js';
import { waitFor } from '../helpers/wait.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startHub, type RunningHub } from '../../src/main.js';

const TOKEN = '0f331f8f0105e3bbda12e4ea4a296bee';

/** The change of each named series between two scrapes. */
function delta(before: string, after: string, name: string, labels: Record<string, string> = {}): number {
  return metricValue(after, name, labels) - metricValue(before, name, labels);
}

describe.each(BACKENDS)('GET /metrics after real flows on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const metricsUrl = () => `${hub.url}metrics`;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
    subscriber.behave({
      deliver: (req) => (req.url === '/fail' ? { status: 500 } : req.url === '/gone' ? { status: 410 } : { status: 200 }),
    });
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  test('subscribe, publish and a delivery move the request, verification, fetch, entry and delivery counters by one flow', async () => {
    const before = await scrape(metricsUrl());
    const topic = publisher.topicUrl('/flow.xml');
    publisher.set('/flow.xml', { body: rss(['a', 'b']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/ok`, topic, { 'hub.secret': 'a-metrics-secret' });
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    expect((await hub.post({ 'hub.mode': 'dance' })).status).toBe(400);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/ok'), { what: 'the delivery' });
    let after = '';
    await waitFor(
      async () => {
        after = await scrape(metricsUrl());
        return delta(before, after, 'crier_deliveries_total', { outcome: 'delivered' }) >= 1;
      },
      { what: 'the delivery counted' },
    );

    expect(delta(before, after, 'crier_requests_total', { mode: 'subscribe', status: '202' })).toBe(1);
    expect(delta(before, after, 'crier_requests_total', { mode: 'publish', status: '204' })).toBe(1);
    expect(delta(before, after, 'crier_requests_total', { mode: 'invalid', status: '400' })).toBe(1);
    expect(delta(before, after, 'crier_verifications_total', { outcome: 'confirmed' })).toBe(1);
    expect(delta(before, after, 'crier_verifications_total')).toBe(1);
    expect(delta(before, after, 'crier_fetches_total', { source: 'ping', outcome: 'new_content' })).toBe(1);
    expect(delta(before, after, 'crier_fetches_total')).toBe(1);
    expect(delta(before, after, 'crier_fetch_duration_seconds_count', { source: 'ping' })).toBe(1);
    expect(delta(before, after, 'crier_notifications_total')).toBe(1);
    expect(delta(before, after, 'crier_entries_total', { kind: 'new' })).toBe(2);
    expect(delta(before, after, 'crier_entries_total', { kind: 'updated' })).toBe(0);
    expect(delta(before, after, 'crier_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(delta(before, after, 'crier_deliveries_total')).toBe(1);
    expect(delta(before, after, 'crier_delivery_duration_seconds_count')).toBe(1);

    // Read at scrape time: every queue and state, the process's own metrics, the stream gauge at zero.
    for (const queue of ['verify', 'fetch', 'deliver']) {
      expect(after).toMatch(new RegExp(`^crier_queue_jobs\\{queue="${queue}",state="waiting"\\} \\d+$`, 'm'));
      expect(after).toMatch(new RegExp(`^crier_queue_oldest_waiting_seconds\\{queue="${queue}"\\} [\\d.e+-]+$`, 'm'));
    }
    expect(after).toMatch(/^crier_open_circuits\{kind="callback"\} 0$/m);
    expect(after).toMatch(/^crier_open_streams\{kind="stream"\} 0$/m);
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // No URL ever becomes a label value.
    expect(after).not.toContain(publisher.origin);
    expect(after).not.toContain(subscriber.origin);
  });

  test('a retrieve is counted by its mode, and an open event stream shows in the stream gauge until it ends', async () => {
    const topic = publisher.topicUrl('/streamed.xml');
    publisher.set('/streamed.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/ok`, topic);
    const before = await scrape(metricsUrl());
    const retrieveUrl = `${hub.url}?hub.mode=retrieve&hub.topic=${encodeURIComponent('http://unknown.example/feed')}`;
    expect((await fetch(retrieveUrl)).status).toBe(404);
    const source = new EventSource(`${hub.url}?hub.mode=retrieve&wait=stream&hub.topic=${encodeURIComponent(topic)}`);
    try {
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve();
        source.onerror = () => reject(new Error('the stream did not open'));
      });
      const open = await scrape(metricsUrl());
      expect(metricValue(open, 'crier_open_streams', { kind: 'stream' })).toBe(1);
      expect(delta(before, open, 'crier_requests_total', { mode: 'retrieve', status: '404' })).toBe(1);
    } finally {
      source.close();
    }
    await waitFor(async () => metricValue(await scrape(metricsUrl()), 'crier_open_streams', { kind: 'stream' }) === 0, {
      what: 'the gauge back at zero',
    });
  });

  test('a failing callback counts its retries then the drop, a 410 counts as gone', async () => {
    const before = await scrape(metricsUrl());
    const topic = publisher.topicUrl('/failing.xml');
    publisher.set('/failing.xml', { body: rss(['x']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/fail`, topic);
    await hub.subscribeAndWait(`${subscriber.origin}/gone`, topic);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    let after = '';
    await waitFor(
      async () => {
        after = await scrape(metricsUrl());
        return (
          delta(before, after, 'crier_deliveries_total', { outcome: 'dropped' }) >= 1 &&
          delta(before, after, 'crier_deliveries_total', { outcome: 'gone' }) >= 1
        );
      },
      { what: 'the drop and the 410 counted' },
    );
    // HUB_MAX_ATTEMPTS=3 in tests: two failures that will be retried, then the third drops it.
    expect(delta(before, after, 'crier_deliveries_total', { outcome: 'retrying' })).toBe(2);
    expect(delta(before, after, 'crier_deliveries_total', { outcome: 'dropped' })).toBe(1);
    expect(delta(before, after, 'crier_deliveries_total', { outcome: 'gone' })).toBe(1);
    expect(delta(before, after, 'crier_deliveries_total', { outcome: 'delivered' })).toBe(0);
    expect(delta(before, after, 'crier_delivery_duration_seconds_count')).toBe(4);
  });
});

describe('who may scrape /metrics', () => {
  let open: TestHub | undefined;
  let guarded: TestHub | undefined;

  // Two embedded first starts (initdb each) take well over the default 30 s on a loaded machine.
  beforeAll(async () => {
    open = await startTestHub('embedded', { HUB_TRUST_PROXY: '1' });
    guarded = await startTestHub('embedded', { HUB_METRICS_TOKEN: TOKEN });
  }, 180_000);
  afterAll(async () => {
    await open?.stop();
    await guarded?.stop();
  });

  test('without HUB_METRICS_TOKEN, a loopback client gets the metrics and any other client a 403', async () => {
    expect(await scrape(`${open!.url}metrics`)).toContain('crier_requests_total');
    // Behind a trusted proxy the client is the address it appended, not the proxy on loopback.
    const res = await fetch(`${open!.url}metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/^\/metrics answers loopback clients only; set HUB_METRICS_TOKEN.*\n$/);
  });

  test('with HUB_METRICS_TOKEN, only the bearer token opens it, from anywhere', async () => {
    const url = `${guarded!.url}metrics`;
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    expect(await scrape(url, { authorization: `Bearer ${TOKEN}` })).toContain('crier_deliveries_total');
  });
});

describe('a worker process (HUB_ROLE=worker) serves /metrics on its own listener', () => {
  let web: TestHub | undefined;
  let worker: RunningHub | undefined;
  let subscriber: Subscriber | undefined;
  let publisher: Publisher | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await web?.stop();
    await worker?.close();
    await cleanup?.();
    await subscriber?.close();
    await publisher?.close();
  });

  test('the worker counts the deliveries it made, the web process the requests it answered', async () => {
    const backend = await provisionBackend('pg-redis');
    cleanup = () => backend.cleanup();
    const workerConfig = loadConfig({ ...TEST_ENV, ...backend.env, HUB_ROLE: 'worker', HUB_METRICS_PORT: '0', HUB_METRICS_TOKEN: TOKEN });
    worker = await startHub(workerConfig, { log: createLogger(workerConfig), sweepIntervalMs: 500 });
    expect(worker.url).toBeUndefined();
    expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    web = await startTestHub('pg-redis', { HUB_ROLE: 'web' }, { shared: backend });
    publisher = await startPublisher();
    subscriber = await startSubscriber();

    const topic = publisher.topicUrl('/split.xml');
    publisher.set('/split.xml', { body: rss(['one']), contentType: 'application/rss+xml' });
    await web.subscribeAndWait(`${subscriber.origin}/split`, topic);
    expect((await web.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => subscriber!.deliveries().length === 1, { what: 'the delivery' });

    const auth = { authorization: `Bearer ${TOKEN}` };
    let fromWorker = '';
    await waitFor(
      async () => {
        fromWorker = await scrape(worker!.metricsUrl!, auth);
        return metricValue(fromWorker, 'crier_deliveries_total', { outcome: 'delivered' }) === 1;
      },
      { what: 'the worker counting its delivery' },
    );
    expect(metricValue(fromWorker, 'crier_verifications_total', { outcome: 'confirmed' })).toBe(1);
    expect(metricValue(fromWorker, 'crier_fetches_total', { source: 'ping', outcome: 'new_content' })).toBe(1);
    expect(metricValue(fromWorker, 'crier_requests_total')).toBe(0);
    expect(fromWorker).toMatch(/^crier_queue_jobs\{queue="deliver",state="waiting"\} \d+$/m);

    const fromWeb = await scrape(`${web.url}metrics`);
    expect(metricValue(fromWeb, 'crier_requests_total', { mode: 'subscribe', status: '202' })).toBe(1);
    expect(metricValue(fromWeb, 'crier_requests_total', { mode: 'publish', status: '204' })).toBe(1);
    expect(metricValue(fromWeb, 'crier_deliveries_total')).toBe(0);

    // The worker's listener serves nothing else, and asks for the token.
    expect((await fetch(worker.metricsUrl!.replace(/metrics$/, 'healthz'))).status).toBe(404);
    expect((await fetch(worker.metricsUrl!)).status).toBe(401);
  });
});

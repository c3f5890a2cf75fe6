import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Slow and busy topic servers must not starve the others (issue 9.2), and one
 * topic must not be fetched in a tight loop however often it is pinged (9.3).
 */

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A raw topic server on `host`, counting the requests it holds open and when each arrived. */
async function topicServer(host: string, handler: Handler) {
  const sockets = new Set<Socket>();
  const arrivals: Array<{ path: string; at: number }> = [];
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    arrivals.push({ path: req.url ?? '/', at: Date.now() });
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => open--);
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  return {
    origin,
    arrivals,
    open: () => open,
    maxOpen: () => maxOpen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const rss = (guids: string[]) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>${guids.map((g) => `<item><guid>${g}</guid><title>${g}</title></item>`).join('')}</channel></rss>`;

/** Sends a feed's head, then 2 KB a second for ever: fast enough for the rate floor, never done. */
const endless: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>');
  const timer = setInterval(() => res.write(`<!--${'x'.repeat(2048)}-->`), 1000);
  res.on('close', () => clearInterval(timer));
};

/** Sends a feed's head, then 10 bytes a second. */
const trickle: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
  const timer = setInterval(() => res.write('<!-- -->  '), 1000);
  res.on('close', () => clearInterval(timer));
};

describe('fair fetching (pg-redis)', () => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let busy: Awaited<ReturnType<typeof topicServer>>;
  let normal: Awaited<ReturnType<typeof topicServer>>;
  const TOPICS = 32;

  beforeAll(async () => {
    // Long timeouts: only the per-target cap and the rate floor can keep these fetches short.
    hub = await startTestHub('pg-redis', { HUB_REQUEST_TIMEOUT_MS: '30000' });
    subscriber = await startSubscriber();
    busy = await topicServer('::1', endless);
    normal = await topicServer('127.0.0.1', (req, res) => {
      if (req.url === '/trickle') return trickle(req, res);
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(['n1']));
    });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    // The endless fetches end first, so the hub's drain does not wait out their timeouts.
    await busy?.close();
    await normal?.close();
    await hub?.stop();
    await subscriber?.close();
  });

  test('H28: 32 endless topics pinged at once hold at most HUB_FETCH_PER_HOST slots; a normal topic is still fetched', async () => {
    const slow = Array.from({ length: TOPICS }, (_, i) => `${busy.origin}/t${i}`);
    for (const [i, topic] of slow.entries()) await hub.subscribeAndWait(`${subscriber.origin}/slow${i}`, topic);
    await hub.subscribeAndWait(`${subscriber.origin}/normal`, `${normal.origin}/feed`);

    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': slow })).status).toBe(204);
    await waitFor(() => busy.open() === hub.config.fetchPerHost, { what: 'the busy server to hold its share of fetch slots' });

    const pinged = Date.now();
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': `${normal.origin}/feed` })).status).toBe(204);
    // Without the cap the 32 endless fetches hold every slot for three request timeouts (90 s here).
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/normal'), {
      timeoutMs: 10_000,
      what: 'the normal topic delivered',
    });
    console.log(`[pg-redis] normal topic delivered ${Date.now() - pinged} ms after its ping, beside ${TOPICS} endless topics`);
    expect(busy.maxOpen()).toBe(hub.config.fetchPerHost);
    expect(busy.open()).toBeLessThanOrEqual(hub.config.fetchPerHost);
  }, 60_000);

  test('H28: a body slower than HUB_FETCH_MIN_BYTES_PER_SECOND is abandoned and the reason recorded on the topic', async () => {
    const topic = `${normal.origin}/trickle`;
    await hub.subscribeAndWait(`${subscriber.origin}/trickle`, topic);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    const error = async () =>
      (await hub.query('select last_fetch_error from topics where url = $1', [topic]))[0]?.last_fetch_error as string | null;
    // The request timeout is 30 s (90 s in all); the rate floor ends it after one 5 s window.
    await waitFor(async () => (await error()) != null, { timeoutMs: 15_000, what: 'the trickle abandoned' });
    expect(await error()).toMatch(/slower than 1024 bytes\/s/);
  }, 30_000);
});

describe('one topic is not fetched in a tight loop (pg-redis)', () => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let publisher: Awaited<ReturnType<typeof topicServer>>;
  let guids = ['a1'];
  const INTERVAL_S = 2;

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_FETCH_MIN_INTERVAL_SECONDS: String(INTERVAL_S) });
    subscriber = await startSubscriber();
    publisher = await topicServer('127.0.0.1', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(guids)),
    );
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
    await publisher?.close();
  });

  test('H28: 25 quick pings within HUB_FETCH_MIN_INTERVAL_SECONDS coalesce; fetches are spaced and no update is lost', async () => {
    const topic = `${publisher.origin}/feed`;
    await hub.subscribeAndWait(`${subscriber.origin}/cb`, topic);
    const ping = async () => expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await ping();
    await waitFor(() => subscriber.deliveries().length === 1, { what: 'the first delivery' });

    const before = publisher.arrivals.length;
    const started = Date.now();
    for (let i = 0; i < 25; i++) {
      guids = [`b${i}`, ...guids];
      await ping();
    }
    const elapsedS = (Date.now() - started) / 1000;
    // Everything the pings announced arrives, in at most a few deliveries.
    await waitFor(() => subscriber.deliveries().some((d) => d.body.toString().includes('<guid>b24</guid>')), {
      what: 'the last ping’s entry delivered',
    });

    const fetches = publisher.arrivals.slice(before);
    // Each burst inside one interval costs one fetch, plus the one a ping during a running fetch queues.
    expect(fetches.length).toBeLessThanOrEqual(Math.ceil(elapsedS / INTERVAL_S) + 2);
    const all = publisher.arrivals.map((a) => a.at);
    for (let i = 1; i < all.length; i++) expect(all[i] - all[i - 1]).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 50);
    const delivered = subscriber
      .deliveries()
      .map((d) => d.body.toString())
      .join('');
    for (let i = 0; i < 25; i++) expect(delivered).toContain(`<guid>b${i}</guid>`);
  }, 60_000);
});

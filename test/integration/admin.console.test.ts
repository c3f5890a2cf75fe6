import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { signInConsole, type ConsoleClient } from '../helpers/console.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'a92e4094fe2aa359b84b7dca7c671098';

describe('admin console', () => {
  test('is off (404) when HUB_ADMIN_TOKEN is unset', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ROLE: 'web' });
    try {
      for (const path of ['/admin/ui/', '/admin/ui/sign-in', '/admin/ui/console.css']) {
        expect((await fetch(new URL(path, hub.url), { redirect: 'manual' })).status).toBe(404);
      }
    } finally {
      await hub.stop();
    }
  });

  describe('with HUB_ADMIN_TOKEN', () => {
    let hub: TestHub;
    let publisher: Publisher;
    let subscriber: Subscriber;
    beforeAll(async () => {
      ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis', { HUB_ADMIN_TOKEN: TOKEN }));
    }, HUB_START_TIMEOUT);
    afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

    test('pages send the browser to sign in; a wrong token is refused; the right one sets an HttpOnly SameSite=Strict cookie', async () => {
      const page = await fetch(new URL('/admin/ui/topics', hub.url), { redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/admin/ui/sign-in');
      const form = await fetch(new URL('/admin/ui/sign-in', hub.url));
      const html = await form.text();
      expect(html).toContain('type="password"');
      const csp = form.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(form.headers.get('x-content-type-options')).toBe('nosniff');
      const post = (token: string) =>
        fetch(new URL('/admin/ui/sign-in', hub.url), {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }).toString(),
        });
      const wrong = await post('not-the-token-at-all');
      expect(wrong.status).toBe(401);
      expect(wrong.headers.getSetCookie()).toHaveLength(0);
      const right = await post(TOKEN);
      expect(right.status).toBe(303);
      const [cookie] = right.headers.getSetCookie();
      expect(cookie).toMatch(/^crier_console=/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/; Path=\/admin\/ui(;|$)/);
      expect(cookie).not.toMatch(/Secure/i); // the hub's public URL is http here
      expect(cookie).not.toContain(TOKEN);
    });

    test('the JSON admin API keeps its bearer token beside the console', async () => {
      const res = await fetch(new URL('/admin/topics', hub.url), { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(Array.isArray(await res.json())).toBe(true);
      expect((await fetch(new URL('/admin/topics', hub.url))).status).toBe(401);
    });

    test('an action without the CSRF token, or with one of another session, is refused (403) and changes nothing', async () => {
      const topic = publisher.topicUrl('/csrf.xml');
      publisher.set('/csrf.xml', { body: rss(['c1']), contentType: 'application/rss+xml' });
      await hub.subscribeAndWait(`${subscriber.origin}/csrf`, topic);
      const [{ id }] = await hub.query('select id from topics where url = $1', [topic]);
      const one = await signInConsole(hub.url, TOKEN);
      const other = await signInConsole(hub.url, TOKEN);
      expect((await one.post('/actions/pause-topic', { id: String(id) })).status).toBe(403);
      const confirm = await other.get(`/confirm/pause-topic?id=${id}`);
      const foreign = /name="_csrf" value="([^"]+)"/.exec(confirm.text)![1];
      expect((await one.post('/actions/pause-topic', { id: String(id), _csrf: foreign })).status).toBe(403);
      expect((await one.post('/sign-out', {})).status).toBe(403);
      expect((await hub.query('select paused_at from topics where id = $1', [id]))[0].paused_at).toBeNull();
      // Without a session at all: refused before the CSRF check.
      const anonymous = await fetch(new URL('/admin/ui/actions/pause-topic', hub.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `id=${id}`,
      });
      expect(anonymous.status).toBe(401);
      // The same action through its confirm page goes through.
      expect((await one.act('pause-topic', { id: String(id) })).status).toBe(303);
      expect((await hub.query('select paused_at from topics where id = $1', [id]))[0].paused_at).not.toBeNull();
    });

    test('ending a subscription removes it and sends hub.mode=denied to its callback; fetch now fetches the topic', async () => {
      const topic = publisher.topicUrl('/end.xml');
      publisher.set('/end.xml', { body: rss(['e1']), contentType: 'application/rss+xml' });
      const callback = `${subscriber.origin}/end`;
      await hub.subscribeAndWait(callback, topic);
      const [{ id, topic_id: topicId }] = await hub.query('select id, topic_id from subscriptions where callback = $1', [callback]);
      const client = await signInConsole(hub.url, TOKEN);
      const fetched = publisher.fetches('/end.xml').length;
      expect((await client.act('fetch-topic', { id: String(topicId) })).status).toBe(303);
      await waitFor(() => publisher.fetches('/end.xml').length > fetched, { what: 'the fetch asked for' });

      const ended = await client.act('end-subscription', { id: String(id) });
      expect(ended).toEqual({ status: 303, location: '/admin/ui/subscriptions?done=end-subscription' });
      await waitFor(() => subscriber.verifications().some((v) => v.url.startsWith('/end?') && v.query.get('hub.mode') === 'denied'), {
        what: 'the denied notice',
      });
      const notice = subscriber.verifications().find((v) => v.url.startsWith('/end?') && v.query.get('hub.mode') === 'denied')!;
      expect(notice.query.get('hub.topic')).toBe(topic);
      expect(notice.query.get('hub.reason')).toBe('subscription ended by the hub operator');
      expect(await hub.query('select 1 from subscriptions where id = $1', [id])).toHaveLength(0);
    });

    test('bad input gets a 4xx with a reason, never a 5xx', async () => {
      const client = await signInConsole(hub.url, TOKEN);
      for (const path of [
        '/topics/99999999999999999999',
        '/topics/-1',
        '/subscriptions/abc',
        '/confirm/no-such-action?id=1',
        '/confirm/retry?id=1e9',
        '/confirm/pause-host?host=a/b',
        '/confirm/pause-host?host=',
        '/topics?q=' + 'x'.repeat(400),
        '/topics?q=a&q=b',
        '/confirm/retry?id=424242',
        // Issue 20, item 12: a `done` naming an Object.prototype member, not an action.
        '/?done=constructor',
        '/subscriptions?done=__proto__',
        '/?done=toString',
        '/?done=no-such-action',
      ]) {
        const res = await client.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: path.includes('done=') ? 400 : expect.any(Number) });
        expect([400, 404]).toContain(res.status);
        expect(res.text.trim().length).toBeGreaterThan(0);
      }
      expect((await client.get('/topics?q=%25_%5C')).status).toBe(200);
    });

    test('a topic URL and feed and entry titles holding <script> are shown as text', async () => {
      const path = '/x.xml?<script>alert(1)</script>';
      const topic = publisher.topicUrl(path);
      publisher.set('/x.xml', {
        body:
          '<?xml version="1.0"?><rss version="2.0"><channel><title>&lt;script&gt;alert("feed")&lt;/script&gt;</title>' +
          '<item><guid>s1</guid><title>&lt;img src=x onerror=alert(2)&gt;</title><link>javascript:alert(3)</link></item></channel></rss>',
        contentType: 'application/rss+xml',
      });
      expect(
        (await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/xss?<b>"'`, 'hub.topic': topic })).status,
      ).toBe(202);
      await waitFor(async () => (await hub.query(`select 1 from subscriptions where callback like '%/xss%'`)).length === 1, {
        what: 'the subscription',
      });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      const [{ id }] = await hub.query(`select id from topics where url like '%x.xml%'`);
      await waitFor(async () => (await hub.query('select 1 from notifications where topic_id = $1', [id])).length === 1, {
        what: 'the notification',
      });
      const client = await signInConsole(hub.url, TOKEN);
      const page = await client.get(`/topics/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('&lt;script&gt;alert(&quot;feed&quot;)&lt;/script&gt;');
      expect(page.text).toContain('&lt;img src=x onerror=alert(2)&gt;');
      expect(page.text).not.toMatch(/<script|<img|javascript:/i);
      const subs = await client.get(`/subscriptions?q=xss`);
      expect(subs.text).not.toMatch(/<b>/);
    });
  });
});

describe.each(BACKENDS)('console pauses on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let client: ConsoleClient;
  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_ADMIN_TOKEN: TOKEN }));
    client = await signInConsole(hub.url, TOKEN);
    // A first embedded start loads PGlite, slow on a busy machine.
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const deliveriesTo = (path: string) => subscriber.deliveries().filter((d) => d.url === path);
  const fetchJobsDone = async () => (await hub.hub.deps.queues.fetch.getJobCounts('completed')).completed ?? 0;
  const fetchQueueIdle = async () => {
    const c = await hub.hub.deps.queues.fetch.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(c).every((n) => n === 0);
  };

  test('the queue pages show every queue and list its jobs per state, read-only', async () => {
    const page = await client.get('/queues');
    expect(page.status).toBe(200);
    for (const name of ['verify', 'fetch', 'deliver']) {
      expect(page.text).toContain(`<td>${name}</td>`);
      expect(page.text).toContain(`href="/admin/ui/queues/${name}/failed"`);
    }
    const topic = publisher.topicUrl('/listed.xml');
    publisher.set('/listed.xml', { body: rss(['l1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/listed`, topic);
    const [{ id }] = await hub.query('select id from topics where url = $1', [topic]);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    const fetched = async () =>
      (await hub.hub.deps.queues.fetch.getJobs(['completed'])).find((job) => String(job?.data.topicId) === String(id));
    await waitFor(async () => (await fetched()) !== undefined, { what: "the ping's fetch job completed" });
    const job = (await fetched())!;
    const listed = await client.get('/queues/fetch/completed');
    expect(listed.text).toContain(`<td class="url">${job.id}</td>`);
    expect(listed.text).toContain(escapeHtml(JSON.stringify(job.data)));
    expect(listed.text).toMatch(/<th>Failed reason<\/th>/);
    expect(listed.text).toContain('aria-current="page" href="/admin/ui/queues/fetch/completed"');
    for (const path of ['/queues/nowhere/failed', '/queues/fetch/paused', '/queues/constructor/failed'])
      expect([path, (await client.get(path)).status]).toEqual([path, 404]);
    // Without a session the list is not shown: the browser is sent to sign in.
    const anonymous = await fetch(new URL('/admin/ui/queues/fetch/completed', hub.url), { redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/admin/ui/sign-in']);
  });

  test("a job's data and error are shown as text: a <script> in them renders inert", async () => {
    const script = '<script>window.__pwned=1</script>';
    // Not an id: the verifier's lookup fails with an error that quotes it, on its only attempt.
    const job = await hub.hub.deps.queues.verify.add('<b>verify</b>', { intentIds: [script as unknown as number] }, { attempts: 1 });
    await waitFor(async () => (await job.getState()) === 'failed', { what: 'the hostile job failed' });
    const failed = await hub.hub.deps.queues.verify.getJob(job.id!);
    const reason = failed?.failedReason ?? '';
    expect(reason).not.toBe('');
    const page = await client.get('/queues/verify/failed');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(page.text).not.toContain('<script');
    expect(page.text).not.toContain('<b>verify');
    expect(page.text).toContain('&lt;b&gt;verify&lt;/b&gt;');
    expect(page.text).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(page.text).toContain(escapeHtml(reason));
  });

  test('a paused topic is not fetched; its ping is served when it resumes', async () => {
    const topic = publisher.topicUrl('/paused-topic.xml');
    publisher.set('/paused-topic.xml', { body: rss(['p1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/pt`, topic);
    const [{ id }] = await hub.query('select id from topics where url = $1', [topic]);
    await waitFor(fetchQueueIdle, { what: 'no fetch in flight' });
    expect((await client.act('pause-topic', { id: String(id) })).status).toBe(303);
    const done = await fetchJobsDone();
    const fetchesBefore = publisher.fetches('/paused-topic.xml').length;
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    // The fetch job ran and skipped the topic: nothing fetched, the ping still waiting.
    await waitFor(async () => (await fetchJobsDone()) > done, { what: 'the fetch job of the paused topic' });
    expect(publisher.fetches('/paused-topic.xml')).toHaveLength(fetchesBefore);
    expect((await hub.query('select fetch_requested_at from topics where id = $1', [id]))[0].fetch_requested_at).not.toBeNull();
    expect((await client.get(`/topics/${id}`)).text).toContain('paused since');

    expect((await client.act('resume-topic', { id: String(id) })).status).toBe(303);
    await waitFor(() => deliveriesTo('/pt').length === 1, { what: 'the delivery after the resume' });
    expect(deliveriesTo('/pt')[0].body.toString()).toContain('<guid>p1</guid>');
  });

  test('deliveries to a paused callback host wait without spending attempts and go out when it resumes', async () => {
    const topic = publisher.topicUrl('/paused-host.xml');
    publisher.set('/paused-host.xml', { body: rss(['h1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/ph`, topic);
    const host = new URL(subscriber.origin).host;
    expect((await client.act('pause-host', { host })).status).toBe(303);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    const row = async () =>
      (
        await hub.query(
          `select d.status, d.attempts, d.last_error from deliveries d join subscriptions s on s.id = d.subscription_id where s.callback = $1`,
          [`${subscriber.origin}/ph`],
        )
      )[0];
    await waitFor(async () => (await row())?.status === 'retrying', { what: 'the postponed delivery' });
    expect(await row()).toMatchObject({ attempts: 0, last_error: expect.stringContaining('paused') });
    expect(deliveriesTo('/ph')).toHaveLength(0);

    expect((await client.act('resume-host', { host })).status).toBe(303);
    await waitFor(() => deliveriesTo('/ph').length === 1, { what: 'the delivery after the resume' });
    await waitFor(async () => (await row())?.status === 'delivered', { what: 'the delivery recorded' });
    expect(deliveriesTo('/ph')[0].body.toString()).toContain('<guid>h1</guid>');
  });
});

/** As eta escapes a `<%= %>` value. */
function escapeHtml(text: string): string {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return text.replace(/[&<>"']/g, (c) => entities[c]);
}

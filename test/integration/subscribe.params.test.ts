import type { TestHub } from '../helpers/hub.js';
import { freePort } from '../helpers/ports.js';
import { startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

// Pure request validation does not depend on the storage backend: one is enough.
describe('subscription and publish parameters on pg-redis', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis'));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const subscribeFields = (path: string, extra: Record<string, string | string[]> = {}) => ({
    'hub.mode': 'subscribe',
    'hub.callback': `${subscriber.origin}${path}`,
    'hub.topic': publisher.topicUrl(`${path}.xml`),
    ...extra,
  });
  const activeCount = async (callback: string) =>
    (await hub.query('select count(*)::int as n from subscriptions where callback = $1', [callback]))[0].n as number;

  /** POSTs raw bytes with a chosen content type, bypassing form encoding. */
  async function postRaw(body: Buffer | string, contentType: string | undefined) {
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    const res = await fetch(hub.url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** H9: a 4xx with a short, single-line, plain-text reason. */
  function expectPlainReason(res: { status: number; text: string; headers: Headers }, status: number) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^[^\r\n]{3,200}\n?$/);
  }

  test('GET /healthz answers 200 once storage and queues are ready', async () => {
    const res = await fetch(new URL('/healthz', hub.url));
    expect(res.status).toBe(200);
    await res.text();
  });

  test('H2: a secret of 200 bytes (100 two-byte characters) is rejected', async () => {
    const secret = 'é'.repeat(100);
    expect(Buffer.byteLength(secret)).toBe(200);
    expect(secret.length).toBe(100);
    const res = await hub.post(subscribeFields('/h2-long', { 'hub.secret': secret }));
    expectPlainReason(res, 400);
    expect(res.text).toMatch(/secret/);
  });

  test('H2: a secret of 199 bytes is accepted and stored byte for byte', async () => {
    const secret = `${'é'.repeat(99)}a`;
    expect(Buffer.byteLength(secret)).toBe(199);
    const fields = subscribeFields('/h2-ok', { 'hub.secret': secret });
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(async () => (await activeCount(fields['hub.callback'])) === 1, { what: 'activation' });
    const [row] = await hub.query('select secret from subscriptions where callback = $1', [fields['hub.callback']]);
    expect(hub.hub.deps.secrets.open(row.secret)).toBe(secret);
  });

  test('H4: parameters the hub does not understand (foo, hub.foo) are ignored', async () => {
    const fields = subscribeFields('/h4', { foo: 'bar', 'hub.foo': 'bar' });
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(async () => (await activeCount(fields['hub.callback'])) === 1, { what: 'activation' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h4?'))!;
    expect(v.query.has('foo')).toBe(false);
    expect(v.query.has('hub.foo')).toBe(false);
  });

  test('H6: a topic subscribed as %7Efeed and published as ~feed is the same topic', async () => {
    const callback = `${subscriber.origin}/h6`;
    publisher.set('/~feed', {
      body: '<rss version="2.0"><channel><item><guid>h6-1</guid></item></channel></rss>',
      contentType: 'application/rss+xml',
    });
    const encoded = `${publisher.origin}/%7Efeed`;
    const plain = `${publisher.origin}/~feed`;
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': encoded })).status).toBe(202);
    await waitFor(async () => (await activeCount(callback)) === 1, { what: 'activation' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h6?'))!;
    expect(v.query.get('hub.topic')).toBe(plain);
    expect((await hub.query('select url from topics where url like $1', [`${publisher.origin}/%feed`])).map((r) => r.url)).toEqual([plain]);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': plain })).status).toBeLessThan(300);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/h6'), { what: 'delivery' });
  });

  test('H6: percent-encoded reserved characters are kept encoded (only unreserved ones are decoded)', async () => {
    const callback = `${subscriber.origin}/h6-reserved`;
    const topic = `${publisher.origin}/a%2Fb%7e?q=%41%26`;
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic })).status).toBe(202);
    await waitFor(async () => (await activeCount(callback)) === 1, { what: 'activation' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h6-reserved?'))!;
    expect(v.query.get('hub.topic')).toBe(`${publisher.origin}/a%2Fb~?q=A%26`);
  });

  describe('H9: each bad request gets a 4xx with a one-line plain-text reason', () => {
    const longUrl = () => `${publisher.origin}/${'x'.repeat(2100)}`;
    const cases: Array<[string, () => Record<string, string | string[]>]> = [
      ['hub.mode missing', () => ({ 'hub.callback': `${subscriber.origin}/h9`, 'hub.topic': publisher.topicUrl('/h9.xml') })],
      ['hub.mode unknown', () => subscribeFields('/h9', { 'hub.mode': 'subscribed' })],
      ['hub.callback missing', () => ({ 'hub.mode': 'subscribe', 'hub.topic': publisher.topicUrl('/h9.xml') })],
      ['hub.callback not http(s)', () => subscribeFields('/h9', { 'hub.callback': 'ftp://127.0.0.1/cb' })],
      ['hub.callback not a URL', () => subscribeFields('/h9', { 'hub.callback': 'not a url' })],
      ['hub.topic missing', () => ({ 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/h9` })],
      ['hub.topic not http(s)', () => subscribeFields('/h9', { 'hub.topic': 'javascript:alert(1)' })],
      ['hub.topic longer than 2048 characters', () => subscribeFields('/h9', { 'hub.topic': longUrl() })],
      ['hub.callback longer than 2048 characters', () => subscribeFields('/h9', { 'hub.callback': longUrl() })],
      [
        'hub.callback with credentials',
        () => subscribeFields('/h9', { 'hub.callback': `http://user:pw@127.0.0.1:${new URL(subscriber.origin).port}/h9` }),
      ],
      [
        'hub.topic with credentials',
        () => subscribeFields('/h9', { 'hub.topic': `http://user@127.0.0.1:${new URL(publisher.origin).port}/h9.xml` }),
      ],
      ['hub.lease_seconds not a number', () => subscribeFields('/h9', { 'hub.lease_seconds': 'ten days' })],
      ['hub.lease_seconds fractional', () => subscribeFields('/h9', { 'hub.lease_seconds': '12.5' })],
      ['hub.lease_seconds negative', () => subscribeFields('/h9', { 'hub.lease_seconds': '-60' })],
      [
        'hub.topic repeated with different values',
        () => ({ ...subscribeFields('/h9'), 'hub.topic': [publisher.topicUrl('/a.xml'), publisher.topicUrl('/b.xml')] }),
      ],
    ];
    test.each(cases)('%s → 400', async (_name, fields) => {
      const before = subscriber.requests.length;
      const intentsBefore = (await hub.query('select count(*)::int as n from intents'))[0].n as number;
      expectPlainReason(await hub.post(fields()), 400);
      // Refused before anything was stored, so nothing can ever call the subscriber.
      expect((await hub.query('select count(*)::int as n from intents'))[0].n).toBe(intentsBefore);
      expect(subscriber.requests.length).toBe(before);
    });

    test('a body over 64 KiB → 413', async () => {
      const body = `hub.mode=subscribe&hub.callback=${encodeURIComponent(`${subscriber.origin}/h9`)}&foo=${'x'.repeat(70 * 1024)}`;
      expectPlainReason(await postRaw(body, 'application/x-www-form-urlencoded'), 413);
    });

    test('a JSON body → 415', async () => {
      const body = JSON.stringify(subscribeFields('/h9'));
      expectPlainReason(await postRaw(body, 'application/json'), 415);
    });

    test('a body without a content type → 415', async () => {
      expectPlainReason(await postRaw(new URLSearchParams(subscribeFields('/h9')).toString(), undefined), 415);
    });

    test('a multipart body → 415', async () => {
      const form = new FormData();
      for (const [k, v] of Object.entries(subscribeFields('/h9'))) form.append(k, v);
      const res = await fetch(hub.url, { method: 'POST', body: form });
      expectPlainReason({ status: res.status, text: await res.text(), headers: res.headers }, 415);
    });

    test('a body that is not valid UTF-8 → 400', async () => {
      const valid = Buffer.from(new URLSearchParams(subscribeFields('/h9', { 'hub.secret': 'x' })).toString());
      const body = Buffer.concat([valid.subarray(0, valid.length - 1), Buffer.from([0xff, 0xfe])]);
      expectPlainReason(await postRaw(body, 'application/x-www-form-urlencoded'), 400);
    });

    test('a form field percent-encoding invalid UTF-8 → 400', async () => {
      const valid = new URLSearchParams(subscribeFields('/h9')).toString();
      expectPlainReason(await postRaw(`${valid}&hub.secret=%C3%28`, 'application/x-www-form-urlencoded'), 400);
    });

    test('GET of an unknown path → 404, PUT / → 405', async () => {
      const missing = await fetch(new URL('/nope', hub.url));
      expectPlainReason({ status: missing.status, text: await missing.text(), headers: missing.headers }, 404);
      const put = await fetch(hub.url, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } });
      expectPlainReason({ status: put.status, text: await put.text(), headers: put.headers }, 405);
    });
  });

  test('H10: the answer is 202 even when the callback will refuse verification', async () => {
    const refusing = await startSubscriber({ verify: () => ({ status: 404, body: 'no thanks' }) });
    try {
      const callback = `${refusing.origin}/h10`;
      const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/h10.xml') });
      expect(res.status).toBe(202);
      await waitFor(() => refusing.verifications().length === 1, { what: 'verification' });
      // Final once the intent is gone: dropped after the refusal.
      await waitFor(async () => (await hub.query('select 1 from intents where callback = $1', [callback])).length === 0, {
        what: 'the intent dropped',
      });
      expect(await activeCount(callback)).toBe(0);
    } finally {
      await refusing.close();
    }
  });

  test('H10: the answer is 202 even when nothing listens on the callback', async () => {
    const port = await freePort();
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': `http://127.0.0.1:${port}/h10`,
      'hub.topic': publisher.topicUrl('/h10b.xml'),
    });
    expect(res.status).toBe(202);
  });

  describe('H17: publish pings', () => {
    const ping = (fields: Record<string, string | string[]>) => hub.post({ 'hub.mode': 'publish', ...fields });
    test.each<[string, () => Record<string, string | string[]>]>([
      ['one hub.url', () => ({ 'hub.url': publisher.topicUrl('/h17-a.xml') })],
      ['repeated hub.url', () => ({ 'hub.url': [publisher.topicUrl('/h17-a.xml'), publisher.topicUrl('/h17-b.xml')] })],
      ['hub.url[]', () => ({ 'hub.url[]': [publisher.topicUrl('/h17-a.xml'), publisher.topicUrl('/h17-c.xml')] })],
      ['hub.topic', () => ({ 'hub.topic': publisher.topicUrl('/h17-a.xml') })],
      ['a topic nobody subscribes to', () => ({ 'hub.url': 'https://unknown.example/never-subscribed.xml' })],
    ])('publish with %s answers 2xx', async (_name, fields) => {
      const res = await ping(fields());
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
    });

    test('publish naming no URL answers 400 with a reason', async () => {
      expectPlainReason(await ping({}), 400);
    });

    test('publish with a non-http URL answers 400 with a reason', async () => {
      expectPlainReason(await ping({ 'hub.url': 'file:///etc/passwd' }), 400);
    });
  });

  test('H3: on unsubscribe a lease, even a malformed one, is ignored', async () => {
    const fields = { ...subscribeFields('/h3-unsub'), 'hub.mode': 'unsubscribe', 'hub.lease_seconds': 'not-a-number' };
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(() => subscriber.verifications().some((r) => r.url.startsWith('/h3-unsub?')), { what: 'unsubscribe verification' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h3-unsub?'))!;
    expect(v.query.get('hub.mode')).toBe('unsubscribe');
    expect(v.query.has('hub.lease_seconds')).toBe(false);
  });

  test('H3: without hub.lease_seconds the default lease (about 10 days) is granted', async () => {
    const fields = subscribeFields('/h3-default');
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(async () => (await activeCount(fields['hub.callback'])) === 1, { what: 'activation' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h3-default?'))!;
    expect(v.query.get('hub.lease_seconds')).toBe('864000');
    const [row] = await hub.query(
      'select lease_seconds, extract(epoch from expires_at - verified_at)::int as lease from subscriptions where callback = $1',
      [fields['hub.callback']],
    );
    expect(row).toEqual({ lease_seconds: 864000, lease: 864000 });
  });

  test('H3: a lease above the maximum is clamped to it', async () => {
    const fields = subscribeFields('/h3-max', { 'hub.lease_seconds': '99999999' });
    expect((await hub.post(fields)).status).toBe(202);
    await waitFor(async () => (await activeCount(fields['hub.callback'])) === 1, { what: 'activation' });
    const v = subscriber.verifications().find((r) => r.url.startsWith('/h3-max?'))!;
    expect(v.query.get('hub.lease_seconds')).toBe(String(hub.config.leaseMaxSeconds));
  });
});

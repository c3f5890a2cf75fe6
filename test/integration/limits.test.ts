import { readFileSync } from 'node:fs';
import { provisionBackend, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

/** Fixed one-minute windows: the hubs' clock is set to the middle of a minute, so no count straddles an edge. */
const MINUTE = Math.floor(Date.now() / 60_000) * 60_000;
const MID_MINUTE = MINUTE + 30_000;

describe('limits on what a stranger controls (H28)', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis', {
      HUB_MAX_REQUEST_BYTES: '4096',
      HUB_MAX_PUBLISH_URLS: '3',
      HUB_MAX_CONTENT_BYTES: '2048',
    }));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  async function subscribe(path: string, topicPath: string) {
    const callback = `${subscriber.origin}${path}`;
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl(topicPath) })).status).toBe(
      202,
    );
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
      what: 'subscription',
    });
    return callback;
  }

  test('H28: a request body over HUB_MAX_REQUEST_BYTES is refused with 413, one under it is read', async () => {
    const base = { 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/big`, 'hub.topic': publisher.topicUrl('/x') };
    expect((await hub.post({ ...base, padding: 'p'.repeat(5000) })).status).toBe(413);
    expect((await hub.post({ ...base, padding: 'p'.repeat(3000) })).status).toBe(202);
    // A Content-Length over the cap is refused before the body is read.
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'hub.mode=publish&hub.url=' + 'a'.repeat(10_000),
    });
    expect(res.status).toBe(413);
  });

  test('H28: a hub.callback, hub.topic or hub.url longer than 2048 characters is refused with 400', async () => {
    const long = (origin: string) => `${origin}/${'a'.repeat(2100)}`;
    const topic = publisher.topicUrl('/t');
    const callback = `${subscriber.origin}/cb`;
    for (const fields of <Array<Record<string, string>>>[
      { 'hub.mode': 'subscribe', 'hub.callback': long(subscriber.origin), 'hub.topic': topic },
      { 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': long(publisher.origin) },
      { 'hub.mode': 'publish', 'hub.url': long(publisher.origin) },
    ]) {
      const res = await hub.post(fields);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/longer than 2048/);
    }
    const exact = `${subscriber.origin}/${'b'.repeat(2048 - subscriber.origin.length - 1)}`;
    expect(exact).toHaveLength(2048);
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': exact, 'hub.topic': topic })).status).toBe(202);
  });

  test('H2 H28: a hub.secret of 200 bytes or more is refused with 400, counted in bytes', async () => {
    const base = { 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/secret`, 'hub.topic': publisher.topicUrl('/s') };
    expect((await hub.post({ ...base, 'hub.secret': 's'.repeat(199) })).status).toBe(202);
    expect((await hub.post({ ...base, 'hub.secret': 's'.repeat(200) })).status).toBe(400);
    const multibyte = await hub.post({ ...base, 'hub.secret': 'é'.repeat(100) });
    expect(multibyte.status).toBe(400);
    expect(multibyte.text).toMatch(/200 bytes/);
  });

  test('H28: a ping naming more than HUB_MAX_PUBLISH_URLS URLs is refused with 400; exactly the cap is accepted', async () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => publisher.topicUrl(`/many-${i}`));
    const over = await hub.post({ 'hub.mode': 'publish', 'hub.url': urls(4) });
    expect(over.status).toBe(400);
    expect(over.text).toMatch(/at most 3/);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': urls(2), 'hub.topic': urls(1)[0] + '?x' })).status).toBe(204);
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url[]': urls(2), 'hub.url': urls(2) })).status).toBe(400);
  });

  test('H28: a topic larger than HUB_MAX_CONTENT_BYTES is not delivered and the topic row records why (declared and streamed sizes)', async () => {
    const big = rss(['big-1'], `<description>${'x'.repeat(3000)}</description>`);
    publisher.set('/big-declared.xml', {
      body: big,
      contentType: 'application/rss+xml',
      headers: { 'content-length': String(Buffer.byteLength(big)) },
    });
    publisher.set('/big-chunked.xml', { body: big, contentType: 'application/rss+xml' });
    await subscribe('/big-declared', '/big-declared.xml');
    await subscribe('/big-chunked', '/big-chunked.xml');
    for (const [path, message] of [
      ['/big-declared.xml', /declares \d+ bytes, over the 2048 byte cap/],
      ['/big-chunked.xml', /sent more than the 2048 byte cap/],
    ] as const) {
      const url = publisher.topicUrl(path);
      expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': url })).status).toBe(204);
      await waitFor(
        async () => (await hub.query('select last_fetch_error from topics where url = $1', [url]))[0].last_fetch_error !== null,
        { what: `fetch of ${path}` },
      );
      const [row] = await hub.query('select last_fetch_error, content_hash from topics where url = $1', [url]);
      expect(row.last_fetch_error).toMatch(message);
      expect(row.content_hash).toBeNull();
    }
    expect(publisher.fetches('/big-chunked.xml')[0]).toBeDefined();
    expect(publisher.fetches('/big-declared.xml')[0]).toBeDefined();
    // The too-large fetches were recorded as failed (permanent: not retried) and made no notification: nothing to deliver.
    const made = await hub.query("select n.id from notifications n join topics t on t.id = n.topic_id where t.url like '%/big-%'");
    expect(made).toHaveLength(0);
    expect(subscriber.deliveries().filter((d) => d.url.startsWith('/big-'))).toHaveLength(0);
  });

  // How fast the parser gets through it is test/unit/feeds/hostile.test.ts's to prove, in counts of work.
  test('H28: a billion-laughs topic is delivered with its entities left unexpanded', async () => {
    const bomb = readFileSync(new URL('../fixtures/feeds/entity-bomb.xml', import.meta.url));
    publisher.set('/bomb.xml', { body: bomb, contentType: 'application/rss+xml' });
    await subscribe('/bomb', '/bomb.xml');
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl('/bomb.xml') })).status).toBe(204);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/bomb'), { what: 'bomb delivery' });
    const delivered = subscriber.deliveries().find((d) => d.url === '/bomb')!;
    expect(delivered.body.length).toBeLessThan(bomb.length * 2);
    expect(delivered.body.toString()).toContain('<guid>bomb-1</guid>');
    expect(delivered.body.toString()).not.toContain('lollollol');
  });
});

describe('rate limits shared by every web process (H28)', () => {
  let shared: Awaited<ReturnType<typeof provisionBackend>>;
  let one: TestHub;
  let two: TestHub;
  let now = MID_MINUTE;
  const clock = () => now;
  const env = { HUB_ROLE: 'web', HUB_RATE_LIMIT_PER_MINUTE: '4', HUB_TRUST_PROXY: '1' };
  const form = (callbackHost: string, n: number) => ({
    'hub.mode': 'subscribe',
    'hub.callback': `http://${callbackHost}/cb/${n}`,
    'hub.topic': 'http://publisher.example/feed',
  });

  beforeAll(async () => {
    shared = await provisionBackend('pg-redis');
    one = await startTestHub('pg-redis', env, { shared, clock });
    two = await startTestHub('pg-redis', env, { shared, clock });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await one.stop();
    await two.stop();
    await shared.cleanup();
  });
  afterEach(() => {
    now = MID_MINUTE;
  });

  test('H28: two hubs on one database share the per-client count; the fifth subscribe gets 429 with Retry-After', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.10' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await (i % 2 ? two : one).post(form(`cb${i}.example`, i), headers)).status);
    expect(statuses).toEqual([202, 202, 202, 202]);
    for (const hub of [one, two]) {
      const res = await hub.post(form('cb-late.example', 9), headers);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.text).toMatch(/more than 4 requests a minute/);
    }
    // Another client is not affected.
    expect((await one.post(form('cb-other.example', 1), { 'x-forwarded-for': '198.51.100.11' })).status).toBe(202);
  });

  test('H28: the count starts again in the next minute, and Retry-After says when', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.50' };
    const ping = { 'hub.mode': 'publish', 'hub.url': 'http://publisher.example/feed' };
    for (let i = 0; i < 4; i++) expect((await one.post(ping, headers)).status).toBe(204);
    now = MINUTE + 59_001;
    const late = await two.post(ping, headers);
    expect(late.status).toBe(429);
    expect(late.headers.get('retry-after')).toBe('1');
    now = MINUTE + 60_000;
    expect((await two.post(ping, headers)).status).toBe(204);
  });

  test('H28: publishes count per client address across hubs', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.20' };
    const ping = { 'hub.mode': 'publish', 'hub.url': 'http://publisher.example/feed' };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await (i % 2 ? two : one).post(ping, headers)).status);
    expect(statuses).toEqual([204, 204, 204, 204, 429]);
  });

  test('H28: subscribes count per callback host across hubs, whatever the client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await (i % 2 ? two : one).post(form('Victim.example:8080', i), { 'x-forwarded-for': `203.0.113.${i + 1}` })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
    // Counted on what the target is: the same registrable domain in capitals, with a trailing dot,
    // under another name or on another port shares the count (issue 9, item 3).
    for (const [i, host] of ['victim.example:8080', 'WWW.victim.example.', 'api.victim.example:9999'].entries()) {
      expect({ host, status: (await one.post(form(host, 7 + i), { 'x-forwarded-for': `203.0.113.${99 - i}` })).status }).toEqual({
        host,
        status: 429,
      });
    }
    expect((await one.post(form('bystander.example', 7), { 'x-forwarded-for': '203.0.113.98' })).status).toBe(202);
  });

  test('H28: with HUB_TRUST_PROXY=1 only the entry the proxy appended counts, so a forged leftmost entry does not dodge the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await one.post(form(`spoof${i}.example`, i), { 'x-forwarded-for': `10.9.9.${i}, 198.51.100.30` })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
  });

  test('H28: IPv6 clients are counted per /64', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await one.post(form(`v6-${i}.example`, i), { 'x-forwarded-for': `2001:db8:42:1::${i + 1}` })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
  });
});

describe('rate limit switches (H28)', () => {
  const clock = () => MID_MINUTE;

  test('H28: without HUB_TRUST_PROXY, X-Forwarded-For is ignored and the socket address is counted', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ROLE: 'web', HUB_RATE_LIMIT_PER_MINUTE: '3' }, { clock });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await hub.post(
          { 'hub.mode': 'publish', 'hub.url': 'http://publisher.example/feed' },
          { 'x-forwarded-for': `198.51.100.${40 + i}` },
        );
        statuses.push(res.status);
      }
      expect(statuses).toEqual([204, 204, 204, 429]);
    } finally {
      await hub?.stop();
    }
  });

  test('issue 20 item 3: GET retrieve, long-poll and stream opens count against HUB_RATE_LIMIT_PER_MINUTE per client', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ROLE: 'web', HUB_RATE_LIMIT_PER_MINUTE: '3' }, { clock });
    try {
      const topic = encodeURIComponent('http://publisher.example/feed');
      const statuses: number[] = [];
      for (const wait of ['', '&wait=poll&timeout=1', '&wait=stream', '', '&wait=stream']) {
        const res = await fetch(`${hub.url}?hub.mode=retrieve&hub.topic=${topic}${wait}`);
        statuses.push(res.status);
        if (res.status === 429) expect(res.headers.get('retry-after')).toBe('30');
        await res.body?.cancel();
      }
      // The topic is unknown to this hub: 404 until the client is over its limit.
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
    } finally {
      await hub?.stop();
    }
  });

  test('H28: HUB_RATE_LIMIT_PER_MINUTE=0 turns the limits off', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ROLE: 'web', HUB_RATE_LIMIT_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 30; i++) {
        expect(
          (
            await hub.post({
              'hub.mode': 'subscribe',
              'hub.callback': `http://same.example/cb${i}`,
              'hub.topic': 'http://publisher.example/feed',
            })
          ).status,
        ).toBe(202);
      }
      expect(await hub.query('select * from rate_limits')).toHaveLength(0);
    } finally {
      await hub?.stop();
    }
  });
});

import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

describe.each(BACKENDS)('retrieve on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let topic: string;
  let seqs: number[];

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
    topic = publisher.topicUrl('/log.xml');
    await hub.subscribeAndWait(`${subscriber.origin}/log`, topic);
    const items: string[] = [];
    for (const guid of ['a', 'b', 'c']) {
      items.unshift(guid);
      publisher.set('/log.xml', { body: rss(items), contentType: 'application/rss+xml' });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/log').length === items.length, { what: `delivery of ${guid}` });
    }
    seqs = subscriber
      .deliveries()
      .filter((d) => d.url === '/log')
      .map((d) => Number(d.headers['x-crier-seq']));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': topic, ...params })}`, { headers });
  const guids = (text: string) => [...text.matchAll(/<guid>(\w+)<\/guid>/g)].map((m) => m[1]);

  test('a retrieve answers the latest entries, newest first, as the topic’s own document with the newest id in X-Crier-Seq', async () => {
    const res = await get({});
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml');
    expect(res.headers.get('x-crier-seq')).toBe(String(seqs[2]));
    const text = await res.text();
    expect(guids(text)).toEqual(['c', 'b', 'a']);
    expect(text).toContain('<title>T</title>');
  });

  test('count, before and after page through the log', async () => {
    expect(guids(await (await get({ count: '2' })).text())).toEqual(['c', 'b']);
    const older = await get({ before: String(seqs[2]) });
    expect(guids(await older.text())).toEqual(['b', 'a']);
    expect(older.headers.get('x-crier-seq')).toBe(String(seqs[1]));
    const newer = await get({ after: String(seqs[0]), count: '1' });
    expect(guids(await newer.text())).toEqual(['b']);
    expect((await get({ after: String(seqs[2]) })).status).toBe(204);
  });

  test('format=json, or Accept: application/feed+json, answers a JSON Feed 1.1 whose items carry _crier.seq', async () => {
    for (const res of [await get({ format: 'json' }), await get({}, { accept: 'application/feed+json' })]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
      const feed = await res.json();
      expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
      expect(feed.items.map((i: { id: string }) => i.id)).toEqual(['c', 'b', 'a']);
      expect(feed.items.map((i: { _crier: { seq: number } }) => i._crier.seq)).toEqual([seqs[2], seqs[1], seqs[0]]);
    }
  });

  test('a topic that is not a feed answers its latest content', async () => {
    const page = publisher.topicUrl('/page.html');
    publisher.set('/page.html', { body: '<html>v1</html>', contentType: 'text/html' });
    await hub.subscribeAndWait(`${subscriber.origin}/page`, page);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': page });
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/page'), { what: 'page delivery' });
    const res = await fetch(`${hub.url}?hub.mode=retrieve&hub.topic=${encodeURIComponent(page)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toBe('<html>v1</html>');
  });

  test('an unknown topic is 404 and bad parameters are 400, each with a one-line reason', async () => {
    const unknown = await fetch(`${hub.url}?hub.mode=retrieve&hub.topic=${encodeURIComponent(publisher.topicUrl('/nope'))}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/^this hub knows no topic .+\n$/);
    const bad: Array<Record<string, string>> = [
      { count: '0' },
      { count: '51' },
      { count: 'ten' },
      { before: '-1' },
      { after: '1e3' },
      { before: '5', after: '2' },
      { format: 'xml' },
      { wait: 'forever' },
      { wait: 'poll', timeout: '56' },
      { 'hub.topic': 'ftp://example.com/' },
      { 'hub.topic': `http://example.com/${'x'.repeat(2100)}` },
    ];
    for (const params of bad) {
      const res = await get(params);
      expect([params, res.status]).toEqual([params, 400]);
      expect(await res.text()).toMatch(/^[^\n]+\n$/);
    }
    expect((await fetch(`${hub.url}?hub.mode=subscribe`)).status).toBe(400);
    const lastEventId = await get({}, { 'last-event-id': 'abc' });
    expect(lastEventId.status).toBe(400);
  });
});

import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

describe.each(BACKENDS)('long-poll on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const items = new Map<string, string[]>();

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  /** A topic with one subscriber and `guid` as its first update; returns its URL. */
  async function topicWith(path: string, guid: string): Promise<string> {
    const topic = publisher.topicUrl(path);
    await hub.subscribeAndWait(`${subscriber.origin}${path}`, topic);
    await update(path, guid);
    return topic;
  }

  /** Adds `guid` to the topic at `path`, pings, and waits for its callback delivery; returns its X-Crier-Seq. */
  async function update(path: string, guid: string): Promise<number> {
    const list = [guid, ...(items.get(path) ?? [])];
    items.set(path, list);
    publisher.set(path, { body: rss(list), contentType: 'application/rss+xml' });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl(path) });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === path).length === list.length, { what: `delivery of ${guid}` });
    return Number(subscriber.deliveries().filter((d) => d.url === path)[list.length - 1].headers['x-crier-seq']);
  }

  const poll = (topics: string[], params: Record<string, string> = {}) => {
    const query = new URLSearchParams({ 'hub.mode': 'retrieve', wait: 'poll', timeout: '25', ...params });
    for (const t of topics) query.append('hub.topic', t);
    return fetch(`${hub.url}?${query}`);
  };
  const guids = (text: string) => [...text.matchAll(/<guid>(\w+)<\/guid>/g)].map((m) => m[1]);

  test('a long-poll without after is held until the next update, then answered with it and its X-Crier-Seq', async () => {
    const topic = await topicWith('/lp1.xml', 'a');
    const answer = poll([topic]);
    await waitFor(() => hub.hub.live!.updates.size === 1, { what: 'the long-poll held' });
    const seq = await update('/lp1.xml', 'b');
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-crier-seq')).toBe(String(seq));
    expect(guids(await res.text())).toEqual(['b']);
  });

  test('a long-poll with after older than the log is answered at once with what is newer', async () => {
    const topic = publisher.topicUrl('/lp1.xml');
    const res = await poll([topic], { after: '0', count: '1' });
    expect(res.status).toBe(200);
    expect(guids(await res.text())).toEqual(['a']);
  });

  test('one long-poll watches several topics and is answered with the one that changed', async () => {
    const first = await topicWith('/lp2.xml', 'x1');
    const second = await topicWith('/lp3.xml', 'y1');
    const latest = await fetch(`${hub.url}?hub.mode=retrieve&hub.topic=${encodeURIComponent(second)}`);
    const newest = Number(latest.headers.get('x-crier-seq'));
    const answer = poll([first, second], { after: String(newest), format: 'json' });
    await waitFor(() => hub.hub.live!.updates.size === 1, { what: 'the long-poll held' });
    const seq = await update('/lp3.xml', 'y2');
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toContain(`<${second}>; rel="self"`);
    const feed = await res.json();
    expect(feed.items.map((i: { id: string; _crier: { seq: number } }) => [i.id, i._crier.seq])).toEqual([['y2', seq]]);
  });

  test('a long-poll that sees no update answers 204 at its timeout', async () => {
    const started = Date.now();
    const res = await poll([publisher.topicUrl('/lp1.xml')], { timeout: '1' });
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

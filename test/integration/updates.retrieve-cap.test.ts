import { EventSource } from 'eventsource';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

/** Each stored update is about 450 bytes: two fit under the cap, three do not. */
const MAX_BYTES = 1024;
const PADDING = `<description>${'p'.repeat(250)}</description>`;
const GUIDS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

/** The URL of a `Link` header's rel="next", if it has one. */
function nextLink(res: Response): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
}

describe.each(BACKENDS)('HUB_RETRIEVE_MAX_BYTES on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let topic: string;
  let seqs: number[];

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_RETRIEVE_MAX_BYTES: String(MAX_BYTES) }));
    topic = publisher.topicUrl('/cap.xml');
    await hub.subscribeAndWait(`${subscriber.origin}/cap`, topic);
    const items: string[] = [];
    for (const guid of GUIDS) {
      items.unshift(guid);
      publisher.set('/cap.xml', { body: rss(items, PADDING), contentType: 'application/rss+xml' });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/cap').length === items.length, { what: `delivery of ${guid}` });
    }
    seqs = subscriber
      .deliveries()
      .filter((d) => d.url === '/cap')
      .map((d) => Number(d.headers['x-crier-seq']));
    const sizes = await hub.query<{ size: number }>(
      'select octet_length(c.body) as size from notifications n join contents c on c.hash = n.content_hash where n.id = any($1::bigint[])',
      [seqs],
    );
    // The test's premise: every update fits alone, no three fit together.
    for (const { size } of sizes) expect(size * 3 > MAX_BYTES && size <= MAX_BYTES).toBe(true);
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const url = (params: Record<string, string>) =>
    `${hub.url}?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': topic, ...params })}`;
  const guids = (text: string) => [...text.matchAll(/<guid>(\w+)<\/guid>/g)].map((m) => m[1]);

  /** Follows rel="next" from `first` to the end; each page's entries, and whether every page but the last said it was cut. */
  async function follow(first: string, read: (res: Response) => Promise<string[]>): Promise<string[][]> {
    const pages: string[][] = [];
    let next: string | undefined = first;
    while (next) {
      expect(next.startsWith(hub.url)).toBe(true);
      const res = await fetch(next);
      expect(res.status).toBe(200);
      pages.push(await read(res));
      next = nextLink(res);
      expect(res.headers.get('x-crier-truncated')).toBe(next ? `max-bytes=${MAX_BYTES}` : null);
      expect(pages.length).toBeLessThanOrEqual(GUIDS.length);
    }
    return pages;
  }

  test('a retrieve over the cap answers fewer entries, says so, and its next links yield the rest, none lost or repeated', async () => {
    const res = await fetch(url({ count: '6' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-crier-truncated')).toBe(`max-bytes=${MAX_BYTES}`);
    const first = guids(await res.text());
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(6);
    expect(res.headers.get('link')).toContain(`<${topic}>; rel="self"`);
    const next = nextLink(res)!;
    expect(new URL(next).searchParams.get('before')).toBe(String(seqs[GUIDS.length - first.length]));
    expect(new URL(next).searchParams.get('count')).toBe(String(6 - first.length));

    const pages = await follow(url({ count: '6' }), async (r) => guids(await r.text()));
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(['u6', 'u5', 'u4', 'u3', 'u2', 'u1']);
  });

  test('the JSON form pages the same way, keeping format=json in its next links', async () => {
    const pages = await follow(url({ count: '6', format: 'json' }), async (r) => {
      expect(r.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
      return ((await r.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id);
    });
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(['u6', 'u5', 'u4', 'u3', 'u2', 'u1']);
  });

  test('paging forward with after: each next link starts after the newest update sent', async () => {
    const pages = await follow(url({ after: String(seqs[0]), count: '5' }), async (r) => guids(await r.text()).reverse());
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(['u2', 'u3', 'u4', 'u5', 'u6']);
  });

  test('an answer under the cap is unchanged: no X-Crier-Truncated, no next link', async () => {
    const res = await fetch(url({ count: '1' }));
    expect(guids(await res.text())).toEqual(['u6']);
    expect(res.headers.get('x-crier-truncated')).toBeNull();
    expect(nextLink(res)).toBeUndefined();
    expect(res.headers.get('x-crier-seq')).toBe(String(seqs[5]));
  });

  test('a long-poll over the cap answers at once with fewer entries and a next link that yields the rest', async () => {
    const pages = await follow(url({ wait: 'poll', timeout: '5', after: String(seqs[0]), count: '5' }), async (r) =>
      guids(await r.text()).reverse(),
    );
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(['u2', 'u3', 'u4', 'u5', 'u6']);
  });

  test('a stream resuming past the cap reads on: every update after Last-Event-ID once, in order', async () => {
    const events: string[] = [];
    const source = new EventSource(url({ wait: 'stream' }), {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'last-event-id': String(seqs[0]) } }),
    });
    source.addEventListener('notification', (e) => events.push(e.lastEventId));
    try {
      await waitFor(() => events.length >= 5, { what: 'the five updates after the first' });
      expect(events).toEqual(seqs.slice(1).map(String));
    } finally {
      source.close();
    }
  });
});

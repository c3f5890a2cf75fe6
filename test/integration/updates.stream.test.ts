import { EventSource } from 'eventsource';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

/**
 * The events a stream's text makes for httpx-sse (its SSEDecoder): a block
 * with any field at all is an event, even one with no data, so a block of
 * `retry:` alone arrives as an empty message. Comment lines are skipped.
 */
function decodeLikeHttpxSse(text: string) {
  const events: Array<{ event: string; data: string; id: string; retry?: number }> = [];
  let block: { event: string; data: string[]; id: string; retry?: number } = { event: '', data: [], id: '' };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (block.event || block.data.length || block.id || block.retry !== undefined)
        events.push({ event: block.event || 'message', data: block.data.join('\n'), id: block.id, retry: block.retry });
      block = { event: '', data: [], id: '' };
      continue;
    }
    if (line.startsWith(':')) continue;
    const [field, ...rest] = line.split(':');
    const value = rest.join(':').replace(/^ /, '');
    if (field === 'event') block.event = value;
    else if (field === 'data') block.data.push(value);
    else if (field === 'id') block.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) block.retry = Number(value);
  }
  return events;
}

interface Received {
  id: string;
  type: string;
  data: string;
}

/** A real EventSource client (the eventsource package) recording every event; `headers` go on its requests. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const events: Received[] = [];
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
  });
  source.addEventListener('notification', (e) => events.push({ id: e.lastEventId, type: e.type, data: e.data }));
  return { source, events };
}

describe.each(BACKENDS)('event streams on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const items = new Map<string, string[]>();
  const open: EventSource[] = [];

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_STREAM_HEARTBEAT_MS: '200', HUB_MAX_STREAMS: '6' }));
  }, HUB_START_TIMEOUT);
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const watching = (n: number) => waitFor(() => hub.hub.live!.updates.size === n, { what: `${n} readers held` });

  async function update(path: string, guid: string): Promise<number> {
    const list = [guid, ...(items.get(path) ?? [])];
    items.set(path, list);
    publisher.set(path, { body: rss(list), contentType: 'application/rss+xml' });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl(path) });
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === path).length === list.length, { what: `delivery of ${guid}` });
    return Number(subscriber.deliveries().filter((d) => d.url === path)[list.length - 1].headers['x-crier-seq']);
  }

  async function topicWith(path: string, guid: string): Promise<string> {
    const topic = publisher.topicUrl(path);
    await hub.subscribeAndWait(`${subscriber.origin}${path}`, topic);
    await update(path, guid);
    return topic;
  }

  const streamUrl = (topics: string[], params: Record<string, string> = {}) => {
    const query = new URLSearchParams({ 'hub.mode': 'retrieve', wait: 'stream', ...params });
    for (const t of topics) query.append('hub.topic', t);
    return `${hub.url}?${query}`;
  };

  test('a stream gets each update as an event: id the log id, event notification, JSON data with topic, type, counts and body', async () => {
    const topic = await topicWith('/s1.xml', 'a');
    const { source, events } = openStream(streamUrl([topic]));
    open.push(source);
    await watching(1);
    const seq = await update('/s1.xml', 'b');
    await waitFor(() => events.length === 1, { what: 'the event' });
    expect(events[0].id).toBe(String(seq));
    expect(events[0].type).toBe('notification');
    const data = JSON.parse(events[0].data);
    expect(data).toMatchObject({ seq, topic, contentType: 'application/rss+xml', newEntries: 1, updatedEntries: 0 });
    expect(data.body).toContain('<guid>b</guid>');
    expect(data.body).not.toContain('<guid>a</guid>');
  });

  test('Last-Event-ID resumes with exactly the updates after it, in order, then live ones; Accept: text/event-stream opens a stream', async () => {
    const topic = await topicWith('/s2.xml', 'c1');
    const first = Number(subscriber.deliveries().filter((d) => d.url === '/s2.xml')[0].headers['x-crier-seq']);
    const missed = [await update('/s2.xml', 'c2'), await update('/s2.xml', 'c3')];
    const url = `${hub.url}?hub.mode=retrieve&hub.topic=${encodeURIComponent(topic)}`;
    const { source, events } = openStream(url, { 'last-event-id': String(first), accept: 'text/event-stream' });
    open.push(source);
    await waitFor(() => events.length === 2, { what: 'the two missed updates' });
    expect(events.map((e) => Number(e.id))).toEqual(missed);
    const live = await update('/s2.xml', 'c4');
    await waitFor(() => events.length === 3, { what: 'the live update' });
    expect(events.map((e) => Number(e.id))).toEqual([...missed, live]);
  });

  test('one stream carries several topics; format=json sends each update as a JSON Feed', async () => {
    const a = await topicWith('/s3.xml', 'x1');
    const b = await topicWith('/s4.xml', 'y1');
    const { source, events } = openStream(streamUrl([a, b], { format: 'json' }));
    open.push(source);
    await watching(1);
    const seqs = [await update('/s4.xml', 'y2'), await update('/s3.xml', 'x2')];
    await waitFor(() => events.length === 2, { what: 'two events' });
    expect(events.map((e) => Number(e.id))).toEqual(seqs);
    const feeds = events.map((e) => JSON.parse(e.data));
    expect(feeds.map((f) => [f.feed_url, f.items[0].id, f.items[0]._crier.seq])).toEqual([
      [b, 'y2', seqs[0]],
      [a, 'x2', seqs[1]],
    ]);
  });

  test('an idle stream gets a comment heartbeat (HUB_STREAM_HEARTBEAT_MS)', async () => {
    const res = await fetch(streamUrl([publisher.topicUrl('/s1.xml')]));
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(':\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  test('item 16: the retry field goes with the first event; the headers come at once with a comment, no empty event', async () => {
    const topic = await topicWith('/s5.xml', 'r1');
    const res = await fetch(streamUrl([topic]));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // Answered before any update: the first bytes are a comment.
    let text = decoder.decode((await reader.read()).value, { stream: true });
    expect(text).toMatch(/^:/);
    await watching(1);
    const seqs = [await update('/s5.xml', 'r2'), await update('/s5.xml', 'r3')];
    while (!text.includes(`id: ${seqs[1]}`)) text += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    const events = decodeLikeHttpxSse(text);
    expect(events.map((e) => [e.event, e.id, e.retry])).toEqual([
      ['notification', String(seqs[0]), 1000],
      ['notification', String(seqs[1]), undefined],
    ]);
    for (const e of events) expect(JSON.parse(e.data).seq).toBe(Number(e.id));
  });

  test('HUB_MAX_STREAMS: a stream over the process cap is refused 503 with Retry-After', async () => {
    const topic = publisher.topicUrl('/s1.xml');
    for (let i = 0; i < 6; i++) open.push(openStream(streamUrl([topic])).source);
    await watching(6);
    const refused = await fetch(streamUrl([topic]));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.text()).toMatch(/^[^\n]+\n$/);
  });

  test('shutting the hub down ends its streams cleanly', async () => {
    const res = await fetch(streamUrl([publisher.topicUrl('/s1.xml')]));
    const reader = res.body!.getReader();
    await watching(1);
    const closing = hub.hub.close();
    // A reset connection would reject a read: the stream must end as a whole response.
    const decoder = new TextDecoder();
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
    await closing;
    expect(text).toMatch(/^:/);
    expect(decodeLikeHttpxSse(text)).toEqual([]);
    expect(hub.hub.live!.updates.size).toBe(0);
  });
});

import type { Backend, TestHub } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { bodyHash } from '../../src/feeds/index.js';
import { signInConsole } from '../helpers/console.js';

const TOKEN = 'meaning-console-token-0123456789abcdef';

/**
 * Issue 26 through a running hub: a topic re-serialised by its publisher
 * (another serialiser, a minifier) delivers nothing; an edit arrives as one
 * update naming what changed; entries stored before the canonical form
 * existed migrate at their first changed comparison instead of arriving again.
 */

type Item = { id: string; title: string };

const rss = (items: Item[], style: 'tidy' | 'other'): string =>
  style === 'tidy'
    ? `<?xml version="1.0"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>\n${items
        .map((i) => `<item><guid isPermaLink="false">${i.id}</guid><title>${i.title}</title><dc:creator>me</dc:creator></item>`)
        .join('\n')}\n</channel></rss>\n`
    : `<?xml version='1.0'?>\n<rss version='2.0' xmlns:d='http://purl.org/dc/elements/1.1/'><channel><title>T</title>\n${items
        .map(
          (i) =>
            `<item>\n  <guid isPermaLink='false'>${i.id}</guid>\n  <title><![CDATA[${i.title}]]></title>\n  <d:creator>me</d:creator>\n</item>`,
        )
        .join('\n')}\n</channel></rss>\n`;

const json = (items: Item[], style: 'tidy' | 'other'): string =>
  style === 'tidy'
    ? JSON.stringify(
        { version: 'https://jsonfeed.org/version/1.1', title: 'J', items: items.map((i) => ({ id: i.id, title: i.title })) },
        null,
        2,
      )
    : JSON.stringify({ items: items.map((i) => ({ title: i.title, id: i.id })), title: 'J', version: 'https://jsonfeed.org/version/1.1' });

const FORMATS = {
  rss: { contentType: 'application/rss+xml', render: rss },
  'json-feed': { contentType: 'application/feed+json', render: json },
};

const BACKENDS_HERE: Backend[] = ['pg-redis', 'embedded'];

describe.each(BACKENDS_HERE)('issue 26: entries compared by meaning through the hub on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_ADMIN_TOKEN: TOKEN }));
    // A first embedded start loads PGlite, slow on a busy machine.
  }, 180_000);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  /** Serves `body`, pings, and waits until the hub has fetched exactly it and every job is done. */
  async function serveAndPing(topic: string, path: string, body: string, contentType: string): Promise<void> {
    publisher.set(path, { body, contentType });
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    const hash = bodyHash(Buffer.from(body));
    await waitFor(async () => (await hub.query('select content_hash from topics where url = $1', [topic]))[0]?.content_hash === hash, {
      what: 'the fetch of the new body',
    });
    await waitFor(() => hub.idle(), { what: 'queues idle' });
  }

  test.each(Object.keys(FORMATS) as Array<keyof typeof FORMATS>)(
    '%s: re-serialised delivers nothing, an edit arrives as one update naming the title',
    async (name) => {
      const { contentType, render } = FORMATS[name];
      const path = `/meaning-${name}`;
      const topic = publisher.topicUrl(path);
      const received = () => subscriber.deliveries().filter((d) => d.url === `/sub${path}`);
      const items: Item[] = [
        { id: 'b', title: 'Second' },
        { id: 'a', title: 'First' },
      ];
      publisher.set(path, { body: render(items, 'tidy'), contentType });
      await hub.subscribeAndWait(`${subscriber.origin}/sub${path}`, topic);
      await serveAndPing(topic, path, render(items, 'tidy'), contentType);
      await waitFor(() => received().length === 1, { what: 'first delivery' });

      await serveAndPing(topic, path, render(items, 'other'), contentType);
      expect(received()).toHaveLength(1);

      items[1] = { ...items[1], title: 'First, corrected' };
      await serveAndPing(topic, path, render(items, 'other'), contentType);
      await waitFor(() => received().length === 2, { what: 'the update' });
      expect(received()[1].headers['x-crier-entries']).toBe('new=0, updated=1');
      // Delivered as the publisher wrote it now.
      expect(received()[1].body.toString()).toContain('First, corrected');
      expect(received()[1].body.toString()).not.toContain('Second');
      const [n] = await hub.query(
        'select n.updated_fields from notifications n join topics t on t.id = n.topic_id where t.url = $1 order by n.id desc limit 1',
        [topic],
      );
      expect(n.updated_fields).toEqual(['title']);
      // The console's topic view says why the subscriber got it again.
      const [{ id }] = await hub.query('select id from topics where url = $1', [topic]);
      const page = await (await signInConsole(hub.url, TOKEN)).get(`/topics/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<small class="changed">updated: title</small>');
    },
  );

  test('entries stored before the canonical form migrate without a burst, then edits arrive', async () => {
    const path = '/meaning-upgrade';
    const topic = publisher.topicUrl(path);
    const received = () => subscriber.deliveries().filter((d) => d.url === `/sub${path}`);
    const items: Item[] = [
      { id: 'y', title: 'Why' },
      { id: 'x', title: 'Ex' },
    ];
    await hub.subscribeAndWait(`${subscriber.origin}/sub${path}`, topic);
    await serveAndPing(topic, path, rss(items, 'tidy'), 'application/rss+xml');
    await waitFor(() => received().length === 1, { what: 'first delivery' });
    // What migration 000015 leaves for rows stored before it: no fingerprint.
    await hub.query('update seen_entries set meaning = null where topic_id = (select id from topics where url = $1)', [topic]);

    await serveAndPing(topic, path, rss(items, 'other'), 'application/rss+xml');
    expect(received()).toHaveLength(1);
    const rows = await hub.query('select meaning from seen_entries where topic_id = (select id from topics where url = $1)', [topic]);
    expect(rows.map((r) => String(r.meaning).slice(0, 3))).toEqual(['m1:', 'm1:']);

    items[0] = { ...items[0], title: 'Why not' };
    await serveAndPing(topic, path, rss(items, 'other'), 'application/rss+xml');
    await waitFor(() => received().length === 2, { what: 'the update' });
    expect(received()[1].headers['x-crier-entries']).toBe('new=0, updated=1');
  });
});

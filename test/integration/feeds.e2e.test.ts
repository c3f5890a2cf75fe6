import { XMLValidator } from 'fast-xml-parser';
import { parseFeed } from '../../src/feeds/index.js';
import type { Backend, TestHub } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

type Entry = { id: string; title: string; body: string };

/** Three real-world formats, each rendering a list of entries. */
const FORMATS: Record<string, { contentType: string; render: (entries: Entry[]) => string }> = {
  atom: {
    contentType: 'application/atom+xml',
    render: (entries) =>
      `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">\n<title>Atom topic</title><id>urn:feed</id><updated>2026-01-01T00:00:00Z</updated>\n${entries
        .map(
          (e) =>
            `<entry xml:base="http://example.com/"><id>urn:${e.id}</id><title type="html"><![CDATA[${e.title}]]></title><media:thumbnail url="t.png"/><content>${e.body}</content><updated>2026-01-01T00:00:00Z</updated></entry>`,
        )
        .join('\n')}\n</feed>\n`,
  },
  rss: {
    contentType: 'application/rss+xml; charset=utf-8',
    render: (entries) =>
      `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>RSS topic</title><link>http://example.com/</link>\n${entries
        .map(
          (e) =>
            `<item><guid isPermaLink="false">${e.id}</guid><title>${e.title}</title><dc:creator>me</dc:creator><description>${e.body}</description></item>`,
        )
        .join('\n')}\n</channel></rss>\n`,
  },
  'json-feed': {
    contentType: 'application/feed+json',
    render: (entries) =>
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'JSON topic',
        items: entries.map((e) => ({ id: e.id, title: e.title, content_text: e.body })),
      }),
  },
};

const BACKENDS_HERE: Backend[] = ['pg-redis', 'embedded'];

describe.each(BACKENDS_HERE)('feed diffing through the running hub on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  test.each(Object.keys(FORMATS))(
    '%s: a new entry arrives alone, an unchanged feed sends nothing, an edited entry arrives as an update',
    async (name) => {
      const format = FORMATS[name];
      const path = `/${name}`;
      const topic = publisher.topicUrl(path);
      const callback = `${subscriber.origin}/sub-${name}`;
      const received = () => subscriber.deliveries().filter((d) => d.url === `/sub-${name}`);
      const publish = () => hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      const entries: Entry[] = [
        { id: 'e2', title: 'Second & more', body: 'two' },
        { id: 'e1', title: 'First', body: 'one' },
      ];
      publisher.set(path, { body: format.render(entries), contentType: format.contentType });
      await hub.subscribeAndWait(callback, topic);

      // First fetch: every entry the topic carries.
      await publish();
      await waitFor(() => received().length === 1, { what: 'first delivery' });
      const first = received()[0];
      expect(first.headers['content-type']).toBe(format.contentType);
      expect(first.headers['x-crier-entries']).toBe('new=2, updated=0');

      // A new entry: exactly that entry, in a well-formed document of the topic's format.
      entries.unshift({ id: 'e3', title: 'Third', body: 'three' });
      publisher.set(path, { body: format.render(entries), contentType: format.contentType });
      await publish();
      await waitFor(() => received().length === 2, { what: 'new entry' });
      const second = received()[1];
      const parsed = parseFeed(second.body, String(second.headers['content-type']));
      expect(parsed.kind).toBe('feed');
      if (parsed.kind !== 'feed') return;
      expect(parsed.doc.format).toBe(name);
      expect(parsed.doc.entries.map((e) => e.id)).toEqual([name === 'atom' ? 'urn:e3' : 'e3']);
      expect(second.headers['x-crier-entries']).toBe('new=1, updated=0');
      if (name !== 'json-feed') {
        expect(XMLValidator.validate(second.body.toString())).toBe(true);
        // The entry exactly as the publisher wrote it.
        const source = format.render([entries[0]]);
        const entryTag = name === 'atom' ? 'entry' : 'item';
        const written = source.slice(source.indexOf(`<${entryTag}`), source.indexOf(`</${entryTag}>`) + entryTag.length + 3);
        expect(second.body.toString()).toContain(written);
      }

      // Unchanged: nothing.
      await publish();
      // The fetch that served this ping is recorded (its mark cleared) and made no new notification.
      await waitFor(
        async () => (await hub.query('select fetch_requested_at from topics where url = $1', [topic]))[0].fetch_requested_at === null,
        {
          what: 'the unchanged fetch recorded',
        },
      );
      const notifications = await hub.query('select n.id from notifications n join topics t on t.id = n.topic_id where t.url = $1', [
        topic,
      ]);
      expect(notifications).toHaveLength(2);
      expect(received()).toHaveLength(2);

      // An edited entry arrives as an update.
      entries[1] = { ...entries[1], body: 'two, edited' };
      publisher.set(path, { body: format.render(entries), contentType: format.contentType });
      await publish();
      await waitFor(() => received().length === 3, { what: 'update' });
      expect(received()[2].headers['x-crier-entries']).toBe('new=0, updated=1');
      expect(received()[2].body.toString()).toContain('two, edited');
      expect(received()[2].body.toString()).not.toContain('three');
    },
  );
});

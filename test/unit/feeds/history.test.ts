import { describe, expect, it } from '@jest/globals';
import {
  parseFeed,
  renderHistory,
  renderHistoryAsync,
  renderHistoryJson,
  toJsonFeed,
  toJsonFeedAsync,
  type LoggedBody,
} from '../../../src/feeds/index.js';
import { readFixture } from './fixtures.js';

const rssOf = (items: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Log</title>\n${items
    .map((i) => `<item><guid>${i}</guid><title>${i} &amp; co</title><description>&lt;p&gt;${i}&lt;/p&gt;</description></item>`)
    .join('\n')}\n</channel></rss>\n`;

const logged = (seq: number, body: string, contentType = 'application/rss+xml', counts = { newEntries: 1, updatedEntries: 0 }) =>
  ({ seq, body: Buffer.from(body), contentType, ...counts }) as LoggedBody;

function guids(body: Buffer): string[] {
  const outcome = parseFeed(body, 'application/rss+xml');
  if (outcome.kind !== 'feed') throw new Error(`not a feed: ${outcome.kind}`);
  return outcome.doc.entries.map((e) => e.id);
}

describe('renderHistory', () => {
  // Newest first, as the update log hands them over.
  const bodies = [
    logged(7, rssOf(['c'])),
    logged(5, rssOf(['b', 'a'])),
    logged(2, rssOf(['a']), undefined, { newEntries: 1, updatedEntries: 0 }),
  ];

  it('puts the latest entries of several notifications into the newest document, newest first, each once', () => {
    const doc = renderHistory(bodies, 10);
    expect(guids(doc.body)).toEqual(['c', 'b', 'a']);
    expect(doc.newestSeq).toBe(7);
    expect(doc.contentType).toBe('application/rss+xml');
    expect(doc.body.toString()).toContain('<item><guid>b</guid><title>b &amp; co</title>');
  });

  it('stops at count entries', () => {
    expect(guids(renderHistory(bodies, 2).body)).toEqual(['c', 'b']);
  });

  it('keeps the feed-level markup of the newest document as written', () => {
    const source = readFixture('rss2-two-items.xml');
    const doc = renderHistory([{ seq: 3, body: source, contentType: 'application/rss+xml', newEntries: 2, updatedEntries: 0 }], 1);
    const text = doc.body.toString();
    expect(text).toContain('xmlns:dc="http://purl.org/dc/elements/1.1/"');
    expect(text).toContain('<title>Two items</title>');
    expect(text).toContain('urn:example:2');
    expect(text).not.toContain('urn:example:1');
  });

  it('gives a topic that is not a feed its latest body whole', () => {
    const doc = renderHistory([logged(9, '<html>new</html>', 'text/html'), logged(4, '<html>old</html>', 'text/html')], 10);
    expect(doc.body.toString()).toBe('<html>new</html>');
    expect(doc.newestSeq).toBe(9);
  });

  it('answers an empty log with an empty body and no sequence id', () => {
    expect(renderHistory([], 10).newestSeq).toBeUndefined();
  });
});

describe('renderHistoryJson', () => {
  it('converts RSS entries into JSON Feed 1.1 items carrying _crier.seq, status and the original id', () => {
    const bodies = [
      logged(8, rssOf(['b']), undefined, { newEntries: 0, updatedEntries: 1 }),
      logged(6, rssOf(['b', 'a']), undefined, { newEntries: 2, updatedEntries: 0 }),
    ];
    const doc = renderHistoryJson(bodies, 10, 'http://example.com/feed');
    expect(doc.contentType).toBe('application/feed+json; charset=utf-8');
    const feed = JSON.parse(doc.body.toString());
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.title).toBe('Log');
    expect(feed.feed_url).toBe('http://example.com/feed');
    expect(feed.items).toEqual([
      { id: 'b', title: 'b & co', content_html: '<p>b</p>', _crier: { seq: 8, status: 'updated', id: 'b' } },
      { id: 'a', title: 'a & co', content_html: '<p>a</p>', _crier: { seq: 6, status: 'new', id: 'a' } },
    ]);
    expect(doc.newestSeq).toBe(8);
  });

  it('converts the fixture RSS dates to RFC 3339', () => {
    const source = readFixture('rss2-two-items.xml');
    const doc = renderHistoryJson(
      [{ seq: 1, body: source, contentType: 'application/rss+xml', newEntries: 2, updatedEntries: 0 }],
      10,
      'http://e/',
    );
    const items = JSON.parse(doc.body.toString()).items;
    expect(items.map((i: { date_published?: string }) => i.date_published)).toEqual([
      '2024-01-02T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
    ]);
  });

  it('keeps a JSON Feed topic’s items as written (a 20-digit id stays exact) and adds _crier to each', () => {
    const json = '{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":12345678901234567891,"content_text":"x"},{}]}';
    const doc = renderHistoryJson([logged(4, json, 'application/feed+json')], 10, 'http://e/j');
    const text = doc.body.toString();
    expect(text).toContain('{"_crier":{"seq":4,"status":"new","id":"12345678901234567891"},"id":12345678901234567891');
    expect(JSON.parse(text).items).toHaveLength(2);
  });

  it('wraps a plain topic’s latest body as one text item', () => {
    const doc = renderHistoryJson([logged(3, 'hello', 'text/plain')], 10, 'http://e/t');
    const feed = JSON.parse(doc.body.toString());
    expect(feed.items).toEqual([
      { id: 'http://e/t#3', content_text: 'hello', _crier: { seq: 3, status: 'new', id: 'http://e/t#3', content_type: 'text/plain' } },
    ]);
  });
});

describe('toJsonFeed (crier.format=json deliveries)', () => {
  const keysOf = (body: string) => {
    const outcome = parseFeed(Buffer.from(body), 'application/rss+xml');
    if (outcome.kind !== 'feed') throw new Error('not a feed');
    return new Map(outcome.doc.entries.map((e) => [e.id, e.key]));
  };

  it('converts every entry of one delivered body, telling new from updated by the keys recorded with it', () => {
    const body = rssOf(['b', 'a']);
    const updatedKeys = [keysOf(body).get('a')!];
    const doc = toJsonFeed({ ...logged(12, body, undefined, { newEntries: 1, updatedEntries: 1 }), updatedKeys }, 'http://e/t');
    expect(doc.contentType).toBe('application/feed+json; charset=utf-8');
    expect(doc.newestSeq).toBe(12);
    const feed = JSON.parse(doc.body.toString('utf8'));
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.title).toBe('Log');
    expect(feed.items.map((i: { _crier: unknown }) => i._crier)).toEqual([
      { seq: 12, status: 'new', id: 'b' },
      { seq: 12, status: 'updated', id: 'a' },
    ]);
  });

  it('keeps a JSON Feed body as written, writing the version URL for a bare "1.0" and the id and content an item lacks', () => {
    const body = '{"version": "1.0", "title": "J", "items": [{"url": "http://e/1", "title": "one"}, {"id": 7, "content_text": "x"}]}';
    const doc = toJsonFeed(logged(3, body, 'application/feed+json', { newEntries: 2, updatedEntries: 0 }), 'http://e/t');
    const text = doc.body.toString('utf8');
    expect(text).toContain('{"_crier":{"seq":3,"status":"new","id":"7"},"id": 7, "content_text": "x"}');
    const feed = JSON.parse(text);
    expect(feed.version).toBe('https://jsonfeed.org/version/1');
    expect(feed.items[0]).toEqual({
      _crier: { seq: 3, status: 'new', id: 'http://e/1' },
      id: 'http://e/1',
      content_text: '',
      url: 'http://e/1',
      title: 'one',
    });
  });
});

describe('toJsonFeed of an Atom entry document', () => {
  it('makes its one entry an item with its id, link, title and content', () => {
    const body = `<?xml version="1.0"?><entry xmlns="http://www.w3.org/2005/Atom"><id>urn:e:1</id><title>One</title>
      <link href="http://e/1"/><updated>2026-01-02T03:04:05Z</updated><content type="html">&lt;p&gt;hi&lt;/p&gt;</content></entry>`;
    const doc = toJsonFeed(logged(5, body, 'application/atom+xml'), 'http://e/t');
    const feed = JSON.parse(doc.body.toString('utf8'));
    expect(feed.items).toEqual([
      {
        id: 'urn:e:1',
        url: 'http://e/1',
        title: 'One',
        content_html: '<p>hi</p>',
        date_modified: '2026-01-02T03:04:05.000Z',
        _crier: { seq: 5, status: 'new', id: 'urn:e:1' },
      },
    ]);
  });
});

describe('the sliced (async) renderings', () => {
  it('give the same bytes as the straight-through ones', async () => {
    const bodies = [logged(7, rssOf(['c'])), logged(5, rssOf(['b', 'a']))];
    expect(await toJsonFeedAsync(bodies[1], 'http://e/t')).toEqual(toJsonFeed(bodies[1], 'http://e/t'));
    expect(await renderHistoryAsync(bodies, 2, 'feed', 'http://e/t')).toEqual(renderHistory(bodies, 2));
    expect(await renderHistoryAsync(bodies, 2, 'json', 'http://e/t')).toEqual(renderHistoryJson(bodies, 2, 'http://e/t'));
  });
});

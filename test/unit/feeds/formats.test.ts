import { describe, expect, it } from '@jest/globals';
import { parseFeed, type FeedFormat } from '../../../src/feeds/index.js';

/**
 * Every format the engine reads, from documents written here (the third-party
 * corpus adds breadth where present, but the engine must be covered without
 * it): the format recognised, each entry's identity and title, and the feed's
 * own self and hub links (WebSub §4 discovery).
 */
interface Case {
  body: string;
  contentType: string;
  format: FeedFormat;
  ids: string[];
  titles: string[];
  self?: string;
  hubs?: string[];
}

const CASES: Record<string, Case> = {
  'RSS 2.0 with guids and atom:link discovery': {
    body: `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>C</title>
      <atom:link rel="self" href="https://example.com/feed.xml"/><atom:link rel="hub" href="https://hub.example/"/>
      <item><guid isPermaLink="false">g-1</guid><title>One</title></item>
      <item><guid>https://example.com/2</guid><title>Two</title></item></channel></rss>`,
    contentType: 'application/rss+xml',
    format: 'rss',
    ids: ['g-1', 'https://example.com/2'],
    titles: ['One', 'Two'],
    self: 'https://example.com/feed.xml',
    hubs: ['https://hub.example/'],
  },
  'RSS 0.91 without guids: the link is the identity': {
    body: `<?xml version="1.0"?><rss version="0.91"><channel><title>C</title><link>https://example.com/</link>
      <item><title>A</title><link>https://example.com/a</link></item><item><title>B</title><link>https://example.com/b</link></item></channel></rss>`,
    contentType: 'application/rss+xml',
    format: 'rss',
    ids: ['https://example.com/a', 'https://example.com/b'],
    titles: ['A', 'B'],
  },
  'RSS 1.0 (RDF): rdf:about is the identity': {
    body: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="https://example.com/"><title>C</title><items><rdf:Seq><rdf:li resource="https://example.com/1"/></rdf:Seq></items></channel>
      <item rdf:about="https://example.com/1"><title>First</title><link>https://example.com/1</link></item></rdf:RDF>`,
    contentType: 'application/rdf+xml',
    format: 'rdf',
    ids: ['https://example.com/1'],
    titles: ['First'],
  },
  'RSS 0.90 (the Netscape namespace)': {
    body: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
      <channel><title>C</title><link>https://example.com/</link></channel>
      <item><title>Old</title><link>https://example.com/old</link></item></rdf:RDF>`,
    contentType: 'application/xml',
    format: 'rdf',
    ids: ['https://example.com/old'],
    titles: ['Old'],
  },
  'Atom 1.0 with self and hub links': {
    body: `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>urn:f</id>
      <link rel="self" href="https://example.com/atom"/><link rel="hub" href="https://hub.example/"/>
      <entry><id>urn:e:1</id><title>E1</title><updated>2026-01-01T00:00:00Z</updated></entry>
      <entry><id>urn:e:2</id><title type="html">E2 &lt;b&gt;</title><updated>2026-01-02T00:00:00Z</updated></entry></feed>`,
    contentType: 'application/atom+xml',
    format: 'atom',
    ids: ['urn:e:1', 'urn:e:2'],
    // A title of type html is shown as the text it renders to (issue 20, item 15).
    titles: ['E1', 'E2'],
    self: 'https://example.com/atom',
    hubs: ['https://hub.example/'],
  },
  'Atom 0.3': {
    body: `<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>F</title>
      <entry><id>tag:example.com,2004:1</id><title>Old Atom</title><issued>2004-01-01T00:00:00Z</issued></entry></feed>`,
    contentType: 'application/atom+xml',
    format: 'atom',
    ids: ['tag:example.com,2004:1'],
    titles: ['Old Atom'],
  },
  'an Atom entry document': {
    body: `<?xml version="1.0"?><entry xmlns="http://www.w3.org/2005/Atom"><id>urn:only</id><title>Alone</title><updated>2026-01-01T00:00:00Z</updated></entry>`,
    contentType: 'application/atom+xml;type=entry',
    format: 'atom-entry',
    ids: ['urn:only'],
    titles: ['Alone'],
  },
  'JSON Feed 1.1 with a hub': {
    body: JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'J',
      feed_url: 'https://example.com/feed.json',
      hubs: [{ type: 'WebSub', url: 'https://hub.example/' }],
      items: [
        { id: 'j1', title: 'Jay one', content_text: 'x' },
        { id: 2, url: 'https://example.com/j2', content_html: '<p>y</p>' },
      ],
    }),
    contentType: 'application/feed+json',
    format: 'json-feed',
    ids: ['j1', '2'],
    titles: ['Jay one', ''],
    self: 'https://example.com/feed.json',
    hubs: ['https://hub.example/'],
  },
  'JSON Feed 1.0 served as application/json': {
    body: JSON.stringify({ version: 'https://jsonfeed.org/version/1', title: 'J', items: [{ id: 'a', title: 'A', content_text: 'a' }] }),
    contentType: 'application/json',
    format: 'json-feed',
    ids: ['a'],
    titles: ['A'],
  },
};

describe('every format, from the repository’s own documents', () => {
  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const outcome = parseFeed(Buffer.from(c.body), c.contentType);
    expect(outcome.kind).toBe('feed');
    if (outcome.kind !== 'feed') return;
    const { doc } = outcome;
    expect(doc.format).toBe(c.format);
    expect(doc.entries.map((e) => e.id)).toEqual(c.ids);
    expect(doc.entries.map((e) => e.title ?? '')).toEqual(c.titles);
    expect(new Set(doc.entries.map((e) => e.key)).size).toBe(c.ids.length);
    if (c.self !== undefined) expect(doc.selfUrl).toBe(c.self);
    if (c.hubs !== undefined) expect(doc.hubUrls).toEqual(c.hubs);
    expect(doc.problems ?? []).toEqual([]);
  });

  it('a document that is no feed is plain content, delivered whole', () => {
    expect(parseFeed(Buffer.from('<html><body>hi</body></html>'), 'text/html').kind).toBe('plain');
    expect(parseFeed(Buffer.from('just text'), 'text/plain').kind).toBe('plain');
  });
});

describe('refresh hints', () => {
  const rss = (head: string) =>
    Buffer.from(
      `<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>C</title>${head}<item><guid>g</guid></item></channel></rss>`,
    );
  const hint = (head: string) => {
    const outcome = parseFeed(rss(head), 'application/rss+xml');
    if (outcome.kind !== 'feed') throw new Error(outcome.kind);
    return outcome.doc.refreshSeconds;
  };

  it('reads RSS ttl in minutes', () => expect(hint('<ttl>60</ttl>')).toBe(3600));
  it('reads sy:updatePeriod and sy:updateFrequency', () => {
    expect(hint('<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>')).toBe(1800);
    expect(hint('<sy:updatePeriod>daily</sy:updatePeriod>')).toBe(86400);
  });
  it('takes the longer of the two, and none when the feed gives none or nonsense', () => {
    expect(hint('<ttl>10</ttl><sy:updatePeriod>hourly</sy:updatePeriod>')).toBe(3600);
    expect(hint('')).toBeUndefined();
    expect(hint('<ttl>soon</ttl>')).toBeUndefined();
  });
});

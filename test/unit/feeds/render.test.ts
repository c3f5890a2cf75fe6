import { describe, expect, it } from '@jest/globals';
import { parseFeed, renderEntries, type FeedDocument } from '../../../src/feeds/index.js';

function doc(body: Buffer, contentType?: string): FeedDocument {
  const outcome = parseFeed(body, contentType);
  if (outcome.kind !== 'feed') throw new Error(`expected a feed, got ${outcome.kind}`);
  return outcome.doc;
}

const ATOM_ENTRY_1 = `<entry xml:base="http://e/1/" xmlns:media="http://search.yahoo.com/mrss/">
    <id>tag:e,2024:1</id><title type="html"><![CDATA[<b>One</b> &amp; more]]></title>
    <media:thumbnail url="t.png"/><thr:in-reply-to ref="x"/><link href="one"/>
  </entry>`;
const ATOM_ENTRY_2 = '<entry><id>tag:e,2024:2</id><title>Two</title></entry>';
const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<!-- generated -->
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="en">
  <title>Feed</title>
  <link rel="hub" href="https://hub.example/"/>
  <link rel="self" href="https://e/feed"/>
  ${ATOM_ENTRY_1}
  ${ATOM_ENTRY_2}
  <rights>after the entries</rights>
</feed>
`;

describe('rendering selected entries', () => {
  it('H19: keeps the prologue, the root with its namespaces, feed-level elements and the chosen entry byte-for-byte, under the topic content type', () => {
    const body = Buffer.from(ATOM);
    const d = doc(body);
    const rendered = renderEntries(body, 'application/atom+xml', new Set([d.entries[0].key]));
    expect(rendered.body.toString('utf8')).toBe(ATOM.replace(`\n  ${ATOM_ENTRY_2}`, ''));
    expect(rendered.contentType).toBe('application/atom+xml'); // the topic's own header, verbatim
  });

  it('keeps entries in source order whatever order the keys come in', () => {
    const body = Buffer.from(ATOM);
    const d = doc(body);
    const rendered = renderEntries(body, undefined, new Set([d.entries[1].key, d.entries[0].key]));
    expect(rendered.body.equals(body)).toBe(true);
  });

  it('with no keys, delivers the feed-level metadata and no entries', () => {
    const body = Buffer.from(ATOM);
    const text = renderEntries(body, undefined, new Set()).body.toString('utf8');
    expect(text).toContain('<rights>after the entries</rights>');
    expect(doc(Buffer.from(text)).entries).toEqual([]);
  });

  it('reads the feed title, self link and hub links', () => {
    expect(doc(Buffer.from(ATOM))).toMatchObject({
      format: 'atom',
      title: 'Feed',
      selfUrl: 'https://e/feed',
      hubUrls: ['https://hub.example/'],
    });
  });

  it('uses the format media type when the topic was served as text/html', () => {
    const body = Buffer.from(ATOM);
    expect(renderEntries(body, 'text/html', new Set()).contentType).toBe('application/atom+xml; charset=utf-8');
  });

  it('an Atom entry document is delivered whole', () => {
    const body = Buffer.from(`<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>Solo</title></entry>`);
    const d = doc(body);
    expect(d).toMatchObject({ format: 'atom-entry', title: 'Solo', entries: [{ id: 'urn:x' }] });
    expect(renderEntries(body, 'application/atom+xml', new Set([d.entries[0].key])).body.equals(body)).toBe(true);
  });

  it('a JSON Feed keeps its top-level fields and carries only the chosen items', () => {
    const feed = {
      version: 'https://jsonfeed.org/version/1.1',
      title: 'J',
      home_page_url: 'https://e/',
      items: [{ id: '1', title: 'a', _ext: { x: 1 } }, { id: '2' }],
    };
    const body = Buffer.from(JSON.stringify(feed, null, 2));
    const d = doc(body, 'application/feed+json');
    const rendered = renderEntries(body, 'application/feed+json', new Set([d.entries[0].key]));
    expect(JSON.parse(rendered.body.toString('utf8'))).toEqual({ ...feed, items: [feed.items[0]] });
    expect(rendered.contentType).toBe('application/feed+json');
  });

  it('plain documents come back whole with their content type', () => {
    const body = Buffer.from('<html><body>hello</body></html>');
    expect(renderEntries(body, 'text/html', new Set())).toEqual({ body, contentType: 'text/html' });
  });
});

describe('rendering RSS 1.0', () => {
  const RDF = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="http://e/">
    <title>R</title>
    <items><rdf:Seq>
      <rdf:li resource="http://e/1"/>
      <rdf:li rdf:resource="http://e/2" />
    </rdf:Seq></items>
  </channel>
  <item rdf:about="http://e/1"><title>1</title></item>
  <item rdf:about="http://e/2"><title>2</title></item>
</rdf:RDF>`;

  it('drops the channel table-of-contents entries of items not delivered', () => {
    const body = Buffer.from(RDF);
    const d = doc(body);
    const text = renderEntries(body, undefined, new Set([d.entries[1].key])).body.toString('utf8');
    expect(text).not.toContain('http://e/1');
    expect(text).toContain('<rdf:li rdf:resource="http://e/2" />');
    expect(text).toContain('<item rdf:about="http://e/2"><title>2</title></item>');
  });
});

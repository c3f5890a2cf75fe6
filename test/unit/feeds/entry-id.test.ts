import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { entryIdentity, parseFeed, type FeedEntry } from '../../../src/feeds/index.js';

function entries(xml: string): FeedEntry[] {
  const outcome = parseFeed(Buffer.from(xml), undefined);
  if (outcome.kind !== 'feed') throw new Error(`expected a feed, got ${outcome.kind}`);
  return outcome.doc.entries;
}

const rss = (items: string): string => `<rss version="2.0"><channel><title>t</title>${items}</channel></rss>`;
const atom = (body: string): string => `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>${body}</feed>`;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('entry identity', () => {
  it('an RSS item is identified by its guid, even when it also has a link', () => {
    expect(entries(rss('<item><guid>urn:1</guid><link>http://e/1</link></item>'))[0].id).toBe('urn:1');
  });

  it('an RSS item without guid is identified by its link', () => {
    expect(entries(rss('<item><title>x</title><link> http://e/1 </link></item>'))[0].id).toBe('http://e/1');
  });

  it('an item with neither guid nor link is identified by a hash of title, date and content', () => {
    const [e] = entries(rss('<item><title>T</title><pubDate>D</pubDate><description>C</description></item>'));
    expect(e.id).toBe(`sha256:${sha256('T\nD\nC')}`);
    expect(e.id).toBe(entryIdentity({ title: 'T', date: 'D', content: 'C', source: 'ignored' }));
  });

  it('an empty guid falls through to the link', () => {
    expect(entries(rss('<item><guid>  </guid><link>http://e/1</link></item>'))[0].id).toBe('http://e/1');
  });

  it('an Atom entry is identified by its id, not the id of a nested element', () => {
    expect(entries(atom('<entry><source><id>wrong</id></source><id>right</id></entry>'))[0].id).toBe('right');
  });

  it('an Atom entry without id uses its alternate link, not its self or enclosure links', () => {
    const e = entries(
      atom(
        '<entry><link rel="self" href="http://e/self"/><link rel="enclosure" href="http://e/a.mp3"/><link href="http://e/alt"/></entry>',
      ),
    )[0];
    expect(e.id).toBe('http://e/alt');
    expect(e.link).toBe('http://e/alt');
  });

  it('an RSS 1.0 item is identified by its rdf:about', () => {
    const xml = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="http://e/"><title>t</title></channel>
      <item rdf:about="http://e/about"><title>x</title><link>http://e/link</link></item></rdf:RDF>`;
    expect(entries(xml)[0].id).toBe('http://e/about');
  });

  it('a JSON Feed item is identified by its id, else its url', () => {
    const json = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      items: [{ id: 7, url: 'http://e/7' }, { url: 'http://e/8' }],
    });
    const outcome = parseFeed(Buffer.from(json), 'application/feed+json');
    expect(outcome.kind === 'feed' && outcome.doc.entries.map((e) => e.id)).toEqual(['7', 'http://e/8']);
  });

  it('key is the sha256 hex of the identity', () => {
    const [e] = entries(rss('<item><guid>urn:1</guid></item>'));
    expect(e.key).toBe(sha256('urn:1'));
  });

  it('contentHash is the sha256 hex of the entry source exactly as written', () => {
    const item = '<item>\n <guid>urn:1</guid><title><![CDATA[a & b]]></title></item>';
    expect(entries(rss(item))[0].contentHash).toBe(sha256(item));
  });

  it('elements in other namespaces that share a local name do not count as entries or ids', () => {
    const xml = rss('<x:item xmlns:x="urn:x"><guid>no</guid></x:item><item><x:guid xmlns:x="urn:x">no</x:guid><guid>yes</guid></item>');
    expect(entries(xml).map((e) => e.id)).toEqual(['yes']);
  });
});

describe('duplicate identities inside one document', () => {
  it('entries sharing a guid get distinct identities suffixed by their content hash', () => {
    const a = '<item><guid>same</guid><title>A</title></item>';
    const b = '<item><guid>same</guid><title>B</title></item>';
    const ids = entries(rss(a + b)).map((e) => e.id);
    expect(ids).toEqual([`same#${sha256(a).slice(0, 16)}`, `same#${sha256(b).slice(0, 16)}`]);
  });

  it('a duplicated entry keeps its identity when a new entry is prepended', () => {
    const a = '<item><guid>same</guid><title>A</title></item>';
    const b = '<item><guid>same</guid><title>B</title></item>';
    const c = '<item><guid>same</guid><title>C</title></item>';
    const before = entries(rss(a + b));
    const after = entries(rss(c + a + b));
    expect(after.slice(1).map((e) => e.key)).toEqual(before.map((e) => e.key));
  });

  it('byte-identical repeats are numbered in document order', () => {
    const a = '<item><guid>same</guid></item>';
    const ids = entries(rss(a + a + a)).map((e) => e.id);
    const base = `same#${sha256(a).slice(0, 16)}`;
    expect(ids).toEqual([base, `${base}#2`, `${base}#3`]);
  });

  it('once a duplicate leaves the feed, the remaining entry is known by its bare id again', () => {
    const b = '<item><guid>same</guid><title>B</title></item>';
    expect(entries(rss(b)).map((e) => e.id)).toEqual(['same']);
  });
});

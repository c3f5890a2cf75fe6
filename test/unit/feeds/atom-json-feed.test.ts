import { describe, expect, it } from '@jest/globals';
import { parseJsonFeed as consumeJsonFeed } from 'feedsmith';
import { entryIdentity } from '../../../src/feeds/entry-id.js';
import { parseFeed, toJsonFeed } from '../../../src/feeds/index.js';

/**
 * Issue 20, item 15: Atom's text constructs become JSON Feed 1.1 as that spec
 * intends. Content of type text is `content_text`; html is `content_html`
 * (the escaped HTML, decoded once); xhtml is `content_html` holding the
 * markup inside its div. Titles are plain text whatever their type.
 */
const TOPIC = 'https://example.com/topic';

function atom(entries: string, feedTitle = '<title>F</title>'): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">${feedTitle}<id>urn:f</id>${entries}</feed>`,
  );
}

function items(body: Buffer, contentType = 'application/atom+xml'): Array<Record<string, unknown>> {
  const doc = toJsonFeed({ seq: 1, body, contentType, newEntries: 1, updatedEntries: 0 }, TOPIC);
  return (JSON.parse(doc.body.toString('utf8')) as { items: Array<Record<string, unknown>> }).items;
}

describe('Atom content as JSON Feed', () => {
  it('xhtml content keeps its markup as content_html, without the container div', () => {
    const [item] = items(
      atom(
        '<entry><id>urn:1</id><title>T</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">' +
          '<p>Body <em>one</em> &amp; more</p></div></content></entry>',
      ),
    );
    expect(item.content_html).toBe('<p>Body <em>one</em> &amp; more</p>');
    expect(item).not.toHaveProperty('content_text');
  });

  it('xhtml written with a prefix reads as HTML: the prefix, namespace declarations and self-closing non-void elements are gone', () => {
    const [item] = items(
      atom(
        '<entry><id>urn:1</id><content type="xhtml"><x:div xmlns:x="http://www.w3.org/1999/xhtml">' +
          '<x:p class=\'say "hi"\'>A<x:br/>B<![CDATA[<c>]]></x:p><x:p/></x:div></content></entry>',
      ),
    );
    expect(item.content_html).toBe('<p class="say &quot;hi&quot;">A<br>B&lt;c&gt;</p><p></p>');
  });

  it('xhtml content that is markup without text (an image) is still its content', () => {
    const [item] = items(
      atom(
        '<entry><id>urn:1</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><img src="a.png"/></div></content></entry>',
      ),
    );
    expect(item.content_html).toBe('<img src="a.png">');
  });

  it('text content, typed or not, is content_text, so markup in it stays text', () => {
    const [typed, untyped] = items(
      atom(
        '<entry><id>urn:1</id><content type="text">&lt;b&gt;not bold&lt;/b&gt; &amp; more</content></entry>' +
          '<entry><id>urn:2</id><summary>5 &lt; 6</summary></entry>',
      ),
    );
    expect(typed.content_text).toBe('<b>not bold</b> & more');
    expect(typed).not.toHaveProperty('content_html');
    expect(untyped.content_text).toBe('5 < 6');
  });

  it('html content is content_html, decoded once (escaped or in CDATA)', () => {
    const [escaped, cdata] = items(
      atom(
        '<entry><id>urn:1</id><content type="html">&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</content></entry>' +
          '<entry><id>urn:2</id><content type="html"><![CDATA[<p>Hi &amp; bye</p>]]></content></entry>',
      ),
    );
    expect(escaped.content_html).toBe('<p>Hi &amp; bye</p>');
    expect(cdata.content_html).toBe('<p>Hi &amp; bye</p>');
  });

  it('Atom 0.3: the mode says whether HTML is escaped or inline; text/plain is text', () => {
    const body = Buffer.from(
      '<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>F</title>' +
        '<entry><id>e1</id><content type="text/html" mode="escaped">&lt;i&gt;x&lt;/i&gt;</content></entry>' +
        '<entry><id>e2</id><content type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml"><i>y</i></div></content></entry>' +
        '<entry><id>e3</id><content>&lt;i&gt;z&lt;/i&gt;</content></entry></feed>',
    );
    const [escaped, inline, plain] = items(body);
    expect(escaped.content_html).toBe('<i>x</i>');
    expect(inline.content_html).toBe('<i>y</i>');
    expect(plain.content_text).toBe('<i>z</i>');
  });

  it('RSS descriptions stay content_html', () => {
    const rss = Buffer.from(
      '<?xml version="1.0"?><rss version="2.0"><channel><title>C</title><item><guid>g</guid><description>&lt;b&gt;x&lt;/b&gt;</description></item></channel></rss>',
    );
    expect(items(rss, 'application/rss+xml')[0].content_html).toBe('<b>x</b>');
  });

  it('an entry with no content gets an empty content_html, as JSON Feed requires one of the two', () => {
    const [item] = items(atom('<entry><id>urn:1</id><title>T</title></entry>'));
    expect(item.content_html).toBe('');
    expect(item).not.toHaveProperty('content_text');
  });
});

describe('Atom titles as JSON Feed', () => {
  it('an html title is the text it renders to; an xhtml title its text; a text title as written', () => {
    const body = atom(
      '<entry><id>urn:1</id><title type="html">A &lt;b&gt;bold&lt;/b&gt;   &amp;amp; x</title></entry>' +
        '<entry><id>urn:2</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>y</b></div></title></entry>' +
        '<entry><id>urn:3</id><title>1 &lt; 2</title></entry>',
      '<title type="html">Feed &lt;i&gt;T&lt;/i&gt;</title>',
    );
    const doc = JSON.parse(
      toJsonFeed({ seq: 1, body, contentType: 'application/atom+xml', newEntries: 3, updatedEntries: 0 }, TOPIC).body.toString(),
    );
    expect(doc.title).toBe('Feed T');
    expect(doc.items.map((i: { title: string }) => i.title)).toEqual(['A bold & x', 'X y', '1 < 2']);
  });

  it('an entry without id or link keeps the identity it had before titles were made plain', () => {
    const outcome = parseFeed(atom('<entry><title type="html">A &lt;b&gt;x&lt;/b&gt;</title></entry>'), 'application/atom+xml');
    expect(outcome.kind === 'feed' && outcome.doc.entries[0]).toMatchObject({
      id: entryIdentity({ title: 'A <b>x</b>', source: '' }),
      title: 'A x',
    });
  });

  it('a JSON Feed consumer (feedsmith) reads the converted items with their content and titles', () => {
    const body = atom(
      '<entry><id>urn:1</id><title type="html">&lt;b&gt;B&lt;/b&gt;</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>P</p></div></content></entry>' +
        '<entry><id>urn:2</id><title>T</title><content>plain</content></entry>',
    );
    const doc = toJsonFeed({ seq: 1, body, contentType: 'application/atom+xml', newEntries: 2, updatedEntries: 0 }, TOPIC);
    const consumed = consumeJsonFeed(JSON.parse(doc.body.toString('utf8')));
    expect(consumed.items).toEqual([
      expect.objectContaining({ id: 'urn:1', title: 'B', content_html: '<p>P</p>' }),
      expect.objectContaining({ id: 'urn:2', title: 'T', content_text: 'plain' }),
    ]);
  });
});

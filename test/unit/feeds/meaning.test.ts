import { describe, expect, it } from '@jest/globals';
import { canonicalJson, selectNewContent, type SeenState, type UpdateIgnore } from '../../../src/feeds/index.js';
import { stripTracking } from '../../../src/feeds/meaning.js';

/** Issue 26: entries compared by a canonical form; the original bytes are still what is delivered. */

const rss = (items: string, ns = ''): Buffer =>
  Buffer.from(`<?xml version="1.0"?><rss version="2.0"${ns}><channel><title>t</title>${items}</channel></rss>`);
const atom = (entry: string): Buffer =>
  Buffer.from(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="http://www.w3.org/2005/Atom"><title>t</title>${entry}</feed>`);
const json = (items: string): Buffer => Buffer.from(`{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[${items}]}`);

/** What the hub remembers after delivering `body`. */
function seenAfter(body: Buffer, ignore: UpdateIgnore[] = []): SeenState {
  const remembered = selectNewContent(body, undefined, new Map(), undefined, ignore).diff?.remember ?? [];
  return new Map(remembered.map((r) => [r.key, r]));
}

/** `after` compared with what delivering `before` left: new keys, updated keys and what changed. */
function compare(before: Buffer, after: Buffer, ignore: UpdateIgnore[] = []) {
  const selection = selectNewContent(after, undefined, seenAfter(before, ignore), undefined, ignore);
  const diff = selection.diff!;
  return {
    new: diff.newKeys.length,
    updated: diff.updatedKeys.length,
    fields: diff.updatedFields,
    delivered: selection.rendered !== undefined,
  };
}

const nothing = { new: 0, updated: 0, fields: [], delivered: false };
const updated = (fields: string) => ({ new: 0, updated: 1, fields: [fields], delivered: true });

describe('issue 26: what is not an update (XML)', () => {
  const item =
    '<item><guid>a</guid><title>A &amp; B</title><link>https://x.test/a</link><category domain="d" xml:lang="en">c</category></item>';

  it("whitespace between an item's children", () => {
    const reindented =
      '<item>\n  <guid>a</guid>\n  <title>A &amp; B</title>\n\t<link>https://x.test/a</link>\n  <category domain="d" xml:lang="en">c</category>\n</item>';
    expect(compare(rss(item), rss(reindented))).toEqual(nothing);
  });

  it('single-quoted attributes, in another order', () => {
    expect(compare(rss(item), rss(item.replace('domain="d" xml:lang="en"', "xml:lang='en' domain='d'")))).toEqual(nothing);
  });

  it('a namespace prefix renamed (names by URI)', () => {
    const dc = (p: string) =>
      rss(`<item><guid>a</guid><${p}:creator>Ann</${p}:creator></item>`, ` xmlns:${p}="http://purl.org/dc/elements/1.1/"`);
    expect(compare(dc('dc'), dc('d2'))).toEqual(nothing);
    const title = (p: string) => atom(`<entry><id>e</id><${p}title>T</${p}title></entry>`);
    expect(compare(title(''), title('a:'))).toEqual(nothing);
  });

  it('CDATA written as escaped text, and character references', () => {
    const a = rss('<item><guid>a</guid><description><![CDATA[<p>Café & co</p>]]></description></item>');
    expect(compare(a, rss('<item><guid>a</guid><description>&lt;p&gt;Caf&#233; &amp; co&lt;/p&gt;</description></item>'))).toEqual(nothing);
    expect(compare(a, rss('<item><guid>a</guid><description>&lt;p>Caf&#xE9; &#38; co&lt;/p></description></item>'))).toEqual(nothing);
  });

  it('whitespace between the elements of element-only xhtml content, comments', () => {
    const xhtml = (inner: string) =>
      atom(`<entry><id>e</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">${inner}</div></content></entry>`);
    expect(compare(xhtml('<p>one</p><p>two</p>'), xhtml('\n  <p>one</p>\n  <!-- note --><p>two</p>\n'))).toEqual(nothing);
  });
});

describe('issue 26: what is an update (XML)', () => {
  it('a word in the title, naming the title', () => {
    expect(compare(rss('<item><guid>a</guid><title>Old</title></item>'), rss('<item><guid>a</guid><title>New</title></item>'))).toEqual(
      updated('title'),
    );
  });

  it('whitespace inside <pre>, escaped or as xhtml', () => {
    const escaped = (s: string) => rss(`<item><guid>a</guid><description>&lt;pre&gt;${s}&lt;/pre&gt;</description></item>`);
    expect(compare(escaped('a  b'), escaped('a b'))).toEqual(updated('content'));
    const xhtml = (s: string) =>
      atom(`<entry><id>e</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><pre>${s}</pre></div></content></entry>`);
    expect(compare(xhtml('<b>x</b>\n<b>y</b>'), xhtml('<b>x</b><b>y</b>'))).toEqual(updated('content'));
  });

  it('whitespace in text content and in mixed content', () => {
    expect(compare(rss('<item><guid>a</guid><title>A</title></item>'), rss('<item><guid>a</guid><title> A</title></item>'))).toEqual(
      updated('title'),
    );
    const mixed = (s: string) =>
      atom(
        `<entry><id>e</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p><b>a</b>${s}<i>b</i></p></div></content></entry>`,
      );
    expect(compare(mixed(' '), mixed(''))).toEqual(updated('content'));
  });

  it('a link, a date and anything else are named as such', () => {
    const i = (link: string, date: string, extra: string) =>
      rss(`<item><guid>a</guid><link>${link}</link><pubDate>${date}</pubDate>${extra}</item>`);
    expect(compare(i('https://x.test/1', 'Mon', ''), i('https://x.test/2', 'Mon', ''))).toEqual(updated('link'));
    expect(compare(i('https://x.test/1', 'Mon', ''), i('https://x.test/1', 'Tue', ''))).toEqual(updated('dates'));
    expect(compare(i('https://x.test/1', 'Mon', ''), i('https://x.test/1', 'Mon', '<category>c</category>'))).toEqual(updated('other'));
  });
});

describe('issue 26: HUB_UPDATE_IGNORE', () => {
  const dated = (title: string, date: string) => rss(`<item><guid>a</guid><title>${title}</title><pubDate>${date}</pubDate></item>`);

  it('dates: a date that changes alone is no update; with another change it is named', () => {
    expect(compare(dated('A', 'Mon'), dated('A', 'Tue'), ['dates'])).toEqual(nothing);
    expect(compare(dated('A', 'Mon'), dated('B', 'Tue'), ['dates'])).toEqual(updated('title,dates'));
    const j = (d: string) => json(`{"id":"1","title":"T","date_modified":"${d}"}`);
    expect(compare(j('2024-01-01'), j('2024-01-02'), ['dates'])).toEqual(nothing);
  });

  it('tracking: utm_* and similar parameters in links are dropped', () => {
    const linked = (href: string) => atom(`<entry><id>e</id><link rel="alternate" href="${href}"/></entry>`);
    const before = linked('https://x.test/a?id=1');
    const after = linked('https://x.test/a?utm_source=rss&amp;id=1&amp;fbclid=z#top'.replace('#top', ''));
    expect(compare(before, after)).toEqual(updated('link'));
    expect(compare(before, after, ['tracking'])).toEqual(nothing);
    expect(stripTracking('https://x.test/?utm_medium=a&b=1&gclid=2#f')).toBe('https://x.test/?b=1#f');
    expect(stripTracking('https://x.test/?utm_campaign=x')).toBe('https://x.test/');
  });

  it('turning tracking on migrates the stored forms instead of delivering', () => {
    const body = rss('<item><guid>a</guid><link>https://x.test/a?utm_source=x</link></item>');
    const seen = seenAfter(body);
    const edited = rss('<item><guid>a</guid><link>https://x.test/a?utm_source=y</link></item>');
    expect(selectNewContent(edited, undefined, seen, undefined, ['tracking']).diff?.updatedKeys).toEqual([]);
  });
});

describe('issue 26: JSON Feed items by RFC 8785', () => {
  it('compact, keys reordered, numbers written otherwise: no update', () => {
    const before = json('{\n  "id": "1",\n  "title": "T",\n  "n": 1.50,\n  "tags": ["a", "b"]\n}');
    expect(compare(before, json('{"tags":["a","b"],"n":1.5,"title":"T","id":"1"}'))).toEqual(nothing);
    expect(compare(before, json('{"id":"1","title":"T","n":15e-1,"tags":["a","b"],"title":"T"}'))).toEqual(nothing);
  });

  it('a title, content or array order edited is an update naming it', () => {
    const before = json('{"id":"1","title":"T","content_html":"<p>x</p>","tags":["a","b"]}');
    expect(compare(before, json('{"id":"1","title":"U","content_html":"<p>x</p>","tags":["a","b"]}'))).toEqual(updated('title'));
    expect(compare(before, json('{"id":"1","title":"T","content_html":"<p>y</p>","tags":["a","b"]}'))).toEqual(updated('content'));
    expect(compare(before, json('{"id":"1","title":"T","content_html":"<p>x</p>","tags":["b","a"]}'))).toEqual(updated('other'));
  });

  it('RFC 8785 §3.2.2: numbers as ECMAScript writes them, strings escaped as JSON.stringify does', () => {
    expect(canonicalJson(JSON.parse('[1E30, 4.50, 2e-3, 0.000001, 1e-7, -0, 333333333.33333329, 1e21, 9007199254740993]'))).toBe(
      '[1e+30,4.5,0.002,0.000001,1e-7,0,333333333.3333333,1e+21,9007199254740992]',
    );
    expect(canonicalJson(JSON.parse('"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/"'))).toBe(
      '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"',
    );
    expect(canonicalJson({ b: [true, null, { d: 1, c: 'x' }], a: {} })).toBe('{"a":{},"b":[true,null,{"c":"x","d":1}]}');
  });

  it('RFC 8785 §3.2.3: keys sorted by UTF-16 code units', () => {
    const input = '{"\\u20ac":1,"\\r":2,"\\ufb33":3,"1":4,"\\ud83d\\ude00":5,"\\u0080":6,"\\u00f6":7}';
    // Checked as written: JavaScript objects would list the integer-like key "1" first.
    expect(canonicalJson(JSON.parse(input))).toBe('{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
  });

  it('a __proto__ key is a key like any other', () => {
    const before = json('{"id":"1","__proto__":{"x":1}}');
    expect(compare(before, json('{"__proto__":{"x":1},"id":"1"}'))).toEqual(nothing);
    expect(compare(before, json('{"id":"1","__proto__":{"x":2}}'))).toEqual(updated('other'));
  });
});

describe('issue 26: entries stored before the canonical form', () => {
  const before = rss('<item><guid>a</guid><title>A</title></item>');
  const legacy = (body: Buffer): SeenState => {
    const outcome = selectNewContent(body, undefined, new Map()).outcome;
    return new Map(outcome.kind === 'feed' ? outcome.doc.entries.map((e) => [e.key, { contentHash: e.contentHash, meaning: null }]) : []);
  };

  it('other bytes at the first comparison migrate: nothing delivered, the fingerprint stored', () => {
    const selection = selectNewContent(rss('<item>\n <guid>a</guid>\n <title>A2</title>\n</item>'), undefined, legacy(before));
    expect(selection.diff?.updatedKeys).toEqual([]);
    expect(selection.rendered).toBeUndefined();
    expect(selection.diff?.remember[0].meaning).toMatch(/^m1:/);
  });

  it('equal bytes get their fingerprint, so a later edit is an update', () => {
    const first = selectNewContent(before, undefined, legacy(before));
    expect(first.diff?.remember[0].meaning).toMatch(/^m1:/);
    const seen = new Map(first.diff!.remember.map((r) => [r.key, r]));
    const edit = selectNewContent(rss('<item><guid>a</guid><title>B</title></item>'), undefined, seen);
    expect(edit.diff?.updatedFields).toEqual(['title']);
  });

  it('a bare content hash (as older callers pass) is an entry without a fingerprint', () => {
    const outcome = selectNewContent(before, undefined, new Map()).outcome;
    const seen = new Map(outcome.kind === 'feed' ? outcome.doc.entries.map((e) => [e.key, e.contentHash]) : []);
    expect(selectNewContent(rss('<item><guid>a</guid><title>B</title></item>'), undefined, seen).diff?.updatedKeys).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { parseFeed, selectNewContent, type FeedDocument } from '../../../src/feeds/index.js';

/**
 * Broken markup is read the way a careful reader would, and every recovery is
 * reported: no entry is lost or merged into another in silence.
 */

function rss(items: string): Buffer {
  return Buffer.from(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>${items}</channel></rss>`);
}

function feed(body: Buffer): FeedDocument {
  const outcome = parseFeed(body, 'application/rss+xml');
  if (outcome.kind !== 'feed') throw new Error(`expected a feed, got ${JSON.stringify(outcome)}`);
  return outcome.doc;
}

const ids = (doc: FeedDocument): string[] => doc.entries.map((e) => e.id);

describe('malformed feeds: exact entries and a reported problem', () => {
  it('an unquoted attribute holding a quote keeps all three items apart', () => {
    const doc = feed(
      rss(
        "<item><guid>1</guid><description><a href=it's>x</a></description></item>" +
          '<item><guid>2</guid><title>Two</title></item>' +
          '<item><guid>3</guid><title>Three</title></item>',
      ),
    );
    expect(ids(doc)).toEqual(['1', '2', '3']);
    expect(doc.entries[2].title).toBe('Three');
    expect(doc.problems?.join('\n')).toMatch(/unquoted value of attribute href/);
  });

  it('an edit to the third item is reported as that item updated, not the first', () => {
    const before = rss(
      "<item><guid>1</guid><description><a href=it's>x</a></description></item><item><guid>2</guid></item><item><guid>3</guid><title>old</title></item>",
    );
    const after = rss(
      "<item><guid>1</guid><description><a href=it's>x</a></description></item><item><guid>2</guid></item><item><guid>3</guid><title>new</title></item>",
    );
    const remembered = selectNewContent(before, 'application/rss+xml', new Map()).diff?.remember ?? [];
    const selection = selectNewContent(after, 'application/rss+xml', new Map(remembered.map((r) => [r.key, r])));
    const third = feed(after).entries[2];
    expect(selection.diff).toMatchObject({ newKeys: [], updatedKeys: [third.key], updatedFields: ['title'] });
    expect(selection.rendered?.body.toString('utf8')).toContain('<guid>3</guid><title>new</title>');
    expect(selection.rendered?.body.toString('utf8')).not.toContain('<guid>1</guid>');
  });

  it('a missing </item> ends the item where the next one starts', () => {
    const doc = feed(rss('<item><guid>1</guid><title>One</title><item><guid>2</guid></item><item><guid>3</guid></item>'));
    expect(ids(doc)).toEqual(['1', '2', '3']);
    expect(doc.entries[0].title).toBe('One');
    expect(doc.problems?.join('\n')).toMatch(/<item> at offset \d+ has no end tag \(another <item> starts/);
  });

  it('an unclosed quote does not swallow the items after it', () => {
    const doc = feed(rss('<item><guid>1</guid><title lang="en>One</title></item><item><guid>2</guid></item><item><guid>3</guid></item>'));
    expect(ids(doc)).toEqual(['1', '2', '3']);
    expect(doc.problems?.join('\n')).toMatch(/stray '<'/);
  });

  it('a stray < in text is text', () => {
    const doc = feed(rss('<item><guid>1</guid><title>a < b <3 c</title></item><item><guid>2</guid></item>'));
    expect(ids(doc)).toEqual(['1', '2']);
    expect(doc.entries[0].title).toBe('a < b <3 c');
    expect(doc.problems?.length).toBeGreaterThan(0);
  });

  it('wrong nesting closes the inner element at the outer end tag', () => {
    const doc = feed(rss('<item><guid>1</guid><description><b><i>x</b></i></description></item><item><guid>2</guid></item>'));
    expect(ids(doc)).toEqual(['1', '2']);
    expect(doc.problems?.join('\n')).toMatch(/<i> at offset \d+ has no end tag[\s\S]*<\/i> at offset \d+ matches no open element/);
  });

  it('markup inside an element is read by the tokenizer, so > inside a quoted attribute stays in the tag', () => {
    const body = Buffer.from(
      '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><a title="x>y">T</a></div></title></entry></feed>',
    );
    const doc = feed(body);
    expect(doc.entries[0].title).toBe('T');
    expect(doc.problems).toBeUndefined();
  });

  it('CDATA holding </item>, a > in an attribute and a commented-out item are not markup', () => {
    const doc = feed(
      rss(
        '<item><guid>1</guid><description><![CDATA[</item><item>]]></description><enclosure url="x?a>b" type="a/b" length="1"/></item>' +
          '<!-- <item><guid>hidden</guid></item> -->' +
          '<item><guid>2</guid></item>',
      ),
    );
    expect(ids(doc)).toEqual(['1', '2']);
    expect(doc.problems).toBeUndefined();
  });

  it('a truncated document keeps the complete entries and says it ends early', () => {
    const doc = feed(Buffer.from('<rss version="2.0"><channel><item><guid>1</guid></item><item><guid>2</guid><title>cut'));
    expect(ids(doc)).toEqual(['1', '2']);
    expect(doc.problems?.join('\n')).toMatch(/document ends with 4 element\(s\) open/);
  });

  it('an undeclared entity, a bare & and an undeclared prefix are each reported', () => {
    const doc = feed(rss('<item><guid>1</guid><title>&hellip; &amp; a & b</title><x:y>z</x:y></item>'));
    expect(doc.entries[0].title).toBe('\u2026 & a & b');
    const problems = doc.problems?.join('\n');
    expect(problems).toMatch(/undeclared entity &hellip;/);
    expect(problems).toMatch(/bare '&'/);
    expect(problems).toMatch(/undeclared namespace prefix in <x:y>/);
  });

  it('a well-formed feed reports no problem', () => {
    expect(feed(rss('<item><guid>1</guid><title>&lt;b&gt; &#233; &#xE9;</title></item>')).problems).toBeUndefined();
  });
});

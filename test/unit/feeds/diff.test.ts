import { describe, expect, it } from '@jest/globals';
import { diffEntries, parseFeed, selectNewContent, type DiffResult, type FeedDocument } from '../../../src/feeds/index.js';

const feed = (items: string): Buffer => Buffer.from(`<rss version="2.0"><channel><title>t</title>${items}</channel></rss>`);

function doc(body: Buffer): FeedDocument {
  const outcome = parseFeed(body, undefined);
  if (outcome.kind !== 'feed') throw new Error(`expected a feed, got ${outcome.kind}`);
  return outcome.doc;
}

const seenOf = (d: FeedDocument): Map<string, string> => new Map(d.entries.map((e) => [e.key, e.contentHash]));

/** New and updated keys of a diff (the rest of it is what to remember). */
const keysOf = (d: DiffResult | undefined) => ({ newKeys: d?.newKeys, updatedKeys: d?.updatedKeys });

describe('diffing a feed against the seen state', () => {
  const a = '<item><guid>a</guid><title>A</title></item>';
  const b = '<item><guid>b</guid><title>B</title></item>';
  const c = '<item><guid>c</guid><title>C</title></item>';

  it('with nothing seen, every entry is new, in document order', () => {
    const d = doc(feed(a + b));
    expect(keysOf(diffEntries(new Map(), d))).toEqual({ newKeys: d.entries.map((e) => e.key), updatedKeys: [] });
  });

  it('an unchanged feed yields nothing', () => {
    const d = doc(feed(a + b));
    expect(keysOf(diffEntries(seenOf(d), d))).toEqual({ newKeys: [], updatedKeys: [] });
  });

  it('a prepended entry is new and the others are unchanged', () => {
    const d = doc(feed(c + a + b));
    expect(keysOf(diffEntries(seenOf(doc(feed(a + b))), d))).toEqual({ newKeys: [d.entries[0].key], updatedKeys: [] });
  });

  it('an edited entry is updated, not new', () => {
    const edited = '<item><guid>a</guid><title>A, corrected</title></item>';
    const d = doc(feed(edited + b));
    expect(keysOf(diffEntries(seenOf(doc(feed(a + b))), d))).toEqual({ newKeys: [], updatedKeys: [d.entries[0].key] });
  });

  it('an entry that dropped out and came back is not new', () => {
    const seen = seenOf(doc(feed(a + b)));
    const withoutA = doc(feed(b));
    for (const [k, v] of seenOf(withoutA)) seen.set(k, v);
    expect(keysOf(diffEntries(seen, doc(feed(a + b))))).toEqual({ newKeys: [], updatedKeys: [] });
  });

  it('without the canonical forms (the document alone), other bytes are an update', () => {
    const reindented = '<item>\n  <guid>a</guid>\n  <title>A</title>\n</item>';
    const d = doc(feed(reindented));
    expect(diffEntries(seenOf(doc(feed(a))), d).updatedKeys).toEqual([d.entries[0].key]);
  });
});

describe('selecting new content in one pass', () => {
  const a = '<item><guid>a</guid></item>';
  const b = '<item><guid>b</guid></item>';

  it('returns the diff and a document holding only the new and updated entries', () => {
    const seen = seenOf(doc(feed(a)));
    const selection = selectNewContent(feed(b + a), 'application/rss+xml', seen);
    expect(selection.diff?.newKeys).toHaveLength(1);
    expect(selection.rendered?.body.toString('utf8')).toBe(`<rss version="2.0"><channel><title>t</title>${b}</channel></rss>`);
  });

  it('renders nothing when nothing changed', () => {
    const body = feed(a);
    expect(selectNewContent(body, undefined, seenOf(doc(body))).rendered).toBeUndefined();
  });

  it('plain documents carry no diff', () => {
    expect(selectNewContent(Buffer.from('<html><body>hi</body></html>'), 'text/html', new Map())).toEqual({ outcome: { kind: 'plain' } });
  });
});

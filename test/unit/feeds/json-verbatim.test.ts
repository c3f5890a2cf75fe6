import { describe, expect, it } from '@jest/globals';
import { parseFeed, selectNewContent } from '../../../src/feeds/index.js';

/** JSON Feed deliveries carry the publisher's own bytes for each item, as XML deliveries do. */
describe('JSON Feed items are delivered as written', () => {
  const item1 = '{ "id": 12345678901234567890, "title": "one",  "_score": 1e400 }';
  const item2 = '{"id":12345678901234567891,"title":"two","content_text":"caf\\u00e9"}';
  const body = (items: string[]): Buffer =>
    Buffer.from(`{"version": "https://jsonfeed.org/version/1.1",\n "title": "J", "items": [\n  ${items.join(',\n  ')}\n ], "_tail": 2}`);

  it('ids beyond double precision stay distinct, as written', () => {
    const outcome = parseFeed(body([item1, item2]), 'application/feed+json');
    expect(outcome.kind).toBe('feed');
    if (outcome.kind !== 'feed') return;
    expect(outcome.doc.entries.map((e) => e.id)).toEqual(['12345678901234567890', '12345678901234567891']);
  });

  it('a delivered item keeps its exact text: big numbers, 1e400, escapes and spacing', () => {
    const seen = new Map<string, string>();
    const before = parseFeed(body([item2]), 'application/feed+json');
    if (before.kind === 'feed') for (const e of before.doc.entries) seen.set(e.key, e.contentHash);
    const selection = selectNewContent(body([item1, item2]), 'application/feed+json', seen);
    const delivered = selection.rendered?.body.toString('utf8');
    expect(delivered).toBe(`{"version": "https://jsonfeed.org/version/1.1",\n "title": "J", "items": [${item1}], "_tail": 2}`);
    expect(() => JSON.parse(delivered ?? '')).not.toThrow();
  });

  it('an edit that JSON.parse cannot see (the last digit of a big id) changes the bytes, not the RFC 8785 form', () => {
    const a = parseFeed(body(['{"id":"x","n":12345678901234567890}']), undefined);
    const b = parseFeed(body(['{"id":"x","n":12345678901234567891}']), undefined);
    if (a.kind !== 'feed' || b.kind !== 'feed') throw new Error('expected feeds');
    expect(a.doc.entries[0].key).toBe(b.doc.entries[0].key);
    expect(a.doc.entries[0].contentHash).not.toBe(b.doc.entries[0].contentHash);
    // JCS compares numbers as IEEE doubles (RFC 8785 §3.2.2.3): both are 12345678901234567000.
    const seen = selectNewContent(body(['{"id":"x","n":12345678901234567890}']), undefined, new Map()).diff?.remember ?? [];
    const after = selectNewContent(body(['{"id":"x","n":12345678901234567891}']), undefined, new Map(seen.map((r) => [r.key, r])));
    expect(after.diff?.updatedKeys).toEqual([]);
  });
});

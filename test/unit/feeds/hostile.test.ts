import { describe, expect, it } from '@jest/globals';
import { parseFeed, renderEntries, selectNewContent, type ParseOutcome } from '../../../src/feeds/index.js';
import { PER_BYTE_BOUND, readFixture, readsPerByte } from './fixtures.js';

/**
 * Each hostile input must cost what a linear scan costs: its scan reads a bounded number of characters per
 * input byte (counted, src/feeds/work.ts, so the bound cannot flake on a busy machine). Exponential expansion
 * or a quadratic scan reads thousands per byte. The time these inputs take is a benchmark row
 * (`npm run bench -- feeds`).
 */
function expectLinear(body: Buffer, contentType: string | undefined): ParseOutcome {
  const { outcome, perByte } = readsPerByte(body, contentType);
  expect(perByte).toBeLessThanOrEqual(PER_BYTE_BOUND);
  return outcome;
}

function deeplyNested(levels: number): Buffer {
  return Buffer.from(`<?xml version="1.0"?><rss version="2.0"><channel>${'<a>'.repeat(levels)}${'</a>'.repeat(levels)}</channel></rss>`);
}

/** A valid RSS 2.0 feed of about `megabytes` MB, built from one item repeated with distinct guids. */
function hugeFeed(megabytes: number): { body: Buffer; items: number } {
  const item = (i: number): string =>
    `<item><title>Item ${i}</title><guid>urn:item:${i}</guid><description><![CDATA[<p>${'x'.repeat(900)}</p>]]></description></item>\n`;
  const parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title>\n'];
  let size = parts[0].length;
  let items = 0;
  while (size < megabytes * 1024 * 1024) {
    const s = item(items++);
    parts.push(s);
    size += s.length;
  }
  parts.push('</channel></rss>');
  return { body: Buffer.from(parts.join('')), items };
}

describe('hostile and misleading input', () => {
  it('a billion-laughs entity bomb returns at once with its entities left unexpanded', () => {
    const result = expectLinear(readFixture('entity-bomb.xml'), 'application/rss+xml');
    expect(result.kind).toBe('feed');
    if (result.kind !== 'feed') return;
    expect(result.doc.title).toBe('&lol9;');
    expect(result.doc.entries.map((e) => [e.id, e.title])).toEqual([['bomb-1', '&lol9;']]);
  });

  it('external entities are never resolved', () => {
    const result = parseFeed(readFixture('external-entity.xml'), 'application/rss+xml');
    expect(result).toMatchObject({ kind: 'feed', doc: { title: '&xxe;', entries: [{ id: 'xxe-1', title: '&remote;' }] } });
  });

  it('the DOCTYPE of an entity bomb survives rendering byte-for-byte and is still inert', () => {
    const body = readFixture('entity-bomb.xml');
    const rendered = renderEntries(body, 'application/rss+xml', new Set());
    expect(rendered.body.toString('utf8')).toContain('<!ENTITY lol9');
    expect(rendered.body.toString('utf8')).not.toContain('<item>');
  });

  it('100k levels of nesting return quickly, classified as unparseable', () => {
    const result = expectLinear(deeplyNested(100_000), 'application/rss+xml');
    expect(result).toMatchObject({ kind: 'unparseable', format: 'rss' });
  });

  it('100k levels of nesting under a non-feed root are a plain document', () => {
    const body = Buffer.from(`<doc>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</doc>`);
    const result = expectLinear(body, 'application/xml');
    expect(result).toEqual({ kind: 'plain' });
  });

  it('100k unmatched end tags do not make the scan quadratic', () => {
    const body = Buffer.from(`<rss><channel>${'<x>'.repeat(400)}${'</y>'.repeat(100_000)}<item><guid>g</guid></item></channel></rss>`);
    const result = expectLinear(body, undefined);
    expect(result.kind).toBe('feed');
  });

  it('a 20 MB feed is parsed in work linear in its size, then diffed and rendered whole', () => {
    const two = readsPerByte(hugeFeed(2).body, 'application/rss+xml');
    const { body, items } = hugeFeed(20);
    const twenty = readsPerByte(body, 'application/rss+xml');
    // Ten times the input: a linear scan reads about ten times as much, a quadratic one a hundred.
    expect(twenty.chars / two.chars).toBeLessThanOrEqual(11);
    expect(twenty.perByte).toBeLessThanOrEqual(PER_BYTE_BOUND);
    const result = selectNewContent(body, 'application/rss+xml', new Map(), 60_000);
    expect(result.outcome.kind).toBe('feed');
    expect(result.diff?.newKeys).toHaveLength(items);
    expect(result.rendered?.body.length).toBe(body.length);
  }, 60_000);

  it('a parse that outlasts its time budget gives the document up as unparseable, saying why', () => {
    const { body } = hugeFeed(8);
    const result = parseFeed(body, 'application/rss+xml', 10);
    expect(result).toEqual({ kind: 'unparseable', reason: 'parse took longer than its budget of 10 ms' });
  });

  it('HTML pretending to be RSS, served as RSS, is a plain document', () => {
    expect(parseFeed(readFixture('html-pretending-rss.html'), 'application/rss+xml; charset=utf-8')).toEqual({ kind: 'plain' });
  });

  it.each(['text/html; charset=utf-8', 'application/octet-stream', 'text/plain', undefined])(
    'a real RSS feed served as %s is still read as a feed',
    (contentType) => {
      const result = parseFeed(readFixture('rss2-two-items.xml'), contentType);
      expect(result).toMatchObject({ kind: 'feed', doc: { format: 'rss', title: 'Two items' } });
    },
  );

  it('image bytes served as RSS are a plain document', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 0x3c)]);
    expect(parseFeed(png, 'application/rss+xml').kind).toBe('plain');
  });

  it('a feed truncated inside a start tag is unparseable when its root never opened', () => {
    expect(parseFeed(Buffer.from('<?xml version="1.0"?>\n<rss version="2.0'), 'application/rss+xml')).toMatchObject({
      kind: 'unparseable',
    });
  });

  it('a feed truncated mid-item recovers the items it has', () => {
    const result = parseFeed(Buffer.from('<rss><channel><item><guid>a</guid></item><item><guid>b</guid><title>cut'), undefined);
    expect(result).toMatchObject({ kind: 'feed', doc: { entries: [{ id: 'a' }, { id: 'b' }] } });
  });

  it('invalid JSON that claims to be a JSON Feed is unparseable; other JSON is plain', () => {
    expect(parseFeed(Buffer.from('{"version":"https://jsonfeed.org/version/1.1","items":['), 'application/feed+json')).toMatchObject({
      kind: 'unparseable',
      format: 'json-feed',
    });
    expect(parseFeed(Buffer.from('{"hello":"world"}'), 'application/json')).toEqual({ kind: 'plain' });
    expect(parseFeed(Buffer.from('[1,2,3]'), 'application/json')).toEqual({ kind: 'plain' });
  });

  it('empty and whitespace-only bodies are plain documents', () => {
    expect(parseFeed(Buffer.alloc(0), 'application/rss+xml')).toEqual({ kind: 'plain' });
    expect(parseFeed(Buffer.from('   \n'), undefined)).toEqual({ kind: 'plain' });
  });
});

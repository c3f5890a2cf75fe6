import { describe, expect, it } from '@jest/globals';
import { parseFeed, renderEntries } from '../../../src/feeds/index.js';

/** An RSS feed whose title is `title`, as bytes: `encode` turns the text into the wire charset. */
function rssBytes(declared: string | undefined, title: Buffer): Buffer {
  const decl = declared ? `<?xml version="1.0" encoding="${declared}"?>\n` : '';
  return Buffer.concat([
    Buffer.from(`${decl}<rss version="2.0"><channel><title>`),
    title,
    Buffer.from('</title><item><guid>g</guid><title>'),
    title,
    Buffer.from('</title></item></channel></rss>'),
  ]);
}

function titleOf(body: Buffer, contentType?: string): string | undefined {
  const outcome = parseFeed(body, contentType);
  return outcome.kind === 'feed' ? outcome.doc.title : `<${outcome.kind}>`;
}

function utf16be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return le;
}

function utf32(s: string, littleEndian: boolean, bom: boolean): Buffer {
  const cps = [...(bom ? '\ufeff' : ''), ...s].map((ch) => ch.codePointAt(0) as number);
  const out = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (littleEndian ? out.writeUInt32LE(cp, i * 4) : out.writeUInt32BE(cp, i * 4)));
  return out;
}

const FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>Ünïcode ✓ 中文</title><item><guid>g</guid></item></channel></rss>';

describe('charset decoding', () => {
  it.each([
    ['iso-8859-1', Buffer.from([0x43, 0x61, 0x66, 0xe9]), 'Café'],
    ['windows-1252', Buffer.from([0x57, 0x61, 0x69, 0x74, 0x85]), 'Wait\u2026'],
    ['Shift_JIS', Buffer.from([0x82, 0xa0]), '\u3042'],
    ['EUC-KR', Buffer.from([0xc7, 0xd1]), '\ud55c'],
    ['GB2312', Buffer.from([0xd6, 0xd0]), '\u4e2d'],
    ['Big5', Buffer.from([0xa4, 0xa4]), '\u4e2d'],
    ['KOI8-R', Buffer.from([0xf0, 0xd2, 0xc9]), '\u041f\u0440\u0438'],
  ])('a feed declaring %s in its XML declaration is decoded with it', (charset, bytes, text) => {
    expect(titleOf(rssBytes(charset, bytes))).toBe(text);
  });

  it('the HTTP charset wins over the XML declaration', () => {
    expect(titleOf(rssBytes('utf-8', Buffer.from([0x43, 0x61, 0x66, 0xe9])), 'application/rss+xml; charset=ISO-8859-1')).toBe('Café');
  });

  it('an unknown declared charset falls back to UTF-8', () => {
    expect(titleOf(rssBytes('x-fake', Buffer.from('Café', 'utf8')))).toBe('Café');
  });

  it('bytes that are not UTF-8 with no declared charset are read as windows-1252', () => {
    expect(titleOf(rssBytes(undefined, Buffer.from([0x43, 0x61, 0x66, 0xe9])))).toBe('Café');
  });

  it.each([
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FEED)])],
    ['UTF-16LE with BOM', Buffer.from(`\ufeff${FEED}`, 'utf16le')],
    ['UTF-16LE without BOM', Buffer.from(FEED, 'utf16le')],
    ['UTF-16BE with BOM', utf16be(`\ufeff${FEED}`)],
    ['UTF-16BE without BOM', utf16be(FEED)],
    ['UTF-32LE with BOM', utf32(FEED, true, true)],
    ['UTF-32LE without BOM', utf32(FEED, true, false)],
    ['UTF-32BE with BOM', utf32(FEED, false, true)],
    ['UTF-32BE without BOM', utf32(FEED, false, false)],
  ])('%s is decoded', (_name, body) => {
    expect(titleOf(body)).toBe('Ünïcode ✓ 中文');
  });

  it('whitespace before the XML declaration is tolerated', () => {
    expect(titleOf(Buffer.from(`\n\n  ${FEED}`))).toBe('Ünïcode ✓ 中文');
  });
});

describe('rendering a feed that was not UTF-8', () => {
  it('re-encodes as UTF-8, rewrites the declared encoding and says charset=utf-8', () => {
    const body = rssBytes('Shift_JIS', Buffer.from([0x82, 0xa0]));
    const outcome = parseFeed(body, undefined);
    if (outcome.kind !== 'feed') throw new Error('expected a feed');
    const rendered = renderEntries(body, 'application/rss+xml', new Set([outcome.doc.entries[0].key]));
    expect(rendered.contentType).toBe('application/rss+xml; charset=utf-8');
    const text = rendered.body.toString('utf8');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(text).toContain('<item><guid>g</guid><title>\u3042</title></item>');
    const back = parseFeed(rendered.body, rendered.contentType);
    expect(back.kind === 'feed' && back.doc.entries[0].contentHash).toBe(outcome.doc.entries[0].contentHash);
  });

  it('a UTF-16 feed is delivered as UTF-8 with the same entry hashes', () => {
    const body = Buffer.from(`\ufeff${FEED.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')}`, 'utf16le');
    const outcome = parseFeed(body, 'application/xml');
    if (outcome.kind !== 'feed') throw new Error('expected a feed');
    const rendered = renderEntries(body, 'application/xml', new Set(outcome.doc.entries.map((e) => e.key)));
    expect(rendered.body.toString('utf8')).toContain('encoding="UTF-8"');
    const back = parseFeed(rendered.body, rendered.contentType);
    expect(back.kind === 'feed' && back.doc.entries).toEqual(outcome.doc.entries);
  });
});

import { describe, expect, it } from '@jest/globals';
import { parseFeed } from '../../../src/feeds/index.js';

/**
 * The engine's time grows linearly with its input, whatever the input: each
 * hostile shape is parsed at about 100 KB and at about 1 MB, and the larger
 * must take at most 15 times as long (a quadratic engine takes 100 times).
 * A ratio within one run, so a busy machine slows both sides alike.
 */

const SMALL = 100 * 1024;
const LARGE = 1024 * 1024;

/** `unit` repeated to about `size` characters. */
function fill(unit: string, size: number): string {
  return unit.repeat(Math.max(1, Math.floor(size / unit.length)));
}

const SHAPES: Record<string, (size: number) => string> = {
  'a long xmlns attribute run': (n) => `<rss version="2.0" ${fill('xmlns:a="b" ', n)}><channel><item><guid>1</guid></item></channel></rss>`,
  'thousands of namespace prefixes': (n) => `<rss version="2.0"><channel>${fill('<p:x xmlns:p="u"><q:y xmlns:q="v"/></p:x>', n)}<item><guid>1</guid></item></channel></rss>`,
  'a run of < in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('<', n)}</title></item></channel></rss>`,
  'a run of <x in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('<x ', n)}</title></item></channel></rss>`,
  'a run of & in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('&', n)}</title></item></channel></rss>`,
  'a long entity run': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('&amp;&hellip;&#x41;&bogus;', n)}</title></item></channel></rss>`,
  'a run of quotes in attributes': (n) => `<rss version="2.0"><channel><item a=${fill('"\'', n)}><guid>1</guid></item></channel></rss>`,
  'attribute values that run into markup': (n) => `<rss version="2.0"><channel><item a="${fill('<x ', n)}"><guid>1</guid></item>${fill('<t a="<t a="', n)}</channel></rss>`,
  'an unterminated attribute value': (n) => `<rss version="2.0"><channel><item a="${fill('x', n)}`,
  'a long attribute without a value': (n) => `<rss version="2.0"><channel><item ${fill('a', n)}><guid>1</guid></item></channel></rss>`,
  'deep nesting': (n) => `<rss version="2.0"><channel>${fill('<a>', n / 2)}${fill('</a>', n / 2)}</channel></rss>`,
  'unmatched end tags': (n) => `<rss version="2.0"><channel>${'<x>'.repeat(500)}${fill('</y>', n)}</channel></rss>`,
  'huge CDATA': (n) => `<rss version="2.0"><channel><item><guid>1</guid><description><![CDATA[${fill(']]', n)}]]></description></item></channel></rss>`,
  'many unclosed comments openers in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('a<!-', n)}</title></item></channel></rss>`,
  'many tiny items': (n) => `<rss version="2.0"><channel>${fill('<item><guid>g</guid></item>', n)}</channel></rss>`,
  'rdf:li table of contents': (n) => `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><items><rdf:Seq>${fill('<rdf:li resource="r"/>', n)}</rdf:Seq></items></channel></rdf:RDF>`,
};

function ms(body: Buffer): number {
  // Collect first (npm test exposes gc) so one side does not pay for the other's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  parseFeed(body, 'application/rss+xml', 60_000);
  return performance.now() - start;
}

/**
 * Best of several rounds for each size, the two sizes taken in turn so that
 * load from other test files weighs on both alike.
 */
function ratioOf(small: Buffer, large: Buffer): number {
  ms(large); // warm the code paths (and the heap) up first
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let i = 0; i < 5; i++) {
    bestSmall = Math.min(bestSmall, ms(small));
    bestLarge = Math.min(bestLarge, ms(large));
  }
  return bestLarge / Math.max(bestSmall, 0.5);
}

describe('linear time on hostile input', () => {
  it.each(Object.keys(SHAPES))('%s: 1 MB takes at most 15x the time of 100 KB', (name) => {
    const small = Buffer.from(SHAPES[name](SMALL));
    const large = Buffer.from(SHAPES[name](LARGE));
    expect(ratioOf(small, large)).toBeLessThanOrEqual(15);
  }, 60_000);
});

/**
 * Hostile feed shapes, each a generator of about `size` characters: what made
 * the old scanner quadratic, and what a tokenizer could stumble on. Used by
 * the linear-time test and by the feeds benchmark.
 */

/** `unit` repeated to about `size` characters. */
function fill(unit: string, size: number): string {
  return unit.repeat(Math.max(1, Math.floor(size / unit.length)));
}

export const HOSTILE_SHAPES: Record<string, (size: number) => string> = {
  'a long xmlns attribute run': (n) => `<rss version="2.0" ${fill('xmlns:a="b" ', n)}><channel><item><guid>1</guid></item></channel></rss>`,
  'an xmlns attribute name that never ends': (n) =>
    `<rss version="2.0" xmlns${fill('a', n)}><channel><item><guid>1</guid></item></channel></rss>`,
  'prefixes on the root and a declaration on every child': (n) =>
    `<rss version="2.0" ${Array.from({ length: Math.floor(n / 40) }, (_, i) => `xmlns:p${i}="u"`).join(' ')}><channel>${fill('<x xmlns:q="u"/>', n / 2)}<item><guid>1</guid></item></channel></rss>`,
  'thousands of namespace prefixes': (n) =>
    `<rss version="2.0"><channel>${fill('<p:x xmlns:p="u"><q:y xmlns:q="v"/></p:x>', n)}<item><guid>1</guid></item></channel></rss>`,
  'a run of < in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('<', n)}</title></item></channel></rss>`,
  'a run of <x in a title': (n) =>
    `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('<x ', n)}</title></item></channel></rss>`,
  'a run of & in a title': (n) => `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('&', n)}</title></item></channel></rss>`,
  'a long entity run': (n) =>
    `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('&amp;&hellip;&#x41;&bogus;', n)}</title></item></channel></rss>`,
  'a run of quotes in attributes': (n) => `<rss version="2.0"><channel><item a=${fill('"\'', n)}><guid>1</guid></item></channel></rss>`,
  'attribute values that run into markup': (n) =>
    `<rss version="2.0"><channel><item a="${fill('<x ', n)}"><guid>1</guid></item>${fill('<t a="<t a="', n)}</channel></rss>`,
  'an unterminated attribute value': (n) => `<rss version="2.0"><channel><item a="${fill('x', n)}`,
  'a long attribute without a value': (n) => `<rss version="2.0"><channel><item ${fill('a', n)}><guid>1</guid></item></channel></rss>`,
  'deep nesting': (n) => `<rss version="2.0"><channel>${fill('<a>', n / 2)}${fill('</a>', n / 2)}</channel></rss>`,
  'unmatched end tags': (n) => `<rss version="2.0"><channel>${'<x>'.repeat(500)}${fill('</y>', n)}</channel></rss>`,
  'huge CDATA': (n) =>
    `<rss version="2.0"><channel><item><guid>1</guid><description><![CDATA[${fill(']]', n)}]]></description></item></channel></rss>`,
  'many unclosed comments openers in a title': (n) =>
    `<rss version="2.0"><channel><item><guid>1</guid><title>${fill('a<!-', n)}</title></item></channel></rss>`,
  'many tiny items': (n) => `<rss version="2.0"><channel>${fill('<item><guid>g</guid></item>', n)}</channel></rss>`,
  'rdf:li table of contents': (n) =>
    `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><items><rdf:Seq>${fill('<rdf:li resource="r"/>', n)}</rdf:Seq></items></channel></rdf:RDF>`,
};

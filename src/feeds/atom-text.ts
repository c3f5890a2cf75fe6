import { decodeEntities } from './html-entities.js';
import { scanMarkup } from './markup.js';
import { NS } from './namespaces.js';
import type { ElementSpan } from './spans.js';
import { attributeValue, elementText } from './text.js';

/**
 * Atom's text constructs (RFC 4287 §3.1: title, summary, rights; §4.1.3:
 * content) as JSON Feed 1.1 wants them: `type="text"` (the default) is plain
 * text, `type="html"` is HTML escaped into the element, `type="xhtml"` is
 * XHTML markup inside one xhtml `div`. Atom 0.3 says the same with a MIME
 * type (default text/plain) and a `mode`: `escaped` (HTML escaped into the
 * element) or `xml` (the default: the markup inline).
 */

/** Content for a JSON Feed item: exactly one of `content_html` and `content_text`. */
export type ItemContent = { html: string } | { text: string };

type Kind = 'text' | 'html' | 'xhtml';

function kindOf(type: string | undefined): Kind {
  const t = (type ?? '').trim().toLowerCase();
  if (t === 'html' || t === 'text/html') return 'html';
  if (t === 'xhtml' || t === 'application/xhtml+xml') return 'xhtml';
  return 'text';
}

/** How an Atom element's value is to be read: as plain text, as escaped HTML, or as inline markup. */
function reading(span: ElementSpan): 'text' | 'escaped' | 'inline' {
  const kind = kindOf(attributeValue(span.attributes, 'type'));
  if (kind === 'text') return 'text';
  if (span.ns === NS.atom03) {
    // Atom 0.3: the mode, not the type, says whether the markup is escaped.
    const mode = (attributeValue(span.attributes, 'mode') ?? 'xml').trim().toLowerCase();
    return mode === 'escaped' ? 'escaped' : mode === 'xml' ? 'inline' : 'text';
  }
  return kind === 'html' ? 'escaped' : 'inline';
}

function isAtom(span: ElementSpan): boolean {
  return span.ns === NS.atom10 || span.ns === NS.atom03;
}

/** An entry's content, summary or description for a JSON Feed item. RSS's are HTML in practice. */
export function itemContent(text: string, span: ElementSpan): ItemContent {
  if (!isAtom(span)) return { html: elementText(text, span) };
  const how = reading(span);
  if (how === 'text') return { text: elementText(text, span) };
  if (how === 'escaped') return { html: elementText(text, span) };
  return { html: inlineMarkup(text, span) };
}

/**
 * A title as plain text, from `value`, the element's text (elementText): an
 * Atom title of type html has its markup left out and its references decoded;
 * inline (xhtml) markup is left out by elementText already.
 */
export function plainTitle(span: ElementSpan, value: string): string {
  return isAtom(span) && reading(span) === 'escaped' ? htmlText(value) : value;
}

/** The text an HTML fragment shows: tags left out, character references decoded, whitespace runs made one space. */
export function htmlText(html: string): string {
  let out = '';
  scanMarkup(html, {
    startTag: () => {
      out += ' ';
    },
    endTag: () => {
      out += ' ';
    },
    text: (s, e) => {
      out += decodeEntities(html.slice(s, e));
    },
    cdata: (s, e) => {
      out += html.slice(s, e);
    },
    problem: () => undefined,
  });
  return out.replace(/\s+/g, ' ').trim();
}

/** HTML elements written without an end tag. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The range an xhtml construct's markup sits in: inside its one `div`
 * (RFC 4287 §3.1.1.3: the div is the container, not part of the content),
 * else the whole element's content. Also the div's prefix, if it has one.
 */
function xhtmlRange(text: string, span: ElementSpan): { from: number; to: number; prefix: string } {
  const whole = { from: span.openEnd, to: span.closeStart, prefix: '' };
  let depth = 0;
  let div: { from: number; to: number; prefix: string } | undefined;
  let elements = 0;
  let strayText = false;
  scanMarkup(
    text,
    {
      startTag: (tag) => {
        if (depth === 0) {
          elements++;
          const colon = tag.qname.indexOf(':');
          if (tag.qname.slice(colon + 1) === 'div' && !tag.selfClosing) {
            div = { from: tag.openEnd, to: tag.openEnd, prefix: colon === -1 ? '' : tag.qname.slice(0, colon) };
          }
        }
        if (!tag.selfClosing) depth++;
      },
      endTag: (_name, start) => {
        depth--;
        if (depth === 0 && div && div.to === div.from) div.to = start;
      },
      text: (s, e) => {
        if (depth === 0 && text.slice(s, e).trim() !== '') strayText = true;
      },
      cdata: () => {
        if (depth === 0) strayText = true;
      },
      problem: () => undefined,
    },
    { from: span.openEnd, to: span.closeStart },
  );
  return div && elements === 1 && !strayText && div.to > div.from ? div : whole;
}

/**
 * Inline (xhtml) markup as an HTML fragment: elements, attributes and text
 * as written, the container div's prefix dropped from names (`xhtml:p` reads
 * as `p` in HTML), namespace declarations and comments left out, CDATA
 * escaped, and an empty `<p/>` written `<p></p>` (HTML has no self-closing
 * elements but the void ones).
 */
function inlineMarkup(text: string, span: ElementSpan): string {
  const { from, to, prefix } = xhtmlRange(text, span);
  const name = (qname: string) => (prefix && qname.startsWith(`${prefix}:`) ? qname.slice(prefix.length + 1) : qname);
  let out = '';
  scanMarkup(
    text,
    {
      startTag: (tag) => {
        const tagName = name(tag.qname);
        out += `<${tagName}`;
        for (const a of tag.attributes) {
          if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
          out += ` ${a.name}="${a.value.replace(/"/g, '&quot;')}"`;
        }
        out += '>';
        if (tag.selfClosing && !VOID.has(tagName.toLowerCase())) out += `</${tagName}>`;
      },
      endTag: (qname) => {
        if (!VOID.has(name(qname).toLowerCase())) out += `</${name(qname)}>`;
      },
      text: (s, e) => {
        out += text.slice(s, e);
      },
      cdata: (s, e) => {
        out += escapeText(text.slice(s, e));
      },
      problem: () => undefined,
    },
    { from, to },
  );
  return out.trim();
}

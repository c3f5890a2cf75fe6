import { decodeEntities } from './html-entities.js';
import { scanMarkup, type Attribute } from './markup.js';
import type { ElementSpan } from './spans.js';

/**
 * Content made of character data and CDATA sections only (most feed fields),
 * read without the tokenizer; undefined when it holds any other markup.
 */
function textAndCdata(inner: string): string | undefined {
  let out = '';
  for (let i = 0; ;) {
    const open = inner.indexOf('<', i);
    out += decodeEntities(open === -1 ? inner.slice(i) : inner.slice(i, open));
    if (open === -1) return out;
    if (!inner.startsWith('<![CDATA[', open)) return undefined;
    const close = inner.indexOf(']]>', open + 9);
    if (close === -1) return undefined;
    out += inner.slice(open + 9, close);
    i = close + 3;
  }
}

/**
 * The text content of an element: CDATA sections taken literally, character
 * data with its references decoded, child markup (xhtml content, comments)
 * left out; surrounding whitespace trimmed. Markup is read by the same
 * tokenizer as the document, so `<a title="x>y">T</a>` gives `T`.
 */
export function elementText(text: string, span: ElementSpan): string {
  const from = span.openEnd;
  const to = span.closeStart;
  if (to <= from) return '';
  const inner = text.slice(from, to);
  const simple = textAndCdata(inner);
  if (simple !== undefined) return simple.trim();
  const parts: string[] = [];
  let raw = '';
  const flush = (): void => {
    if (raw) parts.push(decodeEntities(raw));
    raw = '';
  };
  scanMarkup(
    text,
    {
      startTag: flush,
      endTag: flush,
      text: (s, e) => {
        raw += text.slice(s, e);
      },
      cdata: (s, e) => {
        flush();
        parts.push(text.slice(s, e));
      },
      problem: () => undefined,
    },
    { from, to },
  );
  flush();
  return parts.join('').trim();
}

/** Value of attribute `name` (exact qualified name), decoded. */
export function attributeValue(attributes: readonly Attribute[], name: string): string | undefined {
  for (const a of attributes) if (a.name === name) return decodeEntities(a.value);
  return undefined;
}

import { decodeEntities } from './html-entities.js';
import type { ElementSpan } from './spans.js';

const TAG = /<[^>]*>/g;

/** Character data of a text run outside CDATA: markup stripped, references decoded. */
function plainText(raw: string): string {
  const stripped = raw.indexOf('<') === -1 ? raw : raw.replace(TAG, '');
  return decodeEntities(stripped);
}

/**
 * The text content of an element: CDATA sections taken literally, everything
 * else with child markup (xhtml content, comments) stripped and character
 * references decoded; surrounding whitespace trimmed.
 */
export function elementText(text: string, span: ElementSpan): string {
  const inner = text.slice(span.openEnd, span.closeStart);
  if (inner.indexOf('<![CDATA[') === -1) return plainText(inner.replace(/<!--[\s\S]*?-->/g, '')).trim();
  let result = '';
  let i = 0;
  while (i < inner.length) {
    const open = inner.indexOf('<![CDATA[', i);
    if (open === -1) {
      result += plainText(inner.slice(i));
      break;
    }
    result += plainText(inner.slice(i, open));
    const closeAt = inner.indexOf(']]>', open + 9);
    const stop = closeAt === -1 ? inner.length : closeAt;
    result += inner.slice(open + 9, stop);
    i = stop + 3;
  }
  return result.trim();
}

/** Value of attribute `name` (exact qualified name) in a start tag's attribute text, decoded. */
export function attributeValue(attrs: string, name: string): string | undefined {
  if (attrs.indexOf(name) === -1) return undefined;
  const re = /([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = re.exec(attrs); m; m = re.exec(attrs)) {
    if (m[1] === name) return decodeEntities(m[2] ?? m[3] ?? '');
  }
  return undefined;
}

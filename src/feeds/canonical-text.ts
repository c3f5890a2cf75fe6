import { expandReference, referenceEnd } from './html-entities.js';

/**
 * Text as the canonical form (canonical-xml.ts) writes it: `&` and `<`
 * escaped, enough for text never to read as a tag, and nothing else.
 */

/** `&` and `<` escaped; cheap when there are none (most text). */
export function escapeText(s: string): string {
  if (s.indexOf('&') === -1 && s.indexOf('<') === -1) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

export function escapeAttribute(s: string): string {
  const text = escapeText(s);
  return text.indexOf('"') === -1 ? text : text.replace(/"/g, '&quot;');
}

/** The inverse of `escapeText`. */
export function unescapeText(s: string): string {
  return s.indexOf('&') === -1 ? s : s.replace(/&lt;/g, '<').replace(/&amp;/g, '&');
}

/**
 * `escapeText(decodeEntities(raw))` in one pass with no string in between:
 * a reference becomes its character (escaped if it is `&` or `<`), and an
 * `&` that starts none, like a `<`, is escaped. Escaped HTML in an RSS
 * description is mostly references, so this is the canonical form's main cost.
 */
export function decodeEscaped(raw: string): string {
  let amp = raw.indexOf('&');
  let lt = raw.indexOf('<');
  if (amp === -1 && lt === -1) return raw;
  let out = '';
  let last = 0;
  while (amp !== -1 || lt !== -1) {
    if (amp === -1 || (lt !== -1 && lt < amp)) {
      out += `${raw.slice(last, lt)}&lt;`;
      last = lt + 1;
      lt = raw.indexOf('<', last);
      continue;
    }
    const ch = expandReference(raw, amp);
    out += raw.slice(last, amp);
    if (ch === undefined) {
      out += '&amp;';
      last = amp + 1;
    } else {
      out += ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch;
      last = referenceEnd;
    }
    amp = raw.indexOf('&', last);
  }
  return out + raw.slice(last);
}

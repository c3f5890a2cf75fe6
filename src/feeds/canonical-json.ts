import { fieldOfName, stripTracking, type ChangeField, type MeaningParts } from './meaning.js';

/**
 * RFC 8785 (JSON Canonicalization Scheme) form of a parsed JSON value: no
 * whitespace, object keys sorted by their UTF-16 code units (§3.2.3, which is
 * what `Array.prototype.sort` compares), strings escaped as ECMAScript's
 * JSON.stringify does (§3.2.2.2), numbers as ECMAScript's Number.prototype.toString
 * (§3.2.2.3), which JSON.stringify gives for every finite number (and `-0` as `0`).
 * A number JSON.parse made infinite (1e400) has no JCS form; it is written `null`,
 * as JSON.stringify would.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

const LINK_KEYS = new Set(['url', 'external_url']);

/**
 * A JSON Feed item's canonical form by field: each field is the JCS form of
 * the object holding just that field's keys (title; content_html, content_text,
 * summary; url, external_url; date_published, date_modified; the rest other).
 * `tracking` drops tracking parameters from `url` and `external_url`.
 */
export function jsonItemParts(source: string, tracking: boolean): MeaningParts {
  const item: unknown = JSON.parse(source);
  const parts: MeaningParts = { title: '', content: '', link: '', dates: '', other: '' };
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    parts.other = canonicalJson(item);
    return parts;
  }
  // Without a prototype, a `__proto__` key is a key like any other.
  const group = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;
  const groups: Record<ChangeField, Record<string, unknown>> = {
    title: group(),
    content: group(),
    link: group(),
    dates: group(),
    other: group(),
  };
  for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
    groups[fieldOfName(key)][key] = tracking && LINK_KEYS.has(key) && typeof value === 'string' ? stripTracking(value) : value;
  }
  for (const field of Object.keys(groups) as ChangeField[]) parts[field] = canonicalJson(groups[field]);
  return parts;
}

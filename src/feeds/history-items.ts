import { itemContent, type ItemContent } from './atom-text.js';
import type { XmlEntryFields } from './xml-feed.js';

/** Entries picked from a topic's update log (history.ts) as JSON Feed 1.1 items. */

/** One entry picked from the log: its exact source and what a JSON Feed item needs. */
export interface Picked {
  seq: number;
  source: string;
  id: string;
  fields: XmlEntryFields;
  /** The whole document an XML entry was read from (its fields' spans are offsets into it). */
  text?: string;
  status: 'new' | 'updated';
}

/** RFC 3339 for JSON Feed from whatever date form a feed used (RSS's RFC 822 included); undefined when unreadable. */
function rfc3339(date: string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Crier's extension object on every item (JSON Feed 1.1: keys starting with `_` are extensions). */
function crierField(p: Picked): { seq: number; status: 'new' | 'updated'; id: string } {
  return { seq: p.seq, status: p.status, id: p.id };
}

/**
 * A JSON Feed item's source with `_crier` added as its first member, the rest as the publisher wrote it.
 * An item missing what JSON Feed requires of every item gets it ahead of its own members: `id` (the
 * entry's identity) and, with no content at all, an empty `content_text`.
 */
export function withCrier(source: string, p: Picked): string {
  const rest = source.trim().slice(1).trimStart();
  const fields = [`"_crier":${JSON.stringify(crierField(p))}`];
  const item = parsedItem(source);
  if (item.id === undefined || item.id === null) fields.push(`"id":${JSON.stringify(p.id)}`);
  if (typeof item.content_html !== 'string' && typeof item.content_text !== 'string') fields.push('"content_text":""');
  const field = fields.join(',');
  return rest.startsWith('}') ? `{${field}}` : `{${field},${rest}`;
}

function parsedItem(source: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(source);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An RSS/Atom entry as a JSON Feed 1.1 item. */
export function toItem(p: Picked): Record<string, unknown> {
  const f = p.fields;
  const item: Record<string, unknown> = { id: p.id };
  if (f.link) item.url = f.link;
  if (f.title) item.title = f.title;
  // JSON Feed requires content_html or content_text: Atom's text content is text, its html and xhtml HTML, RSS's HTML
  // in practice (atom-text.ts); an entry without content gets an empty content_html.
  const content: ItemContent = p.text && f.contentSpan ? itemContent(p.text, f.contentSpan) : { html: '' };
  if ('html' in content) item.content_html = content.html;
  else item.content_text = content.text;
  const published = rfc3339(f.published);
  const modified = rfc3339(f.updated);
  if (published) item.date_published = published;
  if (modified) item.date_modified = modified;
  item._crier = crierField(p);
  return item;
}

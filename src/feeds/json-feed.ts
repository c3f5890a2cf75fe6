import { entryIdentity } from './entry-id.js';
import { sha256Hex } from './hash.js';
import type { XmlEntryFields } from './xml-feed.js';

/** A JSON Feed (https://jsonfeed.org/version/1.1) as parsed JSON plus per-item fields. */
export interface JsonFeed {
  /** The top-level object, exactly as parsed. */
  feed: Record<string, unknown>;
  /** `feed.items`, exactly as parsed. */
  items: unknown[];
  title?: string;
  entries: XmlEntryFields[];
}

export type JsonOutcome =
  | { kind: 'json-feed'; value: JsonFeed }
  | { kind: 'plain' }
  | { kind: 'unparseable'; reason: string };

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON Feed 1.0 says `version` is `https://jsonfeed.org/version/1`, 1.1 says
 * `.../version/1.1`; some generators write just `1.0` or `1.1`. Either, with an
 * `items` array, is a JSON Feed; any other JSON is a plain document.
 */
function isJsonFeed(value: unknown): value is Record<string, unknown> & { items: unknown[] } {
  if (!isRecord(value) || !Array.isArray(value.items)) return false;
  const version = value.version;
  return typeof version === 'string' && (version.includes('jsonfeed.org/version') || /^1(\.\d+)?$/.test(version.trim()));
}

/** One item's identity inputs: `id`, else `url`/`external_url`, else title+date+content. */
function readItem(item: unknown): XmlEntryFields {
  const source = JSON.stringify(item) ?? 'null';
  const o = isRecord(item) ? item : {};
  const link = str(o.url) ?? str(o.external_url);
  const title = str(o.title);
  const published = str(o.date_published);
  const updated = str(o.date_modified);
  const content = str(o.content_html) ?? str(o.content_text) ?? str(o.summary);
  const identity = entryIdentity({ id: str(o.id), link, title, date: published ?? updated, content, source });
  return { identity, contentHash: sha256Hex(source), link, title, published, updated };
}

/** Parses `text` as JSON and decides whether it is a JSON Feed. Never throws. */
export function parseJsonFeed(text: string, contentType: string | undefined): JsonOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const claimed = /feed\+json/i.test(contentType ?? '') || text.includes('jsonfeed.org/version');
    return claimed ? { kind: 'unparseable', reason: `invalid JSON: ${(err as Error).message}` } : { kind: 'plain' };
  }
  if (!isJsonFeed(value)) return { kind: 'plain' };
  return {
    kind: 'json-feed',
    value: { feed: value, items: value.items, title: str(value.title), entries: value.items.map(readItem) },
  };
}

/** The same top-level object with `items` replaced by the chosen items (original parsed objects). */
export function renderJsonFeed(feed: Record<string, unknown>, items: unknown[]): string {
  return JSON.stringify({ ...feed, items });
}

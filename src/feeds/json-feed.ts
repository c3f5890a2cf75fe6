import { parseTree, type Node } from 'jsonc-parser';
import { entryIdentity } from './entry-id.js';
import { sha256Hex } from './hash.js';
import type { XmlEntryFields } from './xml-feed.js';

/**
 * A JSON Feed (https://jsonfeed.org/version/1.1): where its items sit in the
 * source text, plus per-item fields. Items are kept as the publisher's own
 * text (jsonc-parser gives each value's offset), never re-serialised: a
 * re-serialised item would turn the id 12345678901234567891 into
 * 12345678901234567000 and 1e400 into null.
 */
export interface JsonFeed {
  /** Offsets of the `items` array (its `[` to just after its `]`) in the source text. */
  itemsStart: number;
  itemsEnd: number;
  /** Each item's exact source text. */
  items: string[];
  /**
   * Where the `version` string sits (its quotes included), when it is a bare `1.0` or `1.1` some generators
   * write instead of the https://jsonfeed.org/version/ URL: a JSON Feed delivery writes the URL there.
   */
  bareVersion?: { start: number; end: number; url: string };
  title?: string;
  /** `feed_url`: the feed's own URL (WebSub §4 discovery, as Atom's rel="self"). */
  selfUrl?: string;
  /** `hubs` of type WebSub (any case): the hubs the publisher pings. */
  hubUrls?: string[];
  entries: XmlEntryFields[];
}

export type JsonOutcome = { kind: 'json-feed'; value: JsonFeed } | { kind: 'plain' } | { kind: 'unparseable'; reason: string };

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

/** The value node of an object's property `name` (the last one, as JSON.parse keeps the last). */
function property(object: Node | undefined, name: string): Node | undefined {
  let found: Node | undefined;
  for (const pair of object?.children ?? []) {
    const [key, value] = pair.children ?? [];
    if (key?.value === name) found = value;
  }
  return found;
}

/** One item's identity inputs: `id` (a number as written), else `url`/`external_url`, else title+date+content. */
function readItem(item: unknown, node: Node, source: string, text: string): XmlEntryFields {
  const o = isRecord(item) ? item : {};
  const idNode = property(node, 'id');
  const id = idNode?.type === 'number' ? text.slice(idNode.offset, idNode.offset + idNode.length) : str(o.id);
  const link = str(o.url) ?? str(o.external_url);
  const title = str(o.title);
  const published = str(o.date_published);
  const updated = str(o.date_modified);
  const content = str(o.content_html) ?? str(o.content_text) ?? str(o.summary);
  const identity = entryIdentity({ id, link, title, date: published ?? updated, content, source });
  return { identity, contentHash: sha256Hex(source), link, title, published, updated, content };
}

/** The URLs of the `hubs` entries whose type is WebSub (JSON Feed 1.1 §hubs); undefined when none. */
function websubHubs(hubs: unknown): string[] | undefined {
  if (!Array.isArray(hubs)) return undefined;
  const urls = hubs.filter(isRecord).flatMap((h) => (str(h.type)?.toLowerCase() === 'websub' && str(h.url) ? [str(h.url)!] : []));
  return urls.length ? urls : undefined;
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
  // Valid JSON, so the tree jsonc-parser builds is the one JSON.parse read.
  const array = property(parseTree(text), 'items');
  const nodes = array?.children ?? [];
  if (!array || nodes.length !== value.items.length) return { kind: 'unparseable', reason: 'items could not be located in the source' };
  const items = nodes.map((n) => text.slice(n.offset, n.offset + n.length));
  const versionNode = property(parseTree(text), 'version');
  const version = String(value.version).trim();
  const bareVersion =
    versionNode && !version.includes('jsonfeed.org/version')
      ? {
          start: versionNode.offset,
          end: versionNode.offset + versionNode.length,
          url: `https://jsonfeed.org/version/${version.startsWith('1.0') || version === '1' ? '1' : '1.1'}`,
        }
      : undefined;
  return {
    kind: 'json-feed',
    value: {
      itemsStart: array.offset,
      itemsEnd: array.offset + array.length,
      items,
      bareVersion,
      title: str(value.title),
      selfUrl: str(value.feed_url),
      hubUrls: websubHubs(value.hubs),
      entries: value.items.map((item, i) => readItem(item, nodes[i], items[i], text)),
    },
  };
}

/** The source with its `items` array holding only the chosen items, each as written. */
export function renderJsonFeed(text: string, feed: JsonFeed, chosen: readonly number[]): string {
  const items = chosen.map((i) => feed.items[i]).join(',');
  return `${text.slice(0, feed.itemsStart)}[${items}]${text.slice(feed.itemsEnd)}`;
}

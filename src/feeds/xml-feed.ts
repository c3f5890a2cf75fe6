import { entryIdentity } from './entry-id.js';
import { sha256Hex } from './hash.js';
import { NS } from './namespaces.js';
import type { ElementSpan, EntrySpan, XmlStructure } from './spans.js';
import { decodeEntities } from './html-entities.js';
import type { Attribute } from './markup.js';
import { attributeValue, elementText } from './text.js';
import { plainTitle } from './atom-text.js';

/** Fields read from one XML entry, before identities are made unique. */
export interface XmlEntryFields {
  identity: string;
  contentHash: string;
  link?: string;
  /** Plain text (an Atom title of type html without its markup). */
  title?: string;
  published?: string;
  updated?: string;
  /** The entry's content, summary or description as text (HTML for most feeds): part of its identity. */
  content?: string;
  /** The element `content` was read from (XML feeds), for conversion to JSON Feed (atom-text.ts). */
  contentSpan?: ElementSpan;
}

/** Feed-level fields read from the container's direct children. */
export interface XmlHeadFields {
  title?: string;
  selfUrl?: string;
  hubUrls?: string[];
  refreshSeconds?: number;
}

/** Seconds in each `sy:updatePeriod` (RSS 1.0 syndication module). */
const UPDATE_PERIODS: Record<string, number> = { hourly: 3600, daily: 86400, weekly: 604800, monthly: 2592000, yearly: 31536000 };

/** The feed's refresh hint in seconds: the longer of `<ttl>` and sy:updatePeriod / sy:updateFrequency. */
function refreshHint(ttl: string | undefined, period: string | undefined, frequency: string | undefined): number | undefined {
  const ttlMinutes = ttl !== undefined && /^\d{1,9}$/.test(ttl.trim()) ? Number(ttl.trim()) : undefined;
  const fromTtl = ttlMinutes ? ttlMinutes * 60 : undefined;
  let fromSy: number | undefined;
  if (period !== undefined || frequency !== undefined) {
    // The module's defaults: daily, once.
    const seconds = UPDATE_PERIODS[(period ?? 'daily').trim().toLowerCase()];
    const times = frequency !== undefined && /^\d{1,6}$/.test(frequency.trim()) ? Number(frequency.trim()) : 1;
    if (seconds !== undefined && times > 0) fromSy = Math.round(seconds / times);
  }
  if (fromTtl === undefined) return fromSy;
  return fromSy === undefined ? fromTtl : Math.max(fromTtl, fromSy);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** Atom-style `<link rel=... href=...>`: the href when `rel` is one of `rels` (absent rel counts as `alternate`). */
function linkHref(child: ElementSpan, rels: readonly string[]): string | undefined {
  const href = attributeValue(child.attributes, 'href');
  if (href === undefined) return undefined;
  const rel = attributeValue(child.attributes, 'rel') ?? 'alternate';
  return rels.includes(rel) ? nonEmpty(href.trim()) : undefined;
}

/** `rdf:about` of an RSS 1.0 item, whatever prefix the document binds to the RDF namespace. */
export function rdfAbout(attributes: readonly Attribute[]): string | undefined {
  const about = attributes.find((a) => a.name === 'rdf:about') ?? attributes.find((a) => a.name.endsWith(':about'));
  return about ? nonEmpty(decodeEntities(about.value).trim()) : undefined;
}

/** Reads identity inputs and display fields from an entry's direct children. */
export function readXmlEntry(text: string, span: EntrySpan): XmlEntryFields {
  const own = span.ns;
  const atomish = own === NS.atom10 || own === NS.atom03 || span.local === 'entry';
  let id: string | undefined;
  let link: string | undefined;
  let title: string | undefined;
  let published: string | undefined;
  let updated: string | undefined;
  let titleSpan: ElementSpan | undefined;
  let content: string | undefined;
  let contentSpan: ElementSpan | undefined;
  // Content that is markup without text (an xhtml image or SVG) has no text for the identity, but is content all the same.
  let markupOnly: ElementSpan | undefined;
  const readContent = (child: ElementSpan) => {
    if (content !== undefined) return;
    content = nonEmpty(elementText(text, child));
    if (content !== undefined) contentSpan = child;
    else if (!markupOnly && text.slice(child.openEnd, child.closeStart).trim() !== '') markupOnly = child;
  };
  for (const child of span.children) {
    const local = child.local;
    if (child.ns === own) {
      if (local === 'guid' || local === 'id') id ??= nonEmpty(elementText(text, child));
      else if (local === 'link') link ??= atomish ? linkHref(child, ['alternate']) : nonEmpty(elementText(text, child));
      else if (local === 'title' && title === undefined) {
        title = nonEmpty(elementText(text, child));
        titleSpan = child;
      } else if (local === 'pubDate' || local === 'published' || local === 'issued') published ??= nonEmpty(elementText(text, child));
      else if (local === 'updated' || local === 'modified') updated ??= nonEmpty(elementText(text, child));
      else if (local === 'description' || local === 'content' || local === 'summary') readContent(child);
    } else if (child.ns === NS.dc && local === 'date') published ??= nonEmpty(elementText(text, child));
    else if (child.ns === NS.dcterms && (local === 'issued' || local === 'created')) published ??= nonEmpty(elementText(text, child));
    else if (child.ns === NS.dcterms && local === 'modified') updated ??= nonEmpty(elementText(text, child));
    else if (child.ns === NS.content && local === 'encoded') readContent(child);
    else if (child.ns === NS.atom10 && local === 'link' && !atomish) link ??= linkHref(child, ['alternate']);
  }
  if (own === NS.rss10 || own === NS.rss090 || own === NS.rss11) id ??= rdfAbout(span.attributes);
  const source = text.slice(span.start, span.end);
  // The title as read before titles were made plain text: identities of entries without id or link stay what they were.
  const identity = entryIdentity({ id, link, title, date: published ?? updated, content, source });
  const shown = title !== undefined && titleSpan ? nonEmpty(plainTitle(titleSpan, title)) : undefined;
  return {
    identity,
    contentHash: sha256Hex(source),
    link,
    title: shown,
    published,
    updated,
    content,
    contentSpan: contentSpan ?? markupOnly,
  };
}

/** A head or entry-document title as plain text. */
function headTitle(text: string, child: ElementSpan): string | undefined {
  const value = nonEmpty(elementText(text, child));
  return value === undefined ? undefined : nonEmpty(plainTitle(child, value));
}

/** Title, self link and hub links of the feed (WebSub §4: `rel="self"` and `rel="hub"`). */
export function readXmlHead(text: string, structure: XmlStructure): XmlHeadFields {
  const head: XmlHeadFields = {};
  const feedNs = structure.container?.ns ?? structure.root?.ns ?? '';
  const hubs: string[] = [];
  let ttl: string | undefined;
  let period: string | undefined;
  let frequency: string | undefined;
  for (const child of structure.headChildren) {
    if (child.local === 'title' && child.ns === feedNs) head.title ??= headTitle(text, child);
    else if (child.local === 'ttl' && child.ns === feedNs && structure.format === 'rss') ttl ??= elementText(text, child);
    else if (child.ns === NS.sy && child.local === 'updatePeriod') period ??= elementText(text, child);
    else if (child.ns === NS.sy && child.local === 'updateFrequency') frequency ??= elementText(text, child);
    else if (
      child.local === 'link' &&
      (child.ns === NS.atom10 || child.ns === NS.atom03 || (child.ns === feedNs && structure.format === 'atom'))
    ) {
      head.selfUrl ??= linkHref(child, ['self']);
      const hub = linkHref(child, ['hub']);
      if (hub) hubs.push(hub);
    }
  }
  if (structure.format === 'atom-entry' && structure.entries[0]) {
    const t = structure.entries[0].children.find((c) => c.local === 'title' && c.ns === feedNs);
    if (t) head.title = headTitle(text, t);
  }
  if (hubs.length) head.hubUrls = hubs;
  const refresh = refreshHint(ttl, period, frequency);
  if (refresh !== undefined) head.refreshSeconds = refresh;
  return head;
}

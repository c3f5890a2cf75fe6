import { charsetFromContentType, XML_DECL_ENCODING } from './decode.js';
import { diffEntries } from './diff.js';
import { meaningSource } from './entry-meaning.js';
import { decodeEntities } from './html-entities.js';
import { renderJsonFeed } from './json-feed.js';
import { analyse, analyseAsync, type Analysis } from './parse.js';
import type { UpdateIgnore } from './meaning.js';
import type { FeedFormat, Rendered, SeenState, Selection } from './types.js';
import { rdfAbout } from './xml-feed.js';

const DEFAULT_MEDIA_TYPE: Record<FeedFormat, string> = {
  rss: 'application/rss+xml',
  rdf: 'application/rdf+xml',
  atom: 'application/atom+xml',
  'atom-entry': 'application/atom+xml',
  'json-feed': 'application/feed+json',
};

/**
 * Content type of a delivered feed: the topic's own media type when it names
 * XML or JSON (WebSub §7 asks for the topic's type), else the format's usual
 * one (feeds served as text/html or octet-stream); rendered bodies are
 * always UTF-8, so a header naming another charset is rewritten to say so.
 */
function outputContentType(contentType: string | undefined, format: FeedFormat, reencoded = false): string {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const fits = format === 'json-feed' ? /^application\/(?:feed\+)?json$/.test(media) : /^[a-z]+\/(?:[\w.+-]+\+)?xml$/.test(media);
  // H19: the topic's header byte for byte whenever it still tells the truth about the UTF-8 body.
  const charset = charsetFromContentType(contentType);
  if (fits && !reencoded && (charset === undefined || /^utf-?8$/i.test(charset))) return contentType!;
  return `${fits ? media : DEFAULT_MEDIA_TYPE[format]}; charset=utf-8`;
}

/** Makes the XML declaration (if it names an encoding) say UTF-8, which the output is. */
function declareUtf8(text: string): string {
  const m = XML_DECL_ENCODING.exec(text);
  if (!m || /^utf-?8$/i.test(m[3])) return text;
  return m[1] + m[2] + 'UTF-8' + m[2] + text.slice(m[0].length);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * RSS 1.0 lists its items in the channel (`<items><rdf:Seq><rdf:li
 * resource="..."/>`); the `rdf:li` of an item that is not delivered goes too,
 * so the table of contents matches the items present.
 */
function rdfListCuts(analysis: Extract<Analysis, { kind: 'xml' }>, dropped: Set<string>): Array<[number, number]> {
  if (analysis.outcome.doc.format !== 'rdf' || dropped.size === 0) return [];
  return analysis.structure.listItems.filter((li) => dropped.has(decodeEntities(li.resource))).map((li) => [li.start, li.end]);
}

/**
 * Splices the source: everything outside the entries stays as written (XML
 * declaration, root element with all its namespace declarations, feed-level
 * elements wherever they sit, comments); each selected entry is the exact
 * source slice; each unselected entry is cut out together with the whitespace
 * run before it.
 */
function spliceXml(analysis: Extract<Analysis, { kind: 'xml' }>, keys: ReadonlySet<string>): string {
  const text = analysis.decoded.text;
  const { entries } = analysis.outcome.doc;
  const spans = analysis.structure.entries;
  if (analysis.outcome.doc.format === 'atom-entry') return text;
  const cuts: Array<[number, number]> = [];
  const droppedAbout = new Set<string>();
  for (let i = 0; i < spans.length; i++) {
    if (keys.has(entries[i].key)) continue;
    cuts.push([spans[i].start, spans[i].end]);
    const about = rdfAbout(spans[i].attributes);
    if (about) droppedAbout.add(about);
  }
  cuts.push(...rdfListCuts(analysis, droppedAbout));
  cuts.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let cursor = 0;
  for (const [start, end] of cuts) {
    if (start < cursor) continue;
    let cut = start;
    while (cut > cursor && isSpace(text.charCodeAt(cut - 1))) cut--;
    parts.push(text.slice(cursor, cut));
    cursor = end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/** Renders from an earlier analysis; see `renderEntries`. */
export function renderAnalysis(analysis: Analysis, body: Buffer, contentType: string | undefined, keys: ReadonlySet<string>): Rendered {
  if (analysis.kind === 'other') return { body, contentType: contentType ?? 'application/octet-stream' };
  const format = analysis.outcome.doc.format;
  if (analysis.kind === 'json') {
    const chosen = analysis.outcome.doc.entries.flatMap((e, i) => (keys.has(e.key) ? [i] : []));
    const text = renderJsonFeed(analysis.decoded.text, analysis.json, chosen);
    return { body: Buffer.from(text, 'utf8'), contentType: outputContentType(contentType, format, !analysis.decoded.utf8) };
  }
  const spliced = spliceXml(analysis, keys);
  const text = declareUtf8(spliced);
  return { body: Buffer.from(text, 'utf8'), contentType: outputContentType(contentType, format, text !== spliced) };
}

/**
 * Builds the document to deliver carrying only the entries whose keys are
 * given, in source order, each exactly as the publisher wrote it. The body is
 * UTF-8 (a source in another charset is re-encoded and its XML declaration
 * rewritten) and `contentType` says so. Plain and unparseable bodies come back
 * whole with the given content type. An Atom entry document is its one entry,
 * so it always comes back whole. Never throws.
 */
export function renderEntries(body: Buffer, contentType: string | undefined, keys: ReadonlySet<string>): Rendered {
  return renderAnalysis(analyse(body, contentType), body, contentType, keys);
}

/**
 * Parse, diff and render in one pass (what the fetch worker calls): the
 * outcome, the diff against `seen` for feeds (entries compared by meaning,
 * minus what `ignore` names), and the document carrying the new and updated
 * entries when there are any.
 */
export function selectNewContent(
  body: Buffer,
  contentType: string | undefined,
  seen: SeenState,
  budgetMs?: number,
  ignore: readonly UpdateIgnore[] = [],
): Selection {
  return prepareSelection(body, contentType, budgetMs, ignore).select(seen);
}

/** A body parsed once, to be diffed against the seen entries of just its own keys. */
export interface PreparedSelection {
  /** The entry keys the document carries (none for plain and unparseable bodies). */
  keys: string[];
  /** As `selectNewContent`; `seen` needs only the entries of `keys`. */
  select(seen: SeenState): Selection;
}

/** The first half of `selectNewContent`: parse, so the caller can look up only these keys' history. */
export function prepareSelection(
  body: Buffer,
  contentType: string | undefined,
  budgetMs?: number,
  ignore: readonly UpdateIgnore[] = [],
): PreparedSelection {
  return prepared(analyse(body, contentType, budgetMs), body, contentType, ignore);
}

/** As `prepareSelection`, parsing in slices so the thread's other work (an HTTP front) is not held up. */
export async function prepareSelectionAsync(
  body: Buffer,
  contentType: string | undefined,
  budgetMs?: number,
  ignore: readonly UpdateIgnore[] = [],
): Promise<PreparedSelection> {
  return prepared(await analyseAsync(body, contentType, budgetMs), body, contentType, ignore);
}

function prepared(analysis: Analysis, body: Buffer, contentType: string | undefined, ignore: readonly UpdateIgnore[]): PreparedSelection {
  if (analysis.kind === 'other') return { keys: [], select: () => ({ outcome: analysis.outcome }) };
  return {
    keys: analysis.outcome.doc.entries.map((e) => e.key),
    select(seen) {
      const diff = diffEntries(seen, analysis.outcome.doc, meaningSource(analysis, ignore));
      if (diff.newKeys.length === 0 && diff.updatedKeys.length === 0) return { outcome: analysis.outcome, diff };
      const keys = new Set([...diff.newKeys, ...diff.updatedKeys]);
      return { outcome: analysis.outcome, diff, rendered: renderAnalysis(analysis, body, contentType, keys) };
    },
  };
}
